#!/usr/bin/env bash
# DKIM through the real daemon: keys made with dkim keygen (RSA and
# Ed25519), sealed in the database under a 0600 key file, the records of
# dkim dns parsed as a zone file line, a domain admin kept to its domains;
# then messages signed with the daemon's keys (tests/unit/dkimsign calls
# the daemon's signing code against its database) and checked by an
# independent verifier, python3-dkim, given the published records
# through a DNS stub: 8-bit, long-line, multipart and dot-leading
# messages, each signed twice (RSA and Ed25519, RFC 8463).
. "$OF_SRCDIR/tests/integration/lib.sh"

DKIMSIGN=$OF_BUILDDIR/tests/unit/dkimsign
PY=/usr/bin/python3

of_start
ok "domain add" ctl domain add example.com
ok "a second domain" ctl domain add example.net

# --- keys --------------------------------------------------------------
ok "dkim keygen (RSA, the default)" ctl dkim keygen example.com rsa2024
has "it names the algorithm" 'algorithm: +rsa-sha256'
has "it prints the record to publish" '^record: +rsa2024\._domainkey\.example\.com\. IN TXT "v=DKIM1; k=rsa; p=MII'
hasnt "the private key is never shown" 'PRIVATE'
ok "the key file was made" test -f "$T/lib/dkim.key"
is "the key file is 0600" 600 "$(stat -c %a "$T/lib/dkim.key")"
is "the key file holds 32 bytes" 32 "$(stat -c %s "$T/lib/dkim.key")"
ok "dkim keygen --algo ed25519" ctl dkim keygen example.com ED2024 --algo ed25519
has "the selector is kept in lower case" '^selector: +ed2024$'
has "an Ed25519 record" 'k=ed25519; p='

fails 65 "a selector with a key is refused" 'already has a DKIM key for selector rsa2024' \
	ctl dkim keygen example.com rsa2024 --algo ed25519
fails 65 "an unknown algorithm is refused, naming the option" '^outfilterctl: --algo: .*rsa-2048 or ed25519' \
	ctl dkim keygen example.com s1 --algo rsa-512
fails 65 "a selector that is no DNS name is refused" '"bad_sel" is not a valid DKIM selector' \
	ctl dkim keygen example.com bad_sel
fails 65 "an unknown domain is reported" 'nosuch\.example.*not found' \
	ctl dkim keygen nosuch.example s1
fails 65 "dns of a selector without a key" 'example\.net has no DKIM key for selector rsa2024' \
	ctl dkim dns example.net rsa2024

ok "dkim list" ctl --json dkim list
is "two keys listed" '[["example.com", "rsa2024", "rsa-sha256"], ["example.com", "ed2024", "ed25519-sha256"]]' \
	"$(jget '[[i["domain"], i["selector"], i["algorithm"]] for i in j["items"]]')"
ok "dkim list --domain example.net" ctl --json dkim list --domain example.net
is "none for the other domain" 0 "$(jget 'len(j["items"])')"
ok "dkim list as a table" ctl dkim list
has "the table has the keys" 'example\.com +rsa2024 +rsa-sha256'

# The database holds the keys sealed, never as PEM.
is "the stored keys are sealed" "sb1: sb1:" "$($PY -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = [r[0] for r in db.execute("SELECT private_key FROM dkim_keys ORDER BY id")]
print(" ".join("sb1:" if k.startswith("sb1:") and "PRIVATE" not in k else k[:20] for k in rows))
' "$T/lib/outfilter.db")"

# --- the records ---------------------------------------------------------
ok "dkim dns (RSA)" ctl --json dkim dns example.com rsa2024
cp "$OUT" "$T/rsa.json"
ok "dkim dns (Ed25519)" ctl --json dkim dns example.com ed2024
cp "$OUT" "$T/ed.json"
ok "dkim dns, as printed" ctl dkim dns example.com rsa2024
grep '^record:' "$OUT" | sed 's/^record: *//' >"$T/rsa.zone"
# check_record JSON ZONE: the zone line names the record and its strings
# (each at most 255 bytes) join into the text; the text is a DKIM key.
check_record() {
	$PY - "$@" <<'PY'
import json, re, sys, base64
j = json.load(open(sys.argv[1]))
line = open(sys.argv[2]).read().strip() if len(sys.argv) > 2 else j["record"]
name, rest = line.split(" IN TXT ", 1)
assert name == j["name"] == "%s._domainkey.%s." % (j["selector"], j["domain"]), name
strings = re.findall(r'"((?:[^"\\]|\\.)*)"', rest)
assert rest == " ".join('"%s"' % s for s in strings), rest
assert all(len(s) <= 255 for s in strings), [len(s) for s in strings]
assert "".join(strings) == j["txt"], "strings do not join into txt"
tags = dict(t.strip().split("=", 1) for t in j["txt"].split(";"))
assert tags["v"] == "DKIM1"
key = base64.b64decode(tags["p"])
if j["algorithm"] == "ed25519-sha256":
    assert tags["k"] == "ed25519" and len(key) == 32, tags
else:
    assert tags["k"] == "rsa" and len(key) > 256, tags
    assert len(strings) == 2, len(strings)
PY
}
ok "the RSA record parses (2 strings, joined the text)" check_record "$T/rsa.json"
ok "the printed record is the same line" check_record "$T/rsa.json" "$T/rsa.zone"
ok "the Ed25519 record parses (the 32-byte key)" check_record "$T/ed.json"

# --- signatures, verified by python3-dkim ---------------------------------
# verify FILE N [ALGORITHMS]: FILE holds N DKIM signatures and every one
# verifies with the published records; ALGORITHMS their a= tags in order.
cat >"$T/verify.py" <<'PY'
import json, sys, dkim
recs = {}
for f in sys.argv[3:]:
    j = json.load(open(f))
    recs[j["name"].encode()] = j["txt"].encode()
def dns(name, timeout=5):
    if not name.endswith(b"."):
        name += b"."
    return recs.get(name)
msg = open(sys.argv[1], "rb").read()
d = dkim.DKIM(msg)
sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
want = int(sys.argv[2])
if len(sigs) != want:
    sys.exit("%d signatures, wanted %d" % (len(sigs), want))
algs = []
for i in range(want):
    try:
        good = dkim.DKIM(msg).verify(idx=i, dnsfunc=dns)
    except dkim.DKIMException as e:
        sys.exit("signature %d does not verify: %s" % (i, e))
    if not good:
        sys.exit("signature %d does not verify" % i)
    tags = dict(t.strip().split(b"=", 1) for t in sigs[i].split(b";") if b"=" in t)
    h = [x.strip().lower() for x in tags[b"h"].split(b":")]
    if h.count(b"from") != 2 or tags[b"c"].strip() != b"relaxed/relaxed":
        sys.exit("signature %d: h=%r c=%r" % (i, tags[b"h"], tags[b"c"]))
    algs.append(tags[b"a"].strip().decode())
print(" ".join(algs))
PY
verify() {
	local f=$1 n=$2
	$PY "$T/verify.py" "$f" "$n" "$T/rsa.json" "$T/ed.json" >"$T/algs" 2>"$T/verify.err"
}
# sign NAME: sign $T/NAME.eml with both keys into $T/NAME.signed.
sign() {
	"$DKIMSIGN" -c "$T/outfilterd.conf" example.com "rsa2024,ed2024" \
	    <"$T/$1.eml" >"$T/$1.signed" 2>"$T/sign.err"
}

printf 'From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.com>\r\nTo: \303\251mile@example.org\r\nSubject: Gr\303\274\303\237e\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <8bit@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSch\366ne Gr\374\337e \344\366\374.\r\n\377\376 raw bytes\r\n' >"$T/8bit.eml"
{
	printf 'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: a long line\r\n\r\nbefore\r\n'
	head -c 5000 /dev/zero | tr '\0' 'x'
	printf '\r\nafter\r\n'
} >"$T/long.eml"
printf 'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\npreamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nthe text  with   spaces \t \r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="a.bin"\r\n\r\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n--b1--\r\n\r\n' >"$T/multipart.eml"
printf 'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: dots\r\n\r\n.\r\n..\r\n.leading dot\r\n...three\r\nlast\r\n' >"$T/dots.eml"

for m in 8bit long multipart dots; do
	ok "dkimsign signs the $m message with both keys" sign $m
	ok "python3-dkim verifies both signatures of the $m message" verify "$T/$m.signed" 2
	is "the $m message carries RSA and Ed25519 signatures" "rsa-sha256 ed25519-sha256" "$(cat "$T/algs")"
done
# A changed byte in the body fails.
sed 's/after/AFTER/' "$T/long.signed" >"$T/long.bad"
fails 1 "a changed body does not verify" 'does not verify' \
	$PY "$T/verify.py" "$T/long.bad" 2 "$T/rsa.json" "$T/ed.json"
# The message after the signatures is the one given, byte for byte.
is "the signed message ends with the original" "$(sha256sum <"$T/dots.eml")" \
	"$(tail -c "$(stat -c %s "$T/dots.eml")" "$T/dots.signed" | sha256sum)"

# --- through the relay: the pipeline signs ---------------------------------
ok "enable example.com" ctl domain enable example.com
ok "an IP user for loopback" ctl user add ip host1 --domain example.com --ip 127.0.0.1
ok "it signs with both selectors" ctl user set host1 dkim.selector=rsa2024,ed2024
# relayed NAME [RCPT]: send $T/NAME.eml through the relay to RCPT (NAME)
# @example.org; the copy the next hop got is $T/NAME.relayed.
relayed() {
	local rcpt=${2:-$1}@example.org
	swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 20 \
	    --from alice@example.com --to "$rcpt" \
	    --data "@$T/$1.eml" >"$OUT" 2>"$ERR" || return 1
	grep -l "$rcpt" "$T"/outbox/new/* | head -n 1 | xargs -r cat >"$T/$1.relayed"
	[ -s "$T/$1.relayed" ]
}
for m in 8bit long multipart dots; do
	ok "the $m message is relayed" relayed $m
	ok "python3-dkim verifies both signatures the relay added to the $m message" \
	    verify "$T/$m.relayed" 2
done
ok "a selector without a key" ctl user set host1 dkim.selector=nosuch
ok "a message for it is relayed" relayed dots unsigned
is "the message goes out unsigned" 0 "$(grep -ci '^DKIM-Signature' "$T/dots.relayed")"
ok "log search" ctl --json log search --recipient unsigned@example.org
has "the log row says why it is unsigned" 'DKIM: unsigned: .*no DKIM key for selector nosuch'
ok "signing off again" ctl user set host1 dkim.selector=

# --- a domain admin ------------------------------------------------------
dpw=$(secret 'domain admin secret')
ok "a domain admin of example.net" ctl admin add ada --role domain --domain example.net --password-file "$dpw"
as_ada() { ctl --user ada --password-file "$dpw" "$@"; }
ok "it lists keys" as_ada --json dkim list
is "it sees none of example.com's" 0 "$(jget 'len(j["items"])')"
fails 65 "another domain's record is not found" 'example\.com not found' as_ada dkim dns example.com rsa2024
fails 65 "nor can it make keys there" 'example\.com not found' as_ada dkim keygen example.com s9
fails 65 "nor delete them" 'example\.com not found' as_ada dkim del example.com rsa2024
ok "it makes a key for its own domain" as_ada dkim keygen example.net s1 --algo ed25519
ok "and lists it" as_ada --json dkim list
is "its own key only" '[["example.net", "s1"]]' "$(jget '[[i["domain"], i["selector"]] for i in j["items"]]')"

# --- deleting, and no key ------------------------------------------------
ok "dkim del" ctl dkim del example.com ed2024
has "it says so" 'deleted: +yes|deleted: +true'
fails 65 "a deleted key is gone" 'no DKIM key for selector ed2024' ctl dkim dns example.com ed2024
ok "with one of two keys left, the message is signed once" sign dots
has_err() { grep -q "$1" "$T/sign.err"; }
ok "and the selector without a key is named" has_err 'no DKIM key for selector ed2024'
ok "python3-dkim verifies it" verify "$T/dots.signed" 1
"$DKIMSIGN" -c "$T/outfilterd.conf" example.com ed2024 <"$T/dots.eml" >"$T/dots.unsigned" 2>"$T/sign.err"
rc=$?
is "no key at all: status 1, the message unsigned" "1 $(sha256sum <"$T/dots.eml")" \
	"$rc $(sha256sum <"$T/dots.unsigned")"
ok "the cause says why" has_err 'example.com has no DKIM key for selector ed2024'

# --- the key file ---------------------------------------------------------
chmod 640 "$T/lib/dkim.key"
fails 2 "a key file others may read is refused" 'may be read by others.*chmod 600' \
	"$DKIMSIGN" -c "$T/outfilterd.conf" example.com rsa2024 <"$T/dots.eml"
fails 78 "outfilterd -n refuses a key file others may read" 'may be read by others' \
	"$OUTFILTERD" -n -c "$T/outfilterd.conf"
chmod 600 "$T/lib/dkim.key"
ok "outfilterd -n accepts it again" "$OUTFILTERD" -n -c "$T/outfilterd.conf"
of_stop
mv "$T/lib/dkim.key" "$T/dkim.key.saved"
of_launch
fails 70 "without the key file no key is made over the sealed ones" 'key_file .*dkim\.key is missing' \
	ctl dkim keygen example.com new1
fails 70 "nor are records shown" 'missing' ctl dkim dns example.com rsa2024
of_stop
mv "$T/dkim.key.saved" "$T/lib/dkim.key"
of_launch
ok "with the key file back, keys open again" ctl --json dkim dns example.com rsa2024
is "the same record as before" "$(jget 'j["txt"]')" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["txt"])' "$T/rsa.json")"
of_done
