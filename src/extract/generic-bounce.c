/* generic-bounce — whether a message announces itself as a bounce at
 * all (or only a delay): its sender, its subject (and the reply and
 * forward prefixes a person's message carries), its report part.  Part
 * of the generic decoder's reading of a notice (generic-lines.h), shared
 * by generic.c, the layouts' built-in conditions and the auto-reply
 * reader.  Pure functions over strings and the message view. */
#include "extract/decode.h"
#include "extract/text.h"
#include "core/literals.h"
#include "extract/generic-words.h"
#include "extract/generic-lines.h"

#include <string.h>

/* ---- is it a bounce at all? ------------------------------------------------ */

/* The prefixes mail clients put before a subject they answer or pass on:
 * RFC 5322 section 3.6.5's "Re:", and the localised forms of Outlook,
 * Thunderbird and webmail clients (German AW/WG, Scandinavian SV,
 * Finnish VS, Dutch Antw/Doorst, French TR, Spanish RV, Portuguese
 * RES/ENC, Italian R/RIF, Polish ODP, Turkish YNT, Chinese and Japanese).
 * A responder or a mail system never writes one before its own words. */
typedef struct {
    const char *mark;   /* lower case, without the colon */
    gboolean forward;
} SubjectMark;

static const SubjectMark subject_marks[] = {
    { "re", FALSE },   { "aw", FALSE },     { "sv", FALSE },   { "vs", FALSE },
    { "antw", FALSE }, { "odp", FALSE },    { "ynt", FALSE },  { "res", FALSE },
    { "r", FALSE },    { "rif", FALSE },    { "回复", FALSE },   { "答复", FALSE }, { "返信", FALSE },
    { "fwd", TRUE },   { "fw", TRUE },      { "wg", TRUE },    { "tr", TRUE },
    { "rv", TRUE },    { "enc", TRUE },     { "doorst", TRUE }, { "转发", TRUE },
    { "転送", TRUE },  { NULL, FALSE },
};

/* The colon after a mark, ASCII or full-width, spaces allowed before
 * it ("RE :", French style). */
static gboolean
mark_ends_at(const char *p)
{
    while (*p == ' ')
        p++;
    return *p == ':' || g_str_has_prefix(p, "\xef\xbc\x9a");
}

GenSubjectPrefix
gen_subject_prefix(const char *subject)
{
    if (!subject)
        return GEN_SUBJECT_OWN;
    const char *s = subject;
    while (*s == ' ' || *s == '\t' || *s == '[')
        s++;
    for (int i = 0; subject_marks[i].mark; i++) {
        gsize n = strlen(subject_marks[i].mark);
        if (g_ascii_strncasecmp(s, subject_marks[i].mark, n) == 0 && !g_ascii_isalpha(s[n])
            && mark_ends_at(s + n))
            return subject_marks[i].forward ? GEN_SUBJECT_FORWARD : GEN_SUBJECT_REPLY;
    }
    return GEN_SUBJECT_OWN;
}

gboolean
gen_is_null_path(const char *return_path)
{
    g_autofree char *path = bt_strdup_trimmed(return_path);
    return path
           && (strcmp(path, "<>") == 0 || g_ascii_strcasecmp(path, "<MAILER-DAEMON>") == 0
               || g_ascii_strcasecmp(path, "MAILER-DAEMON") == 0);
}

char *
gen_subject_marks_pattern(void)
{
    g_autoptr(GString) alt = g_string_new("(?:");
    for (int i = 0; subject_marks[i].mark; i++)
        g_string_append_printf(alt, "%s%s", i ? "|" : "", subject_marks[i].mark);
    g_string_append(alt, ")\\s*(?::|\xef\xbc\x9a)");
    return g_string_free(g_steal_pointer(&alt), FALSE);
}

/* Does the Subject begin with a forward prefix?  The raw field is read
 * as it stands (no decoding, no copy: this is asked of every notice), an
 * RFC 2047 encoded one decoded. */
static gboolean
has_forward_subject(const BtMsgView *view)
{
    const char *raw = view->mime ? bt_mime_top_get(view->top, "Subject") : NULL;
    if (!raw)
        return FALSE;
    if (!strstr(raw, "=?"))
        return gen_subject_prefix(raw) == GEN_SUBJECT_FORWARD;
    g_autofree char *subject = bt_view_header(view, "Subject");
    return gen_subject_prefix(subject) == GEN_SUBJECT_FORWARD;
}

static gboolean
content_type_is(GMimeObject *obj, const char *type, const char *subtype)
{
    return obj && bt_mime_is_type(obj, type, subtype);
}

gboolean
gen_is_report(const BtMsgView *view)
{
    return content_type_is(bt_mime_body_of(view->mime), "multipart", "report");
}

gboolean
gen_is_auto_submitted(const char *value)
{
    while (value && (*value == ' ' || *value == '\t'))
        value++;
    return value && g_ascii_strncasecmp(value, "auto-", 5) == 0;
}

char *
gen_report_type(const BtMsgView *view)
{
    if (!gen_is_report(view))
        return NULL;
    char *type = bt_mime_type_parameter(bt_mime_body_of(view->mime), "report-type");
    return type ? type : g_strdup("");
}

static gboolean
is_delivery_report_type(const char *type)
{
    return g_ascii_strcasecmp(type, "delivery-status") == 0 || g_ascii_strcasecmp(type, "global-delivery-status") == 0;
}

/* A read receipt (RFC 8098) or another report that is no delivery status. */
static gboolean
is_other_report(const BtMsgView *view)
{
    g_autofree char *type = gen_report_type(view);
    return type && *type && !is_delivery_report_type(type);
}

static gboolean
is_daemon_sender(const char *from)
{
    return from && gen_text_has_word(from, gen_daemon_senders);
}

gboolean
gen_is_daemon_sender(const char *from)
{
    return is_daemon_sender(from);
}

/* Does an ordinary mailbox only call itself a mail system?  A
 * non-delivery notice goes out with a null reverse-path (RFC 5321
 * section 4.5.5, RFC 3464 section 2), so its Return-Path is "<>" or names
 * the daemon; a message whose envelope sender and From address are both
 * ordinary mailboxes, with a daemon's name only in From's display name or
 * a bounce's words only in its Subject, is somebody's mail imitating a
 * notice (the phishing that asks to "release pending messages"). */
gboolean
gen_poses_as_mail_system(const BtMsgView *view, const char *from)
{
    g_autofree char *path = bt_view_header(view, "Return-Path");
    g_autofree char *envelope = bt_address_clean(path);
    g_autofree char *author = bt_address_clean(from);
    if (!envelope || !author || view->dsn || gen_is_report(view))
        return FALSE;   /* no envelope on record, a null one, or a report */
    return !is_daemon_sender(envelope) && !is_daemon_sender(author);
}

/* A reply or a forward (a person's mail about a bounce) or a list's
 * newsletter: a conversation, whoever signs it — a postmaster answering
 * a user quotes the bounce too. */
static gboolean
is_conversation(const BtMsgView *view, const char *subject)
{
    g_autofree char *unsubscribe = bt_view_header(view, "List-Unsubscribe");
    return unsubscribe || gen_subject_prefix(subject) != GEN_SUBJECT_OWN;
}

gboolean
gen_announces_bounce(const BtMsgView *view, const char *from, const char *subject)
{
    if (is_other_report(view))
        return FALSE;
    g_autofree char *failed = bt_view_header(view, "X-Failed-Recipients");
    if (view->dsn || failed)
        return TRUE;
    /* a delivery report by its type, whatever parts it kept */
    g_autofree char *type = gen_report_type(view);
    if (type && is_delivery_report_type(type))
        return TRUE;
    /* LISTSERV's delivery error report to a list's owners (the layouts'
     * `bounce-notice` names its header field the same way) */
    g_autofree char *lsv = bt_view_header(view, "X-Report-Type");
    if (lsv && g_ascii_strncasecmp(g_strchug(lsv), "nondelivery", 11) == 0)
        return TRUE;
    if (is_conversation(view, subject))
        return FALSE;
    if (is_daemon_sender(from))
        return TRUE;
    /* a machine's message (RFC 3834 Auto-Submitted) that returns one */
    g_autofree char *submitted = bt_view_header(view, "Auto-Submitted");
    if (gen_is_auto_submitted(submitted) && view->returned)
        return TRUE;
    return gen_is_bounce_subject(subject);
}

/* A person's forward ("Fwd: Delivery Status Notification"): a Subject a
 * mail client prefixed for a forward (a reply's "Re:" is left out: some
 * MTAs title their notice "Re: " and the original's subject), a sender
 * that is no mail system, and no delivery report, X-Failed-Recipients or
 * Auto-Submitted, which only machines write. */
gboolean
gen_is_personal_forward(const BtMsgView *view)
{
    if (view->dsn || !has_forward_subject(view) || gen_is_report(view))
        return FALSE;
    g_autofree char *from = bt_view_header(view, "From");
    g_autofree char *failed = bt_view_header(view, "X-Failed-Recipients");
    g_autofree char *submitted = bt_view_header(view, "Auto-Submitted");
    return from && !is_daemon_sender(from) && !failed
        && !(submitted && g_ascii_strncasecmp(submitted, "auto-", 5) == 0);
}

gboolean
gen_is_unmarked_reply(const BtMsgView *view)
{
    g_autofree char *subject = bt_view_header(view, "Subject");
    if (gen_subject_prefix(subject) != GEN_SUBJECT_REPLY)
        return FALSE;
    g_autofree char *submitted = bt_view_header(view, "Auto-Submitted");
    g_autofree char *failed = bt_view_header(view, "X-Failed-Recipients");
    g_autofree char *path = bt_view_header(view, "Return-Path");
    return !failed && !gen_is_auto_submitted(submitted) && !(path && gen_is_null_path(path));
}

gboolean
gen_is_bounce_subject(const char *subject)
{
    return subject && gen_text_has_word(subject, gen_bounce_subjects);
}

/* A warning that delivery is delayed (and will be retried), not a failure. */
gboolean
gen_is_delay_warning(const char *subject, char **lines, int n)
{
    /* subject and lines joined by "\n", in one allocation */
    gsize size = (subject ? strlen(subject) : 0) + 1;
    for (int i = 0; i < n; i++)
        size += strlen(lines[i]) + 1;
    g_autofree char *text = g_malloc(size);
    char *end = subject ? g_stpcpy(text, subject) : text;
    for (int i = 0; i < n; i++) {
        *end++ = '\n';
        end = g_stpcpy(end, lines[i]);
    }
    *end = '\0';
    g_autofree char *f = gen_fold(text);
    return gen_has_word(f, gen_delay_words) && !gen_has_word(f, gen_final_words);
}
