//! A cargo home as `cargo fetch` leaves it, built from recorded crates.io index lines: the
//! `.cache` index files (cargo's format: byte 3, the schema as u32 LE, an index version, then
//! (version NUL line NUL) pairs) and extracted manifests under `registry/src`. Shared by
//! tests/compiled.rs and benches/compiled.rs (included with `#[path]`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

/// crates.io's directory name under `registry/{index,src}` since cargo 1.85.
pub const CRATES_IO_DIR: &str = "index.crates.io-1949cf8c6b5b557f";

/// The sparse-index path of a crate: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd` (lowercased).
pub fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

/// The version of an index line.
pub fn version_of(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["vers"].as_str().unwrap().to_owned()
}

/// Write `name`'s `.cache` file holding `lines` (raw index lines, in order).
pub fn write_index(root: &Path, name: &str, lines: &[&str]) {
    let mut bytes = vec![3u8];
    bytes.extend_from_slice(&2u32.to_le_bytes());
    bytes.extend_from_slice(b"Unknown\0");
    for line in lines {
        bytes.extend_from_slice(version_of(line).as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(0);
    }
    let target = root.join("registry/index").join(CRATES_IO_DIR).join(".cache").join(index_path(name));
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(target, bytes).unwrap();
}

/// Write the extracted `Cargo.toml` of `name-version`.
pub fn write_manifest(root: &Path, name: &str, version: &str, text: &str) {
    let dir = root.join("registry/src").join(CRATES_IO_DIR).join(format!("{name}-{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Cargo.toml"), text).unwrap();
}

/// The cargo home of `testdata/compiled/big` (or any fixture with `index.jsonl.gz`, one index
/// line per locked crate, and `proc-macros.txt`): every index line, and an extracted manifest
/// for every package (`[lib] proc-macro = true` for the recorded proc-macros), so the
/// proc-macro status of every crate is known as after `cargo fetch`. Returns the line count.
pub fn from_recorded_fixture(root: &Path, fixture: &Path) -> usize {
    let gz = std::fs::read(fixture.join("index.jsonl.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz.as_slice()).read_to_string(&mut text).unwrap();
    let proc_macros = std::fs::read_to_string(fixture.join("proc-macros.txt")).unwrap();
    let mut by_name: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        by_name.entry(v["name"].as_str().unwrap().to_owned()).or_default().push(line);
    }
    let mut count = 0;
    for (name, lines) in &by_name {
        write_index(root, name, lines);
        for line in lines {
            let version = version_of(line);
            let proc_macro = proc_macros.lines().any(|l| l == format!("{name} {version}"));
            let lib = if proc_macro { "\n[lib]\nproc-macro = true\n" } else { "" };
            write_manifest(
                root,
                name,
                &version,
                &format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\n{lib}"),
            );
            count += 1;
        }
    }
    count
}
