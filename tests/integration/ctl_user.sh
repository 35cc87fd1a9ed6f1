#!/usr/bin/env bash
# Outgoing users of the three kinds through outfilterctl, and the rules
# the database enforces on them.
. "$OF_SRCDIR/tests/integration/lib.sh"
of_start
pw=$(secret 'correct horse battery')

ok "domain add" ctl domain add example.com
ok "second domain" ctl domain add example.net

# IP users and the one-owner-per-address rule.
ok "IP user with a /25" ctl user add ip smarthost1 --domain example.com --ip 192.0.2.128/25
fails 65 "an overlapping /24 is refused naming the owner" 'smarthost1' \
	ctl user add ip smarthost2 --domain example.net --ip 192.0.2.0/24
fails 65 "a single address inside the range is refused" 'smarthost1' \
	ctl user add ip smarthost2 --domain example.net --ip 192.0.2.200
fails 65 "an IPv4-mapped IPv6 address counts as IPv4" 'smarthost1' \
	ctl user add ip smarthost2 --domain example.net --ip ::ffff:192.0.2.130
ok "the neighbouring /25 is free" ctl user add ip smarthost2 --domain example.net --ip 192.0.2.0/25
ok "IPv6 range" ctl user add ip v6host --domain example.com --ip 2001:db8:1::/48
fails 65 "an overlapping IPv6 range is refused naming the owner" 'v6host' \
	ctl user add ip v6other --domain example.net --ip 2001:db8::/32
fails 65 "an invalid CIDR is refused naming it" '192\.0\.2\.300' \
	ctl user add ip badhost --domain example.com --ip 192.0.2.300/24
fails 65 "an unknown domain is refused" 'nosuch\.example' \
	ctl user add ip h3 --domain nosuch.example --ip 198.51.100.1
ok "a second range for an IP user" ctl user ip add smarthost1 198.51.100.0/24
fails 65 "that range cannot go to another user" 'smarthost1' \
	ctl user ip add smarthost2 198.51.100.7
ok "user show of an IP user" ctl --json user show smarthost1
is "both ranges are listed" '2' "$(jget 'len(j["ips"])')"

# SMTP AUTH users.
ok "SMTP AUTH user" ctl user add smtp alice@example.com --domain example.com --password-file "$pw"
fails 65 "an SMTP AUTH name must be an e-mail address" 'e-mail|address' \
	ctl user add smtp alice --domain example.com --password-file "$pw"
fails 65 "a duplicate user name is refused" 'alice@example.com' \
	ctl user add smtp alice@example.com --domain example.com --password-file "$pw"
short=$(secret 'short')
fails 65 "a too short password is refused" 'password' \
	ctl user add smtp bob@example.com --domain example.com --password-file "$short"
ok "password change of an SMTP user" ctl user passwd alice@example.com --password-file "$pw"
fails 65 "IP users have no password" 'IP user|no password' \
	ctl user passwd smarthost1 --password-file "$pw"

# Authenticating domains.
ok "authenticating domain" ctl user add domain example.com --password-file "$pw"
fails 65 "only one authenticating domain per domain" 'example.com' \
	ctl user add domain example.com --password-file "$pw"
fails 65 "an authenticating domain needs its domain" 'nosuch\.example' \
	ctl user add domain nosuch.example --password-file "$pw"

# Settings.
ok "user set limits" ctl user set alice@example.com limit.hour=100 recipients.day=500 spam.reaction=quarantine
ok "user show" ctl --json user show alice@example.com
is "limit.hour stored" '100' "$(jget 'j["settings"]["limit.hour"]')"
is "spam.reaction stored" 'quarantine' "$(jget 'j["settings"]["spam.reaction"]')"
is "user show prints every setting" "$(grep -c '^USET(' "$OF_SRCDIR/ipc/usersettings.def")" "$(jget 'len(j["settings"])')"
fails 65 "a negative limit is refused naming the key" 'limit\.hour' \
	ctl user set alice@example.com limit.hour=-1
fails 65 "a non-number limit is refused" 'limit\.day' \
	ctl user set alice@example.com limit.day=lots
fails 65 "an unknown setting is refused naming it" 'no\.such\.setting' \
	ctl user set alice@example.com no.such.setting=1
fails 65 "a refused set changes nothing" 'limit\.minute' \
	ctl user set alice@example.com limit.hour=7 limit.minute=-5
ok "user show after the refused set" ctl --json user show alice@example.com
is "limit.hour unchanged by the refused command" '100' "$(jget 'j["settings"]["limit.hour"]')"
fails 65 "a template that does not exist is refused" 'nosuch' \
	ctl user set alice@example.com lock.template=nosuch
ok "human user show" ctl user show alice@example.com
has "human show lists settings" 'limit\.hour.*100'

# Lists, filters and pages.
for i in 1 2 3 4 5; do ctl user add ip "page$i" --domain example.net --ip "203.0.113.$i" >/dev/null 2>&1; done
ok "user list --kind ip --domain example.net" ctl --json user list --kind ip --domain example.net
is "filters apply" '6' "$(jget 'len(j["items"])')"
ok "user list --limit 3" ctl --json user list --limit 3
is "a page holds at most the limit" '3' "$(jget 'len(j["items"])')"
cursor=$(jget 'j["next"]')
ok "the next page" ctl --json user list --limit 3 --after "$cursor"
is "the next page continues without overlap" '3' "$(jget 'len(j["items"])')"
ok "user list --kind smtp" ctl user list --kind smtp
has "the table lists alice" 'alice@example.com'
hasnt "and no IP user" 'smarthost'

# Lock, unlock, delete.
ok "user lock" ctl user lock alice@example.com --reason "manual test"
ok "user list --locked" ctl --json user list --locked
is "the locked user is listed" '["alice@example.com"]' "$(jget '[i["name"] for i in j["items"]]')"
ok "user unlock" ctl user unlock alice@example.com
ok "user list --locked after unlock" ctl --json user list --locked
is "nobody is locked" '0' "$(jget 'len(j["items"])')"
ok "user del" ctl user del smarthost1
ok "the freed range can be reused" ctl user add ip smarthost3 --domain example.net --ip 192.0.2.128/26
of_done
