/* loader — the checks API of checks.h, in the program, as calls into
 * bouncetriage-checks.so (see module.h).  The module is opened by the
 * first bt_checker_new(), once per process; a run without --check never
 * opens it and so never maps the network libraries. */
#include "config.h"
#include "checks/module.h"

#include <gmodule.h>

static const BtChecksModule *checks;

/* Where the program's companion file lies: the path in `env` when set;
 * run from the build tree (make check, bench/), the one built beside the
 * program, as cli.c does for the rules (an older installed copy must not
 * shadow the one being built); else the installed one. */
char *
bt_checks_companion_path(const char *env, const char *build_subdir, const char *installed_dir,
                         const char *file)
{
    const char *over = g_getenv(env);
    if (over && *over)
        return g_strdup(over);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe && g_str_has_prefix(exe, BT_ABS_BUILDDIR "/"))
        return g_build_filename(BT_ABS_BUILDDIR, build_subdir, file, NULL);
    return g_build_filename(installed_dir, file, NULL);
}

static char *
module_path(void)
{
    return bt_checks_companion_path("BOUNCETRIAGE_CHECKS_MODULE", "src/checks", BT_PKGLIBDIR,
                                    BT_CHECKS_MODULE_FILE);
}

static gboolean
same_build(const BtChecksModule *m)
{
    return g_strcmp0(m->version, PACKAGE_VERSION) == 0 && m->bounce_size == sizeof(BtBounce)
        && m->record_size == sizeof(BtRecord) && m->check_size == sizeof(BtCheck)
        && m->options_size == sizeof(BtCheckOptions);
}

static gboolean
load_checks(GError **error)
{
    if (checks)
        return TRUE;
    g_autofree char *path = module_path();
    /* Never closed: the checker's code must stay mapped until exit. */
    GModule *module = g_module_open(path, G_MODULE_BIND_LOCAL);
    if (!module) {
        g_set_error(error, BT_ERROR, BT_ERROR_CONFIG,
                    "--check needs the checks module: %s", g_module_error());
        return FALSE;
    }
    BtChecksModuleEntry entry = NULL;
    if (!g_module_symbol(module, BT_CHECKS_MODULE_ENTRY, (gpointer *) &entry) || !same_build(entry())) {
        g_set_error(error, BT_ERROR, BT_ERROR_CONFIG,
                    "--check: %s is not the checks module of bouncetriage %s (reinstall it)",
                    path, PACKAGE_VERSION);
        g_module_close(module);
        return FALSE;
    }
    g_module_make_resident(module);
    checks = entry();
    return TRUE;
}

BtChecker *
bt_checker_new(const BtCheckOptions *opts, GError **error)
{
    if (!load_checks(error))
        return NULL;
    return checks->checker_new(opts, error);
}

/* A checker exists only once the module is loaded. */
void
bt_checker_free(BtChecker *ck)
{
    if (ck)
        checks->checker_free(ck);
}

void
bt_checker_run(BtChecker *ck, BtBounce *bounce)
{
    checks->checker_run(ck, bounce);
}

void
bt_checker_check_domain(BtChecker *ck, const char *domain, GPtrArray *checks_out)
{
    checks->checker_check_domain(ck, domain, checks_out);
}
