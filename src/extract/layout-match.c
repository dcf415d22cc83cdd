/* layout-match — a Matcher's questions about one message: does a layout
 * regex match a subject, what did its groups capture, does a layout's
 * `match` condition hold for the message's headers and body, which line
 * matches first.  The per-call state (Matcher) and its lines (Line) are in
 * layout-private.h; the layout engine (layout.c) asks them. */
#include "extract/layout-private.h"
#include "core/lean-mime.h"

#include <string.h>

static const pcre2_code *
code_for_match(Regex *re, gsize len)
{
    return bt_layout_regex_code(re, len);
}

gboolean
bt_layout_re_match(Matcher *m, Regex *re, const char *s, gsize len)
{
    if (!bt_layout_regex_may_fit(re, s, len))
        return FALSE;
    const pcre2_code *code = code_for_match(re, len);
    return code && pcre2_match(code, (PCRE2_SPTR) s, len, 0, 0, m->md, m->lays->mctx) >= 0;
}

/* The value of a named group after a successful match, or NULL. */
char *
bt_layout_group_value(Matcher *m, const char *name)
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
void
bt_layout_take_captures(Matcher *m, Values *vals)
{
    for (int f = 0; f < N_FIELDS; f++) {
        if (vals->v[f])
            continue;
        vals->v[f] = bt_layout_group_value(m, bt_layout_field_names[f]);
        if (!vals->v[f] && f == F_STATUS)
            vals->v[f] = bt_layout_group_value(m, "deliverystatus");
    }
}

static guint
ascii_case_hash(gconstpointer key)
{
    guint h = 5381;
    for (const char *p = key; *p; p++)
        h = h * 33 + (guchar) g_ascii_tolower(*p);
    return h;
}

static gboolean
ascii_case_equal(gconstpointer a, gconstpointer b)
{
    return g_ascii_strcasecmp(a, b) == 0;
}

/* The values of every instance of the named header, in order ("" for one
 * without a value).  Layouts ask about a handful of names (From, Subject,
 * …) through dozens of regexes. */
static const GPtrArray *
header_values(Matcher *m, const char *header)
{
    if (!m->header_values)
        m->header_values = g_hash_table_new_full(ascii_case_hash, ascii_case_equal, NULL,
                                                 (GDestroyNotify) g_ptr_array_unref);
    GPtrArray *values = g_hash_table_lookup(m->header_values, header);
    if (values)
        return values;
    values = g_ptr_array_new();
    const BtMimeTop *top = m->view->top;
    for (guint i = 0; i < bt_mime_top_count(top); i++) {
        if (g_ascii_strcasecmp(bt_mime_top_name(top, i), header) != 0)
            continue;
        const char *value = bt_mime_top_value(top, i);
        g_ptr_array_add(values, (gpointer) (value ? value : ""));
    }
    g_hash_table_insert(m->header_values, (gpointer) header, values);
    return values;
}

/* Does one instance of the named header match `re`?  A header regex is
 * tied to one header name, so the answer is kept per regex for the
 * message. */
static gboolean
header_regex_holds(Matcher *m, const char *header, Regex *re)
{
    if (!m->header_memo)
        m->header_memo = g_hash_table_new(NULL, NULL);
    gpointer known = g_hash_table_lookup(m->header_memo, re);
    if (known)
        return known == GINT_TO_POINTER(2);
    gboolean holds = FALSE;
    const GPtrArray *values = header_values(m, header);
    for (guint i = 0; i < values->len && !holds; i++)
        holds = bt_layout_re_match(m, re, values->pdata[i], strlen(values->pdata[i]));
    g_hash_table_insert(m->header_memo, re, GINT_TO_POINTER(holds ? 2 : 1));
    return holds;
}

static gboolean
header_holds(Matcher *m, const Cond *c)
{
    if (!m->view->mime)
        return FALSE;
    for (guint r = 0; r < c->regexes->len; r++)
        if (header_regex_holds(m, c->header, c->regexes->pdata[r]))
            return TRUE;
    return FALSE;
}

gboolean
bt_layout_cond_holds(Matcher *m, const Cond *c)
{
    switch (c->kind) {
    case COND_ALL:
        for (guint i = 0; i < c->kids->len; i++)
            if (!bt_layout_cond_holds(m, c->kids->pdata[i]))
                return FALSE;
        return TRUE;
    case COND_ANY:
        for (guint i = 0; i < c->kids->len; i++)
            if (bt_layout_cond_holds(m, c->kids->pdata[i]))
                return TRUE;
        return FALSE;
    case COND_NOT:
        return c->kids->len && !bt_layout_cond_holds(m, c->kids->pdata[0]);
    case COND_HEADER:
        return header_holds(m, c);
    case COND_BODY:
        for (guint r = 0; r < c->regexes->len; r++)
            if (bt_body_may_match(&m->lit, c->regexes->pdata[r])
                && bt_layout_re_match(m, c->regexes->pdata[r], m->view->body, strlen(m->view->body)))
                return TRUE;
        return FALSE;
    }
    return FALSE;
}

/* The first line in [p, limit) that `re` matches; NULL if none. */
const char *
bt_layout_find_line(Matcher *m, Regex *re, const char *p, const char *limit, Line *found)
{
    Line line;
    if (!bt_body_may_match(&m->lit, re))
        return NULL;
    for (; bt_layout_line_at(p, limit, &line); p = line.next)
        if (bt_layout_re_match(m, re, line.start, line.len)) {
            *found = line;
            return line.start;
        }
    return NULL;
}

/* Where in the subject the named group of the last match lies (the first
 * of duplicate names that took part), as bt_layout_take_captures reads it. */
gboolean
bt_layout_group_span(Matcher *m, Regex *re, gsize len, const char *name, gsize *start, gsize *end)
{
    PCRE2_SPTR first, last;
    int size = pcre2_substring_nametable_scan(code_for_match(re, len), (PCRE2_SPTR) name, &first, &last);
    if (size < 0)
        return FALSE;
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    guint32 count = pcre2_get_ovector_count(m->md);
    for (PCRE2_SPTR e = first; e <= last; e += size) {
        guint32 n = ((guint32) e[0] << 8) | e[1];
        if (n < count && ov[2 * n] != PCRE2_UNSET) {
            *start = ov[2 * n];
            *end = ov[2 * n + 1];
            return TRUE;
        }
    }
    return FALSE;
}

/* `split-before`: a copy of [start, limit) with a line break before each
 * match of `re`, for notices that put every recipient's record on one line
 * (a JSON array).  Empty matches advance by one byte. */
char *
bt_layout_split_lines_before(Matcher *m, Regex *re, const char *start, const char *limit)
{
    GString *out = g_string_sized_new(limit - start + 64);
    const gsize len = limit - start;
    gsize at = 0;
    while (at < len && pcre2_match(code_for_match(re, len - at), (PCRE2_SPTR) start, len, at, 0,
                                   m->md, m->lays->mctx) >= 0) {
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        gsize from = ov[0], to = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        if (from >= len)
            break;
        g_string_append_len(out, start + at, from - at);
        if (out->len && out->str[out->len - 1] != '\n')
            g_string_append_c(out, '\n');
        g_string_append_len(out, start + from, to - from);
        at = to;
    }
    if (at < len)
        g_string_append_len(out, start + at, len - at);
    return g_string_free(out, FALSE);
}

void
bt_layout_matcher_clear(Matcher *m)
{
    pcre2_match_data_free(m->md);
    bt_body_literals_clear(&m->lit);
    if (m->header_memo)
        g_hash_table_destroy(m->header_memo);
    if (m->header_values)
        g_hash_table_destroy(m->header_values);
}

gboolean
bt_layout_match_holds(const BtLayouts *lays, const LayoutIndex *ix, const BtMsgView *view, guint i)
{
    const Cond *match = bt_layout_match(lays->layouts->pdata[i]);
    Matcher m = { .lays = lays, .view = view, .md = pcre2_match_data_create(MAX_GROUPS, NULL),
                  .lit = { .ix = ix, .body = view->body } };
    gboolean holds = (!ix || bt_layout_may_hold(&m.lit, i)) && (!match || bt_layout_cond_holds(&m, match));
    bt_layout_matcher_clear(&m);
    return holds;
}
