/* source-private — entry points of the source stage for its own tests and
 * for callers that already hold an open descriptor. */
#pragma once

#include "source/source.h"

/* A source over one open descriptor (not closed by the source), read like
 * stdin: an mbox stream or one message.  origin names it in messages and
 * problems ("-" for stdin). */
BtSource *bt_source_new_for_fd(int fd, const char *origin, BtProblemFunc problem,
                               gpointer user_data);

/* Entries, for the reader and the source. */
BtEntry *bt_entry_new(const char *origin);
BtEntry *bt_entry_new_problem(const char *origin, BtProblemKind kind, gint64 offset,
                              const char *what);
void bt_entry_add_problem(BtEntry *entry, BtProblemKind kind, gint64 offset, const char *what);
