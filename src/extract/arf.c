/* arf — feedback reports: one record per reported recipient, reason hint
 * "feedback", feedbacktype from Feedback-Type.  The shapes read:
 *
 *  - RFC 5965 (with RFC 6430's not-spam, RFC 6591's auth-failure, RFC 7489
 *    DMARC failure reports): a message/feedback-report part; the recipients
 *    from Original-Rcpt-To, or Removal-Recipient in the opt-out reports of
 *    the ARF drafts (draft-shafranovich-feedback-report);
 *  - a multipart/report of report-type feedback-report that kept no
 *    machine-readable part (abuse desks that attach only the message);
 *  - Microsoft's JMRP complaints, ARF or the older multipart/mixed from
 *    staff@hotmail.com ("complaint about message from IP"), which name the
 *    complainer only in the returned message's X-HmXmrOriginalRecipient;
 *  - Amazon SES's forwarded complaints of the same older shape;
 *  - Apple Mail's unsubscribe message (X-Apple-Unsubscribe: true), sent
 *    from the subscriber to a List-Unsubscribe mailto address: an opt-out;
 *  - XARF over SMTP (abusix/xarf README, "XARF via SMTP"): an ARF whose
 *    Feedback-Type is "xarf" and whose third part is the XARF report as
 *    application/json instead of the message; the reported recipient is
 *    the report's SmtpRcptToAddress.
 *
 * Without a field naming them, the recipients are the returned message's
 * To: (sisimai's Sisimai::ARF reads the same places). */
#define _GNU_SOURCE             /* strcasestr */
#include "core/literals.h"
#include "extract/decode.h"
#include "extract/generic-lines.h"
#include "extract/text.h"

#include <string.h>

/* The recipient of a report whose message went to undisclosed recipients:
 * the reserved .invalid domain (RFC 2606), spelled as sisimai spells it
 * (Sisimai::Address->undisclosed) so that both tools key the record alike. */
#define ARF_UNDISCLOSED "undisclosed-recipient-in-headers@libsisimai.org.invalid"

/* The field group of the message/feedback-report part, if the view has one. */
static BtFieldGroup *
feedback_group(const char *dsn)
{
    /* a delivery report (nearly every one) has no such field to parse for */
    if (!strcasestr(dsn, "feedback-type"))
        return NULL;
    g_autoptr(GPtrArray) groups = bt_field_groups_parse(dsn);
    for (guint i = 0; i < groups->len; i++) {
        BtFieldGroup *g = groups->pdata[i];
        if (bt_field_group_get(g, "Feedback-Type"))
            return g_ptr_array_steal_index(groups, i);
    }
    return NULL;
}

/* Takes `one` (may be NULL) unless `out` holds it already: a report that
 * names a recipient twice (a repeated Original-Rcpt-To) reports one. */
static void
add_once(GPtrArray *out, char *one)
{
    if (!one)
        return;
    for (guint i = 0; i < out->len; i++)
        if (g_ascii_strcasecmp(out->pdata[i], one) == 0) {
            g_free(one);
            return;
        }
    g_ptr_array_add(out, one);
}

/* Every address in a header value such as "A <a@x>, b@y". */
static void
add_addresses(GPtrArray *out, const char *value)
{
    if (!value)
        return;
    InternetAddressList *list = internet_address_list_parse(NULL, value);
    if (!list) {
        add_once(out, bt_address_clean(value));
        return;
    }
    for (int i = 0; i < internet_address_list_length(list); i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
            continue;
        add_once(out, bt_address_clean(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))));
    }
    g_object_unref(list);
}

/* The complainer named by Microsoft's JMRP in the returned message's
 * header (X-HmXmrOriginalRecipient), or in the report's own header. */
static char *
jmrp_recipient(const BtMsgView *view)
{
    static const char name[] = "X-HmXmrOriginalRecipient";
    char *value = view->returned_headers ? bt_header_block_get(view->returned_headers, name) : NULL;
    return value ? value : bt_view_header(view, name);
}

/* The value of every "SmtpRcptToAddress": "..." in an XARF report's JSON
 * (at most BT_VIEW_MAX_PART_TEXT bytes of it). */
static void
add_xarf_json_recipients(GPtrArray *out, const char *json)
{
    static const char key[] = "\"SmtpRcptToAddress\"";
    for (const char *p = strstr(json, key); p; p = strstr(p, key)) {
        p += sizeof key - 1;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p != ':')
            continue;
        p++;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p != '"')
            continue;
        const char *end = strpbrk(++p, "\"\\");
        if (!end || *end != '"' || end == p)
            continue;
        g_autofree char *value = g_strndup(p, (gsize) (end - p));
        add_addresses(out, value);
        p = end;
    }
}

/* The recipients an XARF report (Feedback-Type xarf) names in its
 * application/json part(s), walked from `obj`. */
static void
add_xarf_recipients(GPtrArray *out, GMimeObject *obj, int depth)
{
    if (!obj || depth > BT_VIEW_MAX_DEPTH)
        return;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = MIN(g_mime_multipart_get_count(mp), BT_VIEW_MAX_PARTS);
        for (int i = 0; i < n; i++)
            add_xarf_recipients(out, g_mime_multipart_get_part(mp, i), depth + 1);
        return;
    }
    if (!GMIME_IS_PART(obj) || !bt_mime_is_type(obj, "application", "json"))
        return;
    g_autoptr(GByteArray) bytes = bt_view_part_bytes(GMIME_PART(obj));
    if (!bytes)
        return;
    g_byte_array_append(bytes, (const guint8 *) "", 1);
    add_xarf_json_recipients(out, (const char *) bytes->data);
}

/* The reported recipients: every Original-Rcpt-To (Removal-Recipient in
 * opt-out reports), else the JMRP recipient, else the returned To.  NULL
 * when a report without fields returns no message to read them from. */
static GPtrArray *
reported_recipients(const BtMsgView *view, const BtFieldGroup *report)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; report && i < report->names->len; i++)
        if (g_ascii_strcasecmp(report->names->pdata[i], "Original-Rcpt-To") == 0
            || g_ascii_strcasecmp(report->names->pdata[i], "Removal-Recipient") == 0)
            add_addresses(out, report->values->pdata[i]);
    if (out->len == 0) {
        g_autofree char *jmrp = jmrp_recipient(view);
        add_addresses(out, jmrp);
    }
    g_autofree char *to = view->returned_headers ? bt_header_block_get(view->returned_headers, "To") : NULL;
    if (out->len == 0)
        add_addresses(out, to);
    /* XARF returns no message: its JSON report names the recipient */
    const char *type = report ? bt_field_group_get(report, "Feedback-Type") : NULL;
    gboolean xarf = type && g_ascii_strcasecmp(type, "xarf") == 0;
    if (out->len == 0 && xarf)
        add_xarf_recipients(out, view->mime ? bt_mime_body_of(view->mime) : NULL, 0);
    /* an XARF report that names no mail recipient (a web page, a login
     * attack, a DDoS) concerns no message: no record */
    if (out->len == 0 && !to && (!report || xarf)) {
        g_ptr_array_unref(out);
        return NULL;
    }
    /* a report about a message sent to undisclosed recipients is still a
     * complaint worth a record */
    if (out->len == 0)
        g_ptr_array_add(out, g_strdup(ARF_UNDISCLOSED));
    return out;
}

/* A multipart/report that calls itself a feedback report (RFC 5965 §2),
 * whatever parts it kept. */
static gboolean
is_feedback_report_type(const BtMsgView *view)
{
    g_autofree char *type = view->mime ? gen_report_type(view) : NULL;
    return type && g_ascii_strcasecmp(type, "feedback-report") == 0;
}

/* The older complaint of Microsoft's JMRP and of Amazon SES: a
 * multipart/mixed holding the message, "complaint about message from IP"
 * from one of the two senders, or with the JMRP's own recipient header
 * (X-HmXmrOriginalRecipient) on the returned message. */
static gboolean
is_legacy_complaint(const BtMsgView *view)
{
    static const char *const senders[] = { "staff@hotmail.com", "complaints@email-abuse.amazonses.com", NULL };
    if (!view->returned_headers)
        return FALSE;
    g_autofree char *subject = bt_view_header(view, "Subject");
    if (!subject || !strcasestr(subject, "complaint about message from "))
        return FALSE;
    g_autofree char *jmrp = bt_header_block_get(view->returned_headers, "X-HmXmrOriginalRecipient");
    g_autofree char *from = bt_view_header(view, "From");
    g_autofree char *sender = from ? bt_address_clean(from) : NULL;
    return jmrp || (sender && g_strv_contains(senders, sender));
}

/* Apple Mail's "Unsubscribe" (X-Apple-Unsubscribe: true) comes from the
 * subscriber who asked: an opt-out whose recipient is its sender. */
static gboolean
decode_apple_unsubscribe(const BtMsgView *view, GPtrArray *records)
{
    g_autofree char *flag = bt_view_header(view, "X-Apple-Unsubscribe");
    if (!flag || g_ascii_strcasecmp(flag, "true") != 0)
        return FALSE;
    g_autofree char *from = bt_view_header(view, "From");
    g_autofree char *subscriber = from ? bt_address_clean(from) : NULL;
    if (!subscriber)
        return FALSE;
    BtRecord *rec = bt_record_new();
    rec->recipient = g_steal_pointer(&subscriber);
    rec->feedbacktype = g_strdup("opt-out");
    bt_set_str(&rec->reason, "feedback");
    rec->diagnosticcode = bt_strdup_trimmed(view->body);
    g_autofree char *date = bt_view_header(view, "Date");
    bt_record_set_date(rec, date);
    rec->decodedby = g_strdup("ARF");
    g_ptr_array_add(records, rec);
    return TRUE;
}

/* One record per reported recipient; `report` (the feedback-report fields)
 * may be NULL, and `type` then stands for Feedback-Type. */
static gboolean
emit_records(const BtMsgView *view, const BtFieldGroup *report, const char *type, GPtrArray *records)
{
    g_autoptr(GPtrArray) recipients = reported_recipients(view, report);
    if (!recipients)
        return FALSE;
    const char *field = report ? bt_field_group_get(report, "Feedback-Type") : NULL;
    g_autofree char *feedbacktype = bt_ascii_strdown(field ? field : type ? type : "", -1);
    const char *arrival = report ? bt_field_group_get(report, "Arrival-Date") : NULL;
    if (!arrival && report)
        arrival = bt_field_group_get(report, "Received-Date");
    g_autofree char *summary = bt_strdup_trimmed(view->body);
    for (guint i = 0; i < recipients->len; i++) {
        BtRecord *rec = bt_record_new();
        rec->recipient = g_strdup(recipients->pdata[i]);
        rec->feedbacktype = *feedbacktype ? g_strdup(feedbacktype) : NULL;
        bt_set_str(&rec->reason, "feedback");
        rec->diagnosticcode = g_strdup(summary);
        if (report) {
            rec->lhost = bt_host_value(bt_field_group_get(report, "Reporting-MTA"));
            bt_set_str(&rec->rhost, bt_field_group_get(report, "Source-IP"));
        }
        bt_record_set_date(rec, arrival);
        rec->decodedby = g_strdup("ARF");
        g_ptr_array_add(records, rec);
    }
    return recipients->len > 0;
}

gboolean
bt_decode_arf(const BtMsgView *view, GPtrArray *records)
{
    if (view->dsn) {
        g_autoptr(BtFieldGroup) report = feedback_group(view->dsn);
        return report && emit_records(view, report, NULL, records);
    }
    if (is_feedback_report_type(view))
        return emit_records(view, NULL, NULL, records);
    /* a JMRP complaint is a junk report: RFC 5965's "abuse" */
    if (is_legacy_complaint(view))
        return emit_records(view, NULL, "abuse", records);
    return decode_apple_unsubscribe(view, records);
}
