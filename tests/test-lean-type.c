/* test-lean-type — a leaf's media type read when asked (core/lean-mime.h,
 * lean-type.c) is the one GMime's Content-Type handler would have set.
 * Values read by hand and values left to GMime's parser (the reader's
 * fallback decisions), each against g_mime_content_type_parse(); then
 * every message of the fixtures (and of the shared corpus when BT_SHARED
 * is set, and of the mbox BT_LEAN_TYPE_MBOX names) parsed twice in one
 * process: first eagerly, before bt_mime_enclosed_lazy() (GMime's
 * handler parses every Content-Type), then lazily; each part's type and
 * parameters, in walk order, must be the same. */
#define _GNU_SOURCE             /* memmem */
#include "core/lean-mime.h"

#include <string.h>

static const char *const types[][2] = {
    { "text", "plain" }, { "TEXT", "Plain" }, { "text", "*" }, { "*", "*" }, { "message", "delivery-status" },
    { "multipart", "report" }, { "application", "octet-stream" }, { "text", "calendar" }, { "message", "rfc822" },
};
static const char *const params[] = { "charset", "name", "report-type", "method", "format", "boundary", "delsp", "x" };

/* The part that `text` is, parsed lazily. */
static GMimeObject *
leaf_with_text(const char *text)
{
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream);
    GMimeObject *part = g_mime_parser_construct_part(parser, NULL);
    g_object_unref(parser);
    return part;
}

/* A leaf whose only field is `field` (a raw value), parsed lazily. */
static GMimeObject *
leaf_with(const char *raw)
{
    g_autofree char *text = g_strdup_printf("Content-Type:%s\nContent-Transfer-Encoding: 7bit\n\nbody\n", raw);
    return leaf_with_text(text);
}

/* The accessors on `obj` give what `ct` gives. */
static void
assert_same_type(GMimeObject *obj, GMimeContentType *ct)
{
    for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
        g_assert_cmpint(bt_mime_is_type(obj, types[i][0], types[i][1]), ==,
                        ct && g_mime_content_type_is_type(ct, types[i][0], types[i][1]));
    g_autofree char *type = NULL, *subtype = NULL;
    gboolean has = bt_mime_media_type(obj, &type, &subtype);
    g_assert_cmpint(has, ==, ct != NULL);
    if (ct) {
        g_assert_cmpstr(type, ==, g_mime_content_type_get_media_type(ct));
        g_assert_cmpstr(subtype, ==, g_mime_content_type_get_media_subtype(ct));
    }
    for (gsize i = 0; i < G_N_ELEMENTS(params); i++) {
        g_autofree char *ours = bt_mime_type_parameter(obj, params[i]);
        g_assert_cmpstr(ours, ==, ct ? g_mime_content_type_get_parameter(ct, params[i]) : NULL);
    }
}

static void
test_values(void)
{
    bt_mime_enclosed_lazy();
    static const struct {
        const char *raw;
        gboolean plain;
    } values[] = {
        { " text/plain", TRUE },
        { " text/plain; charset=us-ascii", TRUE },
        { " Text/PLAIN;\n\tcharset=\"UTF-8\"; format=flowed", TRUE },
        { " text / plain ;charset = iso-8859-1 ;", TRUE },
        { " text/plain;; charset=x", TRUE },
        { " text/plain; name=\"a;b.eml\"; charset=koi8-r", TRUE },
        { " text/plain; charset=\"\"", TRUE },
        { " message/delivery-status", TRUE },
        { " multipart/report; report-type=delivery-status; boundary=\"b\"", TRUE },
        { " text/calendar; method=REPLY; charset=UTF-8", TRUE },
        /* left to GMime */
        { " text/plain; charset=us-ascii (comment)", FALSE },
        { " text/plain; charset*=utf-8''%E2%82%AC", FALSE },
        { " text/plain; name*0=\"a\"; name*1=\"b.eml\"", FALSE },
        { " text/plain; name=\"a\\\"b\"", FALSE },
        { " text/plain; name=\"=?utf-8?q?caf=C3=A9.eml?=\"", FALSE },
        { " text/plain; name=\"caf\xc3\xa9.eml\"", FALSE },
        { " text/plain; charset=utf-8 junk", FALSE },
        { " text/plain; charset=utf-8; charset=koi8-r", TRUE },
        { " text/plain; charset=\"unterminated", FALSE },
        { " text/plain; charset=", FALSE },
        { " text/plain; =x", FALSE },
        { " text/plain; charset=a/b", FALSE },
        { " text/plain junk; charset=x", FALSE },
        { " text", FALSE },
        { " /plain", FALSE },
        { " text/", FALSE },
        { "", FALSE },
        { " text/pl@in; charset=x", FALSE },
        { " (c) text/plain", FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        GMimeObject *part = leaf_with(values[i].raw);
        g_assert_nonnull(part);
        /* a leaf's field is left unparsed; a multipart's is GMime's */
        g_assert_true(GMIME_IS_PART(part) == (g_mime_object_get_content_type(part) == NULL));
        GMimeHeader *field = g_mime_header_list_get_header(g_mime_object_get_header_list(part), "Content-Type");
        const char *value = bt_mime_header_value(field);
        g_assert_nonnull(value);
        g_test_message("%s -> %s", values[i].raw, value);
        g_assert_cmpint(bt_mime_type_value_is_plain(value), ==, values[i].plain);
        GMimeContentType *ct = g_mime_content_type_parse(NULL, value);
        assert_same_type(part, ct);
        g_object_unref(ct);
        g_object_unref(part);
    }
}

/* A multipart of two parts between `boundary` lines, typed `raw`. */
static GMimeObject *
multipart_with(const char *raw, const char *boundary)
{
    g_autofree char *text = g_strdup_printf("Content-Type:%s\n\npreface\n--%s\nContent-Type: text/plain\n\none\n"
                                            "--%s\n\ntwo\n--%s--\nepilogue\n",
                                            raw, boundary, boundary, boundary);
    return leaf_with_text(text);
}

/* A multipart's type: made by hand (its media type and boundary only)
 * for a plain value, GMime's parse for any other; either way the boundary
 * GMime's parser read is the one of GMime's parse, so the same parts. */
static void
test_multipart_values(void)
{
    bt_mime_enclosed_lazy();
    static const struct {
        const char *raw, *boundary;
        gboolean plain;
        int parts;
        const char *second[2];        /* the second part's type */
    } values[] = {
        { " multipart/report; report-type=delivery-status; boundary=\"b\"", "b", TRUE, 2, { "text", "plain" } },
        { " Multipart/Mixed; Boundary=b", "b", TRUE, 2, { "text", "plain" } },
        { " multipart/alternative;\n\tboundary=\"=_x=/y?\"", "=_x=/y?", TRUE, 2, { "text", "plain" } },
        { " multipart/mixed; boundary=\"b\"; boundary=\"c\"", "b", TRUE, 2, { "text", "plain" } },
        { " multipart/mixed; boundary=\"c\"; boundary=\"b\"", "b", TRUE, 0, { NULL, NULL } },
        { " multipart/mixed", "b", TRUE, 0, { NULL, NULL } },
        { " multipart/digest; boundary=d", "d", TRUE, 2, { "message", "rfc822" } },
        { " multipart/mixed; charset=x; boundary=b; report-type=y", "b", TRUE, 2, { "text", "plain" } },
        /* left to GMime */
        { " multipart/mixed; boundary=----=_Part_1", "----=_Part_1", FALSE, 2, { "text", "plain" } },
        { " multipart/mixed; boundary=\"b\" (comment)", "b", FALSE, 2, { "text", "plain" } },
        { " multipart/mixed; boundary*=us-ascii''b", "b", FALSE, 2, { "text", "plain" } },
        { " multipart/mixed; boundary=\"a\\\"b\"", "a\"b", FALSE, 2, { "text", "plain" } },
        { " multipart/mixed; boundary=b junk", "b", FALSE, 0, { NULL, NULL } },
        /* (the value GMime gives has the encoded word decoded: plain) */
        { " multipart/mixed; boundary=\"=?us-ascii?q?b?=\"", "b", TRUE, 2, { "text", "plain" } },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        GMimeObject *part = multipart_with(values[i].raw, values[i].boundary);
        g_test_message("%s", values[i].raw);
        g_assert_true(GMIME_IS_MULTIPART(part));
        GMimeHeader *field = g_mime_header_list_get_header(g_mime_object_get_header_list(part), "Content-Type");
        const char *value = bt_mime_header_value(field);
        g_assert_cmpint(bt_mime_type_value_is_plain(value), ==, values[i].plain);
        GMimeContentType *gmime = g_mime_content_type_parse(NULL, value);
        GMimeContentType *held = g_mime_object_get_content_type(part);
        g_assert_nonnull(held);
        g_assert_cmpstr(g_mime_content_type_get_media_type(held), ==, g_mime_content_type_get_media_type(gmime));
        g_assert_cmpstr(g_mime_content_type_get_media_subtype(held), ==, g_mime_content_type_get_media_subtype(gmime));
        g_assert_cmpstr(g_mime_content_type_get_parameter(held, "boundary"), ==,
                        g_mime_content_type_get_parameter(gmime, "boundary"));
        /* the decision: by hand (the boundary at most) or GMime's whole parse */
        int held_params = g_mime_param_list_length(g_mime_content_type_get_parameters(held));
        int boundaries = g_mime_content_type_get_parameter(gmime, "boundary") != NULL;
        g_assert_cmpint(held_params, ==,
                        values[i].plain ? boundaries : g_mime_param_list_length(g_mime_content_type_get_parameters(gmime)));
        assert_same_type(part, gmime);
        GMimeMultipart *multi = GMIME_MULTIPART(part);
        g_assert_cmpint(g_mime_multipart_get_count(multi), ==, values[i].parts);
        if (values[i].parts == 2) {
            GMimeObject *second = g_mime_multipart_get_part(multi, 1);
            g_assert_true(bt_mime_is_type(second, values[i].second[0], values[i].second[1]));
            g_assert_cmpstr(g_mime_multipart_get_prologue(multi), ==, "preface");
            g_assert_cmpstr(g_mime_multipart_get_epilogue(multi), ==, "epilogue\n");
        }
        g_object_unref(gmime);
        g_object_unref(part);
    }
}

/* ---- the same messages, eager then lazy ---------------------------------- */

/* What one part's type read as. */
typedef struct {
    char *type, *subtype;
    char *params[G_N_ELEMENTS(params)];
    gboolean is[G_N_ELEMENTS(types)];
    gint64 start, end;          /* a leaf's content bounds; -1 for none */
    char *faces;                /* a multipart's prologue and epilogue */
} TypeReading;

static void
type_reading_free(gpointer p)
{
    TypeReading *r = p;
    g_free(r->type);
    g_free(r->subtype);
    for (gsize i = 0; i < G_N_ELEMENTS(params); i++)
        g_free(r->params[i]);
    g_free(r->faces);
    g_free(r);
}

/* Read through the accessors, or (eager) through GMime's own objects. */
/* What GMime's parser made of the part's bounds, whichever way its type
 * was set: the boundaries it found must be the same. */
static void
read_bounds(GMimeObject *obj, TypeReading *r)
{
    r->start = r->end = -1;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *m = GMIME_MULTIPART(obj);
        r->faces = g_strdup_printf("%s|%s", g_mime_multipart_get_prologue(m) ? g_mime_multipart_get_prologue(m) : "(none)",
                                   g_mime_multipart_get_epilogue(m) ? g_mime_multipart_get_epilogue(m) : "(none)");
    }
    GMimeDataWrapper *content = GMIME_IS_PART(obj) ? g_mime_part_get_content(GMIME_PART(obj)) : NULL;
    GMimeStream *stream = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    if (stream) {
        r->start = stream->bound_start;
        r->end = stream->bound_end;
    }
}

static TypeReading *
read_type(GMimeObject *obj, gboolean eager)
{
    TypeReading *r = g_new0(TypeReading, 1);
    read_bounds(obj, r);
    if (eager) {
        GMimeContentType *ct = g_mime_object_get_content_type(obj);
        g_assert_nonnull(ct);
        r->type = g_strdup(g_mime_content_type_get_media_type(ct));
        r->subtype = g_strdup(g_mime_content_type_get_media_subtype(ct));
        for (gsize i = 0; i < G_N_ELEMENTS(params); i++)
            r->params[i] = g_strdup(g_mime_content_type_get_parameter(ct, params[i]));
        for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
            r->is[i] = g_mime_content_type_is_type(ct, types[i][0], types[i][1]);
        return r;
    }
    g_assert_true(bt_mime_media_type(obj, &r->type, &r->subtype));
    for (gsize i = 0; i < G_N_ELEMENTS(params); i++)
        r->params[i] = bt_mime_type_parameter(obj, params[i]);
    for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
        r->is[i] = bt_mime_is_type(obj, types[i][0], types[i][1]);
    return r;
}

/* Every part in walk order; enclosed messages are not entered (an eager
 * parse built them, a lazy one did not). */
static void
walk(GMimeObject *obj, gboolean eager, GPtrArray *out, guint *plain)
{
    if (!obj)
        return;
    g_ptr_array_add(out, read_type(obj, eager));
    if (GMIME_IS_MULTIPART(obj))
        for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++)
            walk(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), eager, out, plain);
    GMimeHeader *field = !eager && (GMIME_IS_PART(obj) || GMIME_IS_MULTIPART(obj))
        ? bt_mime_last_field(obj, "Content-Type") : NULL;
    if (field)
        *plain += bt_mime_type_value_is_plain(bt_mime_header_value(field));
}

typedef struct {
    GBytes *bytes;
    GPtrArray *eager;
} Case;

static GPtrArray *cases;

static GMimeMessage *
parse(GBytes *bytes)
{
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream);
    g_mime_parser_set_format(parser, len > 5 && memcmp(data, "From ", 5) == 0 ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
    GMimeMessage *mime = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    return mime;
}

static GPtrArray *
readings(GBytes *bytes, gboolean eager, guint *plain)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(type_reading_free);
    GMimeMessage *mime = parse(bytes);
    if (mime)
        walk(g_mime_message_get_mime_part(mime), eager, out, plain);
    g_clear_object(&mime);
    return out;
}

static void
add_case(GBytes *bytes)
{
    if (g_bytes_get_size(bytes) == 0)
        return;
    Case *c = g_new0(Case, 1);
    guint none = 0;
    c->bytes = g_bytes_ref(bytes);
    c->eager = readings(bytes, TRUE, &none);
    g_ptr_array_add(cases, c);
}

static void
add_files(const char *dir, const char *suffix)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    for (const char *name; d && (name = g_dir_read_name(d));) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            add_files(path, suffix);
            continue;
        }
        if (suffix && !g_str_has_suffix(name, suffix))
            continue;
        g_autoptr(GMappedFile) file = g_mapped_file_new(path, FALSE, NULL);
        if (!file)
            continue;
        g_autoptr(GBytes) bytes = g_mapped_file_get_bytes(file);
        add_case(bytes);
    }
}

/* An mbox cut at its "From " lines, each message a case. */
static void
add_mbox(const char *path)
{
    g_autoptr(GMappedFile) file = g_mapped_file_new(path, FALSE, NULL);
    if (!file)
        return;
    const char *data = g_mapped_file_get_contents(file);
    gsize len = g_mapped_file_get_length(file);
    for (gsize at = 0; at < len;) {
        const char *next = memmem(data + at + 1, len - at - 1, "\nFrom ", 6);
        gsize end = next ? (gsize) (next - data) + 1 : len;
        g_autoptr(GBytes) bytes = g_bytes_new(data + at, end - at);
        add_case(bytes);
        at = end;
    }
}

static void
test_same_as_eager(void)
{
    bt_mime_enclosed_lazy();
    guint parts = 0, plain = 0;
    for (guint i = 0; i < cases->len; i++) {
        Case *c = cases->pdata[i];
        g_autoptr(GPtrArray) lazy = readings(c->bytes, FALSE, &plain);
        g_assert_cmpuint(lazy->len, ==, c->eager->len);
        for (guint k = 0; k < lazy->len; k++, parts++) {
            TypeReading *a = c->eager->pdata[k], *b = lazy->pdata[k];
            g_assert_cmpstr(b->type, ==, a->type);
            g_assert_cmpstr(b->subtype, ==, a->subtype);
            for (gsize j = 0; j < G_N_ELEMENTS(params); j++)
                g_assert_cmpstr(b->params[j], ==, a->params[j]);
            for (gsize j = 0; j < G_N_ELEMENTS(types); j++)
                g_assert_cmpint(b->is[j], ==, a->is[j]);
            if (a->start != -1) {       /* (an enclosed message is a leaf in the lazy parse only) */
                g_assert_cmpint(b->start, ==, a->start);
                g_assert_cmpint(b->end, ==, a->end);
            }
            g_assert_cmpstr(b->faces, ==, a->faces);
        }
    }
    g_test_message("%u messages, %u parts the same (types, parameters, content bounds, prologues and epilogues); "
                   "%u leaves' and multiparts' types read by hand", cases->len, parts, plain);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_mime_init();
    cases = g_ptr_array_new();
    /* every eager parse before the first lazy one: the switch is for the
     * whole process */
    const char *srcdir = g_getenv("BT_SRCDIR");
    g_autofree char *fixtures = g_build_filename(srcdir ? srcdir : ".", "fixtures", NULL);
    add_files(fixtures, ".eml");
    const char *shared = g_getenv("BT_SHARED");
    if (shared) {
        g_autofree char *corpus = g_build_filename(shared, "corpus", "set-of-emails", NULL);
        add_files(corpus, NULL);
    }
    const char *mbox = g_getenv("BT_LEAN_TYPE_MBOX");
    if (mbox)
        add_mbox(mbox);
    g_test_add_func("/lean-type/same-as-eager", test_same_as_eager);
    g_test_add_func("/lean-type/values", test_values);
    g_test_add_func("/lean-type/multipart-values", test_multipart_values);
    return g_test_run();
}
