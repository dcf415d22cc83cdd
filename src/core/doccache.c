/* doccache — see doccache.h. */
#include "core/doccache.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct _BtDocCache {
    guint n_files;
    char *path;             /* the entry's file */
    GString *key;           /* what the stored documents were made from */
    gboolean uncertain;     /* a file may change unseen: store nothing */
    GMappedFile *map;       /* the entry as read; the documents point into it */
    const char *body;       /* in map, after the check value: the index (table, notes), documents */
    const guint32 *table;   /* per file: document offset, length; note offset, length; document's sum */
    yaml_document_t **docs; /* decoded so far (atomic pointers) */
    GByteArray *out;        /* documents added to be stored */
    GByteArray *out_notes;
    GArray *out_table;      /* guint32, as `table` but with offsets into out and out_notes */
};

/* ---- documents ------------------------------------------------------------ */

/* A parsed document in native byte order (the cache never leaves the
 * machine), laid out so that it is read in place: the node count, then for
 * each node its type and style, the line and column where it starts, and
 * its length, followed by its scalar text (NUL-terminated), its sequence
 * items or its mapping pairs, as libyaml holds them, every part aligned to
 * 4 bytes.  Only the start's line and column are kept (end = start, no
 * byte index): they are all a valid document's loaders cite, and the node
 * headers are most of an entry's bytes.  Reading builds only the node
 * table, pointing into the file's bytes; it checks every length and node
 * id, so a damaged document is refused, never trusted. */

static void
put_u32(GByteArray *out, guint32 v)
{
    g_byte_array_append(out, (const guint8 *) &v, sizeof v);
}

/* A node's header: its kind (type, and style << 8), where it starts, and
 * its length (bytes of a scalar, items of a sequence, pairs of a mapping). */
static void
put_head(GByteArray *out, const yaml_node_t *node, guint32 style, gsize len)
{
    put_u32(out, node->type | style << 8);
    put_u32(out, (guint32) node->start_mark.line);
    put_u32(out, (guint32) node->start_mark.column);
    put_u32(out, (guint32) len);
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
        if (node->type == YAML_SCALAR_NODE) {
            put_head(out, node, node->data.scalar.style, node->data.scalar.length);
            put_padded(out, node->data.scalar.value, node->data.scalar.length);
        } else if (node->type == YAML_SEQUENCE_NODE) {
            put_head(out, node, node->data.sequence.style,
                     node->data.sequence.items.top - node->data.sequence.items.start);
            for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++)
                put_u32(out, (guint32) *it);
        } else {
            put_head(out, node, node->data.mapping.style,
                     node->data.mapping.pairs.top - node->data.mapping.pairs.start);
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

/* `count` ints of node ids, each within 1..n, in place. */
static const int *
get_ids(Reader *r, gsize count, guint32 n)
{
    const int *ids = (const int *) r->p;
    if (!r->ok || (gsize) (r->end - r->p) / sizeof(int) < count) {
        r->ok = FALSE;
        return NULL;
    }
    gboolean in_range = TRUE;
    for (gsize i = 0; i < count; i++)
        in_range &= (guint32) ids[i] - 1 < n;       /* 1..n: 0 and negatives wrap */
    r->ok = in_range;
    r->p += count * sizeof(int);
    return ids;
}

/* A node's header (put_head): kind, line, column, length, read with one
 * bounds check, since a cache load reads thousands of them. */
static void
get_node(Reader *r, yaml_node_t *node, guint32 n)
{
    guint32 head[4];
    if (!r->ok || (gsize) (r->end - r->p) < sizeof head) {
        r->ok = FALSE;
        return;
    }
    memcpy(head, r->p, sizeof head);
    r->p += sizeof head;
    node->type = head[0] & 0xff;
    node->tag = NULL;
    node->start_mark.index = 0;
    node->start_mark.line = head[1];
    node->start_mark.column = head[2];
    node->end_mark = node->start_mark;
    guint32 style = head[0] >> 8, len = head[3];
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
    if (!r->ok || n > (gsize) (r->end - r->p) / 16)    /* a node takes at least 16 bytes */
        return NULL;
    yaml_document_t *doc = g_new0(yaml_document_t, 1);
    doc->nodes.start = g_new(yaml_node_t, MAX(n, 1));     /* get_node sets what is read */
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

/* ---- the key ----------------------------------------------------------------- */

/* A file system whose times have no nanoseconds (FAT, some network file
 * systems) cannot tell two writes within its granularity apart: a file
 * written in the same second as the entry might change unseen, so such a
 * recent file is not cached (the "racy" case git knows too). */
static gboolean
times_are_coarse_and_recent(const struct stat *st)
{
    if (st->st_mtim.tv_nsec != 0 || st->st_ctim.tv_nsec != 0)
        return FALSE;
    return time(NULL) - st->st_ctim.tv_sec < 3;
}

/* ` ` and the number in hex: printf would cost more than the stat(). */
static void
append_hex(GString *key, guint64 v)
{
    char buf[17];
    int i = sizeof buf;
    do {
        buf[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    g_string_append_c(key, ' ');
    g_string_append_len(key, buf + i, sizeof buf - i);
}

/* One line of the key: what identifies the contents of `path` (device,
 * inode, size, modification and change times).  FALSE when it cannot be
 * stat'ed. */
static gboolean
add_stat(BtDocCache *c, char tag, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return FALSE;
    c->uncertain |= times_are_coarse_and_recent(&st);
    g_string_append_c(c->key, tag);
    g_string_append_c(c->key, ' ');
    g_string_append(c->key, path);
    g_string_append_c(c->key, '\t');
    const guint64 ids[] = { st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                            st.st_ctim.tv_sec, st.st_ctim.tv_nsec };
    for (gsize i = 0; i < G_N_ELEMENTS(ids); i++)
        append_hex(c->key, ids[i]);
    g_string_append_c(c->key, '\n');
    return TRUE;
}

/* What the documents depend on besides the files: this binary (a rebuilt
 * program may validate differently) and the libraries that parse and
 * compile (serialised structures must match their versions). */
static gboolean
add_program_identity(BtDocCache *c)
{
    char pcre2_version[64] = "";
    pcre2_config(PCRE2_CONFIG_VERSION, pcre2_version);
    g_string_append_printf(c->key, "pcre2 %s yaml %s glib %u.%u.%u\n", pcre2_version, yaml_get_version_string(),
                           glib_major_version, glib_minor_version, glib_micro_version);
    return add_stat(c, 'x', "/proc/self/exe");
}

/* One file per program, kind and list of directories, so that editing a
 * file replaces its entry rather than adding one, and two programs reading
 * the same directories (the tests and the installed one) do not keep
 * replacing each other's. */
static char *
entry_path(const char *kind, const char *const *dirs)
{
    const char *xdg = g_getenv("XDG_CACHE_HOME");
    const char *base = xdg && g_path_is_absolute(xdg) ? xdg : g_get_user_cache_dir();
    g_autoptr(GString) joined = g_string_new(NULL);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_string_append_printf(joined, "%s\n", exe ? exe : "");
    for (guint i = 0; dirs && dirs[i]; i++)
        g_string_append_printf(joined, "%s\n", dirs[i]);
    g_autofree char *name = g_compute_checksum_for_string(G_CHECKSUM_SHA1, joined->str, joined->len);
    g_autofree char *file = g_strdup_printf("%s-%.16s.cache", kind, name);
    return g_build_filename(base, "bouncetriage", file, NULL);
}

BtDocCache *
bt_doc_cache_new(const char *kind, const char *const *dirs, const char *const *files, guint n_files)
{
    g_autoptr(BtDocCache) c = g_new0(BtDocCache, 1);
    c->n_files = n_files;
    c->key = g_string_new(kind);
    g_string_append_c(c->key, '\n');
    if (!add_program_identity(c))
        return NULL;
    for (guint i = 0; dirs && dirs[i]; i++)
        if (!add_stat(c, 'd', dirs[i]))   /* adding or removing a file changes its directory */
            return NULL;
    for (guint i = 0; i < n_files; i++)
        if (!add_stat(c, 'f', files[i]))
            return NULL;
    c->path = entry_path(kind, dirs);
    return g_steal_pointer(&c);
}

/* ---- the entry -------------------------------------------------------------- */

#define MAGIC "bouncetriage document cache 5\n"

/* The header: the magic line, the key's length and the key, padded with
 * NULs to 4 bytes; then the index's check value (8 bytes) and the body.
 * The body starts with the index: the number of documents, the index's
 * length, a table giving for each document the offset and length (from
 * the body's start) of its document and of its note and the document's
 * own check value, then the notes; the documents follow, each aligned to
 * 4 bytes.  The table lets a run decode only the documents it uses, and
 * the notes (a few bytes the caller keeps per file, such as its rules'
 * ids) let it start without any.  The index is checked whole at lookup,
 * a document when it is decoded: no byte of the entry is used unchecked,
 * and a run reads only what it uses. */
#define TABLE_COLUMNS 6         /* doc offset, length; note offset, length; doc sum (2) */
#define INDEX_HEAD (2 * sizeof(guint32))

static gsize
header_size(const BtDocCache *c)
{
    gsize n = strlen(MAGIC) + sizeof(guint32) + c->key->len;
    return n + 4 - n % 4;
}

/* A check value.  The structure is checked as it is read, but a changed
 * byte inside a scalar (a pattern, a reason) would pass that, so the bytes
 * are summed too: 64-bit words folded in FNV-1a fashion into four lanes
 * (so that the multiplications overlap), where any one changed word
 * always changes the sum, at about a cycle per 8 bytes. */
#define SUM_PRIME 0x100000001b3ull

static guint64
body_sum(const guint8 *p, gsize len)
{
    guint64 a = 0xcbf29ce484222325ull, b = 1, c = 2, d = 3, w[4];
    for (; len >= sizeof w; p += sizeof w, len -= sizeof w) {
        memcpy(w, p, sizeof w);
        a = (a ^ w[0]) * SUM_PRIME;
        b = (b ^ w[1]) * SUM_PRIME;
        c = (c ^ w[2]) * SUM_PRIME;
        d = (d ^ w[3]) * SUM_PRIME;
    }
    guint64 sum = (((a ^ b) * SUM_PRIME ^ c) * SUM_PRIME ^ d) * SUM_PRIME;
    for (; len; p++, len--)
        sum = (sum ^ *p) * SUM_PRIME;
    return sum;
}

/* An entry decides verdicts as much as the rule files it was made from,
 * so, as for those (rules/dirs.c), one that someone else could have
 * written is not used: the entry and its directory must belong to this
 * user (or root) and be writable by no group or other. */
static gboolean
is_private(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && (st.st_uid == getuid() || st.st_uid == 0)
           && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static gboolean
entry_is_private(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    return is_private(dir) && is_private(path);
}

/* Every note lies in the index and every document after it, aligned for
 * reading in place. */
static gboolean
table_is_sound(const guint32 *table, guint n, gsize index_len, gsize body_len)
{
    gsize first = INDEX_HEAD + sizeof(guint32) * (gsize) n * TABLE_COLUMNS;
    for (guint i = 0; i < n; i++) {
        const guint32 *row = table + (gsize) i * TABLE_COLUMNS;
        gsize doc = row[0], doc_len = row[1], note = row[2], note_len = row[3];
        if (doc % 4 || doc < index_len || doc > body_len || doc_len > body_len - doc)
            return FALSE;
        if (note % 4 || note < first || note > index_len || note_len > index_len - note)
            return FALSE;
    }
    return TRUE;
}

/* The entry is mapped, not read: nothing is copied, only the index is
 * checked here, and a document is checked and decoded when asked for.
 * The writer replaces an entry by renaming a new file over it, never by
 * rewriting it in place, so the mapping stays valid. */
gboolean
bt_doc_cache_lookup(BtDocCache *c)
{
    gsize head = header_size(c), magic = strlen(MAGIC);
    g_clear_pointer(&c->map, g_mapped_file_unref);
    if (!entry_is_private(c->path))
        return FALSE;
    c->map = g_mapped_file_new(c->path, FALSE, NULL);
    if (!c->map)
        return FALSE;
    const char *bytes = g_mapped_file_get_contents(c->map);
    gsize len = g_mapped_file_get_length(c->map);
    guint32 key_len;
    if (!bytes || len < head || memcmp(bytes, MAGIC, magic) != 0)
        return FALSE;
    memcpy(&key_len, bytes + magic, sizeof key_len);
    if (key_len != c->key->len || memcmp(bytes + magic + sizeof key_len, c->key->str, c->key->len) != 0)
        return FALSE;
    guint64 sum;
    guint32 n, index_len;
    if (len < head + sizeof sum + INDEX_HEAD)
        return FALSE;
    memcpy(&sum, bytes + head, sizeof sum);
    const char *body = bytes + head + sizeof sum;   /* 4-aligned: head is, and the sum is 8 bytes */
    gsize body_len = len - head - sizeof sum;
    memcpy(&n, body, sizeof n);
    memcpy(&index_len, body + sizeof n, sizeof index_len);
    if (n != c->n_files || index_len < INDEX_HEAD || index_len > body_len
        || (index_len - INDEX_HEAD) / (sizeof(guint32) * TABLE_COLUMNS) < n
        || sum != body_sum((const guint8 *) body, index_len))
        return FALSE;
    const guint32 *table = (const guint32 *) (body + INDEX_HEAD);
    if (!table_is_sound(table, n, index_len, body_len))
        return FALSE;
    c->body = body;
    c->table = table;
    c->docs = g_new0(yaml_document_t *, MAX(n, 1));
    return TRUE;
}

/* Document i, checked and decoded, or NULL. */
static yaml_document_t *
decode_document(BtDocCache *c, guint i)
{
    const guint32 *row = c->table + (gsize) i * TABLE_COLUMNS;
    const guint8 *p = (const guint8 *) c->body + row[0];
    guint64 sum;
    memcpy(&sum, row + 4, sizeof sum);
    if (sum != body_sum(p, row[1]))
        return NULL;
    Reader r = { p, p + row[1], TRUE };
    yaml_document_t *doc = get_document(&r);
    if (doc && r.p != r.end)
        g_clear_pointer(&doc, free_cached_document);
    return doc;
}

/* Threads may race to decode the same document: the first to finish
 * publishes it, the others drop their copy (no lock, no futex call). */
yaml_document_t *
bt_doc_cache_document(BtDocCache *c, guint i)
{
    g_return_val_if_fail(c->table && i < c->n_files, NULL);
    yaml_document_t *doc = g_atomic_pointer_get(&c->docs[i]);
    if (doc)
        return doc;
    doc = decode_document(c, i);
    if (doc && !g_atomic_pointer_compare_and_exchange(&c->docs[i], NULL, doc)) {
        free_cached_document(doc);
        doc = g_atomic_pointer_get(&c->docs[i]);
    }
    return doc;
}

const void *
bt_doc_cache_note(BtDocCache *c, guint i, gsize *len)
{
    g_return_val_if_fail(c->table && i < c->n_files, NULL);
    *len = c->table[i * TABLE_COLUMNS + 3];
    return c->body + c->table[i * TABLE_COLUMNS + 2];
}

void
bt_doc_cache_add(BtDocCache *c, yaml_document_t *doc, const void *note, gsize note_len)
{
    if (!c->out) {
        c->out = g_byte_array_new();
        c->out_notes = g_byte_array_new();
        c->out_table = g_array_new(FALSE, FALSE, sizeof(guint32));
    }
    guint32 row[TABLE_COLUMNS] = { c->out->len, 0, c->out_notes->len, (guint32) note_len, 0, 0 };
    put_document(c->out, doc);
    row[1] = c->out->len - row[0];
    guint64 sum = body_sum(c->out->data + row[0], row[1]);
    memcpy(row + 4, &sum, sizeof sum);
    if (note_len)
        g_byte_array_append(c->out_notes, note, note_len);
    static const guint8 zeros[4];
    g_byte_array_append(c->out_notes, zeros, (4 - note_len % 4) % 4);
    g_array_append_vals(c->out_table, row, TABLE_COLUMNS);
}

/* The body: the index (count, its length, table with offsets made
 * relative to the body, notes), then the documents. */
static GByteArray *
body_bytes(BtDocCache *c)
{
    GByteArray *body = g_byte_array_new();
    guint n = c->out_table->len / TABLE_COLUMNS;
    guint32 notes_at = INDEX_HEAD + sizeof(guint32) * n * TABLE_COLUMNS, docs_at = notes_at + c->out_notes->len;
    put_u32(body, n);
    put_u32(body, docs_at);       /* the index's length */
    for (guint i = 0; i < n; i++) {
        const guint32 *row = &g_array_index(c->out_table, guint32, i * TABLE_COLUMNS);
        const guint32 moved[TABLE_COLUMNS] = { docs_at + row[0], row[1], notes_at + row[2], row[3], row[4], row[5] };
        g_byte_array_append(body, (const guint8 *) moved, sizeof moved);
    }
    g_byte_array_append(body, c->out_notes->data, c->out_notes->len);
    g_byte_array_append(body, c->out->data, c->out->len);
    return body;
}

/* ---- pruning ------------------------------------------------------------------ */

/* An entry is named after its program and directories, so one that no run
 * asks for any more (a deleted build, a temporary rules directory, an
 * upgraded program in another place) would stay for ever.  Whenever an
 * entry is written, which happens only after a miss, the directory is
 * swept: entries neither read nor written for PRUNE_DAYS go, and beyond
 * PRUNE_KEEP entries the least recently used go.  "Used" is the later of
 * the access and modification times: with relatime (Linux's default) a
 * read updates the access time once a day, enough at this scale; with
 * noatime an entry in use may be swept and is simply made again.  Only
 * files named as entries are touched. */
#define PRUNE_DAYS 30
#define PRUNE_KEEP 64

typedef struct {
    char *path;
    gint64 used;   /* seconds */
} Entry;

static gint
entry_older(gconstpointer a, gconstpointer b)
{
    const Entry *x = a, *y = b;
    return (x->used > y->used) - (x->used < y->used);
}

static gboolean
is_entry_name(const char *name)
{
    return (g_str_has_prefix(name, "rules-") || g_str_has_prefix(name, "layouts-")) && g_str_has_suffix(name, ".cache");
}

static void
prune_entries(const char *dir, const char *keep)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    g_autoptr(GArray) entries = g_array_new(FALSE, FALSE, sizeof(Entry));
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        struct stat st;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (!is_entry_name(name) || strcmp(path, keep) == 0 || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        Entry e = { g_steal_pointer(&path), MAX(st.st_atim.tv_sec, st.st_mtim.tv_sec) };
        if (now - e.used > PRUNE_DAYS * 24 * 3600) {
            unlink(e.path);
            g_free(e.path);
        } else {
            g_array_append_val(entries, e);
        }
    }
    g_array_sort(entries, entry_older);
    for (guint i = 0; i < entries->len; i++) {
        Entry *e = &g_array_index(entries, Entry, i);
        if (entries->len - i >= PRUNE_KEEP)   /* `keep` is one more */
            unlink(e->path);
        g_free(e->path);
    }
}

void
bt_doc_cache_store(BtDocCache *c)
{
    if (c->uncertain || !c->out || c->out_table->len != c->n_files * TABLE_COLUMNS)
        return;
    g_autofree char *dir = g_path_get_dirname(c->path);
    if (g_mkdir_with_parents(dir, 0700) != 0 || !is_private(dir))
        return;
    g_autoptr(GByteArray) body = body_bytes(c);
    g_autoptr(GByteArray) data = g_byte_array_new();
    g_byte_array_append(data, (const guint8 *) MAGIC, strlen(MAGIC));
    put_u32(data, (guint32) c->key->len);
    g_byte_array_append(data, (const guint8 *) c->key->str, c->key->len);
    static const guint8 zeros[4];
    g_byte_array_append(data, zeros, header_size(c) - data->len);   /* NUL padding */
    guint32 index_len;
    memcpy(&index_len, body->data + sizeof(guint32), sizeof index_len);
    guint64 sum = body_sum(body->data, index_len);
    g_byte_array_append(data, (const guint8 *) &sum, sizeof sum);
    g_byte_array_append(data, body->data, body->len);
    if (g_file_set_contents_full(c->path, (const char *) data->data, data->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL))
        prune_entries(dir, c->path);
}

void
bt_doc_cache_free(BtDocCache *c)
{
    if (!c)
        return;
    g_free(c->path);
    if (c->key)
        g_string_free(c->key, TRUE);
    for (guint i = 0; c->docs && i < c->n_files; i++)
        if (c->docs[i])
            free_cached_document(c->docs[i]);
    g_free(c->docs);
    if (c->map)
        g_mapped_file_unref(c->map);
    if (c->out) {
        g_byte_array_unref(c->out);
        g_byte_array_unref(c->out_notes);
        g_array_unref(c->out_table);
    }
    g_free(c);
}
