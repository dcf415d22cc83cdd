/* load — reads every pack (*.yaml) of every rule directory with libyaml,
 * collects every problem as "file:line:col: message", orders the packs
 * (`order`, then file name) and applies overrides: a rule whose id was
 * loaded from an earlier directory takes that rule's place.
 *
 * Parsing YAML and compiling a few hundred patterns costs more than a
 * filter run on one message can afford, so a rule set that loaded without
 * a problem is remembered in the user's cache directory (core/doccache.h):
 * the YAML documents as parsed, under a key made from stat() of the packs
 * and directories, this program's binary and the library versions, with a
 * note per pack of its order and its rules' ids and positions.  A later
 * run with the same key makes its rules from the notes alone — no pack is
 * opened, no document decoded — and parses a rule from its cached document
 * when the rule is first tried, compiling each pattern only when first
 * used; any other run parses the files.  A changed file
 * changes the key, and a broken set is never cached, so its problems are
 * reported on every run. */
#include "rules/rules-private.h"
#include "core/doccache.h"
#include "core/yamlcheck.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- one pack ------------------------------------------------------------- */

typedef struct {
    char *file;
    char *basename;
    guint dir_index;
    gint64 order;
    GPtrArray *rules;       /* BtRule* */
    GArray *nodes;          /* int: each rule's node in the parsed document, for the cache's note */
} Pack;

static void
pack_free(Pack *p)
{
    g_free(p->file);
    g_free(p->basename);
    g_ptr_array_unref(p->rules);
    g_array_unref(p->nodes);
    g_free(p);
}

/* Packs without `order` sit with the generic packs. */
#define DEFAULT_ORDER 500

static void
read_pack_rules(BtLoadCtx *ctx, const yaml_node_t *seq, Pack *pack)
{
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        BtRule *rule = bt_rule_parse(ctx, bt_yaml_node(ctx, *it), pack->dir_index);
        if (rule) {
            g_ptr_array_add(pack->rules, rule);
            g_array_append_val(pack->nodes, *it);
        }
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

/* ---- pack files ------------------------------------------------------------ */

/* A *.yaml file of a rule directory; its bytes are read only when the
 * cache cannot give its document. */
typedef struct {
    char *file;
    char *basename;
    guint dir_index;
} PackFile;

static void
pack_file_free(PackFile *f)
{
    g_free(f->file);
    g_free(f->basename);
    g_free(f);
}

static char *
read_bytes(const char *file, gsize *len, int *err)
{
    FILE *fp = fopen(file, "rb");
    if (!fp) {
        *err = errno;
        return NULL;
    }
    g_autoptr(GByteArray) buf = g_byte_array_new();
    guint8 chunk[16384];
    gsize n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        g_byte_array_append(buf, chunk, n);
    *err = ferror(fp) ? EIO : 0;
    fclose(fp);
    if (*err)
        return NULL;
    *len = buf->len;
    return (char *) g_byte_array_free(g_steal_pointer(&buf), FALSE);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The packs of one directory, in name order; a directory that cannot be
 * listed is a problem of its own. */
static void
list_dir(const char *dir, guint dir_index, GPtrArray *files, GPtrArray *errors)
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
        /* suppress.yaml beside the packs is the suppression policy (sink/digest.h) */
        if (g_str_has_suffix(name, ".yaml") && name[0] != '.' && strcmp(name, "suppress.yaml") != 0)
            g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *file = g_build_filename(dir, names->pdata[i], NULL);
        if (!g_file_test(file, G_FILE_TEST_IS_REGULAR))
            continue;
        PackFile *f = g_new0(PackFile, 1);
        f->file = g_steal_pointer(&file);
        f->basename = g_strdup(names->pdata[i]);
        f->dir_index = dir_index;
        g_ptr_array_add(files, f);
    }
}

/* ---- reading a pack --------------------------------------------------------- */

static Pack *
pack_new(const PackFile *f)
{
    Pack *pack = g_new0(Pack, 1);
    pack->file = g_strdup(f->file);
    pack->basename = g_strdup(f->basename);
    pack->dir_index = f->dir_index;
    pack->order = DEFAULT_ORDER;
    pack->rules = g_ptr_array_new_with_free_func((GDestroyNotify) bt_rule_free);
    pack->nodes = g_array_new(FALSE, FALSE, sizeof(int));
    return pack;
}

/* ---- a pack's note in the cache ------------------------------------------ */

/* What a run needs of a pack to start without its document: its order,
 * then per rule its node id, line, column and id (NUL-terminated, padded
 * to 4 bytes) and its literal test (prefilter.c), in native byte order
 * like the rest of the cache. */
typedef struct {
    gint64 order;
    guint32 n_rules;
    guint32 zero;           /* no padding of unset bytes */
} NoteHead;

typedef struct {
    guint32 node, line, col, id_len;
} NoteRule;

static GByteArray *
pack_note(const Pack *pack)
{
    GByteArray *note = g_byte_array_new();
    NoteHead head = { .order = pack->order, .n_rules = pack->rules->len };
    g_byte_array_append(note, (const guint8 *) &head, sizeof head);
    for (guint i = 0; i < pack->rules->len; i++) {
        const BtRule *r = pack->rules->pdata[i];
        NoteRule nr = { g_array_index(pack->nodes, int, i), r->line, r->col, strlen(r->id) };
        static const guint8 zeros[4];
        g_byte_array_append(note, (const guint8 *) &nr, sizeof nr);
        g_byte_array_append(note, (const guint8 *) r->id, nr.id_len);
        g_byte_array_append(note, zeros, 4 - nr.id_len % 4);    /* at least one NUL */
        bt_prefilter_write(r, note);
    }
    return note;
}

/* The pack from its note in the cache: stubs, parsed when first tried.
 * NULL when the note is not what pack_note writes. */
static Pack *
read_cached_pack(const PackFile *f, const guint8 *note, gsize len, BtRuleDoc *doc)
{
    NoteHead head;
    if (len < sizeof head)
        return NULL;
    memcpy(&head, note, sizeof head);
    const guint8 *p = note + sizeof head, *end = note + len;
    Pack *pack = pack_new(f);
    pack->order = head.order;
    for (guint32 i = 0; i < head.n_rules; i++) {
        NoteRule nr;
        if ((gsize) (end - p) < sizeof nr)
            break;
        memcpy(&nr, p, sizeof nr);
        p += sizeof nr;
        gsize padded = (gsize) nr.id_len + 4 - nr.id_len % 4;
        if ((gsize) (end - p) < padded || p[nr.id_len] != '\0' || strlen((const char *) p) != nr.id_len)
            break;
        BtRule *stub = bt_rule_stub((const char *) p, f->file, nr.line, nr.col, f->dir_index, doc, (int) nr.node);
        g_ptr_array_add(pack->rules, stub);
        p += padded;
        gsize test = bt_prefilter_size(p, end);
        if (!test)
            break;
        stub->prefilter = test > sizeof(guint32) ? p : NULL;   /* a bare count of 0: none */
        stub->prefilter_len = test;
        p += test;
    }
    if (pack->rules->len != head.n_rules || p != end) {
        pack_free(pack);
        return NULL;
    }
    return pack;
}

/* ---- a pack's document, for stubs ----------------------------------------- */

static BtRuleDoc *
rule_doc_new(BtRuleEntry *entry, BtDocCache *cache, guint index, const char *file)
{
    BtRuleDoc *d = g_new0(BtRuleDoc, 1);
    d->entry = entry;
    d->cache = cache;
    d->index = index;
    d->file = g_strdup(file);
    return d;
}

static void
rule_doc_free(BtRuleDoc *d)
{
    if (d->has_parsed)
        yaml_document_delete(&d->parsed);
    g_free(d->file);
    g_free(d);
}

static BtRuleSet *load_set(const char *const *dirs, GPtrArray *errors, GError **error, gboolean lookup);

/* Replaces an entry found damaged by one made from the files, once. */
static void
rewrite_entry(BtRuleEntry *e)
{
    if (!g_once_init_enter(&e->rewritten))
        return;
    bt_ruleset_free(load_set((const char *const *) e->dirs, NULL, NULL, FALSE));
    g_once_init_leave(&e->rewritten, 1);
}

static void
rule_entry_free(BtRuleEntry *e)
{
    if (!e)
        return;
    g_strfreev(e->dirs);
    g_free(e);
}

/* The pack's document from the cache; should it be damaged, the pack's
 * file (unchanged: the key said so) is parsed instead, and the entry
 * rewritten for the next runs. */
yaml_document_t *
bt_rule_doc_get(BtRuleDoc *d)
{
    if (!d)
        return NULL;
    if (g_once_init_enter(&d->ready)) {
        d->doc = bt_doc_cache_document(d->cache, d->index);
        g_autofree char *bytes = NULL;
        gsize len;
        if (!d->doc)
            rewrite_entry(d->entry);
        if (!d->doc && g_file_get_contents(d->file, &bytes, &len, NULL)) {
            yaml_parser_t parser;
            yaml_parser_initialize(&parser);
            yaml_parser_set_input_string(&parser, (const unsigned char *) bytes, len);
            d->has_parsed = yaml_parser_load(&parser, &d->parsed);
            yaml_parser_delete(&parser);
            d->doc = d->has_parsed ? &d->parsed : NULL;
        }
        g_once_init_leave(&d->ready, 1);
    }
    return d->doc;
}

/* Reads and parses the pack's file; `cache`, when not NULL, gets the
 * parsed document. */
static Pack *
parse_pack(const PackFile *f, BtDocCache *cache, GPtrArray *errors)
{
    BtLoadCtx ctx = { .errors = errors, .file = f->file };
    g_autofree char *bytes = NULL;
    gsize len;
    int errnum;
    if (!(bytes = read_bytes(f->file, &len, &errnum))) {
        bt_load_error_at(&ctx, 1, 1, "cannot read: %s", g_strerror(errnum));
        return NULL;
    }
    Pack *pack = pack_new(f);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) bytes, len);
    if (yaml_parser_load(&parser, &doc)) {
        ctx.doc = &doc;
        bt_yaml_check_unique_keys(&doc, f->file, errors);
        if (bt_yaml_check_shape(&doc, f->file, errors))
            read_pack_root(&ctx, yaml_document_get_root_node(&doc), pack);
        if (cache) {
            g_autoptr(GByteArray) note = pack_note(pack);
            bt_doc_cache_add(cache, &doc, note->data, note->len);
        }
        yaml_document_delete(&doc);
    } else {
        report_syntax_error(&ctx, &parser);
    }
    yaml_parser_delete(&parser);
    return pack;
}

/* ---- pack order ------------------------------------------------------------ */

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

/* `slots` gets each rule's slot, in pack order (NULL for a repeat), so
 * that collect_rules need not look any id up again. */
static void
index_ids(GPtrArray *packs, GHashTable *ids, GPtrArray *slots, GPtrArray *errors)
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
                g_ptr_array_add(slots, slot);
                continue;
            }
            BtRule *same_dir = slot->first->dir_index == r->dir_index ? slot->first
                               : slot->winner->dir_index == r->dir_index ? slot->winner : NULL;
            if (same_dir) {
                bt_load_error_at(&ctx, r->line, r->col, "duplicate rule id '%s' (first defined at %s:%zu:%zu)",
                                 r->id, same_dir->file, same_dir->line, same_dir->col);
                g_ptr_array_add(slots, NULL);
                continue;
            }
            if (r->dir_index < slot->first->dir_index)
                slot->first = r;
            if (r->dir_index > slot->winner->dir_index)
                slot->winner = r;
            g_ptr_array_add(slots, slot);
        }
    }
}

/* Moves every winning rule, at the place of its id's first rule, from the
 * packs into `out`; the overridden rules are freed with their packs. */
static void
collect_rules(GPtrArray *packs, GPtrArray *slots, GPtrArray *out)
{
    guint k = 0;
    for (guint i = 0; i < packs->len; i++) {
        Pack *pack = packs->pdata[i];
        for (guint j = 0; j < pack->rules->len; j++) {
            IdSlot *slot = slots->pdata[k++];
            if (slot && slot->first == pack->rules->pdata[j])
                g_ptr_array_add(out, slot->winner);
        }
    }
    /* Detach the winners so freeing the packs leaves them alone. */
    k = 0;
    for (guint i = 0; i < packs->len; i++) {
        Pack *pack = packs->pdata[i];
        for (guint j = 0; j < pack->rules->len; j++) {
            IdSlot *slot = slots->pdata[k++];
            if (slot && slot->winner == pack->rules->pdata[j])
                pack->rules->pdata[j] = NULL;
        }
    }
}

/* Moves every rule, in pack order, from the packs into `out`. */
static void
take_rules(GPtrArray *packs, GPtrArray *out)
{
    for (guint i = 0; i < packs->len; i++) {
        Pack *pack = packs->pdata[i];
        for (guint j = 0; j < pack->rules->len; j++)
            g_ptr_array_add(out, g_steal_pointer(&pack->rules->pdata[j]));
    }
}

/* Every pack from its note in the cache, each with its BtRuleDoc added
 * to `docs`; FALSE (and no pack) when a note is damaged. */
static gboolean
read_cached_packs(GPtrArray *files, BtRuleEntry *entry, BtDocCache *cache, GPtrArray *packs, GPtrArray *docs)
{
    for (guint i = 0; i < files->len; i++) {
        const PackFile *f = files->pdata[i];
        BtRuleDoc *doc = rule_doc_new(entry, cache, i, f->file);
        g_ptr_array_add(docs, doc);
        gsize len;
        const guint8 *note = bt_doc_cache_note(cache, i, &len);
        Pack *pack = read_cached_pack(f, note, len, doc);
        if (!pack) {
            g_ptr_array_set_size(packs, 0);
            g_ptr_array_set_size(docs, 0);
            return FALSE;
        }
        g_ptr_array_add(packs, pack);
    }
    return TRUE;
}

/* Every pack, from the cache when it holds this very set of files (then
 * `*docs` are the documents its stubs point into); a clean set read from
 * the files is stored by the caller. */
static void
read_packs(const char *const *dirs, gboolean lookup, GPtrArray *packs, GPtrArray *errs, BtDocCache **cache,
           GPtrArray **docs, BtRuleEntry **entry)
{
    guint before = errs->len;
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify) pack_file_free);
    for (guint i = 0; dirs && dirs[i]; i++)
        list_dir(dirs[i], i, files, errs);
    if (dirs && errs->len == before) {
        g_autofree const char **paths = g_new0(const char *, files->len + 1);
        for (guint i = 0; i < files->len; i++)
            paths[i] = ((PackFile *) files->pdata[i])->file;
        *cache = bt_doc_cache_new("rules", dirs, paths, files->len);
    }
    if (lookup && *cache && bt_doc_cache_lookup(*cache)) {
        *docs = g_ptr_array_new_with_free_func((GDestroyNotify) rule_doc_free);
        *entry = g_new0(BtRuleEntry, 1);
        (*entry)->dirs = g_strdupv((char **) dirs);
        if (read_cached_packs(files, *entry, *cache, packs, *docs))
            return;
        g_clear_pointer(docs, g_ptr_array_unref);
        g_clear_pointer(entry, rule_entry_free);
    }
    for (guint i = 0; i < files->len; i++) {
        Pack *pack = parse_pack(files->pdata[i], *cache, errs);
        if (pack)
            g_ptr_array_add(packs, pack);
    }
}

BtRuleSet *
bt_ruleset_load(const char *const *dirs, GPtrArray *errors, GError **error)
{
    return load_set(dirs, errors, error, TRUE);
}

/* Loads the rule set; from the cache only when `lookup`. */
static BtRuleSet *
load_set(const char *const *dirs, GPtrArray *errors, GError **error, gboolean lookup)
{
    g_autoptr(GPtrArray) own_errors = errors ? NULL : g_ptr_array_new_with_free_func(g_free);
    GPtrArray *errs = errors ? errors : own_errors;
    guint before = errs->len;

    g_autoptr(GPtrArray) packs = g_ptr_array_new_with_free_func((GDestroyNotify) pack_free);
    g_autoptr(BtDocCache) cache = NULL;
    g_autoptr(GPtrArray) docs = NULL;
    BtRuleEntry *entry = NULL;
    read_packs(dirs, lookup, packs, errs, &cache, &docs, &entry);
    g_ptr_array_sort(packs, compare_packs);

    /* From one directory, no rule can override another, and a cached set
     * was stored without a problem, so without a repeated id: no index. */
    gboolean plain = docs && dirs && dirs[0] && !dirs[1];
    g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_autoptr(GPtrArray) slots = g_ptr_array_new();
    if (!plain)
        index_ids(packs, ids, slots, errs);
    if (errs->len > before) {
        g_set_error(error, BT_ERROR, BT_ERROR_CONFIG, "%u problem(s) in the rule files", errs->len - before);
        rule_entry_free(entry);
        return NULL;
    }
    if (cache && !docs)
        bt_doc_cache_store(cache);
    BtRuleSet *rs = g_new0(BtRuleSet, 1);
    rs->rules = g_ptr_array_new_with_free_func((GDestroyNotify) bt_rule_free);
    rs->from_cache = docs != NULL;
    if (plain)
        take_rules(packs, rs->rules);
    else
        collect_rules(packs, slots, rs->rules);
    if (docs) {
        rs->docs = g_steal_pointer(&docs);
        rs->cache = g_steal_pointer(&cache);
        rs->entry = entry;
    }
    return rs;
}

const BtRule *
bt_ruleset_rule(const BtRuleSet *rs, guint i)
{
    BtRule *r = rs->rules->pdata[i];
    bt_rule_complete(r);
    return r->when ? r : NULL;
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
    bt_rule_index_free(rs->index);
    g_ptr_array_unref(rs->rules);
    if (rs->docs)
        g_ptr_array_unref(rs->docs);
    bt_doc_cache_free(rs->cache);
    rule_entry_free(rs->entry);
    g_free(rs);
}
