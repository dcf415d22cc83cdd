/* sink-json — one record as a compact JSON object, keys in the order of
 * DESIGN.md.  Hand-written rather than JsonBuilder: this runs over millions
 * of records and building a JsonNode tree per record costs several times
 * more than appending to a reused buffer.
 *
 * Schema choices, fixed so consumers can rely on them:
 *   - an unknown string is "" (as sisimai writes it), never null;
 *   - offset is null outside an mbox, replycode is null when there is none,
 *     timestamp is null when unknown (0 would claim 1970);
 *   - cause is {"id","summary"} or null; remediation and checks are always
 *     arrays; "explain" appears only when --explain set it. */
#include "sink/sink-private.h"

#include <stddef.h>
#include <string.h>

/* Bytes copied as they are, which is most of them: printable ASCII but
 * the quote and the backslash, and any byte >= 0x80 except 0xC2 and 0xE2,
 * the lead bytes of the sequences escaped below (they are looked at). */
static const guint8 plain_bytes[256] = {
    [0x20 ... 0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7E] = 1,
    [0x80 ... 0xC1] = 1, [0xC3 ... 0xE1] = 1, [0xE3 ... 0xFF] = 1,
};

/* A table: this runs over every byte of every record written. */
static inline gboolean
is_plain_byte(unsigned char c)
{
    return plain_bytes[c];
}

/* Appends the escape for the special character at p; returns the bytes it
 * stands for (1, or 2–3 for U+0080–U+009F and U+2028/U+2029), or 0 when
 * p starts an ordinary sequence after all. */
static gsize
append_escape(GString *out, const unsigned char *p)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = *p;
    if (c == 0xE2) {
        if (p[1] != 0x80 || (p[2] != 0xA8 && p[2] != 0xA9))
            return 0;
        g_string_append_len(out, p[2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
        return 3;
    }
    if (c == 0xC2) {
        if (p[1] < 0x80 || p[1] > 0x9F)
            return 0;
        char esc[6] = { '\\', 'u', '0', '0', hex[p[1] >> 4], hex[p[1] & 15] };
        g_string_append_len(out, esc, 6);
        return 2;
    }
    switch (c) {
    case '"':  g_string_append_len(out, "\\\"", 2); break;
    case '\\': g_string_append_len(out, "\\\\", 2); break;
    case '\n': g_string_append_len(out, "\\n", 2); break;
    case '\r': g_string_append_len(out, "\\r", 2); break;
    case '\t': g_string_append_len(out, "\\t", 2); break;
    case '\b': g_string_append_len(out, "\\b", 2); break;
    case '\f': g_string_append_len(out, "\\f", 2); break;
    default: {
        char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
        g_string_append_len(out, esc, 6);
    }
    }
    return 1;
}

/* Escapes one valid UTF-8 string.  U+2028/U+2029 are escaped too: they are
 * legal JSON but end a line in JavaScript, which trips some consumers; and
 * so are DEL and the C1 controls (U+0080–U+009F: CSI is one), legal JSON
 * too, but acted on by a terminal that shows the file.  Runs of plain
 * bytes are copied whole: this runs on every string of every record.
 * Returns whether `s` has a byte >= 0x80 (only then can it be invalid). */
static gboolean
append_escaped_utf8(GString *out, const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    const unsigned char *run = p;
    unsigned char high = 0;

    for (;; p++) {
        while (is_plain_byte(*p))
            high |= *p++;
        if (!*p)
            break;
        high |= *p;
        g_string_append_len(out, (const char *) run, p - run);
        gsize used = append_escape(out, p);
        run = used ? p + used : p;
        if (used)
            p += used - 1;
    }
    g_string_append_len(out, (const char *) run, p - run);
    return high >= 0x80;
}

/* The string as a JSON string; invalid UTF-8 is repaired first.  Most
 * strings are ASCII, so validity is only checked for one with a byte >=
 * 0x80, after escaping it, and the escaped text is redone if invalid. */
void
bt_json_append_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    if (s) {
        gsize mark = out->len;
        if (append_escaped_utf8(out, s) && !g_utf8_validate(s, -1, NULL)) {
            g_string_truncate(out, mark);
            g_autofree char *valid = g_utf8_make_valid(s, -1);
            append_escaped_utf8(out, valid);
        }
    }
    g_string_append_c(out, '"');
}

static void
append_key(GString *out, const char *key)
{
    /* Keys are our own ASCII identifiers: no escaping needed. */
    g_string_append_c(out, '"');
    g_string_append(out, key);
    g_string_append(out, "\":");
}

/* A record field's key as written ("\"name\":"), with its length. */
typedef struct {
    char *text;
    gsize len;
} FieldKey;

/* The keys of bt_record_fields(), made once: every record writes them
 * all, and one copy of a known length costs less than three appends. */
static const FieldKey *
field_keys(void)
{
    static FieldKey *keys;
    if (g_once_init_enter(&keys)) {
        gsize n;
        const BtFieldInfo *fields = bt_record_fields(&n);
        FieldKey *made = g_new(FieldKey, n);
        for (gsize i = 0; i < n; i++) {
            made[i].text = g_strdup_printf("\"%s\":", fields[i].name);
            made[i].len = strlen(made[i].text);
        }
        g_once_init_leave(&keys, made);
    }
    return keys;
}

static void
append_fact(GString *out, const BtRecord *rec, const BtFieldInfo *field)
{
    char buf[32];
    const char *value = bt_record_get(rec, field, buf);

    switch (field->type) {
    case BT_FIELD_STRING:
        bt_json_append_string(out, value);
        break;
    case BT_FIELD_BOOL:
        g_string_append(out, value);
        break;
    case BT_FIELD_INT:
        if (field->offset == offsetof(BtRecord, timestamp) && rec->timestamp == 0)
            value = NULL;
        g_string_append(out, value ? value : "null");
        break;
    }
}

static void
append_cause(GString *out, const BtRecord *rec)
{
    append_key(out, "cause");
    if (!rec->cause_id) {
        g_string_append(out, "null");
        return;
    }
    g_string_append(out, "{\"id\":");
    bt_json_append_string(out, rec->cause_id);
    g_string_append(out, ",\"summary\":");
    bt_json_append_string(out, rec->cause_summary);
    g_string_append_c(out, '}');
}

static void
append_remediation(GString *out, const BtRecord *rec)
{
    append_key(out, "remediation");
    g_string_append_c(out, '[');
    for (guint i = 0; rec->remediation && i < rec->remediation->len; i++) {
        if (i)
            g_string_append_c(out, ',');
        bt_json_append_string(out, rec->remediation->pdata[i]);
    }
    g_string_append_c(out, ']');
}

/* A check's name, target, status and detail as JSON members (no braces):
 * the same in records and in --check-domain reports. */
void
bt_json_append_check_fields(GString *out, const BtCheck *check)
{
    g_string_append(out, "\"name\":");
    bt_json_append_string(out, check->name);
    g_string_append(out, ",\"target\":");
    bt_json_append_string(out, check->target);
    g_string_append(out, ",\"status\":");
    bt_json_append_string(out, bt_check_status_name(check->status));
    g_string_append(out, ",\"detail\":");
    bt_json_append_string(out, check->detail);
}

static void
append_check(GString *out, const BtCheck *check)
{
    g_string_append_c(out, '{');
    bt_json_append_check_fields(out, check);
    g_string_append_c(out, '}');
}

static void
append_checks(GString *out, const BtRecord *rec)
{
    append_key(out, "checks");
    g_string_append_c(out, '[');
    for (guint i = 0; rec->checks && i < rec->checks->len; i++) {
        if (i)
            g_string_append_c(out, ',');
        append_check(out, rec->checks->pdata[i]);
    }
    g_string_append_c(out, ']');
}

void
bt_json_append_record(GString *out, const BtRecord *rec)
{
    gsize n_fields;
    const BtFieldInfo *fields = bt_record_fields(&n_fields);
    const FieldKey *keys = field_keys();

    g_string_append_c(out, '{');
    for (gsize i = 0; i < n_fields; i++) {
        g_string_append_len(out, keys[i].text, (gssize) keys[i].len);
        append_fact(out, rec, &fields[i]);
        g_string_append_c(out, ',');
    }
    append_key(out, "messagedigest");   /* right after decodedby, as DESIGN.md lists it */
    bt_json_append_string(out, rec->messagedigest);
    g_string_append_c(out, ',');
    append_cause(out, rec);
    g_string_append_c(out, ',');
    append_key(out, "severity");
    bt_json_append_string(out, rec->severity);
    g_string_append_c(out, ',');
    append_remediation(out, rec);
    g_string_append_c(out, ',');
    append_key(out, "rule");
    bt_json_append_string(out, rec->rule);
    g_string_append_c(out, ',');
    append_checks(out, rec);
    if (rec->explain) {
        g_string_append_c(out, ',');
        append_key(out, "explain");
        bt_json_append_string(out, rec->explain);
    }
    g_string_append_c(out, '}');
}

char *
bt_record_to_json(const BtRecord *rec)
{
    GString *out = g_string_sized_new(1024);
    bt_json_append_record(out, rec);
    return g_string_free(out, FALSE);
}
