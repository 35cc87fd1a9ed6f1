"""A scripted SMTP conversation for the integration tests.

usage: smtpchat.py PORT [--source ADDR] [--tls] < SCRIPT

Each script line is one step:
  > TEXT      send TEXT and CRLF (Python escapes: \\r \\n \\x00 ...)
  >> TEXT     send TEXT as is (escapes decoded), no CRLF added
  >n N TEXT   send TEXT repeated N times, then CRLF
  < PREFIX    read one (multi-line) reply; it must start with PREFIX
  <close      the server must close the connection (after any replies)
  starttls    start TLS on the connection (the certificate is not checked)
  sleep SECS  wait
Every reply read is printed.  Exit status 0 when every step went as
written, 1 otherwise (the failing step on stderr).
"""
import socket
import ssl
import sys
import time


class Chat:
    def __init__(self, port, source, tls):
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=20,
            source_address=(source, 0) if source else None)
        if tls:
            self.starttls()
        self.buf = b""

    def starttls(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def reply(self):
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return "\n".join(lines)

    def closed(self):
        try:
            while True:
                self.reply()
        except (EOFError, ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False


def decode(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def step(chat, line):
    if line.startswith(">n "):
        _, n, text = line.split(" ", 2)
        chat.sock.sendall(decode(text) * int(n) + b"\r\n")
    elif line.startswith(">> "):
        chat.sock.sendall(decode(line[3:]))
    elif line.startswith("> ") or line == ">":
        chat.sock.sendall(decode(line[2:]) + b"\r\n")
    elif line.startswith("<close"):
        if not chat.closed():
            return "the connection stayed open"
    elif line.startswith("<"):
        want = line[1:].strip()
        try:
            got = chat.reply()
        except (EOFError, ConnectionResetError, socket.timeout) as e:
            return "wanted %r, got %s" % (want, e)
        print(got)
        if not got.startswith(want):
            return "wanted %r, got %r" % (want, got)
    elif line == "starttls":
        chat.starttls()
    elif line.startswith("sleep "):
        time.sleep(float(line[6:]))
    return None


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    source = None
    tls = False
    while args:
        a = args.pop(0)
        if a == "--source":
            source = args.pop(0)
        elif a == "--tls":
            tls = True
    chat = Chat(port, source, tls)
    for n, line in enumerate(sys.stdin.read().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        why = step(chat, line)
        if why:
            sys.stderr.write("step %d (%s): %s\n" % (n, line[:60], why))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
