/* generic-notice — a notice's own text as the generic decoder reads it:
 * its lines (labels, header lines, where an inline copy of the original
 * starts, paragraphs a notice repeats).  Part of generic-lines.h, shared
 * by generic.c and notice-text.c.  Pure functions over strings. */
#include "extract/decode.h"
#include "extract/text.h"
#include "core/literals.h"
#include "extract/generic-words.h"
#include "extract/generic-lines.h"

#include <string.h>

/* A notice's own text is short: lines past this many are not read (a
 * hostile message must not cost time in proportion to its size). */
#define MAX_NOTICE_LINES 2000

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
