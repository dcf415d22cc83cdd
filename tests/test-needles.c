/* test-needles — the literal needles the layout engine checks before a
 * regex scan (layout-regex.c): what is read from a pattern, that a pattern
 * it cannot read gets none, that every match of a sample contains one of
 * its needles, and that caseless letters outside ASCII still match. */
#include "extract/layout-private.h"

#include <glib/gstdio.h>
#include <string.h>

static void
assert_needles(const char *pattern, const char *expected)
{
    g_auto(GStrv) got = bt_layout_needles(pattern);
    g_autofree char *joined = got ? g_strjoinv("|", got) : NULL;
    g_assert_cmpstr(joined, ==, expected);
}

static void
test_read(void)
{
    assert_needles("(?im)^\\s*The following addresses did NOT receive", "the following addresses did not receive");
    assert_needles("^Hi\\. This is the (?:qmail|indimail)[\\w-]* program at", "hi. this is the ");
    assert_needles("(?i)^Sorry, we|^Your mail to", "sorry, we|your mail to");
    /* a quantified letter is not part of the run */
    assert_needles("rcpts? failed", " failed");
    assert_needles("abcd+xyz", "abc");
    assert_needles("ab{2,3}cdef", "cdef");
    /* escaped punctuation is text; escape letters and their arguments are not */
    assert_needles("\\(mailbox is full\\)", "(mailbox is full)");
    assert_needles("\\x41BCD1 zzz", " zzz");
    assert_needles("\\x{41}zzz", "zzz");
    assert_needles("\\bwhere\\b", "where");
    /* a group that must match gives its alternatives' needles */
    assert_needles("(?i)^\\s*(?:Unable to deliver|Your message to)", "unable to deliver|your message to");
    assert_needles("(?<code>[245]\\d\\d) (?:bad mailbox|no such user)", "bad mailbox|no such user");
    /* text inside an optional group, a lookaround or a class is never required */
    assert_needles("(?:foo bar)?xyz", "xyz");
    assert_needles("(?=foo bar)xyz", "xyz");
    assert_needles("(?:foo|bar)bazz", "bazz");
    assert_needles("[abcdef]+ghi", "ghi");
    /* a POSIX class inside a class is read to the class's end (bt_skip_class) */
    assert_needles("[[:alpha:]]abcdef", "abcdef");
    assert_needles("(?<recipient>[^\\s<>]+@[^\\s<>]+) \\.\\.\\. ", " ... ");
    /* non-ASCII is never part of a needle (Unicode caseless matching) */
    assert_needles("abc\xC3\xA9xy", "abc");
}

static void
test_unreadable(void)
{
    assert_needles("", NULL);
    assert_needles("ab|cdef", NULL);           /* a branch with too little text */
    assert_needles("(?x) a b c d e", NULL);     /* extended mode: spaces are not text */
    assert_needles("(?ix)abcdef", NULL);
    assert_needles("\\Qa|b\\Eabcdef", NULL);
    assert_needles("(?#comment)abcdef", NULL);
    assert_needles("(*UTF)abcdef", NULL);
    assert_needles("abc{def", NULL);            /* '{' that is not a count */
    assert_needles("abcdef)", NULL);
    /* a class holding \Q (which may quote its "]") is not read through */
    assert_needles("[a\\Q]\\E]abcdef", NULL);
    assert_needles("\\cAabcdef", NULL);
}

/* Every match of each pattern on each sample contains one of its needles. */
static void
test_matches_contain_needle(void)
{
    static const char *patterns[] = {
        "(?i)^\\s*(?:Unable to deliver message to the following address|Your message to the following addresses|He/Her is not )",
        "(?im)^Reporting-MTA:\\s*<(?<lhost>[^>\\s]+)>",
        "(?m)^\\|-{5,} Failed addresses follow: -+\\|",
        "(?i)Reason:\\s*(?:Remote SMTP Server Returned:\\s*)?(?<replycode>[245]\\d\\d)",
        "^Your message to <(?<recipient>[^\\s<>]+@[^\\s<>]+)> was automatically rejected:",
        "(?i)delivery to the following recipients? (?:failed|has been delayed)\\.",
    };
    static const char *samples[] = {
        "Hello\n  UNABLE TO DELIVER MESSAGE TO THE FOLLOWING ADDRESS: x\n",
        "he/her is NOT here\n",
        "reporting-mta: <mx.example.net>\n",
        "|----- Failed addresses follow: ---------|\n",
        "REASON: Remote SMTP Server Returned: 550 no\n",
        "Your message to <a@example.com> was automatically rejected: full\n",
        "Delivery to the following recipient has been delayed.\n",
        "nothing to see\n",
    };
    pcre2_match_data *md = pcre2_match_data_create(64, NULL);
    for (gsize p = 0; p < G_N_ELEMENTS(patterns); p++) {
        int err;
        PCRE2_SIZE off;
        pcre2_code *code = pcre2_compile((PCRE2_SPTR) patterns[p], PCRE2_ZERO_TERMINATED,
                                         PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &err, &off, NULL);
        g_assert_nonnull(code);
        g_auto(GStrv) needles = bt_layout_needles(patterns[p]);
        g_assert_nonnull(needles);
        gboolean matched_one = FALSE;
        for (gsize s = 0; s < G_N_ELEMENTS(samples); s++) {
            if (pcre2_match(code, (PCRE2_SPTR) samples[s], strlen(samples[s]), 0, 0, md, NULL) < 0)
                continue;
            matched_one = TRUE;
            g_autofree char *lower = g_ascii_strdown(samples[s], -1);
            gboolean found = FALSE;
            for (char **n = needles; *n; n++)
                found = found || strstr(lower, *n);
            g_assert_true(found);
        }
        g_assert_true(matched_one);
        pcre2_code_free(code);
    }
    pcre2_match_data_free(md);
}

/* "(?i)k" matches KELVIN SIGN (U+212A) under Unicode caseless matching; a
 * needle search in ASCII lower case would not see it, so such a body must
 * still be given to the regex. */
static void
test_kelvin_sign(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("test-needles-XXXXXX", &err);
    g_assert_no_error(err);
    g_autofree char *path = g_build_filename(dir, "k.yaml", NULL);
    const char *yaml =
        "layouts:\n"
        "  - id: test-kelvin\n"
        "    match:\n"
        "      body: '(?i)^bookkeeping failed for'\n"
        "    recipients:\n"
        "      - '^<(?<recipient>[^>]+)>$'\n";
    g_file_set_contents(path, yaml, -1, &err);
    g_assert_no_error(err);
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    BtLayouts *lays = bt_layouts_load(dirs, errors, &err);
    g_assert_no_error(err);
    g_assert_nonnull(lays);

    const char *bodies[] = {
        "BOOKKEEPING FAILED FOR\n<a@example.com>\n",
        "boo\xE2\x84\xAA\xE2\x84\xAA" "eeping failed for\n<a@example.com>\n",   /* KELVIN SIGN */
        "bookkeeping failed for\n<a@example.com>\n\xC5\xBF\n",                   /* LONG S elsewhere */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
        BtMsgView view = { .body = (char *) bodies[i] };
        g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
        gsize original_at;
        g_assert_true(bt_layouts_extract(lays, &view, records, &original_at));
        g_assert_cmpuint(records->len, ==, 1);
    }
    BtMsgView plain = { .body = (char *) "bookkeping failed for\n<a@example.com>\n" };
    g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at;
    g_assert_false(bt_layouts_extract(lays, &plain, none, &original_at));
    bt_layouts_free(lays);
    g_unlink(path);
    g_rmdir(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/needles/read", test_read);
    g_test_add_func("/needles/unreadable", test_unreadable);
    g_test_add_func("/needles/matches-contain-needle", test_matches_contain_needle);
    g_test_add_func("/needles/kelvin-sign", test_kelvin_sign);
    return g_test_run();
}
