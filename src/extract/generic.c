/* generic — the last resort for notices that neither a delivery-status
 * part nor any layout explains: older Exchange and Notes gateways, small
 * MTAs that write "could not deliver to ADDR because …", webmail and
 * carrier notices in other languages.  It works by evidence, the way a
 * person reads such a notice:
 *
 *   1. the message must announce itself as a bounce (a mail-system sender,
 *      a bounce subject in one of several languages, X-Failed-Recipients,
 *      a delivery-status part) and not be a read receipt or a reply;
 *   2. every address in the notice's own text is a candidate; it scores
 *      for failure wording on or next to its line, for a "Recipient:" label,
 *      for angle brackets or quotes, for X-Failed-Recipients, for being the
 *      returned message's To:; addresses of the sender, of the notice
 *      itself and role mailboxes (postmaster@…) never count;
 *   3. each recipient's diagnostic is the sentence that explains it: its own
 *      line when that says something, else the next line that is not a
 *      lead-in ("for the following reason:"), a header line or boilerplate,
 *      else the failure sentence before it.
 *
 * The words are tables in generic-words.h; reading the notice's lines and
 * deciding whether it is a bounce at all are in generic-lines.c,
 * generic-notice.c and generic-bounce.c; step 2, the candidates, is in
 * generic-candidates.c, step 3, the diagnostics, in
 * generic-diagnostics.c (generic-private.h joins the three).  Other
 * decoders read one recipient's text the same way through notice-text.c,
 * which shares the diagnostics (generic.h). */
#include "extract/decode.h"
#include "extract/text.h"
#include "extract/generic-words.h"
#include "extract/generic-lines.h"
#include "extract/generic.h"
#include "extract/generic-private.h"

#include "core/literals.h"

#include <string.h>

/* How far below a marker of the original its header block may start. */
#define MARKER_REACH 6
/* The header block of an inline copy: no real one is longer. */
#define MAX_HEADER_LINES 500

/* ---- delivery-status fields without recipients ------------------------------ */

/* A delivery-status part that names no recipient still states the
 * outcome: its Status, Action, Diagnostic-Code and MTAs apply to every
 * recipient the text names. */
static void
apply_status_part(const BtMsgView *view, BtRecord *rec)
{
    if (!view->dsn)
        return;
    g_autoptr(GPtrArray) groups = bt_field_groups_parse(view->dsn);
    for (guint i = 0; i < groups->len; i++) {
        const BtFieldGroup *g = groups->pdata[i];
        const char *status = bt_field_group_get(g, "Status");
        const char *action = bt_field_group_get(g, "Action");
        const char *diag = bt_field_group_get(g, "Diagnostic-Code");
        const char *remote = bt_field_group_get(g, "Remote-MTA");
        const char *reporting = bt_field_group_get(g, "Reporting-MTA");
        if (status && !rec->deliverystatus)
            rec->deliverystatus = bt_status_first(status);
        if (action && !rec->action) {
            g_autofree char *a = bt_ascii_strdown(action, -1);
            rec->action = g_strdup(g_str_has_prefix(a, "delay") ? "delayed"
                                   : g_str_has_prefix(a, "fail") ? "failed" : NULL);
        }
        if (diag) {
            const char *semi = strchr(diag, ';');
            g_autofree char *text = bt_strdup_trimmed(semi && semi - diag < 16 ? semi + 1 : diag);
            if (text && (!rec->diagnosticcode || !gen_has_code(rec->diagnosticcode)))
                bt_set_str(&rec->diagnosticcode, text);
        }
        if (remote && !rec->rhost)
            rec->rhost = bt_host_value(remote);
        if (reporting && !rec->lhost)
            rec->lhost = bt_host_value(reporting);
    }
}

/* ---- the decoder ------------------------------------------------------------ */

/* Is the returned message itself a delivery report (a bounce the MTA
 * could not deliver, returned whole)?  Its To: is then whoever the inner
 * bounce was for, the original sender, and the inner report names the
 * recipient that failed (extract.c reads it). */
static gboolean
returned_is_report(const BtMsgView *view)
{
    g_autofree char *type = bt_header_block_get(view->returned_headers, "Content-Type");
    if (type && g_ascii_strncasecmp(type, "multipart/report", 16) == 0)
        return TRUE;   /* also when only its header block came back */
    GMimeMessage *inner = bt_returned_report(view);
    if (!inner)
        return FALSE;
    g_object_unref(inner);
    return TRUE;
}

/* Does the subject say a delivery failed ("Mail delivery failure",
 * "Unzustellbar: …"), not only that a report follows ("Delivery Status
 * Notification", which success and delay notices share)? */
static gboolean
subject_states_failure(const char *subject)
{
    if (!subject)
        return FALSE;
    g_autofree char *f = gen_fold(subject);
    return gen_is_failure_line(subject) || (gen_is_bounce_subject(subject) && !gen_has_word(f, gen_report_subjects));
}

/* Lines of the inline copy's header block give the returned To: when no
 * part carried the original. */
static char *
inline_copy_headers(char **lines, int copy_at, gboolean *is_message)
{
    *is_message = FALSE;
    if (copy_at < 0)
        return NULL;
    int i = copy_at;
    gboolean marked = !gen_starts_header_block(lines, i);
    if (marked) {
        /* the header block a few lines below the marker (past its folded
         * line, "       was detected.", and a field that lost its fold) */
        int k = i + 1;
        while (lines[k] && k <= i + MARKER_REACH && !gen_starts_header_block(lines, k))
            k++;
        /* the notice's own marker ("------ This is a copy of the message
         * …") announces a message; a header block the finder came upon
         * may be anything quoted */
        *is_message = lines[k] && k <= i + MARKER_REACH;
        i = *is_message ? k : i + 1;
    }
    while (lines[i] && gen_is_blank(lines[i]))
        i++;
    GString *block = g_string_new(NULL);
    for (int limit = i + MAX_HEADER_LINES; lines[i] && i < limit && !gen_is_blank(lines[i]); i++) {
        g_string_append(block, lines[i]);
        g_string_append_c(block, '\n');
    }
    g_autofree char *raw = g_string_free(block, FALSE);
    return *raw ? bt_header_block_unfold(raw) : NULL;
}

/* Is one domain the other or inside it (mail.example.org, example.org)? */
static gboolean
domains_related(const char *a, const char *b)
{
    if (!a || !b)
        return FALSE;
    gsize la = strlen(a), lb = strlen(b);
    if (la < lb)
        return domains_related(b, a);
    return g_ascii_strcasecmp(a + la - lb, b) == 0 && (la == lb || a[la - lb - 1] == '.');
}

/* A mail system's alert to its own administrator about mail refused on
 * the way *in* (GMS alert 8024 "session N was receiving a message from
 * the server at IP apparently from A to B … was rejected"): it writes
 * from domain D to someone at D about recipients at D, returns nothing,
 * states no failure in its Subject and carries no report.  A failure
 * notice tells the failed message's sender instead; inside one
 * organization such a notice returns the message or says what it is. */
static gboolean
is_inbound_alert(const BtMsgView *view, const char *from, const char *subject, gboolean copied,
                 const GPtrArray *recipients)
{
    if (copied || view->dsn || gen_is_bounce_subject(subject) || (subject && gen_is_failure_line(subject)))
        return FALSE;
    g_autofree char *to_field = bt_view_header(view, "To");
    g_autofree char *to = bt_address_clean(to_field);
    g_autofree char *author = bt_address_clean(from);
    const char *own = to ? bt_address_domain(to) : NULL;
    if (!own || !author || !domains_related(bt_address_domain(author), own))
        return FALSE;
    for (guint i = 0; i < recipients->len; i++) {
        const Candidate *c = recipients->pdata[i];
        if (!domains_related(bt_address_domain(c->address), own))
            return FALSE;
    }
    return TRUE;
}

gboolean
bt_decode_generic(BtMsgView *view, GPtrArray *records)
{
    g_autofree char *from = bt_view_header(view, "From");
    g_autofree char *subject = bt_view_header(view, "Subject");
    /* a bounce returned inside another: the inner report is read instead
     * (extract.c), the outer text is about returning it */
    if (!gen_announces_bounce(view, from, subject) || returned_is_report(view))
        return FALSE;
    int copy_at;
    g_auto(GStrv) lines = gen_notice_lines(view->body, &copy_at);
    int n = gen_notice_length(lines, copy_at);
    /* the copy is a message (its header block follows the marker) */
    gboolean copied;
    g_autofree char *copy = inline_copy_headers(lines, copy_at, &copied);
    if (!view->returned_headers)
        view->returned_headers = g_steal_pointer(&copy);
    copied = copied || view->returned != NULL;
    g_autofree char *failed = bt_view_header(view, "X-Failed-Recipients");
    /* nothing returned, from an ordinary envelope and address: a notice
     * in words only (gen_poses_as_mail_system) */
    if (!copied && !failed && gen_poses_as_mail_system(view, from))
        return FALSE;

    /* a report part or the MTA's own list of failed recipients (Exim's
     * X-Failed-Recipients) states the failure whatever the text words */
    gboolean has_failure = view->dsn != NULL || failed != NULL;
    for (int i = 0; i < n && !has_failure; i++)
        has_failure = gen_is_failure_line(lines[i]);
    /* wording an MTA folded over two lines ("could not / be delivered") */
    if (!has_failure)
        has_failure = gen_first_folded_failure_line(lines, n) >= 0;
    if (!has_failure) {
        g_autofree char *said = gen_subject_failure(view);
        has_failure = said != NULL;
    }
    gboolean lists_failed = has_failure || subject_states_failure(subject);
    if (!lists_failed)
        return FALSE;

    gboolean listed_failed;
    g_autoptr(GPtrArray) recipients = gen_pick_recipients(view, lines, n, lists_failed, copied, &listed_failed);
    if (!recipients->len || (!failed && is_inbound_alert(view, from, subject, copied, recipients)))
        return FALSE;
    gboolean delayed = gen_is_delay_warning(subject, lines, n);
    for (guint i = 0; i < recipients->len && i <= BT_MAX_RECIPIENTS; i++) {
        const Candidate *c = recipients->pdata[i];
        BtRecord *rec = bt_record_new();
        rec->recipient = g_strdup(c->address);
        rec->diagnosticcode = c->said ? g_strdup(c->said) : gen_diagnostic_among(lines, n, c->line, c->address, recipients);
        apply_status_part(view, rec);
        if (delayed && !rec->action)
            rec->action = g_strdup("delayed");
        /* Exim writes X-Failed-Recipients only into its failure notice
         * (deliver.c; the delay warning has none): an address it lists
         * has failed, even where a translated bounce_message_file text
         * leaves out "This is a permanent error" and the reason is an
         * expiry ("retry timeout exceeded") */
        else if (listed_failed && !rec->action)
            rec->action = g_strdup("failed");
        rec->decodedby = g_strdup("generic-text");
        g_ptr_array_add(records, rec);
    }
    return TRUE;
}
