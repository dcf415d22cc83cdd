/* fuzz target "triage": one message through the whole path — GMime parses
 * the bytes, extract finds the recipients, the shipped rules judge them,
 * and the JSON Lines, text and CSV sinks (with the summary) write them. */
#include "fuzz.h"
#include "sink/sink.h"

#include <stdio.h>

static void
write_all_formats(const BtBounce *b)
{
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w")))
        abort();
    const BtFormat formats[] = { BT_FORMAT_JSONL, BT_FORMAT_TEXT, BT_FORMAT_CSV };
    for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
        g_autoptr(BtSink) sink = bt_sink_new(null, formats[i], formats[i] == BT_FORMAT_TEXT);
        bt_sink_write(sink, b, TRUE);
        bt_sink_finish(sink);
        bt_sink_write_summary(sink, null);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    BtExtractor *ex = fuzz_extractor();
    BtRuleSet *rules = fuzz_rules();

    GMimeMessage *mime = fuzz_parse_message(data, size);
    if (!mime)
        return 0;
    g_autoptr(BtMessage) msg = bt_message_new("fuzz", -1, GMIME_OBJECT(mime));
    msg->size = size;
    g_autoptr(BtBounce) b = bt_extract(ex, msg);
    if (b->is_bounce)
        bt_ruleset_apply(rules, b, size % 2 == 1);   /* --explain on half the inputs */
    write_all_formats(b);
    return 0;
}
