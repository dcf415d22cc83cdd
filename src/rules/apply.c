/* apply — gives each record of a bounce its verdict: the first rule whose
 * `when` holds sets reason, hard/soft, severity and cause (or, for a
 * wrapper that quotes the deciding reply, the rule that reads it); sisimai's
 * finishing fills the rest; then the cause summary, remediation and checks
 * are interpolated from the finished record.  Reads the rule set only, so
 * any number of threads may apply it at once. */
#include "rules/rules-private.h"

#include <string.h>

/* --explain quotes at most this many characters of the matched text. */
#define EXPLAIN_QUOTE_CHARS 160
/* Bounces before the candidate index is built: it parses every rule and
 * costs about what it saves on a few hundred bounces (~25 M instructions),
 * which a single message on stdin or a short batch must not pay. */
#define INDEX_AFTER_BOUNCES 64

/* The candidate index once the set has been applied often enough, else NULL. */
static const BtRuleIndex *
rule_index(const BtRuleSet *rs)
{
    BtRuleSet *set = (BtRuleSet *) rs;          /* built once, then read-only */
    if (g_atomic_int_get(&set->applied) < INDEX_AFTER_BOUNCES) {
        g_atomic_int_inc(&set->applied);
        return NULL;
    }
    if (g_once_init_enter(&set->index_ready)) {
        set->index = bt_rule_index_new(rs);
        g_once_init_leave(&set->index_ready, 1);
    }
    return set->index;
}

/* Rule i, NULL when it could not be parsed.  Building the index parsed
 * every rule, so with it there is no parse to check for. */
static const BtRule *
rule_at(const BtRuleSet *rs, const BtCandidates *cands, guint i)
{
    if (!cands)
        return bt_ruleset_rule(rs, i);
    const BtRule *r = rs->rules->pdata[i];
    return r->when ? r : NULL;
}

/* Without the index, a rule whose literal test from the cache finds
 * nothing cannot hold: passed over without being parsed (prefilter.c). */
static gboolean
passed_over(const BtRuleSet *rs, const BtCandidates *cands, guint i, BtMatchInput *in)
{
    const BtRule *r = rs->rules->pdata[i];
    return !cands && r->prefilter && !bt_prefilter_may_hold(r->prefilter, r->prefilter_len, in);
}

/* The first rule from `from` on that may be tried: the next candidate
 * with the index, else the next rule. */
static guint
next_tried(const BtCandidates *cands, guint from)
{
    return cands ? bt_candidates_next(cands, from) : from;
}

/* `cands` NULL: every rule is tried that its stored literal test allows. */
static const BtRule *
first_match(const BtRuleSet *rs, BtMatchInput *in, BtCandidates *cands, BtMatchNote *note)
{
    for (guint i = next_tried(cands, 0); i < rs->rules->len; i = next_tried(cands, i + 1)) {
        if (passed_over(rs, cands, i, in))
            continue;
        const BtRule *r = rule_at(rs, cands, i);
        if (r && bt_cond_match(r->when, in, note))
            return r;
    }
    return NULL;
}

static void
give_verdict(const BtRule *r, BtRecord *rec)
{
    bt_set_str(&rec->reason, r->reason);
    if (r->hardbounce >= 0)
        rec->hardbounce = r->hardbounce;
    bt_set_str(&rec->severity, r->severity ? r->severity : bt_reason_default_severity(r->reason));
    bt_set_str(&rec->cause_id, r->cause_id ? r->cause_id : r->id);
    bt_set_str(&rec->rule, r->id);
}

/* No rule: extract's hint stands when it is a reason at all. */
static void
give_no_verdict(BtRecord *rec)
{
    if (!bt_reason_is_valid(rec->reason))
        bt_set_str(&rec->reason, "undefined");
    bt_set_str(&rec->severity, bt_reason_default_severity(rec->reason));
    bt_set_str(&rec->cause_id, NULL);
    bt_set_str(&rec->cause_summary, NULL);
    bt_set_str(&rec->rule, NULL);
}

static BtCheck *
render_check(const BtCheckSpec *spec, const BtRecord *rec)
{
    g_autofree char *target = bt_template_render(spec->domain, rec);
    if (!*target)
        return NULL;     /* e.g. ${senderdomain} unknown: nothing to check */
    BtCheck *check = bt_check_new(spec->name, target);
    for (guint i = 0; i < spec->arg_names->len; i++)
        g_hash_table_insert(check->args, g_strdup(spec->arg_names->pdata[i]),
                            bt_template_render(spec->arg_values->pdata[i], rec));
    return check;
}

static void
render_triage(const BtRule *r, BtRecord *rec)
{
    g_free(rec->cause_summary);
    rec->cause_summary = r->summary ? bt_template_render(r->summary, rec) : NULL;
    g_ptr_array_set_size(rec->remediation, 0);
    for (guint i = 0; i < r->remediation->len; i++)
        g_ptr_array_add(rec->remediation, bt_template_render(r->remediation->pdata[i], rec));
    g_ptr_array_set_size(rec->checks, 0);
    for (guint i = 0; i < r->checks->len; i++) {
        BtCheck *check = render_check(r->checks->pdata[i], rec);
        if (check)
            g_ptr_array_add(rec->checks, check);
    }
}

/* The matched text, shortened and on one line. */
static char *
quote_match(const BtMatchNote *note)
{
    g_autofree char *valid = g_utf8_make_valid(note->subject + note->start, note->end - note->start);
    glong chars = g_utf8_strlen(valid, -1);
    char *cut = g_utf8_substring(valid, 0, MIN(chars, EXPLAIN_QUOTE_CHARS));
    for (char *c = cut; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    if (chars <= EXPLAIN_QUOTE_CHARS)
        return cut;
    char *longer = g_strconcat(cut, "…", NULL);
    g_free(cut);
    return longer;
}

/* `quote` is the matched text, taken before the verdict rewrote the record
 * (a rule may match on the very field it then sets, e.g. reason). */
static char *
explain_match(const BtRule *r, const BtMatchNote *note, const char *quote, const BtRecord *rec)
{
    if (!r)
        return g_strdup_printf("no rule matched; reason %s", rec->reason);
    if (!note->field)
        return g_strdup_printf("rule %s (%s:%zu) matched", r->id, r->file, r->line);
    return g_strdup_printf("rule %s (%s:%zu) matched %s: «%s»", r->id, r->file, r->line, note->field, quote);
}

/* What the reader of --explain must know about a verdict nobody decided
 * from the wording: that it is a guess from one word or from the status
 * class, or none. */
static char *
explain_text(const BtRule *r, const BtMatchNote *note, const char *quote, const BtRecord *rec)
{
    g_autofree char *match = explain_match(r, note, quote, rec);
    switch (bt_verdict_kind(rec)) {
    case BT_VERDICT_WORDED:
        return g_steal_pointer(&match);
    case BT_VERDICT_UNDECIDED:
        return g_strdup_printf("%s; undecided: no rule recognised the diagnostic and the status code "
                               "gives no reason (%s)", match, rec->reason);
    case BT_VERDICT_KEYWORD:
        return g_strdup_printf("%s; keyword guess: no wording rule recognised the diagnostic and its "
                               "status code gives no reason, so the reason rests on that one word", match);
    case BT_VERDICT_CLASS:
    default:
        return g_strdup_printf("%s; class fallback: no wording rule recognised the diagnostic, the reason "
                               "comes from the status code %s alone", match,
                               rec->deliverystatus && *rec->deliverystatus ? rec->deliverystatus : "(none)");
    }
}

/* A reason that names no cause: a quoted reply read so leaves the
 * wrapper's own verdict standing. */
static gboolean
reason_names_cause(const char *reason)
{
    return g_strcmp0(reason, "expired") != 0 && g_strcmp0(reason, "onhold") != 0
        && g_strcmp0(reason, "undefined") != 0;
}

/* The first rule that holds on the wording of the reply now standing in
 * for the diagnostic, when its verdict names a cause; NULL when that
 * first rule is itself a wrapper or names none.  Rules that hold on the
 * codes or the bounce text alone say nothing about the reply: skipped.
 * With the index, the candidates are found again for the reply (they
 * were the record's own). */
static const BtRule *
rule_reading_reply(const BtRuleSet *rs, const BtRule *wrapper, BtMatchInput *in, BtCandidates *cands)
{
    if (cands)
        bt_candidates_for_record(cands, in);
    for (guint i = next_tried(cands, 0); i < rs->rules->len; i = next_tried(cands, i + 1)) {
        if (passed_over(rs, cands, i, in))
            continue;
        const BtRule *r = rule_at(rs, cands, i);
        BtMatchNote note = { 0 };
        if (!r || r == wrapper || !bt_cond_match(r->when, in, &note) || !note.read_diagnostic)
            continue;
        /* a guess from one word does not overturn the wrapper either */
        return r->quoted || bt_rule_is_keyword_guess(r->id) || !reason_names_cause(r->reason) ? NULL : r;
    }
    return NULL;
}

/* A wrapper's verdict ("message expired") yields to the rule that reads
 * the reply it quotes (`quoted`), as sisimai reads a quoted last reply:
 * the reply, with the codes it opens with, stands in for the record's
 * diagnostic while the rules are tried.  *reply_out gets the reply when
 * a rule read it. */
static const BtRule *
rule_for_quoted_reply(const BtRuleSet *rs, const BtRule *wrapper, BtRecord *rec, BtMatchInput *in,
                      BtCandidates *cands, char **reply_out)
{
    g_autofree char *reply = bt_quotes_find(wrapper->quoted, rec->diagnosticcode, in->text->str);
    if (!reply)
        return NULL;
    g_autofree char *status = NULL;
    int code;
    bt_quote_codes(reply, &code, &status);
    char *own_diagnostic = rec->diagnosticcode, *own_status = rec->deliverystatus;
    int own_code = rec->replycode;
    rec->diagnosticcode = reply;
    if (code)
        rec->replycode = code;
    if (status)
        rec->deliverystatus = status;
    bt_match_input_set_record(in, rec);
    const BtRule *r = rule_reading_reply(rs, wrapper, in, cands);
    rec->diagnosticcode = own_diagnostic;
    rec->deliverystatus = own_status;
    rec->replycode = own_code;
    bt_match_input_set_record(in, rec);
    if (r)
        *reply_out = g_steal_pointer(&reply);
    return r;
}

/* A verdict taken from the reply a wrapper quotes. */
static char *
explain_quoted(const BtRule *wrapper, const BtMatchNote *note, const char *quote, const BtRule *reader,
               const char *reply)
{
    g_autofree char *outer = explain_match(wrapper, note, quote, NULL);
    BtMatchNote whole = { .field = "reply", .subject = reply, .start = 0, .end = strlen(reply) };
    g_autofree char *shown = quote_match(&whole);
    return g_strdup_printf("%s; it quotes the reply «%s», which rule %s (%s:%zu) reads", outer, shown,
                           reader->id, reader->file, reader->line);
}

static void
apply_record(const BtRuleSet *rs, BtRecord *rec, BtMatchInput *in, BtCandidates *cands, gboolean explain)
{
    BtMatchNote note = { 0 };
    bt_match_input_set_record(in, rec);
    if (cands)
        bt_candidates_for_record(cands, in);
    const BtRule *r = first_match(rs, in, cands, explain ? &note : NULL);
    g_autofree char *quote = note.field ? quote_match(&note) : NULL;
    g_autofree char *reply = NULL;
    const BtRule *wrapper = NULL;
    const BtRule *reader = r && r->quoted ? rule_for_quoted_reply(rs, r, rec, in, cands, &reply) : NULL;
    if (reader) {
        wrapper = r;
        r = reader;
    }
    if (r)
        give_verdict(r, rec);
    else
        give_no_verdict(rec);
    bt_verdict_finish(rec, r && r->hardbounce >= 0);
    if (r) {
        render_triage(r, rec);
    } else {
        g_ptr_array_set_size(rec->remediation, 0);
        g_ptr_array_set_size(rec->checks, 0);
    }
    if (explain) {
        g_free(rec->explain);
        rec->explain = wrapper ? explain_quoted(wrapper, &note, quote, r, reply)
                               : explain_text(r, &note, quote, rec);
    }
}

/* The text and the fields are prepared once for all the rules tried. */
void
bt_ruleset_apply(const BtRuleSet *rs, BtBounce *bounce, gboolean explain)
{
    if (!bounce->records || bounce->records->len == 0)
        return;
    BtSubject text;
    BtMatchInput *in = bt_match_input_for_bounce(&text, bounce);
    const BtRuleIndex *ix = rule_index(rs);
    BtCandidates cands;
    if (ix) {
        bt_candidates_init(&cands, ix);
        bt_candidates_use_text(&cands, &text);
    }
    for (guint i = 0; i < bounce->records->len; i++)
        apply_record(rs, bounce->records->pdata[i], in, ix ? &cands : NULL, explain);
    if (ix)
        bt_candidates_clear(&cands);
    bt_match_input_free(in);
    bt_subject_free(&text);
}

GPtrArray *
bt_ruleset_rules_holding(const BtRuleSet *rs, const char *text, const BtRecord *rec)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    BtSubject subject;
    bt_subject_init(&subject);
    bt_subject_set(&subject, text, text ? strlen(text) : 0);
    BtMatchInput *in = bt_match_input_new(&subject);
    bt_match_input_set_record(in, rec);
    for (guint i = 0; i < rs->rules->len; i++) {
        const BtRule *r = bt_ruleset_rule(rs, i);
        if (r && bt_cond_match(r->when, in, NULL))
            g_ptr_array_add(out, g_strdup_printf("%s\t%s", r->id, r->reason));
    }
    bt_match_input_free(in);
    bt_subject_free(&subject);
    return out;
}
