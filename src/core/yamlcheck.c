/* yamlcheck — duplicate keys, cycles, depth and alias expansion in a
 * loaded YAML document (see yamlcheck.h). */
#include "core/yamlcheck.h"

#include <string.h>

/* ---- unique keys ---------------------------------------------------------- */

static void
check_mapping(yaml_document_t *doc, yaml_node_t *map, const char *file, GPtrArray *errors)
{
    yaml_node_pair_t *start = map->data.mapping.pairs.start, *top = map->data.mapping.pairs.top;
    /* Mappings in rule files are small: a quadratic scan is cheaper than a table. */
    for (yaml_node_pair_t *p = start; p < top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (!k || k->type != YAML_SCALAR_NODE)
            continue;
        for (yaml_node_pair_t *q = start; q < p; q++) {
            yaml_node_t *e = yaml_document_get_node(doc, q->key);
            if (e && e->type == YAML_SCALAR_NODE && e->data.scalar.length == k->data.scalar.length
                && memcmp(e->data.scalar.value, k->data.scalar.value, k->data.scalar.length) == 0) {
                g_ptr_array_add(errors, g_strdup_printf("%s:%zu:%zu: duplicate key '%s' (first at line %zu)",
                                                        file, k->start_mark.line + 1, k->start_mark.column + 1,
                                                        (const char *) k->data.scalar.value,
                                                        e->start_mark.line + 1));
                break;
            }
        }
    }
}

void
bt_yaml_check_unique_keys(yaml_document_t *doc, const char *file, GPtrArray *errors)
{
    for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++)
        if (n->type == YAML_MAPPING_NODE)
            check_mapping(doc, n, file, errors);
}

/* ---- shape ---------------------------------------------------------------- */

/* A depth-first walk that visits each node once (aliases share nodes), so
 * it is linear in the document however far the aliases would expand it;
 * its recursion is bounded by BT_YAML_MAX_DEPTH. */
typedef struct {
    yaml_document_t *doc;
    guint8 *state;              /* per node: 0 unseen, 1 on the current path, 2 done */
    guint64 *expanded;          /* per done node: its size with aliases expanded */
    const char *problem;
    const yaml_node_t *where;
} ShapeWalk;

static guint64 walk_node(ShapeWalk *w, int index, int depth);

static gboolean
add_child(ShapeWalk *w, int index, int depth, guint64 *size)
{
    *size += walk_node(w, index, depth + 1);   /* each child's at most BT_YAML_MAX_EXPANDED */
    return !w->problem;
}

/* Stops the walk at `node`: 0 to the caller, the problem kept for the error. */
static guint64
refuse(ShapeWalk *w, const yaml_node_t *node, const char *problem)
{
    w->problem = problem;
    w->where = node;
    return 0;
}

static guint64
walk_node(ShapeWalk *w, int index, int depth)
{
    yaml_node_t *node = yaml_document_get_node(w->doc, index);
    if (!node)
        return 0;
    gsize i = (gsize) (index - 1);
    if (w->state[i] == 2)
        return w->expanded[i];
    if (w->state[i] == 1)
        return refuse(w, node, "this node contains an alias to itself");
    if (depth > BT_YAML_MAX_DEPTH)
        return refuse(w, node, "nested more than " G_STRINGIFY(BT_YAML_MAX_DEPTH) " levels deep");
    w->state[i] = 1;
    guint64 size = 1;
    if (node->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++)
            if (!add_child(w, *it, depth, &size))
                return 0;
    } else if (node->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++)
            if (!add_child(w, p->key, depth, &size) || !add_child(w, p->value, depth, &size))
                return 0;
    }
    if (size > BT_YAML_MAX_EXPANDED)
        return refuse(w, node, "its aliases expand to more than " G_STRINGIFY(BT_YAML_MAX_EXPANDED) " nodes");
    w->state[i] = 2;
    w->expanded[i] = size;
    return size;
}

gboolean
bt_yaml_check_shape(yaml_document_t *doc, const char *file, GPtrArray *errors)
{
    gsize n = (gsize) (doc->nodes.top - doc->nodes.start);
    if (n == 0)
        return TRUE;
    g_autofree guint8 *state = g_new0(guint8, n);
    g_autofree guint64 *expanded = g_new0(guint64, n);
    ShapeWalk w = { .doc = doc, .state = state, .expanded = expanded };
    walk_node(&w, 1, 0);    /* node 1 is the root */
    if (!w.problem)
        return TRUE;
    g_ptr_array_add(errors, g_strdup_printf("%s:%zu:%zu: %s", file, w.where->start_mark.line + 1,
                                            w.where->start_mark.column + 1, w.problem));
    return FALSE;
}
