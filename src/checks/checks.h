/* checks — runs the follow-up checks that rules suggest (DNS: MX, SPF,
 * DKIM, DMARC; Resend domain verification) and fills each BtCheck's status
 * and detail.  Network use happens only here, only when asked (--check),
 * each distinct query once per run (a cache), each bounded by timeouts. */
#pragma once

#include "core/core.h"
#include "extract/extract.h"

typedef struct _BtChecker BtChecker;

typedef struct {
    gboolean dns;              /* run dns.* checks (--check=dns) */
    gboolean resend;           /* run resend.domain checks (--check=resend) */
    const char *nameserver;    /* "HOST[:PORT]", NULL: the system's resolver */
    double dns_timeout;        /* seconds per domain, all tries included (default 4) */
    int dns_tries;             /* (default 2) */
} BtCheckOptions;

/* Reads RESEND_API_KEY and RESEND_BASE_URL from the environment.  Fails
 * only on bad options (an unparsable --nameserver, a plain-http Resend URL
 * that is not loopback), with BT_ERROR_USAGE. */
BtChecker *bt_checker_new(const BtCheckOptions *opts, GError **error);
void bt_checker_free(BtChecker *ck);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtChecker, bt_checker_free)

/* Runs the suggested checks of every record of `bounce` whose kind was
 * asked for; the others become BT_CHECK_SKIPPED with the reason.  Never
 * fails: a network problem is BT_CHECK_ERROR with a detail.  Not
 * thread-safe: the pipeline calls it from one thread. */
void bt_checker_run(BtChecker *ck, BtBounce *bounce);

/* --check-domain: every check kind asked for, for one domain, appended to
 * `checks` (BtCheck*). */
void bt_checker_check_domain(BtChecker *ck, const char *domain, GPtrArray *checks);

/* A program linked with GLib from its archive (configure
 * --enable-static-deps) cannot open the checks module, which needs GLib as
 * a shared library: it hands a run that asks for checks to its twin,
 * bouncetriage-dynamic, the same program linked with the shared libraries
 * (twin.c).  TRUE when this program is such a static build. */
gboolean bt_checks_need_twin(void);
/* Executes the twin with `argv` (the program's own, as given); returns
 * only when that failed, with the reason in `error`. */
void bt_checks_exec_twin(char **argv, GError **error);
