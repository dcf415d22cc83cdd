/* headstart — where a message's header really starts.  Some writers put
 * lines GMime refuses before the first header field: lines of white space
 * only (a stray CR, spaces), or the ">From " residue of an mbox separator.
 * Every other mail reader skips them; so do we.  Used by the source stage
 * before it hands the input to GMime. */
#pragma once

#include <glib.h>

/* The number of bytes at the start of `block` (the first `len` bytes of a
 * message) that come before its header: 0 unless skipping them leaves a
 * header field line (or an mbox "From " line) at the start.  A "From "
 * line followed by a white-space-only line is skipped with it (the residue
 * of a saved message, not an mbox).  Line ends may be LF, CRLF or bare CR. */
gsize bt_header_junk_length(const char *block, gsize len);

/* Apple Mail's .emlx file: the message's length in bytes, in decimal,
 * alone on the first line (Mail pads it with spaces), then exactly that
 * many bytes of message, then an XML property list that is no part of it
 * (https://docs.fileformat.com/email/emlx/).  Returns the length of the
 * count line, *count set, when a header field follows it; 0 otherwise. */
gsize bt_header_emlx_count(const char *block, gsize len, guint64 *count);

/* Header fields indented before the first field at the margin (a copy
 * pasted from a viewer or an archive that indents the header): RFC 5322
 * §2.2.3 makes such a line the continuation of no field, and GMime refuses
 * the message.  From `from` on, the white space before each such "Name:"
 * line is removed (continuation lines after it stay indented); nothing is
 * done unless the first line is one.  Returns the bytes removed. */
gsize bt_header_unindent(GByteArray *bytes, gsize from);
