/* suppress-policy — reads rules/suppress.yaml, the policy of the
 * suppression list, and says what each record means for its address:
 * a hard bounce or a complaint suppresses at once, a delivery resets the
 * soft count, some reasons say nothing about the address, and every other
 * reason is a soft failure.  Problems are reported as the rules' are:
 * "file:line:col: message", every one of them. */
#include "sink/digest-private.h"
#include "rules/rules.h"
#include "core/yamlcheck.h"

#include <string.h>
#include <yaml.h>

#define POLICY_FILE "suppress.yaml"

struct _BtSuppressPolicy {
    GHashTable *hard;          /* reason set */
    GHashTable *complaints;    /* feedback types that suppress */
    GHashTable *never;         /* reasons that say nothing about the address */
    GHashTable *success;       /* reasons that reset the soft count */
    guint soft_failures;
    guint soft_days;
    gboolean once_per_day;
};

typedef struct {
    const char *file;
    yaml_document_t *doc;
    GPtrArray *errors;
} Ctx;

static void G_GNUC_PRINTF(3, 4)
problem(Ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(ctx->errors, g_strdup_printf("%s:%zu:%zu: %s", ctx->file, node->start_mark.line + 1,
                                                 node->start_mark.column + 1, msg));
}

static const char *
scalar(const yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *) node->data.scalar.value : NULL;
}

static yaml_node_t *
node_at(Ctx *ctx, int index)
{
    return yaml_document_get_node(ctx->doc, index);
}

static void
read_uint(Ctx *ctx, const yaml_node_t *v, const char *key, guint min, guint max, guint *out)
{
    const char *s = scalar(v);
    guint64 n;
    if (!s || !g_ascii_string_to_unsigned(s, 10, min, max, &n, NULL)) {
        problem(ctx, v, "'%s' must be a whole number from %u to %u", key, min, max);
        return;
    }
    *out = (guint) n;
}

static void
read_bool(Ctx *ctx, const yaml_node_t *v, const char *key, gboolean *out)
{
    const char *s = scalar(v);
    if (g_strcmp0(s, "true") == 0 || g_strcmp0(s, "yes") == 0)
        *out = TRUE;
    else if (g_strcmp0(s, "false") == 0 || g_strcmp0(s, "no") == 0)
        *out = FALSE;
    else
        problem(ctx, v, "'%s' must be true or false", key);
}

/* A sequence of words into `set`; reasons must be sisimai's, and a reason
 * may sit in one list only (`taken` remembers which). */
static void
read_words(Ctx *ctx, const yaml_node_t *v, const char *key, gboolean reasons, GHashTable *set, GHashTable *taken)
{
    if (v->type != YAML_SEQUENCE_NODE) {
        problem(ctx, v, "'%s' must be a list", key);
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        const yaml_node_t *item = node_at(ctx, *it);
        const char *word = scalar(item);
        if (!word || !*word) {
            problem(ctx, item, "'%s' lists words, not %s", key, word ? "an empty one" : "a structure");
            continue;
        }
        if (reasons && !bt_reason_is_valid(word)) {
            problem(ctx, item, "unknown reason '%s' (sisimai's vocabulary, see rules/README.md)", word);
            continue;
        }
        const char *other = reasons ? g_hash_table_lookup(taken, word) : NULL;
        if (other) {
            problem(ctx, item, "reason '%s' is already in '%s'", word, other);
            continue;
        }
        if (reasons)
            g_hash_table_insert(taken, g_strdup(word), (gpointer) key);
        g_hash_table_add(set, g_strdup(word));
    }
}

typedef void (*ReadMember)(Ctx *ctx, BtSuppressPolicy *p, const yaml_node_t *k, const yaml_node_t *v, GHashTable *taken);

/* Each member of a mapping through `read`; a mapping is required. */
static void
read_mapping(Ctx *ctx, BtSuppressPolicy *p, const yaml_node_t *map, const char *what, ReadMember read,
             GHashTable *taken)
{
    if (map->type != YAML_MAPPING_NODE) {
        problem(ctx, map, "%s must be a mapping", what);
        return;
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *k = node_at(ctx, pair->key), *v = node_at(ctx, pair->value);
        if (!scalar(k))
            problem(ctx, k, "keys of %s must be words", what);
        else
            read(ctx, p, k, v, taken);
    }
}

static void
read_hard(Ctx *ctx, BtSuppressPolicy *p, const yaml_node_t *k, const yaml_node_t *v, GHashTable *taken)
{
    const char *key = scalar(k);
    if (strcmp(key, "reasons") == 0)
        read_words(ctx, v, "hard", TRUE, p->hard, taken);
    else
        problem(ctx, k, "unknown key '%s' in 'hard' (reasons)", key);
}

static void
read_complaint(Ctx *ctx, BtSuppressPolicy *p, const yaml_node_t *k, const yaml_node_t *v, GHashTable *taken)
{
    const char *key = scalar(k);
    if (strcmp(key, "feedbacktypes") == 0)
        read_words(ctx, v, "complaint", FALSE, p->complaints, taken);
    else
        problem(ctx, k, "unknown key '%s' in 'complaint' (feedbacktypes)", key);
}

static void
read_soft(Ctx *ctx, BtSuppressPolicy *p, const yaml_node_t *k, const yaml_node_t *v, GHashTable *taken)
{
    const char *key = scalar(k);
    (void) taken;
    if (strcmp(key, "failures") == 0)
        read_uint(ctx, v, key, 1, 1000, &p->soft_failures);
    else if (strcmp(key, "days") == 0)
        read_uint(ctx, v, key, 0, 3650, &p->soft_days);
    else if (strcmp(key, "once-per-day") == 0)
        read_bool(ctx, v, key, &p->once_per_day);
    else
        problem(ctx, k, "unknown key '%s' in 'soft' (failures, days, once-per-day)", key);
}

static void
read_top(Ctx *ctx, BtSuppressPolicy *p, const yaml_node_t *k, const yaml_node_t *v, GHashTable *taken)
{
    const char *key = scalar(k);
    if (strcmp(key, "hard") == 0)
        read_mapping(ctx, p, v, "'hard'", read_hard, taken);
    else if (strcmp(key, "complaint") == 0)
        read_mapping(ctx, p, v, "'complaint'", read_complaint, taken);
    else if (strcmp(key, "soft") == 0)
        read_mapping(ctx, p, v, "'soft'", read_soft, taken);
    else if (strcmp(key, "never") == 0)
        read_words(ctx, v, "never", TRUE, p->never, taken);
    else if (strcmp(key, "success") == 0)
        read_words(ctx, v, "success", TRUE, p->success, taken);
    else
        problem(ctx, k, "unknown key '%s' (hard, complaint, soft, never, success)", key);
}

static GHashTable *
word_set(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static BtSuppressPolicy *
policy_new(void)
{
    BtSuppressPolicy *p = g_new0(BtSuppressPolicy, 1);
    p->hard = word_set();
    p->complaints = word_set();
    p->never = word_set();
    p->success = word_set();
    p->soft_failures = 5;
    p->soft_days = 14;
    p->once_per_day = TRUE;
    return p;
}

void
bt_suppress_policy_free(BtSuppressPolicy *p)
{
    if (!p)
        return;
    g_hash_table_unref(p->hard);
    g_hash_table_unref(p->complaints);
    g_hash_table_unref(p->never);
    g_hash_table_unref(p->success);
    g_free(p);
}

static gboolean
parse_document(const char *file, const char *bytes, gsize len, yaml_document_t *doc, GPtrArray *errors)
{
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) bytes, len);
    gboolean ok = yaml_parser_load(&parser, doc);
    if (!ok)
        g_ptr_array_add(errors, g_strdup_printf("%s:%zu:%zu: %s", file, parser.problem_mark.line + 1,
                                                parser.problem_mark.column + 1,
                                                parser.problem ? parser.problem : "YAML syntax error"));
    yaml_parser_delete(&parser);
    return ok;
}

BtSuppressPolicy *
bt_suppress_policy_load(const char *file, GPtrArray *errors)
{
    g_autofree char *bytes = NULL;
    gsize len;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(file, &bytes, &len, &err)) {
        g_ptr_array_add(errors, g_strdup_printf("%s: cannot read the suppression policy: %s", file, err->message));
        return NULL;
    }
    yaml_document_t doc;
    if (!parse_document(file, bytes, len, &doc, errors))
        return NULL;
    guint before = errors->len;
    g_autoptr(BtSuppressPolicy) p = policy_new();
    g_autoptr(GHashTable) taken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    Ctx ctx = { file, &doc, errors };
    const yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root)
        g_ptr_array_add(errors, g_strdup_printf("%s:1:1: the suppression policy is empty", file));
    else if (bt_yaml_check_shape(&doc, file, errors))
        read_mapping(&ctx, p, root, "the policy", read_top, taken);
    yaml_document_delete(&doc);
    return errors->len == before ? g_steal_pointer(&p) : NULL;
}

char *
bt_suppress_policy_find(const char *const *rule_dirs)
{
    char *found = NULL;
    for (const char *const *d = rule_dirs; d && *d; d++) {
        g_autofree char *file = g_build_filename(*d, POLICY_FILE, NULL);
        if (g_file_test(file, G_FILE_TEST_IS_REGULAR)) {
            g_free(found);
            found = g_steal_pointer(&file);
        }
    }
    return found;
}

BtSuppressKind
bt_suppress_policy_classify(const BtSuppressPolicy *p, const BtRecord *rec)
{
    const char *reason = rec->reason && *rec->reason ? rec->reason : "undefined";
    if (strcmp(reason, "feedback") == 0) {
        g_autofree char *type = g_ascii_strdown(rec->feedbacktype ? rec->feedbacktype : "", -1);
        return g_hash_table_contains(p->complaints, type) ? BT_SUPPRESS_COMPLAINT : BT_SUPPRESS_IGNORE;
    }
    if (g_hash_table_contains(p->success, reason))
        return BT_SUPPRESS_SUCCESS;
    /* a 4.x.x status says the server will take mail later: soft, whatever the reason */
    if (g_hash_table_contains(p->hard, reason))
        return g_str_has_prefix(rec->deliverystatus ? rec->deliverystatus : "", "4") ? BT_SUPPRESS_SOFT
                                                                                     : BT_SUPPRESS_HARD;
    if (g_hash_table_contains(p->never, reason))
        return BT_SUPPRESS_IGNORE;
    return BT_SUPPRESS_SOFT;
}

guint
bt_suppress_policy_soft_failures(const BtSuppressPolicy *p)
{
    return p->soft_failures;
}

guint
bt_suppress_policy_soft_days(const BtSuppressPolicy *p)
{
    return p->soft_days;
}

gboolean
bt_suppress_policy_once_per_day(const BtSuppressPolicy *p)
{
    return p->once_per_day;
}
