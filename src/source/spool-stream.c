/* spool-stream — see spool-stream.h.  Reads from the pipe go through a
 * 64 KiB block, so that the spool costs one write per block, not one per
 * read of the parser. */
#include "source/spool-stream.h"
#include "source/forward-stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
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
    BtSpoolFeed *feed;       /* not NULL: another process fills the spool (in_fd unused) */
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

/* Wait until the feeder has put more than `pos` bytes in the spool or is
 * done; FALSE (errno set, 0 at the end) when no byte past `pos` will come.
 * The length is read after the wake-up pipe is drained, and the feeder
 * stores it before it writes its byte: no block can be missed. */
static gboolean
await_feed(BtSpoolStream *self, gint64 pos)
{
    BtSpoolFeed *feed = self->feed;
    for (;;) {
        gboolean done = g_atomic_int_get(&feed->done);
        self->spooled = __atomic_load_n(&feed->length, __ATOMIC_ACQUIRE);
        if (pos < self->spooled)
            return TRUE;
        if (done) {
            self->in_done = TRUE;
            errno = g_atomic_int_get(&feed->error);
            return FALSE;
        }
        struct pollfd p = { .fd = feed->wake_r, .events = POLLIN };
        if (poll(&p, 1, 100) > 0) {
            char drain[64];
            while (read(feed->wake_r, drain, sizeof drain) > 0)
                ;
        }
    }
}

static ssize_t
spool_read(GMimeStream *stream, char *buf, size_t len)
{
    BtSpoolStream *self = (BtSpoolStream *) stream;
    gint64 pos = stream->position;

    if (self->feed) {
        if (!await_feed(self, pos))
            return errno ? -1 : 0;
    } else if (pos >= self->spooled && !self->in_done && !fill_block(self) && errno)
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

static gboolean
spool_eos(GMimeStream *stream)
{
    BtSpoolStream *self = (BtSpoolStream *) stream;
    if (self->feed && g_atomic_int_get(&self->feed->done))
        return stream->position >= __atomic_load_n(&self->feed->length, __ATOMIC_ACQUIRE);
    return self->in_done && stream->position >= self->spooled;
}

static int
spool_reset(GMimeStream *stream)
{
    stream->position = 0;
    return 0;
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
    bt_forward_stream_class_init(stream_class);
    G_OBJECT_CLASS(klass)->finalize = bt_spool_stream_finalize;
    stream_class->read = spool_read;
    stream_class->eos = spool_eos;
    stream_class->reset = spool_reset;
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

/* ---- a spool filled by another process ---------------------------------- */

BtSpoolFeed *
bt_spool_feed_new(void)
{
    BtSpoolFeed *feed = mmap(NULL, sizeof(BtSpoolFeed), PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (feed == MAP_FAILED)
        return NULL;
    int fds[2];
    if (pipe(fds) != 0) {
        munmap(feed, sizeof(BtSpoolFeed));
        return NULL;
    }
    /* neither side may block on it: the feeder when nobody drains it, a
     * reader when another drained it first */
    for (int i = 0; i < 2; i++)
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    *feed = (BtSpoolFeed) { .wake_r = fds[0], .wake_w = fds[1] };
    return feed;
}

void
bt_spool_feed_free(BtSpoolFeed *feed)
{
    if (!feed)
        return;
    close(feed->wake_r);
    close(feed->wake_w);
    munmap(feed, sizeof(BtSpoolFeed));
}

static void
feed_finish(BtSpoolFeed *feed, int error)
{
    g_atomic_int_set(&feed->error, error);
    g_atomic_int_set(&feed->done, TRUE);
}

gboolean
bt_spool_feed_pump(BtSpoolFeed *feed, int in_fd, int spool_fd)
{
    if (g_atomic_int_get(&feed->done))
        return FALSE;
    g_autofree char *block = g_malloc(BLOCK);
    ssize_t n = read(in_fd, block, BLOCK);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return TRUE;
    gint64 at = feed->length;
    if (n <= 0)
        feed_finish(feed, n == 0 ? 0 : errno);
    else if (!write_all_at(spool_fd, block, (gsize) n, at))
        feed_finish(feed, errno ? errno : EIO);
    else
        __atomic_store_n(&feed->length, at + n, __ATOMIC_RELEASE);
    if (write(feed->wake_w, "", 1) < 0) {
        /* full: the readers have a wake-up waiting already */
    }
    return !g_atomic_int_get(&feed->done);
}

GMimeStream *
bt_spool_stream_new_fed(int spool_fd, BtSpoolFeed *feed)
{
    BtSpoolStream *self = g_object_new(bt_spool_stream_get_type(), NULL);
    self->in_fd = -1;
    self->spool_fd = spool_fd;
    self->feed = feed;
    self->spooled = __atomic_load_n(&feed->length, __ATOMIC_ACQUIRE);
    g_mime_stream_construct(GMIME_STREAM(self), 0, -1);
    return GMIME_STREAM(self);
}
