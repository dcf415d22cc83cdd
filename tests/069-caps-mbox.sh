#!/bin/sh
# Cut messages in an mbox: the messages after them are read as before,
# their offsets still point at their From lines (LF and CRLF files), and
# only the cut messages get a note.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/memsafe-lib.sh"
make_batch 6
# message 3 gets 3,000 extra parts, message 5 twenty parts of 300 KB (each cut
# at 256 KiB, and together over the 4 MiB cap)
{
    i=0
    for f in "$TMP"/batch.d/msg-000[1-6].eml; do
        i=$((i + 1))
        echo "From MAILER-DAEMON  Sat Jun 22 08:08:08 2024"
        cat "$f"
        if [ $i -eq 3 ]; then
            awk 'BEGIN { for (k = 0; k < 3000; k++) printf "--junk\n\nx\n" }'
        fi
        if [ $i -eq 5 ]; then
            awk 'BEGIN { for (p = 0; p < 20; p++) { print "--junk\n"; for (k = 0; k < 4000; k++) print "trailing text, line", k, "........................................" } }'
        fi
        echo
    done
} >"$TMP/cut.mbox"
"$BT_BIN" --format=jsonl "$TMP/cut.mbox" >"$TMP/out" 2>"$TMP/err"
ok "six messages, six records" test "$(records "$TMP/out")" -eq 6
offsets=$(grep -b '^From MAILER-DAEMON' "$TMP/cut.mbox" | cut -d: -f1 | tr '\n' ' ')
got=$(sed -n 's/.*"offset":\([0-9]*\),.*/\1/p' "$TMP/out" | tr '\n' ' ')
ok "every offset is its From line's" test "$offsets" = "$got"
o3=$(echo $offsets | cut -d' ' -f3)
o5=$(echo $offsets | cut -d' ' -f5)
ok "message 3 is noted for its parts" grep -q "(offset $o3): more than 1000 MIME parts" "$TMP/err"
ok "message 5 is noted for its size" grep -q "(offset $o5): the message is over 4 MiB" "$TMP/err"
ok "no other note" test "$(wc -l <"$TMP/err")" -eq 2

sed 's/$/\r/' "$TMP/cut.mbox" >"$TMP/crlf.mbox"
"$BT_BIN" --format=jsonl "$TMP/crlf.mbox" >"$TMP/crlf" 2>"$TMP/crlferr"
offsets=$(grep -b '^From MAILER-DAEMON' "$TMP/crlf.mbox" | cut -d: -f1 | tr '\n' ' ')
got=$(sed -n 's/.*"offset":\([0-9]*\),.*/\1/p' "$TMP/crlf" | tr '\n' ' ')
ok "CRLF: six records" test "$(records "$TMP/crlf")" -eq 6
ok "CRLF: every offset is its From line's" test "$offsets" = "$got"
ok "CRLF: the same two notes" test "$(wc -l <"$TMP/crlferr")" -eq 2
ok "CRLF: the same facts" sh -c "sed 's/\"offset\":[0-9]*,//' '$TMP/out' >'$TMP/a'; sed 's/\"offset\":[0-9]*,//' '$TMP/crlf' | sed 's/crlf.mbox/cut.mbox/g' | cmp - '$TMP/a'"
done_testing
