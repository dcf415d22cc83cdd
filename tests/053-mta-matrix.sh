#!/bin/sh
# Real MTAs write the bounces: contrib/dev/mta-matrix runs a private
# Postfix and, where contrib/install-deps.sh unpacked them, a private Exim,
# OpenSMTPD, Sendmail, Courier, dma and nullmailer on loopback, routes every domain to its own SMTP responder, which refuses
# each recipient with a reply from its catalogue (sisimai's phrases, the
# providers' documented replies, the MTA's own local failures), and reads
# the bounces and delay warnings the MTAs send back.  A bounded subset
# (every 40th phrase, every provider reply and local failure, queues that
# give up after 15 s); asserted, per MTA: every entry comes back, every
# record names its recipient once with the right action and status class,
# every provider reply and local failure gets its reason (the few the MTA
# leaves undecidable are listed below), and the phrases at least 85 %.
. "$BT_SRCDIR/tests/lib.sh"
. "$BT_SRCDIR/tests/mta-lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "starting the MTAs needs root"
[ -n "$PYTHON3" ] || skip_all "python3 is needed"
PATH=$PATH:/usr/sbin:/sbin
mtas=
if command -v postfix >/dev/null 2>&1 && getent passwd postfix >/dev/null &&
   getent group postdrop >/dev/null; then
    mtas=postfix
fi
exim_root=${BT_EXIM_ROOT:-/opt/bouncetriage-exim}
if [ -x "$exim_root/usr/sbin/exim4" ] && getent passwd Debian-exim >/dev/null &&
   "$exim_root/usr/sbin/exim4" -C /dev/null -bV >/dev/null 2>&1; then
    mtas=${mtas:+$mtas,}exim
fi
osmtpd_root=${BT_OPENSMTPD_ROOT:-/opt/bouncetriage-opensmtpd}
# one OpenSMTPD at a time: its spool and socket are compiled in
if [ -x "$osmtpd_root/usr/sbin/smtpd" ] && getent passwd opensmtpd >/dev/null &&
   getent passwd opensmtpq >/dev/null && [ ! -e /var/run/smtpd.sock ] &&
   [ ! -e /var/spool/smtpd ]; then
    mtas=${mtas:+$mtas,}opensmtpd
fi
sendmail_root=${BT_SENDMAIL_ROOT:-/opt/bouncetriage-sendmail}
if [ -x "$sendmail_root/usr/libexec/sendmail/sendmail" ] && command -v m4 >/dev/null 2>&1 &&
   [ -d "$sendmail_root/usr/share/sendmail/cf/m4" ]; then
    mtas=${mtas:+$mtas,}sendmail
else
    sendmail_missing="no unpacked Sendmail in $sendmail_root (contrib/install-deps.sh puts it there)"
fi
courier_root=${BT_COURIER_ROOT:-/opt/bouncetriage-courier}
# Courier runs in namespaces of its own (unshare, nsenter) as user courier
if [ -x "$courier_root/usr/lib/courier/courier/courierd" ] && getent passwd courier >/dev/null &&
   command -v unshare >/dev/null 2>&1 && command -v nsenter >/dev/null 2>&1 &&
   unshare --mount --pid --fork true 2>/dev/null; then
    mtas=${mtas:+$mtas,}courier
else
    courier_missing="no unpacked Courier in $courier_root, or no namespaces (contrib/install-deps.sh puts it there)"
fi
dma_root=${BT_DMA_ROOT:-/opt/bouncetriage-dma}
# dma's dma.conf path is compiled in: it runs in namespaces of its own too
if [ -x "$dma_root/usr/sbin/dma" ] && getent passwd mail >/dev/null &&
   command -v unshare >/dev/null 2>&1 && command -v nsenter >/dev/null 2>&1 &&
   unshare --mount --pid --fork true 2>/dev/null; then
    mtas=${mtas:+$mtas,}dma
else
    dma_missing="no unpacked dma in $dma_root, or no namespaces (contrib/install-deps.sh puts it there)"
fi
nullmailer_root=${BT_NULLMAILER_ROOT:-/opt/bouncetriage-nullmailer}
if [ -x "$nullmailer_root/usr/sbin/nullmailer-send" ]; then
    mtas=${mtas:+$mtas,}nullmailer
else
    nullmailer_missing="no unpacked nullmailer in $nullmailer_root (contrib/install-deps.sh puts it there)"
fi
[ -n "$mtas" ] || skip_all "neither Postfix nor the unpacked Exim, OpenSMTPD, Sendmail, Courier, dma or nullmailer is there"

mta_user
mta_private_dir matrix
echo "# MTAs: $mtas"
BT_SENDMAIL_ROOT=$sendmail_root BT_COURIER_ROOT=$courier_root BT_DMA_ROOT=$dma_root \
BT_NULLMAILER_ROOT=$nullmailer_root \
ok "mta-matrix runs $mtas" "$PYTHON3" "$BT_SRCDIR/contrib/dev/mta-matrix" \
    --mta "$mtas" --exim-root "$exim_root" --bin "$BT_BIN" --limit 40 \
    --queue-life 15 --keep "$MTA_DIR" --json "$TMP/rows.jsonl" --no-oracle --misses
sed 's/^/# /' "$TMP/out.1" | head -60

# check MTA WHAT: one assertion over that MTA's rows
check() {
    "$PYTHON3" - "$TMP/rows.jsonl" "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mta, what = sys.argv[2], sys.argv[3]
rows = [r for r in rows if r['mta'] == mta]
got = [r for r in rows if not r.get('nobounce')]
phrase = lambda r: r['entry'][0] == 'p' and r['entry'][1:].isdigit()
# what the MTA itself leaves undecidable: Exim says only "Unrouteable
# address" for an unknown user of its own domain (as for a domain that does
# not exist) and hides its "Too many Received headers" text; nullmailer
# says only "Connect failed" (Status 5.0.0) for a closed port and for a
# host name that does not resolve
undecidable = {('exim', 'nosuchuser'), ('exim', 'm3a'), ('exim', 'loop'),
               ('nullmailer', 'refused'), ('nullmailer', 'nohost')}
bad = []
if what == 'bounces':
    bad = [r['entry'] for r in rows if r.get('nobounce')]
    bad += ['no rows'] if len(got) < 30 else []
elif what == 'records':
    bad = ['%s: %s' % (r['entry'], k) for r in got
           for k in ('rcpt', 'action', 'class') if not r[k]]
    bad += ['%s: duplicate records' % r['entry'] for r in got if r['dups']]
elif what == 'reasons':
    bad = ['%s: %s, expected %s' % (r['entry'], r['ours'], '|'.join(r['expect']))
           for r in got if not phrase(r) and not r['reason']
           and (mta, r['entry']) not in undecidable]
elif what == 'phrases':
    sel = [r for r in got if phrase(r)]
    share = sum(r['reason'] for r in sel) / max(1, len(sel))
    bad = [] if sel and share >= 0.85 else ['%d phrases, %.1f %% right' % (len(sel), 100 * share)]
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
}
IFS=,
for mta in $mtas; do
    unset IFS
    ok "$mta: a bounce comes back for every entry" check "$mta" bounces
    ok "$mta: each names its recipient once, with its action and status class" check "$mta" records
    ok "$mta: provider replies and local failures get their reason" check "$mta" reasons
    ok "$mta: 85 % of sisimai's phrases get their reason" check "$mta" phrases
done
unset IFS
# the four assertions of an MTA that is not there are counted as skips
for mta in sendmail courier dma nullmailer; do
    eval "missing=\${${mta}_missing:-}"
    [ -n "$missing" ] || continue
    for what in "a bounce comes back for every entry" "each names its recipient once" \
                "provider replies and local failures get their reason" "85 % of the phrases"; do
        skip "$mta: $what" "$missing"
    done
done
done_testing
