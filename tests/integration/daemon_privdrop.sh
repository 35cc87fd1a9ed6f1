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

# Its secrets and files: 0600 (directories 0700), nobody's.
is "not dumpable: its /proc entries stay root's" root "$(stat -c %U "/proc/$of_pid/status")"
ok "domain on" ctl domain enable priv.example
ok "an IP user" ctl user add ip host1 --domain priv.example --ip 127.0.0.1
ok "a DKIM key, made by the service user" ctl dkim keygen priv.example s1
ok "archive and quarantine" ctl user set host1 dkim.selector=s1 archive=on spam.reaction=quarantine
ok "a message archived" swaks --server "127.0.0.1:$RELAY_PORT" --timeout 20 \
	--from a@priv.example --to b@example.org
ok "a message held" swaks --server "127.0.0.1:$RELAY_PORT" --timeout 20 \
	--from a@priv.example --to b@example.org \
	--body 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
# mode_owner PATH...: "MODE OWNER" of each, one line each.
mode_owner() { stat -c '%a %U' "$@" | sort -u; }
is "the state directory" "700 nobody" "$(mode_owner "$T/lib")"
is "the database and its journal" "600 nobody" \
	"$(mode_owner "$T/lib/outfilter.db" "$T/lib/outfilter.db-wal" "$T/lib/outfilter.db-shm")"
is "the DKIM key file" "600 nobody" "$(mode_owner "$T/lib/dkim.key")"
is "the archive key file" "600 nobody" "$(mode_owner "$T/lib/archive.key")"
is "the TLS key and its directory" "600 nobody
700 nobody" "$(mode_owner "$T/lib/tls/key.pem" "$T/lib/tls")"
is "the archive's directories" "700 nobody" "$(find "$T/lib/archive" -type d -exec stat -c '%a %U' {} + | sort -u)"
is "its files, one archived" "600 nobody" "$(find "$T/lib/archive" -type f -exec stat -c '%a %U' {} + | sort -u)"
is "the quarantine's directories" "700 nobody" "$(find "$T/lib/quarantine" -type d -exec stat -c '%a %U' {} + | sort -u)"
is "its files, one held" "600 nobody" "$(find "$T/lib/quarantine" -type f -exec stat -c '%a %U' {} + | sort -u)"
of_done
