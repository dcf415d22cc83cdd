#!/bin/sh
# --check=resend end to end: the CLI against tests/resend-double.py (a
# loopback Resend built from its OpenAPI description).  Every output stream
# is searched for the API key, which must never appear.
. "$BT_SRCDIR/tests/lib.sh"

PY=${PYTHON3:-python3}
SPEC="$BT_SHARED/specs/resend-openapi.yaml"
command -v "$PY" >/dev/null 2>&1 || skip_all "python3 is not installed"
"$PY" -c 'import yaml' 2>/dev/null || skip_all "python3-yaml is not installed"
[ -f "$SPEC" ] || skip_all "no $SPEC"
if "$BT_BIN" --check=resend --check-domain example.com 2>&1 | grep -q "not available"; then
    skip_all "this build does not run checks yet"
fi

# The double serves until its stdin closes: hold a FIFO open on fd 3 and
# let the shell's exit close it.
mkfifo "$TMP/stdin"
"$PY" "$BT_SRCDIR/tests/resend-double.py" --spec "$SPEC" <"$TMP/stdin" >"$TMP/port" &
exec 3>"$TMP/stdin"
wait_until test -s "$TMP/port"
[ -s "$TMP/port" ] || { echo "Bail out! the Resend double did not start"; exit 1; }
URL="http://127.0.0.1:$(cat "$TMP/port")"
TAIL=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

# run KEY OUT DOMAIN…: the CLI with stdout and stderr in OUT, exit status in OUT.rc
run() {
    key=$1 out=$2; shift 2
    RESEND_API_KEY=$key RESEND_BASE_URL=$URL "$BT_BIN" --check=resend --check-domain "$@" \
        >"$out" 2>&1
    echo $? >"$out.rc"
}
no_key_in() { ! grep -q "$TAIL" "$@"; }

run "re_ok_${TAIL}" "$TMP/ok" partial.example.org verified.example.com elsewhere.example.com
ok "--check-domain with Resend exits 0" grep -qx 0 "$TMP/ok.rc"
ok "partially_failed names the DKIM record to publish" \
    grep -q "partially_failed.*resend._domainkey.partial.example.org" "$TMP/ok"
ok "verified domain reports its region" grep -q "verified in Resend (region us-east-1)" "$TMP/ok"
run "re_ok_${TAIL}" "$TMP/failed" failed.example.net
ok "an MX record to publish keeps its preference" \
    grep -q "send.failed.example.net. MX 10 feedback-smtp.us-east-1.amazonses.com" "$TMP/failed"
ok "unknown domain is not in the account" grep -q "domain not in this Resend account" "$TMP/ok"
ok "the key is not in the output" no_key_in "$TMP/ok"

run "re_401_${TAIL}" "$TMP/401" verified.example.com
ok "401 is an error in the check, not of the run" grep -qx 0 "$TMP/401.rc"
ok "401 gives the API's message" grep -q "HTTP 401: This API key is restricted" "$TMP/401"
run "re_403_${TAIL}" "$TMP/403" verified.example.com
ok "an API message echoing the key is redacted" grep -q "API key \[redacted\] is invalid" "$TMP/403"
ok "the key is in no error output" no_key_in "$TMP/401" "$TMP/403"

RESEND_API_KEY="re_ok_${TAIL}" RESEND_BASE_URL=http://example.com \
    "$BT_BIN" --check=resend --check-domain example.com >"$TMP/http" 2>&1
echo $? >"$TMP/http.rc"
ok "plain http:// to a non-loopback host exits 64" grep -qx 64 "$TMP/http.rc"
ok "and says why" grep -q "loopback" "$TMP/http"
ok "the key is not in the usage error" no_key_in "$TMP/http"

env -u RESEND_API_KEY RESEND_BASE_URL="$URL" "$BT_BIN" --check=resend --check-domain example.com \
    >"$TMP/nokey" 2>&1
ok "no key: the check is skipped, saying why" grep -q "RESEND_API_KEY is not set" "$TMP/nokey"
done_testing
