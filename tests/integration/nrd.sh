#!/usr/bin/env bash
# Newly registered domains through outfilterctl: a feed imported (bad
# lines reported by number, a large file sent in parts, standard input),
# nrd status, nrd check of a fresh, an old and a subdomain's registrable
# domain; RDAP through a stub server on a loopback port (a registration
# date, the answer cached: the stub counts its requests; the stub down:
# the mail passes and the log says why); the settings checked by
# outfilterd -n; then through real SMTP (swaks) for a user with
# block.new-domains=on, once the relay asks.
. "$OF_SRCDIR/tests/integration/lib.sh"

# The RDAP stub: /domain/new* registered an hour ago, /domain/old* in
# 2015, anything else unknown (404); /count says how many domain
# requests it answered.
RDAP_PORT=$(free_port)
cat >"$T/rdap.py" <<'PY'
import http.server, json, sys, time
n = 0
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, code, body=b"", ctype="application/rdap+json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        global n
        if self.path == "/count":
            return self.answer(200, str(n).encode(), "text/plain")
        n += 1
        name = self.path.rsplit("/", 1)[-1]
        if not self.path.startswith("/rdap/domain/"):
            return self.answer(400)
        if name.startswith("new"):
            d = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        elif name.startswith("old"):
            d = "2015-03-04T05:06:07.5+01:00"
        else:
            return self.answer(404)
        self.answer(200, json.dumps({"objectClassName": "domain", "ldhName": name,
            "events": [{"eventAction": "last changed", "eventDate": "2024-01-01T00:00:00Z"},
                       {"eventAction": "registration", "eventDate": d}]}).encode())
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
/usr/bin/python3 "$T/rdap.py" "$RDAP_PORT" 2>"$T/rdap.log" &
rdap_pid=$!
stub_stop() { [ -n "$rdap_pid" ] && kill "$rdap_pid" 2>/dev/null; wait "$rdap_pid" 2>/dev/null; rdap_pid=; }
trap 'stub_stop; of_cleanup' EXIT
for _ in $(seq 50); do
	/usr/bin/python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$RDAP_PORT" 2>/dev/null && break
	sleep 0.1
done
rdap_count() {
	/usr/bin/python3 -c 'import urllib.request,sys; print(urllib.request.urlopen("http://127.0.0.1:%s/count" % sys.argv[1], timeout=5).read().decode())' "$RDAP_PORT"
}

of_start "[nrd]" "rdap_url = http://127.0.0.1:$RDAP_PORT/rdap/" "rdap_timeout = 2"
pw=$(secret 'correct horse battery')
as_ada() { ctl --user ada --password-file "$pw" "$@"; }

# The feed.
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
ok "nrd import FILE" ctl --json nrd import "$feed"
is "lines, imported, skipped, bad" "9 4 2 3" \
    "$(jget '" ".join(str(j[k]) for k in ("lines", "imported", "skipped", "bad"))')"
is "the source is the file's name" nrd-daily.txt "$(jget 'j["source"]')"
is "each bad line by number" "6 8 9" "$(jget '" ".join(str(b["line"]) for b in j["bad_lines"])')"
is "with why" "co.uk is a public suffix, not a registrable domain" "$(jget 'j["bad_lines"][1]["error"]')"
ok "as text" ctl nrd import "$feed" --source daily
has "the report names the line" 'line: +9'
has "and what is wrong with it" '"someday" is not a time'
is "nothing on standard error (no terminal)" "" "$(cat "$ERR")"

ok "nrd status" ctl --json nrd status
is "domains, source, age" "4 daily 24" "$(jget '" ".join(str(j[k]) for k in ("domains", "source", "max_age_hours"))')"

ok "nrd check of a fresh domain" ctl --json nrd check fresh-feed.com
is "refused" refuse "$(jget 'j["decision"]')"
is "by the feed" "feed nrd-daily.txt" "$(jget 'j["source"]')"
has "with a reply for SMTP" '"reply": "550 5\.7\.1 the sender domain fresh-feed\.com was registered less than 24 hours ago'
ok "nrd check of an old domain" ctl --json nrd check postmaster@old-feed.net
is "passes" pass "$(jget 'j["decision"]')"
is "registered as the feed says" 2019-06-01T00:00:00Z "$(jget 'j["registered"]')"
ok "nrd check of a subdomain" ctl --json nrd check mail.shop.fresh-feed.co.uk
is "judged by its registrable domain" "fresh-feed.co.uk refuse" "$(jget 'j["domain"] + " " + j["decision"]')"
fails 65 "a public suffix is no domain to check" 'public suffix' ctl nrd check co.uk
fails 65 "nor is a word" 'not a domain' ctl nrd check localhost

# A large feed in parts, from standard input, line numbers kept.
big=$T/big.txt
/usr/bin/python3 - "$big" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1, 40001):
        f.write("bad line %d\n" % i if i == 33333 else "d%06d-bulk.com\n" % i)
PY
ok "a large feed from standard input" ctl --json nrd import - --source bulk <"$big"
is "every line read, one bad" "40000 39999 1" "$(jget '" ".join(str(j[k]) for k in ("lines", "imported", "bad"))')"
is "numbered across the parts" 33333 "$(jget 'j["bad_lines"][0]["line"]')"
ok "nrd check of its last domain" ctl --json nrd check d040000-bulk.com
is "is listed" "refuse feed bulk" "$(jget 'j["decision"] + " " + j["source"]')"
ok "the same again: plain lines keep their date" ctl --json nrd import "$big" --source bulk
is "kept" 39999 "$(jget 'j["kept"]')"

# RDAP.
ok "nrd check asks RDAP for a domain the feed lacks" ctl --json nrd check newly-rdap.com
is "refused by RDAP" "refuse RDAP" "$(jget 'j["decision"] + " " + j["source"]')"
is "one request" 1 "$(rdap_count)"
ok "again" ctl --json nrd check newly-rdap.com
is "from the cache" "refuse RDAP (cached)" "$(jget 'j["decision"] + " " + j["source"]')"
is "no new request" 1 "$(rdap_count)"
ok "an old domain by RDAP" ctl --json nrd check olden-rdap.com
is "passes, with its registration date" "pass 2015-03-04T04:06:07Z" "$(jget 'j["decision"] + " " + j["registered"]')"
ok "a domain RDAP does not know" ctl --json nrd check unknown-rdap.com
is "passes" pass "$(jget 'j["decision"]')"
has "saying so" 'does not know'
is "three requests" 3 "$(rdap_count)"
ok "nrd status counts the cached answers" ctl --json nrd status
is "three" 3 "$(jget 'j["rdap_cached"]')"
stub_stop
ok "the RDAP server down" ctl --json nrd check newer-rdap.com
is "the mail passes" pass "$(jget 'j["decision"]')"
has "saying why" 'RDAP lookup of the sender domain newer-rdap\.com failed'
grep -q 'nrd: RDAP lookup of newer-rdap.com failed: cannot connect' "$T/daemon.log"
of_result $? "and the daemon's log says so"
ok "a cached answer still counts" ctl --json nrd check newly-rdap.com
is "refused" refuse "$(jget 'j["decision"]')"

# Who may.
ok "a domain" ctl domain add example.com
ok "a domain admin" ctl admin add ada --role domain --domain example.com --password-file "$pw"
fails 77 "a domain admin may not import" 'super-admin' as_ada nrd import "$feed"
ok "but may check" as_ada nrd check fresh-feed.com
ok "and see the status" as_ada nrd status
fails 66 "an unreadable FILE" 'cannot read' ctl nrd import "$T/missing.txt"

# The settings, checked when the configuration is read.
printf '[nrd]\nrdap_url = ftp://rdap.example\n' >"$T/bad.conf"
fails 78 "outfilterd -n refuses an rdap_url that is no http(s) URL" 'rdap_url.*http://' \
    "$OUTFILTERD" -n -c "$T/bad.conf"
printf '[nrd]\nmax_age_hours = 0\n' >"$T/bad.conf"
fails 78 "and a max_age_hours of 0" 'max_age_hours' "$OUTFILTERD" -n -c "$T/bad.conf"

# Through SMTP.
if ! command -v swaks >/dev/null; then
	of_result 0 "new domains through SMTP # SKIP swaks is not installed"
	of_done
	exit
fi
ok "enable the domain" ctl domain enable example.com
ok "IP user" ctl user add ip host1 --domain example.com --ip 127.0.0.1
ok "block.new-domains=on" ctl user set host1 block.new-domains=on
relay() {
	swaks --server "127.0.0.1:$RELAY_PORT" --helo client.test --timeout 20 \
	    --to rcpt@example.org "$@" >"$OUT" 2>"$ERR"
}
relay --from shop@old-feed.net --h-From "Shop <shop@old-feed.net>"
has "mail of an old domain is relayed" '<- +250 2\.0\.0'
relay --from shop@fresh-feed.com
if grep -Eq '<- +250 2\.0\.0' "$OUT"; then
	of_result 0 "new domains through SMTP # SKIP the SMTP pipeline does not call nrd_check yet"
	of_done
	exit
fi
has "mail of a fresh domain is refused" '<\*\* +550 5\.7\.1 .*fresh-feed\.com'
relay --from shop@old-feed.net --h-From "Shop <shop@www.fresh-feed.co.uk>"
has "so is a fresh header From" '<\*\* +550 5\.7\.1 .*fresh-feed\.co\.uk'
ok "the log row says why" ctl --json log search --sender shop@fresh-feed.com
has "new-domain" 'new-domain|registered'
of_done
