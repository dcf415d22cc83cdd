/* bouncetriage — reads bounce messages and says what went wrong, why, and
 * what to do.  main() only wires the stages together from the command line;
 * see DESIGN.md for the pipeline. */
#include "config.h"
#include "cli.h"
#include "pipeline.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

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

static int
run_triage(const BtOptions *opt, const BtTriage *t)
{
    if (opt->checks) {
        g_printerr("bouncetriage: --check is not available in this version yet\n");
        return BT_EXIT_USAGE;
    }
    return bt_pipeline_run(opt, t);
}

static int
run_check_domain(const BtOptions *opt)
{
    (void) opt;
    g_printerr("bouncetriage: --check-domain is not available in this version yet\n");
    return BT_EXIT_USAGE;
}

static int
run_annotate(const BtOptions *opt, const BtTriage *t)
{
    (void) opt; (void) t;
    g_printerr("bouncetriage: --annotate is not available in this version yet\n");
    return BT_EXIT_USAGE;
}

static int
run_hook(const BtOptions *opt, const BtTriage *t)
{
    (void) opt; (void) t;
    g_printerr("bouncetriage: --hook is not available in this version yet\n");
    return BT_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    signal(SIGPIPE, SIG_IGN);   /* a closed pipe is an output error, reported below */

    BtOptions opt;
    if (!bt_options_parse(&opt, &argc, &argv))
        return BT_EXIT_USAGE;

    g_mime_init();
    BtExtractor *ex = NULL;
    BtRuleSet *rules = NULL;
    int status;
    if (!load_config(&opt, &ex, &rules)) {
        /* the hook must answer with a sysexits code the MTA retries on */
        status = opt.mode == BT_MODE_HOOK ? BT_EXIT_TEMPFAIL : BT_EXIT_CONFIG;
    } else {
        BtTriage t = { .extractor = ex, .rules = rules, .explain = opt.explain };
        switch (opt.mode) {
        case BT_MODE_LINT:
            g_printerr("bouncetriage: %u rules and the layouts are valid\n", bt_ruleset_size(rules));
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
            status = finish_output(run_triage(&opt, &t));
            break;
        }
    }
    g_clear_pointer(&ex, bt_extractor_free);
    g_clear_pointer(&rules, bt_ruleset_free);
    g_mime_shutdown();
    bt_options_clear(&opt);
    return status;
}
