/* A small bounce the loader targets judge with what they loaded, so that
 * fuzzed rules and layouts are also matched, not only parsed: a free-text
 * notice (for layouts) that is also a RFC 3464 report (for rules). */
#pragma once

#include "fuzz.h"

static const char fuzz_sample_message[] =
    "From: MAILER-DAEMON@mx.example.net\n"
    "To: sender@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Message-ID: <bounce-1@mx.example.net>\n"
    "X-Failed-Recipients: user@example.org\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
    "\n"
    "--B\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "This is the mail system at host mx.example.net.\n"
    "\n"
    "<user@example.org>: host mx.example.org[192.0.2.25] said: 550 5.1.1\n"
    "    <user@example.org>: Recipient address rejected: User unknown (in reply\n"
    "    to RCPT TO command)\n"
    "\n"
    "--B\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.net\n"
    "\n"
    "Final-Recipient: rfc822; user@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.example.org\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <user@example.org>: Recipient address rejected\n"
    "\n"
    "--B--\n";

/* The sample parsed and extracted by `ex`; NULL if GMime refuses it. */
static inline BtBounce *
fuzz_sample_bounce(BtExtractor *ex)
{
    GMimeMessage *mime = fuzz_parse_message(fuzz_sample_message, sizeof fuzz_sample_message - 1);
    if (!mime)
        abort();
    g_autoptr(BtMessage) msg = bt_message_new("fuzz-sample", -1, GMIME_OBJECT(mime));
    return bt_extract(ex, msg);
}
