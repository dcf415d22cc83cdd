# Shared helpers for the tests that run real mail programs (tests/05x-*.sh),
# sourced after tests/lib.sh.  Dovecot and Postfix run bouncetriage as an
# unprivileged user, which may not reach the build tree (CI builds under a
# private mktemp directory), so the tests give that user a private copy:
#
#   mta_user             MTA_USER / MTA_GROUP: nobody, or ourselves when not root
#   as_mta_user CMD…     runs CMD as that user
#   mta_private_dir NAME MTA_DIR: a fresh directory owned by us, mode 755,
#                        reachable by MTA_USER, with no world-writable parent
#                        below /; removed on exit
#   mta_install_bt DIR   DIR/bouncetriage: a wrapper running a copy of $BT_BIN
#                        with a copy of the shipped rules and layouts
#   MTA_ON_EXIT          shell code run first on exit (stopping a server)
# BT_KEEP_TMP=1 keeps the directories for a look after a failure.

MTA_ON_EXIT=:
MTA_DIR=
_mta_exit() {
    eval "$MTA_ON_EXIT"
    [ -z "${BT_KEEP_TMP:-}" ] || { echo "# kept $TMP $MTA_DIR"; return; }
    rm -rf "$TMP" ${MTA_DIR:+"$MTA_DIR"}
}
trap _mta_exit EXIT
trap 'exit 1' HUP INT TERM

mta_user() {
    if [ "$(id -u)" -eq 0 ]; then
        MTA_USER=${BT_MTA_USER:-nobody}
        id "$MTA_USER" >/dev/null 2>&1 || skip_all "no user $MTA_USER to run the mail programs as"
        command -v setpriv >/dev/null 2>&1 || skip_all "setpriv is needed to drop root"
        MTA_GROUP=$(id -gn "$MTA_USER")
    else
        MTA_USER=$(id -un)
        MTA_GROUP=$(id -gn)
    fi
}

as_mta_user() {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid="$MTA_USER" --regid="$MTA_GROUP" --clear-groups -- "$@"
    else
        "$@"
    fi
}

# True when no directory from / down to $1 is writable by everyone.
_mta_parents_safe() {
    d=$1
    while [ "$d" != / ] && [ -n "$d" ]; do
        [ -z "$(find "$d" -maxdepth 0 -perm -0002)" ] || return 1
        d=$(dirname "$d")
    done
}

mta_private_dir() {
    for base in "$BT_BUILDDIR/tests" /run; do
        [ -d "$base" ] && [ -w "$base" ] && _mta_parents_safe "$base" || continue
        MTA_DIR=$(mktemp -d "$base/tmp-$1.XXXXXX") || continue
        chmod 755 "$MTA_DIR"
        as_mta_user test -x "$MTA_DIR" && return 0
        rmdir "$MTA_DIR"
        MTA_DIR=
    done
    skip_all "no directory that $MTA_USER can reach without a world-writable parent"
}

# The wrapper passes on the sanitizers' settings, which the mail programs
# drop from the environment: a leak report must not turn into an exit code.
mta_install_bt() {
    mkdir -p "$1" "$MTA_DIR/libexec"
    cp "$BT_BIN" "$MTA_DIR/libexec/bouncetriage"
    cp -R "$BT_SRCDIR/rules" "$MTA_DIR/rules"
    cat >"$1/bouncetriage" <<EOF
#!/bin/sh
BOUNCETRIAGE_RULES='$MTA_DIR/rules'
BOUNCETRIAGE_LAYOUTS='$MTA_DIR/rules/layouts'
ASAN_OPTIONS='${ASAN_OPTIONS:-detect_leaks=0}'
UBSAN_OPTIONS='${UBSAN_OPTIONS:-}'
export BOUNCETRIAGE_RULES BOUNCETRIAGE_LAYOUTS ASAN_OPTIONS UBSAN_OPTIONS
exec '$MTA_DIR/libexec/bouncetriage' "\$@"
EOF
    chmod -R u+w,go-w,a+rX "$1" "$MTA_DIR/libexec" "$MTA_DIR/rules"
    chmod 755 "$1/bouncetriage" "$MTA_DIR/libexec/bouncetriage"
}
