/* maildir — durable delivery of one message into a maildir folder, the
 * way qmail and Dovecot do it: write to tmp/ under a name no other
 * delivery can have, fsync the file, rename it into new/, fsync new/.
 * A reader never sees a partial message, and a crash leaves at most a
 * file in tmp/ (which maildir readers clean up).
 *
 * The stored message has no mbox From_ line: a maildir file is the
 * RFC 5322 message alone. */
#include "flow/flow-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

gboolean
bt_fsync_dir(const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot sync %s: %s", path, g_strerror(err));
        return FALSE;
    }
    close(fd);
    return TRUE;
}

/* mkdir that is content when the directory is there; a new one is made
 * durable by syncing its parent. */
static gboolean
ensure_dir(const char *path, GError **error)
{
    if (mkdir(path, 0700) == 0) {
        g_autofree char *parent = g_path_get_dirname(path);
        return bt_fsync_dir(parent, error);
    }
    if (errno == EEXIST && g_file_test(path, G_FILE_TEST_IS_DIR))
        return TRUE;
    g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot create %s: %s", path,
                errno == EEXIST ? "it is not a directory" : g_strerror(errno));
    return FALSE;
}

static gboolean
ensure_maildir(const char *root, const char *folder_path, GError **error)
{
    if (!g_file_test(root, G_FILE_TEST_IS_DIR)) {
        if (g_mkdir_with_parents(root, 0700) != 0) {
            g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot create %s: %s", root, g_strerror(errno));
            return FALSE;
        }
        g_autofree char *parent = g_path_get_dirname(root);
        if (!bt_fsync_dir(parent, error))
            return FALSE;
    }
    if (!ensure_dir(folder_path, error))
        return FALSE;
    static const char *const subdirs[] = { "tmp", "new", "cur" };
    for (gsize i = 0; i < G_N_ELEMENTS(subdirs); i++) {
        g_autofree char *sub = g_build_filename(folder_path, subdirs[i], NULL);
        if (!ensure_dir(sub, error))
            return FALSE;
    }
    return TRUE;
}

/* The host part of a maildir name: "/" and ":" would break the name. */
static char *
host_for_name(void)
{
    GString *out = g_string_new(NULL);
    for (const char *p = g_get_host_name(); *p; p++) {
        if (*p == '/')
            g_string_append(out, "\\057");
        else if (*p == ':')
            g_string_append(out, "\\072");
        else
            g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

/* time.MusecPpidRrandom.host,S=size: unique across processes (pid, µs)
 * and across pid reuse (random); S= is the Maildir++ size hint. */
static char *
unique_name(gsize size)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    g_autofree char *host = host_for_name();
    return g_strdup_printf("%ld.M%06ldP%dR%08x.%s,S=%" G_GSIZE_FORMAT,
                           (long) tv.tv_sec, (long) tv.tv_usec, (int) getpid(),
                           g_random_int(), host, size);
}

/* Creates the file in tmp/ (O_EXCL: a clash is retried with a new name),
 * writes and fsyncs it.  Returns the name, or NULL. */
static char *
write_tmp(const char *folder_path, const BtAnnotated *a, GError **error)
{
    gsize size = bt_annotated_size(a, FALSE);
    for (int attempt = 0; attempt < 5; attempt++) {
        g_autofree char *name = unique_name(size);
        g_autofree char *path = g_build_filename(folder_path, "tmp", name, NULL);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0) {
            g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot create %s: %s", path, g_strerror(errno));
            return NULL;
        }
        gboolean ok = bt_annotated_write(a, fd, FALSE, error);
        if (ok && fsync(fd) != 0) {
            g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot sync %s: %s", path, g_strerror(errno));
            ok = FALSE;
        }
        if (close(fd) != 0 && ok) {
            g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot write %s: %s", path, g_strerror(errno));
            ok = FALSE;
        }
        if (!ok) {
            unlink(path);
            return NULL;
        }
        return g_steal_pointer(&name);
    }
    g_set_error(error, BT_ERROR, BT_ERROR_IO, "no unique file name in %s/tmp", folder_path);
    return NULL;
}

gboolean
bt_maildir_deliver(const char *root, const char *folder, const BtAnnotated *a,
                   char **delivered, GError **error)
{
    g_autofree char *folder_path = g_build_filename(root, folder, NULL);
    if (!ensure_maildir(root, folder_path, error))
        return FALSE;
    g_autofree char *name = write_tmp(folder_path, a, error);
    if (!name)
        return FALSE;

    g_autofree char *tmp_path = g_build_filename(folder_path, "tmp", name, NULL);
    g_autofree char *new_dir = g_build_filename(folder_path, "new", NULL);
    g_autofree char *new_path = g_build_filename(new_dir, name, NULL);
    if (rename(tmp_path, new_path) != 0) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot move %s to new/: %s", tmp_path,
                    g_strerror(errno));
        unlink(tmp_path);
        return FALSE;
    }
    if (!bt_fsync_dir(new_dir, error)) {
        unlink(new_path);
        return FALSE;
    }
    *delivered = g_steal_pointer(&new_path);
    return TRUE;
}
