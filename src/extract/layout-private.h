/* Internal to the layout engine: the compiled form of a layout, shared by
 * its loader (layout-load.c: YAML → validated, compiled layouts) and its
 * matcher (layout.c: a message view → records). */
#pragma once

#include "extract/layout.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "core/lazyjit.h"

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

/* One value per field; NULL when unset. */
typedef struct {
    char *v[N_FIELDS];
} Values;

void bt_layout_values_clear(Values *vals);

/* ---- compiled layouts ---------------------------------------------------- */

/* A layout regex.  JIT-compiling every regex at load costs several times
 * what a run on one message spends matching, so a regex is interpreted
 * until it has been used JIT_AFTER_USES times; then a JIT-compiled copy,
 * published atomically since many threads match with the same layouts,
 * takes over. */
typedef struct {
    pcre2_code *code;        /* interpreted */
    BtLazyJit lazy;          /* the JIT-compiled copy, once used often */
    char **needles;          /* lower-case ASCII literals, one of which every
                              * match contains; NULL: none known (layout-load.c) */
} Regex;

/* The literals one of which every match of `pattern` must contain (ASCII,
 * lower case, three bytes or more), or NULL when that cannot be told. */
char **bt_layout_needles(const char *pattern);

/* A regex, optionally with fixed values to set when it matches. */
typedef struct {
    Regex *re;
    Values set;
    gboolean in_block_alias; /* recipient pattern: inside a recipient's block its
                              * capture is that recipient's alias, not a new one */
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

typedef struct {
    char *id;
    char *where;             /* "file:line:col" of the id, for messages */
    Cond *match;             /* NULL: always */
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

struct _BtLayouts {
    GPtrArray *layouts;      /* Layout*, in the order they are tried */
    pcre2_match_context *mctx;
};
