/* fields — X-Bounce-* header text that is safe to write whatever a hostile
 * bounce put in its diagnostic: printable ASCII on one line, or RFC 2047
 * encoded-words we wrote ourselves, folded at white space to about 78
 * columns, and never a line over RFC 5322's 998 octets.
 *
 * Encoded-words in what we copy (a recipient "=?utf-8?q?a=0D=0AX-Bounce-
 * Reason:_x?=", say) are decoded first and the text made one line: left
 * as they came, a Sieve or Python reader would decode them into a line
 * break and a field of its own.  Whatever is then not plain ASCII, or still
 * looks like an encoded-word, is encoded by us, so decoding our field
 * gives back the one-line text and nothing else. */
#include "flow/flow-private.h"

#include <string.h>

/* Bytes of UTF-8 per encoded-word: 60 base64 characters, a word of 72. */
#define WORD_BYTES 45
/* Nested encodings decoded at most: more is an attack, not a mailer. */
#define MAX_DECODES 4

#define FOLD_AT 78
/* A word longer than this is cut: a line holds the fold's space, the
 * field name on the first line, and stays well below 998 octets. */
#define MAX_WORD 900

static gboolean
plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((guchar) *s < 0x20 || (guchar) *s > 0x7e)
            return FALSE;
    return TRUE;
}

/* `text` (valid UTF-8) as base64 encoded-words separated by spaces, each
 * cut at a character boundary. */
static char *
encode_words(const char *text)
{
    GString *out = g_string_new(NULL);
    const char *p = text;
    while (*p) {
        const char *stop = p;
        while (*stop && (gsize) (g_utf8_next_char(stop) - p) <= WORD_BYTES)
            stop = g_utf8_next_char(stop);
        if (stop == p)
            stop = g_utf8_next_char(p);
        g_autofree char *b64 = g_base64_encode((const guchar *) p, (gsize) (stop - p));
        g_string_append_printf(out, "%s=?utf-8?b?%s?=", out->len ? " " : "", b64);
        p = stop;
    }
    return g_string_free(out, FALSE);
}

/* The value as header-safe text (see the top of this file). */
static char *
header_safe(const char *value)
{
    g_autofree char *text = g_strdup(value ? value : "");
    for (int i = 0; i < MAX_DECODES && strstr(text, "=?"); i++) {
        char *decoded = g_mime_utils_header_decode_text(NULL, text);
        gboolean same = !decoded || strcmp(decoded, text) == 0;
        if (same) {
            g_free(decoded);
            break;
        }
        g_free(text);
        text = decoded;
    }
    char *clean = bt_text_one_line(text, FALSE);
    if (plain_ascii(clean) && !strstr(clean, "=?"))
        return clean;
    char *encoded = encode_words(clean);
    g_free(clean);
    return encoded;
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
    g_autofree char *clean = header_safe(value);
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
    g_autofree char *clean = header_safe(value);
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
