/* dirs — whether the rule directories can be trusted.  Rules decide what
 * the hook files where and which remediation a person is told to follow;
 * whoever can write a rule directory decides that.  As OpenSSH does with
 * its configuration, a directory (or a pack in it) that a group or anyone
 * can write, or that belongs to neither root nor the user running us, is
 * reported. */
#include "rules/rules.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why `path` could be changed by someone else, or NULL. */
static char *
untrusted_because(const char *path, const struct stat *st)
{
    if (st->st_uid != 0 && st->st_uid != getuid())
        return g_strdup_printf("%s belongs to uid %u, neither root nor this user", path,
                               (unsigned) st->st_uid);
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return g_strdup_printf("%s is writable by %s (mode %04o); chmod go-w it", path,
                               st->st_mode & S_IWOTH ? "anyone" : "its group",
                               (unsigned) (st->st_mode & 07777));
    return NULL;
}

static void
check_path(const char *path, GPtrArray *problems)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;   /* a missing directory is the loader's to report */
    char *why = untrusted_because(path, &st);
    if (why)
        g_ptr_array_add(problems, why);
}

gboolean
bt_rule_dirs_check(const char *const *dirs, GPtrArray *problems)
{
    guint before = problems->len;
    for (guint i = 0; dirs && dirs[i]; i++) {
        check_path(dirs[i], problems);
        GDir *d = g_dir_open(dirs[i], 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            if (!g_str_has_suffix(name, ".yaml"))
                continue;
            g_autofree char *file = g_build_filename(dirs[i], name, NULL);
            check_path(file, problems);
        }
        if (d)
            g_dir_close(d);
    }
    return problems->len == before;
}
