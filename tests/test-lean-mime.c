/* test-enclosed — enclosed messages parsed lazily (core/lean-mime.h) read
 * exactly as GMime reads them in place.  Every message is parsed twice in
 * one process: first eagerly (GMime builds each message/rfc822 part's
 * message), then, after bt_mime_enclosed_lazy(), with such parts left as
 * leaves; the header block, its type and the whole message read from the
 * leaf must equal what the eager parse gave.  The messages: enclosed
 * originals with odd starts built here (a From_ line, stray or empty
 * first lines, CRLF, no blank line, an empty part, encoded ones; messages
 * passed on as files, against GMime's parse of their decoded content), the
 * fixtures, and the shared corpus when BT_SHARED is set.  The same
 * messages' header values read by bt_mime_header_value() must equal
 * GMime's, and so must their top-level fields read without GMime's
 * objects (bt_mime_top_take). */
#include "core/lean-mime.h"

#include <string.h>

/* What one enclosed message read as. */
typedef struct {
    char *headers;    /* g_mime_object_get_headers of its message, or NULL when it has none */
    gboolean report;  /* its top part is multipart/report */
    char *whole;      /* the message written back, or NULL */
} Reading;

static void
reading_free(gpointer p)
{
    Reading *r = p;
    g_free(r->headers);
    g_free(r->whole);
    g_free(r);
}

typedef struct {
    char *name;
    GBytes *bytes;
    GPtrArray *eager;   /* Reading*, in walk order */
} Case;

static GPtrArray *cases;

/* bt_mime_header_block() writes what GMime writes. */
static void
assert_block(GMimeObject *obj)
{
    g_autofree char *gmime = g_mime_object_get_headers(obj, NULL);
    g_autofree char *ours = bt_mime_header_block(obj);
    g_assert_cmpstr(ours, ==, gmime);
}

static GMimeMessage *
parse(GBytes *bytes)
{
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream);
    GMimeMessage *mime = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    return mime;
}

/* What GMime's own parse of a message gives (an empty reading for NULL). */
static Reading *
reading_of(GMimeMessage *inner)
{
    Reading *r = g_new0(Reading, 1);
    if (!inner)
        return r;
    r->headers = g_mime_object_get_headers(GMIME_OBJECT(inner), NULL);
    GMimeObject *top = g_mime_message_get_mime_part(inner);
    GMimeContentType *ct = top ? g_mime_object_get_content_type(top) : NULL;
    r->report = ct && g_mime_content_type_is_type(ct, "multipart", "report");
    r->whole = g_mime_object_to_string(GMIME_OBJECT(inner), NULL);
    return r;
}

static Reading *
read_eager(GMimeObject *obj)
{
    return reading_of(g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj)));
}

static Reading *
read_lazy(GMimeObject *obj)
{
    Reading *r = g_new0(Reading, 1);
    g_autoptr(BtMimeHead) head = bt_mime_enclosed_head(obj);
    GMimeMessage *whole = bt_mime_enclosed_message(obj);
    g_assert_true((head == NULL) == (whole == NULL));
    if (head) {
        assert_block(GMIME_OBJECT(whole));
        r->headers = g_strdup(head->fields);
        r->report = head->report;
        r->whole = g_mime_object_to_string(GMIME_OBJECT(whole), NULL);
        g_object_unref(whole);
    }
    return r;
}

/* A message passed on as a file, read as GMime reads its content (the
 * transfer encoding undone by GMime's own writer) parsed as a message. */
static Reading *
read_file_reference(GMimeObject *obj)
{
    GMimeStream *decoded = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(obj)), decoded);
    g_mime_stream_reset(decoded);
    GMimeParser *parser = g_mime_parser_new_with_stream(decoded);
    g_object_unref(decoded);
    GMimeMessage *inner = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    Reading *r = reading_of(inner);
    g_clear_object(&inner);
    return r;
}

/* The readings of every enclosed message under `obj`; `leaves` counts
 * the enclosed messages that the lazy reading read from leaves (a message
 * passed on as a file is a leaf in both parses: the eager reading is
 * GMime's parse of its decoded content). */
static void
walk(GMimeObject *obj, gboolean lazy, GPtrArray *out, int *leaves)
{
    if (GMIME_IS_MULTIPART(obj)) {
        for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++)
            walk(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), lazy, out, leaves);
    } else if (bt_mime_is_message_file(obj)) {
        g_assert_true(bt_mime_is_enclosed(obj));
        *leaves += lazy;   /* read from the leaf only by the lazy reading */
        g_ptr_array_add(out, lazy ? read_lazy(obj) : read_file_reference(obj));
    } else if (bt_mime_is_enclosed(obj)) {
        *leaves += !GMIME_IS_MESSAGE_PART(obj);
        g_ptr_array_add(out, lazy ? read_lazy(obj) : read_eager(obj));
    }
}

static GPtrArray *
readings(GBytes *bytes, gboolean lazy, int *leaves)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(reading_free);
    GMimeMessage *mime = parse(bytes);
    if (mime) {
        assert_block(GMIME_OBJECT(mime));
        walk(g_mime_message_get_mime_part(mime), lazy, out, leaves);
        g_object_unref(mime);
    }
    return out;
}

static void
add_case(const char *name, GBytes *bytes)
{
    Case *c = g_new0(Case, 1);
    c->name = g_strdup(name);
    c->bytes = bytes;
    int leaves = 0;
    c->eager = readings(bytes, FALSE, &leaves);
    g_assert_cmpint(leaves, ==, 0);
    g_ptr_array_add(cases, c);
}

/* ---- the messages -------------------------------------------------------- */

/* Starts of an enclosed original: what GMime's message parser makes of
 * them is what the lazy reading must make of them.  (Lines longer than
 * GMime's read buffer are left out: in place they can make GMime lose
 * the enclosing multipart's boundaries, which the lazy parse does not.) */
static const char *const firsts[] = {
    "X-First: 1", "From sender@example.org Mon Jan  1 00:00:00 2024", ">From sender@example.org",
    "from x", " From x", "\tfolded", ":", ": empty name", "No colon here", "From x\nFrom y",
    "X-A:1", "X-B :2", "X-C\t: 3", "Bad Name: 1", "\r", "Content-Type: multipart/report;\n boundary=q",
};
static const char *const seconds[] = {
    "", ":", "\tcontinued", "From x", ">From x", "\r", "X-CR: 1\r", "Subject: =?utf-8?b?w6k=?=",
    "X-8: \xc3\xa9t\xc3\xa9", "Bad Name: 1", "X\001Y: 2", "content-type: Multipart/Report; boundary=z",
};

static GBytes *
with_enclosed(const char *part_header, const char *enclosed)
{
    g_autoptr(GString) s = g_string_new(
        "From: postmaster@example.org\nTo: sender@example.org\nSubject: enclosed\n"
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
        "--b\nContent-Type: text/plain\n\nbefore\n");
    g_string_append_printf(s, "--b\n%s\n\n%s\n", part_header, enclosed);
    g_string_append(s, "--b\nContent-Type: text/plain\n\nafter\n--b--\n");
    return g_string_free_to_bytes(g_steal_pointer(&s));
}

/* Messages passed on as files (bt_mime_is_message_file): declared so and
 * a header block inside, or declared so with none (a plain attachment). */
static const struct { gboolean message; const char *header, *content; } files[] = {
    { TRUE, "Content-Type: application/octet-stream; name=\"returned.eml\"\nContent-Disposition: attachment; "
      "filename=\"returned.eml\"\nContent-Transfer-Encoding: base64",
      "RnJvbTogYkBleGFtcGxlLm9yZwpTdWJqZWN0OiBmaWxlCgpib2R5Cg==" },
    { TRUE, "Content-Type: application/octet-stream\nContent-Disposition: attachment;\n filename*=UTF-8''R%C3%BCckl%C3%A4ufer.EML\n"
      "Content-Transfer-Encoding: base64",
      "RnJvbTogYkBleGFtcGxlLm9yZw0KU3ViamVjdDogY3JsZg0KDQpib2R5DQo=" },
    { TRUE, "Content-Type: text/plain; name=\"saved.eml\"\nContent-Transfer-Encoding: quoted-printable",
      "Date: Wed, 24 Jul 2024 08:00:00 +0000\nSubject: caf=C3=A9 =\nsoft\n\nbody=3D1\n" },
    { TRUE, "Content-Type: application/x-eml", "Received: from a by b; Wed, 24 Jul 2024 08:00:00 +0000\n\nbody" },
    { TRUE, "Content-Type: application/eml\nContent-Transfer-Encoding: 8bit", "From: b@example.org\n\nbody" },
    { FALSE, "Content-Type: application/octet-stream; name=\"junk.eml\"\nContent-Transfer-Encoding: base64",
      "3q2+7wABAgP/" },
    { FALSE, "Content-Type: application/octet-stream; name=\"empty.eml\"\nContent-Transfer-Encoding: base64", "" },
    { FALSE, "Content-Type: text/plain; name=\"notes.eml\"", "X-Only: a field, but no originator\n\nbody" },
    /* a header block inside, but nothing declares a message file */
    { FALSE, "Content-Type: application/octet-stream; name=\"returned.txt\"",
      "From: b@example.org\n\nbody" },
    { FALSE, "Content-Type: image/png; name=\"odd.eml\"", "From: b@example.org\n\nbody" },
    /* the disposition read when asked (lean-mime.c filename_is_eml): an
     * encoded word, a quoted-pair, the last of two fields, upper case */
    { TRUE, "Content-Type: application/octet-stream\nContent-Disposition: attachment;\n"
      " filename=\"=?utf-8?q?r=C3=BCckl=C3=A4ufer.eml?=\"", "From: b@example.org\n\nbody" },
    { TRUE, "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"x.e\\ml\"",
      "From: b@example.org\n\nbody" },
    { FALSE, "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=a.eml\n"
      "Content-Disposition: attachment; filename=b.txt", "From: b@example.org\n\nbody" },
    { TRUE, "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=b.txt\n"
      "Content-Disposition: attachment; filename=a.eml", "From: b@example.org\n\nbody" },
    { TRUE, "Content-Type: text/plain\nContent-Disposition: inline; FILENAME=RETURNED.EML", "From: b@example.org\n\nbody" },
    { FALSE, "Content-Type: text/plain\nContent-Disposition: inline; filename=returned.txt", "From: b@example.org\n\nbody" },
};

static void
add_built_cases(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(firsts); i++)
        for (gsize j = 0; j < G_N_ELEMENTS(seconds); j++) {
            g_autofree char *name = g_strdup_printf("built-%zu-%zu", i, j);
            g_autofree char *enclosed = g_strdup_printf("%s\n%s\nX-Z: z\n\nbody\n", firsts[i], seconds[j]);
            add_case(name, with_enclosed("Content-Type: message/rfc822", enclosed));
        }
    static const struct { const char *header, *enclosed; } odd[] = {
        { "Content-Type: message/rfc822", "" },
        { "Content-Type: message/rfc822", "\nX-After: blank\n\nbody" },
        { "Content-Type: message/rfc822", "From: a@example.org\nSubject: no blank line" },
        { "Content-Type: message/rfc822", "From: a@example.org\r\nSubject: crlf\r\n\r\nX-Not: header\r\n" },
        { "Content-Type: message/global", "From: a@example.org\nSubject: global\n\nbody" },
        { "Content-Type: Message/News", "From: a@example.org\nNewsgroups: x\n\nbody" },
        { "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64", "RnJvbTogYkBleGFtcGxlLm9yZwoKYm9keQo=" },
        { "Content-Type: message/rfc822\nContent-Transfer-Encoding: 8bit", "From: b@example.org\n\nbody" },
        { "Content-Type: message/rfc822",
          "From: mailer-daemon@example.net\nContent-Type: multipart/report; report-type=delivery-status; "
          "boundary=\"in\"\n\n--in\nContent-Type: text/plain\n\nfailed\n--in\nContent-Type: "
          "message/delivery-status\n\nFinal-Recipient: rfc822; user@example.net\nAction: failed\n"
          "Status: 5.1.1\n\n--in\nContent-Type: message/rfc822\n\nFrom: sender@example.org\n\nhi\n--in--" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(odd); i++) {
        g_autofree char *name = g_strdup_printf("odd-%zu", i);
        add_case(name, with_enclosed(odd[i].header, odd[i].enclosed));
    }
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *name = g_strdup_printf("file-%zu", i);
        add_case(name, with_enclosed(files[i].header, files[i].content));
    }
}

static void
add_files(const char *dir, const char *suffix)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    for (const char *name; (name = g_dir_read_name(d)) != NULL;) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            add_files(path, suffix);
            continue;
        }
        char *data;
        gsize len;
        if ((suffix && !g_str_has_suffix(name, suffix)) || !g_file_get_contents(path, &data, &len, NULL))
            continue;
        add_case(path, g_bytes_new_take(data, len));
    }
}

/* ---- the tests ----------------------------------------------------------- */

/* An empty part: GMime makes an empty message of it or none, depending on
 * whether a line end that belongs to the boundary is there; neither has
 * a header field or a report, and a decoder reads both the same. */
static gboolean
is_empty(const Reading *r)
{
    return !r->headers || (!*r->headers && !r->report);
}

/* GMime writes the blank line that ends a header block even where the
 * block runs to the end of its part (a message/rfc822 part of headers
 * only, as some qmail bounces enclose the original's header): its copy
 * then has one line end more, in a run of them, than the bytes read. */
static gboolean
same_but_header_end(const char *eager, const char *lazy)
{
    if (!eager || !lazy)
        return FALSE;
    gsize k = 0;
    while (eager[k] && eager[k] == lazy[k])
        k++;
    return k > 0 && eager[k] == '\n' && eager[k - 1] == '\n' && strcmp(eager + k + 1, lazy + k) == 0;
}

static void
assert_same(const Case *c, const GPtrArray *lazy)
{
    g_assert_cmpuint(lazy->len, ==, c->eager->len);
    for (guint i = 0; i < lazy->len; i++) {
        const Reading *e = c->eager->pdata[i], *l = lazy->pdata[i];
        if (is_empty(e) && !l->headers)
            continue;
        gboolean same_whole = g_strcmp0(e->whole, l->whole) == 0 || same_but_header_end(e->whole, l->whole);
        if (g_strcmp0(e->headers, l->headers) != 0 || e->report != l->report || !same_whole)
            g_error("%s, enclosed message %u: the lazy reading differs\n[%s]\n[%s]\n[%s]\n[%s]", c->name, i,
                    e->headers ? e->headers : "(none)", l->headers ? l->headers : "(none)",
                    e->whole ? e->whole : "(none)", l->whole ? l->whole : "(none)");
    }
}

static void
test_same_readings(gconstpointer data)
{
    const char *prefix = data;
    bt_mime_enclosed_lazy();
    guint checked = 0;
    int leaves = 0;
    for (guint i = 0; i < cases->len; i++) {
        const Case *c = cases->pdata[i];
        if (!g_str_has_prefix(c->name, prefix))
            continue;
        g_autoptr(GPtrArray) lazy = readings(c->bytes, TRUE, &leaves);
        assert_same(c, lazy);
        checked += lazy->len;
    }
    if (checked == 0) {
        g_test_skip("no message with an enclosed message");
        return;
    }
    /* the switch took: the parse left enclosed messages as leaves */
    g_assert_cmpint(leaves, >, 0);
    g_test_message("%u enclosed messages read the same", checked);
}

/* Each part of `files` is (or is not) a message file, asked twice (the
 * verdict is kept on the part).  (The eager parse asked too, when the
 * cases were added.) */
static void
test_file_verdicts(void)
{
    bt_mime_enclosed_lazy();
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autoptr(GBytes) bytes = with_enclosed(files[i].header, files[i].content);
        GMimeMessage *mime = parse(bytes);
        g_assert_nonnull(mime);
        GMimeObject *part = g_mime_multipart_get_part(GMIME_MULTIPART(g_mime_message_get_mime_part(mime)), 1);
        for (int ask = 0; ask < 2; ask++) {
            if (bt_mime_is_message_file(part) != files[i].message)
                g_error("file case %zu (%s): %s a message file", i, files[i].header,
                        files[i].message ? "not read as" : "read as");
            g_assert_true(bt_mime_is_enclosed(part) == files[i].message);
        }
        g_object_unref(mime);
    }
}

/* bt_mime_header_value() and bt_mime_decode_text() give what GMime's
 * decoder gives: `ours` and
 * `theirs` are the same object parsed twice. */
static guint
assert_same_values(GMimeObject *ours, GMimeObject *theirs)
{
    GMimeHeaderList *a = g_mime_object_get_header_list(ours), *b = g_mime_object_get_header_list(theirs);
    int n = g_mime_header_list_get_count(a);
    g_assert_cmpint(n, ==, g_mime_header_list_get_count(b));
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(a, i);
        g_assert_cmpstr(bt_mime_header_value(h), ==, g_mime_header_get_value(g_mime_header_list_get_header_at(b, i)));
        /* and bt_mime_decode_text() what GMime's decoder gives */
        const char *raw = g_mime_header_get_raw_value(h);
        g_autofree char *ours_text = bt_mime_decode_text(raw ? raw : "");
        g_autofree char *gmime_text = g_mime_utils_header_decode_text(NULL, raw ? raw : "");
        g_assert_cmpstr(ours_text, ==, gmime_text);
    }
    return (guint) n;
}

static void
collect_part(GMimeObject *parent G_GNUC_UNUSED, GMimeObject *part, gpointer out)
{
    g_ptr_array_add(out, part);
}

static guint
assert_message_values(GBytes *bytes)
{
    GMimeMessage *ours = parse(bytes), *theirs = parse(bytes);
    if (!ours) {
        g_assert_null(theirs);
        return 0;
    }
    guint fields = assert_same_values(GMIME_OBJECT(ours), GMIME_OBJECT(theirs));
    g_autoptr(GPtrArray) a = g_ptr_array_new(), b = g_ptr_array_new();
    g_mime_message_foreach(ours, collect_part, a);
    g_mime_message_foreach(theirs, collect_part, b);
    g_assert_cmpuint(a->len, ==, b->len);
    for (guint i = 0; i < a->len; i++)
        fields += assert_same_values(a->pdata[i], b->pdata[i]);
    g_object_unref(ours);
    g_object_unref(theirs);
    return fields;
}

/* Header values of every message, and values built to try the unfolding
 * (blanks and line ends at either end and inside, "=" and "?" apart,
 * encoded words, 8-bit text). */
static void
test_header_values(void)
{
    static const char *const values[] = {
        "", " ", "plain", "  lead and trail \t ", "a\n b", "a\r\n\tb", "x\n \n y ",
        "= ? ?= =", "a=b?c", "=?utf-8?q?caf=C3=A9?= =?utf-8?q?_ok?=", "=?bogus", "x=?y",
        "na\xc3\xafve", "\xe9t\xe9", "tab\there", " \t\n ",
    };
    guint fields = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autofree char *text = g_strdup_printf("Subject:%s\nX-Two: %s\n\nbody\n", values[i], values[i]);
        g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));
        fields += assert_message_values(bytes);
    }
    for (guint i = 0; i < cases->len; i++)
        fields += assert_message_values(((Case *) cases->pdata[i])->bytes);
    g_test_message("%u header values the same", fields);
}

/* ---- the top-level header read without GMime ----------------------------- */

/* `bytes` parsed as bouncetriage parses them when it takes the top-level
 * fields (bt_mime_top_take): the top part alone, the fields attached; NULL
 * when its header is not plain. */
static GMimeObject *
parse_lean(GBytes *bytes)
{
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    GByteArray *copy = g_byte_array_sized_new((guint) len);
    g_byte_array_append(copy, (const guint8 *) data, (guint) len);
    gsize start = 0;
    BtMimeTop *top = bt_mime_top_take(copy, 0, &start);
    if (!top) {
        g_byte_array_unref(copy);
        return NULL;
    }
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(copy);
    g_mime_stream_set_bounds(stream, (gint64) start, -1);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_persist_stream(parser, TRUE);
    g_object_unref(stream);
    GMimeObject *part = g_mime_parser_construct_part(parser, NULL);
    g_object_unref(parser);
    g_assert_nonnull(part);
    bt_mime_top_attach(part, top);
    return part;
}

/* The fields taken are GMime's own fields of the message, name, raw value
 * and value; the block is what GMime writes; GMime built the same tree
 * from the Content-* fields alone (its top part written out the same). */
static gboolean
assert_same_top(GBytes *bytes)
{
    GMimeObject *ours = parse_lean(bytes);
    if (!ours)
        return FALSE;
    GMimeMessage *theirs = parse(bytes);
    g_assert_nonnull(theirs);
    g_assert_false(GMIME_IS_MESSAGE(ours));
    g_assert_true(bt_mime_body_of(ours) == ours);
    const BtMimeTop *top = bt_mime_top_of(ours);
    g_assert_nonnull(top);
    g_assert_nonnull(bt_mime_top_block(top));
    GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(theirs));
    g_assert_cmpint((int) bt_mime_top_count(top), ==, g_mime_header_list_get_count(list));
    for (guint i = 0; i < bt_mime_top_count(top); i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(list, (int) i);
        g_assert_cmpstr(bt_mime_top_name(top, i), ==, g_mime_header_get_name(h));
        g_assert_cmpstr(bt_mime_top_raw(top, i), ==, g_mime_header_get_raw_value(h));
        g_assert_cmpstr(bt_mime_top_value(top, i), ==, g_mime_header_get_value(h));
        g_assert_cmpstr(bt_mime_top_get(top, bt_mime_top_name(top, i)), ==,
                        g_mime_object_get_header(GMIME_OBJECT(theirs), bt_mime_top_name(top, i)));
    }
    g_assert_null(bt_mime_top_get(top, "X-Not-There-At-All"));
    g_autofree char *block = bt_mime_top_header_block(top, ours);
    g_autofree char *written = g_mime_object_get_headers(GMIME_OBJECT(theirs), NULL);
    g_assert_cmpstr(block, ==, written);
    g_autofree char *part_ours = g_mime_object_to_string(ours, NULL);
    g_autofree char *part_theirs = g_mime_object_to_string(g_mime_message_get_mime_part(theirs), NULL);
    g_assert_cmpstr(part_ours, ==, part_theirs);
    g_object_unref(ours);
    g_object_unref(theirs);
    return TRUE;
}

static void
test_top_fields(void)
{
    /* blocks that are not plain are left to GMime */
    static const char *const not_plain[] = {
        "From x@example.org Mon Jan  1 00:00:00 2024\nSubject: a\n\nbody\n",
        "Subject: cr\r\n\r\nbody\r\n", "Subject: 8-bit \xc3\xa9\n\nbody\n",
        "Subject: no blank line\n", "X-B :2\n\nbody\n", " folded first: x\n\nbody\n",
        "Subject: a\nNo colon here\n\nbody\n", "\nSubject: after blank\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(not_plain); i++) {
        g_autoptr(GBytes) bytes = g_bytes_new_static(not_plain[i], strlen(not_plain[i]));
        g_assert_false(assert_same_top(bytes));
    }
    static const char *const plain[] = {
        "Subject: a\n\nbody\n", "Content-Type: text/plain\n\nonly content\n",
        "X-A:1\nSubject: =?utf-8?q?caf=C3=A9?=\n  folded\n\tagain\nContent-type: multipart/mixed;\n"
        " boundary=b\nMIME-Version: 1.0\nCONTENT-TRANSFER-ENCODING: 7bit\nTo: a@example.org\n\n"
        "--b\nContent-Type: text/plain\n\npart\n--b--\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(plain); i++) {
        g_autoptr(GBytes) bytes = g_bytes_new_static(plain[i], strlen(plain[i]));
        g_assert_true(assert_same_top(bytes));
    }
    guint lean = 0;
    for (guint i = 0; i < cases->len; i++)
        lean += assert_same_top(((Case *) cases->pdata[i])->bytes);
    g_test_message("%u of %u messages' top-level fields read without GMime, the same", lean, cases->len);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_mime_init();
    cases = g_ptr_array_new();

    /* every eager parse happens before the first lazy one: the switch is
     * for the whole process */
    add_built_cases();
    const char *srcdir = g_getenv("BT_SRCDIR");
    g_autofree char *fixtures = g_build_filename(srcdir ? srcdir : ".", "fixtures", NULL);
    add_files(fixtures, ".eml");
    const char *shared = g_getenv("BT_SHARED");
    if (shared) {
        g_autofree char *corpus = g_build_filename(shared, "corpus", "set-of-emails", NULL);
        add_files(corpus, NULL);
    }

    /* first: bt_mime_enclosed_lazy() also makes GMime take the values
     * bt_mime_header_value() fills in for its own */
    g_test_add_func("/header/values", test_header_values);
    g_test_add_func("/header/top", test_top_fields);
    g_test_add_data_func("/enclosed/built", "built-", test_same_readings);
    g_test_add_data_func("/enclosed/odd", "odd-", test_same_readings);
    g_test_add_func("/enclosed/file-verdicts", test_file_verdicts);
    g_test_add_data_func("/enclosed/files", "file-", test_same_readings);
    g_test_add_data_func("/enclosed/fixtures", fixtures, test_same_readings);
    g_test_add_data_func("/enclosed/corpus", shared ? shared : "/nonexistent", test_same_readings);
    return g_test_run();
}
