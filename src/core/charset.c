/* charset — see charset.h. */
#include "core/charset.h"

#include <gmime/gmime.h>
#include <string.h>

const char *
bt_charset_alias(const char *charset)
{
    /* RFC 1642 named UTF-7 UNICODE-1-1-UTF-7 (IANA's registered name),
     * which Exchange 2000 and 2003 put on their NDRs' text; Microsoft lists
     * unicode-2-0-utf-7/-8 among .NET's encoding names; IANA's
     * "macintosh" is Apple's and .NET's x-mac-roman */
    static const struct { const char *alias, *name; } aliases[] = {
        { "unicode-1-1-utf-7", "UTF-7" },
        { "unicode-2-0-utf-7", "UTF-7" },
        { "unicode-2-0-utf-8", "UTF-8" },
        { "x-mac-roman", "MACINTOSH" },
        { "mac-roman", "MACINTOSH" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(aliases); i++)
        if (g_ascii_strcasecmp(charset, aliases[i].alias) == 0)
            return aliases[i].name;
    return NULL;
}

char *
bt_charset_second_name(const char *charset)
{
    const char *rest = charset;
    if (g_ascii_strncasecmp(rest, "x-", 2) == 0)
        rest += 2;
    static const char *const code_pages[] = { "cp-", "win-", "windows-" };
    for (gsize i = 0; i < G_N_ELEMENTS(code_pages); i++) {
        gsize n = strlen(code_pages[i]);
        if (g_ascii_strncasecmp(rest, code_pages[i], n) == 0 && g_ascii_isdigit(rest[n]))
            return g_strconcat("CP", rest + n, NULL);
    }
    return rest != charset && *rest ? g_strdup(g_mime_charset_iconv_name(rest)) : NULL;
}

/* Converters stay open per thread because glibc unloads a converter's
 * module (ISO-2022-JP.so with libJIS, libGB and libKSC, say) soon after
 * its last one is closed: opening and closing per part dlopen()ed the
 * same modules again and again, some 3 % of a batch run.  The cache is
 * bounded, as charset names come from the mail: past its size it starts
 * over. */
#define CONVERTERS_MAX 32

static void
converter_close(gpointer cd)
{
    g_iconv_close((GIConv) cd);
}

static void
converters_free(gpointer table)
{
    g_hash_table_destroy(table);
}

static GPrivate thread_converters = G_PRIVATE_INIT(converters_free);

GIConv
bt_charset_to_utf8(const char *charset)
{
    GHashTable *table = g_private_get(&thread_converters);
    if (!table) {
        table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, converter_close);
        g_private_set(&thread_converters, table);
    }
    /* the key in lower case, on the stack: this runs for every part and
     * encoded word, and only a new converter needs a copy of its own */
    char small[64];
    gsize len = strlen(charset);
    g_autofree char *big = len < sizeof small ? NULL : g_ascii_strdown(charset, -1);
    const char *key = big;
    if (!big) {
        for (gsize i = 0; i <= len; i++)
            small[i] = g_ascii_tolower(charset[i]);
        key = small;
    }
    GIConv cd = g_hash_table_lookup(table, key);
    if (cd) {
        g_iconv(cd, NULL, NULL, NULL, NULL);
        return cd;
    }
    cd = g_iconv_open("UTF-8", charset);
    if (cd == (GIConv) -1)
        return cd;
    if (g_hash_table_size(table) >= CONVERTERS_MAX)
        g_hash_table_remove_all(table);
    g_hash_table_insert(table, big ? g_steal_pointer(&big) : g_strdup(small), cd);
    return cd;
}

/* Can iconv convert from `name` (as GMime names it) to UTF-8? */
static gboolean
converts(const char *name)
{
    return bt_charset_to_utf8(g_mime_charset_iconv_name(name)) != (GIConv) -1;
}

/* The name to write instead of an encoded word's `charset`, or NULL. */
static char *
better_name(const char *charset)
{
    const char *alias = bt_charset_alias(charset);
    if (alias)
        return g_strdup(alias);
    /* only a spelling that has a second name is worth an iconv_open */
    g_autofree char *second = bt_charset_second_name(charset);
    if (!second || converts(charset))
        return NULL;
    return converts(second) ? g_steal_pointer(&second) : NULL;
}

char *
bt_charset_fix_encoded_words(const char *text)
{
    const char *p = strstr(text, "=?");
    if (!p)
        return NULL;
    GString *out = NULL;
    const char *copied = text;
    for (; p; p = strstr(p + 2, "=?")) {
        const char *cs = p + 2;
        gsize len = strcspn(cs, "?* \t\r\n");
        if (len == 0 || len > 40 || (cs[len] != '?' && cs[len] != '*'))
            continue;
        g_autofree char *charset = g_strndup(cs, len);
        g_autofree char *name = better_name(charset);
        /* keeps the converter's module loaded for GMime's own
         * iconv_open, which closes its converter after each field */
        bt_charset_to_utf8(g_mime_charset_iconv_name(name ? name : charset));
        if (!name)
            continue;
        if (!out)
            out = g_string_sized_new(strlen(text) + 16);
        g_string_append_len(out, copied, cs - copied);
        g_string_append(out, name);
        copied = cs + len;
    }
    if (!out)
        return NULL;
    g_string_append(out, copied);
    return g_string_free(out, FALSE);
}
