#!/bin/sh
# A message gets the same records whether it is triaged alone or inside a
# long batch.  Alone, every pattern runs in PCRE2's interpreter; in a batch
# the patterns used most are JIT-compiled (core/lazyjit.c), so this also
# proves that both matchers agree on real text — PCRE2 10.42's JIT, for
# one, disagrees with the interpreter on \S next to non-ASCII text unless
# patterns are compiled with PCRE2_UCP.
. "$BT_SRCDIR/tests/lib.sh"

list="$TMP/list"
find "$BT_SRCDIR/fixtures" -name '*.eml' | sort >"$list"
corpus="$BT_SHARED/corpus/set-of-emails/maildir/bsd"
[ -d "$corpus" ] && find "$corpus" -name '*.eml' | sort >>"$list"

# the whole list, three times over, so every pattern is used often enough
# to be JIT-compiled long before the last pass
batch() {
    cat "$list" "$list" "$list" | tr '\n' '\0' \
        | xargs -0 "$BT_BIN" --format=jsonl -q >"$TMP/batch.jsonl" 2>/dev/null
    [ -s "$TMP/batch.jsonl" ]
}
ok "the batch run gives records" batch

alone() {
    while IFS= read -r f; do "$BT_BIN" --format=jsonl -q "$f" 2>/dev/null; done <"$list" >"$TMP/alone.jsonl"
    "$PYTHON3" - "$TMP/batch.jsonl" "$TMP/alone.jsonl" <<'PY'
import json, sys
from collections import defaultdict
def load(path, last_pass_only):
    by = defaultdict(list)
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        by[r["origin"]].append(json.dumps(r, sort_keys=True))
    if last_pass_only:   # the batch read each file three times: keep the last third
        by = {k: v[len(v) * 2 // 3:] for k, v in by.items()}
    return by
batch, alone = load(sys.argv[1], True), load(sys.argv[2], False)
bad = [o for o in sorted(set(batch) | set(alone)) if batch.get(o) != alone.get(o)]
for o in bad[:20]:
    print("differs:", o)
    for a, b in zip(batch.get(o, []), alone.get(o, [])):
        if a != b:
            da, db = json.loads(a), json.loads(b)
            print("   ", {k: (da[k], db[k]) for k in da if da[k] != db.get(k)})
sys.exit(1 if bad else 0)
PY
}
ok "every message gives the same records alone as in a batch" alone
# One pattern, one message, twelve times in one run: the first uses are
# interpreted, the later ones JIT-compiled; the verdict must not change.
probe() {
    set -- "$BT_SRCDIR/tests/data/jit-probe.eml"
    "$BT_BIN" --format=jsonl -q --rules "$BT_SRCDIR/tests/data/rules/jit" "$@" "$@" "$@" "$@" "$@" "$@" \
        "$@" "$@" "$@" "$@" "$@" "$@" >"$TMP/probe.jsonl" 2>/dev/null
    [ "$(grep -c '"rule":"test.jit-probe"' "$TMP/probe.jsonl")" = 12 ]
}
ok "\\S matches a non-ASCII letter before and after the JIT takes over" probe
done_testing
