/* layout — matching the free-text bounce layouts (loaded and compiled by
 * layout-load.c) against a message view, to produce one record per
 * recipient.
 *
 * The loaded set is read-only, so one BtLayouts serves many threads: each
 * call makes its own match data.
 *
 * This file tries one layout on a message (layout_extract) and chooses
 * the reading that says most (bt_layouts_extract); the Matcher is in
 * layout-match.c, the recipient blocks and their values in
 * layout-blocks.c, their addresses in layout-address.c and the records in
 * layout-records.c. */
#include "extract/layout-private.h"
#include "extract/generic-lines.h"

#include <string.h>

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
    if (!lay->end || !bt_layout_line_at(start, limit, &first))
        return limit;
    const char *from = lay->begin ? first.next : start;
    return bt_layout_find_line(m, lay->end, from, limit, &mark) ? mark.start : limit;
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
        bt_layout_run_fields(m, lay->common, reread, strlen(reread), caught, fixed);
}

/* Where the notice's own text starts: after a header block it opens
 * with (a gateway's trace, Received: and X- fields copied above the
 * notice, as Lotus and some appliances write it), whose "for <ADDR>" and
 * X-Envelope-To name the sender, never a failed recipient. */
static const char *
after_leading_trace(const char *body, const char *limit)
{
    Line line;
    if (!bt_layout_line_at(body, limit, &line) || !memchr(line.start, ':', line.len))
        return body;
    char *lines[8] = { NULL };
    const char *p = body;
    for (int i = 0; i < 7 && bt_layout_line_at(p, limit, &line); i++, p = line.next)
        lines[i] = g_strndup(line.start, line.len);
    gboolean trace = gen_starts_header_block(lines, 0);
    for (int i = 0; lines[i]; i++)
        g_free(lines[i]);
    if (!trace)
        return body;
    for (p = body; bt_layout_line_at(p, limit, &line); p = line.next)
        if (bt_layout_line_is_blank(&line))
            return line.next;
    return body;
}

/* Tries one layout; TRUE when it matched and found recipients. */
static gboolean
layout_extract(Matcher *m, const Layout *lay, GPtrArray *records, gsize *original_at)
{
    const Cond *match = bt_layout_match((Layout *) lay);
    if (match && !bt_layout_cond_holds(m, match))
        return FALSE;
    bt_layout_complete((Layout *) lay);
    const char *body = m->view->body;
    const char *limit = body + strlen(body), *start = after_leading_trace(body, limit);
    Line mark;
    if (lay->begin && !(start = bt_layout_find_line(m, lay->begin, start, limit, &mark)))
        return FALSE;
    const char *copy = NULL;
    if (lay->original && bt_layout_find_line(m, lay->original, start, limit, &mark)) {
        limit = mark.start;
        for (copy = mark.next;
             bt_layout_line_at(copy, body + strlen(body), &mark) && bt_layout_line_is_blank(&mark);)
            copy = mark.next;
    }

    g_autofree char *split = NULL;
    if (lay->split_before) {
        split = bt_layout_split_lines_before(m, lay->split_before, start, limit);
        start = split;
        limit = split + strlen(split);
    }
    const char *list_end = list_end_at(m, lay, start, limit);
    g_autoptr(GPtrArray) blocks = bt_layout_scan_blocks(m, lay, start, list_end);
    if (!blocks->len)
        bt_layout_header_blocks(m, lay, start, limit - start, copy, blocks);
    g_autoptr(GHashTable) sections = bt_layout_scan_sections(m, lay, start, limit);

    Values common_caught = { 0 }, common_fixed = { 0 };
    if (blocks->len)
        run_common_reread(m, lay, start, limit, &common_caught, &common_fixed);
    bt_layout_run_fields(m, lay->common, start, limit - start, &common_caught, &common_fixed);
    g_autoptr(GPtrArray) all_vals = g_ptr_array_new_with_free_func((GDestroyNotify) values_free);
    for (guint i = 0; i < blocks->len; i++) {
        Block *b = blocks->pdata[i];
        char *rcpt = bt_layout_clean_address(b->got.v[F_RECIPIENT]);
        if (!rcpt)
            rcpt = bt_layout_complete_from_headers(m, lay, b->got.v[F_RECIPIENT]);
        if (!rcpt)
            rcpt = bt_layout_complete_local_part(m, lay, b->got.v[F_RECIPIENT], copy);
        if (!rcpt)
            rcpt = bt_layout_expanded_parent(blocks, i, b->got.v[F_RECIPIENT]);
        if (!rcpt)
            continue;
        g_free(b->got.v[F_RECIPIENT]);
        b->got.v[F_RECIPIENT] = rcpt;
        g_autofree char *key = bt_ascii_strdown(rcpt, -1);
        Values *v = g_new0(Values, 1);
        bt_layout_block_values(m, lay, b, g_hash_table_lookup(sections, key), &common_caught,
                               &common_fixed, v);
        g_ptr_array_add(all_vals, v);
    }
    bt_layout_values_clear(&common_caught);
    bt_layout_values_clear(&common_fixed);
    if (!all_vals->len)
        return FALSE;
    bt_layout_add_records(lay, all_vals, records, &m->repeated);
    *original_at = copy ? (gsize) (copy - body) : G_MAXSIZE;
    return TRUE;
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
    bt_layout_matcher_clear(&m);
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
