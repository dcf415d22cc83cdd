#!/bin/sh
# --jobs N gives exactly the output of one job, in input order.
. "$BT_SRCDIR/tests/lib.sh"
input="$BT_SHARED/corpus/set-of-emails/maildir/bsd"
[ -d "$input" ] || input="$BT_SRCDIR/fixtures"
"$BT_BIN" --format=jsonl "$input" >"$TMP/one" 2>/dev/null
ok "one job gives records" test -s "$TMP/one"
for j in 2 3 8; do
    "$BT_BIN" --format=jsonl --jobs $j "$input" >"$TMP/many" 2>/dev/null
    ok "--jobs $j output equals one job's" cmp "$TMP/one" "$TMP/many"
done
done_testing
