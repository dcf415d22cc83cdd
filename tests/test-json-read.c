/* The small JSON reader of src/sink/json-read.c (it reads a hook's store
 * back for --from-store, in place of json-glib). */
#include "config.h"
#include "sink/json-read.h"

#include <string.h>

static BtJson *
parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    BtJson *v = bt_json_parse(text, -1, &error);
    g_assert_no_error(error);
    g_assert_nonnull(v);
    return v;
}

static void
parse_fails(const char *text, const char *why)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BtJson) v = bt_json_parse(text, -1, &error);
    g_assert_null(v);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, why));
}

static void
test_values(void)
{
    g_autoptr(BtJson) o = parse_ok(" {\"i\": -12, \"d\": 1.5e3, \"t\": true, \"f\": false, \"n\": null,"
                                   " \"s\": \"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\", \"a\": [1, [], {}], \"i\": 7} ");
    g_assert_cmpint(o->type, ==, BT_JSON_OBJECT);
    const BtJson *i = bt_json_member(o, "i");
    g_assert_cmpint(i->type, ==, BT_JSON_INT);
    g_assert_cmpint(i->integer, ==, 7);   /* a repeated member: the last one */
    g_assert_cmpint(bt_json_member(o, "d")->type, ==, BT_JSON_DOUBLE);
    g_assert_cmpfloat(bt_json_member(o, "d")->number, ==, 1500.0);
    g_assert_true(bt_json_member(o, "t")->boolean);
    g_assert_false(bt_json_member(o, "f")->boolean);
    g_assert_cmpint(bt_json_member(o, "n")->type, ==, BT_JSON_NULL);
    g_assert_cmpstr(bt_json_member(o, "s")->string, ==, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
    g_assert_cmpuint(bt_json_member(o, "a")->items->len, ==, 3);
    g_assert_null(bt_json_member(o, "missing"));
    g_assert_null(bt_json_member(bt_json_member(o, "a"), "i"));   /* not an object */
}

static void
test_refused(void)
{
    parse_fails("", "unexpected end");
    parse_fails("{\"a\":01}", "bad number");
    parse_fails("{\"a\":1.}", "bad number");
    parse_fails("{\"a\":-}", "bad number");
    parse_fails("{\"a\":1,}", "member name");
    parse_fails("[1 2]", "expected ','");
    parse_fails("{\"a\":1} x", "text after");
    parse_fails("\"tab\there\"", "control character");
    parse_fails("\"\\ud800\"", "surrogate");
    parse_fails("\"\\udc00\"", "surrogate");
    parse_fails("\"\\u0000\"", "\\u0000");
    parse_fails("\"\\x\"", "bad escape");
    parse_fails("\"open", "unterminated");
    parse_fails("tru", "unexpected text");
    parse_fails("\"\xff\"", "UTF-8");
    g_autoptr(GString) deep = g_string_new(NULL);
    for (int i = 0; i < 100; i++)
        g_string_append_c(deep, '[');
    parse_fails(deep->str, "deeply");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json-read/values", test_values);
    g_test_add_func("/json-read/refused", test_refused);
    return g_test_run();
}
