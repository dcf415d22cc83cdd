#!/bin/sh
# Fifty --hook deliveries at once, as an MTA runs them: every one exits 0,
# the JSONL holds every record exactly once, whole and not interleaved
# (the records of one message stay together), and the maildir holds fifty
# messages with nothing left in tmp/.
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to read the JSON"
n=50

dsn() {   # dsn I: a DSN from message I with I % 3 + 1 bounced recipients
    i=$1
    cat <<EOT
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.$i@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B$i"

--B$i
Content-Type: text/plain

Delivery failed.

--B$i
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
EOT
    r=0
    while [ $r -le $((i % 3)) ]; do
        printf '\nFinal-Recipient: rfc822; user%d-%d@example.org\nAction: failed\nStatus: 5.1.1\n' "$i" "$r"
        printf 'Diagnostic-Code: smtp; 550 5.1.1 <user%d-%d@example.org>: Recipient address rejected: User unknown in virtual mailbox table %s\n' \
            "$i" "$r" "$(printf '%0200d' 0)"
        r=$((r + 1))
    done
    printf '\n--B%d--\n' "$i"
}

expected=0
i=0
while [ $i -lt $n ]; do
    dsn $i >"$TMP/msg.$i"
    expected=$((expected + i % 3 + 1))
    i=$((i + 1))
done

i=0
while [ $i -lt $n ]; do
    ( "$BT_BIN" --hook --output="$TMP/log.jsonl" --maildir="$TMP/md" <"$TMP/msg.$i" \
          2>"$TMP/err.$i"; echo $? >"$TMP/status.$i" ) &
    i=$((i + 1))
done
wait

ok "every delivery exits 0" sh -c 'cat "$1"/err.*; test "$(cat "$1"/status.* | sort -u)" = 0' sh "$TMP"
ok "$expected whole records, each once, each message's together" \
    "$PYTHON3" - "$TMP/log.jsonl" "$expected" <<'PY'
import json, sys
path, expected = sys.argv[1], int(sys.argv[2])
data = open(path, 'rb').read()
assert data.endswith(b'\n'), 'the file ends inside a line'
records = [json.loads(line) for line in data.decode('utf-8').splitlines()]
assert len(records) == expected, '%d records, %d expected' % (len(records), expected)
recipients = [r['recipient'] for r in records]
assert len(set(recipients)) == expected, 'a recipient twice'
# one message's records are adjacent: each origin is one run
runs = [o for k, o in enumerate(r['origin'] for r in records) if k == 0 or records[k - 1]['origin'] != o]
assert len(runs) == len(set(runs)) == 50, '%d runs of %d origins' % (len(runs), len(set(runs)))
for r in records:
    assert r['reason'] == 'userunknown', r
    sender = r['recipient'].split('-')[0]
    assert all(x['recipient'].split('-')[0] == sender for x in records if x['origin'] == r['origin'])
PY
ok "$n messages in new/" sh -c 'test "$(ls "$1/md/userunknown/new" | wc -l)" -eq "$2"' sh "$TMP" "$n"
ok "nothing left in tmp/" sh -c 'test -z "$(ls "$1/md/userunknown/tmp")"' sh "$TMP"
ok "each stored message is annotated" \
    sh -c 'test "$(grep -l "^X-Bounce-Reason: userunknown" "$1"/md/userunknown/new/* | wc -l)" -eq "$2"' sh "$TMP" "$n"
done_testing
