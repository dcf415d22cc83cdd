/* report-private — the counters of --report (report.c) as the page
 * (report-html.c) reads them. */
#pragma once

#include "sink/digest-private.h"

typedef struct {
    guint64 total;
    GHashTable *reasons;          /* reason -> guint64* */
} BtReportMix;

typedef struct {
    BtCheckStatus status;         /* the worst seen */
    char *target;
    char *detail;
} BtReportFinding;

typedef struct {
    guint64 records;
    char *summary;                /* of the first record with the cause */
    char *severity;
    GPtrArray *remediation;       /* char* */
    GHashTable *recipients;       /* address set: whom fixing it helps */
    GHashTable *findings;         /* "name\x1ftarget" -> BtReportFinding* */
} BtReportCause;

typedef struct {
    guint64 records;
    GHashTable *checks;           /* "name\x1ftarget" -> BtReportFinding* */
} BtReportSender;

typedef struct {
    guint64 count;
    gint64 last_seen;             /* epoch seconds; 0: no date */
    const char *reason;           /* interned; of the latest record */
    char *status;                 /* deliverystatus of the latest record */
} BtReportRecipient;

struct _BtReport {
    gboolean checks_ran;
    guint64 messages, bounces, records;
    guint64 hard;                 /* records with hardbounce; the rest are soft */
    guint64 fallback;             /* a keyword guess, the status-class fallback, or undecided */
    gint64 first_ts, last_ts;     /* 0: no dated record */
    guint64 undated;
    GHashTable *reasons;          /* reason -> guint64* */
    GHashTable *buckets;          /* gint64 day (UTC) -> (reason -> guint64*) */
    GHashTable *destinations;     /* domain -> BtReportMix* */
    GHashTable *causes;           /* cause id or "(none)" -> BtReportCause* */
    GHashTable *senders;          /* sender domain -> BtReportSender* */
    GHashTable *recipients;       /* address key -> BtReportRecipient* */
};

typedef struct {
    const char *key;
    guint64 count;
    gconstpointer value;
} BtReportEntry;

GHashTable *bt_report_counter_new(void);
int bt_report_status_rank(BtCheckStatus status);
GArray *bt_report_sorted_counter(GHashTable *counter);
GArray *bt_report_sorted_by(GHashTable *table, guint64 (*count_of)(gconstpointer value));
