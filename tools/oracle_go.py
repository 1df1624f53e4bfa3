#!/usr/bin/env python3
"""Independent oracle for Go advisory matching (tests/go.rs hard-codes its output).

Usage: oracle_go.py GO_ZIP GO_MOD...

Reads each go.mod with its own small reader (require lines and blocks, `replace` with and without
an old version, `go` / `toolchain`), takes the highest required version per module path, applies
replaces (a module@version replacement becomes the package; a directory replacement is not
matched), adds `stdlib` at the toolchain's version (else the `go` version, `1.21` read as
`1.21.0`), then evaluates every non-withdrawn record of GO_ZIP itself: its `affected[].versions`
lists and its SEMVER ranges (events in version order: `introduced` opens, `fixed` and past
`last_affected` close). Prints, per go.mod, the sorted `ID package` pairs found.
It shares no code with chainward.
"""
import json
import re
import sys
import zipfile


def parse_semver(v):
    v = v.strip()
    if v.startswith("v"):
        v = v[1:]
    if v.endswith("+incompatible"):
        v = v[: -len("+incompatible")]
    v = v.split("+", 1)[0]
    core, _, pre = v.partition("-")
    nums = core.split(".")
    while len(nums) < 3:
        nums.append("0")
    major, minor, patch = (int(n) for n in nums[:3])
    pre_ids = []
    if pre:
        for ident in pre.split("."):
            pre_ids.append((0, int(ident), "") if ident.isdigit() else (1, 0, ident))
    return (major, minor, patch, pre_ids)


def key(v):
    major, minor, patch, pre = parse_semver(v)
    # A release sorts after every pre-release of the same core.
    return (major, minor, patch, 0 if pre else 1, pre)


def go_to_semver(v):
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:([a-z]+)(\d+))?", v)
    if not m:
        return None
    out = f"{m.group(1)}.{m.group(2) or 0}.{m.group(3) or 0}"
    if m.group(4):
        out += f"-{m.group(4)}.{m.group(5)}"
    return out


def read_go_mod(path):
    requires = {}
    replaces = {}
    go = toolchain = None
    block = None
    for raw in open(path, encoding="utf-8"):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block:
            if line == ")":
                block = None
                continue
            words = [block] + line.split()
        else:
            words = line.split()
            if len(words) == 2 and words[1] == "(":
                block = words[0]
                continue
        verb, args = words[0], words[1:]
        if verb == "require":
            p, v = args
            if p not in requires or key(v) > key(requires[p]):
                requires[p] = v
        elif verb == "replace":
            i = args.index("=>")
            old = (args[0], args[1] if i == 2 else None)
            new = args[i + 1 :]
            replaces[old] = (new[0], new[1] if len(new) == 2 else None)
        elif verb == "go":
            go = args[0]
        elif verb == "toolchain":
            toolchain = args[0]
    packages = []
    for p, v in requires.items():
        rep = replaces.get((p, v)) or replaces.get((p, None))
        if rep is None:
            packages.append((p, v))
        elif rep[1] is not None:
            packages.append(rep)
    std = None
    if toolchain and toolchain.startswith("go"):
        std = go_to_semver(re.split(r"[ \t-]", toolchain[2:])[0])
    if std is None and go:
        std = go_to_semver(go)
    if std:
        packages.append(("stdlib", std))
    return packages


def affected(record_affected, version):
    if version in record_affected.get("versions", []) or version.lstrip("v") in record_affected.get("versions", []):
        return True
    for r in record_affected.get("ranges", []):
        if r.get("type") != "SEMVER":
            continue
        events = []
        for ev in r.get("events", []):
            (kind, val), = ev.items()
            events.append((key("0.0.0-0") if val == "0" else key(val), kind))
        events.sort(key=lambda e: e[0])
        k = key(version)
        vuln = False
        for ek, kind in events:
            if kind == "introduced" and k >= ek:
                vuln = True
            elif kind == "fixed" and k >= ek:
                vuln = False
            elif kind == "last_affected" and k > ek:
                vuln = False
        if vuln:
            return True
    return False


def main():
    records = []
    with zipfile.ZipFile(sys.argv[1]) as z:
        for name in z.namelist():
            rec = json.loads(z.read(name))
            if rec.get("withdrawn"):
                continue
            records.append(rec)
    for gomod in sys.argv[2:]:
        found = set()
        for name, version in read_go_mod(gomod):
            for rec in records:
                for a in rec.get("affected", []):
                    pkg = a.get("package", {})
                    if pkg.get("ecosystem") == "Go" and pkg.get("name") == name and affected(a, version):
                        found.add((rec["id"], name))
        print(f"== {gomod}: {len(found)}")
        for rid, name in sorted(found):
            print(f"{rid} {name}")


if __name__ == "__main__":
    main()
