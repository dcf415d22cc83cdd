/* Runs every fixture (fixtures/GROUP/NAME.eml) through the whole pipeline
 * and compares the records with NAME.json beside it.  Only the keys the
 * expected objects list are compared, and "[]" means no record at all; see
 * fixtures/README.md. */
#include "config.h"
#include "core/core.h"
#include "source/source.h"
#include "extract/extract.h"
#include "rules/rules.h"

#include <json-glib/json-glib.h>
#include <string.h>

static BtExtractor *extractor;
static BtRuleSet *ruleset;

static void
ignore_problem(BtProblemKind kind, const char *origin, gint64 offset, const char *what, gpointer data)
{
    (void) kind; (void) offset; (void) data;
    g_test_message("%s: %s", origin, what);
}

/* All records the pipeline gives for one file. */
static GPtrArray *
triage_file(const char *path)
{
    GPtrArray *records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    const char *paths[] = { path, NULL };
    g_autoptr(BtSource) src = bt_source_new(paths, ignore_problem, NULL);
    BtMessage *msg;
    while ((msg = bt_source_next(src))) {
        g_autoptr(BtBounce) b = bt_extract(extractor, msg);
        bt_message_free(msg);
        if (b->is_bounce)
            bt_ruleset_apply(ruleset, b, TRUE);
        for (guint i = 0; i < b->records->len; i++)
            g_ptr_array_add(records, bt_record_copy(b->records->pdata[i]));
    }
    return records;
}

static gboolean
any_step_contains(const BtRecord *rec, const char *needle)
{
    for (guint i = 0; i < rec->remediation->len; i++)
        if (strstr(rec->remediation->pdata[i], needle))
            return TRUE;
    return FALSE;
}

static gboolean
has_check(const BtRecord *rec, const char *name)
{
    for (guint i = 0; i < rec->checks->len; i++)
        if (g_strcmp0(((BtCheck *) rec->checks->pdata[i])->name, name) == 0)
            return TRUE;
    return FALSE;
}

/* The record's value for `key` as text, for the scalar comparisons. */
static const char *
record_value(const BtRecord *rec, const char *key, char buf[32])
{
    if (strcmp(key, "rule") == 0)
        return rec->rule;
    if (strcmp(key, "severity") == 0)
        return rec->severity;
    const BtFieldInfo *f = bt_record_field_lookup(key);
    g_assert_nonnull(f);   /* an unknown key in a fixture is a broken fixture */
    return bt_record_get(rec, f, buf);
}

static char *
expected_scalar(JsonNode *node)
{
    if (JSON_NODE_HOLDS_NULL(node))
        return NULL;
    GType t = json_node_get_value_type(node);
    if (t == G_TYPE_BOOLEAN)
        return g_strdup(json_node_get_boolean(node) ? "true" : "false");
    if (t == G_TYPE_INT64)
        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
    return g_strdup(json_node_get_string(node));
}

static void
compare_record(const char *where, const BtRecord *rec, JsonObject *want)
{
    g_autoptr(GList) members = json_object_get_members(want);
    for (GList *m = members; m; m = m->next) {
        const char *key = m->data;
        JsonNode *node = json_object_get_member(want, key);
        if (strcmp(key, "cause") == 0) {
            JsonObject *c = json_node_get_object(node);
            if (json_object_has_member(c, "id"))
                g_assert_cmpstr(rec->cause_id, ==, json_object_get_string_member(c, "id"));
            if (json_object_has_member(c, "summary")) {
                const char *s = json_object_get_string_member(c, "summary");
                if (!rec->cause_summary || !strstr(rec->cause_summary, s))
                    g_error("%s: cause summary «%s» lacks «%s»", where, rec->cause_summary, s);
            }
        } else if (strcmp(key, "remediation") == 0) {
            JsonArray *a = json_node_get_array(node);
            for (guint i = 0; i < json_array_get_length(a); i++) {
                const char *s = json_array_get_string_element(a, i);
                if (!any_step_contains(rec, s))
                    g_error("%s: no remediation step mentions «%s»", where, s);
            }
        } else if (strcmp(key, "checks") == 0) {
            JsonArray *a = json_node_get_array(node);
            for (guint i = 0; i < json_array_get_length(a); i++) {
                const char *s = json_array_get_string_element(a, i);
                if (!has_check(rec, s))
                    g_error("%s: check %s not suggested", where, s);
            }
        } else {
            char buf[32];
            g_autofree char *expect = expected_scalar(node);
            const char *have = record_value(rec, key, buf);
            if (g_strcmp0(have, expect) != 0)
                g_error("%s: %s is «%s», expected «%s»%s%s", where, key, have ? have : "(null)",
                        expect ? expect : "(null)", rec->explain ? "\n  " : "",
                        rec->explain ? rec->explain : "");
        }
    }
}

static void
test_fixture(gconstpointer data)
{
    const char *eml = data;
    g_autofree char *base = g_strndup(eml, strlen(eml) - 4);
    g_autofree char *json_path = g_strconcat(base, ".json", NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    if (!json_parser_load_from_file(parser, json_path, &error))
        g_error("%s: %s", json_path, error->message);
    JsonArray *want = json_node_get_array(json_parser_get_root(parser));

    g_autoptr(GPtrArray) got = triage_file(eml);
    /* "[]": a message that is no bounce (fixtures/negative) gives no record */
    if (json_array_get_length(want) == 0 && got->len > 0) {
        const BtRecord *rec = got->pdata[0];
        g_error("%s: no record expected, got %u (first: %s, %s, decoded by %s)", eml, got->len,
                rec->recipient, rec->reason, rec->decodedby);
    }
    g_assert_cmpuint(got->len, ==, json_array_get_length(want));
    for (guint i = 0; i < got->len; i++) {
        g_autofree char *where = g_strdup_printf("%s record %u", eml, i + 1);
        compare_record(where, got->pdata[i], json_array_get_object_element(want, i));
    }
}

static void
collect(const char *dir, GPtrArray *out)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            collect(path, out);
        else if (g_str_has_suffix(name, ".eml"))
            g_ptr_array_add(out, g_steal_pointer(&path));
    }
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_mime_init();
    const char *srcdir = g_getenv("BT_SRCDIR") ? g_getenv("BT_SRCDIR") : BT_ABS_SRCDIR;
    g_autofree char *rules = g_build_filename(srcdir, "rules", NULL);
    g_autofree char *layouts = g_build_filename(srcdir, "rules", "layouts", NULL);
    g_autofree char *fixtures = g_build_filename(srcdir, "fixtures", NULL);
    const char *rule_dirs[] = { rules, NULL };
    const char *layout_dirs[] = { layouts, NULL };

    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    extractor = bt_extractor_new(layout_dirs, errors, &error);
    if (extractor)
        ruleset = bt_ruleset_load(rule_dirs, errors, &error);
    for (guint i = 0; i < errors->len; i++)
        g_printerr("%s\n", (char *) errors->pdata[i]);
    g_assert_no_error(error);

    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    collect(fixtures, cases);
    g_ptr_array_sort(cases, by_name);
    for (guint i = 0; i < cases->len; i++) {
        const char *path = cases->pdata[i];
        g_autofree char *name = g_strconcat("/fixtures/", path + strlen(fixtures) + 1, NULL);
        g_test_add_data_func(name, path, test_fixture);
    }
    int rc = g_test_run();
    bt_ruleset_free(ruleset);
    bt_extractor_free(extractor);
    g_mime_shutdown();
    return rc;
}
