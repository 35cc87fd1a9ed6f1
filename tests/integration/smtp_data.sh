#!/bin/sh
# DATA through the real daemon to the maildir next hop (TESTING.md cases
# 20-24c): the SMTP-smuggling variants, dot-stuffing, sizes, loops, two
# From: headers, 8-bit and long lines.  Each message is checked in the
# outbox as the next hop got it.
. "$OF_SRCDIR/tests/integration/lib.sh"

newest() { ls -t "$T/outbox/new"/* 2>/dev/null | head -n 1; }
# no_bare FILE: the maildir next hop stores lines with LF (each CRLF it
# got becomes LF), so a bare CR that slipped through would still be a CR.
no_bare() {
	/usr/bin/python3 -c 'import sys; sys.exit(1 if b"\r" in open(sys.argv[1],"rb").read() else 0)' "$1"
}
# send WHAT EXPECT BODY: one transaction whose DATA part is BODY (escapes)
send() {
	local what=$1 want=$2 body=$3
	chat "$what" $RELAY_PORT <<X
< 220
> EHLO c.example
< 250
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<x@example.net>
< 250
> DATA
< 354
>> $body
< $want
> NOOP
< 250
> QUIT
< 221
X
}

of_start "[smtp]" "max_message_size = 20000" "max_unknown_commands = 50"
ctl domain add example.com >/dev/null
ctl domain enable example.com >/dev/null
ok "an IP user for 127.0.0.1" ctl user add ip local --domain example.com --ip 127.0.0.1

n=$(outbox)
send "dot-stuffing: ..x arrives as .x (case 21)" "250 2.0.0" \
    'Subject: dots\r\n\r\n..x\r\n...\r\n.\r\n'
f=$(newest)
if grep -q '^\.x' "$f" && ! grep -q '^\.\.x' "$f" && grep -q '^\.\.' "$f"
then of_result 0 "the next hop got the unstuffed lines"
else of_result 1 "the next hop got the unstuffed lines"; fi

for v in 'LF.LF:\n.\n' 'CRLF.LF:\r\n.\n' 'LF.CRLF:\n.\r\n' 'CR.CRLF:\r.\r\n' 'CRLF.CR:\r\n.\rX\r\n'; do
	name=${v%%:*} seq=${v#*:}
	n=$(outbox)
	chat "smuggling with $name: one message, never two (case 20)" $RELAY_PORT <<X
< 220
> EHLO c.example
< 250
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<x@example.net>
< 250
> DATA
< 354
>> Subject: smuggle\r\n\r\nbody${seq}MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\n.\r\n
< 
> QUIT
< 221
X
	got=$(outbox)
	[ "$got" -le $((n + 1)) ]; of_result $? "$name: at most one message at the next hop"
	if [ "$got" -gt "$n" ]; then
		no_bare "$(newest)"; of_result $? "$name: no bare CR or LF at the next hop"
	fi
done

n=$(outbox)
send "bare CR in DATA: 550 5.5.2" "550 5.5.2" 'Subject: cr\r\n\r\na\rb\r\n.\r\n'
is "nothing relayed" "$n" "$(outbox)"

n=$(outbox)
send "bare LF under normalize: relayed" "250 2.0.0" 'Subject: lf\n\na\nb\r\n.\r\n'
f=$(newest)
no_bare "$f" && grep -q "^a$" "$f" && grep -q "^b$" "$f"
of_result $? "normalized: a bare LF ends the line at the next hop"

n=$(outbox)
body=$(/usr/bin/python3 -c 'print("Subject: big\\r\\n\\r\\n" + ("x" * 998 + "\\r\\n") * 30 + ".\\r\\n", end="")')
send "message over max_message_size: 552 5.3.4 (case 22)" "552 5.3.4" "$body"
is "nothing relayed" "$n" "$(outbox)"

body=$(/usr/bin/python3 -c 'print("Received: from x by y; Thu, 1 Jan 2026 00:00:00 +0000\\r\\n" * 101 + "Subject: loop\\r\\n\\r\\nx\\r\\n.\\r\\n", end="")')
send "101 Received: headers: 554 5.4.0 (case 12e)" "554 5.4.0" "$body"

send "two From: headers: 550 5.7.1 (case 24c)" "550 5.7.1" \
    'From: a@example.com\r\nFrom: boss@example.com\r\nSubject: two\r\n\r\nx\r\n.\r\n'

send "8-bit body without BODY=8BITMIME: relayed (case 24)" "250 2.0.0" \
    'Subject: 8bit\r\n\r\ncaf\xe9 \xc3\xa9t\xc3\xa9\r\n.\r\n'
if grep -q "$(printf 'caf\351 \303\251t\303\251')" "$(newest)"
then of_result 0 "8-bit bytes arrive unchanged"; else of_result 1 "8-bit bytes arrive unchanged"; fi

body=$(/usr/bin/python3 -c 'print("Subject: long\\r\\n\\r\\n" + "y" * 5000 + "\\r\\n.\\r\\n", end="")')
send "a 5 000-byte body line: relayed whole (case 24a)" "250 2.0.0" "$body"
if grep -q "^y\{5000\}$" "$(newest)"; then of_result 0 "the long line arrives whole"
else of_result 1 "the long line arrives whole"; fi

h=$(grep -c "^Received: from c.example (unknown \[127.0.0.1\])" "$(newest)")
is "one Received: header of ours" 1 "$h"

sed -i 's/^max_message_size = 20000$/max_message_size = 20000\nbare_newline = reject/' "$T/outfilterd.conf"
kill -HUP "$of_pid"; sleep 0.5
n=$(outbox)
send "bare LF under reject (SIGHUP): 550 5.5.2 after the real end (case 20)" "550 5.5.2" \
    'Subject: lf\r\n\r\na\nb\r\n.\r\n'
is "nothing relayed" "$n" "$(outbox)"
send "bare LF only in the header block: refused too (case 24b)" "550 5.5.2" \
    'Subject: lf\nX-A: b\r\n\r\nbody\r\n.\r\n'

if swaks --server 127.0.0.1:$RELAY_PORT --from a@example.com --to x@example.net \
    --pipeline --timeout 20 >"$OUT" 2>"$ERR"; then of_result 0 "swaks with PIPELINING"
else of_result 1 "swaks with PIPELINING"; fi
of_done
