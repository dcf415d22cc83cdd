/* lean-top — a message's own header fields read by bouncetriage, not by
 * GMime (see lean-mime.h, "top-level header").  GMime makes a GObject
 * for every header field it parses and frees it with the message: about
 * 2,000 instructions a field, a bounce's top-level header having twenty
 * or so.  GMime needs only the Content-* fields there to build the MIME
 * tree, so a plain top-level block is read here, and GMime is given its
 * Content-* fields alone, moved in place to just before the empty line
 * that ends the block. */
#include "core/lean-mime.h"
#include "core/literals.h"

#include <string.h>

typedef struct {
    const char *name;   /* into BtMimeTop.store, NUL-terminated */
    const char *raw;    /* likewise; as GMime keeps a raw value: after the colon, line end included */
    char *value;        /* decoded when first asked */
    GMimeHeader *header;   /* the field GMime parsed, when it did */
} TopField;

struct _BtMimeTop {
    char *block;        /* the fields as bt_mime_header_block() writes them */
    char *store;
    GArray *fields;     /* TopField: the message's own (not Content-*), in order */
};

static G_DEFINE_QUARK(bt-mime-top, top)

void
bt_mime_top_free(BtMimeTop *top)
{
    for (guint i = 0; i < top->fields->len; i++)
        g_free(g_array_index(top->fields, TopField, i).value);
    g_array_unref(top->fields);
    g_free(top->block);
    g_free(top->store);
    g_free(top);
}

static gboolean
is_content_field(const char *name, gsize len)
{
    return len >= 8 && (name[0] == 'C' || name[0] == 'c') && g_ascii_strncasecmp(name, "Content-", 8) == 0;
}

/* The end of the field that starts at `line` (past its last continuation
 * line's LF), or NULL when a line is too long or has no LF. */
static const char *
field_end(const char *line, const char *end)
{
    for (;;) {
        const char *nl = memchr(line, '\n', (gsize) (end - line));
        if (!nl || nl - line >= 998)
            return NULL;
        line = nl + 1;
        if (line >= end || (*line != ' ' && *line != '\t'))
            return line;
    }
}

/* The length of the block at `data` up to its empty line (0 when it has
 * none or is empty), if its bytes are 7-bit without CR or NUL. */
static gsize
plain_block_length(const char *data, gsize len)
{
    const char *end = data + len, *p = data;
    if (len == 0 || *data == '\n')
        return 0;
    while ((p = memchr(p, '\n', (gsize) (end - p))) != NULL && p + 1 < end && p[1] != '\n')
        p++;
    if (!p || p + 1 >= end)
        return 0;
    gsize block = (gsize) (p + 1 - data);
    if (bt_ascii_run(data, block) != block || memchr(data, '\r', block) || memchr(data, '\0', block))
        return 0;
    return block;
}

/* The fields of the block, names and raw values copied NUL-terminated;
 * Content-* ones appended to `content` instead.  NULL unless every line is
 * a field or its folded continuation: GMime reads such a block as these
 * fields exactly. */
static BtMimeTop *
read_block(const char *data, gsize block, GString *content)
{
    BtMimeTop *top = g_new0(BtMimeTop, 1);
    /* a field takes 3 bytes at least ("a:\n"), 2 NULs more here */
    top->store = g_malloc(block + 2 * (block / 3) + 2);
    top->fields = g_array_new(FALSE, FALSE, sizeof(TopField));
    char *out = top->store;
    const char *end = data + block;
    for (const char *line = data; line < end;) {
        gsize name = bt_mime_plain_name_length(line, end);
        const char *next = name ? field_end(line, end) : NULL;
        if (!next) {
            bt_mime_top_free(top);
            return NULL;
        }
        if (is_content_field(line, name)) {
            g_string_append_len(content, line, next - line);
            line = next;
            continue;
        }
        TopField f = { out, NULL, NULL, NULL };
        memcpy(out, line, name);
        out += name;
        *out++ = '\0';
        f.raw = out;
        gsize raw = (gsize) (next - line) - name - 1;
        memcpy(out, line + name + 1, raw);
        out += raw;
        *out++ = '\0';
        g_array_append_val(top->fields, f);
        line = next;
    }
    top->block = g_strndup(data, block);
    return top;
}

BtMimeTop *
bt_mime_top_take(GByteArray *bytes, gsize from, gsize *start)
{
    const char *data = (const char *) bytes->data + from;
    gsize block = plain_block_length(data, bytes->len - from);
    g_autoptr(GString) content = block ? g_string_new(NULL) : NULL;
    BtMimeTop *top = block ? read_block(data, block, content) : NULL;
    if (!top)
        return NULL;
    /* [0, from) (a From_ line) and the Content-* fields end where the block did */
    gsize at = from + block - content->len;
    memcpy(bytes->data + at, content->str, content->len);
    memmove(bytes->data + at - from, bytes->data, from);
    *start = at - from;
    return top;
}

void
bt_mime_top_attach(GMimeObject *mime, BtMimeTop *top)
{
    g_object_set_qdata_full(G_OBJECT(mime), top_quark(), top, (GDestroyNotify) bt_mime_top_free);
}

/* GMime's own fields of a message parsed whole, read the same way. */
static BtMimeTop *
top_from_gmime(GMimeMessage *mime)
{
    BtMimeTop *top = g_new0(BtMimeTop, 1);
    GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(mime));
    int n = list ? g_mime_header_list_get_count(list) : 0;
    top->fields = g_array_sized_new(FALSE, FALSE, sizeof(TopField), (guint) n);
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
        TopField f = { g_mime_header_get_name(h), g_mime_header_get_raw_value(h), NULL, h };
        g_array_append_val(top->fields, f);
    }
    return top;
}

BtMimeTop *
bt_mime_top(GMimeMessage *mime)
{
    BtMimeTop *top = g_object_get_qdata(G_OBJECT(mime), top_quark());
    if (!top) {
        top = top_from_gmime(mime);
        bt_mime_top_attach(GMIME_OBJECT(mime), top);
    }
    return top;
}

BtMimeTop *
bt_mime_top_of(GMimeObject *mime)
{
    if (!mime)
        return NULL;
    if (GMIME_IS_MESSAGE(mime))
        return bt_mime_top(GMIME_MESSAGE(mime));
    return g_object_get_qdata(G_OBJECT(mime), top_quark());
}

GMimeObject *
bt_mime_body_of(GMimeObject *mime)
{
    return mime && GMIME_IS_MESSAGE(mime) ? g_mime_message_get_mime_part(GMIME_MESSAGE(mime)) : mime;
}

char *
bt_mime_top_header_block(const BtMimeTop *top, GMimeObject *mime)
{
    return top->block ? g_strdup(top->block) : bt_mime_header_block(mime);
}

gboolean
bt_mime_top_is_lean(GMimeMessage *mime)
{
    BtMimeTop *top = g_object_get_qdata(G_OBJECT(mime), top_quark());
    return top && top->block;
}

const char *
bt_mime_top_block(const BtMimeTop *top)
{
    return top->block;
}

guint
bt_mime_top_count(const BtMimeTop *top)
{
    return top->fields->len;
}

const char *
bt_mime_top_name(const BtMimeTop *top, guint i)
{
    return g_array_index(top->fields, TopField, i).name;
}

const char *
bt_mime_top_raw(const BtMimeTop *top, guint i)
{
    return g_array_index(top->fields, TopField, i).raw;
}

/* What g_mime_header_get_value() gives: the raw value unfolded and
 * decoded (the parse's options differ from the defaults only in a
 * warning callback, and a parsed field has no charset of its own). */
const char *
bt_mime_top_value(const BtMimeTop *top, guint i)
{
    TopField *f = &g_array_index(top->fields, TopField, i);
    if (f->header)
        return bt_mime_header_value(f->header);
    if (!f->value)
        f->value = bt_mime_decode_raw(f->raw);
    return f->value;
}

const char *
bt_mime_top_get(const BtMimeTop *top, const char *name)
{
    for (guint i = 0; i < top->fields->len; i++)
        if (g_ascii_strcasecmp(g_array_index(top->fields, TopField, i).name, name) == 0)
            return bt_mime_top_value(top, i);
    return NULL;
}
