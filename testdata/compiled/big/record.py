#!/usr/bin/env python3
"""Record the `big` fixture's crates.io metadata compactly (the benchmark's data, issue 14).

Same selection as ../record-index.py, in two files instead of a directory tree:
  index.jsonl.gz   the raw index line of every crates.io package locked by big/Cargo.lock, byte for byte
                   from cargo's cache ($CARGO_HOME/registry/index/index.crates.io-*/.cache/<index_path>),
                   one per line, sorted by name, versions of one name in the cache's (publication) order;
                   gzip with mtime 0, so re-running on the same cache gives the same bytes
  proc-macros.txt  `name version` of those whose extracted manifest has `[lib] proc-macro = true`

usage (after `cargo generate-lockfile` (or `cargo fetch --locked`) in big/ with this CARGO_HOME):
  CARGO_HOME=/tmp/i14big/cargo-home python3 testdata/compiled/big/record.py
"""

import glob
import gzip
import importlib.util
import io
import json
import os
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("record_index", os.path.join(HERE, "..", "record-index.py"))
record_index = importlib.util.module_from_spec(spec)
spec.loader.exec_module(record_index)


def main() -> None:
    cargo_home = os.environ.get("CARGO_HOME") or os.path.expanduser("~/.cargo")
    with open(os.path.join(HERE, "Cargo.lock"), "rb") as f:
        lock = tomllib.load(f)
    locked: dict[tuple[str, str], str] = {}
    for pkg in lock.get("package", []):
        if pkg.get("source") in record_index.CRATES_IO:
            locked[(pkg["name"], pkg["version"])] = pkg["checksum"]
    by_name: dict[str, set[str]] = {}
    for name, version in locked:
        by_name.setdefault(name, set()).add(version)

    index_root = os.path.join(cargo_home, "registry", "index", "index.crates.io-*", ".cache")
    src_root = os.path.join(cargo_home, "registry", "src", "index.crates.io-*")
    lines = []
    proc_macros = []
    for name in sorted(by_name):
        want = set(by_name[name])
        cache = record_index.one_dir(os.path.join(index_root, record_index.index_path(name)), f"index cache of {name}")
        for vers, line in record_index.read_cache(cache):
            v = vers.decode()
            if v not in want:
                continue
            entry = json.loads(line)
            if entry["name"] != name or entry["vers"] != v or entry["cksum"] != locked[(name, v)]:
                raise SystemExit(f"{cache}: entry of {v} does not match Cargo.lock")
            if b"\n" in line:
                raise SystemExit(f"{cache}: entry of {v} spans lines")
            lines.append(line)
            want.discard(v)
        if want:
            raise SystemExit(f"{cache}: locked versions {sorted(want)} not in cargo's cache")
        for version in sorted(by_name[name]):
            manifest = record_index.one_dir(
                os.path.join(src_root, f"{name}-{version}", "Cargo.toml"), f"extracted {name} {version}"
            )
            with open(manifest, "rb") as f:
                lib = tomllib.load(f).get("lib", {})
            if lib.get("proc-macro") is True or lib.get("proc_macro") is True:
                proc_macros.append((name, version))

    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(b"".join(line + b"\n" for line in lines))
    with open(os.path.join(HERE, "index.jsonl.gz"), "wb") as f:
        f.write(raw.getvalue())
    with open(os.path.join(HERE, "proc-macros.txt"), "w") as f:
        f.write("".join(f"{n} {v}\n" for n, v in sorted(proc_macros)))
    print(
        f"{len(lock.get('package', []))} Cargo.lock packages, {len(locked)} from crates.io, {len(lines)} lines "
        f"({sum(map(len, lines))} bytes, {len(raw.getvalue())} gzipped), {len(proc_macros)} proc-macros"
    )


if __name__ == "__main__":
    main()
