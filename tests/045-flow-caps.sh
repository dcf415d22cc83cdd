#!/bin/sh
# A message over the per-message caps (1,000 MIME parts) is still triaged
# from what was read, the filter and the hook say in X-Bounce-Error that
# the verdict saw only part of it, and every original byte is kept.
. "$BT_SRCDIR/tests/lib.sh"

"$PYTHON3" - >"$TMP/parts.eml" <<'PY'
print("From: MAILER-DAEMON@mx.example.net\nTo: sender@example.org")
print("Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0")
print('Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n')
print("--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n")
print("Final-Recipient: rfc822; nobody@example.net\nAction: failed\nStatus: 5.1.1")
print("Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: User unknown\n")
for i in range(1500):
    print("--b\nContent-Type: text/plain\n\npart %d\n" % i)
print("--b--")
PY

"$BT_BIN" --annotate <"$TMP/parts.eml" >"$TMP/out.eml" 2>"$TMP/err"
ok "annotate: the verdict comes from the parts that were read" \
    grep -q '^X-Bounce-Reason: userunknown' "$TMP/out.eml"
ok "annotate: X-Bounce-Error says the message was read in part" \
    grep -q '^X-Bounce-Error: read in part: more than 1000 MIME parts' "$TMP/out.eml"
strip() { "$PYTHON3" -c '
import re, sys
data = open(sys.argv[1], "rb").read()
head, sep, body = data.partition(b"\n\n")
lines = re.split(rb"\n(?![ \t])", head)
sys.stdout.buffer.write(b"\n".join(l for l in lines if not l.lower().startswith(b"x-bounce-")) + sep + body)
' "$1"; }
keeps() { strip "$TMP/out.eml" | cmp -s - "$TMP/parts.eml"; }
ok "annotate: every original byte is kept" keeps

hook() {
    "$BT_BIN" --hook --output="$TMP/records.jsonl" --maildir="$TMP/Maildir" <"$TMP/parts.eml" || return 1
    grep -q '"recipient":"nobody@example.net"' "$TMP/records.jsonl" || return 1
    stored=$(grep -rl '^X-Bounce-Error: read in part' "$TMP/Maildir")
    case "$stored" in *userunknown*/new/*) ;; *) echo "stored as: $stored"; return 1 ;; esac
}
ok "hook: stored under its reason, with the record and the note" hook
done_testing
