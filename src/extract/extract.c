/* extract — the stage's entry point: builds the decoded view of a message,
 * runs the decoders in order of trust (ARF, RFC 3464/6533 delivery status,
 * RFC 3834 auto-replies, then the free-text layouts), and finishes every
 * record.  The extractor holds only the compiled layouts, read-only after
 * bt_extractor_new, so workers may share it. */
#include "extract/extract.h"
#include "extract/decode.h"
#include "extract/layout.h"
#include "extract/generic-lines.h"
#include "extract/text.h"
#include "core/testfault.h"

#include <string.h>

struct _BtExtractor {
    BtLayouts *layouts;
};

/* The auto-reply decoder reads its words from the layout files: a set
 * without them (autoreply.yaml missing from the shipped directory) is
 * refused like a missing directory, as "file:1:1: message". */
static gboolean
has_autoreply_vocab(const BtLayouts *lays, const char *const *dirs, GPtrArray *errors, GError **error)
{
    if (bt_layouts_autoreply(lays))
        return TRUE;
    g_autofree char *file = g_build_filename(dirs[0] ? dirs[0] : ".", "autoreply.yaml", NULL);
    g_ptr_array_add(errors, g_strdup_printf("%s:1:1: no layout file holds the auto-reply "
                                            "vocabulary (an `autoreply:` map)", file));
    g_set_error(error, BT_ERROR, BT_ERROR_CONFIG, "no auto-reply vocabulary in the layout files");
    return FALSE;
}

BtExtractor *
bt_extractor_new(const char *const *layout_dirs, GPtrArray *errors, GError **error)
{
    static const char *const no_dirs[] = { NULL };
    layout_dirs = layout_dirs ? layout_dirs : no_dirs;
    BtLayouts *lays = bt_layouts_load(layout_dirs, errors, error);
    if (!lays)
        return NULL;
    if (!has_autoreply_vocab(lays, layout_dirs, errors, error)) {
        bt_layouts_free(lays);
        return NULL;
    }
    BtExtractor *ex = g_new0(BtExtractor, 1);
    ex->layouts = lays;
    return ex;
}

void
bt_extractor_free(BtExtractor *ex)
{
    if (!ex)
        return;
    bt_layouts_free(ex->layouts);
    g_free(ex);
}

void
bt_bounce_free(BtBounce *b)
{
    if (!b)
        return;
    g_free(b->origin);
    g_free(b->text);
    g_free(b->note);
    g_free(b->dkim_signature);
    g_free(b->return_path);
    g_free(b->headers);
    g_free(b->dsn);
    if (b->records)
        g_ptr_array_unref(b->records);
    g_free(b);
}

/* The header block of an original message copied inline into the bounce
 * text at `at`: the lines up to the first blank line, when they look like
 * header fields. */
static char *
inline_headers(const char *body, gsize at)
{
    if (at >= strlen(body))
        return NULL;
    const char *s = body + at;
    while (*s == '\n' || *s == ' ' || *s == '\t')
        s++;
    GString *block = g_string_new(NULL);
    int fields = 0;
    for (const char *line = s; *line && *line != '\n';) {
        const char *end = strchr(line, '\n');
        gsize len = end ? (gsize) (end - line) : strlen(line);
        const char *colon = memchr(line, ':', len);
        gboolean continuation = *line == ' ' || *line == '\t';
        gboolean field = colon && colon > line && !memchr(line, ' ', colon - line);
        if (!continuation && !field)
            break;
        fields += field;
        g_string_append_len(block, line, len);
        g_string_append_c(block, '\n');
        line = end ? end + 1 : line + len;
    }
    if (fields == 0) {
        g_string_free(block, TRUE);
        return NULL;
    }
    g_autofree char *raw = g_string_free(block, FALSE);
    return bt_header_block_unfold(raw);
}

static BtRecord *
find_by_recipient(GPtrArray *records, const char *recipient)
{
    g_autofree char *want = bt_address_clean(recipient);
    if (!want)
        return NULL;
    for (guint i = 0; i < records->len; i++) {
        BtRecord *r = records->pdata[i];
        g_autofree char *have = bt_address_clean(r->recipient);
        if (have && g_ascii_strcasecmp(have, want) == 0)
            return r;
    }
    return NULL;
}

static void
fill_gap(char **slot, char *const *from)
{
    if ((!*slot || !**slot) && *from && **from)
        bt_set_str(slot, *from);
}

/* Does `text` hold an SMTP reply number ("250 ", "550-", "(451 ")? */
static gboolean
has_reply_number(const char *text)
{
    for (const char *p = text; *p; p++)
        if (bt_reply_number_at(text, p, '2'))
            return TRUE;
    return FALSE;
}

/* A report without Diagnostic-Code (no type) reads its diagnostic from
 * the text the way any notice is read; a layout ties the text's lines to
 * the recipient as its MTA writes them.  Does the layout's reading
 * `layout` say more than the text's `text`: is `text` a line naming the
 * recipient whose words after the address `layout` holds with more (the
 * local mailer's "mail.local: unknown user: NAME" that Sendmail's
 * transcript puts above "554 <ADDR>... Service unavailable")? */
static gboolean
layout_reads_further(const char *text, const char *layout, const char *recipient)
{
    g_autofree char *lower = g_ascii_strdown(text, -1);
    g_autofree char *want = g_ascii_strdown(recipient, -1);
    const char *at = strstr(lower, want);
    if (!at)
        return FALSE;
    const char *words = text + (at - lower) + strlen(want);
    while (*words && strchr(">.:;, \t", *words))
        words++;
    return *words && strlen(layout) > strlen(words) && strstr(layout, words);
}

/* A layout may know more than a delivery-status part says (a diagnostic
 * the MTA put only in its text, the SMTP command, a host, the alias an
 * address was generated by when no ORCPT came: Exim's "generated by"):
 * fill the gaps of the DSN records from the layout's record for the same
 * recipient. */
static void
merge_layout_records(GPtrArray *records, GPtrArray *extra)
{
    for (guint i = 0; i < extra->len; i++) {
        const BtRecord *x = extra->pdata[i];
        BtRecord *r = x->recipient ? find_by_recipient(records, x->recipient) : NULL;
        if (!r)
            continue;
        /* a report without Diagnostic-Code borrowed the text's first
         * paragraph about the recipient, often the notice's plain words for
         * people (Exchange's "the recipient's email provider rejected it"),
         * or its Diagnostic-Code holds no reply number; a layout that read
         * the remote server's failure reply for it (naming no other
         * address) knows better.  Only for failed or delayed recipients. */
        gboolean undelivered = g_strcmp0(r->action, "failed") == 0 || g_strcmp0(r->action, "delayed") == 0;
        gboolean own = x->diagnosticcode && (!strchr(x->diagnosticcode, '@') || strstr(x->diagnosticcode, x->recipient));
        gboolean borrowed = undelivered && r->diagnosticcode && !r->replycode && x->replycode >= 400
                            && !has_reply_number(r->diagnosticcode) && own;
        gboolean text_read = !borrowed && undelivered && r->diagnosticcode && !r->diagnostictype && own
                             && layout_reads_further(r->diagnosticcode, x->diagnosticcode, x->recipient);
        if (borrowed || text_read)
            g_clear_pointer(&r->diagnosticcode, g_free);
        if (!r->diagnosticcode) {
            /* the layout's codes come from its diagnostic: take them together */
            fill_gap(&r->diagnosticcode, &x->diagnosticcode);
            fill_gap(&r->deliverystatus, &x->deliverystatus);
            fill_gap(&r->diagnostictype, &x->diagnostictype);
            if (!r->replycode)
                r->replycode = x->replycode;
        }
        fill_gap(&r->command, &x->command);
        fill_gap(&r->rhost, &x->rhost);
        fill_gap(&r->lhost, &x->lhost);
        fill_gap(&r->alias, &x->alias);
        fill_gap(&r->reason, &x->reason);
    }
}

/* letters: whether a person's forward of a notice pasted into its text
 * is refused (the first reading) */
static void
run_decoders(BtExtractor *ex, BtMsgView *view, GPtrArray *records, gboolean letters)
{
    if (bt_decode_arf(view, records))
        return;
    /* a person's forward that pastes a notice into its text, report fields
     * and all, is a letter about a bounce (issue 12's negative set): only
     * an auto-reply is read from it */
    gboolean letter = letters && gen_is_personal_forward(view);
    gboolean dsn = !letter && bt_decode_dsn(view, records);
    if (!dsn && bt_decode_autoreply(bt_layouts_autoreply(ex->layouts), view, records))
        return;
    if (letter)
        return;

    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gsize original_at = G_MAXSIZE;
    if (!bt_layouts_extract(ex->layouts, view, found, &original_at)) {
        if (!dsn)
            bt_decode_generic(view, records);
        return;
    }
    if (!view->returned_headers && original_at != G_MAXSIZE)
        view->returned_headers = inline_headers(view->body, original_at);
    if (dsn) {
        merge_layout_records(records, found);
        return;
    }
    bt_dsn_complete_unaddressed(view, found);
    bt_mark_delay_warning(view, found, 0);
    for (guint i = 0; i < found->len; i++)
        g_ptr_array_add(records, g_steal_pointer(&found->pdata[i]));
}

/* A bounce forwarded inline by a person quotes it ("> " before every
 * line): the text with one level of quoting removed, or NULL when the
 * text quotes too little to be such a forward. */
static char *
unquoted(const char *body)
{
    g_auto(GStrv) lines = bt_strsplit_lines(body ? body : "");
    GString *out = g_string_new(NULL);
    guint quoted = 0;
    for (int i = 0; lines[i]; i++) {
        const char *line = lines[i];
        if (*line == '>') {
            quoted++;
            line += line[1] == ' ' ? 2 : 1;
        }
        g_string_append(out, line);
        g_string_append_c(out, '\n');
    }
    if (quoted < 5) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* Words of at least two letters in LINE. */
static guint
count_words(const char *line)
{
    guint words = 0, letters = 0;
    for (const char *p = line;; p++) {
        if (g_ascii_isalpha(*p)) {
            letters++;
            continue;
        }
        if (letters >= 2)
            words++;
        letters = 0;
        if (!*p)
            return words;
    }
}

/* Does the writer say something of their own above the first quoted
 * line ("> ")?  A forward's banner ("Begin forwarded message:", "----
 * Forwarded message ----") ends in a colon or is dashes around a title
 * and is not counted; a question or a request to the reader is. */
static gboolean
has_own_words_before_quote(const char *body)
{
    g_auto(GStrv) lines = bt_strsplit_lines(body ? body : "");
    guint words = 0;
    for (int i = 0; lines[i] && lines[i][0] != '>'; i++) {
        g_autofree char *line = bt_strdup_trimmed(lines[i]);
        if (!line)
            continue;
        gsize n = strlen(line);
        if (line[n - 1] == ':' || line[0] == '-')
            continue;
        words += count_words(line);
    }
    return words >= 8;
}

/* Runs the decoders on the view; failing that, on its unquoted text. */
static void
decode_view(BtExtractor *ex, BtMsgView *view, GPtrArray *records)
{
    run_decoders(ex, view, records, TRUE);
    if (records->len > 0 || view->dsn)
        return;
    /* a reply quotes what it answers: its quotation is no notice.  A
     * postmaster answering a user quotes the bounce the user sent in, and
     * the postmaster mailbox is a person's (RFC 5321 section 4.5.1), so a
     * daemon-like From does not make the reply a notice */
    if (gen_is_unmarked_reply(view))
        return;
    /* a person who forwards a notice with words of their own above it
     * (a question to their administrator) writes a letter about the
     * bounce; a bare forward ("Begin forwarded message:") is the bounce */
    if (gen_is_personal_forward(view) && has_own_words_before_quote(view->body))
        return;
    /* a notice quoted line by line ("> ") under a forward is read as the
     * bounce: sisimai reads it so, and the shared corpus holds one (an
     * Apple Mail "Begin forwarded message:") */
    g_autofree char *plain = unquoted(view->body);
    if (!plain)
        return;
    char *original = view->body;
    view->body = plain;
    run_decoders(ex, view, records, FALSE);
    plain = view->body;
    view->body = original;
}

static void extract_records(BtExtractor *ex, const BtMessage *msg, GPtrArray *out, int depth, BtBounce *b);

/* The value of header field `name` in an unfolded header block, or NULL. */
static char *
returned_field(const char *headers, const char *name)
{
    gsize n = strlen(name);
    for (const char *line = headers; *line; ) {
        const char *end = strchr(line, '\n');
        gsize len = end ? (gsize) (end - line) : strlen(line);
        if (len > n && line[n] == ':' && g_ascii_strncasecmp(line, name, n) == 0) {
            g_autofree char *value = g_strndup(line + n + 1, len - n - 1);
            return bt_strdup_trimmed(value);
        }
        line += len + (end != NULL);
    }
    return NULL;
}

/* Keeps the returned message's DKIM-Signature and Return-Path for the
 * DNS checks (from the first part that shows them). */
static void
take_sending_identities(const BtMsgView *view, BtBounce *b)
{
    if (!view->returned_headers)
        return;
    if (!b->dkim_signature)
        b->dkim_signature = returned_field(view->returned_headers, "DKIM-Signature");
    if (!b->return_path) {
        g_autofree char *rp = returned_field(view->returned_headers, "Return-Path");
        b->return_path = rp ? bt_address_clean(rp) : NULL;
    }
}

/* Appends `what` to the bounce's note. */
static void
add_note(BtBounce *b, const char *what)
{
    char *note = b->note ? g_strconcat(b->note, "; ", what, NULL) : g_strdup(what);
    g_free(b->note);
    b->note = note;
}

/* Keeps the first BT_MAX_RECIPIENTS records (the decoders stop one past). */
static void
bound_recipients(GPtrArray *found, BtBounce *b)
{
    if (found->len <= BT_MAX_RECIPIENTS)
        return;
    g_ptr_array_set_size(found, BT_MAX_RECIPIENTS);
    g_autofree char *what = g_strdup_printf("more than %d recipients: only the first %d were read",
                                            BT_MAX_RECIPIENTS, BT_MAX_RECIPIENTS);
    add_note(b, what);
}

/* A list manager's own notice to a list's owners that encloses a
 * delivery notice it could not read itself: Mailman 2's "Uncaught bounce
 * notification" (Bouncer.py maybe_forward: "The attached message was
 * received as a bounce, but either the bounce format was not
 * recognized…") and Mailman 3's list:admin:notice:unrecognized; as well
 * a ticket system's or bounce-mailbox forwarder's notification that
 * attaches what it received, often as a *.eml file (Microsoft Graph, "Get
 * MIME content of a message": messages saved as .EML are attached to
 * records in CRM, ERP and bug-tracking systems).  It is machine-made
 * (Mailman's X-List-Administrivia, or RFC 3834 Auto-Submitted), no list
 * posting (List-Unsubscribe) and no person's
 * forward; the enclosed message is then read as any message is, so an
 * enclosed letter still gives nothing. */
static gboolean
is_list_admin_notice(const BtMsgView *view)
{
    if (!view->returned || view->dsn)
        return FALSE;
    g_autofree char *admin = bt_view_header(view, "X-List-Administrivia");
    g_autofree char *submitted = bt_view_header(view, "Auto-Submitted");
    g_autofree char *unsubscribe = bt_view_header(view, "List-Unsubscribe");
    gboolean machine = (admin && g_ascii_strncasecmp(g_strstrip(admin), "yes", 3) == 0)
        || gen_is_auto_submitted(submitted);
    return machine && !unsubscribe && !gen_is_personal_forward(view);
}

/* Whether a message enclosed in a list manager's notice was sent by a
 * mail system (its From names one, its Return-Path is null, or it says
 * Auto-Submitted), as a returned notice is: a posting held for approval
 * that the same notices enclose is a person's mail, whatever it says. */
static gboolean
is_system_message(GMimeMessage *msg)
{
    GMimeObject *obj = GMIME_OBJECT(msg);
    const char *from = bt_mime_object_header(obj, "From");
    const char *path = bt_mime_object_header(obj, "Return-Path");
    const char *submitted = bt_mime_object_header(obj, "Auto-Submitted");
    return gen_is_daemon_sender(from) || gen_is_null_path(path)
        || (submitted && g_ascii_strncasecmp(submitted, "auto-", 5) == 0);
}

/* Is the notice itself from the mail system (a daemon's From, a null
 * Return-Path, the MTA's X-Failed-Recipients), as a bounce is? */
static gboolean
is_from_mail_system(const BtMsgView *view)
{
    g_autofree char *from = bt_view_header(view, "From");
    g_autofree char *path = bt_view_header(view, "Return-Path");
    g_autofree char *failed = bt_view_header(view, "X-Failed-Recipients");
    return gen_is_daemon_sender(from) || gen_is_null_path(path) || failed;
}

/* Does a machine that is no mail system pass on a message it received: a
 * list manager's administrivia, a ticket system's or bounce-mailbox
 * forwarder's notification, which attach the message whole (message/rfc822
 * or a *.eml file)?  Its own text is about passing the message on, and the
 * enclosed message's To: is whoever it was sent to, not a failed
 * recipient: only the enclosed message is read, when it is a notice. */
static gboolean
is_passing_on(const BtMsgView *view)
{
    if (!is_list_admin_notice(view) || !bt_mime_is_enclosed(view->returned) || is_from_mail_system(view))
        return FALSE;
    /* an automatic reply (RFC 3834 "auto-replied") may attach the message
     * it answers: it is read as the reply it is */
    g_autofree char *submitted = bt_view_header(view, "Auto-Submitted");
    return !(submitted && g_ascii_strncasecmp(g_strstrip(submitted), "auto-replied", 12) == 0);
}

/* Does the notice return its reader's own message: is it sent to the
 * enclosed message's originator (its Return-Path, From or Sender), as a
 * non-delivery notice is (RFC 5321 §4.5.5, §6.1: to the reverse-path)?
 * A gateway's notice that returns the original from an ordinary address
 * (its null Return-Path lost on the way) is then still a bounce. */
static gboolean
returns_own_message(const BtMsgView *view)
{
    static const char *const originator[] = { "Return-Path", "From", "Sender" };
    g_autofree char *to_field = bt_view_header(view, "To");
    g_autofree char *to = bt_address_clean(to_field);
    for (gsize i = 0; to && view->returned_headers && i < G_N_ELEMENTS(originator); i++) {
        g_autofree char *field = bt_header_block_get(view->returned_headers, originator[i]);
        g_autofree char *address = bt_address_clean(field);
        if (address && g_ascii_strcasecmp(address, to) == 0)
            return TRUE;
    }
    return FALSE;
}

/* The notice passed on (new reference): the enclosed message, when a mail
 * system sent it; else NULL. */
static GMimeMessage *
passed_on_notice(const BtMsgView *view)
{
    GMimeMessage *inner = bt_mime_enclosed_message(view->returned);
    if (inner && !is_system_message(inner))
        g_clear_object(&inner);
    return inner;
}

/* Is the message a filter's wrapper around the enclosed message: a new
 * message that keeps the enclosed one's Message-ID, as a content filter
 * writes when it attaches what it received instead of passing it on
 * (SpamAssassin's report_safe copies From, To, Cc, Subject, Date and
 * Message-Id onto its wrapper: Mail::SpamAssassin::PerMsgStatus,
 * rewrite_report_safe; amavisd-new's $defang_* wrap the same way).  The
 * enclosed message must still be a mail system's (passed_on_notice), so a
 * person's wrapped letter stays a letter.  A person's forward or a gateway's
 * notice is a message of its own, with an identifier of its own. */
static gboolean
wraps_same_message(const BtMsgView *view)
{
    if (!view->returned_headers || !bt_mime_is_enclosed(view->returned))
        return FALSE;
    g_autofree char *own = bt_view_header(view, "Message-ID");
    g_autofree char *enclosed = bt_header_block_get(view->returned_headers, "Message-ID");
    if (!own || !enclosed)
        return FALSE;
    g_strstrip(own);
    g_strstrip(enclosed);
    return *own && g_ascii_strcasecmp(own, enclosed) == 0;
}

/* Is the notice mail that carries an enclosed message without being a
 * notice itself: a person's forward (a letter about a bounce, as one that
 * pastes the notice into its text: run_decoders) or a list's posting or
 * newsletter (RFC 2369 List-Unsubscribe, which no mail system's notice
 * carries)? */
static gboolean
is_mail_carrying(const BtMsgView *view)
{
    g_autofree char *unsubscribe = bt_view_header(view, "List-Unsubscribe");
    return unsubscribe || gen_is_personal_forward(view);
}

/* Records from a forwarded bounce, finished against its own view. */
static void
extract_forwarded(BtExtractor *ex, const BtMessage *msg, GMimeMessage *inner, GPtrArray *out, int depth,
                  BtBounce *b)
{
    BtMessage fwd = *msg;
    fwd.mime = GMIME_OBJECT(inner);
    extract_records(ex, &fwd, out, depth + 1, b);
}

/* The bounce's own header and its delivery-status report as unfolded
 * text: some notices put their verdict in a field there (au's X-SPASIGN,
 * PowerMTA's X-PowerMTA-BounceCategory), which rules test with `header`. */
static void
take_category_fields(BtMsgView *view, BtBounce *b)
{
    if (view->mime) {
        g_autofree char *block = bt_mime_top_header_block(view->top, view->mime);
        if (block)
            b->headers = bt_header_block_unfold(block);
    }
    if (view->dsn)
        b->dsn = bt_header_block_unfold(view->dsn);
}

/* Decodes and finishes the records of `msg` into `out`; any note goes to
 * `b`, and so do the bounce text, header and report of the outermost
 * message. */
static void
extract_records(BtExtractor *ex, const BtMessage *msg, GPtrArray *out, int depth, BtBounce *b)
{
    g_autoptr(BtMsgView) view = bt_view_new(msg);
    if (view->too_deep)
        add_note(b, "MIME parts nested more than " G_STRINGIFY(BT_VIEW_MAX_DEPTH) " levels deep were not read");
    if (view->too_many_parts)
        add_note(b, "more than " G_STRINGIFY(BT_VIEW_MAX_PARTS) " MIME parts: only the first "
                    G_STRINGIFY(BT_VIEW_MAX_PARTS) " were read");
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    gboolean passing = depth < 2 && is_passing_on(view);
    GMimeMessage *passed = passing ? passed_on_notice(view) : NULL;
    /* a wrapper's own text is read only when it returns its reader's
     * message, as a gateway's bounce does */
    if (!passing || (!passed && returns_own_message(view)))
        decode_view(ex, view, found);
    bound_recipients(found, b);
    for (guint i = 0; i < found->len; i++) {
        BtRecord *rec = found->pdata[i];
        bt_set_str(&rec->origin, msg->origin);
        rec->offset = msg->offset;
        if (bt_finish_record(view, rec))
            g_ptr_array_add(out, g_steal_pointer(&found->pdata[i]));
    }
    take_sending_identities(view, b);
    if (depth == 0) {
        b->text = g_steal_pointer(&view->body);
        take_category_fields(view, b);
    } else if (found->len > 0) {
        /* a bounce returned inside another: its own text, header and
         * report carry the verdict, not the outer notice's (a list
         * manager's "Uncaught bounce" text says nothing of the delivery) */
        g_clear_pointer(&b->headers, g_free);
        g_clear_pointer(&b->dsn, g_free);
        g_free(b->text);
        b->text = g_steal_pointer(&view->body);
        take_category_fields(view, b);
    }
    /* a bounce forwarded as an attachment (message/rfc822, or a file
     * message: core/lean-mime.h): the returned message, when it is itself
     * a report, unless mail merely carries it */
    GMimeMessage *inner = passed;
    if (!inner && out->len == 0 && depth < 2 && !is_mail_carrying(view))
        inner = bt_returned_report(view);
    /* a filter's wrapper around a notice whatever its layout (an Exim or
     * qmail text as well as a report): the notice is read as it came */
    if (!inner && out->len == 0 && depth < 2 && wraps_same_message(view))
        inner = passed_on_notice(view);
    if (!inner && !passing && out->len == 0 && depth == 0 && is_list_admin_notice(view)) {
        inner = bt_mime_enclosed_message(view->returned);
        if (inner && !is_system_message(inner))
            g_clear_object(&inner);
    }
    if (inner) {
        extract_forwarded(ex, msg, inner, out, depth, b);
        g_object_unref(inner);
    }
}

BtBounce *
bt_extract(BtExtractor *ex, const BtMessage *msg)
{
    bt_test_fault_maybe(bt_mime_top_of(msg->mime));
    BtBounce *b = g_new0(BtBounce, 1);
    b->origin = g_strdup(msg->origin);
    b->offset = msg->offset;
    b->seq = msg->seq;
    b->records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    if (msg->note)
        add_note(b, msg->note);

    extract_records(ex, msg, b->records, 0, b);
    b->is_bounce = b->records->len > 0;
    return b;
}
