#!/usr/bin/env bash
# With [daemon] user set, outfilterd opens its sockets and database as
# root, then runs as that user; its files follow it.
. "$OF_SRCDIR/tests/integration/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "ok 1 # SKIP dropping privileges needs root (running as uid $(id -u))"
	exit 0
fi
of_start '[daemon]' 'user = nobody'
pid_user=$(ps -o user= -p "$of_pid" | tr -d ' ')
is "the daemon runs as nobody" nobody "$pid_user"
is "the database belongs to nobody" nobody "$(stat -c %U "$T/lib/outfilter.db")"
is "the database is 0600" 600 "$(stat -c %a "$T/lib/outfilter.db")"
ok "root still administers it through the socket" ctl domain add priv.example
ok "and it can write its database" ctl --json domain show priv.example
is "the domain was stored" priv.example "$(jget 'j["domain"]')"
fails 77 "nobody is not a super-admin" 'login|refused|denied' \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$OUTFILTERCTL" -c "$T/outfilterd.conf" status
of_done
