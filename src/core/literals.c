/* literals — see literals.h.  A conservative reader: anything it is not
 * sure of makes it decline, and the pattern then runs whole. */
#include "core/literals.h"

#include <string.h>

/* Leading "(?imsn)" options: their length, 0 when there are none. */
static gsize
leading_options(const char *p)
{
    if (strncmp(p, "(?", 2) != 0)
        return 0;
    gsize n = 2;
    while (p[n] && strchr("imsn", p[n]))
        n++;
    return n > 2 && p[n] == ')' ? n + 1 : 0;
}

/* After "\": FALSE for escapes naming another part of the pattern or
 * quoting a span (\1, \g{..}, \k<..>, \Q..\E), or \c taking the next byte. */
static gboolean
escape_is_local(char c)
{
    return c && !g_ascii_isdigit(c) && !strchr("gkQEc", c);
}

/* Past a POSIX class name "[:alpha:]" or "[:^alpha:]" at `p` ('[' then
 * ':'), or NULL when what follows is not one (PCRE2 then reads the '['
 * as itself; declining is simpler and safe). */
static const char *
skip_posix_name(const char *p)
{
    p += 2;
    if (*p == '^')
        p++;
    while (g_ascii_isalpha(*p))
        p++;
    return p[0] == ':' && p[1] == ']' ? p + 2 : NULL;
}

const char *
bt_skip_class(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;                    /* "[]…]" and "[^]…]": a first ']' is a member */
    while (*p && *p != ']') {
        if (*p == '\\') {
            /* \Q…\E can quote a ']' and \c takes the byte after it ("\c]"):
             * either could hide the end.  Any other escape is two bytes
             * here, its argument ({…} of \x \o \p \N, octal digits)
             * holding no ']'. */
            if (!p[1] || p[1] == 'Q' || p[1] == 'c')
                return NULL;
            p += 2;
        } else if (p[0] == '[' && p[1] == ':') {
            if (!(p = skip_posix_name(p)))
                return NULL;
        } else {
            p++;
        }
    }
    return *p ? p + 1 : NULL;
}

/* After "(": FALSE for the group kinds that tie branches together or hide
 * parentheses: (?#…), (?(…)…), (?R), (?1), (?+1), (?-1), (?&n), (?P>n),
 * (?P=n), (*VERB), and option changes "(?i)" that carry into the
 * following branches.  Scoped options "(?i:…)", lookarounds, named and
 * atomic groups and "(?|…)" are fine. */
static gboolean
group_is_local(const char *p)
{
    if (*p == '*')
        return FALSE;
    if (*p != '?')
        return TRUE;
    p++;
    if (*p == '#' || *p == '(' || *p == 'R' || *p == '&' || *p == '+' || g_ascii_isdigit(*p))
        return FALSE;
    if (*p == '-' && g_ascii_isdigit(p[1]))
        return FALSE;
    if (*p == 'P' && (p[1] == '>' || p[1] == '='))
        return FALSE;
    if (g_ascii_isalpha(*p) || *p == '-' || *p == '^') {
        while (g_ascii_isalpha(*p) || *p == '-' || *p == '^')
            p++;
        return *p == ':';        /* "(?i)" changes the rest; "(?i:…)" only its group */
    }
    return TRUE;
}

/* The byte offsets of the top-level '|' of `p`, or FALSE when unsure. */
static gboolean
find_bars(const char *p, GArray *bars)
{
    const char *start = p;
    int depth = 0;
    while (*p) {
        switch (*p) {
        case '\\':
            if (!escape_is_local(p[1]))
                return FALSE;
            p += 2;
            continue;
        case '[':
            p = bt_skip_class(p);
            if (!p)
                return FALSE;
            continue;
        case '(':
            if (!group_is_local(p + 1))
                return FALSE;
            depth++;
            break;
        case ')':
            if (--depth < 0)
                return FALSE;
            break;
        case '|':
            if (depth == 0) {
                gsize at = (gsize) (p - start);
                g_array_append_val(bars, at);
            }
            break;
        default:
            break;
        }
        p++;
    }
    return depth == 0;
}

GStrv
bt_pattern_branches(const char *pattern)
{
    gsize opts = leading_options(pattern);
    const char *body = pattern + opts;
    g_autoptr(GArray) bars = g_array_new(FALSE, FALSE, sizeof(gsize));
    if (!find_bars(body, bars) || bars->len == 0)
        return NULL;
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    gsize from = 0;
    for (guint i = 0; i <= bars->len; i++) {
        gsize to = i < bars->len ? g_array_index(bars, gsize, i) : strlen(body);
        g_autofree char *branch = g_strdup_printf("%.*s%.*s", (int) opts, pattern, (int) (to - from),
                                                  body + from);
        g_strv_builder_add(b, branch);
        from = to + 1;
    }
    return g_strv_builder_end(b);
}

/* Eight bytes at a time: the high bit of each byte of `upper` is set when
 * that byte is 'A'..'Z' (ASCII, at least 'A', not above 'Z'), and 0x20
 * below it makes the letter lower case. */
static inline guint64
word_strdown(guint64 w)
{
    const guint64 high = G_GUINT64_CONSTANT(0x8080808080808080);
    const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
    guint64 low7 = w & ~high;
    guint64 at_least_a = low7 + ones * (0x80 - 'A');
    guint64 above_z = low7 + ones * (0x7F - 'Z');
    guint64 upper = at_least_a & ~above_z & ~w & high;
    return w | upper >> 2;
}

gboolean
bt_ascii_strdown_into(char *out, const char *s, gsize n)
{
    const guint64 high = G_GUINT64_CONSTANT(0x8080808080808080);
    guint64 seen = 0;
    gsize i = 0;
    for (; i + 8 <= n; i += 8) {
        guint64 w;
        memcpy(&w, s + i, 8);
        seen |= w;
        w = word_strdown(w);
        memcpy(out + i, &w, 8);
    }
    for (; i < n; i++) {
        guchar c = (guchar) s[i];
        seen |= c;
        out[i] = (char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    return (seen & high) != 0;
}

char *
bt_ascii_strdown(const char *s, gssize len)
{
    gsize n = len < 0 ? strlen(s) : (gsize) len;
    char *out = g_malloc(n + 1);
    bt_ascii_strdown_into(out, s, n);
    out[n] = '\0';
    return out;
}

static inline guint
pair_of(const char *p)
{
    return (guint) (guchar) p[0] << 8 | (guchar) p[1];
}

void
bt_pair_set_fill(BtPairSet *set, const char *text, gsize len)
{
    memset(set->bits, 0, sizeof set->bits);
    for (gsize i = 1; i < len; i++) {
        guint pair = pair_of(text + i - 1);
        set->bits[pair / 64] |= G_GUINT64_CONSTANT(1) << (pair % 64);
    }
}

gboolean
bt_pair_set_may_hold(const BtPairSet *set, const char *literal)
{
    for (const char *p = literal; p[0] && p[1]; p++) {
        guint pair = pair_of(p);
        if (!(set->bits[pair / 64] & (G_GUINT64_CONSTANT(1) << (pair % 64))))
            return FALSE;
    }
    return TRUE;
}

gsize
bt_ascii_run(const char *s, gsize len)
{
    gsize i = 0;
    for (guint64 w; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        if (w & G_GUINT64_CONSTANT(0x8080808080808080))
            break;
    }
    while (i < len && (guchar) s[i] < 0x80)
        i++;
    return i;
}

/* An ASCII run shorter than this stays inside the stretch GLib folds: a
 * call to g_utf8_casefold per word between non-ASCII words would cost more
 * than folding the short run character by character. */
#define FOLD_ASCII_RUN 16

/* GLib's folding of a text with an invalid sequence: GLib steps over a
 * lead byte's whole length, so a sequence cut at the end takes it past
 * the terminating NUL and reads what follows the string.  It is given a
 * copy with NULs enough after it (the longest step GLib takes is 6 bytes):
 * the same bytes out, and no read beyond the copy. */
static char *
casefold_invalid(const char *s, gsize n)
{
    g_autofree char *padded = g_malloc0(n + 8);
    memcpy(padded, s, n);
    return g_utf8_casefold(padded, -1);
}

/* How GLib folds each character does not depend on its neighbours, and a
 * stretch that starts at a non-ASCII byte and ends before an ASCII one
 * holds whole characters when the text is valid UTF-8, so folding the
 * stretches apart gives GLib's bytes.  GLib reads an invalid sequence
 * together with the bytes after it, so a text with one is folded whole
 * (casefold_invalid). */
char *
bt_casefold(const char *s)
{
    gsize n = strlen(s);
    gsize at = bt_ascii_run(s, n);
    if (at == n)
        return bt_ascii_strdown(s, (gssize) n);
    GString *out = g_string_sized_new(n + 16);
    g_string_set_size(out, at);
    bt_ascii_strdown_into(out->str, s, at);
    while (at < n) {
        /* a stretch: up to the next ASCII run long enough to pay for a call */
        gsize end = at, ascii;
        for (;;) {
            while (end < n && (guchar) s[end] >= 0x80)
                end++;
            ascii = bt_ascii_run(s + end, n - end);
            if (end + ascii == n || ascii >= FOLD_ASCII_RUN)
                break;
            end += ascii;
        }
        if (!g_utf8_validate(s + at, (gssize) (end - at), NULL)) {
            g_string_free(out, TRUE);
            return casefold_invalid(s, n);
        }
        g_autofree char *folded = g_utf8_casefold(s + at, (gssize) (end - at));
        g_string_append(out, folded);
        gsize from = out->len;
        g_string_set_size(out, from + ascii);
        bt_ascii_strdown_into(out->str + from, s + end, ascii);
        at = end + ascii;
    }
    return g_string_free(out, FALSE);
}
