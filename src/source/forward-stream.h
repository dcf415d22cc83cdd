/* forward-stream — what a GMime stream that is only read forwards, once,
 * answers to everything else: the stdin spool (spool-stream.h) and a gzip
 * input's inflated bytes (decompress.h). */
#pragma once

#include <gmime/gmime.h>

/* Sets klass's write, flush, close, seek, tell, length and substream: not
 * writable, not seekable, no known length, no substreams; tell is the
 * position read so far.  The stream's own class sets read, eos, reset. */
void bt_forward_stream_class_init(GMimeStreamClass *klass);
