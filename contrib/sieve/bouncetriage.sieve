# bouncetriage.sieve — Dovecot Pigeonhole: annotates a bounce with
# bouncetriage and files it into Bounces.<reason> by X-Bounce-Reason.
#
# Needs the extprograms plugin with vnd.dovecot.filter enabled and
# bouncetriage (or a symlink to it) in sieve_filter_bin_dir: see
# dovecot-extprograms.conf beside this file.  A message that is not a
# bounce comes out of the filter unchanged and is kept as usual.
require ["vnd.dovecot.filter", "fileinto", "mailbox", "regex", "variables"];

# Bounces.<reason> under the maildir default separator "."; with
# "separator = /" in the namespace, write "Bounces/".
set "folder" "Bounces.";

# The test form: when bouncetriage cannot run, the script goes on with the
# message as it came, and its own X-Bounce-* fields (maybe forged) are not
# trusted.  bouncetriage removes those before it adds its own.
if filter "bouncetriage" ["--annotate"] {
    # A reason is a lowercase word (userunknown, mailboxfull, …).
    if header :regex "X-Bounce-Reason" "^([a-z]+)$" {
        set "reason" "${1}";
        fileinto :create "${folder}${reason}";
        stop;
    }
}
