#!/bin/sh
# stdin: an mbox stream with a crashing message goes on after it (stdin
# is read again from a spool); one crashing message is reported, exit 65.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/memsafe-lib.sh"
make_batch 1000 999
off=$(offset_of 999)
"$BT_BIN" --format=jsonl - <"$TMP/batch.mbox" >"$TMP/all" 2>/dev/null
ok "the clean run gives 1000 records" test "$(records "$TMP/all")" -eq 1000
without_offsets "$TMP/all" "$off" >"$TMP/expected"
for kind in segv abort; do
    for jobs in 1 2; do
        # through a pipe, which cannot be read twice
        cat "$TMP/batch.mbox" | crash_run $kind $jobs "$TMP/out" "$TMP/err"
        ok "$kind, --jobs $jobs, mbox on stdin: the other 999 records" cmp "$TMP/expected" "$TMP/out"
        ok "$kind, --jobs $jobs: exit 65" test "$(cat "$TMP/out.rc")" -eq 65
        ok "$kind, --jobs $jobs: stderr names - and the offset" \
            grep -q "^bouncetriage: - (offset $off): triage crashed" "$TMP/err"
    done
done

# a pipe that brings the mbox in pieces, with pauses: the crash comes while
# stdin is still arriving, and the input is the supervisor's to keep (a
# child that died between reading a block and spooling it lost the block)
split -b 65536 "$TMP/batch.mbox" "$TMP/piece."
slow_cat() { for p in "$TMP"/piece.*; do cat "$p"; sleep 0.05; done; }
slow_cat | crash_run segv 2 "$TMP/out" "$TMP/err"
ok "segv, --jobs 2, mbox on a slow pipe: the other 999 records" cmp "$TMP/expected" "$TMP/out"
ok "segv, --jobs 2, slow pipe: exit 65" test "$(cat "$TMP/out.rc")" -eq 65

# redirected from a file: read again by seeking back, no spool
crash_run segv 2 "$TMP/out" "$TMP/err" <"$TMP/batch.mbox"
ok "stdin from a file, --jobs 2: the other 999 records" cmp "$TMP/expected" "$TMP/out"
ok "stdin from a file: exit 65" test "$(cat "$TMP/out.rc")" -eq 65

cat "$TMP/batch.d/msg-0999.eml" | crash_run segv 1 "$TMP/out" "$TMP/err"
ok "one crashing message on stdin: no record" test ! -s "$TMP/out"
ok "one crashing message on stdin: exit 65" test "$(cat "$TMP/out.rc")" -eq 65
ok "one crashing message on stdin: reported" grep -q "^bouncetriage: -: triage crashed" "$TMP/err"
cat "$TMP/batch.d/msg-0998.eml" | crash_run segv 1 "$TMP/out" "$TMP/err"
ok "one clean message on stdin: its record, exit 0" \
    sh -c "test \"\$(grep -c '^{' '$TMP/out')\" -eq 1 && test \"\$(cat '$TMP/out.rc')\" -eq 0"
done_testing
