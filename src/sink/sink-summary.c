/* sink-summary — the --summary counts: records by reason, by destination
 * domain (the top 20, the rest as "others") and by cause, the totals, and
 * how many verdicts are fallbacks (the status class alone, or no reason).
 * Written as a table with percentages for the text format, and as plain
 * aligned lines when the records themselves are JSON Lines or CSV (the
 * summary then goes to stderr, beside the data). */
#include "sink/sink-private.h"
#include "sink/report-private.h"
#include "rules/rules.h"

#include <string.h>

#define TOP_DESTINATIONS 20
#define MAX_KEY_WIDTH 48

static GHashTable *
counter_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void
bt_summary_init(BtSummary *sum)
{
    memset(sum, 0, sizeof *sum);
    sum->reasons = counter_new();
    sum->destinations = counter_new();
    sum->causes = counter_new();
}

void
bt_summary_clear(BtSummary *sum)
{
    g_clear_pointer(&sum->reasons, g_hash_table_unref);
    g_clear_pointer(&sum->destinations, g_hash_table_unref);
    g_clear_pointer(&sum->causes, g_hash_table_unref);
}

static void
count(GHashTable *counter, const char *key)
{
    guint64 *n = g_hash_table_lookup(counter, key);
    if (!n) {
        n = g_new0(guint64, 1);
        g_hash_table_insert(counter, g_strdup(key), n);
    }
    (*n)++;
}

static void
add_count(GHashTable *counter, const char *key, guint64 n)
{
    guint64 *c = g_hash_table_lookup(counter, key);
    if (!c) {
        c = g_new0(guint64, 1);
        g_hash_table_insert(counter, g_strdup(key), c);
    }
    *c += n;
}

/* Packed: the six totals, then each table as its size and its entries
 * (key length, key, count), in native byte order: for a process of the
 * same program on the same machine. */
static void
pack_table(GHashTable *table, GByteArray *out)
{
    guint32 n = g_hash_table_size(table);
    g_byte_array_append(out, (const guint8 *) &n, sizeof n);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        guint32 len = (guint32) strlen(k);
        g_byte_array_append(out, (const guint8 *) &len, sizeof len);
        g_byte_array_append(out, k, len);
        g_byte_array_append(out, v, sizeof(guint64));
    }
}

void
bt_summary_pack(const BtSummary *sum, GByteArray *out)
{
    guint64 totals[6] = { sum->messages, sum->bounces, sum->records, sum->class_fallback, sum->undecided,
                          sum->keyword_guess };
    g_byte_array_append(out, (const guint8 *) totals, sizeof totals);
    pack_table(sum->reasons, out);
    pack_table(sum->destinations, out);
    pack_table(sum->causes, out);
}

/* Reads one packed table into `into` (a new table, merged by the caller
 * once every part was whole). */
static gboolean
unpack_table(const guint8 **p, const guint8 *end, GHashTable *into)
{
    guint32 n;
    if (!bt_take_bytes(p, end, &n, sizeof n))
        return FALSE;
    for (guint32 i = 0; i < n; i++) {
        guint32 len;
        guint64 count;
        if (!bt_take_bytes(p, end, &len, sizeof len) || (gsize) (end - *p) < len)
            return FALSE;
        g_autofree char *key = g_strndup((const char *) *p, len);
        *p += len;
        if (!bt_take_bytes(p, end, &count, sizeof count))
            return FALSE;
        add_count(into, key, count);
    }
    return TRUE;
}

static void
merge_table(GHashTable *into, GHashTable *from)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, from);
    while (g_hash_table_iter_next(&it, &k, &v))
        add_count(into, k, *(guint64 *) v);
}

gboolean
bt_summary_add_packed(BtSummary *sum, const guint8 *data, gsize len)
{
    const guint8 *p = data, *end = data + len;
    guint64 totals[6];
    BtSummary got;
    bt_summary_init(&got);
    gboolean whole = bt_take_bytes(&p, end, totals, sizeof totals) && unpack_table(&p, end, got.reasons)
                     && unpack_table(&p, end, got.destinations) && unpack_table(&p, end, got.causes)
                     && p == end;
    if (whole) {
        sum->messages += totals[0];
        sum->bounces += totals[1];
        sum->records += totals[2];
        sum->class_fallback += totals[3];
        sum->undecided += totals[4];
        sum->keyword_guess += totals[5];
        merge_table(sum->reasons, got.reasons);
        merge_table(sum->destinations, got.destinations);
        merge_table(sum->causes, got.causes);
    }
    bt_summary_clear(&got);
    return whole;
}

void
bt_summary_add_message(BtSummary *sum, const BtBounce *bounce)
{
    sum->messages++;
    if (bounce->is_bounce)
        sum->bounces++;
}

void
bt_summary_add_record(BtSummary *sum, const BtRecord *rec)
{
    sum->records++;
    count(sum->reasons, rec->reason && *rec->reason ? rec->reason : "undefined");
    count(sum->causes, rec->cause_id && *rec->cause_id ? rec->cause_id : "(none)");
    switch (bt_verdict_kind(rec)) {
    case BT_VERDICT_UNDECIDED:
        sum->undecided++;
        break;
    case BT_VERDICT_CLASS:
        sum->class_fallback++;
        break;
    case BT_VERDICT_KEYWORD:
        sum->keyword_guess++;
        break;
    case BT_VERDICT_WORDED:
        break;
    }
    /* Domains are case-insensitive: count Example.COM with example.com. */
    g_autofree char *domain = rec->destination && *rec->destination
                                  ? g_ascii_strdown(rec->destination, -1)
                                  : g_strdup("(unknown)");
    count(sum->destinations, domain);
}

/* The rows one section prints: keys sanitised (they come from bounces),
 * at most `limit` of them, the rest summed into "others". */
typedef struct {
    GPtrArray *keys;      /* char*, owned */
    GArray *counts;       /* guint64 */
} Rows;

static void
rows_add(Rows *rows, char *key, guint64 n)
{
    g_ptr_array_add(rows->keys, key);
    g_array_append_val(rows->counts, n);
}

static Rows
collect_rows(GHashTable *counter, guint limit)
{
    /* most records first, ties in name order, so the output is stable */
    g_autoptr(GArray) entries = bt_report_sorted_counter(counter);
    Rows rows = { g_ptr_array_new_with_free_func(g_free), g_array_new(FALSE, FALSE, sizeof(guint64)) };
    guint64 others = 0;
    guint n_others = 0;

    for (guint i = 0; i < entries->len; i++) {
        const BtReportEntry *e = &g_array_index(entries, BtReportEntry, i);
        if (limit && i >= limit) {
            others += e->count;
            n_others++;
        } else {
            rows_add(&rows, bt_text_one_line(e->key, TRUE), e->count);
        }
    }
    if (n_others)
        rows_add(&rows, g_strdup_printf("others (%u)", n_others), others);
    return rows;
}

static void
rows_free(Rows *rows)
{
    g_ptr_array_unref(rows->keys);
    g_array_unref(rows->counts);
}

static int
key_width(const Rows *rows, const char *title)
{
    gsize width = strlen(title);
    for (guint i = 0; i < rows->keys->len; i++)
        width = MAX(width, (gsize) g_utf8_strlen(rows->keys->pdata[i], -1));
    return (int) MIN(width, MAX_KEY_WIDTH);
}

/* printf pads by bytes; pad by characters so UTF-8 keys line up too. */
static void
print_key(FILE *out, const char *key, int width)
{
    int pad = width - (int) g_utf8_strlen(key, -1);
    fprintf(out, "%s%*s", key, MAX(pad, 0), "");
}

static void
write_table_section(FILE *out, const char *title, GHashTable *counter, guint limit,
                    guint64 total, gboolean color)
{
    Rows rows = collect_rows(counter, limit);
    int width = key_width(&rows, title);

    fprintf(out, "\n  %s", color ? "\033[1m" : "");
    print_key(out, title, width);
    fprintf(out, "  records       %%%s\n", color ? "\033[0m" : "");
    fprintf(out, "  %.*s  -------  ------\n", width,
            "------------------------------------------------");
    for (guint i = 0; i < rows.keys->len; i++) {
        guint64 n = g_array_index(rows.counts, guint64, i);
        fprintf(out, "  ");
        print_key(out, rows.keys->pdata[i], width);
        fprintf(out, "  %7" G_GUINT64_FORMAT "  %5.1f%%\n", n, total ? 100.0 * n / total : 0.0);
    }
    rows_free(&rows);
}

static void
write_plain_section(FILE *out, const char *title, GHashTable *counter, guint limit)
{
    Rows rows = collect_rows(counter, limit);
    int width = key_width(&rows, "");

    fprintf(out, "by %s:\n", title);
    for (guint i = 0; i < rows.keys->len; i++) {
        fprintf(out, "  ");
        print_key(out, rows.keys->pdata[i], width);
        fprintf(out, "  %" G_GUINT64_FORMAT "\n", g_array_index(rows.counts, guint64, i));
    }
    rows_free(&rows);
}

void
bt_summary_write(const BtSummary *sum, FILE *out, gboolean table, gboolean color)
{
    if (table) {
        fprintf(out, "%sSummary%s: %" G_GUINT64_FORMAT " messages, %" G_GUINT64_FORMAT
                " bounces, %" G_GUINT64_FORMAT " records\n",
                color ? "\033[1m" : "", color ? "\033[0m" : "",
                sum->messages, sum->bounces, sum->records);
        write_table_section(out, "reason", sum->reasons, 0, sum->records, color);
        write_table_section(out, "destination", sum->destinations, TOP_DESTINATIONS, sum->records, color);
        write_table_section(out, "cause", sum->causes, 0, sum->records, color);
        fprintf(out, "\n  Fallback verdicts: %" G_GUINT64_FORMAT " from the status class alone, %"
                G_GUINT64_FORMAT " guessed from one word, %" G_GUINT64_FORMAT " undecided (onhold, undefined)\n",
                sum->class_fallback, sum->keyword_guess, sum->undecided);
    } else {
        fprintf(out, "messages: %" G_GUINT64_FORMAT "\nbounces:  %" G_GUINT64_FORMAT
                "\nrecords:  %" G_GUINT64_FORMAT "\n", sum->messages, sum->bounces, sum->records);
        write_plain_section(out, "reason", sum->reasons, 0);
        write_plain_section(out, "destination", sum->destinations, TOP_DESTINATIONS);
        write_plain_section(out, "cause", sum->causes, 0);
        fprintf(out, "class fallback: %" G_GUINT64_FORMAT "\nkeyword guess: %" G_GUINT64_FORMAT
                "\nundecided: %" G_GUINT64_FORMAT "\n", sum->class_fallback, sum->keyword_guess, sum->undecided);
    }
    fflush(out);
}
