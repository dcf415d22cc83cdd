/* eol-filter — a GMimeFilter that turns CRLF and lone CR line ends into LF,
 * so that GMime's parser (which knows LF and CRLF, not bare CR) sees one
 * convention.  It remembers where lines starting with "From " were in the
 * input, so that mbox offsets can be given in the original file. */
#pragma once

#include <gmime/gmime.h>

/* Declared by hand: GMime 3 has no g_autoptr support for G_DECLARE_*. */
typedef struct _BtEolFilter BtEolFilter;
typedef struct {
    GMimeFilterClass parent_class;
} BtEolFilterClass;
GType bt_eol_filter_get_type(void);
#define BT_TYPE_EOL_FILTER (bt_eol_filter_get_type())
#define BT_EOL_FILTER(o) (G_TYPE_CHECK_INSTANCE_CAST((o), BT_TYPE_EOL_FILTER, BtEolFilter))

GMimeFilter *bt_eol_filter_new(void);

/* The input offset of the "From " line that starts at output offset
 * `output`, or -1 when no such line was seen.  Lines before `output` are
 * forgotten: ask in increasing order, as a parser reports its markers. */
gint64 bt_eol_filter_input_offset(BtEolFilter *filter, gint64 output);
