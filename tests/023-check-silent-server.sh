#!/bin/sh
# A name server that never answers: every DNS check ends as `error` within
# its time budget, every record is still printed, and the exit status is 0.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/checks-lib.sh"
start_silent_server

make_bounces "$TMP/in.mbox" 6 "slow1.test slow2.test"
BOUNCETRIAGE_DNS_TIMEOUT=1 BOUNCETRIAGE_DNS_TRIES=2 \
    "$BT_BIN" --check=dns --nameserver "$SILENT" -f jsonl "$TMP/in.mbox" >"$TMP/out.jsonl" 2>"$TMP/err"
echo $? >"$TMP/status"
BOUNCETRIAGE_DNS_TIMEOUT=1 "$BT_BIN" --check-domain --check=dns --nameserver "$SILENT" -f jsonl quiet.test \
    >"$TMP/domain.jsonl" 2>&1

ok "exit status 0" grep -qx 0 "$TMP/status"
ok "all 6 records are printed" sh -c 'test "$(wc -l <"$1")" -eq 6' sh "$TMP/out.jsonl"
ok "every DNS check is an error" \
    sh -c 'test "$(grep -o "\"name\":\"dns\.[a-z]*\",\"target\":\"[^\"]*\",\"status\":\"[a-z]*\"" "$1" | grep -vc "\"status\":\"error\"")" -eq 0' sh "$TMP/out.jsonl"
ok "... and there were DNS checks" grep -q '"name":"dns.spf"' "$TMP/out.jsonl"
ok "the detail says the server did not answer" grep -q '"status":"error","detail":"[^"]*\(did not answer\|not answered\|time allowed\)' "$TMP/out.jsonl"
ok "the server was asked" test -s "$SILENT_LOG"
ok "--check-domain: every DNS check is an error" \
    sh -c 'test "$(grep -o "\"status\":\"[a-z]*\"" "$1" | sort -u)" = "\"status\":\"error\""' sh "$TMP/domain.jsonl"
done_testing
