/* fuzz target "layouts": the layout loader on any bytes as one layout file
 * (rules/layouts/README.md's schema), beside the shipped auto-reply
 * vocabulary an extractor needs (to which the input may add); an
 * extractor that loads extracts a sample bounce, so fuzzed patterns and
 * scan settings run too. */
#include "sample.h"

/* rules/layouts/autoreply.yaml, read once. */
static const char *
shipped_vocabulary(gsize *len)
{
    static char *text;
    static gsize size;
    if (!text) {
        g_autofree char *path = g_build_filename(fuzz_srcdir(), "rules", "layouts", "autoreply.yaml", NULL);
        if (!g_file_get_contents(path, &text, &size, NULL))
            abort();
    }
    *len = size;
    return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_glib();
    const char *dir = fuzz_tmpdir();
    gsize vocab_len;
    const char *vocab = shipped_vocabulary(&vocab_len);
    g_free(fuzz_write_file(dir, "autoreply.yaml", (const uint8_t *) vocab, vocab_len));
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
