/* decompress — a gzip input read as what it holds: a GMimeStream that
 * inflates another stream as it is read, in constant memory, so that a
 * rotated /var/mail/NAME.gz, a list archive's 2024-January.txt.gz or a
 * message.eml.gz is read like the file it was made from (source.h).
 * Members written one after the other (cat a.gz b.gz) are one stream,
 * as gzip -d reads them (RFC 1952 section 2.2).  Where the data is cut
 * short or damaged the stream ends, with what was inflated up to that
 * point, and says what happened (bt_gunzip_stream_damage). */
#pragma once

#include <gmime/gmime.h>

/* source: the compressed stream (a reference is taken), of which `head`
 * (len bytes, copied) was already read: it is inflated first. */
GMimeStream *bt_gunzip_stream_new(GMimeStream *source, const char *head, gsize len);
/* What ended the stream early, as a sentence, or NULL (also for a stream
 * that is not a gunzip stream).  A failed read of the source is not
 * damage: the stream's read returns -1 with errno set, as the source's did. */
const char *bt_gunzip_stream_damage(GMimeStream *stream);
