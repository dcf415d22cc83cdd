#!/bin/sh
# When stdout goes away (the reader of a pipe left: `| head`), the batch
# stops reading and ends with 74 instead of triaging the rest of the
# input for nobody.  With --report the run still reads to the end, and
# the report is written whole, since it is output too.
. "$BT_SRCDIR/tests/lib.sh"
mbox="$BT_SRCDIR/fixtures/sample.mbox"
for i in 1 2 3 4 5 6 7 8; do cat "$mbox"; done >"$TMP/some.mbox"

# gone_run JOBS WORKERS: bouncetriage over 200 copies of the sample mbox
# and, at the end, a message that aborts triage; its stdout read by
# `head -c 1`.  A run that stops on the closed pipe never reaches it.
printf 'From x Thu Jan  1 00:00:00 2025\nFrom: MAILER-DAEMON@example.net\nSubject: BT-POISON\n\nx\n' >"$TMP/poison"
for i in $(seq 1 25); do cat "$TMP/some.mbox"; done >"$TMP/big.mbox"
cat "$TMP/poison" >>"$TMP/big.mbox"
gone_run() {
    { BOUNCETRIAGE_TEST_FAULT=abort:BT-POISON BOUNCETRIAGE_WORKERS=$2 "$BT_BIN" --format=jsonl \
        --jobs "$1" "$TMP/big.mbox" 2>"$TMP/err"; echo $? >"$TMP/rc"; } | head -c 1 >/dev/null
}
for jobs in 1 2 3; do
    for workers in processes threads; do
        [ $jobs = 1 ] && [ $workers = threads ] && continue
        gone_run $jobs $workers
        ok "--jobs $jobs ($workers): stops reading when stdout is gone" \
            sh -c "! grep -q 'triage crashed' '$TMP/err'"
        ok "--jobs $jobs ($workers): says so, exit 74" \
            sh -c "grep -q 'writing the output failed' '$TMP/err' && test \$(cat '$TMP/rc') -eq 74"
    done
done
# the same input read to its end when stdout stays: the poison is reached
BOUNCETRIAGE_TEST_FAULT=abort:BT-POISON "$BT_BIN" --format=jsonl --jobs 2 "$TMP/big.mbox" >/dev/null 2>"$TMP/err"
ok "(with stdout there, the last message is reached)" grep -q 'triage crashed' "$TMP/err"

# exit status 74, on a plain file
{ "$BT_BIN" --format=jsonl --jobs 2 "$TMP/some.mbox" 2>/dev/null; echo $? >"$TMP/rc"; } | head -c 1 >/dev/null
ok "exit 74 when stdout is gone" test "$(cat "$TMP/rc")" -eq 74

# with --report the input is still read to the end, and the report is the
# one a run whose stdout stayed makes
"$BT_BIN" --format=jsonl --jobs 2 --report="$TMP/whole.html" "$TMP/some.mbox" >/dev/null 2>&1
{ "$BT_BIN" --format=jsonl --jobs 2 --report="$TMP/r.html" "$TMP/some.mbox" 2>/dev/null
  echo $? >"$TMP/rc"; } | head -c 1 >/dev/null
ok "--report: the whole report is written though stdout went away" cmp "$TMP/whole.html" "$TMP/r.html"
ok "--report: exit 74 all the same" test "$(cat "$TMP/rc")" -eq 74
done_testing
