#!/bin/bash
# treemem.sh — the peak memory of a command's whole process tree: the sum
# of the proportional set sizes (Pss, /proc/PID/smaps_rollup) of the
# command and all its descendants, and the sum of their resident sets,
# sampled every 100 ms.  ru_maxrss (bench/rss) gives the largest single
# process only; with --jobs N as N worker processes what a machine gives
# up is the tree's, and pages the workers share with the batch that forked
# them (the rules, the layouts) count once in Pss, N + 1 times in the
# resident sets.
#
#   bench/treemem.sh COMMAND [ARG...]    (its stdout and stderr kept)
#
# Prints on stderr: "tree_pss_kb P tree_rss_kb R processes N status X".
set -u
"$@" &
top=$!
descendants() {
    local p
    echo "$1"
    for p in $(pgrep -P "$1" 2>/dev/null); do descendants "$p"; done
}
peak_pss=0 peak_rss=0 peak_n=0
while kill -0 "$top" 2>/dev/null; do
    pss=0 rss=0 n=0
    for p in $(descendants "$top"); do
        read -r a b < <(awk '/^Pss:/ { p = $2 } /^Rss:/ { r = $2 } END { print p + 0, r + 0 }' \
            "/proc/$p/smaps_rollup" 2>/dev/null)
        pss=$((pss + ${a:-0})) rss=$((rss + ${b:-0})) n=$((n + 1))
    done
    [ "$pss" -gt "$peak_pss" ] && peak_pss=$pss
    [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
    [ "$n" -gt "$peak_n" ] && peak_n=$n
    sleep 0.1
done
wait "$top"
status=$?
echo "tree_pss_kb $peak_pss tree_rss_kb $peak_rss processes $peak_n status $status" >&2
exit $status
