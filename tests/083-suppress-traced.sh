#!/bin/sh
# --suppress in a batch run, beside the JSON Lines of the same run, over
# fixtures/ and over the shared corpus: every address gets one row, and
# every suppressed address is traced by its evidence to the records that
# caused it, which must be what the decision says they are.
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 not found"

trace() {
    "$PYTHON3" - "$1" "$2" "$BT_SRCDIR/rules/suppress.yaml" <<'EOF'
import csv, json, re, sys, time
from collections import defaultdict
import yaml

policy = yaml.safe_load(open(sys.argv[3]))
def key(addr):
    addr = addr.strip()
    head, semi, tail = addr.partition(";")
    if semi and "@" not in head:
        addr = tail
    addr = addr.strip().strip("<>").strip()
    local, at, domain = addr.rpartition("@")
    return f"{local}@{domain.lower()}" if at else addr
def locator(r):
    return f"{r['origin']}#{r['offset']}" if r.get("offset") is not None else r["origin"]
def when(r):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r["timestamp"])) if r["timestamp"] else "undated"

records = defaultdict(list)          # address -> records
by_place = defaultdict(list)         # (locator, address) -> records
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["recipient"]:
        records[key(r["recipient"])].append(r)
        by_place[(locator(r), key(r["recipient"]))].append(r)
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
assert sorted(r["address"] for r in rows) == sorted(records), "one row per address"
suppressed = 0
for row in rows:
    mine = records[row["address"]]
    assert int(row["count"]) == sum(1 for r in mine if r["reason"] not in policy["success"]), row
    if all(r["reason"] == "vacation" for r in mine):
        assert row["decision"] == "keep", row
    if row["decision"] != "suppress":
        continue
    suppressed += 1
    evidence = re.sub(r"^\(\d+ earlier\) ", "", row["evidence"]).split("; ")
    cited = []
    for part in evidence:
        where, status, stamp = part.rsplit(" ", 2)
        hits = [r for r in by_place[(where, row["address"])]
                if (r["deliverystatus"] or "-") == status and when(r) == stamp]
        assert hits, f"{row['address']}: no record for evidence {part!r}"
        cited.append(hits[0])
    kind, _, what = row["reason"].partition(": ")
    if kind == "hard bounce":
        assert len(cited) == 1 and cited[0]["reason"] == what in policy["hard"]["reasons"], row
        assert not (cited[0]["deliverystatus"] or "").startswith("4"), row
    elif kind == "complaint":
        assert cited[0]["reason"] == "feedback" and cited[0]["feedbacktype"].lower() == what, row
        assert what in policy["complaint"]["feedbacktypes"], row
    elif kind == "soft bounces":
        for r in cited:
            assert r["reason"] not in policy["never"] + policy["success"] + policy["hard"]["reasons"] \
                or (r["deliverystatus"] or "").startswith("4"), (row, r)
        assert len(cited) >= policy["soft"]["failures"], row
    else:
        sys.exit(f"unknown decision reason: {row}")
print(f"ok: {len(rows)} addresses, {suppressed} suppressed, all traced")
assert suppressed > 0, "nothing was suppressed: the check checked nothing"
EOF
}

find "$BT_SRCDIR/fixtures" -name '*.eml' | sort >"$TMP/inputs"
# shellcheck disable=SC2046
"$BT_BIN" --format=jsonl --suppress="$TMP/fixtures.csv" $(cat "$TMP/inputs") >"$TMP/fixtures.jsonl"
ok "fixtures: the list and the records in one run" test -s "$TMP/fixtures.csv" -a -s "$TMP/fixtures.jsonl"
ok "fixtures: every suppressed address is traced" trace "$TMP/fixtures.jsonl" "$TMP/fixtures.csv"

# The mbox sample: evidence names the message by its offset.
"$BT_BIN" --format=jsonl --suppress="$TMP/mbox.csv" "$BT_SRCDIR/fixtures/sample.mbox" >"$TMP/mbox.jsonl"
ok "mbox: the evidence names the message by its offset" grep -q "sample.mbox#[0-9]" "$TMP/mbox.csv"
ok "mbox: every suppressed address is traced" trace "$TMP/mbox.jsonl" "$TMP/mbox.csv"

corpus="$BT_SHARED/corpus/set-of-emails/maildir"
if [ -d "$corpus" ]; then
    "$BT_BIN" --format=jsonl --jobs=2 --suppress="$TMP/corpus.csv" "$corpus/bsd" "$corpus/not" >"$TMP/corpus.jsonl" 2>/dev/null
    ok "corpus: every suppressed address is traced" trace "$TMP/corpus.jsonl" "$TMP/corpus.csv"
fi
done_testing
