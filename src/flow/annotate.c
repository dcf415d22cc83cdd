/* annotate — the filter: one message on in_fd, the same bytes on out_fd
 * with X-Bounce-* fields added at the top of the header (see message.c).
 * Whatever the message is, it comes out: procmail and Sieve filters must
 * never lose mail to a verdict.  Triage runs in a child process
 * (isolate.c): if it crashes or runs out of memory, the message comes out
 * with one X-Bounce-Error field instead of the verdict, status 0. */
#include "flow/flow-private.h"

#include <string.h>

#define EX_IOERR 74

int
bt_annotate(const BtFlowConfig *cfg, int in_fd, int out_fd)
{
    g_autoptr(GError) error = NULL;
    /* unreadable input: nothing whole to pass on; a non-zero status makes
     * procmail (with `w`) and Sieve keep the original */
    g_autoptr(BtAnnotated) a = bt_annotated_load(in_fd, &error);
    if (a) {
        g_autofree char *why = NULL;
        g_autoptr(BtVerdict) v = bt_verdict_isolated(cfg, a, &why);
        if (v) {
            bt_annotated_set_fields(a, v->fields, strlen(v->fields));
        } else {
            g_printerr("bouncetriage: %s\n", why);
            bt_annotated_fail(a, why);
        }
    }
    if (!a || !bt_annotated_write(a, out_fd, TRUE, &error)) {
        g_printerr("bouncetriage: %s\n", error->message);
        return EX_IOERR;
    }
    return BT_EXIT_OK;
}
