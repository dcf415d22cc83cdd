/* resend — the `resend.domain` check.  Finds a domain in the Resend account
 * (GET /domains, cursor pages), reads its verification state and expected
 * DNS records (GET /domains/{id}) and says in plain words what is not
 * verified and what to publish.  Read-only; every request bounded by
 * timeouts; the API key never reaches a detail (see redact()). */
#include "config.h"

#include "checks/resend.h"

#include <curl/curl.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define DEFAULT_BASE_URL "https://api.resend.com"
#define CONNECT_TIMEOUT_S 5
#define TOTAL_TIMEOUT_S 15.0
#define MAX_RETRY_AFTER_S 10     /* longer waits are not worth holding a triage for */
#define MAX_BODY_BYTES (8u << 20)
#define PAGE_LIMIT 100           /* the API's maximum */
#define MAX_PAGES 200            /* 20 000 domains: a guard against a cursor loop */

/* The outcome for one domain, kept so each domain is asked about once. */
typedef struct {
    BtCheckStatus status;
    char *detail;
    GPtrArray *records;          /* BtResendRecord* */
} DomainResult;

struct _BtResend {
    char *key;                   /* NULL: checks are skipped */
    char *base_url;              /* no trailing slash */
    gboolean loopback;
    char *resolve;               /* "localhost:PORT:127.0.0.1,::1" for curl, or NULL */
    double timeout;              /* seconds per request */
    CURL *curl;                  /* reused: keeps the connection alive */
    GHashTable *ids;             /* lower-case domain name -> Resend id */
    char *after;                 /* cursor for the next page of GET /domains */
    gboolean listed;             /* no more pages */
    char *list_error;            /* listing failed: why; later domains reuse it */
    GHashTable *results;         /* lower-case domain name -> DomainResult */
};

/* One HTTP exchange. */
typedef struct {
    long code;                   /* 0: no answer */
    GByteArray *body;
    curl_off_t retry_after;      /* seconds; 0: none given */
    CURLcode curl_code;
    char curl_error[CURL_ERROR_SIZE];
} Response;

/* ---- records and results ------------------------------------------------ */

void
bt_resend_record_free(BtResendRecord *rec)
{
    if (!rec)
        return;
    g_free(rec->record);
    g_free(rec->type);
    g_free(rec->name);
    g_free(rec->value);
    g_free(rec->status);
    g_free(rec);
}

static BtResendRecord *
record_copy(const BtResendRecord *rec)
{
    BtResendRecord *n = g_new0(BtResendRecord, 1);
    n->record = g_strdup(rec->record);
    n->type = g_strdup(rec->type);
    n->name = g_strdup(rec->name);
    n->value = g_strdup(rec->value);
    n->status = g_strdup(rec->status);
    n->priority = rec->priority;
    return n;
}

static DomainResult *
domain_result_new(void)
{
    DomainResult *res = g_new0(DomainResult, 1);
    res->records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_resend_record_free);
    return res;
}

static void
domain_result_free(DomainResult *res)
{
    g_free(res->detail);
    g_ptr_array_unref(res->records);
    g_free(res);
}

/* ---- configuration ------------------------------------------------------ */

/* Literal loopback addresses and the name "localhost" only.  "localhost."
 * is a fully qualified name that DNS, not this host, answers for, and curl
 * is told where "localhost" is (see loopback_resolve) so that no resolver
 * is asked for it either. */
static gboolean
host_is_loopback(const char *host)
{
    if (g_ascii_strcasecmp(host, "localhost") == 0)
        return TRUE;
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(host);
    return addr && g_inet_address_get_is_loopback(addr);
}

/* Accepts https:// anywhere and http:// to loopback only: the key travels in
 * a header, and plain http elsewhere would show it to the network.  Error
 * texts name the host at most, never the whole URL. */
static gboolean
parse_base_url(BtResend *rs, const char *url, GError **error)
{
    g_autoptr(GError) uri_error = NULL;
    g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, &uri_error);
    if (!uri) {
        g_set_error(error, BT_ERROR, BT_ERROR_USAGE, "RESEND_BASE_URL is not a URL");
        return FALSE;
    }
    const char *scheme = g_uri_get_scheme(uri);
    const char *host = g_uri_get_host(uri);
    if (!host || !*host || g_uri_get_userinfo(uri) || g_uri_get_query(uri)
        || g_uri_get_fragment(uri)) {
        g_set_error(error, BT_ERROR, BT_ERROR_USAGE,
                    "RESEND_BASE_URL must be scheme://host[:port][/path], "
                    "without credentials, query or fragment");
        return FALSE;
    }
    rs->loopback = host_is_loopback(host);
    if (rs->loopback && g_ascii_strcasecmp(host, "localhost") == 0) {
        int port = g_uri_get_port(uri);
        if (port < 0)
            port = g_ascii_strcasecmp(scheme, "https") == 0 ? 443 : 80;
        rs->resolve = g_strdup_printf("%s:%d:127.0.0.1,::1", host, port);
    }
    if (g_ascii_strcasecmp(scheme, "http") == 0 && !rs->loopback) {
        g_set_error(error, BT_ERROR, BT_ERROR_USAGE,
                    "RESEND_BASE_URL: plain http:// is allowed only to loopback hosts "
                    "(127.0.0.0/8, ::1, localhost), not %s; use https://", host);
        return FALSE;
    }
    if (g_ascii_strcasecmp(scheme, "http") != 0 && g_ascii_strcasecmp(scheme, "https") != 0) {
        g_set_error(error, BT_ERROR, BT_ERROR_USAGE,
                    "RESEND_BASE_URL must start with https:// (or http:// to loopback)");
        return FALSE;
    }
    rs->base_url = g_strdup(url);
    gsize len = strlen(rs->base_url);
    while (len > 0 && rs->base_url[len - 1] == '/')
        rs->base_url[--len] = '\0';
    return TRUE;
}

/* The key goes into a header line: a control character or space in it would
 * split or corrupt that header. */
static gboolean
key_is_header_safe(const char *key)
{
    for (const char *p = key; *p; p++)
        if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
            return FALSE;
    return TRUE;
}

BtResend *
bt_resend_new(GError **error)
{
    g_autoptr(BtResend) rs = g_new0(BtResend, 1);
    rs->timeout = TOTAL_TIMEOUT_S;
    rs->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    rs->results = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) domain_result_free);

    const char *key = g_getenv("RESEND_API_KEY");
    if (key && *key) {
        if (!key_is_header_safe(key)) {
            g_set_error(error, BT_ERROR, BT_ERROR_USAGE,
                        "RESEND_API_KEY contains spaces or control characters");
            return NULL;
        }
        rs->key = g_strdup(key);
    }
    const char *url = g_getenv("RESEND_BASE_URL");
    if (!parse_base_url(rs, url && *url ? url : DEFAULT_BASE_URL, error))
        return NULL;
    return g_steal_pointer(&rs);
}

void
bt_resend_free(BtResend *rs)
{
    if (!rs)
        return;
    if (rs->curl) {
        curl_easy_cleanup(rs->curl);
        curl_global_cleanup();
    }
    if (rs->key)
        memset(rs->key, 0, strlen(rs->key));
    g_free(rs->key);
    g_free(rs->base_url);
    g_free(rs->resolve);
    g_hash_table_unref(rs->ids);
    g_free(rs->after);
    g_free(rs->list_error);
    g_hash_table_unref(rs->results);
    g_free(rs);
}

gboolean
bt_resend_has_key(const BtResend *rs)
{
    return rs->key != NULL;
}

void
bt_resend_set_timeout(BtResend *rs, double seconds)
{
    rs->timeout = seconds > 0 ? seconds : TOTAL_TIMEOUT_S;
}

/* ---- text from the network ---------------------------------------------- */

/* Anything the server sends may echo the key (a misbehaving proxy, an
 * error page quoting the request): every string taken from an answer goes
 * through here before it is shortened or stored, so no prefix of the key
 * survives a cut either.  NULL stays NULL. */
static char *
redact(const BtResend *rs, const char *text)
{
    if (!text)
        return NULL;
    if (!rs->key || !strstr(text, rs->key))
        return g_strdup(text);
    g_auto(GStrv) parts = g_strsplit(text, rs->key, -1);
    return g_strjoinv("[redacted]", parts);
}

/* ---- HTTP --------------------------------------------------------------- */

static size_t
collect_body(char *data, size_t size, size_t n, void *user)
{
    GByteArray *body = user;
    if (body->len + size * n > MAX_BODY_BYTES)
        return 0;   /* curl aborts the transfer */
    g_byte_array_append(body, (const guint8 *) data, size * n);
    return size * n;
}

/* The handle is made on first use, so a run without Resend checks never
 * initialises libcurl. */
static CURL *
curl_handle(BtResend *rs)
{
    if (rs->curl)
        return rs->curl;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rs->curl = curl_easy_init();
    return rs->curl;
}

static void
http_get_once(BtResend *rs, const char *path, Response *resp)
{
    CURL *curl = curl_handle(rs);
    g_autofree char *url = g_strconcat(rs->base_url, path, NULL);
    g_autofree char *auth = g_strconcat("Authorization: Bearer ", rs->key, NULL);
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    headers = curl_slist_append(headers, "Accept: application/json");

    g_byte_array_set_size(resp->body, 0);
    resp->curl_error[0] = '\0';
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long) CONNECT_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long) (rs->timeout * 1000));
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);   /* never carry the key elsewhere */
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, resp->curl_error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp->body);
    if (rs->loopback)
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");   /* plain http stays on this host */
    struct curl_slist *resolve = rs->resolve ? curl_slist_append(NULL, rs->resolve) : NULL;
    if (resolve)
        curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);   /* "localhost" never goes to DNS */

    resp->curl_code = curl_easy_perform(curl);
    resp->code = 0;
    resp->retry_after = 0;
    if (resp->curl_code == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->code);
        curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &resp->retry_after);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(curl, CURLOPT_RESOLVE, NULL);
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
}

/* GET with one retry after a 429, waiting what Retry-After asks (1 s when
 * it says nothing) if that is at most MAX_RETRY_AFTER_S. */
static void
http_get(BtResend *rs, const char *path, Response *resp)
{
    http_get_once(rs, path, resp);
    if (resp->code != 429 || resp->retry_after > MAX_RETRY_AFTER_S)
        return;
    g_usleep((resp->retry_after > 0 ? resp->retry_after : 1) * G_USEC_PER_SEC);
    http_get_once(rs, path, resp);
}

/* The "message" of the API's error body ({"statusCode", "name",
 * "message"}), on one line and of bounded length; NULL if none. */
static char *
api_message(const BtResend *rs, const Response *resp)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, (const char *) resp->body->data,
                                    resp->body->len, NULL))
        return NULL;
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    JsonNode *msg = json_object_get_member(json_node_get_object(root), "message");
    if (!msg || json_node_get_value_type(msg) != G_TYPE_STRING)
        return NULL;
    g_autofree char *valid = g_utf8_make_valid(json_node_get_string(msg), -1);
    g_autofree char *text = redact(rs, valid);
    g_strdelimit(text, "\r\n\t", ' ');
    if (g_utf8_strlen(text, -1) > 200)
        *g_utf8_offset_to_pointer(text, 200) = '\0';
    return g_strstrip(g_steal_pointer(&text));
}

static void
set_http_error(GError **error, const BtResend *rs, const char *what, const Response *resp)
{
    if (resp->curl_code == CURLE_OPERATION_TIMEDOUT) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "Resend API did not answer %s within %g s",
                    what, rs->timeout);
        return;
    }
    if (resp->curl_code != CURLE_OK) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "Resend API unreachable (%s): %s", what,
                    resp->curl_error[0] ? resp->curl_error : curl_easy_strerror(resp->curl_code));
        return;
    }
    g_autofree char *msg = api_message(rs, resp);
    const char *sep = msg ? ": " : "";
    if (resp->code == 401 || resp->code == 403)
        g_set_error(error, BT_ERROR, BT_ERROR_IO,
                    "Resend API refused the key (HTTP %ld%s%s); check RESEND_API_KEY "
                    "(reading domains needs a full-access key)", resp->code, sep, msg ? msg : "");
    else if (resp->code == 429)
        g_set_error(error, BT_ERROR, BT_ERROR_IO,
                    "Resend API rate limit exceeded (HTTP 429%s%s); try again later",
                    sep, msg ? msg : "");
    else
        g_set_error(error, BT_ERROR, BT_ERROR_IO, "Resend API failed %s (HTTP %ld%s%s)",
                    what, resp->code, sep, msg ? msg : "");
}

/* GETs `path` and returns its JSON object (NULL with `error` otherwise);
 * *code is the HTTP status (0: none), so callers can tell 404 apart. */
static JsonNode *
object_from_response(const BtResend *rs, const Response *resp, const char *what, GError **error)
{
    if (resp->curl_code != CURLE_OK || resp->code < 200 || resp->code > 299) {
        set_http_error(error, rs, what, resp);
        return NULL;
    }
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root = NULL;
    if (json_parser_load_from_data(parser, (const char *) resp->body->data, resp->body->len, NULL))
        root = json_parser_get_root(parser);
    if (root && JSON_NODE_HOLDS_OBJECT(root))
        return json_node_copy(root);
    g_set_error(error, BT_ERROR, BT_ERROR_IO, "Resend API gave an unreadable answer to %s", what);
    return NULL;
}

static JsonNode *
api_get_object(BtResend *rs, const char *path, const char *what, long *code, GError **error)
{
    Response resp = { .body = g_byte_array_new() };
    http_get(rs, path, &resp);
    *code = resp.code;
    JsonNode *result = object_from_response(rs, &resp, what, error);
    g_byte_array_unref(resp.body);
    return result;
}

/* ---- the domain list ---------------------------------------------------- */

static const char *
member_string(JsonObject *obj, const char *name)
{
    JsonNode *node = json_object_get_member(obj, name);
    if (!node || json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

static char *
normalise_domain(const char *domain)
{
    if (!domain)
        return NULL;
    g_autofree char *d = g_ascii_strdown(domain, -1);
    g_strstrip(d);
    gsize len = strlen(d);
    while (len > 0 && d[len - 1] == '.')
        d[--len] = '\0';
    return len ? g_steal_pointer(&d) : NULL;
}

/* Reads one page of GET /domains into rs->ids and moves the cursor: the id
 * of the page's last domain, as the API's `after` expects. */
static gboolean
read_page_json(BtResend *rs, JsonNode *root, GError **error)
{
    JsonObject *page = json_node_get_object(root);
    JsonNode *data = json_object_get_member(page, "data");
    if (!data || !JSON_NODE_HOLDS_ARRAY(data)) {
        g_set_error(error, BT_ERROR, BT_ERROR_IO,
                    "Resend API gave a domain list without \"data\"");
        return FALSE;
    }
    const char *last_id = NULL;
    JsonArray *items = json_node_get_array(data);
    for (guint i = 0; i < json_array_get_length(items); i++) {
        JsonNode *item = json_array_get_element(items, i);
        if (!JSON_NODE_HOLDS_OBJECT(item))
            continue;
        const char *id = member_string(json_node_get_object(item), "id");
        g_autofree char *name = normalise_domain(member_string(json_node_get_object(item), "name"));
        if (!id)
            continue;
        last_id = id;
        if (name && !g_hash_table_contains(rs->ids, name))
            g_hash_table_insert(rs->ids, g_steal_pointer(&name), g_strdup(id));
    }
    gboolean more = json_object_get_boolean_member_with_default(page, "has_more", FALSE);
    if (!more || !last_id || g_strcmp0(last_id, rs->after) == 0) {
        rs->listed = TRUE;
    } else {
        g_free(rs->after);
        rs->after = g_strdup(last_id);
    }
    return TRUE;
}

static gboolean
read_domain_page(BtResend *rs, GError **error)
{
    g_autofree char *path = NULL;
    if (rs->after) {
        g_autofree char *after = g_uri_escape_string(rs->after, NULL, FALSE);
        path = g_strdup_printf("/domains?limit=%d&after=%s", PAGE_LIMIT, after);
    } else {
        path = g_strdup_printf("/domains?limit=%d", PAGE_LIMIT);
    }
    long code;
    g_autoptr(JsonNode) root = api_get_object(rs, path, "listing domains", &code, error);
    return root && read_page_json(rs, root, error);
}

/* The Resend id of `name`, reading further pages only as needed; NULL
 * without error when the account has no such domain.  A failed listing is
 * remembered: a refused key or a dead server would fail the same way for
 * every other domain, after the same wait. */
static const char *
find_domain_id(BtResend *rs, const char *name, GError **error)
{
    for (int pages = 0; ; pages++) {
        const char *id = g_hash_table_lookup(rs->ids, name);
        if (id || rs->listed)
            return id;
        if (!rs->list_error && pages == MAX_PAGES)
            rs->list_error = g_strdup_printf("Resend API domain list did not end after %d pages",
                                             MAX_PAGES);
        g_autoptr(GError) page_error = NULL;
        if (!rs->list_error && !read_domain_page(rs, &page_error))
            rs->list_error = g_strdup(page_error->message);
        if (rs->list_error) {
            g_set_error_literal(error, BT_ERROR, BT_ERROR_IO, rs->list_error);
            return NULL;
        }
    }
}

/* ---- one domain --------------------------------------------------------- */

/* The full DNS name of a record: the API gives most names relative to the
 * domain ("send", "resend._domainkey") and some already full. */
static char *
qualify_name(const char *name, const char *domain)
{
    g_autofree char *n = normalise_domain(name);
    if (!n || strcmp(n, "@") == 0)
        return g_strdup(domain);
    gsize n_len = strlen(n), d_len = strlen(domain);
    gboolean under_domain = n_len > d_len && n[n_len - d_len - 1] == '.'
        && strcmp(n + n_len - d_len, domain) == 0;
    if (under_domain || strcmp(n, domain) == 0)
        return g_steal_pointer(&n);
    return g_strconcat(n, ".", domain, NULL);
}

/* TXT values sometimes come wrapped in double quotes, as a zone file would
 * write them; DNS serves them without. */
static char *
unquote_txt(const char *type, const char *value)
{
    gsize len = value ? strlen(value) : 0;
    if (g_strcmp0(type, "TXT") == 0 && len >= 2 && value[0] == '"' && value[len - 1] == '"')
        return g_strndup(value + 1, len - 2);
    return g_strdup(value);
}

/* A member's string with the key redacted; NULL when it is not a string. */
static char *
member_text(const BtResend *rs, JsonObject *obj, const char *name)
{
    return redact(rs, member_string(obj, name));
}

static BtResendRecord *
record_from_json(const BtResend *rs, JsonObject *obj, const char *domain)
{
    g_autofree char *type = member_text(rs, obj, "type");
    g_autofree char *name = member_text(rs, obj, "name");
    g_autofree char *value = member_text(rs, obj, "value");
    BtResendRecord *rec = g_new0(BtResendRecord, 1);
    rec->record = member_text(rs, obj, "record");
    rec->type = g_ascii_strup(type ? type : "", -1);
    rec->name = qualify_name(name, domain);
    rec->value = unquote_txt(rec->type, value);
    rec->status = member_text(rs, obj, "status");
    if (!rec->status)
        rec->status = g_strdup("unknown");
    JsonNode *prio = json_object_get_member(obj, "priority");
    if (prio && json_node_get_value_type(prio) == G_TYPE_INT64)
        rec->priority = (int) json_node_get_int(prio);
    return rec;
}

/* "DKIM record resend._domainkey.example.com (TXT) is not verified
 * (failed); publish: "p=…"" */
static void
describe_record(GString *out, const BtResendRecord *rec)
{
    g_string_append_printf(out, "%s record %s (%s) is not verified (%s); publish: \"%s\"",
                           rec->record ? rec->record : "DNS", rec->name,
                           *rec->type ? rec->type : "?", rec->status,
                           rec->value ? rec->value : "");
    if (rec->priority > 0)
        g_string_append_printf(out, " with priority %d", rec->priority);
}

static char *
describe_unverified(const GPtrArray *records)
{
    g_autoptr(GString) out = g_string_new(NULL);
    for (guint i = 0; i < records->len; i++) {
        const BtResendRecord *rec = records->pdata[i];
        if (g_strcmp0(rec->status, "verified") == 0)
            continue;
        if (out->len)
            g_string_append(out, "; ");
        describe_record(out, rec);
    }
    return out->len ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

static void
judge_domain(DomainResult *res, const char *domain, const char *status, const char *region)
{
    g_autofree char *unverified = describe_unverified(res->records);
    g_autofree char *where = region ? g_strdup_printf(" (region %s)", region) : g_strdup("");
    if (g_strcmp0(status, "verified") == 0) {
        res->status = BT_CHECK_OK;
        res->detail = unverified
            ? g_strdup_printf("verified in Resend%s, but %s", where, unverified)
            : g_strdup_printf("verified in Resend%s", where);
        return;
    }
    res->status = BT_CHECK_PROBLEM;
    const char *then = g_strcmp0(status, "failed") == 0 || g_strcmp0(status, "partially_failed") == 0
        ? "; then ask Resend to verify the domain again" : "";
    res->detail = g_strdup_printf("domain %s is %s in Resend%s%s%s%s", domain,
                                  status ? status : "in an unknown state", where,
                                  unverified ? ": " : "", unverified ? unverified : "",
                                  unverified ? then : "");
}

static void
set_not_in_account(DomainResult *res, const char *domain)
{
    res->status = BT_CHECK_PROBLEM;
    res->detail = g_strdup_printf("domain not in this Resend account: add %s in Resend and "
                                  "publish its records before sending from it", domain);
}

/* GET /domains/{id}'s object: its records and its verification state. */
static void
read_domain_json(const BtResend *rs, JsonNode *root, const char *domain, DomainResult *res)
{
    JsonObject *obj = json_node_get_object(root);
    JsonNode *records = json_object_get_member(obj, "records");
    if (records && JSON_NODE_HOLDS_ARRAY(records)) {
        JsonArray *arr = json_node_get_array(records);
        for (guint i = 0; i < json_array_get_length(arr); i++) {
            JsonNode *item = json_array_get_element(arr, i);
            if (JSON_NODE_HOLDS_OBJECT(item))
                g_ptr_array_add(res->records, record_from_json(rs, json_node_get_object(item), domain));
        }
    }
    g_autofree char *status = member_text(rs, obj, "status");
    g_autofree char *region = member_text(rs, obj, "region");
    judge_domain(res, domain, status, region);
}

/* The answer to GET /domains/{id}: 404 is a domain removed since the
 * listing. */
static void
domain_from_response(const BtResend *rs, const Response *resp, const char *domain,
                     DomainResult *res)
{
    if (resp->code == 404) {
        set_not_in_account(res, domain);
        return;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = object_from_response(rs, resp, "reading the domain", &error);
    if (!root) {
        res->status = BT_CHECK_ERROR;
        res->detail = g_strdup(error->message);
        return;
    }
    read_domain_json(rs, root, domain, res);
}

static void
read_domain(BtResend *rs, const char *domain, const char *id, DomainResult *res)
{
    g_autofree char *escaped = g_uri_escape_string(id, NULL, FALSE);
    g_autofree char *path = g_strconcat("/domains/", escaped, NULL);
    Response resp = { .body = g_byte_array_new() };
    http_get(rs, path, &resp);
    domain_from_response(rs, &resp, domain, res);
    g_byte_array_unref(resp.body);
}

static DomainResult *
look_up_domain(BtResend *rs, const char *domain)
{
    DomainResult *res = domain_result_new();
    g_autoptr(GError) error = NULL;
    const char *id = find_domain_id(rs, domain, &error);
    if (error) {
        res->status = BT_CHECK_ERROR;
        res->detail = g_strdup(error->message);
    } else if (!id) {
        set_not_in_account(res, domain);
    } else {
        read_domain(rs, domain, id, res);
    }
    return res;
}

void
bt_resend_check_domain(BtResend *rs, const char *domain, BtCheck *check, GPtrArray *records)
{
    g_autofree char *name = normalise_domain(domain);
    if (!rs->key || !name) {
        check->status = BT_CHECK_SKIPPED;
        bt_set_str(&check->detail, !rs->key ? "RESEND_API_KEY is not set" : "no domain to check");
        return;
    }
    DomainResult *res = g_hash_table_lookup(rs->results, name);
    if (!res) {
        res = look_up_domain(rs, name);
        g_hash_table_insert(rs->results, g_strdup(name), res);
    }
    check->status = res->status;
    g_free(check->detail);
    check->detail = redact(rs, res->detail);
    for (guint i = 0; records && i < res->records->len; i++)
        g_ptr_array_add(records, record_copy(res->records->pdata[i]));
}

void
bt_resend_check_answers(BtResend *rs, const char *domain,
                        long list_code, const guint8 *list_body, gsize list_len,
                        long domain_code, const guint8 *domain_body, gsize domain_len,
                        BtCheck *check, GPtrArray *records)
{
    g_autofree char *name = normalise_domain(domain);
    if (name && !g_hash_table_contains(rs->results, name)) {
        DomainResult *res = domain_result_new();
        Response list = { .code = list_code, .body = g_byte_array_new() };
        g_byte_array_append(list.body, list_body, (guint) list_len);
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) page = object_from_response(rs, &list, "listing domains", &error);
        const char *id = page && read_page_json(rs, page, &error)
            ? g_hash_table_lookup(rs->ids, name) : NULL;
        if (error) {
            res->status = BT_CHECK_ERROR;
            res->detail = g_strdup(error->message);
        } else if (!id) {
            set_not_in_account(res, name);
        } else {
            Response one = { .code = domain_code, .body = g_byte_array_new() };
            g_byte_array_append(one.body, domain_body, (guint) domain_len);
            domain_from_response(rs, &one, name, res);
            g_byte_array_unref(one.body);
        }
        g_byte_array_unref(list.body);
        g_hash_table_insert(rs->results, g_strdup(name), res);
    }
    bt_resend_check_domain(rs, domain, check, records);
}
