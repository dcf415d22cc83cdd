#!/bin/sh
# --jobs 1, 2 and 4 give the same bytes on stdout and stderr and the same
# exit status, for every input form: a directory tree, maildirs (LF and
# CRLF), mbox files, an mbox with CR line ends, stdin redirected from a
# file and piped.  Problems are reported in input order by the writer, so
# stderr does not depend on which worker finished first.
. "$BT_SRCDIR/tests/lib.sh"
corpus="$BT_SHARED/corpus/set-of-emails"
fixtures="$BT_SRCDIR/fixtures"
# an mbox of every fixture, with an unparsable entry and a cut at the end
find "$fixtures" -name '*.eml' | sort | while read -r f; do
    echo "From MAILER-DAEMON  Sat Jun 22 08:08:08 2024"
    sed 's/^From />From /' "$f"
    echo
done >"$TMP/all.mbox"
{ cat "$TMP/all.mbox"; printf 'From x  Sat Jun 22 08:08:08 2024\n\001\n\n'; cat "$TMP/all.mbox"; head -c 300 "$TMP/all.mbox"; } >"$TMP/odd.mbox"
tr '\n' '\r' <"$TMP/odd.mbox" >"$TMP/cr.mbox"

# same LABEL ARGS...: the three job counts agree (stdin as given)
same() {
    label=$1; shift
    for j in 1 2 4; do
        "$BT_BIN" --jobs $j "$@" >"$TMP/got.$j" 2>"$TMP/said.$j" <"$stdin"
        echo $? >>"$TMP/said.$j"
    done
    ok "$label: records" test -s "$TMP/got.1"
    ok "$label: --jobs 2 and 4 give --jobs 1's stdout" \
        sh -c "cmp '$TMP/got.1' '$TMP/got.2' && cmp '$TMP/got.1' '$TMP/got.4'"
    ok "$label: --jobs 2 and 4 give --jobs 1's stderr and exit" \
        sh -c "cmp '$TMP/said.1' '$TMP/said.2' && cmp '$TMP/said.1' '$TMP/said.4'"
}
stdin=/dev/null
same "fixtures tree, jsonl" --format=jsonl "$fixtures"
same "fixtures mbox with a bad entry and a cut, text" --format=text "$TMP/odd.mbox"
same "the same with CR line ends, csv" --format=csv "$TMP/cr.mbox"
if [ -d "$corpus/maildir" ]; then
    same "corpus maildirs bsd and not" --format=jsonl "$corpus/maildir/bsd" "$corpus/maildir/not"
    same "corpus maildir dos" --format=jsonl "$corpus/maildir/dos"
    same "corpus mailboxes" --format=jsonl "$corpus/mailbox"
fi
stdin="$TMP/odd.mbox"
same "mbox on stdin, redirected" --format=jsonl
cp "$TMP/got.1" "$TMP/redirected"
# piped: one pipe per run
for j in 1 2 4; do
    cat "$TMP/odd.mbox" | "$BT_BIN" --jobs $j --format=jsonl - >"$TMP/got.$j" 2>"$TMP/said.$j"
    echo $? >>"$TMP/said.$j"
done
ok "mbox piped: --jobs 2 and 4 give --jobs 1's stdout" \
    sh -c "cmp '$TMP/got.1' '$TMP/got.2' && cmp '$TMP/got.1' '$TMP/got.4'"
ok "mbox piped: and stderr and exit" \
    sh -c "cmp '$TMP/said.1' '$TMP/said.2' && cmp '$TMP/said.1' '$TMP/said.4'"
ok "mbox piped: as redirected" cmp "$TMP/redirected" "$TMP/got.1"
done_testing
