#!/bin/sh
# Clean output, and the Resend key never leaks (issue 9):
# - CSV cells that a spreadsheet would run as formulas get a leading ';
# - no raw control byte in text or CSV output, nor in stderr's file names;
# - the key is in no output stream even when the API echoes it in record
#   values, or in an error message longer than the 200 characters kept;
# - http://localhost. (a DNS name) is not loopback; http://localhost is,
#   without asking DNS;
# - rule directories others can write: a warning in batch, 75 in --hook.
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to read CSV"
robust="$BT_SRCDIR/fixtures/robust"

# ---- CSV formulas ----------------------------------------------------------
"$BT_BIN" --format=csv "$robust/csv-formula-cells.eml" >"$TMP/formula.csv"
formula_cells_are_text() {
    "$PYTHON3" - "$TMP/formula.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
assert len(rows) == 1, rows
row = rows[0]
want = {
    'subject': '\'=HYPERLINK("http://example.com/?x="&A1,"click")',
    'diagnosticcode': "'@SUM(1+1)*cmd|' /C calc'!A0 user unknown",
    'messageid': "'+1-555@example.com",
    'timezoneoffset': "'-0700",
    'recipient': 'user@example.org',
}
for key, value in want.items():
    assert row[key] == value, (key, row[key], value)
for key, value in row.items():   # no cell at all starts like a formula
    assert not value or value[0] not in '=+-@\t\r', (key, value)
PY
}
ok "CSV cells starting with = + - @ get a leading apostrophe" formula_cells_are_text

# ---- control characters ----------------------------------------------------
# A notice with raw ESC, BEL and CSI bytes in its fields, and the RFC 6533
# fixture whose \x{1B} escapes must not turn into ESC.
printf 'From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\nSubject: =?utf-8?q?Undelivered_=1B]0;owned=07_Mail?=\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: text/plain; charset=utf-8\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; user@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 \033[2J\033]0;title\007 \302\233m unknown\n\n--B\nContent-Type: text/rfc822-headers\n\nSubject: hi \033[5mthere\n\n--B--\n' \
    >"$TMP/controls.eml"
# no_controls FILE LINE-END: no byte below 0x20 but the line ends, no DEL, no C1
no_controls() {
    "$PYTHON3" - "$1" "$2" <<'PY'
import re, sys
data = open(sys.argv[1], 'rb').read()
eol = b'\r\n' if sys.argv[2] == 'crlf' else b'\n'
assert data, 'no output'
body = data.replace(eol, b'')
bad = re.search(rb'[\x00-\x1f\x7f]|\xc2[\x80-\x9f]', body)
assert not bad, 'raw control byte %r at %d' % (bad.group(0), bad.start())
PY
}
for fmt in text csv; do
    "$BT_BIN" --format=$fmt --explain --summary "$TMP/controls.eml" "$robust"/*.eml >"$TMP/out.$fmt" 2>"$TMP/err.$fmt"
done
ok "text output holds no raw control byte" no_controls "$TMP/out.text" lf
ok "CSV output holds no raw control byte" no_controls "$TMP/out.csv" crlf
ok "CSV writes the ESC of a field out as \\x1B" grep -q '\\x1B\[2J' "$TMP/out.csv"
"$BT_BIN" --format=jsonl "$TMP/controls.eml" >"$TMP/out.jsonl"
ok "JSON Lines escape control characters by JSON's rules" no_controls "$TMP/out.jsonl" lf
ok "and keep them as characters" grep -q '\\u001b\[2J' "$TMP/out.jsonl"
bad_name="$TMP/$(printf 'e\033[31mvil\007')"
: >"$bad_name"
"$BT_BIN" --format=jsonl "$bad_name" >/dev/null 2>"$TMP/err.name"
ok "stderr names a file with control characters escaped" grep -q 'e\\x1B\[31mvil\\x07: empty file' "$TMP/err.name"
ok "and without a raw control byte" no_controls "$TMP/err.name" lf

# ---- rule directories ------------------------------------------------------
mkdir -p "$TMP/rules-open"
chmod 0777 "$TMP/rules-open"
"$BT_BIN" --format=jsonl --rules "$TMP/rules-open" "$robust/csv-formula-cells.eml" >"$TMP/open.out" 2>"$TMP/open.err"
ok "batch with a world-writable rule directory still runs" test -s "$TMP/open.out"
ok "and warns about it" grep -q "warning: $TMP/rules-open is writable by anyone" "$TMP/open.err"
"$BT_BIN" --hook --output="$TMP/hook.jsonl" --rules "$TMP/rules-open" <"$robust/csv-formula-cells.eml" 2>"$TMP/hook.err"
echo $? >"$TMP/hook.rc"
ok "--hook refuses a world-writable rule directory with 75" grep -qx 75 "$TMP/hook.rc"
ok "saying why on stderr" grep -q "refusing untrusted rules: $TMP/rules-open is writable" "$TMP/hook.err"
ok "and stores nothing" test ! -s "$TMP/hook.jsonl"
chmod 0755 "$TMP/rules-open"
"$BT_BIN" --hook --output="$TMP/hook.jsonl" --rules "$TMP/rules-open" <"$robust/csv-formula-cells.eml" 2>"$TMP/hook2.err"
echo $? >"$TMP/hook2.rc"
ok "--hook accepts the directory once it is 0755" grep -qx 0 "$TMP/hook2.rc"
mkdir -p "$TMP/rules-group"
printf 'pack: local\nrules: []\n' >"$TMP/rules-group/local.yaml"
chmod 0664 "$TMP/rules-group/local.yaml"
"$BT_BIN" --lint-rules --rules "$TMP/rules-group" 2>"$TMP/group.err"
ok "a group-writable pack is reported too" grep -q "local.yaml is writable by its group" "$TMP/group.err"

# ---- Resend: the key never leaks ------------------------------------------
SPEC="$BT_SHARED/specs/resend-openapi.yaml"
if "$PYTHON3" -c 'import yaml' 2>/dev/null && [ -f "$SPEC" ]; then
    mkfifo "$TMP/stdin"
    "$PYTHON3" "$BT_SRCDIR/tests/resend-double.py" --spec "$SPEC" <"$TMP/stdin" >"$TMP/port" &
    exec 3>"$TMP/stdin"
    wait_until test -s "$TMP/port"
    PORT=$(cat "$TMP/port")
    TAIL=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    # resend KEY URL OUT ARGS…: stdout and stderr to OUT, status to OUT.rc
    resend() {
        key=$1 url=$2 out=$3; shift 3
        RESEND_API_KEY=$key RESEND_BASE_URL=$url "$BT_BIN" --check=resend "$@" >"$out" 2>&1
        echo $? >"$out.rc"
    }
    no_key() { ! grep -q "$TAIL" "$@"; }
    resend "re_echo_$TAIL" "http://127.0.0.1:$PORT" "$TMP/echo.text" --format=text \
        --check-domain partial.example.org verified.example.com
    resend "re_echo_$TAIL" "http://127.0.0.1:$PORT" "$TMP/echo.jsonl" --format=jsonl \
        --check-domain partial.example.org verified.example.com
    ok "an API echoing the key in record values: the check still reports" \
        grep -q "partial.example.org" "$TMP/echo.jsonl"
    ok "the echoed key is redacted" grep -q "\[redacted\]" "$TMP/echo.jsonl"
    ok "and in no output, text or jsonl" no_key "$TMP/echo.text" "$TMP/echo.jsonl"
    long=$(printf 'x%.0s' $(seq 1 240))
    resend "re_403_${TAIL}_$long" "http://127.0.0.1:$PORT" "$TMP/long" --check-domain verified.example.com
    ok "a key past the 200 characters kept of a message is redacted before the cut" \
        no_key "$TMP/long"
    resend "re_ok_$TAIL" "http://localhost.:$PORT" "$TMP/dot" --check-domain verified.example.com
    ok "http://localhost. is not loopback: usage error 64" grep -qx 64 "$TMP/dot.rc"
    ok "saying so" grep -q "loopback" "$TMP/dot"
    resend "re_ok_$TAIL" "http://localhost:$PORT" "$TMP/localhost" --format=jsonl --check-domain verified.example.com
    ok "http://localhost reaches the loopback double" grep -q '"status":"ok"' "$TMP/localhost"
    ok "the key is in no output of these runs" no_key "$TMP/dot" "$TMP/localhost"
else
    echo "# the Resend double needs python3-yaml and $SPEC; its cases are left out"
fi
done_testing
