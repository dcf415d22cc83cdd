# bouncetriage-verdict.sieve — Dovecot Pigeonhole: files a bounce into
# Bounces.<reason> by bouncetriage's verdict, leaving the message as it
# came (no X-Bounce-* fields are added).
#
# Needs the extprograms plugin with vnd.dovecot.execute enabled, and in
# sieve_execute_bin_dir the bouncetriage-verdict program beside this file
# with bouncetriage (or a symlink to it): see dovecot-extprograms.conf.
require ["vnd.dovecot.execute", "fileinto", "mailbox", "regex", "variables"];

# Bounces.<reason> under the maildir default separator "."; with
# "separator = /" in the namespace, write "Bounces/".
set "folder" "Bounces.";

# bouncetriage-verdict prints the reason of the first bounced recipient; a
# message that is not a bounce prints nothing and is kept as usual, and so
# is any message when the program fails.
if execute :pipe :output "reason" "bouncetriage-verdict" {
    if string :regex "${reason}" "^([a-z]+)" {
        set "reason" "${1}";
        fileinto :create "${folder}${reason}";
        stop;
    }
}
