/* dns-mx — the dns.mx check: does the domain exist and name mail hosts that
 * a sending server can reach?  Problems: NXDOMAIN, no MX, a null MX
 * (RFC 7505), an MX host that is an alias (CNAME, RFC 2181 §10.3) or an IP
 * literal or has no address, and, with `expect`, hosts that are not the
 * ones the mail provider publishes. */
#include "config.h"
#include "checks/dns.h"

#include <arpa/nameser.h>
#include <string.h>

static gint
by_preference(gconstpointer a, gconstpointer b)
{
    const BtDnsRecord *x = *(BtDnsRecord *const *) a, *y = *(BtDnsRecord *const *) b;
    return x->preference - y->preference;
}

/* The MX records, most preferred first. */
static GPtrArray *
mx_hosts(const BtDnsAnswer *a)
{
    GPtrArray *hosts = g_ptr_array_new();
    for (guint i = 0; i < a->records->len; i++) {
        BtDnsRecord *rr = a->records->pdata[i];
        if (rr->type == T_MX)
            g_ptr_array_add(hosts, rr);
    }
    g_ptr_array_sort(hosts, by_preference);
    return hosts;
}

static gboolean
is_null_mx(GPtrArray *hosts)
{
    if (hosts->len != 1)
        return FALSE;
    BtDnsRecord *rr = hosts->pdata[0];
    return rr->data[0] == '\0' || g_str_equal(rr->data, ".");
}

static gboolean
looks_like_ip(const char *host)
{
    g_autofree char *bare = g_strdup(host);
    g_strstrip(bare);
    gsize n = strlen(bare);
    if (n && bare[n - 1] == '.')
        bare[n - 1] = '\0';
    g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(bare);
    return ip != NULL;
}

/* What is wrong with one MX host, or NULL; *failed when DNS did not say. */
static char *
host_problem(BtResolver *r, const char *host, gboolean *failed)
{
    if (looks_like_ip(host))
        return g_strdup_printf("MX host %s is an IP address; an MX must name a host (RFC 5321 §5.1)", host);
    const BtDnsAnswer *a = bt_resolver_query(r, host, T_A);
    if (a->status == BT_DNS_FAIL) {
        *failed = TRUE;
        return g_strdup_printf("the address lookup for MX host %s failed: %s", host, a->error);
    }
    for (guint i = 0; i < a->records->len; i++) {
        BtDnsRecord *rr = a->records->pdata[i];
        if (rr->type == T_CNAME && g_ascii_strcasecmp(rr->owner, host) == 0)
            return g_strdup_printf("MX host %s is an alias (CNAME) for %s; an MX must name the host "
                                   "itself (RFC 2181 §10.3)", host, rr->data);
    }
    if (a->status == BT_DNS_OK)
        return NULL;
    const BtDnsAnswer *aaaa = bt_resolver_query(r, host, T_AAAA);
    if (aaaa->status == BT_DNS_OK)
        return NULL;
    if (a->status == BT_DNS_NXDOMAIN)
        return g_strdup_printf("MX host %s does not exist (NXDOMAIN)", host);
    return g_strdup_printf("MX host %s has no address (no A or AAAA record)", host);
}

/* With `expect` (space-separated globs), the first host that matches, or NULL. */
static const char *
expected_host(GPtrArray *hosts, const char *expect)
{
    g_auto(GStrv) globs = g_strsplit_set(expect, " \t,", -1);
    for (guint i = 0; i < hosts->len; i++) {
        BtDnsRecord *rr = hosts->pdata[i];
        g_autofree char *host = g_ascii_strdown(rr->data, -1);
        for (char **g = globs; *g; g++) {
            g_autofree char *glob = g_ascii_strdown(*g, -1);
            if (*glob && g_pattern_match_simple(glob, host))
                return rr->data;
        }
    }
    return NULL;
}

static char *
host_list(GPtrArray *hosts)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < hosts->len; i++) {
        BtDnsRecord *rr = hosts->pdata[i];
        g_string_append_printf(s, "%s%s (%d)", i ? ", " : "", rr->data, rr->preference);
    }
    return g_string_free(s, FALSE);
}

static void
check_hosts(BtResolver *r, BtCheck *check, GPtrArray *hosts)
{
    const char *domain = check->target;
    const char *expect = g_hash_table_lookup(check->args, "expect");
    g_autofree char *list = host_list(hosts);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    guint failures = 0;
    for (guint i = 0; i < hosts->len; i++) {
        gboolean failed = FALSE;
        char *p = host_problem(r, ((BtDnsRecord *) hosts->pdata[i])->data, &failed);
        if (p)
            g_ptr_array_add(problems, p);
        failures += failed;
    }
    if (expect && *expect && !expected_host(hosts, expect))
        g_ptr_array_add(problems, g_strdup_printf("none of the MX hosts matches the expected '%s'", expect));
    if (problems->len == 0) {
        bt_dns_set_result(check, BT_CHECK_OK, g_strdup_printf("%s receives mail at %s", domain, list));
        return;
    }
    BtCheckStatus status = failures == problems->len ? BT_CHECK_ERROR : BT_CHECK_PROBLEM;
    g_ptr_array_add(problems, NULL);
    g_autofree char *joined = g_strjoinv("; ", (char **) problems->pdata);
    bt_dns_set_result(check, status, g_strdup_printf("%s; MX found: %s", joined, list));
}

void
bt_dns_check_mx(BtResolver *r, BtCheck *check)
{
    const char *domain = check->target;
    const BtDnsAnswer *a = bt_resolver_query(r, domain, T_MX);
    switch (a->status) {
    case BT_DNS_FAIL:
        bt_dns_set_result(check, BT_CHECK_ERROR, g_strdup_printf("MX lookup for %s failed: %s", domain, a->error));
        return;
    case BT_DNS_NXDOMAIN:
        bt_dns_set_result(check, BT_CHECK_PROBLEM,
                   g_strdup_printf("%s does not exist in DNS (NXDOMAIN): check the address for a typo", domain));
        return;
    default:
        break;
    }
    g_autoptr(GPtrArray) hosts = mx_hosts(a);
    if (hosts->len == 0) {
        const BtDnsAnswer *addr = bt_resolver_query(r, domain, T_A);
        bt_dns_set_result(check, BT_CHECK_PROBLEM,
                   g_strdup_printf("%s has no MX record%s", domain,
                                   addr->status == BT_DNS_OK
                                       ? "; senders fall back to its A record (RFC 5321 §5.1), which "
                                         "is rarely a mail server"
                                       : " and no address: it cannot receive mail"));
        return;
    }
    if (is_null_mx(hosts)) {
        bt_dns_set_result(check, BT_CHECK_PROBLEM,
                   g_strdup_printf("%s publishes a null MX (RFC 7505): it declares that it accepts "
                                   "no mail", domain));
        return;
    }
    check_hosts(r, check, hosts);
}
