/* yamlkeys — a check libyaml does not make: YAML requires the keys of a
 * mapping to be unique, but libyaml's document loader keeps every pair, and
 * the loaders of rule packs and layouts read the first or the last one, so
 * a second `then:` or `match:` was silently lost.  Shared by both loaders. */
#pragma once

#include <glib.h>
#include <yaml.h>

/* Adds "file:line:col: duplicate key 'K' (first at line L)" to `errors`
 * for every repeated scalar key of every mapping in `doc`. */
void bt_yaml_check_unique_keys(yaml_document_t *doc, const char *file, GPtrArray *errors);
