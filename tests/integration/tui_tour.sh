#!/usr/bin/env bash
# Every screen of the console, as a reviewer tours it: each menu entry's
# screen and the screens and forms below them resized 80x24 -> 60x20 ->
# 132x43 -> 80x24, F1 help naming every hint of the footer, and Esc
# taking the screen away within 150 ms.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/tui.bash"

of_start
pw=$(secret 'correct horse battery')
ctl domain add example.com >/dev/null
ctl domain enable example.com >/dev/null
ctl user add ip host1 --domain example.com --ip 127.0.0.1 >/dev/null
ctl user add smtp alice@example.com --domain example.com --password-file "$pw" >/dev/null

tui_start
sees "the console opens" 'Outgoing > Manage users'

# tour WHAT PATTERN KEYS...: the screen whose breadcrumb ends in PATTERN,
# resized, its help checked, and left with Esc (KEYS open it again).
tour() {
	local what=$1 pat=$2
	shift 2
	sees "$what is shown" "$pat"
	resize_tour "$what" "$pat"
	help_matches_footer "$what: F1 help names every footer hint"
	esc_quick "$what" "$pat" "$@"
}
menu() {
	keys Escape
	wait_for '^ Main menu +' 2
	select_row "menu: $1" "^ ?$1 " && keys Enter
}

# The help screen offers no help of its own: its footer is checked by
# the other screens' help.
keys F1
sees "F1 opens the help" '> Help '
resize_tour "the help screen" '> Help '
esc_quick "the help screen" '> Help ' F1

for entry in 'Outgoing > Manage users' 'Outgoing > Manage identities' \
    'Lock templates' 'Log search' 'Quarantine' 'Archive' 'Domains' \
    'DKIM keys' 'Admins' 'Newly registered domains' 'Status'; do
	menu "$entry"
	# On the top line: the menu has the same words.
	tour "$entry" "^ [^ x].*> ${entry#Outgoing > } " Enter
done

# The screens and forms below the lists.
menu 'Outgoing > Manage users'
select_row "alice's row" '^x?alice@example\.com +smtp'
keys Enter
tour "a user's page" '> alice@example\.com ' Enter
keys p
tour "the password form" '> Password of alice@example\.com ' p
keys a
sees "the kind dialog" 'Add which kind of user'
esc_quick "the kind dialog" 'Add which kind of user' a
keys a
wait_for 'Add which kind of user'
keys Enter
tour "the add form" '> Add an IP user ' a Enter
keys /
sees "the search dialog" 'Users whose name contains'
esc_quick "the search dialog" 'Users whose name contains' /
keys d
sees "the delete question" 'Delete user'
esc_quick "the delete question" 'Delete user' d

menu 'Log search'
keys '\'
tour "the log's filter form" '> Filter ' '\'
menu 'Archive'
keys '\'
tour "the archive's filter form" '> Filter ' '\'
menu 'Lock templates'
keys a
tour "the template form" '> New template ' a
menu 'DKIM keys'
keys a
tour "the DKIM key form" '> New DKIM key ' a
menu 'Domains'
keys a
tour "the domain form" '> Add a domain ' a
menu 'Admins'
keys a
tour "the admin form" '> New admin ' a
menu 'Newly registered domains'
keys c
sees "the check dialog" 'Check a domain'
esc_quick "the check dialog" 'Check a domain' c

tui_quit
tui_done
