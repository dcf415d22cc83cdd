/* test-literals — the prefilters in front of the patterns never skip a
 * match: src/core/literals.c splits an alternation into branches only
 * where that cannot change what matches, and over the text of every
 * fixture, every shipped rule pattern found by the filtered, branch-wise
 * search is the match a plain PCRE2 run of the whole pattern finds (same
 * start, same end), and every shipped layout pattern that matches a
 * fixture passes the layouts' literal test (layout-index.c: bt_body_may_match). */
#include "core/literals.h"
#include "rules/rules-private.h"
#include "extract/layout-private.h"

#include <glib/gstdio.h>
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

/* bt_skip_class: how many bytes the class takes, -1 when it declines. */
static const struct {
    const char *pattern;
    int length;
} class_cases[] = {
    { "[abc]d", 5 },
    { "[]a]b", 4 },
    { "[^]a]b", 5 },
    { "[^\\n]*", 5 },
    { "[\\]x]", 5 },
    { "[\\x{5d}]", 8 },
    { "[[:alpha:]-]x", 12 },
    { "[[:^digit:]]", 12 },
    { "[[\\d.:a-f]+\\]", 10 },
    { "[abc", -1 },               /* not closed: PCRE2 rejects it */
    { "[a\\", -1 },
    { "[\\Q]\\E]", -1 },          /* \Q…\E could quote the ']' */
    { "[\\c]]", -1 },             /* \c takes the ']' */
    { "[[:x]", -1 },              /* not a POSIX name: declined */
};

static void
test_skip_class(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(class_cases); i++) {
        const char *p = class_cases[i].pattern;
        const char *after = bt_skip_class(p);
        g_test_message("%s", p);
        g_assert_cmpint(after ? (int) (after - p) : -1, ==, class_cases[i].length);
    }
}

/* Every byte value, as GLib lower-cases it. */
static void
test_strdown(void)
{
    char all[256];
    for (int i = 0; i < 255; i++)
        all[i] = (char) (i + 1);
    all[255] = '\0';
    g_autofree char *mine = bt_ascii_strdown(all, -1);
    g_autofree char *glib = g_ascii_strdown(all, -1);
    g_assert_cmpmem(mine, 256, glib, 256);
    for (gsize off = 0; off < 16; off++)          /* every byte in every place of a word */
        for (gsize len = 0; off + len <= 255; len += 7) {
            g_autofree char *a = bt_ascii_strdown(all + off, (gssize) len);
            g_autofree char *b = g_ascii_strdown(all + off, (gssize) len);
            g_assert_cmpmem(a, len + 1, b, len + 1);
        }
    /* the non-ASCII flag, wherever the one high byte stands */
    char buf[40], out[40];
    for (gsize len = 1; len <= sizeof buf; len++)
        for (gsize at = 0; at < len; at++) {
            memset(buf, 'A', len);
            g_assert_false(bt_ascii_strdown_into(out, buf, len));
            g_assert_cmpint(out[len - 1], ==, 'a');
            buf[at] = (char) 0xC3;
            g_assert_true(bt_ascii_strdown_into(out, buf, len));
        }
    g_autofree char *part = bt_ascii_strdown("MAILER-Daemon@Example.COM", 6);
    g_assert_cmpstr(part, ==, "mailer");
}

/* A literal is ruled out only when one of its byte pairs is missing. */
static void
test_pair_set(void)
{
    static const char text[] = "550 5.1.1 user unknown; \xC3\xA9t\xC3\xA9";
    g_autofree BtPairSet *set = g_new(BtPairSet, 1);
    bt_pair_set_fill(set, text, strlen(text));
    for (gsize i = 0; i + 2 <= strlen(text); i++)
        for (gsize n = 2; i + n <= strlen(text); n++) {
            g_autofree char *sub = g_strndup(text + i, n);
            g_assert_true(bt_pair_set_may_hold(set, sub));
        }
    g_assert_true(bt_pair_set_may_hold(set, "x"));        /* no pair: cannot tell */
    g_assert_false(bt_pair_set_may_hold(set, "mailbox"));
    g_assert_false(bt_pair_set_may_hold(set, "user  unknown"));
    g_assert_false(bt_pair_set_may_hold(set, "550 5.1.2"));
    g_assert_false(bt_pair_set_may_hold(set, "\xC3\xA9T"));
    bt_pair_set_fill(set, "", 0);                          /* refilled: nothing left over */
    g_assert_false(bt_pair_set_may_hold(set, "55"));
}

/* GLib's folding of `s` with NULs after it: on a sequence cut at the end,
 * g_utf8_casefold steps past the terminator (AddressSanitizer stops the
 * test there), and bt_casefold answers as if those bytes were NULs. */
static char *
reference_casefold(const char *s)
{
    gsize n = strlen(s);
    g_autofree char *padded = g_malloc0(n + 8);
    memcpy(padded, s, n);
    return g_utf8_casefold(padded, -1);
}

/* bt_casefold gives g_utf8_casefold's bytes: on texts built at random
 * from ASCII runs short and long, characters whose folding changes their
 * length or leaves ASCII (sharp s, Kelvin sign, dotted I, ligatures),
 * CJK, and broken sequences (a lone lead or continuation byte, an
 * overlong form, a sequence cut at the end). */
static void
test_casefold(void)
{
    static const char *const pieces[] = {
        "a", "Z", " ", "550 5.1.1 User Unknown; ", "Mailbox FULL for <Kijitora@Example.JP>",
        "\xC3\x9F", "\xC3\x89t\xC3\xA9", "\xE2\x84\xAA", "\xC4\xB0", "\xEF\xAC\x81",
        "\xC5\xBF", "\xE1\xBA\x9E", "\xE5\x85\x83\xE3\x81\xAE", "\xD0\x9F\xD0\xA0",
        "\xEF\xBC\xA1", "\xE2\x80\x99", "\xC3", "\x80", "\xC0\xAF", "\xE3\x81", "\xFF",
    };
    static const char *const fixed[] = { "", "ASCII Only", "\xC3\x9F", "x\xC3", "\xC3x", "\xE3\x81" };
    for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++) {
        g_autofree char *want = reference_casefold(fixed[i]);
        g_autofree char *got = bt_casefold(fixed[i]);
        g_assert_cmpstr(got, ==, want);
    }
    g_autoptr(GRand) rand = g_rand_new_with_seed(20261202);
    for (int round = 0; round < 20000; round++) {
        g_autoptr(GString) text = g_string_new(NULL);
        int n = g_rand_int_range(rand, 1, 12);
        for (int k = 0; k < n; k++)
            g_string_append(text, pieces[g_rand_int_range(rand, 0, G_N_ELEMENTS(pieces))]);
        g_autofree char *want = reference_casefold(text->str);
        g_autofree char *got = bt_casefold(text->str);
        if (strcmp(want, got) != 0)
            g_error("bt_casefold differs from g_utf8_casefold on \"%s\"", text->str);
    }
}

/* A pattern's JIT copy is earned by uses weighted by the subject's
 * length: short subjects need `after` uses, one long scan counts as many. */
static gsize
uses_until_jit(gsize len, gint after)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR) "fail(?:ed|ure)", PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
    g_assert_nonnull(code);
    BtLazyJit lj = { 0 };
    gsize uses = 0;
    while (bt_lazy_jit_pick(&lj, code, after, len) == code && uses < 1000)
        uses++;
    bt_lazy_jit_clear(&lj);
    pcre2_code_free(code);
    return uses;
}

static void
test_lazy_jit_weight(void)
{
    g_assert_cmpuint(uses_until_jit(40, 32), ==, 32);
    g_assert_cmpuint(uses_until_jit(BT_LAZY_JIT_USE_BYTES - 1, 32), ==, 32);
    g_assert_cmpuint(uses_until_jit(BT_LAZY_JIT_USE_BYTES, 32), ==, 16);
    g_assert_cmpuint(uses_until_jit(7 * BT_LAZY_JIT_USE_BYTES, 32), ==, 4);
    g_assert_cmpuint(uses_until_jit(1000 * BT_LAZY_JIT_USE_BYTES, 32), ==, 1);
}

/* Ripening compiles the copy of a pattern used once, leaves a pattern
 * never used alone, and forgets a cleared one (its memory may be gone). */
static void
test_lazy_jit_ripen(void)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR) "refus(?:ed|al)", PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
    g_assert_nonnull(code);
    BtLazyJit used = { 0 }, unused = { 0 };
    BtLazyJit *gone = g_new0(BtLazyJit, 1);
    g_assert_true(bt_lazy_jit_pick(&used, code, 32, 10) == code);
    g_assert_true(bt_lazy_jit_pick(gone, code, 32, 10) == code);
    bt_lazy_jit_clear(gone);
    g_free(gone);
    bt_lazy_jit_ripen_all();
    const pcre2_code *jit = bt_lazy_jit_pick(&used, code, 32, 10);
    g_assert_true(jit != code);
    g_assert_true(bt_lazy_jit_pick(&used, code, 32, 10) == jit);
    g_assert_true(bt_lazy_jit_pick(&unused, code, 32, 10) == code);
    bt_lazy_jit_ripen_all();    /* a copy already made is kept */
    g_assert_true(bt_lazy_jit_pick(&used, code, 32, 10) == jit);
    bt_lazy_jit_clear(&used);
    bt_lazy_jit_clear(&unused);
    pcre2_code_free(code);
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
        check_rule_pattern(re, texts, &matched);        /* whole, then split once earned */
        bt_regex_split_now(re);
        check_rule_pattern(re, texts, &matched);        /* split from the first text */
        split += re->branches != NULL;
    }
    g_test_message("%u rule patterns (%u split), %u matches", regexes->len, split, matched);
    g_assert_cmpuint(regexes->len, >, 300);
    g_assert_cmpuint(split, >, 50);
    g_assert_cmpuint(matched, >, 2000);        /* the agreement is not about empty results */
    bt_ruleset_free(rs);
}

/* ---- layouts ------------------------------------------------------------- */

static void
add_cond_regexes(const Cond *c, GPtrArray *out)
{
    if (!c)
        return;
    for (guint i = 0; c->regexes && i < c->regexes->len; i++)
        g_ptr_array_add(out, c->regexes->pdata[i]);
    for (guint i = 0; c->kids && i < c->kids->len; i++)
        add_cond_regexes(c->kids->pdata[i], out);
}

static void
add_patterns(const GPtrArray *patterns, GPtrArray *out)
{
    for (guint i = 0; patterns && i < patterns->len; i++)
        g_ptr_array_add(out, ((Pattern *) patterns->pdata[i])->re);
}

static void
add_regexes(const GPtrArray *regexes, GPtrArray *out)
{
    for (guint i = 0; regexes && i < regexes->len; i++)
        g_ptr_array_add(out, regexes->pdata[i]);
}

static GPtrArray *
layout_regexes(const BtLayouts *lays)
{
    GPtrArray *out = g_ptr_array_new();
    g_ptr_array_add(out, lays->notice_from);
    g_ptr_array_add(out, lays->notice_subject);
    g_ptr_array_add(out, lays->notice_reply);
    for (guint i = 0; i < lays->layouts->len; i++) {
        Layout *lay = lays->layouts->pdata[i];
        bt_layout_complete(lay);
        add_cond_regexes(lay->match, out);
        Regex *lines[] = { lay->begin, lay->original, lay->end, lay->split_before };
        for (gsize k = 0; k < G_N_ELEMENTS(lines); k++)
            if (lines[k])
                g_ptr_array_add(out, lines[k]);
        add_patterns(lay->sections, out);
        add_patterns(lay->recipients, out);
        add_patterns(lay->fields, out);
        add_patterns(lay->common, out);
        add_regexes(lay->stops, out);
        add_regexes(lay->befores, out);
    }
    return out;
}

static void
test_layouts_over_fixtures(void)
{
    g_autoptr(GPtrArray) texts = fixture_texts();
    g_autofree char *dir = g_build_filename(srcdir(), "rules", "layouts", NULL);
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(BtLayouts) lays = bt_layouts_load(dirs, errors, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(errors->len, ==, 0);
    g_autoptr(GPtrArray) regexes = layout_regexes(lays);
    pcre2_match_data *md = pcre2_match_data_create(MAX_GROUPS, NULL);
    guint matched = 0, filtered = 0;
    for (guint t = 0; t < texts->len; t++) {
        const char *text = texts->pdata[t];
        BtBodyLiterals lit = { .body = text };      /* no index: each regex's own needles */
        for (guint i = 0; i < regexes->len; i++) {
            Regex *re = regexes->pdata[i];
            const pcre2_code *code = bt_layout_regex_code(re, strlen(text));
            g_assert_nonnull(code);
            gboolean maybe = bt_body_may_match(&lit, re);
            filtered += !maybe;
            if (pcre2_match(code, (PCRE2_SPTR) text, strlen(text), 0, 0, md, lays->mctx) < 0)
                continue;
            matched++;
            if (!maybe)
                g_error("/%s/ matches fixture %u, but its literals say it cannot", re->pattern, t);
        }
        bt_body_literals_clear(&lit);
    }
    pcre2_match_data_free(md);
    g_test_message("%u layout patterns, %u matches, %u ruled out", regexes->len, matched, filtered);
    g_assert_cmpuint(regexes->len, >, 200);
    g_assert_cmpuint(matched, >, 1000);
    g_assert_cmpuint(filtered, >, 10000);      /* the literal test does rule things out */
}

/* Removes the temporary cache directory the loads wrote to. */
static void
remove_tree(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            remove_tree(child);
        else
            g_remove(child);
    }
    g_rmdir(path);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/literals/split", test_split);
    g_test_add_func("/literals/skip-class", test_skip_class);
    g_test_add_func("/literals/strdown", test_strdown);
    g_test_add_func("/literals/pair-set", test_pair_set);
    g_test_add_func("/literals/casefold", test_casefold);
    g_test_add_func("/literals/lazy-jit-weight", test_lazy_jit_weight);
    g_test_add_func("/literals/lazy-jit-ripen", test_lazy_jit_ripen);
    g_test_add_func("/literals/rules-over-fixtures", test_rules_over_fixtures);
    g_test_add_func("/literals/layouts-over-fixtures", test_layouts_over_fixtures);
    g_autofree char *cache = g_dir_make_tmp("bt-cache-XXXXXX", NULL);
    g_setenv("XDG_CACHE_HOME", cache, TRUE);     /* never the user's cache */
    int rc = g_test_run();
    remove_tree(cache);
    return rc;
}
