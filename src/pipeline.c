/* Batch triage.  With one job everything runs inline.  With N jobs the
 * main thread only finds where messages are and takes their bytes
 * (source entries), N workers parse and triage them, and a writer thread
 * reports problems and prints results strictly in input order; a budget
 * bounds the batches and the bytes in flight, so memory stays flat
 * however big the input.  A message's GMime objects are built, read and
 * freed on the one worker that holds it.  Unless --check, --report or
 * --suppress need every bounce in this process, the N workers are
 * processes instead (pipeline-procs.c): the same reader, batches and
 * writing, with nothing shared but sockets and pipes.
 *
 * The batch runs under the supervisor (supervisor.h): every thread says on
 * the board which message it is on, and output reaches stdout only in
 * whole messages, so that a crash costs one message and a new run can go
 * on exactly after the last message written. */
#define _GNU_SOURCE   /* fopencookie */
#include "config.h"
#include "pipeline.h"
#include "pipeline-private.h"
#include "source/source.h"
#include "supervisor.h"
#include "core/testfault.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
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

/* Problems (reported by the writer) and progress (shown by the reader)
 * share stderr and the progress line. */
static GMutex stderr_lock;

/* "bouncetriage: ORIGIN (offset N): WHAT\n", with the controls a file
 * name or a sentence may hold made harmless (the terminal must not run
 * ESC sequences). */
static char *
problem_line(const char *origin, gint64 offset, const char *what)
{
    g_autofree char *name = bt_text_escape_controls(origin);
    g_autofree char *why = bt_text_escape_controls(what);
    if (offset >= 0)
        return g_strdup_printf("bouncetriage: %s (offset %" G_GINT64_FORMAT "): %s\n", name, offset, why);
    return g_strdup_printf("bouncetriage: %s: %s\n", name, why);
}

void
pl_print_line(Report *r, const char *line)
{
    g_mutex_lock(&stderr_lock);
    if (r->shown) {               /* keep the message off the progress line */
        fputs("\r\033[K", stderr);
        r->shown = FALSE;
    }
    fputs(line, stderr);
    g_mutex_unlock(&stderr_lock);
}

/* Counts a problem of the input (on the board too); FALSE when it is not
 * to be shown (an earlier run showed it, or -q mutes its kind). */
static gboolean
count_problem(Report *r, BtProblemKind kind)
{
    bt_board_problem(r->board);
    if (r->problems++ < r->mute_problems)
        return FALSE;
    return !(r->quiet && kind == BT_PROBLEM_SKIPPED);
}

static void
on_problem(BtProblemKind kind, const char *origin, gint64 offset, const char *what, gpointer data)
{
    Report *r = data;
    if (!count_problem(r, kind))
        return;
    g_autofree char *line = problem_line(origin, offset, what);
    pl_print_line(r, line);
}

/* On the way, the count is of messages read (the writer counts the ones
 * parsed); at the end, of the messages parsed. */
static void
show_progress(Report *r, const BtSourceStats *st, gboolean last)
{
    gint64 now = g_get_monotonic_time();
    if (!r->progress || (!last && now - r->last_shown < 250000))
        return;
    r->last_shown = now;
    double secs = MAX((now - r->started) / 1e6, 1e-3);
    double mb = st->bytes / 1e6;
    guint64 messages = last ? st->messages : r->read;
    g_mutex_lock(&stderr_lock);
    fprintf(stderr, "\r\033[K%" G_GUINT64_FORMAT " messages, %.1f MB, %.0f msg/s, %.1f MB/s%s",
            messages, mb, messages / secs, mb / secs, last ? "\n" : "");
    r->shown = !last;
    g_mutex_unlock(&stderr_lock);
}

/* What extract could not read in full (MIME nested too deep, too many
 * recipients): said once per message, in output order; NULL for nothing
 * to say. */
char *
pl_note_line(const BtTriage *t, const BtBounce *b)
{
    if (!b->note || t->quiet)
        return NULL;
    return problem_line(b->origin, b->offset, b->note);
}

/* ---- output in whole messages ------------------------------------------- */

/* Supervised, the sink writes into `pending` (a stdio stream over it) and
 * commit() puts whole messages on stdout, some KiB at a time, then says
 * on the board how many messages are out.  Unsupervised, the sink writes
 * to stdout itself. */
#define COMMIT_SIZE 8192

static ssize_t
out_cookie_write(void *cookie, const char *buf, size_t n)
{
    Out *o = cookie;
    if (!o->muted)
        g_string_append_len(o->pending, buf, n);
    return (ssize_t) n;
}

static void
out_open(Out *o, const BtResume *resume)
{
    BtBoard *board = resume->board;
    *o = (Out) { .file = stdout, .board = board, .at = resume->written, .bytes = resume->bytes,
                 .from = resume->written, .torn = resume->torn };
    if (!board)
        return;
    cookie_io_functions_t io = { .write = out_cookie_write };
    FILE *f = fopencookie(o, "w", io);
    if (!f)
        return;
    setvbuf(f, NULL, _IOFBF, 65536);
    o->file = f;
    o->pending = g_string_sized_new(2 * COMMIT_SIZE);
}

/* Writes `len` bytes of the output that follows messages [0, o->at),
 * `out` bytes of which are on stdout already, and tells the board after
 * every write(): a crash in another thread can cut a write short, and the
 * next child must not write that part again. */
static gboolean
out_write(Out *o, const char *buf, gsize len, gsize out)
{
    for (gsize off = 0; off < len;) {
        /* at most PIPE_BUF at a time: into a pipe, each write is whole or
         * not at all, so the board is never more than one write behind */
        ssize_t n = write(STDOUT_FILENO, buf + off, MIN(len - off, (gsize) PIPE_BUF));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        off += (gsize) n;
        bt_board_written(o->board, o->at, o->bytes, out + off);
    }
    return TRUE;
}

/* Messages [0, done) are through the sink: put their output on stdout
 * when enough is pending (or `force`), and say so on the board.  What a
 * dead child put out of it already (o->torn) is skipped. */
void
pl_out_commit(Out *o, guint64 done, gboolean force)
{
    if (!o->pending)
        return;
    fflush(o->file);
    if (o->pending->len > 0 && (force || o->pending->len >= COMMIT_SIZE)) {
        gsize out = MIN(o->torn, o->pending->len);
        if (force && o->pending->len - out > 3 && bt_test_fault_torn_write()) {
            /* half out and told, then into a file a quarter more that the
             * board never hears of, as a write() the kernel cut short */
            gsize half = (o->pending->len - out) / 2;
            out_write(o, o->pending->str + out, half, out);
            if (lseek(STDOUT_FILENO, 0, SEEK_CUR) >= 0)
                bt_write_all(STDOUT_FILENO, o->pending->str + out + half, half / 2);
            raise(SIGSEGV);
        }
        if (!o->failed && !out_write(o, o->pending->str + out, o->pending->len - out, out)) {
            g_printerr("bouncetriage: writing the output failed: %s\n", g_strerror(errno));
            g_atomic_int_set(&o->failed, TRUE);   /* the reader stops on it (pl_output_gone) */
        }
        o->torn -= out;
        o->bytes += o->pending->len;
        g_string_truncate(o->pending, 0);
    }
    /* before `from` nothing is shown, and the mark stays where it was */
    if (o->pending->len == 0 && done >= o->from) {
        o->at = done;
        bt_board_written(o->board, done, o->bytes, o->torn);
    }
}

static void
out_close(Out *o)
{
    if (o->pending) {
        fclose(o->file);
        g_string_free(o->pending, TRUE);
    }
}

/* ---- one message -------------------------------------------------------- */

/* Parse an entry and triage its message, unless it crashed an earlier run.
 * A message an earlier run wrote is parsed again (its problems count
 * towards the ones to mute) but triaged only when something depends on
 * it.  Parse and triage are one span on the board: a crash in either is
 * this message's. */
void
pl_triage_one(Run *run, Item *item, int thread)
{
    const BtResume *r = run->resume;
    guint64 seq = item->entry->seq;
    if (r->crashed && g_hash_table_contains(r->crashed, &seq)) {
        g_clear_pointer(&item->entry->bytes, g_byte_array_unref);
        return;
    }
    if (!item->entry->bytes)
        return;
    bt_board_busy(r->board, thread, (gint64) seq);
    g_autoptr(BtMessage) msg = bt_entry_parse(item->entry);
    if (msg && (seq >= r->written || run->replay))
        item->bounce = bt_triage_message(run->triage, msg);
    bt_board_busy(r->board, thread, -1);
}

/* What every bounce goes through on its way out, on one thread: the
 * checks (their caches are not thread-safe), the note, the sink.  A
 * replayed message goes through the checks and the sink too, so that
 * their state (the checks' cache, --summary, csv's header) is what it
 * was, but nothing of it is shown.  The bounce is left to the caller:
 * it is freed by the thread that built it (see worker_main). */
static void
write_one(Run *run, Item *item)
{
    guint64 seq = item->entry->seq;
    BtBounce *b = item->bounce;
    bt_source_report(run->src, item->entry);
    g_clear_pointer(&item->entry, bt_entry_free);
    if (b) {
        gboolean muted = seq < run->resume->written;
        bt_board_busy(run->resume->board, BT_BOARD_WRITER, (gint64) seq);
        if (run->triage->checker)
            bt_checker_run(run->triage->checker, b);
        g_autofree char *note = muted ? NULL : pl_note_line(run->triage, b);
        if (note)
            pl_print_line(run->report, note);
        run->out.muted = muted;
        bt_sink_write(run->sink, b, run->opt->all);
        pl_out_commit(&run->out, seq + 1, FALSE);
        run->out.muted = FALSE;
        bt_board_busy(run->resume->board, BT_BOARD_WRITER, -1);
    } else {
        pl_out_commit(&run->out, seq + 1, FALSE);
    }
}

/* The next entry, with the board told that the reader is on it. */
static BtEntry *
read_one(Run *run, BtSource *src, guint64 next)
{
    BtBoard *board = run->resume->board;
    bt_board_busy(board, BT_BOARD_READER, (gint64) next);
    BtEntry *e = bt_source_next_entry(src);
    bt_board_busy(board, BT_BOARD_READER, -1);
    if (e) {
        bt_board_started(board, e->seq, e->origin, e->offset);
        run->report->read += e->bytes != NULL;
    }
    show_progress(run->report, bt_source_stats(src), FALSE);
    return e;
}

/* ---- the parallel machinery -------------------------------------------- */

/* The budget of what may be in flight: see BYTES_IN_FLIGHT. */
typedef struct {
    GMutex lock;
    GCond freed;
    guint batches, max_batches;
    gsize bytes;
} Budget;

/* Wait until there is room for one more batch. */
static void
budget_wait(Budget *b)
{
    g_mutex_lock(&b->lock);
    while (b->batches >= b->max_batches || b->bytes >= BYTES_IN_FLIGHT)
        g_cond_wait(&b->freed, &b->lock);
    g_mutex_unlock(&b->lock);
}

static void
budget_take(Budget *b, gsize bytes)
{
    g_mutex_lock(&b->lock);
    b->batches++;
    b->bytes += bytes;
    g_mutex_unlock(&b->lock);
}

static void
budget_give(Budget *b, gsize bytes)
{
    g_mutex_lock(&b->lock);
    b->batches--;
    b->bytes -= bytes;
    g_cond_signal(&b->freed);
    g_mutex_unlock(&b->lock);
}

/* GMime's objects for one part (header list, content type, stream)
 * take about this much while a worker holds the message; an entry's weight
 * counts them, as many as it has boundary lines, with its bytes. */
#define PART_WEIGHT 2048

static gsize
entry_weight(const BtEntry *e)
{
    gsize bytes = e->bytes ? e->bytes->len : 0;
    return bytes + (e->boundaries + 1) * PART_WEIGHT;
}

typedef struct {
    Run *run;
    GAsyncQueue *work;       /* Batch* of messages, or the `stop` sentinel */
    GAsyncQueue *done;       /* Batch* of bounces */
    GAsyncQueue **spent;     /* per worker: its Batch*es written, bounces to free */
    Budget budget;
    guint64 total;           /* set once reading ends; G_MAXUINT64 until then */
    gint next_worker;
    GMutex lock;
} Pool;

static gpointer stop_marker = &stop_marker;

void
pl_batch_free(Batch *batch)
{
    for (guint i = 0; i < batch->items->len; i++)
        g_clear_pointer(&g_array_index(batch->items, Item, i).bounce, bt_bounce_free);
    g_array_unref(batch->items);
    if (batch->frame)
        g_byte_array_unref(batch->frame);
    g_free(batch);
}

static void
free_spent(GAsyncQueue *spent)
{
    Batch *batch;
    while ((batch = g_async_queue_try_pop(spent)))
        pl_batch_free(batch);
}

/* A worker frees the bounces it built once the writer is done with them:
 * a block freed by another thread goes back to its allocator through an
 * atomic hand-over and lands cold in the next malloc, which was most of
 * what a second thread cost. */
static gpointer
worker_main(gpointer data)
{
    Pool *p = data;
    int index = g_atomic_int_add(&p->next_worker, 1);
    int thread = BT_BOARD_WORKER0 + index;
    for (;;) {
        Batch *batch = g_async_queue_pop(p->work);
        free_spent(p->spent[index]);
        if ((gpointer) batch == stop_marker)
            return NULL;
        batch->worker = index;
        for (guint i = 0; i < batch->items->len; i++)
            pl_triage_one(p->run, &g_array_index(batch->items, Item, i), thread);
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
            for (guint i = 0; i < batch->items->len; i++)
                write_one(p->run, &g_array_index(batch->items, Item, i));
            budget_give(&p->budget, batch->weight);
            g_async_queue_push(p->spent[batch->worker], batch);
            next++;
        }
    }
    return NULL;
}

/* The next batch of up to BATCH_SIZE entries, and no heavier than a
 * share of the budget, or NULL at the end. */
Batch *
pl_read_batch(Run *run, BtSource *src, guint64 seq, guint64 *next, gsize max_weight)
{
    Batch *batch = NULL;
    BtEntry *e;
    while ((!batch || (batch->items->len < BATCH_SIZE && batch->weight < max_weight))
           && (e = read_one(run, src, *next))) {
        if (!batch) {
            batch = g_new0(Batch, 1);
            batch->seq = seq;
            batch->items = g_array_sized_new(FALSE, FALSE, sizeof(Item), BATCH_SIZE);
        }
        *next = e->seq + 1;
        batch->weight += entry_weight(e);
        Item item = { .entry = e };
        g_array_append_val(batch->items, item);
    }
    return batch;
}

static void
run_parallel(Run *run, BtSource *src, guint64 next)
{
    int jobs = run->opt->jobs;
    Pool p = { .run = run, .total = G_MAXUINT64 };
    g_mutex_init(&p.lock);
    p.work = g_async_queue_new();
    p.done = g_async_queue_new();
    p.spent = g_new(GAsyncQueue *, jobs);
    for (int i = 0; i < jobs; i++)
        p.spent[i] = g_async_queue_new();
    g_mutex_init(&p.budget.lock);
    g_cond_init(&p.budget.freed);
    p.budget.max_batches = (guint) jobs * 2;
    if (run->resume->board)   /* the board names so many messages in flight, no more */
        p.budget.max_batches = MIN(p.budget.max_batches, BT_BOARD_RING / BATCH_SIZE - 1);
    gsize max_weight = BYTES_IN_FLIGHT / p.budget.max_batches;

    GThread **workers = g_new(GThread *, jobs);
    for (int i = 0; i < jobs; i++)
        workers[i] = g_thread_new("worker", worker_main, &p);
    GThread *writer = g_thread_new("writer", writer_main, &p);

    Batch *batch;
    guint64 n = 0;
    for (;;) {
        budget_wait(&p.budget);
        if (pl_output_gone(run) || !(batch = pl_read_batch(run, src, n, &next, max_weight)))
            break;
        budget_take(&p.budget, batch->weight);
        n++;
        g_async_queue_push(p.work, batch);
    }
    g_mutex_lock(&p.lock);
    p.total = n;
    g_mutex_unlock(&p.lock);

    for (int i = 0; i < jobs; i++)
        g_async_queue_push(p.work, stop_marker);
    for (int i = 0; i < jobs; i++)
        g_thread_join(workers[i]);
    g_thread_join(writer);
    g_free(workers);
    for (int i = 0; i < jobs; i++) {   /* what the writer finished after its worker stopped */
        free_spent(p.spent[i]);
        g_async_queue_unref(p.spent[i]);
    }
    g_free(p.spent);
    g_async_queue_unref(p.work);
    g_async_queue_unref(p.done);
    g_mutex_clear(&p.budget.lock);
    g_cond_clear(&p.budget.freed);
    g_mutex_clear(&p.lock);
}

gboolean
pl_output_gone(Run *run)
{
    return g_atomic_int_get(&run->out.failed) && !run->opt->report && !run->opt->suppress;
}

/* One message at a time while the next is before `until`; FALSE when the
 * input is done (or the output gone).  *next: the seq of the next message. */
static gboolean
run_inline(Run *run, BtSource *src, guint64 *next, guint64 until)
{
    while (*next < until) {
        if (pl_output_gone(run))
            return FALSE;
        BtEntry *e = read_one(run, src, *next);
        if (!e)
            return FALSE;
        *next = e->seq + 1;
        Item item = { .entry = e };
        pl_triage_one(run, &item, BT_BOARD_WORKER0);
        write_one(run, &item);
        g_clear_pointer(&item.bounce, bt_bounce_free);
    }
    return TRUE;
}

/* ---- the batch ---------------------------------------------------------- */

static void
observe_bounce(const BtBounce *bounce, gpointer digest)
{
    bt_digest_add_bounce(digest, bounce);
}

static int
exit_status(const BtSourceStats *st, const BtResume *r)
{
    if (st->unreadable)
        return BT_EXIT_NOINPUT;
    if (st->skipped || (r->crashed && g_hash_table_size(r->crashed) > 0))
        return BT_EXIT_SKIPPED;
    return BT_EXIT_OK;
}

typedef struct {
    const BtOptions *opt;
    const BtTriage *triage;
    BtTriageLoader load;     /* when not NULL, makes the triage first */
    gpointer load_data;
} Batchwork;

static int run_loaded_batch(const BtResume *resume, const Batchwork *w);

static int
run_batch(const BtResume *resume, gpointer data)
{
    const Batchwork *w = data;
    if (!w->load)
        return run_loaded_batch(resume, w);
    BtTriage t = { 0 };
    int status = w->load(w->opt, &t, w->load_data);
    if (status != BT_EXIT_OK)
        return status;
    Batchwork loaded = { w->opt, &t, NULL, NULL };
    return run_loaded_batch(resume, &loaded);
}

static int
run_loaded_batch(const BtResume *resume, const Batchwork *w)
{
    const BtOptions *opt = w->opt;
    Report rep = {
        .quiet = opt->quiet,
        .progress = opt->progress && isatty(STDERR_FILENO),
        .started = g_get_monotonic_time(),
        .board = resume->board,
        .mute_problems = resume->mute_problems,
    };
    Run run = {
        .opt = opt,
        .triage = w->triage,
        .resume = resume,
        .replay = opt->summary || opt->format != BT_FORMAT_JSONL || w->triage->checker
                  || opt->report || opt->suppress,
        .report = &rep,
    };
    out_open(&run.out, resume);
    g_autoptr(BtSource) src = bt_source_new((const char *const *) opt->paths, on_problem, &rep);
    if (resume->spool_fd >= 0)
        bt_source_spool_stdin(src, resume->spool_fd, resume->feed);
    run.src = src;
    run.sink = bt_sink_new(run.out.file, opt->format,
                           opt->format == BT_FORMAT_TEXT && isatty(STDOUT_FILENO));
    /* the report and the suppression list see every bounce the sink writes,
     * the ones a restarted run replays in silence too */
    int status = BT_EXIT_OK;
    g_autoptr(BtDigest) digest = bt_pipeline_digest_new(opt, w->triage, &status);
    if (status != BT_EXIT_OK) {      /* the report or the list cannot be created */
        bt_sink_free(run.sink);
        out_close(&run.out);
        return status;
    }
    if (digest)
        bt_sink_set_observer(run.sink, observe_bounce, digest);
    guint64 next = 0;
    gboolean procs = pl_procs_fit(&run);
    guint64 inline_until = G_MAXUINT64;
    if (opt->jobs > 1)
        inline_until = procs ? MAX(resume->careful_until, pl_warm_messages()) : resume->careful_until;
    gboolean more = run_inline(&run, src, &next, inline_until);
    if (more && procs)
        pl_run_procs(&run, src, &next);
    else if (more && opt->jobs > 1)
        run_parallel(&run, src, next);
    show_progress(&rep, bt_source_stats(src), TRUE);
    bt_sink_finish(run.sink);
    if (opt->summary)
        bt_sink_write_summary(run.sink, opt->format == BT_FORMAT_TEXT ? run.out.file : stderr);
    pl_out_commit(&run.out, next, TRUE);
    fflush(run.out.file);
    bt_sink_free(run.sink);
    gboolean failed = run.out.failed;
    out_close(&run.out);
    /* the report and the suppression list are written even when stdout
     * went away: they are outputs of their own */
    status = bt_pipeline_digest_finish(digest, exit_status(bt_source_stats(src), resume));
    return failed ? 74 : status;   /* EX_IOERR, as main says for stdout */
}

int
bt_pipeline_run(const BtOptions *opt, const BtTriage *t)
{
    Batchwork w = { opt, t, NULL, NULL };
    return bt_supervise(opt, run_batch, &w);
}

int
bt_pipeline_run_loading(const BtOptions *opt, BtTriageLoader load, gpointer data)
{
    Batchwork w = { opt, NULL, load, data };
    return bt_supervise(opt, run_batch, &w);
}

/* What the report's title says was read. */
static char *
describe_source(const BtOptions *opt)
{
    if (opt->from_store)
        return g_strdup_printf("store %s", opt->from_store);
    guint n = opt->paths ? g_strv_length(opt->paths) : 0;
    if (n == 0)
        return g_strdup("standard input");
    if (n > 3)
        return g_strdup_printf("%s, %s and %u more paths", opt->paths[0], opt->paths[1], n - 2);
    return g_strjoinv(", ", opt->paths);
}

BtDigest *
bt_pipeline_digest_new(const BtOptions *opt, const BtTriage *t, int *status)
{
    *status = BT_EXIT_OK;
    if (!opt->report && !opt->suppress)
        return NULL;
    const char *chartjs = g_getenv("BOUNCETRIAGE_CHARTJS");
    g_autofree char *source = describe_source(opt);
    BtDigestOptions o = {
        .report_path = opt->report,
        .suppress_path = opt->suppress,
        .policy = t->policy,
        .chartjs_path = chartjs ? chartjs : BT_CHARTJS,
        .checks_ran = opt->checks != NULL,
        .source = source,
    };
    g_autoptr(GError) error = NULL;
    BtDigest *digest = bt_digest_new(&o, &error);
    if (!digest) {
        g_printerr("bouncetriage: %s\n", error->message);
        *status = 74;   /* EX_IOERR: the output cannot be created */
    }
    return digest;
}

int
bt_pipeline_digest_finish(BtDigest *digest, int status)
{
    g_autoptr(GError) error = NULL;
    if (digest && !bt_digest_finish(digest, &error)) {
        g_printerr("bouncetriage: %s\n", error->message);
        return 74;      /* EX_IOERR */
    }
    return status;
}
