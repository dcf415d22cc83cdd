#!/bin/sh
# The rules and layouts cache (src/core/doccache.c) is keyed by stat() of
# the directories and files, never by their bytes: a run whose files are
# unchanged reads the cache, and any change — even one that keeps a file's
# size and modification time — is seen on the next run.
. "$BT_SRCDIR/tests/speed-start-lib.sh"

# is FIELD VALUE: the probe's record has that value.
is() { [ "$(field "$1")" = "$2" ]; }
decided_by_extra() { is rule speedstart.probe && is decodedby speedstart-probe; }
ok "the probe is decided by the extra rule and layout" decided_by_extra
entries_made() { [ -s "$(entry rules)" ] && [ -s "$(entry layouts)" ]; }
ok "a clean load leaves a rules and a layouts entry" entries_made

# A hit reads the entry and leaves it alone; a miss writes a new file in its place.
inode() { stat -c %i "$(entry "$1")"; }
rules_ino=$(inode rules) layouts_ino=$(inode layouts)
probe >"$TMP/warm.jsonl"
unchanged() { [ "$(inode rules)" = "$rules_ino" ] && [ "$(inode layouts)" = "$layouts_ino" ]; }
ok "an unchanged set is served from the cache (the entries are not rewritten)" unchanged
same_record() { probe | cmp - "$TMP/warm.jsonl"; }
ok "... and gives the same record" same_record

ok "a pack edited with its size and modification time kept" same_stat_edit "$EXTRA/probe.yaml" rejected filtered
ok "... is seen on the next run" is reason filtered
rewritten() { probe >/dev/null; [ "$(inode "$1")" != "$2" ]; }
ok "... which rewrote the rules entry" rewritten rules "$rules_ino"
unchanged_layouts() { [ "$(inode layouts)" = "$layouts_ino" ]; }
unchanged_layouts_ino() { probe >/dev/null; [ "$(inode layouts)" = "$ino" ]; }
ok "... and kept the layouts entry" unchanged_layouts
same_stat_edit "$EXTRA/probe.yaml" filtered rejected >/dev/null

ok "a layout edited with its size and modification time kept" same_stat_edit "$EXTRA/layouts/probe.yaml" 'Why:' 'Whx:'
raw_diagnostic() { field diagnosticcode | grep -q "^Why: 550"; }
ok "... is seen on the next run (its field pattern no longer matches)" raw_diagnostic
ok "... which rewrote the layouts entry" rewritten layouts "$layouts_ino"
same_stat_edit "$EXTRA/layouts/probe.yaml" 'Whx:' 'Why:' >/dev/null
ok "both edits undone: the first record again" same_record

cat >"$EXTRA/another.yaml" <<'YAML'
pack: speedstart-another
order: 0
rules:
  - id: speedstart.another
    when:
      diagnosticcode: 'speedstart marker'
    then:
      reason: mailboxfull
YAML
ok "a pack added to a directory is seen" is rule speedstart.another
rm -f "$EXTRA/another.yaml"
ok "a pack removed from a directory is seen" is rule speedstart.probe

printf 'rules:\n  - id: speedstart.broken\n    when: {}\n' >"$EXTRA/broken.yaml"
reported() { ! probe 2>"$TMP/err" >/dev/null && grep -q "broken.yaml" "$TMP/err"; }
ok "a broken pack is reported" reported
ok "... and again on the next run (a broken set is never cached)" reported
rm -f "$EXTRA/broken.yaml"

# An entry someone else could have written is not used, and is replaced
# by a private one.
chmod g+w "$(entry rules)"
ino=$(inode rules)
ok "a group-writable entry is not used (the run rewrites it)" rewritten rules "$ino"
private_entry() { [ "$(stat -c %a "$(entry rules)")" = 600 ]; }
ok "... with a private one" private_entry
chmod g+w "$XDG_CACHE_HOME/bouncetriage"
ino=$(inode layouts)
ok "in a group-writable cache directory the run gives the same record" same_record
ok "... and writes no entry there" unchanged_layouts_ino
chmod g-w "$XDG_CACHE_HOME/bouncetriage"

# Another program reading the same directories keeps its own entries.
cp "$BT_BIN" "$TMP/bouncetriage-copy"
BOUNCETRIAGE_RULES=$BT_SRCDIR/rules BOUNCETRIAGE_LAYOUTS=$BT_SRCDIR/rules/layouts \
    "$TMP/bouncetriage-copy" --rules "$EXTRA" -f jsonl <"$TMP/probe.eml" >/dev/null
two_programs() { [ "$(ls "$XDG_CACHE_HOME/bouncetriage" | grep -c '^rules-')" -ge 2 ]; }
ok "a second program keeps its own entries beside the first's" two_programs

printf 'x' >"$TMP/not-a-dir"
no_cache() { XDG_CACHE_HOME="$TMP/not-a-dir" probe | cmp - "$TMP/warm.jsonl"; }
ok "a cache directory that cannot be made changes nothing" no_cache

# Entries no run asks for any more are swept whenever one is written:
# those unused for 30 days, and beyond 64 the least recently used; files
# that are not entries are left alone.
cache=$XDG_CACHE_HOME/bouncetriage
real_entries() { ls "$cache" | grep '\.cache$' | grep -vc -e '-stale' -e '-recent'; }
before=$(real_entries)
for i in 1 2 3; do
    : >"$cache/rules-stale$i.cache"
    touch -d '40 days ago' "$cache/rules-stale$i.cache"
done
for i in $(seq 10 89); do
    : >"$cache/layouts-recent$i.cache"
    touch -d "$i minutes ago" "$cache/layouts-recent$i.cache"
done
: >"$cache/notes.txt"
touch -d '40 days ago' "$cache/notes.txt"
same_stat_edit "$EXTRA/probe.yaml" rejected filtered >/dev/null
probe >/dev/null
stale_gone() { ! ls "$cache" | grep -q '^rules-stale'; }
ok "writing an entry removes entries unused for 30 days" stale_gone
at_most_64() { [ "$(ls "$cache" | grep -c '\.cache$')" -le 64 ]; }
ok "... and keeps at most 64" at_most_64
lru_order() { [ -e "$cache/layouts-recent10.cache" ] && [ ! -e "$cache/layouts-recent89.cache" ]; }
ok "... dropping the least recently used first" lru_order
newest_rules() { ls -t "$cache"/rules-*.cache | head -n 1; }
in_use_kept() {
    [ "$(real_entries)" = "$before" ] || return 1
    ino=$(stat -c %i "$(newest_rules)")
    [ "$(field reason)" = filtered ] && [ "$(stat -c %i "$(newest_rules)")" = "$ino" ]
}
ok "... never the entries just written or in use (the next run is a hit)" in_use_kept
others_kept() { [ -e "$cache/notes.txt" ]; }
ok "... nor a file that is not an entry" others_kept

done_testing
