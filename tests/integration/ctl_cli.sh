#!/usr/bin/env bash
# outfilterctl's command line: help and usage from the command table,
# abbreviations, sysexits codes, --json, an absent daemon.
. "$OF_SRCDIR/tests/integration/lib.sh"

# Before any daemon runs.
of_config
ok "--help" "$OUTFILTERCTL" --help
for name in $(sed -n 's/^CMD([a-z_]*, "\([a-z.-]*\)".*/\1/p' "$OF_SRCDIR/ipc/commands.def"); do
	words=${name//./ }
	if ! grep -q -- "$words" "$OUT"; then
		of_result 1 "--help lists $words"
	fi
done
of_result 0 "--help lists every command of the table"
ok "--version" "$OUTFILTERCTL" --version
has "--version names the program" 'outfilterctl'
fails 69 "an absent daemon: exit 69 naming the socket" "$T/run/control|not running|unreachable" \
	ctl status
fails 64 "an unknown command: exit 64" 'nosuchcmd' ctl nosuchcmd
fails 64 "an ambiguous abbreviation names the candidates" 'could be.*(list.*lock|lock.*list)' \
	"$OUTFILTERCTL" -c "$T/outfilterd.conf" user l
fails 78 "a missing config file: exit 78 naming it" 'no-such\.conf' \
	"$OUTFILTERCTL" -c "$T/no-such.conf" status

of_launch
ok "status" ctl status
ok "status --json" ctl --json status
is "status --json is one JSON object" 'dict' "$(jget 'type(j).__name__')"
ok "abbreviated words" ctl dom a example.com
ok "abbreviated list" ctl --json dom li
is "the abbreviated add worked" '1' "$(jget 'len(j["items"])')"
fails 64 "a missing argument names it" 'DOMAIN|domain' ctl domain add
fails 64 "an unknown option names it" '--bogus' ctl domain add x.example --bogus y
fails 64 "a setting without = is a usage error" 'KEY=VALUE|=' ctl user set someone limit.day
ok "help of one command" ctl domain add --help
has "it shows the synopsis" 'domain add DOMAIN'
has "and the option" '--admin-contact'
ok "help of a group" ctl help user
has "lists the group's commands" 'user add ip'
has "with their help lines" 'IP user'
fails 65 "a daemon refusal exits 65" 'nosuch' ctl domain show nosuch.example
ok "the endpoint can be given directly" "$OUTFILTERCTL" --endpoint "ipc://$T/run/control" status
ok "config show" ctl --json config show
is "config show lists the endpoint as set" "ipc://$T/run/control" \
	"$(jget '[i["value"] for i in j["items"] if i["key"]=="endpoint"][0]')"
of_done
