#!/bin/sh
# The three formats, --all and --summary over the bundled sample archive.
. "$BT_SRCDIR/tests/lib.sh"
mbox="$BT_SRCDIR/fixtures/sample.mbox"
"$BT_BIN" --format=jsonl "$mbox" >"$TMP/out.jsonl"
n=$(wc -l <"$TMP/out.jsonl")
ok "jsonl gives records" test "$n" -gt 0
if [ -n "$PYTHON3" ]; then
    ok "every jsonl line is a JSON object with a reason" "$PYTHON3" -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line); assert r["reason"], line' "$TMP/out.jsonl"
fi
"$BT_BIN" --format=csv "$mbox" >"$TMP/out.csv"
ok "csv has a header and one row per record" test "$(head -n 1 "$TMP/out.csv" | cut -c1-6)" = "origin"
"$BT_BIN" --format=text "$mbox" >"$TMP/out.txt"
ok "text names each recipient" sh -c 'for r in $(grep -o "\"recipient\":\"[^\"]*\"" "$1" | cut -d\" -f4); do grep -q "$r" "$2" || exit 1; done' sh "$TMP/out.jsonl" "$TMP/out.txt"
"$BT_BIN" --format=jsonl --all "$mbox" >"$TMP/all.jsonl"
ok "--all gives at least as many records" test "$(wc -l <"$TMP/all.jsonl")" -ge "$n"
"$BT_BIN" --format=text --summary "$mbox" >"$TMP/summary.txt"
ok "--summary counts reasons" grep -qi "reason" "$TMP/summary.txt"
done_testing
