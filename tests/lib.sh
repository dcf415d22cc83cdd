# Shared helpers for the numbered shell tests: a tiny TAP emitter.
# Usage: . "$BT_SRCDIR/tests/lib.sh"; plan N; ok "name" cmd…; done_testing
: "${BT_SRCDIR:?run through make check}"
_bt_n=0
_bt_failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bt-test.XXXXXX")
# --jobs: every message goes to the worker processes, none is triaged
# first in the batch (tests/124 checks the default as well)
BOUNCETRIAGE_WARM=${BOUNCETRIAGE_WARM-0}
export BOUNCETRIAGE_WARM
trap 'rm -rf "$TMP"' EXIT

plan() { echo "1..$1"; }
# ok NAME COMMAND...: one TAP line for the command's success.
ok() {
    name=$1; shift
    _bt_n=$((_bt_n + 1))
    if "$@" >"$TMP/out.$_bt_n" 2>&1; then
        echo "ok $_bt_n - $name"
    else
        echo "not ok $_bt_n - $name"
        sed 's/^/# /' "$TMP/out.$_bt_n" | head -40
        _bt_failed=$((_bt_failed + 1))
    fi
}
# wait_until CMD...: CMD every 0.25 s until it succeeds, for at most 60 s
# (a loaded machine starts servers slowly); fails if it never does.
wait_until() {
    _bt_tries=0
    until "$@"; do
        _bt_tries=$((_bt_tries + 1))
        [ "$_bt_tries" -lt 240 ] || return 1
        sleep 0.25
    done
}
# lint_fails DIR: --lint-rules over the rule directory DIR exits 78 (the
# rule set is refused); its messages are shown and left in $TMP/err.
lint_fails() {
    "$BT_BIN" --lint-rules --rules "$1" 2>"$TMP/err"
    _bt_st=$?; cat "$TMP/err"; test $_bt_st -eq 78
}
# skip_all WHY: nothing more can run here.  Before any check that is a
# skipped test; after some, the plan closes on those already run.
skip_all() {
    if [ "${_bt_n:-0}" -gt 0 ]; then
        echo "# SKIP the rest: $1"
        echo "1..$_bt_n"
    else
        echo "1..0 # SKIP $1"
    fi
    exit 0
}
# skip NAME WHY: one TAP line for a check that cannot run here.
skip() { _bt_n=$((_bt_n + 1)); echo "ok $_bt_n - $1 # SKIP $2"; }
done_testing() { echo "1..$_bt_n"; exit 0; }
