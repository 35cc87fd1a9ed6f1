#!/usr/bin/env bash
# The spam engines through the daemon: the builtin classifier, a real
# rspamd and a real spamd (Debian's packages, started here as children on
# loopback with private directories) each judge a GTUBE message as spam
# and a clean one as not; the engine is switched by SIGHUP; an engine that
# is down or silent is named in the error and counted in the status;
# `spam learn` teaches the builtin engine (and spamd), and
# `outfilterd --train-ham/--train-spam` trains the store a running daemon
# reads on SIGHUP.
. "$OF_SRCDIR/tests/integration/lib.sh"

rspamd_pid= spamd_pid= silent_pid=
engines_cleanup() {
	local p
	for p in $rspamd_pid $spamd_pid $silent_pid; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	of_cleanup
}
trap engines_cleanup EXIT

# ping PROTO PORT: one request to an engine on loopback; 0 when it answers
# as it should (rspamd: GET /ping, spamd: SPAMC PING).
ping_engine() {
	/usr/bin/python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
proto, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=2)
if proto == "rspamd":
    s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    want = b"pong"
else:
    s.sendall(b"PING SPAMC/1.5\r\n\r\n")
    want = b"PONG"
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
sys.exit(0 if want in data else 1)
PY
}

# wait_engine PROTO PORT PID SECONDS: until it answers; 1 if it died or
# stayed silent.
wait_engine() {
	local i
	for i in $(seq $(($4 * 5))); do
		ping_engine "$1" "$2" && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# root runs the engines as their own users, as their packages do.
as_root() { [ "$(id -u)" = 0 ]; }

# rspamd with the package's configuration, its variables pointed into $T:
# one normal worker and the controller on free loopback ports, no proxy,
# no Redis (so no Bayes), and no lookups on the network: DNS goes to a
# port where nothing answers, and the fuzzy hashes stay home.
rspamd_start() {
	local d=$T/rspamd ug=
	command -v rspamd >/dev/null || { rspamd_skip="rspamd is not installed"; return 1; }
	RSPAMD_PORT=$(free_port) RSPAMD_CTL=$(free_port)
	mkdir -p "$d/local/local.d" "$d/local/override.d" "$d/run" "$d/db" "$d/log"
	cat >"$d/local/override.d/worker-normal.inc" <<EOF
bind_socket = "127.0.0.1:$RSPAMD_PORT";
count = 1;
EOF
	cat >"$d/local/override.d/worker-controller.inc" <<EOF
bind_socket = "127.0.0.1:$RSPAMD_CTL";
count = 1;
secure_ip = "127.0.0.1";
static_dir = "\${WWWDIR}";
EOF
	echo 'count = 0;' >"$d/local/override.d/worker-proxy.inc"
	cat >"$d/local/override.d/logging.inc" <<EOF
type = "file";
filename = "$d/log/rspamd.log";
level = "info";
EOF
	cat >"$d/local/local.d/options.inc" <<EOF
dns { nameserver = ["127.0.0.1:1"]; timeout = 0.2s; retransmits = 1; }
EOF
	echo 'enabled = false;' >"$d/local/local.d/fuzzy_check.conf"
	if as_root; then
		ug="-u _rspamd -g _rspamd"
		chown -R _rspamd: "$d" 2>/dev/null || { rspamd_skip="no _rspamd user"; return 1; }
	fi
	# shellcheck disable=SC2086
	rspamd -f -c /etc/rspamd/rspamd.conf $ug \
	    --var LOCAL_CONFDIR="$d/local" --var RUNDIR="$d/run" \
	    --var DBDIR="$d/db" --var LOGDIR="$d/log" >"$d/out" 2>&1 &
	rspamd_pid=$!
}

# spamd with the package's rules, local tests only (no DNS), learning
# allowed (TELL), its Bayes database under $T.
spamd_start() {
	local d=$T/spamd ug=
	command -v spamd >/dev/null || { spamd_skip="spamd is not installed"; return 1; }
	SPAMD_PORT=$(free_port)
	mkdir -p "$d/home"
	if as_root; then
		ug="-u nobody"
		chown nobody "$d/home" || { spamd_skip="cannot give $d/home to nobody"; return 1; }
	fi
	# shellcheck disable=SC2086
	spamd -i "127.0.0.1:$SPAMD_PORT" -A 127.0.0.1 -L -x -l $ug \
	    -H "$d/home" -m 2 --min-children=1 -s stderr \
	    --cf="bayes_path $d/home/bayes" >"$d/out" 2>&1 &
	spamd_pid=$!
}

# engine SPEC: make SPEC the engine by SIGHUP; 0 once the log says so.
engine() {
	local n i
	n=$(grep -cF "spam: engine $1" "$T/daemon.log")
	sed -i "s|^engine = .*|engine = $1|" "$T/outfilterd.conf"
	kill -HUP "$of_pid"
	for i in $(seq 100); do
		[ "$(grep -cF "spam: engine $1" "$T/daemon.log")" -gt "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

# verdict WHAT FILE SPAM: spam check FILE says spam is SPAM (True/False).
verdict() {
	ok "$1: spam check runs" ctl --json spam check "$2"
	is "$1: spam is $3" "$3" "$(jget 'j["spam"]')"
}

rspamd_skip= spamd_skip=
rspamd_start
spamd_start

now=$(date -R)
printf 'From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Test spam mail (GTUBE)\r\nDate: %s\r\nMessage-ID: <gtube.1@example.com>\r\n\r\nThis is the GTUBE, the\r\nGeneric Test for Unsolicited Bulk Email\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n' "$now" >"$T/gtube.eml"
printf 'From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Lunch on Friday\r\nDate: %s\r\nMessage-ID: <lunch.2@example.com>\r\n\r\nHi Bob,\r\n\r\nshall we meet for lunch on Friday after the team meeting?\r\nThe usual place at noon would suit me.\r\n\r\nAlice\r\n' "$now" >"$T/clean.eml"
printf 'From: Deals <deals@pills.example.biz>\r\nTo: Bob <bob@example.org>\r\nSubject: Cheap pills\r\n\r\nOrder cheap pills now, free shipping: http://pills.example.biz/buy\r\n' >"$T/pills.eml"

of_start "[spam]" "engine = builtin" "timeout = 10"

# --- builtin ---------------------------------------------------------------
verdict "builtin, GTUBE" "$T/gtube.eml" True
is "builtin names the GTUBE" GTUBE "$(jget 'j["why"][0]["name"]')"
is "the engine is builtin" builtin "$(jget 'j["engine"]')"
verdict "builtin, a clean message" "$T/clean.eml" False
ok "spam check reads standard input" ctl --json spam check - <"$T/gtube.eml"
is "from standard input too" True "$(jget 'j["spam"]')"
ok "plain output" ctl spam check "$T/gtube.eml"
has "plain output shows the verdict" '^spam: +yes'
has "and why" 'GTUBE'

ok "an unlearnt message" ctl --json spam check "$T/pills.eml"
before=$(cat "$OUT")
is "untrained: not spam" False "$(jget 'j["spam"]')"
is "untrained: no clues" 0 "$(jget 'len(j["why"])')"
ok "spam learn spam" ctl --json spam learn spam "$T/pills.eml"
is "learnt" True "$(jget 'j["learnt"]')"
ok "the learnt message again" ctl --json spam check "$T/pills.eml"
[ "$(cat "$OUT")" != "$before" ]
of_result $? "spam learn changed the verdict"
is "learnt: spam" True "$(jget 'j["spam"]')"
is "learnt: its tokens are the reason" tokens "$(jget 'j["reason"]')"
is "learnt: a word of it is a clue" True "$(jget '"cheap" in [w["name"] for w in j["why"]]')"
fails 65 "spam learn wants spam or ham" 'class must be spam or ham' ctl spam learn maybe "$T/pills.eml"
fails 66 "spam check of a missing file" 'cannot read' ctl spam check "$T/nonexistent.eml"
fails 64 "spam check needs the message" 'needs FILE' ctl spam check

# outfilterd --train-ham/--train-spam into the running daemon's store.
mkdir -p "$T/train/ham" "$T/train/spam"
for i in 1 2 3 4 5 6; do
	printf 'Subject: team meeting %s\n\nThe lunch meeting moves to Friday noon, Bob.\n' $i >"$T/train/ham/$i"
done
ok "--train-ham, not on a terminal" "$OUTFILTERD" -c "$T/outfilterd.conf" \
    --train-ham "$T/train/ham" --train-spam "$T/train/spam"
is "quiet when not on a terminal" "" "$(cat "$OUT" "$ERR")"
fails 66 "--train-spam of a missing folder" 'nonexistent' "$OUTFILTERD" \
    -c "$T/outfilterd.conf" --train-spam "$T/nonexistent"
engine builtin
of_result $? "SIGHUP reads the trained store again"
has_log() { grep -qF "$1" "$T/daemon.log"; }
has_log "spam: engine builtin (read again)"
of_result $? "the log says the store was read again"
ok "after training" ctl --json spam check "$T/clean.eml"
is "the clean message has learnt clues now" True "$(jget 'len(j["why"]) > 0')"

ok "status" ctl --json status
is "status: the engine" builtin "$(jget 'j["spam"]["engine"]')"
is "status: on_failure" tempfail "$(jget 'j["spam"]["on_failure"]')"
is "status: learnt" 1 "$(jget 'j["spam"]["learnt"]')"
is "status: no failure" None "$(jget 'j["spam"]["last_failure"]')"

# --- rspamd ----------------------------------------------------------------
if [ -z "$rspamd_skip" ] && ! wait_engine rspamd "$RSPAMD_PORT" "$rspamd_pid" 90; then
	rspamd_skip="rspamd did not start: $(tail -n 3 "$T/rspamd/out" "$T/rspamd/log/rspamd.log" 2>/dev/null | tr '\n' ' ' | cut -c1-300)"
fi
if [ -n "$rspamd_skip" ]; then
	echo "ok - rspamd # SKIP $rspamd_skip"
else
	spec="rspamd://127.0.0.1:$RSPAMD_PORT?controller=$RSPAMD_CTL"
	engine "$spec"
	of_result $? "SIGHUP switches to rspamd"
	verdict "rspamd, GTUBE" "$T/gtube.eml" True
	is "rspamd: the engine" rspamd "$(jget 'j["engine"]')"
	is "rspamd names the GTUBE" True "$(jget '"GTUBE" in [w["name"] for w in j["why"]]')"
	verdict "rspamd, a clean message" "$T/clean.eml" False
	is "rspamd: its action" "no action" "$(jget 'j["reason"]')"
	fails 75 "rspamd without Redis does not learn, and says so" \
	    "rspamd://127\.0\.0\.1:$RSPAMD_PORT.*did not learn" \
	    ctl spam learn spam "$T/pills.eml"
	kill -TERM "$rspamd_pid"; wait "$rspamd_pid" 2>/dev/null; rspamd_pid=
	fails 75 "rspamd down: the error names the engine and its address" \
	    "could not judge.*rspamd://127\.0\.0\.1:$RSPAMD_PORT.*cannot connect" \
	    ctl spam check "$T/gtube.eml"
fi

# --- spamd -----------------------------------------------------------------
if [ -z "$spamd_skip" ] && ! wait_engine spamd "$SPAMD_PORT" "$spamd_pid" 90; then
	spamd_skip="spamd did not start: $(tail -n 3 "$T/spamd/out" | tr '\n' ' ' | cut -c1-300)"
fi
if [ -n "$spamd_skip" ]; then
	echo "ok - spamd # SKIP $spamd_skip"
else
	engine "spamd://127.0.0.1:$SPAMD_PORT"
	of_result $? "SIGHUP switches to spamd"
	verdict "spamd, GTUBE" "$T/gtube.eml" True
	is "spamd: the engine" spamd "$(jget 'j["engine"]')"
	is "spamd: GTUBE is the strongest rule" GTUBE "$(jget 'j["why"][0]["name"]')"
	is "spamd: its threshold" 5.0 "$(jget 'j["threshold"]')"
	verdict "spamd, a clean message" "$T/clean.eml" False
	ok "spamd learns through TELL" ctl spam learn ham "$T/clean.eml"
	kill -TERM "$spamd_pid"; wait "$spamd_pid" 2>/dev/null; spamd_pid=
	fails 75 "spamd down: the error names the engine and its address" \
	    "could not judge.*spamd://127\.0\.0\.1:$SPAMD_PORT: cannot connect: Connection refused" \
	    ctl spam check "$T/gtube.eml"
fi

# --- failures ----------------------------------------------------------------
# An engine that accepts and never answers: the time-out, then on_failure.
silent=$(free_port)
/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(120)' "$silent" &
silent_pid=$!
sed -i 's/^timeout = .*/timeout = 1/' "$T/outfilterd.conf"
engine "spamd://127.0.0.1:$silent"
of_result $? "SIGHUP switches to a silent engine"
t0=$(date +%s)
fails 75 "a silent engine: no answer within the time-out" \
    "spamd://127\.0\.0\.1:$silent: no answer within 1\.0 s" \
    ctl spam check "$T/gtube.eml"
is "the time-out is kept" True "$([ $(( $(date +%s) - t0 )) -le 5 ] && echo True)"
kill -TERM "$silent_pid"; wait "$silent_pid" 2>/dev/null; silent_pid=
grep -q "spam: spamd://127.0.0.1:$silent: .*answered 451 4.7.1" "$T/daemon.log"
of_result $? "the log says mail gets 451 while the engine fails"
ok "status while failing" ctl --json status
is "status: failing" True "$(jget 'j["spam"]["failing"]')"
is "status: the last error" True "$(jget '"no answer" in j["spam"]["last_error"] or "cannot connect" in j["spam"]["last_error"]')"
is "status: failures counted" True "$(jget 'j["spam"]["failures"] >= 1')"
sed -i 's/^timeout = .*/timeout = 1\non_failure = pass/' "$T/outfilterd.conf"
kill -HUP "$of_pid"; sleep 0.3
ok "status after on_failure = pass" ctl --json status
is "status: on_failure pass" pass "$(jget 'j["spam"]["on_failure"]')"

# A broken engine in the file: refused by -n and by SIGHUP, with file:line.
sed -i 's|^engine = .*|engine = spamd://127.0.0.1|' "$T/outfilterd.conf"
fails 78 "-n names the bad engine's line" "outfilterd.conf:[0-9]+: engine: .*no port" \
    "$OUTFILTERD" -n -c "$T/outfilterd.conf"
kill -HUP "$of_pid"; sleep 0.3
ok "a broken engine on SIGHUP leaves the running one" ctl --json status
is "still the engine before" "spamd://127.0.0.1:$silent" "$(jget 'j["spam"]["spec"]')"

of_done
