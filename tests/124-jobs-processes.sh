#!/bin/sh
# --jobs N runs as the batch and N - 1 worker processes unless the writer
# must see every bounce itself (--check, --report, --suppress), and as N
# threads then; both
# give exactly one job's output, stderr and exit, in every format and
# with --summary.
# The processes are seen where they run: a batch reading a FIFO that is
# held open has N - 1 children of its own while it waits.
. "$BT_SRCDIR/tests/lib.sh"
input="$BT_SHARED/corpus/set-of-emails/maildir/bsd"
[ -d "$input" ] || input="$BT_SRCDIR/fixtures"
mbox="$TMP/mixed.mbox"
# an mbox with a message GMime cannot make anything of and a cut at the end
cat "$BT_SRCDIR/fixtures/sample.mbox" >"$mbox"
printf 'From x Thu Jan  1 00:00:00 2025\n\n' >>"$mbox"
cat "$BT_SRCDIR/fixtures/sample.mbox" >>"$mbox"
printf 'From y Thu Jan  1 00:00:00 2025\nSubject: cut' >>"$mbox"

"$BT_BIN" --format=jsonl "$input" "$mbox" >"$TMP/one" 2>"$TMP/one.err"
echo $? >"$TMP/one.rc"
ok "one job gives records" test -s "$TMP/one"
for j in 2 3 5; do
    for w in processes threads; do
        BOUNCETRIAGE_WORKERS=$w "$BT_BIN" --format=jsonl --jobs $j "$input" "$mbox" \
            >"$TMP/many" 2>"$TMP/many.err"
        echo $? >"$TMP/many.rc"
        ok "--jobs $j, $w: one job's stdout" cmp "$TMP/one" "$TMP/many"
        ok "--jobs $j, $w: one job's stderr and exit" \
            sh -c "cmp '$TMP/one.err' '$TMP/many.err' && cmp '$TMP/one.rc' '$TMP/many.rc'"
    done
done
for f in text csv; do
    "$BT_BIN" --format=$f --summary --all "$input" "$mbox" >"$TMP/f1" 2>"$TMP/f1.err"
    BOUNCETRIAGE_WORKERS=processes "$BT_BIN" --format=$f --summary --all --jobs 3 "$input" "$mbox" \
        >"$TMP/f3" 2>"$TMP/f3.err"
    ok "$f --summary --all, --jobs 3: one job's output and stderr" \
        sh -c "cmp '$TMP/f1' '$TMP/f3' && cmp '$TMP/f1.err' '$TMP/f3.err'"
done
"$BT_BIN" -q --format=jsonl "$mbox" >"$TMP/q1" 2>"$TMP/q1.err"
"$BT_BIN" -q --format=jsonl --jobs 2 "$mbox" >"$TMP/q2" 2>"$TMP/q2.err"
ok "-q, --jobs 2: one job's output and stderr" \
    sh -c "cmp '$TMP/q1' '$TMP/q2' && cmp '$TMP/q1.err' '$TMP/q2.err'"

# the default: the first 512 messages in the batch itself, the rest in
# the workers; a crash on either side costs that message alone
. "$BT_SRCDIR/tests/memsafe-lib.sh"
make_batch 1100 100 900
"$BT_BIN" --format=jsonl "$TMP/batch.mbox" >"$TMP/b1" 2>/dev/null
env -u BOUNCETRIAGE_WARM "$BT_BIN" --format=jsonl --jobs 3 "$TMP/batch.mbox" >"$TMP/b3" 2>/dev/null
ok "1,100 messages, --jobs 3, default warm-up: one job's records" cmp "$TMP/b1" "$TMP/b3"
mkdir "$TMP/held"
mv "$TMP/batch.d/msg-0100.eml" "$TMP/batch.d/msg-0900.eml" "$TMP/held/"
"$BT_BIN" --format=jsonl "$TMP/batch.d" >"$TMP/b1.clean" 2>/dev/null
mv "$TMP/held/"*.eml "$TMP/batch.d/"
(
    BOUNCETRIAGE_TEST_FAULT=segv:BT-POISON env -u BOUNCETRIAGE_WARM "$BT_BIN" --format=jsonl --jobs 3 \
        "$TMP/batch.d" >"$TMP/b3c" 2>"$TMP/b3c.err"
    echo $? >"$TMP/b3c.rc"
)
ok "crashes at messages 100 (warm-up) and 900 (after it): the other 1,098 records" cmp "$TMP/b1.clean" "$TMP/b3c"
ok "... two crashes reported, exit 65" \
    sh -c "test \$(grep -c 'triage crashed' '$TMP/b3c.err') -eq 2 && test \$(cat '$TMP/b3c.rc') -eq 65"

# after the warm-up the batch triages what no worker has room for: about
# half of these small messages with one worker.  Ten crashes spread over
# them land on both sides (all ten on a worker would be a chance of one
# in a thousand); each costs its own message and nothing else.
poison="95 190 300 410 520 630 740 850 960 1070"
make_batch 1100 $poison
mkdir -p "$TMP/held10"
for k in $poison; do mv "$TMP/batch.d/$(printf 'msg-%04d.eml' $k)" "$TMP/held10/"; done
"$BT_BIN" --format=jsonl "$TMP/batch.d" >"$TMP/b1.clean10" 2>/dev/null
mv "$TMP/held10/"*.eml "$TMP/batch.d/"
for j in 2 3; do
    BOUNCETRIAGE_TEST_FAULT=segv:BT-POISON "$BT_BIN" --format=jsonl --jobs $j \
        "$TMP/batch.d" >"$TMP/bc$j" 2>"$TMP/bc$j.err"
    echo $? >"$TMP/bc$j.rc"
    ok "--jobs $j, ten crashes on either side: the other 1,090 records" cmp "$TMP/b1.clean10" "$TMP/bc$j"
    ok "... ten crashes reported, exit 65" \
        sh -c "test \$(grep -c 'triage crashed' '$TMP/bc$j.err') -eq 10 && test \$(cat '$TMP/bc$j.rc') -eq 65"
done

# children of the batch process (the supervisor's child) while it waits
# on a FIFO: $1 = extra options
workers_while_waiting() {
    rm -f "$TMP/fifo"; mkfifo "$TMP/fifo"
    sleep 30 >"$TMP/fifo" &
    holder=$!
    "$BT_BIN" --jobs 3 $1 "$TMP/fifo" >/dev/null 2>&1 &
    bt=$!
    n=-1
    for _ in $(seq 1 80); do
        batch=$(pgrep -P $bt | head -1)
        if [ -n "$batch" ]; then
            n=$(pgrep -P "$batch" | wc -l)
            # the workers are forked one after the other: count again
            [ "$n" -ge 2 ] && sleep 0.3 && n=$(pgrep -P "$batch" | wc -l) && break
        fi
        sleep 0.1
    done
    kill $holder 2>/dev/null; wait $holder 2>/dev/null
    wait $bt 2>/dev/null
    echo "$n"
}
if command -v pgrep >/dev/null && command -v mkfifo >/dev/null; then
    n=$(workers_while_waiting "--format=jsonl")
    ok "jsonl, --jobs 3: two worker processes beside the batch (saw $n)" test "$n" -eq 2
    n=$(workers_while_waiting "--format=text --summary")
    ok "text --summary, --jobs 3: two worker processes beside the batch (saw $n)" test "$n" -eq 2
    n=$(workers_while_waiting "--format=jsonl --report=$TMP/report.html")
    ok "--report, --jobs 3: threads, no worker process (saw $n)" test "$n" -eq 0
else
    skip "worker processes seen" "no pgrep or mkfifo"
fi
done_testing
