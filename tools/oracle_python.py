#!/usr/bin/env python3
"""Independent oracle for the Python lockfiles of `testdata/python/real/` (see its README).

For every folder it asks the TOOL that wrote the lockfile which packages the lockfile holds
(its own export or install report, never a parser of ours), then reads
`../shared/advisory-db/osv/PyPI.zip` and computes, with `packaging` (PEP 440 ordering, PEP 503
names), the PYSEC ids whose `ECOSYSTEM` ranges or `versions` lists affect each package.
Withdrawn records are skipped, as chainward's `src/advisory/osv.rs` skips them.

    /opt/pytools/bin/python tools/oracle_python.py            # ask the tools, write expected.json
    /opt/pytools/bin/python tools/oracle_python.py --check    # offline: recompute the advisories
                                                              # from expected.json's packages and
                                                              # compare with its advisories

The first form runs the package managers' read-only commands (`uv export --frozen`,
`poetry export`, `pdm export`, `pipenv requirements`, `pip install --dry-run --report`, pip's own
requirements-file parser for the output of pip-compile and `uv pip compile`); it needs the tools
of the README and, for `pip install --dry-run`, PyPI. Nothing is installed and no build runs
(`--only-binary :all:`, `--frozen`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "testdata" / "python" / "real"
DB = ROOT.parent / "shared" / "advisory-db" / "osv" / "PyPI.zip"
BIN = Path(os.environ.get("PYTOOLS", "/opt/pytools/bin"))

# Caches and virtualenvs of the tools stay out of the repository.
ENV = dict(os.environ)
ENV.update(
    UV_CACHE_DIR="/tmp/pyreal/uvcache",
    POETRY_CACHE_DIR="/tmp/pyreal/poetrycache",
    POETRY_VIRTUALENVS_PATH="/tmp/pyreal/poetryvenvs",
    PDM_CACHE_DIR="/tmp/pyreal/pdmcache",
    PDM_HOME="/tmp/pyreal/pdmhome",
    PDM_CHECK_UPDATE="false",
    PDM_USE_VENV="false",
    WORKON_HOME="/tmp/pyreal/pipenv-venvs",
    PIPENV_CACHE_DIR="/tmp/pyreal/pipenvcache",
    PIPENV_YES="1",
    PIPENV_VERBOSITY="-1",
    PIP_CACHE_DIR="/tmp/pyreal/pipcache",
    PIP_DISABLE_PIP_VERSION_CHECK="1",
)
ENV.pop("PIP_FIND_LINKS", None)


def run(cwd: Path, *args: str) -> str:
    out = subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, env=ENV, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{cwd.name}: {' '.join(args)} failed:\n{out.stderr}")
    # pdm leaves a `.pdm-python` (the interpreter it picked) behind.
    (cwd / ".pdm-python").unlink(missing_ok=True)
    return out.stdout


def parse_requirements_text(text: str) -> dict[tuple[str, str], set[str]]:
    """(name, version) -> sha256 hashes of a requirements-format export, read by pip's own
    requirements-file parser (continuations, options, `--hash`), each line a `name==version`."""
    from pip._internal.network.session import PipSession
    from pip._internal.req.req_file import parse_requirements

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        pairs: dict[tuple[str, str], set[str]] = {}
        for parsed in parse_requirements(path, session=PipSession()):
            req = Requirement(parsed.requirement)
            pins = [s for s in req.specifier if s.operator in ("==", "===")]
            if len(pins) != 1:
                sys.exit(f"not a pin: {parsed.requirement}")
            key = (canonicalize_name(req.name), pins[0].version)
            hashes = (parsed.options or {}).get("hashes", {}).get("sha256", [])
            pairs.setdefault(key, set()).update(hashes)
        return pairs
    finally:
        os.unlink(path)


def requirements_file(path: Path) -> dict[tuple[str, str], set[str]]:
    return parse_requirements_text(path.read_text())


def pip_report(cwd: Path, lockfile: str) -> dict[tuple[str, str], set[str]]:
    """pip's own reading of a pylock.toml: what `pip install --dry-run` would install."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        run(cwd, "pip", "install", "--dry-run", "--ignore-installed", "--only-binary", ":all:", "-q",
            "--report", str(report), "-r", lockfile)
        data = json.loads(report.read_text())
    pairs: dict[tuple[str, str], set[str]] = {}
    for item in data["install"]:
        key = (canonicalize_name(item["metadata"]["name"]), item["metadata"]["version"])
        sha = item.get("download_info", {}).get("archive_info", {}).get("hashes", {}).get("sha256")
        pairs.setdefault(key, set()).update([sha] if sha else [])
    return pairs


def uv(cwd: Path, *flags: str) -> dict[tuple[str, str], set[str]]:
    return parse_requirements_text(
        run(cwd, "uv", "export", "--frozen", "--no-emit-project", "--format", "requirements.txt", "-q", *flags))


def poetry(cwd: Path, *flags: str) -> dict[tuple[str, str], set[str]]:
    return parse_requirements_text(run(cwd, "poetry", "export", "--format", "requirements.txt", *flags))


def pdm(cwd: Path, *flags: str) -> dict[tuple[str, str], set[str]]:
    return parse_requirements_text(run(cwd, "pdm", "export", "--format", "requirements", *flags))


def pipenv(cwd: Path, *flags: str) -> dict[tuple[str, str], set[str]]:
    return parse_requirements_text(run(cwd, "pipenv", "requirements", "--hash", *flags))


# Per folder: (lockfiles, every package, main group without extras, main group with every extra).
# Scopes: main -> required; only with extras -> optional; only with dev groups -> excluded.
# `None`: the format records no groups (every package is required).
def readings(name: str, cwd: Path):
    if name == "uv":
        return (["uv.lock"], uv(cwd, "--all-groups", "--all-extras"), uv(cwd, "--no-dev"),
                uv(cwd, "--no-dev", "--all-extras"))
    if name == "poetry":
        return (["poetry.lock"], poetry(cwd, "--all-groups", "--all-extras"), poetry(cwd, "--only", "main"),
                poetry(cwd, "--only", "main", "--all-extras"))
    if name == "pdm":
        return (["pdm.lock"], pdm(cwd, "-G", ":all"), pdm(cwd, "--prod"), pdm(cwd, "--prod", "-G", "html"))
    if name == "pipenv":
        everything = pipenv(cwd, "--dev")
        main = pipenv(cwd)
        return (["Pipfile.lock"], everything, main, main)
    if name == "pip-lock":
        return (["pylock.toml"], pip_report(cwd, "pylock.toml"), None, None)
    if name == "uv-pylock":
        # uv's export of `uv/uv.lock` (see the README): its packages are uv's reading of that lock.
        # pip's own reading of the pylock.toml installs the subset whose markers hold here.
        everything = uv(REAL / "uv", "--all-groups", "--all-extras")
        here = pip_report(cwd, "pylock.toml")
        if not here.keys() <= everything.keys():
            sys.exit(f"uv-pylock: pip reads {sorted(here.keys() - everything.keys())} that uv does not")
        for key, hashes in here.items():
            if not hashes <= everything[key]:
                sys.exit(f"uv-pylock: pip's hash of {key} is not uv's")
        print(f"uv-pylock: pip installs {len(here)} here, skips {sorted(everything.keys() - here.keys())}")
        return (["pylock.toml"], everything, None, None)
    if name == "pip-tools":
        everything = requirements_file(cwd / "requirements.txt")
        for key, hashes in requirements_file(cwd / "requirements" / "dev.txt").items():
            everything.setdefault(key, set()).update(hashes)
        return (["requirements.txt", "requirements/dev.txt"], everything, None, None)
    if name == "uv-pip":
        everything = requirements_file(cwd / "requirements.txt")
        for key, hashes in requirements_file(cwd / "requirements-dev.txt").items():
            everything.setdefault(key, set()).update(hashes)
        return (["requirements.txt", "requirements-dev.txt"], everything, None, None)
    sys.exit(f"unknown folder {name}")


FOLDERS = ["uv", "poetry", "pdm", "pipenv", "pip-lock", "uv-pylock", "pip-tools", "uv-pip"]


# ---------------------------------------------------------------------------------------------
# The advisories


def load_db():
    """Every PyPI `affected` entry of the non-withdrawn records: canonical name -> [(id, aliases,
    entry)], plus counts."""
    by_name: dict[str, list] = {}
    records = withdrawn = 0
    with zipfile.ZipFile(DB) as z:
        for entry in z.namelist():
            record = json.loads(z.read(entry))
            records += 1
            if record.get("withdrawn"):
                withdrawn += 1
                continue
            for affected in record.get("affected", []):
                package = affected.get("package") or {}
                if package.get("ecosystem") != "PyPI":
                    continue
                by_name.setdefault(canonicalize_name(package["name"]), []).append(
                    (record["id"], record.get("aliases", []), affected))
    return by_name, records, withdrawn


def in_range(version: Version, events: list[dict]) -> bool:
    """OSV's evaluation of one range (https://ossf.github.io/osv-schema/#evaluation): events in
    version order, `introduced` (0 = the first version) turns it on, `fixed` turns it off at the
    bound, `last_affected` above the bound; a `limit` at or below the version excludes it."""
    def bound(event: dict):
        (kind, raw), = event.items()
        return (kind, None if kind == "introduced" and raw == "0" else Version(raw))

    keyed = [bound(e) for e in events]
    if any(kind == "limit" and version >= b for kind, b in keyed):
        return False
    keyed.sort(key=lambda kb: (kb[1] is not None, kb[1] or Version("0")))
    affected = False
    for kind, b in keyed:
        if kind == "introduced" and (b is None or version >= b):
            affected = True
        elif kind == "fixed" and version >= b:
            affected = False
        elif kind == "last_affected" and version > b:
            affected = False
    return affected


def affects(entry: dict, raw: str) -> bool:
    version = Version(raw)
    for listed in entry.get("versions", []):
        try:
            if Version(listed) == version:
                if listed != raw:
                    # chainward compares the `versions` list by string: flag it if that matters.
                    print(f"note: {raw} matches the listed {listed} only by PEP 440", file=sys.stderr)
                return True
        except InvalidVersion:
            if listed == raw:
                return True
    return any(r.get("type") == "ECOSYSTEM" and in_range(version, r.get("events", []))
               for r in entry.get("ranges", []))


def advisories(db, packages):
    """[{id, name, version}] and the number of findings chainward should report: records that
    share an id or alias are one finding per package (src/finding.rs)."""
    hits, findings = [], 0
    for name, version in sorted(packages):
        matched = {}
        for rid, aliases, entry in db.get(name, []):
            if affects(entry, version):
                matched[rid] = set(aliases) | {rid}
        hits += [{"id": rid, "name": name, "version": version} for rid in sorted(matched)]
        groups: list[set[str]] = []
        for ids in matched.values():
            merged = set(ids)
            rest = []
            for g in groups:
                if g & merged:
                    merged |= g
                else:
                    rest.append(g)
            groups = rest + [merged]
        findings += len(groups)
    return hits, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="recompute offline and compare")
    args = parser.parse_args()
    db, records, withdrawn = load_db()
    db_sha = hashlib.sha256(DB.read_bytes()).hexdigest()
    out_path = REAL / "expected.json"
    if args.check:
        expected = json.loads(out_path.read_text())
        bad = expected["advisory_db"]["sha256"] != db_sha
        for folder in FOLDERS:
            packages = {(p["name"], p["version"]) for p in expected[folder]["packages"]}
            hits, findings = advisories(db, packages)
            if hits != expected[folder]["advisories"] or findings != expected[folder]["findings"]:
                print(f"{folder}: differs", file=sys.stderr)
                bad = True
        sys.exit(1 if bad else 0)
    expected = {
        "_about": "Written by tools/oracle_python.py: packages as each tool reads its own lockfile, "
                  "advisories from PyPI.zip with packaging (PEP 440, PEP 503). See README.md.",
        "advisory_db": {"path": "advisory-db/osv/PyPI.zip", "sha256": db_sha, "records": records,
                        "withdrawn": withdrawn},
    }
    for folder in FOLDERS:
        lockfiles, everything, main, with_extras = readings(folder, REAL / folder)
        packages = []
        for (name, version), hashes in sorted(everything.items()):
            if main is None:
                scope = "required"
            elif (name, version) in main:
                scope = "required"
            elif (name, version) in with_extras:
                scope = "optional"
            else:
                scope = "excluded"
            packages.append({"name": name, "version": version, "scope": scope, "sha256": sorted(hashes)})
        hits, findings = advisories(db, everything.keys())
        expected[folder] = {
            "lockfiles": lockfiles,
            "scopes_recorded": main is not None,
            "packages": packages,
            "advisories": hits,
            "findings": findings,
        }
        print(f"{folder}: {len(packages)} packages, {len(hits)} advisory ids, {findings} findings")
    out_path.write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
