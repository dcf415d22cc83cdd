#!/bin/sh
# Compressed and foreign inputs (src/source/decompress.c, magic.c).  A
# gzip file or stdin is read as what it holds: the same records as the
# plain input (but for the origin), offsets in the inflated bytes, with
# --jobs 1 and 2, members one after the other, and a crash in the middle;
# a cut or damaged one keeps what came before and says so (exit 65).
# Other files that are not mail are named from their first bytes, one
# line each, exit 65; in a tree the rest is read.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/memsafe-lib.sh"
fixtures="$BT_SRCDIR/fixtures"
gz() { gzip -n -c "$@"; }
# run NAME ARGS...: --format=jsonl to $TMP/NAME.out, .err, .rc (stdin as given)
run() {
    _run=$1; shift
    "$BT_BIN" --format=jsonl "$@" >"$TMP/$_run.out" 2>"$TMP/$_run.err"
    echo $? >"$TMP/$_run.rc"
}
# no_origin FILE: the records without their origin
no_origin() { sed 's/"origin":"[^"]*",//' "$1"; }
same_records() { no_origin "$1" >"$TMP/a"; no_origin "$2" >"$TMP/b"; cmp "$TMP/a" "$TMP/b"; }
rc_is() { test "$(cat "$TMP/$1.rc")" -eq "$2"; }

# an mbox of every fixture, with an unparsable entry and a cut at the end
find "$fixtures" -name '*.eml' | sort | while read -r f; do
    echo "From MAILER-DAEMON  Sat Jun 22 08:08:08 2024"
    sed 's/^From />From /' "$f"
    echo
done >"$TMP/all.mbox"
{ cat "$TMP/all.mbox"; printf 'From x  Sat Jun 22 08:08:08 2024\n\001\n\n'; head -c 300 "$TMP/all.mbox"; } >"$TMP/odd.mbox"
gz "$TMP/odd.mbox" >"$TMP/odd.mbox.gz"

for j in 1 2; do
    run plain$j --jobs $j "$TMP/odd.mbox"
    run gz$j --jobs $j "$TMP/odd.mbox.gz"
    ok "mbox.gz, --jobs $j: the plain mbox's records" same_records "$TMP/plain$j.out" "$TMP/gz$j.out"
    ok "mbox.gz, --jobs $j: its problems, at the same offsets" \
        sh -c "sed 's/odd.mbox.gz/odd.mbox/' '$TMP/gz$j.err' | cmp - '$TMP/plain$j.err'"
    ok "mbox.gz, --jobs $j: the same exit" cmp "$TMP/plain$j.rc" "$TMP/gz$j.rc"
    ok "mbox.gz, --jobs $j: origin is the path as given" grep -q "\"origin\":\"$TMP/odd.mbox.gz\"" "$TMP/gz$j.out"
done
ok "mbox.gz: records at all" test "$(records "$TMP/gz1.out")" -gt 100

# one message
msg="$fixtures/generic/userunknown-postfix-mailbox-unavailable.eml"
gz "$msg" >"$TMP/one.eml.gz"
run one_plain "$msg"
run one_gz "$TMP/one.eml.gz"
ok ".eml.gz: the message's record" same_records "$TMP/one_plain.out" "$TMP/one_gz.out"
ok ".eml.gz: exit 0" rc_is one_gz 0

# stdin, redirected and piped
run in_plain - <"$TMP/all.mbox"
run in_file - <"$TMP/odd.mbox.gz"
ok "gzip on stdin, redirected: the plain mbox's records" same_records "$TMP/plain1.out" "$TMP/in_file.out"
cat "$TMP/odd.mbox.gz" | run in_pipe --jobs 2 -
ok "gzip on stdin, piped: the same records" cmp "$TMP/in_file.out" "$TMP/in_pipe.out"
ok "gzip on stdin, piped: origin -" grep -q '"origin":"-"' "$TMP/in_pipe.out"

# members one after the other (cat a.gz b.gz), cut at a From line
half=$(grep -an '^From MAILER-DAEMON' "$TMP/all.mbox" | sed -n '40p' | cut -d: -f1)
head -n $((half - 1)) "$TMP/all.mbox" | gz >"$TMP/two.gz"
tail -n +"$half" "$TMP/all.mbox" | gz >>"$TMP/two.gz"
run two "$TMP/two.gz"
run whole "$TMP/all.mbox"
ok "two members: read to the end of the second" same_records "$TMP/whole.out" "$TMP/two.out"
ok "two members: the same exit" cmp "$TMP/whole.rc" "$TMP/two.rc"
{ cat "$TMP/two.gz"; head -c 512 /dev/zero; } >"$TMP/padded.gz"
run padded "$TMP/padded.gz"
ok "zeros after the last member: read as gzip -d does" same_records "$TMP/whole.out" "$TMP/padded.out"

# cut short: what came before, a line that says so, exit 65
gz "$TMP/all.mbox" >"$TMP/all.mbox.gz"
size=$(wc -c <"$TMP/all.mbox.gz")
head -c $((size / 2)) "$TMP/all.mbox.gz" >"$TMP/cut.gz"
run cut "$TMP/cut.gz"
n=$(records "$TMP/cut.out")
ok "truncated: the records before the cut" test "$n" -gt 20
# the message the cut falls in may give other records (all of them: a
# message can have several), so its records are left out of the comparison
last_offset=$(tail -n 1 "$TMP/cut.out" | sed 's/.*"offset":\([0-9]*\),.*/\1/')
grep -v "\"offset\":$last_offset," "$TMP/cut.out" | sed 's/cut.gz/all.mbox.gz/' >"$TMP/a"
m=$(records "$TMP/a")
ok "truncated: they are the whole file's first records (the message cut may differ)" \
    sh -c "test $m -gt 20 && '$BT_BIN' --format=jsonl '$TMP/all.mbox.gz' 2>/dev/null | head -n $m | cmp - '$TMP/a'"
ok "truncated: exit 65" rc_is cut 65
ok "truncated: stderr names the file and the cut" \
    grep -q "^bouncetriage: $TMP/cut.gz: the gzip data is cut short" "$TMP/cut.err"
# damaged: a wrong CRC-32 in the trailer (RFC 1952 2.3.1) is found at the end
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[-8] ^= 0xff; open(sys.argv[2], "wb").write(d)' \
    "$TMP/all.mbox.gz" "$TMP/crc.gz"
run crc "$TMP/crc.gz"
ok "damaged: exit 65" rc_is crc 65
ok "damaged: stderr says so" grep -q "^bouncetriage: $TMP/crc.gz: the gzip data is damaged" "$TMP/crc.err"
{ cat "$TMP/one.eml.gz"; echo "not gzip"; } >"$TMP/trail.gz"
run trail "$TMP/trail.gz"
ok "other bytes after the gzip data: the message still read" same_records "$TMP/one_plain.out" "$TMP/trail.out"
ok "other bytes after the gzip data: reported, exit 65" \
    sh -c "test \"\$(cat '$TMP/trail.rc')\" -eq 65 && grep -q 'not gzip data follow' '$TMP/trail.err'"

# a crash while a .gz is read: the child reads it again from the start
make_batch 300 150
off=$(offset_of 150)
gz "$TMP/batch.mbox" >"$TMP/batch.mbox.gz"
run batch "$TMP/batch.mbox.gz"
without_offsets "$TMP/batch.out" "$off" >"$TMP/expected"
for jobs in 1 2; do
    crash_run segv $jobs "$TMP/crash" "$TMP/crash.err" "$TMP/batch.mbox.gz"
    ok "segv in a .gz, --jobs $jobs: the other 299 records" cmp "$TMP/expected" "$TMP/crash"
    ok "segv in a .gz, --jobs $jobs: exit 65, origin and inflated offset named" \
        sh -c "test \"\$(cat '$TMP/crash.rc')\" -eq 65 && grep -q '(offset $off): triage crashed' '$TMP/crash.err'"
done
sed 's/"origin":"[^"]*"/"origin":"-"/' "$TMP/expected" >"$TMP/expected.in"
cat "$TMP/batch.mbox.gz" | crash_run segv 2 "$TMP/crash" "$TMP/crash.err"
ok "segv in gzip piped on stdin, --jobs 2: the other 299 records" cmp "$TMP/expected.in" "$TMP/crash"

# files that are not mail: what they are, what to do; one table
mkdir "$TMP/tree"
cp "$msg" "$TMP/tree/a.eml"
cp "$TMP/one.eml.gz" "$TMP/tree/b.eml.gz"
while IFS='|' read -r name bytes said; do
    printf "$bytes" >"$TMP/tree/$name"
    printf 'Subject: filler\n\nfiller\n' >>"$TMP/tree/$name"
    run foreign "$TMP/tree/$name"
    ok "$name: named ($said), exit 65" \
        sh -c "grep -qF '$TMP/tree/$name: $said' '$TMP/foreign.err' && test \"\$(cat '$TMP/foreign.rc')\" -eq 65 && test ! -s '$TMP/foreign.out'"
done <<'TABLE'
c.bz2|BZh91AY&SY|compressed with bzip2: not read; decompress it first (bzip2 -d
d.xz|\3757zXZ\000\000|compressed with xz: not read; decompress it first (xz -d
e.zst|\050\265\057\375|compressed with zstd: not read; decompress it first (zstd -d
f.zip|PK\003\004\024\000|an archive (zip): not read; unpack it first
g.7z|7z\274\257\047\034|an archive (7z): not read; unpack it first
h.msg|\320\317\021\340\241\261\032\341|an Outlook .msg file (OLE2): not read; save it as .eml first
i.pdf|%%PDF-1.7\n|not a mail message (a PDF document)
j.png|\211PNG\r\n\032\n|not a mail message (a PNG image)
k.jpg|\377\330\377\340|not a mail message (a JPEG image)
l.gif|GIF89a|not a mail message (a GIF image)
m.elf|\177ELF\002\001|not a mail message (an ELF executable)
TABLE
printf '\3757zXZ\000\000' | run xz_in -
ok "xz on stdin: the command to pipe it through" \
    grep -qF 'bouncetriage: -: compressed with xz: not read; decompress it first (xz -dc | bouncetriage)' "$TMP/xz_in.err"
tar -cf "$TMP/tree/n.tar" -C "$TMP/tree" a.eml
gz "$TMP/tree/n.tar" >"$TMP/tree/o.tar.gz"
gz "$TMP/one.eml.gz" >"$TMP/tree/p.gz.gz"
run tree "$TMP/tree"
ok "tree: the .eml and the .eml.gz read" test "$(records "$TMP/tree.out")" -eq 2
ok "tree: exit 65" rc_is tree 65
ok "tree: one line for each file not read" test "$(wc -l <"$TMP/tree.err")" -eq 14
ok "tree: a tar, even inside gzip" \
    sh -c "grep -qF 'n.tar: an archive (tar)' '$TMP/tree.err' && grep -qF 'o.tar.gz: an archive (tar)' '$TMP/tree.err'"
ok "tree: gzip inside gzip" grep -qF "p.gz.gz: compressed with gzip twice: not read; decompress it first (gzip -d" "$TMP/tree.err"
ok "a file starting BZh that is mail is still mail" \
    sh -c "printf 'BZh-Note: x\n' | cat - '$msg' | '$BT_BIN' --format=jsonl | grep -q '^{'"
done_testing
