#!/bin/bash
# memory.sh — peak memory and time of bouncetriage on hostile messages
# (see bench/README.md, "Memory per message").
#
#   bench/memory.sh [--big] [BINARY]
#
# Generates in bench/out/memory/ (once): a bounce whose text part is 55 MB
# (and 110 MB), 100,000 sibling delivery-status parts (11.7 MB), 1,000,000
# one-byte sibling parts (7 MB), an mbox of 16 messages of 62,500 one-byte
# parts each (11 MB); with --big also the 1.1 GB corpus of make-corpus.sh.
# Runs BINARY (default src/bouncetriage) on each under /usr/bin/time -v
# and prints peak RSS, wall and CPU seconds against the targets.  The
# machine may be shared: CPU seconds are the steadier figure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(dirname "$here")
out="$here/out/memory"
big=no
bin="$srcdir/src/bouncetriage"
for arg in "$@"; do
    case "$arg" in
        --big) big=yes ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        -*) echo "memory.sh: unknown option: $arg" >&2; exit 2 ;;
        *) bin=$arg ;;
    esac
done
[ -x "$bin" ] || { echo "memory.sh: no binary at $bin (build first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "memory.sh: needs /usr/bin/time (Debian package time)" >&2; exit 2; }
mkdir -p "$out"

# gen NAME PERL: writes $out/NAME with the perl program unless it exists.
gen() {
    [ -s "$out/$1" ] && return
    perl -e "$2" > "$out/$1.tmp" && mv "$out/$1.tmp" "$out/$1"
}

header='print "From: Mail Delivery System <MAILER-DAEMON\@example.net>\nTo: sender\@example.com\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n";'
dsn='"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; user\@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <user\@example.org>: Recipient address rejected: User unknown\n"'

# A DSN whose human-readable part is MB megabytes of text.
text_bounce() {
    gen "text$1.eml" "$header"'
        print "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n";
        print "I am sorry to have to inform you that your message could not be delivered.\n";
        my $line = "filler text of a very long bounce, line " . ("x" x 60) . "\n";
        print $line for 1 .. int('"$1"' * 1e6 / length $line);
        print "\n--b\nContent-Type: message/delivery-status\n\n", '"$dsn"', "\n--b--\n";'
}
text_bounce 55
text_bounce 110
gen dsn100k.eml "$header"'
    print "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n";
    for my $i (1 .. 100000) {
        print "--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; u$i\@example.org\nAction: failed\nStatus: 5.1.1\n\n";
    }
    print "--b--\n";'
gen parts1m.eml "$header"'
    print "Content-Type: multipart/mixed; boundary=\"b\"\n\n";
    print "--b\n\nx\n" for 1 .. 1000000;
    print "--b--\n";'
gen parts16.mbox '
    for my $m (1 .. 16) {
        print "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n";
        '"$header"'
        print "Content-Type: multipart/mixed; boundary=\"b\"\n\n";
        print "--b\n\nx\n" for 1 .. 62500;
        print "--b--\n\n";
    }'
gen big12.mbox '
    for my $m (1 .. 12) {
        print "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\nFrom: MAILER-DAEMON\@example.net\nSubject: big $m\n\n";
        print "filler text of a very long bounce, line ", "x" x 36, "\n" for 1 .. 60000;
        print "\n";
    }'
if [ $big = yes ]; then
    [ -s "$here/out/corpus-10x.mbox" ] || "$here/make-corpus.sh" --big >&2
fi

# run NAME TARGET_MIB TARGET_S ARGS...: one measured run.
printf '%-28s %9s %8s %8s %8s  %s\n' case "RSS MiB" "wall s" "CPU s" exit targets
run() {
    local name=$1 rss_target=$2 time_target=$3
    shift 3
    /usr/bin/time -v -o "$out/time.txt" "$bin" --format=jsonl "$@" > /dev/null 2> "$out/stderr.txt"
    local status=$?
    local rss wall user sys
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out/time.txt")
    wall=$(awk -F': ' '/Elapsed/ {print $2}' "$out/time.txt")
    user=$(awk -F': ' '/User time/ {print $2}' "$out/time.txt")
    sys=$(awk -F': ' '/System time/ {print $2}' "$out/time.txt")
    # m:ss.cc to seconds
    wall=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    local cpu verdict=""
    cpu=$(echo "$user $sys" | awk '{ printf "%.2f", $1 + $2 }')
    local mib=$((rss / 1024))
    [ "$rss_target" != - ] && verdict="$verdict rss<$rss_target:$([ $mib -lt "$rss_target" ] && echo ok || echo MISSED)"
    [ "$time_target" != - ] && verdict="$verdict cpu<${time_target}s:$(awk -v c="$cpu" -v t="$time_target" 'BEGIN { print (c < t) ? "ok" : "MISSED" }')"
    printf '%-28s %9d %8.2f %8.2f %8d %s\n' "$name" "$mib" "$wall" "$cpu" "$status" "$verdict"
    echo "$mib" > "$out/$name.rss"
}

run text55 120 2 "$out/text55.eml"
run text55-stdin 120 2 - < "$out/text55.eml"
run text110 120 4 "$out/text110.eml"
run dsn100k 100 - "$out/dsn100k.eml"
run parts1m 150 2 "$out/parts1m.eml"
run parts16-jobs1 - - --jobs 1 "$out/parts16.mbox"
run parts16-jobs2 - - --jobs 2 "$out/parts16.mbox"
j1=$(cat "$out/parts16-jobs1.rss"); j2=$(cat "$out/parts16-jobs2.rss")
echo "parts16: --jobs 2 / --jobs 1 peak = $(awk -v a="$j2" -v b="$j1" 'BEGIN { printf "%.2f", a / b }') (target <= 1.5)"
run big12-jobs1 - - --jobs 1 "$out/big12.mbox"
run big12-jobs2 - - --jobs 2 "$out/big12.mbox"
j1=$(cat "$out/big12-jobs1.rss"); j2=$(cat "$out/big12-jobs2.rss")
echo "big12: --jobs 2 / --jobs 1 peak = $(awk -v a="$j2" -v b="$j1" 'BEGIN { printf "%.2f", a / b }') (target <= 1.5)"
if [ $big = yes ]; then
    run corpus-1x - - "$here/out/corpus-1x.mbox"
    run corpus-10x - - "$here/out/corpus-10x.mbox"
    echo "1x vs 10x peak: $(cat "$out/corpus-1x.rss") vs $(cat "$out/corpus-10x.rss") MiB (target: the same)"
fi
