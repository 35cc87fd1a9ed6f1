#!/usr/bin/env bash
# Message files as control arguments (T_FILE): outfilterctl reads any
# bytes, up to 25 MiB, and sends them in base64; the daemon's codec
# decodes them before spam check and spam learn see them.  A Latin-1
# message and one of 1 MiB (past the text limit and the frame limit)
# go through; a wrong one is refused naming the field.
. "$OF_SRCDIR/tests/integration/lib.sh"
of_start "[spam]" "engine = builtin"

now=$(date -R)
# A message in ISO-8859-1: 8-bit bytes that are not UTF-8.
printf 'From: Ren\xe9 <rene@example.com>\r\nTo: b@example.org\r\nSubject: caf\xe9\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBonjour, un caf\xe9 cr\xe8me \xe0 la gare?\r\n' \
    "$now" >"$T/latin1.eml"
ok "spam check of a Latin-1 message" ctl --json spam check "$T/latin1.eml"
has "with a verdict" '"spam": (true|false)'
ok "the same from standard input" ctl --json spam check - <"$T/latin1.eml"
has "with a verdict" '"spam": (true|false)'

# 1 MiB: more than a text argument (64 KiB), and in base64 more than the
# default [control] max_frame (1 MiB).
{
	printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: big\r\nDate: %s\r\n\r\n' "$now"
	/usr/bin/python3 -c 'import sys
line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit \xe9\xe8\r\n"
sys.stdout.buffer.write(line * (1048576 // len(line) + 1))'
} >"$T/big.eml"
is "the message is over 1 MiB" 1 "$(($(stat -c %s "$T/big.eml") > 1048576))"
ok "spam check of a 1 MiB message" ctl --json spam check "$T/big.eml"
has "with a verdict" '"spam": (true|false)'
ok "spam learn of a Latin-1 message" ctl --json spam learn ham "$T/latin1.eml"
has "learnt" '"learnt": true'

# A NUL byte is a byte like any other.
printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: nul\r\n\r\nbefore\0after\r\n' >"$T/nul.eml"
ok "a message holding a NUL byte" ctl --json spam check "$T/nul.eml"

# Limits and refusals.
truncate -s $((25 * 1024 * 1024 + 1)) "$T/huge.eml"
fails 65 "a file over 25 MiB is refused by outfilterctl" 'larger than 26214400 bytes' \
	ctl spam check "$T/huge.eml"
: >"$T/empty.eml"
fails 65 "an empty message is refused by the daemon" 'must not be empty' \
	ctl spam check "$T/empty.eml"
fails 66 "a missing file" 'cannot read' ctl spam check "$T/missing.eml"

# The wire: base64 in, and anything else refused with the field named.
/usr/bin/python3 - "$T/run/control" >"$OUT" 2>"$ERR" <<'PY'
import base64, json, sys, zmq
ctx = zmq.Context()
def ask(body):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 20000)
    s.plain_username, s.plain_password = b"-", b"-"
    s.connect("ipc://" + sys.argv[1])
    s.send(body)
    r = json.loads(s.recv())
    s.close()
    return r
msg = b"Subject: x\r\n\r\n\xff\xfe body\r\n"
def req(value):
    return json.dumps({"v": 1, "cmd": "spam.check", "args": {"message": value}}).encode()
r = ask(req(base64.b64encode(msg).decode()))
print("base64", r["ok"])
r = ask(req("not base64!"))
print("garbage", r["ok"], r["error"]["code"], r["error"]["field"], r["error"]["message"])
r = ask(req(base64.b64encode(msg).decode()[:-2]))
print("cut", r["ok"], r["error"]["code"])
r = ask(req(42))
print("number", r["ok"], r["error"]["code"], r["error"]["message"])
# A large request to a command without a file is still too large.
r = ask(json.dumps({"v": 1, "cmd": "status", "args": {"x": "a" * (2 << 20)}}).encode())
print("status", r["ok"], r["error"]["code"])
# One quantum of base64 more than 25 MiB of message.
r = ask(req("QUFB" * ((25 << 20) // 3 + 2)))
print("huge", r["ok"], r["error"]["code"], r["error"]["message"])
PY
of_result $? "raw requests answered" "$(cat "$ERR")"
has "a base64 message is judged" '^base64 True$'
has "garbage is refused naming the field" '^garbage False invalid message .*not base64'
has "a cut base64 text is refused" '^cut False invalid$'
has "a number is refused" '^number False invalid .*base64'
has "a large request of another command is too_large" '^status False too_large$'
has "a file over 25 MiB in base64 is refused" '^huge False invalid .*larger than 26214400'
ok "the daemon still answers" ctl status
of_done
