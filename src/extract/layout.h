/* Internal to extract: free-text bounce layouts as data.  A layout file
 * (rules/layouts/ *.yaml, schema in rules/layouts/README.md) says how to
 * recognise one MTA's or provider's notice and where its recipients,
 * diagnostics and status codes are.  Layouts are compiled once with PCRE2;
 * patterns used often are JIT-compiled. */
#pragma once

#include "extract/autoreply.h"
#include "extract/view.h"

typedef struct _BtLayouts BtLayouts;

BtLayouts *bt_layouts_load(const char *const *dirs, GPtrArray *errors, GError **error);
void bt_layouts_free(BtLayouts *lays);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtLayouts, bt_layouts_free)

/* The auto-reply decoder's vocabulary: the `autoreply:` maps of every
 * layout file, a later directory's entries after an earlier one's; NULL
 * when no file holds one. */
const BtAutoreplyVocab *bt_layouts_autoreply(const BtLayouts *lays);

/* Tries the layouts in order against `view`.  On a match, appends one
 * BtRecord per recipient to `records` with what the layout found
 * (recipient, diagnosticcode, and where present deliverystatus, replycode,
 * command, rhost, lhost, action, alias, diagnostictype, a reason hint) and
 * decodedby set to the layout id; sets *original_at to the byte offset in
 * view->body where the inline copy of the original message starts
 * (G_MAXSIZE when none) and returns TRUE.  Returns FALSE when no layout
 * matched. */
gboolean bt_layouts_extract(const BtLayouts *lays, const BtMsgView *view,
                            GPtrArray *records, gsize *original_at);
