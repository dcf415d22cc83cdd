/* source — yields the messages of stdin, .eml files, mbox files
 * (streamed, constant memory), maildirs and directory trees, with their
 * origin.  LF, CRLF and bare-CR input all work.  Problems (a path that
 * cannot be read, a message GMime cannot parse, an empty file) are
 * reported through the problem callback and skipped; the iteration goes on.
 *
 * Finding the messages and parsing them are two steps, so that the parse
 * can run on the thread that triages the message: bt_source_next_entry
 * only finds where a message is and takes its bytes (capped, see
 * cap-filter.h); bt_entry_parse, on any thread, makes it a BtMessage;
 * bt_source_report, back in input order, reports what went wrong on the
 * way.  bt_source_next does all three for a caller on one thread. */
#pragma once

#include "core/core.h"
#include "source/spool-stream.h"

typedef struct _BtSource BtSource;

typedef enum {
    BT_PROBLEM_UNREADABLE,   /* a path could not be opened or read: exit 66 */
    BT_PROBLEM_SKIPPED,      /* a message was empty, truncated or unparsable: exit 65 */
} BtProblemKind;

/* origin: path or "-"; offset: mbox offset or -1; what: a sentence. */
typedef void (*BtProblemFunc)(BtProblemKind kind, const char *origin, gint64 offset,
                              const char *what, gpointer user_data);

typedef struct {
    guint64 messages;        /* parsed into a message (counted by bt_source_report) */
    guint64 bytes;           /* input bytes consumed so far */
    guint64 skipped;         /* BT_PROBLEM_SKIPPED reports (counted by bt_source_report) */
    guint64 unreadable;      /* BT_PROBLEM_UNREADABLE reports */
} BtSourceStats;

typedef struct {
    BtProblemKind kind;
    gint64 offset;           /* mbox offset or -1 */
    char *what;
} BtProblem;

/* One entry of the input, found but not parsed: a message's bytes, or
 * nothing but problems to report (a path that cannot be opened, an empty
 * file).  Owned by the caller of bt_source_next_entry. */
typedef struct {
    char *origin;            /* path, or "-" for stdin */
    gint64 offset;           /* of its mbox "From " line; -1 otherwise */
    guint64 seq;             /* 0, 1, 2 … over all entries, in input order */
    GByteArray *bytes;       /* what the parser gets (capped); NULL: nothing to parse */
    char *note;              /* what the caps left out of it, or NULL */
    guint boundaries;        /* its lines starting with "--": about its part count */
    gboolean mbox;           /* an mbox entry: bytes start with its From line */
    gboolean cr;             /* the input has CRs: line ends to convert */
    gboolean last;           /* the last entry of its input (or a read error followed) */
    gboolean input_cut;      /* its input does not end with a line end */
    gsize input_bytes;       /* bytes of input it stands for (a single message's whole input) */
    gboolean parsed;         /* bt_entry_parse made a message of it */
    GPtrArray *problems;     /* BtProblem*, in order, or NULL */
} BtEntry;

/* paths: NULL-terminated; NULL, empty or {"-"} means stdin.  Never fails:
 * bad paths are reported when the iteration reaches them. */
BtSource *bt_source_new(const char *const *paths, BtProblemFunc problem, gpointer user_data);
/* The next entry, or NULL when every input is done. */
BtEntry *bt_source_next_entry(BtSource *src);
/* The message in an entry, parsed (on any thread), or NULL when there is
 * none: what is wrong with it is added to entry->problems.  Call once;
 * the entry's bytes are released. */
BtMessage *bt_entry_parse(BtEntry *entry);
/* Counts an entry's problems and passes them to the problem callback:
 * call on one thread, in input order, after bt_entry_parse. */
void bt_source_report(BtSource *src, const BtEntry *entry);
void bt_entry_free(BtEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtEntry, bt_entry_free)

/* An entry across a process boundary (entry-wire.c), for --jobs workers
 * that are processes: the reading process packs an entry (bytes and all)
 * for a worker, which unpacks it, parses it, and packs the outcome
 * (whether it parsed, its problems now) for the reading process, which
 * puts it into its own copy of the entry before bt_source_report().  The
 * unpackers read from *p, never past `end`, and move *p past what they
 * took; NULL / FALSE when the bytes are not a whole entry or outcome. */
void bt_entry_pack(const BtEntry *entry, GByteArray *out);
BtEntry *bt_entry_unpack(const guint8 **p, const guint8 *end);
void bt_entry_pack_outcome(const BtEntry *entry, GByteArray *out);
gboolean bt_entry_unpack_outcome(const guint8 **p, const guint8 *end, BtEntry *entry);

/* The next message (owned by the caller), or NULL when every input is
 * done: the three steps above on the caller's thread. */
BtMessage *bt_source_next(BtSource *src);
const BtSourceStats *bt_source_stats(BtSource *src);
/* Read stdin (its first appearance in paths) through this spool file, so
 * that a later source over the same spool reads it again from the start
 * (see spool-stream.h); with a feed, another process fills that spool
 * from stdin and this source only reads it.  Call before the first
 * bt_source_next. */
void bt_source_spool_stdin(BtSource *src, int spool_fd, BtSpoolFeed *feed);
void bt_source_free(BtSource *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtSource, bt_source_free)
