/* The batch pipeline: source → extract → rules → sink, with --jobs workers
 * and output kept in input order. */
#pragma once

#include "cli.h"
#include "checks/checks.h"
#include "extract/extract.h"
#include "rules/rules.h"
#include "sink/digest.h"

typedef struct {
    BtExtractor *extractor;   /* borrowed */
    BtRuleSet *rules;         /* borrowed */
    gboolean explain;
    gboolean quiet;           /* -q: no notes on stderr */
    BtChecker *checker;       /* borrowed; NULL: no --check, nothing touches the network */
    const BtSuppressPolicy *policy;   /* borrowed; with --suppress */
} BtTriage;

/* One message through extract and rules. */
BtBounce *bt_triage_message(const BtTriage *t, const BtMessage *msg);

/* Runs the batch over opt->paths (stdin when none), writing to stdout.
 * Returns the exit status. */
int bt_pipeline_run(const BtOptions *opt, const BtTriage *t);

/* Makes the triage of a run (loads layouts, rules and what the options
 * ask for): BT_EXIT_OK, or the exit status after printing why not. */
typedef int (*BtTriageLoader)(const BtOptions *opt, BtTriage *t, gpointer data);
/* bt_pipeline_run with the triage made by `load` in the process that runs
 * the batch: under the crash supervisor, its child.  The supervisor then
 * forks before the configuration fills the heap, so the fork and the
 * child's copy-on-write faults cost less; a restarted child loads again
 * (from the cache). */
int bt_pipeline_run_loading(const BtOptions *opt, BtTriageLoader load, gpointer data);

/* The --report/--suppress digest of a run (NULL when neither is asked
 * for, or after printing why it cannot be created: `*status` says which). */
BtDigest *bt_pipeline_digest_new(const BtOptions *opt, const BtTriage *t, int *status);
/* Writes it; the exit status (74 when an output cannot be written). */
int bt_pipeline_digest_finish(BtDigest *digest, int status);
