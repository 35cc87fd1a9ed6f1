#!/usr/bin/env bash
# Hostile DATA (TESTING.md cases 12e and 20-24c) through the real daemon,
# checked at the next hop byte for byte (the SMTP sink of hostile.py keeps
# the DATA bytes as they came over the wire): every end-of-data look-alike
# built from bare CR and LF under both bare_newline policies, dot-stuffing
# both ways, sizes, huge header blocks, 8-bit bodies, a DKIM signature over
# a 5 000-byte line verified at the far end, two From: headers.  After each
# case a normal client is served.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/hostile.bash"

hostile_start "[smtp]" "max_message_size = 16000000" "max_unknown_commands = 50" \
    "bare_newline = normalize"
ctl domain add example.com >/dev/null
ctl domain enable example.com >/dev/null
ok "an IP user for 127.0.0.1" ctl user add ip local --domain example.com --ip 127.0.0.1

# A module of shared steps for the Python checks below.
cat >"$T/dataq.py" <<'PY'
import os
import hostile as h
R = int(os.environ["RELAY_PORT"])

def send(data, sender="a@example.com", rcpt="x@example.net", source=None, end=b".\r\n"):
    """One transaction whose DATA part is data (bytes, sent as is) then
    end; the replies after 354 up to QUIT's 221 (or EOF)."""
    c = h.Client(R, source=source)
    c.hello()
    c.cmd("MAIL FROM:<%s>" % sender)
    c.cmd("RCPT TO:<%s>" % rcpt)
    r = c.cmd("DATA")
    if not r.startswith("354"):
        return [r]
    c.send(data + end + b"QUIT\r\n")
    rs = []
    while True:
        r = c.reply(timeout=60)
        rs.append(r)
        if r.startswith("221") or r in ("EOF", "TIMEOUT"):
            break
    c.close()
    return rs

def at_hop(rcpt, timeout=10):
    """The messages the sink got for rcpt."""
    ms = h.sink_wait(lambda ms: any(rcpt in m["rcpts"] for m in ms), timeout)
    return [m for m in ms if rcpt in m["rcpts"]]
PY

# --- 20: end-of-data look-alikes from bare CR and LF -------------------------
smuggle() {
	hpy "$1" <<'PY'
import sys
sys.path.insert(0, __import__("os").environ["T"])
from dataq import *
policy = sys.argv[1]
heads = [b"\r\n", b"\n", b"\r", b""]
tails = [b"\r\n", b"\n", b"\r", b"\r\r\n", b"\n\r\n", b" \r\n", b"\x00\r\n"]
seqs = [a + b"." + t for a in heads for t in tails if (a, t) != (b"\r\n", b"\r\n")]
seqs += [b"\r\n\x00.\r\n", b"\r\n\r.\r\n", b"\r\n.\t\r\n", b"\r\n.\n\n", b"\r\n.\r\x00\n"]
before = h.sink_count()
bad = []
for i, seq in enumerate(seqs):
    tag = "smuggle-%s-%d" % (policy, i)
    data = (b"Subject: " + tag.encode() + b"\r\n\r\nbody" + seq +
            b"MAIL FROM:<evil20@example.com>\r\nRCPT TO:<victim20@example.net>\r\n"
            b"DATA\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n")
    rs = send(data, rcpt=tag + "@example.net")
    bare_cr = b"\r" in seq.replace(b"\r\n", b"")
    bare_lf = b"\n" in seq.replace(b"\r\n", b"")
    want = "550 5.5.2" if bare_cr or (bare_lf and policy == "reject") else "250 2.0.0"
    if len(rs) != 2 or not rs[0].startswith(want) or not rs[1].startswith("221"):
        bad.append((seq, rs))
h.check(not bad, "20 (%s): %d end-of-data look-alikes: one reply each, 250 or 550 5.5.2 as the policy says"
        % (policy, len(seqs)), *bad)
msgs = [m for m in h.sink_messages() if m["rcpts"][0].startswith("smuggle-%s-" % policy)]
log = h.sink_log()
h.check("evil20" not in "".join(l for l in log.splitlines() if l.startswith(("MAIL", "RCPT"))),
        "20 (%s): the smuggled MAIL never reached the next hop as a command" % policy)
h.check(all(m["from"] == "a@example.com" and len(m["rcpts"]) == 1 for m in msgs),
        "20 (%s): every message at the next hop is one of ours" % policy)
h.check(not any(h.bare(m["raw"]) for m in msgs),
        "20 (%s): no bare CR or LF reached the next hop" % policy,
        *[m["raw"][:200] for m in msgs if h.bare(m["raw"])])
h.check(all(b"smuggled body" in m["eml"] for m in msgs),
        "20 (%s): the look-alike stayed inside the message" % policy)
if policy == "normalize":
    lone = [m for m in msgs if b"\r\n..\r\n" in m["raw"]]
    h.check(lone, "21: a lone \".\" after a bare LF went out stuffed (\"..\")")
h.check_served()
PY
}
smuggle normalize
reconf bare_newline reject
smuggle reject
reconf bare_newline normalize

# --- 21, 24b: dot-stuffing, bare LF in the header block ----------------------
hpy <<'PY'
import sys, os
sys.path.insert(0, os.environ["T"])
from dataq import *
body = b"Subject: dots\r\n\r\n..x\r\n...\r\n..\r\n.. y\r\nlast\r\n"
rs = send(body, rcpt="dots21@example.net")
h.check(rs[0].startswith("250 2.0.0"), "21: a stuffed message: 250", rs)
m = at_hop("dots21@example.net")
h.check(m and m[0]["eml"].endswith(b"\r\n.x\r\n..\r\n.\r\n. y\r\nlast\r\n"),
        "21: the next hop's message has .x, .., . and . y", m and m[0]["eml"][-60:])
h.check(m and m[0]["raw"].endswith(b"\r\n..x\r\n...\r\n..\r\n.. y\r\nlast\r\n"),
        "21: on the wire every leading dot was stuffed again", m and m[0]["raw"][-60:])

rs = send(b"Subject: lf in the header\nX-A: b\r\nX-B: c\n\r\nbody\r\n", rcpt="lfhead24b@example.net")
h.check(rs[0].startswith("250 2.0.0"), "24b: a bare LF in the header block under normalize: relayed", rs)
m = at_hop("lfhead24b@example.net")
h.check(m and not h.bare(m[0]["raw"]) and b"\r\nX-A: b\r\nX-B: c\r\n\r\nbody\r\n" in m[0]["raw"],
        "24b: ... with CRLF line ends at the next hop", m and m[0]["raw"][-80:])
h.check_served()
PY
reconf bare_newline reject
hpy <<'PY'
import sys, os
sys.path.insert(0, os.environ["T"])
from dataq import *
rs = send(b"Subject: lf\nX-A: b\r\n\r\nbody\r\n", rcpt="lfhead24b-rej@example.net")
h.check(rs[0].startswith("550 5.5.2"), "24b: a bare LF only in the header block under reject: 550 5.5.2", rs)
h.check(not at_hop("lfhead24b-rej@example.net", 1), "24b: nothing reached the next hop")
h.check_served()
PY
reconf bare_newline normalize

# --- 12e, 22, 23: sizes ----------------------------------------------------------
hpy <<'PY'
import sys, os, time
sys.path.insert(0, os.environ["T"])
from dataq import *
rec = b"Received: from x by y; Thu, 1 Jan 2026 00:00:00 +0000\r\n"
rs = send(rec * 100 + b"Subject: hops\r\n\r\nx\r\n", rcpt="hops100@example.net")
h.check(rs[0].startswith("250 2.0.0"), "12e: 100 Received: headers: relayed", rs)
rs = send(rec * 101 + b"Subject: hops\r\n\r\nx\r\n", rcpt="hops101@example.net")
h.check(rs[0].startswith("554 5.4.0"), "12e: 101 Received: headers: 554 5.4.0 (a loop)", rs)
h.check(not at_hop("hops101@example.net", 1), "12e: nothing of it reached the next hop")

before = h.rss()
t0 = time.time()
rs = send(b"Subject: big\r\n\r\n" + (b"z" * 998 + b"\r\n") * 20000, rcpt="big22@example.net")
dt = time.time() - t0
h.check(rs[0].startswith("552 5.3.4") and rs[1].startswith("221"),
        "22: 20 MB over a 16 MB limit: 552 5.3.4 after reading, then QUIT is answered (%.1f s)" % dt, rs)
grown = h.rss() - before
h.check(grown < 16384, "22: the daemon's memory stayed bounded (%d kB more)" % grown)
h.check(not at_hop("big22@example.net", 1), "22: nothing reached the next hop")
spool = os.path.join(os.environ["T"], "lib", "spool")
h.check(os.listdir(spool) == [], "22: nothing left in the spool", os.listdir(spool))
h.check_served()

def huge(what, msg, rcpt, want=("250", "552")):
    before = h.rss()
    t0 = time.time()
    rs = send(msg, rcpt=rcpt)
    dt = time.time() - t0
    h.check(rs[0][:3] in want and rs[1].startswith("221"),
            "23: %s: %s (%.1f s)" % (what, rs[0][:60], dt), rs)
    if rs[0].startswith("250"):
        m = at_hop(rcpt)
        h.check(m and m[0]["eml"].endswith(msg), "23: %s: relayed byte for byte" % what)
    else:
        h.check(not at_hop(rcpt, 1), "23: %s: nothing reached the next hop" % what)
    grown = h.rss() - before
    # The message itself, a copy or two while it is checked, and slack.
    limit = 16384 + 8 * len(msg) // 1024
    h.check(grown < limit, "23: %s: the daemon's memory stayed bounded (%d kB more, limit %d kB)"
            % (what, grown, limit))
    h.check_served()
huge("a 10 MB header block",
     b"".join(b"X-Filler-%d: %s\r\n" % (i, b"f" * 1085) for i in range(9000)) +
     b"Subject: 10 MB of header\r\n\r\nbody\r\n", "hdr10mb@example.net")
huge("a 1 MB header line", b"Subject: one long line\r\nX-Long: " + b"l" * (1 << 20) +
     b"\r\n\r\nbody\r\n", "hdr1mb@example.net")
huge("a header folded over 100 000 lines", b"Subject: folded\r\nX-Folded: a\r\n" +
     b" b\r\n" * 100000 + b"\r\nbody\r\n", "hdrfold@example.net")
huge("10 000 header fields", b"X-H: v\r\n" * 9999 + b"Subject: many\r\n\r\nbody\r\n",
     "hdr10k@example.net", ("250",))
huge("100 000 header fields", b"X-H: v\r\n" * 100000 + b"Subject: many\r\n\r\nbody\r\n",
     "hdr100k@example.net", ("552",))
h.check("more than 10000 fields" in h.log_text(), "23: the refusal says why")
before = h.rss()
for i in range(5):
    send(b"X-H: v\r\n" * 1000000 + b"Subject: many\r\n\r\nbody\r\n", rcpt="hdr1m@example.net")
grown = h.rss() - before
h.check(grown < 16384, "23: five messages of 1 000 000 header fields: the memory stays flat (%d kB more)" % grown)
# After a line that is no field a MIME parser reads a body: no more fields.
huge("1 000 000 field-like lines after one that is no field",
     b"not a field\r\n" + b"X-H: v\r\n" * 1000000 + b"\r\nbody\r\n", "hdrjunk@example.net")
PY

# --- 24: 8-bit bodies ------------------------------------------------------
hpy <<'PY'
import sys, os
sys.path.insert(0, os.environ["T"])
from dataq import *
eight = bytes(range(0x80, 0x100))
msg = (b"From: a@example.com\r\nSubject: 8-bit\r\n\r\ncaf\xe9 \xc3\xa9t\xc3\xa9\r\n" +
       eight + b"\r\n\xff\xfe raw\r\n")
rs = send(msg, rcpt="eight24@example.net")
h.check(rs[0].startswith("250 2.0.0"), "24: 8-bit body without BODY=8BITMIME: relayed", rs)
m = at_hop("eight24@example.net")
h.check(m and m[0]["eml"].endswith(msg), "24: the next hop got every byte unchanged")
c = h.Client(R)
c.hello()
c.cmd("MAIL FROM:<a@example.com> BODY=8BITMIME")
c.cmd("RCPT TO:<eight24b@example.net>")
c.cmd("DATA")
c.send(msg + b".\r\n")
r = c.reply()
c.close()
m = at_hop("eight24b@example.net")
h.check(r.startswith("250") and m and m[0]["eml"].endswith(msg) and
        "BODY=8BITMIME" in m[0]["commands"][0],
        "24: with BODY=8BITMIME: unchanged, and the next hop is told", r, m and m[0]["commands"])
rs = send(b"Subject: nul\r\n\r\na\x00b\r\n", rcpt="nul24@example.net")
m = at_hop("nul24@example.net", 2)
h.check(rs[0].startswith("5") and not m or rs[0].startswith("250") and m and
        m[0]["eml"].endswith(b"a\x00b\r\n"), "24: a NUL in the body: refused or relayed unchanged", rs)
h.check_served()
PY

# --- 24c: two From: headers --------------------------------------------------
hpy <<'PY'
import sys, os
sys.path.insert(0, os.environ["T"])
from dataq import *
variants = [
    (b"From: a@example.com\r\nFrom: boss@example.com\r\n", "From: twice"),
    (b"From: a@example.com\r\nfrom: boss@example.com\r\n", "From: and from:"),
    (b"FROM: a@example.com\r\nX-Any-Long-Header-Name: 1\r\nFrom : boss@example.com\r\n", "FROM: and From : (obsolete blank)"),
    (b"From: a@example.com\r\nX-A: 1\nFrom: boss@example.com\r\n", "the second behind a bare LF"),
    (b"From: a@example.com,\r\n b@example.com\r\nFrom:boss@example.com\r\n", "after a folded From:"),
]
for i, (hdrs, what) in enumerate(variants):
    rcpt = "twofrom%d@example.net" % i
    rs = send(hdrs + b"Subject: two\r\n\r\nx\r\n", rcpt=rcpt)
    h.check(rs[0].startswith("550 5.7.1"), "24c: %s: 550 5.7.1" % what, rs)
ms = h.sink_messages()
h.check(not any(m["rcpts"][0].startswith("twofrom") for m in ms), "24c: none reached the next hop")
rs = send(b"From: a@example.com\r\nReply-To: boss@example.com\r\nSubject: one\r\n\r\nx\r\n",
          rcpt="onefrom@example.net")
h.check(rs[0].startswith("250"), "24c: one From: (and a Reply-To:): relayed", rs)
h.check_served()
PY

# --- 24a: a 5 000-byte line under a DKIM signature ---------------------------------
ok "24a: a DKIM key" ctl dkim keygen example.com sel24
ok "24a: its record" ctl --json dkim dns example.com sel24
cp "$OUT" "$T/dkim.json"
ok "24a: a signing IP user" ctl user add ip signer --domain example.com --ip 127.0.0.24
ok "24a: it signs" ctl user set signer dkim.selector=sel24
hpy <<'PY'
import sys, os, json
sys.path.insert(0, os.environ["T"])
from dataq import *
import dkim
rec = json.load(open(os.path.join(os.environ["T"], "dkim.json")))
def dns(name, timeout=5):
    return rec["txt"].encode() if name.rstrip(b".") == rec["name"].rstrip(".").encode() else None
msg = (b"From: a@example.com\r\nTo: x@example.net\r\nSubject: a long line\r\n\r\nbefore\r\n" +
       b"w" * 5000 + b"\r\n.leading dot\r\n" + b"\xe9t\xe9 " * 1500 + b"\r\nafter\r\n")
stuffed = msg.replace(b"\r\n.", b"\r\n..")
rs = send(stuffed, source="127.0.0.24", rcpt="dkim24a@example.net")
h.check(rs[0].startswith("250 2.0.0"), "24a: a 5 000-byte body line: relayed", rs)
m = at_hop("dkim24a@example.net")
eml = m[0]["eml"] if m else b""
h.check(eml.endswith(msg), "24a: the next hop got the message whole")
h.check(b"\ndkim-signature:" in b"\n" + eml[:eml.find(b"\r\n\r\n")].lower(), "24a: signed", eml[:200])
try:
    good = dkim.verify(eml, dnsfunc=dns)
except dkim.DKIMException as e:
    good = False
h.check(good, "24a: python3-dkim verifies the signature at the far end")
bad = eml.replace(b"w" * 5000, b"w" * 4999 + b"W")
h.check(not dkim.verify(bad, dnsfunc=dns), "24a: a changed byte in the long line fails it")
h.check_served()
PY

of_done
