/* generic — what the generic decoder (generic.c) lends the readers of one
 * record's text (notice-text.c): its reading of a recipient's diagnostic,
 * with no other recipient known.  Private to src/extract. */
#pragma once

#include <glib.h>

/* Lines read after (or before) a recipient's line for its diagnostic. */
#define DIAG_LOOKAHEAD 10
#define DIAG_MAX_CHARS 1000

/* The sentence that explains `recipient`, named on line `at` of the
 * notice's `n` lines (or on none, -1): its own line when that says
 * something, else the next line that explains, else the failure sentence
 * before it.  NULL when nothing explains. */
char *gen_diagnostic_for(char **lines, int n, int at, const char *recipient);
/* The explaining line after line `from` and its paragraph into `out`; the
 * line after the paragraph, or 0 when nothing explains. */
int gen_explanation_after(char **lines, int from, int n, const char *recipient, GString *out);
