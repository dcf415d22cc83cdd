/* source — walks the inputs named on the command line and hands out their
 * entries one at a time.  A queue holds what is left to visit, in order:
 * a directory is replaced by its entries (sorted by name; a maildir gives
 * cur/ then new/), a file or descriptor becomes a reader (reader.c) that is
 * drained before the queue moves on.  Nothing is opened before
 * bt_source_next_entry reaches it, and a problem travels as an entry, so
 * that problems are reported in input order however the entries are
 * parsed. */
#include "source/source-private.h"

#include "source/reader.h"
#include "source/spool-stream.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum {
    INPUT_NAMED,    /* named by the caller: any kind of file, symlinks followed */
    INPUT_FOUND,    /* found in a directory: regular files and directories only */
    INPUT_FD,       /* an open descriptor, read like stdin */
} InputKind;

typedef struct {
    InputKind kind;
    char *path;     /* the origin for INPUT_FD */
    int fd;
} Input;

struct _BtSource {
    BtProblemFunc problem;
    gpointer user_data;
    GQueue pending;         /* Input *, in reading order */
    BtReader *reader;       /* the input being read, if any */
    GQueue problems;        /* BtEntry* of problems met opening inputs */
    guint64 seq;
    guint64 message_seq;    /* bt_source_next's count of messages */
    guint64 bytes_done;     /* bytes of the inputs already finished */
    int spool_fd;           /* stdin's spool, -1: none (or used) */
    BtSpoolFeed *feed;      /* not NULL: the supervisor fills the spool */
    BtSourceStats stats;
};

static Input *
input_new(InputKind kind, const char *path, int fd)
{
    Input *in = g_new0(Input, 1);
    in->kind = kind;
    in->path = g_strdup(path);
    in->fd = fd;
    return in;
}

static void
input_free(gpointer p)
{
    Input *in = p;
    g_free(in->path);
    g_free(in);
}

/* Every problem goes through here to be counted. */
void
bt_source_report(BtSource *src, const BtEntry *e)
{
    if (e->parsed)
        src->stats.messages++;
    for (guint i = 0; e->problems && i < e->problems->len; i++) {
        const BtProblem *p = e->problems->pdata[i];
        if (p->kind == BT_PROBLEM_UNREADABLE)
            src->stats.unreadable++;
        else
            src->stats.skipped++;
        if (src->problem)
            src->problem(p->kind, e->origin, p->offset, p->what, src->user_data);
    }
}

static void
report_errno(BtSource *src, const char *path, const char *doing, int err)
{
    g_autofree char *what = g_strdup_printf("%s: %s", doing, g_strerror(err));
    g_queue_push_tail(&src->problems, bt_entry_new_problem(path, BT_PROBLEM_UNREADABLE, -1, what));
}

static BtSource *
source_new(BtProblemFunc problem, gpointer user_data)
{
    BtSource *src = g_new0(BtSource, 1);
    src->problem = problem;
    src->user_data = user_data;
    src->spool_fd = -1;
    g_queue_init(&src->pending);
    g_queue_init(&src->problems);
    return src;
}

BtSource *
bt_source_new(const char *const *paths, BtProblemFunc problem, gpointer user_data)
{
    BtSource *src = source_new(problem, user_data);
    if (!paths || !paths[0]) {
        g_queue_push_tail(&src->pending, input_new(INPUT_FD, "-", STDIN_FILENO));
        return src;
    }
    for (gsize i = 0; paths[i]; i++) {
        if (strcmp(paths[i], "-") == 0)
            g_queue_push_tail(&src->pending, input_new(INPUT_FD, "-", STDIN_FILENO));
        else
            g_queue_push_tail(&src->pending, input_new(INPUT_NAMED, paths[i], -1));
    }
    return src;
}

BtSource *
bt_source_new_for_fd(int fd, const char *origin, BtProblemFunc problem, gpointer user_data)
{
    BtSource *src = source_new(problem, user_data);
    g_queue_push_tail(&src->pending, input_new(INPUT_FD, origin, fd));
    return src;
}

void
bt_source_free(BtSource *src)
{
    if (!src)
        return;
    bt_reader_free(src->reader);
    g_queue_clear_full(&src->pending, input_free);
    g_queue_clear_full(&src->problems, (GDestroyNotify) bt_entry_free);
    g_free(src);
}

void
bt_source_spool_stdin(BtSource *src, int spool_fd, BtSpoolFeed *feed)
{
    src->spool_fd = spool_fd;
    src->feed = feed;
}

const BtSourceStats *
bt_source_stats(BtSource *src)
{
    src->stats.bytes = src->bytes_done + (src->reader ? bt_reader_bytes(src->reader) : 0);
    return &src->stats;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The entries of a directory, without dot-entries, sorted by name, as
 * full paths appended to `out`; FALSE (errno set) if it cannot be read. */
static gboolean
list_directory(const char *dir, GPtrArray *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return FALSE;

    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(d)))
        if (entry->d_name[0] != '.')
            g_ptr_array_add(names, g_strdup(entry->d_name));
    int err = errno;
    closedir(d);
    if (err) {
        errno = err;
        return FALSE;
    }

    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(out, g_build_filename(dir, names->pdata[i], NULL));
    return TRUE;
}

static gboolean
is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static gboolean
is_maildir(const char *dir)
{
    g_autofree char *cur = g_build_filename(dir, "cur", NULL);
    g_autofree char *new = g_build_filename(dir, "new", NULL);
    return is_directory(cur) && is_directory(new);
}

/* Put the entries of a directory at the front of the queue, in order: a
 * maildir's cur/ then new/ (tmp/ holds deliveries in progress), or the
 * directory's own entries. */
static void
expand_directory(BtSource *src, const char *dir)
{
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

    if (is_maildir(dir)) {
        static const char *const subdirs[] = { "cur", "new" };
        for (gsize i = 0; i < G_N_ELEMENTS(subdirs); i++) {
            g_autofree char *sub = g_build_filename(dir, subdirs[i], NULL);
            if (!list_directory(sub, paths))
                report_errno(src, sub, "cannot open", errno);
        }
    } else if (!list_directory(dir, paths)) {
        report_errno(src, dir, "cannot open", errno);
        return;
    }

    for (guint i = paths->len; i-- > 0;)
        g_queue_push_head(&src->pending, input_new(INPUT_FOUND, paths->pdata[i], -1));
}

static void
open_file(BtSource *src, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        report_errno(src, path, "cannot open", errno);
        return;
    }
    src->reader = bt_reader_new(fd, TRUE, path);
}

/* Start on the next input: a reader for a file, more queue entries for a
 * directory, a report for what cannot be opened. */
static void
open_input(BtSource *src, Input *in)
{
    struct stat st;

    if (in->kind == INPUT_FD && in->fd == STDIN_FILENO && src->spool_fd >= 0) {
        GMimeStream *spooled = src->feed ? bt_spool_stream_new_fed(src->spool_fd, src->feed)
                                         : bt_spool_stream_new(in->fd, src->spool_fd);
        src->reader = bt_reader_new_for_stream(spooled, in->path);
        g_object_unref(spooled);
        src->spool_fd = -1;    /* stdin named twice: the second time it is empty */
        return;
    }
    if (in->kind == INPUT_FD) {
        src->reader = bt_reader_new(in->fd, FALSE, in->path);
        return;
    }
    if (stat(in->path, &st) != 0) {
        report_errno(src, in->path, "cannot open", errno);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        struct stat lst;
        /* a symlink to a directory inside a walk could loop back up */
        if (in->kind == INPUT_FOUND && lstat(in->path, &lst) == 0 && S_ISLNK(lst.st_mode))
            return;
        expand_directory(src, in->path);
        return;
    }
    /* fifos and devices only when named: inside a walk they could block */
    if (in->kind == INPUT_FOUND && !S_ISREG(st.st_mode))
        return;
    open_file(src, in->path);
}

static BtEntry *
numbered(BtSource *src, BtEntry *e)
{
    e->seq = src->seq++;
    return e;
}

BtEntry *
bt_source_next_entry(BtSource *src)
{
    for (;;) {
        BtEntry *e = g_queue_pop_head(&src->problems);
        if (e)
            return numbered(src, e);
        if (src->reader) {
            if ((e = bt_reader_next(src->reader)))
                return numbered(src, e);
            src->bytes_done += bt_reader_bytes(src->reader);
            g_clear_pointer(&src->reader, bt_reader_free);
        }

        Input *in = g_queue_pop_head(&src->pending);
        if (!in)
            return NULL;
        open_input(src, in);
        input_free(in);
    }
}

BtMessage *
bt_source_next(BtSource *src)
{
    BtEntry *e;
    while ((e = bt_source_next_entry(src))) {
        BtMessage *msg = bt_entry_parse(e);
        bt_source_report(src, e);
        bt_entry_free(e);
        if (msg) {
            msg->seq = src->message_seq++;
            return msg;
        }
    }
    return NULL;
}
