#!/usr/bin/env python3
"""Independent expected advisories for the lockfiles in testdata/js/real/.

Standard library only. Reads the OSV npm advisories from a zip (default
/work/shared/advisory-db/osv/npm.zip), reads the installed (name, version)
pairs of each fixture lockfile with a minimal reader for that exact format,
evaluates every OSV `affected[]` entry (SEMVER / ECOSYSTEM ranges with
introduced / fixed / last_affected events, SemVer 2.0 precedence including
pre-releases, plus explicit `versions` lists) and writes

    expected.json   {"<dir>": [{"id", "name", "version"}, ...]}   sorted
    installed.json  {"<dir>": [{"name", "version"}, ...]}          sorted

next to this tools/ folder.  Both lists are sorted by (name, version, id) as
plain strings.  Every installed package counts, whatever its scope (prod, dev,
optional): the fixture's dev and optional packages are deliberately vulnerable.
The root project and workspace members (local packages, not from the
registry) are not listed.

Usage: python3 tools/expected.py [--db PATH] [--check]
  --check  compare with the committed expected.json / installed.json instead
           of writing them (exit 1 on a difference).

This file deliberately does not share code with chainward: it is the
independent oracle the resolvers and the matcher are tested against.
"""
import argparse
import json
import os
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # testdata/js/real
DEFAULT_DB = "/work/shared/advisory-db/osv/npm.zip"

# ---------------------------------------------------------------- SemVer 2.0

SEMVER_RE = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


class Version:
    """A SemVer 2.0 version; build metadata is dropped (no precedence)."""

    __slots__ = ("core", "pre", "text")

    def __init__(self, text):
        m = SEMVER_RE.match(text.strip())
        if not m:
            raise ValueError("not a SemVer version: %r" % text)
        self.text = text
        self.core = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
        self.pre = tuple(m.group(4).split(".")) if m.group(4) else ()

    def _cmp(self, other):
        if self.core != other.core:
            return -1 if self.core < other.core else 1
        a, b = self.pre, other.pre
        if a == b:
            return 0
        # a version without pre-release has higher precedence
        if not a:
            return 1
        if not b:
            return -1
        for x, y in zip(a, b):
            if x == y:
                continue
            xn, yn = x.isdigit(), y.isdigit()
            if xn and yn:
                return -1 if int(x) < int(y) else 1
            if xn != yn:  # numeric identifiers sort below alphanumeric ones
                return -1 if xn else 1
            return -1 if x < y else 1  # ASCII order
        # all shared identifiers equal: the longer list wins
        return -1 if len(a) < len(b) else 1

    def __lt__(self, o):
        return self._cmp(o) < 0

    def __le__(self, o):
        return self._cmp(o) <= 0

    def __gt__(self, o):
        return self._cmp(o) > 0

    def __ge__(self, o):
        return self._cmp(o) >= 0

    def __eq__(self, o):
        return self._cmp(o) == 0

    def __repr__(self):
        return "Version(%r)" % self.text


def event_key(event):
    """Sort key for an OSV event: ("0" introduced sorts first)."""
    (kind, value), = event.items()
    if kind == "introduced" and value == "0":
        return (0, None)
    return (1, Version(value))


def sort_events(events):
    # Version is not hashable/tuple-comparable with None, so sort in two steps
    zero = [e for e in events if event_key(e)[0] == 0]
    rest = [e for e in events if event_key(e)[0] == 1]
    rest.sort(key=lambda e: event_key(e)[1])
    return zero + rest


def range_affects(events, v):
    """OSV reference evaluation of one SEMVER/ECOSYSTEM range's events."""
    affected = False
    for e in sort_events(events):
        (kind, value), = e.items()
        if kind == "introduced":
            if value == "0" or v >= Version(value):
                affected = True
        elif kind == "fixed":
            if v >= Version(value):
                affected = False
        elif kind == "last_affected":
            if v > Version(value):
                affected = False
        elif kind == "limit":
            pass  # limit only applies to GIT ranges in practice
        else:
            raise ValueError("unknown event %r" % e)
    return affected


def entry_affects(affected, version_text):
    v = Version(version_text)
    for listed in affected.get("versions", []) or []:
        if listed == version_text:
            return True
    for r in affected.get("ranges", []) or []:
        if r.get("type") not in ("SEMVER", "ECOSYSTEM"):
            continue
        if range_affects(r.get("events", []), v):
            return True
    return False


def load_db(path):
    """name -> list of (id, affected-entry)."""
    by_name = {}
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            if not member.endswith(".json"):
                continue
            rec = json.loads(z.read(member))
            if rec.get("withdrawn"):
                continue
            for aff in rec.get("affected", []):
                pkg = aff.get("package", {})
                if pkg.get("ecosystem") != "npm":
                    continue
                by_name.setdefault(pkg["name"], []).append((rec["id"], aff))
    return by_name


# ------------------------------------------------------------ lockfile readers


def split_name_version(spec):
    """'name@1.2.3' or '@scope/name@1.2.3' -> (name, version)."""
    at = spec.rfind("@")
    if at <= 0:
        raise ValueError("no version in %r" % spec)
    return spec[:at], spec[at + 1:]


def read_package_lock(path):
    """npm package-lock.json v2/v3: the `packages` map.

    Keys are install paths. Registry packages live under a `node_modules/`
    segment (`node_modules/a`, `node_modules/a/node_modules/b`,
    `packages/x/node_modules/c`); the name is the entry's `name` (set for
    aliases) or the path after the last `node_modules/`.  Skipped: the root
    (""), `link: true` entries, and workspace folders (no `node_modules/`).
    """
    with open(path) as f:
        lock = json.load(f)
    out = set()
    for key, entry in lock["packages"].items():
        if key == "" or entry.get("link"):
            continue
        if "node_modules/" not in key:
            continue  # a workspace member folder such as packages/a
        name = entry.get("name") or key.rsplit("node_modules/", 1)[1]
        out.add((name, entry["version"]))
    return out


def read_pnpm_lock(path):
    """pnpm-lock.yaml v9: the keys of the top-level `packages:` map.

    Keys look like `name@1.2.3`, `'@scope/name@1.2.3'`, and may carry a
    peer suffix `name@1.2.3(peer@4.5.6)` (not in the v9 `packages` map, but
    stripped anyway).  Aliases are keyed by the real name.
    """
    out = set()
    section = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith(" "):
                section = line.rstrip(":")
                continue
            if section != "packages":
                continue
            m = re.match(r"^  (\S.*):\s*(\{\})?$", line)
            if not m or line.startswith("   "):
                continue
            key = m.group(1).strip("'\"")
            key = key.split("(", 1)[0]
            name, version = split_name_version(key)
            if not SEMVER_RE.match(version):
                continue  # link:, file:, tarball URLs ... (none here)
            out.add((name, version))
    return out


def _yarn_header_specs(header):
    """`a@^1, "b@npm:c@2":` -> ['a@^1', 'b@npm:c@2']."""
    header = header.rstrip().rstrip(":")
    return [s.strip().strip('"') for s in header.split(",")]


def read_yarn_classic(path):
    """yarn.lock v1: blocks whose header lists `name@range` specs and whose
    `version "x"` line gives the version.  An alias header reads
    `old-ms@npm:ms@0.7.0`: the installed package is the one after `npm:`.
    """
    out = set()
    name = None
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            if not line.startswith(" "):
                spec = _yarn_header_specs(line)[0]
                n, rng = spec[0] + spec[1:].split("@", 1)[0], spec[1:].split("@", 1)[1]
                if rng.startswith("npm:"):
                    n, _ = split_name_version(rng[4:])
                name = n
                continue
            m = re.match(r'^  version "?([^"\s]+)"?$', line.rstrip("\n"))
            if m and name is not None:
                out.add((name, m.group(1)))
    return out


def read_yarn_berry(path):
    """yarn.lock (berry, `__metadata` version 4+): each block's `resolution:`
    is `name@npm:1.2.3` for registry packages; the name there is the real
    one for aliases too.  Workspace (`@workspace:`) and other protocols are
    skipped.
    """
    out = set()
    with open(path) as f:
        for line in f:
            m = re.match(r'^  resolution: "?([^"]+)"?$', line.rstrip("\n"))
            if not m:
                continue
            res = m.group(1)
            at = res.find("@npm:", 1)
            if at < 0:
                continue
            name, version = res[:at], res[at + 5:]
            if SEMVER_RE.match(version):
                out.add((name, version))
    return out


def read_bun_lock(path):
    """bun.lock (text, JSON with trailing commas): `packages` maps an install
    key (`ms`, `old-ms`, `uglify-js/source-map`) to a tuple whose first item
    is `realname@version`.  Workspace entries (`name@workspace:...`) are
    skipped.
    """
    with open(path) as f:
        text = f.read()
    text = re.sub(r",(\s*[}\]])", r"\1", text)  # JSONC trailing commas
    lock = json.loads(text)
    out = set()
    for key, tup in lock["packages"].items():
        name, version = split_name_version(tup[0])
        if SEMVER_RE.match(version):
            out.add((name, version))
    return out


FIXTURES = [
    ("npm", "package-lock.json", read_package_lock),
    ("npm-workspace", "package-lock.json", read_package_lock),
    ("yarn-classic", "yarn.lock", read_yarn_classic),
    ("yarn-berry", "yarn.lock", read_yarn_berry),
    ("pnpm", "pnpm-lock.yaml", read_pnpm_lock),
    ("bun", "bun.lock", read_bun_lock),
]


def self_test():
    V = Version
    chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
             "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    for a, b in zip(chain, chain[1:]):
        assert V(a) < V(b), (a, b)
    assert V("1.2.3+build") == V("1.2.3")
    assert V("2.0.0-0") < V("2.0.0-alpha") < V("2.0.0")
    ev = [{"introduced": "1.2.0-0"}, {"fixed": "2.0.0-0"}]
    assert range_affects(ev, V("1.2.0-beta"))
    assert range_affects(ev, V("1.9.9"))
    assert not range_affects(ev, V("2.0.0-alpha"))
    assert not range_affects(ev, V("1.1.9"))
    ev = [{"introduced": "0"}, {"last_affected": "1.5.1"}]
    assert range_affects(ev, V("1.5.1")) and not range_affects(ev, V("1.5.2-0"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=DEFAULT_DB)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    self_test()
    db = load_db(args.db)
    expected, installed = {}, {}
    for d, lockname, reader in FIXTURES:
        pairs = reader(os.path.join(ROOT, d, lockname))
        installed[d] = [{"name": n, "version": v} for n, v in sorted(pairs)]
        hits = []
        for name, version in pairs:
            for adv_id, aff in db.get(name, []):
                if entry_affects(aff, version):
                    hits.append((name, version, adv_id))
        hits = sorted(set(hits))
        expected[d] = [{"id": i, "name": n, "version": v} for n, v, i in hits]
    outputs = {"expected.json": expected, "installed.json": installed}
    status = 0
    for fname, obj in outputs.items():
        text = json.dumps(obj, indent=2, sort_keys=True) + "\n"
        target = os.path.join(ROOT, fname)
        if args.check:
            with open(target) as f:
                if f.read() != text:
                    print("DIFFERS: " + target, file=sys.stderr)
                    status = 1
        else:
            with open(target, "w") as f:
                f.write(text)
    for d, _, _ in FIXTURES:
        print("%-14s %3d packages %3d advisory hits" % (d, len(installed[d]), len(expected[d])))
    return status


if __name__ == "__main__":
    sys.exit(main())
