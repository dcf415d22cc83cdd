/* rules — the YAML rule set (rules/ *.yaml, schema in rules/README.md),
 * validated completely and compiled once (PCRE2 + JIT), then matched
 * against every record of a bounce to give it a verdict: reason,
 * hardbounce, cause, severity, remediation, suggested checks.  The last
 * layer (rfc3463.yaml) maps status classes so every record gets a reason.
 * After matching, records without a delivery status get sisimai's pseudo
 * status code for their reason.  Thread-safe after loading. */
#pragma once

#include "core/core.h"
#include "extract/extract.h"

typedef struct _BtRuleSet BtRuleSet;

/* dirs: NULL-terminated; every *.yaml in each, in order; a rule whose id
 * already exists replaces the earlier one in place.  Every problem is added
 * to `errors` as "file:line:col: message"; when there is any, returns NULL
 * with BT_ERROR_CONFIG. */
BtRuleSet *bt_ruleset_load(const char *const *dirs, GPtrArray *errors, GError **error);
guint bt_ruleset_size(const BtRuleSet *rs);

/* Whether only root and this user can change `dirs` (NULL-terminated) and
 * the *.yaml files in them: each directory or file that a group or anyone
 * can write, or that another user owns, adds a sentence to `problems`.
 * Returns FALSE when there is any; callers warn, and the delivery hook
 * refuses to run (75) on rules a stranger may have written. */
gboolean bt_rule_dirs_check(const char *const *dirs, GPtrArray *problems);
void bt_ruleset_free(BtRuleSet *rs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtRuleSet, bt_ruleset_free)

/* Gives every record of `bounce` its verdict.  With explain, each record's
 * `explain` says which rule matched and on which text. */
void bt_ruleset_apply(const BtRuleSet *rs, BtBounce *bounce, gboolean explain);

/* The closed vocabulary (sisimai's reasons) and check names. */
gboolean bt_reason_is_valid(const char *reason);
gboolean bt_check_name_is_valid(const char *name);
