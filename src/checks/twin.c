/* twin — see checks.h.  The module (module.h) shares GLib's structures
 * with the program and calls GLib on them; a second, shared copy of GLib
 * loaded beside the program's static one would keep its own slice
 * allocator and type system, so a record built by one copy and freed by
 * the other would corrupt memory.  The static build therefore never opens
 * the module: a run with --check or --check-domain is executed again, from
 * its start, by bouncetriage-dynamic, before any input has been read. */
#define _GNU_SOURCE             /* dladdr */
#include "config.h"
#include "checks/checks.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define TWIN_FILE "bouncetriage-dynamic"

/* Is GLib part of this executable?  g_malloc's code is then in the same
 * object as this function's. */
gboolean
bt_checks_need_twin(void)
{
    Dl_info glib, self;
    if (!dladdr((void *) g_malloc, &glib) || !dladdr((void *) bt_checks_need_twin, &self))
        return FALSE;
    return glib.dli_fbase == self.dli_fbase;
}

/* Run from the build tree (make check, bench/), the twin built beside the
 * program is the one to use, as loader.c does for the module. */
static char *
twin_path(void)
{
    const char *over = g_getenv("BOUNCETRIAGE_DYNAMIC_PROGRAM");
    if (over && *over)
        return g_strdup(over);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe && g_str_has_prefix(exe, BT_ABS_BUILDDIR "/"))
        return g_build_filename(BT_ABS_BUILDDIR, "src", TWIN_FILE, NULL);
    return g_build_filename(BT_PKGLIBEXECDIR, TWIN_FILE, NULL);
}

void
bt_checks_exec_twin(char **argv, GError **error)
{
    g_autofree char *path = twin_path();
    fflush(NULL);
    execv(path, argv);
    int saved = errno;
    g_set_error(error, BT_ERROR, BT_ERROR_CONFIG, "the checks need %s, which could not be run: %s",
                path, g_strerror(saved));
}
