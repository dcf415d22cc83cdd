/* isolate — triage in a forked child, so that whatever it suffers (a
 * crash, an abort after a failed allocation, an address-space rlimit, a
 * loop that never ends) costs the verdict and never the message: the
 * parent, which holds the message and does the delivery, only reads the
 * child's answer from a pipe.
 *
 * The answer is a series of NUL-terminated strings:
 *   "bt-verdict", folder, fields, (recipient, json)…, "end"
 * A child that dies before "end", or exits non-zero, has failed; nothing
 * it wrote is used.  The records' origin is "-" in the child: only the
 * parent knows where the message ends up (bt_verdict_line_for). */
#include "flow/flow-private.h"
#include "sink/sink.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Seconds a triage may take; a bounce takes milliseconds. */
#define TRIAGE_SECONDS 120
#define ANSWER_HEAD "bt-verdict"
#define ANSWER_END "end"
#define ORIGIN_PLACEHOLDER "{\"origin\":\"-\","

/* The reason as a folder name; anything unexpected files as unclassified. */
static const char *
folder_for(GPtrArray *records)
{
    const char *reason = records ? ((const BtRecord *) records->pdata[0])->reason : NULL;
    if (!reason || !*reason || *reason == '.')
        return BT_FOLDER_UNCLASSIFIED;
    for (const char *p = reason; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return BT_FOLDER_UNCLASSIFIED;
    return reason;
}

static void
put(GString *answer, const char *s)
{
    g_string_append_len(answer, s, (gssize) strlen(s) + 1);
}

static void
put_record(GString *answer, BtRecord *rec, const char *digest)
{
    bt_set_str(&rec->origin, "-");
    bt_set_str(&rec->messagedigest, digest);
    g_autofree char *json = bt_record_to_json(rec);
    put(answer, rec->recipient ? rec->recipient : "");
    put(answer, json);
}

/* In the child: triage and write the answer.  Never returns. */
static void G_GNUC_NORETURN
child_run(const BtFlowConfig *cfg, BtAnnotated *a, int out_fd)
{
    alarm(TRIAGE_SECONDS);
    bt_annotated_triage(a, cfg);
    GString *answer = g_string_new(NULL);
    GPtrArray *records = bt_annotated_records(a);
    put(answer, ANSWER_HEAD);
    put(answer, folder_for(records));
    put(answer, a->added->str);
    if (records) {
        for (guint i = 0; i < records->len; i++)
            put_record(answer, records->pdata[i], a->digest);
    } else {
        /* a non-bounce or an unparsable message: the sink's --all record */
        g_autoptr(BtRecord) rec = bt_record_new();
        rec->reason = g_strdup("undefined");
        put_record(answer, rec, a->digest);
    }
    put(answer, ANSWER_END);
    /* _exit: no atexit handlers or stdio buffers shared with the parent */
    _exit(bt_write_all(out_fd, answer->str, answer->len) ? 0 : 1);
}

static GByteArray *
read_answer(int fd)
{
    GByteArray *buf = g_byte_array_new();
    guint8 chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n > 0)
            g_byte_array_append(buf, chunk, (guint) n);
        else if (n == 0 || errno != EINTR)
            return buf;
    }
}

static int
wait_child(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

/* The next string of the answer, or NULL past its end. */
static const char *
next_string(const GByteArray *buf, gsize *pos)
{
    if (*pos >= buf->len)
        return NULL;
    const char *s = (const char *) buf->data + *pos;
    const char *nul = memchr(s, '\0', buf->len - *pos);
    if (!nul)
        return NULL;
    *pos += (gsize) (nul - s) + 1;
    return s;
}

static BtVerdict *
parse_answer(const GByteArray *buf)
{
    gsize pos = 0;
    const char *head = next_string(buf, &pos);
    const char *folder = next_string(buf, &pos);
    const char *fields = next_string(buf, &pos);
    if (!head || strcmp(head, ANSWER_HEAD) != 0 || !fields)
        return NULL;
    g_autoptr(BtVerdict) v = g_new0(BtVerdict, 1);
    v->folder = g_strdup(folder);
    v->fields = g_strdup(fields);
    v->recipients = g_ptr_array_new_with_free_func(g_free);
    v->lines = g_ptr_array_new_with_free_func(g_free);
    for (;;) {
        const char *rcpt = next_string(buf, &pos);
        if (rcpt && strcmp(rcpt, ANSWER_END) == 0 && pos == buf->len)
            return v->lines->len ? g_steal_pointer(&v) : NULL;
        const char *json = next_string(buf, &pos);
        if (!json || !g_str_has_prefix(json, ORIGIN_PLACEHOLDER))
            return NULL;
        g_ptr_array_add(v->recipients, g_strdup(rcpt));
        g_ptr_array_add(v->lines, g_strdup(json));
    }
}

static char *
describe_failure(int status)
{
    if (status < 0)
        return g_strdup("triage did not finish: its process was lost");
    if (WIFSIGNALED(status))
        return g_strdup_printf("triage failed: killed by signal %d (%s)", WTERMSIG(status),
                               g_strsignal(WTERMSIG(status)));
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return g_strdup_printf("triage failed: exit status %d", WEXITSTATUS(status));
    return g_strdup("triage failed: its answer was incomplete");
}

BtVerdict *
bt_verdict_isolated(const BtFlowConfig *cfg, BtAnnotated *a, char **why)
{
    int fds[2];
    if (pipe(fds) != 0) {
        *why = g_strdup_printf("triage not run: cannot make a pipe: %s", g_strerror(errno));
        return NULL;
    }
    fflush(NULL);   /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        *why = g_strdup_printf("triage not run: cannot fork: %s", g_strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        close(fds[0]);
        child_run(cfg, a, fds[1]);
    }
    close(fds[1]);
    g_autoptr(GByteArray) answer = read_answer(fds[0]);
    close(fds[0]);
    int status = wait_child(pid);
    BtVerdict *v = status == 0 ? parse_answer(answer) : NULL;
    if (!v)
        *why = describe_failure(status);
    return v;
}

/* A path as a JSON string (the sink's escaping is private to it). */
static void
append_json_path(GString *out, const char *path)
{
    g_autofree char *valid = g_utf8_make_valid(path, -1);
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *) valid; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (char) *p);
    }
    g_string_append_c(out, '"');
}

char *
bt_verdict_line_for(const char *line, const char *origin)
{
    GString *out = g_string_new("{\"origin\":");
    append_json_path(out, origin);
    g_string_append_c(out, ',');
    g_string_append(out, line + strlen(ORIGIN_PLACEHOLDER));
    return g_string_free(out, FALSE);
}

void
bt_verdict_free(BtVerdict *v)
{
    if (!v)
        return;
    g_free(v->folder);
    g_free(v->fields);
    g_clear_pointer(&v->recipients, g_ptr_array_unref);
    g_clear_pointer(&v->lines, g_ptr_array_unref);
    g_free(v);
}
