/* layout-keys — one layout: its fields and values, its patterns and
 * every other key of its map, read completely at load, or only its id
 * and `match` for a layout from the cache, the rest on first use. */
#include "extract/layout-private.h"
#include "extract/extract.h"

#include <string.h>

const char *const bt_layout_field_names[N_FIELDS] = {
    "recipient", "diagnosticcode", "status", "replycode", "command", "rhost",
    "lhost", "action", "alias", "reason", "diagnostictype", "feedbacktype",
};

/* "deliverystatus" is accepted as another name for "status". */
int
bt_layout_field_by_name(const char *name)
{
    if (g_strcmp0(name, "deliverystatus") == 0)
        return F_STATUS;
    for (int f = 0; f < N_FIELDS; f++)
        if (g_strcmp0(name, bt_layout_field_names[f]) == 0)
            return f;
    return -1;
}

void
bt_layout_values_clear(Values *vals)
{
    for (int f = 0; f < N_FIELDS; f++)
        g_clear_pointer(&vals->v[f], g_free);
    vals->alias_expanded = FALSE;
    vals->common_diagnostic = FALSE;
    vals->own_line = FALSE;
    vals->led = FALSE;
    for (int f = 0; f < N_FIELDS; f++)
        vals->with_diagnostic[f] = FALSE;
}

static void
pattern_free(Pattern *p)
{
    if (!p)
        return;
    bt_layout_regex_free(p->re);
    bt_layout_values_clear(&p->set);
    g_free(p);
}

void
bt_layout_free(Layout *lay)
{
    if (!lay)
        return;
    g_free(lay->id);
    g_free(lay->where);
    bt_layout_cond_free(lay->match);
    bt_layout_regex_free(lay->begin);
    bt_layout_regex_free(lay->original);
    bt_layout_regex_free(lay->end);
    bt_layout_regex_free(lay->split_before);
    GPtrArray *lists[] = { lay->sections, lay->recipients, lay->stops,
                           lay->befores, lay->fields, lay->common };
    for (gsize k = 0; k < G_N_ELEMENTS(lists); k++)
        if (lists[k])
            g_ptr_array_unref(lists[k]);
    g_strfreev(lay->recipient_headers);
    g_strfreev(lay->original_headers);
    g_strfreev(lay->pseudo_temporary);
    bt_layout_values_clear(&lay->set);
    g_free(lay);
}

/* The lists a complete layout has (empty when its file names none).  A
 * layout from the cache gets them when completed: most never are. */
static void
layout_add_lists(Layout *lay)
{
    lay->recipients = g_ptr_array_new_with_free_func((GDestroyNotify) pattern_free);
    lay->sections = g_ptr_array_new_with_free_func((GDestroyNotify) pattern_free);
    lay->stops = g_ptr_array_new_with_free_func((GDestroyNotify) bt_layout_regex_free);
    lay->befores = g_ptr_array_new_with_free_func((GDestroyNotify) bt_layout_regex_free);
    lay->fields = g_ptr_array_new_with_free_func((GDestroyNotify) pattern_free);
    lay->common = g_ptr_array_new_with_free_func((GDestroyNotify) pattern_free);
}

static Layout *
layout_new(void)
{
    Layout *lay = g_new0(Layout, 1);
    lay->skip_blank = TRUE;
    return lay;
}

/* The set of field groups a regex names; an unknown group name is an error. */
static gboolean
regex_captures(Loader *ld, const yaml_node_t *node, const pcre2_code *re, guint *captures)
{
    uint32_t count, entry;
    PCRE2_SPTR table;
    pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
    *captures = 0;
    gboolean ok = TRUE;
    for (uint32_t i = 0; i < count; i++) {
        const char *name = (const char *) table + i * entry + 2;
        int f = bt_layout_field_by_name(name);
        if (f < 0) {
            bt_layout_fail(ld, node, "unknown capture group '%s'", name);
            ok = FALSE;
        } else {
            *captures |= 1u << f;
        }
    }
    return ok;
}

/* [245][0-9][0-9] */
static gboolean
is_reply_code(const char *s)
{
    return strlen(s) == 3 && strchr("245", s[0]) && g_ascii_isdigit(s[1]) && g_ascii_isdigit(s[2]);
}

/* [a-z0-9_.-]+ */
static gboolean
is_layout_id(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_islower(*s) && !g_ascii_isdigit(*s) && !strchr("_.-", *s))
            return FALSE;
    return TRUE;
}

static gboolean
add_header_name(Loader *ld, yaml_node_t *node, gpointer out)
{
    const char *s = bt_layout_expect_scalar(ld, node, "a header name");
    if (s)
        g_ptr_array_add(out, g_strdup(s));
    return s != NULL;
}

/* `set:` — a map of field → fixed value. */
static void
load_values(Loader *ld, yaml_node_t *node, Values *vals)
{
    if (!bt_layout_expect_kind(ld, node, YAML_MAPPING_NODE, "set"))
        return;
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = bt_layout_node_at(ld, pair->key), *v = bt_layout_node_at(ld, pair->value);
        const char *key = bt_layout_scalar(k);
        int f = key ? bt_layout_field_by_name(key) : -1;
        if (f < 0 || f == F_RECIPIENT) {
            bt_layout_fail(ld, k, "unknown field '%s' in set", key ? key : "?");
            continue;
        }
        const char *val = bt_layout_expect_scalar(ld, v, "a set value");
        if (val && f == F_REPLYCODE && !is_reply_code(val))
            bt_layout_fail(ld, v, "replycode must be a three-digit SMTP reply code");
        else if (val)
            bt_set_str(&vals->v[f], val);
    }
}

/* `in-block: alias` — inside a recipient's block, the line's recipient
 * capture names that recipient's alias (Exim's "generated by" under the
 * child address) instead of opening a record; `in-block: parent` — it
 * names the address the block's recipient was expanded from (Sendmail's
 * "(expanded from: ADDR)"), which the record reports, as the DSN's
 * Final-Recipient does, with the expanded address as its alias. */
static void
load_in_block(Loader *ld, yaml_node_t *node, Pattern *p)
{
    const char *s = bt_layout_expect_scalar(ld, node, "in-block");
    if (s && g_strcmp0(s, "alias") != 0 && g_strcmp0(s, "parent") != 0)
        bt_layout_fail(ld, node, "in-block must be 'alias' or 'parent'");
    p->in_block_alias = s && g_strcmp0(s, "alias") == 0;
    p->in_block_parent = s && g_strcmp0(s, "parent") == 0;
}

/* A pattern: a regex string, or {regex: R, set: {...}, in-block: alias,
 * own-line: true}.  *captures gets
 * the set of field groups its regex names (not worked out for a trusted
 * pattern, whose groups were checked when it was stored). */
static Pattern *
load_pattern(Loader *ld, yaml_node_t *node, const char *what, guint *captures)
{
    *captures = 0;
    yaml_node_t *re_node = node;
    Pattern *p = g_new0(Pattern, 1);
    if (node->type == YAML_MAPPING_NODE) {
        re_node = NULL;
        FOR_PAIRS(node, pair) {
            yaml_node_t *k = bt_layout_node_at(ld, pair->key), *v = bt_layout_node_at(ld, pair->value);
            const char *key = bt_layout_scalar(k);
            if (g_strcmp0(key, "regex") == 0)
                re_node = v;
            else if (g_strcmp0(key, "set") == 0)
                load_values(ld, v, &p->set);
            else if (g_strcmp0(key, "in-block") == 0)
                load_in_block(ld, v, p);
            else if (g_strcmp0(key, "own-line") == 0)
                bt_layout_parse_bool(ld, v, &p->own_line);
            else
                bt_layout_fail(ld, k, "unknown key '%s' in %s", key ? key : "?", what);
        }
        if (!re_node) {
            bt_layout_fail(ld, node, "%s needs a regex", what);
            pattern_free(p);
            return NULL;
        }
    }
    p->re = bt_layout_compile_regex(ld, re_node, what);
    if (!p->re || (!ld->trusted && !regex_captures(ld, re_node, p->re->code, captures))) {
        pattern_free(p);
        return NULL;
    }
    return p;
}

static gboolean
add_recipient_pattern(Loader *ld, yaml_node_t *node, gpointer out)
{
    guint captures;
    Pattern *p = load_pattern(ld, node, "a recipient pattern", &captures);
    if (p && !ld->trusted && !(captures & (1u << F_RECIPIENT))) {
        bt_layout_fail(ld, node, "a recipient pattern needs a (?<recipient>...) group");
        g_clear_pointer(&p, pattern_free);
    }
    if (p)
        g_ptr_array_add(out, p);
    return p != NULL;
}

static gboolean
add_field_pattern(Loader *ld, yaml_node_t *node, gpointer out)
{
    guint captures;
    Pattern *p = load_pattern(ld, node, "a field pattern", &captures);
    if (p && (p->in_block_alias || p->in_block_parent)) {
        bt_layout_fail(ld, node, "in-block is only for recipient patterns");
        g_clear_pointer(&p, pattern_free);
    }
    if (p)
        g_ptr_array_add(out, p);
    return p != NULL;
}

/* A section title: a recipient pattern that neither sets values nor
 * stands for an alias. */
static gboolean
add_section_pattern(Loader *ld, yaml_node_t *node, gpointer out)
{
    g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func((GDestroyNotify) pattern_free);
    if (!add_recipient_pattern(ld, node, one))
        return FALSE;
    g_ptr_array_add(out, g_ptr_array_steal_index(one, 0));
    return TRUE;
}

static gboolean
add_local_domain(Loader *ld, yaml_node_t *node, gpointer out)
{
    static const char *const names[] = {
        [LOCAL_DOMAIN_ORIGINAL_TO] = "from-original-to",
        [LOCAL_DOMAIN_SENDER] = "from-sender",
        [LOCAL_DOMAIN_REPORTING_HOST] = "from-reporting-host",
    };
    Layout *lay = out;
    const char *s = bt_layout_expect_scalar(ld, node, "local-domain");
    for (int d = LOCAL_DOMAIN_ORIGINAL_TO; s && d <= N_LOCAL_DOMAINS; d++) {
        if (g_strcmp0(s, names[d]) != 0)
            continue;
        int n = 0;
        while (lay->local_domain[n] != LOCAL_DOMAIN_NONE && lay->local_domain[n] != (LocalDomain) d)
            n++;
        lay->local_domain[n] = d;
        return TRUE;
    }
    if (s)
        bt_layout_fail(ld, node,
                       "local-domain must be from-original-to, from-sender or from-reporting-host");
    return FALSE;
}

/* `local-domain: WAY` or a list of ways, tried in order. */
static void
load_local_domain(Loader *ld, yaml_node_t *node, Layout *lay)
{
    memset(lay->local_domain, 0, sizeof lay->local_domain);
    bt_layout_one_or_list(ld, node, add_local_domain, lay);
}

/* `diagnostic: {until: blank|recipient, skip-blank: bool, stop: [regex]}` */
static void
load_diagnostic(Loader *ld, yaml_node_t *node, Layout *lay)
{
    if (!bt_layout_expect_kind(ld, node, YAML_MAPPING_NODE, "diagnostic"))
        return;
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = bt_layout_node_at(ld, pair->key), *v = bt_layout_node_at(ld, pair->value);
        const char *key = bt_layout_scalar(k);
        if (g_strcmp0(key, "until") == 0) {
            const char *s = bt_layout_expect_scalar(ld, v, "until");
            if (s && g_strcmp0(s, "blank") != 0 && g_strcmp0(s, "recipient") != 0)
                bt_layout_fail(ld, v, "until must be 'blank' or 'recipient'");
            lay->until_recipient = g_strcmp0(s, "recipient") == 0;
        } else if (g_strcmp0(key, "skip-blank") == 0) {
            bt_layout_parse_bool(ld, v, &lay->skip_blank);
        } else if (g_strcmp0(key, "stop") == 0) {
            bt_layout_one_or_list(ld, v, bt_layout_add_regex, lay->stops);
        } else if (g_strcmp0(key, "before") == 0) {
            bt_layout_one_or_list(ld, v, bt_layout_add_regex, lay->befores);
        } else {
            bt_layout_fail(ld, k, "unknown key '%s' in diagnostic", key ? key : "?");
        }
    }
}

static char **
load_header_names(Loader *ld, yaml_node_t *v)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    bt_layout_one_or_list(ld, v, add_header_name, names);
    g_ptr_array_add(names, NULL);
    return (char **) g_ptr_array_steal(names, NULL);
}

static gboolean
add_pseudo_reason(Loader *ld, yaml_node_t *node, gpointer out)
{
    const char *s = bt_layout_expect_scalar(ld, node, "a reason");
    if (s && !bt_status_pseudo(s, TRUE)) {
        bt_layout_fail(ld, node, "'%s' is not a reason with a temporary pseudo status", s);
        return FALSE;
    }
    if (s)
        g_ptr_array_add(out, g_strdup(s));
    return s != NULL;
}

/* `pseudo-status: true`, or `pseudo-status: {temporary: [reason, …]}` */
static void
load_pseudo_status(Loader *ld, yaml_node_t *node, Layout *lay)
{
    if (node->type != YAML_MAPPING_NODE) {
        bt_layout_parse_bool(ld, node, &lay->pseudo_status);
        return;
    }
    lay->pseudo_status = TRUE;
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = bt_layout_node_at(ld, pair->key), *v = bt_layout_node_at(ld, pair->value);
        const char *key = bt_layout_scalar(k);
        if (g_strcmp0(key, "temporary") != 0) {
            bt_layout_fail(ld, k, "unknown key '%s' in pseudo-status", key ? key : "?");
            continue;
        }
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        bt_layout_one_or_list(ld, v, add_pseudo_reason, names);
        g_ptr_array_add(names, NULL);
        g_strfreev(lay->pseudo_temporary);
        lay->pseudo_temporary = (char **) g_ptr_array_steal(names, NULL);
    }
}

/* One key of a layout. */
static void
load_layout_key(Loader *ld, Layout *lay, yaml_node_t *k, yaml_node_t *v)
{
    const char *key = bt_layout_scalar(k);
    if (g_strcmp0(key, "id") == 0) {
        const char *id = bt_layout_expect_scalar(ld, v, "id");
        if (id && !is_layout_id(id))
            bt_layout_fail(ld, v, "id must be made of [a-z0-9_.-]");
        else if (id) {
            bt_set_str(&lay->id, id);
            g_free(lay->where);
            lay->where = bt_layout_place(ld->path, v);
        }
    } else if (g_strcmp0(key, "description") == 0) {
        bt_layout_expect_scalar(ld, v, "description");
    } else if (g_strcmp0(key, "match") == 0) {
        lay->match = bt_layout_load_cond(ld, v);
    } else if (g_strcmp0(key, "begin") == 0) {
        lay->begin = bt_layout_compile_regex(ld, v, "begin");
    } else if (g_strcmp0(key, "original") == 0) {
        lay->original = bt_layout_compile_regex(ld, v, "original");
    } else if (g_strcmp0(key, "end") == 0) {
        lay->end = bt_layout_compile_regex(ld, v, "end");
    } else if (g_strcmp0(key, "split-before") == 0) {
        lay->split_before = bt_layout_compile_regex(ld, v, "split-before");
    } else if (g_strcmp0(key, "sections") == 0) {
        bt_layout_one_or_list(ld, v, add_section_pattern, lay->sections);
    } else if (g_strcmp0(key, "local-domain") == 0) {
        load_local_domain(ld, v, lay);
    } else if (g_strcmp0(key, "recipients") == 0) {
        bt_layout_one_or_list(ld, v, add_recipient_pattern, lay->recipients);
    } else if (g_strcmp0(key, "diagnostic") == 0) {
        load_diagnostic(ld, v, lay);
    } else if (g_strcmp0(key, "fields") == 0) {
        bt_layout_one_or_list(ld, v, add_field_pattern, lay->fields);
    } else if (g_strcmp0(key, "common") == 0) {
        bt_layout_one_or_list(ld, v, add_field_pattern, lay->common);
    } else if (g_strcmp0(key, "recipient-headers") == 0) {
        g_strfreev(lay->recipient_headers);
        lay->recipient_headers = load_header_names(ld, v);
    } else if (g_strcmp0(key, "original-headers") == 0) {
        g_strfreev(lay->original_headers);
        lay->original_headers = load_header_names(ld, v);
    } else if (g_strcmp0(key, "pseudo-status") == 0) {
        load_pseudo_status(ld, v, lay);
    } else if (g_strcmp0(key, "set") == 0) {
        load_values(ld, v, &lay->set);
    } else {
        bt_layout_fail(ld, k, "unknown key '%s' in layout", key ? key : "?");
    }
}

/* The keys bt_layout_complete does not read: the id, read at load, and
 * `match`, read by bt_layout_match. */
static gboolean
is_stub_key(const char *key)
{
    return g_strcmp0(key, "id") == 0 || g_strcmp0(key, "match") == 0;
}

/* A trusted layout's id, and where its match is; the rest on first use. */
static Layout *
load_layout_stub(Loader *ld, yaml_node_t *node)
{
    Layout *lay = layout_new();
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = bt_layout_node_at(ld, pair->key);
        const char *key = bt_layout_scalar(k);
        if (g_strcmp0(key, "id") == 0)
            load_layout_key(ld, lay, k, bt_layout_node_at(ld, pair->value));
        else if (g_strcmp0(key, "match") == 0)
            lay->match_node = bt_layout_node_at(ld, pair->value);
    }
    lay->lays = ld->lays;
    lay->node = node;
    lay->doc = ld->doc;
    lay->path = ld->path;     /* interned by load_cached_file */
    return lay;
}

const Cond *
bt_layout_match(Layout *lay)
{
    if (g_once_init_enter(&lay->match_ready)) {
        if (lay->match_node) {
            g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
            /* valid when stored: no error */
            Loader ld = { .path = lay->path, .doc = lay->doc, .trusted = TRUE, .errors = errors,
                          .lays = lay->lays };
            lay->match = bt_layout_load_cond(&ld, (yaml_node_t *) lay->match_node);
            lay->match_node = NULL;
        }
        g_once_init_leave(&lay->match_ready, 1);
    }
    return lay->match;
}

void
bt_layout_complete(Layout *lay)
{
    if (!g_once_init_enter(&lay->complete))
        return;
    bt_layout_match(lay);      /* a complete layout has every field read */
    if (lay->node) {
        layout_add_lists(lay);
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        /* valid when stored: no error, and no `match` (the only place for
         * a built-in regex) is read here */
        Loader ld = { .path = lay->path, .doc = lay->doc, .trusted = TRUE, .errors = errors };
        FOR_PAIRS(lay->node, pair) {
            yaml_node_t *k = bt_layout_node_at(&ld, pair->key);
            if (!is_stub_key(bt_layout_scalar(k)))
                load_layout_key(&ld, lay, k, bt_layout_node_at(&ld, pair->value));
        }
        lay->node = NULL;
    }
    g_once_init_leave(&lay->complete, 1);
}

Layout *
bt_layout_load_one(Loader *ld, yaml_node_t *node)
{
    if (!bt_layout_expect_kind(ld, node, YAML_MAPPING_NODE, "a layout"))
        return NULL;
    if (ld->trusted)
        return load_layout_stub(ld, node);
    Layout *lay = layout_new();
    layout_add_lists(lay);
    lay->complete = 1;
    guint before = ld->n_errors;
    FOR_PAIRS(node, pair)
        load_layout_key(ld, lay, bt_layout_node_at(ld, pair->key), bt_layout_node_at(ld, pair->value));
    if (!lay->id)
        bt_layout_fail(ld, node, "a layout needs an id");
    /* a recipient pattern that failed to compile has been reported already */
    if (ld->n_errors == before && lay->recipients->len == 0 && !lay->recipient_headers &&
        !lay->original_headers)
        bt_layout_fail(ld, node, "a layout needs recipients or recipient-headers");
    if (ld->n_errors != before) {
        bt_layout_free(lay);
        return NULL;
    }
    return lay;
}
