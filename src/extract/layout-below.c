/* Replies printed below a heading: many MTAs put the remote server's reply
 * under "Reason:" or "The other server said:", after a blank line and
 * indented, where the MTA a layout was written for puts it on its own
 * line.  The layout engine (layout.c) reads such text at the heading's
 * indentation: inside a recipient's block, and over the whole body when
 * no layout reads the body as it stands. */
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

char *
bt_below_lift(const char *body, GArray **shifts)
{
    BtBelow bw = { 0 };
    GString *out = NULL;
    gsize removed = 0;
    *shifts = NULL;
    for (const char *p = body; *p;) {
        const char *nl = strchr(p, '\n');
        gsize len = nl ? (gsize) (nl - p) : strlen(p);
        gsize cut = 0;
        gboolean first;
        if (indent_of(p, len) == len)
            bt_below_blank(&bw);
        else
            cut = bt_below_cut(&bw, p, len, &first);
        if (cut && !out) {
            out = g_string_new_len(body, p - body);
            *shifts = g_array_new(FALSE, FALSE, sizeof(Shift));
        }
        if (out) {
            removed += cut;
            if (cut)
                g_array_append_val(*shifts, ((Shift) { out->len, removed }));
            g_string_append_len(out, p + cut, len - cut + (nl ? 1 : 0));
        }
        p += len + (nl ? 1 : 0);
    }
    return out ? g_string_free(out, FALSE) : NULL;
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
