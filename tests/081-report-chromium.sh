#!/bin/sh
# --report in a real browser: the report of every fixture is rendered in
# headless Chromium, and the figures it shows are checked against the JSON
# Lines records and against --summary of the same input; the page must log
# no console error, draw its four charts, keep its tables with JavaScript
# off, and neutralise hostile record text.  The screenshots stay in the
# build directory (tests/report-*.png) for a person to look at.
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 not found"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip_all "chromium not installed (contrib/install-deps.sh)"
CHARTJS=/usr/share/javascript/chart.js/chart.min.js
[ -r "$CHARTJS" ] || skip_all "libjs-chart.js not installed (contrib/install-deps.sh)"
export BOUNCETRIAGE_CHARTJS="$CHARTJS"
SHOTS="$BT_BUILDDIR/tests"
export HOME="$TMP"

# browse URL OUT-PREFIX [extra flags]: the DOM after scripts ran (OUT.dom),
# the console as Chromium logs it (OUT.log), a screenshot (OUT.png).
browse() {
    url=$1 out=$2
    shift 2
    flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
           --disable-sync --no-first-run --user-data-dir=$(mktemp -d "$TMP/chromium.XXXXXX")"
    # shellcheck disable=SC2086
    timeout 120 "$CHROMIUM" $flags --enable-logging=stderr --v=0 "$@" --dump-dom "$url" >"$out.dom" 2>"$out.log"
    # shellcheck disable=SC2086
    timeout 120 "$CHROMIUM" $flags "$@" --screenshot="$out.png" "$url" >/dev/null 2>&1
}

# console_clean LOG: no uncaught exception nor console.error/warn, and the
# page's own line saying what it drew (so a silent console is not a dead one).
console_clean() {
    grep 'CONSOLE' "$1" >&2 || { echo "no console line at all" >&2; return 1; }
    ! grep -E 'CONSOLE.*(Uncaught|Error|error)|:(ERROR|WARNING):CONSOLE' "$1" >&2
}

# The checker must see an error when there is one.
cat >"$TMP/broken.html" <<'EOF'
<!DOCTYPE html><html><body><script>console.log("alive"); null.x = 1;</script></body></html>
EOF
browse "file://$TMP/broken.html" "$TMP/broken"
fails() { ! "$@" 2>/dev/null; }
ok "the console check catches an uncaught exception" fails console_clean "$TMP/broken.log"
ok "the console check sees the exception" grep -q 'Uncaught' "$TMP/broken.log"

# ---- the report of fixtures/ -------------------------------------------------------
find "$BT_SRCDIR/fixtures" -name '*.eml' | sort >"$TMP/inputs"
# shellcheck disable=SC2046
"$BT_BIN" --format=jsonl --report="$TMP/report.html" $(cat "$TMP/inputs") >"$TMP/records.jsonl"
ok "--report writes the page with the records" test -s "$TMP/report.html" -a -s "$TMP/records.jsonl"
# shellcheck disable=SC2046
"$BT_BIN" --format=jsonl --summary $(cat "$TMP/inputs") 2>"$TMP/summary.txt" >/dev/null
ok "the page inlines Chart.js and loads nothing" sh -c '
    grep -q "Chart.js v" "$1" && ! grep -Eiq "<(script|link|img)[^>]* (src|href)=" "$1"' sh "$TMP/report.html"

browse "file://$TMP/report.html" "$TMP/report" --window-size=1280,2400
cp "$TMP/report.png" "$SHOTS/report-fixtures.png" 2>/dev/null
ok "the page logs no console error" console_clean "$TMP/report.log"
ok "the page draws its five charts" grep -q 'data-charts="5"' "$TMP/report.dom"
ok "a screenshot was taken" test -s "$SHOTS/report-fixtures.png"

ok "the figures shown match the records and --summary" "$PYTHON3" - "$TMP/report.dom" "$TMP/records.jsonl" "$TMP/summary.txt" <<'EOF'
import html.parser, json, re, sys
from collections import Counter, defaultdict

class Page(html.parser.HTMLParser):
    """The figures (id="fig-*" data-n) and each table's rows as cell texts."""
    def __init__(self):
        super().__init__()
        self.figures, self.tables = {}, defaultdict(list)
        self.table = self.row = self.cell = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id", "").startswith("fig-"):
            self.figures[a["id"][4:]] = int(a["data-n"])
        if tag == "table":
            self.table = a.get("id")
        elif tag == "tr" and self.table:
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell = ""
    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row.append(self.cell.strip()); self.cell = None
        elif tag == "tr" and self.row:
            self.tables[self.table].append(self.row); self.row = None
        elif tag == "table":
            self.table = None
    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

page = Page()
page.feed(open(sys.argv[1]).read())
records = [json.loads(l) for l in open(sys.argv[2])]

# --summary's plain form: "messages: N", then "by reason:" sections of "  key  N"
summary, section = {}, None
for line in open(sys.argv[3]):
    m = re.match(r"^(messages|bounces|records):\s+(\d+)", line)
    if m:
        summary[m.group(1)] = int(m.group(2)); continue
    m = re.match(r"^by (\w+):", line)
    if m:
        section = summary.setdefault(m.group(1), {}); continue
    m = re.match(r"^  (.*\S)\s+(\d+)$", line)
    if m and section is not None:
        section[m.group(1)] = int(m.group(2))

def check(what, got, want):
    if got != want:
        sys.exit(f"{what}: the page shows {got}, expected {want}")

f = page.figures
check("messages", f["messages"], summary["messages"])
check("bounces", f["bounces"], summary["bounces"])
check("records", f["records"], summary["records"])
check("records vs JSONL", f["records"], len(records))
check("hard", f["hard"], sum(1 for r in records if r["hardbounce"]))
check("soft", f["soft"], sum(1 for r in records if not r["hardbounce"]))
fallback = sum(1 for r in records if not r["rule"] or r["rule"].startswith(("rfc3463.", "keyword."))
               or r["reason"] in ("onhold", "undefined"))
check("fallback", f["fallback"], fallback)
check("specific", f["specific"], len(records) - fallback)

def table(name, key=0, count=1):
    return {row[key]: int(row[count]) for row in page.tables[name]}
check("reasons", table("t-reasons"), summary["reason"])
check("causes", table("t-causes"), summary["cause"])
check("destinations", table("t-destinations"), summary["destination"])

def address(r):
    local, _, domain = r.rpartition("@")
    return f"{local}@{domain.lower()}" if local else r
per = Counter(address(r["recipient"]) for r in records if r["recipient"])
check("distinct addresses", f["recipients"], len(per))
shown = table("t-recipients", 0, 3)
# a page with more addresses than its table holds shows those with most
# bounces and says so ("The N addresses with most bounces are shown, of M")
cut = re.search(r'id="recipients-cut"[^>]*>The (\d+) addresses with most bounces are shown, of (\d+)',
                open(sys.argv[1]).read())
if cut:
    check("the cut note's total", int(cut.group(2)), len(per))
    check("rows shown under the cut", len(shown), int(cut.group(1)))
    check("shown rows' counts", shown, {a: per[a] for a in shown})
    left = [n for a, n in per.items() if a not in shown]
    check("no address left out has more bounces than one shown",
          max(left) <= min(shown.values()), True)
else:
    check("recipients table", shown, dict(per))
last = {}
for r in sorted((r for r in records if r["recipient"]), key=lambda r: r["timestamp"] or 0):
    last[address(r["recipient"])] = r["reason"]
check("each recipient's latest reason", {row[0]: row[1] for row in page.tables["t-recipients"]},
      {a: last[a] for a in shown})
fix = page.tables["t-fix"]
counts = [int(row[2]) for row in fix]
check("fix first is ranked by addresses", counts, sorted(counts, reverse=True))
causes = {r["cause"]["id"] for r in records if r["cause"]}
check("fix first lists every cause", len(fix), len(causes))
print(f"ok: {f['messages']} messages, {f['records']} records, {len(per)} addresses, {len(causes)} causes")
EOF

# ---- a phone, and JavaScript off -------------------------------------------------------
browse "file://$TMP/report.html" "$TMP/phone" --window-size=390,1600
cp "$TMP/phone.png" "$SHOTS/report-phone.png" 2>/dev/null
ok "on a phone-sized window too, no console error" console_clean "$TMP/phone.log"
# Chromium's --dump-dom needs scripts itself, so "JavaScript off" is the
# page with its scripts cut out: what a browser without them shows.
"$PYTHON3" -c 'import re, sys; sys.stdout.write(re.sub(r"(?s)<script.*?</script>", "", open(sys.argv[1]).read()))' \
    "$TMP/report.html" >"$TMP/nojs.html"
browse "file://$TMP/nojs.html" "$TMP/nojs" --window-size=1280,1600
cp "$TMP/nojs.png" "$SHOTS/report-nojs.png" 2>/dev/null
ok "with JavaScript off the tables are all there" sh -c '
    test "$(grep -c "<tr>" "$1")" -eq "$(grep -c "<tr>" "$2")" && grep -q "class=\"nojs\"" "$2" && ! grep -q data-charts "$2"' \
    sh "$TMP/report.dom" "$TMP/nojs.dom"

# ---- hostile record text -------------------------------------------------------------
cat >"$TMP/hostile.jsonl" <<'EOF'
{"origin":"x","timestamp":1700000000,"recipient":"a</script><script>document.title='pwned'</script>@example.com","destination":"<img src=x onerror=document.title='pwned'>.example.com","senderdomain":"example.org","reason":"userunknown","deliverystatus":"5.1.1","hardbounce":true,"cause":{"id":"x.</script>","summary":"<b onmouseover=alert(1)>bold</b> & \"quoted\""},"severity":"high","remediation":["<iframe src=javascript:alert(1)>"],"rule":"x","checks":[],"messagedigest":"d1"}
EOF
"$BT_BIN" --from-store="$TMP/hostile.jsonl" --report="$TMP/hostile.html"
browse "file://$TMP/hostile.html" "$TMP/hostile" --window-size=800,800
ok "hostile text stays text" "$PYTHON3" - "$TMP/hostile.dom" <<'EOF'
import sys
dom = open(sys.argv[1]).read()
for bad in ("<img", "<iframe", "<b ", "pwned</title>"):
    assert bad not in dom, bad
assert dom.count("<script") == 3, dom.count("<script")   # data, Chart.js, the page's own
assert 'data-charts="5"' in dom
assert "a&lt;/script&gt;&lt;script&gt;" in dom
EOF
ok "hostile text leaves the console clean" console_clean "$TMP/hostile.log"
done_testing
