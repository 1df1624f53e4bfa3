#!/usr/bin/env python3
"""Record what chainward's issue-14 tests need to run offline, from a CARGO_HOME that resolved and fetched
the fixtures.

For every crates.io package locked by a fixture's Cargo.lock (union over all fixtures):
  registry/index/<index_path>   the raw index lines of the locked versions only, copied byte for byte from
                                cargo's cache ($CARGO_HOME/registry/index/index.crates.io-*/.cache/<index_path>),
                                one line each, newline-terminated, in the cache's (publication) order
  registry/proc-macros.txt      `name version` of every package whose extracted manifest
                                ($CARGO_HOME/registry/src/index.crates.io-*/NAME-VERSION/Cargo.toml) has
                                `[lib] proc-macro = true` (or `proc_macro = true`)
  registry/src/NAME-VERSION/Cargo.toml  for those: the manifest trimmed to [package] name/version/edition + [lib]

usage (after `cargo generate-lockfile` and `cargo fetch` in each fixture with this CARGO_HOME):
  CARGO_HOME=/tmp/i14fx/cargo-home python3 testdata/compiled/record-index.py [FIXTURE_DIR...]
Without arguments, every directory next to this script that holds a Cargo.lock is a fixture.
"""

import glob
import json
import os
import shutil
import struct
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
CRATES_IO = (
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
)


def index_path(name: str) -> str:
    """crates.io index layout: 1/a, 2/ab, 3/a/abc, ab/cd/abcd (lowercased)."""
    n = name.lower()
    if len(n) == 1:
        return f"1/{n}"
    if len(n) == 2:
        return f"2/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[0:2]}/{n[2:4]}/{n}"


def read_cache(path: str) -> list[tuple[bytes, bytes]]:
    """Parse a cargo index .cache file: u8 3, u32 LE index version, header NUL, (version NUL json NUL)*."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 5 or data[0] != 3:
        raise SystemExit(f"{path}: unknown cache version {data[:1]!r}")
    (index_v,) = struct.unpack("<I", data[1:5])
    if index_v != 2:
        raise SystemExit(f"{path}: unexpected index schema version {index_v}")
    parts = data[5:].split(b"\0")
    # parts: header, v1, json1, v2, json2, ..., "" (trailing NUL)
    if parts[-1] != b"" or (len(parts) - 2) % 2 != 0:
        raise SystemExit(f"{path}: malformed cache file")
    body = parts[1:-1]
    return [(body[i], body[i + 1]) for i in range(0, len(body), 2)]


def one_dir(pattern: str, what: str) -> str:
    hits = sorted(glob.glob(pattern))
    if not hits:
        raise SystemExit(f"missing {what}: {pattern} (run cargo generate-lockfile / cargo fetch first)")
    return hits[0]


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise SystemExit(f"unsupported TOML value {v!r}")


def main() -> None:
    cargo_home = os.environ.get("CARGO_HOME") or os.path.expanduser("~/.cargo")
    fixtures = sys.argv[1:] or sorted(
        os.path.dirname(p) for p in glob.glob(os.path.join(HERE, "*", "Cargo.lock"))
    )
    # (name, version) -> Cargo.lock checksum
    locked: dict[tuple[str, str], str] = {}
    for fx in fixtures:
        with open(os.path.join(fx, "Cargo.lock"), "rb") as f:
            lock = tomllib.load(f)
        for pkg in lock.get("package", []):
            if pkg.get("source") in CRATES_IO:
                locked[(pkg["name"], pkg["version"])] = pkg["checksum"]
    by_name: dict[str, set[str]] = {}
    for name, version in locked:
        by_name.setdefault(name, set()).add(version)

    out = os.path.join(HERE, "registry")
    for sub in ("index", "src"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    os.makedirs(out, exist_ok=True)

    index_root = os.path.join(cargo_home, "registry", "index", "index.crates.io-*", ".cache")
    src_root = os.path.join(cargo_home, "registry", "src", "index.crates.io-*")
    proc_macros = []
    lines_written = 0
    for name in sorted(by_name):
        want = by_name[name]
        cache = one_dir(os.path.join(index_root, index_path(name)), f"index cache of {name}")
        picked = []
        for vers, line in read_cache(cache):
            v = vers.decode()
            if v not in want:
                continue
            entry = json.loads(line)
            if entry["name"] != name or entry["vers"] != v:
                raise SystemExit(f"{cache}: entry {entry['name']} {entry['vers']} under version {v}")
            if entry["cksum"] != locked[(name, v)]:
                raise SystemExit(f"{name} {v}: index cksum differs from Cargo.lock checksum")
            picked.append(line)
            want = want - {v}
        if want:
            raise SystemExit(f"{cache}: locked versions {sorted(want)} not in cargo's cache")
        dest = os.path.join(out, "index", index_path(name))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(b"".join(line + b"\n" for line in picked))
        lines_written += len(picked)

        for version in sorted(by_name[name]):
            manifest = one_dir(
                os.path.join(src_root, f"{name}-{version}", "Cargo.toml"), f"extracted {name} {version}"
            )
            with open(manifest, "rb") as f:
                toml = tomllib.load(f)
            lib = toml.get("lib", {})
            if lib.get("proc-macro") is True or lib.get("proc_macro") is True:
                proc_macros.append((name, version))
                pkg = toml["package"]
                text = "[package]\n"
                for key in ("name", "version", "edition"):
                    if key in pkg:
                        text += f"{key} = {toml_value(pkg[key])}\n"
                text += "\n[lib]\n"
                for key, value in lib.items():
                    text += f"{key} = {toml_value(value)}\n"
                dest = os.path.join(out, "src", f"{name}-{version}", "Cargo.toml")
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "w") as f:
                    f.write(text)

    with open(os.path.join(out, "proc-macros.txt"), "w") as f:
        f.write("".join(f"{n} {v}\n" for n, v in sorted(proc_macros)))
    print(
        f"{len(fixtures)} fixtures, {len(locked)} registry packages, {len(by_name)} index files, "
        f"{lines_written} lines, {len(proc_macros)} proc-macros"
    )


if __name__ == "__main__":
    main()
