#!/bin/sh
# --check=dns over 1,000 bounces from 10 sender domains: every record gets
# its checks run, and the name server sees each distinct question once.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/checks-lib.sh"
start_dnsmasq

domains="bulk0.test bulk1.test bulk2.test bulk3.test bulk4.test bulk5.test bulk6.test bulk7.test bulk8.test bulk9.test"
make_bounces "$TMP/in.mbox" 1000 "$domains"
"$BT_BIN" --check=dns --nameserver "$NS" -f jsonl --jobs 2 "$TMP/in.mbox" >"$TMP/out.jsonl" 2>"$TMP/err"
echo $? >"$TMP/status"
# dnsmasq logs "query[TXT] name from 127.0.0.1" for each question received
grep -o 'query\[[A-Z]*\] [^ ]*' "$QLOG" | sort >"$TMP/questions"
sort -u "$TMP/questions" >"$TMP/distinct"

ok "exit status 0" grep -qx 0 "$TMP/status"
ok "1000 records" sh -c 'test "$(wc -l <"$1")" -eq 1000' sh "$TMP/out.jsonl"
ok "no check is left suggested" sh -c '! grep -q "\"status\":\"suggested\"" "$1"' sh "$TMP/out.jsonl"
ok "SPF ran for every record, with the sending address" \
    sh -c 'test "$(grep -c "\"name\":\"dns.spf\",\"target\":\"bulk[0-9].test\",\"status\":\"problem\",\"detail\":\"[^\"]*softfail. for the sending server 198.18" "$1")" -eq 1000' sh "$TMP/out.jsonl"
ok "the DKIM selector comes from the returned DKIM-Signature" \
    sh -c 'test "$(grep -c "\"target\":\"default._domainkey.bulk[0-9].test\"" "$1")" -eq 1000' sh "$TMP/out.jsonl"
ok "the server was asked about every sender domain" \
    sh -c 'for i in 0 1 2 3 4 5 6 7 8 9; do grep -qx "query\[TXT\] bulk$i.test" "$1" || exit 1; done' sh "$TMP/distinct"
ok "each distinct question was asked once" cmp "$TMP/questions" "$TMP/distinct"
echo "# $(wc -l <"$TMP/questions") questions for 1000 bounces"
done_testing
