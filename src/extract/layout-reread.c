/* The notice as a layout expects to read it.  Layouts are written for the
 * way one MTA prints its notice; others print the same facts a little
 * differently, and when no layout reads a notice as it stands, the layout
 * engine (layout.c) tries them once more on a copy read this way:
 *   - many MTAs put the remote server's reply under "Reason:" or "The
 *     other server said:", after a blank line and indented, where the
 *     layout's MTA puts it on its own line: the text under a heading is
 *     read at the heading's indentation (BtBelow, which the scan of a
 *     recipient's block uses too);
 *   - gateways write addresses in Exchange's proxy notation or as links
 *     ("SMTP:a@b", "mailto:a@b"): the prefix is dropped; so are the quotes
 *     of an address quoted on its own ("a@b" in quotes) and the colon or
 *     comma after an address alone on its line ("a@b:"). */
#include "extract/layout-private.h"
#include "extract/text.h"

#include <string.h>

static gsize
indent_of(const char *s, gsize n)
{
    gsize i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* Does the line start with an address ("a@b", "<a@b>", "SMTP:a@b: …")? */
static gboolean
starts_with_address(const char *s, gsize n)
{
    for (gsize i = 0; i < n && !g_ascii_isspace(s[i]); i++)
        if (s[i] == '@')
            return TRUE;
    return FALSE;
}

void
bt_below_blank(BtBelow *bw)
{
    bw->crossed_blank = bw->after_heading;
    bw->lifting = FALSE;
}

gsize
bt_below_cut(BtBelow *bw, const char *line, gsize len, gboolean *first)
{
    gsize indent = indent_of(line, len);
    /* a list of recipients under a lead-in ("was not delivered to:", a
     * blank line, "  ADDR" lines) is no text to lift: layouts read its
     * lines at their own indentation */
    *first = bw->after_heading && bw->crossed_blank && indent > bw->heading_indent
        && !starts_with_address(line + indent, len - indent);
    if (*first) {
        bw->lifting = TRUE;
        bw->lift_indent = indent;
        bw->lift_base = bw->heading_indent;
    } else if (bw->lifting && indent <= bw->heading_indent) {
        bw->lifting = FALSE;
    }
    /* the lines indented deeper than the first keep what they have more
     * (a recipient's line and its reply indented below it); a heading
     * inside the lifted text moves heading_indent, not the cut */
    gsize cut = bw->lifting ? MIN(indent, bw->lift_indent) - bw->lift_base : 0;
    bw->after_heading = bt_text_is_heading(line, len);
    bw->crossed_blank = FALSE;
    if (bw->after_heading)
        bw->heading_indent = indent;
    return cut;
}

/* One de-indented line of the lifted body: where it starts there, and
 * how many bytes the lifting had removed once past its indentation. */
typedef struct {
    gsize at;
    gsize removed;
} Shift;

/* The length of a transport prefix ("SMTP:", "mailto:") at `s` that
 * stands before an address, else 0.  "<mailto:a@b>" is a link, which
 * layouts read as such. */
static gsize
address_prefix_at(const char *line, const char *s, const char *end)
{
    static const char *const prefixes[] = { "smtp:", "mailto:" };
    if (s > line && (g_ascii_isalnum(s[-1]) || s[-1] == '<' || s[-1] == ':' || s[-1] == '='))
        return 0;
    for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        gsize n = strlen(prefixes[i]);
        if ((gsize) (end - s) <= n || g_ascii_strncasecmp(s, prefixes[i], n) != 0)
            continue;
        const char *t = s + n;
        while (t < end && !g_ascii_isspace(*t) && *t != '@' && *t != '<' && *t != '>')
            t++;
        return t > s + n && t < end && *t == '@' ? n : 0;
    }
    return 0;
}

/* The copy being made: nothing is copied until the first byte dropped. */
typedef struct {
    GString *out;
    const char *copied_to;   /* the source is in `out` up to here */
    const char *end;         /* the source's end */
    gsize removed;
    GArray *shifts;          /* Shift */
} Copy;

/* Drops the n bytes of the source at `at`. */
static void
drop(Copy *c, const char *at, gsize n)
{
    if (!c->out) {
        c->out = g_string_sized_new(c->end - c->copied_to + 1);
        c->shifts = g_array_new(FALSE, FALSE, sizeof(Shift));
    }
    g_string_append_len(c->out, c->copied_to, at - c->copied_to);
    c->removed += n;
    g_array_append_val(c->shifts, ((Shift) { c->out->len, c->removed }));
    c->copied_to = at + n;
}

/* The closing quote of an address quoted on its own at `q` ("a@b"
 * and nothing else between the quotes), else NULL. */
static const char *
quoted_address_end(const char *line, const char *q, const char *end)
{
    if (q > line && (g_ascii_isalnum(q[-1]) || q[-1] == '='))
        return NULL;
    const char *at = NULL, *t = q + 1;
    for (; t < end && *t != '"'; t++) {
        if (g_ascii_isspace(*t) || *t == '<' || *t == '>' || *t == ',' || *t == ';')
            return NULL;
        if (*t == '@') {
            if (at)
                return NULL;
            at = t;
        }
    }
    return t < end && at && at > q + 1 && t > at + 1 ? t : NULL;
}

/* Drops the transport prefixes of the addresses in the line [line, end),
 * and the quotes of an address quoted on its own. */
static void
drop_prefixes(Copy *c, const char *line, const char *end)
{
    const char *close = NULL;
    const char *colon = memchr(line, ':', end - line), *quote = memchr(line, '"', end - line);
    for (const char *s; (s = !quote || (colon && colon < quote) ? colon : quote); ) {
        if (s == colon)
            colon = memchr(s + 1, ':', end - s - 1);
        else
            quote = memchr(s + 1, '"', end - s - 1);
        if (*s == '"') {
            if (s == close) {
                drop(c, s, 1);
                close = NULL;
            } else if (!close && (close = quoted_address_end(line, s, end))) {
                drop(c, s, 1);
            }
            continue;
        }
        /* every prefix ends in a colon: look only before each colon */
        for (gsize back = 4; back <= 6; back += 2) {
            const char *p = s - back;
            gsize n = p >= line && p >= c->copied_to ? address_prefix_at(line, p, end) : 0;
            if (n == back + 1) {
                drop(c, p, n);
                break;
            }
        }
    }
}

/* Drops the colon or comma after an address alone on the line [line,
 * end): "a@b:" as a list item is the address. */
static void
drop_trailing_mark(Copy *c, const char *line, const char *end)
{
    while (line < end && (*line == ' ' || *line == '\t'))
        line++;
    while (end > line && g_ascii_isspace(end[-1]))
        end--;
    if (end - line < 4 || (end[-1] != ':' && end[-1] != ',') || !g_ascii_isalnum(end[-2]))
        return;
    const char *at = memchr(line, '@', end - line);
    for (const char *s = line; s < end; s++)
        if (g_ascii_isspace(*s) || *s == '"' || (*s == ':' && s < end - 1))
            return;
    if (at && at > line && at < end - 2)
        drop(c, end - 1, 1);
}

char *
bt_layout_reread(const char *body, gsize len, GArray **shifts)
{
    BtBelow bw = { 0 };
    const char *end = body + len;
    Copy c = { NULL, body, end, 0, NULL };
    for (const char *p = body; p < end;) {
        const char *nl = memchr(p, '\n', end - p);
        const char *eol = nl ? nl : end;
        gsize cut = 0;
        gboolean first;
        if (indent_of(p, eol - p) == (gsize) (eol - p))
            bt_below_blank(&bw);
        else
            cut = bt_below_cut(&bw, p, eol - p, &first);
        if (cut)
            drop(&c, p, cut);
        drop_prefixes(&c, p + cut, eol);
        drop_trailing_mark(&c, p + cut, eol);
        p = nl ? nl + 1 : end;
    }
    *shifts = c.shifts;
    if (!c.out)
        return NULL;
    g_string_append_len(c.out, c.copied_to, end - c.copied_to);
    return g_string_free(c.out, FALSE);
}

gsize
bt_below_unlifted(const GArray *shifts, gsize at)
{
    gsize removed = 0;
    for (guint i = 0; i < shifts->len; i++) {
        const Shift *s = &g_array_index(shifts, Shift, i);
        if (s->at >= at)
            break;
        removed = s->removed;
    }
    return at + removed;
}
