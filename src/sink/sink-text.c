/* sink-text — a record for a person at a terminal: what went wrong and what
 * to do first (the cause and numbered remediation), then the facts on
 * aligned lines, then the checks.  Long text is wrapped to 78 columns
 * (counting wide CJK characters as two) and the diagnostic is shortened;
 * every value is sanitised so a hostile bounce cannot send escape sequences
 * to the terminal. */
#include "sink/sink-private.h"

#include <string.h>

#define TEXT_WIDTH 78
#define VALUE_COLUMN 14          /* "  diagnostic  " */
#define MAX_DIAGNOSTIC 320       /* columns of diagnostic kept */
#define MAX_LINE_VALUE 200       /* columns of a one-line value (subject, detail) kept */

#define ANSI_BOLD "\033[1m"
#define ANSI_RESET "\033[0m"

static guint
char_width(gunichar c)
{
    if (g_unichar_iszerowidth(c))
        return 0;
    return g_unichar_iswide(c) ? 2 : 1;
}

static guint
text_width(const char *s)
{
    guint width = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        width += char_width(g_utf8_get_char(p));
    return width;
}

/* `s` cut to at most `max` columns, "..." marking the cut; the cut falls
 * between words when one ends near it. */
static char *
shorten(const char *s, guint max)
{
    if (text_width(s) <= max)
        return g_strdup(s);
    GString *cut = g_string_new(NULL);
    guint width = 0, width_at_space = 0;
    gsize last_space = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (width + char_width(c) > max - 3)
            break;
        if (c == ' ') {
            last_space = cut->len;
            width_at_space = width;
        }
        g_string_append_unichar(cut, c);
        width += char_width(c);
    }
    if (last_space > 0 && width - width_at_space < 20)
        g_string_truncate(cut, last_space);
    g_string_append(cut, "...");
    return g_string_free(cut, FALSE);
}

static void
new_line(GString *out, guint indent)
{
    g_string_append_c(out, '\n');
    for (guint i = 0; i < indent; i++)
        g_string_append_c(out, ' ');
}

/* Appends one word at column `col`, breaking it only when it is wider than
 * a whole line (CJK text has no spaces to wrap at).  Returns the column. */
static guint
append_word(GString *out, const char *word, guint col, guint indent)
{
    for (const char *p = word; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (col + char_width(c) > TEXT_WIDTH && col > indent) {
            new_line(out, indent);
            col = indent;
        }
        g_string_append_unichar(out, c);
        col += char_width(c);
    }
    return col;
}

/* Appends sanitised `text` starting at column `col`; continuation lines
 * start at column `indent`.  No newline at the end. */
static void
append_wrapped(GString *out, const char *text, guint col, guint indent)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    gboolean line_empty = TRUE;

    for (char **word = words; *word; word++) {
        if (!**word)
            continue;
        guint width = text_width(*word);
        if (!line_empty && col + 1 + width > TEXT_WIDTH) {
            new_line(out, indent);
            col = indent;
            line_empty = TRUE;
        }
        if (!line_empty) {
            g_string_append_c(out, ' ');
            col++;
        }
        col = append_word(out, *word, col, indent);
        line_empty = FALSE;
    }
}

static const char *
severity_color(const char *severity)
{
    if (g_strcmp0(severity, "high") == 0)
        return "\033[1;31m";
    if (g_strcmp0(severity, "medium") == 0)
        return "\033[1;33m";
    if (g_strcmp0(severity, "low") == 0)
        return "\033[1;32m";
    return ANSI_BOLD;
}

static gboolean
is_set(const char *s)
{
    return s && *s;
}

/* "[high] The cause in one sentence" — or the reason when no rule named a
 * cause. */
static void
append_headline(GString *out, const BtRecord *rec, gboolean color)
{
    guint col = 0;
    if (is_set(rec->severity)) {
        g_autofree char *severity = bt_text_one_line(rec->severity, TRUE);
        g_string_append_printf(out, "%s[%s]%s ", color ? severity_color(severity) : "",
                               severity, color ? ANSI_RESET : "");
        col = text_width(severity) + 3;
    }
    g_autofree char *fallback = g_strdup_printf("No specific cause identified (reason: %s)",
                                                is_set(rec->reason) ? rec->reason : "undefined");
    const char *headline = is_set(rec->cause_summary) ? rec->cause_summary
                         : is_set(rec->cause_id)      ? rec->cause_id
                                                      : fallback;
    g_autofree char *clean = bt_text_one_line(headline, TRUE);
    if (color)
        g_string_append(out, ANSI_BOLD);
    append_wrapped(out, clean, col, col);
    if (color)
        g_string_append(out, ANSI_RESET);
    g_string_append_c(out, '\n');
}

static void
append_remediation(GString *out, const BtRecord *rec)
{
    for (guint i = 0; rec->remediation && i < rec->remediation->len; i++) {
        g_autofree char *step = bt_text_one_line(rec->remediation->pdata[i], TRUE);
        g_autofree char *number = g_strdup_printf("  %u. ", i + 1);
        g_string_append(out, number);
        append_wrapped(out, step, strlen(number), strlen(number));
        g_string_append_c(out, '\n');
    }
}

/* "  label       value", the value wrapped under itself. */
static void
append_fact(GString *out, const char *label, const char *value)
{
    g_autofree char *clean = bt_text_one_line(value, TRUE);
    g_string_append_printf(out, "  %-*s", VALUE_COLUMN - 2, label);
    append_wrapped(out, *clean ? clean : "(unknown)", VALUE_COLUMN, VALUE_COLUMN);
    g_string_append_c(out, '\n');
}

static void
append_fact_short(GString *out, const char *label, const char *value, guint max)
{
    g_autofree char *clean = bt_text_one_line(value, TRUE);
    g_autofree char *cut = shorten(clean, max);
    append_fact(out, label, cut);
}

static char *
describe_reason(const BtRecord *rec)
{
    return g_strdup_printf("%s (%s bounce)", is_set(rec->reason) ? rec->reason : "undefined",
                           rec->hardbounce ? "hard" : "soft");
}

/* "5.1.1, reply 550 to RCPT" from whichever parts are known. */
static char *
describe_status(const BtRecord *rec)
{
    GString *status = g_string_new(is_set(rec->deliverystatus) ? rec->deliverystatus : "");
    if (rec->replycode)
        g_string_append_printf(status, "%sreply %d", status->len ? ", " : "", rec->replycode);
    if (is_set(rec->command))
        g_string_append_printf(status, "%s%s",
                               rec->replycode ? " to " : status->len ? ", at " : "at ",
                               rec->command);
    return g_string_free(status, FALSE);
}

static char *
describe_origin(const char *origin, gint64 offset)
{
    if (offset >= 0)
        return g_strdup_printf("%s:%" G_GINT64_FORMAT, origin ? origin : "-", offset);
    return g_strdup(origin ? origin : "-");
}

static void
append_facts(GString *out, const BtRecord *rec)
{
    g_autofree char *reason = describe_reason(rec);
    g_autofree char *status = describe_status(rec);
    g_autofree char *origin = describe_origin(rec->origin, rec->offset);

    append_fact(out, "recipient", rec->recipient);
    append_fact(out, "reason", reason);
    if (*status)
        append_fact(out, "status", status);
    if (is_set(rec->diagnosticcode))
        append_fact_short(out, "diagnostic", rec->diagnosticcode, MAX_DIAGNOSTIC);
    if (is_set(rec->rhost))
        append_fact(out, "rhost", rec->rhost);
    if (is_set(rec->addresser))
        append_fact(out, "sender", rec->addresser);
    if (is_set(rec->subject))
        append_fact_short(out, "subject", rec->subject, MAX_LINE_VALUE);
    append_fact(out, "origin", origin);
    /* Rules usually name the cause after themselves: one line is enough. */
    if (is_set(rec->cause_id) && g_strcmp0(rec->cause_id, rec->rule) != 0)
        append_fact(out, "cause", rec->cause_id);
    if (is_set(rec->rule))
        append_fact(out, "rule", rec->rule);
    if (is_set(rec->explain))
        append_fact(out, "explain", rec->explain);
}

/* One check: name, target and status padded to the given widths (so the
 * rows of a record line up), then the detail wrapped after them. */
static void
append_check_row(GString *out, const BtCheck *check, const char *label,
                 guint name_width, guint target_width)
{
    g_autofree char *name = bt_text_one_line(check->name, TRUE);
    g_autofree char *target = bt_text_one_line(check->target, TRUE);
    g_autofree char *detail = bt_text_one_line(check->detail, TRUE);
    g_autofree char *detail_cut = shorten(detail, MAX_LINE_VALUE);
    g_autoptr(GString) row = g_string_new(NULL);

    g_string_append_printf(row, "  %-*s%s%*s  %s%*s  %s", VALUE_COLUMN - 2, label,
                           name, (int) (name_width - text_width(name)), "",
                           target, (int) (target_width - text_width(target)), "",
                           bt_check_status_name(check->status));
    g_string_append(out, row->str);
    if (*detail_cut) {
        /* A detail that does not fit beside the columns starts below them. */
        guint col = text_width(row->str) + 2;
        if (col + text_width(detail_cut) > TEXT_WIDTH) {
            new_line(out, VALUE_COLUMN + 2);
            col = VALUE_COLUMN + 2;
        } else {
            g_string_append(out, "  ");
        }
        append_wrapped(out, detail_cut, col, VALUE_COLUMN + 2);
    }
    g_string_append_c(out, '\n');
}

static void
append_checks(GString *out, const BtRecord *rec)
{
    if (!rec->checks || rec->checks->len == 0)
        return;
    guint name_width = 0, target_width = 0;
    for (guint i = 0; i < rec->checks->len; i++) {
        const BtCheck *check = rec->checks->pdata[i];
        g_autofree char *name = bt_text_one_line(check->name, TRUE);
        g_autofree char *target = bt_text_one_line(check->target, TRUE);
        name_width = MAX(name_width, text_width(name));
        target_width = MAX(target_width, text_width(target));
    }
    for (guint i = 0; i < rec->checks->len; i++)
        append_check_row(out, rec->checks->pdata[i], i == 0 ? "checks" : "",
                         name_width, target_width);
}

void
bt_text_append_record(GString *out, const BtRecord *rec, gboolean color)
{
    append_headline(out, rec, color);
    append_remediation(out, rec);
    append_facts(out, rec);
    append_checks(out, rec);
}

/* The one line that --all writes for a message with no record. */
void
bt_text_append_no_record(GString *out, const BtBounce *bounce, gboolean color)
{
    g_autofree char *origin = describe_origin(bounce->origin, bounce->offset);
    g_autofree char *clean = bt_text_one_line(origin, TRUE);
    g_string_append_printf(out, "%s%s%s: %s\n", color ? ANSI_BOLD : "", clean,
                           color ? ANSI_RESET : "",
                           bounce->is_bounce ? "a bounce, but no recipient could be found"
                                             : "not a bounce");
}
