/* notice-text — the readers of a notice's own text for one record that
 * another decoder found (dsn.c, the layouts, finish.c): a recipient's
 * explanation read the way the generic decoder reads it (generic.h), the
 * lines that continue a wrapped reply, what a lead-in introduces, a
 * session transcript's reply and command, and whether the notice only
 * warns of a delay.  The notice's lines are split once per body and kept
 * in the view. */
#include "extract/decode.h"
#include "extract/generic-lines.h"
#include "extract/generic.h"

#include "core/literals.h"

#include <string.h>

/* "The error that the other server returned was:" and its kin are short */
#define MAX_LEAD_IN_CHARS 80
/* A line this long was folded by its writer if the next one goes on with
 * it (MTAs fold at 72-78 columns). */
#define FULL_LINE_COLUMNS 64
/* The narrowest fold MTAs use: a line shorter than FULL_LINE_COLUMNS was
 * folded too when the next line's first word would have run past it. */
#define FOLD_COLUMNS 72
/* A pipelined batch of commands and its replies in a transcript. */
#define PIPELINE_LINES 12

/* ---- a recipient's text ----------------------------------------------------- */

gboolean
bt_text_is_lead_in(const char *text)
{
    return text && (gen_is_header_like(text) || gen_is_lead_in(text));
}

/* The notice line the joined text `diagnostic` starts with, or -1. */
static int
line_starting(char **lines, int n, const char *diagnostic)
{
    g_autofree char *want = gen_squeezed(diagnostic);
    for (int i = 0; want && i < n; i++) {
        g_autofree char *line = gen_squeezed(lines[i]);
        if (line && g_str_has_prefix(want, line))
            return i;
    }
    return -1;
}

/* The view's notice lines, split once per body (defined below). */
static char **view_notice_lines(const BtMsgView *view, int *n);

/* A decoder that took a lead-in for the diagnostic took the line where
 * the explanation starts: what follows that line explains, else what
 * follows the recipient's own line. */
char *
bt_text_instead_of_lead_in(const BtMsgView *view, const char *recipient, const char *diagnostic)
{
    if (!bt_text_is_lead_in(diagnostic) || gen_has_code(diagnostic))
        return NULL;
    /* a long sentence ending in a colon already explains */
    if (!gen_is_header_like(diagnostic) && strlen(diagnostic) > MAX_LEAD_IN_CHARS)
        return NULL;
    int n;
    char **lines = view_notice_lines(view, &n);
    int at = line_starting(lines, n, diagnostic);
    g_autoptr(GString) out = g_string_new(NULL);
    /* what the lead-in introduces is the reason by its own words; when
     * nothing follows it, it was the reason after all (a sentence that
     * ends in a colon) */
    if (at >= 0) {
        if (!gen_explanation_after(lines, at, n, recipient, out))
            return NULL;
        char *better = gen_squeezed(out->str);
        if (better && !bt_text_is_lead_in(better))
            return better;
        g_free(better);
    }
    /* else the recipient's own explanation, if it reads as a failure */
    char *better = bt_text_diagnostic(view, recipient);
    if (better && !bt_text_is_lead_in(better) && (gen_has_code(better) || gen_is_failure_line(better)))
        return better;
    g_free(better);
    return NULL;
}

/* Does `l` continue a wrapped line indented by `indent`: indented deeper,
 * and no blank, separator, header line, lead-in or another address? */
static gboolean
is_continuation(const char *l, int indent)
{
    /* a folded reply may break after a colon ("… NXDOMAIN Domain name not
     * found:" and the name below): only a lead-in's own words end it */
    return !gen_is_blank(l) && gen_indent_of(l) > indent && !gen_is_separator(l) && !gen_is_header_like(l)
        && !gen_is_worded_lead_in(l) && !strchr(l, '@');
}

/* Does `l` continue `prev` wrapped without indentation (gateways and
 * smaller MTAs fold long replies at 72-78 columns flush left): `prev`
 * fills the line and ends no sentence, `l` starts at the same column and
 * is no blank, separator, header line, lead-in or address line. */
static gboolean
is_flush_continuation(const char *prev, const char *l, int indent)
{
    g_autofree char *p = g_strchomp(g_strdup(prev));
    gsize len = g_utf8_strlen(p, -1);
    const char *t = l + strspn(l, " \t");
    gsize word = g_utf8_strlen(t, strcspn(t, " \t"));
    gboolean full = len >= FULL_LINE_COLUMNS || (len >= FULL_LINE_COLUMNS / 2 && len + 1 + word > FOLD_COLUMNS);
    if (!full || strchr(".!?:", p[strlen(p) - 1]))
        return FALSE;
    gboolean reply = g_ascii_isdigit(t[0]) && g_ascii_isdigit(t[1]) && g_ascii_isdigit(t[2])
        && (t[3] == ' ' || t[3] == '-');
    g_autofree char *label = gen_line_label(l);
    gboolean field = label && g_ascii_isupper(*t);
    /* a word goes on; a new reply, a "Name: value" field or a mark starts anew */
    return g_ascii_isalnum(*t) && !reply && !field && gen_indent_of(l) == indent && !gen_is_separator(l)
        && !gen_is_header_like(l) && !gen_is_lead_in(l) && !strchr(l, '@');
}

/* The view's notice lines, split once per body: finishing asks for them
 * for every record, and the delay check once more.  The view belongs to
 * one thread, so filling its cache through the const pointer is safe. */
static char **
view_notice_lines(const BtMsgView *view, int *n)
{
    BtMsgView *v = (BtMsgView *) view;
    if (v->notice_of != v->body || !v->notice_lines) {
        g_strfreev(v->notice_lines);
        g_strfreev(v->notice_lower);
        v->notice_lower = NULL;
        int copy_at;
        v->notice_lines = gen_notice_lines(v->body, &copy_at);
        v->notice_n = gen_notice_length(v->notice_lines, copy_at);
        v->notice_of = v->body;
    }
    *n = v->notice_n;
    return v->notice_lines;
}

/* The last byte of `line` that is not white space, or 0: the last byte of
 * its squeezed form (gen_squeezed), known without making it. */
static char
last_visible_byte(const char *line, gsize *len)
{
    gsize n = strlen(line);
    *len = n;
    while (n && g_ascii_isspace(line[n - 1]))
        n--;
    return n ? line[n - 1] : '\0';
}

/* The same lines in ASCII lower case, made on first use: the transcript
 * checks look for the recipient in every line, for every record. */
static char **
view_notice_lower(const BtMsgView *view, int *n)
{
    char **lines = view_notice_lines(view, n);
    BtMsgView *v = (BtMsgView *) view;
    if (!v->notice_lower) {
        v->notice_lower = g_new0(char *, *n + 1);
        for (int i = 0; i < *n; i++)
            v->notice_lower[i] = bt_ascii_strdown(lines[i], -1);
    }
    return v->notice_lower;
}

char *
bt_text_continued(const BtMsgView *view, const char *diagnostic)
{
    int n;
    char **lines = view_notice_lines(view, &n);
    g_autofree char *want = gen_squeezed(diagnostic);
    if (!want)
        return NULL;
    gsize want_len = strlen(want);
    for (int i = 0; i < n - 1; i++) {
        /* a line ends `want` or the other way round only if both end in
         * the same byte, and squeezing never lengthens a line: most lines
         * are ruled out without being squeezed */
        gsize raw_len;
        if (last_visible_byte(lines[i], &raw_len) != want[want_len - 1] || raw_len < 12)
            continue;
        g_autofree char *squeezed = gen_squeezed(lines[i]);
        const char *line = squeezed ? squeezed : "";
        gsize len = strlen(line);
        /* one ends the other (g_str_has_suffix either way, lengths known) */
        if (len < 12 || !(len <= want_len ? memcmp(want + want_len - len, line, len) == 0
                                          : memcmp(line + len - want_len, want, want_len) == 0))
            continue;
        GString *out = g_string_new(want);
        int indent = gen_indent_of(lines[i]);
        for (int k = i + 1; k < n && k <= i + 4
             && (is_continuation(lines[k], indent) || is_flush_continuation(lines[k - 1], lines[k], indent));
             k++) {
            g_autofree char *more = gen_squeezed(lines[k]);
            if (strstr(want, more))
                break;
            g_string_append_printf(out, " %s", more);
        }
        if (out->len > strlen(want))
            return g_string_free(out, FALSE);
        g_string_free(out, TRUE);
        return NULL;
    }
    return NULL;
}

/* The first of the view's notice lines that names `address` outside the
 * header lines, or -1; the search runs on the view's lower-case copy. */
static int
line_naming(const BtMsgView *view, const char *address)
{
    int n;
    char **lines = view_notice_lines(view, &n);
    char **lower = view_notice_lower(view, &n);
    g_autofree char *want = bt_ascii_strdown(address, -1);
    for (int i = 0; i < n; i++) {
        if (strstr(lower[i], want) && !gen_is_header_like(lines[i]))
            return i;
    }
    return -1;
}

char *
bt_text_diagnostic(const BtMsgView *view, const char *recipient)
{
    int n;
    char **lines = view_notice_lines(view, &n);
    int at = line_naming(view, recipient);
    if (at < 0)
        return NULL;
    return gen_diagnostic_for(lines, n, at, recipient);
}

/* What the colon lead-in at line k introduces, read up to line `end`
 * (exclusive); NULL when nothing explaining follows it. */
static char *
explained_by(char **lines, int k, int end, const char *recipient)
{
    g_autoptr(GString) out = g_string_new(NULL);
    if (!gen_explanation_after(lines, k, end, recipient, out))
        return NULL;
    char *text = gen_squeezed(out->str);
    if (text && bt_text_is_lead_in(text))
        g_clear_pointer(&text, g_free);
    return text;
}

/* Does line k name an address other than `recipient`? */
static gboolean
names_other_address(const char *line, const char *recipient)
{
    if (!strchr(line, '@'))
        return FALSE;
    g_autofree char *lower = bt_ascii_strdown(line, -1);
    g_autofree char *want = bt_ascii_strdown(recipient, -1);
    return !strstr(lower, want);
}

/* Is `line` another address alone on its line: the heading of another
 * recipient's item (Exchange's "Diagnostic information for
 * administrators" names each address on a line of its own, its reply
 * below)? */
static gboolean
is_other_item(const char *line, const char *recipient)
{
    g_autofree char *t = g_strstrip(g_strdup(line));
    return *t && !strpbrk(t, " \t") && strchr(t, '@') && names_other_address(t, recipient);
}

/* Where the recipient's block that starts at line `at` ends: the next
 * line that heads another recipient's item, else `n`. */
static int
block_end(char **lines, int n, int at, const char *recipient)
{
    for (int k = at + 1; k < n; k++)
        if (is_other_item(lines[k], recipient))
            return k;
    return n;
}

/* The explanation a colon lead-in near the recipient's line `at`
 * introduces: the first lead-in in the recipient's own block below its
 * line (up to another address; what it introduces stops where another
 * recipient's item starts), else one just above its line (a notice
 * that states the reason before the address it is about). */
static char *
lead_in_near(char **lines, int n, int at, const char *recipient)
{
    int end = block_end(lines, n, at, recipient);
    for (int k = at + 1; k < end && k <= at + DIAG_LOOKAHEAD; k++) {
        if (gen_is_separator(lines[k]) || names_other_address(lines[k], recipient))
            break;
        if (!gen_is_colon_lead_in(lines[k]))
            continue;
        char *text = explained_by(lines, k, end, recipient);
        if (text)
            return text;
    }
    for (int k = at - 1; k >= 0 && k >= at - DIAG_LOOKAHEAD; k--) {
        if (gen_is_separator(lines[k]) || names_other_address(lines[k], recipient))
            break;
        /* only the paragraph right above: a blank line may part the
         * lead-in from what it introduces, and nothing else */
        if (gen_is_blank(lines[k]) && (k == 0 || !gen_is_colon_lead_in(lines[k - 1])))
            break;
        if (!gen_is_colon_lead_in(lines[k]))
            continue;
        /* a lead-in indented deeper than the recipient's line is nested
         * in the item above it (Exim's "  addr" / "    SMTP error from
         * remote mail server after …:" blocks), not this recipient's */
        if (gen_indent_of(lines[k]) > gen_indent_of(lines[at]))
            break;
        /* the explanation ends where the recipient's line starts */
        char *text = explained_by(lines, k, at, recipient);
        if (text)
            return text;
    }
    return NULL;
}

/* The first thing a colon lead-in anywhere in the notice introduces that
 * reads as a failure (a code or failure wording) and names no other
 * address: a notice that puts its one reason away from the address
 * ("Transcript of session follows", then "Reason:"). */
static char *
failure_after_lead_in(char **lines, int n, const char *recipient)
{
    for (int k = 0; k < n; k++) {
        if (names_other_address(lines[k], recipient))
            return NULL;
        if (!gen_is_colon_lead_in(lines[k]))
            continue;
        g_autofree char *text = explained_by(lines, k, n, recipient);
        if (text && !names_other_address(text, recipient) && (gen_has_code(text) || gen_is_failure_line(text)))
            return g_steal_pointer(&text);
    }
    return NULL;
}

/* A session transcript in a recipient's paragraph (Courier's "[host]:",
 * " >>> RCPT TO:<addr>", " <<< 450-4.2.1 …" in courierdsn's notices):
 * the server's failed reply is the explanation, not the host and the
 * command above it; its "<<< " marks go, its continuation lines stay for
 * the reply's joining.  Other text is left alone. */
char *
bt_text_server_reply(char *text)
{
    const char *from = NULL;
    for (const char *p = text; (p = strstr(p, "<<< ")); p += 4)
        if ((p[4] == '4' || p[4] == '5') && g_ascii_isdigit(p[5]) && g_ascii_isdigit(p[6])) {
            from = p;
            break;
        }
    /* the MTA's own text in the reply's place (Courier's "<<< Connection
     * refused", "<<< No such domain.") */
    if (!from && g_str_has_prefix(text, "<<< "))
        from = text;
    if (!from)
        return text;
    g_autoptr(GString) out = g_string_new(NULL);
    for (const char *p = from; *p;) {
        const char *mark = strstr(p, "<<< ");
        if (!mark) {
            g_string_append(out, p);
            break;
        }
        g_string_append_len(out, p, mark - p);
        p = mark + 4;
    }
    g_free(text);
    return gen_squeezed(out->str);
}

char *
bt_text_after_lead_in(const BtMsgView *view, const char *recipient)
{
    int n;
    char **lines = view_notice_lines(view, &n);
    int at = line_naming(view, recipient);
    char *near = at >= 0 ? lead_in_near(lines, n, at, recipient) : NULL;
    return near ? near : failure_after_lead_in(lines, n, recipient);
}

/* Past a transcript line's timestamp ("Mon 2026-02-02 13:30:05: "), MDaemon's. */
static const char *
past_timestamp(const char *line)
{
    const char *s = line + strspn(line, " \t");
    const char *colon = strstr(s, ": ");
    if (colon && colon > s && colon - s < 32 && g_ascii_isdigit(colon[-1]) && strchr(s, '-') && strchr(s, '-') < colon)
        return colon + 2;
    return s;
}

/* A transcript's reply line: "<<< 550 …" (Sendmail), "<-- 550 …" (MDaemon),
 * or the MTA's own "550 <addr>... reason" after it. */
static gboolean
is_transcript_reply(const char *line)
{
    const char *s = past_timestamp(line);
    if (g_str_has_prefix(s, "<<< ") || g_str_has_prefix(s, "<-- "))
        s += 4;
    return g_ascii_isdigit(s[0]) && g_ascii_isdigit(s[1]) && g_ascii_isdigit(s[2]) && (s[3] == ' ' || s[3] == '-')
        && strchr("45", s[0]);
}

/* The command a transcript line sends (">>> RCPT To:<…>", "--> DATA"), or NULL. */
static const char *
transcript_command(const char *line)
{
    const char *s = past_timestamp(line);
    if (!g_str_has_prefix(s, ">>> ") && !g_str_has_prefix(s, "--> "))
        return NULL;
    g_autofree char *lower = bt_ascii_strdown(s + 4, -1);
    static const char *const verbs[] = { "mail from", "rcpt to", "data", "bdat", NULL };
    static const char *const names[] = { "MAIL", "RCPT", "DATA", "DATA", NULL };
    for (int i = 0; verbs[i]; i++)
        if (g_str_has_prefix(lower, verbs[i]))
            return names[i];
    return NULL;
}

typedef struct {
    char **lines;
    int n;
    const char *recipient;
    gboolean own, other, stranger;
} Naming;

/* Is `address` sent a RCPT in the transcript: another recipient of it? */
static gboolean
is_transcript_recipient(char **lines, int n, const char *address)
{
    g_autofree char *want = bt_ascii_strdown(address, -1);
    for (int k = 0; k < n; k++) {
        const char *cmd = transcript_command(lines[k]);
        if (cmd && !strcmp(cmd, "RCPT") && gen_contains_lower(lines[k], want))
            return TRUE;
    }
    return FALSE;
}

static void
note_naming(const char *address, gboolean bracketed, gpointer data)
{
    (void) bracketed;
    Naming *nm = data;
    if (!g_ascii_strcasecmp(address, nm->recipient))
        nm->own = TRUE;
    else if (is_transcript_recipient(nm->lines, nm->n, address))
        nm->other = TRUE;
    else
        nm->stranger = TRUE;
}

/* Does the text name another recipient of the transcript, and neither
 * `recipient` nor an address outside it (a forward-path, the sender)? */
static gboolean
names_only_other_recipients(char **lines, int n, const char *text, const char *recipient)
{
    Naming nm = { lines, n, recipient, FALSE, FALSE, FALSE };
    gen_each_address(text, note_naming, &nm);
    return nm.other && !nm.own && !nm.stranger;
}

char *
bt_text_own_reply(const BtMsgView *view, const char *recipient, const char *sender, const char *diagnostic)
{
    if (!diagnostic || !strchr(diagnostic, '@'))
        return NULL;
    /* a reply about the sender (a refused MAIL FROM) concerns every recipient */
    g_autofree char *diag_lower = bt_ascii_strdown(diagnostic, -1);
    g_autofree char *sender_lower = sender ? bt_ascii_strdown(sender, -1) : NULL;
    if (sender_lower && *sender_lower && strstr(diag_lower, sender_lower))
        return NULL;
    int n;
    char **lines = view_notice_lines(view, &n);
    if (!names_only_other_recipients(lines, n, diagnostic, recipient))
        return NULL;
    char **lower = view_notice_lower(view, &n);
    g_autofree char *want = bt_ascii_strdown(recipient, -1);
    const char *last = NULL;
    for (int k = 0; k < n; k++) {
        if (strstr(lower[k], want) && is_transcript_reply(lines[k]))
            last = lines[k];
    }
    if (!last)
        return NULL;
    const char *s = past_timestamp(last);
    if (g_str_has_prefix(s, "<<< ") || g_str_has_prefix(s, "<-- "))
        s += 4;
    return gen_squeezed(s);
}

/* A server's line of the transcript ("<<< 250 …", "<-- 550 …"), of any
 * class; `final` when it ends its reply (no "550-" continuation). */
static gboolean
is_server_line(const char *line, gboolean *final)
{
    const char *s = past_timestamp(line);
    if (!g_str_has_prefix(s, "<<< ") && !g_str_has_prefix(s, "<-- "))
        return FALSE;
    s += 4;
    *final = !(g_ascii_isdigit(s[0]) && g_ascii_isdigit(s[1]) && g_ascii_isdigit(s[2]) && s[3] == '-');
    return TRUE;
}

/* Does the command line `rcpt` name an address that `reply` names too? */
static gboolean
quotes_recipient(const char *rcpt, const char *reply)
{
    const char *open = strchr(rcpt, '<');
    const char *close = open ? strchr(open, '>') : NULL;
    if (!close || close - open < 4)
        return FALSE;
    g_autofree char *address = bt_ascii_strdown(open + 1, close - open - 1);
    return gen_contains_lower(reply, address);
}

/* The line of the command that reply line k answers, or -1.  A client
 * that pipelines (RFC 2920: MAIL, RCPT, DATA sent at once) reads the
 * replies in the order of the commands, so the n-th reply after a batch
 * answers its n-th command; an MTA's own line ("550 <addr>... reason")
 * comments the server's reply just above it. */
static int
answered_command(char **lines, int k)
{
    int replies = 0, j = k - 1;
    gboolean final;
    for (; j >= 0 && j >= k - PIPELINE_LINES; j--) {
        /* a blank line or a heading may stand between (a notice that
         * sets the reply apart), and so may the original's "To:" or
         * "Subject:" that some notices repeat above the reply */
        if (gen_is_blank(lines[j]) || gen_is_colon_lead_in(lines[j]) || gen_is_header_like(lines[j]))
            continue;
        if (transcript_command(lines[j]))
            break;
        if (is_server_line(lines[j], &final))
            replies += final ? 1 : 0;
        else if (!is_transcript_reply(lines[j]))
            return -1;
    }
    if (j < 0 || j < k - PIPELINE_LINES)
        return -1;
    int first = j;
    while (first > 0 && transcript_command(lines[first - 1]))
        first--;
    if (!is_server_line(lines[k], &final) && replies > 0)
        replies--;
    int at = MIN(first + replies, j);
    /* a transcript that leaves a reply out: a reply quoting the
     * recipient answers the RCPT the batch sent for it */
    for (int c = first; c <= j && strcmp(transcript_command(lines[at]), "RCPT"); c++)
        if (!strcmp(transcript_command(lines[c]), "RCPT") && quotes_recipient(lines[c], lines[k]))
            at = c;
    return at;
}

/* Is line r, between command line j and a line about `recipient`, a
 * reply about another recipient's attempt?  A reply naming another
 * address is, unless it answers command j itself: the server's answer to
 * "RCPT To:<alias@…>" may name the mailbox the alias leads to ("<<< 550
 * User (joe@…) unknown"), and the MTA's own line below it ("550
 * <alias@…>... User (joe@…) unknown", sendmail usersmtp.c) still reports
 * that RCPT. */
static gboolean
is_other_attempts_reply(char **lines, int r, int j, const char *recipient)
{
    if (!is_transcript_reply(lines[r]) || !names_other_address(lines[r], recipient))
        return FALSE;
    return answered_command(lines, r) != j;
}

char *
bt_text_command(const BtMsgView *view, const char *recipient)
{
    int n;
    char **lines = view_notice_lines(view, &n);
    char **lower = view_notice_lower(view, &n);
    g_autofree char *want = bt_ascii_strdown(recipient, -1);
    const char *found = NULL;
    /* each reply naming the recipient, and the command it answers; the
     * last such pair is the attempt that failed */
    for (int k = 0; k < n; k++) {
        if (!strstr(lower[k], want) || !is_transcript_reply(lines[k]))
            continue;
        int j = answered_command(lines, k);
        if (j < 0)
            continue;
        /* only replies about this recipient (or none) lie between */
        gboolean others = FALSE;
        for (int r = j + 1; r < k && !others; r++)
            others = is_other_attempts_reply(lines, r, j, recipient);
        const char *cmd = transcript_command(lines[j]);
        /* "RCPT To:<other>" is another recipient's attempt */
        if (others || (!strcmp(cmd, "RCPT") && names_other_address(lines[j], recipient)))
            continue;
        found = cmd;
    }
    return g_strdup(found);
}

/* Is transcript line `line` the server's reply ("<<< 550 …") that
 * `diagnostic` (squeezed) starts with? */
static gboolean
is_reply_of(const char *line, const char *diagnostic)
{
    const char *s = past_timestamp(line);
    if (!g_str_has_prefix(s, "<<< ") && !g_str_has_prefix(s, "<-- "))
        return FALSE;
    g_autofree char *reply = gen_squeezed(s + 4);
    return reply && strlen(reply) > 4 && g_str_has_prefix(diagnostic, reply);
}

char *
bt_text_reply_command(const BtMsgView *view, const char *diagnostic)
{
    g_autofree char *want = diagnostic ? gen_squeezed(diagnostic) : NULL;
    if (!want || !gen_has_code(want))
        return NULL;
    int n;
    char **lines = view_notice_lines(view, &n);
    const char *found = NULL;
    for (int k = 1; k < n; k++) {
        if (!is_transcript_reply(lines[k]) || !is_reply_of(lines[k], want))
            continue;
        /* only a reply right below the command: a pipelining client's
         * (RFC 2920) transcript shows its last command ("DATA") above
         * the replies to the RCPTs it sent before; nothing follows a
         * MAIL FROM it shows last */
        const char *cmd = transcript_command(lines[k - 1]);
        if (!cmd || strcmp(cmd, "MAIL") != 0)
            return NULL;
        found = cmd;
    }
    return g_strdup(found);
}

char *
bt_text_reply_below(const BtMsgView *view, const char *recipient, const char *diagnostic)
{
    if (!diagnostic || gen_has_code(diagnostic))
        return NULL;
    int n;
    char **lines = view_notice_lines(view, &n);
    int at = line_naming(view, recipient);
    if (at < 0)
        return NULL;
    g_autofree char *reply = lead_in_near(lines, n, at, recipient);
    if (!reply || !gen_has_code(reply))
        return NULL;
    g_autofree char *have = gen_squeezed(diagnostic);
    if (have && strstr(have, reply))
        return NULL;
    return have ? g_strdup_printf("%s %s", have, reply) : g_steal_pointer(&reply);
}

/* ---- delays ------------------------------------------------------------------ */

/* A record a delay warning turns into "delayed": no action yet, and no
 * permanent (5.x.x) status. */
static gboolean
may_be_delayed(const BtRecord *rec)
{
    return !rec->action && (!rec->deliverystatus || rec->deliverystatus[0] != '5');
}

void
bt_mark_delay_warning(const BtMsgView *view, GPtrArray *records, guint from)
{
    guint first = from;
    while (first < records->len && !may_be_delayed(records->pdata[first]))
        first++;
    if (first >= records->len)     /* nothing to mark: the notice is not read */
        return;
    g_autofree char *subject = bt_view_header(view, "Subject");
    int n;
    char **lines = view_notice_lines(view, &n);
    if (!gen_is_delay_warning(subject, lines, n))
        return;
    for (guint i = first; i < records->len; i++) {
        BtRecord *rec = records->pdata[i];
        if (may_be_delayed(rec))
            rec->action = g_strdup("delayed");
    }
}
