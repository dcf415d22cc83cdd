/* core — the types every stage shares: the message handed from source to
 * extract, the delivery record that extract fills and rules complete, and
 * the sysexits codes.  A stage includes this header and the header of the
 * stage before it, never one after it. */
#pragma once

#include <glib.h>
#include <gmime/gmime.h>

/* sysexits.h values, named here so every stage speaks the same codes. */
enum {
    BT_EXIT_OK = 0,
    BT_EXIT_SKIPPED = 65,   /* EX_DATAERR: some message could not be parsed and was skipped */
    BT_EXIT_USAGE = 64,     /* EX_USAGE */
    BT_EXIT_NOINPUT = 66,   /* EX_NOINPUT: a PATH could not be opened or read */
    BT_EXIT_TEMPFAIL = 75,  /* EX_TEMPFAIL */
    BT_EXIT_CONFIG = 78,    /* EX_CONFIG: broken rule or layout files */
};

#define BT_ERROR (bt_error_quark())
GQuark bt_error_quark(void);
typedef enum {
    BT_ERROR_IO,        /* cannot read a path */
    BT_ERROR_PARSE,     /* a message that GMime cannot make sense of */
    BT_ERROR_CONFIG,    /* rule/layout files are invalid */
    BT_ERROR_USAGE,
} BtErrorCode;

/* One message as the source stage yields it. */
typedef struct {
    char *origin;          /* path, or "-" for stdin */
    gint64 offset;         /* byte offset of the mbox "From " line in the original file; -1 otherwise */
    guint64 seq;           /* 0, 1, 2 … in input order (output ordering with --jobs) */
    gsize size;            /* bytes of the message as read (approximate for mbox) */
    GMimeObject *mime;     /* owned: the GMimeMessage GMime parsed, or, when bouncetriage read
                            * the top-level fields itself, the top part alone, the fields
                            * attached (core/lean-mime.h: bt_mime_top_of, bt_mime_body_of) */
    char *note;            /* what the source did not read of it (a cap), or NULL */
} BtMessage;

BtMessage *bt_message_new(const char *origin, gint64 offset, GMimeObject *mime);
void bt_message_free(BtMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtMessage, bt_message_free)

/* ---- the delivery record ------------------------------------------------ */

typedef enum {
    BT_CHECK_SUGGESTED = 0,   /* named by a rule, not run */
    BT_CHECK_OK,
    BT_CHECK_PROBLEM,
    BT_CHECK_ERROR,
    BT_CHECK_SKIPPED,
} BtCheckStatus;

typedef struct {
    char *name;            /* dns.mx, dns.spf, dns.dkim, dns.dmarc, resend.domain */
    char *target;          /* the domain (or selector._domainkey.domain) checked */
    GHashTable *args;      /* char* -> char*: the rule's arguments after ${field} interpolation */
    BtCheckStatus status;
    char *detail;          /* what a person should know; NULL while suggested */
} BtCheck;

BtCheck *bt_check_new(const char *name, const char *target);
void bt_check_free(BtCheck *check);
const char *bt_check_status_name(BtCheckStatus status);

/* One record per bounced recipient.  Field names are sisimai's (see
 * DESIGN.md); strings are UTF-8, owned, NULL when unknown. */
typedef struct {
    /* delivery facts, filled by extract */
    char *origin;
    gint64 offset;             /* -1: not from an mbox */
    gint64 timestamp;          /* epoch seconds; 0: unknown */
    char *timezoneoffset;      /* "+0900" */
    char *addresser;
    char *senderdomain;
    char *recipient;
    char *destination;
    char *alias;
    char *action;              /* failed, delayed, delivered, relayed, expanded */
    int replycode;             /* 0: none */
    char *deliverystatus;      /* "5.1.1" */
    char *command;             /* SMTP command: CONN, EHLO, HELO, MAIL, RCPT, DATA, … */
    char *diagnosticcode;
    char *diagnostictype;      /* SMTP, X-Postfix, X-Unix, … */
    char *reason;              /* extract may set a hint; rules decide */
    gboolean hardbounce;
    char *feedbacktype;        /* ARF Feedback-Type */
    char *subject;
    char *messageid;
    char *listid;
    char *lhost;
    char *rhost;
    char *decodedby;           /* which decoder or layout produced this record */
    /* the message's identity: SHA-256 hex of its bytes as the hook stored
     * them (what makes a retried delivery idempotent); NULL outside the hook.
     * Not in bt_record_fields(): no rule tests it, the CSV has no column. */
    char *messagedigest;

    /* triage, filled by rules */
    char *cause_id;
    char *cause_summary;
    char *severity;            /* low, medium, high */
    GPtrArray *remediation;    /* char* steps */
    char *rule;                /* id of the rule that matched */
    GPtrArray *checks;         /* BtCheck* */
    char *explain;             /* --explain: the rule and the text it matched */
} BtRecord;

BtRecord *bt_record_new(void);
BtRecord *bt_record_copy(const BtRecord *rec);
void bt_record_free(BtRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtRecord, bt_record_free)

/* Field access by sisimai name, for rule conditions and generic output.
 * The value is rendered as text (replycode as digits, hardbounce as
 * "true"/"false", timestamp as digits); NULL when unset.  `buf` is scratch
 * space for numeric renderings. */
typedef enum { BT_FIELD_STRING, BT_FIELD_INT, BT_FIELD_BOOL } BtFieldType;
typedef struct {
    const char *name;
    BtFieldType type;
    gsize offset;              /* offsetof(BtRecord, field) */
} BtFieldInfo;

const BtFieldInfo *bt_record_fields(gsize *n_fields);   /* the delivery facts, in record order */
const BtFieldInfo *bt_record_field_lookup(const char *name);
const char *bt_record_get(const BtRecord *rec, const BtFieldInfo *field, char buf[32]);
void bt_record_set_string(BtRecord *rec, const BtFieldInfo *field, const char *value);

/* Small text helpers shared by stages. */
char *bt_strdup_trimmed(const char *s);           /* NULL/empty → NULL */
char *bt_strndup_exact(const char *s, gsize n);   /* n bytes that hold no NUL, and a NUL */
/* g_strsplit(s, "\n", -1), found by memchr and copied by memcpy (GLib
 * runs strstr for each line and strncpy for each piece): "" gives an
 * empty vector, a text ending in a newline an empty last line. */
char **bt_strsplit_lines(const char *s);
/* `s` as one line of valid UTF-8 that is safe to print or put in a header
 * field, whatever a hostile bounce sent: control characters and line
 * breaks become spaces, runs of white space collapse, ends are trimmed.
 * With drop_format, invisible format characters (bidi overrides, zero
 * width marks) go too.  NULL gives "". */
char *bt_text_one_line(const char *s, gboolean drop_format);
void bt_set_str(char **slot, const char *value);  /* replace an owned string */
/* write() until all of buf is written; FALSE with errno set otherwise. */
gboolean bt_write_all(int fd, const void *buf, gsize len);
/* read() until `len` bytes are in buf; FALSE otherwise, errno set (0 when
 * the input ended first). */
gboolean bt_read_exact(int fd, void *buf, gsize len);
/* Copies `len` bytes from *p to `to` and moves *p past them; FALSE (and
 * nothing copied) when fewer than `len` are left before `end`.  For
 * unpacking what another process of ours packed. */
gboolean bt_take_bytes(const guint8 **p, const guint8 *end, void *to, gsize len);
/* `s` as valid UTF-8 with every control character (line breaks and tabs
 * too) written out: C0 and DEL as \xHH, C1 as \uHHHH (ESC → "\x1B",
 * CSI → "\u009B"); everything else kept.  For CSV cells and for file
 * names in messages on stderr.  NULL gives "". */
char *bt_text_escape_controls(const char *s);
