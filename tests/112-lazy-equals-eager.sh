#!/bin/sh
# A run that loads rules and layouts from the cache parses each rule and
# compiles each pattern only when a message first needs it
# (src/rules/rule.c bt_rule_complete, src/extract/layout-regex.c
# bt_layout_regex_code); a run that parses the files validates and
# compiles everything first.  Both must give the same records, --explain
# included, alone or with threads racing to complete the same rules.
. "$BT_SRCDIR/tests/speed-start-lib.sh"

list="$TMP/list"
find "$BT_SRCDIR/fixtures" -name '*.eml' | sort >"$list"
corpus="$BT_SHARED/corpus/set-of-emails/maildir/bsd"
[ -d "$corpus" ] && find "$corpus" -name '*.eml' | sort >>"$list"

# run OUT [OPTION...]: every message of the list, with the extra directory.
run() {
    out=$1; shift
    tr '\n' '\0' <"$list" | xargs -0 "$BT_BIN" --rules "$EXTRA" --format=jsonl --explain -q "$@" >"$out" 2>/dev/null
    [ -s "$out" ]
}

ok "a run that parses the files (fresh cache)" run "$TMP/eager.jsonl"
ok "... left entries for the next runs" sh -c 'ls "$1"/bouncetriage/rules-*.cache "$1"/bouncetriage/layouts-*.cache' \
    sh "$XDG_CACHE_HOME"
ok "a run from the cache" run "$TMP/lazy.jsonl"
ok "gives the same records, explanations included" cmp "$TMP/eager.jsonl" "$TMP/lazy.jsonl"
ok "a run from the cache with 4 workers" run "$TMP/lazy4.jsonl" --jobs 4
ok "gives the same records too" cmp "$TMP/eager.jsonl" "$TMP/lazy4.jsonl"

# one message at a time: each run completes only the rules it reaches
alone() {
    head -n 60 "$list" | while IFS= read -r f; do
        "$BT_BIN" --rules "$EXTRA" --format=jsonl --explain -q "$f" 2>/dev/null
    done >"$TMP/alone.jsonl"
    head -n 60 "$list" | tr '\n' '\0' | xargs -0 env XDG_CACHE_HOME="$TMP/cold" \
        "$BT_BIN" --rules "$EXTRA" --format=jsonl --explain -q >"$TMP/alone-eager.jsonl" 2>/dev/null
    [ -s "$TMP/alone.jsonl" ] && cmp "$TMP/alone.jsonl" "$TMP/alone-eager.jsonl"
}
ok "single-message runs from the cache agree with a parsing run" alone

done_testing
