/* rules-private — the types the rules stage shares between its files:
 * the loading context that collects "file:line:col: message" problems, the
 * compiled regex, conditions, ${field} templates and rules.  Nothing here
 * is visible outside src/rules. */
#pragma once

#include "rules/rules.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "core/acscan.h"
#include "core/lazyjit.h"
#include "rules/yamlnode.h"

/* ---- loading: BtLoadCtx and the YAML accessors (yamlnode.h) ----------- */

/* ---- regular expressions ------------------------------------------------ */

/* A literal every match of some pattern may contain, with the hashes of its
 * first byte pairs for a quick test (see BtSubject). */
typedef struct {
    char *text;
    gsize len;
    guint n_pairs;
    guint16 pairs[24];
    guint16 rare[2];            /* two of `pairs` made of the least common letters (or the one
                                 * pair twice): the ones most likely to be missing */
} BtNeedle;

/* Patterns with at most this many needles keep two pairs of each in the
 * BtRegex itself (`quick_inline`), so that most literal tests end without
 * reading the needle array; others keep them in an array of their own,
 * 4 bytes a needle where the needle array takes 72. */
#define BT_QUICK_NEEDLES 4

typedef struct {
    /* What every literal test reads comes first, within 64 bytes: a rule
     * set's BtRegex are far apart in memory and each test of one used to
     * miss the cache twice, on the struct and on its needle array. */
    gint needles_ready;         /* atomic: the needles, `quick` and `odd_fold` are worked out
                                 * (on first use) */
    guint n_needles;
    gboolean caseless;          /* the needles are lower case and compared ignoring ASCII case */
    gboolean odd_fold;          /* a caseless needle holds k or s, which also match U+212A, U+017F,
                                 * or Cyrillic, whose в д о с т ъ also match U+1C80-U+1C86 */
    BtNeedle *needles;          /* every match contains one of them; NULL: nothing known */
    gconstpointer text_owner;   /* the rule index whose whole-text automaton holds the
                                 * needles (bt_regex_index_text); NULL: none */
    guint16 *quick;             /* each needle's `rare` pairs: `quick_inline` or owned */
    guint n_quick;              /* needles in `quick`: all of them, or 0 (no quick test) */
    guint16 quick_inline[2 * BT_QUICK_NEEDLES];
    char *pattern;
    pcre2_code *code;           /* atomic: interpreted, never JIT-compiled, so always safe to share;
                                 * NULL until first use when the pattern was validated earlier */
    BtLazyJit lazy;             /* the JIT-compiled copy, once the pattern has earned it */
    char *where;                /* "file:line:col", for the limit warning */
    gint warned;                /* atomic: the limit warning is printed once */
    gint passes;                /* atomic: subjects that passed the literal test */
    gint branches_ready;        /* atomic: `branches` is worked out */
    GPtrArray *branches;        /* BtRegex*: the top-level branches, each prefiltered and run
                                 * on its own once the pattern passes its literal test
                                 * often; NULL: run whole */
    guint *text_ids;            /* per needle: its id in that automaton */
} BtRegex;

/* A text a pattern is tried on, with what the literal test derives from it
 * once however many patterns look at it. */
#define BT_SUBJECT_PAIR_BITS 4096
typedef struct {
    const char *str;            /* NULL: unset */
    gsize len;
    gboolean prepared;          /* the rest describes str */
    int odd_fold;               /* str holds U+212A, U+017F or U+1C80-1C88; -1: not looked yet */
    gboolean non_ascii;         /* str holds a byte above 0x7F */
    char *lower;                /* lower-case copy: ASCII, Latin-1 and basic Cyrillic letters
                                 * (a buffer kept from subject to subject) */
    gsize lower_size;
    char *plain;                /* str with typographic quotes made ASCII, when it had any; owned */
    gboolean paired;            /* prepared, and `pairs` describes it too */
    const BtAcScan *scan;       /* the whole text: the rule index's automaton of the needles
                                 * of the text regexes (bt_subject_use_scan); NULL: none */
    gconstpointer scan_owner;   /* that index */
    guint64 *scan_present;      /* what scanning the lower-case copy found (caller's buffer) */
    gboolean scanned;           /* prepared, and `scan_present` describes it */
    guint64 pairs[BT_SUBJECT_PAIR_BITS / 64];   /* hashed byte pairs of str, in lower case */
} BtSubject;

void bt_subject_init(BtSubject *subj);     /* unset, owning no buffer */
/* Patterns see typographic quotes (U+2018/2019/201B/2032 and U+201C/201D)
 * as ASCII ' and ", so "wasn't" in a rule matches the "wasn’t" that
 * Exchange and Gmail print. */
void bt_subject_set(BtSubject *subj, const char *str, gsize len);
void bt_subject_free(BtSubject *subj);     /* its buffer; the subject is unset again */

/* Compiles the pattern held by `node` (a string scalar); reports a bad
 * pattern at the column of the offending character when it can. */
BtRegex *bt_regex_compile(BtLoadCtx *ctx, const yaml_node_t *node, const char *pattern);
/* A pattern already known to compile (e.g. from the rules cache): it is
 * compiled on first use. */
BtRegex *bt_regex_new(const char *pattern, const char *where);
/* TRUE on a match; [*start, *end) is the matched span.  A pattern that hits
 * a PCRE2 limit warns once and does not match. */
gboolean bt_regex_match(BtRegex *re, const char *subject, gsize len, gsize *start, gsize *end);
/* The same from byte `from` on (lookbehinds still see what is before). */
gboolean bt_regex_match_from(BtRegex *re, const char *subject, gsize len, gsize from, gsize *start, gsize *end);
/* The same on a subject, after the required-literal test. */
gboolean bt_regex_search(BtRegex *re, BtSubject *subj, gsize *start, gsize *end);
/* For tests: the literals one of which every match contains (NULL: none known). */
GStrv bt_regex_needles(BtRegex *re, gboolean *caseless);
/* Adds the needles of a pattern that reads the whole bounce text to `ac`,
 * the automaton of index `owner` (before bt_ac_build): a subject that
 * uses that scan (bt_subject_use_scan) is then tested by one scan for
 * all such patterns instead of its byte pairs and a search per needle.
 * FALSE (nothing added) when the pattern keeps its own test: no needles,
 * another index's, or a needle whose bytes the lower-case copy could
 * change at its ends. */
gboolean bt_regex_index_text(BtRegex *re, BtAcScan *ac, gconstpointer owner);
/* The whole text is tested through `ac` of index `owner`; `present` holds
 * (bt_ac_count + 63) / 64 words and outlives the subject's use. */
void bt_subject_use_scan(BtSubject *subj, const BtAcScan *ac, gconstpointer owner, guint64 *present);
/* Splits the pattern into its branches now, not once it has earned it (tests). */
void bt_regex_split_now(BtRegex *re);
void bt_regex_free(BtRegex *re);
/* Moves a pattern not yet used into `into` (sizeof(BtRegex) bytes, e.g. a
 * packed condition's block); the copy is released by bt_regex_clear. */
BtRegex *bt_regex_move(BtRegex *re, void *into);
void bt_regex_clear(BtRegex *re);
/* For the candidate index (candidates.c): whether the literal test can
 * rule the pattern out; its literals, folded as a subject's lower-case
 * copy is; that copy, prepared if need be, and whether the subject holds
 * a character that caseless matching equates with a literal's letter in
 * a way the copy does not show (then no literal test is safe). */
gboolean bt_regex_has_literals(BtRegex *re);
void bt_regex_each_literal(BtRegex *re, void (*fn)(const char *folded, gsize len, gpointer data), gpointer data);
const char *bt_subject_lower(BtSubject *subj, gboolean *odd_fold);
/* Does the subject hold a byte above 0x7F?  (Prepares it.) */
gboolean bt_subject_non_ascii(BtSubject *subj);

/* ---- conditions --------------------------------------------------------- */

typedef struct _BtCond BtCond;

/* What a successful leaf matched, for --explain. */
typedef struct {
    const char *field;          /* NULL: nothing noted yet */
    const char *subject;
    gsize start, end;
    char buf[32];               /* rendering of a numeric field */
    gboolean read_diagnostic;   /* a pattern or word of the record's diagnostic held */
} BtMatchNote;

/* What the conditions of one record look at: the record's fields and the
 * whole bounce text as subjects, each set up on first use and shared by
 * every rule tried on the record. */
typedef struct {
    BtSubject subj;
    gboolean ready;
    char buf[32];               /* rendering of a numeric field */
} BtFieldSubject;

typedef struct {
    const BtRecord *rec;
    BtSubject *text;            /* str NULL: no text */
    const char *headers;        /* the bounce's header and report for `header` (BtBounce); may be NULL */
    const char *dsn;
    GHashTable *header_values;  /* field name → HeaderValue, for the current record */
    BtFieldSubject *fields;     /* bt_record_fields() order */
    gsize n_fields;
} BtMatchInput;

BtMatchInput *bt_match_input_new(BtSubject *text);
/* The input for the records of `bounce`: `text` (the caller's, freed by
 * it after the input) is set to the bounce's text; headers and the
 * delivery-status part are the bounce's. */
BtMatchInput *bt_match_input_for_bounce(BtSubject *text, const BtBounce *bounce);
void bt_match_input_set_record(BtMatchInput *in, const BtRecord *rec);
void bt_match_input_free(BtMatchInput *in);

/* header.c: the value of field `name` for `recipient`: its group of the
 * delivery-status report, the report's per-message group, or the bounce's
 * header, the first that has it; NULL when none does. */
char *bt_header_lookup(const char *headers, const char *dsn, const char *recipient, const char *name);

BtCond *bt_cond_parse(BtLoadCtx *ctx, const yaml_node_t *node);
gboolean bt_cond_match(const BtCond *cond, BtMatchInput *in, BtMatchNote *note);
void bt_cond_free(BtCond *cond);
/* What a condition needs of the texts it reads: leaves one of which
 * finds one of its literals in its own subject whenever the condition
 * holds: a regex's literal test, a status code's digits ('5.7.1' for
 * 5.7.1, 5.7.* and '5.7.'), a reply range's leading digits, an `equals`
 * or `in` word.  FALSE when no such list is known (e.g. under `not`, or a
 * leaf without literals); `out` is then unchanged. */
typedef enum { BT_NEED_TEXT, BT_NEED_FIELD, BT_NEED_HEADER } BtNeedKind;
typedef struct {
    BtNeedKind kind;
    gsize field_index;          /* BT_NEED_FIELD: bt_record_fields() order */
    const char *header;         /* BT_NEED_HEADER: the field's name, the condition's own copy */
    const BtCond *leaf;
    BtRegex *re;                /* a regex leaf's: its needles are the literals */
    gboolean words;             /* an `equals` or `in` leaf (ASCII words): the value, when
                                 * ASCII, is one of them in some case; a value with other
                                 * bytes may equal one only under Unicode case folding */
} BtCondNeed;
gboolean bt_cond_needs(const BtCond *cond, GArray *out);
/* Calls `fn` on each literal of `need`, folded as a subject's lower-case
 * copy is (bt_subject_lower), one of which the leaf's subject holds
 * whenever the leaf holds (for a `words` need: whenever the subject is
 * ASCII). */
void bt_cond_need_each_literal(const BtCondNeed *need,
                               void (*fn)(const char *folded, gsize len, gpointer data), gpointer data);
/* The subjects the conditions read for the current record (set up on
 * first use; `name` must outlive the input). */
BtSubject *bt_match_input_field(BtMatchInput *in, gsize field_index);
BtSubject *bt_match_input_header(BtMatchInput *in, const char *name);

/* Calls `fn` on every regex of the condition tree (for tests). */
void bt_cond_each_regex(const BtCond *cond, void (*fn)(BtRegex *re, gpointer data), gpointer data);
/* Calls `fn` on the regex of every leaf that reads the whole bounce text. */
void bt_cond_each_text_regex(const BtCond *cond, void (*fn)(BtRegex *re, gpointer data), gpointer data);

/* ---- ${field} templates ------------------------------------------------- */

typedef struct _BtTemplate BtTemplate;

BtTemplate *bt_template_parse(BtLoadCtx *ctx, const yaml_node_t *node);          /* a string scalar */
BtTemplate *bt_template_parse_text(BtLoadCtx *ctx, const yaml_node_t *node, const char *text);
char *bt_template_render(const BtTemplate *tpl, const BtRecord *rec);
void bt_template_free(BtTemplate *tpl);

/* ---- rules -------------------------------------------------------------- */

typedef struct {
    char *name;
    BtTemplate *domain;         /* becomes the check's target */
    GPtrArray *arg_names;       /* char*, parallel to arg_values */
    GPtrArray *arg_values;      /* BtTemplate* */
} BtCheckSpec;

/* What replacing a rules cache entry found damaged needs (load.c). */
typedef struct {
    char **dirs;
    gsize rewritten;            /* g_once: a new entry was written (or could not be) */
} BtRuleEntry;

/* The document of one pack in the rules cache, checked and decoded on
 * first use (by the first rule of the pack that is tried); should the
 * stored copy be damaged, the pack's file is parsed instead and the entry
 * rewritten (load.c). */
typedef struct {
    BtRuleEntry *entry;
    struct _BtDocCache *cache;
    guint index;                /* the pack's place in the cache entry */
    char *file;
    gsize ready;                /* g_once: doc is set */
    yaml_document_t *doc;       /* the cache's, or `parsed`; NULL: neither could be had */
    yaml_document_t parsed;
    gboolean has_parsed;
} BtRuleDoc;

yaml_document_t *bt_rule_doc_get(BtRuleDoc *d);

/* A rule read from the rules cache was valid when it was stored, and one
 * message is decided by the first few dozen rules it reaches, so such a
 * rule is parsed only when first tried (bt_ruleset_rule): until then only
 * id, file, position and dir_index are set, taken from the pack's note in
 * the cache, and node `node` of `doc` (which the rule set keeps) holds
 * the rest. */
typedef struct {
    char *id;
    char *file;
    gsize line, col;            /* 1-based position of the rule */
    guint dir_index;            /* which of the loaded directories */
    gsize parsed;               /* g_once: the fields below are set */
    BtRuleDoc *doc;             /* not parsed yet: the rule's document, */
    int node;                   /* and its mapping's node id */
    BtCond *when;
    char *reason;
    int hardbounce;             /* -1: follow sisimai's default */
    char *severity;             /* NULL: default for the reason */
    char *cause_id;             /* NULL: the rule id */
    BtTemplate *summary;
    GPtrArray *remediation;     /* BtTemplate* */
    GPtrArray *checks;          /* BtCheckSpec* */
    GPtrArray *quoted;          /* BtQuote*: where the wording quotes the reply that
                                 * decides instead (quoted.c); NULL: none */
    const guint8 *prefilter;    /* from the cache: the rule's literal test (prefilter.c),
                                 * in the entry's mapping; NULL: none, always tried */
    gsize prefilter_len;
} BtRule;

BtRule *bt_rule_parse(BtLoadCtx *ctx, const yaml_node_t *node, guint dir_index);
/* A rule from the cache with only its id and position; the rest, from
 * node `node` of `doc`, when bt_rule_complete is first called.  `doc` must
 * outlive it. */
BtRule *bt_rule_stub(const char *id, const char *file, gsize line, gsize col, guint dir_index,
                     BtRuleDoc *doc, int node);
void bt_rule_complete(BtRule *rule);
void bt_rule_free(BtRule *rule);

/* ---- prefilter: a rule's literal test kept in the rules cache ---------- */

/* Appends the stored form of the literal test of `r` (parsed) to `out`:
 * the needs of its condition, or an empty test when it has none. */
void bt_prefilter_write(const BtRule *r, GByteArray *out);
/* The size of the stored test at `blob` when it is sound and ends by
 * `end`, else 0. */
gsize bt_prefilter_size(const guint8 *blob, const guint8 *end);
/* FALSE only when the rule whose test this is cannot hold for the record
 * of `in`: no need finds a literal in its text. */
gboolean bt_prefilter_may_hold(const guint8 *blob, gsize len, BtMatchInput *in);

/* ---- quoted: the reply a wrapper's wording quotes (quoted.c) ---------- */

/* One place a reply may be quoted: a pattern over the record's diagnostic
 * or the whole bounce text whose last match (after `\K`) is the reply. */
typedef struct {
    gboolean in_text;
    BtRegex *re;
} BtQuote;

/* A rule's `quoted` list: BtQuote*; NULL after reporting it malformed. */
GPtrArray *bt_quotes_parse(BtLoadCtx *ctx, const yaml_node_t *seq);
/* The reply the first of `quotes` that finds one finds last (an attempt
 * history lists the oldest first), trimmed; NULL when none does. */
char *bt_quotes_find(const GPtrArray *quotes, const char *diagnostic, const char *text);
/* The reply code and enhanced status a reply opens with (0, NULL: none). */
void bt_quote_codes(const char *reply, int *replycode, char **status);

/* ---- candidates: rules ruled out by one scan of their texts ------------ */

typedef struct _BtRuleIndex BtRuleIndex;

/* Parses every rule of the set. */
BtRuleIndex *bt_rule_index_new(const BtRuleSet *rs);
void bt_rule_index_free(BtRuleIndex *ix);

/* What the scans of a record's texts found (kept from record to record). */
typedef struct {
    const BtRuleIndex *ix;
    guint n_rules;
    guint64 *cand;              /* the record's candidates: rules not ruled out */
    guint64 *present;           /* scratch: the literals one scan found */
    guint64 *text_present;      /* what the whole text's scan found (bt_candidates_use_text) */
} BtCandidates;

void bt_candidates_init(BtCandidates *c, const BtRuleIndex *ix);
/* Scans the texts of the record `in` holds. */
void bt_candidates_for_record(BtCandidates *c, BtMatchInput *in);
/* The first candidate rule at or after `from`; n_rules when none is left.
 * A rule that is not a candidate cannot hold for the record. */
guint bt_candidates_next(const BtCandidates *c, guint from);
void bt_candidates_clear(BtCandidates *c);
/* The bounce's whole text is tested through the index's automaton of the
 * text regexes' needles, scanned once on first use. */
void bt_candidates_use_text(BtCandidates *c, BtSubject *text);

struct _BtRuleSet {
    GPtrArray *rules;           /* BtRule*, in matching order; use bt_ruleset_rule */
    gint applied;               /* atomic: bounces the set was applied to */
    gsize index_ready;          /* g_once: `index` is built */
    BtRuleIndex *index;
    GPtrArray *docs;            /* BtRuleDoc*, per pack, that unparsed rules point into */
    struct _BtDocCache *cache;  /* the memory they live in */
    BtRuleEntry *entry;         /* with the cache */
    gboolean from_cache;        /* for tests */
};

/* Rule i of the set, parsed (safe from any number of threads). */
const BtRule *bt_ruleset_rule(const BtRuleSet *rs, guint i);

/* ---- vocabulary and sisimai's finishing --------------------------------- */

const char *bt_reason_default_severity(const char *reason);
gboolean bt_severity_is_valid(const char *severity);
const char *bt_pseudo_status(const char *reason, gboolean temporary);
/* After the verdict: hardbounce default (unless the rule gave one), pseudo
 * status, reply code reconciliation, the action the reason implies. */
void bt_verdict_finish(BtRecord *rec, gboolean hardbounce_given);
