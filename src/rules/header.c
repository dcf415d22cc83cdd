/* header — the value a `header` condition tests.  A notice may state its
 * verdict in a field of its own: PowerMTA writes X-PowerMTA-BounceCategory
 * into each recipient's group of its delivery-status report, au (KDDI)
 * marks a filter refusal with X-SPASIGN in the bounce's header.  The field
 * is looked up where it is most specific first: the report's group for the
 * record's recipient, the report's per-message group, the bounce's own
 * header.  Both texts come unfolded from extract. */
#include "rules/rules-private.h"

#include <string.h>

/* The value of field `name` in the lines [from, to), trimmed; NULL if the
 * field is not there.  Most lines start with another letter: the first
 * is compared before the whole name (the looked-up fields are usually
 * absent, so every line is looked at). */
static char *
field_in(const char *from, const char *to, const char *name)
{
    gsize n = strlen(name);
    char first = g_ascii_tolower(name[0]);
    for (const char *line = from; line < to;) {
        const char *eol = memchr(line, '\n', (gsize) (to - line));
        if (!eol)
            eol = to;
        if ((gsize) (eol - line) > n && g_ascii_tolower(*line) == first && line[n] == ':'
            && g_ascii_strncasecmp(line, name, n) == 0)
            return g_strstrip(g_strndup(line + n + 1, (gsize) (eol - line - n - 1)));
        line = eol + 1;
    }
    return NULL;
}

/* The address a Final- or Original-Recipient value names, written the
 * ways reports write it ("rfc822; addr", "smtp; SMTP:addr", "<addr>",
 * quoted, with trailing punctuation), as the record's recipient is. */
static char *
bare_address(const char *value)
{
    const char *s = strrchr(value, ';') ? strrchr(value, ';') + 1 : value;
    while (g_ascii_isspace(*s) || *s == '<' || *s == '"' || *s == '\'')
        s++;
    static const char *const prefixes[] = { "smtp:", "mailto:" };
    for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++)
        if (g_ascii_strncasecmp(s, prefixes[i], strlen(prefixes[i])) == 0)
            s += strlen(prefixes[i]);
    char *bare = g_strdup(s);
    gsize n = strlen(bare);
    while (n && strchr(" \t>\"'.,:", bare[n - 1]))
        bare[--n] = '\0';
    return bare;
}

/* Does the group [from, to) name `recipient` in Final- or
 * Original-Recipient? */
static gboolean
group_names(const char *from, const char *to, const char *recipient)
{
    static const char *const fields[] = { "Final-Recipient", "Original-Recipient" };
    for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
        g_autofree char *v = field_in(from, to, fields[i]);
        if (!v)
            continue;
        g_autofree char *bare = bare_address(v);
        if (g_ascii_strcasecmp(bare, recipient) == 0)
            return TRUE;
    }
    return FALSE;
}

/* The field in the report: the recipient's group, else the first
 * (per-message) group.  Groups are separated by blank lines. */
static char *
field_in_report(const char *dsn, const char *recipient, const char *name)
{
    char *first = NULL;
    gboolean per_message = TRUE;
    const char *end = dsn + strlen(dsn);
    for (const char *g = dsn; g < end;) {
        while (g < end && (*g == '\n' || *g == ' ' || *g == '\t'))
            g++;
        const char *stop = strstr(g, "\n\n");
        if (!stop)
            stop = end;
        if (g < stop) {
            if (per_message) {
                first = field_in(g, stop, name);
                per_message = FALSE;
            } else if (recipient) {
                /* the field first: it is rarely there, the recipient's
                 * fields always are */
                char *v = field_in(g, stop, name);
                if (v && group_names(g, stop, recipient)) {
                    g_free(first);
                    return v;
                }
                g_free(v);
            }
        }
        g = stop;
    }
    return first;
}

char *
bt_header_lookup(const char *headers, const char *dsn, const char *recipient, const char *name)
{
    char *v = dsn ? field_in_report(dsn, recipient, name) : NULL;
    if (!v && headers) {
        const char *end = strstr(headers, "\n\n");
        v = field_in(headers, end ? end : headers + strlen(headers), name);
    }
    return v;
}
