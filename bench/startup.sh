#!/bin/bash
# startup.sh — what one small message on stdin costs bouncetriage from
# start to exit, and where it goes (see bench/README.md, "startup.sh").
#
#   bench/startup.sh [BUILDDIR]
#
# Medians of wall and CPU milliseconds over N runs of each, alternating so
# that a change of load hits all alike:
#   plain          bouncetriage -f jsonl < MESSAGE (supervised, as users run it)
#   unsupervised   the same with BOUNCETRIAGE_SUPERVISE=0 (what the crash
#                  supervisor's fork costs)
#   --version      start and exit, no configuration: the floor set by
#                  exec and the dynamic loader
#   load-time      bench/load-time: loading layouts and rules in a fresh
#                  process, from the cache (the first run fills it); with
#                  valgrind, also the instructions each load takes
# and the libraries a plain run loads (LD_DEBUG=libs), with the network
# and SQLite libraries it must not load.
#
# Then the same plain run over many different messages, one process each
# (every Nth file of the shared corpus, best of 3 runs per message): one
# message's figure says little, since what a message costs depends on how
# many rules and layouts it reaches before its verdict.
#
# Environment: BT_STARTUP_RUNS (default 50), BT_BENCH_ONE (the message,
# default fixtures/alimail/account-blocked.eml), BT_STARTUP_SAMPLE (how
# many corpus messages, default 40; 0: none), BT_SHARED (/work/shared).
set -u
unset RESEND_API_KEY

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(dirname "$here")
builddir=${1:-${BT_BUILDDIR:-$srcdir}}
builddir=$(cd "$builddir" 2> /dev/null && pwd) || { echo "startup.sh: no such directory" >&2; exit 2; }
runs=${BT_STARTUP_RUNS:-50}
one=${BT_BENCH_ONE:-$srcdir/fixtures/alimail/account-blocked.eml}
out="$here/out"
mkdir -p "$out"

if ! make -C "$builddir" -s src/bouncetriage bench/rss bench/load-time > "$out/startup-build.log" 2>&1; then
    echo "startup.sh: the build failed; see $out/startup-build.log" >&2
    exit 1
fi
bt=$builddir/src/bouncetriage
rss=$builddir/bench/rss
loadtime=$builddir/bench/load-time

# timed NAME CMD...: one run (stdin from the message) into $out/startup-NAME.txt
timed() {
    local name=$1
    shift
    "$rss" -o "$out/startup-$name.txt" "$@" < "$one" > /dev/null 2>> "$out/startup-err.txt"
}
# median FILE COLUMN: the median of that column, in milliseconds
median() {
    awk -v c="$2" '{ print $c * 1000 }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)]; else printf "n/a" }'
}
cpu_median() {
    awk '{ print ($4 + $6) * 1000 }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)]; else printf "n/a" }'
}

rm -f "$out"/startup-*.txt
"$bt" -f jsonl < "$one" > /dev/null 2>&1                  # fill the cache
"$loadtime" "$srcdir/rules" "$srcdir/rules/layouts" > /dev/null
for ((i = 0; i < runs; i++)); do
    timed plain "$bt" -f jsonl
    BOUNCETRIAGE_SUPERVISE=0 timed unsupervised "$bt" -f jsonl
    timed version "$bt" --version
    "$loadtime" "$srcdir/rules" "$srcdir/rules/layouts" >> "$out/startup-load.txt"
done

echo "bench/startup.sh  $(date -u '+%Y-%m-%d %H:%M UTC')  $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "one message on stdin: $(basename "$one") ($(wc -c < "$one") bytes), median of $runs alternating runs"
printf '%-44s %9s %9s\n' run "wall ms" "CPU ms"
for name in plain unsupervised version; do
    case $name in
        plain) label="bouncetriage -f jsonl   target <= 8 ms" ;;
        unsupervised) label="... BOUNCETRIAGE_SUPERVISE=0 (no fork)" ;;
        version) label="bouncetriage --version (exec + loader)" ;;
    esac
    printf '%-44s %9s %9s\n' "$label" "$(median "$out/startup-$name.txt" 2)" "$(cpu_median "$out/startup-$name.txt")"
done
w=$(median "$out/startup-plain.txt" 2) c=$(cpu_median "$out/startup-plain.txt")
awk -v w="$w" -v c="$c" 'BEGIN { if (w > 0 && c / w < 0.9) printf "  note: the plain run got %.0f %% of a core: the machine was busy; compare CPU ms\n", 100 * c / w }'

# ---- many messages, one process each
sample=${BT_STARTUP_SAMPLE:-40}
corpus=${BT_SHARED:-/work/shared}/corpus/set-of-emails/maildir/bsd
if [ "$sample" -gt 0 ] && [ -d "$corpus" ]; then
    files=$(find "$corpus" -name '*.eml' | sort)
    total=$(grep -c . <<< "$files")
    step=$(( total / sample > 0 ? total / sample : 1 ))
    rm -f "$out/startup-sample.txt"
    awk -v s="$step" '(NR - 1) % s == 0' <<< "$files" | head -n "$sample" | while read -r f; do
        "$bt" -f jsonl < "$f" > /dev/null 2>&1          # the first run of a message fills nothing: warm the page cache
        rm -f "$out/startup-one.txt"
        for i in 1 2 3; do
            "$rss" -o "$out/startup-one.txt" "$bt" -f jsonl < "$f" > /dev/null 2>> "$out/startup-err.txt"
        done
        awk '{ print $2 * 1000, ($4 + $6) * 1000 }' "$out/startup-one.txt" | sort -g | head -n 1 >> "$out/startup-sample.txt"
    done
    n=$(grep -c . "$out/startup-sample.txt")
    echo ""
    echo "one message on stdin, $n corpus messages (1 in ${step} of maildir/bsd), best of 3 runs each, ms:"
    printf '  %-8s %7s %7s %7s\n' "" median p90 max
    for col in 1 2; do
        sort -g -k"$col" "$out/startup-sample.txt" | awk -v c="$col" '{ v[NR] = $c }
            END { printf "  %-8s %7.2f %7.2f %7.2f\n", c == 1 ? "wall" : "CPU", v[int((NR + 1) / 2)], v[int(NR * 0.9)], v[NR] }'
    done
    echo "  target: median <= 8 ms wall"
fi

echo ""
echo "loading layouts and rules from the cache (bench/load-time, fresh process each), ms:"
printf '  %-10s %7s %7s\n' "" median min
for col in layouts_ms rules_ms total_ms cpu_ms; do
    awk -v k="$col" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$out/startup-load.txt" | sort -g |
        awk -v k="$col" '{ v[NR] = $1 } END { printf "  %-10s %7.3f %7.3f\n", k, v[int((NR + 1) / 2)], v[1] }'
done
echo "  target: total < 1 ms (the minimum is what an idle core gives; the median, what this load did)"
# Instructions do not depend on the machine's load.  Under valgrind the
# program's identity differs, so its first run fills a cache of its own.
if command -v valgrind > /dev/null; then
    for kind in layouts ruleset; do
        for pass in fill count; do
            valgrind --tool=callgrind --toggle-collect="bt_${kind}_load" --callgrind-out-file="$out/startup-cg.$kind" \
                "$loadtime" "$srcdir/rules" "$srcdir/rules/layouts" > /dev/null 2> "$out/startup-cg.$kind.log"
        done
        ir=$(sed -n 's/^summary: *//p' "$out/startup-cg.$kind")
        printf '  %-10s %7s instructions (callgrind)\n' "${kind/ruleset/rules}" "${ir:-n/a}"
    done
fi

echo ""
rm -f "$out"/startup-ld.*
LD_DEBUG=libs LD_DEBUG_OUTPUT="$out/startup-ld" "$bt" -f jsonl < "$one" > /dev/null 2>&1
loaded=$(cat "$out"/startup-ld.* | grep 'calling init:' | sed 's/.*calling init: //' | sort -u)
needed=$(LD_TRACE_LOADED_OBJECTS=1 "$bt" | grep -c '=>')
echo "libraries: $needed needed at start (ldd); a plain run initialised $(grep -c . <<< "$loaded") (LD_DEBUG=libs)"
bad=$(grep -E 'libcurl|libgnutls|libcares|libpsl|libjson-glib|libsqlite3' <<< "$loaded" | xargs -r -n1 basename | tr '\n' ' ')
echo "network or SQLite libraries loaded by a plain run: ${bad:-none}"
