/* test-resend — the resend.domain check against tests/resend-double.py, a
 * loopback stand-in for the Resend API built from its OpenAPI description:
 * verified / partially failed / failed / pending domains, pagination,
 * 401/403/404/429/5xx/timeouts, the base-URL rules, the request cache, and
 * that the API key never appears in what the check reports. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/resend.h"

/* The double, started once for the whole program. */
static struct {
    GPid pid;
    int stdin_fd;          /* closing it stops the double */
    char *base_url;
    char *log_path;
    char *tmpdir;
    char *skip_reason;     /* why the double is not running */
} double_;

/* ---- the double --------------------------------------------------------- */

static char *
find_file(const char *env, const char *fallback_dir, const char *rel)
{
    const char *dir = g_getenv(env);
    g_autofree char *path = g_build_filename(dir ? dir : fallback_dir, rel, NULL);
    return g_file_test(path, G_FILE_TEST_EXISTS) ? g_steal_pointer(&path) : NULL;
}

static char *
read_port(int fd)
{
    g_autoptr(GIOChannel) ch = g_io_channel_unix_new(fd);
    g_io_channel_set_close_on_unref(ch, TRUE);
    char *line = NULL;
    if (g_io_channel_read_line(ch, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL)
        return NULL;
    return g_strstrip(line);
}

static void
start_double(void)
{
    const char *python = g_getenv("PYTHON3");
    g_autofree char *python_path = g_find_program_in_path(python && *python ? python : "python3");
    g_autofree char *script = find_file("BT_SRCDIR", BT_ABS_SRCDIR, "tests/resend-double.py");
    g_autofree char *spec = find_file("BT_SHARED", BT_ABS_SRCDIR "/../shared",
                                      "specs/resend-openapi.yaml");
    if (!python_path || !script || !spec) {
        double_.skip_reason = g_strdup(!python_path ? "python3 is not installed"
                                       : !script ? "tests/resend-double.py not found"
                                       : "specs/resend-openapi.yaml not found (BT_SHARED)");
        return;
    }
    double_.tmpdir = g_dir_make_tmp("test-resend-XXXXXX", NULL);
    double_.log_path = g_build_filename(double_.tmpdir, "requests.log", NULL);
    const char *argv[] = { python_path, script, "--spec", spec, "--log", double_.log_path, NULL };
    int out_fd;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_async_with_pipes(NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                  NULL, &double_.pid, &double_.stdin_fd, &out_fd, NULL, &error)) {
        double_.skip_reason = g_strdup_printf("cannot start the double: %s", error->message);
        return;
    }
    g_autofree char *port = read_port(out_fd);
    if (!port || !*port) {
        /* the double says why on stderr; exit 77 means PyYAML is missing */
        int status = 0;
        waitpid(double_.pid, &status, 0);
        double_.pid = 0;
        double_.skip_reason = g_strdup(WIFEXITED(status) && WEXITSTATUS(status) == 77
                                       ? "python3-yaml is not installed"
                                       : "the double did not start");
        return;
    }
    double_.base_url = g_strdup_printf("http://127.0.0.1:%s", port);
}

static void
stop_double(void)
{
    if (double_.pid) {
        close(double_.stdin_fd);
        kill(double_.pid, SIGTERM);
        waitpid(double_.pid, NULL, 0);
        g_spawn_close_pid(double_.pid);
    }
    if (double_.log_path)
        g_unlink(double_.log_path);
    if (double_.tmpdir)
        g_rmdir(double_.tmpdir);
}

static gboolean
need_double(void)
{
    if (double_.base_url)
        return TRUE;
    g_test_skip(double_.skip_reason);
    return FALSE;
}

/* How many requests the double logged for `key`, whose path starts with
 * `prefix` (the log names keys by a hash, never in clear). */
static guint
requests_for(const char *key, const char *prefix)
{
    g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
    g_autofree char *contents = NULL;
    if (!g_file_get_contents(double_.log_path, &contents, NULL, NULL))
        return 0;
    g_autofree char *want = g_strdup_printf("%.12s %s", digest, prefix);
    guint n = 0;
    g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
    for (char **l = lines; *l; l++)
        n += g_str_has_prefix(*l, want);
    return n;
}

/* ---- running the check -------------------------------------------------- */

/* A distinctive key per test: behaviour prefix + a random tail, so the
 * "key never leaks" assertions look for something that cannot occur by
 * chance. */
static char *
make_key(const char *behaviour)
{
    return g_strdup_printf("%s_%08x%08x_SECRETKEY", behaviour, g_random_int(), g_random_int());
}

static BtResend *
resend_for(const char *key, const char *base_url)
{
    if (key)
        g_setenv("RESEND_API_KEY", key, TRUE);
    else
        g_unsetenv("RESEND_API_KEY");
    g_setenv("RESEND_BASE_URL", base_url, TRUE);
    g_autoptr(GError) error = NULL;
    BtResend *rs = bt_resend_new(&error);
    g_assert_no_error(error);
    return rs;
}

static void
assert_no_key(const char *key, const BtCheck *check, const GPtrArray *records)
{
    g_assert_nonnull(check->detail);
    g_assert_null(strstr(check->detail, key));
    /* the behaviour prefix is harmless; the random tail is the secret */
    g_assert_null(strstr(check->detail, strchr(key, '_') + 1));
    for (guint i = 0; records && i < records->len; i++) {
        const BtResendRecord *r = records->pdata[i];
        g_assert_null(strstr(r->value, key));
        g_assert_null(strstr(r->name, key));
    }
}

/* Runs the check for `domain` with `key`; the caller frees both results. */
static BtCheck *
run_check(const char *key, const char *domain, GPtrArray **records_out)
{
    g_autoptr(BtResend) rs = resend_for(key, double_.base_url);
    BtCheck *check = bt_check_new("resend.domain", domain);
    GPtrArray *records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_resend_record_free);
    bt_resend_check_domain(rs, domain, check, records);
    assert_no_key(key, check, records);
    if (records_out)
        *records_out = records;
    else
        g_ptr_array_unref(records);
    return check;
}

static const BtResendRecord *
find_record(const GPtrArray *records, const char *type, const char *name)
{
    for (guint i = 0; i < records->len; i++) {
        const BtResendRecord *r = records->pdata[i];
        if (strcmp(r->type, type) == 0 && strcmp(r->name, name) == 0)
            return r;
    }
    return NULL;
}

/* ---- domain states ------------------------------------------------------ */

static void
test_verified(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_ok");
    GPtrArray *records;
    BtCheck *check = run_check(key, "Verified.Example.com.", &records);
    g_assert_cmpint(check->status, ==, BT_CHECK_OK);
    g_assert_cmpstr(check->detail, ==, "verified in Resend (region us-east-1)");
    g_assert_cmpuint(records->len, ==, 3);
    const BtResendRecord *spf = find_record(records, "TXT", "send.verified.example.com");
    g_assert_nonnull(spf);
    g_assert_cmpstr(spf->value, ==, "v=spf1 include:amazonses.com ~all");
    g_assert_cmpstr(spf->record, ==, "SPF");
    g_assert_cmpstr(spf->status, ==, "verified");
    const BtResendRecord *mx = find_record(records, "MX", "send.verified.example.com");
    g_assert_nonnull(mx);
    g_assert_cmpint(mx->priority, ==, 10);
    g_assert_cmpstr(mx->value, ==, "feedback-smtp.us-east-1.amazonses.com");
    const BtResendRecord *dkim = find_record(records, "TXT", "resend._domainkey.verified.example.com");
    g_assert_nonnull(dkim);
    g_assert_true(g_str_has_prefix(dkim->value, "p=MIGfMA0"));
    /* first page only: the domain is the newest */
    g_assert_cmpuint(requests_for(key, "/domains?"), ==, 1);
    g_ptr_array_unref(records);
    bt_check_free(check);
}

static void
test_partially_failed(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_ok");
    GPtrArray *records;
    BtCheck *check = run_check(key, "partial.example.org", &records);
    g_assert_cmpint(check->status, ==, BT_CHECK_PROBLEM);
    g_assert_true(g_str_has_prefix(check->detail,
                                   "domain partial.example.org is partially_failed in Resend "
                                   "(region eu-west-1): DKIM record "
                                   "resend._domainkey.partial.example.org (TXT) is not verified "
                                   "(failed); publish: \"p=MIGfMA0"));
    g_assert_nonnull(strstr(check->detail, "verify the domain again"));
    /* verified records are not listed as things to fix */
    g_assert_null(strstr(check->detail, "SPF"));
    g_assert_cmpuint(records->len, ==, 3);
    /* page 2 of the list: one `after` cursor */
    g_assert_cmpuint(requests_for(key, "/domains?limit=100&after="), ==, 1);
    g_ptr_array_unref(records);
    bt_check_free(check);
}

static void
test_failed_last_page(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_ok");
    BtCheck *check = run_check(key, "failed.example.net", NULL);
    g_assert_cmpint(check->status, ==, BT_CHECK_PROBLEM);
    g_assert_true(g_str_has_prefix(check->detail, "domain failed.example.net is failed in Resend"));
    g_assert_nonnull(strstr(check->detail, "SPF record send.failed.example.net (MX) is not "
                            "verified (failed); publish: \"feedback-smtp.us-east-1.amazonses.com\" "
                            "with priority 10"));
    g_assert_nonnull(strstr(check->detail, "SPF record send.failed.example.net (TXT)"));
    g_assert_nonnull(strstr(check->detail, "publish: \"v=spf1 include:amazonses.com ~all\""));
    g_assert_nonnull(strstr(check->detail, "DKIM record resend._domainkey.failed.example.net"));
    /* the last domain of 234: three pages, each within the spec's limit */
    g_assert_cmpuint(requests_for(key, "/domains?limit=100"), ==, 3);
    g_assert_cmpuint(requests_for(key, "/domains/"), ==, 1);
    bt_check_free(check);
}

static void
test_pending_and_tracking(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_ok");
    g_autoptr(BtResend) rs = resend_for(key, double_.base_url);

    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_resend_record_free);
    BtCheck *pending = bt_check_new("resend.domain", "pending.example.com");
    bt_resend_check_domain(rs, "pending.example.com", pending, records);
    g_assert_cmpint(pending->status, ==, BT_CHECK_PROBLEM);
    g_assert_true(g_str_has_prefix(pending->detail, "domain pending.example.com is pending in Resend"));
    g_assert_nonnull(strstr(pending->detail, "(not_started)"));
    g_assert_null(strstr(pending->detail, "verify the domain again"));

    /* verified for sending, but click tracking's CNAME is not there yet;
     * its name comes fully qualified from the API and must stay so */
    BtCheck *tracking = bt_check_new("resend.domain", "tracking.example.com");
    bt_resend_check_domain(rs, "tracking.example.com", tracking, records);
    g_assert_cmpint(tracking->status, ==, BT_CHECK_OK);
    g_assert_cmpstr(tracking->detail, ==,
                    "verified in Resend (region sa-east-1), but Tracking record "
                    "links.tracking.example.com (CNAME) is not verified (pending); "
                    "publish: \"links1.resend-dns.com\"");
    g_assert_nonnull(find_record(records, "CNAME", "links.tracking.example.com"));
    g_assert_cmpuint(records->len, ==, 7);
    assert_no_key(key, pending, records);
    assert_no_key(key, tracking, records);
    bt_check_free(pending);
    bt_check_free(tracking);
}

static void
test_not_in_account(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_ok");
    GPtrArray *records;
    BtCheck *check = run_check(key, "elsewhere.example.com", &records);
    g_assert_cmpint(check->status, ==, BT_CHECK_PROBLEM);
    g_assert_true(g_str_has_prefix(check->detail, "domain not in this Resend account"));
    g_assert_nonnull(strstr(check->detail, "elsewhere.example.com"));
    g_assert_cmpuint(records->len, ==, 0);
    g_assert_cmpuint(requests_for(key, "/domains?"), ==, 3);
    g_ptr_array_unref(records);
    bt_check_free(check);

    /* listed, then 404 on GET /domains/{id} */
    g_autofree char *key2 = make_key("re_ok");
    check = run_check(key2, "vanished.example.com", NULL);
    g_assert_cmpint(check->status, ==, BT_CHECK_PROBLEM);
    g_assert_true(g_str_has_prefix(check->detail, "domain not in this Resend account"));
    g_assert_cmpuint(requests_for(key2, "/domains/"), ==, 1);
    bt_check_free(check);
}

/* One BtResend, many domains: the list is read once, each domain once. */
static void
test_cache(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_ok");
    g_autoptr(BtResend) rs = resend_for(key, double_.base_url);
    const char *domains[] = { "failed.example.net", "partial.example.org", "FAILED.example.net",
                              "verified.example.com", "nowhere.example" };
    for (guint i = 0; i < G_N_ELEMENTS(domains); i++) {
        BtCheck *check = bt_check_new("resend.domain", domains[i]);
        bt_resend_check_domain(rs, domains[i], check, NULL);
        g_assert_cmpint(check->status, !=, BT_CHECK_ERROR);
        bt_check_free(check);
    }
    g_assert_cmpuint(requests_for(key, "/domains?"), ==, 3);
    g_assert_cmpuint(requests_for(key, "/domains/"), ==, 3);
}

/* ---- failures ----------------------------------------------------------- */

static void
assert_error(const char *behaviour, const char *domain, const char *expect)
{
    g_autofree char *key = make_key(behaviour);
    GPtrArray *records;
    BtCheck *check = run_check(key, domain, &records);
    g_assert_cmpint(check->status, ==, BT_CHECK_ERROR);
    if (!strstr(check->detail, expect))
        g_error("detail \"%s\" lacks \"%s\"", check->detail, expect);
    g_assert_cmpuint(records->len, ==, 0);
    g_ptr_array_unref(records);
    bt_check_free(check);
}

static void
test_unauthorized(void)
{
    if (!need_double())
        return;
    assert_error("re_401", "verified.example.com",
                 "HTTP 401: This API key is restricted to only send emails");
}

/* The double's 403 message echoes the key: the check must not. */
static void
test_forbidden_redacted(void)
{
    if (!need_double())
        return;
    assert_error("re_403", "verified.example.com", "HTTP 403: API key [redacted] is invalid");
}

static void
test_rate_limited_then_ok(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_429once");
    BtCheck *check = run_check(key, "verified.example.com", NULL);
    g_assert_cmpint(check->status, ==, BT_CHECK_OK);
    g_assert_cmpuint(requests_for(key, "/domains?"), ==, 2);
    bt_check_free(check);
}

static void
test_rate_limited(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_429always");
    g_autoptr(BtResend) rs = resend_for(key, double_.base_url);
    for (int i = 0; i < 2; i++) {
        /* the second domain reuses the failed listing: no new requests */
        BtCheck *check = bt_check_new("resend.domain", i ? "partial.example.org" : "verified.example.com");
        bt_resend_check_domain(rs, check->target, check, NULL);
        g_assert_cmpint(check->status, ==, BT_CHECK_ERROR);
        g_assert_nonnull(strstr(check->detail, "rate limit"));
        assert_no_key(key, check, NULL);
        bt_check_free(check);
    }
    g_assert_cmpuint(requests_for(key, "/domains?"), ==, 2);
}

/* Retry-After beyond the bound: no waiting, no retry. */
static void
test_rate_limited_long(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_429long");
    BtCheck *check = run_check(key, "verified.example.com", NULL);
    g_assert_cmpint(check->status, ==, BT_CHECK_ERROR);
    g_assert_cmpuint(requests_for(key, "/domains?"), ==, 1);
    bt_check_free(check);
}

static void
test_server_error(void)
{
    if (!need_double())
        return;
    assert_error("re_500", "verified.example.com", "HTTP 500: An unexpected error occurred");
}

static void
test_timeout(void)
{
    if (!need_double())
        return;
    g_autofree char *key = make_key("re_slow");
    g_autoptr(BtResend) rs = resend_for(key, double_.base_url);
    bt_resend_set_timeout(rs, 1);
    BtCheck *check = bt_check_new("resend.domain", "verified.example.com");
    bt_resend_check_domain(rs, "verified.example.com", check, NULL);
    g_assert_cmpint(check->status, ==, BT_CHECK_ERROR);
    g_assert_cmpstr(check->detail, ==, "Resend API did not answer listing domains within 1 s");
    bt_check_free(check);
}

/* A closed port: nothing listens on the double's port once a listener
 * bound there has gone, so borrow one from a socket we close. */
static void
test_unreachable(void)
{
    g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_assert_true(g_socket_bind(sock, any, FALSE, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sock, NULL);
    guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    g_socket_close(sock, NULL);

    g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u", port);
    g_autofree char *key = make_key("re_ok");
    g_autoptr(BtResend) rs = resend_for(key, url);
    BtCheck *check = bt_check_new("resend.domain", "verified.example.com");
    bt_resend_check_domain(rs, "verified.example.com", check, NULL);
    g_assert_cmpint(check->status, ==, BT_CHECK_ERROR);
    g_assert_true(g_str_has_prefix(check->detail, "Resend API unreachable (listing domains)"));
    assert_no_key(key, check, NULL);
    bt_check_free(check);
}

/* ---- configuration ------------------------------------------------------ */

static void
test_no_key(void)
{
    g_autoptr(BtResend) rs = resend_for(NULL, "https://api.resend.com");
    g_assert_false(bt_resend_has_key(rs));
    BtCheck *check = bt_check_new("resend.domain", "example.com");
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_resend_record_free);
    bt_resend_check_domain(rs, "example.com", check, records);
    g_assert_cmpint(check->status, ==, BT_CHECK_SKIPPED);
    g_assert_cmpstr(check->detail, ==, "RESEND_API_KEY is not set");
    g_assert_cmpuint(records->len, ==, 0);
    bt_check_free(check);

    g_setenv("RESEND_API_KEY", "", TRUE);
    g_autoptr(BtResend) empty = bt_resend_new(NULL);
    g_assert_nonnull(empty);
    g_assert_false(bt_resend_has_key(empty));
}

static void
test_base_url_rules(void)
{
    const char *allowed[] = {
        "https://api.resend.com", "https://example.com/", "https://example.com/proxy/resend",
        "http://127.0.0.1", "http://127.0.0.1:8025/", "http://127.1.2.3:80", "http://[::1]:9",
        "http://localhost:8080", "HTTP://LOCALHOST",
    };
    const char *refused[] = {
        "http://example.com", "http://api.resend.com", "http://10.0.0.1", "http://128.0.0.1",
        "http://127.0.0.1.example.com", "http://localhost.example.com", "http://[::2]",
        "ftp://127.0.0.1", "file:///etc/passwd", "api.resend.com", "https://user:pw@api.resend.com",
        "https://api.resend.com/?key=x", "http://0.0.0.0",
    };
    g_setenv("RESEND_API_KEY", "re_url_rules_SECRETKEY", TRUE);
    for (guint i = 0; i < G_N_ELEMENTS(allowed); i++) {
        g_setenv("RESEND_BASE_URL", allowed[i], TRUE);
        g_autoptr(GError) error = NULL;
        g_autoptr(BtResend) rs = bt_resend_new(&error);
        if (!rs)
            g_error("%s refused: %s", allowed[i], error->message);
    }
    for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_setenv("RESEND_BASE_URL", refused[i], TRUE);
        g_autoptr(GError) error = NULL;
        g_autoptr(BtResend) rs = bt_resend_new(&error);
        if (rs)
            g_error("%s accepted", refused[i]);
        g_assert_error(error, BT_ERROR, BT_ERROR_USAGE);
        g_assert_null(strstr(error->message, "SECRETKEY"));
    }
}

static void
test_bad_key(void)
{
    g_setenv("RESEND_BASE_URL", "https://api.resend.com", TRUE);
    g_setenv("RESEND_API_KEY", "re_abc\r\nX-Injected: 1", TRUE);
    g_autoptr(GError) error = NULL;
    g_autoptr(BtResend) rs = bt_resend_new(&error);
    g_assert_null(rs);
    g_assert_error(error, BT_ERROR, BT_ERROR_USAGE);
    g_assert_null(strstr(error->message, "re_abc"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    start_double();
    g_test_add_func("/resend/config/no-key", test_no_key);
    g_test_add_func("/resend/config/base-url", test_base_url_rules);
    g_test_add_func("/resend/config/bad-key", test_bad_key);
    g_test_add_func("/resend/domain/verified", test_verified);
    g_test_add_func("/resend/domain/partially-failed", test_partially_failed);
    g_test_add_func("/resend/domain/failed-last-page", test_failed_last_page);
    g_test_add_func("/resend/domain/pending-and-tracking", test_pending_and_tracking);
    g_test_add_func("/resend/domain/not-in-account", test_not_in_account);
    g_test_add_func("/resend/domain/cache", test_cache);
    g_test_add_func("/resend/error/401", test_unauthorized);
    g_test_add_func("/resend/error/403-redacted", test_forbidden_redacted);
    g_test_add_func("/resend/error/429-retry-once", test_rate_limited_then_ok);
    g_test_add_func("/resend/error/429", test_rate_limited);
    g_test_add_func("/resend/error/429-long", test_rate_limited_long);
    g_test_add_func("/resend/error/500", test_server_error);
    g_test_add_func("/resend/error/timeout", test_timeout);
    g_test_add_func("/resend/error/unreachable", test_unreachable);
    int rc = g_test_run();
    stop_double();
    return rc;
}
