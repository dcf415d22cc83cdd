/* boilerplate-probe: for each message given, the rules that would fire on
 * what the notice shares with every notice of its kind.  Every record is
 * stripped of its evidence (diagnostic, status, reply code, command,
 * reason hint) and every rule is tried on what is left (the notice's
 * text, subject, addresses, action); a message without records is tried
 * as one empty record.  With --keep-evidence the records are tried as
 * extracted.  Prints "path<TAB>records<TAB>rule<TAB>reason" per
 * rule that holds, and "path<TAB>records" when none does, for
 * tests/071-boilerplate.sh to judge. */
#include "config.h"
#include "core/core.h"
#include "source/source.h"
#include "extract/extract.h"
#include "rules/rules.h"

#include <stdio.h>

static void
on_problem(BtProblemKind kind, const char *origin, gint64 offset, const char *what, gpointer data)
{
    (void) kind; (void) offset; (void) data;
    fprintf(stderr, "%s: %s\n", origin, what);
}

/* The record with the evidence a verdict should come from taken away. */
static BtRecord *
without_evidence(const BtRecord *rec)
{
    BtRecord *bare = rec ? bt_record_copy(rec) : bt_record_new();
    bt_set_str(&bare->diagnosticcode, NULL);
    bt_set_str(&bare->deliverystatus, NULL);
    bt_set_str(&bare->command, NULL);
    bt_set_str(&bare->reason, NULL);
    bt_set_str(&bare->feedbacktype, NULL);
    bare->replycode = 0;
    return bare;
}

static gboolean keep_evidence;

static void
probe(const BtRuleSet *rs, const char *path, const BtBounce *b, const BtRecord *rec)
{
    g_autoptr(BtRecord) bare = keep_evidence && rec ? bt_record_copy(rec) : without_evidence(rec);
    g_autoptr(GPtrArray) holding = bt_ruleset_rules_holding(rs, b->text, bare);
    for (guint i = 0; i < holding->len; i++)
        printf("%s\t%u\t%s\n", path, b->records->len, (char *) holding->pdata[i]);
    if (!holding->len)
        printf("%s\t%u\n", path, b->records->len);
}

int
main(int argc, char **argv)
{
    g_mime_init();
    const char *srcdir = g_getenv("BT_SRCDIR") ? g_getenv("BT_SRCDIR") : BT_ABS_SRCDIR;
    g_autofree char *rules = g_build_filename(srcdir, "rules", NULL);
    g_autofree char *layouts = g_build_filename(srcdir, "rules", "layouts", NULL);
    const char *rule_dirs[] = { rules, NULL };
    const char *layout_dirs[] = { layouts, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(BtExtractor) ex = bt_extractor_new(layout_dirs, errors, &error);
    g_autoptr(BtRuleSet) rs = ex ? bt_ruleset_load(rule_dirs, errors, &error) : NULL;
    if (!rs) {
        for (guint i = 0; i < errors->len; i++)
            fprintf(stderr, "%s\n", (char *) errors->pdata[i]);
        return 78;
    }
    int first = 1;
    if (argc > 1 && g_strcmp0(argv[1], "--keep-evidence") == 0) {
        keep_evidence = TRUE;   /* try the rules on the records as extracted */
        first = 2;
    }
    for (int a = first; a < argc; a++) {
        const char *paths[] = { argv[a], NULL };
        g_autoptr(BtSource) src = bt_source_new(paths, on_problem, NULL);
        BtMessage *msg;
        while ((msg = bt_source_next(src))) {
            g_autoptr(BtBounce) b = bt_extract(ex, msg);
            bt_message_free(msg);
            if (!b->records->len)
                probe(rs, argv[a], b, NULL);
            for (guint i = 0; i < b->records->len; i++)
                probe(rs, argv[a], b, b->records->pdata[i]);
        }
    }
    g_mime_shutdown();
    return 0;
}
