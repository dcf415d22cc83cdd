/* parse — an entry's bytes to a BtMessage, with GMime, on whatever thread
 * triages it, so that a message's objects are built, read and freed on
 * one core.  The bytes are already capped (cap-filter.h); a CR input goes
 * through the eol filter first.  An mbox entry is parsed as an mbox of one
 * message followed by a From line, so that GMime sees its end exactly as
 * it would in the whole file; when bouncetriage reads the top-level fields
 * itself (lean-mime.h), GMime parses the top part alone, up to where that
 * From line would have ended its content.  Each message owns its bytes,
 * and frees them with its objects. */
#define _GNU_SOURCE             /* memmem, memrchr */
#include "source/source-private.h"

#include "source/eol-filter.h"
#include "core/testfault.h"
#include "core/lean-mime.h"
#include "core/headstart.h"

#include <string.h>

/* Header bytes past which a message is refused (see message_problem). */
#define BT_MAX_HEADER_BYTES (1 << 20)
/* where the next message would start: GMime only looks at "From " */
#define NEXT_FROM "From -\n"

/* ---- entries ------------------------------------------------------------ */

BtEntry *
bt_entry_new(const char *origin)
{
    BtEntry *e = g_new0(BtEntry, 1);
    e->origin = g_strdup(origin);
    e->offset = -1;
    return e;
}

static void
problem_free(gpointer p)
{
    BtProblem *problem = p;
    g_free(problem->what);
    g_free(problem);
}

void
bt_entry_add_problem(BtEntry *e, BtProblemKind kind, gint64 offset, const char *what)
{
    BtProblem *p = g_new(BtProblem, 1);
    p->kind = kind;
    p->offset = offset;
    p->what = g_strdup(what);
    if (!e->problems)
        e->problems = g_ptr_array_new_with_free_func(problem_free);
    g_ptr_array_add(e->problems, p);
}

BtEntry *
bt_entry_new_problem(const char *origin, BtProblemKind kind, gint64 offset, const char *what)
{
    BtEntry *e = bt_entry_new(origin);
    bt_entry_add_problem(e, kind, offset, what);
    return e;
}

void
bt_entry_free(BtEntry *e)
{
    if (!e)
        return;
    g_free(e->origin);
    if (e->bytes)
        g_byte_array_unref(e->bytes);
    g_free(e->note);
    if (e->problems)
        g_ptr_array_unref(e->problems);
    g_free(e);
}

/* ---- GMime -------------------------------------------------------------- */

/* GMime's warning callback has no per-parse context: the options (callback
 * included) are shared by every parse and copied into every message.  So
 * the callback notes on this thread that the parse running here saw its
 * input end too soon. */
static _Thread_local gboolean parse_truncated;

static void
parser_warning(gint64 offset G_GNUC_UNUSED, GMimeParserWarning code,
               const gchar *item G_GNUC_UNUSED, gpointer unused G_GNUC_UNUSED)
{
    if (code == GMIME_WARN_TRUNCATED_MESSAGE)
        parse_truncated = TRUE;
}

/* Two sets of options, both GMime's defaults.  With a warning callback
 * GMime decodes every header value of every message as it adds it, to
 * find what to warn about: some 90,000 instructions a bounce, a fifth of
 * its parse.  So only a parse whose truncation matters is watched: the
 * last entry of an mbox, and an mbox entry GMime could not parse at all
 * (parsed again, to say why). */
typedef struct {
    GMimeParserOptions *plain;
    GMimeParserOptions *watched;
} ParseOptions;

static gpointer
options_new(gpointer unused G_GNUC_UNUSED)
{
    bt_mime_enclosed_lazy();
    ParseOptions *options = g_new(ParseOptions, 1);
    options->plain = g_mime_parser_options_new();
    options->watched = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(options->watched, parser_warning, NULL);
    return options;
}

static const ParseOptions *
parse_options(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, options_new, NULL);
}

/* What GMime reads: the bytes (the stream owns them from here), with CR
 * line ends made LF. */
static GMimeStream *
open_bytes(GByteArray *bytes, gboolean cr)
{
    GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);
    if (!cr)
        return mem;
    GMimeStream *filtered = g_mime_stream_filter_new(mem);
    g_object_unref(mem);
    GMimeFilter *eol = bt_eol_filter_new();
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), eol);
    g_object_unref(eol);
    return filtered;
}

/* A parser per thread, kept from message to message: making a GMime
 * parser zeroes and allocates some 40,000 instructions' worth of buffers,
 * as much as 4 % of what a whole bounce costs.  Between messages it is
 * pointed at an empty stream, so that it holds no message's bytes. */
static void
parser_free(gpointer parser)
{
    g_object_unref(parser);
}

static GPrivate thread_parser = G_PRIVATE_INIT(parser_free);
static GPrivate thread_empty = G_PRIVATE_INIT(parser_free);

static GMimeParser *
parser_on(GMimeStream *stream)
{
    GMimeParser *parser = g_private_get(&thread_parser);
    if (!parser) {
        parser = g_mime_parser_new();
        g_private_set(&thread_parser, parser);
        g_private_set(&thread_empty, g_mime_stream_mem_new());
    }
    g_mime_parser_init_with_stream(parser, stream);
    return parser;
}

static void
parser_release(GMimeParser *parser)
{
    g_mime_parser_init_with_stream(parser, g_private_get(&thread_empty));
}

/* LF bytes are parsed in place: GMime's parts then read their content
 * from the message's own buffer (which they keep alive) instead of a
 * copy, which halves the memory of a big message and spares the copy.
 * Filtered (CR) bytes cannot be: a filter stream has no positions. */
static GMimeObject *
parse_stream(GMimeStream *stream, gboolean cr, gboolean mbox, GMimeParserOptions *options)
{
    GMimeParser *parser = parser_on(stream);
    g_mime_parser_set_format(parser, mbox ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
    g_mime_parser_set_persist_stream(parser, !cr);
    GMimeMessage *mime = g_mime_parser_construct_message(parser, options);
    parser_release(parser);
    return mime ? GMIME_OBJECT(mime) : NULL;
}

/* The top part alone, from the Content-* fields lean-top left (LF bytes). */
static GMimeObject *
parse_part(GMimeStream *stream, GMimeParserOptions *options)
{
    GMimeParser *parser = parser_on(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    g_mime_parser_set_persist_stream(parser, TRUE);
    GMimeObject *part = g_mime_parser_construct_part(parser, options);
    parser_release(parser);
    return part;
}

/* Does the line at `line` (up to `end`) look like a header field or its
 * continuation? */
static gboolean
is_field_line(const char *line, const char *end)
{
    return line < end && (*line == ' ' || *line == '\t' || bt_mime_plain_name_length(line, end) > 0);
}

/* The start of the line before the one at `line`, or NULL at `data`. */
static const char *
line_before(const char *data, const char *line)
{
    if (line <= data)
        return NULL;
    const char *nl = line - 1 > data ? memrchr(data, '\n', (gsize) (line - 1 - data)) : NULL;
    return nl ? nl + 1 : data;
}

/* Is the line at `line` inside a header block that a MIME boundary line
 * opens (the lines from there up to the boundary are all fields)? */
static gboolean
in_part_header(const char *data, const char *line, const char *end)
{
    for (const char *l = line; l; l = line_before(data, l)) {
        const char *nl = memchr(l, '\n', (gsize) (end - l));
        const char *le = nl ? nl : end;
        if (le - l >= 2 && l[0] == '-' && l[1] == '-')
            return l != line;
        if (!is_field_line(l, le))
            return FALSE;
    }
    return FALSE;
}

/* Can an mbox entry followed by another be parsed as a part, without the
 * next From_ line?  GMime ends a message's content at that line and gives
 * it the line end before it, so cutting that line end off gives the same
 * content, unless the line end belongs to no content: the empty line
 * that ends a header block (the message's or a part's) with nothing
 * after it, or a MIME boundary line (the content after the end boundary
 * is then one empty line, which GMime keeps as "" and the cut leaves
 * unset; bouncetriage reads neither).  `head_end`: where the message's
 * header ends (its empty line). */
static gboolean
ends_in_content(const GByteArray *bytes, gsize head_end)
{
    const char *data = (const char *) bytes->data;
    gsize n = bytes->len;
    if (n < 2 || data[n - 1] != '\n' || n - 1 <= head_end)
        return FALSE;
    const char *end = data + n - 1;
    const char *last = line_before(data, end + 1);
    if (last == end) {                  /* an empty last line */
        const char *x = line_before(data, last);
        if (!x || x[0] == '\n')
            return x != NULL;
        if (x[0] == '-' && x[1] == '-')  /* an end boundary, not an opening one */
            return last - x >= 5 && last[-2] == '-' && last[-3] == '-';
        return !in_part_header(data, x, end);
    }
    return !(last[0] == '-' && last[1] == '-') && !in_part_header(data, last, end);
}

/* `watch`: *truncated is to tell whether GMime saw the input end too soon
 * (else it is only told for a parse that failed). */
/* The top-level header's own fields taken from LF bytes (lean-mime.h),
 * past an mbox entry's From_ line; *start is where GMime's part begins. */
static BtMimeTop *
take_top(GByteArray *bytes, gboolean mbox, gsize *start)
{
    gsize from = 0;
    if (mbox) {
        const char *nl = bytes->len > 5 && memcmp(bytes->data, "From ", 5) == 0
            ? memchr(bytes->data, '\n', bytes->len) : NULL;
        if (!nl)
            return NULL;
        from = (gsize) (nl - (const char *) bytes->data) + 1;
    }
    return bt_mime_top_take(bytes, from, start);
}

/* Where the message's header ends (its empty line) in bytes that
 * lean-top rewrote, looking from `start`. */
static gsize
head_end(const GByteArray *bytes, gsize start)
{
    const char *data = (const char *) bytes->data;
    if (start < bytes->len && data[start] == '\n')
        return start;
    const char *p = start < bytes->len ? memmem(data + start, bytes->len - start, "\n\n", 2) : NULL;
    return p ? (gsize) (p + 1 - data) : bytes->len;
}

/* `next`: another mbox entry follows this one.  A top-level block that
 * lean-top reads is parsed as the top part alone (no GMimeMessage). */
static GMimeObject *
parse_bytes(GByteArray *bytes, gboolean cr, gboolean mbox, gboolean next, gboolean watch, gboolean *truncated)
{
    const ParseOptions *options = parse_options();
    const guint8 *nl = mbox ? memchr(bytes->data, '\n', bytes->len) : NULL;
    bt_header_unindent(bytes, nl ? (gsize) (nl - bytes->data) + 1 : 0);
    gsize start = 0, end = bytes->len;
    BtMimeTop *top = cr ? NULL : take_top(bytes, mbox, &start);
    gboolean as_part = top && (!next || ends_in_content(bytes, head_end(bytes, start)));
    if (as_part) {
        if (mbox)   /* past the From_ line, which lean-top moved to `start` */
            start = (gsize) ((const char *) memchr(bytes->data + start, '\n', bytes->len - start)
                             - (const char *) bytes->data) + 1;
        if (next)
            end--;
    } else if (next) {
        as_part = FALSE;
        g_byte_array_append(bytes, (const guint8 *) NEXT_FROM, sizeof NEXT_FROM - 1);
        end = bytes->len;
    }
    GMimeStream *stream = open_bytes(bytes, cr);
    if (start > 0 || end < bytes->len)
        g_mime_stream_set_bounds(stream, (gint64) start, (gint64) end);
    GMimeParserOptions *how = watch ? options->watched : options->plain;
    parse_truncated = FALSE;
    GMimeObject *mime = as_part ? parse_part(stream, how) : parse_stream(stream, cr, mbox, how);
    if (!mime && !watch && mbox) {
        g_mime_stream_reset(stream);
        GMimeObject *again = as_part ? parse_part(stream, options->watched)
                                     : parse_stream(stream, cr, mbox, options->watched);
        g_clear_object(&again);
    }
    *truncated = parse_truncated;
    g_object_unref(stream);
    if (mime && top)
        bt_mime_top_attach(mime, top);
    else if (top)
        bt_mime_top_free(top);
    return mime;
}

/* ---- is it a message ---------------------------------------------------- */

/* A byte a mail system does not put in a field's value: a control
 * character other than folding white space, or DEL. */
static inline gboolean
value_byte_is_bad(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

#define ONES  G_GUINT64_CONSTANT(0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT(0x8080808080808080)

/* Does the word hold a byte under 0x20 or a DEL?  Exact for both (the
 * borrow of the subtraction reaches a higher byte only after a lower one
 * was under the bound), so a word without either is passed whole. */
static inline gboolean
word_may_be_bad(guint64 w)
{
    guint64 del = w ^ (ONES * 0x7f);
    return (((w - ONES * 0x20) & ~w) | ((del - ONES) & ~del)) & HIGHS;
}

/* `len` bytes of a value, 8 at a time: most header bytes are printable,
 * and only a word with a control byte (a fold's newline and tab) is
 * looked at byte by byte. */
static gboolean
value_is_clean(const char *value, gsize len)
{
    const unsigned char *p = (const unsigned char *) value;
    gsize i = 0;
    for (; i + 8 <= len; i += 8) {
        guint64 w;
        memcpy(&w, p + i, 8);
        if (!word_may_be_bad(w))
            continue;
        for (gsize k = i; k < i + 8; k++)
            if (value_byte_is_bad(p[k]))
                return FALSE;
    }
    for (; i < len; i++)
        if (value_byte_is_bad(p[i]))
            return FALSE;
    return TRUE;
}

/* A header field as a mail system would write it: a printable US-ASCII
 * name, and a value without control characters other than folding white
 * space.  Random bytes that GMime happened to split at a colon fail this.
 * The value's length is added to `*bytes` (a NULL value is empty). */
static gboolean
field_is_well_formed(const char *name, const char *value, gsize *bytes)
{
    gsize len = value ? strlen(value) : 0;
    *bytes += len;
    if (!name || !*name)
        return FALSE;
    for (const char *p = name; *p; p++)
        if (*p < '!' || *p > '~')
            return FALSE;
    return value_is_clean(value, len);
}

/* How many of the message's own fields are well formed, of how many, and
 * the bytes of their values. */
static void
count_top_fields(const BtMimeTop *top, guint *good, guint *all, gsize *bytes)
{
    for (guint i = 0; i < bt_mime_top_count(top); i++, (*all)++)
        *good += field_is_well_formed(bt_mime_top_name(top, i), bt_mime_top_raw(top, i), bytes);
}

/* The same for the fields GMime kept on the top part. */
static void
count_part_fields(GMimeObject *object, guint *good, guint *all, gsize *bytes)
{
    GMimeHeaderList *headers = object ? g_mime_object_get_header_list(object) : NULL;
    int count = headers ? g_mime_header_list_get_count(headers) : 0;
    for (int i = 0; i < count; i++, (*all)++) {
        GMimeHeader *header = g_mime_header_list_get_header_at(headers, i);
        *good += field_is_well_formed(g_mime_header_get_name(header), g_mime_header_get_raw_value(header),
                                      bytes);
    }
}

/* Is the header block one a mail system wrote?  Random bytes that GMime
 * splits at colons give fields too, and now and then one of them passes
 * (a printable name such as "{" before 8-bit bytes): a header is taken
 * only when at least half of its fields are well formed.  `*bytes` is
 * the size of the fields' values, read in the same pass. */
static gboolean
header_is_mail(GMimeObject *mime, gsize *bytes)
{
    guint good = 0, all = 0;
    *bytes = 0;
    count_top_fields(bt_mime_top_of(mime), &good, &all, bytes);
    count_part_fields(bt_mime_body_of(mime), &good, &all, bytes);
    return good > 0 && good * 2 >= all;
}

/* Why this parse is not a message we can use, or NULL when it is one.
 * GMime keeps Content-* fields on the top part, the rest on the message.
 * No mail system writes a megabyte of header; such input is corrupt or
 * hostile, and every later stage would pay for it. */
static char *
message_problem(GMimeObject *mime)
{
    if (!mime)
        return g_strdup("not a mail message: GMime could not parse it");
    gsize bytes;
    if (!header_is_mail(mime, &bytes))
        return g_strdup("not a mail message: its header fields are not well formed");
    if (bytes > BT_MAX_HEADER_BYTES)
        return g_strdup_printf("header of %.1f MB is over the %d MiB limit; message skipped",
                               bytes / 1e6, BT_MAX_HEADER_BYTES >> 20);
    return NULL;
}

/* ---- entries to messages ------------------------------------------------ */

static BtMessage *
message_new(BtEntry *e, GMimeObject *mime, gsize size)
{
    BtMessage *msg = bt_message_new(e->origin, e->offset, mime);
    msg->size = size;
    msg->note = g_steal_pointer(&e->note);
    return msg;
}

static BtMessage *
accept_single(BtEntry *e, GMimeObject *mime)
{
    g_autofree char *why = message_problem(mime);
    if (why) {
        bt_entry_add_problem(e, BT_PROBLEM_SKIPPED, -1, why);
        g_clear_object(&mime);
        return NULL;
    }
    return message_new(e, mime, e->input_bytes);
}

/* The last entry of an mbox may be cut short: GMime saw a header or a
 * multipart end too soon, or the input's last line has no line end.  A
 * message the caps cut looks truncated to GMime: it is not. */
static BtMessage *
accept_mbox(BtEntry *e, GMimeObject *mime, gboolean truncated, gsize size)
{
    if (!mime) {
        bt_entry_add_problem(e, BT_PROBLEM_SKIPPED, e->offset, e->last || truncated
            ? "the mbox ends in the middle of a message header; the message was skipped"
            : "the line after this From line is not a header field; the entry was skipped");
        return NULL;
    }
    g_autofree char *why = message_problem(mime);
    gboolean cut = e->last && !e->note && (truncated || e->input_cut);
    if (why) {
        if (cut)
            bt_set_str(&why, "the mbox ends in the middle of a message; the message was skipped");
        bt_entry_add_problem(e, BT_PROBLEM_SKIPPED, e->offset, why);
        g_object_unref(mime);
        return NULL;
    }
    if (cut)
        bt_entry_add_problem(e, BT_PROBLEM_SKIPPED, e->offset,
                             "the mbox ends in the middle of this message; the part before the cut is passed on");
    return message_new(e, mime, size);
}

BtMessage *
bt_entry_parse(BtEntry *e)
{
    if (!e->bytes)
        return NULL;
    GByteArray *bytes = g_steal_pointer(&e->bytes);   /* the stream's from here */
    bt_test_fault_parse((const char *) bytes->data, bytes->len);
    gsize size = bytes->len;
    gboolean truncated;
    GMimeObject *mime = parse_bytes(bytes, e->cr, e->mbox, e->mbox && !e->last, e->mbox && e->last, &truncated);
    BtMessage *msg = e->mbox ? accept_mbox(e, mime, truncated, size) : accept_single(e, mime);
    e->parsed = msg != NULL;
    return msg;
}
