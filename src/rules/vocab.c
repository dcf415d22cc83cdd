/* vocab — the closed sets a rule may name (sisimai's reasons, the check
 * names, the severities), the default severity of each reason, and
 * sisimai's pseudo status code for a reason (extract's table). */
#include "rules/rules-private.h"

#include <string.h>

/* Each reason with its default severity.  Severity:
 * high — the sender's reputation, authentication or security is at stake;
 * medium — this recipient or this message needs a person's decision;
 * low — transient or informational, usually resolves itself. */
typedef struct {
    const char *reason;
    const char *severity;
} ReasonInfo;

static const ReasonInfo reasons[] = {
    { "authfailure",     "high" },
    { "badreputation",   "high" },
    { "blocked",         "high" },
    { "contenterror",    "medium" },
    { "delivered",       "low" },
    { "emptyaddress",    "medium" },
    { "exceedlimit",     "medium" },
    { "expired",         "low" },
    { "failedstarttls",  "medium" },
    { "feedback",        "low" },
    { "filtered",        "medium" },
    { "hasmoved",        "medium" },
    { "hostunknown",     "medium" },
    { "mailboxfull",     "medium" },
    { "mailererror",     "medium" },
    { "mesgtoobig",      "medium" },
    { "networkerror",    "low" },
    { "norelaying",      "high" },
    { "notaccept",       "medium" },
    { "notcompliantrfc", "medium" },
    { "onhold",          "low" },
    { "policyviolation", "high" },
    { "ratelimited",     "low" },
    { "rejected",        "medium" },
    { "requireptr",      "high" },
    { "securityerror",   "high" },
    { "spamdetected",    "high" },
    { "speeding",        "low" },
    { "suppressed",      "medium" },
    { "suspend",         "medium" },
    { "syntaxerror",     "medium" },
    { "systemerror",     "medium" },
    { "systemfull",      "low" },
    { "toomanyconn",     "low" },
    { "undefined",       "medium" },
    { "userunknown",     "medium" },
    { "vacation",        "low" },
    { "virusdetected",   "high" },
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

/* sisimai's internal codes (the table lives in extract, which states them
 * too): see bt_status_pseudo(). */
const char *
bt_pseudo_status(const char *reason, gboolean temporary)
{
    return bt_status_pseudo(reason, temporary);
}
