#!/usr/bin/env bash
# Hostile STARTTLS and AUTH (TESTING.md cases 13-19c) through the real
# daemon: injection after STARTTLS, broken SASL exchanges, password
# guessing and its throttle, the timing of wrong names against wrong
# passwords (argon2id at its real cost), control bytes in names.  After
# each case a normal client is served.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/hostile.bash"

hostile_start "[smtp]" "auth_fail_limit = 10" "auth_fail_window = 600" \
    "max_unknown_commands = 20" "auth_without_tls = no"
ctl domain add example.com >/dev/null
ctl domain enable example.com >/dev/null
ok "an IP user for 127.0.0.1" ctl user add ip local --domain example.com --ip 127.0.0.1
ok "an SMTP AUTH user" ctl user add smtp joe@example.com --domain example.com \
    --password-file "$(secret 'right-password-1')"

# --- 13, 14, 15: STARTTLS ----------------------------------------------------
hpy <<'PY'
import base64, os, time
S = int(os.environ["SUBMISSION_PORT"])
R = int(os.environ["RELAY_PORT"])
GOOD = base64.b64encode(b"\0joe@example.com\0right-password-1").decode()

c = h.Client(S)
c.hello()
c.send("STARTTLS\r\nEHLO evil.example\r\nAUTH PLAIN %s\r\n"
       "MAIL FROM:<joe@example.com>\r\nRCPT TO:<inj13@example.net>\r\n" % GOOD)
r = c.reply()
h.check(r.startswith("220 2.0.0"), "13: STARTTLS with commands behind it: 220", r)
c.starttls()
r = c.cmd("MAIL FROM:<joe@example.com>")
h.check(r.startswith("503 5.5.1"), "13: inside TLS nothing of them ran: no EHLO (MAIL: 503 5.5.1)", r)
r = c.cmd("EHLO c.example")
h.check(r.startswith("250") and "AUTH PLAIN LOGIN" in r, "13: ... and no AUTH (EHLO offers AUTH again)", r)
r = c.cmd("MAIL FROM:<joe@example.com>")
h.check(r.startswith("530 5.7.0"), "13: ... MAIL still needs AUTH: 530 5.7.0", r)
c.close()
h.check(h.wait_log("bytes sent after STARTTLS dropped"), "13: the log says the bytes were dropped")

# Plain text sent after the 220 but before the handshake: no command.
c = h.Client(S)
c.hello()
r = c.cmd("STARTTLS")
c.send("NOOP\r\nQUIT\r\n")
h.check(c.closed(5), "13: plain text instead of a TLS handshake: the connection is dropped")

# The relay listener: an IP user's transaction pipelined behind STARTTLS.
c = h.Client(R)
c.hello()
c.send("STARTTLS\r\nMAIL FROM:<inj13@example.com>\r\nRCPT TO:<inj13@example.net>\r\n"
       "DATA\r\nSubject: injected\r\n\r\nx\r\n.\r\n")
r = c.reply()
c.starttls()
r = c.cmd("EHLO c.example")
r = c.cmd("RCPT TO:<x@example.net>")
h.check(r.startswith("503 5.5.1"), "13: relay listener: no transaction came through (RCPT: 503 5.5.1)", r)
c.cmd("QUIT")
h.check("inj13" not in h.sink_log(), "13: nothing of it reached the next hop")

c = h.Client(S)
c.hello()
c.cmd("STARTTLS")
c.starttls()
c.cmd("EHLO c.example")
r = c.cmd("STARTTLS")
h.check(r.startswith("503 5.5.1"), "14: STARTTLS twice: 503 5.5.1", r)
r = c.cmd("AUTH PLAIN " + GOOD)
r = c.cmd("STARTTLS")
h.check(r.startswith("503 5.5.1"), "14: STARTTLS after AUTH: 503 5.5.1", r)
c.cmd("QUIT")

c = h.Client(S)
c.hello()
for mech in ("PLAIN " + GOOD, "LOGIN", "PLAIN"):
    r = c.cmd("AUTH " + mech)
    h.check(r.startswith("538 5.7.11"), "15: AUTH %s without TLS: 538 5.7.11" % mech.split()[0], r)
c.cmd("QUIT")
h.check("authenticated as joe@example.com" in h.log_text() and
        h.log_text().count("authenticated as joe@example.com") == 1,
        "15: no password was checked without TLS (one AUTH succeeded: case 14's)")
h.check_served()
PY

# --- 16, 17, 19b, 19c: broken SASL exchanges ----------------------------------
hpy <<'PY'
import base64, os
S = int(os.environ["SUBMISSION_PORT"])
b64 = lambda b: base64.b64encode(b).decode()
def tls(src=None):
    c = h.Client(S, source=src)
    c.hello()
    c.cmd("STARTTLS")
    c.starttls()
    c.cmd("EHLO c.example")
    return c
steps = [
    (["AUTH PLAIN", "!!!!"], "501", "an invalid base64 response"),
    (["AUTH PLAIN", "*"], "501 5.7.0", "* cancels"),
    (["AUTH PLAIN " + b64(b"joe@example.com right-password-1")], "501 5.5.2", "PLAIN without NULs"),
    (["AUTH PLAIN " + b64(b"joe@example.com\0right-password-1")], "501 5.5.2", "PLAIN with one NUL"),
    (["AUTH PLAIN " + b64(b"\0joe@example.com\0")], "535 5.7.8", "an empty password"),
    (["AUTH PLAIN " + b64(b"\0joe@example.com\0right-password-1\0x")], "501 5.5.2",
     "a NUL inside the password"),
    (["AUTH PLAIN " + b64(b"other@example.com\0joe@example.com\0right-password-1")], "501 5.5.2",
     "another authorization id"),
    (["AUTH PLAIN ="], "501", "an empty initial response"),
    (["AUTH LOGIN", "=", ], "501", "LOGIN with an empty name"),
    (["AUTH LOGIN", "%%%"], "501", "LOGIN with a name not in base64"),
    (["AUTH LOGIN", b64(b"joe@example.com"), b64(b"right-password-1\0x")], "501",
     "LOGIN with a NUL inside the password"),
    (["AUTH LOGIN", b64(b"joe@example.com"), "*"], "501 5.7.0", "LOGIN cancelled at the password"),
    (["AUTH XOAUTH2 dG9rZW4="], "504 5.5.4", "an unknown mechanism"),
    (["AUTH"], "501 5.5.4", "AUTH without a mechanism"),
    (["AUTH PLAIN " + b64(b"\0joe\r\nX-Injected: 1\0pw")], "501 5.5.2", "19c: CR LF in a PLAIN name"),
    (["AUTH LOGIN", b64(b"joe\x1b[31m@example.com")], "501", "19c: an escape byte in a LOGIN name"),
    (["AUTH LOGIN", b64(b"joe\x7f@example.com")], "501", "19c: DEL in a LOGIN name"),
]
c = None
for i, (lines, want, what) in enumerate(steps):
    if i % 6 == 0:
        if c:
            c.close()
        c = tls("127.0.0.16")
    for l in lines:
        r = c.cmd(l)
    h.check(r.startswith(want), "%s%s: %s" % ("" if what.startswith("19c") else "16: ",
            what, want), lines, r)
    r = c.cmd("NOOP")
    h.check(r.startswith("250"), "16: ... the exchange is over (NOOP: 250)", r)
c.close()

# A 20 KB response line inside the exchange: the line is refused and the
# exchange ends; the next line is a command again.
c = tls("127.0.0.16")
r = c.cmd("AUTH PLAIN")
r = c.cmd("QUFB" * 5000)
h.check(r.startswith("500 5.5.2"), "16: a 20 KB AUTH response: 500 5.5.2", r)
r = c.cmd("NOOP")
h.check(r.startswith("250"), "16: ... the exchange is over (NOOP: 250)", r)
# 19b: a failed LOGIN, then PLAIN: clean state each time; 17: AUTH twice.
r = c.cmd("AUTH LOGIN")
r = c.cmd(b64(b"joe@example.com"))
r = c.cmd(b64(b"wrong-password-1"))
h.check(r.startswith("535 5.7.8"), "19b: a wrong LOGIN password: 535 5.7.8", r)
r = c.cmd("MAIL FROM:<joe@example.com>")
h.check(r.startswith("530 5.7.0"), "19b: ... not logged in (MAIL: 530 5.7.0)", r)
r = c.cmd("AUTH PLAIN " + b64(b"\0joe@example.com\0right-password-1"))
h.check(r.startswith("235 2.7.0"), "19b: then AUTH PLAIN with the right password: 235 2.7.0", r)
r = c.cmd("AUTH PLAIN " + b64(b"\0joe@example.com\0right-password-1"))
h.check(r.startswith("503 5.5.1"), "17: AUTH twice: 503 5.5.1", r)
rs = h.transaction(c, "joe@example.com", ["sasl19@example.net"], h.message("sasl"))
h.check(rs[-1].startswith("250 2.0.0"), "19b: and the message goes", rs)
c.cmd("QUIT")
ms = h.sink_wait(lambda ms: any(m["rcpts"] == ["sasl19@example.net"] for m in ms))
m = [m for m in ms if m["rcpts"] == ["sasl19@example.net"]]
h.check(m and b"(Authenticated sender: joe@example.com)" in m[0]["eml"],
        "19c: the Received: header names the authenticated user")
log = h.log_text()
h.check("X-Injected" not in log and "\x1b" not in log and "\x7f" not in log,
        "19c: no control byte of a name reached the log")
h.check(not any(b"X-Injected" in x["eml"] for x in h.sink_messages()),
        "19c: nor a header at the next hop")
h.check_served(auth=("joe@example.com", "right-password-1"), what="a normal AUTH client is still served")
PY

# --- 19a: STARTTLS forgets an earlier AUTH state --------------------------
reconf auth_without_tls yes
hpy <<'PY'
import base64, os
S = int(os.environ["SUBMISSION_PORT"])
b64 = lambda b: base64.b64encode(b).decode()
c = h.Client(S, source="127.0.0.19")
c.hello()
r = c.cmd("AUTH LOGIN")
r = c.cmd(b64(b"joe@example.com"))
h.check(r.startswith("334"), "19a: (auth_without_tls) AUTH LOGIN begun before TLS", r)
r = c.cmd("*")
r = c.cmd("AUTH PLAIN " + b64(b"\0joe@example.com\0wrong-password-1"))
h.check(r.startswith("535"), "19a: a failed AUTH before TLS", r)
r = c.cmd("STARTTLS")
h.check(r.startswith("220"), "19a: then STARTTLS: 220", r)
c.starttls()
r = c.cmd("MAIL FROM:<joe@example.com>")
h.check(r.startswith("503 5.5.1"), "19a: EHLO is forgotten (MAIL: 503 5.5.1)", r)
r = c.cmd("EHLO c.example")
r = c.cmd("MAIL FROM:<joe@example.com>")
h.check(r.startswith("530 5.7.0"), "19a: no AUTH state came through (MAIL: 530 5.7.0)", r)
r = c.cmd("AUTH PLAIN " + b64(b"\0joe@example.com\0right-password-1"))
h.check(r.startswith("235"), "19a: AUTH inside TLS starts clean: 235", r)
c.cmd("QUIT")
PY
reconf auth_without_tls no

# --- 18: 500 wrong passwords from one address ----------------------------
hpy <<'PY'
import base64, collections, os, time
S = int(os.environ["SUBMISSION_PORT"])
BAD = base64.b64encode(b"\0joe@example.com\0wrong-password-1").decode()
GOOD = base64.b64encode(b"\0joe@example.com\0right-password-1").decode()
t0 = time.time()
seen = []
n = 0
while n < 500:
    c = h.Client(S, source="127.0.0.18")
    c.hello()
    c.cmd("STARTTLS")
    c.starttls()
    c.cmd("EHLO c.example")
    for _ in range(10):
        r = c.cmd("AUTH PLAIN " + BAD)
        seen.append(r[:9])
        n += 1
        if r == "EOF":
            break
    c.close()
dt = time.time() - t0
count = collections.Counter(seen)
h.check(seen[:10] == ["535 5.7.8"] * 10, "18: the first ten wrong passwords: 535 5.7.8", seen[:12])
h.check(count["454 4.7.0"] == 490, "18: the 490 others: 454 4.7.0, without checking them", dict(count))
h.check(dt < 60, "18: 500 tries took %.1f s" % dt)
c = h.Client(S, source="127.0.0.18")
c.hello(); c.cmd("STARTTLS"); c.starttls(); c.cmd("EHLO c.example")
r = c.cmd("AUTH PLAIN " + GOOD)
h.check(r.startswith("454 4.7.0") and "127.0.0.18" in r,
        "18: even the right password from that address: 454 4.7.0 naming it", r)
c.close()
h.check(h.wait_log("too many authentication failures from 127.0.0.18"), "18: the throttle is logged")
ok, why = h.served(S, source="127.0.0.4", auth=("joe@example.com", "right-password-1"))
h.check(ok, "18: the right password from another address still works", why)
PY

# --- 19: a wrong name takes as long as a wrong password -----------------------
hpy <<'PY'
import base64, os, statistics, time
S = int(os.environ["SUBMISSION_PORT"])
times = {"name": [], "password": []}
tries = {"name": base64.b64encode(b"\0nobody@example.com\0wrong-password-1").decode(),
         "password": base64.b64encode(b"\0joe@example.com\0wrong-password-1").decode()}
for i in range(20):
    # Two failures an address: far from the throttle.
    c = h.Client(S, source="127.0.19.%d" % (i + 1))
    c.hello(); c.cmd("STARTTLS"); c.starttls(); c.cmd("EHLO c.example")
    for kind in (("name", "password") if i % 2 else ("password", "name")):
        t0 = time.perf_counter()
        r = c.cmd("AUTH PLAIN " + tries[kind])
        times[kind].append(time.perf_counter() - t0)
        if not r.startswith("535 5.7.8"):
            h.check(False, "19: a wrong %s: 535 5.7.8" % kind, r)
    c.close()
mn, mp = statistics.median(times["name"]), statistics.median(times["password"])
h.check(0.5 <= mn / mp <= 2, "19: median of 20 wrong names %.0f ms, of 20 wrong passwords %.0f ms"
        % (mn * 1000, mp * 1000))
h.check(mp > 0.005, "19: a wrong password costs an argon2id check (%.0f ms)" % (mp * 1000))
h.check_served()
PY

of_done
