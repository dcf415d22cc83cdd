/* test-dns — the DNS checks against a real name server: dnsmasq serving
 * tests/data/dns/zone.conf on a loopback port the test picks, started
 * before the cases and stopped after.  Each problem kind the checks know
 * has a case here; without dnsmasq every case is skipped. */
#include "config.h"
#include "checks/checks.h"
#include "checks/dns.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

static GSubprocess *server;
static char *server_addr;      /* "127.0.0.1:PORT" */
static char *query_log;

/* ---- the server ------------------------------------------------------------ */

/* A UDP port nobody uses now (bound, then released). */
static guint16
free_port(GSocket **keep)
{
    g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_assert_true(g_socket_bind(sock, any, FALSE, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sock, NULL);
    guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    if (keep)
        *keep = g_steal_pointer(&sock);
    return port;
}

static char *
fixture_path(void)
{
    const char *srcdir = g_getenv("BT_SRCDIR");
    return g_build_filename(srcdir ? srcdir : BT_ABS_SRCDIR, "tests", "data", "dns", "zone.conf", NULL);
}

static char *
find_dnsmasq(void)
{
    char *path = g_find_program_in_path("dnsmasq");
    if (!path && g_file_test("/usr/sbin/dnsmasq", G_FILE_TEST_IS_EXECUTABLE))
        path = g_strdup("/usr/sbin/dnsmasq");
    return path;
}

/* Waits until the server answers (it binds its port a moment after start).
 * Before it has, a query fails at once (port unreachable), so the tries are
 * paced, up to about ten seconds in all. */
static gboolean
server_ready(void)
{
    for (int i = 0; i < 50; i++) {
        g_autoptr(BtResolver) r = bt_resolver_new(server_addr, 0.2, 1, NULL);
        if (bt_resolver_query(r, "good.test", 15)->status == BT_DNS_OK)
            return TRUE;
        g_usleep(G_USEC_PER_SEC / 5);
    }
    return FALSE;
}

static gboolean
start_server(const char *tmpdir)
{
    g_autofree char *dnsmasq = find_dnsmasq();
    if (!dnsmasq)
        return FALSE;
    g_autofree char *conf = fixture_path();
    guint16 port = free_port(NULL);
    server_addr = g_strdup_printf("127.0.0.1:%u", port);
    query_log = g_build_filename(tmpdir, "queries.log", NULL);
    g_autofree char *port_arg = g_strdup_printf("--port=%u", port);
    g_autofree char *conf_arg = g_strdup_printf("--conf-file=%s", conf);
    g_autofree char *log_arg = g_strdup_printf("--log-facility=%s", query_log);
    g_autofree char *user_arg = g_strdup_printf("--user=%s", g_get_user_name());
    g_autoptr(GError) error = NULL;
    server = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                              dnsmasq, "--keep-in-foreground", conf_arg, port_arg, "--listen-address=127.0.0.1",
                              "--bind-interfaces", "--pid-file=", user_arg, "--log-queries", log_arg, NULL);
    if (!server) {
        g_printerr("# dnsmasq did not start: %s\n", error->message);
        return FALSE;
    }
    return server_ready();
}

static void
stop_server(void)
{
    if (!server)
        return;
    g_subprocess_send_signal(server, SIGTERM);
    g_subprocess_wait(server, NULL, NULL);
    g_clear_object(&server);
}

/* ---- helpers ------------------------------------------------------------------- */

static BtResolver *
resolver(void)
{
    g_autoptr(GError) error = NULL;
    BtResolver *r = bt_resolver_new(server_addr, 3.0, 2, &error);
    g_assert_no_error(error);
    return r;
}

/* Runs check `name` on `target` with NULL-terminated key, value argument
 * pairs; returns it for the assertions. */
static BtCheck *
run(const char *name, const char *target, ...)
{
    if (!server) {
        g_test_skip("dnsmasq is not installed (or did not start)");
        return NULL;
    }
    BtCheck *check = bt_check_new(name, target);
    va_list ap;
    va_start(ap, target);
    for (const char *k; (k = va_arg(ap, const char *));)
        g_hash_table_insert(check->args, g_strdup(k), g_strdup(va_arg(ap, const char *)));
    va_end(ap);
    g_autoptr(BtResolver) r = resolver();
    if (g_str_equal(name, "dns.mx"))
        bt_dns_check_mx(r, check);
    else if (g_str_equal(name, "dns.spf"))
        bt_dns_check_spf(r, check);
    else if (g_str_equal(name, "dns.dkim"))
        bt_dns_check_dkim(r, check);
    else
        bt_dns_check_dmarc(r, check);
    g_test_message("%s %s: %s: %s", name, target, bt_check_status_name(check->status), check->detail);
    return check;
}

#define assert_check(c, want, fragment) G_STMT_START {                      \
        if (c) {                                                              \
            g_assert_cmpstr(bt_check_status_name((c)->status), ==,            \
                            bt_check_status_name(want));                      \
            g_assert_nonnull(strstr((c)->detail, (fragment)));                \
        }                                                                     \
    } G_STMT_END

/* Without a server, run() marks the test skipped and the test ends there. */
#define CHECK(var, ...) g_autoptr(BtCheck) var = run(__VA_ARGS__); if (!var) return
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtCheck, bt_check_free)

static const char *
publish_of(const BtCheck *check)
{
    return check ? g_hash_table_lookup(check->args, "publish") : NULL;
}

/* ---- MX ------------------------------------------------------------------------ */

static void
test_mx(void)
{
    CHECK(good, "dns.mx", "good.test", NULL);
    assert_check(good, BT_CHECK_OK, "mx1.good.test (10), mx2.good.test (20)");
    CHECK(nx, "dns.mx", "missing.test", NULL);
    assert_check(nx, BT_CHECK_PROBLEM, "NXDOMAIN");
    CHECK(none, "dns.mx", "nomx.test", NULL);
    assert_check(none, BT_CHECK_PROBLEM, "no MX record; senders fall back to its A record");
    CHECK(null, "dns.mx", "nullmx.test", NULL);
    assert_check(null, BT_CHECK_PROBLEM, "null MX");
    CHECK(cname, "dns.mx", "cname-mx.test", NULL);
    assert_check(cname, BT_CHECK_PROBLEM, "mail.cname-mx.test is an alias (CNAME) for real.cname-mx.test");
    CHECK(ip, "dns.mx", "ipmx.test", NULL);
    assert_check(ip, BT_CHECK_PROBLEM, "MX host 192.0.2.22 is an IP address");
    CHECK(noaddr, "dns.mx", "noaddr-mx.test", NULL);
    assert_check(noaddr, BT_CHECK_PROBLEM, "mx.noaddr-mx.test has no address");
}

static void
test_mx_expect(void)
{
    const char *alimail = "mx*.qiye.aliyun.test mx*.sg.aliyun.test";
    CHECK(hit, "dns.mx", "provider-mx.test", "expect", alimail, NULL);
    assert_check(hit, BT_CHECK_OK, "mx1.qiye.aliyun.test");
    CHECK(miss, "dns.mx", "good.test", "expect", alimail, NULL);
    assert_check(miss, BT_CHECK_PROBLEM, "none of the MX hosts matches");
    assert_check(miss, BT_CHECK_PROBLEM, "MX found: mx1.good.test (10), mx2.good.test (20)");
}

/* ---- SPF ------------------------------------------------------------------------- */

static void
test_spf_record(void)
{
    CHECK(good, "dns.spf", "good.test", NULL);
    assert_check(good, BT_CHECK_OK, "1 of 10 DNS lookups");
    CHECK(none, "dns.spf", "nomx.test", "include", "_spf.provider.test", NULL);
    assert_check(none, BT_CHECK_PROBLEM, "no SPF record");
    g_assert_cmpstr(publish_of(none), ==, "nomx.test. TXT \"v=spf1 include:_spf.provider.test ~all\"");
    CHECK(two, "dns.spf", "twospf.test", NULL);
    assert_check(two, BT_CHECK_PROBLEM, "2 SPF records");
    if (two) {
        g_assert_nonnull(strstr(publish_of(two), "ip4:192.0.2.1"));
        g_assert_nonnull(strstr(publish_of(two), "include:_spf.provider.test"));
    }
    CHECK(syntax, "dns.spf", "syntax.test", NULL);
    assert_check(syntax, BT_CHECK_PROBLEM, "'ip4:300.1.1.1' is not a valid SPF term");
    CHECK(plus, "dns.spf", "plusall.test", NULL);
    assert_check(plus, BT_CHECK_PROBLEM, "+all");
    g_assert_cmpstr(publish_of(plus), ==, "plusall.test. TXT \"v=spf1 ip4:192.0.2.0/24 ~all\"");
    CHECK(badinc, "dns.spf", "badinclude.test", NULL);
    assert_check(badinc, BT_CHECK_PROBLEM, "include:nospf.test names a domain without an SPF record");
    CHECK(redirect, "dns.spf", "redirect.test", NULL);
    assert_check(redirect, BT_CHECK_OK, "1 of 10");
}

static void
test_spf_limits(void)
{
    CHECK(many, "dns.spf", "toomany.test", NULL);
    assert_check(many, BT_CHECK_PROBLEM, "more than 10 DNS-querying terms");
    CHECK(chain, "dns.spf", "chain.test", NULL);
    assert_check(chain, BT_CHECK_OK, "4 of 10");
    CHECK(voids, "dns.spf", "voids.test", NULL);
    assert_check(voids, BT_CHECK_PROBLEM, "more than 2 lookups found nothing");
    CHECK(two_voids, "dns.spf", "twovoids.test", NULL);
    assert_check(two_voids, BT_CHECK_OK, "2 of 10");
}

static void
test_spf_expected_include(void)
{
    CHECK(found, "dns.spf", "chain.test", "include", "x.test b.chain.test", NULL);
    assert_check(found, BT_CHECK_OK, "one SPF record");
    CHECK(missing, "dns.spf", "good.test", "include", "aliyun-inc.test spf.qiye.aliyun.test", NULL);
    assert_check(missing, BT_CHECK_PROBLEM, "includes none of aliyun-inc.test spf.qiye.aliyun.test "
                                            "(it includes: _spf.provider.test)");
    g_assert_cmpstr(publish_of(missing), ==, "good.test. TXT \"v=spf1 ip4:192.0.2.0/24 "
                                             "include:_spf.provider.test include:aliyun-inc.test ~all\"");
}

static BtSpfResult
evaluate(const char *ip, const char *domain)
{
    g_autoptr(BtResolver) r = resolver();
    BtSpfOutcome o;
    bt_spf_check_host(r, ip, domain, &o);
    BtSpfResult result = o.result;
    g_test_message("check_host(%s, %s) = %s (%s)", ip, domain, bt_spf_result_name(result), o.why);
    bt_spf_outcome_clear(&o);
    return result;
}

static void
test_spf_evaluate(void)
{
    if (!server)
        return g_test_skip("dnsmasq is not installed (or did not start)");
    g_assert_cmpint(evaluate("203.0.113.5", "chain.test"), ==, BT_SPF_PASS);     /* ip4 two includes down */
    g_assert_cmpint(evaluate("203.0.114.7", "chain.test"), ==, BT_SPF_PASS);     /* a: */
    g_assert_cmpint(evaluate("203.0.115.9", "chain.test"), ==, BT_SPF_PASS);     /* mx: */
    g_assert_cmpint(evaluate("198.18.0.1", "chain.test"), ==, BT_SPF_SOFTFAIL);  /* the top's ~all */
    g_assert_cmpint(evaluate("2001:db8::25", "good.test"), ==, BT_SPF_PASS);     /* ip6 in an include */
    g_assert_cmpint(evaluate("198.18.0.1", "_spf.provider.test"), ==, BT_SPF_FAIL);
    g_assert_cmpint(evaluate("198.51.100.7", "redirect.test"), ==, BT_SPF_PASS);
    g_assert_cmpint(evaluate("198.18.0.1", "plusall.test"), ==, BT_SPF_PASS);
    g_assert_cmpint(evaluate("198.18.0.1", "nomx.test"), ==, BT_SPF_NONE);
    g_assert_cmpint(evaluate("198.18.0.1", "twospf.test"), ==, BT_SPF_PERMERROR);
    g_assert_cmpint(evaluate("192.0.2.31", "toomany.test"), ==, BT_SPF_PASS);    /* matched before the limit */
    g_assert_cmpint(evaluate("198.18.0.1", "toomany.test"), ==, BT_SPF_PERMERROR);

    CHECK(sender_ok, "dns.spf", "chain.test", "ip", "203.0.113.5", NULL);
    assert_check(sender_ok, BT_CHECK_OK, "SPF passes for the sending server 203.0.113.5");
    CHECK(sender_bad, "dns.spf", "chain.test", "ip", "198.18.0.1", NULL);
    assert_check(sender_bad, BT_CHECK_PROBLEM, "SPF gives 'softfail' for the sending server 198.18.0.1");
}

/* ---- DKIM ------------------------------------------------------------------------- */

static void
test_dkim(void)
{
    CHECK(good, "dns.dkim", "dkim.test", "selector", "good", NULL);
    assert_check(good, BT_CHECK_OK, "RSA 2048-bit key");
    if (good)
        g_assert_cmpstr(good->target, ==, "good._domainkey.dkim.test");
    CHECK(pkcs1, "dns.dkim", "dkim.test", "selector", "pkcs1", NULL);
    assert_check(pkcs1, BT_CHECK_OK, "RSA 2048-bit key");
    CHECK(revoked, "dns.dkim", "dkim.test", "selector", "revoked", NULL);
    assert_check(revoked, BT_CHECK_PROBLEM, "revoked (empty p=)");
    CHECK(shortkey, "dns.dkim", "dkim.test", "selector", "short", NULL);
    assert_check(shortkey, BT_CHECK_PROBLEM, "is 512 bits");
    CHECK(garbled, "dns.dkim", "dkim.test", "selector", "garbled", NULL);
    assert_check(garbled, BT_CHECK_PROBLEM, "not valid base64");
    CHECK(notags, "dns.dkim", "dkim.test", "selector", "notags", NULL);
    assert_check(notags, BT_CHECK_PROBLEM, "does not parse");
    CHECK(missing, "dns.dkim", "dkim.test", "selector", "nothere", NULL);
    assert_check(missing, BT_CHECK_PROBLEM, "no DKIM key at nothere._domainkey.dkim.test");
    /* the signature's d= wins over the rule's domain */
    CHECK(signer, "dns.dkim", "other.test", "selector", "good", "dkim-domain", "dkim.test", NULL);
    assert_check(signer, BT_CHECK_OK, "good._domainkey.dkim.test");
    CHECK(guessed, "dns.dkim", "guess.test", NULL);
    assert_check(guessed, BT_CHECK_OK, "selector1._domainkey.guess.test");
    CHECK(unknown, "dns.dkim", "good.test", "selector", "", NULL);
    assert_check(unknown, BT_CHECK_OK, "default._domainkey.good.test");
}

static void
test_dkim_der(void)
{
    /* a 1024-bit modulus with a leading zero byte, as DER INTEGERs carry it */
    guint8 pkcs1[138] = { 0x30, 0x81, 0x87, 0x02, 0x81, 0x81, 0x00, 0xc1 };
    pkcs1[135] = 0x02;
    pkcs1[136] = 0x01;
    pkcs1[137] = 0x03;
    g_assert_cmpuint(bt_dkim_rsa_bits(pkcs1, sizeof pkcs1), ==, 1024);
    g_assert_cmpuint(bt_dkim_rsa_bits(pkcs1, 20), ==, 0);          /* cut short */
    g_assert_cmpuint(bt_dkim_rsa_bits((const guint8 *) "\x04\x01\x00", 3), ==, 0);
}

/* ---- DMARC -------------------------------------------------------------------------- */

static void
test_dmarc(void)
{
    CHECK(good, "dns.dmarc", "good.test", NULL);
    assert_check(good, BT_CHECK_OK, "p=reject at _dmarc.good.test");
    CHECK(none, "dns.dmarc", "pnone.test", NULL);
    assert_check(none, BT_CHECK_PROBLEM, "p=none");
    g_assert_cmpstr(publish_of(none), ==, "_dmarc.pnone.test. TXT \"v=DMARC1; p=quarantine; rua=mailto:d@pnone.test\"");
    CHECK(org, "dns.dmarc", "sub.orgdmarc.test", NULL);
    assert_check(org, BT_CHECK_OK, "inherited policy p=quarantine at _dmarc.orgdmarc.test");
    CHECK(missing, "dns.dmarc", "sub.nodmarc.test", NULL);
    assert_check(missing, BT_CHECK_PROBLEM, "no DMARC record at _dmarc.sub.nodmarc.test nor at _dmarc.nodmarc.test");
    CHECK(two, "dns.dmarc", "twodmarc.test", NULL);
    assert_check(two, BT_CHECK_PROBLEM, "2 DMARC records");
    CHECK(bad, "dns.dmarc", "baddmarc.test", NULL);
    assert_check(bad, BT_CHECK_PROBLEM, "p=maybe is not a policy");
}

static void
test_dmarc_alignment(void)
{
    CHECK(relaxed, "dns.dmarc", "good.test", "dkim-domain", "mail.good.test", "spf-domain", "bounces.esp.test", NULL);
    assert_check(relaxed, BT_CHECK_OK, "DKIM domain mail.good.test aligns (adkim=r)");
    CHECK(neither, "dns.dmarc", "good.test", "dkim-domain", "esp.test", "spf-domain", "bounces.esp.test", NULL);
    assert_check(neither, BT_CHECK_PROBLEM, "fails DMARC");
    CHECK(strict, "dns.dmarc", "strict.test", "dkim-domain", "mail.strict.test", NULL);
    assert_check(strict, BT_CHECK_PROBLEM, "DKIM domain mail.strict.test does not align (adkim=s)");
}

/* ---- the resolver and the checker ------------------------------------------------- */

static void
test_cache(void)
{
    if (!server)
        return g_test_skip("dnsmasq is not installed (or did not start)");
    g_autoptr(BtResolver) r = resolver();
    g_autoptr(BtCheck) a = bt_check_new("dns.spf", "chain.test");
    bt_dns_check_spf(r, a);
    guint sent = bt_resolver_sent(r);
    g_assert_cmpuint(sent, >, 3);
    g_autoptr(BtCheck) b = bt_check_new("dns.spf", "chain.test");
    bt_dns_check_spf(r, b);
    g_assert_cmpuint(bt_resolver_sent(r), ==, sent);
    g_assert_cmpstr(a->detail, ==, b->detail);
}

/* A server that reads and never answers: every DNS check is an error. */
static void
test_silent_server(void)
{
    g_autoptr(GSocket) silent = NULL;
    guint16 port = free_port(&silent);
    g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", port);
    BtCheckOptions opts = { .dns = TRUE, .nameserver = addr, .dns_timeout = 0.6, .dns_tries = 2 };
    g_autoptr(GError) error = NULL;
    g_autoptr(BtChecker) ck = bt_checker_new(&opts, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func((GDestroyNotify) bt_check_free);
    bt_checker_check_domain(ck, "good.test", checks);
    g_assert_cmpuint(checks->len, ==, 4);
    for (guint i = 0; i < checks->len; i++) {
        BtCheck *c = checks->pdata[i];
        g_test_message("%s: %s", c->name, c->detail);
        g_assert_cmpint(c->status, ==, BT_CHECK_ERROR);
    }
}

static void
test_bad_nameserver(void)
{
    g_autoptr(GError) error = NULL;
    BtCheckOptions opts = { .dns = TRUE, .nameserver = "127.0.0.1:notaport" };
    g_assert_null(bt_checker_new(&opts, &error));
    g_assert_error(error, BT_ERROR, BT_ERROR_USAGE);
}

/* A bounce's own facts reach the checks: the sending server's address,
 * the DKIM signature's s= and d=, the envelope domain. */
static void
test_checker_hints(void)
{
    if (!server)
        return g_test_skip("dnsmasq is not installed (or did not start)");
    BtCheckOptions opts = { .dns = TRUE, .nameserver = server_addr };
    g_autoptr(BtChecker) ck = bt_checker_new(&opts, NULL);
    g_autoptr(BtBounce) b = g_new0(BtBounce, 1);
    b->records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    b->dkim_signature = g_strdup("v=1; a=rsa-sha256; c=relaxed/relaxed; d=dkim.test; s=short; h=from; bh=x; b=y");
    b->return_path = g_strdup("bounce@esp.test");
    BtRecord *rec = bt_record_new();
    rec->diagnosticcode = g_strdup("host mx.example.test[192.0.2.200] said: 550 5.7.1 SPF: "
                                   "[198.18.0.1] is not allowed to send mail from chain.test");
    g_ptr_array_add(rec->checks, bt_check_new("dns.spf", "chain.test"));
    g_ptr_array_add(rec->checks, bt_check_new("dns.dkim", "chain.test"));
    g_ptr_array_add(rec->checks, bt_check_new("dns.dmarc", "good.test"));
    g_ptr_array_add(rec->checks, bt_check_new("resend.domain", "chain.test"));
    g_ptr_array_add(b->records, rec);
    bt_checker_run(ck, b);

    BtCheck *spf = rec->checks->pdata[0], *dkim = rec->checks->pdata[1];
    BtCheck *dmarc = rec->checks->pdata[2], *resend = rec->checks->pdata[3];
    g_assert_cmpstr(g_hash_table_lookup(spf->args, "ip"), ==, "198.18.0.1");
    assert_check(spf, BT_CHECK_PROBLEM, "softfail");
    g_assert_cmpstr(dkim->target, ==, "short._domainkey.dkim.test");
    assert_check(dkim, BT_CHECK_PROBLEM, "512 bits");
    assert_check(dmarc, BT_CHECK_PROBLEM, "DKIM domain dkim.test does not align");
    assert_check(dmarc, BT_CHECK_PROBLEM, "SPF domain esp.test does not align");
    assert_check(resend, BT_CHECK_SKIPPED, "--check=resend");
}

static void
test_client_ip_forms(void)
{
    if (!server)
        return g_test_skip("dnsmasq is not installed (or did not start)");
    static const struct { const char *diagnostic; const char *ip; } cases[] = {
        { "550 5.7.23 SPF validation failed for client-ip=203.0.113.9", "203.0.113.9" },
        { "550 5.7.1 Client host [2001:db8::7] blocked", "2001:db8::7" },
        { "550 5.7.1 Client host [IPv6:2001:db8::8] blocked", "2001:db8::8" },
        { "host mx.example.test[192.0.2.1] said: 550 5.7.1 rejected", NULL },
    };
    BtCheckOptions opts = { .dns = TRUE, .nameserver = server_addr };
    g_autoptr(BtChecker) ck = bt_checker_new(&opts, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(BtBounce) b = g_new0(BtBounce, 1);
        b->records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
        BtRecord *rec = bt_record_new();
        rec->diagnosticcode = g_strdup(cases[i].diagnostic);
        g_ptr_array_add(rec->checks, bt_check_new("dns.spf", "good.test"));
        g_ptr_array_add(b->records, rec);
        bt_checker_run(ck, b);
        g_assert_cmpstr(g_hash_table_lookup(((BtCheck *) rec->checks->pdata[0])->args, "ip"), ==, cases[i].ip);
    }
}

/* Without --check=dns nothing is asked: the checks are skipped. */
static void
test_not_asked(void)
{
    BtCheckOptions opts = { .resend = FALSE, .dns = FALSE, .nameserver = "127.0.0.1:9" };
    g_autoptr(BtChecker) ck = bt_checker_new(&opts, NULL);
    g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func((GDestroyNotify) bt_check_free);
    bt_checker_check_domain(ck, "good.test", checks);
    g_assert_cmpuint(checks->len, ==, 0);
    g_autoptr(BtBounce) b = g_new0(BtBounce, 1);
    b->records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    BtRecord *rec = bt_record_new();
    g_ptr_array_add(rec->checks, bt_check_new("dns.mx", "good.test"));
    g_ptr_array_add(b->records, rec);
    bt_checker_run(ck, b);
    assert_check(((BtCheck *) rec->checks->pdata[0]), BT_CHECK_SKIPPED, "--check=dns");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autofree char *tmpdir = g_dir_make_tmp("bt-dns-XXXXXX", NULL);
    if (!start_server(tmpdir))
        stop_server();
    g_test_add_func("/dns/mx", test_mx);
    g_test_add_func("/dns/mx/expect", test_mx_expect);
    g_test_add_func("/dns/spf/record", test_spf_record);
    g_test_add_func("/dns/spf/limits", test_spf_limits);
    g_test_add_func("/dns/spf/expected-include", test_spf_expected_include);
    g_test_add_func("/dns/spf/evaluate", test_spf_evaluate);
    g_test_add_func("/dns/dkim", test_dkim);
    g_test_add_func("/dns/dkim/der", test_dkim_der);
    g_test_add_func("/dns/dmarc", test_dmarc);
    g_test_add_func("/dns/dmarc/alignment", test_dmarc_alignment);
    g_test_add_func("/dns/cache", test_cache);
    g_test_add_func("/dns/silent-server", test_silent_server);
    g_test_add_func("/dns/bad-nameserver", test_bad_nameserver);
    g_test_add_func("/checker/hints", test_checker_hints);
    g_test_add_func("/checker/client-ip", test_client_ip_forms);
    g_test_add_func("/checker/not-asked", test_not_asked);
    int status = g_test_run();
    stop_server();
    if (query_log)
        g_unlink(query_log);
    g_rmdir(tmpdir);
    g_free(server_addr);
    g_free(query_log);
    return status;
}
