#!/usr/bin/env bash
# Abuse control through real SMTP (swaks) with the builtin engine: GTUBE
# refused as spam, six spam messages within the window lock the user, the
# seventh message gets the lock reply, exactly one lock notice reaches the
# next hop with its placeholders filled; with lock.identities only the
# spamming identity is stopped while another identity of the same IP user
# still sends, and a one-minute lock runs out for real; identify=header
# refuses a message without the header, strips it when asked; a spam
# engine that is down gives 451 unless mail may pass unscanned.
. "$OF_SRCDIR/tests/integration/lib.sh"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }

GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

of_start
relay() {
	swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 20 \
	    --h-Subject "abuse test" "$@" >"$OUT" 2>"$ERR"
}
spam() { relay --from "$1" --to victim@example.org --body "$GTUBE"; }
said() { has "$@"; }
# notices: how many files in the outbox are lock notices.
notices() { grep -l '^Auto-Submitted: auto-generated' "$T"/outbox/new/* 2>/dev/null | wc -l; }

ok "domain" ctl domain add example.com --admin-contact admin@example.com
ok "enable it" ctl domain enable example.com
ok "IP user" ctl user add ip host1 --domain example.com --ip 127.0.0.1
ok "its contact for lock notices" ctl user set host1 contact=owner@example.com

relay --from shop@example.com --to a@example.org
said "a clean message relays" '250 2\.0\.0 .*queued as'
is "it reached the next hop" 1 "$(outbox)"

spam shop@example.com
said "GTUBE is refused as spam, naming the engine" '550 5\.7\.1 .*spam \(builtin'
ok "the refusal is in the message log" ctl --json log search --user host1 --status refused
is "with the spam verdict as reason" 1 "$(jget 'sum("spam" in i["reason"] for i in j["items"])')"
for i in 2 3 4 5; do spam shop@example.com; done
said "the fifth is refused too" '550 5\.7\.1 .*spam'
ok "five spam messages" ctl --json user show host1
is "do not lock (threshold 5)" False "$(jget 'j["locked"]')"
timeout 30 "$OUTFILTERCTL" -c "$T/outfilterd.conf" --json events --type lock --count 1 >"$T/lock.events" 2>&1 &
sub=$!
# The subscriber is in once the daemon logged its login.
sleep 1
spam shop@example.com
said "the sixth is refused as spam" '550 5\.7\.1 .*spam'
ok "user show" ctl --json user show host1
is "six within ten minutes lock the user" True "$(jget 'j["locked"]')"
has "the reason counts them" '6 spam messages within 10 minutes'

wait "$sub"
is "the lock is published on the event socket" "host1 True lock.threshold" \
    "$(/usr/bin/python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).readline()); print(e["user"], e["automatic"], e["by"])' "$T/lock.events")"
relay --from shop@example.com --to a@example.org
said "the seventh message gets the lock reply" '451 4\.7\.1 .*host1 is locked'
relay --from other@example.com --to a@example.org
said "from any sender of the user" '451 4\.7\.1 .*locked'

for _ in $(seq 50); do [ "$(notices)" -ge 1 ] && break; sleep 0.1; done
is "exactly one lock notice reached the next hop" 1 "$(notices)"
n=$(grep -l '^Auto-Submitted: auto-generated' "$T"/outbox/new/* | head -n 1)
has_file() { if grep -q -- "$2" "$n"; then of_result 0 "$1"; else of_result 1 "$1" "$(cat "$n")"; fi; }
has_file "it is addressed to the user's contact" '^To: .*owner@example\.com'
has_file "with a copy to the domain's admin" '^Cc: .*admin@example\.com'
has_file "it names the user" 'host1'
has_file "and the spam count" '6'
hasnt_file() { if grep -q -- "$2" "$n"; then of_result 1 "$1" "$(cat "$n")"; else of_result 0 "$1"; fi; }
hasnt_file "no placeholder is left unfilled" '{[a-z_]*}'
relay --from shop@example.com --to a@example.org
is "more refused messages send no second notice" 1 "$(notices)"

ok "an admin unlocks" ctl user unlock host1
relay --from shop@example.com --to a@example.org
said "the user sends again" '250 2\.0\.0'

# Identity locks: only the spamming identity stops.
ok "lock identities, for one minute" ctl user set host1 lock.identities=on lock.duration=1
for i in 1 2 3 4 5 6; do spam bad@example.com; done
said "spam from one identity is refused" '550 5\.7\.1 .*spam'
ok "identity list" ctl --json identity list --user host1
is "the spamming identity is locked" True "$(jget '[i["locked"] for i in j["items"] if i["identity"]=="bad@example.com"][0]')"
is "the clean one is not" False "$(jget '[i["locked"] for i in j["items"] if i["identity"]=="shop@example.com"][0]')"
ok "user show" ctl --json user show host1
is "the user itself is not locked" False "$(jget 'j["locked"]')"
relay --from bad@example.com --to a@example.org
said "the locked identity gets the lock reply" '451 4\.7\.1 .*bad@example\.com of user host1 is locked'
relay --from shop@example.com --to a@example.org
said "another identity of the same user still sends" '250 2\.0\.0'
for _ in $(seq 50); do [ "$(notices)" -ge 2 ] && break; sleep 0.1; done
is "one notice for the identity lock" 2 "$(notices)"
n=$(grep -l '^To: .*bad@example\.com' "$T"/outbox/new/* | head -n 1)
is "sent to the locked identity's address" 1 "$([ -n "$n" ] && echo 1 || echo 0)"

# The lock runs out after its minute (the sweeper lifts it within seconds).
deadline=$(( $(date +%s) + 80 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
	ctl --json identity list --user host1 --locked >"$OUT" 2>"$ERR"
	[ "$(jget 'len(j["items"])')" = 0 ] && break
	sleep 2
done
is "the one-minute identity lock ran out" 0 "$(jget 'len(j["items"])')"
ok "identity list" ctl --json identity list --user host1
is "its automatic unlock is counted" 1 "$(jget '[i["auto_unlocks"] for i in j["items"] if i["identity"]=="bad@example.com"][0]')"
relay --from bad@example.com --to a@example.org
said "the identity sends again" '250 2\.0\.0'
is "the daemon logged the automatic unlock" 1 \
    "$(grep -c 'identity bad@example.com of user host1 unlocked: its lock duration ran out' "$T/daemon.log")"

ok "user reset-unlocks" ctl --json user reset-unlocks host1
is "the user's automatic unlocks count from zero" 0 "$(jget 'j["auto_unlocks"]')"
fails 65 "reset-unlocks of an unknown user names it" 'nosuch.*not found' ctl user reset-unlocks nosuch

# Identification by header.
ok "identify by X-AuthUser" ctl user set host1 identify=header 'identify.headers=["X-AuthUser"]' identify.strip=on
relay --from shop@example.com --to a@example.org
said "a message without the header is refused" '550 5\.7\.1 .*X-AuthUser'
before=$(outbox)
relay --from shop@example.com --to hdr@example.org --add-header "X-AuthUser: mailbox7"
said "with the header it relays" '250 2\.0\.0'
ok "identity list" ctl --json identity list --user host1
is "the header's value is the identity" 1 "$(jget 'sum(i["identity"]=="mailbox7" for i in j["items"])')"
m=$(grep -l 'hdr@example\.org' "$T"/outbox/new/* | head -n 1)
is "the identifying header is stripped before relay" 0 "$(grep -c '^X-AuthUser' "$m")"
is "one more message relayed" $((before + 1)) "$(outbox)"
ok "fall back to the envelope" ctl user set host1 identify.fallback=on
relay --from shop@example.com --to a@example.org
said "then a message without the header relays" '250 2\.0\.0'

of_stop
is "the daemon stops cleanly" 0 "$of_status"

# A spam engine that is down: 451, or unscanned when the config allows.
dead=$(free_port)
printf '[spam]\nengine = spamd://127.0.0.1:%s\ntimeout = 2\n' "$dead" >>"$T/outfilterd.conf"
of_launch
relay --from shop@example.com --to a@example.org
said "engine down: 451 4.7.1, the client keeps the message" '451 4\.7\.1 .*spam check is unavailable'
of_stop
printf 'on_failure = pass\n' >>"$T/outfilterd.conf"
of_launch
ok "archive on" ctl user set host1 archive=on
before=$(outbox)
relay --from shop@example.com --to a@example.org
said "with on_failure = pass it relays unscanned" '250 2\.0\.0'
is "and reaches the next hop" $((before + 1)) "$(outbox)"
ok "archive search" ctl --json archive search --user host1
is "an unscanned message still gets the rest of the pipeline (archived)" 1 "$(jget 'len(j["items"])')"
of_done
