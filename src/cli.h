/* The command line: options as DESIGN.md fixes them, and where the rule
 * and layout files are found. */
#pragma once

#include "core/core.h"
#include "sink/sink.h"

typedef enum {
    BT_MODE_TRIAGE,         /* bouncetriage [PATH…] */
    BT_MODE_LINT,           /* --lint-rules */
    BT_MODE_CHECK_DOMAIN,   /* --check-domain DOMAIN… */
    BT_MODE_ANNOTATE,       /* --annotate */
    BT_MODE_HOOK,           /* --hook */
    BT_MODE_EXPORT,         /* --export FILE.sqlite */
} BtMode;

typedef struct {
    BtMode mode;
    BtFormat format;
    gboolean format_given;
    char **rule_dirs;       /* --rules, in order */
    char *checks;           /* --check=dns,resend */
    char *nameserver;
    char *output;           /* --hook --output */
    char *maildir;          /* --hook --maildir */
    char *export_path;      /* --export: a hook's SQLite store */
    int jobs;
    gboolean summary;
    gboolean all;
    gboolean explain;
    gboolean progress;
    gboolean quiet;
    char *report;           /* --report=FILE.html */
    char *suppress;         /* --suppress=FILE */
    char *from_store;       /* --from-store=PATH: records from a hook's store, not messages */
    char **paths;           /* remaining arguments: paths, or domains for --check-domain */
} BtOptions;

/* Parses argv; on a usage error prints it and returns FALSE. */
gboolean bt_options_parse(BtOptions *opt, int *argc, char ***argv);
void bt_options_clear(BtOptions *opt);

/* NULL-terminated directory lists, in load order: the shipped rules (or
 * $BOUNCETRIAGE_RULES), then each --rules DIR.  Layouts: the shipped
 * layouts (or $BOUNCETRIAGE_LAYOUTS), then DIR/layouts for each --rules DIR
 * that has one. */
GStrv bt_rule_dirs(const BtOptions *opt);
GStrv bt_layout_dirs(const BtOptions *opt);
