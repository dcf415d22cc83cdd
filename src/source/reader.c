/* reader — the messages of one open input.  The first block is sniffed:
 * "From " at the very start means an mbox, anything else one message; a CR
 * in it puts the eol filter between the input and the parser.  The layers:
 *
 *   fd → GMimeStreamPipe → replay (sniff) → filter(cap [, eol]) → replay (tell) → parser
 *
 * The cap filter (cap-filter.h) bounds what GMime builds of each message.
 * The replay layers let the reader read the first block of a pipe and then
 * parse it from the start, give the parser a position to report mbox
 * markers in (a filter stream has none), and restart the parser just after
 * an mbox entry it could not parse, so that one bad entry does not cost the
 * rest of the file.  Messages are parsed with persist_stream off: each one
 * owns its bytes and outlives the reader. */
#include "source/reader.h"

#include "source/cap-filter.h"
#include "source/eol-filter.h"
#include "source/replay-stream.h"
#include "core/headstart.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNIFF_SIZE 4096
/* far more than the few KiB GMime's parser reads ahead of its position */
#define HISTORY_SIZE (64 * 1024)
/* "a:b" and a line end: nothing shorter can hold a header field */
#define MIN_MESSAGE_SIZE 4
/* Header bytes past which a message is refused (see message_problem). */
#define BT_MAX_HEADER_BYTES (1 << 20)

typedef enum {
    READER_START,
    READER_SINGLE,
    READER_MBOX,
    READER_DONE,
} ReaderState;

struct _BtReader {
    char *origin;
    gboolean is_file;
    gint64 file_size;        /* size of a regular file, -1 for a pipe */
    BtReaderReport report;
    gpointer report_data;
    ReaderState state;

    GMimeStream *raw;        /* replay stream straight over the input */
    GMimeStream *parsed;     /* what the parser reads: a replay over the filters */
    BtCapFilter *cap;
    BtEolFilter *eol;        /* NULL for LF input */
    GMimeParser *parser;
    GMimeParserOptions *options;
    gboolean mbox;

    gint64 last_marker;      /* parser offset of the last From line seen */
    gint64 last_restart;     /* parser offset of the last restart */
    gint64 next_from;        /* where the last message ended: the next From line, or -1 */
    gboolean truncated;      /* GMime said the message being parsed is truncated */
};

/* GMime's warning callback has no per-parse context that is safe to keep:
 * the options (callback included) are copied into every message, which
 * may be parsed further on other threads after the reader is gone.  So the
 * callback looks at the reader parsing on this thread, if any. */
static _Thread_local BtReader *parsing_reader;

static void
parser_warning(gint64 offset G_GNUC_UNUSED, GMimeParserWarning code,
               const gchar *item G_GNUC_UNUSED, gpointer unused G_GNUC_UNUSED)
{
    if (parsing_reader && code == GMIME_WARN_TRUNCATED_MESSAGE)
        parsing_reader->truncated = TRUE;
}

static void
report(BtReader *r, BtProblemKind kind, gint64 offset, const char *what)
{
    if (r->report)
        r->report(kind, r->origin, offset, what, r->report_data);
}

/* Stop reading; a read error seen on the way is reported now. */
static void
finish(BtReader *r)
{
    int err = r->raw ? bt_replay_stream_error(BT_REPLAY_STREAM(r->raw)) : 0;
    if (err) {
        g_autofree char *what = g_strdup_printf("cannot read: %s", g_strerror(err));
        report(r, BT_PROBLEM_UNREADABLE, -1, what);
    }
    r->state = READER_DONE;
}

BtReader *
bt_reader_new_for_stream(GMimeStream *input, const char *origin, BtReaderReport report_fn,
                         gpointer data)
{
    BtReader *r = g_new0(BtReader, 1);
    r->origin = g_strdup(origin);
    r->report = report_fn;
    r->report_data = data;
    r->state = READER_START;
    r->file_size = -1;
    r->last_marker = -1;
    r->last_restart = -1;
    r->next_from = -1;
    r->raw = bt_replay_stream_new(input, HISTORY_SIZE);
    r->options = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(r->options, parser_warning, NULL);
    return r;
}

BtReader *
bt_reader_new(int fd, gboolean owns_fd, const char *origin, BtReaderReport report_fn,
              gpointer data)
{
    /* a pipe stream only reads on: it works for files and pipes alike */
    GMimeStream *input = g_mime_stream_pipe_new(fd);
    g_mime_stream_pipe_set_owner(GMIME_STREAM_PIPE(input), owns_fd);
    BtReader *r = bt_reader_new_for_stream(input, origin, report_fn, data);
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
    g_clear_object(&r->parser);
    g_clear_object(&r->parsed);
    g_clear_object(&r->eol);
    g_clear_object(&r->cap);
    g_clear_object(&r->raw);
    g_mime_parser_options_free(r->options);
    g_free(r->origin);
    g_free(r);
}

guint64
bt_reader_bytes(BtReader *r)
{
    gint64 read = bt_replay_stream_high_water(BT_REPLAY_STREAM(r->raw));
    /* a file given up early still counts whole, so that progress ends at 100% */
    if (r->state == READER_DONE)
        read = MAX(read, r->file_size);
    return (guint64) read;
}

/* Read up to size bytes; fewer only at the end of the input; -1 on error. */
static gssize
read_block(GMimeStream *stream, char *buf, gsize size)
{
    gsize got = 0;
    while (got < size) {
        ssize_t n = g_mime_stream_read(stream, buf + got, size - got);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (gsize) n;
    }
    return (gssize) got;
}

/* (Re)start the parser on r->parsed at its current position. */
static void
start_parser(BtReader *r)
{
    if (!r->parser)
        r->parser = g_mime_parser_new();
    g_mime_parser_init_with_stream(r->parser, r->parsed);
    g_mime_parser_set_format(r->parser, r->mbox ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
    g_mime_parser_set_persist_stream(r->parser, FALSE);
}

/* Put the cap filter, and the eol filter for CR line ends, between the
 * input and the parser.  The cap sees the input's own line ends. */
static void
add_filters(BtReader *r, gboolean cr)
{
    GMimeStream *filtered = g_mime_stream_filter_new(r->raw);
    r->cap = BT_CAP_FILTER(bt_cap_filter_new(r->mbox, cr));
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), GMIME_FILTER(r->cap));
    if (cr) {
        r->eol = BT_EOL_FILTER(bt_eol_filter_new());
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), GMIME_FILTER(r->eol));
    }
    r->parsed = bt_replay_stream_new(filtered, HISTORY_SIZE);
    g_object_unref(filtered);
}

/* Sniff the first block and set up the parser; FALSE when the input ends
 * there (empty, too short, unreadable), reported. */
static gboolean
open_input(BtReader *r)
{
    char block[SNIFF_SIZE];
    gssize n = read_block(r->raw, block, sizeof block);

    if (n < 0) {
        finish(r);
        return FALSE;
    }
    if (n == 0) {
        report(r, BT_PROBLEM_SKIPPED, -1, r->is_file ? "empty file" : "empty input");
        finish(r);
        return FALSE;
    }
    if (n < MIN_MESSAGE_SIZE) {
        g_autofree char *what = g_strdup_printf(
            "not a mail message: %d byte%s, too short to hold a header field",
            (int) n, n == 1 ? "" : "s");
        report(r, BT_PROBLEM_SKIPPED, -1, what);
        finish(r);
        return FALSE;
    }

    /* blank-looking lines or a ">From " residue before the header: skipped */
    gsize junk = bt_header_junk_length(block, (gsize) n);
    r->mbox = n - (gssize) junk >= 5 && memcmp(block + junk, "From ", 5) == 0;
    bt_replay_stream_rewind(BT_REPLAY_STREAM(r->raw), (gint64) junk);
    add_filters(r, memchr(block, '\r', (gsize) n) != NULL);
    start_parser(r);
    r->state = r->mbox ? READER_MBOX : READER_SINGLE;
    return TRUE;
}

static GMimeMessage *
parse_one(BtReader *r)
{
    r->truncated = FALSE;
    parsing_reader = r;
    GMimeMessage *mime = g_mime_parser_construct_message(r->parser, r->options);
    parsing_reader = NULL;
    return mime;
}

/* A header field as a mail system would write it: a printable US-ASCII
 * name, and a value without control characters other than folding white
 * space.  Random bytes that GMime happened to split at a colon fail this. */
static gboolean
header_is_well_formed(GMimeHeader *header)
{
    const char *name = g_mime_header_get_name(header);
    const char *value = g_mime_header_get_raw_value(header);

    if (!name || !*name)
        return FALSE;
    for (const char *p = name; *p; p++)
        if (*p < '!' || *p > '~')
            return FALSE;
    for (const unsigned char *p = (const unsigned char *) (value ? value : ""); *p; p++)
        if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n') || *p == 0x7f)
            return FALSE;
    return TRUE;
}

static gboolean
has_well_formed_header(GMimeObject *object)
{
    GMimeHeaderList *headers = object ? g_mime_object_get_header_list(object) : NULL;
    int count = headers ? g_mime_header_list_get_count(headers) : 0;
    for (int i = 0; i < count; i++)
        if (header_is_well_formed(g_mime_header_list_get_header_at(headers, i)))
            return TRUE;
    return FALSE;
}

static gsize
header_bytes(GMimeObject *object)
{
    GMimeHeaderList *headers = object ? g_mime_object_get_header_list(object) : NULL;
    int count = headers ? g_mime_header_list_get_count(headers) : 0;
    gsize total = 0;
    for (int i = 0; i < count; i++) {
        const char *value = g_mime_header_get_raw_value(g_mime_header_list_get_header_at(headers, i));
        total += value ? strlen(value) : 0;
    }
    return total;
}

/* Why this parse is not a message we can use, or NULL when it is one.
 * GMime keeps Content-* fields on the top part, the rest on the message.
 * No mail system writes a megabyte of header; such input is corrupt or
 * hostile, and every later stage would pay for it. */
static char *
message_problem(GMimeMessage *mime)
{
    if (!mime)
        return g_strdup("not a mail message: GMime could not parse it");
    if (!has_well_formed_header(GMIME_OBJECT(mime)) &&
        !has_well_formed_header(g_mime_message_get_mime_part(mime)))
        return g_strdup("not a mail message: no well-formed header field");
    gsize bytes = header_bytes(GMIME_OBJECT(mime)) + header_bytes(g_mime_message_get_mime_part(mime));
    if (bytes > BT_MAX_HEADER_BYTES)
        return g_strdup_printf("header of %.1f MB is over the %d MiB limit; message skipped",
                               bytes / 1e6, BT_MAX_HEADER_BYTES >> 20);
    return NULL;
}

static BtMessage *
next_single(BtReader *r)
{
    GMimeMessage *mime = parse_one(r);
    gboolean failed = bt_replay_stream_error(BT_REPLAY_STREAM(r->raw)) != 0;
    g_autofree char *why = message_problem(mime);

    finish(r);
    if (failed || why) {
        /* a read error was reported by finish: part of a message is not one */
        if (!failed)
            report(r, BT_PROBLEM_SKIPPED, -1, why);
        g_clear_object(&mime);
        return NULL;
    }
    BtMessage *msg = bt_message_new(r->origin, -1, mime);
    msg->size = (gsize) bt_reader_bytes(r);
    msg->note = bt_cap_filter_take_note(r->cap, 0);
    return msg;
}

/* Where a From line the parser reported is in the cap filter's output. */
static gint64
capped_offset(BtReader *r, gint64 marker)
{
    if (marker < 0 || !r->eol)
        return marker;
    return bt_eol_filter_input_offset(r->eol, marker);
}

/* The offset in the original input of a From line the parser reported. */
static gint64
original_offset(BtReader *r, gint64 marker)
{
    gint64 capped = capped_offset(r, marker);
    return capped < 0 ? capped : bt_cap_filter_input_offset(r->cap, capped);
}

/* Restart the parser where it stopped, so that it looks for the next From
 * line; FALSE if it would not move forward. */
static gboolean
restart_parser(BtReader *r)
{
    gint64 position = g_mime_parser_tell(r->parser);
    if (position <= r->last_restart ||
        !bt_replay_stream_rewind(BT_REPLAY_STREAM(r->parsed), position))
        return FALSE;
    r->last_restart = position;
    start_parser(r);
    return TRUE;
}

/* Signs that the input stops inside its last message: GMime saw a header
 * or a multipart cut short, or the last line has no line end. */
static gboolean
input_was_cut(BtReader *r)
{
    int last = bt_replay_stream_last_byte(BT_REPLAY_STREAM(r->raw));
    return r->truncated || (last != '\n' && last != '\r');
}

/* GMime gave no message for an entry: report it, and restart past it when
 * more input follows.  FALSE when the mbox is done. */
static gboolean
skip_failed_entry(BtReader *r, gboolean fresh, gboolean at_end, gint64 offset)
{
    /* GMime says "truncated" when the input ends inside a header */
    gboolean cut = at_end || r->truncated;

    /* a From line as the very last line is not even taken as a marker */
    if (!fresh && cut && r->next_from >= 0)
        offset = original_offset(r, r->next_from);
    if (fresh || offset >= 0)
        report(r, BT_PROBLEM_SKIPPED, offset, cut
               ? "the mbox ends in the middle of a message header; the message was skipped"
               : "the line after this From line is not a header field; the entry was skipped");
    return !cut && restart_parser(r);
}

/* The message for a parsed entry, or NULL (reported) when it is not one. */
static BtMessage *
accept_entry(BtReader *r, GMimeMessage *mime, gint64 marker, gint64 offset, gboolean at_end)
{
    g_autofree char *why = message_problem(mime);
    /* a message the cap filter cut looks truncated to GMime: it is not */
    g_autofree char *note = bt_cap_filter_take_note(r->cap, MAX(0, capped_offset(r, marker)));
    gboolean cut = at_end && !note && input_was_cut(r);
    if (why) {
        if (cut)
            bt_set_str(&why, "the mbox ends in the middle of a message; the message was skipped");
        report(r, BT_PROBLEM_SKIPPED, offset, why);
        g_object_unref(mime);
        return NULL;
    }

    BtMessage *msg = bt_message_new(r->origin, offset, mime);
    msg->size = (gsize) MAX(0, g_mime_parser_tell(r->parser) - marker);
    msg->note = g_steal_pointer(&note);
    if (cut)
        report(r, BT_PROBLEM_SKIPPED, offset,
               "the mbox ends in the middle of this message; the part before the cut is passed on");
    return msg;
}

static BtMessage *
next_in_mbox(BtReader *r)
{
    for (;;) {
        GMimeMessage *mime = parse_one(r);
        gint64 marker = g_mime_parser_get_mbox_marker_offset(r->parser);
        /* a From line we had not seen: an entry began, good or bad */
        gboolean fresh = marker >= 0 && marker != r->last_marker;
        gboolean at_end = g_mime_parser_eos(r->parser) ||
                          bt_replay_stream_error(BT_REPLAY_STREAM(r->raw)) != 0;
        gint64 offset = fresh ? original_offset(r, marker) : -1;

        if (fresh)
            r->last_marker = marker;
        if (!mime) {
            if (skip_failed_entry(r, fresh, at_end, offset))
                continue;
            finish(r);
            return NULL;
        }

        /* a message that is not the last stopped at the next From line */
        r->next_from = at_end ? -1 : g_mime_parser_tell(r->parser);
        BtMessage *msg = accept_entry(r, mime, marker, offset, at_end);
        if (at_end)
            finish(r);
        if (msg || at_end)
            return msg;
    }
}

BtMessage *
bt_reader_next(BtReader *r)
{
    if (r->state == READER_START && !open_input(r))
        return NULL;

    switch (r->state) {
    case READER_SINGLE:
        return next_single(r);
    case READER_MBOX:
        return next_in_mbox(r);
    default:
        return NULL;
    }
}
