#!/bin/sh
# Every shipped rule names a cause, so every rule must be proven by at
# least one fixture of ours whose expected record names it.  (Whether the
# fixture really yields that record is test-fixtures' job.)
. "$BT_SRCDIR/tests/lib.sh"
cd "$BT_SRCDIR" || exit 1

sed -n 's/^  - id: *\([^ #]*\).*/\1/p' rules/*.yaml | tr -d "'\"" | sort -u >"$TMP/rules"
find fixtures -name '*.json' -exec cat {} + \
    | grep -o '"rule": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | sort -u >"$TMP/proven"

ok "the shipped packs define rules" test -s "$TMP/rules"
while read -r id; do
    ok "rule $id has a fixture" grep -qx "$id" "$TMP/proven"
done <"$TMP/rules"
ok "no fixture names a rule that does not exist" sh -c 'comm -13 "$1" "$2" | sed "s/^/unknown: /" | grep . && exit 1 || exit 0' sh "$TMP/rules" "$TMP/proven"
done_testing
