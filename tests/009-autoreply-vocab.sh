#!/bin/sh
# The auto-reply decoder's words are data (rules/layouts/autoreply.yaml):
# a rule directory's layouts/ adds to them, broken vocabulary is reported
# as file:line:col with exit status 78, and a layout set without them is
# refused.
. "$BT_SRCDIR/tests/lib.sh"

# a person's absence notice with no RFC 3834 field, no reply header and a
# subject label the shipped list does not know
cat >"$TMP/away.eml" <<'EOF'
Return-Path: <jan.novak@example.org>
From: Jan Novak <jan.novak@example.org>
To: Sales Team <sales@example.com>
Subject: Away notice: Jan Novak
Date: Tue, 16 Jul 2024 09:12:44 +0200
Message-ID: <away-7731@mail.example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Thank you for your message. I will be back on 29 July and will read it
then. For urgent questions please write to office@example.org.

Jan Novak
EOF
mkdir -p "$TMP/away/layouts"
cat >"$TMP/away/layouts/away.yaml" <<'YAML'
autoreply:
  subject-labels:
    - 'away notice:'
YAML
no_record() { "$BT_BIN" <"$TMP/away.eml" >"$TMP/out" && ! test -s "$TMP/out"; }
ok "an unknown subject label gives no record" no_record
user_label() {
    "$BT_BIN" --rules "$TMP/away" <"$TMP/away.eml" >"$TMP/out" || return 1
    cat "$TMP/out"
    test "$(wc -l <"$TMP/out")" -eq 1 && grep -q '"recipient":"jan.novak@example.org"' "$TMP/out" &&
        grep -q '"reason":"vacation"' "$TMP/out" && grep -q '"decodedby":"RFC3834"' "$TMP/out"
}
ok "a subject label added by a rule directory makes it an auto-reply" user_label
ok "the added directory passes --lint-rules" "$BT_BIN" --lint-rules --rules "$TMP/away"

mkdir -p "$TMP/bad/layouts"
cat >"$TMP/bad/layouts/bad.yaml" <<'YAML'
autoreply:
  subject-labels: 42
  subject-topics:
    - Out of Office
    - ''
  header-marker:
    - { name: X-Away }
  header-markers:
    - { name: 'X Away', value: Away }
    - { value: away }
    - [ X-Away ]
YAML
ok "broken vocabulary makes --lint-rules exit 78" lint_fails "$TMP/bad"
ok "a number for a list is reported at its place" grep -q "bad.yaml:2:19: subject-labels must be a list" "$TMP/err"
ok "a label not case-folded is reported" \
    grep -q "bad.yaml:4:7: subject-topics are compared with the case-folded subject: write 'out of office'" "$TMP/err"
ok "an empty phrase is reported" grep -q "bad.yaml:5:7: an empty phrase" "$TMP/err"
ok "an unknown key is reported" grep -q "bad.yaml:6:3: unknown key 'header-marker' in autoreply" "$TMP/err"
ok "a bad header name is reported" grep -q "bad.yaml:9:15: 'X Away' is no header field name" "$TMP/err"
ok "an upper-case marker value is reported" grep -q "bad.yaml:9:32: a marker's value must be" "$TMP/err"
ok "a marker without a name is reported" grep -q "bad.yaml:10:7: a header marker needs a name" "$TMP/err"
ok "a marker that is no map is reported" grep -q "bad.yaml:11:7: a header marker must be a map" "$TMP/err"
run_refuses() { "$BT_BIN" --rules "$TMP/bad" <"$TMP/away.eml" >/dev/null 2>&1; test $? -eq 78; }
ok "a normal run refuses broken vocabulary with 78" run_refuses

# the shipped layouts without autoreply.yaml
mkdir -p "$TMP/novocab"
cp "$BT_SRCDIR"/rules/layouts/*.yaml "$TMP/novocab/"
rm "$TMP/novocab/autoreply.yaml"
missing_fails() {
    BOUNCETRIAGE_LAYOUTS="$TMP/novocab" "$BT_BIN" <"$TMP/away.eml" 2>"$TMP/err"
    st=$?; cat "$TMP/err"; test $st -eq 78
}
ok "layouts without the auto-reply vocabulary are refused with 78" missing_fails
ok "the missing file is named" grep -q "novocab/autoreply.yaml:1:1: no layout file holds the auto-reply vocabulary" "$TMP/err"
done_testing
