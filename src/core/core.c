#include "core/core.h"

#include <errno.h>
#include <unistd.h>

#include <stddef.h>
#include <string.h>

G_DEFINE_QUARK(bouncetriage-error-quark, bt_error)

BtMessage *
bt_message_new(const char *origin, gint64 offset, GMimeObject *mime)
{
    BtMessage *msg = g_new0(BtMessage, 1);
    msg->origin = g_strdup(origin);
    msg->offset = offset;
    msg->mime = mime;
    return msg;
}

void
bt_message_free(BtMessage *msg)
{
    if (!msg)
        return;
    g_free(msg->origin);
    g_free(msg->note);
    g_clear_object(&msg->mime);
    g_free(msg);
}

BtCheck *
bt_check_new(const char *name, const char *target)
{
    BtCheck *c = g_new0(BtCheck, 1);
    c->name = g_strdup(name);
    c->target = g_strdup(target);
    c->args = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return c;
}

void
bt_check_free(BtCheck *c)
{
    if (!c)
        return;
    g_free(c->name);
    g_free(c->target);
    g_hash_table_unref(c->args);
    g_free(c->detail);
    g_free(c);
}

static BtCheck *
check_copy(const BtCheck *c)
{
    BtCheck *n = bt_check_new(c->name, c->target);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, c->args);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_hash_table_insert(n->args, g_strdup(k), g_strdup(v));
    n->status = c->status;
    n->detail = g_strdup(c->detail);
    return n;
}

const char *
bt_check_status_name(BtCheckStatus s)
{
    static const char *names[] = { "suggested", "ok", "problem", "error", "skipped" };
    return (guint) s < G_N_ELEMENTS(names) ? names[s] : "error";
}

#define F(name, type) { #name, type, offsetof(BtRecord, name) }
static const BtFieldInfo fields[] = {
    F(origin, BT_FIELD_STRING),
    F(offset, BT_FIELD_INT),
    F(timestamp, BT_FIELD_INT),
    F(timezoneoffset, BT_FIELD_STRING),
    F(addresser, BT_FIELD_STRING),
    F(senderdomain, BT_FIELD_STRING),
    F(recipient, BT_FIELD_STRING),
    F(destination, BT_FIELD_STRING),
    F(alias, BT_FIELD_STRING),
    F(action, BT_FIELD_STRING),
    F(replycode, BT_FIELD_INT),
    F(deliverystatus, BT_FIELD_STRING),
    F(command, BT_FIELD_STRING),
    F(diagnosticcode, BT_FIELD_STRING),
    F(diagnostictype, BT_FIELD_STRING),
    F(reason, BT_FIELD_STRING),
    F(hardbounce, BT_FIELD_BOOL),
    F(feedbacktype, BT_FIELD_STRING),
    F(subject, BT_FIELD_STRING),
    F(messageid, BT_FIELD_STRING),
    F(listid, BT_FIELD_STRING),
    F(lhost, BT_FIELD_STRING),
    F(rhost, BT_FIELD_STRING),
    F(decodedby, BT_FIELD_STRING),
};
#undef F

const BtFieldInfo *
bt_record_fields(gsize *n)
{
    *n = G_N_ELEMENTS(fields);
    return fields;
}

const BtFieldInfo *
bt_record_field_lookup(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

#define SLOT(rec, f, T) ((T *) ((char *) (rec) + (f)->offset))

/* `v` in decimal into `buf`, as "%" G_GINT64_FORMAT writes it: every
 * record's sink formats three numbers, and a printf costs more than the
 * rest of reading a field. */
static const char *
format_int64(char buf[32], gint64 v)
{
    char digits[24];
    char *w = digits + sizeof digits;
    guint64 m = v < 0 ? (guint64) 0 - (guint64) v : (guint64) v;
    do {
        *--w = (char) ('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0)
        *--w = '-';
    gsize n = (gsize) (digits + sizeof digits - w);
    memcpy(buf, w, n);
    buf[n] = '\0';
    return buf;
}

const char *
bt_record_get(const BtRecord *rec, const BtFieldInfo *f, char buf[32])
{
    switch (f->type) {
    case BT_FIELD_STRING:
        return *SLOT(rec, f, char *);
    case BT_FIELD_BOOL:
        return *SLOT(rec, f, gboolean) ? "true" : "false";
    case BT_FIELD_INT:
        if (f->offset == offsetof(BtRecord, replycode)) {
            int v = *SLOT(rec, f, int);
            if (v == 0)
                return NULL;
            return format_int64(buf, v);
        }
        gint64 v = *SLOT(rec, f, gint64);
        if (f->offset == offsetof(BtRecord, offset) && v < 0)
            return NULL;
        return format_int64(buf, v);
    }
    return NULL;
}

void
bt_record_set_string(BtRecord *rec, const BtFieldInfo *f, const char *value)
{
    g_return_if_fail(f->type == BT_FIELD_STRING);
    bt_set_str(SLOT(rec, f, char *), value);
}

BtRecord *
bt_record_new(void)
{
    BtRecord *r = g_new0(BtRecord, 1);
    r->offset = -1;
    r->remediation = g_ptr_array_new_with_free_func(g_free);
    r->checks = g_ptr_array_new_with_free_func((GDestroyNotify) bt_check_free);
    return r;
}

BtRecord *
bt_record_copy(const BtRecord *rec)
{
    BtRecord *n = g_memdup2(rec, sizeof *rec);
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
        if (fields[i].type == BT_FIELD_STRING) {
            char **slot = SLOT(n, &fields[i], char *);
            *slot = g_strdup(*slot);
        }
    n->messagedigest = g_strdup(rec->messagedigest);
    n->cause_id = g_strdup(rec->cause_id);
    n->cause_summary = g_strdup(rec->cause_summary);
    n->severity = g_strdup(rec->severity);
    n->rule = g_strdup(rec->rule);
    n->explain = g_strdup(rec->explain);
    n->remediation = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < rec->remediation->len; i++)
        g_ptr_array_add(n->remediation, g_strdup(rec->remediation->pdata[i]));
    n->checks = g_ptr_array_new_with_free_func((GDestroyNotify) bt_check_free);
    for (guint i = 0; i < rec->checks->len; i++)
        g_ptr_array_add(n->checks, check_copy(rec->checks->pdata[i]));
    return n;
}

void
bt_record_free(BtRecord *r)
{
    if (!r)
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
        if (fields[i].type == BT_FIELD_STRING)
            g_free(*SLOT(r, &fields[i], char *));
    g_free(r->messagedigest);
    g_free(r->cause_id);
    g_free(r->cause_summary);
    g_free(r->severity);
    g_ptr_array_unref(r->remediation);
    g_free(r->rule);
    g_ptr_array_unref(r->checks);
    g_free(r->explain);
    g_free(r);
}

char *
bt_strdup_trimmed(const char *s)
{
    if (!s)
        return NULL;
    while (g_ascii_isspace(*s))
        s++;
    gsize n = strlen(s);
    while (n > 0 && g_ascii_isspace(s[n - 1]))
        n--;
    return n ? bt_strndup_exact(s, n) : NULL;
}

char *
bt_strndup_exact(const char *s, gsize n)
{
    char *out = g_malloc(n + 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

char **
bt_strsplit_lines(const char *s)
{
    gsize len = strlen(s);
    if (len == 0)
        return g_new0(char *, 1);
    guint n = 1;
    for (const char *p = memchr(s, '\n', len); p; p = memchr(p + 1, '\n', len - (gsize) (p + 1 - s)))
        n++;
    char **lines = g_new(char *, n + 1);
    const char *start = s, *end = s + len;
    for (guint i = 0; i < n; i++) {
        const char *nl = i + 1 < n ? memchr(start, '\n', (gsize) (end - start)) : end;
        lines[i] = bt_strndup_exact(start, (gsize) (nl - start));
        start = nl + 1;
    }
    lines[n] = NULL;
    return lines;
}

char *
bt_text_one_line(const char *s, gboolean drop_format)
{
    g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
    GString *out = g_string_sized_new(strlen(valid));
    gboolean pending_space = FALSE;

    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        GUnicodeType type = g_unichar_type(c);
        if (drop_format && type == G_UNICODE_FORMAT)
            continue;
        /* NEL is a control character; U+2028/9 count as white space */
        if (type == G_UNICODE_CONTROL || g_unichar_isspace(c)) {
            pending_space = out->len > 0;
            continue;
        }
        if (pending_space)
            g_string_append_c(out, ' ');
        pending_space = FALSE;
        g_string_append_unichar(out, c);
    }
    return g_string_free(out, FALSE);
}

void
bt_set_str(char **slot, const char *value)
{
    char *old = *slot;
    *slot = g_strdup(value);
    g_free(old);
}

gboolean
bt_read_exact(int fd, void *buf, gsize len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = 0;
            return FALSE;
        }
        p += n;
        len -= (gsize) n;
    }
    return TRUE;
}

gboolean
bt_take_bytes(const guint8 **p, const guint8 *end, void *to, gsize len)
{
    if ((gsize) (end - *p) < len)
        return FALSE;
    memcpy(to, *p, len);
    *p += len;
    return TRUE;
}

/* write() until all of buf is written; FALSE with errno set otherwise. */
gboolean
bt_write_all(int fd, const void *buf, gsize len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return FALSE;
        }
        p += n;
        len -= (gsize) n;
    }
    return TRUE;
}
