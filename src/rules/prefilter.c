/* prefilter — a rule's literal test, stored in the rules cache so that a
 * run with no candidate index (one message on stdin, the first bounces of
 * a batch: apply.c builds the index only after INDEX_AFTER_BOUNCES) can
 * pass a rule over without parsing it.
 *
 * The test is the one the candidate index makes (candidates.c): the needs
 * of the rule's condition (bt_cond_needs), one of which finds one of its
 * literals in its text whenever the rule holds.  It is worked out when the
 * cache entry is written, from the rule as parsed then, and read in place
 * from the entry's mapped note.  A rule whose condition has no such needs,
 * or needs the bounce's whole text (scanned once per bounce by the index,
 * too costly per rule here), stores none and is always tried.
 *
 * Layout, native byte order (the cache never leaves the machine), every
 * part 4-aligned: the number of needs (0: none stored); per need its kind,
 * field index, `words` flag and header name length, the header name
 * (NUL-terminated, padded), the number of literals, then per literal its
 * length and bytes (padded). */
#define _GNU_SOURCE             /* memmem */
#include "rules/rules-private.h"

#include <string.h>

/* A limit no rule comes near, so that a damaged entry cannot make a
 * reader walk far. */
#define MAX_LITERALS 4096

static void
put_u32(GByteArray *out, guint32 v)
{
    g_byte_array_append(out, (const guint8 *) &v, sizeof v);
}

static void
put_padded(GByteArray *out, const void *bytes, gsize len, gboolean nul)
{
    static const guint8 zeros[4];
    g_byte_array_append(out, bytes, len);
    gsize total = len + (nul ? 1 : 0);
    g_byte_array_append(out, zeros, (nul ? 1 : 0) + (4 - total % 4) % 4);
}

typedef struct {
    GByteArray *out;
    guint32 count;
} Literals;

static void
put_literal(const char *folded, gsize len, gpointer data)
{
    Literals *l = data;
    put_u32(l->out, (guint32) len);
    put_padded(l->out, folded, len, FALSE);
    l->count++;
}

/* The needs as stored, or FALSE when the rule is to be always tried. */
static gboolean
put_needs(const GArray *needs, GByteArray *out)
{
    for (guint i = 0; i < needs->len; i++)
        if (g_array_index(needs, BtCondNeed, i).kind == BT_NEED_TEXT)
            return FALSE;
    put_u32(out, needs->len);
    for (guint i = 0; i < needs->len; i++) {
        const BtCondNeed *need = &g_array_index(needs, BtCondNeed, i);
        gsize header_len = need->header ? strlen(need->header) : 0;
        put_u32(out, need->kind);
        put_u32(out, (guint32) need->field_index);
        put_u32(out, need->words ? 1 : 0);
        put_u32(out, (guint32) header_len);
        put_padded(out, need->header ? need->header : "", header_len, TRUE);
        guint count_at = out->len;
        put_u32(out, 0);
        Literals l = { out, 0 };
        bt_cond_need_each_literal(need, put_literal, &l);
        memcpy(out->data + count_at, &l.count, sizeof l.count);
        if (!l.count || l.count > MAX_LITERALS)
            return FALSE;   /* nothing to find: the rule cannot be passed over */
    }
    return TRUE;
}

void
bt_prefilter_write(const BtRule *r, GByteArray *out)
{
    g_autoptr(GArray) needs = g_array_new(FALSE, FALSE, sizeof(BtCondNeed));
    guint start = out->len;
    if (r->when && bt_cond_needs(r->when, needs) && put_needs(needs, out))
        return;
    g_byte_array_set_size(out, start);
    put_u32(out, 0);
}

/* ---- reading ------------------------------------------------------------- */

typedef struct {
    const guint8 *p, *end;
} Reader;

static gboolean
take_u32(Reader *r, guint32 *v)
{
    if ((gsize) (r->end - r->p) < sizeof *v)
        return FALSE;
    memcpy(v, r->p, sizeof *v);
    r->p += sizeof *v;
    return TRUE;
}

/* `len` bytes (plus a NUL when asked), padded to 4. */
static const guint8 *
take_padded(Reader *r, gsize len, gboolean nul)
{
    gsize total = len + (nul ? 1 : 0), padded = total + (4 - total % 4) % 4;
    if ((gsize) (r->end - r->p) < padded || (nul && r->p[len] != '\0'))
        return NULL;
    const guint8 *at = r->p;
    r->p += padded;
    return at;
}

gsize
bt_prefilter_size(const guint8 *blob, const guint8 *end)
{
    gsize n_fields;
    bt_record_fields(&n_fields);
    Reader r = { blob, end };
    guint32 n;
    if (!take_u32(&r, &n) || n > MAX_LITERALS)
        return 0;
    for (guint32 i = 0; i < n; i++) {
        guint32 kind, field, words, header_len, count;
        if (!take_u32(&r, &kind) || !take_u32(&r, &field) || !take_u32(&r, &words) || !take_u32(&r, &header_len))
            return 0;
        if ((kind != BT_NEED_FIELD && kind != BT_NEED_HEADER) || words > 1
            || (kind == BT_NEED_FIELD && field >= n_fields) || (kind == BT_NEED_HEADER && !header_len))
            return 0;
        const guint8 *header = take_padded(&r, header_len, TRUE);
        if (!header || memchr(header, '\0', header_len) || !take_u32(&r, &count) || !count || count > MAX_LITERALS)
            return 0;
        for (guint32 k = 0; k < count; k++) {
            guint32 len;
            if (!take_u32(&r, &len) || !take_padded(&r, len, FALSE))
                return 0;
        }
    }
    return (gsize) (r.p - blob);
}

/* Does one of the need's literals occur in its text, as the candidate
 * index's scan would find it (candidates.c, scan_key)?  When not, the
 * reader is left after the need. */
static gboolean
need_may_hold(Reader *r, BtMatchInput *in)
{
    guint32 kind = 0, field = 0, words = 0, header_len = 0, count = 0;
    take_u32(r, &kind);
    take_u32(r, &field);
    take_u32(r, &words);
    take_u32(r, &header_len);
    const char *header = (const char *) take_padded(r, header_len, TRUE);
    take_u32(r, &count);
    BtSubject *subj = kind == BT_NEED_HEADER ? bt_match_input_header(in, header) : bt_match_input_field(in, field);
    gboolean odd_fold = FALSE;
    const char *lower = subj->str ? bt_subject_lower(subj, &odd_fold) : NULL;
    if (lower && (odd_fold || (words && bt_subject_non_ascii(subj))))
        return TRUE;
    for (guint32 k = 0; k < count; k++) {
        guint32 len = 0;
        take_u32(r, &len);
        const guint8 *lit = take_padded(r, len, FALSE);
        if (lower && memmem(lower, subj->len, lit, len))
            return TRUE;
    }
    return FALSE;
}

gboolean
bt_prefilter_may_hold(const guint8 *blob, gsize len, BtMatchInput *in)
{
    Reader r = { blob, blob + len };        /* checked by bt_prefilter_size when read */
    guint32 n;
    if (!take_u32(&r, &n) || !n)
        return TRUE;
    for (guint32 i = 0; i < n; i++)
        if (need_may_hold(&r, in))
            return TRUE;
    return FALSE;
}
