/* hook — the MTA's delivery hook: one message on in_fd, stored durably,
 * answered with a sysexits code.  0 means every store asked for is on
 * disk; 75 (the MTA retries later) means none of it is left behind.
 *
 * Order: the maildir delivery first, then the JSONL append, so that each
 * record can name the stored file as its origin.  If the append fails,
 * the delivered file is removed again before answering 75: the retry then
 * stores the message once, not twice.
 *
 * Every message leaves at least one JSONL line: a bounce one per
 * recipient, anything else (a non-bounce, an unparsable message) the
 * sink's --all record (reason "undefined", empty recipient and decodedby),
 * so the log accounts for every delivery. */
#include "flow/flow-private.h"
#include "sink/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reason as a folder name; anything unexpected files as unclassified. */
static const char *
folder_for(const BtAnnotated *a)
{
    GPtrArray *records = bt_annotated_records(a);
    const char *reason = records ? ((const BtRecord *) records->pdata[0])->reason : NULL;
    if (!reason || !*reason || *reason == '.')
        return "unclassified";
    for (const char *p = reason; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return "unclassified";
    return reason;
}

/* All lines for this message, each record's origin the stored file. */
static GString *
records_jsonl(const BtAnnotated *a, const char *origin)
{
    GString *out = g_string_new(NULL);
    GPtrArray *records = bt_annotated_records(a);
    g_autoptr(BtRecord) placeholder = NULL;
    if (!records) {
        placeholder = bt_record_new();
        placeholder->offset = -1;
        placeholder->reason = g_strdup("undefined");
    }
    guint n = records ? records->len : 1;
    for (guint i = 0; i < n; i++) {
        BtRecord *rec = records ? records->pdata[i] : placeholder;
        bt_set_str(&rec->origin, origin);
        g_autofree char *json = bt_record_to_json(rec);
        g_string_append(out, json);
        g_string_append_c(out, '\n');
    }
    return out;
}

static gboolean
lock_exclusive(int fd)
{
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR)
            return FALSE;
    return TRUE;
}

/* A crash of some other writer can leave a line without its end; ours
 * then starts on a fresh line rather than continuing it. */
static void
start_on_fresh_line(int fd, off_t size, GString *batch)
{
    char last;
    if (size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != '\n')
        g_string_prepend_c(batch, '\n');
}

/* The file and, when it may be new, its directory entry. */
static gboolean
sync_file(int fd, const char *path, gboolean may_be_new)
{
    if (fsync(fd) != 0)
        return FALSE;
    if (!may_be_new)
        return TRUE;
    g_autofree char *dir = g_path_get_dirname(path);
    return bt_fsync_dir(dir, NULL);
}

/* Appends the batch under the lock in one write(), then syncs.  On any
 * failure the file is cut back to its size before the write. */
static gboolean
append_locked(int fd, const char *path, GString *batch, GError **error)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot stat %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    start_on_fresh_line(fd, st.st_size, batch);
    ssize_t n = write(fd, batch->str, batch->len);
    g_autofree char *why = NULL;
    if (n == (ssize_t) batch->len && sync_file(fd, path, st.st_size == 0))
        return TRUE;
    if (n >= 0 && n < (ssize_t) batch->len)   /* a full disk or a file size limit */
        why = g_strdup_printf("only %zd of %zu bytes written", n, batch->len);
    else
        why = g_strdup(g_strerror(errno));
    if (ftruncate(fd, st.st_size) != 0 || fsync(fd) != 0)
        g_printerr("bouncetriage: cannot cut %s back after a failed write: %s\n", path,
                   g_strerror(errno));
    g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot append to %s: %s", path, why);
    return FALSE;
}

static gboolean
append_jsonl(const char *path, GString *batch, GError **error)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot open %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    gboolean ok = lock_exclusive(fd);
    if (!ok)
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot lock %s: %s", path, g_strerror(errno));
    ok = ok && append_locked(fd, path, batch, error);
    close(fd);   /* releases the lock */
    return ok;
}

/* Takes back a maildir delivery after the JSONL append failed. */
static void
withdraw(const char *delivered)
{
    g_autofree char *dir = g_path_get_dirname(delivered);
    if (unlink(delivered) != 0 || !bt_fsync_dir(dir, NULL))
        g_printerr("bouncetriage: cannot remove %s (%s); the retry will store a second copy\n",
                   delivered, g_strerror(errno));
}

static int
tempfail(const GError *error)
{
    g_printerr("bouncetriage: %s\n", error->message);
    return BT_EXIT_TEMPFAIL;
}

int
bt_hook(const BtFlowConfig *cfg, const BtHookOptions *opt, int in_fd)
{
    if (!opt->output && !opt->maildir) {
        g_printerr("bouncetriage: --hook needs --output=FILE and/or --maildir=DIR\n");
        return BT_EXIT_USAGE;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(BtAnnotated) a = bt_annotated_read(cfg, in_fd, &error);
    if (!a)
        return tempfail(error);

    g_autofree char *delivered = NULL;
    if (opt->maildir && !bt_maildir_deliver(opt->maildir, folder_for(a), a, &delivered, &error))
        return tempfail(error);
    if (opt->output) {
        g_autoptr(GString) batch = records_jsonl(a, delivered ? delivered : "-");
        if (!append_jsonl(opt->output, batch, &error)) {
            if (delivered)
                withdraw(delivered);
            return tempfail(error);
        }
    }
    return BT_EXIT_OK;
}
