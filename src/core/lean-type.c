/* lean-type — a leaf part's media type and parameters, read from its
 * Content-Type field when asked (lean-mime.h).  GMimeObject's handler
 * parses every Content-Type as it is added into a GMimeContentType, its
 * GMimeParamList and a GMimeParam per parameter (three or four GObjects
 * a part, made and freed for every leaf, read or not); a leaf's field is
 * left in its header list instead (object_header_added_prefilled) and
 * read here.  A plain value ("text/plain; charset=us-ascii") is read by
 * hand; any other is given to GMime's own parser, as the handler would
 * have given it (its decoded value, the default options, which are the
 * parser's), so that every answer is the one the handler's object gave. */
#include "core/lean-mime.h"

#include <string.h>

gboolean
bt_mime_type_is_lazy(GMimeObject *object, const GMimeHeader *header)
{
    return bt_mime_header_named(header, "Content-Type") && GMIME_IS_PART(object);
}

/* The field GMime would have parsed last (each one replaced the one
 * before), for a leaf; NULL for any other object, whose type GMime holds
 * (a multipart's media type and boundary at least). */
static GMimeHeader *
lazy_type_field(GMimeObject *obj)
{
    return GMIME_IS_PART(obj) ? bt_mime_last_field(obj, "Content-Type") : NULL;
}

/* The same for a parameter: a multipart holds its boundary only
 * (bt_mime_type_take_multipart), the rest is read from its field. */
static GMimeHeader *
lazy_parameter_field(GMimeObject *obj, const char *name)
{
    if (GMIME_IS_MULTIPART(obj) && g_ascii_strcasecmp(name, "boundary") != 0)
        return bt_mime_last_field(obj, "Content-Type");
    return lazy_type_field(obj);
}

/* ---- plain values ------------------------------------------------------- */

/* A span of the value. */
typedef struct {
    const char *at;
    gsize len;
} Span;

/* Bytes of a token that GMime reads the same in strict and loose mode. */
static gboolean
is_plain_token_byte(char c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '+';
}

static const char *
skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static const char *
token_end(const char *p)
{
    while (is_plain_token_byte(*p))
        p++;
    return p;
}

/* Is the value one whose every byte means one thing to GMime's parser:
 * printable ASCII or tabs, no comment, quoted-pair, RFC 2231 "*" or
 * encoded word? */
static gboolean
value_is_plain(const char *v)
{
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char) *p;
        if ((c < 0x20 && c != '\t') || c > 0x7e || c == '(' || c == ')' || c == '\\' || c == '*'
            || (c == '=' && p[1] == '?'))
            return FALSE;
    }
    return TRUE;
}

/* type "/" subtype, blanks allowed around the slash; *rest is past the
 * ';' that opens the parameters ("" for none).  FALSE when in doubt. */
static gboolean
plain_media_type(const char *v, Span *type, Span *subtype, const char **rest)
{
    if (!value_is_plain(v))
        return FALSE;
    const char *p = skip_blanks(v);
    type->at = p;
    p = token_end(p);
    type->len = (gsize) (p - type->at);
    p = skip_blanks(p);
    if (type->len == 0 || *p != '/')
        return FALSE;
    subtype->at = p = skip_blanks(p + 1);
    p = token_end(p);
    subtype->len = (gsize) (p - subtype->at);
    p = skip_blanks(p);
    if (subtype->len == 0 || (*p && *p != ';'))
        return FALSE;
    *rest = *p ? p + 1 : p;
    return TRUE;
}

/* The next parameter at *p ("name=token" or 'name="text"'; empty ones,
 * which GMime skips, are skipped): FALSE at the end, or when in doubt
 * (*doubt set). */
static gboolean
plain_next_parameter(const char **p, Span *name, Span *value, gboolean *doubt)
{
    const char *q = skip_blanks(*p);
    while (*q == ';')
        q = skip_blanks(q + 1);
    if (!*q)
        return FALSE;
    *doubt = TRUE;
    name->at = q;
    q = token_end(q);
    name->len = (gsize) (q - name->at);
    q = skip_blanks(q);
    if (name->len == 0 || *q != '=')
        return FALSE;
    q = skip_blanks(q + 1);
    if (*q == '"') {
        const char *close = strchr(q + 1, '"');
        if (!close)
            return FALSE;
        value->at = q + 1;
        value->len = (gsize) (close - q - 1);
        q = close + 1;
    } else {
        value->at = q;
        q = token_end(q);
        value->len = (gsize) (q - value->at);
        if (value->len == 0)
            return FALSE;
    }
    q = skip_blanks(q);
    if (*q && *q != ';')
        return FALSE;
    *doubt = FALSE;
    *p = q;
    return TRUE;
}

static gboolean
span_is(const Span *span, const char *text)
{
    return strlen(text) == span->len && g_ascii_strncasecmp(span->at, text, span->len) == 0;
}

/* The parameter `name` of a plain value: *found is its value (newly
 * allocated) or NULL; FALSE when in doubt (also when it is given twice). */
static gboolean
plain_type_parameter(const char *v, const char *name, Span *type, Span *subtype, char **found)
{
    Span pname, pvalue;
    const char *p;
    *found = NULL;
    if (!plain_media_type(v, type, subtype, &p))
        return FALSE;
    gboolean doubt = FALSE;
    while (plain_next_parameter(&p, &pname, &pvalue, &doubt)) {
        if (!span_is(&pname, name))
            continue;
        if (*found)
            break;
        *found = g_strndup(pvalue.at, pvalue.len);
    }
    if (doubt)
        g_clear_pointer(found, g_free);
    return !doubt;
}

static gboolean
plain_parameter(const char *v, const char *name, char **found)
{
    Span type, subtype;
    return plain_type_parameter(v, name, &type, &subtype, found);
}

gboolean
bt_mime_type_value_is_plain(const char *value)
{
    char *none;
    return plain_parameter(value, "", &none);
}

/* ---- a multipart's type ------------------------------------------------ */

/* GMime's parser reads two things of a multipart's type while it builds the
 * tree: the boundary (g_mime_object_get_content_type_parameter()) and,
 * for its children's default type, whether it is multipart/digest.  For a
 * plain value the multipart gets a type of just these, made here, instead
 * of GMime's parse of the whole value (some 9,000 instructions, and a
 * GMimeParam per parameter: report-type, charset, ...); the accessors
 * below read its other parameters from the field, as a leaf's.  A value
 * that is not plain is GMime's handler's, as before. */
gboolean
bt_mime_type_take_multipart(GMimeObject *object, GMimeHeader *header)
{
    if (!GMIME_IS_MULTIPART(object) || !bt_mime_header_named(header, "Content-Type"))
        return FALSE;
    const char *value = bt_mime_header_value(header);
    Span type, subtype;
    char *boundary;
    if (!value || !plain_type_parameter(value, "boundary", &type, &subtype, &boundary))
        return FALSE;
    g_autofree char *t = g_strndup(type.at, type.len);
    g_autofree char *s = g_strndup(subtype.at, subtype.len);
    GMimeContentType *ct = g_mime_content_type_new(t, s);
    if (boundary)
        g_mime_content_type_set_parameter(ct, "boundary", boundary);
    g_free(boundary);
    /* what _g_mime_object_set_content_type() does: the class's setter,
     * which does not write the field back */
    GMIME_OBJECT_GET_CLASS(object)->set_content_type(object, ct);
    g_object_unref(ct);
    return TRUE;
}

/* ---- the accessors ------------------------------------------------------ */

/* g_mime_content_type_is_type() on a type and subtype. */
static gboolean
type_matches(const Span *t, const Span *s, const char *type, const char *subtype)
{
    if (strcmp(type, "*") != 0 && !span_is(t, type))
        return FALSE;
    return strcmp(subtype, "*") == 0 || span_is(s, subtype);
}

gboolean
bt_mime_is_type(GMimeObject *obj, const char *type, const char *subtype)
{
    GMimeHeader *field = lazy_type_field(obj);
    if (!field) {
        GMimeContentType *ct = g_mime_object_get_content_type(obj);
        return ct && g_mime_content_type_is_type(ct, type, subtype);
    }
    const char *value = bt_mime_header_value(field);
    Span t, s;
    const char *rest;
    if (plain_media_type(value, &t, &s, &rest))
        return type_matches(&t, &s, type, subtype);
    GMimeContentType *ct = g_mime_content_type_parse(NULL, value);
    gboolean is = g_mime_content_type_is_type(ct, type, subtype);
    g_object_unref(ct);
    return is;
}

gboolean
bt_mime_type_matches(const BtMimeType *t, const char *type, const char *subtype)
{
    if (!t->type)
        return FALSE;
    Span a = { t->type, strlen(t->type) }, b = { t->subtype, strlen(t->subtype) };
    return type_matches(&a, &b, type, subtype);
}

void
bt_mime_type_clear(BtMimeType *t)
{
    g_clear_pointer(&t->type, g_free);
    g_clear_pointer(&t->subtype, g_free);
}

gboolean
bt_mime_type_of(GMimeObject *obj, BtMimeType *t)
{
    return bt_mime_media_type(obj, &t->type, &t->subtype);
}

gboolean
bt_mime_media_type(GMimeObject *obj, char **type, char **subtype)
{
    *type = *subtype = NULL;
    GMimeHeader *field = lazy_type_field(obj);
    GMimeContentType *held = field ? NULL : g_mime_object_get_content_type(obj);
    if (held) {
        *type = g_strdup(g_mime_content_type_get_media_type(held));
        *subtype = g_strdup(g_mime_content_type_get_media_subtype(held));
    } else if (field) {
        const char *value = bt_mime_header_value(field);
        Span t, s;
        const char *rest;
        if (plain_media_type(value, &t, &s, &rest)) {
            *type = g_strndup(t.at, t.len);
            *subtype = g_strndup(s.at, s.len);
        } else {
            GMimeContentType *ct = g_mime_content_type_parse(NULL, value);
            *type = g_strdup(g_mime_content_type_get_media_type(ct));
            *subtype = g_strdup(g_mime_content_type_get_media_subtype(ct));
            g_object_unref(ct);
        }
    }
    if (*type && *subtype)
        return TRUE;
    g_clear_pointer(type, g_free);
    g_clear_pointer(subtype, g_free);
    return FALSE;
}

char *
bt_mime_type_parameter(GMimeObject *obj, const char *name)
{
    GMimeHeader *field = lazy_parameter_field(obj, name);
    if (!field)
        return g_strdup(g_mime_object_get_content_type_parameter(obj, name));
    const char *value = bt_mime_header_value(field);
    char *found;
    if (plain_parameter(value, name, &found))
        return found;
    GMimeContentType *ct = g_mime_content_type_parse(NULL, value);
    char *parameter = g_strdup(g_mime_content_type_get_parameter(ct, name));
    g_object_unref(ct);
    return parameter;
}
