#!/usr/bin/env bash
# The guards under load (TESTING.md 11, 12, 18): 5 000 idle connections
# from 50 addresses while a normal client is served, the per-IP cap
# refusing the excess with 421 4.7.0; a slowloris client sending one byte
# a second, cut by the session's total time-out; 500 AUTH failures from
# one address throttled while another address logs in.  The guards say
# what they did, and the daemon keeps serving.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/faults.bash"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }

IDLE=5000 SOURCES=50 PER_IP=100
# Both the daemon and the client hold one descriptor a connection.
ulimit -n $((IDLE + 2000)) 2>/dev/null ||
    { echo "1..0 # SKIP cannot raise the open file limit to $((IDLE + 2000)) (hard limit $(ulimit -Hn))"; exit 0; }

of_start "[smtp]" "max_connections_per_ip = $PER_IP" "total_timeout = 10" \
    "idle_timeout = 30" "auth_without_tls = yes"
a_sender
pw=$(secret 'correct horse battery')
ok "an SMTP AUTH user" ctl user add smtp alice@example.com --domain example.com --password-file "$pw"
ok "an IP user for the idle clients' addresses" ctl user add ip farm --domain example.com --ip 127.0.1.0/24

# --- slowloris: one byte a second --------------------------------------------
bg /usr/bin/python3 "$PEER" slowloris "$RELAY_PORT" "$T/slow.result"
slow_pid=$bg_pid

# --- 5 000 idle connections ------------------------------------------------------
bg /usr/bin/python3 "$PEER" idle "$RELAY_PORT" $((IDLE + SOURCES)) "$SOURCES" "$T/idle.stop" "$T/idle.result"
idle_pid=$bg_pid
for _ in $(seq 600); do
	[ -f "$T/idle.result" ] && break
	kill -0 "$idle_pid" 2>/dev/null || break
	sleep 0.05
done
idle_at=$SECONDS
read -r _ held _ refused _ first <"$T/idle.result" 2>/dev/null
echo "# idle: held ${held:-?}, refused ${refused:-?}, first refusal: ${first:-}"
is "$IDLE idle connections from $SOURCES addresses are held" "$IDLE" "${held:-}"
is "the one more of each address is refused" "$SOURCES" "${refused:-}"
case ${first:-} in
"421 4.7.0 "*) of_result 0 "the per-IP cap says 421 4.7.0" ;;
*) of_result 1 "the per-IP cap says 421 4.7.0" "got: ${first:-nothing}" ;;
esac

# An address without IP user is refused at MAIL, but its connections
# count toward the cap all the same.
bg /usr/bin/python3 "$PEER" idle "$RELAY_PORT" $((PER_IP + 5)) 1 "$T/idle.stop" "$T/stranger.result" 127.0.2
stranger_pid=$bg_pid
for _ in $(seq 200); do [ -f "$T/stranger.result" ] && break; sleep 0.05; done
read -r _ held _ refused _ first <"$T/stranger.result" 2>/dev/null
echo "# an address without IP user: held ${held:-?}, refused ${refused:-?}, first refusal: ${first:-}"
is "an address without IP user: the cap holds it to $PER_IP connections" "$PER_IP 5" "${held:-} ${refused:-}"

t0=$SECONDS
send served@example.org
if queued; then of_result 0 "meanwhile a normal client is served"
else of_result 1 "meanwhile a normal client is served" "$(grep -E '^<' "$OUT" | tail -n 3)"; fi
is "and at once" yes "$([ $((SECONDS - t0)) -le 5 ] && echo yes)"
ok "status answers" ctl --json status

# --- 500 AUTH failures from one address --------------------------------------------
/usr/bin/python3 "$PEER" authflood "$SUBMISSION_PORT" 500 alice@example.com "$T/auth.result"
echo "# AUTH failures, replies by code: $(cat "$T/auth.result")"
OUT=$T/auth.result
is "500 attempts were answered" 500 "$(jget 'sum(j.values())')"
is "the first ones: 535" yes "$(jget '"yes" if 1 <= j.get("535", 0) <= 10 else j')"
is "then throttled: 454 (or 421 and closed)" yes "$(jget '"yes" if j.get("454", 0) + j.get("421", 0) >= 490 else j')"
OUT=$T/out
grep -q 'too many authentication failures from 127\.0\.0\.1' "$T/daemon.log"
of_result $? "the throttle is logged"
auth=$(printf '\0alice@example.com\0correct horse battery' | base64 -w0)
chat "the right password from another address logs in" "$SUBMISSION_PORT" --source 127.0.0.2 <<EOF
< 220
> EHLO other.test
< 250
> AUTH PLAIN $auth
< 235
> QUIT
< 221
EOF
chat "from the throttled address even the right one waits" "$SUBMISSION_PORT" <<EOF
< 220
> EHLO flood.test
< 250
> AUTH PLAIN $auth
< 454 4.7.0
> QUIT
< 221
EOF

# --- the time-outs ------------------------------------------------------------------
wait "$slow_pid"
echo "# slowloris: $(tr '\n' ' ' <"$T/slow.result")"
case $(head -n 1 "$T/slow.result") in
"421 4.4.2 "*) of_result 0 "slowloris: cut with 421 4.4.2" ;;
*) of_result 1 "slowloris: cut with 421 4.4.2" "got: $(head -n 1 "$T/slow.result")" ;;
esac
secs=$(sed -n 's/^seconds //p' "$T/slow.result")
is "slowloris: after the 10 s total time-out, not before" yes \
    "$([ "${secs:-0}" -ge 9 ] && [ "${secs:-99}" -le 14 ] && echo yes)"
grep -q 'session too long' "$T/daemon.log"
of_result $? "the cut is logged"

# The idle ones outlive the total time-out only if the guard failed.
left=$((idle_at + 12 - SECONDS))
[ "$left" -gt 0 ] && sleep "$left"
touch "$T/idle.stop"
wait "$idle_pid" "$stranger_pid"
is "the idle connections were all closed by the time-out" "still-open 0" "$(tail -n 1 "$T/idle.result")"
send after@example.org
if queued; then of_result 0 "afterwards a normal client is served"
else of_result 1 "afterwards a normal client is served"; fi
of_done
