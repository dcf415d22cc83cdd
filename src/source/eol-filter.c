/* eol-filter — CRLF and lone CR to LF, streaming.  A CR is turned into LF
 * at once and an LF right after it (even at the start of the next buffer)
 * is dropped.  CR CR LF, what a CRLF file becomes when its line ends are
 * converted a second time, is one line end too: a CR right after a CR is
 * the one byte ever held back, until the next byte says whether an LF
 * ends the pair (else it was a line end of its own: an empty line of a
 * bare-CR file).  Lines that start with "From "
 * are remembered as (output offset, input offset) in a small ring, which
 * the mbox reader consumes as GMime reports its markers. */
#include "source/eol-filter.h"

/* The parser reads at most a few KiB ahead of the marker it reports, so
 * only a handful of "From " lines are ever pending; the bound is only a
 * guard against pathological input. */
#define PENDING_MAX 4096

typedef struct {
    gint64 output;
    gint64 input;
} FromLine;

struct _BtEolFilter {
    GMimeFilter parent_instance;
    gint64 in_pos;          /* input offset of the next byte */
    gint64 out_pos;         /* output offset of the next byte */
    gboolean after_cr;      /* the last input byte was a CR */
    gboolean held_cr;       /* ... and a second CR came, not yet given out */
    gint64 held_input;      /* the input offset of that second CR */
    gboolean line_start;    /* the next output byte starts a line */
    int matched;            /* bytes of "From " matched on this line; -1: no match */
    FromLine line;          /* where the current line started */
    FromLine *pending;      /* PENDING_MAX entries */
    guint first, count;     /* ring of pending "From " lines */
};

G_DEFINE_TYPE(BtEolFilter, bt_eol_filter, GMIME_TYPE_FILTER)

static void
remember_from_line(BtEolFilter *self)
{
    if (self->count == PENDING_MAX) {
        self->first = (self->first + 1) % PENDING_MAX;
        self->count--;
    }
    self->pending[(self->first + self->count) % PENDING_MAX] = self->line;
    self->count++;
}

/* Append one output byte that came from input offset `input`. */
static void
emit(BtEolFilter *self, char **out, char c, gint64 input)
{
    static const char marker[] = "From ";

    if (self->line_start) {
        self->line.output = self->out_pos;
        self->line.input = input;
        self->matched = 0;
        self->line_start = FALSE;
    }
    if (self->matched >= 0) {
        if (c == marker[self->matched]) {
            if (++self->matched == 5) {
                remember_from_line(self);
                self->matched = -1;
            }
        } else {
            self->matched = -1;
        }
    }
    *(*out)++ = c;
    self->out_pos++;
    if (c == '\n')
        self->line_start = TRUE;
}

static void
eol_filter(GMimeFilter *filter, char *inbuf, size_t inlen, size_t prespace G_GNUC_UNUSED,
           char **outbuf, size_t *outlen, size_t *outprespace)
{
    BtEolFilter *self = BT_EOL_FILTER(filter);

    /* the output is never longer than the input and a held CR */
    g_mime_filter_set_size(filter, inlen + 1, FALSE);
    char *out = filter->outbuf;

    for (size_t i = 0; i < inlen; i++) {
        char c = inbuf[i];
        gint64 input = self->in_pos + (gint64) i;

        if (self->held_cr) {
            self->held_cr = FALSE;
            if (c == '\n') {
                self->after_cr = FALSE;
                continue;   /* CR CR LF: the first CR gave the newline */
            }
            emit(self, &out, '\n', self->held_input);
        }
        gboolean after_cr = self->after_cr;
        self->after_cr = c == '\r';
        if (c == '\n' && after_cr)
            continue;   /* the LF of a CRLF: the CR already gave the newline */
        if (c == '\r' && after_cr) {
            self->held_cr = TRUE;
            self->held_input = input;
            continue;
        }
        emit(self, &out, c == '\r' ? '\n' : c, input);
    }
    self->in_pos += (gint64) inlen;

    *outbuf = filter->outbuf;
    *outlen = (size_t) (out - filter->outbuf);
    *outprespace = filter->outpre;
}

static void
eol_complete(GMimeFilter *filter, char *inbuf, size_t inlen, size_t prespace,
             char **outbuf, size_t *outlen, size_t *outprespace)
{
    BtEolFilter *self = BT_EOL_FILTER(filter);
    eol_filter(filter, inbuf, inlen, prespace, outbuf, outlen, outprespace);
    if (self->held_cr) {    /* the input ended on CR CR: two line ends */
        self->held_cr = FALSE;
        char *out = *outbuf + *outlen;
        emit(self, &out, '\n', self->held_input);
        (*outlen)++;
    }
}

static void
eol_reset(GMimeFilter *filter)
{
    BtEolFilter *self = BT_EOL_FILTER(filter);
    self->in_pos = 0;
    self->out_pos = 0;
    self->after_cr = FALSE;
    self->held_cr = FALSE;
    self->line_start = TRUE;
    self->matched = -1;
    self->first = self->count = 0;
}

static GMimeFilter *
eol_copy(GMimeFilter *filter G_GNUC_UNUSED)
{
    return bt_eol_filter_new();
}

static void
bt_eol_filter_finalize(GObject *object)
{
    g_free(BT_EOL_FILTER(object)->pending);
    G_OBJECT_CLASS(bt_eol_filter_parent_class)->finalize(object);
}

static void
bt_eol_filter_class_init(BtEolFilterClass *klass)
{
    GMimeFilterClass *filter_class = GMIME_FILTER_CLASS(klass);
    G_OBJECT_CLASS(klass)->finalize = bt_eol_filter_finalize;
    filter_class->copy = eol_copy;
    filter_class->filter = eol_filter;
    filter_class->complete = eol_complete;
    filter_class->reset = eol_reset;
}

static void
bt_eol_filter_init(BtEolFilter *self)
{
    self->pending = g_new(FromLine, PENDING_MAX);
    eol_reset(GMIME_FILTER(self));
}

GMimeFilter *
bt_eol_filter_new(void)
{
    return g_object_new(BT_TYPE_EOL_FILTER, NULL);
}

gint64
bt_eol_filter_input_offset(BtEolFilter *self, gint64 output)
{
    while (self->count > 0 && self->pending[self->first].output < output) {
        self->first = (self->first + 1) % PENDING_MAX;
        self->count--;
    }
    if (self->count > 0 && self->pending[self->first].output == output)
        return self->pending[self->first].input;
    return -1;
}
