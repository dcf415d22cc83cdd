/* load — reads every pack (*.yaml) of every rule directory with libyaml,
 * collects every problem as "file:line:col: message", orders the packs
 * (`order`, then file name) and applies overrides: a rule whose id was
 * loaded from an earlier directory takes that rule's place. */
#include "rules/rules-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- problems ----------------------------------------------------------- */

static void
add_error_va(BtLoadCtx *ctx, gsize line, gsize col, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    g_ptr_array_add(ctx->errors, g_strdup_printf("%s:%zu:%zu: %s", ctx->file, line, col, msg));
}

void
bt_load_error(BtLoadCtx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error_va(ctx, node->start_mark.line + 1, node->start_mark.column + 1, fmt, ap);
    va_end(ap);
}

void
bt_load_error_at(BtLoadCtx *ctx, gsize line, gsize col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error_va(ctx, line, col, fmt, ap);
    va_end(ap);
}

/* ---- libyaml helpers ---------------------------------------------------- */

yaml_node_t *
bt_yaml_node(BtLoadCtx *ctx, int index)
{
    return yaml_document_get_node(ctx->doc, index);
}

const char *
bt_yaml_scalar(const yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *) node->data.scalar.value : NULL;
}

static gboolean
plain_scalar_in(const yaml_node_t *node, const char *const *words)
{
    const char *s = bt_yaml_scalar(node);
    if (!s || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return FALSE;
    return g_strv_contains(words, s);
}

gboolean
bt_yaml_is_null(const yaml_node_t *node)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
    return plain_scalar_in(node, nulls);
}

const char *
bt_yaml_kind_name(const yaml_node_t *node)
{
    if (bt_yaml_is_null(node))
        return "empty";
    switch (node->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    default:
        return "a scalar";
    }
}

gboolean
bt_yaml_bool(const yaml_node_t *node, gboolean *value)
{
    static const char *const yes[] = { "true", "True", "TRUE", NULL };
    static const char *const no[] = { "false", "False", "FALSE", NULL };
    if (plain_scalar_in(node, yes))
        *value = TRUE;
    else if (plain_scalar_in(node, no))
        *value = FALSE;
    else
        return FALSE;
    return TRUE;
}

gboolean
bt_yaml_int(const yaml_node_t *node, gint64 *value)
{
    const char *s = bt_yaml_scalar(node);
    if (!s || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !*s)
        return FALSE;
    char *end;
    errno = 0;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    if (*end || errno)
        return FALSE;
    *value = v;
    return TRUE;
}

/* ---- one pack ------------------------------------------------------------- */

typedef struct {
    char *file;
    char *basename;
    guint dir_index;
    gint64 order;
    GPtrArray *rules;       /* BtRule* */
} Pack;

static void
pack_free(Pack *p)
{
    g_free(p->file);
    g_free(p->basename);
    g_ptr_array_unref(p->rules);
    g_free(p);
}

/* Packs without `order` sit with the generic packs. */
#define DEFAULT_ORDER 500

static void
read_pack_rules(BtLoadCtx *ctx, const yaml_node_t *seq, Pack *pack)
{
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        BtRule *rule = bt_rule_parse(ctx, bt_yaml_node(ctx, *it), pack->dir_index);
        if (rule)
            g_ptr_array_add(pack->rules, rule);
    }
}

static void
read_pack_root(BtLoadCtx *ctx, const yaml_node_t *root, Pack *pack)
{
    if (!root || root->type != YAML_MAPPING_NODE) {
        if (root)
            bt_load_error(ctx, root, "a pack must be a mapping with 'rules', not %s", bt_yaml_kind_name(root));
        else
            bt_load_error_at(ctx, 1, 1, "a pack must be a mapping with 'rules', not empty");
        return;
    }
    gboolean seen_rules = FALSE;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = bt_yaml_node(ctx, p->key), *v = bt_yaml_node(ctx, p->value);
        const char *key = bt_yaml_scalar(k);
        if (g_strcmp0(key, "pack") == 0) {
            if (!bt_yaml_scalar(v) || bt_yaml_is_null(v))
                bt_load_error(ctx, v, "'pack' must be a name, not %s", bt_yaml_kind_name(v));
        } else if (g_strcmp0(key, "order") == 0) {
            if (!bt_yaml_int(v, &pack->order))
                bt_load_error(ctx, v, "'order' must be an integer");
        } else if (g_strcmp0(key, "rules") == 0) {
            seen_rules = TRUE;
            if (v->type == YAML_SEQUENCE_NODE)
                read_pack_rules(ctx, v, pack);
            else
                bt_load_error(ctx, v, "'rules' must be a sequence, not %s", bt_yaml_kind_name(v));
        } else {
            bt_load_error(ctx, k, "unknown key '%s' in pack (expected pack, order, rules)", key ? key : "?");
        }
    }
    if (!seen_rules)
        bt_load_error(ctx, root, "missing required key 'rules' in pack");
}

/* libyaml says what went wrong and, separately, what it was parsing. */
static void
report_syntax_error(BtLoadCtx *ctx, const yaml_parser_t *parser)
{
    const yaml_mark_t *mark = &parser->problem_mark;
    const char *problem = parser->problem ? parser->problem : "cannot parse";
    if (parser->context)
        bt_load_error_at(ctx, mark->line + 1, mark->column + 1, "YAML syntax error: %s (%s)",
                         problem, parser->context);
    else
        bt_load_error_at(ctx, mark->line + 1, mark->column + 1, "YAML syntax error: %s", problem);
}

static Pack *
read_pack(const char *file, const char *basename, guint dir_index, GPtrArray *errors)
{
    BtLoadCtx ctx = { .errors = errors, .file = file };
    FILE *fp = fopen(file, "rb");
    if (!fp) {
        bt_load_error_at(&ctx, 1, 1, "cannot read: %s", g_strerror(errno));
        return NULL;
    }
    Pack *pack = g_new0(Pack, 1);
    pack->file = g_strdup(file);
    pack->basename = g_strdup(basename);
    pack->dir_index = dir_index;
    pack->order = DEFAULT_ORDER;
    pack->rules = g_ptr_array_new_with_free_func((GDestroyNotify) bt_rule_free);

    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, fp);
    if (yaml_parser_load(&parser, &doc)) {
        ctx.doc = &doc;
        read_pack_root(&ctx, yaml_document_get_root_node(&doc), pack);
        yaml_document_delete(&doc);
    } else {
        report_syntax_error(&ctx, &parser);
    }
    yaml_parser_delete(&parser);
    fclose(fp);
    return pack;
}

/* ---- directories ---------------------------------------------------------- */

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void
read_dir(const char *dir, guint dir_index, GPtrArray *packs, GPtrArray *errors)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
    if (!d) {
        g_ptr_array_add(errors, g_strdup_printf("%s: cannot read rule directory: %s", dir, err->message));
        return;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (g_str_has_suffix(name, ".yaml") && name[0] != '.')
            g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *file = g_build_filename(dir, names->pdata[i], NULL);
        if (!g_file_test(file, G_FILE_TEST_IS_REGULAR))
            continue;
        Pack *pack = read_pack(file, names->pdata[i], dir_index, errors);
        if (pack)
            g_ptr_array_add(packs, pack);
    }
}

static gint
compare_packs(gconstpointer a, gconstpointer b)
{
    const Pack *p = *(const Pack *const *) a, *q = *(const Pack *const *) b;
    if (p->order != q->order)
        return p->order < q->order ? -1 : 1;
    int c = strcmp(p->basename, q->basename);
    if (c)
        return c;
    return (int) p->dir_index - (int) q->dir_index;
}

/* ---- ids and overrides ---------------------------------------------------- */

/* For each id: the rule loaded from the lowest directory (whose place the
 * id keeps) and the one from the highest directory (which wins).  A repeat
 * within one directory is an error. */
typedef struct {
    BtRule *first;
    BtRule *winner;
} IdSlot;

static void
index_ids(GPtrArray *packs, GHashTable *ids, GPtrArray *errors)
{
    for (guint i = 0; i < packs->len; i++) {
        Pack *pack = packs->pdata[i];
        BtLoadCtx ctx = { .errors = errors, .file = pack->file };
        for (guint j = 0; j < pack->rules->len; j++) {
            BtRule *r = pack->rules->pdata[j];
            IdSlot *slot = g_hash_table_lookup(ids, r->id);
            if (!slot) {
                slot = g_new0(IdSlot, 1);
                slot->first = slot->winner = r;
                g_hash_table_insert(ids, r->id, slot);
                continue;
            }
            BtRule *same_dir = slot->first->dir_index == r->dir_index ? slot->first
                               : slot->winner->dir_index == r->dir_index ? slot->winner : NULL;
            if (same_dir) {
                bt_load_error_at(&ctx, r->line, r->col, "duplicate rule id '%s' (first defined at %s:%zu:%zu)",
                                 r->id, same_dir->file, same_dir->line, same_dir->col);
                continue;
            }
            if (r->dir_index < slot->first->dir_index)
                slot->first = r;
            if (r->dir_index > slot->winner->dir_index)
                slot->winner = r;
        }
    }
}

/* Moves every winning rule, at the place of its id's first rule, from the
 * packs into `out`; the overridden rules are freed with their packs. */
static void
collect_rules(GPtrArray *packs, GHashTable *ids, GPtrArray *out)
{
    for (guint i = 0; i < packs->len; i++) {
        Pack *pack = packs->pdata[i];
        for (guint j = 0; j < pack->rules->len; j++) {
            BtRule *r = pack->rules->pdata[j];
            IdSlot *slot = g_hash_table_lookup(ids, r->id);
            if (slot && slot->first == r)
                g_ptr_array_add(out, slot->winner);
        }
    }
    /* Detach the winners so freeing the packs leaves them alone. */
    for (guint i = 0; i < packs->len; i++) {
        Pack *pack = packs->pdata[i];
        for (guint j = 0; j < pack->rules->len; j++) {
            IdSlot *slot = g_hash_table_lookup(ids, ((BtRule *) pack->rules->pdata[j])->id);
            if (slot && slot->winner == pack->rules->pdata[j])
                pack->rules->pdata[j] = NULL;
        }
    }
}

BtRuleSet *
bt_ruleset_load(const char *const *dirs, GPtrArray *errors, GError **error)
{
    g_autoptr(GPtrArray) own_errors = errors ? NULL : g_ptr_array_new_with_free_func(g_free);
    GPtrArray *errs = errors ? errors : own_errors;
    guint before = errs->len;

    g_autoptr(GPtrArray) packs = g_ptr_array_new_with_free_func((GDestroyNotify) pack_free);
    for (guint i = 0; dirs && dirs[i]; i++)
        read_dir(dirs[i], i, packs, errs);
    g_ptr_array_sort(packs, compare_packs);

    g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    index_ids(packs, ids, errs);
    if (errs->len > before) {
        g_set_error(error, BT_ERROR, BT_ERROR_CONFIG, "%u problem(s) in the rule files", errs->len - before);
        return NULL;
    }
    BtRuleSet *rs = g_new0(BtRuleSet, 1);
    rs->rules = g_ptr_array_new_with_free_func((GDestroyNotify) bt_rule_free);
    collect_rules(packs, ids, rs->rules);
    return rs;
}

guint
bt_ruleset_size(const BtRuleSet *rs)
{
    return rs ? rs->rules->len : 0;
}

void
bt_ruleset_free(BtRuleSet *rs)
{
    if (!rs)
        return;
    g_ptr_array_unref(rs->rules);
    g_free(rs);
}
