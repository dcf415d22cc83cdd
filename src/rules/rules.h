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

/* Rules whose id starts with this are the status-class layer
 * (rules/rfc3463.yaml): their verdict comes from the status code alone, no
 * wording rule having recognised the diagnostic. */
#define BT_CLASS_FALLBACK_PREFIX "rfc3463."

/* Rules whose id starts with this (rules/keyword-fallback.yaml) guess the
 * reason from one concept word of a diagnostic no wording rule knew ("spam",
 * "quota", "relay"), where the status code would give none. */
#define BT_KEYWORD_GUESS_PREFIX "keyword."

/* Is rule `id` one of those guesses? */
static inline gboolean
bt_rule_is_keyword_guess(const char *id)
{
    return id && g_str_has_prefix(id, BT_KEYWORD_GUESS_PREFIX);
}

typedef enum {
    BT_VERDICT_WORDED,      /* a rule read the wording, or a decoder's hint stands */
    BT_VERDICT_KEYWORD,     /* guessed from one word (keyword-fallback.yaml) */
    BT_VERDICT_CLASS,       /* from the status code alone (rfc3463.yaml) */
    BT_VERDICT_UNDECIDED,   /* onhold, undefined: no reason at all */
} BtVerdictKind;

/* How the record's verdict was reached.  With no rule at all, extract's
 * hint (a layout's word) stands: that is a worded verdict. */
static inline BtVerdictKind
bt_verdict_kind(const BtRecord *rec)
{
    if (!rec->reason || !*rec->reason || g_strcmp0(rec->reason, "onhold") == 0
        || g_strcmp0(rec->reason, "undefined") == 0)
        return BT_VERDICT_UNDECIDED;
    if (rec->rule && g_str_has_prefix(rec->rule, BT_CLASS_FALLBACK_PREFIX))
        return BT_VERDICT_CLASS;
    if (bt_rule_is_keyword_guess(rec->rule))
        return BT_VERDICT_KEYWORD;
    return BT_VERDICT_WORDED;
}

/* Is the record's verdict a fallback: a keyword guess, the status-class
 * layer, or a reason that decides nothing (onhold, undefined)? */
static inline gboolean
bt_verdict_is_fallback(const BtRecord *rec)
{
    return bt_verdict_kind(rec) != BT_VERDICT_WORDED;
}

/* Every rule whose `when` holds for `rec` against the bounce text `text`
 * (not only the first): "id\treason" strings in matching order.  For the
 * boilerplate test, which asks what fires on text every notice shares. */
GPtrArray *bt_ruleset_rules_holding(const BtRuleSet *rs, const char *text, const BtRecord *rec);

/* The closed vocabulary (sisimai's reasons) and check names. */
gboolean bt_reason_is_valid(const char *reason);
gboolean bt_check_name_is_valid(const char *name);
