#!/bin/bash
# speed.sh — throughput and start-up latency of bouncetriage against the
# GMime parse-only floor and Perl sisimai, in one invocation (see
# bench/README.md, "speed.sh").
#
#   bench/speed.sh [--big] [BUILDDIR]
#
# Batch: the ~110 MB corpus of make-corpus.sh (and with --big the 10x one),
# contenders run in alternation, round after round, so that a change of
# load on a shared machine hits all of them alike: gmime-baseline,
# bouncetriage --jobs 1, bouncetriage --jobs N (worker processes), the same
# as threads (BOUNCETRIAGE_WORKERS=threads), sisimai.  Single message:
# the median of many runs of one message on stdin, alternating
# bouncetriage, bouncetriage --check=resend (no key: the checks module is
# loaded, nothing is asked) and sisimai.
#
# Environment: BT_SPEED_ROUNDS (batch rounds, default 3; the fastest round
# of each contender is kept), BT_SPEED_JOBS (N, default: nproc),
# BT_SPEED_SINGLE (one-message runs per contender, default 50),
# BT_SPEED_SISIMAI_ROUNDS (batch rounds that include sisimai, default 1: it
# is slow), BT_SPEED_SISIMAI_BIG=1 (sisimai on the 10x corpus too),
# BT_BENCH_ONE (the message), BT_SHARED (/work/shared).
#
# One more contender, the machine's own ceiling: N separate `--jobs 1`
# processes, each over one Nth of the corpus (cut at `From ` lines), run at
# once.  They share no memory, so what --jobs N costs beyond their CPU
# is the price of threads sharing one process, and what they too lose to
# --jobs 1 is the machine (caches, memory bandwidth, a busy neighbour).
set -u
unset RESEND_API_KEY   # --check=resend then loads the checks module and asks nothing

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(dirname "$here")
out="$here/out"
results="$out/speed.txt"
shared=${BT_SHARED:-/work/shared}
rounds=${BT_SPEED_ROUNDS:-3}
jobs=${BT_SPEED_JOBS:-$(nproc)}
single_runs=${BT_SPEED_SINGLE:-50}
sis_rounds=${BT_SPEED_SISIMAI_ROUNDS:-1}
one=${BT_BENCH_ONE:-$shared/corpus/set-of-emails/maildir/bsd/lhost-postfix-01.eml}
big=no
builddir=${BT_BUILDDIR:-$srcdir}

for arg in "$@"; do
    case "$arg" in
        --big) big=yes ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        -*) echo "speed.sh: unknown option: $arg" >&2; exit 2 ;;
        *) builddir=$arg ;;
    esac
done
builddir=$(cd "$builddir" 2> /dev/null && pwd) || { echo "speed.sh: no such directory" >&2; exit 2; }
mkdir -p "$out"
: > "$results"

say() { printf '%s\n' "$*" | tee -a "$results"; }

# ---------------------------------------------------------------- setup

if ! make -C "$builddir" -s bench/gmime-baseline bench/rss src/bouncetriage \
        src/checks/bouncetriage-checks.so > "$out/speed-build.log" 2>&1; then
    echo "speed.sh: the build failed; see $out/speed-build.log" >&2
    exit 1
fi
rss=$builddir/bench/rss
baseline=$builddir/bench/gmime-baseline
bt=$builddir/src/bouncetriage
if perl -MSisimai -e 1 2> /dev/null; then
    sisimai=yes
else
    sisimai=no
    say "sisimai is not installed (apt-get install libsisimai-perl): its columns are skipped"
fi
# sisimai as its users call it: every record of a path (an mbox), or of STDIN.
sis_batch='my $v = Sisimai->make($ARGV[0]); print scalar(@{$v // []}), "\n"'
sis_one='my $v = Sisimai->make("STDIN"); print scalar(@{$v // []}), "\n"'

corpus1=$out/corpus-1x.mbox
corpus10=$out/corpus-10x.mbox
if [ ! -s "$corpus1" ] || { [ "$big" = yes ] && [ ! -s "$corpus10" ]; }; then
    flag=""; [ "$big" = yes ] && flag=--big
    "$here/make-corpus.sh" $flag > "$out/speed-corpus.log" 2>&1 \
        || { echo "speed.sh: make-corpus.sh failed; see $out/speed-corpus.log" >&2; exit 1; }
fi

say "bench/speed.sh  $(date -u '+%Y-%m-%d %H:%M UTC')  $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "bouncetriage --jobs $jobs is the parallel run; the fastest of $rounds alternating rounds is kept."

# ---------------------------------------------------------------- timing

# timed OUTFILE CMD...: one run under bench/rss; sets t_wall, t_cpu (user +
# system seconds), t_kb (peak RSS), t_status.
timed() {
    local stdout=$1 line
    shift
    rm -f "$out/speed-rss.txt"
    "$rss" -o "$out/speed-rss.txt" "$@" > "$stdout" 2> "$out/speed-cmd.err"
    line=$(cat "$out/speed-rss.txt" 2> /dev/null)
    [ -n "$line" ] || line="wall_s 0 user_s 0 sys_s 0 maxrss_kb 0 status 1"
    read -r _ t_wall _ u _ s _ t_kb _ t_status <<< "$line"
    t_cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
}

# keep NAME: records the last run of contender NAME if it is its fastest.
declare -A best_wall best_cpu best_kb
keep() {
    if [ "$t_status" != 0 ] && [ "$t_status" != 65 ]; then
        say "  $1 failed (status $t_status): $(head -n 1 "$out/speed-cmd.err")"
        return
    fi
    if [ -z "${best_wall[$1]:-}" ] || awk -v a="$t_wall" -v b="${best_wall[$1]}" 'BEGIN { exit !(a < b) }'; then
        best_wall[$1]=$t_wall best_cpu[$1]=$t_cpu
    fi
    [ "$t_kb" -gt "${best_kb[$1]:-0}" ] && best_kb[$1]=$t_kb
}

field() { awk -v n="$2" '$1 == n { print $2 }' "$1.info"; }

# shards CORPUS N: cuts CORPUS into N files of about equal message counts at
# its `From ` lines (once; kept beside it) and prints their paths.
shards() {
    local corpus=$1 n=$2 msgs k
    msgs=$(field "$corpus" messages)
    for ((k = 1; k <= n; k++)); do
        [ "$corpus.shard-$k-of-$n" -nt "$corpus" ] || break
    done
    if [ "$k" -le "$n" ]; then
        awk -v n="$n" -v m="$msgs" -v base="$corpus.shard-" '
            /^From / { i++; k = int((i - 1) * n / m) + 1; f = base k "-of-" n }
            { print > f }' "$corpus"
    fi
    for ((k = 1; k <= n; k++)); do
        printf '%s\n' "$corpus.shard-$k-of-$n"
    done
}

# ---------------------------------------------------------------- batch

# batch CORPUS TAG WITH_SISIMAI
batch() {
    local corpus=$1 tag=$2 with_sis=$3 msgs bytes r
    msgs=$(field "$corpus" messages)
    bytes=$(field "$corpus" bytes)
    best_wall=() best_cpu=() best_kb=()
    say ""
    say "corpus $tag: $msgs messages, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB"
    for ((r = 1; r <= rounds; r++)); do
        timed "$out/speed-base.out" "$baseline" "$corpus"; keep baseline
        timed /dev/null "$bt" --format=jsonl --jobs 1 "$corpus"; keep jobs1
        timed /dev/null "$bt" --format=jsonl --jobs "$jobs" "$corpus"; keep jobsN
        timed /dev/null env BOUNCETRIAGE_WORKERS=threads "$bt" --format=jsonl --jobs "$jobs" "$corpus"
        keep jobsT
        # shellcheck disable=SC2016
        timed /dev/null sh -c 'bt=$1; shift; for f; do "$bt" --format=jsonl --jobs 1 "$f" & done; wait' \
            sh "$bt" $(shards "$corpus" "$jobs"); keep procsN
        if [ "$with_sis" = yes ] && [ "$r" -le "$sis_rounds" ]; then
            timed "$out/speed-sis.out" perl -MSisimai -e "$sis_batch" "$corpus"; keep sisimai
        fi
    done
    printf '%-28s %8s %8s %9s %7s %8s %6s\n' run "wall s" "CPU s" "msgs/s" "MB/s" "RSS MiB" "cores" | tee -a "$results"
    local name label
    for name in baseline jobs1 jobsN jobsT procsN sisimai; do
        [ -n "${best_wall[$name]:-}" ] || continue
        case $name in
            baseline) label="gmime-baseline (parse only)" ;;
            jobs1) label="bouncetriage --jobs 1" ;;
            jobsN) label="bouncetriage --jobs $jobs" ;;
            jobsT) label="... as threads" ;;
            procsN) label="$jobs x --jobs 1 on 1/$jobs each" ;;
            sisimai) label="sisimai (Perl)" ;;
        esac
        awk -v l="$label" -v m="$msgs" -v b="$bytes" -v w="${best_wall[$name]}" -v c="${best_cpu[$name]}" \
            -v kb="${best_kb[$name]}" 'BEGIN {
            printf "%-28s %8.2f %8.2f %9.0f %7.1f %8.1f %6.2f\n", l, w, c, m / w, b / 1e6 / w, kb / 1024, c / w }' |
            tee -a "$results"
    done
    cores_note
    ratios "$msgs"
    tree_memory "$corpus"
}

# tree_memory CORPUS: the whole process tree's peak memory (treemem.sh:
# Pss summed over the supervisor, the batch and its workers), one run
# each, apart from the timed rounds (sampling /proc costs a little).
tree_memory() {
    local corpus=$1 mode line
    say "whole process tree, peak (Pss sum / RSS sum, MiB; the RSS MiB column above is the largest process)"
    for mode in "1 processes" "$jobs processes" "$jobs threads"; do
        set -- $mode
        line=$(BOUNCETRIAGE_WORKERS=$2 "$here/treemem.sh" "$bt" --format=jsonl --jobs "$1" "$corpus" 2>&1 >/dev/null |
            tail -n 1)
        say "$(echo "$line" | awk -v l="--jobs $1${2:+ ($2)}" '{ printf "  %-28s %7.1f / %7.1f in %d processes\n", l, $2 / 1024, $4 / 1024, $6 }')"
    done
}

# The "cores" column is CPU seconds / wall seconds: about 1 for a
# single-threaded run, up to N for --jobs N on N free cores.  Less means the
# run waited for a CPU: the machine was busy, and wall-time figures are low.
cores_note() {
    local w=${best_wall[jobs1]:-} c=${best_cpu[jobs1]:-} wn=${best_wall[jobsN]:-} cn=${best_cpu[jobsN]:-}
    [ -n "$w" ] && awk -v w="$w" -v c="$c" 'BEGIN { exit !(c / w < 0.9) }' &&
        say "  note: --jobs 1 got $(awk -v w="$w" -v c="$c" 'BEGIN { printf "%.0f", 100 * c / w }') % of a core: the machine was busy; compare CPU seconds"
    [ -n "$wn" ] && awk -v w="$wn" -v c="$cn" -v n="$jobs" 'BEGIN { exit !(c / w < 0.9 * n) }' &&
        say "  note: --jobs $jobs kept $(awk -v w="$wn" -v c="$cn" 'BEGIN { printf "%.2f", c / w }') cores busy of $jobs asked: fewer were free"
    return 0
}

# ratio LABEL A B TARGET: throughput of A over B in %, from wall time and
# from CPU seconds (B's CPU / A's CPU; what load disturbs least).
ratio() {
    local a=$2 b=$3
    if [ -z "${best_wall[$a]:-}" ] || [ -z "${best_wall[$b]:-}" ]; then
        say "$(printf '  %-40s %s' "$1" "n/a")"
        return
    fi
    awk -v l="$1" -v wa="${best_wall[$a]}" -v wb="${best_wall[$b]}" -v ca="${best_cpu[$a]}" \
        -v cb="${best_cpu[$b]}" -v t="$4" 'BEGIN {
        printf "  %-40s wall %7.1f %%   CPU %7.1f %%   %s\n", l, 100 * wb / wa, 100 * cb / ca, t }' | tee -a "$results"
}

ratios() {
    say "ratios (throughput, %)"
    ratio "--jobs 1 / gmime-baseline" jobs1 baseline "target >= 70 %"
    ratio "--jobs $jobs / --jobs 1" jobsN jobs1 "target wall >= 182 % (0.55x), CPU >= 91 % (1.10x)"
    ratio "--jobs $jobs as threads / --jobs 1" jobsT jobs1 ""
    ratio "$jobs processes / --jobs 1 (the machine)" procsN jobs1 ""
    ratio "--jobs 1 / sisimai" jobs1 sisimai "target >= 800 % (8x)"
    ratio "--jobs $jobs / sisimai" jobsN sisimai ""
}

batch "$corpus1" 1x "$sisimai"
if [ "$big" = yes ]; then
    sis10=no
    [ "${BT_SPEED_SISIMAI_BIG:-0}" = 1 ] && sis10=$sisimai
    batch "$corpus10" 10x "$sis10"
fi

# ---------------------------------------------------------------- one message

# Medians of wall and CPU milliseconds over the runs of each contender.
declare -A walls cpus
single() {
    local name=$1
    shift
    timed /dev/null "$@" < "$one"
    if [ "$t_status" != 0 ]; then
        say "  $name failed (status $t_status): $(head -n 1 "$out/speed-cmd.err")"
        return
    fi
    walls[$name]+="$t_wall "
    cpus[$name]+="$t_cpu "
}
median_ms() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", 1000 * v[int((NR + 1) / 2)] }'; }

say ""
say "one message on stdin: $(basename "$one"), median of $single_runs alternating runs"
for ((i = 0; i < single_runs; i++)); do
    single plain "$bt" --format=jsonl
    single check "$bt" --format=jsonl --check=resend
    [ "$sisimai" = yes ] && single sisimai perl -MSisimai -e "$sis_one"
done
printf '%-44s %9s %9s\n' run "wall ms" "CPU ms" | tee -a "$results"
for name in plain check sisimai; do
    [ -n "${walls[$name]:-}" ] || continue
    case $name in
        plain) label="bouncetriage (no --check)   target <= 8 ms" ;;
        check) label="bouncetriage --check=resend (module loaded)" ;;
        sisimai) label="sisimai: Sisimai->make(STDIN)" ;;
    esac
    printf '%-44s %9s %9s\n' "$label" "$(median_ms "${walls[$name]}")" "$(median_ms "${cpus[$name]}")" | tee -a "$results"
done
say ""
"$here/startup.sh" "$builddir" | tee -a "$results"
say ""
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg); written to $results"
