#!/bin/sh
# A crash or an allocation failure in triage costs the verdict, never the
# mail: with BOUNCETRIAGE_TEST_FAULT making triage segfault, abort, or run
# out of memory under an address-space limit, --hook still delivers the
# message (unclassified, with X-Bounce-Error) and stores a record saying
# triage failed, exit 0; --annotate passes the message on unchanged but for
# X-Bounce-Error, exit 0.
. "$BT_SRCDIR/tests/lib.sh"
command -v sha256sum >/dev/null || skip_all "sha256sum is needed"
ulimit -c 0   # the crashes are on purpose: no core files

msg="$TMP/dsn.eml"
cat >"$msg" <<'EOT'
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sender@example.com
Subject: Undelivered Mail Returned to Sender FAULTHERE
Message-ID: <dsn.faults@mx.example.net>
X-Bounce-Reason: mailboxfull
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; user@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <user@example.org>: Recipient address rejected: User unknown

--B--
EOT
# the message as it must come out: the forged field gone, ours on top
grep -v '^X-Bounce-Reason:' "$msg" >"$TMP/body"
digest=$(sha256sum "$msg" | cut -d' ' -f1)

# An address-space limit needs a binary without AddressSanitizer (its
# shadow memory alone is terabytes of address space).
if nm "$BT_BIN" 2>/dev/null | grep -q __asan_init || ldd "$BT_BIN" 2>/dev/null | grep -q libasan; then
    kinds="segv abort"
    echo "# AddressSanitizer build: oom under ulimit -v is not run"
else
    kinds="segv abort oom"
fi

run_fault() {   # run_fault KIND CMD…: the command with the fault (oom: under 250 MB)
    kind=$1; shift
    if [ "$kind" = oom ]; then
        (ulimit -v 256000; BOUNCETRIAGE_TEST_FAULT=oom:FAULTHERE "$@")
    else
        BOUNCETRIAGE_TEST_FAULT=$kind:FAULTHERE "$@"
    fi
}

# out_is FILE: FILE is one X-Bounce-Error field, then the message
out_is() {
    head -n1 "$1" | grep -q '^X-Bounce-Error: triage' &&
        tail -n +2 "$1" | cmp - "$TMP/body" &&
        ! grep -q '^X-Bounce-Reason:' "$1"
}

for kind in $kinds; do
    md="$TMP/md-$kind"
    log="$TMP/log-$kind.jsonl"
    run_fault "$kind" "$BT_BIN" --hook --output="$log" --maildir="$md" <"$msg" 2>"$TMP/err-$kind"
    echo $? >"$TMP/status-$kind"
    ok "$kind: --hook exits 0" sh -c 'cat "$1"; test "$(cat "$2")" -eq 0' sh "$TMP/err-$kind" "$TMP/status-$kind"
    ok "$kind: the message is in unclassified/new/, named by its digest" \
        sh -c 'ls "$1/unclassified/new" | grep -qx "$2\\.bouncetriage,S=[0-9]*" &&
               test "$(find "$1" -type f | wc -l)" -eq 1' sh "$md" "$digest"
    ok "$kind: stored as it came, but for X-Bounce-Error" out_is "$md"/unclassified/new/*
    ok "$kind: one record, saying triage failed" \
        sh -c 'test "$(wc -l <"$1")" -eq 1 &&
               grep -q "\"messagedigest\":\"$2\",\"cause\":{\"id\":\"bouncetriage.triage-failed\"" "$1" &&
               grep -q "\"reason\":\"undefined\"" "$1" && grep -q "/unclassified/new/$2" "$1"' \
        sh "$log" "$digest"
    ok "$kind: the log says why" grep -q 'triage failed: killed by signal' "$TMP/err-$kind"

    run_fault "$kind" "$BT_BIN" --hook --output="$TMP/only-$kind.jsonl" <"$msg" 2>/dev/null
    ok "$kind: --hook --output alone exits 0 with the record" \
        sh -c 'test $1 -eq 0 && grep -q "bouncetriage.triage-failed" "$2"' sh $? "$TMP/only-$kind.jsonl"

    run_fault "$kind" "$BT_BIN" --annotate <"$msg" >"$TMP/annotated-$kind" 2>/dev/null
    ok "$kind: --annotate exits 0" test $? -eq 0
    ok "$kind: --annotate passes the message on with X-Bounce-Error" out_is "$TMP/annotated-$kind"
done

# a file size limit (RLIMIT_FSIZE): 75 for the MTA, not death by SIGXFSZ
(ulimit -f 1; exec "$BT_BIN" --hook --output="$TMP/fsize.jsonl" --maildir="$TMP/md-fsize" <"$msg" 2>/dev/null)
ok "a file size limit: --hook answers 75, not a signal" test $? -eq 75

# the same message without a fault gets its verdict
"$BT_BIN" --hook --output="$TMP/good.jsonl" --maildir="$TMP/md-good" <"$msg"
ok "without a fault the verdict files it by reason" \
    sh -c 'test "$(ls "$1/userunknown/new" | wc -l)" -eq 1 && grep -q "\"reason\":\"userunknown\"" "$2"' \
    sh "$TMP/md-good" "$TMP/good.jsonl"
done_testing
