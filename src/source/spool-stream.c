/* spool-stream — see spool-stream.h.  Reads from the pipe go through a
 * 64 KiB block, so that the spool costs one write per block, not one per
 * read of the parser. */
#include "source/spool-stream.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (64 * 1024)

typedef struct {
    GMimeStream parent_instance;
    int in_fd, spool_fd;
    gint64 spooled;          /* length of the spool */
    gboolean in_done;        /* the pipe reached its end (or failed) */
    char *block;             /* the last block read from the pipe */
    gint64 block_at;         /* its position */
    gsize block_len;
} BtSpoolStream;
typedef struct {
    GMimeStreamClass parent_class;
} BtSpoolStreamClass;

G_DEFINE_TYPE(BtSpoolStream, bt_spool_stream, GMIME_TYPE_STREAM)

static gboolean
write_all_at(int fd, const char *p, gsize n, gint64 at)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return FALSE;
        p += w;
        n -= (gsize) w;
        at += w;
    }
    return TRUE;
}

/* Read the next block of the pipe and spool it; FALSE at its end or on a
 * failure (errno set; 0 at the end). */
static gboolean
fill_block(BtSpoolStream *self)
{
    ssize_t n;
    do
        n = read(self->in_fd, self->block, BLOCK);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        if (n == 0)
            errno = 0;
        self->in_done = TRUE;
        return FALSE;
    }
    if (!write_all_at(self->spool_fd, self->block, (gsize) n, self->spooled)) {
        self->in_done = TRUE;
        return FALSE;
    }
    self->block_at = self->spooled;
    self->block_len = (gsize) n;
    self->spooled += n;
    return TRUE;
}

static ssize_t
spool_read(GMimeStream *stream, char *buf, size_t len)
{
    BtSpoolStream *self = (BtSpoolStream *) stream;
    gint64 pos = stream->position;

    if (pos >= self->spooled && !self->in_done && !fill_block(self) && errno)
        return -1;
    if (pos >= self->spooled)
        return 0;
    gsize n = (gsize) MIN((gint64) len, self->spooled - pos);
    ssize_t got;
    if (pos >= self->block_at && pos + (gint64) n <= self->block_at + (gint64) self->block_len) {
        memcpy(buf, self->block + (pos - self->block_at), n);
        got = (ssize_t) n;
    } else {
        do
            got = pread(self->spool_fd, buf, n, pos);
        while (got < 0 && errno == EINTR);
        if (got < 0)
            return -1;
    }
    stream->position += got;
    return got;
}

static ssize_t
spool_write(GMimeStream *stream G_GNUC_UNUSED, const char *buf G_GNUC_UNUSED, size_t len G_GNUC_UNUSED)
{
    return -1;
}

static int
spool_flush(GMimeStream *stream G_GNUC_UNUSED)
{
    return 0;
}

static int
spool_close(GMimeStream *stream G_GNUC_UNUSED)
{
    return 0;
}

static gboolean
spool_eos(GMimeStream *stream)
{
    BtSpoolStream *self = (BtSpoolStream *) stream;
    return self->in_done && stream->position >= self->spooled;
}

static int
spool_reset(GMimeStream *stream)
{
    stream->position = 0;
    return 0;
}

static gint64
spool_seek(GMimeStream *stream G_GNUC_UNUSED, gint64 offset G_GNUC_UNUSED,
           GMimeSeekWhence whence G_GNUC_UNUSED)
{
    return -1;
}

static gint64
spool_tell(GMimeStream *stream)
{
    return stream->position;
}

static gint64
spool_length(GMimeStream *stream G_GNUC_UNUSED)
{
    return -1;
}

static GMimeStream *
spool_substream(GMimeStream *stream G_GNUC_UNUSED, gint64 start G_GNUC_UNUSED, gint64 end G_GNUC_UNUSED)
{
    return NULL;
}

static void
bt_spool_stream_finalize(GObject *object)
{
    g_free(((BtSpoolStream *) object)->block);
    G_OBJECT_CLASS(bt_spool_stream_parent_class)->finalize(object);
}

static void
bt_spool_stream_class_init(BtSpoolStreamClass *klass)
{
    GMimeStreamClass *stream_class = GMIME_STREAM_CLASS(klass);
    G_OBJECT_CLASS(klass)->finalize = bt_spool_stream_finalize;
    stream_class->read = spool_read;
    stream_class->write = spool_write;
    stream_class->flush = spool_flush;
    stream_class->close = spool_close;
    stream_class->eos = spool_eos;
    stream_class->reset = spool_reset;
    stream_class->seek = spool_seek;
    stream_class->tell = spool_tell;
    stream_class->length = spool_length;
    stream_class->substream = spool_substream;
}

static void
bt_spool_stream_init(BtSpoolStream *self)
{
    self->block = g_malloc(BLOCK);
}

GMimeStream *
bt_spool_stream_new(int in_fd, int spool_fd)
{
    BtSpoolStream *self = g_object_new(bt_spool_stream_get_type(), NULL);
    self->in_fd = in_fd;
    self->spool_fd = spool_fd;
    off_t end = lseek(spool_fd, 0, SEEK_END);
    self->spooled = end > 0 ? (gint64) end : 0;
    g_mime_stream_construct(GMIME_STREAM(self), 0, -1);
    return GMIME_STREAM(self);
}
