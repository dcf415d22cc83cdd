/* reader — the entries of one open input (a file or a pipe): sniffs the
 * first block to tell an mbox from a single message and LF from CR line
 * ends, then finds where each message starts and takes its bytes, under
 * the caps; parsing them is left to bt_entry_parse. */
#pragma once

#include "source/source.h"

typedef struct _BtReader BtReader;

/* fd is closed by bt_reader_free when owns_fd (an opened path); an input
 * the reader does not own is called "input" rather than "file" in reports. */
BtReader *bt_reader_new(int fd, gboolean owns_fd, const char *origin);
/* The same over a stream already open (a spooled stdin); not a file. */
BtReader *bt_reader_new_for_stream(GMimeStream *input, const char *origin);
/* The next entry (seq left to the caller): a message's bytes, or a problem
 * with the input.  NULL when the input is done. */
BtEntry *bt_reader_next(BtReader *reader);
/* Bytes read from the input so far. */
guint64 bt_reader_bytes(BtReader *reader);
void bt_reader_free(BtReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtReader, bt_reader_free)
