#!/usr/bin/env bash
# The console's archive against a private daemon: messages archived by the
# relay (a user with archive=on, mail through swaks) listed newest first;
# the filter form with a bad time told at its field; a row shown; a
# message written to a file byte for byte (the same bytes outfilterctl
# exports), an existing file replaced only when told, an unwritable path
# refused with the reason; a message read in $PAGER; the resize tour, the
# help and Esc on each of its screens and dialogs.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/tui.bash"
command -v swaks >/dev/null || { echo "1..0 # SKIP swaks not installed"; exit 0; }

of_start
ctl domain add example.com >/dev/null
ctl domain enable example.com >/dev/null
ctl user add ip host1 --domain example.com --ip 127.0.0.1 >/dev/null
ctl user set host1 archive=on >/dev/null
relay() {
	swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 20 \
	    "$@" >"$OUT" 2>"$ERR"
}
relay --from first@example.com --to r1@example.org --h-Subject "archived one"
has "a first message through the relay" '250 2\.0\.0'
relay --from second@example.com --to r2@example.org --h-Subject "archived two"
has "a second one" '250 2\.0\.0'
ok "archive search" ctl --json archive search
is "both are archived" 2 "$(jget 'len(j["items"])')"
id1=$(jget 'j["items"][1]["id"]') id2=$(jget 'j["items"][0]["id"]')

# $PAGER keeps a copy of what it was given.
cat >"$T/pager" <<EOF
#!/bin/sh
cp "\$1" "$T/paged.eml"
EOF
chmod 755 "$T/pager"
mkdir "$T/exports"
mkdir "$T/tmp"
TUI_ENV="PAGER=$T/pager TMPDIR=$T/tmp" tui_start
sees "the console opens" 'Outgoing > Manage users'
sees_not "every menu entry has its screen" 'not available yet'

menu() {
	keys Escape
	wait_for '^ Main menu +' 2
	select_row "menu: $1" "^ ?$1 " && keys Enter
}
menu 'Archive'
sees "the archive is listed" "$id1 +[0-9-]+ [0-9:]+ host1 +first@examp"
is "newest first" "second first" "$(grep -Eo '(second|first)@exam' <<<"$SCREEN" |
    sed 's/@exam//' | tr '\n' ' ' | sed 's/ $//')"
sees "with its columns" 'ID +SENT +USER +SENDER +RECIPIENTS +SIZE'
resize_tour "the archive" '> Archive '
help_matches_footer "archive: F1 help names every footer hint"

# The filter form: a bad time at its field, then a sender.
keys '\'
sees "the filter form has every criterion" 'Queue ID: _'
sees "its title comes from the command table" 'Filter: search the archived messages'
resize_tour "the filter form" '> Filter '
keys Tab Tab Tab Tab; keys -l yesterday; keys C-o
sees "a bad time: the daemon's message at the field" '\^ since: "yesterday" is not a time'
keys C-u BTab BTab; keys -l first@example.com; keys C-o
sees "the filter is in force" 'sender=first@example\.com'
sees_not "only the matching row" 'second@exam'
keys '\'
esc_quick "the filter form" 'Queue ID: _' '\'
sees "Esc left the filter as it was" 'sender=first@example\.com'
keys '\'
wait_for 'Queue ID: _'
keys Tab Tab C-u C-o
sees "an empty filter shows every message" 'second@exam'

# A row in full.
select_row "the first message's row" "^x?$id1 "
keys Enter
sees "Enter shows the row" 'subject +archived one'
sees "... with its queue ID" 'queue_id +[0-9A-Z]+'
esc_quick "the row" 'subject +archived one' Enter

# Export: the path asked, the file written whole.
keys x
sees "x asks where to write it" "Write message $id1 to the file"
sees "offering a name" "message-$id1\.eml_"
resize_tour "the export dialog" '> Archive '
esc_quick "the export dialog" "Write message $id1" x
keys x
wait_for "Write message $id1"
keys C-u; keys -l "$T/exports/one.eml"; keys Enter
sees "it says where it wrote" "message $id1 written to \S*/exports/one\.eml"
ctl archive export "$id1" >"$T/ctl.eml"
ok "the file holds the bytes outfilterctl exports" cmp "$T/exports/one.eml" "$T/ctl.eml"
is "and nothing else is left beside it" "one.eml" "$(ls "$T/exports")"
keys x
wait_for "Write message $id1"
keys C-u; keys -l "$T/exports/one.eml"; keys Enter
sees "an existing file: it asks, naming it" "$T/exports/one\.eml exists: replace it"
keys Enter
sees "Enter on the untouched question replaces nothing" 'nothing written'
keys x
wait_for "Write message $id1"
keys C-u; keys -l "$T/exports/one.eml"; keys Enter
wait_for 'exists: replace it'
esc_quick "the question" 'exists: replace it'
printf 'old\n' >"$T/exports/one.eml"
keys x
wait_for "Write message $id1"
keys C-u; keys -l "$T/exports/one.eml"; keys Enter
wait_for 'exists: replace it'
keys Tab Enter
sees "Replace writes it" "message $id1 written to"
ok "replaced by the message" cmp "$T/exports/one.eml" "$T/ctl.eml"
keys x
wait_for "Write message $id1"
keys C-u; keys -l "$T/none/two.eml"; keys Enter
sees "an unwritable path: refused" \
    "Error: message $id1 not written: cannot write /"
# The whole message on a wide terminal.
tx resize-window -x 200 -y 24
sees "... saying why" "cannot write $T/none/two\.eml: No such file or directory \[Enter\]"
tx resize-window -x 80 -y 24
keys Enter

# v: the message in $PAGER, then the list again.
keys v
sees "the list is back after the pager" "^x?$id1 "
for _ in $(seq 50); do [ -s "$T/paged.eml" ] && break; sleep 0.1; done
ok "the pager was given the message" cmp "$T/paged.eml" "$T/ctl.eml"
is "the console has the terminal again" 1 "$(alt_screen)"
is "the viewed copy is removed" "" "$(ls "$T/tmp")"

tui_quit
tui_done
