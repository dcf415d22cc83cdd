/* The entry point of bouncetriage-checks.so (see module.h).  Everything
 * else in the module is built with hidden visibility, so this is the only
 * symbol the program can find in it. */
#include "config.h"
#include "checks/module.h"

#include <gmodule.h>

static const BtChecksModule table = BT_CHECKS_MODULE_INIT(bt_checker_new, bt_checker_free, bt_checker_run,
                                                          bt_checker_check_domain);

G_MODULE_EXPORT const BtChecksModule *bt_checks_module(void);

const BtChecksModule *
bt_checks_module(void)
{
    return &table;
}
