/* sink-domain — the output of --check-domain: per domain, each check's
 * status, what is wrong in plain words, and the exact DNS records to
 * publish (a check's "publish" argument, one record per line).  Text for a
 * person, or one JSON object per domain. */
#include "sink/sink-private.h"

#include <string.h>

#define TEXT_WIDTH 78
#define STATUS_WIDTH 9       /* "suggested" */

#define ANSI_BOLD "\033[1m"
#define ANSI_RESET "\033[0m"

/* Words of `text` from column `col`, wrapped at TEXT_WIDTH with the
 * continuation lines indented to `indent`. */
static void
append_wrapped(GString *out, const char *text, guint col, guint indent)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    for (char **w = words; *w; w++) {
        guint len = g_utf8_strlen(*w, -1);
        if (w != words) {
            if (col + 1 + len > TEXT_WIDTH && col > indent) {
                g_string_append_c(out, '\n');
                g_string_append_printf(out, "%*s", (int) indent, "");
                col = indent;
            } else {
                g_string_append_c(out, ' ');
                col++;
            }
        }
        g_string_append(out, *w);
        col += len;
    }
}

static guint
count_status(GPtrArray *checks, BtCheckStatus status)
{
    guint n = 0;
    for (guint i = 0; i < checks->len; i++)
        n += ((BtCheck *) checks->pdata[i])->status == status;
    return n;
}

static void
append_text_headline(GString *out, const char *domain, GPtrArray *checks, gboolean color)
{
    g_autofree char *clean = bt_text_one_line(domain, TRUE);
    guint problems = count_status(checks, BT_CHECK_PROBLEM);
    guint errors = count_status(checks, BT_CHECK_ERROR);
    g_string_append_printf(out, "%s%s%s: ", color ? ANSI_BOLD : "", clean, color ? ANSI_RESET : "");
    if (problems == 0 && errors == 0)
        g_string_append(out, checks->len ? "no problem found" : "no check was run");
    else if (problems)
        g_string_append_printf(out, "%u problem%s", problems, problems == 1 ? "" : "s");
    if (errors)
        g_string_append_printf(out, "%s%u check%s could not run", problems ? ", " : "", errors,
                               errors == 1 ? "" : "s");
    g_string_append_c(out, '\n');
}

/* "  dns.dmarc      problem    detail…": the name column as wide as the
 * longest name of the domain's checks. */
static void
append_text_check(GString *out, const BtCheck *check, const char *domain, guint name_width)
{
    g_autofree char *name = bt_text_one_line(check->name, TRUE);
    g_autofree char *detail = bt_text_one_line(check->detail, TRUE);
    const guint DETAIL_COLUMN = 2 + name_width + 2 + STATUS_WIDTH + 2;
    g_string_append_printf(out, "  %-*s  %-*s  ", (int) name_width, name, STATUS_WIDTH,
                           bt_check_status_name(check->status));
    if (check->target && g_ascii_strcasecmp(check->target, domain) != 0 && !strstr(detail, check->target)) {
        g_autofree char *target = bt_text_one_line(check->target, TRUE);
        g_autofree char *with = g_strdup_printf("%s: %s", target, detail);
        append_wrapped(out, with, DETAIL_COLUMN, DETAIL_COLUMN);
    } else {
        append_wrapped(out, detail, DETAIL_COLUMN, DETAIL_COLUMN);
    }
    g_string_append_c(out, '\n');
    const char *publish = g_hash_table_lookup(check->args, "publish");
    if (!publish)
        return;
    /* records are printed whole, never wrapped: they are meant to be copied */
    g_auto(GStrv) lines = g_strsplit(publish, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_autofree char *clean = bt_text_one_line(*l, TRUE);
        g_string_append_printf(out, "%*s%s %s\n", DETAIL_COLUMN, "", l == lines ? "publish:" : "        ", clean);
    }
}

static void
append_json_check(GString *out, const BtCheck *check)
{
    g_string_append_c(out, '{');
    bt_json_append_check_fields(out, check);
    g_string_append(out, ",\"publish\":[");
    const char *publish = g_hash_table_lookup(check->args, "publish");
    g_auto(GStrv) lines = g_strsplit(publish ? publish : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        if (!**l)
            continue;
        if (l != lines)
            g_string_append_c(out, ',');
        bt_json_append_string(out, *l);
    }
    g_string_append(out, "]}");
}

void
bt_sink_write_domain(BtSink *sink, const char *domain, GPtrArray *checks)
{
    GString *out = sink->buf;
    g_string_truncate(out, 0);
    if (sink->format == BT_FORMAT_TEXT) {
        if (sink->text_started)
            g_string_append_c(out, '\n');
        sink->text_started = TRUE;
        append_text_headline(out, domain, checks, sink->color);
        guint name_width = 0;
        for (guint i = 0; i < checks->len; i++) {
            const char *name = ((BtCheck *) checks->pdata[i])->name;
            name_width = MAX(name_width, name ? strlen(name) : 0);
        }
        for (guint i = 0; i < checks->len; i++)
            append_text_check(out, checks->pdata[i], domain, name_width);
    } else {
        /* jsonl (and csv, which has no shape for this): one object per domain */
        g_string_append(out, "{\"domain\":");
        bt_json_append_string(out, domain);
        g_string_append(out, ",\"checks\":[");
        for (guint i = 0; i < checks->len; i++) {
            if (i)
                g_string_append_c(out, ',');
            append_json_check(out, checks->pdata[i]);
        }
        g_string_append(out, "]}\n");
    }
    fwrite(out->str, 1, out->len, sink->out);
}
