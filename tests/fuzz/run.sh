#!/bin/sh
# Runs each fuzz target for a bounded time from its seeds and prints one
# line per target, "PASS fuzz-TARGET …" or "FAIL fuzz-TARGET …"; exits 1 if
# any target found something (its crash file is then in
# fuzz-build/findings/TARGET/ — copy it to tests/fuzz/regressions/TARGET/
# once fixed).  Used by `make fuzz-run` and .ci/run.
#   FUZZ_SECONDS   per target (default 30)
#   FUZZ_CORPORA   where the working corpora live (default fuzz-build/corpus)
#   run.sh SRCDIR TARGET…
set -u
src=$1; shift
secs=${FUZZ_SECONDS:-30}
corpora=${FUZZ_CORPORA:-fuzz-build/corpus}
failed=0
for t in "$@"; do
    bin=fuzz-build/fuzz-$t
    if [ ! -x "$bin" ]; then
        echo "FAIL fuzz-$t: $bin is not built (make fuzz)"; failed=1; continue
    fi
    [ -d "$corpora/$t" ] || sh "$src/tests/fuzz/make-seeds.sh" "$src" "$corpora" "$t" >/dev/null
    mkdir -p "fuzz-build/findings/$t" "fuzz-build/logs"
    dict=""
    case $t in triage|annotate|source) dict="-dict=$src/tests/fuzz/mime.dict" ;; esac
    case $t in rules|layouts) dict="-dict=$src/tests/fuzz/yaml.dict" ;; esac
    log=fuzz-build/logs/$t.log
    # shellcheck disable=SC2086
    if ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
            -print_final_stats=1 $dict -artifact_prefix="fuzz-build/findings/$t/" \
            "$corpora/$t" >"$log" 2>&1; then
        stats=$(awk '/stat::number_of_executed_units/ {e=$2} /stat::peak_rss_mb/ {r=$2}
                     /^#[0-9]+/ {for (i = 1; i <= NF; i++) { if ($i == "cov:") c=$(i+1); if ($i == "ft:") f=$(i+1); if ($i == "corp:") k=$(i+1) }}
                     END {printf "%s execs, cov %s, ft %s, corpus %s", e, c, f, k}' "$log")
        echo "PASS fuzz-$t ($secs s): $stats"
    else
        echo "FAIL fuzz-$t: finding in fuzz-build/findings/$t/"
        grep -E "ERROR|runtime error|SUMMARY|#[0-9]+ in " "$log" | head -n 20 | sed 's/^/    /'
        failed=1
    fi
done
exit $failed
