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
 *     ("SMTP:a@b", "mailto:a@b"): the prefix is dropped. */
#include "extract/layout-private.h"

#include <string.h>

/* A line that only announces text below it: it ends with a colon, has a
 * letter, and names no address. */
static gboolean
is_heading(const char *s, gsize n)
{
    while (n && g_ascii_isspace(s[n - 1]))
        n--;
    if (n < 2 || n > 80 || s[n - 1] != ':' || memchr(s, '@', n))
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (g_ascii_isalpha(s[i]))
            return TRUE;
    return FALSE;
}

static gsize
indent_of(const char *s, gsize n)
{
    gsize i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
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
    *first = bw->after_heading && bw->crossed_blank && indent > bw->heading_indent;
    if (*first)
        bw->lifting = TRUE;
    else if (bw->lifting && indent <= bw->heading_indent)
        bw->lifting = FALSE;
    gsize cut = bw->lifting ? indent - bw->heading_indent : 0;
    bw->after_heading = is_heading(line, len);
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

/* Appends [s, end) to `out` without the transport prefixes of its
 * addresses, noting each drop in `shifts`. */
static void
append_without_prefixes(GString *out, const char *s, const char *end, gsize *removed, GArray *shifts)
{
    const char *line = s;
    for (const char *p = s; p < end; p++) {
        gsize n = (*p == 's' || *p == 'S' || *p == 'm' || *p == 'M') ? address_prefix_at(line, p, end) : 0;
        if (!n)
            continue;
        g_string_append_len(out, s, p - s);
        *removed += n;
        g_array_append_val(shifts, ((Shift) { out->len, *removed }));
        s = p + n;
        p = s - 1;
    }
    g_string_append_len(out, s, end - s);
}

char *
bt_layout_reread(const char *body, GArray **shifts)
{
    BtBelow bw = { 0 };
    GString *out = g_string_new(NULL);
    gsize removed = 0;
    *shifts = g_array_new(FALSE, FALSE, sizeof(Shift));
    for (const char *p = body; *p;) {
        const char *nl = strchr(p, '\n');
        gsize len = nl ? (gsize) (nl - p) : strlen(p);
        gsize cut = 0;
        gboolean first;
        if (indent_of(p, len) == len)
            bt_below_blank(&bw);
        else
            cut = bt_below_cut(&bw, p, len, &first);
        if (cut) {
            removed += cut;
            g_array_append_val(*shifts, ((Shift) { out->len, removed }));
        }
        append_without_prefixes(out, p + cut, p + len + (nl ? 1 : 0), &removed, *shifts);
        p += len + (nl ? 1 : 0);
    }
    if (removed)
        return g_string_free(out, FALSE);
    g_string_free(out, TRUE);
    g_clear_pointer(shifts, g_array_unref);
    return NULL;
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
