/* spool-stream — reads a pipe (stdin) through a spool file: every byte
 * read from the pipe is first appended to the spool, and a stream opened
 * later over the same spool reads the spooled bytes again before going on
 * with the pipe.  So a batch that has to start over (a crash, see
 * src/supervisor.h) reads stdin from its first byte once more. */
#pragma once

#include <gmime/gmime.h>

/* in_fd: the pipe (not closed); spool_fd: a read-write file, shared by
 * every stream over it, one at a time. */
GMimeStream *bt_spool_stream_new(int in_fd, int spool_fd);
