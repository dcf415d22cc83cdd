#!/bin/sh
# --suppress: each branch of the shipped policy (rules/suppress.yaml), on a
# hook store written here — as JSON Lines, and as the hook's SQLite table —
# with the records deliberately out of time order.
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 not found"

# The store: one record per line, each a message of its own (its digest).
"$PYTHON3" - "$TMP/store.jsonl" "$TMP/store.sqlite" <<'EOF'
import json, random, sqlite3, sys
DAY = 86400
T0 = 1717200000          # 2024-06-01
rows = []
def rec(addr, day, reason, status, feedbacktype=None, hard=None):
    n = len(rows)
    rows.append({"origin": "store", "timestamp": T0 + int(day * DAY), "recipient": addr,
                 "destination": addr.rpartition("@")[2].lower(), "reason": reason,
                 "deliverystatus": status, "feedbacktype": feedbacktype,
                 "hardbounce": status.startswith("5") if hard is None else hard,
                 "messagedigest": "d%03d" % n, "rule": "test", "cause": None, "checks": []})
rec("hard@example.com", 3, "userunknown", "5.1.1")
rec("hard@example.com", 1, "mailboxfull", "4.2.2")
rec("later@example.com", 2, "hostunknown", "4.4.3")            # a hard reason, but temporary
rec("complaint@example.com", 5, "feedback", "", "abuse")
rec("notspam@example.com", 5, "feedback", "", "not-spam")
for d in (0, 4, 8, 12, 16):
    rec("soft@example.com", d, "mailboxfull", "4.2.2")
for d in (0, 1, 2, 3, 4):
    rec("short@example.com", d, "mailboxfull", "4.2.2")
for h in range(5):
    rec("sameday@example.com", 1 + h / 24, "mailboxfull", "4.2.2")
rec("sameday@example.com", 20, "mailboxfull", "4.2.2")
for d in (0, 4, 8, 12):
    rec("recovered@example.com", d, "suspend", "4.2.1")
rec("recovered@example.com", 13, "delivered", "2.0.0", hard=False)
for d in (14, 20):
    rec("recovered@example.com", d, "suspend", "4.2.1")
for d in range(0, 30, 3):
    rec("vacation@example.com", d, "vacation", "")
for d in range(0, 30, 3):
    rec("blocked@example.com", d, "blocked", "5.7.1")
rec("rfc822; Mixed@Example.COM", 1, "userunknown", "5.1.1")
rec("<Mixed@example.com>", 2, "mailboxfull", "4.2.2")
rec("mixed@example.com", 2, "mailboxfull", "4.2.2")
random.Random(7).shuffle(rows)                                 # an archive is not in time order
with open(sys.argv[1], "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
db = sqlite3.connect(sys.argv[2])
db.execute("CREATE TABLE records (messagedigest TEXT NOT NULL, recipient TEXT NOT NULL, json TEXT NOT NULL, "
           "PRIMARY KEY (messagedigest, recipient))")
db.executemany("INSERT INTO records VALUES (?, ?, ?)",
               [(r["messagedigest"], r["recipient"], json.dumps(r)) for r in rows])
db.commit()
EOF

"$BT_BIN" --from-store="$TMP/store.jsonl" --suppress="$TMP/jsonl.csv"
ok "--from-store reads a JSON Lines store" test -s "$TMP/jsonl.csv"
"$BT_BIN" --from-store="$TMP/store.sqlite" --suppress="$TMP/sqlite.csv"
ok "--from-store reads the hook's SQLite table" test -s "$TMP/sqlite.csv"
ok "both stores give the same list" cmp "$TMP/jsonl.csv" "$TMP/sqlite.csv"

# decision ADDRESS WORD PATTERN: the row's decision, and its reason matching PATTERN.
decision() {
    "$PYTHON3" - "$TMP/jsonl.csv" "$@" <<'EOF'
import csv, re, sys
rows = {r["address"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
address, want, pattern = sys.argv[2:5]
row = rows.get(address)
if not row:
    sys.exit(f"{address}: no row (rows: {sorted(rows)})")
if row["decision"] != want or not re.search(pattern, row["reason"]):
    sys.exit(f"{address}: {row['decision']} / {row['reason']}, wanted {want} / {pattern}")
print(row)
EOF
}
ok "a hard bounce suppresses at once" decision hard@example.com suppress '^hard bounce: userunknown$'
ok "a hard reason with a 4.x.x status is soft" decision later@example.com watch '^soft bounces: 1 of 5'
ok "an abuse complaint suppresses at once" decision complaint@example.com suppress '^complaint: abuse$'
ok "a not-spam report does not" decision notspam@example.com keep '^never suppressed'
ok "five soft bounces over 16 days suppress" decision soft@example.com suppress '^soft bounces: 5 of 5 failures .* over 16\.0 of 14 days'
ok "five soft bounces within 3 days only watch" decision short@example.com watch '5 of 5 failures .* over 4\.0 of 14 days'
ok "bounces of one day count once" decision sameday@example.com watch '^soft bounces: 2 of 5'
ok "a delivery resets the soft count" decision recovered@example.com watch '^soft bounces: 2 of 5 failures .* over 6\.0'
ok "vacation never suppresses" decision vacation@example.com keep '^never suppressed: vacation$'
ok "the sender's own problems never suppress" decision blocked@example.com keep '^never suppressed: blocked$'
ok "addresses: domain case-insensitive, prefix and brackets stripped" decision Mixed@example.com suppress '^hard bounce'
ok "addresses: the local part as written" decision mixed@example.com watch '^soft bounces: 1 of 5'

ok "the evidence names the records behind each decision" "$PYTHON3" - "$TMP/jsonl.csv" "$TMP/store.jsonl" <<'EOF'
import csv, json, sys, time
records = {r["messagedigest"]: r for r in map(json.loads, open(sys.argv[2]))}
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert [r["decision"] for r in rows] == sorted((r["decision"] for r in rows),
        key=["suppress", "watch", "keep"].index), "suppressed rows first"
for row in rows:
    parts = row["evidence"].split("; ")
    assert parts and parts[0], row
    for part in parts:
        where, status, when = part.split(" ")
        rec = records[where.removeprefix("digest:")]
        local, _, domain = rec["recipient"].split(";")[-1].strip(" <>").rpartition("@")
        assert f"{local}@{domain.lower()}" == row["address"], (row, rec)
        assert status == (rec["deliverystatus"] or "-"), (row, rec)
        assert when == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(rec["timestamp"])), (row, rec)
soft = next(r for r in rows if r["address"] == "soft@example.com")
assert len(soft["evidence"].split("; ")) == 5 and soft["count"] == "5", soft
assert soft["first_bounce"] == "2024-06-01T00:00:00Z" and soft["last_bounce"] == "2024-06-17T00:00:00Z", soft
rec_ = next(r for r in rows if r["address"] == "recovered@example.com")
assert len(rec_["evidence"].split("; ")) == 2 and rec_["count"] == "6", rec_
EOF

# A changed policy, found in a --rules directory, changes the decisions.
mkdir -p "$TMP/rules"
cat >"$TMP/rules/suppress.yaml" <<'EOF'
hard:
  reasons: [userunknown]
complaint:
  feedbacktypes: [abuse]
soft:
  failures: 2
  days: 1
  once-per-day: false
success: [delivered]
never: [vacation]
EOF
"$BT_BIN" --rules="$TMP/rules" --from-store="$TMP/store.jsonl" --suppress="$TMP/changed.csv"
ok "a policy in --rules DIR replaces the shipped one" sh -c '
    grep -q "^short@example.com,suppress,\"soft bounces: 5 of 2 failures over 4.0 of 1 days" "$1" &&
    grep -q "^blocked@example.com,suppress," "$1" && grep -q "^vacation@example.com,keep," "$1"' sh "$TMP/changed.csv"

# The report reads a store too.
"$BT_BIN" --from-store="$TMP/store.sqlite" --report="$TMP/store.html"
ok "--report works with --from-store" sh -c '
    n=$(grep -c "" "$2"); grep -q "id=\"fig-records\" data-n=\"$n\"" "$1" && grep -q "id=\"fig-messages\" data-n=\"$n\"" "$1"' \
    sh "$TMP/store.html" "$TMP/store.jsonl"
# A retried hook delivery (the same digest stored twice in JSON Lines) counts once.
head -n 1 "$TMP/store.jsonl" >>"$TMP/store.jsonl"
"$BT_BIN" --from-store="$TMP/store.jsonl" --report="$TMP/retry.html"
ok "a message stored twice counts once" sh -c '
    n=$(($(grep -c "" "$2") - 1)); grep -q "id=\"fig-records\" data-n=\"$n\"" "$1"' sh "$TMP/retry.html" "$TMP/store.jsonl"
done_testing
