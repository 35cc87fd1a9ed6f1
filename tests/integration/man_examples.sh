# Every example of the manual runs and does what its text says.
#
# outfilter(7) and outfilterctl(8): in EXAMPLES, the lines of ".Bd -literal"
# blocks that start with "# " are commands (a root prompt), run in order in
# one shell per page against a fresh private daemon; each ".Ss" is one
# workflow.  The other lines of a block are output: each must match a line
# the command printed (blanks collapsed, "..." standing for any text).  A
# command whose shown output starts with "outfilterctl:" must fail; every
# other command must exit 0.  Before running, outfilterctl is a function
# talking to the test daemon, /var/lib/outfilter is its state directory,
# /run/outfilter its run directory, HOME a private directory.
#
# outfilter-ipc(7): the Python client of EXAMPLES runs against the daemon.
. "$OF_SRCDIR/tests/integration/lib.sh"

MAN=$OF_SRCDIR/man
command -v openssl >/dev/null || { echo "1..0 # SKIP openssl is not installed"; exit 0; }

# examples PAGE: turn the examples of PAGE into $T/run.sh (one block of
# output per command, between \036 markers) and $T/expect (JSON).
examples() {
	/usr/bin/python3 - "$MAN/$1" "$T" <<'PY'
import json, re, sys

page, tdir = sys.argv[1], sys.argv[2]

def unescape(s):
    return (s.replace("\\&", "").replace("\\-", "-").replace("\\e", "\\")
            .replace("\\(dq", '"'))

cmds, inside, block, title = [], False, False, "EXAMPLES"
for line in open(page).read().split("\n"):
    if line.startswith(".Sh "):
        inside = line.strip() == ".Sh EXAMPLES"
    elif not inside:
        continue
    elif line.startswith(".Ss "):
        title = line[4:].strip().strip('"')
    elif line.startswith(".Bd -literal"):
        block = True
    elif line.startswith(".Ed"):
        block = False
    elif block and line.startswith("# "):
        cmds.append({"workflow": title, "cmd": unescape(line[2:]), "out": []})
    elif block and cmds:
        cmds[-1]["out"].append(unescape(line))

rewrite = [("/var/lib/outfilter", tdir + "/lib"), ("/run/outfilter", tdir + "/run"),
           ("/etc/outfilter/outfilterd.conf", tdir + "/outfilterd.conf")]
script = ["outfilterctl() { \"$OUTFILTERCTL\" -c \"$T/outfilterd.conf\" \"$@\"; }",
          "mkdir -p \"$T/work\" \"$T/home\"; cd \"$T/work\"; export HOME=\"$T/home\"",
          "of_rc=0"]
for i, c in enumerate(cmds):
    run = c["cmd"]
    for old, new in rewrite:
        run = run.replace(old, new)
    c["run"] = run
    # $? of a command is the status of the one before, as at a prompt.
    script += ["printf '\\036%d\\n' %d" % (i, i),
               "(exit $of_rc); {\n%s\n} </dev/null 2>&1; of_rc=$?" % run,
               "printf '\\n\\036rc %d\\n' \"$of_rc\""]
open(tdir + "/run.sh", "w").write("\n".join(script) + "\n")
json.dump(cmds, open(tdir + "/expect", "w"))
PY
}

# judge PAGE: compare $T/ran (the output of run.sh) with $T/expect.
judge() {
	/usr/bin/python3 - "$1" "$T/expect" "$T/ran" <<'PY'
import json, re, sys

page, cmds, ran = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read()

def norm(s):
    return " ".join(s.split())

def matches(want, line):
    parts = [re.escape(norm(p)) for p in want.split("...")]
    return re.fullmatch(r"\s*" + r".*".join(parts) + r"\s*", norm(line)) is not None

got = {}
for m in re.finditer(r"\x1e(\d+)\n(.*?)\n?\x1erc (\d+)\n", ran, re.S):
    got[int(m.group(1))] = (m.group(2), int(m.group(3)))
for i, c in enumerate(cmds):
    what = "%s, %s: %s" % (page, c["workflow"], c["cmd"])
    if i not in got:
        print("1\t%s\tit did not run (an earlier command ended the shell?)" % what)
        continue
    out, rc = got[i]
    lines = out.split("\n")
    refusal = any(l.startswith("outfilterctl:") for l in c["out"])
    bad = []
    if refusal and rc == 0:
        bad.append("the page shows a refusal, but it exited 0")
    if not refusal and rc != 0:
        bad.append("exit status %d" % rc)
    for want in c["out"]:
        if want.strip() and not any(matches(want, l) for l in lines):
            bad.append("no output line matches: " + want.strip())
    if bad:
        bad.append("it printed: " + " | ".join(lines[:25]))
    print("%d\t%s\t%s" % (1 if bad else 0, what, "; ".join(bad).replace("\t", " ")))
if not cmds:
    print("1\t%s has commands in EXAMPLES\t" % page)
PY
}

for page in outfilterctl.8 outfilter.7; do
	of_stop
	rm -rf "$T/lib" "$T/run" "$T/outbox" "$T/work" "$T/home"
	of_start '[control]' "super_uids = 0, $(id -u)"
	examples "$page" || of_bail "cannot read the examples of $page"
	OUTFILTERCTL=$OUTFILTERCTL T=$T bash "$T/run.sh" >"$T/ran" 2>&1
	judge "$page" >"$T/results" || of_bail "cannot judge the examples of $page"
	while IFS=$'\t' read -r st what detail; do
		of_result "$st" "$what" "$detail"
	done <"$T/results"
done

# The Python client of outfilter-ipc(7), against the daemon still running.
if /usr/bin/python3 -c 'import zmq' 2>/dev/null; then
	/usr/bin/python3 - "$MAN/outfilter-ipc.7" "$T" >"$T/client.py" <<'PY'
import sys
inside, block, out = False, None, []
for line in open(sys.argv[1]).read().split("\n"):
    if line.startswith(".Sh "):
        inside = line.strip() == ".Sh EXAMPLES"
    elif inside and line.startswith(".Bd -literal") and block is None:
        block = True
    elif block and line.startswith(".Ed"):
        break
    elif block:
        out.append(line.replace("\\e", "\\").replace("\\&", ""))
print("\n".join(out).replace("ipc:///run/outfilter/", "ipc://%s/run/" % sys.argv[2]))
PY
	ok "the Python client of outfilter-ipc(7) runs" /usr/bin/python3 "$T/client.py"
	has "it logs in as the local super-admin" '^super$'
	has "it lists the domains page by page" '^example\.net on$'
else
	echo "ok - the Python client of outfilter-ipc(7) # SKIP pyzmq is not installed"
fi

of_done
