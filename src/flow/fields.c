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
is_blank_char(gunichar c)
{
    /* NEL (U+0085) is a control character; U+2028/9 are line breaks */
    return g_unichar_iscntrl(c) || g_unichar_isspace(c) || c == 0x2028 || c == 0x2029;
}

char *
bt_field_clean(const char *value)
{
    g_autofree char *valid = g_utf8_make_valid(value ? value : "", -1);
    GString *out = g_string_sized_new(strlen(valid));
    gboolean pending_space = FALSE;

    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (is_blank_char(c)) {
            pending_space = out->len > 0;
            continue;
        }
        if (pending_space)
            g_string_append_c(out, ' ');
        pending_space = FALSE;
        g_string_append_unichar(out, c);
    }
    return g_string_free(out, FALSE);
}

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
    g_autofree char *clean = bt_field_clean(value);
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
    g_autofree char *clean = bt_field_clean(value);
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
