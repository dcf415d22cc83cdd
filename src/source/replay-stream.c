/* replay-stream — a read-only stream over another one, keeping a ring of
 * the most recent bytes so that a reader can step back within it.  Bytes
 * are copied into the ring as they pass; memory is the ring, whatever the
 * length of the source. */
#include "source/replay-stream.h"

#include <errno.h>
#include <string.h>

struct _BtReplayStream {
    GMimeStream parent_instance;
    GMimeStream *source;
    char *ring;
    gsize capacity;
    gint64 head;          /* bytes read from the source so far */
    int last_byte;
    int error;            /* errno of a failed source read, 0 if none */
};

G_DEFINE_TYPE(BtReplayStream, bt_replay_stream, GMIME_TYPE_STREAM)

static gint64
oldest_available(BtReplayStream *self)
{
    return self->head > (gint64) self->capacity ? self->head - (gint64) self->capacity : 0;
}

/* Copy n bytes starting at absolute position pos out of the ring. */
static void
ring_copy_out(BtReplayStream *self, gint64 pos, char *buf, gsize n)
{
    gsize at = (gsize) (pos % (gint64) self->capacity);
    gsize first = MIN(n, self->capacity - at);
    memcpy(buf, self->ring + at, first);
    memcpy(buf + first, self->ring, n - first);
}

/* Remember n bytes just read from the source. */
static void
ring_append(BtReplayStream *self, const char *buf, gsize n)
{
    if (n > self->capacity) {
        /* only the tail can ever be replayed */
        self->head += (gint64) (n - self->capacity);
        buf += n - self->capacity;
        n = self->capacity;
    }
    gsize at = (gsize) (self->head % (gint64) self->capacity);
    gsize first = MIN(n, self->capacity - at);
    memcpy(self->ring + at, buf, first);
    memcpy(self->ring, buf + first, n - first);
    self->head += (gint64) n;
}

static ssize_t
replay_read(GMimeStream *stream, char *buf, size_t len)
{
    BtReplayStream *self = BT_REPLAY_STREAM(stream);

    if (stream->position < self->head) {
        gsize n = (gsize) MIN((gint64) len, self->head - stream->position);
        ring_copy_out(self, stream->position, buf, n);
        stream->position += (gint64) n;
        return (ssize_t) n;
    }
    if (self->error)
        return -1;

    /* a filter may give nothing for a whole block (the cap filter dropping
     * a part's tail): only the end of the source is the end */
    ssize_t n;
    do
        n = g_mime_stream_read(self->source, buf, len);
    while (n == 0 && !g_mime_stream_eos(self->source));
    if (n < 0) {
        self->error = errno ? errno : EIO;
        return -1;
    }
    if (n > 0) {
        ring_append(self, buf, (gsize) n);
        self->last_byte = (unsigned char) buf[n - 1];
        stream->position += n;
    }
    return n;
}

static ssize_t
replay_write(GMimeStream *stream G_GNUC_UNUSED, const char *buf G_GNUC_UNUSED,
             size_t len G_GNUC_UNUSED)
{
    return -1;
}

static int
replay_flush(GMimeStream *stream G_GNUC_UNUSED)
{
    return 0;
}

static int
replay_close(GMimeStream *stream G_GNUC_UNUSED)
{
    return 0;
}

static gboolean
replay_eos(GMimeStream *stream)
{
    BtReplayStream *self = BT_REPLAY_STREAM(stream);
    if (stream->position < self->head)
        return FALSE;
    return self->error != 0 || g_mime_stream_eos(self->source);
}

static gint64
replay_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
    BtReplayStream *self = BT_REPLAY_STREAM(stream);
    gint64 target;

    switch (whence) {
    case GMIME_STREAM_SEEK_SET: target = offset; break;
    case GMIME_STREAM_SEEK_CUR: target = stream->position + offset; break;
    default: return -1;
    }
    return bt_replay_stream_rewind(self, target) ? target : -1;
}

static int
replay_reset(GMimeStream *stream)
{
    return bt_replay_stream_rewind(BT_REPLAY_STREAM(stream), 0) ? 0 : -1;
}

static gint64
replay_tell(GMimeStream *stream)
{
    return stream->position;
}

static gint64
replay_length(GMimeStream *stream G_GNUC_UNUSED)
{
    return -1;
}

static GMimeStream *
replay_substream(GMimeStream *stream G_GNUC_UNUSED, gint64 start G_GNUC_UNUSED,
                 gint64 end G_GNUC_UNUSED)
{
    /* the bytes are gone once they leave the ring: no substreams */
    return NULL;
}

static void
bt_replay_stream_finalize(GObject *object)
{
    BtReplayStream *self = BT_REPLAY_STREAM(object);
    g_clear_object(&self->source);
    g_free(self->ring);
    G_OBJECT_CLASS(bt_replay_stream_parent_class)->finalize(object);
}

static void
bt_replay_stream_class_init(BtReplayStreamClass *klass)
{
    GMimeStreamClass *stream_class = GMIME_STREAM_CLASS(klass);
    G_OBJECT_CLASS(klass)->finalize = bt_replay_stream_finalize;
    stream_class->read = replay_read;
    stream_class->write = replay_write;
    stream_class->flush = replay_flush;
    stream_class->close = replay_close;
    stream_class->eos = replay_eos;
    stream_class->reset = replay_reset;
    stream_class->seek = replay_seek;
    stream_class->tell = replay_tell;
    stream_class->length = replay_length;
    stream_class->substream = replay_substream;
}

static void
bt_replay_stream_init(BtReplayStream *self)
{
    self->last_byte = -1;
}

GMimeStream *
bt_replay_stream_new(GMimeStream *source, gsize history)
{
    BtReplayStream *self = g_object_new(BT_TYPE_REPLAY_STREAM, NULL);
    self->source = g_object_ref(source);
    self->capacity = MAX(history, 1);
    self->ring = g_malloc(self->capacity);
    g_mime_stream_construct(GMIME_STREAM(self), 0, -1);
    return GMIME_STREAM(self);
}

gboolean
bt_replay_stream_rewind(BtReplayStream *self, gint64 position)
{
    g_return_val_if_fail(BT_IS_REPLAY_STREAM(self), FALSE);
    if (position < oldest_available(self) || position > self->head)
        return FALSE;
    GMIME_STREAM(self)->position = position;
    return TRUE;
}

gint64
bt_replay_stream_high_water(BtReplayStream *self)
{
    return self->head;
}

int
bt_replay_stream_last_byte(BtReplayStream *self)
{
    return self->last_byte;
}

int
bt_replay_stream_error(BtReplayStream *self)
{
    return self->error;
}
