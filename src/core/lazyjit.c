/* lazyjit — see lazyjit.h. */
#include "core/lazyjit.h"

const pcre2_code *
bt_lazy_jit_pick(BtLazyJit *lj, const pcre2_code *interpreted, gint after)
{
    const pcre2_code *jit = g_atomic_pointer_get(&lj->jit);
    if (jit)
        return jit;
    if (g_atomic_int_add(&lj->uses, 1) == after - 1) {
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
