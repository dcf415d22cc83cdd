/* template — "${field}" interpolation in cause summaries, remediation steps
 * and check arguments.  A template is split once, at load, into literal
 * text and record fields, so rendering is a walk over the parts. */
#include "rules/rules-private.h"

#include <string.h>

typedef struct {
    char *literal;              /* NULL for a field part */
    const BtFieldInfo *field;
} Part;

struct _BtTemplate {
    GArray *parts;              /* Part */
};

static void
part_clear(Part *p)
{
    g_free(p->literal);
}

static void
add_literal(BtTemplate *tpl, const char *s, gsize n)
{
    if (n == 0)
        return;
    Part p = { .literal = g_strndup(s, n) };
    g_array_append_val(tpl->parts, p);
}

BtTemplate *
bt_template_parse_text(BtLoadCtx *ctx, const yaml_node_t *node, const char *text)
{
    BtTemplate *tpl = g_new0(BtTemplate, 1);
    tpl->parts = g_array_new(FALSE, FALSE, sizeof(Part));
    g_array_set_clear_func(tpl->parts, (GDestroyNotify) part_clear);
    gboolean ok = TRUE;
    const char *s = text;
    for (;;) {
        const char *open = strstr(s, "${");
        if (!open) {
            add_literal(tpl, s, strlen(s));
            break;
        }
        add_literal(tpl, s, open - s);
        const char *close = strchr(open + 2, '}');
        if (!close) {
            bt_load_error(ctx, node, "unterminated '${' in interpolation");
            ok = FALSE;
            break;
        }
        g_autofree char *name = g_strndup(open + 2, close - open - 2);
        const BtFieldInfo *field = bt_record_field_lookup(name);
        if (!field) {
            bt_load_error(ctx, node, "unknown field '${%s}' in interpolation", name);
            ok = FALSE;
        } else {
            Part p = { .field = field };
            g_array_append_val(tpl->parts, p);
        }
        s = close + 1;
    }
    if (!ok) {
        bt_template_free(tpl);
        return NULL;
    }
    return tpl;
}

BtTemplate *
bt_template_parse(BtLoadCtx *ctx, const yaml_node_t *node)
{
    return bt_template_parse_text(ctx, node, bt_yaml_scalar(node));
}

/* Unset fields interpolate as empty strings. */
char *
bt_template_render(const BtTemplate *tpl, const BtRecord *rec)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < tpl->parts->len; i++) {
        const Part *p = &g_array_index(tpl->parts, Part, i);
        char buf[32];
        const char *v = p->literal ? p->literal : bt_record_get(rec, p->field, buf);
        if (v)
            g_string_append(out, v);
    }
    return g_string_free(out, FALSE);
}

void
bt_template_free(BtTemplate *tpl)
{
    if (!tpl)
        return;
    g_array_unref(tpl->parts);
    g_free(tpl);
}
