/* sink — the writer: renders each bounce's records in the chosen format
 * into one reused buffer, writes it in one go, and keeps the --summary
 * counts.  The renderers live in sink-json.c, sink-csv.c and sink-text.c.
 *
 * --all and messages without a record: a message that is not a bounce (or
 * a bounce in which no recipient could be found) gets one record of the
 * ordinary schema, so that consumers need no second record type: origin
 * and offset set, reason "undefined", recipient and decodedby "" and every
 * other fact unknown, no cause.  Consumers recognise it by the empty
 * decodedby: every decoded record names its decoder.  The text format
 * prints a one-line block instead. */
#include "sink/sink-private.h"

BtSink *
bt_sink_new(FILE *out, BtFormat format, gboolean color)
{
    BtSink *sink = g_new0(BtSink, 1);
    sink->out = out;
    sink->format = format;
    sink->color = color && format == BT_FORMAT_TEXT;
    sink->buf = g_string_sized_new(4096);
    bt_summary_init(&sink->summary);
    return sink;
}

static void
append_csv_header_once(BtSink *sink)
{
    if (sink->format != BT_FORMAT_CSV || sink->csv_header_done || sink->fragments)
        return;
    bt_csv_append_header(sink->buf);
    sink->csv_header_done = TRUE;
}

/* Text blocks are separated by a blank line (a fragment's first one too:
 * the sink that joins it knows whether a block came before). */
static void
begin_text_block(BtSink *sink)
{
    if (sink->text_started || sink->fragments)
        g_string_append_c(sink->buf, '\n');
    sink->text_started = TRUE;
}

static void
append_record(BtSink *sink, const BtRecord *rec)
{
    switch (sink->format) {
    case BT_FORMAT_JSONL:
        bt_json_append_record(sink->buf, rec);
        g_string_append_c(sink->buf, '\n');
        break;
    case BT_FORMAT_CSV:
        bt_csv_append_record(sink->buf, rec);
        break;
    case BT_FORMAT_TEXT:
        begin_text_block(sink);
        bt_text_append_record(sink->buf, rec, sink->color);
        break;
    }
}

/* The record --all writes for a message without one (see the top). */
static void
append_placeholder(BtSink *sink, const BtBounce *bounce)
{
    if (sink->format == BT_FORMAT_TEXT) {
        begin_text_block(sink);
        bt_text_append_no_record(sink->buf, bounce, sink->color);
        return;
    }
    g_autoptr(BtRecord) rec = bt_record_new();
    rec->origin = g_strdup(bounce->origin);
    rec->offset = bounce->offset;
    rec->reason = g_strdup("undefined");
    append_record(sink, rec);
}

void
bt_sink_write(BtSink *sink, const BtBounce *bounce, gboolean all)
{
    guint n_records = bounce->is_bounce && bounce->records ? bounce->records->len : 0;

    g_string_truncate(sink->buf, 0);
    append_csv_header_once(sink);
    bt_summary_add_message(&sink->summary, bounce);
    for (guint i = 0; i < n_records; i++) {
        const BtRecord *rec = bounce->records->pdata[i];
        append_record(sink, rec);
        bt_summary_add_record(&sink->summary, rec);
    }
    if (n_records == 0 && all)
        append_placeholder(sink, bounce);
    if (sink->observer)
        sink->observer(bounce, sink->observer_data);
    fwrite(sink->buf->str, 1, sink->buf->len, sink->out);
}

void
bt_sink_set_fragments(BtSink *sink)
{
    sink->fragments = TRUE;
}

void
bt_sink_write_fragment(BtSink *sink, const char *fragment, gsize len)
{
    g_string_truncate(sink->buf, 0);
    append_csv_header_once(sink);
    fwrite(sink->buf->str, 1, sink->buf->len, sink->out);
    if (sink->format == BT_FORMAT_TEXT && len > 0) {
        if (!sink->text_started && fragment[0] == '\n') {
            fragment++;
            len--;
        }
        sink->text_started = TRUE;
    }
    fwrite(fragment, 1, len, sink->out);   /* as it came: no copy into the buffer first */
}

void
bt_sink_pack_summary(const BtSink *sink, GByteArray *out)
{
    bt_summary_pack(&sink->summary, out);
}

gboolean
bt_sink_add_summary(BtSink *sink, const guint8 *data, gsize len)
{
    return bt_summary_add_packed(&sink->summary, data, len);
}

void
bt_sink_set_observer(BtSink *sink, BtSinkObserver observer, gpointer data)
{
    sink->observer = observer;
    sink->observer_data = data;
}

void
bt_sink_write_summary(BtSink *sink, FILE *out)
{
    /* Colour only where the records go: that is the stream known to be a
     * terminal.  After text blocks on the same stream, a blank line. */
    if (out == sink->out && sink->text_started)
        fputc('\n', out);
    bt_summary_write(&sink->summary, out, sink->format == BT_FORMAT_TEXT,
                     sink->color && out == sink->out);
}

void
bt_sink_finish(BtSink *sink)
{
    /* A CSV file with no record still gets its header row. */
    g_string_truncate(sink->buf, 0);
    append_csv_header_once(sink);
    fwrite(sink->buf->str, 1, sink->buf->len, sink->out);
    fflush(sink->out);
}

void
bt_sink_free(BtSink *sink)
{
    if (!sink)
        return;
    g_string_free(sink->buf, TRUE);
    bt_summary_clear(&sink->summary);
    g_free(sink);
}
