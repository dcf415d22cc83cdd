#!/bin/sh
# mbox input: every message gives records, offsets point at From_ lines,
# and stdin works both for one message and for an mbox stream.
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to read JSON"
mbox="$BT_SHARED/corpus/set-of-emails/mailbox/mbox-0"
[ -f "$mbox" ] || mbox="$BT_SRCDIR/fixtures/sample.mbox"

offsets() { "$PYTHON3" -c '
import json, sys
seen = []
for line in sys.stdin:
    o = json.loads(line)["offset"]
    if o not in seen: seen.append(o)
for o in seen: print(o)'; }

"$BT_BIN" --format=jsonl "$mbox" >"$TMP/out.jsonl" 2>"$TMP/err"
offsets <"$TMP/out.jsonl" >"$TMP/offsets"
n=$(grep -c '^From ' "$mbox")
ok "every message of the mbox gives a record ($n)" test "$(wc -l <"$TMP/offsets")" -eq "$n"
check_offsets() {
    while read -r o; do
        test "$(tail -c +$((o + 1)) "$mbox" | head -c 5)" = "From " || { echo "offset $o"; return 1; }
    done <"$TMP/offsets"
}
ok "each offset points at a From_ line" check_offsets
ok "an mbox on stdin gives the same records" sh -c '"$BT_BIN" --format=jsonl <"$1" | sed "s/\"origin\":\"[^\"]*\"//" >"$2/a"; sed "s/\"origin\":\"[^\"]*\"//" "$2/out.jsonl" >"$2/b"; cmp "$2/a" "$2/b"' sh "$mbox" "$TMP"
# the first fixture that expects a record (a group may start with a
# message that is no bounce)
one=$(for f in "$BT_SRCDIR"/fixtures/*/*.eml; do
    grep -q '"recipient"' "${f%.eml}.json" 2>/dev/null && { echo "$f"; break; }
done)
ok "one message on stdin gives its records with origin -" sh -c '"$BT_BIN" --format=jsonl <"$1" | grep -q "\"origin\":\"-\""' sh "$one"
done_testing
