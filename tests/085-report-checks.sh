#!/bin/sh
# --report with --check=dns against a local name server (dnsmasq serving
# the fixture zone): the sending domains table and the "fix first" table
# carry what the checks found, per domain.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/checks-lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 not found"
start_dnsmasq

make_bounces "$TMP/in.mbox" 30 "bulk0.test bulk1.test bulk2.test"
"$BT_BIN" --check=dns --nameserver "$NS" --format=jsonl --report="$TMP/report.html" "$TMP/in.mbox" >"$TMP/out.jsonl"
ok "the run succeeds" test -s "$TMP/report.html" -a -s "$TMP/out.jsonl"
ok "the report shows each sending domain with its checks' findings" "$PYTHON3" - "$TMP/report.html" "$TMP/out.jsonl" <<'PY'
import html.parser, json, sys
from collections import defaultdict

class Cells(html.parser.HTMLParser):
    """Each table's rows: every cell's text, and the findings (li) in it."""
    def __init__(self):
        super().__init__()
        self.tables = defaultdict(list); self.table = None; self.row = None; self.depth = 0
    def handle_starttag(self, tag, attrs):
        if tag == "table": self.table = dict(attrs).get("id")
        elif tag == "tr" and self.table: self.row = []
        elif tag == "td" and self.row is not None: self.row.append("")
        elif tag == "li" and self.row: self.row[-1] += "\n"
    def handle_endtag(self, tag):
        if tag == "tr" and self.row: self.tables[self.table].append(self.row); self.row = None
        elif tag == "table": self.table = None
    def handle_data(self, data):
        if self.row: self.row[-1] += data

page = Cells(); page.feed(open(sys.argv[1]).read())
records = [json.loads(l) for l in open(sys.argv[2])]
want = defaultdict(set)                 # sender domain -> "name target: status"
for r in records:
    for c in r["checks"]:
        want[r["senderdomain"]].add(f"{c['name']} {c['target']}: {c['status']}")
assert len(want) == 3, want
senders = {row[0]: row for row in page.tables["t-senders"]}
for domain, findings in want.items():
    cell = senders[domain][2]
    for f in findings:
        assert f in cell, (domain, f, cell)
    assert "problem" in cell, cell      # the fixture zone's SPF softfails the sending address
fix = page.tables["t-fix"]
assert fix, "no fix-first row"
cause = {r["cause"]["id"] for r in records}
assert len(fix) == len(cause) and all(any(row[1].startswith(c) for c in cause) for row in fix), (fix, cause)
assert all("dns.spf" in row[6] for row in fix), fix
assert "The checks did not run" not in open(sys.argv[1]).read()
PY
done_testing
