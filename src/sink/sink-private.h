/* sink-private — what the sink's files share: the writer state, the
 * per-format record renderers (each appends to a GString so that one
 * buffer is reused across millions of records) and the summary counters. */
#pragma once

#include "sink/sink.h"

/* Counts behind --summary, updated as records are written. */
typedef struct {
    guint64 messages;         /* every message handed to the sink */
    guint64 bounces;          /* messages extract called a bounce */
    guint64 records;          /* per-recipient records of bounces */
    GHashTable *reasons;      /* char* -> guint64* */
    GHashTable *destinations;
    GHashTable *causes;
    guint64 class_fallback;   /* verdicts from the status class alone (rules/rfc3463.yaml) */
    guint64 keyword_guess;    /* verdicts guessed from one word (rules/keyword-fallback.yaml) */
    guint64 undecided;        /* onhold, undefined: no reason at all */
} BtSummary;

struct _BtSink {
    FILE *out;
    BtFormat format;
    gboolean color;
    GString *buf;             /* one record's text, reused */
    gboolean csv_header_done;
    gboolean text_started;    /* text: a blank line goes between blocks */
    gboolean fragments;       /* a --jobs worker's: see bt_sink_set_fragments() */
    BtSummary summary;
    BtSinkObserver observer;  /* --report, --suppress */
    gpointer observer_data;
};

/* JSON: strings are escaped so the output is always valid UTF-8 JSON, even
 * when a bounce carries broken bytes (they become U+FFFD). */
void bt_json_append_string(GString *out, const char *s);
void bt_json_append_check_fields(GString *out, const BtCheck *check);
void bt_json_append_record(GString *out, const BtRecord *rec);

/* CSV (RFC 4180: CRLF line ends, quoted when needed). */
void bt_csv_append_header(GString *out);
void bt_csv_append_record(GString *out, const BtRecord *rec);

/* Text for a person on a terminal. */
void bt_text_append_record(GString *out, const BtRecord *rec, gboolean color);
void bt_text_append_no_record(GString *out, const BtBounce *bounce, gboolean color);

void bt_summary_init(BtSummary *sum);
void bt_summary_clear(BtSummary *sum);
void bt_summary_add_message(BtSummary *sum, const BtBounce *bounce);
void bt_summary_add_record(BtSummary *sum, const BtRecord *rec);
void bt_summary_write(const BtSummary *sum, FILE *out, gboolean table, gboolean color);
/* The counts as bytes for another process, and such bytes added to `sum`
 * (FALSE, `sum` unchanged, when they are not whole). */
void bt_summary_pack(const BtSummary *sum, GByteArray *out);
gboolean bt_summary_add_packed(BtSummary *sum, const guint8 *data, gsize len);
