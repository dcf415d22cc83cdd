/* sink — writes verdicts: JSON Lines, text (cause and remediation first, one
 * block per recipient), CSV; and the --summary table.  Output order is the
 * order bounces are handed in. */
#pragma once

#include <stdio.h>
#include "core/core.h"
#include "extract/extract.h"

typedef enum { BT_FORMAT_JSONL, BT_FORMAT_TEXT, BT_FORMAT_CSV } BtFormat;

typedef struct _BtSink BtSink;

/* color: ANSI emphasis in the text format (on a terminal). */
BtSink *bt_sink_new(FILE *out, BtFormat format, gboolean color);
/* Writes the records of one bounce.  With `all`, a message that is not a
 * bounce gets one record too (reason "undefined", no recipient). */
void bt_sink_write(BtSink *sink, const BtBounce *bounce, gboolean all);
/* Counts for --summary are kept as records are written. */
void bt_sink_write_summary(BtSink *sink, FILE *out);
void bt_sink_finish(BtSink *sink);   /* flushes; csv/jsonl need nothing else */
void bt_sink_free(BtSink *sink);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtSink, bt_sink_free)

/* --check-domain: the checks (BtCheck*) run for one domain.  Text: each
 * check's status, what is wrong and the records to publish (the check's
 * "publish" argument); jsonl (and csv): one {"domain", "checks"} object. */
void bt_sink_write_domain(BtSink *sink, const char *domain, GPtrArray *checks);

/* Called with every bounce written from now on (--report and --suppress
 * take their records this way, see sink/digest.h); NULL detaches. */
typedef void (*BtSinkObserver)(const BtBounce *bounce, gpointer data);
void bt_sink_set_observer(BtSink *sink, BtSinkObserver observer, gpointer data);

/* --jobs as worker processes (src/pipeline-procs.c).  A worker's sink
 * renders fragments for the batch's sink to join: no csv header, and every
 * text block led by its blank line.  The batch's sink writes a message's
 * fragment as though it had rendered the message itself (the csv header
 * before the first, no blank line before the first block), and adds each
 * worker's --summary counts, packed, to its own. */
void bt_sink_set_fragments(BtSink *sink);
void bt_sink_write_fragment(BtSink *sink, const char *fragment, gsize len);
void bt_sink_pack_summary(const BtSink *sink, GByteArray *out);
/* FALSE (nothing added) when the bytes are not a whole packed summary. */
gboolean bt_sink_add_summary(BtSink *sink, const guint8 *data, gsize len);

/* One record as a JSON object (no newline), for jsonl and for --hook. */
char *bt_record_to_json(const BtRecord *rec);
