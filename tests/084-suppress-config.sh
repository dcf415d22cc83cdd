#!/bin/sh
# The suppression policy is validated like the rules (every problem as
# file:line:col, exit 78, --lint-rules checks it), and --report,
# --suppress and --from-store fail cleanly on misuse and on bad paths.
. "$BT_SRCDIR/tests/lib.sh"
mail="$BT_SRCDIR/fixtures/generic/postfix-user-unknown.eml"

ok "--lint-rules accepts the shipped policy beside the packs" "$BT_BIN" --lint-rules

mkdir -p "$TMP/bad"
cat >"$TMP/bad/suppress.yaml" <<'EOF'
hard:
  reasons: [userunknown, nosuchreason]
complaint:
  feedbacktypes: abuse
soft:
  failures: 0
  days: many
  once-per-day: perhaps
  window: 3
never: [vacation, userunknown]
colour: blue
EOF
status=0
"$BT_BIN" --rules="$TMP/bad" --suppress="$TMP/out.csv" "$mail" >/dev/null 2>"$TMP/err" || status=$?
ok "a broken policy exits 78" test "$status" -eq 78
for want in \
    "suppress.yaml:2:26: unknown reason 'nosuchreason'" \
    "suppress.yaml:4:18: 'complaint' must be a list" \
    "suppress.yaml:6:13: 'failures' must be a whole number" \
    "suppress.yaml:7:9: 'days' must be a whole number" \
    "suppress.yaml:8:17: 'once-per-day' must be true or false" \
    "suppress.yaml:9:3: unknown key 'window'" \
    "suppress.yaml:10:19: reason 'userunknown' is already in 'hard'" \
    "suppress.yaml:11:1: unknown key 'colour'"; do
    ok "reported: $want" grep -qF "$want" "$TMP/err"
done
ok "no list is written under a broken policy" test ! -e "$TMP/out.csv"
status=0
"$BT_BIN" --rules="$TMP/bad" --lint-rules 2>/dev/null || status=$?
ok "--lint-rules rejects a broken policy" test "$status" -eq 78
printf 'soft: [1\n' >"$TMP/bad/suppress.yaml"
status=0
"$BT_BIN" --rules="$TMP/bad" --lint-rules 2>"$TMP/err" || status=$?
ok "a YAML syntax error is placed too" sh -c 'test "$1" -eq 78 && grep -q "suppress.yaml:2:1: " "$2"' sh "$status" "$TMP/err"
printf 'hard: &h\n  reasons: [userunknown]\n  again: *h\n' >"$TMP/bad/suppress.yaml"
status=0
"$BT_BIN" --rules="$TMP/bad" --lint-rules 2>"$TMP/err" || status=$?
ok "a policy that contains itself through an alias is refused, placed" \
    sh -c 'test "$1" -eq 78 && grep -q "suppress.yaml:1:7: this node contains an alias to itself" "$2"' sh "$status" "$TMP/err"
status=0
"$BT_BIN" --rules="$TMP/bad" --format=jsonl "$mail" >/dev/null 2>&1 || status=$?
ok "a run without --suppress does not need the policy" test "$status" -eq 0

# misuse and paths
usage() { s=0; "$BT_BIN" "$@" >/dev/null 2>&1 </dev/null || s=$?; test "$s" -eq 64; }
ok "--from-store alone is a usage error" usage --from-store="$TMP/x.jsonl"
ok "--from-store with a PATH is a usage error" usage --from-store="$TMP/x.jsonl" --report="$TMP/r.html" "$mail"
# the hook answers the MTA 0 or 75 only: a usage error defers the mail
hook_usage() { s=0; "$BT_BIN" "$@" >/dev/null 2>"$TMP/hook.err" </dev/null || s=$?; test "$s" -eq 75 && grep -q report "$TMP/hook.err"; }
ok "--report with --hook is a usage error, answered 75" hook_usage --hook --output="$TMP/h.jsonl" --report="$TMP/r.html"
status=0
"$BT_BIN" --report="$TMP/no/such/dir/r.html" "$mail" >/dev/null 2>&1 || status=$?
ok "an output that cannot be created exits 74" test "$status" -eq 74
status=0
"$BT_BIN" --from-store="$TMP/missing.jsonl" --suppress="$TMP/s.csv" 2>/dev/null || status=$?
ok "a missing store exits 66" test "$status" -eq 66
ok "and leaves no half-written output" test ! -e "$TMP/s.csv" -a ! -e "$TMP/s.csv.tmp"
printf '{"recipient":"a@example.com","reason":"userunknown"}\nnot json\n' >"$TMP/broken.jsonl"
status=0
"$BT_BIN" --from-store="$TMP/broken.jsonl" --suppress="$TMP/s.csv" 2>"$TMP/err" || status=$?
ok "a store line that is not a record exits 65 and names the line" sh -c '
    test "$1" -eq 65 && grep -q "broken.jsonl:2: not a record" "$2"' sh "$status" "$TMP/err"

# Without Chart.js the page keeps its tables.
BOUNCETRIAGE_CHARTJS="$TMP/none.js" "$BT_BIN" --report="$TMP/plain.html" "$mail" >/dev/null 2>"$TMP/err"
ok "without Chart.js: a warning, and a page with its tables" sh -c '
    grep -q "cannot read Chart.js" "$1" && grep -q "<table class=\"sortable\" id=\"t-recipients\"" "$2" && ! grep -q "Chart.js v" "$2"' \
    sh "$TMP/err" "$TMP/plain.html"
done_testing
