/* reader — the messages of one open input (a file or a pipe): sniffs the
 * first block to tell an mbox from a single message and LF from CR line
 * ends, then parses with GMime, one message per call. */
#pragma once

#include "source/source.h"

typedef struct _BtReader BtReader;

/* How the reader tells its owner about a problem with its input. */
typedef void (*BtReaderReport)(BtProblemKind kind, const char *origin, gint64 offset,
                               const char *what, gpointer data);

/* fd is closed by bt_reader_free when owns_fd (an opened path); an input
 * the reader does not own is called "input" rather than "file" in reports. */
BtReader *bt_reader_new(int fd, gboolean owns_fd, const char *origin,
                        BtReaderReport report, gpointer data);
/* The same over a stream already open (a spooled stdin); not a file. */
BtReader *bt_reader_new_for_stream(GMimeStream *input, const char *origin,
                                   BtReaderReport report, gpointer data);
/* The next message (offset, size and mime set; seq left to the caller), or
 * NULL when the input is done.  Problems are reported on the way. */
BtMessage *bt_reader_next(BtReader *reader);
/* Bytes read from the input so far. */
guint64 bt_reader_bytes(BtReader *reader);
void bt_reader_free(BtReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtReader, bt_reader_free)
