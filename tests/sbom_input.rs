//! `chainward scan SBOM`: what an SBOM chainward does not fully understand does (it never scans
//! as clean), which encodings and layouts are read, and crates.io named as a purl's
//! `repository_url`. Advisories: the hand-written `testdata/advisories/diff` records (the
//! fictional crate `vulnold` below 2.0.0 is affected).

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chainward::sbom::input::{self, MAX_PROBLEMS};
use serde_json::Value;

fn db() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/diff").display().to_string()
}

fn scan(sbom: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["scan", sbom.to_str().unwrap(), "--no-registry", "--db", &db(), "--format", "json"])
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache"))
        .output()
        .expect("run chainward")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)))
}

fn ids(report: &Value) -> Vec<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

const VULNOLD: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
    {"type": "library", "name": "vulnold", "version": "1.0.0", "purl": "pkg:cargo/vulnold@1.0.0"}]}"#;

#[test]
fn a_readable_sbom_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan(&write(dir.path(), "bom.json", VULNOLD.as_bytes()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(ids(&report(&out)), ["CHAINWARD-TEST-0001"]);
}

/// Before: each of these scanned as "0 packages, no advisories", exit 0.
#[test]
fn an_sbom_nothing_can_be_matched_from_is_an_error_not_a_clean_scan() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("components-object", r#"{"a": {"purl": "pkg:cargo/vulnold@1.0.0"}}"#, "0 components: 1 not understood"),
        ("components-strings", r#"["pkg:cargo/vulnold@1.0.0"]"#, "1 component: 1 not understood"),
        ("purl-object", r#"[{"name": "vulnold", "purl": {"type": "cargo", "name": "vulnold"}}]"#, "1 not understood"),
        ("no-purls", r#"[{"name": "vulnold", "version": "1.0.0"}, {"name": "x"}]"#, "2 components: 2 without a purl"),
        (
            "other-ecosystems",
            r#"[{"name": "openssl", "purl": "pkg:deb/debian/openssl@3.0.11"}]"#,
            "chainward does not match",
        ),
        ("empty", "[]", "the SBOM lists no components"),
    ];
    for (name, components, says) in cases {
        let doc = format!(r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": {components}}}"#);
        let out = scan(&write(dir.path(), &format!("{name}.json"), doc.as_bytes()));
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("nothing to scan") && err.contains(says), "{name}: {err}");
    }
}

#[test]
fn what_is_not_understood_is_counted_and_described() {
    let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
        "metadata": {"component": {"name": "app", "components": [
            {"name": "inner", "purl": "pkg:npm/%40scope/inner@1.0.0"}]}},
        "components": [
            {"name": "vulnold", "purl": "pkg:cargo/vulnold@1.0.0", "components": [
                {"name": "evil\u001b[31m", "version": "1"},
                "a string",
                {"name": "p", "purl": {"type": "cargo"}},
                {"name": "bad", "purl": "pkg:"},
                {"name": "alt", "purl": "pkg:cargo/alt@1.0.0?repository_url=https://my.example/index"}]},
            {"name": "nested-object", "purl": "pkg:pypi/x@1.0", "components": {"not": "an array"}}]}"#;
    let input = input::parse("bom.json", doc).unwrap();
    assert_eq!(input.packages.len(), 3, "{:?}", input.packages);
    // metadata.component (no purl: not counted as without_purl), its child, 2 + 5 components.
    assert_eq!(input.components, 9);
    assert_eq!(input.matched, 3);
    assert_eq!(input.without_purl, 1);
    assert_eq!(input.unsupported, 1);
    // a string, a purl object, an invalid purl, a `components` object.
    assert_eq!(input.malformed, 4);
    assert_eq!(
        input.problems,
        [
            "bom.json: components[0].components[0]: no purl: not matched (`evil\\u{1b}[31m 1`)",
            "bom.json: components[0].components[1]: expected a component object, found a string",
            "bom.json: components[0].components[2]: `purl` is an object, not a string (`p`)",
            "bom.json: components[0].components[3]: `pkg:` is not a valid purl (Missing required field package type)",
            "bom.json: components[0].components[4]: `pkg:cargo/alt@1.0.0?repository_url=https://my.example/index` not \
             matched: a package of another Cargo registry (`repository_url`), not the crates.io crate of that name",
            "bom.json: components[1].components: expected an array of components, found an object",
        ],
    );
    assert_eq!(
        input.summary("bom.json").unwrap(),
        "bom.json: 6 of 9 components not matched: 1 without a purl, 1 with a purl chainward does not match, 4 not \
         understood"
    );
    assert_eq!(input.notes("bom.json").len(), 7);
}

#[test]
fn problems_are_capped_with_a_count() {
    let components: Vec<String> = (0..MAX_PROBLEMS + 30).map(|i| format!(r#"{{"name": "c{i}"}}"#)).collect();
    let doc = format!(
        r#"{{"bomFormat": "CycloneDX", "components": [{}, {{"name": "ok", "purl": "pkg:cargo/ok@1.0.0"}}]}}"#,
        components.join(",")
    );
    let input = input::parse("bom.json", doc.as_bytes()).unwrap();
    assert_eq!(input.without_purl, MAX_PROBLEMS + 30);
    assert_eq!(input.problems.len(), MAX_PROBLEMS + 1);
    assert_eq!(input.problems.last().unwrap(), "bom.json: and 30 more");

    // The error for an SBOM with nothing to match carries the same problems.
    let doc = format!(r#"{{"bomFormat": "CycloneDX", "components": [{}]}}"#, components.join(","));
    let err = input::parse("bom.json", doc.as_bytes()).unwrap_err();
    assert_eq!(err.problems.len(), MAX_PROBLEMS + 1);
    assert!(err.message.contains(&format!("{} components: {} without a purl", MAX_PROBLEMS + 30, MAX_PROBLEMS + 30)));
}

#[test]
fn deep_nesting_is_bounded_and_does_not_overflow_the_stack() {
    // Far deeper than serde_json's recursion limit: an error, not a crash.
    let depth = 100_000;
    let doc = format!(
        r#"{{"bomFormat": "CycloneDX", "components": [{}{}]}}"#,
        r#"{"name": "x", "components": ["#.repeat(depth),
        "]}".repeat(depth)
    );
    let err = input::parse("deep.json", doc.as_bytes()).unwrap_err();
    assert!(err.message.contains("invalid JSON"), "{}", err.message);
    // As deep as the parser allows: read, iteratively.
    let depth = 60;
    let doc = format!(
        r#"{{"bomFormat": "CycloneDX", "components": [{}{{"name": "leaf", "purl": "pkg:cargo/leaf@1.0.0"}}{}]}}"#,
        r#"{"name": "x", "purl": "pkg:cargo/x@1.0.0", "components": ["#.repeat(depth),
        "]}".repeat(depth)
    );
    let input = input::parse("deep.json", doc.as_bytes()).unwrap();
    assert_eq!(input.components, depth + 1);
    assert_eq!(input.packages.len(), 2);
}

/// Before: refused ("no lockfile found" / not detected as an SBOM).
#[test]
fn utf8_with_bom_and_utf16_sboms_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut le = vec![0xff, 0xfe];
    let mut be = vec![0xfe, 0xff];
    for u in VULNOLD.encode_utf16() {
        le.extend(u.to_le_bytes());
        be.extend(u.to_be_bytes());
    }
    let bom8 = [&[0xef, 0xbb, 0xbf][..], VULNOLD.as_bytes()].concat();
    for (name, bytes) in [("utf8-bom", bom8), ("utf16le", le), ("utf16be", be)] {
        let out = scan(&write(dir.path(), &format!("{name}.json"), &bytes));
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert_eq!(ids(&report(&out)), ["CHAINWARD-TEST-0001"], "{name}");
    }
}

/// Before: `bomFormat` was looked for in the first 4096 bytes only.
#[test]
fn bom_format_after_the_components_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let padding: Vec<String> = (0..2_000)
        .map(|i| {
            format!(r#"{{"type": "library", "name": "pad{i}", "version": "1.0.0", "purl": "pkg:cargo/pad{i}@1.0.0"}}"#)
        })
        .collect();
    let doc = format!(
        r#"{{"components": [{}, {{"name": "vulnold", "purl": "pkg:cargo/vulnold@1.0.0"}}], "specVersion": "1.5", "bomFormat": "CycloneDX"}}"#,
        padding.join(",\n")
    );
    assert!(doc.len() > 100_000);
    let out = scan(&write(dir.path(), "late.json", doc.as_bytes()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = report(&out);
    assert_eq!(ids(&report), ["CHAINWARD-TEST-0001"]);
    assert_eq!(report["summary"]["packages"], 2_001);
}

/// Before: skipped as "another registry".
#[test]
fn crates_io_as_repository_url_is_matched() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "https://github.com/rust-lang/crates.io-index",
        "https://github.com/rust-lang/crates.io-index/",
        "sparse%2Bhttps://index.crates.io/",
        "https://index.crates.io",
        "https://index.crates.io/",
    ] {
        let doc = format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
                {{"name": "vulnold", "purl": "pkg:cargo/vulnold@1.0.0?repository_url={url}"}}]}}"#
        );
        let out = scan(&write(dir.path(), "bom.json", doc.as_bytes()));
        assert_eq!(out.status.code(), Some(1), "{url}: {}", stderr(&out));
        assert_eq!(ids(&report(&out)), ["CHAINWARD-TEST-0001"], "{url}");
        assert!(!stderr(&out).contains("ecosystems chainward does not match"), "{url}: {}", stderr(&out));
    }
}
