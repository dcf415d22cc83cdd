#!/bin/sh
# A rules entry checks its index at load and each pack's document when a
# rule of the pack is first tried (src/core/doccache.c): a run reads, and
# checks, only what it uses.  A damaged document that a run does not
# reach costs it nothing; the run that reaches it parses that pack
# instead, gives the record a parsing run gives, and rewrites the entry.
. "$BT_SRCDIR/tests/speed-start-lib.sh"

# A second pack right after the probe's, and a message only it decides.
cat >"$EXTRA/second.yaml" <<'YAML'
pack: speedstart-second
order: 2
rules:
  - id: speedstart.second
    when:
      diagnosticcode: 'speedstart second marker'
    then:
      reason: expired
YAML
sed 's/(speedstart marker)/(speedstart second marker)/' "$TMP/probe.eml" >"$TMP/second.eml"
second() { "$BT_BIN" --rules "$EXTRA" -f jsonl <"$TMP/second.eml"; }
# gives FILE CMD: CMD prints what FILE holds.
gives() { f=$1; shift; "$@" | cmp - "$f"; }

probe >"$TMP/probe.jsonl"
second >"$TMP/second.jsonl"
ok "a parsing run decides both probes by their rules" sh -c \
    'grep -q "\"rule\":\"speedstart.probe\"" "$1" && grep -q "\"rule\":\"speedstart.second\"" "$2"' \
    sh "$TMP/probe.jsonl" "$TMP/second.jsonl"

# One letter of the second pack's pattern, in its document only: the
# documents come last in the entry; the index before them holds the
# rule's id and its literal test (src/rules/prefilter.c), which has the
# pattern's words too and stays whole.
rules=$(entry rules)
"$PYTHON3" - "$rules" <<'PY' || exit 1
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.rfind(b"speedstart second marker")
assert i >= 0
b[i + 23:i + 24] = b"x"
open(p + ".d", "wb").write(b)
PY
mv "$rules.d" "$rules"
ino=$(stat -c %i "$rules")

ok "a run that does not reach the damaged pack gives its record" gives "$TMP/probe.jsonl" probe
ok "... from the entry as it is (not refused, not rewritten)" test "$(stat -c %i "$rules")" = "$ino"
ok "the run that reaches it gives the record of a parsing run" gives "$TMP/second.jsonl" second
ok "... and rewrote the entry" test "$(stat -c %i "$rules")" != "$ino"
ino=$(stat -c %i "$rules")
ok "the next run uses the new entry as it is" gives "$TMP/second.jsonl" second
ok "... unchanged" test "$(stat -c %i "$rules")" = "$ino"
ok "... whose pattern is whole again" grep -q "speedstart second marker" "$rules"

done_testing
