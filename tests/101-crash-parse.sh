#!/bin/sh
# A message that crashes GMime's parser costs that message only, like one
# that crashes triage: the parse runs on the worker that holds the message,
# which names it on the board.  The parse-KIND faults fire as the worker
# hands the message's bytes to GMime.  An unparsable entry near the crash
# is reported exactly once, however many times the run starts over.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/memsafe-lib.sh"
make_batch 300 150
# an entry whose first line is no header field, after the poisoned one
awk 'index($0, "Subject: Undelivered Mail 200") == 1 { bad = 1 }
     /^From MAILER-DAEMON/ && bad == 1 { print "From MAILER-DAEMON  Sat Jun 22 08:08:08 2024"; print "\001 not a header"; print ""; bad = 2 }
     { print }' "$TMP/batch.mbox" >"$TMP/bad.mbox"
off=$(grep -b '^From MAILER-DAEMON' "$TMP/bad.mbox" | sed -n 150p | cut -d: -f1)
bad=$(grep -b '^From MAILER-DAEMON' "$TMP/bad.mbox" | sed -n 201p | cut -d: -f1)
"$BT_BIN" --format=jsonl "$TMP/bad.mbox" >"$TMP/all" 2>"$TMP/all.err"
ok "the clean run gives 300 records" test "$(records "$TMP/all")" -eq 300
ok "the clean run reports the bad entry" \
    grep -q "^bouncetriage: $TMP/bad.mbox (offset $bad): the line after this From line is not a header field" "$TMP/all.err"
without_offsets "$TMP/all" "$off" >"$TMP/expected"
for k in segv abort oom; do
    if [ $k = oom ] && is_sanitized; then
        continue
    fi
    for jobs in 1 2 4; do
        crash_run parse-$k $jobs "$TMP/out" "$TMP/err" "$TMP/bad.mbox"
        ok "parse-$k, --jobs $jobs: the other 299 records, in order" cmp "$TMP/expected" "$TMP/out"
        ok "parse-$k, --jobs $jobs: exit 65" test "$(cat "$TMP/out.rc")" -eq 65
        ok "parse-$k, --jobs $jobs: stderr names origin and offset" \
            grep -q "^bouncetriage: $TMP/bad.mbox (offset $off): triage crashed" "$TMP/err"
        ok "parse-$k, --jobs $jobs: the bad entry is reported once" \
            test "$(grep -c "offset $bad" "$TMP/err")" -eq 1
        ok "parse-$k, --jobs $jobs: two lines on stderr" test "$(wc -l <"$TMP/err")" -eq 2
    done
done

# the same through a pipe (read again from the spool) and in a tree
cat "$TMP/bad.mbox" | crash_run parse-segv 2 "$TMP/out" "$TMP/err" -
sed "s|\"origin\":\"$TMP/bad.mbox\"|\"origin\":\"-\"|" "$TMP/expected" >"$TMP/expected.piped"
ok "parse-segv, --jobs 2, mbox piped: the other 299 records" cmp "$TMP/expected.piped" "$TMP/out"
ok "parse-segv, piped: stderr names - and the offset" \
    grep -q "^bouncetriage: - (offset $off): triage crashed" "$TMP/err"
"$BT_BIN" --format=jsonl "$TMP/batch.d" >"$TMP/tree" 2>/dev/null
grep -v '"origin":"[^"]*/msg-0150.eml"' "$TMP/tree" >"$TMP/tree.expected"
crash_run parse-segv 2 "$TMP/out" "$TMP/err" "$TMP/batch.d"
ok "parse-segv, --jobs 2, tree: the other records" cmp "$TMP/tree.expected" "$TMP/out"
ok "parse-segv, tree: stderr names the file" \
    grep -q "^bouncetriage: $TMP/batch.d/msg-0150.eml: triage crashed" "$TMP/err"

# a parse fault on no message changes nothing
BOUNCETRIAGE_TEST_FAULT="parse-segv:NO-SUCH-MARKER" "$BT_BIN" --format=jsonl --jobs 2 "$TMP/bad.mbox" >"$TMP/out" 2>/dev/null
ok "a marker no message has: every record" cmp "$TMP/all" "$TMP/out"
done_testing
