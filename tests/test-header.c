/* test-header — the `header` condition (src/rules/header.c): which group of
 * a delivery-status report, or the bounce's own header, a field is read
 * from for each recipient, and rules deciding on it per record. */
#include "rules/rules-private.h"

#include <glib/gstdio.h>
#include <string.h>

static const char report[] =
    "Reporting-MTA: dns; pmta.example.com\n"
    "X-Cat: message-wide\n"
    "\n"
    "Action: failed\n"
    "Final-Recipient: rfc822; <a@example.org>\n"
    "X-Cat: bad\n"
    "\n"
    "Action: failed\n"
    "Final-Recipient: rfc822;B@Example.ORG\n"
    "x-cat:   full  \n"
    "\n"
    "Action: failed\n"
    "Original-Recipient: rfc822; c@example.org\n"
    "Final-Recipient: rfc822; routed-c@internal.example\n"
    "X-Cat: full\n"
    "\n"
    "Action: failed\n"
    "Final-Recipient: rfc822; d@example.org\n";

static const char headers[] =
    "From: mailer-daemon@example.net\n"
    "X-Flag: NG\n"
    "Subject: Returned mail\n"
    "\n"
    "X-Body-Line: not a header\n";

static void
lookup_is(const char *rcpt, const char *name, const char *want)
{
    g_autofree char *got = bt_header_lookup(headers, report, rcpt, name);
    g_assert_cmpstr(got, ==, want);
}

static void
test_lookup(void)
{
    lookup_is("a@example.org", "X-Cat", "bad");                 /* angle brackets */
    lookup_is("b@example.org", "X-Cat", "full");                /* case, spaces trimmed */
    lookup_is("c@example.org", "X-Cat", "full");                /* Original-Recipient */
    lookup_is("d@example.org", "X-Cat", "message-wide");        /* per-message group */
    lookup_is("nobody@example.org", "X-Cat", "message-wide");
    lookup_is("a@example.org", "X-Flag", "NG");                 /* the bounce's header */
    lookup_is("a@example.org", "X-Body-Line", NULL);            /* past the header block */
    lookup_is("a@example.org", "X-Ca", NULL);                   /* a whole name only */
    g_autofree char *none = bt_header_lookup(NULL, NULL, "a@example.org", "X-Cat");
    g_assert_null(none);
}

/* A recipient's group never lends its field to another recipient. */
static void
test_lookup_other_group(void)
{
    const char only_a[] =
        "Reporting-MTA: dns; pmta.example.com\n"
        "\n"
        "Final-Recipient: rfc822; a@example.org\n"
        "X-Cat: bad\n"
        "\n"
        "Final-Recipient: rfc822; b@example.org\n";
    g_autofree char *b = bt_header_lookup(NULL, only_a, "b@example.org", "X-Cat");
    g_assert_null(b);
    g_autofree char *a = bt_header_lookup(NULL, only_a, "a@example.org", "X-Cat");
    g_assert_cmpstr(a, ==, "bad");
}

static BtRuleSet *
load_pack(void)
{
    const char *src = g_getenv("BT_SRCDIR");
    g_autofree char *dir = g_build_filename(src ? src : BT_ABS_SRCDIR, "tests", "data", "header", NULL);
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    BtRuleSet *rs = bt_ruleset_load(dirs, errors, &error);
    for (guint i = 0; i < errors->len; i++)
        g_printerr("%s\n", (char *) errors->pdata[i]);
    g_assert_no_error(error);
    g_assert_nonnull(rs);
    return rs;
}

/* Each record is decided on its own group's field; --explain names it. */
static void
test_rules_per_record(void)
{
    g_autoptr(BtRuleSet) rs = load_pack();
    BtBounce *b = g_new0(BtBounce, 1);
    b->text = g_strdup("");
    b->headers = g_strdup(headers);
    b->dsn = g_strdup(report);
    b->records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    const char *rcpts[] = { "a@example.org", "b@example.org", "d@example.org" };
    for (guint i = 0; i < G_N_ELEMENTS(rcpts); i++) {
        BtRecord *rec = bt_record_new();
        rec->recipient = g_strdup(rcpts[i]);
        g_ptr_array_add(b->records, rec);
    }
    bt_ruleset_apply(rs, b, TRUE);
    BtRecord *a = b->records->pdata[0], *bb = b->records->pdata[1], *d = b->records->pdata[2];
    g_assert_cmpstr(a->rule, ==, "t.category-bad");
    g_assert_cmpstr(a->reason, ==, "userunknown");
    g_assert_nonnull(strstr(a->explain, "X-Cat"));
    g_assert_cmpstr(bb->rule, ==, "t.category-full");
    g_assert_null(d->rule);             /* "message-wide" matches neither; X-Cat is present */

    /* without a report, the header's X-Flag decides and X-Cat is unset */
    g_clear_pointer(&b->dsn, g_free);
    bt_ruleset_apply(rs, b, FALSE);
    g_assert_cmpstr(((BtRecord *) b->records->pdata[0])->rule, ==, "t.flagged");

    g_free(b->text);
    g_free(b->headers);
    g_ptr_array_unref(b->records);
    g_free(b);
}

static void
remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir) {
        for (const char *name; (name = g_dir_read_name(dir));) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            remove_tree(child);
        }
        g_dir_close(dir);
    }
    g_remove(path);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the rules cache goes to a directory of this run, never the user's */
    g_autofree char *cache = g_dir_make_tmp("bt-header-XXXXXX", NULL);
    g_setenv("XDG_CACHE_HOME", cache, TRUE);
    g_test_add_func("/header/lookup", test_lookup);
    g_test_add_func("/header/lookup-other-group", test_lookup_other_group);
    g_test_add_func("/header/rules-per-record", test_rules_per_record);
    int status = g_test_run();
    remove_tree(cache);
    return status;
}
