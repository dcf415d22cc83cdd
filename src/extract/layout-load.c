/* layout-load — reads the free-text layouts (rules/layouts/ *.yaml, schema
 * in rules/layouts/README.md) with libyaml, validates them completely
 * (every problem as "file:line:col: message"), compiling every regex with
 * PCRE2, and merges the directories: a later directory's layout replaces
 * an earlier one with the same id, in place.  A clean load keeps the
 * parsed documents in the user's cache (core/doccache.h); a run whose
 * files are unchanged reads them from there, reads a layout beyond its id
 * and `match` only once a message matches it, and compiles a regex only
 * when a message first needs it.
 *
 * This file loads the set: the files of each directory in order, from the
 * cache or parsed, and their merge.  One file's YAML is read with
 * layout-yaml.c, its layouts with layout-keys.c (their regexes:
 * layout-regex.c; their `match`: layout-cond.c) and its `autoreply:` map
 * with layout-vocab.c. */
#include "extract/layout-private.h"
#include "core/doccache.h"
#include "core/yamlcheck.h"

#include <yaml.h>

#include <string.h>

#define DEFAULT_ORDER 500

void
bt_layouts_free(BtLayouts *lays)
{
    if (!lays)
        return;
    if (lays->layouts)
        g_ptr_array_unref(lays->layouts);
    bt_layout_index_free(lays->index);
    bt_layout_regex_free(lays->notice_from);
    bt_layout_regex_free(lays->notice_subject);
    bt_layout_regex_free(lays->notice_reply);
    bt_layout_regex_free(lays->notice_report);
    bt_doc_cache_free(lays->cache);
    pcre2_match_context_free(lays->mctx);
    bt_autoreply_vocab_free(lays->autoreply);
    g_free(lays);
}

const BtAutoreplyVocab *
bt_layouts_autoreply(const BtLayouts *lays)
{
    return lays->autoreply;
}

/* A file's layouts and its `order:`. */
typedef struct {
    char *path;
    char *name;              /* file name, ties in order */
    guint dir;               /* index of its directory */
    gint64 order;
    GPtrArray *layouts;      /* Layout* */
} LayoutFile;

static void
layout_file_free(LayoutFile *lf)
{
    g_free(lf->path);
    g_free(lf->name);
    g_ptr_array_unref(lf->layouts);
    g_free(lf);
}

static void
load_document(Loader *ld, LayoutFile *lf)
{
    yaml_node_t *root = yaml_document_get_root_node(ld->doc);
    if (!root)
        return;   /* an empty file holds no layouts */
    if (!bt_layout_expect_kind(ld, root, YAML_MAPPING_NODE, "a layout file"))
        return;
    FOR_PAIRS(root, pair) {
        yaml_node_t *k = bt_layout_node_at(ld, pair->key), *v = bt_layout_node_at(ld, pair->value);
        const char *key = bt_layout_scalar(k);
        if (g_strcmp0(key, "order") == 0) {
            const char *s = bt_layout_expect_scalar(ld, v, "order");
            char *end = NULL;
            gint64 n = s ? g_ascii_strtoll(s, &end, 10) : 0;
            if (s && (end == s || *end))
                bt_layout_fail(ld, v, "order must be an integer");
            lf->order = n;
        } else if (g_strcmp0(key, "layouts") == 0) {
            if (bt_layout_expect_kind(ld, v, YAML_SEQUENCE_NODE, "layouts"))
                FOR_ITEMS(v, item) {
                    Layout *lay = bt_layout_load_one(ld, bt_layout_node_at(ld, *item));
                    if (lay)
                        g_ptr_array_add(lf->layouts, lay);
                }
        } else if (g_strcmp0(key, "autoreply") == 0) {
            bt_layout_load_autoreply(ld, v);
        } else if (g_strcmp0(key, "description") != 0) {
            bt_layout_fail(ld, k, "unknown key '%s' in layout file", key ? key : "?");
        }
    }
}

/* Reads and parses one file into `lf`, adding its errors; `cache` gets
 * the parsed document. */
static void
load_file(LayoutFile *lf, BtLayouts *lays, BtDocCache *cache, GPtrArray *errors)
{
    g_autofree char *text = NULL;
    gsize len;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(lf->path, &text, &len, &err)) {
        g_ptr_array_add(errors, g_strdup_printf("%s:1:1: %s", lf->path, err->message));
        return;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        g_ptr_array_add(errors, g_strdup_printf("%s:%zu:%zu: %s", lf->path,
                                                parser.problem_mark.line + 1,
                                                parser.problem_mark.column + 1,
                                                parser.problem ? parser.problem : "YAML error"));
        yaml_parser_delete(&parser);
        return;
    }
    bt_yaml_check_unique_keys(&doc, lf->path, errors);
    if (bt_yaml_check_shape(&doc, lf->path, errors)) {
        Loader ld = { .path = lf->path, .doc = &doc, .errors = errors, .lays = lays };
        load_document(&ld, lf);
    }
    if (cache)
        bt_doc_cache_add(cache, &doc, NULL, 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
}

/* `lf` from the document the cache kept for it. */
static void
load_cached_file(LayoutFile *lf, yaml_document_t *doc, BtLayouts *lays, GPtrArray *errors)
{
    Loader ld = { .path = g_intern_string(lf->path), .doc = doc, .trusted = TRUE, .errors = errors, .lays = lays };
    load_document(&ld, lf);
}

static gint
file_cmp(gconstpointer a, gconstpointer b)
{
    const LayoutFile *x = *(LayoutFile *const *) a, *y = *(LayoutFile *const *) b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->name, y->name);
}

static gint
name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The *.yaml files of one directory, in name order (that of the cache's
 * key), not read yet. */
static void
list_dir(const char *dir, guint index, GPtrArray *files, GPtrArray *errors)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
    if (!d) {
        g_ptr_array_add(errors, g_strdup_printf("%s:1:1: %s", dir, err->message));
        return;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (g_str_has_suffix(name, ".yaml"))
            g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, name_cmp);
    for (guint i = 0; i < names->len; i++) {
        LayoutFile *lf = g_new0(LayoutFile, 1);
        lf->path = g_build_filename(dir, names->pdata[i], NULL);
        lf->name = g_strdup(names->pdata[i]);
        lf->dir = index;
        lf->order = DEFAULT_ORDER;
        lf->layouts = g_ptr_array_new_with_free_func((GDestroyNotify) bt_layout_free);
        g_ptr_array_add(files, lf);
    }
}

/* Loads every file, from the cache when it holds this very set of files
 * (then the layouts keep the entry and its documents); TRUE when it did.
 * `*cache` is the entry to store a clean load in. */
static gboolean
load_files(const char *const *dirs, GPtrArray *files, BtLayouts *lays, BtDocCache **cache, GPtrArray *errors)
{
    guint before = errors->len;
    for (guint i = 0; dirs[i]; i++)
        list_dir(dirs[i], i, files, errors);
    if (errors->len == before) {
        g_autofree const char **paths = g_new0(const char *, files->len + 1);
        for (guint i = 0; i < files->len; i++)
            paths[i] = ((LayoutFile *) files->pdata[i])->path;
        *cache = bt_doc_cache_new("layouts", dirs, paths, files->len);
    }
    /* every layout's `match` is read at load, so every document is decoded */
    gboolean cached = *cache && bt_doc_cache_lookup(*cache);
    for (guint i = 0; cached && i < files->len; i++)
        cached = bt_doc_cache_document(*cache, i) != NULL;
    for (guint i = 0; i < files->len; i++) {
        if (cached)
            load_cached_file(files->pdata[i], bt_doc_cache_document(*cache, i), lays, errors);
        else
            load_file(files->pdata[i], lays, *cache, errors);
    }
    if (!cached)
        return FALSE;
    lays->cache = g_steal_pointer(cache);
    return TRUE;
}

/* The files of directory `dir`, sorted by (order, name). */
static GPtrArray *
dir_files(GPtrArray *files, guint dir)
{
    GPtrArray *mine = g_ptr_array_new();
    for (guint i = 0; i < files->len; i++)
        if (((LayoutFile *) files->pdata[i])->dir == dir)
            g_ptr_array_add(mine, files->pdata[i]);
    g_ptr_array_sort(mine, file_cmp);
    return mine;
}

/* Adds one directory's layouts: a new id is appended, an id known from an
 * earlier directory is replaced in place, and an id seen twice in this
 * directory is an error. */
static void
merge_dir(GPtrArray *all, GHashTable *index, GPtrArray *files, GPtrArray *errors)
{
    g_autoptr(GHashTable) here = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < files->len; i++) {
        GPtrArray *lays = ((LayoutFile *) files->pdata[i])->layouts;
        while (lays->len) {
            Layout *lay = g_ptr_array_steal_index(lays, 0);
            Layout *twin = g_hash_table_lookup(here, lay->id);
            if (twin) {
                g_ptr_array_add(errors, g_strdup_printf("%s: duplicate id '%s' (first at %s)",
                                                        lay->where, lay->id, twin->where));
                bt_layout_free(lay);
                continue;
            }
            gpointer pos;
            if (g_hash_table_lookup_extended(index, lay->id, NULL, &pos)) {
                /* the index's key is the old layout's id: re-key it to the
                 * new layout before the old one (and its id) is freed */
                guint at = GPOINTER_TO_UINT(pos);
                Layout *old = all->pdata[at];
                all->pdata[at] = lay;
                g_hash_table_replace(index, lay->id, pos);
                bt_layout_free(old);
            } else {
                g_ptr_array_add(all, lay);
                g_hash_table_insert(index, lay->id, GUINT_TO_POINTER(all->len - 1));
            }
            g_hash_table_insert(here, lay->id, lay);
        }
    }
}

/* One directory from the cache: no layout replaces another, and a cached
 * set was stored without a problem, so without a repeated id: the
 * layouts are taken in order, with no id index. */
static void
take_layouts(GPtrArray *all, GPtrArray *files)
{
    for (guint i = 0; i < files->len; i++) {
        GPtrArray *lays = ((LayoutFile *) files->pdata[i])->layouts;
        for (guint j = 0; j < lays->len; j++)
            g_ptr_array_add(all, g_steal_pointer(&lays->pdata[j]));
        g_ptr_array_set_size(lays, 0);
    }
}

BtLayouts *
bt_layouts_load(const char *const *dirs, GPtrArray *errors, GError **error)
{
    static const char *const no_dirs[] = { NULL };
    dirs = dirs ? dirs : no_dirs;
    g_autoptr(BtLayouts) lays = g_new0(BtLayouts, 1);
    bt_layout_add_notice_regexes(lays);
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify) bt_layout_free);
    g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify) layout_file_free);
    g_autoptr(BtDocCache) cache = NULL;
    guint errors_before = errors->len;
    gboolean from_cache = load_files(dirs, files, lays, &cache, errors);
    for (guint i = 0; dirs[i]; i++) {
        g_autoptr(GPtrArray) mine = dir_files(files, i);
        if (from_cache && !dirs[1])
            take_layouts(all, mine);
        else
            merge_dir(all, index, mine, errors);
    }
    if (errors->len != errors_before) {
        g_set_error(error, BT_ERROR, BT_ERROR_CONFIG, "%u error(s) in layout files",
                    errors->len - errors_before);
        return NULL;
    }
    if (!from_cache && cache)
        bt_doc_cache_store(cache);
    lays->layouts = g_steal_pointer(&all);
    lays->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(lays->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(lays->mctx, DEPTH_LIMIT);
    return g_steal_pointer(&lays);
}
