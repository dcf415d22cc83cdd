/* lean-mime — see lean-mime.h.  An enclosed message's bytes are read by
 * GMime again, so that its own header rules apply (a leading From_ line,
 * stray lines before the first field, folding, CRLF): only the bytes it
 * is given change. */
#include "core/lean-mime.h"
#include "core/charset.h"
#include "core/literals.h"

#include <string.h>

/* The private type under which a leaf's bytes are handed back to GMime's
 * message-part code, as in place. */
#define ENCLOSED_SUBTYPE "x-bouncetriage-enclosed"
#define ENCLOSED_PREFIX "Content-Type: message/" ENCLOSED_SUBTYPE "\n\n"
/* A field put before a header block that starts with an ordinary field,
 * and taken off again: a part's header then reads like a message's,
 * without GMimeMessage decoding every address and date of it. */
#define HEAD_PREFIX "X-Bouncetriage-Head: 1\n"

static const char *const enclosed_subtypes[] = { "rfc822", "global", "news" };

/* Does "=?" occur in the text?  Found from each '=' by memchr: most
 * header values hold none, and memmem's set-up costs more than the scan
 * of a short value. */
static gboolean
has_encoded_word_start(const char *text, gsize len)
{
    const char *end = text + len;
    for (const char *p = memchr(text, '=', len); p; p = memchr(p + 1, '=', (gsize) (end - p - 1)))
        if (p + 1 < end && p[1] == '?')
            return TRUE;
    return FALSE;
}

/* ASCII without "=?": GMime's decoder gives such text back unchanged. */
static gboolean
is_plain_ascii(const char *text, gsize len)
{
    return bt_ascii_run(text, len) == len && !has_encoded_word_start(text, len);
}

static gboolean
is_lwsp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* g_mime_utils_header_unfold(): blanks off both ends, CR and LF out. */
static char *
unfold_plain(const char *raw, gsize len)
{
    const char *start = raw, *end = raw + len;
    while (start < end && is_lwsp(*start))
        start++;
    while (end > start && is_lwsp(end[-1]))
        end--;
    gsize n = (gsize) (end - start);
    if (!memchr(start, '\n', n) && !memchr(start, '\r', n))
        return g_strndup(start, n);
    char *out = g_malloc(n + 1);
    char *o = out;
    for (const char *p = start; p < end; p++)
        if (*p != '\r' && *p != '\n')
            *o++ = *p;
    *o = '\0';
    return out;
}

/* GMimeMessage handles each field added to a message's header: it parses
 * every Sender, From, Reply-To, To, Cc and Bcc into address objects (again
 * for each such field), the Date into a GDateTime, decodes the Subject and
 * Message-Id, comparing the name with ten names first.  bouncetriage reads
 * the fields from the header list only (never g_mime_message_get_from(),
 * _get_subject() and the like, which these handlers feed), so a message's
 * class gets GMimeObject's handlers, which keep the Content-* fields. */
typedef void (*HeaderAdded)(GMimeObject *object, GMimeHeader *header);
static HeaderAdded object_header_added, part_header_added;

/* GMime's value of a field, filled in before GMime asks for it: the
 * handlers of GMimeObject and GMimePart decode every Content-* field
 * (type, disposition, transfer encoding, description, id) as it is
 * added, through GMime's tokenizing decoder. */
static void
prefill_content_field(GMimeHeader *header)
{
    const char *name = header->name;
    if (!header->value && name && (name[0] == 'C' || name[0] == 'c') && g_ascii_strncasecmp(name, "Content-", 8) == 0)
        bt_mime_header_value(header);
}

/* GMimeObject's handler parses a Content-Disposition as it is added into
 * a GMimeContentDisposition, its parameter list and a GMimeParam per
 * parameter (4 GObjects a field, 5 % of a bounce's), which bouncetriage
 * reads for one thing only: a part's file name (part_filename), for the
 * few parts whose type a message file may have.  So the field stays in
 * the header list and is parsed there, when asked. */
gboolean
bt_mime_header_named(const GMimeHeader *header, const char *name)
{
    const char *have = header->name;
    return have && g_ascii_tolower(have[0]) == g_ascii_tolower(name[0]) && g_ascii_strcasecmp(have, name) == 0;
}

GMimeHeader *
bt_mime_last_field(GMimeObject *obj, const char *name)
{
    GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
    for (int i = headers ? g_mime_header_list_get_count(headers) : 0; i-- > 0;) {
        GMimeHeader *header = g_mime_header_list_get_header_at(headers, i);
        if (bt_mime_header_named(header, name))
            return header;
    }
    return NULL;
}

static gboolean
is_disposition(const GMimeHeader *header)
{
    return bt_mime_header_named(header, "Content-Disposition");
}

/* A leaf's Content-Type is not parsed either (lean-type.c), nor a
 * multipart's beyond what GMime's parser reads of it. */
static void
object_header_added_prefilled(GMimeObject *object, GMimeHeader *header)
{
    if (is_disposition(header) || bt_mime_type_is_lazy(object, header) || bt_mime_type_take_multipart(object, header))
        return;
    prefill_content_field(header);
    object_header_added(object, header);
}

static void
part_header_added_prefilled(GMimeObject *object, GMimeHeader *header)
{
    if (!is_disposition(header) && !bt_mime_type_is_lazy(object, header))
        prefill_content_field(header);
    part_header_added(object, header);
}

/* A multipart class that was initialised before (a test's eager parse)
 * copied GMime's own handler: it gets the wrapped one too. */
static void
wrap_initialised(GType type)
{
    GMimeObjectClass *klass = g_type_class_peek(type);
    if (klass && klass->header_added == object_header_added)
        klass->header_added = object_header_added_prefilled;
}

/* A subclass initialised later copies the wrapped handler; one already
 * initialised keeps GMime's own: either way the same fields.  Multiparts
 * get the wrapped one either way (bt_mime_type_take_multipart). */
static void
prefill_content_fields(void)
{
    GMimeObjectClass *object = g_type_class_ref(GMIME_TYPE_OBJECT);
    GMimeObjectClass *part = g_type_class_ref(GMIME_TYPE_PART);
    object_header_added = object->header_added;
    part_header_added = part->header_added;
    object->header_added = object_header_added_prefilled;
    part->header_added = part_header_added_prefilled;
    wrap_initialised(GMIME_TYPE_MULTIPART);
    wrap_initialised(GMIME_TYPE_MULTIPART_SIGNED);
    wrap_initialised(GMIME_TYPE_MULTIPART_ENCRYPTED);
}

static void
skip_message_field_handlers(void)
{
    GMimeObjectClass *message = g_type_class_ref(GMIME_TYPE_MESSAGE);
    GMimeObjectClass *object = g_type_class_peek(GMIME_TYPE_OBJECT);
    message->header_added = object->header_added;
    message->header_changed = object->header_changed;
    message->header_removed = object->header_removed;
    message->headers_cleared = object->headers_cleared;
}

static gpointer
register_enclosed_leaves(gpointer unused G_GNUC_UNUSED)
{
    for (gsize i = 0; i < G_N_ELEMENTS(enclosed_subtypes); i++)
        g_mime_object_register_type("message", enclosed_subtypes[i], GMIME_TYPE_PART);
    g_mime_object_register_type("message", ENCLOSED_SUBTYPE, GMIME_TYPE_MESSAGE_PART);
    prefill_content_fields();
    skip_message_field_handlers();
    return NULL;
}

void
bt_mime_enclosed_lazy(void)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, register_enclosed_leaves, NULL);
}

static gboolean
is_encoded(GMimeContentEncoding encoding)
{
    return encoding == GMIME_CONTENT_ENCODING_BASE64 || encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE
        || encoding == GMIME_CONTENT_ENCODING_UUENCODE;
}

/* Is the leaf a message/rfc822, message/global or message/news part? */
static gboolean
is_message_type(const char *type, const char *subtype)
{
    if (g_ascii_strcasecmp(type, "message") != 0)
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(enclosed_subtypes); i++)
        if (g_ascii_strcasecmp(subtype, enclosed_subtypes[i]) == 0)
            return TRUE;
    return FALSE;
}

/* Can a parameter of the field value name a "*.eml" file?  Not when the
 * value is ASCII without "eml" in any case, an encoded word ("=?", RFC
 * 2047), an RFC 2231 parameter ("name*=", whose %XX escapes and
 * continuations GMime joins) or a quoted-pair ("\\", RFC 5322 §3.2.1):
 * each parameter GMime reads is then a run of the value's own bytes. */
static gboolean
may_name_eml(const char *value)
{
    gsize len = strlen(value);
    if (bt_ascii_run(value, len) != len || strpbrk(value, "*\\") || has_encoded_word_start(value, len))
        return TRUE;
    for (const char *p = value; (p = strpbrk(p, "eE")); p++)
        if (g_ascii_strncasecmp(p, "eml", 3) == 0)
            return TRUE;
    return FALSE;
}

/* Does the part's file name, as g_mime_part_get_filename() gives it (the
 * disposition's "filename", else the type's "name"), end in ".eml"?  A
 * disposition GMime did not parse (object_header_added_prefilled) is
 * parsed here the way GMimeObject's handler parses it, with the default
 * options, which are the parser's. */
static gboolean
filename_is_eml(GMimePart *part)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    GMimeContentDisposition *parsed = NULL;
    GMimeContentDisposition *disposition = g_mime_object_get_content_disposition(obj);
    /* the field GMime would have parsed: the last one (each one added
     * replaced the one before), or none */
    GMimeHeader *header = disposition ? NULL : bt_mime_last_field(obj, "Content-Disposition");
    /* (an empty disposition has no parameter: no value parses to none) */
    const char *value = header ? bt_mime_header_value(header) : NULL;
    if (value && may_name_eml(value))
        disposition = parsed = g_mime_content_disposition_parse(NULL, value);
    const char *name = disposition ? g_mime_content_disposition_get_parameter(disposition, "filename") : NULL;
    g_autofree char *type_name = name ? NULL : bt_mime_type_parameter(obj, "name");
    if (!name)
        name = type_name;
    gsize len = name ? strlen(name) : 0;
    gboolean eml = len > 4 && g_ascii_strcasecmp(name + len - 4, ".eml") == 0;
    g_clear_object(&parsed);
    return eml;
}

/* Does the part declare itself a message saved as a file?  Mail clients
 * save a MIME message in a file named *.eml, and business systems
 * (CRM, ERP, bug and ticket trackers) attach such files to what they
 * send (Microsoft Graph, "Get MIME content of a message"): as
 * application/octet-stream or text/plain named "*.eml" (Content-Disposition
 * filename or Content-Type name, RFC 2231 forms decoded by GMime), as
 * application/eml or application/x-eml, or as a message/rfc822 part
 * base64- or quoted-printable-encoded although RFC 2046 §5.2.1 allows
 * only 7bit, 8bit and binary there.  Read from the part's header only. */
static gboolean
declares_message_file(GMimePart *part, const char *type, const char *subtype)
{
    GMimeContentEncoding encoding = g_mime_part_get_content_encoding(part);
    if (encoding == GMIME_CONTENT_ENCODING_UUENCODE)
        return FALSE;
    if (is_message_type(type, subtype))
        return is_encoded(encoding);
    gboolean application = g_ascii_strcasecmp(type, "application") == 0;
    if (application && (g_ascii_strcasecmp(subtype, "eml") == 0 || g_ascii_strcasecmp(subtype, "x-eml") == 0))
        return TRUE;
    if (!application && !(g_ascii_strcasecmp(type, "text") == 0 && g_ascii_strcasecmp(subtype, "plain") == 0))
        return FALSE;
    return filename_is_eml(part);
}

GMimeStream *
bt_mime_part_decoded(GMimePart *part)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    if (!raw)
        return NULL;
    g_mime_stream_reset(raw);
    GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
    if (!is_encoded(encoding))
        return g_object_ref(raw);
    GMimeStream *filtered = g_mime_stream_filter_new(raw);
    GMimeFilter *decoder = g_mime_filter_basic_new(encoding, FALSE);
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), decoder);
    g_object_unref(decoder);
    return filtered;
}

static gsize header_block_length(const char *data, gsize len, gsize from);

/* A file message's header block must be there within this many decoded
 * bytes: no header block is longer, and junk is not decoded further. */
#define FILE_HEAD_MAX (64 * 1024)

/* The length of the white-space-only lines that start `data` (a file
 * saved with an empty line first: GMime's message parser reads past them). */
static gsize
leading_blank_lines(const char *data, gsize len)
{
    gsize at = 0;
    for (gsize i = 0; i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'); i++)
        if (data[i] == '\n')
            at = i + 1;
    return at;
}

/* Does `data` begin with an RFC 5322 header block: (after white-space-only
 * lines, or an mbox From_ line, which some clients save) lines that are
 * fields or their folded continuations up to an empty line or the end,
 * one of them a field that every message carries from its writer or its
 * first relay (From, Date, Sender, Message-ID; Received, Return-Path)? */
static gboolean
begins_with_header_block(const char *data, gsize len)
{
    static const char *const origin[] = { "From", "Date", "Sender", "Message-ID", "Received", "Return-Path" };
    if (!data || !len)   /* an empty part (GByteArray's data is then NULL) */
        return FALSE;
    const char *end = data + len;
    gsize blank = leading_blank_lines(data, len);
    data += blank;
    len -= blank;
    const char *line = data;
    if (len > 5 && memcmp(data, "From ", 5) == 0) {
        const char *nl = memchr(data, '\n', len);
        line = nl ? nl + 1 : end;
    }
    gboolean first = TRUE, known = FALSE;
    while (line < end && *line != '\n' && !(*line == '\r' && line + 1 < end && line[1] == '\n')) {
        const char *nl = memchr(line, '\n', (gsize) (end - line));
        const char *stop = nl ? nl : end;
        gsize name = bt_mime_field_name_length(line, stop);
        if (name == 0 && (first || (*line != ' ' && *line != '\t')))
            return FALSE;
        for (gsize i = 0; name > 0 && i < G_N_ELEMENTS(origin); i++)
            known = known || (strlen(origin[i]) == name && g_ascii_strncasecmp(line, origin[i], name) == 0);
        first = FALSE;
        line = nl ? nl + 1 : end;
    }
    return known;
}

/* Does the decoded content of the part begin with a header block?  Only
 * as much is decoded as the block needs. */
static gboolean
content_is_message(GMimePart *part)
{
    GMimeStream *stream = bt_mime_part_decoded(part);
    if (!stream)
        return FALSE;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    while (bytes->len < FILE_HEAD_MAX) {
        guint8 buf[4096];
        ssize_t n = g_mime_stream_read(stream, (char *) buf, MIN(sizeof buf, (gsize) (FILE_HEAD_MAX - bytes->len)));
        if (n <= 0)
            break;
        gsize searched = bytes->len;
        g_byte_array_append(bytes, buf, (guint) n);
        gsize blank = leading_blank_lines((const char *) bytes->data, bytes->len);
        if (blank < bytes->len
            && header_block_length((const char *) bytes->data + blank, bytes->len - blank,
                                   searched > blank + 2 ? searched - blank - 2 : 0) < bytes->len - blank)
            break;
    }
    g_object_unref(stream);
    g_mime_stream_reset(g_mime_data_wrapper_get_stream(g_mime_part_get_content(part)));
    return begins_with_header_block((const char *) bytes->data, bytes->len);
}

/* A file message: declared so, and its content begins with a header
 * block.  The verdict is kept on the part, since the view, the header
 * and the whole message all ask. */
static G_DEFINE_QUARK(bt-message-file, message_file_verdict)

static gboolean
is_message_file(GMimeObject *obj, const char *type, const char *subtype)
{
    gpointer verdict = g_object_get_qdata(G_OBJECT(obj), message_file_verdict_quark());
    if (verdict)
        return GPOINTER_TO_INT(verdict) == 2;
    gboolean yes = declares_message_file(GMIME_PART(obj), type, subtype) && content_is_message(GMIME_PART(obj));
    g_object_set_qdata(G_OBJECT(obj), message_file_verdict_quark(), GINT_TO_POINTER(yes ? 2 : 1));
    return yes;
}

gboolean
bt_mime_is_message_file(GMimeObject *obj)
{
    if (!GMIME_IS_PART(obj))
        return FALSE;
    g_autofree char *type = NULL, *subtype = NULL;
    return bt_mime_media_type(obj, &type, &subtype) && is_message_file(obj, type, subtype);
}

gboolean
bt_mime_is_enclosed(GMimeObject *obj)
{
    if (GMIME_IS_MESSAGE_PART(obj))
        return TRUE;
    if (!GMIME_IS_PART(obj))
        return FALSE;
    g_auto(BtMimeType) t = { NULL, NULL };
    bt_mime_type_of(obj, &t);
    return bt_mime_is_enclosed_leaf(obj, &t);
}

gboolean
bt_mime_is_enclosed_leaf(GMimeObject *obj, const BtMimeType *t)
{
    if (!t->type)
        return FALSE;
    if (is_message_type(t->type, t->subtype) && !is_encoded(g_mime_part_get_content_encoding(GMIME_PART(obj))))
        return TRUE;
    return is_message_file(obj, t->type, t->subtype);
}

/* Where the header block of `data` ends, its empty line included: at the
 * first empty line, or at the end.  GMime ends a header block there too
 * (or earlier), so it reads the same fields from the cut bytes.  The
 * search starts at `from`, a point before which there is no empty line
 * (so that a block read piece by piece is searched once). */
static gsize
header_block_length(const char *data, gsize len, gsize from)
{
    if (from == 0 && len > 0 && data[0] == '\n')
        return 1;
    if (from == 0 && len > 1 && data[0] == '\r' && data[1] == '\n')
        return 2;
    const char *end = data + len;
    for (const char *p = data + from; p < end && (p = memchr(p, '\n', (gsize) (end - p))) != NULL; p++) {
        if (p + 1 < end && p[1] == '\n')
            return (gsize) (p - data) + 2;
        if (p + 2 < end && p[1] == '\r' && p[2] == '\n')
            return (gsize) (p - data) + 3;
    }
    return len;
}

/* The leaf's content (a file message's with its transfer encoding
 * undone, declares_message_file) after `prefix`; only the header
 * block unless `whole`.  A header block without its empty line (the part
 * ended there) gets back the line end that the boundary line took, which
 * ended its last field in place.  NULL when the part is empty. */
static GByteArray *
leaf_bytes(GMimeObject *obj, const char *prefix, gboolean whole)
{
    GMimeStream *raw = bt_mime_part_decoded(GMIME_PART(obj));
    if (!raw)
        return NULL;
    GByteArray *bytes = g_byte_array_new();
    g_byte_array_append(bytes, (const guint8 *) prefix, (guint) strlen(prefix));
    const gsize start = bytes->len;
    gsize block = 0;
    for (;;) {
        guint8 buf[4096];
        ssize_t n = g_mime_stream_read(raw, (char *) buf, sizeof buf);
        if (n <= 0)
            break;
        gsize searched = bytes->len - start;
        g_byte_array_append(bytes, buf, (guint) n);
        if (whole)
            continue;
        /* an empty line may straddle the pieces: "\n" + "\r\n" */
        block = header_block_length((const char *) bytes->data + start, bytes->len - start,
                                    searched > 2 ? searched - 2 : 0);
        if (block < bytes->len - start)
            break;
    }
    g_object_unref(raw);
    g_mime_stream_reset(g_mime_data_wrapper_get_stream(g_mime_part_get_content(GMIME_PART(obj))));
    if (bytes->len == start) {
        g_byte_array_unref(bytes);
        return NULL;
    }
    if (whole)
        block = header_block_length((const char *) bytes->data + start, bytes->len - start, 0);
    else
        g_byte_array_set_size(bytes, (guint) (start + block));
    /* (a file's content ends where the file does: no line end was taken) */
    if (block == bytes->len - start && bytes->data[bytes->len - 1] != '\n' && !bt_mime_is_message_file(obj))
        g_byte_array_append(bytes, (const guint8 *) "\n", 1);
    return bytes;
}

/* GMime's part (a leaf or a multipart) parsed from `bytes`, which it owns. */
static GMimeObject *
parse_part(GByteArray *bytes)
{
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(bytes);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeObject *part = g_mime_parser_construct_part(parser, NULL);
    g_object_unref(parser);
    return part;
}

/* The message of an ENCLOSED_PREFIX parse (new reference), or NULL. */
static GMimeMessage *
reparsed_message(GByteArray *bytes)
{
    GMimeObject *wrapper = parse_part(bytes);
    GMimeMessage *inner = NULL;
    if (wrapper && GMIME_IS_MESSAGE_PART(wrapper)) {
        inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(wrapper));
        if (inner)
            g_object_ref(inner);
    }
    g_clear_object(&wrapper);
    return inner;
}

gsize
bt_mime_plain_name_length(const char *line, const char *end)
{
    const char *p = line;
    while (p < end && *p >= '!' && *p <= '~' && *p != ':')
        p++;
    return p > line && p < end && *p == ':' ? (gsize) (p - line) : 0;
}

gsize
bt_mime_field_name_length(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && *q >= '!' && *q <= '~' && *q != ':')
        q++;
    gsize len = (gsize) (q - p);
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    return len > 0 && q < end && *q == ':' ? len : 0;
}

/* Does the header block start with a field (a name, optional blanks, a
 * colon) on a line of a sensible length?  GMime's message and part
 * parsers differ only in what they make of other first lines (a From_
 * line, a stray one, a line longer than their buffer). */
static gboolean
starts_with_field(const char *data, gsize len)
{
    const char *nl = memchr(data, '\n', len);
    return bt_mime_field_name_length(data, data + len) > 0 && nl && nl - data < 998;
}

/* A header block as plain as most are (every line a field "Name:" or its
 * folded continuation, none of them long, no CR or NUL, at most one
 * Content-Type): GMime would keep each field's raw text and write it back
 * unchanged, so the block is its own written form.  *type_at is where
 * the Content-Type value starts, or NULL. */
static gboolean
is_plain_block(const char *data, gsize len, const char **type_at)
{
    const char *end = data + len;
    *type_at = NULL;
    if (len < 2 || memchr(data, '\r', len) || memchr(data, '\0', len))
        return FALSE;
    for (const char *line = data; line < end;) {
        const char *nl = memchr(line, '\n', (gsize) (end - line));
        if (!nl || nl - line >= 998)
            return FALSE;
        if (nl == line)
            return nl + 1 == end;   /* the empty line ends the block */
        gsize name = bt_mime_plain_name_length(line, nl);
        if (name == 0 && line != data && (*line == ' ' || *line == '\t')) {
            line = nl + 1;
            continue;
        }
        if (name == 0)
            return FALSE;
        if (name == 12 && g_ascii_strncasecmp(line, "Content-Type", 12) == 0) {
            if (*type_at)
                return FALSE;
            *type_at = line + name + 1;
        }
        line = nl + 1;
    }
    return TRUE;
}

/* Does a Content-Type value mention "report" in any case?  A type and a
 * subtype are tokens, which GMime reads as they stand (no encoded word,
 * nothing inside a token), so a value without the word is no
 * multipart/report and need not be parsed. */
static gboolean
mentions_report(const char *value, gsize len)
{
    for (const char *p = value, *end = value + len; end - p >= 6; p++)
        if ((*p | 0x20) == 'r' && g_ascii_strncasecmp(p, "report", 6) == 0)
            return TRUE;
    return FALSE;
}

/* The head of a plain block, without building GMime's objects for it. */
static BtMimeHead *
plain_head(const char *data, gsize len, const char *type_at)
{
    BtMimeHead *head = g_new0(BtMimeHead, 1);
    gsize fields = len > 0 && data[len - 1] == '\n' && (len == 1 || data[len - 2] == '\n') ? len - 1 : len;
    head->fields = g_strndup(data, fields);
    if (type_at) {
        /* the value runs to the next line that is not a continuation */
        const char *end = data + len, *stop = type_at;
        do
            stop = (const char *) memchr(stop, '\n', (gsize) (end - stop)) + 1;
        while (stop < end && (*stop == ' ' || *stop == '\t'));
        if (mentions_report(type_at, (gsize) (stop - type_at))) {
            g_autofree char *value = g_strndup(type_at, (gsize) (stop - type_at));
            GMimeContentType *type = g_mime_content_type_parse(NULL, value);
            head->report = type && g_mime_content_type_is_type(type, "multipart", "report");
            g_clear_object(&type);
        }
    }
    return head;
}

/* The head of a parsed header: its fields written, its top part's type. */
static BtMimeHead *
object_head(GMimeObject *obj)
{
    if (!obj)
        return NULL;
    BtMimeHead *head = g_new0(BtMimeHead, 1);
    head->fields = bt_mime_header_block(obj);
    GMimeObject *top = GMIME_IS_MESSAGE(obj) ? g_mime_message_get_mime_part(GMIME_MESSAGE(obj)) : obj;
    head->report = top && bt_mime_is_type(top, "multipart", "report");
    g_object_unref(obj);
    return head;
}

BtMimeHead *
bt_mime_enclosed_head(GMimeObject *obj)
{
    if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        return inner ? object_head(g_object_ref(GMIME_OBJECT(inner))) : NULL;
    }
    if (!bt_mime_is_enclosed(obj))
        return NULL;
    g_autoptr(GByteArray) bytes = leaf_bytes(obj, HEAD_PREFIX, FALSE);
    if (!bytes)
        return NULL;
    const gsize skip = sizeof HEAD_PREFIX - 1;
    const char *block = (const char *) bytes->data + skip;
    const gsize len = bytes->len - skip;
    const char *type_at;
    if (is_plain_block(block, len, &type_at))
        return plain_head(block, len, type_at);
    if (!starts_with_field(block, len)) {
        /* the rare odd start: GMime's message code reads it */
        GByteArray *again = g_byte_array_sized_new(bytes->len);
        g_byte_array_append(again, (const guint8 *) ENCLOSED_PREFIX, sizeof ENCLOSED_PREFIX - 1);
        g_byte_array_append(again, (const guint8 *) block, (guint) len);
        return object_head((GMimeObject *) reparsed_message(again));
    }
    GMimeObject *part = parse_part(g_steal_pointer(&bytes));
    if (part)
        g_mime_header_list_remove_at(g_mime_object_get_header_list(part), 0);
    return object_head(part);
}

void
bt_mime_head_free(BtMimeHead *head)
{
    if (!head)
        return;
    g_free(head->fields);
    g_free(head);
}

GMimeMessage *
bt_mime_enclosed_message(GMimeObject *obj)
{
    if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        return inner ? g_object_ref(inner) : NULL;
    }
    if (!bt_mime_is_enclosed(obj))
        return NULL;
    GByteArray *bytes = leaf_bytes(obj, ENCLOSED_PREFIX, TRUE);
    return bytes ? reparsed_message(bytes) : NULL;
}

/* A parsed field as GMime writes it: a CR before a LF goes, and so does a
 * CR that ends the value (the newline filter holds it back to see what
 * follows, and drops it at the end). */
static void
append_field(GString *out, GMimeHeader *header)
{
    const char *value = g_mime_header_get_raw_value(header);
    if (!value)
        return;
    const char *name = g_mime_header_get_raw_name(header);
    g_string_append(out, name ? name : g_mime_header_get_name(header));
    g_string_append_c(out, ':');
    for (const char *p = value; *p;) {
        const char *cr = strchr(p, '\r');
        if (!cr) {
            g_string_append(out, p);
            break;
        }
        g_string_append_len(out, p, cr - p);
        if (cr[1] != '\n' && cr[1] != '\0')
            g_string_append_c(out, '\r');
        p = cr + 1;
    }
}

char *
bt_mime_header_block(GMimeObject *obj)
{
    if (GMIME_IS_MESSAGE(obj) && bt_mime_top_is_lean(GMIME_MESSAGE(obj)))
        return g_strdup(bt_mime_top_block(bt_mime_top(GMIME_MESSAGE(obj))));
    GMimeHeaderList *own = g_mime_object_get_header_list(obj);
    GMimeObject *top = GMIME_IS_MESSAGE(obj) ? g_mime_message_get_mime_part(GMIME_MESSAGE(obj)) : NULL;
    GMimeHeaderList *part = top ? g_mime_object_get_header_list(top) : NULL;
    int n_own = own ? g_mime_header_list_get_count(own) : 0;
    int n_part = part ? g_mime_header_list_get_count(part) : 0;
    GString *out = g_string_sized_new(1024);
    /* a message's fields and its top part's (Content-*) interleave as parsed */
    for (int i = 0, j = 0; i < n_own || j < n_part;) {
        GMimeHeader *a = i < n_own ? g_mime_header_list_get_header_at(own, i) : NULL;
        GMimeHeader *b = j < n_part ? g_mime_header_list_get_header_at(part, j) : NULL;
        if (a && (!b || g_mime_header_get_offset(a) < g_mime_header_get_offset(b))) {
            append_field(out, a);
            i++;
        } else {
            append_field(out, b);
            j++;
        }
    }
    return g_string_free(out, FALSE);
}

/* Decodes encoded words as GMime does, under a charset name GMime can
 * convert from where the word's own is an old mailer's spelling
 * (core/charset.h: "=?x-sjis?B?…?="). */
static char *
decode_words(const char *text)
{
    g_autofree char *fixed = bt_charset_fix_encoded_words(text);
    return g_mime_utils_header_decode_text(NULL, fixed ? fixed : text);
}

char *
bt_mime_decode_raw(const char *raw)
{
    gsize len = strlen(raw);
    if (is_plain_ascii(raw, len))
        return unfold_plain(raw, len);
    g_autofree char *unfolded = g_mime_utils_header_unfold(raw);
    return decode_words(unfolded);
}

const char *
bt_mime_header_value(GMimeHeader *header)
{
    const char *raw = g_mime_header_get_raw_value(header);
    /* GMime decodes a header's value once, when first asked, into
     * header->value (a public field); filled here, it is what GMime gives */
    gsize len = raw && !header->value ? strlen(raw) : 0;
    if (!header->value && raw && is_plain_ascii(raw, len))
        header->value = unfold_plain(raw, len);
    else if (!header->value && raw) {
        /* what GMime would give, with the charsets it does not know
         * renamed (header->value is freed with the header) */
        g_autofree char *fixed = bt_charset_fix_encoded_words(raw);
        if (fixed)
            header->value = bt_mime_decode_raw(fixed);
    }
    return g_mime_header_get_value(header);
}

const char *
bt_mime_object_header(GMimeObject *obj, const char *name)
{
    if (GMIME_IS_MESSAGE(obj) && bt_mime_top_is_lean(GMIME_MESSAGE(obj)))
        return bt_mime_top_get(bt_mime_top(GMIME_MESSAGE(obj)), name);
    GMimeHeader *header = g_mime_header_list_get_header(g_mime_object_get_header_list(obj), name);
    return header ? bt_mime_header_value(header) : NULL;
}

char *
bt_mime_decode_text(const char *text)
{
    gsize len = strlen(text);
    return is_plain_ascii(text, len) ? g_strndup(text, len) : decode_words(text);
}
