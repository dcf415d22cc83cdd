#!/bin/sh
# A message saved on its own with its mbox separator and a blank-looking
# line before the header (issue 12 class 7) is repaired and read, from a
# file and from stdin, not skipped as an mbox entry without a header; a
# real mbox still splits.  (Not a fixture: procmail, which 050 runs over
# every fixture, consumes a leading From_ line itself.)
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to read JSON"

notice() {   # RECIPIENT
    cat <<MSG
Return-Path: <>
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: quinn@example.com
Subject: Undelivered Mail Returned to Sender
Date: Thu, 08 Aug 2024 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<$1>: host mail.example.org[198.51.100.61] said: 550 5.1.1
    <$1>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

MSG
}

{ printf 'From MAILER-DAEMON  Thu Aug  8 10:00:00 2024\n   \n'; notice rosa@example.org; } >"$TMP/saved.eml"
{ printf 'From MAILER-DAEMON  Thu Aug  8 10:00:00 2024\n\t\n'; notice rosa@example.org; } >"$TMP/saved-tab.eml"
{ printf 'From MAILER-DAEMON  Thu Aug  8 10:00:00 2024\n'; notice ada@example.org;
  printf 'From MAILER-DAEMON  Thu Aug  8 10:05:00 2024\n'; notice bo@example.org; } >"$TMP/two.mbox"

ok "from a file: read and decoded, not skipped" sh -c '
    out=$("$1" --format=jsonl "$2" | "$3" -c "$4") && [ "$out" = "rosa@example.org/userunknown" ]' \
    sh "$BT_BIN" "$TMP/saved.eml" "$PYTHON3" 'import json,sys; print(" ".join(json.loads(l)["recipient"]+"/"+json.loads(l)["reason"] for l in sys.stdin))'
ok "from stdin, a tab as the blank-looking line" sh -c '
    out=$("$1" --format=jsonl <"$2" | "$3" -c "$4") && [ "$out" = "rosa@example.org/userunknown" ]' \
    sh "$BT_BIN" "$TMP/saved-tab.eml" "$PYTHON3" 'import json,sys; print(" ".join(json.loads(l)["recipient"]+"/"+json.loads(l)["reason"] for l in sys.stdin))'
ok "a real mbox still gives one record per entry" sh -c '
    out=$("$1" --format=jsonl "$2" | "$3" -c "$4") && [ "$out" = "ada@example.org bo@example.org" ]' \
    sh "$BT_BIN" "$TMP/two.mbox" "$PYTHON3" 'import json,sys; print(" ".join(json.loads(l)["recipient"] for l in sys.stdin))'
done_testing
