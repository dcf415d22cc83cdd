/* cap-filter — see cap-filter.h.  The input is read line by line (LF, CRLF
 * and bare CR end a line); only the first bytes of a line are looked at,
 * so the filter holds back at most the 4 bytes that might start "From ".
 * Every place where input was dropped is remembered as an (output, input)
 * pair, and every cut message as (its first output byte, why). */
#include "source/cap-filter.h"

#include <string.h>

typedef struct {
    gint64 output;
    gint64 input;
} Mapping;

typedef struct {
    gint64 start;            /* output offset of the message's first byte */
    gboolean parts;          /* cut at the part cap (else at the byte cap) */
} Cut;

/* The scanning state, shared by the streaming filter and bt_cap_copy. */
typedef struct {
    gboolean mbox;
    gboolean cr;             /* a bare CR ends a line too (else only LF: memchr) */
    gboolean line_start;     /* the next byte starts a line */
    gboolean open_line;      /* the last byte passed on was not a line end */
    gboolean multipart;      /* a "--" line was seen: the part cap applies */
    gboolean drop_part;      /* dropping to the next "--" line */
    gboolean drop_message;   /* dropping to the next From line, or the end */
    gsize message_bytes, part_bytes;
    guint boundaries;        /* lines starting with "--" in this message */
    gint64 in_pos, out_pos;
    gint64 message_start;    /* output offset */
} Scan;

struct _BtCapSplitter {
    Scan scan;
    gboolean started;        /* a message is being collected */
    GByteArray *out;         /* its bytes so far */
    gint64 offset;           /* input offset of its From line, -1 when not mbox */
    gboolean cut, cut_parts;
    guint boundaries;        /* its lines that start with "--" */
    BtCapMessageFunc done;
    gpointer data;
};

struct _BtCapFilter {
    GMimeFilter parent_instance;
    Scan scan;
    GArray *mappings;        /* Mapping, increasing */
    GArray *cuts;            /* Cut, increasing */
};

G_DEFINE_TYPE(BtCapFilter, bt_cap_filter, GMIME_TYPE_FILTER)

static void
scan_init(Scan *s, gboolean mbox, gboolean cr)
{
    memset(s, 0, sizeof *s);
    s->mbox = mbox;
    s->cr = cr;
    s->line_start = TRUE;
}

/* Where a scan puts what it passes on.  As long as that is the input
 * itself from its start, nothing is copied (`direct` counts it); the
 * first byte dropped or added switches to copying into `out`. */
typedef struct {
    BtCapFilter *filter;     /* NULL in buffer and splitter mode */
    BtCapSplitter *split;    /* splitter mode: output goes to split->out */
    const char *in;          /* the input block */
    char *out;               /* where output goes once copied */
    gsize direct;            /* bytes passed on in place, from `in` */
    gsize copied;            /* bytes in `out` */
    gboolean copying;
    gboolean cut;            /* the message was cut */
    gboolean cut_parts;
    const char *run;         /* splitter mode: bytes not yet appended to */
    gsize run_len;           /* split->out, one run (one append, not one a line) */
} Sink;

static void
sink_flush(Sink *k)
{
    if (k->split && k->run_len) {
        g_byte_array_append(k->split->out, (const guint8 *) k->run, (guint) k->run_len);
        k->run_len = 0;
    }
}

static void
emit(Scan *s, Sink *k, const char *p, gsize n)
{
    if (n == 0)
        return;
    if (k->split) {
        if (k->run_len && p != k->run + k->run_len)
            sink_flush(k);
        if (!k->run_len)
            k->run = p;
        k->run_len += n;
    } else if (!k->copying && p == k->in + k->direct) {
        k->direct += n;
    } else {
        if (!k->copying) {
            memcpy(k->out, k->in, k->direct);
            k->copied = k->direct;
            k->copying = TRUE;
        }
        memcpy(k->out + k->copied, p, n);
        k->copied += n;
    }
    s->out_pos += (gint64) n;
    char last = p[n - 1];
    s->open_line = last != '\n' && last != '\r';
}

/* Passing input on again after dropping some: close the open line and
 * remember how output offsets map to input from here. */
static void
resume(Scan *s, Sink *k)
{
    if (s->open_line)
        emit(s, k, "\n", 1);
    if (k->filter) {
        Mapping m = { s->out_pos, s->in_pos };
        g_array_append_val(k->filter->mappings, m);
    }
}

static void
cut_message(Scan *s, Sink *k, gboolean parts)
{
    s->drop_message = TRUE;
    k->cut = TRUE;
    k->cut_parts = parts;
    if (k->split) {
        k->split->cut = TRUE;
        k->split->cut_parts = parts;
    }
    if (k->filter) {
        Cut c = { s->message_start, parts };
        g_array_append_val(k->filter->cuts, c);
    }
}

static void split_boundary(BtCapSplitter *split, gint64 offset);

/* A line begins at p; `avail` bytes of it are at hand. */
static void
start_line(Scan *s, Sink *k, const char *p, gsize avail)
{
    s->line_start = FALSE;
    if (s->mbox && avail >= 5 && memcmp(p, "From ", 5) == 0) {
        gboolean dropping = s->drop_part || s->drop_message;
        s->drop_part = s->drop_message = s->multipart = FALSE;
        s->message_bytes = s->part_bytes = 0;
        s->boundaries = 0;
        if (dropping)
            resume(s, k);
        s->message_start = s->out_pos;
        if (k->split) {
            sink_flush(k);
            split_boundary(k->split, s->in_pos);
        }
        return;
    }
    if (s->drop_message || avail < 2 || p[0] != '-' || p[1] != '-')
        return;
    s->multipart = TRUE;
    if (k->split)
        k->split->boundaries++;
    if (++s->boundaries > BT_MAX_PARTS) {
        cut_message(s, k, TRUE);
        return;
    }
    s->part_bytes = 0;
    if (s->drop_part) {
        s->drop_part = FALSE;
        resume(s, k);
    }
}

static const char *
line_end(const Scan *s, const char *p, const char *end)
{
    if (!s->cr) {
        const char *nl = memchr(p, '\n', (gsize) (end - p));
        return nl ? nl + 1 : end;
    }
    while (p < end && *p != '\n' && *p != '\r')
        p++;
    return p < end ? p + 1 : end;
}

/* The rest of a line, [p, q): passed on as far as the caps allow. */
static void
take(Scan *s, Sink *k, const char *p, const char *q)
{
    gsize n = (gsize) (q - p);
    if (!s->drop_part && !s->drop_message) {
        gsize room = BT_MAX_MESSAGE_BYTES - s->message_bytes;
        if (s->multipart)
            room = MIN(room, BT_MAX_PART_BYTES - s->part_bytes);
        gsize pass = MIN(n, room);
        emit(s, k, p, pass);
        s->message_bytes += pass;
        s->part_bytes += pass;
        if (pass < n) {
            if (s->message_bytes >= BT_MAX_MESSAGE_BYTES)
                cut_message(s, k, FALSE);
            else
                s->drop_part = TRUE;
        }
    }
    s->in_pos += (gint64) n;
}

/* Scans [p, end); returns how many bytes at the end were held back (a
 * line start too short to tell), 0 when `last`. */
static gsize
scan(Scan *s, Sink *k, const char *p, const char *end, gboolean last)
{
    while (p < end) {
        if (s->line_start) {
            gsize avail = (gsize) (end - p);
            if (avail < 5 && !last)
                return avail;
            start_line(s, k, p, avail);
        }
        const char *q = line_end(s, p, end);
        take(s, k, p, q);
        if (q[-1] == '\n' || q[-1] == '\r')
            s->line_start = TRUE;
        p = q;
    }
    return 0;
}

static void
cap_filter(GMimeFilter *filter, char *inbuf, size_t inlen, size_t prespace,
           char **outbuf, size_t *outlen, size_t *outprespace, gboolean last)
{
    BtCapFilter *self = BT_CAP_FILTER(filter);
    /* one line end may be added where passing resumes */
    g_mime_filter_set_size(filter, inlen + 1, FALSE);
    Sink k = { .filter = self, .in = inbuf, .out = filter->outbuf };
    gsize held = scan(&self->scan, &k, inbuf, inbuf + inlen, last);
    if (held)
        g_mime_filter_backup(filter, inbuf + inlen - held, held);
    if (k.copying) {
        *outbuf = filter->outbuf;
        *outlen = k.copied;
        *outprespace = filter->outpre;
    } else {
        *outbuf = inbuf;
        *outlen = k.direct;
        *outprespace = prespace;
    }
}

static void
cap_filter_step(GMimeFilter *filter, char *inbuf, size_t inlen, size_t prespace,
                char **outbuf, size_t *outlen, size_t *outprespace)
{
    cap_filter(filter, inbuf, inlen, prespace, outbuf, outlen, outprespace, FALSE);
}

static void
cap_complete(GMimeFilter *filter, char *inbuf, size_t inlen, size_t prespace,
             char **outbuf, size_t *outlen, size_t *outprespace)
{
    cap_filter(filter, inbuf, inlen, prespace, outbuf, outlen, outprespace, TRUE);
}

static void
cap_reset(GMimeFilter *filter)
{
    BtCapFilter *self = BT_CAP_FILTER(filter);
    scan_init(&self->scan, self->scan.mbox, self->scan.cr);
    g_array_set_size(self->mappings, 0);
    g_array_set_size(self->cuts, 0);
}

static GMimeFilter *
cap_copy(GMimeFilter *filter)
{
    BtCapFilter *self = BT_CAP_FILTER(filter);
    return bt_cap_filter_new(self->scan.mbox, self->scan.cr);
}

static void
bt_cap_filter_finalize(GObject *object)
{
    BtCapFilter *self = BT_CAP_FILTER(object);
    g_array_unref(self->mappings);
    g_array_unref(self->cuts);
    G_OBJECT_CLASS(bt_cap_filter_parent_class)->finalize(object);
}

static void
bt_cap_filter_class_init(BtCapFilterClass *klass)
{
    GMimeFilterClass *filter_class = GMIME_FILTER_CLASS(klass);
    G_OBJECT_CLASS(klass)->finalize = bt_cap_filter_finalize;
    filter_class->copy = cap_copy;
    filter_class->filter = cap_filter_step;
    filter_class->complete = cap_complete;
    filter_class->reset = cap_reset;
}

static void
bt_cap_filter_init(BtCapFilter *self)
{
    self->mappings = g_array_new(FALSE, FALSE, sizeof(Mapping));
    self->cuts = g_array_new(FALSE, FALSE, sizeof(Cut));
    scan_init(&self->scan, FALSE, TRUE);
}

GMimeFilter *
bt_cap_filter_new(gboolean mbox, gboolean cr)
{
    BtCapFilter *self = g_object_new(BT_TYPE_CAP_FILTER, NULL);
    self->scan.mbox = mbox;
    self->scan.cr = cr;
    return GMIME_FILTER(self);
}

gint64
bt_cap_filter_input_offset(BtCapFilter *self, gint64 output)
{
    GArray *m = self->mappings;
    guint i = 0;
    while (i + 1 < m->len && g_array_index(m, Mapping, i + 1).output <= output)
        i++;
    if (i > 0)
        g_array_remove_range(m, 0, i);
    if (m->len == 0 || g_array_index(m, Mapping, 0).output > output)
        return output;
    const Mapping *at = &g_array_index(m, Mapping, 0);
    return at->input + (output - at->output);
}

static char *
cut_note(gboolean parts)
{
    if (parts)
        return g_strdup_printf("more than %d MIME parts: the rest of the message was not read",
                               BT_MAX_PARTS);
    return g_strdup_printf("the message is over %d MiB: only its first %d MiB were read",
                           BT_MAX_MESSAGE_BYTES >> 20, BT_MAX_MESSAGE_BYTES >> 20);
}

char *
bt_cap_filter_take_note(BtCapFilter *self, gint64 start)
{
    GArray *cuts = self->cuts;
    guint old = 0;
    while (old < cuts->len && g_array_index(cuts, Cut, old).start < start)
        old++;
    if (old > 0)
        g_array_remove_range(cuts, 0, old);
    if (cuts->len == 0 || g_array_index(cuts, Cut, 0).start != start)
        return NULL;
    gboolean parts = g_array_index(cuts, Cut, 0).parts;
    g_array_remove_index(cuts, 0);
    return cut_note(parts);
}

GByteArray *
bt_cap_copy(const char *data, gsize len, char **note)
{
    Scan s;
    scan_init(&s, FALSE, TRUE);
    /* the output is at most the message cap and one line end per part */
    gsize room = MIN(len, (gsize) BT_MAX_MESSAGE_BYTES + BT_MAX_PARTS + 2);
    GByteArray *out = g_byte_array_sized_new((guint) room);
    g_byte_array_set_size(out, (guint) room);
    Sink k = { .in = data, .out = (char *) out->data };
    scan(&s, &k, data, data + len, TRUE);
    *note = k.cut ? cut_note(k.cut_parts) : NULL;
    if (!k.copying && k.direct == len) {   /* nothing dropped: parse in place */
        g_byte_array_unref(out);
        return NULL;
    }
    if (!k.copying)                        /* only the end was dropped */
        memcpy(out->data, data, k.direct);
    g_byte_array_set_size(out, (guint) (k.copying ? k.copied : k.direct));
    return out;
}

/* ---- the splitter ------------------------------------------------------- */

/* A message's bytes start small: most bounces are a few KiB. */
#define SPLIT_FIRST_SIZE 8192

static void
split_start(BtCapSplitter *split, gint64 offset)
{
    split->started = TRUE;
    split->out = g_byte_array_sized_new(SPLIT_FIRST_SIZE);
    split->offset = offset;
    split->cut = split->cut_parts = FALSE;
    split->boundaries = 0;
}

/* The message being collected is complete: hand it over. */
static void
split_deliver(BtCapSplitter *split)
{
    if (!split->started)
        return;
    BtCapPiece piece = {
        .bytes = g_steal_pointer(&split->out),
        .offset = split->offset,
        .note = split->cut ? cut_note(split->cut_parts) : NULL,
        .boundaries = split->boundaries,
    };
    split->started = FALSE;
    split->done(&piece, split->data);
}

/* A From line at input offset `offset` starts a new message. */
static void
split_boundary(BtCapSplitter *split, gint64 offset)
{
    split_deliver(split);
    split_start(split, offset);
}

BtCapSplitter *
bt_cap_splitter_new(gboolean mbox, gboolean cr, BtCapMessageFunc done, gpointer data)
{
    BtCapSplitter *split = g_new0(BtCapSplitter, 1);
    scan_init(&split->scan, mbox, cr);
    split->done = done;
    split->data = data;
    if (!mbox)                 /* one message, from the first byte */
        split_start(split, -1);
    return split;
}

gsize
bt_cap_splitter_feed(BtCapSplitter *split, const char *data, gsize len, gboolean last)
{
    Sink k = { .split = split, .in = data };
    gsize held = scan(&split->scan, &k, data, data + len, last);
    sink_flush(&k);
    return held;
}

void
bt_cap_splitter_finish(BtCapSplitter *split)
{
    split_deliver(split);
}

void
bt_cap_splitter_free(BtCapSplitter *split)
{
    if (!split)
        return;
    if (split->out)
        g_byte_array_unref(split->out);
    g_free(split);
}
