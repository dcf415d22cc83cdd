#!/bin/sh
# libsqlite3 is not linked into the program: it is opened only when a
# .sqlite store is written (--hook --output=FILE.sqlite) or read
# (--from-store), through src/core/sqlite-lazy.h.  Proof from the dynamic
# loader itself, and both store paths still work.
. "$BT_SRCDIR/tests/speed-start-lib.sh"

# libs FILE COMMAND...: the libraries the loader initialised for COMMAND.
libs() {
    out=$1; shift
    rm -f "$TMP/ld".*
    LD_DEBUG=libs LD_DEBUG_OUTPUT="$TMP/ld" "$@" >"$TMP/cmd.out" 2>"$TMP/cmd.err" <"$TMP/probe.eml"
    status=$?
    cat "$TMP/ld".* 2>/dev/null | grep 'calling init:' >"$out"
    return $status
}

not_needed() { ! LD_TRACE_LOADED_OBJECTS=1 "$BT_BIN" | grep -q libsqlite3; }
ok "the program does not need libsqlite3 to start" not_needed
ok "a plain run succeeds" libs "$TMP/plain" "$BT_BIN" -f jsonl
plain_without() { grep -q "libc\.so" "$TMP/plain" && ! grep -q libsqlite3 "$TMP/plain"; }
ok "... and loads no SQLite" plain_without

ok "the hook stores into a .sqlite file" libs "$TMP/hook" "$BT_BIN" --hook --output="$TMP/store.sqlite"
ok "... having loaded SQLite for it" grep -q libsqlite3 "$TMP/hook"
ok "--from-store reads the .sqlite store back" \
    libs "$TMP/read" "$BT_BIN" --from-store="$TMP/store.sqlite" --report="$TMP/report.html"
has_probe() { [ -s "$TMP/report.html" ] && grep -q 'someone@example.com' "$TMP/report.html"; }
ok "... into a report that names the probe's recipient" has_probe
ok "... having loaded SQLite for it" grep -q libsqlite3 "$TMP/read"

done_testing
