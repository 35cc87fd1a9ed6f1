#!/usr/bin/env bash
# Secrets stay secret: the admins' and SMTP AUTH users' passwords, the
# DKIM private keys, the key that seals them and the archive key appear
# in no log line, no --json output of a show or list command, and not in
# the daemon's memory as a core file would hold it (gcore), after each
# was used.  By default the daemon writes no core file at all.
. "$OF_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3

# A soft limit the daemon may lower: it must set its own to 0.
ulimit -c unlimited 2>/dev/null || ulimit -S -c "$(ulimit -H -c)" 2>/dev/null
of_start "[smtp]" "auth_without_tls = yes"
S=$SUBMISSION_PORT

core_limit() { awk '/^Max core file size/ { print $5 }' "/proc/$of_pid/limits"; }
is "the daemon allows itself no core file" 0 "$(core_limit)"

ADMIN_PW='Adm1n-Secret-Kz7Q'
ADMIN_PW2='Adm1n-Second-Rt5M'
WRONG_PW='Wr0ng-Guess-Hh2P'
SMTP_PW='Smtp-Secret-Vw3X9'
SMTP_BAD='Smtp-Wrong-Qa8L'
DOMAIN_PW='D0main-Secret-Jn6B'
INIT_PW=$(cat "$T/lib/admin.password")

ok "domain" ctl domain add example.com
ok "enabled" ctl domain enable example.com
ok "an admin" ctl admin add alice --role super --password-file "$(secret "$ADMIN_PW")"
pw1=$(secret "$ADMIN_PW")
ok "it logs in (PLAIN, through ZAP)" ctl --user alice --password-file "$pw1" whoami
ok "its password changed" ctl --user alice --password-file "$pw1" admin passwd alice \
	--password-file "$(secret "$ADMIN_PW2")"
ok "it logs in with the new one" ctl --user alice --password-file "$(secret "$ADMIN_PW2")" whoami
fails 77 "a wrong password is refused" 'refused' \
	ctl --user alice --password-file "$(secret "$WRONG_PW")" whoami
ok "the first admin logs in with the password --init made" \
	ctl --user admin --password-file "$T/lib/admin.password" whoami
ok "an SMTP AUTH user" ctl user add smtp joe@example.com --domain example.com \
	--password-file "$(secret "$SMTP_PW")"
ok "an authenticating domain" ctl user add domain example.com \
	--password-file "$(secret "$DOMAIN_PW")"

b64() { printf "$1" | base64 -w0; }
ok "joe's spam is held" ctl user set joe@example.com spam.reaction=quarantine
chat "SMTP AUTH PLAIN, a wrong and the right password; a spam held" $S <<X
< 220
> EHLO c.example
< 250
> AUTH PLAIN $(b64 "\\0joe@example.com\\0$SMTP_BAD")
< 535
> AUTH PLAIN $(b64 "\\0joe@example.com\\0$SMTP_PW")
< 235
> MAIL FROM:<joe@example.com>
< 250
> RCPT TO:<x@example.org>
< 250
> DATA
< 354
> Subject: held
>
> XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X
> .
< 250
> QUIT
< 221
X
chat "SMTP AUTH LOGIN, and the authenticating domain" $S <<X
< 220
> EHLO c.example
< 250
> AUTH LOGIN
< 334
> $(b64 'example.com')
< 334
> $(b64 "$DOMAIN_PW")
< 235
> QUIT
< 221
X

# DKIM keys, used to sign; the archive key, used to seal and to open.
ok "an IP user" ctl user add ip host1 --domain example.com --ip 127.0.0.1
ok "an RSA key" ctl dkim keygen example.com rsa1
ok "an Ed25519 key" ctl dkim keygen example.com ed1 --algo ed25519
ok "signing and archiving on" ctl user set host1 dkim.selector=rsa1,ed1 archive=on
ok "a message relayed" swaks --server "127.0.0.1:$RELAY_PORT" --timeout 20 \
	--from a@example.com --to b@example.org --h-Subject secrets-test
is "it was signed twice" 2 "$(cat "$T"/outbox/new/* | grep -c '^DKIM-Signature')"
# The archive's row is written a moment after the 250.
for _ in $(seq 50); do
	ctl --json archive search >"$OUT" 2>"$ERR" && [ "$(jget 'len(j["items"])')" = 1 ] && break
	sleep 0.1
done
ok "archive search" ctl --json archive search
id=$(jget 'j["items"][0]["id"]')
ok "archive export opens it" ctl archive export "$id" -o "$T/export.eml"
ok "dkim dns opens the key" ctl --json dkim dns example.com rsa1

# The secrets to look for: the passwords as typed; the key files' bytes
# (raw, hex and base64); the DKIM keys opened from the database, as PEM
# lines and as their DER bytes.
: >"$OUT"
$PY - "$T" "$ADMIN_PW" "$ADMIN_PW2" "$WRONG_PW" "$SMTP_PW" "$SMTP_BAD" \
    "$DOMAIN_PW" "$INIT_PW" >"$T/needles.json" 2>"$ERR" <<'PY'
import base64, binascii, json, sqlite3, sys
from nacl.secret import SecretBox
t = sys.argv[1]
needles = [["password %d" % i, p.encode().hex()] for i, p in enumerate(sys.argv[2:], 1)]
# ... and as SMTP AUTH carried them.
for name, p in (("joe@example.com", sys.argv[5]), ("joe@example.com", sys.argv[6])):
    needles.append(["AUTH PLAIN of " + p, base64.b64encode(b"\0" + name.encode() + b"\0" + p.encode()).hex()])
needles.append(["AUTH LOGIN password", base64.b64encode(sys.argv[7].encode()).hex()])
def raw(name, b):
    needles.append([name, b.hex()])
    needles.append([name + " in hex", b.hex().encode().hex()])
    needles.append([name + " in base64", base64.b64encode(b).rstrip(b"=").hex()])
dkey = open(t + "/lib/dkim.key", "rb").read()
raw("the DKIM key file", dkey)
raw("the archive key file", open(t + "/lib/archive.key", "rb").read())
db = sqlite3.connect(t + "/lib/outfilter.db")
for sel, sealed in db.execute("SELECT selector, private_key FROM dkim_keys"):
    box = base64.b64decode(sealed[len("sb1:"):])
    pem = SecretBox(dkey).decrypt(box[24:], box[:24]).decode()
    lines = [l for l in pem.splitlines() if not l.startswith("-----")]
    der = base64.b64decode("".join(lines))
    # The first line is much the same for every key of a kind.
    for i, l in enumerate(lines[1:] if len(lines) > 1 else lines):
        if len(l) >= 40:
            needles.append(["DKIM key %s, PEM line %d" % (sel, i + 2), l.encode().hex()])
    needles.append(["DKIM key %s, DER" % sel, der[-32:].hex()])
json.dump(needles, open(1, "w"))
PY
of_result $? "the secrets are known" "$(cat "$ERR")"

# find WHAT FILE...: none of the needles is in the files.
SCAN=$T/scan.py
cat >"$SCAN" <<'PY'
import json, mmap, sys
needles = [(n, bytes.fromhex(h)) for n, h in json.load(open(sys.argv[1]))]
found = []
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        try:
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:
            continue
        for name, n in needles:
            at = m.find(n)
            if at != -1:
                found.append("%s in %s at %d" % (name, path, at))
for l in found:
    print(l)
sys.exit(1 if found else 0)
PY
scan() {
	local what=$1; shift
	$PY "$SCAN" "$T/needles.json" "$@" >"$OUT" 2>"$ERR"
	of_result $? "$what" "$(head -n 20 "$OUT")"
}

# Every show and list command, as JSON (a new one must be added here).
ctl --json quarantine list >"$OUT" 2>"$ERR"
qid=$(jget 'j["items"][0]["id"]' 2>/dev/null)
J=$T/json
mkdir -p "$J"
n=0
cmds=("domain list" "domain show example.com" "user list" "user show joe@example.com"
    "user show example.com" "user show host1" "identity list" "template list"
    "template show default" "dkim list" "dkim dns example.com rsa1"
    "dkim dns example.com ed1" "quarantine list --all" "quarantine show ${qid:-0}"
    "admin list" "log search" "archive search" "nrd status" "status" "whoami"
    "config show")
for cmd in "${cmds[@]}"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	ctl --json $cmd >"$J/$n.json" 2>&1 || echo "failed: $cmd" >>"$J/failed"
done
is "every show and list command answered" "" "$(cat "$J/failed" 2>/dev/null)"
covered=$(printf '%s\n' "${cmds[@]}" | awk '{print $1 "." $2}' | sed 's/\.$//; s/^\(status\|whoami\)\..*/\1/' | sort -u)
table=$(sed -n 's/^CMD([a-z_]*, "\([a-z.-]*\)".*/\1/p' "$OF_SRCDIR/ipc/commands.def" |
    grep -E '\.(list|show|search|status|dns)$|^(status|whoami)$' | sort -u)
is "they are all the show and list commands of the table" "$table" "$covered"
scan "no secret in the --json output of $n show and list commands" "$J"/*.json
scan "no secret in the daemon's log" "$T/daemon.log"

# The daemon's memory, as a core file would hold it: gcore's.  A sanitizer
# build reserves terabytes of shadow memory, which gcore would write out
# in full: there the mappings a core file holds are read through
# /proc/PID/mem instead (readable ones, not marked MADV_DONTDUMP).
core=$T/core.$of_pid
if ldd "$OUTFILTERD" | grep -q libasan; then
	$PY - "$of_pid" "$core" >"$OUT" 2>"$ERR" <<'PY'
import os, re, sys
pid, out = sys.argv[1], open(sys.argv[2], "wb")
mem = os.open("/proc/%s/mem" % pid, os.O_RDONLY)
maps, cur = [], None
for line in open("/proc/%s/smaps" % pid):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)", line)
    if m:
        cur = [int(m[1], 16), int(m[2], 16), m[3], m[4], ""]
        maps.append(cur)
    elif line.startswith("VmFlags:"):
        cur[4] = line.split(":", 1)[1].split()
for start, end, perm, name, flags in maps:
    if "r" not in perm or "dd" in flags or name in ("[vvar]", "[vsyscall]"):
        continue
    for at in range(start, end, 1 << 20):
        try:
            out.write(os.pread(mem, min(1 << 20, end - at), at))
        except OSError:
            pass
PY
	of_result $? "the daemon's memory read as a core file holds it" "$(cat "$ERR")"
elif command -v gcore >/dev/null; then
	# At most 4 GiB: a daemon grown past that is a failure, not a full disk.
	(ulimit -f 4194304; gcore -o "$T/core" "$of_pid") >"$T/gcore.log" 2>&1
	if [ -s "$core" ]; then of_result 0 "gcore dumped the daemon"
	else of_result 1 "gcore dumped the daemon" "$(tail -n 5 "$T/gcore.log")"; fi
else
	echo "ok $((of_n + 1)) # SKIP no gcore (Debian package gdb) to dump the daemon's memory"
	of_n=$((of_n + 1))
fi
[ -s "$core" ] && scan "no secret in the daemon's memory" "$core"
rm -f "$core"
ok "the daemon still answers" ctl status
of_done
