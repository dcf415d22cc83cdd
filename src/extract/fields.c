/* fields — what the decoders share: "Name: value" field groups as RFC 3464
 * and RFC 5965 write them, email addresses in their DSN and header forms,
 * and finding what the bounce text says about one recipient. */
#include "extract/decode.h"
#include "core/literals.h"

#include <string.h>

BtFieldGroup *
bt_field_group_new(void)
{
    BtFieldGroup *g = g_new0(BtFieldGroup, 1);
    g->names = g_ptr_array_new_with_free_func(g_free);
    g->values = g_ptr_array_new_with_free_func(g_free);
    return g;
}

void
bt_field_group_free(BtFieldGroup *g)
{
    if (!g)
        return;
    g_ptr_array_unref(g->names);
    g_ptr_array_unref(g->values);
    g_free(g);
}

const char *
bt_field_group_get(const BtFieldGroup *g, const char *name)
{
    for (guint i = 0; i < g->names->len; i++)
        if (g_ascii_strcasecmp(g->names->pdata[i], name) == 0)
            return g->values->pdata[i];
    return NULL;
}

void
bt_field_group_add(BtFieldGroup *g, const char *name, const char *value)
{
    g_ptr_array_add(g->names, g_strdup(name));
    g_ptr_array_add(g->values, g_strdup(value));
}

/* "Name: value" → the name's length, or 0 when the line is no field. */
static gsize
field_name_length(const char *line)
{
    gsize n = 0;
    if (!g_ascii_isalpha(line[0]))
        return 0;
    while (g_ascii_isalnum(line[n]) || line[n] == '-' || line[n] == '_')
        n++;
    gsize colon = n;
    while (line[colon] == ' ' || line[colon] == '\t')
        colon++;
    return line[colon] == ':' ? n : 0;
}

/* The RFC 3464 fields a notice may paste into its text indented, under a
 * heading of its own; an indented line with any other name stays prose. */
static gboolean
is_status_field(const char *line, gsize n)
{
    static const char *const names[] = { "Final-Recipient", "Original-Recipient", "Action",
                                         "Status", "Diagnostic-Code", "Remote-MTA",
                                         "Last-Attempt-Date", "Will-Retry-Until" };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        if (strlen(names[i]) == n && g_ascii_strncasecmp(line, names[i], n) == 0)
            return TRUE;
    return FALSE;
}

/* An indented line that is a delivery-status field: its text from the
 * name on, else NULL. */
static char *
indented_status_field(char *line)
{
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (p == line)
        return NULL;
    gsize n = field_name_length(p);
    return n && is_status_field(p, n) ? p : NULL;
}

static void
append_continuation(BtFieldGroup *g, const char *line)
{
    char **last = (char **) &g->values->pdata[g->values->len - 1];
    g_autofree char *more = bt_strdup_trimmed(line);
    if (!more)
        return;
    char *joined = **last ? g_strconcat(*last, " ", more, NULL) : g_strdup(more);
    g_free(*last);
    *last = joined;
}

/* nullmailer-dsn pastes a multi-line SMTP reply into Diagnostic-Code with
 * its continuation lines flush left ("550-5.1.1 …", "550 5.1.1 …"): right
 * after that field, a line that starts with a reply code goes on with it. */
static gboolean
continues_reply(const BtFieldGroup *g, const char *line)
{
    if (!g || !g->names->len
        || g_ascii_strcasecmp(g->names->pdata[g->names->len - 1], "Diagnostic-Code") != 0)
        return FALSE;
    return line[0] >= '2' && line[0] <= '5' && g_ascii_isdigit(line[1])
           && g_ascii_isdigit(line[2]) && (line[3] == '-' || line[3] == ' ');
}

GPtrArray *
bt_field_groups_parse(const char *text)
{
    GPtrArray *groups = g_ptr_array_new_with_free_func((GDestroyNotify) bt_field_group_free);
    if (!text)
        return groups;
    g_auto(GStrv) lines = bt_strsplit_lines(text);
    BtFieldGroup *cur = NULL;
    gboolean continues = FALSE;   /* may the next indented line continue a field? */
    for (int i = 0; lines[i]; i++) {
        char *line = lines[i];
        g_strchomp(line);
        if (!*line) {
            cur = NULL;
            continues = FALSE;
            continue;
        }
        char *indented = indented_status_field(line);
        if (indented)
            line = indented;
        else if (continues && ((*line == ' ' || *line == '\t') || continues_reply(cur, line))) {
            append_continuation(cur, line);
            continue;
        }
        gsize n = field_name_length(line);
        if (n == 0) {
            continues = FALSE;
            continue;
        }
        if (!cur) {
            cur = bt_field_group_new();
            g_ptr_array_add(groups, cur);
        }
        /* the group takes both strings */
        char *value = bt_strdup_trimmed(strchr(line + n, ':') + 1);
        g_ptr_array_add(cur->names, g_strndup(line, n));
        g_ptr_array_add(cur->values, value ? value : g_strdup(""));
        continues = TRUE;
    }
    return groups;
}

/* A code point an \x{HHHH} escape may stand for: a control character is
 * never part of an address (RFC 6533's utf-8-addr-xtext escapes only
 * printable characters), and decoding ESC or BEL would hand terminal
 * sequences to every output; such an escape stays as written. */
static gboolean
escapable(guint64 cp)
{
    return cp >= 0x20 && cp <= 0x10FFFF && !(cp >= 0x7f && cp < 0xa0)
        && g_unichar_validate((gunichar) cp);
}

/* RFC 6533 writes non-ASCII characters of utf-8 addresses as \x{HHHH}. */
static char *
unescape_unicode(const char *s)
{
    /* nearly every address has no escape: copied whole */
    if (!strstr(s, "\\x{"))
        return g_strdup(s);
    GString *out = g_string_new(NULL);
    while (*s) {
        if (s[0] == '\\' && s[1] == 'x' && s[2] == '{') {
            char *end = NULL;
            guint64 cp = g_ascii_strtoull(s + 3, &end, 16);
            if (end && end > s + 3 && *end == '}' && escapable(cp)) {
                g_string_append_unichar(out, (gunichar) cp);
                s = end + 1;
                continue;
            }
        }
        g_string_append_c(out, *s++);
    }
    return g_string_free(out, FALSE);
}

/* Removes "(comments)" from an address. */
static void
strip_comments(char *s)
{
    char *w = s;
    int depth = 0;
    for (char *r = s; *r; r++) {
        if (*r == '(')
            depth++;
        else if (*r == ')' && depth > 0)
            depth--;
        else if (depth == 0)
            *w++ = *r;
    }
    *w = '\0';
}

/* The address inside the last <…>, else the first word with an '@'. */
static char *
address_token(const char *s)
{
    const char *open = strrchr(s, '<');
    if (open) {
        const char *close = strchr(open, '>');
        if (close && close > open + 1)
            return g_strndup(open + 1, close - open - 1);
    }
    /* the words between the separators, as g_strsplit_set() cuts them,
     * read in place */
    for (const char *word = s;; ) {
        gsize len = strcspn(word, " \t<>,;\"'");
        if (memchr(word, '@', len))
            return g_strndup(word, len);
        if (!word[len])
            return NULL;
        word += len + 1;
    }
}

/* Address types and transports that gateways glue before an address
 * ("SMTP:a@b" from Exchange, "RFC822;a@b" without a space, "X400:",
 * "mailto:"): RFC 3464 §2.1.2 address types, Exchange proxy address
 * prefixes. */
/* Every prefix below ends in ':' or ';' within its first 8 bytes: an
 * address without either there has none of them (nearly all). */
static gboolean
has_prefix_end(const char *a)
{
    for (int i = 0; i < 8 && a[i]; i++)
        if (a[i] == ':' || a[i] == ';')
            return TRUE;
    return FALSE;
}

static char *
strip_transport_prefix(char *a)
{
    static const char *const prefixes[] = { "mailto:", "smtp:", "esmtp:", "x400:", "rfc822:", "rfc822;",
                                            "smtp;", "utf-8;", "x-local:", "ex:", "sip:", NULL };
    gboolean again = TRUE;
    while (again) {
        again = FALSE;
        while (*a == ' ' || *a == '<' || *a == '"')
            a++;
        if (!has_prefix_end(a))
            break;
        for (int i = 0; prefixes[i]; i++) {
            gsize n = strlen(prefixes[i]);
            if (g_ascii_strncasecmp(a, prefixes[i], n) == 0 && strchr(a + n, '@')) {
                a += n;
                again = TRUE;
            }
        }
    }
    return a;
}

static gboolean
valid_domain(const char *d)
{
    if (!*d || *d == '.' || *d == '-')
        return FALSE;
    if (*d == '[')   /* an address literal */
        return d[strlen(d) - 1] == ']';
    gboolean dot = FALSE;
    for (const char *p = d; *p; p++) {
        if (*p == '.')
            dot = TRUE;
        else if (!(g_ascii_isalnum(*p) || *p == '-' || *p == '_' || (guchar) *p >= 0x80))
            return FALSE;
    }
    return dot || g_ascii_strcasecmp(d, "localhost") == 0 || strchr(d, '.') == NULL;
}

/* Is `c` white space or an invisible format character: the no-break
 * space (U+00A0) a DSN copied through HTML keeps beside an address, a
 * zero-width space (U+200B) or byte order mark (U+FEFF)?  None can be
 * part of an address (RFC 5321 §4.1.2; IDNA2008, RFC 5892, disallows
 * them in labels). */
static gboolean
is_invisible(gunichar c)
{
    return g_unichar_isspace(c) || g_unichar_type(c) == G_UNICODE_FORMAT;
}

/* Cuts invisible characters (is_invisible) off both ends of `a` in
 * place and returns its new start; only non-ASCII ends are looked at. */
static char *
trim_invisible(char *a)
{
    gsize n = strlen(a);
    while (n > 0 && (guchar) a[n - 1] >= 0x80) {
        const char *prev = g_utf8_find_prev_char(a, a + n);
        gunichar c = prev ? g_utf8_get_char_validated(prev, a + n - prev) : (gunichar) -1;
        if (c == (gunichar) -1 || c == (gunichar) -2 || !is_invisible(c))
            break;
        n = prev - a;
        a[n] = '\0';
    }
    while ((guchar) *a >= 0x80) {
        gunichar c = g_utf8_get_char_validated(a, -1);
        if (c == (gunichar) -1 || c == (gunichar) -2 || !is_invisible(c))
            break;
        a = g_utf8_next_char(a);
    }
    return a;
}

/* An address whose local part is an RFC 5321 §4.1.2 Quoted-string
 * ('"john smith"@example.org', '"ana..lima"@example.com'): Postfix and
 * Sendmail print such a recipient quoted in Final-Recipient and in their
 * text, and the quotes are part of the address.  Only a value that is
 * that address alone (after the type, within optional <>) is read: a
 * display name in quotes ('"Ann" <ann@…>') is none, nor a quoted whole
 * address.  The form with the least quoting is kept (§4.1.2: a sender
 * "SHOULD transmit the form that uses the minimum quoting possible"), so
 * '"pat"@example.org' is pat@example.org.  NULL when the value is not
 * such an address. */
static char *
quoted_local_address(const char *s)
{
    while (g_ascii_isspace(*s) || *s == '<')
        s++;
    if (*s != '"')
        return NULL;
    const char *q = s + 1;
    while (*q && *q != '"' && *q != '\n' && *q != '@' && *q != '<' && *q != '>')
        q += (*q == '\\' && q[1]) ? 2 : 1;
    if (*q != '"' || q == s + 1 || q[1] != '@')
        return NULL;
    const char *d = q + 2, *e = d;
    while (*e && (g_ascii_isalnum(*e) || *e == '.' || *e == '-' || *e == '_'))
        e++;
    const char *end = e;
    while (end > d && end[-1] == '.')
        end--;
    while (*e == '>' || *e == '.' || *e == ',' || *e == ';')
        e++;
    while (g_ascii_isspace(*e))
        e++;
    if (*e || end == d)
        return NULL;
    g_autofree char *domain = g_ascii_strdown(d, end - d);
    if (!valid_domain(domain) || !strchr(domain, '.'))
        return NULL;
    /* a dot-atom needs no quotes: atext and single inner dots */
    gboolean atom = s[1] != '.' && q[-1] != '.';
    for (const char *c = s + 1; atom && c < q; c++)
        if (!(g_ascii_isalnum(*c) || strchr("!#$%&'*+-/=?^_`{|}~", *c) || (*c == '.' && c[1] != '.')))
            atom = FALSE;
    if (atom)
        return g_strdup_printf("%.*s@%s", (int) (q - s - 1), s + 1, domain);
    return g_strdup_printf("%.*s@%s", (int) (q - s + 1), s, domain);
}

char *
bt_address_clean(const char *value)
{
    if (!value)
        return NULL;
    const char *s = value;
    while (g_ascii_isspace(*s))
        s++;
    /* the address type of RFC 3464: "rfc822;", "utf-8;", "x400;" */
    const char *semi = strchr(s, ';');
    if (semi && semi - s < 16 && !memchr(s, '@', semi - s))
        s = semi + 1;
    char *quoted = quoted_local_address(s);
    if (quoted)
        return quoted;
    g_autofree char *text = unescape_unicode(s);
    strip_comments(text);
    g_autofree char *token = address_token(text);
    if (!token)
        return NULL;
    /* ASCII white space may stand on either side of an invisible one */
    char *a = g_strstrip(trim_invisible(g_strstrip(strip_transport_prefix(token))));
    gsize n = strlen(a);
    while (n > 0 && strchr(".,;:>]\"'", a[n - 1]) && !(a[n - 1] == ']' && strchr(a, '[')))
        a[--n] = '\0';
    while (*a == '<' || *a == '"' || *a == '\'' || *a == '[')
        a++;
    char *at = strrchr(a, '@');
    if (!at || at == a || strchr(a, ' '))
        return NULL;
    if (!valid_domain(at + 1))
        return NULL;
    /* an ASCII domain (nearly all) lower-cased in place: g_utf8_strdown
     * and a printf cost more than the rest of this function */
    for (char *d = at + 1; *d; d++)
        if ((guchar) *d >= 0x80) {
            /* GLib steps over a cut sequence's whole length, past the
             * string's end: only valid UTF-8 goes to g_utf8_strdown */
            g_autofree char *valid = g_utf8_make_valid(at + 1, -1);
            g_autofree char *domain = g_utf8_strdown(valid, -1);
            return g_strdup_printf("%.*s@%s", (int) (at - a), a, domain);
        }
    for (char *d = at + 1; *d; d++)
        if (*d >= 'A' && *d <= 'Z')
            *d += 'a' - 'A';
    return g_strdup(a);
}

const char *
bt_address_domain(const char *address)
{
    const char *at = address ? strrchr(address, '@') : NULL;
    return at && at[1] ? at + 1 : NULL;
}

/* Case-insensitive search for an ASCII needle. */
static const char *
find_caseless(const char *hay, const char *needle)
{
    gsize n = strlen(needle);
    if (n == 0)
        return hay;
    /* only where the first letter matches, found with the library's fast scan */
    const char first[] = { g_ascii_tolower(needle[0]), g_ascii_toupper(needle[0]), '\0' };
    for (const char *p = strpbrk(hay, first); p; p = strpbrk(p + 1, first))
        if (g_ascii_strncasecmp(p, needle, n) == 0)
            return p;
    return NULL;
}

/* Removes every copy of `address` (with its <>, a trailing colon) from
 * `s`, except one in parentheses: that is the server's reply quoting it
 * ("550 5.1.1 No such user (ADDR)", as OpenSMTPD's "ADDR: reply" line
 * carries it), and would leave "()" behind. */
static char *
without_address(const char *s, const char *address)
{
    GString *out = g_string_new(NULL);
    gsize n = strlen(address);
    const char *p = s;
    const char *hit;
    while ((hit = find_caseless(p, address))) {
        if (hit > p && hit[-1] == '(') {
            g_string_append_len(out, p, hit + n - p);
            p = hit + n;
            continue;
        }
        const char *start = hit;
        if (start > p && start[-1] == '<')
            start--;
        g_string_append_len(out, p, start - p);
        p = hit + n;
        if (*p == '>')
            p++;
        if (*p == ':')
            p++;
    }
    g_string_append(out, p);
    return g_string_free(out, FALSE);
}

/* Whitespace runs (line ends included) to one space, trimmed. */
static char *
squeeze(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++) {
        if (g_ascii_isspace(*s)) {
            if (out->len && out->str[out->len - 1] != ' ')
                g_string_append_c(out, ' ');
        } else {
            g_string_append_c(out, *s);
        }
    }
    char *text = g_strchomp(g_string_free(out, FALSE));
    if (!*text) {
        g_free(text);
        return NULL;
    }
    return text;
}

/* The start of the line holding `p`. */
static const char *
line_start(const char *text, const char *p)
{
    while (p > text && p[-1] != '\n')
        p--;
    return p;
}

/* Does the line at `line` begin with an email address ("<a@b>: …")? */
static gboolean
starts_with_address(const char *line)
{
    while (*line == ' ' || *line == '\t' || *line == '<')
        line++;
    gsize n = strcspn(line, " \t\n>:;,");
    const char *at = memchr(line, '@', n);
    return at && at > line && at < line + n - 1;
}

/* Is the line at `line` an indented continuation that opens with
 * `recipient` itself?  Postfix's bounce(8) folds a reply that quotes the
 * address ("said: 550 5.7.1\n    <a@b>: Recipient address rejected: …"),
 * so the address can open a continuation line of its own paragraph. */
static gboolean
continues_with(const char *line, const char *recipient)
{
    if (*line != ' ' && *line != '\t')
        return FALSE;
    while (*line == ' ' || *line == '\t' || *line == '<')
        line++;
    gsize n = strlen(recipient);
    return g_ascii_strncasecmp(line, recipient, n) == 0 && strchr(">:;, \t\n", line[n]);
}

/* A line that is only a label once the address is out of it
 * ("Recipient address:", "Original recipient:", as Sun's and Oracle's
 * messaging servers print "Recipient address: ADDR" above "Reason: …"). */
static gboolean
is_bare_label(const char *line, gsize len)
{
    while (len && g_ascii_isspace(line[len - 1]))
        len--;
    while (len && g_ascii_isspace(*line)) {
        line++;
        len--;
    }
    if (len < 2 || len > 40 || line[len - 1] != ':' || !g_ascii_isalpha(*line))
        return FALSE;
    for (gsize i = 0; i < len - 1; i++)
        if (!g_ascii_isalpha(line[i]) && line[i] != ' ' && line[i] != '-')
            return FALSE;
    return TRUE;
}

/* `text` without the lines that are only a label. */
static char *
without_bare_labels(const char *text)
{
    GString *out = g_string_new(NULL);
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        gsize len = nl ? (gsize) (nl - line) : strlen(line);
        if (!is_bare_label(line, len)) {
            g_string_append_len(out, line, len);
            g_string_append_c(out, '\n');
        }
        line += len + (nl ? 1 : 0);
    }
    return g_string_free(out, FALSE);
}

/* Is the line at `line` a transcript command or reply (">>> RCPT To:<…>",
 * "<<< 550 …") that names another address than `recipient` (another
 * recipient's attempt), or the start of a session with another host
 * (Sendmail's "... while talking to HOST.:", usersmtp.c)? */
static gboolean
is_others_transcript_line(const char *line, const char *recipient)
{
    line += strspn(line, " \t");
    if (strncmp(line, "... while talking to ", 21) == 0)
        return TRUE;
    if (strncmp(line, ">>> ", 4) != 0 && strncmp(line, "<<< ", 4) != 0)
        return FALSE;
    /* within the line itself, without copying it: this runs on every line
     * of a recipient's paragraph */
    gsize len = strcspn(line, "\n"), n = strlen(recipient);
    if (!memchr(line, '@', len))
        return FALSE;
    for (gsize i = 0; n && i + n <= len; i++)
        if (g_ascii_strncasecmp(line + i, recipient, n) == 0)
            return FALSE;
    return TRUE;
}

/* Does the line that ends just before `line` end with Postfix's "(expanded
 * from" whose alias Postfix's line wrapping (bounce_notify_util.c,
 * line_wrap) carried to the next line ("<a@b> (expanded from" /
 * "    <c@d>): host …")?  That next line goes on about the same recipient. */
static gboolean
after_wrapped_expansion(const char *hit, const char *line)
{
    const char *end = line - 1;     /* the '\n' before `line` */
    while (end > hit && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    static const char tail[] = "(expanded from";
    gsize n = sizeof tail - 1;
    return end - hit >= (ptrdiff_t) n && g_ascii_strncasecmp(end - n, tail, n) == 0;
}

/* The end of the paragraph that starts at the line of `hit`: a blank line,
 * the next line that starts with another recipient's address (not the
 * alias of a wrapped "(expanded from"), or a transcript line about another
 * one. */
static const char *
paragraph_end(const char *hit, const char *recipient)
{
    const char *line = strchr(hit, '\n');
    while (line) {
        line++;
        if (*line == '\n' || *line == '\0'
            || (starts_with_address(line) && !continues_with(line, recipient)
                && !after_wrapped_expansion(hit, line))
            || is_others_transcript_line(line, recipient))
            return line;
        line = strchr(line, '\n');
    }
    return hit + strlen(hit);
}

/* What a notice says about a recipient is near its top: the search for
 * it reads this much of the text at most, so that a notice with many
 * recipients and a huge text costs recipients × this, not × its size. */
#define BODY_SCAN_BYTES (128 * 1024)

static char *
body_head(const char *body)
{
    return g_strndup(body, strnlen(body, BODY_SCAN_BYTES));
}

/* Past the digits of a number of 1 to `max` digits at *p; FALSE if none. */
static gboolean
skip_number(const char **p, int max)
{
    int k = 0;
    while (k < max && g_ascii_isdigit((*p)[k]))
        k++;
    *p += k;
    return k > 0;
}

const char *
bt_skip_on_date(const char *s)
{
    /* the preposition of the NDR's language: "on", "am", "le", "el",
     * "op", "em", "på" …, a short word before the date's digits */
    const char *p = s;
    while (g_ascii_isalpha(*p) || (guchar) *p >= 0x80)
        p++;
    if (p == s || p - s > 4 || *p++ != ' ')
        return s;
    for (int part = 0; part < 3; part++) {
        if (!skip_number(&p, 4))
            return s;
        if (part < 2 && !strchr("/-.", *p++))
            return s;
    }
    const char *date_end = p;
    if (*p == ' ' && g_ascii_isdigit(p[1])) {
        p++;
        if (!skip_number(&p, 2) || *p++ != ':' || !skip_number(&p, 2))
            return date_end;
        if (*p == ':' && g_ascii_isdigit(p[1]))
            p++, skip_number(&p, 2);
        if (g_ascii_strncasecmp(p, " am", 3) == 0 || g_ascii_strncasecmp(p, " pm", 3) == 0)
            p += 3;
    }
    return *p == '\0' || g_ascii_isspace(*p) ? p : s;
}

/* The paragraph at `hit` without bare labels, or NULL when nothing is
 * left of it but the address.  The first mention loses the address (the
 * "<a@b>:" that opens what is said about it); a later one is the MTA's
 * own line about it ("550 5.1.2 <a@b>... Host unknown") and keeps it. */
static char *
paragraph_about(const char *body, const char *hit, const char *recipient, gboolean first)
{
    const char *start = line_start(body, hit);
    const char *end = paragraph_end(hit, recipient);
    g_autofree char *para = g_strndup(start, end - start);
    g_autofree char *named = without_address(para, recipient);
    if (!first) {
        g_autofree char *left = squeeze(named);
        if (!left || strlen(left) < 4)
            return NULL;
        g_free(named);
        named = g_strdup(para);
    }
    g_autofree char *rest = without_bare_labels(named);
    char *text = squeeze(rest);
    /* Exchange 2000/2003: "ADDR on DATE TIME" (or "am", "le" …), the reason below */
    const char *after = text && first ? bt_skip_on_date(text) : text;
    if (after != text) {
        char *reason = g_strdup(after + strspn(after, " "));
        g_free(text);
        text = reason;
    }
    /* "Reason: TEXT" under the address line: the label is not the reason */
    if (text && g_ascii_strncasecmp(text, "Reason: ", 8) == 0)
        memmove(text, text + 8, strlen(text + 8) + 1);
    /* what is left of a line that only named the address is no diagnostic */
    if (text && strlen(text) < 4)
        g_clear_pointer(&text, g_free);
    return text;
}

/* Is the line at `line` an indented "To:" or "Cc:" field of the
 * original's headers quoted in the notice, with a "Subject:" field in the
 * same paragraph ("This report relates to a message you sent with the
 * following header fields:" of Sun/Oracle Messaging Server and PMDF,
 * Exchange's "Your message / To: … / Subject: …")?  It names the address
 * as the message's, not as a failure's. */
static gboolean
is_quoted_to_field(const char *line)
{
    const char *name = line + strspn(line, " \t");
    if (name == line)
        return FALSE;
    gsize n = field_name_length(name);
    if (n != 2 || (g_ascii_strncasecmp(name, "To", 2) != 0 && g_ascii_strncasecmp(name, "Cc", 2) != 0))
        return FALSE;
    /* the paragraph: up to the blank lines around it */
    for (const char *l = line; l && *l && *l != '\n'; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        const char *f = l + strspn(l, " \t");
        if (g_ascii_strncasecmp(f, "Subject:", 8) == 0)
            return TRUE;
    }
    return FALSE;
}

char *
bt_body_text_about(const char *full, const char *recipient)
{
    if (!full || !recipient)
        return NULL;
    g_autofree char *body = body_head(full);
    /* the first mention outside a header or DSN field line ("To: …",
     * "Final-Recipient: …"), which name the address without explaining */
    const char *hit = find_caseless(body, recipient);
    gboolean first = TRUE;
    /* a quoted "To:" field yields only when no later mention explains */
    g_autofree char *quoted = NULL;
    for (; hit; hit = find_caseless(hit + 1, recipient)) {
        const char *line = line_start(body, hit);
        if (field_name_length(line) > 0)
            continue;
        if (!quoted && is_quoted_to_field(line)) {
            /* still the first mention for what follows */
            quoted = paragraph_about(body, hit, recipient, TRUE);
            if (quoted)
                continue;
        }
        char *text = paragraph_about(body, hit, recipient, first);
        first = FALSE;
        /* a list that only names the address (Sendmail's "The following
         * addresses had transient non-fatal errors", savemail.c) says
         * nothing: its own line further on ("<a@b>... Deferred: …") may */
        if (text)
            return text;
    }
    return g_steal_pointer(&quoted);
}

/* Every paragraph of the bounce text that names `recipient`, joined by a
 * space (addresses left in); NULL when the text never names it. */
char *
bt_body_texts_about(const char *full, const char *recipient)
{
    if (!full || !recipient || !*recipient)
        return NULL;
    g_autofree char *body = body_head(full);
    GString *all = g_string_new(NULL);
    const char *from = body;
    for (const char *hit = find_caseless(from, recipient); hit; hit = find_caseless(from, recipient)) {
        const char *start = line_start(from, hit);
        const char *end = paragraph_end(hit, recipient);
        if (all->len)
            g_string_append_c(all, ' ');
        g_string_append_len(all, start, end - start);
        from = end > hit ? end : hit + 1;
    }
    if (!all->len) {
        g_string_free(all, TRUE);
        return NULL;
    }
    return g_string_free(all, FALSE);
}

gboolean
bt_record_set_date(BtRecord *rec, const char *date)
{
    if (!date || !*date)
        return FALSE;
    g_autoptr(GDateTime) dt = g_mime_utils_header_decode_date(date);
    if (!dt)
        return FALSE;
    rec->timestamp = g_date_time_to_unix(dt);
    gint64 offset = g_date_time_get_utc_offset(dt) / G_TIME_SPAN_MINUTE;
    gint64 hours = ABS(offset) / 60, minutes = ABS(offset) % 60;
    char tz[8];
    if (hours < 100) {
        /* "+HHMM" without a printf: it ran once per record */
        tz[0] = offset < 0 ? '-' : '+';
        tz[1] = (char) ('0' + hours / 10);
        tz[2] = (char) ('0' + hours % 10);
        tz[3] = (char) ('0' + minutes / 10);
        tz[4] = (char) ('0' + minutes % 10);
        tz[5] = '\0';
    } else {
        g_snprintf(tz, sizeof tz, "%c%02d%02d", offset < 0 ? '-' : '+', (int) hours, (int) minutes);
    }
    bt_set_str(&rec->timezoneoffset, tz);
    return TRUE;
}

/* "dns; mx.example.com" → "mx.example.com"; brackets and a final dot go. */
char *
bt_host_value(const char *value)
{
    if (!value)
        return NULL;
    const char *semi = strchr(value, ';');
    g_autofree char *host = bt_strdup_trimmed(semi ? semi + 1 : value);
    if (!host)
        return NULL;
    char *word = host;
    word[strcspn(word, " \t(")] = '\0';
    while (*word == '[')
        word++;
    gsize n = strlen(word);
    while (n > 0 && (word[n - 1] == ']' || word[n - 1] == '.'))
        word[--n] = '\0';
    return n ? bt_ascii_strdown(word, -1) : NULL;
}

/* The first "d.d.d" status code in `value`. */
char *
bt_status_first(const char *value)
{
    if (!value)
        return NULL;
    /* a code's first dot, found by the library's scan, not byte by byte */
    for (const char *dot = value[0] ? strchr(value + 1, '.') : NULL; dot; dot = strchr(dot + 1, '.')) {
        const char *p = dot - 1;
        if ((*p != '2' && *p != '4' && *p != '5') || (p > value && (g_ascii_isdigit(p[-1]) || p[-1] == '.')))
            continue;
        gsize a = strspn(p + 2, "0123456789");
        if (a < 1 || a > 3 || p[2 + a] != '.')
            continue;
        gsize b = strspn(p + 3 + a, "0123456789");
        if (b < 1 || b > 3 || g_ascii_isdigit(p[3 + a + b]))
            continue;
        return g_strndup(p, 3 + a + b);
    }
    return NULL;
}
