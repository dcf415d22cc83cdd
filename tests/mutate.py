#!/usr/bin/env python3
"""Mutation harness: does extraction generalise beyond the layouts it was
written for?

Every fixture whose expected records name a recipient is rewritten into the
variants another MTA, gateway or version would plausibly print (issue 12's
failure classes): DSNs without the per-recipient group, internal
Final-Recipients, repeated blocks, decorated addresses, diagnostics below a
lead-in or wrapped over indented lines, odd line endings and header starts,
the sender's own address in the text, other transfer encodings, an HTML-only
notice; replies wrapped at 72-78 columns with and without indentation, a
Diagnostic-Code folded over several lines, report field names in another
case, the notice in other charsets (ISO-2022-JP, ISO-8859-1, windows-1252,
UTF-8 8bit), the original returned as text/rfc822-headers, the whole DSN
returned inside another bounce (a double bounce: the inner report's
recipients count, as its own report names them), recipients named only in
X-Failed-Recipients, "<addr>" lines under an intro in another language,
the notice base64-encoded with CRLF line ends inside, delivery-status
fields folded onto tab-indented lines, a delivery-status part without its
per-message fields, and recipients written with a display name in the text;
the delivery-status part before the text, the Subject localised
("Unzustellbar:", "Non remis :", "配信不能:" over a generic English one),
8-bit UTF-8 text with no charset declared, quoted-printable soft breaks
inside addresses and status codes, a gateway's Received:/X- trace above
the notice, and the notice forwarded inline by a person (no bounce: it
must give no record); the notice in UTF-16, GB18030, KOI8-R, Shift_JIS
or Big5 (where its script allows), the whole bounce enclosed in a list
manager's "Uncaught bounce notification" or attached as a "*.eml" file,
an HTML-table-only or HTML-first multipart/alternative notice,
full-width CJK punctuation and French no-break spaces before colons,
Status comments and Diagnostic-Codes without their type, the returned
message reduced to its body or to its Received: lines, and a long
folded Subject.  Each variant is triaged (one batch per mutation) and compared with
the fixture's own result: the same recipients must come out, and for
mutations that do not touch the wording, the same reason.

Usage: mutate.py BIN FIXTURES_DIR [--floor FILE] [--keep DIR] [--only NAME]
           [--show-failures] [--write-floor FILE]
Without --floor it prints a table of pass rates per mutation; with --floor
it is a TAP test: each mutation's passes must reach its floor.
"""

import argparse
import base64
import copy
import email
import email.policy
import json
import os
import quopri
import re
import subprocess
import sys
import tempfile

ADDR = re.compile(r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


# --- reading fixtures ----------------------------------------------------

def load_cases(fixtures):
    cases = []
    for root, _dirs, files in os.walk(fixtures):
        for name in sorted(files):
            if not name.endswith(".json"):
                continue
            eml = os.path.join(root, name[:-5] + ".eml")
            if not os.path.exists(eml):
                continue
            with open(os.path.join(root, name), encoding="utf-8") as f:
                expected = json.load(f)
            recips = [r.get("recipient", "") for r in expected]
            if recips and not all(recips):
                continue
            with open(eml, "rb") as f:
                raw = f.read()
            cases.append({"name": os.path.relpath(eml, fixtures), "raw": raw,
                          "negative": not recips})
    cases.sort(key=lambda c: c["name"])
    return cases


def triage(binary, messages):
    """messages: {name: bytes}.  Returns {name: [records]}."""
    out = {name: [] for name in messages}
    with tempfile.TemporaryDirectory(prefix="bt-mutate-") as tmp:
        index = {}
        for i, (name, raw) in enumerate(sorted(messages.items())):
            path = os.path.join(tmp, "m%05d.eml" % i)
            with open(path, "wb") as f:
                f.write(raw)
            index[path] = name
        proc = subprocess.run([binary, "--format=jsonl", "--quiet", tmp],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              check=False)
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            rec = json.loads(line)
            name = index.get(rec.get("origin"))
            if name is not None:
                out[name].append(rec)
    return out


# --- helpers over raw messages --------------------------------------------

def split_head(raw):
    """(header bytes with its final newline, body bytes)."""
    m = re.search(rb"\r?\n\r?\n", raw)
    if not m:
        return raw, b""
    return raw[:m.end()], raw[m.end():]


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def serialise(msg):
    return msg.as_bytes(policy=email.policy.compat32)


def dsn_part(msg):
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            return part
    return None


def notice_part(msg):
    """The first text/plain part of the notice itself (not of a returned
    message), or None."""
    def walk(m):
        if m.get_content_type() in ("message/rfc822", "text/rfc822-headers",
                                    "message/delivery-status"):
            return None
        if m.is_multipart():
            for sub in m.get_payload():
                found = walk(sub)
                if found is not None:
                    return found
            return None
        return m if m.get_content_type() == "text/plain" else None
    return walk(msg)


def part_text(part):
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return None


def notice_of(raw):
    """The parsed message, its notice part (or None) and that part's text
    (or None): what most mutations start from."""
    msg = parse(raw)
    part = notice_part(msg)
    return msg, part, (part_text(part) if part is not None else None)


def set_text(part, text, cte="8bit"):
    """Replace a leaf part's text, keeping its charset, in encoding cte."""
    charset = part.get_content_charset() or "us-ascii"
    try:
        data = text.encode(charset)
    except (LookupError, UnicodeEncodeError):
        data = text.encode("utf-8")
        part.set_param("charset", "utf-8")
    if cte == "base64":
        body = base64.encodebytes(data).decode("ascii")
    elif cte == "quoted-printable":
        body = quopri.encodestring(data).decode("ascii")
    else:
        body = data.decode("ascii", "surrogateescape")
        cte = "8bit" if any(b > 127 for b in data) else "7bit"
    del part["Content-Transfer-Encoding"]
    part["Content-Transfer-Encoding"] = cte
    part.set_payload(body)


def recipients_of(records):
    return sorted({r["recipient"].lower() for r in records})


# --- the mutations ------------------------------------------------------------
# Each takes (raw, reference records) and returns the variant's bytes, or None
# when it does not apply to that fixture.

def m_crlf(raw, ref):
    if b"\r\n" in raw:
        return None
    return raw.replace(b"\n", b"\r\n")


def m_bare_cr(raw, ref):
    """Classic Mac OS line ends: bare CRs only."""
    if b"\r" in raw:
        return None
    return raw.replace(b"\n", b"\r")


def m_leading_white_line(raw, ref):
    return b" \t\n" + raw


def m_from_residue(raw, ref):
    return b">From MAILER-DAEMON  Tue Jul 23 12:00:00 2024\n" + raw


def m_mbox_from_line(raw, ref):
    return b"From MAILER-DAEMON Tue Jul 23 12:00:00 2024\n" + raw


def recipient_elsewhere(msg, recips):
    """Whether every recipient can be read outside the DSN part."""
    seen = " ".join(str(h) for h in msg.get_all("X-Failed-Recipients", []))
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status" or part.is_multipart():
            continue
        if part.get_content_type() == "message/rfc822":
            continue
        text = part_text(part)
        if text:
            seen += text
    seen = seen.lower()
    return all(r in seen for r in recips)


def m_dsn_no_recipient_group(raw, ref):
    msg = parse(raw)
    part = dsn_part(msg)
    if part is None or not recipient_elsewhere(msg, recipients_of(ref)):
        return None
    groups = part.get_payload()
    if not isinstance(groups, list) or len(groups) < 2:
        return None
    part.set_payload(groups[:1])
    return serialise(msg)


def internal_final(kind):
    def mutate(raw, ref):
        msg = parse(raw)
        part = dsn_part(msg)
        if part is None:
            return None
        groups = part.get_payload()
        if not isinstance(groups, list) or len(groups) < 2:
            return None
        changed = False
        for g in groups[1:]:
            # str(): a field with 8-bit bytes comes back as a Header object
            fr = str(g.get("Final-Recipient") or "")
            if not fr:
                continue
            # the address the reference reports for this block
            found = [a.group(0) for a in (ADDR.search(fr), ADDR.search(str(g.get("Original-Recipient") or "")))
                     if a and a.group(0).lower() in recipients_of(ref)]
            if not found:
                continue
            local, domain = found[0].rsplit("@", 1)
            internal = {
                "percent": "rfc822; %s%%%s@relay.example.net" % (local, domain),
                "x400": "x400; /C=ZZ/ADMD= /PRMD=example/O=mail/S=%s/" % local,
                "local": "LOCAL; %s" % local,
                "bare": "rfc822; %s" % local,
            }[kind]
            del g["Original-Recipient"]
            g["Original-Recipient"] = "rfc822;" + found[0]
            g.replace_header("Final-Recipient", internal)
            changed = True
        return serialise(msg) if changed else None
    return mutate


def m_dsn_duplicate_block(raw, ref):
    msg = parse(raw)
    part = dsn_part(msg)
    if part is None:
        return None
    groups = part.get_payload()
    if not isinstance(groups, list) or len(groups) < 2:
        return None
    doubled = [groups[0]]
    for g in groups[1:]:
        doubled += [g, copy.deepcopy(g)]
    part.set_payload(doubled)
    return serialise(msg)


def m_text_duplicate_block(raw, ref):
    """An alias loop in a text notice: the paragraph naming a recipient
    (with its reply) printed twice."""
    msg, part, text = notice_of(raw)
    if not text or dsn_part(msg) is not None:
        return None
    paras = re.split(r"(\n\s*\n)", text)
    recips = recipients_of(ref)
    for i in range(0, len(paras), 2):
        if any(r in paras[i].lower() for r in recips) and not re.search(r"^\S+:", paras[i], re.M):
            paras[i:i + 1] = [paras[i], "\n\n", paras[i]]
            set_text(part, "".join(paras))
            return serialise(msg)
    return None


def decorate(template):
    """Rewrite the bare occurrences of each recipient in the notice's text
    (and in Final-Recipient) with a transport prefix, brackets, quotes or
    trailing punctuation."""
    def mutate(raw, ref):
        msg = parse(raw)
        recips = recipients_of(ref)
        changed = False
        part = notice_part(msg)
        text = part_text(part) if part is not None else None
        if text:
            new = text
            # an address that already ends its sentence keeps one full stop
            mark = r"\." if template.endswith(".") else r"\.\w"
            for r in recips:
                pat = re.compile(r"(?<![<\"'\w.:%+=-])" + re.escape(r) + r"(?![>\"'\w@-])(?!\.\w)(?!" + mark + ")",
                                 re.I)
                new = pat.sub(lambda m: template % m.group(0), new)
            if new != text:
                set_text(part, new)
                changed = True
        dsn = dsn_part(msg)
        if dsn is not None and isinstance(dsn.get_payload(), list):
            for g in dsn.get_payload()[1:]:
                a = ADDR.search(str(g.get("Final-Recipient") or ""))
                if a:
                    kind = "smtp; " if template.startswith("SMTP:") else "rfc822; "
                    g.replace_header("Final-Recipient", kind + template % a.group(0))
                    changed = True
        return serialise(msg) if changed else None
    return mutate


def reference_diagnostic_line(text, ref):
    """The index of the notice line holding the reference diagnostic."""
    lines = text.split("\n")
    for rec in ref:
        diag = (rec.get("diagnosticcode") or "").strip()
        if len(diag) < 12:
            continue
        probe = diag[:24]
        for i, line in enumerate(lines):
            if probe in line and not ADDR.search(line.replace(probe, "")):
                return lines, i
    return lines, None


def below_heading(heading):
    def mutate(raw, ref):
        msg, part, text = notice_of(raw)
        if not text or dsn_part(msg) is not None:
            return None
        lines, i = reference_diagnostic_line(text, ref)
        if i is None:
            return None
        diag = lines[i].strip()
        lines[i:i + 1] = [heading, "", "    " + diag]
        set_text(part, "\n".join(lines))
        return serialise(msg)
    return mutate


def m_after_to_subject_line(raw, ref):
    msg, part, text = notice_of(raw)
    if not text or dsn_part(msg) is not None:
        return None
    lines, i = reference_diagnostic_line(text, ref)
    if i is None:
        return None
    subject = str(msg.get("Subject", "your message"))
    recips = recipients_of(ref)
    lines[i:i] = ["To: %s Subject: %s" % (recips[0], subject)]
    set_text(part, "\n".join(lines))
    return serialise(msg)


def wrap(line, width, indent):
    """The line folded at `width` columns, its continuation lines indented
    by `indent`; the first keeps its own indentation."""
    lead = re.match(r"[ \t]*", line).group(0)
    words = line[len(lead):].split(" ")
    out, cur = [], lead + words[0]
    for w in words[1:]:
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = indent + w
        else:
            cur = cur + " " + w if cur else w
    out.append(cur)
    return out


def m_wrapped_diagnostic(raw, ref):
    """Postfix-style: the long diagnostic folded over indented lines."""
    msg, part, text = notice_of(raw)
    if not text or dsn_part(msg) is not None:
        return None
    lines, i = reference_diagnostic_line(text, ref)
    if i is None or len(lines[i]) < 50:
        return None
    lead = re.match(r"\s*", lines[i]).group(0)
    lines[i:i + 1] = wrap(lines[i], 40, lead + "    ")
    set_text(part, "\n".join(lines))
    return serialise(msg)


def m_sender_in_text(raw, ref):
    """The sender's and the reporting postmaster's addresses in the text
    must never become recipients."""
    msg, part, text = notice_of(raw)
    if not text:
        return None
    sender = (ref[0].get("addresser") or "") if ref else ""
    lhost = (ref[0].get("lhost") or "mail.example.net") if ref else "mail.example.net"
    if "." not in lhost:
        lhost = "mail.example.net"
    lines = ["This report was generated by postmaster@%s." % lhost]
    if sender:
        lines.append("The message from <%s> could not be delivered." % sender)
    lines.append("Questions: mailto:postmaster@%s" % lhost)
    set_text(part, "\n".join(lines) + "\n\n" + text)
    return serialise(msg)


def reencode(cte):
    def mutate(raw, ref):
        msg, part, text = notice_of(raw)
        if not text:
            return None
        set_text(part, text, cte)
        return serialise(msg)
    return mutate


def html_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def m_html_only(raw, ref):
    msg, part, text = notice_of(raw)
    if not text or dsn_part(msg) is not None:
        return None
    paras = re.split(r"\n\s*\n", text)
    html = "<html><body>\n" + "\n".join(
        "<p>" + "<br>\n".join(html_escape(l) for l in p.split("\n")) + "</p>"
        for p in paras if p.strip()) + "\n</body></html>\n"
    del part["Content-Type"]
    part["Content-Type"] = 'text/html; charset="utf-8"'
    set_text(part, html)
    return serialise(msg)


def m_dsn_removed(raw, ref):
    """A small MTA sends the text alone: the delivery-status part goes."""
    msg = parse(raw)
    part = dsn_part(msg)
    if part is None or not msg.is_multipart() or not recipient_elsewhere(msg, recipients_of(ref)):
        return None
    container = next((m for m in msg.walk() if m.is_multipart() and part in m.get_payload()), None)
    if container is None:
        return None
    container.set_payload([p for p in container.get_payload() if p is not part])
    return serialise(msg)


def m_neutral_intro(raw, ref):
    """An MTA nobody wrote a layout for: the notice's opening paragraph,
    where layouts find their product's wording, becomes a neutral one."""
    msg, part, text = notice_of(raw)
    if not text:
        return None
    paras = re.split(r"(\n\s*\n)", text.lstrip("\n"))
    first = paras[0]
    if ADDR.search(first) or re.search(r"\b[245]\d\d\b|\b[245]\.\d", first):
        return None   # the first paragraph carries the evidence itself
    paras[0] = "This is an automatically generated Delivery Status Notification."
    set_text(part, "".join(paras))
    return serialise(msg)


def m_subject_encoded(raw, ref):
    """The Subject as an RFC 2047 encoded word, as many MTAs write it."""
    msg = parse(raw)
    subject = msg.get("Subject")
    # a Subject with raw 8-bit bytes comes back as a Header object
    subject = str(subject) if subject is not None else ""
    if not subject or "=?" in subject or not subject.isascii():
        return None
    word = base64.b64encode(subject.encode("utf-8", "surrogateescape")).decode("ascii")
    msg.replace_header("Subject", "=?UTF-8?B?%s?=" % word)
    return serialise(msg)


def m_returned_removed(raw, ref):
    """No copy of the original comes back (message/rfc822 or headers part)."""
    msg = parse(raw)
    if returns_report(msg):
        return None   # the returned message is the report itself: the evidence
    kinds = ("message/rfc822", "text/rfc822-headers")
    changed = False
    for m in msg.walk():
        if m.is_multipart() and m.get_content_type() != "message/rfc822":
            parts = m.get_payload()
            keep = [p for p in parts if p.get_content_type() not in kinds]
            if len(keep) != len(parts) and keep:
                m.set_payload(keep)
                changed = True
    return serialise(msg) if changed else None


def drop_headers(*names):
    """Another MTA does not add these fields (an auto-reply's marker stays:
    it is the only evidence one has)."""
    def mutate(raw, ref):
        if any(r.get("reason") == "vacation" for r in ref):
            return None
        msg = parse(raw)
        if not any(msg.get(n) for n in names):
            return None
        for n in names:
            del msg[n]
        return serialise(msg)
    return mutate


def m_from_postmaster(raw, ref):
    """Another MTA signs its notices as the postmaster."""
    msg = parse(raw)
    if msg.get("From") is None:
        return None
    # an auto-reply's recipient is its sender, and bare local parts take
    # the sender's domain: there the From is the evidence itself
    sender = ADDR.search(str(msg.get("From") or ""))
    domain = sender.group(0).rsplit("@", 1)[1].lower() if sender else ""
    if any(r.get("reason") == "vacation" or r["recipient"].lower().endswith("@" + domain)
           for r in ref):
        return None
    msg.replace_header("From", "Postmaster <postmaster@mail.example.net>")
    return serialise(msg)


def wrap_at(width, indent):
    """The diagnostic line wrapped the way MTAs fold long replies at 72-78
    columns: Postfix and Exim indent the continuation lines, smaller MTAs
    and gateways do not."""
    def mutate(raw, ref):
        msg, part, text = notice_of(raw)
        if not text or dsn_part(msg) is not None:
            return None
        lines, i = reference_diagnostic_line(text, ref)
        if i is None or len(lines[i]) <= width:
            return None
        lead = re.match(r"\s*", lines[i]).group(0)
        lines[i:i + 1] = wrap(lines[i], width, lead + indent)
        set_text(part, "\n".join(lines))
        return serialise(msg)
    return mutate


def dsn_groups(msg):
    part = dsn_part(msg)
    if part is None:
        return None
    groups = part.get_payload()
    return groups if isinstance(groups, list) and len(groups) >= 2 else None


def fold_words(text, width=24):
    """`text` split at spaces into lines of at most `width` characters
    (a longer word stands alone), as a folding MTA breaks a long field."""
    lines, cur = [], ""
    for w in text.split(" "):
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = cur + " " + w if cur else w
    lines.append(cur)
    return lines


def rewrite_recipient_field(raw, field, rewrite):
    """The message with `field` of each per-recipient group of its
    delivery-status part replaced by rewrite(value), where that gives a
    value; None when the message has no such part or nothing changed."""
    msg = parse(raw)
    groups = dsn_groups(msg)
    if groups is None:
        return None
    changed = False
    for g in groups[1:]:
        for n, (name, value) in enumerate(g._headers):
            new = rewrite(value) if name.lower() == field else None
            if new is not None:
                g._headers[n] = (name, new)
                changed = True
    return serialise(msg) if changed else None


def m_dsn_diagnostic_folded(raw, ref):
    """Diagnostic-Code folded over several header lines (RFC 5322 folding,
    as Sendmail and Exchange write long replies)."""
    def fold(value):
        if "\n" in value or len(value) < 30:
            return None
        lines = fold_words(value)
        return "\n    ".join(lines) if len(lines) >= 2 else None
    return rewrite_recipient_field(raw, "diagnostic-code", fold)


def dsn_field_case(fold):
    """Field names of the delivery-status part in another case
    ("final-recipient", "DIAGNOSTIC-CODE"): RFC 3464 field names are
    case-insensitive, and some MTAs write them so."""
    def mutate(raw, ref):
        msg = parse(raw)
        groups = dsn_groups(msg)
        if groups is None:
            return None
        for g in groups:
            g._headers = [(fold(name), value) for name, value in g._headers]
        return serialise(msg)
    return mutate


JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def notice_in_charset(raw, charset, applies, round_trip=False):
    """(message, notice part, the notice's text encoded in `charset`), the
    charset declared on the part and its transfer encoding removed; None
    where the text does not apply, cannot be encoded (or, with round_trip,
    does not decode back to itself) or is in that charset already."""
    msg, part, text = notice_of(raw)
    if not text or not applies(text):
        return None
    try:
        data = text.encode(charset)
        if round_trip and data.decode(charset) != text:
            return None
    except (LookupError, UnicodeError):
        return None
    if (part.get_content_charset() or "us-ascii").lower() == charset:
        return None
    part.set_param("charset", charset)
    del part["Content-Transfer-Encoding"]
    return msg, part, data


def recharset(charset, applies):
    """The notice re-encoded in another charset, declared on its part (8bit,
    or 7bit for ISO-2022-JP): Japanese MTAs write ISO-2022-JP, Western ones
    ISO-8859-1 or windows-1252, newer ones UTF-8 8bit."""
    def mutate(raw, ref):
        recoded = notice_in_charset(raw, charset, applies)
        if recoded is None:
            return None
        msg, part, data = recoded
        part["Content-Transfer-Encoding"] = "8bit" if any(b > 127 for b in data) else "7bit"
        part.set_payload(data.decode("ascii", "surrogateescape"))
        return serialise(msg)
    return mutate


def returns_report(msg):
    """Does the message return a delivery report (a double bounce)?"""
    for m in msg.walk():
        if m.get_content_type() == "message/rfc822" and isinstance(m.get_payload(), list):
            # multipart/report, or a multipart/mixed with a delivery-status
            # part (OpenSMTPD's reports)
            if any(p.get_content_type() in ("multipart/report", "message/delivery-status")
                   for p in m.get_payload()[0].walk()):
                return True
    return False


def m_returned_as_headers(raw, ref):
    """The original comes back as its header block only (text/rfc822-headers,
    RFC 6522), as Exchange and Postfix with headers-only returns send it."""
    if returns_report(parse(raw)):
        return None   # the returned message is a report: its body is the evidence
    msg = parse(raw)
    for m in msg.walk():
        if not m.is_multipart() or m.get_content_type() == "message/rfc822":
            continue
        parts = m.get_payload()
        for n, p in enumerate(parts):
            if p.get_content_type() != "message/rfc822" or not isinstance(p.get_payload(), list):
                continue
            inner = p.get_payload()[0]
            head = b"".join(b"%s: %s\n" % (k.encode("utf-8", "surrogateescape"),
                                           str(v).encode("utf-8", "surrogateescape"))
                            for k, v in inner.items())
            repl = email.message.Message()
            repl["Content-Type"] = "text/rfc822-headers"
            repl["Content-Transfer-Encoding"] = "8bit"
            repl.set_payload(head.decode("ascii", "surrogateescape"))
            parts[n] = repl
            return serialise(msg)
    return None


def m_double_bounce(raw, ref):
    """The whole DSN could not be returned to its sender and comes back,
    attached to another MTA's notice (multipart/mixed) to the postmaster:
    the recipients that count are the inner report's."""
    if dsn_part(parse(raw)) is None or returns_report(parse(raw)):
        return None   # no report, or one already returned inside another
    inner = raw.replace(b"\r\n", b"\n")
    outer = (b"Return-Path: <>\n"
             b"From: Mail Delivery System <MAILER-DAEMON@gw.example.net>\n"
             b"To: postmaster@example.net\n"
             b"Subject: Undeliverable bounce returned to postmaster\n"
             b"Date: Wed, 24 Jul 2024 08:00:00 +0000\n"
             b"Message-ID: <double.bounce@gw.example.net>\n"
             b"MIME-Version: 1.0\n"
             b"Content-Type: multipart/mixed; boundary=\"double-bounce-outer\"\n\n"
             b"--double-bounce-outer\n"
             b"Content-Type: text/plain; charset=us-ascii\n\n"
             b"This is the mail system at host gw.example.net.\n\n"
             b"The delivery status notification attached below could not be\n"
             b"delivered to its sender; it is returned to the postmaster.\n\n"
             b"--double-bounce-outer\n"
             b"Content-Type: message/rfc822\n\n")
    return outer + inner + b"\n--double-bounce-outer--\n"


def m_x_failed_recipients_only(raw, ref):
    """Exim-like: the recipients are named only in X-Failed-Recipients; the
    text does not name them, no report part, no returned message."""
    msg = parse(raw)
    recips = recipients_of(ref)
    part = notice_part(msg)
    text = part_text(part) if part is not None else None
    if not text or msg.get("X-Failed-Recipients"):
        return None
    for r in recips:
        text = re.sub(re.escape(r), "the recipient", text, flags=re.I)
    set_text(part, text)
    for m in msg.walk():
        if m.is_multipart() and m.get_content_type() != "message/rfc822":
            keep = [p for p in m.get_payload()
                    if p.get_content_type() not in ("message/delivery-status", "message/rfc822",
                                                    "text/rfc822-headers")]
            if keep:
                m.set_payload(keep)
    if any(r in serialise(msg).decode("utf-8", "replace").lower().split("\n\n", 1)[-1] for r in recips):
        return None   # named elsewhere still (an HTML part, a nested text)
    msg["X-Failed-Recipients"] = ", ".join(recips)
    return serialise(msg)


INTROS = [
    "Ihre Nachricht konnte an folgende Empfänger nicht zugestellt werden:",
    "Votre message n'a pas pu être remis aux destinataires suivants :",
    "No se ha podido entregar su mensaje a los siguientes destinatarios:",
    "Il messaggio non è stato recapitato ai seguenti destinatari:",
    "Não foi possível entregar a sua mensagem aos seguintes destinatários:",
    "以下の宛先へメッセージを配信できませんでした。",
]


def m_angle_lines_foreign_intro(raw, ref):
    """A notice in another language: an intro, then each recipient as an
    "<addr>" line with the server's reply below it; no report part."""
    msg = parse(raw)
    part = notice_part(msg)
    if part is None or not msg.is_multipart() and part is not msg:
        return None
    diags = {}
    for r in ref:
        diags.setdefault(r["recipient"].lower(), (r.get("diagnosticcode") or "").strip())
    if not all(diags.values()):
        return None
    intro = INTROS[sum(raw) % len(INTROS)]
    lines = [intro, ""]
    for addr, diag in diags.items():
        lines += ["<%s>" % addr, "    " + diag, ""]
    del part["Content-Type"]
    part["Content-Type"] = 'text/plain; charset="utf-8"'
    set_text(part, "\n".join(lines))
    for m in msg.walk():
        if m.is_multipart() and m.get_content_type() != "message/rfc822":
            keep = [p for p in m.get_payload() if p.get_content_type() != "message/delivery-status"]
            if keep:
                m.set_payload(keep)
    return serialise(msg)


def m_text_base64_crlf(raw, ref):
    """The notice's text with CRLF line ends inside, then base64-encoded
    (as Windows gateways and Exchange write a text part): the decoded text
    keeps its CRs."""
    msg, part, text = notice_of(raw)
    if not text or "\r" in text:
        return None
    set_text(part, text.replace("\n", "\r\n"), "base64")
    return serialise(msg)


def m_dsn_fields_folded_tab(raw, ref):
    """Every field of the delivery-status part folded after its type or
    colon onto a tab-indented line ("Final-Recipient: rfc822;" and below
    it "<TAB>a@b"), RFC 5322 folding as some MTAs write it."""
    msg = parse(raw)
    groups = dsn_groups(msg)
    if groups is None:
        return None
    for g in groups:
        folded = []
        for name, value in g._headers:
            if "\n" in value:
                folded.append((name, value))
            elif ";" in value:
                kind, rest = value.split(";", 1)
                folded.append((name, kind + ";\n\t" + rest.strip()))
            else:
                folded.append((name, "\n\t" + value.strip()))
        g._headers = folded
    return serialise(msg)


def m_dsn_no_per_message_fields(raw, ref):
    """A delivery-status part without its per-message group (no
    Reporting-MTA, Arrival-Date): the first group is a recipient's."""
    msg = parse(raw)
    groups = dsn_groups(msg)
    if groups is None or any(n.lower().endswith("-recipient") for n, _ in groups[0]._headers):
        return None
    dsn_part(msg).set_payload(groups[1:])
    return serialise(msg)


def display_name(address):
    local = address.split("@", 1)[0]
    words = [w for w in re.split(r"[._+-]+", local) if w]
    return " ".join(w.capitalize() for w in words) or "Recipient"


def m_addr_display_name(raw, ref):
    """Recipients listed one to a line in the notice's text written with a
    display name, '"Jonas Berg" <jonas.berg@example.org>', as Exchange,
    Notes and webmail notices list them (a server's reply keeps its
    words)."""
    msg, part, text = notice_of(raw)
    if not text:
        return None
    new = text
    for r in recipients_of(ref):
        pat = re.compile(r"^([ \t]*)<?(" + re.escape(r) + r")>?([ \t]*)$", re.I | re.M)
        new = pat.sub(lambda m: '%s"%s" <%s>%s' % (m.group(1), display_name(m.group(2)), m.group(2),
                                                   m.group(3)), new)
    if new == text:
        return None
    set_text(part, new)
    return serialise(msg)


def m_report_parts_reversed(raw, ref):
    """The delivery-status part before the human-readable text (RFC 6522
    puts the text first; some gateways and libraries write the report's
    parts in another order)."""
    msg = parse(raw)
    dsn = dsn_part(msg)
    text = notice_part(msg)
    if dsn is None or text is None:
        return None
    for m in msg.walk():
        if not m.is_multipart() or m.get_content_type() == "message/rfc822":
            continue
        parts = m.get_payload()
        if dsn in parts and text in parts:
            i, j = parts.index(text), parts.index(dsn)
            if i > j:
                return None
            parts[i], parts[j] = parts[j], parts[i]
            return serialise(msg)
    return None


LOCAL_SUBJECTS = [
    "Unzustellbar: ", "Non remis : ", "Onbestelbaar: ", "Nicht zustellbar: ",
    "No se puede entregar: ", "Non recapitabile: ", "\u914d\u4fe1\u4e0d\u80fd: ",
]


# a notifier's generic English subject: the announcement alone, or with the
# original's subject after it (a subject that carries the reason itself,
# "Mail failure - message too big", is the evidence and stays)
GENERIC_SUBJECT = re.compile(
    r"(undeliverable|undelivered mail returned to sender|delivery status notification"
    r"(?: \((?:failure|delay)\))?|mail delivery failed|returned mail|failure notice"
    r"|mail could not be delivered|delivery failure|message not delivered"
    r"|undelivered mail|delivery has failed(?: to these recipients or groups)?"
    r"|non-?deliverable mail)\s*(?::\s*(.*))?", re.I)
GENERIC_REST = re.compile(r"(returning message to sender|see transcript for details|)", re.I)


def m_subject_localized(raw, ref):
    """The Subject in the notifier's language (Exchange and Outlook.com
    localise "Undeliverable:"), written as an RFC 2047 encoded word over
    the original's subject."""
    msg = parse(raw)
    subject = str(msg.get("Subject") or "").strip()
    if any(r.get("reason") == "vacation" for r in ref):
        return None
    original = None
    for m in msg.walk():
        if m.get_content_type() == "message/rfc822" and isinstance(m.get_payload(), list):
            inner = m.get_payload()[0].get("Subject")
            if inner is not None and str(inner).isascii():
                original = str(inner).strip()
            break
    g = GENERIC_SUBJECT.fullmatch(subject)
    rest = (g.group(2) or "").strip() if g else None
    if g is None or not (GENERIC_REST.fullmatch(rest) or rest.lower() == (original or "").lower()):
        return None   # no notifier's generic subject: a person's, or one that is evidence
    subject = LOCAL_SUBJECTS[sum(raw) % len(LOCAL_SUBJECTS)] + (original or "your message")
    word = base64.b64encode(subject.encode("utf-8")).decode("ascii")
    msg.replace_header("Subject", "=?UTF-8?B?%s?=" % word)
    return serialise(msg)


def m_text_8bit_no_charset(raw, ref):
    """A notice with 8-bit UTF-8 text under "Content-Type: text/plain" with
    no charset (RFC 2045 would read US-ASCII; many MTAs write it so)."""
    msg, part, text = notice_of(raw)
    if not text or text.isascii():
        return None
    del part["Content-Type"]
    part["Content-Type"] = "text/plain"
    del part["Content-Transfer-Encoding"]
    part["Content-Transfer-Encoding"] = "8bit"
    part.set_payload(text.encode("utf-8").decode("ascii", "surrogateescape"))
    return serialise(msg)


def m_text_qp_soft_breaks(raw, ref):
    """The notice quoted-printable with soft line breaks ("=" at a line's
    end) falling inside each recipient's address and each status code, as
    an encoder that breaks at a byte count writes them."""
    msg, part, text = notice_of(raw)
    if not text:
        return None
    charset = part.get_content_charset() or "us-ascii"
    try:
        data = text.encode(charset)
    except (LookupError, UnicodeEncodeError):
        data, charset = text.encode("utf-8"), "utf-8"
        part.set_param("charset", "utf-8")
    body = quopri.encodestring(data).decode("ascii")
    targets = [r for r in recipients_of(ref) if "=" not in r]
    pattern = "|".join([re.escape(r) for r in targets] + [r"\b[245]\.\d{1,3}\.\d{1,3}\b"])
    new = re.sub(pattern, lambda m: m.group(0)[:len(m.group(0)) // 2] + "=\n"
                 + m.group(0)[len(m.group(0)) // 2:], body, flags=re.I)
    if new == body:
        return None
    del part["Content-Transfer-Encoding"]
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(new)
    return serialise(msg)


def m_body_received_chain(raw, ref):
    """A gateway copies the notice's own trace and X- headers into the top
    of its text (Lotus and some appliances do): the sender's address in a
    "for <...>" clause and the hosts there are no recipients."""
    msg, part, text = notice_of(raw)
    if not text:
        return None
    sender = (ref[0].get("addresser") or "") if ref else ""
    if not ADDR.fullmatch(sender):
        sender = "sender@example.com"
    lines = [
        "Received: from mx1.example.net (mx1.example.net [192.0.2.25])",
        "\tby gw.example.net (8.17.1/8.17.1) with ESMTPS id 4ABCDEF012345",
        "\tfor <%s>; Tue, 23 Jul 2024 12:00:00 +0000" % sender,
        "Received: from localhost (localhost [127.0.0.1])",
        "\tby mx1.example.net with ESMTP id 0123456789; Tue, 23 Jul 2024 11:59:58 +0000",
        "X-Originating-IP: [198.51.100.7]",
        "X-Mailer: Gateway Notification Service 3.2",
        "X-Envelope-To: <%s>" % sender,
    ]
    set_text(part, "\n".join(lines) + "\n\n" + text)
    return serialise(msg)


def m_forwarded_by_person(raw, ref):
    """A person forwards the notice inline ("---------- Forwarded message
    ---------", the bounce's headers and text quoted below a line of their
    own): that is ordinary mail about a bounce, and gives no record (issue
    12's negative set; sisimai 5.3 does read such a forward as the bounce
    when its Subject keeps the notifier's, we do not)."""
    msg, part, text = notice_of(raw)
    if not text or any(r.get("reason") in ("vacation", "feedback") for r in ref):
        return None
    quoted = "".join("%s: %s\n" % (n, str(msg.get(n))) for n in ("From", "Date", "Subject", "To")
                     if msg.get(n) is not None)
    body = ("Hi Sam,\n\ncan you see why this did not arrive? I sent it yesterday.\n\nThanks,\nAlice\n\n"
            "---------- Forwarded message ---------\n" + quoted + "\n" + text)
    fwd = email.message.Message()
    fwd["From"] = "Alice Example <alice@example.com>"
    fwd["To"] = "Sam Helpdesk <helpdesk@example.com>"
    fwd["Subject"] = "Fwd: " + str(msg.get("Subject") or "")
    fwd["Date"] = "Wed, 24 Jul 2024 09:00:00 +0000"
    fwd["Message-ID"] = "<forwarded.by.person@example.com>"
    fwd["MIME-Version"] = "1.0"
    fwd["Content-Type"] = 'text/plain; charset="utf-8"'
    set_text(fwd, body)
    return serialise(fwd)


# --- kinds seen in unseen archives (unseen-mut-5) -------------------------

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


def recharset_b64(charset, applies):
    """The notice in a charset that is no ASCII superset (UTF-16) or whose
    bytes collide with ASCII (Shift_JIS, Big5), base64-encoded as MUAs
    and gateways send it; only where the text round-trips."""
    def mutate(raw, ref):
        recoded = notice_in_charset(raw, charset, applies, round_trip=True)
        if recoded is None:
            return None
        msg, part, data = recoded
        part["Content-Transfer-Encoding"] = "base64"
        part.set_payload(base64.encodebytes(data).decode("ascii"))
        return serialise(msg)
    return mutate


def wrapper(head, text, attachment):
    """An outer multipart/mixed notice: head fields, a text, an attachment
    (bytes with its own part header)."""
    return (head + b"MIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"unseen-wrapper-outer\"\n\n"
            b"--unseen-wrapper-outer\n"
            b"Content-Type: text/plain; charset=us-ascii\n"
            b"Content-Transfer-Encoding: 7bit\n\n" + text +
            b"\n--unseen-wrapper-outer\n" + attachment +
            b"\n--unseen-wrapper-outer--\n")


def m_wrapped_in_admin_notice(raw, ref):
    """Mailman 2 sends a bounce it could not read on to the list owners as
    an "Uncaught bounce notification", the bounce attached whole
    (message/rfc822) below its own administrivia text (Mailman's
    Bouncer.py maybe_forward): the bounce's records still count."""
    if parse(raw).get("X-List-Administrivia") is not None:
        return None   # a list manager's notice already
    if returns_report(parse(raw)) or any(r.get("reason") in ("vacation", "feedback") for r in ref):
        return None
    inner = raw.replace(b"\r\n", b"\n")
    head = (b"From: mylist-bounces@lists.example.org\n"
            b"To: mylist-owner@lists.example.org\n"
            b"Subject: Uncaught bounce notification\n"
            b"Date: Wed, 24 Jul 2024 08:00:00 +0000\n"
            b"Message-ID: <uncaught.bounce@lists.example.org>\n"
            b"X-List-Administrivia: yes\n"
            b"Auto-Submitted: auto-generated\n"
            b"Precedence: bulk\n")
    text = (b"The attached message was received as a bounce, but either the\n"
            b"bounce format was not recognized, or no member addresses could be\n"
            b"extracted from it.  This mailing list has been configured to send\n"
            b"all unrecognized bounce messages to the list administrator(s).\n\n"
            b"For more information see:\n"
            b"https://lists.example.org/mailman/admin/mylist/bounce\n")
    return wrapper(head, text, b"Content-Type: message/rfc822\n"
                   b"MIME-Version: 1.0\n\n" + inner)


def m_attached_as_eml_octet(raw, ref):
    """A ticket system or bounce-mailbox forwarder passes the bounce on as a
    file attachment: application/octet-stream, name "*.eml",
    Content-Disposition: attachment, base64."""
    if returns_report(parse(raw)) or any(r.get("reason") in ("vacation", "feedback") for r in ref):
        return None
    head = (b"From: Bounce Processor <noreply@notify.example.org>\n"
            b"To: mailops@example.org\n"
            b"Subject: Returned mail received\n"
            b"Date: Wed, 24 Jul 2024 08:00:00 +0000\n"
            b"Message-ID: <returned.eml@notify.example.org>\n"
            b"Auto-Submitted: auto-generated\n")
    text = (b"A returned message arrived at the bounce mailbox.\n"
            b"It is attached to this notification as a file.\n")
    att = (b"Content-Type: application/octet-stream; name=\"returned.eml\"\n"
           b"Content-Disposition: attachment; filename=\"returned.eml\"\n"
           b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(raw))
    return wrapper(head, text, att)


LABEL = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 ./()'-]{0,40}?)\s*:\s+(\S.*)$")


def m_html_table_layout(raw, ref):
    """The notice rendered as HTML tables only, no text/plain: a table per
    paragraph, a "Label:" | value row per field, as Exchange 2013+ lays out
    its "Original message details" and webmail notifiers their notices."""
    msg, part, text = notice_of(raw)
    if not text or dsn_part(msg) is not None:
        return None
    tables = []
    for para in re.split(r"\n\s*\n", text):
        rows = []
        for line in para.split("\n"):
            if not line.strip():
                continue
            m = LABEL.match(line)
            if m:
                rows.append("<tr><td style=\"font-weight:bold\">%s:</td><td>%s</td></tr>"
                            % (html_escape(m.group(1)), html_escape(m.group(2))))
            else:
                rows.append("<tr><td colspan=\"2\">%s</td></tr>" % html_escape(line.strip()))
        if rows:
            tables.append("<table border=\"0\" cellpadding=\"2\">\n" + "\n".join(rows) + "\n</table>")
    html = "<html><body>\n" + "\n<br>\n".join(tables) + "\n</body></html>\n"
    del part["Content-Type"]
    part["Content-Type"] = 'text/html; charset="utf-8"'
    set_text(part, html)
    return serialise(msg)


FULLWIDTH = str.maketrans({":": "\uff1a", ",": "\uff0c", "<": "\uff1c", ">": "\uff1e"})


def m_cjk_fullwidth_punct(raw, ref):
    """CJK notices typed with full-width punctuation: "宛先：<user@...>"
    with U+FF1A colons, U+FF0C commas and U+FF1C/U+FF1E brackets on the
    lines naming a recipient (CJK-language notices only)."""
    msg, part, text = notice_of(raw)
    if not text or not CJK.search(text):
        return None
    recips = recipients_of(ref)
    lines, changed = text.split("\n"), False
    for i, line in enumerate(lines):
        if not any(r in line.lower() for r in recips):
            continue
        # the address itself and any URL or SMTP reply keep their ASCII
        pieces = re.split(r"(" + ADDR.pattern + r"|\S*://\S*|\b\d{3}[ -]\d\.\d+\.\d+\b)", line)
        new = "".join(p if k % 2 else p.translate(FULLWIDTH) for k, p in enumerate(pieces))
        if new != line:
            lines[i], changed = new, True
    if not changed:
        return None
    set_text(part, "\n".join(lines))
    return serialise(msg)


def m_nbsp_before_colon(raw, ref):
    """French typography: a no-break space (U+00A0) before each label's
    colon ("Destinataire\u00a0: ..."), as French-localised notifiers print."""
    msg, part, text = notice_of(raw)
    if not text:
        return None
    new = re.sub(r"(?m)^(\s*[^\W\d_][\w .'()/-]{0,40}?[\w)])[ ]?:(?=\s)", "\\1\u00a0:", text)
    if new == text:
        return None
    set_text(part, new)
    return serialise(msg)


def m_multipart_alternative_notice(raw, ref):
    """The notice as multipart/alternative with the HTML rendering first and
    the plain text second (the order some webmail notifiers write, though
    RFC 2046 puts the preferred one last)."""
    msg, part, text = notice_of(raw)
    if not text:
        return None
    charset = part.get_content_charset() or "us-ascii"
    paras = re.split(r"\n\s*\n", text)
    html = "<html><body>\n" + "\n".join(
        "<p>" + "<br>\n".join(html_escape(l) for l in p.split("\n")) + "</p>"
        for p in paras if p.strip()) + "\n</body></html>\n"
    hpart = email.message.Message()
    hpart["Content-Type"] = 'text/html; charset="utf-8"'
    set_text(hpart, html, "quoted-printable")
    tpart = email.message.Message()
    tpart["Content-Type"] = 'text/plain; charset="%s"' % charset
    set_text(tpart, text, "quoted-printable")
    alt = email.message.Message()
    alt["Content-Type"] = 'multipart/alternative; boundary="unseen-alt-boundary"'
    alt.set_payload([hpart, tpart])
    if part is msg:
        for n in ("Content-Type", "Content-Transfer-Encoding"):
            del msg[n]
        msg["Content-Type"] = 'multipart/alternative; boundary="unseen-alt-boundary"'
        msg.set_payload([hpart, tpart])
        return serialise(msg)
    for m in msg.walk():
        if m.is_multipart() and m.get_content_type() != "message/rfc822":
            parts = m.get_payload()
            if part in parts:
                parts[parts.index(part)] = alt
                return serialise(msg)
    return None


STATUS_COMMENTS = {"1": "bad destination mailbox", "2": "mailbox full", "3": "mail system error",
                   "4": "network error", "5": "protocol error", "6": "content error",
                   "7": "security policy", "0": "other"}


def m_dsn_status_comment(raw, ref):
    """Status with an RFC 822 comment after the code ("Status: 5.1.1 (bad
    destination mailbox address)"), as Lotus, Novell and old Exchange
    write it; RFC 3464 allows comments in the field."""
    def comment(value):
        m = re.fullmatch(r"\s*([245])\.(\d{1,3})\.(\d{1,3})\s*", value)
        return m and "%s.%s.%s (%s)" % (m.group(1), m.group(2), m.group(3),
                                        STATUS_COMMENTS.get(m.group(2), "other"))
    return rewrite_recipient_field(raw, "status", comment)


def m_diagnostic_code_no_type(raw, ref):
    """Diagnostic-Code without its diagnostic-type ("Diagnostic-Code: 550
    5.1.1 ..." rather than "smtp; 550 ..."), as several gateways write it."""
    def untyped(value):
        # only "smtp;": another type (X-Postfix) says whose words they
        # are, which is evidence itself
        m = re.match(r"\s*smtp\s*;\s*", value, re.I)
        return value[m.end():] if m and value[m.end():].strip() else None
    return rewrite_recipient_field(raw, "diagnostic-code", untyped)


def named_outside_returned(msg, ref):
    """Whether every recipient is named outside the returned message (in
    the notice's text, its report or X-Failed-Recipients): where only the
    original's own fields name one (feedback reports, a notice that quotes
    nothing), the original is the evidence and stays."""
    if any(r.get("reason") in ("feedback", "vacation") for r in ref):
        return False
    seen = " ".join(str(v) for v in msg.get_all("X-Failed-Recipients", []))

    def walk(m):
        nonlocal seen
        if m.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            return
        if m.is_multipart():
            for sub in m.get_payload():
                walk(sub)
        else:
            seen += (part_text(m) or "")
    walk(msg)
    seen = seen.lower()
    return all(r in seen for r in recipients_of(ref))


def replace_returned(msg, build):
    """Replaces the first returned-message part of `msg` (message/rfc822,
    or text/rfc822-headers) by what build(part) makes of it and returns
    the serialised message; None when no part qualifies or build declines."""
    for m in msg.walk():
        if not m.is_multipart() or m.get_content_type() == "message/rfc822":
            continue
        parts = m.get_payload()
        for n, p in enumerate(parts):
            repl = build(p)
            if repl is False:
                return None
            if repl is not None:
                parts[n] = repl
                return serialise(msg)
    return None


def m_returned_body_only(raw, ref):
    """The returned message without its header block, only its body (a
    text/plain part headed "----- Original message -----"), as small MTAs
    and list servers return it."""
    msg = parse(raw)
    if returns_report(msg) or not named_outside_returned(msg, ref):
        return None

    def body_only(p):
        if p.get_content_type() != "message/rfc822" or not isinstance(p.get_payload(), list):
            return None
        inner = p.get_payload()[0]
        body = split_head(inner.as_bytes(policy=email.policy.compat32))[1]
        repl = email.message.Message()
        repl["Content-Type"] = "text/plain; charset=us-ascii"
        repl["Content-Description"] = "Original message body"
        repl["Content-Transfer-Encoding"] = "8bit"
        repl.set_payload(body.decode("ascii", "surrogateescape"))
        return repl
    return replace_returned(msg, body_only)


def m_received_only_headers(raw, ref):
    """The returned message's header block reduced to its Received: lines
    (text/rfc822-headers), as appliances that strip the original's
    addresses for privacy return it."""
    msg = parse(raw)
    if returns_report(msg) or not named_outside_returned(msg, ref):
        return None

    def received_only(p):
        ct = p.get_content_type()
        if ct == "message/rfc822" and isinstance(p.get_payload(), list):
            head = p.get_payload()[0]
        elif ct == "text/rfc822-headers":
            head = parse((part_text(p) or "").encode("utf-8", "surrogateescape"))
        else:
            return None
        received = [str(v) for k, v in head.items() if k.lower() == "received"]
        if not received:
            return False
        repl = email.message.Message()
        repl["Content-Type"] = "text/rfc822-headers"
        repl["Content-Transfer-Encoding"] = "8bit"
        repl.set_payload("".join("Received: %s\n" % r for r in received)
                         .encode("utf-8", "surrogateescape").decode("ascii", "surrogateescape"))
        return repl
    return replace_returned(msg, received_only)


def m_header_folded_subject_long(raw, ref):
    """The Subject folded over several lines (RFC 5322 folding at white
    space, as Exchange and Gmail fold a long "Undeliverable: ..." one); its
    words are kept."""
    msg = parse(raw)
    subject = msg.get("Subject")
    subject = str(subject) if subject is not None else ""
    if not subject or "\n" in subject or not subject.isascii():
        return None
    lines = fold_words(subject)
    if len(lines) < 2:
        return None
    msg._headers = [(k, "\n ".join(lines) if k.lower() == "subject" else v) for k, v in msg._headers]
    return serialise(msg)


def m_identity(raw, ref):
    """Parse and serialise only: the control every other mutation builds on."""
    return serialise(parse(raw))


# name -> (function, compare the reason too)
MUTATIONS = [
    ("identity", m_identity, True),
    ("crlf", m_crlf, True),
    ("bare-cr", m_bare_cr, True),
    ("leading-white-line", m_leading_white_line, True),
    ("from-residue", m_from_residue, True),
    ("mbox-from-line", m_mbox_from_line, True),
    ("dsn-no-recipient-group", m_dsn_no_recipient_group, False),
    ("final-recipient-percent", internal_final("percent"), True),
    ("final-recipient-x400", internal_final("x400"), True),
    ("final-recipient-local", internal_final("local"), True),
    ("final-recipient-bare", internal_final("bare"), True),
    ("dsn-duplicate-block", m_dsn_duplicate_block, True),
    ("text-duplicate-block", m_text_duplicate_block, True),
    ("dsn-removed", m_dsn_removed, False),
    ("subject-encoded-word", m_subject_encoded, True),
    ("returned-removed", m_returned_removed, False),
    ("x-failed-recipients-removed", drop_headers("X-Failed-Recipients"), False),
    ("auto-submitted-removed", drop_headers("Auto-Submitted"), True),
    ("from-postmaster", m_from_postmaster, True),
    ("neutral-intro", m_neutral_intro, False),
    ("addr-smtp-prefix", decorate("SMTP:%s"), True),
    ("addr-rfc822-prefix", decorate("RFC822; %s"), True),
    ("addr-rfc822-doubled", decorate("RFC822; RFC822; %s"), True),
    ("addr-rfc822-angle", decorate("rfc822;<%s>"), True),
    ("addr-mailto", decorate("mailto:%s"), True),
    ("addr-angle", decorate("<%s>"), True),
    ("addr-quoted", decorate('"%s"'), True),
    ("addr-trailing-dot", decorate("%s."), True),
    ("addr-trailing-colon", decorate("%s:"), True),
    ("addr-trailing-comma", decorate("%s,"), True),
    ("below-following-reason", below_heading("For the following reason:"), True),
    ("below-other-server", below_heading("The error that the other server returned was:"), True),
    ("below-reason", below_heading("Reason:"), True),
    ("after-to-subject", m_after_to_subject_line, True),
    ("wrapped-diagnostic", m_wrapped_diagnostic, True),
    ("sender-in-text", m_sender_in_text, True),
    ("text-quoted-printable", reencode("quoted-printable"), True),
    ("text-base64", reencode("base64"), True),
    ("html-only", m_html_only, False),
    ("wrapped-76-indented", wrap_at(76, "    "), True),
    ("wrapped-72-flush", wrap_at(72, ""), True),
    ("dsn-diagnostic-folded", m_dsn_diagnostic_folded, True),
    ("dsn-fields-lower-case", dsn_field_case(str.lower), True),
    ("dsn-fields-upper-case", dsn_field_case(str.upper), True),
    ("text-iso-2022-jp", recharset("iso-2022-jp", lambda t: bool(JAPANESE.search(t))), True),
    ("text-iso-8859-1", recharset("iso-8859-1", lambda t: not JAPANESE.search(t)), True),
    ("text-windows-1252", recharset("windows-1252", lambda t: not JAPANESE.search(t)), True),
    ("text-utf-8-8bit", recharset("utf-8", lambda t: True), True),
    ("returned-as-headers", m_returned_as_headers, True),
    ("double-bounce", m_double_bounce, True),
    ("x-failed-recipients-only", m_x_failed_recipients_only, False),
    ("angle-lines-foreign-intro", m_angle_lines_foreign_intro, False),
    ("text-base64-crlf", m_text_base64_crlf, True),
    ("dsn-fields-folded-tab", m_dsn_fields_folded_tab, True),
    ("dsn-no-per-message-fields", m_dsn_no_per_message_fields, True),
    ("addr-display-name", m_addr_display_name, True),
    ("report-parts-reversed", m_report_parts_reversed, True),
    ("subject-localized", m_subject_localized, True),
    ("text-8bit-no-charset", m_text_8bit_no_charset, True),
    ("text-qp-soft-breaks", m_text_qp_soft_breaks, True),
    ("body-received-chain", m_body_received_chain, True),
    ("forwarded-by-person", m_forwarded_by_person, False),
    ("text-utf-16", recharset_b64("utf-16", lambda t: True), True),
    ("text-gb18030", recharset("gb18030", lambda t: bool(HAN.search(t))), True),
    ("text-koi8-r", recharset("koi8-r", lambda t: bool(CYRILLIC.search(t))), True),
    ("text-shift-jis", recharset_b64("shift_jis", lambda t: bool(JAPANESE.search(t))), True),
    ("text-big5", recharset_b64("big5", lambda t: bool(HAN.search(t))), True),
    ("wrapped-in-admin-notice", m_wrapped_in_admin_notice, True),
    ("attached-as-eml-octet", m_attached_as_eml_octet, True),
    ("html-table-layout", m_html_table_layout, False),
    ("cjk-fullwidth-punct", m_cjk_fullwidth_punct, True),
    ("nbsp-before-colon", m_nbsp_before_colon, True),
    ("multipart-alternative-notice", m_multipart_alternative_notice, True),
    ("dsn-status-comment", m_dsn_status_comment, True),
    ("diagnostic-code-no-type", m_diagnostic_code_no_type, True),
    ("returned-body-only", m_returned_body_only, True),
    ("received-only-headers", m_received_only_headers, True),
    ("header-folded-subject-long", m_header_folded_subject_long, True),
]

# mutations whose variants are no bounce: they must give no record
EXPECT_NONE = {"forwarded-by-person"}


NEGATIVE_MUTATIONS = {"crlf", "bare-cr", "leading-white-line", "from-residue", "mbox-from-line",
                      "text-quoted-printable", "text-base64", "html-only", "neutral-intro",
                      "subject-encoded-word", "from-postmaster", "auto-submitted-removed",
                      "text-base64-crlf", "subject-localized", "text-8bit-no-charset",
                      "text-qp-soft-breaks", "body-received-chain", "text-utf-16",
                      "html-table-layout", "nbsp-before-colon", "multipart-alternative-notice",
                      "header-folded-subject-long", "attached-as-eml-octet"}


def judge(ref, got, compare_reason):
    """None when the variant keeps the reference's answer, else why not."""
    want, have = recipients_of(ref), recipients_of(got)
    if want != have:
        return "recipients %s, expected %s" % (have, want)
    if len(got) != len(ref):
        return "%d records, expected %d" % (len(got), len(ref))
    if compare_reason:
        rr = sorted((r["recipient"].lower(), r["reason"]) for r in ref)
        gr = sorted((r["recipient"].lower(), r["reason"]) for r in got)
        if rr != gr:
            return "reasons %s, expected %s" % (gr, rr)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("fixtures")
    ap.add_argument("--floor")
    ap.add_argument("--only")
    ap.add_argument("--keep")
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--write-floor", help="write today's passes as the floors to FILE")
    ap.add_argument("--sample", type=int, default=1,
                    help="mutate every Nth case only (by name), the floors scaled to the share kept")
    args = ap.parse_args()

    cases = load_cases(args.fixtures)
    reference = triage(args.binary, {c["name"]: c["raw"] for c in cases})
    negatives = [c for c in cases if c["negative"] and not reference[c["name"]]]
    cases = [c for c in cases if not c["negative"] and reference[c["name"]]]

    floors = {}
    if args.floor:
        with open(args.floor, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].split()
                if len(line) == 2:
                    floors[line[0]] = int(line[1])

    # no bounce must become one by its form: the mutations that keep the
    # wording, over the fixtures that give no record
    runs = [(name, fn, reason, cases) for name, fn, reason in MUTATIONS]
    runs += [("negative-" + name, fn, False, negatives) for name, fn, _ in MUTATIONS
             if name in NEGATIVE_MUTATIONS]
    mutations = [m for m in runs if not args.only or m[0] == args.only]
    measured = []
    if args.floor:
        print("1..%d" % len(mutations))
    for n, (name, fn, compare_reason, subjects) in enumerate(mutations, 1):
        # A sample keeps the run's cost bounded as the fixtures grow (CI runs
        # this suite once more under the sanitizers); a floor then asks for
        # its share of the passes, rounded down, so that a sample's own
        # spread of cases cannot fail a mutation the whole set passes.
        sample = subjects[::args.sample]
        share = len(sample) / len(subjects) if subjects else 1.0
        variants = {}
        for c in sample:
            v = fn(c["raw"], reference[c["name"]])
            if v is not None:
                variants[c["name"]] = v
        if args.keep:
            d = os.path.join(args.keep, name)
            os.makedirs(d, exist_ok=True)
            for vn, raw in variants.items():
                with open(os.path.join(d, vn.replace("/", "__")), "wb") as f:
                    f.write(raw)
        results = triage(args.binary, variants)
        failures = []
        for vn in sorted(variants):
            why = judge([] if name in EXPECT_NONE else reference[vn], results[vn], compare_reason)
            if why:
                failures.append((vn, why))
        passed = len(variants) - len(failures)
        measured.append((name, passed, len(variants)))
        if args.floor:
            floor = floors.get(name)
            if floor is not None:
                floor = int(floor * share)
            ok = floor is not None and passed >= floor
            print("%s %d - %s: %d/%d pass (floor %s)" % (
                "ok" if ok else "not ok", n, name, passed, len(variants), floor))
            if not ok or args.show_failures:
                for vn, why in failures:
                    print("#   %s: %s" % (vn, why))
        else:
            rate = 100.0 * passed / len(variants) if variants else 100.0
            print("%-34s %4d/%-4d %6.1f %%" % (name, passed, len(variants), rate))
            if args.show_failures:
                for vn, why in failures:
                    print("    %s: %s" % (vn, why))
    if args.write_floor:
        with open(args.write_floor, "w", encoding="utf-8") as f:
            f.write("# mutation  passes-that-must-not-drop  (of variants when written)\n"
                    "# rewrite with: tests/mutate.py BIN fixtures --write-floor tests/mutation-floors.txt\n")
            for name, passed, total in measured:
                f.write("%-34s %4d  # of %d\n" % (name, passed, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
