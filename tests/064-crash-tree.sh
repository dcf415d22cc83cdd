#!/bin/sh
# A crashing message in a directory tree or a maildir costs that file only.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/memsafe-lib.sh"
make_batch 1000 1 700
"$BT_BIN" --format=jsonl "$TMP/batch.d" >"$TMP/all" 2>/dev/null
ok "the clean run gives 1000 records" test "$(records "$TMP/all")" -eq 1000
grep -v -e '"origin":"[^"]*msg-0001.eml"' -e '"origin":"[^"]*msg-0700.eml"' "$TMP/all" >"$TMP/expected"
for kind in segv abort; do
    for jobs in 1 2; do
        crash_run $kind $jobs "$TMP/out" "$TMP/err" "$TMP/batch.d"
        ok "$kind, --jobs $jobs: the other 998 records, in order" cmp "$TMP/expected" "$TMP/out"
        ok "$kind, --jobs $jobs: exit 65" test "$(cat "$TMP/out.rc")" -eq 65
        ok "$kind, --jobs $jobs: stderr names both files" \
            sh -c "grep -q '^bouncetriage: $TMP/batch.d/msg-0001.eml: triage crashed' '$TMP/err' &&
                   grep -q '^bouncetriage: $TMP/batch.d/msg-0700.eml: triage crashed' '$TMP/err'"
    done
done

# a maildir: cur/ then new/
mkdir -p "$TMP/md/cur" "$TMP/md/new" "$TMP/md/tmp"
mv "$TMP/batch.d"/msg-0[0-4]*.eml "$TMP/md/cur/"
mv "$TMP/batch.d"/msg-*.eml "$TMP/md/new/"
"$BT_BIN" --format=jsonl "$TMP/md" >"$TMP/mdall" 2>/dev/null
grep -v -e 'msg-0001.eml' -e 'msg-0700.eml' "$TMP/mdall" >"$TMP/mdexpected"
crash_run segv 2 "$TMP/out" "$TMP/err" "$TMP/md"
ok "maildir, --jobs 2: the other 998 records, in order" cmp "$TMP/mdexpected" "$TMP/out"
ok "maildir, --jobs 2: exit 65" test "$(cat "$TMP/out.rc")" -eq 65
ok "maildir: the culprit in new/ is named" grep -q "$TMP/md/new/msg-0700.eml: triage crashed" "$TMP/err"
done_testing
