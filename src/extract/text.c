/* text — small text helpers of the extract stage: charset conversion,
 * line ends, HTML to text, header blocks.  Pure functions, no state. */
#include "extract/text.h"
#include "extract/html-entities.h"
#include "core/charset.h"
#include "core/core.h"
#include "core/lean-mime.h"
#include "core/literals.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A NUL byte (invalid quoted-printable such as "=00" decodes to one) would
 * end the C string and lose the rest of the text: it becomes a space. */
static void
blank_nuls(char *s, gsize len)
{
    for (char *p = memchr(s, '\0', len); p; p = memchr(p + 1, '\0', s + len - p - 1))
        *p = ' ';
}

/* ISO-2022-JP is 7-bit, so Japanese notices often send it with no charset
 * (or as us-ascii); its escape sequences cannot occur in other text. */
static gboolean
looks_iso2022jp(const char *data, gsize len)
{
    for (const char *p = memchr(data, 0x1B, len); p && p + 2 < data + len;
         p = memchr(p + 1, 0x1B, data + len - p - 1)) {
        if ((p[1] == '$' && (p[2] == 'B' || p[2] == '@')) || (p[1] == '(' && (p[2] == 'J' || p[2] == 'I')))
            return TRUE;
    }
    return FALSE;
}

/* Converts with iconv, putting U+FFFD for each byte that does not convert,
 * so that one bad byte never loses the rest of the text. */
static char *
iconv_lossy(const char *data, gsize len, const char *charset)
{
    GIConv cd = bt_charset_to_utf8(charset);
    if (cd == (GIConv) -1)
        return NULL;
    GString *out = g_string_sized_new(len + len / 2 + 16);
    char buf[4096];
    char *in = (char *) data;
    gsize in_left = len;
    while (in_left > 0) {
        char *o = buf;
        gsize o_left = sizeof buf;
        gsize r = g_iconv(cd, &in, &in_left, &o, &o_left);
        g_string_append_len(out, buf, o - buf);
        if (r == (gsize) -1 && errno != E2BIG) {
            /* EILSEQ or a truncated sequence at the end: skip one byte */
            g_string_append(out, "\xEF\xBF\xBD");
            in++;
            in_left--;
            g_iconv(cd, NULL, NULL, NULL, NULL);
        }
    }
    char *o = buf;
    gsize o_left = sizeof buf;
    g_iconv(cd, NULL, NULL, &o, &o_left);
    g_string_append_len(out, buf, o - buf);
    blank_nuls(out->str, out->len);
    return g_string_free(out, FALSE);
}

/* Bytes that do not convert from the declared charset but are valid UTF-8
 * with some 8-bit bytes are UTF-8 under a wrong label (a 7-bit ISO-2022-JP
 * part re-encoded by some gateway or editor, say). */
static gboolean
is_mislabelled_utf8(const char *data, gsize len, const char *converted)
{
    if (!strstr(converted, "\xEF\xBF\xBD") || !g_utf8_validate(data, len, NULL))
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if ((guchar) data[i] >= 0x80)
            return TRUE;
    return FALSE;
}

/* The bytes as a string, NUL bytes made spaces. */
static char *
copy_blanked(const char *data, gsize len)
{
    char *copy = g_malloc(len + 1);
    memcpy(copy, data, len);
    copy[len] = '\0';
    blank_nuls(copy, len);
    return copy;
}

/* g_utf8_validate_len() of text without NUL bytes, its ASCII start
 * skipped. */
static gboolean
utf8_valid(const char *s, gsize len)
{
    gsize ascii = bt_ascii_run(s, len);
    return ascii == len || g_utf8_validate_len(s + ascii, len - ascii, NULL);
}

/* Charsets that give every ASCII byte its ASCII character, so 7-bit text
 * under them converts to itself. */
static gboolean
is_ascii_superset(const char *charset)
{
    static const char *const prefixes[] = { "iso-8859-", "windows-125", "cp125" };
    for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++)
        if (g_ascii_strncasecmp(charset, prefixes[i], strlen(prefixes[i])) == 0)
            return TRUE;
    return FALSE;
}

/* Is the iconv charset glibc's ISO-2022-JP or ISO-2022-JP-3?  Both give
 * each ASCII byte itself until an ESC byte switches the set, and refuse
 * every byte of 0x80 or more whatever the set (checked byte by byte
 * against glibc's converters, after each designation they know).
 * ISO-2022-JP-2 is not one: its single shift takes 8-bit bytes. */
static gboolean
is_iso2022jp(const char *iconv_name)
{
    static const char *const names[] = { "iso-2022-jp", "iso-2022-jp-3" };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        if (g_ascii_strcasecmp(iconv_name, names[i]) == 0)
            return TRUE;
    return FALSE;
}

/* The text under a declared charset, or NULL when it is to be read as
 * undeclared (no converter, or UTF-8 under a wrong label). */
static char *
declared_to_utf8(const char *data, gsize len, const char *charset)
{
    const char *alias = bt_charset_alias(charset);
    const char *name = alias ? alias : g_mime_charset_iconv_name(charset);
    if (is_iso2022jp(name)) {
        gboolean ascii = bt_ascii_run(data, len) == len;
        /* what the converter would give: the bytes themselves, or a
         * U+FFFD for a byte of 0x80 or more, which makes valid UTF-8 a
         * mislabelled text (is_mislabelled_utf8) */
        if (ascii && !memchr(data, 0x1B, len))
            return copy_blanked(data, len);
        if (!ascii && g_utf8_validate(data, len, NULL))
            return NULL;
    }
    char *text = iconv_lossy(data, len, name);
    if (!text) {
        g_autofree char *other = bt_charset_second_name(charset);
        text = other ? iconv_lossy(data, len, other) : NULL;
    }
    if (text && is_mislabelled_utf8(data, len, text))
        g_clear_pointer(&text, g_free);
    return text;
}

char *
bt_text_to_utf8(const char *data, gsize len, const char *charset)
{
    /* an empty part has no buffer at all (GByteArray's data is NULL) */
    if (!data || len == 0)
        return g_strdup("");
    char *text = NULL;
    if (charset && *charset && g_ascii_strcasecmp(charset, "utf-8") != 0
        && g_ascii_strcasecmp(charset, "us-ascii") != 0) {
        /* what iconv would give (and an unknown charset's fallback too,
         * unless it is ISO-2022-JP) */
        if (is_ascii_superset(charset) && bt_ascii_run(data, len) == len && !looks_iso2022jp(data, len))
            return copy_blanked(data, len);
        text = declared_to_utf8(data, len, charset);
    }
    if (!text && looks_iso2022jp(data, len))
        text = iconv_lossy(data, len, "ISO-2022-JP");
    if (!text) {
        char *copy = copy_blanked(data, len);
        /* an unknown or missing charset: keep what is valid UTF-8 (most
         * text is, and then the copy is the text) */
        if (utf8_valid(copy, len))
            return copy;
        text = g_utf8_make_valid(copy, len);
        g_free(copy);
    } else if (!g_utf8_validate(text, -1, NULL)) {
        char *valid = g_utf8_make_valid(text, -1);
        g_free(text);
        text = valid;
    }
    return text;
}

char *
bt_text_lf(char *text)
{
    if (!text)
        return g_strdup("");
    /* most text has no CR at all: nothing to rewrite before the first */
    char *w = strchr(text, '\r');
    if (!w)
        return text;
    for (const char *r = w; *r; r++) {
        if (*r == '\r') {
            *w++ = '\n';
            if (r[1] == '\n')
                r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return text;
}

/* The code point a numeric character reference stands for, as the WHATWG
 * parser reads it (https://html.spec.whatwg.org/multipage/parsing.html,
 * "numeric character reference end state"): 0x80-0x9F are read as the
 * windows-1252 characters at those bytes (&#146; is a right quote, as
 * the generators that wrote it meant), other C1 codes stay. */
static gunichar
html_numeric_codepoint(guint64 cp)
{
    static const gunichar c1[32] = {
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    };
    return cp >= 0x80 && cp <= 0x9F ? c1[cp - 0x80] : (gunichar) cp;
}

static int
compare_entity(const void *key, const void *entry)
{
    return strcmp(key, ((const BtHtmlEntity *) entry)->name);
}

/* Appends a decoded code point; the invisible format characters (soft
 * hyphen, zero-width joiners, direction marks) render as nothing and go. */
static void
append_codepoint(GString *out, gunichar c)
{
    if (c == 0xAD || (c >= 0x200B && c <= 0x200F))
        return;
    g_string_append_unichar(out, c);
}

/* A character reference after '&' at `s`: the few names bounces write
 * in any case (and, for these, without the ';' that old generators
 * omit), the named references of html-entities.h, and numeric ones
 * (the ';' optional, as the WHATWG parser reads them).  Returns where
 * the text goes on; what is no reference stays as it is. */
static const char *
html_entity(const char *s, GString *out)
{
    static const struct { const char *name; const char *text; } legacy[] = {
        { "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
        { "apos", "'" }, { "nbsp", " " },
    };
    gsize n = 0;
    while (n < 16 && g_ascii_isalnum(s[n]))
        n++;
    if (n > 0 && n < 16 && !g_ascii_isdigit(s[0])) {
        gboolean semi = s[n] == ';';
        for (gsize i = 0; i < G_N_ELEMENTS(legacy); i++)
            if (strlen(legacy[i].name) == n && g_ascii_strncasecmp(s, legacy[i].name, n) == 0
                && (semi || g_ascii_strcasecmp(legacy[i].name, "apos") != 0)) {
                g_string_append(out, legacy[i].text);
                return s + n + semi;
            }
        char name[16];
        memcpy(name, s, n);
        name[n] = '\0';
        const BtHtmlEntity *e = semi ? bsearch(name, bt_html_entities, G_N_ELEMENTS(bt_html_entities),
                                               sizeof bt_html_entities[0], compare_entity) : NULL;
        if (e) {
            append_codepoint(out, e->codepoint);
            return s + n + 1;
        }
    }
    if (*s == '#') {
        gboolean hex = s[1] == 'x' || s[1] == 'X';
        const char *digits = s + (hex ? 2 : 1);
        char *end = NULL;
        guint64 cp = (hex ? g_ascii_isxdigit(*digits) : g_ascii_isdigit(*digits))
            ? g_ascii_strtoull(digits, &end, hex ? 16 : 10) : 0;
        gunichar c = html_numeric_codepoint(cp);
        if (end && cp > 0 && cp < 0x110000 && g_unichar_validate(c)) {
            append_codepoint(out, c);
            return end + (*end == ';');
        }
    }
    g_string_append_c(out, '&');
    return s;
}

/* How a tag breaks the text when rendered.  A <br> always starts a new
 * line (two make an empty one); a row, item or division starts one unless
 * the text is already at a line's start, so "</tr>\n<tr>" is one break, as
 * a renderer shows it (the rows of one table are one block of lines, as
 * the plain text they were made from); a paragraph, table or heading
 * stands apart from the text around it by an empty line.  The other
 * elements the WHATWG rendering rules display as blocks (lists and their
 * terms, sections, captions, row groups: https://html.spec.whatwg.org/
 * multipage/rendering.html#flow-content-3 and #tables-2) start a line. */
typedef enum { HTML_INLINE, HTML_BREAK, HTML_LINE, HTML_PARAGRAPH } HtmlBreak;

/* The element name of the tag at `tag` (after '<', past a closing tag's
 * '/'), lowercased into `buf`; empty when longer than any name looked for.
 * Read once per tag: comparing each tag from its start again with every
 * block element was half of what a notice in HTML cost. */
#define HTML_NAME_MAX 16

static const char *
html_tag_lower(const char *tag, char buf[HTML_NAME_MAX])
{
    const char *name = tag + (*tag == '/');
    gsize n = strcspn(name, " \t\n/>");
    if (n >= HTML_NAME_MAX)
        n = 0;
    for (gsize i = 0; i < n; i++)
        buf[i] = g_ascii_tolower(name[i]);
    buf[n] = '\0';
    return buf;
}

/* How the element `name` (lowercase) breaks the text. */
static HtmlBreak
html_tag_break(const char *name)
{
    static const struct { const char *name; HtmlBreak kind; } blocks[] = {
        { "br", HTML_BREAK }, { "tr", HTML_LINE }, { "li", HTML_LINE }, { "div", HTML_LINE },
        { "title", HTML_LINE }, { "p", HTML_PARAGRAPH }, { "h1", HTML_PARAGRAPH },
        { "h2", HTML_PARAGRAPH }, { "h3", HTML_PARAGRAPH }, { "h4", HTML_PARAGRAPH },
        { "h5", HTML_PARAGRAPH }, { "h6", HTML_PARAGRAPH },
        { "table", HTML_PARAGRAPH }, { "blockquote", HTML_PARAGRAPH }, { "pre", HTML_PARAGRAPH },
        { "hr", HTML_PARAGRAPH },
        { "dl", HTML_LINE }, { "dt", HTML_LINE }, { "dd", HTML_LINE }, { "ul", HTML_LINE },
        { "ol", HTML_LINE }, { "menu", HTML_LINE }, { "dir", HTML_LINE },
        { "caption", HTML_LINE }, { "thead", HTML_LINE }, { "tbody", HTML_LINE }, { "tfoot", HTML_LINE },
        { "address", HTML_LINE }, { "article", HTML_LINE }, { "aside", HTML_LINE },
        { "center", HTML_LINE }, { "details", HTML_LINE }, { "summary", HTML_LINE },
        { "dialog", HTML_LINE }, { "fieldset", HTML_LINE }, { "legend", HTML_LINE },
        { "figure", HTML_LINE }, { "figcaption", HTML_LINE }, { "footer", HTML_LINE },
        { "header", HTML_LINE }, { "hgroup", HTML_LINE }, { "main", HTML_LINE }, { "nav", HTML_LINE },
        { "section", HTML_LINE }, { "search", HTML_LINE }, { "form", HTML_LINE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(blocks); i++)
        if (blocks[i].name[0] == name[0] && strcmp(blocks[i].name, name) == 0)
            return blocks[i].kind;
    return HTML_INLINE;
}

/* Drops the blanks the text being made has after its last line break
 * (the white space between two tags); TRUE when the text is empty or ends
 * in a line break then. */
static gboolean
at_line_start(GString *out)
{
    gsize end = out->len;
    while (end && out->str[end - 1] == ' ')
        end--;
    if (end && out->str[end - 1] != '\n')
        return FALSE;
    g_string_truncate(out, end);
    return TRUE;
}

static void
html_break(GString *out, HtmlBreak kind)
{
    if (kind == HTML_BREAK) {
        g_string_append_c(out, '\n');
    } else if (kind == HTML_LINE) {
        if (!at_line_start(out))
            g_string_append_c(out, '\n');
    } else if (!at_line_start(out)) {
        g_string_append(out, "\n\n");
    } else if (out->len && !(out->len >= 2 && out->str[out->len - 2] == '\n')) {
        g_string_append_c(out, '\n');
    }
}

/* Marks, in the text being made, a line whose indentation is kept. */
#define KEPT_INDENT '\x01'

/* After a tag that breaks the line: the indentation of the text that
 * follows it ("<br>\n    550 …", "<p>  jsmith2  Mailbox unknown"), as a
 * notice made from plain text has it; layouts read the lines indented
 * under an address as its reply.  Returns where the text goes on. */
static const char *
keep_indent(const char *s, GString *out)
{
    const char *p = s + (*s == '\r');
    p += *p == '\n';
    gsize at = out->len;
    g_string_append_c(out, KEPT_INDENT);
    for (;;) {
        if (*p == ' ' || *p == '\t') {
            g_string_append_c(out, *p++);
        } else if (g_ascii_strncasecmp(p, "&nbsp;", 6) == 0) {
            g_string_append_c(out, ' ');
            p += 6;
        } else {
            break;
        }
    }
    if (out->len > at + 1 && *p && *p != '<' && *p != '\r' && *p != '\n')
        return p;
    g_string_truncate(out, at);
    return s;
}

/* Inside <pre>, a line break of the source is one of the text, and the
 * indentation of the line after it stays (the WHATWG rendering rules
 * keep a pre's white space: "white-space: pre"). */
static void
pre_line_break(GString *out, const char *next)
{
    g_string_append_c(out, '\n');
    if (*next == ' ' || *next == '\t')
        g_string_append_c(out, KEPT_INDENT);
}

/* Reduces HTML to its text: tags dropped (block tags become line breaks,
 * table cells a space apart), <style>/<script>/comments removed, entities
 * decoded, runs of blank lines collapsed; the indentation of text after a
 * line break is kept (keep_indent), and a <pre>'s lines stay lines. */
char *
bt_html_to_text(const char *html)
{
    GString *out = g_string_sized_new(strlen(html));
    const char *s = html;
    int pre = 0;    /* how many <pre> elements are open */
    while (*s) {
        if (*s == '<') {
            if (g_str_has_prefix(s, "<!--")) {
                const char *end = strstr(s, "-->");
                s = end ? end + 3 : s + strlen(s);
                continue;
            }
            if (g_ascii_strncasecmp(s, "<style", 6) == 0 || g_ascii_strncasecmp(s, "<script", 7) == 0) {
                const char *close = g_ascii_strncasecmp(s, "<style", 6) == 0 ? "</style" : "</script";
                const char *end = s;
                while ((end = strchr(end + 1, '<')) && g_ascii_strncasecmp(end, close, strlen(close)) != 0)
                    ;
                s = end ? end : s + strlen(s);
                const char *gt = strchr(s, '>');
                s = gt ? gt + 1 : s + strlen(s);
                continue;
            }
            const char *gt = strchr(s, '>');
            if (!gt) {
                /* no tag can close after this: the rest is text (and
                 * looking again at each '<' would be quadratic) */
                for (; *s; s++)
                    g_string_append_c(out, (*s == '\n' && !pre) || *s == '\t' ? ' ' : *s);
                break;
            }
            char buf[HTML_NAME_MAX];
            const char *name = html_tag_lower(s + 1, buf);
            HtmlBreak kind = html_tag_break(name);
            gboolean breaks = kind != HTML_INLINE;
            if (breaks)
                html_break(out, kind);
            else if (s[1] != '/' && (strcmp(name, "td") == 0 || strcmp(name, "th") == 0))
                g_string_append_c(out, ' ');
            if (strcmp(name, "pre") == 0) {
                if (s[1] == '/') {
                    pre -= pre > 0;
                } else {
                    pre++;
                    /* a line break right after the start tag is not content */
                    gt += gt[1] == '\n';
                }
            }
            s = breaks ? keep_indent(gt + 1, out) : gt + 1;
        } else if (*s == '&') {
            s = html_entity(s + 1, out);
        } else if (*s == '\n' && pre) {
            pre_line_break(out, ++s);
        } else if (*s == '\n' || *s == '\t' || *s == KEPT_INDENT) {
            g_string_append_c(out, ' ');
            s++;
        } else {
            g_string_append_c(out, *s++);
        }
    }
    /* trim spaces at line ends and collapse blank-line runs */
    g_auto(GStrv) lines = bt_strsplit_lines(out->str);
    g_string_free(out, TRUE);
    GString *text = g_string_new(NULL);
    int blanks = 0;
    for (int i = 0; lines[i]; i++) {
        if (lines[i][0] == KEPT_INDENT) {
            g_strchomp(lines[i]);
            memmove(lines[i], lines[i] + 1, strlen(lines[i]));
        } else {
            g_strstrip(lines[i]);
        }
        if (!*lines[i]) {
            if (text->len && blanks++ == 0)
                g_string_append_c(text, '\n');
            continue;
        }
        blanks = 0;
        g_string_append(text, lines[i]);
        g_string_append_c(text, '\n');
    }
    return g_string_free(text, FALSE);
}

char *
bt_header_block_unfold(const char *block)
{
    gsize len = strlen(block);
    const char *end = block + len;
    /* most blocks have no CR: their runs end at the next LF, which
     * memchr finds faster than strcspn finds either */
    gboolean has_cr = memchr(block, '\r', len) != NULL;
    char *out = g_malloc(len + 1), *w = out;
    for (const char *s = block; *s; s++) {
        /* copy the run up to the next CR or LF whole */
        const char *lf = has_cr ? NULL : memchr(s, '\n', end - s);
        gsize run = has_cr ? strcspn(s, "\r\n") : lf ? (gsize) (lf - s) : (gsize) (end - s);
        memcpy(w, s, run);
        w += run;
        s += run;
        if (!*s)
            break;
        if (*s == '\r')
            continue;
        if (s[1] == ' ' || s[1] == '\t') {
            while (s[1] == ' ' || s[1] == '\t')
                s++;
            *w++ = ' ';
            continue;
        }
        *w++ = '\n';
    }
    *w = '\0';
    return out;
}


char *
bt_header_block_get(const char *block, const char *name)
{
    if (!block)
        return NULL;
    gsize n = strlen(name);
    /* a line whose first byte differs from the name's even with bit 0x20
     * (ASCII case) set in both is no match: most lines are passed over
     * without a call */
    const char first = (char) (name[0] | 0x20);
    for (const char *line = block; line && *line;) {
        if (*line == '\n')
            break;   /* the end of the header block */
        if ((!n || (char) (*line | 0x20) == first) && g_ascii_strncasecmp(line, name, n) == 0) {
            const char *p = line + n;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == ':') {
                const char *end = strchr(p, '\n');
                g_autofree char *value = g_strndup(p + 1, end ? (gsize) (end - p - 1) : strlen(p + 1));
                g_autofree char *decoded = bt_mime_decode_text(value);
                return bt_strdup_trimmed(decoded);
            }
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

/* The longest heading: "The error that the other server returned was:"
 * and its kin are short. */
#define MAX_HEADING_CHARS 80

/* An SMTP reply code (4xx, 5xx) or an RFC 3463 status code (4.x.x,
 * 5.x.x) standing as a word in [s, s + n). */
static gboolean
holds_failure_code(const char *s, gsize n)
{
    for (gsize i = 0; i + 3 <= n; i++) {
        if ((s[i] != '4' && s[i] != '5') || (i > 0 && (g_ascii_isalnum(s[i - 1]) || s[i - 1] == '.')))
            continue;
        if (g_ascii_isdigit(s[i + 1]) && g_ascii_isdigit(s[i + 2])
            && (i + 3 == n || s[i + 3] == ' ' || s[i + 3] == '-'))
            return TRUE;
        if (s[i + 1] == '.' && i + 4 < n && g_ascii_isdigit(s[i + 2])) {
            gsize j = i + 2;
            while (j < n && g_ascii_isdigit(s[j]))
                j++;
            if (j + 1 < n && s[j] == '.' && g_ascii_isdigit(s[j + 1]))
                return TRUE;
        }
    }
    return FALSE;
}

gboolean
bt_text_is_heading(const char *s, gsize n)
{
    while (n && g_ascii_isspace(s[n - 1]))
        n--;
    /* most lines end otherwise: that is decided first, byte by byte */
    if (!n || (s[n - 1] != ':' && !(n >= 3 && (guchar) s[n - 1] == 0x9a && (guchar) s[n - 2] == 0xbc
                                    && (guchar) s[n - 3] == 0xef)))   /* U+FF1A */
        return FALSE;
    while (n && g_ascii_isspace(*s))
        s++, n--;
    if (n < 2 || n > MAX_HEADING_CHARS || memchr(s, '@', n))
        return FALSE;
    gboolean letter = FALSE;
    int marks = 0, other = 0;
    for (gsize i = 0; i < n; i++) {
        switch (s[i]) {
        case '-': case '=': case '_': case '*': case '#': case '~':
            marks++;
            break;
        case ' ': case '\t':
            break;
        default:
            other++;
            letter = letter || g_ascii_isalpha(s[i]) || (guchar) s[i] >= 0x80;
        }
    }
    /* a rule of dashes ("-----:") is a separator */
    return letter && !(marks >= 3 && other < marks) && !holds_failure_code(s, n);
}

gsize
bt_text_squeeze_into(char *out, const char *s, gsize n, gboolean trim)
{
    gsize len = 0;
    for (gsize i = 0; i < n; i++) {
        if (!g_ascii_isspace(s[i]))
            out[len++] = s[i];
        else if (len ? out[len - 1] != ' ' : !trim)
            out[len++] = ' ';
    }
    if (trim && len && out[len - 1] == ' ')
        len--;
    out[len] = '\0';
    return len;
}
