#!/usr/bin/env bash
# The console's newly-registered-domains screen against a private daemon:
# the feed's state; a feed file imported (bad lines reported by number), a
# large one sent in parts with the same numbers outfilterctl gets; a
# domain checked as the relay would, a bad one refused with the daemon's
# message; a domain admin checks but is not offered the import; the resize
# tour, the help and Esc.
. "$OF_SRCDIR/tests/integration/lib.sh"
. "$OF_SRCDIR/tests/integration/tui.bash"

of_start
feed=$T/nrd-daily.txt
cat >"$feed" <<'EOF'
# newly registered domains of the day
fresh-feed.com
old-feed.net,2019-06-01
www.fresh-feed.co.uk

this is no domain
dated-feed.org,1700000000
co.uk
late-feed.info,someday
EOF
# 200 000 domains (over 3 MB: many parts), a line too long for a part,
# and one after it.
big=$T/big-feed.txt
/usr/bin/python3 - "$big" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(200000):
        f.write("big-%06d.com\n" % i)
    f.write("x" * 100000 + "\n")
    f.write("after-the-long-line.org\n")
PY

tui_start
sees "the console opens" 'Outgoing > Manage users'
menu() {
	keys Escape
	wait_for '^ Main menu +' 2
	select_row "menu: $1" "^ ?$1 " && keys Enter
}
menu 'Newly registered domains'
sees "the feed's state" 'domains +0'
sees "... with the age that counts as new" 'max_age_hours +24'
resize_tour "the screen" '> Newly registered domains '
help_matches_footer "nrd: F1 help names every footer hint"

keys i
sees "i asks for the file" 'Import feed lines \(DOMAIN or DOMAIN,REGISTERED-AT\) from the file'
esc_quick "the file dialog" 'Import feed lines' i
keys i
wait_for 'Import feed lines'
keys -l "$T/none.txt"; keys Enter
sees "a missing file: refused, saying why" 'Error: cannot read \S*/none\.txt: No such'
keys Enter
keys i
wait_for 'Import feed lines'
keys -l "$feed"; keys Enter
sees "imported: lines, imported, bad" 'nrd-daily\.txt: 9 lines, 4 imported, 3 bad'
sees "the report names the file" 'Import of .*nrd-daily\.txt'
sees "... each bad line by number" 'line 6: want DOMAIN'
keys G
sees "... the others too (End shows the last line)" 'line 9: "someday" is not a time'
sees "the feed's state follows" 'domains +4'
sees "... with the source" 'source +nrd-daily\.txt'
resize_tour "the report" '> Newly registered domains '

keys i
wait_for 'Import feed lines'
keys -l "$big"; keys Enter
sees "a large file in parts: the numbers add up" \
    'big-feed\.txt: 200002 lines, 200001 imported, 1 bad' 60
sees "the line too long is reported by its number" 'line 200001: '
ok "outfilterctl nrd check" ctl --json nrd check after-the-long-line.org
is "the line after the long one is in" refuse "$(jget 'j["decision"]')"
ok "outfilterctl imports the same file" ctl --json nrd import "$big"
is "with the same numbers" "200002 1 [200001]" \
    "$(jget '"%d %d %s" % (j["lines"], j["bad"], [b["line"] for b in j["bad_lines"]])')"

keys c
sees "c asks for a domain" 'Check a domain or an e-mail address'
esc_quick "the check dialog" 'Check a domain' c
keys c
wait_for 'Check a domain'
keys -l www.fresh-feed.co.uk; keys Enter
sees "the answer is shown, for the registrable domain" 'Check of fresh-feed\.co\.uk'
sees "... with the decision" 'decision +refuse'
sees "... and the message line says it" '^fresh-feed\.co\.uk: refuse'
keys c
wait_for 'Check a domain'
keys -l 'no domain'; keys Enter
sees "a bad domain: the daemon's message" 'Error: "no domain" is not a domain name'
keys Enter
tui_quit

# A domain admin checks, and is not offered the import.
ctl domain add example.com >/dev/null
dpw=$(secret 'domain admin secret')
ok "a domain admin" ctl admin add dom1 --role domain --domain example.com --password-file "$dpw"
creds=$T/creds
printf 'user = dom1\npassword = domain admin secret\n' >"$creds"
chmod 600 "$creds"
tui_stop
TUI_ENV="OUTFILTER_CREDENTIALS=$creds" tui_start
sees "logged in as the domain admin" 'dom1 \(domain admin\)' 10
menu 'Newly registered domains'
sees "the feed's state" 'domains +200005'
is "the footer offers no import" 0 "$(footer | grep -c 'i Import')"
help_matches_footer "nrd, domain admin: F1 help names every footer hint"
keys i
sees_not "i does nothing" 'Import feed lines'
keys c
wait_for 'Check a domain'
keys -l old-feed.net; keys Enter
sees "the domain admin checks" 'decision +pass'
tui_quit
tui_done
