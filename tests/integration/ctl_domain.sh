#!/usr/bin/env bash
# Domains through outfilterctl: add, list, show, enable, disable, delete,
# and the refusals with their exit codes.
. "$OF_SRCDIR/tests/integration/lib.sh"
of_start

ok "domain add" ctl domain add example.com --admin-contact postmaster@example.com
ok "domain show" ctl domain show example.com
has "a new domain's outgoing filter is off" '(active|enabled|filter)[^a-z]*:?[[:space:]]*(no|off|false)'
has "show names the admin contact" 'postmaster@example.com'
fails 65 "a duplicate domain is refused" 'example.com.*(exists|duplicate)' \
	ctl domain add example.com
fails 65 "an invalid domain name is refused, naming it" 'exa mple' \
	ctl domain add 'exa mple'
fails 65 "an unknown domain is reported" 'nosuch.example.*(not found|unknown|no such)' \
	ctl domain show nosuch.example
ok "domain add with upper case" ctl domain add Other.EXAMPLE
ok "domain list" ctl domain list
has "list shows both domains (lower-cased)" 'other\.example'
has "list shows example.com" 'example\.com'
ok "domain enable" ctl domain enable example.com
ok "domain show --json" ctl --json domain show example.com
is "the filter is on after enable" "True" "$(jget 'bool(j.get("active", j.get("enabled")))')"
ok "domain list --active" ctl --json domain list --active
is "only the active domain is listed" '["example.com"]' "$(jget '[i["domain"] if "domain" in i else i["name"] for i in j["items"]]')"
ok "domain disable" ctl domain disable example.com
ok "domain set admin contact" ctl domain set example.com --admin-contact hostmaster@example.com
ok "domain show after set" ctl domain show example.com
has "the new contact is shown" 'hostmaster@example.com'
fails 65 "a bad admin contact is refused" 'admin.contact|address' \
	ctl domain set example.com --admin-contact 'not an address'
ok "domain del" ctl domain del other.example
fails 65 "a deleted domain is gone" 'not found|unknown|no such' ctl domain show other.example
of_done
