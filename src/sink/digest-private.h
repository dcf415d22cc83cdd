/* digest-private — the two digests behind BtDigest: the report's counters
 * (report.c) and their HTML page (report-html.c), and the suppression
 * list's events and decisions (suppress.c) under its policy
 * (suppress-policy.c). */
#pragma once

#include "sink/digest.h"
#include "sink/sink-private.h"

/* A recipient as the suppression list and the report compare them: the
 * local part as written, the domain in lower case, without a transport
 * prefix ("rfc822;", "smtp:") or angle brackets.  NULL when empty. */
char *bt_address_key(const char *recipient);

/* ---- report --------------------------------------------------------------- */

typedef struct _BtReport BtReport;

BtReport *bt_report_new(gboolean checks_ran);
void bt_report_free(BtReport *report);
void bt_report_add_message(BtReport *report, gboolean is_bounce);
void bt_report_add_record(BtReport *report, const BtRecord *rec);
/* The page, self-contained; Chart.js is inlined when `chartjs` is set. */
void bt_report_write_html(const BtReport *report, GString *out, const char *source, const char *chartjs);

/* ---- suppression ---------------------------------------------------------- */

typedef struct _BtSuppress BtSuppress;

BtSuppress *bt_suppress_new(const BtSuppressPolicy *policy);
void bt_suppress_free(BtSuppress *sup);
void bt_suppress_add_record(BtSuppress *sup, const BtRecord *rec, const char *messagedigest);
/* The CSV (RFC 4180, CRLF), every recipient seen, suppressed ones first. */
void bt_suppress_write_csv(BtSuppress *sup, GString *out);

/* What the policy says of one record. */
typedef enum {
    BT_SUPPRESS_IGNORE,      /* says nothing about the address (vacation, sender-side problems) */
    BT_SUPPRESS_SUCCESS,     /* delivered: resets the soft count */
    BT_SUPPRESS_HARD,        /* suppress at once */
    BT_SUPPRESS_COMPLAINT,   /* suppress at once */
    BT_SUPPRESS_SOFT,        /* counts towards the soft threshold */
} BtSuppressKind;

BtSuppressKind bt_suppress_policy_classify(const BtSuppressPolicy *policy, const BtRecord *rec);
guint bt_suppress_policy_soft_failures(const BtSuppressPolicy *policy);
guint bt_suppress_policy_soft_days(const BtSuppressPolicy *policy);
gboolean bt_suppress_policy_once_per_day(const BtSuppressPolicy *policy);
