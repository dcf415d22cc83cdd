/* Internal to extract: text helpers shared by the view and the decoders
 * (text.c).  Every function returns a new UTF-8 string unless it says
 * otherwise. */
#pragma once

#include <glib.h>

/* `len` bytes in `charset` (NULL: unknown) to UTF-8; bytes that do not
 * convert become U+FFFD. */
char *bt_text_to_utf8(const char *data, gsize len, const char *charset);
/* CRLF and bare CR to LF, in place; returns `text` (NULL: a new empty string). */
char *bt_text_lf(char *text);
/* HTML reduced to its text: block tags become line breaks, entities decoded. */
char *bt_html_to_text(const char *html);
/* A header block with its folded lines joined (CR dropped). */
char *bt_header_block_unfold(const char *block);
/* The first field called `name` in an unfolded header block, trimmed and
 * RFC 2047-decoded; NULL when absent or empty. */
char *bt_header_block_get(const char *block, const char *name);
/* Does the line [s, s + n) only announce text below it ("Reason:", "For
 * the following reason:", "The error that the other server returned
 * was:")?  It ends in a colon (or a full-width one), is short, has a
 * letter, and holds no address, no SMTP code and no separator rule: the
 * one test the layouts' second reading and the generic finder share. */
gboolean bt_text_is_heading(const char *s, gsize n);
/* The `n` bytes of `s` with each run of white space made one space,
 * written to `out` (at least n + 1 bytes; it may be `s` itself, the
 * text only shrinks) and terminated; the length written.  `trim` drops
 * the space a run at either end leaves; without it one is kept there.
 * The one squeezing loop of extract: gen_squeezed (trimmed, for notice
 * lines) and codes.c's command finder (untrimmed, lower-cased). */
gsize bt_text_squeeze_into(char *out, const char *s, gsize n, gboolean trim);
