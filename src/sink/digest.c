/* digest — feeds the --report and --suppress digests and writes them at
 * the end of the run.  Each output is created as FILE.tmp when the run
 * starts (so a path that cannot be written fails at once, not after an
 * hour of reading) and renamed over FILE when it is complete. */
#include "sink/report-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *path;
    char *tmp;
    FILE *file;
} Output;

struct _BtDigest {
    Output report_out, suppress_out;
    BtReport *report;
    BtSuppress *suppress;
    char *chartjs;              /* the script to inline, or NULL */
    char *source;
    char *last_digest;          /* --from-store: the message being read */
    GHashTable *digests_done;   /* --from-store: messages read before it (a JSONL retry repeats one) */
};

/* ---- addresses ------------------------------------------------------------------- */

/* A DSN's address type ("rfc822;"), a URI-like scheme ("smtp:"), angle
 * brackets and white space go; the domain is lower-cased. */
char *
bt_address_key(const char *recipient)
{
    if (!recipient)
        return NULL;
    g_autofree char *s = g_strstrip(g_strdup(recipient));
    char *p = s;
    const char *semi = strchr(p, ';');
    if (semi && !memchr(p, '@', semi - p))
        p = (char *) semi + 1;
    else if (g_ascii_strncasecmp(p, "smtp:", 5) == 0 || g_ascii_strncasecmp(p, "mailto:", 7) == 0)
        p = strchr(p, ':') + 1;
    p = g_strstrip(p);
    if (*p == '<') {
        p++;
        char *end = strrchr(p, '>');
        if (end)
            *end = '\0';
        p = g_strstrip(p);
    }
    if (!*p)
        return NULL;
    char *at = strrchr(p, '@');
    if (!at)
        return g_strdup(p);
    g_autofree char *domain = g_ascii_strdown(at + 1, -1);
    return g_strdup_printf("%.*s@%s", (int) (at - p), p, domain);
}

/* ---- outputs ----------------------------------------------------------------------- */

static gboolean
output_open(Output *o, const char *path, GError **error)
{
    o->path = g_strdup(path);
    o->tmp = g_strconcat(path, ".tmp", NULL);
    o->file = fopen(o->tmp, "w");
    if (!o->file) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot create %s: %s", o->tmp, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static gboolean
output_commit(Output *o, const GString *text, GError **error)
{
    gboolean ok = fwrite(text->str, 1, text->len, o->file) == text->len;
    ok = fflush(o->file) == 0 && ok;
    int err = errno;
    ok = fclose(o->file) == 0 && ok;
    o->file = NULL;
    if (ok && rename(o->tmp, o->path) != 0) {
        err = errno;
        ok = FALSE;
    }
    if (!ok) {
        unlink(o->tmp);
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "writing %s failed: %s", o->path, g_strerror(err));
    }
    return ok;
}

static void
output_clear(Output *o)
{
    if (o->file) {             /* not committed: leave no half file behind */
        fclose(o->file);
        unlink(o->tmp);
    }
    g_free(o->path);
    g_free(o->tmp);
}

/* The Chart.js file, or NULL (with a warning) when it cannot be inlined:
 * the report keeps its tables either way. */
static char *
load_chartjs(const char *path)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    if (!path || !g_file_get_contents(path, &text, NULL, &err)) {
        g_printerr("bouncetriage: --report: cannot read Chart.js (%s): the report will have no charts\n",
                   err ? err->message : "no path configured");
        return NULL;
    }
    g_autofree char *lower = g_ascii_strdown(text, -1);
    if (strstr(lower, "</script")) {
        g_printerr("bouncetriage: --report: %s contains </script and cannot be inlined: no charts\n", path);
        return NULL;
    }
    return g_steal_pointer(&text);
}

BtDigest *
bt_digest_new(const BtDigestOptions *opt, GError **error)
{
    g_autoptr(BtDigest) d = g_new0(BtDigest, 1);
    d->source = g_strdup(opt->source ? opt->source : "-");
    if (opt->report_path) {
        if (!output_open(&d->report_out, opt->report_path, error))
            return NULL;
        d->report = bt_report_new(opt->checks_ran);
        d->chartjs = load_chartjs(opt->chartjs_path);
    }
    if (opt->suppress_path) {
        g_return_val_if_fail(opt->policy, NULL);
        if (!output_open(&d->suppress_out, opt->suppress_path, error))
            return NULL;
        d->suppress = bt_suppress_new(opt->policy);
    }
    d->digests_done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return g_steal_pointer(&d);
}

static void
add_record(BtDigest *d, const BtRecord *rec, const char *messagedigest)
{
    if (d->report)
        bt_report_add_record(d->report, rec);
    if (d->suppress)
        bt_suppress_add_record(d->suppress, rec, messagedigest);
}

void
bt_digest_add_bounce(BtDigest *d, const BtBounce *b)
{
    if (d->report)
        bt_report_add_message(d->report, b->is_bounce);
    for (guint i = 0; b->is_bounce && b->records && i < b->records->len; i++)
        add_record(d, b->records->pdata[i], NULL);
}

void
bt_digest_add_stored(BtDigest *d, const char *messagedigest, const BtRecord *rec)
{
    if (messagedigest && g_strcmp0(messagedigest, d->last_digest) != 0) {
        if (g_hash_table_contains(d->digests_done, messagedigest))
            return;            /* a hook retry stored this message again */
        if (d->last_digest)
            g_hash_table_add(d->digests_done, g_steal_pointer(&d->last_digest));
        d->last_digest = g_strdup(messagedigest);
        if (d->report)
            bt_report_add_message(d->report, TRUE);
    } else if (!messagedigest && d->report) {
        bt_report_add_message(d->report, TRUE);   /* no digest: one message per record */
    }
    add_record(d, rec, messagedigest);
}

gboolean
bt_digest_finish(BtDigest *d, GError **error)
{
    if (d->report) {
        g_autoptr(GString) html = g_string_sized_new(1 << 20);
        bt_report_write_html(d->report, html, d->source, d->chartjs);
        if (!output_commit(&d->report_out, html, error))
            return FALSE;
    }
    if (d->suppress) {
        g_autoptr(GString) csv = g_string_sized_new(1 << 16);
        bt_suppress_write_csv(d->suppress, csv);
        if (!output_commit(&d->suppress_out, csv, error))
            return FALSE;
    }
    return TRUE;
}

void
bt_digest_free(BtDigest *d)
{
    if (!d)
        return;
    output_clear(&d->report_out);
    output_clear(&d->suppress_out);
    bt_report_free(d->report);
    bt_suppress_free(d->suppress);
    g_free(d->chartjs);
    g_free(d->source);
    g_free(d->last_digest);
    g_clear_pointer(&d->digests_done, g_hash_table_unref);
    g_free(d);
}
