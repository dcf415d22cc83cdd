/* dsn — RFC 3464 delivery status notifications and their RFC 6533 UTF-8
 * form: one record per per-recipient block of the delivery-status part.
 * The per-message fields (Reporting-MTA, Arrival-Date) apply to every
 * recipient; a block without Diagnostic-Code borrows what the bounce text
 * says about that recipient. */
#include "extract/decode.h"
#include "extract/generic-lines.h"
#include "extract/text.h"
#include "core/lean-mime.h"
#include "core/literals.h"

#include <string.h>

/* Per-message fields that some MTAs write without the blank line that
 * should separate them from the first recipient's block. */
static gboolean
is_message_field(const char *name)
{
    static const char *names[] = { "Reporting-MTA", "Arrival-Date", "Received-From-MTA",
                                   "Original-Envelope-Id", "DSN-Gateway", NULL };
    for (int i = 0; names[i]; i++)
        if (g_ascii_strcasecmp(name, names[i]) == 0)
            return TRUE;
    return g_ascii_strncasecmp(name, "X-", 2) == 0 && g_str_has_suffix(name, "-Queue-ID");
}

static gboolean
is_recipient_field(const char *name)
{
    return g_ascii_strcasecmp(name, "Final-Recipient") == 0
        || g_ascii_strcasecmp(name, "Original-Recipient") == 0;
}

static gboolean
group_has_recipient(const BtFieldGroup *g)
{
    for (guint i = 0; i < g->names->len; i++)
        if (is_recipient_field(g->names->pdata[i]))
            return TRUE;
    return FALSE;
}

static void
merge_group(BtFieldGroup *into, const BtFieldGroup *from)
{
    for (guint i = 0; i < from->names->len; i++)
        bt_field_group_add(into, from->names->pdata[i], from->values->pdata[i]);
}

/* Splits one field group into recipient blocks: a second Final-Recipient
 * (or Original-Recipient) in the same group starts the next recipient. */
static void
split_recipients(const BtFieldGroup *g, BtFieldGroup *message, GPtrArray *blocks)
{
    BtFieldGroup *cur = NULL;
    gboolean seen_recipient = FALSE;
    for (guint i = 0; i < g->names->len; i++) {
        const char *name = g->names->pdata[i];
        const char *value = g->values->pdata[i];
        if (!seen_recipient && !blocks->len && is_message_field(name)) {
            bt_field_group_add(message, name, value);
            continue;
        }
        if (is_recipient_field(name)) {
            seen_recipient = TRUE;
            if (cur && bt_field_group_get(cur, name))
                cur = NULL;
        }
        if (!cur) {
            cur = bt_field_group_new();
            g_ptr_array_add(blocks, cur);
        }
        bt_field_group_add(cur, name, value);
    }
}

/* The per-message fields and the per-recipient blocks of a DSN body. */
static GPtrArray *
recipient_blocks(const char *dsn, BtFieldGroup *message)
{
    g_autoptr(GPtrArray) groups = bt_field_groups_parse(dsn);
    GPtrArray *blocks = g_ptr_array_new_with_free_func((GDestroyNotify) bt_field_group_free);
    for (guint i = 0; i < groups->len; i++) {
        const BtFieldGroup *g = groups->pdata[i];
        if (group_has_recipient(g)) {
            split_recipients(g, message, blocks);
        } else if (blocks->len && (bt_field_group_get(g, "Action") || bt_field_group_get(g, "Status")
                                   || bt_field_group_get(g, "Diagnostic-Code"))) {
            /* the rest of the last recipient's block after a stray blank line */
            merge_group(blocks->pdata[blocks->len - 1], g);
        } else if (!blocks->len) {
            merge_group(message, g);
        }
    }
    return blocks;
}

/* Action values as MTAs write them, to RFC 3464's words. */
static const char *
action_word(const char *value)
{
    static const struct { const char *prefix; const char *word; } words[] = {
        { "fail", "failed" }, { "delay", "delayed" }, { "deliver", "delivered" },
        { "relay", "relayed" }, { "expand", "expanded" },
    };
    if (!value)
        return NULL;
    while (g_ascii_isspace(*value))
        value++;
    for (gsize i = 0; i < G_N_ELEMENTS(words); i++)
        if (g_ascii_strncasecmp(value, words[i].prefix, strlen(words[i].prefix)) == 0)
            return words[i].word;
    return NULL;
}

/* RFC 3464 2.3.6 gives the Diagnostic-Code's text as "*text", which
 * RFC 2047 5 (1) lets carry encoded words, and gateways that re-encode a
 * report's fields write a reply in another language that way
 * ("=?ISO-8859-1?Q?552_Postfach_voll?="); decoded as the text part's
 * fields are (bt_mime_decode_text), so the rules read the words.  Only a
 * text holding "=?" is decoded: other bytes (8-bit text, RFC 6533's
 * UTF-8) stay as written.  Takes `text`. */
static char *
decode_encoded_words(char *text)
{
    if (!text || !strstr(text, "=?"))
        return text;
    g_autofree char *raw = text;
    g_autofree char *decoded = bt_mime_decode_text(raw);
    return bt_strdup_trimmed(decoded);
}

/* "smtp; 550 5.1.1 …" → type "SMTP" and the text after the semicolon. */
static void
set_diagnostic(BtRecord *rec, const char *value)
{
    if (!value)
        return;
    const char *semi = strchr(value, ';');
    gsize type_len = semi ? (gsize) (semi - value) : 0;
    gboolean typed = semi && type_len > 0 && type_len < 16 && !memchr(value, ' ', type_len);
    if (typed) {
        g_autofree char *type = g_strndup(value, type_len);
        rec->diagnostictype = g_ascii_strup(type, -1);
        if (g_str_has_prefix(rec->diagnostictype, "X-"))
            memcpy(rec->diagnostictype, type, type_len);   /* X-Postfix as written */
    }
    rec->diagnosticcode = decode_encoded_words(bt_strdup_trimmed(typed ? semi + 1 : value));
}

static const char *
field(const BtFieldGroup *block, const BtFieldGroup *message, const char *name)
{
    const char *v = bt_field_group_get(block, name);
    return v ? v : bt_field_group_get(message, name);
}

/* "X-Unix; |/usr/bin/procmail …": delivery to a program or a file, whose
 * words may contain an '@' without being an address. */
static gboolean
is_program(const char *value)
{
    const char *semi = value ? strchr(value, ';') : NULL;
    const char *v = semi ? semi + 1 : value;
    while (v && g_ascii_isspace(*v))
        v++;
    return v && (*v == '|' || *v == '/');
}

/* RFC 6533 reports type their addresses "utf-8". */
static gboolean
is_utf8_report(const BtFieldGroup *block)
{
    const char *final = bt_field_group_get(block, "Final-Recipient");
    const char *original = bt_field_group_get(block, "Original-Recipient");
    return (final && g_ascii_strncasecmp(final, "utf-8", 5) == 0)
        || (original && g_ascii_strncasecmp(original, "utf-8", 5) == 0);
}

/* Could the Internet route mail to this address?  Not to a bare host, a
 * private pseudo-domain (RFC 6762 .local, RFC 8375 home.arpa, the .lan,
 * .internal, .localdomain of internal networks), an Exchange
 * encapsulated address (IMCEA…-, "Exchange address encapsulation") or a
 * relay's source route: the "percent hack" user%host@relay (RFC 1123
 * §5.2.16) and UUCP bang paths, which gateways write into Final-Recipient
 * while Original-Recipient keeps the address the sender wrote. */
static gboolean
is_routable(const char *address)
{
    static const char *const private[] = { ".local", ".localdomain", ".lan", ".internal", ".intranet",
                                           ".localhost", ".home.arpa", ".corp", ".invalid", NULL };
    const char *domain = bt_address_domain(address);
    if (!domain || !strchr(domain, '.') || *domain == '[')
        return FALSE;
    if (memchr(address, '%', domain - address) || memchr(address, '!', domain - address))
        return FALSE;
    for (int i = 0; private[i]; i++)
        if (g_str_has_suffix(domain, private[i]))
            return FALSE;
    return g_ascii_strncasecmp(address, "IMCEA", 5) != 0;
}

/* Is `address` a mailbox server's own host-qualified name for `written`:
 * at the host that writes the report (its domain the Reporting-MTA's
 * name), a host inside the domain the sender wrote
 * ("jroe@mbx01.corp.example.com" for "jane.roe@example.com")? */
static gboolean
is_reporter_address(const char *address, const char *written, const char *reporting_mta)
{
    const char *domain = bt_address_domain(address);
    const char *outer = bt_address_domain(written);
    g_autofree char *host = bt_host_value(reporting_mta);
    if (!domain || !outer || !host || g_ascii_strcasecmp(domain, host) != 0)
        return FALSE;
    gsize n = strlen(domain), m = strlen(outer);
    return n > m + 1 && domain[n - m - 1] == '.' && g_ascii_strcasecmp(domain + n - m, outer) == 0;
}

/* The one routable address the bounce's X-Failed-Recipients names (Exim
 * and others list the addresses as the sender wrote them), or NULL. */
static char *
failed_recipient_header(const BtMsgView *view)
{
    g_autofree char *value = bt_view_header(view, "X-Failed-Recipients");
    if (!value || strchr(value, ','))
        return NULL;
    char *address = bt_address_clean(value);
    if (address && !is_routable(address))
        g_clear_pointer(&address, g_free);
    return address;
}

/* The one routable address the returned message's To: names (where a
 * person looks when the report names only an internal address), or NULL. */
static char *
returned_to_single(const BtMsgView *view)
{
    g_autofree char *to = bt_header_block_get(view->returned_headers, "To");
    if (!to || strchr(to, ',') || strchr(to, ';'))
        return NULL;
    char *address = bt_address_clean(to);
    if (address && !is_routable(address))
        g_clear_pointer(&address, g_free);
    return address;
}

/* Sendmail 8.7 lists every address of its report with only what became
 * of it, "<addr>  (unrecoverable error)" (savemail.c, "The following
 * addresses have delivery notifications"): that says nothing the Action
 * field does not, and the reason is in the transcript further down. */
static gboolean
is_action_note(const char *text)
{
    static const char *const notes[] = { "(unrecoverable error)", "(transient failure)",
                                         "(successfully delivered)", "(expanded by alias)" };
    for (gsize i = 0; i < G_N_ELEMENTS(notes); i++)
        if (g_ascii_strcasecmp(text, notes[i]) == 0)
            return TRUE;
    /* Sendmail 8's "    (expanded from: <ADDR>)" under a program or an
     * alias target (savemail.c errbody) names where the address came
     * from, the reason is on the "(reason: …)" line above it */
    return g_ascii_strncasecmp(text, "(expanded from:", 15) == 0;
}

/* Does `s` hold an SMTP reply: three digits, the first 4 or 5, then a
 * space or '-' and an RFC 3463 status ("550 5.1.1", "#550-5.1.1")? */
static const char *
find_reply(const char *s)
{
    for (const char *p = s; p && *p; p++)
        if (bt_reply_number_at(s, p, '4') && p[4] == p[0] && p[5] == '.')
            return p;
    return NULL;
}

/* The remote's reply Exchange 2013 and later quote on the line under the
 * remote host: "Remote Server returned 'REPLY'" (Microsoft Learn, "Email
 * non-delivery reports in Exchange Server"), whatever its code; the text
 * inside the quotes, else NULL. */
static char *
remote_server_returned(const char *line)
{
    static const char mark[] = "Remote Server returned '";
    if (!line || g_ascii_strncasecmp(line, mark, sizeof mark - 1) != 0)
        return NULL;
    const char *from = line + sizeof mark - 1;
    const char *end = strrchr(from, '\'');
    if (!end || end == from || !g_ascii_isdigit(from[0]))
        return NULL;
    return g_strndup(from, end - from);
}

/* The reply on the line under a later mention of `recipient`: Exchange's
 * "Diagnostic information for administrators" names the address on one
 * line and its reply on the next ("#550 5.1.1 RESOLVER.ADR.RecipNotFound;
 * not found ##", Microsoft Learn, "Email non-delivery reports in Exchange
 * Server"), after a first mention that only explains in words; Exchange
 * 2013 and later put the remote host between them and quote the remote's
 * reply.  The reply without Exchange's '#' and "##" marks, else NULL. */
static char *
reply_under_address(const char *body, const char *recipient)
{
    if (!body || !recipient)
        return NULL;
    g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
    for (int i = 0; lines[i] && lines[i + 1]; i++) {
        g_autofree char *line = bt_strdup_trimmed(lines[i]);
        if (!line || g_ascii_strcasecmp(line, recipient) != 0)
            continue;
        g_autofree char *next = bt_strdup_trimmed(lines[i + 1]);
        if (lines[i + 2]) {
            g_autofree char *after = bt_strdup_trimmed(lines[i + 2]);
            char *quoted = remote_server_returned(after);
            if (quoted)
                return quoted;
        }
        const char *reply = next ? find_reply(next) : NULL;
        if (!reply || reply - next > 1)
            continue;
        char *out = g_strdup(reply);
        char *marks = strstr(out, " ##");
        if (marks)
            *marks = '\0';
        return g_strchomp(out);
    }
    return NULL;
}

/* What the bounce text says about a recipient whose block has no
 * Diagnostic-Code: the paragraph that names it, unless that is header
 * lines or a lead-in ("To: a@b Subject: Trip", "… for the following
 * reason:"); then the sentence that explains, further on.  A paragraph
 * without a reply gives way to the reply under a later mention. */
static char *
text_diagnostic(const BtMsgView *view, const char *recipient)
{
    char *about = bt_body_text_about(view->body, recipient);
    if (about && is_action_note(about)) {
        g_free(about);
        return NULL;
    }
    if (about)
        about = bt_text_server_reply(about);
    if (about && !find_reply(about)) {
        char *reply = reply_under_address(view->body, recipient);
        if (reply) {
            g_free(about);
            return reply;
        }
    }
    if (!about || !bt_text_is_lead_in(about))
        return about;
    char *better = bt_text_diagnostic(view, recipient);
    if (!better)
        return about;
    g_free(about);
    return better;
}

/* Where the "------ ADDR ------" title of `recipient` in `body` ends its
 * line (any case of the address), or NULL. */
static const char *
address_title_end(const char *body, const char *recipient)
{
    gsize n = strlen(recipient);
    for (const char *t = strstr(body, "------ "); t; t = strstr(t + 1, "------ ")) {
        const char *a = t + strlen("------ ");
        if (g_ascii_strncasecmp(a, recipient, n) == 0 && g_str_has_prefix(a + n, " ------"))
            return strchr(a + n, '\n');
    }
    return NULL;
}

/* Exim's pipe transport reports only the program's exit ("Child process
 * of T transport returned N ... from command: CMD", transports/pipe.c);
 * with return_output or return_fail_output, what the program printed
 * follows under the address's "------ ADDR ------" title (deliver.c), and
 * names the real condition ("maildrop: maildir over quota.").  Returns
 * `diag` with that output appended, or `diag` unchanged; takes `diag`. */
static char *
with_pipe_output(char *diag, const char *body, const char *recipient)
{
    if (!diag || !body || !recipient)
        return diag;
    g_autofree char *said = g_ascii_strdown(diag, -1);
    if (!strstr(said, "child process of ") || !strstr(said, " transport returned "))
        return diag;
    /* the output starts after the title's blank line and ends at the
     * next blank line or title ("------ This is a copy of the message") */
    const char *p = address_title_end(body, recipient);
    while (p && (*p == '\n' || *p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    if (!p || !*p || g_str_has_prefix(p, "------"))
        return diag;
    const char *end = strstr(p, "\n\n");
    g_autofree char *raw = end ? g_strndup(p, end - p) : g_strdup(p);
    g_autofree char *text = bt_strdup_trimmed(g_strdelimit(raw, "\r\n\t", ' '));
    if (!text)
        return diag;
    char *joined = g_strjoin(" ", diag, text, NULL);
    g_free(diag);
    return joined;
}

/* mox writes the error of its last attempt as the Status comment, ended
 * or led by its verdict: "4.0.0 (remote smtp server does not implement
 * smtputf8 extension, required by message, transient)", "5.0.0
 * (permanent: 550 ...)" (mjl-/mox queue DSNs; its notice text names the
 * error once for all the recipients it lists).  Such a comment is the
 * error itself, not a gloss of the code. */
static gboolean
is_queue_error_comment(const char *text)
{
    g_autofree char *lower = g_ascii_strdown(text, -1);
    return g_str_has_suffix(lower, ", transient") || g_str_has_suffix(lower, ", permanent")
           || g_str_has_prefix(lower, "transient: ") || g_str_has_prefix(lower, "permanent: ")
           || strstr(lower, ", transient: ") || strstr(lower, ", permanent: ");
}

/* The comment after the code in "Status: 5.1.2 (550 No MX for example.net)":
 * Haraka writes the reply it gave up on there when it made the failure
 * itself and has no Diagnostic-Code (outbound/hmail.js); RFC 822 comments
 * are allowed in the field.  Only a comment that starts with a reply code,
 * or is a queue's own error (is_queue_error_comment), counts: a gloss of
 * the code ("(bad destination mailbox address)") says less than the
 * notice's text.  NULL otherwise. */
static char *
status_comment(const char *value)
{
    const char *open = value ? strchr(value, '(') : NULL;
    const char *close = open ? strrchr(open, ')') : NULL;
    if (!close || close - open < 2)
        return NULL;
    g_autofree char *inner = g_strndup(open + 1, close - open - 1);
    char *text = bt_strdup_trimmed(inner);
    gboolean reply = text && g_ascii_isdigit(text[0]) && g_ascii_isdigit(text[1])
                     && g_ascii_isdigit(text[2]) && (text[3] == ' ' || text[3] == '\0');
    if (text && !reply)
        reply = is_queue_error_comment(text);
    if (!reply)
        g_clear_pointer(&text, g_free);
    return text;
}

/* The address of an Original-Recipient field.  Its value comes from the
 * ORCPT parameter, which RFC 3461 §4.2 writes in xtext, and reporters
 * such as sendmail copy it as received ("rfc822;b+2Bc@example.com").
 * Only the two printable characters xtext must encode, '+' (+2B) and
 * '=' (+3D), are decoded: every other "+XX" an encoder never writes for
 * a printable address, and reporters that decode ORCPT first (Postfix)
 * print addresses such as "news+2026@…" whose "+20" is no escape. */
static char *
original_address(const char *value)
{
    char *address = bt_address_clean(value);
    if (!address || !strchr(address, '+'))
        return address;
    char *w = address;
    for (const char *r = address; *r; r++) {
        if (r[0] == '+' && r[1] == '2' && r[2] == 'B') {
            *w++ = '+';
            r += 2;
        } else if (r[0] == '+' && r[1] == '3' && r[2] == 'D') {
            *w++ = '=';
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return address;
}

/* An Exchange-encapsulated SMTP address, "IMCEASMTP-" + the address with
 * '/' written '_' and every other octet outside ALPHA/DIGIT/"-=" written
 * "+HH" + "@" + the encapsulating domain (MS-OXCMAIL 2.1.3.1.8 "IMCEA
 * Encapsulation"; de-encapsulation in MS-OXCMAIL 2.2.3.3.1): the SMTP
 * address it carries ("IMCEASMTP-ana+2Elima+40example+2Eorg@corp.example.com"
 * is ana.lima@example.org), or NULL when `address` is no such thing. */
static char *
imcea_smtp_address(const char *address)
{
    static const char prefix[] = "IMCEASMTP-";
    if (!address || g_ascii_strncasecmp(address, prefix, sizeof prefix - 1) != 0)
        return NULL;
    const char *at = strrchr(address, '@');
    if (!at)
        return NULL;
    GString *out = g_string_new(NULL);
    for (const char *r = address + sizeof prefix - 1; r < at; r++) {
        if (r[0] == '+' && r + 2 < at && g_ascii_isxdigit(r[1]) && g_ascii_isxdigit(r[2])) {
            g_string_append_c(out, (char)(g_ascii_xdigit_value(r[1]) * 16 + g_ascii_xdigit_value(r[2])));
            r += 2;
        } else {
            g_string_append_c(out, *r == '_' ? '/' : *r);
        }
    }
    char *decoded = g_string_free(out, FALSE);
    char *clean = bt_address_clean(decoded);
    g_free(decoded);
    if (clean && !is_routable(clean))
        g_clear_pointer(&clean, g_free);
    return clean;
}

static BtRecord *
record_from_block(const BtMsgView *view, const BtFieldGroup *block, const BtFieldGroup *message)
{
    const char *final = bt_field_group_get(block, "Final-Recipient");
    const char *original = bt_field_group_get(block, "Original-Recipient");
    const char *actual = bt_field_group_get(block, "X-Actual-Recipient");
    g_autofree char *recipient = bt_address_clean(final);
    g_autofree char *carried = imcea_smtp_address(recipient);
    if (carried)
        bt_set_str(&recipient, carried);
    /* a gateway's internal routing address in Final-Recipient: the
     * address the sender wrote is the one to report */
    g_autofree char *written = original_address(original);
    if (recipient && written && !is_routable(recipient) && is_routable(written))
        bt_set_str(&recipient, written);
    /* a mailbox server's own host-qualified name for the mailbox: the
     * routing it did inside, the address the sender wrote is the one */
    if (recipient && written && is_reporter_address(recipient, written, field(block, message, "Reporting-MTA"))
        && is_routable(written))
        bt_set_str(&recipient, written);
    /* Sendmail: Final-Recipient the address as the sender wrote it (a
     * "percent hack" user%host@relay, RFC 1123 5.2.16), X-Actual-Recipient
     * the address it became (sendmail/deliver.c returnto/q_user) */
    if (recipient && !written && !is_routable(recipient) && !is_program(actual)) {
        g_autofree char *became = bt_address_clean(actual);
        if (became && is_routable(became))
            bt_set_str(&recipient, became);
    }
    if (recipient && !written && !is_routable(recipient)) {
        g_autofree char *listed = failed_recipient_header(view);
        if (!listed)
            listed = returned_to_single(view);
        if (listed)
            bt_set_str(&recipient, listed);
    }
    if (!recipient)
        recipient = g_steal_pointer(&written);
    if (!recipient)
        recipient = bt_address_clean(actual);
    if (!recipient)
        return NULL;

    BtRecord *rec = bt_record_new();
    rec->recipient = g_strdup(recipient);
    /* the address the sender wrote, else (Sendmail: Original-Recipient
     * repeats Final-Recipient, the address before aliases(5)) the one
     * the alias led to, X-Actual-Recipient */
    g_autofree char *alias = original_address(original);
    if ((!alias || g_ascii_strcasecmp(alias, recipient) == 0) && !is_program(actual)) {
        g_autofree char *led_to = bt_address_clean(actual);
        if (led_to)
            bt_set_str(&alias, led_to);
    }
    if (alias && g_ascii_strcasecmp(alias, recipient) != 0)
        rec->alias = g_steal_pointer(&alias);
    rec->action = g_strdup(action_word(bt_field_group_get(block, "Action")));
    rec->deliverystatus = bt_status_first(bt_field_group_get(block, "Status"));
    rec->rhost = bt_host_value(bt_field_group_get(block, "Remote-MTA"));
    rec->lhost = bt_host_value(field(block, message, "Reporting-MTA"));
    set_diagnostic(rec, bt_field_group_get(block, "Diagnostic-Code"));
    if (!rec->diagnosticcode)
        rec->diagnosticcode = status_comment(bt_field_group_get(block, "Status"));
    if (!rec->diagnosticcode)
        rec->diagnosticcode = with_pipe_output(text_diagnostic(view, recipient),
                                               view->body, recipient);
    if (!bt_record_set_date(rec, bt_field_group_get(block, "Last-Attempt-Date")))
        bt_record_set_date(rec, field(block, message, "Arrival-Date"));
    rec->decodedby = g_strdup(is_utf8_report(block) ? "RFC6533" : "RFC3464");
    return rec;
}

/* Does lower-cased `text` hold `name` at the start of a line after its
 * first, indented or not (a notice may paste the fields indented)? */
static gboolean
has_line_field(const char *text, const char *name)
{
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
        const char *q = p;
        while (q > text && (q[-1] == ' ' || q[-1] == '\t'))
            q--;
        if (q > text && q[-1] == '\n')
            return TRUE;
    }
    return FALSE;
}

/* Does `text` carry delivery-status fields at the start of its lines? */
static gboolean
has_status_fields(const char *text)
{
    /* the whole bounce text, once per message: the word-wise copy */
    g_autofree char *lower = bt_ascii_strdown(text, -1);
    gboolean recipient = has_line_field(lower, "final-recipient:")
                         || has_line_field(lower, "original-recipient:");
    return recipient && (has_line_field(lower, "action:") || has_line_field(lower, "status:"));
}

/* A person's reply (a reply prefix on the Subject) from no mail system:
 * no RFC 3834 Auto-Submitted mark, no X-Failed-Recipients, a From that
 * names no mail system and a Return-Path, when one was kept, that is
 * neither null nor a daemon's.  MTAs that title a notice "Re: <subject>"
 * send it as the mail system, with the null reverse-path. */
static gboolean
is_personal_reply(const BtMsgView *view, const char *from)
{
    if (!from || gen_is_daemon_sender(from) || !gen_is_unmarked_reply(view))
        return FALSE;
    g_autofree char *path = bt_view_header(view, "Return-Path");
    return !path || !gen_is_daemon_sender(path);
}

/* Is the message marked for bulk distribution?  "Precedence: bulk",
 * "list" or "junk" (the classes sendmail's configuration declares for
 * list, broadcast and junk mail; RFC 2076 lists the field) is what a bug
 * tracker's notifications carry without RFC 2369 List-* fields:
 * Launchpad's mailer adds "Precedence: bulk" to its bug mail
 * (lib/lp/services/mail/sendmail.py, sendmail(bulk=True)). */
static gboolean
has_bulk_precedence(const BtMsgView *view)
{
    g_autofree char *precedence = bt_view_header(view, "Precedence");
    g_autofree char *value = bt_strdup_trimmed(precedence);
    return value
           && (g_ascii_strcasecmp(value, "bulk") == 0 || g_ascii_strcasecmp(value, "list") == 0
               || g_ascii_strcasecmp(value, "junk") == 0);
}

/* Does a conversation quote a report's fields in its text?  A person's
 * reply to a notice, or a list's, forum's or bug tracker's message (RFC
 * 2369/2919 List-* fields, or a bulk Precedence) from an ordinary envelope
 * sender and From address (a notice goes out with the null reverse-path,
 * RFC 5321 section 4.5.5).  Its fields are somebody's quotation, not a
 * report.  A person's forward stays readable: sisimai reads a forwarded
 * notice as the bounce, and so does the shared corpus (lhost-sendmail-14). */
static gboolean
quotes_report_fields(const BtMsgView *view)
{
    if (gen_is_report(view))
        return FALSE;
    g_autofree char *from = bt_view_header(view, "From");
    if (is_personal_reply(view, from))
        return TRUE;
    g_autofree char *list_id = bt_view_header(view, "List-Id");
    g_autofree char *unsubscribe = bt_view_header(view, "List-Unsubscribe");
    return (list_id || unsubscribe || has_bulk_precedence(view)) && gen_poses_as_mail_system(view, from);
}

/* The delivery-status text: the part for it, else a bounce text that
 * carries the fields itself (a report forwarded as text, or one whose MIME
 * structure is broken), unless a conversation only quotes them. */
static const char *
status_text(const BtMsgView *view)
{
    if (view->dsn)
        return view->dsn;
    return view->body && has_status_fields(view->body) && !quotes_report_fields(view) ? view->body : NULL;
}

/* What an SMTP session transcript in the bounce text says (sendmail and
 * others quote the session: ">>> RCPT To:<a@b>" / "<<< 550 5.1.1 …"). */
typedef struct {
    GString *responses;    /* the distinct server responses, in order */
    const char *command;   /* the client command the first error answered */
    GString *coded;        /* unindented lines that start with a reply and a status code */
    char *first_reply;     /* the first unindented line that starts with a reply code */
} Transcript;

static gboolean
starts_with_reply(const char *line)
{
    return line[0] && strchr("45", line[0]) && g_ascii_isdigit(line[1]) && g_ascii_isdigit(line[2])
        && (line[3] == ' ' || line[3] == '-');
}

/* Sendmail's own line about one recipient, after the server's replies:
 * "ADDR... User unknown", "550 5.1.1 ADDR... User unknown", "ADDR...
 * Deferred: 450 …" (its usersmtp.c and deliver.c write "%s... %s"). */
static gboolean
is_recipient_line(const char *line)
{
    const char *p = line;
    if (starts_with_reply(p)) {
        p += 4;
        if (g_ascii_isdigit(p[0]) && p[1] == '.') {
            p += strcspn(p, " ");
            p += *p == ' ';
        }
    }
    const char *dots = strstr(p, "... ");
    return dots && dots > p && strcspn(p, " \t") == (gsize) (dots - p) + 3;
}

/* Adds one server reply to the transcript's responses. */
static void
add_response(Transcript *t, const char *reply, const char *last_command)
{
    if (!strstr(t->responses->str, reply))
        g_string_append_printf(t->responses, "%s%s", t->responses->len ? " " : "", reply);
    if (!t->command && starts_with_reply(reply))
        t->command = last_command;
}

/* Replies read after a recipient's line are the next recipient's when
 * another recipient's line follows them: kept.  When a command, another
 * session or the end follows instead, they answered the DATA that a
 * pipelining client (RFC 2920) sent with its RCPTs ("554 5.5.1 Error: no
 * valid recipients", "503 5.0.0 Need RCPT"), which only repeats that every
 * recipient was refused: no recipient's diagnostic, dropped. */
static void
flush_pending(Transcript *t, GPtrArray *pending, gboolean keep, const char *last_command)
{
    for (guint i = 0; keep && i < pending->len; i++)
        add_response(t, pending->pdata[i], last_command);
    g_ptr_array_set_size(pending, 0);
}

static void
read_transcript(const char *body, Transcript *t)
{
    t->responses = g_string_new(NULL);
    t->coded = g_string_new(NULL);
    t->command = NULL;
    t->first_reply = NULL;
    const char *last_command = NULL;
    gboolean after_recipient = FALSE;   /* a recipient's line since the last command */
    g_autoptr(GPtrArray) pending = g_ptr_array_new();
    g_auto(GStrv) lines = bt_strsplit_lines(body ? body : "");
    for (int i = 0; lines[i]; i++) {
        const char *line = lines[i];
        if (g_str_has_prefix(line, ">>> ") || g_str_has_prefix(line, "... while talking to ")) {
            flush_pending(t, pending, FALSE, last_command);
            after_recipient = FALSE;
            if (line[0] == '>')
                last_command = bt_command_find(line);
        } else if (g_str_has_prefix(line, "<<< ")) {
            if (after_recipient)
                g_ptr_array_add(pending, (gpointer) (line + 4));
            else
                add_response(t, line + 4, last_command);
        } else if (is_recipient_line(line)) {
            flush_pending(t, pending, TRUE, last_command);
            after_recipient = TRUE;
        }
        if (starts_with_reply(line)) {
            if (!t->first_reply)
                t->first_reply = g_strdup(line);
            g_autofree char *status = bt_status_first(line);
            if (status)
                g_string_append_printf(t->coded, "%s%s", t->coded->len ? " " : "", line);
        }
    }
    flush_pending(t, pending, FALSE, last_command);
}

static gboolean
only_digits(const char *s)
{
    return s && *s && strspn(s, "0123456789") == strlen(s);
}

/* Puts the transcript's server replies before the Diagnostic-Code.  Sendmail
 * copies the same reply into both ("<<< 552 5.2.2 <a@b>... Mailbox full" and
 * "Diagnostic-Code: SMTP; 552 5.2.2 <a@b>... Mailbox full"): text one of them
 * already holds is not written twice. */
static void
join_responses(BtRecord *rec, const char *responses)
{
    const char *diag = rec->diagnosticcode;
    if (diag && *diag && strstr(diag, responses))
        return;
    if (diag && *diag && !strstr(responses, diag)) {
        g_autofree char *joined = g_strjoin(" ", responses, diag, NULL);
        bt_set_str(&rec->diagnosticcode, joined);
        return;
    }
    bt_set_str(&rec->diagnosticcode, responses);
}

/* A report about one recipient: the session transcript of its text
 * completes the Diagnostic-Code (which MTAs often leave empty, or set to a
 * bare program exit code). */
static void
apply_transcript(const BtMsgView *view, BtRecord *rec)
{
    Transcript t;
    read_transcript(view->body, &t);
    if ((!rec->diagnosticcode || only_digits(rec->diagnosticcode)) && t.coded->len)
        bt_set_str(&rec->diagnosticcode, t.coded->str);
    if (!rec->diagnosticcode)
        bt_set_str(&rec->diagnosticcode, t.first_reply);
    if (t.responses->len)
        join_responses(rec, t.responses->str);
    if (!rec->command && t.command)
        rec->command = g_strdup(t.command);
    g_string_free(t.responses, TRUE);
    g_string_free(t.coded, TRUE);
    g_free(t.first_reply);
}

static void
fill(char **slot, const char *from)
{
    if ((!*slot || !**slot) && from && *from)
        bt_set_str(slot, from);
}

/* A block repeating a recipient already read (an alias loop or a
 * forwarding chain writes the same block again): one record, the later
 * copy only filling what the first lacked.  Two blocks whose original
 * recipients differ are two addresses the sender wrote that expanded to
 * one mailbox (RFC 3464 §2.3.1; Postfix's enable_original_recipient
 * keeps both), not a repeat.  TRUE when `rec` was merged. */
static gboolean
merge_repeated(GPtrArray *records, guint from, const BtRecord *rec)
{
    for (guint i = from; i < records->len; i++) {
        BtRecord *r = records->pdata[i];
        if (g_ascii_strcasecmp(r->recipient, rec->recipient) != 0)
            continue;
        if (r->alias && rec->alias && g_ascii_strcasecmp(r->alias, rec->alias) != 0)
            continue;
        fill(&r->deliverystatus, rec->deliverystatus);
        fill(&r->diagnosticcode, rec->diagnosticcode);
        fill(&r->action, rec->action);
        fill(&r->rhost, rec->rhost);
        fill(&r->alias, rec->alias);
        return TRUE;
    }
    return FALSE;
}

GMimeMessage *
bt_returned_report(const BtMsgView *view)
{
    if (!view->returned)
        return NULL;
    if (view->returned_report)
        return bt_mime_enclosed_message(view->returned);
    /* another multipart (OpenSMTPD returns its report as multipart/mixed)
     * is parsed whole only to look for a delivery-status part */
    g_autofree char *type = bt_header_block_get(view->returned_headers, "Content-Type");
    if (!type || g_ascii_strncasecmp(type, "multipart/", 10) != 0)
        return NULL;
    GMimeMessage *inner = bt_mime_enclosed_message(view->returned);
    if (inner && !bt_message_is_report(inner))
        g_clear_object(&inner);
    return inner;
}

gboolean
bt_message_is_report(GMimeMessage *msg)
{
    GMimeObject *body = g_mime_message_get_mime_part(msg);
    if (!body || !GMIME_IS_MULTIPART(body))
        return FALSE;
    if (bt_mime_is_type(body, "multipart", "report"))
        return TRUE;
    GMimeMultipart *mp = GMIME_MULTIPART(body);
    for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
        GMimeObject *part = g_mime_multipart_get_part(mp, i);
        if (bt_mime_is_type(part, "message", "delivery-status")
            || bt_mime_is_type(part, "message", "global-delivery-status"))
            return TRUE;
    }
    return FALSE;
}

gboolean
bt_decode_dsn(const BtMsgView *view, GPtrArray *records)
{
    const char *text = status_text(view);
    if (!text)
        return FALSE;
    g_autoptr(BtFieldGroup) message = bt_field_group_new();
    g_autoptr(GPtrArray) blocks = recipient_blocks(text, message);
    guint before = records->len;
    for (guint i = 0; i < blocks->len && records->len - before <= BT_MAX_RECIPIENTS; i++) {
        BtRecord *rec = record_from_block(view, blocks->pdata[i], message);
        if (!rec)
            continue;
        if (merge_repeated(records, before, rec))
            bt_record_free(rec);
        else
            g_ptr_array_add(records, rec);
    }
    /* one recipient (however many copies of its block): the transcript
     * is about it */
    if (records->len == before + 1)
        apply_transcript(view, records->pdata[before]);
    return records->len > before;
}

void
bt_dsn_complete_unaddressed(const BtMsgView *view, GPtrArray *records)
{
    if (!view->dsn || !records->len)
        return;
    g_autoptr(BtFieldGroup) message = bt_field_group_new();
    g_autoptr(GPtrArray) blocks = recipient_blocks(view->dsn, message);
    if (blocks->len != records->len)
        return;
    for (guint i = 0; i < blocks->len; i++) {
        const char *final = bt_field_group_get(blocks->pdata[i], "Final-Recipient");
        g_autofree char *address = bt_address_clean(final);
        if (address)
            return;   /* an addressed block speaks for itself, not for the text's order */
    }
    for (guint i = 0; i < blocks->len; i++) {
        BtRecord *rec = records->pdata[i];
        g_autofree char *status = bt_status_first(bt_field_group_get(blocks->pdata[i], "Status"));
        if (status)
            bt_set_str(&rec->deliverystatus, status);
        if (!rec->action)
            rec->action = g_strdup(action_word(bt_field_group_get(blocks->pdata[i], "Action")));
    }
}
