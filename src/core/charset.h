/* charset — names of charsets that old mailers wrote and that neither
 * GMime nor iconv knows as written, for the body's text (extract/text.c)
 * and for RFC 2047 encoded words in header fields (lean-mime.c). */
#pragma once

#include <glib.h>

/* The iconv name of `charset` when it is one of the known aliases, or
 * NULL: RFC 1642's UNICODE-1-1-UTF-7, .NET's unicode-2-0-utf-7/-8, Mac OS
 * Roman as x-mac-roman. */
const char *bt_charset_alias(const char *charset);

/* Another name to try when iconv has no converter under the declared
 * one, or NULL: the experimental "x-" prefix dropped (x-sjis, x-euc-jp,
 * x-gbk), Windows code pages written "cp-1252" or "win-1251".  Free with
 * g_free(). */
char *bt_charset_second_name(const char *charset);

/* `text` with the charset of each encoded word ("=?x-sjis?B?…?=") that
 * GMime could not convert renamed to one it can; NULL when no word needs
 * it (the common case: no "=?", or charsets GMime knows). */
char *bt_charset_fix_encoded_words(const char *text);

/* A converter from `charset` (an iconv name) to UTF-8, in its initial
 * state, or (GIConv) -1 when iconv has none.  It belongs to the calling
 * thread and stays open: do not close it, and use it only until this
 * thread's next call. */
GIConv bt_charset_to_utf8(const char *charset);
