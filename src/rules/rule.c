/* rule — reads one rule of a pack: its id, its `when` condition, where
 * its wording quotes a deciding reply (`quoted`), and its `then` verdict
 * (reason, hardbounce, severity, cause, remediation, checks), reporting
 * every problem with its position. */
#include "rules/rules-private.h"

#include <string.h>

#define PAIRS_FOREACH(node, p) \
    for (yaml_node_pair_t *p = (node)->data.mapping.pairs.start; p < (node)->data.mapping.pairs.top; p++)

static gboolean
id_is_valid(const char *id)
{
    if (!id || !*id)
        return FALSE;
    for (const char *c = id; *c; c++)
        if (!(g_ascii_islower(*c) || g_ascii_isdigit(*c) || *c == '_' || *c == '.' || *c == '-'))
            return FALSE;
    return TRUE;
}

/* A scalar that is not empty, or NULL after reporting `what`'s wrong type. */
static const char *
want_string(BtLoadCtx *ctx, const yaml_node_t *node, const char *what)
{
    const char *s = bt_yaml_scalar(node);
    if (!s || bt_yaml_is_null(node)) {
        bt_load_error(ctx, node, "'%s' must be a string, not %s", what, bt_yaml_kind_name(node));
        return NULL;
    }
    return s;
}

static gboolean
want_kind(BtLoadCtx *ctx, const yaml_node_t *node, yaml_node_type_t type, const char *what)
{
    if (node->type == type && !bt_yaml_is_null(node))
        return TRUE;
    bt_load_error(ctx, node, "'%s' must be %s, not %s", what,
                  type == YAML_MAPPING_NODE ? "a mapping" : "a sequence", bt_yaml_kind_name(node));
    return FALSE;
}

/* ---- checks --------------------------------------------------------------- */

static void
check_spec_free(BtCheckSpec *c)
{
    if (!c)
        return;
    g_free(c->name);
    g_ptr_array_unref(c->arg_names);
    g_ptr_array_unref(c->arg_values);
    g_free(c);
}

/* An argument is a string, or a list of strings joined with commas
 * (e.g. the MX hosts a check should expect). */
static BtTemplate *
parse_check_arg(BtLoadCtx *ctx, const yaml_node_t *v, const char *name)
{
    if (v->type == YAML_SEQUENCE_NODE) {
        g_autoptr(GString) joined = g_string_new(NULL);
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            const char *s = want_string(ctx, bt_yaml_node(ctx, *it), name);
            if (!s)
                return NULL;
            g_string_append_printf(joined, "%s%s", joined->len ? "," : "", s);
        }
        return bt_template_parse_text(ctx, v, joined->str);
    }
    if (!want_string(ctx, v, name))
        return NULL;
    return bt_template_parse(ctx, v);
}

static BtCheckSpec *
parse_check(BtLoadCtx *ctx, const yaml_node_t *item)
{
    const yaml_node_t *k, *v;
    if (!bt_yaml_one_pair(ctx, item, "a check must be a one-key mapping: check name → arguments", &k, &v))
        return NULL;
    const char *name = bt_yaml_scalar(k);
    if (!bt_check_name_is_valid(name)) {
        bt_load_error(ctx, k, "unknown check '%s' (expected dns.mx, dns.spf, dns.dkim, dns.dmarc or resend.domain)",
                      name ? name : "?");
        return NULL;
    }
    if (!want_kind(ctx, v, YAML_MAPPING_NODE, name))
        return NULL;
    BtCheckSpec *c = g_new0(BtCheckSpec, 1);
    c->name = g_strdup(name);
    c->arg_names = g_ptr_array_new_with_free_func(g_free);
    c->arg_values = g_ptr_array_new_with_free_func((GDestroyNotify) bt_template_free);
    PAIRS_FOREACH(v, ap) {
        const char *arg = bt_yaml_scalar(bt_yaml_node(ctx, ap->key));
        BtTemplate *tpl = parse_check_arg(ctx, bt_yaml_node(ctx, ap->value), arg ? arg : "?");
        if (!tpl || !arg)
            continue;
        g_ptr_array_add(c->arg_names, g_strdup(arg));
        g_ptr_array_add(c->arg_values, tpl);
        if (strcmp(arg, "domain") == 0)
            c->domain = tpl;
    }
    if (!c->domain) {
        bt_load_error(ctx, v, "check '%s' needs a 'domain' argument", name);
        check_spec_free(c);
        return NULL;
    }
    return c;
}

static void
parse_checks(BtLoadCtx *ctx, const yaml_node_t *seq, BtRule *r)
{
    if (!want_kind(ctx, seq, YAML_SEQUENCE_NODE, "checks"))
        return;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        BtCheckSpec *c = parse_check(ctx, bt_yaml_node(ctx, *it));
        if (c)
            g_ptr_array_add(r->checks, c);
    }
}

/* ---- then ----------------------------------------------------------------- */

static void
parse_cause(BtLoadCtx *ctx, const yaml_node_t *node, BtRule *r)
{
    if (!want_kind(ctx, node, YAML_MAPPING_NODE, "cause"))
        return;
    PAIRS_FOREACH(node, p) {
        const yaml_node_t *k = bt_yaml_node(ctx, p->key), *v = bt_yaml_node(ctx, p->value);
        const char *key = bt_yaml_scalar(k);
        if (g_strcmp0(key, "id") == 0) {
            const char *id = want_string(ctx, v, "cause.id");
            if (id && !id_is_valid(id))
                bt_load_error(ctx, v, "bad cause id '%s' (use [a-z0-9_.-]+)", id);
            else if (id)
                bt_set_str(&r->cause_id, id);
        } else if (g_strcmp0(key, "summary") == 0) {
            if (want_string(ctx, v, "cause.summary"))
                r->summary = bt_template_parse(ctx, v);
        } else {
            bt_load_error(ctx, k, "unknown key '%s' in cause (expected id, summary)", key ? key : "?");
        }
    }
}

static void
parse_remediation(BtLoadCtx *ctx, const yaml_node_t *seq, BtRule *r)
{
    if (!want_kind(ctx, seq, YAML_SEQUENCE_NODE, "remediation"))
        return;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        const yaml_node_t *step = bt_yaml_node(ctx, *it);
        if (!want_string(ctx, step, "remediation step"))
            continue;
        BtTemplate *tpl = bt_template_parse(ctx, step);
        if (tpl)
            g_ptr_array_add(r->remediation, tpl);
    }
}

static void
parse_then_key(BtLoadCtx *ctx, const yaml_node_t *k, const yaml_node_t *v, BtRule *r)
{
    const char *key = bt_yaml_scalar(k);
    if (g_strcmp0(key, "reason") == 0) {
        const char *reason = want_string(ctx, v, "reason");
        if (reason && !bt_reason_is_valid(reason))
            bt_load_error(ctx, v, "unknown reason '%s' (not in sisimai's vocabulary)", reason);
        else if (reason)
            bt_set_str(&r->reason, reason);
    } else if (g_strcmp0(key, "hardbounce") == 0) {
        gboolean hard;
        if (bt_yaml_bool(v, &hard))
            r->hardbounce = hard;
        else
            bt_load_error(ctx, v, "'hardbounce' must be true or false");
    } else if (g_strcmp0(key, "severity") == 0) {
        const char *sev = want_string(ctx, v, "severity");
        if (sev && !bt_severity_is_valid(sev))
            bt_load_error(ctx, v, "bad severity '%s' (expected low, medium or high)", sev);
        else if (sev)
            bt_set_str(&r->severity, sev);
    } else if (g_strcmp0(key, "cause") == 0) {
        parse_cause(ctx, v, r);
    } else if (g_strcmp0(key, "remediation") == 0) {
        parse_remediation(ctx, v, r);
    } else if (g_strcmp0(key, "checks") == 0) {
        parse_checks(ctx, v, r);
    } else {
        bt_load_error(ctx, k, "unknown key '%s' in then (expected reason, hardbounce, severity, cause, "
                      "remediation, checks)", key ? key : "?");
    }
}

static void
parse_then(BtLoadCtx *ctx, const yaml_node_t *node, BtRule *r)
{
    if (!want_kind(ctx, node, YAML_MAPPING_NODE, "then"))
        return;
    gboolean has_reason = FALSE;
    PAIRS_FOREACH(node, p) {
        const yaml_node_t *k = bt_yaml_node(ctx, p->key);
        has_reason |= g_strcmp0(bt_yaml_scalar(k), "reason") == 0;
        parse_then_key(ctx, k, bt_yaml_node(ctx, p->value), r);
    }
    if (!has_reason)
        bt_load_error(ctx, node, "missing required key 'reason' in then");
}

/* ---- the rule --------------------------------------------------------------- */

static void
parse_id(BtLoadCtx *ctx, const yaml_node_t *v, BtRule *r)
{
    const char *id = want_string(ctx, v, "id");
    if (!id)
        return;
    if (!id_is_valid(id))
        bt_load_error(ctx, v, "bad rule id '%s' (use [a-z0-9_.-]+)", id);
    r->id = g_strdup(id);
    r->line = v->start_mark.line + 1;
    r->col = v->start_mark.column + 1;
}

static BtRule *
rule_new(BtLoadCtx *ctx, const yaml_node_t *node, guint dir_index)
{
    if (node->type != YAML_MAPPING_NODE) {
        bt_load_error(ctx, node, "a rule must be a mapping, not %s", bt_yaml_kind_name(node));
        return NULL;
    }
    BtRule *r = g_new0(BtRule, 1);
    r->file = g_strdup(ctx->file);
    r->dir_index = dir_index;
    r->hardbounce = -1;
    return r;
}

/* What parsing the body fills; a stub goes without until completed. */
static void
rule_body_new(BtRule *r)
{
    r->remediation = g_ptr_array_new_with_free_func((GDestroyNotify) bt_template_free);
    r->checks = g_ptr_array_new_with_free_func((GDestroyNotify) check_spec_free);
}

/* The keys of the rule's mapping (a stub has its id already). */
static void
parse_keys(BtLoadCtx *ctx, const yaml_node_t *node, BtRule *r)
{
    gboolean seen_id = FALSE, seen_when = FALSE, seen_then = FALSE;
    PAIRS_FOREACH(node, p) {
        const yaml_node_t *k = bt_yaml_node(ctx, p->key), *v = bt_yaml_node(ctx, p->value);
        const char *key = bt_yaml_scalar(k);
        if (g_strcmp0(key, "id") == 0) {
            seen_id = TRUE;
            if (!r->id)
                parse_id(ctx, v, r);
        } else if (g_strcmp0(key, "description") == 0) {
            want_string(ctx, v, "description");
        } else if (g_strcmp0(key, "when") == 0) {
            seen_when = TRUE;
            r->when = bt_cond_parse(ctx, v);
        } else if (g_strcmp0(key, "then") == 0) {
            seen_then = TRUE;
            parse_then(ctx, v, r);
        } else if (g_strcmp0(key, "quoted") == 0) {
            if (r->quoted)
                g_ptr_array_unref(r->quoted);
            r->quoted = bt_quotes_parse(ctx, v);
        } else {
            bt_load_error(ctx, k, "unknown key '%s' in rule (expected id, description, when, quoted, then)",
                          key ? key : "?");
        }
    }
    if (!seen_id)
        bt_load_error(ctx, node, "missing required key 'id' in rule");
    if (!seen_when)
        bt_load_error(ctx, node, "missing required key 'when' in rule");
    if (!seen_then)
        bt_load_error(ctx, node, "missing required key 'then' in rule");
}

BtRule *
bt_rule_parse(BtLoadCtx *ctx, const yaml_node_t *node, guint dir_index)
{
    BtRule *r = rule_new(ctx, node, dir_index);
    if (!r)
        return NULL;
    rule_body_new(r);
    parse_keys(ctx, node, r);
    r->parsed = 1;
    if (!r->id) {
        bt_rule_free(r);
        return NULL;
    }
    return r;
}

BtRule *
bt_rule_stub(const char *id, const char *file, gsize line, gsize col, guint dir_index, BtRuleDoc *doc, int node)
{
    BtRule *r = g_new0(BtRule, 1);
    r->id = g_strdup(id);
    r->file = g_strdup(file);
    r->line = line;
    r->col = col;
    r->dir_index = dir_index;
    r->hardbounce = -1;
    r->doc = doc;
    r->node = node;
    return r;
}

/* A stub's problems cannot happen (it was valid when stored); should one
 * all the same, its `when` is missing and the rule never matches. */
void
bt_rule_complete(BtRule *r)
{
    if (!g_once_init_enter(&r->parsed))
        return;
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    BtLoadCtx ctx = { .errors = errors, .file = r->file, .doc = bt_rule_doc_get(r->doc), .trusted = TRUE };
    const yaml_node_t *node = ctx.doc ? yaml_document_get_node(ctx.doc, r->node) : NULL;
    rule_body_new(r);
    if (node && node->type == YAML_MAPPING_NODE)
        parse_keys(&ctx, node, r);
    if (errors->len || !node || node->type != YAML_MAPPING_NODE)
        g_clear_pointer(&r->when, bt_cond_free);
    r->doc = NULL;
    g_once_init_leave(&r->parsed, 1);
}

void
bt_rule_free(BtRule *r)
{
    if (!r)
        return;
    g_free(r->id);
    g_free(r->file);
    bt_cond_free(r->when);
    g_free(r->reason);
    g_free(r->severity);
    g_free(r->cause_id);
    bt_template_free(r->summary);
    if (r->remediation)
        g_ptr_array_unref(r->remediation);
    if (r->checks)
        g_ptr_array_unref(r->checks);
    if (r->quoted)
        g_ptr_array_unref(r->quoted);
    g_free(r);
}
