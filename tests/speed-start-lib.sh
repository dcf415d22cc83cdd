# Shared by tests 111-114 (src/core/doccache.c): a probe message, a rule
# pack and a layout of their own in an extra rule directory, and a fresh
# cache directory, so that editing them shows what the cache serves.
. "$BT_SRCDIR/tests/lib.sh"

XDG_CACHE_HOME=$TMP/cache
export XDG_CACHE_HOME
EXTRA=$TMP/extra
mkdir -p "$EXTRA/layouts" "$XDG_CACHE_HOME"

cat >"$TMP/probe.eml" <<'MSG'
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sender@example.org
Subject: Speedstart probe: undelivered mail
Date: Wed, 02 Dec 2026 01:00:00 +0000
Message-ID: <probe-1@mx.example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

This message could not be delivered.

Undelivered to: someone@example.com
Why: 550 5.1.1 mailbox unavailable (speedstart marker)
MSG

cat >"$EXTRA/probe.yaml" <<'YAML'
pack: speedstart-probe
order: 1
rules:
  - id: speedstart.probe
    when:
      diagnosticcode: 'speedstart marker'
    then:
      reason: rejected
YAML

cat >"$EXTRA/layouts/probe.yaml" <<'YAML'
order: 1
layouts:
  - id: speedstart-probe
    match:
      subject: '(?i)^Speedstart probe'
    recipients:
      - '(?i)^Undelivered to:\s*(?<recipient>\S+@\S+)\s*$'
    fields:
      - '(?im)^Why:\s*(?<diagnosticcode>\S.*)$'
YAML

# probe: the probe's record with the extra directory.
probe() { "$BT_BIN" --rules "$EXTRA" -f jsonl <"$TMP/probe.eml"; }

# field NAME: that field of the probe's record.
field() { probe | "$PYTHON3" -c 'import json, sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }

# entry KIND: the cache entry of KIND (rules, layouts) for the extra
# directory's run (while $BT_BIN is the only program that made entries).
entry() { ls "$XDG_CACHE_HOME/bouncetriage/$1"-*.cache 2>/dev/null | head -n 1; }

# same_stat_edit FILE FROM TO: replaces FROM by TO (same length) keeping
# the file's size and modification time, as a careless copy might.
same_stat_edit() {
    cp -p "$1" "$TMP/ref"
    sed "s/$2/$3/" "$TMP/ref" >"$1.new" && cat "$1.new" >"$1" && rm -f "$1.new"
    touch -r "$TMP/ref" "$1"
    [ "$(stat -c '%s %y' "$1")" = "$(stat -c '%s %y' "$TMP/ref")" ] && ! cmp -s "$1" "$TMP/ref"
}
