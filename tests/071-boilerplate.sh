#!/bin/sh
# Precision on fixtures/negative: messages that are no failure must not
# become one.  none/ (challenge-response requests, list confirmations, read
# receipts, mail about bounces, newsletters) give no record without --all;
# autoreply/ give one vacation record; delay/ give soft records with action
# "delayed".  And no rule may fire on what a notice shares with every
# notice of its kind: with each record's evidence (diagnostic, status,
# reply code) taken away, only the expected vacation/delay rules and the
# catch-all may still hold.
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to read JSON"
NEG="$BT_SRCDIR/fixtures/negative"
PROBE="$BT_BUILDDIR/tests/boilerplate-probe"

records() { "$BT_BIN" --format=jsonl "$@" 2>"$TMP/stderr"; }

ok "non-bounces give no record" sh -c '
    out=$("$1" --format=jsonl "$2"/none/*.eml) || exit 1
    [ -z "$out" ] || { echo "$out" | cut -c1-300; exit 1; }' sh "$BT_BIN" "$NEG"

check_json() {   # FILE PYTHON-EXPRESSION-over-r
    records "$1" | "$PYTHON3" -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.strip()]
bad = [r for r in recs if not ('"$2"')]
for r in bad:
    print(r["recipient"], r["reason"], r["action"], r["hardbounce"], r.get("rule"))
sys.exit(1 if bad or not recs else 0)'
}

for f in "$NEG"/autoreply/*.eml; do
    ok "$(basename "$f"): vacation, never a failure" check_json "$f" \
        'r["reason"] == "vacation" and r["hardbounce"] is False'
done
for f in "$NEG"/delay/*.eml; do
    ok "$(basename "$f"): delayed, soft" check_json "$f" \
        'r["action"] == "delayed" and r["hardbounce"] is False'
done

# The rules each group may see fire without evidence: the catch-all of the
# status layer, and the verdicts that group stands for.
"$PROBE" "$NEG"/none/*.eml "$NEG"/autoreply/*.eml "$NEG"/delay/*.eml >"$TMP/probe" 2>"$TMP/probe.err"
ok "the probe ran" test -s "$TMP/probe"
boilerplate() {   # GROUP ALLOWED-REGEX
    awk -F '\t' -v g="/$1/" -v allow="$2" '
        index($1, g) && NF >= 4 && $3 !~ allow { print $1 ": rule " $3 " (" $4 ") fires on boilerplate"; bad = 1 }
        END { exit bad }' "$TMP/probe"
}
ok "no rule fires on the text of non-bounces" boilerplate none '^rfc3463\.undefined$'
ok "only vacation rules fire on auto-replies" boilerplate autoreply '^(rfc3463\.undefined|generic\.hint\.vacation|rfc3463\.vacation-text)$'
ok "only delay rules fire on delay warnings" boilerplate delay '^(rfc3463\.undefined|rfc3463\.delayed)$'

# With the evidence left in, every rule that holds (not only the first) must
# still agree with what the message is: nothing hard on a delay warning,
# nothing but vacation (or the undecided fallbacks) on an auto-reply.
"$PROBE" --keep-evidence "$NEG"/autoreply/*.eml "$NEG"/delay/*.eml >"$TMP/full" 2>"$TMP/full.err"
ok "the probe ran with evidence" test -s "$TMP/full"
reasons() {   # GROUP allow|deny REASON-REGEX [RULES-EXEMPT-REGEX]
    awk -F '\t' -v g="/$1/" -v mode="$2" -v re="$3" -v exempt="${4:-^$}" '
        index($1, g) && NF >= 4 && (($4 ~ re) == (mode == "deny")) && $3 !~ exempt {
            print $1 ": rule " $3 " would say " $4; bad = 1 }
        END { exit bad }' "$TMP/full"
}
# The status rules that read X.3.2 as notaccept are exempt: in a delay
# warning the status is 4.3.2, the remote's temporary "system not accepting
# network messages", which sisimai reads as notaccept too, and a delay stays
# soft whatever the reason (bt_verdict_finish).
ok "no rule would make a delay warning hard" reasons delay deny '^(userunknown|hostunknown|hasmoved|notaccept)$' \
    '^(generic[.]status[.]notaccept|rfc3463[.]x[.]3[.]2)$'
ok "no rule would make an auto-reply a failure" reasons autoreply allow '^(vacation|onhold|undefined)$'
done_testing
