/* acscan — many literals found in one pass over a text (Aho-Corasick).
 *
 * Hundreds of rule patterns each test their own literals against the same
 * text; one pass of an automaton over all of them tells which occur at
 * once, so the patterns whose literals are absent need not be looked at.
 * The scan tells which literals *may* occur, a necessary condition that
 * keeps the table small: a literal is known by its first BT_AC_DEPTH
 * bytes, and all non-ASCII bytes count as one.  ASCII bytes are compared
 * exactly: callers add lower-case literals and scan a lower-case copy of
 * the text.  Built once, then read-only: any number of threads may scan
 * with it. */
#pragma once

#include <glib.h>

typedef struct _BtAcScan BtAcScan;

#define BT_AC_DEPTH 10

BtAcScan *bt_ac_new(void);
/* The id of `literal` (len > 0 bytes): ids count from 0, and a literal
 * the automaton cannot tell from an earlier one gets its id.  Only before
 * bt_ac_build. */
guint bt_ac_add(BtAcScan *ac, const char *literal, gsize len);
void bt_ac_build(BtAcScan *ac);
/* How many distinct literals were added: `present` arguments hold
 * (bt_ac_count + 63) / 64 words. */
guint bt_ac_count(const BtAcScan *ac);
/* Sets bit id of `present` for every literal that may occur in `text`
 * (every one that does, and perhaps others); clears no bit. */
void bt_ac_scan(const BtAcScan *ac, const char *text, gsize len, guint64 *present);
/* bt_ac_scan that also tells where: for every id whose bit it sets (its
 * bit was clear), first[id] is the offset in `text` just past the first
 * place the literal's first BT_AC_DEPTH bytes (all of a shorter one)
 * may end.  A literal occurs nowhere before that place minus its length
 * in the automaton, so a search confirming a longer one starts there.
 * `first` holds bt_ac_count entries. */
void bt_ac_scan_first(const BtAcScan *ac, const char *text, gsize len, guint64 *present, gsize *first);
void bt_ac_free(BtAcScan *ac);

static inline gboolean
bt_ac_bit(const guint64 *set, guint id)
{
    return (set[id / 64] >> (id % 64)) & 1;
}
