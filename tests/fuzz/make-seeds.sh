#!/bin/sh
# Builds the fuzzers' seed corpora from what the tree already has: our
# fixture messages and the sample mbox (triage, annotate, source, which
# also gets the sample mbox gzip-compressed, whole and cut), the
# shipped and test rule packs (rules), the shipped layouts (layouts), the
# small hand-made DNS messages and API answers under tests/fuzz/seeds/
# (dns, resend), plus every regression file.  Nothing large is committed:
# the corpora are made here, outside the git tree, on demand.
#   make-seeds.sh SRCDIR OUTDIR [TARGET…]
set -eu
src=$1; out=$2; shift 2
[ $# -gt 0 ] || set -- triage annotate rules layouts source dns resend

# put TARGET FILE…: copies each file under a name made of its path, so
# fixtures of different groups never overwrite each other
put() {
    t=$1; shift
    mkdir -p "$out/$t"
    for f in "$@"; do
        [ -f "$f" ] || continue
        case $f in */README.md) continue ;; esac
        cp "$f" "$out/$t/$(printf '%s' "${f#"$src"/}" | tr '/' '_')"
    done
}

for t in "$@"; do
    case $t in
        triage|annotate) put "$t" $(find "$src/fixtures" -name '*.eml' | sort) ;;
        source) put "$t" $(find "$src/fixtures" -name '*.eml' -o -name '*.mbox' | sort)
                # gzip inputs (src/source/decompress.c): whole, two members, cut
                gzip -n -c "$src/fixtures/sample.mbox" >"$out/$t/gzip_sample.mbox.gz"
                cat "$out/$t/gzip_sample.mbox.gz" "$out/$t/gzip_sample.mbox.gz" >"$out/$t/gzip_two-members.gz"
                head -c 1500 "$out/$t/gzip_sample.mbox.gz" >"$out/$t/gzip_cut.gz" ;;
        rules) put "$t" "$src"/rules/*.yaml $(find "$src/tests/data/rules" -name '*.yaml' | sort) ;;
        layouts) put "$t" "$src"/rules/layouts/*.yaml ;;
        dns|resend) put "$t" "$src"/tests/fuzz/seeds/"$t"/* ;;
        *) echo "make-seeds.sh: unknown target $t" >&2; exit 64 ;;
    esac
    if [ -d "$src/tests/fuzz/regressions/$t" ]; then
        put "$t" $(find "$src/tests/fuzz/regressions/$t" -type f | sort)
    fi
    echo "$t: $(ls "$out/$t" | wc -l) seeds in $out/$t"
done
