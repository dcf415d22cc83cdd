/* module — the seam between the program and its checks.  The checks need
 * c-ares, libcurl (and through it GnuTLS, Kerberos, LDAP…), libpsl and
 * json-glib; linking them into the program would make every run, even a
 * one-message procmail filter, pay for mapping those libraries.  So the
 * checks live in a loadable module, bouncetriage-checks.so, that loader.c
 * opens on the first bt_checker_new(), i.e. only when --check or
 * --check-domain asked for them.  The program keeps calling the API of
 * checks.h; loader.c forwards each call through this table. */
#pragma once

#include "checks/checks.h"

#define BT_CHECKS_MODULE_FILE "bouncetriage-checks.so"
#define BT_CHECKS_MODULE_ENTRY "bt_checks_module"

/* The module and the program share structures (BtBounce, BtRecord,
 * BtCheck) by layout, so a module from another build must not be used:
 * the table carries the version and the sizes the module was built with. */
typedef struct {
    const char *version;                 /* PACKAGE_VERSION */
    gsize bounce_size, record_size, check_size, options_size;
    BtChecker *(*checker_new)(const BtCheckOptions *opts, GError **error);
    void (*checker_free)(BtChecker *ck);
    void (*checker_run)(BtChecker *ck, BtBounce *bounce);
    void (*checker_check_domain)(BtChecker *ck, const char *domain, GPtrArray *checks);
} BtChecksModule;

#define BT_CHECKS_MODULE_INIT(new_, free_, run_, domain_) { \
    .version = PACKAGE_VERSION, \
    .bounce_size = sizeof(BtBounce), .record_size = sizeof(BtRecord), \
    .check_size = sizeof(BtCheck), .options_size = sizeof(BtCheckOptions), \
    .checker_new = (new_), .checker_free = (free_), .checker_run = (run_), \
    .checker_check_domain = (domain_) }

/* The module's one exported symbol (BT_CHECKS_MODULE_ENTRY). */
typedef const BtChecksModule *(*BtChecksModuleEntry)(void);

/* The path of a file the program needs beside it (the module, the twin of
 * twin.c): `env`'s value when set, the build tree's copy under
 * `build_subdir` when the program runs from the build tree, else
 * `installed_dir`/`file`. */
char *bt_checks_companion_path(const char *env, const char *build_subdir, const char *installed_dir,
                               const char *file);
