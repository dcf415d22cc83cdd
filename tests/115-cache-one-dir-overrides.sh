#!/bin/sh
# Rules from the cache are made from the entry's per-pack notes
# (src/rules/load.c): with one rule directory straight into matching
# order, with no id index (a cached set has no repeated id); with more,
# an id from a later directory still takes its earlier rule's place.
# Either way a run from the cache gives what a parsing run gives.
. "$BT_SRCDIR/tests/speed-start-lib.sh"

list="$TMP/list"
find "$BT_SRCDIR/fixtures" -name '*.eml' | sort | head -n 200 >"$list"

# run OUT [OPTION...]: the listed messages.
run() {
    out=$1; shift
    tr '\n' '\0' <"$list" | xargs -0 "$BT_BIN" --format=jsonl --explain -q "$@" >"$out" 2>/dev/null
    [ -s "$out" ]
}
entries() { ls "$XDG_CACHE_HOME"/bouncetriage/rules-*.cache 2>/dev/null | wc -l; }

ok "one directory: a parsing run" run "$TMP/eager1.jsonl"
ok "... leaves a rules entry" test "$(entries)" = 1
ok "one directory: a run from the cache" run "$TMP/lazy1.jsonl"
ok "... gives the same records" cmp "$TMP/eager1.jsonl" "$TMP/lazy1.jsonl"

# An override of the rule that decides the first record: it matches every
# record with a recipient, at the overridden rule's place, with another reason.
OVR=$TMP/override
mkdir -p "$OVR"
"$PYTHON3" - "$TMP/eager1.jsonl" "$OVR/override.yaml" <<'PY'
import json, sys
rec = next(r for r in map(json.loads, open(sys.argv[1])) if r.get("rule"))
reason = "expired" if rec["reason"] != "expired" else "suspend"
open(sys.argv[2], "w").write(
    "pack: speedstart2-override\n"
    "rules:\n"
    "  - id: %s\n"
    "    when:\n"
    "      recipient: {present: true}\n"
    "    then:\n"
    "      reason: %s\n" % (rec["rule"], reason))
PY
ok "two directories, an override: a parsing run" run "$TMP/eager2.jsonl" --rules "$OVR"
ok "... left a second rules entry" test "$(entries)" = 2
ok "... and the override decides records there" sh -c '! cmp -s "$1" "$2"' sh "$TMP/eager1.jsonl" "$TMP/eager2.jsonl"
ok "two directories, an override: a run from the cache" run "$TMP/lazy2.jsonl" --rules "$OVR"
ok "... gives the same records" cmp "$TMP/eager2.jsonl" "$TMP/lazy2.jsonl"
ok "... with 4 workers too" run "$TMP/lazy2j.jsonl" --rules "$OVR" --jobs 4
ok "... the same records" cmp "$TMP/eager2.jsonl" "$TMP/lazy2j.jsonl"

done_testing
