/* view — the decoded view of one message that every extract decoder reads:
 * the human-readable text (all text parts, decoded to UTF-8, LF line ends,
 * HTML reduced to text), the delivery-status / feedback-report content and
 * the returned original with its header block.  Built once per message. */
#include "extract/view.h"
#include "extract/text.h"

#include <string.h>

GByteArray *
bt_view_part_bytes(GMimePart *part)
{
    GMimeStream *decoded = bt_mime_part_decoded(part);
    if (!decoded)
        return NULL;
    GByteArray *array = g_byte_array_sized_new(4096);
    while (array->len < BT_VIEW_MAX_PART_TEXT) {
        guint8 buf[16384];
        ssize_t n = g_mime_stream_read(decoded, (char *) buf,
                                       MIN(sizeof buf, (gsize) (BT_VIEW_MAX_PART_TEXT - array->len)));
        if (n <= 0)
            break;
        g_byte_array_append(array, buf, (guint) n);
    }
    g_mime_stream_reset(decoded);   /* and the part's own stream under it */
    g_object_unref(decoded);
    return array;
}

/* The first BT_VIEW_MAX_PART_TEXT bytes of a leaf part without a transfer
 * encoding, where they lie: GMime's content of a part is a window on the
 * message's buffer (or on its own copy), so no stream needs to read it
 * out.  FALSE when the part needs decoding or its content is elsewhere. */
static gboolean
part_bytes_in_place(GMimePart *part, const char **data, gsize *len)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    GMimeContentEncoding encoding = content ? g_mime_data_wrapper_get_encoding(content) : GMIME_CONTENT_ENCODING_DEFAULT;
    if (!raw || !GMIME_IS_STREAM_MEM(raw) || encoding == GMIME_CONTENT_ENCODING_BASE64
        || encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE || encoding == GMIME_CONTENT_ENCODING_UUENCODE)
        return FALSE;
    GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(raw));
    if (!array)
        return FALSE;
    gint64 end = raw->bound_end < 0 ? (gint64) array->len : MIN(raw->bound_end, (gint64) array->len);
    if (raw->bound_start < 0 || raw->bound_start > end)
        return FALSE;
    /* an empty array may have no storage at all */
    *data = array->data ? (const char *) array->data + raw->bound_start : "";
    *len = MIN((gsize) (end - raw->bound_start), (gsize) BT_VIEW_MAX_PART_TEXT);
    return TRUE;
}

/* The text of a leaf part: transfer encoding and charset undone, LF ends. */
static char *
part_text(GMimeObject *obj)
{
    g_autofree char *charset = bt_mime_type_parameter(obj, "charset");
    const char *data;
    gsize len;
    if (part_bytes_in_place(GMIME_PART(obj), &data, &len))
        return bt_text_lf(bt_text_to_utf8(data, len, charset));
    g_autoptr(GByteArray) bytes = bt_view_part_bytes(GMIME_PART(obj));
    if (!bytes)
        return g_strdup("");
    return bt_text_lf(bt_text_to_utf8((const char *) bytes->data, bytes->len, charset));
}

static void
append_text(GString *dest, const char *text)
{
    if (!text || !*text)
        return;
    if (dest->len && dest->str[dest->len - 1] != '\n')
        g_string_append_c(dest, '\n');
    if (dest->len)
        g_string_append_c(dest, '\n');
    g_string_append(dest, text);
}

static gboolean
is_type(GMimeObject *obj, const char *type, const char *subtype)
{
    return bt_mime_is_type(obj, type, subtype);
}

/* Only the returned message's header block is read: its body is the
 * sender's, not the bounce's (extract.c parses it whole when it is a
 * report itself). */
static void
take_returned_message(BtMsgView *v, GMimeObject *obj)
{
    v->returned = obj;
    g_autoptr(BtMimeHead) head = bt_mime_enclosed_head(obj);
    if (!head)
        return;
    v->returned_report = head->report;
    if (*head->fields)
        v->returned_headers = bt_header_block_unfold(head->fields);
}

static void
take_returned_headers(BtMsgView *v, GMimeObject *obj)
{
    v->returned = obj;
    g_autofree char *text = part_text(obj);
    /* the header block ends at the first blank line, if any */
    char *blank = strstr(text, "\n\n");
    if (blank)
        blank[1] = '\0';
    if (*text)
        v->returned_headers = bt_header_block_unfold(text);
}

typedef struct {
    GString *body;
    GString *dsn;
    GMimeObject *decoded;       /* a leaf whose text pick_alternative decoded already */
    char *decoded_text;         /* its text (owned), taken by walk_leaf */
} Walk;

/* The text of a leaf, decoded now unless choosing it decoded it already. */
static char *
leaf_text(Walk *w, GMimeObject *obj)
{
    if (obj == w->decoded && w->decoded_text)
        return g_steal_pointer(&w->decoded_text);
    return part_text(obj);
}

/* Whether `text` names, at `at`, an address (local part '@' domain with
 * a dot) that `plain` does not hold; `text` is the HTML's text. */
static gboolean
address_missing_from(const char *plain, const char *text, const char *at)
{
    static const char local[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-";
    const char *start = at;
    while (start > text && start[-1] && strchr(local, start[-1]))
        start--;
    gsize domain = strspn(at + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    if (start == at || !domain || !memchr(at + 1, '.', domain))
        return FALSE;
    g_autofree char *address = g_strndup(start, at + 1 + domain - start);
    return !strstr(plain, address);
}

/* Whether the plain alternative is a stub beside the HTML one ("this
 * message is in HTML, ask postmaster@… for help"): less than half as
 * long as the HTML's text, which names an address the stub does not.
 * RFC 2046 §5.1.4 lets every alternative carry the same content, not
 * that each does; a notice whose plain part says nothing keeps its
 * recipients and replies in the HTML one.  `html` is the raw HTML. */
static gboolean
plain_is_stub(const char *plain, const char *html)
{
    gsize plain_len = strlen(plain);
    /* HTML's text is never longer than the HTML: most pairs stop here */
    if (plain_len * 2 >= strlen(html))
        return FALSE;
    g_autofree char *text = bt_html_to_text(html);
    if (plain_len * 2 >= strlen(text))
        return FALSE;
    for (const char *at = strchr(text, '@'); at; at = strchr(at + 1, '@'))
        if (address_missing_from(plain, text, at))
            return TRUE;
    return FALSE;
}

/* Of the alternatives, the plain text one unless it names no address
 * and an HTML one does, or is a stub beside it (plain_is_stub); else
 * the last (the richest).  The text decoded to choose is kept in `w`
 * for walk_leaf. */
static GMimeObject *
pick_alternative(GMimeMultipart *mp, Walk *w)
{
    int n = g_mime_multipart_get_count(mp);
    GMimeObject *plain = NULL, *html = NULL;
    for (int i = 0; i < n; i++) {
        GMimeObject *child = g_mime_multipart_get_part(mp, i);
        if (!plain && is_type(child, "text", "plain"))
            plain = child;
        else if (!html && is_type(child, "text", "html"))
            html = child;
    }
    if (plain && html) {
        g_autofree char *plain_text = part_text(plain);
        g_autofree char *html_text = part_text(html);
        gboolean has_at = strchr(plain_text, '@') != NULL;
        if ((!has_at && strchr(html_text, '@')) || (has_at && plain_is_stub(plain_text, html_text))) {
            w->decoded = html;
            w->decoded_text = g_steal_pointer(&html_text);
            return html;
        }
        w->decoded = plain;
        w->decoded_text = g_steal_pointer(&plain_text);
        return plain;
    }
    if (plain)
        return plain;
    return n > 0 ? g_mime_multipart_get_part(mp, n - 1) : NULL;
}

static void walk_object(BtMsgView *v, GMimeObject *obj, Walk *w, int depth);

/* `t`: the leaf's type, read once for all the questions below */
static void
walk_leaf(BtMsgView *v, GMimeObject *obj, const BtMimeType *t, Walk *w)
{
    /* XWall labels its RFC 3464 fields message/xdelivery-status
     * (Mail::DeliveryStatus::BounceParser reads it the same way) */
    if (bt_mime_type_matches(t, "message", "delivery-status")
        || bt_mime_type_matches(t, "message", "global-delivery-status")
        || bt_mime_type_matches(t, "message", "xdelivery-status")
        || bt_mime_type_matches(t, "message", "feedback-report")) {
        g_autofree char *text = part_text(obj);
        append_text(w->dsn, text);
    } else if (bt_mime_type_matches(t, "text", "rfc822-headers") || bt_mime_type_matches(t, "text", "rfc822-header")
               || bt_mime_type_matches(t, "message", "global-headers")) {
        if (!v->returned)
            take_returned_headers(v, obj);
    } else if (bt_mime_type_matches(t, "text", "html")) {
        g_autofree char *html = leaf_text(w, obj);
        g_autofree char *text = bt_html_to_text(html);
        append_text(w->body, text);
    } else if (bt_mime_type_matches(t, "text", "*")) {
        g_autofree char *text = leaf_text(w, obj);
        append_text(w->body, text);
    }
}

static void
walk_object(BtMsgView *v, GMimeObject *obj, Walk *w, int depth)
{
    if (!obj)
        return;
    if (depth > BT_VIEW_MAX_DEPTH) {
        v->too_deep = TRUE;
        return;
    }
    g_auto(BtMimeType) t = { NULL, NULL };
    if (GMIME_IS_PART(obj))
        bt_mime_type_of(obj, &t);
    if (GMIME_IS_MESSAGE_PART(obj) || (GMIME_IS_PART(obj) && bt_mime_is_enclosed_leaf(obj, &t))) {
        /* the first enclosed message is the returned original; text inside
         * any enclosed message is not the bounce's own text */
        if (!v->returned)
            take_returned_message(v, obj);
    } else if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        if (n > 0 && is_type(obj, "multipart", "alternative")) {
            walk_object(v, pick_alternative(mp, w), w, depth + 1);
            /* unused when a limit stopped the walk before the leaf */
            g_clear_pointer(&w->decoded_text, g_free);
            w->decoded = NULL;
            return;
        }
        for (int i = 0; i < n && !v->too_many_parts; i++)
            walk_object(v, g_mime_multipart_get_part(mp, i), w, depth + 1);
        /* no part at all: the boundary is wrong, and the whole report is
         * the text before the first (missing) boundary */
        const char *prologue = g_mime_multipart_get_prologue(mp);
        if (n == 0 && prologue) {
            gsize len = MIN(strlen(prologue), (gsize) BT_VIEW_MAX_PART_TEXT);
            g_autofree char *text = bt_text_to_utf8(prologue, len, NULL);
            append_text(w->body, bt_text_lf(text));
        }
    } else if (GMIME_IS_PART(obj)) {
        if (++v->parts > BT_VIEW_MAX_PARTS)
            v->too_many_parts = TRUE;
        else
            walk_leaf(v, obj, &t, w);
    }
}

/* Gateways print recipients in a report's own notation ("RFC822;
 * addr", Final-Recipient's address type, RFC 3464 §2.3.2) in their text
 * too; the type says nothing a reader of the text needs, so it goes
 * wherever an address follows it, and every decoder sees the address. */
/* Past the address type `type` at `s` ("RFC822;", "rfc822:") and the
 * blanks after it, else NULL. */
static const char *
past_type(const char *s, const char *type, gsize tlen)
{
    if (g_ascii_strncasecmp(s, type, tlen) != 0)
        return NULL;
    s += tlen;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s != ';' && *s != ':')
        return NULL;
    for (s++; *s == ' ' || *s == '\t'; s++)
        ;
    return s;
}

static char *
without_address_types(char *text)
{
    static const char type[] = "rfc822";
    const gsize tlen = sizeof type - 1;
    GString *out = NULL;
    const char *done = text;
    /* found by its digits, which few texts hold (an "r" is in every line) */
    for (const char *digits = strstr(text, "822"); digits; digits = strstr(digits + 1, "822")) {
        if (digits - text < 3)
            continue;
        const char *p = digits - 3;
        if (p < done || g_ascii_strncasecmp(p, type, 3) != 0 || (p > text && g_ascii_isalnum(p[-1])))
            continue;
        const char *q = p + tlen;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != ';' && *q != ':')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        /* the type written twice ("RFC822; RFC822; addr"), as gateways
         * print a Final-Recipient that already held it */
        for (const char *again; (again = past_type(q, type, tlen)); q = again)
            ;
        gsize word = strcspn(q, " \t\n<>,;\"'");
        if (*q == '<' || *q == '"')
            word = strcspn(q + 1, " \t\n>\"") + 1;
        if (!memchr(q, '@', word))
            continue;
        if (!out)
            out = g_string_new(NULL);
        g_string_append_len(out, done, p - done);
        done = q;
    }
    if (!out)
        return text;
    g_string_append(out, done);
    g_free(text);
    return g_string_free(out, FALSE);
}

/* The length of the display name and blanks that stand before "<addr>"
 * on a line that holds nothing else ('"Jonas Berg" <jonas@example.org>',
 * as Notes, Exchange and webmail notices list recipients), else 0.
 * `quote` is the display name's opening quote, after the indentation. */
static gsize
display_name_length(const char *quote)
{
    const char *close = strchr(quote + 1, '"');
    if (!close || memchr(quote, '\n', close - quote) || memchr(quote, '@', close - quote))
        return 0;
    const char *lt = close + 1;
    while (*lt == ' ' || *lt == '\t')
        lt++;
    if (*lt != '<' || lt == close + 1)
        return 0;
    gsize addr = strcspn(lt + 1, "<> \t\n\"");
    const char *gt = lt + 1 + addr;
    if (*gt != '>' || !memchr(lt + 1, '@', addr))
        return 0;
    for (const char *p = gt + 1; *p && *p != '\n'; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r')
            return 0;
    return lt - quote;
}

/* Recipients listed with a display name keep only their address: the
 * name says nothing about the delivery, and every decoder reads a list
 * item as "<addr>" alone on its line. */
static char *
without_display_names(char *text)
{
    GString *out = NULL;
    const char *done = text;
    /* found by the quote before the address, which few texts hold */
    for (const char *q = strstr(text, "\" <"); q; q = strstr(q + 1, "\" <")) {
        /* the opening quote: the first non-blank byte of q's line */
        const char *line = q;
        while (line > text && line[-1] != '\n')
            line--;
        const char *open = line;
        while (*open == ' ' || *open == '\t')
            open++;
        if (*open != '"' || open >= q || open < done)
            continue;
        gsize n = display_name_length(open);
        if (!n)
            continue;
        if (!out)
            out = g_string_new(NULL);
        g_string_append_len(out, done, open - done);
        done = open + n;
    }
    if (!out)
        return text;
    g_string_append(out, done);
    g_free(text);
    return g_string_free(out, FALSE);
}

/* Whether `at` ends a field label: it is within 40 bytes of its line's
 * first non-blank byte, and no colon comes before it on the line (a
 * sentence that ends in "\u00a0:" keeps its typography). */
static gboolean
is_label_end(const char *text, const char *at)
{
    const char *line = at;
    while (line > text && line[-1] != '\n')
        line--;
    while (*line == ' ' || *line == '\t')
        line++;
    return at - line <= 40 && !memchr(line, ':', at - line);
}

/* French typography puts a no-break space (U+00A0, or the narrow U+202F)
 * before a colon ("Destinataire\u00a0: ...", the Imprimerie nationale's
 * rules, which French-localised notifiers follow): the label then reads
 * "Destinataire:" as layouts and decoders expect it.  Only a no-break
 * space right after a label's letter, digit or ')' goes; ordinary spaces
 * stay. */
static char *
without_nbsp_before_colons(char *text)
{
    static const char *const nbsp[] = { "\xc2\xa0:", "\xe2\x80\xaf:" };
    GString *out = NULL;
    const char *done = text;
    /* both marks start with 0xC2 or 0xE2: jump from one such byte to the next */
    for (const char *p = text; (p = strpbrk(p, "\xc2\xe2")); p++) {
        gsize n = 0;
        for (gsize i = 0; i < G_N_ELEMENTS(nbsp) && !n; i++)
            if (strncmp(p, nbsp[i], strlen(nbsp[i])) == 0)
                n = strlen(nbsp[i]) - 1;
        if (!n || p == text || !(g_ascii_isalnum(p[-1]) || p[-1] == ')' || (guchar) p[-1] >= 0x80)
            || !is_label_end(text, p))
            continue;
        if (!out)
            out = g_string_new(NULL);
        g_string_append_len(out, done, p - done);
        done = p + n;
        p += n - 1;
    }
    if (!out)
        return text;
    g_string_append(out, done);
    g_free(text);
    return g_string_free(out, FALSE);
}

BtMsgView *
bt_view_new(const BtMessage *msg)
{
    BtMsgView *v = g_new0(BtMsgView, 1);
    v->msg = msg;
    v->mime = msg->mime;
    v->top = bt_mime_top_of(msg->mime);
    Walk w = { g_string_new(NULL), g_string_new(NULL), NULL, NULL };
    if (v->mime)
        walk_object(v, bt_mime_body_of(v->mime), &w, 0);
    v->body = without_display_names(without_address_types(
        without_nbsp_before_colons(g_string_free(w.body, FALSE))));
    v->dsn = w.dsn->len ? g_string_free(w.dsn, FALSE) : (g_string_free(w.dsn, TRUE), NULL);
    return v;
}

void
bt_view_free(BtMsgView *v)
{
    if (!v)
        return;
    g_free(v->body);
    g_free(v->dsn);
    g_free(v->returned_headers);
    g_strfreev(v->notice_lines);
    g_strfreev(v->notice_lower);
    g_free(v);
}

char *
bt_view_header(const BtMsgView *v, const char *name)
{
    if (!v->mime)
        return NULL;
    const char *raw = bt_mime_top_get(v->top, name);
    if (!raw)
        return NULL;
    g_autofree char *unfolded = g_mime_utils_header_unfold(raw);
    g_autofree char *decoded = bt_mime_decode_text(unfolded);
    return bt_strdup_trimmed(decoded);
}
