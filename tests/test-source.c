/* test-source — the source stage: mbox (LF, CRLF, CR) with exact offsets,
 * maildirs and trees in order, stdin sniffing, and every kind of bad input
 * reported and skipped without stopping the run. */
#include "source/source-private.h"
#include "source/eol-filter.h"
#include "core/lean-mime.h"
#include "source/decompress.h"
#include "source/magic.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    BtProblemKind kind;
    char *origin;
    gint64 offset;
    char *what;
} Problem;

static void
problem_free(gpointer p)
{
    Problem *pr = p;
    g_free(pr->origin);
    g_free(pr->what);
    g_free(pr);
}

static void
collect_problem(BtProblemKind kind, const char *origin, gint64 offset, const char *what,
                gpointer user_data)
{
    Problem *pr = g_new0(Problem, 1);
    pr->kind = kind;
    pr->origin = g_strdup(origin);
    pr->offset = offset;
    pr->what = g_strdup(what);
    g_test_message("problem: %s @%" G_GINT64_FORMAT ": %s", origin, offset, what);
    g_ptr_array_add(user_data, pr);
}

/* A whole run: the messages and the problems, in order. */
typedef struct {
    GPtrArray *messages;   /* BtMessage * */
    GPtrArray *problems;   /* Problem * */
    BtSourceStats stats;
} Run;

static void
run_free(Run *run)
{
    g_ptr_array_unref(run->messages);
    g_ptr_array_unref(run->problems);
    g_free(run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Run, run_free)

static Run *
run_new(void)
{
    Run *run = g_new0(Run, 1);
    run->messages = g_ptr_array_new_with_free_func((GDestroyNotify) bt_message_free);
    run->problems = g_ptr_array_new_with_free_func(problem_free);
    return run;
}

static void
drain(BtSource *src, Run *run)
{
    BtMessage *msg;
    while ((msg = bt_source_next(src)))
        g_ptr_array_add(run->messages, msg);
    run->stats = *bt_source_stats(src);
    for (guint i = 0; i < run->messages->len; i++)
        g_assert_cmpuint(((BtMessage *) run->messages->pdata[i])->seq, ==, i);
    g_assert_cmpuint(run->stats.messages, ==, run->messages->len);
}

static Run *
run_paths(const char *const *paths)
{
    Run *run = run_new();
    g_autoptr(BtSource) src = bt_source_new(paths, collect_problem, run->problems);
    drain(src, run);
    return run;
}

static Run *
run_path(const char *path)
{
    const char *paths[] = { path, NULL };
    return run_paths(paths);
}

static BtMessage *
message_at(Run *run, guint i)
{
    g_assert_cmpuint(i, <, run->messages->len);
    return run->messages->pdata[i];
}

static Problem *
problem_at(Run *run, guint i)
{
    g_assert_cmpuint(i, <, run->problems->len);
    return run->problems->pdata[i];
}

static char *
make_temp_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("test-source-XXXXXX", &error);
    g_assert_no_error(error);
    return dir;
}

static void
remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir) {
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            remove_tree(child);
        }
        g_dir_close(dir);
    }
    g_remove(path);
}

static char *
write_file(const char *dir, const char *name, const char *data, gssize len)
{
    g_autoptr(GError) error = NULL;
    char *path = g_build_filename(dir, name, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    g_mkdir_with_parents(parent, 0755);
    g_file_set_contents(path, data, len, &error);
    g_assert_no_error(error);
    return path;
}

static const char *
shared_dir(void)
{
    const char *shared = g_getenv("BT_SHARED");
    if (!shared || !g_file_test(shared, G_FILE_TEST_IS_DIR))
        return NULL;
    return shared;
}

/* The corpus file, or NULL (and the test skipped) when it is absent. */
static char *
corpus_path(const char *relative)
{
    const char *shared = shared_dir();
    char *path = shared ? g_build_filename(shared, "corpus/set-of-emails", relative, NULL) : NULL;
    if (!path || !g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_test_skip("no shared corpus (BT_SHARED)");
        g_free(path);
        return NULL;
    }
    return path;
}

static const char *
header(BtMessage *msg, const char *name)
{
    return bt_mime_top_get(bt_mime_top_of(msg->mime), name);
}

/* The message as GMime writes it, but with the header block bouncetriage
 * reads (a plain top-level header is not GMime's: lean-mime.h). */
static char *
message_text(GMimeObject *mime)
{
    g_autofree char *block = bt_mime_top_header_block(bt_mime_top_of(mime), mime);
    GMimeStream *out = g_mime_stream_mem_new();
    g_mime_stream_write_string(out, block);
    g_mime_stream_write_string(out, "\n");
    GMimeObject *part = bt_mime_body_of(mime);
    if (part)
        g_mime_object_write_content_to_stream(part, NULL, out);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
    char *text = g_strndup((const char *) bytes->data, bytes->len);
    g_object_unref(out);
    return text;
}

/* Text with every line end turned into `eol` ("\n", "\r\n" or "\r"). */
static GString *
with_line_ends(const char *text, gsize len, const char *eol)
{
    GString *out = g_string_sized_new(len + len / 16);
    for (gsize i = 0; i < len; i++) {
        if (text[i] == '\r' || text[i] == '\n') {
            if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
                i++;
            g_string_append(out, eol);
        } else {
            g_string_append_c(out, text[i]);
        }
    }
    return out;
}

/* Offsets of every line that starts with "From ", whatever the line ends. */
static GArray *
from_line_offsets(const char *text, gsize len)
{
    GArray *offsets = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (gsize i = 0; i + 5 <= len; i++) {
        gboolean line_start = i == 0 || text[i - 1] == '\n' ||
                              (text[i - 1] == '\r' && text[i] != '\n');
        if (line_start && memcmp(text + i, "From ", 5) == 0) {
            gint64 o = (gint64) i;
            g_array_append_val(offsets, o);
        }
    }
    return offsets;
}

static const char *
simple_message(void)
{
    return "From: Mail Delivery System <MAILER-DAEMON@example.org>\n"
           "To: sender@example.com\n"
           "Subject: Undelivered Mail Returned to Sender\n"
           "Message-ID: <one@example.org>\n"
           "\n"
           "This is the mail system.\n";
}

/* An mbox of n small multipart bounces. */
static GString *
generated_mbox(int n)
{
    GString *mbox = g_string_new(NULL);
    for (int i = 0; i < n; i++)
        g_string_append_printf(mbox,
            "From MAILER-DAEMON Thu Sep 18 17:54:0%d 2008\n"
            "From: MAILER-DAEMON@example.org\n"
            "To: user%d@example.com\n"
            "Subject: bounce %d\n"
            "Message-ID: <m%d@example.org>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b%d\"\n"
            "\n"
            "--b%d\n"
            "Content-Type: text/plain\n"
            "\n"
            "Delivery to user%d@example.net failed.\n"
            "\n"
            "--b%d\n"
            "Content-Type: message/delivery-status\n"
            "\n"
            "Final-Recipient: rfc822; user%d@example.net\n"
            "Status: 5.1.1\n"
            "\n"
            "--b%d--\n"
            "\n",
            i % 10, i, i, i, i, i, i, i, i, i);
    return mbox;
}

/* Feeds a buffer into a pipe from another thread, as a shell would. */
typedef struct {
    int fd;
    const char *data;
    gsize len;
} PipeFeed;

static gpointer
feed_pipe(gpointer p)
{
    PipeFeed *feed = p;
    gsize done = 0;
    while (done < feed->len) {
        ssize_t n = write(feed->fd, feed->data + done, feed->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        g_assert_cmpint(n, >, 0);
        done += (gsize) n;
    }
    close(feed->fd);
    return NULL;
}

static Run *
run_pipe(const char *data, gsize len)
{
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    PipeFeed feed = { fds[1], data, len };
    GThread *writer = g_thread_new("feed", feed_pipe, &feed);

    Run *run = run_new();
    BtSource *src = bt_source_new_for_fd(fds[0], "-", collect_problem, run->problems);
    drain(src, run);
    bt_source_free(src);
    g_thread_join(writer);
    close(fds[0]);
    return run;
}

/* ---- mbox --------------------------------------------------------------- */

/* Every message of an mbox, each offset exactly at a From line. */
static void
check_mbox_run(Run *run, const char *data, gsize len, guint expected)
{
    g_autoptr(GArray) froms = from_line_offsets(data, len);
    g_assert_cmpuint(run->messages->len, ==, expected);
    g_assert_cmpuint(froms->len, ==, expected);
    for (guint i = 0; i < run->messages->len; i++) {
        BtMessage *msg = message_at(run, i);
        g_assert_cmpint(msg->offset, ==, g_array_index(froms, gint64, i));
        g_assert_cmpmem(data + msg->offset, 5, "From ", 5);
        g_assert_nonnull(msg->mime);
        g_assert_cmpuint(msg->size, >, 0);
    }
    g_assert_cmpuint(run->problems->len, ==, 0);
    g_assert_cmpuint(run->stats.bytes, ==, len);
    g_assert_cmpuint(run->stats.skipped + run->stats.unreadable, ==, 0);
}

static void
test_mbox_corpus(void)
{
    g_autofree char *path = corpus_path("mailbox/mbox-0");
    if (!path)
        return;
    g_autofree char *data = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));

    g_autoptr(Run) run = run_path(path);
    check_mbox_run(run, data, len, 37);
    for (guint i = 0; i < run->messages->len; i++) {
        BtMessage *msg = message_at(run, i);
        g_assert_cmpstr(msg->origin, ==, path);
        g_assert_nonnull(header(msg, "From"));
    }
}

/* The same mbox with LF, CRLF, CR and CR CR LF line ends gives the same messages,
 * each with the exact offset of its From line in its own file. */
static void
test_mbox_line_ends(void)
{
    g_autofree char *path = corpus_path("mailbox/mbox-0");
    if (!path)
        return;
    g_autofree char *orig = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(path, &orig, &len, NULL));
    g_autofree char *dir = make_temp_dir();

    static const struct { const char *name, *eol; } styles[] = {
        { "lf.mbox", "\n" }, { "crlf.mbox", "\r\n" }, { "cr.mbox", "\r" },
        { "crcrlf.mbox", "\r\r\n" },   /* CRLF converted once more */
    };
    Run *runs[G_N_ELEMENTS(styles)];
    for (gsize s = 0; s < G_N_ELEMENTS(styles); s++) {
        g_autoptr(GString) text = with_line_ends(orig, len, styles[s].eol);
        g_autofree char *file = write_file(dir, styles[s].name, text->str, (gssize) text->len);
        runs[s] = run_path(file);
        check_mbox_run(runs[s], text->str, text->len, 37);
    }
    for (gsize s = 1; s < G_N_ELEMENTS(styles); s++) {
        for (guint i = 0; i < 37; i++) {
            BtMessage *a = message_at(runs[0], i), *b = message_at(runs[s], i);
            g_assert_cmpstr(header(a, "Message-ID"), ==, header(b, "Message-ID"));
            g_assert_cmpstr(header(a, "Subject"), ==, header(b, "Subject"));
            g_assert_cmpstr(header(a, "From"), ==, header(b, "From"));
            g_autofree char *ta = message_text(a->mime);
            g_autofree char *tb = message_text(b->mime);
            g_assert_cmpstr(ta, ==, tb);
        }
    }
    for (gsize s = 0; s < G_N_ELEMENTS(styles); s++)
        run_free(runs[s]);
    remove_tree(dir);
}

/* A generated mbox with every line end, and the same through a pipe. */
static void
test_mbox_generated(void)
{
    g_autoptr(GString) lf = generated_mbox(25);
    static const char *const eols[] = { "\n", "\r\n", "\r", "\r\r\n" };
    g_autofree char *dir = make_temp_dir();
    for (gsize s = 0; s < G_N_ELEMENTS(eols); s++) {
        g_autoptr(GString) text = with_line_ends(lf->str, lf->len, eols[s]);
        g_autofree char *file = write_file(dir, "gen.mbox", text->str, (gssize) text->len);
        g_autoptr(Run) run = run_path(file);
        check_mbox_run(run, text->str, text->len, 25);
        g_autoptr(Run) piped = run_pipe(text->str, text->len);
        check_mbox_run(piped, text->str, text->len, 25);
        for (guint i = 0; i < 25; i++) {
            g_autofree char *subject = g_strdup_printf("bounce %u", i);
            g_assert_cmpstr(header(message_at(run, i), "Subject"), ==, subject);
            g_assert_cmpstr(message_at(piped, i)->origin, ==, "-");
            g_assert_cmpstr(header(message_at(piped, i), "Subject"), ==, subject);
        }
    }
    remove_tree(dir);
}

/* Messages outlive their source and do not share its streams. */
static void
test_messages_outlive_source(void)
{
    g_autoptr(GString) mbox = generated_mbox(3);
    g_autofree char *dir = make_temp_dir();
    g_autofree char *file = write_file(dir, "a.mbox", mbox->str, (gssize) mbox->len);
    g_autoptr(Run) run = run_path(file);
    remove_tree(dir);   /* the file is gone: the messages must not need it */
    g_assert_cmpuint(run->messages->len, ==, 3);
    for (guint i = 0; i < 3; i++) {
        BtMessage *msg = message_at(run, i);
        GMimeObject *part = bt_mime_body_of(msg->mime);
        g_assert_true(GMIME_IS_MULTIPART(part));
        GMimeObject *text = g_mime_multipart_get_part(GMIME_MULTIPART(part), 0);
        g_autofree char *body = g_mime_object_to_string(text, NULL);
        g_autofree char *want = g_strdup_printf("Delivery to user%u@example.net failed.", i);
        g_assert_nonnull(strstr(body, want));
    }
}

/* An mbox entry followed by another whose top part bouncetriage parses
 * alone (parse.c: ends_in_content) has the content GMime gives the same
 * entry parsed whole, for every way an entry can end: text, text and an
 * empty line, an end boundary with and without one, an opening boundary,
 * a part header with nothing after it, a message without a body. */
static void
test_mbox_entry_ends(void)
{
    static const char *const heads[] = {
        "Subject: leaf\nContent-Type: text/plain\n\n",
        "Subject: multi\nContent-Type: multipart/mixed; boundary=b\n\npreface\n--b\nContent-Type: text/plain\n\n",
    };
    static const char *const tails[] = {
        "text", "text\n", "text\n\n", "text\n\n\n", "Note: a field-like line", "Note: x\n",
        "\n--b--", "\n--b--\n", "\n--b--\n\n", "\n--b--\npost\n", "\n--b", "\n--b\n",
        "\n--b\nContent-Type: text/plain", "\n--b\nContent-Type: text/plain\n",
        "\n--b\nContent-Type: text/plain\n\n", "\n-- \nsignature", "",
    };
    g_autofree char *dir = make_temp_dir();
    guint n = 0;
    for (gsize h = 0; h < G_N_ELEMENTS(heads); h++)
        for (gsize t = 0; t < G_N_ELEMENTS(tails); t++) {
            g_autofree char *mbox = g_strdup_printf("From a@example.org Mon Jan  1 00:00:00 2024\n%s%s\n"
                                                    "From b@example.org Mon Jan  1 00:00:00 2024\n"
                                                    "Subject: next\n\nnext\n", heads[h], tails[t]);
            g_autofree char *name = g_strdup_printf("e%u.mbox", n++);
            g_autofree char *file = write_file(dir, name, mbox, -1);
            g_autoptr(Run) run = run_path(file);
            g_assert_cmpuint(run->messages->len, ==, 2);
            GMimeObject *ours = bt_mime_body_of(message_at(run, 0)->mime);
            /* as GMime reads the entry in the whole file, the next From_
             * line alone after it (where the source cuts) */
            const char *next = strstr(mbox, "From b@");
            g_autofree char *entry = g_strdup_printf("%.*sFrom -\n", (int) (next - mbox), mbox);
            GMimeStream *stream = g_mime_stream_mem_new_with_buffer(entry, strlen(entry));
            GMimeParser *parser = g_mime_parser_new_with_stream(stream);
            g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
            GMimeMessage *theirs = g_mime_parser_construct_message(parser, NULL);
            g_assert_nonnull(theirs);
            g_autofree char *want = g_mime_object_to_string(g_mime_message_get_mime_part(theirs), NULL);
            g_autofree char *got = g_mime_object_to_string(ours, NULL);
            if (g_strcmp0(want, got) != 0)
                g_error("entry ending \"%s\" after \"%s\": GMime gives\n%s\nbouncetriage\n%s",
                        tails[t], heads[h], want, got);
            g_object_unref(theirs);
            g_object_unref(parser);
            g_object_unref(stream);
        }
    remove_tree(dir);
}

/* ---- maildirs and trees ------------------------------------------------- */

static GMimeObject *
parse_file_alone(const char *path)
{
    g_autoptr(Run) run = run_path(path);
    g_assert_cmpuint(run->messages->len, ==, 1);
    g_assert_cmpuint(run->problems->len, ==, 0);
    /* -1, or 0 for a file that starts with a From line (an mbox of one) */
    g_assert_cmpint(message_at(run, 0)->offset, <=, 0);
    return g_object_ref(message_at(run, 0)->mime);
}

/* Same header fields, in order, with the same decoded values (whether
 * GMime or bouncetriage read them: lean-mime.h). */
static void
assert_same_headers(GMimeObject *a, GMimeObject *b, const char *name)
{
    const BtMimeTop *ha = bt_mime_top_of(a), *hb = bt_mime_top_of(b);
    g_test_message("comparing %s", name);
    g_assert_cmpuint(bt_mime_top_count(ha), ==, bt_mime_top_count(hb));
    g_assert_cmpuint(bt_mime_top_count(ha), >, 0);
    for (guint i = 0; i < bt_mime_top_count(ha); i++) {
        g_assert_cmpstr(bt_mime_top_name(ha, i), ==, bt_mime_top_name(hb, i));
        g_assert_cmpstr(bt_mime_top_value(ha, i), ==, bt_mime_top_value(hb, i));
    }
}

static void
test_maildir_dos_mac(void)
{
    g_autofree char *bsd = corpus_path("maildir/bsd");
    if (!bsd)
        return;
    g_autofree char *dos = corpus_path("maildir/dos");
    g_autofree char *mac = corpus_path("maildir/mac");
    GDir *dir = g_dir_open(dos, 0, NULL);
    g_assert_nonnull(dir);
    const char *name;
    int compared = 0;
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *pb = g_build_filename(bsd, name, NULL);
        g_autofree char *pd = g_build_filename(dos, name, NULL);
        g_autofree char *pm = g_build_filename(mac, name, NULL);
        GMimeObject *mb = parse_file_alone(pb);
        GMimeObject *md = parse_file_alone(pd);
        GMimeObject *mm = parse_file_alone(pm);
        assert_same_headers(mb, md, name);
        assert_same_headers(mb, mm, name);
        /* dos and mac are the same text but for line ends: so must the parses be */
        g_autofree char *td = g_mime_object_to_string(md, NULL);
        g_autofree char *tm = g_mime_object_to_string(mm, NULL);
        g_assert_cmpstr(td, ==, tm);
        g_object_unref(mb);
        g_object_unref(md);
        g_object_unref(mm);
        compared++;
    }
    g_dir_close(dir);
    g_assert_cmpint(compared, >=, 40);
}

/* Each file of maildir/bsd is one message; the directory gives them all in
 * name order. */
static void
test_corpus_directory(void)
{
    g_autofree char *bsd = corpus_path("maildir/bsd");
    if (!bsd)
        return;
    g_autoptr(Run) run = run_path(bsd);
    g_assert_cmpuint(run->messages->len, >, 400);
    g_assert_cmpuint(run->problems->len, ==, 0);
    /* name order; a file that is an mbox of several gives them in file order */
    for (guint i = 1; i < run->messages->len; i++) {
        BtMessage *a = message_at(run, i - 1), *b = message_at(run, i);
        int order = strcmp(a->origin, b->origin);
        g_assert_cmpint(order, <=, 0);
        if (order == 0)
            g_assert_cmpint(a->offset, <, b->offset);
    }
}

static char *
numbered_message(int n)
{
    return g_strdup_printf("From: MAILER-DAEMON@example.org\nSubject: number %d\n\nbody %d\n", n, n);
}

static void
put_message(const char *dir, const char *name, int n)
{
    g_autofree char *text = numbered_message(n);
    g_autofree char *path = write_file(dir, name, text, -1);
}

static void
assert_subjects(Run *run, const int *numbers, guint count)
{
    g_assert_cmpuint(run->messages->len, ==, count);
    for (guint i = 0; i < count; i++) {
        g_autofree char *want = g_strdup_printf("number %d", numbers[i]);
        g_assert_cmpstr(header(message_at(run, i), "Subject"), ==, want);
    }
}

static void
test_maildir(void)
{
    g_autofree char *dir = make_temp_dir();
    put_message(dir, "cur/1700000002.M2.host:2,S", 2);
    put_message(dir, "cur/1700000001.M1.host:2,S", 1);
    put_message(dir, "new/1700000000.M0.host", 3);
    put_message(dir, "new/1700000009.M9.host", 4);
    put_message(dir, "tmp/1700000005.M5.host", 99);       /* delivery in progress */
    put_message(dir, "cur/.hidden", 98);
    put_message(dir, ".Sent/cur/1700000003.M3.host", 97); /* a Maildir++ folder: a dot-entry */

    g_autoptr(Run) run = run_path(dir);
    static const int order[] = { 1, 2, 3, 4 };
    assert_subjects(run, order, G_N_ELEMENTS(order));
    g_assert_true(g_str_has_suffix(message_at(run, 0)->origin, "cur/1700000001.M1.host:2,S"));
    g_assert_true(g_str_has_suffix(message_at(run, 2)->origin, "new/1700000000.M0.host"));
    g_assert_cmpint(message_at(run, 0)->offset, ==, -1);
    g_assert_cmpuint(run->problems->len, ==, 0);
    remove_tree(dir);
}

static void
test_tree(void)
{
    g_autofree char *dir = make_temp_dir();
    put_message(dir, "b/x.eml", 4);
    put_message(dir, "a/z.eml", 2);
    put_message(dir, "a/sub/y.eml", 1);
    put_message(dir, ".git/objects/ignored", 99);
    put_message(dir, "a/.swp", 98);
    put_message(dir, "d/box/cur/m1", 7);         /* a maildir inside the tree */
    put_message(dir, "d/box/new/m2", 8);
    put_message(dir, "d/box/tmp/m3", 97);
    g_autoptr(GString) mbox = g_string_new(NULL);
    for (int n = 5; n <= 6; n++) {
        g_autofree char *text = numbered_message(n);
        g_string_append_printf(mbox, "From someone Mon Jan  1 00:00:00 2024\n%s\n", text);
    }
    g_autofree char *mbox_path = write_file(dir, "c.mbox", mbox->str, (gssize) mbox->len);
    g_autoptr(GString) crlf = with_line_ends(simple_message(), strlen(simple_message()), "\r\n");
    g_autofree char *crlf_path = write_file(dir, "e/dos.eml", crlf->str, (gssize) crlf->len);
    g_autofree char *link = g_build_filename(dir, "a/sub/loop", NULL);
    g_assert_cmpint(symlink(dir, link), ==, 0);   /* followed, it would never end */

    g_autoptr(Run) run = run_path(dir);
    static const int order[] = { 1, 2, 4, 5, 6, 7, 8 };
    g_assert_cmpuint(run->messages->len, ==, G_N_ELEMENTS(order) + 1);
    for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
        g_autofree char *want = g_strdup_printf("number %d", order[i]);
        g_assert_cmpstr(header(message_at(run, i), "Subject"), ==, want);
    }
    g_assert_cmpstr(message_at(run, 3)->origin, ==, mbox_path);
    g_assert_cmpint(message_at(run, 3)->offset, ==, 0);
    g_assert_cmpmem(mbox->str + message_at(run, 4)->offset, 5, "From ", 5);
    g_assert_cmpstr(message_at(run, 7)->origin, ==, crlf_path);
    g_assert_cmpstr(header(message_at(run, 7), "Message-ID"), ==, "<one@example.org>");
    g_assert_cmpuint(run->problems->len, ==, 0);
    remove_tree(dir);
}

/* ---- stdin -------------------------------------------------------------- */

static void
test_stdin_one_message(void)
{
    static const char *const eols[] = { "\n", "\r\n", "\r", "\r\r\n" };
    for (gsize s = 0; s < G_N_ELEMENTS(eols); s++) {
        g_autoptr(GString) text = with_line_ends(simple_message(), strlen(simple_message()), eols[s]);
        g_autoptr(Run) run = run_pipe(text->str, text->len);
        g_assert_cmpuint(run->messages->len, ==, 1);
        BtMessage *msg = message_at(run, 0);
        g_assert_cmpstr(msg->origin, ==, "-");
        g_assert_cmpint(msg->offset, ==, -1);
        g_assert_cmpuint(msg->size, ==, text->len);
        g_assert_cmpstr(header(msg, "Subject"), ==, "Undelivered Mail Returned to Sender");
        g_assert_cmpuint(run->problems->len, ==, 0);
        g_assert_cmpuint(run->stats.bytes, ==, text->len);
    }
}

/* An Apple Mail .emlx: the byte count on the first line says where the
 * message ends; the property list after it is not part of the message,
 * whether the message ends in the sniffed block or after it. */
static void
test_stdin_emlx(void)
{
    static const char plist[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                "<plist version=\"1.0\">\n<dict>\n\t<key>flags</key>\n"
                                "\t<integer>8590195713</integer>\n</dict>\n</plist>\n";
    for (int lines = 0; lines <= 20000; lines += 20000) {
        g_autoptr(GString) message = g_string_new(simple_message());
        for (int i = 0; i < lines; i++)
            g_string_append_printf(message, "line %d of a long bounce\n", i);
        g_autoptr(GString) text = g_string_new(NULL);
        g_string_append_printf(text, "%-10" G_GSIZE_FORMAT "\n%s%s", message->len, message->str, plist);
        g_autoptr(Run) run = run_pipe(text->str, text->len);
        g_assert_cmpuint(run->messages->len, ==, 1);
        g_assert_cmpuint(run->problems->len, ==, 0);
        g_assert_cmpstr(header(message_at(run, 0), "Subject"), ==, "Undelivered Mail Returned to Sender");
        g_autofree char *all = g_mime_object_to_string(GMIME_OBJECT(message_at(run, 0)->mime), NULL);
        g_assert_null(strstr(all, "plist"));
    }
}

/* A message larger than the sniffed block comes through whole. */
static void
test_stdin_large_message(void)
{
    g_autoptr(GString) text = g_string_new(simple_message());
    for (int i = 0; i < 20000; i++)
        g_string_append_printf(text, "line %d of a long bounce\n", i);
    g_autoptr(Run) run = run_pipe(text->str, text->len);
    g_assert_cmpuint(run->messages->len, ==, 1);
    g_autofree char *all = g_mime_object_to_string(GMIME_OBJECT(message_at(run, 0)->mime), NULL);
    g_assert_nonnull(strstr(all, "line 19999 of a long bounce\n"));
    g_assert_nonnull(strstr(all, "This is the mail system.\nline 0 of"));
}

/* The real stdin, through bt_source_new(NULL) and {"-"}. */
static void
test_stdin_real(void)
{
    g_autoptr(GString) mbox = generated_mbox(4);
    for (int variant = 0; variant < 2; variant++) {
        int fds[2];
        g_assert_cmpint(pipe(fds), ==, 0);
        PipeFeed feed = { fds[1], mbox->str, mbox->len };
        GThread *writer = g_thread_new("feed", feed_pipe, &feed);
        int saved = dup(STDIN_FILENO);
        g_assert_cmpint(dup2(fds[0], STDIN_FILENO), ==, STDIN_FILENO);
        close(fds[0]);

        g_autoptr(Run) run = run_new();
        const char *dash[] = { "-", NULL };
        BtSource *src = bt_source_new(variant ? dash : NULL, collect_problem, run->problems);
        drain(src, run);
        bt_source_free(src);
        g_thread_join(writer);
        dup2(saved, STDIN_FILENO);
        close(saved);
        check_mbox_run(run, mbox->str, mbox->len, 4);
        g_assert_cmpstr(message_at(run, 0)->origin, ==, "-");
    }
}

/* ---- problems ----------------------------------------------------------- */

static void
test_unreadable(void)
{
    g_autofree char *dir = make_temp_dir();
    g_autofree char *missing = g_build_filename(dir, "no-such-file", NULL);
    g_autofree char *good = write_file(dir, "good.eml", simple_message(), -1);
    const char *paths[] = { missing, good, NULL };
    g_autoptr(Run) run = run_paths(paths);

    g_assert_cmpuint(run->problems->len, ==, 1);
    Problem *pr = problem_at(run, 0);
    g_assert_cmpint(pr->kind, ==, BT_PROBLEM_UNREADABLE);
    g_assert_cmpstr(pr->origin, ==, missing);
    g_assert_cmpint(pr->offset, ==, -1);
    g_assert_cmpstr(pr->what, ==, "cannot open: No such file or directory");
    /* the run goes on */
    g_assert_cmpuint(run->messages->len, ==, 1);
    g_assert_cmpstr(message_at(run, 0)->origin, ==, good);
    g_assert_cmpuint(run->stats.unreadable, ==, 1);
    g_assert_cmpuint(run->stats.skipped, ==, 0);

    if (geteuid() != 0) {
        g_autofree char *locked = write_file(dir, "locked.eml", simple_message(), -1);
        g_chmod(locked, 0);
        g_autoptr(Run) run2 = run_path(locked);
        g_assert_cmpuint(run2->problems->len, ==, 1);
        g_assert_cmpstr(problem_at(run2, 0)->what, ==, "cannot open: Permission denied");
    }
    remove_tree(dir);
}

/* A file read as a whole, expected to give nothing but one SKIPPED problem. */
static void
assert_skipped(const char *dir, const char *name, const char *data, gsize len)
{
    g_autofree char *path = write_file(dir, name, data, (gssize) len);
    g_autoptr(Run) run = run_path(path);
    g_assert_cmpuint(run->messages->len, ==, 0);
    g_assert_cmpuint(run->problems->len, ==, 1);
    Problem *pr = problem_at(run, 0);
    g_assert_cmpint(pr->kind, ==, BT_PROBLEM_SKIPPED);
    g_assert_cmpstr(pr->origin, ==, path);
    g_assert_cmpuint(strlen(pr->what), >, 8);
    g_assert_cmpuint(run->stats.skipped, ==, 1);
    g_assert_cmpuint(run->stats.bytes, ==, len);
}

static void
test_empty_file(void)
{
    g_autofree char *dir = make_temp_dir();
    g_autofree char *path = write_file(dir, "empty.eml", "", 0);
    g_autoptr(Run) run = run_path(path);
    g_assert_cmpuint(run->messages->len, ==, 0);
    g_assert_cmpuint(run->problems->len, ==, 1);
    g_assert_cmpint(problem_at(run, 0)->kind, ==, BT_PROBLEM_SKIPPED);
    g_assert_cmpstr(problem_at(run, 0)->what, ==, "empty file");

    g_autoptr(Run) piped = run_pipe("", 0);
    g_assert_cmpuint(piped->messages->len, ==, 0);
    g_assert_cmpstr(problem_at(piped, 0)->what, ==, "empty input");
    remove_tree(dir);
}

static void
test_tiny_files(void)
{
    g_autofree char *dir = make_temp_dir();
    static const char *const tiny[] = { "x", "\n", "a:", "a:b", "\r\n\r", "\0\0\0" };
    for (gsize i = 0; i < G_N_ELEMENTS(tiny); i++) {
        gsize len = i == 5 ? 3 : strlen(tiny[i]);
        g_autofree char *name = g_strdup_printf("tiny-%zu", i);
        assert_skipped(dir, name, tiny[i], len);
    }
    remove_tree(dir);
}

static void
test_random_bytes(void)
{
    g_autofree char *dir = make_temp_dir();
    g_autoptr(GRand) rand = g_rand_new_with_seed(20240601);
    static const gsize sizes[] = { 4, 5, 17, 100, 4095, 4096, 4097, 65536 };
    for (int round = 0; round < 25; round++) {
        gsize len = sizes[round % G_N_ELEMENTS(sizes)];
        g_autofree guint8 *bytes = g_malloc(len);
        for (gsize i = 0; i < len; i++)
            bytes[i] = (guint8) g_rand_int_range(rand, 0, 256);
        g_autofree char *name = g_strdup_printf("random-%d.bin", round);
        assert_skipped(dir, name, (const char *) bytes, len);
    }
    remove_tree(dir);
}

/* A bad file between good ones: reported, and the good ones still come. */
static void
test_run_goes_on(void)
{
    g_autofree char *dir = make_temp_dir();
    g_autofree char *a = write_file(dir, "1.eml", simple_message(), -1);
    g_autofree char *b = write_file(dir, "2.bin", "\x01\x02\x03\xff\xfe\n\x00zz", 9);
    g_autofree char *c = write_file(dir, "3.eml", "", 0);
    g_autofree char *d = write_file(dir, "4.eml", simple_message(), -1);
    g_autoptr(Run) run = run_path(dir);
    g_assert_cmpuint(run->messages->len, ==, 2);
    g_assert_cmpstr(message_at(run, 0)->origin, ==, a);
    g_assert_cmpstr(message_at(run, 1)->origin, ==, d);
    g_assert_cmpuint(run->problems->len, ==, 2);
    g_assert_cmpstr(problem_at(run, 0)->origin, ==, b);
    g_assert_cmpstr(problem_at(run, 1)->origin, ==, c);
    g_assert_cmpuint(run->stats.skipped, ==, 2);
    remove_tree(dir);
}

/* An mbox cut short: the messages before the cut come, and the cut one is
 * reported (and passed on when enough of it is left to be a message). */
static void
test_truncated_mbox(void)
{
    g_autoptr(GString) mbox = generated_mbox(3);
    g_autoptr(GArray) froms = from_line_offsets(mbox->str, mbox->len);
    gint64 third = g_array_index(froms, gint64, 2);
    const char *third_text = mbox->str + third;
    g_autofree char *dir = make_temp_dir();
    static const struct {
        const char *cut_after;   /* cut just after this text of the third message */
        gboolean kept;           /* the third message is still passed on */
    } cuts[] = {
        { "Delivery to user2@exa", TRUE },    /* in the body, mid-line */
        { "Final-Recipient: rfc822; user2@example.net\n", TRUE }, /* body, at a line end */
        { "Subject: bou", TRUE },             /* in a header value */
        { "\nSubj", FALSE },                  /* in a header name */
        { "2008\n", FALSE },                  /* right after the From line */
    };
    for (gsize c = 0; c < G_N_ELEMENTS(cuts); c++) {
        const char *at = strstr(third_text, cuts[c].cut_after);
        g_assert_nonnull(at);
        gsize len = (gsize) (at - mbox->str) + strlen(cuts[c].cut_after);
        g_autofree char *path = write_file(dir, "cut.mbox", mbox->str, (gssize) len);
        g_autoptr(Run) run = run_path(path);

        g_test_message("cut after \"%s\"", cuts[c].cut_after);
        g_assert_cmpuint(run->messages->len, ==, cuts[c].kept ? 3 : 2);
        g_assert_cmpstr(header(message_at(run, 1), "Subject"), ==, "bounce 1");
        g_assert_cmpuint(run->problems->len, ==, 1);
        Problem *pr = problem_at(run, 0);
        g_assert_cmpint(pr->kind, ==, BT_PROBLEM_SKIPPED);
        g_assert_cmpint(pr->offset, ==, third);
        g_assert_nonnull(strstr(pr->what, "ends in the middle"));
        if (cuts[c].kept)
            g_assert_cmpint(message_at(run, 2)->offset, ==, third);
        g_assert_cmpuint(run->stats.bytes, ==, len);
    }
    remove_tree(dir);
}

/* An entry GMime cannot start (no header after the From line) in the
 * middle of an mbox is reported, and the entries after it still come. */
static void
test_bad_entry_mid_mbox(void)
{
    g_autoptr(GString) good = generated_mbox(4);
    g_autoptr(GArray) froms = from_line_offsets(good->str, good->len);
    gint64 second = g_array_index(froms, gint64, 1);
    g_autoptr(GString) lf = g_string_new_len(good->str, second);
    gint64 bad = (gint64) lf->len;
    g_string_append(lf, "From nobody Mon Jan  1 00:00:00 2024\n"
                        "this line is not a header field\n"
                        "Subject: not reached\n\nbody\n\n");
    gint64 empty = (gint64) lf->len;
    g_string_append(lf, "From nobody Mon Jan  1 00:00:00 2024\n\nno header at all\n\n");
    g_string_append_len(lf, good->str + second, (gssize) (good->len - second));

    static const char *const eols[] = { "\n", "\r\n", "\r", "\r\r\n" };
    for (gsize s = 0; s < G_N_ELEMENTS(eols); s++) {
        g_autoptr(GString) text = with_line_ends(lf->str, lf->len, eols[s]);
        g_autoptr(Run) run = run_pipe(text->str, text->len);
        g_autoptr(GArray) offsets = from_line_offsets(text->str, text->len);
        g_assert_cmpuint(offsets->len, ==, 6);
        g_assert_cmpuint(run->messages->len, ==, 4);
        for (guint i = 0; i < 4; i++) {
            g_autofree char *subject = g_strdup_printf("bounce %u", i);
            g_assert_cmpstr(header(message_at(run, i), "Subject"), ==, subject);
            g_assert_cmpint(message_at(run, i)->offset, ==,
                            g_array_index(offsets, gint64, i == 0 ? 0 : i + 2));
        }
        g_assert_cmpuint(run->problems->len, ==, 2);
        g_assert_cmpint(problem_at(run, 0)->offset, ==, g_array_index(offsets, gint64, 1));
        g_assert_cmpint(problem_at(run, 1)->offset, ==, g_array_index(offsets, gint64, 2));
        if (s == 0) {
            g_assert_cmpint(problem_at(run, 0)->offset, ==, bad);
            g_assert_cmpint(problem_at(run, 1)->offset, ==, empty);
        }
    }
}

static void
test_huge_header(void)
{
#ifdef UNDER_ASAN
    /* GMime grows its header buffer 4 KiB at a time; under ASan every
     * realloc copies, which makes 50 MB take minutes.  5 MB shows the same. */
    const gsize field = 5u * 1024 * 1024;
#else
    const gsize field = 50u * 1024 * 1024;
#endif
    g_autoptr(GString) text = g_string_sized_new(field + 256);
    g_string_append(text, "From: MAILER-DAEMON@example.org\nTo: a@example.com\nSubject: ");
    gsize start = text->len;
    g_string_set_size(text, start + field);
    memset(text->str + start, 'x', field);
    g_string_append(text, "\nMessage-ID: <big@example.org>\n\nhello\n");

    g_autofree char *dir = make_temp_dir();
    g_autofree char *path = write_file(dir, "big.eml", text->str, (gssize) text->len);
    g_autoptr(Run) run = run_path(path);
    /* over the 1 MiB header limit: refused, and said so with the size */
    g_assert_cmpuint(run->messages->len, ==, 0);
    g_assert_cmpuint(run->problems->len, ==, 1);
    Problem *pr = problem_at(run, 0);
    g_assert_cmpint(pr->kind, ==, BT_PROBLEM_SKIPPED);
    g_assert_nonnull(strstr(pr->what, "over the 1 MiB limit"));

    /* just under the limit, the message passes whole */
    g_string_truncate(text, 0);
    g_string_append(text, "From: MAILER-DAEMON@example.org\nTo: a@example.com\nSubject: ");
    start = text->len;
    g_string_set_size(text, start + 1000 * 1000);
    memset(text->str + start, 'x', 1000 * 1000);
    g_string_append(text, "\nMessage-ID: <big@example.org>\n\nhello\n");
    g_autofree char *path2 = write_file(dir, "under.eml", text->str, (gssize) text->len);
    g_autoptr(Run) run2 = run_path(path2);
    g_assert_cmpuint(run2->messages->len, ==, 1);
    g_assert_cmpuint(run2->problems->len, ==, 0);
    g_assert_cmpuint(strlen(header(message_at(run2, 0), "Subject")), ==, 1000 * 1000);
    g_assert_cmpstr(header(message_at(run2, 0), "Message-ID"), ==, "<big@example.org>");
    remove_tree(dir);
}

static int
multipart_depth(GMimeObject *object)
{
    int depth = 0;
    while (GMIME_IS_MULTIPART(object) && g_mime_multipart_get_count(GMIME_MULTIPART(object)) > 0) {
        object = g_mime_multipart_get_part(GMIME_MULTIPART(object), 0);
        depth++;
    }
    return depth;
}

static void
test_nested_multiparts(void)
{
    g_autoptr(GString) text = g_string_new(
        "From: MAILER-DAEMON@example.org\nTo: a@example.com\nSubject: nested\n"
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n");
    for (int i = 0; i < 1000; i++)
        g_string_append_printf(text, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1);
    g_string_append(text, "--b1000\nContent-Type: text/plain\n\ndeep\n");
    for (int i = 1000; i >= 0; i--)
        g_string_append_printf(text, "--b%d--\n", i);
    /* and 1,000 messages nested in each other */
    g_autoptr(GString) rfc822 = g_string_new(NULL);
    for (int i = 0; i < 1000; i++)
        g_string_append_printf(rfc822, "From: a%d@example.org\nSubject: level %d\n"
                               "Content-Type: message/rfc822\n\n", i, i);
    g_string_append(rfc822, "From: last@example.org\nSubject: bottom\n\nbottom\n");

    g_autofree char *dir = make_temp_dir();
    g_autofree char *a = write_file(dir, "a-multipart.eml", text->str, (gssize) text->len);
    g_autofree char *b = write_file(dir, "b-rfc822.eml", rfc822->str, (gssize) rfc822->len);
    g_autoptr(Run) run = run_path(dir);
    g_assert_cmpuint(run->messages->len, ==, 2);
    g_assert_cmpstr(header(message_at(run, 0), "Subject"), ==, "nested");
    int depth = multipart_depth(bt_mime_body_of(message_at(run, 0)->mime));
    g_test_message("GMime kept %d levels of multipart", depth);
    g_assert_cmpint(depth, >, 10);
    g_assert_cmpstr(header(message_at(run, 1), "Subject"), ==, "level 0");
    g_autofree char *all = g_mime_object_to_string(GMIME_OBJECT(message_at(run, 1)->mime), NULL);
    g_assert_nonnull(strstr(all, "bottom"));
    remove_tree(dir);
}

/* ---- the eol filter ----------------------------------------------------- */

/* Every split of the input into two buffers gives the same output and the
 * same From-line offsets: a CR at the end of one buffer and its LF at the
 * start of the next must make one line end, and so must CR CR LF however
 * it is cut, while CR CR before anything else is two. */
static void
test_eol_filter_splits(void)
{
    static const char input[] = "From a\r\nX: 1\rFrom b\r\r\nFrom c\nFrom\r\n>From d\r\rFrom e";
    static const char want[] = "From a\nX: 1\nFrom b\nFrom c\nFrom\n>From d\n\nFrom e";
    static const gint64 want_in[] = { 0, 13, 22, 44 };
    static const gint64 want_out[] = { 0, 12, 19, 40 };
    gsize len = sizeof input - 1;

    for (gsize split = 0; split <= len; split++) {
        GMimeFilter *filter = bt_eol_filter_new();
        g_autoptr(GString) out = g_string_new(NULL);
        char buf[sizeof input];
        char *outbuf;
        size_t outlen, outpre;

        memcpy(buf, input, len);
        g_mime_filter_filter(filter, buf, split, 0, &outbuf, &outlen, &outpre);
        g_string_append_len(out, outbuf, (gssize) outlen);
        g_mime_filter_complete(filter, buf + split, len - split, 0, &outbuf, &outlen, &outpre);
        g_string_append_len(out, outbuf, (gssize) outlen);
        g_assert_cmpstr(out->str, ==, want);

        for (gsize i = 0; i < G_N_ELEMENTS(want_in); i++) {
            g_assert_cmpmem(want + want_out[i], 5, "From ", 5);
            g_assert_cmpmem(input + want_in[i], 5, "From ", 5);
            g_assert_cmpint(bt_eol_filter_input_offset(BT_EOL_FILTER(filter), want_out[i]), ==, want_in[i]);
        }
        /* asked for a line that is not a From line, or already forgotten */
        g_assert_cmpint(bt_eol_filter_input_offset(BT_EOL_FILTER(filter), 0), ==, -1);
        g_object_unref(filter);
    }
    /* an input that ends on CR CR ends on two line ends, the held CR given
     * out when the input completes */
    GMimeFilter *filter = bt_eol_filter_new();
    char tail[] = "a\r\r";
    char *outbuf;
    size_t outlen, outpre;
    g_mime_filter_filter(filter, tail, 3, 0, &outbuf, &outlen, &outpre);
    g_assert_cmpmem(outbuf, outlen, "a\n", 2);
    g_mime_filter_complete(filter, tail + 3, 0, 0, &outbuf, &outlen, &outpre);
    g_assert_cmpmem(outbuf, outlen, "\n", 1);
    g_object_unref(filter);
}

/* ---- memory ------------------------------------------------------------- */

static long
rss_kib(void)
{
    g_autofree char *status = NULL;
    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
        return -1;
    const char *line = strstr(status, "VmRSS:");
    return line ? strtol(line + 6, NULL, 10) : -1;
}

/* Writes `total` bytes of mbox (CRLF) into a pipe without holding them. */
typedef struct {
    int fd;
    gsize total;
    gsize written;
} MboxStream;

static gpointer
stream_mbox(gpointer p)
{
    MboxStream *ms = p;
    g_autoptr(GString) one = generated_mbox(50);
    g_autoptr(GString) crlf = with_line_ends(one->str, one->len, "\r\n");
    while (ms->written < ms->total) {
        gsize done = 0;
        while (done < crlf->len) {
            ssize_t n = write(ms->fd, crlf->str + done, crlf->len - done);
            if (n < 0 && errno == EINTR)
                continue;
            g_assert_cmpint(n, >, 0);
            done += (gsize) n;
        }
        ms->written += crlf->len;
    }
    close(ms->fd);
    return NULL;
}

/* Memory stays flat however long the mbox: messages are parsed one at a
 * time and nothing of the input is kept once it is handed out. */
static void
test_memory_flat(void)
{
#ifdef UNDER_ASAN
    g_test_skip("RSS is not meaningful under AddressSanitizer");
    return;
#endif
    if (rss_kib() < 0) {
        g_test_skip("no /proc/self/status");
        return;
    }
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    MboxStream ms = { fds[1], 48u * 1024 * 1024, 0 };
    GThread *writer = g_thread_new("mbox", stream_mbox, &ms);

    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(problem_free);
    g_autoptr(BtSource) src = bt_source_new_for_fd(fds[0], "-", collect_problem, problems);
    BtMessage *msg;
    long early = -1, peak = 0;
    guint64 n = 0;
    while ((msg = bt_source_next(src))) {
        g_assert_cmpint(msg->offset, >=, 0);
        bt_message_free(msg);
        if (++n == 10000)
            early = rss_kib();
        if (n % 10000 == 0)
            peak = MAX(peak, rss_kib());
    }
    g_thread_join(writer);
    close(fds[0]);
    g_test_message("%" G_GUINT64_FORMAT " messages, %" G_GUINT64_FORMAT " bytes; RSS %ld KiB after 10000, peak %ld KiB",
                   n, bt_source_stats(src)->bytes, early, peak);
    g_assert_cmpuint(bt_source_stats(src)->bytes, ==, ms.written);
    g_assert_cmpuint(problems->len, ==, 0);
    g_assert_cmpint(early, >, 0);
    g_assert_cmpint(peak - early, <, 8 * 1024);
}

/* ---- gzip and foreign inputs ------------------------------------------- */

/* `data` as one gzip member (zlib's deflate with a gzip wrapper). */
static GByteArray *
gzip_member(const char *data, gsize len)
{
    z_stream z = { 0 };
    g_assert_cmpint(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);
    GByteArray *out = g_byte_array_sized_new((guint) deflateBound(&z, len));
    g_byte_array_set_size(out, (guint) deflateBound(&z, len));
    z.next_in = (Bytef *) data;
    z.avail_in = (uInt) len;
    z.next_out = out->data;
    z.avail_out = out->len;
    g_assert_cmpint(deflate(&z, Z_FINISH), ==, Z_STREAM_END);
    g_byte_array_set_size(out, (guint) z.total_out);
    deflateEnd(&z);
    return out;
}

/* Everything a gunzip stream over `gz` gives, read `step` bytes at a time. */
static GString *
gunzip_all(const GByteArray *gz, gsize step, char **damage)
{
    GMimeStream *mem = g_mime_stream_mem_new_with_buffer((const char *) gz->data + 2, gz->len - 2);
    GMimeStream *in = bt_gunzip_stream_new(mem, (const char *) gz->data, 2);
    g_object_unref(mem);
    GString *out = g_string_new(NULL);
    char buf[64];
    ssize_t n;
    while ((n = g_mime_stream_read(in, buf, MIN(step, sizeof buf))) > 0)
        g_string_append_len(out, buf, n);
    g_assert_cmpint(n, ==, 0);
    *damage = g_strdup(bt_gunzip_stream_damage(in));
    g_object_unref(in);
    return out;
}

static void
test_gzip_members_and_cuts(void)
{
    g_autoptr(GString) text = g_string_new(NULL);
    for (int i = 0; i < 2000; i++)
        g_string_append_printf(text, "From x  Sat Jun 22 08:08:08 2024\nSubject: %d\n\nbody %d\n\n", i, i * 7919);
    g_autoptr(GByteArray) gz = gzip_member(text->str, text->len);
    g_autoptr(GByteArray) two = gzip_member(text->str, text->len);
    g_byte_array_prepend(two, gz->data, gz->len);
    g_autoptr(GString) twice = g_string_new(text->str);
    g_string_append_len(twice, text->str, (gssize) text->len);

    static const gsize steps[] = { 1, 7, 64 };
    for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
        g_autofree char *damage = NULL;
        g_autoptr(GString) got = gunzip_all(two, steps[i], &damage);
        g_assert_null(damage);
        g_assert_true(g_string_equal(got, twice));
    }
    /* cut anywhere inside: a prefix of the text, and the cut named */
    static const double cuts[] = { 0.1, 0.5, 0.99 };
    for (gsize i = 0; i < G_N_ELEMENTS(cuts); i++) {
        g_autoptr(GByteArray) cut = g_byte_array_new();
        g_byte_array_append(cut, gz->data, (guint) (gz->len * cuts[i]));
        g_autofree char *damage = NULL;
        g_autoptr(GString) got = gunzip_all(cut, 64, &damage);
        g_assert_nonnull(damage);
        g_assert_nonnull(strstr(damage, "cut short"));
        g_assert_cmpuint(got->len, <, text->len);
        g_assert_cmpint(memcmp(got->str, text->str, got->len), ==, 0);
    }
    /* a wrong CRC-32 (RFC 1952 2.3.1): all of it, then the damage */
    gz->data[gz->len - 8] ^= 0xff;
    g_autofree char *damage = NULL;
    g_autoptr(GString) got = gunzip_all(gz, 64, &damage);
    g_assert_true(g_string_equal(got, text));
    g_assert_nonnull(damage);
    g_assert_nonnull(strstr(damage, "damaged"));
}

static void
test_magic_table(void)
{
    static const struct {
        const char *bytes;
        gsize len;
        int kind;       /* -1: none */
    } cases[] = {
        { "\x1f\x8b\x08\x00", 4, BT_MAGIC_GZIP },
        { "BZh91AY&SY", 10, BT_MAGIC_COMPRESSED },
        { "BZh-Note: mail\n", 15, -1 },
        { "\xfd" "7zXZ\x00\x00", 7, BT_MAGIC_COMPRESSED },
        { "\x28\xb5\x2f\xfd\x00", 5, BT_MAGIC_COMPRESSED },
        { "PK\x03\x04\x14", 5, BT_MAGIC_ARCHIVE },
        { "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, BT_MAGIC_OUTLOOK },
        { "%PDF-1.7\n", 9, BT_MAGIC_NOT_MAIL },
        { "\x7f" "ELF\x02", 5, BT_MAGIC_NOT_MAIL },
        { "From MAILER-DAEMON  Sat Jun 22 08:08:08 2024\n", 45, -1 },
        { "Received: from x\n", 17, -1 },
        { "\x1f\x8b", 2, -1 },      /* too short to say */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const BtMagic *m = bt_magic_identify(cases[i].bytes, cases[i].len);
        g_assert_cmpint(m ? (int) m->kind : -1, ==, cases[i].kind);
    }
    const BtMagic *xz = bt_magic_identify("\xfd" "7zXZ\x00", 6);
    g_autofree char *said = bt_magic_describe(xz, "mail/old box.xz");
    g_assert_cmpstr(said, ==, "compressed with xz: not read; decompress it first (xz -d 'mail/old box.xz')");
}

/* An entry packed for a worker process and its outcome packed back
 * (entry-wire.c): every field across, NULL strings and bytes kept NULL,
 * problems in order; bytes cut anywhere give no entry, never a read past
 * them. */
static void
test_entry_wire(void)
{
    g_autoptr(BtEntry) e = bt_entry_new("box/mail.mbox");
    e->offset = 4096;
    e->seq = 77;
    e->bytes = g_byte_array_new();
    g_byte_array_append(e->bytes, (const guint8 *) "From x\nSubject: a\0b\n\nbody\n", 27);
    e->note = g_strdup("cut at 1,000 parts");
    e->boundaries = 12;
    e->mbox = e->cr = e->input_cut = TRUE;
    e->input_bytes = 123456;
    bt_entry_add_problem(e, BT_PROBLEM_SKIPPED, 4096, "first");
    bt_entry_add_problem(e, BT_PROBLEM_UNREADABLE, -1, "second");
    g_autoptr(BtEntry) bare = bt_entry_new("-");   /* no bytes, note or problems */

    g_autoptr(GByteArray) wire = g_byte_array_new();
    bt_entry_pack(e, wire);
    gsize first_len = wire->len;
    bt_entry_pack(bare, wire);
    const guint8 *p = wire->data, *end = wire->data + wire->len;

    g_autoptr(BtEntry) got = bt_entry_unpack(&p, end);
    g_assert_nonnull(got);
    g_assert_true(p == wire->data + first_len);
    g_assert_cmpstr(got->origin, ==, "box/mail.mbox");
    g_assert_cmpint(got->offset, ==, 4096);
    g_assert_cmpuint(got->seq, ==, 77);
    g_assert_cmpmem(got->bytes->data, got->bytes->len, e->bytes->data, e->bytes->len);
    g_assert_cmpstr(got->note, ==, "cut at 1,000 parts");
    g_assert_cmpuint(got->boundaries, ==, 12);
    g_assert_true(got->mbox && got->cr && got->input_cut && !got->last);
    g_assert_cmpuint(got->input_bytes, ==, 123456);
    g_assert_cmpuint(got->problems->len, ==, 2);
    const BtProblem *p0 = got->problems->pdata[0], *p1 = got->problems->pdata[1];
    g_assert_cmpint(p0->kind, ==, BT_PROBLEM_SKIPPED);
    g_assert_cmpint(p0->offset, ==, 4096);
    g_assert_cmpstr(p0->what, ==, "first");
    g_assert_cmpint(p1->kind, ==, BT_PROBLEM_UNREADABLE);
    g_assert_cmpstr(p1->what, ==, "second");

    g_autoptr(BtEntry) got_bare = bt_entry_unpack(&p, end);
    g_assert_nonnull(got_bare);
    g_assert_true(p == end);
    g_assert_null(got_bare->bytes);
    g_assert_null(got_bare->note);
    g_assert_null(got_bare->problems);
    g_assert_null(bt_entry_unpack(&p, end));   /* nothing left */
    for (gsize cut = 0; cut < first_len; cut++) {   /* every cut of the first */
        const guint8 *q = wire->data;
        g_autoptr(BtEntry) none = bt_entry_unpack(&q, wire->data + cut);
        g_assert_null(none);
    }

    /* the outcome: parsed, and the problems as they are now */
    got->parsed = TRUE;
    bt_entry_add_problem(got, BT_PROBLEM_SKIPPED, 4096, "third");
    g_autoptr(GByteArray) back = g_byte_array_new();
    bt_entry_pack_outcome(got, back);
    g_assert_false(e->parsed);
    p = back->data;
    g_assert_true(bt_entry_unpack_outcome(&p, back->data + back->len, e));
    g_assert_true(p == back->data + back->len);
    g_assert_true(e->parsed);
    g_assert_cmpuint(e->problems->len, ==, 3);
    g_assert_cmpstr(((const BtProblem *) e->problems->pdata[2])->what, ==, "third");
    p = back->data;
    g_assert_false(bt_entry_unpack_outcome(&p, back->data + back->len - 1, e));   /* cut */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_mime_init();

    g_test_add_func("/source/mbox/corpus", test_mbox_corpus);
    g_test_add_func("/source/mbox/line-ends", test_mbox_line_ends);
    g_test_add_func("/source/mbox/generated", test_mbox_generated);
    g_test_add_func("/source/mbox/outlive-source", test_messages_outlive_source);
    g_test_add_func("/source/mbox/truncated", test_truncated_mbox);
    g_test_add_func("/source/mbox/bad-entry", test_bad_entry_mid_mbox);
    g_test_add_func("/source/mbox/entry-ends", test_mbox_entry_ends);
    g_test_add_func("/source/maildir/dos-mac", test_maildir_dos_mac);
    g_test_add_func("/source/maildir/cur-new", test_maildir);
    g_test_add_func("/source/tree/corpus", test_corpus_directory);
    g_test_add_func("/source/tree/recursive", test_tree);
    g_test_add_func("/source/stdin/one-message", test_stdin_one_message);
    g_test_add_func("/source/stdin/large-message", test_stdin_large_message);
    g_test_add_func("/source/stdin/emlx", test_stdin_emlx);
    g_test_add_func("/source/stdin/real", test_stdin_real);
    g_test_add_func("/source/problem/unreadable", test_unreadable);
    g_test_add_func("/source/problem/empty", test_empty_file);
    g_test_add_func("/source/problem/tiny", test_tiny_files);
    g_test_add_func("/source/problem/random", test_random_bytes);
    g_test_add_func("/source/problem/run-goes-on", test_run_goes_on);
    g_test_add_func("/source/limits/huge-header", test_huge_header);
    g_test_add_func("/source/limits/nested", test_nested_multiparts);
    g_test_add_func("/source/eol-filter/splits", test_eol_filter_splits);
    g_test_add_func("/source/memory/flat", test_memory_flat);
    g_test_add_func("/source/gzip/members-and-cuts", test_gzip_members_and_cuts);
    g_test_add_func("/source/magic/table", test_magic_table);
    g_test_add_func("/source/entry-wire", test_entry_wire);

    int status = g_test_run();
    g_mime_shutdown();
    return status;
}
