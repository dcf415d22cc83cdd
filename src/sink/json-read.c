/* json-read — see json-read.h.  A recursive-descent parser over a byte
 * range; the depth bound keeps a hostile store from exhausting the stack. */
#include "sink/json-read.h"
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *p, *end, *start;
    GError **error;
} Parser;

static BtJson *parse_value(Parser *ps, int depth);

static gboolean
fail(Parser *ps, const char *what)
{
    g_set_error(ps->error, BT_ERROR, BT_ERROR_PARSE, "JSON: %s at byte %td", what, ps->p - ps->start);
    return FALSE;
}

static void
skip_space(Parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static gboolean
take_word(Parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, "unexpected text");
    ps->p += n;
    return TRUE;
}

static BtJson *
new_value(BtJsonType type)
{
    BtJson *v = g_new0(BtJson, 1);
    v->type = type;
    return v;
}

void
bt_json_free(BtJson *v)
{
    if (!v)
        return;
    g_free(v->string);
    if (v->items)
        g_ptr_array_unref(v->items);
    if (v->keys)
        g_ptr_array_unref(v->keys);
    g_free(v);
}

static int
hex4(const char *s)
{
    int value = 0;
    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(s[i]);
        if (d < 0)
            return -1;
        value = value * 16 + d;
    }
    return value;
}

/* \uXXXX, with a surrogate pair as one character; ps->p is after the 'u'. */
static gboolean
read_unicode_escape(Parser *ps, GString *out)
{
    int hi = ps->end - ps->p >= 4 ? hex4(ps->p) : -1;
    if (hi < 0)
        return fail(ps, "bad \\u escape");
    ps->p += 4;
    gunichar c = hi;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        int lo = ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u' ? hex4(ps->p + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(ps, "unpaired surrogate");
        ps->p += 6;
        c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
        return fail(ps, "unpaired surrogate");
    }
    if (c == 0)
        return fail(ps, "\\u0000 in a string");
    g_string_append_unichar(out, c);
    return TRUE;
}

static char *
read_string(Parser *ps)
{
    g_autoptr(GString) out = g_string_new(NULL);
    ps->p++;   /* the opening quote */
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char) *ps->p++;
        if (c < 0x20) {
            fail(ps, "control character in a string");
            return NULL;
        }
        if (c != '\\') {
            g_string_append_c(out, (char) c);
            continue;
        }
        if (ps->p >= ps->end)
            break;
        char e = *ps->p++;
        const char *plain = strchr("\"\\/bfnrt", e);
        if (e == 'u') {
            if (!read_unicode_escape(ps, out))
                return NULL;
        } else if (e && plain) {
            g_string_append_c(out, "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"]);
        } else {
            fail(ps, "bad escape");
            return NULL;
        }
    }
    if (ps->p >= ps->end) {
        fail(ps, "unterminated string");
        return NULL;
    }
    ps->p++;   /* the closing quote */
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static BtJson *
read_number(Parser *ps)
{
    const char *s = ps->p;
    gboolean integral = TRUE;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    const char *digits = ps->p;
    while (ps->p < ps->end && g_ascii_isdigit(*ps->p))
        ps->p++;
    if (ps->p == digits || (*digits == '0' && ps->p - digits > 1)) {
        fail(ps, "bad number");
        return NULL;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        integral = FALSE;
        const char *frac = ++ps->p;
        while (ps->p < ps->end && g_ascii_isdigit(*ps->p))
            ps->p++;
        if (ps->p == frac) {
            fail(ps, "bad number");
            return NULL;
        }
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        integral = FALSE;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        const char *exp = ps->p;
        while (ps->p < ps->end && g_ascii_isdigit(*ps->p))
            ps->p++;
        if (ps->p == exp) {
            fail(ps, "bad number");
            return NULL;
        }
    }
    g_autofree char *text = g_strndup(s, ps->p - s);
    BtJson *v = new_value(integral ? BT_JSON_INT : BT_JSON_DOUBLE);
    v->number = g_ascii_strtod(text, NULL);
    if (integral)
        v->integer = g_ascii_strtoll(text, NULL, 10);   /* saturates, as json-glib did */
    return v;
}

/* An array or an object: `close` is ']' or '}'. */
static BtJson *
read_container(Parser *ps, int depth, char close)
{
    gboolean object = close == '}';
    g_autoptr(BtJson) v = new_value(object ? BT_JSON_OBJECT : BT_JSON_ARRAY);
    v->items = g_ptr_array_new_with_free_func((GDestroyNotify) bt_json_free);
    if (object)
        v->keys = g_ptr_array_new_with_free_func(g_free);
    ps->p++;
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return g_steal_pointer(&v);
    }
    for (;;) {
        skip_space(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') {
                fail(ps, "expected a member name");
                return NULL;
            }
            char *key = read_string(ps);
            if (!key)
                return NULL;
            g_ptr_array_add(v->keys, key);
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p++ != ':') {
                fail(ps, "expected ':'");
                return NULL;
            }
        }
        BtJson *item = parse_value(ps, depth + 1);
        if (!item)
            return NULL;
        g_ptr_array_add(v->items, item);
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return g_steal_pointer(&v);
        }
        fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        return NULL;
    }
}

static BtJson *
parse_value(Parser *ps, int depth)
{
    if (depth > MAX_DEPTH) {
        fail(ps, "nested too deeply");
        return NULL;
    }
    skip_space(ps);
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end");
        return NULL;
    }
    BtJson *v;
    switch (*ps->p) {
    case '{':
        return read_container(ps, depth, '}');
    case '[':
        return read_container(ps, depth, ']');
    case '"': {
        char *s = read_string(ps);
        if (!s)
            return NULL;
        v = new_value(BT_JSON_STRING);
        v->string = s;
        return v;
    }
    case 't':
    case 'f': {
        gboolean truth = *ps->p == 't';
        if (!take_word(ps, truth ? "true" : "false"))
            return NULL;
        v = new_value(BT_JSON_BOOL);
        v->boolean = truth;
        return v;
    }
    case 'n':
        return take_word(ps, "null") ? new_value(BT_JSON_NULL) : NULL;
    default:
        return read_number(ps);
    }
}

BtJson *
bt_json_parse(const char *text, gssize len, GError **error)
{
    gsize n = len < 0 ? strlen(text) : (gsize) len;
    const char *bad = NULL;
    if (!g_utf8_validate(text, n, &bad)) {
        g_set_error(error, BT_ERROR, BT_ERROR_PARSE, "JSON: invalid UTF-8 at byte %td", bad - text);
        return NULL;
    }
    Parser ps = { .p = text, .end = text + n, .start = text, .error = error };
    g_autoptr(BtJson) v = parse_value(&ps, 0);
    if (!v)
        return NULL;
    skip_space(&ps);
    if (ps.p != ps.end) {
        fail(&ps, "text after the value");
        return NULL;
    }
    return g_steal_pointer(&v);
}

const BtJson *
bt_json_member(const BtJson *obj, const char *name)
{
    if (!obj || obj->type != BT_JSON_OBJECT)
        return NULL;
    for (guint i = obj->keys->len; i-- > 0;)
        if (strcmp(obj->keys->pdata[i], name) == 0)
            return obj->items->pdata[i];
    return NULL;
}
