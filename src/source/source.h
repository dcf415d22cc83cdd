/* source — yields one parsed message at a time, with its origin, from
 * stdin, .eml files, mbox files (streamed, constant memory), maildirs and
 * directory trees.  LF, CRLF and bare-CR input all work.  Problems (a path
 * that cannot be read, a message GMime cannot parse, an empty file) are
 * reported through the problem callback and skipped; the iteration goes on. */
#pragma once

#include "core/core.h"

typedef struct _BtSource BtSource;

typedef enum {
    BT_PROBLEM_UNREADABLE,   /* a path could not be opened or read: exit 66 */
    BT_PROBLEM_SKIPPED,      /* a message was empty, truncated or unparsable: exit 65 */
} BtProblemKind;

/* origin: path or "-"; offset: mbox offset or -1; what: a sentence. */
typedef void (*BtProblemFunc)(BtProblemKind kind, const char *origin, gint64 offset,
                              const char *what, gpointer user_data);

typedef struct {
    guint64 messages;        /* yielded */
    guint64 bytes;           /* input bytes consumed so far */
    guint64 skipped;         /* BT_PROBLEM_SKIPPED reports */
    guint64 unreadable;      /* BT_PROBLEM_UNREADABLE reports */
} BtSourceStats;

/* paths: NULL-terminated; NULL, empty or {"-"} means stdin.  Never fails:
 * bad paths are reported when the iteration reaches them. */
BtSource *bt_source_new(const char *const *paths, BtProblemFunc problem, gpointer user_data);
/* The next message (owned by the caller), or NULL when every input is done. */
BtMessage *bt_source_next(BtSource *src);
const BtSourceStats *bt_source_stats(BtSource *src);
/* Read stdin (its first appearance in paths) through this spool file, so
 * that a later source over the same spool reads it again from the start
 * (see spool-stream.h).  Call before the first bt_source_next. */
void bt_source_spool_stdin(BtSource *src, int spool_fd);
void bt_source_free(BtSource *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtSource, bt_source_free)
