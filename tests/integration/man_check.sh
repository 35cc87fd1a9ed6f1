# The manual pages against the tables they document: mandoc -Tlint reports
# nothing, and the commands of ipc/commands.def, the settings of
# daemon/settings.def and the per-user settings of ipc/usersettings.def are
# exactly those the pages list (nothing missing, nothing stale).
#
# The markup the checks read (each page's first comment says the same):
#   outfilterctl.8      ".It Cm WORD ..." in COMMANDS, one per command, its
#                       options on that line as "Fl -name"
#   outfilter-ipc.7     ".It Li NAME" in COMMANDS, then ".It Va KEY" per
#                       argument
#   outfilterd.conf.5   ".It Cm KEY" under ".Ss [SECTION]" in SETTINGS, the
#                       default after "Default:"
#   outfilter.7         ".It Cm KEY" under ".Ss GROUP" in USER SETTINGS
# The tables are read through the C preprocessor, as the programs read them.
. "$OF_SRCDIR/tests/integration/lib.sh"

MAN=$OF_SRCDIR/man
PAGES="outfilterd.8 outfilterctl.8 outfilter-tui.8 outfilterd.conf.5 outfilter.7 outfilter-ipc.7"

if command -v mandoc >/dev/null; then
	for p in $PAGES; do
		if [ ! -f "$MAN/$p" ]; then
			of_result 1 "man/$p exists"
			continue
		fi
		lint=$(cd "$MAN" && mandoc -Tlint -W warning "$p" 2>&1)
		is "mandoc -Tlint -W warning $p reports nothing" "" "$lint"
	done
else
	echo "ok - mandoc -Tlint # SKIP mandoc is not installed"
fi

# cpp DEF MACRO-DEFINITIONS: the .def expanded by the preprocessor.
expand() {
	local def=$1; shift
	printf '%s\n' "$@" "#include \"$def\"" |
	    ${CC:-cc} -E -P -x c -I"$OF_SRCDIR/ipc" -I"$OF_SRCDIR/daemon" - 2>"$ERR"
}

expand commands.def \
    '#define ARG(key, flag, metavar, type, req, help) OFARG key flag' \
    '#define CMD(id, name, role, flags, help, args) OFCMD name args OFEND' \
    >"$T/commands" || of_bail "cannot expand ipc/commands.def: $(cat "$ERR")"
expand settings.def \
    '#define SETTING(sec, key, type, def, min, max, flags, help) OFSET sec key def OFEND' \
    >"$T/settings" || of_bail "cannot expand daemon/settings.def: $(cat "$ERR")"
expand usersettings.def \
    '#define USET(key, type, def, min, max, choices, group, help) OFUSET key def group OFEND' \
    >"$T/usersettings" || of_bail "cannot expand ipc/usersettings.def: $(cat "$ERR")"

# Each check prints "STATUS<TAB>WHAT<TAB>DETAIL" (STATUS 0 is a pass).
/usr/bin/python3 - "$T" "$MAN" >"$T/results" <<'PY' || of_bail "the page checker failed"
import re, sys, shlex

tdir, man = sys.argv[1], sys.argv[2]

def result(ok, what, detail=""):
    print("%d\t%s\t%s" % (0 if ok else 1, what, detail.replace("\t", " ").replace("\n", " | ")))

def tokens(path, macro):
    """The records of an expanded .def: lists of C tokens after MACRO."""
    text = open(path).read()
    out = []
    for rec in re.findall(macro + r"\s+(.*?)\s*OFEND", text, re.S):
        out.append(shlex.split(rec, posix=True))
    return out

def unescape(s):
    return (s.replace("\\&", "").replace("\\-", "-").replace("\\e", "\\")
            .replace("\\(dq", '"'))

def section(page, title):
    """The lines of section .Sh TITLE of a page."""
    lines, inside = [], False
    for line in open("%s/%s" % (man, page)).read().split("\n"):
        if line.startswith(".Sh "):
            inside = line[4:].strip().strip('"') == title
            continue
        if inside:
            lines.append(line)
    return lines

def compare(what, table, page, plural):
    missing = sorted(set(table) - set(page))
    stale = sorted(set(page) - set(table))
    dup = sorted({x for x in page if page.count(x) > 1})
    detail = []
    if missing:
        detail.append("missing from the page: " + ", ".join(missing))
    if stale:
        detail.append("on the page but not in the table: " + ", ".join(stale))
    if dup:
        detail.append("documented twice: " + ", ".join(dup))
    result(not detail and len(table) > 0, "%s: the %d %s of the table, no more"
           % (what, len(table), plural), "; ".join(detail))

# --- commands -------------------------------------------------------------
cmds = {}
for rec in tokens(tdir + "/commands", "OFCMD"):
    name, rest, args = rec[0], rec[1:], []
    for i in range(0, len(rest), 3):
        assert rest[i] == "OFARG", rec
        args.append((rest[i + 1], None if rest[i + 2] == "NULL" else rest[i + 2]))
    cmds[name] = args

ctl, ctl_flags = [], {}
for line in section("outfilterctl.8", "COMMANDS"):
    if not line.startswith(".It Cm "):
        continue
    words = line.split()[2:]
    n = 0
    while n < len(words) and re.fullmatch(r"[a-z][a-z0-9-]*", words[n]):
        n += 1
    name = ".".join(words[:n])
    ctl.append(name)
    ctl_flags[name] = {"-" + w for i, w in enumerate(words)
                       if i > 0 and words[i - 1] == "Fl"}
compare("outfilterctl(8) COMMANDS", list(cmds), ctl, "commands")

bad = []
for name in sorted(set(cmds) & set(ctl_flags)):
    want = {f for k, f in cmds[name] if f}
    got = ctl_flags[name]
    if want != got:
        bad.append("%s: %s%s" % (name.replace(".", " "),
            "missing " + " ".join(sorted(want - got)) if want - got else "",
            " stale " + " ".join(sorted(got - want)) if got - want else ""))
result(not bad, "outfilterctl(8): every command's line shows exactly its options",
       "; ".join(bad))

ipc, ipc_args, cur = [], {}, None
for line in section("outfilter-ipc.7", "COMMANDS"):
    m = re.match(r"\.It Li (\S+)$", line)
    if m:
        cur = m.group(1)
        ipc.append(cur)
        ipc_args[cur] = []
        continue
    m = re.match(r"\.It Va (\S+)", line)
    if m and cur is not None:
        ipc_args[cur].append(m.group(1))
compare("outfilter-ipc(7) COMMANDS", list(cmds), ipc, "commands")

bad = []
for name in sorted(set(cmds) & set(ipc_args)):
    want = [k for k, f in cmds[name]]
    got = ipc_args[name]
    if sorted(want) != sorted(got):
        bad.append("%s: %s%s" % (name,
            "missing " + " ".join(sorted(set(want) - set(got))) if set(want) - set(got) else "",
            " stale " + " ".join(sorted(set(got) - set(want))) if set(got) - set(want) else ""))
result(not bad, "outfilter-ipc(7): every command lists exactly its arguments",
       "; ".join(bad))

# --- entries: ".It Cm KEY" with the text up to the next item --------------
def entries(lines, sub):
    """{(subsection, key): text} of the .It Cm items, in order."""
    out, order, cur, ss = {}, [], None, ""
    for line in lines:
        if line.startswith(".Ss "):
            ss, cur = line[4:].strip().strip('"'), None
            continue
        m = re.match(r"\.It Cm (\S+)", line)
        if m:
            cur = (sub(ss), m.group(1))
            order.append(cur)
            out[cur] = ""
        elif line.startswith((".It", ".El")):
            cur = None if line.startswith(".El") else cur
        elif cur is not None:
            out[cur] += unescape(line) + "\n"
    return out, order

def defaults_shown(what, table, texts, name):
    bad = []
    for key, default in table:
        text = texts.get(key)
        if text is None or default == "":
            continue
        m = re.search(r"Default:\s*(?:\.Ql\s+)?(\S+)", text, re.I)
        shown = m.group(1).rstrip(".") if m else None
        if shown != default:
            bad.append("%s: default %s, the page says %s"
                       % (name(key), default,
                          shown if shown is not None else "nothing"))
    result(not bad, "%s: every default as in the table" % what, "; ".join(bad))

# --- outfilterd.conf(5) ---------------------------------------------------
sets = [(r[0], r[1], r[2]) for r in tokens(tdir + "/settings", "OFSET")]
texts, order = entries(section("outfilterd.conf.5", "SETTINGS"),
                       lambda ss: ss.strip("[]"))
compare("outfilterd.conf(5) SETTINGS", ["[%s] %s" % (s, k) for s, k, d in sets],
        ["[%s] %s" % k for k in order], "settings")
defaults_shown("outfilterd.conf(5)", [((s, k), d) for s, k, d in sets], texts,
               lambda key: "[%s] %s" % key)

# --- outfilter(7) ---------------------------------------------------------
usets = [(r[0], r[1], r[2]) for r in tokens(tdir + "/usersettings", "OFUSET")]
texts, order = entries(section("outfilter.7", "USER SETTINGS"),
                       lambda ss: ss.lower())
compare("outfilter(7) USER SETTINGS", [k for k, d, g in usets],
        [k for ss, k in order], "per-user settings")
where = {k: ss for ss, k in order}
bad = ["%s is under \"%s\", its group is \"%s\"" % (k, where[k], g)
       for k, d, g in usets if k in where and where[k] != g.lower()]
result(not bad, "outfilter(7): each per-user setting under its group's heading",
       "; ".join(bad))
defaults_shown("outfilter(7)", [((g.lower(), k), d) for k, d, g in usets], texts,
               lambda key: key[1])
PY

while IFS=$'\t' read -r st what detail; do
	of_result "$st" "$what" "$detail"
done <"$T/results"

# The example of outfilterd.conf(5) is a configuration outfilterd takes.
/usr/bin/python3 - "$MAN/outfilterd.conf.5" >"$T/example.conf" <<'PY'
import sys
lines, inside, block = open(sys.argv[1]).read().split("\n"), False, None
for line in lines:
    if line.startswith(".Sh "):
        inside = line == ".Sh EXAMPLES"
    elif inside and line.startswith(".Bd -literal") and block is None:
        block = []
    elif block is not None and line == ".Ed":
        break
    elif block is not None:
        block.append(line.replace("\\e", "\\").replace("\\&", ""))
print("\n".join(block or []))
PY
if [ -s "$T/example.conf" ]; then
	ok "the example of outfilterd.conf(5) passes outfilterd -n" \
	    "$OUTFILTERD" -n -c "$T/example.conf"
	has "outfilterd -n says configuration OK" '^configuration OK$'
else
	of_result 1 "outfilterd.conf(5) has an example configuration in EXAMPLES"
fi

of_done
