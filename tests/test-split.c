/* test-split — finding messages apart from parsing them: the cap splitter
 * cuts an mbox the same way whatever the read sizes, and entries parsed
 * on other threads, after their source is gone, give what a source
 * parsing on its own thread gives. */
#include "core/lean-mime.h"
#include "source/cap-filter.h"
#include "source/source-private.h"

#include <string.h>

/* ---- the splitter ------------------------------------------------------- */

static void
collect_piece(BtCapPiece *piece, gpointer data)
{
    GString *log = data;
    g_string_append_printf(log, "[%" G_GINT64_FORMAT " %u %s]", piece->offset,
                           piece->boundaries, piece->note ? "cut" : "whole");
    g_string_append_len(log, (const char *) piece->bytes->data, piece->bytes->len);
    g_byte_array_unref(piece->bytes);
    g_free(piece->note);
}

/* What the splitter hands over for `input` fed `step` bytes at a time,
 * with held-back bytes given again as the reader does. */
static char *
split_in_steps(const char *input, gsize len, gsize step, gboolean cr)
{
    GString *log = g_string_new(NULL);
    BtCapSplitter *split = bt_cap_splitter_new(TRUE, cr, collect_piece, log);
    GString *pending = g_string_new(NULL);
    for (gsize at = 0; at < len || pending->len > 0;) {
        gsize n = MIN(step, len - at);
        g_string_append_len(pending, input + at, (gssize) n);
        at += n;
        gboolean last = at == len;
        gsize held = bt_cap_splitter_feed(split, pending->str, pending->len, last);
        g_string_erase(pending, 0, (gssize) (pending->len - held));
        if (last)
            break;
    }
    bt_cap_splitter_finish(split);
    bt_cap_splitter_free(split);
    g_string_free(pending, TRUE);
    return g_string_free(log, FALSE);
}

static void
test_splitter_steps(void)
{
    /* From lines at block edges, a ">From " line, a multipart with its
     * "--" lines, a last line without line end */
    const char *mbox =
        "From a@example.com  Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n>From quoted\n"
        "From b@example.com  Mon Jan  1 00:00:00 2024\nSubject: two\n"
        "Content-Type: multipart/mixed; boundary=x\n\n--x\n\npart\n--x--\n"
        "From\n"
        "From c@example.com  Mon Jan  1 00:00:00 2024\nSubject: three\n\nno line end";
    gsize len = strlen(mbox);
    g_autofree char *whole = split_in_steps(mbox, len, len, FALSE);
    g_assert_nonnull(strstr(whole, "[0 0 whole]From a@"));
    g_autofree char *second = g_strdup_printf("\n[%td 2 whole]From b@", strstr(mbox, "From b@") - mbox);
    g_assert_nonnull(strstr(whole, second));                     /* its offset, its two "--" lines */
    g_assert_nonnull(strstr(whole, ">From quoted\n["));          /* not a separator */
    g_assert_nonnull(strstr(whole, "--x--\nFrom\n["));            /* "From" without a space either */
    g_assert_true(g_str_has_suffix(whole, "no line end"));
    for (gsize step = 1; step <= 9; step++) {
        g_autofree char *stepped = split_in_steps(mbox, len, step, FALSE);
        g_assert_cmpstr(stepped, ==, whole);
    }

    g_autofree char *cr_mbox = g_strdup(mbox);
    g_strdelimit(cr_mbox, "\n", '\r');
    g_autofree char *cr_whole = split_in_steps(cr_mbox, len, len, TRUE);
    g_autofree char *expected = g_strdup(whole);
    g_strdelimit(expected, "\n", '\r');
    g_assert_cmpstr(cr_whole, ==, expected);                     /* a bare CR ends a line */
    for (gsize step = 1; step <= 9; step++) {
        g_autofree char *stepped = split_in_steps(cr_mbox, len, step, TRUE);
        g_assert_cmpstr(stepped, ==, cr_whole);
    }
}

/* A message over the byte cap is cut, noted, and ends with a line end so
 * that the next From line is still one. */
static void
test_splitter_cap(void)
{
    GString *mbox = g_string_new("From a  Mon Jan  1 00:00:00 2024\nSubject: big\n\n");
    while (mbox->len < BT_MAX_MESSAGE_BYTES + 4096)
        g_string_append(mbox, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    gsize second = mbox->len + 1;
    g_string_append(mbox, "\nFrom b  Mon Jan  1 00:00:00 2024\nSubject: small\n\nbody\n");
    g_autofree char *log = split_in_steps(mbox->str, mbox->len, 65536, FALSE);
    g_assert_nonnull(strstr(log, "[0 0 cut]"));
    g_autofree char *next = g_strdup_printf("\n[%" G_GSIZE_FORMAT " 0 whole]From b", second);
    g_assert_nonnull(strstr(log, next));
    g_assert_cmpuint(strlen(log), <, BT_MAX_MESSAGE_BYTES + 200);
    g_string_free(mbox, TRUE);
}

/* ---- entries parsed elsewhere -------------------------------------------- */

static void
ignore_problem(BtProblemKind kind G_GNUC_UNUSED, const char *origin G_GNUC_UNUSED,
               gint64 offset G_GNUC_UNUSED, const char *what G_GNUC_UNUSED, gpointer data)
{
    (*(guint *) data)++;
}

/* "offset subject" per message, as a source parsing on its own thread gives it. */
static char *
describe(BtMessage *msg)
{
    /* as bouncetriage reads it: its GMimeMessage keeps no subject of its
     * own, and a plain header's fields are not GMime's (lean-mime.h) */
    const char *subject = bt_mime_top_get(bt_mime_top_of(msg->mime), "Subject");
    return g_strdup_printf("%" G_GINT64_FORMAT " %s", msg->offset, subject ? subject : "");
}

static gpointer
parse_entries(gpointer data)
{
    GPtrArray *entries = data;
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < entries->len; i++) {
        g_autoptr(BtMessage) msg = bt_entry_parse(entries->pdata[i]);
        if (msg)
            g_ptr_array_add(out, describe(msg));
    }
    return out;
}

static void
test_entries_on_threads(void)
{
    g_autofree char *path = g_build_filename(g_getenv("BT_SRCDIR") ? g_getenv("BT_SRCDIR") : ".",
                                             "fixtures", "sample.mbox", NULL);
    const char *paths[] = { path, NULL };

    guint problems = 0;
    g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
    BtSource *src = bt_source_new(paths, ignore_problem, &problems);
    BtMessage *msg;
    while ((msg = bt_source_next(src))) {
        g_ptr_array_add(expected, describe(msg));
        bt_message_free(msg);
    }
    bt_source_free(src);
    g_assert_cmpuint(expected->len, >, 4);

    /* every other entry to each of two threads, parsed once the source is gone */
    GPtrArray *halves[2] = {
        g_ptr_array_new_with_free_func((GDestroyNotify) bt_entry_free),
        g_ptr_array_new_with_free_func((GDestroyNotify) bt_entry_free),
    };
    src = bt_source_new(paths, ignore_problem, &problems);
    BtEntry *e;
    for (guint n = 0; (e = bt_source_next_entry(src)); n++) {
        g_assert_cmpuint(e->seq, ==, n);
        g_ptr_array_add(halves[n % 2], e);
    }
    bt_source_free(src);
    GThread *threads[2];
    for (int i = 0; i < 2; i++)
        threads[i] = g_thread_new("parse", parse_entries, halves[i]);
    GPtrArray *got[2] = { g_thread_join(threads[0]), g_thread_join(threads[1]) };
    g_assert_cmpuint(got[0]->len + got[1]->len, ==, expected->len);
    for (guint i = 0; i < expected->len; i++)
        g_assert_cmpstr(got[i % 2]->pdata[i / 2], ==, expected->pdata[i]);
    for (int i = 0; i < 2; i++) {
        g_ptr_array_unref(got[i]);
        g_ptr_array_unref(halves[i]);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_mime_init();
    g_test_add_func("/split/splitter/steps", test_splitter_steps);
    g_test_add_func("/split/splitter/cap", test_splitter_cap);
    g_test_add_func("/split/entries/threads", test_entries_on_threads);
    return g_test_run();
}
