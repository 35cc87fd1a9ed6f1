#!/usr/bin/env bash
# The control protocol from an independent client (pyzmq): malformed,
# invalid, oversized and unknown requests get {"ok":false} naming the
# problem, and the daemon goes on serving.
. "$OF_SRCDIR/tests/integration/lib.sh"
of_start

cat >"$T/raw.py" <<'PY'
import json, sys, zmq
ep = sys.argv[1]
ctx = zmq.Context()

def client(user=b"-", password=b"-"):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    s.setsockopt(zmq.PLAIN_USERNAME, user)
    s.setsockopt(zmq.PLAIN_PASSWORD, password)
    s.connect(ep)
    return s

def ask(frames):
    s = client()
    s.send_multipart(frames)
    try:
        r = json.loads(s.recv())
    finally:
        s.close()
    return r

def case(name, frames, code, needle=None):
    r = ask(frames)
    err = r.get("error") or {}
    good = r.get("ok") is False and err.get("code") == code
    if needle is not None:
        good = good and needle in (err.get("message", "") + err.get("field", ""))
    print(("ok - " if good else "not ok - ") + name)
    if not good:
        print("#   got: " + json.dumps(r))

case("not JSON", [b"not json"], "malformed")
case("invalid UTF-8", [b'{"v":1,"cmd":"domain.show","args":{"domain":"\xff\xfe"}}'], "malformed")
case("an array, not an object", [b'[1,2,3]'], "malformed")
case("no version", [b'{"cmd":"status"}'], "version", "incompatible")
case("another version", [b'{"v":99,"cmd":"status"}'], "version", "99")
case("unknown command", [b'{"v":1,"cmd":"no.such"}'], "unknown_command", "no.such")
case("missing argument", [b'{"v":1,"cmd":"domain.add","args":{}}'], "invalid", "domain")
case("wrong type", [b'{"v":1,"cmd":"domain.add","args":{"domain":5}}'], "invalid", "domain")
case("extra argument", [b'{"v":1,"cmd":"status","args":{"bogus":1}}'], "invalid", "bogus")
case("negative number", [b'{"v":1,"cmd":"user.list","args":{"limit":-1}}'], "invalid", "limit")
case("NUL inside a string", [b'{"v":1,"cmd":"domain.show","args":{"domain":"a\\u0000b"}}'], "invalid", "domain")
case("trailing garbage", [b'{"v":1,"cmd":"status"} x'], "malformed")
case("2 MiB frame", [b'{"v":1,"cmd":"status","args":{"x":"' + b"a" * (2 << 20) + b'"}}'], "too_large")
case("two frames in one message", [b'{"v":1,"cmd":"status"}', b'{"v":1,"cmd":"status"}'], "malformed")

# A flood of garbage on one connection: every frame answered, then a
# real request still works.
s = client()
bad = 0
for i in range(2000):
    s.send(b"\x00garbage" * (i % 7))
    r = json.loads(s.recv())
    bad += r.get("ok") is False
s.close()
print(("ok - " if bad == 2000 else "not ok - ") + "2000 garbage frames each refused (%d)" % bad)
r = ask([b'{"v":1,"cmd":"status"}'])
print(("ok - " if r.get("ok") is True else "not ok - ") + "status answers after the flood")

# A wrong login is refused by the ZAP handler: no reply at all.
s = client(b"admin", b"wrong password")
s.setsockopt(zmq.RCVTIMEO, 1500)
s.send(b'{"v":1,"cmd":"status"}')
try:
    s.recv()
    print("not ok - a wrong password got an answer")
except zmq.Again:
    print("ok - a wrong password gets no answer")
s.close()
PY

rss() { awk '/VmRSS/ {print $2}' "/proc/$of_pid/status"; }
before=$(rss)
/usr/bin/python3 "$T/raw.py" "ipc://$T/run/control" >"$OUT" 2>"$ERR"
rc=$?
cat "$OUT"
n=$(grep -c '^ok ' "$OUT"); of_n=$((of_n + n + $(grep -c '^not ok' "$OUT")))
of_failed=$((of_failed + $(grep -c '^not ok' "$OUT")))
[ "$rc" = 0 ] || of_result 1 "the raw client ran to its end" "exit $rc" "$(tail -n 5 "$ERR")"
after=$(rss)
is "the daemon's memory stays flat (RSS grew less than 20 MiB: $before -> $after KiB)" 1 \
	"$(( after - before < 20480 ? 1 : 0 ))"
ok "outfilterctl still works" ctl status
of_done
