#!/bin/sh
# A run without --check maps none of the libraries only the checks use
# (libcurl and its GnuTLS, c-ares, libpsl, json-glib): they live in
# bouncetriage-checks.so, opened only for --check/--check-domain.  Proof
# twice over: the dynamic loader's own log of every library it loads
# (LD_DEBUG=libs, whole run), and /proc/PID/maps of a run held waiting on
# its standard input.  libc is the marker that a log or a map lists the
# libraries at all: GMime and GLib are linked in when configure found
# their archives (--enable-static-deps), and then a run with checks is
# handed to bouncetriage-dynamic (src/checks/twin.c).
. "$BT_SRCDIR/tests/lib.sh"

NETLIBS='libcurl|libgnutls|libcares|libpsl|libjson-glib'
MSG=$BT_SRCDIR/fixtures/generic/arf-abuse.eml
for f in "$BT_SRCDIR"/fixtures/rfc3463/*.eml; do MSG=$f; break; done

# loaded_libs FILE COMMAND...: runs COMMAND with the loader's log to FILE.
loaded_libs() {
    out=$1; shift
    rm -f "$TMP/ld".*
    LD_DEBUG=libs LD_DEBUG_OUTPUT="$TMP/ld" "$@" >"$TMP/run.out" 2>"$TMP/run.err"
    echo $? >"$TMP/run.status"
    cat "$TMP/ld".* 2>/dev/null | grep 'calling init:' >"$out"
}

loaded_libs "$TMP/plain" "$BT_BIN" -f jsonl <"$MSG"
ok "a plain run succeeds" grep -qx 0 "$TMP/run.status"
ok "the loader's log lists the libraries it loaded" grep -q 'libc\.so' "$TMP/plain"
ok "a plain run loads no network library" sh -c '! grep -E "$1" "$2"' sh "$NETLIBS" "$TMP/plain"

loaded_libs "$TMP/batch" "$BT_BIN" -f jsonl --jobs 2 "$BT_SRCDIR/fixtures/generic"
ok "a batch run (--jobs 2) loads no network library either" \
    sh -c 'grep -q "libc\.so" "$2" && ! grep -E "$1" "$2"' sh "$NETLIBS" "$TMP/batch"

# /proc/PID/maps: the program blocks reading a FIFO whose writer waits.
mkfifo "$TMP/fifo"
"$BT_BIN" -f jsonl <"$TMP/fifo" >"$TMP/held.out" 2>&1 &
pid=$!
exec 3>"$TMP/fifo"          # opening the writer end lets the program start
wait_until grep -qs 'libc\.so' "/proc/$pid/maps"
cp "/proc/$pid/maps" "$TMP/maps" 2>/dev/null
cat "$MSG" >&3
exec 3>&-
wait "$pid"
echo $? >"$TMP/held.status"
ok "the held run's maps were read (libc is mapped)" grep -q 'libc\.so' "$TMP/maps"
ok "its maps hold no network library" sh -c '! grep -E "$1" "$2"' sh "$NETLIBS" "$TMP/maps"
ok "the held run then triaged its message" sh -c 'grep -qx 0 "$1" && grep -q "\"recipient\"" "$2"' \
    sh "$TMP/held.status" "$TMP/held.out"

# The other side: --check-domain opens the module and its libraries (no
# network is used: without RESEND_API_KEY the resend check is skipped).
loaded_libs "$TMP/check" env -u RESEND_API_KEY "$BT_BIN" --check=resend -f jsonl --check-domain example.com
ok "--check-domain runs" grep -qx 0 "$TMP/run.status"
ok "--check-domain loads the checks module and libcurl" \
    sh -c 'grep -q bouncetriage-checks.so "$1" && grep -q libcurl "$1"' sh "$TMP/check"

BOUNCETRIAGE_CHECKS_MODULE=$TMP/missing.so "$BT_BIN" --check=resend --check-domain example.com \
    >"$TMP/nomod.out" 2>"$TMP/nomod.err"
echo $? >"$TMP/nomod.status"
ok "without its module --check fails" sh -c '! grep -qx 0 "$1"' sh "$TMP/nomod.status"
ok "... saying which module is missing" grep -q 'checks module.*missing.so' "$TMP/nomod.err"
BOUNCETRIAGE_CHECKS_MODULE=$TMP/missing.so "$BT_BIN" -f jsonl <"$MSG" >"$TMP/nomod2.out" 2>&1
ok "... while a plain run does not need it" test $? -eq 0

# A static build maps no GLib or GMime of the system's at all (libpcre2 may
# be mapped: libselinux, which GIO needs, loads its own), and needs its
# twin for the checks, which maps them: without it, --check fails and says so.
if ! grep -q 'libglib' "$TMP/plain"; then
    ok "a static build maps neither GLib nor GMime" sh -c '! grep -E "libglib|libgobject|libgmime|libyaml" "$1"' \
        sh "$TMP/maps"
    ok "--check-domain ran in the twin, with the shared GLib" grep -q 'libglib' "$TMP/check"
    BOUNCETRIAGE_DYNAMIC_PROGRAM=$TMP/missing "$BT_BIN" --check=resend --check-domain example.com \
        >"$TMP/notwin.out" 2>"$TMP/notwin.err"
    echo $? >"$TMP/notwin.status"
    ok "without its twin --check fails" sh -c '! grep -qx 0 "$1"' sh "$TMP/notwin.status"
    ok "... saying which program is missing" grep -q 'missing.*could not be run' "$TMP/notwin.err"
fi
done_testing
