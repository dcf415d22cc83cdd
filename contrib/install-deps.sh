#!/bin/sh
# Installs the Debian 12 packages that bouncetriage's build and test suite
# need.  Run as root, or as a user with sudo.
set -e
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

# Build: compiler, autotools and the libraries of DESIGN.md; mimalloc is
# optional (configure links it when present: ~14 % less CPU per message).
# libgpgme-dev lets GMime's archive link statically (configure
# --enable-static-deps: one message on stdin ~1.9 ms faster).
BUILD="build-essential autoconf automake libtool pkg-config
       libgmime-3.0-dev libgpgme-dev libglib2.0-dev zlib1g-dev libpcre2-dev libyaml-dev libjson-glib-dev
       libc-ares-dev libcurl4-openssl-dev libpsl-dev libsqlite3-dev
       libjs-chart.js libmimalloc-dev"
# Tests: python3 runs the shared conformance scorer; dnsmasq serves the DNS
# checks' fixture zone (dnsmasq-base: the program, without a system service).
# procmail, sieve-test (dovecot-sieve, with the extprograms plugin, needs
# dovecot-core), Postfix and swaks run the contrib/ mail recipes.  Chromium
# renders the --report page headless (Chart.js, above, is inlined into it).
# clang with libFuzzer (libclang-rt-14-dev) builds the fuzz targets (make fuzz).
TEST="python3 python3-yaml dnsmasq-base
      procmail dovecot-core dovecot-sieve postfix swaks
      chromium clang libclang-rt-14-dev"
# Benchmark only (bench/speed.sh, bench/run.sh compare with Perl sisimai);
# no test needs it.
BENCH="libsisimai-perl"

# Postfix asks how to configure itself: not at all, the tests bring their
# own configuration.  And no mail daemon should start during the install:
# where no policy-rc.d says so already, one refuses every start meanwhile.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
fi

$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $BUILD $TEST $BENCH >/dev/null
echo "install-deps: build and test packages are installed"

# unpack_debs ROOT PACKAGE...: downloads the packages (not installing
# them) and unpacks each into ROOT; fails when one cannot be fetched.
unpack_debs() {
    root=$1; shift
    debs=$(mktemp -d)
    chmod 777 "$debs"   # apt-get download writes as _apt where it can
    rc=0
    (cd "$debs" && $SUDO apt-get download -qq "$@") \
        && for deb in "$debs"/*.deb; do $SUDO dpkg -x "$deb" "$root"; done \
        || rc=1
    $SUDO rm -rf "$debs"
    return $rc
}

# Exim 4 for tests/053-mta-matrix.sh: Debian's exim4 conflicts with postfix,
# so its packages are unpacked (not installed) into a fixed directory, the
# one contrib/dev/mta-matrix looks in; libidn12 is the one library the
# binary needs that the packages above do not bring, and Debian-exim the
# user it is built to run as.
EXIM_ROOT=/opt/bouncetriage-exim
if [ ! -x "$EXIM_ROOT/usr/sbin/exim4" ]; then
    # The libraries the unpacked binary links (exim4-daemon-light's Depends):
    # dpkg -x installs none of them.
    $SUDO apt-get install -y -qq --no-install-recommends libidn12 libdb5.3 \
        libgnutls30 libgnutls-dane0 libunbound8 libnsl2 libtirpc3 >/dev/null
    getent group Debian-exim >/dev/null || $SUDO groupadd --system Debian-exim
    getent passwd Debian-exim >/dev/null || $SUDO useradd --system -g Debian-exim \
        -d /var/spool/exim4 -s /usr/sbin/nologin Debian-exim
    unpack_debs "$EXIM_ROOT" exim4-daemon-light exim4-base exim4-config \
        || echo "install-deps: could not fetch Exim; tests/053-mta-matrix.sh runs Postfix only"
fi
# OpenSMTPD for the same test, unpacked the same way (it too would replace
# postfix as the system MTA); the two users its privilege separation needs.
OSMTPD_ROOT=/opt/bouncetriage-opensmtpd
if [ ! -x "$OSMTPD_ROOT/usr/sbin/smtpd" ]; then
    # opensmtpd's Depends, which dpkg -x does not install.
    $SUDO apt-get install -y -qq --no-install-recommends libevent-2.1-7 \
        libdb5.3 libssl3 libpam0g libaudit1 libcap-ng0 >/dev/null
    for u in opensmtpd opensmtpq; do
        getent passwd $u >/dev/null || $SUDO useradd --system -d /var/lib/opensmtpd/empty -s /usr/sbin/nologin $u
    done
    unpack_debs "$OSMTPD_ROOT" opensmtpd \
        || echo "install-deps: could not fetch OpenSMTPD; tests/053-mta-matrix.sh goes on without it"
fi
# Sendmail 8.17 for the same test, unpacked the same way (sendmail-bin too
# would replace postfix): the binary, makemap, and sendmail-cf's m4 files,
# from which mta-matrix writes its sendmail.cf (m4 itself comes with
# autoconf above).  Its Depends, which dpkg -x does not install; the
# DefaultUser of that sendmail.cf is Debian's "mail", there already.
SENDMAIL_ROOT=/opt/bouncetriage-sendmail
if [ ! -x "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ]; then
    $SUDO apt-get install -y -qq --no-install-recommends m4 libdb5.3 libldap-2.5-0 \
        liblockfile1 libnsl2 libsasl2-2 libssl3 libwrap0 >/dev/null
    unpack_debs "$SENDMAIL_ROOT" sendmail-bin sendmail-cf \
        || echo "install-deps: could not fetch Sendmail; tests/053-mta-matrix.sh goes on without it"
fi
# Courier-MTA 1.0 for the same test, unpacked the same way (courier-mta
# too would replace postfix): courier-mta and courier-base, and the two
# library packages of Courier's own they link, courier-authlib and
# libcourier-unicode4, unpacked beside them rather than installed
# (mta-matrix points the namespace's ld.so.cache at them).  Its paths are
# compiled in: mta-matrix runs it in a mount namespace of its own with the
# run's directories bound over /etc/courier, /var/lib/courier,
# /run/courier and /usr/lib/courier, the empty mount points made here.
# The system libraries its daemons link, which dpkg -x does not install
# (unshare and nsenter are util-linux's), and the user and group
# "courier" its daemons run as.
COURIER_ROOT=/opt/bouncetriage-courier
if [ ! -x "$COURIER_ROOT/usr/lib/courier/courier/courierd" ]; then
    $SUDO apt-get install -y -qq --no-install-recommends util-linux libgdbm6 \
        libidn12 libstdc++6 >/dev/null
    getent group courier >/dev/null || $SUDO groupadd --system courier
    getent passwd courier >/dev/null || $SUDO useradd --system -g courier \
        -d /var/lib/courier -s /usr/sbin/nologin courier
    unpack_debs "$COURIER_ROOT" courier-mta courier-base courier-authlib libcourier-unicode4 \
        && $SUDO mkdir -p /etc/courier /var/lib/courier /run/courier /usr/lib/courier \
        || echo "install-deps: could not fetch Courier; tests/053-mta-matrix.sh goes on without it"
fi
# The DragonFly Mail Agent 0.13 for the same test, unpacked the same way
# (dma too would replace postfix as the system MTA).  Its configuration
# file, /etc/dma/dma.conf, is compiled in: mta-matrix binds a directory
# of its own over /etc/dma in a mount namespace, the empty mount point
# made here.  It links only libssl3 (there already: OpenSMTPD's Depends
# above) and runs as Debian's "mail", there already.
DMA_ROOT=/opt/bouncetriage-dma
if [ ! -x "$DMA_ROOT/usr/sbin/dma" ]; then
    $SUDO apt-get install -y -qq --no-install-recommends util-linux libssl3 >/dev/null
    unpack_debs "$DMA_ROOT" dma \
        && $SUDO mkdir -p /etc/dma \
        || echo "install-deps: could not fetch dma; tests/053-mta-matrix.sh goes on without it"
fi
# nullmailer 2.2 for the same test, unpacked the same way (it too would
# replace postfix).  Its paths are compiled in, but its programs read them
# under $NULLMAILER_TEST_PREFIX (its own test suite's hook): mta-matrix
# copies the programs into the run's directory and sets it.  It links
# libgnutls30 (Exim's Depends above) and libstdc++6 (Courier's).
NULLMAILER_ROOT=/opt/bouncetriage-nullmailer
if [ ! -x "$NULLMAILER_ROOT/usr/sbin/nullmailer-send" ]; then
    $SUDO apt-get install -y -qq --no-install-recommends libgnutls30 libstdc++6 >/dev/null
    unpack_debs "$NULLMAILER_ROOT" nullmailer \
        || echo "install-deps: could not fetch nullmailer; tests/053-mta-matrix.sh goes on without it"
fi
