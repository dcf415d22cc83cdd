/* What pipeline.c shares with pipeline-procs.c (the --jobs worker
 * processes): the run's state and the steps every way of running a batch
 * goes through.  Not for other stages. */
#pragma once

#include "pipeline.h"
#include "source/source.h"
#include "supervisor.h"

/* Messages travel in batches: one hand-off and one wake-up per batch
 * instead of per message, which is what kept a second core from paying. */
#define BATCH_SIZE 32

/* What may be in flight (read, not yet written): at most 2 batches per
 * worker, and messages as weighed by pl_entry_weight: the reader reads a
 * batch only while less than BYTES_IN_FLIGHT is in flight.  The bytes
 * matter as much as the count: 64 messages of a thousand parts each are
 * 64 times what one job holds, and a message over the budget is the only
 * one in flight, as with one job. */
#define BYTES_IN_FLIGHT (2 * 1024 * 1024)

typedef struct {
    gboolean quiet;
    gboolean progress;
    gint64 started;          /* monotonic µs */
    gint64 last_shown;
    gboolean shown;
    BtBoard *board;
    guint64 read;            /* entries the reader handed out */
    guint64 problems;        /* reported so far, in input order */
    guint64 mute_problems;   /* the first ones an earlier run already reported */
} Report;

typedef struct {
    FILE *file;              /* what the sink writes to */
    GString *pending;        /* NULL: unsupervised */
    gboolean muted;          /* written by an earlier run: replayed in silence */
    gint failed;             /* stdout could not be written (atomic: read by the reader) */
    BtBoard *board;
    guint64 at;              /* messages [0, at) are out (published on the board) */
    guint64 bytes;           /* ... in so many bytes */
    guint64 from;            /* an earlier child wrote messages [0, from) */
    guint64 torn;            /* bytes of the output from `at` on that are out already */
} Out;

typedef struct {
    const BtOptions *opt;
    const BtTriage *triage;
    const BtResume *resume;
    gboolean replay;         /* messages an earlier run wrote are triaged again, in silence */
    BtSource *src;
    BtSink *sink;
    Out out;
    Report *report;
} Run;

/* An entry on its way through: what the reader found, then what triage
 * made of it. */
typedef struct {
    BtEntry *entry;          /* its bytes are gone once parsed; its problems stay */
    BtBounce *bounce;        /* NULL: not a message, or not to be triaged */
} Item;

/* A batch of entries on its way through the workers. */
typedef struct {
    guint64 seq;             /* batch number, in input order */
    gsize weight;            /* of its messages, for the budget */
    GArray *items;           /* Item */
    int worker;              /* the worker that triaged it */
    GByteArray *frame;       /* worker processes: the frame the batch made of it
                              * itself (pipeline-procs.c), or NULL */
} Batch;

void pl_batch_free(Batch *batch);
/* The next batch of up to BATCH_SIZE entries, no heavier than max_weight
 * (pl_entry_weight), numbered `seq`; NULL at the end of the input.
 * *next: the seq of the entry after it. */
Batch *pl_read_batch(Run *run, BtSource *src, guint64 seq, guint64 *next, gsize max_weight);

/* The note of a bounce as a line for stderr, or NULL. */
char *pl_note_line(const BtTriage *t, const BtBounce *b);
/* Prints a line on stderr, off the progress line. */
void pl_print_line(Report *r, const char *line);

/* Messages [0, done) are through the sink: put their output on stdout
 * when enough is pending (or `force`), and say so on the board. */
void pl_out_commit(Out *o, guint64 done, gboolean force);

/* Is stdout gone (a write failed: a closed pipe, a full disk) with nothing
 * else to write for (--report, --suppress)?  Then reading stops: the run
 * ends with exit 74 without reading the rest of the input for nobody. */
gboolean pl_output_gone(Run *run);

/* Parses an entry and triages its message (see pipeline.c). */
void pl_triage_one(Run *run, Item *item, int thread);

/* ---- pipeline-procs.c ---------------------------------------------------- */

/* The messages the batch triages itself before it forks worker processes
 * (BOUNCETRIAGE_WARM=N sets another count; the tests use 0): what triage
 * builds on first use (patterns compiled and JIT-compiled, caches) is
 * then built once and shared by every worker, instead of built again and
 * copied page by page in each.  Measured on the 1x corpus, the whole
 * process tree at --jobs 4: 56 MiB of Pss without, 39 MiB with 512; they
 * cost some 50 ms of one core. */
#define PL_WARM_MESSAGES 512
guint64 pl_warm_messages(void);

/* Can the batch from here on run in worker processes?  Unless the writer
 * must see each bounce itself: --check (one cache for the run), --report
 * and --suppress (their digest).  BOUNCETRIAGE_WORKERS=threads keeps
 * threads (to compare the two). */
gboolean pl_procs_fit(const Run *run);
/* Runs the rest of the batch, from entry *next on, with run->opt->jobs
 * worker processes; *next ends after the last entry. */
void pl_run_procs(Run *run, BtSource *src, guint64 *next);
