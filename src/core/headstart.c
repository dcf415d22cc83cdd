/* headstart — the bytes before a message's first header field that no
 * header can start with (see headstart.h). */
#include "core/headstart.h"

#include <string.h>

/* At most this many junk lines are skipped: a real header follows within
 * a few lines, or the input is no message. */
#define MAX_JUNK_LINES 8

/* The end of the line at `p` (its terminator excluded) and, in *next, the
 * start of the following line; NULL when the block ends inside the line. */
static const char *
line_end(const char *p, const char *limit, const char **next)
{
    for (const char *q = p; q < limit; q++) {
        if (*q == '\n') {
            *next = q + 1;
            return q;
        }
        if (*q == '\r') {
            *next = q + 1 < limit && q[1] == '\n' ? q + 2 : q + 1;
            return q;
        }
    }
    return NULL;
}

static gboolean
is_white_line(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t')
            return FALSE;
    return TRUE;
}

/* "Name:" with a printable field name (RFC 5322 §2.2), or an mbox "From ". */
static gboolean
starts_header(const char *p, const char *end)
{
    if (end - p >= 5 && memcmp(p, "From ", 5) == 0)
        return TRUE;
    const char *q = p;
    while (q < end && *q > ' ' && *q < 127 && *q != ':')
        q++;
    return q > p && q < end && *q == ':';
}

/* An mbox "From " line followed by a white-space-only line is the
 * separator's residue of a message saved on its own, not the start of an
 * mbox: no header field follows it, and GMime would refuse the entry. */
static gboolean
is_separator_before_junk(const char *p, const char *end, const char *next, const char *limit)
{
    if (end - p < 5 || memcmp(p, "From ", 5) != 0)
        return FALSE;
    const char *after = NULL;
    const char *next_end = line_end(next, limit, &after);
    return next_end && next_end > next && is_white_line(next, next_end);
}

gsize
bt_header_junk_length(const char *block, gsize len)
{
    const char *limit = block + len;
    const char *p = block;
    for (int n = 0; n < MAX_JUNK_LINES && p < limit; n++) {
        const char *next = NULL;
        const char *end = line_end(p, limit, &next);
        if (!end)
            return 0;
        if (starts_header(p, end) && !is_separator_before_junk(p, end, next, limit))
            return (gsize) (p - block);
        gboolean residue = (end - p > 6 && memcmp(p, ">From ", 6) == 0)
            || (end - p > 5 && memcmp(p, "From ", 5) == 0);
        if (!residue && !is_white_line(p, end))
            return 0;
        p = next;
    }
    return 0;
}

/* More digits than any message a count can describe: not a count. */
#define MAX_COUNT_DIGITS 12

gsize
bt_header_emlx_count(const char *block, gsize len, guint64 *count)
{
    const char *limit = block + len;
    const char *next = NULL;
    const char *end = line_end(block, limit, &next);
    const char *p = block;
    while (end && p < end && g_ascii_isdigit(*p))
        p++;
    if (!end || p == block || p - block > MAX_COUNT_DIGITS || !is_white_line(p, end))
        return 0;
    const char *after = NULL;
    const char *field_end = line_end(next, limit, &after);
    if (!field_end || !starts_header(next, field_end) || memcmp(next, "From ", MIN(5, field_end - next)) == 0)
        return 0;
    *count = g_ascii_strtoull(block, NULL, 10);
    return (gsize) (next - block);
}

/* A header pasted with an indent is a whole header, not a few lines of
 * residue: it is read up to its blank line, within this bound. */
#define MAX_INDENTED_LINES 1000

gsize
bt_header_unindent(GByteArray *bytes, gsize from)
{
    char *data = (char *) bytes->data;
    const char *limit = data + bytes->len;
    char *to = data + from;             /* the bytes kept are copied down to here */
    const char *p = to;
    for (int n = 0, fields = 0; n < MAX_INDENTED_LINES && p < limit; n++) {
        const char *next = NULL;
        const char *end = line_end(p, limit, &next);
        if (!end || (*p != ' ' && *p != '\t'))
            break;                      /* the first field at the margin */
        const char *q = p;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (q == end)
            break;                      /* a blank-looking line ends the header */
        gboolean field = starts_header(q, end) && memcmp(q, "From ", MIN(5, end - q)) != 0;
        if (!field && fields == 0)
            break;                      /* white space or text: not ours */
        fields += field;
        const char *keep = field ? q : p;   /* a field loses its indent, a continuation keeps it */
        memmove(to, keep, (gsize) (next - keep));
        to += next - keep;
        p = next;
    }
    gsize removed = (gsize) (p - to);
    if (removed) {
        memmove(to, p, (gsize) (limit - p));
        g_byte_array_set_size(bytes, bytes->len - (guint) removed);
    }
    return removed;
}
