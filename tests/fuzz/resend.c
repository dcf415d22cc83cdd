/* fuzz target "resend": the Resend check's reading of API answers
 * (src/checks/resend.c) — the GET /domains page and the GET /domains/{id}
 * object — without HTTP.  Input: one byte choosing each answer's HTTP
 * status, then the list body, a NUL, the domain body.  Beyond not
 * crashing: the API key never appears in the check's detail or in any
 * record, whatever the answers echo. */
#include "fuzz.h"
#include "checks/resend.h"

#define FUZZ_KEY "re_FuzzKey_0123456789abcdef"

static gboolean
leaks(const char *s)
{
    return s && strstr(s, FUZZ_KEY);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_glib();
    if (size < 1)
        return 0;
    static const long codes[] = { 200, 200, 200, 200, 401, 403, 404, 429, 500, 502 };
    long list_code = codes[(data[0] & 0x0f) % G_N_ELEMENTS(codes)];
    long domain_code = codes[(data[0] >> 4) % G_N_ELEMENTS(codes)];
    const guint8 *list = data + 1, *end = data + size;
    const guint8 *nul = memchr(list, '\0', (size_t) (end - list));
    const guint8 *domain = nul ? nul + 1 : end;
    gsize list_len = (gsize) ((nul ? nul : end) - list);

    g_setenv("RESEND_API_KEY", FUZZ_KEY, TRUE);
    g_setenv("RESEND_BASE_URL", "http://127.0.0.1:9", TRUE);   /* never contacted */
    g_autoptr(BtResend) rs = bt_resend_new(NULL);
    if (!rs)
        abort();
    BtCheck *check = bt_check_new("resend.domain", "example.com");
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify) bt_resend_record_free);
    bt_resend_check_answers(rs, "Example.COM.", list_code, list, list_len,
                            domain_code, domain, (gsize) (end - domain), check, records);
    if (check->status == BT_CHECK_SUGGESTED || !check->detail || leaks(check->detail))
        abort();
    for (guint i = 0; i < records->len; i++) {
        const BtResendRecord *rec = records->pdata[i];
        if (leaks(rec->record) || leaks(rec->type) || leaks(rec->name) || leaks(rec->value)
            || leaks(rec->status))
            abort();
    }
    bt_check_free(check);
    return 0;
}
