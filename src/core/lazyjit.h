/* lazyjit — PCRE2 code JIT-compiled only once it is used often.  JIT
 * compilation costs several times what matching one message does, so a
 * pattern runs interpreted until it has been used `after` times (a use
 * on a long subject counting as several, below); the
 * thread whose use reaches that compiles a private copy and publishes it
 * atomically.  Nobody waits, and no shared code changes under a running
 * match.  Without JIT support the copy simply runs interpreted.  Code
 * compiled on first use is published the same way (bt_pcre2_code_publish).
 * Before worker processes fork, bt_lazy_jit_ripen_all makes the copies
 * of the patterns used so far, once, in pages all of them share. */
#pragma once

#include <glib.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

typedef struct {
    pcre2_code *jit;    /* atomic: the JIT-compiled copy, once earned */
    gint uses;          /* atomic: interpreted matches so far */
    const pcre2_code *interpreted;  /* what it was first used with */
} BtLazyJit;

/* The code to match with on a subject of `len` bytes: the published JIT
 * copy, else `interpreted` (counting this use, and compiling the copy when
 * the uses reach `after`).  A use counts once per BT_LAZY_JIT_USE_BYTES
 * of subject, and once more: interpreting a scan of a whole notice costs
 * tens of instructions per byte against a few for the JIT code, so a
 * pattern run over long texts earns its copy sooner than one run on short
 * lines or header values, while a single small message still compiles
 * nothing. */
#define BT_LAZY_JIT_USE_BYTES 512
const pcre2_code *bt_lazy_jit_pick(BtLazyJit *lj, const pcre2_code *interpreted, gint after, gsize len);
void bt_lazy_jit_clear(BtLazyJit *lj);

/* Compiles now the JIT copy of every pattern used so far that has not
 * earned one yet.  Before worker processes are forked: a copy each
 * worker would compile for itself (and the use counts each would write
 * into pages it shares with the others) is then made once, in pages all
 * of them share. */
void bt_lazy_jit_ripen_all(void);

/* Publishes `code` into *slot unless another thread published first:
 * returns the code kept in *slot, freeing `code` when it lost the race.
 * For code compiled on first use, where racing threads may both compile. */
const pcre2_code *bt_pcre2_code_publish(pcre2_code **slot, pcre2_code *code);
