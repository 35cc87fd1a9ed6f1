#!/usr/bin/env bash
# The console's options: help, version, refusal without a terminal,
# --ascii borders, NO_COLOR, --read-only.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/tui.bash"
of_start
ctl domain add example.com >/dev/null

ok "--help" "$TUI" --help
has "--help names the options" '--read-only.*'
has "... every one" '--ascii'
ok "--version" "$TUI" --version
has "--version prints it" '^outfilter-tui [0-9]'
fails 64 "an unknown option is a usage error" 'usage' "$TUI" --bogus
fails 64 "without a terminal it says to use outfilterctl" 'outfilterctl' \
	"$TUI" -c "$T/outfilterd.conf" </dev/null

tui_start --ascii --read-only
sees "--ascii draws borders with + - |" '^\+-+\+$'
sees "--read-only shows on the top line" 'read-only'
keys g j j j j j j Enter
sees "domains listed read-only" 'example\.com +no'
keys Space
sees "--read-only refuses a change, saying why" 'read-only console'
keys Enter Q
wait_for 'outfilter-tui exited with 0' 5
is "quits cleanly" 0 "$(alt_screen)"

tui_stop
TUI_ENV=NO_COLOR=1 tui_start
sees "runs with NO_COLOR" 'Main menu'
# The selection is reverse video, colour or not: the first entry's row.
sel=$(tx capture-pane -p -e | grep 'Manage users' | head -n 1)
is "the selection is visible without colour" 1 "$(grep -c $'\e\\[[0-9;]*7m' <<<"$sel")"
is "no colour is used" 0 "$(tx capture-pane -p -e | grep -c $'\e\\[[0-9;]*3[0-7]m')"
keys Q
wait_for 'outfilter-tui exited with 0' 5
tui_done
