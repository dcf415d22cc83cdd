/* fuzz target "layouts": the layout loader on any bytes as one layout file
 * (rules/layouts/README.md's schema); an extractor that loads extracts a
 * sample bounce, so fuzzed patterns and scan settings run too. */
#include "sample.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_glib();
    const char *dir = fuzz_tmpdir();
    g_free(fuzz_write_file(dir, "layout.yaml", data, size));
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(BtExtractor) ex = bt_extractor_new(dirs, errors, &error);
    if ((ex != NULL) == (errors->len > 0))
        abort();
    if (ex)
        bt_bounce_free(fuzz_sample_bounce(ex));
    return 0;
}
