/* test-sink — the output formats: JSON key order, types and escaping (read
 * back with json-glib), CSV quoting (read back with a small RFC 4180
 * reader), the text block, --all placeholders and the summary counts. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "sink/sink.h"
#include "sink/sink-private.h"

/* ---- fixtures ----------------------------------------------------------- */

static BtRecord *
full_record(void)
{
    BtRecord *rec = bt_record_new();
    rec->origin = g_strdup("/var/mail/bounces");
    rec->offset = 12345;
    rec->timestamp = 1700000000;
    rec->timezoneoffset = g_strdup("+0900");
    rec->addresser = g_strdup("sender@example.com");
    rec->senderdomain = g_strdup("example.com");
    rec->recipient = g_strdup("user@example.jp");
    rec->destination = g_strdup("example.jp");
    rec->alias = g_strdup("alias@example.jp");
    rec->action = g_strdup("failed");
    rec->replycode = 550;
    rec->deliverystatus = g_strdup("5.1.1");
    rec->command = g_strdup("RCPT");
    rec->diagnosticcode = g_strdup("550 5.1.1 <user@example.jp>: Recipient address rejected: User unknown");
    rec->diagnostictype = g_strdup("SMTP");
    rec->reason = g_strdup("userunknown");
    rec->hardbounce = TRUE;
    rec->feedbacktype = g_strdup("abuse");
    rec->subject = g_strdup("Quarterly report");
    rec->messageid = g_strdup("abc@example.com");
    rec->listid = g_strdup("list.example.com");
    rec->lhost = g_strdup("mx.example.com");
    rec->rhost = g_strdup("mx.example.jp");
    rec->decodedby = g_strdup("dsn");
    rec->cause_id = g_strdup("generic.user-unknown");
    rec->cause_summary = g_strdup("The mailbox does not exist at the destination");
    rec->severity = g_strdup("high");
    g_ptr_array_add(rec->remediation, g_strdup("Remove the address from your lists"));
    g_ptr_array_add(rec->remediation, g_strdup("Ask the recipient for a current address"));
    rec->rule = g_strdup("generic.user-unknown");
    BtCheck *mx = bt_check_new("dns.mx", "example.jp");
    mx->status = BT_CHECK_OK;
    mx->detail = g_strdup("mx.example.jp (10)");
    g_ptr_array_add(rec->checks, mx);
    g_ptr_array_add(rec->checks, bt_check_new("dns.spf", "example.com"));
    rec->explain = g_strdup("rule generic.user-unknown matched diagnosticcode");
    return rec;
}

static BtBounce *
bounce_new(const char *origin, gint64 offset, gboolean is_bounce)
{
    BtBounce *b = g_new0(BtBounce, 1);
    b->origin = g_strdup(origin);
    b->offset = offset;
    b->is_bounce = is_bounce;
    b->records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    return b;
}

static void
bounce_free(BtBounce *b)
{
    g_free(b->origin);
    g_free(b->text);
    g_ptr_array_unref(b->records);
    g_free(b);
}

/* Runs `write` against a sink on a memory stream; returns what it wrote. */
typedef void (*SinkScript)(BtSink *sink, gpointer data);

static char *
capture(BtFormat format, gboolean color, SinkScript script, gpointer data)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    g_assert_nonnull(out);
    BtSink *sink = bt_sink_new(out, format, color);
    script(sink, data);
    bt_sink_finish(sink);
    bt_sink_free(sink);
    fclose(out);
    /* a copy, so that nothing points into the stream's own variable */
    char *copy = g_strdup(text);
    free(text);
    return copy;
}

static void
write_one(BtSink *sink, gpointer data)
{
    bt_sink_write(sink, data, FALSE);
}

static void
write_one_all(BtSink *sink, gpointer data)
{
    bt_sink_write(sink, data, TRUE);
}

static JsonObject *
parse_object(const char *json, JsonParser *parser)
{
    g_autoptr(GError) error = NULL;
    json_parser_load_from_data(parser, json, -1, &error);
    g_assert_no_error(error);
    JsonNode *root = json_parser_get_root(parser);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
    return json_node_get_object(root);
}

/* ---- JSON --------------------------------------------------------------- */

static const char *const json_keys[] = {
    "origin", "offset", "timestamp", "timezoneoffset", "addresser", "senderdomain",
    "recipient", "destination", "alias", "action", "replycode", "deliverystatus",
    "command", "diagnosticcode", "diagnostictype", "reason", "hardbounce",
    "feedbacktype", "subject", "messageid", "listid", "lhost", "rhost", "decodedby",
    "messagedigest", "cause", "severity", "remediation", "rule", "checks", "explain",
};

static void
assert_key_order(JsonObject *obj, gsize n_keys)
{
    g_autoptr(GList) members = json_object_get_members(obj);
    g_assert_cmpuint(g_list_length(members), ==, n_keys);
    gsize i = 0;
    for (GList *l = members; l; l = l->next, i++)
        g_assert_cmpstr(l->data, ==, json_keys[i]);
}

static void
test_json_full_record(void)
{
    g_autoptr(BtRecord) rec = full_record();
    g_autofree char *json = bt_record_to_json(rec);
    g_assert_null(strchr(json, '\n'));

    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *obj = parse_object(json, parser);
    assert_key_order(obj, G_N_ELEMENTS(json_keys));

    g_assert_cmpint(json_node_get_value_type(json_object_get_member(obj, "replycode")), ==, G_TYPE_INT64);
    g_assert_cmpint(json_object_get_int_member(obj, "replycode"), ==, 550);
    g_assert_cmpint(json_node_get_value_type(json_object_get_member(obj, "hardbounce")), ==, G_TYPE_BOOLEAN);
    g_assert_true(json_object_get_boolean_member(obj, "hardbounce"));
    g_assert_cmpint(json_object_get_int_member(obj, "offset"), ==, 12345);
    g_assert_cmpint(json_object_get_int_member(obj, "timestamp"), ==, 1700000000);
    g_assert_cmpstr(json_object_get_string_member(obj, "deliverystatus"), ==, "5.1.1");
    g_assert_cmpstr(json_object_get_string_member(obj, "decodedby"), ==, "dsn");
    g_assert_cmpstr(json_object_get_string_member(obj, "explain"), ==,
                    "rule generic.user-unknown matched diagnosticcode");

    JsonObject *cause = json_object_get_object_member(obj, "cause");
    g_assert_cmpstr(json_object_get_string_member(cause, "id"), ==, "generic.user-unknown");
    g_assert_cmpstr(json_object_get_string_member(cause, "summary"), ==,
                    "The mailbox does not exist at the destination");

    JsonArray *steps = json_object_get_array_member(obj, "remediation");
    g_assert_cmpuint(json_array_get_length(steps), ==, 2);
    g_assert_cmpstr(json_array_get_string_element(steps, 1), ==, "Ask the recipient for a current address");

    JsonArray *checks = json_object_get_array_member(obj, "checks");
    g_assert_cmpuint(json_array_get_length(checks), ==, 2);
    JsonObject *mx = json_array_get_object_element(checks, 0);
    g_autoptr(GList) check_keys = json_object_get_members(mx);
    const char *expected[] = { "name", "target", "status", "detail" };
    gsize i = 0;
    for (GList *l = check_keys; l; l = l->next, i++)
        g_assert_cmpstr(l->data, ==, expected[i]);
    g_assert_cmpuint(i, ==, 4);
    g_assert_cmpstr(json_object_get_string_member(mx, "status"), ==, "ok");
    JsonObject *spf = json_array_get_object_element(checks, 1);
    g_assert_cmpstr(json_object_get_string_member(spf, "status"), ==, "suggested");
    g_assert_cmpstr(json_object_get_string_member(spf, "detail"), ==, "");
}

static void
test_json_unset_fields(void)
{
    g_autoptr(BtRecord) rec = bt_record_new();
    rec->origin = g_strdup("msg.eml");
    g_autofree char *json = bt_record_to_json(rec);

    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *obj = parse_object(json, parser);
    assert_key_order(obj, G_N_ELEMENTS(json_keys) - 1);   /* no "explain" */
    g_assert_true(json_object_get_null_member(obj, "offset"));
    g_assert_true(json_object_get_null_member(obj, "timestamp"));
    g_assert_true(json_object_get_null_member(obj, "replycode"));
    g_assert_true(json_object_get_null_member(obj, "cause"));
    g_assert_false(json_object_get_boolean_member(obj, "hardbounce"));
    g_assert_cmpstr(json_object_get_string_member(obj, "recipient"), ==, "");
    g_assert_cmpstr(json_object_get_string_member(obj, "severity"), ==, "");
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(obj, "remediation")), ==, 0);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(obj, "checks")), ==, 0);
}

static void
test_json_escaping(void)
{
    const char *tricky = "say \"hi\" C:\\dir\n\ttab\r\x01\x1f\x7f end";
    const char *unicode = "宛先不明 Ünïcødé \xe2\x80\xa8 line-sep 😀";
    g_autoptr(BtRecord) rec = bt_record_new();
    rec->diagnosticcode = g_strdup(tricky);
    rec->subject = g_strdup(unicode);
    rec->recipient = g_strdup("bad\xff\xfe" "bytes@example.com");
    g_autofree char *json = bt_record_to_json(rec);

    g_assert_nonnull(strstr(json, "say \\\"hi\\\" C:\\\\dir\\n\\ttab\\r\\u0001\\u001f\\u007f end"));
    g_assert_nonnull(strstr(json, "\\u2028"));
    g_assert_nonnull(strstr(json, "宛先不明"));        /* UTF-8 stays readable */

    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *obj = parse_object(json, parser);
    g_assert_cmpstr(json_object_get_string_member(obj, "diagnosticcode"), ==, tricky);
    g_assert_cmpstr(json_object_get_string_member(obj, "subject"), ==, unicode);
    /* broken bytes become U+FFFD so the line stays valid JSON */
    const char *recipient = json_object_get_string_member(obj, "recipient");
    g_assert_true(g_utf8_validate(recipient, -1, NULL));
    g_assert_true(g_str_has_suffix(recipient, "bytes@example.com"));
    g_assert_nonnull(strstr(recipient, "\xef\xbf\xbd"));
}

/* The lead bytes 0xC2 and 0xE2 start both escaped characters (C1
 * controls, U+2028/U+2029) and ordinary ones (no-break space, dashes);
 * invalid bytes after an escape are repaired without losing it. */
static void
test_json_escaping_lead_bytes(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    bt_json_append_string(out, "a\xc2\xa0" "b\xc2\x9b" "[c\xe2\x80\x93" "d\xe2\x80\xa9" "e\xe2\x82\xac\xc2");
    g_assert_cmpstr(out->str, ==, "\"a\xc2\xa0" "b\\u009b[c\xe2\x80\x93" "d\\u2029" "e\xe2\x82\xac\xef\xbf\xbd\"");
    g_string_truncate(out, 0);
    bt_json_append_string(out, "q\"\x7f" "\xff");
    g_assert_cmpstr(out->str, ==, "\"q\\\"\\u007f\xef\xbf\xbd\"");
    g_string_truncate(out, 0);
    bt_json_append_string(out, "plain ascii");
    g_assert_cmpstr(out->str, ==, "\"plain ascii\"");
}

static void
test_jsonl_sink(void)
{
    BtBounce *b = bounce_new("box.mbox", 0, TRUE);
    g_ptr_array_add(b->records, full_record());
    g_ptr_array_add(b->records, full_record());
    g_autofree char *out = capture(BT_FORMAT_JSONL, TRUE, write_one, b);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    g_assert_cmpstr(lines[2], ==, "");
    g_autofree char *expected = bt_record_to_json(b->records->pdata[0]);
    g_assert_cmpstr(lines[0], ==, expected);
    g_assert_null(strchr(out, '\033'));               /* colour is for text only */
    bounce_free(b);
}

/* ---- --all -------------------------------------------------------------- */

static void
test_all_placeholder(void)
{
    BtBounce *b = bounce_new("box.mbox", 4096, FALSE);

    g_autofree char *none = capture(BT_FORMAT_JSONL, FALSE, write_one, b);
    g_assert_cmpstr(none, ==, "");

    g_autofree char *json = capture(BT_FORMAT_JSONL, FALSE, write_one_all, b);
    g_assert_true(g_str_has_suffix(json, "}\n"));
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *obj = parse_object(json, parser);
    assert_key_order(obj, G_N_ELEMENTS(json_keys) - 1);
    g_assert_cmpstr(json_object_get_string_member(obj, "origin"), ==, "box.mbox");
    g_assert_cmpint(json_object_get_int_member(obj, "offset"), ==, 4096);
    g_assert_cmpstr(json_object_get_string_member(obj, "reason"), ==, "undefined");
    g_assert_cmpstr(json_object_get_string_member(obj, "recipient"), ==, "");
    g_assert_cmpstr(json_object_get_string_member(obj, "decodedby"), ==, "");

    g_autofree char *text = capture(BT_FORMAT_TEXT, FALSE, write_one_all, b);
    g_assert_cmpstr(text, ==, "box.mbox:4096: not a bounce\n");
    bounce_free(b);
}

/* ---- CSV ---------------------------------------------------------------- */

/* A small RFC 4180 reader: rows of fields, CRLF row ends. */
static GPtrArray *
csv_read(const char *text)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify) g_ptr_array_unref);
    GPtrArray *row = g_ptr_array_new_with_free_func(g_free);
    GString *field = g_string_new(NULL);
    const char *p = text;

    while (*p) {
        if (*p == '"') {
            for (p++; *p && !(p[0] == '"' && p[1] != '"'); p++) {
                if (*p == '"')
                    p++;                      /* "" → " */
                g_string_append_c(field, *p);
            }
            g_assert_cmpint(*p, ==, '"');
            p++;
        }
        while (*p && *p != ',' && *p != '\r')
            g_string_append_c(field, *p++);
        g_ptr_array_add(row, g_strdup(field->str));
        g_string_truncate(field, 0);
        if (*p == ',') {
            p++;
        } else if (*p == '\r') {
            g_assert_cmpint(p[1], ==, '\n');
            p += 2;
            g_ptr_array_add(rows, row);
            row = g_ptr_array_new_with_free_func(g_free);
        }
    }
    g_assert_cmpuint(row->len, ==, 0);            /* the last row ended with CRLF */
    g_ptr_array_unref(row);
    g_string_free(field, TRUE);
    return rows;
}

static void
test_csv(void)
{
    BtBounce *b = bounce_new("a,b.eml", -1, TRUE);
    BtRecord *rec = full_record();
    bt_set_str(&rec->origin, "a,b.eml");
    rec->offset = -1;
    bt_set_str(&rec->subject, "say \"hi\", then\r\nleave");
    bt_set_str(&rec->diagnosticcode, "plain text");
    g_ptr_array_add(b->records, rec);
    g_autofree char *out = capture(BT_FORMAT_CSV, FALSE, write_one, b);

    g_assert_nonnull(strstr(out, "\"a,b.eml\","));
    /* no raw control byte in a cell, line breaks included */
    g_assert_nonnull(strstr(out, ",\"say \"\"hi\"\", then\\x0D\\x0Aleave\","));
    g_assert_nonnull(strstr(out, ",plain text,"));

    g_autoptr(GPtrArray) rows = csv_read(out);
    g_assert_cmpuint(rows->len, ==, 2);
    GPtrArray *header = rows->pdata[0], *row = rows->pdata[1];
    const char *columns[] = {
        "origin", "offset", "timestamp", "timezoneoffset", "addresser", "senderdomain",
        "recipient", "destination", "alias", "action", "replycode", "deliverystatus",
        "command", "diagnosticcode", "diagnostictype", "reason", "hardbounce",
        "feedbacktype", "subject", "messageid", "listid", "lhost", "rhost", "decodedby",
        "cause_id", "cause_summary", "severity", "remediation", "rule", "checks", "explain",
    };
    g_assert_cmpuint(header->len, ==, G_N_ELEMENTS(columns));
    g_assert_cmpuint(row->len, ==, G_N_ELEMENTS(columns));
    for (guint i = 0; i < G_N_ELEMENTS(columns); i++)
        g_assert_cmpstr(header->pdata[i], ==, columns[i]);

    g_assert_cmpstr(row->pdata[0], ==, "a,b.eml");
    g_assert_cmpstr(row->pdata[1], ==, "");               /* offset: not an mbox */
    g_assert_cmpstr(row->pdata[10], ==, "550");
    g_assert_cmpstr(row->pdata[16], ==, "true");
    g_assert_cmpstr(row->pdata[18], ==, "say \"hi\", then\\x0D\\x0Aleave");
    g_assert_cmpstr(row->pdata[24], ==, "generic.user-unknown");
    g_assert_cmpstr(row->pdata[27], ==,
                    "Remove the address from your lists | Ask the recipient for a current address");
    g_assert_cmpstr(row->pdata[29], ==, "dns.mx:ok dns.spf:suggested");
    g_assert_cmpstr(row->pdata[30], ==, "rule generic.user-unknown matched diagnosticcode");
    g_assert_cmpstr(row->pdata[2], ==, "1700000000");
    bounce_free(b);
}

static void
do_nothing(BtSink *sink, gpointer data)
{
    (void) sink;
    (void) data;
}

static void
test_csv_header_without_records(void)
{
    g_autofree char *out = capture(BT_FORMAT_CSV, FALSE, do_nothing, NULL);
    g_assert_true(g_str_has_prefix(out, "origin,offset,timestamp,"));
    g_assert_true(g_str_has_suffix(out, ",checks,explain\r\n"));
    g_assert_cmpuint(strlen(strchr(out, '\n')), ==, 1);   /* exactly one row */
}

/* ---- text --------------------------------------------------------------- */

static void
test_text_block(void)
{
    BtBounce *b = bounce_new("box.mbox", 77, TRUE);
    BtRecord *rec = full_record();
    bt_set_str(&rec->diagnosticcode, "550 evil \033[2J\033]0;title\007 text");
    g_ptr_array_add(b->records, rec);
    g_ptr_array_add(b->records, full_record());
    g_autofree char *out = capture(BT_FORMAT_TEXT, FALSE, write_one, b);

    g_assert_true(g_str_has_prefix(out, "[high] The mailbox does not exist at the destination\n"));
    const char *first = strstr(out, "  1. Remove the address from your lists\n");
    const char *second = strstr(out, "  2. Ask the recipient for a current address\n");
    const char *recipient = strstr(out, "  recipient   user@example.jp\n");
    g_assert_nonnull(first);
    g_assert_nonnull(second);
    g_assert_nonnull(recipient);
    g_assert_true(first < second && second < recipient);   /* what to do comes first */
    g_assert_nonnull(strstr(out, "  reason      userunknown (hard bounce)\n"));
    g_assert_nonnull(strstr(out, "  status      5.1.1, reply 550 to RCPT\n"));
    g_assert_nonnull(strstr(out, "  origin      /var/mail/bounces:12345\n"));
    g_assert_nonnull(strstr(out, "  explain     rule generic.user-unknown matched diagnosticcode\n"));
    g_assert_nonnull(strstr(out, "  checks      dns.mx   example.jp   ok  mx.example.jp (10)\n"));
    g_assert_nonnull(strstr(out, "              dns.spf  example.com  suggested\n"));
    g_assert_null(strchr(out, '\033'));                      /* no escapes, not even the bounce's */
    g_assert_null(strchr(out, '\007'));
    g_assert_nonnull(strstr(out, "\n\n[high]"));             /* blocks apart, */
    g_assert_true(strstr(out, "\n\n") == strstr(out, "\n\n[high]"));   /* none inside */

    g_autofree char *colored = capture(BT_FORMAT_TEXT, TRUE, write_one, b);
    g_assert_nonnull(strstr(colored, "\033[1;31m[high]\033[0m \033[1mThe mailbox"));
    g_assert_null(strstr(colored, "\033[2J"));
    bounce_free(b);
}

static void
test_text_wrapping(void)
{
    BtBounce *b = bounce_new("x.eml", -1, TRUE);
    BtRecord *rec = full_record();
    GString *long_text = g_string_new(NULL);
    for (int i = 0; i < 100; i++)
        g_string_append(long_text, "word ");
    bt_set_str(&rec->diagnosticcode, long_text->str);
    bt_set_str(&rec->subject, "件名が長い件名が長い件名が長い件名が長い件名が長い件名が長い件名が長い件名が長い");
    g_string_free(long_text, TRUE);
    g_clear_pointer(&rec->cause_summary, g_free);
    g_clear_pointer(&rec->cause_id, g_free);
    g_ptr_array_add(b->records, rec);
    g_autofree char *out = capture(BT_FORMAT_TEXT, FALSE, write_one, b);

    g_assert_true(g_str_has_prefix(out, "[high] No specific cause identified (reason: userunknown)\n"));
    g_assert_nonnull(strstr(out, "  diagnostic  word word"));
    g_assert_nonnull(strstr(out, "\n              word word"));   /* wrapped under itself */
    g_assert_nonnull(strstr(out, "word...\n"));                    /* and shortened */
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (char **line = lines; *line; line++) {
        glong width = 0;
        for (const char *p = *line; *p; p = g_utf8_next_char(p))
            width += g_unichar_iswide(g_utf8_get_char(p)) ? 2 : 1;
        g_assert_cmpint(width, <=, 78);
    }
    bounce_free(b);
}

/* ---- summary ------------------------------------------------------------ */

static void
add_record(BtBounce *b, const char *reason, const char *destination, const char *cause)
{
    BtRecord *rec = bt_record_new();
    rec->reason = g_strdup(reason);
    rec->destination = g_strdup(destination);
    rec->cause_id = g_strdup(cause);
    g_ptr_array_add(b->records, rec);
}

static void
write_mixed(BtSink *sink, gpointer data)
{
    (void) data;
    BtBounce *a = bounce_new("a", -1, TRUE);
    add_record(a, "userunknown", "Example.JP", "c.unknown");
    add_record(a, "userunknown", "example.jp", "c.unknown");
    add_record(a, "mailboxfull", "example.org", NULL);
    BtBounce *b = bounce_new("b", -1, TRUE);
    add_record(b, "blocked", "example.net", "c.blocked");
    add_record(b, "mailboxfull", "example.org", NULL);
    add_record(b, "userunknown", "example.net", "c.unknown");
    for (int i = 0; i < 25; i++) {
        g_autofree char *domain = g_strdup_printf("d%02d.example", i);
        add_record(b, "expired", domain, NULL);
    }
    BtBounce *c = bounce_new("c", -1, FALSE);
    bt_sink_write(sink, a, FALSE);
    bt_sink_write(sink, b, FALSE);
    bt_sink_write(sink, c, TRUE);
    bounce_free(a);
    bounce_free(b);
    bounce_free(c);
}

static char *
summary_of(BtFormat format)
{
    char *text = NULL;
    size_t size = 0;
    FILE *records = fopen("/dev/null", "w");
    FILE *out = open_memstream(&text, &size);
    BtSink *sink = bt_sink_new(records, format, FALSE);
    write_mixed(sink, NULL);
    bt_sink_write_summary(sink, out);
    bt_sink_free(sink);
    fclose(out);
    fclose(records);
    return text;
}

static void
test_summary_plain(void)
{
    g_autofree char *out = summary_of(BT_FORMAT_JSONL);
    g_assert_true(g_str_has_prefix(out, "messages: 3\nbounces:  2\nrecords:  31\n"));
    /* by count, then by name */
    g_assert_nonnull(strstr(out, "by reason:\n"
                                 "  expired      25\n"
                                 "  userunknown  3\n"
                                 "  mailboxfull  2\n"
                                 "  blocked      1\n"
                                 "by destination:\n"
                                 "  example.jp"));
    g_assert_nonnull(strstr(out, "  example.jp   2\n"));   /* case folded */
    g_assert_nonnull(strstr(out, "  d16.example  1\n"));   /* 20th of the top 20 */
    g_assert_null(strstr(out, "d17.example"));
    g_assert_nonnull(strstr(out, "  others (8)   8\n"));
    g_assert_nonnull(strstr(out, "by cause:\n"
                                 "  (none)     27\n"
                                 "  c.unknown  3\n"
                                 "  c.blocked  1\n"));
}

static void
test_summary_table(void)
{
    g_autofree char *out = summary_of(BT_FORMAT_TEXT);
    g_assert_true(g_str_has_prefix(out, "Summary: 3 messages, 2 bounces, 31 records\n"));
    g_assert_nonnull(strstr(out, "  reason       records       %\n"
                                 "  -----------  -------  ------\n"
                                 "  expired           25   80.6%\n"
                                 "  userunknown        3    9.7%\n"));
    g_assert_nonnull(strstr(out, "  others (8)         8   25.8%\n"));
}

/* ---- --jobs worker processes: fragments and packed summaries ----------- */

/* What a worker's sink (fragments) renders of write_mixed(), joined by a
 * second sink as the batch joins it: the same bytes and the same summary
 * as one sink that rendered everything itself. */
static void
test_fragments_join(void)
{
    const BtFormat formats[] = { BT_FORMAT_JSONL, BT_FORMAT_CSV, BT_FORMAT_TEXT };
    for (guint f = 0; f < G_N_ELEMENTS(formats); f++) {
        g_autofree char *direct = capture(formats[f], FALSE, write_mixed, NULL);

        char *frag = NULL;
        size_t frag_size = 0;
        FILE *frag_out = open_memstream(&frag, &frag_size);
        BtSink *worker = bt_sink_new(frag_out, formats[f], FALSE);
        bt_sink_set_fragments(worker);
        write_mixed(worker, NULL);
        fflush(frag_out);
        g_autoptr(GByteArray) packed = g_byte_array_new();
        bt_sink_pack_summary(worker, packed);

        char *joined = NULL, *sum_joined = NULL, *sum_direct = NULL;
        size_t joined_size = 0, n1 = 0, n2 = 0;
        FILE *joined_out = open_memstream(&joined, &joined_size);
        BtSink *batch = bt_sink_new(joined_out, formats[f], FALSE);
        /* the fragment in two pieces, cut where a message's output ends
         * would be; here anywhere after the first byte */
        gsize cut = frag_size / 2;
        bt_sink_write_fragment(batch, frag, cut);
        bt_sink_write_fragment(batch, frag + cut, frag_size - cut);
        bt_sink_finish(batch);
        g_assert_true(bt_sink_add_summary(batch, packed->data, packed->len));
        /* a cut packed summary is refused and adds nothing */
        g_assert_false(bt_sink_add_summary(batch, packed->data, packed->len - 1));
        FILE *s1 = open_memstream(&sum_joined, &n1);
        bt_sink_write_summary(batch, s1);
        fclose(s1);
        FILE *s2 = open_memstream(&sum_direct, &n2);
        FILE *devnull = fopen("/dev/null", "w");
        BtSink *one = bt_sink_new(devnull, formats[f], FALSE);
        write_mixed(one, NULL);
        bt_sink_write_summary(one, s2);
        fclose(s2);
        bt_sink_free(one);
        fclose(devnull);
        bt_sink_free(batch);
        fclose(joined_out);
        bt_sink_free(worker);
        fclose(frag_out);

        if (formats[f] != BT_FORMAT_JSONL)
            g_assert_cmpstr(frag, !=, direct);   /* the fragment alone lacks the header or has the blank line */
        g_assert_cmpstr(joined, ==, direct);
        g_assert_cmpstr(sum_joined, ==, sum_direct);
        free(frag);
        free(joined);
        free(sum_joined);
        free(sum_direct);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sink/json/full-record", test_json_full_record);
    g_test_add_func("/sink/json/unset-fields", test_json_unset_fields);
    g_test_add_func("/sink/json/escaping", test_json_escaping);
    g_test_add_func("/sink/json/escaping-lead-bytes", test_json_escaping_lead_bytes);
    g_test_add_func("/sink/jsonl", test_jsonl_sink);
    g_test_add_func("/sink/all-placeholder", test_all_placeholder);
    g_test_add_func("/sink/csv/quoting", test_csv);
    g_test_add_func("/sink/csv/header-only", test_csv_header_without_records);
    g_test_add_func("/sink/text/block", test_text_block);
    g_test_add_func("/sink/text/wrapping", test_text_wrapping);
    g_test_add_func("/sink/summary/plain", test_summary_plain);
    g_test_add_func("/sink/summary/table", test_summary_table);
    g_test_add_func("/sink/jobs/fragments-join", test_fragments_join);
    return g_test_run();
}
