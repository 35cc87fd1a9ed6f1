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
# put before the command (e.g. TUI_ENV=NO_COLOR=1).
tui_start() {
	tx -f /dev/null new-session -d -x 80 -y 24 \
	    "${TUI_ENV:-} $TUI -c $T/outfilterd.conf $*; echo \"outfilter-tui exited with \$?\"; sleep 600" ||
	    of_bail "tmux cannot start"
	tx set-option -g escape-time 0
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

# The footer line.
footer() {
	screen
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
	keys '?'
	if ! wait_for 'KEY +TWIN +FOOTER'; then
		of_result 1 "$1" "no help screen:" "$SCREEN"
		return
	fi
	missing=$(python3 - "$foot" "$SCREEN" <<'PY'
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
