#!/usr/bin/env bash
# Who may send, through real SMTP clients (swaks): unknown addresses,
# domains whose filter is off, locks, connection and recipient limits,
# counters across a restart and their reset, AUTH failure throttling, and
# the message log rows those sessions leave, with attribution to the
# envelope sender's domain.
. "$OF_SRCDIR/tests/integration/lib.sh"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }

of_start "[smtp]" "auth_without_tls = yes" "auth_fail_limit = 3" "auth_fail_window = 60"
# of_start's [smtp] lines come after the generated [smtp] section: one more
# header of the same section is fine for inih.
pw=$(secret 'correct horse battery')

# smtp PORT ARGS...: one swaks session; its transcript is in $OUT.
smtp() {
	local port=$1; shift
	swaks --server "127.0.0.1:$port" --helo client.test --timeout 20 \
	    --h-Subject "policy test" "$@" >"$OUT" 2>"$ERR"
}
relay() { smtp "$RELAY_PORT" "$@"; }
# said WHAT PATTERN: the last session's transcript shows PATTERN.
said() { has "$@"; }

ok "domain" ctl domain add example.com
ok "second domain" ctl domain add example.net
ok "IP user for loopback" ctl user add ip host1 --domain example.com --ip 127.0.0.1
ok "SMTP AUTH user" ctl user add smtp alice@example.com --domain example.com --password-file "$pw"

relay --from a@example.com --to r1@example.org
said "a domain whose filter is off: 550 5.7.1 naming it" '550 5\.7\.1 .*outgoing filter of example\.com is off'
ok "enable the domain" ctl domain enable example.com

relay --from a@example.com --to r1@example.org
said "an IP user relays" '250 2\.0\.0 .*queued as'
qid=$(sed -n 's/.*250 2\.0\.0 .*queued as \([A-Za-z0-9]*\).*/\1/p' "$OUT" | head -n 1)
[ -n "$qid" ] || of_result 1 "the 250 reply names a queue ID"

# Message log: one row, found every way.
ok "log search by queue ID" ctl --json log search --queue-id "$qid"
is "one row for the queue ID" 1 "$(jget 'len(j["items"])')"
is "it is relayed" relayed "$(jget 'j["items"][0]["status"]')"
is "it names the client" 127.0.0.1 "$(jget 'j["items"][0]["client_ip"]')"
ok "log search by sender" ctl --json log search --sender a@example.com
is "found by sender" "$qid" "$(jget 'j["items"][0]["queue_id"]')"
ok "log search by recipient" ctl --json log search --recipient r1@example.org
is "found by recipient" "$qid" "$(jget 'j["items"][0]["queue_id"]')"
ok "log search by status" ctl --json log search --status relayed --user host1
is "found by status" "$qid" "$(jget 'j["items"][0]["queue_id"]')"

# Attribution: an IP user of example.com sending as example.net.
relay --from x@example.net --to r2@example.org
said "mail of another domain's sender relays" '250 2\.0\.0'
ok "without attribution example.net sees nothing" ctl --json log search --domain example.net
is "no row under example.net" 0 "$(jget 'len(j["items"])')"
ok "attribution on" ctl user set host1 attribute-sending-domain=on
relay --from x@example.net --to r3@example.org
ok "with attribution" ctl --json log search --domain example.net
is "the message is listed under example.net" r3@example.org "$(jget 'j["items"][0]["recipients"]')"
ok "and still under the user's domain" ctl --json log search --domain example.com --recipient r3@example.org
is "listed under example.com too" 1 "$(jget 'len(j["items"])')"

# recipients.day: relayed ones count, the third is refused per RCPT.
ok "reset before the recipient test" ctl user reset-counters host1
ok "recipients.day=2" ctl user set host1 recipients.day=2
relay --from a@example.com --to s1@example.org,s2@example.org,s3@example.org
said "the third recipient: 452 4.5.3 naming the limit" '452 4\.5\.3 daily recipient limit \(2\) reached for user host1; try again after 00:00 UTC'
said "the first two are relayed" '250 2\.0\.0'
relay --from a@example.com --to s4@example.org
said "the next day's worth is used up" '452 4\.5\.3'
ok "recipients.day=0 (no limit)" ctl user set host1 recipients.day=0

# Connection limits: the 4th connection of the minute is refused.
ok "reset counters" ctl user reset-counters host1
ok "user show after reset" ctl --json user show host1
is "minute count is zero after reset" 0 "$(jget 'j["counters"]["minute"]["count"]')"
ok "limit.minute=3" ctl user set host1 limit.minute=3
# Stay inside one minute: wait if it is about to end.
[ "$(date -u +%S)" -gt 50 ] && sleep $((61 - $(date -u +%S)))
for i in 1 2 3; do
	relay --quit-after HELO
	said "connection $i of the minute is accepted" '250'
done
relay --quit-after HELO
said "the 4th is refused naming the limit" '421 4\.7\.0 per-minute connection limit \(3\) reached for user host1; try again after [0-9][0-9]:[0-9][0-9] UTC'
ok "user show" ctl --json user show host1
is "user show counts 3 this minute" 3 "$(jget 'j["counters"]["minute"]["count"]')"
is "user show gives the limit" 3 "$(jget 'j["counters"]["minute"]["limit"]')"
hour_before=$(jget 'j["counters"]["hour"]["count"]')

# Counters survive a restart (written back at stop).
of_stop
is "the daemon stops cleanly" 0 "$of_status"
of_launch
ok "user show after restart" ctl --json user show host1
is "the hour's count survived" "$hour_before" "$(jget 'j["counters"]["hour"]["count"]')"
ok "user list shows today's counts" ctl user list
has "user list has today's connections" 'CONNECTIONS_TODAY.*RECIPIENTS_TODAY'
ok "reset-counters" ctl user reset-counters host1
ok "user show after reset" ctl --json user show host1
is "the hour's count is zero" 0 "$(jget 'j["counters"]["hour"]["count"]')"
relay --quit-after HELO
said "after the reset the user connects again" '250'
ok "limit.minute=0" ctl user set host1 limit.minute=0

# Locks.
ok "lock host1" ctl user lock host1 --reason "test lock"
relay --from a@example.com --to r@example.org
said "a locked user: 451 4.7.1 naming the reason" '451 4\.7\.1 user host1 is locked \(test lock\)'
ok "lock.reply=reject" ctl user set host1 lock.reply=reject
relay --from a@example.com --to r@example.org
said "with lock.reply=reject: 550 5.7.1" '550 5\.7\.1 user host1 is locked'
ok "unlock" ctl user unlock host1

# Disabled domain, then an address nobody owns.
ok "disable example.com" ctl domain disable example.com
relay --from a@example.com --to r@example.org
said "disabled domain: 550 5.7.1 naming it" '550 5\.7\.1 .*example\.com is off'
ok "enable again" ctl domain enable example.com
ok "remove the IP user" ctl user del host1
relay --from a@example.com --to r@example.org
said "an address without IP user: 550 5.7.1 naming it" '550 5\.7\.1 no outgoing user for address 127\.0\.0\.1'

# AUTH: wrong passwords are throttled per address, the right one too then.
smtp "$SUBMISSION_PORT" --from alice@example.com --to r@example.org \
    -a PLAIN -au alice@example.com -ap 'correct horse battery'
said "the right password relays" '235 2\.7\.0|250 2\.0\.0 .*queued'
for i in 1 2 3; do
	smtp "$SUBMISSION_PORT" --quit-after AUTH -a PLAIN -au alice@example.com -ap "wrong$i"
	said "wrong password $i: 535 5.7.8" '535 5\.7\.8'
done
smtp "$SUBMISSION_PORT" --quit-after AUTH -a PLAIN -au alice@example.com -ap 'correct horse battery'
said "then even the right password: 454 4.7.0 naming the address" '454 4\.7\.0 too many authentication failures from 127\.0\.0\.1; try again in [0-9]+ seconds'
if grep -q 'too many authentication failures from 127.0.0.1' "$T/daemon.log"; then
	of_result 0 "the throttle is logged"
else
	of_result 1 "the throttle is logged"
fi

of_done
