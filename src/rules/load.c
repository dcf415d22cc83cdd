/* load — reads every pack (*.yaml) of every rule directory with libyaml,
 * collects every problem as "file:line:col: message", orders the packs
 * (`order`, then file name) and applies overrides: a rule whose id was
 * loaded from an earlier directory takes that rule's place.
 *
 * Parsing YAML and compiling a few hundred patterns costs more than a
 * filter run on one message can afford, so a rule set that loaded without
 * a problem is remembered in the user's cache directory: the YAML
 * documents as parsed, under a key hashed from the bytes of every pack, the
 * directories, this program's binary and the library versions.  A later
 * run with the same key rebuilds the documents from the cache and reads
 * them with the same code, compiling each pattern only when first used;
 * any other run parses the files.  A changed file changes the key, and a
 * broken set is never cached, so its problems are reported on every run. */
#include "rules/rules-private.h"

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

/* ---- pack files ------------------------------------------------------------ */

/* A *.yaml file of a rule directory, read whole, or the problem reading it. */
typedef struct {
    char *file;
    char *basename;
    guint dir_index;
    char *bytes;            /* NULL: `error` says why */
    gsize len;
    char *error;
} PackFile;

static void
pack_file_free(PackFile *f)
{
    g_free(f->file);
    g_free(f->basename);
    g_free(f->bytes);
    g_free(f->error);
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
        int errnum;
        f->bytes = read_bytes(f->file, &f->len, &errnum);
        if (!f->bytes)
            f->error = g_strdup_printf("cannot read: %s", g_strerror(errnum));
        g_ptr_array_add(files, f);
    }
}

/* ---- documents in the cache ------------------------------------------------ */

/* A parsed document in native byte order (the cache never leaves the
 * machine), laid out so that it is read in place: the node count, then for
 * each node its type, style and marks followed by its scalar text
 * (NUL-terminated), its sequence items or its mapping pairs, as libyaml
 * holds them, every part aligned to 4 bytes.  Reading builds only the node
 * table, pointing into the file's bytes; it checks every length and node
 * id, so a damaged cache is refused, never trusted. */

static void
put_u32(GByteArray *out, guint32 v)
{
    g_byte_array_append(out, (const guint8 *) &v, sizeof v);
}

static void
put_mark(GByteArray *out, const yaml_mark_t *m)
{
    put_u32(out, (guint32) m->index);
    put_u32(out, (guint32) m->line);
    put_u32(out, (guint32) m->column);
}

static void
put_padded(GByteArray *out, const void *bytes, gsize len)
{
    static const guint8 zeros[4];
    g_byte_array_append(out, bytes, len);
    g_byte_array_append(out, zeros, 4 - len % 4);     /* at least one NUL */
}

static void
put_document(GByteArray *out, yaml_document_t *doc)
{
    put_u32(out, (guint32) (doc->nodes.top - doc->nodes.start));
    for (yaml_node_t *node = doc->nodes.start; node < doc->nodes.top; node++) {
        put_u32(out, node->type);
        put_mark(out, &node->start_mark);
        put_mark(out, &node->end_mark);
        if (node->type == YAML_SCALAR_NODE) {
            put_u32(out, node->data.scalar.style);
            put_u32(out, (guint32) node->data.scalar.length);
            put_padded(out, node->data.scalar.value, node->data.scalar.length);
        } else if (node->type == YAML_SEQUENCE_NODE) {
            put_u32(out, node->data.sequence.style);
            put_u32(out, (guint32) (node->data.sequence.items.top - node->data.sequence.items.start));
            for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++)
                put_u32(out, (guint32) *it);
        } else {
            put_u32(out, node->data.mapping.style);
            put_u32(out, (guint32) (node->data.mapping.pairs.top - node->data.mapping.pairs.start));
            for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
                put_u32(out, (guint32) p->key);
                put_u32(out, (guint32) p->value);
            }
        }
    }
}

typedef struct {
    const guint8 *p, *end;
    gboolean ok;
} Reader;

static guint32
get_u32(Reader *r)
{
    guint32 v = 0;
    if (r->ok && (gsize) (r->end - r->p) >= sizeof v) {
        memcpy(&v, r->p, sizeof v);
        r->p += sizeof v;
    } else {
        r->ok = FALSE;
    }
    return v;
}

static void
get_mark(Reader *r, yaml_mark_t *m)
{
    m->index = get_u32(r);
    m->line = get_u32(r);
    m->column = get_u32(r);
}

/* `count` ints of node ids, each within 1..n, in place. */
static const int *
get_ids(Reader *r, gsize count, guint32 n)
{
    const int *ids = (const int *) r->p;
    if (!r->ok || (gsize) (r->end - r->p) / sizeof(int) < count) {
        r->ok = FALSE;
        return NULL;
    }
    for (gsize i = 0; i < count; i++)
        if (ids[i] < 1 || (guint32) ids[i] > n)
            r->ok = FALSE;
    r->p += count * sizeof(int);
    return ids;
}

static void
get_node(Reader *r, yaml_node_t *node, guint32 n)
{
    node->type = get_u32(r);
    get_mark(r, &node->start_mark);
    get_mark(r, &node->end_mark);
    guint32 style = get_u32(r), len = get_u32(r);
    if (!r->ok)
        return;
    if (node->type == YAML_SCALAR_NODE && style <= YAML_FOLDED_SCALAR_STYLE) {
        gsize padded = len + 4 - len % 4;
        if ((gsize) (r->end - r->p) < padded || r->p[len] != '\0') {
            r->ok = FALSE;
            return;
        }
        node->data.scalar.style = style;
        node->data.scalar.length = len;
        node->data.scalar.value = (yaml_char_t *) r->p;
        r->p += padded;
    } else if (node->type == YAML_SEQUENCE_NODE && style <= YAML_FLOW_SEQUENCE_STYLE) {
        node->data.sequence.style = style;
        node->data.sequence.items.start = (yaml_node_item_t *) get_ids(r, len, n);
        node->data.sequence.items.top = node->data.sequence.items.end = node->data.sequence.items.start + len;
    } else if (node->type == YAML_MAPPING_NODE && style <= YAML_FLOW_MAPPING_STYLE) {
        node->data.mapping.style = style;
        node->data.mapping.pairs.start = (yaml_node_pair_t *) get_ids(r, (gsize) len * 2, n);
        node->data.mapping.pairs.top = node->data.mapping.pairs.end = node->data.mapping.pairs.start + len;
    } else {
        r->ok = FALSE;
    }
}

/* A document whose nodes point into the cache's bytes: only its node
 * table is its own (free_cached_document). */
static yaml_document_t *
get_document(Reader *r)
{
    guint32 n = get_u32(r);
    if (!r->ok || n > (gsize) (r->end - r->p) / 32)    /* a node takes at least 32 bytes */
        return NULL;
    yaml_document_t *doc = g_new0(yaml_document_t, 1);
    doc->nodes.start = g_new0(yaml_node_t, MAX(n, 1));
    doc->nodes.top = doc->nodes.end = doc->nodes.start + n;
    for (guint32 i = 0; i < n && r->ok; i++)
        get_node(r, &doc->nodes.start[i], n);
    if (!r->ok) {
        g_free(doc->nodes.start);
        g_free(doc);
        return NULL;
    }
    return doc;
}

static void
free_cached_document(yaml_document_t *doc)
{
    g_free(doc->nodes.start);
    g_free(doc);
}

/* The n documents of a cache's body, or NULL if it is not exactly that. */
static GPtrArray *
get_documents(const char *data, gsize len, guint n)
{
    Reader r = { (const guint8 *) data, (const guint8 *) data + len, TRUE };
    g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func((GDestroyNotify) free_cached_document);
    for (guint i = 0; i < n; i++) {
        yaml_document_t *doc = get_document(&r);
        if (!doc)
            return NULL;
        g_ptr_array_add(docs, doc);
    }
    return r.p == r.end ? g_steal_pointer(&docs) : NULL;
}

/* ---- reading a pack --------------------------------------------------------- */

/* Reads the pack from `doc` when the cache gave one, else parses its bytes;
 * `cache_out`, when not NULL, gets the parsed document for the cache. */
static Pack *
read_pack(const PackFile *f, yaml_document_t *cached, GByteArray *cache_out, GPtrArray *errors)
{
    BtLoadCtx ctx = { .errors = errors, .file = f->file, .trusted = cached != NULL };
    if (!f->bytes) {
        bt_load_error_at(&ctx, 1, 1, "%s", f->error);
        return NULL;
    }
    Pack *pack = g_new0(Pack, 1);
    pack->file = g_strdup(f->file);
    pack->basename = g_strdup(f->basename);
    pack->dir_index = f->dir_index;
    pack->order = DEFAULT_ORDER;
    pack->rules = g_ptr_array_new_with_free_func((GDestroyNotify) bt_rule_free);
    if (cached) {
        ctx.doc = cached;
        read_pack_root(&ctx, yaml_document_get_root_node(cached), pack);
        return pack;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) f->bytes, f->len);
    if (yaml_parser_load(&parser, &doc)) {
        ctx.doc = &doc;
        read_pack_root(&ctx, yaml_document_get_root_node(&doc), pack);
        if (cache_out)
            put_document(cache_out, &doc);
        yaml_document_delete(&doc);
    } else {
        report_syntax_error(&ctx, &parser);
    }
    yaml_parser_delete(&parser);
    return pack;
}

/* ---- the cache -------------------------------------------------------------- */

/* What the cached documents depend on besides the packs: this binary (a
 * rebuilt program may validate differently) and the libraries that parse
 * and compile.  NULL when the binary cannot be identified: no cache then. */
static char *
program_identity(void)
{
    struct stat st;
    if (stat("/proc/self/exe", &st) != 0)
        return NULL;
    char pcre2_version[64] = "";
    pcre2_config(PCRE2_CONFIG_VERSION, pcre2_version);
    return g_strdup_printf("exe %ju %ju %jd %ld.%09ld pcre2 %s yaml %s glib %u.%u.%u",
                           (uintmax_t) st.st_dev, (uintmax_t) st.st_ino, (intmax_t) st.st_size,
                           (long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec, pcre2_version, yaml_get_version_string(),
                           glib_major_version, glib_minor_version, glib_micro_version);
}

/* The key: a digest of everything the loaded rule set is made from.  SHA-1
 * is no security boundary here (the cache is the user's own); it notices
 * any change to a byte, a name or a directory. */
static char *
cache_key(const char *const *dirs, GPtrArray *files)
{
    g_autofree char *identity = program_identity();
    if (!identity)
        return NULL;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(sum, (const guchar *) identity, strlen(identity) + 1);
    for (guint i = 0; dirs[i]; i++)
        g_checksum_update(sum, (const guchar *) dirs[i], strlen(dirs[i]) + 1);
    for (guint i = 0; i < files->len; i++) {
        const PackFile *f = files->pdata[i];
        g_autofree char *head = g_strdup_printf("%u %s %zu", f->dir_index, f->file, f->len);
        g_checksum_update(sum, (const guchar *) head, strlen(head) + 1);
        g_checksum_update(sum, (const guchar *) f->bytes, f->len);
    }
    return g_strdup(g_checksum_get_string(sum));
}

/* One file per list of directories, so editing a pack replaces its entry. */
static char *
cache_path(const char *const *dirs)
{
    const char *xdg = g_getenv("XDG_CACHE_HOME");
    const char *base = xdg && g_path_is_absolute(xdg) ? xdg : g_get_user_cache_dir();
    g_autoptr(GString) joined = g_string_new(NULL);
    for (guint i = 0; dirs[i]; i++)
        g_string_append_printf(joined, "%s\n", dirs[i]);
    g_autofree char *name = g_compute_checksum_for_string(G_CHECKSUM_SHA1, joined->str, joined->len);
    g_autofree char *file = g_strdup_printf("rules-%.16s.cache", name);
    return g_build_filename(base, "bouncetriage", file, NULL);
}

#define CACHE_MAGIC "bouncetriage rules cache 2\n"

/* The header: the magic line and the key line, padded with NULs to 4 bytes. */
static gsize
cache_header_size(const char *key)
{
    gsize n = strlen(CACHE_MAGIC) + strlen(key) + 1;
    return n + 4 - n % 4;
}

/* The cached documents, pointing into `*data`, which the caller frees
 * after them; NULL when there is no cache for `key` or it is damaged. */
static GPtrArray *
cache_read(const char *path, const char *key, guint n_files, char **data)
{
    gsize len;
    if (!g_file_get_contents(path, data, &len, NULL))
        return NULL;
    gsize magic = strlen(CACHE_MAGIC), head = cache_header_size(key);
    if (len < head || memcmp(*data, CACHE_MAGIC, magic) != 0 || memcmp(*data + magic, key, strlen(key)) != 0
        || (*data)[magic + strlen(key)] != '\n')
        return NULL;
    return get_documents(*data + head, len - head, n_files);
}

/* Written whole to a temporary file and renamed, so a reader never sees
 * half of it; a cache that cannot be written is simply not kept. */
static void
cache_write(const char *path, const char *key, GByteArray *docs)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) != 0)
        return;
    g_autoptr(GByteArray) data = g_byte_array_new();
    g_byte_array_append(data, (const guint8 *) CACHE_MAGIC, strlen(CACHE_MAGIC));
    g_byte_array_append(data, (const guint8 *) key, strlen(key));
    g_byte_array_append(data, (const guint8 *) "\n", 1);
    static const guint8 zeros[4];
    g_byte_array_append(data, zeros, cache_header_size(key) - data->len);   /* NUL padding */
    g_byte_array_append(data, docs->data, docs->len);
    g_file_set_contents(path, (const char *) data->data, data->len, NULL);
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

/* The cache entry this load may read or write. */
typedef struct {
    char *key;
    char *path;
    GByteArray *out;        /* documents parsed now, to be cached if the set loads cleanly */
} CacheUse;

static void
cache_use_clear(CacheUse *c)
{
    g_free(c->key);
    g_free(c->path);
    if (c->out)
        g_byte_array_unref(c->out);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CacheUse, cache_use_clear)

/* Every pack, from the cache when it holds this very set of files. */
static gboolean
read_packs(const char *const *dirs, GPtrArray *packs, GPtrArray *errs, CacheUse *cache)
{
    guint before = errs->len;
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify) pack_file_free);
    for (guint i = 0; dirs && dirs[i]; i++)
        list_dir(dirs[i], i, files, errs);
    gboolean readable = dirs && errs->len == before;
    for (guint i = 0; i < files->len && readable; i++)
        readable = ((PackFile *) files->pdata[i])->bytes != NULL;
    cache->key = readable ? cache_key(dirs, files) : NULL;
    cache->path = cache->key ? cache_path(dirs) : NULL;
    g_autofree char *cached_bytes = NULL;      /* freed after the documents pointing into it */
    g_autoptr(GPtrArray) docs = cache->path ? cache_read(cache->path, cache->key, files->len, &cached_bytes) : NULL;
    cache->out = cache->path && !docs ? g_byte_array_new() : NULL;
    for (guint i = 0; i < files->len; i++) {
        Pack *pack = read_pack(files->pdata[i], docs ? docs->pdata[i] : NULL, cache->out, errs);
        if (pack)
            g_ptr_array_add(packs, pack);
    }
    return docs != NULL;
}

BtRuleSet *
bt_ruleset_load(const char *const *dirs, GPtrArray *errors, GError **error)
{
    g_autoptr(GPtrArray) own_errors = errors ? NULL : g_ptr_array_new_with_free_func(g_free);
    GPtrArray *errs = errors ? errors : own_errors;
    guint before = errs->len;

    g_autoptr(GPtrArray) packs = g_ptr_array_new_with_free_func((GDestroyNotify) pack_free);
    g_auto(CacheUse) cache = { 0 };
    gboolean from_cache = read_packs(dirs, packs, errs, &cache);
    g_ptr_array_sort(packs, compare_packs);

    g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    index_ids(packs, ids, errs);
    if (errs->len > before) {
        g_set_error(error, BT_ERROR, BT_ERROR_CONFIG, "%u problem(s) in the rule files", errs->len - before);
        return NULL;
    }
    if (cache.out)
        cache_write(cache.path, cache.key, cache.out);
    BtRuleSet *rs = g_new0(BtRuleSet, 1);
    rs->rules = g_ptr_array_new_with_free_func((GDestroyNotify) bt_rule_free);
    rs->from_cache = from_cache;
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
