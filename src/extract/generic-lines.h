/* generic-lines — the generic decoder's reading of a notice's own text
 * (generic-lines.c: words, a line's shape, addresses; generic-bounce.c:
 * is it a bounce at all; generic-notice.c: its lines), shared by
 * generic.c and notice-text.c.  Private to src/extract. */
#pragma once

#include "extract/decode.h"

/* Whether `hay` contains `lower` (given in lower case), ignoring ASCII
 * case: asked per line and per record, so it allocates nothing. */
gboolean gen_contains_lower(const char *hay, const char *lower);
/* Does case-folded text hold one of the (lower-case) words? */
gboolean gen_has_word(const char *folded, const char *const *words);
/* `s` case-folded for gen_has_word; "" for NULL. */
char *gen_fold(const char *s);
/* Does `s` hold one of the (lower-case) words, case-folded first? */
gboolean gen_text_has_word(const char *s, const char *const *words);
/* An SMTP reply or enhanced status code that is no success ("550 ",
 * "#5.1.1", "4.2.2"). */
gboolean gen_has_code(const char *line);
/* Failure wording or a code, outside the addresses on the line. */
gboolean gen_is_failure_line(const char *line);
/* Is the message a bounce by its own account (sender, subject,
 * X-Failed-Recipients, a delivery-status part), and no reply, forward,
 * newsletter or other report? */
gboolean gen_announces_bounce(const BtMsgView *view, const char *from, const char *subject);
gboolean gen_is_personal_forward(const BtMsgView *view);
/* A reply (a reply prefix on the Subject) without the marks only machines
 * set: no RFC 3834 Auto-Submitted, no X-Failed-Recipients, no null
 * Return-Path.  Whether its From names a mail system is the caller's
 * question: a postmaster's reply is a person's. */
gboolean gen_is_unmarked_reply(const BtMsgView *view);
/* Do an ordinary envelope sender and From address (`from`, the field)
 * only name a mail system in From's display name or the Subject (no
 * report part)? */
gboolean gen_poses_as_mail_system(const BtMsgView *view, const char *from);
/* What a subject's first word says of it: the sender's own words, or a
 * person's reply ("Re:", "AW:", "SV:", "回复:") or forward ("Fwd:",
 * "WG:", "TR :", "转发：") of another message's subject. */
typedef enum {
    GEN_SUBJECT_OWN,
    GEN_SUBJECT_REPLY,
    GEN_SUBJECT_FORWARD,
} GenSubjectPrefix;
GenSubjectPrefix gen_subject_prefix(const char *subject);
/* The same prefixes as a regex ("(?:re|aw|…)\s*(?::|：)"), for the
 * layouts' built-in conditions.  Free with g_free. */
char *gen_subject_marks_pattern(void);
/* Is a Return-Path field (or reverse-path) the null one: "<>", or the
 * MAILER-DAEMON Postfix writes for it (local(8), pipe(8)'s R flag)? */
gboolean gen_is_null_path(const char *return_path);
/* Does an Auto-Submitted value mark a machine's message (RFC 3834
 * "auto-generated", "auto-replied", "auto-notified")? */
gboolean gen_is_auto_submitted(const char *value);
/* Does a From field name a mail system (MAILER-DAEMON, postmaster, …)? */
gboolean gen_is_daemon_sender(const char *from);
/* The report-type of a multipart/report message (RFC 6522, "" when it
 * names none), newly allocated, or NULL for any other message. */
char *gen_report_type(const BtMsgView *view);
/* Is it a multipart/report (gen_report_type() not NULL)? */
gboolean gen_is_report(const BtMsgView *view);
/* Does the subject word a delivery failure or delay ("Undelivered Mail
 * Returned to Sender", "Nondeliverable mail", "Unzustellbar: …")? */
gboolean gen_is_bounce_subject(const char *subject);
/* A warning that delivery is delayed (and will be retried), not a failure,
 * by the subject and the notice's lines. */
gboolean gen_is_delay_warning(const char *subject, char **lines, int n);
/* The folded name of a "Name: value" line, or NULL. */
char *gen_line_label(const char *line);
/* What follows the label's colon (ASCII or full-width) in `line`, or
 * NULL when it has none. */
const char *gen_label_value(const char *line);
gboolean gen_label_in(const char *label, const char *const *labels);
/* A header field line (To:, Subject:, X-…, Content-…). */
gboolean gen_is_header_line(const char *line);
gboolean gen_is_blank(const char *line);
/* Does a header block (an inline copy of the original) start at line i? */
gboolean gen_starts_header_block(char **lines, int i);
/* The body's lines; *copy_at gets the first line of an inline copy of the
 * original, or -1.  Free with g_strfreev. */
char **gen_notice_lines(const char *body, int *copy_at);
/* How many of those lines are the notice's own (bounded). */
int gen_notice_length(char **lines, int copy_at);

/* A line's indentation, a tab counting 8 columns. */
int gen_indent_of(const char *line);
/* `s` with each run of white space made one space and none at either end;
 * NULL when nothing is left. */
char *gen_squeezed(const char *s);
/* A line that only announces what follows it, ending in a colon
 * ("Reason:", "For the following reason:"). */
gboolean gen_is_colon_lead_in(const char *line);
/* What a line's label says of the address on it: 3 a recipient label,
 * 1 a To: label, -1 a sender's or another header field, 0 none. */
int gen_label_score(const char *line);
/* A line that only repeats the header of the original (To:, Subject:, …). */
gboolean gen_is_header_like(const char *line);
/* A sentence that starts like a lead-in ("For the following reason …"). */
gboolean gen_is_worded_lead_in(const char *line);
/* A lead-in: a line ending in a colon without a code, or a worded one. */
gboolean gen_is_lead_in(const char *line);
/* A rule ("-----"), or a section title framed by rules on both sides. */
gboolean gen_is_separator(const char *line);
/* Calls `fn` for each address-looking token of `line`, with whether it
 * stood in <…> or quotes. */
typedef void (*GenTokenFn)(const char *address, gboolean bracketed, gpointer data);
void gen_each_address(const char *line, GenTokenFn fn, gpointer data);
