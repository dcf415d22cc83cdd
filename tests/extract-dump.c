/* extract-dump — a development tool for the extract stage: runs bt_extract
 * over .eml files (and mbox files) given as files or directories and
 * prints one JSON line per record, for the shared conformance scorer:
 *
 *     extract-dump [-l LAYOUTS_DIR]… PATH… | conformance
 *
 * It parses with GMime directly (CR and CRLF line ends become LF first,
 * as the source stage does) so that it does not depend on that stage. */
#include "extract/extract.h"

#include <json-glib/json-glib.h>
#include <string.h>

static GMimeStream *
lf_stream(const char *path, GError **error)
{
    char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, error))
        return NULL;
    gsize w = 0;
    for (gsize r = 0; r < len; r++) {
        if (data[r] == '\r') {
            data[w++] = '\n';
            if (r + 1 < len && data[r + 1] == '\n')
                r++;
        } else {
            data[w++] = data[r];
        }
    }
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, w);
    g_free(data);
    return stream;
}

static void
print_record(const BtRecord *rec)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    gsize n = 0;
    const BtFieldInfo *fields = bt_record_fields(&n);
    for (gsize i = 0; i < n; i++) {
        char buf[32];
        const char *v = bt_record_get(rec, &fields[i], buf);
        if (g_str_equal(fields[i].name, "hardbounce") || g_str_equal(fields[i].name, "offset"))
            continue;   /* decided by the rules stage / mbox only */
        json_builder_set_member_name(b, fields[i].name);
        if (!v)
            json_builder_add_null_value(b);
        else if (fields[i].type == BT_FIELD_INT)
            json_builder_add_int_value(b, g_ascii_strtoll(v, NULL, 10));
        else
            json_builder_add_string_value(b, v);
    }
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    g_autofree char *line = json_generator_to_data(gen, NULL);
    puts(line);
}

static void
extract_stream(BtExtractor *ex, const char *origin, GMimeStream *stream, gboolean mbox)
{
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, mbox ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
    guint64 seq = 0;
    while (!g_mime_parser_eos(parser)) {
        gint64 offset = mbox ? g_mime_parser_get_mbox_marker_offset(parser) : -1;
        GMimeMessage *mime = g_mime_parser_construct_message(parser, NULL);
        if (!mime) {
            g_printerr("%s: cannot parse\n", origin);
            break;
        }
        g_autoptr(BtMessage) msg = bt_message_new(origin, mbox ? offset : -1, GMIME_OBJECT(mime));
        msg->seq = seq++;
        g_autoptr(BtBounce) bounce = bt_extract(ex, msg);
        for (guint i = 0; i < bounce->records->len; i++)
            print_record(bounce->records->pdata[i]);
        if (!mbox)
            break;
    }
    g_object_unref(parser);
}

static void
extract_file(BtExtractor *ex, const char *path)
{
    g_autoptr(GError) error = NULL;
    GMimeStream *stream = lf_stream(path, &error);
    if (!stream) {
        g_printerr("%s\n", error->message);
        return;
    }
    char head[5] = "";
    g_mime_stream_read(stream, head, 5);
    g_mime_stream_reset(stream);
    extract_stream(ex, path, stream, memcmp(head, "From ", 5) == 0);
    g_object_unref(stream);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
extract_path(BtExtractor *ex, const char *path)
{
    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        extract_file(ex, path);
        return;
    }
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    if (!dir)
        return;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *name; (name = g_dir_read_name(dir));)
        g_ptr_array_add(names, g_build_filename(path, name, NULL));
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++)
        extract_path(ex, names->pdata[i]);
}

int
main(int argc, char **argv)
{
    g_auto(GStrv) layout_dirs = NULL;
    GOptionEntry entries[] = {
        { "layouts", 'l', 0, G_OPTION_ARG_FILENAME_ARRAY, &layout_dirs, "layout directory (repeatable)", "DIR" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("PATH… — print extract records as JSON lines");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("%s\n", error->message);
        return BT_EXIT_USAGE;
    }
    g_mime_init();
    const char *default_dirs[] = { BT_ABS_SRCDIR "/rules/layouts", NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(BtExtractor) ex = bt_extractor_new(layout_dirs ? (const char *const *) layout_dirs : default_dirs,
                                                 errors, &error);
    if (!ex) {
        for (guint i = 0; i < errors->len; i++)
            g_printerr("%s\n", (char *) errors->pdata[i]);
        g_printerr("%s\n", error ? error->message : "cannot load layouts");
        return BT_EXIT_CONFIG;
    }
    for (int i = 1; i < argc; i++)
        extract_path(ex, argv[i]);
    return BT_EXIT_OK;
}
