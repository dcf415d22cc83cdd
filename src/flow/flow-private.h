/* flow-private — what annotate.c and hook.c share: one message read into
 * memory, its header mapped out in the original bytes, triaged, and the
 * X-Bounce-* fields to add.  The output is always spliced from the input
 * bytes, never re-serialised by GMime. */
#pragma once

#include "flow/flow.h"

/* A run of input bytes that goes to the output unchanged. */
typedef struct {
    gsize offset;
    gsize length;
} BtSpan;

typedef struct {
    GByteArray *data;       /* the input, read once */
    gsize header_at;        /* where the header starts: after a leading mbox From_ line */
    const char *eol;        /* the input's line end: "\n", "\r\n" or "\r" */
    GArray *kept;           /* BtSpan, in order: data[header_at..] minus incoming X-Bounce-* fields */
    guint n_fields;         /* header fields seen (X-Bounce-* included) */
    gsize header_bytes;     /* size of the header block */
    BtBounce *bounce;       /* NULL when the message could not be parsed */
    char *error;            /* why it could not be, for X-Bounce-Error */
    GString *added;         /* the X-Bounce-* fields to insert, with the input's line ends */
} BtAnnotated;

/* Reads all of in_fd, parses and triages it and prepares the fields.  NULL
 * only when the input cannot be read; a message that cannot be parsed is
 * not an error (see `error`). */
BtAnnotated *bt_annotated_read(const BtFlowConfig *cfg, int in_fd, GError **error);
void bt_annotated_free(BtAnnotated *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtAnnotated, bt_annotated_free)

/* The records of the bounce, or NULL when it has none. */
GPtrArray *bt_annotated_records(const BtAnnotated *a);
/* Bytes bt_annotated_write writes. */
gsize bt_annotated_size(const BtAnnotated *a, gboolean with_from_line);
/* Writes the annotated message: the From_ line (when asked and present),
 * the added fields, then the kept input. */
gboolean bt_annotated_write(const BtAnnotated *a, int fd, gboolean with_from_line, GError **error);

/* ---- fields.c: header text that is safe to write ------------------------ */

/* Appends "Name: value" folded at white space to about 78 columns, no line
 * over 998 octets, line ends `eol`.  The value is made single-line, valid
 * UTF-8 text first (bt_text_one_line, format characters kept). */
void bt_field_append(GString *out, const char *name, const char *value, const char *eol);
/* Appends " key=value;" style parameters: value bare when it is a token,
 * quoted with backslash escapes otherwise. */
void bt_field_append_param(GString *out, const char *key, const char *value);

/* ---- io helpers ------------------------------------------------------- */

/* write() until all of buf is written; FALSE with errno set otherwise. */
gboolean bt_write_all(int fd, const void *buf, gsize len);
/* fsync a directory by path. */
gboolean bt_fsync_dir(const char *path, GError **error);

/* ---- maildir.c -------------------------------------------------------- */

/* Delivers the annotated message into root/folder/ (tmp → new), creating
 * the maildir as needed; the file and the new/ directory are fsynced.
 * On success *delivered is the path in new/. */
gboolean bt_maildir_deliver(const char *root, const char *folder, const BtAnnotated *a,
                            char **delivered, GError **error);
