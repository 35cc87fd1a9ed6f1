#!/usr/bin/env bash
# Hostile MIME and attachments through real SMTP (TESTING.md cases 25-29),
# to a user with block.macros and block.dangerous on.  Each message gets
# the reply the case names within a time bound, and the daemon serves the
# next client: deep nesting hits the depth limit (32 MIME levels, 3
# containers), broken structure and encodings are read as far as they go,
# names are decoded (RFC 2231, RFC 2047) and files judged by their bytes,
# archive bombs and archives that can't be read are refused as not
# checkable, uuencoded files are unpacked and judged.  BinHex and TNEF
# (winmail.dat) are containers the scanner does not unpack: it refuses
# them as not checkable, like an encrypted archive.
. "$OF_SRCDIR/tests/integration/lib.sh"
FIX=/usr/share/clamav-testfiles
[ -f "$FIX/clam.exe" ] || { echo "1..0 # SKIP clamav-testfiles is not installed"; exit 0; }
command -v 7z >/dev/null || { echo "1..0 # SKIP 7z (p7zip-full) is not installed"; exit 0; }
PY=/usr/bin/python3
# Seconds each message may take from MAIL to the reply after DATA.
BOUND=${OF_MIME_BOUND:-15}

# Archives 7z makes: encrypted headers, encrypted content, non-ASCII names.
mkdir -p "$T/7z/in"
cp "$FIX/clam.exe" "$T/7z/in/setup.exe"
cp "$FIX/clam.exe" "$T/7z/in/документ.exe"
(cd "$T/7z/in" &&
	7z a -bd -pSecret1 -mhe=on ../hidden.7z setup.exe >/dev/null &&
	7z a -bd -pSecret1 -mhe=off ../locked.7z setup.exe >/dev/null &&
	7z a -bd ../cyrillic.7z документ.exe >/dev/null) ||
	of_bail "7z could not make the test archives"

of_start
ok "domain" ctl domain add example.com
ok "enable it" ctl domain enable example.com
ok "IP user" ctl user add ip host1 --domain example.com --ip 127.0.0.1
ok "both checks on" ctl user set host1 block.macros=on block.dangerous=on

cat >"$T/mime.py" <<'PY'
import base64, binascii, io, os, smtplib, sys, tarfile, time, zipfile

port, T, FIX, BOUND = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
EXE = open(FIX + "/clam.exe", "rb").read()
n = 0

def b64(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))

def message(ctype, body, extra=""):
    return ("From: shop@example.com\r\nTo: x@example.org\r\nSubject: hostile\r\n"
            "Message-ID: <%d.%f@example.com>\r\nMIME-Version: 1.0\r\n%s"
            "Content-Type: %s\r\n\r\n%s\r\n" % (n, time.time(), extra, ctype, body)).encode()

def attach(parts, boundary="BOUNDARY", close=True):
    """A multipart/mixed of a text part and (headers, body) parts."""
    out = "--%s\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" % boundary
    for h, body in parts:
        out += "--%s\r\n%s\r\n\r\n%s\r\n" % (boundary, h, body)
    if close:
        out += "--%s--\r\n" % boundary
    return message('multipart/mixed; boundary="%s"' % boundary, out)

def file_part(name, data, ctype="application/octet-stream", disp=None):
    if disp is None:
        disp = 'attachment; filename="%s"' % name
    return ("Content-Type: %s\r\nContent-Disposition: %s\r\n"
            "Content-Transfer-Encoding: base64" % (ctype, disp), b64(data))

def zipped(entries, method=zipfile.ZIP_DEFLATED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in entries:
            z.writestr(name, data)
    return b.getvalue()

def send(raw, rcpt):
    """(code, text, seconds) of one transaction."""
    t = time.monotonic()
    s = smtplib.SMTP("127.0.0.1", port, timeout=120)
    try:
        s.ehlo("client.test")
        try:
            s.sendmail("shop@example.com", [rcpt + "@example.org"], raw)
            code, text = 250, "queued"
        except smtplib.SMTPDataError as e:
            code, text = e.smtp_code, e.smtp_error.decode("utf-8", "replace")
        s.quit()
    finally:
        s.close()
    return code, text, time.monotonic() - t

failed = 0
def case(what, raw, code, needle=None, rcpt=None):
    """
    The reply has this code and (if given) text, within BOUND seconds.
    The recipient is rcpt@example.org (default: cN, N counting messages).
    """
    global failed, n
    n += 1
    c, text, secs = send(raw, rcpt or "c%d" % n)
    good = c == code and (needle is None or needle in text) and secs < BOUND
    print("%s - %s (%d in %.1f s)" % ("ok" if good else "not ok", what, c, secs))
    if not good:
        failed += 1
        print("#   wanted %d%s within %.0f s, got: %d %s" % (code,
              " containing %r" % needle if needle else "", BOUND, c, text))

# 25: depth.
inner = "Content-Type: text/plain\r\n\r\nhello\r\n"
body = inner
for i in range(1000):
    body = ('Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n%s--b%d--\r\n'
            % (i, i, body, i))
case("1 000 nested multiparts: refused at the depth limit (case 25)",
     b"From: shop@example.com\r\nTo: x@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
     + body.encode(), 550, "nested more than 32 MIME levels deep")
body = inner
for i in range(100):
    body = "Content-Type: message/rfc822\r\n\r\nSubject: level %d\r\n%s" % (i, body)
case("100 nested message/rfc822: refused at the depth limit (case 25)",
     b"From: shop@example.com\r\nTo: x@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
     + body.encode(), 550, "nested more than 32 MIME levels deep")
pre = "".join('Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
              for i in reversed(range(10000)))
post = "".join("--b%d--\r\n" % i for i in range(10000))
case("10 000 nested multiparts: refused at the depth limit (case 25)",
     b"From: shop@example.com\r\nTo: x@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
     + (pre + inner + post).encode(), 550, "nested more than 32 MIME levels deep")
case("100 000 nested message/rfc822: refused at the depth limit (case 25)",
     b"From: shop@example.com\r\nTo: x@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
     + b"Content-Type: message/rfc822\r\n\r\nSubject: x\r\n" * 100000 + inner.encode(),
     550, "nested more than 32 MIME levels deep")
body = inner
for i in range(20):
    body = ('Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n%s--b%d--\r\n'
            % (i, i, body, i))
case("20 nested multiparts are within the limit and pass (case 25)",
     b"From: shop@example.com\r\nTo: x@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
     + body.encode(), 250)

# 26: broken structure and encodings.
case("no closing boundary: the executable before the end is still found (case 26)",
     attach([file_part("tool.bin", EXE)], close=False), 550, "tool.bin")
case("a boundary that never occurs: the body is one part, a clean one passes (case 26)",
     attach([("Content-Type: text/plain", "hello")], boundary="X")
     .replace(b'boundary="X"', b'boundary="NOT-THERE"'), 250)
case("multipart without a boundary parameter: no crash, passes (case 26)",
     attach([("Content-Type: text/plain", "hello")]).replace(b'; boundary="BOUNDARY"', b""), 250)
bad = b64(EXE).replace("\r\n", "\r\n!!@@\r\n", 3)[:-3]
case("broken base64 (bad characters, cut short) of an executable: still found (case 26)",
     attach([("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
              'filename="data.bin"\r\nContent-Transfer-Encoding: base64', bad)]), 550, "data.bin")
case("broken base64 of text: passes (case 26)",
     attach([("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64",
              "aGVsbG8gd29y!!!bGQ\r\n===\r\nQQ")]), 250)
case("quoted-printable with bad escapes: passes (case 26)",
     attach([("Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable",
              "a=ZZb =4 c=\r\n=\r\nd=0 e=C3=\r\nf=")]), 250)
case("an unknown transfer encoding: read as is, passes (case 26)",
     attach([("Content-Type: text/plain\r\nContent-Transfer-Encoding: x-nonsense", "hello")]), 250)
case("garbage header lines and a header without a colon: passes (case 26)",
     b"From: shop@example.com\r\nTo: x@example.org\r\nthis is not a header\r\n"
     b"Content-Type: multipart/mixed; boundary=\"\r\n\r\n--\r\n\r\nbody\r\n", 250)

# 27: names are the sender's; the bytes decide.
case("an executable named invoice.pdf (application/pdf) is refused (case 27)",
     attach([file_part("invoice.pdf", EXE, "application/pdf")]), 550,
     "invoice.pdf is a Windows executable")
ct = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/word/document.xml" '
      'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>')
docm = zipped([("[Content_Types].xml", ct), ("word/document.xml", "<w:document/>"),
               ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)])
case("a .docm named .docx is refused as a macro document (case 27)",
     attach([file_part("letter.docx", docm,
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]),
     550, "contains-macro")
case("an RFC 2231 encoded non-ASCII name: decoded, judged by content (case 27)",
     attach([file_part(None, EXE, disp="attachment; filename*=UTF-8''%D1%81%D1%87%D0%B5%D1%82.pdf")]),
     550, "????????.pdf is a Windows executable")
case("an RFC 2231 name in pieces ending in .js: refused as a script (case 27)",
     attach([file_part(None, b"hello", "text/plain",
             'attachment; filename*0="report.pdf"; filename*1=".js"')]),
     550, "report.pdf.js is a JavaScript file")
case("an RFC 2047 encoded name payment.vbs: refused as a script (case 27)",
     attach([file_part(None, b"hello", 'text/plain; name="=?UTF-8?B?cGF5bWVudC52YnM=?="',
             "inline")]), 550, "payment.vbs is a VBScript file")
case("a right-to-left override in a name is shown as '?' (case 27)",
     attach([file_part(None, EXE, disp="attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe")]),
     550, "invoice?fdp.exe is a Windows executable")
case("a double extension invoice.pdf.exe of an executable is refused (case 27)",
     attach([file_part("invoice.pdf.exe", EXE)]), 550, "invoice.pdf.exe is a Windows executable")
case("a double extension photo.jpg.js is refused as a script (case 27)",
     attach([file_part("photo.jpg.js", b"alert(1)")]), 550, "photo.jpg.js is a JavaScript file")
case("a double extension notes.js.txt of text passes (case 27)",
     attach([file_part("notes.js.txt", b"just text", "text/plain")]), 250)
case("a zip named archive.zip.txt holding an executable is refused (case 27)",
     attach([file_part("archive.zip.txt", zipped([("run.exe", EXE)]), "text/plain")]),
     550, "run.exe in archive.zip.txt")

# 28: archives.
deep = EXE
names = ["setup.exe"] + ["level%d.zip" % i for i in range(1, 10)]
for i in range(1, 10):
    deep = zipped([(names[i - 1], deep)])
case("a zip bomb ten archives deep: refused at the depth limit (case 28)",
     attach([file_part("deep.zip", deep)]), 550, "nested more than 3 containers deep")
zero = b"\0" * (20 << 20)
wide = zipped([("part%02d.bin" % i, zero) for i in range(16)])
case("a wide zip bomb (16 x 20 MiB of zeros): refused as a bomb (case 28)",
     attach([file_part("wide.zip", wide)]), 550, "is an archive bomb")
import gzip
gz = gzip.compress(b"\0" * (300 << 20), 9)
case("a gzip of 300 MiB of zeros: refused as a bomb while unpacking (case 28)",
     attach([file_part("data.gz", gz)]), 550, "is an archive bomb (it expands more than 250 times)")
gz = gzip.compress(b"\0" * 1024 + b"MZ" + b"\0" * (300 << 20), 9)
case("a gzip of zeros behind a non-zero start: refused as a bomb too (case 28)",
     attach([file_part("data2.gz", gz)]), 550, "is an archive bomb")
case("a gzip of 100 KiB of zeros is no bomb and passes (case 28)",
     attach([file_part("small.gz", gzip.compress(b"\0" * 102400))]), 250)
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w:gz") as t:
    ti = tarfile.TarInfo("bin/setup.exe")
    ti.size = len(EXE)
    t.addfile(ti, io.BytesIO(EXE))
case("an executable in a tar.gz is still found (case 28)",
     attach([file_part("tools.tar.gz", b.getvalue())]), 550, "bin/setup.exe in tools.tar.gz")
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
    for i in range(100000):
        z.writestr("%05d" % i, b"")
case("a zip of 100 000 entries: refused before reading them (case 28)",
     attach([file_part("many.zip", b.getvalue())]), 550, "more than 10000 entries")
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w:gz") as t:
    ti = tarfile.TarInfo("x")
    for i in range(100000):
        ti.name = "%05d" % i
        t.addfile(ti, io.BytesIO(b""))
case("a tar.gz of 100 000 entries: refused at the entry limit (case 28)",
     attach([file_part("many.tar.gz", b.getvalue())]), 550, "more than 10000 entries")
for f, what in (("hidden.7z", "encrypted headers"), ("locked.7z", "encrypted content")):
    case("a 7z with %s: refused as not checkable (case 28)" % what,
         attach([file_part(f, open(T + "/7z/" + f, "rb").read())]), 550,
         "%s is password-protected and can't be checked" % f)
case("a 7z whose executable has a Cyrillic name: refused, naming it (case 28)",
     attach([file_part("cyr.7z", open(T + "/7z/cyrillic.7z", "rb").read())]), 550,
     "????????????????.exe in cyr.7z is a Windows executable", rcpt="cyr7z")
case("a zip whose executable has a UTF-8 name: refused, naming it (case 28)",
     attach([file_part("utf8.zip", zipped([("счёт.exe", EXE)]))]), 550,
     "????????.exe in utf8.zip is a Windows executable")
raw = zipped([("AAAA.exe", EXE)]).replace(b"AAAA.exe", b"\xe9t\xe9\xff.exe")
case("a zip entry name in no known character set: refused, naming it (case 28)",
     attach([file_part("latin.zip", raw)]), 550, "latin.zip")
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT, encoding="latin-1") as t:
    ti = tarfile.TarInfo("caf\xe9.txt")
    ti.size = 5
    t.addfile(ti, io.BytesIO(b"hello"))
case("a tar entry name in Latin-1 of text: passes (case 28)",
     attach([file_part("latin.tar", b.getvalue())]), 250)

# 29: other encodings of attachments.
uu = "begin 644 invoice.pdf\r\n" + "".join(
    binascii.b2a_uu(EXE[i:i + 45]).decode().replace("\n", "\r\n")
    for i in range(0, len(EXE), 45)) + "`\r\nend\r\n"
case("an executable uuencoded inside a text part: unpacked and refused (case 29)",
     message("text/plain", "Here it is:\r\n\r\n" + uu), 550,
     "invoice.pdf in part 1 is a Windows executable")
case("an executable with Content-Transfer-Encoding x-uuencode: refused (case 29)",
     attach([("Content-Type: application/octet-stream; name=\"clam.exe\"\r\n"
              "Content-Transfer-Encoding: x-uuencode", uu.replace("invoice.pdf", "clam.exe"))]),
     550, "clam.exe is a Windows executable")
hqx = open(FIX + "/clam.exe.binhex").read().replace("\n", "\r\n")
case("a BinHex attachment: not unpacked, refused as not checkable (case 29)",
     attach([("Content-Type: application/mac-binhex40; name=\"clam.hqx\"", hqx)]), 550,
     "clam.hqx is a BinHex file, which is not unpacked and so can't be checked",
     rcpt="binhex")
case("BinHex inside a text part: refused as not checkable (case 29)",
     message("text/plain", "Here it is:\r\n\r\n" + hqx), 550, "part 1 is a BinHex file")
case("a TNEF winmail.dat: not unpacked, refused as not checkable (case 29)",
     attach([file_part("winmail.dat", open(FIX + "/clam.tnef", "rb").read(),
             "application/ms-tnef")]), 550,
     "winmail.dat is a TNEF (winmail.dat) container, which is not unpacked", rcpt="tnef")

case("after all that, a clean message still passes", attach([("Content-Type: text/plain", "hi")]), 250)
print("# %d messages" % n)
sys.exit(1 if failed else 0)
PY

/usr/bin/python3 "$T/mime.py" "$RELAY_PORT" "$T" "$FIX" "$BOUND" >"$OUT" 2>"$ERR"
rc=$?
cat "$OUT"
of_n=$((of_n + $(grep -c '^ok ' "$OUT") + $(grep -c '^not ok' "$OUT")))
of_failed=$((of_failed + $(grep -c '^not ok' "$OUT")))
[ "$rc" = 0 ] || [ "$(grep -c '^not ok' "$OUT")" -gt 0 ] ||
	of_result 1 "the SMTP client ran to its end" "exit $rc" "$(tail -n 5 "$ERR")"
[ -s "$ERR" ] && { echo "# client stderr:"; sed 's/^/#   /' "$ERR" | head -n 20; }

# The log keeps the refusal's reason (its class first), names in UTF-8.
ok "log search: the 7z with a Cyrillic name" ctl --json log search --recipient cyr7z@example.org
is "its log row is refused" refused "$(jget 'j["items"][0]["status"]')"
is "its reason names the entry in UTF-8" True \
	"$(jget '"dangerous-content: документ.exe in cyr.7z is a Windows executable" in j["items"][0]["reason"]')"
ok "log search: the TNEF" ctl --json log search --recipient tnef@example.org
is "the TNEF's log row says why it was refused" True \
	"$(jget '"dangerous-content: winmail.dat is a TNEF (winmail.dat) container, which is not unpacked and so can'"'"'t be checked" in j["items"][0]["reason"]')"
ok "log search: the BinHex" ctl --json log search --recipient binhex@example.org
is "the BinHex's log row says why it was refused" True \
	"$(jget '"dangerous-content: clam.hqx is a BinHex file" in j["items"][0]["reason"]')"
ok "the daemon still answers" ctl status
of_done
