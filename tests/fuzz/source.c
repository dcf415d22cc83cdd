/* fuzz target "source": the input stage on any bytes as a file (an mbox
 * when it starts with "From ", else one message; LF, CRLF or bare CR; a
 * gzip stream inflated first, other compressed or foreign files named
 * from their first bytes) and
 * as the message of a maildir — message boundaries, the line-end filter,
 * GMime's parser, the size caps, the directory walk — and each message it
 * yields through extract. */
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

/* Every message of `path` (a file or a directory) through extract. */
static void
read_all(BtExtractor *ex, const char *path)
{
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
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    BtExtractor *ex = fuzz_extractor();
    const char *dir = fuzz_tmpdir();
    g_autofree char *path = fuzz_write_file(dir, "input", data, size);
    read_all(ex, path);
    /* the same bytes as the one message of a maildir (cur/ and new/ walked) */
    g_autofree char *md = g_build_filename(dir, "maildir", NULL);
    g_autofree char *cur = g_build_filename(md, "cur", NULL);
    g_autofree char *new_dir = g_build_filename(md, "new", NULL);
    g_autofree char *tmp = g_build_filename(md, "tmp", NULL);
    g_mkdir_with_parents(cur, 0700);
    g_mkdir_with_parents(new_dir, 0700);
    g_mkdir_with_parents(tmp, 0700);
    g_free(fuzz_write_file(new_dir, "1.fuzz", data, size));
    read_all(ex, md);
    g_autofree char *msg_path = g_build_filename(new_dir, "1.fuzz", NULL);
    g_unlink(msg_path);
    g_rmdir(cur);
    g_rmdir(new_dir);
    g_rmdir(tmp);
    g_rmdir(md);
    return 0;
}
