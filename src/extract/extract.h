/* extract — decides whether a message is a bounce and produces one record
 * per recipient with the delivery facts filled in: RFC 3464 / RFC 6533
 * delivery-status, RFC 5965 ARF, RFC 3834 auto-replies, SMTP transcripts
 * and the free-text layouts of MTAs and providers, which are data
 * (rules/layouts/ *.yaml), not C.  Thread-safe: one BtExtractor may serve
 * many workers at once. */
#pragma once

#include "core/core.h"

typedef struct _BtExtractor BtExtractor;

/* The result of extracting one message. */
typedef struct {
    char *origin;
    gint64 offset;
    guint64 seq;
    gboolean is_bounce;      /* FALSE: not a bounce, records is empty */
    char *text;              /* the human-readable bounce text (all text parts, decoded to UTF-8,
                              * LF line ends); rule conditions on `text` match against it */
    GPtrArray *records;      /* BtRecord*, one per recipient, in the order the bounce lists them */
} BtBounce;

void bt_bounce_free(BtBounce *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtBounce, bt_bounce_free)

/* layout_dirs: NULL-terminated directories of layout YAML files, loaded in
 * order (a layout with the same id as an earlier one replaces it).  Errors
 * are "file:line:col: message" lines in `errors`; returns NULL and sets
 * BT_ERROR_CONFIG when any. */
BtExtractor *bt_extractor_new(const char *const *layout_dirs, GPtrArray *errors, GError **error);
void bt_extractor_free(BtExtractor *ex);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtExtractor, bt_extractor_free)

/* Never NULL.  Takes nothing from msg; msg may be freed afterwards. */
BtBounce *bt_extract(BtExtractor *ex, const BtMessage *msg);
