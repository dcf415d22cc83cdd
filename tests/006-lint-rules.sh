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
# An alias inside its own anchor makes the document a cycle, and aliases
# can multiply a few lines into a huge tree: both must be refused with a
# place, not walked (the rule-condition parser recurses; the fuzzer found
# the first as a stack overflow).
shape_fails() {   # rules|layouts DIR FILE:LINE MESSAGE
    if [ "$1" = layouts ]; then
        BOUNCETRIAGE_LAYOUTS="$2" "$BT_BIN" --lint-rules 2>"$TMP/err"
    else
        "$BT_BIN" --lint-rules --rules "$2" 2>"$TMP/err"
    fi
    st=$?; cat "$TMP/err"
    test $st -eq 78 && grep -q "$3[0-9:]*: $4" "$TMP/err"
}
mkdir -p "$TMP/cycle" "$TMP/deep" "$TMP/laughs" "$TMP/laycycle"
cat >"$TMP/cycle/self.yaml" <<'YAML'
pack: self
rules:
  - id: self.not
    when: &loop
      not: *loop
    then:
      reason: blocked
YAML
ok "a condition that contains itself is refused at its anchor" \
    shape_fails rules "$TMP/cycle" "self.yaml:4:11" "this node contains an alias to itself"
{
    printf 'pack: deep\nrules:\n  - id: deep.not\n    then: {reason: blocked}\n    when: '
    i=0; while [ $i -lt 70 ]; do printf '{not: '; i=$((i + 1)); done
    printf '{replycode: 550}'
    i=0; while [ $i -lt 70 ]; do printf '}'; i=$((i + 1)); done
    printf '\n'
} >"$TMP/deep/deep.yaml"
ok "conditions nested 70 deep are refused" \
    shape_fails rules "$TMP/deep" "deep.yaml:5" "nested more than 64 levels deep"
{
    printf 'pack: laughs\nrules:\n  - id: laughs.any\n    then: {reason: blocked}\n'
    printf '    x0: &x0 {replycode: 550}\n'
    i=1; while [ $i -le 8 ]; do
        p=$((i - 1))
        printf '    x%d: &x%d {any: [*x%d, *x%d, *x%d, *x%d, *x%d, *x%d, *x%d, *x%d, *x%d, *x%d]}\n' \
            $i $i $p $p $p $p $p $p $p $p $p $p
        i=$((i + 1))
    done
    printf '    when: *x8\n'
} >"$TMP/laughs/laughs.yaml"
ok "aliases that expand past a million nodes are refused" \
    shape_fails rules "$TMP/laughs" "laughs.yaml:" "its aliases expand to more than 1000000 nodes"
cat >"$TMP/laycycle/self.yaml" <<'YAML'
layouts:
  - &me
    id: self-layout
    match: { subject: 'Undeliverable' }
    recipients: '^<(?<recipient>[^>]+)>'
    also: *me
YAML
ok "a layout that contains itself is refused too" \
    shape_fails layouts "$TMP/laycycle" "self.yaml:2:5" "this node contains an alias to itself"
done_testing
