/* The batch pipeline: source → extract → rules → sink, with --jobs workers
 * and output kept in input order. */
#pragma once

#include "cli.h"
#include "checks/checks.h"
#include "extract/extract.h"
#include "rules/rules.h"

typedef struct {
    BtExtractor *extractor;   /* borrowed */
    BtRuleSet *rules;         /* borrowed */
    gboolean explain;
    gboolean quiet;           /* -q: no notes on stderr */
    BtChecker *checker;       /* borrowed; NULL: no --check, nothing touches the network */
} BtTriage;

/* One message through extract and rules. */
BtBounce *bt_triage_message(const BtTriage *t, const BtMessage *msg);

/* Runs the batch over opt->paths (stdin when none), writing to stdout.
 * Returns the exit status. */
int bt_pipeline_run(const BtOptions *opt, const BtTriage *t);
