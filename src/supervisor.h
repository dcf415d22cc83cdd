/* supervisor — a crash while a message is parsed or triaged costs that one
 * message, never the batch.
 *
 * The parent process only supervises: the batch runs in a child, which
 * publishes on a shared board which message each of its threads is on and
 * how many messages' output it has written (stdout is written only in
 * whole messages).  When the child dies of a signal (a crash, an abort, an
 * allocation failure), the parent names the message it died on, reports it
 * as skipped (exit 65), and starts a new child that goes on after it.
 * When several messages were in flight, the new child takes them one at a
 * time until the culprit shows itself.
 *
 * A new child reads the input again from the start (stdin from a spool
 * file that this process fills from the pipe while its children run, so
 * that no byte of the pipe is ever held only by a child that may die):
 * messages already written are
 * not written again, but when their state matters (--summary, --check,
 * the csv header, text spacing) they are triaged again in silence so that
 * the end of the run is what one uninterrupted run would give. */
#pragma once

#include "cli.h"
#include "core/core.h"
#include "source/spool-stream.h"

typedef struct _BtBoard BtBoard;

/* Threads that publish what they are on: the reader, the writer, workers. */
enum { BT_BOARD_READER = 0, BT_BOARD_WRITER = 1, BT_BOARD_WORKER0 = 2 };
/* The most messages in flight that the board can name. */
#define BT_BOARD_RING 1024

/* Where a child starts: what earlier children did.  All zero for the first. */
typedef struct {
    BtBoard *board;          /* NULL: not supervised */
    int spool_fd;            /* stdin's spool, or -1 */
    BtSpoolFeed *feed;       /* how far the supervisor has filled it (NULL: the batch reads stdin) */
    guint64 written;         /* messages [0, written) were written by an earlier child */
    guint64 bytes;           /* the bytes of their output */
    guint64 torn;            /* and the first `torn` bytes of the output that follows: a child
                              * that died between two write()s put them out already */
    guint64 careful_until;   /* messages before this are taken one at a time */
    GHashTable *crashed;     /* seq (guint64*) -> TRUE: messages that crashed a child */
    guint64 mute_problems;   /* input problems already reported by an earlier child */
} BtResume;

/* One run of the batch from `resume`; returns its exit status. */
typedef int (*BtBatchFunc)(const BtResume *resume, gpointer data);

/* Runs `batch` under supervision over opt->paths; returns the exit
 * status.  BOUNCETRIAGE_SUPERVISE=0 runs it in this process instead (to
 * measure what supervision costs). */
int bt_supervise(const BtOptions *opt, BtBatchFunc batch, gpointer data);

/* Called by the batch (NULL board: nothing happens). */
/* The reader handed out entry `seq` (offset: its mbox offset or -1). */
void bt_board_started(BtBoard *board, guint64 seq, const char *origin, gint64 offset);
void bt_board_busy(BtBoard *board, int thread, gint64 seq);
/* The output of messages [0, messages), `bytes` long, is on stdout, and
 * `torn` bytes of what follows them; published in one step, so a crash
 * between two stores cannot make the parent believe half of it. */
void bt_board_written(BtBoard *board, guint64 messages, guint64 bytes, guint64 torn);
void bt_board_problem(BtBoard *board);
