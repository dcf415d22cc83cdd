#!/bin/sh
# A message that crashes triage (SIGSEGV, abort, allocation failure) in an
# mbox file costs that message only: the other 999 records, exactly once
# and in order, exit 65, and a line naming the file and the offset.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/memsafe-lib.sh"
make_batch 1000 500
off=$(offset_of 500)
"$BT_BIN" --format=jsonl "$TMP/batch.mbox" >"$TMP/all" 2>/dev/null
ok "the clean run gives 1000 records" test "$(records "$TMP/all")" -eq 1000
without_offsets "$TMP/all" "$off" >"$TMP/expected"
for kind in segv abort oom; do
    if [ $kind = oom ] && is_sanitized; then
        continue
    fi
    for jobs in 1 2; do
        crash_run $kind $jobs "$TMP/out" "$TMP/err" "$TMP/batch.mbox"
        ok "$kind, --jobs $jobs: the other 999 records, in order" cmp "$TMP/expected" "$TMP/out"
        ok "$kind, --jobs $jobs: exit 65" test "$(cat "$TMP/out.rc")" -eq 65
        ok "$kind, --jobs $jobs: stderr names origin and offset" \
            grep -q "^bouncetriage: $TMP/batch.mbox (offset $off): triage crashed" "$TMP/err"
    done
done
done_testing
