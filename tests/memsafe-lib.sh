# Helpers for the crash-isolation and memory-cap tests (063–069).
# make_batch N POISON...: $TMP/batch.mbox and $TMP/batch.d/ (one file per
# message, msg-0001.eml …) of N copies of a Postfix bounce, each with its
# own Subject; the messages numbered POISON carry BT-POISON in theirs.
BT_TEMPLATE="$BT_SRCDIR/fixtures/generic/userunknown-postfix-mailbox-unavailable.eml"
make_batch() {
    n=$1; shift
    rm -rf "$TMP/batch.d"; mkdir -p "$TMP/batch.d"
    awk -v n="$n" -v poison=" $* " -v dir="$TMP/batch.d" '
        { line[NR] = $0 }
        END {
            for (i = 1; i <= n; i++) {
                file = sprintf("%s/msg-%04d.eml", dir, i)
                mark = index(poison, " " i " ") ? "BT-POISON " : ""
                print "From MAILER-DAEMON  Sat Jun 22 08:08:08 2024"
                done = 0
                for (j = 1; j <= NR; j++) {
                    l = line[j]
                    if (!done && l ~ /^Subject:/) { l = "Subject: " mark "Undelivered Mail " i; done = 1 }
                    print l
                    print l > file
                }
                print ""
                close(file)
            }
        }' "$BT_TEMPLATE" > "$TMP/batch.mbox"
}
# offset_of N: the byte offset of message N's From line in batch.mbox.
offset_of() {
    grep -b '^From MAILER-DAEMON' "$TMP/batch.mbox" | sed -n "$1p" | cut -d: -f1
}
# records FILE: the number of JSON Lines records in FILE.
records() {
    grep -c '^{' "$1"
}
# Crashes must reach the supervisor as signals: under AddressSanitizer a
# SIGSEGV would otherwise become exit 1.
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}:handle_segv=0:handle_sigbus=0:handle_abort=0"
export ASAN_OPTIONS
# is_sanitized: the binary is built with AddressSanitizer (no ulimit -v then).
is_sanitized() {
    grep -q __asan_init "$BT_BIN" 2>/dev/null
}
# crash_run KIND JOBS OUT ERR ARGS...: bouncetriage --format=jsonl with the
# fault KIND on BT-POISON; the exit status goes to OUT.rc.  oom runs under
# an address-space limit, so that the allocation fails as on a real host.
crash_run() {
    kind=$1 jobs=$2 out=$3 err=$4; shift 4
    (
        [ "$kind" = oom ] && ulimit -v 2000000
        BOUNCETRIAGE_TEST_FAULT="$kind:BT-POISON" "$BT_BIN" --format=jsonl --jobs "$jobs" "$@" >"$out" 2>"$err"
        echo $? >"$out.rc"
    )
}
# without_offsets FILE OFFSET...: FILE's records but those of the mbox
# messages at OFFSETs.
without_offsets() {
    file=$1; shift
    pattern='^$'
    for o in "$@"; do pattern="$pattern|\"offset\":$o,"; done
    grep -Ev "$pattern" "$file"
}
