#!/usr/bin/env bash
# The console opens without a daemon, says so, retries, picks up when the
# daemon starts; SIGTERM restores the terminal.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/tui.bash"
of_config
"$OUTFILTERD" -c "$T/outfilterd.conf" --init >"$T/init.log" 2>&1 ||
    of_bail "outfilterd --init failed: $(cat "$T/init.log")"

tui_start
sees "opens without a daemon" 'Outgoing > Manage users'
sees "says the daemon is unreachable" "daemon unreachable at ipc://.*/run/control - retrying"
keys Enter
sees "a list says it got no answer" 'no answer from the daemon'
keys j k
sees "the keyboard still works" 'Manage users'
of_launch
ctl domain add example.org >/dev/null
ctl user add ip relay1 --domain example.org --ip 198.51.100.0/24 >/dev/null
sees "picks up when the daemon starts" '\(super-admin\)' 10
sees "... and the list loads" 'relay1 +ip +example\.org' 5

of_stop
sees "notices the daemon stopping" 'daemon unreachable' 10
of_launch
sees "and its return" '\(super-admin\)' 10

pid=$(tui_pid)
is "the console's pid" 1 "$(wc -w <<<"$pid")"
kill -TERM "$pid"
if wait_for 'outfilter-tui exited with' 5; then of_result 0 "SIGTERM ends the console"
else of_result 1 "SIGTERM ends the console" "$SCREEN"; fi
is "SIGTERM restored the terminal" 0 "$(alt_screen)"
tui_done
