/* layout-regex — the layouts' regexes: compiled with PCRE2 to validate
 * them at load (or on first use, from the cache), JIT-compiled once used
 * often, with the literal needles and the bounds that rule a text out
 * before a regex runs over it. */
#include "extract/layout-private.h"
#include "core/literals.h"

#include <string.h>

/* PCRE2_UCP for the reasons given in rules/regex.c: Unicode classes, and
 * the JIT agreeing with the interpreter on non-ASCII text. */
#define COMPILE_OPTIONS (PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE | PCRE2_DUPNAMES)

void
bt_layout_regex_free(Regex *re)
{
    if (!re)
        return;
    g_free(re->pattern);
    pcre2_code_free(re->code);
    bt_lazy_jit_clear(&re->lazy);
    g_strfreev(re->needles);
    g_free(re);
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
            if (!(p = bt_skip_class(p)))
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
        return bt_skip_class(p);
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

Regex *
bt_layout_regex_new(const char *src)
{
    Regex *re = g_new0(Regex, 1);
    re->pattern = g_strdup(src);
    return re;
}

/* `node`'s text as a regex: compiled now to validate it (JIT comes later,
 * with use), or on first use when it comes from the cache.  A bad one is
 * reported with PCRE2's message and the offset of the error. */
Regex *
bt_layout_compile_regex(Loader *ld, const yaml_node_t *node, const char *what)
{
    const char *src = bt_layout_expect_scalar(ld, node, what);
    if (!src)
        return NULL;
    Regex *re = bt_layout_regex_new(src);
    if (ld->trusted)
        return re;
    int err;
    PCRE2_SIZE off;
    re->code = compile_pattern(src, &err, &off);
    if (!re->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        bt_layout_fail(ld, node, "bad regex: %s at offset %zu", (const char *) msg, (gsize) off);
        bt_layout_regex_free(re);
        return NULL;
    }
    uint32_t groups;
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (groups >= MAX_GROUPS) {
        bt_layout_fail(ld, node, "too many groups (%u; at most %d)", groups, MAX_GROUPS - 1);
        bt_layout_regex_free(re);
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
    return bt_pcre2_code_publish(&re->code, code);
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

gboolean
bt_layout_add_regex(Loader *ld, yaml_node_t *node, gpointer out)
{
    Regex *re = bt_layout_compile_regex(ld, node, "a regex");
    if (re)
        g_ptr_array_add(out, re);
    return re != NULL;
}
