/* layout — matching the free-text bounce layouts (loaded and compiled by
 * layout-load.c) against a message view, to produce one record per
 * recipient.
 *
 * The loaded set is read-only, so one BtLayouts serves many threads: each
 * call makes its own match data. */
#include "extract/layout-private.h"
#include "extract/decode.h"
#include "extract/extract.h"
#include "extract/text.h"
#include "extract/generic-lines.h"
#include "core/literals.h"
#include "core/lean-mime.h"

#include <string.h>

static char *clean_address(const char *s);

/* Copies into `dst` the fields of `src` that `dst` lacks; with
 * `apart`, not those `src` captured with its diagnostic (a reply's code
 * and status belong to that reply, not to a recipient with a diagnostic
 * of its own). */
static void
values_fill_from(Values *dst, const Values *src, gboolean apart)
{
    for (int f = 0; f < N_FIELDS; f++) {
        if (dst->v[f] || !src->v[f] || (apart && src->with_diagnostic[f]))
            continue;
        dst->v[f] = g_strdup(src->v[f]);
        if (f == F_ALIAS)
            dst->alias_expanded = src->alias_expanded;
    }
}

static void
values_fill(Values *dst, const Values *src)
{
    values_fill_from(dst, src, FALSE);
}

/* ==== matching ============================================================ */

/* Per-call state: match data is never shared between threads. */
typedef struct {
    const BtLayouts *lays;
    const BtMsgView *view;
    pcre2_match_data *md;
    BtBodyLiterals lit;      /* which regexes the body's literals rule out (layout-index.c) */
    GHashTable *header_memo; /* Regex* → 1 (no) / 2 (yes): the shared bounce-notice
                              * regexes are asked once per layout otherwise */
    GHashTable *header_values; /* header name, any case → GPtrArray of its values
                              * (const char *), read once per name, not per regex */
    gboolean repeated;          /* a layout read a recipient twice */
} Matcher;

static const pcre2_code *
code_for_match(Regex *re, gsize len)
{
    return bt_layout_regex_code(re, len);
}

static gboolean
re_match(Matcher *m, Regex *re, const char *s, gsize len)
{
    const pcre2_code *code = code_for_match(re, len);
    return code && pcre2_match(code, (PCRE2_SPTR) s, len, 0, 0, m->md, m->lays->mctx) >= 0;
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
        vals->v[f] = group_value(m, bt_layout_field_names[f]);
        if (!vals->v[f] && f == F_STATUS)
            vals->v[f] = group_value(m, "deliverystatus");
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
        holds = re_match(m, re, values->pdata[i], strlen(values->pdata[i]));
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
            if (bt_body_may_match(&m->lit, c->regexes->pdata[r])
                && re_match(m, c->regexes->pdata[r], m->view->body, strlen(m->view->body)))
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
    if (!bt_body_may_match(&m->lit, re))
        return NULL;
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
    bt_layout_values_clear(&b->got);
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

/* A layout's line patterns, with which of them can match anywhere in the
 * body (bt_body_may_match), asked once per scan rather than per line. */
typedef struct {
    const Layout *lay;
    gboolean *recipient_may, *stop_may, *before_may;
} Scan;

static gboolean *
may_match_each(Matcher *m, const GPtrArray *items, gboolean patterns)
{
    gboolean *may = g_new(gboolean, items->len + 1);
    for (guint i = 0; i < items->len; i++)
        may[i] = bt_body_may_match(&m->lit, patterns ? ((const Pattern *) items->pdata[i])->re : items->pdata[i]);
    return may;
}

static gboolean
is_before_line(Matcher *m, const Scan *sc, const Line *line)
{
    for (guint i = 0; i < sc->lay->befores->len; i++)
        if (sc->before_may[i] && re_match(m, sc->lay->befores->pdata[i], line->start, line->len))
            return TRUE;
    return FALSE;
}

/* Keeps a `before` line for the next recipient; a blank line drops them,
 * unless it parts a heading ("Reason:") from the text below it, which is
 * read at the heading's indentation (BtBelow) and stands for it. */
static void
note_before_line(Matcher *m, const Scan *sc, const Line *line, GString *lead, BtBelow *bw)
{
    if (line_is_blank(line)) {
        bt_below_blank(bw);
        if (!bw->after_heading)
            g_string_truncate(lead, 0);
        return;
    }
    gboolean parted = bw->after_heading && bw->crossed_blank, first;
    gsize cut = bt_below_cut(bw, line->start, line->len, &first);
    /* the blank line did part what came before, unless text stands
     * under the heading; a heading alone says nothing */
    if (parted && (!first || !strchr(lead->str, '\n')))
        g_string_truncate(lead, 0);
    const Line read = { line->start + cut, line->len - cut, line->next };
    /* a line of another kind parts the reply from what follows (Sendmail's
     * own "554 5.0.0 Service unavailable" for a refused MAIL FROM, the
     * next session's "... while talking to"): the reply was its answer */
    if (!is_before_line(m, sc, &read)) {
        if (!bw->after_heading)
            g_string_truncate(lead, 0);
        return;
    }
    if (lead->len)
        g_string_append_c(lead, '\n');
    g_string_append_len(lead, read.start, read.len);
}

static const Pattern *
match_recipient_line(Matcher *m, const Scan *sc, const Line *line)
{
    for (guint i = 0; i < sc->lay->recipients->len; i++) {
        const Pattern *p = sc->lay->recipients->pdata[i];
        if (sc->recipient_may[i] && re_match(m, p->re, line->start, line->len))
            return p;
    }
    return NULL;
}

static gboolean
is_stop_line(Matcher *m, const Scan *sc, const Line *line)
{
    for (guint i = 0; i < sc->lay->stops->len; i++)
        if (sc->stop_may[i] && re_match(m, sc->lay->stops->pdata[i], line->start, line->len))
            return TRUE;
    return FALSE;
}

/* A recipient-like line inside a block that names the block recipient's
 * alias (`in-block: alias`): the alias is kept, and the line joins the
 * block's text but not its diagnostic. */
static void
note_alias_line(Matcher *m, Block *cur, const Line *line)
{
    g_autofree char *alias = group_value(m, "recipient");
    g_autofree char *clean = clean_address(alias);
    /* a block naming its own address again is a paragraph printed twice */
    if (clean && cur->got.v[F_RECIPIENT] && g_ascii_strcasecmp(clean, cur->got.v[F_RECIPIENT]) == 0)
        m->repeated = TRUE;
    if (!cur->got.v[F_ALIAS])
        cur->got.v[F_ALIAS] = g_steal_pointer(&clean);
    g_string_append_c(cur->block, '\n');
    g_string_append_len(cur->block, line->start, line->len);
}

/* A line inside a block naming the address its recipient was expanded
 * from (`in-block: parent`): the record names that address, the block's
 * own address becomes its alias; the line joins the block's text but not
 * its diagnostic. */
static void
note_parent_line(Matcher *m, Block *cur, const Line *line)
{
    g_autofree char *parent = group_value(m, "recipient");
    char *clean = clean_address(parent);
    if (clean) {
        if (!cur->got.v[F_ALIAS]) {
            cur->got.v[F_ALIAS] = g_steal_pointer(&cur->got.v[F_RECIPIENT]);
            cur->got.alias_expanded = cur->got.v[F_ALIAS] != NULL;
        }
        g_free(cur->got.v[F_RECIPIENT]);
        cur->got.v[F_RECIPIENT] = clean;
    }
    g_string_append_c(cur->block, '\n');
    g_string_append_len(cur->block, line->start, line->len);
}

/* Walks [p, limit) line by line: a recipient line opens a block, the lines
 * after it are its diagnostic until a blank line (or the next recipient)
 * or a stop line, except that a diagnostic ending in a heading ("Reason:")
 * goes on with the text below it (BtBelow); `before` lines outside a diagnostic wait
 * for the next recipient line. */
static GPtrArray *
scan_blocks(Matcher *m, const Layout *lay, const char *p, const char *limit)
{
    GPtrArray *blocks = g_ptr_array_new_with_free_func((GDestroyNotify) block_free);
    g_autoptr(GString) lead = g_string_new(NULL);
    g_autofree gboolean *recipient_may = may_match_each(m, lay->recipients, TRUE);
    g_autofree gboolean *stop_may = may_match_each(m, lay->stops, FALSE);
    g_autofree gboolean *before_may = may_match_each(m, lay->befores, FALSE);
    const Scan sc = { lay, recipient_may, stop_may, before_may };
    Block *cur = NULL;
    gboolean collecting = FALSE;
    BtBelow bw = { 0 }, lead_bw = { 0 };
    Line line;
    for (; line_at(p, limit, &line); p = line.next) {
        const Pattern *rp = match_recipient_line(m, &sc, &line);
        if (rp && rp->in_block_alias && collecting) {
            note_alias_line(m, cur, &line);
            continue;
        }
        /* a second parent line: the block's address already has its
         * parent, so this one opens the block of a recipient whose own
         * line was no address (Sendmail's "|program" under an alias) */
        if (rp && rp->in_block_parent && collecting && !cur->got.alias_expanded) {
            note_parent_line(m, cur, &line);
            continue;
        }
        if (rp) {
            if (blocks->len > BT_MAX_RECIPIENTS)
                break;
            cur = block_new(m, rp, &line, lead);
            g_ptr_array_add(blocks, cur);
            collecting = TRUE;
            bw = (BtBelow) { 0 };
            lead_bw = (BtBelow) { 0 };
            continue;
        }
        if (!collecting) {
            note_before_line(m, &sc, &line, lead, &lead_bw);
            continue;
        }
        if (is_stop_line(m, &sc, &line)) {
            collecting = FALSE;
            note_before_line(m, &sc, &line, lead, &lead_bw);
        } else if (line_is_blank(&line)) {
            bt_below_blank(&bw);
            if (!lay->until_recipient && (cur->diag->len || !lay->skip_blank) && !bw.after_heading)
                collecting = FALSE;
        } else {
            gboolean first;
            gsize cut = bt_below_cut(&bw, line.start, line.len, &first);
            /* a heading alone says nothing: the text under it is the diagnostic */
            if (first && !strchr(cur->diag->str, '\n'))
                g_string_truncate(cur->diag, 0);
            if (cur->diag->len)
                g_string_append_c(cur->diag, '\n');
            g_string_append_len(cur->diag, line.start + cut, line.len - cut);
            g_string_append_c(cur->block, '\n');
            g_string_append_len(cur->block, line.start + cut, line.len - cut);
        }
    }
    return blocks;
}

static void
string_free_all(GString *s)
{
    g_string_free(s, TRUE);
}

static const Pattern *
match_section_title(Matcher *m, const Layout *lay, const Line *line)
{
    for (guint i = 0; i < lay->sections->len; i++) {
        const Pattern *p = lay->sections->pdata[i];
        if (re_match(m, p->re, line->start, line->len))
            return p;
    }
    return NULL;
}

/* The per-recipient sections of [p, limit) (`sections`), by lower-cased
 * address: a title line names the recipient (a title may wrap: its text
 * starts after the first blank line), the text runs to the next title or
 * stop line.  Exim's "------ ADDR ------" transcripts are such sections. */
static GHashTable *
scan_sections(Matcher *m, const Layout *lay, const char *p, const char *limit)
{
    GHashTable *sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) string_free_all);
    GString *cur = NULL;
    gboolean in_title = FALSE;
    g_autofree gboolean *stop_may = may_match_each(m, lay->stops, FALSE);
    const Scan sc = { lay, NULL, stop_may, NULL };
    Line line;
    for (; lay->sections->len && line_at(p, limit, &line); p = line.next) {
        if (match_section_title(m, lay, &line)) {
            g_autofree char *raw = group_value(m, "recipient");
            g_autofree char *addr = clean_address(raw);
            char *key = addr ? bt_ascii_strdown(addr, -1) : NULL;
            cur = NULL;
            in_title = TRUE;
            if (key && !g_hash_table_contains(sections, key)) {
                cur = g_string_new(NULL);
                g_hash_table_insert(sections, g_steal_pointer(&key), cur);
            }
            g_free(key);
        } else if (in_title) {
            in_title = !line_is_blank(&line);
        } else if (is_stop_line(m, &sc, &line)) {
            cur = NULL;
        } else if (cur && (cur->len || !line_is_blank(&line))) {
            g_string_append_len(cur, line.start, line.len);
            g_string_append_c(cur, '\n');
        }
    }
    return sections;
}

/* Where in the subject the named group of the last match lies (the first
 * of duplicate names that took part), as take_captures reads it. */
static gboolean
group_span(Matcher *m, Regex *re, gsize len, const char *name, gsize *start, gsize *end)
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

/* Runs field patterns over `text`: the first capture of each field wins,
 * and so do the `set` values of the first pattern that matches.  A
 * diagnostic that is the first line of a multi-line reply gets its later
 * lines (bt_reply_join_lines). */
static void
run_fields(Matcher *m, const GPtrArray *pats, const char *text, gsize len,
           Values *caught, Values *fixed)
{
    for (guint i = 0; i < pats->len; i++) {
        const Pattern *p = pats->pdata[i];
        if (!bt_body_may_match(&m->lit, p->re) || !re_match(m, p->re, text, len))
            continue;
        gboolean had[N_FIELDS];
        for (int f = 0; f < N_FIELDS; f++)
            had[f] = caught->v[f] != NULL;
        const gboolean had_diag = had[F_DIAGNOSTICCODE];
        take_captures(m, caught);
        /* what the match that gave the diagnostic captured with it */
        for (int f = 0; f < N_FIELDS && !had_diag && caught->v[F_DIAGNOSTICCODE]; f++)
            caught->with_diagnostic[f] = caught->with_diagnostic[f] || (!had[f] && caught->v[f]);
        gsize start, end;
        if (!had_diag && caught->v[F_DIAGNOSTICCODE]
            && group_span(m, p->re, len, bt_layout_field_names[F_DIAGNOSTICCODE], &start, &end)) {
            char *joined = bt_reply_join_lines(text, len, start, end);
            if (joined) {
                g_free(caught->v[F_DIAGNOSTICCODE]);
                caught->v[F_DIAGNOSTICCODE] = joined;
            }
        }
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
 * own captures beat `fields`, which beat `common`.  The recipient's
 * section, if any, is read by `fields` with the block and gives the
 * diagnostic when the block has none.  A block with a diagnostic of its
 * own takes none of the codes `common` captured with its diagnostic
 * (the "<<< 552 …" of another recipient's session). */
static void
block_values(Matcher *m, const Layout *lay, Block *b, const GString *section,
             const Values *common_caught, const Values *common_fixed, Values *out)
{
    Values caught = { 0 }, fixed = { 0 };
    if (section) {
        g_autofree char *text = g_strjoin("\n", b->block->str, section->str, NULL);
        run_fields(m, lay->fields, text, strlen(text), &caught, &fixed);
    } else {
        run_fields(m, lay->fields, b->block->str, b->block->len, &caught, &fixed);
    }

    g_autofree char *diag = NULL;
    if (b->got.v[F_DIAGNOSTICCODE])
        diag = g_strjoin(" ", b->got.v[F_DIAGNOSTICCODE], b->diag->str, NULL);
    else if (caught.v[F_DIAGNOSTICCODE])
        diag = g_strdup(caught.v[F_DIAGNOSTICCODE]);
    else if (b->diag->len)
        diag = g_strdup(b->diag->str);
    else if (section && section->len)
        diag = g_strdup(section->str);
    else
        out->common_diagnostic = (diag = g_strdup(common_caught->v[F_DIAGNOSTICCODE])) != NULL;
    if (b->lead->len) {
        char *led = g_strjoin(" ", b->lead->str, diag, NULL);
        g_free(diag);
        diag = led;
    }

    values_fill(out, &b->got);
    g_clear_pointer(&out->v[F_DIAGNOSTICCODE], g_free);
    out->v[F_DIAGNOSTICCODE] = squeeze(diag);
    values_fill(out, &caught);
    out->own_line = b->pattern->own_line;
    out->led = b->lead->len > 0;
    if (out->common_diagnostic)
        values_fill(out, common_caught);
    else if (!out->own_line)
        values_fill_from(out, common_caught, TRUE);
    values_fill(out, &b->pattern->set);
    values_fill(out, &fixed);
    if (!out->own_line)
        values_fill(out, common_fixed);
    values_fill(out, &lay->set);
    bt_layout_values_clear(&caught);
    bt_layout_values_clear(&fixed);
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
        const char *value = bt_mime_top_get(m->view->top, *name);
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
        const char *value = bt_mime_top_get(m->view->top, *name);
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

/* The domain of the (last) address in a header value, if it has a dot. */
static char *
domain_of(const char *value)
{
    const char *at = value ? strrchr(value, '@') : NULL;
    if (!at)
        return NULL;
    gsize n = strspn(at + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    g_autofree char *d = g_strndup(at + 1, n);
    while (n && d[n - 1] == '.')
        d[--n] = '\0';
    return n && strchr(d, '.') ? g_steal_pointer(&d) : NULL;
}

/* The address of the original's To or Cc whose local part is `local`. */
static char *
original_address_for(Matcher *m, const char *local, const char *copy)
{
    static const char *const names[] = { "To", "Cc" };
    const char *returned = m->view->returned_headers;
    for (gsize i = 0; i < G_N_ELEMENTS(names) && (copy || returned); i++) {
        g_autofree char *value = copy ? inline_header(copy, names[i]) : bt_header_block_get(returned, names[i]);
        g_auto(GStrv) parts = value ? g_strsplit_set(value, ",;", -1) : NULL;
        for (char **part = parts; part && *part; part++) {
            const char *lt = strchr(*part, '<');
            char *addr = clean_address(lt ? lt : *part);
            gsize n = strlen(local);
            if (addr && g_ascii_strncasecmp(addr, local, n) == 0 && addr[n] == '@')
                return addr;
            g_free(addr);
        }
    }
    return NULL;
}

static gboolean
is_local_part(const char *s)
{
    if (!s || !*s || *s == '.')
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && !strchr("._+-=", *s))
            return FALSE;
    return TRUE;
}

/* A recipient captured as a bare local part, completed the ways the
 * layout's `local-domain` lists, in order: the original's To/Cc address
 * with that local part, or the domain of the notice's From or Message-ID
 * (the host that reports on its own users). */
static char *
complete_local_part(Matcher *m, const Layout *lay, const char *local, const char *copy)
{
    if (!is_local_part(local))
        return NULL;
    for (const LocalDomain *way = lay->local_domain; *way != LOCAL_DOMAIN_NONE; way++) {
        g_autofree char *domain = NULL;
        const BtMimeTop *top = m->view->mime ? m->view->top : NULL;
        if (*way == LOCAL_DOMAIN_ORIGINAL_TO) {
            char *addr = original_address_for(m, local, copy);
            if (addr)
                return addr;
        } else if (top) {
            domain = domain_of(bt_mime_top_get(top, *way == LOCAL_DOMAIN_SENDER ? "From" : "Message-ID"));
        }
        if (domain)
            return g_strdup_printf("%s@%s", local, domain);
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
        [F_DIAGNOSTICTYPE] = &rec->diagnostictype, [F_FEEDBACKTYPE] = &rec->feedbacktype,
    };
    if (f == F_REPLYCODE) {
        /* only a code SMTP defines, as on the DSN path: a provider's own
         * "544 rejecting banned content" keeps its text, not its number */
        int code = atoi(v);
        rec->replycode = bt_reply_is_known(code) ? code : 0;
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

/* A recipient first named without a word of its own (Sendmail's list of
 * "addresses had transient non-fatal errors") took the notice's common
 * reply, which may be another recipient's ("<<< 451 Greylisting" in the
 * transcript); its `own-line` further on ("<b@example.org>... Deferred:
 * Connection refused by HOST."), or its line with the `before` lines that
 * lead it (the local mailer's "mail.local: unknown user: NAME" above
 * "554 <ADDR>... Service unavailable"), says what happened to it, with
 * its own codes or none. */
static void
take_own_diagnostic(Values *first, const Values *later)
{
    if (!first->common_diagnostic || !(later->own_line || later->led) || !later->v[F_DIAGNOSTICCODE])
        return;
    /* only a server's reply may be another recipient's: a verdict of the
     * notice's own ("Message could not be delivered for 5 days") is theirs
     * too */
    const char *borrowed = first->v[F_DIAGNOSTICCODE];
    if (!borrowed || !bt_reply_number_at(borrowed, borrowed, '4'))
        return;
    /* the reply among the recipient's own lines was its own after all */
    if (strstr(later->v[F_DIAGNOSTICCODE], borrowed))
        return;
    static const int own[] = { F_DIAGNOSTICCODE, F_REPLYCODE, F_STATUS };
    for (guint i = 0; i < G_N_ELEMENTS(own); i++) {
        g_free(first->v[own[i]]);
        first->v[own[i]] = g_strdup(later->v[own[i]]);
    }
    first->common_diagnostic = FALSE;
}

/* Adds a record per distinct recipient; a repeated recipient only fills
 * what the first mention lacked.  The address a recipient was expanded
 * to counts as that recipient: Sendmail lists "<child> (expanded from:
 * <parent>)" and then the transcript's "550 child... User unknown" for the
 * same delivery. */
static void
add_records(const Layout *lay, GPtrArray *all_vals, GPtrArray *records, gboolean *repeated)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) order = g_ptr_array_new();
    for (guint i = 0; i < all_vals->len; i++) {
        Values *v = all_vals->pdata[i];
        g_autofree char *key = bt_ascii_strdown(v->v[F_RECIPIENT], -1);
        Values *first = g_hash_table_lookup(seen, key);
        if (first) {
            take_own_diagnostic(first, v);
            values_fill(first, v);
            *repeated = TRUE;
            continue;
        }
        g_hash_table_insert(seen, g_steal_pointer(&key), v);
        g_ptr_array_add(order, v);
        if (v->alias_expanded && v->v[F_ALIAS]) {
            g_autofree char *child = bt_ascii_strdown(v->v[F_ALIAS], -1);
            if (!g_hash_table_contains(seen, child))
                g_hash_table_insert(seen, g_steal_pointer(&child), v);
        }
    }
    for (guint i = 0; i < order->len; i++)
        g_ptr_array_add(records, record_from(lay, order->pdata[i]));
}

static void
values_free(Values *v)
{
    bt_layout_values_clear(v);
    g_free(v);
}

/* Where the address list ends (`end`): at the first line after `start`
 * that matches it (the begin line is the list's heading, not its end);
 * else at `limit`. */
static const char *
list_end_at(Matcher *m, const Layout *lay, const char *start, const char *limit)
{
    Line first, mark;
    if (!lay->end || !line_at(start, limit, &first))
        return limit;
    const char *from = lay->begin ? first.next : start;
    return find_line(m, lay->end, from, limit, &mark) ? mark.start : limit;
}

/* `split-before`: a copy of [start, limit) with a line break before each
 * match of `re`, for notices that put every recipient's record on one line
 * (a JSON array).  Empty matches advance by one byte. */
static char *
split_lines_before(Matcher *m, Regex *re, const char *start, const char *limit)
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

/* `common` fills what it could not read in [start, limit) from the
 * region read the way layouts expect (a reply below a heading,
 * layout-reread.c), when that differs. */
static void
run_common_reread(Matcher *m, const Layout *lay, const char *start, const char *limit,
                  Values *caught, Values *fixed)
{
    if (!lay->common->len)
        return;
    g_autoptr(GArray) shifts = NULL;
    g_autofree char *reread = bt_layout_reread(start, limit - start, &shifts);
    if (reread)
        run_fields(m, lay->common, reread, strlen(reread), caught, fixed);
}

/* Where the notice's own text starts: after a header block it opens
 * with (a gateway's trace, Received: and X- fields copied above the
 * notice, as Lotus and some appliances write it), whose "for <ADDR>" and
 * X-Envelope-To name the sender, never a failed recipient. */
static const char *
after_leading_trace(const char *body, const char *limit)
{
    Line line;
    if (!line_at(body, limit, &line) || !memchr(line.start, ':', line.len))
        return body;
    char *lines[8] = { NULL };
    const char *p = body;
    for (int i = 0; i < 7 && line_at(p, limit, &line); i++, p = line.next)
        lines[i] = g_strndup(line.start, line.len);
    gboolean trace = gen_starts_header_block(lines, 0);
    for (int i = 0; lines[i]; i++)
        g_free(lines[i]);
    if (!trace)
        return body;
    for (p = body; line_at(p, limit, &line); p = line.next)
        if (line_is_blank(&line))
            return line.next;
    return body;
}

/* The recipient of an earlier block (before `upto`) that an `in-block:
 * parent` line named for `child`, the address or program its own line
 * gave (Sendmail's '"|/usr/local/bin/prog"' then "(expanded from:
 * <ADDR>)"): a later line for `child` (the transcript's '554 5.0.0
 * "|/usr/local/bin/prog"... Service unavailable') reports the same
 * delivery.  NULL if none. */
static char *
expanded_parent(GPtrArray *blocks, guint upto, const char *child)
{
    for (guint i = 0; child && i < upto; i++) {
        const Block *b = blocks->pdata[i];
        if (b->got.alias_expanded && g_strcmp0(b->got.v[F_ALIAS], child) == 0 && strchr(b->got.v[F_RECIPIENT], '@'))
            return g_strdup(b->got.v[F_RECIPIENT]);
    }
    return NULL;
}

/* Tries one layout; TRUE when it matched and found recipients. */
static gboolean
layout_extract(Matcher *m, const Layout *lay, GPtrArray *records, gsize *original_at)
{
    const Cond *match = bt_layout_match((Layout *) lay);
    if (match && !cond_holds(m, match))
        return FALSE;
    bt_layout_complete((Layout *) lay);
    const char *body = m->view->body;
    const char *limit = body + strlen(body), *start = after_leading_trace(body, limit);
    Line mark;
    if (lay->begin && !(start = find_line(m, lay->begin, start, limit, &mark)))
        return FALSE;
    const char *copy = NULL;
    if (lay->original && find_line(m, lay->original, start, limit, &mark)) {
        limit = mark.start;
        for (copy = mark.next; line_at(copy, body + strlen(body), &mark) && line_is_blank(&mark);)
            copy = mark.next;
    }

    g_autofree char *split = NULL;
    if (lay->split_before) {
        split = split_lines_before(m, lay->split_before, start, limit);
        start = split;
        limit = split + strlen(split);
    }
    const char *list_end = list_end_at(m, lay, start, limit);
    g_autoptr(GPtrArray) blocks = scan_blocks(m, lay, start, list_end);
    if (!blocks->len)
        header_blocks(m, lay, start, limit - start, copy, blocks);
    g_autoptr(GHashTable) sections = scan_sections(m, lay, start, limit);

    Values common_caught = { 0 }, common_fixed = { 0 };
    if (blocks->len)
        run_common_reread(m, lay, start, limit, &common_caught, &common_fixed);
    run_fields(m, lay->common, start, limit - start, &common_caught, &common_fixed);
    g_autoptr(GPtrArray) all_vals = g_ptr_array_new_with_free_func((GDestroyNotify) values_free);
    for (guint i = 0; i < blocks->len; i++) {
        Block *b = blocks->pdata[i];
        char *rcpt = clean_address(b->got.v[F_RECIPIENT]);
        if (!rcpt)
            rcpt = complete_from_headers(m, lay, b->got.v[F_RECIPIENT]);
        if (!rcpt)
            rcpt = complete_local_part(m, lay, b->got.v[F_RECIPIENT], copy);
        if (!rcpt)
            rcpt = expanded_parent(blocks, i, b->got.v[F_RECIPIENT]);
        if (!rcpt)
            continue;
        g_free(b->got.v[F_RECIPIENT]);
        b->got.v[F_RECIPIENT] = rcpt;
        g_autofree char *key = bt_ascii_strdown(rcpt, -1);
        Values *v = g_new0(Values, 1);
        block_values(m, lay, b, g_hash_table_lookup(sections, key), &common_caught, &common_fixed, v);
        g_ptr_array_add(all_vals, v);
    }
    bt_layout_values_clear(&common_caught);
    bt_layout_values_clear(&common_fixed);
    if (!all_vals->len)
        return FALSE;
    add_records(lay, all_vals, records, &m->repeated);
    *original_at = copy ? (gsize) (copy - body) : G_MAXSIZE;
    return TRUE;
}

static void
matcher_clear(Matcher *m)
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
    gboolean holds = (!ix || bt_layout_may_hold(&m.lit, i)) && (!match || cond_holds(&m, match));
    matcher_clear(&m);
    return holds;
}

/* How much a reading says: its recipients, then the diagnostics among
 * them. */
static guint
reading_weight(GPtrArray *records, guint from)
{
    guint said = 0;
    for (guint i = from; i < records->len; i++) {
        const BtRecord *r = records->pdata[i];
        said += r->diagnosticcode && *r->diagnosticcode;
    }
    return (records->len - from) * 1000 + said;
}

/* Does the diagnostic `text` hold, at the '@' `at`, an address in a form
 * the second reading reads and the first may not (layout-reread.c: in
 * double quotes of its own, after "SMTP:" or "mailto:") that is none of
 * the reading's recipients (from `from` on)?  Then the diagnostic has run
 * over another recipient's line. */
static gboolean
is_unread_rereadable(const char *text, const char *at, GPtrArray *records, guint from)
{
    const char *a = at, *z = at + 1;
    while (a > text && (g_ascii_isalnum(a[-1]) || strchr(".!#$%&*+/=?^_`{|}~-", a[-1])))
        a--;
    while (g_ascii_isalnum(*z) || *z == '.' || *z == '-')
        z++;
    while (z > at + 1 && z[-1] == '.')
        z--;
    if (a == at || z == at + 1)
        return FALSE;
    gboolean quoted = a > text && a[-1] == '"' && *z == '"';
    gboolean prefixed = (a - text >= 5 && g_ascii_strncasecmp(a - 5, "smtp:", 5) == 0)
        || (a - text >= 7 && g_ascii_strncasecmp(a - 7, "mailto:", 7) == 0);
    if (!quoted && !prefixed)
        return FALSE;
    for (guint i = from; i < records->len; i++) {
        const BtRecord *r = records->pdata[i];
        if (r->recipient && strlen(r->recipient) == (gsize) (z - a)
            && g_ascii_strncasecmp(r->recipient, a, z - a) == 0)
            return FALSE;
    }
    return TRUE;
}

/* Is a reading (from `from` on) complete: every record has its
 * diagnostic, and no diagnostic runs over an address the second reading
 * would read and this one did not take ("ADDR" in double quotes where
 * Exchange writes single ones)? */
static gboolean
all_said(GPtrArray *records, guint from)
{
    for (guint i = from; i < records->len; i++) {
        const BtRecord *r = records->pdata[i];
        if (!r->diagnosticcode || !*r->diagnosticcode)
            return FALSE;
        for (const char *at = strchr(r->diagnosticcode, '@'); at; at = strchr(at + 1, '@'))
            if (is_unread_rereadable(r->diagnosticcode, at, records, from))
                return FALSE;
    }
    return TRUE;
}

/* Does reading `a` (from a_from on) say more than reading `b`? */
static gboolean
reads_more(GPtrArray *a, guint a_from, GPtrArray *b, guint b_from)
{
    return reading_weight(a, a_from) > reading_weight(b, b_from);
}

/* The first layout in order that reads `view`. */
static gboolean
try_layouts(const BtLayouts *lays, const BtMsgView *view, GPtrArray *records, gsize *original_at,
            gboolean *repeated)
{
    Matcher m = { .lays = lays, .view = view, .md = pcre2_match_data_create(MAX_GROUPS, NULL),
                  .lit = { .ix = bt_layout_index_when_warm(lays), .body = view->body } };
    gboolean found = FALSE;
    for (guint i = 0; i < lays->layouts->len && !found; i++)
        if (!m.lit.ix || bt_layout_may_hold(&m.lit, i))
            found = layout_extract(&m, lays->layouts->pdata[i], records, original_at);
    if (repeated)
        *repeated = m.repeated;
    matcher_clear(&m);
    return found;
}

/* The end of the line at p (its newline, or the end of the text). */
static const char *
line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', end - p);
    return nl ? nl : end;
}

static gboolean
is_blank_span(const char *p, const char *e)
{
    for (; p < e; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r')
            return FALSE;
    return TRUE;
}

/* An alias loop prints a recipient's paragraph twice in a row (Exim's
 * "an undisclosed address (generated from ADDR)", a gateway's address
 * line under its heading): a layout reading both takes the copy for the
 * first one's reply.  The text with each paragraph naming an address that
 * repeats the one before it blanked (offsets kept), or NULL when none. */
static char *
without_repeated_paragraphs(const char *body, gsize len)
{
    const char *end = body + len, *prev = NULL;
    gsize prev_len = 0;
    char *out = NULL;
    for (const char *p = body; p < end; ) {
        const char *e = line_end(p, end);
        if (is_blank_span(p, e)) {
            p = e < end ? e + 1 : end;
            continue;
        }
        const char *start = p;           /* the paragraph: lines up to a blank one */
        while (p < end && !is_blank_span(p, e)) {
            p = e < end ? e + 1 : end;
            e = line_end(p, end);
        }
        gsize n = (p < end ? p - 1 : end) - start;
        if (prev && n == prev_len && memcmp(prev, start, n) == 0 && memchr(start, '@', n)) {
            if (!out)
                out = g_strndup(body, len);
            for (gsize k = 0; k < n; k++)
                if (out[start - body + k] != '\n')
                    out[start - body + k] = ' ';
        } else {
            prev = start;
            prev_len = n;
        }
    }
    return out;
}

gboolean
bt_layouts_extract(const BtLayouts *lays, const BtMsgView *view, GPtrArray *records,
                   gsize *original_at)
{
    *original_at = G_MAXSIZE;
    if (!view->body)
        return FALSE;
    guint before = records->len;
    gboolean repeated = FALSE;
    gboolean found = try_layouts(lays, view, records, original_at, &repeated);
    /* a recipient read twice may be a paragraph printed twice: then the
     * text is read again with the copy blanked (only then: the scan for
     * repeats costs a pass over every notice) */
    g_autofree char *once = found && repeated
        ? without_repeated_paragraphs(view->body, strlen(view->body)) : NULL;
    BtMsgView read_once;
    if (once) {
        read_once = *view;
        read_once.body = once;
        view = &read_once;
        g_ptr_array_set_size(records, before);
        *original_at = G_MAXSIZE;
        found = try_layouts(lays, view, records, original_at, NULL);
    }
    /* perhaps a layout reads more when the text is read the way layouts
     * expect (layout-reread.c): it may read nothing as the text stands, or
     * take a recipient from the original's header for want of its line
     * and its diagnostic with it; a reading that has every diagnostic is
     * kept without a second (the cost of a second reading per message) */
    if (found && all_said(records, before))
        return TRUE;
    g_autoptr(GArray) shifts = NULL;
    g_autofree char *lifted = bt_layout_reread(view->body, strlen(view->body), &shifts);
    if (!lifted)
        return found;
    g_autoptr(GPtrArray) again = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize again_at = G_MAXSIZE;
    BtMsgView moved = *view;   /* layouts read only body, mime, returned_headers */
    moved.body = lifted;
    if (!try_layouts(lays, &moved, again, &again_at, NULL)
        || (found && !reads_more(again, 0, records, before)))
        return found;
    g_ptr_array_set_size(records, before);
    for (guint i = 0; i < again->len; i++)
        g_ptr_array_add(records, g_steal_pointer(&again->pdata[i]));
    g_ptr_array_set_size(again, 0);
    *original_at = again_at != G_MAXSIZE ? bt_below_unlifted(shifts, again_at) : G_MAXSIZE;
    return TRUE;
}
