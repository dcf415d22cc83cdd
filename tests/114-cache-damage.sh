#!/bin/sh
# A damaged cache entry is refused, never trusted (src/core/doccache.c
# checks every length and node id): whatever happened to the rules or the
# layouts entry — cut short, bytes overwritten, header garbled, emptied —
# the run gives the record a parsing run gives, and leaves a good entry
# that the next run uses.
. "$BT_SRCDIR/tests/speed-start-lib.sh"

probe >"$TMP/expected.jsonl"
ok "a first run leaves both entries" sh -c '[ -s "$1" ] && [ -s "$2" ]' sh "$(entry rules)" "$(entry layouts)"

# damage FILE HOW: cut (to 2/3), head (to 40 bytes), empty, flip (0xff over
# a quarter in the middle), tail (the last 9 bytes), magic (first byte),
# letter (one letter of the probe's rule or layout pattern: the structure
# stays valid, only the check value can tell).
damage() {
    size=$(stat -c %s "$1")
    case $2 in
        cut) n=$((size * 2 / 3)); head -c "$n" "$1" >"$1.d" ;;
        head) head -c 40 "$1" >"$1.d" ;;
        empty) : >"$1.d" ;;
        flip) "$PYTHON3" -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
for i in range(len(b) // 2, len(b) // 2 + len(b) // 4): b[i] = 0xff
open(p + ".d", "wb").write(b)' "$1" ;;
        tail) head -c $((size - 9)) "$1" >"$1.d" ;;
        magic) { printf 'X'; tail -c +2 "$1"; } >"$1.d" ;;
        letter) "$PYTHON3" -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
for old, new in ((b"speedstart marker", b"speedstart markex"), (b"^Why:", b"^Whx:")):
    i = b.find(old)
    if i >= 0:
        b[i:i + len(old)] = new
        break
else:
    sys.exit("no probe text in " + p)
open(p + ".d", "wb").write(b)' "$1" ;;
    esac
    mv "$1.d" "$1"
}

# survives KIND HOW: after damaging the entry, the same record and a good entry again.
survives() {
    damage "$(entry "$1")" "$2"
    probe >"$TMP/got.jsonl" 2>"$TMP/err" || return 1
    cmp "$TMP/expected.jsonl" "$TMP/got.jsonl" || return 1
    ino=$(stat -c %i "$(entry "$1")")
    probe | cmp - "$TMP/expected.jsonl" || return 1
    [ "$(stat -c %i "$(entry "$1")")" = "$ino" ]    # the rewritten entry is used as is
}

for kind in rules layouts; do
    for how in cut head empty flip tail magic letter; do
        ok "$kind entry, $how: refused, same record, a good entry again" survives "$kind" "$how"
    done
done

done_testing
