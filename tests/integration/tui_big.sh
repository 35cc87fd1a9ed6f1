#!/usr/bin/env bash
# The console on a database of 100 000 users (tests/bench/fill): Manage
# users shows its first page within 1 s of the key press, / finds the
# last user within 1 s, End and PgDn fetch further pages as they go.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/tui.bash"
FILL=$OF_BUILDDIR/tests/bench/fill
[ -x "$FILL" ] || of_bail "tests/bench/fill is not built"
USERS=100000

of_config
"$OUTFILTERD" -c "$T/outfilterd.conf" --init >"$T/init.log" 2>&1 ||
    of_bail "outfilterd --init failed: $(cat "$T/init.log")"
"$FILL" "$T/lib/outfilter.db" "$USERS" 0 2>"$ERR" ||
    of_bail "fill failed: $(cat "$ERR")"
of_launch
ok "status" ctl --json status
is "the daemon has $USERS users" "$USERS" "$(jget 'j["users"]["total"]')"

# took_ms START PATTERN: ms from START until the pane matches (5 s at most).
took_ms() {
	local deadline=$(( $1 + 5000 ))
	while :; do
		screen
		grep -Eq -- "$2" <<<"$SCREEN" && break
		[ "$(now_ms)" -ge "$deadline" ] && { echo 99999; return; }
		sleep 0.01
	done
	echo $(( $(now_ms) - $1 ))
}
# within WHAT MS LIMIT
within() {
	screen
	of_result "$([ "$2" -lt "$3" ] && echo 0 || echo 1)" \
	    "$1 within $3 ms ($2 ms)" "$SCREEN"
}

tui_start
sees "the console opens on the menu" 'Outgoing > Manage users'
settle
t0=$(now_ms)
keys Enter
within "the first page of users shows" \
    "$(took_ms "$t0" 'd00000\.example +domain +d00000\.example')" 1000
sees "a page, not every row" '100 rows loaded, more below'

t0=$(now_ms)
keys G
within "End jumps to the last row loaded" \
    "$(took_ms "$t0" '200 rows loaded, more below')" 1000
is "the last row loaded is selected" 1 "$(highlighted | grep -c 'd00099\.example')"
keys PPage PPage NPage NPage NPage NPage NPage NPage NPage NPage NPage NPage
sees "PgDn fetches on as it goes" '[3-9]00 rows loaded, more below'

keys /
wait_for 'Users whose name contains' 5
t0=$(now_ms)
keys -l u099998; keys Enter
within "/ finds the last user" \
    "$(took_ms "$t0" 'u099998@d00999\S* +smtp +d00999\.example')" 1000
sees "and only it" '1 row loaded  \[name contains: u099998\]'

tui_quit
tui_done
