/* layout-index — which layouts a message's body can hold, without running
 * their regexes: the literals every layout regex needs (bt_layout_regex_needles)
 * gathered in one Aho-Corasick automaton, scanned once over the body.
 *
 * The index is built once per loaded set and then only read, so threads
 * share it; each match call keeps its own BtBodyLiterals. */
#include "extract/layout-private.h"
#include "core/literals.h"
#include "core/acscan.h"

#include <string.h>

/* ---- the body's literals --------------------------------------------------
 *
 * Every layout regex that has needles is asked, before it runs, whether one
 * of them occurs in the body.  Once the layouts have been tried on a few
 * messages, one automaton holds the needles of every layout (LayoutIndex):
 * a single scan of the body answers for all of them, and a layout whose
 * `match` needs a needle the body lacks is not looked at at all. */

/* Messages before the index is built: it completes every layout, which a
 * single message on stdin must not pay for. */
#define INDEX_AFTER_MESSAGES 64

struct _LayoutIndex {
    BtAcScan *ac;
    GPtrArray *id_arrays;       /* NeedleIds*: the Regex ac_ids arrays */
    GPtrArray *needs;           /* per layout: GArray of Needle one of which `match` needs;
                                 * NULL: none */
};

typedef struct {
    NeedleIds ids;
    const char *text;           /* owned by its Regex */
} Needle;

/* Caseless matching (UTF + UCP) lets "k" match KELVIN SIGN and "s" LONG
 * S; a body with either is always given to the regex. */
static void
prepare_needles(BtBodyLiterals *lit)
{
    const char *body = lit->body;
    gsize len = strlen(body);
    /* most bodies are ASCII: one pass 8 bytes at a time instead of two searches */
    lit->no_needles = bt_ascii_run(body, len) < len
                    && (strstr(body, "\xE2\x84\xAA") || strstr(body, "\xC5\xBF"));
    if (lit->no_needles)
        return;
    lit->lower = bt_ascii_strdown(body, (gssize) len);
    if (!lit->ix)
        return;
    guint count = bt_ac_count(lit->ix->ac);
    lit->present = g_new0(guint64, (count + 63) / 64 + 1);
    lit->first = g_new(gsize, count + 1);
    bt_ac_scan_first(lit->ix->ac, lit->lower, len, lit->present, lit->first);
}

/* With the index, needle `text` (`ids`) occurs in the body: the automaton
 * tells for a short needle.  A long one needs its first bytes and its
 * last bytes, each of which it may share with other needles; with both,
 * a search confirms it, from the first place where both can be: there
 * most often, else nowhere before. */
static gboolean
literal_occurs(const BtBodyLiterals *lit, NeedleIds ids, const char *text)
{
    if (!bt_ac_bit(lit->present, ids.head))
        return FALSE;
    gsize len = ids.len;
    if (len <= BT_AC_DEPTH)
        return TRUE;
    if (!bt_ac_bit(lit->present, ids.tail))
        return FALSE;
    gsize from = lit->first[ids.head] - BT_AC_DEPTH;
    if (lit->first[ids.tail] > from + len)
        from = lit->first[ids.tail] - len;
    const char *at = lit->lower + from;
    return strncmp(at, text, len) == 0 || strstr(at + 1, text);
}

static gboolean
pairs_may_match(BtBodyLiterals *lit, char *const *needles)
{
    if (!lit->pairs) {
        lit->pairs = g_new(BtPairSet, 1);
        bt_pair_set_fill(lit->pairs, lit->lower, strlen(lit->lower));
    }
    for (char *const *n = needles; *n; n++)
        if (bt_pair_set_may_hold(lit->pairs, *n) && strstr(lit->lower, *n))
            return TRUE;
    return FALSE;
}

/* FALSE when `re` cannot match anywhere in the body: the body lacks every
 * literal that each of its matches contains. */
gboolean
bt_body_may_match(BtBodyLiterals *lit, Regex *re)
{
    char *const *needles = bt_layout_regex_needles(re);
    if (!needles)
        return TRUE;
    if (!lit->lower && !lit->no_needles)
        prepare_needles(lit);
    if (lit->no_needles)
        return TRUE;
    if (!lit->ix || !re->ac_ids)
        return pairs_may_match(lit, needles);
    for (guint k = 0; needles[k]; k++)
        if (literal_occurs(lit, re->ac_ids[k], needles[k]))
            return TRUE;
    return FALSE;
}

/* FALSE when layout i's `match` cannot hold: it needs a literal that the
 * body lacks. */
gboolean
bt_layout_may_hold(BtBodyLiterals *lit, guint i)
{
    const GArray *need = lit->ix->needs->pdata[i];
    if (!need)
        return TRUE;
    if (!lit->lower && !lit->no_needles)
        prepare_needles(lit);
    if (lit->no_needles)
        return TRUE;
    for (guint k = 0; k < need->len; k++) {
        const Needle *n = &g_array_index(need, Needle, k);
        if (literal_occurs(lit, n->ids, n->text))
            return TRUE;
    }
    return FALSE;
}

void
bt_body_literals_clear(BtBodyLiterals *lit)
{
    g_clear_pointer(&lit->lower, g_free);
    g_clear_pointer(&lit->pairs, g_free);
    g_clear_pointer(&lit->present, g_free);
    g_clear_pointer(&lit->first, g_free);
}

/* ---- building the index ---- */

static void
index_regex(LayoutIndex *ix, Regex *re)
{
    char *const *needles = re ? bt_layout_regex_needles(re) : NULL;
    if (!needles || re->ac_ids)
        return;
    guint n = g_strv_length((char **) needles);
    NeedleIds *ids = g_new(NeedleIds, n);
    for (guint k = 0; k < n; k++) {
        gsize len = strlen(needles[k]);
        ids[k].len = len;
        ids[k].head = bt_ac_add(ix->ac, needles[k], len);
        ids[k].tail = len > BT_AC_DEPTH
            ? bt_ac_add(ix->ac, needles[k] + len - BT_AC_DEPTH, BT_AC_DEPTH) : ids[k].head;
    }
    g_ptr_array_add(ix->id_arrays, ids);
    re->ac_ids = ids;
}

static void
index_patterns(LayoutIndex *ix, const GPtrArray *items, gboolean patterns)
{
    for (guint i = 0; items && i < items->len; i++)
        index_regex(ix, patterns ? ((Pattern *) items->pdata[i])->re : items->pdata[i]);
}

static void
index_cond(LayoutIndex *ix, const Cond *c)
{
    if (!c)
        return;
    if (c->kind == COND_BODY)
        index_patterns(ix, c->regexes, FALSE);
    for (guint i = 0; c->kids && i < c->kids->len; i++)
        index_cond(ix, c->kids->pdata[i]);
}

static void
index_layout(LayoutIndex *ix, Layout *lay)
{
    bt_layout_complete(lay);
    index_cond(ix, lay->match);
    Regex *lines[] = { lay->begin, lay->original, lay->end, lay->split_before };
    for (gsize k = 0; k < G_N_ELEMENTS(lines); k++)
        index_regex(ix, lines[k]);
    index_patterns(ix, lay->sections, TRUE);
    index_patterns(ix, lay->recipients, TRUE);
    index_patterns(ix, lay->fields, TRUE);
    index_patterns(ix, lay->common, TRUE);
    index_patterns(ix, lay->stops, FALSE);
    index_patterns(ix, lay->befores, FALSE);
}

static gboolean cond_needs(const Cond *c, GArray *out);

/* all: one child's need is the whole's; the one with fewest literals. */
static gboolean
all_needs(const Cond *c, GArray *out)
{
    g_autoptr(GArray) best = NULL;
    for (guint i = 0; i < c->kids->len; i++) {
        g_autoptr(GArray) mine = g_array_new(FALSE, FALSE, sizeof(Needle));
        if (!cond_needs(c->kids->pdata[i], mine) || (best && mine->len >= best->len))
            continue;
        g_clear_pointer(&best, g_array_unref);
        best = g_steal_pointer(&mine);
    }
    if (!best)
        return FALSE;
    g_array_append_vals(out, best->data, best->len);
    return TRUE;
}

/* The literals one of which occurs in the body whenever `c` holds; FALSE
 * when there is no such list (under not, headers, a regex without
 * needles), `out` then unchanged.  An any needs something of each child,
 * a body test something of each regex. */
static gboolean
cond_needs(const Cond *c, GArray *out)
{
    guint before = out->len;
    gboolean ok = TRUE;
    switch (c->kind) {
    case COND_ALL:
        return c->kids->len && all_needs(c, out);
    case COND_ANY:
        for (guint i = 0; i < c->kids->len && ok; i++)
            ok = cond_needs(c->kids->pdata[i], out);
        break;
    case COND_BODY:
        for (guint r = 0; r < c->regexes->len && ok; r++) {
            const Regex *re = c->regexes->pdata[r];
            ok = re->ac_ids != NULL;
            for (guint k = 0; ok && re->needles[k]; k++) {
                Needle n = { re->ac_ids[k], re->needles[k] };
                g_array_append_val(out, n);
            }
        }
        break;
    default:
        ok = FALSE;
    }
    if (!ok)
        g_array_set_size(out, before);
    return ok && out->len > before;
}

static void
need_free(gpointer need)
{
    if (need)
        g_array_unref(need);
}

static LayoutIndex *
layout_index_new(const BtLayouts *lays)
{
    LayoutIndex *ix = g_new0(LayoutIndex, 1);
    ix->ac = bt_ac_new();
    ix->id_arrays = g_ptr_array_new_with_free_func(g_free);
    ix->needs = g_ptr_array_new_with_free_func(need_free);
    for (guint i = 0; i < lays->layouts->len; i++)
        index_layout(ix, lays->layouts->pdata[i]);
    for (guint i = 0; i < lays->layouts->len; i++) {
        const Layout *lay = lays->layouts->pdata[i];
        GArray *need = g_array_new(FALSE, FALSE, sizeof(Needle));
        if (!lay->match || !cond_needs(lay->match, need))
            g_clear_pointer(&need, g_array_unref);
        g_ptr_array_add(ix->needs, need);
    }
    bt_ac_build(ix->ac);
    return ix;
}

void
bt_layout_index_free(LayoutIndex *ix)
{
    if (!ix)
        return;
    bt_ac_free(ix->ac);
    g_ptr_array_unref(ix->id_arrays);
    g_ptr_array_unref(ix->needs);
    g_free(ix);
}

const LayoutIndex *
bt_layout_index_get(BtLayouts *lays)
{
    if (g_once_init_enter(&lays->index_ready)) {
        lays->index = layout_index_new(lays);
        g_once_init_leave(&lays->index_ready, 1);
    }
    return lays->index;
}

const LayoutIndex *
bt_layout_index_when_warm(const BtLayouts *lays)
{
    BtLayouts *set = (BtLayouts *) lays;        /* built once, then read-only */
    if (g_atomic_int_get(&set->used) < INDEX_AFTER_MESSAGES) {
        g_atomic_int_inc(&set->used);
        return NULL;
    }
    return bt_layout_index_get(set);
}
