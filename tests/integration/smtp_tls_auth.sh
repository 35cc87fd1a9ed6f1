#!/bin/sh
# STARTTLS and SMTP AUTH on the submission listeners (TESTING.md cases
# 13-19c), with an SMTP AUTH user and the real policy behind it.
. "$OF_SRCDIR/tests/integration/lib.sh"

b64() { printf "$1" | base64 -w0; }

SUBS_PORT=$(free_port)
of_start "[smtp]" "submissions_listen = 127.0.0.1:$SUBS_PORT" \
    "auth_fail_limit = 3" "max_unknown_commands = 50"
S=$SUBMISSION_PORT
ctl domain add example.com >/dev/null
ctl domain enable example.com >/dev/null
ok "an SMTP AUTH user" ctl user add smtp joe@example.com --domain example.com \
    --password-file "$(secret 'right-password-1')"
GOOD=$(b64 '\0joe@example.com\0right-password-1')
BAD=$(b64 '\0joe@example.com\0wrong-password-1')

if [ -f "$T/lib/tls/key.pem" ] && [ "$(stat -c %a "$T/lib/tls/key.pem")" = 600 ]
then of_result 0 "a self-signed key made with mode 0600"
else of_result 1 "a self-signed key made with mode 0600"; fi

chat "no TLS: MAIL needs AUTH (530), AUTH needs TLS (538 5.7.11, case 15)" $S <<'X'
< 220
> EHLO c.example
< 250
> MAIL FROM:<joe@example.com>
< 530 5.7.0
> AUTH PLAIN
< 538 5.7.11
> QUIT
< 221
X
hasnt "AUTH not offered before TLS" "^250.AUTH"

chat "pipelined after STARTTLS is dropped; EHLO forgotten (cases 13, 19a)" $S <<'X'
< 220
> EHLO c.example
< 250
>> STARTTLS\r\nNOOP\r\n
< 220 2.0.0
starttls
> MAIL FROM:<joe@example.com>
< 503 5.5.1
> EHLO c.example
< 250-
> STARTTLS
< 503 5.5.1
> QUIT
< 221
X
has "AUTH offered under TLS" "^250.AUTH PLAIN LOGIN"

cat >"$T/auth.chat" <<X
< 220
> EHLO c.example
< 250
> STARTTLS
< 220
starttls
> EHLO c.example
< 250
> AUTH PLAIN !!!notbase64
< 501 5.5.2
> AUTH PLAIN $(b64 'joe@example.com right-password-1')
< 501 5.5.2
> AUTH PLAIN $(b64 '\0joe@example.com\0')
< 535 5.7.8
> AUTH PLAIN
< 334
> *
< 501 5.7.0
> AUTH CRAM-MD5
< 504 5.5.4
> AUTH LOGIN $(b64 'joe\r\nX-Injected: 1')
< 501 5.5.2
> AUTH LOGIN
< 334 VXNlcm5hbWU6
> $(b64 'joe@example.com')
< 334 UGFzc3dvcmQ6
> $(b64 'wrong-password-1')
< 535
> AUTH PLAIN $GOOD
< 235 2.7.0
> AUTH PLAIN $GOOD
< 503 5.5.1
> STARTTLS
< 503 5.5.1
> MAIL FROM:<joe@example.com>
< 250 2.1.0
> RCPT TO:<x@example.net>
< 250 2.1.5
> DATA
< 354
> Subject: authed
>
> hello
> .
< 250 2.0.0 Ok: queued as
> QUIT
< 221
X
chat "AUTH failures then success, clean state each time (cases 16, 17, 19b, 19c)" $S <"$T/auth.chat"
if grep -q "X-Injected" "$T/daemon.log"; then of_result 1 "a CR/LF in a SASL name reaches no log line"
else of_result 0 "a CR/LF in a SASL name reaches no log line"; fi
f=$(ls -t "$T/outbox/new"/* 2>/dev/null | head -n 1)
if [ -n "$f" ] && grep -q "(Authenticated sender: joe@example.com)" "$f" &&
    grep -q "(using TLSv1" "$f" && grep -q "with ESMTPSA id" "$f"
then of_result 0 "Received: carries TLS and AUTH details"
else of_result 1 "Received: carries TLS and AUTH details"; fi

/usr/bin/python3 - "$S" >"$OUT" 2>"$ERR" <<'PY'
import socket, ssl, sys, base64
# a 20 KB AUTH token: refused as a too-long line, no crash
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
f.readline(); s.sendall(b"EHLO c.example\r\n")
while f.readline()[3:4] == b"-": pass
s.sendall(b"STARTTLS\r\n"); f.readline()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s); f = t.makefile("rb")
t.sendall(b"EHLO c.example\r\n")
while f.readline()[3:4] == b"-": pass
t.sendall(b"AUTH PLAIN " + b"QUFB" * 5000 + b"\r\n")
r = f.readline(); print(r)
sys.exit(0 if r.startswith(b"500 5.5.2") else 1)
PY
of_result $? "a 20 KB AUTH token: 500 5.5.2 (case 16)"

ok "submission through swaks (STARTTLS, AUTH PLAIN)" swaks --server 127.0.0.1:$S \
    --tls --auth PLAIN --auth-user joe@example.com --auth-password right-password-1 \
    --from joe@example.com --to x@example.net --timeout 20
ok "submissions (implicit TLS, AUTH LOGIN)" swaks --server 127.0.0.1:$SUBS_PORT \
    --tlsc --auth LOGIN --auth-user joe@example.com --auth-password right-password-1 \
    --from joe@example.com --to x@example.net --timeout 20

# Case 18: guessing is throttled per address; other addresses unaffected.
cat >"$T/guess.chat" <<X
< 220
> EHLO c.example
< 250
> STARTTLS
< 220
starttls
> EHLO c.example
< 250
> AUTH PLAIN $BAD
< 535
> AUTH PLAIN $BAD
< 535
> AUTH PLAIN $BAD
< 535
> AUTH PLAIN $GOOD
< 4
X
chat "wrong passwords from one address get throttled (case 18)" $S --source 127.0.0.3 <"$T/guess.chat"
has "throttled with 454 4.7.0 or 421" "^(454 4\.7\.0|421)"
cat >"$T/other.chat" <<X
< 220
> EHLO c.example
< 250
> STARTTLS
< 220
starttls
> EHLO c.example
< 250
> AUTH PLAIN $GOOD
< 235
> QUIT
< 221
X
chat "the right password from another address still works" $S --source 127.0.0.4 <"$T/other.chat"
of_done
