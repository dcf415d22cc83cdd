/* Option parsing and data-directory lookup for the bouncetriage CLI. */
#include "config.h"
#include "cli.h"

#include <string.h>
#include <unistd.h>

static gboolean
parse_format(const char *name, const char *value, gpointer data, GError **error)
{
    BtOptions *opt = data;
    (void) name;
    if (g_strcmp0(value, "jsonl") == 0 || g_strcmp0(value, "json") == 0)
        opt->format = BT_FORMAT_JSONL;
    else if (g_strcmp0(value, "text") == 0)
        opt->format = BT_FORMAT_TEXT;
    else if (g_strcmp0(value, "csv") == 0)
        opt->format = BT_FORMAT_CSV;
    else {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "unknown format '%s' (jsonl, text or csv)", value);
        return FALSE;
    }
    opt->format_given = TRUE;
    return TRUE;
}

gboolean
bt_options_parse(BtOptions *opt, int *argc, char ***argv)
{
    gboolean lint = FALSE, check_domain = FALSE, annotate = FALSE, hook = FALSE, version = FALSE;
    memset(opt, 0, sizeof *opt);
    opt->jobs = 1;

    GOptionEntry entries[] = {
        { "format", 'f', 0, G_OPTION_ARG_CALLBACK, parse_format,
          "Output format: jsonl, text or csv (default: text on a terminal, jsonl otherwise)", "FORMAT" },
        { "rules", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt->rule_dirs,
          "Extra rule directory; its rules add to or replace shipped ones by id (repeatable)", "DIR" },
        { "check", 'c', 0, G_OPTION_ARG_STRING, &opt->checks,
          "Run the suggested checks: dns, resend (default: none, no network)", "LIST" },
        { "nameserver", 0, 0, G_OPTION_ARG_STRING, &opt->nameserver,
          "DNS server for checks (default: the system's)", "HOST[:PORT]" },
        { "check-domain", 0, 0, G_OPTION_ARG_NONE, &check_domain,
          "Run the checks for the DOMAINs given as arguments, without any message", NULL },
        { "lint-rules", 0, 0, G_OPTION_ARG_NONE, &lint,
          "Validate the rule and layout files and exit", NULL },
        { "annotate", 0, 0, G_OPTION_ARG_NONE, &annotate,
          "Filter: copy the message on stdin to stdout with X-Bounce-* fields added", NULL },
        { "hook", 0, 0, G_OPTION_ARG_NONE, &hook,
          "Delivery hook: store the verdict durably (with --output and/or --maildir)", NULL },
        { "output", 0, 0, G_OPTION_ARG_FILENAME, &opt->output,
          "With --hook: JSON Lines file to append to", "FILE" },
        { "maildir", 0, 0, G_OPTION_ARG_FILENAME, &opt->maildir,
          "With --hook: maildir to deliver into, a folder per reason", "DIR" },
        { "export", 0, 0, G_OPTION_ARG_FILENAME, &opt->export_path,
          "Print the records of a --hook SQLite store as JSON Lines, in delivery order", "FILE.sqlite" },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &opt->jobs,
          "Parallel workers for batch input; output keeps the input order", "N" },
        { "summary", 0, 0, G_OPTION_ARG_NONE, &opt->summary,
          "Print a table of reasons, causes and destination domains at the end", NULL },
        { "report", 0, 0, G_OPTION_ARG_FILENAME, &opt->report,
          "Write a self-contained HTML report of the run, with charts", "FILE.html" },
        { "suppress", 0, 0, G_OPTION_ARG_FILENAME, &opt->suppress,
          "Write the suppression list (CSV) under the policy in rules/suppress.yaml", "FILE" },
        { "from-store", 0, 0, G_OPTION_ARG_FILENAME, &opt->from_store,
          "With --report/--suppress: read the records of a hook's store (JSONL or SQLite)", "PATH" },
        { "all", 0, 0, G_OPTION_ARG_NONE, &opt->all,
          "Also emit a record for messages that are not bounces", NULL },
        { "explain", 0, 0, G_OPTION_ARG_NONE, &opt->explain,
          "Show which rule matched each recipient and on what text", NULL },
        { "progress", 0, 0, G_OPTION_ARG_NONE, &opt->progress,
          "Show messages, bytes and rate on stderr while reading (on a terminal)", NULL },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt->quiet,
          "Do not report skipped messages on stderr (the exit status still does)", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt->paths, NULL, "[PATH…]" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };

    g_autoptr(GOptionContext) ctx = g_option_context_new("[PATH…] — explain bounce messages");
    g_autoptr(GOptionGroup) group = g_option_group_new("main", "", "", opt, NULL);
    g_option_group_add_entries(group, entries);
    g_option_context_set_main_group(ctx, g_steal_pointer(&group));
    g_option_context_set_summary(ctx,
        "Reads bounce messages (stdin, .eml files, mbox files, maildirs, directory trees)\n"
        "and prints one record per bounced recipient: reason, cause and remediation.\n\n"
        "  bouncetriage [OPTION…] [PATH…]        triage; stdin when no PATH or \"-\"\n"
        "  bouncetriage --check-domain DOMAIN…   run the checks for domains\n"
        "  bouncetriage --lint-rules             validate the rule set");
    g_option_context_set_description(ctx,
        "Exit status: 0 ok; 64 usage; 65 some message could not be parsed and was skipped;\n"
        "66 a PATH could not be read; 75 temporary failure; 78 broken rule files.\n"
        "--hook answers only 0 or 75 (every failure that is not the message's fault).\n"
        "Environment: BOUNCETRIAGE_RULES (replaces the rules directory), RESEND_API_KEY,\n"
        "RESEND_BASE_URL.  See bouncetriage(1).");

    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        g_printerr("bouncetriage: %s\nTry 'bouncetriage --help'.\n", error->message);
        return FALSE;
    }
    if (version) {
        g_print("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        exit(0);
    }
    if (lint + check_domain + annotate + hook + (opt->export_path != NULL) > 1) {
        g_printerr("bouncetriage: --lint-rules, --check-domain, --annotate, --hook and --export exclude each other\n");
        return FALSE;
    }
    opt->mode = lint ? BT_MODE_LINT : check_domain ? BT_MODE_CHECK_DOMAIN
              : annotate ? BT_MODE_ANNOTATE : hook ? BT_MODE_HOOK
              : opt->export_path ? BT_MODE_EXPORT : BT_MODE_TRIAGE;
    if ((opt->output || opt->maildir) && opt->mode != BT_MODE_HOOK) {
        g_printerr("bouncetriage: --output and --maildir go with --hook\n");
        return FALSE;
    }
    if (opt->mode == BT_MODE_HOOK && !opt->output && !opt->maildir) {
        g_printerr("bouncetriage: --hook needs --output FILE and/or --maildir DIR\n");
        return FALSE;
    }
    if ((opt->report || opt->suppress || opt->from_store) && opt->mode != BT_MODE_TRIAGE) {
        g_printerr("bouncetriage: --report, --suppress and --from-store go with a batch run\n");
        return FALSE;
    }
    if (opt->from_store && ((!opt->report && !opt->suppress) || (opt->paths && opt->paths[0]))) {
        g_printerr("bouncetriage: --from-store reads records for --report and/or --suppress, without PATH\n");
        return FALSE;
    }
    if (opt->jobs < 1 || opt->jobs > 256) {
        g_printerr("bouncetriage: --jobs wants a number from 1 to 256\n");
        return FALSE;
    }
    if (!opt->format_given)
        opt->format = isatty(STDOUT_FILENO) ? BT_FORMAT_TEXT : BT_FORMAT_JSONL;
    return TRUE;
}

void
bt_options_clear(BtOptions *opt)
{
    g_strfreev(opt->rule_dirs);
    g_free(opt->checks);
    g_free(opt->nameserver);
    g_free(opt->output);
    g_free(opt->maildir);
    g_free(opt->export_path);
    g_free(opt->report);
    g_free(opt->suppress);
    g_free(opt->from_store);
    g_strfreev(opt->paths);
    memset(opt, 0, sizeof *opt);
}

/* Run from the build tree (make check, the README's Quick start before
 * `make install`), the program uses the source tree's rules, so an older
 * installed copy never shadows the files being edited. */
static gboolean
running_from_build_tree(void)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (!exe)
        return FALSE;
    g_autofree char *dir = g_path_get_dirname(exe);
    g_autofree char *build_src = g_build_filename(BT_ABS_BUILDDIR, "src", NULL);
    g_autofree char *libs_dir = g_build_filename(BT_ABS_BUILDDIR, "src", ".libs", NULL);
    return g_strcmp0(dir, build_src) == 0 || g_strcmp0(dir, libs_dir) == 0
        || g_str_has_prefix(dir, BT_ABS_BUILDDIR "/tests")
        || g_str_has_prefix(dir, BT_ABS_BUILDDIR "/bench");
}

static char *
shipped_dir(const char *env, const char *sub)
{
    const char *over = g_getenv(env);
    if (over && *over)
        return g_strdup(over);
    if (running_from_build_tree())
        return g_build_filename(BT_ABS_SRCDIR, "rules", sub, NULL);
    return g_build_filename(BT_PKGDATADIR, sub[0] ? "layouts" : "rules", NULL);
}

GStrv
bt_rule_dirs(const BtOptions *opt)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autofree char *shipped = shipped_dir("BOUNCETRIAGE_RULES", "");
    g_strv_builder_add(b, shipped);
    for (char **d = opt->rule_dirs; d && *d; d++)
        g_strv_builder_add(b, *d);
    return g_strv_builder_end(b);
}

GStrv
bt_layout_dirs(const BtOptions *opt)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autofree char *shipped = shipped_dir("BOUNCETRIAGE_LAYOUTS", "layouts");
    g_strv_builder_add(b, shipped);
    for (char **d = opt->rule_dirs; d && *d; d++) {
        g_autofree char *sub = g_build_filename(*d, "layouts", NULL);
        if (g_file_test(sub, G_FILE_TEST_IS_DIR))
            g_strv_builder_add(b, sub);
    }
    return g_strv_builder_end(b);
}
