/* supervisor — see supervisor.h.  The board is one shared anonymous
 * mapping: the child writes it, the parent reads it only after the child
 * is gone, so no locking is needed.  It costs the child a few stores per
 * message. */
#include "config.h"
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define ORIGIN_MAX 1000
#define MAX_THREADS (BT_BOARD_WORKER0 + 256)
/* EX_SOFTWARE: the child crashed where no message can be blamed, twice */
#define EXIT_SOFTWARE 70

typedef struct {
    guint64 seq;
    gint64 offset;
    char origin[ORIGIN_MAX];
} Slot;

/* How far stdout got: messages whose output is all out, and the bytes of
 * the next ones' output already out (a write() cut short by the crash,
 * which the kernel stops at a page boundary). */
typedef struct {
    guint64 written;
    guint64 bytes;
    guint64 torn;
} Mark;

struct _BtBoard {
    guint64 started;               /* messages the reader handed out */
    Mark marks[2];                 /* the child fills the idle one, then flips `mark` */
    gint mark;
    guint64 problems;              /* input problems reported */
    gint64 busy[MAX_THREADS];      /* the message each thread is on, or -1 */
    Slot ring[BT_BOARD_RING];      /* the last messages handed out, by seq */
};

/* ---- the child's side ---------------------------------------------------- */

void
bt_board_started(BtBoard *b, guint64 seq, const char *origin, gint64 offset)
{
    if (!b)
        return;
    Slot *s = &b->ring[seq % BT_BOARD_RING];
    s->seq = seq;
    s->offset = offset;
    g_strlcpy(s->origin, origin, sizeof s->origin);
    b->started = seq + 1;
}

void
bt_board_busy(BtBoard *b, int thread, gint64 seq)
{
    if (b && thread >= 0 && thread < MAX_THREADS)
        b->busy[thread] = seq;
}

void
bt_board_written(BtBoard *b, guint64 messages, guint64 bytes, guint64 torn)
{
    if (!b)
        return;
    int idle = !g_atomic_int_get(&b->mark);
    b->marks[idle] = (Mark) { messages, bytes, torn };
    g_atomic_int_set(&b->mark, idle);   /* a full barrier: the mark is whole before it counts */
}

static Mark
board_mark(BtBoard *b)
{
    return b->marks[g_atomic_int_get(&b->mark) ? 1 : 0];
}

void
bt_board_problem(BtBoard *b)
{
    if (b)
        b->problems++;
}

/* ---- the parent's side --------------------------------------------------- */

static void
board_reset(BtBoard *b, const BtResume *r)
{
    b->started = r->written;
    b->marks[0] = (Mark) { r->written, r->bytes, r->torn };
    b->mark = 0;
    b->problems = 0;
    for (int i = 0; i < MAX_THREADS; i++)
        b->busy[i] = -1;
}

static gboolean
reads_stdin(const BtOptions *opt)
{
    if (!opt->paths || !opt->paths[0])
        return TRUE;
    for (char **p = opt->paths; *p; p++)
        if (strcmp(*p, "-") == 0)
            return TRUE;
    return FALSE;
}

/* Where stdin starts when it is a regular file (each child seeks back
 * there: no spool needed), else -1. */
static off_t
stdin_start(void)
{
    struct stat st;
    if (fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return lseek(STDIN_FILENO, 0, SEEK_CUR);
}

/* An unlinked temporary file for stdin's bytes, or -1. */
static int
open_spool(void)
{
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("bouncetriage-stdin-XXXXXX", &path, NULL);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* Signals that mean the triage of a message went wrong, as opposed to the
 * user or the system stopping the run.  SIGKILL is the kernel's OOM killer
 * as often as a person. */
static gboolean
is_crash(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGABRT
        || sig == SIGTRAP || sig == SIGSYS || sig == SIGKILL;
}

/* The messages the dead child's threads were on, smallest first. */
static GArray *
suspects(const BtBoard *b, gboolean *reading)
{
    GArray *seqs = g_array_new(FALSE, FALSE, sizeof(guint64));
    *reading = FALSE;
    for (int i = 0; i < MAX_THREADS; i++) {
        if (b->busy[i] < 0)
            continue;
        guint64 seq = (guint64) b->busy[i];
        gboolean seen = FALSE;
        for (guint j = 0; j < seqs->len; j++)
            seen |= g_array_index(seqs, guint64, j) == seq;
        if (!seen)
            g_array_append_val(seqs, seq);
        if (i == BT_BOARD_READER && seqs->len == 1)
            *reading = TRUE;
    }
    return seqs;
}

static void
report_crash(const BtBoard *b, guint64 seq, int sig)
{
    const Slot *s = &b->ring[seq % BT_BOARD_RING];
    if (s->seq != seq || b->started <= seq) {
        g_printerr("bouncetriage: message %" G_GUINT64_FORMAT " of the input: triage crashed (%s); "
                   "the message was skipped\n", seq + 1, g_strsignal(sig));
        return;
    }
    if (s->offset >= 0)
        g_printerr("bouncetriage: %s (offset %" G_GINT64_FORMAT "): triage crashed (%s); "
                   "the message was skipped\n", s->origin, s->offset, g_strsignal(sig));
    else
        g_printerr("bouncetriage: %s: triage crashed (%s); the message was skipped\n",
                   s->origin, g_strsignal(sig));
}

/* Where the dead child's output ended, if further than known. */
static void
take_mark(BtBoard *b, BtResume *r)
{
    Mark m = board_mark(b);
    if (m.written > r->written || (m.written == r->written && m.torn > r->torn)) {
        r->written = m.written;
        r->bytes = m.bytes;
        r->torn = m.torn;
    }
}

/* Where stdout starts, when it is a file: after a crash, what a write()
 * cut short left beyond the last byte the board knows of is cut off
 * (the kernel stops a dying process's write at a page boundary, and the
 * child cannot say how far it got).  -1 for a pipe or a terminal. */
static off_t
stdout_start(void)
{
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    int flags = fcntl(STDOUT_FILENO, F_GETFL);
    if (flags >= 0 && (flags & O_APPEND))
        return st.st_size;
    return lseek(STDOUT_FILENO, 0, SEEK_CUR);
}

static void
stdout_cut(off_t start, const BtResume *r)
{
    if (start < 0)
        return;
    off_t end = start + (off_t) (r->bytes + r->torn);
    if (ftruncate(STDOUT_FILENO, end) == 0)
        lseek(STDOUT_FILENO, end, SEEK_SET);
}

/* The child died of `sig`: decide how the next one starts.  FALSE when
 * there is no way on (the same crash where no message can be blamed). */
static gboolean
after_crash(BtBoard *b, BtResume *r, int sig, guint *blind)
{
    gboolean reading;
    g_autoptr(GArray) seqs = suspects(b, &reading);
    r->mute_problems = MAX(r->mute_problems, b->problems);

    if (seqs->len == 1 && !reading) {
        guint64 seq = g_array_index(seqs, guint64, 0);
        report_crash(b, seq, sig);
        guint64 *key = g_new(guint64, 1);
        *key = seq;
        g_hash_table_add(r->crashed, key);
        take_mark(b, r);
        *blind = 0;
        return TRUE;
    }
    if (seqs->len > 1) {
        /* one of these did it: take them one at a time to see which */
        guint64 last = 0;
        for (guint i = 0; i < seqs->len; i++)
            last = MAX(last, g_array_index(seqs, guint64, i));
        r->careful_until = MAX(r->careful_until, last + 1);
        take_mark(b, r);
        *blind = 0;
        return TRUE;
    }
    /* nothing to blame: the reader itself (finding the messages; they
     * are parsed by the workers, under their name), or between messages.  Once more from where it was; twice at the same point
     * is not chance. */
    if (*blind > 0 && board_mark(b).written <= r->written) {
        g_printerr("bouncetriage: reading the input crashed (%s) after %" G_GUINT64_FORMAT
                   " messages, twice; the rest of the input was not read\n", g_strsignal(sig), b->started);
        return FALSE;
    }
    (*blind)++;
    take_mark(b, r);
    return TRUE;
}

/* Waits for the child, and meanwhile copies stdin into the spool that
 * the child reads (r->feed): the pipe's bytes are in this process, which
 * does not crash, before any child sees them. */
static void
await_child(pid_t pid, const BtResume *r, int *wstatus)
{
    while (r->feed && !g_atomic_int_get(&r->feed->done)) {
        pid_t w = waitpid(pid, wstatus, WNOHANG);
        if (w == pid)
            return;
        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
        if (poll(&p, 1, 100) > 0)
            bt_spool_feed_pump(r->feed, STDIN_FILENO, r->spool_fd);
    }
    while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
        ;
}

static int
run_child(BtBatchFunc batch, gpointer data, const BtResume *r)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* no orphan goes on writing if the parent is killed */
#endif
    int status = batch(r, data);
    fflush(NULL);
    _exit(status);
}

int
bt_supervise(const BtOptions *opt, BtBatchFunc batch, gpointer data)
{
    BtResume r = { .spool_fd = -1 };
    if (g_strcmp0(g_getenv("BOUNCETRIAGE_SUPERVISE"), "0") == 0)
        return batch(&r, data);
    BtBoard *board = mmap(NULL, sizeof(BtBoard), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (board == MAP_FAILED)
        return batch(&r, data);

    r.board = board;
    gboolean from_stdin = reads_stdin(opt);
    off_t stdin_at = from_stdin ? stdin_start() : -1;
    off_t stdout_at = stdout_start();
    r.spool_fd = from_stdin && stdin_at < 0 ? open_spool() : -1;
    BtSpoolFeed *feed = r.spool_fd >= 0 ? bt_spool_feed_new() : NULL;
    r.feed = feed;
    r.crashed = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    guint blind = 0;
    int status;
    for (;;) {
        board_reset(board, &r);
        if (stdin_at >= 0)
            lseek(STDIN_FILENO, stdin_at, SEEK_SET);
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            /* no child to be had: run unsupervised rather than not at all
             * (reading stdin itself, after what the spool holds) */
            r.board = NULL;
            r.feed = NULL;
            status = batch(&r, data);
            break;
        }
        if (pid == 0)
            run_child(batch, data, &r);

        int wstatus;
        await_child(pid, &r, &wstatus);
        if (WIFEXITED(wstatus)) {
            status = WEXITSTATUS(wstatus);
            break;
        }
        int sig = WTERMSIG(wstatus);
        if (!is_crash(sig)) {
            /* stopped from outside (SIGINT, SIGTERM…): stop the same way */
            signal(sig, SIG_DFL);
            raise(sig);
            status = 128 + sig;
            break;
        }
        if (!after_crash(board, &r, sig, &blind)) {
            status = EXIT_SOFTWARE;
            break;
        }
        stdout_cut(stdout_at, &r);
        if (from_stdin && stdin_at < 0 && r.spool_fd < 0) {
            g_printerr("bouncetriage: stdin could not be spooled to a temporary file, so the run "
                       "cannot go on after the crash\n");
            status = EXIT_SOFTWARE;
            break;
        }
    }
    bt_spool_feed_free(feed);
    if (r.spool_fd >= 0)
        close(r.spool_fd);
    g_hash_table_unref(r.crashed);
    munmap(board, sizeof(BtBoard));
    return status;
}
