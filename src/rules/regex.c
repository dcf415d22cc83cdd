/* regex — rule patterns compiled once with PCRE2 (UTF, invalid UTF-8
 * tolerated) and matched under limits, so that no pattern and no input can
 * stall a worker.  A pattern is JIT-compiled once it has been used a few
 * times: a single message on stdin does not pay for JIT-compiling hundreds
 * of patterns it tries once, an archive gets JIT speed after a few
 * records.  Compiled code is shared read-only between threads; match data
 * and the JIT stack are per thread. */
#include "rules/rules-private.h"

#include <string.h>

/* Limits: a legitimate rule on a bounce of a few hundred kilobytes stays far
 * below them; a catastrophic pattern stops within milliseconds. */
#define MATCH_LIMIT 1000000u
#define DEPTH_LIMIT 10000u
#define HEAP_LIMIT_KIB 16384u
#define JIT_STACK_START (32 * 1024)
#define JIT_STACK_MAX (1024 * 1024)
/* Interpreted matches before a pattern is JIT-compiled. */
#define JIT_AFTER_USES 8

static GPrivate thread_match_data = G_PRIVATE_INIT((GDestroyNotify) pcre2_match_data_free);
static GPrivate thread_jit_stack = G_PRIVATE_INIT((GDestroyNotify) pcre2_jit_stack_free);

/* The JIT asks for its stack through this callback, so each thread gets its
 * own while the match context stays shared. */
static pcre2_jit_stack *
jit_stack_for_thread(void *unused)
{
    (void) unused;
    pcre2_jit_stack *stack = g_private_get(&thread_jit_stack);
    if (!stack) {
        stack = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
        g_private_set(&thread_jit_stack, stack);
    }
    return stack;
}

static pcre2_match_context *
shared_match_context(void)
{
    static pcre2_match_context *ctx;
    if (g_once_init_enter(&ctx)) {
        pcre2_match_context *c = pcre2_match_context_create(NULL);
        pcre2_set_match_limit(c, MATCH_LIMIT);
        pcre2_set_depth_limit(c, DEPTH_LIMIT);
        pcre2_set_heap_limit(c, HEAP_LIMIT_KIB);
        pcre2_jit_stack_assign(c, jit_stack_for_thread, NULL);
        g_once_init_leave(&ctx, c);
    }
    return ctx;
}

/* One ovector pair is enough: only the whole match is reported. */
static pcre2_match_data *
match_data_for_thread(void)
{
    pcre2_match_data *md = g_private_get(&thread_match_data);
    if (!md) {
        md = pcre2_match_data_create(1, NULL);
        g_private_set(&thread_match_data, md);
    }
    return md;
}

/* Column (1-based) of byte `offset` of the pattern when the scalar's source
 * text is the pattern itself on one line (plain, or quoted without escapes);
 * otherwise the scalar's own column. */
static gsize
pattern_column(const yaml_node_t *node, const char *pattern, gsize offset)
{
    gsize col = node->start_mark.column + 1;
    gsize source_chars = node->end_mark.index - node->start_mark.index;
    glong chars = g_utf8_strlen(pattern, -1);
    gsize quotes = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? 0 : 2;
    gboolean one_line = node->start_mark.line == node->end_mark.line;
    gboolean verbatim = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
                        || node->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE
                        || node->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (!one_line || !verbatim || source_chars != (gsize) chars + quotes)
        return col;
    if (offset > strlen(pattern))
        offset = strlen(pattern);
    return col + quotes / 2 + (gsize) g_utf8_pointer_to_offset(pattern, pattern + offset);
}

BtRegex *
bt_regex_compile(BtLoadCtx *ctx, const yaml_node_t *node, const char *pattern)
{
    int errcode;
    PCRE2_SIZE erroffset;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED,
                                     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errcode, &erroffset, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        bt_load_error_at(ctx, node->start_mark.line + 1, pattern_column(node, pattern, erroffset),
                         "bad regex: %s (at offset %zu)", (const char *) msg, (gsize) erroffset);
        return NULL;
    }
    BtRegex *re = g_new0(BtRegex, 1);
    re->code = code;
    re->where = g_strdup_printf("%s:%zu:%zu", ctx->file, (gsize) node->start_mark.line + 1,
                                (gsize) node->start_mark.column + 1);
    return re;
}

static gboolean
is_limit_error(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT
           || rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT
           || rc == PCRE2_ERROR_NOMEMORY;
}

/* The code to run: the JIT copy once published.  The thread whose use
 * reaches the threshold compiles a private copy and publishes it; the others
 * keep interpreting meanwhile, so nobody waits and no shared code changes
 * under a running match.  Without JIT support the copy stays interpreted. */
static const pcre2_code *
code_for_match(BtRegex *re)
{
    const pcre2_code *jit = g_atomic_pointer_get(&re->jit);
    if (jit)
        return jit;
    if (g_atomic_int_add(&re->uses, 1) == JIT_AFTER_USES - 1) {
        pcre2_code *copy = pcre2_code_copy(re->code);
        if (copy) {
            pcre2_jit_compile(copy, PCRE2_JIT_COMPLETE);
            g_atomic_pointer_set(&re->jit, copy);
        }
    }
    return re->code;
}

gboolean
bt_regex_match(BtRegex *re, const char *subject, gsize len, gsize *start, gsize *end)
{
    pcre2_match_data *md = match_data_for_thread();
    int rc = pcre2_match(code_for_match(re), (PCRE2_SPTR) subject, len, 0, 0, md, shared_match_context());
    if (rc >= 0) {     /* 0: matched, the ovector was too small for the groups */
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        *start = ov[0];
        *end = ov[1] >= ov[0] ? ov[1] : ov[0];
        return TRUE;
    }
    if (is_limit_error(rc) && g_atomic_int_compare_and_exchange(&re->warned, 0, 1)) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        g_warning("%s: pattern gave up (%s); treated as no match", re->where, (const char *) msg);
    }
    return FALSE;
}

void
bt_regex_free(BtRegex *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    pcre2_code_free(re->jit);
    g_free(re->where);
    g_free(re);
}
