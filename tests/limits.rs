//! Inputs a pull request controls, at sizes where a quadratic path would show: each of these
//! took seconds to minutes before (the sizes below would take minutes more), and must stay
//! linear or n·log n.

// Test code fails loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
#![allow(clippy::format_push_string)]

use std::fmt::Write as _;
use std::process::Command;

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// 40,000 versions of one crate, each depending on the one before: the duplicate check and the
/// resolution of every `name version` edge compared each version with every other (32k: 10 s
/// in a release build).
#[test]
fn a_lockfile_with_forty_thousand_versions_of_one_name() {
    let n = 40_000;
    let mut text = String::from("version = 4\n");
    for i in 0..n {
        let _ = write!(text, "\n[[package]]\nname = \"dup\"\nversion = \"0.{i}.0\"\nsource = \"{CRATES_IO}\"\n");
        if i > 0 {
            let _ = writeln!(text, "dependencies = [\n \"dup 0.{}.0\",\n]", i - 1);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), &text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["-q", "sbom", "--deterministic"])
        .arg(dir.path().join("Cargo.lock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["components"].as_array().unwrap().len(), n);
    // The last version depends on the one before it: edges were resolved, not skipped.
    let deps = doc["dependencies"].as_array().unwrap();
    let last = deps.iter().find(|d| d["ref"].as_str().unwrap().ends_with(&format!("@0.{}.0", n - 1))).unwrap();
    assert_eq!(last["dependsOn"].as_array().unwrap().len(), 1);
}

/// 30,000 `[[ignore]]` entries: every entry's line was counted from the start of the file
/// (16k entries: 11 s; 200k never finished).
#[test]
fn a_policy_with_thirty_thousand_ignores() {
    let n = 30_000;
    let mut text = String::from("# policy\nfail-on = \"low\"\n");
    for i in 0..n {
        let _ = write!(text, "\n[[ignore]]\nid = \"RUSTSEC-2099-{i:04}\"\nreason = \"reviewed\"\n");
    }
    let config = chainward::config::parse("chainward.toml", &text).unwrap();
    assert_eq!(config.ignores.len(), n);
    // Each entry's line is its own header's: two header lines, then four lines per entry.
    assert_eq!(config.ignores[0].line, Some(4));
    assert_eq!(config.ignores[n - 1].line, Some(4 + 4 * (n - 1)));
}
