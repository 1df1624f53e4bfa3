#!/usr/bin/env python3
"""Independent oracle for chainward's composer.lock matching (tests/php.rs).

    python3 tools/oracle_composer.py ADVISORY_ZIP COMPOSER_LOCK...

prints, per lockfile, the sorted advisory ids whose OSV ranges cover a package of the lockfile,
one `ID NAME VERSION` line each (and `UNKNOWN NAME VERSION ID` for a version that cannot be
ordered). Written without looking at chainward's Rust code, from:

- composer.lock: the packages of `packages` and `packages-dev` whose `notification-url` is
  packagist.org's (`https://packagist.org/downloads/`) and whose dist is not a `path`: the ones
  chainward documents as installed from packagist.org;
- the OSV records (`ADVISORY_ZIP`, one JSON per record; withdrawn ones skipped): an
  `affected[]` entry of ecosystem `Packagist` whose name equals the package's, compared
  lowercased, as Composer compares names; its `versions` list (exact), and its `ECOSYSTEM`
  ranges evaluated with the OSV reference algorithm (events sorted; `introduced` opens,
  `fixed` closes before, `last_affected` closes after);
- the version ordering: Composer's `VersionParser::normalize` (composer/semver 3) on both
  sides, then PHP's `version_compare` on the normalized forms, as composer/semver's
  `Constraint::versionCompare` does; a `dev-*` branch orders against nothing (Composer only
  compares branches for equality), so it is reported UNKNOWN when the package has records.
  This is how `../shared/advisory-db/SOURCES.md` says the records were made: Composer
  constraints turned into events that compare the same under Composer's normalized ordering.

Python standard library only; no network. Cross-checked once against the real thing
(`tools/oracle_composer_check.php`, PHP 8.2 with Debian's php-composer-semver 3.3.2): the same
normalized form for all 1225 versions of the corpus and shop lockfiles and of the events of
Packagist.zip, the same `version_compare` verdict for all 1310 (lockfile version, event)
pairs of the same package.
"""

import json
import re
import sys
import zipfile

MODIFIER = r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?"


def expand_stability(s):
    s = s.lower()
    return {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}.get(s, s)


def normalize(version):
    """composer/semver 3.3 VersionParser::normalize."""
    v = version.strip()
    m = re.match(r"^([^,\s]+) +as +([^,\s]+)$", v)
    if m:
        v = m.group(1)
    m = re.match(r"^(.*)@(?:stable|RC|beta|alpha|dev)$", v, re.I)
    if m:
        v = m.group(1)
    if v in ("master", "trunk", "default"):
        v = "dev-" + v
    if v[:4].lower() == "dev-":
        return "dev-" + v[4:]
    m = re.match(r"^([^,\s+]+)\+[^\s]+$", v)
    if m:
        v = m.group(1)
    m = re.match(r"^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?" + MODIFIER + "$", v, re.I)
    index = None
    if m:
        out = m.group(1) + (m.group(2) or ".0") + (m.group(3) or ".0") + (m.group(4) or ".0")
        index = 5
    else:
        m = re.match(r"^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})" + MODIFIER + "$", v, re.I)
        if m:
            out = re.sub(r"\D", ".", m.group(1))
            index = 2
    if index is not None:
        stability = m.group(index)
        if stability:
            if stability.lower() == "stable":
                return out
            out += "-" + expand_stability(stability) + (m.group(index + 1) or "").lstrip(".-")
        if m.group(index + 2):
            out += "-dev"
        return out
    m = re.match(r"(.*?)[.-]?dev$", v, re.I)
    if m:
        branch = normalize_branch(m.group(1))
        if branch is not None:
            return branch
    return None


def normalize_branch(name):
    name = name.strip()
    m = re.match(r"^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$", name, re.I)
    if m:
        out = ""
        for i in range(1, 5):
            part = m.group(i)
            out += re.sub(r"[xX*]", "9999999", part) if part else ".x"
        return out.replace("x", "9999999") + "-dev"
    return None


SPECIAL = [("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4), ("pl", 5), ("p", 5)]


def special_order(form):
    for name, order in SPECIAL:
        if form.startswith(name):
            return order
    return -6


def canonicalize(v):
    """PHP's php_canonicalize_version (ext/standard/versioning.c), char by char."""
    if not v:
        return v

    def isdig(c):
        return c.isdigit() and c != "."

    def isndig(c):
        return not c.isdigit() and c != "."

    out = [v[0]]
    lp = v[0]
    for c in v[1:]:
        if c in "-_+":
            if out[-1] != ".":
                out.append(".")
        elif (isndig(lp) and isdig(c)) or (isdig(lp) and isndig(c)):
            if out[-1] != ".":
                out.append(".")
            out.append(c)
        elif not (c.isascii() and c.isalnum()):
            if out[-1] != ".":
                out.append(".")
        else:
            out.append(c)
        lp = c
    return "".join(out)


def sign(x):
    return (x > 0) - (x < 0)


def version_compare(a, b):
    """PHP's version_compare(a, b): -1, 0 or 1 (php_version_compare)."""
    if not a or not b:
        return 0 if not a and not b else (1 if a else -1)
    va = a if a.startswith("#") else canonicalize(a)
    vb = b if b.startswith("#") else canonicalize(b)
    pa = [t for t in va.split(".") if t]
    pb = [t for t in vb.split(".") if t]
    i = 0
    while i < len(pa) and i < len(pb):
        x, y = pa[i], pb[i]
        if x[0].isdigit() and y[0].isdigit():
            c = sign(int(re.match(r"\d+", x).group()) - int(re.match(r"\d+", y).group()))
        elif not x[0].isdigit() and not y[0].isdigit():
            c = sign(special_order(x) - special_order(y))
        elif x[0].isdigit():
            c = sign(special_order("#N#") - special_order(y))
        else:
            c = sign(special_order(x) - special_order("#N#"))
        if c != 0:
            return c
        i += 1
    if i < len(pa):
        return 1 if pa[i][0].isdigit() else version_compare(pa[i], "#N#")
    if i < len(pb):
        return -1 if pb[i][0].isdigit() else version_compare("#N#", pb[i])
    return 0


class Unordered(Exception):
    pass


def cmp(a, b):
    na, nb = normalize(a), normalize(b)
    if na is None or nb is None or na.startswith("dev-") or nb.startswith("dev-"):
        raise Unordered()
    return version_compare(na, nb)


def affected(version, entry):
    if version in entry.get("versions", []):
        return True
    for r in entry.get("ranges", []):
        if r.get("type") != "ECOSYSTEM":
            continue
        events = r.get("events", [])

        def key(e):
            v = next(iter(e.values()))
            return v

        # OSV reference: walk the events in version order.
        import functools

        def ecmp(e1, e2):
            v1, v2 = key(e1), key(e2)
            if v1 == "0" and v2 == "0":
                return 0
            if v1 == "0":
                return -1
            if v2 == "0":
                return 1
            return cmp(v1, v2)

        state = False
        for e in sorted(events, key=functools.cmp_to_key(ecmp)):
            kind, v = next(iter(e.items()))
            if kind == "introduced":
                if v == "0" or cmp(version, v) >= 0:
                    state = True
            elif kind == "fixed":
                if cmp(version, v) >= 0:
                    state = False
            elif kind == "last_affected":
                if cmp(version, v) > 0:
                    state = False
        if state:
            return True
    return False


def packagist_packages(lock):
    out = []
    for key in ("packages", "packages-dev"):
        for p in lock.get(key) or []:
            if (p.get("dist") or {}).get("type") == "path":
                continue
            url = (p.get("notification-url") or "").strip().lower()
            if url.split("://", 1)[-1].removeprefix("www.").rstrip("/") != "packagist.org/downloads":
                continue
            if not url.startswith(("https://", "http://")):
                continue
            out.append((p["name"], p["version"]))
    return out


def main():
    zip_path, locks = sys.argv[1], sys.argv[2:]
    records = []
    with zipfile.ZipFile(zip_path) as z:
        for n in z.namelist():
            r = json.loads(z.read(n))
            if r.get("withdrawn"):
                continue
            records.append(r)
    by_name = {}
    for r in records:
        for a in r.get("affected", []):
            pkg = a.get("package", {})
            if pkg.get("ecosystem") == "Packagist":
                by_name.setdefault(pkg.get("name", "").lower(), []).append((r["id"], a))
    for path in locks:
        with open(path, encoding="utf-8") as f:
            lock = json.load(f)
        found = set()
        unknown = set()
        for name, version in packagist_packages(lock):
            for rid, entry in by_name.get(name.lower(), []):
                try:
                    if affected(version, entry):
                        found.add((rid, name, version))
                except Unordered:
                    unknown.add((name, version, rid))
        print(f"# {path}: {len(found)} findings")
        for rid, name, version in sorted(found):
            print(rid, name, version)
        for name, version, rid in sorted(unknown):
            print("UNKNOWN", name, version, rid)


if __name__ == "__main__":
    main()
