#!/usr/bin/env bash
# A next hop that fails, through the real daemon (TESTING.md 34 and 34a):
# down, 421 at connect, too slow, gone mid-DATA, 4xx and 5xx after DATA
# (Postfix's smtp-sink), and one that misbehaves (faultpeer.py: 250 for
# 354, garbage, 100 000 EHLO lines, a 1 MB line, text after its 220 to
# STARTTLS, the connection cut inside the message).  Each time the client
# gets no 250 for the message, the reply says what happened, the message
# log row says it too, and the daemon serves the next client; a good next
# hop then takes exactly the messages that got 250.  And a spam engine
# that is down or never answers (TESTING.md 38): 451 4.7.1 after [spam]
# timeout, the status says so, and with on_failure = pass the mail flows.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/faults.bash"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }
[ -x "$SINK" ] || { echo "1..0 # SKIP smtp-sink (postfix) not installed"; exit 0; }

of_start "[spam]" "engine = builtin" "timeout = 2"
a_sender

# refused WHAT RCPT REPLY-RE LOG-STATUS: the message to RCPT got REPLY-RE
# and no 250; its log row has LOG-STATUS and the same reply.
n=0
refused() {
	local what=$1 rcpt=$2 re=$3 st=$4 t0 t1
	t0=$(date +%s)
	send "$rcpt"
	t1=$(date +%s)
	not_queued "$what: no 250 for the message"
	heard "$what: the client hears $re" "$re"
	is "$what: answered within 15 s" yes "$([ $((t1 - t0)) -le 15 ] && echo yes)"
	is "$what: the log row says $st" "$st" "$(log_row "$rcpt" status)"
	is "$what: the log row gives the reply" yes \
	    "$(jget "'yes' if any(__import__('re').match(r'$re', x or '') for x in (j['items'][0]['reply'], j['items'][0]['reason'])) else j['items'][0]")"
}

# --- Postfix's smtp-sink ------------------------------------------------------
port=$(free_port)
next_hop "smtp://127.0.0.1:$port?timeout=2"
of_result $? "SIGHUP: a next hop where nothing listens"
refused "down" down@example.org "451 4\.4\.1 .*unreachable" tempfail

port=$(free_port)
bg /usr/bin/python3 "$PEER" mute "$port"
wait_port "$port" || of_bail "the silent next hop did not start"
next_hop "smtp://127.0.0.1:$port?timeout=2"
refused "silent after connect" mute@example.org "451 4\.4\.[12] .*the greeting within 2 s" tempfail
bg_stop "$bg_pid"

sink -Q CONNECT
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
refused "421 at connect" c421@example.org "451 4\.[0-9]\.[0-9] .*421" tempfail
bg_stop "$SINK_PID"

sink -W MAIL:6
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
refused "slow at MAIL" slowmail@example.org "451 4\.4\.2 .*within 2 s" tempfail
bg_stop "$SINK_PID"

sink -W .:6
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
refused "slow after the message" slowdot@example.org "451 4\.4\.2 .*end of the message within 2 s" tempfail
bg_stop "$SINK_PID"

sink -q DATA
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
refused "gone at DATA" cutdata@example.org "451 4\.4\.2 .*closed the connection" tempfail
is "gone at DATA: nothing reached the sink" 0 "$(find "$SINK_DIR" -type f | wc -l)"
bg_stop "$SINK_PID"

sink -q .
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
refused "gone after the final dot" cutdot@example.org "451 4\.4\.2 .*closed the connection" tempfail
bg_stop "$SINK_PID"

sink -Q .
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
refused "421 after the final dot" q421dot@example.org "451 4\.[0-9]\.[0-9] next hop said:" tempfail
bg_stop "$SINK_PID"

sink -r .
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
refused "4xx after DATA: passed back" soft@example.org "450 4\.3\.0 next hop said:" tempfail
bg_stop "$SINK_PID"

sink -f .
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
refused "5xx after DATA: passed back" hard@example.org "500 5\.3\.0 next hop said:" refused
bg_stop "$SINK_PID"

sink -A 0
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
refused "550 right after 354: passed back" abort@example.org "550 5\.[0-9]\.[0-9] next hop said:" refused
bg_stop "$SINK_PID"

sink -r RCPT
next_hop "smtp://127.0.0.1:$SINK_PORT?timeout=2"
send soft-rcpt@example.org
not_queued "4xx at RCPT: no 250 for the message"
heard "4xx at RCPT: the client hears it for the recipient" '450 4\.3\.0 next hop said:'
bg_stop "$SINK_PID"

# --- a next hop that misbehaves (faultpeer.py) ---------------------------------
# misbehaves MODE RCPT REPLY-RE
misbehaves() {
	hop_peer "$1"
	next_hop "smtp://127.0.0.1:$HOP_PORT?timeout=5"
	refused "$1" "$2" "$3" tempfail
	is "$1: the next hop took nothing" 0 "$(taken)"
	ok "$1: the daemon still answers" ctl status
	bg_stop "$HOP_PID"
}
misbehaves 250-for-354 m354@example.org "451 4\.[0-9]\.[0-9] .*250 instead of 354"
misbehaves garbage garbage@example.org "451 4\.[0-9]\.[0-9] .*malformed reply"
misbehaves huge-ehlo hugeehlo@example.org "451 4\.[0-9]\.[0-9] .*more than 200 lines"
misbehaves huge-line hugeline@example.org "451 4\.[0-9]\.[0-9] .*over 1024 bytes"
misbehaves starttls-inject inject@example.org "451 4\.[0-9]\.[0-9] .*text after its 220 to STARTTLS"
misbehaves cut-body cutbody@example.org "451 4\.4\.2 .*closed the connection"

# --- and a good next hop takes what gets 250 ------------------------------------
hop_peer ok
next_hop "smtp://127.0.0.1:$HOP_PORT?timeout=5"
for i in 1 2 3; do
	send "good$i@example.org"
	if queued; then of_result 0 "a good next hop: message $i gets 250"
	else of_result 1 "a good next hop: message $i gets 250" "$(tail -n 5 "$OUT")"; fi
done
is "the next hop took exactly those three" 3 "$(taken)"
is "one of them is the third" 1 "$(grep -l '^Subject: fault good3@example.org' "$HOP_DIR"/*.eml | wc -l)"
is "its log row says relayed" relayed "$(log_row good3@example.org status)"
is "and gives the next hop's reply" "250 2.0.0 Ok: taken" "$(jget 'j["items"][0]["reply"]')"

# Mid-transaction: the next hop dies between RCPT and DATA.
(sleep 1; kill -KILL "$HOP_PID") &
chat "the next hop dies after RCPT: 451 at the end of DATA, not 250" "$RELAY_PORT" <<EOF
< 220
> EHLO client.test
< 250
> MAIL FROM:<dies@example.com>
< 250
> RCPT TO:<dies@example.org>
< 250
sleep 2
> DATA
< 354
> Subject: fault dies@example.org
>
> body
> .
< 451
> QUIT
< 221
EOF
wait "$HOP_PID" 2>/dev/null
is "its log row says tempfail" tempfail "$(log_row dies@example.org status)"
is "the dead next hop's count stands" 3 "$(taken)"
is "the daemon is still running" yes "$(kill -0 "$of_pid" 2>/dev/null && echo yes)"

# --- the spam engine down or silent ---------------------------------------------
hop_peer ok
next_hop "smtp://127.0.0.1:$HOP_PORT?timeout=5"
# spam_engine SPEC: make SPEC the engine by SIGHUP; 0 once the log says so.
spam_engine() {
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
port=$(free_port)
spam_engine "spamd://127.0.0.1:$port"
of_result $? "SIGHUP: a spam engine where nothing listens"
refused "spam engine down" spamdown@example.org "451 4\.7\.1 " tempfail
bg /usr/bin/python3 "$PEER" mute "$port"
wait_port "$port" || of_bail "the silent spam engine did not start"
refused "spam engine silent" spamslow@example.org "451 4\.7\.1 " tempfail
ok "status while the engine fails" ctl --json status
is "status: the engine is failing" True "$(jget 'j["spam"]["failing"]')"
is "status: the last error says no answer within 2 s" True \
    "$(jget '"no answer within 2" in (j["spam"]["last_error"] or "")')"
is "status: failures counted" True "$(jget 'j["spam"]["failures"] >= 2')"
is "nothing reached the next hop meanwhile" 0 "$(taken)"
sed -i 's/^timeout = 2$/timeout = 2\non_failure = pass/' "$T/outfilterd.conf"
spam_engine "spamd://127.0.0.1:$port"
send spampass@example.org
if queued; then of_result 0 "on_failure = pass: the message gets 250 unscanned"
else of_result 1 "on_failure = pass: the message gets 250 unscanned" "$(grep -E '^<' "$OUT" | tail -n 3)"; fi
is "on_failure = pass: the next hop took it" 1 "$(taken)"

of_done
