/* arf — RFC 5965 Abuse Reporting Format feedback reports: one record per
 * reported recipient (Original-Rcpt-To, else the To of the returned
 * message), reason hint "feedback", feedbacktype from Feedback-Type. */
#define _GNU_SOURCE             /* strcasestr */
#include "extract/decode.h"
#include "extract/text.h"

#include <string.h>

#define ARF_UNDISCLOSED "undisclosed-recipients@undisclosed.invalid"

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

/* Every address in a header value such as "A <a@x>, b@y". */
static void
add_addresses(GPtrArray *out, const char *value)
{
    if (!value)
        return;
    InternetAddressList *list = internet_address_list_parse(NULL, value);
    if (!list) {
        char *one = bt_address_clean(value);
        if (one)
            g_ptr_array_add(out, one);
        return;
    }
    for (int i = 0; i < internet_address_list_length(list); i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
            continue;
        char *one = bt_address_clean(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
        if (one)
            g_ptr_array_add(out, one);
    }
    g_object_unref(list);
}

/* The reported recipients: every Original-Rcpt-To (Removal-Recipient in
 * opt-out reports), else the returned To. */
static GPtrArray *
reported_recipients(const BtMsgView *view, const BtFieldGroup *report)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < report->names->len; i++)
        if (g_ascii_strcasecmp(report->names->pdata[i], "Original-Rcpt-To") == 0
            || g_ascii_strcasecmp(report->names->pdata[i], "Removal-Recipient") == 0)
            add_addresses(out, report->values->pdata[i]);
    if (out->len == 0) {
        g_autofree char *to = bt_header_block_get(view->returned_headers, "To");
        add_addresses(out, to);
    }
    /* a report about a message sent to undisclosed recipients is still a
     * complaint worth a record: name the recipient with the reserved
     * .invalid domain (RFC 2606) rather than drop it */
    if (out->len == 0)
        g_ptr_array_add(out, g_strdup(ARF_UNDISCLOSED));
    return out;
}

gboolean
bt_decode_arf(const BtMsgView *view, GPtrArray *records)
{
    if (!view->dsn)
        return FALSE;
    g_autoptr(BtFieldGroup) report = feedback_group(view->dsn);
    if (!report)
        return FALSE;
    g_autoptr(GPtrArray) recipients = reported_recipients(view, report);
    g_autofree char *type = g_ascii_strdown(bt_field_group_get(report, "Feedback-Type"), -1);
    const char *arrival = bt_field_group_get(report, "Arrival-Date");
    if (!arrival)
        arrival = bt_field_group_get(report, "Received-Date");
    g_autofree char *summary = bt_strdup_trimmed(view->body);
    for (guint i = 0; i < recipients->len; i++) {
        BtRecord *rec = bt_record_new();
        rec->recipient = g_strdup(recipients->pdata[i]);
        rec->feedbacktype = g_strdup(type);
        bt_set_str(&rec->reason, "feedback");
        rec->diagnosticcode = g_strdup(summary);
        rec->lhost = bt_host_value(bt_field_group_get(report, "Reporting-MTA"));
        bt_set_str(&rec->rhost, bt_field_group_get(report, "Source-IP"));
        bt_record_set_date(rec, arrival);
        rec->decodedby = g_strdup("ARF");
        g_ptr_array_add(records, rec);
    }
    return recipients->len > 0;
}
