/* dns-dmarc — the dns.dmarc check (RFC 7489): the policy record at
 * _dmarc.domain, else at the organizational domain (the public suffix
 * list, libpsl); missing, several, unparsable, p=none; and, when the bounce
 * shows the returned message's SPF (envelope) and DKIM (d=) domains,
 * whether either aligns with the From domain as aspf/adkim ask. */
#include "config.h"
#include "checks/dns.h"

#include <arpa/nameser.h>
#include <libpsl.h>
#include <string.h>

static char *
org_domain(const char *domain)
{
    g_autofree char *lower = g_ascii_strdown(domain, -1);
    const char *org = psl_registrable_domain(psl_builtin(), lower);
    return g_strdup(org ? org : lower);
}

/* The DMARC records at _dmarc.domain (borrowed texts), or NULL with the
 * check set to an error. */
static GPtrArray *
fetch_records(BtResolver *r, BtCheck *check, const char *name)
{
    const BtDnsAnswer *a = bt_resolver_query(r, name, T_TXT);
    if (a->status == BT_DNS_FAIL) {
        bt_dns_set_result(check, BT_CHECK_ERROR, g_strdup_printf("TXT lookup for %s failed: %s", name, a->error));
        return NULL;
    }
    return bt_dns_txt_with_prefix(a, "v=DMARC1");
}

static gboolean
aligned(const char *a, const char *b, gboolean strict)
{
    if (strict)
        return g_ascii_strcasecmp(a, b) == 0;
    g_autofree char *oa = org_domain(a);
    g_autofree char *ob = org_domain(b);
    return g_ascii_strcasecmp(oa, ob) == 0;
}

/* Alignment of the identities the bounce showed; a note, and *bad when
 * neither aligns. */
static char *
judge_alignment(BtCheck *check, GHashTable *tags, gboolean *bad)
{
    const char *from = check->target;
    const char *spf = g_hash_table_lookup(check->args, "spf-domain");
    const char *dkim = g_hash_table_lookup(check->args, "dkim-domain");
    gboolean strict_spf = g_strcmp0(g_hash_table_lookup(tags, "aspf"), "s") == 0;
    gboolean strict_dkim = g_strcmp0(g_hash_table_lookup(tags, "adkim"), "s") == 0;
    spf = spf && *spf ? spf : NULL;
    dkim = dkim && *dkim ? dkim : NULL;
    if (!spf && !dkim)
        return NULL;
    gboolean spf_ok = spf && aligned(spf, from, strict_spf);
    gboolean dkim_ok = dkim && aligned(dkim, from, strict_dkim);
    GString *s = g_string_new(NULL);
    if (spf)
        g_string_append_printf(s, "SPF domain %s %s (aspf=%s)", spf, spf_ok ? "aligns" : "does not align",
                               strict_spf ? "s" : "r");
    if (dkim)
        g_string_append_printf(s, "%sDKIM domain %s %s (adkim=%s)", spf ? ", " : "", dkim,
                               dkim_ok ? "aligns" : "does not align", strict_dkim ? "s" : "r");
    g_string_append_printf(s, " with the From domain %s", from);
    *bad = !spf_ok && !dkim_ok;
    if (*bad)
        g_string_append(s, ": the message fails DMARC even where SPF or DKIM pass; sign with the "
                           "From domain (d=) or send from an envelope domain under it");
    return g_string_free(s, FALSE);
}

/* What is wrong with the tags, or NULL. */
static char *
syntax_problem(GHashTable *tags)
{
    static const char *const policies[] = { "none", "quarantine", "reject", NULL };
    const char *p = g_hash_table_lookup(tags, "p");
    const char *sp = g_hash_table_lookup(tags, "sp");
    if (!p)
        return g_strdup("the record has no p= policy");
    if (!g_strv_contains(policies, p))
        return g_strdup_printf("p=%s is not a policy (none, quarantine or reject)", p);
    if (sp && !g_strv_contains(policies, sp))
        return g_strdup_printf("sp=%s is not a policy (none, quarantine or reject)", sp);
    for (const char *const *t = (const char *const[]) { "adkim", "aspf", NULL }; *t; t++) {
        const char *v = g_hash_table_lookup(tags, *t);
        if (v && g_strcmp0(v, "r") != 0 && g_strcmp0(v, "s") != 0)
            return g_strdup_printf("%s=%s must be r or s", *t, v);
    }
    const char *pct = g_hash_table_lookup(tags, "pct");
    if (pct && (!g_ascii_isdigit(*pct) || atoi(pct) > 100))
        return g_strdup_printf("pct=%s must be 0 to 100", pct);
    return NULL;
}

static void
publish_policy(BtCheck *check, const char *domain, const char *record)
{
    g_autofree char *quoted = bt_dns_quote_txt(record);
    g_autofree char *line = g_strdup_printf("_dmarc.%s. TXT %s", domain, quoted);
    bt_dns_add_publish(check, line);
}

/* The record's text with p=none made p=quarantine.  A TXT record is bytes,
 * not UTF-8: the regex reads it raw, so a record with invalid UTF-8 is
 * still rewritten (GRegex fails on such text otherwise, fuzz-dns finding). */
static char *
stricter(const char *text)
{
    g_autoptr(GRegex) re = g_regex_new("(^|;)(\\s*)p\\s*=\\s*none", G_REGEX_CASELESS | G_REGEX_RAW, 0, NULL);
    char *fixed = g_regex_replace(re, text, -1, 0, "\\1\\2p=quarantine", 0, NULL);
    return fixed ? fixed : g_strdup(text);
}

static void
judge_record(BtCheck *check, const char *where, const char *text, gboolean inherited)
{
    g_autofree char *error = NULL;
    g_autoptr(GHashTable) tags = bt_dns_parse_tags(text, &error);
    g_autofree char *syntax = tags ? syntax_problem(tags) : g_steal_pointer(&error);
    if (syntax) {
        bt_dns_set_result(check, BT_CHECK_PROBLEM,
                          g_strdup_printf("the DMARC record at %s is invalid: %s (\"%s\")", where, syntax, text));
        return;
    }
    const char *policy = g_hash_table_lookup(tags, "p");
    if (inherited && g_hash_table_lookup(tags, "sp"))
        policy = g_hash_table_lookup(tags, "sp");
    gboolean bad = FALSE;
    g_autofree char *alignment = judge_alignment(check, tags, &bad);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s policy p=%s at %s", inherited ? "inherited" : "the", policy, where);
    if (g_str_equal(policy, "none")) {
        g_string_append(s, ": monitoring only, receivers are asked to take no action on mail that fails "
                           "DMARC; once the reports show your mail passes, move to p=quarantine");
        g_autofree char *fixed = stricter(text);
        publish_policy(check, strchr(where, '.') + 1, fixed);
        bad = TRUE;
    }
    if (alignment)
        g_string_append_printf(s, "; %s", alignment);
    bt_dns_set_result(check, bad ? BT_CHECK_PROBLEM : BT_CHECK_OK, g_string_free(s, FALSE));
}

void
bt_dns_check_dmarc(BtResolver *r, BtCheck *check)
{
    const char *domain = check->target;
    g_autofree char *name = g_strdup_printf("_dmarc.%s", domain);
    g_autoptr(GPtrArray) records = fetch_records(r, check, name);
    if (!records)
        return;
    g_autofree char *org = org_domain(domain);
    g_autofree char *org_name = g_strdup_printf("_dmarc.%s", org);
    gboolean inherited = FALSE;
    if (records->len == 0 && g_ascii_strcasecmp(org, domain) != 0) {
        g_ptr_array_unref(records);
        if (!(records = fetch_records(r, check, org_name)))
            return;
        inherited = TRUE;
    }
    const char *where = inherited ? org_name : name;
    if (records->len == 0) {
        g_autofree char *fixed = g_strdup_printf("v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@%s", org);
        publish_policy(check, domain, fixed);
        bt_dns_set_result(check, BT_CHECK_PROBLEM,
                          g_strdup_printf("no DMARC record at %s%s%s: large receivers (Gmail, Yahoo, "
                                          "Microsoft) require one from bulk senders", name,
                                          inherited || g_ascii_strcasecmp(org, domain) != 0 ? " nor at " : "",
                                          g_ascii_strcasecmp(org, domain) != 0 ? org_name : ""));
        return;
    }
    if (records->len > 1) {
        bt_dns_set_result(check, BT_CHECK_PROBLEM,
                          g_strdup_printf("%s has %u DMARC records; receivers then ignore them all "
                                          "(RFC 7489 §6.6.3): keep one", where, records->len));
        return;
    }
    judge_record(check, where, records->pdata[0], inherited);
}
