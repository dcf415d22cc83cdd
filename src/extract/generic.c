/* generic — the last resort for notices that neither a delivery-status
 * part nor any layout explains: older Exchange and Notes gateways, small
 * MTAs that write "could not deliver to ADDR because …", webmail and
 * carrier notices in other languages.  It works by evidence, the way a
 * person reads such a notice:
 *
 *   1. the message must announce itself as a bounce (a mail-system sender,
 *      a bounce subject in one of several languages, X-Failed-Recipients,
 *      a delivery-status part) and not be a read receipt or a reply;
 *   2. every address in the notice's own text is a candidate; it scores
 *      for failure wording on or next to its line, for a "Recipient:" label,
 *      for angle brackets or quotes, for X-Failed-Recipients, for being the
 *      returned message's To:; addresses of the sender, of the notice
 *      itself and role mailboxes (postmaster@…) never count;
 *   3. each recipient's diagnostic is the sentence that explains it: its own
 *      line when that says something, else the next line that is not a
 *      lead-in ("for the following reason:"), a header line or boilerplate,
 *      else the failure sentence before it.
 *
 * The words are tables in generic-words.h; reading the notice's lines and
 * deciding whether it is a bounce at all are in generic-lines.c.  Other
 * decoders read one recipient's text the same way through notice-text.c,
 * which shares the diagnostics below (generic.h). */
#include "extract/decode.h"
#include "extract/text.h"
#include "extract/generic-words.h"
#include "extract/generic-lines.h"
#include "extract/generic.h"

#include "core/literals.h"

#include <string.h>

/* The score an address needs to be taken as a failed recipient: failure
 * wording on its line, or a recipient label, or X-Failed-Recipients. */
#define MIN_SCORE 3
/* How far from an address failure wording still speaks about it. */
#define NEAR_LINES 3
/* A lead-in's list of addresses, however long, is read up to this many. */
#define MAX_LIST_LINES 200
/* A list item's reply that lost its indentation is this short. */
#define FLUSH_REPLY_LINES 2
/* How far below a marker of the original its header block may start. */
#define MARKER_REACH 6
/* The header block of an inline copy: no real one is longer. */
#define MAX_HEADER_LINES 500

/* ---- candidates ------------------------------------------------------------ */

static gboolean is_bare_address(const char *line);

typedef struct {
    char *address;     /* clean */
    int score;
    int line;          /* the line of its best mention */
    int line_score;    /* the score of that mention alone */
    gboolean listed;   /* stood alone on a line: an item of a list */
    char *said;        /* named only by the subject: its words */
} Candidate;

static void
candidate_free(Candidate *c)
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
    if (j < 0 || j == k - 1 || !is_bare_address(lines[j]))
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
    while (k < n && k <= i + MAX_LIST_LINES && is_bare_address(lines[k]))
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
    return j < n && !is_bare_address(lines[j]) && gen_is_failure_line(lines[j]);
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
    int reach = NEAR_LINES;
    for (int k = i - 1; k >= 0 && k >= i - reach; k--) {
        if (is_bare_address(lines[k]) && reach < NEAR_LINES + MAX_LIST_LINES) {
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
    if (is_bare_address(lines[i]) && reason_below_list(lines, i, n))
        return 2;
    /* the lines indented below an address are its own item ("addressed
     * to ADDR" and below it "  Delivery failed: 550 …") */
    for (int k = i + 1; k < n && k <= i + NEAR_LINES && !gen_is_blank(lines[k])
                        && gen_indent_of(lines[k]) > gen_indent_of(lines[i]) && !strchr(lines[k], '@'); k++)
        if (gen_is_failure_line(lines[k]))
            return 3;
    for (int k = i + 1; k < n && k <= i + NEAR_LINES && !gen_is_blank(lines[k]); k++)
        if (gen_is_failure_line(lines[k]) || failure_below_heading(lines, k, n))
            return 2;
    return 0;
}

/* A line that holds one address and nothing else: an item of a list of
 * failed recipients. */
static gboolean
is_bare_address(const char *line)
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
            return is_bare_address(past_address_type(lines[k]));
    return FALSE;
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
static gboolean
names_delivery_owner(char **lines, int i)
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
        if (!strchr(lines[i], '@') || in_item_reply(lines, i))
            continue;
        const char *line = past_address_type(lines[i]);
        int label = gen_label_score(line);
        if (label < 0 || gen_is_header_line(line))
            continue;
        s.line = i;
        s.listed = is_bare_address(line);
        if (names_delivery_owner(lines, i))
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

/* ---- diagnostics ------------------------------------------------------------ */

/* Does a line (the address already removed) explain something? */
static gboolean
says_something(const char *text)
{
    if (!text)
        return FALSE;
    g_autofree char *label = gen_line_label(text);
    if (gen_is_failure_line(text) || gen_label_in(label, gen_reason_labels))
        return TRUE;
    int words = 0;
    gboolean in_word = FALSE;
    for (const char *p = text; *p; p++) {
        gboolean letter = g_ascii_isalpha(*p) || (guchar) *p >= 0x80;
        if (letter && !in_word)
            words++;
        in_word = letter || (in_word && !g_ascii_isspace(*p));
    }
    return words >= 5;
}

/* Line i without `address` (and its brackets, a label before it and
 * the punctuation around it). */
static char *
line_without(const char *line, const char *address)
{
    GString *out = g_string_new(NULL);
    /* ASCII lower case keeps the byte offsets */
    g_autofree char *lower = bt_ascii_strdown(line, -1);
    g_autofree char *want = bt_ascii_strdown(address, -1);
    const char *hit = strstr(lower, want);
    if (hit) {
        gsize at = hit - lower, len = strlen(want);
        while (at > 0 && strchr("<\"':", line[at - 1]))
            at--, len++;
        /* a transport prefix glued before it */
        while (at > 0 && g_ascii_isalnum(line[at - 1]))
            at--, len++;
        g_string_append_len(out, line, at);
        const char *rest = line + at + len;
        while (*rest && strchr(">\"':;,", *rest))
            rest++;
        /* the full stop after an address inside a sentence ("the address
         * ADDR. does not exist") belongs to nothing once the address is
         * gone; one that ends the sentence stays, on the word before */
        gboolean ends_sentence = *rest == '.' && rest[1] != '.';   /* not an ellipsis */
        if (ends_sentence && (rest[1] == ' ' || rest[1] == '\t') && g_ascii_islower(rest[2])) {
            rest++;
        } else if (ends_sentence) {
            while (out->len && g_ascii_isspace(out->str[out->len - 1]))
                g_string_truncate(out, out->len - 1);
            if (!out->len || !g_ascii_isalnum(out->str[out->len - 1]))
                rest++;
        }
        if (!ends_sentence || *rest != '.')
            g_string_append_c(out, ' ');
        g_string_append(out, rest);
    } else {
        g_string_append(out, line);
    }
    g_autofree char *text = g_string_free(out, FALSE);
    g_autofree char *label = gen_line_label(text);
    const char *body = text;
    if (label && (gen_label_score(text) > 0 || gen_label_in(label, gen_reason_labels))) {
        const char *colon = strchr(text, ':');
        const char *wide = strstr(text, "：");
        body = wide && (!colon || wide < colon) ? wide + strlen("：") : colon ? colon + 1 : text;
    }
    char *trimmed = g_strstrip(g_strdup(body));
    if (!*trimmed)
        g_clear_pointer(&trimmed, g_free);
    return trimmed;
}

/* Does the line name `lower` (an address in lower case) as the argument
 * of a command ("after RCPT TO:<ADDR>:")?  There it is no part of a
 * sentence and stays. */
static gboolean
names_command_address(const char *line, const char *lower)
{
    g_autofree char *to = g_strconcat("to:<", lower, NULL);
    g_autofree char *spaced = g_strconcat("to: <", lower, NULL);
    return gen_contains_lower(line, to) || gen_contains_lower(line, spaced);
}

/* Appends line i and the lines that continue it (indented, or the rest
 * of its paragraph while no other recipient starts a line). */
static int
take_paragraph(char **lines, int i, int n, GString *out, GPtrArray *recipients, const char *self,
               gboolean whole)
{
    g_autofree char *self_lower = bt_ascii_strdown(self, -1);
    int k = i + 1;
    for (; k < n && k <= i + DIAG_LOOKAHEAD && out->len < DIAG_MAX_CHARS; k++) {
        const char *l = lines[k];
        if (gen_is_blank(l) || gen_is_separator(l) || gen_is_header_like(l))
            break;
        gboolean indented = l[0] == ' ' || l[0] == '\t';
        if (!indented && !whole)
            break;
        gboolean other = FALSE, other_first = FALSE;
        for (guint r = 0; r < recipients->len && !other; r++) {
            const char *a = ((Candidate *) recipients->pdata[r])->address;
            const char *hit = g_ascii_strcasecmp(a, self) != 0 ? strstr(l, a) : NULL;
            other = hit != NULL;
            /* an aligned table: every recipient's entry starts indented */
            other_first = other && hit == l + strspn(l, " \t<\"");
        }
        if (other && (!indented || other_first))
            break;
        /* the recipient's own address inside the notice's sentence splits
         * its phrase ("The destination mailbox ADDR is unavailable"): it
         * goes, as it goes from the recipient's own line; a server's reply
         * stays as it was sent */
        g_autofree char *own = gen_contains_lower(l, self_lower) && !names_command_address(l, self_lower)
            && !gen_has_code(l) ? line_without(l, self) : NULL;
        g_string_append_c(out, ' ');
        g_string_append(out, own ? own : l);
    }
    return k;
}

/* Does the line name a recipient other than `self`? */
static gboolean
names_other_recipient(const char *line, GPtrArray *recipients, const char *self)
{
    g_autofree char *f = bt_ascii_strdown(line, -1);
    for (guint r = 0; r < recipients->len; r++) {
        const char *address = ((Candidate *) recipients->pdata[r])->address;
        g_autofree char *a = bt_ascii_strdown(address, -1);
        if (g_ascii_strcasecmp(address, self) != 0 && strstr(f, a))
            return TRUE;
    }
    return FALSE;
}

/* Does the paragraph that line i opens go on to a server's reply?  Exim
 * and Postfix put the host ("host mx.example.org [192.0.2.1]") above the
 * "SMTP error from remote mail server" line and its code. */
static gboolean
reply_continues(char **lines, int i, int n)
{
    for (int k = i + 1; k < n && k <= i + 3; k++) {
        if (gen_is_blank(lines[k]) || gen_is_separator(lines[k]))
            return FALSE;
        if (gen_has_code(lines[k]))
            return TRUE;
    }
    return FALSE;
}

/* Is line k, right below an address alone on its line, that item's reply
 * set without indentation (a table cell's text starts the cell): it and
 * at most FLUSH_REPLY_LINES - 1 more lines, none naming an address, end
 * at a blank line? */
static gboolean
is_flush_reply(char **lines, int k, int n)
{
    for (int j = k; j < n && j < k + FLUSH_REPLY_LINES; j++) {
        if (gen_is_blank(lines[j]))
            return j > k;
        if (strchr(lines[j], '@') || gen_is_colon_lead_in(lines[j]))
            return FALSE;
    }
    return k + FLUSH_REPLY_LINES >= n || gen_is_blank(lines[k + FLUSH_REPLY_LINES]);
}

/* A reason label alone on its line, its value on the lines below
 * ("Reason:", QQ Mail's "退信原因：" heading the reason as
 * qqmailbox.com/transceivers/169.html lists them): what follows is the
 * reason, however short or unspaced its wording. */
static gboolean
is_reason_heading(const char *line)
{
    g_autofree char *label = gen_line_label(line);
    return label && gen_label_in(label, gen_reason_labels) && gen_is_blank(gen_label_value(line));
}

/* The first line after `from` that explains, skipping lead-ins, header
 * lines, separators, blank lines and the rest of a list of bare addresses
 * (what follows a list explains all of it); -1 when another recipient's
 * line with words of its own, or an end, comes first. */
static int
explaining_line_after(char **lines, int from, int n, GPtrArray *recipients, const char *self)
{
    gboolean in_list = is_bare_address(lines[from]);
    /* the line indented below an address alone on its line is its item's
     * text ("<addr>" and below it "    Unknown recipient(s)"), also when
     * the item sets it under a heading ("Reason:", a blank line) */
    int below = from + 1, under = from;
    if (in_list && from + 3 < n && gen_is_colon_lead_in(lines[from + 1]) && gen_is_blank(lines[from + 2]))
        below = from + 3, under = from + 1;
    if (in_list && below < n && !gen_is_blank(lines[below]) && !strchr(lines[below], '@')
        && (gen_indent_of(lines[below]) > gen_indent_of(lines[under]) || is_flush_reply(lines, below, n))
        && !gen_is_separator(lines[below]) && !gen_is_header_like(lines[below]) && !gen_is_lead_in(lines[below]))
        return below;
    /* Exim's entry for a pipe or file: its error at the indentation of
     * "generated by ADDR", whatever it ends in ("Child process of
     * address_pipe transport returned 69 … from command:") */
    if (names_delivery_owner(lines, from)) {
        int k = from + 1;
        /* past a copy of the original's header line and a heading of
         * the error's own ("Reason:", a blank line, the error) */
        while (k < n && k <= from + NEAR_LINES && gen_is_header_like(lines[k]))
            k++;
        gboolean headed = k + 2 < n && gen_is_colon_lead_in(lines[k]) && gen_is_blank(lines[k + 1]);
        if (headed)
            k += 2;
        if (k < n && !gen_is_blank(lines[k]) && !strchr(lines[k], '@')
            && (headed || gen_indent_of(lines[k]) >= gen_indent_of(lines[from])))
            return k;
    }
    gboolean headed = FALSE;
    for (int k = from + 1; k < n && k <= from + DIAG_LOOKAHEAD; k++) {
        const char *l = lines[k];
        if (gen_is_blank(l) || gen_is_separator(l) || gen_is_header_like(l) || gen_is_lead_in(l)) {
            if (!gen_is_blank(l))
                headed = is_reason_heading(l);
            continue;
        }
        if (in_list && is_bare_address(l))
            continue;
        in_list = FALSE;
        if (names_other_recipient(l, recipients, self))
            return -1;
        return says_something(l) || headed || reply_continues(lines, k, n) ? k : -1;
    }
    return -1;
}

/* The failure sentence before line i (a lead-in that names the failure:
 * "could not be delivered because the mailbox is full:"). */
static int
explaining_line_before(char **lines, int i)
{
    for (int k = i - 1; k >= 0 && k >= i - DIAG_LOOKAHEAD; k--) {
        if (gen_is_blank(lines[k]) || gen_is_separator(lines[k]))
            continue;
        if (gen_is_failure_line(lines[k]) && !gen_is_header_line(lines[k]))
            return k;
    }
    return -1;
}

/* The first line of the notice carrying a reply code, else the first
 * with failure wording, preferring one that names no address (a line
 * about the sender's message or the postmaster explains nothing about
 * the recipient). */
static int
first_failure_line(char **lines, int n)
{
    int worded = -1, addressed = -1;
    for (int k = 0; k < n; k++) {
        if (gen_is_header_line(lines[k]) || gen_is_blank(lines[k]))
            continue;
        gboolean address = strchr(lines[k], '@') != NULL;
        if (gen_has_code(lines[k]) && !address)
            return k;
        if (gen_is_failure_line(lines[k])) {
            if (!address && worded < 0)
                worded = k;
            else if (address && addressed < 0)
                addressed = k;
        }
    }
    return worded >= 0 ? worded : addressed;
}

/* Does failure wording start on line k and go on to the next line (an
 * MTA folded "could not / be delivered")? */
static gboolean
is_folded_failure(char **lines, int k, int n)
{
    if (k + 1 >= n || gen_is_blank(lines[k]) || gen_is_blank(lines[k + 1]) || gen_is_failure_line(lines[k]))
        return FALSE;
    g_autofree char *joined = g_strconcat(lines[k], " ", lines[k + 1] + strspn(lines[k + 1], " \t"), NULL);
    return gen_is_failure_line(joined);
}

/* The first line that starts folded failure wording, or -1. */
static int
first_folded_failure_line(char **lines, int n)
{
    for (int k = 0; k + 1 < n; k++)
        if (!gen_is_header_line(lines[k]) && is_folded_failure(lines, k, n))
            return k;
    return -1;
}

/* The first folded failure wording whose two lines name no address, or -1. */
static int
first_unaddressed_folded_failure(char **lines, int n)
{
    for (int k = 0; k + 1 < n; k++)
        if (!strchr(lines[k], '@') && !strchr(lines[k + 1], '@') && !gen_is_header_line(lines[k])
            && is_folded_failure(lines, k, n))
            return k;
    return -1;
}

static gboolean
ends_with_colon(const GString *s)
{
    gsize n = s->len;
    while (n > 0 && g_ascii_isspace(s->str[n - 1]))
        n--;
    return n > 0 && (s->str[n - 1] == ':' || (n >= 3 && memcmp(s->str + n - 3, "：", 3) == 0));
}

/* The explaining line after `from` and its paragraph into `out`; the
 * line after the paragraph, or 0 when nothing explains. */
static int
take_explanation_after(char **lines, int from, int n, const char *address, GPtrArray *recipients,
                       GString *out)
{
    int k = explaining_line_after(lines, from, n, recipients, address);
    if (k < 0)
        return 0;
    g_autofree char *text = line_without(lines[k], address);
    if (!text)
        return 0;
    g_string_assign(out, text);
    return take_paragraph(lines, k, n, out, recipients, address, TRUE);
}

/* The explaining paragraph after `from` when it is a server's reply (it
 * carries a code) or a labelled reason; NULL otherwise. */
static char *
reply_after(char **lines, int from, int n, const char *address, GPtrArray *recipients)
{
    int k = explaining_line_after(lines, from, n, recipients, address);
    if (k < 0)
        return NULL;
    g_autofree char *label = gen_line_label(lines[k]);
    /* a labelled failure ("DNS lookup failure: host … not found") is one too */
    if (!gen_has_code(lines[k]) && !gen_label_in(label, gen_reason_labels)
        && !(label && gen_is_failure_line(lines[k])))
        return NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    if (!take_explanation_after(lines, from, n, address, recipients, out))
        return NULL;
    return g_strdup(out->str);
}

/* A sentence without codes, then the server's reply or a "Reason:" line
 * after its paragraph (which ends before line `end`): both say something. */
static void
append_reply_after(char **lines, int end, int n, const char *address, GPtrArray *recipients, GString *out)
{
    if (gen_has_code(out->str))
        return;
    g_autofree char *reply = reply_after(lines, end - 1, n, address, recipients);
    if (reply)
        g_string_append_printf(out, " %s", reply);
}

/* The failure the recipient's own line words besides the address: its
 * text (`own`), or a recipient label that is itself the reason ("Invalid
 * receiver address: ADDR"); NULL when the line says none. */
static char *
failure_on_own_line(const char *line, const char *own)
{
    if (own && gen_is_failure_line(own))
        return g_strdup(own);
    g_autofree char *label = line ? gen_line_label(line) : NULL;
    if (!label || !gen_label_in(label, gen_recipient_labels) || !gen_is_failure_line(label))
        return NULL;
    const char *s = line + strspn(line, " \t-*");
    return g_strstrip(g_strndup(s, strcspn(s, ":")));
}

static char *
diagnostic_for(char **lines, int n, int at, const char *address, GPtrArray *recipients)
{
    GString *out = g_string_new(NULL);
    g_autofree char *said = NULL;
    int end;
    g_autofree char *own = at >= 0 ? line_without(lines[at], address) : NULL;
    if (own && says_something(own) && !gen_is_lead_in(own)) {
        g_string_append(out, own);
        end = take_paragraph(lines, at, n, out, recipients, address, TRUE);
        g_autofree char *keep = g_strdup(out->str);
        if (ends_with_colon(out)) {
            /* "… was rejected / for the following reason:": the reason follows */
            if (!take_explanation_after(lines, end - 1, n, address, recipients, out))
                g_string_assign(out, keep);
        } else {
            append_reply_after(lines, end, n, address, recipients, out);
        }
    } else if (at >= 0 && (end = take_explanation_after(lines, at, n, address, recipients, out)) > 0) {
        /* the notice's own sentence ("Google tried to deliver your
         * message, but …") below the address */
        append_reply_after(lines, end, n, address, recipients, out);
    } else if ((said = failure_on_own_line(at >= 0 ? lines[at] : NULL, own))) {
        /* "Unknown user: ADDR", "Invalid receiver address: ADDR" and
         * nothing below explains more */
        g_string_append(out, said);
    } else {
        int k = at >= 0 ? explaining_line_before(lines, at) : -1;
        if (k < 0)
            k = first_failure_line(lines, n);
        /* a sentence about another address (the sender's message) yields
         * to failure wording an MTA folded over two lines that names none */
        if (k >= 0 && strchr(lines[k], '@')) {
            int f = first_unaddressed_folded_failure(lines, n);
            if (f >= 0)
                k = f;
        }
        if (k < 0)
            k = first_folded_failure_line(lines, n);
        /* the whole paragraph: the notice's sentence is often followed by
         * the reason on a line of its own ("Delivery has failed to the
         * recipient of the attached message." / "The mailbox is full.") */
        g_autofree char *text = k >= 0 ? line_without(lines[k], address) : NULL;
        if (text) {
            g_string_append(out, text);
            take_paragraph(lines, k, n, out, recipients, address, TRUE);
        }
    }
    while (ends_with_colon(out))
        g_string_truncate(out, out->str[out->len - 1] == ':' ? out->len - 1 : out->len - 3);
    g_autofree char *raw = g_string_free(out, FALSE);
    return gen_squeezed(raw);
}

/* A list of the one recipient, for a reader of one record's text. */
static GPtrArray *
only_recipient(const char *address)
{
    GPtrArray *one = g_ptr_array_new_with_free_func((GDestroyNotify) candidate_free);
    Candidate *c = g_new0(Candidate, 1);
    c->address = g_strdup(address);
    c->line = -1;
    g_ptr_array_add(one, c);
    return one;
}

char *
gen_diagnostic_for(char **lines, int n, int at, const char *recipient)
{
    g_autoptr(GPtrArray) one = only_recipient(recipient);
    return diagnostic_for(lines, n, at, recipient, one);
}

int
gen_explanation_after(char **lines, int from, int n, const char *recipient, GString *out)
{
    g_autoptr(GPtrArray) one = only_recipient(recipient);
    return take_explanation_after(lines, from, n, recipient, one, out);
}

/* ---- delivery-status fields without recipients ------------------------------ */

/* A delivery-status part that names no recipient still states the
 * outcome: its Status, Action, Diagnostic-Code and MTAs apply to every
 * recipient the text names. */
static void
apply_status_part(const BtMsgView *view, BtRecord *rec)
{
    if (!view->dsn)
        return;
    g_autoptr(GPtrArray) groups = bt_field_groups_parse(view->dsn);
    for (guint i = 0; i < groups->len; i++) {
        const BtFieldGroup *g = groups->pdata[i];
        const char *status = bt_field_group_get(g, "Status");
        const char *action = bt_field_group_get(g, "Action");
        const char *diag = bt_field_group_get(g, "Diagnostic-Code");
        const char *remote = bt_field_group_get(g, "Remote-MTA");
        const char *reporting = bt_field_group_get(g, "Reporting-MTA");
        if (status && !rec->deliverystatus)
            rec->deliverystatus = bt_status_first(status);
        if (action && !rec->action) {
            g_autofree char *a = bt_ascii_strdown(action, -1);
            rec->action = g_strdup(g_str_has_prefix(a, "delay") ? "delayed"
                                   : g_str_has_prefix(a, "fail") ? "failed" : NULL);
        }
        if (diag) {
            const char *semi = strchr(diag, ';');
            g_autofree char *text = bt_strdup_trimmed(semi && semi - diag < 16 ? semi + 1 : diag);
            if (text && (!rec->diagnosticcode || !gen_has_code(rec->diagnosticcode)))
                bt_set_str(&rec->diagnosticcode, text);
        }
        if (remote && !rec->rhost)
            rec->rhost = bt_host_value(remote);
        if (reporting && !rec->lhost)
            rec->lhost = bt_host_value(reporting);
    }
}

/* ---- the decoder ------------------------------------------------------------ */

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

/* Is the returned message itself a delivery report (a bounce the MTA
 * could not deliver, returned whole)?  Its To: is then whoever the inner
 * bounce was for, the original sender, and the inner report names the
 * recipient that failed (extract.c reads it). */
static gboolean
returned_is_report(const BtMsgView *view)
{
    g_autofree char *type = bt_header_block_get(view->returned_headers, "Content-Type");
    if (type && g_ascii_strncasecmp(type, "multipart/report", 16) == 0)
        return TRUE;   /* also when only its header block came back */
    GMimeMessage *inner = bt_returned_report(view);
    if (!inner)
        return FALSE;
    g_object_unref(inner);
    return TRUE;
}

/* What follows a bounce subject's first colon when it words a failure and
 * names an address: Sendmail's subject is "Returned mail: %s" with the
 * error, and older versions put the recipient in it ("Returned mail: Quota
 * exceeded for user ADDR", read so by Sympa's anabounce).  Not when it is
 * the original's own subject ("Undeliverable: Invoice for a@b"). */
static char *
subject_failure(const BtMsgView *view)
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

/* Does the subject say a delivery failed ("Mail delivery failure",
 * "Unzustellbar: …"), not only that a report follows ("Delivery Status
 * Notification", which success and delay notices share)? */
static gboolean
subject_states_failure(const char *subject)
{
    if (!subject)
        return FALSE;
    g_autofree char *f = gen_fold(subject);
    return gen_is_failure_line(subject) || (gen_is_bounce_subject(subject) && !gen_has_word(f, gen_report_subjects));
}

/* The addresses the subject's failure wording names, with that wording. */
static void
add_subject_candidates(const BtMsgView *view, GPtrArray *found, GHashTable *excluded)
{
    g_autofree char *said = subject_failure(view);
    if (!said)
        return;
    Scan s = { found, excluded, -1, MIN_SCORE, FALSE };
    gen_each_address(said, note_address, &s);
    for (guint i = 0; i < found->len; i++) {
        Candidate *c = found->pdata[i];
        c->said = line_without(said, c->address);
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
static GPtrArray *
pick_recipients(const BtMsgView *view, char **lines, int n, gboolean lists_failed, gboolean copied,
                gboolean *from_header)
{
    *from_header = FALSE;
    g_autoptr(GHashTable) excluded = excluded_addresses(view);
    GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify) candidate_free);
    scan_candidates(lines, n, excluded, found);
    g_autofree char *failed = bt_view_header(view, "X-Failed-Recipients");
    /* the To: of a message returned as a MIME part only: where an inline
     * copy starts is a guess, and a guessed "To:" line may be anyone's */
    g_autofree char *to = bt_header_block_get(view->returned_headers, "To");
    if (failed) {
        g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func((GDestroyNotify) candidate_free);
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

/* Lines of the inline copy's header block give the returned To: when no
 * part carried the original. */
static char *
inline_copy_headers(char **lines, int copy_at, gboolean *is_message)
{
    *is_message = FALSE;
    if (copy_at < 0)
        return NULL;
    int i = copy_at;
    gboolean marked = !gen_starts_header_block(lines, i);
    if (marked) {
        /* the header block a few lines below the marker (past its folded
         * line, "       was detected.", and a field that lost its fold) */
        int k = i + 1;
        while (lines[k] && k <= i + MARKER_REACH && !gen_starts_header_block(lines, k))
            k++;
        /* the notice's own marker ("------ This is a copy of the message
         * …") announces a message; a header block the finder came upon
         * may be anything quoted */
        *is_message = lines[k] && k <= i + MARKER_REACH;
        i = *is_message ? k : i + 1;
    }
    while (lines[i] && gen_is_blank(lines[i]))
        i++;
    GString *block = g_string_new(NULL);
    for (int limit = i + MAX_HEADER_LINES; lines[i] && i < limit && !gen_is_blank(lines[i]); i++) {
        g_string_append(block, lines[i]);
        g_string_append_c(block, '\n');
    }
    g_autofree char *raw = g_string_free(block, FALSE);
    return *raw ? bt_header_block_unfold(raw) : NULL;
}

gboolean
bt_decode_generic(BtMsgView *view, GPtrArray *records)
{
    g_autofree char *from = bt_view_header(view, "From");
    g_autofree char *subject = bt_view_header(view, "Subject");
    /* a bounce returned inside another: the inner report is read instead
     * (extract.c), the outer text is about returning it */
    if (!gen_announces_bounce(view, from, subject) || returned_is_report(view))
        return FALSE;
    int copy_at;
    g_auto(GStrv) lines = gen_notice_lines(view->body, &copy_at);
    int n = gen_notice_length(lines, copy_at);
    /* the copy is a message (its header block follows the marker) */
    gboolean copied;
    g_autofree char *copy = inline_copy_headers(lines, copy_at, &copied);
    if (!view->returned_headers)
        view->returned_headers = g_steal_pointer(&copy);
    copied = copied || view->returned != NULL;
    g_autofree char *failed = bt_view_header(view, "X-Failed-Recipients");
    /* nothing returned, from an ordinary envelope and address: a notice
     * in words only (gen_poses_as_mail_system) */
    if (!copied && !failed && gen_poses_as_mail_system(view, from))
        return FALSE;

    /* a report part or the MTA's own list of failed recipients (Exim's
     * X-Failed-Recipients) states the failure whatever the text words */
    gboolean has_failure = view->dsn != NULL || failed != NULL;
    for (int i = 0; i < n && !has_failure; i++)
        has_failure = gen_is_failure_line(lines[i]);
    /* wording an MTA folded over two lines ("could not / be delivered") */
    if (!has_failure)
        has_failure = first_folded_failure_line(lines, n) >= 0;
    if (!has_failure) {
        g_autofree char *said = subject_failure(view);
        has_failure = said != NULL;
    }
    gboolean lists_failed = has_failure || subject_states_failure(subject);
    if (!lists_failed)
        return FALSE;

    gboolean listed_failed;
    g_autoptr(GPtrArray) recipients = pick_recipients(view, lines, n, lists_failed, copied, &listed_failed);
    if (!recipients->len)
        return FALSE;
    gboolean delayed = gen_is_delay_warning(subject, lines, n);
    for (guint i = 0; i < recipients->len && i <= BT_MAX_RECIPIENTS; i++) {
        const Candidate *c = recipients->pdata[i];
        BtRecord *rec = bt_record_new();
        rec->recipient = g_strdup(c->address);
        rec->diagnosticcode = c->said ? g_strdup(c->said) : diagnostic_for(lines, n, c->line, c->address, recipients);
        apply_status_part(view, rec);
        if (delayed && !rec->action)
            rec->action = g_strdup("delayed");
        /* Exim writes X-Failed-Recipients only into its failure notice
         * (deliver.c; the delay warning has none): an address it lists
         * has failed, even where a translated bounce_message_file text
         * leaves out "This is a permanent error" and the reason is an
         * expiry ("retry timeout exceeded") */
        else if (listed_failed && !rec->action)
            rec->action = g_strdup("failed");
        rec->decodedby = g_strdup("generic-text");
        g_ptr_array_add(records, rec);
    }
    return TRUE;
}
