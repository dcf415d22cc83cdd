/* test-extract — the extract stage on small messages built here (RFC 3464
 * and RFC 6533 reports, ARF, an auto-reply, ordinary mail, status code
 * preference, a diagnostic taken from the text, charset and MIME oddities,
 * pseudo status codes the shipped layouts state), on generated hostile
 * input (deep nesting, huge fields and lines, many recipients: each must
 * simply be processed) and, when BT_SHARED is set, over the shared corpus:
 * non-bounces give nothing and the LF, CRLF and CR copies of every bounce
 * give the same records. */
#include "extract/generic-lines.h"
#include "extract/extract.h"
#include "extract/text.h"
#include "core/charset.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
    BtExtractor *ex;
} Fixture;

static BtExtractor *
extractor_with(const char *dir)
{
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    BtExtractor *ex = bt_extractor_new(dirs, errors, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ex);
    return ex;
}

/* The built-in decoders only: a layout directory that holds nothing but
 * the shipped auto-reply vocabulary. */
static void
fixture_setup(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autofree char *dir = g_dir_make_tmp("bt-extract-XXXXXX", NULL);
    g_assert_nonnull(dir);
    const char *src = g_getenv("BT_SRCDIR");
    g_autofree char *shipped = g_build_filename(src ? src : BT_ABS_SRCDIR, "rules", "layouts",
                                                "autoreply.yaml", NULL);
    g_autofree char *copy = g_build_filename(dir, "autoreply.yaml", NULL);
    g_autofree char *text = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(shipped, &text, &len, NULL));
    g_assert_true(g_file_set_contents(copy, text, (gssize) len, NULL));
    f->ex = extractor_with(dir);
    g_unlink(copy);
    g_rmdir(dir);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    (void) data;
    bt_extractor_free(f->ex);
}

/* Parses `text` (LF line ends) into a message. */
static BtMessage *
message_from(const char *origin, const char *text, gsize len)
{
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *mime = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    g_assert_nonnull(mime);
    return bt_message_new(origin, -1, GMIME_OBJECT(mime));
}

static BtBounce *
extract_text(Fixture *f, const char *text)
{
    g_autoptr(BtMessage) msg = message_from("test", text, strlen(text));
    return bt_extract(f->ex, msg);
}

static const BtRecord *
record_at(const BtBounce *b, guint i)
{
    g_assert_cmpuint(b->records->len, >, i);
    return b->records->pdata[i];
}

#define REPORT_HEAD(type) \
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n" \
    "To: sender@example.org\n" \
    "Subject: Undelivered Mail Returned to Sender\n" \
    "Date: Tue, 2 Jan 2024 10:00:00 +0900\n" \
    "MIME-Version: 1.0\n" \
    "Content-Type: multipart/report; report-type=" type "; boundary=\"B\"\n\n"

#define RETURNED_PART \
    "--B\n" \
    "Content-Type: message/rfc822\n\n" \
    "From: Sender <sender@Example.ORG>\n" \
    "To: someone@example.com\n" \
    "Subject: hello there\n" \
    "Message-ID: <abc123@example.org>\n" \
    "Date: Mon, 1 Jan 2024 09:00:00 +0000\n\n" \
    "hi\n" \
    "--B--\n"

static const char two_recipients[] =
    REPORT_HEAD("delivery-status")
    "--B\n"
    "Content-Type: text/plain\n\n"
    "I'm sorry to have to inform you that your message could not be delivered.\n\n"
    "--B\n"
    "Content-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.net\n"
    "Arrival-Date: Tue, 2 Jan 2024 09:59:00 +0900\n\n"
    "Final-Recipient: rfc822; <Alice@Example.COM>\n"
    "Original-Recipient: rfc822; alias@example.com\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx1.example.com\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <alice@example.com>: Recipient address\n"
    "    rejected: User unknown in virtual mailbox table\n\n"
    "Final-Recipient: rfc822; bob@example.com\n"
    "Action: delayed\n"
    "Status: 4.2.2\n"
    "Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n\n"
    RETURNED_PART;

static void
test_rfc3464_two_recipients(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, two_recipients);
    g_assert_true(b->is_bounce);
    g_assert_cmpuint(b->records->len, ==, 2);
    const BtRecord *a = record_at(b, 0);
    g_assert_cmpstr(a->recipient, ==, "Alice@example.com");
    g_assert_cmpstr(a->alias, ==, "alias@example.com");
    g_assert_cmpstr(a->destination, ==, "example.com");
    g_assert_cmpstr(a->action, ==, "failed");
    g_assert_cmpstr(a->deliverystatus, ==, "5.1.1");
    g_assert_cmpint(a->replycode, ==, 550);
    g_assert_cmpstr(a->rhost, ==, "mx1.example.com");
    g_assert_cmpstr(a->lhost, ==, "mx.example.net");
    g_assert_cmpstr(a->diagnostictype, ==, "SMTP");
    g_assert_nonnull(strstr(a->diagnosticcode, "rejected: User unknown in virtual mailbox table"));
    g_assert_cmpstr(a->addresser, ==, "sender@example.org");
    g_assert_cmpstr(a->senderdomain, ==, "example.org");
    g_assert_cmpstr(a->subject, ==, "hello there");
    g_assert_cmpstr(a->messageid, ==, "abc123@example.org");
    g_assert_cmpstr(a->decodedby, ==, "RFC3464");
    g_assert_cmpint(a->timestamp, ==, 1704157140);   /* the Arrival-Date */
    g_assert_cmpstr(a->timezoneoffset, ==, "+0900");
    const BtRecord *r = record_at(b, 1);
    g_assert_cmpstr(r->recipient, ==, "bob@example.com");
    g_assert_cmpstr(r->action, ==, "delayed");
    g_assert_cmpstr(r->deliverystatus, ==, "4.2.2");
    g_assert_cmpint(r->replycode, ==, 452);
    g_assert_nonnull(strstr(b->text, "could not be delivered"));
}

static const char global_dsn[] =
    REPORT_HEAD("global-delivery-status")
    "--B\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Delivery failed.\n\n"
    "--B\n"
    "Content-Type: message/global-delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.net\n\n"
    "Final-Recipient: utf-8; j\\x{F6}rg@b\\x{FC}cher.example\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\n\n"
    RETURNED_PART;

static void
test_rfc6533_utf8_address(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, global_dsn);
    g_assert_cmpuint(b->records->len, ==, 1);
    const BtRecord *r = record_at(b, 0);
    g_assert_cmpstr(r->recipient, ==, "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
    g_assert_cmpstr(r->destination, ==, "b\xc3\xbc" "cher.example");
    g_assert_cmpstr(r->deliverystatus, ==, "5.1.1");
    g_assert_cmpstr(r->decodedby, ==, "RFC6533");
}

static const char arf_report[] =
    "From: abuse@isp.example\n"
    "To: fbl@example.org\n"
    "Subject: FW: complaint\n"
    "Date: Tue, 2 Jan 2024 10:00:00 +0000\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=feedback-report; boundary=\"B\"\n\n"
    "--B\n"
    "Content-Type: text/plain\n\n"
    "This is an email abuse report for an email message received from IP 192.0.2.1.\n\n"
    "--B\n"
    "Content-Type: message/feedback-report\n\n"
    "Feedback-Type: abuse\n"
    "User-Agent: SomeGenerator/1.0\n"
    "Version: 1\n"
    "Original-Rcpt-To: <complainer@isp.example>\n"
    "Source-IP: 192.0.2.1\n"
    "Arrival-Date: Tue, 2 Jan 2024 09:00:00 +0000\n\n"
    RETURNED_PART;

static void
test_arf(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, arf_report);
    g_assert_cmpuint(b->records->len, ==, 1);
    const BtRecord *r = record_at(b, 0);
    g_assert_cmpstr(r->recipient, ==, "complainer@isp.example");
    g_assert_cmpstr(r->reason, ==, "feedback");
    g_assert_cmpstr(r->feedbacktype, ==, "abuse");
    g_assert_cmpstr(r->decodedby, ==, "ARF");
    g_assert_cmpstr(r->addresser, ==, "sender@example.org");
    g_assert_null(r->deliverystatus);
    g_assert_cmpint(r->replycode, ==, 0);
}

static const char auto_reply[] =
    "From: Neko Nyaan <neko@example.jp>\n"
    "To: sender@example.org\n"
    "Subject: Automatic reply: hello there\n"
    "Date: Tue, 2 Jan 2024 10:00:00 +0900\n"
    "Auto-Submitted: auto-replied\n"
    "Content-Type: text/plain; charset=us-ascii\n\n"
    "I am out of the office until Monday and will reply when I am back.\n";

static void
test_autoreply(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, auto_reply);
    g_assert_cmpuint(b->records->len, ==, 1);
    const BtRecord *r = record_at(b, 0);
    g_assert_cmpstr(r->recipient, ==, "neko@example.jp");
    g_assert_cmpstr(r->reason, ==, "vacation");
    g_assert_cmpstr(r->decodedby, ==, "RFC3834");
}

/* An MTA notice carrying Auto-Submitted: auto-replied is no vacation reply. */
static const char notice_marked_auto_replied[] =
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
    "To: sender@example.org\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "Auto-Submitted: auto-replied\n"
    "Content-Type: text/plain\n\n"
    "This message was created automatically by mail delivery software.\n";

static void
test_bounce_not_autoreply(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, notice_marked_auto_replied);
    for (guint i = 0; i < b->records->len; i++)
        g_assert_cmpstr(((BtRecord *) b->records->pdata[i])->reason, !=, "vacation");
}

static const char ordinary_mail[] =
    "From: Friend <friend@example.com>\n"
    "To: sender@example.org\n"
    "Subject: lunch on Friday?\n"
    "Date: Tue, 2 Jan 2024 10:00:00 +0900\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Are you free for lunch on Friday? Write to bob@example.com too.\n";

static void
test_not_a_bounce(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, ordinary_mail);
    g_assert_false(b->is_bounce);
    g_assert_cmpuint(b->records->len, ==, 0);
    g_assert_nonnull(b->text);
}

/* A report for carol@example.com, failed with STATUS and the (folded)
 * Diagnostic-Code DIAG. */
#define CAROL_FAILED(status, diag)                        \
    REPORT_HEAD("delivery-status")                        \
    "--B\n"                                               \
    "Content-Type: message/delivery-status\n\n"           \
    "Reporting-MTA: dns; mx.example.net\n\n"              \
    "Final-Recipient: rfc822; carol@example.com\n"        \
    "Action: failed\n"                                    \
    "Status: " status "\n"                                \
    "Diagnostic-Code: smtp; " diag "\n\n"                 \
    RETURNED_PART

static const char generic_status[] =
    CAROL_FAILED("5.0.0", "550-5.1.1 The email account that you tried to reach does\n"
                          " not exist. Please try\n"
                          " 550 5.1.1 double-checking the recipient's email address");

static void
test_status_preference(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, generic_status);
    const BtRecord *r = record_at(b, 0);
    g_assert_cmpstr(r->deliverystatus, ==, "5.1.1");
    g_assert_cmpint(r->replycode, ==, 550);
    /* the multi-line reply reads as one sentence with its codes once */
    g_assert_cmpstr(r->diagnosticcode, ==, "550 5.1.1 The email account that you tried to reach does "
                                          "not exist. Please try double-checking the recipient's email address");
}

/* A reply code inside a path is no continuation prefix: Yahoo's pages
 * are named after the reply ("…/errors/421-ts01.html"). */
static const char code_in_url[] =
    CAROL_FAILED("4.7.0", "421-4.7.0 [TS01] Messages from 192.0.2.1 temporarily\n"
                          " 421 4.7.0 deferred; see http://postmaster.example.com/errors/421-ts01.html");

static void
test_code_in_url(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, code_in_url);
    g_assert_cmpstr(record_at(b, 0)->diagnosticcode, ==, "421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily "
                                                        "deferred; see http://postmaster.example.com/errors/421-ts01.html");
}

/* Exchange 2000/2003 name each recipient "ADDR on DATE TIME" above its
 * reason, and their DSN part carries no Diagnostic-Code: the reason is
 * the diagnostic, without the date (in any of the locale's forms). */
static const char exchange_on_date[] =
    REPORT_HEAD("delivery-status")
    "--B\n"
    "Content-Type: text/plain\n\n"
    "Your message did not reach some or all of the intended recipients.\n\n"
    "The following recipient(s) could not be reached:\n\n"
    "      ann@example.com on 2/3/2026 11:05 AM\n"
    "            The e-mail account does not exist at the organization this message was sent to.\n"
    "            <mx.example.net #5.1.1>\n\n"
    "      bob@example.com on 20.05.2006 09:31:07\n"
    "            Could not deliver the message in the time limit specified.\n\n"
    "      cy@example.com on behalf of list-a\n"
    "            The mailbox is full.\n\n"
    "--B\n"
    "Content-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.net\n\n"
    "Final-Recipient: rfc822; ann@example.com\nAction: failed\nStatus: 5.1.1\n\n"
    "Final-Recipient: rfc822; bob@example.com\nAction: failed\nStatus: 4.4.7\n\n"
    "Final-Recipient: rfc822; cy@example.com\nAction: failed\nStatus: 5.2.2\n\n"
    RETURNED_PART;

static void
test_exchange_on_date(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, exchange_on_date);
    g_assert_cmpstr(record_at(b, 0)->diagnosticcode, ==,
                    "The e-mail account does not exist at the organization this message was sent to. "
                    "<mx.example.net #5.1.1>");
    g_assert_cmpstr(record_at(b, 1)->diagnosticcode, ==,
                    "Could not deliver the message in the time limit specified.");
    /* "on" before words is the notice's own, and stays */
    g_assert_true(g_str_has_prefix(record_at(b, 2)->diagnosticcode, "on behalf of list-a"));
}

/* The same in German, its text in UTF-7 under RFC 1642's own name
 * (UNICODE-1-1-UTF-7, which Exchange 2000/2003 put on their NDRs). */
static const char exchange_utf7_de[] =
    REPORT_HEAD("delivery-status")
    "--B\n"
    "Content-Type: text/plain; charset=unicode-1-1-utf-7\n\n"
    "Folgende(r) Empf+AOQ-nger konnte(n) nicht erreicht werden:\n\n"
    "      ann@example.com am 12.09.2007 14:05\n"
    "            Das E-Mail-Konto existiert nicht. +ANw-berpr+APw-fen Sie die Adresse.\n\n"
    "--B\n"
    "Content-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.net\n\n"
    "Final-Recipient: rfc822; ann@example.com\nAction: failed\nStatus: 5.1.1\n\n"
    RETURNED_PART;

static void
test_exchange_utf7_de(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, exchange_utf7_de);
    g_assert_cmpstr(record_at(b, 0)->diagnosticcode, ==,
                    "Das E-Mail-Konto existiert nicht. \u00dcberpr\u00fcfen Sie die Adresse.");
}

/* A sendmail DSN whose transcript quotes the server's earlier "250 2.1.0
 * Ok": the success code must not become the failed recipient's status. */
static const char transcript_success_code[] =
    REPORT_HEAD("delivery-status")
    "--B\n"
    "Content-Type: text/plain\n\n"
    "   ----- The following addresses had permanent fatal errors -----\n"
    "<erin@example.com>\n"
    "    (reason: 554 Service unavailable)\n\n"
    "   ----- Transcript of session follows -----\n"
    "... while talking to mx.example.com.:\n"
    ">>> MAIL From:<sender@example.org> SIZE=1024\n"
    "<<< 250 2.1.0 Ok\n"
    ">>> RCPT To:<erin@example.com>\n"
    "<<< 554 Service unavailable\n\n"
    "--B\n"
    "Content-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.net\n\n"
    "Final-Recipient: RFC822; erin@example.com\n"
    "Action: failed\n"
    "Status: 5.0.0\n"
    "Diagnostic-Code: SMTP; 250 2.1.0 Ok 554 Service unavailable\n\n"
    RETURNED_PART;

static void
test_transcript_success_code(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, transcript_success_code);
    const BtRecord *r = record_at(b, 0);
    g_assert_cmpstr(r->deliverystatus, ==, "5.0.0");
    g_assert_cmpint(r->replycode, ==, 554);
}

static const char no_diagnostic[] =
    REPORT_HEAD("delivery-status")
    "--B\n"
    "Content-Type: text/plain\n\n"
    "The following address failed:\n\n"
    "<dave@example.com>: host mx.example.com[192.0.2.5] said: 550 5.7.1\n"
    "    Message rejected as spam (in reply to end of DATA command)\n\n"
    "--B\n"
    "Content-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.net\n\n"
    "Final-Recipient: rfc822; dave@example.com\n"
    "Action: failed\n"
    "Status: 5.0.0\n\n"
    RETURNED_PART;

static void
test_diagnostic_from_body(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f, no_diagnostic);
    const BtRecord *r = record_at(b, 0);
    g_assert_nonnull(r->diagnosticcode);
    g_assert_nonnull(strstr(r->diagnosticcode, "Message rejected as spam"));
    g_assert_cmpstr(r->deliverystatus, ==, "5.7.1");
    g_assert_cmpint(r->replycode, ==, 550);
    g_assert_cmpstr(r->command, ==, "DATA");
    g_assert_cmpstr(r->rhost, ==, "mx.example.com");
}

static char *
corpus_dir(const char *sub)
{
    const char *shared = g_getenv("BT_SHARED");
    if (!shared)
        return NULL;
    char *dir = g_build_filename(shared, "corpus", "set-of-emails", "maildir", sub, NULL);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        g_free(dir);
        return NULL;
    }
    return dir;
}

static BtExtractor *
corpus_extractor(void)
{
    const char *src = g_getenv("BT_SRCDIR");
    g_autofree char *dir = g_build_filename(src ? src : BT_ABS_SRCDIR, "rules", "layouts", NULL);
    return extractor_with(dir);
}

/* Reads a file as the source stage does: CR and CRLF become LF. */
static BtBounce *
extract_file(BtExtractor *ex, const char *path)
{
    char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    gsize w = 0;
    for (gsize r = 0; r < len; r++) {
        if (data[r] == '\r') {
            data[w++] = '\n';
            if (r + 1 < len && data[r + 1] == '\n')
                r++;
        } else {
            data[w++] = data[r];
        }
    }
    g_autoptr(BtMessage) msg = message_from(path, data, w);
    BtBounce *b = bt_extract(ex, msg);
    g_free(data);
    return b;
}

/* "recipient status reply" for every record, one line each. */
static char *
summary(const BtBounce *b)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < b->records->len; i++) {
        const BtRecord *r = b->records->pdata[i];
        g_string_append_printf(s, "%s %s %d\n", r->recipient, r->deliverystatus ? r->deliverystatus : "-",
                               r->replycode);
    }
    return g_string_free(s, FALSE);
}

/* ---- the decoded view ------------------------------------------------------ */

/* UTF-8 bytes under a 7-bit charset label (a gateway re-encoded the part
 * but kept its header) are read as UTF-8, not replaced by U+FFFD. */
static void
test_mislabelled_utf8(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f,
        "From: postmaster@example.net\n"
        "Subject: Undeliverable message\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=ISO-2022-JP\n\n"
        "\xE3\x82\xA8\xE3\x83\xA9\xE3\x83\xBC (test)\n");
    g_assert_nonnull(strstr(b->text, "\xE3\x82\xA8\xE3\x83\xA9\xE3\x83\xBC (test)"));
    g_assert_null(strstr(b->text, "\xEF\xBF\xBD"));
}

/* 7-bit text under a charset that extends ASCII reads as itself (no
 * conversion runs), NUL bytes made spaces; ISO-2022-JP escapes in it are
 * not decoded, as iconv from that charset leaves them; an unknown
 * charset's ISO-2022-JP text is. */
static void
test_seven_bit_latin(Fixture *f, gconstpointer data)
{
    (void) data;
    static const char head[] =
        "From: postmaster@example.net\n"
        "Subject: Undeliverable message\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=%s\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "plain=00text \x1B$B%%\x1B(B end\n";
    const char *as_is[] = { "iso-8859-1", "ISO-8859-15", "windows-1252", "cp1251" };
    for (gsize i = 0; i < G_N_ELEMENTS(as_is); i++) {
        g_autofree char *msg = g_strdup_printf(head, as_is[i]);
        g_autoptr(BtBounce) b = extract_text(f, msg);
        g_assert_nonnull(strstr(b->text, "plain text \x1B$B%\x1B(B end"));
    }
    g_autofree char *msg = g_strdup_printf(head, "x-no-such-charset");
    g_autoptr(BtBounce) b = extract_text(f, msg);
    g_assert_null(strstr(b->text, "\x1B"));
}

/* Charsets under the names old mailers gave them, which neither GMime
 * nor iconv knows as such: the "x-" prefix, Windows code pages as
 * "cp-NNNN" or "win-NNNN", Mac OS Roman as x-mac-roman, UTF-7 under RFC
 * 1642's name. */
static void
test_charset_names(void)
{
    static const struct { const char *charset, *bytes, *utf8; } cases[] = {
        { "x-sjis", "\x88\xB6\x90\xE6", "\xE5\xAE\x9B\xE5\x85\x88" },
        { "x-euc-jp", "\xB0\xB8\xC0\xE8", "\xE5\xAE\x9B\xE5\x85\x88" },
        { "x-gbk", "\xCA\xD5\xBC\xFE\xC8\xCB", "\xE6\x94\xB6\xE4\xBB\xB6\xE4\xBA\xBA" },
        { "cp-1252", "\x92", "\xE2\x80\x99" },
        { "win-1251", "\xEF", "\xD0\xBF" },
        { "x-mac-roman", "\x8A", "\xC3\xA4" },
        { "unicode-1-1-utf-7", "+APw-", "\xC3\xBC" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *in = g_strconcat("to ", cases[i].bytes, " failed", NULL);
        g_autofree char *want = g_strconcat("to ", cases[i].utf8, " failed", NULL);
        g_autofree char *got = bt_text_to_utf8(in, strlen(in), cases[i].charset);
        g_assert_cmpstr(got, ==, want);
    }
}

/* The same names in RFC 2047 encoded words: the returned message's
 * Subject under x-sjis reads as its text, and an encoded word under a
 * charset GMime knows is left as it is. */
static void
test_encoded_word_charsets(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f,
        REPORT_HEAD("delivery-status")
        "--B\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\n"
        "Final-Recipient: rfc822; ann@example.com\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n"
        "--B\n"
        "Content-Type: message/rfc822\n\n"
        "From: s@example.org\n"
        "To: ann@example.com\n"
        "Subject: =?x-sjis?B?ie+LY4LMjI8=?=\n"
        "Message-ID: <x@example.org>\n\n"
        "hi\n"
        "--B--\n");
    g_assert_cmpstr(record_at(b, 0)->subject, ==, "\u4f1a\u8b70\u306e\u4ef6");
    g_autofree char *fixed = bt_charset_fix_encoded_words("=?x-sjis?B?QQ==?= =?utf-8?Q?x?= =?X-GBK*zh?Q?y?=");
    g_assert_cmpstr(fixed, ==, "=?shift-jis?B?QQ==?= =?utf-8?Q?x?= =?gbk*zh?Q?y?=");
    g_assert_null(bt_charset_fix_encoded_words("=?iso-8859-1?Q?caf=E9?= plain"));
}

/* A multipart/alternative whose boundary parameter was lost (written on a
 * line of its own, unindented) has no parts: its text is still read. */
static void
test_alternative_without_boundary(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f,
        "From: postmaster@example.net\n"
        "Subject: Re: hello\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"OUT\"\n\n"
        "--OUT\n"
        "Content-Type: multipart/alternative;\n"
        "boundary=\"IN\"\n\n"
        "--IN\n"
        "Content-Type: text/plain\n\n"
        "Error message below:\n"
        "550 - Requested action not taken: no such user here\n\n"
        "--IN--\n\n"
        "--OUT--\n");
    g_assert_nonnull(strstr(b->text, "550 - Requested action not taken"));
}

/* A multipart/alternative whose HTML part comes first and whose plain
 * part is a stub that names only the postmaster: the HTML is read. */
static void
test_alternative_plain_stub(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f,
        "From: MAILER-DAEMON@example.net\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=\"ALT\"\n\n"
        "--ALT\n"
        "Content-Type: text/html\n\n"
        "<p>Your message could not be delivered to one or more recipients.</p>"
        "<p>&lt;user@example.org&gt;: host mx.example.org said: 550 5.1.1 User unknown</p>\n"
        "--ALT\n"
        "Content-Type: text/plain\n\n"
        "This message is in HTML. Questions: postmaster@example.net\n"
        "--ALT--\n");
    g_assert_nonnull(strstr(b->text, "<user@example.org>: host mx.example.org said: 550 5.1.1"));
}

/* A message nested 1,000 multiparts deep: the walk stops at the cap, says
 * so, and the message is still processed. */
static void
test_deep_nesting(Fixture *f, gconstpointer data)
{
    (void) data;
    GString *m = g_string_new("From: MAILER-DAEMON@example.org\nSubject: failure notice\n"
                              "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n");
    for (int i = 1; i < 1000; i++)
        g_string_append_printf(m, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i - 1, i);
    g_string_append(m, "--b999\nContent-Type: text/plain\n\n<user@example.net>: 550 5.1.1 unknown\n\n");
    for (int i = 999; i >= 0; i--)
        g_string_append_printf(m, "--b%d--\n", i);
    g_autoptr(BtBounce) b = extract_text(f, m->str);
    g_string_free(m, TRUE);
    g_assert_nonnull(b->note);
    g_assert_nonnull(strstr(b->note, "nested"));
}

/* ---- inputs that must not cost time in proportion to their square ----------- */

static BtBounce *
extract_with_layouts(const char *text)
{
    g_autoptr(BtExtractor) ex = corpus_extractor();
    g_autoptr(BtMessage) msg = message_from("test", text, strlen(text));
    return bt_extract(ex, msg);
}

#define NOTICE_HEAD \
    "From: MAILER-DAEMON@mx.example.org\n" \
    "To: sender@example.com\n" \
    "Subject: Undelivered Mail Returned to Sender\n"

#define HUGE (50 * 1024 * 1024)

/* A 50 MB header field. */
static void
test_huge_header_field(void)
{
    GString *m = g_string_new(NOTICE_HEAD "X-Huge: ");
    for (gsize i = 0; i < HUGE / 16; i++)
        g_string_append(m, "0123456789abcde ");
    g_string_append(m, "\nMIME-Version: 1.0\nContent-Type: text/plain\n\n"
                       "<user@example.net>: host mx.example.net said: 550 5.1.1 user unknown\n");
    g_autoptr(BtBounce) b = extract_with_layouts(m->str);
    g_string_free(m, TRUE);
    g_assert_cmpuint(b->records->len, ==, 1);
    g_assert_cmpstr(record_at(b, 0)->deliverystatus, ==, "5.1.1");
}

/* A 50 MB body line, in the recipient's diagnostic and after it. */
static void
test_huge_body_line(void)
{
    GString *m = g_string_new(NOTICE_HEAD "MIME-Version: 1.0\nContent-Type: text/plain\n\n"
                              "<user@example.net>: host mx.example.net said: 550 5.1.1 user unknown ");
    for (gsize i = 0; i < HUGE / 8; i++)
        g_string_append(m, "a@b.cd, ");
    g_string_append(m, "\n");
    g_autoptr(BtBounce) b = extract_with_layouts(m->str);
    g_string_free(m, TRUE);
    g_assert_cmpuint(b->records->len, ==, 1);
    g_assert_cmpstr(record_at(b, 0)->recipient, ==, "user@example.net");
}

/* HTML to text: the rows of one table are one block of lines (the white
 * space between "</tr>" and "<tr>" makes no empty line), tables and
 * paragraphs stand apart, and two <br> make an empty line. */
static void
test_html_blocks(void)
{
    g_autofree char *rows = bt_html_to_text(
        "<p>Delivery to the following recipients failed.</p>\n"
        "<table>\n<tr><td>a@example.com</td></tr>\n<tr><td>b@example.net</td></tr>\n</table>\n"
        "<div>one</div>\n<div>two<br><br>three</div>\n");
    g_assert_cmpstr(rows, ==, "Delivery to the following recipients failed.\n\n"
                    "a@example.com\nb@example.net\n\none\ntwo\n\nthree\n\n");
}

/* HTML to text, as the WHATWG rules render it: the named references of
 * HTML 4 (case-sensitive) and numeric ones (0x80-0x9F read as
 * windows-1252, the ';' optional), the elements displayed as blocks
 * (definition lists) start lines, table cells stand a space apart, and
 * a <pre>'s lines stay lines with their indentation. */
static void
test_html_entities(void)
{
    g_autofree char *text = bt_html_to_text(
        "<p>Empf&auml;nger f&uuml;r &lt;a@example.net&gt; couldn&rsquo;t &#146;x&#x2019; "
        "Generating server&#58 EX1 &AMP; &Auml; &bogus; &amp &#0; a&shy;b</p>");
    g_assert_cmpstr(text, ==, "Empf\xc3\xa4nger f\xc3\xbcr <a@example.net> couldn\xe2\x80\x99t "
                    "\xe2\x80\x99x\xe2\x80\x99 Generating server: EX1 & \xc3\x84 &bogus; & &#0; ab\n\n");
}

static void
test_html_block_elements(void)
{
    g_autofree char *text = bt_html_to_text(
        "<dl><dt>a@example.net</dt><dd>Host not found</dd><dt>b@example.org</dt><dd>550 5.2.1 disabled</dd></dl>"
        "<table><tr><th>Email</th><td>c@example.com</td></tr></table>"
        "<pre>\nGenerating server: EX1\n\nd@example.org\n    Remote Server returned '550 5.1.1'\n</pre>after");
    g_assert_cmpstr(text, ==, "a@example.net\nHost not found\nb@example.org\n550 5.2.1 disabled\n\n"
                    "Email c@example.com\n\n"
                    "Generating server: EX1\n\nd@example.org\n    Remote Server returned '550 5.1.1'\n\nafter\n");
}

/* HTML with a '<' that no '>' closes, many times over. */
static void
test_unclosed_html_tags(void)
{
    GString *m = g_string_new(NOTICE_HEAD "MIME-Version: 1.0\nContent-Type: text/html\n\n"
                              "<p>&lt;user@example.net&gt;: 550 5.1.1 user unknown</p>\n");
    for (gsize i = 0; i < 8 * 1024 * 1024; i++)
        g_string_append_c(m, '<');
    g_string_append_c(m, '\n');
    g_autoptr(BtBounce) b = extract_with_layouts(m->str);
    g_string_free(m, TRUE);
    g_assert_cmpuint(b->records->len, ==, 1);
}

/* A multi-line reply of a million lines. */
static void
test_long_multiline_reply(void)
{
    GString *m = g_string_new(NOTICE_HEAD "MIME-Version: 1.0\nContent-Type: text/plain\n\n"
                              "<user@example.net>: host mx.example.net said: ");
    for (gsize i = 0; i < 1024 * 1024; i++)
        g_string_append(m, "550-5.7.1 x ");
    g_string_append(m, "550 5.7.1 end\n");
    g_autoptr(BtBounce) b = extract_with_layouts(m->str);
    g_string_free(m, TRUE);
    g_assert_cmpuint(b->records->len, ==, 1);
    g_assert_true(g_str_has_prefix(record_at(b, 0)->diagnosticcode, "550 5.7.1 host mx.example.net said: x x"));
}

/* More recipients than extract reads: the first ones, and a note. */
static void
test_recipient_cap(void)
{
    GString *m = g_string_new(NOTICE_HEAD "MIME-Version: 1.0\nContent-Type: text/plain\n\n");
    for (int i = 0; i < 5000; i++)
        g_string_append_printf(m, "<u%d@example.net>: 550 5.1.1 user unknown\n\n", i);
    g_autoptr(BtBounce) b = extract_with_layouts(m->str);
    g_string_free(m, TRUE);
    g_assert_cmpuint(b->records->len, ==, 1000);
    g_assert_cmpstr(record_at(b, 999)->recipient, ==, "u999@example.net");
    g_assert_nonnull(b->note);
    g_assert_nonnull(strstr(b->note, "recipients"));
}

/* ---- status codes the notice implies ------------------------------------------ */

/* Status 4.4.7 (expired) yields to the code the logged attempts met. */
static void
test_expired_attempt_status(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autoptr(BtBounce) b = extract_text(f,
        REPORT_HEAD("delivery-status")
        "--B\n"
        "Content-Type: text/plain\n\n"
        "Delivery has failed to these recipients or groups:\n\n"
        "Diagnostic information for administrators:\n\n"
        "alice@example.com\n"
        "8:05 PM - Remote Server at mx.example.com returned '550 4.4.7 QUEUE.Expired; message expired'\n"
        "7:58 PM - Remote Server at mx.example.com returned '441 4.4.1 Error encountered while communicating'\n\n"
        "--B\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\n"
        "Final-Recipient: rfc822; alice@example.com\n"
        "Action: failed\n"
        "Status: 4.4.7\n"
        "Diagnostic-Code: smtp; 550 4.4.7 QUEUE.Expired; message expired\n\n"
        RETURNED_PART);
    g_assert_cmpstr(record_at(b, 0)->deliverystatus, ==, "4.4.1");
}

#define EXIM_NOTICE(failure) \
    "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n" \
    "To: sender@example.com\n" \
    "Subject: Mail delivery failed: returning message to sender\n\n" \
    "This message was created automatically by mail delivery software.\n\n" \
    "A message that you sent could not be delivered to one or more of its\n" \
    "recipients. This is a permanent error. The following address(es) failed:\n\n" \
    failure "\n" \
    "------ This is a copy of the message, including all the headers. ------\n\n" \
    "From: sender@example.com\nTo: user@example.net\nSubject: hi\n\nhi\n"

/* Exim states no status code: sisimai's pseudo code of the reason its
 * wording implies, temporary for an expired retry time. */
static void
test_exim_pseudo_status(void)
{
    g_autoptr(BtBounce) mail = extract_with_layouts(EXIM_NOTICE(
        "  user@example.net\n"
        "    host mx.example.net [192.0.2.1]\n"
        "    SMTP error from remote mail server after MAIL FROM:<sender@example.com> SIZE=1024:\n"
        "    550 Unroutable sender address\n"));
    g_assert_cmpstr(record_at(mail, 0)->deliverystatus, ==, "5.0.901");
    g_assert_cmpstr(record_at(mail, 0)->reason, ==, "onhold");

    g_autoptr(BtBounce) expired = extract_with_layouts(EXIM_NOTICE(
        "  user@example.net\n"
        "    retry timeout exceeded\n"));
    g_assert_cmpstr(record_at(expired, 0)->deliverystatus, ==, "4.0.947");

    g_autoptr(BtBounce) coded = extract_with_layouts(EXIM_NOTICE(
        "  user@example.net\n"
        "    host mx.example.net [192.0.2.1]\n"
        "    SMTP error from remote mail server after RCPT TO:<user@example.net>:\n"
        "    550 5.1.1 <user@example.net>... User unknown\n"));
    g_assert_cmpstr(record_at(coded, 0)->deliverystatus, ==, "5.1.1");
}

/* An Exim notice about a file delivery: the delivery-status block names
 * the file, and its Status completes the text's recipient. */
static void
test_unaddressed_dsn_blocks(void)
{
    g_autoptr(BtBounce) b = extract_with_layouts(
        "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
        "To: sender@example.com\n"
        "Subject: Mail delivery failed: returning message to sender\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
        "--B\n"
        "Content-Type: text/plain\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        "  save to /var/mail/user\n"
        "    generated by user@example.net\n"
        "    mailbox is full: retry timeout exceeded\n\n"
        "--B\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\n"
        "Action: failed\n"
        "Final-Recipient: rfc822;/var/mail/user\n"
        "Status: 5.0.0\n\n"
        RETURNED_PART);
    g_assert_cmpuint(b->records->len, ==, 1);
    g_assert_cmpstr(record_at(b, 0)->recipient, ==, "user@example.net");
    g_assert_cmpstr(record_at(b, 0)->deliverystatus, ==, "5.0.0");
}

/* Postfix lost its delivery report: the recipient is the returned
 * message's To:. */
static void
test_postfix_report_unavailable(void)
{
    g_autoptr(BtBounce) b = extract_with_layouts(
        REPORT_HEAD("delivery-status")
        "--B\n"
        "Content-Type: text/plain\n\n"
        "This is the mail system at host mx.example.net.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        "\t--- Delivery report unavailable ---\n\n"
        "--B\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n"
        "X-Postfix-Queue-ID: B1C79423C925\n\n"
        RETURNED_PART);
    g_assert_cmpuint(b->records->len, ==, 1);
    g_assert_cmpstr(record_at(b, 0)->recipient, ==, "someone@example.com");
}

/* ---- the shared corpus ------------------------------------------------------ */

static void
test_corpus_not_bounces(void)
{
    g_autofree char *dir = corpus_dir("not");
    if (!dir) {
        g_test_skip("BT_SHARED not set");
        return;
    }
    g_autoptr(BtExtractor) ex = corpus_extractor();
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    for (const char *name; (name = g_dir_read_name(d));) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autoptr(BtBounce) b = extract_file(ex, path);
        if (b->records->len)
            g_test_message("%s gave %u records", name, b->records->len);
        g_assert_false(b->is_bounce);
        g_assert_cmpuint(b->records->len, ==, 0);
    }
}

static void
test_corpus_line_ends_agree(void)
{
    g_autofree char *bsd = corpus_dir("bsd");
    g_autofree char *dos = corpus_dir("dos");
    g_autofree char *mac = corpus_dir("mac");
    if (!bsd || !dos || !mac) {
        g_test_skip("BT_SHARED not set");
        return;
    }
    g_autoptr(BtExtractor) ex = corpus_extractor();
    g_autoptr(GDir) d = g_dir_open(bsd, 0, NULL);
    guint files = 0;
    for (const char *name; (name = g_dir_read_name(d));) {
        g_autofree char *p1 = g_build_filename(bsd, name, NULL);
        g_autofree char *p2 = g_build_filename(dos, name, NULL);
        g_autofree char *p3 = g_build_filename(mac, name, NULL);
        if (!g_file_test(p2, G_FILE_TEST_EXISTS) || !g_file_test(p3, G_FILE_TEST_EXISTS))
            continue;
        g_autoptr(BtBounce) b1 = extract_file(ex, p1);
        g_autoptr(BtBounce) b2 = extract_file(ex, p2);
        g_autoptr(BtBounce) b3 = extract_file(ex, p3);
        g_autofree char *s1 = summary(b1);
        g_autofree char *s2 = summary(b2);
        g_autofree char *s3 = summary(b3);
        if (strcmp(s1, s2) != 0 || strcmp(s1, s3) != 0)
            g_test_message("%s:\nbsd:\n%sdos:\n%smac:\n%s", name, s1, s2, s3);
        g_assert_cmpstr(s1, ==, s2);
        g_assert_cmpstr(s1, ==, s3);
        files++;
    }
    g_assert_cmpuint(files, >, 0);
}

/* The per-line search finishing runs for every record: ASCII case is
 * ignored, the needle is given in lower case, nothing else is folded. */
static void
test_contains_lower(void)
{
    g_assert_true(gen_contains_lower("RCPT To:<Ann@Example.NET>", "ann@example.net"));
    g_assert_true(gen_contains_lower("<<< 550 5.1.1 <ann@example.net>... User unknown", "ann@example.net"));
    g_assert_true(gen_contains_lower("anything", ""));
    g_assert_true(gen_contains_lower("aab", "ab"));
    g_assert_false(gen_contains_lower("ann@example.ne", "ann@example.net"));
    g_assert_false(gen_contains_lower("", "a"));
    g_assert_false(gen_contains_lower("\xc3\x84nn@example.net", "\xc3\xa4nn@example.net"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_mime_init();
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/extract/rfc3464/two-recipients", test_rfc3464_two_recipients);
    ADD("/extract/rfc6533/utf8-address", test_rfc6533_utf8_address);
    ADD("/extract/arf", test_arf);
    ADD("/extract/rfc3834/autoreply", test_autoreply);
    ADD("/extract/rfc3834/bounce-is-not-autoreply", test_bounce_not_autoreply);
    ADD("/extract/not-a-bounce", test_not_a_bounce);
    ADD("/extract/finish/status-preference", test_status_preference);
    ADD("/extract/finish/code-in-url", test_code_in_url);
    ADD("/extract/finish/exchange-on-date", test_exchange_on_date);
    ADD("/extract/text/exchange-utf7-de", test_exchange_utf7_de);
    ADD("/extract/finish/transcript-success-code", test_transcript_success_code);
    ADD("/extract/finish/diagnostic-from-body", test_diagnostic_from_body);
    ADD("/extract/finish/expired-attempt-status", test_expired_attempt_status);
    ADD("/extract/view/mislabelled-utf8", test_mislabelled_utf8);
    ADD("/extract/view/seven-bit-latin", test_seven_bit_latin);
    g_test_add_func("/extract/view/charset-names", test_charset_names);
    ADD("/extract/view/encoded-word-charsets", test_encoded_word_charsets);
    ADD("/extract/view/alternative-without-boundary", test_alternative_without_boundary);
    ADD("/extract/view/alternative-plain-stub", test_alternative_plain_stub);
    ADD("/extract/view/deep-nesting", test_deep_nesting);
#undef ADD
    g_test_add_func("/extract/layouts/exim-pseudo-status", test_exim_pseudo_status);
    g_test_add_func("/extract/layouts/unaddressed-dsn-blocks", test_unaddressed_dsn_blocks);
    g_test_add_func("/extract/layouts/postfix-report-unavailable", test_postfix_report_unavailable);
    g_test_add_func("/extract/limits/contains-lower", test_contains_lower);
    g_test_add_func("/extract/limits/huge-header-field", test_huge_header_field);
    g_test_add_func("/extract/limits/huge-body-line", test_huge_body_line);
    g_test_add_func("/extract/view/html-blocks", test_html_blocks);
    g_test_add_func("/extract/view/html-entities", test_html_entities);
    g_test_add_func("/extract/view/html-block-elements", test_html_block_elements);
    g_test_add_func("/extract/limits/unclosed-html-tags", test_unclosed_html_tags);
    g_test_add_func("/extract/limits/long-multiline-reply", test_long_multiline_reply);
    g_test_add_func("/extract/limits/recipient-cap", test_recipient_cap);
    g_test_add_func("/extract/corpus/not-bounces", test_corpus_not_bounces);
    g_test_add_func("/extract/corpus/line-ends-agree", test_corpus_line_ends_agree);
    return g_test_run();
}
