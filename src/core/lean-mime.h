/* lean-mime — GMime read only as far as bouncetriage reads a bounce.
 * Enclosed messages (message/rfc822, message/global, message/news) are
 * parsed only as far as a decoder reads them: once bt_mime_enclosed_lazy()
 * has run, GMime parses such a part as an opaque leaf; a bounce needs the
 * returned original's header block, and its body only when it is itself a
 * report, so the parse of the source stage no longer builds (and frees)
 * the original's objects for nothing.  Every function here also takes the
 * eager form, a GMimeMessagePart, from a parse made without the switch.
 * A message passed on as a file is a leaf in both forms; its content is
 * read with its transfer encoding undone. */
#pragma once

#include <gmime/gmime.h>

/* Makes enclosed messages leaves for every later parse in the process;
 * idempotent and thread-safe.  Call it before parsing. */
void bt_mime_enclosed_lazy(void);

/* Is `obj` an enclosed message, parsed or not?  A message passed on as a
 * file is one too: a leaf that declares itself a message file (named
 * "*.eml", typed application/eml or x-eml, or a message/rfc822 part
 * base64- or quoted-printable-encoded, which GMime keeps a leaf in either
 * parse) and whose decoded content begins with a header block.  Such a
 * part is decided from its header first; only then is as much of it
 * decoded as its header block needs. */
gboolean bt_mime_is_enclosed(GMimeObject *obj);

/* Is `obj` a message passed on as a file (see bt_mime_is_enclosed)? */
gboolean bt_mime_is_message_file(GMimeObject *obj);

/* The header of a message enclosed in a part, read only as far as its
 * header block. */
typedef struct {
    char *fields;             /* as g_mime_object_get_headers() writes them; "" for none */
    gboolean report;          /* its top part is multipart/report */
} BtMimeHead;

/* The header of the message enclosed in `obj`, or NULL when there is none
 * (an empty part, or no enclosed message). */
BtMimeHead *bt_mime_enclosed_head(GMimeObject *obj);
void bt_mime_head_free(BtMimeHead *head);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtMimeHead, bt_mime_head_free)

/* The message enclosed in `obj`, parsed whole (new reference; NULL when
 * the part is empty), exactly as GMime would have parsed it in place. */
GMimeMessage *bt_mime_enclosed_message(GMimeObject *obj);

/* The header fields of `obj` (of a message: its own and its top part's, in
 * their order) as g_mime_object_get_headers() writes fields that were
 * parsed: each field's raw name, a colon and its raw value, CRLF made LF.
 * Without GMime's writer, which runs a newline filter per field. */
char *bt_mime_header_block(GMimeObject *obj);

/* The length of the field name that starts `p` as GMime reads a header
 * line ("Name:", blanks allowed before the colon), or 0 when the line is
 * no field. */
gsize bt_mime_field_name_length(const char *p, const char *end);
/* The same for a plain block: a name of printable US-ASCII with the colon
 * right after it, or 0. */
gsize bt_mime_plain_name_length(const char *line, const char *end);

/* The value of `header` as g_mime_header_get_value() gives it, and kept
 * where GMime keeps it.  A raw value in plain ASCII without "=?" decodes
 * to itself unfolded, so it is only unfolded: GMime's decoder splits every
 * value into a list of tokens first (some 5,000 instructions a field). */
const char *bt_mime_header_value(GMimeHeader *header);

/* g_mime_object_get_header() through bt_mime_header_value(). */
const char *bt_mime_object_header(GMimeObject *obj, const char *name);

/* g_mime_utils_header_decode_text(NULL, text), newly allocated: ASCII
 * without "=?" is its own decoding, copied. */
char *bt_mime_decode_text(const char *text);

/* What g_mime_header_get_value() makes of a raw value, newly allocated. */
char *bt_mime_decode_raw(const char *raw);

/* ---- the top-level header (lean-top.c) ----------------------------------
 * A message's own fields (not Content-*: GMime keeps those on its top
 * part), read by bouncetriage when the block is plain, else GMime's. */
typedef struct _BtMimeTop BtMimeTop;

/* When the header block at bytes->data + from is plain (fields only, 7-bit,
 * no CR or NUL, short lines, an empty line after it), reads its fields and
 * rewrites the bytes in place so that from *start on they are
 * bytes[0, from) (a From_ line), the block's Content-* fields only, and
 * everything from the empty line on: what GMime is to parse.  NULL (bytes
 * unchanged) for any other block. */
BtMimeTop *bt_mime_top_take(GByteArray *bytes, gsize from, gsize *start);
void bt_mime_top_free(BtMimeTop *top);
/* Gives `top` to `mime`, whose parse it was taken for: a message, or the
 * top part alone that GMime parsed from the Content-* fields (no
 * GMimeMessage is made for a block read here: it costs some 16,000
 * instructions to make and free, for fields it would not hold). */
void bt_mime_top_attach(GMimeObject *mime, BtMimeTop *top);
/* The own fields of `mime`: the ones taken, or else GMime's. */
BtMimeTop *bt_mime_top(GMimeMessage *mime);
/* The own fields of a parse (BtMessage.mime): a message's (bt_mime_top),
 * or those attached to a top part; NULL for NULL. */
BtMimeTop *bt_mime_top_of(GMimeObject *mime);
/* The top part of a parse: a message's MIME part, or the part itself. */
GMimeObject *bt_mime_body_of(GMimeObject *mime);
/* The parse's whole top-level header block, as bt_mime_header_block()
 * writes a message's: the block taken, or GMime's fields written. */
char *bt_mime_top_header_block(const BtMimeTop *top, GMimeObject *mime);
/* Were its fields taken (so GMime holds none of them)? */
gboolean bt_mime_top_is_lean(GMimeMessage *mime);
/* The whole block taken (Content-* fields included), as
 * bt_mime_header_block() writes it; NULL for GMime's fields. */
const char *bt_mime_top_block(const BtMimeTop *top);
guint bt_mime_top_count(const BtMimeTop *top);
const char *bt_mime_top_name(const BtMimeTop *top, guint i);
const char *bt_mime_top_raw(const BtMimeTop *top, guint i);
/* as bt_mime_header_value() */
const char *bt_mime_top_value(const BtMimeTop *top, guint i);
/* the first field so named (ASCII case ignored), or NULL */
const char *bt_mime_top_get(const BtMimeTop *top, const char *name);

/* Is the field so named (ASCII case ignored)? */
gboolean bt_mime_header_named(const GMimeHeader *header, const char *name);
/* The object's last field so named, or NULL: the one GMime's handler
 * would have parsed, each one added replacing the one before. */
GMimeHeader *bt_mime_last_field(GMimeObject *obj, const char *name);

/* ---- a part's media type (lean-type.c) ----------------------------------
 * A leaf's Content-Type field is not parsed as GMime adds it: its
 * g_mime_object_get_content_type() is unset (or GMime's default when it
 * has no such field); a multipart's holds its media type and boundary
 * only (bt_mime_type_take_multipart).  A part's type is read through
 * these, which give what GMime's object would have given, for every kind
 * of part. */

/* Is `header`, added to `object`, a leaf's Content-Type (left unparsed)? */
gboolean bt_mime_type_is_lazy(GMimeObject *object, const GMimeHeader *header);
/* Is `header`, added to `object`, a multipart's Content-Type with a plain
 * value?  Then the multipart is given a type of its media type and
 * boundary only, which is what GMime's parser reads of it; the accessors
 * read the rest from the field. */
gboolean bt_mime_type_take_multipart(GMimeObject *object, GMimeHeader *header);
/* g_mime_content_type_is_type() of the part's type ("*" matches any). */
gboolean bt_mime_is_type(GMimeObject *obj, const char *type, const char *subtype);
/* Its type and subtype, newly allocated; FALSE (both NULL) for none. */
gboolean bt_mime_media_type(GMimeObject *obj, char **type, char **subtype);
/* The same, read once for many questions. */
typedef struct {
    char *type, *subtype;        /* NULL for none */
} BtMimeType;
gboolean bt_mime_type_of(GMimeObject *obj, BtMimeType *t);
void bt_mime_type_clear(BtMimeType *t);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BtMimeType, bt_mime_type_clear)
/* bt_mime_is_enclosed() of a leaf whose type `t` was read. */
gboolean bt_mime_is_enclosed_leaf(GMimeObject *obj, const BtMimeType *t);
/* bt_mime_is_type() on a type read (FALSE for none) */
gboolean bt_mime_type_matches(const BtMimeType *t, const char *type, const char *subtype);
/* g_mime_object_get_content_type_parameter(), newly allocated; NULL for none. */
char *bt_mime_type_parameter(GMimeObject *obj, const char *name);
/* Is a (decoded) Content-Type value read by hand, not by GMime's parser? */
gboolean bt_mime_type_value_is_plain(const char *value);

/* The content of a leaf part with its transfer encoding (base64,
 * quoted-printable, uuencode) undone, as a stream from its start (new
 * reference), or NULL when it has none. */
GMimeStream *bt_mime_part_decoded(GMimePart *part);
