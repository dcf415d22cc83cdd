#!/bin/sh
# Verdicts no wording rule decided are reported as such: --explain says
# "class fallback" (the reason comes from the status code alone) or
# "undecided" (onhold/undefined), and --summary counts both.
. "$BT_SRCDIR/tests/lib.sh"

notice() {   # FILE DIAGNOSTIC
    cat >"$1" <<MSG
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Date: Mon, 29 Jul 2024 10:00:00 +0000

This is the mail system at host mx.example.net.

<rcpt@example.org>: host mail.example.org[192.0.2.5] said: $2
MSG
}
# words no rule knows, once with a specific status code and once without
notice "$TMP/class.eml" "550 5.7.1 Zorblax quimbel flumph"
notice "$TMP/none.eml" "550 Zorblax quimbel flumph"
notice "$TMP/worded.eml" "550 5.1.1 User unknown"

ok "--explain names a class fallback" sh -c '"$1" --explain --format=jsonl "$2" | grep -q "class fallback: .*status code 5.7.1"' sh "$BT_BIN" "$TMP/class.eml"
ok "--explain names an undecided verdict" sh -c '"$1" --explain --format=jsonl "$2" | grep -q "undecided: "' sh "$BT_BIN" "$TMP/none.eml"
ok "--explain says nothing of the kind for a worded verdict" sh -c '! "$1" --explain --format=jsonl "$2" | grep -q "fallback\|undecided"' sh "$BT_BIN" "$TMP/worded.eml"
"$BT_BIN" --summary --format=jsonl "$TMP/class.eml" "$TMP/none.eml" "$TMP/worded.eml" 2>"$TMP/summary" >/dev/null
ok "--summary counts class fallbacks" grep -qx "class fallback: 1" "$TMP/summary"
ok "--summary counts undecided verdicts" grep -qx "undecided: 1" "$TMP/summary"
"$BT_BIN" --summary --format=text "$TMP/class.eml" "$TMP/none.eml" "$TMP/worded.eml" >"$TMP/table"
ok "the summary table counts them too" grep -q "Fallback verdicts: 1 from the status class alone, 1 undecided" "$TMP/table"
done_testing
