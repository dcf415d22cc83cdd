/* condition — the `when` of a rule: parsed and checked once at load into a
 * small tree (any/all/not over field tests), then evaluated for every
 * record.  Each node knows a rough cost so that `all` and `any` try their
 * cheap tests (numbers, status codes, exact words) before regexes, and the
 * whole-text regexes last. */
#include "rules/rules-private.h"
#include "core/literals.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { C_ANY, C_ALL, C_NOT, C_FIELD, C_TEXT, C_STATUS, C_REPLY, C_HARDBOUNCE, C_HEADER } CondKind;
typedef enum { T_REGEX, T_EQUALS, T_IN, T_PRESENT } TextKind;
typedef enum { S_EXACT, S_GLOB, S_PREFIX } StatusKind;

typedef struct {
    TextKind kind;
    BtRegex *re;
    GStrv words;                /* equals (one word) and in */
    gboolean present;
} TextPattern;

typedef struct {
    StatusKind kind;
    char *pattern;
} StatusPattern;

typedef struct {
    int lo, hi;
} ReplyRange;

struct _BtCond {
    /* what matching reads first, together */
    CondKind kind;
    guint n_kids;
    BtCond *const *kids;        /* C_ANY, C_ALL, C_NOT (one child): `children`'s, or the
                                 * packed block's (bt_cond_pack) */
    TextPattern text;           /* C_FIELD, C_TEXT, C_HEADER */
    gsize field_index;          /* C_FIELD: its place in bt_record_fields() */
    const BtFieldInfo *field;   /* C_FIELD */
    guint cost;
    gboolean hardbounce;        /* C_HARDBOUNCE */
    gboolean packed;            /* the root of a packed block: frees it whole */
    const StatusPattern *status_v;      /* C_STATUS: `statuses`' entries, or the packed block's */
    const ReplyRange *reply_v;          /* C_REPLY: `replies`' entries, or the packed block's */
    guint n_status, n_reply;
    char *header;               /* C_HEADER: the field's name */
    GArray *statuses;           /* C_STATUS: StatusPattern, any of them (owns the patterns) */
    GArray *replies;            /* C_REPLY: ReplyRange, any of them */
    GPtrArray *children;        /* while parsing: owns the children; NULL once packed */
};

/* Relative costs: a number or a flag, a status code, a word, a field regex,
 * a regex over the whole bounce text. */
enum { COST_FLAG = 1, COST_STATUS = 2, COST_WORD = 3, COST_FIELD_REGEX = 10, COST_TEXT_REGEX = 100 };

static BtCond *
cond_new(CondKind kind, guint cost)
{
    BtCond *c = g_new0(BtCond, 1);
    c->kind = kind;
    c->cost = cost;
    return c;
}

static void
set_field(BtCond *c, const BtFieldInfo *field)
{
    gsize n;
    c->field = field;
    c->field_index = (gsize) (field - bt_record_fields(&n));
}

static void
status_pattern_clear(StatusPattern *s)
{
    g_free(s->pattern);
}

/* What a node owns besides its children. */
static void
cond_free_parts(BtCond *c)
{
    bt_regex_free(c->text.re);
    g_strfreev(c->text.words);
    g_free(c->header);
    if (c->statuses)
        g_array_unref(c->statuses);
    if (c->replies)
        g_array_unref(c->replies);
}

/* A packed node's pattern lies in the block: only its parts are freed. */
static void
packed_free_parts(BtCond *c)
{
    for (guint i = 0; i < c->n_kids; i++)
        packed_free_parts(c->kids[i]);
    if (c->text.re)
        bt_regex_clear(c->text.re);
    c->text.re = NULL;
    cond_free_parts(c);
}

void
bt_cond_free(BtCond *c)
{
    if (!c)
        return;
    if (c->packed) {
        packed_free_parts(c);
        g_free(c);
        return;
    }
    cond_free_parts(c);
    if (c->children)
        g_ptr_array_unref(c->children);
    g_free(c);
}

/* ---- packing: a rule's tree in one block ----------------------------------- */

/* Every rule tried on a record walks its tree; parsed, the nodes, their
 * child lists and the lists' headers lie apart in memory, and each step
 * down missed the cache up to three times.  Packed, the nodes follow one
 * another in the order they are tried (depth first), each node's child
 * pointers right after it. */
/* A node's own part of the block: itself, its pattern's BtRegex, its
 * child pointers, its status patterns (with their text) and reply ranges,
 * to a multiple of 8 bytes. */
static gsize
node_size(const BtCond *c)
{
    gsize n = sizeof(BtCond) + (c->text.re ? sizeof(BtRegex) : 0) + c->n_kids * sizeof(BtCond *)
              + c->n_status * sizeof(StatusPattern) + c->n_reply * sizeof(ReplyRange);
    for (guint i = 0; i < c->n_status; i++)
        n += strlen(c->status_v[i].pattern) + 1;
    return (n + 7) & ~(gsize) 7;
}

static gsize
packed_size(const BtCond *c)
{
    gsize n = node_size(c);
    for (guint i = 0; i < c->n_kids; i++)
        n += packed_size(c->kids[i]);
    return n;
}

static char *
pack_into(const BtCond *c, char *at, BtCond **copy)
{
    gsize own = node_size(c);
    BtCond *node = (BtCond *) at;
    *node = *c;
    node->children = NULL;
    char *after = at + sizeof(BtCond);
    if (c->text.re) {
        node->text.re = bt_regex_move(c->text.re, after);
        after += sizeof(BtRegex);
    }
    BtCond **kids = (BtCond **) after;
    StatusPattern *statuses = (StatusPattern *) (kids + c->n_kids);
    ReplyRange *replies = (ReplyRange *) (statuses + c->n_status);
    char *text = (char *) (replies + c->n_reply);
    for (guint i = 0; i < c->n_status; i++) {
        gsize len = strlen(c->status_v[i].pattern) + 1;
        statuses[i].kind = c->status_v[i].kind;
        statuses[i].pattern = memcpy(text, c->status_v[i].pattern, len);
        text += len;
    }
    if (c->n_reply)
        memcpy(replies, c->reply_v, c->n_reply * sizeof(ReplyRange));
    node->status_v = statuses;
    node->reply_v = replies;
    at += own;
    for (guint i = 0; i < c->n_kids; i++)
        at = pack_into(c->kids[i], at, &kids[i]);
    node->kids = kids;
    *copy = node;
    return at;
}

/* Frees the parsed nodes whose parts the packed copy now owns. */
static void
free_shells(BtCond *c)
{
    for (guint i = 0; i < c->n_kids; i++)
        free_shells(c->kids[i]);
    if (c->children) {
        g_ptr_array_set_free_func(c->children, NULL);
        g_ptr_array_unref(c->children);
    }
    g_free(c);
}

static BtCond *
cond_pack(BtCond *c)
{
    G_STATIC_ASSERT(sizeof(BtCond) % 8 == 0 && sizeof(BtRegex) % 8 == 0 && sizeof(StatusPattern) % 8 == 0);
    char *block = g_malloc(packed_size(c));
    BtCond *root;
    pack_into(c, block, &root);
    root->packed = TRUE;
    free_shells(c);
    return root;
}

/* ---- parsing: text patterns ---------------------------------------------- */

static gboolean
parse_words(BtLoadCtx *ctx, const yaml_node_t *v, TextPattern *tp)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    if (v->type == YAML_SCALAR_NODE && !bt_yaml_is_null(v)) {
        g_strv_builder_add(b, bt_yaml_scalar(v));
    } else if (v->type == YAML_SEQUENCE_NODE && v->data.sequence.items.top > v->data.sequence.items.start) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            const yaml_node_t *w = bt_yaml_node(ctx, *it);
            if (w->type != YAML_SCALAR_NODE || bt_yaml_is_null(w)) {
                bt_load_error(ctx, w, "'in' takes strings, not %s", bt_yaml_kind_name(w));
                return FALSE;
            }
            g_strv_builder_add(b, bt_yaml_scalar(w));
        }
    } else {
        bt_load_error(ctx, v, "'%s' must be %s, not %s", tp->kind == T_IN ? "in" : "equals",
                      tp->kind == T_IN ? "a list of strings" : "a string", bt_yaml_kind_name(v));
        return FALSE;
    }
    tp->words = g_strv_builder_end(b);
    return TRUE;
}

static gboolean
parse_text_map(BtLoadCtx *ctx, const yaml_node_t *node, TextPattern *tp)
{
    if (node->data.mapping.pairs.top - node->data.mapping.pairs.start != 1) {
        bt_load_error(ctx, node, "a text pattern takes exactly one of regex, equals, in, present");
        return FALSE;
    }
    const yaml_node_pair_t *p = node->data.mapping.pairs.start;
    const yaml_node_t *k = bt_yaml_node(ctx, p->key), *v = bt_yaml_node(ctx, p->value);
    const char *key = bt_yaml_scalar(k);
    if (g_strcmp0(key, "regex") == 0) {
        tp->kind = T_REGEX;
        if (v->type != YAML_SCALAR_NODE || bt_yaml_is_null(v)) {
            bt_load_error(ctx, v, "'regex' must be a string, not %s", bt_yaml_kind_name(v));
            return FALSE;
        }
        tp->re = bt_regex_compile(ctx, v, bt_yaml_scalar(v));
        return tp->re != NULL;
    }
    if (g_strcmp0(key, "equals") == 0 || g_strcmp0(key, "in") == 0) {
        tp->kind = key[0] == 'e' ? T_EQUALS : T_IN;
        if (tp->kind == T_EQUALS && v->type != YAML_SCALAR_NODE) {
            bt_load_error(ctx, v, "'equals' must be a string, not %s", bt_yaml_kind_name(v));
            return FALSE;
        }
        return parse_words(ctx, v, tp);
    }
    if (g_strcmp0(key, "present") == 0) {
        tp->kind = T_PRESENT;
        if (bt_yaml_bool(v, &tp->present))
            return TRUE;
        bt_load_error(ctx, v, "'present' must be true or false");
        return FALSE;
    }
    bt_load_error(ctx, k, "unknown key '%s' in text pattern (expected regex, equals, in or present)",
                  key ? key : "?");
    return FALSE;
}

static gboolean
parse_text_pattern(BtLoadCtx *ctx, const char *what, const yaml_node_t *v, TextPattern *tp)
{
    if (v->type == YAML_MAPPING_NODE)
        return parse_text_map(ctx, v, tp);
    if (v->type == YAML_SCALAR_NODE && !bt_yaml_is_null(v)) {
        tp->kind = T_REGEX;
        tp->re = bt_regex_compile(ctx, v, bt_yaml_scalar(v));
        return tp->re != NULL;
    }
    bt_load_error(ctx, v, "'%s' must be a regex or a map (regex, equals, in, present), not %s", what,
                  bt_yaml_kind_name(v));
    return FALSE;
}

static guint
text_cost(const TextPattern *tp, gboolean whole_text)
{
    if (tp->kind == T_PRESENT)
        return COST_FLAG;
    if (tp->kind != T_REGEX)
        return COST_WORD;
    return whole_text ? COST_TEXT_REGEX : COST_FIELD_REGEX;
}

/* ---- parsing: status and reply patterns ----------------------------------- */

static gboolean
all_digits(const char *s, gsize n)
{
    if (n == 0 || n > 3)
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isdigit(s[i]))
            return FALSE;
    return TRUE;
}

/* '5.7.26' exact, '5.7.*' / '5.*.*' glob (each '*' is one number), '5.7.'
 * or '5.' prefix.  The class is 2, 4 or 5 (or '*' in a glob). */
static gboolean
classify_status(const char *s, StatusKind *kind)
{
    g_auto(GStrv) parts = g_strsplit(s, ".", -1);
    guint n = g_strv_length(parts);
    gboolean prefix = n >= 2 && n <= 3 && parts[n - 1][0] == '\0';
    guint comps = prefix ? n - 1 : n;
    if (!prefix && n != 3)
        return FALSE;
    gboolean glob = FALSE;
    for (guint i = 0; i < comps; i++) {
        if (strcmp(parts[i], "*") == 0 && !prefix)
            glob = TRUE;
        else if (!all_digits(parts[i], strlen(parts[i])))
            return FALSE;
    }
    if (parts[0][0] != '*' && !(strlen(parts[0]) == 1 && strchr("245", parts[0][0])))
        return FALSE;
    *kind = prefix ? S_PREFIX : glob ? S_GLOB : S_EXACT;
    return TRUE;
}

static gboolean
add_status(BtLoadCtx *ctx, const yaml_node_t *v, GArray *out)
{
    const char *s = bt_yaml_scalar(v);
    StatusPattern sp;
    if (!s || bt_yaml_is_null(v) || !classify_status(s, &sp.kind)) {
        if (s && !bt_yaml_is_null(v))
            bt_load_error(ctx, v, "bad status pattern '%s' (expected e.g. '5.7.26', '5.7.*' or '5.7.')", s);
        else
            bt_load_error(ctx, v, "bad status pattern: expected a string, a list or a map, not %s",
                          bt_yaml_kind_name(v));
        return FALSE;
    }
    sp.pattern = g_strdup(s);
    g_array_append_val(out, sp);
    return TRUE;
}

static BtCond *
parse_status(BtLoadCtx *ctx, const yaml_node_t *v)
{
    if (v->type == YAML_MAPPING_NODE) {
        BtCond *c = cond_new(C_FIELD, 0);
        set_field(c, bt_record_field_lookup("deliverystatus"));
        gboolean ok = parse_text_map(ctx, v, &c->text);
        c->cost = text_cost(&c->text, FALSE);
        if (!ok) {
            bt_cond_free(c);
            return NULL;
        }
        return c;
    }
    BtCond *c = cond_new(C_STATUS, COST_STATUS);
    c->statuses = g_array_new(FALSE, FALSE, sizeof(StatusPattern));
    g_array_set_clear_func(c->statuses, (GDestroyNotify) status_pattern_clear);
    gboolean ok = TRUE;
    if (v->type == YAML_SEQUENCE_NODE && v->data.sequence.items.top > v->data.sequence.items.start) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
            ok &= add_status(ctx, bt_yaml_node(ctx, *it), c->statuses);
    } else {
        ok = add_status(ctx, v, c->statuses);
    }
    if (!ok) {
        bt_cond_free(c);
        return NULL;
    }
    c->status_v = (const StatusPattern *) c->statuses->data;
    c->n_status = c->statuses->len;
    return c;
}

static gboolean
reply_code_is_valid(gint64 code)
{
    return code >= 200 && code <= 599;
}

/* One scalar: 550 or '550-559'. */
static gboolean
add_reply_scalar(BtLoadCtx *ctx, const yaml_node_t *v, GArray *out)
{
    const char *s = bt_yaml_scalar(v);
    if (!s || bt_yaml_is_null(v)) {
        bt_load_error(ctx, v, "bad reply pattern: expected 550, '550-559', a list or {min, max}, not %s",
                      bt_yaml_kind_name(v));
        return FALSE;
    }
    const char *dash = strchr(s, '-');
    ReplyRange r;
    if (!dash && all_digits(s, strlen(s)) && reply_code_is_valid(atoi(s))) {
        r.lo = r.hi = atoi(s);
    } else if (dash && all_digits(s, dash - s) && all_digits(dash + 1, strlen(dash + 1))) {
        r.lo = atoi(s);
        r.hi = atoi(dash + 1);
        if (!reply_code_is_valid(r.lo) || !reply_code_is_valid(r.hi) || r.lo > r.hi) {
            bt_load_error(ctx, v, "bad reply range '%s' (expected low-high within 200-599)", s);
            return FALSE;
        }
    } else {
        bt_load_error(ctx, v, "bad reply pattern '%s' (expected a code 200-599 or a range like '550-559')", s);
        return FALSE;
    }
    g_array_append_val(out, r);
    return TRUE;
}

static gboolean
add_reply_map(BtLoadCtx *ctx, const yaml_node_t *v, GArray *out)
{
    ReplyRange r = { 200, 599 };
    gboolean ok = TRUE, any = FALSE;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = bt_yaml_node(ctx, p->key), *n = bt_yaml_node(ctx, p->value);
        const char *key = bt_yaml_scalar(k);
        gint64 code;
        if (g_strcmp0(key, "min") != 0 && g_strcmp0(key, "max") != 0) {
            bt_load_error(ctx, k, "unknown key '%s' in reply pattern (expected min, max)", key ? key : "?");
            ok = FALSE;
        } else if (!bt_yaml_int(n, &code) || !reply_code_is_valid(code)) {
            bt_load_error(ctx, n, "'%s' must be a reply code 200-599", key);
            ok = FALSE;
        } else {
            *(key[1] == 'i' ? &r.lo : &r.hi) = (int) code;
            any = TRUE;
        }
    }
    if (ok && !any) {
        bt_load_error(ctx, v, "a reply range needs min, max or both");
        ok = FALSE;
    }
    if (ok && r.lo > r.hi) {
        bt_load_error(ctx, v, "bad reply range: min %d is above max %d", r.lo, r.hi);
        ok = FALSE;
    }
    if (ok)
        g_array_append_val(out, r);
    return ok;
}

static BtCond *
parse_reply(BtLoadCtx *ctx, const yaml_node_t *v)
{
    BtCond *c = cond_new(C_REPLY, COST_FLAG);
    c->replies = g_array_new(FALSE, FALSE, sizeof(ReplyRange));
    gboolean ok = TRUE;
    if (v->type == YAML_MAPPING_NODE) {
        ok = add_reply_map(ctx, v, c->replies);
    } else if (v->type == YAML_SEQUENCE_NODE && v->data.sequence.items.top > v->data.sequence.items.start) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
            ok &= add_reply_scalar(ctx, bt_yaml_node(ctx, *it), c->replies);
    } else {
        ok = add_reply_scalar(ctx, v, c->replies);
    }
    if (!ok) {
        bt_cond_free(c);
        return NULL;
    }
    c->reply_v = (const ReplyRange *) c->replies->data;
    c->n_reply = c->replies->len;
    return c;
}

/* ---- parsing: the tree ---------------------------------------------------- */

static gint
compare_cost(gconstpointer a, gconstpointer b)
{
    const BtCond *x = *(const BtCond *const *) a, *y = *(const BtCond *const *) b;
    return (x->cost > y->cost) - (x->cost < y->cost);
}

/* `children` becomes an any/all node; cheapest first (a stable sort, so
 * equal costs keep the author's order). */
static BtCond *
combine(CondKind kind, GPtrArray *children)
{
    if (kind == C_ALL && children->len == 1) {
        BtCond *only = g_ptr_array_steal_index(children, 0);
        g_ptr_array_unref(children);
        return only;
    }
    g_ptr_array_sort(children, compare_cost);
    BtCond *c = cond_new(kind, 0);
    c->children = children;
    c->kids = (BtCond *const *) children->pdata;
    c->n_kids = children->len;
    for (guint i = 0; i < children->len; i++)
        c->cost += ((BtCond *) children->pdata[i])->cost;
    return c;
}

static BtCond *parse_cond(BtLoadCtx *ctx, const yaml_node_t *node);

static BtCond *
parse_list(BtLoadCtx *ctx, CondKind kind, const char *key, const yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start) {
        bt_load_error(ctx, v, "'%s' must be a non-empty list of conditions, not %s", key,
                      v->type == YAML_SEQUENCE_NODE ? "an empty list" : bt_yaml_kind_name(v));
        return NULL;
    }
    GPtrArray *children = g_ptr_array_new_with_free_func((GDestroyNotify) bt_cond_free);
    gboolean ok = TRUE;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        BtCond *child = parse_cond(ctx, bt_yaml_node(ctx, *it));
        if (child)
            g_ptr_array_add(children, child);
        ok &= child != NULL;
    }
    if (!ok) {
        g_ptr_array_unref(children);
        return NULL;
    }
    return combine(kind, children);
}

static BtCond *
parse_text_cond(BtLoadCtx *ctx, const char *key, const BtFieldInfo *field, const yaml_node_t *v)
{
    BtCond *c = cond_new(field ? C_FIELD : C_TEXT, 0);
    if (field)
        set_field(c, field);
    if (!parse_text_pattern(ctx, key, v, &c->text)) {
        bt_cond_free(c);
        return NULL;
    }
    c->cost = text_cost(&c->text, field == NULL);
    return c;
}

/* header: {FIELD: pattern, …} — each field (of the recipient's report
 * group, the report, or the bounce's header; see header.c) must match. */
static BtCond *
parse_header(BtLoadCtx *ctx, const yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE || v->data.mapping.pairs.top == v->data.mapping.pairs.start) {
        bt_load_error(ctx, v, "'header' must be a map of field names to text patterns, not %s",
                      bt_yaml_kind_name(v));
        return NULL;
    }
    GPtrArray *parts = g_ptr_array_new_with_free_func((GDestroyNotify) bt_cond_free);
    gboolean ok = TRUE;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = bt_yaml_node(ctx, p->key);
        const char *name = bt_yaml_scalar(k);
        if (!name || !*name || name[strcspn(name, ": \t")] != '\0') {
            bt_load_error(ctx, k, "a header field name must be a word like X-Spam-Flag");
            ok = FALSE;
            continue;
        }
        BtCond *c = parse_text_cond(ctx, name, NULL, bt_yaml_node(ctx, p->value));
        if (!c) {
            ok = FALSE;
            continue;
        }
        c->kind = C_HEADER;
        c->header = g_strdup(name);
        c->cost = text_cost(&c->text, FALSE);
        g_ptr_array_add(parts, c);
    }
    if (!ok) {
        g_ptr_array_unref(parts);
        return NULL;
    }
    return combine(C_ALL, parts);
}

static BtCond *
parse_key(BtLoadCtx *ctx, const yaml_node_t *k, const yaml_node_t *v)
{
    const char *key = bt_yaml_scalar(k);
    if (!key) {
        bt_load_error(ctx, k, "a condition key must be a name, not %s", bt_yaml_kind_name(k));
        return NULL;
    }
    if (strcmp(key, "any") == 0)
        return parse_list(ctx, C_ANY, key, v);
    if (strcmp(key, "all") == 0)
        return parse_list(ctx, C_ALL, key, v);
    if (strcmp(key, "not") == 0) {
        BtCond *child = parse_cond(ctx, v);
        if (!child)
            return NULL;
        BtCond *c = cond_new(C_NOT, child->cost);
        c->children = g_ptr_array_new_with_free_func((GDestroyNotify) bt_cond_free);
        g_ptr_array_add(c->children, child);
        c->kids = (BtCond *const *) c->children->pdata;
        c->n_kids = 1;
        return c;
    }
    if (strcmp(key, "text") == 0)
        return parse_text_cond(ctx, key, NULL, v);
    if (strcmp(key, "header") == 0)
        return parse_header(ctx, v);
    if (strcmp(key, "deliverystatus") == 0)
        return parse_status(ctx, v);
    if (strcmp(key, "replycode") == 0)
        return parse_reply(ctx, v);
    if (strcmp(key, "hardbounce") == 0) {
        BtCond *c = cond_new(C_HARDBOUNCE, COST_FLAG);
        if (bt_yaml_bool(v, &c->hardbounce))
            return c;
        bt_load_error(ctx, v, "'hardbounce' must be true or false");
        bt_cond_free(c);
        return NULL;
    }
    const BtFieldInfo *field = bt_record_field_lookup(key);
    if (!field) {
        bt_load_error(ctx, k, "unknown record field '%s' in condition", key);
        return NULL;
    }
    return parse_text_cond(ctx, key, field, v);
}

static BtCond *
parse_cond(BtLoadCtx *ctx, const yaml_node_t *node)
{
    /* An empty map holds always (all of its no keys hold): the catch-all. */
    if (node->type != YAML_MAPPING_NODE) {
        bt_load_error(ctx, node, "a condition must be a mapping, not %s", bt_yaml_kind_name(node));
        return NULL;
    }
    GPtrArray *parts = g_ptr_array_new_with_free_func((GDestroyNotify) bt_cond_free);
    gboolean ok = TRUE;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        BtCond *c = parse_key(ctx, bt_yaml_node(ctx, p->key), bt_yaml_node(ctx, p->value));
        if (c)
            g_ptr_array_add(parts, c);
        ok &= c != NULL;
    }
    if (!ok) {
        g_ptr_array_unref(parts);
        return NULL;
    }
    return combine(C_ALL, parts);   /* several keys in one map must all hold */
}

BtCond *
bt_cond_parse(BtLoadCtx *ctx, const yaml_node_t *node)
{
    BtCond *c = parse_cond(ctx, node);
    return c ? cond_pack(c) : NULL;
}

/* ---- matching ------------------------------------------------------------- */

/* A header field's value for the current record, kept while the record's
 * rules are tried (--explain quotes it afterwards). */
typedef struct {
    char *value;
    BtSubject subj;
} HeaderValue;

static void
header_value_free(HeaderValue *hv)
{
    bt_subject_free(&hv->subj);
    g_free(hv->value);
    g_free(hv);
}

BtMatchInput *
bt_match_input_new(BtSubject *text)
{
    BtMatchInput *in = g_new0(BtMatchInput, 1);
    in->text = text;
    in->header_values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify) header_value_free);
    bt_record_fields(&in->n_fields);
    in->fields = g_new(BtFieldSubject, in->n_fields);     /* not zeroed: the pair sets are large */
    for (gsize i = 0; i < in->n_fields; i++) {
        bt_subject_init(&in->fields[i].subj);
        in->fields[i].ready = FALSE;
    }
    return in;
}

BtMatchInput *
bt_match_input_for_bounce(BtSubject *text, const BtBounce *bounce)
{
    bt_subject_init(text);
    bt_subject_set(text, bounce->text, bounce->text ? strlen(bounce->text) : 0);
    BtMatchInput *in = bt_match_input_new(text);
    in->headers = bounce->headers;
    in->dsn = bounce->dsn;
    return in;
}

void
bt_match_input_set_record(BtMatchInput *in, const BtRecord *rec)
{
    in->rec = rec;
    for (gsize i = 0; i < in->n_fields; i++)
        in->fields[i].ready = FALSE;
    g_hash_table_remove_all(in->header_values);
}

void
bt_match_input_free(BtMatchInput *in)
{
    if (!in)
        return;
    for (gsize i = 0; i < in->n_fields; i++)
        bt_subject_free(&in->fields[i].subj);
    g_free(in->fields);
    g_hash_table_unref(in->header_values);
    g_free(in);
}

static BtFieldSubject *
field_subject(BtMatchInput *in, const BtCond *c)
{
    BtFieldSubject *fs = &in->fields[c->field_index];
    if (!fs->ready) {
        const char *v = bt_record_get(in->rec, c->field, fs->buf);
        bt_subject_set(&fs->subj, v, v ? strlen(v) : 0);
        fs->ready = TRUE;
    }
    return fs;
}

/* Keyed by the condition's own copy of the name, which outlives the input. */
static BtSubject *
header_subject(BtMatchInput *in, const BtCond *c)
{
    HeaderValue *hv = g_hash_table_lookup(in->header_values, c->header);
    if (!hv) {
        hv = g_new0(HeaderValue, 1);
        hv->value = bt_header_lookup(in->headers, in->dsn, in->rec ? in->rec->recipient : NULL, c->header);
        bt_subject_init(&hv->subj);
        bt_subject_set(&hv->subj, hv->value, hv->value ? strlen(hv->value) : 0);
        g_hash_table_insert(in->header_values, c->header, hv);
    }
    return &hv->subj;
}

static void
note_match(BtMatchNote *note, const char *field, const char *subject, gsize start, gsize end)
{
    if (!note || note->field)
        return;
    note->field = field;
    note->subject = subject;
    note->start = start;
    note->end = end;
}

/* Exact, case-insensitive: ASCII folding first (the common case, no
 * allocation), Unicode folding only when a non-ASCII byte is involved. */
static gboolean
equals_folded(const char *a, const char *b)
{
    if (g_ascii_strcasecmp(a, b) == 0)
        return TRUE;
    gboolean ascii = TRUE;
    for (const char *s = a; *s && ascii; s++)
        ascii = !(*s & 0x80);
    for (const char *s = b; *s && ascii; s++)
        ascii = !(*s & 0x80);
    if (ascii)
        return FALSE;
    g_autofree char *fa = bt_casefold(a);
    g_autofree char *fb = bt_casefold(b);
    return strcmp(fa, fb) == 0;
}

/* A note's subject must outlive the record's subjects: a numeric field's
 * rendering is copied into the note. */
static void
note_subject(BtMatchNote *note, const char *name, const BtSubject *subj, const char *scratch,
             gsize start, gsize end)
{
    if (!note || note->field)
        return;
    if (subj->str == scratch) {     /* a number is quoted whole */
        memcpy(note->buf, scratch, sizeof note->buf);
        note_match(note, name, note->buf, 0, strlen(note->buf));
    } else {
        note_match(note, name, subj->str, start, end);
    }
}

/* Whether the wording of the diagnostic, not only a code, made the rule
 * hold: apply.c asks it of rules reading a quoted reply. */
static void
note_wording(BtMatchNote *note, const char *name)
{
    if (note && strcmp(name, "diagnosticcode") == 0)
        note->read_diagnostic = TRUE;
}

static gboolean
match_text(const TextPattern *tp, const char *name, BtSubject *subj, const char *scratch, BtMatchNote *note)
{
    const char *value = subj->str;
    if (tp->kind == T_PRESENT)
        return (value && *value) == tp->present;
    if (!value)
        return FALSE;
    if (tp->kind == T_REGEX) {
        gsize start, end;
        if (!bt_regex_search(tp->re, subj, &start, &end))
            return FALSE;
        note_subject(note, name, subj, scratch, start, end);
        note_wording(note, name);
        return TRUE;
    }
    for (guint i = 0; tp->words[i]; i++)
        if (equals_folded(value, tp->words[i])) {
            note_subject(note, name, subj, scratch, 0, subj->len);
            note_wording(note, name);
            return TRUE;
        }
    return FALSE;
}

/* One dotted component of a status value against '*' or a number. */
static gboolean
status_glob(const char *pat, const char *val)
{
    for (;;) {
        gsize pn = strcspn(pat, "."), vn = strcspn(val, ".");
        gboolean ok = (pn == 1 && pat[0] == '*') ? all_digits(val, vn)
                                                 : pn == vn && memcmp(pat, val, pn) == 0;
        if (!ok)
            return FALSE;
        if (!pat[pn] || !val[vn])
            return !pat[pn] && !val[vn];
        pat += pn + 1;
        val += vn + 1;
    }
}

static gboolean
match_status(const BtCond *c, const char *value)
{
    if (!value)
        return FALSE;
    for (guint i = 0; i < c->n_status; i++) {
        const StatusPattern *sp = &c->status_v[i];
        gboolean ok = sp->kind == S_EXACT ? strcmp(sp->pattern, value) == 0
                      : sp->kind == S_PREFIX ? g_str_has_prefix(value, sp->pattern)
                      : status_glob(sp->pattern, value);
        if (ok)
            return TRUE;
    }
    return FALSE;
}

static gboolean
match_reply(const BtCond *c, int code)
{
    for (guint i = 0; i < c->n_reply; i++) {
        const ReplyRange *r = &c->reply_v[i];
        if (code >= r->lo && code <= r->hi)
            return TRUE;
    }
    return FALSE;
}

static gboolean
match_children(const BtCond *c, BtMatchInput *in, BtMatchNote *note)
{
    if (c->kind == C_ANY) {
        for (guint i = 0; i < c->n_kids; i++)
            if (bt_cond_match(c->kids[i], in, note))
                return TRUE;
        return FALSE;
    }
    /* all: a failure undoes what the earlier children noted */
    BtMatchNote saved;
    if (note)
        saved = *note;
    for (guint i = 0; i < c->n_kids; i++)
        if (!bt_cond_match(c->kids[i], in, note)) {
            if (note)
                *note = saved;
            return FALSE;
        }
    return TRUE;
}

gboolean
bt_cond_match(const BtCond *c, BtMatchInput *in, BtMatchNote *note)
{
    const BtRecord *rec = in->rec;
    switch (c->kind) {
    case C_ANY:
    case C_ALL:
        return match_children(c, in, note);
    case C_NOT:
        return !bt_cond_match(c->kids[0], in, NULL);
    case C_TEXT:
        return match_text(&c->text, "text", in->text, NULL, note);
    case C_HEADER:
        return match_text(&c->text, c->header, header_subject(in, c), NULL, note);
    case C_FIELD: {
        BtFieldSubject *fs = field_subject(in, c);
        return match_text(&c->text, c->field->name, &fs->subj, fs->buf, note);
    }
    case C_STATUS:
        if (!match_status(c, rec->deliverystatus))
            return FALSE;
        note_match(note, "deliverystatus", rec->deliverystatus, 0, strlen(rec->deliverystatus));
        return TRUE;
    case C_REPLY:
        if (!match_reply(c, rec->replycode))
            return FALSE;
        if (note && !note->field) {
            g_snprintf(note->buf, sizeof note->buf, "%d", rec->replycode);
            note_match(note, "replycode", note->buf, 0, strlen(note->buf));
        }
        return TRUE;
    case C_HARDBOUNCE:
        return rec->hardbounce == c->hardbounce;
    }
    return FALSE;
}

/* For tests that check the literal prefilter against every shipped pattern. */
void
bt_cond_each_regex(const BtCond *c, void (*fn)(BtRegex *re, gpointer data), gpointer data)
{
    if (!c)
        return;
    if (c->text.re)
        fn(c->text.re, data);
    for (guint i = 0; i < c->n_kids; i++)
        bt_cond_each_regex(c->kids[i], fn, data);
}

void
bt_cond_each_text_regex(const BtCond *c, void (*fn)(BtRegex *re, gpointer data), gpointer data)
{
    if (!c)
        return;
    if (c->kind == C_TEXT && c->text.re)
        fn(c->text.re, data);
    for (guint i = 0; i < c->n_kids; i++)
        bt_cond_each_text_regex(c->kids[i], fn, data);
}

/* ---- what a rule needs of its texts (candidates.c) ------------------------ */

BtSubject *
bt_match_input_field(BtMatchInput *in, gsize field_index)
{
    gsize n;
    BtCond leaf = { .kind = C_FIELD, .field = bt_record_fields(&n) + field_index, .field_index = field_index };
    return &field_subject(in, &leaf)->subj;
}

BtSubject *
bt_match_input_header(BtMatchInput *in, const char *name)
{
    BtCond leaf = { .kind = C_HEADER, .header = (char *) name };
    return header_subject(in, &leaf);
}

/* The digits and dots every status matching `sp` holds: the pattern
 * (exact or prefix), or a glob's longest stretch without '*' (each '*'
 * stands for one number, so the dots around it are there too). */
static const char *
status_literal(const StatusPattern *sp, gsize *len)
{
    const char *best = sp->pattern;
    *len = 0;
    for (const char *p = sp->pattern; *p;) {
        gsize n = strcspn(p, "*");
        if (n > *len) {
            best = p;
            *len = n;
        }
        p += n + (p[n] == '*');
    }
    return best;
}

/* The leading digits every reply code of `r` shares, as the field reads
 * ("%d", bt_record_get), into `buf`; "" when none. */
static const char *
reply_literal(const ReplyRange *r, char buf[16], gsize *len)
{
    char hi[16];
    gsize n = (gsize) g_snprintf(buf, 16, "%d", r->lo);
    *len = 0;
    if ((gsize) g_snprintf(hi, sizeof hi, "%d", r->hi) == n)
        while (*len < n && buf[*len] == hi[*len])
            (*len)++;
    return buf;
}

/* Has each status pattern or reply range of the leaf a literal? */
static gboolean
code_literals_known(const BtCond *c)
{
    gsize len = 1;
    char buf[16];
    for (guint i = 0; c->kind == C_STATUS && i < c->statuses->len && len; i++)
        status_literal(&g_array_index(c->statuses, StatusPattern, i), &len);
    for (guint i = 0; c->kind == C_REPLY && i < c->replies->len && len; i++)
        reply_literal(&g_array_index(c->replies, ReplyRange, i), buf, &len);
    return len > 0;
}

/* `equals` and `in` words that a literal test can stand for: ASCII, none
 * empty (an empty value holds no literal). */
static gboolean
words_are_literals(GStrv words)
{
    for (guint i = 0; words[i]; i++) {
        if (!*words[i])
            return FALSE;
        for (const char *p = words[i]; *p; p++)
            if ((guchar) *p >= 0x80)
                return FALSE;
    }
    return TRUE;
}

static gsize
field_index_of(const char *name)
{
    gsize n;
    return (gsize) (bt_record_field_lookup(name) - bt_record_fields(&n));
}

/* The leaf's own need: its regex when the regex has literals, its status
 * codes or reply codes, its words. */
static gboolean
leaf_needs(const BtCond *c, GArray *out)
{
    BtCondNeed need = { .kind = c->kind == C_TEXT ? BT_NEED_TEXT : c->kind == C_HEADER ? BT_NEED_HEADER
                                                                                       : BT_NEED_FIELD,
                        .field_index = c->field_index, .header = c->header, .leaf = c };
    if (c->kind == C_STATUS || c->kind == C_REPLY) {
        if (!code_literals_known(c))
            return FALSE;
        need.field_index = field_index_of(c->kind == C_STATUS ? "deliverystatus" : "replycode");
    } else if (c->text.kind == T_REGEX) {
        if (!bt_regex_has_literals(c->text.re))
            return FALSE;
        need.re = c->text.re;
    } else if (c->text.kind == T_EQUALS || c->text.kind == T_IN) {
        if (!words_are_literals(c->text.words))
            return FALSE;
        need.words = TRUE;
    } else {
        return FALSE;
    }
    g_array_append_val(out, need);
    return TRUE;
}

void
bt_cond_need_each_literal(const BtCondNeed *need,
                          void (*fn)(const char *folded, gsize len, gpointer data), gpointer data)
{
    const BtCond *c = need->leaf;
    gsize len;
    char buf[16];
    if (need->re) {
        bt_regex_each_literal(need->re, fn, data);
    } else if (c->kind == C_STATUS) {
        for (guint i = 0; i < c->statuses->len; i++) {
            const char *lit = status_literal(&g_array_index(c->statuses, StatusPattern, i), &len);
            fn(lit, len, data);
        }
    } else if (c->kind == C_REPLY) {
        for (guint i = 0; i < c->replies->len; i++) {
            const char *lit = reply_literal(&g_array_index(c->replies, ReplyRange, i), buf, &len);
            fn(lit, len, data);
        }
    } else {
        for (guint i = 0; c->text.words[i]; i++) {
            g_autofree char *folded = g_ascii_strdown(c->text.words[i], -1);
            fn(folded, strlen(folded), data);
        }
    }
}

/* Record fields that take a handful of values (codes, an action, the
 * decoder's name): a literal of theirs is in most records, so a need on
 * one keeps its rule in play for most bounces. */
static gboolean
is_coarse_field(gsize field_index)
{
    static const char *const coarse[] = { "action", "replycode", "deliverystatus", "command",
                                          "diagnostictype", "reason", "hardbounce", "feedbacktype",
                                          "decodedby" };
    gsize n;
    const BtFieldInfo *fields = bt_record_fields(&n);
    for (guint i = 0; i < G_N_ELEMENTS(coarse); i++)
        if (field_index < n && strcmp(fields[field_index].name, coarse[i]) == 0)
            return TRUE;
    return FALSE;
}

static void
need_weight(const GArray *needs, gboolean *text, gboolean *coarse)
{
    *text = *coarse = FALSE;
    for (guint i = 0; i < needs->len; i++) {
        const BtCondNeed *need = &g_array_index(needs, BtCondNeed, i);
        *text |= need->kind == BT_NEED_TEXT;
        *coarse |= need->kind == BT_NEED_FIELD && is_coarse_field(need->field_index);
    }
}

/* A need that scans short texts beats one that scans the whole bounce;
 * then one on worded fields (the diagnostic, a host, a header) beats one
 * on a coarse field: for `all: [replycode: 500-599, diagnosticcode: …]`
 * the reply code would keep the rule in play for nearly every bounce,
 * the wording for the few that say it; then fewer leaves. */
static gboolean
needs_better(const GArray *a, const GArray *b)
{
    gboolean a_text, a_coarse, b_text, b_coarse;
    need_weight(a, &a_text, &a_coarse);
    need_weight(b, &b_text, &b_coarse);
    if (a_text != b_text)
        return !a_text;
    if (a_coarse != b_coarse)
        return !a_coarse;
    return a->len < b->len;
}

/* all: any one child's need is the whole's; the best of them. */
static gboolean
all_needs(const BtCond *c, GArray *out)
{
    g_autoptr(GArray) best = NULL;
    for (guint i = 0; i < c->n_kids; i++) {
        g_autoptr(GArray) mine = g_array_new(FALSE, FALSE, sizeof(BtCondNeed));
        if (!bt_cond_needs(c->kids[i], mine) || (best && !needs_better(mine, best)))
            continue;
        g_clear_pointer(&best, g_array_unref);
        best = g_steal_pointer(&mine);
    }
    if (!best)
        return FALSE;
    g_array_append_vals(out, best->data, best->len);
    return TRUE;
}

/* any: every child must need something, and the whole needs one of it all. */
static gboolean
any_needs(const BtCond *c, GArray *out)
{
    guint before = out->len;
    for (guint i = 0; i < c->n_kids; i++)
        if (!bt_cond_needs(c->kids[i], out)) {
            g_array_set_size(out, before);
            return FALSE;
        }
    return TRUE;
}

gboolean
bt_cond_needs(const BtCond *c, GArray *out)
{
    switch (c->kind) {
    case C_ALL:
        return all_needs(c, out);
    case C_ANY:
        return any_needs(c, out);
    case C_TEXT:
    case C_HEADER:
    case C_FIELD:
    case C_STATUS:
    case C_REPLY:
        return leaf_needs(c, out);
    default:
        return FALSE;       /* not: holds when its child fails, whatever the text;
                             * hardbounce: a flag */
    }
}
