//! `chainward scan` end to end: RustSec and OSV databases give the same answers, aliases merge,
//! SBOM input across ecosystems, `--fail-on` / `--deny`, exit codes and the JSON contract.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(rel)
}

/// Every test scan shares one compiled-index cache inside the target directory, never the
/// user's cache.
fn chainward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .args(common::no_registry(args))
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache"))
        .output()
        .expect("run chainward")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

type Key = (String, String, String);

fn keys(report: &Value) -> BTreeSet<Key> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["package"]["name"].as_str().unwrap().to_owned(),
                f["package"]["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn db(shared: &Path, rel: &str) -> String {
    shared.join("advisory-db").join(rel).display().to_string()
}

#[test]
fn rustsec_and_osv_give_the_same_findings_and_merge_when_combined() {
    let Some(shared) = common::shared_dir() else { return };
    let deno = shared.join("corpus/cargo/denoland__deno");
    let deno = deno.to_str().unwrap();
    let rustsec = db(&shared, "rustsec");
    let osv = db(&shared, "osv/crates.io.zip");
    let a = json(&chainward(&["scan", deno, "--db", &rustsec, "--format", "json", "--fail-on", "none"]));
    let b = json(&chainward(&["scan", deno, "--db", &osv, "--format", "json", "--fail-on", "none"]));
    assert!(!keys(&a).is_empty());
    assert_eq!(keys(&a), keys(&b));
    let both = chainward(&["scan", deno, "--db", &rustsec, "--db", &osv, "--format", "json", "--fail-on", "none"]);
    let both = json(&both);
    let findings = both["findings"].as_array().unwrap();
    assert_eq!(findings.len(), keys(&a).len(), "the same advisory from two databases is one finding");
    let sources: Vec<&str> =
        both["database"]["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(sources, ["rustsec", "osv", "chainward"], "the two databases, then the built-in records");
    // Every finding names its lockfile line, and a RUSTSEC id with its aliases.
    for f in findings {
        assert_eq!(f["location"]["path"], "Cargo.lock");
        assert!(f["location"]["line"].as_u64().unwrap() > 0);
        assert!(f["id"].as_str().unwrap().starts_with("RUSTSEC-"));
        assert!(f["package"]["purl"].as_str().unwrap().starts_with("pkg:cargo/"));
    }
    let rsa = findings.iter().find(|f| f["package"]["name"] == "rsa").unwrap();
    assert_eq!(rsa["id"], "RUSTSEC-2023-0071");
    assert!(rsa["aliases"].as_array().unwrap().iter().any(|a| a.as_str().unwrap().starts_with("CVE-")));
}

#[test]
fn exit_codes_follow_fail_on_and_deny() {
    let Some(shared) = common::shared_dir() else { return };
    let rustsec = db(&shared, "rustsec");
    let deno = shared.join("corpus/cargo/denoland__deno");
    let deno = deno.to_str().unwrap();
    assert_eq!(chainward(&["scan", deno, "--db", &rustsec]).status.code(), Some(1), "medium/high findings");
    assert_eq!(chainward(&["scan", deno, "--db", &rustsec, "--fail-on", "none"]).status.code(), Some(0));
    assert_eq!(chainward(&["scan", deno, "--db", &rustsec, "--fail-on", "critical"]).status.code(), Some(0));

    // Only an unmaintained crate: informational, fails only when denied.
    let project = testdata("projects/scan-unmaintained");
    let project = project.to_str().unwrap();
    let out = chainward(&["scan", project, "--db", &rustsec]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("RUSTSEC-2025-0056") && table.contains("[unmaintained]"), "{table}");
    assert_eq!(chainward(&["scan", project, "--db", &rustsec, "--deny", "unmaintained"]).status.code(), Some(1));
    assert_eq!(chainward(&["scan", project, "--db", &rustsec, "--deny", "unsound,notice"]).status.code(), Some(0));
    assert_eq!(chainward(&["scan", project, "--db", &rustsec, "--fail-on", "info"]).status.code(), Some(1));
}

#[test]
fn an_sbom_is_matched_by_purl_across_ecosystems() {
    let Some(shared) = common::shared_dir() else { return };
    let sbom = testdata("sbom/mixed-ecosystems.cdx.json");
    let out = chainward(&[
        "scan",
        sbom.to_str().unwrap(),
        "--db",
        &db(&shared, "osv/PyPI.zip"),
        "--db",
        &db(&shared, "osv/Go.zip"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    let found = keys(&report);
    for (id, name, version) in [
        ("PYSEC-2019-217", "Jinja2", "2.10"),
        ("PYSEC-2021-66", "Jinja2", "2.10"),
        ("PYSEC-2020-96", "PyYAML", "5.3"),
        ("PYSEC-2021-142", "PyYAML", "5.3"),
        ("GO-2020-0001", "github.com/gin-gonic/gin", "v1.5.0"),
        ("GO-2021-0052", "github.com/gin-gonic/gin", "v1.5.0"),
        ("GO-2023-1737", "github.com/gin-gonic/gin", "v1.5.0"),
    ] {
        assert!(
            found.contains(&(id.to_owned(), name.to_owned(), version.to_owned())),
            "missing {id} for {name}: {found:?}"
        );
    }
    assert!(!found.iter().any(|(_, n, v)| v == "v1.9.1" || n == "requests"), "{found:?}");
    assert_eq!(report["summary"]["packages"], 5);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("components not matched: 1 with a purl chainward does not match"), "{stderr}");
}

#[test]
fn an_unorderable_version_is_reported_not_clean() {
    let Some(shared) = common::shared_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("bom.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"type": "library", "name": "jinja2", "purl": "pkg:pypi/jinja2@not~a~version"}]}"#,
    )
    .unwrap();
    let out = chainward(&["scan", sbom.to_str().unwrap(), "--db", &db(&shared, "osv/PyPI.zip"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    let errors = report["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["message"].as_str().unwrap().starts_with("could not evaluate")), "{errors:?}");
}

#[test]
fn scan_usage_errors_exit_2() {
    let ws = testdata("projects/workspace");
    let out = chainward(&["scan", ws.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no advisory database"));
    let out = chainward(&["scan", ws.to_str().unwrap(), "--db", "/nonexistent/db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/db"));
}

#[test]
fn a_malformed_lockfile_is_an_error_and_the_others_are_still_scanned() {
    let Some(shared) = common::shared_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("good")).unwrap();
    std::fs::create_dir_all(dir.path().join("bad")).unwrap();
    std::fs::copy(testdata("projects/scan-unmaintained/Cargo.lock"), dir.path().join("good/Cargo.lock")).unwrap();
    std::fs::copy(testdata("lockfiles/cargo/bad-checksum.lock"), dir.path().join("bad/Cargo.lock")).unwrap();
    let out = chainward(&["scan", dir.path().to_str().unwrap(), "--db", &db(&shared, "rustsec"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["errors"][0]["path"], "bad/Cargo.lock");
    assert_eq!(report["errors"][0]["line"], 22);
    assert!(keys(&report).iter().any(|(id, _, _)| id == "RUSTSEC-2025-0056"));
}

#[test]
fn a_second_scan_uses_the_compiled_index_and_gives_the_same_report() {
    let Some(shared) = common::shared_dir() else { return };
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_chainward"))
            .args(["scan", testdata("projects/scan-unmaintained").to_str().unwrap(), "--format", "json"])
            .args(["--db", &db(&shared, "osv/crates.io.zip"), "--no-registry"])
            .env("CHAINWARD_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    let first = run();
    let written: Vec<String> = cache
        .path()
        .join("index")
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 2, "the database's compiled index and the built-in records' are written: {written:?}");
    assert!(written.iter().any(|n| n == "builtin.bin"), "{written:?}");
    let second = run();
    assert_eq!(keys(&json(&first)), keys(&json(&second)));
    assert_eq!(json(&first)["database"], json(&second)["database"]);
}

/// `chainward scan >&-`: the Rust runtime reopens a closed stdout on /dev/null, and the report
/// vanished with exit 0. It is exit 2 now; an explicit `>/dev/null` is still fine.
#[cfg(target_os = "linux")]
#[test]
fn a_closed_stdout_is_an_error_not_a_silent_pass() {
    let lock = testdata("projects/scan-unmaintained/Cargo.lock");
    let shell = |redirect: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("exec \"$0\" -q sbom \"$1\" {redirect}"))
            .arg(env!("CARGO_BIN_EXE_chainward"))
            .arg(&lock)
            .output()
            .unwrap()
    };
    let closed = shell(">&-");
    assert_eq!(closed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&closed.stderr).contains("standard output is closed"));
    let null = shell(">/dev/null");
    assert_eq!(null.status.code(), Some(0), "{}", String::from_utf8_lossy(&null.stderr));
    // With -o, stdout is not needed.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bom.json");
    let written = shell(&format!("-o {} >&-", out.display()));
    assert_eq!(written.status.code(), Some(0), "{}", String::from_utf8_lossy(&written.stderr));
    assert!(out.is_file());
}

/// Lockfiles that would pass as "0 packages, nothing found": an empty file is a warning, a
/// `version` cargo never wrote is an error saying so (not "a newer cargo wrote this file").
#[test]
fn an_empty_lockfile_warns_and_an_impossible_version_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    let scan = || {
        chainward(&["scan", dir.path().to_str().unwrap(), "--db", &testdata("advisories/diff").display().to_string()])
    };
    std::fs::write(&lock, "").unwrap();
    let out = scan();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: Cargo.lock: the lockfile lists no package"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (version, message) in [
        ("0", "invalid lockfile version 0 (cargo writes versions 1 to 4)"),
        ("\"3\"", "invalid lockfile version \"3\" (cargo writes versions 1 to 4)"),
        ("5", "unsupported lockfile version 5 (chainward reads Cargo.lock versions 1 to 4; a newer cargo"),
    ] {
        std::fs::write(&lock, format!("version = {version}\n")).unwrap();
        let out = scan();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("error: Cargo.lock:1: {message}")), "{stderr}");
    }
    let out = chainward(&["scan", dir.path().to_str().unwrap(), "--exclude", ""]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("an empty pattern would exclude everything"));
}
