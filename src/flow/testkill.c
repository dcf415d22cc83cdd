/* testkill — a test-only switch that makes the hook kill itself with
 * SIGKILL at the boundaries between its steps, so the kill test hits every
 * window (message staged, triaged, renamed into new/, records stored,
 * a JSONL write half done) instead of hoping a timer lands in one that
 * lasts microseconds.
 *
 *   BOUNCETRIAGE_TEST_KILL=PERCENT   chance of a kill at each point
 *
 * Unset, malformed or 0: nothing happens; the cost is one getenv per run. */
#include "flow/flow-private.h"

#include <signal.h>
#include <stdlib.h>

static int
kill_percent(void)
{
    static int percent = -1;
    if (percent < 0) {
        const char *env = g_getenv("BOUNCETRIAGE_TEST_KILL");
        percent = env ? CLAMP(atoi(env), 0, 100) : 0;
    }
    return percent;
}

gboolean
bt_test_kill_due(void)
{
    int percent = kill_percent();
    return percent > 0 && g_random_int_range(0, 100) < percent;
}

void
bt_test_kill_maybe(void)
{
    if (bt_test_kill_due())
        raise(SIGKILL);
}
