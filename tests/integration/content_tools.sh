#!/usr/bin/env bash
# Known tools (block.dangerous): the SHA-256 list imported with
# `content import-hashes` refuses a file it holds, attached or inside a
# zip, with 550 5.7.1 naming the category; a real clamd ([content] clamd)
# with a private signature refuses a matching message with 550 naming the
# signature, and clamd down or silent gives 451 4.7.1 (or passes with
# clamd_on_failure = pass).
. "$OF_SRCDIR/tests/integration/lib.sh"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }
PY=/usr/bin/python3
clamd_pid= silent_pid= why=
# The servers started here go too, whatever happens.
trap '[ -n "$clamd_pid" ] && kill "$clamd_pid" 2>/dev/null
[ -n "$silent_pid" ] && kill "$silent_pid" 2>/dev/null
of_cleanup' EXIT

# A "tool" (random bytes), the same in a zip, a file clamd's signature
# matches, and a harmless file.
$PY - "$T" <<'PY'
import os, sys, zipfile
d = sys.argv[1]
tool = b"TOOL" + os.urandom(5000)
open(d + "/tool.bin", "wb").write(tool)
with zipfile.ZipFile(d + "/tools.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("bin/scanner.bin", tool)
open(d + "/marked.dat", "wb").write(os.urandom(300) +
    b"OUTFILTER-CLAMD-SIGNATURE-TEST-7f3a" + os.urandom(300))
open(d + "/plain.dat", "wb").write(os.urandom(600))
PY
sum=$(sha256sum "$T/tool.bin" | cut -d' ' -f1)
cat >"$T/hashes.txt" <<LIST
# known tools
$sum,Scanner 1.0,network-tools

0000000000000000000000000000000000000000000000000000000000000000,Zero
not-a-hash,Bad
$(printf '%064d' 1),Odd,no-such-category
LIST

of_start
send() {
	swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 30 \
	    --from shop@example.com --to "$1" --h-Subject "tools test" \
	    "${@:2}" >"$OUT" 2>"$ERR"
}
said() { has "$@"; }

ok "domain" ctl domain add example.com
ok "enable it" ctl domain enable example.com
ok "IP user" ctl user add ip host1 --domain example.com --ip 127.0.0.1
ok "dangerous content blocked" ctl user set host1 block.dangerous=on

ok "import-hashes FILE" ctl --json content import-hashes "$T/hashes.txt"
is "lines read" 6 "$(jget 'j["lines"]')"
is "two imported" 2 "$(jget 'j["imported"]')"
is "comment and blank skipped" 2 "$(jget 'j["skipped"]')"
is "two bad" 2 "$(jget 'j["bad"]')"
is "bad lines by number" "5 6" "$(jget '" ".join(str(b["line"]) for b in j["bad_lines"])')"
is "a bad category is named" True "$(jget '"category" in j["bad_lines"][1]["error"]')"
ok "content hashes" ctl --json content hashes
is "total" 2 "$(jget 'j["total"]')"
is "per category" "1 1 0" "$(jget '"%d %d %d" % (j["categories"]["network-tools"], j["categories"]["other"], j["categories"]["p2p"])')"
ok "the same list again" ctl --json content import-hashes - <"$T/hashes.txt"
ok "content hashes" ctl --json content hashes
is "a hash is listed once" 2 "$(jget 'j["total"]')"

send tool@example.org --attach-type application/octet-stream --attach-name report.pdf --attach "@$T/tool.bin"
said "a listed tool is refused, naming it and its category" '550 5\.7\.1 .*report\.pdf is Scanner 1\.0, a known network tool \(network-tools'
send zip@example.org --attach-type application/zip --attach-name stuff.zip --attach "@$T/tools.zip"
said "inside a zip too" '550 5\.7\.1 .*scanner\.bin in stuff\.zip .*network-tools'
send plain@example.org --attach-type application/octet-stream --attach-name data.dat --attach "@$T/plain.dat"
said "an unlisted file passes" '250 2\.0\.0'
ok "log search" ctl --json log search --recipient tool@example.org
is "the log row carries the class" True "$(jget '"dangerous-content" in j["items"][0]["reason"]')"
ok "block.dangerous off" ctl user set host1 block.dangerous=off
send tool2@example.org --attach-type application/octet-stream --attach-name report.pdf --attach "@$T/tool.bin"
said "with the check off the tool passes" '250 2\.0\.0'
ok "block.dangerous on" ctl user set host1 block.dangerous=on

# restart EXTRA-LINES...: the daemon again with [content] lines.
restart() {
	of_stop
	sed -i '/^\[content\]/,$d' "$T/outfilterd.conf"
	printf '%s\n' "[content]" "$@" >>"$T/outfilterd.conf"
	of_launch
}

# clamd down, then silent: 451 4.7.1, or pass when told so.
restart "clamd = unix:$T/no-clamd.sock"
send down@example.org --attach-type application/octet-stream --attach-name data.dat --attach "@$T/plain.dat"
said "clamd down: 451 4.7.1" '451 4\.7\.1'
ok "the daemon log names the failure" grep -qF "clamd unix:$T/no-clamd.sock: connect" "$T/daemon.log"
silent=$(free_port)
$PY -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
open(sys.argv[2], "w").close()
c=[]
while True: c.append(s.accept()[0])' "$silent" "$T/silent.ready" &
silent_pid=$!
for _ in $(seq 100); do [ -f "$T/silent.ready" ] && break; sleep 0.05; done
restart "clamd = tcp:127.0.0.1:$silent" "clamd_timeout = 1"
send slow@example.org --attach-type application/octet-stream --attach-name data.dat --attach "@$T/plain.dat"
said "clamd silent past clamd_timeout: 451 4.7.1" '451 4\.7\.1'
ok "the daemon log says it timed out" grep -qF "clamd tcp:127.0.0.1:$silent: timed out" "$T/daemon.log"
restart "clamd = unix:$T/no-clamd.sock" "clamd_on_failure = pass"
send pass@example.org --attach-type application/octet-stream --attach-name data.dat --attach "@$T/plain.dat"
said "clamd down with clamd_on_failure = pass: relayed" '250 2\.0\.0'
kill "$silent_pid" 2>/dev/null; wait "$silent_pid" 2>/dev/null; silent_pid=

# A real clamd with one private signature, no network, no other database.
clamd_run() {
	local bin
	bin=$(command -v clamd || echo /usr/sbin/clamd)
	[ -x "$bin" ] || { why="clamd is not installed (clamav-daemon)"; return 1; }
	mkdir -p "$T/clamdb"
	echo "Outfilter.Test.Tool:0:*:$(printf 'OUTFILTER-CLAMD-SIGNATURE-TEST-7f3a' | od -An -tx1 | tr -d ' \n')" \
	    >"$T/clamdb/outfilter.ndb"
	CLAMD_PORT=$(free_port)
	cat >"$T/clamd.conf" <<CONF
Foreground yes
DatabaseDirectory $T/clamdb
LocalSocket $T/clamd.sock
TCPSocket $CLAMD_PORT
TCPAddr 127.0.0.1
LogFile $T/clamd.log
User $(id -un)
CONF
	"$bin" --foreground -c "$T/clamd.conf" >"$T/clamd.out" 2>&1 &
	clamd_pid=$!
	for _ in $(seq 600); do
		[ -S "$T/clamd.sock" ] && return 0
		kill -0 "$clamd_pid" 2>/dev/null || break
		sleep 0.1
	done
	why="clamd did not start: $(tail -n 3 "$T/clamd.out" | tr '\n' ' ')"
	return 1
}
if clamd_run; then
	for spec in "unix:$T/clamd.sock" "tcp:127.0.0.1:$CLAMD_PORT"; do
		restart "clamd = $spec"
		send "marked-${spec%%:*}@example.org" --attach-type application/octet-stream --attach-name data.dat --attach "@$T/marked.dat"
		said "clamd ($spec) finds the signature: 550 naming it" '550 5\.7\.1 .*ClamAV found Outfilter\.Test\.Tool.*dangerous-content'
		send "clean-${spec%%:*}@example.org" --attach-type application/octet-stream --attach-name data.dat --attach "@$T/plain.dat"
		said "clamd ($spec) passes a clean message" '250 2\.0\.0'
	done
	send tool3@example.org --attach-type application/octet-stream --attach-name report.pdf --attach "@$T/tool.bin"
	said "with clamd too, the sha256 list still refuses" '550 5\.7\.1 .*network-tools'
	ok "block.dangerous off" ctl user set host1 block.dangerous=off
	send marked-off@example.org --attach-type application/octet-stream --attach-name data.dat --attach "@$T/marked.dat"
	said "clamd is not asked with block.dangerous off" '250 2\.0\.0'
	kill "$clamd_pid" 2>/dev/null; wait "$clamd_pid" 2>/dev/null; clamd_pid=
else
	echo "# clamd tests skipped: $why"
	[ -n "${clamd_pid:-}" ] && { kill "$clamd_pid" 2>/dev/null; wait "$clamd_pid" 2>/dev/null; }
	for _ in 1 2 3 4 5 6 7; do echo "ok $((of_n += 1)) # SKIP $why"; done
fi
of_done
