#!/bin/sh
# Never crash: every message we have — the shared corpus (maildir and
# mbox), our fixtures, and every fuzz regression file — through the
# program in each output format (with --all and --explain, inline and with
# --jobs), and through --annotate; the rule and layout regressions through
# --lint-rules.  A crash, a sanitizer report or an exit status the contract
# does not have fails.  (CI's sanitizer pass runs this under ASan+UBSan.)
. "$BT_SRCDIR/tests/lib.sh"
corpus="$BT_SHARED/corpus/set-of-emails"
regressions="$BT_SRCDIR/tests/fuzz/regressions"

inputs="$BT_SRCDIR/fixtures"
[ -d "$corpus/maildir" ] && inputs="$inputs $corpus/maildir $corpus/mailbox"
for t in triage annotate source; do
    [ -d "$regressions/$t" ] && inputs="$inputs $regressions/$t"
done

# clean STATUS LOG: an exit status of the batch contract (0, 65 a message
# skipped, 66 a path unreadable) and no sanitizer or GLib critical report
clean() {
    case $1 in 0|65|66) ;; *) echo "exit status $1"; cat "$2" | head -20; return 1 ;; esac
    if grep -E "AddressSanitizer|runtime error|LeakSanitizer|CRITICAL|Segmentation" "$2"; then
        return 1
    fi
}

batch() {   # batch FORMAT [OPTION…]
    fmt=$1; shift
    # shellcheck disable=SC2086
    "$BT_BIN" --format="$fmt" --all --explain "$@" $inputs >"$TMP/out" 2>"$TMP/err"
    clean $? "$TMP/err"
}

annotate_each() {
    n=0
    for f in $(find $inputs -type f ! -name '*.json' ! -name 'README*' | sort); do
        "$BT_BIN" --annotate <"$f" >"$TMP/ann" 2>"$TMP/err"
        s=$?
        if [ $s -ne 0 ] || grep -qE "AddressSanitizer|runtime error|CRITICAL" "$TMP/err"; then
            echo "$f: --annotate exit $s"; head -20 "$TMP/err"; return 1
        fi
        n=$((n + 1))
    done
    echo "$n messages annotated"
    [ $n -gt 0 ]
}

# lint_each KIND: each regression YAML as the only extra rule pack / layout
lint_each() {
    [ -d "$regressions/$1" ] || return 0
    for f in $(find "$regressions/$1" -type f ! -name 'README*' | sort); do
        rm -rf "$TMP/r"; mkdir -p "$TMP/r/layouts"
        if [ "$1" = rules ]; then cp "$f" "$TMP/r/pack.yaml"; else cp "$f" "$TMP/r/layouts/l.yaml"; fi
        chmod -R go-w "$TMP/r"
        "$BT_BIN" --lint-rules --rules "$TMP/r" >/dev/null 2>"$TMP/err"
        s=$?
        case $s in 0|78) ;; *) echo "$f: --lint-rules exit $s"; head -20 "$TMP/err"; return 1 ;; esac
        if grep -qE "AddressSanitizer|runtime error|CRITICAL" "$TMP/err"; then cat "$TMP/err"; return 1; fi
    done
}

plan 7
ok "jsonl over every message" batch jsonl
ok "text over every message" batch text
ok "csv over every message" batch csv
ok "jsonl with --jobs=2" batch jsonl --jobs=2
ok "--annotate on every message file" annotate_each
ok "rule regressions lint without crashing" lint_each rules
ok "layout regressions lint without crashing" lint_each layouts
