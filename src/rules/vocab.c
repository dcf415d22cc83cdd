/* vocab — the closed sets a rule may name (sisimai's reasons, the check
 * names, the severities), the default severity of each reason, and
 * sisimai's pseudo status code for a reason. */
#include "rules/rules-private.h"

#include <string.h>

/* Each reason with its default severity and sisimai's pseudo status
 * detail (the "9xx" of 5.0.9xx / 4.0.9xx; 0 when sisimai has none).
 * `temp` says whether sisimai also has a 4.0.9xx form.  Severity:
 * high — the sender's reputation, authentication or security is at stake;
 * medium — this recipient or this message needs a person's decision;
 * low — transient or informational, usually resolves itself. */
typedef struct {
    const char *reason;
    const char *severity;
    int pseudo;
    gboolean temp;
} ReasonInfo;

static const ReasonInfo reasons[] = {
    { "authfailure",     "high",   926, TRUE },
    { "badreputation",   "high",   975, TRUE },
    { "blocked",         "high",   971, TRUE },
    { "contenterror",    "medium", 960, TRUE },
    { "delivered",       "low",    0,   FALSE },
    { "emptyaddress",    "medium", 0,   FALSE },
    { "exceedlimit",     "medium", 923, TRUE },
    { "expired",         "low",    947, TRUE },
    { "failedstarttls",  "medium", 976, TRUE },
    { "feedback",        "low",    0,   FALSE },
    { "filtered",        "medium", 910, TRUE },    /* 4.0.924 when temporary, below */
    { "hasmoved",        "medium", 916, FALSE },
    { "hostunknown",     "medium", 912, FALSE },
    { "mailboxfull",     "medium", 922, TRUE },
    { "mailererror",     "medium", 939, TRUE },
    { "mesgtoobig",      "medium", 934, TRUE },
    { "networkerror",    "low",    944, TRUE },
    { "norelaying",      "high",   909, TRUE },
    { "notaccept",       "medium", 932, TRUE },
    { "notcompliantrfc", "medium", 974, TRUE },
    { "onhold",          "low",    901, TRUE },
    { "policyviolation", "high",   972, TRUE },
    { "ratelimited",     "low",    0,   FALSE },
    { "rejected",        "medium", 918, TRUE },
    { "requireptr",      "high",   973, TRUE },
    { "securityerror",   "high",   970, TRUE },
    { "spamdetected",    "high",   980, TRUE },
    { "speeding",        "low",    946, TRUE },
    { "suspend",         "medium", 921, TRUE },
    { "syntaxerror",     "medium", 902, TRUE },
    { "systemerror",     "medium", 930, TRUE },
    { "systemfull",      "low",    931, TRUE },
    { "toomanyconn",     "low",    945, TRUE },
    { "undefined",       "medium", 900, TRUE },
    { "userunknown",     "medium", 911, FALSE },
    { "vacation",        "low",    0,   FALSE },
    { "virusdetected",   "high",   981, TRUE },
};

static const char *const check_names[] = {
    "dns.mx", "dns.spf", "dns.dkim", "dns.dmarc", "resend.domain",
};

static const ReasonInfo *
reason_info(const char *reason)
{
    if (!reason)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(reasons); i++)
        if (strcmp(reasons[i].reason, reason) == 0)
            return &reasons[i];
    return NULL;
}

gboolean
bt_reason_is_valid(const char *reason)
{
    return reason_info(reason) != NULL;
}

gboolean
bt_check_name_is_valid(const char *name)
{
    if (!name)
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(check_names); i++)
        if (strcmp(check_names[i], name) == 0)
            return TRUE;
    return FALSE;
}

gboolean
bt_severity_is_valid(const char *severity)
{
    return severity && (strcmp(severity, "low") == 0 || strcmp(severity, "medium") == 0
                        || strcmp(severity, "high") == 0);
}

const char *
bt_reason_default_severity(const char *reason)
{
    const ReasonInfo *info = reason_info(reason);
    return info ? info->severity : "medium";
}

/* sisimai's internal codes: 5.0.9xx for a permanent failure, 4.0.9xx for a
 * temporary one; NULL when sisimai has no code (delivered, feedback,
 * vacation, …, and a temporary userunknown/hostunknown/hasmoved). */
const char *
bt_pseudo_status(const char *reason, gboolean temporary)
{
    const ReasonInfo *info = reason_info(reason);
    if (!info || info->pseudo == 0 || (temporary && !info->temp))
        return NULL;
    /* The one reason whose temporary code differs from its permanent one. */
    int detail = (temporary && strcmp(reason, "filtered") == 0) ? 924 : info->pseudo;
    /* Interned so the caller gets a string that lives as long as the process. */
    char code[16];
    g_snprintf(code, sizeof code, "%c.0.%d", temporary ? '4' : '5', detail);
    return g_intern_string(code);
}
