#!/usr/bin/env bash
# Disk full (TESTING.md 36): small tmpfs mounts under the spool, the
# quarantine, the archive and a maildir next hop, each filled in turn.  A
# message then gets 452 4.3.1 (not a crash, not a 250 for a message kept
# nowhere), the message log says tempfail, and once space is freed the
# same message goes through.  Needs root (mount); skips otherwise.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/faults.bash"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP mounting a tmpfs needs root"; exit 0; }

GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
mounts=()
disk_cleanup() {
	local m
	# Lazily: the daemon may still hold files there.
	for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null; done
	faults_cleanup
}
trap disk_cleanup EXIT

for d in spool quarantine archive outbox; do
	mkdir -p "$T/$d"
	if ! mount -t tmpfs -o size=512k,mode=0700 tmpfs "$T/$d" 2>"$ERR"; then
		echo "1..0 # SKIP cannot mount a tmpfs: $(head -n 1 "$ERR")"
		exit 0
	fi
	mounts+=("$T/$d")
done

# Every message goes through a spool file: spool_memory = 0.
of_start "[smtp]" "spool_dir = $T/spool" "spool_memory = 0" \
    "[quarantine]" "dir = $T/quarantine" "[archive]" "dir = $T/archive"
a_sender

# fill DIR: nothing more fits in DIR.
fill() { dd if=/dev/zero of="$1/fill" bs=4k >/dev/null 2>&1; cat /dev/zero >"$1/fill2" 2>/dev/null; return 0; }
# unfill DIR
unfill() { rm -f "$1/fill" "$1/fill2"; }

# full WHAT DIR RCPT [SWAKS-ARGS]: with DIR full, the message to RCPT gets
# 452 4.3.1 and no 250; its log row says tempfail; with DIR freed again it
# gets 250.
full() {
	local what=$1 dir=$2 rcpt=$3; shift 3
	fill "$dir"
	is "$what: the file system is full" 0 "$(df -k --output=avail "$dir" | tail -n 1 | tr -d ' ')"
	send "$rcpt" "$@"
	not_queued "$what full: no 250 for the message"
	heard "$what full: 452 4.3.1" '452 4\.3\.1 '
	is "$what full: the daemon still runs" yes "$(kill -0 "$of_pid" 2>/dev/null && echo yes)"
	is "$what full: the log row says tempfail" tempfail "$(log_row "$rcpt" status)"
	unfill "$dir"
	send "$rcpt" "$@"
	if queued; then of_result 0 "$what freed: the message gets 250"
	else of_result 1 "$what freed: the message gets 250" "$(grep -E '^<' "$OUT" | tail -n 3)"; fi
}

# The spool: a big message and a small one both need the file.
full "spool" "$T/spool" spool@example.org --body "$(seq 20000)"
is "spool: the freed message is at the next hop" 1 "$(grep -l '^Subject: fault spool@example.org' "$T"/outbox/new/* 2>/dev/null | wc -l)"
full "spool, small message" "$T/spool" spoolsmall@example.org

# The maildir next hop.
full "maildir next hop" "$T/outbox" outbox@example.org
is "maildir: the message is there once" 1 "$(grep -l '^Subject: fault outbox@example.org' "$T"/outbox/new/* 2>/dev/null | wc -l)"

# The quarantine: spam of a user whose spam goes there.
ok "spam.reaction=quarantine" ctl user set host1 spam.reaction=quarantine
full "quarantine" "$T/quarantine" held@example.org --body "$GTUBE"
ok "quarantine list" ctl --json quarantine list
is "quarantine: held once, after the space came back" 1 "$(jget 'len(j["items"])')"
is "quarantine: nothing went to the next hop" 0 "$(grep -l '^Subject: fault held@example.org' "$T"/outbox/new/* 2>/dev/null | wc -l)"
ok "spam.reaction back to reject" ctl user set host1 spam.reaction=reject

# The archive: a user whose relayed mail is archived.
ok "archive=on" ctl user set host1 archive=on
full "archive" "$T/archive" archived@example.org
# Archived after the 250, in a worker: wait for it.
for _ in $(seq 100); do
	ctl --json archive search --recipient archived@example.org >"$OUT" 2>"$ERR" &&
	    [ "$(jget 'len(j["items"])')" != 0 ] && break
	sleep 0.1
done
is "archive: the message is archived once" 1 "$(jget 'len(j["items"])')"

send after@example.org
if queued; then of_result 0 "after it all a message goes through"
else of_result 1 "after it all a message goes through"; fi
of_done
