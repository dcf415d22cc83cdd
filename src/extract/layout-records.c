/* layout-records — the records a layout's reading gives: one per
 * distinct recipient, from its blocks' final values, with sisimai's
 * pseudo status code where the layout asks for it.  Used by one layout's
 * extraction (layout.c). */
#include "extract/layout-private.h"
#include "extract/decode.h"
#include "extract/extract.h"

#include <string.h>

static void
set_record_field(BtRecord *rec, int f, const char *v)
{
    char **slots[N_FIELDS] = {
        [F_RECIPIENT] = &rec->recipient, [F_DIAGNOSTICCODE] = &rec->diagnosticcode,
        [F_STATUS] = &rec->deliverystatus, [F_COMMAND] = &rec->command,
        [F_RHOST] = &rec->rhost, [F_LHOST] = &rec->lhost, [F_ACTION] = &rec->action,
        [F_ALIAS] = &rec->alias, [F_REASON] = &rec->reason,
        [F_DIAGNOSTICTYPE] = &rec->diagnostictype, [F_FEEDBACKTYPE] = &rec->feedbacktype,
    };
    if (f == F_REPLYCODE) {
        /* only a code SMTP defines, as on the DSN path: a provider's own
         * "544 rejecting banned content" keeps its text, not its number */
        int code = atoi(v);
        rec->replycode = bt_reply_is_known(code) ? code : 0;
    } else {
        bt_set_str(slots[f], v);
    }
}

/* For an MTA whose notices carry no status code, sisimai's decoder states
 * the pseudo code of the reason its wording implies (temporary on a 4xx
 * reply, or for the hints the layout lists), unless the text holds a code
 * that says more. */
static void
state_pseudo_status(const Layout *lay, BtRecord *rec)
{
    if (!lay->pseudo_status || !rec->reason)
        return;
    int reply = rec->replycode ? rec->replycode : bt_reply_find(rec->diagnosticcode, 0);
    gboolean temporary = reply / 100 == 4
        || (lay->pseudo_temporary && g_strv_contains((const char *const *) lay->pseudo_temporary, rec->reason));
    const char *pseudo = bt_status_pseudo(rec->reason, temporary);
    if (!pseudo)
        return;
    g_autofree char *found = rec->deliverystatus ? g_strdup(rec->deliverystatus)
                                                 : bt_status_find(rec->diagnosticcode);
    char reply_text[8] = "";
    if (reply)
        g_snprintf(reply_text, sizeof reply_text, "%d", reply);
    bt_set_str(&rec->deliverystatus, bt_status_prefer(found, pseudo, reply_text));
}

static BtRecord *
record_from(const Layout *lay, const Values *vals)
{
    BtRecord *rec = bt_record_new();
    for (int f = 0; f < N_FIELDS; f++)
        if (vals->v[f])
            set_record_field(rec, f, vals->v[f]);
    bt_set_str(&rec->decodedby, lay->id);
    state_pseudo_status(lay, rec);
    return rec;
}

/* A recipient first named without a word of its own (Sendmail's list of
 * "addresses had transient non-fatal errors") took the notice's common
 * reply, which may be another recipient's ("<<< 451 Greylisting" in the
 * transcript); its `own-line` further on ("<b@example.org>... Deferred:
 * Connection refused by HOST."), or its line with the `before` lines that
 * lead it (the local mailer's "mail.local: unknown user: NAME" above
 * "554 <ADDR>... Service unavailable"), says what happened to it, with
 * its own codes or none. */
static void
take_own_diagnostic(Values *first, const Values *later)
{
    if (!first->common_diagnostic || !(later->own_line || later->led) || !later->v[F_DIAGNOSTICCODE])
        return;
    /* only a server's reply may be another recipient's: a verdict of the
     * notice's own ("Message could not be delivered for 5 days") is theirs
     * too */
    const char *borrowed = first->v[F_DIAGNOSTICCODE];
    if (!borrowed || !bt_reply_number_at(borrowed, borrowed, '4'))
        return;
    /* the reply among the recipient's own lines was its own after all */
    if (strstr(later->v[F_DIAGNOSTICCODE], borrowed))
        return;
    static const int own[] = { F_DIAGNOSTICCODE, F_REPLYCODE, F_STATUS };
    for (guint i = 0; i < G_N_ELEMENTS(own); i++) {
        g_free(first->v[own[i]]);
        first->v[own[i]] = g_strdup(later->v[own[i]]);
    }
    first->common_diagnostic = FALSE;
}

/* Adds a record per distinct recipient; a repeated recipient only fills
 * what the first mention lacked.  The address a recipient was expanded
 * to counts as that recipient: Sendmail lists "<child> (expanded from:
 * <parent>)" and then the transcript's "550 child... User unknown" for the
 * same delivery. */
void
bt_layout_add_records(const Layout *lay, GPtrArray *all_vals, GPtrArray *records, gboolean *repeated)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) order = g_ptr_array_new();
    for (guint i = 0; i < all_vals->len; i++) {
        Values *v = all_vals->pdata[i];
        g_autofree char *key = bt_ascii_strdown(v->v[F_RECIPIENT], -1);
        Values *first = g_hash_table_lookup(seen, key);
        if (first) {
            take_own_diagnostic(first, v);
            bt_layout_values_fill(first, v);
            *repeated = TRUE;
            continue;
        }
        g_hash_table_insert(seen, g_steal_pointer(&key), v);
        g_ptr_array_add(order, v);
        if (v->alias_expanded && v->v[F_ALIAS]) {
            g_autofree char *child = bt_ascii_strdown(v->v[F_ALIAS], -1);
            if (!g_hash_table_contains(seen, child))
                g_hash_table_insert(seen, g_steal_pointer(&child), v);
        }
    }
    for (guint i = 0; i < order->len; i++)
        g_ptr_array_add(records, record_from(lay, order->pdata[i]));
}
