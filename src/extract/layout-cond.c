/* layout-cond — a layout's `match`: its condition maps (any, all, not,
 * body, from, subject, headers) and the built-in conditions on the
 * regexes every layout shares (bounce-notice, notice-reply), compiled
 * into a Cond tree whose cheap tests come first. */
#include "extract/layout-private.h"
#include "extract/generic-lines.h"

void
bt_layout_cond_free(Cond *c)
{
    if (!c)
        return;
    g_free(c->header);
    if (c->regexes)
        g_ptr_array_unref(c->regexes);
    if (c->kids)
        g_ptr_array_unref(c->kids);
    g_free(c);
}

static gboolean
add_cond(Loader *ld, yaml_node_t *node, gpointer out)
{
    Cond *c = bt_layout_load_cond(ld, node);
    if (c)
        g_ptr_array_add(out, c);
    return c != NULL;
}

static Cond *
cond_new(CondKind kind)
{
    Cond *c = g_new0(Cond, 1);
    c->kind = kind;
    if (kind == COND_HEADER || kind == COND_BODY)
        c->regexes = g_ptr_array_new_with_free_func((GDestroyNotify) bt_layout_regex_free);
    else
        c->kids = g_ptr_array_new_with_free_func((GDestroyNotify) bt_layout_cond_free);
    return c;
}

static Cond *
header_cond(Loader *ld, const char *name, yaml_node_t *v)
{
    Cond *c = cond_new(COND_HEADER);
    c->header = g_strdup(name);
    bt_layout_one_or_list(ld, v, bt_layout_add_regex, c->regexes);
    return c;
}

/* The built-in `bounce-notice: true` (rules/layouts/README.md): the
 * notice's own sender is a mail system, or its Subject says a delivery
 * failed (also in Outlook's translations) and is not a person's reply or
 * forward of one (the prefixes of gen_subject_prefix, RFC 5322 §3.6.5).
 * Defined once here so every layout file shares it; "%s" is the reply
 * and forward prefixes. */
static const char bounce_notice_from[] =
    "(?i)\\b(?:mailer-daemon|postmaster|mail delivery (?:system|subsystem|module|service)"
    "|mdaemon|mmdf|mail administrator|mail ?daemon|mailer)\\b";
static const char bounce_notice_subject[] =
    "(?i)^(?!\\s*%s)\\s*.*"
    "(?:undeliver|delivery (?:status|fail|failure|notification|problem)|returned mail"
    "|failure notice|mail delivery failed|non-?delivery|could not be delivered|not delivered"
    "|mail (?:system )?error|^rejected:"
    /* smaller MTAs' subjects (PHP-Bounce-Handler's bounce-subject list) */
    "|nondeliverable|returned e-?mail|returned to sender|mail transaction failed|failure delivery"
    /* Outlook/Exchange's translated "Undeliverable:" prefixes */
    "|unzustellbar|nicht zustellbar|non remis|onbestelbaar|no se puede entregar"
    "|non recapitabile|olevererbart|kan ikke leveres|não é possível entregar)";

/* A reply to or forward of a notice ("Re: Undelivered Mail Returned to
 * Sender"): a letter about a bounce even when a postmaster writes it, so
 * a mail-system From does not make it a notice either.  Only a reply
 * prefix before failure wording counts: some MTAs title a notice with the
 * original's own subject, which may be any "Re: …".  Also the built-in
 * `notice-reply: true`. */
static const char bounce_notice_reply[] =
    "(?i)^\\s*(?:%s\\s*)+"
    "(?:undeliver|delivery (?:status|fail|failure|notification|problem)|returned mail"
    "|failure notice|mail delivery (?:failed|status)|non-?delivery|could not be delivered"
    "|not delivered|delayed mail|nondeliverable|unzustellbar|non remis)";

/* A built-in regex with the reply and forward prefixes put in. */
static Regex *
regex_with_marks(const char *pattern)
{
    g_autofree char *marks = gen_subject_marks_pattern();
    g_autofree char *full = g_strdup_printf(pattern, marks);
    return bt_layout_regex_new(full);
}

/* LISTSERV marks the delivery error reports it sends a list's owners
 * ("LIST: error report from HOST", the failed notice copied below) with
 * "X-Report-Type: Nondelivery" (L-Soft's list owner's manual, "Delivery
 * error reports"; its loop check looks for the same field): a notice,
 * whatever its From and Subject say. */
static const char bounce_notice_report[] = "(?i)^\\s*nondelivery\\b";

/* The built-in regexes, shared by every layout (BtLayouts). */
void
bt_layout_add_notice_regexes(BtLayouts *lays)
{
    lays->notice_from = bt_layout_regex_new(bounce_notice_from);
    lays->notice_subject = regex_with_marks(bounce_notice_subject);
    lays->notice_reply = regex_with_marks(bounce_notice_reply);
    lays->notice_report = bt_layout_regex_new(bounce_notice_report);
}

/* A header condition on one of the shared built-in regexes: the
 * condition does not own it. */
static Cond *
builtin_header_cond(const char *header, Regex *re)
{
    Cond *c = g_new0(Cond, 1);
    c->kind = COND_HEADER;
    c->header = g_strdup(header);
    c->regexes = g_ptr_array_new();
    g_ptr_array_add(c->regexes, re);
    return c;
}

static Cond *
cond_not(Cond *c)
{
    Cond *not = cond_new(COND_NOT);
    g_ptr_array_add(not->kids, c);
    return not;
}

/* `c`, or its negation for a built-in condition written `false`. */
static Cond *
negated_unless(gboolean want, Cond *c)
{
    return want ? c : cond_not(c);
}

static Cond *
bounce_notice_cond(Loader *ld, yaml_node_t *v)
{
    gboolean want = TRUE;
    if (!bt_layout_parse_bool(ld, v, &want))
        return NULL;
    Cond *any = cond_new(COND_ANY);
    g_ptr_array_add(any->kids, builtin_header_cond("From", ld->lays->notice_from));
    g_ptr_array_add(any->kids, builtin_header_cond("Subject", ld->lays->notice_subject));
    g_ptr_array_add(any->kids, builtin_header_cond("X-Report-Type", ld->lays->notice_report));
    Cond *all = cond_new(COND_ALL);
    g_ptr_array_add(all->kids, any);
    g_ptr_array_add(all->kids, cond_not(builtin_header_cond("Subject", ld->lays->notice_reply)));
    return negated_unless(want, all);
}

/* The built-in `notice-reply: true`: the Subject is a person's reply to
 * or forward of a notice (bounce_notice_reply). */
static Cond *
notice_reply_cond(Loader *ld, yaml_node_t *v)
{
    gboolean want = TRUE;
    if (!bt_layout_parse_bool(ld, v, &want))
        return NULL;
    return negated_unless(want, builtin_header_cond("Subject", ld->lays->notice_reply));
}

/* What a condition costs to test, roughly: a header regex runs over one
 * short value, a body regex over the whole text. */
static guint
cond_cost(const Cond *c)
{
    if (c->kind == COND_HEADER)
        return c->regexes->len;
    if (c->kind == COND_BODY)
        return 20 * c->regexes->len;
    guint cost = 0;
    for (guint i = 0; i < c->kids->len; i++)
        cost += cond_cost(c->kids->pdata[i]);
    return cost;
}

static gint
cheaper_first(gconstpointer a, gconstpointer b)
{
    guint x = cond_cost(*(Cond *const *) a), y = cond_cost(*(Cond *const *) b);
    return x < y ? -1 : x > y;
}

/* The parts of `all` or `any` have no side effects, so testing the cheap
 * ones (From, Subject, header presence) first gives the same answer and
 * often spares the body regexes.  The sort is stable: equal costs keep
 * the file's order. */
static void
order_kids(Cond *c)
{
    g_ptr_array_sort(c->kids, cheaper_first);
}

/* One key of a condition map. */
static Cond *
load_cond_key(Loader *ld, yaml_node_t *k, yaml_node_t *v)
{
    const char *key = bt_layout_scalar(k);
    Cond *c = NULL;
    if (g_strcmp0(key, "any") == 0 || g_strcmp0(key, "all") == 0) {
        c = cond_new(key[1] == 'n' ? COND_ANY : COND_ALL);
        if (bt_layout_expect_kind(ld, v, YAML_SEQUENCE_NODE, key))
            bt_layout_one_or_list(ld, v, add_cond, c->kids);
        order_kids(c);
    } else if (g_strcmp0(key, "not") == 0) {
        c = cond_new(COND_NOT);
        add_cond(ld, v, c->kids);
    } else if (g_strcmp0(key, "body") == 0) {
        c = cond_new(COND_BODY);
        bt_layout_one_or_list(ld, v, bt_layout_add_regex, c->regexes);
    } else if (g_strcmp0(key, "from") == 0 || g_strcmp0(key, "subject") == 0) {
        c = header_cond(ld, key[0] == 'f' ? "From" : "Subject", v);
    } else if (g_strcmp0(key, "bounce-notice") == 0) {
        c = bounce_notice_cond(ld, v);
    } else if (g_strcmp0(key, "notice-reply") == 0) {
        c = notice_reply_cond(ld, v);
    } else if (g_strcmp0(key, "headers") == 0) {
        c = cond_new(COND_ALL);
        if (bt_layout_expect_kind(ld, v, YAML_MAPPING_NODE, "headers"))
            FOR_PAIRS(v, pair) {
                const char *name = bt_layout_expect_scalar(ld, bt_layout_node_at(ld, pair->key),
                                                           "a header name");
                if (name)
                    g_ptr_array_add(c->kids,
                                    header_cond(ld, name, bt_layout_node_at(ld, pair->value)));
            }
    } else {
        bt_layout_fail(ld, k, "unknown key '%s' in match", key ? key : "?");
    }
    return c;
}

/* A condition map: every key must hold. */
Cond *
bt_layout_load_cond(Loader *ld, yaml_node_t *node)
{
    if (!bt_layout_expect_kind(ld, node, YAML_MAPPING_NODE, "a condition"))
        return NULL;
    Cond *all = cond_new(COND_ALL);
    FOR_PAIRS(node, pair) {
        Cond *c = load_cond_key(ld, bt_layout_node_at(ld, pair->key),
                                bt_layout_node_at(ld, pair->value));
        if (c)
            g_ptr_array_add(all->kids, c);
    }
    order_kids(all);
    return all;
}

