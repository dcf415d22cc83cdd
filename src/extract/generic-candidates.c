/* generic-candidates — step 2 of the generic decoder (generic.c): who
 * the failed recipients are.  Every address in the notice's own text is
 * a candidate, scored for failure wording near it, labels, brackets and
 * lists; the sender's and role addresses never count; then
 * X-Failed-Recipients, the returned To: and the subject's failure
 * wording decide among them (gen_pick_recipients). */
#include "extract/decode.h"
#include "extract/text.h"
#include "extract/generic-words.h"
#include "extract/generic-lines.h"
#include "extract/generic.h"
#include "extract/generic-private.h"

#include "core/literals.h"

#include <string.h>

/* The score an address needs to be taken as a failed recipient: failure
 * wording on its line, or a recipient label, or X-Failed-Recipients. */
#define MIN_SCORE 3
/* A lead-in's list of addresses, however long, is read up to this many. */
#define MAX_LIST_LINES 200

/* ---- candidates ------------------------------------------------------------ */

void
gen_candidate_free(Candidate *c)
{
    g_free(c->address);
    g_free(c->said);
    g_free(c);
}

typedef struct {
    GPtrArray *found;          /* Candidate* */
    GHashTable *excluded;      /* addresses that are never a recipient */
    int line;
    int score;                 /* the line's own score for an address on it */
    gboolean listed;           /* the line holds that address alone */
} Scan;

static gboolean
is_role_address(const char *address)
{
    const char *at = strrchr(address, '@');
    g_autofree char *local = bt_ascii_strdown(address, at - address);
    return gen_label_in(local, gen_role_locals);
}

static Candidate *
find_candidate(GPtrArray *found, const char *address)
{
    for (guint i = 0; i < found->len; i++) {
        Candidate *c = found->pdata[i];
        if (g_ascii_strcasecmp(c->address, address) == 0)
            return c;
    }
    return NULL;
}

static void
note_address(const char *address, gboolean bracketed, gpointer data)
{
    Scan *s = data;
    g_autofree char *key = bt_ascii_strdown(address, -1);
    if (g_hash_table_contains(s->excluded, key) || is_role_address(address))
        return;
    /* brackets or quotes set an address apart in a sentence; alone on
     * its line it is set apart already (s->listed counted that) */
    int score = s->score + (bracketed && !s->listed ? 1 : 0);
    Candidate *c = find_candidate(s->found, address);
    if (!c) {
        if (s->found->len > BT_MAX_RECIPIENTS)
            return;
        c = g_new0(Candidate, 1);
        c->address = g_strdup(address);
        c->line = s->line;
        c->line_score = score;
        g_ptr_array_add(s->found, c);
    } else if (score > c->line_score) {
        c->line = s->line;
        c->line_score = score;
    }
    c->score = MAX(c->score, score);
    c->listed = c->listed || s->listed;
}

/* The first line of the list item that ends above the blank line k: an
 * address alone on its line and the lines indented below it (its reply),
 * or -1.  The reply may stand under a heading of the item's own
 * ("Reason:", a blank line, the reply indented), or lose its indentation
 * (a notice laid out in table cells, whose text starts each cell): then
 * a line or two, none naming an address, make the reply. */
static int
list_item_above(char **lines, int k)
{
    /* a repeated item blanked out leaves more than one blank line */
    while (k > 0 && gen_is_blank(lines[k - 1]))
        k--;
    int j = k - 1;
    gboolean headed = FALSE;
    int flush = 0;
    while (j > 0 && j > k - 1 - NEAR_LINES) {
        if (!gen_is_blank(lines[j]) && !strchr(lines[j], '@') && gen_indent_of(lines[j]) > 0)
            j--;
        else if (!headed && !gen_is_blank(lines[j]) && !strchr(lines[j], '@') && !gen_is_colon_lead_in(lines[j])
                 && flush < FLUSH_REPLY_LINES)
            j--, flush++;
        else if (!headed && j < k - 1 && gen_is_blank(lines[j]) && j > 1 && gen_is_colon_lead_in(lines[j - 1]))
            j -= 2, headed = TRUE;
        else
            break;
    }
    if (j < 0 || j == k - 1 || !gen_is_bare_address(lines[j]))
        return -1;
    if (!headed && !flush && gen_indent_of(lines[j + 1]) <= gen_indent_of(lines[j]))
        return -1;
    return j;
}

/* Does the paragraph after the list that line i belongs to (addresses
 * alone on their lines) start with failure wording: the list, a blank
 * line, "Unknown user."?  A line repeating the original's header may
 * come first. */
static gboolean
reason_below_list(char **lines, int i, int n)
{
    int k = i + 1;
    while (k < n && k <= i + MAX_LIST_LINES && gen_is_bare_address(lines[k]))
        k++;
    if (k >= n || !gen_is_blank(lines[k]))
        return FALSE;
    for (k++; k < n && gen_is_header_like(lines[k]); k++)
        ;
    return k < n && !gen_is_blank(lines[k]) && gen_is_failure_line(lines[k]);
}

/* Does the heading at line k end its paragraph ("Reason:", a blank line)
 * and the line below it (past further headings) word a failure: a
 * recipient's own block whose reply was set below a heading? */
static gboolean
failure_below_heading(char **lines, int k, int n)
{
    if (k + 1 >= n || !gen_is_blank(lines[k + 1]) || !gen_is_colon_lead_in(lines[k]))
        return FALSE;
    int j = k + 1;
    while (j < n && (gen_is_blank(lines[j]) || gen_is_colon_lead_in(lines[j])) && j <= k + NEAR_LINES)
        j++;
    return j < n && !gen_is_bare_address(lines[j]) && gen_is_failure_line(lines[j]);
}

/* Failure wording near line i: on it (3), within NEAR_LINES lines of the
 * same paragraph, or on the lead-in line that introduces its paragraph
 * ("The following recipients could not be reached:" and a blank line).
 * The addresses of a list above line i do not count towards the distance:
 * a lead-in speaks about its whole list, however long. */
static int
failure_score(char **lines, int i, int n)
{
    if (gen_is_failure_line(lines[i]))
        return 3;
    /* the recipient's own sentence folded after the address, its failure
     * wording split over the fold ("Your email to ADDR on ticket #N could
     * not be" / "delivered because …"): on its line too, unless the next
     * line words a failure of its own */
    if (i + 1 < n && !gen_is_failure_line(lines[i + 1]) && gen_is_folded_failure(lines, i, n))
        return 3;
    int reach = NEAR_LINES;
    for (int k = i - 1; k >= 0 && k >= i - reach; k--) {
        if (gen_is_bare_address(lines[k]) && reach < NEAR_LINES + MAX_LIST_LINES) {
            reach++;
            continue;
        }
        /* an item of the same list above ("<addr>", its reply indented
         * below, a blank line): the lead-in speaks about every item */
        int item = gen_is_blank(lines[k]) ? list_item_above(lines, k) : -1;
        if (item >= 0 && reach < NEAR_LINES + MAX_LIST_LINES) {
            reach += k - item + 1;
            k = item;
            continue;
        }
        if (gen_is_blank(lines[k])) {
            /* one blank line between a lead-in and its list */
            if (k > 0 && !gen_is_blank(lines[k - 1]) && gen_is_failure_line(lines[k - 1]))
                return 2;
            break;
        }
        if (gen_is_failure_line(lines[k]))
            return 2;
    }
    if (gen_is_bare_address(lines[i]) && reason_below_list(lines, i, n))
        return 2;
    /* the lines indented below an address are its own item ("addressed
     * to ADDR" and below it "  Delivery failed: 550 …") */
    for (int k = i + 1; k < n && k <= i + NEAR_LINES && !gen_is_blank(lines[k])
                        && gen_indent_of(lines[k]) > gen_indent_of(lines[i]) && !strchr(lines[k], '@'); k++)
        if (gen_is_failure_line(lines[k]))
            return 3;
    /* the original's Subject and date listed under a labelled recipient
     * (Dooray!'s "* Recipient :", "* Sent time :", "* Subject :" above
     * "* Remote host said :") word nothing about the failure and do not
     * use up the distance */
    int seen = 0;
    for (int k = i + 1; k < n && seen < NEAR_LINES && k <= i + DIAG_LOOKAHEAD && !gen_is_blank(lines[k]); k++) {
        if (gen_is_header_line(lines[k]))
            continue;
        seen++;
        if (gen_is_failure_line(lines[k]) || failure_below_heading(lines, k, n))
            return 2;
    }
    return 0;
}

/* A line that holds one address and nothing else: an item of a list of
 * failed recipients. */
gboolean
gen_is_bare_address(const char *line)
{
    g_autofree char *t = g_strstrip(g_strdup(line));
    return *t && !strpbrk(t, " \t") && strchr(t, '@');
}

/* The line past an address type or transport prefix that starts it:
 * gateways list recipients the way Final-Recipient writes them
 * ("RFC822; a@b", "smtp;a@b", "SMTP:a@b" in Exchange's proxy notation). */
static const char *
past_address_type(const char *line)
{
    static const char *const types[] = { "rfc822;", "rfc822:", "smtp;", "smtp:", "utf-8;", "x400;", "mailto:",
                                         NULL };
    const char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    for (int i = 0; types[i]; i++) {
        gsize len = strlen(types[i]);
        if (g_ascii_strncasecmp(s, types[i], len) == 0) {
            s += len;
            while (*s == ' ' || *s == '\t')
                s++;
            return strchr(s, '@') ? s : line;
        }
    }
    return line;
}

/* Is line i indented below an address alone on its line, in the same
 * paragraph: part of that recipient's reply ("<a@b>" and below it "550
 * 5.1.6 … User has moved to c@d"), whose addresses are no recipients? */
static gboolean
in_item_reply(char **lines, int i)
{
    int indent = gen_indent_of(lines[i]);
    if (indent == 0)
        return FALSE;
    for (int k = i - 1; k >= 0 && k >= i - NEAR_LINES && !gen_is_blank(lines[k]); k--)
        if (gen_indent_of(lines[k]) < indent)
            return gen_is_bare_address(past_address_type(lines[k]));
    return FALSE;
}

/* Is line i an SMTP reply in the paragraph of an address alone on its
 * line, a few lines above it (Exchange's administrators' section:
 * "ADDR", "HOST", "Remote Server returned '550 5.7.511 Access denied …
 * forward this message to delist@microsoft.com …'")?  The reply explains
 * that address; the addresses it quotes are no recipients. */
static gboolean
in_paragraph_reply(char **lines, int i)
{
    if (!gen_has_code(lines[i]) || gen_is_bare_address(past_address_type(lines[i])))
        return FALSE;
    for (int k = i - 1; k >= 0 && k >= i - NEAR_LINES && !gen_is_blank(lines[k]); k--)
        if (gen_is_bare_address(past_address_type(lines[k])))
            return TRUE;
    return FALSE;
}

/* Is line i the reply under a labelled recipient of its own paragraph
 * ("Recipient: a@b" and below it "Server reply: 553 5.7.1 <c@d>: Sender
 * address rejected: not owned by user e@f", Postfix smtpd's
 * reject_sender_login_mismatch text)?  A line that carries an SMTP reply
 * code directly below the labelled line explains that recipient; the
 * addresses quoted in the reply are no recipients. */
static gboolean
in_labelled_reply(char **lines, int i)
{
    if (i == 0 || gen_is_blank(lines[i - 1]) || !gen_has_code(lines[i]))
        return FALSE;
    const char *above = past_address_type(lines[i - 1]);
    return gen_label_score(above) == 3 && gen_label_score(past_address_type(lines[i])) != 3;
}

/* The part of a "To:" line before a "Subject:" that shares it: notices
 * that print the original's header on one line ("To: a@b Subject: …")
 * name no recipient in its subject. */
static char *
before_subject(const char *line)
{
    g_autofree char *lower = bt_ascii_strdown(line, -1);
    const char *at = strstr(lower, " subject:");
    return g_strndup(line, at ? (gsize) (at - lower) : strlen(line));
}

/* Is line i Exim's "generated by ADDR" under a "pipe to |CMD", "save to
 * FILE" or "mail to" entry (deliver.c, print_address_information())?
 * Such an entry has no address of its own: the address it was delivered
 * for, the one the sender's message reached, is the failed recipient. */
gboolean
gen_names_delivery_owner(char **lines, int i)
{
    static const char *const entries[] = { "pipe to ", "save to ", "mail to ", NULL };
    const char *s = lines[i] + gen_indent_of(lines[i]);
    if (i == 0 || gen_indent_of(lines[i]) == 0 || g_ascii_strncasecmp(s, "generated by ", 13) != 0)
        return FALSE;
    const char *above = lines[i - 1] + gen_indent_of(lines[i - 1]);
    if (gen_indent_of(lines[i - 1]) >= gen_indent_of(lines[i]))
        return FALSE;
    for (int k = 0; entries[k]; k++)
        if (g_ascii_strncasecmp(above, entries[k], strlen(entries[k])) == 0)
            return TRUE;
    return FALSE;
}

static void
scan_candidates(char **lines, int n, GHashTable *excluded, GPtrArray *found)
{
    Scan s = { found, excluded, 0, 0, FALSE };
    for (int i = 0; i < n; i++) {
        if (!strchr(lines[i], '@') || in_item_reply(lines, i) || in_labelled_reply(lines, i)
            || in_paragraph_reply(lines, i))
            continue;
        const char *line = past_address_type(lines[i]);
        int label = gen_label_score(line);
        if (label < 0 || gen_is_header_line(line))
            continue;
        s.line = i;
        s.listed = gen_is_bare_address(line);
        if (gen_names_delivery_owner(lines, i))
            label = MIN_SCORE;
        s.score = label + failure_score(lines, i, n) + (s.listed ? 1 : 0);
        g_autofree char *named = label == 1 ? before_subject(lines[i]) : NULL;
        gen_each_address(named ? named : lines[i], note_address, &s);
    }
}

/* ---- who is not a recipient --------------------------------------------- */

static void
exclude_addresses(GHashTable *excluded, const char *value)
{
    if (!value)
        return;
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);
    for (int i = 0; parts[i]; i++) {
        g_autofree char *a = bt_address_clean(parts[i]);
        if (a)
            g_hash_table_add(excluded, bt_ascii_strdown(a, -1));
    }
}

/* The sender (the bounce's To, the returned message's From, Sender,
 * Reply-To and Return-Path) and the notice's own From. */
static GHashTable *
excluded_addresses(const BtMsgView *view)
{
    GHashTable *ex = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    static const char *const own[] = { "From", "To", "Reply-To", "Sender", "Return-Path", NULL };
    for (int i = 0; own[i]; i++) {
        g_autofree char *v = bt_view_header(view, own[i]);
        exclude_addresses(ex, v);
    }
    static const char *const returned[] = { "From", "Sender", "Reply-To", "Return-Path", NULL };
    for (int i = 0; view->returned_headers && returned[i]; i++) {
        g_autofree char *v = bt_header_block_get(view->returned_headers, returned[i]);
        exclude_addresses(ex, v);
    }
    return ex;
}

/* ---- the recipients ---------------------------------------------------------- */

static void
add_header_candidates(GPtrArray *found, const char *value, GHashTable *excluded, int score)
{
    if (!value)
        return;
    g_auto(GStrv) parts = g_strsplit_set(value, ",;", -1);
    for (int i = 0; parts[i]; i++) {
        g_autofree char *a = bt_address_clean(parts[i]);
        if (!a)
            continue;
        g_autofree char *key = bt_ascii_strdown(a, -1);
        if (g_hash_table_contains(excluded, key))
            continue;
        Candidate *c = find_candidate(found, a);
        if (!c) {
            c = g_new0(Candidate, 1);
            c->address = g_steal_pointer(&a);
            c->line = -1;
            g_ptr_array_add(found, c);
        }
        c->score += score;
    }
}

/* What follows a bounce subject's first colon when it words a failure and
 * names an address: Sendmail's subject is "Returned mail: %s" with the
 * error, and older versions put the recipient in it ("Returned mail: Quota
 * exceeded for user ADDR", read so by Sympa's anabounce).  Not when it is
 * the original's own subject ("Undeliverable: Invoice for a@b"). */
char *
gen_subject_failure(const BtMsgView *view)
{
    g_autofree char *subject = bt_view_header(view, "Subject");
    const char *colon = subject ? strchr(subject, ':') : NULL;
    if (!colon || !strchr(colon, '@') || !gen_is_bounce_subject(subject) || !gen_is_failure_line(colon + 1))
        return NULL;
    g_autofree char *original = bt_header_block_get(view->returned_headers, "Subject");
    if (original && strstr(colon + 1, original))
        return NULL;
    return g_strstrip(g_strdup(colon + 1));
}

/* The addresses the subject's failure wording names, with that wording. */
static void
add_subject_candidates(const BtMsgView *view, GPtrArray *found, GHashTable *excluded)
{
    g_autofree char *said = gen_subject_failure(view);
    if (!said)
        return;
    Scan s = { found, excluded, -1, MIN_SCORE, FALSE };
    gen_each_address(said, note_address, &s);
    for (guint i = 0; i < found->len; i++) {
        Candidate *c = found->pdata[i];
        c->said = gen_line_without(said, c->address);
        gsize len = c->said ? strlen(c->said) : 0;
        while (len && strchr(":;, ", c->said[len - 1]))
            c->said[--len] = '\0';   /* "…: <ADDR>" loses the colon with the address */
    }
}

/* The recipients: X-Failed-Recipients first (the MTA's own list, then
 * `*from_header` is set), then the addresses the text shows failing;
 * failing both, the To: of a message returned as a MIME part, when it
 * names one address, else the addresses a failure subject names, else the
 * To: of an inline copy. */
GPtrArray *
gen_pick_recipients(const BtMsgView *view, char **lines, int n, gboolean lists_failed, gboolean copied,
                    gboolean *from_header)
{
    *from_header = FALSE;
    g_autoptr(GHashTable) excluded = excluded_addresses(view);
    GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify) gen_candidate_free);
    scan_candidates(lines, n, excluded, found);
    g_autofree char *failed = bt_view_header(view, "X-Failed-Recipients");
    /* the To: of a message returned as a MIME part only: where an inline
     * copy starts is a guess, and a guessed "To:" line may be anyone's */
    g_autofree char *to = bt_header_block_get(view->returned_headers, "To");
    if (failed) {
        g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func((GDestroyNotify) gen_candidate_free);
        add_header_candidates(listed, failed, excluded, MIN_SCORE);
        for (guint i = 0; i < listed->len; i++) {
            Candidate *l = listed->pdata[i];
            Candidate *c = find_candidate(found, l->address);
            l->line = c ? c->line : -1;
        }
        if (listed->len) {
            g_ptr_array_unref(found);
            *from_header = TRUE;
            return g_steal_pointer(&listed);
        }
    }
    if (view->returned)
        add_header_candidates(found, to, excluded, 1);
    /* a notice that states a failure and lists addresses alone on their
     * lines, with no failure wording near them (a neutral intro, the
     * reason in a paragraph of its own): the list is whom it failed for */
    gboolean any = FALSE;
    for (guint i = 0; i < found->len && !any; i++)
        any = ((Candidate *) found->pdata[i])->score >= MIN_SCORE;
    for (guint i = found->len; i-- > 0;) {
        Candidate *c = found->pdata[i];
        if (c->score < MIN_SCORE && (any || !lists_failed || !c->listed))
            g_ptr_array_remove_index(found, i);
    }
    if (found->len == 0 && lists_failed && view->returned && to && !strchr(to, ','))
        add_header_candidates(found, to, excluded, MIN_SCORE);
    if (found->len == 0)
        add_subject_candidates(view, found, excluded);
    /* failing those, the To: of an inline copy under the notice's marker
     * whose header block is a message's, when it names one address */
    if (found->len == 0 && lists_failed && copied && to && !strchr(to, ','))
        add_header_candidates(found, to, excluded, MIN_SCORE);
    return found;
}
