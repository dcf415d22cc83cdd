/* testfault — see testfault.h. */
#include "core/testfault.h"
#include "core/lean-mime.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { FAULT_NONE, FAULT_ABORT, FAULT_SEGV, FAULT_OOM, FAULT_TORN_WRITE } FaultKind;

typedef struct {
    FaultKind kind;
    gboolean parse;          /* in the parse step, not in extraction */
    char *marker;
} Fault;

static gpointer
fault_parse(gpointer data)
{
    (void) data;
    static Fault fault;
    const char *spec = g_getenv("BOUNCETRIAGE_TEST_FAULT");
    const char *colon = spec ? strchr(spec, ':') : NULL;
    if (!colon || !colon[1])
        return &fault;
    gsize n = colon - spec;
    if (n > 6 && strncmp(spec, "parse-", 6) == 0) {
        fault.parse = TRUE;
        spec += 6;
        n -= 6;
    }
    if (n == 5 && strncmp(spec, "abort", n) == 0)
        fault.kind = FAULT_ABORT;
    else if (n == 4 && strncmp(spec, "segv", n) == 0)
        fault.kind = FAULT_SEGV;
    else if (n == 3 && strncmp(spec, "oom", n) == 0)
        fault.kind = FAULT_OOM;
    else if (!fault.parse && n == 10 && strncmp(spec, "torn-write", n) == 0)
        fault.kind = FAULT_TORN_WRITE;
    fault.marker = g_strdup(colon + 1);
    return &fault;
}

/* Touches every page so that the memory is really taken, as a decoder
 * that builds a huge structure would. */
static void
exhaust_memory(void)
{
    const gsize chunk = 64u << 20;
    GSList *held = NULL;
    for (gsize total = 0; total < ((gsize) 8 << 30); total += chunk) {
        char *p = g_malloc(chunk);          /* aborts when the allocation fails */
        memset(p, 0xA5, chunk);
        held = g_slist_prepend(held, p);
    }
    abort();
}

static const Fault *
fault_get(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, fault_parse, NULL);
}

static void
fault_fire(const Fault *fault)
{
    switch (fault->kind) {
    case FAULT_ABORT:
        abort();
    case FAULT_SEGV:
        raise(SIGSEGV);
        abort();
    case FAULT_OOM:
        exhaust_memory();
    case FAULT_TORN_WRITE:
    case FAULT_NONE:
        break;
    }
}

void
bt_test_fault_maybe(const BtMimeTop *top)
{
    const Fault *fault = fault_get();
    if (fault->kind == FAULT_NONE || fault->parse || !top)
        return;
    const char *subject = bt_mime_top_get(top, "Subject");
    if (subject && strstr(subject, fault->marker))
        fault_fire(fault);
}

/* The Subject line of the raw header (up to the first empty line) holds
 * the marker. */
static gboolean
raw_subject_has(const char *data, gsize len, const char *marker)
{
    const char *end = data + len;
    for (const char *line = data; line < end;) {
        const char *nl = memchr(line, '\n', (gsize) (end - line));
        const char *stop = nl ? nl : end;
        if (stop == line || (stop - line == 1 && *line == '\r'))
            return FALSE;                /* the end of the header */
        if (stop - line > 8 && g_ascii_strncasecmp(line, "Subject:", 8) == 0) {
            g_autofree char *text = g_strndup(line, (gsize) (stop - line));
            if (strstr(text, marker))
                return TRUE;
        }
        line = nl ? nl + 1 : end;
    }
    return FALSE;
}

void
bt_test_fault_parse(const char *data, gsize len)
{
    const Fault *fault = fault_get();
    if (fault->kind != FAULT_NONE && fault->parse && raw_subject_has(data, len, fault->marker))
        fault_fire(fault);
}

gboolean
bt_test_fault_torn_write(void)
{
    const Fault *fault = fault_get();
    if (fault->kind != FAULT_TORN_WRITE)
        return FALSE;
    /* once: the first process to create the marker file fires */
    int fd = open(fault->marker, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return FALSE;
    close(fd);
    return TRUE;
}
