/* fuzz target "annotate": the --annotate filter's splice (src/flow) — the
 * header mapped out in the original bytes, incoming X-Bounce-* fields
 * dropped, new ones added — on any bytes.  Beyond not crashing: every kept
 * span lies inside the input, and the filter writes exactly the bytes it
 * announces, never nothing for a non-empty input. */
#define _GNU_SOURCE 1   /* memfd_create */
#include "fuzz.h"
#include "flow/flow-private.h"

#include <sys/mman.h>
#include <unistd.h>

static int
memfd_with(const uint8_t *data, size_t size)
{
    int fd = memfd_create("bt-fuzz", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    if (size > 0 && !bt_write_all(fd, data, size))
        abort();
    lseek(fd, 0, SEEK_SET);
    return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    BtFlowConfig cfg = { .extractor = fuzz_extractor(), .rules = fuzz_rules() };
    int in = memfd_with(data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(BtAnnotated) a = bt_annotated_load(in, &error);
    close(in);
    if (!a)
        abort();   /* a memfd is always readable */
    /* in the process itself, not the isolated child the filter forks: a
     * crash of triage must show here */
    bt_annotated_triage(a, &cfg);
    for (guint i = 0; i < a->kept->len; i++) {
        const BtSpan *s = &g_array_index(a->kept, BtSpan, i);
        if (s->offset > a->data->len || s->length > a->data->len - s->offset)
            abort();
    }
    int out = memfd_create("bt-fuzz-out", MFD_CLOEXEC);
    if (out < 0 || !bt_annotated_write(a, out, TRUE, &error))
        abort();
    off_t written = lseek(out, 0, SEEK_END);
    close(out);
    if (written < 0 || (gsize) written != bt_annotated_size(a, TRUE) || (size > 0 && written == 0))
        abort();
    return 0;
}
