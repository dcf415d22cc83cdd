/* test-rules — the rules stage: every condition kind, order and first
 * match, overrides from a later directory, interpolation, checks,
 * --explain, the regex limits, the required-literal test in front of each
 * pattern, the rules cache, sisimai's defaults after the verdict, and one
 * broken pack per kind of problem with its exact message
 * (tests/data/rules/).  XDG_CACHE_HOME points to a fresh directory, so the
 * user's cache is never touched. */
#include "rules/rules-private.h"

#include <glib/gstdio.h>
#include <string.h>
#include <utime.h>

static char *
data_dir(const char *name)
{
    const char *src = g_getenv("BT_SRCDIR");
    return g_build_filename(src ? src : BT_ABS_SRCDIR, "tests", "data", "rules", name, NULL);
}

static BtRuleSet *
load_dirs(const char *const *names)
{
    g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; names[i]; i++)
        g_ptr_array_add(dirs, data_dir(names[i]));
    g_ptr_array_add(dirs, NULL);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    BtRuleSet *rs = bt_ruleset_load((const char *const *) dirs->pdata, errors, &error);
    for (guint i = 0; i < errors->len; i++)
        g_printerr("%s\n", (char *) errors->pdata[i]);
    g_assert_no_error(error);
    g_assert_cmpuint(errors->len, ==, 0);
    g_assert_nonnull(rs);
    return rs;
}

static BtRuleSet *
load_one(const char *name)
{
    const char *names[] = { name, NULL };
    return load_dirs(names);
}

/* BtBounce by hand (bt_bounce_free lives in the extract stage). */
static BtBounce *
bounce_new(const char *text)
{
    BtBounce *b = g_new0(BtBounce, 1);
    b->text = g_strdup(text);
    b->records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_record_free);
    return b;
}

static void
bounce_free(BtBounce *b)
{
    g_free(b->text);
    g_ptr_array_unref(b->records);
    g_free(b);
}

static BtRecord *
bounce_add(BtBounce *b)
{
    BtRecord *rec = bt_record_new();
    g_ptr_array_add(b->records, rec);
    return rec;
}

/* Applies `rs` to one record and returns the matching rule id (or NULL). */
static const char *
apply_one(const BtRuleSet *rs, BtBounce *b)
{
    bt_ruleset_apply(rs, b, FALSE);
    return ((BtRecord *) b->records->pdata[0])->rule;
}

/* ---- conditions ------------------------------------------------------------ */

typedef struct {
    const char *listid;
    const char *field;     /* a string field, or "replycode", "hardbounce", "text" */
    const char *yes;       /* a value that matches */
    const char *no;        /* a value that does not; NULL: leave the field unset */
    const char *rule;
} CondCase;

static const CondCase cond_cases[] = {
    { "field-regex", "diagnosticcode", "550 5.1.1 User Unknown here", "550 mailbox full", "c.field-regex" },
    { "field-regex-map", "rhost", "mx1.example.net", "mx1.example.net.evil.org", "c.field-regex-map" },
    { "field-equals", "rhost", "mx.example.com", "mx.example.com.au", "c.field-equals" },
    { "field-in", "command", "data", "MAIL", "c.field-in" },
    { "field-present", "feedbacktype", "abuse", NULL, "c.field-present" },
    { "text", "text", "Hello\nYour message was blocked by policy", "Hello, Your message was blocked", "c.text" },
    { "status-exact", "deliverystatus", "5.7.26", "5.7.261", "c.status-exact" },
    { "status-glob", "deliverystatus", "5.2.22", "5.2", "c.status-glob" },
    { "status-prefix", "deliverystatus", "4.4.7", "5.4.4", "c.status-prefix" },
    { "status-list", "deliverystatus", "5.1.10", "5.1.2", "c.status-list" },
    { "status-map", "deliverystatus", "5.3.4", "4.3.4", "c.status-map" },
    { "reply-exact", "replycode", "552", "550", "c.reply-exact" },
    { "reply-range", "replycode", "451", "453", "c.reply-range" },
    { "reply-list", "replycode", "533", "536", "c.reply-list" },
    { "reply-list", "replycode", "421", "422", "c.reply-list" },
    { "reply-minmax", "replycode", "509", "510", "c.reply-minmax" },
    { "hardbounce", "hardbounce", "true", "false", "c.hardbounce" },
    { "any", "rhost", "mta5.am0.yahoodns.net", "mx.example.org", "c.any" },
    { "any", "rhost", "mx.aol.com", NULL, "c.any" },
    { "not", "rhost", "mx.example.org", "internal.example.org", "c.not" },
};

static BtBounce *
cond_bounce(const CondCase *c, const char *value)
{
    BtBounce *b = bounce_new(strcmp(c->field, "text") == 0 ? value : "");
    BtRecord *rec = bounce_add(b);
    bt_set_str(&rec->listid, c->listid);
    if (!value || strcmp(c->field, "text") == 0)
        return b;
    if (strcmp(c->field, "replycode") == 0)
        rec->replycode = atoi(value);
    else if (strcmp(c->field, "hardbounce") == 0)
        rec->hardbounce = strcmp(value, "true") == 0;
    else
        bt_record_set_string(rec, bt_record_field_lookup(c->field), value);
    return b;
}

static void
test_conditions(void)
{
    g_autoptr(BtRuleSet) rs = load_one("conds");
    for (gsize i = 0; i < G_N_ELEMENTS(cond_cases); i++) {
        const CondCase *c = &cond_cases[i];
        BtBounce *yes = cond_bounce(c, c->yes);
        g_assert_cmpstr(apply_one(rs, yes), ==, c->rule);
        bounce_free(yes);
        BtBounce *no = cond_bounce(c, c->no);
        g_assert_cmpstr(apply_one(rs, no), ==, NULL);
        bounce_free(no);
    }
}

static void
test_absent_and_all(void)
{
    g_autoptr(BtRuleSet) rs = load_one("conds");
    BtBounce *b = bounce_new("");
    BtRecord *rec = bounce_add(b);
    bt_set_str(&rec->listid, "field-absent");
    g_assert_cmpstr(apply_one(rs, b), ==, "c.field-absent");
    bt_set_str(&rec->rhost, "mx.example.org");
    g_assert_cmpstr(apply_one(rs, b), ==, NULL);

    bt_set_str(&rec->listid, "all");
    bt_set_str(&rec->command, "DATA");
    bt_set_str(&rec->diagnosticcode, "554 rejected as SPAM");
    g_assert_cmpstr(apply_one(rs, b), ==, "c.all");
    bt_set_str(&rec->command, "RCPT");
    g_assert_cmpstr(apply_one(rs, b), ==, NULL);
    bounce_free(b);
}

/* ---- order, first match, override ------------------------------------------- */

static const char *
rule_for_diag(const BtRuleSet *rs, const char *diag)
{
    static char id[64];
    BtBounce *b = bounce_new("");
    bt_set_str(&bounce_add(b)->diagnosticcode, diag);
    const char *rule = apply_one(rs, b);
    g_strlcpy(id, rule ? rule : "", sizeof id);
    bounce_free(b);
    return id;
}

static void
test_order(void)
{
    g_autoptr(BtRuleSet) rs = load_one("order");
    g_assert_cmpuint(bt_ruleset_size(rs), ==, 5);
    g_assert_cmpstr(rule_for_diag(rs, "over quota"), ==, "o.quota");      /* order 100 before 200 */
    g_assert_cmpstr(rule_for_diag(rs, "a tie"), ==, "o.tie-c");           /* same order: file name */
    g_assert_cmpstr(rule_for_diag(rs, "something else"), ==, "o.anything");
}

static void
test_override(void)
{
    const char *dirs[] = { "override/base", "override/extra", NULL };
    g_autoptr(BtRuleSet) rs = load_dirs(dirs);
    g_assert_cmpuint(bt_ruleset_size(rs), ==, 3);
    /* the replacement sits where the base rule was: before ov.catchall */
    g_assert_cmpstr(rule_for_diag(rs, "special"), ==, "ov.target");
    g_assert_cmpstr(rule_for_diag(rs, "original"), ==, "ov.catchall");
    g_assert_cmpstr(rule_for_diag(rs, "added"), ==, "ov.catchall");   /* the new rule runs later */

    BtBounce *b = bounce_new("");
    BtRecord *rec = bounce_add(b);
    bt_set_str(&rec->diagnosticcode, "special");
    bt_ruleset_apply(rs, b, FALSE);
    g_assert_cmpstr(rec->reason, ==, "policyviolation");
    g_assert_cmpstr(rec->severity, ==, "low");
    bounce_free(b);
}

/* ---- interpolation, checks, explain ------------------------------------------ */

static void
test_interpolation(void)
{
    g_autoptr(BtRuleSet) rs = load_one("interp");
    BtBounce *b = bounce_new("");
    BtRecord *rec = bounce_add(b);
    bt_set_str(&rec->diagnosticcode, "550 5.7.1 SPF check failed for the sender");
    bt_set_str(&rec->senderdomain, "example.jp");
    bt_set_str(&rec->destination, "example.org");
    bt_set_str(&rec->rhost, "mx.example.org");
    rec->replycode = 550;
    bt_ruleset_apply(rs, b, TRUE);

    g_assert_cmpstr(rec->reason, ==, "authfailure");
    g_assert_cmpstr(rec->rule, ==, "i.spf");
    g_assert_cmpstr(rec->cause_id, ==, "i.spf");
    g_assert_cmpstr(rec->cause_summary, ==, "SPF for example.jp failed at mx.example.org (550)");
    g_assert_cmpuint(rec->remediation->len, ==, 2);
    g_assert_cmpstr(rec->remediation->pdata[0], ==, "Fix the SPF record of example.jp");
    g_assert_cmpstr(rec->remediation->pdata[1], ==, "Send a test message");

    /* resend.domain targets ${alias}, which is unset: skipped */
    g_assert_cmpuint(rec->checks->len, ==, 2);
    BtCheck *spf = rec->checks->pdata[0], *mx = rec->checks->pdata[1];
    g_assert_cmpstr(spf->name, ==, "dns.spf");
    g_assert_cmpstr(spf->target, ==, "example.jp");
    g_assert_cmpint(spf->status, ==, BT_CHECK_SUGGESTED);
    g_assert_cmpstr(g_hash_table_lookup(spf->args, "domain"), ==, "example.jp");
    g_assert_cmpstr(g_hash_table_lookup(spf->args, "include"), ==, "spf.example.net,_spf.example.org");
    g_assert_cmpstr(mx->name, ==, "dns.mx");
    g_assert_cmpstr(mx->target, ==, "example.org");

    g_autofree char *dir = data_dir("interp");
    g_autofree char *file = g_build_filename(dir, "interp.yaml", NULL);
    g_autofree char *want = g_strdup_printf("rule i.spf (%s:3) matched diagnosticcode: «SPF check failed»", file);
    g_assert_cmpstr(rec->explain, ==, want);
    bounce_free(b);
}

static void
test_cause_id_and_no_match(void)
{
    g_autoptr(BtRuleSet) rs = load_one("interp");
    BtBounce *b = bounce_new("");
    BtRecord *rec = bounce_add(b);
    bt_ruleset_apply(rs, b, TRUE);
    g_assert_cmpstr(rec->rule, ==, "i.plain");
    g_assert_cmpstr(rec->cause_id, ==, "custom.cause");
    g_assert_null(rec->cause_summary);
    g_assert_true(g_str_has_prefix(rec->explain, "rule i.plain ("));
    g_assert_nonnull(strstr(rec->explain, ":16) matched; undecided: "));   /* onhold decides nothing */

    /* no rule: extract's hint stays; an unusable hint becomes undefined */
    bt_set_str(&rec->diagnosticcode, "450 mailbox busy");
    bt_set_str(&rec->reason, "mailboxfull");
    bt_ruleset_apply(rs, b, TRUE);
    g_assert_null(rec->rule);
    g_assert_cmpstr(rec->reason, ==, "mailboxfull");
    g_assert_cmpstr(rec->explain, ==, "no rule matched; reason mailboxfull");
    BtRecord *other = bounce_add(b);
    bt_set_str(&other->diagnosticcode, "whatever");
    bt_set_str(&other->reason, "nonsense");
    bt_ruleset_apply(rs, b, FALSE);
    g_assert_cmpstr(other->reason, ==, "undefined");
    g_assert_null(other->explain);
    bounce_free(b);
}

/* ---- quoted replies ------------------------------------------------------------------ */

/* The wrapper's record after the rules: its diagnostic and codes are its
 * own again whatever reply stood in for them. */
static const BtRecord *
apply_wrapped(const BtRuleSet *rs, BtBounce *b, const char *diagnostic)
{
    BtRecord *rec = bounce_add(b);
    bt_set_str(&rec->diagnosticcode, diagnostic);
    bt_set_str(&rec->deliverystatus, "4.4.7");
    rec->replycode = 451;
    bt_ruleset_apply(rs, b, TRUE);
    g_assert_cmpstr(rec->diagnosticcode, ==, diagnostic);
    g_assert_cmpstr(rec->deliverystatus, ==, "4.4.7");
    g_assert_cmpint(rec->replycode, ==, 451);
    return rec;
}

static void
test_quoted(void)
{
    g_autoptr(BtRuleSet) rs = load_one("quoted");
    /* the reply in the diagnostic decides; --explain names both rules */
    BtBounce *b = bounce_new("");
    const BtRecord *rec = apply_wrapped(rs, b, "451 4.4.7 Message expired [Message=450 4.7.1 Client host "
                                        "rejected: cannot find your hostname] [LastAttemptedIP=192.0.2.1]");
    g_assert_cmpstr(rec->rule, ==, "q.ptr");
    g_assert_cmpstr(rec->reason, ==, "requireptr");
    g_assert_true(g_str_has_prefix(rec->explain, "rule q.expired ("));
    g_assert_nonnull(strstr(rec->explain, "; it quotes the reply «450 4.7.1 Client host rejected: cannot find "
                                          "your hostname», which rule q.ptr ("));
    bounce_free(b);

    /* the last reply of the text, with the status it opens with */
    b = bounce_new("returned '450 4.7.1 cannot find your hostname'\nreturned '452 4.3.1 Insufficient system storage'\n");
    g_assert_cmpstr(apply_wrapped(rs, b, "451 4.4.7 Message expired")->rule, ==, "q.full");
    bounce_free(b);

    /* a rule that holds on the codes alone says nothing of the reply; a
     * reading that names no cause, a wrapper first to read it, a guess
     * from one word, or a reply too short to name anything leave the
     * wrapper standing */
    static const struct { const char *text, *diagnostic; } stands[] = {
        { "returned '452 4.2.2 the mailbox is full'", "451 4.4.7 Message expired" },
        { "returned '451 Please try again later'", "451 4.4.7 Message expired" },
        { "returned '451 4.4.7 message expired, cannot find your hostname'", "451 4.4.7 Message expired" },
        { "", "451 4.4.7 Message expired [Message=451]" },
        { "", "451 4.4.7 Message expired" },
        { "returned '451 greylisted as possible spam'", "451 4.4.7 Message expired" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(stands); i++) {
        b = bounce_new(stands[i].text);
        rec = apply_wrapped(rs, b, stands[i].diagnostic);
        g_assert_cmpstr(rec->rule, ==, "q.expired");
        g_assert_cmpstr(rec->reason, ==, "expired");
        g_assert_null(strstr(rec->explain, "it quotes"));
        bounce_free(b);
    }
}

static void
test_quote_codes(void)
{
    static const struct { const char *reply; int code; const char *status; } cases[] = {
        { "450 4.7.1 Client host rejected", 450, "4.7.1" },
        { "451-4.4.0 Primary target", 451, "4.4.0" },
        { "451 5.7.3 Cannot achieve", 451, "5.7.3" },     /* Exchange writes the classes apart */
        { "550 5.1.10 RESOLVER.ADR.RecipientNotFound", 550, "5.1.10" },
        { "4.2.2 mailbox full", 0, "4.2.2" },
        { "550 Message rejected", 550, NULL },
        { "550 5.1.1234 not a status", 550, NULL },
        { "550 5.1.1x", 550, NULL },
        { "5505 5.1.1 no", 0, NULL },
        { "hello", 0, NULL },
        { "", 0, NULL },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        int code;
        g_autofree char *status = NULL;
        bt_quote_codes(cases[i].reply, &code, &status);
        g_assert_cmpint(code, ==, cases[i].code);
        g_assert_cmpstr(status, ==, cases[i].status);
    }
}

/* ---- limits -------------------------------------------------------------------- */

static void
test_regex_limit(void)
{
    g_autoptr(BtRuleSet) rs = load_one("limit");
    g_autofree char *subject = g_strnfill(4000, 'a');
    subject[3999] = 'b';
    g_test_expect_message("bouncetriage", G_LOG_LEVEL_WARNING, "*limit.yaml:5:29: pattern gave up*");
    for (int i = 0; i < 12; i++) {   /* warned once, interpreted and then JIT-compiled */
        BtBounce *b = bounce_new("");
        bt_set_str(&bounce_add(b)->diagnosticcode, subject);
        g_assert_cmpstr(apply_one(rs, b), ==, NULL);
        bounce_free(b);
    }
    g_test_assert_expected_messages();

    BtBounce *b = bounce_new("");
    bt_set_str(&bounce_add(b)->diagnosticcode, "aaaa");
    g_assert_cmpstr(apply_one(rs, b), ==, "l.slow");
    bounce_free(b);
}

/* ---- the required-literal test -------------------------------------------------- */

typedef struct {
    const char *listid;
    const char *field;     /* "diagnosticcode", "rhost" or "text" */
    const char *value;
    const char *rule;      /* NULL: no match */
} PrefilterCase;

static const PrefilterCase prefilter_cases[] = {
    { "caseless", "diagnosticcode", "552 Mailbox is full", "p.caseless" },
    { "caseless", "diagnosticcode", "552 MAILBOX FULL", "p.caseless" },
    { "caseless", "diagnosticcode", "552 mailbox was full", NULL },
    { "caseless", "diagnosticcode", "552 mailboxfull", NULL },
    { "exact-case", "diagnosticcode", "452 Over quota", "p.exact-case" },
    { "exact-case", "diagnosticcode", "452 over quota", NULL },
    { "exact-case", "diagnosticcode", "452 OVER QUOTA", NULL },
    { "kelvin", "diagnosticcode", "550 un\u212Anown user", "p.kelvin" },   /* KELVIN SIGN folds to k */
    { "kelvin", "diagnosticcode", "550 UNKNOWN USER", "p.kelvin" },
    { "kelvin", "diagnosticcode", "550 unknown \u212Aser", NULL },
    { "long-s", "diagnosticcode", "554 \u017Fpam detected", "p.long-s" },   /* LONG S folds to s */
    { "long-s", "diagnosticcode", "554 spam", NULL },
    { "group", "rhost", "MX.GoogleMail.com.", "p.group" },
    { "group", "rhost", "gmail.com", "p.group" },
    { "group", "rhost", "notgmail.com", NULL },
    { "group", "rhost", "mail.example.com", NULL },
    { "text", "text", "Hello,\nThe Account Is Suspended.\n", "p.text" },
    { "text", "text", "Hello,\nthe account was suspended\n", NULL },
};

static void
test_prefilter_verdicts(void)
{
    g_autoptr(BtRuleSet) rs = load_one("prefilter");
    for (gsize i = 0; i < G_N_ELEMENTS(prefilter_cases); i++) {
        const PrefilterCase *c = &prefilter_cases[i];
        gboolean text = strcmp(c->field, "text") == 0;
        BtBounce *b = bounce_new(text ? c->value : "");
        BtRecord *rec = bounce_add(b);
        bt_set_str(&rec->listid, c->listid);
        if (!text)
            bt_record_set_string(rec, bt_record_field_lookup(c->field), c->value);
        g_test_message("%s: %s", c->listid, c->value);
        g_assert_cmpstr(apply_one(rs, b), ==, c->rule);
        bounce_free(b);
    }
}

typedef struct {
    const char *pattern;
    const char *needles;   /* joined with '|'; NULL: nothing required */
    gboolean caseless;
} NeedleCase;

static const NeedleCase needle_cases[] = {
    { "(?i)\\bmailbox (is )?full\\b", "mailbox ", TRUE },
    { "(?i)user (unknown|not found)", "unknown|not found", TRUE },
    { "no such (user|mailbox)|unknown user", "no such |unknown user", FALSE },
    { "(?i)(^|\\.)(google|gmail)\\.com\\.?$", "google|gmail", TRUE },
    { "(?i)\\b(?:LPN|OFR)[0-9]*_?416\\b", "416", TRUE },
    { "(?m)^Your message was blocked", "Your message was blocked", FALSE },
    { "ab+c", "ab", FALSE },
    { "x{0}yz", "yz", FALSE },
    { "quota|", NULL, FALSE },                 /* an empty branch requires nothing */
    { "(?i)^(?!smtp$)", NULL, TRUE },
    { "(?x) a b c", NULL, FALSE },             /* options other than i, m, s, n: give up */
    { "\\x41BC", NULL, FALSE },                /* escapes it does not read: give up */
    { "[)|]abc", "abc", FALSE },
    /* non-ASCII: literal in a case-sensitive pattern; in a caseless one
     * when the lower-case copy folds its case partners, else it ends a run */
    { "caf\u00e9 closed", "caf\u00e9 closed", FALSE },
    { "(?i)CAF\u00c9 closed", "caf\u00e9 closed", TRUE },
    { "(?i)\u0421\u041f\u0410\u041c|\u5783\u573e\u90ae\u4ef6", "\u0441\u043f\u0430\u043c|\u5783\u573e\u90ae\u4ef6", TRUE },
    { "(?i)stra\u00dfe x", "stra", TRUE },       /* ß also matches U+1E9E */
    { "(?i)\u03a3\u03c0\u03b1\u03bc", NULL, TRUE },  /* Greek: not folded */
    /* scripts without case (Hebrew, Arabic) are taken as they are */
    { "(?i)\u05e1\u05d5\u05d2 \u05ea\u05d5\u05db\u05df|\u0645\u062c\u0627\u0632 \u062f\u0627\u0646\u0633\u062a\u0647", "\u05e1\u05d5\u05d2 \u05ea\u05d5\u05db\u05df|\u0645\u062c\u0627\u0632 \u062f\u0627\u0646\u0633\u062a\u0647", TRUE },
};

static void
test_prefilter_needles(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(needle_cases); i++) {
        const NeedleCase *c = &needle_cases[i];
        BtRegex *re = bt_regex_new(c->pattern, "test");
        gboolean caseless = FALSE;
        g_auto(GStrv) needles = bt_regex_needles(re, &caseless);
        g_autofree char *joined = needles ? g_strjoinv("|", needles) : NULL;
        g_test_message("%s", c->pattern);
        g_assert_cmpstr(joined, ==, c->needles);
        if (needles)
            g_assert_cmpint(caseless, ==, c->caseless);
        bt_regex_free(re);
    }
}

/* The candidate index keys a rule on one leaf of its `all:` that must
 * find a literal; of a reply code, an action or a status and the wording,
 * the wording: the codes are in nearly every bounce and would keep the
 * rule in play for all of them.  A rule of codes alone keeps one. */
static void
test_needs_prefer_wording(void)
{
    static const struct {
        const char *rule, *field;
    } cases[] = {
        { "n.reply-then-wording", "diagnosticcode" },
        { "n.action-then-wording", "diagnosticcode" },
        { "n.codes-only", "replycode" },
    };
    g_autoptr(BtRuleSet) rs = load_one("needs");
    gsize n_fields;
    const BtFieldInfo *fields = bt_record_fields(&n_fields);
    g_assert_cmpuint(bt_ruleset_size(rs), ==, G_N_ELEMENTS(cases));
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const BtRule *r = bt_ruleset_rule(rs, i);
        g_assert_nonnull(r);
        g_assert_cmpstr(r->id, ==, cases[i].rule);
        g_autoptr(GArray) needs = g_array_new(FALSE, FALSE, sizeof(BtCondNeed));
        g_assert_true(bt_cond_needs(r->when, needs));
        g_assert_cmpuint(needs->len, ==, 1);
        const BtCondNeed *need = &g_array_index(needs, BtCondNeed, 0);
        g_assert_cmpint(need->kind, ==, BT_NEED_FIELD);
        g_assert_cmpuint(need->field_index, <, n_fields);
        g_assert_cmpstr(fields[need->field_index].name, ==, cases[i].field);
    }
}

/* The filtered search agrees with a plain PCRE2 match on every pattern of
 * the shipped packs, over subjects that hold and lack their literals. */
static void
test_prefilter_agrees(void)
{
    static const char *const subjects[] = {
        "550 5.1.1 <user@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
        "552 5.2.2 Mailbox full; quota exceeded (MAILBOX IS FULL)",
        "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
        "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume",
        "550 5.7.26 Unauthenticated email from example.com is not accepted due to DMARC policy",
        "mx.google.com", "gmail-smtp-in.l.google.com.", "mta7.am0.yahoodns.net", "example.org",
        "550 un\u212Anown user; \u017Fpam detected; mailbox unavailable", "", "5.1.1", "smtp",
        /* capitals, and the letters caseless matching equates with others */
        "550 \u041F\u041E\u041B\u042C\u0417\u041E\u0412\u0410\u0422\u0415\u041B\u042C \u041D\u0415 "
        "\u041D\u0410\u0419\u0414\u0415\u041D; \u0421\u041B\u0418\u0428\u041A\u041E\u041C \u041C\u041D\u041E\u0413\u041E "
        "\u041F\u0418\u0421\u0415\u041C; \u041E\u0411\u041D\u0410\u0420\u0423\u0416\u0415\u041D \u0412\u0418\u0420\u0423\u0421",
        "552 \u043f\u0440\u0435\u0432\u044b\u0448\u0435\u043d\u0430 \u043a\u0432\u043e\u0442\u0430; "
        "\u0441\u043b\u0438\u0448\u043a\u043e\u043c \u043c\u043d\u043e\u0433\u043e \u043f\u0438\u0441\u0435\u043c",
        "554 \u1C83\u043f\u0430\u043c; \u0441\u043b\u0438\u0448\u043a\u1C82\u043c \u043c\u043d\u1C82\u0433\u1C82 \u043f\u0438\u1C83\u0435\u043c",
        "550 BO\u00CETE PLEINE; DESTINATAIRE INCONNU; CONSID\u00C9R\u00C9 COMME SPAM; QUOTA \u00DCBERSCHRITTEN",
        "550 5.7.1 \u5783\u573e\u90ae\u4ef6; \u8ff7\u60d1\u30e1\u30fc\u30eb; \u7528\u6237\u4e0d\u5b58\u5728",
        "550 Stra\u1E9Ee; \u212Bngstr\u00F6m; \u0178; \u00B5",
        /* the Hebrew and Persian refusals of generic.policyviolation.list-mime-type */
        "550 \u05e1\u05d5\u05d2 \u05ea\u05d5\u05db\u05df \u05d4\u05d5\u05d3\u05e2\u05d4 \u05d6\u05d5 \u05dc\u05d0 \u05d4\u05d5\u05ea\u05e8 \u05d1\u05de\u05e4\u05d5\u05e8\u05e9",
        "554 \u0646\u0648\u0639 \u0645\u062d\u062a\u0648\u0627\u06cc \u0627\u06cc\u0646 \u067e\u06cc\u0627\u0645 \u0635\u0631\u06cc\u062d\u0627 \u0645\u062c\u0627\u0632 \u062f\u0627\u0646\u0633\u062a\u0647 \u0646\u0634\u062f\u0647 \u0627\u0633\u062a",
    };
    const char *src = g_getenv("BT_SRCDIR");
    g_autofree char *dir = g_build_filename(src ? src : BT_ABS_SRCDIR, "rules", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    /* deliverystatus is left out: its string is a status pattern ('5.7.*',
     * '*.0.*'), not a regex; a regex for it is written {regex: ...} */
    g_autoptr(GRegex) quoted = g_regex_new("(?:diagnosticcode|rhost|destination|text|regex|lhost|"
                                           "command|reason|feedbacktype|action|smtpagent|"
                                           "listid|senderdomain|recipient|addresser|subject|messageid): "
                                           "'((?:[^']|'')+)'", 0, 0, NULL);
    guint patterns = 0;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (!g_str_has_suffix(name, ".yaml"))
            continue;
        g_autofree char *file = g_build_filename(dir, name, NULL);
        g_autofree char *yaml = NULL;
        g_assert_true(g_file_get_contents(file, &yaml, NULL, NULL));
        g_autoptr(GMatchInfo) mi = NULL;
        g_regex_match(quoted, yaml, 0, &mi);
        for (; g_match_info_matches(mi); g_match_info_next(mi, NULL)) {
            g_autofree char *raw = g_match_info_fetch(mi, 1);
            g_auto(GStrv) parts = g_strsplit(raw, "''", -1);
            g_autofree char *pattern = g_strjoinv("'", parts);
            BtRegex *re = bt_regex_new(pattern, file);
            for (gsize i = 0; i < G_N_ELEMENTS(subjects); i++) {
                gsize s1 = 0, e1 = 0, s2 = 0, e2 = 0;
                gboolean plain = bt_regex_match(re, subjects[i], strlen(subjects[i]), &s1, &e1);
                BtSubject subj;
                bt_subject_init(&subj);
                bt_subject_set(&subj, subjects[i], strlen(subjects[i]));
                gboolean filtered = bt_regex_search(re, &subj, &s2, &e2);
                bt_subject_free(&subj);
                if (plain != filtered)
                    g_error("%s: /%s/ on «%s»: plain %d, filtered %d", name, pattern, subjects[i],
                            plain, filtered);
                g_assert_cmpuint(s1, ==, s2);
                g_assert_cmpuint(e1, ==, e2);
            }
            bt_regex_free(re);
            patterns++;
        }
    }
    g_assert_cmpuint(patterns, >, 100);
}

/* ---- the rules cache --------------------------------------------------------------- */

static void
remove_tree(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *sub = g_build_filename(path, name, NULL);
        remove_tree(sub);
    }
    g_remove(path);
}

/* A copy of a test pack directory in a fresh directory, to be edited. */
static char *
copy_pack_dir(const char *name, const char *pack)
{
    g_autofree char *dir = g_dir_make_tmp("bt-rules-XXXXXX", NULL);
    g_autofree char *from_dir = data_dir(name);
    g_autofree char *from = g_build_filename(from_dir, pack, NULL);
    g_autofree char *to = g_build_filename(dir, pack, NULL);
    g_autofree char *text = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(from, &text, &len, NULL));
    g_assert_true(g_file_set_contents(to, text, len, NULL));
    return g_steal_pointer(&dir);
}

static BtRuleSet *
load_path(const char *dir)
{
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    BtRuleSet *rs = bt_ruleset_load(dirs, errors, NULL);
    g_assert_cmpuint(errors->len, ==, 0);
    g_assert_nonnull(rs);
    return rs;
}

static const char *
verdict_for(const BtRuleSet *rs, const char *listid, const char *diag)
{
    static char rule[64];
    BtBounce *b = bounce_new("");
    BtRecord *rec = bounce_add(b);
    bt_set_str(&rec->listid, listid);
    bt_set_str(&rec->diagnosticcode, diag);
    const char *id = apply_one(rs, b);
    g_strlcpy(rule, id ? id : "", sizeof rule);
    bounce_free(b);
    return rule;
}

static void
test_cache_used_and_equal(void)
{
    g_autofree char *dir = copy_pack_dir("conds", "conds.yaml");
    g_autoptr(BtRuleSet) first = load_path(dir);
    g_assert_false(first->from_cache);
    g_autoptr(BtRuleSet) second = load_path(dir);
    g_assert_true(second->from_cache);
    g_assert_cmpuint(bt_ruleset_size(first), ==, bt_ruleset_size(second));
    for (gsize i = 0; i < G_N_ELEMENTS(cond_cases); i++) {
        const CondCase *c = &cond_cases[i];
        BtBounce *yes = cond_bounce(c, c->yes);
        g_assert_cmpstr(apply_one(second, yes), ==, c->rule);
        bounce_free(yes);
    }
    remove_tree(dir);
}

/* Same size, same modification time, one byte different: the cache must
 * not be used. */
static void
test_cache_changed_file(void)
{
    g_autofree char *dir = copy_pack_dir("prefilter", "prefilter.yaml");
    g_autofree char *file = g_build_filename(dir, "prefilter.yaml", NULL);
    g_autoptr(BtRuleSet) before = load_path(dir);
    g_assert_cmpstr(verdict_for(before, "exact-case", "452 Over quota"), ==, "p.exact-case");
    GStatBuf st;
    g_assert_cmpint(g_stat(file, &st), ==, 0);
    g_autofree char *text = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(file, &text, &len, NULL));
    char *word = strstr(text, "Over quota");
    g_assert_nonnull(word);
    memcpy(word, "Over limit", strlen("Over limit"));
    g_assert_true(g_file_set_contents(file, text, len, NULL));
    struct utimbuf times = { st.st_atime, st.st_mtime };
    g_assert_cmpint(g_utime(file, &times), ==, 0);

    g_autoptr(BtRuleSet) after = load_path(dir);
    g_assert_false(after->from_cache);
    g_assert_cmpstr(verdict_for(after, "exact-case", "452 Over quota"), ==, "");
    g_assert_cmpstr(verdict_for(after, "exact-case", "452 Over limit"), ==, "p.exact-case");
    remove_tree(dir);
}

/* Every file of the cache directory, truncated or overwritten. */
static void
damage_cache(gboolean truncate)
{
    g_autofree char *dir = g_build_filename(g_getenv("XDG_CACHE_HOME"), "bouncetriage", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    const char *name;
    while ((name = g_dir_read_name(d))) {
        g_autofree char *file = g_build_filename(dir, name, NULL);
        g_autofree char *text = NULL;
        gsize len;
        g_assert_true(g_file_get_contents(file, &text, &len, NULL));
        if (truncate)
            len = len * 2 / 3;
        else
            memset(text + len / 2, 0xff, len / 4);
        g_assert_true(g_file_set_contents(file, text, len, NULL));
    }
}

/* A damaged entry is refused at load when the damage is in its index,
 * or else when the damaged document is first used, which then parses the
 * pack and rewrites the entry: the verdicts are right either way, and
 * the next load uses a good entry. */
static void
test_cache_damaged(void)
{
    g_autofree char *dir = copy_pack_dir("prefilter", "prefilter.yaml");
    for (int truncate = 0; truncate <= 1; truncate++) {
        g_autoptr(BtRuleSet) fresh = load_path(dir);
        damage_cache(truncate);
        g_autoptr(BtRuleSet) again = load_path(dir);
        g_assert_cmpstr(verdict_for(again, "caseless", "mailbox full"), ==, "p.caseless");
        g_assert_true(!again->from_cache || again->entry->rewritten);
        g_autoptr(BtRuleSet) rewritten = load_path(dir);
        g_assert_true(rewritten->from_cache);
        g_assert_cmpstr(verdict_for(rewritten, "caseless", "mailbox full"), ==, "p.caseless");
        g_assert_false(rewritten->entry->rewritten);
    }
    remove_tree(dir);
}

/* A cache directory that cannot be created: the rules load all the same. */
static void
test_cache_unwritable(void)
{
    g_autofree char *saved = g_strdup(g_getenv("XDG_CACHE_HOME"));
    g_autofree char *blocker = g_build_filename(saved, "a-file", NULL);
    g_assert_true(g_file_set_contents(blocker, "", 0, NULL));
    g_setenv("XDG_CACHE_HOME", blocker, TRUE);
    g_autofree char *dir = copy_pack_dir("prefilter", "prefilter.yaml");
    for (int i = 0; i < 2; i++) {
        g_autoptr(BtRuleSet) rs = load_path(dir);
        g_assert_false(rs->from_cache);
        g_assert_cmpstr(verdict_for(rs, "caseless", "mailbox full"), ==, "p.caseless");
    }
    g_setenv("XDG_CACHE_HOME", saved, TRUE);
    remove_tree(dir);
}

/* ---- defaults after the verdict ------------------------------------------------- */

static BtRecord *
finish(const BtRuleSet *rs, BtBounce *b, const char *diag, const char *status, int reply)
{
    BtRecord *rec = b->records->pdata[0];
    bt_set_str(&rec->diagnosticcode, diag);
    bt_set_str(&rec->deliverystatus, status);
    bt_set_str(&rec->action, NULL);
    rec->replycode = reply;
    rec->hardbounce = FALSE;
    bt_ruleset_apply(rs, b, FALSE);
    return rec;
}

static void
test_defaults(void)
{
    g_autoptr(BtRuleSet) rs = load_one("defaults");
    BtBounce *b = bounce_new("");
    bounce_add(b);

    BtRecord *rec = finish(rs, b, "nouser", NULL, 0);
    g_assert_cmpstr(rec->deliverystatus, ==, "5.0.911");
    g_assert_true(rec->hardbounce);
    g_assert_cmpstr(rec->severity, ==, "medium");
    g_assert_cmpstr(rec->action, ==, "failed");

    rec = finish(rs, b, "550 nouser here", "5.1.1", 550);
    g_assert_cmpstr(rec->deliverystatus, ==, "5.1.1");
    g_assert_true(rec->hardbounce);

    rec = finish(rs, b, "mailbox full", NULL, 0);
    g_assert_cmpstr(rec->deliverystatus, ==, "5.0.922");
    g_assert_false(rec->hardbounce);
    rec = finish(rs, b, "452 mailbox full, try again", NULL, 452);
    g_assert_cmpstr(rec->deliverystatus, ==, "4.0.922");
    g_assert_cmpint(rec->replycode, ==, 452);

    rec = finish(rs, b, "expired in queue", NULL, 0);
    g_assert_cmpstr(rec->deliverystatus, ==, "5.0.947");
    g_assert_cmpstr(rec->action, ==, "delayed");
    g_assert_cmpstr(rec->severity, ==, "low");
    rec = finish(rs, b, "expired: 421 temporary failure", NULL, 0);
    g_assert_cmpstr(rec->deliverystatus, ==, "4.0.947");
    g_assert_cmpint(rec->replycode, ==, 421);

    rec = finish(rs, b, "filtered", NULL, 0);
    g_assert_cmpstr(rec->deliverystatus, ==, "5.0.910");
    rec = finish(rs, b, "filtered, temporary", NULL, 0);
    g_assert_cmpstr(rec->deliverystatus, ==, "4.0.924");

    /* notaccept is hard only when permanent */
    rec = finish(rs, b, "noaccept", NULL, 0);
    g_assert_true(rec->hardbounce);
    g_assert_cmpstr(rec->deliverystatus, ==, "5.0.932");
    rec = finish(rs, b, "noaccept for now", "4.3.2", 0);
    g_assert_false(rec->hardbounce);
    g_assert_cmpstr(rec->deliverystatus, ==, "4.3.2");

    /* vacation: soft, no reply code, no pseudo status */
    rec = finish(rs, b, "on vacation", NULL, 250);
    g_assert_false(rec->hardbounce);
    g_assert_cmpint(rec->replycode, ==, 0);
    g_assert_null(rec->deliverystatus);
    g_assert_cmpstr(rec->severity, ==, "low");

    /* a reply code of another class than the status is dropped */
    rec = finish(rs, b, "nouser", "5.1.1", 421);
    g_assert_cmpint(rec->replycode, ==, 0);

    /* the catch-all `when: {}` */
    rec = finish(rs, b, "zzz", NULL, 0);
    g_assert_cmpstr(rec->rule, ==, "d.catchall");
    g_assert_cmpstr(rec->deliverystatus, ==, "5.0.900");
    g_assert_false(rec->hardbounce);

    /* a pseudo code extract stated for its reason hint stays, though the
     * rule gives another reason (sisimai's Exim decoder does the same) */
    rec = finish(rs, b, "full after MAIL FROM", "5.0.901", 550);
    g_assert_cmpstr(rec->reason, ==, "mailboxfull");
    g_assert_cmpstr(rec->deliverystatus, ==, "5.0.901");
    g_assert_cmpint(rec->replycode, ==, 550);
    g_assert_cmpstr(bt_status_pseudo("onhold", TRUE), ==, "4.0.901");
    g_assert_null(bt_status_pseudo("hostunknown", TRUE));
    g_assert_null(bt_status_pseudo("vacation", FALSE));

    /* explicit values win over the defaults */
    rec = finish(rs, b, "explicit", "5.1.1", 550);
    g_assert_false(rec->hardbounce);
    g_assert_cmpstr(rec->severity, ==, "high");

    /* a delay notice is never a hard bounce, whatever the words say: the
     * MTA is still trying */
    BtRecord *delayed = b->records->pdata[0];
    bt_set_str(&delayed->diagnosticcode, "550 5.1.1 nouser here");
    bt_set_str(&delayed->deliverystatus, "5.1.1");
    bt_set_str(&delayed->action, "delayed");
    delayed->replycode = 550;
    bt_ruleset_apply(rs, b, FALSE);
    g_assert_cmpstr(delayed->reason, ==, "userunknown");
    g_assert_cmpstr(delayed->action, ==, "delayed");
    g_assert_false(delayed->hardbounce);
    bounce_free(b);
}

/* ---- broken packs ------------------------------------------------------------------ */

static void
test_broken(gconstpointer data)
{
    const char *kind = data;
    g_autofree char *name = g_build_filename("broken", kind, NULL);
    g_autofree char *dir = data_dir(name);
    g_autofree char *expected_file = g_build_filename(dir, "expected.txt", NULL);
    g_autofree char *expected = NULL;
    g_assert_true(g_file_get_contents(expected_file, &expected, NULL, NULL));
    g_autoptr(GString) want = g_string_new(expected);
    g_string_replace(want, "@DIR@", dir, 0);

    const char *dirs[] = { dir, NULL };
    for (int run = 0; run < 2; run++) {     /* a broken set is never cached: the same problems again */
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;
        BtRuleSet *rs = bt_ruleset_load(dirs, errors, &error);
        g_assert_null(rs);
        g_assert_error(error, BT_ERROR, BT_ERROR_CONFIG);
        g_autoptr(GString) got = g_string_new(NULL);
        for (guint i = 0; i < errors->len; i++)
            g_string_append_printf(got, "%s\n", (char *) errors->pdata[i]);
        g_assert_cmpstr(got->str, ==, want->str);
    }
}

/* ---- vocabulary, threads, shipped packs --------------------------------------------- */

static void
test_vocabulary(void)
{
    g_assert_true(bt_reason_is_valid("userunknown"));
    g_assert_true(bt_reason_is_valid("emptyaddress"));
    g_assert_false(bt_reason_is_valid("UserUnknown"));
    g_assert_false(bt_reason_is_valid(NULL));
    g_assert_true(bt_check_name_is_valid("dns.dmarc"));
    g_assert_true(bt_check_name_is_valid("resend.domain"));
    g_assert_false(bt_check_name_is_valid("dns.txt"));
}

static gpointer
apply_many(gpointer rs)
{
    for (int i = 0; i < 2000; i++) {
        BtBounce *b = bounce_new("");
        BtRecord *rec = bounce_add(b);
        bt_set_str(&rec->listid, "field-regex");
        bt_set_str(&rec->diagnosticcode, i % 2 ? "user unknown" : "no such thing");
        const char *rule = apply_one(rs, b);
        gboolean ok = g_strcmp0(rule, i % 2 ? "c.field-regex" : NULL) == 0;
        bounce_free(b);
        if (!ok)
            return GINT_TO_POINTER(1);
    }
    return NULL;
}

static void
test_threads(void)
{
    g_autoptr(BtRuleSet) rs = load_one("conds");
    GThread *threads[4];
    for (int i = 0; i < 4; i++)
        threads[i] = g_thread_new("apply", apply_many, rs);
    for (int i = 0; i < 4; i++)
        g_assert_null(g_thread_join(threads[i]));
}

static void
test_shipped_packs(void)
{
    const char *src = g_getenv("BT_SRCDIR");
    g_autofree char *dir = g_build_filename(src ? src : BT_ABS_SRCDIR, "rules", NULL);
    const char *dirs[] = { dir, NULL };
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(BtRuleSet) rs = bt_ruleset_load(dirs, errors, &error);
    for (guint i = 0; i < errors->len; i++)
        g_test_message("%s", (char *) errors->pdata[i]);
    g_assert_no_error(error);
    g_assert_cmpuint(bt_ruleset_size(rs), >, 0);
}

int
main(int argc, char **argv)
{
    static const char *broken[] = {
        "syntax", "unknown-key", "wrong-type", "missing-reason", "bad-regex", "unknown-field",
        "unknown-reason", "unknown-check", "bad-severity", "duplicate-id", "bad-reply-range", "unknown-interp",
        "bad-quoted",
    };
    g_test_init(&argc, &argv, NULL);
    g_autofree char *cache = g_dir_make_tmp("bt-cache-XXXXXX", NULL);
    g_setenv("XDG_CACHE_HOME", cache, TRUE);
    g_test_add_func("/rules/conditions", test_conditions);
    g_test_add_func("/rules/absent-and-all", test_absent_and_all);
    g_test_add_func("/rules/order", test_order);
    g_test_add_func("/rules/override", test_override);
    g_test_add_func("/rules/interpolation", test_interpolation);
    g_test_add_func("/rules/cause-id-and-no-match", test_cause_id_and_no_match);
    g_test_add_func("/rules/quoted", test_quoted);
    g_test_add_func("/rules/quoted/codes", test_quote_codes);
    g_test_add_func("/rules/regex-limit", test_regex_limit);
    g_test_add_func("/rules/prefilter/verdicts", test_prefilter_verdicts);
    g_test_add_func("/rules/prefilter/needles", test_prefilter_needles);
    g_test_add_func("/rules/prefilter/needs-prefer-wording", test_needs_prefer_wording);
    g_test_add_func("/rules/prefilter/agrees", test_prefilter_agrees);
    g_test_add_func("/rules/cache/used-and-equal", test_cache_used_and_equal);
    g_test_add_func("/rules/cache/changed-file", test_cache_changed_file);
    g_test_add_func("/rules/cache/damaged", test_cache_damaged);
    g_test_add_func("/rules/cache/unwritable", test_cache_unwritable);
    g_test_add_func("/rules/defaults", test_defaults);
    for (gsize i = 0; i < G_N_ELEMENTS(broken); i++) {
        g_autofree char *path = g_strdup_printf("/rules/broken/%s", broken[i]);
        g_test_add_data_func(path, broken[i], test_broken);
    }
    g_test_add_func("/rules/vocabulary", test_vocabulary);
    g_test_add_func("/rules/threads", test_threads);
    g_test_add_func("/rules/shipped-packs", test_shipped_packs);
    int status = g_test_run();
    remove_tree(cache);
    return status;
}
