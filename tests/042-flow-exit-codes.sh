#!/bin/sh
# The exit statuses of --annotate and --hook through the CLI: for
# --annotate usage errors are 64 and broken rules 78; for --hook every
# failure that is not the message's fault (usage, rules, an output it
# cannot write, a symbolic link it refuses) is 75, with a line on stderr,
# so the MTA keeps the message queued.  And a non-bounce passes --annotate
# unchanged.
. "$BT_SRCDIR/tests/lib.sh"

status_is() { want=$1; shift; "$@" </dev/null >/dev/null 2>&1; test $? -eq "$want"; }
msg="$TMP/plain.eml"
printf 'From: a@example.com\nTo: b@example.org\nSubject: hi\n\nhello\n' >"$msg"

ok "--hook without --output or --maildir exits 75" status_is 75 "$BT_BIN" --hook
ok "--hook with an unknown option exits 75" status_is 75 "$BT_BIN" --hook --output="$TMP/x.jsonl" --bogus
ok "--hook with --annotate exits 75" \
    status_is 75 "$BT_BIN" --hook --output="$TMP/x.jsonl" --annotate
ok "--annotate with --output exits 64" status_is 64 "$BT_BIN" --annotate --output="$TMP/x.jsonl"
ok "--annotate with --maildir exits 64" status_is 64 "$BT_BIN" --annotate --maildir="$TMP/md"
ok "--hook with a PATH exits 75" status_is 75 "$BT_BIN" --hook --output="$TMP/x.jsonl" "$msg"
ok "--hook with broken rules exits 75, saying why" \
    sh -c '"$1" --hook --output="$2/x.jsonl" --rules="$3" <"$4" 2>"$2/rules.err"; test $? -eq 75 &&
           grep -q "pack.yaml:" "$2/rules.err"' \
    sh "$BT_BIN" "$TMP" "$BT_SRCDIR/tests/data/rules/broken/syntax" "$msg"
ok "--annotate with broken rules exits 78" \
    status_is 78 "$BT_BIN" --annotate --rules="$BT_SRCDIR/tests/data/rules/broken/syntax"
ok "--hook into an output it cannot open exits 75" \
    sh -c '"$1" --hook --output="$2/x.jsonl" <"$2" 2>/dev/null; test $? -eq 75' sh "$BT_BIN" "$msg"
ok "a non-bounce passes --annotate unchanged" \
    sh -c '"$1" --annotate <"$2" >"$3" && cmp "$2" "$3"' sh "$BT_BIN" "$msg" "$TMP/out.eml"
ok "--hook stores a non-bounce as unclassified" \
    sh -c '"$1" --hook --maildir="$2/md" <"$3" && test "$(ls "$2/md/unclassified/new" | wc -l)" -eq 1' \
    sh "$BT_BIN" "$TMP" "$msg"
# --export prints an SQLite store's records as the JSONL store has them:
# the same two messages, the same maildir, so the same origins
dsn="$TMP/dsn.eml"
printf 'From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\nSubject: Undelivered\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; bob@example.org\nAction: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822; carol@example.org\nAction: failed\nStatus: 5.2.2\n\n--B--\n' >"$dsn"
for store in "$TMP/both.jsonl" "$TMP/both.sqlite"; do
    for m in "$dsn" "$msg"; do
        "$BT_BIN" --hook --output="$store" --maildir="$TMP/md-both" <"$m" 2>/dev/null
    done
done
ok "--export writes the SQLite store as the JSONL store holds it" \
    sh -c '"$1" --export "$2" >"$3" && test "$(wc -l <"$3")" -eq 3 && cmp "$3" "$4"' \
    sh "$BT_BIN" "$TMP/both.sqlite" "$TMP/exported.jsonl" "$TMP/both.jsonl"
ok "--export of a missing store exits 66" status_is 66 "$BT_BIN" --export "$TMP/none.sqlite"

# Symbolic links: whoever can write where the hook stores could otherwise
# point its writes anywhere the hook may write.  Refused unless the
# administrator opts in with BOUNCETRIAGE_FOLLOW_SYMLINKS=1.
printf 'untouched\n' >"$TMP/target"
ln -s "$TMP/target" "$TMP/link.jsonl"
ln -s "$TMP/target" "$TMP/link.sqlite"
ok "--hook refuses an --output that is a symbolic link (75)" \
    sh -c '"$1" --hook --output="$2/link.jsonl" <"$3" 2>/dev/null; test $? -eq 75 &&
           test "$(cat "$2/target")" = untouched' sh "$BT_BIN" "$TMP" "$msg"
ok "... an SQLite one too" \
    sh -c '"$1" --hook --output="$2/link.sqlite" <"$3" 2>/dev/null; test $? -eq 75 &&
           test "$(cat "$2/target")" = untouched' sh "$BT_BIN" "$TMP" "$msg"
ok "... and follows it when the administrator opts in" \
    sh -c 'BOUNCETRIAGE_FOLLOW_SYMLINKS=1 "$1" --hook --output="$2/link.jsonl" <"$3" &&
           grep -q "\"reason\":\"undefined\"" "$2/target"' sh "$BT_BIN" "$TMP" "$msg"
mkdir -p "$TMP/md-link" "$TMP/elsewhere"
ln -s "$TMP/elsewhere" "$TMP/md-link/unclassified"
ok "--hook refuses a reason folder that is a symbolic link (75)" \
    sh -c '"$1" --hook --maildir="$2/md-link" <"$3" 2>"$2/link.err"; test $? -eq 75 &&
           test -z "$(ls -A "$2/elsewhere")" && grep -q "symbolic link" "$2/link.err"' \
    sh "$BT_BIN" "$TMP" "$msg"
ok "... and delivers through it when the administrator opts in" \
    sh -c 'BOUNCETRIAGE_FOLLOW_SYMLINKS=1 "$1" --hook --maildir="$2/md-link" <"$3" &&
           test "$(ls "$2/elsewhere/new" | wc -l)" -eq 1' sh "$BT_BIN" "$TMP" "$msg"
# A header of nothing but forged X-Bounce-* fields (a fuzzing find): they
# are dropped, and the output must still be a message, never empty.
printf 'X-Bounce-Triage: recipient=x@example.org\n' >"$TMP/forged-only.eml"
ok "--annotate of a header of only X-Bounce-* fields writes X-Bounce-Error, not nothing" \
    sh -c '"$1" --annotate <"$2" >"$3/forged.out" &&
           grep -q "^X-Bounce-Error: not a mail message" "$3/forged.out" &&
           ! grep -q "^X-Bounce-Triage" "$3/forged.out"' sh "$BT_BIN" "$TMP/forged-only.eml" "$TMP"
ok "--hook stores it with X-Bounce-Error" \
    sh -c '"$1" --hook --maildir="$3/md-forged" --output="$3/forged.jsonl" <"$2" &&
           grep -rq "^X-Bounce-Error: not a mail message" "$3/md-forged"' sh "$BT_BIN" "$TMP/forged-only.eml" "$TMP"
done_testing
