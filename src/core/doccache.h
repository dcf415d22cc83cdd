/* doccache — YAML documents parsed once and kept in the user's cache
 * directory, for the configuration that every run reads (rule packs,
 * layouts).  Parsing ~400 kB of YAML costs more than triaging one message,
 * so a clean load stores the parsed documents; a later run whose files are
 * unchanged reads them back instead of parsing.
 *
 * An entry is found by a key made from stat() alone — of every directory
 * and file (device, inode, size, modification and change times to the
 * nanosecond), of this program's binary, and the versions of the libraries
 * that parse and compile — so that a hit reads no configuration file.  Any
 * write to a file changes its change time, which no one can set back, so a
 * changed file is never served from the cache.  A damaged entry is refused,
 * never trusted: the entry's index (its table of documents and the
 * callers' notes) has a check value tested at lookup, and each document
 * one tested, with every length and node id, when it is decoded, so a run
 * checks (and pages in) only what it uses.  An entry is replaced only by
 * renaming a whole new file over it; writing one sweeps out entries that
 * no run has used for a month, and the least recently used beyond 64. */
#pragma once

#include <glib.h>
#include <yaml.h>

typedef struct _BtDocCache BtDocCache;

/* The entry of `kind` ("rules", "layouts") for `files` (in this order) of
 * `dirs`.  NULL when the binary or a file cannot be identified: no cache. */
BtDocCache *bt_doc_cache_new(const char *kind, const char *const *dirs, const char *const *files, guint n_files);

/* TRUE when there is an entry for this very set of files whose index is
 * sound; then its notes can be read and its documents decoded.  Nothing
 * is decoded yet. */
gboolean bt_doc_cache_lookup(BtDocCache *c);
/* File i's stored document, checked and decoded on the first call (safe
 * from any number of threads), or NULL when it is damaged: the caller
 * then parses the file (and may store a new entry).  It points into
 * memory the cache owns: read it only, while the cache lives. */
yaml_document_t *bt_doc_cache_document(BtDocCache *c, guint i);
/* File i's note as it was added (`*len` bytes, 4-aligned, in place). */
const void *bt_doc_cache_note(BtDocCache *c, guint i, gsize *len);

/* Adds the next file's parsed document to the entry to be stored, with a
 * note of what the caller needs to start without decoding it (may be
 * empty). */
void bt_doc_cache_add(BtDocCache *c, yaml_document_t *doc, const void *note, gsize note_len);
/* Stores the entry when a document was added for every file (written
 * whole and renamed into place; a cache that cannot be written is simply
 * not kept). */
void bt_doc_cache_store(BtDocCache *c);

void bt_doc_cache_free(BtDocCache *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtDocCache, bt_doc_cache_free)
