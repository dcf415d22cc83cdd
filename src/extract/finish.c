/* finish — completes every record the decoders and layouts produced, the
 * same way whichever found it: addresses normalised, sender and dates from
 * the returned message, hosts, the reply code, the preferred status code
 * and the command read from the diagnostic text, which is then cleaned. */
#include "extract/decode.h"
#include "extract/text.h"
#include "core/lean-mime.h"
#include "core/literals.h"

#include <string.h>

static void
finish_addresses(const BtMsgView *view, BtRecord *rec)
{
    g_autofree char *alias = bt_address_clean(rec->alias);
    bt_set_str(&rec->alias, alias && g_ascii_strcasecmp(alias, rec->recipient) != 0 ? alias : NULL);
    bt_set_str(&rec->destination, bt_address_domain(rec->recipient));

    g_autofree char *addresser = bt_address_clean(rec->addresser);
    if (!addresser) {
        g_autofree char *from = bt_header_block_get(view->returned_headers, "From");
        addresser = bt_address_clean(from);
    }
    if (!addresser) {
        g_autofree char *to = bt_view_header(view, "To");
        addresser = bt_address_clean(to);
    }
    bt_set_str(&rec->addresser, addresser);
    bt_set_str(&rec->senderdomain, bt_address_domain(addresser));
}

static void
finish_date(const BtMsgView *view, BtRecord *rec)
{
    if (rec->timestamp)
        return;
    g_autofree char *returned = bt_header_block_get(view->returned_headers, "Date");
    if (bt_record_set_date(rec, returned))
        return;
    g_autofree char *own = bt_view_header(view, "Date");
    bt_record_set_date(rec, own);
}

/* "<text>" → "text"; the value inside the last <…> when there is one. */
static char *
inside_angles(const char *value)
{
    if (!value)
        return NULL;
    const char *open = strrchr(value, '<');
    const char *close = open ? strchr(open, '>') : NULL;
    if (open && close) {
        g_autofree char *inner = g_strndup(open + 1, close - open - 1);
        return bt_strdup_trimmed(inner);
    }
    return bt_strdup_trimmed(value);
}

static void
finish_returned_headers(const BtMsgView *view, BtRecord *rec)
{
    if (!view->returned_headers)
        return;
    if (!rec->subject)
        rec->subject = bt_header_block_get(view->returned_headers, "Subject");
    if (!rec->messageid) {
        g_autofree char *id = bt_header_block_get(view->returned_headers, "Message-ID");
        if (id && strchr(id, '@'))
            rec->messageid = inside_angles(id);
    }
    if (!rec->listid) {
        g_autofree char *list = bt_header_block_get(view->returned_headers, "List-Id");
        if (list && strchr(list, '<') && strchr(list, '.'))
            rec->listid = inside_angles(list);
    }
}

/* The host named in a Received: field's "from" (forward) or "by" clause. */
static char *
received_host(const char *received, const char *clause)
{
    g_autofree char *lower = bt_ascii_strdown(received, -1);
    g_autofree char *key = g_strdup_printf("%s ", clause);
    const char *p = strstr(lower, key);
    if (!p || (p > lower && !g_ascii_isspace(p[-1])))
        return NULL;
    p += strlen(key);
    while (*p == ' ' || *p == '[' || *p == '(')
        p++;
    gsize n = strcspn(p, " ;[]()\t");
    g_autofree char *host = g_strndup(p, n);
    gsize len = strlen(host);
    if (len && host[len - 1] == '.')
        host[len - 1] = '\0';
    return bt_is_internet_host(host) ? g_steal_pointer(&host) : NULL;
}

/* Remote and local hosts from the bounce's own Received: fields when the
 * report and the text name none: the earliest hop's sender is the remote
 * side, the latest hop's receiver the local side. */
static void
finish_hosts(const BtMsgView *view, BtRecord *rec)
{
    if (!rec->rhost)
        rec->rhost = bt_host_find(rec->diagnosticcode);
    if (rec->rhost && rec->lhost && g_ascii_strcasecmp(rec->rhost, rec->lhost) == 0)
        g_clear_pointer(&rec->lhost, g_free);
    if ((rec->rhost && rec->lhost) || !view->mime)
        return;
    const BtMimeTop *top = view->top;
    guint n = bt_mime_top_count(top);
    for (guint i = n; i-- > 0 && !rec->rhost;)
        if (g_ascii_strcasecmp(bt_mime_top_name(top, i), "Received") == 0)
            rec->rhost = received_host(bt_mime_top_value(top, i), "from");
    for (guint i = 0; i < n && !rec->lhost; i++)
        if (g_ascii_strcasecmp(bt_mime_top_name(top, i), "Received") == 0)
            rec->lhost = received_host(bt_mime_top_value(top, i), "by");
}

/* `code` as g_snprintf(buf, 8, "%d", code) writes it; a reply code (three
 * digits, or 0) without a printf, which cost more than the rest of
 * finishing the codes. */
static void
format_code(char buf[8], int code)
{
    if (code < 0 || code > 999) {
        g_snprintf(buf, 8, "%d", code);
        return;
    }
    char *w = buf;
    if (code >= 100)
        *w++ = (char) ('0' + code / 100);
    if (code >= 10)
        *w++ = (char) ('0' + code / 10 % 10);
    *w++ = (char) ('0' + code % 10);
    *w = '\0';
}

/* Whitespace runs to one space; the <html>…</html> some MTAs quote goes. */
static char *
sweep(const char *text)
{
    gsize len = strlen(text);
    gsize cut_at = len, cut_end = len;     /* the HTML to leave out: [cut_at, cut_end) */
    if (memchr(text, '<', len)) {
        g_autofree char *lower = bt_ascii_strdown(text, (gssize) len);
        const char *open = strstr(lower, "<html");
        const char *close = open ? strstr(open, "</html>") : NULL;
        if (open && close && open > lower) {
            cut_at = (gsize) (open - lower);
            cut_end = (gsize) (close + 7 - lower);
        }
    }
    char *out = g_malloc(len + 1);
    gsize n = 0;
    for (gsize i = 0; i < len; i = i == cut_at ? cut_end : i + 1) {
        if (i == cut_at)
            continue;
        if (!g_ascii_isspace(text[i]))
            out[n++] = text[i];
        else if (n && out[n - 1] != ' ')
            out[n++] = ' ';
    }
    out[n] = '\0';
    return g_strchomp(out);
}

/* Where `what` opens a word of `text` (at the front, after white space or
 * an opening mark, where a reply line starts once the lines are joined or
 * quoted), from `from` on: in "see …/errors/550-bl23.html" the "550-" is
 * part of a path, not a prefix. */
static const char *
find_word_start(const char *text, const char *from, const char *what)
{
    for (const char *hit = from; (hit = strstr(hit, what)); hit++)
        if (hit == text || !(g_ascii_isalnum(hit[-1]) || strchr("/-._=?&%+~", hit[-1])))
            return hit;
    return NULL;
}

/* Every copy of `what` that opens a word removed from `s`. */
static void
remove_word_starts(GString *s, const char *what)
{
    g_autofree char *text = g_strdup(s->str);
    gsize n = strlen(what);
    g_string_truncate(s, 0);
    const char *r = text;
    for (const char *hit; (hit = find_word_start(text, r, what)); r = hit + n)
        g_string_append_len(s, r, hit - r);
    g_string_append(s, r);
}

/* A multi-line SMTP reply ("550-5.7.1 text / 550-5.7.1 more / 550 5.7.1
 * end") reads as one sentence: the continuation prefixes go and the codes
 * are written once at the front. */
static char *
join_multiline_reply(const char *diag, int reply, const char *status)
{
    char code[8];
    format_code(code, reply);
    g_autofree char *dash = g_strconcat(code, "-", NULL);
    if (!reply || !find_word_start(diag, diag, dash))
        return g_strdup(diag);
    GString *s = g_string_new(diag);
    for (int sep = 0; sep < 2; sep++) {
        char c = sep ? ' ' : '-';
        if (status) {
            g_autofree char *both = g_strdup_printf("%s%c%s", code, c, status);
            remove_word_starts(s, both);
        }
        char one[8];
        g_snprintf(one, sizeof one, "%s%c", code, c);
        remove_word_starts(s, one);
    }
    g_autofree char *rest = g_string_free(s, FALSE);
    return g_strjoin(" ", code, status ? status : rest, status ? rest : NULL, NULL);
}

static gboolean
is_report_without_codes(const BtRecord *rec)
{
    return g_strcmp0(rec->reason, "feedback") == 0 || g_strcmp0(rec->reason, "vacation") == 0;
}

/* The reply code written just before `status` in `text` ("452 4.2.2 …"),
 * of the status's class and one SMTP defines, or 0. */
static int
reply_before_status(const char *text, const char *status)
{
    for (const char *p = strstr(text, status); p; p = strstr(p + 1, status)) {
        if (p - text < 4 || p[-1] != ' ' || !bt_reply_number_at(text, p - 4, status[0]) || p[-4] != status[0])
            continue;
        char code[4] = { p[-4], p[-3], p[-2], '\0' };
        return bt_reply_find(code, status[0]);
    }
    return 0;
}

/* X.4.7 (delivery time expired) says only that the MTA gave up; RFC 3463
 * asks for the code of the problem the delivery attempts met instead.
 * MTAs that log their attempts in the text give it there, with the reply
 * code that came with it when the report's own reply is a placeholder
 * (Exchange's "400 4.4.7 Message delayed"). */
static void
prefer_attempt_status(const BtMsgView *view, BtRecord *rec)
{
    const char *status = rec->deliverystatus;
    if (!status || strlen(status) != 5 || strcmp(status + 1, ".4.7") != 0)
        return;
    g_autofree char *about = bt_body_texts_about(view->body, rec->recipient);
    g_autofree char *attempt = bt_status_find(about);
    if (!attempt || strcmp(attempt + 1, ".4.7") == 0 || strcmp(attempt + 1, ".0.0") == 0)
        return;
    bt_set_str(&rec->deliverystatus, attempt);
    if (!rec->replycode)
        rec->replycode = reply_before_status(about, attempt);
}

/* Reply code, status and command from the diagnostic text, then the text
 * itself cleaned. */
static void
finish_codes(const BtMsgView *view, BtRecord *rec)
{
    const char *diag = rec->diagnosticcode;
    g_autofree char *found = bt_status_find(diag);
    int reply = bt_reply_find(diag, found ? found[0] : 0);
    /* Sendmail's reply form "553 5.3.0 <ADDR>... 550 worldnet addressee
     * unknown" (AT&T WorldNet, quoted on pastebin.com/MMGUFmXp): the code
     * that opens it is the reply; a number after "<ADDR>... " is the
     * text the server put in it, not the reply */
    if (found && found[0] >= '4' && strlen(diag) > 4 && g_str_has_prefix(diag + 4, found) && strstr(diag, ">... ")) {
        int lead = reply_before_status(diag, found);
        if (lead)
            reply = lead;
    }
    if (!rec->replycode)
        rec->replycode = reply;
    char reply_text[8] = "";
    if (rec->replycode)
        format_code(reply_text, rec->replycode);
    bt_set_str(&rec->deliverystatus, bt_status_prefer(rec->deliverystatus, found, reply_text));
    prefer_attempt_status(view, rec);

    /* a reply code of another class than the status is someone else's */
    if (rec->deliverystatus && rec->replycode && rec->deliverystatus[0] != '0' + rec->replycode / 100)
        rec->replycode = bt_reply_find(diag, rec->deliverystatus[0]);

    if (!rec->command)
        bt_set_str(&rec->command, bt_command_find(diag));
    if (!rec->command) {
        /* the transcript's own command for this recipient */
        g_autofree char *sent = bt_text_command(view, rec->recipient);
        bt_set_str(&rec->command, sent);
    }
    if (!rec->command) {
        /* the command the quoted reply answered, whoever it names */
        g_autofree char *answered = bt_text_reply_command(view, diag);
        bt_set_str(&rec->command, answered);
    }
    if (!rec->command) {
        g_autofree char *about = bt_body_text_about(view->body, rec->recipient);
        bt_set_str(&rec->command, bt_command_find(about));
    }
    if (diag) {
        g_autofree char *joined = join_multiline_reply(diag, reply, found);
        g_autofree char *clean = sweep(joined);
        bt_set_str(&rec->diagnosticcode, *clean ? clean : NULL);
    }
    if (!rec->action && rec->deliverystatus && strchr("45", rec->deliverystatus[0]))
        rec->action = g_strdup("failed");
    if (!rec->diagnostictype)
        rec->diagnostictype = g_strdup("SMTP");
}

/* Whichever decoder read it, a diagnostic that is only a lead-in ("For
 * the following reason:", "The error that the other server returned
 * was:") or the original's header lines ("To: … Subject: …") is not the
 * reason: other MTAs and versions put one above the reply, and the
 * sentence that explains follows it.  A reply wrapped over indented lines
 * is read whole. */
static void
finish_lead_in(const BtMsgView *view, BtRecord *rec)
{
    if (!view->body)
        return;
    if (!rec->diagnosticcode || !*rec->diagnosticcode) {
        /* a layout's block that ended at a lead-in under the address */
        /* (a layout's hint "undefined" knows nothing the text could contradict) */
        gboolean hinted = rec->reason && g_strcmp0(rec->reason, "undefined") != 0;
        g_autofree char *after = hinted ? NULL : bt_text_after_lead_in(view, rec->recipient);
        if (after)
            bt_set_str(&rec->diagnosticcode, after);
        return;
    }
    g_autofree char *own = bt_text_own_reply(view, rec->recipient, rec->addresser, rec->diagnosticcode);
    if (own) {
        /* the codes taken with another recipient's reply are not this one's */
        char code[8];
        format_code(code, rec->replycode);
        if (rec->replycode && strstr(rec->diagnosticcode, code))
            rec->replycode = 0;
        if (rec->deliverystatus && strstr(rec->diagnosticcode, rec->deliverystatus))
            g_clear_pointer(&rec->deliverystatus, g_free);
        bt_set_str(&rec->diagnosticcode, own);
    }
    g_autofree char *better = bt_text_instead_of_lead_in(view, rec->recipient, rec->diagnosticcode);
    if (better)
        bt_set_str(&rec->diagnosticcode, better);
    g_autofree char *reply = bt_text_reply_below(view, rec->recipient, rec->diagnosticcode);
    if (reply)
        bt_set_str(&rec->diagnosticcode, reply);
    g_autofree char *whole = bt_text_continued(view, rec->diagnosticcode);
    if (whole)
        bt_set_str(&rec->diagnosticcode, whole);
}

gboolean
bt_finish_record(const BtMsgView *view, BtRecord *rec)
{
    g_autofree char *recipient = bt_address_clean(rec->recipient);
    if (!recipient)
        return FALSE;
    bt_set_str(&rec->recipient, recipient);
    finish_addresses(view, rec);
    finish_date(view, rec);
    finish_returned_headers(view, rec);
    finish_lead_in(view, rec);
    if (!is_report_without_codes(rec))
        finish_codes(view, rec);
    else if (rec->diagnosticcode) {
        g_autofree char *clean = sweep(rec->diagnosticcode);
        bt_set_str(&rec->diagnosticcode, clean);
    }
    finish_hosts(view, rec);
    return TRUE;
}
