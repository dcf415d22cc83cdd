/* digest — what a whole run adds up to, written once at its end: the
 * --report HTML page and the --suppress list.  Both are fed every record
 * as the sink writes it (or as --from-store reads it back from a hook's
 * store).  Memory grows with the distinct recipients, domains and causes,
 * never with the number of messages read; the suppression list also keeps
 * one small event per record of each recipient, because its policy needs
 * them in time order and an archive is not. */
#pragma once

#include "sink/sink.h"

/* ---- the suppression policy (rules/suppress.yaml) ------------------------ */

typedef struct _BtSuppressPolicy BtSuppressPolicy;

/* The policy file in effect: suppress.yaml of the last directory of
 * `rule_dirs` that has one (so --rules DIR can replace the shipped one);
 * NULL when none has. */
char *bt_suppress_policy_find(const char *const *rule_dirs);
/* Problems go to `errors` as "file:line:col: message"; NULL when any. */
BtSuppressPolicy *bt_suppress_policy_load(const char *file, GPtrArray *errors);
void bt_suppress_policy_free(BtSuppressPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtSuppressPolicy, bt_suppress_policy_free)

/* ---- the digest of a run ------------------------------------------------- */

typedef struct {
    const char *report_path;           /* --report=FILE.html, or NULL */
    const char *suppress_path;         /* --suppress=FILE, or NULL */
    const BtSuppressPolicy *policy;    /* borrowed; needed with suppress_path */
    const char *chartjs_path;          /* Chart.js to inline; no charts when unreadable */
    gboolean checks_ran;               /* --check was given: the report shows their results */
    const char *source;                /* what was read, for the report's title */
} BtDigestOptions;

typedef struct _BtDigest BtDigest;

/* Fails (BT_ERROR_IO) when an output cannot be created: better before an
 * hour of reading than after it. */
BtDigest *bt_digest_new(const BtDigestOptions *opt, GError **error);
/* One message from triage and its records. */
void bt_digest_add_bounce(BtDigest *digest, const BtBounce *bounce);
/* One record read back from a store; `messagedigest` (may be NULL) tells
 * records of one message from those of the next. */
void bt_digest_add_stored(BtDigest *digest, const char *messagedigest, const BtRecord *rec);
/* Writes the outputs (each to FILE.tmp, then renamed over FILE). */
gboolean bt_digest_finish(BtDigest *digest, GError **error);
void bt_digest_free(BtDigest *digest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtDigest, bt_digest_free)

/* ---- reading a hook's store ---------------------------------------------- */

/* Called for each record of the store, in the order it was stored. */
typedef void (*BtStoreFunc)(const char *messagedigest, const BtRecord *rec, gpointer data);

/* A JSON Lines file, or an SQLite database (recognised by its header)
 * with the hook's table `records (messagedigest, recipient, json)`, read
 * in rowid order.  A line that is not a record is an error naming its
 * line number. */
gboolean bt_store_foreach(const char *path, BtStoreFunc func, gpointer data, GError **error);

/* One JSON Lines record back into a BtRecord; NULL with `error` set when
 * the text is not a JSON object.  `messagedigest` receives that member
 * (or NULL) when not NULL. */
BtRecord *bt_record_from_json(const char *json, gssize len, char **messagedigest, GError **error);
