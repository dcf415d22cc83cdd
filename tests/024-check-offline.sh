#!/bin/sh
# Without --check nothing touches the network: a --nameserver that would
# never answer is never asked, and the checks stay "suggested".
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/checks-lib.sh"
start_silent_server

make_bounces "$TMP/in.mbox" 20 "off1.test off2.test"
"$BT_BIN" --nameserver "$SILENT" -f jsonl "$TMP/in.mbox" >"$TMP/out.jsonl" 2>"$TMP/err"
echo $? >"$TMP/status"

ok "exit status 0" grep -qx 0 "$TMP/status"
ok "all 20 records are printed" sh -c 'test "$(wc -l <"$1")" -eq 20' sh "$TMP/out.jsonl"
ok "the rules suggested DNS checks" grep -q '"name":"dns.spf","target":"off1.test","status":"suggested"' "$TMP/out.jsonl"
ok "every check stays suggested" \
    sh -c 'test "$(grep -o "\"status\":\"[a-z]*\"" "$1" | sort -u)" = "\"status\":\"suggested\""' sh "$TMP/out.jsonl"
ok "the name server received nothing" sh -c '! test -s "$1"' sh "$SILENT_LOG"
done_testing
