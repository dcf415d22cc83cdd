/* hook — the MTA's delivery hook: one message on in_fd, stored durably,
 * answered with a sysexits code: 0 when every store asked for is on disk,
 * 75 (the MTA retries later) otherwise.
 *
 * The message's digest (SHA-256 of its bytes) is its identity: the maildir
 * file is named by it and every record carries it, so the MTA's retry of a
 * delivery that was cut short completes it instead of storing it twice.
 *
 * Order, chosen so that a kill at any point and the retry leave the
 * message in the maildir once and its records in the store once:
 *   1. a retry?  The maildir holds the digest: and the store too → done.
 *   2. the message goes to unclassified/tmp/ with an X-Bounce-Error field,
 *      before triage runs: the copy that is delivered if triage fails;
 *   3. triage in a child process (isolate.c);
 *   4. the annotated copy into <reason>/tmp/, renamed into new/ (or, when
 *      triage failed, the copy of step 2 into unclassified/new/);
 *   5. the records into the store (one transaction, or one JSONL write).
 * A kill between 4 and 5 leaves a stored message without records: the
 * retry finds it in step 1 and stores its records, naming that file.
 *
 * Every message leaves at least one record: a bounce one per recipient,
 * anything else the sink's --all record (reason "undefined", empty
 * recipient), and a message whose triage failed one whose cause says so. */
#include "flow/flow-private.h"
#include "sink/sink.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define UNFINISHED "triage did not finish; the message is stored unclassified"

typedef struct {
    const BtFlowConfig *cfg;
    const BtHookOptions *opt;
    BtAnnotated *a;
    BtStore *store;            /* NULL without --output */
    char *stored;              /* the message's file in the maildir, once there */
    char *fallback;            /* step 2's copy in tmp/, until it is used or removed */
    BtVerdict *verdict;        /* NULL when triage failed */
    char *why;                 /* why triage failed */
} Delivery;

static void
delivery_clear(Delivery *d)
{
    if (d->fallback)
        unlink(d->fallback);   /* a leftover in tmp/ is harmless, but tidy */
    g_free(d->fallback);
    g_free(d->stored);
    g_clear_pointer(&d->verdict, bt_verdict_free);
    g_free(d->why);
    g_clear_pointer(&d->store, bt_store_close);
    g_clear_pointer(&d->a, bt_annotated_free);
}

static int
tempfail(const GError *error)
{
    g_printerr("bouncetriage: %s\n", error->message);
    return BT_EXIT_TEMPFAIL;
}

/* Step 1: TRUE when an earlier delivery of this message stored it all.
 * Only SQLite can say so by a lookup; a JSON Lines file would have to be
 * read whole, so for JSONL a retry the maildir shows is triaged again and
 * bt_store_put writes only the lines the file lacks (without a maildir,
 * JSONL is at least once). */
static gboolean
already_stored(Delivery *d, GError **error)
{
    if (d->opt->maildir) {
        d->stored = bt_maildir_find(d->opt->maildir, d->a->digest);
        if (!d->stored)
            return FALSE;
        if (!d->store)
            return TRUE;
    }
    gboolean has = FALSE;
    if (bt_store_is_indexed(d->store) && !bt_store_has(d->store, d->a->digest, &has, error))
        return FALSE;
    return has;
}

/* The record of a message whose triage failed. */
static void
failure_record(Delivery *d)
{
    g_autoptr(BtRecord) rec = bt_record_new();
    rec->reason = g_strdup("undefined");
    rec->origin = g_strdup("-");
    rec->messagedigest = g_strdup(d->a->digest);
    rec->cause_id = g_strdup("bouncetriage.triage-failed");
    rec->cause_summary = g_strdup_printf("%s; the message is stored unclassified with an "
                                         "X-Bounce-Error field", d->why);
    rec->severity = g_strdup("high");
    d->verdict = g_new0(BtVerdict, 1);
    d->verdict->folder = g_strdup(BT_FOLDER_UNCLASSIFIED);
    d->verdict->fields = g_strdup("");
    d->verdict->recipients = g_ptr_array_new_with_free_func(g_free);
    d->verdict->lines = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(d->verdict->recipients, g_strdup(""));
    g_ptr_array_add(d->verdict->lines, bt_record_to_json(rec));
}

/* Steps 2 to 4. */
static gboolean
deliver(Delivery *d, GError **error)
{
    const char *root = d->opt->maildir;
    if (root) {
        bt_annotated_fail(d->a, UNFINISHED);
        d->fallback = bt_maildir_stage(root, BT_FOLDER_UNCLASSIFIED, d->a, error);
        if (!d->fallback)
            return FALSE;
        bt_test_kill_maybe();
    }
    d->verdict = bt_verdict_isolated(d->cfg, d->a, &d->why);
    bt_test_kill_maybe();
    if (!d->verdict) {
        g_printerr("bouncetriage: %s; delivering the message unclassified\n", d->why);
        failure_record(d);
    }
    if (!root)
        return TRUE;
    g_autofree char *staged = NULL;
    if (d->why) {
        staged = g_steal_pointer(&d->fallback);
    } else {
        bt_annotated_set_fields(d->a, d->verdict->fields, strlen(d->verdict->fields));
        staged = bt_maildir_stage(root, d->verdict->folder, d->a, error);
        if (!staged)
            return FALSE;
        bt_test_kill_maybe();
    }
    d->stored = bt_maildir_publish(staged, d->a->digest, error);
    if (!d->stored)
        unlink(staged);
    else
        bt_test_kill_maybe();
    return d->stored != NULL;
}

/* Step 5. */
static gboolean
store_records(Delivery *d, gboolean retry, GError **error)
{
    const char *origin = d->stored ? d->stored : "-";
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < d->verdict->lines->len; i++)
        g_ptr_array_add(lines, bt_verdict_line_for(d->verdict->lines->pdata[i], origin));
    return bt_store_put(d->store, d->a->digest, d->verdict->recipients, lines, retry, error);
}

static gboolean
run(Delivery *d, int in_fd, GError **error)
{
    d->a = bt_annotated_load(in_fd, error);
    if (!d->a)
        return FALSE;
    if (d->opt->output && !(d->store = bt_store_open(d->opt->output, error)))
        return FALSE;
    if (already_stored(d, error))
        return TRUE;
    if (error && *error)
        return FALSE;
    gboolean retry = d->stored != NULL;
    if (!retry && !deliver(d, error))
        return FALSE;
    if (retry) {
        /* the message is stored, its records are not: triage it again */
        g_printerr("bouncetriage: %s is stored already, as %s; storing its records\n",
                   d->a->digest, d->stored);
        d->verdict = bt_verdict_isolated(d->cfg, d->a, &d->why);
        if (!d->verdict)
            failure_record(d);
    }
    if (d->store && !store_records(d, retry, error))
        return FALSE;
    bt_test_kill_maybe();   /* all stored, the answer lost: the MTA retries */
    return TRUE;
}

int
bt_hook(const BtFlowConfig *cfg, const BtHookOptions *opt, int in_fd)
{
    if (!opt->output && !opt->maildir) {
        g_printerr("bouncetriage: --hook needs --output=FILE and/or --maildir=DIR\n");
        return BT_EXIT_TEMPFAIL;
    }
    /* a file size limit makes write() fail (EFBIG, answered 75) instead
     * of killing the hook: the MTA must get a status, never a signal */
    signal(SIGXFSZ, SIG_IGN);
    g_autoptr(GError) error = NULL;
    Delivery d = { .cfg = cfg, .opt = opt };
    gboolean ok = run(&d, in_fd, &error);
    delivery_clear(&d);
    return ok ? BT_EXIT_OK : tempfail(error);
}
