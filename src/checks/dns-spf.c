/* dns-spf — the dns.spf check and an RFC 7208 check_host() evaluator.
 * The check walks the domain's record as a receiver would for a server it
 * does not list (following include and redirect, counting DNS-querying
 * terms and void lookups), reports the problems receivers act on, and,
 * when the bounce names the sending server's address, evaluates SPF for
 * it.  Macros (%{…}) are recognised but not expanded: reported as such. */
#include "config.h"
#include "checks/dns.h"

#include <arpa/nameser.h>
#include <string.h>

#define MAX_LOOKUPS 10      /* RFC 7208 §4.6.4 */
#define MAX_VOIDS 2
#define MAX_MX_NAMES 10

typedef enum { M_ALL, M_INCLUDE, M_A, M_MX, M_PTR, M_IP4, M_IP6, M_EXISTS } MechKind;

typedef struct {
    char qualifier;         /* + - ~ ? */
    MechKind kind;
    char *domain;           /* include, a, mx, ptr, exists; NULL: the current domain */
    GInetAddressMask *net;  /* ip4, ip6 */
    int cidr4, cidr6;       /* a, mx */
    char *text;             /* the term as written */
} Mech;

typedef struct {
    GPtrArray *mechs;       /* Mech* */
    char *redirect;
} SpfRecord;

static void
mech_free(Mech *m)
{
    g_free(m->domain);
    g_clear_object(&m->net);
    g_free(m->text);
    g_free(m);
}

static void
record_clear(SpfRecord *rec)
{
    g_clear_pointer(&rec->mechs, g_ptr_array_unref);
    g_clear_pointer(&rec->redirect, g_free);
}

const char *
bt_spf_result_name(BtSpfResult result)
{
    static const char *names[] = { "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror" };
    return names[result];
}

void
bt_spf_outcome_clear(BtSpfOutcome *out)
{
    g_clear_pointer(&out->why, g_free);
    g_clear_pointer(&out->includes, g_ptr_array_unref);
    g_clear_pointer(&out->unsupported, g_free);
}

/* ---- parsing --------------------------------------------------------------- */

static gboolean
domain_spec_ok(const char *d)
{
    if (!*d)
        return FALSE;
    if (strchr(d, '%'))
        return TRUE;            /* a macro: checked when (not) expanded */
    for (const char *p = d; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr(".-_", *p))
            return FALSE;
    return strchr(d, '.') != NULL && !strstr(d, "..");
}

static gboolean
parse_cidr(const char *s, int max, int *out)
{
    char *end;
    if (!g_ascii_isdigit(*s))
        return FALSE;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > max)
        return FALSE;
    *out = (int) v;
    return TRUE;
}

/* "a:domain/24//64" after the name: domain, and the dual CIDR lengths. */
static gboolean
parse_domain_cidr(const char *rest, Mech *m, gboolean cidr_allowed)
{
    g_autofree char *copy = g_strdup(rest);
    char *v6 = strstr(copy, "//");
    if (v6) {
        *v6 = '\0';
        if (!cidr_allowed || !parse_cidr(v6 + 2, 128, &m->cidr6))
            return FALSE;
    }
    char *v4 = strchr(copy, '/');
    if (v4) {
        *v4 = '\0';
        if (!cidr_allowed || !parse_cidr(v4 + 1, 32, &m->cidr4))
            return FALSE;
    }
    if (*copy == ':') {
        if (!domain_spec_ok(copy + 1))
            return FALSE;
        m->domain = g_ascii_strdown(copy + 1, -1);
    } else if (*copy) {
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_ip(const char *rest, GSocketFamily family, Mech *m)
{
    if (*rest != ':')
        return FALSE;
    g_autofree char *copy = g_strdup(rest + 1);
    char *slash = strchr(copy, '/');
    int len = family == G_SOCKET_FAMILY_IPV4 ? 32 : 128;
    if (slash) {
        *slash = '\0';
        if (!parse_cidr(slash + 1, len, &len))
            return FALSE;
    }
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(copy);
    if (!addr || g_inet_address_get_family(addr) != family)
        return FALSE;
    m->net = g_inet_address_mask_new(addr, len, NULL);
    return m->net != NULL;
}

static gboolean
parse_mechanism(const char *term, Mech *m)
{
    const char *p = term;
    m->qualifier = strchr("+-~?", *p) ? *p++ : '+';
    gsize n = strcspn(p, ":/");
    g_autofree char *name = g_ascii_strdown(p, n);
    const char *rest = p + n;
    m->cidr4 = 32;
    m->cidr6 = 128;
    if (g_str_equal(name, "all"))
        return (m->kind = M_ALL, *rest == '\0');
    if (g_str_equal(name, "include") || g_str_equal(name, "exists")) {
        m->kind = name[0] == 'i' ? M_INCLUDE : M_EXISTS;
        if (*rest != ':' || !domain_spec_ok(rest + 1))
            return FALSE;
        m->domain = g_ascii_strdown(rest + 1, -1);
        return TRUE;
    }
    if (g_str_equal(name, "a") || g_str_equal(name, "mx"))
        return (m->kind = name[0] == 'a' ? M_A : M_MX, parse_domain_cidr(rest, m, TRUE));
    if (g_str_equal(name, "ptr"))
        return (m->kind = M_PTR, parse_domain_cidr(rest, m, FALSE));
    if (g_str_equal(name, "ip4"))
        return (m->kind = M_IP4, parse_ip(rest, G_SOCKET_FAMILY_IPV4, m));
    if (g_str_equal(name, "ip6"))
        return (m->kind = M_IP6, parse_ip(rest, G_SOCKET_FAMILY_IPV6, m));
    return FALSE;
}

/* A modifier is name=value where the name comes before any ':' or '/'. */
static gboolean
is_modifier(const char *term)
{
    gsize n = strcspn(term, "=:/");
    if (term[n] != '=' || n == 0 || !g_ascii_isalpha(term[0]))
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isalnum(term[i]) && !strchr("-_.", term[i]))
            return FALSE;
    return TRUE;
}

/* Parses "v=spf1 …"; on a syntax error returns FALSE with *error set. */
static gboolean
parse_record(const char *text, SpfRecord *rec, char **error)
{
    rec->mechs = g_ptr_array_new_with_free_func((GDestroyNotify) mech_free);
    g_auto(GStrv) terms = g_strsplit_set(text, " ", -1);
    gboolean have_exp = FALSE;
    for (char **t = terms + 1; *t; t++) {
        if (!**t)
            continue;
        if (is_modifier(*t)) {
            const char *value = strchr(*t, '=') + 1;
            gboolean redirect = g_ascii_strncasecmp(*t, "redirect=", 9) == 0;
            gboolean exp = g_ascii_strncasecmp(*t, "exp=", 4) == 0;
            if ((redirect && rec->redirect) || (exp && have_exp)) {
                *error = g_strdup_printf("the modifier '%.*s' appears twice", (int) (value - *t - 1), *t);
                return FALSE;
            }
            if ((redirect || exp) && !domain_spec_ok(value)) {
                *error = g_strdup_printf("'%s' does not name a domain", *t);
                return FALSE;
            }
            if (redirect)
                rec->redirect = g_ascii_strdown(value, -1);
            have_exp |= exp;
            continue;
        }
        Mech *m = g_new0(Mech, 1);
        m->text = g_strdup(*t);
        g_ptr_array_add(rec->mechs, m);
        if (!parse_mechanism(*t, m)) {
            *error = g_strdup_printf("'%s' is not a valid SPF term", *t);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- check_host() ------------------------------------------------------------ */

typedef struct {
    BtResolver *r;
    GInetAddress *ip;       /* NULL: matches no address */
    BtSpfOutcome *out;
} Eval;

static BtSpfResult check_host(Eval *ev, const char *domain, int depth);

static BtSpfResult
fail_with(Eval *ev, BtSpfResult result, char *why)
{
    g_free(ev->out->why);
    ev->out->why = why;
    return result;
}

/* Counts one DNS-querying term; FALSE (and a permerror) past the limit. */
static gboolean
count_lookup(Eval *ev)
{
    return ++ev->out->lookups <= MAX_LOOKUPS;
}

/* The answer to a lookup a mechanism makes, counting it as void when it
 * finds nothing.  NULL with *result set when evaluation must stop. */
static const BtDnsAnswer *
lookup(Eval *ev, const char *name, int type, BtSpfResult *result)
{
    const BtDnsAnswer *a = bt_resolver_query(ev->r, name, type);
    if (a->status == BT_DNS_FAIL) {
        *result = fail_with(ev, BT_SPF_TEMPERROR, g_strdup_printf("the lookup of %s failed: %s", name, a->error));
        return NULL;
    }
    gboolean found = FALSE;
    for (guint i = 0; i < a->records->len; i++)
        found |= ((BtDnsRecord *) a->records->pdata[i])->type == type;
    if (!found && ++ev->out->voids > MAX_VOIDS) {
        *result = fail_with(ev, BT_SPF_PERMERROR,
                            g_strdup_printf("more than %d lookups found nothing (the last: %s); "
                                            "RFC 7208 §4.6.4 makes that a permanent error", MAX_VOIDS, name));
        return NULL;
    }
    return a;
}

static int
address_type(Eval *ev)
{
    return ev->ip && g_inet_address_get_family(ev->ip) == G_SOCKET_FAMILY_IPV6 ? T_AAAA : T_A;
}

/* Does any address record of `a` fall in the mechanism's network? */
static gboolean
addresses_match(Eval *ev, const BtDnsAnswer *a, const Mech *m)
{
    if (!ev->ip)
        return FALSE;
    int type = address_type(ev);
    int len = type == T_AAAA ? m->cidr6 : m->cidr4;
    for (guint i = 0; i < a->records->len; i++) {
        BtDnsRecord *rr = a->records->pdata[i];
        if (rr->type != type)
            continue;
        g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(rr->data);
        g_autoptr(GInetAddressMask) net = addr ? g_inet_address_mask_new(addr, len, NULL) : NULL;
        if (net && g_inet_address_mask_matches(net, ev->ip))
            return TRUE;
    }
    return FALSE;
}

static gboolean
unsupported(Eval *ev, const Mech *m)
{
    if (!m->domain || !strchr(m->domain, '%'))
        return FALSE;
    if (!ev->out->unsupported)
        ev->out->unsupported = g_strdup(m->text);
    return TRUE;
}

static BtSpfResult
match_mx(Eval *ev, const Mech *m, const char *target, gboolean *matched)
{
    BtSpfResult result = BT_SPF_NONE;
    const BtDnsAnswer *a = lookup(ev, target, T_MX, &result);
    if (!a)
        return result;
    guint names = 0;
    for (guint i = 0; i < a->records->len && !*matched; i++) {
        BtDnsRecord *rr = a->records->pdata[i];
        if (rr->type != T_MX)
            continue;
        if (++names > MAX_MX_NAMES)
            return fail_with(ev, BT_SPF_PERMERROR,
                             g_strdup_printf("%s has more than %d MX hosts for '%s'", target, MAX_MX_NAMES, m->text));
        if (!ev->ip || !*rr->data)
            continue;
        const BtDnsAnswer *addrs = bt_resolver_query(ev->r, rr->data, address_type(ev));
        *matched = addresses_match(ev, addrs, m);
    }
    return BT_SPF_NONE;
}

static BtSpfResult
match_include(Eval *ev, const Mech *m, int depth, gboolean *matched)
{
    g_ptr_array_add(ev->out->includes, g_strdup(m->domain));
    BtSpfResult inner = check_host(ev, m->domain, depth + 1);
    switch (inner) {
    case BT_SPF_PASS:
        *matched = TRUE;
        return BT_SPF_NONE;
    case BT_SPF_FAIL: case BT_SPF_SOFTFAIL: case BT_SPF_NEUTRAL:
        g_clear_pointer(&ev->out->why, g_free);    /* no match here: the outer record decides */
        return BT_SPF_NONE;
    case BT_SPF_NONE:
        return fail_with(ev, BT_SPF_PERMERROR, g_strdup_printf("include:%s names a domain without an SPF record", m->domain));
    default:
        return inner;
    }
}

/* Evaluates one mechanism: BT_SPF_NONE to go on (with *matched), or the
 * error that ends the evaluation. */
static BtSpfResult
match_mechanism(Eval *ev, const Mech *m, const char *domain, int depth, gboolean *matched)
{
    const char *target = m->domain ? m->domain : domain;
    BtSpfResult result = BT_SPF_NONE;
    *matched = FALSE;
    if (m->kind != M_ALL && m->kind != M_IP4 && m->kind != M_IP6 && !count_lookup(ev))
        return fail_with(ev, BT_SPF_PERMERROR,
                         g_strdup_printf("more than %d DNS-querying terms (include, a, mx, ptr, exists, "
                                         "redirect) after following includes; RFC 7208 §4.6.4 makes that "
                                         "a permanent error", MAX_LOOKUPS));
    if (unsupported(ev, m))
        return BT_SPF_NONE;
    const BtDnsAnswer *a;
    switch (m->kind) {
    case M_ALL:
        *matched = TRUE;
        break;
    case M_IP4: case M_IP6:
        *matched = ev->ip && g_inet_address_mask_matches(m->net, ev->ip);
        break;
    case M_A:
        if (!(a = lookup(ev, target, address_type(ev), &result)))
            return result;
        *matched = addresses_match(ev, a, m);
        break;
    case M_EXISTS:
        if (!(a = lookup(ev, target, T_A, &result)))
            return result;
        *matched = ev->ip && a->status == BT_DNS_OK;
        break;
    case M_MX:
        return match_mx(ev, m, target, matched);
    case M_INCLUDE:
        return match_include(ev, m, depth, matched);
    case M_PTR:
        if (!ev->out->unsupported)
            ev->out->unsupported = g_strdup(m->text);   /* deprecated (§5.5): not evaluated */
        break;
    }
    return BT_SPF_NONE;
}

static BtSpfResult
qualifier_result(char q)
{
    switch (q) {
    case '-': return BT_SPF_FAIL;
    case '~': return BT_SPF_SOFTFAIL;
    case '?': return BT_SPF_NEUTRAL;
    default: return BT_SPF_PASS;
    }
}

/* The one v=spf1 record of `domain`: NULL with *result set otherwise. */
static char *
fetch_record(Eval *ev, const char *domain, BtSpfResult *result)
{
    const BtDnsAnswer *a = bt_resolver_query(ev->r, domain, T_TXT);
    if (a->status == BT_DNS_FAIL) {
        *result = fail_with(ev, BT_SPF_TEMPERROR, g_strdup_printf("the TXT lookup of %s failed: %s", domain, a->error));
        return NULL;
    }
    g_autoptr(GPtrArray) spf = bt_dns_txt_with_prefix(a, "v=spf1");
    if (spf->len == 0) {
        *result = BT_SPF_NONE;
        return NULL;
    }
    if (spf->len > 1) {
        *result = fail_with(ev, BT_SPF_PERMERROR, g_strdup_printf("%s has %u SPF records; there must be one "
                                                                  "(RFC 7208 §4.5)", domain, spf->len));
        return NULL;
    }
    return g_strdup(spf->pdata[0]);
}

/* redirect=: the other domain's result replaces this one (RFC 7208 §6.1). */
static BtSpfResult
follow_redirect(Eval *ev, const char *target, int depth)
{
    g_ptr_array_add(ev->out->includes, g_strdup(target));
    if (!count_lookup(ev))
        return fail_with(ev, BT_SPF_PERMERROR,
                         g_strdup_printf("more than %d DNS-querying terms after following includes "
                                         "(RFC 7208 §4.6.4)", MAX_LOOKUPS));
    if (strchr(target, '%')) {
        if (!ev->out->unsupported)
            ev->out->unsupported = g_strdup_printf("redirect=%s", target);
        return BT_SPF_NEUTRAL;
    }
    BtSpfResult result = check_host(ev, target, depth + 1);
    if (result == BT_SPF_NONE)
        return fail_with(ev, BT_SPF_PERMERROR,
                         g_strdup_printf("redirect=%s names a domain without an SPF record", target));
    return result;
}

static BtSpfResult
check_host(Eval *ev, const char *domain, int depth)
{
    BtSpfResult result = BT_SPF_NONE;
    g_autofree char *text = fetch_record(ev, domain, &result);
    if (!text)
        return result;
    SpfRecord rec = { 0 };
    char *error = NULL;
    if (!parse_record(text, &rec, &error)) {
        record_clear(&rec);
        return fail_with(ev, BT_SPF_PERMERROR, g_strdup_printf("the SPF record of %s is invalid: %s", domain, error));
    }
    result = BT_SPF_NEUTRAL;     /* no mechanism matched, no redirect */
    gboolean decided = FALSE;
    for (guint i = 0; i < rec.mechs->len && !decided; i++) {
        const Mech *m = rec.mechs->pdata[i];
        gboolean matched;
        BtSpfResult stop = match_mechanism(ev, m, domain, depth, &matched);
        if (stop != BT_SPF_NONE) {
            result = stop;
            decided = TRUE;
        } else if (matched) {
            result = qualifier_result(m->qualifier);
            decided = TRUE;
            if (ev->ip && !ev->out->why)     /* the innermost match says most */
                fail_with(ev, result, g_strdup_printf("'%s' in the record of %s", m->text, domain));
        }
    }
    if (!decided && rec.redirect)
        result = follow_redirect(ev, rec.redirect, depth);
    record_clear(&rec);
    g_free(error);
    return result;
}

void
bt_spf_check_host(BtResolver *r, const char *ip, const char *domain, BtSpfOutcome *out)
{
    memset(out, 0, sizeof *out);
    out->includes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GInetAddress) addr = ip ? g_inet_address_new_from_string(ip) : NULL;
    Eval ev = { r, addr, out };
    out->result = check_host(&ev, domain, 0);
}

/* ---- the dns.spf check ------------------------------------------------------- */

static gboolean
has_plus_all(const char *text)
{
    g_auto(GStrv) terms = g_strsplit(text, " ", -1);
    for (char **t = terms; *t; t++)
        if (g_ascii_strcasecmp(*t, "+all") == 0 || g_ascii_strcasecmp(*t, "all") == 0)
            return TRUE;
    return FALSE;
}

/* The first expected include found among those the walk followed. */
static const char *
expected_include(const BtSpfOutcome *o, char **wanted)
{
    for (char **w = wanted; *w; w++)
        for (guint i = 0; *w[0] && i < o->includes->len; i++)
            if (g_ascii_strcasecmp(*w, o->includes->pdata[i]) == 0)
                return *w;
    return NULL;
}

/* One record from the terms of `records`, with `include` (may be NULL)
 * added before the final all: what to publish instead. */
static char *
merged_record(GPtrArray *records, const char *include)
{
    g_autoptr(GPtrArray) terms = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *all = NULL;
    for (guint i = 0; i < records->len; i++) {
        g_auto(GStrv) parts = g_strsplit(records->pdata[i], " ", -1);
        for (char **t = parts + 1; *t; t++) {
            const char *bare = **t && strchr("+-~?", **t) ? *t + 1 : *t;
            if (!**t)
                continue;
            if (g_ascii_strcasecmp(bare, "all") == 0) {
                if (!all)
                    all = g_strdup(*t);
            } else if (!g_ptr_array_find_with_equal_func(terms, *t, (GEqualFunc) g_str_equal, NULL)) {
                g_ptr_array_add(terms, g_strdup(*t));
            }
        }
    }
    if (include)
        g_ptr_array_add(terms, g_strdup_printf("include:%s", include));
    if (!all || g_ascii_strcasecmp(all, "+all") == 0 || g_ascii_strcasecmp(all, "all") == 0)
        g_ptr_array_add(terms, g_strdup("~all"));
    else
        g_ptr_array_add(terms, g_steal_pointer(&all));
    GString *s = g_string_new("v=spf1");
    for (guint i = 0; i < terms->len; i++)
        g_string_append_printf(s, " %s", (char *) terms->pdata[i]);
    return g_string_free(s, FALSE);
}

static void
publish_txt(BtCheck *check, const char *name, const char *value)
{
    g_autofree char *quoted = bt_dns_quote_txt(value);
    g_autofree char *line = g_strdup_printf("%s. TXT %s", name, quoted);
    bt_dns_add_publish(check, line);
}

static char *
include_list(const BtSpfOutcome *o)
{
    if (o->includes->len == 0)
        return g_strdup("none");
    g_ptr_array_add(o->includes, NULL);
    char *s = g_strjoinv(", ", (char **) o->includes->pdata);
    g_ptr_array_remove_index(o->includes, o->includes->len - 1);
    return s;
}

/* What SPF says about the sending server `ip`, appended to `notes`;
 * TRUE when it is a problem. */
static gboolean
judge_sender(BtResolver *r, const char *domain, const char *ip, GPtrArray *notes)
{
    BtSpfOutcome o;
    bt_spf_check_host(r, ip, domain, &o);
    gboolean bad = o.result != BT_SPF_PASS;
    if (o.result == BT_SPF_PASS)
        g_ptr_array_add(notes, g_strdup_printf("SPF passes for the sending server %s (%s)", ip, o.why));
    else if (o.result == BT_SPF_TEMPERROR || o.result == BT_SPF_PERMERROR)
        g_ptr_array_add(notes, g_strdup_printf("SPF for the sending server %s: %s (%s)", ip,
                                               bt_spf_result_name(o.result), o.why));
    else
        g_ptr_array_add(notes, g_strdup_printf("SPF gives '%s' for the sending server %s%s%s: the record "
                                               "does not authorize it; add the service that sent this "
                                               "mail (its include or ip4/ip6)", bt_spf_result_name(o.result),
                                               ip, o.why ? ", by " : "", o.why ? o.why : ""));
    if (o.unsupported)
        g_ptr_array_add(notes, g_strdup_printf("'%s' was not evaluated (macros and ptr are not supported), "
                                               "so the result may differ", o.unsupported));
    bt_spf_outcome_clear(&o);
    return bad;
}

static void
finish(BtCheck *check, BtCheckStatus status, GPtrArray *notes)
{
    g_ptr_array_add(notes, NULL);
    bt_dns_set_result(check, status, g_strjoinv("; ", (char **) notes->pdata));
}

/* The walk of the one record: limits, +all, expected includes. */
static void
judge_record(BtResolver *r, BtCheck *check, GPtrArray *records)
{
    const char *domain = check->target;
    const char *text = records->pdata[0];
    const char *wanted_arg = g_hash_table_lookup(check->args, "include");
    g_auto(GStrv) wanted = g_strsplit_set(wanted_arg ? wanted_arg : "", " \t,", -1);
    const char *ip = g_hash_table_lookup(check->args, "ip");
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    BtCheckStatus status = BT_CHECK_OK;
    BtSpfOutcome o;
    bt_spf_check_host(r, NULL, domain, &o);

    if (o.result == BT_SPF_TEMPERROR) {
        g_ptr_array_add(notes, g_strdup(o.why));
        status = BT_CHECK_ERROR;
    } else if (o.result == BT_SPF_PERMERROR) {
        g_ptr_array_add(notes, g_strdup_printf("%s; receivers treat the record as broken (permerror)", o.why));
        status = BT_CHECK_PROBLEM;
    } else if (has_plus_all(text) || o.result == BT_SPF_PASS) {
        g_ptr_array_add(notes, g_strdup_printf("the record passes mail from any server on the internet "
                                               "(+all%s); end it with ~all or -all", has_plus_all(text)
                                               ? "" : " in an included record"));
        status = BT_CHECK_PROBLEM;
    }
    const char *found = wanted[0] && *wanted[0] ? expected_include(&o, wanted) : "";
    if (!found) {
        g_autofree char *have = include_list(&o);
        g_ptr_array_add(notes, g_strdup_printf("the record includes none of %s (it includes: %s)", wanted_arg, have));
        g_autofree char *fixed = merged_record(records, wanted[0]);
        publish_txt(check, domain, fixed);
        status = MAX(status, BT_CHECK_PROBLEM);
    } else if (has_plus_all(text)) {
        g_autofree char *fixed = merged_record(records, NULL);
        publish_txt(check, domain, fixed);
    }
    if (o.unsupported && !ip)
        g_ptr_array_add(notes, g_strdup_printf("'%s' was not evaluated (macros and ptr are not supported)",
                                               o.unsupported));
    if (ip && status != BT_CHECK_ERROR && judge_sender(r, domain, ip, notes))
        status = status == BT_CHECK_OK ? BT_CHECK_PROBLEM : status;
    if (status == BT_CHECK_OK)
        g_ptr_array_insert(notes, 0, g_strdup_printf("one SPF record, %d of %d DNS lookups: \"%s\"",
                                                     o.lookups, MAX_LOOKUPS, text));
    bt_spf_outcome_clear(&o);
    finish(check, status, notes);
}

void
bt_dns_check_spf(BtResolver *r, BtCheck *check)
{
    const char *domain = check->target;
    const char *wanted = g_hash_table_lookup(check->args, "include");
    g_autofree char *first = NULL;
    if (wanted) {
        g_auto(GStrv) w = g_strsplit_set(wanted, " \t,", -1);
        first = g_strdup(w[0] && *w[0] ? w[0] : NULL);
    }
    const BtDnsAnswer *a = bt_resolver_query(r, domain, T_TXT);
    if (a->status == BT_DNS_FAIL) {
        bt_dns_set_result(check, BT_CHECK_ERROR, g_strdup_printf("TXT lookup for %s failed: %s", domain, a->error));
        return;
    }
    if (a->status == BT_DNS_NXDOMAIN) {
        bt_dns_set_result(check, BT_CHECK_PROBLEM, g_strdup_printf("%s does not exist in DNS (NXDOMAIN)", domain));
        return;
    }
    g_autoptr(GPtrArray) records = bt_dns_txt_with_prefix(a, "v=spf1");
    if (records->len == 0) {
        /* the exact record only when the rule names the provider's include */
        g_autofree char *fixed = first ? g_strdup_printf("v=spf1 include:%s ~all", first) : NULL;
        if (fixed)
            publish_txt(check, domain, fixed);
        bt_dns_set_result(check, BT_CHECK_PROBLEM,
                          g_strdup_printf("%s has no SPF record (a TXT record starting v=spf1): receivers cannot "
                                          "tell which servers may send its mail%s", domain,
                                          fixed ? "" : "; publish one that includes your mail provider's SPF "
                                                       "domain, e.g. \"v=spf1 include:… ~all\""));
        return;
    }
    if (records->len > 1) {
        g_autofree char *fixed = merged_record(records, NULL);
        publish_txt(check, domain, fixed);
        bt_dns_set_result(check, BT_CHECK_PROBLEM,
                          g_strdup_printf("%s has %u SPF records; receivers treat that as a permanent error "
                                          "(RFC 7208 §4.5): replace them with one", domain, records->len));
        return;
    }
    judge_record(r, check, records);
}
