/* Internal to extract: the decoders (each reads a BtMsgView and appends
 * BtRecords), the DSN-style field parser they share (fields.c) and the
 * finishing pass that completes every record (finish.c). */
#pragma once

#include "extract/autoreply.h"
#include "extract/view.h"

/* Extract reads at most this many recipients of one bounce; the decoders
 * stop one past it so that extract can tell that the rest was cut (and
 * note it).  Real notices name far fewer; the bound keeps a hostile one
 * from costing time in proportion to recipients × text. */
#define BT_MAX_RECIPIENTS 1000

/* ---- "Name: value" field groups (RFC 3464 / RFC 5965 bodies) ---------- */

typedef struct {
    GPtrArray *names;     /* char*, as written */
    GPtrArray *values;    /* char*, unfolded and trimmed */
} BtFieldGroup;

BtFieldGroup *bt_field_group_new(void);
void bt_field_group_free(BtFieldGroup *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtFieldGroup, bt_field_group_free)
/* The first value of field `name` (case-insensitive), or NULL. */
const char *bt_field_group_get(const BtFieldGroup *g, const char *name);
void bt_field_group_add(BtFieldGroup *g, const char *name, const char *value);
/* Parses `text` into groups of fields separated by blank lines; folded
 * lines are joined; lines that are not fields are skipped. */
GPtrArray *bt_field_groups_parse(const char *text);

/* ---- addresses ---------------------------------------------------------- */

/* An address as a DSN or a header writes it ("rfc822; <a@b>", "utf-8;
 * a\x{E9}@b", "Name <a@B.example>") reduced to local@domain with the domain
 * lowercased; NULL when it is not an email address. */
char *bt_address_clean(const char *value);
/* The domain part of a clean address (points into it), or NULL. */
const char *bt_address_domain(const char *address);

/* "dns; mx.example.com" → "mx.example.com" (lowercase, no brackets). */
char *bt_host_value(const char *value);
/* The first enhanced status code ("5.1.1") in `value`, or NULL. */
char *bt_status_first(const char *value);

/* Sets timestamp and timezoneoffset from an RFC 5322 date; FALSE when
 * the date does not parse. */
gboolean bt_record_set_date(BtRecord *rec, const char *date);

/* ---- decoders, in order of trust --------------------------------------- */

/* RFC 5965 ARF: one record per reported recipient. */
gboolean bt_decode_arf(const BtMsgView *view, GPtrArray *records);
/* RFC 3464 / RFC 6533: one record per per-recipient block. */
gboolean bt_decode_dsn(const BtMsgView *view, GPtrArray *records);
/* Is `msg` a delivery report: multipart/report, or a multipart that holds
 * a delivery-status part (OpenSMTPD sends multipart/mixed)? */
gboolean bt_message_is_report(GMimeMessage *msg);
/* The returned original parsed whole (new reference) when it is itself a
 * report: multipart/report, or a multipart with a delivery-status part;
 * else NULL. */
GMimeMessage *bt_returned_report(const BtMsgView *view);
/* The delivery-status blocks whose recipient is no mail address (a file or
 * a program the MTA delivered to) describe, in order, the recipients a
 * layout found in the text: when the counts agree, their Action and Status
 * complete those records (a Status the report states beats a pseudo code
 * the layout derived). */
void bt_dsn_complete_unaddressed(const BtMsgView *view, GPtrArray *records);
/* RFC 3834 auto-replies: one record, the auto-replier; `vocab` holds the
 * marks and words the decoder looks for (bt_layouts_autoreply). */
gboolean bt_decode_autoreply(const BtAutoreplyVocab *vocab, const BtMsgView *view, GPtrArray *records);
/* The last resort after the layouts (generic.c): a message that announces
 * itself as a bounce, read by evidence (failure wording near addresses,
 * X-Failed-Recipients, the returned message's To:).  May supply
 * view->returned_headers from an inline copy of the original. */
gboolean bt_decode_generic(BtMsgView *view, GPtrArray *records);

/* The readers of a notice's own text for one record (notice-text.c). */
/* The sentence of the bounce text that explains the failure of
 * `recipient`, read the way the generic decoder reads it (lead-ins and
 * header lines skipped); NULL when the text does not name it. */
char *bt_text_diagnostic(const BtMsgView *view, const char *recipient);
/* Is this text a header line ("To: …", "Subject: …") or a lead-in ("for
 * the following reason:") rather than a diagnostic? */
gboolean bt_text_is_lead_in(const char *text);
/* `diagnostic` with the indented lines that continue it in the bounce
 * text (Postfix and gateways wrap long replies), or NULL when none does. */
char *bt_text_continued(const BtMsgView *view, const char *diagnostic);
/* What a lead-in ("Reason:", "For the following reason:") in the block
 * of the line naming `recipient` (or just above it) introduces; else NULL. */
char *bt_text_after_lead_in(const BtMsgView *view, const char *recipient);
/* `text` (taken) from the first failed server reply of a transcript in
 * it ("<<< 450-4.2.1 …") on, or from its start when it opens with "<<< ",
 * the "<<< " marks gone; else `text` itself. */
char *bt_text_server_reply(char *text);
/* When `diagnostic` carries no code and a lead-in in the recipient's
 * block introduces a server's reply that does, the two joined; else NULL. */
char *bt_text_reply_below(const BtMsgView *view, const char *recipient, const char *diagnostic);
/* The SMTP command (MAIL, RCPT, DATA) that a session transcript in the
 * bounce text shows just before a reply naming `recipient` (Sendmail's
 * ">>> RCPT To:<…>" / "<<< 550 …", MDaemon's "--> " / "<-- "); NULL when
 * the transcript shows none for it. */
char *bt_text_command(const BtMsgView *view, const char *recipient);
/* "MAIL" when the server reply `diagnostic` quotes stands in a session
 * transcript right below the MAIL FROM it answered (">>> MAIL From:<…>"
 * then "<<< 550 5.7.1 <sender>... Access denied": the reply names the
 * sender, not the recipient); else NULL. */
char *bt_text_reply_command(const BtMsgView *view, const char *diagnostic);
/* When `diagnostic` names only other recipients of a session transcript
 * (a layout's capture over the whole notice), and not `sender`, the last
 * transcript reply naming `recipient`; else NULL. */
char *bt_text_own_reply(const BtMsgView *view, const char *recipient, const char *sender, const char *diagnostic);
/* When `diagnostic` is only a lead-in or header lines without a code, the
 * bounce text's explanation for `recipient` if that carries a code or
 * failure wording; else NULL (keep what the decoder found). */
char *bt_text_instead_of_lead_in(const BtMsgView *view, const char *recipient, const char *diagnostic);
/* A warning that delivery is only delayed (Postfix "delayed mail", Exim
 * "Warning: message … delayed", Sendmail "could not send message for past
 * 4 hours", Gmail "Delivery incomplete"): records from `from` on that
 * state no action (and no permanent status) get action "delayed". */
void bt_mark_delay_warning(const BtMsgView *view, GPtrArray *records, guint from);

/* The paragraph of the bounce text that speaks about `recipient`, without
 * the address itself; NULL when the text does not name it. */
char *bt_body_text_about(const char *body, const char *recipient);
/* Past "on DATE [TIME [AM|PM]]" at the start of s, as Exchange 2000 and
 * 2003 put it after each recipient ("ADDR on 12/09/2007 14:05", "ADDR am
 * 12.09.2007 14:05": the preposition and the date in the server's
 * language and locale, / - or . between the date's numbers); s itself
 * when it does not start so. */
const char *bt_skip_on_date(const char *s);
/* Every paragraph of the bounce text that names `recipient`, joined; NULL
 * when none does. */
char *bt_body_texts_about(const char *body, const char *recipient);

/* ---- SMTP facts in diagnostic text (codes.c) ----------------------------- */

/* The best enhanced status code in `text` (NULL: none). */
char *bt_status_find(const char *text);
/* Of a DSN Status and a code found in the text, the one to keep. */
const char *bt_status_prefer(const char *status, const char *found, const char *reply);
/* The SMTP reply code in `text`, of class `class` ('2', '4', '5'; 0: any); 0 if none. */
int bt_reply_find(const char *text, char class);
/* Is `code` one of the reply codes RFC 5321 and its successors define
 * (the list bt_reply_find looks for)? */
gboolean bt_reply_is_known(int code);
/* Does an SMTP reply number start at `p` inside `text`: at a word start,
 * three digits, the first from `lowest` to '5', then ' ' or '-' ("550 ",
 * "451-")? */
gboolean bt_reply_number_at(const char *text, const char *p, char lowest);
/* When [start, end) of `text` is the first line of a multi-line reply
 * ("550-…", RFC 5321 4.2.1) and ends its line, that line with the later
 * lines of the reply joined on, the same code behind the same marker
 * ("<<< ", "<-- ", none); NULL when there is nothing to join. */
char *bt_reply_join_lines(const char *text, gsize len, gsize start, gsize end);
/* The SMTP command an error answered ("RCPT", "DATA", …), or NULL. */
const char *bt_command_find(const char *text);
/* A host name the text names as the remote server, or NULL. */
char *bt_host_find(const char *text);
gboolean bt_is_internet_host(const char *host);

/* ---- finishing ----------------------------------------------------------- */

/* Fills what the decoders leave to common code: addresser, domains,
 * timestamps, subject/messageid/listid, hosts, reply code, status,
 * command, a cleaned diagnostic code.  Returns FALSE when the record has
 * no usable recipient and must be dropped. */
gboolean bt_finish_record(const BtMsgView *view, BtRecord *rec);
