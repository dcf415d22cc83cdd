#!/bin/sh
# make-corpus.sh — build the benchmark mbox files under bench/out/.
#
#   bench/make-corpus.sh          bench/out/corpus-1x.mbox   (~110 MB)
#   bench/make-corpus.sh --big    also bench/out/corpus-10x.mbox (~1.1 GB)
#   bench/make-corpus.sh --unit   only bench/out/unit.mbox (one unit, ~1.9 MB)
#
# One "unit" is every bounce of the shared corpus as an mbox: each
# maildir/bsd/*.eml gets a "From MAILER-DAEMON <date>" envelope line (unless
# it already starts with one), body lines beginning with "From " are quoted
# as ">From ", CRs before LF are dropped, and the 37 messages of
# mailbox/mbox-0 follow. The unit is about 1.9 MB, so the 1x corpus repeats
# it as many times as it takes to reach BT_BENCH_MB (default 110) megabytes
# — 58 copies with today's corpus; the count is computed, not fixed, so the
# size stays comparable if the corpus grows. The 10x corpus is ten 1x files
# concatenated with cat, never held in memory.
#
# Environment: BT_SHARED (default /work/shared), BT_BENCH_MB (default 110).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="$here/out"
shared=${BT_SHARED:-/work/shared}
corpus="$shared/corpus/set-of-emails"
target_mb=${BT_BENCH_MB:-110}
big=no
unit_only=no

for arg in "$@"; do
    case "$arg" in
        --big) big=yes ;;
        --unit) unit_only=yes ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "make-corpus.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

if [ ! -d "$corpus/maildir/bsd" ] || [ ! -f "$corpus/mailbox/mbox-0" ]; then
    echo "make-corpus.sh: shared corpus not found under $corpus (set BT_SHARED)" >&2
    exit 1
fi
mkdir -p "$out"

# Writes the mbox form of the shared corpus to stdout.
write_unit() {
    for eml in "$corpus"/maildir/bsd/*.eml; do
        LC_ALL=C awk '
            { sub(/\r$/, "") }
            NR == 1 && /^From / { print; next }
            NR == 1 { print "From MAILER-DAEMON Mon Jan  1 00:00:00 2024" }
            /^From / { printf ">" }
            { print }
            END { print "" }
        ' "$eml"
    done
    LC_ALL=C sed 's/\r$//' "$corpus/mailbox/mbox-0"
}

# make_1x PATH: the unit repeated up to the target size; writes PATH.info.
make_1x() {
    unit="$out/.unit.mbox"
    write_unit > "$unit"
    unit_bytes=$(wc -c < "$unit")
    unit_msgs=$(grep -c '^From ' "$unit")
    copies=$(( (target_mb * 1000000 + unit_bytes / 2) / unit_bytes ))
    [ "$copies" -ge 1 ] || copies=1
    : > "$1.tmp"
    i=0
    while [ "$i" -lt "$copies" ]; do
        cat "$unit" >> "$1.tmp"
        i=$((i + 1))
    done
    rm -f "$unit"
    mv "$1.tmp" "$1"
    printf 'copies %s\nmessages %s\nbytes %s\n' \
        "$copies" "$((copies * unit_msgs))" "$(wc -c < "$1")" > "$1.info"
}

# make_10x SRC DEST: ten copies of SRC, streamed.
make_10x() {
    : > "$2.tmp"
    for i in 1 2 3 4 5 6 7 8 9 10; do
        cat "$1" >> "$2.tmp"
    done
    mv "$2.tmp" "$2"
    awk '$1 == "copies" || $1 == "messages" { $2 = $2 * 10 } { print }' \
        "$1.info" | sed "s/^bytes .*/bytes $(wc -c < "$2")/" > "$2.info"
}

if [ "$unit_only" = yes ]; then
    write_unit > "$out/unit.mbox.tmp"
    mv "$out/unit.mbox.tmp" "$out/unit.mbox"
    echo "$out/unit.mbox: messages $(grep -c '^From ' "$out/unit.mbox") bytes $(wc -c < "$out/unit.mbox")"
    exit 0
fi

one="$out/corpus-1x.mbox"
if [ ! -f "$one" ] || [ ! -f "$one.info" ]; then
    echo "make-corpus.sh: building $one" >&2
    make_1x "$one"
fi
echo "$one: $(tr '\n' ' ' < "$one.info")"

if [ "$big" = yes ]; then
    ten="$out/corpus-10x.mbox"
    if [ ! -f "$ten" ] || [ ! -f "$ten.info" ]; then
        echo "make-corpus.sh: building $ten" >&2
        make_10x "$one" "$ten"
    fi
    echo "$ten: $(tr '\n' ' ' < "$ten.info")"
fi
