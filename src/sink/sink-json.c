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

/* Escapes one valid UTF-8 string.  U+2028/U+2029 are escaped too: they are
 * legal JSON but end a line in JavaScript, which trips some consumers; and
 * so are DEL and the C1 controls (U+0080–U+009F: CSI is one), legal JSON
 * too, but acted on by a terminal that shows the file. */
static void
append_escaped_utf8(GString *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *) s;
    const unsigned char *run = p;

    for (; *p; p++) {
        unsigned char c = *p;
        gboolean line_sep = c == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9);
        gboolean c1 = c == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F;
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F && !line_sep && !c1)
            continue;
        g_string_append_len(out, (const char *) run, p - run);
        switch (c) {
        case '"':  g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        default:
            if (line_sep) {
                g_string_append(out, p[2] == 0xA8 ? "\\u2028" : "\\u2029");
                p += 2;
            } else if (c1) {
                char esc[7] = { '\\', 'u', '0', '0', hex[p[1] >> 4], hex[p[1] & 15], 0 };
                g_string_append(out, esc);
                p += 1;
            } else {
                char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
                g_string_append(out, esc);
            }
        }
        run = p + 1;
    }
    g_string_append_len(out, (const char *) run, p - run);
}

void
bt_json_append_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    if (s) {
        if (g_utf8_validate(s, -1, NULL)) {
            append_escaped_utf8(out, s);
        } else {
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

    g_string_append_c(out, '{');
    for (gsize i = 0; i < n_fields; i++) {
        append_key(out, fields[i].name);
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
