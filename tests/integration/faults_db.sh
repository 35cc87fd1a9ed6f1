#!/usr/bin/env bash
# The database locked by another process (TESTING.md 37): a python3
# sqlite3 client holds BEGIN EXCLUSIVE on the daemon's database.  Shorter
# than SQLite's busy time-out, the message waits and goes through; longer,
# it gets 451 4.3.0 or 250 within bounds, never an endless wait, and 250
# only with the message at the next hop;
# other clients and the control socket are answered meanwhile; afterwards
# the database is whole and the refused message's log row says tempfail.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/faults.bash"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }
command -v sqlite3 >/dev/null || { echo "1..0 # SKIP the sqlite3 command is not installed"; exit 0; }

of_start
a_sender
DB=$T/lib/outfilter.db

# lock SECONDS: another process holds the database's write lock for
# SECONDS from now ($LOCK_PID).
lock() {
	bg /usr/bin/python3 "$PEER" lock "$DB" "$1" >"$T/lock.out" 2>&1
	LOCK_PID=$bg_pid
	for _ in $(seq 200); do
		grep -q '^locked' "$T/lock.out" && return 0
		kill -0 "$LOCK_PID" 2>/dev/null || break
		sleep 0.05
	done
	of_bail "could not lock the database: $(cat "$T/lock.out")"
}

# timed VAR CMD...: run CMD, its seconds in VAR.
timed() {
	local v=$1 t0=$SECONDS; shift
	"$@"
	eval "$v=\$((SECONDS - t0))"
}

send warmup@example.org
queued; of_result $? "a message before the lock goes through"

# --- a lock shorter than the busy time-out (5 s): the message waits --------
lock 2
timed took send short@example.org
if queued; then of_result 0 "a 2 s lock: the message waits and gets 250"
else of_result 1 "a 2 s lock: the message waits and gets 250" "$(grep -E '^<' "$OUT" | tail -n 3)"; fi
is "a 2 s lock: within 8 s" yes "$([ "$took" -le 8 ] && echo yes)"
wait "$LOCK_PID" 2>/dev/null

# --- a lock of 12 s: longer than SQLite's busy time-out -----------------------
lock 12
t0=$SECONDS
(OUT=$T/long.out ERR=$T/long.err; send long@example.org) &
spid=$!
sleep 0.5
timed took chat "while the message waits, another client is answered" "$RELAY_PORT" <<EOF
< 220
> EHLO other.test
< 250
> NOOP
< 250
> QUIT
< 221
EOF
is "another client: at once" yes "$([ "$took" -le 2 ] && echo yes)"
timed took ok "while locked, status answers" ctl --json status
is "status: at once" yes "$([ "$took" -le 2 ] && echo yes)"
timed took fails 75 "while locked, a change through the control socket fails naming the lock" \
    'locked|busy' ctl domain add locked.example
is "the change: within 10 s" yes "$([ "$took" -le 10 ] && echo yes)"
wait "$spid"
took=$((SECONDS - t0))
OUT=$T/long.out
# Either answer is right: 451 4.3.0 when a write the message needs
# failed, 250 when only writes that may wait (the log, counters) were
# left; never 250 for a message the next hop did not get.
if queued; then
	long=relayed
	of_result 0 "a 12 s lock: the message got 250"
else
	long=tempfail
	heard "a 12 s lock: the message got 451 4.3.0" '451 4\.3\.0 '
fi
OUT=$T/out
echo "# a 12 s lock: the message was $long after $took s"
is "a 12 s lock: answered within 10 s, before the lock ends" yes "$([ "$took" -le 10 ] && echo yes)"
is "a 12 s lock: the daemon still runs" yes "$(kill -0 "$of_pid" 2>/dev/null && echo yes)"
ok "the lock is still held" kill -0 "$LOCK_PID"
wait "$LOCK_PID" 2>/dev/null

# --- afterwards ------------------------------------------------------------------
send after@example.org
if queued; then of_result 0 "after the lock a message goes through"
else of_result 1 "after the lock a message goes through" "$(grep -E '^<' "$OUT" | tail -n 3)"; fi
is "the locked-out message's log row says $long" "$long" "$(log_row long@example.org status)"
is "the waiting message's log row says relayed" relayed "$(log_row short@example.org status)"
ok "a change through the control socket works again" ctl domain add locked.example
is "the database passes integrity_check" ok "$(sqlite3 -readonly "$DB" 'PRAGMA integrity_check' 2>&1)"
is "the next hop got exactly the messages that got 250" \
    "$([ "$long" = relayed ] && echo 4 || echo 3)" "$(outbox)"
of_stop
is "the daemon stops cleanly" 0 "$of_status"
is "the database passes integrity_check after the stop" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)"
of_done
