/* report — the counters behind --report, kept while records stream by:
 * the totals, records by day and reason, by destination domain and reason,
 * by cause (with the recipients each one affects, for "fix first"), by
 * sending domain with the checks' results, and one line per recipient.
 * Everything is keyed by a distinct value, so memory follows the number of
 * recipients, domains and causes, not the number of messages.  The keys
 * are counted as --summary counts them, so the two always agree. */
#include "sink/report-private.h"
#include "rules/rules.h"

#include <string.h>

static guint64 *
counter_slot(GHashTable *counter, const char *key)
{
    guint64 *n = g_hash_table_lookup(counter, key);
    if (!n) {
        n = g_new0(guint64, 1);
        g_hash_table_insert(counter, g_strdup(key), n);
    }
    return n;
}

GHashTable *
bt_report_counter_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
mix_free(BtReportMix *mix)
{
    g_hash_table_unref(mix->reasons);
    g_free(mix);
}

static void
cause_free(BtReportCause *c)
{
    g_free(c->summary);
    g_free(c->severity);
    g_ptr_array_unref(c->remediation);
    g_hash_table_unref(c->recipients);
    g_hash_table_unref(c->findings);
    g_free(c);
}

static void
finding_free(BtReportFinding *f)
{
    g_free(f->target);
    g_free(f->detail);
    g_free(f);
}

static void
sender_free(BtReportSender *s)
{
    g_hash_table_unref(s->checks);
    g_free(s);
}

static void
recipient_free(BtReportRecipient *r)
{
    g_free(r->status);
    g_free(r);
}

BtReport *
bt_report_new(gboolean checks_ran)
{
    BtReport *r = g_new0(BtReport, 1);
    r->checks_ran = checks_ran;
    r->reasons = bt_report_counter_new();
    r->buckets = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) g_hash_table_unref);
    r->destinations = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) mix_free);
    r->causes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) cause_free);
    r->senders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) sender_free);
    r->recipients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) recipient_free);
    return r;
}

void
bt_report_free(BtReport *r)
{
    if (!r)
        return;
    g_hash_table_unref(r->reasons);
    g_hash_table_unref(r->buckets);
    g_hash_table_unref(r->destinations);
    g_hash_table_unref(r->causes);
    g_hash_table_unref(r->senders);
    g_hash_table_unref(r->recipients);
    g_free(r);
}

void
bt_report_add_message(BtReport *r, gboolean is_bounce)
{
    r->messages++;
    if (is_bounce)
        r->bounces++;
}

static const char *
reason_of(const BtRecord *rec)
{
    return rec->reason && *rec->reason ? rec->reason : "undefined";
}

static void
add_to_timeline(BtReport *r, const BtRecord *rec)
{
    if (rec->timestamp <= 0) {
        r->undated++;
        return;
    }
    r->first_ts = r->first_ts ? MIN(r->first_ts, rec->timestamp) : rec->timestamp;
    r->last_ts = MAX(r->last_ts, rec->timestamp);
    gint64 day = rec->timestamp / 86400;
    GHashTable *reasons = g_hash_table_lookup(r->buckets, &day);
    if (!reasons) {
        reasons = bt_report_counter_new();
        g_hash_table_insert(r->buckets, g_memdup2(&day, sizeof day), reasons);
    }
    (*counter_slot(reasons, reason_of(rec)))++;
}

static void
add_to_destinations(BtReport *r, const BtRecord *rec)
{
    /* as --summary: case-insensitive, "(unknown)" when not known */
    g_autofree char *domain = rec->destination && *rec->destination
                                  ? g_ascii_strdown(rec->destination, -1)
                                  : g_strdup("(unknown)");
    BtReportMix *mix = g_hash_table_lookup(r->destinations, domain);
    if (!mix) {
        mix = g_new0(BtReportMix, 1);
        mix->reasons = bt_report_counter_new();
        g_hash_table_insert(r->destinations, g_strdup(domain), mix);
    }
    mix->total++;
    (*counter_slot(mix->reasons, reason_of(rec)))++;
}

/* A check that ran says something about the domain; a suggestion does not. */
static void
add_findings(GHashTable *findings, const BtRecord *rec)
{
    for (guint i = 0; rec->checks && i < rec->checks->len; i++) {
        const BtCheck *ck = rec->checks->pdata[i];
        if (ck->status == BT_CHECK_SUGGESTED)
            continue;
        g_autofree char *key = g_strdup_printf("%s\x1f%s", ck->name, ck->target ? ck->target : "");
        BtReportFinding *f = g_hash_table_lookup(findings, key);
        if (f && bt_report_status_rank(f->status) >= bt_report_status_rank(ck->status))
            continue;
        if (!f) {
            f = g_new0(BtReportFinding, 1);
            g_hash_table_insert(findings, g_steal_pointer(&key), f);
        }
        f->status = ck->status;
        bt_set_str(&f->target, ck->target);
        bt_set_str(&f->detail, ck->detail);
    }
}

static GHashTable *
findings_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) finding_free);
}

static void
add_to_causes(BtReport *r, const BtRecord *rec, const char *address)
{
    const char *id = rec->cause_id && *rec->cause_id ? rec->cause_id : "(none)";
    BtReportCause *c = g_hash_table_lookup(r->causes, id);
    if (!c) {
        c = g_new0(BtReportCause, 1);
        c->summary = g_strdup(rec->cause_summary);
        c->severity = g_strdup(rec->severity);
        c->remediation = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; rec->remediation && i < rec->remediation->len; i++)
            g_ptr_array_add(c->remediation, g_strdup(rec->remediation->pdata[i]));
        c->recipients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        c->findings = findings_new();
        g_hash_table_insert(r->causes, g_strdup(id), c);
    }
    c->records++;
    if (address && !g_hash_table_contains(c->recipients, address))
        g_hash_table_add(c->recipients, g_strdup(address));
    add_findings(c->findings, rec);
}

static void
add_to_senders(BtReport *r, const BtRecord *rec)
{
    if (!rec->senderdomain || !*rec->senderdomain)
        return;
    g_autofree char *domain = g_ascii_strdown(rec->senderdomain, -1);
    BtReportSender *s = g_hash_table_lookup(r->senders, domain);
    if (!s) {
        s = g_new0(BtReportSender, 1);
        s->checks = findings_new();
        g_hash_table_insert(r->senders, g_strdup(domain), s);
    }
    s->records++;
    add_findings(s->checks, rec);
}

/* The latest record of a recipient gives its reason and status; records
 * without a date count as later than nothing and earlier than any date. */
static void
add_to_recipients(BtReport *r, const BtRecord *rec, const char *address)
{
    BtReportRecipient *p = g_hash_table_lookup(r->recipients, address);
    if (!p) {
        p = g_new0(BtReportRecipient, 1);
        g_hash_table_insert(r->recipients, g_strdup(address), p);
    }
    p->count++;
    if (p->count == 1 || rec->timestamp >= p->last_seen) {
        p->last_seen = MAX(p->last_seen, rec->timestamp);
        p->reason = g_intern_string(reason_of(rec));
        bt_set_str(&p->status, rec->deliverystatus);
    }
}

void
bt_report_add_record(BtReport *r, const BtRecord *rec)
{
    g_autofree char *address = bt_address_key(rec->recipient);
    r->records++;
    if (rec->hardbounce)
        r->hard++;
    /* the same test as --summary's, so the page and the table agree */
    if (bt_verdict_is_fallback(rec))
        r->fallback++;
    (*counter_slot(r->reasons, reason_of(rec)))++;
    add_to_timeline(r, rec);
    add_to_destinations(r, rec);
    add_to_causes(r, rec, address);
    add_to_senders(r, rec);
    if (address)
        add_to_recipients(r, rec, address);
}

/* problem > error > ok > skipped > suggested: the finding a person must see. */
int
bt_report_status_rank(BtCheckStatus status)
{
    switch (status) {
    case BT_CHECK_PROBLEM: return 4;
    case BT_CHECK_ERROR: return 3;
    case BT_CHECK_OK: return 2;
    case BT_CHECK_SKIPPED: return 1;
    case BT_CHECK_SUGGESTED:
    default: return 0;
    }
}
