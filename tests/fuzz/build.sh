#!/bin/bash
# Builds the libFuzzer targets into fuzz-build/ with clang: every library
# source of src/ compiled once with -fsanitize=fuzzer-no-link,address,undefined
# (coverage for libFuzzer, no second main), each target linked with
# -fsanitize=fuzzer.  Run by `make fuzz`, which passes the configured
# preprocessor flags and libraries; rebuilds only what changed.
#   FUZZ_CPPFLAGS FUZZ_DEP_CFLAGS FUZZ_LIBS  from make; FUZZ_CC (default clang)
# The project's own defines (Makefile.am's AM_CPPFLAGS) are spelled out here
# because their quotes do not survive a trip through a make variable.
#   build.sh SRCDIR TARGET…
set -eu
srcdir=$1; shift
cc=${FUZZ_CC:-clang}
out=fuzz-build
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void) d; return (int) n & 0; }\n' >"$probe/t.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/t.c" -o "$probe/t" >/dev/null 2>&1; then
    echo "make fuzz needs clang with libFuzzer ($cc could not link -fsanitize=fuzzer)." >&2
    echo "On Debian/Ubuntu: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
fi

mkdir -p "$out/obj"
abs_src=$(cd "$srcdir" && pwd)
# shellcheck disable=SC2206
cflags=(-g -O1 -Wall -Wextra -std=gnu11 $san $FUZZ_CPPFLAGS -I"$srcdir/src"
        -DBT_PKGDATADIR="\"/nonexistent\"" -DBT_ABS_SRCDIR="\"$abs_src\""
        -DBT_ABS_BUILDDIR="\"$PWD\"" -DG_LOG_DOMAIN='"bouncetriage"'
        -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_66 $FUZZ_DEP_CFLAGS)
newest_header=$(ls -t "$srcdir"/src/*/*.h "$srcdir"/src/*/*.inc "$srcdir"/tests/fuzz/*.h config.h | head -n 1)

# compile SRC OBJ [FLAGS]: only when the object is older than it or a header
compile() {
    if [ ! -e "$2" ] || [ "$1" -nt "$2" ] || [ "$newest_header" -nt "$2" ]; then
        echo "  CC (fuzz) $1"
        # shellcheck disable=SC2086
        "$cc" "${cflags[@]}" $3 -c "$1" -o "$2"
    fi
}

objs=""
for f in "$srcdir"/src/core/*.c "$srcdir"/src/source/*.c "$srcdir"/src/extract/*.c \
         "$srcdir"/src/rules/*.c "$srcdir"/src/sink/*.c "$srcdir"/src/checks/*.c "$srcdir"/src/flow/*.c; do
    # the fuzzers link the checks themselves, not the program's module
    # loader, its twin launcher nor the module's entry point (the program's
    # side of the checks; the loader and the module define the same API)
    case "$f" in */checks/loader.c | */checks/module.c | */checks/twin.c) continue ;; esac
    o="$out/obj/$(basename "$(dirname "$f")")-$(basename "$f" .c).o"
    compile "$f" "$o" -fsanitize=fuzzer-no-link
    objs="$objs $o"
done
for t in "$@"; do
    o="$out/obj/target-$t.o"
    compile "$srcdir/tests/fuzz/$t.c" "$o" "-fsanitize=fuzzer-no-link -DFUZZ_TARGET=\"$t\""
    echo "  CCLD (fuzz) $out/fuzz-$t"
    # shellcheck disable=SC2086
    "$cc" -fsanitize=fuzzer $san "$o" $objs $FUZZ_LIBS -o "$out/fuzz-$t"
done
echo "fuzzers in $out/: $(cd "$out" && ls fuzz-* | tr '\n' ' ')"
echo "run one: $out/fuzz-triage -dict=$srcdir/tests/fuzz/mime.dict CORPUS_DIR (see tests/fuzz/README.md)"
