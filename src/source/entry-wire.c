/* entry-wire — an entry across a process boundary (see source.h): the
 * reader's process packs what it found, a worker process unpacks and
 * parses it and packs what the parse made of it, and the reader's process
 * reports it in input order as if it had parsed it itself.  Packed into
 * and out of buffers, so that a batch crosses in a few large reads, not
 * several small ones per entry.  Native byte order and sizes: both ends
 * are the same program on the same machine. */
#include "source/source-private.h"

#include <string.h>

#define NONE G_MAXUINT32     /* a length that stands for NULL */

typedef struct {
    guint64 seq;
    gint64 offset;
    guint64 input_bytes;
    guint32 origin_len, note_len, bytes_len;   /* NONE: NULL */
    guint32 boundaries;
    guint32 problems;
    guint8 mbox, cr, last, input_cut;
} EntryHead;

typedef struct {
    guint32 kind;
    guint32 what_len;
    gint64 offset;
} ProblemHead;

typedef struct {
    guint32 parsed;
    guint32 problems;
} OutcomeHead;

static guint32
length_of(const char *s)
{
    return s ? (guint32) strlen(s) : NONE;
}

static void
append_string(GByteArray *out, const char *s)
{
    if (s)
        g_byte_array_append(out, (const guint8 *) s, (guint) strlen(s));
}

static void
pack_problems(const BtEntry *e, GByteArray *out)
{
    for (guint i = 0; e->problems && i < e->problems->len; i++) {
        const BtProblem *p = e->problems->pdata[i];
        ProblemHead h = { .kind = p->kind, .what_len = length_of(p->what), .offset = p->offset };
        g_byte_array_append(out, (const guint8 *) &h, sizeof h);
        append_string(out, p->what);
    }
}

static guint32
problem_count(const BtEntry *e)
{
    return e->problems ? e->problems->len : 0;
}

void
bt_entry_pack(const BtEntry *e, GByteArray *out)
{
    EntryHead h = {
        .seq = e->seq,
        .offset = e->offset,
        .input_bytes = e->input_bytes,
        .origin_len = length_of(e->origin),
        .note_len = length_of(e->note),
        .bytes_len = e->bytes ? e->bytes->len : NONE,
        .boundaries = e->boundaries,
        .problems = problem_count(e),
        .mbox = (guint8) e->mbox,
        .cr = (guint8) e->cr,
        .last = (guint8) e->last,
        .input_cut = (guint8) e->input_cut,
    };
    g_byte_array_append(out, (const guint8 *) &h, sizeof h);
    append_string(out, e->origin);
    append_string(out, e->note);
    if (e->bytes)
        g_byte_array_append(out, e->bytes->data, e->bytes->len);
    pack_problems(e, out);
}

void
bt_entry_pack_outcome(const BtEntry *e, GByteArray *out)
{
    OutcomeHead h = { .parsed = (guint32) e->parsed, .problems = problem_count(e) };
    g_byte_array_append(out, (const guint8 *) &h, sizeof h);
    pack_problems(e, out);
}

/* ---- reading ------------------------------------------------------------- */

static gboolean
take_string(const guint8 **p, const guint8 *end, guint32 len, char **out)
{
    *out = NULL;
    if (len == NONE)
        return TRUE;
    if ((gsize) (end - *p) < len)
        return FALSE;
    *out = g_strndup((const char *) *p, len);
    *p += len;
    return TRUE;
}

static gboolean
take_problems(const guint8 **p, const guint8 *end, guint32 count, BtEntry *e)
{
    for (guint32 i = 0; i < count; i++) {
        ProblemHead h;
        g_autofree char *what = NULL;
        if (!bt_take_bytes(p, end, &h, sizeof h) || !take_string(p, end, h.what_len, &what))
            return FALSE;
        bt_entry_add_problem(e, (BtProblemKind) h.kind, h.offset, what ? what : "");
    }
    return TRUE;
}

BtEntry *
bt_entry_unpack(const guint8 **p, const guint8 *end)
{
    EntryHead h;
    if (!bt_take_bytes(p, end, &h, sizeof h))
        return NULL;
    g_autoptr(BtEntry) e = g_new0(BtEntry, 1);
    e->seq = h.seq;
    e->offset = h.offset;
    e->input_bytes = h.input_bytes;
    e->boundaries = h.boundaries;
    e->mbox = h.mbox;
    e->cr = h.cr;
    e->last = h.last;
    e->input_cut = h.input_cut;
    if (!take_string(p, end, h.origin_len, &e->origin) || !take_string(p, end, h.note_len, &e->note))
        return NULL;
    if (!e->origin)
        e->origin = g_strdup("");
    if (h.bytes_len != NONE) {
        if ((gsize) (end - *p) < h.bytes_len)
            return NULL;
        e->bytes = g_byte_array_sized_new(h.bytes_len);
        g_byte_array_append(e->bytes, *p, h.bytes_len);
        *p += h.bytes_len;
    }
    if (!take_problems(p, end, h.problems, e))
        return NULL;
    return g_steal_pointer(&e);
}

gboolean
bt_entry_unpack_outcome(const guint8 **p, const guint8 *end, BtEntry *e)
{
    OutcomeHead h;
    if (!bt_take_bytes(p, end, &h, sizeof h))
        return FALSE;
    e->parsed = h.parsed != 0;
    g_clear_pointer(&e->problems, g_ptr_array_unref);
    return take_problems(p, end, h.problems, e);
}
