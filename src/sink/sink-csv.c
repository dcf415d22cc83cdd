/* sink-csv — records as RFC 4180 CSV: a header row, CRLF line ends, a field
 * quoted when it holds a comma or a quote (quotes doubled).  Cells are safe
 * to open: control characters are written out (\x1B), and a cell that
 * starts like a formula gets a leading apostrophe.  The
 * columns follow the JSON key order; the nested parts are flattened:
 * cause → cause_id, cause_summary; remediation steps joined with " | ";
 * checks as "name:status" joined with " ".  An unknown value is an empty
 * field; the explain column is always present so every row has the same
 * columns. */
#include "sink/sink-private.h"

#include <stddef.h>
#include <string.h>

static const char *const triage_columns[] = {
    "cause_id", "cause_summary", "severity", "remediation", "rule", "checks", "explain",
};

/* A cell a spreadsheet would run as a formula (OWASP's CSV injection
 * list: = + - @, and TAB or CR, which some spreadsheets skip before
 * looking): a leading apostrophe makes it text. */
static gboolean
looks_like_formula(const char *value)
{
    return value[0] != '\0' && strchr("=+-@\t\r", value[0]) != NULL;
}

static void
append_field(GString *out, const char *value)
{
    if (!value)
        return;
    /* no raw control byte in a cell: a terminal or a spreadsheet would act
     * on an ESC or a BEL that a hostile bounce put in a field */
    g_autofree char *escaped = bt_text_escape_controls(value);
    g_autofree char *text = looks_like_formula(value) ? g_strconcat("'", escaped, NULL)
                                                      : g_steal_pointer(&escaped);
    if (!strpbrk(text, ",\"")) {
        g_string_append(out, text);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

void
bt_csv_append_header(GString *out)
{
    gsize n_fields;
    const BtFieldInfo *fields = bt_record_fields(&n_fields);

    for (gsize i = 0; i < n_fields; i++) {
        g_string_append(out, fields[i].name);
        g_string_append_c(out, ',');
    }
    for (gsize i = 0; i < G_N_ELEMENTS(triage_columns); i++) {
        if (i)
            g_string_append_c(out, ',');
        g_string_append(out, triage_columns[i]);
    }
    g_string_append(out, "\r\n");
}

static char *
join_remediation(const BtRecord *rec)
{
    if (!rec->remediation || rec->remediation->len == 0)
        return NULL;
    g_autoptr(GPtrArray) steps = g_ptr_array_new();
    for (guint i = 0; i < rec->remediation->len; i++)
        g_ptr_array_add(steps, rec->remediation->pdata[i]);
    g_ptr_array_add(steps, NULL);
    return g_strjoinv(" | ", (char **) steps->pdata);
}

static char *
join_checks(const BtRecord *rec)
{
    if (!rec->checks || rec->checks->len == 0)
        return NULL;
    GString *joined = g_string_new(NULL);
    for (guint i = 0; i < rec->checks->len; i++) {
        const BtCheck *check = rec->checks->pdata[i];
        if (i)
            g_string_append_c(joined, ' ');
        g_string_append_printf(joined, "%s:%s", check->name ? check->name : "",
                               bt_check_status_name(check->status));
    }
    return g_string_free(joined, FALSE);
}

void
bt_csv_append_record(GString *out, const BtRecord *rec)
{
    gsize n_fields;
    const BtFieldInfo *fields = bt_record_fields(&n_fields);
    g_autofree char *remediation = join_remediation(rec);
    g_autofree char *checks = join_checks(rec);
    const char *triage[] = {
        rec->cause_id, rec->cause_id ? rec->cause_summary : NULL, rec->severity,
        remediation, rec->rule, checks, rec->explain,
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(triage) == G_N_ELEMENTS(triage_columns));

    for (gsize i = 0; i < n_fields; i++) {
        char buf[32];
        const char *value = bt_record_get(rec, &fields[i], buf);
        /* timestamp 0 means unknown, as in the JSON output */
        if (fields[i].offset == offsetof(BtRecord, timestamp) && rec->timestamp == 0)
            value = NULL;
        append_field(out, value);
        g_string_append_c(out, ',');
    }
    for (gsize i = 0; i < G_N_ELEMENTS(triage); i++) {
        if (i)
            g_string_append_c(out, ',');
        append_field(out, triage[i]);
    }
    g_string_append(out, "\r\n");
}
