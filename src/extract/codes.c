/* codes — reading SMTP facts out of free diagnostic text: enhanced status
 * codes (RFC 3463) and which one to prefer, reply codes (RFC 5321), the
 * SMTP command an error answered, and host names.  The choices follow
 * sisimai's behaviour (smtp/status, smtp/reply) so that records agree
 * with it; the code is our own. */
#include "extract/decode.h"
#include "extract/text.h"
#include "core/literals.h"

#include <stdlib.h>
#include <string.h>

/* ---- enhanced status codes ---------------------------------------------- */

/* Whether the text before `p` names an RFC, so that the number at `p` is
 * one of its sections: "(See RFC2821 4.1.3)" in HestiaCP's HELO ACL
 * (exim4.conf.template), cPanel's "(See RFC2821 4.1.1.1)", "RFC 5321
 * section 4.1.4". */
static const char *
back_over_separators(const char *text, const char *q)
{
    while (q > text && (q[-1] == ' ' || q[-1] == ','))
        q--;
    return q;
}

static gboolean
follows_rfc_name(const char *text, const char *p)
{
    static const char *const section_words[] = { "section", "sec.", "\xc2\xa7" /* § */, NULL };
    const char *q = back_over_separators(text, p);
    for (guint i = 0; section_words[i]; i++) {
        gsize len = strlen(section_words[i]);
        if ((gsize) (q - text) >= len && g_ascii_strncasecmp(q - len, section_words[i], len) == 0) {
            q = back_over_separators(text, q - len);
            break;
        }
    }
    const char *number_end = q;
    while (q > text && g_ascii_isdigit(q[-1]))
        q--;
    if (number_end - q < 3 || number_end - q > 4)
        return FALSE;
    while (q > text && q[-1] == ' ')
        q--;
    return q - text >= 3 && g_ascii_strncasecmp(q - 3, "rfc", 3) == 0;
}

/* The code starting at `p` ("5.1.1", "4.7.26"), or NULL when `p` does not
 * start one: the class is 2, 4 or 5, the subject 0-7, the detail one to
 * three digits, and the code is not part of a number, an IPv4 address, a
 * version ("v5.1.1") or an RFC's section number ("RFC2821 4.1.3"). */
static char *
status_at(const char *text, const char *p)
{
    if (!strchr("245", *p) || !*p || p[1] != '.')
        return NULL;
    char before = p > text ? p[-1] : ' ';
    if (g_ascii_isdigit(before) || before == '.' || before == '/' || before == 'v' || before == 'V')
        return NULL;
    if (p[2] < '0' || p[2] > '7' || p[3] != '.' || !g_ascii_isdigit(p[4]))
        return NULL;
    gsize detail = strspn(p + 4, "0123456789");
    if (detail > 3)
        return NULL;
    const char *end = p + 4 + detail;
    if (*end == '.' && g_ascii_isdigit(end[1]))
        return NULL;   /* an IPv4 address */
    if (follows_rfc_name(text, p))
        return NULL;
    return g_strndup(p, end - p);
}

static gboolean
is_zero_code(const char *code)
{
    return strcmp(code + 1, ".0.0") == 0;
}

/* Of the Status: value and a code found in the text, the one that says
 * more: a generic X.0.0 or X.Y.0 loses to a specific one; a few codes that
 * MTAs use loosely (4.4.7, 4.7.0, 5.3.x, X.5.x syntax codes, 5.1.1 against
 * a policy code) lose to the text's.  `reply` (may be NULL) breaks a tie
 * between classes. */
const char *
bt_status_prefer(const char *status, const char *found, const char *reply)
{
    if (!status || !*status)
        return found;
    if (!found || !*found || strlen(found) < 5)
        return status;
    if (strlen(status) < 5)
        return found;
    /* a success code in the text is a transcript line about an earlier
     * command ("<<< 250 2.1.0 Ok"), never the outcome of a failure */
    if (found[0] == '2' && status[0] != '2')
        return status;
    if (reply && *reply && status[0] != found[0]) {
        if (reply[0] == status[0])
            return status;
        if (reply[0] == found[0])
            return found;
    }
    if (strcmp(status, found) == 0)
        return status;
    gboolean status_zero = is_zero_code(status);
    gboolean found_zero = is_zero_code(found);
    gboolean status_generic = strstr(status, ".0") != NULL;
    gboolean found_generic = strstr(found, ".0") != NULL;
    if (status_zero)
        return found_zero ? status : found;
    if (status_generic && !found_generic)
        return found;
    if (found_zero)
        return status;
    if (strcmp(status, "4.4.7") == 0 || strcmp(status, "4.7.0") == 0 || g_str_has_prefix(status, "5.3."))
        return found;
    static const char *const syntax[] = { ".5.1", ".5.2", ".5.4", ".5.5" };
    for (gsize i = 0; i < G_N_ELEMENTS(syntax); i++)
        if (g_str_has_prefix(status + 1, syntax[i]))
            return found;
    if (strcmp(status, "5.1.1") == 0)
        return found_generic || g_str_has_prefix(found, "5.5.") ? status : found;
    if (strcmp(status, "5.1.3") == 0 && g_str_has_prefix(found, "5.7."))
        return found;
    return status;
}

char *
bt_status_find(const char *text)
{
    if (!text)
        return NULL;
    g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *fallback = NULL;   /* X.0.0 or 4.4.7: used only when nothing better */
    /* a code's first dot, found by the library's scan, not byte by byte;
     * the next code starts after this one */
    const char *resume = text;
    for (const char *dot = text[0] ? strchr(text + 1, '.') : NULL; dot; dot = strchr(dot + 1, '.')) {
        const char *p = dot - 1;
        char *code = p >= resume ? status_at(text, p) : NULL;
        if (!code)
            continue;
        resume = p + strlen(code);
        if (is_zero_code(code) || strcmp(code, "4.4.7") == 0) {
            g_free(fallback);
            fallback = code;
        } else {
            g_ptr_array_add(codes, code);
        }
    }
    if (fallback)
        g_ptr_array_add(codes, g_steal_pointer(&fallback));
    if (codes->len == 0)
        return NULL;
    /* in a text that reports a failure, success codes are transcript lines */
    gboolean failure = FALSE;
    for (guint i = 0; i < codes->len; i++)
        failure |= ((char *) codes->pdata[i])[0] != '2';
    for (guint i = codes->len; failure && i-- > 0;)
        if (((char *) codes->pdata[i])[0] == '2')
            g_ptr_array_remove_index(codes, i);
    const char *best = codes->pdata[0];
    for (guint i = 1; i < codes->len; i++)
        best = bt_status_prefer(best, codes->pdata[i], NULL);
    return g_strdup(best);
}

/* ---- reply codes ---------------------------------------------------------- */

/* Valid reply codes of each class, the most telling first. */
static const char *const replies_2[] = { "211", "214", "220", "221", "235", "250", "251", "252",
                                         "253", "334", "354", NULL };
static const char *const replies_4[] = { "421", "450", "451", "452", "422", "430", "432", "453",
                                         "454", "455", "458", "459", NULL };
static const char *const replies_5[] = { "550", "552", "553", "551", "521", "525", "523", "524",
                                         "530", "533", "534", "535", "538", "555", "556", "554",
                                         "500", "501", "502", "503", "504", NULL };

/* The three-digit numbers standing in `text` as words of their own (not
 * inside a longer number, a status code or a dotted quad), as a set: one
 * pass over the text, not a search per known reply code. */
typedef struct {
    guint64 bits[1000 / 64 + 1];
} NumberSet;

static gboolean
is_joining(char c)
{
    return c >= '.' && c <= '9';
}

static void
standalone_numbers(const char *text, NumberSet *set)
{
    memset(set, 0, sizeof *set);
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isdigit(p[0]) || !g_ascii_isdigit(p[1]) || !g_ascii_isdigit(p[2]))
            continue;
        if ((p > text && is_joining(p[-1])) || is_joining(p[3]))
            continue;
        int n = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        set->bits[n / 64] |= G_GUINT64_CONSTANT(1) << (n % 64);
    }
}

static gboolean
number_set_has(const NumberSet *set, const char *code)
{
    int n = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    return (set->bits[n / 64] >> (n % 64)) & 1;
}

/* Does `text` hold "X-UNIX" in any ASCII case? */
static gboolean
names_x_unix(const char *text)
{
    for (const char *p = strpbrk(text, "xX"); p; p = strpbrk(p + 1, "xX"))
        if (g_ascii_strncasecmp(p, "X-UNIX", 6) == 0)
            return TRUE;
    return FALSE;
}

gboolean
bt_reply_is_known(int code)
{
    char text[8];
    g_snprintf(text, sizeof text, "%d", code);
    const char *const *lists[3] = { replies_5, replies_4, replies_2 };
    for (int l = 0; l < 3; l++)
        for (int i = 0; lists[l][i]; i++)
            if (strcmp(lists[l][i], text) == 0)
                return TRUE;
    return FALSE;
}

int
bt_reply_find(const char *text, char class)
{
    if (!text || strlen(text) < 3)
        return 0;
    if (names_x_unix(text))
        return 0;
    NumberSet numbers;
    standalone_numbers(text, &numbers);
    const char *const *lists[3] = { replies_5, replies_4, replies_2 };
    for (int l = 0; l < 3; l++) {
        if (class && lists[l][0][0] != class)
            continue;
        for (int i = 0; lists[l][i]; i++)
            if (number_set_has(&numbers, lists[l][i]))
                return atoi(lists[l][i]);
    }
    return 0;
}

gboolean
bt_reply_number_at(const char *text, const char *p, char lowest)
{
    return p[0] >= lowest && p[0] <= '5' && g_ascii_isdigit(p[1]) && g_ascii_isdigit(p[2])
           && (p[3] == ' ' || p[3] == '-') && (p == text || !g_ascii_isalnum(p[-1]));
}

/* The reply line of code `code` after the first `marker` in the line
 * [p, eol) (at its start when `marker` is empty): where its text starts,
 * past "CODE-" / "CODE ", NULL if it is none; `final` says it was the
 * last line ("CODE text" or "CODE" alone). */
static const char *
reply_line_text(const char *p, const char *eol, const char *marker, const char *code, gboolean *final)
{
    gsize mlen = strlen(marker);
    const char *at = p;
    if (mlen) {
        at = g_strstr_len(p, eol - p, marker);
        if (!at)
            return NULL;
        at += mlen;
    } else {
        while (at < eol && (*at == ' ' || *at == '\t'))
            at++;
    }
    if (eol - at < 3 || memcmp(at, code, 3) != 0)
        return NULL;
    if (eol - at == 3 || at[3] == '\r') {
        *final = TRUE;
        return at + 3;
    }
    if (at[3] != '-' && at[3] != ' ')
        return NULL;
    *final = at[3] == ' ';
    return at + 4;
}

/* RFC 5321 4.2.1: a multi-line reply is "CODE-text" lines up to the final
 * "CODE text" line.  A transcript prints every reply line behind its own
 * prefix (MDaemon's "Thu 2026-12-03 22:00:05.401: <-- 550-…", Sendmail's
 * "<<< 550-…"), so a pattern that reads one line captures only the first,
 * and what the reply says on its later lines (Gmail's reasons) is lost.
 * When the capture [start, end) is such a first line and ends its line,
 * the lines below that carry the same code behind the same marker (the
 * token before the capture: "<-- ", "<<< ", none) are joined to it, up
 * to the final line; finishing writes the codes once.  NULL: nothing to
 * join. */
char *
bt_reply_join_lines(const char *text, gsize len, gsize start, gsize end)
{
    const char *cap = text + start, *limit = text + len;
    if (end - start < 4 || !bt_reply_number_at(text, cap, '2') || cap[3] != '-' || memchr(cap, '\n', end - start))
        return NULL;
    const char *eol = text + end;
    while (eol < limit && (*eol == ' ' || *eol == '\t' || *eol == '\r'))
        eol++;
    if (eol < limit && *eol != '\n')
        return NULL;
    const char *bol = cap;
    while (bol > text && bol[-1] != '\n')
        bol--;
    const char *mark = cap;      /* the marker: the last token before the capture */
    while (mark > bol && (mark[-1] == ' ' || mark[-1] == '\t'))
        mark--;
    while (mark > bol && mark[-1] != ' ' && mark[-1] != '\t')
        mark--;
    g_autofree char *marker = g_strndup(mark, cap - mark);
    if (*marker && !g_ascii_isspace(marker[strlen(marker) - 1])) /* the code glued to its token */
        return NULL;
    char code[4] = { cap[0], cap[1], cap[2], '\0' };

    g_autoptr(GString) out = g_string_new_len(cap, end - start);
    gboolean final = FALSE;
    int lines = 0;
    for (const char *p = eol < limit ? eol + 1 : limit; p < limit && !final && lines < 100; lines++) {
        const char *next = memchr(p, '\n', limit - p);
        const char *nl = next ? next : limit;
        const char *rest = reply_line_text(p, nl, marker, code, &final);
        if (!rest)
            break;
        g_string_append_printf(out, " %s%c", code, final ? ' ' : '-');
        g_string_append_len(out, rest, nl - rest);
        p = nl + 1;
    }
    if (!lines)
        return NULL;
    return bt_strdup_trimmed(out->str);
}

/* ---- the SMTP command ------------------------------------------------------ */

typedef struct {
    const char *phrase;     /* case-insensitive */
    const char *command;
} CommandPhrase;

/* Phrases that say which command an error answered, most explicit first. */
static const CommandPhrase command_phrases[] = {
    { "end of data", "DATA" },
    { "after data", "DATA" },
    { "in reply to data", "DATA" },
    { "rcpt to", "RCPT" },
    { "rcpt_to", "RCPT" },
    { "rcpt", "RCPT" },
    { "mail from", "MAIL" },
    { "mail_from", "MAIL" },
    { "ehlo", "EHLO" },
    { "helo", "HELO" },
    { "starttls", "STARTTLS" },
    { "initial connection", "CONN" },
    { "connect to", "CONN" },
    { "auth ", "AUTH" },
};

/* The transcript markers after which a command is named; the first
 * EXPLICIT_MARKERS name the failed command outright.  Stalwart's notice
 * line is "<ADDR> (host 'H' rejected command 'RCPT TO:<ADDR>' with code
 * ..." (crates/smtp/src/queue/dsn.rs, UnexpectedResponse::write_dsn_text). */
static const char *const command_markers[] = {
    "in reply to ", "after ", "rejected command '",
    ">>> ", "error in ", "while sending ", "during ", "[", NULL,
};
enum { EXPLICIT_MARKERS = 3 };

static const char *
command_after(const char *lower)
{
    for (gsize i = 0; i < G_N_ELEMENTS(command_phrases); i++)
        if (g_str_has_prefix(lower, command_phrases[i].phrase))
            return command_phrases[i].command;
    if (g_str_has_prefix(lower, "data"))
        return "DATA";
    return NULL;
}

/* TEXT in lower case with every run of white space made one space: a
 * notice folds its lines anywhere, so "(in\n    reply to RCPT TO command)"
 * (Postfix's bounce(8) text wrapped at a word) is the same phrase. */
static char *
lower_unfolded(const char *text)
{
    char *out = bt_ascii_strdown(text, -1);
    /* untrimmed, unlike gen_squeezed: a phrase may end in its space
     * ("auth "), which a notice's last line may end in */
    bt_text_squeeze_into(out, out, strlen(out), FALSE);
    return out;
}

const char *
bt_command_find(const char *text)
{
    if (!text)
        return NULL;
    g_autofree char *lower = lower_unfolded(text);
    /* the last marked command in a transcript is the one that failed */
    const char *found = NULL;
    for (int m = 0; command_markers[m]; m++) {
        gsize n = strlen(command_markers[m]);
        for (const char *p = strstr(lower, command_markers[m]); p; p = strstr(p + 1, command_markers[m])) {
            const char *cmd = command_after(p + n);
            if (cmd && (!found || m < EXPLICIT_MARKERS))
                found = cmd;
        }
        if (found && m < EXPLICIT_MARKERS)
            return found;
    }
    return found;
}

/* ---- host names -------------------------------------------------------------- */

gboolean
bt_is_internet_host(const char *host)
{
    if (!host || strlen(host) < 4 || strchr(host, '@'))
        return FALSE;
    const char *dot = strrchr(host, '.');
    if (!dot || dot == host)
        return FALSE;
    for (const char *p = host; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-')
            return FALSE;
    /* a top-level domain is letters (or an IPv4 address's last octet) */
    gboolean alpha_tld = strlen(dot + 1) >= 2;
    for (const char *p = dot + 1; *p; p++)
        if (!g_ascii_isalpha(*p))
            alpha_tld = FALSE;
    return alpha_tld && g_ascii_strcasecmp(host, "localhost.localdomain") != 0;
}

static GRegex *
host_regex(void)
{
    static GRegex *re;
    if (g_once_init_enter(&re)) {
        GRegex *r = g_regex_new(
            "(?:\\bhost\\s+|while talking to\\s+|\\bconnect(?:ion)? to\\s+|\\bfrom\\s+)"
            "\\[?([A-Za-z0-9][A-Za-z0-9.-]*\\.[A-Za-z]{2,})\\.?\\]?"
            "|([A-Za-z0-9][A-Za-z0-9.-]*\\.[A-Za-z]{2,})\\.?\\s*[\\[(]\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}[\\])]",
            G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
        g_once_init_leave(&re, r);
    }
    return re;
}

/* Does a bracket of `text` open on what may be a digit: an ASCII one, or
 * a non-ASCII byte (GRegex matches \\d against Unicode's digits)?  The
 * regex's second branch needs "[1" or "(1" for the address it reads. */
static gboolean
has_bracketed_digit(const char *text)
{
    for (const char *p = strpbrk(text, "[("); p; p = strpbrk(p + 1, "[("))
        if (g_ascii_isdigit(p[1]) || (guchar) p[1] >= 0x80)
            return TRUE;
    return FALSE;
}

/* FALSE when host_regex cannot match: the text has neither a bracket
 * opening on an address nor one of its lead-in words (in any case, or
 * with KELVIN SIGN or LONG S, which caseless matching takes for k and s). */
static gboolean
may_name_host(const char *text)
{
    if (has_bracketed_digit(text) || strstr(text, "\xE2\x84\xAA") || strstr(text, "\xC5\xBF"))
        return TRUE;
    g_autofree char *lower = bt_ascii_strdown(text, -1);
    return strstr(lower, "host") || strstr(lower, "talking to") || strstr(lower, "connect")
           || strstr(lower, "from");
}

char *
bt_host_find(const char *text)
{
    if (!text || !may_name_host(text))
        return NULL;
    g_autoptr(GMatchInfo) mi = NULL;
    g_regex_match(host_regex(), text, 0, &mi);
    for (; g_match_info_matches(mi); g_match_info_next(mi, NULL)) {
        for (int group = 1; group <= 2; group++) {
            g_autofree char *host = g_match_info_fetch(mi, group);
            if (host && bt_is_internet_host(host))
                return bt_ascii_strdown(host, -1);
        }
    }
    return NULL;
}
