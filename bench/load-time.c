/* load-time — how long loading the layouts and the rules takes, as a run
 * of bouncetriage does it at start (from the cache when it is fresh).
 *
 *   bench/load-time RULES_DIR LAYOUTS_DIR
 *
 * Loads once, in this fresh process as the program would, and prints one
 * line "layouts_ms L rules_ms R total_ms T cpu_ms C" (wall milliseconds of
 * each load, and the CPU milliseconds of both).  bench/startup.sh runs it
 * many times and takes medians; its first run fills the cache. */
#include "extract/layout.h"
#include "rules/rules.h"

#include <stdio.h>
#include <time.h>

static double
ms(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s RULES_DIR LAYOUTS_DIR\n", argv[0]);
        return 2;
    }
    const char *rule_dirs[] = { argv[1], NULL };
    const char *layout_dirs[] = { argv[2], NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);

    double cpu0 = ms(CLOCK_PROCESS_CPUTIME_ID), t0 = ms(CLOCK_MONOTONIC);
    g_autoptr(BtLayouts) lays = bt_layouts_load(layout_dirs, errors, NULL);
    double t1 = ms(CLOCK_MONOTONIC);
    g_autoptr(BtRuleSet) rules = bt_ruleset_load(rule_dirs, errors, NULL);
    double t2 = ms(CLOCK_MONOTONIC), cpu1 = ms(CLOCK_PROCESS_CPUTIME_ID);

    for (guint i = 0; i < errors->len; i++)
        fprintf(stderr, "%s\n", (const char *) errors->pdata[i]);
    if (!lays || !rules)
        return 1;
    printf("layouts_ms %.3f rules_ms %.3f total_ms %.3f cpu_ms %.3f\n", t1 - t0, t2 - t1, t2 - t0, cpu1 - cpu0);
    return 0;
}
