/* finish — what sisimai does to a record once its reason is known (our own
 * reading of go-sisimai's fact/rise.go and smtp/failure): the hard/soft
 * default, the pseudo status code when the bounce gave none, the reply
 * code checked against the status class, and the action the reason
 * implies. */
#include "rules/rules-private.h"

#include <stdlib.h>
#include <string.h>

/* The reply codes sisimai looks for, per class, in its search order. */
static const char *const replies2[] = { "211", "214", "220", "221", "235", "250", "251", "252", "253",
                                        "334", "354", NULL };
static const char *const replies4[] = { "421", "450", "451", "452", "422", "430", "432", "453", "454",
                                        "455", "458", "459", NULL };
static const char *const replies5[] = { "550", "552", "553", "551", "521", "525", "523", "524", "530",
                                        "533", "534", "535", "538", "555", "556", "554", "500", "501",
                                        "502", "503", "504", NULL };

/* '.', '/' and digits glued to a code mean it is part of something else
 * (a version, an address, a longer number). */
static gboolean
is_glue(char c)
{
    return c >= '.' && c <= '9';
}

static gboolean
contains_nocase(const char *hay, const char *needle)
{
    gsize n = strlen(needle);
    char first = g_ascii_tolower(needle[0]);
    /* the first byte compared inline: a call per byte cost more than the rest */
    for (const char *s = hay; *s; s++)
        if (g_ascii_tolower(*s) == first && g_ascii_strncasecmp(s, needle, n) == 0)
            return TRUE;
    return FALSE;
}

static const char *
find_reply_in(const char *text, const char *const *codes)
{
    for (guint i = 0; codes[i]; i++)
        for (const char *s = strstr(text, codes[i]); s; s = strstr(s + 1, codes[i])) {
            char before = s > text ? s[-1] : ' ';
            if (!is_glue(before) && !is_glue(s[3]))
                return codes[i];
        }
    return NULL;
}

/* An SMTP reply code in `text`, of class `cls` ('2', '4', '5'; 0 for any:
 * 5xx first, then 4xx, then 2xx), or NULL. */
static const char *
find_reply(const char *text, char cls)
{
    if (!text || strlen(text) < 3 || contains_nocase(text, "X-UNIX"))
        return NULL;
    if (cls == '2' || cls == '4' || cls == '5')
        return find_reply_in(text, cls == '2' ? replies2 : cls == '4' ? replies4 : replies5);
    const char *found = find_reply_in(text, replies5);
    if (!found)
        found = find_reply_in(text, replies4);
    return found ? found : find_reply_in(text, replies2);
}

/* The class of the first enhanced status code (c.s.d) in `text`: '2', '4',
 * '5', or 0.  The vague x.0.0 and 4.4.7 count only when nothing else is
 * there; a code glued to digits, dots or a 'v' (a version) or followed by
 * another ".digit" (an IPv4 address) is not one. */
static char
find_status_class(const char *text)
{
    char fallback = 0;
    if (!text)
        return 0;
    /* a code's first dot, found by the library's scan, not byte by byte */
    for (const char *dot = text[0] ? strchr(text + 1, '.') : NULL; dot; dot = strchr(dot + 1, '.')) {
        const char *s = dot - 1;
        if ((*s != '2' && *s != '4' && *s != '5') || s[2] < '0' || s[2] > '7' || s[3] != '.'
            || !g_ascii_isdigit(s[4]))
            continue;
        char before = s > text ? s[-1] : ' ';
        if (is_glue(before) || before == 'v' || before == 'V')
            continue;
        gsize n = 4;
        while (n < 7 && g_ascii_isdigit(s[n]))
            n++;
        if (g_ascii_isdigit(s[n]) || (s[n] == '.' && g_ascii_isdigit(s[n + 1])))
            continue;
        gboolean vague = (s[2] == '0' && s[4] == '0' && n == 5) || strncmp(s, "4.4.7", 5) == 0;
        if (!vague)
            return *s;
        if (!fallback)
            fallback = *s;
    }
    return fallback;
}

/* The class of the status code in `text`, else of its reply code. */
static char
code_class(const char *text)
{
    char cls = find_status_class(text);
    if (!cls) {
        const char *reply = find_reply(text, 0);
        cls = reply ? reply[0] : 0;
    }
    return cls;
}

static gboolean
is_temporary(const char *text)
{
    if (!text || !*text)
        return FALSE;
    return code_class(text) == '4' || contains_nocase(text, " temporar") || contains_nocase(text, " persistent");
}

/* sisimai's hard bounce: the address or domain does not exist or has moved,
 * or the host does not accept mail at all (notaccept) and says so
 * permanently. */
static gboolean
is_hard_bounce(const char *reason, const char *codes)
{
    static const char *const hard[] = { "hasmoved", "userunknown", "hostunknown", NULL };
    if (!reason)
        return FALSE;
    if (g_strv_contains(hard, reason))
        return TRUE;
    if (strcmp(reason, "notaccept") != 0)
        return FALSE;
    if (!codes)
        return TRUE;
    return code_class(codes) == '5' || !is_temporary(codes);
}

/* "a b", or NULL when that is shorter than 4 bytes (nothing to read). */
static char *
join_codes(const char *a, const char *b)
{
    char *s = g_strdup_printf("%s %s", a ? a : "", b ? b : "");
    if (strlen(s) < 4)
        g_clear_pointer(&s, g_free);
    return s;
}

static void
set_pseudo_status(BtRecord *rec)
{
    g_autofree char *reply = rec->replycode ? g_strdup_printf("%d", rec->replycode) : NULL;
    g_autofree char *ce = join_codes(reply, rec->diagnosticcode);
    /* temporary only by the words and codes (sisimai's Fact: a delay
     * notice that says nothing temporary gets 5.0.9xx, lhost-gmail-08) */
    gboolean temporary = is_temporary(ce);
    /* but a 5xx reply the notice prints, with no 4.x.x status beside it,
     * is permanent whatever word its text uses ("550 … this domain is
     * temporarily blocked for abuse prevention", Forward Email's
     * helpers/is-expired-or-newly-created.js): the reply code says the
     * server refused for good, and keeping it is the notice's own word */
    if (temporary && rec->replycode / 100 == 5 && code_class(rec->diagnosticcode) == '5')
        temporary = FALSE;
    bt_set_str(&rec->deliverystatus, bt_pseudo_status(rec->reason, temporary));
}

/* A reply code of another class than the status is replaced by one of the
 * right class found in the diagnostic text, or dropped. */
static void
reconcile_reply_code(BtRecord *rec)
{
    char status_cls = rec->deliverystatus ? rec->deliverystatus[0] : 0;
    char reply_cls = rec->replycode ? '0' + rec->replycode / 100 : 0;
    if (status_cls == reply_cls)
        return;
    const char *found = find_reply(rec->diagnosticcode, status_cls);
    rec->replycode = found && (!status_cls || found[0] == status_cls) ? atoi(found) : 0;
}

static void
set_implied_action(BtRecord *rec)
{
    /* RFC 3464 §2.3.3: "relayed" (to a system that sends no DSN) and
     * "expanded" (to several addresses) are successes of their own */
    if (g_strcmp0(rec->reason, "delivered") == 0) {
        if (g_strcmp0(rec->action, "relayed") != 0 && g_strcmp0(rec->action, "expanded") != 0)
            bt_set_str(&rec->action, "delivered");
    }
    /* a notice that gives up says "failed" itself; only a notice that
     * states no action reads as a warning when its reason is expiry */
    else if (!rec->action && g_strcmp0(rec->reason, "expired") == 0)
        bt_set_str(&rec->action, "delayed");
    else if (!rec->action && rec->deliverystatus && strchr("45", rec->deliverystatus[0]))
        bt_set_str(&rec->action, "failed");
}

void
bt_verdict_finish(BtRecord *rec, gboolean hardbounce_given)
{
    static const char *const not_bounces[] = { "delivered", "feedback", "vacation", NULL };
    if (rec->reason && g_strv_contains(not_bounces, rec->reason)) {
        rec->hardbounce = FALSE;
        if (strcmp(rec->reason, "delivered") != 0)
            rec->replycode = 0;
    } else if (!hardbounce_given) {
        g_autofree char *codes = join_codes(rec->deliverystatus, rec->diagnosticcode);
        rec->hardbounce = is_hard_bounce(rec->reason, codes);
    }
    if (!rec->deliverystatus || !*rec->deliverystatus)
        set_pseudo_status(rec);
    reconcile_reply_code(rec);
    set_implied_action(rec);
    /* a delay notice says the MTA is still trying: whatever the words or a
     * rule say, nothing is permanent yet */
    if (g_strcmp0(rec->action, "delayed") == 0)
        rec->hardbounce = FALSE;
}
