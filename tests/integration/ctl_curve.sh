#!/usr/bin/env bash
# The control socket over tcp:// ([control] remote_endpoint): refused
# without CURVE's keys (outfilterd -n says why); with them, --init makes
# the daemon's key pair (0600); a client without the daemon's public key
# cannot talk, one with it and a key [control] curve_clients does not
# list is refused by the ZAP handler, and one whose key names an admin
# account is that admin, a domain admin's limits included.
. "$OF_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
PORT=$(free_port)
EP=tcp://127.0.0.1:$PORT

# keypair NAME: $T/NAME.pub and $T/NAME.sec, from outfilterctl --curve-keygen.
keypair() {
	"$OUTFILTERCTL" --curve-keygen >"$T/$1.keys" || return 1
	sed -n 's/^public_key = //p' "$T/$1.keys" >"$T/$1.pub"
	sed -n 's/^secret_key = //p' "$T/$1.keys" >"$T/$1.sec"
	[ "$(wc -c <"$T/$1.pub")" = 41 ] && [ "$(wc -c <"$T/$1.sec")" = 41 ]
}
ok "outfilterctl --curve-keygen makes a key pair" keypair alice
keypair bob && keypair mallory && keypair carol

# The checks of outfilterd -n, on configurations of their own.
checkconf() {
	of_config "[control]" "remote_endpoint = $EP" "$@"
	"$OUTFILTERD" -n -c "$T/outfilterd.conf"
}
fails 78 "tcp:// as the endpoint is refused, pointing at remote_endpoint" \
	'endpoint: tcp://.*needs CURVE.*remote_endpoint' \
	sh -c "printf '[control]\nendpoint = $EP\n' >'$T/bad.conf' && '$OUTFILTERD' -n -c '$T/bad.conf'"
fails 78 "remote_endpoint without curve_clients: -n says why" \
	'remote_endpoint tcp://127\.0\.0\.1:[0-9]+: tcp:// control needs CURVE.*curve_clients' checkconf
fails 78 "the daemon refuses to start so" 'needs CURVE' \
	"$OUTFILTERD" -d -c "$T/outfilterd.conf"
fails 78 "a missing clients file" 'curve_clients .*No such file' \
	checkconf "curve_clients = $T/clients"
printf 'alice %s\n' "$(cat "$T/alice.pub")" >"$T/clients"
chmod 666 "$T/clients"
fails 78 "a clients file others may change" 'may be changed by others.*chmod go-w' \
	checkconf "curve_clients = $T/clients"
chmod 644 "$T/clients"
printf 'alice\n' >"$T/clients.bad"
fails 78 "a line without a key, named" 'clients\.bad:1: not "NAME PUBLIC-KEY"' \
	checkconf "curve_clients = $T/clients.bad"
printf '# admins\nalice %s\nbob notakey\n' "$(cat "$T/alice.pub")" >"$T/clients.bad"
fails 78 "a line with a bad key, named" 'clients\.bad:3: not a public key' \
	checkconf "curve_clients = $T/clients.bad"
printf 'alice %s\nbob %s\n' "$(cat "$T/alice.pub")" "$(cat "$T/alice.pub")" >"$T/clients.bad"
fails 78 "a key listed twice" 'clients\.bad:2: the key is listed on line 1' \
	checkconf "curve_clients = $T/clients.bad"
fails 78 "a bad remote_endpoint" 'remote_endpoint: tcp://nowhere: not tcp://ADDRESS:PORT' \
	sh -c "printf '[control]\nremote_endpoint = tcp://nowhere\n' >'$T/bad.conf' && '$OUTFILTERD' -n -c '$T/bad.conf'"
{
	printf '# who may administer outfilterd over %s\n' "$EP"
	printf 'alice %s\n' "$(cat "$T/alice.pub")"
	printf '   bob\t%s   \n\n' "$(cat "$T/bob.pub")"
	printf 'carol %s\n' "$(cat "$T/carol.pub")"
} >"$T/clients"
ok "with curve_clients, -n is content" checkconf "curve_clients = $T/clients"

of_start "[control]" "remote_endpoint = $EP" "curve_clients = $T/clients"
grep -q "created the control socket's CURVE key pair $T/lib/curve.key" "$T/init.log"
of_result $? "--init made the key pair" "$(cat "$T/init.log")"
is "the secret key is 0600" 600 "$(stat -c %a "$T/lib/curve.key")"
is "the public key beside it" 41 "$(wc -c <"$T/lib/curve.key.pub")"
has_log() { grep -Eq -- "$1" "$T/daemon.log"; }
has_log "listening on $EP \(CURVE"
of_result $? "the daemon listens on $EP with CURVE"

ok "the local socket still serves root" ctl domain add example.com
ok "a second domain" ctl domain add other.example
ok "alice, a domain admin" ctl admin add alice --role domain --domain example.com \
	--password-file "$(secret 'alice password 1')"
ok "bob, a super-admin" ctl admin add bob --role super --password-file "$(secret 'bob password 1')"

# creds NAME SERVER-KEY-FILE: a credentials file of NAME's keys.
creds() {
	local f=$T/$1.creds
	printf 'server_key = %s\nsecret_key = %s\n' "$2" "$(cat "$T/$1.sec")" >"$f"
	chmod 600 "$f"
	echo "$f"
}
remote() {
	local c=$1; shift
	OUTFILTER_CREDENTIALS=$c "$OUTFILTERCTL" --endpoint "$EP" --timeout 3 "$@"
}

# Without the daemon's public key: no talk at all.
fails 78 "outfilterctl wants CURVE keys for tcp://" 'needs CURVE keys: a server_key and a secret_key' \
	env -u OUTFILTER_CREDENTIALS HOME="$T/nohome" "$OUTFILTERCTL" --endpoint "$EP" status
ok "a stranger's key pair" keypair stranger
fails 69 "a wrong server key: the handshake fails" 'CURVE handshake .* failed: is server_key its public key' \
	remote "$(creds alice "$(cat "$T/stranger.pub")")" whoami
$PY - "$PORT" >"$OUT" 2>"$ERR" <<'PY'
import sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.REQ)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 2000)
s.connect("tcp://127.0.0.1:" + sys.argv[1])
s.send(b'{"v":1,"cmd":"status"}')
try:
    print("answered:", s.recv())
except zmq.Again:
    print("no answer")
PY
has "a client without CURVE (NULL mechanism) gets no answer" '^no answer$'

# With the daemon's public key, the client's key must name an admin.
fails 77 "a key curve_clients does not list is refused" 'login refused: .*curve_clients' \
	remote "$(creds mallory "$T/lib/curve.key.pub")" whoami
has_log "login refused for CURVE key $(sed 's/[][\\.*^$+?(){}|]/\\&/g' "$T/mallory.pub") from 127\.0\.0\.1: the key is not in \[control\] curve_clients"
of_result $? "the daemon's log names the refused key"
fails 77 "a key of no admin account is refused" 'login refused' \
	remote "$(creds carol "$T/lib/curve.key.pub")" whoami
has_log "carol, which is no admin account"
of_result $? "the log says why"

A=$(creds alice "$(cat "$T/lib/curve.key.pub")")
ok "alice's key logs in (server key given as the key)" remote "$A" --json whoami
is "as alice" alice "$(jget 'j["name"]')"
ok "she sees her domain" remote "$A" --json domain list
is "her domain only" '["example.com"]' "$(jget '[d["domain"] for d in j["items"]]')"
fails 65 "not the other one" 'not found' remote "$A" domain show other.example
fails 77 "nor super-admin commands" 'super-admin' remote "$A" admin list
ok "she works in her domain" remote "$A" user add ip host1 --domain example.com --ip 192.0.2.1
B=$(creds bob "$T/lib/curve.key.pub")
ok "bob's key logs in (server key given as the .pub file)" remote "$B" --json whoami
is "as bob" bob "$(jget 'j["name"]')"
ok "bob is a super-admin" remote "$B" admin list
ok "and may change things anywhere" remote "$B" domain enable other.example
ok "a 1 MiB message over tcp://" sh -c "head -c 1048576 /dev/zero | tr '\\0' x | sed 's/^/Subject: big\r\n\r\n/' >'$T/big.eml'"
ok "spam check of it over tcp://" remote "$B" --timeout 30 --json spam check "$T/big.eml"
fails 69 "events are not followed over tcp://" 'events on its local socket .* only' \
	remote "$B" events --count 1
fails 64 "--user is refused over tcp://" 'CURVE key of the credentials file' \
	remote "$B" --user bob --password-file "$(secret 'bob password 1')" whoami

# The clients file is read at each login.
grep -v '^alice ' "$T/clients" >"$T/clients.new" && mv "$T/clients.new" "$T/clients"
fails 77 "alice's key, taken out of curve_clients, no longer logs in" 'login refused' \
	remote "$A" whoami
ok "bob's still does" remote "$B" whoami

# A raw client, as outfilter-ipc(7) describes it.
$PY - "$PORT" "$(cat "$T/lib/curve.key.pub")" "$(cat "$T/bob.pub")" "$(cat "$T/bob.sec")" >"$OUT" 2>"$ERR" <<'PY'
import json, sys, zmq
port, server, public, secret = sys.argv[1:5]
s = zmq.Context().socket(zmq.REQ)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 5000)
s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server.encode(), public.encode(), secret.encode()
s.connect("tcp://127.0.0.1:" + port)
s.send(json.dumps({"v": 1, "cmd": "whoami", "args": {}}).encode())
print(json.loads(s.recv())["result"]["name"])
PY
has "pyzmq with bob's keys is bob" '^bob$'
ok "root's local socket is unaffected" ctl status
of_done
