/* acscan — see acscan.h.  The automaton is a full transition table over
 * byte classes (the bytes the literals use, each its own class; every
 * other byte one class that leads back to the start), so a scan costs a
 * table load per byte however many literals there are.  Once built, the
 * states are numbered so that those where a literal ends (or a suffix of
 * one does) come last: one comparison per byte tells a hit.
 *
 * The big tables (the layouts' needles, a rule key's literals: 0.9 and
 * 1.7 MB as 32-bit offsets) do not stay in the caches from one message to
 * the next, so the scan waits on memory for the rows it visits.  The
 * table the scan reads holds 16-bit state numbers in rows of 64 entries
 * (NARROW_ROW), 64-byte aligned, the space and the letters the first
 * classes: a row's entries for running text share one cache line, and
 * the table is half the size.  An automaton past 65,536 states or 63
 * byte classes has 32-bit entries in rows of a power of two. */
#include "core/acscan.h"

#include <string.h>

/* The table the scan reads: 64-byte rows start on a cache line. */
#define TABLE_ALIGN 64
/* A narrow table's rows: 1 << NARROW_SHIFT 16-bit entries, so that the
 * scan's shift is a constant. */
#define NARROW_SHIFT 6

#define NONE G_MAXUINT32

typedef struct {
    guint32 fail;               /* the longest proper suffix that is a trie state */
    guint32 next_hit;           /* the longest proper suffix that ends a literal, or 0 */
    guint32 id;                 /* the literal ending here, or NONE */
} State;

struct _BtAcScan {
    GArray *states;             /* State; 0 is the start */
    GHashTable *children;       /* while adding: state << 8 | byte → child + 1 */
    guint count;
    guint8 classes[256];        /* byte → class; 0: a byte no literal uses */
    guint n_classes;
    /* While building: entry [s * n_classes + class] is the next state t
     * as t << 1, bit 0 telling whether t ends a literal or a suffix of it
     * does; renumbered, plain state numbers. */
    guint32 *delta;
    /* After build: entry [s << shift | class] is the next state t, a
     * guint16 with shift NARROW_SHIFT, or when wide a guint32; t ends a
     * literal, or a suffix of it does, when t >= hit_state. */
    gpointer table;
    gpointer table_mem;         /* the allocation table is aligned in */
    guint shift;
    gboolean wide;
    guint32 hit_state;
};

BtAcScan *
bt_ac_new(void)
{
    BtAcScan *ac = g_new0(BtAcScan, 1);
    ac->states = g_array_new(FALSE, TRUE, sizeof(State));
    State start = { 0, 0, NONE };
    g_array_append_val(ac->states, start);
    ac->children = g_hash_table_new(g_direct_hash, g_direct_equal);
    return ac;
}

static State *
state(const BtAcScan *ac, guint32 s)
{
    return &g_array_index(ac->states, State, s);
}

/* The trie child of `s` on byte `b`, NONE when there is none. */
static guint32
child(const BtAcScan *ac, guint32 s, guchar b)
{
    gpointer v = g_hash_table_lookup(ac->children, GSIZE_TO_POINTER((gsize) s << 8 | b));
    return v ? (guint32) (GPOINTER_TO_SIZE(v) - 1) : NONE;
}

/* Non-ASCII bytes share one edge: a rule's literals in other scripts
 * would otherwise double the table's width for little gain. */
static guchar
edge_byte(guchar b)
{
    return b < 0x80 ? b : 0x80;
}

guint
bt_ac_add(BtAcScan *ac, const char *literal, gsize len)
{
    g_return_val_if_fail(ac->table == NULL && len > 0, 0);
    guint32 s = 0;
    for (gsize i = 0; i < MIN(len, BT_AC_DEPTH); i++) {
        guchar b = edge_byte((guchar) literal[i]);
        guint32 t = child(ac, s, b);
        if (t == NONE) {
            State fresh = { 0, 0, NONE };
            t = ac->states->len;
            g_array_append_val(ac->states, fresh);
            g_hash_table_insert(ac->children, GSIZE_TO_POINTER((gsize) s << 8 | b), GSIZE_TO_POINTER((gsize) t + 1));
        }
        s = t;
    }
    if (state(ac, s)->id == NONE)
        state(ac, s)->id = ac->count++;
    return state(ac, s)->id;
}

/* The space and the letters take the first classes (running text is
 * mostly these), the other ASCII bytes follow. */
static void
assign_classes(BtAcScan *ac)
{
    gboolean used[256] = { FALSE };
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, ac->children);
    while (g_hash_table_iter_next(&it, &key, NULL))
        used[GPOINTER_TO_SIZE(key) & 0xFF] = TRUE;
    guint n = 1;
    memset(ac->classes, 0, 0x80);
    if (used[' '])
        ac->classes[' '] = (guint8) n++;
    for (guint b = 'a'; b <= 'z'; b++)
        if (used[b])
            ac->classes[b] = (guint8) n++;
    for (guint b = 0; b < 0x80; b++)
        if (used[b] && !ac->classes[b])
            ac->classes[b] = (guint8) n++;
    guint8 high = used[0x80] ? (guint8) n++ : 0;
    memset(ac->classes + 0x80, high, 0x80);
    ac->n_classes = n;
}

static guint32
entry(const BtAcScan *ac, guint32 t)
{
    const State *st = state(ac, t);
    gboolean hits = st->id != NONE || st->next_hit != 0;
    return t << 1 | (guint32) hits;
}

/* The trie's edges into the table, NONE where the trie has none. */
static void
place_edges(BtAcScan *ac)
{
    guint n = ac->n_classes;
    ac->delta = g_new(guint32, (gsize) ac->states->len * n);
    memset(ac->delta, 0xFF, (gsize) ac->states->len * n * sizeof(guint32));
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, ac->children);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        gsize from = GPOINTER_TO_SIZE(key) >> 8;
        guint c = ac->classes[GPOINTER_TO_SIZE(key) & 0xFF];
        ac->delta[from * n + c] = (guint32) (GPOINTER_TO_SIZE(value) - 1);
    }
}

/* Breadth first, so that a state's suffixes are complete before it: a
 * missing edge goes where the failure state's edge goes.  Trie edges
 * (plain state numbers until then) become entries as they are reached. */
static void
fill_transitions(BtAcScan *ac)
{
    guint n = ac->n_classes;
    place_edges(ac);
    guint32 *queue = g_new(guint32, ac->states->len);
    gsize head = 0, tail = 0;
    queue[tail++] = 0;
    while (head < tail) {
        guint32 s = queue[head++];
        guint32 *row = &ac->delta[(gsize) s * n];
        const guint32 *fail_row = &ac->delta[(gsize) state(ac, s)->fail * n];
        for (guint c = 0; c < n; c++) {
            guint32 t = row[c];
            if (t == NONE) {
                row[c] = s == 0 ? 0 : fail_row[c];
                continue;
            }
            State *st = state(ac, t);
            st->fail = s == 0 ? 0 : fail_row[c] >> 1;
            const State *f = state(ac, st->fail);
            st->next_hit = f->id != NONE ? st->fail : f->next_hit;
            row[c] = entry(ac, t);
            queue[tail++] = t;
        }
    }
    g_free(queue);
}

static gboolean
is_hit_state(const State *st)
{
    return st->id != NONE || st->next_hit != 0;
}

/* The scan's table, its rows 1 << shift entries (unset: the entries past
 * n_classes, which no byte reaches). */
static void
alloc_scan_table(BtAcScan *ac)
{
    ac->shift = MAX(NARROW_SHIFT, g_bit_storage(ac->n_classes - 1));
    ac->wide = ac->states->len > G_MAXUINT16 + 1 || ac->shift > NARROW_SHIFT;
    gsize width = ac->wide ? sizeof(guint32) : sizeof(guint16);
    gsize entries = (gsize) ac->states->len << ac->shift;
    ac->table_mem = g_malloc(entries * width + TABLE_ALIGN - 1);
    ac->table = (gpointer) (((guintptr) ac->table_mem + TABLE_ALIGN - 1) & ~(guintptr) (TABLE_ALIGN - 1));
}

/* Row `s` of the building table, its states renumbered, as row `to` of
 * the scan's table. */
static void
put_row(BtAcScan *ac, guint32 s, guint32 to, const guint32 *renum)
{
    guint n = ac->n_classes;
    const guint32 *from = &ac->delta[(gsize) s * n];
    gsize at = (gsize) to << ac->shift;
    if (ac->wide)
        for (guint c = 0; c < n; c++)
            ((guint32 *) ac->table)[at + c] = renum[from[c] >> 1];
    else
        for (guint c = 0; c < n; c++)
            ((guint16 *) ac->table)[at + c] = (guint16) renum[from[c] >> 1];
}

/* The states renumbered, those without a hit first (the start, which ends
 * no literal, staying 0), and the scan's table made with them: a hit
 * state's number is hit_state or more. */
static void
put_hit_states_last(BtAcScan *ac)
{
    guint count = ac->states->len;
    g_autofree guint32 *renum = g_new(guint32, count);
    guint32 next = 0;
    for (guint pass = 0; pass < 2; pass++)
        for (guint32 s = 0; s < count; s++)
            if (is_hit_state(state(ac, s)) == (pass == 1))
                renum[s] = next++;
    GArray *states = g_array_sized_new(FALSE, TRUE, sizeof(State), count);
    g_array_set_size(states, count);
    alloc_scan_table(ac);
    guint32 hits = count;
    for (guint32 s = 0; s < count; s++) {
        State st = *state(ac, s);
        st.fail = renum[st.fail];
        st.next_hit = st.next_hit ? renum[st.next_hit] : 0;
        g_array_index(states, State, renum[s]) = st;
        if (is_hit_state(&st))
            hits = MIN(hits, renum[s]);
        put_row(ac, s, renum[s], renum);
    }
    g_array_unref(ac->states);
    ac->states = states;
    g_clear_pointer(&ac->delta, g_free);
    ac->hit_state = hits;
}

void
bt_ac_build(BtAcScan *ac)
{
    if (ac->table)
        return;
    assign_classes(ac);
    fill_transitions(ac);
    put_hit_states_last(ac);
    g_clear_pointer(&ac->children, g_hash_table_unref);
}

guint
bt_ac_count(const BtAcScan *ac)
{
    return ac->count;
}

/* Sets the bits of the literals that end at state s; with `first`, notes
 * `end` for those whose bit was clear in `before` (the set as the call
 * found it), keeping the smallest: slices of a text are scanned side by
 * side, so a later place may be seen first. */
static inline void
note_hits(const BtAcScan *ac, guint32 s, guint64 *present, const guint64 *before, gsize *first, gsize end)
{
    for (; s; s = state(ac, s)->next_hit) {
        guint32 id = state(ac, s)->id;
        if (id == NONE)
            continue;
        guint64 bit = G_GUINT64_CONSTANT(1) << (id % 64);
        if (first && !(before[id / 64] & bit) && (!(present[id / 64] & bit) || end < first[id]))
            first[id] = end;
        present[id / 64] |= bit;
    }
}

/* Entry i of the scan's table. */
static inline __attribute__((always_inline)) gsize
table_entry(gconstpointer table, gboolean wide, gsize i)
{
    return wide ? ((const guint32 *) table)[i] : ((const guint16 *) table)[i];
}

/* One step of the chain whose state is `at`, on byte `p[k]` at offset k of
 * its slice `p`. */
#define SCAN_STEP(at, p, k)                                                     \
    do {                                                                        \
        at = table_entry(table, wide, at << (wide ? shift : NARROW_SHIFT)       \
                                      | classes[(guchar) (p)[k]]);              \
        if (G_UNLIKELY(at >= hit_state))                                        \
            note_hits(ac, (guint32) at, present, before, first,                 \
                      (gsize) ((p) - text) + (k) + 1);                          \
    } while (0)

/* Texts from this long on are scanned as SLICES slices side by side. */
#define SLICES 4
#define SLICED_FROM 64
/* a slice's chain starts BT_AC_DEPTH - 1 bytes before its quarter, inside the text */
G_STATIC_ASSERT(SLICED_FROM / SLICES >= BT_AC_DEPTH - 1);

/* The scan of the whole text in one chain, from the start state. */
static inline __attribute__((always_inline)) void
scan_span(const BtAcScan *ac, const char *text, gsize len, guint64 *present,
          const guint64 *before, gsize *first, const gboolean wide)
{
    gconstpointer table = ac->table;
    const guint shift = ac->shift;
    const guint8 *classes = ac->classes;
    const gsize hit_state = ac->hit_state;
    gsize at = 0;
    const char *p = text, *end = text + len;
    const char *rounds_end = p + ((gsize) (end - p) & ~(gsize) 3);
    /* four bytes a round: a quarter of the loop's own counting */
    for (; p != rounds_end; p += 4) {
        SCAN_STEP(at, p, 0);
        SCAN_STEP(at, p, 1);
        SCAN_STEP(at, p, 2);
        SCAN_STEP(at, p, 3);
    }
    for (; p != end; p++)
        SCAN_STEP(at, p, 0);
}

/* Each step of the scan loads the table entry that the step before chose:
 * one chain of loads, one after another.  Four chains, one per quarter of
 * the text, let the loads overlap.  The state after a byte depends only on
 * the BT_AC_DEPTH bytes that end there (no trie path is longer), so a
 * chain that starts BT_AC_DEPTH - 1 bytes before its quarter, from the
 * start state, is in the right state from its quarter's first byte on;
 * what it finds before is found there too, and each slice runs on over
 * those bytes of the next, which is just as harmless.  The last slice
 * finishes the text. */
static inline __attribute__((always_inline)) void
scan_sliced(const BtAcScan *ac, const char *text, gsize len, guint64 *present,
            const guint64 *before, gsize *first, const gboolean wide)
{
    gconstpointer table = ac->table;
    const guint shift = ac->shift;
    const guint8 *classes = ac->classes;
    const gsize hit_state = ac->hit_state;
    const gsize quarter = len / SLICES, back = BT_AC_DEPTH - 1, steps = quarter + back;
    const char *p0 = text, *p1 = text + quarter - back, *p2 = text + 2 * quarter - back,
               *p3 = text + 3 * quarter - back;
    gsize a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (gsize k = 0; k < steps; k++) {
        SCAN_STEP(a0, p0, k);
        SCAN_STEP(a1, p1, k);
        SCAN_STEP(a2, p2, k);
        SCAN_STEP(a3, p3, k);
    }
    for (const char *p = p3 + steps, *end = text + len; p != end; p++)
        SCAN_STEP(a3, p, 0);
}

/* Both entry points' scan: `first` is looked at on a hit only, and hits
 * are rare next to bytes. */
static void
scan(const BtAcScan *ac, const char *text, gsize len, guint64 *present, gsize *first)
{
    guint words = (ac->count + 63) / 64;
    guint64 before_here[32];
    g_autofree guint64 *before_heap = first && words > G_N_ELEMENTS(before_here) ? g_new(guint64, words) : NULL;
    guint64 *before = before_heap ? before_heap : before_here;
    if (first)
        memcpy(before, present, words * sizeof(guint64));
    /* each loop made twice, for either width of entries */
    if (len >= SLICED_FROM && ac->wide)
        scan_sliced(ac, text, len, present, before, first, TRUE);
    else if (len >= SLICED_FROM)
        scan_sliced(ac, text, len, present, before, first, FALSE);
    else if (ac->wide)
        scan_span(ac, text, len, present, before, first, TRUE);
    else
        scan_span(ac, text, len, present, before, first, FALSE);
}

void
bt_ac_scan(const BtAcScan *ac, const char *text, gsize len, guint64 *present)
{
    scan(ac, text, len, present, NULL);
}

void
bt_ac_scan_first(const BtAcScan *ac, const char *text, gsize len, guint64 *present, gsize *first)
{
    scan(ac, text, len, present, first);
}

void
bt_ac_free(BtAcScan *ac)
{
    if (!ac)
        return;
    g_array_unref(ac->states);
    if (ac->children)
        g_hash_table_unref(ac->children);
    g_free(ac->delta);
    g_free(ac->table_mem);
    g_free(ac);
}
