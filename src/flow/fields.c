/* fields — X-Bounce-* header text that is safe to write whatever a hostile
 * bounce put in its diagnostic: one line of valid UTF-8 without control
 * characters (so no CR/LF can start a field of its own), folded at white
 * space to about 78 columns, and never a line over RFC 5322's 998 octets. */
#include "flow/flow-private.h"

#include <string.h>

#define FOLD_AT 78
/* A word longer than this is cut: a line holds the fold's space, the
 * field name on the first line, and stays well below 998 octets. */
#define MAX_WORD 900

static gboolean
is_token(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (strchr(" \t;\"\\", *s))
            return FALSE;
    return TRUE;
}

void
bt_field_append_param(GString *out, const char *key, const char *value)
{
    g_autofree char *clean = bt_text_one_line(value, FALSE);
    if (out->len > 0)
        g_string_append(out, "; ");
    g_string_append_printf(out, "%s=", key);
    if (is_token(clean)) {
        g_string_append(out, clean);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = clean; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

/* Bytes of `word` that fit in MAX_WORD without splitting a UTF-8 sequence. */
static gsize
word_cut(const char *word, gsize len)
{
    if (len <= MAX_WORD)
        return len;
    const char *end = g_utf8_find_prev_char(word, word + MAX_WORD + 1);
    return end && end > word ? (gsize) (end - word) : MAX_WORD;
}

void
bt_field_append(GString *out, const char *name, const char *value, const char *eol)
{
    g_autofree char *clean = bt_text_one_line(value, FALSE);
    gsize line_start = out->len;
    gboolean line_has_word = FALSE;

    g_string_append_printf(out, "%s:", name);
    const char *p = clean;
    while (*p) {
        const char *space = strchr(p, ' ');
        gsize len = space ? (gsize) (space - p) : strlen(p);
        gsize take = word_cut(p, len);
        gsize col = out->len - line_start;

        if (line_has_word && col + 1 + take > FOLD_AT) {
            /* fold: the line end goes before the white space (RFC 5322 2.2.3) */
            g_string_append(out, eol);
            line_start = out->len;
        }
        g_string_append_c(out, ' ');
        g_string_append_len(out, p, (gssize) take);
        line_has_word = TRUE;
        p += take;
        if (take == len && space)
            p++;
    }
    g_string_append(out, eol);
}
