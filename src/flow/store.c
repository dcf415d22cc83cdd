/* store — where the hook keeps its records: a JSON Lines file or, for a
 * path ending in ".sqlite", an SQLite database.  Both are keyed by the
 * message's digest, which is what makes a retried delivery idempotent.
 *
 * JSON Lines: one write() per delivery under an exclusive flock, then
 * fsync.  A writer killed in the middle of its write() leaves a torn last
 * line; the next writer cuts it back to the last newline before it
 * appends, so a line is never glued onto another.  What JSONL cannot
 * promise: exactly once.  A writer killed after its write() but before
 * the hook answered the MTA leaves records that the retry may write again
 * (whole records, same messagedigest) — unless the retry knows it is a
 * retry (the maildir already holds the message), in which case it writes
 * only the lines the file does not hold yet.
 *
 * SQLite: WAL, synchronous=FULL, one transaction per delivery, a primary
 * key on (messagedigest, recipient) and INSERT OR IGNORE: exactly once. */
#define _GNU_SOURCE   /* memmem */
#include "flow/flow-private.h"
#include "core/sqlite-lazy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a delivery waits for another one's SQLite transaction. */
#define SQLITE_BUSY_MS 120000
#define SCAN_CHUNK 65536

/* The schema another program reads: keep it exactly.  Insertion order is
 * rowid order (no WITHOUT ROWID). */
#define SCHEMA \
    "CREATE TABLE IF NOT EXISTS records (messagedigest TEXT NOT NULL, recipient TEXT NOT NULL," \
    " json TEXT NOT NULL, PRIMARY KEY (messagedigest, recipient))"

struct BtStore {
    char *path;
    sqlite3 *db;        /* SQLite, or NULL for JSON Lines */
};

gboolean
bt_store_is_sqlite(const char *path)
{
    return g_str_has_suffix(path, ".sqlite");
}

/* ---- JSON Lines ----------------------------------------------------------- */

static gboolean
io_error(GError **error, const char *what, const char *path)
{
    g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot %s %s: %s", what, path, g_strerror(errno));
    return FALSE;
}

static gboolean
refused_link(GError **error, const char *path)
{
    g_set_error(error, BT_ERROR, BT_ERROR_IO,
                "%s is a symbolic link (set BOUNCETRIAGE_FOLLOW_SYMLINKS=1 to allow it)", path);
    return FALSE;
}

static int
open_jsonl(const char *path, GError **error)
{
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | bt_nofollow(), 0640);
    if (fd < 0 && errno == ELOOP)
        refused_link(error, path);
    else if (fd < 0)
        io_error(error, "open", path);
    return fd;
}

static gboolean
lock(int fd, int how, const char *path, GError **error)
{
    while (flock(fd, how) != 0)
        if (errno != EINTR)
            return io_error(error, "lock", path);
    return TRUE;
}

/* The size the file has once a torn last line is cut off: just past its
 * last newline (0 when it has none). */
static gboolean
whole_lines_size(int fd, off_t size, off_t *whole, GError **error)
{
    char buf[4096];
    off_t end = size;
    while (end > 0) {
        off_t start = end > (off_t) sizeof buf ? end - (off_t) sizeof buf : 0;
        ssize_t n = pread(fd, buf, (size_t) (end - start), start);
        if (n != end - start) {
            g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot read back the JSON Lines file");
            return FALSE;
        }
        for (ssize_t i = n - 1; i >= 0; i--) {
            if (buf[i] == '\n') {
                *whole = start + i + 1;
                return TRUE;
            }
        }
        end = start;
    }
    *whole = 0;
    return TRUE;
}

static gboolean
cut_torn_line(int fd, const char *path, off_t *size, GError **error)
{
    off_t whole = 0;
    if (*size > 0 && !whole_lines_size(fd, *size, &whole, error))
        return FALSE;
    if (whole == *size)
        return TRUE;
    g_printerr("bouncetriage: %s: cutting off a torn last line of %lld bytes (a writer was killed)\n",
               path, (long long) (*size - whole));
    if (ftruncate(fd, whole) != 0)
        return io_error(error, "cut back", path);
    *size = whole;
    return TRUE;
}

/* Whether the file's first `size` bytes hold `line` as a whole line. */
static gboolean
jsonl_holds_line(int fd, off_t size, const char *line, gboolean *holds, GError **error)
{
    gsize llen = strlen(line);
    g_autofree char *needle = g_strdup_printf("\n%s\n", line);
    gsize nlen = llen + 2;
    g_autofree char *buf = g_malloc(MAX(SCAN_CHUNK + nlen, llen + 1));
    /* the first line has no newline before it */
    *holds = (off_t) llen < size && pread(fd, buf, llen + 1, 0) == (ssize_t) llen + 1
          && memcmp(buf, line, llen) == 0 && buf[llen] == '\n';
    gsize carry = 0;
    off_t at = 0;
    while (!*holds && at < size) {
        ssize_t n = pread(fd, buf + carry, (size_t) MIN((off_t) SCAN_CHUNK, size - at), at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot read the JSON Lines file: %s",
                        n < 0 ? g_strerror(errno) : "it shrank");
            return FALSE;
        }
        at += n;
        gsize len = carry + (gsize) n;
        *holds = memmem(buf, len, needle, nlen) != NULL;
        carry = MIN(len, nlen - 1);   /* a needle across two chunks */
        memmove(buf, buf + len - carry, carry);
    }
    return TRUE;
}

/* The lines of `lines` the file does not hold yet: on a retry, what an
 * interrupted delivery did not write (its torn line is cut off by now,
 * but a batch of several records may have been cut between two). */
static gboolean
jsonl_missing(int fd, off_t size, GPtrArray *lines, GPtrArray *missing, GError **error)
{
    for (guint i = 0; i < lines->len; i++) {
        gboolean holds;
        if (!jsonl_holds_line(fd, size, lines->pdata[i], &holds, error))
            return FALSE;
        if (!holds)
            g_ptr_array_add(missing, lines->pdata[i]);
    }
    return TRUE;
}

static gboolean
sync_new_file(const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    return bt_fsync_dir(dir, error);
}

/* One write() of the whole batch, then fsync; on failure the file is cut
 * back to `size`, so no partial line stays. */
static gboolean
append_batch(int fd, const char *path, off_t size, const GString *batch, GError **error)
{
    if (bt_test_kill_due() && write(fd, batch->str, batch->len / 2) >= 0)
        raise(SIGKILL);   /* the kill test's torn line */
    ssize_t n = write(fd, batch->str, batch->len);
    if (n == (ssize_t) batch->len && fsync(fd) == 0 && (size > 0 || sync_new_file(path, NULL)))
        return TRUE;
    g_autofree char *why = n >= 0 && n < (ssize_t) batch->len
        ? g_strdup_printf("only %zd of %zu bytes written", n, batch->len)   /* disk full, file size limit */
        : g_strdup(g_strerror(errno));
    if (ftruncate(fd, size) != 0 || fsync(fd) != 0)
        g_printerr("bouncetriage: cannot cut %s back after a failed write: %s\n", path,
                   g_strerror(errno));
    g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot append to %s: %s", path, why);
    return FALSE;
}

static gboolean
jsonl_put(BtStore *s, GPtrArray *lines, gboolean maybe_there, GError **error)
{
    int fd = open_jsonl(s->path, error);
    if (fd < 0)
        return FALSE;
    struct stat st;
    g_autoptr(GPtrArray) todo = g_ptr_array_new();
    gboolean ok = lock(fd, LOCK_EX, s->path, error)
               && (fstat(fd, &st) == 0 || io_error(error, "stat", s->path))
               && cut_torn_line(fd, s->path, &st.st_size, error);
    if (ok && maybe_there)
        ok = jsonl_missing(fd, st.st_size, lines, todo, error);
    else if (ok)
        g_ptr_array_extend(todo, lines, NULL, NULL);
    if (ok && todo->len > 0) {
        g_autoptr(GString) batch = g_string_new(NULL);
        for (guint i = 0; i < todo->len; i++) {
            g_string_append(batch, todo->pdata[i]);
            g_string_append_c(batch, '\n');
        }
        ok = append_batch(fd, s->path, st.st_size, batch, error);
    }
    close(fd);   /* releases the lock */
    return ok;
}

/* ---- SQLite --------------------------------------------------------------- */

static gboolean
sql_error(GError **error, sqlite3 *db, const char *what, const char *path)
{
    g_set_error(error, BT_ERROR, BT_ERROR_IO, "%s: cannot %s: %s", path, what,
                db ? sqlite3_errmsg(db) : "out of memory");
    return FALSE;
}

static gboolean
sql_exec(BtStore *s, const char *sql, GError **error)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return TRUE;
    return sql_error(error, s->db, sql, s->path);
}

static gboolean
sqlite_open(BtStore *s, GError **error)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    struct stat st;
    if (bt_nofollow()) {
        flags |= SQLITE_OPEN_NOFOLLOW;   /* the check below only names the problem */
        if (lstat(s->path, &st) == 0 && S_ISLNK(st.st_mode))
            return refused_link(error, s->path);
    }
    if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK)
        return sql_error(error, s->db, "open", s->path);
    sqlite3_busy_timeout(s->db, SQLITE_BUSY_MS);
    return sql_exec(s, "PRAGMA journal_mode=WAL", error)
        && sql_exec(s, "PRAGMA synchronous=FULL", error)
        && sql_exec(s, SCHEMA, error);
}

static gboolean
sqlite_has(BtStore *s, const char *digest, gboolean *has, GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM records WHERE messagedigest = ? LIMIT 1", -1,
                           &st, NULL) != SQLITE_OK)
        return sql_error(error, s->db, "query", s->path);
    sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    *has = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE || sql_error(error, s->db, "query", s->path);
}

static gboolean
sqlite_insert(BtStore *s, const char *digest, GPtrArray *recipients, GPtrArray *lines,
              GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO records VALUES (?, ?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        return sql_error(error, s->db, "insert", s->path);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < lines->len; i++) {
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, recipients->pdata[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, lines->pdata[i], -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE || sql_error(error, s->db, "insert", s->path);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return ok;
}

/* One transaction: all of the message's records or none. */
static gboolean
sqlite_put(BtStore *s, const char *digest, GPtrArray *recipients, GPtrArray *lines,
           GError **error)
{
    if (!sql_exec(s, "BEGIN IMMEDIATE", error))
        return FALSE;
    if (sqlite_insert(s, digest, recipients, lines, error)) {
        bt_test_kill_maybe();   /* the kill test: inside the transaction */
        if (sql_exec(s, "COMMIT", error))
            return TRUE;
    }
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
}

/* ---- the store ------------------------------------------------------------ */

BtStore *
bt_store_open(const char *path, GError **error)
{
    BtStore *s = g_new0(BtStore, 1);
    s->path = g_strdup(path);
    if (bt_store_is_sqlite(path) && !sqlite_open(s, error)) {
        bt_store_close(s);
        return NULL;
    }
    return s;
}

gboolean
bt_store_is_indexed(const BtStore *s)
{
    return s->db != NULL;
}

gboolean
bt_store_has(BtStore *s, const char *digest, gboolean *has, GError **error)
{
    g_return_val_if_fail(s->db, FALSE);
    return sqlite_has(s, digest, has, error);
}

gboolean
bt_store_put(BtStore *s, const char *digest, GPtrArray *recipients, GPtrArray *lines,
             gboolean maybe_there, GError **error)
{
    if (s->db)
        return sqlite_put(s, digest, recipients, lines, error);
    return jsonl_put(s, lines, maybe_there, error);
}

int
bt_store_export(const char *path, FILE *out)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT json FROM records ORDER BY rowid", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        fputs((const char *) sqlite3_column_text(st, 0), out);
        fputc('\n', out);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE)
        g_printerr("bouncetriage: %s: cannot read the records: %s\n", path,
                   db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_DONE ? BT_EXIT_OK : BT_EXIT_NOINPUT;
}

void
bt_store_close(BtStore *s)
{
    if (!s)
        return;
    if (s->db)
        sqlite3_close(s->db);
    g_free(s->path);
    g_free(s);
}
