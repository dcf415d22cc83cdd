/* fuzz target "dns": the DNS answer parsing of the checks (any bytes as a
 * DNS message, as c-ares hands it over) and the four checks judging what it
 * says.  The parsed answer is given to the resolver as the answer to every
 * question of every type, and its deadline is in the past, so nothing goes
 * to the network: MX hosts, SPF includes and redirects, DKIM keys and DMARC
 * policies all come from the fuzzer's bytes. */
#include "fuzz.h"
#include "checks/dns.h"

#include <ares.h>
#include <arpa/nameser.h>

static void
run_check(BtResolver *r, const char *name, const char *target, const char *const *args,
          void (*check_fn)(BtResolver *, BtCheck *))
{
    BtCheck *check = bt_check_new(name, target);
    for (; args && args[0]; args += 2)
        g_hash_table_insert(check->args, g_strdup(args[0]), g_strdup(args[1]));
    check_fn(r, check);
    /* a verdict, in words, as valid UTF-8 whatever bytes DNS served */
    const char *publish = g_hash_table_lookup(check->args, "publish");
    if (check->status == BT_CHECK_SUGGESTED || !check->detail
        || !g_utf8_validate(check->detail, -1, NULL)
        || (publish && !g_utf8_validate(publish, -1, NULL)))
        abort();
    bt_check_free(check);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_glib();
    if (size > 65535)
        return 0;   /* no DNS message is longer */
    g_autoptr(BtResolver) r = bt_resolver_new(NULL, 1.0, 1, NULL);
    if (!r)
        abort();
    bt_resolver_set_deadline(r, 1);   /* long past: a question not preloaded fails at once */
    const int types[] = { T_A, T_AAAA, T_MX, T_TXT, T_CNAME };
    for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
        bt_resolver_preload(r, NULL, types[i], bt_dns_answer_from_wire(ARES_SUCCESS, data, (int) size));

    const char *mx[] = { "expect", "mx*.example.net", NULL };
    const char *spf[] = { "include", "_spf.example.net", "ip", "192.0.2.1", NULL };
    const char *spf6[] = { "ip", "2001:db8::1", NULL };
    const char *dkim[] = { "selector", "s1", "dkim-domain", "example.com", NULL };
    const char *dmarc[] = { "spf-domain", "mail.example.com", "dkim-domain", "example.com", NULL };
    run_check(r, "dns.mx", "example.com", mx, bt_dns_check_mx);
    run_check(r, "dns.spf", "example.com", spf, bt_dns_check_spf);
    run_check(r, "dns.spf", "example.com", spf6, bt_dns_check_spf);
    run_check(r, "dns.dkim", "example.com", dkim, bt_dns_check_dkim);
    run_check(r, "dns.dkim", "example.com", NULL, bt_dns_check_dkim);
    run_check(r, "dns.dmarc", "www.example.com", dmarc, bt_dns_check_dmarc);
    return 0;
}
