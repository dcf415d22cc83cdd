#!/bin/sh
# CRLF (maildir/dos) and bare-CR (maildir/mac) copies give the same
# recipients and status codes as the LF originals (maildir/bsd), and so do
# CR CR LF copies (a CRLF file whose line ends were converted once more).
. "$BT_SRCDIR/tests/lib.sh"
corpus="$BT_SHARED/corpus/set-of-emails/maildir"
[ -d "$corpus/bsd" ] || skip_all "no shared corpus at $BT_SHARED"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to compare JSON"

facts() {   # recipient, status and reply code per record, by file name
    "$BT_BIN" --format=jsonl "$@" 2>/dev/null | "$PYTHON3" -c '
import json, os, sys
for line in sys.stdin:
    r = json.loads(line)
    print(os.path.basename(r["origin"]), r["recipient"], r["deliverystatus"], r["replycode"])' | sort
}
for style in dos mac; do
    files=$(ls "$corpus/$style")
    (cd "$corpus/$style" && facts $files) >"$TMP/$style.txt"
    (cd "$corpus/bsd" && facts $files) >"$TMP/bsd-$style.txt"
    ok "$style copies give the same facts as bsd" diff -u "$TMP/bsd-$style.txt" "$TMP/$style.txt"
    ok "$style copies give records at all" test -s "$TMP/$style.txt"
done
mkdir "$TMP/crcrlf"
(cd "$corpus/bsd" && for f in *.eml; do
    tr -d '\r' <"$f" | sed 's/$/\r\r/' >"$TMP/crcrlf/$f"
done)
(cd "$TMP/crcrlf" && facts *.eml) >"$TMP/crcrlf.txt"
(cd "$corpus/bsd" && facts *.eml) >"$TMP/bsd-crcrlf.txt"
ok "CR CR LF copies give the same facts as bsd" diff -u "$TMP/bsd-crcrlf.txt" "$TMP/crcrlf.txt"
ok "CR CR LF copies give records at all" test -s "$TMP/crcrlf.txt"
done_testing
