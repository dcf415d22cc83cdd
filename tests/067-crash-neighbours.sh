#!/bin/sh
# Crashes next to each other, at the ends, and everywhere: each costs its
# own message, found one at a time when several were in flight.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/memsafe-lib.sh"
make_batch 200 1 10 11 12 100 200
"$BT_BIN" --format=jsonl "$TMP/batch.mbox" >"$TMP/all" 2>/dev/null
without_offsets "$TMP/all" $(for n in 1 10 11 12 100 200; do offset_of $n; done) >"$TMP/expected"
ok "194 records expected" test "$(records "$TMP/expected")" -eq 194
for jobs in 1 2 4; do
    crash_run abort $jobs "$TMP/out" "$TMP/err" "$TMP/batch.mbox"
    ok "--jobs $jobs: the other 194 records, in order" cmp "$TMP/expected" "$TMP/out"
    ok "--jobs $jobs: six crashes reported, once each" test "$(grep -c 'triage crashed' "$TMP/err")" -eq 6
    ok "--jobs $jobs: exit 65" test "$(cat "$TMP/out.rc")" -eq 65
done

# with --summary the messages already written are replayed in silence
# after each crash: the counts are those of the 194 written, once each
for jobs in 1 2; do
    BOUNCETRIAGE_TEST_FAULT=abort:BT-POISON "$BT_BIN" --format=jsonl --summary --jobs $jobs \
        "$TMP/batch.mbox" >"$TMP/out" 2>"$TMP/err"
    ok "--summary, --jobs $jobs: the other 194 records, in order" cmp "$TMP/expected" "$TMP/out"
    ok "--summary, --jobs $jobs: the summary counts 194" \
        sh -c "grep -qx 'messages: 194' '$TMP/err' && grep -qx 'records:  194' '$TMP/err'"
done

make_batch 5 1 2 3 4 5
crash_run segv 2 "$TMP/out" "$TMP/err" "$TMP/batch.mbox"
ok "every message crashes: no record" test ! -s "$TMP/out"
ok "every message crashes: five reports, exit 65" \
    sh -c "test \$(grep -c 'triage crashed' '$TMP/err') -eq 5 && test \$(cat '$TMP/out.rc') -eq 65"
done_testing
