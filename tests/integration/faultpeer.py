"""Peers and clients for the fault tests (tests/integration/faults_*.sh).

usage: faultpeer.py COMMAND ARGS...

  hop PORT MODE DIR     an SMTP next hop on 127.0.0.1:PORT.  Every message
                        it takes (250 after the final dot) is written to
                        DIR/NNNNNN.eml before that 250 is sent, and the
                        number taken so far to DIR/count.  MODE:
                          ok            a plain, well-behaved next hop
                          250-for-354   answers DATA with 250
                          garbage       answers MAIL with a line that is not SMTP
                          huge-ehlo     answers EHLO with 100 000 "250-" lines
                          huge-line     answers MAIL with a 1 MB line
                          starttls-inject  offers STARTTLS, then sends text
                                        after its 220 to it
                          cut-body      reads two lines of the message, then
                                        closes the connection
                          stall-eom     reads the message, never answers its dot
  mute PORT             accepts connections and never answers (a slow
                        spam engine)
  lock DB SECONDS       holds the write lock of the SQLite database DB
                        (BEGIN EXCLUSIVE; readers of a WAL database pass)
                        for SECONDS; prints "locked" once it holds it
  flow PORT N OUT [THREADS [PREFIX]]
                        sends N messages with the unique subjects PREFIX-0 ..
                        PREFIX-N-1 (PREFIX: flow; one connection each,
                        THREADS at once, default 4); a
                        message that got 250 at the end of DATA gets its
                        subject appended to OUT at once.  A message whose
                        session failed (the daemon killed) is tried again
                        up to 5 times while the daemon restarts.
  idle PORT N SOURCES STOPFILE RESULT [NET]
                        opens N connections spread over the SOURCES
                        addresses NET.1 ... (NET: 127.0.1), each reading
                        its greeting;
                        writes "held H refused R first-refusal TEXT" to
                        RESULT, then keeps them open until STOPFILE exists
  slowloris PORT RESULT sends "EHLO slow.test" one byte a second; writes
                        the reply and the seconds until the server closed
  authflood PORT N USER RESULT
                        N AUTH PLAIN attempts with wrong passwords, one
                        connection each; writes the count of each reply
                        code to RESULT as JSON
"""
import json
import os
import select
import socket
import socketserver
import sqlite3
import sys
import threading
import time


# --- the next hop ----------------------------------------------------------

class Hop(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port, mode, outdir):
        self.mode = mode
        self.outdir = outdir
        self.lock = threading.Lock()
        self.taken = 0
        super().__init__(("127.0.0.1", port), HopHandler)

    def take(self, data):
        with self.lock:
            self.taken += 1
            n = self.taken
            tmp = os.path.join(self.outdir, ".%06d.tmp" % n)
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, os.path.join(self.outdir, "%06d.eml" % n))
            with open(os.path.join(self.outdir, ".count.tmp"), "w") as f:
                f.write("%d\n" % n)
            os.rename(os.path.join(self.outdir, ".count.tmp"),
                      os.path.join(self.outdir, "count"))


class HopHandler(socketserver.StreamRequestHandler):
    def send(self, text):
        self.wfile.write(text.encode("latin-1") if isinstance(text, str)
                         else text)
        self.wfile.flush()

    def handle(self):
        mode = self.server.mode
        self.send("220 hop.test ESMTP faultpeer\r\n")
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.strip().upper()
            verb = cmd.split(b" ", 1)[0].split(b":", 1)[0]
            if verb in (b"EHLO", b"HELO"):
                if mode == "huge-ehlo":
                    self.send(b"250-hop.test\r\n" +
                              b"250-XEXTENSION\r\n" * 100000 + b"250 OK\r\n")
                elif mode == "starttls-inject":
                    self.send("250-hop.test\r\n250-PIPELINING\r\n"
                              "250 STARTTLS\r\n")
                else:
                    self.send("250-hop.test\r\n250-PIPELINING\r\n"
                              "250-8BITMIME\r\n250 SIZE 100000000\r\n")
            elif verb == b"STARTTLS":
                self.send("220 2.0.0 go ahead\r\n250 injected\r\n")
            elif verb == b"MAIL":
                if mode == "garbage":
                    self.send("hello there, I am not SMTP\r\n")
                elif mode == "huge-line":
                    self.send(b"250" + b"a" * (1 << 20) + b"\r\n")
                else:
                    self.send("250 2.1.0 Ok\r\n")
            elif verb == b"RCPT":
                self.send("250 2.1.5 Ok\r\n")
            elif verb == b"DATA":
                if mode == "250-for-354":
                    self.send("250 2.0.0 Ok\r\n")
                    continue
                self.send("354 go ahead\r\n")
                if mode == "cut-body":
                    self.rfile.readline(1 << 20)
                    self.rfile.readline(1 << 20)
                    return
                data = self.body()
                if data is None:
                    return
                if mode == "stall-eom":
                    time.sleep(3600)
                    return
                self.server.take(data)
                self.send("250 2.0.0 Ok: taken\r\n")
            elif verb == b"RSET" or verb == b"NOOP":
                self.send("250 2.0.0 Ok\r\n")
            elif verb == b"QUIT":
                self.send("221 2.0.0 Bye\r\n")
                return
            else:
                self.send("502 5.5.2 unknown command\r\n")

    def body(self):
        out = []
        while True:
            line = self.rfile.readline(1 << 20)
            if not line:
                return None
            if line == b".\r\n":
                return b"".join(out)
            if line.startswith(b"."):
                line = line[1:]
            out.append(line)


def cmd_hop(port, mode, outdir):
    srv = Hop(int(port), mode, outdir)
    srv.serve_forever()


def cmd_mute(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen(64)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)


# --- the database lock -------------------------------------------------------

def cmd_lock(path, seconds):
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(seconds))
    db.execute("ROLLBACK")
    db.close()


# --- clients -------------------------------------------------------------------

class Client:
    def __init__(self, port, source=None, timeout=30):
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def reply(self):
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return lines[-1]

    def cmd(self, text):
        self.sock.sendall(text.encode("latin-1") + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def flow_one(port, i, prefix):
    """One message; True when it got 250 at the end of DATA."""
    c = Client(port)
    try:
        if not c.reply().startswith("220"):
            return False
        for step, want in (("EHLO flow.test", "250"),
                           ("MAIL FROM:<flow@example.com>", "250"),
                           ("RCPT TO:<r%d@example.org>" % i, "250"),
                           ("DATA", "354")):
            if not c.cmd(step).startswith(want):
                return False
        body = ("From: flow@example.com\r\nTo: r%d@example.org\r\n"
                "Subject: %s-%d\r\nMessage-ID: <%s-%d@example.com>\r\n"
                "\r\n" % (i, prefix, i, prefix, i)) + \
            ("line of the body %d\r\n" % i) * 40
        r = c.cmd(body + ".")
        if r.startswith("250"):
            return True
        return False
    finally:
        c.close()


def cmd_flow(port, n, out, threads="4", prefix="flow"):
    port, n = int(port), int(n)
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "failed": 0}
    f = open(out, "a")

    def worker():
        while True:
            with lock:
                i = state["next"]
                if i >= n:
                    return
                state["next"] += 1
            for attempt in range(6):
                try:
                    if flow_one(port, i, prefix):
                        with lock:
                            f.write("%s-%d\n" % (prefix, i))
                            f.flush()
                            state["ok"] += 1
                        break
                except (OSError, EOFError):
                    pass
                time.sleep(0.2)
            else:
                with lock:
                    state["failed"] += 1

    ts = [threading.Thread(target=worker) for _ in range(int(threads))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    f.close()
    print("ok %d failed %d" % (state["ok"], state["failed"]))


def cmd_idle(port, n, sources, stopfile, result, net="127.0.1"):
    port, n, sources = int(port), int(n), int(sources)
    held, refused, first = [], 0, ""
    for i in range(n):
        src = "%s.%d" % (net, 1 + i % sources)
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                         source_address=(src, 0))
            data = s.recv(4096).decode("latin-1")
        except OSError as e:
            refused += 1
            first = first or str(e)
            continue
        if data.startswith("220"):
            held.append(s)
        else:
            refused += 1
            first = first or data.strip()
            s.close()
    with open(result + ".tmp", "w") as f:
        f.write("held %d refused %d first-refusal %s\n" % (len(held),
                                                           refused, first))
    os.rename(result + ".tmp", result)
    while not os.path.exists(stopfile):
        time.sleep(0.1)
    # How many the daemon still held at the end: closed ones read their
    # last reply, then the end.
    open_ = 0
    for s in held:
        s.setblocking(False)
        try:
            while s.recv(4096):
                pass
            continue
        except BlockingIOError:
            open_ += 1
        except OSError:
            pass
    with open(result, "a") as f:
        f.write("still-open %d\n" % open_)


def cmd_slowloris(port, result):
    c = Client(int(port))
    t0 = time.time()
    c.reply()
    got = ""
    try:
        for b in b"EHLO slow.test\r\n" * 100:
            r, _, _ = select.select([c.sock], [], [], 0)
            if r:
                break
            c.sock.sendall(bytes([b]))
            time.sleep(1)
        c.sock.settimeout(5)
        got = c.line()
        while True:
            if not c.sock.recv(4096):
                break
    except (OSError, EOFError):
        pass
    with open(result, "w") as f:
        f.write("%s\nseconds %d\n" % (got, time.time() - t0))


def cmd_authflood(port, n, user, result):
    """One connection an attempt, as a client that is slowed down after
    a few errors in one session would do."""
    import base64
    port, n = int(port), int(n)
    codes = {}
    for i in range(n):
        c = None
        try:
            c = Client(port)
            c.reply()
            c.cmd("EHLO flood.test")
            tok = base64.b64encode(("\0%s\0wrong%d" % (user, i))
                                   .encode()).decode()
            r = c.cmd("AUTH PLAIN " + tok)
            c.sock.sendall(b"QUIT\r\n")
        except (OSError, EOFError) as e:
            r = "err " + str(e)
        finally:
            if c is not None:
                c.close()
        codes[r[:3]] = codes.get(r[:3], 0) + 1
    with open(result, "w") as f:
        json.dump(codes, f)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"hop": cmd_hop, "mute": cmd_mute, "lock": cmd_lock,
          "flow": cmd_flow, "idle": cmd_idle, "slowloris": cmd_slowloris,
          "authflood": cmd_authflood}.get(cmd)
    if fn is None:
        sys.exit(__doc__)
    fn(*args)


if __name__ == "__main__":
    main()
