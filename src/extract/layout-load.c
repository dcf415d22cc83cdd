/* layout-load — reads the free-text layouts (rules/layouts/ *.yaml, schema
 * in rules/layouts/README.md) with libyaml, validates them completely
 * (every problem as "file:line:col: message"), compiling every regex with
 * PCRE2, and merges the directories: a later directory's layout replaces
 * an earlier one with the same id, in place.  A clean load keeps the
 * parsed documents in the user's cache (core/doccache.h); a run whose
 * files are unchanged reads them from there, reads a layout beyond its id
 * and `match` only once a message matches it, and compiles a regex only
 * when a message first needs it. */
#include "extract/layout-private.h"
#include "extract/generic-lines.h"
#include "extract/extract.h"
#include "core/doccache.h"
#include "core/yamlkeys.h"

#include <yaml.h>

#include <stdarg.h>
#include <string.h>

#define DEFAULT_ORDER 500
/* PCRE2_UCP for the reasons given in rules/regex.c: Unicode classes, and
 * the JIT agreeing with the interpreter on non-ASCII text. */
#define COMPILE_OPTIONS (PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE | PCRE2_DUPNAMES)

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
regex_free(Regex *re)
{
    if (!re)
        return;
    g_free(re->pattern);
    pcre2_code_free(re->code);
    bt_lazy_jit_clear(&re->lazy);
    g_strfreev(re->needles);
    g_free(re);
}

static void
pattern_free(Pattern *p)
{
    if (!p)
        return;
    regex_free(p->re);
    bt_layout_values_clear(&p->set);
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
    regex_free(lay->end);
    regex_free(lay->split_before);
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
    lay->stops = g_ptr_array_new_with_free_func((GDestroyNotify) regex_free);
    lay->befores = g_ptr_array_new_with_free_func((GDestroyNotify) regex_free);
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

void
bt_layouts_free(BtLayouts *lays)
{
    if (!lays)
        return;
    if (lays->layouts)
        g_ptr_array_unref(lays->layouts);
    bt_layout_index_free(lays->index);
    regex_free(lays->notice_from);
    regex_free(lays->notice_subject);
    regex_free(lays->notice_reply);
    regex_free(lays->notice_report);
    bt_doc_cache_free(lays->cache);
    pcre2_match_context_free(lays->mctx);
    bt_autoreply_vocab_free(lays->autoreply);
    g_free(lays);
}

const BtAutoreplyVocab *
bt_layouts_autoreply(const BtLayouts *lays)
{
    return lays->autoreply;
}

/* ==== loading ============================================================= */

/* What one file's parse needs: where errors go and how to name places. */
typedef struct {
    const char *path;
    yaml_document_t *doc;
    gboolean trusted;        /* from the cache: valid when stored, regexes compile */
    GPtrArray *errors;
    guint n_errors;
    BtLayouts *lays;         /* the regexes every layout shares */
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

/* ==== literal needles ====================================================
 *
 * Most layout regexes need some fixed text ("The following addresses did
 * NOT receive"); a body without it cannot match, and one strstr() over a
 * lower-cased copy of the body says so for far less than a regex scan.
 * The reader below understands the common part of PCRE2's syntax and gives
 * up (no needles) on anything else, so a needle is only ever text every
 * match contains. Non-ASCII is never part of a needle: Unicode caseless
 * matching makes "é" match "É" (layout.c handles the two non-ASCII
 * letters that match ASCII ones, KELVIN SIGN and LONG S). */

#define MIN_NEEDLE 3

/* A branch needs one of `set`; `score` is the length of its shortest. */
typedef struct {
    GPtrArray *set;
    gsize score;
} Choice;

typedef struct {
    GString *run;            /* the literal text being read */
    Choice best;             /* the branch's best choice so far */
    GPtrArray *needles;      /* the best choices of the finished branches */
    gboolean failed;
} Needles;

static void
choice_offer(Choice *c, GPtrArray *set, gsize score)
{
    if (score > c->score || !c->set) {
        g_clear_pointer(&c->set, g_ptr_array_unref);
        c->set = set;
        c->score = score;
    } else {
        g_ptr_array_unref(set);
    }
}

static void
needle_break(Needles *n)
{
    if (n->run->len) {
        GPtrArray *one = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(one, g_strdup(n->run->str));
        choice_offer(&n->best, one, n->run->len);
    }
    g_string_truncate(n->run, 0);
}

static void
needle_branch_end(Needles *n)
{
    needle_break(n);
    if (!n->best.set || n->best.score < MIN_NEEDLE)
        n->failed = TRUE;
    else
        for (guint i = 0; i < n->best.set->len; i++)
            g_ptr_array_add(n->needles, g_strdup(n->best.set->pdata[i]));
    g_clear_pointer(&n->best.set, g_ptr_array_unref);
    n->best.score = 0;
}

/* Past a character class starting at `p` ('['); NULL for what is not read. */
static const char *
skip_class(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    for (; *p && *p != ']'; p++) {
        if (*p == '[' && p[1] == ':')
            return NULL;
        if (*p == '\\' && !*++p)
            return NULL;
    }
    return *p ? p + 1 : NULL;
}

/* Past the argument of escape letter `e` (at p[-1]): \x{..} \p{..} \g<..>
 * \k'..' \12; NULL for what is not read. */
static const char *
skip_escape_argument(char e, const char *p)
{
    if (!strchr("xoNpPgk0123456789", e))
        return p;
    if (*p == '{' || *p == '<' || *p == '\'') {
        const char *end = strchr(p + 1, *p == '{' ? '}' : *p == '<' ? '>' : '\'');
        return end ? end + 1 : NULL;
    }
    if (e == 'g' && (*p == '-' || *p == '+'))
        p++;
    while (g_ascii_isalnum(*p))
        p++;
    return p;
}

/* Past a group starting at `p` ('('); NULL for what is not read. */
static const char *
skip_group(const char *p)
{
    int depth = 0;
    while (*p) {
        if (*p == '\\') {
            if (!p[1] || p[1] == 'Q' || p[1] == 'c')
                return NULL;
            p += 2;
        } else if (*p == '[') {
            if (!(p = skip_class(p)))
                return NULL;
        } else {
            if (*p == '(')
                depth++;
            else if (*p == ')' && --depth == 0)
                return p + 1;
            p++;
        }
    }
    return NULL;
}

/* Past a counted quantifier {n}, {n,}, {n,m} or {,m} at `p`; NULL if it is not one. */
static const char *
skip_counted(const char *p)
{
    const char *q = p + 1;
    while (g_ascii_isdigit(*q))
        q++;
    if (*q == ',')
        for (q++; g_ascii_isdigit(*q); q++)
            ;
    return *q == '}' && q > p + 1 ? q + 1 : NULL;
}

/* Where the alternatives of a group at `p` ('(') start, for a group that
 * must match text: plain, named or non-capturing; NULL for lookarounds,
 * option settings and the rest. */
static const char *
group_body(const char *p)
{
    p++;
    if (*p != '?')
        return p;
    p++;
    if (*p == ':' || *p == '|' || *p == '>')
        return p + 1;
    if ((*p == '<' && g_ascii_isalpha(p[1])) || (*p == 'P' && p[1] == '<') || *p == '\'') {
        const char *end = strchr(p + 1, *p == '\'' ? '\'' : '>');
        return end ? end + 1 : NULL;
    }
    p += strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ^-");
    return *p == ':' ? p + 1 : NULL;
}

static char **needles_of(const char *pattern);

/* A group that must match (no ?, * or {0…} after it) offers its own
 * alternatives' needles as the branch's choice. */
static void
offer_group(Needles *n, const char *open, const char *after)
{
    const char *inner = group_body(open);
    if (!inner || inner >= after || *after == '?' || *after == '*' || *after == '{')
        return;
    g_autofree char *text = g_strndup(inner, after - 1 - inner);
    char **found = needles_of(text);
    if (!found)
        return;
    GPtrArray *set = g_ptr_array_new_with_free_func(g_free);
    gsize score = G_MAXSIZE;
    for (char **f = found; *f; f++) {
        score = MIN(score, strlen(*f));
        g_ptr_array_add(set, *f);
    }
    g_free(found);   /* the strings now belong to `set` */
    choice_offer(&n->best, set, score);
}

/* Extended mode (x), comments, \Q…\E and verbs change what text means. */
static gboolean
needles_unreadable(const char *pattern)
{
    if (strstr(pattern, "(?#") || strstr(pattern, "\\Q") || strstr(pattern, "(*"))
        return TRUE;
    for (const char *p = strstr(pattern, "(?"); p; p = strstr(p + 2, "(?")) {
        gsize n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ^-");
        if (memchr(p + 2, 'x', n))
            return TRUE;
    }
    return FALSE;
}

static const char *
needle_step(Needles *n, const char *p)
{
    guchar c = (guchar) *p;
    if (c == '\\') {
        char e = p[1];
        if (!e || e == 'c')
            return NULL;
        if (!g_ascii_isalnum(e) && (guchar) e < 0x80) {
            g_string_append_c(n->run, g_ascii_tolower(e));
            return p + 2;
        }
        needle_break(n);
        return (guchar) e < 0x80 ? skip_escape_argument(e, p + 2) : p + 1;
    }
    if (c == '?' || c == '*' || c == '+' || c == '{') {
        /* the character before is optional or repeated: not text in a row */
        if (n->run->len)
            g_string_truncate(n->run, n->run->len - 1);
        needle_break(n);
        return c == '{' ? skip_counted(p) : p + 1;
    }
    if (c == '[') {
        needle_break(n);
        return skip_class(p);
    }
    if (c == '(') {
        needle_break(n);
        const char *after = skip_group(p);
        if (after)
            offer_group(n, p, after);
        return after;
    }
    if (c == ')')
        return NULL;
    if (c == '|') {
        needle_branch_end(n);
        return p + 1;
    }
    if (c == '.' || c == '^' || c == '$' || c >= 0x80 || c < 0x20)
        needle_break(n);
    else
        g_string_append_c(n->run, g_ascii_tolower(c));
    return p + 1;
}

static char **
needles_of(const char *pattern)
{
    Needles n = { g_string_new(NULL), { NULL, 0 }, g_ptr_array_new_with_free_func(g_free), FALSE };
    const char *p = pattern;
    while (p && *p && !n.failed)
        p = needle_step(&n, p);
    if (p && !n.failed)
        needle_branch_end(&n);
    char **out = NULL;
    if (p && !n.failed) {
        g_ptr_array_add(n.needles, NULL);
        out = (char **) g_ptr_array_free(g_steal_pointer(&n.needles), FALSE);
    }
    if (n.needles)
        g_ptr_array_unref(n.needles);
    g_clear_pointer(&n.best.set, g_ptr_array_unref);
    g_string_free(n.run, TRUE);
    return out;
}

char **
bt_layout_needles(const char *pattern)
{
    return needles_unreadable(pattern) ? NULL : needles_of(pattern);
}

static pcre2_code *
compile_pattern(const char *src, int *err, PCRE2_SIZE *off)
{
    return pcre2_compile((PCRE2_SPTR) src, PCRE2_ZERO_TERMINATED, COMPILE_OPTIONS, err, off, NULL);
}

static Regex *
regex_new(const char *src)
{
    Regex *re = g_new0(Regex, 1);
    re->pattern = g_strdup(src);
    return re;
}

/* `node`'s text as a regex: compiled now to validate it (JIT comes later,
 * with use), or on first use when it comes from the cache.  A bad one is
 * reported with PCRE2's message and the offset of the error. */
static Regex *
compile_regex(Loader *ld, const yaml_node_t *node, const char *what)
{
    const char *src = expect_scalar(ld, node, what);
    if (!src)
        return NULL;
    Regex *re = regex_new(src);
    if (ld->trusted)
        return re;
    int err;
    PCRE2_SIZE off;
    re->code = compile_pattern(src, &err, &off);
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

/* Threads that race to compile both do, and one code is kept. */
static const pcre2_code *
interpreted_code(Regex *re)
{
    pcre2_code *code = g_atomic_pointer_get(&re->code);
    if (code)
        return code;
    int err;
    PCRE2_SIZE off;
    code = compile_pattern(re->pattern, &err, &off);
    if (!code)
        return NULL;
    if (!g_atomic_pointer_compare_and_exchange(&re->code, NULL, code)) {
        pcre2_code_free(code);
        code = g_atomic_pointer_get(&re->code);
    }
    return code;
}

const pcre2_code *
bt_layout_regex_code(Regex *re, gsize len)
{
    const pcre2_code *code = interpreted_code(re);
    return code ? bt_lazy_jit_pick(&re->lazy, code, JIT_AFTER_USES, len) : NULL;
}

/* PCRE2 tells the shortest subject a pattern can match
 * (PCRE2_INFO_MINLENGTH, in characters, so never more bytes) and the
 * last code unit every match needs (PCRE2_INFO_LASTCODEUNIT); pcre2_match
 * rules a subject out with both before matching (pcre2_match.c, "start of
 * match optimizations").  Whether that unit is caseless is not told, and
 * the default tables PCRE2 then uses flip ASCII letters only: a letter is
 * looked for in both cases. */
static void
regex_bounds(Regex *re)
{
    re->min_len = 0;
    re->required[0] = re->required[1] = -1;
    const pcre2_code *code = interpreted_code(re);
    if (!code)
        return;
    uint32_t set = 0, unit = 0;
    pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &re->min_len);
    pcre2_pattern_info(code, PCRE2_INFO_LASTCODETYPE, &set);
    if (set && pcre2_pattern_info(code, PCRE2_INFO_LASTCODEUNIT, &unit) == 0 && unit < 0x100) {
        re->required[0] = (guchar) g_ascii_tolower(unit);
        re->required[1] = (guchar) g_ascii_toupper(unit);
    }
}

gboolean
bt_layout_regex_may_fit(Regex *re, const char *s, gsize len)
{
    if (g_once_init_enter(&re->bounds_ready)) {
        regex_bounds(re);
        g_once_init_leave(&re->bounds_ready, 1);
    }
    if (len < re->min_len)
        return FALSE;
    if (re->required[0] < 0 || memchr(s, re->required[0], len))
        return TRUE;
    return re->required[1] != re->required[0] && memchr(s, re->required[1], len);
}

char *const *
bt_layout_regex_needles(Regex *re)
{
    if (g_once_init_enter(&re->needles_ready)) {
        re->needles = bt_layout_needles(re->pattern);
        g_once_init_leave(&re->needles_ready, 1);
    }
    return re->needles;
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
            fail(ld, node, "unknown capture group '%s'", name);
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
        int f = key ? bt_layout_field_by_name(key) : -1;
        if (f < 0 || f == F_RECIPIENT) {
            fail(ld, k, "unknown field '%s' in set", key ? key : "?");
            continue;
        }
        const char *val = expect_scalar(ld, v, "a set value");
        if (val && f == F_REPLYCODE && !is_reply_code(val))
            fail(ld, v, "replycode must be a three-digit SMTP reply code");
        else if (val)
            bt_set_str(&vals->v[f], val);
    }
}

static gboolean parse_bool(Loader *ld, yaml_node_t *node, gboolean *out);

/* `in-block: alias` — inside a recipient's block, the line's recipient
 * capture names that recipient's alias (Exim's "generated by" under the
 * child address) instead of opening a record; `in-block: parent` — it
 * names the address the block's recipient was expanded from (Sendmail's
 * "(expanded from: ADDR)"), which the record reports, as the DSN's
 * Final-Recipient does, with the expanded address as its alias. */
static void
load_in_block(Loader *ld, yaml_node_t *node, Pattern *p)
{
    const char *s = expect_scalar(ld, node, "in-block");
    if (s && g_strcmp0(s, "alias") != 0 && g_strcmp0(s, "parent") != 0)
        fail(ld, node, "in-block must be 'alias' or 'parent'");
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
            yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
            const char *key = scalar(k);
            if (g_strcmp0(key, "regex") == 0)
                re_node = v;
            else if (g_strcmp0(key, "set") == 0)
                load_values(ld, v, &p->set);
            else if (g_strcmp0(key, "in-block") == 0)
                load_in_block(ld, v, p);
            else if (g_strcmp0(key, "own-line") == 0)
                parse_bool(ld, v, &p->own_line);
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
    if (p && (p->in_block_alias || p->in_block_parent)) {
        fail(ld, node, "in-block is only for recipient patterns");
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
    const char *s = expect_scalar(ld, node, "local-domain");
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
        fail(ld, node, "local-domain must be from-original-to, from-sender or from-reporting-host");
    return FALSE;
}

/* `local-domain: WAY` or a list of ways, tried in order. */
static void
load_local_domain(Loader *ld, yaml_node_t *node, Layout *lay)
{
    memset(lay->local_domain, 0, sizeof lay->local_domain);
    one_or_list(ld, node, add_local_domain, lay);
}

static Cond *load_cond(Loader *ld, yaml_node_t *node);
static gboolean parse_bool(Loader *ld, yaml_node_t *node, gboolean *out);

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
    return regex_new(full);
}

/* LISTSERV marks the delivery error reports it sends a list's owners
 * ("LIST: error report from HOST", the failed notice copied below) with
 * "X-Report-Type: Nondelivery" (L-Soft's list owner's manual, "Delivery
 * error reports"; its loop check looks for the same field): a notice,
 * whatever its From and Subject say. */
static const char bounce_notice_report[] = "(?i)^\\s*nondelivery\\b";

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
    if (!parse_bool(ld, v, &want))
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
    if (!parse_bool(ld, v, &want))
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
    const char *key = scalar(k);
    Cond *c = NULL;
    if (g_strcmp0(key, "any") == 0 || g_strcmp0(key, "all") == 0) {
        c = cond_new(key[1] == 'n' ? COND_ANY : COND_ALL);
        if (expect_kind(ld, v, YAML_SEQUENCE_NODE, key))
            one_or_list(ld, v, add_cond, c->kids);
        order_kids(c);
    } else if (g_strcmp0(key, "not") == 0) {
        c = cond_new(COND_NOT);
        add_cond(ld, v, c->kids);
    } else if (g_strcmp0(key, "body") == 0) {
        c = cond_new(COND_BODY);
        one_or_list(ld, v, add_regex, c->regexes);
    } else if (g_strcmp0(key, "from") == 0 || g_strcmp0(key, "subject") == 0) {
        c = header_cond(ld, key[0] == 'f' ? "From" : "Subject", v);
    } else if (g_strcmp0(key, "bounce-notice") == 0) {
        c = bounce_notice_cond(ld, v);
    } else if (g_strcmp0(key, "notice-reply") == 0) {
        c = notice_reply_cond(ld, v);
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
    order_kids(all);
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

/* The decimal digits of n, ending at `end` (a buffer of 21 bytes or more). */
static char *
digits(char *end, gsize n)
{
    *--end = '\0';
    do
        *--end = '0' + n % 10;
    while (n /= 10);
    return end;
}

/* "path:line:col" of a node, for messages, without printf (which costs a
 * start from the cache more than the rest of reading the layouts' ids). */
static char *
place(const char *path, const yaml_node_t *node)
{
    char line[24], col[24];
    return g_strconcat(path, ":", digits(line + sizeof line, node->start_mark.line + 1), ":",
                       digits(col + sizeof col, node->start_mark.column + 1), NULL);
}

/* One key of a layout. */
static void
load_layout_key(Loader *ld, Layout *lay, yaml_node_t *k, yaml_node_t *v)
{
    const char *key = scalar(k);
    if (g_strcmp0(key, "id") == 0) {
        const char *id = expect_scalar(ld, v, "id");
        if (id && !is_layout_id(id))
            fail(ld, v, "id must be made of [a-z0-9_.-]");
        else if (id) {
            bt_set_str(&lay->id, id);
            g_free(lay->where);
            lay->where = place(ld->path, v);
        }
    } else if (g_strcmp0(key, "description") == 0) {
        expect_scalar(ld, v, "description");
    } else if (g_strcmp0(key, "match") == 0) {
        lay->match = load_cond(ld, v);
    } else if (g_strcmp0(key, "begin") == 0) {
        lay->begin = compile_regex(ld, v, "begin");
    } else if (g_strcmp0(key, "original") == 0) {
        lay->original = compile_regex(ld, v, "original");
    } else if (g_strcmp0(key, "end") == 0) {
        lay->end = compile_regex(ld, v, "end");
    } else if (g_strcmp0(key, "split-before") == 0) {
        lay->split_before = compile_regex(ld, v, "split-before");
    } else if (g_strcmp0(key, "sections") == 0) {
        one_or_list(ld, v, add_section_pattern, lay->sections);
    } else if (g_strcmp0(key, "local-domain") == 0) {
        load_local_domain(ld, v, lay);
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
        yaml_node_t *k = node_at(ld, pair->key);
        const char *key = scalar(k);
        if (g_strcmp0(key, "id") == 0)
            load_layout_key(ld, lay, k, node_at(ld, pair->value));
        else if (g_strcmp0(key, "match") == 0)
            lay->match_node = node_at(ld, pair->value);
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
            lay->match = load_cond(&ld, (yaml_node_t *) lay->match_node);
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
            yaml_node_t *k = node_at(&ld, pair->key);
            if (!is_stub_key(scalar(k)))
                load_layout_key(&ld, lay, k, node_at(&ld, pair->value));
        }
        lay->node = NULL;
    }
    g_once_init_leave(&lay->complete, 1);
}

static Layout *
load_layout(Loader *ld, yaml_node_t *node)
{
    if (!expect_kind(ld, node, YAML_MAPPING_NODE, "a layout"))
        return NULL;
    if (ld->trusted)
        return load_layout_stub(ld, node);
    Layout *lay = layout_new();
    layout_add_lists(lay);
    lay->complete = 1;
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

/* ==== the auto-reply vocabulary ==========================================
 *
 * `autoreply:` maps a list's key (autoreply.h) to its entries; every file
 * and directory that has one adds to the lists, in load order. */

/* RFC 5322 §3.6.8: printable ASCII but the colon. */
static gboolean
is_field_name(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if ((guchar) *s < 33 || (guchar) *s > 126 || *s == ':')
            return FALSE;
    return TRUE;
}

/* The value is compared with the field's, lower-cased (ASCII). */
static gboolean
has_ascii_upper(const char *s)
{
    for (; *s; s++)
        if (g_ascii_isupper(*s))
            return TRUE;
    return FALSE;
}

/* A marker's `name`: a header field name; NULL when it is none. */
static const char *
marker_name(Loader *ld, const yaml_node_t *node)
{
    const char *s = expect_scalar(ld, node, "name");
    if (s && !is_field_name(s)) {
        fail(ld, node, "'%s' is no header field name", s);
        return NULL;
    }
    return s;
}

/* A marker's `value`: a word in lower case; NULL when it is none. */
static const char *
marker_value(Loader *ld, const yaml_node_t *node)
{
    const char *s = expect_scalar(ld, node, "value");
    if (s && (!*s || has_ascii_upper(s))) {
        fail(ld, node, "a marker's value must be non-empty and in lower case");
        return NULL;
    }
    return s;
}

/* {name: FIELD, value: WORD}, `value` optional. */
static void
add_marker(Loader *ld, yaml_node_t *node, GPtrArray *out)
{
    if (!expect_kind(ld, node, YAML_MAPPING_NODE, "a header marker"))
        return;
    const char *name = NULL, *value = NULL;
    guint before = ld->n_errors;
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
        const char *key = scalar(k);
        if (g_strcmp0(key, "name") == 0)
            name = marker_name(ld, v);
        else if (g_strcmp0(key, "value") == 0)
            value = marker_value(ld, v);
        else
            fail(ld, k, "unknown key '%s' in a header marker", key ? key : "?");
    }
    if (!name && ld->n_errors == before)
        fail(ld, node, "a header marker needs a name");
    if (ld->n_errors != before)
        return;
    BtHeaderMarker *m = g_new0(BtHeaderMarker, 1);
    m->name = g_strdup(name);
    m->value = g_strdup(value);
    g_ptr_array_add(out, m);
}

/* A phrase of word list `list`: never empty (it would be found in every
 * text); in a list compared as written, already case-folded. */
static void
add_word(Loader *ld, yaml_node_t *node, BtAutoreplyWordList list, GPtrArray *out)
{
    const char *s = expect_scalar(ld, node, "a phrase");
    if (!s)
        return;
    if (!*s) {
        fail(ld, node, "an empty phrase would be found in every text");
        return;
    }
    if (!ld->trusted && bt_autoreply_words_as_written(list)) {
        g_autofree char *folded = bt_casefold(s);
        if (strcmp(folded, s) != 0) {
            fail(ld, node, "%s are compared with the case-folded subject: write '%s'",
                 bt_autoreply_word_keys[list], folded);
            return;
        }
    }
    g_ptr_array_add(out, g_strdup(s));
}

/* One list of `autoreply:`; FALSE when `key` names none. */
static gboolean
load_autoreply_list(Loader *ld, const char *key, yaml_node_t *v, BtAutoreplyVocab *vocab)
{
    for (int i = 0; i < BT_AR_N_MARKER_LISTS; i++)
        if (g_strcmp0(key, bt_autoreply_marker_keys[i]) == 0) {
            if (expect_kind(ld, v, YAML_SEQUENCE_NODE, key))
                FOR_ITEMS(v, item)
                    add_marker(ld, node_at(ld, *item), vocab->markers[i]);
            return TRUE;
        }
    for (int i = 0; i < BT_AR_N_WORD_LISTS; i++)
        if (g_strcmp0(key, bt_autoreply_word_keys[i]) == 0) {
            if (expect_kind(ld, v, YAML_SEQUENCE_NODE, key))
                FOR_ITEMS(v, item)
                    add_word(ld, node_at(ld, *item), i, vocab->words[i]);
            return TRUE;
        }
    return FALSE;
}

static void
load_autoreply(Loader *ld, yaml_node_t *node)
{
    if (!expect_kind(ld, node, YAML_MAPPING_NODE, "autoreply"))
        return;
    if (!ld->lays->autoreply)
        ld->lays->autoreply = bt_autoreply_vocab_new();
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = node_at(ld, pair->key);
        const char *key = scalar(k);
        if (!load_autoreply_list(ld, key, node_at(ld, pair->value), ld->lays->autoreply))
            fail(ld, k, "unknown key '%s' in autoreply", key ? key : "?");
    }
}

/* A file's layouts and its `order:`. */
typedef struct {
    char *path;
    char *name;              /* file name, ties in order */
    guint dir;               /* index of its directory */
    gint64 order;
    GPtrArray *layouts;      /* Layout* */
} LayoutFile;

static void
layout_file_free(LayoutFile *lf)
{
    g_free(lf->path);
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
        } else if (g_strcmp0(key, "autoreply") == 0) {
            load_autoreply(ld, v);
        } else if (g_strcmp0(key, "description") != 0) {
            fail(ld, k, "unknown key '%s' in layout file", key ? key : "?");
        }
    }
}

/* Reads and parses one file into `lf`, adding its errors; `cache` gets
 * the parsed document. */
static void
load_file(LayoutFile *lf, BtLayouts *lays, BtDocCache *cache, GPtrArray *errors)
{
    g_autofree char *text = NULL;
    gsize len;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(lf->path, &text, &len, &err)) {
        g_ptr_array_add(errors, g_strdup_printf("%s:1:1: %s", lf->path, err->message));
        return;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        g_ptr_array_add(errors, g_strdup_printf("%s:%zu:%zu: %s", lf->path,
                                                parser.problem_mark.line + 1,
                                                parser.problem_mark.column + 1,
                                                parser.problem ? parser.problem : "YAML error"));
        yaml_parser_delete(&parser);
        return;
    }
    bt_yaml_check_unique_keys(&doc, lf->path, errors);
    Loader ld = { .path = lf->path, .doc = &doc, .errors = errors, .lays = lays };
    load_document(&ld, lf);
    if (cache)
        bt_doc_cache_add(cache, &doc, NULL, 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
}

/* `lf` from the document the cache kept for it. */
static void
load_cached_file(LayoutFile *lf, yaml_document_t *doc, BtLayouts *lays, GPtrArray *errors)
{
    Loader ld = { .path = g_intern_string(lf->path), .doc = doc, .trusted = TRUE, .errors = errors, .lays = lays };
    load_document(&ld, lf);
}

static gint
file_cmp(gconstpointer a, gconstpointer b)
{
    const LayoutFile *x = *(LayoutFile *const *) a, *y = *(LayoutFile *const *) b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->name, y->name);
}

static gint
name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The *.yaml files of one directory, in name order (that of the cache's
 * key), not read yet. */
static void
list_dir(const char *dir, guint index, GPtrArray *files, GPtrArray *errors)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
    if (!d) {
        g_ptr_array_add(errors, g_strdup_printf("%s:1:1: %s", dir, err->message));
        return;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (g_str_has_suffix(name, ".yaml"))
            g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, name_cmp);
    for (guint i = 0; i < names->len; i++) {
        LayoutFile *lf = g_new0(LayoutFile, 1);
        lf->path = g_build_filename(dir, names->pdata[i], NULL);
        lf->name = g_strdup(names->pdata[i]);
        lf->dir = index;
        lf->order = DEFAULT_ORDER;
        lf->layouts = g_ptr_array_new_with_free_func((GDestroyNotify) layout_free);
        g_ptr_array_add(files, lf);
    }
}

/* Loads every file, from the cache when it holds this very set of files
 * (then the layouts keep the entry and its documents); TRUE when it did.
 * `*cache` is the entry to store a clean load in. */
static gboolean
load_files(const char *const *dirs, GPtrArray *files, BtLayouts *lays, BtDocCache **cache, GPtrArray *errors)
{
    guint before = errors->len;
    for (guint i = 0; dirs[i]; i++)
        list_dir(dirs[i], i, files, errors);
    if (errors->len == before) {
        g_autofree const char **paths = g_new0(const char *, files->len + 1);
        for (guint i = 0; i < files->len; i++)
            paths[i] = ((LayoutFile *) files->pdata[i])->path;
        *cache = bt_doc_cache_new("layouts", dirs, paths, files->len);
    }
    /* every layout's `match` is read at load, so every document is decoded */
    gboolean cached = *cache && bt_doc_cache_lookup(*cache);
    for (guint i = 0; cached && i < files->len; i++)
        cached = bt_doc_cache_document(*cache, i) != NULL;
    for (guint i = 0; i < files->len; i++) {
        if (cached)
            load_cached_file(files->pdata[i], bt_doc_cache_document(*cache, i), lays, errors);
        else
            load_file(files->pdata[i], lays, *cache, errors);
    }
    if (!cached)
        return FALSE;
    lays->cache = g_steal_pointer(cache);
    return TRUE;
}

/* The files of directory `dir`, sorted by (order, name). */
static GPtrArray *
dir_files(GPtrArray *files, guint dir)
{
    GPtrArray *mine = g_ptr_array_new();
    for (guint i = 0; i < files->len; i++)
        if (((LayoutFile *) files->pdata[i])->dir == dir)
            g_ptr_array_add(mine, files->pdata[i]);
    g_ptr_array_sort(mine, file_cmp);
    return mine;
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

/* One directory from the cache: no layout replaces another, and a cached
 * set was stored without a problem, so without a repeated id: the
 * layouts are taken in order, with no id index. */
static void
take_layouts(GPtrArray *all, GPtrArray *files)
{
    for (guint i = 0; i < files->len; i++) {
        GPtrArray *lays = ((LayoutFile *) files->pdata[i])->layouts;
        for (guint j = 0; j < lays->len; j++)
            g_ptr_array_add(all, g_steal_pointer(&lays->pdata[j]));
        g_ptr_array_set_size(lays, 0);
    }
}

BtLayouts *
bt_layouts_load(const char *const *dirs, GPtrArray *errors, GError **error)
{
    static const char *const no_dirs[] = { NULL };
    dirs = dirs ? dirs : no_dirs;
    g_autoptr(BtLayouts) lays = g_new0(BtLayouts, 1);
    lays->notice_from = regex_new(bounce_notice_from);
    lays->notice_subject = regex_with_marks(bounce_notice_subject);
    lays->notice_reply = regex_with_marks(bounce_notice_reply);
    lays->notice_report = regex_new(bounce_notice_report);
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify) layout_free);
    g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify) layout_file_free);
    g_autoptr(BtDocCache) cache = NULL;
    guint errors_before = errors->len;
    gboolean from_cache = load_files(dirs, files, lays, &cache, errors);
    for (guint i = 0; dirs[i]; i++) {
        g_autoptr(GPtrArray) mine = dir_files(files, i);
        if (from_cache && !dirs[1])
            take_layouts(all, mine);
        else
            merge_dir(all, index, mine, errors);
    }
    if (errors->len != errors_before) {
        g_set_error(error, BT_ERROR, BT_ERROR_CONFIG, "%u error(s) in layout files",
                    errors->len - errors_before);
        return NULL;
    }
    if (!from_cache && cache)
        bt_doc_cache_store(cache);
    lays->layouts = g_steal_pointer(&all);
    lays->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(lays->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(lays->mctx, DEPTH_LIMIT);
    return g_steal_pointer(&lays);
}
