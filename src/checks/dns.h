/* dns — the DNS half of the checks: a c-ares resolver that asks each
 * distinct question once per run (answers and failures are cached) within
 * a time budget, and the four record checks (MX, SPF, DKIM, DMARC) that
 * turn its answers into a status and a detail a person can act on. */
#pragma once

#include "core/core.h"

typedef struct _BtResolver BtResolver;

typedef enum {
    BT_DNS_OK,          /* answer records (possibly none of the type asked, behind a CNAME) */
    BT_DNS_NODATA,      /* the name exists, no record of that type */
    BT_DNS_NXDOMAIN,    /* the name does not exist */
    BT_DNS_FAIL,        /* no usable answer: timeout, SERVFAIL, refused; see `error` */
} BtDnsStatus;

typedef struct {
    int type;           /* T_A, T_AAAA, T_MX, T_TXT, T_CNAME (arpa/nameser.h) */
    char *owner;
    char *data;         /* A/AAAA: the address; MX, CNAME: the host ("" for the root);
                         * TXT: the character-strings joined */
    int preference;     /* MX */
} BtDnsRecord;

typedef struct {
    BtDnsStatus status;
    char *error;        /* BT_DNS_FAIL: what went wrong, in words */
    GPtrArray *records; /* BtDnsRecord*, the answer section in order (CNAMEs included) */
} BtDnsAnswer;

/* nameserver: "HOST[:PORT]" (IPv6 as "[ADDR]:PORT"), NULL for the system's
 * resolver.  timeout: seconds for one question, all tries included.
 * Fails with BT_ERROR_USAGE on an unusable nameserver. */
BtResolver *bt_resolver_new(const char *nameserver, double timeout, int tries, GError **error);
void bt_resolver_free(BtResolver *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtResolver, bt_resolver_free)

/* Every question after `deadline` (monotonic µs; 0: none) fails at once:
 * the checker gives each check a budget so a dead server cannot stall a
 * run. */
void bt_resolver_set_deadline(BtResolver *r, gint64 deadline);

/* The answer to (name, type), owned by the resolver and valid until it is
 * freed.  Asked on the network only the first time. */
const BtDnsAnswer *bt_resolver_query(BtResolver *r, const char *name, int type);

/* The answer for c-ares' `status` and DNS message `buf` (ARES_SUCCESS: its
 * answer section parsed; malformed: BT_DNS_FAIL), as the resolver caches
 * it.  Public so that the parsing can be tested and fuzzed without a server. */
BtDnsAnswer *bt_dns_answer_from_wire(int status, const unsigned char *buf, int len);
void bt_dns_answer_free(BtDnsAnswer *a);
/* Caches `answer` (taken) as the answer to (name, type); name NULL: to every
 * name of that type not cached otherwise.  With a deadline in the past, the
 * checks then run on given answers only, without a network (the fuzzer). */
void bt_resolver_preload(BtResolver *r, const char *name, int type, BtDnsAnswer *answer);

/* Questions actually sent (for tests of the cache). */
guint bt_resolver_sent(const BtResolver *r);

/* Helpers for the checks. */
GPtrArray *bt_dns_txt_with_prefix(const BtDnsAnswer *a, const char *prefix);
const char *bt_dns_failure(const BtDnsAnswer *a);   /* "timed out", …; NULL unless BT_DNS_FAIL */
char *bt_dns_quote_txt(const char *value);          /* "…" split in 255-byte strings */
void bt_dns_set_result(BtCheck *check, BtCheckStatus status, char *detail);   /* takes detail */
GHashTable *bt_dns_parse_tags(const char *text, char **error);   /* DKIM/DMARC tag=value; */
void bt_check_set_target(BtCheck *check, const char *target);
void bt_dns_add_publish(BtCheck *check, const char *record);   /* appends a line to args "publish" */

/* The checks.  Each reads check->target and check->args, and sets
 * check->status and check->detail; a record to publish, when one can be
 * named exactly, goes to args "publish" (one record per line).
 * Arguments: dns.mx `expect` (globs); dns.spf `include` (domains), `ip`
 * (the sending server's address, evaluated with check_host());
 * dns.dkim `selector`, `dkim-domain`; dns.dmarc `spf-domain`,
 * `dkim-domain` (the identities of the returned message, for alignment). */
void bt_dns_check_mx(BtResolver *r, BtCheck *check);
void bt_dns_check_spf(BtResolver *r, BtCheck *check);
void bt_dns_check_dkim(BtResolver *r, BtCheck *check);
void bt_dns_check_dmarc(BtResolver *r, BtCheck *check);

/* RFC 7208 check_host() results. */
typedef enum {
    BT_SPF_NONE, BT_SPF_NEUTRAL, BT_SPF_PASS, BT_SPF_FAIL, BT_SPF_SOFTFAIL,
    BT_SPF_TEMPERROR, BT_SPF_PERMERROR,
} BtSpfResult;

typedef struct {
    BtSpfResult result;
    int lookups;          /* DNS-querying terms (RFC 7208 §4.6.4), includes followed */
    int voids;            /* lookups that found nothing */
    char *why;            /* permerror/temperror: the reason; else what matched */
    GPtrArray *includes;  /* char*: include: and redirect= targets seen, in order */
    char *unsupported;    /* a term this evaluator cannot expand (macros), or NULL */
} BtSpfOutcome;

/* check_host(ip, domain): ip NULL matches no address (only `all`), which
 * walks every term a stranger's mail would make a receiver walk. */
void bt_spf_check_host(BtResolver *r, const char *ip, const char *domain, BtSpfOutcome *out);
void bt_spf_outcome_clear(BtSpfOutcome *out);
const char *bt_spf_result_name(BtSpfResult result);

/* DKIM: the bits of an RSA public key (SubjectPublicKeyInfo or PKCS#1
 * RSAPublicKey, DER); 0 when it cannot be parsed. */
guint bt_dkim_rsa_bits(const guint8 *der, gsize len);
