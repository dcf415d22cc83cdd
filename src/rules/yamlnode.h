/* yamlnode — the loading context of the rules stage and small accessors
 * over libyaml's document API, shared by every file that reads a pack
 * (yamlnode.c).  Depends on nothing else of the stage. */
#pragma once

#include <glib.h>
#include <yaml.h>

/* What a loader needs while it walks one YAML document. */
typedef struct {
    GPtrArray *errors;          /* "file:line:col: message" */
    const char *file;           /* path of the pack being read, as shown in messages */
    yaml_document_t *doc;
    gboolean trusted;           /* from the cache: the patterns are known to compile */
} BtLoadCtx;

void bt_load_error(BtLoadCtx *ctx, const yaml_node_t *node, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void bt_load_error_at(BtLoadCtx *ctx, gsize line, gsize col, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* Small accessors over libyaml's document API. */
const char *bt_yaml_kind_name(const yaml_node_t *node);
const char *bt_yaml_scalar(const yaml_node_t *node);        /* NULL unless a scalar */
gboolean bt_yaml_is_null(const yaml_node_t *node);
gboolean bt_yaml_bool(const yaml_node_t *node, gboolean *value);
gboolean bt_yaml_int(const yaml_node_t *node, gint64 *value);
yaml_node_t *bt_yaml_node(BtLoadCtx *ctx, int index);
/* The key and value of a mapping of exactly one pair (`KEY: VALUE`);
 * FALSE, after reporting `error` at the node, for anything else. */
gboolean bt_yaml_one_pair(BtLoadCtx *ctx, const yaml_node_t *node, const char *error,
                          const yaml_node_t **key, const yaml_node_t **value);

