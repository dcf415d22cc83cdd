/* quoted — the reply a wrapper's wording quotes.  Some verdicts only say
 * that a message waited too long ("550 4.4.7 QUEUE.Expired; message
 * expired [Message=450 4.7.1 … cannot find your hostname]", or the same
 * with the attempt history below it); the cause is the last attempt's
 * reply they quote.
 * A rule's `quoted` list says where that reply is: patterns over the
 * record's diagnostic or the whole bounce text whose last match (after
 * `\K`) is the reply.  apply.c then lets the rules read it as a diagnostic. */
#include "rules/rules-private.h"

#include <string.h>

/* A quoted reply shorter than this ("451") names nothing. */
#define MIN_REPLY_CHARS 8

static void
quote_free(BtQuote *q)
{
    if (!q)
        return;
    bt_regex_free(q->re);
    g_free(q);
}

static BtQuote *
parse_quote(BtLoadCtx *ctx, const yaml_node_t *item)
{
    const yaml_node_t *k, *v;
    if (!bt_yaml_one_pair(ctx, item, "a 'quoted' entry must be a one-key mapping: diagnosticcode or text → pattern",
                          &k, &v))
        return NULL;
    const char *where = bt_yaml_scalar(k);
    gboolean in_text = g_strcmp0(where, "text") == 0;
    if (!in_text && g_strcmp0(where, "diagnosticcode") != 0) {
        bt_load_error(ctx, k, "unknown key '%s' in quoted (expected diagnosticcode or text)", where ? where : "?");
        return NULL;
    }
    const char *pattern = bt_yaml_scalar(v);
    if (!pattern || !*pattern || bt_yaml_is_null(v)) {
        bt_load_error(ctx, v, "'quoted.%s' must be a pattern, not %s", where, bt_yaml_kind_name(v));
        return NULL;
    }
    BtRegex *re = bt_regex_compile(ctx, v, pattern);
    if (!re)
        return NULL;
    BtQuote *q = g_new0(BtQuote, 1);
    q->in_text = in_text;
    q->re = re;
    return q;
}

GPtrArray *
bt_quotes_parse(BtLoadCtx *ctx, const yaml_node_t *seq)
{
    if (seq->type != YAML_SEQUENCE_NODE || bt_yaml_is_null(seq)) {
        bt_load_error(ctx, seq, "'quoted' must be a sequence, not %s", bt_yaml_kind_name(seq));
        return NULL;
    }
    GPtrArray *quotes = g_ptr_array_new_with_free_func((GDestroyNotify) quote_free);
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        BtQuote *q = parse_quote(ctx, bt_yaml_node(ctx, *it));
        if (q)
            g_ptr_array_add(quotes, q);
    }
    return quotes;
}

/* The last match of `re` in `subject`. */
static gboolean
last_match(BtRegex *re, const char *subject, gsize *start, gsize *end)
{
    gsize len = strlen(subject), from = 0, s, e;
    gboolean found = FALSE;
    while (bt_regex_match_from(re, subject, len, from, &s, &e)) {
        *start = s;
        *end = e;
        found = TRUE;
        from = e > from ? e : from + 1;
    }
    return found;
}

char *
bt_quotes_find(const GPtrArray *quotes, const char *diagnostic, const char *text)
{
    for (guint i = 0; quotes && i < quotes->len; i++) {
        const BtQuote *q = quotes->pdata[i];
        const char *subject = q->in_text ? text : diagnostic;
        gsize start, end;
        if (!subject || !last_match(q->re, subject, &start, &end))
            continue;
        g_autofree char *reply = g_strndup(subject + start, end - start);
        g_strstrip(reply);
        if (g_utf8_strlen(reply, -1) >= MIN_REPLY_CHARS)
            return g_steal_pointer(&reply);
    }
    return NULL;
}

/* The length of the run of at most three digits at p. */
static gsize
number_at(const char *p)
{
    gsize n = 0;
    while (n < 3 && g_ascii_isdigit(p[n]))
        n++;
    return n;
}

/* "450 4.7.1 Client host …": the codes a reply opens with, as an SMTP
 * server writes them (RFC 5321 4.2, RFC 2034 4). */
void
bt_quote_codes(const char *reply, int *replycode, char **status)
{
    *replycode = 0;
    *status = NULL;
    const char *p = reply;
    if (p[0] >= '2' && p[0] <= '5' && number_at(p) == 3 && (p[3] == ' ' || p[3] == '-')) {
        *replycode = (int) g_ascii_strtoll(p, NULL, 10);
        p += 4;
    }
    if (!(p[0] >= '2' && p[0] <= '5') || p[1] != '.')
        return;
    gsize subject = number_at(p + 2);
    if (!subject || p[2 + subject] != '.')
        return;
    gsize end = 3 + subject, detail = number_at(p + end);
    end += detail;
    if (!detail || g_ascii_isdigit(p[end]) || (p[end] && !g_ascii_isspace(p[end]) && !strchr(";,:.)]", p[end])))
        return;
    *status = g_strndup(p, end);
}
