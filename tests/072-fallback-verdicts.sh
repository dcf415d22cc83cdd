#!/bin/sh
# Verdicts no wording rule decided are reported as such: --explain says
# "keyword guess" (the reason rests on one word of the diagnostic, the
# status code giving none), "class fallback" (the reason comes from the
# status code alone) or "undecided" (onhold/undefined), and --summary
# counts all three.
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
# one concept word in words no rule knows: guessed when the status says
# nothing (X.0.x or none), left to the status class when it does
notice "$TMP/guess.eml" "550 Zorblax quimbel spam flumph"
notice "$TMP/guess-x7.eml" "550 5.7.1 Zorblax quimbel spam flumph"
notice "$TMP/guess-host.eml" "550 Zorblax quimbel flumph, see spam.example.net"

ok "--explain names a class fallback" sh -c '"$1" --explain --format=jsonl "$2" | grep -q "class fallback: .*status code 5.7.1"' sh "$BT_BIN" "$TMP/class.eml"
ok "--explain names an undecided verdict" sh -c '"$1" --explain --format=jsonl "$2" | grep -q "undecided: "' sh "$BT_BIN" "$TMP/none.eml"
ok "--explain says nothing of the kind for a worded verdict" sh -c '! "$1" --explain --format=jsonl "$2" | grep -q "fallback\|undecided"' sh "$BT_BIN" "$TMP/worded.eml"
ok "--explain names a keyword guess" sh -c '"$1" --explain --format=jsonl "$2" | grep -q "\"reason\":\"spamdetected\".*keyword guess: "' sh "$BT_BIN" "$TMP/guess.eml"
ok "an X.7 status keeps its class reading" sh -c '"$1" --format=jsonl "$2" | grep -q "\"reason\":\"securityerror\""' sh "$BT_BIN" "$TMP/guess-x7.eml"
ok "a word inside a host name is no keyword" sh -c '"$1" --format=jsonl "$2" | grep -q "\"reason\":\"onhold\""' sh "$BT_BIN" "$TMP/guess-host.eml"
"$BT_BIN" --summary --format=jsonl "$TMP/class.eml" "$TMP/none.eml" "$TMP/worded.eml" "$TMP/guess.eml" 2>"$TMP/summary" >/dev/null
ok "--summary counts class fallbacks" grep -qx "class fallback: 1" "$TMP/summary"
ok "--summary counts undecided verdicts" grep -qx "undecided: 1" "$TMP/summary"
ok "--summary counts keyword guesses" grep -qx "keyword guess: 1" "$TMP/summary"
"$BT_BIN" --summary --format=text "$TMP/class.eml" "$TMP/none.eml" "$TMP/worded.eml" "$TMP/guess.eml" >"$TMP/table"
ok "the summary table counts them too" grep -q "Fallback verdicts: 1 from the status class alone, 1 guessed from one word, 1 undecided" "$TMP/table"
done_testing
