/* fuzz target "rules": the rule loader on any bytes as one pack
 * (rules/README.md's schema).  A pack that loads is loaded a second time
 * (now from the loader's cache of valid rule sets) and both rule sets judge
 * a sample bounce with --explain, so fuzzed patterns are matched too. */
#include "sample.h"

static void
judge_sample(const BtRuleSet *rs)
{
    g_autoptr(BtBounce) b = fuzz_sample_bounce(fuzz_extractor());
    bt_ruleset_apply(rs, b, TRUE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_glib();
    const char *dir = fuzz_tmpdir();
    g_free(fuzz_write_file(dir, "pack.yaml", data, size));
    const char *dirs[] = { dir, NULL };
    for (int pass = 0; pass < 2; pass++) {
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;
        g_autoptr(BtRuleSet) rs = bt_ruleset_load(dirs, errors, &error);
        if ((rs != NULL) == (errors->len > 0))   /* errors if and only if it failed */
            abort();
        if (!rs)
            break;
        judge_sample(rs);
    }
    return 0;
}
