#!/bin/sh
# The per-message caps: GMime is given the first 256 KiB of each part, the
# first 4 MiB and 1,000 parts of each message; what comes after a part's
# cut (a delivery-status part after a huge text) is still read; a message
# cut at the part cap says so; hostile messages run in bounded memory.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/memsafe-lib.sh"
head='From: Mail Delivery System <MAILER-DAEMON@example.net>
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0'
dsn='Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; user@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <user@example.org>: Recipient address rejected: User unknown
'
# big_text MB: a DSN whose text part is MB megabytes, the status part after it.
big_text() {
    printf '%s\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: text/plain\n\n' "$head"
    awk -v n="$1" 'BEGIN { for (i = 0; i < n * 16384; i++) print "filler text of a long bounce, line", i, "...................." }'
    printf '\n--b\n%s\n--b--\n' "$dsn"
}
big_text 3 >"$TMP/text3.eml"
"$BT_BIN" --format=jsonl "$TMP/text3.eml" >"$TMP/out" 2>"$TMP/err"
ok "a status part after 3 MB of text is still read" grep -q '"deliverystatus":"5.1.1"' "$TMP/out"
ok "a long part is cut silently" test ! -s "$TMP/err"

# the status part first, then 5,000 empty parts
{
    printf '%s\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\n%s\n' "$head" "$dsn"
    awk 'BEGIN { for (i = 0; i < 5000; i++) printf "--b\nContent-Type: text/plain\n\nx\n" }'
    echo "--b--"
} >"$TMP/parts.eml"
"$BT_BIN" --format=jsonl "$TMP/parts.eml" >"$TMP/out" 2>"$TMP/err"
ok "5,000 parts: the record of the first is there" grep -q '"recipient":"user@example.org"' "$TMP/out"
ok "5,000 parts: stderr says the message was cut" grep -q "parts.eml: more than 1000 MIME parts" "$TMP/err"
ok "5,000 parts: no other complaint" test "$(wc -l <"$TMP/err")" -eq 1

# 300,000 one-byte parts (2 MB) took over 400 MB before the caps
{
    printf '%s\nContent-Type: multipart/mixed; boundary="b"\n\n' "$head"
    awk 'BEGIN { for (i = 0; i < 300000; i++) printf "--b\n\nx\n" }'
    echo "--b--"
} >"$TMP/many.eml"
if is_sanitized; then
    echo "# AddressSanitizer build: no address-space limit"
else
    for jobs in 1 2; do
        ok "300,000 parts, --jobs $jobs, under a 300 MB address-space limit" \
            sh -c "ulimit -v 300000; '$BT_BIN' --format=jsonl --jobs $jobs '$TMP/many.eml' '$TMP/many.eml' '$TMP/text3.eml' >'$TMP/out' 2>/dev/null && grep -q 5.1.1 '$TMP/out'"
    done
    ok "the same on stdin" sh -c "ulimit -v 300000; '$BT_BIN' --format=jsonl <'$TMP/many.eml' >/dev/null 2>&1"
fi
done_testing
