/* testfault — a fault that tests can make triage suffer on a chosen
 * message, so that the isolation of the hook, the filter and the batch is
 * proved by a real abort, crash or memory exhaustion, not assumed.
 *
 *   BOUNCETRIAGE_TEST_FAULT=KIND:MARKER
 *
 * KIND is `abort` (abort()), `segv` (a real SIGSEGV) or `oom` (allocates
 * and touches memory until an allocation fails, then GLib aborts; capped
 * at 8 GiB so that a run without an address-space limit still ends).  The
 * fault fires when the message's top-level Subject contains MARKER.  Unset
 * or malformed: nothing happens; the cost is one getenv per process.
 *
 * KIND `parse-abort`, `parse-segv` or `parse-oom` does the same one step
 * earlier, where the source hands the message's bytes to GMime's parser
 * (bt_entry_parse): MARKER is looked for on the Subject line of the raw
 * header, since nothing is parsed yet. */
#pragma once

#include <gmime/gmime.h>
#include "core/lean-mime.h"

void bt_test_fault_maybe(const BtMimeTop *top);
/* KIND `torn-write`, MARKER a file path: the first time (the file does not
 * exist yet, and is made), the batch's last write to stdout puts out half
 * of its bytes and the process dies of SIGSEGV, as when another thread
 * crashes while the writer is inside write().  TRUE: fire now. */
gboolean bt_test_fault_torn_write(void);
/* The parse-KIND faults, on a message's raw bytes. */
void bt_test_fault_parse(const char *data, gsize len);
