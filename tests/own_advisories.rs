//! chainward's own advisories (`advisories/`, built into the binary): every record is valid OSV
//! with a `CHAINWARD-YYYY-NNNN` id, references and affected versions; the embedded list is the
//! directory; scans match them with any database (and `--offline`), as `malicious` and
//! `critical`, and merge them with upstream records of the same incident.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chainward::advisory::builtin::RECORDS;
use serde_json::Value;

fn root(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every `advisories/*.json` file: (file name, parsed record), sorted by name.
fn records() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(root("advisories"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            assert!(p.extension().is_some_and(|e| e == "json"), "only OSV JSON records belong in advisories/: {name}");
            let text = std::fs::read_to_string(&p).unwrap();
            let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, value)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `CHAINWARD-` then a 4-digit year, `-`, a 4-digit number.
fn id_parts(id: &str) -> Option<(u32, u32)> {
    let rest = id.strip_prefix("CHAINWARD-")?;
    let (year, number) = rest.split_once('-')?;
    let digits = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    (digits(year) && digits(number)).then(|| (year.parse().unwrap(), number.parse().unwrap()))
}

#[test]
fn every_record_validates_against_the_osv_schema() {
    let Some(shared) = common::shared_dir() else { return };
    let path = shared.join("schemas/osv-schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::options().offline().should_validate_formats(true).build(&schema).unwrap();
    for (name, record) in records() {
        // The schema's `id` pattern lists the registered OSV home databases; chainward is not
        // one, so `CHAINWARD-` ids are the single expected error. The same record under the
        // schema's prefix for unregistered databases (`x_`) must be valid in every other way.
        let errors: Vec<String> =
            validator.iter_errors(&record).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.iter().all(|e| e.starts_with("/id: ")), "{name}: {errors:#?}");
        let mut renamed = record.clone();
        renamed["id"] = Value::String(format!("x_{}", record["id"].as_str().unwrap()));
        let errors: Vec<String> =
            validator.iter_errors(&renamed).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn records_have_chainward_ids_references_and_exact_versions() {
    let records = records();
    assert!(records.len() >= 15, "at least 15 records, found {}", records.len());
    let mut by_year: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, r) in &records {
        let id = r["id"].as_str().unwrap();
        let (year, number) = id_parts(id).unwrap_or_else(|| panic!("{name}: id {id} is not CHAINWARD-YYYY-NNNN"));
        assert_eq!(name, &format!("{id}.json"), "file name is the id");
        by_year.entry(year).or_default().push(number);
        let published = r["published"].as_str().unwrap_or_else(|| panic!("{id}: published"));
        assert!(published.starts_with(&year.to_string()), "{id}: YYYY is the year of the incident ({published})");
        assert!(r["modified"].is_string(), "{id}: modified");
        assert!(!r["summary"].as_str().unwrap_or_default().is_empty(), "{id}: summary");
        assert!(r["details"].as_str().unwrap_or_default().len() > 100, "{id}: details say what happened");
        assert_eq!(r["database_specific"]["kind"], "malicious", "{id}");
        assert_eq!(r["database_specific"]["source"], "chainward", "{id}");
        let references = r["references"].as_array().unwrap_or_else(|| panic!("{id}: references"));
        assert!(!references.is_empty(), "{id}: at least one reference");
        for reference in references {
            let kind = reference["type"].as_str().unwrap();
            assert!(matches!(kind, "ADVISORY" | "ARTICLE" | "REPORT" | "WEB"), "{id}: reference type {kind}");
            assert!(reference["url"].as_str().unwrap().starts_with("https://"), "{id}: {reference}");
        }
        for alias in r["aliases"].as_array().into_iter().flatten() {
            assert!(!alias.as_str().unwrap().starts_with("CHAINWARD-"), "{id}: aliases are other databases' ids");
        }
        let affected = r["affected"].as_array().unwrap_or_else(|| panic!("{id}: affected"));
        assert!(!affected.is_empty(), "{id}: affected");
        for a in affected {
            let ecosystem = a["package"]["ecosystem"].as_str().unwrap();
            assert!(matches!(ecosystem, "crates.io" | "npm" | "PyPI"), "{id}: ecosystem {ecosystem}");
            packages.entry(ecosystem.to_owned()).or_default().insert(id.to_owned());
            let versions = a["versions"].as_array().map_or(0, Vec::len);
            let ranges = a["ranges"].as_array().cloned().unwrap_or_default();
            assert!(versions > 0 || !ranges.is_empty(), "{id}: {a}");
            // A range only when the whole package is malicious: `introduced: "0"` and nothing else.
            for range in ranges {
                assert!(matches!(range["type"].as_str(), Some("SEMVER" | "ECOSYSTEM")), "{id}: {range}");
                assert_eq!(range["events"], serde_json::json!([{"introduced": "0"}]), "{id}: {range}");
            }
        }
    }
    for (year, numbers) in &by_year {
        let expected: Vec<u32> = (1..=u32::try_from(numbers.len()).unwrap()).collect();
        assert_eq!(numbers, &expected, "{year}: numbered from 0001 without gaps");
    }
    let count = |e: &str| packages.get(e).map_or(0, BTreeSet::len);
    assert!(count("crates.io") >= 4, "{packages:?}");
    assert!(count("npm") >= 8, "{packages:?}");
    assert!(count("PyPI") >= 4, "{packages:?}");
}

#[test]
fn the_embedded_list_is_the_directory() {
    let on_disk: Vec<(String, String)> = records()
        .into_iter()
        .map(|(name, _)| {
            let text = std::fs::read_to_string(root("advisories").join(&name)).unwrap();
            (name, text)
        })
        .collect();
    let embedded: Vec<(String, String)> = RECORDS.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&embedded), names(&on_disk), "add every advisories/ file to builtin::RECORDS, in order");
    assert_eq!(embedded, on_disk);
}

/// A cache directory of this test run, never the user's.
fn cache_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("own-advisories").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chainward(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .env("CHAINWARD_CACHE_DIR", cache)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run chainward")
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// (package, version) → (id, aliases) of every finding, each also checked to be a malicious,
/// critical finding.
fn findings(report: &Value) -> BTreeMap<(String, String), (String, BTreeSet<String>)> {
    let mut out = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let package =
            (f["package"]["name"].as_str().unwrap().to_owned(), f["package"]["version"].as_str().unwrap().to_owned());
        assert_eq!(f["kind"], "malicious", "{f}");
        assert_eq!(f["severity"], "critical", "{f}");
        let aliases = f["aliases"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect();
        let previous = out.insert(package.clone(), (f["id"].as_str().unwrap().to_owned(), aliases));
        assert!(previous.is_none(), "one finding per package: {package:?} twice");
    }
    out
}

fn key(name: &str, version: &str) -> (String, String) {
    (name.to_owned(), version.to_owned())
}

/// What the SBOM fixture must produce with no upstream record of these incidents:
/// (package, version, primary id, the CHAINWARD id among the ids).
const EXPECTED: [(&str, &str, &str, &str); 7] = [
    ("ua-parser-js", "0.7.29", "CHAINWARD-2021-0001", "CHAINWARD-2021-0001"),
    ("@solana/web3.js", "1.95.6", "CHAINWARD-2024-0001", "CHAINWARD-2024-0001"),
    ("chalk", "5.6.1", "CHAINWARD-2025-0005", "CHAINWARD-2025-0005"),
    ("ultralytics", "8.3.41", "CHAINWARD-2024-0002", "CHAINWARD-2024-0002"),
    ("num2words", "0.5.15", "CHAINWARD-2025-0003", "CHAINWARD-2025-0003"),
    ("torchtriton", "3.0.0", "CHAINWARD-2022-0004", "CHAINWARD-2022-0004"),
    // A RustSec alias is the finding's id, as it is with the RustSec database loaded.
    ("onering", "1.4.1", "RUSTSEC-2026-0175", "CHAINWARD-2026-0002"),
];

fn check_expected(report: &Value) {
    let found = findings(report);
    let expected: BTreeSet<(String, String)> = EXPECTED.iter().map(|(n, v, _, _)| key(n, v)).collect();
    assert_eq!(
        found.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "only the affected releases, not their clean neighbours"
    );
    for (name, version, id, chainward) in EXPECTED {
        let (found_id, aliases) = &found[&key(name, version)];
        assert_eq!(found_id, id, "{name} {version}");
        assert!(found_id == chainward || aliases.contains(chainward), "{name}: {aliases:?}");
    }
    let sources = report["database"]["sources"].as_array().unwrap();
    let builtin = sources.iter().find(|s| s["name"] == "chainward").unwrap_or_else(|| panic!("{sources:?}"));
    assert_eq!(builtin["path"], "builtin");
    assert_eq!(builtin["records"], RECORDS.len());
    assert_eq!(report["summary"]["packages"], 14);
}

/// The report's errors say that the packages of exactly these ecosystems were not checked.
fn not_checked(report: &Value, ecosystems: &[&str]) {
    let errors: Vec<&str> =
        report["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    let uncovered: Vec<&str> = errors.iter().copied().filter(|m| m.contains("were not checked")).collect();
    assert_eq!(uncovered.len(), ecosystems.len(), "{errors:?}");
    for e in ecosystems {
        assert!(uncovered.iter().any(|m| m.contains(&format!(" {e} package(s) were not checked"))), "{e}: {errors:?}");
    }
}

#[test]
fn a_scan_with_any_database_matches_the_built_in_records() {
    let cache = cache_dir("with-db");
    let sbom = root("testdata/sbom/malicious-releases.cdx.json");
    let db = root("testdata/advisories/own/unrelated");
    let out = chainward(&cache, &["scan", sbom.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"]);
    // The unrelated database has no crates.io or PyPI records: those packages were not looked
    // up there, which is an error (exit 2), and the built-in records still match.
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let report = report(&out);
    check_expected(&report);
    not_checked(&report, &["crates.io", "PyPI"]);
    let names: Vec<&str> =
        report["database"]["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["osv", "chainward"]);

    // The table names them too, with the incident's summary.
    let out = chainward(&cache, &["scan", sbom.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("CHAINWARD-2021-0001") && table.contains("ua-parser-js"), "{table}");
}

#[test]
fn an_offline_scan_with_the_managed_database_matches_them_too() {
    let cache = cache_dir("offline");
    // A managed database holding only an unrelated npm record, updated just now.
    let osv = cache.join("db/osv");
    std::fs::create_dir_all(&osv).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(osv.join("npm.zip")).unwrap());
    zip.start_file("GHSA-0000-0000-0001.json", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(&std::fs::read(root("testdata/advisories/own/unrelated/GHSA-0000-0000-0001.json")).unwrap()).unwrap();
    zip.finish().unwrap();
    std::fs::write(cache.join("db/updated"), "").unwrap();

    let sbom = root("testdata/sbom/malicious-releases.cdx.json");
    let out = chainward(&cache, &["scan", sbom.to_str().unwrap(), "--offline", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    check_expected(&report(&out));
    not_checked(&report(&out), &["crates.io", "PyPI"]);

    // `db status` lists the built-in source with the downloaded ones.
    let status = chainward(&cache, &["db", "status"]);
    let text = String::from_utf8(status.stdout).unwrap();
    assert!(text.contains("chainward") && text.contains("builtin"), "{text}");
}

#[test]
fn upstream_records_of_the_same_incident_make_one_finding_with_every_id() {
    let cache = cache_dir("dedup");
    let sbom = root("testdata/sbom/malicious-releases.cdx.json");
    let db = root("testdata/advisories/own/upstream");
    let out = chainward(&cache, &["scan", sbom.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    not_checked(&report(&out), &["PyPI"]);
    let report = report(&out);
    let found = findings(&report);
    assert_eq!(found.len(), EXPECTED.len(), "{found:?}");

    // The upstream id is primary; chainward's and the upstream aliases follow.
    let (id, aliases) = &found[&key("ua-parser-js", "0.7.29")];
    assert_eq!(id, "GHSA-pjwm-rvh2-c87w");
    assert!(aliases.contains("CHAINWARD-2021-0001") && aliases.contains("CVE-2021-4229"), "{aliases:?}");
    let (id, aliases) = &found[&key("onering", "1.4.1")];
    assert_eq!(id, "RUSTSEC-2026-0175");
    assert_eq!(aliases, &BTreeSet::from(["CHAINWARD-2026-0002".to_owned()]));
    let uap = report["findings"].as_array().unwrap().iter().find(|f| f["package"]["name"] == "ua-parser-js").unwrap();
    assert_eq!(uap["summary"], "Test stand-in: embedded malware in ua-parser-js", "the upstream record's text");
    assert_eq!(uap["url"], "https://github.com/advisories/GHSA-pjwm-rvh2-c87w");
}

#[test]
fn a_cargo_lockfile_with_a_malicious_crate_is_flagged() {
    let cache = cache_dir("cargo");
    let project = root("testdata/projects/scan-malicious");
    let db = root("testdata/advisories/own/unrelated");
    let out = chainward(&cache, &["scan", project.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let report = report(&out);
    not_checked(&report, &["crates.io"]);
    let found = findings(&report);
    let ids: BTreeMap<(String, String), String> = found.iter().map(|(k, (id, _))| (k.clone(), id.clone())).collect();
    assert_eq!(
        ids,
        BTreeMap::from([
            (key("onering", "1.4.1"), "RUSTSEC-2026-0175".to_owned()),
            (key("rustdecimal", "1.23.1"), "RUSTSEC-2022-0042".to_owned()),
        ]),
        "arrayref 0.3.9 is the clean neighbour of 0.3.10"
    );
    assert!(found[&key("rustdecimal", "1.23.1")].1.contains("CHAINWARD-2022-0001"));
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["location"]["path"], "Cargo.lock");
        assert!(f["location"]["line"].as_u64().unwrap() > 0, "{f}");
    }
}
