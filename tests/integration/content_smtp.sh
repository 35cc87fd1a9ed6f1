#!/usr/bin/env bash
# Content checks through real SMTP (swaks): with block.macros and
# block.dangerous on, a clean message with a PDF and a docx passes; a
# macro document named .docx, an executable named .txt, an executable two
# archives deep are refused with 550 5.7.1 naming the attachment, and the
# log row carries the class; with the checks off the same mail passes.
# Fixtures: Debian's clamav-testfiles and documents built here.
. "$OF_SRCDIR/tests/integration/lib.sh"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }
FIX=/usr/share/clamav-testfiles
[ -f "$FIX/clam.exe" ] || { echo "1..0 # SKIP clamav-testfiles is not installed"; exit 0; }
PY=/usr/bin/python3

# Documents: a macro-free docx, a docm (VBA project, macro-enabled content
# type) and a zip holding a zip holding an executable.
$PY - "$T" "$FIX/clam.exe" <<'PY'
import io, sys, zipfile
d, exe = sys.argv[1], sys.argv[2]
def ooxml(path, macro):
    ct = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.%s"/>'
          '</Types>') % ("macroEnabled.main+xml" if macro else "main+xml")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("word/document.xml", "<w:document/>")
        if macro:
            z.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
ooxml(d + "/clean.docx", False)
ooxml(d + "/macro.docx", True)
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w") as z:
    z.write(exe, "setup.exe")
with zipfile.ZipFile(d + "/deep.zip", "w") as z:
    z.writestr("inner.zip", inner.getvalue())
open(d + "/clean.pdf", "wb").write(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PY

of_start
send() {
	swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 20 \
	    --from shop@example.com --to "$1" --h-Subject "content test" \
	    "${@:2}" >"$OUT" 2>"$ERR"
}
said() { has "$@"; }

ok "domain" ctl domain add example.com
ok "enable it" ctl domain enable example.com
ok "IP user" ctl user add ip host1 --domain example.com --ip 127.0.0.1
ok "both checks on" ctl user set host1 block.macros=on block.dangerous=on

send clean@example.org --attach-type application/pdf --attach-name offer.pdf --attach "@$T/clean.pdf" \
    --attach-type application/vnd.openxmlformats-officedocument.wordprocessingml.document \
    --attach-name letter.docx --attach "@$T/clean.docx"
said "a clean message with a PDF and a docx passes" '250 2\.0\.0'

send macro@example.org --attach-type application/octet-stream --attach-name letter.docx --attach "@$T/macro.docx"
said "a macro document named .docx is refused, naming it" '550 5\.7\.1 .*letter\.docx.*contains-macro'

send exe@example.org --attach-type text/plain --attach-name notes.txt --attach "@$FIX/clam.exe"
said "an executable named .txt is refused as dangerous" '550 5\.7\.1 .*notes\.txt.*dangerous-content'

send deep@example.org --attach-type application/zip --attach-name photos.zip --attach "@$T/deep.zip"
said "an executable two archives deep is refused, naming the path" '550 5\.7\.1 .*setup\.exe in photos\.zip/inner\.zip'

ok "log search" ctl --json log search --recipient exe@example.org
is "the log row is refused" refused "$(jget 'j["items"][0]["status"]')"
is "and carries the class" True "$(jget '"dangerous-content" in j["items"][0]["reason"]')"
ok "log search" ctl --json log search --recipient macro@example.org
is "the macro refusal carries its class" True "$(jget '"contains-macro" in j["items"][0]["reason"]')"

ok "both checks off" ctl user set host1 block.macros=off block.dangerous=off
send exe2@example.org --attach-type text/plain --attach-name notes.txt --attach "@$FIX/clam.exe"
said "with the checks off the executable passes" '250 2\.0\.0'
of_done
