#!/usr/bin/env bash
# Admin accounts, logins and the domain admin's view: only its domains,
# another domain's objects reported as not found, super-admin commands denied.
. "$OF_SRCDIR/tests/integration/lib.sh"
of_start
pw=$(secret 'correct horse battery')
dpw=$(secret 'domain admin secret')
wrong=$(secret 'not the password')

ok "first super-admin password file is 0600" \
	test "$(stat -c %a "$T/lib/admin.password")" = 600
apw=$T/lib/admin.password
ok "local root is a super-admin without a password" ctl --json whoami
is "root's role" 'super' "$(jget 'j["role"]')"
ok "the first admin logs in with its password" ctl --user admin --password-file "$apw" --json whoami
is "the first admin is a super-admin" 'super' "$(jget 'j["role"]')"
fails 77 "a wrong password is refused" 'login|password' \
	ctl --user admin --password-file "$wrong" status

ok "domain a" ctl domain add a.example
ok "domain b" ctl domain add b.example
ok "user of a" ctl user add smtp u@a.example --domain a.example --password-file "$pw"
ok "user of b" ctl user add smtp u@b.example --domain b.example --password-file "$pw"
ok "IP user of b" ctl user add ip bhost --domain b.example --ip 198.51.100.0/24
ok "domain admin of a" ctl admin add ada --role domain --domain a.example --password-file "$dpw"
fails 65 "a domain admin needs a known domain" 'nosuch\.example' \
	ctl admin add adx --role domain --domain nosuch.example --password-file "$dpw"
fails 65 "a duplicate admin is refused" 'ada' \
	ctl admin add ada --role super --password-file "$dpw"
ok "admin list" ctl admin list
has "admin list shows the domain admin" 'ada'
hasnt "admin list never shows a password hash" 'argon2'

as_ada() { ctl --user ada --password-file "$dpw" "$@"; }
ok "the domain admin logs in" as_ada --json whoami
is "its role" 'domain' "$(jget 'j["role"]')"
ok "it lists domains" as_ada --json domain list
is "it sees only its domain" '1' "$(jget 'len(j["items"])')"
ok "it lists users" as_ada --json user list
is "it sees only its domain's users" '["u@a.example"]' "$(jget '[i["name"] for i in j["items"]]')"
fails 65 "another domain's user is not found" 'not found|unknown|no such' as_ada user show u@b.example
fails 65 "nor can it be changed" 'not found|unknown|no such' as_ada user set u@b.example limit.day=1
fails 65 "nor locked" 'not found|unknown|no such' as_ada user lock u@b.example
fails 65 "nor deleted" 'not found|unknown|no such' as_ada user del bhost
fails 65 "nor can users be added to it" 'not found|unknown|no such' \
	as_ada user add ip evil --domain b.example --ip 203.0.113.9
fails 65 "another domain is not found" 'not found|unknown|no such' as_ada domain show b.example
ok "another domain's log is empty to it" as_ada --json log search --domain b.example
is "no rows" '0' "$(jget 'len(j["items"])')"
fails 77 "it cannot enable a domain" 'super' as_ada domain enable a.example
fails 77 "it cannot add domains" 'super' as_ada domain add c.example
fails 77 "it cannot list admins" 'super' as_ada admin list
ok "it manages its own users" as_ada user set u@a.example limit.day=10
ok "it adds users to its domain" as_ada user add ip ahost --domain a.example --ip 203.0.113.0/28
fails 65 "an overlap with another domain's range is still refused" 'overlap|in use|belongs|taken' \
	as_ada user add ip ahost2 --domain a.example --ip 198.51.100.5
is "the refusal does not name the other domain's user" '' "$(grep -o 'bhost\|b\.example' "$ERR")"
ok "it changes its own password" as_ada admin passwd ada --password-file "$pw"
ok "and logs in with the new one" ctl --user ada --password-file "$pw" whoami
fails 77 "the old password no longer works" 'login|password' as_ada whoami

# Credentials file.
cred=$T/credentials
printf 'user = ada\npassword = correct horse battery\n' >"$cred"
chmod 644 "$cred"
fails 78 "a credentials file others can read is refused (EX_CONFIG)" 'chmod|permission|readable' \
	env OUTFILTER_CREDENTIALS="$cred" "$OUTFILTERCTL" -c "$T/outfilterd.conf" whoami
chmod 600 "$cred"
OUT=$T/out; "$OUTFILTERCTL" -c "$T/outfilterd.conf" --json whoami >/dev/null
ok "a 0600 credentials file logs in" env OUTFILTER_CREDENTIALS="$cred" "$OUTFILTERCTL" -c "$T/outfilterd.conf" --json whoami
is "as the admin it names" 'ada' "$(jget 'j["name"]')"
ok "admin del" ctl admin del ada
fails 77 "a deleted admin can no longer log in" 'login|password|denied' \
	ctl --user ada --password-file "$pw" whoami
of_done
