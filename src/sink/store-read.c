/* store-read — reads the records a delivery hook stored, for --from-store:
 * its JSON Lines file, or its SQLite database (table `records`, one row
 * per message digest and recipient, `json` the JSON Lines record), in the
 * order they were stored.  The JSON goes back into a BtRecord, the inverse
 * of sink-json.c. */
#include "sink/digest-private.h"
#include "core/sqlite-lazy.h"

#include "sink/json-read.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- JSON to record -------------------------------------------------------------- */

static const char *
member_string(const BtJson *o, const char *name)
{
    const BtJson *n = bt_json_member(o, name);
    return n && n->type == BT_JSON_STRING ? n->string : NULL;
}

static gboolean
member_int(const BtJson *o, const char *name, gint64 *value)
{
    const BtJson *n = bt_json_member(o, name);
    if (n && n->type == BT_JSON_INT)
        *value = n->integer;
    else if (n && n->type == BT_JSON_DOUBLE)
        *value = (gint64) n->number;
    else
        return FALSE;
    return TRUE;
}

static void
read_facts(const BtJson *o, BtRecord *rec)
{
    gsize n_fields;
    const BtFieldInfo *fields = bt_record_fields(&n_fields);
    for (gsize i = 0; i < n_fields; i++)
        if (fields[i].type == BT_FIELD_STRING)
            bt_record_set_string(rec, &fields[i], member_string(o, fields[i].name));
    gint64 v;
    if (member_int(o, "offset", &v))
        rec->offset = v;
    if (member_int(o, "timestamp", &v))
        rec->timestamp = v;
    if (member_int(o, "replycode", &v))
        rec->replycode = (int) v;
    const BtJson *hard = bt_json_member(o, "hardbounce");
    rec->hardbounce = hard && hard->type == BT_JSON_BOOL && hard->boolean;
}

static BtCheckStatus
status_from_name(const char *name)
{
    for (BtCheckStatus s = BT_CHECK_SUGGESTED; s <= BT_CHECK_SKIPPED; s++)
        if (g_strcmp0(bt_check_status_name(s), name) == 0)
            return s;
    return BT_CHECK_SUGGESTED;
}

static void
read_triage(const BtJson *o, BtRecord *rec)
{
    const BtJson *cause = bt_json_member(o, "cause");
    if (cause && cause->type == BT_JSON_OBJECT) {
        rec->cause_id = g_strdup(member_string(cause, "id"));
        rec->cause_summary = g_strdup(member_string(cause, "summary"));
    }
    rec->severity = g_strdup(member_string(o, "severity"));
    rec->rule = g_strdup(member_string(o, "rule"));
    const BtJson *steps = bt_json_member(o, "remediation");
    for (guint i = 0; steps && steps->type == BT_JSON_ARRAY && i < steps->items->len; i++) {
        const BtJson *s = steps->items->pdata[i];
        if (s->type == BT_JSON_STRING)
            g_ptr_array_add(rec->remediation, g_strdup(s->string));
    }
    const BtJson *checks = bt_json_member(o, "checks");
    for (guint i = 0; checks && checks->type == BT_JSON_ARRAY && i < checks->items->len; i++) {
        const BtJson *co = checks->items->pdata[i];
        if (co->type != BT_JSON_OBJECT)
            continue;
        BtCheck *ck = bt_check_new(member_string(co, "name"), member_string(co, "target"));
        ck->status = status_from_name(member_string(co, "status"));
        ck->detail = g_strdup(member_string(co, "detail"));
        g_ptr_array_add(rec->checks, ck);
    }
}

BtRecord *
bt_record_from_json(const char *json, gssize len, char **messagedigest, GError **error)
{
    g_autoptr(BtJson) o = bt_json_parse(json, len, error);
    if (!o)
        return NULL;
    if (o->type != BT_JSON_OBJECT) {
        g_set_error(error, BT_ERROR, BT_ERROR_PARSE, "not a JSON object");
        return NULL;
    }
    BtRecord *rec = bt_record_new();
    read_facts(o, rec);
    read_triage(o, rec);
    if (messagedigest)
        *messagedigest = g_strdup(member_string(o, "messagedigest"));
    return rec;
}

/* ---- the stores ---------------------------------------------------------------------- */

static gboolean
feed_json(const char *where, const char *json, gssize len, BtStoreFunc func, gpointer data, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *digest = NULL;
    g_autoptr(BtRecord) rec = bt_record_from_json(json, len, &digest, &err);
    if (!rec) {
        g_set_error(error, BT_ERROR, BT_ERROR_PARSE, "%s: not a record: %s", where, err->message);
        return FALSE;
    }
    func(digest, rec, data);
    return TRUE;
}

static gboolean
read_jsonl(const char *path, FILE *f, BtStoreFunc func, gpointer data, GError **error)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    guint64 lineno = 0;
    gboolean ok = TRUE;
    while (ok && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        g_autofree char *where = g_strdup_printf("%s:%" G_GUINT64_FORMAT, path, lineno);
        ok = feed_json(where, line, len, func, data, error);
    }
    if (ok && ferror(f)) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "%s: %s", path, g_strerror(errno));
        ok = FALSE;
    }
    free(line);
    return ok;
}

static gboolean
read_sqlite(const char *path, BtStoreFunc func, gpointer data, GError **error)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    gboolean ok = FALSE;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK
        || sqlite3_busy_timeout(db, 5000) != SQLITE_OK
        || sqlite3_prepare_v2(db, "SELECT messagedigest, json FROM records ORDER BY rowid", -1, &st, NULL) != SQLITE_OK) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    int rc;
    guint64 row = 0;
    ok = TRUE;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        row++;
        g_autofree char *where = g_strdup_printf("%s: row %" G_GUINT64_FORMAT, path, row);
        const char *json = (const char *) sqlite3_column_text(st, 1);
        ok = feed_json(where, json ? json : "", sqlite3_column_bytes(st, 1), func, data, error);
    }
    if (ok && rc != SQLITE_DONE) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "%s: %s", path, sqlite3_errmsg(db));
        ok = FALSE;
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

gboolean
bt_store_foreach(const char *path, BtStoreFunc func, gpointer data, GError **error)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "cannot open %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    char magic[16] = { 0 };
    size_t got = fread(magic, 1, sizeof magic, f);
    if (got == sizeof magic && memcmp(magic, "SQLite format 3", 16) == 0) {
        fclose(f);
        return read_sqlite(path, func, data, error);
    }
    rewind(f);
    gboolean ok = read_jsonl(path, f, func, data, error);
    fclose(f);
    return ok;
}
