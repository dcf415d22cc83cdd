/* decompress — see decompress.h.  zlib's inflate with windowBits 16 + 15
 * reads one gzip member, header and trailer (CRC-32 and size checked);
 * at its end (Z_STREAM_END) inflateReset starts the next one, when the
 * input goes on with a member's magic.  What follows the last member and
 * is not one (padding from a tape or a transfer) ends the stream: zeros
 * quietly, as gzip -d takes them, anything else reported.  inflate writes
 * what it could inflate before it finds damage, so nothing before the
 * damage is lost; damage that only the CRC-32 reveals is found at the
 * member's end, after its bytes were handed on. */
#include "source/decompress.h"
#include "source/forward-stream.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

#define IN_BLOCK (64 * 1024)

typedef enum {
    GUNZIP_MEMBER,           /* inside a member */
    GUNZIP_BETWEEN,          /* a member ended: another one, or the end */
    GUNZIP_END,              /* nothing more to read (see damage) */
} GunzipState;

typedef struct {
    GMimeStream parent_instance;
    GMimeStream *source;
    z_stream z;
    gboolean z_ready;        /* inflateInit2 succeeded */
    GunzipState state;
    unsigned char *in;       /* IN_BLOCK of compressed bytes */
    gboolean source_done;    /* the source reached its end */
    gint64 compressed;       /* bytes taken from the source (and the head) */
    char *damage;
} BtGunzipStream;
typedef struct {
    GMimeStreamClass parent_class;
} BtGunzipStreamClass;

G_DEFINE_TYPE(BtGunzipStream, bt_gunzip_stream, GMIME_TYPE_STREAM)

#define IS_GUNZIP(s) G_TYPE_CHECK_INSTANCE_TYPE((s), bt_gunzip_stream_get_type())

static void
set_damage(BtGunzipStream *self, char *what)
{
    g_free(self->damage);
    self->damage = what;
    self->state = GUNZIP_END;
}

/* Move what is left to the start of the buffer and read more after it;
 * FALSE when the source failed (errno set).  At the source's end
 * source_done is set and nothing is added. */
static gboolean
fill(BtGunzipStream *self)
{
    if (self->source_done)
        return TRUE;
    memmove(self->in, self->z.next_in, self->z.avail_in);
    self->z.next_in = self->in;
    errno = 0;
    ssize_t n = g_mime_stream_read(self->source, (char *) self->in + self->z.avail_in,
                                   IN_BLOCK - self->z.avail_in);
    if (n < 0) {
        if (!errno)
            errno = EIO;
        return FALSE;
    }
    if (n == 0)
        self->source_done = TRUE;
    self->z.avail_in += (uInt) n;
    self->compressed += n;
    return TRUE;
}

typedef enum { NEXT_FAILED = -1, NEXT_END = 0, NEXT_MEMBER = 1 } NextMember;

/* What follows the last member: zeros end the data quietly, as gzip -d
 * takes them; anything else is reported. */
static NextMember
trailing_bytes(BtGunzipStream *self)
{
    for (;;) {
        for (uInt i = 0; i < self->z.avail_in; i++)
            if (self->z.next_in[i] != 0) {
                set_damage(self, g_strdup_printf(
                    "bytes that are not gzip data follow it at byte %" G_GINT64_FORMAT
                    " of the compressed file; they were not read",
                    self->compressed - (gint64) (self->z.avail_in - i)));
                return NEXT_END;
            }
        self->z.avail_in = 0;
        if (self->source_done)
            break;
        if (!fill(self))
            return NEXT_FAILED;
    }
    self->state = GUNZIP_END;
    return NEXT_END;
}

/* At a member's end: the next member begun, or the end of the data. */
static NextMember
next_member(BtGunzipStream *self)
{
    while (self->z.avail_in < 2 && !self->source_done)
        if (!fill(self))
            return NEXT_FAILED;
    if (self->z.avail_in == 0) {
        self->state = GUNZIP_END;
        return NEXT_END;
    }
    if (self->z.avail_in < 2 || self->z.next_in[0] != 0x1f || self->z.next_in[1] != 0x8b)
        return trailing_bytes(self);
    inflateReset(&self->z);
    self->state = GUNZIP_MEMBER;
    return NEXT_MEMBER;
}

static void
damaged(BtGunzipStream *self, int rc)
{
    set_damage(self, g_strdup_printf(
        "the gzip data is damaged at about byte %" G_GINT64_FORMAT " of the compressed file (%s): "
        "the rest was not read",
        self->compressed - (gint64) self->z.avail_in, self->z.msg ? self->z.msg : zError(rc)));
}

/* Inflate into buf[0, len): what there is without waiting for more input
 * once something was inflated (a slow pipe hands its messages out as
 * they come).  The bytes written; 0 at the end or at damage; -1 when the
 * source failed (errno set). */
static ssize_t
inflate_some(BtGunzipStream *self, char *buf, size_t len)
{
    self->z.next_out = (Bytef *) buf;
    self->z.avail_out = (uInt) MIN(len, (size_t) G_MAXUINT);
    for (;;) {
        ssize_t produced = (char *) self->z.next_out - buf;
        if (self->z.avail_out == 0 || self->state == GUNZIP_END)
            return produced;
        if (self->state == GUNZIP_BETWEEN) {
            if (produced > 0)
                return produced;
            NextMember next = next_member(self);
            if (next != NEXT_MEMBER)
                return next == NEXT_FAILED ? -1 : 0;
        }
        if (self->z.avail_in == 0) {
            if (produced > 0)
                return produced;
            if (!fill(self))
                return -1;
            if (self->z.avail_in == 0) {    /* the source ended inside a member */
                set_damage(self, g_strdup_printf(
                    "the gzip data is cut short (truncated after %" G_GINT64_FORMAT
                    " compressed bytes): the rest was lost", self->compressed));
                return 0;
            }
        }
        int rc = inflate(&self->z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END)
            self->state = GUNZIP_BETWEEN;
        else if (rc != Z_OK && !(rc == Z_BUF_ERROR && self->z.avail_in == 0)) {
            damaged(self, rc);
            return (char *) self->z.next_out - buf;
        }
    }
}

static ssize_t
gunzip_read(GMimeStream *stream, char *buf, size_t len)
{
    BtGunzipStream *self = (BtGunzipStream *) stream;
    if (len == 0 || self->state == GUNZIP_END)
        return 0;
    ssize_t n = inflate_some(self, buf, len);
    if (n > 0)
        stream->position += n;
    return n;
}

static gboolean
gunzip_eos(GMimeStream *stream)
{
    return ((BtGunzipStream *) stream)->state == GUNZIP_END;
}

static int
gunzip_reset(GMimeStream *stream G_GNUC_UNUSED)
{
    return -1;      /* only read on, like a pipe */
}

static void
bt_gunzip_stream_finalize(GObject *object)
{
    BtGunzipStream *self = (BtGunzipStream *) object;
    if (self->z_ready)
        inflateEnd(&self->z);
    g_clear_object(&self->source);
    g_free(self->in);
    g_free(self->damage);
    G_OBJECT_CLASS(bt_gunzip_stream_parent_class)->finalize(object);
}

static void
bt_gunzip_stream_class_init(BtGunzipStreamClass *klass)
{
    GMimeStreamClass *stream_class = GMIME_STREAM_CLASS(klass);
    bt_forward_stream_class_init(stream_class);
    G_OBJECT_CLASS(klass)->finalize = bt_gunzip_stream_finalize;
    stream_class->read = gunzip_read;
    stream_class->eos = gunzip_eos;
    stream_class->reset = gunzip_reset;
}

static void
bt_gunzip_stream_init(BtGunzipStream *self)
{
    self->in = g_malloc(IN_BLOCK);
}

GMimeStream *
bt_gunzip_stream_new(GMimeStream *source, const char *head, gsize len)
{
    BtGunzipStream *self = g_object_new(bt_gunzip_stream_get_type(), NULL);
    g_mime_stream_construct(GMIME_STREAM(self), 0, -1);
    self->source = g_object_ref(source);
    len = MIN(len, (gsize) IN_BLOCK);
    memcpy(self->in, head, len);
    self->z.next_in = self->in;
    self->z.avail_in = (uInt) len;
    self->compressed = (gint64) len;
    /* 16 + MAX_WBITS: a gzip wrapper, not zlib's (zlib.h, inflateInit2) */
    self->z_ready = inflateInit2(&self->z, 16 + MAX_WBITS) == Z_OK;
    if (!self->z_ready)
        set_damage(self, g_strdup("the gzip data could not be read: zlib could not start"));
    return GMIME_STREAM(self);
}

const char *
bt_gunzip_stream_damage(GMimeStream *stream)
{
    return IS_GUNZIP(stream) ? ((BtGunzipStream *) stream)->damage : NULL;
}
