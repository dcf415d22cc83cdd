/* spool-stream — reads a pipe (stdin) through a spool file: every byte
 * read from the pipe is first appended to the spool, and a stream opened
 * later over the same spool reads the spooled bytes again before going on
 * with the pipe.  So a batch that has to start over (a crash, see
 * src/supervisor.h) reads stdin from its first byte once more.
 *
 * Under supervision the pipe is read by the supervising process, which
 * never crashes, and the batch reads only the spool (a "fed" stream): a
 * batch that died between reading a block from the pipe and writing it to
 * the spool would otherwise take that block with it. */
#pragma once

#include <gmime/gmime.h>

/* What the feeding process has put in the spool, in memory shared with
 * the processes that read it. */
typedef struct {
    gint64 length;           /* bytes in the spool */
    gint done;               /* the pipe reached its end, or failed */
    gint error;              /* the errno of that failure, 0 at the end */
    int wake_r, wake_w;      /* a byte on this pipe after each block */
} BtSpoolFeed;

/* in_fd: the pipe (not closed); spool_fd: a read-write file, shared by
 * every stream over it, one at a time. */
GMimeStream *bt_spool_stream_new(int in_fd, int spool_fd);

/* A feed in shared memory, for a process about to fork readers; NULL if
 * none can be had. */
BtSpoolFeed *bt_spool_feed_new(void);
void bt_spool_feed_free(BtSpoolFeed *feed);
/* In the feeding process: one read of `in_fd` appended to the spool (a
 * read that would block reads nothing).  FALSE once the feed is done. */
gboolean bt_spool_feed_pump(BtSpoolFeed *feed, int in_fd, int spool_fd);
/* A stream over a spool another process fills through `feed`: it reads
 * the spool and waits for the feeder where the spool ends. */
GMimeStream *bt_spool_stream_new_fed(int spool_fd, BtSpoolFeed *feed);
