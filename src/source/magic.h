/* magic — what a file is, from its first bytes, when it is not a mail
 * message: a gzip stream (read through decompress.h), or a compressed
 * file, an archive, an Outlook .msg or a document that bouncetriage does
 * not read, named so that the user knows what to do with it.  The
 * signatures are one table in magic.c. */
#pragma once

#include <glib.h>

typedef enum {
    BT_MAGIC_GZIP,           /* read, decompressed on the way (decompress.h) */
    BT_MAGIC_COMPRESSED,     /* another compressor: to be decompressed first */
    BT_MAGIC_ARCHIVE,        /* files packed together: to be unpacked first */
    BT_MAGIC_OUTLOOK,        /* an OLE2 compound file: Outlook's .msg */
    BT_MAGIC_NOT_MAIL,       /* a document, an image, a program */
} BtMagicKind;

typedef struct {
    gsize at;                /* where the signature starts */
    gsize len;
    const char *bytes;
    BtMagicKind kind;
    const char *name;        /* "xz", "zip", "a PDF document" */
    const char *tool;        /* compressed: the command that decompresses a file in place */
    const char *pipe_tool;   /* and the one that decompresses its stdin to its stdout */
} BtMagic;

/* The signature that the first `len` bytes of an input carry, or NULL. */
const BtMagic *bt_magic_identify(const char *data, gsize len);
/* Why an input of this kind is not read and what to do instead: a
 * sentence for a problem report.  origin: its path, "-" for stdin. */
char *bt_magic_describe(const BtMagic *magic, const char *origin);
