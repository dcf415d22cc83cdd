/* extract — decides whether a message is a bounce and produces one record
 * per recipient with the delivery facts filled in: RFC 3464 / RFC 6533
 * delivery-status, RFC 5965 ARF, RFC 3834 auto-replies, SMTP transcripts
 * and the free-text layouts of MTAs and providers, which are data
 * (rules/layouts/ *.yaml), not C.  Thread-safe: one BtExtractor may serve
 * many workers at once. */
#pragma once

#include "core/core.h"

typedef struct _BtExtractor BtExtractor;

/* The result of extracting one message. */
typedef struct {
    char *origin;
    gint64 offset;
    guint64 seq;
    gboolean is_bounce;      /* FALSE: not a bounce, records is empty */
    char *text;              /* the human-readable bounce text (all text parts, decoded to UTF-8,
                              * LF line ends); rule conditions on `text` match against it */
    GPtrArray *records;      /* BtRecord*, one per recipient, in the order the bounce lists them */
    char *note;              /* what extract could not read in full (MIME nested too deep, more
                              * recipients than it reads), for a warning; NULL: nothing */
    /* what the returned message shows about how it was sent, for the checks */
    char *dkim_signature;    /* its first DKIM-Signature field value (s=, d=), or NULL */
    char *return_path;       /* its Return-Path address (the envelope sender SPF checks), or NULL */
    /* where a notice may state its category in a field of its own, for rule
     * conditions on `header` (X-SPASIGN, X-PowerMTA-BounceCategory) */
    char *headers;           /* the bounce's own header block, unfolded, or NULL */
    char *dsn;               /* its delivery-status report, unfolded, or NULL */
} BtBounce;

void bt_bounce_free(BtBounce *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtBounce, bt_bounce_free)

/* layout_dirs: NULL-terminated directories of layout YAML files, loaded in
 * order (a layout with the same id as an earlier one replaces it); one of
 * their files must hold the auto-reply vocabulary (`autoreply:`, shipped
 * in autoreply.yaml), to which later directories may add.  Errors
 * are "file:line:col: message" lines in `errors`; returns NULL and sets
 * BT_ERROR_CONFIG when any. */
BtExtractor *bt_extractor_new(const char *const *layout_dirs, GPtrArray *errors, GError **error);
void bt_extractor_free(BtExtractor *ex);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtExtractor, bt_extractor_free)

/* Never NULL.  Takes nothing from msg; msg may be freed afterwards. */
BtBounce *bt_extract(BtExtractor *ex, const BtMessage *msg);

/* ---- sisimai's pseudo status codes ------------------------------------------
 * Extract states one where an MTA's notice implies it (a layout with
 * `pseudo-status`); rules give one to records that end up without a status.
 * Inline here so that both stages read the one table without rules linking
 * extract's library. */

/* sisimai's internal status code for `reason`: 5.0.9xx for a permanent
 * failure, 4.0.9xx for a temporary one; NULL when it has none (delivered,
 * feedback, vacation, …, or a temporary userunknown/hostunknown/hasmoved).
 * Interned: the string lives as long as the process. */
static inline const char *
bt_status_pseudo(const char *reason, gboolean temporary)
{
    /* the "9xx" detail, and whether the reason has a temporary form */
    static const struct { const char *reason; int detail; gboolean temporary; } codes[] = {
        { "authfailure", 926, TRUE },     { "badreputation", 975, TRUE },   { "blocked", 971, TRUE },
        { "contenterror", 960, TRUE },    { "exceedlimit", 923, TRUE },     { "expired", 947, TRUE },
        { "failedstarttls", 976, TRUE },  { "filtered", 910, TRUE },        { "hasmoved", 916, FALSE },
        { "hostunknown", 912, FALSE },    { "mailboxfull", 922, TRUE },     { "mailererror", 939, TRUE },
        { "mesgtoobig", 934, TRUE },      { "networkerror", 944, TRUE },    { "norelaying", 909, TRUE },
        { "notaccept", 932, TRUE },       { "notcompliantrfc", 974, TRUE }, { "onhold", 901, TRUE },
        { "policyviolation", 972, TRUE }, { "rejected", 918, TRUE },        { "requireptr", 973, TRUE },
        { "securityerror", 970, TRUE },   { "spamdetected", 980, TRUE },    { "speeding", 946, TRUE },
        { "suppressed", 903, TRUE },      { "suspend", 921, TRUE },         { "syntaxerror", 902, TRUE },
        { "systemerror", 930, TRUE },     { "systemfull", 931, TRUE },      { "toomanyconn", 945, TRUE },
        { "undefined", 900, TRUE },       { "userunknown", 911, FALSE },    { "virusdetected", 981, TRUE },
    };
    for (gsize i = 0; reason && i < G_N_ELEMENTS(codes); i++) {
        if (g_strcmp0(codes[i].reason, reason) != 0)
            continue;
        if (temporary && !codes[i].temporary)
            return NULL;
        /* the one reason whose temporary code has another detail */
        int detail = temporary && g_strcmp0(reason, "filtered") == 0 ? 924 : codes[i].detail;
        char code[16];
        g_snprintf(code, sizeof code, "%c.0.%d", temporary ? '4' : '5', detail);
        return g_intern_string(code);
    }
    return NULL;
}
