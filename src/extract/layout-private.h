/* Internal to the layout engine: the compiled form of a layout, shared by
 * its loader (layout-load.c: YAML → validated, compiled layouts, with
 * layout-yaml.c, layout-keys.c, layout-regex.c, layout-cond.c and
 * layout-vocab.c), its literal index (layout-index.c: which layouts a
 * body can hold) and its matcher (layout.c: a message view → records,
 * with layout-match.c, layout-blocks.c, layout-address.c and
 * layout-records.c). */
#pragma once

#include "extract/layout.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "core/lazyjit.h"
#include "core/literals.h"
#include <yaml.h>
#include <string.h>

/* Bounds on every match, so no input can stall a worker. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 5000
#define MAX_GROUPS 64           /* capture pairs in each call's match data */
/* Interpreted matches of a regex before it is JIT-compiled. */
#define JIT_AFTER_USES 32

/* ---- the fields a layout can fill ---------------------------------------- */

typedef enum {
    F_RECIPIENT,
    F_DIAGNOSTICCODE,
    F_STATUS,
    F_REPLYCODE,
    F_COMMAND,
    F_RHOST,
    F_LHOST,
    F_ACTION,
    F_ALIAS,
    F_REASON,
    F_DIAGNOSTICTYPE,
    F_FEEDBACKTYPE,
    N_FIELDS
} LayField;

extern const char *const bt_layout_field_names[N_FIELDS];
/* The field a group or `set:` key names ("deliverystatus" = "status"); -1 if none. */
int bt_layout_field_by_name(const char *name);

/* One value per field; NULL when unset.  `alias_expanded`: the alias is
 * the address the recipient was expanded to (`in-block: parent`), so a
 * later line for that address reports the same delivery.
 * `common_diagnostic`: the block had no diagnostic of its own and took
 * the notice's (`common`); `own_line`: the block's pattern is an
 * `own-line` one, whose line replaces such a borrowed diagnostic;
 * `led`: the block's diagnostic starts with `before` lines (a transcript's
 * words for the recipient), which replace such a borrowed diagnostic too.
 * `with_diagnostic` (a run of `common`): the fields captured by the match
 * that gave the diagnostic, whose codes belong to that text. */
typedef struct {
    char *v[N_FIELDS];
    gboolean alias_expanded;
    gboolean common_diagnostic;
    gboolean own_line;
    gboolean led;
    gboolean with_diagnostic[N_FIELDS];
} Values;

void bt_layout_values_clear(Values *vals);

/* ---- compiled layouts ---------------------------------------------------- */

/* A needle's ids in the layouts' literal index (core/acscan.h): of its
 * first BT_AC_DEPTH bytes, and of its last ones (`head` again for a needle
 * no longer than that); and its length, which every test of it needs. */
typedef struct NeedleIds {
    guint32 head;
    guint32 tail;
    gsize len;
} NeedleIds;

/* A layout regex.  JIT-compiling every regex at load costs several times
 * what a run on one message spends matching, so a regex is interpreted
 * until it has been used JIT_AFTER_USES times (long subjects weighing more:
 * core/lazyjit.h); then a JIT-compiled copy,
 * published atomically since many threads match with the same layouts,
 * takes over.  A regex read from the layouts cache was validated when it
 * was stored, and one message touches few of them, so its interpreted code
 * and its needles are made on first use (bt_layout_regex_code,
 * bt_layout_regex_needles). */
typedef struct {
    char *pattern;
    pcre2_code *code;        /* atomic: interpreted; NULL until first use */
    BtLazyJit lazy;          /* the JIT-compiled copy, once used often */
    gsize needles_ready;     /* g_once: `needles` is worked out */
    char **needles;          /* lower-case ASCII literals, one of which every
                              * match contains; NULL: none known (layout-regex.c) */
    const struct NeedleIds *ac_ids; /* the needles' ids in the layouts' literal index
                              * (layout-index.c), parallel to `needles`; NULL: not indexed */
    gsize bounds_ready;      /* g_once: `min_len` and `required` are worked out */
    guint32 min_len;         /* no subject shorter than this matches */
    int required[2];         /* a byte every match contains, in either of two cases
                              * (the same twice when it has none); -1: none known */
} Regex;

/* The code to match with on a subject of `len` bytes (interpreted or its
 * JIT copy: core/lazyjit.h); NULL only if the pattern does not compile,
 * which validation when loading rules out. */
const pcre2_code *bt_layout_regex_code(Regex *re, gsize len);
/* The regex's needles (see below), or NULL: none known. */
char *const *bt_layout_regex_needles(Regex *re);
/* FALSE when [s, s + len) is too short for `re` or lacks a byte every
 * match of it contains (what pcre2_match tests before it matches, told
 * without its set-up, which costs more on one line than the test). */
gboolean bt_layout_regex_may_fit(Regex *re, const char *s, gsize len);

/* The literals one of which every match of `pattern` must contain (ASCII,
 * lower case, three bytes or more), or NULL when that cannot be told. */
char **bt_layout_needles(const char *pattern);

/* A regex, optionally with fixed values to set when it matches. */
typedef struct {
    Regex *re;
    Values set;
    gboolean in_block_alias; /* recipient pattern: inside a recipient's block its
                              * capture is that recipient's alias, not a new one */
    gboolean in_block_parent; /* recipient pattern: inside a recipient's block its
                               * capture is the address the recipient was expanded
                               * from, which the record then names (the block's
                               * address becoming its alias) */
    gboolean own_line;       /* recipient pattern: the line tells all of that
                              * recipient's failure; `common` adds nothing */
} Pattern;

/* Where a bare local part ("john") finds its domain. */
typedef enum {
    LOCAL_DOMAIN_NONE,
    LOCAL_DOMAIN_ORIGINAL_TO,    /* the original's To/Cc address with that local part */
    LOCAL_DOMAIN_SENDER,         /* the domain of the notice's From */
    LOCAL_DOMAIN_REPORTING_HOST, /* the domain of the notice's Message-ID */
    N_LOCAL_DOMAINS = LOCAL_DOMAIN_REPORTING_HOST
} LocalDomain;

typedef enum { COND_ALL, COND_ANY, COND_NOT, COND_HEADER, COND_BODY } CondKind;

typedef struct Cond {
    CondKind kind;
    char *header;            /* COND_HEADER: the header name */
    GPtrArray *regexes;      /* COND_HEADER, COND_BODY: Regex*, any may match */
    GPtrArray *kids;         /* COND_ALL, COND_ANY, COND_NOT: Cond* */
} Cond;

/* A layout read from the layouts cache was valid when it was stored, and
 * a message reads the rest of a layout only once its `match` holds, so
 * such a layout starts with its id alone: bt_layout_match reads `match`
 * from `match_node` when a message first asks about it (layouts are tried
 * in order until one reads the message, so most of a single run's are
 * never asked), and bt_layout_complete reads the rest, from `node`; both
 * from `doc`, which the layouts keep. */
typedef struct {
    char *id;
    char *where;             /* "file:line:col" of the id, for messages */
    gsize match_ready;       /* g_once: `match` is read */
    Cond *match;             /* NULL: always; read through bt_layout_match */
    const yaml_node_t *match_node; /* `match` not read yet: its value */
    BtLayouts *lays;         /* the set whose built-in regexes `match` may use */
    gsize complete;          /* g_once: every field below is read */
    const yaml_node_t *node; /* not complete yet: the layout's mapping */
    yaml_document_t *doc;
    const char *path;        /* interned */
    Regex *begin;            /* line pattern: scanning starts at this line */
    Regex *original;         /* line pattern: the inline copy of the original starts after it */
    Regex *end;              /* line pattern: the address list ends before it */
    Regex *split_before;     /* a line break is put before each match (one-line records) */
    GPtrArray *sections;     /* Pattern*: titles of per-recipient sections (a recipient group) */
    GPtrArray *recipients;   /* Pattern*: line patterns with a `recipient` group */
    gboolean until_recipient;/* diagnostic lines run to the next recipient, not a blank line */
    gboolean skip_blank;     /* blank lines right after a recipient line are skipped */
    GPtrArray *stops;        /* Regex*: a line that ends the diagnostic */
    GPtrArray *befores;      /* Regex*: lines before a recipient line that belong to it */
    GPtrArray *fields;       /* Pattern*: run on each recipient's block */
    GPtrArray *common;       /* Pattern*: run on the whole scanned region, for every recipient */
    char **recipient_headers;/* headers listing recipients when the body names none */
    char **original_headers; /* headers of the inline original naming them, as a last resort */
    LocalDomain local_domain[N_LOCAL_DOMAINS + 1]; /* how to complete a bare local part,
                              * in order, LOCAL_DOMAIN_NONE-terminated */
    gboolean pseudo_status;  /* state sisimai's pseudo status code for the reason hint */
    char **pseudo_temporary; /* hints whose pseudo code is temporary whatever the reply */
    Values set;
} Layout;

/* Reads the rest of a layout that came from the cache (safe from any
 * number of threads); nothing for one that is complete. */
void bt_layout_complete(Layout *lay);
/* The layout's `match` (NULL: always), read on first call for one that
 * came from the cache (safe from any number of threads). */
const Cond *bt_layout_match(Layout *lay);

/* ---- the body's literals (layout-index.c) -------------------------------- */

/* The literals of every layout regex in one automaton. */
typedef struct _LayoutIndex LayoutIndex;
void bt_layout_index_free(LayoutIndex *ix);
/* Built on first call (every layout is completed), for tests. */
const LayoutIndex *bt_layout_index_get(BtLayouts *lays);
/* The index once the layouts have been tried on enough messages, else
 * NULL (counts this call as one more message). */
const LayoutIndex *bt_layout_index_when_warm(const BtLayouts *lays);

/* One match call's view of the body's literals, made on first use. */
typedef struct {
    const LayoutIndex *ix;   /* NULL: each regex tests its own needles */
    const char *body;        /* borrowed: the view's body */
    char *lower;             /* ASCII lower case, for needles */
    BtPairSet *pairs;        /* the byte pairs of `lower`: most needles miss one,
                              * so a bit test replaces a strstr over the body;
                              * made on first use by a regex the index lacks */
    guint64 *present;        /* with ix: the index's literals that may occur in `lower` */
    gsize *first;            /* ... and where each first may end (bt_ac_scan_first) */
    gboolean no_needles;     /* the body has letters needles cannot see */
} BtBodyLiterals;

/* FALSE when `re` cannot match anywhere in the body: the body lacks every
 * literal that each of its matches contains. */
gboolean bt_body_may_match(BtBodyLiterals *lit, Regex *re);
/* FALSE when layout i's `match` cannot hold (lit->ix must be set). */
gboolean bt_layout_may_hold(BtBodyLiterals *lit, guint i);
void bt_body_literals_clear(BtBodyLiterals *lit);

/* Whether layout i's `match` holds for the view: with `ix`, after the
 * index's test of the body's literals, else by the condition alone. */
gboolean bt_layout_match_holds(const BtLayouts *lays, const LayoutIndex *ix, const BtMsgView *view, guint i);

struct _BtLayouts {
    GPtrArray *layouts;      /* Layout*, in the order they are tried */
    gint used;               /* atomic: messages the layouts were tried on */
    gsize index_ready;       /* g_once: `index` is built */
    LayoutIndex *index;
    struct _BtDocCache *cache; /* holds the cached documents incomplete layouts point into */
    Regex *notice_from;      /* `bounce-notice: true`, shared by every layout */
    Regex *notice_subject;
    Regex *notice_reply;     /* a person's reply to or forward of a notice */
    Regex *notice_report;    /* LISTSERV's X-Report-Type: Nondelivery */
    BtAutoreplyVocab *autoreply; /* the files' `autoreply:` lists; NULL: none */
    pcre2_match_context *mctx;
};

/* ---- loading (layout-load.c and the files it names) ---------------------- */

/* What one file's parse needs: where errors go and how to name places. */
typedef struct {
    const char *path;
    yaml_document_t *doc;
    gboolean trusted;        /* from the cache: valid when stored, regexes compile */
    GPtrArray *errors;
    guint n_errors;
    BtLayouts *lays;         /* the regexes every layout shares */
} Loader;

/* Iterates the pairs of a mapping node. */
#define FOR_PAIRS(node, pair) \
    for (yaml_node_pair_t *pair = (node)->data.mapping.pairs.start; \
         pair < (node)->data.mapping.pairs.top; pair++)
#define FOR_ITEMS(node, item) \
    for (yaml_node_item_t *item = (node)->data.sequence.items.start; \
         item < (node)->data.sequence.items.top; item++)

/* Reading the YAML (layout-yaml.c): a problem is added to ld->errors as
 * "file:line:col: message", at `node`. */
void bt_layout_fail(Loader *ld, const yaml_node_t *node, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
yaml_node_t *bt_layout_node_at(Loader *ld, int index);
/* A scalar node's text; NULL for any other node. */
const char *bt_layout_scalar(const yaml_node_t *node);
const char *bt_layout_expect_scalar(Loader *ld, const yaml_node_t *node, const char *what);
gboolean bt_layout_expect_kind(Loader *ld, const yaml_node_t *node, yaml_node_type_t type,
                               const char *what);
gboolean bt_layout_parse_bool(Loader *ld, yaml_node_t *node, gboolean *out);
char *bt_layout_place(const char *path, const yaml_node_t *node);

/* A value that is one item or a list of items: calls `one` for each. */
typedef gboolean (*ItemFn)(Loader *ld, yaml_node_t *node, gpointer out);

void bt_layout_one_or_list(Loader *ld, yaml_node_t *node, ItemFn one, gpointer out);

/* Regexes (layout-regex.c): one not compiled yet; `node`'s text compiled
 * (validated) unless ld->trusted; an ItemFn adding that to a GPtrArray. */
Regex *bt_layout_regex_new(const char *src);
void bt_layout_regex_free(Regex *re);
Regex *bt_layout_compile_regex(Loader *ld, const yaml_node_t *node, const char *what);
gboolean bt_layout_add_regex(Loader *ld, yaml_node_t *node, gpointer out);

/* `match` (layout-cond.c): a condition map, and the built-in regexes of
 * its `bounce-notice` and `notice-reply` put into `lays`. */
Cond *bt_layout_load_cond(Loader *ld, yaml_node_t *node);
void bt_layout_cond_free(Cond *c);
void bt_layout_add_notice_regexes(BtLayouts *lays);

/* One layout of a file's `layouts:` list (layout-keys.c); NULL after
 * reporting its problems. */
Layout *bt_layout_load_one(Loader *ld, yaml_node_t *node);
void bt_layout_free(Layout *lay);

/* A file's `autoreply:` map, added to ld->lays->autoreply (layout-vocab.c). */
void bt_layout_load_autoreply(Loader *ld, yaml_node_t *node);

/* ---- the notice as layouts expect it (layout-reread.c) ------------------- */

/* Reading the text under a heading line ("Reason:"), line by line: after a
 * heading and blank lines, the lines indented deeper than the heading are
 * its text, read at the heading's indentation. */
typedef struct {
    gsize heading_indent;    /* indentation of the last heading */
    gboolean after_heading;  /* the last line read was a heading */
    gboolean crossed_blank;  /* ... and blank lines followed it */
    gboolean lifting;        /* the lines being read stand under that heading */
    gsize lift_indent;       /* indentation of the first of them */
    gsize lift_base;         /* ... and of the heading they stand under */
} BtBelow;

/* A blank line. */
void bt_below_blank(BtBelow *bw);
/* A non-blank line: how many bytes of its indentation to drop; *first is
 * TRUE for the first line under a heading. */
gsize bt_below_cut(BtBelow *bw, const char *line, gsize len, gboolean *first);
/* [body, body + len) read the way layouts expect (a new string: the text under each
 * heading de-indented, transport prefixes of addresses dropped), or NULL
 * when that changes nothing; *shifts maps its offsets back
 * (bt_below_unlifted). */
char *bt_layout_reread(const char *body, gsize len, GArray **shifts);
/* The offset in the body that `at` in the reread body came from. */
gsize bt_below_unlifted(const GArray *shifts, gsize at);

/* ---- matching a message (layout-match.c) --------------------------------- */

/* Per-call state: match data is never shared between threads. */
typedef struct {
    const BtLayouts *lays;
    const BtMsgView *view;
    pcre2_match_data *md;
    BtBodyLiterals lit;      /* which regexes the body's literals rule out (layout-index.c) */
    GHashTable *header_memo; /* Regex* → 1 (no) / 2 (yes): the shared bounce-notice
                              * regexes are asked once per layout otherwise */
    GHashTable *header_values; /* header name, any case → GPtrArray of its values
                              * (const char *), read once per name, not per regex */
    gboolean repeated;          /* a layout read a recipient twice */
} Matcher;

/* Does `re` match [s, s + len)?  The groups are then in m->md. */
gboolean bt_layout_re_match(Matcher *m, Regex *re, const char *s, gsize len);
/* After a match: the value of a named group; the field groups into `vals`;
 * where a named group lies in the subject. */
char *bt_layout_group_value(Matcher *m, const char *name);
void bt_layout_take_captures(Matcher *m, Values *vals);
gboolean bt_layout_group_span(Matcher *m, Regex *re, gsize len, const char *name, gsize *start,
                              gsize *end);
/* Does a layout's condition hold for the message? */
gboolean bt_layout_cond_holds(Matcher *m, const Cond *c);
void bt_layout_matcher_clear(Matcher *m);

/* A line of the body: [start, end) without its "\n"; next is where the
 * following line starts. */
typedef struct {
    const char *start;
    gsize len;
    const char *next;
} Line;

static inline gboolean
bt_layout_line_at(const char *p, const char *limit, Line *line)
{
    if (p >= limit)
        return FALSE;
    const char *nl = memchr(p, '\n', limit - p);
    line->start = p;
    line->len = (nl ? nl : limit) - p;
    if (line->len && p[line->len - 1] == '\r')
        line->len--;
    line->next = nl ? nl + 1 : limit;
    return TRUE;
}

static inline gboolean
bt_layout_line_is_blank(const Line *line)
{
    for (gsize i = 0; i < line->len; i++)
        if (!g_ascii_isspace(line->start[i]))
            return FALSE;
    return TRUE;
}

const char *bt_layout_find_line(Matcher *m, Regex *re, const char *p, const char *limit, Line *found);
char *bt_layout_split_lines_before(Matcher *m, Regex *re, const char *start, const char *limit);

/* ---- recipient blocks and their values (layout-blocks.c) ----------------- */

/* One recipient as the scan finds it. */
typedef struct {
    Values got;              /* captured from the recipient line */
    const Pattern *pattern;
    GString *lead;           /* the `before` lines that came just before it */
    GString *diag;           /* the diagnostic lines collected after it */
    GString *block;          /* lead, recipient line and diagnostic lines, "\n"-joined */
} Block;

/* Copies into `dst` the fields of `src` that `dst` lacks. */
void bt_layout_values_fill_from(Values *dst, const Values *src, gboolean apart);
void bt_layout_values_fill(Values *dst, const Values *src);
/* Block* of the recipients in [p, limit), and their sections by address. */
GPtrArray *bt_layout_scan_blocks(Matcher *m, const Layout *lay, const char *p, const char *limit);
GHashTable *bt_layout_scan_sections(Matcher *m, const Layout *lay, const char *p, const char *limit);
void bt_layout_run_fields(Matcher *m, const GPtrArray *pats, const char *text, gsize len,
                          Values *caught, Values *fixed);
void bt_layout_block_values(Matcher *m, const Layout *lay, Block *b, const GString *section,
                            const Values *common_caught, const Values *common_fixed, Values *out);

/* ---- recipient addresses (layout-address.c) ------------------------------ */

char *bt_layout_clean_address(const char *s);
void bt_layout_header_blocks(Matcher *m, const Layout *lay, const char *region, gsize len,
                             const char *copy, GPtrArray *blocks);
char *bt_layout_complete_from_headers(Matcher *m, const Layout *lay, const char *local);
char *bt_layout_complete_local_part(Matcher *m, const Layout *lay, const char *local, const char *copy);
char *bt_layout_expanded_parent(GPtrArray *blocks, guint upto, const char *child);

/* ---- records (layout-records.c) ------------------------------------------ */

void bt_layout_add_records(const Layout *lay, GPtrArray *all_vals, GPtrArray *records,
                           gboolean *repeated);
