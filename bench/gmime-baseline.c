/* gmime-baseline — the parse-only floor for the benchmark.
 *
 * Streams each mbox named on the command line through GMime's parser in
 * mbox mode without keeping the stream (so memory stays flat), builds every
 * GMimeMessage, reads its top-level header fields and frees it. Nothing else:
 * bouncetriage cannot be faster than this, so bench/run.sh reports its
 * throughput as a ratio to this program's.
 *
 * Output (one line): "messages N bytes B headers H". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <gmime/gmime.h>

typedef struct {
    guint64 messages;
    guint64 bytes;
    guint64 headers;
    guint64 header_chars;   /* printed so the header reads cannot be optimised away */
} Tally;

/* Reads every top-level header field, as any consumer of the message would. */
static void
touch_headers(GMimeMessage *msg, Tally *tally)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
    int count = g_mime_header_list_get_count(list);

    for (int i = 0; i < count; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
        const char *value = g_mime_header_get_value(h);
        tally->header_chars += strlen(g_mime_header_get_name(h));
        tally->header_chars += value ? strlen(value) : 0;
    }
    tally->headers += (guint64) count;
}

/* Parses one mbox file; returns FALSE (with a message on stderr) if it cannot be opened. */
static gboolean
parse_mbox(const char *path, Tally *tally)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        g_printerr("gmime-baseline: %s: %s\n", path, g_strerror(errno));
        return FALSE;
    }

    GMimeStream *stream = g_mime_stream_fs_new(fd);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
    g_mime_parser_set_persist_stream(parser, FALSE);

    while (!g_mime_parser_eos(parser)) {
        GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
        if (!msg)
            break;
        touch_headers(msg, tally);
        tally->messages++;
        g_object_unref(msg);
    }
    tally->bytes += (guint64) g_mime_stream_tell(stream);

    g_object_unref(parser);
    g_object_unref(stream);
    return TRUE;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        g_printerr("usage: gmime-baseline MBOX...\n");
        return 2;
    }

    g_mime_init();
    Tally tally = { 0 };
    int status = 0;
    for (int i = 1; i < argc; i++)
        if (!parse_mbox(argv[i], &tally))
            status = 1;
    g_mime_shutdown();

    printf("messages %" G_GUINT64_FORMAT " bytes %" G_GUINT64_FORMAT
           " headers %" G_GUINT64_FORMAT " header_chars %" G_GUINT64_FORMAT "\n",
           tally.messages, tally.bytes, tally.headers, tally.header_chars);
    return status;
}
