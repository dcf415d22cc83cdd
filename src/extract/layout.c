/* layout — the free-text bounce layouts: loads rules/layouts/ *.yaml
 * (schema in rules/layouts/README.md), validates it completely, compiles
 * every regex once with PCRE2 (JIT-compiling those used often), and
 * matches a message view against the layouts in order to produce one
 * record per recipient.
 *
 * The loaded set is read-only, so one BtLayouts serves many threads: each
 * call makes its own match data. */
#include "extract/layout.h"
#include "extract/decode.h"
#include "extract/extract.h"
#include "extract/text.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "core/lazyjit.h"
#include <yaml.h>

#include <stdarg.h>
#include <string.h>

/* Bounds on every match, so no input can stall a worker. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 5000
#define DEFAULT_ORDER 500
#define MAX_GROUPS 64           /* capture pairs in each call's match data */
/* PCRE2_UCP for the reasons given in rules/regex.c: Unicode classes, and
 * the JIT agreeing with the interpreter on non-ASCII text. */
#define COMPILE_OPTIONS (PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE | PCRE2_DUPNAMES)
/* Interpreted matches of a regex before it is JIT-compiled. */
#define JIT_AFTER_USES 32

/* ---- the fields a layout can fill ---------------------------------------- */

typedef enum {
    F_RECIPIENT,
    F_DIAGNOSTICCODE,
    F_STATUS,
    F_REPLYCODE,
    F_COMMAND,
    F_RHOST,
    F_LHOST,
    F_ACTION,
    F_ALIAS,
    F_REASON,
    F_DIAGNOSTICTYPE,
    N_FIELDS
} LayField;

static const char *const field_names[N_FIELDS] = {
    "recipient", "diagnosticcode", "status", "replycode", "command", "rhost",
    "lhost", "action", "alias", "reason", "diagnostictype",
};

/* "deliverystatus" is accepted as another name for "status". */
static int
field_by_name(const char *name)
{
    if (g_strcmp0(name, "deliverystatus") == 0)
        return F_STATUS;
    for (int f = 0; f < N_FIELDS; f++)
        if (g_strcmp0(name, field_names[f]) == 0)
            return f;
    return -1;
}

/* One value per field; NULL when unset. */
typedef struct {
    char *v[N_FIELDS];
} Values;

static void
values_clear(Values *vals)
{
    for (int f = 0; f < N_FIELDS; f++)
        g_clear_pointer(&vals->v[f], g_free);
}

/* Copies into `dst` every field of `src` that `dst` lacks. */
static void
values_fill(Values *dst, const Values *src)
{
    for (int f = 0; f < N_FIELDS; f++)
        if (!dst->v[f] && src->v[f])
            dst->v[f] = g_strdup(src->v[f]);
}

/* ---- compiled layouts ---------------------------------------------------- */

/* A layout regex.  JIT-compiling every regex at load costs several times
 * what a run on one message spends matching, so a regex is interpreted
 * until it has been used JIT_AFTER_USES times; then a JIT-compiled copy,
 * published atomically since many threads match with the same layouts,
 * takes over. */
typedef struct {
    pcre2_code *code;        /* interpreted */
    BtLazyJit lazy;          /* the JIT-compiled copy, once used often */
} Regex;

/* A regex, optionally with fixed values to set when it matches. */
typedef struct {
    Regex *re;
    Values set;
} Pattern;

typedef enum { COND_ALL, COND_ANY, COND_NOT, COND_HEADER, COND_BODY } CondKind;

typedef struct Cond {
    CondKind kind;
    char *header;            /* COND_HEADER: the header name */
    GPtrArray *regexes;      /* COND_HEADER, COND_BODY: Regex*, any may match */
    GPtrArray *kids;         /* COND_ALL, COND_ANY, COND_NOT: Cond* */
} Cond;

typedef struct {
    char *id;
    char *where;             /* "file:line:col" of the id, for messages */
    Cond *match;             /* NULL: always */
    Regex *begin;            /* line pattern: scanning starts at this line */
    Regex *original;         /* line pattern: the inline copy of the original starts after it */
    GPtrArray *recipients;   /* Pattern*: line patterns with a `recipient` group */
    gboolean until_recipient;/* diagnostic lines run to the next recipient, not a blank line */
    gboolean skip_blank;     /* blank lines right after a recipient line are skipped */
    GPtrArray *stops;        /* Regex*: a line that ends the diagnostic */
    GPtrArray *befores;      /* Regex*: lines before a recipient line that belong to it */
    GPtrArray *fields;       /* Pattern*: run on each recipient's block */
    GPtrArray *common;       /* Pattern*: run on the whole scanned region, for every recipient */
    char **recipient_headers;/* headers listing recipients when the body names none */
    char **original_headers; /* headers of the inline original naming them, as a last resort */
    gboolean pseudo_status;  /* state sisimai's pseudo status code for the reason hint */
    char **pseudo_temporary; /* hints whose pseudo code is temporary whatever the reply */
    Values set;
} Layout;

struct _BtLayouts {
    GPtrArray *layouts;      /* Layout*, in the order they are tried */
    pcre2_match_context *mctx;
};

static void
regex_free(Regex *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    bt_lazy_jit_clear(&re->lazy);
    g_free(re);
}

static void
pattern_free(Pattern *p)
{
    if (!p)
        return;
    regex_free(p->re);
    values_clear(&p->set);
    g_free(p);
}

static void
cond_free(Cond *c)
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

static void
layout_free(Layout *lay)
{
    if (!lay)
        return;
    g_free(lay->id);
    g_free(lay->where);
    cond_free(lay->match);
    regex_free(lay->begin);
    regex_free(lay->original);
    g_ptr_array_unref(lay->recipients);
    g_ptr_array_unref(lay->stops);
    g_ptr_array_unref(lay->befores);
    g_ptr_array_unref(lay->fields);
    g_ptr_array_unref(lay->common);
    g_strfreev(lay->recipient_headers);
    g_strfreev(lay->original_headers);
    g_strfreev(lay->pseudo_temporary);
    values_clear(&lay->set);
    g_free(lay);
}

static Layout *
layout_new(void)
{
    Layout *lay = g_new0(Layout, 1);
    lay->recipients = g_ptr_array_new_with_free_func((GDestroyNotify) pattern_free);
    lay->stops = g_ptr_array_new_with_free_func((GDestroyNotify) regex_free);
    lay->befores = g_ptr_array_new_with_free_func((GDestroyNotify) regex_free);
    lay->fields = g_ptr_array_new_with_free_func((GDestroyNotify) pattern_free);
    lay->common = g_ptr_array_new_with_free_func((GDestroyNotify) pattern_free);
    lay->skip_blank = TRUE;
    return lay;
}

void
bt_layouts_free(BtLayouts *lays)
{
    if (!lays)
        return;
    g_ptr_array_unref(lays->layouts);
    pcre2_match_context_free(lays->mctx);
    g_free(lays);
}

/* ==== loading ============================================================= */

/* What one file's parse needs: where errors go and how to name places. */
typedef struct {
    const char *path;
    yaml_document_t *doc;
    GPtrArray *errors;
    guint n_errors;
} Loader;

static void G_GNUC_PRINTF(3, 4)
fail(Loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(ld->errors, g_strdup_printf("%s:%zu:%zu: %s", ld->path,
                                                node->start_mark.line + 1,
                                                node->start_mark.column + 1, msg));
    ld->n_errors++;
}

static yaml_node_t *
node_at(Loader *ld, int index)
{
    return yaml_document_get_node(ld->doc, index);
}

static const char *
scalar(const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE ? (const char *) node->data.scalar.value : NULL;
}

static const char *
expect_scalar(Loader *ld, const yaml_node_t *node, const char *what)
{
    const char *s = scalar(node);
    if (!s)
        fail(ld, node, "%s must be a string", what);
    return s;
}

static gboolean
expect_kind(Loader *ld, const yaml_node_t *node, yaml_node_type_t type, const char *what)
{
    if (node->type == type)
        return TRUE;
    fail(ld, node, "%s must be a %s", what,
         type == YAML_MAPPING_NODE ? "map" : type == YAML_SEQUENCE_NODE ? "list" : "string");
    return FALSE;
}

/* Compiles `node`'s text as a regex (JIT comes later, with use); reports
 * a bad one with PCRE2's message and the offset of the error in the
 * pattern. */
static Regex *
compile_regex(Loader *ld, const yaml_node_t *node, const char *what)
{
    const char *src = expect_scalar(ld, node, what);
    if (!src)
        return NULL;
    Regex *re = g_new0(Regex, 1);
    int err;
    PCRE2_SIZE off;
    re->code = pcre2_compile((PCRE2_SPTR) src, PCRE2_ZERO_TERMINATED, COMPILE_OPTIONS, &err, &off, NULL);
    if (!re->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        fail(ld, node, "bad regex: %s at offset %zu", (const char *) msg, (gsize) off);
        regex_free(re);
        return NULL;
    }
    uint32_t groups;
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (groups >= MAX_GROUPS) {
        fail(ld, node, "too many groups (%u; at most %d)", groups, MAX_GROUPS - 1);
        regex_free(re);
        return NULL;
    }
    return re;
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
        int f = field_by_name(name);
        if (f < 0) {
            fail(ld, node, "unknown capture group '%s'", name);
            ok = FALSE;
        } else {
            *captures |= 1u << f;
        }
    }
    return ok;
}

/* Iterates the pairs of a mapping node. */
#define FOR_PAIRS(node, pair) \
    for (yaml_node_pair_t *pair = (node)->data.mapping.pairs.start; \
         pair < (node)->data.mapping.pairs.top; pair++)
#define FOR_ITEMS(node, item) \
    for (yaml_node_item_t *item = (node)->data.sequence.items.start; \
         item < (node)->data.sequence.items.top; item++)

/* A value that is one item or a list of items: calls `one` for each. */
typedef gboolean (*ItemFn)(Loader *ld, yaml_node_t *node, gpointer out);

static void
one_or_list(Loader *ld, yaml_node_t *node, ItemFn one, gpointer out)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        one(ld, node, out);
        return;
    }
    FOR_ITEMS(node, item)
        one(ld, node_at(ld, *item), out);
}

static gboolean
add_regex(Loader *ld, yaml_node_t *node, gpointer out)
{
    Regex *re = compile_regex(ld, node, "a regex");
    if (re)
        g_ptr_array_add(out, re);
    return re != NULL;
}

static gboolean
add_header_name(Loader *ld, yaml_node_t *node, gpointer out)
{
    const char *s = expect_scalar(ld, node, "a header name");
    if (s)
        g_ptr_array_add(out, g_strdup(s));
    return s != NULL;
}

/* `set:` — a map of field → fixed value. */
static void
load_values(Loader *ld, yaml_node_t *node, Values *vals)
{
    if (!expect_kind(ld, node, YAML_MAPPING_NODE, "set"))
        return;
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
        const char *key = scalar(k);
        int f = key ? field_by_name(key) : -1;
        if (f < 0 || f == F_RECIPIENT) {
            fail(ld, k, "unknown field '%s' in set", key ? key : "?");
            continue;
        }
        const char *val = expect_scalar(ld, v, "a set value");
        if (val && f == F_REPLYCODE && !g_regex_match_simple("^[245][0-9][0-9]$", val, 0, 0))
            fail(ld, v, "replycode must be a three-digit SMTP reply code");
        else if (val)
            bt_set_str(&vals->v[f], val);
    }
}

/* A pattern: a regex string, or {regex: R, set: {...}}.  *captures gets
 * the set of field groups its regex names. */
static Pattern *
load_pattern(Loader *ld, yaml_node_t *node, const char *what, guint *captures)
{
    *captures = 0;
    yaml_node_t *re_node = node;
    Pattern *p = g_new0(Pattern, 1);
    if (node->type == YAML_MAPPING_NODE) {
        re_node = NULL;
        FOR_PAIRS(node, pair) {
            yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
            const char *key = scalar(k);
            if (g_strcmp0(key, "regex") == 0)
                re_node = v;
            else if (g_strcmp0(key, "set") == 0)
                load_values(ld, v, &p->set);
            else
                fail(ld, k, "unknown key '%s' in %s", key ? key : "?", what);
        }
        if (!re_node) {
            fail(ld, node, "%s needs a regex", what);
            pattern_free(p);
            return NULL;
        }
    }
    p->re = compile_regex(ld, re_node, what);
    if (!p->re || (!regex_captures(ld, re_node, p->re->code, captures))) {
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
    if (p && !(captures & (1u << F_RECIPIENT))) {
        fail(ld, node, "a recipient pattern needs a (?<recipient>...) group");
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
    if (p)
        g_ptr_array_add(out, p);
    return p != NULL;
}

static Cond *load_cond(Loader *ld, yaml_node_t *node);

static gboolean
add_cond(Loader *ld, yaml_node_t *node, gpointer out)
{
    Cond *c = load_cond(ld, node);
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
        c->regexes = g_ptr_array_new_with_free_func((GDestroyNotify) regex_free);
    else
        c->kids = g_ptr_array_new_with_free_func((GDestroyNotify) cond_free);
    return c;
}

static Cond *
header_cond(Loader *ld, const char *name, yaml_node_t *v)
{
    Cond *c = cond_new(COND_HEADER);
    c->header = g_strdup(name);
    one_or_list(ld, v, add_regex, c->regexes);
    return c;
}

/* One key of a condition map. */
static Cond *
load_cond_key(Loader *ld, yaml_node_t *k, yaml_node_t *v)
{
    const char *key = scalar(k);
    Cond *c = NULL;
    if (g_strcmp0(key, "any") == 0 || g_strcmp0(key, "all") == 0) {
        c = cond_new(key[1] == 'n' ? COND_ANY : COND_ALL);
        if (expect_kind(ld, v, YAML_SEQUENCE_NODE, key))
            one_or_list(ld, v, add_cond, c->kids);
    } else if (g_strcmp0(key, "not") == 0) {
        c = cond_new(COND_NOT);
        add_cond(ld, v, c->kids);
    } else if (g_strcmp0(key, "body") == 0) {
        c = cond_new(COND_BODY);
        one_or_list(ld, v, add_regex, c->regexes);
    } else if (g_strcmp0(key, "from") == 0 || g_strcmp0(key, "subject") == 0) {
        c = header_cond(ld, key[0] == 'f' ? "From" : "Subject", v);
    } else if (g_strcmp0(key, "headers") == 0) {
        c = cond_new(COND_ALL);
        if (expect_kind(ld, v, YAML_MAPPING_NODE, "headers"))
            FOR_PAIRS(v, pair) {
                const char *name = expect_scalar(ld, node_at(ld, pair->key), "a header name");
                if (name)
                    g_ptr_array_add(c->kids, header_cond(ld, name, node_at(ld, pair->value)));
            }
    } else {
        fail(ld, k, "unknown key '%s' in match", key ? key : "?");
    }
    return c;
}

/* A condition map: every key must hold. */
static Cond *
load_cond(Loader *ld, yaml_node_t *node)
{
    if (!expect_kind(ld, node, YAML_MAPPING_NODE, "a condition"))
        return NULL;
    Cond *all = cond_new(COND_ALL);
    FOR_PAIRS(node, pair) {
        Cond *c = load_cond_key(ld, node_at(ld, pair->key), node_at(ld, pair->value));
        if (c)
            g_ptr_array_add(all->kids, c);
    }
    return all;
}

static gboolean
parse_bool(Loader *ld, yaml_node_t *node, gboolean *out)
{
    const char *s = expect_scalar(ld, node, "a boolean");
    if (s && (g_strcmp0(s, "true") == 0 || g_strcmp0(s, "false") == 0)) {
        *out = s[0] == 't';
        return TRUE;
    }
    if (s)
        fail(ld, node, "expected true or false");
    return FALSE;
}

/* `diagnostic: {until: blank|recipient, skip-blank: bool, stop: [regex]}` */
static void
load_diagnostic(Loader *ld, yaml_node_t *node, Layout *lay)
{
    if (!expect_kind(ld, node, YAML_MAPPING_NODE, "diagnostic"))
        return;
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
        const char *key = scalar(k);
        if (g_strcmp0(key, "until") == 0) {
            const char *s = expect_scalar(ld, v, "until");
            if (s && g_strcmp0(s, "blank") != 0 && g_strcmp0(s, "recipient") != 0)
                fail(ld, v, "until must be 'blank' or 'recipient'");
            lay->until_recipient = g_strcmp0(s, "recipient") == 0;
        } else if (g_strcmp0(key, "skip-blank") == 0) {
            parse_bool(ld, v, &lay->skip_blank);
        } else if (g_strcmp0(key, "stop") == 0) {
            one_or_list(ld, v, add_regex, lay->stops);
        } else if (g_strcmp0(key, "before") == 0) {
            one_or_list(ld, v, add_regex, lay->befores);
        } else {
            fail(ld, k, "unknown key '%s' in diagnostic", key ? key : "?");
        }
    }
}

static char **
load_header_names(Loader *ld, yaml_node_t *v)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    one_or_list(ld, v, add_header_name, names);
    g_ptr_array_add(names, NULL);
    return (char **) g_ptr_array_steal(names, NULL);
}

static gboolean
add_pseudo_reason(Loader *ld, yaml_node_t *node, gpointer out)
{
    const char *s = expect_scalar(ld, node, "a reason");
    if (s && !bt_status_pseudo(s, TRUE)) {
        fail(ld, node, "'%s' is not a reason with a temporary pseudo status", s);
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
        parse_bool(ld, node, &lay->pseudo_status);
        return;
    }
    lay->pseudo_status = TRUE;
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
        const char *key = scalar(k);
        if (g_strcmp0(key, "temporary") != 0) {
            fail(ld, k, "unknown key '%s' in pseudo-status", key ? key : "?");
            continue;
        }
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        one_or_list(ld, v, add_pseudo_reason, names);
        g_ptr_array_add(names, NULL);
        g_strfreev(lay->pseudo_temporary);
        lay->pseudo_temporary = (char **) g_ptr_array_steal(names, NULL);
    }
}

/* One key of a layout. */
static void
load_layout_key(Loader *ld, Layout *lay, yaml_node_t *k, yaml_node_t *v)
{
    const char *key = scalar(k);
    if (g_strcmp0(key, "id") == 0) {
        const char *id = expect_scalar(ld, v, "id");
        if (id && !g_regex_match_simple("^[a-z0-9_.-]+$", id, 0, 0))
            fail(ld, v, "id must be made of [a-z0-9_.-]");
        else if (id) {
            bt_set_str(&lay->id, id);
            g_free(lay->where);
            lay->where = g_strdup_printf("%s:%zu:%zu", ld->path, v->start_mark.line + 1,
                                         v->start_mark.column + 1);
        }
    } else if (g_strcmp0(key, "description") == 0) {
        expect_scalar(ld, v, "description");
    } else if (g_strcmp0(key, "match") == 0) {
        lay->match = load_cond(ld, v);
    } else if (g_strcmp0(key, "begin") == 0) {
        lay->begin = compile_regex(ld, v, "begin");
    } else if (g_strcmp0(key, "original") == 0) {
        lay->original = compile_regex(ld, v, "original");
    } else if (g_strcmp0(key, "recipients") == 0) {
        one_or_list(ld, v, add_recipient_pattern, lay->recipients);
    } else if (g_strcmp0(key, "diagnostic") == 0) {
        load_diagnostic(ld, v, lay);
    } else if (g_strcmp0(key, "fields") == 0) {
        one_or_list(ld, v, add_field_pattern, lay->fields);
    } else if (g_strcmp0(key, "common") == 0) {
        one_or_list(ld, v, add_field_pattern, lay->common);
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
        fail(ld, k, "unknown key '%s' in layout", key ? key : "?");
    }
}

static Layout *
load_layout(Loader *ld, yaml_node_t *node)
{
    if (!expect_kind(ld, node, YAML_MAPPING_NODE, "a layout"))
        return NULL;
    Layout *lay = layout_new();
    guint before = ld->n_errors;
    FOR_PAIRS(node, pair)
        load_layout_key(ld, lay, node_at(ld, pair->key), node_at(ld, pair->value));
    if (!lay->id)
        fail(ld, node, "a layout needs an id");
    /* a recipient pattern that failed to compile has been reported already */
    if (ld->n_errors == before && lay->recipients->len == 0 && !lay->recipient_headers &&
        !lay->original_headers)
        fail(ld, node, "a layout needs recipients or recipient-headers");
    if (ld->n_errors != before) {
        layout_free(lay);
        return NULL;
    }
    return lay;
}

/* A file's layouts and its `order:`. */
typedef struct {
    char *name;              /* file name, ties in order */
    gint64 order;
    GPtrArray *layouts;      /* Layout* */
} LayoutFile;

static void
layout_file_free(LayoutFile *lf)
{
    g_free(lf->name);
    g_ptr_array_unref(lf->layouts);
    g_free(lf);
}

static void
load_document(Loader *ld, LayoutFile *lf)
{
    yaml_node_t *root = yaml_document_get_root_node(ld->doc);
    if (!root)
        return;   /* an empty file holds no layouts */
    if (!expect_kind(ld, root, YAML_MAPPING_NODE, "a layout file"))
        return;
    FOR_PAIRS(root, pair) {
        yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
        const char *key = scalar(k);
        if (g_strcmp0(key, "order") == 0) {
            const char *s = expect_scalar(ld, v, "order");
            char *end = NULL;
            gint64 n = s ? g_ascii_strtoll(s, &end, 10) : 0;
            if (s && (end == s || *end))
                fail(ld, v, "order must be an integer");
            lf->order = n;
        } else if (g_strcmp0(key, "layouts") == 0) {
            if (expect_kind(ld, v, YAML_SEQUENCE_NODE, "layouts"))
                FOR_ITEMS(v, item) {
                    Layout *lay = load_layout(ld, node_at(ld, *item));
                    if (lay)
                        g_ptr_array_add(lf->layouts, lay);
                }
        } else if (g_strcmp0(key, "description") != 0) {
            fail(ld, k, "unknown key '%s' in layout file", key ? key : "?");
        }
    }
}

/* Parses one file; adds its errors and returns its layouts (maybe none). */
static LayoutFile *
load_file(const char *path, const char *name, GPtrArray *errors)
{
    LayoutFile *lf = g_new0(LayoutFile, 1);
    lf->name = g_strdup(name);
    lf->order = DEFAULT_ORDER;
    lf->layouts = g_ptr_array_new_with_free_func((GDestroyNotify) layout_free);

    g_autofree char *text = NULL;
    gsize len;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, &text, &len, &err)) {
        g_ptr_array_add(errors, g_strdup_printf("%s:1:1: %s", path, err->message));
        return lf;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        g_ptr_array_add(errors, g_strdup_printf("%s:%zu:%zu: %s", path,
                                                parser.problem_mark.line + 1,
                                                parser.problem_mark.column + 1,
                                                parser.problem ? parser.problem : "YAML error"));
        yaml_parser_delete(&parser);
        return lf;
    }
    Loader ld = { .path = path, .doc = &doc, .errors = errors };
    load_document(&ld, lf);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return lf;
}

static gint
file_cmp(gconstpointer a, gconstpointer b)
{
    const LayoutFile *x = *(LayoutFile *const *) a, *y = *(LayoutFile *const *) b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The *.yaml files of one directory, each loaded, sorted by (order, name). */
static GPtrArray *
load_dir(const char *dir, GPtrArray *errors)
{
    GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify) layout_file_free);
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
    if (!d) {
        g_ptr_array_add(errors, g_strdup_printf("%s:1:1: %s", dir, err->message));
        return files;
    }
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (!g_str_has_suffix(name, ".yaml"))
            continue;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_ptr_array_add(files, load_file(path, name, errors));
    }
    g_ptr_array_sort(files, file_cmp);
    return files;
}

/* Adds one directory's layouts: a new id is appended, an id known from an
 * earlier directory is replaced in place, and an id seen twice in this
 * directory is an error. */
static void
merge_dir(GPtrArray *all, GHashTable *index, GPtrArray *files, GPtrArray *errors)
{
    g_autoptr(GHashTable) here = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < files->len; i++) {
        GPtrArray *lays = ((LayoutFile *) files->pdata[i])->layouts;
        while (lays->len) {
            Layout *lay = g_ptr_array_steal_index(lays, 0);
            Layout *twin = g_hash_table_lookup(here, lay->id);
            if (twin) {
                g_ptr_array_add(errors, g_strdup_printf("%s: duplicate id '%s' (first at %s)",
                                                        lay->where, lay->id, twin->where));
                layout_free(lay);
                continue;
            }
            gpointer pos;
            if (g_hash_table_lookup_extended(index, lay->id, NULL, &pos)) {
                /* the index's key is the old layout's id: re-key it to the
                 * new layout before the old one (and its id) is freed */
                guint at = GPOINTER_TO_UINT(pos);
                Layout *old = all->pdata[at];
                all->pdata[at] = lay;
                g_hash_table_replace(index, lay->id, pos);
                layout_free(old);
            } else {
                g_ptr_array_add(all, lay);
                g_hash_table_insert(index, lay->id, GUINT_TO_POINTER(all->len - 1));
            }
            g_hash_table_insert(here, lay->id, lay);
        }
    }
}

BtLayouts *
bt_layouts_load(const char *const *dirs, GPtrArray *errors, GError **error)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify) layout_free);
    g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);
    guint errors_before = errors->len;
    for (gsize i = 0; dirs && dirs[i]; i++) {
        g_autoptr(GPtrArray) files = load_dir(dirs[i], errors);
        merge_dir(all, index, files, errors);
    }
    if (errors->len != errors_before) {
        g_set_error(error, BT_ERROR, BT_ERROR_CONFIG, "%u error(s) in layout files",
                    errors->len - errors_before);
        return NULL;
    }
    BtLayouts *lays = g_new0(BtLayouts, 1);
    lays->layouts = g_steal_pointer(&all);
    lays->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(lays->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(lays->mctx, DEPTH_LIMIT);
    return lays;
}

/* ==== matching ============================================================ */

/* Per-call state: match data is never shared between threads. */
typedef struct {
    const BtLayouts *lays;
    const BtMsgView *view;
    pcre2_match_data *md;
} Matcher;

static const pcre2_code *
code_for_match(Regex *re)
{
    return bt_lazy_jit_pick(&re->lazy, re->code, JIT_AFTER_USES);
}

static gboolean
re_match(Matcher *m, Regex *re, const char *s, gsize len)
{
    return pcre2_match(code_for_match(re), (PCRE2_SPTR) s, len, 0, 0, m->md, m->lays->mctx) >= 0;
}

/* The value of a named group after a successful match, or NULL. */
static char *
group_value(Matcher *m, const char *name)
{
    PCRE2_UCHAR *buf;
    PCRE2_SIZE len;
    if (pcre2_substring_get_byname(m->md, (PCRE2_SPTR) name, &buf, &len) != 0)
        return NULL;
    char *v = bt_strdup_trimmed((const char *) buf);
    pcre2_substring_free(buf);
    return v;
}

/* Stores the field groups the last match captured into `vals`, keeping
 * values already there; a group the regex lacks gives NULL. */
static void
take_captures(Matcher *m, Values *vals)
{
    for (int f = 0; f < N_FIELDS; f++) {
        if (vals->v[f])
            continue;
        vals->v[f] = group_value(m, field_names[f]);
        if (!vals->v[f] && f == F_STATUS)
            vals->v[f] = group_value(m, "deliverystatus");
    }
}

static gboolean
header_holds(Matcher *m, const Cond *c)
{
    if (!m->view->mime)
        return FALSE;
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(m->view->mime));
    int n = g_mime_header_list_get_count(hl);
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        if (g_ascii_strcasecmp(g_mime_header_get_name(h), c->header) != 0)
            continue;
        const char *value = g_mime_header_get_value(h);
        if (!value)
            value = "";
        for (guint r = 0; r < c->regexes->len; r++)
            if (re_match(m, c->regexes->pdata[r], value, strlen(value)))
                return TRUE;
    }
    return FALSE;
}

static gboolean
cond_holds(Matcher *m, const Cond *c)
{
    switch (c->kind) {
    case COND_ALL:
        for (guint i = 0; i < c->kids->len; i++)
            if (!cond_holds(m, c->kids->pdata[i]))
                return FALSE;
        return TRUE;
    case COND_ANY:
        for (guint i = 0; i < c->kids->len; i++)
            if (cond_holds(m, c->kids->pdata[i]))
                return TRUE;
        return FALSE;
    case COND_NOT:
        return c->kids->len && !cond_holds(m, c->kids->pdata[0]);
    case COND_HEADER:
        return header_holds(m, c);
    case COND_BODY:
        for (guint r = 0; r < c->regexes->len; r++)
            if (re_match(m, c->regexes->pdata[r], m->view->body, strlen(m->view->body)))
                return TRUE;
        return FALSE;
    }
    return FALSE;
}

/* A line of the body: [start, end) without its "\n"; next is where the
 * following line starts. */
typedef struct {
    const char *start;
    gsize len;
    const char *next;
} Line;

static gboolean
line_at(const char *p, const char *limit, Line *line)
{
    if (p >= limit)
        return FALSE;
    const char *nl = memchr(p, '\n', limit - p);
    line->start = p;
    line->len = (nl ? nl : limit) - p;
    if (line->len && p[line->len - 1] == '\r')
        line->len--;
    line->next = nl ? nl + 1 : limit;
    return TRUE;
}

static gboolean
line_is_blank(const Line *line)
{
    for (gsize i = 0; i < line->len; i++)
        if (!g_ascii_isspace(line->start[i]))
            return FALSE;
    return TRUE;
}

/* The first line in [p, limit) that `re` matches; NULL if none. */
static const char *
find_line(Matcher *m, Regex *re, const char *p, const char *limit, Line *found)
{
    Line line;
    for (; line_at(p, limit, &line); p = line.next)
        if (re_match(m, re, line.start, line.len)) {
            *found = line;
            return line.start;
        }
    return NULL;
}

/* One recipient as the scan finds it. */
typedef struct {
    Values got;              /* captured from the recipient line */
    const Pattern *pattern;
    GString *lead;           /* the `before` lines that came just before it */
    GString *diag;           /* the diagnostic lines collected after it */
    GString *block;          /* lead, recipient line and diagnostic lines, "\n"-joined */
} Block;

static void
block_free(Block *b)
{
    values_clear(&b->got);
    g_string_free(b->lead, TRUE);
    g_string_free(b->diag, TRUE);
    g_string_free(b->block, TRUE);
    g_free(b);
}

/* A block for the recipient line `line`, with the `before` lines seen
 * since the last block ended (taken from `lead`). */
static Block *
block_new(Matcher *m, const Pattern *p, const Line *line, GString *lead)
{
    Block *b = g_new0(Block, 1);
    b->pattern = p;
    take_captures(m, &b->got);
    b->lead = g_string_new(lead->str);
    b->diag = g_string_new(NULL);
    b->block = g_string_new(lead->str);
    if (lead->len)
        g_string_append_c(b->block, '\n');
    g_string_append_len(b->block, line->start, line->len);
    g_string_truncate(lead, 0);
    return b;
}

static gboolean
is_before_line(Matcher *m, const Layout *lay, const Line *line)
{
    for (guint i = 0; i < lay->befores->len; i++)
        if (re_match(m, lay->befores->pdata[i], line->start, line->len))
            return TRUE;
    return FALSE;
}

/* Keeps a `before` line for the next recipient; a blank line drops them. */
static void
note_before_line(Matcher *m, const Layout *lay, const Line *line, GString *lead)
{
    if (line_is_blank(line)) {
        g_string_truncate(lead, 0);
    } else if (is_before_line(m, lay, line)) {
        if (lead->len)
            g_string_append_c(lead, '\n');
        g_string_append_len(lead, line->start, line->len);
    }
}

static const Pattern *
match_recipient_line(Matcher *m, const Layout *lay, const Line *line)
{
    for (guint i = 0; i < lay->recipients->len; i++) {
        const Pattern *p = lay->recipients->pdata[i];
        if (re_match(m, p->re, line->start, line->len))
            return p;
    }
    return NULL;
}

static gboolean
is_stop_line(Matcher *m, const Layout *lay, const Line *line)
{
    for (guint i = 0; i < lay->stops->len; i++)
        if (re_match(m, lay->stops->pdata[i], line->start, line->len))
            return TRUE;
    return FALSE;
}

/* Walks [p, limit) line by line: a recipient line opens a block, the lines
 * after it are its diagnostic until a blank line (or the next recipient)
 * or a stop line; `before` lines outside a diagnostic wait for the next
 * recipient line. */
static GPtrArray *
scan_blocks(Matcher *m, const Layout *lay, const char *p, const char *limit)
{
    GPtrArray *blocks = g_ptr_array_new_with_free_func((GDestroyNotify) block_free);
    g_autoptr(GString) lead = g_string_new(NULL);
    Block *cur = NULL;
    gboolean collecting = FALSE;
    Line line;
    for (; line_at(p, limit, &line); p = line.next) {
        const Pattern *rp = match_recipient_line(m, lay, &line);
        if (rp) {
            if (blocks->len > BT_MAX_RECIPIENTS)
                break;
            cur = block_new(m, rp, &line, lead);
            g_ptr_array_add(blocks, cur);
            collecting = TRUE;
            continue;
        }
        if (!collecting) {
            note_before_line(m, lay, &line, lead);
            continue;
        }
        if (is_stop_line(m, lay, &line)) {
            collecting = FALSE;
            note_before_line(m, lay, &line, lead);
        } else if (line_is_blank(&line)) {
            if (!lay->until_recipient && (cur->diag->len || !lay->skip_blank))
                collecting = FALSE;
        } else {
            if (cur->diag->len)
                g_string_append_c(cur->diag, '\n');
            g_string_append_len(cur->diag, line.start, line.len);
            g_string_append_c(cur->block, '\n');
            g_string_append_len(cur->block, line.start, line.len);
        }
    }
    return blocks;
}

/* Runs field patterns over `text`: the first capture of each field wins,
 * and so do the `set` values of the first pattern that matches. */
static void
run_fields(Matcher *m, const GPtrArray *pats, const char *text, gsize len,
           Values *caught, Values *fixed)
{
    for (guint i = 0; i < pats->len; i++) {
        const Pattern *p = pats->pdata[i];
        if (!re_match(m, p->re, text, len))
            continue;
        take_captures(m, caught);
        values_fill(fixed, &p->set);
    }
}

/* Collapses runs of white space into one space and trims. */
static char *
squeeze(const char *s)
{
    if (!s)
        return NULL;
    GString *out = g_string_new(NULL);
    gboolean space = FALSE;
    for (; *s; s++) {
        if (g_ascii_isspace(*s)) {
            space = out->len > 0;
            continue;
        }
        if (space)
            g_string_append_c(out, ' ');
        space = FALSE;
        g_string_append_c(out, *s);
    }
    if (!out->len) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* An address from a capture: without <>, quotes, "mailto:", trailing
 * punctuation; NULL unless it looks like local@domain. */
static char *
clean_address(const char *s)
{
    if (!s)
        return NULL;
    g_autofree char *a = g_strstrip(g_strdup(s));
    char *p = a;
    if (g_ascii_strncasecmp(p, "mailto:", 7) == 0)
        p += 7;
    while (*p == '<' || *p == '"' || *p == '\'' || *p == '(' || *p == '[')
        p++;
    gsize n = strlen(p);
    while (n && strchr(">\"'.,;:)]", p[n - 1]))
        p[--n] = '\0';
    const char *at = strchr(p, '@');
    if (!at || at == p || !at[1] || strpbrk(p, " \t<>") || strchr(at + 1, '@'))
        return NULL;
    return g_strdup(p);
}

/* The final values of one block: captures beat fixed values; the block's
 * own captures beat `fields`, which beat `common`. */
static void
block_values(Matcher *m, const Layout *lay, Block *b, const Values *common_caught,
             const Values *common_fixed, Values *out)
{
    Values caught = { 0 }, fixed = { 0 };
    run_fields(m, lay->fields, b->block->str, b->block->len, &caught, &fixed);

    g_autofree char *diag = NULL;
    if (b->got.v[F_DIAGNOSTICCODE])
        diag = g_strjoin(" ", b->got.v[F_DIAGNOSTICCODE], b->diag->str, NULL);
    else if (caught.v[F_DIAGNOSTICCODE])
        diag = g_strdup(caught.v[F_DIAGNOSTICCODE]);
    else if (b->diag->len)
        diag = g_strdup(b->diag->str);
    else
        diag = g_strdup(common_caught->v[F_DIAGNOSTICCODE]);
    if (b->lead->len) {
        char *led = g_strjoin(" ", b->lead->str, diag, NULL);
        g_free(diag);
        diag = led;
    }

    values_fill(out, &b->got);
    g_clear_pointer(&out->v[F_DIAGNOSTICCODE], g_free);
    out->v[F_DIAGNOSTICCODE] = squeeze(diag);
    values_fill(out, &caught);
    values_fill(out, common_caught);
    values_fill(out, &b->pattern->set);
    values_fill(out, &fixed);
    values_fill(out, common_fixed);
    values_fill(out, &lay->set);
    values_clear(&caught);
    values_clear(&fixed);
}

/* The value of header `name` in the header block that starts at `p`
 * (the inline copy of the original), unfolded; NULL if absent. */
static char *
inline_header(const char *p, const char *name)
{
    gsize n = strlen(name);
    GString *value = NULL;
    Line line;
    for (; line_at(p, p + strlen(p), &line) && !line_is_blank(&line); p = line.next) {
        gboolean folded = line.start[0] == ' ' || line.start[0] == '\t';
        if (value && folded) {
            g_string_append_len(value, line.start, line.len);
            continue;
        }
        if (value)
            break;
        if (line.len > n && line.start[n] == ':' && g_ascii_strncasecmp(line.start, name, n) == 0)
            value = g_string_new_len(line.start + n + 1, line.len - n - 1);
    }
    return value ? g_string_free(value, FALSE) : NULL;
}

/* One block per address in `value` (a comma-separated address list); the
 * block text is the whole scanned region. */
static void
add_address_blocks(const char *value, const char *region, gsize len, GPtrArray *blocks)
{
    static const Pattern no_pattern;
    g_auto(GStrv) parts = value ? g_strsplit_set(value, ",;", -1) : NULL;
    for (char **part = parts; part && *part && blocks->len <= BT_MAX_RECIPIENTS; part++) {
        const char *lt = strchr(*part, '<');
        Block *b = g_new0(Block, 1);
        b->pattern = &no_pattern;
        b->got.v[F_RECIPIENT] = g_strdup(lt ? lt : *part);
        b->lead = g_string_new(NULL);
        b->diag = g_string_new(NULL);
        b->block = g_string_new_len(region, len);
        g_ptr_array_add(blocks, b);
    }
}

/* Blocks for the recipients named in `recipient-headers` (of the bounce)
 * or else `original-headers` (of the original: the inline copy, or the
 * returned message attached), when the body named none. */
static void
header_blocks(Matcher *m, const Layout *lay, const char *region, gsize len, const char *copy,
              GPtrArray *blocks)
{
    for (char **name = lay->recipient_headers; name && *name && m->view->mime; name++) {
        const char *value = g_mime_object_get_header(GMIME_OBJECT(m->view->mime), *name);
        add_address_blocks(value, region, len, blocks);
        if (blocks->len)
            return;
    }
    const char *returned = m->view->returned_headers;
    for (char **name = lay->original_headers; name && *name && (copy || returned); name++) {
        g_autofree char *value = copy ? inline_header(copy, *name) : bt_header_block_get(returned, *name);
        add_address_blocks(value, region, len, blocks);
        if (blocks->len)
            return;
    }
}

/* A recipient captured as a bare local part ("kijitora"), completed from
 * the recipient-headers address with that local part. */
static char *
complete_from_headers(Matcher *m, const Layout *lay, const char *local)
{
    if (!local || strchr(local, '@') || !lay->recipient_headers || !m->view->mime)
        return NULL;
    for (char **name = lay->recipient_headers; *name; name++) {
        const char *value = g_mime_object_get_header(GMIME_OBJECT(m->view->mime), *name);
        g_auto(GStrv) parts = value ? g_strsplit_set(value, ",;", -1) : NULL;
        for (char **part = parts; part && *part; part++) {
            char *addr = clean_address(*part);
            gsize n = strlen(local);
            if (addr && g_ascii_strncasecmp(addr, local, n) == 0 && addr[n] == '@')
                return addr;
            g_free(addr);
        }
    }
    return NULL;
}

static void
set_record_field(BtRecord *rec, int f, const char *v)
{
    char **slots[N_FIELDS] = {
        [F_RECIPIENT] = &rec->recipient, [F_DIAGNOSTICCODE] = &rec->diagnosticcode,
        [F_STATUS] = &rec->deliverystatus, [F_COMMAND] = &rec->command,
        [F_RHOST] = &rec->rhost, [F_LHOST] = &rec->lhost, [F_ACTION] = &rec->action,
        [F_ALIAS] = &rec->alias, [F_REASON] = &rec->reason,
        [F_DIAGNOSTICTYPE] = &rec->diagnostictype,
    };
    if (f == F_REPLYCODE) {
        int code = atoi(v);
        rec->replycode = code >= 200 && code <= 599 ? code : 0;
    } else {
        bt_set_str(slots[f], v);
    }
}

/* For an MTA whose notices carry no status code, sisimai's decoder states
 * the pseudo code of the reason its wording implies (temporary on a 4xx
 * reply, or for the hints the layout lists), unless the text holds a code
 * that says more. */
static void
state_pseudo_status(const Layout *lay, BtRecord *rec)
{
    if (!lay->pseudo_status || !rec->reason)
        return;
    int reply = rec->replycode ? rec->replycode : bt_reply_find(rec->diagnosticcode, 0);
    gboolean temporary = reply / 100 == 4
        || (lay->pseudo_temporary && g_strv_contains((const char *const *) lay->pseudo_temporary, rec->reason));
    const char *pseudo = bt_status_pseudo(rec->reason, temporary);
    if (!pseudo)
        return;
    g_autofree char *found = rec->deliverystatus ? g_strdup(rec->deliverystatus)
                                                 : bt_status_find(rec->diagnosticcode);
    char reply_text[8] = "";
    if (reply)
        g_snprintf(reply_text, sizeof reply_text, "%d", reply);
    bt_set_str(&rec->deliverystatus, bt_status_prefer(found, pseudo, reply_text));
}

static BtRecord *
record_from(const Layout *lay, const Values *vals)
{
    BtRecord *rec = bt_record_new();
    for (int f = 0; f < N_FIELDS; f++)
        if (vals->v[f])
            set_record_field(rec, f, vals->v[f]);
    bt_set_str(&rec->decodedby, lay->id);
    state_pseudo_status(lay, rec);
    return rec;
}

/* Adds a record per distinct recipient; a repeated recipient only fills
 * what the first mention lacked. */
static void
add_records(const Layout *lay, GPtrArray *all_vals, GPtrArray *records)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) order = g_ptr_array_new();
    for (guint i = 0; i < all_vals->len; i++) {
        Values *v = all_vals->pdata[i];
        g_autofree char *key = g_ascii_strdown(v->v[F_RECIPIENT], -1);
        Values *first = g_hash_table_lookup(seen, key);
        if (first) {
            values_fill(first, v);
            continue;
        }
        g_hash_table_insert(seen, g_steal_pointer(&key), v);
        g_ptr_array_add(order, v);
    }
    for (guint i = 0; i < order->len; i++)
        g_ptr_array_add(records, record_from(lay, order->pdata[i]));
}

static void
values_free(Values *v)
{
    values_clear(v);
    g_free(v);
}

/* Tries one layout; TRUE when it matched and found recipients. */
static gboolean
layout_extract(Matcher *m, const Layout *lay, GPtrArray *records, gsize *original_at)
{
    if (lay->match && !cond_holds(m, lay->match))
        return FALSE;
    const char *body = m->view->body;
    const char *start = body, *limit = body + strlen(body);
    Line mark;
    if (lay->begin && !(start = find_line(m, lay->begin, body, limit, &mark)))
        return FALSE;
    const char *copy = NULL;
    if (lay->original && find_line(m, lay->original, start, limit, &mark)) {
        limit = mark.start;
        for (copy = mark.next; line_at(copy, body + strlen(body), &mark) && line_is_blank(&mark);)
            copy = mark.next;
    }

    g_autoptr(GPtrArray) blocks = scan_blocks(m, lay, start, limit);
    if (!blocks->len)
        header_blocks(m, lay, start, limit - start, copy, blocks);

    Values common_caught = { 0 }, common_fixed = { 0 };
    run_fields(m, lay->common, start, limit - start, &common_caught, &common_fixed);
    g_autoptr(GPtrArray) all_vals = g_ptr_array_new_with_free_func((GDestroyNotify) values_free);
    for (guint i = 0; i < blocks->len; i++) {
        Block *b = blocks->pdata[i];
        char *rcpt = clean_address(b->got.v[F_RECIPIENT]);
        if (!rcpt)
            rcpt = complete_from_headers(m, lay, b->got.v[F_RECIPIENT]);
        if (!rcpt)
            continue;
        g_free(b->got.v[F_RECIPIENT]);
        b->got.v[F_RECIPIENT] = rcpt;
        Values *v = g_new0(Values, 1);
        block_values(m, lay, b, &common_caught, &common_fixed, v);
        g_ptr_array_add(all_vals, v);
    }
    values_clear(&common_caught);
    values_clear(&common_fixed);
    if (!all_vals->len)
        return FALSE;
    add_records(lay, all_vals, records);
    *original_at = copy ? (gsize) (copy - body) : G_MAXSIZE;
    return TRUE;
}

gboolean
bt_layouts_extract(const BtLayouts *lays, const BtMsgView *view, GPtrArray *records,
                   gsize *original_at)
{
    *original_at = G_MAXSIZE;
    if (!view->body)
        return FALSE;
    Matcher m = { lays, view, pcre2_match_data_create(MAX_GROUPS, NULL) };
    gboolean found = FALSE;
    for (guint i = 0; i < lays->layouts->len && !found; i++)
        found = layout_extract(&m, lays->layouts->pdata[i], records, original_at);
    pcre2_match_data_free(m.md);
    return found;
}
