/* twin — see checks.h.  The module (module.h) shares GLib's structures
 * with the program and calls GLib on them; a second, shared copy of GLib
 * loaded beside the program's static one would keep its own slice
 * allocator and type system, so a record built by one copy and freed by
 * the other would corrupt memory.  The static build therefore never opens
 * the module: a run with --check or --check-domain is executed again, from
 * its start, by bouncetriage-dynamic, before any input has been read. */
#define _GNU_SOURCE             /* dladdr */
#include "config.h"
#include "checks/module.h"

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

void
bt_checks_exec_twin(char **argv, GError **error)
{
    g_autofree char *path = bt_checks_companion_path("BOUNCETRIAGE_DYNAMIC_PROGRAM", "src",
                                                      BT_PKGLIBEXECDIR, TWIN_FILE);
    fflush(NULL);
    execv(path, argv);
    int saved = errno;
    g_set_error(error, BT_ERROR, BT_ERROR_CONFIG, "the checks need %s, which could not be run: %s",
                path, g_strerror(saved));
}
