/* report-html — the --report page: one self-contained HTML file that opens
 * offline.  Every figure and table is rendered here, on the server side,
 * so the page reads with JavaScript off; the script only adds the charts
 * (Chart.js, inlined), sorting and search.  Bounces are hostile input:
 * every text from a record is HTML-escaped, and the chart data is JSON in
 * which every '<' is written \u003c, so nothing can close the script. */
#include "config.h"
#include "sink/report-private.h"

#include <string.h>

#define TOP_REASONS 10         /* the rest of the reasons are one "other" series */
#define TOP_DESTINATIONS 20    /* as --summary */
#define CHART_DESTINATIONS 15
#define CHART_CAUSES 15
#define CHART_SENDERS 15
#define MAX_RECIPIENT_ROWS 5000

/* ---- small writers -------------------------------------------------------- */

/* Text from a record, on one line, escaped for element content and for
 * attribute values alike. */
static void
esc(GString *out, const char *s)
{
    g_autofree char *clean = bt_text_one_line(s, TRUE);
    for (const char *p = clean; *p; p++) {
        switch (*p) {
        case '&': g_string_append(out, "&amp;"); break;
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '"': g_string_append(out, "&quot;"); break;
        case '\'': g_string_append(out, "&#39;"); break;
        default: g_string_append_c(out, *p);
        }
    }
}

static void
date_of(char buf[32], gint64 ts, gboolean with_time)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(ts);
    g_autofree char *s = dt ? g_date_time_format(dt, with_time ? "%Y-%m-%d %H:%M UTC" : "%Y-%m-%d") : NULL;
    g_strlcpy(buf, s ? s : "?", 32);
}

static double
percent(guint64 n, guint64 total)
{
    return total ? 100.0 * n / total : 0.0;
}

/* A JSON string for the embedded data: '<' never appears raw. */
static void
json_str(GString *out, const char *s)
{
    g_autoptr(GString) tmp = g_string_new(NULL);
    bt_json_append_string(tmp, s);
    for (gsize i = 0; i < tmp->len; i++) {
        if (tmp->str[i] == '<')
            g_string_append(out, "\\u003c");
        else
            g_string_append_c(out, tmp->str[i]);
    }
}

static void
json_str_array(GString *out, GPtrArray *items)
{
    g_string_append_c(out, '[');
    for (guint i = 0; i < items->len; i++) {
        if (i)
            g_string_append_c(out, ',');
        json_str(out, items->pdata[i]);
    }
    g_string_append_c(out, ']');
}

/* ---- the reasons the charts show ------------------------------------------ */

/* The TOP_REASONS reasons with most records, then "other" for the rest. */
static GPtrArray *
chart_reasons(const BtReport *r)
{
    g_autoptr(GArray) all = bt_report_sorted_counter(r->reasons);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < all->len && i < TOP_REASONS; i++)
        g_ptr_array_add(names, g_strdup(g_array_index(all, BtReportEntry, i).key));
    if (all->len > TOP_REASONS)
        g_ptr_array_add(names, g_strdup("other"));
    return names;
}

/* Counts of `counter` (reason -> n) in the order of `reasons`, the rest
 * summed into the last slot when it is "other". */
static void
spread_reasons(GHashTable *counter, GPtrArray *reasons, guint64 *slots)
{
    gboolean has_other = reasons->len > TOP_REASONS;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, counter);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        guint i;
        for (i = 0; i < reasons->len - has_other; i++)
            if (strcmp(reasons->pdata[i], k) == 0)
                break;
        if (i < reasons->len - has_other || has_other)
            slots[i] += *(guint64 *) v;
    }
}

/* ---- timeline --------------------------------------------------------------- */

/* Days for a span of up to three months, weeks (from Monday) up to two
 * years, months beyond: a chart keeps at most about a hundred bars. */
typedef enum { UNIT_DAY, UNIT_WEEK, UNIT_MONTH } Unit;
static const char *const UNIT_NAMES[] = { "day", "week", "month" };

#define WEEKS_AFTER_DAYS 92
#define MONTHS_AFTER_DAYS 730

typedef struct {
    Unit unit;
    gint64 first, last;        /* bucket numbers */
} Timeline;

/* The bucket of a day (days since the epoch): the day itself, the day of
 * its week's Monday, or year * 12 + month - 1. */
static gint64
bucket_of(const Timeline *tl, gint64 day)
{
    switch (tl->unit) {
    case UNIT_WEEK:
        return day - (day + 3) % 7;      /* 1970-01-01 was a Thursday */
    case UNIT_MONTH: {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(day * 86400);
        return dt ? g_date_time_get_year(dt) * 12 + g_date_time_get_month(dt) - 1 : 0;
    }
    case UNIT_DAY:
    default:
        return day;
    }
}

static void
bucket_label(const Timeline *tl, gint64 bucket, char buf[32])
{
    if (tl->unit == UNIT_MONTH)
        g_snprintf(buf, 32, "%04d-%02d", (int) (bucket / 12), (int) (bucket % 12 + 1));
    else
        date_of(buf, bucket * 86400, FALSE);
}

static gint64
bucket_step(const Timeline *tl)
{
    return tl->unit == UNIT_WEEK ? 7 : 1;
}

static Timeline
timeline_of(const BtReport *r)
{
    Timeline tl = { UNIT_DAY, 0, -1 };
    if (!r->last_ts)
        return tl;
    gint64 first = r->first_ts / 86400, last = r->last_ts / 86400;
    tl.unit = last - first > MONTHS_AFTER_DAYS ? UNIT_MONTH : last - first > WEEKS_AFTER_DAYS ? UNIT_WEEK : UNIT_DAY;
    tl.first = bucket_of(&tl, first);
    tl.last = bucket_of(&tl, last);
    return tl;
}

/* The rows of a reason × column grid of counts, as JSON arrays, and the
 * closing of the chart object they belong to. */
static void
append_grid_json(GString *out, const guint64 *grid, guint rows, guint cols)
{
    for (guint i = 0; i < rows; i++) {
        g_string_append(out, i ? ",[" : "[");
        for (guint c = 0; c < cols; c++)
            g_string_append_printf(out, "%s%" G_GUINT64_FORMAT, c ? "," : "", grid[(gsize) i * cols + c]);
        g_string_append_c(out, ']');
    }
    g_string_append(out, "]}");
}

static void
append_timeline_json(GString *out, const BtReport *r, GPtrArray *reasons)
{
    Timeline tl = timeline_of(r);
    gint64 step = bucket_step(&tl);
    guint n = (guint) ((tl.last - tl.first) / step + 1);
    g_autofree guint64 *grid = g_new0(guint64, (gsize) n * reasons->len + 1);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, r->buckets);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        guint col = (guint) ((bucket_of(&tl, *(gint64 *) k) - tl.first) / step);
        g_autofree guint64 *slots = g_new0(guint64, reasons->len);
        spread_reasons(v, reasons, slots);
        for (guint i = 0; i < reasons->len; i++)
            grid[(gsize) i * n + col] += slots[i];
    }
    g_string_append_printf(out, "\"timeline\":{\"unit\":\"%s\",\"labels\":[", UNIT_NAMES[tl.unit]);
    for (guint c = 0; c < n; c++) {
        char d[32];
        bucket_label(&tl, tl.first + (gint64) c * step, d);
        g_string_append_printf(out, "%s\"%s\"", c ? "," : "", d);
    }
    g_string_append(out, "],\"series\":[");
    append_grid_json(out, grid, reasons->len, n);
}

/* ---- the chart data ------------------------------------------------------------ */

static guint64
mix_total(gconstpointer v)
{
    return ((const BtReportMix *) v)->total;
}

static guint64
cause_records(gconstpointer v)
{
    return ((const BtReportCause *) v)->records;
}

static guint64
cause_recipients(gconstpointer v)
{
    return g_hash_table_size(((const BtReportCause *) v)->recipients);
}

static guint64
sender_records(gconstpointer v)
{
    return ((const BtReportSender *) v)->records;
}

static void
append_destinations_json(GString *out, const BtReport *r, GPtrArray *reasons)
{
    g_autoptr(GArray) d = bt_report_sorted_by(r->destinations, mix_total);
    guint n = MIN(d->len, CHART_DESTINATIONS);
    g_string_append(out, "\"destinations\":{\"labels\":[");
    for (guint i = 0; i < n; i++) {
        if (i)
            g_string_append_c(out, ',');
        json_str(out, g_array_index(d, BtReportEntry, i).key);
    }
    g_string_append(out, "],\"series\":[");
    g_autofree guint64 *grid = g_new0(guint64, (gsize) n * reasons->len + 1);
    for (guint c = 0; c < n; c++) {
        g_autofree guint64 *slots = g_new0(guint64, reasons->len);
        spread_reasons(((const BtReportMix *) g_array_index(d, BtReportEntry, c).value)->reasons, reasons, slots);
        for (guint i = 0; i < reasons->len; i++)
            grid[(gsize) i * n + c] = slots[i];
    }
    append_grid_json(out, grid, reasons->len, n);
}

static void
append_bars_json(GString *out, const char *name, GArray *entries, guint limit)
{
    g_string_append_printf(out, "\"%s\":{\"labels\":[", name);
    for (guint i = 0; i < entries->len && i < limit; i++) {
        if (i)
            g_string_append_c(out, ',');
        json_str(out, g_array_index(entries, BtReportEntry, i).key);
    }
    g_string_append(out, "],\"counts\":[");
    for (guint i = 0; i < entries->len && i < limit; i++)
        g_string_append_printf(out, "%s%" G_GUINT64_FORMAT, i ? "," : "", g_array_index(entries, BtReportEntry, i).count);
    g_string_append(out, "]}");
}

static void
append_data_json(GString *out, const BtReport *r)
{
    g_autoptr(GPtrArray) reasons = chart_reasons(r);
    g_autoptr(GArray) causes = bt_report_sorted_by(r->causes, cause_records);
    g_autoptr(GArray) senders = bt_report_sorted_by(r->senders, sender_records);
    g_string_append(out, "{\"reasons\":");
    json_str_array(out, reasons);
    g_autofree guint64 *totals = g_new0(guint64, reasons->len);
    spread_reasons(r->reasons, reasons, totals);
    g_string_append(out, ",\"reason_totals\":[");
    for (guint i = 0; i < reasons->len; i++)
        g_string_append_printf(out, "%s%" G_GUINT64_FORMAT, i ? "," : "", totals[i]);
    g_string_append(out, "],");
    append_timeline_json(out, r, reasons);
    g_string_append_c(out, ',');
    append_destinations_json(out, r, reasons);
    g_string_append_c(out, ',');
    append_bars_json(out, "causes", causes, CHART_CAUSES);
    g_string_append_c(out, ',');
    append_bars_json(out, "senders", senders, CHART_SENDERS);
    g_string_append_c(out, '}');
}

/* ---- page parts ------------------------------------------------------------------- */

static const char STYLE[] =
    ":root{--fg:#1d2430;--mut:#5b6472;--bg:#fff;--alt:#f4f6f9;--line:#d9dee5;--hard:#b42318;--soft:#b54708;--ok:#067647}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}"
    "main{max-width:1200px;margin:0 auto;padding:1rem}"
    "h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--line);padding-bottom:.3rem}"
    ".sub{color:var(--mut);margin:0 0 1rem}"
    ".figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(8.5rem,1fr));gap:.6rem;margin:0}"
    ".figures div{background:var(--alt);border-radius:8px;padding:.6rem .8rem}"
    ".figures dt{color:var(--mut);font-size:.8rem}.figures dd{margin:0;font-size:1.35rem;font-weight:600}"
    ".figures dd small{font-size:.8rem;font-weight:400;color:var(--mut)}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:1rem}"
    ".chart{position:relative;height:340px}.nojs .chart{display:none}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tbody tr:nth-child(even){background:var(--alt)}"
    ".js th{cursor:pointer;user-select:none;white-space:nowrap}.js th:after{content:' \\2195';color:var(--mut);font-size:.75em}"
    "details{margin:.5rem 0}summary{cursor:pointer;color:var(--mut)}"
    "ol,ul{margin:.2rem 0;padding-left:1.3rem}"
    ".st-problem{color:var(--hard);font-weight:600}.st-error{color:var(--soft)}.st-ok{color:var(--ok)}"
    ".sev-high{color:var(--hard)}.sev-medium{color:var(--soft)}"
    "code{font-size:.85em;word-break:break-all}"
    "input[type=search]{width:100%;max-width:28rem;padding:.45rem .6rem;margin:.3rem 0 .6rem;font:inherit;border:1px solid var(--line);border-radius:6px}"
    ".note{color:var(--mut);font-size:.85rem}"
    "@media (max-width:600px){main{padding:.6rem}.chart{height:440px}th,td{padding:.3rem}.hide-narrow{display:none}}";

static void
append_figure(GString *out, const char *id, const char *label, guint64 n, const char *small)
{
    g_string_append_printf(out, "<div><dt>%s</dt><dd id=\"fig-%s\" data-n=\"%" G_GUINT64_FORMAT "\">%"
                           G_GUINT64_FORMAT "%s%s%s</dd></div>\n",
                           label, id, n, n, small ? " <small>" : "", small ? small : "", small ? "</small>" : "");
}

static void
append_headline(GString *out, const BtReport *r)
{
    char pct[64];
    g_string_append(out, "<dl class=\"figures\">\n");
    append_figure(out, "messages", "Messages read", r->messages, NULL);
    append_figure(out, "bounces", "Bounces", r->bounces, NULL);
    append_figure(out, "records", "Bounced recipients (records)", r->records, NULL);
    append_figure(out, "recipients", "Distinct addresses", g_hash_table_size(r->recipients), NULL);
    g_snprintf(pct, sizeof pct, "%.1f%%", percent(r->hard, r->records));
    append_figure(out, "hard", "Hard bounces", r->hard, pct);
    g_snprintf(pct, sizeof pct, "%.1f%%", percent(r->records - r->hard, r->records));
    append_figure(out, "soft", "Soft bounces", r->records - r->hard, pct);
    g_snprintf(pct, sizeof pct, "%.1f%%", percent(r->records - r->fallback, r->records));
    append_figure(out, "specific", "Decided by a specific rule", r->records - r->fallback, pct);
    g_snprintf(pct, sizeof pct, "%.1f%%", percent(r->fallback, r->records));
    append_figure(out, "fallback", "Fallback: a one-word guess, the status class, or undecided", r->fallback, pct);
    g_string_append(out, "</dl>\n");
}

static void
append_period(GString *out, const BtReport *r)
{
    g_string_append(out, "<p class=\"sub\" id=\"period\">");
    if (r->last_ts) {
        char a[32], b[32];
        date_of(a, r->first_ts, TRUE);
        date_of(b, r->last_ts, TRUE);
        g_string_append_printf(out, "Period covered: <time data-ts=\"%" G_GINT64_FORMAT "\">%s</time> to "
                               "<time data-ts=\"%" G_GINT64_FORMAT "\">%s</time>", r->first_ts, a, r->last_ts, b);
    } else {
        g_string_append(out, "Period covered: no record has a date");
    }
    if (r->undated)
        g_string_append_printf(out, " (%" G_GUINT64_FORMAT " records without a date)", r->undated);
    g_string_append(out, "</p>\n");
}

static void
table_open(GString *out, const char *id, const char *const *heads)
{
    g_string_append_printf(out, "<div class=\"scroll\"><table class=\"sortable\" id=\"%s\"><thead><tr>", id);
    for (const char *const *h = heads; *h; h++) {
        gboolean numeric = (*h)[0] == '#';
        g_string_append_printf(out, "<th%s>%s</th>", numeric ? " class=\"n\"" : "", *h + numeric);
    }
    g_string_append(out, "</tr></thead><tbody>\n");
}

static void
table_close(GString *out)
{
    g_string_append(out, "</tbody></table></div>\n");
}

static void
cell_n(GString *out, guint64 n)
{
    g_string_append_printf(out, "<td class=\"n\" data-sort=\"%" G_GUINT64_FORMAT "\">%" G_GUINT64_FORMAT "</td>", n, n);
}

static void
cell_pct(GString *out, guint64 n, guint64 total)
{
    g_string_append_printf(out, "<td class=\"n\">%.1f%%</td>", percent(n, total));
}

static void
append_reasons_table(GString *out, const BtReport *r)
{
    static const char *const heads[] = { "reason", "#records", "#%", NULL };
    g_autoptr(GArray) e = bt_report_sorted_counter(r->reasons);
    table_open(out, "t-reasons", heads);
    for (guint i = 0; i < e->len; i++) {
        const BtReportEntry *x = &g_array_index(e, BtReportEntry, i);
        g_string_append(out, "<tr><td>");
        esc(out, x->key);
        g_string_append(out, "</td>");
        cell_n(out, x->count);
        cell_pct(out, x->count, r->records);
        g_string_append(out, "</tr>\n");
    }
    table_close(out);
}

/* "userunknown 3, mailboxfull 1" */
static void
append_mix(GString *out, GHashTable *reasons)
{
    g_autoptr(GArray) e = bt_report_sorted_counter(reasons);
    for (guint i = 0; i < e->len; i++) {
        const BtReportEntry *x = &g_array_index(e, BtReportEntry, i);
        if (i)
            g_string_append(out, ", ");
        esc(out, x->key);
        g_string_append_printf(out, " %" G_GUINT64_FORMAT, x->count);
    }
}

static gint
compare_days(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
    return x < y ? -1 : x > y;
}

static void
append_timeline_table(GString *out, const BtReport *r)
{
    static const char *const heads[] = { "day (UTC)", "#records", "reasons", NULL };
    g_autoptr(GArray) days = g_array_new(FALSE, FALSE, sizeof(gint64));
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, r->buckets);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_array_append_val(days, *(gint64 *) k);
    g_array_sort(days, compare_days);
    g_string_append_printf(out, "<details><summary>The records by day (%u days with bounces)</summary>\n", days->len);
    table_open(out, "t-timeline", heads);
    for (guint i = 0; i < days->len; i++) {
        gint64 day = g_array_index(days, gint64, i);
        GHashTable *reasons = g_hash_table_lookup(r->buckets, &day);
        guint64 total = 0;
        GHashTableIter ri;
        gpointer v;
        g_hash_table_iter_init(&ri, reasons);
        while (g_hash_table_iter_next(&ri, NULL, &v))
            total += *(guint64 *) v;
        char d[32];
        date_of(d, day * 86400, FALSE);
        g_string_append_printf(out, "<tr><td>%s</td>", d);
        cell_n(out, total);
        g_string_append(out, "<td>");
        append_mix(out, reasons);
        g_string_append(out, "</td></tr>\n");
    }
    table_close(out);
    g_string_append(out, "</details>\n");
}

static void
append_destinations_table(GString *out, const BtReport *r)
{
    static const char *const heads[] = { "destination", "#records", "#%", "reasons", NULL };
    g_autoptr(GArray) e = bt_report_sorted_by(r->destinations, mix_total);
    table_open(out, "t-destinations", heads);
    guint64 others = 0;
    for (guint i = 0; i < e->len; i++) {
        const BtReportEntry *x = &g_array_index(e, BtReportEntry, i);
        if (i >= TOP_DESTINATIONS) {
            others += x->count;
            continue;
        }
        g_string_append(out, "<tr><td>");
        esc(out, x->key);
        g_string_append(out, "</td>");
        cell_n(out, x->count);
        cell_pct(out, x->count, r->records);
        g_string_append(out, "<td>");
        append_mix(out, ((const BtReportMix *) x->value)->reasons);
        g_string_append(out, "</td></tr>\n");
    }
    if (e->len > TOP_DESTINATIONS) {
        g_string_append_printf(out, "<tr><td>others (%u)</td>", e->len - TOP_DESTINATIONS);
        cell_n(out, others);
        cell_pct(out, others, r->records);
        g_string_append(out, "<td></td></tr>\n");
    }
    table_close(out);
}

static void
append_causes_table(GString *out, const BtReport *r)
{
    static const char *const heads[] = { "cause", "#records", "#%", "#addresses", NULL };
    g_autoptr(GArray) e = bt_report_sorted_by(r->causes, cause_records);
    table_open(out, "t-causes", heads);
    for (guint i = 0; i < e->len; i++) {
        const BtReportEntry *x = &g_array_index(e, BtReportEntry, i);
        g_string_append(out, "<tr><td><code>");
        esc(out, x->key);
        g_string_append(out, "</code></td>");
        cell_n(out, x->count);
        cell_pct(out, x->count, r->records);
        cell_n(out, cause_recipients(x->value));
        g_string_append(out, "</tr>\n");
    }
    table_close(out);
}

static void
append_finding(GString *out, const BtReportFinding *f, const char *name)
{
    const char *status = bt_check_status_name(f->status);
    g_string_append_printf(out, "<li><code>");
    esc(out, name);
    g_string_append(out, "</code> ");
    esc(out, f->target);
    g_string_append_printf(out, ": <span class=\"st-%s\">%s</span>", status, status);
    if (f->detail && *f->detail) {
        g_string_append(out, " — ");
        esc(out, f->detail);
    }
    g_string_append(out, "</li>");
}

/* The findings of a table ("name\x1ftarget" -> finding), sorted by key. */
static void
append_findings(GString *out, GHashTable *findings)
{
    g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(findings), (GCompareFunc) strcmp);
    if (!keys)
        return;
    g_string_append(out, "<ul>");
    for (GList *l = keys; l; l = l->next) {
        g_autofree char *name = g_strndup(l->data, strcspn(l->data, "\x1f"));
        append_finding(out, g_hash_table_lookup(findings, l->data), name);
    }
    g_string_append(out, "</ul>");
}

static void
append_fix_first(GString *out, const BtReport *r)
{
    static const char *const heads[] = { "#rank", "cause", "#addresses", "#records", "severity",
                                         "what to do", "checks", NULL };
    g_autoptr(GArray) e = bt_report_sorted_by(r->causes, cause_recipients);
    table_open(out, "t-fix", heads);
    guint rank = 0;
    for (guint i = 0; i < e->len; i++) {
        const BtReportEntry *x = &g_array_index(e, BtReportEntry, i);
        const BtReportCause *c = x->value;
        if (strcmp(x->key, "(none)") == 0)
            continue;
        rank++;
        g_string_append_printf(out, "<tr><td class=\"n\" data-sort=\"%u\">%u</td><td><code>", rank, rank);
        esc(out, x->key);
        /* a summary names the first record's address and domains: an example when there are more */
        g_string_append(out, x->count > 1 ? "</code><br><span class=\"note\">for example:</span> " : "</code><br>");
        esc(out, c->summary);
        g_string_append(out, "</td>");
        cell_n(out, x->count);
        cell_n(out, c->records);
        g_string_append(out, "<td class=\"sev-");
        esc(out, c->severity ? c->severity : "none");
        g_string_append(out, "\">");
        esc(out, c->severity ? c->severity : "");
        g_string_append(out, "</td><td>");
        if (c->remediation->len) {
            g_string_append(out, "<ol>");
            for (guint s = 0; s < c->remediation->len; s++) {
                g_string_append(out, "<li>");
                esc(out, c->remediation->pdata[s]);
                g_string_append(out, "</li>");
            }
            g_string_append(out, "</ol>");
        }
        g_string_append(out, "</td><td>");
        append_findings(out, c->findings);
        g_string_append(out, "</td></tr>\n");
    }
    table_close(out);
    if (!r->checks_ran)
        g_string_append(out, "<p class=\"note\">The checks did not run: run again with "
                              "<code>--check=dns</code> (or <code>dns,resend</code>) to see their findings here.</p>\n");
}

static void
append_senders_table(GString *out, const BtReport *r)
{
    static const char *const heads[] = { "sending domain", "#records", "checks", NULL };
    g_autoptr(GArray) e = bt_report_sorted_by(r->senders, sender_records);
    table_open(out, "t-senders", heads);
    for (guint i = 0; i < e->len; i++) {
        const BtReportEntry *x = &g_array_index(e, BtReportEntry, i);
        g_string_append(out, "<tr><td>");
        esc(out, x->key);
        g_string_append(out, "</td>");
        cell_n(out, x->count);
        g_string_append(out, "<td>");
        const BtReportSender *s = x->value;
        if (g_hash_table_size(s->checks))
            append_findings(out, s->checks);
        else
            g_string_append(out, r->checks_ran ? "no check ran for this domain" : "not checked");
        g_string_append(out, "</td></tr>\n");
    }
    table_close(out);
}

static gint
compare_recipients(gconstpointer a, gconstpointer b)
{
    const BtReportEntry *x = a, *y = b;
    const BtReportRecipient *p = x->value, *q = y->value;
    if (p->count != q->count)
        return p->count > q->count ? -1 : 1;
    if (p->last_seen != q->last_seen)
        return p->last_seen > q->last_seen ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void
append_recipients_table(GString *out, const BtReport *r)
{
    static const char *const heads[] = { "address", "reason", "last status", "#count", "last seen", NULL };
    g_autoptr(GArray) e = g_array_sized_new(FALSE, FALSE, sizeof(BtReportEntry), g_hash_table_size(r->recipients));
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, r->recipients);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        BtReportEntry x = { k, ((BtReportRecipient *) v)->count, v };
        g_array_append_val(e, x);
    }
    g_array_sort(e, compare_recipients);
    g_string_append(out, "<input type=\"search\" id=\"recipient-search\" hidden "
                         "placeholder=\"Search addresses, reasons, statuses\" aria-label=\"Search the recipients\">\n");
    table_open(out, "t-recipients", heads);
    for (guint i = 0; i < e->len && i < MAX_RECIPIENT_ROWS; i++) {
        const BtReportEntry *x = &g_array_index(e, BtReportEntry, i);
        const BtReportRecipient *p = x->value;
        char d[32] = "";
        if (p->last_seen)
            date_of(d, p->last_seen, TRUE);
        g_string_append(out, "<tr><td>");
        esc(out, x->key);
        g_string_append(out, "</td><td>");
        esc(out, p->reason);
        g_string_append(out, "</td><td>");
        esc(out, p->status);
        g_string_append(out, "</td>");
        cell_n(out, p->count);
        g_string_append_printf(out, "<td data-sort=\"%" G_GINT64_FORMAT "\">%s</td></tr>\n", p->last_seen, d);
    }
    table_close(out);
    if (e->len > MAX_RECIPIENT_ROWS)
        g_string_append_printf(out, "<p class=\"note\" id=\"recipients-cut\">The %u addresses with most bounces "
                               "are shown, of %u: the suppression list (<code>--suppress</code>) has them all.</p>\n",
                               MAX_RECIPIENT_ROWS, e->len);
}

/* The enhancement: sorting, search and the charts.  Plain ES5, no
 * network; a page without Chart.js still sorts and searches. */
static const char SCRIPT[] =
    "(function(){'use strict';\n"
    "var root=document.documentElement;root.className='js';\n"
    "function key(td){var s=td.getAttribute('data-sort');return s!==null&&s!==''?parseFloat(s):td.textContent.toLowerCase();}\n"
    "Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),function(t){\n"
    " Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,col){var asc=false;\n"
    "  th.addEventListener('click',function(){asc=!asc;var b=t.tBodies[0];var rows=Array.prototype.slice.call(b.rows);\n"
    "   rows.sort(function(x,y){var a=key(x.cells[col]),c=key(y.cells[col]);return (a<c?-1:a>c?1:0)*(asc?1:-1);});\n"
    "   rows.forEach(function(r){b.appendChild(r);});});});});\n"
    "var q=document.getElementById('recipient-search');\n"
    "if(q){q.hidden=false;q.addEventListener('input',function(){var v=q.value.toLowerCase();\n"
    " Array.prototype.forEach.call(document.getElementById('t-recipients').tBodies[0].rows,function(r){\n"
    "  r.style.display=r.textContent.toLowerCase().indexOf(v)<0?'none':'';});});}\n"
    "if(typeof Chart==='undefined'){root.className='nojs';console.log('bt-report: no Chart.js, tables only');return;}\n"
    "var data=JSON.parse(document.getElementById('bt-data').textContent);\n"
    "var pal=['#2f6fde','#d9480f','#2b8a3e','#ae3ec9','#e8590c','#1098ad','#c2255c','#5c940d','#f08c00','#495057','#868e96'];\n"
    "function sets(series){return series.map(function(s,i){return {label:data.reasons[i],data:s,backgroundColor:pal[i%pal.length]};});}\n"
    "var n=0;\n"
    "function draw(id,cfg){var c=document.getElementById(id);if(!c)return;cfg.options=cfg.options||{};\n"
    " cfg.options.maintainAspectRatio=false;cfg.options.animation=false;new Chart(c,cfg);n++;}\n"
    "var stacked={x:{stacked:true},y:{stacked:true,beginAtZero:true}};\n"
    "var narrow=window.matchMedia('(max-width:600px)').matches;\n"
    "var legend={position:narrow?'bottom':'top',labels:{boxWidth:narrow?10:30,font:{size:narrow?10:12}}};\n"
    "var names={autoSkip:false,callback:function(v){var l=String(this.getLabelForValue(v));\n"
    " return narrow&&l.length>18?l.slice(0,17)+'\\u2026':l;}};\n"
    "draw('c-timeline',{type:'bar',data:{labels:data.timeline.labels,datasets:sets(data.timeline.series)},\n"
    " options:{scales:stacked,plugins:{legend:legend,title:{display:true,text:'Bounced recipients per '+data.timeline.unit+' by reason'}}}});\n"
    "draw('c-destinations',{type:'bar',data:{labels:data.destinations.labels,datasets:sets(data.destinations.series)},\n"
    " options:{indexAxis:'y',scales:{x:{stacked:true,beginAtZero:true},y:{stacked:true,ticks:names}},plugins:{legend:legend,title:{display:true,text:'Top destination domains by reason'}}}});\n"
    "draw('c-causes',{type:'bar',data:{labels:data.causes.labels,datasets:[{label:'records',data:data.causes.counts,backgroundColor:pal[0]}]},\n"
    " options:{indexAxis:'y',scales:{y:{ticks:names}},plugins:{legend:{display:false},title:{display:true,text:'Top causes'}}}});\n"
    "draw('c-senders',{type:'bar',data:{labels:data.senders.labels,datasets:[{label:'records',data:data.senders.counts,backgroundColor:pal[3]}]},\n"
    " options:{indexAxis:'y',scales:{y:{ticks:names}},plugins:{legend:{display:false},title:{display:true,text:'Sending domains'}}}});\n"
    "draw('c-reasons',{type:'doughnut',data:{labels:data.reasons,datasets:[{data:data.reason_totals,backgroundColor:pal}]},\n"
    " options:{plugins:{legend:{position:narrow?'bottom':'right',labels:legend.labels},title:{display:true,text:'Records by reason'}}}});\n"
    "Array.prototype.forEach.call(document.querySelectorAll('details.with-chart'),function(d){d.open=false;});\n"
    "document.body.setAttribute('data-charts',String(n));\n"
    "console.log('bt-report: '+n+' charts drawn');\n"
    "})();\n";

/* A chart's table: open, so that it shows without JavaScript; the script
 * folds it once the chart is drawn. */
static void
append_beside_chart(GString *out, const char *summary, void (*table)(GString *, const BtReport *), const BtReport *r)
{
    g_string_append_printf(out, "<details class=\"with-chart\" open><summary>%s</summary>\n", summary);
    table(out, r);
    g_string_append(out, "</details>\n");
}

static void
append_chart(GString *out, const char *id, const char *label)
{
    g_string_append_printf(out, "<div class=\"chart\"><canvas id=\"%s\" role=\"img\" aria-label=\"%s\"></canvas></div>\n",
                           id, label);
}

void
bt_report_write_html(const BtReport *r, GString *out, const char *source, const char *chartjs)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *generated = g_date_time_format(now, "%Y-%m-%d %H:%M UTC");

    g_string_append(out, "<!DOCTYPE html>\n<html lang=\"en\" class=\"nojs\"><head><meta charset=\"utf-8\">\n"
                         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
                         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                         "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
                         "<title>Bounce report — ");
    esc(out, source);
    g_string_append_printf(out, "</title>\n<style>%s</style></head>\n<body>\n<main>\n<h1>Bounce report</h1>\n"
                                "<p class=\"sub\">", STYLE);
    esc(out, source);
    g_string_append_printf(out, " · generated by %s %s on %s</p>\n", PACKAGE_NAME, PACKAGE_VERSION, generated);
    append_headline(out, r);
    append_period(out, r);

    g_string_append(out, "<h2 id=\"s-time\">Bounces over time</h2>\n");
    append_chart(out, "c-timeline", "Bounced recipients over time, stacked by reason");
    append_timeline_table(out, r);

    g_string_append(out, "<div class=\"grid\"><section><h2 id=\"s-reasons\">Reasons</h2>\n");
    append_chart(out, "c-reasons", "Records by reason");
    append_beside_chart(out, "The records by reason", append_reasons_table, r);
    g_string_append(out, "</section><section><h2 id=\"s-destinations\">Destination domains</h2>\n");
    append_chart(out, "c-destinations", "Top destination domains, stacked by reason");
    append_beside_chart(out, "The records by destination domain", append_destinations_table, r);
    g_string_append(out, "</section><section><h2 id=\"s-causes\">Causes</h2>\n");
    append_chart(out, "c-causes", "Top causes");
    append_beside_chart(out, "The records by cause", append_causes_table, r);
    g_string_append(out, "</section><section><h2 id=\"s-senders\">Sending domains</h2>\n");
    append_chart(out, "c-senders", "Records per sending domain");
    if (r->checks_ran)
        append_senders_table(out, r);
    else
        append_beside_chart(out, "The records by sending domain (not checked)", append_senders_table, r);
    g_string_append(out, "</section></div>\n");

    g_string_append(out, "<h2 id=\"s-fix\">Fix first</h2>\n<p class=\"note\">Causes ranked by the number of "
                         "addresses they affect: the first row is the fix that removes the most failures.</p>\n");
    append_fix_first(out, r);

    g_string_append(out, "<h2 id=\"s-recipients\">Recipients</h2>\n");
    append_recipients_table(out, r);
    g_string_append(out, "</main>\n<script type=\"application/json\" id=\"bt-data\">");
    append_data_json(out, r);
    g_string_append(out, "</script>\n");
    if (chartjs) {
        g_string_append(out, "<script>");
        g_string_append(out, chartjs);
        g_string_append(out, "</script>\n");
    }
    g_string_append_printf(out, "<script>%s</script>\n</body></html>\n", SCRIPT);
}
