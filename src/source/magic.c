/* magic — see magic.h.  The signatures are the ones each format's own
 * specification puts at the start of a file:
 *   gzip      1f 8b 08 (deflate)        RFC 1952 section 2.3.1
 *   bzip2     "BZh" and a level 1-9     bzip2's manual, "File format"
 *   xz        fd "7zXZ" 00              The .xz File Format 1.1.0, 2.1.1.1
 *   zstd      28 b5 2f fd               RFC 8878 section 3.1.1
 *   lzip      "LZIP"                    lzip manual, "File format"
 *   lz4       04 22 4d 18               lz4 Frame format, "Magic Number"
 *   compress  1f 9d                     ncompress, compress(1)
 *   zip       "PK" 03 04 / 05 06        PKWARE APPNOTE.TXT 4.3.7, 4.3.16
 *   7z        "7z" bc af 27 1c          7-Zip's 7zFormat.txt
 *   rar       "Rar!" 1a 07              RARLAB, "RAR 5.0 archive format"
 *   tar       "ustar" at 257            POSIX pax, ustar Interchange Format
 *   OLE2      d0 cf 11 e0 a1 b1 1a e1   [MS-CFB] 2.2 (Outlook's .msg is one:
 *                                       [MS-OXMSG] 2.1)
 *   PDF       "%PDF-"                   ISO 32000-1, 7.5.2
 *   PNG       89 "PNG" 0d 0a 1a 0a      RFC 2083 section 3.1
 *   JPEG      ff d8 ff                  ITU T.81, B.1.1.3 (SOI, a marker)
 *   GIF       "GIF87a" / "GIF89a"       GIF89a specification, section 17
 *   ELF       7f "ELF"                  the System V ABI, e_ident
 * None of them starts a mail message or an mbox: each holds a byte that
 * no header field name holds (RFC 5322 2.2: printable ASCII but ':'), or
 * is a name that no header field has, followed by no ':'. */
#include "source/magic.h"

#include <string.h>

#define SIG(s) (sizeof(s) - 1), (s)

static const BtMagic magics[] = {
    { 0, SIG("\x1f\x8b\x08"), BT_MAGIC_GZIP, "gzip", "gzip -d", "gzip -dc" },
    { 0, SIG("\xfd" "7zXZ\x00"), BT_MAGIC_COMPRESSED, "xz", "xz -d", "xz -dc" },
    { 0, SIG("\x28\xb5\x2f\xfd"), BT_MAGIC_COMPRESSED, "zstd", "zstd -d", "zstd -dc" },
    { 0, SIG("LZIP"), BT_MAGIC_COMPRESSED, "lzip", "lzip -d", "lzip -dc" },
    { 0, SIG("\x04\x22\x4d\x18"), BT_MAGIC_COMPRESSED, "lz4", "lz4 -d", "lz4 -dc" },
    { 0, SIG("\x1f\x9d"), BT_MAGIC_COMPRESSED, "compress", "uncompress", "uncompress -c" },
    { 0, SIG("PK\x03\x04"), BT_MAGIC_ARCHIVE, "zip", NULL, NULL },
    { 0, SIG("PK\x05\x06"), BT_MAGIC_ARCHIVE, "zip", NULL, NULL },
    { 0, SIG("7z\xbc\xaf\x27\x1c"), BT_MAGIC_ARCHIVE, "7z", NULL, NULL },
    { 0, SIG("Rar!\x1a\x07"), BT_MAGIC_ARCHIVE, "rar", NULL, NULL },
    { 257, SIG("ustar"), BT_MAGIC_ARCHIVE, "tar", NULL, NULL },
    { 0, SIG("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), BT_MAGIC_OUTLOOK, "OLE2", NULL, NULL },
    { 0, SIG("%PDF-"), BT_MAGIC_NOT_MAIL, "a PDF document", NULL, NULL },
    { 0, SIG("\x89PNG\r\n\x1a\n"), BT_MAGIC_NOT_MAIL, "a PNG image", NULL, NULL },
    { 0, SIG("\xff\xd8\xff"), BT_MAGIC_NOT_MAIL, "a JPEG image", NULL, NULL },
    { 0, SIG("GIF87a"), BT_MAGIC_NOT_MAIL, "a GIF image", NULL, NULL },
    { 0, SIG("GIF89a"), BT_MAGIC_NOT_MAIL, "a GIF image", NULL, NULL },
    { 0, SIG("\x7f" "ELF"), BT_MAGIC_NOT_MAIL, "an ELF executable", NULL, NULL },
};

/* bzip2's "BZh" is followed by the block size, '1' to '9': "BZh" alone
 * could start a header field's name ("BZh-Id:"), so it has a row of its
 * own for each level rather than a three-byte signature. */
static const BtMagic bzip2_magic = { 0, 4, NULL, BT_MAGIC_COMPRESSED, "bzip2", "bzip2 -d", "bzip2 -dc" };

static gboolean
is_bzip2(const char *data, gsize len)
{
    return len >= 4 && memcmp(data, "BZh", 3) == 0 && data[3] >= '1' && data[3] <= '9';
}

const BtMagic *
bt_magic_identify(const char *data, gsize len)
{
    for (gsize i = 0; i < G_N_ELEMENTS(magics); i++) {
        const BtMagic *m = &magics[i];
        if (len >= m->at + m->len && memcmp(data + m->at, m->bytes, m->len) == 0)
            return m;
    }
    return is_bzip2(data, len) ? &bzip2_magic : NULL;
}

char *
bt_magic_describe(const BtMagic *m, const char *origin)
{
    switch (m->kind) {
    case BT_MAGIC_GZIP:      /* only met here inside another gzip stream */
    case BT_MAGIC_COMPRESSED: {
        const char *twice = m->kind == BT_MAGIC_GZIP ? " twice" : "";
        if (strcmp(origin, "-") == 0)
            return g_strdup_printf("compressed with %s%s: not read; decompress it first (%s | bouncetriage)",
                                   m->name, twice, m->pipe_tool);
        g_autofree char *quoted = g_shell_quote(origin);
        return g_strdup_printf("compressed with %s%s: not read; decompress it first (%s %s)",
                               m->name, twice, m->tool, quoted);
    }
    case BT_MAGIC_ARCHIVE:
        return g_strdup_printf("an archive (%s): not read; unpack it first", m->name);
    case BT_MAGIC_OUTLOOK:
        return g_strdup("an Outlook .msg file (OLE2): not read; save it as .eml first");
    case BT_MAGIC_NOT_MAIL:
        break;
    }
    return g_strdup_printf("not a mail message (%s)", m->name);
}
