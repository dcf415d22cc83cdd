/* candidates — which rules can hold for a record, from one scan of each
 * text the rules read instead of each rule testing its own literals.
 *
 * A rule's condition names leaves one of which must find one of its
 * literals whenever the rule holds (bt_cond_needs): regexes, status and
 * reply codes, `equals` and `in` words.  Per text the rules read
 * (a record field or a header field: a "key"), one Aho-Corasick automaton
 * (core/acscan.h) holds the literals of all those leaves, each literal
 * listing the rules it keeps in play.  Per record each key's text is
 * scanned once and the rules of the literals found become candidates; a
 * rule that is not one cannot hold, so apply.c does not try it.  Rules
 * with no such need are always candidates.  The order of the rules tried
 * is unchanged. */
#include "rules/rules-private.h"
#include "core/acscan.h"

#include <string.h>

/* Keys beyond this many leave their rules always tried (no rule set comes
 * near: today's reads 11 texts). */
#define MAX_KEYS 64

typedef struct {
    BtNeedKind kind;
    gsize field_index;
    char *header;
    BtAcScan *ac;
    GArray *pairs;              /* while building: (literal id, rule) as two guint32 */
    guint32 *first;             /* literal id → its rules: rules[first[id] .. first[id + 1]) */
    guint32 *rules;
    guint64 *all_rules;         /* every rule that needs this key */
    guint64 *word_rules;        /* the rules that need one of its `equals`/`in` words */
} Key;

struct _BtRuleIndex {
    guint n_rules, n_words;
    GPtrArray *keys;            /* Key* */
    guint64 *always;            /* rules tried whatever the texts hold */
    guint max_literals;
    BtAcScan *text_ac;          /* the needles of the regexes that read the whole text
                                 * (bt_regex_index_text); NULL: none */
};

static void
key_free(Key *k)
{
    bt_ac_free(k->ac);
    g_free(k->header);
    if (k->pairs)
        g_array_unref(k->pairs);
    g_free(k->first);
    g_free(k->rules);
    g_free(k->all_rules);
    g_free(k->word_rules);
    g_free(k);
}

static gboolean
key_is(const Key *k, const BtCondNeed *need)
{
    if (k->kind != need->kind)
        return FALSE;
    return need->kind == BT_NEED_FIELD ? k->field_index == need->field_index
           : need->kind == BT_NEED_HEADER ? strcmp(k->header, need->header) == 0
           : TRUE;
}

/* The key's index, a new key if need be; MAX_KEYS when there is no room.
 * Keys are record fields and header fields (never the bounce's text). */
static guint
key_for(BtRuleIndex *ix, const BtCondNeed *need)
{
    for (guint i = 0; i < ix->keys->len; i++)
        if (key_is(ix->keys->pdata[i], need))
            return i;
    if (ix->keys->len == MAX_KEYS)
        return MAX_KEYS;
    Key *k = g_new0(Key, 1);
    k->kind = need->kind;
    k->field_index = need->field_index;
    k->header = g_strdup(need->header);
    k->ac = bt_ac_new();
    k->pairs = g_array_new(FALSE, FALSE, 2 * sizeof(guint32));
    k->all_rules = g_new0(guint64, ix->n_words);
    k->word_rules = g_new0(guint64, ix->n_words);
    g_ptr_array_add(ix->keys, k);
    return ix->keys->len - 1;
}

typedef struct {
    Key *key;
    guint32 rule;
} AddLiteral;

static void
add_literal(const char *folded, gsize len, gpointer data)
{
    AddLiteral *a = data;
    guint32 pair[2] = { bt_ac_add(a->key->ac, folded, len), a->rule };
    g_array_append_val(a->key->pairs, pair);
}

static void
set_bit(guint64 *set, guint i)
{
    set[i / 64] |= G_GUINT64_CONSTANT(1) << (i % 64);
}

/* Rule i's needs, or FALSE when it must always be tried.  A rule that
 * needs the bounce's whole text is always tried: scanning that text for
 * every bounce costs more than the few such rules save, and their own
 * literal test reads the text only when one of them is reached. */
static gboolean
index_rule(BtRuleIndex *ix, const BtRuleSet *rs, guint i)
{
    const BtRule *r = bt_ruleset_rule(rs, i);
    g_autoptr(GArray) needs = g_array_new(FALSE, FALSE, sizeof(BtCondNeed));
    if (!r || !bt_cond_needs(r->when, needs))
        return FALSE;
    for (guint n = 0; n < needs->len; n++) {
        const BtCondNeed *need = &g_array_index(needs, BtCondNeed, n);
        if (need->kind == BT_NEED_TEXT || key_for(ix, need) == MAX_KEYS)
            return FALSE;
    }
    for (guint n = 0; n < needs->len; n++) {
        const BtCondNeed *need = &g_array_index(needs, BtCondNeed, n);
        guint k = key_for(ix, need);
        AddLiteral a = { ix->keys->pdata[k], i };
        bt_cond_need_each_literal(need, add_literal, &a);
        set_bit(a.key->all_rules, i);
        if (need->words)
            set_bit(a.key->word_rules, i);
    }
    return TRUE;
}

static gint
compare_pairs(gconstpointer a, gconstpointer b)
{
    const guint32 *x = a, *y = b;
    return x[0] != y[0] ? (x[0] > y[0]) - (x[0] < y[0]) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* The (literal, rule) pairs as a table from literal to rules. */
static void
key_finish(Key *k)
{
    bt_ac_build(k->ac);
    guint n = bt_ac_count(k->ac);
    g_array_sort(k->pairs, compare_pairs);
    k->first = g_new0(guint32, n + 1);
    k->rules = g_new(guint32, MAX(k->pairs->len, 1));
    for (guint i = 0; i < k->pairs->len; i++) {
        const guint32 *p = (const guint32 *) k->pairs->data + 2 * i;
        k->first[p[0] + 1]++;
        k->rules[i] = p[1];
    }
    for (guint id = 0; id < n; id++)
        k->first[id + 1] += k->first[id];
    g_clear_pointer(&k->pairs, g_array_unref);
}

typedef struct {
    BtRuleIndex *ix;
    guint added;
} TextIndexing;

static void
index_text_regex(BtRegex *re, gpointer data)
{
    TextIndexing *t = data;
    t->added += bt_regex_index_text(re, t->ix->text_ac, t->ix);
}

/* The whole text is not a key (index_rule): the rules that read it stay
 * candidates.  Their regexes' literal tests share one automaton instead,
 * so that the text is scanned once per bounce, not hashed into byte pairs
 * and searched once per needle. */
static void
index_text_regexes(BtRuleIndex *ix, const BtRuleSet *rs)
{
    TextIndexing t = { ix, 0 };
    ix->text_ac = bt_ac_new();
    for (guint i = 0; i < ix->n_rules; i++) {
        const BtRule *r = rs->rules->pdata[i];
        if (r->when)
            bt_cond_each_text_regex(r->when, index_text_regex, &t);
    }
    if (t.added)
        bt_ac_build(ix->text_ac);
    else
        g_clear_pointer(&ix->text_ac, bt_ac_free);
}

BtRuleIndex *
bt_rule_index_new(const BtRuleSet *rs)
{
    BtRuleIndex *ix = g_new0(BtRuleIndex, 1);
    ix->n_rules = rs->rules->len;
    ix->n_words = (ix->n_rules + 63) / 64;
    ix->keys = g_ptr_array_new_with_free_func((GDestroyNotify) key_free);
    ix->always = g_new0(guint64, ix->n_words);
    for (guint i = 0; i < ix->n_rules; i++)
        if (!index_rule(ix, rs, i))
            set_bit(ix->always, i);
    for (guint k = 0; k < ix->keys->len; k++) {
        Key *key = ix->keys->pdata[k];
        key_finish(key);
        ix->max_literals = MAX(ix->max_literals, bt_ac_count(key->ac));
    }
    index_text_regexes(ix, rs);
    return ix;
}

void
bt_rule_index_free(BtRuleIndex *ix)
{
    if (!ix)
        return;
    g_ptr_array_unref(ix->keys);
    g_free(ix->always);
    bt_ac_free(ix->text_ac);
    g_free(ix);
}

/* ---- per record -------------------------------------------------------------- */

void
bt_candidates_init(BtCandidates *c, const BtRuleIndex *ix)
{
    c->ix = ix;
    c->n_rules = ix->n_rules;
    c->cand = g_new0(guint64, ix->n_words);
    c->present = g_new(guint64, (ix->max_literals + 63) / 64 + 1);
    c->text_present = ix->text_ac ? g_new(guint64, (bt_ac_count(ix->text_ac) + 63) / 64 + 1) : NULL;
}

void
bt_candidates_use_text(BtCandidates *c, BtSubject *text)
{
    if (c->ix->text_ac)
        bt_subject_use_scan(text, c->ix->text_ac, c->ix, c->text_present);
}

void
bt_candidates_clear(BtCandidates *c)
{
    g_free(c->cand);
    g_free(c->present);
    g_free(c->text_present);
    memset(c, 0, sizeof *c);
}

static BtSubject *
key_subject(const Key *k, BtMatchInput *in)
{
    if (k->kind == BT_NEED_HEADER)
        return bt_match_input_header(in, k->header);
    return bt_match_input_field(in, k->field_index);
}

/* The rules of every literal of `k` in `lower` become candidates. */
static void
add_rules_found(BtCandidates *c, const Key *k, const char *lower, gsize len, guint64 *into)
{
    guint words = (bt_ac_count(k->ac) + 63) / 64;
    memset(c->present, 0, words * sizeof(guint64));
    bt_ac_scan(k->ac, lower, len, c->present);
    for (guint w = 0; w < words; w++)
        for (guint64 bits = c->present[w]; bits; bits &= bits - 1) {
            guint id = w * 64 + (guint) __builtin_ctzll(bits);
            for (guint32 p = k->first[id]; p < k->first[id + 1]; p++)
                set_bit(into, k->rules[p]);
        }
}

static void
add_all(guint64 *into, const guint64 *rules, guint n_words)
{
    for (guint w = 0; w < n_words; w++)
        into[w] |= rules[w];
}

/* The rules that key `k`'s text keeps in play, added to `into`.  A text
 * with bytes beyond ASCII keeps every rule of the key's words in play:
 * Unicode case folding may make it equal to one (U+212A KELVIN SIGN,
 * the ligature U+FB01 "ﬁ"). */
static void
scan_key(BtCandidates *c, BtMatchInput *in, const Key *key, guint64 *into)
{
    BtSubject *subj = key_subject(key, in);
    if (!subj->str)
        return;                 /* no text: no regex matches it, no word equals it */
    gboolean odd_fold;
    const char *lower = bt_subject_lower(subj, &odd_fold);
    if (odd_fold) {
        add_all(into, key->all_rules, c->ix->n_words);
        return;
    }
    if (bt_subject_non_ascii(subj))
        add_all(into, key->word_rules, c->ix->n_words);
    add_rules_found(c, key, lower, subj->len, into);
}

void
bt_candidates_for_record(BtCandidates *c, BtMatchInput *in)
{
    const BtRuleIndex *ix = c->ix;
    memcpy(c->cand, ix->always, ix->n_words * sizeof(guint64));
    for (guint k = 0; k < ix->keys->len; k++)
        scan_key(c, in, ix->keys->pdata[k], c->cand);
}

guint
bt_candidates_next(const BtCandidates *c, guint from)
{
    for (guint w = from / 64; from < c->n_rules; w++, from = w * 64) {
        guint64 bits = c->cand[w] >> (from % 64);
        if (bits)
            return MIN(from + (guint) __builtin_ctzll(bits), c->n_rules);
    }
    return c->n_rules;
}
