/* yamlkeys — duplicate mapping keys in a loaded YAML document (see yamlkeys.h). */
#include "core/yamlkeys.h"

#include <string.h>

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
