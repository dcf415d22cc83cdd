#!/bin/sh
# instr.sh — instructions per message of bouncetriage --jobs 1 and of the
# GMime parse-only floor, counted by callgrind, which other load on a
# shared machine does not disturb (see bench/README.md, "instr.sh").
#
#   bench/instr.sh [BUILDDIR]
#
# Each program runs on two mboxes of the same messages, 2 and 4 copies of
# the corpus unit (make-corpus.sh --unit); the difference is the cost of
# the last 2 copies alone, without start-up, rule loading and the regexes'
# JIT compilation, which a big archive spreads over many messages.
# bouncetriage runs unsupervised (BOUNCETRIAGE_SUPERVISE=0: one process,
# the same work).  About 3 minutes on an idle machine.  Needs valgrind.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(dirname "$here")
out="$here/out"
builddir=$(cd "${1:-${BT_BUILDDIR:-$srcdir}}" && pwd)

command -v valgrind > /dev/null || { echo "instr.sh: valgrind is not installed" >&2; exit 1; }
make -C "$builddir" -s bench/gmime-baseline src/bouncetriage > /dev/null
[ -f "$out/unit.mbox" ] || "$here/make-corpus.sh" --unit > /dev/null
cat "$out/unit.mbox" "$out/unit.mbox" > "$out/instr-2.mbox"
cat "$out/instr-2.mbox" "$out/instr-2.mbox" > "$out/instr-4.mbox"
per_copy=$(grep -c '^From ' "$out/unit.mbox")

# instructions PROGRAM ARGS...: the Ir total callgrind reports.
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 > /dev/null \
        | sed -n 's/.*Collected : *//p'
}

report() {
    name=$1
    shift
    # a first run under valgrind fills the rule and layout cache (keyed on
    # the binary as loaded), so that both measured runs find it full
    instructions "$@" "$here/../fixtures/alimail/account-blocked.eml" > /dev/null
    small=$(instructions "$@" "$out/instr-2.mbox")
    large=$(instructions "$@" "$out/instr-4.mbox")
    per=$(( (large - small) / (2 * per_copy) ))
    printf '%-26s %14s %14s %10s\n' "$name" "$small" "$large" "$per"
    last=$per
}

printf '%-26s %14s %14s %10s\n' program "2 copies" "4 copies" "per msg"
report gmime-baseline "$builddir/bench/gmime-baseline"
base=$last
export BOUNCETRIAGE_SUPERVISE=0
report "bouncetriage --jobs 1" "$builddir/src/bouncetriage" --format=jsonl --jobs 1
bt=$last
awk -v b="$base" -v t="$bt" 'BEGIN { printf "instructions per message: bouncetriage / baseline = %.2f (target <= 1.43)\n", t / b }'
ldd "$builddir/src/bouncetriage" | grep -q 'libmimalloc\|libjemalloc' \
    && echo "allocator: $(ldd "$builddir/src/bouncetriage" | sed -n 's/^[[:space:]]*\(lib[a-z]*malloc\)[^ ]* =>.*/\1/p')" \
    || echo "allocator: glibc"
