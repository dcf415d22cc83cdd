/* sqlite-lazy — see sqlite-lazy.h.  Every call but opening goes through a
 * handle or statement that only an opened library can have made, so only
 * bt_sqlite3_open_v2 loads it; the rest use the table it filled. */
#include <glib.h>
#include <gmodule.h>
#include <sqlite3.h>

#include "core/sqlite-lazy.h"

/* What the table holds: the real functions, by their own names. */
#define BT_SQLITE_FUNCTIONS(X) \
    X(sqlite3_open_v2) X(sqlite3_close) X(sqlite3_errmsg) X(sqlite3_exec) X(sqlite3_busy_timeout) \
    X(sqlite3_prepare_v2) X(sqlite3_bind_text) X(sqlite3_step) X(sqlite3_reset) X(sqlite3_finalize) \
    X(sqlite3_column_text) X(sqlite3_column_bytes)

#undef sqlite3_open_v2
#undef sqlite3_close
#undef sqlite3_errmsg
#undef sqlite3_exec
#undef sqlite3_busy_timeout
#undef sqlite3_prepare_v2
#undef sqlite3_bind_text
#undef sqlite3_step
#undef sqlite3_reset
#undef sqlite3_finalize
#undef sqlite3_column_text
#undef sqlite3_column_bytes

static struct {
#define FIELD(name) __typeof__(name) *name;
    BT_SQLITE_FUNCTIONS(FIELD)
#undef FIELD
} api;

/* The sonames the library has on Linux and elsewhere; the first that opens wins. */
static const char *const sonames[] = { "libsqlite3.so.0", "libsqlite3.so", "libsqlite3.dylib", NULL };

/* A GThreadFunc for g_once: non-NULL when the table is filled. */
static gpointer
load_library(gpointer unused G_GNUC_UNUSED)
{
    GModule *mod = NULL;
    for (int i = 0; !mod && sonames[i]; i++)
        mod = g_module_open(sonames[i], G_MODULE_BIND_LOCAL);
    if (!mod) {
        g_warning("SQLite is not available (%s); a .sqlite store cannot be used", g_module_error());
        return NULL;
    }
    gboolean ok = TRUE;
#define LOOKUP(name) ok = ok && g_module_symbol(mod, #name, (gpointer *) &api.name);
    BT_SQLITE_FUNCTIONS(LOOKUP)
#undef LOOKUP
    if (!ok) {
        g_warning("%s lacks a function bouncetriage needs: %s", g_module_name(mod), g_module_error());
        g_module_close(mod);
        return NULL;
    }
    g_module_make_resident(mod);
    return mod;
}

static gboolean
loaded(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, load_library, NULL) != NULL;
}

int
bt_sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs)
{
    if (!loaded()) {
        *db = NULL;
        return SQLITE_CANTOPEN;
    }
    return api.sqlite3_open_v2(filename, db, flags, vfs);
}

int
bt_sqlite3_close(sqlite3 *db)
{
    return db ? api.sqlite3_close(db) : SQLITE_OK;
}

const char *
bt_sqlite3_errmsg(sqlite3 *db)
{
    return db ? api.sqlite3_errmsg(db) : "SQLite is not available";
}

int
bt_sqlite3_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *arg,
                char **errmsg)
{
    return api.sqlite3_exec(db, sql, callback, arg, errmsg);
}

int
bt_sqlite3_busy_timeout(sqlite3 *db, int ms)
{
    return api.sqlite3_busy_timeout(db, ms);
}

int
bt_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail)
{
    return api.sqlite3_prepare_v2(db, sql, n, stmt, tail);
}

int
bt_sqlite3_bind_text(sqlite3_stmt *stmt, int i, const char *text, int n, void (*destroy)(void *))
{
    return api.sqlite3_bind_text(stmt, i, text, n, destroy);
}

int
bt_sqlite3_step(sqlite3_stmt *stmt)
{
    return api.sqlite3_step(stmt);
}

int
bt_sqlite3_reset(sqlite3_stmt *stmt)
{
    return api.sqlite3_reset(stmt);
}

int
bt_sqlite3_finalize(sqlite3_stmt *stmt)
{
    return stmt ? api.sqlite3_finalize(stmt) : SQLITE_OK;
}

const unsigned char *
bt_sqlite3_column_text(sqlite3_stmt *stmt, int col)
{
    return api.sqlite3_column_text(stmt, col);
}

int
bt_sqlite3_column_bytes(sqlite3_stmt *stmt, int col)
{
    return api.sqlite3_column_bytes(stmt, col);
}
