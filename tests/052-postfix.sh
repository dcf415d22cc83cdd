#!/bin/sh
# A real Postfix on loopback, configured by the shipped contrib/postfix
# snippets, delivers bounces to bouncetriage --hook through pipe(8) as an
# unprivileged user.  Every fixture goes in (by sendmail and by SMTP with
# swaks); then the JSONL output, and later the maildir, is made unwritable:
# Postfix must keep those messages queued, and deliver them once the fault
# is fixed and the queue flushed.  In the end every message sent is in the
# maildir exactly once, in its reason's folder, and each has its records in
# the JSONL exactly once.  Postfix runs from its own configuration and
# queue directories, on 127.0.0.1 only, and is stopped on exit.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/mta-lib.sh"
command -v postfix >/dev/null 2>&1 || skip_all "postfix is not installed"
command -v swaks >/dev/null 2>&1 || skip_all "swaks is not installed"
[ "$(id -u)" -eq 0 ] || skip_all "starting Postfix needs root"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to read the JSON"
PATH=$PATH:/usr/sbin:/sbin
getent passwd postfix >/dev/null && getent group postdrop >/dev/null \
    || skip_all "the postfix user or the postdrop group is missing"

mta_user
mta_private_dir postfix
mta_install_bt "$MTA_DIR/bin"
conf="$MTA_DIR/etc"
hook="$MTA_DIR/hook"
mkdir -p "$conf" "$hook" "$MTA_DIR/data" "$MTA_DIR/spool"
chown "$MTA_USER:$MTA_GROUP" "$hook"
chown postfix "$MTA_DIR/data"
out="$hook/bounces.jsonl"
md="$hook/Maildir"

# A free loopback port for smtpd.
port=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# main.cf: a private instance that accepts mail for bounces.test on
# loopback, sends nothing anywhere else, and logs to a file; then the
# shipped snippet.
cat >"$conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $MTA_DIR/spool
data_directory = $MTA_DIR/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $MTA_DIR/maillog
maillog_file_prefixes = $MTA_DIR
myhostname = mx.bounces.test
mydomain = bounces.test
myorigin = \$myhostname
mydestination = bounces.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
default_transport = error:the test instance sends nothing out
relay_transport = error:the test instance sends nothing out
alias_maps =
alias_database =
biff = no
notify_classes =
smtputf8_enable = no
# deferred mail waits for the flush of the test, not for a timer
minimal_backoff_time = 1h
maximal_backoff_time = 2h
queue_run_delay = 1h
EOF
sed "s|hash:/etc/postfix/transport|texthash:$conf/transport|" \
    "$BT_SRCDIR/contrib/postfix/main.cf.snippet" >>"$conf/main.cf"
sed 's/bounces\.example\.com/bounces.test/' \
    "$BT_SRCDIR/contrib/postfix/transport.snippet" >"$conf/transport"

# master.cf: the services this instance needs, none chrooted, smtpd on our
# port only; then the shipped pipe(8) entry, running our copy as MTA_USER.
cat >"$conf/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
sed -e "s|user=bouncetriage|user=$MTA_USER|" \
    -e "s|/usr/local/bin/bouncetriage|$MTA_DIR/bin/bouncetriage|" \
    -e "s|--output [^ ]*|--output $out|" -e "s|--maildir [^ ]*|--maildir $md|" \
    "$BT_SRCDIR/contrib/postfix/master.cf.snippet" >>"$conf/master.cf"
grep -q "argv=$MTA_DIR/bin/bouncetriage --hook --output $out --maildir $md" "$conf/master.cf" \
    || skip_all "contrib/postfix/master.cf.snippet no longer has the argv this test edits"

pf() { postfix -c "$conf" "$@"; }
pq() { postqueue -c "$conf" "$@"; }
if ! pf check >"$TMP/check" 2>&1 || ! pf start >"$TMP/start" 2>&1; then
    # before its log service runs, postfix tells only syslog or a terminal
    command -v script >/dev/null 2>&1 && script -qc "postfix -c '$conf' check" /dev/null >>"$TMP/check" 2>&1
    sed 's/^/# /' "$TMP/check" "$TMP/start" "$MTA_DIR/maillog" 2>/dev/null | head -40
    echo "not ok 1 - postfix starts"
    exit 1
fi
# shellcheck disable=SC2034 # read by mta-lib.sh on exit
MTA_ON_EXIT="postfix -c '$conf' stop >/dev/null 2>&1"

# wait_until SECONDS CMD…: polls CMD every half second, for SECONDS at most.
wait_until() {
    limit=$(($1 * 2)); shift
    while ! "$@" >/dev/null 2>&1; do
        limit=$((limit - 1))
        [ $limit -gt 0 ] || return 1
        sleep 0.5
    done
}
queue_empty() { [ -z "$(ls -A "$MTA_DIR/spool/maildrop")" ] && pq -p | grep -q 'Mail queue is empty'; }
# queued_deferred N: N messages queued, all tried and deferred (a reason
# in parentheses under each), none being delivered.
queued_deferred() {
    pq -p >"$TMP/queue"
    [ "$(grep -c '^[0-9A-F][0-9A-F]*  ' "$TMP/queue")" -eq "$1" ] && [ "$(grep -c '^ *(' "$TMP/queue")" -eq "$1" ]
}
smtpd_ready() { "$PYTHON3" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$port"; }

ok "postfix listens on 127.0.0.1:$port" wait_until 30 smtpd_ready

# Each message carries a header of ours naming it, so the stored copies can
# be told apart; a copy of what was sent stays in $TMP/sent.
mkdir -p "$TMP/sent"
n=0
prepare() {   # prepare FIXTURE: the next message to send, named by $n
    { printf 'X-Test-Id: bt-%d\n' "$n"; cat "$1"; } >"$TMP/sent/$n.eml"
    n=$((n + 1))
}
# The envelope sender is the message's own Return-Path (a bounce's is
# null, an auto-reply's or a look-alike's is a mailbox: pipe(8)'s R flag
# writes it back on top, where bouncetriage reads it), or null.
envelope_of() {
    sed -n '/^\r\{0,1\}$/q; s/^Return-Path:[ \t]*<\{0,1\}\([^<>\r]*\)>\{0,1\}.*/<\1>/p' "$1" | head -n 1 | grep . || echo '<>'
}
send_sendmail() { sendmail -C "$conf" -f "$(envelope_of "$1")" -i bounce@bounces.test <"$1"; }
send_swaks() {
    swaks --server 127.0.0.1 --port "$port" --from "$(envelope_of "$1")" --to bounce@bounces.test \
        --helo client.test --data "@$1" --silent 2
}

# A message with bare CR line ends cannot cross SMTP as it is (RFC 5321
# 2.3.8: CR only in CRLF); Postfix carries it as long lines it splits, so
# what the hook gets is another message than the file: those stay out.
# So do files whose first line is empty (fixtures/damaged2/exim-empty-
# lines-before-headers): with X-Test-Id put before it, that line ends a
# header of one field, and the notice becomes the body of another message.
find "$BT_SRCDIR/fixtures" -name '*.eml' | LC_ALL=C sort |
    "$PYTHON3" -c 'import re, sys
for p in sys.stdin.read().split("\n"):
    data = open(p, "rb").read() if p else b""
    if p and not re.search(rb"\r(?!\n)", data) and not re.match(rb"\r?\n", data):
        print(p)' >"$TMP/fixtures"
[ -s "$TMP/fixtures" ] || skip_all "no fixtures under $BT_SRCDIR/fixtures"
: >"$TMP/send-errors"
while read -r fixture; do
    prepare "$fixture"
    send_sendmail "$TMP/sent/$((n - 1)).eml" 2>>"$TMP/send-errors" \
        || echo "sendmail failed for $fixture" >>"$TMP/send-errors"
done <"$TMP/fixtures"
bulk=$n
ok "sendmail takes all $bulk fixtures" test ! -s "$TMP/send-errors"
ok "the queue drains" wait_until 300 queue_empty
ok "$bulk messages in the maildir, none in tmp/" \
    sh -c 'test "$(find "$1" -path "*/new/*" -type f | wc -l)" -eq "$2" &&
           test -z "$(find "$1" -path "*/tmp/*" -type f)"' sh "$md" "$bulk"

# fault SETUP REPAIR LABEL: with the store broken by SETUP, three bounces
# by SMTP stay queued and no record is stored (a message may already be
# in the maildir: the retry finds it by its digest and only adds its
# records); after REPAIR and a flush they are delivered, each once.
fault() {
    setup=$1 repair=$2 label=$3
    lines=$(wc -l <"$out")
    stored=$(find "$md" -path '*/new/*' -type f | wc -l)
    sh -c "$setup"
    first=$n
    for fixture in $(sed -n "$((first % bulk + 1)),$((first % bulk + 3))p" "$TMP/fixtures"); do
        prepare "$fixture"
        send_swaks "$TMP/sent/$((n - 1)).eml" >>"$TMP/send-errors" 2>&1 \
            || echo "swaks failed for $fixture" >>"$TMP/send-errors"
    done
    ok "$label: swaks delivers three bounces over SMTP" test ! -s "$TMP/send-errors"
    ok "$label: postfix defers them and keeps them queued" wait_until 60 queued_deferred 3
    ok "$label: the JSONL did not change, the maildir took at most those three" \
        sh -c 'test "$(wc -l <"$1")" -eq "$2" &&
               test "$(find "$3" -path "*/new/*" -type f | wc -l)" -le "$(($4 + 3))"' sh "$out" "$lines" "$md" "$stored"
    sh -c "$repair"
    pq -f
    ok "$label: once fixed and flushed, the queue drains" wait_until 120 queue_empty
}
fault "chmod 444 '$out'" "chmod 644 '$out'" "JSONL read-only"
fault "chmod -R a-w '$md'" "chmod -R u+w '$md'" "maildir read-only"
# Broken rules make the hook exit 75 (not 78, which pipe(8) takes as
# permanent): the shipped entry keeps the bounces queued without soft_bounce.
fault "printf 'rules: [ { id: broken\n' >'$MTA_DIR/rules/zz-broken.yaml'" \
      "rm -f '$MTA_DIR/rules/zz-broken.yaml'" "rules broken"

# The end: each message sent is stored once, in its reason's folder, and
# each stored copy has all its records in the JSONL, once.
"$PYTHON3" - "$BT_BIN" "$TMP/sent" "$md" "$out" >"$TMP/final" 2>&1 <<'PY'
import glob, json, os, re, subprocess, sys
binary, sent, md, out = sys.argv[1:5]
problems = []
expected = {}
for path in glob.glob(os.path.join(sent, '*.eml')):
    tag = os.path.basename(path)[:-4]
    # What the hook reads: pipe(8)'s R flag puts the envelope sender on top
    # as Return-Path, and a file without one was sent with the null sender
    # (envelope_of), so its copy reads as the mail system's.
    data = open(path, 'rb').read()
    head = re.split(rb'\r?\n\r?\n', data, maxsplit=1)[0]
    if not re.search(rb'^Return-Path:', head, re.M | re.I):
        data = b'Return-Path: <>\n' + data
    run = subprocess.run([binary, '-f', 'jsonl', '-'], input=data, stdout=subprocess.PIPE)
    records = [json.loads(l) for l in run.stdout.splitlines()]
    expected['bt-' + tag] = (len(records) or 1, records[0]['reason'] if records else 'unclassified')
stored = {}
for path in glob.glob(os.path.join(md, '*', 'new', '*')):
    tag = re.search(rb'^X-Test-Id: (\S+)$', open(path, 'rb').read(), re.M)
    stored.setdefault(tag.group(1).decode() if tag else '?', []).append(path)
records = [json.loads(l) for l in open(out, encoding='utf-8')]
by_origin = {}
for r in records:
    by_origin.setdefault(r['origin'], []).append(r)
for tag, (count, reason) in sorted(expected.items()):
    paths = stored.get(tag, [])
    if len(paths) != 1:
        problems.append('%s stored %d times' % (tag, len(paths)))
        continue
    folder = paths[0].split(os.sep)[-3]
    if folder != reason:
        problems.append('%s in %s, not %s' % (tag, folder, reason))
    got = by_origin.pop(paths[0], [])
    if len(got) != count:
        problems.append('%s has %d records, %d expected' % (tag, len(got), count))
for origin in by_origin:
    problems.append('records for %s, which is not a stored message' % origin)
print('\n'.join(problems[:40]))
print('sent %d stored %d records %d problems %d'
      % (len(expected), sum(map(len, stored.values())), len(records), len(problems)))
sys.exit(1 if problems else 0)
PY
echo $? >"$TMP/final.status"
tail -n1 "$TMP/final" | sed 's/^/# /'
ok "every message sent is stored once, in its reason's folder, with its records once" \
    sh -c 'cat "$1"; test "$(cat "$2")" -eq 0' sh "$TMP/final" "$TMP/final.status"
ok "postfix stops" pf stop
# shellcheck disable=SC2034
MTA_ON_EXIT=:   # stopped already
done_testing
