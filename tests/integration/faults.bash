# Shared by the fault tests (faults_*.sh), sourced after lib.sh: peers
# started by the test and stopped by their pids, a daemon with another next
# hop, and one SMTP session through swaks.

PEER=$OF_SRCDIR/tests/integration/faultpeer.py
SINK=/usr/sbin/smtp-sink
fault_pids=()

faults_cleanup() {
	local p
	for p in "${fault_pids[@]}"; do
		kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	of_cleanup
}
trap faults_cleanup EXIT

# peer ARGS...: tests/integration/faultpeer.py in the foreground.
peer() { /usr/bin/python3 "$PEER" "$@"; }

# bg CMD...: CMD in the background; its pid is $bg_pid, killed at exit.
# CMD is a program, not a function (a function would run in a subshell
# whose pid is not the program's).
bg() {
	"$@" &
	bg_pid=$!
	fault_pids+=("$bg_pid")
}

# bg_stop PID: stop one background process.
bg_stop() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (5 s).
wait_port() {
	local i
	for i in $(seq 100); do
		/usr/bin/python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),timeout=1).close()' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# hop_peer MODE: faultpeer's next hop on a free port ($HOP_PORT), taking
# messages into $HOP_DIR.
hop_peer() {
	HOP_PORT=$(free_port)
	HOP_DIR=$(mktemp -d "$T/hop.XXXXXX")
	bg /usr/bin/python3 "$PEER" hop "$HOP_PORT" "$1" "$HOP_DIR"
	HOP_PID=$bg_pid
	wait_port "$HOP_PORT" || of_bail "the $1 next hop did not start"
}

# taken: how many messages the faultpeer next hop took.
taken() { cat "$HOP_DIR/count" 2>/dev/null || echo 0; }

# sink ARGS...: Postfix's smtp-sink with ARGS on a free port ($SINK_PORT),
# dumping each transaction into $SINK_DIR; as nobody when run as root.
sink() {
	SINK_PORT=$(free_port)
	SINK_DIR=$(mktemp -d "$T/sink.XXXXXX")
	chmod 777 "$SINK_DIR"
	local u=()
	[ "$(id -u)" = 0 ] && u=(-u nobody)
	bg "$SINK" "${u[@]}" "$@" -d "$SINK_DIR/%M." "127.0.0.1:$SINK_PORT" 64
	SINK_PID=$bg_pid
	wait_port "$SINK_PORT" || of_bail "smtp-sink $* did not start"
}

# of_start_hop HOP [EXTRA-INI-LINES]: of_start with next_hop = HOP.
of_start_hop() {
	local h=$1; shift
	of_config "$@"
	sed -i "s|^next_hop = .*|next_hop = $h|" "$T/outfilterd.conf"
	"$OUTFILTERD" -c "$T/outfilterd.conf" --init >"$T/init.log" 2>&1 ||
	    of_bail "outfilterd --init failed: $(cat "$T/init.log")"
	of_launch
}

# next_hop SPEC: make SPEC the next hop by SIGHUP; 0 once the log says so.
next_hop() {
	local n i
	n=$(grep -cF "smtp: next hop is now $1" "$T/daemon.log")
	sed -i "s|^next_hop = .*|next_hop = $1|" "$T/outfilterd.conf"
	kill -HUP "$of_pid"
	for i in $(seq 100); do
		[ "$(grep -cF "smtp: next hop is now $1" "$T/daemon.log")" -gt "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

# a_sender: the domain example.com and the IP user host1 for 127.0.0.1.
a_sender() {
	ctl domain add example.com >/dev/null && ctl domain enable example.com >/dev/null &&
	    ctl user add ip host1 --domain example.com --ip 127.0.0.1 >/dev/null ||
	    of_bail "cannot set up the sender: $(ctl domain list 2>&1)"
}

# send RCPT [SWAKS-ARGS...]: one message to RCPT through the relay
# listener, from the sender with RCPT's local part at example.com, subject
# "fault RCPT"; the transcript is in $OUT.
send() {
	local r=$1; shift
	swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 60 \
	    --from "${r%@*}@example.com" --to "$r" --h-Subject "fault $r" "$@" \
	    >"$OUT" 2>"$ERR"
}

# heard WHAT RE: the last session's transcript holds the reply RE (swaks
# marks a reply "<-", a refusal "<**").
heard() { has "$1" "<(-|\*\*) +$2"; }

# queued: the last session's message got 250 at the end of DATA.
queued() { grep -Eq '<- +250 2\.0\.0 Ok: queued' "$OUT"; }

# not_queued WHAT: a test that the last session got no 250 for its message.
not_queued() {
	if queued; then of_result 1 "$1" "the client got 250 for the message"
	else of_result 0 "$1"; fi
}

# log_row RCPT FIELD: the newest message log row of send RCPT (found by
# its sender), one field.  Rows are written behind: wait for it (5 s).
log_row() {
	local i
	for i in $(seq 50); do
		ctl --json log search --sender "${1%@*}@example.com" >"$OUT" 2>"$ERR" || return 1
		[ "$(jget 'len(j["items"])')" != 0 ] && break
		sleep 0.1
	done
	jget "j['items'][0]['$2'] if j['items'] else ''"
}
