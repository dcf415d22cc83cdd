/* dns-dkim — the dns.dkim check: the public key at selector._domainkey.domain
 * (RFC 6376 §3.6.1).  The selector and domain come from the returned
 * message's DKIM-Signature (s=, d=) or the rule's `selector` argument;
 * without either, a few selectors that mail services commonly use are
 * tried.  Problems: no key, a revoked key (empty p=), a record that does
 * not parse, an unknown key type, an RSA key under 1024 bits. */
#include "config.h"
#include "checks/dns.h"

#include <arpa/nameser.h>
#include <string.h>

#define MIN_RSA_BITS 1024

/* Tried in this order when nothing names the selector. */
static const char *const common_selectors[] = {
    "default", "selector1", "selector2", "google", "resend", "s1", "s2", "k1", "dkim", "mail",
};

/* ---- DER, just enough for an RSA public key ------------------------------ */

/* Reads one TLV; FALSE if it does not fit. */
static gboolean
der_next(const guint8 **p, const guint8 *end, guint8 *tag, const guint8 **value, gsize *len)
{
    if (end - *p < 2)
        return FALSE;
    *tag = *(*p)++;
    gsize n = *(*p)++;
    if (n & 0x80) {
        int bytes = n & 0x7f;
        if (bytes == 0 || bytes > 3 || end - *p < bytes)
            return FALSE;
        for (n = 0; bytes--; )
            n = n << 8 | *(*p)++;
    }
    if ((gsize) (end - *p) < n)
        return FALSE;
    *value = *p;
    *len = n;
    *p += n;
    return TRUE;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
static guint
rsa_public_key_bits(const guint8 *der, gsize len)
{
    const guint8 *p = der, *seq, *n;
    gsize seq_len, n_len;
    guint8 tag;
    if (!der_next(&p, der + len, &tag, &seq, &seq_len) || tag != 0x30)
        return 0;
    p = seq;
    if (!der_next(&p, seq + seq_len, &tag, &n, &n_len) || tag != 0x02)
        return 0;
    while (n_len > 0 && *n == 0)
        n++, n_len--;
    if (n_len == 0)
        return 0;
    guint bits = (guint) (n_len - 1) * 8;
    for (guint8 top = *n; top; top >>= 1)
        bits++;
    return bits;
}

guint
bt_dkim_rsa_bits(const guint8 *der, gsize len)
{
    /* SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING } */
    const guint8 *p = der, *spki, *alg, *bits;
    gsize spki_len, alg_len, bits_len;
    guint8 tag;
    if (!der_next(&p, der + len, &tag, &spki, &spki_len) || tag != 0x30)
        return 0;
    p = spki;
    if (!der_next(&p, spki + spki_len, &tag, &alg, &alg_len))
        return 0;
    if (tag == 0x02)                      /* a bare PKCS#1 RSAPublicKey */
        return rsa_public_key_bits(der, len);
    if (tag != 0x30 || !der_next(&p, spki + spki_len, &tag, &bits, &bits_len) || tag != 0x03 || bits_len < 2)
        return 0;
    return rsa_public_key_bits(bits + 1, bits_len - 1);   /* after the unused-bits byte */
}

/* ---- the record ----------------------------------------------------------- */

static gboolean
is_base64(const char *s)
{
    gsize n = strlen(s);
    if (n == 0 || n % 4 != 0)
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/' && !(s[i] == '=' && i >= n - 2))
            return FALSE;
    return TRUE;
}

/* Judges one key record; returns the status and sets *detail. */
static BtCheckStatus
judge_key(const char *name, const char *text, char **detail)
{
    g_autofree char *error = NULL;
    g_autoptr(GHashTable) tags = bt_dns_parse_tags(text, &error);
    if (!tags) {
        *detail = g_strdup_printf("the key record at %s does not parse: %s", name, error);
        return BT_CHECK_PROBLEM;
    }
    const char *v = g_hash_table_lookup(tags, "v");
    const char *k = g_hash_table_lookup(tags, "k");
    const char *p = g_hash_table_lookup(tags, "p");
    const char *t = g_hash_table_lookup(tags, "t");
    if (v && g_strcmp0(v, "DKIM1") != 0) {
        *detail = g_strdup_printf("the key record at %s has v=%s; it must be v=DKIM1", name, v);
        return BT_CHECK_PROBLEM;
    }
    if (!p) {
        *detail = g_strdup_printf("the record at %s has no p= tag: it is not a DKIM key", name);
        return BT_CHECK_PROBLEM;
    }
    if (!*p) {
        *detail = g_strdup_printf("the key at %s is revoked (empty p=): signatures with this selector "
                                  "fail; sign with a current selector or publish its key", name);
        return BT_CHECK_PROBLEM;
    }
    if (!is_base64(p)) {
        *detail = g_strdup_printf("the p= value at %s is not valid base64: the key cannot be read", name);
        return BT_CHECK_PROBLEM;
    }
    gsize len;
    g_autofree guint8 *der = g_base64_decode(p, &len);
    const char *testing = t && strstr(t, "y") ? " (t=y: the domain says it is testing DKIM)" : "";
    if (k && g_ascii_strcasecmp(k, "ed25519") == 0) {
        if (len != 32) {
            *detail = g_strdup_printf("the ed25519 key at %s is %zu bytes, not 32", name, len);
            return BT_CHECK_PROBLEM;
        }
        *detail = g_strdup_printf("ed25519 key published at %s%s", name, testing);
        return BT_CHECK_OK;
    }
    if (k && g_ascii_strcasecmp(k, "rsa") != 0) {
        *detail = g_strdup_printf("the key at %s has the unknown type k=%s (rsa or ed25519)", name, k);
        return BT_CHECK_PROBLEM;
    }
    guint bits = bt_dkim_rsa_bits(der, len);
    if (bits == 0) {
        *detail = g_strdup_printf("the RSA key at %s does not parse as a public key", name);
        return BT_CHECK_PROBLEM;
    }
    if (bits < MIN_RSA_BITS) {
        *detail = g_strdup_printf("the RSA key at %s is %u bits; receivers reject keys under %d bits "
                                  "(RFC 8301): publish a 2048-bit key under a new selector", name, bits,
                                  MIN_RSA_BITS);
        return BT_CHECK_PROBLEM;
    }
    *detail = g_strdup_printf("RSA %u-bit key published at %s%s", bits, name, testing);
    return BT_CHECK_OK;
}

/* ---- the check --------------------------------------------------------------- */

/* Looks up one selector: FALSE when nothing is published there (with
 * *status/detail set for a failure or a problem only). */
static gboolean
check_selector(BtResolver *r, const char *name, BtCheckStatus *status, char **detail)
{
    const BtDnsAnswer *a = bt_resolver_query(r, name, T_TXT);
    if (a->status == BT_DNS_FAIL) {
        *status = BT_CHECK_ERROR;
        *detail = g_strdup_printf("TXT lookup for %s failed: %s", name, a->error);
        return TRUE;
    }
    const char *text = NULL;
    for (guint i = 0; a->status == BT_DNS_OK && i < a->records->len && !text; i++) {
        BtDnsRecord *rr = a->records->pdata[i];
        if (rr->type == T_TXT)
            text = rr->data;
    }
    if (!text)
        return FALSE;
    *status = judge_key(name, text, detail);
    return TRUE;
}

static void
try_common_selectors(BtResolver *r, BtCheck *check, const char *domain)
{
    for (gsize i = 0; i < G_N_ELEMENTS(common_selectors); i++) {
        g_autofree char *name = g_strdup_printf("%s._domainkey.%s", common_selectors[i], domain);
        BtCheckStatus status;
        char *detail = NULL;
        if (check_selector(r, name, &status, &detail)) {
            bt_check_set_target(check, name);
            bt_dns_set_result(check, status, detail);
            return;
        }
    }
    bt_dns_set_result(check, BT_CHECK_SKIPPED,
                      g_strdup_printf("no DKIM selector known (no DKIM-Signature came back with the "
                                      "message, no 'selector' argument) and none of the common selectors "
                                      "(default, selector1, google, …) has a key under %s", domain));
}

void
bt_dns_check_dkim(BtResolver *r, BtCheck *check)
{
    const char *signing = g_hash_table_lookup(check->args, "dkim-domain");
    const char *selector = g_hash_table_lookup(check->args, "selector");
    g_autofree char *domain = g_strdup(signing && *signing ? signing : check->target);
    if (!selector || !*selector) {
        try_common_selectors(r, check, domain);
        return;
    }
    g_autofree char *name = g_strdup_printf("%s._domainkey.%s", selector, domain);
    bt_check_set_target(check, name);
    BtCheckStatus status;
    char *detail = NULL;
    if (!check_selector(r, name, &status, &detail)) {
        status = BT_CHECK_PROBLEM;
        detail = g_strdup_printf("no DKIM key at %s: receivers cannot verify signatures with selector "
                                 "'%s'; publish the key your mail service gives for it", name, selector);
    }
    bt_dns_set_result(check, status, detail);
}
