# Helpers for the --check shell tests (after lib.sh): dnsmasq serving the
# fixture zone, a name server that never answers, and generated bounces.

DNSMASQ=$(command -v dnsmasq 2>/dev/null || { [ -x /usr/sbin/dnsmasq ] && echo /usr/sbin/dnsmasq; })
PY=${PYTHON3:-$(command -v python3 2>/dev/null)}
_bt_pids=
trap 'for p in $_bt_pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# A loopback UDP port that nothing uses now.
free_port() {
    if [ -n "$PY" ]; then
        "$PY" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    else
        echo $((20000 + $$ % 20000))
    fi
}

# Starts dnsmasq with tests/data/dns/zone.conf; sets NS (HOST:PORT) and
# QLOG (every query it receives, one line each).  Skips the whole test
# when dnsmasq is missing.  The port free_port found free over UDP may be
# taken over TCP, or by a test running beside this one, before dnsmasq
# binds it ("Address already in use"): a dnsmasq that exits at once is
# tried again on another port.
start_dnsmasq() {
    [ -n "$DNSMASQ" ] || skip_all "dnsmasq is not installed"
    QLOG=$TMP/queries.log
    for _bt_try in 1 2 3 4 5; do
        port=$(free_port)
        : >"$QLOG"
        "$DNSMASQ" --keep-in-foreground --conf-file="$BT_SRCDIR/tests/data/dns/zone.conf" \
            --port="$port" --listen-address=127.0.0.1 --bind-interfaces --pid-file= \
            --user="$(id -un)" --log-queries --log-facility="$QLOG" >"$TMP/dnsmasq.out" 2>&1 &
        _bt_dns=$!
        NS=127.0.0.1:$port
        _bt_tries=0
        until grep -qs "cleared cache\|using only locally-known" "$QLOG"; do
            kill -0 "$_bt_dns" 2>/dev/null || break
            _bt_tries=$((_bt_tries + 1))
            [ "$_bt_tries" -lt 240 ] || break
            sleep 0.25
        done
        if grep -qs "cleared cache\|using only locally-known" "$QLOG"; then
            _bt_pids="$_bt_pids $_bt_dns"
            return 0
        fi
        kill "$_bt_dns" 2>/dev/null
        wait "$_bt_dns" 2>/dev/null
    done
    skip_all "dnsmasq did not start: $(cat "$TMP/dnsmasq.out")"
}

# Starts a UDP listener on loopback that reads and never answers; sets
# SILENT (HOST:PORT) and SILENT_LOG (one line per datagram received).
start_silent_server() {
    [ -n "$PY" ] || skip_all "python3 is not installed"
    SILENT_LOG=$TMP/silent.log
    : >"$SILENT_LOG"
    "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
with open(sys.argv[1], "a") as log:
    while True:
        s.recv(4096)
        log.write("datagram\n")
        log.flush()
' "$SILENT_LOG" >"$TMP/silent.port" &
    _bt_pids="$_bt_pids $!"
    wait_until test -s "$TMP/silent.port"
    SILENT=127.0.0.1:$(cat "$TMP/silent.port")
}

# make_bounces FILE N DOMAINS: an mbox of N DSNs (status 5.7.26, an SPF
# failure naming the sending address) whose senders cycle through DOMAINS
# (space-separated); the returned headers carry a DKIM-Signature.
make_bounces() {
    awk -v n="$2" -v domains="$3" 'BEGIN {
        nd = split(domains, d, " ")
        for (i = 0; i < n; i++) {
            dom = d[i % nd + 1]
            printf "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n"
            printf "From: Mail Delivery System <MAILER-DAEMON@mx.receiver.test>\n"
            printf "To: sender@%s\nSubject: Undelivered Mail Returned to Sender\n", dom
            printf "Date: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <dsn%d@mx.receiver.test>\n", i
            printf "MIME-Version: 1.0\n"
            printf "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b%d\"\n\n", i
            printf "--b%d\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n", i
            printf "--b%d\nContent-Type: message/delivery-status\n\n", i
            printf "Reporting-MTA: dns; mx.receiver.test\n\n"
            printf "Final-Recipient: rfc822; user%d@receiver.test\nAction: failed\nStatus: 5.7.26\n", i
            printf "Diagnostic-Code: smtp; 550 5.7.26 SPF check failed: [198.18.%d.%d] is not allowed to send for %s\n\n", int(i / 250), i % 250, dom
            printf "--b%d\nContent-Type: text/rfc822-headers\n\n", i
            printf "Return-Path: <bounce@%s>\nFrom: sender@%s\nTo: user%d@receiver.test\nSubject: hello\n", dom, dom, i
            printf "DKIM-Signature: v=1; a=rsa-sha256; d=%s; s=default; h=from; bh=x; b=y\n\n", dom
            printf "--b%d--\n\n", i
        }
    }' >"$1"
}
