#!/bin/sh
# Agreement with sisimai's expected labels on the shared corpus.  The
# floors are the targets of the issues (sisimai 5.1 scores 97.8 % status,
# 98.5 % reply code, 95.8 % reason, 97.3 % hard/soft on the same files).
. "$BT_SRCDIR/tests/lib.sh"
corpus="$BT_SHARED/corpus/set-of-emails"
tool="$BT_SHARED/tools/conformance"
[ -d "$corpus/maildir/bsd" ] && [ -f "$tool" ] || skip_all "no shared corpus at $BT_SHARED"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to run the conformance tool"

"$BT_BIN" --format=jsonl "$corpus/maildir/bsd" "$corpus/maildir/not" >"$TMP/out.jsonl" 2>"$TMP/err"
"$PYTHON3" "$tool" --verbose "$TMP/out.jsonl" >"$TMP/score"
sed 's/^/# /' "$TMP/score" | tail -n 8

field() { awk -v f="$1" '$1 == f { sub("%", "", $2); print $2 }' "$TMP/score"; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
missing=$(sed -n 's/.*missing: \([0-9]*\),.*/\1/p' "$TMP/score")
nonbounce=$(sed -n 's/.*records from non-bounces: \([0-9]*\).*/\1/p' "$TMP/score")

ok "at most 2 missing records ($missing)" test "$missing" -le 2
ok "no record from a non-bounce ($nonbounce)" test "$nonbounce" -eq 0
ok "deliverystatus >= 97% ($(field deliverystatus))" at_least "$(field deliverystatus)" 97
ok "replycode >= 97% ($(field replycode))" at_least "$(field replycode)" 97
ok "reason >= 95% ($(field reason))" at_least "$(field reason)" 95
ok "hardbounce >= 97% ($(field hardbounce))" at_least "$(field hardbounce)" 97
done_testing
