/* literals — reading PCRE2 pattern text for what a prefilter can use
 * without running the pattern. */
#pragma once

#include <glib.h>

/* The top-level branches of `pattern` (a|b|c), each a pattern of its own
 * that carries the leading inline options ("(?i)b"), or NULL when the
 * pattern has fewer than two top-level branches or uses what makes its
 * branches depend on each other or hard to read safely (back references,
 * recursion, conditionals, an option change after the start, \Q…\E,
 * comments, verbs).
 *
 * At a given start, PCRE2 takes the first branch that matches there, so
 * the leftmost match of the whole pattern is the leftmost of the branches'
 * matches, ties going to the earliest branch: splitting lets a prefilter
 * rule out branches one by one and run only those whose literals occur. */
GStrv bt_pattern_branches(const char *pattern);

/* Past the character class that starts at `p` ('[') in a NUL-terminated
 * pattern: the byte after its closing ']', or NULL when the class is not
 * closed (PCRE2 rejects that pattern anyway) or holds what could hide its
 * end from a plain reader (\Q…\E, \c, a malformed "[:").  It never reads
 * past the terminating NUL.  The one class reader of the literal
 * prefilters (core/literals.c, rules/regex.c, extract/layout-regex.c). */
const char *bt_skip_class(const char *p);

/* g_ascii_strdown(s, len), in a loop the compiler can vectorise instead of
 * a function call per byte: literal tests search lower-case copies of
 * whole notices. */
char *bt_ascii_strdown(const char *s, gssize len);
/* The same into `out` (n bytes, not terminated); TRUE when a byte of `s`
 * is above 0x7F, which the rules' literal test needs to know of a
 * subject it lower-cases. */
gboolean bt_ascii_strdown_into(char *out, const char *s, gsize n);
/* g_utf8_casefold(s, -1), byte for byte, without GLib's per-character
 * work on the ASCII stretches: a notice with one accented letter or curly
 * quote is mostly ASCII, which is lower-cased 8 bytes at a time, and only
 * the stretches around non-ASCII characters are folded by GLib. */
char *bt_casefold(const char *s);
/* The length of the run of ASCII bytes (below 0x80) that starts `s`, read
 * 8 bytes at a time. */
gsize bt_ascii_run(const char *s, gsize len);

/* Which byte pairs a text holds, exactly (one bit per pair of bytes): a
 * literal with a pair the text lacks does not occur in it, which two bit
 * tests tell without searching the text. */
#define BT_PAIR_SET_WORDS (65536 / 64)
typedef struct {
    guint64 bits[BT_PAIR_SET_WORDS];
} BtPairSet;

void bt_pair_set_fill(BtPairSet *set, const char *text, gsize len);
/* FALSE only when `literal` (two bytes or more) cannot occur in the text. */
gboolean bt_pair_set_may_hold(const BtPairSet *set, const char *literal);
