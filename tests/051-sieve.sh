#!/bin/sh
# The shipped Sieve scripts (contrib/sieve/) under Dovecot Pigeonhole's
# sieve-test with the extprograms plugin, configured by the shipped
# dovecot-extprograms.conf.  For a fixture of each reason, bouncetriage.sieve
# files the message into Bounces.<reason> (sieve-test -e really stores it: the stored
# copy is the input plus the X-Bounce-* block) and bouncetriage-verdict.sieve
# names the same folder.  A non-bounce with a forged X-Bounce-Reason, and
# any message when the filter cannot run, are kept in the inbox.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/mta-lib.sh"
command -v sieve-test >/dev/null 2>&1 || skip_all "sieve-test (dovecot-sieve) is not installed"
ls /usr/lib*/dovecot/modules/sieve/*sieve_extprograms* >/dev/null 2>&1 \
    || skip_all "the Pigeonhole extprograms plugin is not installed"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to compare the bytes"

# sieve-test refuses root; the programs it runs and their directory must
# not be writable by others.
mta_user
mta_private_dir sieve
mta_install_bt "$MTA_DIR/bin"
cp "$BT_SRCDIR/contrib/sieve/bouncetriage-verdict" "$MTA_DIR/bin/"
# broken/: a bouncetriage that fails, beside the real bouncetriage-verdict
mkdir -p "$MTA_DIR/broken"
printf '#!/bin/sh\ncat >/dev/null\nexit 75\n' >"$MTA_DIR/broken/bouncetriage"
cp "$BT_SRCDIR/contrib/sieve/bouncetriage-verdict" "$MTA_DIR/broken/"
chmod 755 "$MTA_DIR/broken" "$MTA_DIR"/broken/* "$MTA_DIR/bin/bouncetriage-verdict"
sed -e "s|/usr/lib/dovecot/sieve-filter|$MTA_DIR/bin|" \
    -e "s|/usr/lib/dovecot/sieve-execute|$MTA_DIR/bin|" \
    "$BT_SRCDIR/contrib/sieve/dovecot-extprograms.conf" >"$MTA_DIR/dovecot.conf"
sed "s|$MTA_DIR/bin|$MTA_DIR/broken|" "$MTA_DIR/dovecot.conf" >"$MTA_DIR/broken.conf"
grep -q "sieve_filter_bin_dir = $MTA_DIR/bin" "$MTA_DIR/dovecot.conf" \
    || skip_all "contrib/sieve/dovecot-extprograms.conf no longer names the bin directories"

# The user's home: the scripts (sieve-test compiles them beside) and maildirs.
home="$MTA_DIR/home"
mkdir -p "$home"
cp "$BT_SRCDIR"/contrib/sieve/*.sieve "$home/"
chmod -R a+rX "$home"
[ "$(id -u)" -ne 0 ] || chown -R "$MTA_USER:$MTA_GROUP" "$home"

# sieve_test CONF SCRIPT MESSAGE [MAILDIR]: sieve-test's report; with a
# MAILDIR the actions are carried out (-e) into it.
cat >"$MTA_DIR/sieve-run" <<'EOF'
#!/bin/sh
conf=$1 script=$2 message=$3 maildir=${4:-$HOME/unused}
exec sieve-test ${4:+-e} -c "$conf" -l "maildir:$maildir" "$script" "$message"
EOF
chmod 755 "$MTA_DIR/sieve-run"
sieve_test() { as_mta_user env HOME="$home" "$MTA_DIR/sieve-run" "$@"; }

# One fixture for each reason the fixtures cover (the first by name), the
# reason as batch mode's first record for it says.
find "$BT_SRCDIR/fixtures" -name '*.eml' | LC_ALL=C sort >"$TMP/fixtures"
[ -s "$TMP/fixtures" ] || skip_all "no fixtures under $BT_SRCDIR/fixtures"
"$PYTHON3" - "$BT_BIN" "$TMP/fixtures" >"$TMP/picked" <<'PY'
import json, subprocess, sys
binary, listing = sys.argv[1:3]
seen = set()
for path in open(listing).read().split():
    out = subprocess.run([binary, '-f', 'jsonl', path], stdout=subprocess.PIPE).stdout
    if not out.strip():
        continue   # fixtures/robust: messages that give no record
    reason = json.loads(out.splitlines()[0])['reason']
    if reason not in seen:
        seen.add(reason)
        print(reason, path)
PY

# The folder a report names (INBOX for the implicit keep): the list of
# actions without -e, the log line of the store with it; "none" otherwise.
folder_of() {
    sed -n -e 's/^ \* store message in folder: \(.*\)$/\1/p' \
        -e "s/^info: .*: stored mail into mailbox '\([^']*\)'.*/\1/p" "$1" \
        | head -n1 | grep . || echo none
}

n=0
: >"$TMP/problems"
while read -r reason fixture; do
    n=$((n + 1))
    cp "$fixture" "$home/msg.$n.eml"
    chmod 644 "$home/msg.$n.eml"
    sieve_test "$MTA_DIR/dovecot.conf" "$home/bouncetriage.sieve" "$home/msg.$n.eml" \
        "$home/md.$n" >"$TMP/filter.$n" 2>&1
    sieve_test "$MTA_DIR/dovecot.conf" "$home/bouncetriage-verdict.sieve" "$home/msg.$n.eml" \
        >"$TMP/verdict.$n" 2>&1
    for script in filter verdict; do
        grep -h 'Error\|Warning' "$TMP/$script.$n" | sed "s|^|${fixture#"$BT_SRCDIR/"}: $script: |" \
            >>"$TMP/problems"
        got=$(folder_of "$TMP/$script.$n")
        [ "$got" = "Bounces.$reason" ] \
            || echo "${fixture#"$BT_SRCDIR/"}: $script filed into $got, not Bounces.$reason" >>"$TMP/problems"
    done
    echo "$home/md.$n/.Bounces.$reason $fixture" >>"$TMP/stored"
done <"$TMP/picked"

# Each stored copy: the only message of its maildir, our block on top,
# then the input byte for byte.
"$PYTHON3" - "$TMP/stored" >>"$TMP/problems" <<'PY'
import glob, re, sys
block = re.compile(rb'(?:X-Bounce-[A-Za-z-]*:.*\n(?:[ \t].*\n)*)+')
for line in open(sys.argv[1]):
    folder, fixture = line.split()
    stored = glob.glob(folder + '/new/*') + glob.glob(folder + '/cur/*')
    if len(stored) != 1:
        print('%s: %d stored copies in %s' % (fixture, len(stored), folder))
        continue
    data, out = open(fixture, 'rb').read(), open(stored[0], 'rb').read()
    fields = block.match(out)
    if not fields or out[fields.end():] != data:
        print('%s: the stored copy is not the input plus our block' % fixture)
PY
sed 's/^/# /' "$TMP/problems" | head -40
echo "# reasons $n problems $(wc -l <"$TMP/problems")"
ok "one fixture per reason: both scripts file it into Bounces.<reason>, stored byte for byte" \
    test ! -s "$TMP/problems"
ok "the fixtures cover at least ten reasons" test "$n" -ge 10

forged="$home/forged.eml"
printf 'From: a@example.com\nTo: b@example.org\nX-Bounce-Reason: userunknown\nSubject: hi\n\nhello\n' >"$forged"
chmod 644 "$forged"
sieve_test "$MTA_DIR/dovecot.conf" "$home/bouncetriage.sieve" "$forged" "$home/md.forged" \
    >"$TMP/forged" 2>&1
ok "a non-bounce with a forged X-Bounce-Reason is kept" test "$(folder_of "$TMP/forged")" = INBOX
ok "the kept copy has no X-Bounce field" \
    sh -c 'test "$(ls "$1"/new | wc -l)" -eq 1 && ! grep -q "^X-Bounce" "$1"/new/*' sh "$home/md.forged"
# Pigeonhole reads only a few kB of a program's output: a bounce whose
# records are far longer must still be filed by the verdict.
{
    printf 'From: MAILER-DAEMON@mx.example.net\nTo: s@example.com\nSubject: Undelivered Mail\n'
    printf 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n'
    printf '\n--B\nContent-Type: text/plain\n\nDelivery failed.\n\n--B\n'
    printf 'Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n'
    r=0
    while [ $r -lt 40 ]; do
        printf '\nFinal-Recipient: rfc822; user%d@example.org\nAction: failed\nStatus: 5.2.2\n' $r
        printf 'Diagnostic-Code: smtp; 552 5.2.2 <user%d@example.org>: Mailbox full\n' $r
        r=$((r + 1))
    done
    printf '\n--B--\n'
} >"$home/many.eml"
chmod 644 "$home/many.eml"
"$BT_BIN" -f jsonl "$home/many.eml" >"$TMP/many.jsonl"
sieve_test "$MTA_DIR/dovecot.conf" "$home/bouncetriage-verdict.sieve" "$home/many.eml" \
    >"$TMP/many" 2>&1
ok "a bounce of 40 recipients ($(wc -c <"$TMP/many.jsonl") bytes of records) is filed by the verdict" \
    sh -c 'cat "$1"; test "$(wc -l <"$2")" -eq 40 && test "$3" = Bounces.mailboxfull' \
    sh "$TMP/many" "$TMP/many.jsonl" "$(folder_of "$TMP/many")"

for script in bouncetriage bouncetriage-verdict; do
    sieve_test "$MTA_DIR/broken.conf" "$home/$script.sieve" "$forged" >"$TMP/broken" 2>&1
    ok "$script.sieve keeps the message when bouncetriage fails" \
        test "$(folder_of "$TMP/broken")" = INBOX
done
done_testing
