#!/bin/bash
# run.sh — bouncetriage's speed and memory benchmark (see bench/README.md).
#
#   bench/run.sh [--big] [BUILDDIR]
#
# BUILDDIR is a configured build directory (default $BT_BUILDDIR, else the
# source tree). The script builds bench/gmime-baseline, bench/rss and
# src/bouncetriage there, makes the corpus if it is missing, runs every
# measurement and prints a table, also written to bench/out/results.txt.
# --big adds the 10x corpus (~1.1 GB) for the memory-flatness check.
#
# Environment: BT_BENCH_RUNS (timed runs per batch figure, fastest kept;
# default 1), BT_BENCH_SINGLE_RUNS (runs of the one-message case; default
# 20), BT_BENCH_ONE (the message for that case), BT_SHARED (/work/shared).
set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(dirname "$here")
out="$here/out"
results="$out/results.txt"
shared=${BT_SHARED:-/work/shared}
runs=${BT_BENCH_RUNS:-1}
single_runs=${BT_BENCH_SINGLE_RUNS:-20}
probe_mbox="$shared/corpus/set-of-emails/mailbox/mbox-0"   # a small smoke test before timing
big=no
builddir=${BT_BUILDDIR:-$srcdir}

for arg in "$@"; do
    case "$arg" in
        --big) big=yes ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option: $arg" >&2; exit 2 ;;
        *) builddir=$arg ;;
    esac
done
if ! builddir_abs=$(cd "$builddir" 2> /dev/null && pwd); then
    echo "run.sh: no such directory: $builddir" >&2
    exit 2
fi
builddir=$builddir_abs
mkdir -p "$out"

# say TEXT...: one line to the terminal and to results.txt.
say() {
    printf '%s\n' "$*" | tee -a "$results"
}

# ---------------------------------------------------------------- build

build_tools() {
    if [ ! -f "$builddir/Makefile" ]; then
        echo "run.sh: $builddir is not a configured build directory" >&2
        echo "        (mkdir -p /tmp/build && cd /tmp/build && $srcdir/configure && cd - && bench/run.sh /tmp/build)" >&2
        exit 2
    fi
    if ! make -C "$builddir" -s bench/gmime-baseline bench/rss > "$out/build.log" 2>&1; then
        echo "run.sh: building the bench helpers failed; see $out/build.log" >&2
        exit 1
    fi
    rss="$builddir/bench/rss"
    baseline="$builddir/bench/gmime-baseline"
}

# Sets bt to the bouncetriage binary, or to "" (with bt_why) if it is not usable.
build_bouncetriage() {
    bt=""
    if ! make -C "$builddir" -s src/bouncetriage >> "$out/build.log" 2>&1; then
        bt_why="src/bouncetriage does not build (see $out/build.log)"
        return
    fi
    "$builddir/src/bouncetriage" --format=jsonl "$probe_mbox" > /dev/null 2> "$out/probe.err"
    local status=$?
    if ! ok_status "$status"; then
        bt_why="src/bouncetriage fails on $probe_mbox (status $status): $(head -n 1 "$out/probe.err")"
        return
    fi
    bt="$builddir/src/bouncetriage"
}

# ---------------------------------------------------------------- measuring

# measure STDOUT CMD...: runs CMD $runs times under bench/rss with its
# stdout to STDOUT; sets m_wall (fastest run, seconds), m_cpu (its user +
# system seconds), m_rss_kb (largest peak), m_status (exit status of the
# fastest run) and m_err (first line of its stderr).
measure() {
    local stdout=$1 i line
    shift
    m_wall="" m_cpu="" m_rss_kb=0 m_status=0 m_err=""
    for ((i = 0; i < runs; i++)); do
        rm -f "$out/rss.txt"
        "$rss" -o "$out/rss.txt" "$@" > "$stdout" 2> "$out/cmd.err"
        line=$(cat "$out/rss.txt" 2> /dev/null)
        [ -n "$line" ] || line="wall_s 0 user_s 0 sys_s 0 maxrss_kb 0 status 1"
        local wall kb status
        wall=$(awk '{ print $2 }' <<< "$line")
        kb=$(awk '{ print $8 }' <<< "$line")
        status=$(awk '{ print $10 }' <<< "$line")
        [ "$kb" -gt "$m_rss_kb" ] && m_rss_kb=$kb
        if [ -z "$m_wall" ] || awk -v a="$wall" -v b="$m_wall" 'BEGIN { exit !(a < b) }'; then
            m_wall=$wall m_status=$status m_err=$(head -n 1 "$out/cmd.err")
            m_cpu=$(awk '{ print $4 + $6 }' <<< "$line")
        fi
    done
}

# ok_status CODE: 0 = success, 65 = some message skipped; both count as a run.
ok_status() {
    [ "$1" = 0 ] || [ "$1" = 65 ]
}

# row LABEL MESSAGES BYTES: prints one table row from the last measure.
row() {
    awk -v label="$1" -v msgs="$2" -v bytes="$3" -v wall="$m_wall" -v cpu="$m_cpu" -v kb="$m_rss_kb" 'BEGIN {
        printf "%-34s %8.2f %7.2f %9.0f %7.1f %8.1f\n", label, wall, cpu, msgs / wall, bytes / 1e6 / wall, kb / 1024
    }' | tee -a "$results"
}

header() {
    say ""
    say "$1"
    printf '%-34s %8s %7s %9s %7s %8s\n' "run" "wall s" "CPU s" "msgs/s" "MB/s" "RSS MiB" | tee -a "$results"
}

# ratio LABEL TP_A TP_B CPU_A CPU_B: throughput A/B as a percentage, from
# wall time (msgs/s) and from CPU time (the same work's CPU seconds, B/A),
# which other load on the machine disturbs much less; "n/a" if a run is missing.
ratio() {
    if [ -n "$2" ] && [ -n "$3" ]; then
        awk -v l="$1" -v a="$2" -v b="$3" -v ca="$4" -v cb="$5" 'BEGIN {
            printf "%-52s %6.1f %% %6.1f %%\n", l, 100 * a / b, 100 * cb / ca
        }' | tee -a "$results"
    else
        say "$(printf '%-52s %8s %8s' "$1" "n/a" "n/a")"
    fi
}

# msgs_per_s MESSAGES: messages/s of the last measure.
msgs_per_s() {
    awk -v m="$1" -v w="$m_wall" 'BEGIN { printf "%.3f", m / w }'
}

# corpus_field FILE NAME: a value from the corpus .info file.
corpus_field() {
    awk -v n="$2" '$1 == n { print $2 }' "$1.info"
}

# ---------------------------------------------------------------- the runs

# run_batch CORPUS SUFFIX: (a) baseline, (b) bouncetriage --jobs 1 and 2,
# (c) extraction-only; sets tp_base, tp_j1, tp_j2, tp_ext (msgs/s), cpu_base,
# cpu_j1, cpu_j2, cpu_ext (CPU seconds), rss_j1 and rss_base (peak KiB).
run_batch() {
    local corpus=$1 tag=$2 msgs bytes got
    msgs=$(corpus_field "$corpus" messages)
    bytes=$(corpus_field "$corpus" bytes)
    tp_base="" tp_j1="" tp_j2="" tp_ext="" rss_j1="" rss_base=""
    cpu_base="" cpu_j1="" cpu_j2="" cpu_ext=""

    header "corpus $tag: $(basename "$corpus"), $msgs messages, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB"

    measure "$out/baseline.out" "$baseline" "$corpus"
    got=$(awk '{ print $2 }' "$out/baseline.out")
    if ! ok_status "$m_status" || [ "$got" != "$msgs" ]; then
        say "(a) gmime-baseline failed (status $m_status, $got of $msgs messages): $m_err"
    else
        row "(a) gmime-baseline" "$msgs" "$bytes"
        tp_base=$(msgs_per_s "$msgs") cpu_base=$m_cpu rss_base=$m_rss_kb
    fi

    if [ -z "$bt" ]; then
        say "(b) bouncetriage skipped: $bt_why"
        say "(c) extraction-only skipped: $bt_why"
        return
    fi
    for jobs in 1 2; do
        measure /dev/null "$bt" --format=jsonl --jobs "$jobs" "$corpus"
        if ok_status "$m_status"; then
            row "(b) bouncetriage --jobs $jobs" "$msgs" "$bytes"
            [ "$jobs" = 1 ] && tp_j1=$(msgs_per_s "$msgs") cpu_j1=$m_cpu rss_j1=$m_rss_kb
            [ "$jobs" = 2 ] && tp_j2=$(msgs_per_s "$msgs") cpu_j2=$m_cpu
        else
            say "(b) bouncetriage --jobs $jobs failed (status $m_status): $m_err"
        fi
    done

    run_extraction_only "$corpus" "$msgs" "$bytes"
}

# HOOK — extraction-only run (c). It should run everything bouncetriage does
# (read, parse, extract findings, write JSON Lines) except rule matching, so
# that triage/extraction-only measures what the rules cost. Until
# bouncetriage has an option or a driver program for that, an empty rules
# directory in BOUNCETRIAGE_RULES stands in; if the program refuses to start
# without rules, the run is skipped with the reason. When the lead adds the
# option or driver, change extraction_only_cmd only: it sets ext_cmd to the
# command, to which the corpus path is appended.
extraction_only_cmd() {
    mkdir -p "$out/empty-rules"
    ext_cmd=(env BOUNCETRIAGE_RULES="$out/empty-rules" "$bt" --format=jsonl --jobs 1)
}

run_extraction_only() {
    local corpus=$1 msgs=$2 bytes=$3
    extraction_only_cmd
    "${ext_cmd[@]}" "$probe_mbox" > /dev/null 2> "$out/cmd.err"
    local status=$?
    if ! ok_status "$status"; then
        say "(c) extraction-only skipped: bouncetriage will not run with an empty rules directory (status $status): $(head -n 1 "$out/cmd.err")"
        return
    fi
    measure /dev/null "${ext_cmd[@]}" "$corpus"
    if ok_status "$m_status"; then
        row "(c) extraction-only (no rules)" "$msgs" "$bytes"
        tp_ext=$(msgs_per_s "$msgs") cpu_ext=$m_cpu
    else
        say "(c) extraction-only failed (status $m_status): $m_err"
    fi
}

# median_wall N STDIN CMD...: runs CMD N times (stdin from STDIN, stdout to
# /dev/null) and sets med_ms to the median wall time in milliseconds, med_rss_kb to the
# median peak RSS; med_status is the last exit status.
median_wall() {
    local n=$1 stdin=$2 i
    shift 2
    rm -f "$out/rss.txt"
    for ((i = 0; i < n; i++)); do
        "$rss" -o "$out/rss.txt" "$@" < "$stdin" > /dev/null 2> "$out/cmd.err"
        med_status=$?
    done
    med_ms=$(awk '{ print $2 * 1000 }' "$out/rss.txt" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    med_rss_kb=$(awk '{ print $8 }' "$out/rss.txt" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
}

# (e) one message from stdin (the procmail case), against Perl sisimai's start-up.
run_single() {
    local one=${BT_BENCH_ONE:-$shared/corpus/set-of-emails/maildir/bsd/lhost-postfix-01.eml}
    say ""
    say "one message on stdin, median of $single_runs runs ($(basename "$one"))"
    printf '%-36s %9s %9s\n' "run" "wall ms" "RSS MiB" | tee -a "$results"
    single_ms="" sisimai_ms="" norules_ms=""
    if [ -z "$bt" ]; then
        say "(e) bouncetriage < one.eml skipped: $bt_why"
    else
        median_wall "$single_runs" "$one" "$bt"
        if ok_status "$med_status"; then
            single_row "(e) bouncetriage < one.eml"
            single_ms=$med_ms
            # The same run without rules: the difference is what loading
            # and matching the rules cost this one message.
            mkdir -p "$out/empty-rules"
            median_wall "$single_runs" "$one" env BOUNCETRIAGE_RULES="$out/empty-rules" "$bt"
            single_row "(e) the same, no rules loaded"
            norules_ms=$med_ms
        else
            say "(e) bouncetriage < one.eml failed (status $med_status): $(head -n 1 "$out/cmd.err")"
        fi
    fi
    if ! perl -MSisimai -e 1 2> /dev/null; then
        say "(e) sisimai not installed: no comparison (Debian: apt-get install libsisimai-perl)"
        return
    fi
    median_wall "$single_runs" /dev/null perl -MSisimai -e 1
    single_row "(e) perl -MSisimai -e 1 (v$(perl -MSisimai -e 'print Sisimai->version'))"
    sisimai_ms=$med_ms
    median_wall "$single_runs" /dev/null perl -MSisimai -e 'Sisimai->make(shift) or exit 1' "$one"
    single_row "(e) sisimai decoding one.eml"
}

single_row() {
    awk -v l="$1" -v ms="$med_ms" -v kb="$med_rss_kb" 'BEGIN { printf "%-36s %9.1f %9.1f\n", l, ms, kb / 1024 }' | tee -a "$results"
}

# flatness LABEL RSS_1X_KB RSS_10X_KB: one line of the memory-flatness check.
flatness() {
    awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN {
        if (a == "" || b == "") { printf "%-24s peak RSS: n/a\n", l; exit }
        printf "%-24s peak RSS: 1x %.1f MiB, 10x %.1f MiB (10x/1x = %.2f)\n", l, a / 1024, b / 1024, b / a
    }' | tee -a "$results"
}

# ---------------------------------------------------------------- main

build_tools
build_bouncetriage
"$here/make-corpus.sh" $([ "$big" = yes ] && echo --big) > /dev/null || exit 1

: > "$results"
say "bouncetriage benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, commit $(git -C "$srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)"
say "build: $builddir; timed runs per figure: $runs (fastest kept); MB = 10^6 bytes"
[ -n "$bt" ] || say "NOTE: bouncetriage not measured: $bt_why"

run_batch "$out/corpus-1x.mbox" 1x
rss_base_1x=$rss_base rss_j1_1x=$rss_j1
say ""
say "$(printf '%-52s %8s %8s' "throughput ratios (targets in bench/README.md)" "by wall" "by CPU")"
ratio "bouncetriage --jobs 1 / gmime-baseline" "$tp_j1" "$tp_base" "$cpu_j1" "$cpu_base"
ratio "bouncetriage --jobs 2 / gmime-baseline" "$tp_j2" "$tp_base" "$cpu_j2" "$cpu_base"
ratio "triage / extraction-only, --jobs 1 (target >= 70 %)" "$tp_j1" "$tp_ext" "$cpu_j1" "$cpu_ext"

if [ "$big" = yes ]; then
    run_batch "$out/corpus-10x.mbox" 10x
    say ""
    say "memory flatness (target: peak RSS < 40 MiB on both)"
    flatness "gmime-baseline" "$rss_base_1x" "$rss_base"
    flatness "bouncetriage --jobs 1" "$rss_j1_1x" "$rss_j1"
fi

run_single
say ""
if [ -n "$single_ms" ] && [ -n "$sisimai_ms" ]; then
    awk -v a="$single_ms" -v n="$norules_ms" -v b="$sisimai_ms" 'BEGIN {
        printf "one message: rules cost %.1f ms (%.1f - %.1f) vs sisimai start-up %.1f ms (%s; target: less)\n", a - n, a, n, b, a - n < b ? "less" : "NOT less"
        printf "one message, whole run: bouncetriage %.1f ms vs sisimai start-up %.1f ms\n", a, b
    }' | tee -a "$results"
fi
say "results written to $results"
