/* forward-stream — see forward-stream.h. */
#include "source/forward-stream.h"

static ssize_t
forward_write(GMimeStream *stream G_GNUC_UNUSED, const char *buf G_GNUC_UNUSED, size_t len G_GNUC_UNUSED)
{
    return -1;
}

static int
forward_flush(GMimeStream *stream G_GNUC_UNUSED)
{
    return 0;
}

static int
forward_close(GMimeStream *stream G_GNUC_UNUSED)
{
    return 0;
}

static gint64
forward_seek(GMimeStream *stream G_GNUC_UNUSED, gint64 offset G_GNUC_UNUSED,
             GMimeSeekWhence whence G_GNUC_UNUSED)
{
    return -1;
}

static gint64
forward_tell(GMimeStream *stream)
{
    return stream->position;
}

static gint64
forward_length(GMimeStream *stream G_GNUC_UNUSED)
{
    return -1;
}

static GMimeStream *
forward_substream(GMimeStream *stream G_GNUC_UNUSED, gint64 start G_GNUC_UNUSED, gint64 end G_GNUC_UNUSED)
{
    return NULL;
}

void
bt_forward_stream_class_init(GMimeStreamClass *klass)
{
    klass->write = forward_write;
    klass->flush = forward_flush;
    klass->close = forward_close;
    klass->seek = forward_seek;
    klass->tell = forward_tell;
    klass->length = forward_length;
    klass->substream = forward_substream;
}
