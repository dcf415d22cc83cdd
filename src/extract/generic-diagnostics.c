/* generic-diagnostics — step 3 of the generic decoder (generic.c): the
 * sentence that explains each recipient: its own line when that says
 * something, else the next line that is not a lead-in, a header line or
 * boilerplate, else the failure sentence before it.  notice-text.c reads
 * one record's text through the same functions (generic.h). */
#include "extract/decode.h"
#include "extract/text.h"
#include "extract/generic-words.h"
#include "extract/generic-lines.h"
#include "extract/generic.h"
#include "extract/generic-private.h"

#include "core/literals.h"

#include <string.h>

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
 * the punctuation around it, and the date Exchange sets after it). */
char *
gen_line_without(const char *line, const char *address)
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
    while (g_ascii_isspace(*body))
        body++;
    char *trimmed = g_strstrip(g_strdup(hit ? bt_skip_on_date(body) : body));
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
            && !gen_has_code(l) ? gen_line_without(l, self) : NULL;
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
    gboolean in_list = gen_is_bare_address(lines[from]);
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
    if (gen_names_delivery_owner(lines, from)) {
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
        if (in_list && gen_is_bare_address(l))
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
gboolean
gen_is_folded_failure(char **lines, int k, int n)
{
    if (k + 1 >= n || gen_is_blank(lines[k]) || gen_is_blank(lines[k + 1]) || gen_is_failure_line(lines[k]))
        return FALSE;
    g_autofree char *joined = g_strconcat(lines[k], " ", lines[k + 1] + strspn(lines[k + 1], " \t"), NULL);
    return gen_is_failure_line(joined);
}

/* The first line that starts folded failure wording, or -1. */
int
gen_first_folded_failure_line(char **lines, int n)
{
    for (int k = 0; k + 1 < n; k++)
        if (!gen_is_header_line(lines[k]) && gen_is_folded_failure(lines, k, n))
            return k;
    return -1;
}

/* The first folded failure wording whose two lines name no address, or -1. */
static int
first_unaddressed_folded_failure(char **lines, int n)
{
    for (int k = 0; k + 1 < n; k++)
        if (!strchr(lines[k], '@') && !strchr(lines[k + 1], '@') && !gen_is_header_line(lines[k])
            && gen_is_folded_failure(lines, k, n))
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
    g_autofree char *text = gen_line_without(lines[k], address);
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

char *
gen_diagnostic_among(char **lines, int n, int at, const char *address, GPtrArray *recipients)
{
    GString *out = g_string_new(NULL);
    g_autofree char *said = NULL;
    int end;
    g_autofree char *own = at >= 0 ? gen_line_without(lines[at], address) : NULL;
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
            k = gen_first_folded_failure_line(lines, n);
        /* the whole paragraph: the notice's sentence is often followed by
         * the reason on a line of its own ("Delivery has failed to the
         * recipient of the attached message." / "The mailbox is full.") */
        g_autofree char *text = k >= 0 ? gen_line_without(lines[k], address) : NULL;
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
    GPtrArray *one = g_ptr_array_new_with_free_func((GDestroyNotify) gen_candidate_free);
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
    return gen_diagnostic_among(lines, n, at, recipient, one);
}

int
gen_explanation_after(char **lines, int from, int n, const char *recipient, GString *out)
{
    g_autoptr(GPtrArray) one = only_recipient(recipient);
    return take_explanation_after(lines, from, n, recipient, one, out);
}
