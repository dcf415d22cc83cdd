/* test-layouts — the free-text layout engine: matching hand-built views
 * (qmail, Alibaba-style labelled fields, a non-bounce, letters quoting a
 * notice, pseudo status codes,
 * recipients from the returned message, transcript lines before a recipient,
 * a multi-line reply's later lines joined to a captured first line,
 * bounce-notice, local-domain, in-block aliases, end and sections,
 * split-before, the text under a heading lifted as a block),
 * the shipped layout files, and the exact "file:line:col: message" of broken
 * layout files, and the same results once regexes are JIT-compiled. */
#include "extract/layout.h"
#include "extract/layout-private.h"

#include <glib/gstdio.h>
#include <string.h>

/* A view of a message made from `headers` (CRLF-free text, one per line)
 * and a decoded `body`, as view.c would give it. */
static BtMsgView *
make_view(const char *headers, const char *body)
{
    g_autofree char *raw = g_strconcat(headers, "\n", body, NULL);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, strlen(raw));
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    BtMsgView *view = g_new0(BtMsgView, 1);
    view->mime = GMIME_OBJECT(g_mime_parser_construct_message(parser, NULL));
    g_object_unref(parser);
    g_object_unref(stream);
    g_assert_nonnull(view->mime);
    view->top = bt_mime_top_of(view->mime);
    view->body = g_strdup(body);
    return view;
}

static void
free_view(BtMsgView *view)
{
    g_clear_object(&view->mime);
    g_free(view->body);
    g_free(view);
}

/* Writes `yaml` as `name` in a fresh temp dir; returns the dir. */
static char *
temp_layout_dir(const char *name, const char *yaml)
{
    g_autoptr(GError) err = NULL;
    char *dir = g_dir_make_tmp("test-layouts-XXXXXX", &err);
    g_assert_no_error(err);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_file_set_contents(path, yaml, -1, &err);
    g_assert_no_error(err);
    return dir;
}

static void
remove_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(dir);
}

static BtLayouts *
load_one(const char *dir, GPtrArray *errors, GError **error)
{
    const char *dirs[] = { dir, NULL };
    return bt_layouts_load(dirs, errors, error);
}

/* ---- the engine on hand-built views -------------------------------------- */

static const char *qmail_yaml =
    "order: 10\n"
    "layouts:\n"
    "  - id: test-qmail\n"
    "    match:\n"
    "      body: '^Hi\\. This is the qmail-send program'\n"
    "    begin: 'wasn.t able to deliver'\n"
    "    original: '^--- Below this line is a copy of the message'\n"
    "    recipients:\n"
    "      - '^<(?<recipient>[^>]+)>:\\s*$'\n"
    "    diagnostic: { until: blank }\n"
    "    fields:\n"
    "      - '\\(#(?<status>\\d\\.\\d+\\.\\d+)\\)'\n"
    "    set: { diagnostictype: SMTP }\n"
    "  - id: test-alimail\n"
    "    match:\n"
    "      all:\n"
    "        - body: '(?im)^Recipient:'\n"
    "        - body: '(?im)^Reply:'\n"
    "    recipients: '(?i)^Recipient:\\s*<?(?<recipient>[^\\s<>]+@[^\\s<>]+?)>?\\s*$'\n"
    "    diagnostic: { until: recipient }\n"
    "    fields:\n"
    "      - '(?im)^Reply:\\s*(?<diagnosticcode>\\S.*)$'\n"
    "      - '(?im)^Reason:\\s*(?<diagnosticcode>\\S.*)$'\n"
    "      - regex: '(?i)mailbox is full'\n"
    "        set: { reason: mailboxfull }\n";

static const char *qmail_body =
    "Hi. This is the qmail-send program at mx.example.org.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "This is a permanent error; I've given up. Sorry it didn't work out.\n"
    "\n"
    "<kijitora@example.jp>:\n"
    "192.0.2.1 does not like recipient.\n"
    "Remote host said: 550 5.1.1 <kijitora@example.jp>... User Unknown\n"
    "Giving up on 192.0.2.1.\n"
    "\n"
    "<mikeneko@example.jp>:\n"
    "Sorry, no mailbox here by that name. (#5.1.1)\n"
    "\n"
    "--- Below this line is a copy of the message.\n"
    "\n"
    "Return-Path: <shironeko@example.org>\n"
    "Subject: hello\n"
    "\n"
    "<notarecipient@example.jp>:\n";

static BtLayouts *
load_test_layouts(void)
{
    g_autofree char *dir = temp_layout_dir("test.yaml", qmail_yaml);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    BtLayouts *lays = load_one(dir, errors, &err);
    remove_dir(dir);
    g_assert_no_error(err);
    g_assert_cmpuint(errors->len, ==, 0);
    return lays;
}

static void
test_qmail_notice(void)
{
    g_autoptr(BtLayouts) lays = load_test_layouts();
    BtMsgView *view = make_view("From: MAILER-DAEMON@mx.example.org\nSubject: failure notice\n",
                                qmail_body);
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at = 0;
    g_assert_true(bt_layouts_extract(lays, view, recs, &original_at));
    g_assert_cmpuint(recs->len, ==, 2);

    BtRecord *r = recs->pdata[0];
    g_assert_cmpstr(r->recipient, ==, "kijitora@example.jp");
    g_assert_cmpstr(r->diagnosticcode, ==,
                    "192.0.2.1 does not like recipient. Remote host said: 550 5.1.1 "
                    "<kijitora@example.jp>... User Unknown Giving up on 192.0.2.1.");
    g_assert_cmpstr(r->decodedby, ==, "test-qmail");
    g_assert_cmpstr(r->diagnostictype, ==, "SMTP");
    g_assert_null(r->deliverystatus);

    r = recs->pdata[1];
    g_assert_cmpstr(r->recipient, ==, "mikeneko@example.jp");
    g_assert_cmpstr(r->deliverystatus, ==, "5.1.1");
    g_assert_cmpstr(r->diagnosticcode, ==, "Sorry, no mailbox here by that name. (#5.1.1)");

    g_assert_cmpuint(original_at, <, strlen(view->body));
    g_assert_true(g_str_has_prefix(view->body + original_at, "Return-Path: <shironeko@"));
    free_view(view);
}

/* Each regex is interpreted at first and JIT-compiled after some uses,
 * possibly while other threads are matching with it: many extractions of
 * the same notice from several threads must all give the same records. */
#define REPEAT_THREADS 4
#define REPEAT_RUNS 60

typedef struct {
    const BtLayouts *lays;
    const BtMsgView *view;
    char *expected;
    gboolean all_same;
} RepeatJob;

static char *
describe_records(GPtrArray *recs, gsize original_at)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "original_at=%zu\n", original_at);
    for (guint i = 0; i < recs->len; i++) {
        const BtRecord *r = recs->pdata[i];
        g_string_append_printf(s, "%s|%s|%s|%s\n", r->recipient, r->diagnosticcode,
                               r->deliverystatus ? r->deliverystatus : "-", r->decodedby);
    }
    return g_string_free(s, FALSE);
}

static char *
extract_described(const BtLayouts *lays, const BtMsgView *view)
{
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at = 0;
    if (!bt_layouts_extract(lays, view, recs, &original_at))
        return g_strdup("no match");
    return describe_records(recs, original_at);
}

static gpointer
repeat_extract(gpointer data)
{
    RepeatJob *job = data;
    job->all_same = TRUE;
    for (int i = 0; i < REPEAT_RUNS; i++) {
        g_autofree char *got = extract_described(job->lays, job->view);
        if (g_strcmp0(got, job->expected) != 0)
            job->all_same = FALSE;
    }
    return NULL;
}

static void
test_same_result_after_jit(void)
{
    g_autoptr(BtLayouts) lays = load_test_layouts();
    BtMsgView *view = make_view("From: MAILER-DAEMON@mx.example.org\nSubject: failure notice\n",
                                qmail_body);
    g_autofree char *first = extract_described(lays, view);
    g_assert_true(g_str_has_prefix(first, "original_at="));
    g_assert_nonnull(strstr(first, "mikeneko@example.jp|Sorry, no mailbox here by that name. (#5.1.1)|5.1.1|test-qmail\n"));

    RepeatJob jobs[REPEAT_THREADS];
    GThread *threads[REPEAT_THREADS];
    for (int t = 0; t < REPEAT_THREADS; t++) {
        jobs[t] = (RepeatJob) { lays, view, first, FALSE };
        threads[t] = g_thread_new("extract", repeat_extract, &jobs[t]);
    }
    for (int t = 0; t < REPEAT_THREADS; t++) {
        g_thread_join(threads[t]);
        g_assert_true(jobs[t].all_same);
    }
    free_view(view);
}

static void
test_alimail_notice(void)
{
    g_autoptr(BtLayouts) lays = load_test_layouts();
    BtMsgView *view = make_view(
        "From: MAILER-DAEMON@mx.aliyun.example\nSubject: Undelivered Mail Returned to Sender\n",
        "This is the mail delivery system. Your message could not be delivered.\n"
        "\n"
        "Recipient: <kijitora@example.com>\n"
        "Reason: The recipient's mailbox is full\n"
        "Reply: 552 5.2.2 Mailbox full, quota exceeded\n"
        "\n"
        "Recipient: mikeneko@example.net\n"
        "Reason: The recipient does not exist\n");
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at = 0;
    g_assert_true(bt_layouts_extract(lays, view, recs, &original_at));
    g_assert_cmpuint(original_at, ==, G_MAXSIZE);
    g_assert_cmpuint(recs->len, ==, 2);

    BtRecord *r = recs->pdata[0];
    g_assert_cmpstr(r->recipient, ==, "kijitora@example.com");
    g_assert_cmpstr(r->diagnosticcode, ==, "552 5.2.2 Mailbox full, quota exceeded");
    g_assert_cmpstr(r->reason, ==, "mailboxfull");
    g_assert_cmpstr(r->decodedby, ==, "test-alimail");

    r = recs->pdata[1];   /* no Reply: the Reason: text stands in */
    g_assert_cmpstr(r->recipient, ==, "mikeneko@example.net");
    g_assert_cmpstr(r->diagnosticcode, ==, "The recipient does not exist");
    g_assert_null(r->reason);
    free_view(view);
}

static void
test_not_a_bounce(void)
{
    g_autoptr(BtLayouts) lays = load_test_layouts();
    BtMsgView *view = make_view("From: shironeko@example.org\nSubject: lunch\n",
                                "Hi. This is the menu for Friday.\n"
                                "<kijitora@example.jp>:\n"
                                "Recipient: mikeneko@example.net\n"
                                "See you there.\n");
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at = 0;
    g_assert_false(bt_layouts_extract(lays, view, recs, &original_at));
    g_assert_cmpuint(recs->len, ==, 0);
    g_assert_cmpuint(original_at, ==, G_MAXSIZE);
    free_view(view);
}

/* ---- shipped layouts ------------------------------------------------------ */

static char *
shipped_dir(void)
{
    const char *src = g_getenv("BT_SRCDIR");
    return g_build_filename(src ? src : BT_ABS_SRCDIR, "rules", "layouts", NULL);
}

static BtLayouts *
load_shipped(void)
{
    g_autofree char *dir = shipped_dir();
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    BtLayouts *lays = load_one(dir, errors, &err);
    for (guint i = 0; i < errors->len; i++)
        g_test_message("%s", (char *) errors->pdata[i]);
    g_assert_no_error(err);
    g_assert_nonnull(lays);
    return lays;
}

static void
test_shipped_load(void)
{
    g_autoptr(BtLayouts) lays = load_shipped();
}

static void
test_shipped_alimail(void)
{
    g_autoptr(BtLayouts) lays = load_shipped();
    BtMsgView *view = make_view(
        "From: MAILER-DAEMON@mail.aliyun.com\nSubject: =?UTF-8?B?6YCA5L+h?=\n",
        "Recipient: kijitora@example.com\n"
        "Reason: Your message was rejected by the recipient's server\n"
        "Reply: 550 5.7.1 SPF check failed for sender domain\n");
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at;
    g_assert_true(bt_layouts_extract(lays, view, recs, &original_at));
    g_assert_cmpuint(recs->len, ==, 1);
    BtRecord *r = recs->pdata[0];
    g_assert_cmpstr(r->decodedby, ==, "alimail");
    g_assert_cmpstr(r->diagnosticcode, ==, "550 5.7.1 SPF check failed for sender domain");
    free_view(view);
}

static void
test_shipped_ignores_plain_mail(void)
{
    g_autoptr(BtLayouts) lays = load_shipped();
    BtMsgView *view = make_view("From: Neko <neko@example.org>\nSubject: Re: minutes\n",
                                "kijitora@example.jp: please send the file\n"
                                "<mikeneko@example.jp>: agreed\n"
                                "\n"
                                "  sabineko@example.jp\n"
                                "    will be late\n");
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at;
    g_assert_false(bt_layouts_extract(lays, view, recs, &original_at));
    free_view(view);
}

/* Letters that quote a notice (a forwarded NDR, a forum question, a reply
 * about a failed delivery, a newsletter) are not notices: the layouts that
 * key on body text also want the notice's own sender or Subject. */
static const struct {
    const char *headers, *body;
} quoted_notices[] = {
    { /* fw-ndr */
        "From: Alice Example <alice@example.org>\n"
        "Subject: FW: Undeliverable: Monthly figures\n",
        "Hi, why did this bounce?\n"
        "\n"
        "-----Original Message-----\n"
        "From: Microsoft Exchange\n"
        "Sent: Monday, March 9, 2026 10:12 AM\n"
        "Subject: Undeliverable: Monthly figures\n"
        "\n"
        "Delivery has failed to these recipients or groups:\n"
        "\n"
        "ann.example@example.com\n"
        "The e-mail address you entered couldn't be found.\n"
        "\n"
        "Diagnostic information for administrators:\n"
        "\n"
        "Generating server: EXHUB01.corp.example.org\n"
        "\n"
        "ann.example@example.com\n"
        "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n" },
    { /* forum-postfix */
        "From: Bob Example <bob@example.net>\n"
        "Subject: Postfix bounce question\n",
        "I get this in my logs, what does it mean?\n"
        "\n"
        "This is the mail system at host mail.example.net.\n"
        "\n"
        "<carol@example.com>: host mx.example.com[198.51.100.2] said: 550 5.1.1\n"
        "    User unknown (in reply to RCPT TO command)\n"
        "\n"
        "Thanks, Bob\n" },
    { /* human-could-not */
        "From: Dana Example <dana@example.com>\n"
        "Subject: Re: delivery problem with the courier\n",
        "Could not deliver to erin@example.net because she was not at home.\n"
        "The following addresses were not valid\n"
        "  frank@example.net\n"
        "Intended recipient: gary@example.net\n" },
    { /* newsletter */
        "From: News <news@example.com>\n"
        "Subject: Our February newsletter\n",
        "Delivery to the following recipients failed.\n"
        "\n"
        "   reader@example.org\n"
        "\n"
        "(Just kidding - this is a newsletter about email deliverability.)\n"
        "Failed to deliver to '<someone@example.net>'\n"
        "Your message to <x@example.org> was automatically rejected:\n" },
    { /* fwd-exim: a person forwards Exim's notice to the helpdesk */
        "From: Hana Example <hana@example.org>\n"
        "Subject: Fwd: Mail delivery failed: returning message to sender\n",
        "Can you look at this?\n"
        "\n"
        "This message was created automatically by mail delivery software.\n"
        "\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n"
        "\n"
        "  ivan@example.net\n"
        "    Unrouteable address\n" },
    { /* aw-small-mta: a German reply quoting a one-line notice */
        "From: Jana Example <jana@example.com>\n"
        "Subject: AW: Undelivered Mail Returned to Sender\n",
        "Danke, ich schaue nach.\n"
        "\n"
        "Could not deliver to karl@example.net because the mailbox is full.\n" },
    { /* tr-user-list: a French forward of a notice naming bare user names */
        "From: Luc Example <luc@example.org>\n"
        "Subject: TR: Undeliverable mail\n",
        "Pour info.\n"
        "\n"
        "Message not delivered to the following:\n"
        "\n"
        "    mlefort      Mailbox unknown\n"
        "\n"
        "Error Detail:\n" },
    { /* fwd-qmail: a forwarded qmail-send notice */
        "From: Mia Example <mia@example.net>\n"
        "Subject: Fwd: failure notice\n",
        "This bounced, any idea?\n"
        "\n"
        "Hi. This is the qmail-send program at mail.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n"
        "\n"
        "<noel@example.com>:\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\n" },
    { /* vs-sendmail: a Swedish forward of a Sendmail notice */
        "From: Olle Example <olle@example.org>\n"
        "Subject: VS: Returned mail: see transcript for details\n",
        "Vad betyder detta?\n"
        "\n"
        "   ----- The following addresses had permanent fatal errors -----\n"
        "<pia@example.com>\n"
        "    (reason: 550 5.1.1 User unknown)\n"
        "\n"
        "   ----- Transcript of session follows -----\n"
        "550 5.1.1 <pia@example.com>... User unknown\n" },
};

static void
test_shipped_ignores_quoted_notices(void)
{
    g_autoptr(BtLayouts) lays = load_shipped();
    for (gsize i = 0; i < G_N_ELEMENTS(quoted_notices); i++) {
        BtMsgView *view = make_view(quoted_notices[i].headers, quoted_notices[i].body);
        g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
        gsize original_at;
        g_assert_false(bt_layouts_extract(lays, view, recs, &original_at));
        free_view(view);
    }
}

/* ---- pseudo status codes and the returned message's headers -------------- */

static const char *pseudo_yaml =
    "layouts:\n"
    "  - id: test-pseudo\n"
    "    recipients: '^<(?<recipient>[^>]+)>:\\s*(?<diagnosticcode>.*)$'\n"
    "    fields:\n"
    "      - regex: 'timed out'\n"
    "        set: { reason: expired }\n"
    "      - regex: 'sender'\n"
    "        set: { reason: rejected }\n"
    "    pseudo-status: { temporary: [expired] }\n"
    "  - id: test-returned\n"
    "    match: { body: '^report lost$' }\n"
    "    original-headers: To\n";

static GPtrArray *
extract_with(const char *yaml, BtMsgView *view)
{
    g_autofree char *dir = temp_layout_dir("test.yaml", yaml);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autoptr(BtLayouts) lays = load_one(dir, errors, &err);
    remove_dir(dir);
    g_assert_no_error(err);
    GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at = 0;
    bt_layouts_extract(lays, view, recs, &original_at);
    return recs;
}

/* sisimai's pseudo code for the reason hint: temporary for a listed hint
 * or a 4xx reply, permanent otherwise; a code in the text wins. */
static void
test_pseudo_status(void)
{
    BtMsgView *view = make_view("From: MAILER-DAEMON@example.org\n",
                                "<a@example.jp>: connection timed out\n\n"
                                "<b@example.jp>: 550 sender rejected\n\n"
                                "<c@example.jp>: 451 sender rejected, try later\n\n"
                                "<d@example.jp>: 550 5.7.1 sender rejected\n");
    g_autoptr(GPtrArray) recs = extract_with(pseudo_yaml, view);
    g_assert_cmpuint(recs->len, ==, 4);
    g_assert_cmpstr(((BtRecord *) recs->pdata[0])->deliverystatus, ==, "4.0.947");
    g_assert_cmpstr(((BtRecord *) recs->pdata[1])->deliverystatus, ==, "5.0.918");
    g_assert_cmpstr(((BtRecord *) recs->pdata[2])->deliverystatus, ==, "4.0.918");
    g_assert_cmpstr(((BtRecord *) recs->pdata[3])->deliverystatus, ==, "5.7.1");
    free_view(view);
}

/* original-headers read the returned message when the text has no copy. */
static void
test_original_headers_returned(void)
{
    BtMsgView *view = make_view("From: MAILER-DAEMON@example.org\n", "report lost\n");
    view->returned_headers = g_strdup("From: s@example.org\nTo: Someone <someone@example.com>\n");
    g_autoptr(GPtrArray) recs = extract_with(pseudo_yaml, view);
    g_assert_cmpuint(recs->len, ==, 1);
    g_assert_cmpstr(((BtRecord *) recs->pdata[0])->recipient, ==, "someone@example.com");
    g_free(view->returned_headers);
    free_view(view);
}

/* `before` lines lead the next recipient's text, and only its. */
static void
test_before_lines(void)
{
    static const char *yaml =
        "layouts:\n"
        "  - id: test-transcript\n"
        "    recipients: '^[45]\\d\\d <(?<recipient>[^>]+)>\\.\\.\\. (?<diagnosticcode>.*)$'\n"
        "    diagnostic: { stop: '^(?:[45]\\d\\d |>>>|<<<)', before: '^<<< ' }\n";
    BtMsgView *view = make_view("From: MAILER-DAEMON@example.org\n",
                                ">>> MAIL From:<s@example.org>\n"
                                "<<< 550 Insecure Mail Relay\n"
                                "554 <a@example.jp>... Remote protocol error\n"
                                "554 <b@example.jp>... Remote protocol error\n");
    g_autoptr(GPtrArray) recs = extract_with(yaml, view);
    g_assert_cmpuint(recs->len, ==, 2);
    g_assert_cmpstr(((BtRecord *) recs->pdata[0])->diagnosticcode, ==,
                    "<<< 550 Insecure Mail Relay Remote protocol error");
    g_assert_cmpstr(((BtRecord *) recs->pdata[1])->diagnosticcode, ==, "Remote protocol error");
    free_view(view);
}

/* A recipient first named without a word of its own takes `common`'s
 * reply, another recipient's session's; its later line with the
 * `before` lines leading it replaces that reply, and a block with a
 * diagnostic of its own takes none of the codes `common` read with its
 * reply.  A block whose line names a program, not an address, counts
 * once an `in-block: parent` line names its address, and a later line
 * for the program is that recipient's. */
static void
test_before_lines_replace_common(void)
{
    static const char *yaml =
        "layouts:\n"
        "  - id: test-local-mailer\n"
        "    recipients:\n"
        "      - '^[45]\\d\\d (?:\\d\\.\\d\\.\\d )?<?(?<recipient>[^\\s<>\"]+@[^\\s<>\"]+?)>?\\.\\.\\. (?<diagnosticcode>.*)$'\n"
        "      - '^[45]\\d\\d (?:\\d\\.\\d\\.\\d )?\"(?<recipient>\\|[^\"]+)\"\\.\\.\\. (?<diagnosticcode>.*)$'\n"
        "      - '^(?<diagnosticcode>\"(?<recipient>\\|[^\"]+)\")$'\n"
        "      - '^<(?<recipient>[^>]+)>$'\n"
        "      - { regex: '^\\s+\\(expanded from: <(?<recipient>[^>]+)>\\)', in-block: parent }\n"
        "    diagnostic: { stop: '^(?:[45]\\d\\d |<<<|mail\\.local: )', before: '^(?:<<< |mail\\.local: )' }\n"
        "    fields: '^(?<replycode>[45]\\d\\d) (?:(?<status>\\d\\.\\d\\.\\d) )?(?:\"[^\"]*\"|\\S+)\\.\\.\\.'\n"
        "    common: '(?m)^<<< (?<diagnosticcode>(?<replycode>[45]\\d\\d) (?<status>\\d\\.\\d\\.\\d) .*)$'\n";
    BtMsgView *view = make_view("From: MAILER-DAEMON@example.org\n",
                                "<a@example.jp>\n"
                                "\"|/usr/bin/prog -x\"\n"
                                "    (reason: Service unavailable)\n"
                                "    (expanded from: <p@example.jp>)\n"
                                "\n"
                                "<<< 552 5.2.2 <b@example.jp>... Mailbox full\n"
                                "552 5.2.2 <b@example.jp>... Mailbox full\n"
                                "\n"
                                "mail.local: unknown user: a\n"
                                "554 <a@example.jp>... Service unavailable\n"
                                "\n"
                                "554 5.0.0 \"|/usr/bin/prog -x\"... Service unavailable\n");
    g_autoptr(GPtrArray) recs = extract_with(yaml, view);
    g_assert_cmpuint(recs->len, ==, 3);
    const BtRecord *a = recs->pdata[0], *p = recs->pdata[1];
    g_assert_cmpstr(a->recipient, ==, "a@example.jp");
    g_assert_cmpstr(a->diagnosticcode, ==, "mail.local: unknown user: a Service unavailable");
    g_assert_cmpint(a->replycode, ==, 554);
    g_assert_cmpstr(p->recipient, ==, "p@example.jp");
    g_assert_cmpstr(p->diagnosticcode, ==, "\"|/usr/bin/prog -x\" (reason: Service unavailable)");
    /* its codes are its own transcript line's, not b's reply's */
    g_assert_cmpint(p->replycode, ==, 554);
    g_assert_cmpstr(p->deliverystatus, ==, "5.0.0");
    free_view(view);
}

/* A capture that is the first line of a multi-line reply (RFC 5321
 * 4.2.1) gets the reply's later lines, found behind the same marker and
 * timestamp-like prefix, up to its final "CODE text" line; a line of
 * another code or without the marker ends it, and a single-line reply is
 * left alone. */
static void
test_reply_continuation_joined(void)
{
    static const char *yaml =
        "layouts:\n"
        "  - id: test-reply-lines\n"
        "    recipients: '^Failed: <(?<recipient>[^>]+)>$'\n"
        "    fields: '(?m)^\\[[^]]*\\] <<< (?<diagnosticcode>[45]\\d\\d[ -].*)$'\n";
    BtMsgView *view = make_view("From: MAILER-DAEMON@example.org\n",
                                "Failed: <a@example.jp>\n"
                                "[10:00:01] >>> RCPT TO:<a@example.jp>\n"
                                "[10:00:02] <<< 550-5.7.1 first part\n"
                                "[10:00:02] <<< 550-5.7.1 second part\n"
                                "[10:00:03] <<< 550 5.7.1 last part\n"
                                "[10:00:03] <<< 550 5.7.1 not this reply\n"
                                "\n"
                                "Failed: <b@example.jp>\n"
                                "[10:00:04] <<< 452-4.2.2 over quota\n"
                                "[10:00:04] <<< 451 4.3.0 another code\n"
                                "\n"
                                "Failed: <c@example.jp>\n"
                                "[10:00:05] <<< 550 5.1.1 one line\n"
                                "[10:00:05] <<< 550 5.1.1 next reply\n");
    g_autoptr(GPtrArray) recs = extract_with(yaml, view);
    g_assert_cmpuint(recs->len, ==, 3);
    g_assert_cmpstr(((BtRecord *) recs->pdata[0])->diagnosticcode, ==,
                    "550-5.7.1 first part 550-5.7.1 second part 550 5.7.1 last part");
    g_assert_cmpstr(((BtRecord *) recs->pdata[1])->diagnosticcode, ==, "452-4.2.2 over quota");
    g_assert_cmpstr(((BtRecord *) recs->pdata[2])->diagnosticcode, ==, "550 5.1.1 one line");
    free_view(view);
}

/* The text under a heading is lifted to the heading's indentation as a
 * block: a deeper heading inside it keeps its place relative to the
 * first lifted line, and so does the text under that (the cut was once
 * taken from the inner heading and went below zero). */
static void
test_reread_nested_heading(void)
{
    static const char body[] =
        "Reason:\n"
        "\n"
        "  The remote server said:\n"
        "    Details:\n"
        "      550 5.1.1 <user@example.org>: Recipient address rejected\n";
    g_autoptr(GArray) shifts = NULL;
    g_autofree char *reread = bt_layout_reread(body, strlen(body), &shifts);
    g_assert_cmpstr(reread, ==,
                    "Reason:\n"
                    "\n"
                    "The remote server said:\n"
                    "  Details:\n"
                    "    550 5.1.1 <user@example.org>: Recipient address rejected\n");
    /* the reply's first byte maps back to where it stands in the body */
    const char *reply = strstr(reread, "550");
    g_assert_cmpuint(bt_below_unlifted(shifts, reply - reread), ==, strstr(body, "550") - body);
}

/* `split-before`: records written on one line (a JSON array) each open
 * their own block, with their own fields; a match at a line's start adds
 * no empty line. */
static void
test_split_before(void)
{
    static const char *yaml =
        "layouts:\n"
        "  - id: test-json\n"
        "    split-before: '\\{\"addr\"'\n"
        "    recipients: '\"addr\":\"(?<recipient>[^\"]+)\"'\n"
        "    diagnostic: { stop: '' }\n"
        "    fields: '\"code\":\"(?<status>[245]\\.\\d\\.\\d)\"'\n";
    BtMsgView *view = make_view("From: MAILER-DAEMON@example.org\n",
                                "{\"addr\":\"a@example.jp\",\"code\":\"5.1.1\"},"
                                "{\"addr\":\"b@example.jp\",\"code\":\"4.2.2\"}]}\n");
    g_autoptr(GPtrArray) recs = extract_with(yaml, view);
    g_assert_cmpuint(recs->len, ==, 2);
    g_assert_cmpstr(((BtRecord *) recs->pdata[0])->recipient, ==, "a@example.jp");
    g_assert_cmpstr(((BtRecord *) recs->pdata[0])->deliverystatus, ==, "5.1.1");
    g_assert_cmpstr(((BtRecord *) recs->pdata[1])->recipient, ==, "b@example.jp");
    g_assert_cmpstr(((BtRecord *) recs->pdata[1])->deliverystatus, ==, "4.2.2");
    free_view(view);
}

/* ---- broken layout files --------------------------------------------------- */

/* Loads `yaml` as broken.yaml and checks the single error line; "@PATH@"
 * in `expected_tail` stands for the file's path. */
static void
assert_load_error(const char *yaml, const char *expected_tail)
{
    g_autofree char *dir = temp_layout_dir("broken.yaml", yaml);
    g_autofree char *path = g_build_filename(dir, "broken.yaml", NULL);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    BtLayouts *lays = load_one(dir, errors, &err);
    remove_dir(dir);
    g_assert_null(lays);
    g_assert_error(err, BT_ERROR, BT_ERROR_CONFIG);
    g_assert_cmpuint(errors->len, ==, 1);
    g_auto(GStrv) parts = g_strsplit(expected_tail, "@PATH@", -1);
    g_autofree char *tail = g_strjoinv(path, parts);
    g_autofree char *expected = g_strconcat(path, ":", tail, NULL);
    g_assert_cmpstr(errors->pdata[0], ==, expected);
}

static void
test_error_unknown_key(void)
{
    assert_load_error("layouts:\n"
                      "  - id: a\n"
                      "    recipients: '(?<recipient>\\S+@\\S+)'\n"
                      "    colour: blue\n",
                      "4:5: unknown key 'colour' in layout");
}

static void
test_error_bad_regex(void)
{
    assert_load_error("layouts:\n"
                      "  - id: a\n"
                      "    recipients: '(?<recipient>\\S+@\\S+'\n",
                      "3:17: bad regex: missing closing parenthesis at offset 20");
}

static void
test_error_duplicate_id(void)
{
    assert_load_error("layouts:\n"
                      "  - id: a\n"
                      "    recipients: '(?<recipient>\\S+)'\n"
                      "  - id: a\n"
                      "    recipients: '(?<recipient>\\S+)'\n",
                      "4:9: duplicate id 'a' (first at @PATH@:2:9)");
}

static void
test_error_wrong_type(void)
{
    assert_load_error("layouts:\n"
                      "  - id: a\n"
                      "    recipients: '(?<recipient>\\S+)'\n"
                      "    diagnostic: [blank]\n",
                      "4:17: diagnostic must be a map");
}

static void
test_error_unknown_group(void)
{
    assert_load_error("layouts:\n"
                      "  - id: a\n"
                      "    recipients: '(?<recipient>\\S+) (?<colour>\\w+)'\n",
                      "3:17: unknown capture group 'colour'");
}

static void
test_error_pseudo_reason(void)
{
    assert_load_error("layouts:\n"
                      "  - id: a\n"
                      "    recipients: '(?<recipient>\\S+)'\n"
                      "    pseudo-status: { temporary: [userunknown] }\n",
                      "4:34: 'userunknown' is not a reason with a temporary pseudo status");
}

static void
test_error_local_domain(void)
{
    assert_load_error("layouts:\n"
                      "  - id: a\n"
                      "    recipients: '(?<recipient>\\S+)'\n"
                      "    local-domain: [from-sender, from-moon]\n",
                      "4:33: local-domain must be from-original-to, from-sender or from-reporting-host");
}

static void
test_error_in_block_field(void)
{
    assert_load_error("layouts:\n"
                      "  - id: a\n"
                      "    recipients: '(?<recipient>\\S+)'\n"
                      "    fields: [{ regex: 'x', in-block: alias }]\n",
                      "4:14: in-block is only for recipient patterns");
}

static void
test_error_bounce_notice(void)
{
    assert_load_error("layouts:\n"
                      "  - id: a\n"
                      "    match: { bounce-notice: yes }\n"
                      "    recipients: '(?<recipient>\\S+)'\n",
                      "3:29: expected true or false");
}

/* `bounce-notice`, `local-domain`, `in-block: alias`, `end` and `sections`
 * on one hand-built notice. */
static const char *features_yaml =
    "layouts:\n"
    "  - id: feat\n"
    "    match: { bounce-notice: true }\n"
    "    end: '^Transcripts:'\n"
    "    recipients:\n"
    "      - '^  (?<recipient>[\\w.@-]+)$'\n"
    "      - { regex: '^    via (?<recipient>\\S+@\\S+)$', in-block: alias }\n"
    "    sections: '^== (?<recipient>\\S+@\\S+) ==$'\n"
    "    local-domain: [from-original-to, from-sender]\n"
    "    original: '^--- original'\n"
    "    fields: '(?<replycode>[45]\\d\\d) '\n";
static const char *features_body =
    "Failed:\n"
    "  lee@example.net\n"
    "    via team@example.net\n"
    "  mo\n"
    "  pat\n"
    "\n"
    "Transcripts:\n"
    "  not-a-recipient@example.net\n"
    "== pat@example.com ==\n"
    "\n"
    "550 no such user\n"
    "--- original\n"
    "To: Pat <pat@example.com>\n"
    "\n"
    "hello\n";

static void
test_features(void)
{
    g_autofree char *dir = temp_layout_dir("f.yaml", features_yaml);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(BtLayouts) lays = load_one(dir, errors, NULL);
    remove_dir(dir);
    g_assert_nonnull(lays);
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at;

    BtMsgView *reply = make_view("From: Ann <ann@example.org>\nSubject: Re: Undeliverable mail\n", features_body);
    g_assert_false(bt_layouts_extract(lays, reply, recs, &original_at));
    free_view(reply);

    /* a translated "Undeliverable:" from a sender that is no mail system,
     * and a German reply to it */
    BtMsgView *de = make_view("From: Outlook <ndr@mx.example.org>\nSubject: Unzustellbar: Angebot\n", features_body);
    g_assert_true(bt_layouts_extract(lays, de, recs, &original_at));
    free_view(de);
    g_ptr_array_set_size(recs, 0);
    BtMsgView *aw = make_view("From: Ann <ann@example.org>\nSubject: AW: Unzustellbar: Angebot\n", features_body);
    g_assert_false(bt_layouts_extract(lays, aw, recs, &original_at));
    free_view(aw);

    BtMsgView *view = make_view("From: MAILER-DAEMON@mx.example.org\nSubject: failure\n", features_body);
    g_assert_true(bt_layouts_extract(lays, view, recs, &original_at));
    free_view(view);
    g_assert_cmpuint(recs->len, ==, 3);
    const BtRecord *lee = recs->pdata[0], *mo = recs->pdata[1], *pat = recs->pdata[2];
    g_assert_cmpstr(lee->recipient, ==, "lee@example.net");
    g_assert_cmpstr(lee->alias, ==, "team@example.net");
    g_assert_cmpstr(mo->recipient, ==, "mo@mx.example.org");     /* from the sender */
    g_assert_cmpstr(pat->recipient, ==, "pat@example.com");      /* from the original's To */
    g_assert_cmpstr(pat->diagnosticcode, ==, "550 no such user"); /* its section */
    g_assert_cmpint(pat->replycode, ==, 550);
    g_assert_cmpint(mo->replycode, ==, 0);
}

/* A later directory's layout with the same id replaces the earlier one. */
static void
test_later_dir_replaces(void)
{
    g_autofree char *d1 = temp_layout_dir("a.yaml",
        "layouts:\n"
        "  - id: same\n"
        "    recipients: '^first (?<recipient>\\S+@\\S+)'\n");
    g_autofree char *d2 = temp_layout_dir("b.yaml",
        "layouts:\n"
        "  - id: same\n"
        "    recipients: '^second (?<recipient>\\S+@\\S+)'\n");
    const char *dirs[] = { d1, d2, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(BtLayouts) lays = bt_layouts_load(dirs, errors, NULL);
    remove_dir(d1);
    remove_dir(d2);
    g_assert_nonnull(lays);
    BtMsgView *view = make_view("Subject: x\n", "first a@example.org\nsecond b@example.org\n");
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at;
    g_assert_true(bt_layouts_extract(lays, view, recs, &original_at));
    g_assert_cmpuint(recs->len, ==, 1);
    g_assert_cmpstr(((BtRecord *) recs->pdata[0])->recipient, ==, "b@example.org");
    free_view(view);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_mime_init();
    g_test_add_func("/layouts/qmail-notice", test_qmail_notice);
    g_test_add_func("/layouts/alimail-notice", test_alimail_notice);
    g_test_add_func("/layouts/same-result-after-jit", test_same_result_after_jit);
    g_test_add_func("/layouts/not-a-bounce", test_not_a_bounce);
    g_test_add_func("/layouts/shipped/load", test_shipped_load);
    g_test_add_func("/layouts/shipped/alimail", test_shipped_alimail);
    g_test_add_func("/layouts/shipped/ignores-plain-mail", test_shipped_ignores_plain_mail);
    g_test_add_func("/layouts/shipped/ignores-quoted-notices", test_shipped_ignores_quoted_notices);
    g_test_add_func("/layouts/errors/unknown-key", test_error_unknown_key);
    g_test_add_func("/layouts/errors/bad-regex", test_error_bad_regex);
    g_test_add_func("/layouts/errors/duplicate-id", test_error_duplicate_id);
    g_test_add_func("/layouts/errors/wrong-type", test_error_wrong_type);
    g_test_add_func("/layouts/errors/unknown-group", test_error_unknown_group);
    g_test_add_func("/layouts/later-dir-replaces", test_later_dir_replaces);
    g_test_add_func("/layouts/pseudo-status", test_pseudo_status);
    g_test_add_func("/layouts/original-headers-returned", test_original_headers_returned);
    g_test_add_func("/layouts/before-lines", test_before_lines);
    g_test_add_func("/layouts/before-lines-replace-common", test_before_lines_replace_common);
    g_test_add_func("/layouts/reply-continuation-joined", test_reply_continuation_joined);
    g_test_add_func("/layouts/errors/pseudo-reason", test_error_pseudo_reason);
    g_test_add_func("/layouts/errors/local-domain", test_error_local_domain);
    g_test_add_func("/layouts/errors/in-block-field", test_error_in_block_field);
    g_test_add_func("/layouts/errors/bounce-notice", test_error_bounce_notice);
    g_test_add_func("/layouts/features", test_features);
    g_test_add_func("/layouts/split-before", test_split_before);
    g_test_add_func("/layouts/reread-nested-heading", test_reread_nested_heading);
    return g_test_run();
}
