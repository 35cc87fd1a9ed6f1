#!/usr/bin/env bash
# The event socket through real clients: outfilterctl events (text and
# JSON) and a pyzmq subscriber see a user's and an identity's lock and
# unlock, each message's outcome (swaks through the relay listener) and
# the counters about once a second; --type, --count, --timeout and
# SIGINT; a refused change publishes nothing; a domain admin cannot
# subscribe; a flood of events with nobody subscribed leaves the
# daemon's memory where it was.
. "$OF_SRCDIR/tests/integration/lib.sh"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }
/usr/bin/python3 -c 'import zmq' 2>/dev/null ||
    { echo "1..0 # SKIP python3-zmq not installed"; exit 0; }

# Under AddressSanitizer freed memory waits in a quarantine, which would
# hide whether the daemon holds on to events: no quarantine here.
if grep -q __asan_init "$OUTFILTERD"; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
fi
of_start
EVENTS=$T/run/events
ME=uid:$(id -u)

# evq FILE EXPR: EXPR (Python) over E, the JSON lines of FILE as a list.
evq() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
E = []
for line in open(sys.argv[1]):
    try:
        E.append(json.loads(line))
    except ValueError:
        pass
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list)) else v)
PY
}

# wait_for FILE EXPR [SECONDS]: until EXPR over FILE is True.
wait_for() {
	local i
	for i in $(seq $((${3:-5} * 10))); do
		[ "$(evq "$1" "$2")" = True ] && return 0
		sleep 0.1
	done
	return 1
}

# count FILE TYPE: how many events of TYPE FILE holds.
count() { evq "$1" "len([e for e in E if e['type'] == '$2'])"; }

# bg NAME ARGS...: outfilterctl ARGS in the background (the process
# itself, so signals reach it), its output in $T/NAME, its pid in $bg_pid.
bg() {
	local name=$1; shift
	"$OUTFILTERCTL" -c "$T/outfilterd.conf" "$@" >"$T/$name" 2>"$T/$name.err" &
	bg_pid=$!
}

ok "domain" ctl domain add example.com
ok "its filter on" ctl domain enable example.com
ok "IP user for loopback" ctl user add ip host1 --domain example.com --ip 127.0.0.1

is "the event socket is beside the control socket, mode 0660" 660 \
    "$(stat -c %a "$EVENTS" 2>&1)"
ok "events tells where the event socket is" ctl --json config show
has "[control] events is listed with its derived value" "ipc://$T/run/events"

# Three subscribers: everything as JSON, locks as text, a raw pyzmq one.
bg all events --json; all_pid=$bg_pid
bg locks events --type lock --type unlock; locks_pid=$bg_pid
cat >"$T/sub.py" <<'PY'
import json, sys, zmq
sub = zmq.Context().socket(zmq.SUB)
sub.plain_username = b"-"
sub.plain_password = b"-"
sub.setsockopt(zmq.SUBSCRIBE, b"lock")
sub.connect(sys.argv[1])
while True:
    frames = sub.recv_multipart()
    e = json.loads(frames[1])
    print(len(frames), frames[0].decode(), e["type"], e["user"], e["v"],
          flush=True)
PY
/usr/bin/python3 "$T/sub.py" "ipc://$EVENTS" >"$T/py" 2>"$T/py.err" &
py_pid=$!
wait_for "$T/all" "len([e for e in E if e['type'] == 'stats']) >= 2" 10 ||
    of_result 1 "the JSON subscriber sees stats events" "$(cat "$T/all.err")"
sleep 0.5	# the other two subscribers' subscriptions reach the daemon

# Locks and unlocks of a user.
ok "user lock" ctl user lock host1 --reason "spam run" --duration 5
wait_for "$T/all" "any(e['type'] == 'lock' for e in E)" ||
    of_result 1 "a lock event comes"
is "the lock event names the user, its domain, who, why and how long" \
    "user host1 example.com $ME False spam run 5" \
    "$(evq "$T/all" "' '.join(str(e.get(k)) for e in E if e['type'] == 'lock' for k in ('target', 'user', 'domain', 'by', 'automatic', 'reason', 'minutes'))")"
is "it carries v 1 and the time" True \
    "$(evq "$T/all" "all(e['v'] == 1 and abs(e['time'] - $(date +%s)) < 30 for e in E if e['type'] == 'lock')")"
fails 65 "locking a locked user is refused" "already locked" ctl user lock host1
ok "user unlock" ctl user unlock host1
wait_for "$T/all" "any(e['type'] == 'unlock' for e in E)" ||
    of_result 1 "an unlock event comes"
is "the refused lock published nothing: one lock event" 1 "$(count "$T/all" lock)"
is "the unlock event names the user and who" "user host1 $ME" \
    "$(evq "$T/all" "' '.join(str(e.get(k)) for e in E if e['type'] == 'unlock' for k in ('target', 'user', 'by'))")"

# A message through the relay listener.
swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 20 \
    --from a@example.com --to r1@example.org >"$OUT" 2>"$ERR"
has "swaks relays a message" '250 2\.0\.0 .*queued as'
qid=$(sed -n 's/.*250 2\.0\.0 .*queued as \([A-Za-z0-9]*\).*/\1/p' "$OUT" | head -n 1)
wait_for "$T/all" "any(e['type'] == 'message' for e in E)" ||
    of_result 1 "a message event comes"
is "the message event tells the outcome" \
    "$qid 127.0.0.1 host1 example.com a@example.com 1 relayed False" \
    "$(evq "$T/all" "' '.join(str(e.get(k)) for e in E if e['type'] == 'message' for k in ('queue_id', 'client', 'user', 'domain', 'from', 'nrcpts', 'status', 'spam'))")"
is "its reason is the reply given" True \
    "$(evq "$T/all" "any(e['type'] == 'message' and e['reason'].startswith('250 ') and e['size'] > 0 for e in E)")"

# A refused one: two From: headers.
swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 20 \
    --from a@example.com --to r2@example.org \
    --add-header "From: b@example.com" >"$OUT" 2>"$ERR"
has "a message with two From: headers is refused" '550 5\.7\.1 '
wait_for "$T/all" "len([e for e in E if e['type'] == 'message']) >= 2" ||
    of_result 1 "a second message event comes"
is "the refusal is told with its reply" "refused 550 5.7.1 The message has 2 From: headers; exactly one is allowed" \
    "$(evq "$T/all" "' '.join([e for e in E if e['type'] == 'message'][-1][k] for k in ('status', 'reason'))")"

# An identity's lock and unlock (the sender above is one).
ok "identity list" ctl --json identity list --user host1
ident=$(jget 'j["items"][0]["identity"]' 2>/dev/null)
if [ -n "$ident" ]; then
	ok "identity lock" ctl identity lock host1 "$ident" --reason manual
	ok "identity unlock" ctl identity unlock host1 "$ident"
	wait_for "$T/all" "any(e['type'] == 'unlock' and e['target'] == 'identity' for e in E)" ||
	    of_result 1 "identity lock events come"
	is "the identity's lock and unlock name it" \
	    "lock:host1:$ident:manual unlock:host1:$ident:None" \
	    "$(evq "$T/all" "' '.join('%s:%s:%s:%s' % (e['type'], e['user'], e['identity'], e.get('reason')) for e in E if e['type'] in ('lock', 'unlock') and e['target'] == 'identity')")"
else
	echo "ok - identity lock events # SKIP no identity was recorded for host1"
fi

# The counters: about once a second, counting what happened.
n1=$(count "$T/all" stats); sleep 3; n2=$(count "$T/all" stats)
is "stats come about once a second (2 to 4 in 3 s)" True \
    "$([ $((n2 - n1)) -ge 2 ] && [ $((n2 - n1)) -le 4 ] && echo True || echo "$((n2 - n1))")"
is "stats count the relayed and refused messages, the locks and the connections" True \
    "$(evq "$T/all" "[e for e in E if e['type'] == 'stats'][-1]['relayed'] >= 1 and [e for e in E if e['type'] == 'stats'][-1]['relayed_per_minute'] >= 1 and [e for e in E if e['type'] == 'stats'][-1]['refused'] >= 1 and [e for e in E if e['type'] == 'stats'][-1]['locks'] >= 2 and [e for e in E if e['type'] == 'stats'][-1]['connections'] >= 2 and [e for e in E if e['type'] == 'stats'][-1]['connections_open'] == 0")"

# The text subscriber, filtered to locks; the raw one.
is "the text subscriber printed only locks and unlocks" True \
    "$(awk '$2 != "lock" && $2 != "unlock" { bad = 1 } END { print bad ? "False" : "True" }' "$T/locks")"
has_line() { grep -Eq -- "$2" "$T/locks" && of_result 0 "$1" || of_result 1 "$1" "$(cat "$T/locks")"; }
has_line "a text line: TIME lock key=value ..., a value with a space quoted" \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z lock target=user user=host1 domain=example\.com by=$ME automatic=false reason=\"spam run\" minutes=5$"
is "the pyzmq subscriber got two frames per event, topic = type, lock only" \
    "2 lock lock host1 1" "$(sort -u "$T/py" | head -n 3)"

kill -INT "$all_pid"
kill -TERM "$locks_pid"
wait "$all_pid"; st1=$?
wait "$locks_pid"; st2=$?
is "SIGINT and SIGTERM end outfilterctl events with status 0" "0 0" "$st1 $st2"
kill "$py_pid"; wait "$py_pid" 2>/dev/null

# --count, --timeout, a bad type.
bg one --timeout 20 events --type lock --count 1
sleep 1.5
ok "user lock for --count" ctl user lock host1
wait "$bg_pid"; st=$?
is "--count 1 exits 0 after one event" "0 1" "$st $(wc -l <"$T/one")"
ok "user unlock" ctl user unlock host1
fails 75 "--timeout ends a silent wait with status 75" "no event within 1\.0 s" \
    ctl --timeout 1 events --type unlock
fails 65 "an unknown type is refused, naming --type" "--type: unknown event type \"nope\"" \
    ctl events --type nope

# Who may subscribe: a super-admin account yes, a domain admin no.
ok "the first admin's password" test -s "$T/lib/admin.password"
ok "a super-admin account subscribes" \
    ctl --user admin --password-file "$T/lib/admin.password" --timeout 5 events --type stats --count 1
dpw=$(secret 'domain admin password')
ok "a domain admin" ctl admin add dadmin --role domain --domain example.com --password-file "$dpw"
fails 77 "a domain admin cannot run events" "needs a super-admin" \
    ctl --user dadmin --password-file "$dpw" events
/usr/bin/python3 - "ipc://$EVENTS" >"$OUT" 2>"$ERR" <<'PY'
import sys, zmq
from zmq.utils.monitor import recv_monitor_message
sub = zmq.Context().socket(zmq.SUB)
sub.plain_username = b"dadmin"
sub.plain_password = b"domain admin password"
mon = sub.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH |
                             zmq.EVENT_HANDSHAKE_SUCCEEDED)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.connect(sys.argv[1])
if mon.poll(10000):
    m = recv_monitor_message(mon)
    print("refused %d" % m["value"] if m["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH
          else "let in")
PY
has "the event socket refuses a domain admin's login (ZAP 400)" '^refused 400$'
has_log() { grep -Eq -- "$2" "$T/daemon.log" && of_result 0 "$1" || of_result 1 "$1"; }
has_log "the daemon logs why" "login refused for dadmin .*event socket is for super-admins"

# A flood with nobody subscribed: the daemon's memory stays where it was.
# An unlock of an unlocked user changes no row's size, so the database
# does not grow; each publishes an event of some 300 bytes.
long=$(printf 'u%.0s' $(seq 120))
ok "a user with a long name" ctl user add ip "$long" --domain example.com --ip 127.0.0.9
cat >"$T/flood.py" <<'PY'
import json, sys, zmq
ep, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = zmq.Context().socket(zmq.REQ)
s.plain_username = b"-"
s.plain_password = b"-"
s.rcvtimeo = 20000
s.connect(ep)
req = json.dumps({"v": 1, "cmd": "user.unlock", "args": {"name": name}}).encode()
for i in range(n):
    s.send(req)
    if not json.loads(s.recv())["ok"]:
        sys.exit("refused")
PY
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$of_pid/status"; }
ok "warm-up: 2000 unlocks" /usr/bin/python3 "$T/flood.py" "ipc://$T/run/control" "$long" 2000
before=$(rss)
ok "flood: 20000 unlocks, 20000 events, nobody subscribed" \
    /usr/bin/python3 "$T/flood.py" "ipc://$T/run/control" "$long" 20000
after=$(rss)
is "the daemon's RSS grows by less than 1 MiB over 6 MB of events ($before -> $after KiB)" \
    True "$([ $((after - before)) -lt 1024 ] && echo True || echo False)"

# At the stop, the socket file goes.
of_stop
is "the daemon stops cleanly on SIGTERM" 0 "$of_status"
is "the event socket is removed at the stop" no "$([ -e "$EVENTS" ] && echo yes || echo no)"
of_done
