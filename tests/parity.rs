//! Parity with cargo-audit: for every Cargo.lock of the corpus and of `testdata/`, `chainward
//! scan` reports exactly the (advisory id, package, version, kind) set that cargo-audit 0.22.2
//! reported on the same RustSec snapshot (`testdata/parity/cargo-audit/*.json`, generated as
//! `testdata/parity/README.md` describes) — with the RustSec directory, and with the crates.io
//! OSV export instead.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

type Key = (String, String, String, String);

fn expected_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/parity/cargo-audit");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

/// The lockfile an expectation names: `shared/...` under `../shared`, `main/...` in this crate.
fn lockfile(shared: &Path, named: &str) -> PathBuf {
    if let Some(rest) = named.strip_prefix("shared/") {
        shared.join(rest)
    } else {
        let rest = named.split_once('/').map_or(named, |(_, r)| r);
        Path::new(env!("CARGO_MANIFEST_DIR")).join(rest)
    }
}

fn chainward_keys(lock: &Path, db: &Path) -> BTreeSet<Key> {
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["scan", lock.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json", "--fail-on", "none"])
        .arg("--no-registry")
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}: {}", lock.display(), String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap().to_owned();
            (s(&f["id"]), s(&f["package"]["name"]), s(&f["package"]["version"]), s(&f["kind"]))
        })
        .collect()
}

#[test]
fn findings_equal_cargo_audit_with_rustsec_and_with_osv() {
    let Some(shared) = common::shared_dir() else { return };
    let files = expected_files();
    assert!(files.len() >= 20, "expected files for the corpus and fixtures, found {}", files.len());
    let mut nonempty = 0;
    for file in files {
        let expected: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let want: BTreeSet<Key> = expected["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let s = |k: &str| f[k].as_str().unwrap().to_owned();
                (s("id"), s("package"), s("version"), s("kind"))
            })
            .collect();
        nonempty += usize::from(!want.is_empty());
        let lock = lockfile(&shared, expected["lockfile"].as_str().unwrap());
        for db in ["advisory-db/rustsec", "advisory-db/osv/crates.io.zip"] {
            let got = chainward_keys(&lock, &shared.join(db));
            assert_eq!(got, want, "{} with {db}", file.display());
        }
    }
    assert!(nonempty >= 5, "the parity set should include lockfiles with findings");
}
