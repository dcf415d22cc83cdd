#!/bin/sh
# Exactly-once delivery under SIGKILL.  Hundreds of --hook deliveries run
# concurrently, as an MTA runs them; some are killed at a random point
# (SIGKILL, anywhere from reading the message to answering), and every
# delivery that did not answer 0 is retried, as the MTA retries, until it
# does.  Half the kills come from outside, at a random time; the others
# from the hook itself (BOUNCETRIAGE_TEST_KILL) at a step boundary — message
# staged, triaged, renamed into new/, inside the SQLite transaction, a
# JSONL write half done, all stored — so every window is hit, not only the
# long ones.  Then, for each store:
#   SQLite: every message is in the maildir exactly once and its records
#           are in the database exactly once, each naming that file;
#   JSONL:  no torn or glued line, every message's records are there, and
#           a duplicate is only ever a whole record with the same digest;
#           the maildir holds every message exactly once;
#   JSONL without a maildir (nothing tells a retry from a first delivery):
#           the same, but duplicates, whole and the same, are allowed and
#           counted.
# The figures go to the TAP log.  BT_KILL_N sets the messages per store
# (default 150; each takes about two attempts), BT_KILL_JOBS the
# deliveries at once (default 8).
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to drive and check the deliveries"
"$PYTHON3" -c 'import sqlite3' 2>/dev/null || skip_all "python3 has no sqlite3 module"
ulimit -c 0

run_store() {   # run_store KIND: deliver, kill, retry, check; prints the figures
    "$PYTHON3" - "$BT_BIN" "$TMP/$1" "$1" "${BT_KILL_N:-150}" "${BT_KILL_JOBS:-8}" <<'PY'
import hashlib, json, os, random, signal, sqlite3, subprocess, sys, threading, time
binary, top, kind, n, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
os.makedirs(top)
md = os.path.join(top, 'md')
out = os.path.join(top, 'records.sqlite' if kind == 'sqlite' else 'records.jsonl')
with_maildir = kind != 'jsonl-alone'

rng = random.Random(20261201)

def message(i):
    """A DSN with 1 to 3 recipients, or (every seventh) a non-bounce."""
    if i % 7 == 6:
        return (b'From: a@example.com\nTo: b@example.org\nSubject: not a bounce %d\n'
                b'Message-ID: <plain.%d@example.com>\n\nhello\n' % (i, i)), ['']
    rcpts = ['user%d-%d@example.org' % (i, r) for r in range(i % 3 + 1)]
    parts = [b'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nTo: sender@example.com\n'
             b'Subject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn.%d@mx.example.net>\n'
             b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; '
             b'boundary="B"\n\n--B\nContent-Type: message/delivery-status\n\n'
             b'Reporting-MTA: dns; mx.example.net\n' % i]
    for r in rcpts:
        parts.append(b'\nFinal-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n'
                     b'Diagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: '
                     b'User unknown in virtual mailbox table\n' % (r.encode(), r.encode()))
    parts.append(b'\n--B--\n')
    return b''.join(parts), rcpts

msgs = [message(i) for i in range(n)]
cmd = [binary, '--hook', '--output=' + out] + (['--maildir=' + md] if with_maildir else [])
env = dict(os.environ, BOUNCETRIAGE_TEST_KILL='8')

def once(data):   # into a store of its own: the warm-up is not counted
    warm = [binary, '--hook', '--output=' + out.replace('records', 'warm-up')]
    return subprocess.run(warm, input=data, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode

# how long one delivery takes here, to spread the kills over all of it
t0 = time.monotonic()
for _ in range(3):
    once(b'From: x@example.com\nSubject: warm-up\n\n.\n')
span = (time.monotonic() - t0) / 3 * 1.3

lock = threading.Lock()
figures = {'attempts': 0, 'killed': 0, 'tempfail': 0, 'completed': 0, 'cut': 0}

def deliver(data, rng):
    while True:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
        kill = rng.random() < 0.3
        delay = rng.uniform(0, span)
        if kill:
            t = threading.Timer(delay, lambda: p.poll() is None and p.send_signal(signal.SIGKILL))
            t.start()
        try:
            p.stdin.write(data)
            p.stdin.close()
        except BrokenPipeError:
            pass
        err = p.stderr.read()
        rc = p.wait()
        if kill:
            t.cancel()
        with lock:
            figures['attempts'] += 1
            figures['killed'] += rc == -signal.SIGKILL
            figures['tempfail'] += rc == 75
            # the windows the kills hit: a retry that found the message
            # stored without its records, a torn JSONL line cut off
            figures['completed'] += b'is stored already' in err
            figures['cut'] += b'torn last line' in err
        if rc == 0:
            return
        if rc not in (-signal.SIGKILL, 75):
            raise SystemExit('a delivery exited %d' % rc)
        time.sleep(rng.uniform(0, 0.02))   # the MTA's retry, soon

queue = list(range(n))
def worker(seed):
    r = random.Random(seed)
    while True:
        with lock:
            if not queue:
                return
            i = queue.pop()
        deliver(msgs[i][0], r)

threads = [threading.Thread(target=worker, args=(rng.random(),)) for _ in range(jobs)]
for t in threads: t.start()
for t in threads: t.join()

# ---- the checks ------------------------------------------------------------
digests = {hashlib.sha256(m).hexdigest(): rcpts for m, rcpts in msgs}
stored = {}
for folder in os.listdir(md) if with_maildir else []:
    for sub in ('new', 'cur'):
        d = os.path.join(md, folder, sub)
        for name in os.listdir(d) if os.path.isdir(d) else []:
            stored.setdefault(name.split('.')[0], []).append(os.path.join(d, name))
left_in_tmp = sum(len(os.listdir(os.path.join(md, f, 'tmp'))) for f in os.listdir(md)
                  if os.path.isdir(os.path.join(md, f, 'tmp'))) if with_maildir else 0
problems = []
stored_twice = sum(1 for d in digests if len(stored.get(d, [])) > 1)
not_stored = sum(1 for d in digests if not stored.get(d))
strangers = [d for d in stored if d not in digests]
if with_maildir and (stored_twice or not_stored or strangers):
    problems.append('maildir: %d stored twice, %d missing, %d unknown files'
                    % (stored_twice, not_stored, len(strangers)))

torn = 0
records = []
if kind == 'sqlite':
    db = sqlite3.connect(out)
    rows = db.execute('SELECT messagedigest, recipient, json FROM records ORDER BY rowid').fetchall()
    for dg, rc, js in rows:
        rec = json.loads(js)
        if rec['messagedigest'] != dg or rec['recipient'] != rc:
            problems.append('row (%s, %s) holds a record of %s' % (dg[:12], rc, rec['messagedigest'][:12]))
        records.append(rec)
else:
    data = open(out, 'rb').read()
    if data and not data.endswith(b'\n'):
        torn += 1
    for line in data.split(b'\n')[:-1] if data.endswith(b'\n') else data.split(b'\n'):
        try:
            rec = json.loads(line)
            assert isinstance(rec, dict) and len(rec.get('messagedigest', '')) == 64
            records.append(rec)
        except Exception:
            torn += 1
    if torn:
        problems.append('%d torn or glued lines' % torn)

by_key = {}
for rec in records:
    by_key.setdefault((rec['messagedigest'], rec['recipient']), []).append(rec)
missing = sum(1 for d, rcpts in digests.items() for r in rcpts if (d, r) not in by_key)
dup_records = sum(len(v) - 1 for v in by_key.values())
unequal = sum(1 for v in by_key.values() if any(x != v[0] for x in v))
unknown = sum(1 for d, _ in by_key if d not in digests)
for (d, r), v in by_key.items():
    paths = stored.get(d, [])
    if paths and v[0]['origin'] != paths[0] and v[0]['origin'].replace('/new/', '/cur/') != paths[0]:
        problems.append('the record of %s names %s, not the stored file' % (d[:12], v[0]['origin']))
        break
if missing or unknown:
    problems.append('records: %d missing, %d of unknown messages' % (missing, unknown))
if kind != 'jsonl-alone' and dup_records:
    problems.append('sqlite: %d duplicated records' % dup_records)
if unequal:
    problems.append('%d duplicates that are not the same whole record' % unequal)

print('# %s: sent %d, attempts %d (killed %d, tempfail %d, retries completing a stored '
      'message %d, torn lines cut %d), stored %d, stored twice %d, '
      'records %d, missing %d, duplicated %d, torn %d, left in tmp/ %d'
      % (kind, n, figures['attempts'], figures['killed'], figures['tempfail'],
         figures['completed'], figures['cut'],
         sum(len(v) for v in stored.values()), stored_twice, len(records), missing,
         dup_records, torn, left_in_tmp))
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
}

for kind in sqlite jsonl jsonl-alone; do
    run_store "$kind" >"$TMP/$kind.txt" 2>&1
    echo $? >"$TMP/$kind.status"
    grep '^#' "$TMP/$kind.txt"
    ok "$kind: every message stored as the store promises" \
        sh -c 'cat "$1"; test "$(cat "$2")" -eq 0' sh "$TMP/$kind.txt" "$TMP/$kind.status"
done
done_testing
