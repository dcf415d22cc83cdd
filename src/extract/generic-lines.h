/* generic-lines — the generic decoder's reading of a notice's own text
 * (generic-lines.c), shared by generic.c.  Private to src/extract. */
#pragma once

#include "extract/decode.h"

/* Whether `hay` contains `lower` (given in lower case), ignoring ASCII
 * case: asked per line and per record, so it allocates nothing. */
gboolean gen_contains_lower(const char *hay, const char *lower);
/* Does case-folded text hold one of the (lower-case) words? */
gboolean gen_has_word(const char *folded, const char *const *words);
/* `s` case-folded for gen_has_word; "" for NULL. */
char *gen_fold(const char *s);
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
/* Does a From field name a mail system (MAILER-DAEMON, postmaster, …)? */
gboolean gen_is_daemon_sender(const char *from);
/* The report-type of a multipart/report message (RFC 6522, "" when it
 * names none), or NULL for any other message. */
const char *gen_report_type(const BtMsgView *view);
/* Does the subject word a delivery failure or delay ("Undelivered Mail
 * Returned to Sender", "Nondeliverable mail", "Unzustellbar: …")? */
gboolean gen_is_bounce_subject(const char *subject);
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
