/* checks — runs the checks that rules suggest: routes each to the DNS
 * checks or the Resend client, adds what the bounce itself shows (the
 * sending server's address, the returned message's DKIM and envelope
 * domains), and remembers each result so that a run of many bounces for
 * one domain asks the network once.  Nothing here runs unless --check
 * asked for it. */
#include "config.h"
#include "checks/checks.h"
#include "checks/dns.h"
#include "checks/resend.h"

#include <arpa/nameser.h>
#include <string.h>

#define DEFAULT_TIMEOUT 4.0
#define DEFAULT_TRIES 2

struct _BtChecker {
    double timeout;
    BtResolver *dns;          /* NULL: dns.* not asked for */
    BtResend *resend;         /* NULL: resend.* not asked for */
    gboolean want_resend;
    GHashTable *results;      /* check key -> BtCheck* as it came out */
    GRegex *client_ip;        /* finds the sending server's address in a diagnostic */
};

BtChecker *
bt_checker_new(const BtCheckOptions *opts, GError **error)
{
    g_autoptr(BtChecker) ck = g_new0(BtChecker, 1);
    ck->timeout = opts->dns_timeout > 0 ? opts->dns_timeout : DEFAULT_TIMEOUT;
    ck->results = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) bt_check_free);
    /* client-ip=ADDR (Authentication-Results, SPF texts), ip: ADDR, or an
     * address in brackets that does not follow a host name ("host mx.x[ADDR]"
     * is the receiving server). */
    ck->client_ip = g_regex_new("(?:client-ip=|\\bip[:=]\\s*\\[?|(?:^|[^\\w.\\-])\\[(?:IPv6:)?)"
                                "([0-9]{1,3}(?:\\.[0-9]{1,3}){3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})",
                                G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
    if (opts->dns && !(ck->dns = bt_resolver_new(opts->nameserver, ck->timeout,
                                                 opts->dns_tries > 0 ? opts->dns_tries : DEFAULT_TRIES, error)))
        return NULL;
    ck->want_resend = opts->resend;
    if (opts->resend && !(ck->resend = bt_resend_new(error)))
        return NULL;
    return g_steal_pointer(&ck);
}

void
bt_checker_free(BtChecker *ck)
{
    if (!ck)
        return;
    bt_resolver_free(ck->dns);
    bt_resend_free(ck->resend);
    if (ck->results)
        g_hash_table_unref(ck->results);
    if (ck->client_ip)
        g_regex_unref(ck->client_ip);
    g_free(ck);
}

/* ---- Resend -------------------------------------------------------------- */

/* Does DNS serve the value Resend expects at the record's name? */
static gboolean
dns_serves(BtResolver *r, const BtResendRecord *rec)
{
    int type = g_ascii_strcasecmp(rec->type, "MX") == 0 ? T_MX
             : g_ascii_strcasecmp(rec->type, "CNAME") == 0 ? T_CNAME : T_TXT;
    const BtDnsAnswer *a = bt_resolver_query(r, rec->name, type);
    for (guint i = 0; a->status == BT_DNS_OK && i < a->records->len; i++) {
        BtDnsRecord *rr = a->records->pdata[i];
        g_autofree char *want = g_ascii_strdown(rec->value, -1);
        g_autofree char *have = g_ascii_strdown(rr->data, -1);
        g_strchomp(want);
        if (rr->type == type && (g_str_equal(want, have) ||
                                 (g_str_has_suffix(want, ".") && g_str_has_prefix(want, have))))
            return TRUE;
    }
    return FALSE;
}

static char *
publish_line(const BtResendRecord *rec)
{
    if (g_ascii_strcasecmp(rec->type, "TXT") == 0) {
        g_autofree char *quoted = bt_dns_quote_txt(rec->value);
        return g_strdup_printf("%s. TXT %s", rec->name, quoted);
    }
    if (g_ascii_strcasecmp(rec->type, "MX") == 0)
        return g_strdup_printf("%s. MX %d %s", rec->name, rec->priority, rec->value);
    return g_strdup_printf("%s. %s %s", rec->name, rec->type, rec->value);
}

/* The records Resend still waits for: a line to publish each, and with
 * --check=dns whether DNS already serves them. */
static void
compare_resend_records(BtChecker *ck, BtCheck *check, GPtrArray *expected)
{
    g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < expected->len; i++) {
        const BtResendRecord *rec = expected->pdata[i];
        if (!rec->name || !rec->type || !rec->value)
            continue;
        gboolean verified = g_strcmp0(rec->status, "verified") == 0;
        gboolean served = ck->dns && dns_serves(ck->dns, rec);
        if (verified && (served || !ck->dns))
            continue;
        g_autofree char *line = publish_line(rec);
        bt_dns_add_publish(check, line);
        if (ck->dns && !served)
            g_ptr_array_add(missing, g_strdup_printf("%s%s%s %s", rec->record ? rec->record : "",
                                                     rec->record ? " " : "", rec->type, rec->name));
    }
    if (missing->len == 0)
        return;
    g_ptr_array_add(missing, NULL);
    g_autofree char *list = g_strjoinv(", ", (char **) missing->pdata);
    char *detail = g_strdup_printf("%s%sDNS does not serve what Resend expects for %s", check->detail ? check->detail : "",
                                   check->detail ? "; " : "", list);
    g_free(check->detail);
    check->detail = detail;
    if (check->status == BT_CHECK_OK)
        check->status = BT_CHECK_PROBLEM;
}

static void
run_resend(BtChecker *ck, BtCheck *check)
{
    g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func((GDestroyNotify) bt_resend_record_free);
    bt_resend_check_domain(ck->resend, check->target, check, expected);
    if (check->status == BT_CHECK_OK || check->status == BT_CHECK_PROBLEM)
        compare_resend_records(ck, check, expected);
}

/* ---- one check ------------------------------------------------------------- */

static void
skip(BtCheck *check, const char *why)
{
    check->status = BT_CHECK_SKIPPED;
    bt_set_str(&check->detail, why);
}

static void
dispatch(BtChecker *ck, BtCheck *check)
{
    if (g_str_has_prefix(check->name, "dns.")) {
        if (!ck->dns)
            return skip(check, "DNS checks were not asked for (--check=dns)");
        bt_resolver_set_deadline(ck->dns, g_get_monotonic_time() + (gint64) (ck->timeout * G_USEC_PER_SEC));
        if (g_str_equal(check->name, "dns.mx"))
            bt_dns_check_mx(ck->dns, check);
        else if (g_str_equal(check->name, "dns.spf"))
            bt_dns_check_spf(ck->dns, check);
        else if (g_str_equal(check->name, "dns.dkim"))
            bt_dns_check_dkim(ck->dns, check);
        else if (g_str_equal(check->name, "dns.dmarc"))
            bt_dns_check_dmarc(ck->dns, check);
        else
            skip(check, "this version has no such DNS check");
        bt_resolver_set_deadline(ck->dns, 0);
    } else if (g_str_equal(check->name, "resend.domain")) {
        if (!ck->want_resend)
            return skip(check, "Resend checks were not asked for (--check=resend)");
        run_resend(ck, check);
    } else {
        skip(check, "this version has no such check");
    }
}

/* name, target and the arguments in a stable order: what makes two checks
 * the same question. */
static char *
check_key(const BtCheck *check)
{
    g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(check->args), (GCompareFunc) strcmp);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s\x1f%s", check->name, check->target);
    for (GList *k = keys; k; k = k->next)
        g_string_append_printf(s, "\x1f%s=%s", (char *) k->data, (char *) g_hash_table_lookup(check->args, k->data));
    return g_string_free(s, FALSE);
}

static void
copy_result(BtCheck *to, const BtCheck *from)
{
    to->status = from->status;
    bt_set_str(&to->detail, from->detail);
    bt_set_str(&to->target, from->target);
    const char *publish = g_hash_table_lookup(from->args, "publish");
    if (publish)
        g_hash_table_insert(to->args, g_strdup("publish"), g_strdup(publish));
}

static void
run_check(BtChecker *ck, BtCheck *check)
{
    g_autofree char *key = check_key(check);
    const BtCheck *seen = g_hash_table_lookup(ck->results, key);
    if (seen) {
        copy_result(check, seen);
        return;
    }
    dispatch(ck, check);
    BtCheck *copy = bt_check_new(check->name, check->target);
    copy_result(copy, check);
    g_hash_table_insert(ck->results, g_steal_pointer(&key), copy);
}

/* ---- what the bounce shows -------------------------------------------------- */

static void
set_arg(BtCheck *check, const char *name, const char *value)
{
    if (value && *value && !g_hash_table_contains(check->args, name))
        g_hash_table_insert(check->args, g_strdup(name), g_strdup(value));
}

/* The sending server's address as the receiver quoted it, or NULL. */
static char *
client_ip(BtChecker *ck, const char *diagnostic)
{
    g_autoptr(GMatchInfo) m = NULL;
    if (!diagnostic || !g_regex_match(ck->client_ip, diagnostic, 0, &m))
        return NULL;
    for (; g_match_info_matches(m); g_match_info_next(m, NULL)) {
        g_autofree char *ip = g_match_info_fetch(m, 1);
        g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(ip);
        if (addr && !g_inet_address_get_is_loopback(addr) && !g_inet_address_get_is_any(addr))
            return g_steal_pointer(&ip);
    }
    return NULL;
}

/* One tag of a DKIM-Signature field value ("v=1; a=rsa-sha256; d=…; s=…"). */
static char *
signature_tag(const char *signature, const char *tag)
{
    if (!signature)
        return NULL;
    g_autofree char *error = NULL;
    g_autoptr(GHashTable) tags = bt_dns_parse_tags(signature, &error);
    const char *v = tags ? g_hash_table_lookup(tags, tag) : NULL;
    return v && *v ? g_ascii_strdown(v, -1) : NULL;
}

static const char *
address_domain(const char *address)
{
    const char *at = address ? strrchr(address, '@') : NULL;
    return at && at[1] ? at + 1 : NULL;
}

/* Adds what the bounce shows to the arguments of the checks that use it. */
static void
add_hints(BtChecker *ck, const BtBounce *bounce, BtRecord *rec)
{
    g_autofree char *ip = client_ip(ck, rec->diagnosticcode);
    g_autofree char *selector = signature_tag(bounce->dkim_signature, "s");
    g_autofree char *signer = signature_tag(bounce->dkim_signature, "d");
    g_autofree char *envelope = bounce->return_path ? g_ascii_strdown(bounce->return_path, -1) : NULL;
    for (guint i = 0; i < rec->checks->len; i++) {
        BtCheck *check = rec->checks->pdata[i];
        if (g_str_equal(check->name, "dns.spf")) {
            set_arg(check, "ip", ip);
        } else if (g_str_equal(check->name, "dns.dkim") && selector && signer) {
            set_arg(check, "selector", selector);
            set_arg(check, "dkim-domain", signer);
        } else if (g_str_equal(check->name, "dns.dmarc")) {
            set_arg(check, "dkim-domain", signer);
            set_arg(check, "spf-domain", address_domain(envelope));
        }
    }
}

/* In a record the detail is all a person sees: name the record to publish
 * there too. */
static void
append_publish(BtCheck *check)
{
    const char *publish = g_hash_table_lookup(check->args, "publish");
    if (!publish || (check->status != BT_CHECK_PROBLEM && check->status != BT_CHECK_OK))
        return;
    g_autofree char *one_line = g_strdup(publish);
    g_strdelimit(one_line, "\n", ' ');
    char *detail = g_strdup_printf("%s; publish: %s", check->detail ? check->detail : "", one_line);
    g_free(check->detail);
    check->detail = detail;
}

void
bt_checker_run(BtChecker *ck, BtBounce *bounce)
{
    for (guint r = 0; bounce->records && r < bounce->records->len; r++) {
        BtRecord *rec = bounce->records->pdata[r];
        add_hints(ck, bounce, rec);
        for (guint i = 0; i < rec->checks->len; i++) {
            run_check(ck, rec->checks->pdata[i]);
            append_publish(rec->checks->pdata[i]);
        }
    }
}

void
bt_checker_check_domain(BtChecker *ck, const char *domain, GPtrArray *checks)
{
    static const char *const dns_checks[] = { "dns.mx", "dns.spf", "dns.dkim", "dns.dmarc" };
    if (ck->dns) {
        for (gsize i = 0; i < G_N_ELEMENTS(dns_checks); i++) {
            BtCheck *check = bt_check_new(dns_checks[i], domain);
            run_check(ck, check);
            g_ptr_array_add(checks, check);
        }
    }
    if (ck->want_resend) {
        BtCheck *check = bt_check_new("resend.domain", domain);
        run_check(ck, check);
        g_ptr_array_add(checks, check);
    }
}
