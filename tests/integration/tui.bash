# Shared by the console tests (tui_*.sh): the real outfilter-tui in a
# private tmux server, driven with send-keys and read with capture-pane.
# Source it after lib.sh.  Waits poll the pane with a deadline: no sleeps
# standing in for "long enough".
TUI=$OF_BUILDDIR/tui/outfilter-tui
# A private server whose socket goes away with $T.
TMUX_SOCK=$T/tmux
SCREEN=

command -v tmux >/dev/null || of_bail "tmux is not installed"

tx() {
	tmux -S "$TMUX_SOCK" "$@"
}

tui_cleanup() {
	tx kill-server 2>/dev/null
	of_cleanup
}
trap tui_cleanup EXIT

# tui_start [ARGS]: the console in an 80x24 pane.  When it ends, the shell
# says how, and the pane stays for the test to read.  TUI_ENV, if set, is
# put before the command (e.g. TUI_ENV=NO_COLOR=1).  Its stderr (where a
# sanitizer reports) goes to $T/tui.stderr.
tui_start() {
	tx -f /dev/null new-session -d -x 80 -y 24 \
	    "${TUI_ENV:-} $TUI -c $T/outfilterd.conf $* 2>>$T/tui.stderr; echo \"outfilter-tui exited with \$?\"; sleep 600" ||
	    of_bail "tmux cannot start"
	tx set-option -g escape-time 0
}

# tui_done: the console's stderr holds no sanitizer report, then of_done.
tui_done() {
	is "the console's stderr holds no sanitizer report" "" \
	    "$(grep -E -A 12 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/tui.stderr" 2>/dev/null | head -n 20)"
	of_done
}

# tui_quit: Q, and the console ends with status 0 and leaves the
# alternate screen.
tui_quit() {
	keys Q
	if wait_for 'outfilter-tui exited with 0' 10; then
		of_result 0 "Q quits with status 0"
	else
		of_result 1 "Q quits with status 0" "$SCREEN"
	fi
	is "the terminal left the alternate screen" 0 "$(alt_screen)"
}

# tui_stop: end the tmux server and wait until its process is gone, so
# that the next tui_start does not reach a server still shutting down.
tui_stop() {
	local pid deadline=$(( $(date +%s%3N) + 5000 ))
	pid=$(tx display-message -p '#{pid}') || of_bail "no tmux server to stop"
	tx kill-server 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(date +%s%3N)" -ge "$deadline" ] && of_bail "tmux does not stop"
		sleep 0.05
	done
	rm -f "$TMUX_SOCK"
}

# The console's pid: the child of the pane's shell.
tui_pid() {
	pgrep -P "$(tx display-message -p '#{pane_pid}')" -x outfilter-tui
}

keys() {
	tx send-keys "$@"
}

screen() {
	SCREEN=$(tx capture-pane -p)
}

now_ms() {
	date +%s%3N
}

# wait_for PATTERN [SECONDS]: until the pane matches the extended regex.
wait_for() {
	local deadline=$(( $(now_ms) + ${2:-5} * 1000 ))
	while :; do
		screen
		grep -Eq -- "$1" <<<"$SCREEN" && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# wait_gone PATTERN [SECONDS]: until the pane no longer matches.
wait_gone() {
	local deadline=$(( $(now_ms) + ${2:-5} * 1000 ))
	while :; do
		screen
		grep -Eq -- "$1" <<<"$SCREEN" || return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# sees WHAT PATTERN [SECONDS]: a TAP result for wait_for.
sees() {
	if wait_for "$2" "${3:-5}"; then of_result 0 "$1"
	else of_result 1 "$1" "the pane never matched /$2/:" "$SCREEN"; fi
}

# sees_not WHAT PATTERN: the pane, now, does not match.
sees_not() {
	screen
	if grep -Eq -- "$2" <<<"$SCREEN"; then
		of_result 1 "$1" "the pane matches /$2/:" "$SCREEN"
	else of_result 0 "$1"; fi
}

# settle [MS]: until the pane stays the same for MS ms (100; 2 s at
# most): a screen drawn whole, not one caught halfway through a repaint.
settle() {
	local before deadline=$(( $(now_ms) + 2000 )) still=0
	local want=${1:-100}
	screen
	while [ "$(now_ms)" -lt "$deadline" ]; do
		before=$SCREEN
		sleep 0.05
		screen
		if [ "$SCREEN" = "$before" ]; then
			still=$((still + 50))
			[ "$still" -ge "$want" ] && return 0
		else
			still=0
		fi
	done
	return 1
}

# The footer line, of a settled screen.
footer() {
	settle
	tail -n 1 <<<"$SCREEN"
}

# alt_screen: 1 while a curses program holds the alternate screen.
alt_screen() {
	tx display-message -p '#{alternate_on}'
}

# help_matches_footer WHAT: every "KEY Label" of the footer has a line of
# the help screen with that key and label (help is opened and closed here).
help_matches_footer() {
	local foot missing=
	foot=$(footer)
	# Where keys type text the footer names F1, and ? would be typed.
	if grep -q 'F1 Help' <<<"$foot"; then keys F1; else keys '?'; fi
	if ! wait_for 'KEY +TWIN +FOOTER'; then
		of_result 1 "$1" "no help screen:" "$SCREEN"
		return
	fi
	missing=$(/usr/bin/python3 - "$foot" "$SCREEN" <<'PY'
import re, sys
foot = sys.argv[1].split()
# Without the box's side lines.
help = [re.sub(r'^x|x$', ' ', l) for l in sys.argv[2].splitlines()]
pairs = list(zip(foot[0::2], foot[1::2]))
for key, label in pairs:
    pat = re.compile(r'(^|\s)' + re.escape(key) + r'\s.*\s' + re.escape(label) + r'\s')
    if not any(pat.search(l + ' ') for l in help):
        print(key, label)
if not pairs:
    print("(empty footer)")
PY
)
	keys Escape
	wait_gone 'KEY +TWIN +FOOTER' 2
	if [ -z "$missing" ]; then of_result 0 "$1"
	else of_result 1 "$1" "footer: $foot" "not in help: $missing"; fi
}

# highlighted: the text drawn in reverse video (the selection; not the
# scroll bar's thumb, which is blank), without the top line and the footer.
highlighted() {
	tx capture-pane -p -e | sed '1d;$d' | /usr/bin/python3 -c '
import re, sys
sgr = re.compile(r"\x1b\[([0-9;]*)m")
for line in sys.stdin:
    rev, text = False, ""
    pieces = sgr.split(line.rstrip("\n"))
    for i, piece in enumerate(pieces):
        if i % 2 == 1:
            codes = piece.split(";") if piece else ["0"]
            if "7" in codes:
                rev = True
            elif "0" in codes or "27" in codes:
                rev = False
        elif rev:
            text += re.sub(r"[\x0e\x0f]", "", piece)
    if text.strip():
        print(text)
'
}

# select_row WHAT PATTERN: from the first row, j until the selected row
# matches PATTERN (a TAP result).
select_row() {
	local i before now
	keys g
	for i in $(seq 120); do
		now=$(highlighted)
		if grep -Eq -- "$2" <<<"$now"; then
			of_result 0 "$1"
			return 0
		fi
		before=$now
		keys j
		# Until the selection has moved (or the list ends).
		wait_moved "$before" || break
	done
	of_result 1 "$1" "no row matched /$2/:" "$(tx capture-pane -p)"
	return 1
}

# wait_moved ROWS: until the highlighted rows are not ROWS (1 s at most).
wait_moved() {
	local deadline=$(( $(now_ms) + 1000 ))
	while [ "$(highlighted)" = "$1" ]; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.02
	done
	return 0
}

# wait_footer [SECONDS]: until the last line is a footer (Back or Help in
# it): the screen is drawn whole at the pane's size.
wait_footer() {
	local deadline=$(( $(now_ms) + ${1:-5} * 1000 ))
	while :; do
		screen
		tail -n 1 <<<"$SCREEN" | grep -Eq ' (Back|Help)( |$)' && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# resized PATTERN: after a resize, the screen drawn anew: what the pane
# kept of the old size goes at once, and the console sends the whole
# screen again once the size has settled (TUI_REPAINT_MS in main.c), so
# the pane is read after it stayed the same for longer than that.
resized() {
	wait_for "$1" 5 && wait_footer 5 && settle 300 &&
	    grep -Eq -- "$1" <<<"$SCREEN" &&
	    tail -n 1 <<<"$SCREEN" | grep -Eq ' (Back|Help)( |$)'
}

# resize_tour WHAT PATTERN: 80x24 -> 60x20 -> 132x43 -> 80x24, each time
# the screen is drawn again (PATTERN: the end of its breadcrumb, which is
# cut from the left when narrow) with its footer.
resize_tour() {
	local size ok=0 bad= shot=
	for size in 60x20 132x43 80x24; do
		tx resize-window -x "${size%x*}" -y "${size#*x}"
		if ! resized "$2"; then
			ok=1 bad="$size: /$2/ and the footer not drawn" shot=$SCREEN
			break
		fi
	done
	tx resize-window -x 80 -y 24
	resized "$2"
	of_result "$ok" "$1: resized 60x20, 132x43, 80x24" "$bad" "$shot"
}

# esc_quick WHAT PATTERN [KEYS...]: Esc takes PATTERN (a dialog, a form,
# a screen) off the pane within 150 ms.  The time is wall-clock through
# tmux, so a busy machine can stretch it: with KEYS (what opens it again)
# it is tried up to three times and the best counts; every time is told.
esc_quick() {
	local what=$1 pat=$2 t0 took times= try best=99999 deadline
	shift 2
	for try in 1 2 3; do
		if [ "$try" -gt 1 ]; then
			[ $# -gt 0 ] && [ "$best" -gt 150 ] || break
			keys "$@"
		fi
		if ! wait_for "$pat" 5; then
			of_result 1 "$what: Esc closes it" "/$pat/ is not on the pane:" "$SCREEN"
			return
		fi
		t0=$(now_ms) deadline=$(( $(now_ms) + 2000 ))
		keys Escape
		while screen; grep -Eq -- "$pat" <<<"$SCREEN"; do
			if [ "$(now_ms)" -ge "$deadline" ]; then
				of_result 1 "$what: Esc closes it" "$SCREEN"
				return
			fi
			sleep 0.01
		done
		took=$(( $(now_ms) - t0 ))
		times="$times${times:+, }$took"
		[ "$took" -lt "$best" ] && best=$took
	done
	of_result "$([ "$best" -le 150 ] && echo 0 || echo 1)" \
	    "$what: Esc closes it within 150 ms ($times ms)"
}
