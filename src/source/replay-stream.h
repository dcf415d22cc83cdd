/* replay-stream — a read-only GMimeStream that remembers the last bytes it
 * handed out, so that a reader can step back a little: to sniff the first
 * block of a pipe and then parse it from the start, or to restart GMime's
 * parser where it gave up.  It also keeps a position (tell) for sources
 * that have none, such as a GMimeStreamFilter. */
#pragma once

#include <gmime/gmime.h>

/* Declared by hand: GMime 3 has no g_autoptr support for G_DECLARE_*. */
typedef struct _BtReplayStream BtReplayStream;
typedef struct {
    GMimeStreamClass parent_class;
} BtReplayStreamClass;
GType bt_replay_stream_get_type(void);
#define BT_TYPE_REPLAY_STREAM (bt_replay_stream_get_type())
#define BT_REPLAY_STREAM(o) (G_TYPE_CHECK_INSTANCE_CAST((o), BT_TYPE_REPLAY_STREAM, BtReplayStream))
#define BT_IS_REPLAY_STREAM(o) (G_TYPE_CHECK_INSTANCE_TYPE((o), BT_TYPE_REPLAY_STREAM))

/* history: how many of the most recent bytes can be read again. */
GMimeStream *bt_replay_stream_new(GMimeStream *source, gsize history);
/* Go back to an absolute position not older than the history; FALSE if
 * that position is no longer (or not yet) available. */
gboolean bt_replay_stream_rewind(BtReplayStream *stream, gint64 position);
/* The furthest position read from the source so far. */
gint64 bt_replay_stream_high_water(BtReplayStream *stream);
/* The last byte read from the source, or -1 before any. */
int bt_replay_stream_last_byte(BtReplayStream *stream);
/* errno of a failed read from the source, 0 if none. */
int bt_replay_stream_error(BtReplayStream *stream);
