/* Internal to extract: a decoded view of one message, built once
 * (view.c) and read by every decoder (dsn.c, arf.c, autoreply.c,
 * layout.c). */
#pragma once

#include "core/core.h"
#include "core/lean-mime.h"

typedef struct {
    const BtMessage *msg;
    GMimeObject *mime;           /* borrowed from msg: a message, or its top part (BtMessage.mime) */
    BtMimeTop *top;              /* the message's own header fields (owned by `mime`) */
    char *body;                  /* the human-readable text of the bounce: every text/ * part that is
                                  * not inside the returned message, decoded to UTF-8 (charset and
                                  * transfer encoding), LF line ends, parts joined by "\n" */
    char *dsn;                   /* message/delivery-status or message/global-delivery-status
                                  * (and message/feedback-report) content as UTF-8 text, or NULL */
    GMimeObject *returned;       /* the returned original: message/rfc822 / message/global part, or
                                  * text/rfc822-headers, or NULL */
    gboolean returned_report;    /* `returned` encloses a message that is itself a report
                                  * (multipart/report), read from its header (core/lean-mime.h) */
    char *returned_headers;      /* the returned message's header block as text (unfolded), NULL if
                                  * not found yet; layouts may supply it from an inline copy */
    gboolean too_deep;           /* MIME parts nested deeper than BT_VIEW_MAX_DEPTH were not read */
    gboolean too_many_parts;     /* parts past the first BT_VIEW_MAX_PARTS were not read */
    guint parts;                 /* leaf parts walked */
    /* the body's notice lines, split once (notice-text.c view_notice_lines):
     * finishing asks for them per record; rebuilt when body changes */
    const char *notice_of;
    char **notice_lines;
    char **notice_lower;         /* the same lines in ASCII lower case, made on first use */
    int notice_n;
} BtMsgView;

/* Multiparts nested deeper than this are not read: no bounce needs more,
 * and a hostile message must not make the walk recurse without bound. */
#define BT_VIEW_MAX_DEPTH 64
/* The diagnostic is always near the start of a bounce's text: of each
 * part only the first BT_VIEW_MAX_PART_TEXT bytes are decoded and
 * searched, and only the first BT_VIEW_MAX_PARTS parts are walked, so
 * that time and memory do not grow with what the message carries. */
#define BT_VIEW_MAX_PART_TEXT (256 * 1024)
#define BT_VIEW_MAX_PARTS 1000

BtMsgView *bt_view_new(const BtMessage *msg);
void bt_view_free(BtMsgView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtMsgView, bt_view_free)

/* The first BT_VIEW_MAX_PART_TEXT bytes of a leaf part, its transfer
 * encoding undone (new array; NULL when it has no content); the rest is
 * neither decoded nor read. */
GByteArray *bt_view_part_bytes(GMimePart *part);

/* A top-level header of the bounce itself, decoded (RFC 2047) to UTF-8; NULL if absent. */
char *bt_view_header(const BtMsgView *view, const char *name);
