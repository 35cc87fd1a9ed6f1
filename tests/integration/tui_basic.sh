#!/usr/bin/env bash
# The console against a private daemon: menu, help, status, users (list,
# search, details, lock, unlock, delete), domains, resize, quitting.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/tui.bash"
of_start
pw=$(secret 'correct horse battery')
ctl domain add example.com >/dev/null
ctl domain add example.net >/dev/null
ctl user add ip smarthost1 --domain example.com --ip 192.0.2.128/25 >/dev/null
ctl user add smtp alice@example.com --domain example.com --password-file "$pw" >/dev/null
ctl user add smtp bob@example.com --domain example.com --password-file "$pw" >/dev/null

tui_start
sees "opens on the main menu" 'Outgoing > Manage users'
sees "breadcrumb on the top line" '^ Main menu +[^ ]' 
sees "the top line names the admin and role" '^ Main menu .*\(super-admin\)'
is "the footer offers help" "1" "$(footer | grep -c '? Help')"
sees "every entry has its screen" 'Archive +search the archived messages'
sees "help lines come from the command table" 'Domains +list domains'
help_matches_footer "main menu: F1 help names every footer hint"
keys F1
sees "F1 opens help too" 'KEY +TWIN +FOOTER'
keys Escape
wait_gone 'KEY +TWIN +FOOTER' 2

# Status: the last entry.
keys G Enter
sees "Status shows the live counters" 'relayed +[0-9]+ +[0-9]+'
keys G
sees "End scrolls to the daemon's totals" 'users\.total +3'
sees "Status shows the domain count" 'domains +2'
sees "Status shows the daemon's uptime" 'uptime +[0-9]{2}:[0-9]{2}:[0-9]{2}'
first=$(grep -E 'Daemon as of' <<<"$SCREEN")
sees "Status is refreshed by itself" "Daemon as of +[0-9:]+" 1
wait_for 'as of' 1
sleep_until=$(( $(now_ms) + 5000 ))
while [ "$(now_ms)" -lt "$sleep_until" ]; do
	screen
	[ "$(grep -E 'Daemon as of' <<<"$SCREEN")" != "$first" ] && break
	sleep 0.2
done
isnt_same=$([ "$(grep -E 'Daemon as of' <<<"$SCREEN")" != "$first" ] && echo yes || echo no)
is "Status changes within 5 s" yes "$isnt_same"
keys Escape
sees "Esc goes back to the menu" '^ Main menu +'

# Users.
keys g Enter
sees "Manage users lists the users" 'smarthost1 +ip +example\.com'
sees "... with the SMTP users" 'alice@example\.com +smtp'
sees "breadcrumb of the users screen" '^ Main menu > Outgoing > Manage users ' 
help_matches_footer "users: F1 help names every footer hint"

keys j l
sees "lock asks for a reason and a duration" 'Lock bob@example\.com: its mail is refused'
keys Enter Enter
sees "lock from the console says what it did" 'bob@example\.com is now locked'
sees "the row shows the lock in place" 'bob@example\.com +smtp +example\.com +yes'
ok "user list --locked" ctl user list --locked
has "outfilterctl sees the lock" 'bob@example\.com'
hasnt "... and only that one" 'alice@example\.com'
keys u
sees "unlock from the console" 'bob@example\.com is now unlocked'
ok "user list --locked" ctl user list --locked
hasnt "outfilterctl sees the unlock" 'bob@example\.com'

keys d
sees "delete asks, naming the user" 'Delete user bob@example\.com'
keys Enter
sees "Enter on the untouched dialog cancels" 'nothing deleted'
ok "the user is still there" ctl user show bob@example.com
keys d
wait_for 'Delete user bob@example\.com' 2
t0=$(now_ms)
keys Escape
if wait_gone 'Delete user' 1; then
	took=$(( $(now_ms) - t0 ))
	of_result "$([ "$took" -lt 500 ] && echo 0 || echo 1)" "Esc closes the dialog quickly (${took} ms)"
else
	of_result 1 "Esc closes the dialog" "$SCREEN"
fi
ok "Esc deleted nothing" ctl user show bob@example.com
keys d Tab Enter
sees "Tab to Delete, Enter deletes" 'bob@example\.com is deleted'
fails 65 "the user is gone" 'bob@example\.com' ctl user show bob@example.com

keys g Enter
sees "Enter shows the details" 'Manage users > alice@example\.com'
sees "... with every setting, grouped" 'limit\.hour +0'
keys Escape
sees "Esc goes back to the list" '[0-9]+ rows? loaded'

keys /
sees "/ asks what to search" 'Users whose name contains'
keys s m a r t Enter
sees "search narrows the list" 'name contains: smart'
sees_not "... to the matching users" 'alice@example\.com +smtp'
keys '\'
sees "the filter key steps through kinds" 'showing IP users'

# Resize: the screen is rebuilt each time, the pane keeps its console.
for size in 60x20 132x43 80x24; do
	tx resize-window -x "${size%x*}" -y "${size#*x}"
	sees "resized to $size: still drawn" 'Main menu > Outgoing > Manage users'
	sees "resized to $size: the list is back" 'smarthost1 +ip'
done
tx resize-window -x 40 -y 10
sees "below the minimum it says so" 'terminal too small \(need [0-9]+x[0-9]+\)'
tx resize-window -x 80 -y 24
sees "and recovers when it grows" 'smarthost1 +ip'

# Domains: Space turns the outgoing filter on.
keys q
sees "q goes back" '^ Main menu +'
keys g j j j j j j Enter
sees "Domains lists the domains" 'example\.com +no +2'
keys Space
sees "Space turns the filter on" 'example\.com: outgoing filter on'
ok "domain show" ctl domain show example.com
has "outfilterctl sees it on" 'active: +yes'

keys Q
if wait_for 'outfilter-tui exited with 0' 5; then of_result 0 "Q quits with status 0"
else of_result 1 "Q quits with status 0" "$SCREEN"; fi
is "the terminal left the alternate screen" 0 "$(alt_screen)"
tui_done
