#!/bin/sh
# What a run keeps across messages survives a crash: the --summary counts,
# the csv header, the text format's spacing, the input problems (reported
# once, exit status kept).  The crashed run must equal a clean run over
# the same input without the crashing message.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/memsafe-lib.sh"
make_batch 300 150
mv "$TMP/batch.d/msg-0150.eml" "$TMP/poison.eml"
for format in text csv jsonl; do
    for jobs in 1 2; do
        "$BT_BIN" --format=$format --summary --jobs $jobs "$TMP/batch.d" >"$TMP/ref" 2>"$TMP/referr"
        cp "$TMP/poison.eml" "$TMP/batch.d/msg-0150.eml"
        BOUNCETRIAGE_TEST_FAULT=segv:BT-POISON "$BT_BIN" --format=$format --summary --jobs $jobs \
            "$TMP/batch.d" >"$TMP/out" 2>"$TMP/err"
        echo $? >"$TMP/rc"
        rm "$TMP/batch.d/msg-0150.eml"
        ok "$format --summary, --jobs $jobs: output as if the message were not there" cmp "$TMP/ref" "$TMP/out"
        grep -v 'triage crashed' "$TMP/err" >"$TMP/err2"
        ok "$format --summary, --jobs $jobs: stderr too, and the crash line" \
            sh -c "cmp '$TMP/referr' '$TMP/err2' && grep -q 'msg-0150.eml: triage crashed' '$TMP/err'"
        ok "$format, --jobs $jobs: exit 65" test "$(cat "$TMP/rc")" -eq 65
    done
done

# problems before the crash are reported once; a missing path still means 66
cp "$TMP/poison.eml" "$TMP/batch.d/msg-0150.eml"
crash_run segv 2 "$TMP/out" "$TMP/err" "$TMP/no-such-file" "$TMP/batch.d"
ok "a problem before the crash is reported once" test "$(grep -c 'no-such-file' "$TMP/err")" -eq 1
ok "and the exit status is still 66" test "$(cat "$TMP/out.rc")" -eq 66
ok "the other 299 records" test "$(records "$TMP/out")" -eq 299

# --check: the checks after the crash give what they give in a clean run
# (the new run rebuilds the checks' state by replaying the earlier ones)
. "$BT_SRCDIR/tests/checks-lib.sh"
if [ -n "$DNSMASQ" ]; then
    start_dnsmasq
    make_bounces "$TMP/dns.mbox" 200 "crash0.test crash1.test crash2.test crash3.test"
    awk '/^From MAILER-DAEMON/ { m++; seen = 0 }
         /^Subject:/ && !seen++ && m == 120 { sub(/^Subject: /, "Subject: BT-POISON ") }
         { print }' \
        "$TMP/dns.mbox" >"$TMP/dns-poisoned.mbox"
    off=$(grep -b '^From MAILER-DAEMON' "$TMP/dns-poisoned.mbox" | sed -n 120p | cut -d: -f1)
    "$BT_BIN" --check=dns --nameserver "$NS" -f jsonl "$TMP/dns-poisoned.mbox" >"$TMP/dnsall" 2>/dev/null
    without_offsets "$TMP/dnsall" "$off" >"$TMP/dnsexpected"
    for jobs in 1 2; do
        BOUNCETRIAGE_TEST_FAULT=segv:BT-POISON "$BT_BIN" --check=dns --nameserver "$NS" -f jsonl \
            --jobs $jobs "$TMP/dns-poisoned.mbox" >"$TMP/out" 2>"$TMP/err"
        ok "--check=dns, --jobs $jobs: the other 199 records, checks and all" cmp "$TMP/dnsexpected" "$TMP/out"
    done
else
    echo "# dnsmasq is not installed: --check after a crash not tested"
fi
done_testing
