/* flow — bouncetriage inside the mail flow: --annotate (a filter for
 * procmail and Sieve: the message in, the same bytes out with X-Bounce-*
 * fields added) and --hook (an MTA delivery hook that stores records and
 * the message durably and answers with a sysexits code). */
#pragma once

#include "core/core.h"
#include "extract/extract.h"
#include "rules/rules.h"

typedef struct {
    BtExtractor *extractor;    /* borrowed */
    BtRuleSet *rules;          /* borrowed */
} BtFlowConfig;

/* Reads one message from `in_fd`, writes it to `out_fd` annotated.  A
 * message that is not a bounce is copied unchanged; one that cannot be
 * parsed is copied with one X-Bounce-Error field.  Returns the exit status
 * (0 unless the output cannot be written: 74). */
int bt_annotate(const BtFlowConfig *cfg, int in_fd, int out_fd);

typedef struct {
    const char *output;        /* JSONL file to append to, or NULL */
    const char *maildir;       /* maildir root, or NULL */
} BtHookOptions;

/* Reads one message from `in_fd`; appends its records to opt->output under
 * an exclusive lock with fsync, and delivers the annotated message into
 * opt->maildir/<reason>/ (tmp → new).  Returns 0 only when all is durable,
 * 75 on any failure (no partial record left behind), 64 on bad options. */
int bt_hook(const BtFlowConfig *cfg, const BtHookOptions *opt, int in_fd);

/* Writes the records of a hook's SQLite store to `out` as JSON Lines, in
 * delivery order.  Returns 0, or 66 when the store cannot be read. */
int bt_store_export(const char *path, FILE *out);
