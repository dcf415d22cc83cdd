/* Tests for src/flow: --annotate (the output is the input plus our fields,
 * byte for byte, whatever the line ends, the 8-bit text, forged fields or
 * hostile diagnostics) and --hook (JSONL and maildir stores, failures that
 * leave nothing behind, usage). */
#include "config.h"
#include "flow/flow-private.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static BtFlowConfig config;

/* ---- inputs -------------------------------------------------------------- */

/* An RFC 3464 DSN for `rcpt` whose Diagnostic-Code is `diag`; extra header
 * lines go first.  LF line ends (see crlf()). */
static char *
make_dsn(const char *extra_header, const char *rcpt, const char *diag)
{
    return g_strdup_printf(
        "%s"
        "Return-Path: <>\n"
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
        "To: sender@example.com\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Date: Mon, 3 Jun 2024 10:00:00 +0000\n"
        "Message-ID: <dsn.1@mx.example.net>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status;\n"
        "\tboundary=\"BOUNDARY\"\n"
        "\n"
        "--BOUNDARY\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
        "I could not deliver your message to <%s>.\n"
        "\n"
        "--BOUNDARY\n"
        "Content-Type: message/delivery-status\n"
        "\n"
        "Reporting-MTA: dns; mx.example.net\n"
        "\n"
        "Final-Recipient: rfc822; %s\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        "Remote-MTA: dns; mx.example.org\n"
        "Diagnostic-Code: smtp; %s\n"
        "\n"
        "--BOUNDARY\n"
        "Content-Type: text/rfc822-headers\n"
        "\n"
        "From: sender@example.com\n"
        "To: %s\n"
        "Subject: hello\n"
        "\n"
        "--BOUNDARY--\n",
        extra_header ? extra_header : "", rcpt, rcpt, diag, rcpt);
}

static char *
default_dsn(const char *extra_header)
{
    return make_dsn(extra_header, "bob@example.org",
                    "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown");
}

static char *
crlf(const char *lf)
{
    g_auto(GStrv) lines = g_strsplit(lf, "\n", -1);
    return g_strjoinv("\r\n", lines);
}

static const char plain_message[] =
    "From: alice@example.com\n"
    "To: bob@example.org\n"
    "Subject: lunch\n"
    "\n"
    "Noon?\n";

/* ---- running the modes --------------------------------------------------- */

static int
fd_with(const char *data, gsize len)
{
    char path[] = "/tmp/test-flow-in.XXXXXX";
    int fd = g_mkstemp(path);
    g_assert_cmpint(fd, >=, 0);
    unlink(path);
    g_assert_true(bt_write_all(fd, data, len));
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    return fd;
}

static GBytes *
read_fd(int fd)
{
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    GByteArray *out = g_byte_array_new();
    char buf[8192];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        g_byte_array_append(out, (guint8 *) buf, (guint) n);
    return g_byte_array_free_to_bytes(out);
}

/* Annotates `len` bytes; returns the output as a NUL-terminated string. */
static char *
annotate_len(const char *input, gsize len, gsize *out_len, int *status)
{
    int in = fd_with(input, len);
    int out = fd_with("", 0);
    *status = bt_annotate(&config, in, out);
    g_autoptr(GBytes) bytes = read_fd(out);
    close(in);
    close(out);
    gsize size;
    const char *data = g_bytes_get_data(bytes, &size);
    if (out_len)
        *out_len = size;
    return g_strndup(data ? data : "", size);
}

static char *
annotate(const char *input)
{
    int status;
    char *out = annotate_len(input, strlen(input), NULL, &status);
    g_assert_cmpint(status, ==, 0);
    return out;
}

/* The output with our leading X-Bounce-* block (after any From_ line)
 * taken out again: what must equal the input.  *block gets the block. */
static char *
strip_added(const char *out, char **block)
{
    const char *p = out;
    if (g_str_has_prefix(p, "From "))
        p = strchr(p, '\n') + 1;
    const char *q = p;
    while (g_ascii_strncasecmp(q, "X-Bounce-", 9) == 0 || *q == ' ' || *q == '\t') {
        const char *nl = strpbrk(q, "\r\n");
        q = nl + (nl[0] == '\r' && nl[1] == '\n' ? 2 : 1);
    }
    if (block)
        *block = g_strndup(p, (gsize) (q - p));
    return g_strdup_printf("%.*s%s", (int) (p - out), out, q);
}

/* The block with its folds undone (RFC 5322 2.2.3). */
static char *
unfold(const char *block)
{
    g_autoptr(GRegex) fold = g_regex_new("\r?\n(?=[ \t])", 0, 0, NULL);
    return g_regex_replace_literal(fold, block, -1, 0, "", 0, NULL);
}

/* ---- annotate ------------------------------------------------------------ */

static void
test_annotate_dsn(void)
{
    g_autofree char *in = default_dsn(NULL);
    g_autofree char *out = annotate(in);
    g_autofree char *block = NULL;
    g_autofree char *rest = strip_added(out, &block);

    g_assert_cmpstr(rest, ==, in);
    g_autofree char *unfolded = unfold(block);
    g_assert_true(g_str_has_prefix(unfolded, "X-Bounce-Triage: recipient=bob@example.org; "
                                             "reason=userunknown; status=5.1.1; hard=yes; cause="));
    g_assert_nonnull(strstr(block, "\nX-Bounce-Reason: userunknown\n"));
    g_assert_nonnull(strstr(block, "\nX-Bounce-Cause: "));
    /* no line over 78 columns in our fields, and none without a line end */
    g_auto(GStrv) lines = g_strsplit(block, "\n", -1);
    for (char **l = lines; *l; l++)
        g_assert_cmpuint(strlen(*l), <=, 78);
    g_assert_true(g_str_has_suffix(block, "\n"));
}

static void
test_annotate_crlf(void)
{
    g_autofree char *lf = default_dsn(NULL);
    g_autofree char *in = crlf(lf);
    g_autofree char *out = annotate(in);
    g_autofree char *block = NULL;
    g_autofree char *rest = strip_added(out, &block);

    g_assert_cmpstr(rest, ==, in);
    g_assert_nonnull(strstr(block, "X-Bounce-Reason: userunknown\r\n"));
    /* every line end in our block is CRLF */
    for (const char *p = block; (p = strchr(p, '\n')); p++)
        g_assert_cmpint(p[-1], ==, '\r');
}

static void
test_annotate_8bit(void)
{
    /* raw UTF-8 and Latin-1 bytes in the header and the body */
    g_autofree char *in = make_dsn("X-Note: caf\xc3\xa9 \xe9t\xe9\n", "bob@example.org",
                                   "550 5.1.1 mailbox \xe9 unknown \xc3\xbc");
    g_autofree char *out = annotate(in);
    g_autofree char *block = NULL;
    g_autofree char *rest = strip_added(out, &block);

    g_assert_cmpstr(rest, ==, in);
    g_assert_true(g_utf8_validate(block, -1, NULL));
    g_assert_nonnull(strstr(block, "X-Bounce-Reason: userunknown"));
}

static void
test_annotate_not_bounce(void)
{
    g_autofree char *out = annotate(plain_message);
    g_assert_cmpstr(out, ==, plain_message);
}

static void
test_annotate_unparsable(void)
{
    static const char garbage[] = "\x01\x02 no header here at all\n\xff\xfe binary\n";
    int status;
    gsize len;
    g_autofree char *out = annotate_len(garbage, sizeof garbage - 1, &len, &status);
    g_assert_cmpint(status, ==, 0);
    g_assert_true(g_str_has_prefix(out, "X-Bounce-Error: "));
    const char *rest = strchr(out, '\n') + 1;
    g_assert_cmpmem(rest, len - (gsize) (rest - out), garbage, sizeof garbage - 1);

    /* empty input: the error field alone */
    g_autofree char *empty = annotate_len("", 0, &len, &status);
    g_assert_cmpint(status, ==, 0);
    g_assert_true(g_str_has_prefix(empty, "X-Bounce-Error: empty input"));
}

static void
test_annotate_read_error(void)
{
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    int out = fd_with("", 0);
    /* the write end cannot be read */
    g_assert_cmpint(bt_annotate(&config, fds[1], out), ==, 74);
    close(fds[0]);
    close(fds[1]);
    close(out);
}

/* Incoming X-Bounce-* fields go, folded ones with all their lines and
 * whatever the case of the name; from non-bounces as well. */
static void
test_annotate_forged(void)
{
    g_autofree char *clean = default_dsn(NULL);
    g_autofree char *forged = default_dsn(
        "X-Bounce-Reason: forged-reason\n"
        "X-Keep: before\n"
        "x-bounce-triage: recipient=ceo@example.com;\n"
        "\treason=forged-continuation;\n"
        "  hard=no\n"
        "X-BOUNCE-CAUSE: all fine\n"
        "X-Keep: after\n");
    g_autofree char *out = annotate(forged);
    g_autofree char *block = NULL;
    g_autofree char *rest = strip_added(out, &block);

    g_autofree char *expected = g_strconcat("X-Keep: before\nX-Keep: after\n", clean, NULL);
    g_assert_cmpstr(rest, ==, expected);
    g_assert_null(strstr(out, "forged-"));
    g_assert_null(strstr(out, "ceo@"));
    g_assert_null(strstr(out, "all fine"));

    g_autofree char *plain_forged = g_strconcat("X-Bounce-Reason: userunknown\n", plain_message, NULL);
    g_autofree char *plain_out = annotate(plain_forged);
    g_assert_cmpstr(plain_out, ==, plain_message);

    /* procmail reads the header up to the empty line, past a broken line */
    g_autofree char *after_broken = annotate("Subject: x\nnot a field\nX-Bounce-Reason: forged\n\nbody\n");
    g_assert_cmpstr(after_broken, ==, "Subject: x\nnot a field\n\nbody\n");
}

/* A hostile bounce cannot start a header field of its own in our block. */
static void
test_annotate_injection(void)
{
    /* line breaks a MIME parser keeps inside a value: U+2028, NEL, VT, ESC */
    g_autofree char *in = make_dsn(NULL, "x\xe2\x80\xa8X-Injected:1\xc2\x85X-Injected:2"
                                         "\x0bX-Injected:3\x1b@example.org",
                                   "550 5.1.1 unknown\x0bX-Injected: 4");
    g_autofree char *out = annotate(in);
    g_autofree char *block = NULL;
    g_autofree char *rest = strip_added(out, &block);
    g_assert_cmpstr(rest, ==, in);
    g_assert_nonnull(strstr(block, "X-Injected"));   /* the text is kept, harmlessly */
    g_auto(GStrv) lines = g_strsplit(block, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_assert_false(g_str_has_prefix(*l, "X-Injected"));
        for (const char *c = *l; *c; c = g_utf8_next_char(c)) {
            gunichar u = g_utf8_get_char(c);
            g_assert_false(g_unichar_iscntrl(u) || u == 0x2028 || u == 0x2029);
        }
    }

    /* the field writer itself, on every kind of line break */
    g_autoptr(GString) field = g_string_new(NULL);
    bt_field_append(field, "X-Bounce-Cause", "a\r\nX-A: 1\rX-B: 2\nX-C: 3\xc2\x85X-D\xe2\x80\xa8X-E", "\n");
    g_assert_cmpstr(field->str, ==, "X-Bounce-Cause: a X-A: 1 X-B: 2 X-C: 3 X-D X-E\n");
}

static void
test_field_folding(void)
{
    g_autoptr(GString) sentence = g_string_new(NULL);
    for (int i = 0; i < 60; i++)
        g_string_append(sentence, "word ");
    g_autoptr(GString) field = g_string_new(NULL);
    bt_field_append(field, "X-Bounce-Cause", sentence->str, "\r\n");
    g_auto(GStrv) lines = g_strsplit(field->str, "\r\n", -1);
    g_assert_cmpuint(g_strv_length(lines), >, 3);
    for (guint i = 0; lines[i][0]; i++) {
        g_assert_cmpuint(strlen(lines[i]), <=, 78);
        if (i > 0)
            g_assert_cmpint(lines[i][0], ==, ' ');
    }

    /* one word of 3000 octets: cut into lines under 998 octets */
    g_autofree char *word = g_strnfill(3000, 'x');
    g_string_truncate(field, 0);
    bt_field_append(field, "X-Bounce-Cause", word, "\n");
    g_auto(GStrv) long_lines = g_strsplit(field->str, "\n", -1);
    for (char **l = long_lines; *l; l++)
        g_assert_cmpuint(strlen(*l), <=, 998);

    /* parameters: tokens bare, anything else quoted */
    g_string_truncate(field, 0);
    bt_field_append_param(field, "recipient", "a;b \"c\"@example.org");
    bt_field_append_param(field, "hard", "yes");
    g_assert_cmpstr(field->str, ==, "recipient=\"a;b \\\"c\\\"@example.org\"; hard=yes");
}


/* One rule for line ends per message, as procmail, Postfix and Dovecot
 * read it: a lone CR is an ordinary byte in an LF or CRLF message. */
static void
test_annotate_line_end_rule(void)
{
    /* LF message: a line holding only CR does not end the header, so the
     * forged field after it goes (procmail would file by it) */
    g_autofree char *lone_cr = annotate("From: a@example.com\nSubject: hi\n\r\n"
                                        "X-Bounce-Reason: mailboxfull\n\nbody\n");
    g_assert_cmpstr(lone_cr, ==, "From: a@example.com\nSubject: hi\n\r\n\nbody\n");

    /* a bare CR inside a field: the field is kept whole, nothing glued */
    static const char inside[] = "From: a@example.com\nSubject: x\rX-Bounce-Reason: mailboxfull\n"
                                 "To: b@example.org\n\nbody\n";
    g_autofree char *kept = annotate(inside);
    g_assert_cmpstr(kept, ==, inside);

    /* a removed field takes its continuation lines, whatever they hold */
    g_autofree char *folded = annotate("From: a@example.com\nX-Bounce-Reason: x\n \rmore\n"
                                       "\tmailboxfull\nTo: b@example.org\n\nbody\n");
    g_assert_cmpstr(folded, ==, "From: a@example.com\nTo: b@example.org\n\nbody\n");

    /* CRLF message: a bare LF line is empty for every reader: the body starts */
    static const char crlf_body[] = "From: a@example.com\r\nSubject: hi\r\n\n"
                                    "X-Bounce-Reason: body text\r\n";
    g_autofree char *body_kept = annotate(crlf_body);
    g_assert_cmpstr(body_kept, ==, crlf_body);

    /* a message without any LF: lines end at CR */
    g_autofree char *mac = annotate("From: a@example.com\rX-Bounce-Reason: x\rSubject: hi\r\rbody\r");
    g_assert_cmpstr(mac, ==, "From: a@example.com\rSubject: hi\r\rbody\r");
}

/* Encoded-words in what we copy are decoded and re-encoded by us: no
 * decoder can turn our field into two. */
static void
test_field_encoded_words(void)
{
    g_autoptr(GString) field = g_string_new(NULL);
    bt_field_append(field, "X-Bounce-Cause", "=?utf-8?q?a=0D=0AX-Bounce-Reason:_mailboxfull?=", "\n");
    g_assert_cmpstr(field->str, ==, "X-Bounce-Cause: a X-Bounce-Reason: mailboxfull\n");

    g_string_truncate(field, 0);
    bt_field_append(field, "X-Bounce-Cause", "caf\xc3\xa9", "\n");
    g_assert_cmpstr(field->str, ==, "X-Bounce-Cause: =?utf-8?b?Y2Fmw6k=?=\n");

    /* encoded twice: decoded to the end, a decoder sees one line */
    g_string_truncate(field, 0);
    bt_field_append_param(field, "recipient",
                          "=?utf-8?q?=3D=3Futf-8=3Fq=3Fb=3D0D=3D0AX-Bounce-Reason:_x=3F=3D?=");
    g_assert_null(strchr(field->str, '\r'));
    g_assert_cmpstr(field->str, ==, "recipient=\"b X-Bounce-Reason: x\"");

    /* text that only looks like an encoded-word is encoded, not left for
     * a decoder to read */
    g_string_truncate(field, 0);
    bt_field_append(field, "X-Bounce-Cause", "=?utf-8?x?broken", "\n");
    g_assert_true(g_str_has_prefix(field->str, "X-Bounce-Cause: =?utf-8?b?"));
    g_autofree char *decoded = g_mime_utils_header_decode_text(NULL, field->str + 16);
    g_assert_cmpstr(decoded, ==, "=?utf-8?x?broken\n");
}

/* A recipient written as an encoded-word with CR LF inside: our block
 * is ASCII, and decoding each of our fields yields one line. */
static void
test_annotate_encoded_recipient(void)
{
    g_autofree char *in = make_dsn(NULL, "=?utf-8?q?bob=0D=0AX-Bounce-Reason:_mailboxfull?=@example.org",
                                   "550 5.1.1 user unknown");
    g_autofree char *out = annotate(in);
    g_autofree char *block = NULL;
    g_autofree char *rest = strip_added(out, &block);
    g_assert_cmpstr(rest, ==, in);
    g_autofree char *unfolded = unfold(block);
    g_auto(GStrv) fields = g_strsplit(unfolded, "\n", -1);
    for (char **f = fields; *f && **f; f++) {
        for (const char *c = *f; *c; c++)
            g_assert_true(*c >= 0x20 && *c < 0x7f);
        g_autofree char *decoded = g_mime_utils_header_decode_text(NULL, *f);
        g_assert_null(strpbrk(decoded, "\r\n"));
    }
    g_assert_null(strstr(block, "=0D=0A"));
}

static void
test_annotate_mbox_from_line(void)
{
    g_autofree char *dsn = default_dsn(NULL);
    g_autofree char *in = g_strconcat("From MAILER-DAEMON Mon Jun  3 10:00:00 2024\n", dsn, NULL);
    g_autofree char *out = annotate(in);
    g_assert_true(g_str_has_prefix(out, "From MAILER-DAEMON Mon Jun  3 10:00:00 2024\n"
                                         "X-Bounce-Triage: recipient=bob@example.org;"));
    g_autofree char *rest = strip_added(out, NULL);
    g_assert_cmpstr(rest, ==, in);
}

/* ---- hook ---------------------------------------------------------------- */

static char *
scratch_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("test-flow.XXXXXX", &error);
    g_assert_no_error(error);
    return dir;
}

static void
remove_tree(const char *path)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", path);
    g_assert_cmpint(system(cmd), ==, 0);
}

static int
hook(const char *output, const char *maildir, const char *input)
{
    BtHookOptions opt = { .output = output, .maildir = maildir };
    int in = fd_with(input, strlen(input));
    int status = bt_hook(&config, &opt, in);
    close(in);
    return status;
}

/* The JSON objects of a JSONL file, asserting every line parses. */
static GPtrArray *
read_jsonl(const char *path)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    GPtrArray *objects = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return objects;
    g_assert_true(!*text || g_str_has_suffix(text, "\n"));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l && **l; l++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        json_parser_load_from_data(parser, *l, -1, &error);
        g_assert_no_error(error);
        g_ptr_array_add(objects, json_node_copy(json_parser_get_root(parser)));
    }
    return objects;
}

static const char *
member(GPtrArray *objects, guint i, const char *name)
{
    return json_object_get_string_member(json_node_get_object(objects->pdata[i]), name);
}

/* Names of the files in dir (NULL-terminated, sorted). */
static GStrv
list_dir(const char *dir)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        g_strv_builder_add(b, name);
    return g_strv_builder_end(b);
}

static void
test_hook_output_only(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *log = g_build_filename(dir, "bounces.jsonl", NULL);
    g_autofree char *dsn = default_dsn(NULL);

    g_assert_cmpint(hook(log, NULL, dsn), ==, 0);
    g_assert_cmpint(hook(log, NULL, plain_message), ==, 0);
    g_autoptr(GPtrArray) objects = read_jsonl(log);
    g_assert_cmpuint(objects->len, ==, 2);
    g_assert_cmpstr(member(objects, 0, "recipient"), ==, "bob@example.org");
    g_assert_cmpstr(member(objects, 0, "reason"), ==, "userunknown");
    g_assert_cmpstr(member(objects, 0, "origin"), ==, "-");
    /* the non-bounce leaves the --all record */
    g_assert_cmpstr(member(objects, 1, "reason"), ==, "undefined");
    remove_tree(dir);
}

static void
test_hook_maildir_only(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *md = g_build_filename(dir, "Bounces", NULL);
    g_autofree char *dsn = default_dsn(NULL);
    g_autofree char *in = g_strconcat("From MAILER-DAEMON Mon Jun  3 10:00:00 2024\n", dsn, NULL);

    g_assert_cmpint(hook(NULL, md, in), ==, 0);
    g_assert_cmpint(hook(NULL, md, plain_message), ==, 0);

    g_autofree char *new_dir = g_build_filename(md, "userunknown", "new", NULL);
    g_autofree char *tmp_dir = g_build_filename(md, "userunknown", "tmp", NULL);
    g_autofree char *cur_dir = g_build_filename(md, "userunknown", "cur", NULL);
    g_auto(GStrv) delivered = list_dir(new_dir);
    g_auto(GStrv) in_tmp = list_dir(tmp_dir);
    g_assert_cmpuint(g_strv_length(delivered), ==, 1);
    g_assert_cmpuint(g_strv_length(in_tmp), ==, 0);
    g_assert_true(g_file_test(cur_dir, G_FILE_TEST_IS_DIR));

    /* the stored message is the annotated one, without the From_ line */
    g_autofree char *path = g_build_filename(new_dir, delivered[0], NULL);
    g_autofree char *stored = NULL;
    g_assert_true(g_file_get_contents(path, &stored, NULL, NULL));
    g_autofree char *annotated = annotate(dsn);
    g_assert_cmpstr(stored, ==, annotated);
    g_autofree char *size = g_strdup_printf(",S=%zu", strlen(annotated));
    g_assert_true(g_str_has_suffix(delivered[0], size));

    g_autofree char *other = g_build_filename(md, "unclassified", "new", NULL);
    g_auto(GStrv) unclassified = list_dir(other);
    g_assert_cmpuint(g_strv_length(unclassified), ==, 1);
    remove_tree(dir);
}

static void
test_hook_both(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *md = g_build_filename(dir, "md", NULL);
    g_autofree char *log = g_build_filename(dir, "log.jsonl", NULL);
    g_autofree char *dsn = default_dsn(NULL);

    g_assert_cmpint(hook(log, md, dsn), ==, 0);
    g_autoptr(GPtrArray) objects = read_jsonl(log);
    g_assert_cmpuint(objects->len, ==, 1);
    /* the record names the stored file */
    const char *origin = member(objects, 0, "origin");
    g_autofree char *new_dir = g_build_filename(md, "userunknown", "new", NULL);
    g_assert_true(g_str_has_prefix(origin, new_dir));
    g_assert_true(g_file_test(origin, G_FILE_TEST_IS_REGULAR));
    remove_tree(dir);
}

/* The output cannot be opened: 75, and the message stays stored once: the
 * MTA's retry, with the output repaired, adds the records and no second
 * copy. */
static void
test_hook_output_fails(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *md = g_build_filename(dir, "md", NULL);
    /* a path under a regular file: no permission bits to rely on (root) */
    g_autofree char *blocker = g_build_filename(dir, "file", NULL);
    g_assert_true(g_file_set_contents(blocker, "x", 1, NULL));
    g_autofree char *log = g_build_filename(blocker, "log.jsonl", NULL);
    g_autofree char *dsn = default_dsn(NULL);

    g_assert_cmpint(hook(log, md, dsn), ==, 75);
    g_autofree char *new_dir = g_build_filename(md, "userunknown", "new", NULL);
    g_autofree char *tmp_dir = g_build_filename(md, "userunknown", "tmp", NULL);
    g_autofree char *fallback_tmp = g_build_filename(md, "unclassified", "tmp", NULL);
    g_auto(GStrv) delivered = list_dir(new_dir);
    g_auto(GStrv) in_tmp = list_dir(tmp_dir);
    g_auto(GStrv) in_fallback_tmp = list_dir(fallback_tmp);
    g_assert_cmpuint(g_strv_length(delivered), ==, 1);
    g_assert_cmpuint(g_strv_length(in_tmp), ==, 0);
    g_assert_cmpuint(g_strv_length(in_fallback_tmp), ==, 0);

    g_autofree char *good_log = g_build_filename(dir, "log.jsonl", NULL);
    g_assert_cmpint(hook(good_log, md, dsn), ==, 0);
    g_auto(GStrv) after_retry = list_dir(new_dir);
    g_assert_cmpstrv(after_retry, delivered);
    g_autoptr(GPtrArray) objects = read_jsonl(good_log);
    g_assert_cmpuint(objects->len, ==, 1);
    g_autofree char *stored = g_build_filename(new_dir, delivered[0], NULL);
    g_assert_cmpstr(member(objects, 0, "origin"), ==, stored);
    /* and once more: everything is there, nothing is added */
    g_assert_cmpint(hook(good_log, md, dsn), ==, 0);
    g_autoptr(GPtrArray) again = read_jsonl(good_log);
    g_assert_cmpuint(again->len, ==, 1);

    /* the maildir cannot be made: 75, and no record appended */
    g_autofree char *other_log = g_build_filename(dir, "other.jsonl", NULL);
    g_autofree char *bad_md = g_build_filename(blocker, "md", NULL);
    g_assert_cmpint(hook(other_log, bad_md, dsn), ==, 75);
    g_assert_false(g_file_test(other_log, G_FILE_TEST_EXISTS));
    remove_tree(dir);
}

/* The write stops midway (a file size limit): 75, and the file is cut back
 * to what it held before, with no partial line. */
static void
test_hook_partial_write(void)
{
    static const char before[] = "{\"earlier\":\"record\"}\n";
    if (g_test_subprocess()) {
        g_autofree char *dsn = default_dsn(NULL);
        int in = fd_with(dsn, strlen(dsn));   /* before the limit applies */
        struct rlimit lim = { .rlim_cur = sizeof before + 40, .rlim_max = RLIM_INFINITY };
        signal(SIGXFSZ, SIG_IGN);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
        BtHookOptions opt = { .output = g_getenv("TEST_FLOW_LOG") };
        exit(bt_hook(&config, &opt, in));
    }
    g_autofree char *dir = scratch_dir();
    g_autofree char *log = g_build_filename(dir, "log.jsonl", NULL);
    g_assert_true(g_file_set_contents(log, before, -1, NULL));
    g_setenv("TEST_FLOW_LOG", log, TRUE);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*cannot append*");
    g_autofree char *after = NULL;
    g_assert_true(g_file_get_contents(log, &after, NULL, NULL));
    g_assert_cmpstr(after, ==, before);
    remove_tree(dir);
}


/* A writer killed in the middle of its line: the next delivery cuts the
 * torn line off and starts on a line of its own. */
static void
test_hook_torn_line(void)
{
    static const char before[] = "{\"earlier\":\"record\"}\n{\"torn\":\"rec";
    g_autofree char *dir = scratch_dir();
    g_autofree char *log = g_build_filename(dir, "log.jsonl", NULL);
    g_assert_true(g_file_set_contents(log, before, -1, NULL));
    g_autofree char *dsn = default_dsn(NULL);
    g_assert_cmpint(hook(log, NULL, dsn), ==, 0);
    g_autofree char *after = NULL;
    g_assert_true(g_file_get_contents(log, &after, NULL, NULL));
    g_assert_true(g_str_has_prefix(after, "{\"earlier\":\"record\"}\n{\"origin\":"));
    g_autoptr(GPtrArray) objects = read_jsonl(log);
    g_assert_cmpuint(objects->len, ==, 2);
    g_assert_cmpstr(member(objects, 1, "recipient"), ==, "bob@example.org");
    remove_tree(dir);
}

/* The same message twice (the MTA's retry after the hook's answer was
 * lost): one file, named by the digest the records carry; one set of
 * records, in JSONL and in SQLite alike. */
static void
test_hook_retry_idempotent(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *md = g_build_filename(dir, "md", NULL);
    g_autofree char *log = g_build_filename(dir, "log.jsonl", NULL);
    g_autofree char *db = g_build_filename(dir, "log.sqlite", NULL);
    g_autofree char *dsn = default_dsn(NULL);
    g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, dsn, -1);

    for (int i = 0; i < 3; i++) {
        g_assert_cmpint(hook(log, md, dsn), ==, 0);
        g_assert_cmpint(hook(db, md, dsn), ==, 0);
    }
    g_autofree char *new_dir = g_build_filename(md, "userunknown", "new", NULL);
    g_auto(GStrv) delivered = list_dir(new_dir);
    g_assert_cmpuint(g_strv_length(delivered), ==, 1);
    g_assert_true(g_str_has_prefix(delivered[0], digest));

    g_autoptr(GPtrArray) objects = read_jsonl(log);
    g_assert_cmpuint(objects->len, ==, 1);
    g_assert_cmpstr(member(objects, 0, "messagedigest"), ==, digest);

    sqlite3 *sql = NULL;
    g_assert_cmpint(sqlite3_open(db, &sql), ==, SQLITE_OK);
    sqlite3_stmt *st = NULL;
    g_assert_cmpint(sqlite3_prepare_v2(sql, "SELECT messagedigest, recipient, json FROM records",
                                       -1, &st, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    g_assert_cmpstr((const char *) sqlite3_column_text(st, 0), ==, digest);
    g_assert_cmpstr((const char *) sqlite3_column_text(st, 1), ==, "bob@example.org");
    /* the json column is the JSONL line, byte for byte */
    g_autofree char *line = NULL;
    g_assert_true(g_file_get_contents(log, &line, NULL, NULL));
    g_strchomp(line);
    g_assert_cmpstr((const char *) sqlite3_column_text(st, 2), ==, line);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);
    g_assert_cmpint(sqlite3_prepare_v2(sql, "PRAGMA journal_mode", -1, &st, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    g_assert_cmpstr((const char *) sqlite3_column_text(st, 0), ==, "wal");
    sqlite3_finalize(st);
    sqlite3_close(sql);
    remove_tree(dir);
}

static void
test_hook_usage(void)
{
    g_autofree char *dsn = default_dsn(NULL);
    if (g_test_subprocess())
        exit(hook(NULL, NULL, dsn));
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*--output*--maildir*");
    /* the status itself */
    BtHookOptions opt = { NULL, NULL };
    g_assert_cmpint(bt_hook(&config, &opt, -1), ==, 75);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_mime_init();
    const char *srcdir = g_getenv("BT_SRCDIR") ? g_getenv("BT_SRCDIR") : BT_ABS_SRCDIR;
    g_autofree char *rules = g_build_filename(srcdir, "rules", NULL);
    g_autofree char *layouts = g_build_filename(srcdir, "rules", "layouts", NULL);
    const char *rule_dirs[] = { rules, NULL };
    const char *layout_dirs[] = { layouts, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    config.extractor = bt_extractor_new(layout_dirs, errors, &error);
    g_assert_no_error(error);
    config.rules = bt_ruleset_load(rule_dirs, errors, &error);
    g_assert_no_error(error);

    g_test_add_func("/annotate/dsn", test_annotate_dsn);
    g_test_add_func("/annotate/crlf", test_annotate_crlf);
    g_test_add_func("/annotate/8bit", test_annotate_8bit);
    g_test_add_func("/annotate/not-bounce", test_annotate_not_bounce);
    g_test_add_func("/annotate/unparsable", test_annotate_unparsable);
    g_test_add_func("/annotate/read-error", test_annotate_read_error);
    g_test_add_func("/annotate/forged", test_annotate_forged);
    g_test_add_func("/annotate/injection", test_annotate_injection);
    g_test_add_func("/annotate/folding", test_field_folding);
    g_test_add_func("/annotate/mbox-from-line", test_annotate_mbox_from_line);
    g_test_add_func("/annotate/line-end-rule", test_annotate_line_end_rule);
    g_test_add_func("/annotate/encoded-words", test_field_encoded_words);
    g_test_add_func("/annotate/encoded-recipient", test_annotate_encoded_recipient);
    g_test_add_func("/hook/output-only", test_hook_output_only);
    g_test_add_func("/hook/maildir-only", test_hook_maildir_only);
    g_test_add_func("/hook/both", test_hook_both);
    g_test_add_func("/hook/output-fails", test_hook_output_fails);
    g_test_add_func("/hook/partial-write", test_hook_partial_write);
    g_test_add_func("/hook/usage", test_hook_usage);
    g_test_add_func("/hook/torn-line", test_hook_torn_line);
    g_test_add_func("/hook/retry-idempotent", test_hook_retry_idempotent);
    int rc = g_test_run();
    bt_ruleset_free(config.rules);
    bt_extractor_free(config.extractor);
    g_mime_shutdown();
    return rc;
}
