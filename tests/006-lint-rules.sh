#!/bin/sh
# --lint-rules passes on the shipped rules and reports a broken pack as
# file:line:col with exit status 78; a normal run refuses it the same way.
. "$BT_SRCDIR/tests/lib.sh"
ok "the shipped rules are valid" "$BT_BIN" --lint-rules

mkdir -p "$TMP/bad"
cat >"$TMP/bad/broken.yaml" <<'YAML'
pack: broken
order: 50
rules:
  - id: broken.regex
    when:
      diagnosticcode: '(unclosed'
    then:
      reason: userunknown
  - id: broken.reason
    when:
      replycode: 550
    then:
      reason: not-a-reason
YAML
lint_fails() {
    "$BT_BIN" --lint-rules --rules "$TMP/bad" 2>"$TMP/err"
    st=$?; cat "$TMP/err"; test $st -eq 78
}
ok "a broken pack makes --lint-rules exit 78" lint_fails
ok "the bad regex is reported at its line and column" grep -q "broken.yaml:6:33: bad regex" "$TMP/err"
ok "the unknown reason is reported at its line" grep -q "broken.yaml:13:15: unknown reason" "$TMP/err"
run_refuses() { "$BT_BIN" --rules "$TMP/bad" </dev/null >/dev/null 2>&1; test $? -eq 78; }
ok "a normal run refuses a broken rule set with 78" run_refuses
done_testing
