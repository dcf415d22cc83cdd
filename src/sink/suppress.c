/* suppress — the suppression list: which addresses to stop mailing, and
 * why.  Every record becomes a small event of its address (when, what the
 * policy makes of it, and where it came from); at the end each address's
 * events are put in time order — an archive is not — and walked once:
 *
 *   - a hard bounce or a complaint suppresses at once, for good;
 *   - soft failures suppress once there are `failures` of them (counting
 *     one per day when `once-per-day`), spread over at least `days` days,
 *     with no delivery in between: a delivery starts the count again;
 *   - what the policy calls `never` (vacation, the sender's own problems)
 *     counts for nothing.
 *
 * Decisions: suppress, watch (soft failures below the threshold), keep.
 * The evidence column names the records behind the decision.  An event
 * is about 56 bytes, its texts pooled (an mbox's path is kept once). */
#include "sink/digest-private.h"

#include <string.h>

#define MAX_EVIDENCE 10

/* One record, small: a run over an archive keeps one per record.  Its
 * texts are shared through the list's string pool. */
typedef struct {
    gint64 ts;                 /* 0: no date; sorts first */
    guint64 seq;               /* input order, for equal dates */
    const char *where;         /* pooled: origin, or "digest:…" for a stored record */
    gint64 offset;             /* mbox offset, -1 otherwise */
    const char *status;        /* pooled deliverystatus, "-" when none */
    const char *reason;        /* pooled; the feedback type for a complaint */
    BtSuppressKind kind;
} Event;

typedef struct {
    GArray *events;            /* Event */
} Address;

struct _BtSuppress {
    const BtSuppressPolicy *policy;
    GHashTable *addresses;     /* key -> Address* */
    GHashTable *pool;          /* the events' strings, each once */
    guint64 seq;
};

static const char *
pooled(BtSuppress *s, const char *text)
{
    const char *kept = g_hash_table_lookup(s->pool, text);
    if (!kept) {
        char *copy = g_strdup(text);
        g_hash_table_add(s->pool, copy);
        kept = copy;
    }
    return kept;
}

static void
address_free(Address *a)
{
    g_array_unref(a->events);
    g_free(a);
}

BtSuppress *
bt_suppress_new(const BtSuppressPolicy *policy)
{
    BtSuppress *s = g_new0(BtSuppress, 1);
    s->policy = policy;
    s->addresses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) address_free);
    s->pool = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return s;
}

void
bt_suppress_free(BtSuppress *s)
{
    if (!s)
        return;
    g_hash_table_unref(s->addresses);
    g_hash_table_unref(s->pool);
    g_free(s);
}

static void
iso_date(char buf[32], gint64 ts)
{
    buf[0] = '\0';
    if (ts <= 0)
        return;
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(ts);
    g_autofree char *s = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
    g_strlcpy(buf, s ? s : "", 32);
}

void
bt_suppress_add_record(BtSuppress *s, const BtRecord *rec, const char *messagedigest)
{
    g_autofree char *key = bt_address_key(rec->recipient);
    if (!key)
        return;
    Address *a = g_hash_table_lookup(s->addresses, key);
    if (!a) {
        a = g_new0(Address, 1);
        a->events = g_array_new(FALSE, FALSE, sizeof(Event));
        g_hash_table_insert(s->addresses, g_steal_pointer(&key), a);
    }
    g_autofree char *where = messagedigest && *messagedigest ? g_strconcat("digest:", messagedigest, NULL)
                                                              : g_strdup(rec->origin ? rec->origin : "-");
    Event e = {
        .ts = MAX(rec->timestamp, 0),
        .seq = s->seq++,
        .where = pooled(s, where),
        .offset = messagedigest && *messagedigest ? -1 : rec->offset,
        .status = pooled(s, rec->deliverystatus && *rec->deliverystatus ? rec->deliverystatus : "-"),
        .kind = bt_suppress_policy_classify(s->policy, rec),
        .reason = pooled(s, rec->reason && *rec->reason ? rec->reason : "undefined"),
    };
    if (e.kind == BT_SUPPRESS_COMPLAINT) {     /* "complaint: abuse" says more than "feedback" */
        g_autofree char *type = g_ascii_strdown(rec->feedbacktype, -1);
        e.reason = pooled(s, type);
    }
    g_array_append_val(a->events, e);
}

static gint
compare_events(gconstpointer a, gconstpointer b)
{
    const Event *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- one address's decision ------------------------------------------------ */

typedef enum { DECIDE_SUPPRESS, DECIDE_WATCH, DECIDE_KEEP } Decision;
static const char *const DECISION_NAMES[] = { "suppress", "watch", "keep" };

typedef struct {
    Decision decision;
    char *why;
    GPtrArray *evidence;       /* const Event* */
    gint64 first, last;        /* the bounces (not deliveries) */
    guint count;
} Verdict;

/* The soft failures since the last delivery: how many count, and over how
 * many days (first to last). */
typedef struct {
    GPtrArray *events;         /* const Event* */
    guint counted;
    gint64 last_day;           /* of the last counted failure; G_MININT64 before any */
} Streak;

static void
streak_reset(Streak *st)
{
    g_ptr_array_set_size(st->events, 0);
    st->counted = 0;
    st->last_day = G_MININT64;
}

static void
streak_add(Streak *st, const Event *e, gboolean once_per_day)
{
    g_ptr_array_add(st->events, (gpointer) e);
    gint64 day = e->ts / 86400;
    if (once_per_day && e->ts > 0 && day == st->last_day)
        return;
    st->counted++;
    st->last_day = day;
}

static double
streak_days(const Streak *st)
{
    if (st->events->len < 2)
        return 0;
    const Event *first = st->events->pdata[0], *last = st->events->pdata[st->events->len - 1];
    return first->ts > 0 ? (last->ts - first->ts) / 86400.0 : 0;
}

static void
decide_soft(const BtSuppressPolicy *p, const Streak *st, Verdict *v)
{
    guint need = bt_suppress_policy_soft_failures(p), days = bt_suppress_policy_soft_days(p);
    double span = streak_days(st);
    v->decision = st->counted >= need && span >= days ? DECIDE_SUPPRESS : DECIDE_WATCH;
    v->why = g_strdup_printf("soft bounces: %u of %u failures%s over %.1f of %u days, no delivery in between",
                             st->counted, need, bt_suppress_policy_once_per_day(p) ? " (one a day)" : "",
                             span, days);
    for (guint i = 0; i < st->events->len; i++)
        g_ptr_array_add(v->evidence, st->events->pdata[i]);
}

/* Events must be in time order. */
static void
decide(const BtSuppressPolicy *p, GArray *events, Verdict *v)
{
    const Event *at_once = NULL, *delivered = NULL;
    g_autoptr(GPtrArray) ignored = g_ptr_array_new();
    Streak st = { g_ptr_array_new(), 0, G_MININT64 };
    v->first = v->last = 0;
    for (guint i = 0; i < events->len; i++) {
        const Event *e = &g_array_index(events, Event, i);
        if (e->kind != BT_SUPPRESS_SUCCESS) {
            v->count++;
            if (e->ts && (!v->first || e->ts < v->first))
                v->first = e->ts;
            v->last = MAX(v->last, e->ts);
        }
        switch (e->kind) {
        case BT_SUPPRESS_HARD:
        case BT_SUPPRESS_COMPLAINT:
            if (!at_once)
                at_once = e;
            break;
        case BT_SUPPRESS_SUCCESS:
            streak_reset(&st);
            delivered = e;
            break;
        case BT_SUPPRESS_SOFT:
            streak_add(&st, e, bt_suppress_policy_once_per_day(p));
            break;
        case BT_SUPPRESS_IGNORE:
            g_ptr_array_add(ignored, (gpointer) e);
            break;
        }
    }
    if (at_once) {
        v->decision = DECIDE_SUPPRESS;
        v->why = g_strdup_printf("%s: %s", at_once->kind == BT_SUPPRESS_HARD ? "hard bounce" : "complaint",
                                 at_once->reason);
        g_ptr_array_add(v->evidence, (gpointer) at_once);
    } else if (st.events->len) {
        decide_soft(p, &st, v);
    } else if (delivered) {
        v->decision = DECIDE_KEEP;
        v->why = g_strdup("delivered since its last soft bounce");
        g_ptr_array_add(v->evidence, (gpointer) delivered);
    } else {
        v->decision = DECIDE_KEEP;
        const Event *last = ignored->len ? ignored->pdata[ignored->len - 1] : NULL;
        v->why = g_strdup_printf("never suppressed: %s", last ? last->reason : "nothing");
        for (guint i = 0; i < ignored->len; i++)
            g_ptr_array_add(v->evidence, ignored->pdata[i]);
    }
    g_ptr_array_unref(st.events);
}

/* ---- the CSV ------------------------------------------------------------------- */

static void
csv_field(GString *out, const char *s, gboolean last)
{
    g_autofree char *clean = bt_text_one_line(s, TRUE);
    if (strpbrk(clean, ",\"")) {
        g_string_append_c(out, '"');
        for (const char *p = clean; *p; p++) {
            if (*p == '"')
                g_string_append_c(out, '"');
            g_string_append_c(out, *p);
        }
        g_string_append_c(out, '"');
    } else {
        g_string_append(out, clean);
    }
    g_string_append(out, last ? "\r\n" : ",");
}

static void
append_evidence(GString *buf, GPtrArray *evidence)
{
    guint n = evidence->len;
    /* the latest ones when there are many: they are what the decision rests on */
    guint from = n > MAX_EVIDENCE ? n - MAX_EVIDENCE : 0;
    if (from)
        g_string_append_printf(buf, "(%u earlier) ", from);
    for (guint i = from; i < n; i++) {
        const Event *e = evidence->pdata[i];
        char when[32];
        iso_date(when, e->ts);
        if (i > from)
            g_string_append(buf, "; ");
        g_string_append(buf, e->where);
        if (e->offset >= 0)
            g_string_append_printf(buf, "#%" G_GINT64_FORMAT, e->offset);
        g_string_append_printf(buf, " %s %s", e->status, *when ? when : "undated");
    }
}

typedef struct {
    const char *address;
    Verdict v;
} Row;

static gint
compare_rows(gconstpointer a, gconstpointer b)
{
    const Row *x = a, *y = b;
    if (x->v.decision != y->v.decision)
        return x->v.decision < y->v.decision ? -1 : 1;
    return strcmp(x->address, y->address);
}

static void
append_row(GString *out, const Row *row)
{
    char first[32], last[32];
    iso_date(first, row->v.first);
    iso_date(last, row->v.last);
    g_autofree char *count = g_strdup_printf("%u", row->v.count);
    g_autoptr(GString) evidence = g_string_new(NULL);
    append_evidence(evidence, row->v.evidence);
    csv_field(out, row->address, FALSE);
    csv_field(out, DECISION_NAMES[row->v.decision], FALSE);
    csv_field(out, row->v.why, FALSE);
    csv_field(out, first, FALSE);
    csv_field(out, last, FALSE);
    csv_field(out, count, FALSE);
    csv_field(out, evidence->str, TRUE);
}

void
bt_suppress_write_csv(BtSuppress *s, GString *out)
{
    g_autoptr(GArray) rows = g_array_sized_new(FALSE, TRUE, sizeof(Row), g_hash_table_size(s->addresses));
    GHashTableIter it;
    gpointer k, val;
    g_hash_table_iter_init(&it, s->addresses);
    while (g_hash_table_iter_next(&it, &k, &val)) {
        Address *a = val;
        g_array_sort(a->events, compare_events);
        Row row = { k, { .evidence = g_ptr_array_new() } };
        decide(s->policy, a->events, &row.v);
        g_array_append_val(rows, row);
    }
    g_array_sort(rows, compare_rows);
    g_string_append(out, "address,decision,reason,first_bounce,last_bounce,count,evidence\r\n");
    for (guint i = 0; i < rows->len; i++) {
        Row *row = &g_array_index(rows, Row, i);
        append_row(out, row);
        g_free(row->v.why);
        g_ptr_array_unref(row->v.evidence);
    }
}
