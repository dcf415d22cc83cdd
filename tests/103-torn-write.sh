#!/bin/sh
# A crash while the writer is inside write() must neither repeat nor lose
# a byte of stdout.  The torn-write fault puts out half of the last chunk
# (told to the board, as between two write()s) and, into a file, a quarter
# more the board never hears of (as a write the kernel cut short when the
# process died), then dies of SIGSEGV.  The next child skips what the
# board knew was out, and the parent first cuts a file back to it.
. "$BT_SRCDIR/tests/lib.sh"
mbox="$BT_SRCDIR/fixtures/sample.mbox"
"$BT_BIN" --format=jsonl "$mbox" >"$TMP/clean" 2>/dev/null
ok "the clean run has records" test -s "$TMP/clean"
for jobs in 1 2; do
    rm -f "$TMP/flag"
    BOUNCETRIAGE_TEST_FAULT="torn-write:$TMP/flag" "$BT_BIN" --format=jsonl --jobs $jobs "$mbox" \
        >"$TMP/file" 2>"$TMP/file.err"
    ok "--jobs $jobs, into a file: the fault fired" test -e "$TMP/flag"
    ok "--jobs $jobs, into a file: every byte once" cmp "$TMP/clean" "$TMP/file"
    rm -f "$TMP/flag"
    { echo "kept"; } >"$TMP/append"
    { echo "kept"; cat "$TMP/clean"; } >"$TMP/append.expected"
    BOUNCETRIAGE_TEST_FAULT="torn-write:$TMP/flag" "$BT_BIN" --format=jsonl --jobs $jobs "$mbox" \
        >>"$TMP/append" 2>/dev/null
    ok "--jobs $jobs, appended to a file: what was there stays, every byte once" \
        cmp "$TMP/append.expected" "$TMP/append"
    rm -f "$TMP/flag"
    BOUNCETRIAGE_TEST_FAULT="torn-write:$TMP/flag" "$BT_BIN" --format=jsonl --jobs $jobs "$mbox" \
        2>/dev/null | cat >"$TMP/pipe"
    ok "--jobs $jobs, into a pipe: the fault fired" test -e "$TMP/flag"
    ok "--jobs $jobs, into a pipe: every byte once" cmp "$TMP/clean" "$TMP/pipe"
done
done_testing
