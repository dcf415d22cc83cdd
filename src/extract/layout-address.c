/* layout-address — a block's recipient address: cleaning what a pattern
 * captured, blocks for the recipients a header lists when the body names
 * none, and completing a bare local part (from the headers, the
 * original's To/Cc, the notice's From or Message-ID, or the address an
 * earlier block was expanded from).  Used by layout.c and layout-blocks.c. */
#include "extract/layout-private.h"
#include "extract/decode.h"
#include "extract/text.h"
#include "core/lean-mime.h"

#include <string.h>

/* An address from a capture: without <>, quotes, "mailto:", trailing
 * punctuation; NULL unless it looks like local@domain. */
char *
bt_layout_clean_address(const char *s)
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
    /* keep the "]" that closes an address literal, local@[192.0.2.1]
     * (RFC 5321 4.1.3; Exim's "domain literals not allowed" names one) */
    const char *lit = strstr(p, "@[");
    while (n && strchr(">\"'.,;:)]", p[n - 1])) {
        if (p[n - 1] == ']' && lit && !memchr(lit, ']', (gsize) (p + n - 1 - lit)))
            break;
        p[--n] = '\0';
    }
    const char *at = strchr(p, '@');
    if (!at || at == p || !at[1] || strpbrk(p, " \t<>") || strchr(at + 1, '@'))
        return NULL;
    return g_strdup(p);
}

/* The value of header `name` in the header block that starts at `p`
 * (the inline copy of the original), unfolded; NULL if absent. */
static char *
inline_header(const char *p, const char *name)
{
    gsize n = strlen(name);
    GString *value = NULL;
    Line line;
    for (; bt_layout_line_at(p, p + strlen(p), &line) && !bt_layout_line_is_blank(&line); p = line.next) {
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
void
bt_layout_header_blocks(Matcher *m, const Layout *lay, const char *region, gsize len,
                        const char *copy, GPtrArray *blocks)
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
char *
bt_layout_complete_from_headers(Matcher *m, const Layout *lay, const char *local)
{
    if (!local || strchr(local, '@') || !lay->recipient_headers || !m->view->mime)
        return NULL;
    for (char **name = lay->recipient_headers; *name; name++) {
        const char *value = bt_mime_top_get(m->view->top, *name);
        g_auto(GStrv) parts = value ? g_strsplit_set(value, ",;", -1) : NULL;
        for (char **part = parts; part && *part; part++) {
            char *addr = bt_layout_clean_address(*part);
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
            char *addr = bt_layout_clean_address(lt ? lt : *part);
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

/* `local` spelt as the notice's From spells it, when that address is one
 * of the list's own (LIST-owner@, LIST-request@, LIST-bounces@: the
 * addresses list managers answer from) and the notice names the list by a
 * display form of its name (Mailman 3 capitalizes it); NULL otherwise. */
static char *
list_spelling_in(const char *from, const char *local)
{
    g_autofree char *addr = from ? bt_layout_clean_address(strchr(from, '<') ? strchr(from, '<') : from) : NULL;
    gsize n = strlen(local);
    if (!addr || g_ascii_strncasecmp(addr, local, n) != 0 || addr[n] != '-' || !strchr(addr + n, '@'))
        return NULL;
    return g_strndup(addr, n);
}

/* A recipient captured as a bare local part, completed the ways the
 * layout's `local-domain` lists, in order: the original's To/Cc address
 * with that local part, or the domain of the notice's From or Message-ID
 * (the host that reports on its own users; with the From's spelling of
 * the list name when it comes from one of the list's addresses). */
char *
bt_layout_complete_local_part(Matcher *m, const Layout *lay, const char *local, const char *copy)
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
            const char *from = bt_mime_top_get(top, "From");
            domain = domain_of(*way == LOCAL_DOMAIN_SENDER ? from : bt_mime_top_get(top, "Message-ID"));
            g_autofree char *spelt = *way == LOCAL_DOMAIN_SENDER ? list_spelling_in(from, local) : NULL;
            if (domain && spelt)
                return g_strdup_printf("%s@%s", spelt, domain);
        }
        if (domain)
            return g_strdup_printf("%s@%s", local, domain);
    }
    return NULL;
}

/* The recipient of an earlier block (before `upto`) that an `in-block:
 * parent` line named for `child`, the address or program its own line
 * gave (Sendmail's '"|/usr/local/bin/prog"' then "(expanded from:
 * <ADDR>)"): a later line for `child` (the transcript's '554 5.0.0
 * "|/usr/local/bin/prog"... Service unavailable') reports the same
 * delivery.  NULL if none. */
char *
bt_layout_expanded_parent(GPtrArray *blocks, guint upto, const char *child)
{
    for (guint i = 0; child && i < upto; i++) {
        const Block *b = blocks->pdata[i];
        if (b->got.alias_expanded && g_strcmp0(b->got.v[F_ALIAS], child) == 0 && strchr(b->got.v[F_RECIPIENT], '@'))
            return g_strdup(b->got.v[F_RECIPIENT]);
    }
    return NULL;
}
