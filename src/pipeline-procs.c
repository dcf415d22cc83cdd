/* pipeline-procs — --jobs N as N worker processes.
 *
 * Threads of one process share GLib's and GMime's allocator paths and
 * type system, and on two cores they cost some 15 % more CPU than one
 * job; two processes that share nothing cost about 3 % (bench/README.md,
 * "Threads against processes").  So unless the writer must see every
 * bounce itself (--check's cache, --report's and --suppress's digest:
 * pl_procs_fit), the batch triages the first messages itself (see
 * PL_WARM_MESSAGES), forks N - 1 workers, and stays the one reader, the
 * one writer and the Nth job:
 *
 *   - it reads the input as the threads' reader does (one view of it,
 *     however it grows or whatever it is: a pipe, a FIFO, a .gz inflated
 *     once) and sends each batch, bytes and all, over a socket to the
 *     worker with the fewest batches on hand, at most `max_batches`
 *     ahead of what is written (a worker that drew slow messages does
 *     not hold the others up);
 *   - the worker parses, triages and renders each message (a fragment:
 *     no csv header, each text block led by its blank line, see sink.h)
 *     and sends the batch back as one frame: for each entry, what the
 *     parse made of it (bt_entry_pack_outcome), its note and its output;
 *   - whenever the frame it must write next has not begun to come and a
 *     batch waits that no worker has room for, the batch triages that one
 *     itself, into a frame of its own made the same way (its own sink of
 *     fragments: `self`).  A third process on two cores would take time
 *     from the workers for reading and writing that is little but not
 *     nothing; done here, between the batch's own triage, it costs a
 *     worker nothing;
 *   - the batch takes the frames in batch order and writes them entry by
 *     entry as write_one() in pipeline.c does: the problems are counted,
 *     muted and shown by its own source, its own sink joins the fragments
 *     (the csv header, the blank lines) and goes on counting nothing;
 *     the output goes out in whole messages and the board hears of each;
 *   - at the end each worker sends its --summary counts, which the
 *     batch's sink adds to its own, with those of `self`, before it
 *     writes the summary.
 *
 * It never blocks on a worker that waits for it: the sockets to the
 * workers are written without blocking, from a buffer, whenever poll()
 * says they have room, while it waits for the frame it needs next.
 *
 * A worker that dies takes the batch with it, by the same signal, once the
 * other workers are stopped and their places on the board cleared: the
 * supervisor then finds on the board the one message the dead worker was
 * on, and goes on after it exactly as after a crashed thread. */
#define _GNU_SOURCE   /* fopencookie */
#include "config.h"
#include "pipeline-private.h"
#include "core/lazyjit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* EX_SOFTWARE: a worker process could not be started or ended badly */
#define EXIT_SOFTWARE 70

gboolean
pl_procs_fit(const Run *run)
{
    const BtOptions *opt = run->opt;
    if (opt->jobs < 2 || run->triage->checker || opt->report || opt->suppress)
        return FALSE;
    return g_strcmp0(g_getenv("BOUNCETRIAGE_WORKERS"), "threads") != 0;
}

guint64
pl_warm_messages(void)
{
    const char *n = g_getenv("BOUNCETRIAGE_WARM");
    return n && g_ascii_isdigit(*n) ? g_ascii_strtoull(n, NULL, 10) : PL_WARM_MESSAGES;
}

/* ---- frames ------------------------------------------------------------- */

/* What follows an entry's outcome in a frame: its note (a whole line for
 * stderr, or nothing) and its output. */
typedef struct {
    guint32 note_len;
    guint32 pad;
    guint64 out_len;
} EntryTail;

/* A worker's last frame, once its socket ended: this count instead of a
 * batch's, then its --summary counts, packed. */
#define LAST_FRAME G_MAXUINT32

/* What a batch or a frame usually needs, to start with. */
#define FRAME_SIZE (256 * 1024)
/* What the pipe of frames from a worker holds: a whole frame or so. */
#define FRAME_PIPE (1024 * 1024)

/* ---- the worker ---------------------------------------------------------- */

typedef struct {
    Run run;                 /* the batch's, with the worker's own sink */
    int index;               /* its place among the workers */
    int in_fd;               /* batches come from here (a socket) */
    int out_fd;              /* frames go here (a pipe) */
    FILE *sink_file;         /* the sink's stream: it appends to `frame` */
    GByteArray *in;          /* the batch on hand, as it came */
    GByteArray *frame;       /* its frame so far */
} Worker;

/* The sink's stream appends to the worker's frame on hand (whichever
 * array that is now: the batch's own triage hands each frame on). */
static ssize_t
sink_cookie_write(void *cookie, const char *buf, size_t n)
{
    Worker *w = cookie;
    g_byte_array_append(w->frame, (const guint8 *) buf, (guint) n);
    return (ssize_t) n;
}

/* Parses, triages and renders one entry into the frame: its outcome, its
 * tail, its note, then the sink's output straight after them (the tail's
 * length is filled in once the sink is done). */
static void
work_entry(Worker *w, BtEntry *e)
{
    Run *run = &w->run;
    Item item = { .entry = e };
    pl_triage_one(run, &item, BT_BOARD_WORKER0 + w->index);
    g_autofree char *note = item.bounce ? pl_note_line(run->triage, item.bounce) : NULL;
    bt_entry_pack_outcome(e, w->frame);
    EntryTail tail = { .note_len = note ? (guint32) strlen(note) : 0 };
    gsize tail_at = w->frame->len;
    g_byte_array_append(w->frame, (const guint8 *) &tail, sizeof tail);
    if (note)
        g_byte_array_append(w->frame, (const guint8 *) note, tail.note_len);
    gsize out_at = w->frame->len;
    if (item.bounce) {
        bt_sink_write(run->sink, item.bounce, run->opt->all);
        fflush(w->sink_file);
        bt_bounce_free(item.bounce);
    }
    tail.out_len = w->frame->len - out_at;
    memcpy(w->frame->data + tail_at, &tail, sizeof tail);
}

/* A batch and a frame both cross as one message: its length (guint64),
 * then the count of its entries (guint32) and the entries. */
static void
open_message(GByteArray *buf, gsize *at, guint32 count)
{
    *at = buf->len;
    guint64 len = 0;
    g_byte_array_append(buf, (const guint8 *) &len, sizeof len);
    g_byte_array_append(buf, (const guint8 *) &count, sizeof count);
}

static void
close_message(GByteArray *buf, gsize at)
{
    guint64 len = buf->len - at - sizeof len;
    memcpy(buf->data + at, &len, sizeof len);
}

/* The next message on `fd` into `buf`; FALSE at the end of the input
 * (errno 0) or when it is cut short. */
static gboolean
read_message(int fd, GByteArray *buf)
{
    guint64 len;
    if (!bt_read_exact(fd, &len, sizeof len))
        return FALSE;
    g_byte_array_set_size(buf, (guint) len);
    if (bt_read_exact(fd, buf->data, len))
        return TRUE;
    if (errno == 0)
        errno = EPIPE;
    return FALSE;
}

/* One batch in, its frame out; FALSE when the batch process closed the
 * socket (the input is done). */
static gboolean
work_batch(Worker *w)
{
    if (!read_message(w->in_fd, w->in)) {
        if (errno == 0)
            return FALSE;
        _exit(EXIT_SOFTWARE);   /* cut off mid-batch: the batch process is gone */
    }
    const guint8 *p = w->in->data, *end = p + w->in->len;
    guint32 count;
    if (!bt_take_bytes(&p, end, &count, sizeof count))
        _exit(EXIT_SOFTWARE);
    gsize at;
    g_byte_array_set_size(w->frame, 0);
    open_message(w->frame, &at, count);
    for (guint32 i = 0; i < count; i++) {
        g_autoptr(BtEntry) e = bt_entry_unpack(&p, end);
        if (!e)
            _exit(EXIT_SOFTWARE);
        work_entry(w, e);
    }
    close_message(w->frame, at);
    /* one write of the whole frame: the batch reads a frame only once it
     * began to come, and must not wait on a worker still triaging */
    if (!bt_write_all(w->out_fd, w->frame->data, w->frame->len))
        _exit(EXIT_SOFTWARE);
    return TRUE;
}

/* The worker's frame and its sink of fragments, which writes into it;
 * FALSE if the stream cannot be made. */
static gboolean
open_frames(Worker *w)
{
    Run *run = &w->run;
    w->frame = g_byte_array_sized_new(FRAME_SIZE);
    cookie_io_functions_t io = { .write = sink_cookie_write };
    w->sink_file = fopencookie(w, "w", io);
    if (!w->sink_file)
        return FALSE;
    setvbuf(w->sink_file, NULL, _IOFBF, 65536);
    const BtOptions *opt = run->opt;
    run->sink = bt_sink_new(w->sink_file, opt->format, opt->format == BT_FORMAT_TEXT && isatty(STDOUT_FILENO));
    bt_sink_set_fragments(run->sink);
    return TRUE;
}

static G_NORETURN void
worker_main(Worker *w)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* no worker outlives the batch */
#endif
    Run *run = &w->run;
    w->in = g_byte_array_sized_new(FRAME_SIZE);
    if (!open_frames(w))
        _exit(EXIT_SOFTWARE);
    while (work_batch(w))
        ;
    gsize at;
    g_byte_array_set_size(w->frame, 0);
    open_message(w->frame, &at, LAST_FRAME);
    bt_sink_pack_summary(run->sink, w->frame);
    close_message(w->frame, at);
    if (!bt_write_all(w->out_fd, w->frame->data, w->frame->len))
        _exit(EXIT_SOFTWARE);
    /* _exit: the stdio buffers copied from the batch at fork time are not
     * this process's to flush */
    _exit(0);
}

/* ---- the batch: reader and writer ----------------------------------------- */

typedef struct {
    pid_t pid;
    int to_fd;               /* batches go here (our end of a socket, non-blocking) */
    int from_fd;             /* frames come from here (a pipe's read end) */
    GByteArray *unsent;      /* batches packed and not yet sent */
    gsize sent;              /* ... of which the first so many bytes were */
    guint on_hand;           /* batches sent to it and not yet written */
} Child;

/* Batch.worker, besides a worker's index: */
#define NOT_YET (-2)         /* read, neither handed out nor triaged */
#define BY_BATCH (-1)        /* triaged by the batch itself: its frame is Batch.frame */

/* Batches a worker has on hand at most: one it triages, one waiting on its
 * socket, one whose frame waits for older batches to be written. */
#define PER_WORKER 3

typedef struct {
    Run *run;
    Child *children;
    int count;               /* of workers: the batch is one more job */
    GQueue batches;          /* Batch*: read and not yet written, in order */
    GQueue waiting;          /* Batch*: of those, the ones still NOT_YET, in order */
    GByteArray *frame;       /* the frame on hand */
    Worker self;             /* the batch's own triage: its sink and frames */
    struct pollfd *fds;      /* await_frame's, count + 1 of them */
    int *whose;              /* ... and the worker each one is for */
} Pool;

static void
stop_child(Child *c)
{
    kill(c->pid, SIGKILL);
    while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* The worker `dead` ended before its frame was whole: stop the others,
 * clear their places on the board (they were not at fault), and end this
 * process the way the worker ended, so that the supervisor blames the
 * message the worker was on, and only that one. */
static G_NORETURN void
worker_died(Pool *p, int dead)
{
    int wstatus = 0;
    kill(p->children[dead].pid, SIGKILL);   /* alive but mute counts as dead */
    while (waitpid(p->children[dead].pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < p->count; i++) {
        if (i == dead)
            continue;
        stop_child(&p->children[i]);
        bt_board_busy(p->run->resume->board, BT_BOARD_WORKER0 + i, -1);
    }
    fflush(NULL);
    if (WIFSIGNALED(wstatus)) {
        int sig = WTERMSIG(wstatus);
        signal(sig, SIG_DFL);
        raise(sig);
    }
    _exit(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0 ? WEXITSTATUS(wstatus) : EXIT_SOFTWARE);
}

/* Sends what the socket takes now; FALSE when the worker is gone. */
static gboolean
send_some(Child *c)
{
    while (c->sent < c->unsent->len) {
        ssize_t n = send(c->to_fd, c->unsent->data + c->sent, c->unsent->len - c->sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return FALSE;
        c->sent += (gsize) n;
    }
    /* what was sent goes, so that a worker that never quite catches up
     * does not keep every batch it ever had here */
    if (c->sent == c->unsent->len || c->sent >= BYTES_IN_FLIGHT) {
        g_byte_array_remove_range(c->unsent, 0, (guint) c->sent);
        c->sent = 0;
    }
    return TRUE;
}

/* Sends what the sockets take now, to every worker that waits for it. */
static void
keep_sending(Pool *p)
{
    for (int i = 0; i < p->count; i++)
        if (p->children[i].unsent->len > 0 && !send_some(&p->children[i]))
            worker_died(p, i);
}

/* Packs a batch for worker `i`; the entries' bytes go with it, the rest of
 * each entry stays here to be reported when the frame comes back. */
static void
hand_out(Pool *p, int i, Batch *batch)
{
    Child *c = &p->children[i];
    c->on_hand++;
    batch->worker = i;
    gsize at;
    open_message(c->unsent, &at, batch->items->len);
    for (guint i = 0; i < batch->items->len; i++) {
        BtEntry *e = g_array_index(batch->items, Item, i).entry;
        bt_entry_pack(e, c->unsent);
        g_clear_pointer(&e->bytes, g_byte_array_unref);
    }
    close_message(c->unsent, at);
}

/* Hands the batches that wait to the workers, the least busy first, while
 * one has room. */
static void
feed_workers(Pool *p)
{
    while (!g_queue_is_empty(&p->waiting)) {
        int least = 0;
        for (int i = 1; i < p->count; i++)
            if (p->children[i].on_hand < p->children[least].on_hand)
                least = i;
        if (p->children[least].on_hand >= PER_WORKER)
            return;
        hand_out(p, least, g_queue_pop_head(&p->waiting));
    }
    keep_sending(p);
}

/* The batch triages the oldest batch that waits, into a frame of its own,
 * as a worker would (see work_batch), and keeps the workers' sockets
 * full meanwhile. */
static void
triage_here(Pool *p)
{
    Batch *batch = g_queue_pop_head(&p->waiting);
    Worker *w = &p->self;
    gsize at;
    open_message(w->frame, &at, batch->items->len);
    for (guint i = 0; i < batch->items->len; i++) {
        work_entry(w, g_array_index(batch->items, Item, i).entry);
        keep_sending(p);
    }
    close_message(w->frame, at);
    batch->worker = BY_BATCH;
    batch->frame = w->frame;
    w->frame = g_byte_array_sized_new(FRAME_SIZE);
}

/* One entry of a frame (at *q, before `end`), written as write_one()
 * writes a triaged entry; FALSE when the frame is not whole. */
static gboolean
write_entry(Pool *p, const guint8 **q, const guint8 *end, BtEntry *e)
{
    Run *run = p->run;
    EntryTail tail;
    if (!bt_entry_unpack_outcome(q, end, e) || !bt_take_bytes(q, end, &tail, sizeof tail))
        return FALSE;
    if ((guint64) (end - *q) < tail.note_len + tail.out_len)
        return FALSE;
    g_autofree char *note = g_strndup((const char *) *q, tail.note_len);
    const char *fragment = (const char *) *q + tail.note_len;
    *q += tail.note_len + tail.out_len;

    bt_source_report(run->src, e);
    /* an earlier run wrote it: replayed in silence, for the sink's state */
    gboolean muted = e->seq < run->resume->written;
    if (tail.note_len > 0 && !muted)
        pl_print_line(run->report, note);
    run->out.muted = muted;
    bt_sink_write_fragment(run->sink, fragment, tail.out_len);
    pl_out_commit(&run->out, e->seq + 1, FALSE);   /* flushes the stream while still muted */
    run->out.muted = FALSE;
    return TRUE;
}

static gboolean await_frame(Pool *p, int timeout);

/* A frame that is not what it should be: from a worker, it died (or is
 * beyond trust); from the batch itself, a fault here. */
static G_NORETURN void
bad_frame(Pool *p, int worker)
{
    if (worker == BY_BATCH)
        g_error("a frame of the batch's own is not whole");
    worker_died(p, worker);
}

/* The oldest batch's frame, from its worker (read whole) or from the
 * batch's own triage, written. */
static void
write_frame(Pool *p, guint64 *written)
{
    Batch *batch = g_queue_peek_head(&p->batches);
    int i = batch->worker;
    const guint8 *q, *end;
    if (i == BY_BATCH) {
        q = batch->frame->data + sizeof(guint64);   /* after its length */
        end = batch->frame->data + batch->frame->len;
    } else {
        await_frame(p, -1);
        if (!read_message(p->children[i].from_fd, p->frame))
            worker_died(p, i);
        p->children[i].on_hand--;
        q = p->frame->data;
        end = q + p->frame->len;
    }
    g_queue_pop_head(&p->batches);
    guint32 count;
    if (!bt_take_bytes(&q, end, &count, sizeof count) || count != batch->items->len)
        bad_frame(p, i);
    for (guint k = 0; k < count; k++) {
        Item *item = &g_array_index(batch->items, Item, k);
        if (!write_entry(p, &q, end, item->entry))
            bad_frame(p, i);
        g_clear_pointer(&item->entry, bt_entry_free);
    }
    pl_batch_free(batch);
    (*written)++;
}

/* Has the frame of the oldest batch, a worker's, begun to come?  Waits
 * for it up to `timeout` ms (-1: as long as it takes), sending the workers
 * what they wait for meanwhile. */
static gboolean
await_frame(Pool *p, int timeout)
{
    const Batch *oldest = g_queue_peek_head(&p->batches);
    int want = oldest->worker;
    struct pollfd *fds = p->fds;
    int *whose = p->whose;
    for (;;) {
        int n = 0;
        fds[n] = (struct pollfd) { .fd = p->children[want].from_fd, .events = POLLIN };
        whose[n++] = want;
        for (int i = 0; i < p->count; i++)
            if (p->children[i].unsent->len > 0) {
                fds[n] = (struct pollfd) { .fd = p->children[i].to_fd, .events = POLLOUT };
                whose[n++] = i;
            }
        if (poll(fds, (nfds_t) n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            worker_died(p, want);
        }
        for (int k = 1; k < n; k++)
            if (fds[k].revents && !send_some(&p->children[whose[k]]))
                worker_died(p, whose[k]);
        if (fds[0].revents)
            return TRUE;
        if (timeout == 0)
            return FALSE;
    }
}

static void
start_worker(Pool *p, int i)
{
    int frames[2], batches[2];
    if (pipe(frames) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, batches) != 0) {
        g_printerr("bouncetriage: cannot start a worker process: %s\n", g_strerror(errno));
        _exit(EXIT_SOFTWARE);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        g_printerr("bouncetriage: cannot start a worker process: %s\n", g_strerror(errno));
        _exit(EXIT_SOFTWARE);
    }
    if (pid == 0) {
        for (int j = 0; j < i; j++) {   /* the channels of the workers before it are not its own */
            close(p->children[j].to_fd);
            close(p->children[j].from_fd);
        }
        close(frames[0]);
        close(batches[0]);
        Worker w = { .run = *p->run, .index = i, .in_fd = batches[1], .out_fd = frames[1] };
        worker_main(&w);
    }
    close(frames[1]);
    close(batches[1]);
#ifdef F_SETPIPE_SZ
    /* room for a whole frame, so that a worker done while the batch
     * triages a batch of its own goes on at once (if the system allows) */
    (void) fcntl(frames[0], F_SETPIPE_SZ, FRAME_PIPE);
#endif
    fcntl(batches[0], F_SETFL, fcntl(batches[0], F_GETFL) | O_NONBLOCK);
    p->children[i] = (Child) { .pid = pid, .to_fd = batches[0], .from_fd = frames[0],
                               .unsent = g_byte_array_sized_new(FRAME_SIZE) };
}

/* A worker's last frame: its --summary counts, added to the batch's. */
static void
take_summary(Pool *p, int i)
{
    if (!read_message(p->children[i].from_fd, p->frame))
        worker_died(p, i);
    const guint8 *q = p->frame->data, *end = q + p->frame->len;
    guint32 last;
    if (!bt_take_bytes(&q, end, &last, sizeof last) || last != LAST_FRAME
        || !bt_sink_add_summary(p->run->sink, q, (gsize) (end - q)))
        worker_died(p, i);
}

/* The input is done and written: the workers see their sockets end, send
 * their summaries and leave; one that ends otherwise is a fault. */
static void
finish_workers(Pool *p)
{
    for (int i = 0; i < p->count; i++)
        close(p->children[i].to_fd);
    for (int i = 0; i < p->count; i++)
        take_summary(p, i);
    for (int i = 0; i < p->count; i++) {
        Child *c = &p->children[i];
        int wstatus = 0;
        while (waitpid(c->pid, &wstatus, 0) < 0 && errno == EINTR)
            ;
        close(c->from_fd);
        g_byte_array_unref(c->unsent);
        if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
            g_printerr("bouncetriage: a worker process ended badly after the input was done\n");
            fflush(NULL);
            _exit(EXIT_SOFTWARE);
        }
    }
}

/* The batch's own share of --summary, added to its sink's; the sink of
 * fragments goes. */
static void
close_self(Pool *p)
{
    Worker *w = &p->self;
    g_autoptr(GByteArray) packed = g_byte_array_new();
    bt_sink_pack_summary(w->run.sink, packed);
    if (!bt_sink_add_summary(p->run->sink, packed->data, packed->len))
        g_error("the batch's own --summary counts do not add up");
    g_clear_pointer(&w->run.sink, bt_sink_free);
    fclose(w->sink_file);
    g_byte_array_unref(w->frame);
}

/* What the batch does next: write the oldest batch's frame when it is
 * there (or there is nothing else to do but wait for it), else triage a
 * batch that waits. */
static gboolean
frame_first(Pool *p)
{
    const Batch *oldest = g_queue_peek_head(&p->batches);
    if (oldest->worker == NOT_YET)
        return FALSE;
    return oldest->worker == BY_BATCH || g_queue_is_empty(&p->waiting) || await_frame(p, 0);
}

void
pl_run_procs(Run *run, BtSource *src, guint64 *next)
{
    int jobs = run->opt->jobs, count = jobs - 1;
    Pool p = { .run = run, .count = count, .children = g_new0(Child, count),
               .frame = g_byte_array_sized_new(FRAME_SIZE),
               .fds = g_new(struct pollfd, count + 1), .whose = g_new(int, count + 1) };
    g_queue_init(&p.batches);
    g_queue_init(&p.waiting);
    guint max_batches = (guint) jobs * PER_WORKER;
    if (run->resume->board)   /* the board names so many messages in flight, no more */
        max_batches = MIN(max_batches, BT_BOARD_RING / BATCH_SIZE - 1);
    gsize max_weight = BYTES_IN_FLIGHT / max_batches;
    bt_lazy_jit_ripen_all();
    for (int i = 0; i < count; i++)
        start_worker(&p, i);
    /* made after the forks: the workers have no part in it */
    p.self = (Worker) { .run = *run, .index = count };
    if (!open_frames(&p.self))
        g_error("cannot make the batch's own sink: %s", g_strerror(errno));

    guint64 read = 0, written = 0;
    gboolean more = TRUE;
    for (;;) {
        more = more && !pl_output_gone(run);
        while (more && read < written + max_batches) {
            Batch *batch = pl_read_batch(run, src, read, next, max_weight);
            if (!batch)
                more = FALSE;
            else {
                batch->worker = NOT_YET;
                g_queue_push_tail(&p.batches, batch);
                g_queue_push_tail(&p.waiting, batch);
                read++;
            }
        }
        feed_workers(&p);
        if (written == read)
            break;
        if (frame_first(&p))
            write_frame(&p, &written);
        else
            triage_here(&p);
    }
    finish_workers(&p);
    close_self(&p);
    g_free(p.children);
    g_free(p.fds);
    g_free(p.whose);
    g_byte_array_unref(p.frame);
}
