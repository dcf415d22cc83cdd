#!/bin/sh
# Generalisation: every fixture with a recipient, rewritten into the
# variants other MTAs and versions print (tests/mutate.py: DSNs without
# recipient fields, internal Final-Recipients, repeated blocks, decorated
# addresses, lead-ins above the reply, wrapped replies, odd header starts,
# other transfer encodings, HTML-only notices, report parts reversed,
# localised subjects, quoted-printable breaks inside addresses, a
# gateway's trace above the text), must still give the same
# recipients (and reason, where the wording is untouched); a person's
# inline forward of any of them must give no record; the fixtures
# that are no bounce must stay without a record in every form.  Each mutation
# must keep at least the passes tests/mutation-floors.txt records, so a
# change that makes extraction more brittle fails here.
# BT_MUTATION_SAMPLE=N mutates every Nth fixture only, each floor scaled
# to the share kept: .ci/run's sanitizer pass uses 2, since this test
# grows with every fixture and the CI has a time limit.
. "$BT_SRCDIR/tests/lib.sh"
[ -n "$PYTHON3" ] || skip_all "python3 is needed to mutate the fixtures"
exec "$PYTHON3" "$BT_SRCDIR/tests/mutate.py" --floor "$BT_SRCDIR/tests/mutation-floors.txt" \
    --sample "${BT_MUTATION_SAMPLE:-1}" "$BT_BIN" "$BT_SRCDIR/fixtures"
