#!/bin/sh
# The shipped procmail recipe (contrib/procmail/bouncetriage.rc) run by the
# real procmail over every fixture: each bounce lands once, in the maildir
# folder of its first recipient's reason, and the stored message is the
# input byte for byte plus the leading X-Bounce-* block.  A non-bounce with
# forged X-Bounce-* fields goes to the inbox without them, and when the
# filter fails the message is kept as it came and not filed by its forgery.
. "$BT_SRCDIR/tests/lib.sh"
command -v procmail >/dev/null 2>&1 || skip_all "procmail is not installed"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to compare the bytes"

# rcfile HOME BOUNCETRIAGE: the test's ~/.procmailrc, including the recipe
rcfile() {
    mkdir -p "$1/Maildir"
    cat >"$1/procmailrc" <<EOF
SHELL=/bin/sh
MAILDIR=$1/Maildir
DEFAULT=\$MAILDIR/
LOGFILE=$1/procmail.log
BOUNCETRIAGE=$2
INCLUDERC=$BT_SRCDIR/contrib/procmail/bouncetriage.rc
EOF
    chmod 644 "$1/procmailrc"
}

find "$BT_SRCDIR/fixtures" -name '*.eml' | LC_ALL=C sort >"$TMP/fixtures"
[ -s "$TMP/fixtures" ] || skip_all "no fixtures under $BT_SRCDIR/fixtures"

# Every fixture in a HOME of its own, so what procmail stored is the only
# file of that maildir.  The expected folder comes from batch mode's first
# record, not from the annotated copy.
n=0
while [ $n -lt "$(wc -l <"$TMP/fixtures")" ]; do
    rcfile "$TMP/home.$n" "$BT_BIN"
    n=$((n + 1))
done
"$PYTHON3" - "$BT_BIN" "$TMP" "$TMP/fixtures" >"$TMP/fixtures.txt" 2>&1 <<'PY'
import json, os, re, subprocess, sys
binary, tmp, listing = sys.argv[1:4]
# our continuation lines carry text: a blank-looking first line of the
# input (fixtures/generic-extract/leading-blank-header) is the input's
block = re.compile(rb'(?:X-Bounce-[A-Za-z-]*:.*\n(?:[ \t]+\S.*\n)*)+')
bad = 0
paths = open(listing).read().split()
# procmail rewrites an mbox entry's Content-Length field (its own count):
# that field is left out of the comparison
content_length = re.compile(rb'^Content-Length:[^\n]*\n', re.M | re.I)
for n, path in enumerate(paths):
    data = open(path, 'rb').read()
    # an Apple Mail .emlx (fixtures/exports: a byte count on the first
    # line) is a file on a disk, never mail an MTA hands to procmail
    if re.match(rb'[0-9]+[ \t]*\r?\n', data):
        continue
    batch = subprocess.run([binary, '-f', 'jsonl'], input=data, stdout=subprocess.PIPE)
    first = batch.stdout.splitlines()[:1]
    # a non-bounce (fixtures/negative) stays in the inbox, unannotated
    reason = json.loads(first[0])['reason'] if first else None
    home = os.path.join(tmp, 'home.%d' % n)
    run = subprocess.run(['procmail', '-m', os.path.join(home, 'procmailrc')],
                         input=data, env=dict(os.environ, HOME=home))
    stored = [os.path.join(d, f) for d, _, files in os.walk(os.path.join(home, 'Maildir'))
              for f in files]
    want = os.path.join(home, 'Maildir', *(['.Bounces.%s' % reason] if reason else []), 'new')
    problems = []
    if run.returncode != 0:
        problems.append('procmail exited %d' % run.returncode)
    if len(stored) != 1 or os.path.dirname(stored[0]) != want:
        problems.append('stored as %s, expected one file in %s' % (stored, want))
    else:
        out = open(stored[0], 'rb').read()
        fields = block.match(out)
        rest = out[fields.end():] if fields else out
        # a maildir file has no From_ line: procmail drops an input's
        # (fixtures/damaged/exim-mbox-from-escaped), after our fields
        if data.startswith(b'From '):
            data = data.split(b'\n', 1)[1]
        # an input whose header starts with indented lines
        # (fixtures/damaged/exim-indented-first-header-lines) reads, after
        # our fields, as their continuation: where the input is the tail of
        # what was stored, our fields are all that precedes it
        for tail in (data, data + b'\n'):
            if fields and rest != data and out.endswith(tail) and block.fullmatch(out[:len(out) - len(tail)]):
                rest = tail
        # after a filter procmail ends the message with an empty line
        if not data.endswith(b'\n\n') and rest == data + b'\n':
            rest = data
        if reason is None and fields:
            problems.append('a non-bounce was annotated')
        # (our fields end their lines as the input does: CRLF for a CRLF message)
        elif reason and (not fields or not re.search(rb'X-Bounce-Reason: %s\r?\n' % re.escape(reason.encode()),
                                                     fields.group(0))):
            problems.append('no X-Bounce-Reason: %s block at the top' % reason)
        if content_length.sub(b'', rest) != content_length.sub(b'', data):
            problems.append('the message differs from the input')
    if problems:
        bad += 1
        print('%s: %s' % (os.path.relpath(path), '; '.join(problems)))
print('fixtures %d bad %d' % (len(paths), bad))
sys.exit(1 if bad else 0)
PY
echo $? >"$TMP/fixtures.status"
tail -n1 "$TMP/fixtures.txt" | sed 's/^/# /'
ok "every fixture lands in its reason's folder, byte for byte plus our fields" \
    sh -c 'cat "$1"; test "$(cat "$2")" -eq 0' sh "$TMP/fixtures.txt" "$TMP/fixtures.status"

forged="$TMP/forged.eml"
printf 'From: a@example.com\nTo: b@example.org\nX-Bounce-Reason: userunknown\nSubject: hi\n\nhello\n\n' >"$forged"

rcfile "$TMP/plain" "$BT_BIN"
HOME="$TMP/plain" procmail -m "$TMP/plain/procmailrc" <"$forged"
ok "a non-bounce goes to the inbox" \
    sh -c 'test "$(find "$1" -type f | wc -l)" -eq 1 && test "$(ls "$1/new" | wc -l)" -eq 1' \
    sh "$TMP/plain/Maildir"
ok "its forged X-Bounce-Reason is gone" \
    sh -c '! grep -q "^X-Bounce" "$1"/new/* && grep -q "^Subject: hi" "$1"/new/*' \
    sh "$TMP/plain/Maildir"

# Review findings: in an LF message a line holding only CR does not end
# the header for procmail, so a forged field after it must go; and a bare
# CR inside a field is an ordinary byte: the field stays whole, filed by
# the real verdict, no field glued onto another.
printf 'From: a@example.com\nTo: b@example.org\nSubject: hi\n\r\nX-Bounce-Reason: mailboxfull\n\nhello\n' \
    >"$TMP/after-cr.eml"
rcfile "$TMP/after-cr" "$BT_BIN"
HOME="$TMP/after-cr" procmail -m "$TMP/after-cr/procmailrc" <"$TMP/after-cr.eml"
ok "a forged field after a lone-CR line: the message goes to the inbox" \
    sh -c 'test "$(find "$1" -type f | wc -l)" -eq 1 && test "$(ls "$1/new" | wc -l)" -eq 1' \
    sh "$TMP/after-cr/Maildir"
ok "... without the forged field" sh -c '! grep -q "X-Bounce" "$1"/new/*' sh "$TMP/after-cr/Maildir"

printf 'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nTo: sender@example.com\nSubject: Undelivered Mail\rX-Bounce-Reason: mailboxfull\nMessage-ID: <cr.1@mx.example.net>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; user@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <user@example.org>: Recipient address rejected: User unknown\n\n--B--\n\n' \
    >"$TMP/bare-cr.eml"
rcfile "$TMP/bare-cr" "$BT_BIN"
HOME="$TMP/bare-cr" procmail -m "$TMP/bare-cr/procmailrc" <"$TMP/bare-cr.eml"
ok "a bare CR inside a field: filed by the real verdict" \
    sh -c 'test "$(find "$1" -type f | wc -l)" -eq 1 && test "$(ls "$1/.Bounces.userunknown/new" | wc -l)" -eq 1' \
    sh "$TMP/bare-cr/Maildir"
ok "... the input byte for byte under our block, no field glued" \
    "$PYTHON3" -c '
import glob, re, sys
out = open(glob.glob(sys.argv[1] + "/.Bounces.userunknown/new/*")[0], "rb").read()
data = open(sys.argv[2], "rb").read()
block = re.match(rb"(?:X-Bounce-[A-Za-z-]*:.*\n(?:[ \t].*\n)*)+", out)
sys.exit(0 if block and out[block.end():] == data else 1)' "$TMP/bare-cr/Maildir" "$TMP/bare-cr.eml"

rcfile "$TMP/failed" false
HOME="$TMP/failed" procmail -m "$TMP/failed/procmailrc" <"$forged"
ok "a failed filter leaves the message in the inbox as it came" \
    sh -c 'test "$(find "$1" -type f | wc -l)" -eq 1 && cmp "$2" "$1"/new/*' \
    sh "$TMP/failed/Maildir" "$forged"
done_testing
