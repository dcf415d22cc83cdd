/* generic-lines — how the generic decoder (generic.c) and the readers of
 * one record's text (notice-text.c) read a notice's own text: its words
 * (failure wording, reply and status codes), a line's shape
 * (indentation, lead-ins, rules) and the addresses on a line.  Whether
 * the message announces itself as a bounce at all (or only a delay) is
 * in generic-bounce.c, its lines (labels, header lines, where an inline
 * copy of the original starts) in generic-notice.c.  Pure functions over
 * strings and the message view. */
#include "extract/decode.h"
#include "extract/text.h"
#include "core/literals.h"
#include "extract/generic-words.h"
#include "extract/generic-lines.h"

#include <string.h>

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

gboolean
gen_text_has_word(const char *s, const char *const *words)
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
        return gen_text_has_word(words, gen_failure_words) || gen_has_code(words);
    }
    return gen_text_has_word(line, gen_failure_words) || gen_has_code(line);
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

/* Is the text at `start` part of a URL: a "://" earlier in the same
 * whitespace-delimited token ("http://www.openspf.net/Why?s=mfrom;id=a@b;…")?
 * An address there is a link's parameter, not one the notice names. */
static gboolean
inside_url(const char *line, const char *start)
{
    const char *token = start;
    while (token > line && !g_ascii_isspace(token[-1]) && token[-1] != '<' && token[-1] != '"')
        token--;
    for (const char *p = token; p + 2 < start; p++)
        if (p[0] == ':' && p[1] == '/' && p[2] == '/')
            return TRUE;
    return FALSE;
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
        if (inside_url(line, start)) {
            at = end - 1;
            continue;
        }
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
