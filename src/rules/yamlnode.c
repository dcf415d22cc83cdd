/* yamlnode — what every file of the rules stage that reads YAML shares:
 * reporting a problem at a node as "file:line:col: message", and small
 * accessors over libyaml's document API (scalars, null, booleans and
 * integers as YAML 1.2's core schema writes them).  Loading (load.c) and
 * the parsers of rules, conditions, templates and patterns all take from
 * here, and from nothing of each other's. */
#include "rules/yamlnode.h"

#include <errno.h>

/* ---- problems ----------------------------------------------------------- */

static void
add_error_va(BtLoadCtx *ctx, gsize line, gsize col, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    g_ptr_array_add(ctx->errors, g_strdup_printf("%s:%zu:%zu: %s", ctx->file, line, col, msg));
}

void
bt_load_error(BtLoadCtx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error_va(ctx, node->start_mark.line + 1, node->start_mark.column + 1, fmt, ap);
    va_end(ap);
}

void
bt_load_error_at(BtLoadCtx *ctx, gsize line, gsize col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error_va(ctx, line, col, fmt, ap);
    va_end(ap);
}

/* ---- libyaml helpers ---------------------------------------------------- */

yaml_node_t *
bt_yaml_node(BtLoadCtx *ctx, int index)
{
    return yaml_document_get_node(ctx->doc, index);
}

gboolean
bt_yaml_one_pair(BtLoadCtx *ctx, const yaml_node_t *node, const char *error,
                 const yaml_node_t **key, const yaml_node_t **value)
{
    if (node->type != YAML_MAPPING_NODE || node->data.mapping.pairs.top - node->data.mapping.pairs.start != 1) {
        bt_load_error(ctx, node, "%s", error);
        return FALSE;
    }
    const yaml_node_pair_t *p = node->data.mapping.pairs.start;
    *key = bt_yaml_node(ctx, p->key);
    *value = bt_yaml_node(ctx, p->value);
    return TRUE;
}

const char *
bt_yaml_scalar(const yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *) node->data.scalar.value : NULL;
}

static gboolean
plain_scalar_in(const yaml_node_t *node, const char *const *words)
{
    const char *s = bt_yaml_scalar(node);
    if (!s || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return FALSE;
    return g_strv_contains(words, s);
}

gboolean
bt_yaml_is_null(const yaml_node_t *node)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
    return plain_scalar_in(node, nulls);
}

const char *
bt_yaml_kind_name(const yaml_node_t *node)
{
    if (bt_yaml_is_null(node))
        return "empty";
    switch (node->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    default:
        return "a scalar";
    }
}

gboolean
bt_yaml_bool(const yaml_node_t *node, gboolean *value)
{
    static const char *const yes[] = { "true", "True", "TRUE", NULL };
    static const char *const no[] = { "false", "False", "FALSE", NULL };
    if (plain_scalar_in(node, yes))
        *value = TRUE;
    else if (plain_scalar_in(node, no))
        *value = FALSE;
    else
        return FALSE;
    return TRUE;
}

gboolean
bt_yaml_int(const yaml_node_t *node, gint64 *value)
{
    const char *s = bt_yaml_scalar(node);
    if (!s || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !*s)
        return FALSE;
    char *end;
    errno = 0;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    if (*end || errno)
        return FALSE;
    *value = v;
    return TRUE;
}

