#!/usr/bin/env bash
# The console's status screen against a private daemon: live counters
# from the event socket move as mail flows (relayed, spam, refused) and
# are drawn over the last hour; locks, unlocks and refused messages are
# listed as they happen; the daemon's totals below; the daemon stopped
# and started again under it; a domain admin sees the totals and a line
# saying live events need a super-admin; the resize tour, help and Esc.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/tui.bash"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }
GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

of_start
ctl domain add example.com >/dev/null
ctl domain enable example.com >/dev/null
ctl user add ip host1 --domain example.com --ip 127.0.0.1 >/dev/null
relay() {
	swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 20 \
	    "$@" >"$OUT" 2>"$ERR"
}

tui_start
sees "the console opens" 'Outgoing > Manage users'
keys G Enter
sees "Status: live from the event socket" 'Live at [0-9:]{8}: 0 connections open'
sees "the counters, per minute and in total" 'COUNTER +PER MIN +TOTAL'
sees "no event yet" 'none since the console started'
relay --from a@example.com --to r@example.org
relay --from b@example.com --to r@example.org
sees "relayed messages are counted" 'relayed +2 +2'
sees "... and drawn over the last hour" 'relayed +max +2/min \|.*@\|'
sees "the connections too" 'connections +2 +2'
ctl user lock host1 --reason 'status test' >/dev/null
sees "a lock is listed as it happens" '[0-9:]{8} lock +host1 by uid:0: status test'
sees "... and counted" 'locks +1 +1'
ctl user unlock host1 >/dev/null
sees "an unlock too" '[0-9:]{8} unlock +host1 by uid:0'
relay --from spam@example.com --to r@example.org --body "$GTUBE"
has "a spam message is refused" '550 5\.7\.1'
sees "a refused message is listed" '[0-9:]{8} refused +host1 from spam@example\.com: 550 5\.7\.1'
sees "spam is counted" 'spam +1 +1'
sees "refusals too" 'refused +1 +1'
is "... newest first" "refused unlock lock" "$(grep -Eo '[0-9:]{8} (refused|unlock|lock) ' <<<"$SCREEN" |
    awk '{ print $2 }' | tr '\n' ' ' | sed 's/ $//')"
resize_tour "the status" '> Status '
help_matches_footer "status: F1 help names every footer hint"
keys G
sees "End shows the daemon's totals" 'users\.total +1'
keys g
sees "Home goes back up" 'Live at '

# The daemon goes away and comes back: the screen says so and picks up.
of_stop
sees "a daemon gone: the counters are awaited" "waiting for the daemon's counters" 10
sees "... and the top line says so" 'daemon unreachable' 10
of_launch
sees "the daemon back: live again" 'Live at [0-9:]{8}: ' 15
sees "the events kept" 'lock +host1 by uid:0: status test'
esc_quick "the status" 'Live at ' Enter
tui_quit

# A domain admin: the totals, and no live events.
dpw=$(secret 'domain admin secret')
ok "a domain admin" ctl admin add dom1 --role domain --domain example.com --password-file "$dpw"
creds=$T/creds
printf 'user = dom1\npassword = domain admin secret\n' >"$creds"
chmod 600 "$creds"
tui_stop
TUI_ENV="OUTFILTER_CREDENTIALS=$creds" tui_start
sees "logged in as the domain admin" 'dom1 \(domain admin\)' 10
keys G Enter
sees "live events need a super-admin, it says" 'Live events need a super-admin'
sees "the daemon's totals are shown" 'users\.total +1'
sees_not "no live counters" 'COUNTER +PER MIN'
resize_tour "the status of a domain admin" '> Status '
tui_quit
tui_done
