/* escape — control characters made visible, for text that goes where a raw
 * control byte would do harm: a CSV cell (a spreadsheet or a terminal
 * shows it), a message on stderr naming a file (a file name may hold ESC
 * sequences that rewrite the user's terminal). */
#include "core/core.h"

#include <string.h>

char *
bt_text_escape_controls(const char *s)
{
    if (!s)
        return g_strdup("");
    g_autofree char *valid = g_utf8_validate(s, -1, NULL) ? NULL : g_utf8_make_valid(s, -1);
    const char *text = valid ? valid : s;
    GString *out = g_string_sized_new(strlen(text));
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\x%02X", c);
        else if (c >= 0x80 && c < 0xa0)          /* C1: CSI, NEL, … */
            g_string_append_printf(out, "\\u%04X", c);
        else
            g_string_append_unichar(out, c);
    }
    return g_string_free(out, FALSE);
}
