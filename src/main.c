/* bouncetriage — reads bounce messages and says what went wrong, why, and
 * what to do.  main() only wires the stages together from the command line;
 * see DESIGN.md for the pipeline. */
#include "config.h"
#include "cli.h"
#include "pipeline.h"
#include "flow/flow.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

/* GLib 2.74's slice allocator (GObjects, hash tables, lists) keeps
 * per-thread magazines and refills them from a depot under a global
 * mutex, which the workers of --jobs contend for; malloc (mimalloc when
 * linked) has per-thread heaps of its own.  GLib reads the choice once,
 * when the allocator is first used, and g_slice_set_config() refuses it
 * after that (gslice.c: g_return_if_fail (sys_page_size == 0)); GLib's own
 * constructor already allocates slices (its quark table), so the choice is
 * made in a constructor that runs before the default ones.  That only
 * works when GLib is linked into the program (a shared GLib's constructor
 * runs first); the G_SLICE variable, if set, still decides (GLib's
 * running.md, "G_SLICE"). */
__attribute__((constructor(101))) static void
slices_from_malloc(void)
{
    if (!bt_checks_need_twin())   /* GLib is shared: it has started */
        return;
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    g_slice_set_config(G_SLICE_CONFIG_ALWAYS_MALLOC, TRUE);
    G_GNUC_END_IGNORE_DEPRECATIONS
}

#ifdef HAVE_MIMALLOC_H
#include <mimalloc.h>
/* mimalloc keeps the pages a thread has freed for 100 ms (its decommit,
 * later purge, delay) before it gives them back to the kernel, so each
 * --jobs worker holds its last few messages' pages as well as the one at
 * hand.  Giving them back at once takes the whole tree at --jobs 8 from
 * ~42 to ~39 MiB (Pss) with the same CPU time (bench/README.md, "Pages
 * given back at once").  MIMALLOC_PURGE_DELAY (2.1) or
 * MIMALLOC_RESET_DELAY / MIMALLOC_DECOMMIT_DELAY (2.0), if set, still
 * decide. */
static void
allocator_tune(void)
{
    static const char *const given[] = {
        "MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY", "MIMALLOC_DECOMMIT_DELAY",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(given); i++)
        if (getenv(given[i]))
            return;
#if MI_MALLOC_VERSION >= 210
    mi_option_set(mi_option_purge_delay, 0);
#else
    mi_option_set(mi_option_decommit_delay, 0);
#endif
}
#else
static void
allocator_tune(void)
{
}
#endif

static void
print_errors(GPtrArray *errors)
{
    for (guint i = 0; i < errors->len; i++)
        g_printerr("%s\n", (const char *) errors->pdata[i]);
}

/* Loads layouts and rules; on failure prints every problem as
 * file:line:col and returns FALSE. */
static gboolean
load_config(const BtOptions *opt, BtExtractor **ex, BtRuleSet **rules)
{
    g_auto(GStrv) layout_dirs = bt_layout_dirs(opt);
    g_auto(GStrv) rule_dirs = bt_rule_dirs(opt);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    *ex = bt_extractor_new((const char *const *) layout_dirs, errors, &e1);
    *rules = bt_ruleset_load((const char *const *) rule_dirs, errors, &e2);
    if (*ex && *rules)
        return TRUE;
    print_errors(errors);
    if (errors->len == 0)
        g_printerr("bouncetriage: %s\n", (e1 ? e1 : e2)->message);
    return FALSE;
}

/* The suppression policy, for --suppress and --lint-rules (which checks
 * it like the rules); FALSE after printing its problems. */
static gboolean
load_policy(const BtOptions *opt, BtSuppressPolicy **policy)
{
    *policy = NULL;
    if (!opt->suppress && opt->mode != BT_MODE_LINT)
        return TRUE;
    g_auto(GStrv) rule_dirs = bt_rule_dirs(opt);
    g_autofree char *file = bt_suppress_policy_find((const char *const *) rule_dirs);
    if (!file) {
        if (!opt->suppress)
            return TRUE;
        g_printerr("bouncetriage: --suppress: no suppress.yaml in the rule directories\n");
        return FALSE;
    }
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    *policy = bt_suppress_policy_load(file, errors);
    print_errors(errors);
    return *policy != NULL;
}

/* Rule and layout directories others can write to: a warning, and in
 * --hook a refusal (75: the MTA keeps the mail and retries once the
 * permissions are fixed).  FALSE when the run must stop. */
static gboolean
config_dirs_trusted(const BtOptions *opt)
{
    g_auto(GStrv) rule_dirs = bt_rule_dirs(opt);
    g_auto(GStrv) layout_dirs = bt_layout_dirs(opt);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    bt_rule_dirs_check((const char *const *) rule_dirs, problems);
    bt_rule_dirs_check((const char *const *) layout_dirs, problems);
    gboolean hook = opt->mode == BT_MODE_HOOK;
    for (guint i = 0; i < problems->len; i++) {
        g_autofree char *text = bt_text_escape_controls(problems->pdata[i]);
        g_printerr("bouncetriage: %s: %s\n", hook ? "refusing untrusted rules" : "warning", text);
    }
    return !hook || problems->len == 0;
}

/* The layouts and rules are some 20,000 small blocks: freeing them one by
 * one at exit costs a one-message run more than the system takes to
 * reclaim the whole process, so they are left to it.  A sanitizer build
 * frees them, so that its leak report stays meaningful. */
static void
free_config(BtExtractor *ex, BtRuleSet *rules)
{
#ifdef __SANITIZE_ADDRESS__
    bt_extractor_free(ex);
    bt_ruleset_free(rules);
#else
    (void) ex;
    (void) rules;
#endif
}

static int
finish_output(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        g_printerr("bouncetriage: writing the output failed: %s\n", g_strerror(errno));
        return 74;   /* EX_IOERR */
    }
    return status;
}

/* Each mode has one function; the stages behind them do the work. */

/* The checker for --check=LIST ("dns,resend"); all kinds when `list` is
 * NULL.  BOUNCETRIAGE_DNS_TIMEOUT (seconds per check) and
 * BOUNCETRIAGE_DNS_TRIES tune the DNS bounds.  NULL after printing a
 * usage error. */
static BtChecker *
new_checker(const BtOptions *opt, const char *list)
{
    BtCheckOptions co = { .nameserver = opt->nameserver };
    g_auto(GStrv) kinds = g_strsplit(list ? list : "dns,resend", ",", -1);
    for (char **k = kinds; *k; k++) {
        g_strstrip(*k);
        if (g_str_equal(*k, "dns"))
            co.dns = TRUE;
        else if (g_str_equal(*k, "resend"))
            co.resend = TRUE;
        else if (**k) {
            g_printerr("bouncetriage: --check: unknown check kind '%s' (dns, resend)\n", *k);
            return NULL;
        }
    }
    const char *timeout = g_getenv("BOUNCETRIAGE_DNS_TIMEOUT");
    const char *tries = g_getenv("BOUNCETRIAGE_DNS_TRIES");
    co.dns_timeout = timeout ? g_ascii_strtod(timeout, NULL) : 0;
    co.dns_tries = tries ? atoi(tries) : 0;
    g_autoptr(GError) error = NULL;
    BtChecker *ck = bt_checker_new(&co, &error);
    if (!ck)
        g_printerr("bouncetriage: %s\n", error->message);
    return ck;
}

/* What a plain batch loaded, freed by main in the process that loaded it
 * (the child under the crash supervisor never comes back to main). */
typedef struct {
    BtExtractor *ex;
    BtRuleSet *rules;
    BtSuppressPolicy *policy;
    BtChecker *checker;
} Loaded;

/* GMime is set up where messages are parsed: for a plain batch that is
 * the supervisor's child, so the parent, which only waits, never pays for
 * it (nor copies its tables into the child's fork). */
static gboolean mime_ready;

static void
mime_init(void)
{
    if (!mime_ready)
        g_mime_init();
    mime_ready = TRUE;
}

static int
load_triage(const BtOptions *opt, BtTriage *t, gpointer data)
{
    Loaded *l = data;
    mime_init();
    if (!load_config(opt, &l->ex, &l->rules) || !load_policy(opt, &l->policy))
        return BT_EXIT_CONFIG;
    if (opt->checks && !(l->checker = new_checker(opt, opt->checks)))
        return BT_EXIT_USAGE;
    *t = (BtTriage) { .extractor = l->ex, .rules = l->rules, .explain = opt->explain, .quiet = opt->quiet,
                      .policy = l->policy, .checker = l->checker };
    return BT_EXIT_OK;
}

/* A plain batch: the configuration is loaded after the crash supervisor's
 * fork, in the child, so that the fork copies a small process. */
static int
run_triage_loading(const BtOptions *opt)
{
    Loaded l = { 0 };
    int status = bt_pipeline_run_loading(opt, load_triage, &l);
    g_clear_pointer(&l.checker, bt_checker_free);
    g_clear_pointer(&l.policy, bt_suppress_policy_free);
    free_config(l.ex, l.rules);
    return status;
}

static void
feed_stored(const char *messagedigest, const BtRecord *rec, gpointer digest)
{
    bt_digest_add_stored(digest, messagedigest, rec);
}

/* --from-store: the records a hook stored, into --report/--suppress. */
static int
run_from_store(const BtOptions *opt, const BtTriage *t)
{
    int status;
    g_autoptr(BtDigest) digest = bt_pipeline_digest_new(opt, t, &status);
    if (!digest)
        return status;
    g_autoptr(GError) error = NULL;
    if (!bt_store_foreach(opt->from_store, feed_stored, digest, &error)) {
        g_printerr("bouncetriage: --from-store: %s\n", error->message);
        return error->code == BT_ERROR_IO ? BT_EXIT_NOINPUT : BT_EXIT_SKIPPED;
    }
    return bt_pipeline_digest_finish(digest, BT_EXIT_OK);
}

static int
run_check_domain(const BtOptions *opt)
{
    if (!opt->paths || !opt->paths[0]) {
        g_printerr("bouncetriage: --check-domain needs at least one DOMAIN\n");
        return BT_EXIT_USAGE;
    }
    g_autoptr(BtChecker) ck = new_checker(opt, opt->checks);
    if (!ck)
        return BT_EXIT_USAGE;
    g_autoptr(BtSink) sink = bt_sink_new(stdout, opt->format, opt->format == BT_FORMAT_TEXT && isatty(STDOUT_FILENO));
    for (char **d = opt->paths; *d; d++) {
        g_autofree char *domain = g_ascii_strdown(*d, -1);
        g_strstrip(domain);
        if (g_str_has_suffix(domain, "."))
            domain[strlen(domain) - 1] = '\0';
        g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func((GDestroyNotify) bt_check_free);
        bt_checker_check_domain(ck, domain, checks);
        bt_sink_write_domain(sink, domain, checks);
    }
    bt_sink_finish(sink);
    return BT_EXIT_OK;
}

/* --annotate and --hook take one message on stdin, no PATH but "-". */
static gboolean
reads_stdin_only(const BtOptions *opt, const char *mode)
{
    for (char **p = opt->paths; p && *p; p++) {
        if (strcmp(*p, "-") != 0) {
            g_printerr("bouncetriage: %s reads one message on stdin, not %s\n", mode, *p);
            return FALSE;
        }
    }
    return TRUE;
}

static int
run_annotate(const BtOptions *opt, const BtTriage *t)
{
    if (!reads_stdin_only(opt, "--annotate"))
        return BT_EXIT_USAGE;
    if (opt->output || opt->maildir) {
        g_printerr("bouncetriage: --output and --maildir go with --hook, not --annotate\n");
        return BT_EXIT_USAGE;
    }
    BtFlowConfig cfg = { .extractor = t->extractor, .rules = t->rules };
    return bt_annotate(&cfg, fileno(stdin), fileno(stdout));
}

static int
run_hook(const BtOptions *opt, const BtTriage *t)
{
    if (!reads_stdin_only(opt, "--hook"))
        return BT_EXIT_USAGE;
    BtFlowConfig cfg = { .extractor = t->extractor, .rules = t->rules };
    BtHookOptions hook = { .output = opt->output, .maildir = opt->maildir };
    return bt_hook(&cfg, &hook, fileno(stdin));
}

/* --hook on the command line, looked for before parsing so that even a
 * usage error in a hook's command line answers the MTA with 75. */
static gboolean
hook_requested(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--hook") == 0)
            return TRUE;
    return FALSE;
}

/* In --hook mode every failure that is not the message's fault (usage,
 * configuration, rules, resources) is 75: pipe(8) and Exim keep the
 * message queued until it is fixed, where 64 or 78 would bounce it.  The
 * reason is already on stderr, which the MTA logs. */
static int
hook_status(gboolean hook, int status)
{
    if (!hook || status == BT_EXIT_OK || status == BT_EXIT_TEMPFAIL)
        return status;
    g_printerr("bouncetriage: --hook: exit status %d answered as 75 (temporary failure)\n", status);
    return BT_EXIT_TEMPFAIL;
}

int
main(int argc, char **argv)
{
    allocator_tune();
    /* Only the character set (GLib's conversions to the terminal) and
     * the system's messages follow the user's locale: loading every
     * category costs a dozen files per run, and numbers in records and
     * reports must not take a locale's decimal comma. */
    setlocale(LC_CTYPE, "");
    setlocale(LC_MESSAGES, "");
    signal(SIGPIPE, SIG_IGN);   /* a closed pipe is an output error, reported below */

    gboolean hook = hook_requested(argc, argv);
    g_auto(GStrv) given = g_strdupv(argv);   /* parsing rearranges argv */
    BtOptions opt;
    if (!bt_options_parse(&opt, &argc, &argv))
        return hook_status(hook, BT_EXIT_USAGE);

    if ((opt.checks || opt.mode == BT_MODE_CHECK_DOMAIN) && bt_checks_need_twin()) {
        g_autoptr(GError) error = NULL;
        /* the twin's GLib is shared, so it takes the choice from the
         * environment (slices_from_malloc) */
        g_setenv("G_SLICE", "always-malloc", FALSE);
        bt_checks_exec_twin(given, &error);   /* returns only when it failed */
        g_printerr("bouncetriage: %s\n", error->message);
        bt_options_clear(&opt);
        return hook_status(hook, BT_EXIT_USAGE);   /* as when the module is missing */
    }

    if (opt.mode == BT_MODE_EXPORT) {   /* no rules needed to read a store */
        int exported = finish_output(bt_store_export(opt.export_path, stdout));
        bt_options_clear(&opt);
        return exported;
    }
    BtExtractor *ex = NULL;
    BtRuleSet *rules = NULL;
    BtSuppressPolicy *policy = NULL;
    gboolean plain_batch = opt.mode == BT_MODE_TRIAGE && !opt.from_store;
    if (!plain_batch)
        mime_init();   /* a plain batch sets GMime up where it loads the rules */
    int status;
    if (!config_dirs_trusted(&opt)) {
        status = BT_EXIT_TEMPFAIL;
    } else if (plain_batch) {
        status = finish_output(run_triage_loading(&opt));
    } else if (!load_config(&opt, &ex, &rules) || !load_policy(&opt, &policy)) {
        status = BT_EXIT_CONFIG;   /* 75 for the hook, below */
    } else {
        BtTriage t = { .extractor = ex, .rules = rules, .explain = opt.explain, .quiet = opt.quiet,
                       .policy = policy };
        switch (opt.mode) {
        case BT_MODE_LINT:
            g_printerr("bouncetriage: %u rules, the layouts%s are valid\n", bt_ruleset_size(rules),
                       policy ? " and the suppression policy" : "");
            status = BT_EXIT_OK;
            break;
        case BT_MODE_CHECK_DOMAIN:
            status = finish_output(run_check_domain(&opt));
            break;
        case BT_MODE_ANNOTATE:
            status = run_annotate(&opt, &t);
            break;
        case BT_MODE_HOOK:
            status = run_hook(&opt, &t);
            break;
        case BT_MODE_TRIAGE:
        default:
            status = finish_output(run_from_store(&opt, &t));   /* a plain batch is run_triage_loading */
            break;
        }
    }
    free_config(ex, rules);
    g_clear_pointer(&policy, bt_suppress_policy_free);
    if (mime_ready)
        g_mime_shutdown();
    bt_options_clear(&opt);
    return hook_status(hook, status);
}
