/* lazyjit — see lazyjit.h. */
#include "core/lazyjit.h"

/* Every BtLazyJit used at least once and not cleared since, for
 * bt_lazy_jit_ripen_all: a pattern joins at its first use only. */
static GMutex used_lock;
static GHashTable *used;

static void
note_first_use(BtLazyJit *lj, const pcre2_code *interpreted)
{
    g_mutex_lock(&used_lock);
    lj->interpreted = interpreted;
    if (!used)
        used = g_hash_table_new(NULL, NULL);
    g_hash_table_add(used, lj);
    g_mutex_unlock(&used_lock);
}

static void
compile_copy(BtLazyJit *lj, const pcre2_code *interpreted)
{
    pcre2_code *copy = pcre2_code_copy(interpreted);
    if (!copy)
        return;
    pcre2_jit_compile(copy, PCRE2_JIT_COMPLETE);
    /* bt_lazy_jit_ripen_all may meet a use that crosses the threshold */
    if (!g_atomic_pointer_compare_and_exchange(&lj->jit, NULL, copy))
        pcre2_code_free(copy);
}

const pcre2_code *
bt_lazy_jit_pick(BtLazyJit *lj, const pcre2_code *interpreted, gint after, gsize len)
{
    const pcre2_code *jit = g_atomic_pointer_get(&lj->jit);
    if (jit)
        return jit;
    gint weight = 1 + (gint) MIN(len / BT_LAZY_JIT_USE_BYTES, (gsize) after);
    gint before = g_atomic_int_add(&lj->uses, weight);
    if (before == 0)
        note_first_use(lj, interpreted);
    /* exactly one use crosses the threshold */
    if (before < after && before + weight >= after)
        compile_copy(lj, interpreted);
    return interpreted;
}

void
bt_lazy_jit_clear(BtLazyJit *lj)
{
    if (lj->uses) {
        g_mutex_lock(&used_lock);
        g_hash_table_remove(used, lj);
        g_mutex_unlock(&used_lock);
    }
    pcre2_code_free(g_steal_pointer(&lj->jit));
    lj->uses = 0;
    lj->interpreted = NULL;
}

void
bt_lazy_jit_ripen_all(void)
{
    g_mutex_lock(&used_lock);
    if (used) {
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, used);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
            BtLazyJit *lj = key;
            if (!g_atomic_pointer_get(&lj->jit) && lj->interpreted)
                compile_copy(lj, lj->interpreted);
        }
    }
    g_mutex_unlock(&used_lock);
}

const pcre2_code *
bt_pcre2_code_publish(pcre2_code **slot, pcre2_code *code)
{
    if (g_atomic_pointer_compare_and_exchange(slot, NULL, code))
        return code;
    pcre2_code_free(code);
    return g_atomic_pointer_get(slot);
}
