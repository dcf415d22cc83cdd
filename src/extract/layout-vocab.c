/* layout-vocab — the `autoreply:` map of the layout files: the header
 * markers and word lists of the auto-reply decoder (autoreply.h). */
#include "extract/layout-private.h"

#include <string.h>

/* ==== the auto-reply vocabulary ==========================================
 *
 * `autoreply:` maps a list's key (autoreply.h) to its entries; every file
 * and directory that has one adds to the lists, in load order. */

/* RFC 5322 §3.6.8: printable ASCII but the colon. */
static gboolean
is_field_name(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if ((guchar) *s < 33 || (guchar) *s > 126 || *s == ':')
            return FALSE;
    return TRUE;
}

/* The value is compared with the field's, lower-cased (ASCII). */
static gboolean
has_ascii_upper(const char *s)
{
    for (; *s; s++)
        if (g_ascii_isupper(*s))
            return TRUE;
    return FALSE;
}

/* A marker's `name`: a header field name; NULL when it is none. */
static const char *
marker_name(Loader *ld, const yaml_node_t *node)
{
    const char *s = bt_layout_expect_scalar(ld, node, "name");
    if (s && !is_field_name(s)) {
        bt_layout_fail(ld, node, "'%s' is no header field name", s);
        return NULL;
    }
    return s;
}

/* A marker's `value`: a word in lower case; NULL when it is none. */
static const char *
marker_value(Loader *ld, const yaml_node_t *node)
{
    const char *s = bt_layout_expect_scalar(ld, node, "value");
    if (s && (!*s || has_ascii_upper(s))) {
        bt_layout_fail(ld, node, "a marker's value must be non-empty and in lower case");
        return NULL;
    }
    return s;
}

/* {name: FIELD, value: WORD}, `value` optional. */
static void
add_marker(Loader *ld, yaml_node_t *node, GPtrArray *out)
{
    if (!bt_layout_expect_kind(ld, node, YAML_MAPPING_NODE, "a header marker"))
        return;
    const char *name = NULL, *value = NULL;
    guint before = ld->n_errors;
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = bt_layout_node_at(ld, pair->key), *v = bt_layout_node_at(ld, pair->value);
        const char *key = bt_layout_scalar(k);
        if (g_strcmp0(key, "name") == 0)
            name = marker_name(ld, v);
        else if (g_strcmp0(key, "value") == 0)
            value = marker_value(ld, v);
        else
            bt_layout_fail(ld, k, "unknown key '%s' in a header marker", key ? key : "?");
    }
    if (!name && ld->n_errors == before)
        bt_layout_fail(ld, node, "a header marker needs a name");
    if (ld->n_errors != before)
        return;
    BtHeaderMarker *m = g_new0(BtHeaderMarker, 1);
    m->name = g_strdup(name);
    m->value = g_strdup(value);
    g_ptr_array_add(out, m);
}

/* A phrase of word list `list`: never empty (it would be found in every
 * text); in a list compared as written, already case-folded. */
static void
add_word(Loader *ld, yaml_node_t *node, BtAutoreplyWordList list, GPtrArray *out)
{
    const char *s = bt_layout_expect_scalar(ld, node, "a phrase");
    if (!s)
        return;
    if (!*s) {
        bt_layout_fail(ld, node, "an empty phrase would be found in every text");
        return;
    }
    if (!ld->trusted && bt_autoreply_words_as_written(list)) {
        g_autofree char *folded = bt_casefold(s);
        if (strcmp(folded, s) != 0) {
            bt_layout_fail(ld, node, "%s are compared with the case-folded subject: write '%s'",
                           bt_autoreply_word_keys[list], folded);
            return;
        }
    }
    g_ptr_array_add(out, g_strdup(s));
}

/* One list of `autoreply:`; FALSE when `key` names none. */
static gboolean
load_autoreply_list(Loader *ld, const char *key, yaml_node_t *v, BtAutoreplyVocab *vocab)
{
    for (int i = 0; i < BT_AR_N_MARKER_LISTS; i++)
        if (g_strcmp0(key, bt_autoreply_marker_keys[i]) == 0) {
            if (bt_layout_expect_kind(ld, v, YAML_SEQUENCE_NODE, key))
                FOR_ITEMS(v, item)
                    add_marker(ld, bt_layout_node_at(ld, *item), vocab->markers[i]);
            return TRUE;
        }
    for (int i = 0; i < BT_AR_N_WORD_LISTS; i++)
        if (g_strcmp0(key, bt_autoreply_word_keys[i]) == 0) {
            if (bt_layout_expect_kind(ld, v, YAML_SEQUENCE_NODE, key))
                FOR_ITEMS(v, item)
                    add_word(ld, bt_layout_node_at(ld, *item), i, vocab->words[i]);
            return TRUE;
        }
    return FALSE;
}

void
bt_layout_load_autoreply(Loader *ld, yaml_node_t *node)
{
    if (!bt_layout_expect_kind(ld, node, YAML_MAPPING_NODE, "autoreply"))
        return;
    if (!ld->lays->autoreply)
        ld->lays->autoreply = bt_autoreply_vocab_new();
    FOR_PAIRS(node, pair) {
        yaml_node_t *k = bt_layout_node_at(ld, pair->key);
        const char *key = bt_layout_scalar(k);
        if (!load_autoreply_list(ld, key, bt_layout_node_at(ld, pair->value), ld->lays->autoreply))
            bt_layout_fail(ld, k, "unknown key '%s' in autoreply", key ? key : "?");
    }
}
