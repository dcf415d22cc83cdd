/* resend — the `resend.domain` check: asks the Resend API (read-only) how
 * far a sending domain's verification got, and which DNS records Resend
 * still expects, so the DNS checks can compare them with what DNS serves.
 * The API key comes only from RESEND_API_KEY and never reaches any text
 * this module produces. */
#pragma once

#include "core/core.h"

typedef struct _BtResend BtResend;

/* One DNS record Resend expects for a domain, as GET /domains/{id} lists it.
 * The API names most records relative to the domain ("send",
 * "resend._domainkey"); `name` here is always the full DNS name, without a
 * trailing dot.  TXT values lose the double quotes the API wraps some in;
 * CNAME/MX values are as the API gives them (maybe with a trailing dot). */
typedef struct {
    char *record;   /* SPF, DKIM, Receiving, Tracking, TrackingCAA */
    char *type;     /* TXT, MX, CNAME, CAA */
    char *name;     /* full DNS name, e.g. resend._domainkey.example.com */
    char *value;    /* what Resend expects DNS to serve */
    char *status;   /* verified, pending, failed, temporary_failure, not_started */
    int priority;   /* MX preference; 0 for other types */
} BtResendRecord;

void bt_resend_record_free(BtResendRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtResendRecord, bt_resend_record_free)

/* Reads RESEND_API_KEY (may be unset: the checks are then skipped) and
 * RESEND_BASE_URL (default https://api.resend.com).  Plain http:// is
 * accepted only to loopback hosts (127.0.0.0/8, ::1, localhost); any other
 * URL that is not https:// fails with BT_ERROR_USAGE. */
BtResend *bt_resend_new(GError **error);
void bt_resend_free(BtResend *rs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtResend, bt_resend_free)

gboolean bt_resend_has_key(const BtResend *rs);

/* Total time allowed per request (default 15 s; connecting, at most 5 s).
 * Tests shorten it to exercise a server that does not answer. */
void bt_resend_set_timeout(BtResend *rs, double seconds);

/* Fills check->status and check->detail for `domain` (never fails: network
 * and API problems become BT_CHECK_ERROR; no key, BT_CHECK_SKIPPED).
 * Appends to `records` (if not NULL; elements BtResendRecord*, the caller
 * sets the free function, e.g. g_ptr_array_new_with_free_func(
 * (GDestroyNotify) bt_resend_record_free)) one record per DNS record
 * Resend expects for the domain, verified or not. */
void bt_resend_check_domain(BtResend *rs, const char *domain, BtCheck *check,
                            GPtrArray *records);

/* The same check with the two answers given instead of asked over HTTP:
 * `list_body` (HTTP `list_code`) as the one page of GET /domains, then
 * `domain_body` as GET /domains/{id} if the list names the domain.  For
 * tests and the fuzzer: everything after the transfer is the same code. */
void bt_resend_check_answers(BtResend *rs, const char *domain,
                             long list_code, const guint8 *list_body, gsize list_len,
                             long domain_code, const guint8 *domain_body, gsize domain_len,
                             BtCheck *check, GPtrArray *records);
