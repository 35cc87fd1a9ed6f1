#!/usr/bin/env bash
# outfilterd's life: -n config check naming file:line, --init twice,
# one instance per pid file, SIGHUP with a broken config, SIGTERM.
. "$OF_SRCDIR/tests/integration/lib.sh"
of_config
conf=$T/outfilterd.conf

ok "-n accepts a config with only the basic keys" "$OUTFILTERD" -n -c "$conf"
has "-n says so" 'configuration OK'
bad=$T/bad.conf
cp "$conf" "$bad"; printf '[smtp]\nno_such_key = 1\n' >>"$bad"
fails 78 "-n names file:line and the unknown key" "bad\.conf:1[0-9]:.*no_such_key" \
	"$OUTFILTERD" -n -c "$bad"
cp "$conf" "$bad"; printf '[nosection]\nx = 1\n' >>"$bad"
fails 78 "an unknown section is named" "bad\.conf:1[0-9]:.*nosection" "$OUTFILTERD" -n -c "$bad"
cp "$conf" "$bad"; printf '[relay]\nnext_hop = maildir:/tmp/x\n' >>"$bad"
fails 78 "a duplicate key is named" "bad\.conf:1[0-9]:.*next_hop" "$OUTFILTERD" -n -c "$bad"
printf '[control]\nmax_frame = lots\n' >"$bad"
fails 78 "a bad number is named" "bad\.conf:2:.*max_frame" "$OUTFILTERD" -n -c "$bad"
printf '[smtp]\nrelay_listen = 127.0.0.1:99999\n' >"$bad"
fails 78 "a bad listen address is named" "bad\.conf:2:.*relay_listen" "$OUTFILTERD" -n -c "$bad"
fails 78 "a missing config file is named" 'nosuch\.conf' "$OUTFILTERD" -n -c "$T/nosuch.conf"
ok "--help" "$OUTFILTERD" --help
has "--help lists --init" '--init'

ok "--init" "$OUTFILTERD" -c "$conf" --init
has "--init says where the password is" 'admin\.password'
hasnt "--init does not print the password" "$(cat "$T/lib/admin.password")"
is "the database exists" yes "$([ -f "$T/lib/outfilter.db" ] && echo yes)"
is "the password file is 0600" 600 "$(stat -c %a "$T/lib/admin.password")"
is "the database is 0600" 600 "$(stat -c %a "$T/lib/outfilter.db")"
pwbefore=$(cat "$T/lib/admin.password")
of_launch
ok "domain add" ctl domain add keep.example
of_stop
is "SIGTERM stops the daemon with status 0" 0 "$of_status"
is "the pid file is gone" no "$([ -e "$T/run/outfilterd.pid" ] && echo yes || echo no)"
ok "--init a second time" "$OUTFILTERD" -c "$conf" --init
is "it keeps the admin password" "$pwbefore" "$(cat "$T/lib/admin.password")"
of_launch
ok "the data survived --init and the restart" ctl domain show keep.example

fails 75 "a second daemon on the same pid file refuses to start" 'already running' \
	"$OUTFILTERD" -d -c "$conf"
ok "the first still answers" ctl status

# SIGHUP with a broken config keeps the running one.
cp "$conf" "$conf.good"
printf '[smtp]\nbogus = 1\n' >>"$conf"
kill -HUP "$of_pid"; sleep 0.3
ok "after SIGHUP with a broken config the daemon still answers" ctl status
is "and still runs" yes "$(kill -0 "$of_pid" 2>/dev/null && echo yes)"
ok "it logged why it kept the old config" grep -Eq 'bogus' "$T/daemon.log"
cp "$conf.good" "$conf"
kill -HUP "$of_pid"; sleep 0.3
ok "SIGHUP with a good config is fine" ctl status
of_done
