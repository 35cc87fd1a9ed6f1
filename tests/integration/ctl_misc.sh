#!/usr/bin/env bash
# Templates, identities, the message log search and status through
# outfilterctl.
. "$OF_SRCDIR/tests/integration/lib.sh"
of_start
pw=$(secret 'correct horse battery')
body=$T/body.txt
printf 'Dear %%USER%%,\nyour account was locked at %%TIME%% because %%REASON%%.\n' >"$body"

ok "domain" ctl domain add example.com
ok "template add" ctl template add spam-lock --subject "Your mail account was locked" --body-file "$body"
ok "template show" ctl --json template show spam-lock
is "the body is stored literally" "$(cat "$body")" "$(jget 'j["body"]')"
fails 65 "a duplicate template is refused" 'spam-lock' \
	ctl template add spam-lock --subject x --body-file "$body"
ok "template set" ctl template set spam-lock --subject "Locked"
ok "template list" ctl template list
has "the list shows the new subject" 'Locked'
ok "user" ctl user add smtp alice@example.com --domain example.com --password-file "$pw"
ok "a user may name the template" ctl user set alice@example.com lock.template=spam-lock
fails 65 "a template in use cannot be deleted" 'alice@example.com|in use' \
	ctl template del spam-lock
ok "after the user lets go of it" ctl user set alice@example.com lock.template=
ok "it can be deleted" ctl template del spam-lock
fails 65 "a deleted template is gone" 'spam-lock' ctl template show spam-lock

ok "identity list (none yet)" ctl --json identity list
is "no identities before any mail" '0' "$(jget 'len(j["items"])')"
fails 65 "locking an unknown identity names it" 'www-data' \
	ctl identity lock alice@example.com www-data

ok "log search (empty)" ctl --json log search --sender nobody@example.com
is "no rows" '0' "$(jget 'len(j["items"])')"
ok "log search by time range" ctl --json log search --since 2026-01-01 --until 2026-01-02T12:00
fails 65 "a bad time is refused naming the field" 'since' \
	ctl log search --since yesterday-ish
fails 65 "a bad status is refused naming it" 'status' \
	ctl log search --status 'no such status'

ok "status" ctl --json status
is "status counts the user" '1' "$(jget 'j["users"]["smtp"] if isinstance(j["users"],dict) else j["users"]')"
ok "names with quotes and semicolons are data" ctl template add "x'; DROP TABLE users;--" --subject '%s%n "q"' --body-file "$body"
ok "and are shown literally" ctl --json template show "x'; DROP TABLE users;--"
is "subject literal" '%s%n "q"' "$(jget 'j["subject"]')"
ok "the users table is still there" ctl user show alice@example.com
of_done
