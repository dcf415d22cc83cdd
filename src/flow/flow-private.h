/* flow-private — what annotate.c and hook.c share: one message read into
 * memory, its header mapped out in the original bytes, triaged, and the
 * X-Bounce-* fields to add.  The output is always spliced from the input
 * bytes, never re-serialised by GMime. */
#pragma once

#include "flow/flow.h"

/* A run of input bytes that goes to the output unchanged. */
typedef struct {
    gsize offset;
    gsize length;
} BtSpan;

typedef struct {
    GByteArray *data;       /* the input, read once */
    gsize header_at;        /* where the header starts: after a leading mbox From_ line */
    gsize fields_at;        /* where its first field starts: past blank-looking lines */
    const char *eol;        /* the input's line end: "\n", "\r\n" or "\r" */
    GArray *kept;           /* BtSpan, in order: data[header_at..] minus incoming X-Bounce-* fields */
    guint n_fields;         /* header fields seen (X-Bounce-* included) */
    guint n_kept_fields;    /* of those, the ones kept (not X-Bounce-*) */
    gsize header_bytes;     /* size of the header block */
    BtBounce *bounce;       /* NULL when the message could not be parsed */
    char *error;            /* why it could not be, for X-Bounce-Error */
    GString *added;         /* the X-Bounce-* fields to insert, with the input's line ends */
    char *digest;           /* SHA-256 hex of the input bytes: the message's identity */
} BtAnnotated;

/* Reads all of in_fd and maps its header; no triage yet, so nothing here
 * depends on what the message says.  NULL only when it cannot be read. */
BtAnnotated *bt_annotated_load(int in_fd, GError **error);
/* Triages the loaded message and prepares the fields (the risky part: run
 * it in the isolated child, see isolate.c). */
void bt_annotated_triage(BtAnnotated *a, const BtFlowConfig *cfg);
/* Forgets any verdict: the fields become one X-Bounce-Error saying `why`. */
void bt_annotated_fail(BtAnnotated *a, const char *why);
/* Sets the fields to insert, as the isolated triage prepared them. */
void bt_annotated_set_fields(BtAnnotated *a, const char *fields, gsize len);

void bt_annotated_free(BtAnnotated *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtAnnotated, bt_annotated_free)

/* The records of the bounce, or NULL when it has none. */
GPtrArray *bt_annotated_records(const BtAnnotated *a);
/* Bytes bt_annotated_write writes. */
gsize bt_annotated_size(const BtAnnotated *a, gboolean with_from_line);
/* Writes the annotated message: the From_ line (when asked and present),
 * the added fields, then the kept input. */
gboolean bt_annotated_write(const BtAnnotated *a, int fd, gboolean with_from_line, GError **error);

/* ---- fields.c: header text that is safe to write ------------------------ */

/* Appends "Name: value" folded at white space to about 78 columns, no line
 * over 998 octets, line ends `eol`.  The value is made single-line, valid
 * UTF-8 text first (bt_text_one_line, format characters kept). */
void bt_field_append(GString *out, const char *name, const char *value, const char *eol);
/* Appends " key=value;" style parameters: value bare when it is a token,
 * quoted with backslash escapes otherwise. */
void bt_field_append_param(GString *out, const char *key, const char *value);

/* ---- io helpers ------------------------------------------------------- */

/* fsync a directory by path. */
gboolean bt_fsync_dir(const char *path, GError **error);

/* ---- maildir.c -------------------------------------------------------- */

/* O_NOFOLLOW, or 0 when the administrator set BOUNCETRIAGE_FOLLOW_SYMLINKS=1. */
int bt_nofollow(void);
/* Writes the message into root/folder/tmp/ under a unique name, creating
 * the maildir as needed (a symlinked folder is refused, see bt_nofollow),
 * and fsyncs it.  Returns the tmp/ path, or NULL. */
char *bt_maildir_stage(const char *root, const char *folder, const BtAnnotated *a, GError **error);
/* Renames a staged file into its folder's new/ under the message's stable
 * name (DIGEST.bouncetriage,S=size) and fsyncs new/.  Returns that path. */
char *bt_maildir_publish(const char *tmp_path, const char *digest, GError **error);
/* The stored file of the message `digest` in any folder's new/ or cur/, or NULL. */
char *bt_maildir_find(const char *root, const char *digest);

/* ---- isolate.c: triage in a child process ------------------------------- */

#define BT_FOLDER_UNCLASSIFIED "unclassified"

typedef struct {
    char *folder;            /* the maildir folder: the reason, or unclassified */
    char *fields;            /* the X-Bounce-* fields to insert */
    GPtrArray *recipients;   /* char*: each record's recipient ("" for none) */
    GPtrArray *lines;        /* char*: each record as JSON, origin "-" */
} BtVerdict;

void bt_verdict_free(BtVerdict *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtVerdict, bt_verdict_free)

/* Triages `a` in a forked child (records carry a->digest).  NULL when the
 * child failed in any way, with *why saying how (for X-Bounce-Error). */
BtVerdict *bt_verdict_isolated(const BtFlowConfig *cfg, BtAnnotated *a, char **why);
/* A record line from the verdict with its origin set. */
char *bt_verdict_line_for(const char *line, const char *origin);

/* ---- testkill.c: BOUNCETRIAGE_TEST_KILL=PERCENT, for the kill test ------ */

/* TRUE, by the switch's chance, when the hook should die here. */
gboolean bt_test_kill_due(void);
/* SIGKILL, by the switch's chance. */
void bt_test_kill_maybe(void);

/* ---- store.c: the hook's records ---------------------------------------- */

typedef struct BtStore BtStore;

gboolean bt_store_is_sqlite(const char *path);
BtStore *bt_store_open(const char *path, GError **error);
/* TRUE for SQLite, where bt_store_has is an index lookup; FALSE for JSON
 * Lines, where only bt_store_put (maybe_there) can tell. */
gboolean bt_store_is_indexed(const BtStore *s);
/* *has: the store holds records of the message `digest` (SQLite only). */
gboolean bt_store_has(BtStore *s, const char *digest, gboolean *has, GError **error);
/* Stores the message's record lines durably, all or none.  maybe_there:
 * the message may have been stored before (JSONL then writes only the
 * lines it does not hold; SQLite always ignores a (digest, recipient) it
 * holds). */
gboolean bt_store_put(BtStore *s, const char *digest, GPtrArray *recipients, GPtrArray *lines,
                      gboolean maybe_there, GError **error);
void bt_store_close(BtStore *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtStore, bt_store_close)
