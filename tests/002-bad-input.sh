#!/bin/sh
# Bad input gets a clear stderr line, never a crash, and the run goes on.
. "$BT_SRCDIR/tests/lib.sh"

# run_bad FILE: no crash (no signal, no sanitizer report), exit 0 or 65,
# and a stderr line that names the file when it was skipped.
run_bad() {
    "$BT_BIN" --format=jsonl "$1" >"$TMP/stdout" 2>"$TMP/stderr"
    st=$?
    cat "$TMP/stderr"
    if grep -q "Sanitizer" "$TMP/stderr"; then return 1; fi
    case $st in
        0) return 0 ;;
        65) grep -q "$(basename "$1")" "$TMP/stderr" ;;
        *) echo "exit status $st"; return 1 ;;
    esac
}
skipped_with_message() { run_bad "$1" && test -s "$TMP/stderr"; }

: >"$TMP/empty.eml"
ok "an empty file is reported" skipped_with_message "$TMP/empty.eml"

head -c 65536 /dev/urandom >"$TMP/random.bin"
ok "random bytes are reported" skipped_with_message "$TMP/random.bin"

# Random bytes that GMime splits into fields, one of which happens to look
# well formed (a printable name before 8-bit bytes): still no message.
printf '\340\240:\217\252\026k\n\211:;\374\305\032\n\274\254:\312v\001\n{:\347\217\255\320\235*\n\307\377:\020\n\n' >"$TMP/junk-fields.bin"
head -c 4096 /dev/urandom >>"$TMP/junk-fields.bin"
ok "random bytes with one well-formed-looking field are reported" skipped_with_message "$TMP/junk-fields.bin"

# 50 MB; the sanitizer pass sets a smaller size (still over the 1 MiB
# limit), as GMime's 4 KiB reallocs take minutes under ASan.
mb=${BT_BIG_HEADER_MB:-50}
{ printf 'From: mailer-daemon@example.org\nTo: a@example.com\nSubject: '
  head -c $((mb * 1048576)) /dev/zero | tr '\0' 'x'
  printf '\n\nhello\n'; } >"$TMP/bigheader.eml"
ok "a $mb MB header is refused with a clear line" skipped_with_message "$TMP/bigheader.eml"

awk 'BEGIN {
    print "From: mailer-daemon@example.org"; print "To: a@example.com"; print "Subject: nested";
    print "MIME-Version: 1.0"; print "Content-Type: multipart/mixed; boundary=\"b0\""; print "";
    for (i = 0; i < 1000; i++) { print "--b" i; print "Content-Type: multipart/mixed; boundary=\"b" i+1 "\""; print "" }
    print "--b1000"; print "Content-Type: text/plain"; print ""; print "deep";
    for (i = 1000; i >= 0; i--) print "--b" i "--";
}' >"$TMP/nested.eml"
ok "1,000 nested multiparts do not crash" skipped_with_message "$TMP/nested.eml"

mbox="$BT_SRCDIR/fixtures/sample.mbox"
size=$(wc -c <"$mbox")
head -c $((size / 2 + 7)) "$mbox" >"$TMP/cut.mbox"
ok "an mbox cut in the middle of a message is reported" skipped_with_message "$TMP/cut.mbox"
ok "a cut mbox still gives the records before the cut" test -s "$TMP/stdout"

printf 'x' >"$TMP/one-byte.eml"
ok "the run goes on after a bad file" sh -c '"$BT_BIN" --format=jsonl "$1" "$2" 2>/dev/null | grep -q recipient; test $? -eq 0' sh "$TMP/one-byte.eml" "$mbox"
done_testing
