#!/bin/sh
# The exit statuses of --annotate and --hook through the CLI: usage errors
# are 64, broken rules 78 (the hook too, as DESIGN.md says), an output that
# cannot be written 75 for the hook; and a non-bounce passes --annotate
# unchanged.
. "$BT_SRCDIR/tests/lib.sh"

status_is() { want=$1; shift; "$@" </dev/null >/dev/null 2>&1; test $? -eq "$want"; }
msg="$TMP/plain.eml"
printf 'From: a@example.com\nTo: b@example.org\nSubject: hi\n\nhello\n' >"$msg"

ok "--hook without --output or --maildir exits 64" status_is 64 "$BT_BIN" --hook
ok "--annotate with --output exits 64" status_is 64 "$BT_BIN" --annotate --output="$TMP/x.jsonl"
ok "--annotate with --maildir exits 64" status_is 64 "$BT_BIN" --annotate --maildir="$TMP/md"
ok "--hook with a PATH exits 64" status_is 64 "$BT_BIN" --hook --output="$TMP/x.jsonl" "$msg"
ok "--hook with broken rules exits 78" \
    status_is 78 "$BT_BIN" --hook --output="$TMP/x.jsonl" --rules="$BT_SRCDIR/tests/data/rules/broken/syntax"
ok "--annotate with broken rules exits 78" \
    status_is 78 "$BT_BIN" --annotate --rules="$BT_SRCDIR/tests/data/rules/broken/syntax"
ok "--hook into an output it cannot open exits 75" \
    sh -c '"$1" --hook --output="$2/x.jsonl" <"$2" 2>/dev/null; test $? -eq 75' sh "$BT_BIN" "$msg"
ok "a non-bounce passes --annotate unchanged" \
    sh -c '"$1" --annotate <"$2" >"$3" && cmp "$2" "$3"' sh "$BT_BIN" "$msg" "$TMP/out.eml"
ok "--hook stores a non-bounce as unclassified" \
    sh -c '"$1" --hook --maildir="$2/md" <"$3" && test "$(ls "$2/md/unclassified/new" | wc -l)" -eq 1' \
    sh "$BT_BIN" "$TMP" "$msg"
done_testing
