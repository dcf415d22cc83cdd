/* fuzz target "source": the input stage on any bytes as a file (an mbox
 * when it starts with "From ", else one message; LF, CRLF or bare CR) —
 * message boundaries, the line-end filter, GMime's parser, the size caps —
 * and each message it yields through extract. */
#include "fuzz.h"
#include "source/source.h"

static void
count_problem(BtProblemKind kind, const char *origin, gint64 offset, const char *what, gpointer data)
{
    (void) kind; (void) offset;
    if (!origin || !what)
        abort();
    (*(guint *) data)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    BtExtractor *ex = fuzz_extractor();
    const char *dir = fuzz_tmpdir();
    g_autofree char *path = fuzz_write_file(dir, "input", data, size);
    const char *paths[] = { path, NULL };
    guint problems = 0;
    g_autoptr(BtSource) src = bt_source_new(paths, count_problem, &problems);
    BtMessage *msg;
    guint64 n = 0;
    while ((msg = bt_source_next(src))) {
        if (msg->seq != n++ || !msg->mime)
            abort();
        bt_bounce_free(bt_extract(ex, msg));
        bt_message_free(msg);
    }
    const BtSourceStats *st = bt_source_stats(src);
    if (st->messages != n || st->skipped + st->unreadable != problems)
        abort();
    return 0;
}
