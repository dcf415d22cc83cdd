/* reader — the entries of one open input.  The first block is sniffed:
 * "From " at the very start means an mbox, anything else one message; a CR
 * in it means bare-CR or CRLF line ends, which the parser will convert.
 * An Apple Mail .emlx says how long its message is on its first line:
 * what follows the message (Mail's property list) is not read.
 * Then the input streams through the cap splitter (cap-filter.h) in blocks:
 * it applies the caps and cuts the mbox at its From lines, so that each
 * entry holds the bytes of one message, bounded whatever the input holds.
 * Nothing is parsed here: the reader is the one serial step of a parallel
 * run, and finding lines costs a fraction of what parsing them does. */
#include "source/reader.h"

#include "source/cap-filter.h"
#include "source/decompress.h"
#include "source/magic.h"
#include "source/source-private.h"
#include "core/headstart.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK_SIZE (64 * 1024)
/* what the kind of input and its line ends are decided on: the first
 * block is this long unless the input is shorter */
#define SNIFF_SIZE 4096
/* "a:b" and a line end: nothing shorter can hold a header field */
#define MIN_MESSAGE_SIZE 4
/* what the splitter may hold back at the end of a block ("From" is 4) */
#define HELD_MAX 8

typedef enum {
    READER_START,
    READER_READING,
    READER_DONE,
} ReaderState;

struct _BtReader {
    char *origin;
    gboolean is_file;
    gint64 file_size;        /* size of a regular file, -1 for a pipe */
    ReaderState state;

    GMimeStream *input;
    BtCapSplitter *split;
    gboolean mbox;
    gboolean cr;
    gboolean inflating;      /* input is a gzip input's inflated bytes */
    gint64 message_left;     /* bytes of message the input said are still to come (.emlx); -1: no say */
    GQueue ready;            /* BtEntry*, found and not handed out yet */

    char *block;             /* BLOCK_SIZE, after what was held back */
    gsize held;              /* bytes at the start of block held back by the splitter */
    guint64 bytes;           /* read from the input so far */
    int last_byte;           /* the last byte read, -1 before any */
    int error;               /* errno of a failed read, 0 */
};

static void
report(BtReader *r, BtProblemKind kind, const char *what)
{
    g_queue_push_tail(&r->ready, bt_entry_new_problem(r->origin, kind, -1, what));
}

BtReader *
bt_reader_new_for_stream(GMimeStream *input, const char *origin)
{
    BtReader *r = g_new0(BtReader, 1);
    r->origin = g_strdup(origin);
    r->state = READER_START;
    r->file_size = -1;
    r->last_byte = -1;
    r->message_left = -1;
    r->input = g_object_ref(input);
    g_queue_init(&r->ready);
    return r;
}

BtReader *
bt_reader_new(int fd, gboolean owns_fd, const char *origin)
{
    /* a pipe stream only reads on: it works for files and pipes alike */
    GMimeStream *input = g_mime_stream_pipe_new(fd);
    g_mime_stream_pipe_set_owner(GMIME_STREAM_PIPE(input), owns_fd);
    BtReader *r = bt_reader_new_for_stream(input, origin);
    g_object_unref(input);

    struct stat st;
    r->is_file = owns_fd;
    r->file_size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (gint64) st.st_size : -1;
    return r;
}

void
bt_reader_free(BtReader *r)
{
    if (!r)
        return;
    bt_cap_splitter_free(r->split);
    g_queue_clear_full(&r->ready, (GDestroyNotify) bt_entry_free);
    g_clear_object(&r->input);
    g_free(r->block);
    g_free(r->origin);
    g_free(r);
}

guint64
bt_reader_bytes(BtReader *r)
{
    gint64 read = (gint64) r->bytes;
    /* a file given up early still counts whole, so that progress ends at 100% */
    if (r->state == READER_DONE)
        read = MAX(read, r->file_size);
    return (guint64) read;
}

/* One read of up to size bytes into buf: what the input has now, 0 at
 * its end, -1 on error (r->error set). */
static gssize
read_some(BtReader *r, char *buf, gsize size)
{
    errno = 0;
    ssize_t n = g_mime_stream_read(r->input, buf, size);
    if (n < 0) {
        r->error = errno ? errno : EIO;
        return -1;
    }
    r->bytes += (guint64) n;
    if (n > 0)
        r->last_byte = (unsigned char) buf[n - 1];
    return n;
}

/* Read up to size bytes into buf; fewer only at the end of the input; -1
 * on error. */
static gssize
read_block(BtReader *r, char *buf, gsize size)
{
    gsize got = 0;
    while (got < size) {
        gssize n = read_some(r, buf + got, size - got);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (gsize) n;
    }
    return (gssize) got;
}

/* One message found by the splitter: an entry, in order. */
static void
on_piece(BtCapPiece *piece, gpointer data)
{
    BtReader *r = data;
    BtEntry *e = bt_entry_new(r->origin);
    e->offset = piece->offset;
    e->bytes = piece->bytes;
    e->note = piece->note;
    e->boundaries = piece->boundaries;
    e->mbox = r->mbox;
    e->cr = r->cr;
    g_queue_push_tail(&r->ready, e);
}

/* The input is done (or failed): the last message, then a read error. */
static void
finish(BtReader *r)
{
    if (r->split && !(r->error && !r->mbox)) {
        /* a read error costs a single message: part of one is not one */
        guint before = g_queue_get_length(&r->ready);
        bt_cap_splitter_finish(r->split);
        BtEntry *last = g_queue_get_length(&r->ready) > before ? g_queue_peek_tail(&r->ready) : NULL;
        if (last) {
            last->last = TRUE;
            last->input_cut = r->last_byte != '\n' && r->last_byte != '\r';
            last->input_bytes = (gsize) MAX((gint64) r->bytes, r->file_size);
        }
    }
    g_clear_pointer(&r->split, bt_cap_splitter_free);
    if (r->error) {
        g_autofree char *what = g_strdup_printf("cannot read: %s", g_strerror(r->error));
        report(r, BT_PROBLEM_UNREADABLE, what);
    }
    if (bt_gunzip_stream_damage(r->input))
        report(r, BT_PROBLEM_SKIPPED, bt_gunzip_stream_damage(r->input));
    r->state = READER_DONE;
}

/* Give the splitter block[0, len); what it holds back moves to the start. */
static void
feed(BtReader *r, const char *data, gsize len, gboolean last)
{
    gsize held = bt_cap_splitter_feed(r->split, data, len, last);
    g_assert(held <= HELD_MAX);
    memmove(r->block, data + len - held, held);
    r->held = held;
}

/* Where the message starts in the first block: past an .emlx byte count
 * (which also says where it ends), or past blank-looking lines or a
 * ">From " residue before the header. */
static gsize
message_start(BtReader *r, gsize n)
{
    guint64 count = 0;
    gsize count_line = bt_header_emlx_count(r->block, n, &count);
    if (count_line) {
        r->message_left = (gint64) MIN(count, (guint64) G_MAXINT64);
        return count_line;
    }
    return bt_header_junk_length(r->block, n);
}

/* Of `len` bytes just read at `data`, how many belong to the message: all
 * of them unless the input said how long the message is. */
static gsize
within_message(BtReader *r, const char *data, gsize len)
{
    if (r->message_left < 0)
        return len;
    gsize take = (gsize) MIN((guint64) len, (guint64) r->message_left);
    r->message_left -= (gint64) take;
    if (take > 0)   /* the message's last byte, not what follows it */
        r->last_byte = (unsigned char) data[take - 1];
    return take;
}

/* A gzip input is read through a stream that inflates it (decompress.h),
 * from the first block again: the block now holds the first inflated
 * bytes, n of them, and offsets count inflated bytes.  Other files that
 * are not mail are named from their first bytes and not read (magic.h):
 * FALSE, reported. */
static gboolean
read_through_magic(BtReader *r, gssize *n)
{
    const BtMagic *magic = bt_magic_identify(r->block, (gsize) *n);
    if (!magic)
        return TRUE;
    if (magic->kind == BT_MAGIC_GZIP && !r->inflating) {
        GMimeStream *inflated = bt_gunzip_stream_new(r->input, r->block, (gsize) *n);
        g_object_unref(r->input);
        r->input = inflated;
        r->inflating = TRUE;
        r->file_size = -1;      /* the compressed size says nothing of what is read */
        r->bytes = 0;
        r->last_byte = -1;
        *n = read_block(r, r->block, SNIFF_SIZE);
        /* damaged before its first byte: that is the whole report */
        return *n <= 0 ? *n < 0 || !bt_gunzip_stream_damage(r->input) : read_through_magic(r, n);
    }
    g_autofree char *what = bt_magic_describe(magic, r->origin);
    report(r, BT_PROBLEM_SKIPPED, what);
    return FALSE;
}

/* Sniff the first block and set up the splitter; FALSE when the input ends
 * there (empty, too short, unreadable), reported. */
static gboolean
open_input(BtReader *r)
{
    r->block = g_malloc(HELD_MAX + BLOCK_SIZE);
    gssize n = read_block(r, r->block, SNIFF_SIZE);

    if (n > 0 && !read_through_magic(r, &n)) {
        finish(r);
        return FALSE;
    }
    if (n < 0) {
        finish(r);
        return FALSE;
    }
    if (n == 0) {
        report(r, BT_PROBLEM_SKIPPED, r->is_file ? "empty file" : "empty input");
        finish(r);
        return FALSE;
    }
    if (n < MIN_MESSAGE_SIZE) {
        g_autofree char *what = g_strdup_printf(
            "not a mail message: %d byte%s, too short to hold a header field",
            (int) n, n == 1 ? "" : "s");
        report(r, BT_PROBLEM_SKIPPED, what);
        finish(r);
        return FALSE;
    }

    gsize junk = message_start(r, (gsize) n);
    gsize len = within_message(r, r->block + junk, (gsize) n - junk);
    r->mbox = len >= 5 && memcmp(r->block + junk, "From ", 5) == 0;
    r->cr = memchr(r->block + junk, '\r', len) != NULL;
    r->split = bt_cap_splitter_new(r->mbox, r->cr, on_piece, r);
    gboolean last = n < SNIFF_SIZE || r->message_left == 0;
    feed(r, r->block + junk, len, last);
    if (last)
        finish(r);
    else
        r->state = READER_READING;
    return TRUE;
}

/* What the input has now through the splitter: a message is handed out
 * as soon as the next one starts, not when a block is full (a slow pipe). */
static void
read_more(BtReader *r)
{
    gssize n = read_some(r, r->block + r->held, BLOCK_SIZE);
    gsize len = within_message(r, r->block + r->held, (gsize) MAX(n, 0));
    gboolean last = n <= 0 || r->message_left == 0;
    feed(r, r->block, r->held + len, last);
    if (last)
        finish(r);
}

BtEntry *
bt_reader_next(BtReader *r)
{
    while (g_queue_is_empty(&r->ready) && r->state != READER_DONE) {
        if (r->state == READER_START)
            open_input(r);
        else
            read_more(r);
    }
    return g_queue_pop_head(&r->ready);
}
