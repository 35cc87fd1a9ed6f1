# Shared by the integration tests: a private outfilterd in a temporary
# directory on free high ports, driven through outfilterctl, and TAP output
# ("ok N - what" / "not ok N - what") that tests/run counts.
#
# Usage in a test:
#   . "$OF_SRCDIR/tests/integration/lib.sh"
#   of_start                      # daemon up, $T is its directory
#   ok "domain add works" ctl domain add example.com
#   fails 65 "duplicate refused" "already exists" ctl domain add example.com
#   of_done
set -u

: "${OF_BUILDDIR:?run through make check}" "${OF_SRCDIR:?run through make check}"
OUTFILTERD=$OF_BUILDDIR/daemon/outfilterd
OUTFILTERCTL=$OF_BUILDDIR/ipc/outfilterctl

T=$(mktemp -d "${TMPDIR:-/tmp}/outfilter-test.XXXXXX")
chmod 755 "$T"
of_n=0 of_failed=0 of_pid=
OUT=$T/out ERR=$T/err

of_cleanup() {
	if [ -n "$of_pid" ] && kill -0 "$of_pid" 2>/dev/null; then
		kill -TERM "$of_pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$of_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$of_pid" 2>/dev/null
	fi
	if [ "$of_failed" -gt 0 ] && [ -f "$T/daemon.log" ]; then
		echo "# daemon log (last 30 lines):"
		tail -n 30 "$T/daemon.log" | sed 's/^/#   /'
	fi
	rm -rf "$T"
}
trap of_cleanup EXIT

# free_port: print a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# of_config [EXTRA-INI-LINES]: write $T/outfilterd.conf with private paths
# and free ports; extra lines are appended verbatim.
of_config() {
	RELAY_PORT=$(free_port) SUBMISSION_PORT=$(free_port)
	cat >"$T/outfilterd.conf" <<CONF
[paths]
state_dir = $T/lib
run_dir = $T/run

[control]
endpoint = ipc://$T/run/control

[smtp]
relay_listen = 127.0.0.1:$RELAY_PORT
submission_listen = 127.0.0.1:$SUBMISSION_PORT

[relay]
next_hop = maildir:$T/outbox
CONF
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$T/outfilterd.conf"
	return 0
}

# of_start [EXTRA-INI-LINES]: initialise and start a private daemon.
of_start() {
	of_config "$@"
	"$OUTFILTERD" -c "$T/outfilterd.conf" --init >"$T/init.log" 2>&1 ||
	    of_bail "outfilterd --init failed: $(cat "$T/init.log")"
	of_launch
}

# of_launch: start the daemon in the foreground (-d) in the background of
# this shell, and wait for its control socket.  OF_DAEMON_WRAPPER, when
# set, is a command (split on blanks) that runs the daemon, such as
# valgrind (tests/valgrind-integration); then it may take a minute.
of_launch() {
	# shellcheck disable=SC2086
	${OF_DAEMON_WRAPPER:-} "$OUTFILTERD" -d -c "$T/outfilterd.conf" >>"$T/daemon.log" 2>&1 &
	of_pid=$!
	for _ in $(seq $([ -n "${OF_DAEMON_WRAPPER:-}" ] && echo 1200 || echo 100)); do
		# Ready once it says so: privileges are dropped by then.
		[ -S "$T/run/control" ] && grep -q "started (pid $of_pid)" "$T/daemon.log" && return 0
		kill -0 "$of_pid" 2>/dev/null || break
		sleep 0.05
	done
	of_bail "outfilterd did not start: $(tail -n 5 "$T/daemon.log")"
}

# of_stop: SIGTERM the daemon and wait for it.
of_stop() {
	[ -n "$of_pid" ] || return 0
	kill -TERM "$of_pid" 2>/dev/null
	wait "$of_pid" 2>/dev/null
	of_status=$?
	of_pid=
}

of_bail() {
	echo "not ok - $*"
	exit 1
}

# ctl ARGS...: outfilterctl against the private daemon.
ctl() {
	"$OUTFILTERCTL" -c "$T/outfilterd.conf" "$@"
}

of_result() {
	of_n=$((of_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $of_n - $2"
	else
		echo "not ok $of_n - $2"
		of_failed=$((of_failed + 1))
		shift 2
		[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
		if [ -s "$OUT" ]; then echo "#   stdout:"; head -n 20 "$OUT" | sed 's/^/#     /'; fi
		if [ -s "$ERR" ]; then echo "#   stderr:"; head -n 20 "$ERR" | sed 's/^/#     /'; fi
	fi
	return 0
}

# ok WHAT CMD...: CMD exits 0.  Its output is kept in $OUT and $ERR.
ok() {
	local what=$1 rc; shift
	"$@" >"$OUT" 2>"$ERR"; rc=$?
	of_result "$([ $rc = 0 ] && echo 0 || echo 1)" "$what" "exit status $rc from: $*"
}

# fails STATUS WHAT PATTERN CMD...: CMD exits with STATUS and its stderr
# matches the extended regex PATTERN.
fails() {
	local want=$1 what=$2 pat=$3 rc; shift 3
	"$@" >"$OUT" 2>"$ERR"; rc=$?
	if [ "$rc" = "$want" ] && grep -Eq -- "$pat" "$ERR"; then
		of_result 0 "$what"
	else
		of_result 1 "$what" "wanted exit $want and stderr matching /$pat/, got exit $rc from: $*"
	fi
}

# has WHAT PATTERN: the last command's stdout matches PATTERN.
has() {
	if grep -Eq -- "$2" "$OUT"; then of_result 0 "$1"
	else of_result 1 "$1" "stdout does not match /$2/"; fi
}

# hasnt WHAT PATTERN: the last command's stdout does not match PATTERN.
hasnt() {
	if grep -Eq -- "$2" "$OUT"; then of_result 1 "$1" "stdout matches /$2/"
	else of_result 0 "$1"; fi
}

# is WHAT WANTED GOT
is() {
	if [ "$2" = "$3" ]; then of_result 0 "$1"
	else of_result 1 "$1" "wanted: $2" "got:    $3"; fi
}

# chat WHAT PORT [--source A] [--tls] <<SCRIPT: one SMTP conversation
# through tests/integration/smtpchat.py, one test.
CHAT=$OF_SRCDIR/tests/integration/smtpchat.py
chat() {
	local what=$1 rc; shift
	/usr/bin/python3 "$CHAT" "$@" >"$OUT" 2>"$ERR"; rc=$?
	of_result "$rc" "$what"
}

# outbox: how many messages the maildir next hop holds.
outbox() { find "$T/outbox/new" -type f 2>/dev/null | wc -l; }

# jq_get EXPR: evaluate a Python expression on the JSON in $OUT (as j).
jget() {
	/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$OUT" "$1"
}

# secret TEXT: a password file holding TEXT, mode 0600.
secret() {
	local f
	f=$(mktemp "$T/pw.XXXXXX")
	printf '%s\n' "$1" >"$f"
	chmod 600 "$f"
	echo "$f"
}

# of_done: stop the daemon, check it stopped cleanly and its log holds no
# sanitizer report, print the plan line.
of_done() {
	if [ -n "$of_pid" ]; then
		if kill -0 "$of_pid" 2>/dev/null; then
			of_stop
			is "the daemon stops cleanly on SIGTERM" 0 "$of_status"
		else
			of_result 1 "the daemon is still running at the end" "it exited"
		fi
	fi
	if [ -f "$T/daemon.log" ]; then
		is "the daemon's log holds no sanitizer report" "" \
		    "$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/daemon.log" | head -n 3)"
	fi
	echo "1..$of_n"
	[ "$of_failed" -eq 0 ]
}
