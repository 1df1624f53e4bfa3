//! One Python project locked by the real uv, poetry, pdm, pipenv, `pip lock`, pip-compile and
//! `uv pip compile`, plus uv's `pylock.toml` export (`testdata/python/real/`, see its README),
//! through the `chainward` binary only, against what the tools themselves and an independent reading of the advisory database
//! say (`tools/oracle_python.py`, which wrote `expected.json`):
//!
//! - `sbom` of each folder validates against CycloneDX 1.5 and 1.6, and its PyPI components are
//!   exactly the (name, version) pairs the tool reports for its own lockfile (PEP 503 names), each
//!   once, with a `pkg:pypi` purl, SHA-256 hashes the tool records for that package, and, where
//!   the format records groups, the scope of the group (main: required, extras only: optional,
//!   dev groups only: excluded);
//! - `scan --offline --no-registry --db PyPI.zip` of each folder exits 1 and finds exactly the
//!   PYSEC ids the oracle computed (records that share an alias are one finding, with the others in
//!   `aliases`), each at the block of its lockfile that names the package;
//! - one scan of a tree holding every folder finds the same, per folder.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const DIRS: [&str; 8] = ["uv", "poetry", "pdm", "pipenv", "pip-lock", "uv-pylock", "pip-tools", "uv-pip"];

/// The project's own name (uv's virtual root): first-party, never a PyPI component.
const PROJECT: &str = "chainward-py-fixture";

fn real(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/python/real").join(dir)
}

fn chainward(args: &[&str]) -> std::process::Output {
    let cache = tempfile::tempdir().unwrap();
    common::dead_registries(&mut Command::new(env!("CARGO_BIN_EXE_chainward")))
        .args(args)
        .env("CHAINWARD_CACHE_DIR", cache.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

/// PEP 503: lowercase, runs of `-`, `_` and `.` become one `-`.
fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// What `expected.json` says about one folder.
struct Want {
    lockfiles: Vec<String>,
    scopes_recorded: bool,
    /// (name, version) -> (scope, SHA-256 hashes the tool records).
    packages: BTreeMap<(String, String), (String, BTreeSet<String>)>,
    /// (PYSEC id, name, version).
    advisories: BTreeSet<(String, String, String)>,
    /// Findings once records sharing an alias are merged.
    findings: usize,
}

fn expected() -> BTreeMap<String, Want> {
    let doc: Value = serde_json::from_slice(&std::fs::read(real("expected.json")).unwrap()).unwrap();
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}")).to_owned();
    DIRS.iter()
        .map(|dir| {
            let d = &doc[*dir];
            let packages = d["packages"]
                .as_array()
                .unwrap_or_else(|| panic!("expected.json has no {dir}"))
                .iter()
                .map(|p| {
                    let hashes =
                        p["sha256"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_owned()).collect();
                    ((s(p, "name"), s(p, "version")), (s(p, "scope"), hashes))
                })
                .collect();
            let advisories = d["advisories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| (s(a, "id"), s(a, "name"), s(a, "version")))
                .collect();
            let want = Want {
                lockfiles: d["lockfiles"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect(),
                scopes_recorded: d["scopes_recorded"].as_bool().unwrap(),
                packages,
                advisories,
                findings: usize::try_from(d["findings"].as_u64().unwrap()).unwrap(),
            };
            ((*dir).to_owned(), want)
        })
        .collect()
}

/// Panics with what is missing and what is extra when `got` is not `want`.
fn same_set<T: Ord + std::fmt::Debug>(got: &BTreeSet<T>, want: &BTreeSet<T>, what: &str) {
    let missing: Vec<&T> = want.difference(got).collect();
    let extra: Vec<&T> = got.difference(want).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{what}: missing {missing:#?}, not expected {extra:#?}");
}

/// The PyPI components of `chainward sbom DIR --spec-version SPEC`, after checking the document
/// against the schema: (name, version) -> the component.
fn pypi_components(dir: &str, spec: &str) -> BTreeMap<(String, String), Value> {
    let path = real(dir);
    let out = chainward(&["sbom", path.to_str().unwrap(), "--spec-version", spec]);
    assert!(out.status.success(), "{dir}: {}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    if let Err(errors) = common::validate_cyclonedx(&doc, spec) {
        panic!("{dir}: the {spec} SBOM is not valid: {errors:#?}");
    }
    let mut found = BTreeMap::new();
    for c in doc["components"].as_array().unwrap_or_else(|| panic!("{dir}: no components")) {
        let name = c["name"].as_str().unwrap();
        if name == PROJECT {
            continue;
        }
        let purl = c["purl"].as_str().unwrap_or_else(|| panic!("{dir}: {name} has no purl: {c}"));
        assert!(purl.starts_with("pkg:pypi/"), "{dir}: {purl}");
        let key = (pep503(name), c["version"].as_str().unwrap_or_default().to_owned());
        assert_eq!(purl, format!("pkg:pypi/{}@{}", key.0, key.1), "{dir}");
        let again = found.insert(key.clone(), c.clone());
        assert!(again.is_none(), "{dir}: {key:?} is two components (one distribution, one component)");
    }
    found
}

#[test]
fn each_sbom_is_valid_and_holds_what_the_tool_locked() {
    if common::shared_dir().is_none() {
        return;
    }
    for (dir, want) in expected() {
        for spec in ["1.5", "1.6"] {
            let got = pypi_components(&dir, spec);
            let names: BTreeSet<&(String, String)> = got.keys().collect();
            let wanted: BTreeSet<&(String, String)> = want.packages.keys().collect();
            same_set(&names, &wanted, &format!("{dir} ({spec}): PyPI components"));
            for (key, component) in &got {
                let (scope, tool_hashes) = &want.packages[key];
                let hashes: BTreeSet<String> = component["hashes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|h| h["alg"] == "SHA-256")
                    .map(|h| h["content"].as_str().unwrap().to_owned())
                    .collect();
                assert!(!hashes.is_empty(), "{dir}: {key:?} has no SHA-256 hash though {tool_hashes:?} are locked");
                assert!(
                    hashes.is_subset(tool_hashes),
                    "{dir}: {key:?} has hashes {hashes:?} the tool does not record ({tool_hashes:?})"
                );
                if want.scopes_recorded {
                    // CycloneDX: no scope means required.
                    let got_scope = component["scope"].as_str().unwrap_or("required");
                    assert_eq!(got_scope, scope, "{dir}: scope of {key:?}");
                }
            }
        }
    }
}

/// `chainward scan` of `path` with PyPI.zip: the report, after checking the exit code (1) and
/// that it has no errors.
fn scan(shared: &Path, path: &Path) -> Value {
    let db = shared.join("advisory-db/osv/PyPI.zip");
    let out = chainward(&[
        "scan",
        path.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--offline",
        "--no-registry",
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}: {stderr}", path.display());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], Value::Array(Vec::new()), "{}", path.display());
    report
}

/// Checks the findings of one folder (`prefix`: the folder's path relative to the scanned root,
/// `""` or `"uv/"`) against `want`: the PYSEC ids per package, the number of findings and each
/// finding's line.
fn check_findings(dir: &str, prefix: &str, findings: &[&Value], want: &Want) {
    let mut got = BTreeSet::new();
    for f in findings {
        let p = &f["package"];
        let name = pep503(p["name"].as_str().unwrap());
        let version = p["version"].as_str().unwrap().to_owned();
        let ids: Vec<&str> = std::iter::once(&f["id"])
            .chain(f["aliases"].as_array().into_iter().flatten())
            .map(|i| i.as_str().unwrap())
            .filter(|i| i.starts_with("PYSEC-"))
            .collect();
        assert!(!ids.is_empty(), "{dir}: a finding without a PYSEC id: {f}");
        for id in ids {
            got.insert((id.to_owned(), name.clone(), version.clone()));
        }
        // Every finding points at the package's entry in its lockfile.
        let location = &f["location"];
        let file = location["path"].as_str().unwrap();
        let rel = file.strip_prefix(prefix).unwrap_or_else(|| panic!("{dir}: {file} is not under {prefix}"));
        assert!(want.lockfiles.iter().any(|l| l == rel), "{dir}: {location}");
        // The block (`[[package]]` to its last line, a JSON object, a requirement with its
        // `--hash` lines) names the package.
        let line = location["line"].as_u64().unwrap_or_else(|| panic!("{dir}: no line in {f}"));
        let end = location["end_line"].as_u64().unwrap_or(line);
        assert!(line >= 1 && end >= line, "{dir}: {location}");
        let text = std::fs::read_to_string(real(dir).join(rel)).unwrap();
        let block: Vec<&str> = text
            .lines()
            .skip(usize::try_from(line - 1).unwrap())
            .take(usize::try_from(end - line + 1).unwrap())
            .collect();
        assert!(
            block.iter().any(|l| pep503(l).contains(&name)),
            "{dir}: lines {line}-{end} of {rel} do not name {name}: {block:#?}"
        );
    }
    same_set(&got, &want.advisories, &format!("{dir}: PYSEC ids per package"));
    assert_eq!(findings.len(), want.findings, "{dir}: findings (records sharing an alias are one)");
}

#[test]
fn scan_of_each_lockfile_finds_the_advisories_the_oracle_expects() {
    let Some(shared) = common::shared_dir() else { return };
    for (dir, want) in expected() {
        assert!(!want.advisories.is_empty(), "{dir}");
        let report = scan(&shared, &real(&dir));
        let findings: Vec<&Value> = report["findings"].as_array().unwrap().iter().collect();
        check_findings(&dir, "", &findings, &want);
    }
}

#[test]
fn one_scan_of_every_lockfile_at_once_finds_the_same() {
    let Some(shared) = common::shared_dir() else { return };
    let tree = tempfile::tempdir().unwrap();
    for dir in DIRS {
        common::copy_dir(&real(dir), &tree.path().join(dir));
    }
    let report = scan(&shared, tree.path());
    let findings = report["findings"].as_array().unwrap();
    let wants = expected();
    let mut seen = 0;
    for (dir, want) in &wants {
        let prefix = format!("{dir}/");
        let mine: Vec<&Value> =
            findings.iter().filter(|f| f["location"]["path"].as_str().unwrap().starts_with(&prefix)).collect();
        seen += mine.len();
        check_findings(dir, &prefix, &mine, want);
    }
    assert_eq!(seen, findings.len(), "findings outside the folders");
    // And the whole tree makes one valid SBOM.
    for spec in ["1.5", "1.6"] {
        let out = chainward(&["sbom", tree.path().to_str().unwrap(), "--spec-version", spec]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        if let Err(errors) = common::validate_cyclonedx(&doc, spec) {
            panic!("the {spec} SBOM of every folder is not valid: {errors:#?}");
        }
    }
}

/// `expected.json` is the oracle's output for these lockfiles and this database: the database it
/// was computed from is the one in `../shared` (a new snapshot needs `tools/oracle_python.py`
/// again).
#[test]
fn expected_json_was_computed_from_this_database() {
    let Some(shared) = common::shared_dir() else { return };
    let doc: Value = serde_json::from_slice(&std::fs::read(real("expected.json")).unwrap()).unwrap();
    let zip = std::fs::read(shared.join("advisory-db/osv/PyPI.zip")).unwrap();
    let digest = sha256_hex(&zip);
    assert_eq!(doc["advisory_db"]["sha256"].as_str(), Some(digest.as_str()));
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    let mut s = String::with_capacity(64);
    for b in sha2::Sha256::digest(bytes) {
        write!(s, "{b:02x}").unwrap();
    }
    s
}
