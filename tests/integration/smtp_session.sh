#!/bin/sh
# The SMTP session on the relay listener: a table of "client says ->
# server answers" conversations (TESTING.md cases 1-12d), through the real
# daemon with an IP user for 127.0.0.1 and the maildir next hop.
. "$OF_SRCDIR/tests/integration/lib.sh"


of_start "[smtp]" "max_recipients = 3" "idle_timeout = 5" \
    "max_unknown_commands = 6" "max_connections_per_ip = 4" \
    "max_message_size = 100000" "greet_pause = 1"
ctl domain add example.com >/dev/null
ctl domain enable example.com >/dev/null
ok "an IP user for 127.0.0.1" ctl user add ip local --domain example.com --ip 127.0.0.1
R=$RELAY_PORT

chat "greeting and EHLO extensions" $R <<'S'
< 220 
> EHLO client.example
< 250-
> QUIT
< 221 2.0.0
S
for ext in PIPELINING "SIZE 100000" 8BITMIME ENHANCEDSTATUSCODES STARTTLS; do
	has "EHLO offers $ext" "^250.$ext"
done
hasnt "no AUTH offered without TLS" "AUTH"

chat "early talker refused (case 1)" $R <<'S'
> EHLO early.example
< 554 5.5.0
<close
S

chat "100 000-byte command line: 500 5.5.2, session goes on (case 2)" $R <<'S'
< 220
>n 100000 A
< 500 5.5.2
> NOOP
< 250 2.0.0
S

chat "NUL, bare CR and bare LF in commands: 500 5.5.2 (case 3)" $R <<'S'
< 220
> EHLO a\x00b
< 500 5.5.2
> NOOP\rNOOP
< 500 5.5.2
>> NOOP\n
< 500 5.5.2
> QUIT
< 221
S

chat "sequence errors: 503 5.5.1 (case 4)" $R <<'S'
< 220
> MAIL FROM:<a@example.com>
< 503 5.5.1
> EHLO c.example
< 250
> RCPT TO:<x@example.net>
< 503 5.5.1
> DATA
< 503 5.5.1
> MAIL FROM:<a@example.com>
< 250 2.1.0
> DATA
< 503 5.5.1
> MAIL FROM:<b@example.com>
< 503 5.5.1
S

chat "MAIL syntax and parameters (cases 5, 6, 12b, 12c)" $R <<'S'
< 220
> EHLO c.example
< 250
> MAIL FROM:a@example.com
< 501
> MAIL FROM:<a@example.com> SIZE=abc
< 501 5.5.4
> MAIL FROM:<a@example.com> BODY=nonsense
< 501 5.5.4
> MAIL FROM:<a@example.com> SIZE=1 SIZE=2
< 555 5.5.4
> MAIL FROM:<a@example.com> FOO=bar
< 555 5.5.4
> QUIT
< 221
S

chat "shell metacharacters refused by syntax, SIZE over the limit: 552 5.3.4" $R <<'S'
< 220
> EHLO c.example
< 250
> MAIL FROM:<;sleep 66;>
< 501
> MAIL FROM:<a@example.com> SIZE=200000
< 552 5.3.4
> QUIT
< 221
S

chat "recipients beyond max_recipients: 452 4.5.3 (case 7)" $R <<'S'
< 220
> EHLO c.example
< 250
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<r1@example.net>
< 250 2.1.5
> RCPT TO:<r2@example.net>
< 250 2.1.5
> RCPT TO:<r3@example.net>
< 250 2.1.5
> RCPT TO:<r4@example.net>
< 452 4.5.3
> RSET
< 250
> QUIT
< 221
S

before=$(outbox)
chat "RSET clears the envelope (case 8)" $R <<'S'
< 220
> EHLO c.example
< 250
> MAIL FROM:<old@example.com>
< 250
> RCPT TO:<old@example.net>
< 250
> RSET
< 250 2.0.0
> MAIL FROM:<new@example.com>
< 250
> RCPT TO:<new@example.net>
< 250
> DATA
< 354
> Subject: rset
>
> body
> .
< 250 2.0.0 Ok: queued as
> QUIT
< 221
S
f=$(ls -t "$T/outbox/new"/* 2>/dev/null | head -n 1)
is "one message more" $((before + 1)) "$(outbox)"
if grep -q "old@example.net" "$f" 2>/dev/null; then of_result 1 "the message carries only its own recipient"
else of_result 0 "the message carries only its own recipient"; fi
qid=$(grep -E "^250 2.0.0 Ok: queued as" "$OUT" | awk '{print $NF}')
if [ -n "$qid" ] && grep -q "$qid" "$T/daemon.log" && echo "$f" | grep -q "$qid"
then of_result 0 "the queue ID is the log's and the file's"
else of_result 1 "the queue ID is the log's and the file's" "qid=$qid file=$f"; fi

before=$(outbox)
chat "a whole transaction in one write (cases 9, 12a)" $R <<'S'
< 220
> EHLO c.example
< 250
>> MAIL FROM:<a@example.com>\r\nRCPT TO:<x@example.net>\r\nRCPT TO:<y@example.net>\r\nDATA\r\nSubject: pipelined\r\n\r\nRSET\r\nMAIL FROM:<evil@example.com>\r\n.\r\nNOOP\r\nQUIT\r\n
< 250 2.1.0
< 250 2.1.5
< 250 2.1.5
< 354
< 250 2.0.0 Ok: queued as
< 250 2.0.0
< 221
S
is "exactly one message relayed" $((before + 1)) "$(outbox)"
f=$(ls -t "$T/outbox/new"/* 2>/dev/null | head -n 1)
if grep -q "^MAIL FROM:<evil@example.com>" "$f"; then of_result 0 "the body stayed a body"
else of_result 1 "the body stayed a body"; fi

before=$(outbox)
chat "DATA refused with a body already sent: 421, body never read as commands" $R <<'S'
< 220
> EHLO c.example
< 250
>> MAIL FROM:<a@example.com>\r\nDATA\r\nMAIL FROM:<evil@example.com>\r\n.\r\n
< 250 2.1.0
< 503 5.5.1
< 421 4.5.0
<close
S

chat "client leaves mid-DATA (case 10)" $R <<'S'
< 220
> EHLO c.example
< 250
> MAIL FROM:<cut@example.com>
< 250
> RCPT TO:<x@example.net>
< 250
> DATA
< 354
> Subject: cut
S
sleep 0.5
is "nothing relayed after a cut" "$before" "$(outbox)"
if grep -q "from=<cut@example.com>.*status=disconnected" "$T/daemon.log"
then of_result 0 "logged as disconnected"; else of_result 1 "logged as disconnected"; fi

chat "VRFY, EXPN refused; HELP, NOOP answered" $R <<'S'
< 220
> VRFY root
< 502 5.5.1
> EXPN staff
< 502 5.5.1
> HELP
< 214 2.0.0
> NOOP
< 250 2.0.0
> QUIT
< 221 2.0.0
S

chat "unknown commands: 421 after max_unknown_commands (case 12d)" $R <<'S'
< 220
> XYZZY
< 500 5.5.2
> XYZZY
< 500 5.5.2
> XYZZY
< 500 5.5.2
> XYZZY
< 500 5.5.2
> XYZZY
< 500 5.5.2
> XYZZY
< 500 5.5.2
< 421 4.7.0
<close
S

chat "idle client: 421 4.4.2 and closed (case 11)" $R <<'S'
< 220
sleep 6
< 421 4.4.2
<close
S

chat "an address without IP user: 550 5.7.1 at MAIL" $R --source 127.0.0.2 <<'S'
< 220
> EHLO other.example
< 250
> MAIL FROM:<a@example.com>
< 550 5.7.1
> QUIT
< 221
S

/usr/bin/python3 - "$R" >"$OUT" 2>"$ERR" <<'PY'
import socket, sys
port = int(sys.argv[1])
held = []
for i in range(4):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert s.recv(512).startswith(b"220"), "connection %d not greeted" % i
    held.append(s)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
r = s.recv(512)
print(r)
sys.exit(0 if r.startswith(b"421 4.7.0") else 1)
PY
of_result $? "per-IP cap: the 5th connection gets 421 4.7.0 (case 12)"

chat "still serving after all that" $R <<'S'
< 220
> QUIT
< 221
S
of_done
