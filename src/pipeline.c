/* Batch triage.  With one job everything runs inline.  With N jobs the
 * main thread reads messages, N workers triage them, and a writer thread
 * prints results strictly in input order; a fixed number of tokens bounds
 * the messages in flight, so memory stays flat however big the input. */
#include "config.h"
#include "pipeline.h"
#include "source/source.h"

#include <stdio.h>
#include <unistd.h>

BtBounce *
bt_triage_message(const BtTriage *t, const BtMessage *msg)
{
    BtBounce *b = bt_extract(t->extractor, msg);
    if (b->is_bounce)
        bt_ruleset_apply(t->rules, b, t->explain);
    return b;
}

/* ---- problems and progress --------------------------------------------- */

typedef struct {
    gboolean quiet;
    gboolean progress;
    gint64 started;          /* monotonic µs */
    gint64 last_shown;
    gboolean shown;
} Report;

static void
on_problem(BtProblemKind kind, const char *origin, gint64 offset, const char *what, gpointer data)
{
    Report *r = data;
    if (r->quiet && kind == BT_PROBLEM_SKIPPED)
        return;
    if (r->shown) {               /* keep the message off the progress line */
        fputs("\r\033[K", stderr);
        r->shown = FALSE;
    }
    /* a file name may hold ESC sequences; the terminal must not run them */
    g_autofree char *name = bt_text_escape_controls(origin);
    g_autofree char *why = bt_text_escape_controls(what);
    if (offset >= 0)
        g_printerr("bouncetriage: %s (offset %" G_GINT64_FORMAT "): %s\n", name, offset, why);
    else
        g_printerr("bouncetriage: %s: %s\n", name, why);
}

static void
show_progress(Report *r, const BtSourceStats *st, gboolean last)
{
    gint64 now = g_get_monotonic_time();
    if (!r->progress || (!last && now - r->last_shown < 250000))
        return;
    r->last_shown = now;
    double secs = MAX((now - r->started) / 1e6, 1e-3);
    double mb = st->bytes / 1e6;
    fprintf(stderr, "\r\033[K%" G_GUINT64_FORMAT " messages, %.1f MB, %.0f msg/s, %.1f MB/s%s",
            st->messages, mb, st->messages / secs, mb / secs, last ? "\n" : "");
    r->shown = !last;
}

static int
exit_status(const BtSourceStats *st)
{
    if (st->unreadable)
        return BT_EXIT_NOINPUT;
    if (st->skipped)
        return BT_EXIT_SKIPPED;
    return BT_EXIT_OK;
}

/* What extract could not read in full (MIME nested too deep, too many
 * recipients): said once per message, in output order. */
static void
print_note(const BtTriage *t, const BtBounce *b)
{
    if (!b->note || t->quiet)
        return;
    g_autofree char *name = bt_text_escape_controls(b->origin);
    if (b->offset >= 0)
        g_printerr("bouncetriage: %s (offset %" G_GINT64_FORMAT "): %s\n", name, b->offset, b->note);
    else
        g_printerr("bouncetriage: %s: %s\n", name, b->note);
}

/* ---- the parallel machinery -------------------------------------------- */

typedef struct {
    const BtTriage *triage;
    BtSink *sink;
    gboolean all;
    GAsyncQueue *work;       /* Batch* of messages, or the `stop` sentinel */
    GAsyncQueue *done;       /* Batch* of bounces */
    GAsyncQueue *tokens;     /* one item per free slot in flight */
    guint64 total;           /* set once reading ends; G_MAXUINT64 until then */
    GMutex lock;
} Pool;

static gpointer stop_marker = &stop_marker;

/* Messages travel in batches: one hand-off and one wake-up per batch
 * instead of per message, which is what kept a second core from paying. */
#define BATCH_SIZE 32

typedef struct {
    guint64 seq;             /* batch number, in input order */
    GPtrArray *items;        /* BtMessage* on the way in, BtBounce* on the way out */
} Batch;

/* What every bounce goes through on its way out, on one thread: the
 * checks (their caches are not thread-safe), the note, the sink. */
static void
write_bounce(const BtTriage *t, BtSink *sink, BtBounce *b, gboolean all)
{
    if (t->checker)
        bt_checker_run(t->checker, b);
    print_note(t, b);
    bt_sink_write(sink, b, all);
}

static gpointer
worker_main(gpointer data)
{
    Pool *p = data;
    for (;;) {
        Batch *batch = g_async_queue_pop(p->work);
        if ((gpointer) batch == stop_marker)
            return NULL;
        for (guint i = 0; i < batch->items->len; i++) {
            BtMessage *msg = batch->items->pdata[i];
            batch->items->pdata[i] = bt_triage_message(p->triage, msg);
            bt_message_free(msg);
        }
        g_async_queue_push(p->done, batch);
    }
}

static guint64
pool_total(Pool *p)
{
    g_mutex_lock(&p->lock);
    guint64 t = p->total;
    g_mutex_unlock(&p->lock);
    return t;
}

/* Writes batches in seq order; holds early arrivals in `pending`. */
static gpointer
writer_main(gpointer data)
{
    Pool *p = data;
    g_autoptr(GHashTable) pending = g_hash_table_new(g_int64_hash, g_int64_equal);
    guint64 next = 0;
    while (next < pool_total(p)) {
        Batch *batch = g_async_queue_timeout_pop(p->done, 100000);
        if (batch)
            g_hash_table_insert(pending, &batch->seq, batch);
        while ((batch = g_hash_table_lookup(pending, &next))) {
            g_hash_table_remove(pending, &next);
            for (guint i = 0; i < batch->items->len; i++) {
                BtBounce *b = batch->items->pdata[i];
                write_bounce(p->triage, p->sink, b, p->all);
                bt_bounce_free(b);
            }
            g_ptr_array_unref(batch->items);
            g_free(batch);
            next++;
            g_async_queue_push(p->tokens, GINT_TO_POINTER(1));
        }
    }
    return NULL;
}

/* The next batch of up to BATCH_SIZE messages, or NULL at the end. */
static Batch *
read_batch(BtSource *src, guint64 seq, Report *rep)
{
    Batch *batch = NULL;
    BtMessage *msg;
    while ((!batch || batch->items->len < BATCH_SIZE) && (msg = bt_source_next(src))) {
        if (!batch) {
            batch = g_new0(Batch, 1);
            batch->seq = seq;
            batch->items = g_ptr_array_sized_new(BATCH_SIZE);
        }
        g_ptr_array_add(batch->items, msg);
        show_progress(rep, bt_source_stats(src), FALSE);
    }
    return batch;
}

static void
run_parallel(const BtOptions *opt, const BtTriage *t, BtSource *src, BtSink *sink, Report *rep)
{
    Pool p = { .triage = t, .sink = sink, .all = opt->all, .total = G_MAXUINT64 };
    g_mutex_init(&p.lock);
    p.work = g_async_queue_new();
    p.done = g_async_queue_new();
    p.tokens = g_async_queue_new();
    for (int i = 0; i < opt->jobs * 2; i++)    /* batches in flight: memory stays bounded */
        g_async_queue_push(p.tokens, GINT_TO_POINTER(1));

    GThread **workers = g_new(GThread *, opt->jobs);
    for (int i = 0; i < opt->jobs; i++)
        workers[i] = g_thread_new("worker", worker_main, &p);
    GThread *writer = g_thread_new("writer", writer_main, &p);

    Batch *batch;
    guint64 n = 0;
    for (;;) {
        g_async_queue_pop(p.tokens);           /* wait for a free slot */
        if (!(batch = read_batch(src, n, rep)))
            break;
        n++;
        g_async_queue_push(p.work, batch);
    }
    g_mutex_lock(&p.lock);
    p.total = n;
    g_mutex_unlock(&p.lock);

    for (int i = 0; i < opt->jobs; i++)
        g_async_queue_push(p.work, stop_marker);
    for (int i = 0; i < opt->jobs; i++)
        g_thread_join(workers[i]);
    g_thread_join(writer);
    g_free(workers);
    g_async_queue_unref(p.work);
    g_async_queue_unref(p.done);
    g_async_queue_unref(p.tokens);
    g_mutex_clear(&p.lock);
}

static void
run_inline(const BtOptions *opt, const BtTriage *t, BtSource *src, BtSink *sink, Report *rep)
{
    BtMessage *msg;
    while ((msg = bt_source_next(src))) {
        g_autoptr(BtBounce) b = bt_triage_message(t, msg);
        bt_message_free(msg);
        write_bounce(t, sink, b, opt->all);
        show_progress(rep, bt_source_stats(src), FALSE);
    }
}

int
bt_pipeline_run(const BtOptions *opt, const BtTriage *t)
{
    Report rep = {
        .quiet = opt->quiet,
        .progress = opt->progress && isatty(STDERR_FILENO),
        .started = g_get_monotonic_time(),
    };
    g_autoptr(BtSource) src = bt_source_new((const char *const *) opt->paths, on_problem, &rep);
    g_autoptr(BtSink) sink = bt_sink_new(stdout, opt->format,
                                         opt->format == BT_FORMAT_TEXT && isatty(STDOUT_FILENO));
    if (opt->jobs > 1)
        run_parallel(opt, t, src, sink, &rep);
    else
        run_inline(opt, t, src, sink, &rep);
    show_progress(&rep, bt_source_stats(src), TRUE);
    bt_sink_finish(sink);
    if (opt->summary)
        bt_sink_write_summary(sink, opt->format == BT_FORMAT_TEXT ? stdout : stderr);
    fflush(stdout);
    return exit_status(bt_source_stats(src));
}
