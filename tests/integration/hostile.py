"""Helpers of the hostile-input tests (hostile_*.sh).

usage: hostile.py sink PORT DIR

The sink plays the next hop: an SMTP server on 127.0.0.1:PORT that keeps
every byte it got.  Each message it accepted becomes DIR/N.raw (the DATA
bytes as they came over the wire, stuffed, up to and including the CRLF
before the final "."), DIR/N.eml (the same unstuffed) and last DIR/N.env
(JSON: "from", "rcpts", and "commands", the MAIL and RCPT lines as sent).
It refuses recipients whose local part begins with "refuse-".
DIR/commands.log has one line per command seen and one per transaction
given up ("ABORT ..."); DIR/ready appears once it listens.

As a module (the tests put this directory on sys.path):

  Client(port, source=None)    a raw SMTP client: send bytes, read replies
  check(cond, what, *diag)     print one TAP result ("ok - what")
  served(port, ...)            a normal client is served end to end
  rss(pid)                     the resident size of a process, in kB
  sink_messages(), bare(raw)   what the sink holds; bare CR or LF in bytes
"""
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import time
import uuid

# --- the sink -----------------------------------------------------------

EHLO_REPLY = (b"250-sink.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
              b"250-SMTPUTF8\r\n250-SIZE 104857600\r\n250 ENHANCEDSTATUSCODES\r\n")


class Sink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, directory):
        self.dir = directory
        self.lock = threading.Lock()
        self.count = 0
        self.log = open(os.path.join(directory, "commands.log"), "a",
                        buffering=1, encoding="latin-1")
        super().__init__(("127.0.0.1", port), SinkHandler)

    def note(self, text):
        with self.lock:
            self.log.write(text + "\n")

    def store(self, env, raw):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.dir, "%06d" % n)
        with open(base + ".raw", "wb") as f:
            f.write(raw)
        with open(base + ".eml", "wb") as f:
            f.write(unstuff(raw))
        with open(base + ".tmp", "w") as f:
            json.dump(env, f)
        os.rename(base + ".tmp", base + ".env")


def unstuff(raw):
    lines = raw.split(b"\r\n")
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)


def angle(arg):
    """The address between <> of "FROM:<a@b> X=Y", as text."""
    s = arg.find(b"<")
    e = arg.find(b">", s + 1)
    return arg[s + 1:e].decode("latin-1") if s >= 0 and e > s else ""


class SinkHandler(socketserver.BaseRequestHandler):
    def setup(self):
        self.srv = self.server
        self.buf = bytearray()
        self.reset()

    def reset(self):
        self.mail = None
        self.rcpts = []
        self.lines = []

    def out(self, data):
        self.request.sendall(data)

    def more(self):
        data = self.request.recv(1 << 20)
        if not data:
            raise EOFError
        self.buf += data

    def abort(self, why):
        if self.mail is not None:
            self.srv.note("ABORT from=<%s> rcpts=%s (%s)" % (
                self.mail, ",".join(self.rcpts), why))
        self.reset()

    def data(self):
        """Read to CRLF . CRLF (the DATA line's CRLF counts as the first)."""
        pos = 0
        buf = self.buf
        while True:
            if buf.startswith(b".\r\n"):
                end, raw = 3, b""
                break
            i = buf.find(b"\r\n.\r\n", max(0, pos - 4))
            if i >= 0:
                end, raw = i + 5, bytes(buf[:i + 2])
                break
            pos = len(buf)
            self.more()
            buf = self.buf
        del self.buf[:end]
        return raw

    def handle(self):
        try:
            self.out(b"220 sink.example ESMTP\r\n")
            while True:
                i = self.buf.find(b"\r\n")
                if i < 0:
                    self.more()
                    continue
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                if not self.command(line):
                    return
        except (EOFError, ConnectionError, OSError):
            self.abort("connection lost")

    def command(self, line):
        self.srv.note(line.decode("latin-1").encode("unicode_escape")
                      .decode("latin-1"))
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            self.abort("EHLO")
            self.out(EHLO_REPLY if verb == b"EHLO" else b"250 sink\r\n")
        elif verb == b"MAIL":
            self.reset()
            self.mail = angle(line)
            self.lines.append(line.decode("latin-1"))
            self.out(b"250 2.1.0 Ok\r\n")
        elif verb == b"RCPT":
            if self.mail is None:
                self.out(b"503 5.5.1 MAIL first\r\n")
                return True
            if angle(line).startswith("refuse-"):
                self.out(b"550 5.1.1 No such user here\r\n")
                return True
            self.rcpts.append(angle(line))
            self.lines.append(line.decode("latin-1"))
            self.out(b"250 2.1.5 Ok\r\n")
        elif verb == b"DATA":
            if not self.rcpts:
                self.out(b"554 5.5.1 No valid recipients\r\n")
                return True
            self.out(b"354 Go ahead\r\n")
            raw = self.data()
            env = {"from": self.mail, "rcpts": self.rcpts,
                   "commands": self.lines}
            self.srv.store(env, raw)
            self.reset()
            self.out(b"250 2.0.0 Ok: stored\r\n")
        elif verb == b"RSET":
            self.abort("RSET")
            self.out(b"250 2.0.0 Ok\r\n")
        elif verb == b"NOOP":
            self.out(b"250 2.0.0 Ok\r\n")
        elif verb == b"QUIT":
            self.abort("QUIT")
            self.out(b"221 2.0.0 Bye\r\n")
            return False
        else:
            self.out(b"500 5.5.2 Unknown command\r\n")
        return True


def sink_main(port, directory):
    srv = Sink(port, directory)
    open(os.path.join(directory, "ready"), "w").close()
    srv.serve_forever()


# --- reading what the sink holds -----------------------------------------

def sink_dir():
    return os.environ.get("SINK_DIR", "")


def sink_messages(directory=None):
    """Every message the sink stored, oldest first: dicts of the .env
    JSON with "raw" and "eml" (bytes) and "n"."""
    d = directory or sink_dir()
    out = []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".env"):
            continue
        base = os.path.join(d, name[:-4])
        with open(base + ".env") as f:
            m = json.load(f)
        with open(base + ".raw", "rb") as f:
            m["raw"] = f.read()
        with open(base + ".eml", "rb") as f:
            m["eml"] = f.read()
        m["n"] = int(name[:-4])
        out.append(m)
    return out


def sink_count(directory=None):
    d = directory or sink_dir()
    return sum(1 for n in os.listdir(d) if n.endswith(".env"))


def sink_log(directory=None):
    with open(os.path.join(directory or sink_dir(), "commands.log"),
              encoding="latin-1") as f:
        return f.read()


def sink_wait(pred, timeout=10):
    """Poll the sink until pred(messages) is true; the last messages."""
    end = time.time() + timeout
    while True:
        msgs = sink_messages()
        if pred(msgs) or time.time() > end:
            return msgs
        time.sleep(0.05)


def bare(raw):
    """A CR not followed by LF, or an LF not after a CR, in raw."""
    return (raw.replace(b"\r\n", b"").find(b"\r") >= 0 or
            raw.replace(b"\r\n", b"").find(b"\n") >= 0)


# --- a raw client -------------------------------------------------------

class Client:
    """One SMTP connection.  reply() gives a whole reply as text (lines
    joined by newlines), "EOF" when the server closed, "TIMEOUT" when
    nothing came in time."""

    def __init__(self, port, source=None, timeout=20, tls=False):
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.buf = b""
        if tls:
            self.starttls()

    def starttls(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def reply(self, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            lines = [self.line()]
            while len(lines[-1]) > 3 and lines[-1][3] == "-":
                lines.append(self.line())
            return "\n".join(lines)
        except (EOFError, ConnectionError, ssl.SSLError):
            return "EOF"
        except socket.timeout:
            return "TIMEOUT"

    def cmd(self, text, timeout=None):
        self.send(text + "\r\n" if isinstance(text, str) else
                  text + b"\r\n")
        return self.reply(timeout)

    def hello(self, name="client.example"):
        """Read the greeting, say EHLO; the EHLO reply."""
        g = self.reply()
        if not g.startswith("220"):
            return g
        return self.cmd("EHLO " + name)

    def closed(self, timeout=10):
        """The server closes the connection within timeout (any replies
        before that are read and dropped)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionError, ssl.SSLError):
            return True
        except socket.timeout:
            return False
        except OSError:
            return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def message(subject, body="hello\r\n", headers=""):
    return ("From: a@example.com\r\nTo: x@example.net\r\nSubject: %s\r\n%s"
            "\r\n%s" % (subject, headers, body))


def transaction(c, sender, rcpts, data, timeout=None):
    """MAIL, RCPT..., DATA, the message (bytes or text, CRLF-ended, not
    stuffed) and ".": every reply, the last being the one to the end."""
    replies = [c.cmd("MAIL FROM:<%s>" % sender)]
    for r in rcpts:
        replies.append(c.cmd("RCPT TO:<%s>" % r))
    replies.append(c.cmd("DATA"))
    if not replies[-1].startswith("354"):
        return replies
    if isinstance(data, str):
        data = data.encode("latin-1")
    c.send(data + b".\r\n")
    replies.append(c.reply(timeout))
    return replies


def served(port, source=None, sink=True, tls=False, auth=None):
    """A normal client sends a normal message: (ok, why).  With sink the
    message must also reach the sink whole.  auth: (name, password) for
    AUTH PLAIN (STARTTLS first unless tls)."""
    tag = "served-" + uuid.uuid4().hex[:12]
    try:
        c = Client(port, source)
        r = c.hello()
        if not r.startswith("250"):
            return False, "EHLO: %r" % r
        if auth is not None:
            import base64
            if not tls:
                r = c.cmd("STARTTLS")
                if not r.startswith("220"):
                    return False, "STARTTLS: %r" % r
                c.starttls()
                c.cmd("EHLO client.example")
            tok = base64.b64encode(("\0%s\0%s" % auth).encode()).decode()
            r = c.cmd("AUTH PLAIN " + tok)
            if not r.startswith("235"):
                return False, "AUTH: %r" % r
        sender = auth[0] if auth is not None else "a@example.com"
        rs = transaction(c, sender, [tag + "@example.net"],
                         message(tag, "a normal message\r\n"))
        c.cmd("QUIT")
        c.close()
    except OSError as e:
        return False, "connection: %s" % e
    if not rs[-1].startswith("250 2.0.0"):
        return False, "replies: %r" % rs
    if not sink or not sink_dir():
        return True, ""
    msgs = sink_wait(lambda ms: any(tag + "@example.net" in m["rcpts"]
                                    for m in ms))
    if not any(tag + "@example.net" in m["rcpts"] for m in msgs):
        return False, "the message did not reach the next hop"
    return True, ""


# --- checks ---------------------------------------------------------------

failed = 0


def check(cond, what, *diag):
    """One TAP line for the calling shell (hpy in hostile.bash)."""
    global failed
    if cond:
        print("ok - %s" % what)
    else:
        failed += 1
        print("not ok - %s" % what)
        for d in diag:
            for line in str(d).splitlines() or [""]:
                print("# " + line[:300])
    sys.stdout.flush()
    return bool(cond)


def check_served(what="a normal client is still served", **kw):
    ok, why = served(int(os.environ["RELAY_PORT"]), **kw)
    return check(ok, what, why)


def rss(pid=None):
    """VmRSS of pid (the daemon by default), in kB."""
    pid = pid or int(os.environ["OF_PID"])
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def log_text():
    with open(os.path.join(os.environ["T"], "daemon.log"),
              encoding="latin-1") as f:
        return f.read()


def wait_log(pattern, timeout=5):
    """The daemon's log holds pattern (a substring) within timeout."""
    end = time.time() + timeout
    while True:
        if pattern in log_text():
            return True
        if time.time() > end:
            return False
        time.sleep(0.05)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sink":
        sink_main(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(__doc__)
