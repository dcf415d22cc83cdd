/* test-literals — the prefilters in front of the patterns never skip a
 * match: src/core/literals.c splits an alternation into branches only
 * where that cannot change what matches, and over the text of every
 * fixture, every shipped rule pattern found by the filtered, branch-wise
 * search is the match a plain PCRE2 run of the whole pattern finds (same
 * start, same end). */
#include "core/literals.h"
#include "rules/rules-private.h"

#include <string.h>

static const char *
srcdir(void)
{
    const char *src = g_getenv("BT_SRCDIR");
    return src ? src : BT_ABS_SRCDIR;
}

/* ---- splitting ------------------------------------------------------------ */

typedef struct {
    const char *pattern;
    const char *branches;       /* joined with " || "; NULL: not split */
} SplitCase;

static const SplitCase split_cases[] = {
    { "mailbox full|quota exceeded", "mailbox full || quota exceeded" },
    { "(?i)user unknown|no such user|", "(?i)user unknown || (?i)no such user || (?i)" },
    { "(?im)^a|b$", "(?im)^a || (?im)b$" },
    { "(a|b)c", NULL },                         /* one top-level branch */
    { "plain", NULL },
    { "(a|b)|[|)]x|\\|y|z", "(a|b) || [|)]x || \\|y || z" },
    { "(?i:spam)|virus", "(?i:spam) || virus" },            /* scoped options stay put */
    { "(?<!not )blocked|(?<name>denied)", "(?<!not )blocked || (?<name>denied)" },
    { "[[:alpha:]|]+|b", "[[:alpha:]|]+ || b" },
    { "\\p{L}+ x|\\x{41}", "\\p{L}+ x || \\x{41}" },
    /* what ties branches together, or hides a '|' or a ')': not split */
    { "(a)\\1|b", NULL },
    { "(?<n>a)\\k<n>|b", NULL },
    { "(a)(?1)|b", NULL },
    { "(a)(?-1)|b", NULL },
    { "(?R)|b", NULL },
    { "(?&n)|(?<n>b)", NULL },
    { "(?P>n)|(?P<n>b)", NULL },
    { "(?(1)a|b)|c", NULL },
    { "a(?i)b|c", NULL },                       /* "(?i)" carries into "c" */
    { "(?x) a | b", NULL },
    { "(?#a|b)c|d", NULL },
    { "\\Qa|b\\E|c", NULL },
    { "(*UTF)a|b", NULL },
    { "\\c|a|b", NULL },
    { "a)|b", NULL },
    { "(a|b", NULL },
    { "[a|b", NULL },
};

static void
test_split(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(split_cases); i++) {
        const SplitCase *c = &split_cases[i];
        g_auto(GStrv) parts = bt_pattern_branches(c->pattern);
        g_autofree char *joined = parts ? g_strjoinv(" || ", parts) : NULL;
        g_test_message("%s", c->pattern);
        g_assert_cmpstr(joined, ==, c->branches);
    }
}

/* ---- the fixtures --------------------------------------------------------- */

/* The raw text of every fixture message, and every line of them. */
static GPtrArray *
fixture_texts(void)
{
    GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *top = g_build_filename(srcdir(), "fixtures", NULL);
    g_autoptr(GDir) groups = g_dir_open(top, 0, NULL);
    g_assert_nonnull(groups);
    const char *group;
    while ((group = g_dir_read_name(groups))) {
        g_autofree char *gdir = g_build_filename(top, group, NULL);
        g_autoptr(GDir) d = g_dir_open(gdir, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            if (!g_str_has_suffix(name, ".eml"))
                continue;
            g_autofree char *file = g_build_filename(gdir, name, NULL);
            char *text = NULL;
            g_assert_true(g_file_get_contents(file, &text, NULL, NULL));
            g_ptr_array_add(texts, text);
        }
    }
    g_assert_cmpuint(texts->len, >, 100);
    return texts;
}

/* ---- rules ---------------------------------------------------------------- */

static void
add_regex(BtRegex *re, gpointer data)
{
    g_ptr_array_add(data, re);
}

static void
check_rule_pattern(BtRegex *re, GPtrArray *texts, guint *matched)
{
    for (guint t = 0; t < texts->len; t++) {
        const char *text = texts->pdata[t];
        gsize s1 = 0, e1 = 0, s2 = 0, e2 = 0;
        BtSubject subj;
        bt_subject_init(&subj);
        bt_subject_set(&subj, text, strlen(text));
        /* subj.str: the text with typographic quotes made ASCII, as searched */
        gboolean plain = bt_regex_match(re, subj.str, subj.len, &s1, &e1);
        gboolean filtered = bt_regex_search(re, &subj, &s2, &e2);
        bt_subject_free(&subj);
        if (plain != filtered || s1 != s2 || e1 != e2)
            g_error("/%s/ on fixture %u: plain %d [%zu, %zu), filtered %d [%zu, %zu)", re->pattern, t,
                    plain, s1, e1, filtered, s2, e2);
        *matched += plain;
    }
}

static void
test_rules_over_fixtures(void)
{
    g_autoptr(GPtrArray) texts = fixture_texts();
    g_autofree char *dir = g_build_filename(srcdir(), "rules", NULL);
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    BtRuleSet *rs = bt_ruleset_load(dirs, errors, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(errors->len, ==, 0);
    g_autoptr(GPtrArray) regexes = g_ptr_array_new();
    for (guint i = 0; i < bt_ruleset_size(rs); i++)
        bt_cond_each_regex(bt_ruleset_rule(rs, i)->when, add_regex, regexes);
    guint matched = 0, split = 0;
    for (guint i = 0; i < regexes->len; i++) {
        BtRegex *re = regexes->pdata[i];
        check_rule_pattern(re, texts, &matched);
        split += re->branches != NULL;
    }
    g_test_message("%u rule patterns (%u split), %u matches", regexes->len, split, matched);
    g_assert_cmpuint(regexes->len, >, 300);
    g_assert_cmpuint(split, >, 50);
    g_assert_cmpuint(matched, >, 1000);        /* the agreement is not about empty results */
    bt_ruleset_free(rs);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/literals/split", test_split);
    g_test_add_func("/literals/rules-over-fixtures", test_rules_over_fixtures);
    return g_test_run();
}
