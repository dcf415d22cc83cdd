/* maildir — durable delivery of one message into a maildir folder, the
 * way qmail and Dovecot do it: write to tmp/ under a name no other
 * delivery can have, fsync the file, rename it into new/, fsync new/.
 * A reader never sees a partial message, and a crash leaves at most a
 * file in tmp/ (which maildir readers clean up).
 *
 * In new/ a message is named by its digest (see stable_name): storing it
 * is idempotent, and the hook can tell a retry from a first delivery.
 *
 * The stored message has no mbox From_ line: a maildir file is the
 * RFC 5322 message alone. */
#include "flow/flow-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* What follows the digest in a stored file's name. */
#define NAME_TAIL ".bouncetriage"

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

int
bt_nofollow(void)
{
    const char *follow = g_getenv("BOUNCETRIAGE_FOLLOW_SYMLINKS");
    return follow && g_str_equal(follow, "1") ? 0 : O_NOFOLLOW;
}

/* mkdir that is content when the directory is there; a new one is made
 * durable by syncing its parent.  A symbolic link in its place is refused
 * (unless BOUNCETRIAGE_FOLLOW_SYMLINKS=1): whoever can write the maildir
 * root could otherwise send deliveries anywhere the hook may write. */
static gboolean
ensure_dir(const char *path, GError **error)
{
    if (mkdir(path, 0700) == 0) {
        g_autofree char *parent = g_path_get_dirname(path);
        return bt_fsync_dir(parent, error);
    }
    int err = errno;
    struct stat st;
    if (err == EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && bt_nofollow()) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO,
                    "%s is a symbolic link (set BOUNCETRIAGE_FOLLOW_SYMLINKS=1 to allow it)", path);
        return FALSE;
    }
    if (err == EEXIST && g_file_test(path, G_FILE_TEST_IS_DIR))
        return TRUE;
    g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot create %s: %s", path,
                err == EEXIST ? "it is not a directory" : g_strerror(err));
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

/* time.MusecPpidRrandom.host: unique across processes (pid, µs) and
 * across pid reuse (random), for the file while it is in tmp/. */
static char *
unique_name(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    g_autofree char *host = host_for_name();
    return g_strdup_printf("%ld.M%06ldP%dR%08x.%s", (long) tv.tv_sec, (long) tv.tv_usec,
                           (int) getpid(), g_random_int(), host);
}

/* Creates the file in tmp/ (O_EXCL: a clash is retried with a new name),
 * writes and fsyncs it.  Returns its path, or NULL. */
static char *
write_tmp(const char *folder_path, const BtAnnotated *a, GError **error)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        g_autofree char *name = unique_name();
        g_autofree char *path = g_build_filename(folder_path, "tmp", name, NULL);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
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
        return g_steal_pointer(&path);
    }
    g_set_error(error, BT_ERROR, BT_ERROR_IO, "no unique file name in %s/tmp", folder_path);
    return NULL;
}

char *
bt_maildir_stage(const char *root, const char *folder, const BtAnnotated *a, GError **error)
{
    g_autofree char *folder_path = g_build_filename(root, folder, NULL);
    if (!ensure_maildir(root, folder_path, error))
        return NULL;
    return write_tmp(folder_path, a, error);
}

/* DIGEST.bouncetriage,S=size: the same name for every delivery of the same
 * message, so a retry replaces rather than adds, and bt_maildir_find finds
 * it; S= is the Maildir++ size hint. */
static char *
stable_name(const char *digest, gsize size)
{
    return g_strdup_printf("%s" NAME_TAIL ",S=%" G_GSIZE_FORMAT, digest, size);
}

char *
bt_maildir_publish(const char *tmp_path, const char *digest, GError **error)
{
    struct stat st;
    if (stat(tmp_path, &st) != 0) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot stat %s: %s", tmp_path, g_strerror(errno));
        return NULL;
    }
    g_autofree char *tmp_dir = g_path_get_dirname(tmp_path);
    g_autofree char *folder_path = g_path_get_dirname(tmp_dir);
    g_autofree char *new_dir = g_build_filename(folder_path, "new", NULL);
    g_autofree char *name = stable_name(digest, (gsize) st.st_size);
    g_autofree char *new_path = g_build_filename(new_dir, name, NULL);
    if (rename(tmp_path, new_path) != 0) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot move %s to new/: %s", tmp_path,
                    g_strerror(errno));
        return NULL;
    }
    if (!bt_fsync_dir(new_dir, error))
        return NULL;
    return g_steal_pointer(&new_path);
}

/* The file of `digest` in dir (new/ or cur/, where a reader may have moved
 * it and added ":2,flags"), or NULL. */
static char *
find_in(const char *dir, const char *prefix)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        if (g_str_has_prefix(name, prefix))
            return g_build_filename(dir, name, NULL);
    return NULL;
}

char *
bt_maildir_find(const char *root, const char *digest)
{
    g_autofree char *prefix = g_strconcat(digest, NAME_TAIL, NULL);
    g_autoptr(GDir) d = g_dir_open(root, 0, NULL);
    const char *folder;
    while (d && (folder = g_dir_read_name(d))) {
        static const char *const subdirs[] = { "new", "cur" };
        for (gsize i = 0; i < G_N_ELEMENTS(subdirs); i++) {
            g_autofree char *dir = g_build_filename(root, folder, subdirs[i], NULL);
            char *found = find_in(dir, prefix);
            if (found)
                return found;
        }
    }
    return NULL;
}
