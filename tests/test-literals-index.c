/* test-literals-index — the one-scan prefilters never rule out what would
 * have matched: over every fixture and every message of the shared
 * corpus, each rule whose condition holds for a record is among the
 * record's candidates (src/rules/candidates.c) and passes its literal test
 * stored in the rules cache (src/rules/prefilter.c), each layout whose `match`
 * holds for a message passes the layouts' test of the body's literals
 * (src/extract/layout-index.c), and the automaton (src/core/acscan.c) finds
 * every literal a plain search finds. */
#include "core/acscan.h"
#include "rules/rules-private.h"
#include "extract/extract.h"
#include "extract/layout-private.h"
#include "extract/view.h"

#include <glib/gstdio.h>
#include <string.h>

static const char *
srcdir(void)
{
    const char *src = g_getenv("BT_SRCDIR");
    return src ? src : BT_ABS_SRCDIR;
}

/* ---- the automaton against strstr --------------------------------------- */

static const char *const words[] = {
    "mailbox full", "mailbox", "box", "full", "user unknown", "unknown", "no such user",
    "550", "5.1.1", "quota", "over quota", "a", "ab", "abc", "bca", "caab",
    "\xE7\x94\xA8\xE6\x88\xB7",                     /* 用户 */
    "a-very-long-literal-beyond-the-depth",
};

static const char *const texts[] = {
    "", "a", "the mailbox is full", "550 5.1.1 user unknown", "over quota!", "caabca",
    "no such user here", "b", "\xE7\x94\xA8\xE6\x88\xB7\xE4\xB8\x8D", "mailbo", "bcab",
    "a-very-long-literal-beyond-the-depth", "a-very-long-literal-beyond-the-d",
};

/* The automaton may report more than occurs (a long literal by its first
 * bytes, non-ASCII bytes as one), never less; and exactly for the short
 * ASCII literals. */
static void
test_automaton(void)
{
    BtAcScan *ac = bt_ac_new();
    guint ids[G_N_ELEMENTS(words)];
    for (gsize w = 0; w < G_N_ELEMENTS(words); w++)
        ids[w] = bt_ac_add(ac, words[w], strlen(words[w]));
    g_assert_cmpuint(bt_ac_add(ac, "box", 3), ==, ids[2]);         /* the same literal, the same id */
    bt_ac_build(ac);
    g_assert_cmpuint(bt_ac_count(ac), ==, G_N_ELEMENTS(words));
    for (gsize t = 0; t < G_N_ELEMENTS(texts); t++) {
        guint64 present[1] = { 0 };
        bt_ac_scan(ac, texts[t], strlen(texts[t]), present);
        for (gsize w = 0; w < G_N_ELEMENTS(words); w++) {
            gboolean occurs = strstr(texts[t], words[w]) != NULL;
            gboolean exact = strlen(words[w]) <= BT_AC_DEPTH && !((guchar) words[w][0] & 0x80);
            g_test_message("'%s' in '%s': %d", words[w], texts[t], occurs);
            if (occurs || exact)
                g_assert_cmpint(bt_ac_bit(present, ids[w]), ==, occurs);
        }
    }
    guint64 present[1] = { 0 };
    bt_ac_scan(ac, texts[12], strlen(texts[12]), present);      /* known by its first bytes */
    g_assert_true(bt_ac_bit(present, ids[G_N_ELEMENTS(words) - 1]));
    bt_ac_free(ac);
}

/* Long texts are scanned in slices side by side, and an automaton of more
 * than 65,536 states has wide table entries: over random texts dense in
 * literals (their places on every side of a slice's edge), each literal
 * is present exactly when strstr finds it, and `first` is just past its
 * first occurrence; a bit already set keeps its `first` untouched. */
static void
check_scan_first(BtAcScan *ac, GPtrArray *lits, const guint *ids, const char *text)
{
    guint n = bt_ac_count(ac);
    g_autofree guint64 *present = g_new0(guint64, (n + 63) / 64);
    g_autofree gsize *first = g_new(gsize, n);
    present[0] |= 1;                    /* id 0 as if found by an earlier call */
    first[0] = G_MAXSIZE;
    bt_ac_scan_first(ac, text, strlen(text), present, first);
    for (guint w = 0; w < lits->len; w++) {
        const char *lit = lits->pdata[w];
        const char *at = strstr(text, lit);
        if (ids[w] == 0) {
            g_assert_cmpuint(first[0], ==, G_MAXSIZE);
            continue;
        }
        g_assert_cmpint(bt_ac_bit(present, ids[w]), ==, at != NULL);
        if (at)
            g_assert_cmpuint(first[ids[w]], ==, (gsize) (at - text) + strlen(lit));
    }
}

static void
scan_random_texts(GPtrArray *lits, guint n_texts)
{
    BtAcScan *ac = bt_ac_new();
    g_autofree guint *ids = g_new(guint, lits->len);
    for (guint w = 0; w < lits->len; w++)
        ids[w] = bt_ac_add(ac, lits->pdata[w], strlen(lits->pdata[w]));
    bt_ac_build(ac);
    GRand *rand = g_rand_new_with_seed(7);
    for (guint t = 0; t < n_texts; t++) {
        g_autoptr(GString) text = g_string_new(NULL);
        guint len = (guint) g_rand_int_range(rand, 0, 400);
        while (text->len < len) {
            if (g_rand_boolean(rand))
                g_string_append(text, lits->pdata[g_rand_int_range(rand, 0, (gint32) lits->len)]);
            else
                g_string_append_c(text, "ab c\n"[g_rand_int_range(rand, 0, 5)]);
        }
        check_scan_first(ac, lits, ids, text->str);
    }
    g_rand_free(rand);
    bt_ac_free(ac);
}

static void
test_automaton_slices(void)
{
    g_autoptr(GPtrArray) lits = g_ptr_array_new();
    const char *const few[] = { "abc", "bca", "c a", "aaaaaaaaaa", "b\nb", "cab", "a", "ccc" };
    for (gsize w = 0; w < G_N_ELEMENTS(few); w++)
        g_ptr_array_add(lits, (gpointer) few[w]);
    scan_random_texts(lits, 3000);
    /* more than 63 byte classes: wide entries too */
    g_autoptr(GPtrArray) signs = g_ptr_array_new_with_free_func(g_free);
    for (char b = '!'; b <= '~'; b++)
        g_ptr_array_add(signs, g_strdup_printf("%c%c", b, b == '~' ? '!' : b + 1));
    scan_random_texts(signs, 1000);
    /* 10,000 literals of ten letters: more than 65,536 states */
    g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func(g_free);
    GRand *rand = g_rand_new_with_seed(11);
    for (guint w = 0; w < 10000; w++) {
        char lit[11];
        for (guint k = 0; k < 10; k++)
            lit[k] = (char) ('a' + g_rand_int_range(rand, 0, 26));
        lit[10] = '\0';
        g_ptr_array_add(many, g_strdup(lit));
    }
    g_rand_free(rand);
    scan_random_texts(many, 300);
}

/* ---- every message ------------------------------------------------------- */

/* The messages of `path` (a file, an mbox, or a directory of them), CRs
 * before LF dropped as the reader does. */
static void
add_messages(const char *path, GPtrArray *out)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *name;
        while (d && (name = g_dir_read_name(d)))
            if (name[0] != '.' && !g_str_has_suffix(name, ".json"))
                g_ptr_array_add(names, g_build_filename(path, name, NULL));
        for (guint i = 0; i < names->len; i++)
            add_messages(names->pdata[i], out);
        return;
    }
    char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return;
    gsize n = 0;
    for (gsize i = 0; i < len; i++)
        if (!(data[i] == '\r' && i + 1 < len && data[i + 1] == '\n'))
            data[n++] = data[i];
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, n);
    g_free(data);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    gboolean mbox = n >= 5 && memcmp(g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream))->data, "From ", 5) == 0;
    g_mime_parser_set_format(parser, mbox ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
    while (!g_mime_parser_eos(parser)) {
        GMimeMessage *mime = g_mime_parser_construct_message(parser, NULL);
        if (!mime)
            break;
        g_ptr_array_add(out, bt_message_new(path, -1, GMIME_OBJECT(mime)));
        if (!mbox)
            break;
    }
    g_object_unref(parser);
    g_object_unref(stream);
}

/* Every fixture, and the shared corpus when it is there. */
static GPtrArray *
all_messages(void)
{
    GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_message_free);
    g_autofree char *fixtures = g_build_filename(srcdir(), "fixtures", NULL);
    add_messages(fixtures, msgs);
    g_assert_cmpuint(msgs->len, >, 500);
    const char *shared = g_getenv("BT_SHARED");
    g_autofree char *corpus = g_build_filename(shared ? shared : BT_ABS_SRCDIR "/../shared", "corpus",
                                               "set-of-emails", NULL);
    const char *parts[] = { "maildir/bsd", "maildir/not", "mailbox" };
    for (gsize i = 0; i < G_N_ELEMENTS(parts); i++) {
        g_autofree char *dir = g_build_filename(corpus, parts[i], NULL);
        add_messages(dir, msgs);
    }
    g_test_message("%u messages", msgs->len);
    return msgs;
}

static BtExtractor *
shipped_extractor(void)
{
    g_autofree char *dir = g_build_filename(srcdir(), "rules", "layouts", NULL);
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    BtExtractor *ex = bt_extractor_new(dirs, errors, &error);
    g_assert_no_error(error);
    return ex;
}

static BtRuleSet *
shipped_rules(void)
{
    g_autofree char *dir = g_build_filename(srcdir(), "rules", NULL);
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    BtRuleSet *rs = bt_ruleset_load(dirs, errors, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(errors->len, ==, 0);
    return rs;
}

typedef struct {
    guint records, held, skipped;
} RuleCounts;

/* Every rule that holds for a record of `bounce` is a candidate. */
static void
check_bounce_rules(const BtRuleSet *rs, const BtRuleIndex *ix, BtBounce *bounce, RuleCounts *n)
{
    BtSubject text;
    BtMatchInput *in = bt_match_input_for_bounce(&text, bounce);
    BtCandidates cands;
    bt_candidates_init(&cands, ix);
    for (guint i = 0; i < bounce->records->len; i++) {
        const BtRecord *rec = bounce->records->pdata[i];
        bt_match_input_set_record(in, rec);
        bt_candidates_for_record(&cands, in);
        n->records++;
        guint next = bt_candidates_next(&cands, 0);
        for (guint r = 0; r < bt_ruleset_size(rs); r++) {
            gboolean candidate = r == next;
            if (candidate)
                next = bt_candidates_next(&cands, r + 1);
            const BtRule *rule = bt_ruleset_rule(rs, r);
            gboolean holds = rule && bt_cond_match(rule->when, in, NULL);
            n->held += holds;
            n->skipped += !candidate;
            if (holds && !candidate)
                g_error("rule %s holds for %s (%s), but its literals say it cannot", rule->id,
                        rec->recipient ? rec->recipient : "?", bounce->origin ? bounce->origin : "?");
        }
    }
    bt_candidates_clear(&cands);
    bt_match_input_free(in);
    bt_subject_free(&text);
}

static void
test_rules_over_messages(void)
{
    g_autoptr(GPtrArray) msgs = all_messages();
    g_autoptr(BtExtractor) ex = shipped_extractor();
    BtRuleSet *rs = shipped_rules();
    BtRuleIndex *ix = bt_rule_index_new(rs);
    RuleCounts n = { 0 };
    for (guint m = 0; m < msgs->len; m++) {
        g_autoptr(BtBounce) bounce = bt_extract(ex, msgs->pdata[m]);
        if (bounce->records && bounce->records->len)
            check_bounce_rules(rs, ix, bounce, &n);
    }
    g_test_message("%u records: %u rules held, %u tries ruled out", n.records, n.held, n.skipped);
    g_assert_cmpuint(n.records, >, 800);
    g_assert_cmpuint(n.held, >, 1000);                           /* not about empty results */
    g_assert_cmpuint(n.skipped, >, n.records * bt_ruleset_size(rs) / 2);   /* it does rule out */
    bt_rule_index_free(ix);
    bt_ruleset_free(rs);
}

/* Every rule that holds for a record passes its literal test as the rules
 * cache stores it, which a run without the index reads instead of
 * parsing the rule (apply.c, passed_over). */
static void
check_bounce_prefilters(const BtRuleSet *parsed, const BtRuleSet *cached, BtBounce *bounce, RuleCounts *n)
{
    BtSubject text;
    BtMatchInput *in = bt_match_input_for_bounce(&text, bounce);
    for (guint i = 0; i < bounce->records->len; i++) {
        const BtRecord *rec = bounce->records->pdata[i];
        bt_match_input_set_record(in, rec);
        n->records++;
        for (guint r = 0; r < bt_ruleset_size(parsed); r++) {
            const BtRule *stub = cached->rules->pdata[r];
            if (!stub->prefilter)
                continue;
            gboolean may = bt_prefilter_may_hold(stub->prefilter, stub->prefilter_len, in);
            const BtRule *rule = bt_ruleset_rule(parsed, r);
            g_assert_cmpstr(rule->id, ==, stub->id);
            gboolean holds = bt_cond_match(rule->when, in, NULL);
            n->held += holds;
            n->skipped += !may;
            if (holds && !may)
                g_error("rule %s holds for %s (%s), but its stored literal test says it cannot", rule->id,
                        rec->recipient ? rec->recipient : "?", bounce->origin ? bounce->origin : "?");
        }
    }
    bt_match_input_free(in);
    bt_subject_free(&text);
}

static void
test_prefilters_over_messages(void)
{
    g_autoptr(GPtrArray) msgs = all_messages();
    g_autoptr(BtExtractor) ex = shipped_extractor();
    BtRuleSet *parsed = shipped_rules();        /* parses the packs, fills the cache */
    BtRuleSet *cached = shipped_rules();        /* stubs from the cache, with their tests */
    g_assert_cmpuint(bt_ruleset_size(cached), ==, bt_ruleset_size(parsed));
    guint tested = 0;
    for (guint r = 0; r < bt_ruleset_size(cached); r++)
        tested += ((const BtRule *) cached->rules->pdata[r])->prefilter != NULL;
    g_test_message("%u of %u rules have a stored literal test", tested, bt_ruleset_size(cached));
    g_assert_cmpuint(tested, >, bt_ruleset_size(cached) / 2);
    RuleCounts n = { 0 };
    for (guint m = 0; m < msgs->len; m++) {
        g_autoptr(BtBounce) bounce = bt_extract(ex, msgs->pdata[m]);
        if (bounce->records && bounce->records->len)
            check_bounce_prefilters(parsed, cached, bounce, &n);
    }
    g_test_message("%u records: %u rules held, %u tries ruled out", n.records, n.held, n.skipped);
    g_assert_cmpuint(n.held, >, 1000);
    g_assert_cmpuint(n.skipped, >, n.records * tested / 2);     /* it does rule out */
    bt_ruleset_free(cached);
    bt_ruleset_free(parsed);
}

/* Every layout whose `match` holds for a message passes the index's test. */
static void
test_layouts_over_messages(void)
{
    g_autoptr(GPtrArray) msgs = all_messages();
    g_autofree char *dir = g_build_filename(srcdir(), "rules", "layouts", NULL);
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(BtLayouts) lays = bt_layouts_load(dirs, errors, &error);
    g_assert_no_error(error);
    const LayoutIndex *ix = bt_layout_index_get(lays);
    guint held = 0, views = 0;
    for (guint m = 0; m < msgs->len; m++) {
        g_autoptr(BtMsgView) view = bt_view_new(msgs->pdata[m]);
        if (!view->body)
            continue;
        views++;
        for (guint i = 0; i < lays->layouts->len; i++) {
            gboolean holds = bt_layout_match_holds(lays, NULL, view, i);
            gboolean passes = bt_layout_match_holds(lays, ix, view, i);
            const Layout *lay = lays->layouts->pdata[i];
            if (holds != passes)
                g_error("layout %s on %s: its match %s, with the index %s", lay->id,
                        ((BtMessage *) msgs->pdata[m])->origin, holds ? "holds" : "fails",
                        passes ? "holds" : "fails");
            held += holds;
        }
    }
    g_test_message("%u bodies: %u layout matches held", views, held);
    g_assert_cmpuint(views, >, 1000);
    g_assert_cmpuint(held, >, 500);
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
    g_mime_init();
    g_test_add_func("/literals-index/automaton", test_automaton);
    g_test_add_func("/literals-index/automaton-slices", test_automaton_slices);
    g_test_add_func("/literals-index/rules-over-messages", test_rules_over_messages);
    g_test_add_func("/literals-index/prefilters-over-messages", test_prefilters_over_messages);
    g_test_add_func("/literals-index/layouts-over-messages", test_layouts_over_messages);
    g_autofree char *cache = g_dir_make_tmp("bt-cache-XXXXXX", NULL);
    g_setenv("XDG_CACHE_HOME", cache, TRUE);     /* never the user's cache */
    int rc = g_test_run();
    remove_tree(cache);
    return rc;
}
