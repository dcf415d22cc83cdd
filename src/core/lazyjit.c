/* lazyjit — see lazyjit.h. */
#include "core/lazyjit.h"

const pcre2_code *
bt_lazy_jit_pick(BtLazyJit *lj, const pcre2_code *interpreted, gint after, gsize len)
{
    const pcre2_code *jit = g_atomic_pointer_get(&lj->jit);
    if (jit)
        return jit;
    gint weight = 1 + (gint) MIN(len / BT_LAZY_JIT_USE_BYTES, (gsize) after);
    gint before = g_atomic_int_add(&lj->uses, weight);
    /* exactly one use crosses the threshold */
    if (before < after && before + weight >= after) {
        pcre2_code *copy = pcre2_code_copy(interpreted);
        if (copy) {
            pcre2_jit_compile(copy, PCRE2_JIT_COMPLETE);
            g_atomic_pointer_set(&lj->jit, copy);
        }
    }
    return interpreted;
}

void
bt_lazy_jit_clear(BtLazyJit *lj)
{
    pcre2_code_free(g_steal_pointer(&lj->jit));
    lj->uses = 0;
}

const pcre2_code *
bt_pcre2_code_publish(pcre2_code **slot, pcre2_code *code)
{
    if (g_atomic_pointer_compare_and_exchange(slot, NULL, code))
        return code;
    pcre2_code_free(code);
    return g_atomic_pointer_get(slot);
}
