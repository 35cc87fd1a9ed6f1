# Shared by the hostile-input tests (hostile_*.sh, TESTING.md cases 1-24c):
# a private daemon whose next hop is the SMTP sink of hostile.py, so that
# what reached the next hop can be checked byte for byte, and checks
# written in Python.  Source it after lib.sh.
HOSTILE_PY=$OF_SRCDIR/tests/integration/hostile.py
PY=/usr/bin/python3
export PYTHONPATH=$OF_SRCDIR/tests/integration${PYTHONPATH:+:$PYTHONPATH}
SINK_PID=

# The checks read the daemon's resident size: under AddressSanitizer freed
# memory would wait in a quarantine and look held.
if grep -q __asan_init "$OUTFILTERD"; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
fi

hostile_cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
	of_cleanup
}
trap hostile_cleanup EXIT

# hostile_start [INI-LINES]: of_start with next_hop = the sink ($T/sink).
hostile_start() {
	SINK_PORT=$(free_port)
	mkdir -p "$T/sink"
	$PY "$HOSTILE_PY" sink "$SINK_PORT" "$T/sink" 2>"$T/sink.err" &
	SINK_PID=$!
	for _ in $(seq 100); do [ -f "$T/sink/ready" ] && break; sleep 0.05; done
	[ -f "$T/sink/ready" ] || of_bail "the sink did not start: $(cat "$T/sink.err")"
	of_config "$@"
	sed -i "s|^next_hop = .*|next_hop = smtp://127.0.0.1:$SINK_PORT|" "$T/outfilterd.conf"
	"$OUTFILTERD" -c "$T/outfilterd.conf" --init >"$T/init.log" 2>&1 ||
	    of_bail "outfilterd --init failed: $(cat "$T/init.log")"
	of_launch
	export T RELAY_PORT SUBMISSION_PORT OF_PID=$of_pid SINK_DIR=$T/sink
}

# reconf KEY VALUE: change a setting the file already has (KEY = ...),
# SIGHUP, and wait for the daemon to say it reloaded.
reconf() {
	local n
	grep -q "^$1 = " "$T/outfilterd.conf" || of_bail "reconf: no $1 in the file"
	sed -i "s|^$1 = .*|$1 = $2|" "$T/outfilterd.conf"
	n=$(grep -c "config: reloaded" "$T/daemon.log")
	kill -HUP "$of_pid"
	for _ in $(seq 100); do
		[ "$(grep -c "config: reloaded" "$T/daemon.log")" -gt "$n" ] && return 0
		sleep 0.05
	done
	of_bail "reconf $1: no reload in the log"
}

# hpy [ARGS] <<'PY': Python checks (hostile.py imported as h); each line
# it prints as "ok - WHAT" or "not ok - WHAT" is one test, "# ..." lines
# explain a failure.  A crash of the script is one more failure.
hpy() {
	local rc line
	: >"$OUT"; : >"$ERR"
	{ echo "import hostile as h"; cat; } >"$T/check.py"
	$PY "$T/check.py" "$@" >"$T/py.out" 2>"$T/py.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) of_result 0 "${line#ok - }" ;;
		"not ok - "*) of_result 1 "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$T/py.out"
	[ "$rc" = 0 ] || of_result 1 "the Python checks ran to their end (status $rc)" \
	    "$(tail -n 8 "$T/py.err")"
}
