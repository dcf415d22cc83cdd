/* autoreply — RFC 3834 automatic responses (vacation and out-of-office
 * notices): one record whose recipient is the auto-replier, reason hint
 * "vacation".  A bounce often carries the same header fields
 * (Auto-Submitted: auto-replied is common on MTA notices), so a message
 * from a mailer daemon or with a bounce-like subject is never taken for
 * an auto-reply.  Its words and header marks are data: the `autoreply:`
 * map of rules/layouts/autoreply.yaml (autoreply.h), which says where
 * each is documented. */
#include "core/lean-mime.h"
#include "extract/autoreply.h"
#include "extract/decode.h"
#include "extract/generic-lines.h"
#include "extract/text.h"
#include "core/literals.h"

#include <string.h>

const char *const bt_autoreply_marker_keys[BT_AR_N_MARKER_LISTS] = {
    "header-markers", "machine-markers", "list-markers", "bulk-markers",
};

const char *const bt_autoreply_word_keys[BT_AR_N_WORD_LISTS] = {
    "absence-phrases", "subject-labels", "subject-topics", "subject-labels-anywhere",
    "subject-topics-anywhere", "bounce-senders", "bounce-subjects", "challenge-phrases",
    "acknowledgement-phrases",
};

gboolean
bt_autoreply_words_as_written(BtAutoreplyWordList list)
{
    return list == BT_AR_SUBJECT_LABELS || list == BT_AR_SUBJECT_TOPICS;
}

static void
marker_free(BtHeaderMarker *m)
{
    g_free(m->name);
    g_free(m->value);
    g_free(m);
}

BtAutoreplyVocab *
bt_autoreply_vocab_new(void)
{
    BtAutoreplyVocab *vocab = g_new0(BtAutoreplyVocab, 1);
    for (int i = 0; i < BT_AR_N_MARKER_LISTS; i++)
        vocab->markers[i] = g_ptr_array_new_with_free_func((GDestroyNotify) marker_free);
    for (int i = 0; i < BT_AR_N_WORD_LISTS; i++)
        vocab->words[i] = g_ptr_array_new_with_free_func(g_free);
    return vocab;
}

void
bt_autoreply_vocab_free(BtAutoreplyVocab *vocab)
{
    if (!vocab)
        return;
    for (int i = 0; i < BT_AR_N_MARKER_LISTS; i++)
        g_ptr_array_unref(vocab->markers[i]);
    for (int i = 0; i < BT_AR_N_WORD_LISTS; i++)
        g_ptr_array_unref(vocab->words[i]);
    g_free(vocab);
}

/* Case-folded once, not once per needle. */
static gboolean
contains_any(const char *hay, const GPtrArray *needles)
{
    if (!hay)
        return FALSE;
    g_autofree char *h = gen_fold(hay);
    for (guint i = 0; i < needles->len; i++) {
        g_autofree char *n = gen_fold(needles->pdata[i]);
        if (strstr(h, n))
            return TRUE;
    }
    return FALSE;
}

/* Does any field `name` of the header hold `value` (NULL: any value)?
 * Every occurrence counts: a field such as Delivered-To is added again by
 * each MTA on the way, above the responder's own. */
static gboolean
header_holds(const char *block, const char *name, const char *value)
{
    gsize n = strlen(name);
    for (const char *line = block; line && *line;) {
        const char *end = strchr(line, '\n');
        gsize len = end ? (gsize) (end - line) : strlen(line);
        if (len > n && line[n] == ':' && g_ascii_strncasecmp(line, name, n) == 0) {
            if (!value)
                return TRUE;
            g_autofree char *folded = bt_ascii_strdown(line + n + 1, len - n - 1);
            if (strstr(folded, value))
                return TRUE;
        }
        line = end ? end + 1 : NULL;
    }
    return FALSE;
}

/* `block` is the message's header block, unfolded; `markers` one of the
 * vocabulary's lists of them. */
static gboolean
has_marker(const char *block, const GPtrArray *markers)
{
    for (guint i = 0; i < markers->len; i++) {
        const BtHeaderMarker *m = markers->pdata[i];
        if (header_holds(block, m->name, m->value))
            return TRUE;
    }
    return FALSE;
}

/* Header fields by which auto-responders identify themselves, each alone
 * enough (header-markers in rules/layouts/autoreply.yaml, with where each
 * is documented). */
static gboolean
has_autoreply_fields(const BtAutoreplyVocab *vocab, const char *block)
{
    return has_marker(block, vocab->markers[BT_AR_HEADER_MARKERS]);
}

/* Fields that machines set on many messages besides auto-replies
 * (machine-markers): they count only beside the wording of an absence. */
static gboolean
has_machine_fields(const BtAutoreplyVocab *vocab, const char *block)
{
    return has_marker(block, vocab->markers[BT_AR_MACHINE_MARKERS]);
}

/* Does the first 1000 characters of a reply (its own text, not a quoted
 * original below it) hold a phrase of word list `list`? */
static gboolean
opening_text_holds(const BtAutoreplyVocab *vocab, const char *body, BtAutoreplyWordList list)
{
    if (!body)
        return FALSE;
    g_autofree char *head = g_utf8_substring(body, 0, MIN(g_utf8_strlen(body, -1), 1000));
    return contains_any(head, vocab->words[list]);
}

/* A list's message (list-markers): a subject about being "out of office"
 * is then a newsletter's or a member's, not an absence notice.  Bulk
 * marks (bulk-markers) count only against topic words: responders set
 * them on their own replies to stop loops, and so do newsletters. */
static gboolean
is_list_mail(const BtAutoreplyVocab *vocab, const char *block, gboolean bulk_counts)
{
    return has_marker(block, vocab->markers[BT_AR_LIST_MARKERS]) ||
           (bulk_counts && has_marker(block, vocab->markers[BT_AR_BULK_MARKERS]));
}

/* Ticket systems and list managers put a bracketed tag before the
 * subject ("[Ticket#2024071610000021] Auto reply: …" in OTRS, "[example.org
 * #48213] Autoreply: …" in Request Tracker, "[Support] …" in many
 * helpdesks): the subject proper starts after the tags. */
static const char *
skip_subject_tags(const char *s)
{
    while (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close)
            break;
        s = close + 1;
        while (g_ascii_isspace(*s))
            s++;
    }
    return s;
}

/* What a subject tells of an automatic reply. */
typedef enum {
    SUBJECT_NONE,
    /* words about an absence ("Out of office 26-30 August - handover
     * notes"): a person may write them too */
    SUBJECT_TOPIC,
    /* a responder's own label ("Automatic reply: …", "Auto: …", "I am
     * away") */
    SUBJECT_LABEL,
} SubjectKind;

/* Does `t` start with `phrase` followed by a colon, by nothing but
 * punctuation, or by nothing at all ("Out of Office: Jan", "Out of
 * office")?  Then the topic words are used as a label. */
static gboolean
topic_as_label(const char *t, const char *phrase)
{
    const char *p = t + strlen(phrase);
    while (*p == ' ')
        p++;
    if (*p == ':')
        return TRUE;
    while (*p && (g_ascii_ispunct(*p) || g_ascii_isspace(*p)))
        p++;
    return *p == '\0';
}

/* Subjects of out-of-office and vacation notices, in a few languages
 * (subject-labels, subject-topics and their -anywhere lists, with their
 * sources).  `at_start` says whether the words open the subject (after
 * any tags). */
static SubjectKind
autoreply_subject(const BtAutoreplyVocab *vocab, const char *subject, gboolean *at_start)
{
    const GPtrArray *labels = vocab->words[BT_AR_SUBJECT_LABELS];
    const GPtrArray *topics = vocab->words[BT_AR_SUBJECT_TOPICS];
    *at_start = FALSE;
    if (!subject)
        return SUBJECT_NONE;
    /* a person's reply or forward ("RE: Out of Office: Jan Novak", "AW:",
     * "TR :") quotes an auto-reply's subject and is none itself */
    if (gen_subject_prefix(subject) != GEN_SUBJECT_OWN)
        return SUBJECT_NONE;
    g_autofree char *s = bt_casefold(subject);
    const char *t = skip_subject_tags(s);
    for (guint i = 0; i < labels->len; i++)
        if (g_str_has_prefix(s, labels->pdata[i]) || g_str_has_prefix(t, labels->pdata[i])) {
            *at_start = TRUE;
            return SUBJECT_LABEL;
        }
    for (guint i = 0; i < topics->len; i++)
        if (g_str_has_prefix(t, topics->pdata[i])) {
            *at_start = topic_as_label(t, topics->pdata[i]);
            return *at_start ? SUBJECT_LABEL : SUBJECT_TOPIC;
        }
    if (contains_any(subject, vocab->words[BT_AR_SUBJECT_LABELS_ANYWHERE]))
        return SUBJECT_LABEL;
    return contains_any(subject, vocab->words[BT_AR_SUBJECT_TOPICS_ANYWHERE]) ? SUBJECT_TOPIC
                                                                              : SUBJECT_NONE;
}

/* The null reverse-path as the header shows it ("<>", or the
 * MAILER-DAEMON Postfix writes for it); any Return-Path field counts, as
 * a relay may add one above the responder's own. */
static gboolean
has_null_return_path(const BtMsgView *view, const char *block)
{
    if (header_holds(block, "Return-Path", "<>"))
        return TRUE;
    g_autofree char *path = bt_view_header(view, "Return-Path");
    return gen_is_null_path(path);
}

/* Is the message an answer to one (RFC 3834 §3.1.5 In-Reply-To and
 * References), or sent from the null reverse-path §3.3 asks of
 * responders? */
static gboolean
is_reply_like(const BtMsgView *view, const char *block)
{
    g_autofree char *irt = bt_view_header(view, "In-Reply-To");
    g_autofree char *refs = bt_view_header(view, "References");
    return irt || refs || has_null_return_path(view, block);
}

/* A machine-marked message (machine-markers) that is no list's is an
 * auto-reply when its opening text words an absence (absence-phrases),
 * or, on a reply, a ticket system's receipt of the message
 * (acknowledgement-phrases: Zendesk, Freshdesk and Znuny mark theirs only
 * auto-generated).  A newsletter may say "on vacation" too. */
static gboolean
machine_mail_is_reply(const BtAutoreplyVocab *vocab, const BtMsgView *view, const char *block)
{
    if (is_list_mail(vocab, block, FALSE))
        return FALSE;
    if (opening_text_holds(vocab, view->body, BT_AR_ABSENCE_PHRASES))
        return TRUE;
    return is_reply_like(view, block) && opening_text_holds(vocab, view->body, BT_AR_ACK_PHRASES);
}

/* Signs that the message reports a delivery failure instead: a mail
 * system's sender (bounce-senders), a subject that words a failure (the
 * generic decoder's list and bounce-subjects).  A subject that opens with
 * an auto-responder's label ("Automatic reply: Delivery notification for
 * order 5521", "Auto: Rejected invoice 4711") quotes the original's words
 * and decides nothing.  `opens_with_label`: the subject opens with such a
 * label (autoreply_subject). */
static gboolean
looks_like_bounce(const BtAutoreplyVocab *vocab, const BtMsgView *view, const char *from,
                  const char *subject, gboolean opens_with_label)
{
    if (view->dsn)
        return TRUE;
    if (contains_any(from, vocab->words[BT_AR_BOUNCE_SENDERS]))
        return TRUE;
    if (!subject || opens_with_label)
        return FALSE;
    return gen_is_bounce_subject(subject) || contains_any(subject, vocab->words[BT_AR_BOUNCE_SUBJECTS]);
}

/* Challenge-response systems and list managers' opt-in requests answer
 * with RFC 3834 fields too, but hold the message until the sender proves
 * to be a person: neither an absence nor a failure.  Their requests say
 * so (challenge-phrases). */
static gboolean
is_challenge(const BtAutoreplyVocab *vocab, const BtMsgView *view)
{
    return contains_any(view->body, vocab->words[BT_AR_CHALLENGE_PHRASES]);
}

/* An iMIP scheduling reply (RFC 6047 §2.4: a text/calendar part whose
 * "method" parameter is REPLY; RFC 5546 §3.2.3: an attendee's answer,
 * which room and equipment mailboxes send automatically, accepting or
 * declining) is a calendar's answer, however its header marks it, never
 * an absence notice.  Enclosed messages are not looked into. */
static gboolean
holds_scheduling_reply(GMimeObject *obj, int depth)
{
    if (!obj || depth > BT_VIEW_MAX_DEPTH || bt_mime_is_enclosed(obj))
        return FALSE;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = MIN(g_mime_multipart_get_count(mp), BT_VIEW_MAX_PARTS);
        for (int i = 0; i < n; i++)
            if (holds_scheduling_reply(g_mime_multipart_get_part(mp, i), depth + 1))
                return TRUE;
        return FALSE;
    }
    if (!bt_mime_is_type(obj, "text", "calendar"))
        return FALSE;
    g_autofree char *method = bt_mime_type_parameter(obj, "method");
    return method && g_ascii_strcasecmp(method, "REPLY") == 0;
}

gboolean
bt_decode_autoreply(const BtAutoreplyVocab *vocab, const BtMsgView *view, GPtrArray *records)
{
    g_autofree char *from = bt_view_header(view, "From");
    g_autofree char *subject = bt_view_header(view, "Subject");
    /* the subject is classified once, for both questions below */
    gboolean at_start = FALSE;
    SubjectKind kind = autoreply_subject(vocab, subject, &at_start);
    if (!from || looks_like_bounce(vocab, view, from, subject, kind == SUBJECT_LABEL && at_start))
        return FALSE;
    /* a header mark of its own decides; a subject or a machine's mark
     * needs more: the subject a sender that is no list, the machine's mark
     * the wording of an absence */
    g_autofree char *raw = view->mime ? bt_mime_top_header_block(view->top, view->mime) : g_strdup("");
    g_autofree char *block = bt_header_block_unfold(raw);
    /* any other report (RFC 8098 disposition notifications, RFC 6522
     * reports in general) is a machine's account of a message, however
     * its header marks it, never an absence notice */
    if (header_holds(block, "Content-Type", "multipart/report"))
        return FALSE;
    if (view->mime && holds_scheduling_reply(bt_mime_body_of(view->mime), 0))
        return FALSE;
    gboolean marked = has_autoreply_fields(vocab, block);
    if (!marked) {
        /* a responder's label counts from any sender that is no list;
         * topic words only on a reply from one that is not bulk either */
        if (kind == SUBJECT_LABEL)
            marked = !is_list_mail(vocab, block, FALSE);
        else if (kind == SUBJECT_TOPIC)
            marked = !is_list_mail(vocab, block, TRUE) && is_reply_like(view, block);
    }
    if (!marked && has_machine_fields(vocab, block))
        marked = machine_mail_is_reply(vocab, view, block);
    if (!marked)
        return FALSE;
    if (is_challenge(vocab, view))
        return FALSE;
    g_autofree char *replier = bt_address_clean(from);
    if (!replier)
        return FALSE;
    BtRecord *rec = bt_record_new();
    rec->recipient = g_steal_pointer(&replier);
    bt_set_str(&rec->reason, "vacation");
    rec->diagnosticcode = bt_strdup_trimmed(view->body);
    rec->decodedby = g_strdup("RFC3834");
    g_ptr_array_add(records, rec);
    return TRUE;
}
