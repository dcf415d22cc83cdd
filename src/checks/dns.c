/* dns — the resolver behind the DNS checks: c-ares on one channel, asked
 * synchronously (the checks run one after another on one thread), with a
 * cache of every answer and failure so that a run asks each question once
 * however many bounces name the domain. */
#include "config.h"
#include "checks/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <string.h>
#include <sys/select.h>

/* After this many questions in a row without any answer the server is
 * taken for dead: the rest of the run fails at once instead of waiting. */
#define DEAD_AFTER_TIMEOUTS 3

struct _BtResolver {
    ares_channel channel;
    GHashTable *cache;        /* "type/name" -> BtDnsAnswer* */
    gint64 deadline;
    guint sent;
    guint timeouts_in_a_row;
};

static void
record_free(BtDnsRecord *rr)
{
    g_free(rr->owner);
    g_free(rr->data);
    g_free(rr);
}

void
bt_dns_answer_free(BtDnsAnswer *a)
{
    g_free(a->error);
    g_ptr_array_unref(a->records);
    g_free(a);
}

static BtDnsAnswer *
answer_new(BtDnsStatus status, const char *error)
{
    BtDnsAnswer *a = g_new0(BtDnsAnswer, 1);
    a->status = status;
    a->error = g_strdup(error);
    a->records = g_ptr_array_new_with_free_func((GDestroyNotify) record_free);
    return a;
}

/* ---- the name server ----------------------------------------------------- */

/* "HOST[:PORT]" → the c-ares CSV form "ADDR:PORT" ("[ADDR]:PORT" for IPv6);
 * a host name is resolved once with the system's resolver. */
static char *
server_csv(const char *spec, GError **error)
{
    g_autofree char *host = NULL;
    guint16 port = 53;
    g_autoptr(GError) local = NULL;
    g_autoptr(GSocketConnectable) addr = g_network_address_parse(spec, 53, &local);
    if (!addr) {
        g_set_error(error, BT_ERROR, BT_ERROR_USAGE, "--nameserver %s: %s", spec, local->message);
        return NULL;
    }
    host = g_strdup(g_network_address_get_hostname(G_NETWORK_ADDRESS(addr)));
    port = g_network_address_get_port(G_NETWORK_ADDRESS(addr));
    g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(host);
    if (!ip) {
        g_autoptr(GResolver) sys = g_resolver_get_default();
        GList *found = g_resolver_lookup_by_name(sys, host, NULL, &local);
        if (!found) {
            g_set_error(error, BT_ERROR, BT_ERROR_USAGE, "--nameserver %s: %s", spec, local->message);
            return NULL;
        }
        ip = g_object_ref(found->data);
        g_resolver_free_addresses(found);
    }
    g_autofree char *text = g_inet_address_to_string(ip);
    if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6)
        return g_strdup_printf("[%s]:%u", text, port);
    return g_strdup_printf("%s:%u", text, port);
}

BtResolver *
bt_resolver_new(const char *nameserver, double timeout, int tries, GError **error)
{
    static gsize initialised = 0;
    if (g_once_init_enter(&initialised)) {
        ares_library_init(ARES_LIB_INIT_ALL);
        g_once_init_leave(&initialised, 1);
    }
    g_autofree char *csv = nameserver ? server_csv(nameserver, error) : NULL;
    if (nameserver && !csv)
        return NULL;

    tries = CLAMP(tries, 1, 5);
    /* c-ares doubles the wait on each retry: t + 2t + … must fit the timeout */
    int per_try = (int) (timeout * 1000.0 / ((1 << tries) - 1));
    struct ares_options o = { .timeout = MAX(per_try, 100), .tries = tries };
    BtResolver *r = g_new0(BtResolver, 1);
    int rc = ares_init_options(&r->channel, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc == ARES_SUCCESS && csv)
        rc = ares_set_servers_ports_csv(r->channel, csv);
    if (rc != ARES_SUCCESS) {
        g_set_error(error, BT_ERROR, BT_ERROR_USAGE, "DNS resolver: %s", ares_strerror(rc));
        if (r->channel)
            ares_destroy(r->channel);
        g_free(r);
        return NULL;
    }
    r->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) bt_dns_answer_free);
    return r;
}

void
bt_resolver_free(BtResolver *r)
{
    if (!r)
        return;
    ares_destroy(r->channel);
    g_hash_table_unref(r->cache);
    g_free(r);
}

void
bt_resolver_set_deadline(BtResolver *r, gint64 deadline)
{
    r->deadline = deadline;
}

guint
bt_resolver_sent(const BtResolver *r)
{
    return r->sent;
}

/* ---- reading an answer --------------------------------------------------- */

static guint
get16(const unsigned char *p)
{
    return (guint) p[0] << 8 | p[1];
}

/* TXT rdata: length-prefixed character-strings, joined without spaces
 * (RFC 7208 §3.3). */
static char *
txt_data(const unsigned char *p, int len)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < len;) {
        int n = p[i++];
        n = MIN(n, len - i);
        g_string_append_len(s, (const char *) p + i, n);
        i += n;
    }
    return g_string_free(s, FALSE);
}

static char *
name_at(const unsigned char *p, const unsigned char *buf, int len, long *used)
{
    char *name = NULL;
    if (ares_expand_name(p, buf, len, &name, used) != ARES_SUCCESS)
        return NULL;
    char *copy = g_ascii_strdown(name, -1);
    ares_free_string(name);
    return copy;
}

static char *
rdata_text(int type, const unsigned char *rd, int rdlen, const unsigned char *buf, int len, int *pref)
{
    char addr[INET6_ADDRSTRLEN];
    long used;
    switch (type) {
    case T_A:
        return rdlen == 4 ? g_strdup(inet_ntop(AF_INET, rd, addr, sizeof addr)) : NULL;
    case T_AAAA:
        return rdlen == 16 ? g_strdup(inet_ntop(AF_INET6, rd, addr, sizeof addr)) : NULL;
    case T_TXT:
        return txt_data(rd, rdlen);
    case T_MX:
        if (rdlen < 3)
            return NULL;
        *pref = get16(rd);
        return name_at(rd + 2, buf, len, &used);
    case T_CNAME:
        return name_at(rd, buf, len, &used);
    default:
        return NULL;
    }
}

/* The answer section of a DNS message; FALSE if it is malformed. */
static gboolean
parse_answer(const unsigned char *buf, int len, BtDnsAnswer *a)
{
    if (len < 12)
        return FALSE;
    guint qd = get16(buf + 4), an = get16(buf + 6);
    const unsigned char *p = buf + 12, *end = buf + len;
    for (guint i = 0; i < qd; i++) {
        long used;
        g_autofree char *q = name_at(p, buf, len, &used);
        if (!q || p + used + 4 > end)
            return FALSE;
        p += used + 4;
    }
    for (guint i = 0; i < an; i++) {
        long used;
        g_autofree char *owner = name_at(p, buf, len, &used);
        if (!owner || p + used + 10 > end)
            return FALSE;
        p += used;
        int type = get16(p), rdlen = get16(p + 8);
        p += 10;
        if (p + rdlen > end)
            return FALSE;
        int pref = 0;
        char *data = rdata_text(type, p, rdlen, buf, len, &pref);
        if (data) {
            BtDnsRecord *rr = g_new0(BtDnsRecord, 1);
            rr->type = type;
            rr->owner = g_steal_pointer(&owner);
            rr->data = data;
            rr->preference = pref;
            g_ptr_array_add(a->records, rr);
        }
        p += rdlen;
    }
    return TRUE;
}

/* ---- asking --------------------------------------------------------------- */

typedef struct {
    gboolean done;
    BtDnsAnswer *answer;
} Pending;

BtDnsAnswer *
bt_dns_answer_from_wire(int status, const unsigned char *buf, int len)
{
    switch (status) {
    case ARES_SUCCESS: {
        BtDnsAnswer *a = answer_new(BT_DNS_OK, NULL);
        if (!parse_answer(buf, len, a)) {
            bt_dns_answer_free(a);
            return answer_new(BT_DNS_FAIL, "a malformed answer");
        }
        if (a->records->len == 0)
            a->status = BT_DNS_NODATA;
        return a;
    }
    case ARES_ENODATA:
        return answer_new(BT_DNS_NODATA, NULL);
    case ARES_ENOTFOUND:
        return answer_new(BT_DNS_NXDOMAIN, NULL);
    case ARES_ETIMEOUT:
        return answer_new(BT_DNS_FAIL, "the name server did not answer in time");
    case ARES_ECANCELLED:
        return answer_new(BT_DNS_FAIL, "no answer within the time allowed for this check");
    case ARES_ESERVFAIL:
        return answer_new(BT_DNS_FAIL, "the name server failed (SERVFAIL)");
    case ARES_EREFUSED:
        return answer_new(BT_DNS_FAIL, "the name server refused the question");
    case ARES_ECONNREFUSED:
        return answer_new(BT_DNS_FAIL, "the name server could not be reached or refused the question");
    default:
        return answer_new(BT_DNS_FAIL, ares_strerror(status));
    }
}

static void
on_answer(void *data, int status, int timeouts, unsigned char *buf, int len)
{
    (void) timeouts;
    Pending *p = data;
    p->answer = bt_dns_answer_from_wire(status, buf, len);
    p->done = TRUE;
}

/* Runs the c-ares loop until the question is answered or the deadline. */
static void
wait_for(BtResolver *r, Pending *p)
{
    while (!p->done) {
        gint64 now = g_get_monotonic_time();
        if (r->deadline && now >= r->deadline) {
            ares_cancel(r->channel);
            break;
        }
        fd_set rfds, wfds;
        FD_ZERO(&rfds);
        FD_ZERO(&wfds);
        int nfds = ares_fds(r->channel, &rfds, &wfds);
        struct timeval cap = { 1, 0 }, tv;
        if (r->deadline) {
            gint64 left = r->deadline - now;
            cap.tv_sec = left / G_USEC_PER_SEC;
            cap.tv_usec = left % G_USEC_PER_SEC;
        }
        struct timeval *tvp = ares_timeout(r->channel, &cap, &tv);
        if (nfds > 0)
            select(nfds, &rfds, &wfds, NULL, tvp);
        ares_process(r->channel, &rfds, &wfds);
    }
}

static BtDnsAnswer *
ask(BtResolver *r, const char *name, int type)
{
    if (r->timeouts_in_a_row >= DEAD_AFTER_TIMEOUTS)
        return answer_new(BT_DNS_FAIL, "the name server has not answered the last questions; not asked again");
    if (r->deadline && g_get_monotonic_time() >= r->deadline)
        return answer_new(BT_DNS_FAIL, "no answer within the time allowed for this check");
    Pending p = { FALSE, NULL };
    r->sent++;
    ares_query(r->channel, name, C_IN, type, on_answer, &p);
    wait_for(r, &p);
    if (!p.answer)     /* the callback always runs, even on cancel; be safe */
        p.answer = answer_new(BT_DNS_FAIL, "no answer within the time allowed for this check");
    gboolean silent = p.answer->status == BT_DNS_FAIL &&
                      (g_str_has_prefix(p.answer->error, "the name server did not")
                       || g_str_has_prefix(p.answer->error, "no answer within"));
    r->timeouts_in_a_row = silent ? r->timeouts_in_a_row + 1 : 0;
    return p.answer;
}

const BtDnsAnswer *
bt_resolver_query(BtResolver *r, const char *name, int type)
{
    g_autofree char *lower = g_ascii_strdown(name, -1);
    g_autofree char *key = g_strdup_printf("%d/%s", type, lower);
    BtDnsAnswer *a = g_hash_table_lookup(r->cache, key);
    if (!a) {
        g_autofree char *any = g_strdup_printf("%d/*", type);
        a = g_hash_table_lookup(r->cache, any);
    }
    if (a)
        return a;
    a = ask(r, lower, type);
    g_hash_table_insert(r->cache, g_steal_pointer(&key), a);
    return a;
}

void
bt_resolver_preload(BtResolver *r, const char *name, int type, BtDnsAnswer *answer)
{
    g_autofree char *lower = name ? g_ascii_strdown(name, -1) : g_strdup("*");
    g_hash_table_insert(r->cache, g_strdup_printf("%d/%s", type, lower), answer);
}

/* ---- helpers for the checks ---------------------------------------------- */

/* The TXT texts that start with `prefix` as a whole word,
 * case-insensitively (v=spf1, v=DMARC1); borrowed from the answer. */
GPtrArray *
bt_dns_txt_with_prefix(const BtDnsAnswer *a, const char *prefix)
{
    GPtrArray *out = g_ptr_array_new();
    gsize n = strlen(prefix);
    for (guint i = 0; a->status == BT_DNS_OK && i < a->records->len; i++) {
        BtDnsRecord *rr = a->records->pdata[i];
        if (rr->type != T_TXT || g_ascii_strncasecmp(rr->data, prefix, n) != 0)
            continue;
        char next = rr->data[n];
        if (next == '\0' || next == ' ' || next == ';' || next == '\t')
            g_ptr_array_add(out, rr->data);
    }
    return out;
}

const char *
bt_dns_failure(const BtDnsAnswer *a)
{
    return a->status == BT_DNS_FAIL ? a->error : NULL;
}

char *
bt_dns_quote_txt(const char *value)
{
    GString *s = g_string_new(NULL);
    gsize len = strlen(value);
    for (gsize at = 0; at < len || at == 0; at += 255) {
        if (at)
            g_string_append_c(s, ' ');
        g_string_append_c(s, '"');
        for (gsize i = at; i < len && i < at + 255; i++) {
            if (value[i] == '"' || value[i] == '\\')
                g_string_append_c(s, '\\');
            g_string_append_c(s, value[i]);
        }
        g_string_append_c(s, '"');
        if (len == 0)
            break;
    }
    return g_string_free(s, FALSE);
}

void
bt_dns_set_result(BtCheck *check, BtCheckStatus status, char *detail)
{
    check->status = status;
    g_free(check->detail);
    /* details quote what DNS served, and DNS data is bytes: records and
     * every output format promise UTF-8 */
    if (detail && !g_utf8_validate(detail, -1, NULL)) {
        char *valid = g_utf8_make_valid(detail, -1);
        g_free(detail);
        detail = valid;
    }
    check->detail = detail;
}

void
bt_dns_add_publish(BtCheck *check, const char *record)
{
    const char *had = g_hash_table_lookup(check->args, "publish");
    g_autofree char *valid = g_utf8_make_valid(record, -1);   /* may quote DNS bytes */
    char *now = had ? g_strconcat(had, "\n", valid, NULL) : g_strdup(valid);
    g_hash_table_insert(check->args, g_strdup("publish"), now);
}

void
bt_check_set_target(BtCheck *check, const char *target)
{
    bt_set_str(&check->target, target);
}

/* "v=DKIM1; k=rsa; p=…" → tag (lower case) → value (whitespace removed);
 * NULL with *error set when a part is not tag=value. */
GHashTable *
bt_dns_parse_tags(const char *text, char **error)
{
    GHashTable *tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) parts = g_strsplit(text, ";", -1);
    for (char **t = parts; *t; t++) {
        g_autofree char *part = g_strstrip(g_strdup(*t));
        if (!*part)
            continue;
        char *eq = strchr(part, '=');
        if (!eq) {
            *error = g_strdup_printf("'%s' is not a tag=value pair", part);
            g_hash_table_unref(tags);
            return NULL;
        }
        *eq = '\0';
        g_autofree char *name = g_strstrip(g_strdup(part));
        GString *value = g_string_new(NULL);
        for (const char *v = eq + 1; *v; v++)
            if (!g_ascii_isspace(*v))
                g_string_append_c(value, *v);
        g_hash_table_insert(tags, g_ascii_strdown(name, -1), g_string_free(value, FALSE));
    }
    return tags;
}
