/* message — one message for --annotate and --hook: read whole into memory
 * (once: a pipe cannot be read twice), its header mapped out in the
 * original bytes, parsed by GMime from that same buffer for triage, and
 * the X-Bounce-* fields to add.  The output is the input spliced: a
 * leading mbox From_ line, the new fields, then every input byte except
 * the incoming X-Bounce-* fields, which anyone could have forged.
 *
 * Incoming X-Bounce-* fields are removed from every message, bounce or not
 * (and from one that cannot be parsed), so that a filter can trust any
 * X-Bounce-* field it sees to be ours. */
#include "flow/flow-private.h"

#include "source/cap-filter.h"
#include "source/eol-filter.h"
#include "core/headstart.h"
#include "core/lean-mime.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Same limit as the source stage: no mail system writes a megabyte of header. */
#define MAX_HEADER_BYTES (1 << 20)
/* How far to look for a CR that calls for the line-end filter, as the source does. */
#define SNIFF_SIZE 4096
#define READ_CHUNK (256 * 1024)
#define FIELD_PREFIX "X-Bounce-"

/* ---- reading ------------------------------------------------------------ */

static GByteArray *
read_all(int fd, GError **error)
{
    struct stat st;
    gsize hint = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (gsize) st.st_size + 1 : READ_CHUNK;
    GByteArray *data = g_byte_array_sized_new((guint) MIN(hint, (gsize) G_MAXUINT));

    for (;;) {
        gsize used = data->len;
        if (data->len > G_MAXUINT - READ_CHUNK) {
            g_set_error(error, BT_ERROR, BT_ERROR_IO, "the message is over 4 GB");
            g_byte_array_unref(data);
            return NULL;
        }
        g_byte_array_set_size(data, (guint) (used + READ_CHUNK));
        ssize_t n = read(fd, data->data + used, READ_CHUNK);
        g_byte_array_set_size(data, (guint) (used + MAX(n, 0)));
        if (n == 0)
            return data;
        if (n < 0 && errno != EINTR) {
            g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot read the message: %s",
                        g_strerror(errno));
            g_byte_array_unref(data);
            return NULL;
        }
    }
}

/* ---- the header in the original bytes ----------------------------------- */

/* Line ends are decided once per message, as the programs on either side
 * of the filter read it: LF ends a line for every one of them (procmail,
 * Postfix, Dovecot, Python), so a message with any LF is an LF or a CRLF
 * message, by the end of its first line; only a message without any LF is
 * a bare-CR one.  A CR that is not part of the message's line end is an
 * ordinary byte: it neither ends a line nor, alone on one, the header. */
typedef enum { EOL_LF, EOL_CRLF, EOL_CR } EolStyle;

static EolStyle
eol_style(const GByteArray *data)
{
    const guint8 *lf = memchr(data->data, '\n', data->len);
    if (lf)
        return lf > data->data && lf[-1] == '\r' ? EOL_CRLF : EOL_LF;
    return memchr(data->data, '\r', data->len) ? EOL_CR : EOL_LF;
}

/* The end of the line starting at `p` (the first byte of its line end, or
 * `end`), and in *next where the following line starts.  In a CRLF
 * message a bare LF ends a line too, as it does for every reader. */
static const guint8 *
line_end(const guint8 *p, const guint8 *end, EolStyle style, const guint8 **next)
{
    const guint8 *e = memchr(p, style == EOL_CR ? '\r' : '\n', (gsize) (end - p));
    if (!e) {
        *next = end;
        return end;
    }
    *next = e + 1;
    if (style == EOL_CRLF && e > p && e[-1] == '\r')
        e--;
    return e;
}

static const char *
eol_text(EolStyle style)
{
    return style == EOL_CRLF ? "\r\n" : style == EOL_CR ? "\r" : "\n";
}

static gboolean
is_ours(const guint8 *name, gsize len)
{
    gsize plen = strlen(FIELD_PREFIX);
    return len >= plen && g_ascii_strncasecmp((const char *) name, FIELD_PREFIX, plen) == 0;
}

static void
keep(GArray *kept, gsize offset, gsize length)
{
    if (length == 0)
        return;
    BtSpan *last = kept->len ? &g_array_index(kept, BtSpan, kept->len - 1) : NULL;
    if (last && last->offset + last->length == offset) {
        last->length += length;
        return;
    }
    BtSpan span = { offset, length };
    g_array_append_val(kept, span);
}

/* Finds the From_ line, the line ends, the header fields, and which bytes
 * are kept: everything but X-Bounce-* fields with all their continuation
 * lines (a continuation left behind would join the field before it).
 * The header ends at the first empty line.  A line in it that is not a
 * field (a lone CR in an LF message, say) does not end it here: procmail
 * reads on to the empty line, so a forged field after such a line must go
 * too.  Whole lines are kept or dropped, so no two fields are ever glued. */
static void
map_header(BtAnnotated *a)
{
    const guint8 *base = a->data->data;
    const guint8 *end = base + a->data->len;
    const guint8 *p = base;
    const guint8 *next;
    EolStyle style = eol_style(a->data);

    a->eol = eol_text(style);
    if (a->data->len >= 5 && memcmp(base, "From ", 5) == 0) {
        line_end(p, end, style, &next);
        p = next;
    }
    a->header_at = (gsize) (p - base);
    /* blank-looking lines or a ">From " residue before the first field are
     * kept as they are and skipped, as the batch source and parse() skip
     * them: an empty first line would otherwise end the header at once */
    gsize junk = bt_header_junk_length((const char *) p, MIN((gsize) (end - p), SNIFF_SIZE));
    keep(a->kept, (gsize) (p - base), junk);
    p += junk;
    a->fields_at = (gsize) (p - base);

    gboolean dropping = FALSE;
    while (p < end) {
        const guint8 *e = line_end(p, end, style, &next);
        if (e == p)
            break;                           /* the empty line before the body */
        if (*p == ' ' || *p == '\t') {
            if (!dropping)                   /* a continuation line: its field decides */
                keep(a->kept, (gsize) (p - base), (gsize) (next - p));
            p = next;
            continue;
        }
        gsize name_len = bt_mime_field_name_length((const char *) p, (const char *) e);
        a->n_fields += name_len > 0;
        dropping = name_len > 0 && is_ours(p, name_len);
        a->n_kept_fields += name_len > 0 && !dropping;
        if (!dropping)
            keep(a->kept, (gsize) (p - base), (gsize) (next - p));
        p = next;
    }
    a->header_bytes = (gsize) (p - base) - a->header_at;
    keep(a->kept, (gsize) (p - base), (gsize) (end - p));
}

/* ---- parsing and triage ------------------------------------------------- */

/* A header pasted with an indent, which GMime refuses, is read from a
 * copy without the indent (bt_header_unindent, as the batch source does);
 * `capped`, a copy already, is unindented in place.  Returns the copy to
 * parse, or NULL for the buffer itself. */
static GByteArray *
unindented(const guint8 *data, gsize len, GByteArray *capped)
{
    if (!len || (data[0] != ' ' && data[0] != '\t'))
        return capped;
    if (capped) {
        bt_header_unindent(capped, 0);
        return capped;
    }
    GByteArray *copy = g_byte_array_append(g_byte_array_sized_new((guint) len), data, (guint) len);
    if (bt_header_unindent(copy, 0) == 0) {
        g_byte_array_unref(copy);
        return NULL;
    }
    return copy;
}

/* GMime over the buffer itself (no copy), past the From_ line; CR line
 * ends go through the source's eol filter, as in batch mode, so extract
 * sees the same text either way.  A message over the source's caps
 * (cap-filter.h) is parsed from a capped copy instead, *note saying why;
 * the output still splices every original byte. */
static GMimeMessage *
parse(BtAnnotated *a, char **note)
{
    /* blank-looking lines before the header are skipped (map_header) */
    gsize at = a->fields_at;
    g_autoptr(GByteArray) capped = bt_cap_copy((const char *) a->data->data + at, a->data->len - at, note);
    capped = unindented(a->data->data + at, a->data->len - at, g_steal_pointer(&capped));
    GMimeStream *stream;
    if (capped) {
        /* the stream owns the copy: the parsed parts point into it */
        stream = g_mime_stream_mem_new_with_byte_array(g_steal_pointer(&capped));
    } else {
        GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(a->data);
        g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
        stream = g_mime_stream_substream(mem, (gint64) at, (gint64) a->data->len);
        g_object_unref(mem);
    }

    gsize sniff = MIN(a->data->len - at, SNIFF_SIZE);
    if (memchr(a->data->data + at, '\r', sniff)) {
        GMimeStream *filtered = g_mime_stream_filter_new(stream);
        GMimeFilter *eol = bt_eol_filter_new();
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), eol);
        g_object_unref(eol);
        g_object_unref(stream);
        stream = filtered;
    }

    bt_mime_enclosed_lazy();
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *mime = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    return mime;
}

/* Why the input is no message to triage, or NULL when it is one. */
static char *
unparsable_because(const BtAnnotated *a)
{
    if (a->data->len == 0)
        return g_strdup("empty input");
    if (a->n_fields == 0)
        return g_strdup("not a mail message: no header field");
    /* only forged verdicts, all dropped: without a field of its own the
     * output would lose the header, or be empty */
    if (a->n_kept_fields == 0)
        return g_strdup("not a mail message: no header field but X-Bounce-* ones");
    if (a->header_bytes > MAX_HEADER_BYTES)
        return g_strdup_printf("header of %.1f MB is over the %d MiB limit",
                               a->header_bytes / 1e6, MAX_HEADER_BYTES >> 20);
    return NULL;
}

static void
triage(BtAnnotated *a, const BtFlowConfig *cfg)
{
    g_clear_pointer(&a->bounce, bt_bounce_free);
    g_free(a->error);
    a->error = unparsable_because(a);
    if (a->error)
        return;
    g_autofree char *note = NULL;
    GMimeMessage *mime = parse(a, &note);
    if (!mime) {
        a->error = g_strdup("not a mail message: GMime could not parse it");
        return;
    }
    g_autoptr(BtMessage) msg = bt_message_new("-", -1, GMIME_OBJECT(mime));
    msg->note = g_steal_pointer(&note);
    msg->size = a->data->len;
    a->bounce = bt_extract(cfg->extractor, msg);
    if (a->bounce->is_bounce)
        bt_ruleset_apply(cfg->rules, a->bounce, FALSE);
}

/* ---- the fields --------------------------------------------------------- */

static void
add_triage_field(BtAnnotated *a, const BtRecord *rec)
{
    g_autoptr(GString) value = g_string_new(NULL);
    bt_field_append_param(value, "recipient", rec->recipient);
    bt_field_append_param(value, "reason", rec->reason);
    bt_field_append_param(value, "status", rec->deliverystatus);
    bt_field_append_param(value, "hard", rec->hardbounce ? "yes" : "no");
    bt_field_append_param(value, "cause", rec->cause_id);
    bt_field_append(a->added, "X-Bounce-Triage", value->str, a->eol);
}

static void
add_fields(BtAnnotated *a)
{
    if (a->error) {
        bt_field_append(a->added, "X-Bounce-Error", a->error, a->eol);
        return;
    }
    /* what triage could not read (the per-message caps), even when what it
     * read is not a bounce: the reader should know the verdict saw part */
    if (a->bounce && a->bounce->note) {
        g_autofree char *why = g_strconcat("read in part: ", a->bounce->note, NULL);
        bt_field_append(a->added, "X-Bounce-Error", why, a->eol);
    }
    GPtrArray *records = bt_annotated_records(a);
    if (!records)
        return;
    for (guint i = 0; i < records->len; i++)
        add_triage_field(a, records->pdata[i]);
    const BtRecord *first = records->pdata[0];
    bt_field_append(a->added, "X-Bounce-Reason", first->reason, a->eol);
    /* the person's sentence; the id is in X-Bounce-Triage's cause= */
    bt_field_append(a->added, "X-Bounce-Cause",
                    first->cause_summary ? first->cause_summary : first->cause_id, a->eol);
}

/* ---- the message -------------------------------------------------------- */

BtAnnotated *
bt_annotated_load(int in_fd, GError **error)
{
    GByteArray *data = read_all(in_fd, error);
    if (!data)
        return NULL;
    BtAnnotated *a = g_new0(BtAnnotated, 1);
    a->data = data;
    a->kept = g_array_new(FALSE, FALSE, sizeof(BtSpan));
    a->added = g_string_new(NULL);
    map_header(a);
    /* without a leading From_ line: an MTA may write its date anew on a retry */
    a->digest = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data->data + a->header_at,
                                            data->len - a->header_at);
    return a;
}

void
bt_annotated_triage(BtAnnotated *a, const BtFlowConfig *cfg)
{
    triage(a, cfg);
    g_string_truncate(a->added, 0);
    add_fields(a);
}

void
bt_annotated_fail(BtAnnotated *a, const char *why)
{
    g_clear_pointer(&a->bounce, bt_bounce_free);
    g_free(a->error);
    a->error = g_strdup(why);
    g_string_truncate(a->added, 0);
    add_fields(a);
}

void
bt_annotated_set_fields(BtAnnotated *a, const char *fields, gsize len)
{
    g_string_truncate(a->added, 0);
    g_string_append_len(a->added, fields, (gssize) len);
}

void
bt_annotated_free(BtAnnotated *a)
{
    if (!a)
        return;
    g_clear_pointer(&a->bounce, bt_bounce_free);
    g_byte_array_unref(a->data);
    g_array_unref(a->kept);
    g_string_free(a->added, TRUE);
    g_free(a->error);
    g_free(a->digest);
    g_free(a);
}

GPtrArray *
bt_annotated_records(const BtAnnotated *a)
{
    if (!a->bounce || !a->bounce->is_bounce || !a->bounce->records || a->bounce->records->len == 0)
        return NULL;
    return a->bounce->records;
}

gsize
bt_annotated_size(const BtAnnotated *a, gboolean with_from_line)
{
    gsize size = (with_from_line ? a->header_at : 0) + a->added->len;
    for (guint i = 0; i < a->kept->len; i++)
        size += g_array_index(a->kept, BtSpan, i).length;
    return size;
}


gboolean
bt_annotated_write(const BtAnnotated *a, int fd, gboolean with_from_line, GError **error)
{
    gboolean ok = (!with_from_line || bt_write_all(fd, a->data->data, a->header_at))
               && bt_write_all(fd, a->added->str, a->added->len);
    for (guint i = 0; ok && i < a->kept->len; i++) {
        const BtSpan *s = &g_array_index(a->kept, BtSpan, i);
        ok = bt_write_all(fd, a->data->data + s->offset, s->length);
    }
    if (!ok)
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot write the message: %s", g_strerror(errno));
    return ok;
}
