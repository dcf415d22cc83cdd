#!/bin/sh
# --annotate over every message of the shared corpus, in its LF, CRLF and
# bare-CR copies: the output is the input byte for byte once the leading
# X-Bounce-* block is taken out, the block uses the input's line ends,
# bounces do get their fields, and Python's email package, decoding RFC 2047
# as a Sieve script would, reads each of our fields as one line.
. "$BT_SRCDIR/tests/lib.sh"
corpus="$BT_SHARED/corpus/set-of-emails/maildir"
[ -d "$corpus/bsd" ] || skip_all "no shared corpus at $BT_SHARED"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to compare the bytes"

check_style() {   # check_style DIR: every file round-trips; prints counts
    "$PYTHON3" - "$BT_BIN" "$1" <<'PY'
import email, email.policy, os, re, subprocess, sys
binary, folder = sys.argv[1], sys.argv[2]
field = re.compile(rb'(?i)x-bounce-[a-z-]*:')
bad = annotated = 0
for name in sorted(os.listdir(folder)):
    data = open(os.path.join(folder, name), 'rb').read()
    run = subprocess.run([binary, '--annotate'], input=data, stdout=subprocess.PIPE)
    out = run.stdout
    eol = re.search(rb'\r\n|\n|\r', data)
    eol = eol.group(0) if eol else b'\n'
    pos = 0
    if out.startswith(b'From '):
        pos = re.search(rb'\r\n|\n|\r', out).end()
    start = pos
    lines = 0
    while field.match(out, pos) or out[pos:pos + 1] in (b' ', b'\t'):
        end = out.find(eol, pos)   # our lines end like the input's
        if end < 0:
            break
        pos = end + len(eol)
        lines += 1
    if run.returncode != 0 or out[:start] + out[pos:] != data:
        print('%s: status %d, output differs from the input' % (name, run.returncode))
        bad += 1
    ours = email.message_from_bytes(out[start:pos] + eol, policy=email.policy.default)
    for key, value in ours.items():
        if not key.lower().startswith('x-bounce-') or re.search(r'[\r\n]', str(value)):
            print('%s: %s decodes to more than one field line: %r' % (name, key, str(value)))
            bad += 1
    if lines and b'X-Bounce-Reason:' in out[start:pos]:
        annotated += 1
print('files %d annotated %d bad %d' % (len(os.listdir(folder)), annotated, bad))
sys.exit(1 if bad else 0)
PY
}

for style in bsd dos mac; do
    check_style "$corpus/$style" >"$TMP/$style.txt" 2>&1
    echo $? >"$TMP/$style.status"
    cat "$TMP/$style.txt" | tail -n1 | sed "s/^/# $style: /"
    ok "$style: every message comes out byte for byte plus our fields" \
        sh -c 'cat "$1"; test "$(cat "$2")" -eq 0' sh "$TMP/$style.txt" "$TMP/$style.status"
    # nearly every corpus message is a bounce: most must be annotated
    ok "$style: bounces get X-Bounce-Reason" \
        sh -c 'set -- $(tail -n1 "$1"); test "$4" -gt $(($2 * 3 / 4))' sh "$TMP/$style.txt"
done
# A recipient written as an encoded-word hiding CR LF and a field
printf 'From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\nSubject: Undelivered\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; =?utf-8?q?bob=0D=0AX-Bounce-Reason:_mailboxfull?=@example.org\nAction: failed\nStatus: 5.1.1\n\n--B--\n' \
    >"$TMP/encoded.eml"
"$BT_BIN" --annotate <"$TMP/encoded.eml" >"$TMP/encoded.out"
ok "an encoded-word in the recipient cannot become a field of its own for Python" \
    "$PYTHON3" -c '
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert msg.get_all("X-Bounce-Reason") == ["userunknown"], msg.get_all("X-Bounce-Reason")
for key, value in msg.items():
    assert "\r" not in str(value) and "\n" not in str(value), (key, str(value))
' "$TMP/encoded.out"
done_testing
