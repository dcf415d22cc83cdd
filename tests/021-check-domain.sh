#!/bin/sh
# --check-domain: the checks for domains without a bounce, read by a person
# (what is wrong, the record to publish) or by a program (one JSON object
# per domain), against dnsmasq serving the fixture zone.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/checks-lib.sh"
start_dnsmasq

expect_status() { want=$1; shift; "$@" >/dev/null 2>&1; test $? -eq "$want"; }
"$BT_BIN" --check-domain --check=dns --nameserver "$NS" -f text good.test twospf.test pnone.test \
    >"$TMP/text" 2>"$TMP/err"
echo $? >"$TMP/status"
"$BT_BIN" --check-domain --check=dns --nameserver "$NS" -f jsonl good.test nullmx.test >"$TMP/jsonl"

ok "exit status 0" grep -qx 0 "$TMP/status"
ok "a domain with nothing wrong says so" grep -q "^good.test: no problem found" "$TMP/text"
ok "a domain with problems counts them" grep -q "^twospf.test: [0-9] problems*" "$TMP/text"
ok "two SPF records: the problem in words" grep -q "dns.spf .*problem .*twospf.test has 2 SPF records" "$TMP/text"
ok "two SPF records: one merged record to publish" \
    grep -q '^ *publish: twospf.test. TXT "v=spf1 .*include:_spf.provider.test.*ip4:192.0.2.1.* ~all"$' "$TMP/text"
ok "p=none: the stricter policy to publish" \
    grep -q '^ *publish: _dmarc.pnone.test. TXT "v=DMARC1; p=quarantine; rua=mailto:d@pnone.test"$' "$TMP/text"
ok "text lines fit 78 columns, except records to publish" \
    sh -c '! grep -v "publish: " "$1" | awk "length > 78" | grep -q .' sh "$TMP/text"
ok "jsonl: one object per domain" sh -c 'test "$(grep -c "^{\"domain\":" "$1")" -eq 2' sh "$TMP/jsonl"
ok "jsonl: a null MX is a problem" grep -q '"name":"dns.mx","target":"nullmx.test","status":"problem","detail":"[^"]*null MX' "$TMP/jsonl"
ok "jsonl: the DKIM target names the selector" grep -q '"target":"default._domainkey.good.test","status":"ok"' "$TMP/jsonl"
if [ -n "$PY" ]; then
    ok "jsonl: every line is JSON" "$PY" -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/jsonl"
fi
ok "no domain exits 64" expect_status 64 "$BT_BIN" --check-domain --check=dns --nameserver "$NS"
ok "an unknown check kind exits 64" expect_status 64 "$BT_BIN" --check-domain --check=dns,smtp good.test
ok "an unusable --nameserver exits 64" expect_status 64 "$BT_BIN" --check-domain --nameserver 127.0.0.1:port good.test
done_testing
