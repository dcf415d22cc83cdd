/* json-read — a small JSON reader for the records the program itself
 * wrote (store-read.c reads a hook's store back).  Its own, so that the
 * program does not link json-glib, which only the checks module needs
 * (src/checks/module.h): every library linked is paid by every run. */
#pragma once

#include <glib.h>

typedef enum {
    BT_JSON_NULL, BT_JSON_BOOL, BT_JSON_INT, BT_JSON_DOUBLE, BT_JSON_STRING,
    BT_JSON_ARRAY, BT_JSON_OBJECT,
} BtJsonType;

typedef struct _BtJson BtJson;
struct _BtJson {
    BtJsonType type;
    gboolean boolean;
    gint64 integer;       /* BT_JSON_INT: a number without fraction or exponent */
    double number;        /* BT_JSON_DOUBLE (and BT_JSON_INT, as a double) */
    char *string;         /* BT_JSON_STRING, UTF-8, may not hold a NUL (\u0000 is refused) */
    GPtrArray *items;     /* ARRAY: the elements; OBJECT: the values (BtJson*) */
    GPtrArray *keys;      /* OBJECT: the names, in the same order (char*) */
};

/* One JSON text (RFC 8259), whitespace around it allowed, nothing else.
 * Refuses invalid UTF-8, control characters in strings, nesting deeper
 * than 64 levels; NULL with a BT_ERROR_PARSE-like message in `error`. */
BtJson *bt_json_parse(const char *text, gssize len, GError **error);
void bt_json_free(BtJson *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtJson, bt_json_free)

/* The value of member `name` of an object (the last one if repeated);
 * NULL when `obj` is NULL, not an object, or has no such member. */
const BtJson *bt_json_member(const BtJson *obj, const char *name);
