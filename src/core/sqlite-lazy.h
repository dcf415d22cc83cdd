/* sqlite-lazy — libsqlite3, loaded only when a store is opened.
 *
 * Only --hook --output=FILE.sqlite and --from-store FILE.sqlite use
 * SQLite, but linking it makes every run map it and resolve its ~1,600
 * symbol relocations (a quarter of the dynamic loader's work at start).
 * A file that uses SQLite includes this header instead of <sqlite3.h>: the
 * SQLite calls the project makes become calls into this shim, which opens
 * libsqlite3 on first use.  Without the library, opening a database fails
 * (SQLITE_CANTOPEN, no handle) and a warning says why. */
#pragma once

#include <sqlite3.h>

#define sqlite3_open_v2 bt_sqlite3_open_v2
#define sqlite3_close bt_sqlite3_close
#define sqlite3_errmsg bt_sqlite3_errmsg
#define sqlite3_exec bt_sqlite3_exec
#define sqlite3_busy_timeout bt_sqlite3_busy_timeout
#define sqlite3_prepare_v2 bt_sqlite3_prepare_v2
#define sqlite3_bind_text bt_sqlite3_bind_text
#define sqlite3_step bt_sqlite3_step
#define sqlite3_reset bt_sqlite3_reset
#define sqlite3_finalize bt_sqlite3_finalize
#define sqlite3_column_text bt_sqlite3_column_text
#define sqlite3_column_bytes bt_sqlite3_column_bytes

int bt_sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs);
int bt_sqlite3_close(sqlite3 *db);
const char *bt_sqlite3_errmsg(sqlite3 *db);
int bt_sqlite3_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *arg,
                    char **errmsg);
int bt_sqlite3_busy_timeout(sqlite3 *db, int ms);
int bt_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail);
int bt_sqlite3_bind_text(sqlite3_stmt *stmt, int i, const char *text, int n, void (*destroy)(void *));
int bt_sqlite3_step(sqlite3_stmt *stmt);
int bt_sqlite3_reset(sqlite3_stmt *stmt);
int bt_sqlite3_finalize(sqlite3_stmt *stmt);
const unsigned char *bt_sqlite3_column_text(sqlite3_stmt *stmt, int col);
int bt_sqlite3_column_bytes(sqlite3_stmt *stmt, int col);
