/* test-robust — "nothing there" below the message level, where the fuzzers
 * reach only what a message can produce: a bounce whose record has every
 * field unset, empty strings, checks without a target or a detail, a bounce
 * with no text, no origin and no records; through the rules, every sink
 * (with --all, --explain and the summary), the record's JSON and the
 * --check-domain writer.  Nothing may crash, and the output must still be
 * one record per line. */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"
#include "sink/sink.h"

static BtRuleSet *
shipped_rules(void)
{
    const char *src = g_getenv("BT_SRCDIR");
    g_autofree char *dir = g_build_filename(src ? src : BT_ABS_SRCDIR, "rules", NULL);
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    BtRuleSet *rs = bt_ruleset_load(dirs, errors, NULL);
    g_assert_nonnull(rs);
    return rs;
}

/* A bounce with one record whose strings are all NULL (or all ""). */
static BtBounce *
hollow_bounce(gboolean empty_strings)
{
    BtBounce *b = g_new0(BtBounce, 1);
    b->is_bounce = TRUE;
    b->offset = -1;
    b->records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    BtRecord *rec = bt_record_new();
    rec->offset = -1;
    if (empty_strings) {
        gsize n;
        const BtFieldInfo *fields = bt_record_fields(&n);
        for (gsize i = 0; i < n; i++)
            if (fields[i].type == BT_FIELD_STRING)
                bt_record_set_string(rec, &fields[i], "");
        b->origin = g_strdup("");
        b->text = g_strdup("");
    }
    g_ptr_array_add(b->records, rec);
    return b;
}

/* Writes `b` in `format` with --all and the summary; returns the output. */
static char *
write_out(BtFormat format, const BtBounce *b)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    g_autoptr(BtSink) sink = bt_sink_new(out, format, format == BT_FORMAT_TEXT);
    bt_sink_write(sink, b, TRUE);
    bt_sink_finish(sink);
    bt_sink_write_summary(sink, out);
    fclose(out);
    return buf;
}

static void
check_every_format(BtBounce *b)
{
    g_autofree char *jsonl = write_out(BT_FORMAT_JSONL, b);
    g_autofree char *text = write_out(BT_FORMAT_TEXT, b);
    g_autofree char *csv = write_out(BT_FORMAT_CSV, b);
    g_assert_true(g_str_has_prefix(jsonl, "{"));
    g_assert_nonnull(strstr(text, "reason"));
    g_assert_true(g_str_has_prefix(csv, "origin,"));
    for (guint i = 0; b->records && i < b->records->len; i++) {
        g_autofree char *json = bt_record_to_json(b->records->pdata[i]);
        g_assert_true(g_str_has_prefix(json, "{") && g_str_has_suffix(json, "}"));
        g_assert_null(strchr(json, '\n'));
    }
}

static void
test_unset_fields(void)
{
    g_autoptr(BtRuleSet) rs = shipped_rules();
    g_autoptr(BtBounce) b = hollow_bounce(FALSE);
    bt_ruleset_apply(rs, b, TRUE);
    BtRecord *rec = b->records->pdata[0];
    g_assert_nonnull(rec->reason);            /* the last layer gives every record one */
    check_every_format(b);
}

static void
test_empty_fields(void)
{
    g_autoptr(BtRuleSet) rs = shipped_rules();
    g_autoptr(BtBounce) b = hollow_bounce(TRUE);
    bt_ruleset_apply(rs, b, TRUE);
    check_every_format(b);
}

static void
test_hollow_checks(void)
{
    g_autoptr(BtBounce) b = hollow_bounce(FALSE);
    BtRecord *rec = b->records->pdata[0];
    BtCheck *bare = bt_check_new(NULL, NULL);
    g_ptr_array_add(rec->checks, bare);
    BtCheck *done = bt_check_new("dns.mx", "");
    done->status = BT_CHECK_ERROR;
    done->detail = g_strdup("");
    g_ptr_array_add(rec->checks, done);
    g_ptr_array_add(rec->remediation, g_strdup(""));
    check_every_format(b);

    g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func((GDestroyNotify) bt_check_free);
    g_ptr_array_add(checks, bt_check_new(NULL, NULL));
    for (BtFormat f = BT_FORMAT_JSONL; f <= BT_FORMAT_CSV; f++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        g_autoptr(BtSink) sink = bt_sink_new(out, f, FALSE);
        bt_sink_write_domain(sink, "", checks);
        bt_sink_finish(sink);
        fclose(out);
        g_free(buf);
    }
}

static void
test_no_records(void)
{
    g_autoptr(BtBounce) b = hollow_bounce(FALSE);
    g_ptr_array_set_size(b->records, 0);
    b->is_bounce = FALSE;
    g_autofree char *jsonl = write_out(BT_FORMAT_JSONL, b);   /* --all: a placeholder record */
    g_assert_true(g_str_has_prefix(jsonl, "{"));
    g_autofree char *text = write_out(BT_FORMAT_TEXT, b);
    g_autofree char *csv = write_out(BT_FORMAT_CSV, b);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/robust/unset-fields", test_unset_fields);
    g_test_add_func("/robust/empty-fields", test_empty_fields);
    g_test_add_func("/robust/hollow-checks", test_hollow_checks);
    g_test_add_func("/robust/no-records", test_no_records);
    return g_test_run();
}
