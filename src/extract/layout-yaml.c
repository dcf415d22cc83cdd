/* layout-yaml — reading the YAML of a layouts file: the node helpers
 * every part of the loader uses, which report each problem as
 * "file:line:col: message" (layout-load.c has the whole story). */
#include "extract/layout-private.h"

#include <stdarg.h>

void G_GNUC_PRINTF(3, 4)
bt_layout_fail(Loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(ld->errors, g_strdup_printf("%s:%zu:%zu: %s", ld->path,
                                                node->start_mark.line + 1,
                                                node->start_mark.column + 1, msg));
    ld->n_errors++;
}

yaml_node_t *
bt_layout_node_at(Loader *ld, int index)
{
    return yaml_document_get_node(ld->doc, index);
}

const char *
bt_layout_scalar(const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE ? (const char *) node->data.scalar.value : NULL;
}

const char *
bt_layout_expect_scalar(Loader *ld, const yaml_node_t *node, const char *what)
{
    const char *s = bt_layout_scalar(node);
    if (!s)
        bt_layout_fail(ld, node, "%s must be a string", what);
    return s;
}

gboolean
bt_layout_expect_kind(Loader *ld, const yaml_node_t *node, yaml_node_type_t type, const char *what)
{
    if (node->type == type)
        return TRUE;
    bt_layout_fail(ld, node, "%s must be a %s", what,
                   type == YAML_MAPPING_NODE ? "map" : type == YAML_SEQUENCE_NODE ? "list" : "string");
    return FALSE;
}

void
bt_layout_one_or_list(Loader *ld, yaml_node_t *node, ItemFn one, gpointer out)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        one(ld, node, out);
        return;
    }
    FOR_ITEMS(node, item)
        one(ld, bt_layout_node_at(ld, *item), out);
}

gboolean
bt_layout_parse_bool(Loader *ld, yaml_node_t *node, gboolean *out)
{
    const char *s = bt_layout_expect_scalar(ld, node, "a boolean");
    if (s && (g_strcmp0(s, "true") == 0 || g_strcmp0(s, "false") == 0)) {
        *out = s[0] == 't';
        return TRUE;
    }
    if (s)
        bt_layout_fail(ld, node, "expected true or false");
    return FALSE;
}

/* The decimal digits of n, ending at `end` (a buffer of 21 bytes or more). */
static char *
digits(char *end, gsize n)
{
    *--end = '\0';
    do
        *--end = '0' + n % 10;
    while (n /= 10);
    return end;
}

/* "path:line:col" of a node, for messages, without printf (which costs a
 * start from the cache more than the rest of reading the layouts' ids). */
char *
bt_layout_place(const char *path, const yaml_node_t *node)
{
    char line[24], col[24];
    return g_strconcat(path, ":", digits(line + sizeof line, node->start_mark.line + 1), ":",
                       digits(col + sizeof col, node->start_mark.column + 1), NULL);
}
