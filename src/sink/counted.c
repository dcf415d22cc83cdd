/* counted — the entries of a count table, most first and ties by name, so
 * that every table the sinks print (--summary, the report) is stable.  Kept
 * apart from report.c so that the summary can use it without the report. */
#include "sink/report-private.h"

#include <string.h>

static gint
compare_counted(gconstpointer a, gconstpointer b)
{
    const BtReportEntry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Entries of a table whose values start with their count (`value` is the
 * value), most first.  `count_of` reads the count. */
GArray *
bt_report_sorted_by(GHashTable *table, guint64 (*count_of)(gconstpointer value))
{
    GArray *a = g_array_sized_new(FALSE, FALSE, sizeof(BtReportEntry), g_hash_table_size(table));
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        BtReportEntry e = { k, count_of(v), v };
        g_array_append_val(a, e);
    }
    g_array_sort(a, compare_counted);
    return a;
}

static guint64
counter_count(gconstpointer value)
{
    return *(const guint64 *) value;
}

/* Entries of a counter (char* -> guint64*), most first, ties by name. */
GArray *
bt_report_sorted_counter(GHashTable *counter)
{
    return bt_report_sorted_by(counter, counter_count);
}
