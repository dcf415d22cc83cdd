/* test-extract — the extract stage on small messages built here (RFC 3464
 * and RFC 6533 reports, ARF, an auto-reply, ordinary mail, status code
 * preference, a diagnostic taken from the text) and, when BT_SHARED is
 * set, over the shared corpus: non-bounces give nothing and the LF, CRLF
 * and CR copies of every bounce give the same records. */
#include "extract/extract.h"

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

/* The built-in decoders only: an empty layout directory. */
static void
fixture_setup(Fixture *f, gconstpointer data)
{
    (void) data;
    g_autofree char *dir = g_dir_make_tmp("bt-extract-XXXXXX", NULL);
    g_assert_nonnull(dir);
    f->ex = extractor_with(dir);
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
    return bt_message_new(origin, -1, mime);
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

static const char generic_status[] =
    REPORT_HEAD("delivery-status")
    "--B\n"
    "Content-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.net\n\n"
    "Final-Recipient: rfc822; carol@example.com\n"
    "Action: failed\n"
    "Status: 5.0.0\n"
    "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does\n"
    " not exist. Please try\n"
    " 550 5.1.1 double-checking the recipient's email address\n\n"
    RETURNED_PART;

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

/* ---- the shared corpus ------------------------------------------------------ */

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
    ADD("/extract/finish/diagnostic-from-body", test_diagnostic_from_body);
#undef ADD
    g_test_add_func("/extract/corpus/not-bounces", test_corpus_not_bounces);
    g_test_add_func("/extract/corpus/line-ends-agree", test_corpus_line_ends_agree);
    return g_test_run();
}
