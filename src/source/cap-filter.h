/* cap-filter — bounds what GMime's parser is given of each message, so
 * that a message's memory and time do not grow with what an attacker (or a
 * runaway mailer) put in it.  GMime builds an object for every part it sees
 * and keeps every byte of every part; triage needs only the first part of
 * each text and a bounce's first few parts.  So, before the parser:
 *
 *   - a MIME part keeps its first BT_MAX_PART_BYTES raw bytes; the rest of
 *     it, up to the next line that starts with "--" (a boundary), is dropped;
 *   - a message keeps its first BT_MAX_MESSAGE_BYTES bytes and its first
 *     BT_MAX_PARTS lines that start with "--" (every part starts with one);
 *     the rest, up to the next mbox From line or the end, is dropped.
 *
 * A line end is put where a cut left a line open, so the next boundary or
 * From line is still seen as one.  Dropping a part's tail is silent (the
 * view never decodes more than that anyway); cutting a message is noted.
 * The filter maps its output offsets back to its input, for mbox offsets. */
#pragma once

#include <gmime/gmime.h>

#define BT_MAX_PART_BYTES (256 * 1024)
#define BT_MAX_MESSAGE_BYTES (4 * 1024 * 1024)
#define BT_MAX_PARTS 1000

typedef struct _BtCapFilter BtCapFilter;
typedef struct {
    GMimeFilterClass parent_class;
} BtCapFilterClass;
GType bt_cap_filter_get_type(void);
#define BT_TYPE_CAP_FILTER (bt_cap_filter_get_type())
#define BT_CAP_FILTER(o) (G_TYPE_CHECK_INSTANCE_CAST((o), BT_TYPE_CAP_FILTER, BtCapFilter))

/* mbox: a line starting with "From " starts a new message.  cr: a bare
 * CR ends a line (input with CRs, as the eol filter will read it); else
 * only LF does, as for GMime itself. */
GMimeFilter *bt_cap_filter_new(gboolean mbox, gboolean cr);

/* The input offset of output offset `output`.  Ask in increasing order:
 * older mappings are forgotten. */
gint64 bt_cap_filter_input_offset(BtCapFilter *filter, gint64 output);

/* Why the message whose first byte is at output offset `start` was cut
 * (a sentence, owned by the caller), or NULL when it was not.  Ask in
 * increasing order. */
char *bt_cap_filter_take_note(BtCapFilter *filter, gint64 start);

/* For a message held whole in memory (--annotate, --hook): the bytes to
 * give the parser under the same caps, or NULL when that is all of them;
 * *note says why the message was cut (NULL if it was not). */
GByteArray *bt_cap_copy(const char *data, gsize len, char **note);

/* The same caps for a reader that finds the mbox From lines itself and
 * keeps each message's bytes for a parser elsewhere (another thread): the
 * input is scanned as it streams by, and each message's capped bytes are
 * handed over whole, as soon as the next From line (or the end) is seen. */
typedef struct _BtCapSplitter BtCapSplitter;
typedef struct {
    GByteArray *bytes;       /* what the parser is to get of the message */
    gint64 offset;           /* input offset of its From line; -1 when not mbox */
    char *note;              /* why it was cut, or NULL */
    guint boundaries;        /* its lines starting with "--": about its part count */
} BtCapPiece;
/* Takes over piece->bytes and piece->note. */
typedef void (*BtCapMessageFunc)(BtCapPiece *piece, gpointer data);

/* mbox and cr as for bt_cap_filter_new; without mbox, all the input is
 * one message. */
BtCapSplitter *bt_cap_splitter_new(gboolean mbox, gboolean cr, BtCapMessageFunc done,
                                   gpointer data);
/* Scans the next `len` bytes of input; returns how many bytes at their end
 * were held back (a line start too short to tell), to be given again at
 * the start of the next call.  0 when `last`. */
gsize bt_cap_splitter_feed(BtCapSplitter *split, const char *data, gsize len, gboolean last);
/* The input is done: hands over the last message. */
void bt_cap_splitter_finish(BtCapSplitter *split);
void bt_cap_splitter_free(BtCapSplitter *split);
