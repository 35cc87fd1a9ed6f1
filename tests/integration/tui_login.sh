#!/usr/bin/env bash
# A uid that is not a local super-admin gets the login dialog; the
# password is masked and never on the screen.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/tui.bash"
# root is not a super-admin without a password here.
of_start "[control]" "super_uids = 4242"
pass=$(sed -n 1p "$T/lib/admin.password")
[ -n "$pass" ] || of_bail "no admin password in $T/lib/admin.password"

tui_start
sees "the login dialog opens" 'Log in to outfilterd'
sees "it says why" 'login refused for uid 0'
keys a d m i n Tab w r o n g p a s s Enter
sees "a wrong password asks again" 'wrong name or password' 10
keys C-u a d m i n Tab C-u
keys -l -- "$pass"	# a password may start with "-"
sees "the password is masked" 'Password: \*+'
sees_not "the password is not on the screen" "$pass"
keys Enter
sees "logged in as the admin" 'admin \(super-admin\)' 10
sees_not "the password is not on the screen after login" "$pass"
keys Enter
sees "and can list users" 'nothing to show|rows? loaded'
keys Escape
wait_for '^ Main menu +' 2
keys G Enter
sees "the event socket takes the login too: live status" 'Live at [0-9:]{8}: ' 10
keys Q
wait_for 'outfilter-tui exited with 0' 5
is "quits cleanly" 0 "$(alt_screen)"

# A domain admin sees no super-admin entries, and may not switch filters.
creds=$T/creds
printf 'user = admin\npassword = %s\n' "$pass" >"$creds"
chmod 600 "$creds"
export OUTFILTER_CREDENTIALS=$creds
ctl domain add example.com >/dev/null
dpw=$(secret 'domain admin secret')
ok "a domain admin" ctl admin add dom1 --role domain --domain example.com --password-file "$dpw"
printf 'user = dom1\npassword = domain admin secret\n' >"$creds"
tui_stop
tui_start
sees "credentials from the file log in without a dialog" 'dom1 \(domain admin\)' 10
sees_not "no login dialog" 'Log in to outfilterd'
sees_not "a domain admin does not see Admins" '^x Admins'
sees "but sees Domains" '^x Domains'
keys g j j j j j j Enter
sees "its domain is listed" 'example\.com +no'
is "nor the keys to add or delete a domain" 0 "$(footer | grep -Ec 'a Add|d Delete')"
keys Space
sees "turning the filter on is refused, saying why" 'only a super-admin may'
keys Enter
keys a
sees_not "a adds no domain" 'Add a domain'
ok "the super-admin adds another domain" \
    ctl --user admin --password-file "$(secret "$pass")" domain add example.org
keys C-r
sees_not "another domain is not listed" 'example\.org'
keys Escape
wait_for '^ Main menu +' 2
keys g j j Enter
sees "the templates can be read" 'default +en'
keys a
sees "adding one is refused, saying why" 'only a super-admin may add a lock-notification template'
keys Enter Q
wait_for 'outfilter-tui exited with 0' 5
is "quits cleanly" 0 "$(alt_screen)"
tui_done
