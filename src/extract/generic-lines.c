/* generic-lines — how the generic decoder (generic.c) and the readers of
 * one record's text (notice-text.c) read a notice's own text: its words
 * (failure wording, reply and status codes), whether the message announces
 * itself as a bounce at all (or only a delay), its lines (labels, header
 * lines, where an inline copy of the original starts), a line's shape
 * (indentation, lead-ins, rules) and the addresses on a line.  Pure
 * functions over strings and the message view. */
#include "extract/decode.h"
#include "extract/text.h"
#include "core/literals.h"
#include "extract/generic-words.h"
#include "extract/generic-lines.h"

#include <string.h>

/* A notice's own text is short: lines past this many are not read (a
 * hostile message must not cost time in proportion to its size). */
#define MAX_NOTICE_LINES 2000

/* ---- words ---------------------------------------------------------------- */

gboolean
gen_has_word(const char *folded, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (strstr(folded, words[i]))
            return TRUE;
    return FALSE;
}

/* `s` case-folded, for has_word (the tables are in lower case). */
char *
gen_fold(const char *s)
{
    return s ? bt_casefold(s) : g_strdup("");
}

static gboolean
text_has_word(const char *s, const char *const *words)
{
    g_autofree char *f = gen_fold(s);
    return gen_has_word(f, words);
}

/* "550 …", "550-…", "#5.1.1", "5.1.1": an SMTP reply or status code. */
gboolean
gen_has_code(const char *line)
{
    g_autofree char *status = bt_status_first(line);
    if (status && status[0] != '2')
        return TRUE;
    for (const char *p = line; *p; p++) {
        if ((*p == '4' || *p == '5') && g_ascii_isdigit(p[1]) && g_ascii_isdigit(p[2])
            && (p[3] == ' ' || p[3] == '-') && (p == line || !g_ascii_isalnum(p[-1])))
            return TRUE;
    }
    return FALSE;
}

/* The line with every word holding an '@' blanked: an address such as
 * failed@example.org or a domain of words says nothing about a failure. */
static char *
without_addresses(const char *line)
{
    char *out = g_strdup(line);
    for (char *at = strchr(out, '@'); at; at = strchr(at + 1, '@')) {
        char *start = at, *end = at;
        while (start > out && !g_ascii_isspace(start[-1]))
            start--;
        while (*end && !g_ascii_isspace(*end))
            end++;
        memset(start, ' ', end - start);
        at = end > at ? end - 1 : at;
    }
    return out;
}

gboolean
gen_is_failure_line(const char *line)
{
    if (strchr(line, '@')) {
        g_autofree char *words = without_addresses(line);
        return text_has_word(words, gen_failure_words) || gen_has_code(words);
    }
    return text_has_word(line, gen_failure_words) || gen_has_code(line);
}

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
    GMimeContentType *ct = obj ? g_mime_object_get_content_type(obj) : NULL;
    return ct && g_mime_content_type_is_type(ct, type, subtype);
}

const char *
gen_report_type(const BtMsgView *view)
{
    GMimeObject *top = bt_mime_body_of(view->mime);
    if (!content_type_is(top, "multipart", "report"))
        return NULL;
    const char *type = g_mime_object_get_content_type_parameter(top, "report-type");
    return type ? type : "";
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
    const char *type = gen_report_type(view);
    return type && *type && !is_delivery_report_type(type);
}

static gboolean
is_daemon_sender(const char *from)
{
    return from && text_has_word(from, gen_daemon_senders);
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
    if (!envelope || !author || view->dsn || gen_report_type(view))
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
    const char *type = gen_report_type(view);
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
    if (submitted && g_ascii_strncasecmp(submitted, "auto-", 5) == 0 && view->returned)
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
    if (view->dsn || !has_forward_subject(view) || gen_report_type(view))
        return FALSE;
    g_autofree char *from = bt_view_header(view, "From");
    g_autofree char *failed = bt_view_header(view, "X-Failed-Recipients");
    g_autofree char *submitted = bt_view_header(view, "Auto-Submitted");
    return from && !is_daemon_sender(from) && !failed
        && !(submitted && g_ascii_strncasecmp(submitted, "auto-", 5) == 0);
}

gboolean
gen_is_bounce_subject(const char *subject)
{
    return subject && text_has_word(subject, gen_bounce_subjects);
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

/* ---- the notice's own text ---------------------------------------------- */

/* Han, Hiragana or Katakana: the scripts whose notices space a label's
 * characters out to align a column ("收 件 人：", "主　　题："). */
static gboolean
is_ideographic(gunichar u)
{
    GUnicodeScript script = g_unichar_get_script(u);
    return script == G_UNICODE_SCRIPT_HAN || script == G_UNICODE_SCRIPT_HIRAGANA
        || script == G_UNICODE_SCRIPT_KATAKANA;
}

/* `name` without the spaces (ASCII or ideographic) that stand between two
 * ideographs, so that an aligned label reads as the word it spells;
 * spaces between words of other scripts stay ("받는 사람", "Failed
 * Recipient"). */
static char *
squeeze_ideographic_spaces(const char *name)
{
    if (!g_utf8_validate(name, -1, NULL))
        return g_strdup(name);
    GString *out = g_string_new(NULL);
    gunichar last = 0;
    for (const char *p = name; *p; ) {
        gunichar u = g_utf8_get_char(p);
        if (u == ' ' || u == 0x3000) {
            const char *q = p;
            while (*q == ' ' || g_utf8_get_char(q) == 0x3000)
                q = g_utf8_next_char(q);
            gboolean between = last && *q && is_ideographic(last) && is_ideographic(g_utf8_get_char(q));
            if (!between)
                g_string_append_len(out, p, q - p);
            p = q;
            continue;
        }
        g_string_append_unichar(out, u);
        last = u;
        p = g_utf8_next_char(p);
    }
    return g_string_free(out, FALSE);
}

/* Removes trailing white space from `s`, including the no-break spaces
 * French typography puts before a colon ("Destinataire\u00a0:", U+00A0
 * and U+202F) and the ideographic space. */
static void
chomp_wide_spaces(char *s)
{
    static const char *const wide[] = { "\xc2\xa0", "\xe2\x80\xaf", "\xe3\x80\x80", NULL };
    for (gboolean more = TRUE; more; ) {
        g_strchomp(s);
        more = FALSE;
        gsize len = strlen(s);
        for (int i = 0; wide[i]; i++)
            if (g_str_has_suffix(s, wide[i])) {
                s[len - strlen(wide[i])] = '\0';
                more = TRUE;
                break;
            }
    }
}

/* The first colon of `s`, ASCII or the full-width one of CJK notices
 * ("退信原因："), or NULL; *width is its length in bytes. */
static const char *
first_colon(const char *s, gsize *width)
{
    const char *colon = strchr(s, ':');
    /* the full-width one (EF BC 9A) counts only before the ASCII one, so
     * only the bytes before that are searched, from its lead byte */
    gsize span = colon ? (gsize) (colon - s) : strlen(s);
    *width = 1;
    for (const char *p = memchr(s, 0xEF, span); p; p = memchr(p + 1, 0xEF, span - (gsize) (p + 1 - s)))
        if ((guchar) p[1] == 0xBC && (guchar) p[2] == 0x9A) {
            *width = strlen("：");
            return p;
        }
    return colon;
}

const char *
gen_label_value(const char *line)
{
    gsize width;
    const char *colon = first_colon(line, &width);
    return colon ? colon + width : NULL;
}

/* The field name of a "Name: value" line (lower case, without the colon),
 * or NULL when the line is none.  Names may hold spaces ("Recipient
 * address:") but not many. */
char *
gen_line_label(const char *line)
{
    const char *s = line;
    while (*s == ' ' || *s == '\t' || *s == '-' || *s == '*')
        s++;
    gsize width;
    const char *colon = first_colon(s, &width);
    if (!colon || colon == s || colon - s > 40 || memchr(s, '@', colon - s))
        return NULL;
    gsize raw_len = colon - s;
    g_autofree char *raw = g_strndup(s, raw_len);
    g_autofree char *name = NULL;
    if (bt_ascii_run(raw, raw_len) == raw_len) {
        /* an ASCII name has no wide space to chomp nor ideographs to
         * squeeze: most labels take this way */
        g_strchomp(raw);
        name = g_steal_pointer(&raw);
    } else {
        chomp_wide_spaces(raw);
        name = squeeze_ideographic_spaces(raw);
    }
    int spaces = 0;
    for (const char *p = name; *p; p++)
        spaces += *p == ' ';
    if (!*name || spaces > 3)
        return NULL;
    /* "(s)" as in "Recipient(s):" */
    char *paren = strstr(name, "(s)");
    if (paren)
        memmove(paren, paren + 3, strlen(paren + 3) + 1);
    return gen_fold(name);
}

gboolean
gen_label_in(const char *label, const char *const *labels)
{
    for (int i = 0; label && labels[i]; i++)
        if (strcmp(label, labels[i]) == 0)
            return TRUE;
    return FALSE;
}

gboolean
gen_is_header_line(const char *line)
{
    g_autofree char *label = gen_line_label(line);
    return gen_label_in(label, gen_header_labels)
        || (label && (g_str_has_prefix(label, "x-") || g_str_has_prefix(label, "content-")));
}

gboolean
gen_contains_lower(const char *hay, const char *lower)
{
    if (!*lower)
        return TRUE;
    for (const char *h = hay; *h; h++) {
        if (g_ascii_tolower(*h) != *lower)
            continue;
        gsize k = 1;
        while (lower[k] && g_ascii_tolower(h[k]) == lower[k])
            k++;
        if (!lower[k])
            return TRUE;
    }
    return FALSE;
}

gboolean
gen_is_blank(const char *line)
{
    for (const char *p = line; *p; p++)
        if (!g_ascii_isspace(*p))
            return FALSE;
    return TRUE;
}

/* What follows a marker's words on a heading ("… follows", "… below",
 * "---", or a few words): Sendmail's "The original message was received
 * at DATE from HOST" opens the notice and is a sentence, not a heading. */
static gboolean
is_marker_rest(const char *rest)
{
    static const char *const heading_words[] = { "follow", "below", "attach", "includ", "---", NULL };
    g_autofree char *trimmed = g_strstrip(g_strdup(rest));
    if (gen_has_word(rest, heading_words) || g_str_has_suffix(trimmed, ":"))
        return TRUE;
    int words = 0;
    for (const char *p = rest; *p; p++)
        words += !g_ascii_isspace(*p) && (p == rest || g_ascii_isspace(p[-1]));
    return words <= 3;
}

/* What the marker tests ask of the markers on every notice line, worked
 * out once: their lengths, the longest, and the bytes they start with. */
typedef struct {
    gsize len[G_N_ELEMENTS(gen_original_markers)];
    gsize longest;
    gboolean starts[256];
} MarkerTable;

static const MarkerTable *
marker_table(void)
{
    static MarkerTable table;
    static gsize ready;
    if (g_once_init_enter(&ready)) {
        table.longest = 1;
        for (int i = 0; gen_original_markers[i]; i++) {
            table.len[i] = strlen(gen_original_markers[i]);
            table.longest = MAX(table.longest, table.len[i]);
            table.starts[(guchar) gen_original_markers[i][0]] = TRUE;
        }
        g_once_init_leave(&ready, 1);
    }
    return &table;
}

/* Can a line whose text starts at `s` fold to a marker's start?  Most
 * lines answer no without being folded: an ASCII letter folds to itself
 * in lower case, and a non-ASCII character folds on its own (GLib folds
 * character by character), so folding it alone tells the first byte of
 * the folded line; a broken sequence is left to the whole line's fold. */
static gboolean
may_start_marker(const MarkerTable *t, const char *s)
{
    char c = *s;
    g_autofree char *first = NULL;
    if (c & 0x80) {
        gssize len = g_utf8_skip[(guchar) c];
        if (!g_utf8_validate(s, len, NULL))
            return TRUE;
        first = g_utf8_casefold(s, len);
        c = first[0];
    }
    return t->starts[(guchar) g_ascii_tolower(c)];
}

static gboolean
is_original_marker(const char *line)
{
    const MarkerTable *t = marker_table();
    const char *s = line;
    while (*s == '-' || *s == ' ' || *s == '=' || *s == '_' || *s == '>')
        s++;
    if (!may_start_marker(t, s))
        return FALSE;
    /* a line whose start is ASCII as far as the longest marker reaches
     * folds there to its ASCII lower case: the markers are compared with
     * it in place, and only a line that has one is folded whole */
    gsize head = strnlen(s, t->longest);
    if (bt_ascii_run(s, head) == head) {
        char first = g_ascii_tolower(s[0]);
        for (int i = 0; gen_original_markers[i]; i++) {
            const char *m = gen_original_markers[i];
            if (m[0] == first && g_ascii_strncasecmp(s, m, t->len[i]) == 0) {
                g_autofree char *f = gen_fold(s);
                return is_marker_rest(f + t->len[i]);
            }
        }
        return FALSE;
    }
    g_autofree char *f = gen_fold(s);
    for (int i = 0; gen_original_markers[i]; i++)
        if (g_str_has_prefix(f, gen_original_markers[i]))
            return is_marker_rest(f + t->len[i]);
    return FALSE;
}

/* Does the header block of a message start at line i (three header fields
 * in a row, one of them Received, Return-Path, From or Message-ID)? */
gboolean
gen_starts_header_block(char **lines, int i)
{
    /* its first line must be a field ("Name: value"): most lines are not */
    const char *first_colon = strchr(lines[i], ':');
    if (!first_colon || first_colon[1] != ' ')
        return FALSE;
    int fields = 0;
    gboolean core = FALSE;
    for (int k = i; lines[k] && k < i + 6; k++) {
        if (lines[k][0] == ' ' || lines[k][0] == '\t') {
            if (k == i)
                return FALSE;
            continue;
        }
        g_autofree char *label = gen_line_label(lines[k]);
        const char *colon = strchr(lines[k], ':');
        if (!label || !colon || colon[1] != ' ')
            break;
        core = core || !g_strcmp0(label, "received") || !g_strcmp0(label, "return-path")
            || !g_strcmp0(label, "message-id") || !g_strcmp0(label, "from");
        fields++;
    }
    return fields >= 3 && core;
}

/* The lines of the notice's own text, up to an inline copy of the
 * original; *copy_at gets the index of the copy's first line (or -1). */
/* Do the paragraphs of `len` lines at a and b hold the same text? */
static gboolean
same_paragraph(char **lines, int a, int b, int len)
{
    for (int k = 0; k < len; k++) {
        g_autofree char *x = g_strstrip(g_strdup(lines[a + k]));
        g_autofree char *y = g_strstrip(g_strdup(lines[b + k]));
        if (strcmp(x, y) != 0)
            return FALSE;
    }
    return TRUE;
}

/* An alias loop or a retrying MTA prints a recipient's paragraph twice in
 * a row: the repeat is blanked, so it is read once (and the line after a
 * lead-in is not the lead-in's copy). */
static void
blank_repeated_paragraphs(char **lines, int n)
{
    int prev = -1, prev_len = 0;
    for (int i = 0; i < n; ) {
        if (gen_is_blank(lines[i])) {
            i++;
            continue;
        }
        int len = 0;
        while (i + len < n && !gen_is_blank(lines[i + len]))
            len++;
        if (prev >= 0 && len == prev_len && same_paragraph(lines, prev, i, len)) {
            for (int k = i; k < i + len; k++) {
                g_free(lines[k]);
                lines[k] = g_strdup("");
            }
        } else {
            prev = i;
            prev_len = len;
        }
        i += len;
    }
}

char **
gen_notice_lines(const char *body, int *copy_at)
{
    char **lines = bt_strsplit_lines(body ? body : "");
    *copy_at = -1;
    /* a header block the text opens with is no copy of the original: a
     * gateway's own trace (Received:, X- fields) copied above its notice,
     * or a text that is all header; a copy starts only after it */
    int lead = 0;
    if (lines[0] && gen_starts_header_block(lines, 0))
        while (lines[lead] && lead < MAX_NOTICE_LINES && !gen_is_blank(lines[lead]))
            lead++;
    for (int i = 0; lines[i]; i++) {
        if (i >= MAX_NOTICE_LINES)
            break;
        if (is_original_marker(lines[i]) || (i > lead && gen_starts_header_block(lines, i))) {
            *copy_at = i;
            break;
        }
    }
    blank_repeated_paragraphs(lines, gen_notice_length(lines, *copy_at));
    return lines;
}

/* How many lines of the notice are read: up to the copy, at most
 * MAX_NOTICE_LINES. */
int
gen_notice_length(char **lines, int copy_at)
{
    if (copy_at >= 0)
        return copy_at;
    int n = 0;
    while (lines[n] && n < MAX_NOTICE_LINES)
        n++;
    return n;
}

/* ---- a line's shape ------------------------------------------------------ */

int
gen_indent_of(const char *line)
{
    int n = 0;
    for (; *line == ' ' || *line == '\t'; line++)
        n += *line == '\t' ? 8 : 1;
    return n;
}

/* `s` with each run of white space made one space and none at either
 * end; NULL when nothing is left.  Written into one buffer of the input's
 * size, not a GString per byte: it runs on every notice line. */
char *
gen_squeezed(const char *s)
{
    gsize n = strlen(s);
    char *out = g_malloc(n + 1);
    if (!bt_text_squeeze_into(out, s, n, TRUE)) {
        g_free(out);
        return NULL;
    }
    return out;
}

/* A line that only announces what follows it, ending in a colon
 * ("Reason:", "For the following reason:"): text.c's test, which the
 * layouts' second reading shares. */
gboolean
gen_is_colon_lead_in(const char *line)
{
    return bt_text_is_heading(line, strlen(line));
}

int
gen_label_score(const char *line)
{
    g_autofree char *label = gen_line_label(line);
    if (!label)
        return 0;
    if (gen_label_in(label, gen_recipient_labels))
        return 3;
    if (gen_has_word(label, gen_sender_words))
        return -1;
    if (gen_label_in(label, gen_to_labels))
        return 1;
    /* another header field: its address explains nothing */
    return gen_label_in(label, gen_header_labels) ? -1 : 0;
}

/* A line that only repeats the header of the original (To:, Subject:, …). */
gboolean
gen_is_header_like(const char *line)
{
    return gen_is_header_line(line) || gen_label_score(line) == 1;
}

/* A sentence that starts like a lead-in ("For the following reason …"). */
gboolean
gen_is_worded_lead_in(const char *line)
{
    g_autofree char *trimmed = g_strstrip(g_strdup(line));
    if (gen_has_code(trimmed))
        return FALSE;
    g_autofree char *f = gen_fold(trimmed);
    for (int i = 0; gen_lead_ins[i]; i++)
        if (g_str_has_prefix(f, gen_lead_ins[i]))
            return TRUE;
    return FALSE;
}

gboolean
gen_is_lead_in(const char *line)
{
    g_autofree char *trimmed = g_strstrip(g_strdup(line));
    gsize n = strlen(trimmed);
    if (n && (trimmed[n - 1] == ':' || g_str_has_suffix(trimmed, "：")) && !gen_has_code(trimmed))
        return TRUE;
    return gen_is_worded_lead_in(trimmed);
}

/* The characters rules are drawn with ("-----", "=====", "*****"). */
static const char rule_marks[] = "-=_*#~";

/* A rule ("-----", "=== ==="), or a section title framed by rules on
 * both sides, as Sendmail's "----- Transcript of session follows -----"
 * (savemail.c): either parts one recipient's text from what follows. */
gboolean
gen_is_separator(const char *line)
{
    int marks = 0, other = 0;
    for (const char *p = line; *p; p++) {
        if (strchr(rule_marks, *p))
            marks++;
        else if (!g_ascii_isspace(*p))
            other++;
    }
    if (marks >= 3 && other < marks)
        return TRUE;
    const char *p = line + strspn(line, " \t");
    gsize len = strlen(p);
    while (len && g_ascii_isspace(p[len - 1]))
        len--;
    gsize head = strspn(p, rule_marks), tail = 0;
    while (tail < len && strchr(rule_marks, p[len - 1 - tail]))
        tail++;
    return head >= 3 && tail >= 3 && len > head + tail;
}

/* ---- addresses on a line ------------------------------------------------ */

static gboolean
is_local_char(guchar c)
{
    return g_ascii_isalnum(c) || c >= 0x80 || strchr(".!#$%&'*+/=?^_`{|}~-", c);
}

static gboolean
is_domain_char(guchar c)
{
    return g_ascii_isalnum(c) || c >= 0x80 || c == '.' || c == '-' || c == '_';
}

/* A non-ASCII character at `p` that cannot be part of an address: CJK
 * and other notices glue a label or a sentence to the address with
 * full-width punctuation ("宛先：a@b", "收件人：a@b", "a@b，" or "a@b。"),
 * while letters of any script may be (RFC 6531 addresses). */
static gboolean
is_wide_separator(const char *p)
{
    gunichar u = g_utf8_get_char_validated(p, -1);
    if (u == (gunichar) -1 || u == (gunichar) -2)
        return FALSE;
    return g_unichar_ispunct(u) || g_unichar_isspace(u) || u == 0x3000;
}

/* Han, kana or Hangul: scripts written without spaces, so that a notice
 * glues its sentence to an address ("您发送给a@b的邮件", "a@b으로").  An
 * address may be written in them (RFC 6531), but not half in ASCII: a
 * switch between one of them and an ASCII letter or digit ends it. */
static gboolean
is_unspaced_script(gunichar u)
{
    switch (g_unichar_get_script(u)) {
    case G_UNICODE_SCRIPT_HAN:
    case G_UNICODE_SCRIPT_HIRAGANA:
    case G_UNICODE_SCRIPT_KATAKANA:
    case G_UNICODE_SCRIPT_HANGUL:
        return TRUE;
    default:
        return FALSE;
    }
}

/* The start of the address part that ends at `end` (just before its '@'):
 * local-part characters back from `end`, stopping at a wide separator or
 * where an ASCII local part meets a CJK sentence. */
static const char *
local_start(const char *line, const char *end)
{
    const char *start = end;
    while (start > line && start[-1] != '\'' && is_local_char((guchar) start[-1])) {
        if ((guchar) start[-1] < 0x80) {
            start--;
            continue;
        }
        const char *prev = g_utf8_find_prev_char(line, start);
        gunichar u = prev ? g_utf8_get_char_validated(prev, start - prev) : (gunichar) -1;
        if (u == (gunichar) -1 || u == (gunichar) -2) {
            start--;        /* a stray byte: kept byte by byte, as before */
            continue;
        }
        if (is_wide_separator(prev) || (is_unspaced_script(u) && g_ascii_isalnum(*start)))
            break;
        start = prev;
    }
    return start;
}

/* The end of the domain that starts at `p`, stopping at a wide separator
 * or where an ASCII label runs into a CJK sentence. */
static const char *
domain_end(const char *p)
{
    const char *first = p;
    while (is_domain_char((guchar) *p)) {
        if ((guchar) *p < 0x80) {
            p++;
            continue;
        }
        if (is_wide_separator(p))
            break;
        gunichar u = g_utf8_get_char_validated(p, -1);
        if (p > first && g_ascii_isalnum(p[-1]) && u != (gunichar) -1 && u != (gunichar) -2
            && is_unspaced_script(u))
            break;
        p = u == (gunichar) -1 || u == (gunichar) -2 ? p + 1 : g_utf8_next_char(p);
    }
    return p;
}

void
gen_each_address(const char *line, GenTokenFn fn, gpointer data)
{
    for (const char *at = strchr(line, '@'); at; at = strchr(at + 1, '@')) {
        const char *start = local_start(line, at);
        const char *end = domain_end(at + 1);
        while (end > at + 1 && (end[-1] == '.' || end[-1] == '-'))
            end--;
        if (start == at || end == at + 1)
            continue;
        /* a transport prefix glued on ("SMTP:a@b") is stripped by the cleaner */
        const char *prefix = start;
        while (prefix > line && (g_ascii_isalnum(prefix[-1]) || prefix[-1] == ':') && prefix[-1] != ' ')
            prefix--;
        g_autofree char *raw = g_strndup(prefix, end - prefix);
        g_autofree char *clean = bt_address_clean(raw);
        if (!clean)
            continue;
        char before = start > line ? start[-1] : ' ';
        gboolean bracketed = before == '<' || before == '"' || before == '\'' || *end == '>'
            || (prefix > line && prefix[-1] == '<');
        fn(clean, bracketed, data);
        at = end - 1;
    }
}
