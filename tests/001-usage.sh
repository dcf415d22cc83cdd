#!/bin/sh
# The command-line contract: help, version, usage errors exit 64.
. "$BT_SRCDIR/tests/lib.sh"

expect_status() { want=$1; shift; "$@" >/dev/null 2>&1; test $? -eq "$want"; }

ok "--help exits 0 and names the modes" sh -c '"$BT_BIN" --help | grep -q -- "--lint-rules"'
ok "--version prints the version" sh -c '"$BT_BIN" --version | grep -q "^bouncetriage [0-9]"'
ok "an unknown option exits 64" expect_status 64 "$BT_BIN" --no-such-option
ok "an unknown format exits 64" expect_status 64 "$BT_BIN" --format=xml
ok "--jobs 0 exits 64" expect_status 64 "$BT_BIN" --jobs 0
ok "exclusive modes exit 64" expect_status 64 "$BT_BIN" --lint-rules --annotate
ok "a missing path exits 66" expect_status 66 "$BT_BIN" "$TMP/does-not-exist"
ok "a missing path is named on stderr" sh -c '"$BT_BIN" "$1/nope" 2>&1 >/dev/null | grep -q "nope"' sh "$TMP"
ok "empty stdin is reported and exits 65" sh -c '"$BT_BIN" </dev/null 2>&1 | grep -q "empty"; "$BT_BIN" </dev/null 2>/dev/null; test $? -eq 65'
done_testing
