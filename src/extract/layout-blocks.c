/* layout-blocks — scanning a notice into recipient blocks (a recipient
 * line, the `before` lines that lead it and the diagnostic lines after
 * it), the per-recipient sections of a transcript, and the values a
 * layout's `fields` and `common` patterns give each block.  Used by one
 * layout's extraction (layout.c). */
#include "extract/layout-private.h"
#include "extract/decode.h"

#include <string.h>

/* Copies into `dst` the fields of `src` that `dst` lacks; with
 * `apart`, not those `src` captured with its diagnostic (a reply's code
 * and status belong to that reply, not to a recipient with a diagnostic
 * of its own). */
void
bt_layout_values_fill_from(Values *dst, const Values *src, gboolean apart)
{
    for (int f = 0; f < N_FIELDS; f++) {
        if (dst->v[f] || !src->v[f] || (apart && src->with_diagnostic[f]))
            continue;
        dst->v[f] = g_strdup(src->v[f]);
        if (f == F_ALIAS)
            dst->alias_expanded = src->alias_expanded;
    }
}

void
bt_layout_values_fill(Values *dst, const Values *src)
{
    bt_layout_values_fill_from(dst, src, FALSE);
}

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
    bt_layout_take_captures(m, &b->got);
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
        if (sc->before_may[i] && bt_layout_re_match(m, sc->lay->befores->pdata[i], line->start, line->len))
            return TRUE;
    return FALSE;
}

/* Keeps a `before` line for the next recipient; a blank line drops them,
 * unless it parts a heading ("Reason:") from the text below it, which is
 * read at the heading's indentation (BtBelow) and stands for it. */
static void
note_before_line(Matcher *m, const Scan *sc, const Line *line, GString *lead, BtBelow *bw)
{
    if (bt_layout_line_is_blank(line)) {
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
        if (sc->recipient_may[i] && bt_layout_re_match(m, p->re, line->start, line->len))
            return p;
    }
    return NULL;
}

static gboolean
is_stop_line(Matcher *m, const Scan *sc, const Line *line)
{
    for (guint i = 0; i < sc->lay->stops->len; i++)
        if (sc->stop_may[i] && bt_layout_re_match(m, sc->lay->stops->pdata[i], line->start, line->len))
            return TRUE;
    return FALSE;
}

/* A recipient-like line inside a block that names the block recipient's
 * alias (`in-block: alias`): the alias is kept, and the line joins the
 * block's text but not its diagnostic. */
static void
note_alias_line(Matcher *m, Block *cur, const Line *line)
{
    g_autofree char *alias = bt_layout_group_value(m, "recipient");
    g_autofree char *clean = bt_layout_clean_address(alias);
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
    g_autofree char *parent = bt_layout_group_value(m, "recipient");
    char *clean = bt_layout_clean_address(parent);
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
GPtrArray *
bt_layout_scan_blocks(Matcher *m, const Layout *lay, const char *p, const char *limit)
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
    for (; bt_layout_line_at(p, limit, &line); p = line.next) {
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
        } else if (bt_layout_line_is_blank(&line)) {
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
        if (bt_layout_re_match(m, p->re, line->start, line->len))
            return p;
    }
    return NULL;
}

/* The per-recipient sections of [p, limit) (`sections`), by lower-cased
 * address: a title line names the recipient (a title may wrap: its text
 * starts after the first blank line), the text runs to the next title or
 * stop line.  Exim's "------ ADDR ------" transcripts are such sections. */
GHashTable *
bt_layout_scan_sections(Matcher *m, const Layout *lay, const char *p, const char *limit)
{
    GHashTable *sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) string_free_all);
    GString *cur = NULL;
    gboolean in_title = FALSE;
    g_autofree gboolean *stop_may = may_match_each(m, lay->stops, FALSE);
    const Scan sc = { lay, NULL, stop_may, NULL };
    Line line;
    for (; lay->sections->len && bt_layout_line_at(p, limit, &line); p = line.next) {
        if (match_section_title(m, lay, &line)) {
            g_autofree char *raw = bt_layout_group_value(m, "recipient");
            g_autofree char *addr = bt_layout_clean_address(raw);
            char *key = addr ? bt_ascii_strdown(addr, -1) : NULL;
            cur = NULL;
            in_title = TRUE;
            if (key && !g_hash_table_contains(sections, key)) {
                cur = g_string_new(NULL);
                g_hash_table_insert(sections, g_steal_pointer(&key), cur);
            }
            g_free(key);
        } else if (in_title) {
            in_title = !bt_layout_line_is_blank(&line);
        } else if (is_stop_line(m, &sc, &line)) {
            cur = NULL;
        } else if (cur && (cur->len || !bt_layout_line_is_blank(&line))) {
            g_string_append_len(cur, line.start, line.len);
            g_string_append_c(cur, '\n');
        }
    }
    return sections;
}

/* Runs field patterns over `text`: the first capture of each field wins,
 * and so do the `set` values of the first pattern that matches.  A
 * diagnostic that is the first line of a multi-line reply gets its later
 * lines (bt_reply_join_lines). */
void
bt_layout_run_fields(Matcher *m, const GPtrArray *pats, const char *text, gsize len,
                     Values *caught, Values *fixed)
{
    for (guint i = 0; i < pats->len; i++) {
        const Pattern *p = pats->pdata[i];
        if (!bt_body_may_match(&m->lit, p->re) || !bt_layout_re_match(m, p->re, text, len))
            continue;
        gboolean had[N_FIELDS];
        for (int f = 0; f < N_FIELDS; f++)
            had[f] = caught->v[f] != NULL;
        const gboolean had_diag = had[F_DIAGNOSTICCODE];
        bt_layout_take_captures(m, caught);
        /* what the match that gave the diagnostic captured with it */
        for (int f = 0; f < N_FIELDS && !had_diag && caught->v[F_DIAGNOSTICCODE]; f++)
            caught->with_diagnostic[f] = caught->with_diagnostic[f] || (!had[f] && caught->v[f]);
        gsize start, end;
        if (!had_diag && caught->v[F_DIAGNOSTICCODE]
            && bt_layout_group_span(m, p->re, len, bt_layout_field_names[F_DIAGNOSTICCODE], &start, &end)) {
            char *joined = bt_reply_join_lines(text, len, start, end);
            if (joined) {
                g_free(caught->v[F_DIAGNOSTICCODE]);
                caught->v[F_DIAGNOSTICCODE] = joined;
            }
        }
        bt_layout_values_fill(fixed, &p->set);
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

/* The final values of one block: captures beat fixed values; the block's
 * own captures beat `fields`, which beat `common`.  The recipient's
 * section, if any, is read by `fields` with the block and gives the
 * diagnostic when the block has none.  A block with a diagnostic of its
 * own takes none of the codes `common` captured with its diagnostic
 * (the "<<< 552 …" of another recipient's session). */
void
bt_layout_block_values(Matcher *m, const Layout *lay, Block *b, const GString *section,
                       const Values *common_caught, const Values *common_fixed, Values *out)
{
    Values caught = { 0 }, fixed = { 0 };
    if (section) {
        g_autofree char *text = g_strjoin("\n", b->block->str, section->str, NULL);
        bt_layout_run_fields(m, lay->fields, text, strlen(text), &caught, &fixed);
    } else {
        bt_layout_run_fields(m, lay->fields, b->block->str, b->block->len, &caught, &fixed);
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

    bt_layout_values_fill(out, &b->got);
    g_clear_pointer(&out->v[F_DIAGNOSTICCODE], g_free);
    out->v[F_DIAGNOSTICCODE] = squeeze(diag);
    bt_layout_values_fill(out, &caught);
    out->own_line = b->pattern->own_line;
    out->led = b->lead->len > 0;
    if (out->common_diagnostic)
        bt_layout_values_fill(out, common_caught);
    else if (!out->own_line)
        bt_layout_values_fill_from(out, common_caught, TRUE);
    bt_layout_values_fill(out, &b->pattern->set);
    bt_layout_values_fill(out, &fixed);
    if (!out->own_line)
        bt_layout_values_fill(out, common_fixed);
    bt_layout_values_fill(out, &lay->set);
    bt_layout_values_clear(&caught);
    bt_layout_values_clear(&fixed);
}
