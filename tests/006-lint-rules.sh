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
ok "a broken pack makes --lint-rules exit 78" lint_fails "$TMP/bad"
ok "the bad regex is reported at its line and column" grep -q "broken.yaml:6:33: bad regex" "$TMP/err"
ok "the unknown reason is reported at its line" grep -q "broken.yaml:13:15: unknown reason" "$TMP/err"
run_refuses() { "$BT_BIN" --rules "$TMP/bad" </dev/null >/dev/null 2>&1; test $? -eq 78; }
ok "a normal run refuses a broken rule set with 78" run_refuses

# YAML wants a mapping's keys unique; libyaml keeps both, and the loaders
# would read only one: a second `then:` or `match:` must be an error.
mkdir -p "$TMP/dup" "$TMP/duplay"
cat >"$TMP/dup/twice.yaml" <<'YAML'
pack: twice
order: 50
rules:
  - id: twice.then
    when:
      replycode: 550
    then:
      reason: userunknown
    then:
      reason: filtered
YAML
dup_rule_fails() {
    "$BT_BIN" --lint-rules --rules "$TMP/dup" 2>"$TMP/err"
    st=$?; cat "$TMP/err"; test $st -eq 78
}
ok "a repeated key in a rule makes --lint-rules exit 78" dup_rule_fails
ok "the repeated key is reported at its line and column" \
    grep -q "twice.yaml:9:5: duplicate key 'then' (first at line 7)" "$TMP/err"
cat >"$TMP/duplay/twice.yaml" <<'YAML'
layouts:
  - id: twice-layout
    match: { subject: 'Undeliverable' }
    recipients: '^<(?<recipient>[^>]+)>'
    match: { from: 'postmaster' }
YAML
dup_layout_fails() {
    BOUNCETRIAGE_LAYOUTS="$TMP/duplay" "$BT_BIN" --lint-rules 2>"$TMP/err"
    st=$?; cat "$TMP/err"; test $st -eq 78
}
ok "a repeated key in a layout makes --lint-rules exit 78" dup_layout_fails
ok "the layout's repeated key is reported at its line and column" \
    grep -q "twice.yaml:5:5: duplicate key 'match' (first at line 3)" "$TMP/err"
done_testing
