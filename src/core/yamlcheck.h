/* yamlcheck — checks libyaml's document loader does not make, shared by
 * the loaders of rule packs, layouts and the suppression policy:
 *
 * - YAML requires the keys of a mapping to be unique, but libyaml keeps
 *   every pair, and the loaders read the first or the last one, so a second
 *   `then:` or `match:` would be silently lost;
 * - libyaml resolves an alias to its anchor's node even inside that node
 *   (`&a {not: *a}`), which makes the document a cycle, and lets aliases
 *   multiply a small file into a huge tree ("billion laughs").  A loader
 *   that walks conditions recursively would never return from the first,
 *   and takes exponential time on the second. */
#pragma once

#include <glib.h>
#include <yaml.h>

/* The nesting and size that no rule pack or layout comes near: the deepest
 * shipped file nests about a dozen levels, the largest expands to a few
 * thousand nodes. */
#define BT_YAML_MAX_DEPTH 64
#define BT_YAML_MAX_EXPANDED 1000000

/* Adds "file:line:col: duplicate key 'K' (first at line L)" to `errors`
 * for every repeated scalar key of every mapping in `doc`. */
void bt_yaml_check_unique_keys(yaml_document_t *doc, const char *file, GPtrArray *errors);

/* FALSE, with one "file:line:col: …" error, when `doc` contains itself
 * through an alias, nests deeper than BT_YAML_MAX_DEPTH or, with its
 * aliases expanded, has more than BT_YAML_MAX_EXPANDED nodes.  A loader
 * must not walk such a document. */
gboolean bt_yaml_check_shape(yaml_document_t *doc, const char *file, GPtrArray *errors);
