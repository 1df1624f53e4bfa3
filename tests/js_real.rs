//! One project locked by the real npm, yarn 1, yarn 4, pnpm and bun (`testdata/js/real/`, see
//! its README): every lockfile through `scan` and `sbom`, against what the package managers
//! and an independent reading of the advisory database (`tools/expected.py`) say.
//!
//! - `scan` with `../shared/advisory-db/osv/npm.zip` finds exactly the advisories
//!   `expected.json` lists (the alias `old-ms` is matched as `ms`, its real name);
//! - the SBOM validates against CycloneDX 1.5 and 1.6;
//! - the five lockfiles agree on every package's scope (npm's and pnpm's own flags, and the walk
//!   from `package.json` for yarn and bun), as they describe one project.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const DIRS: [&str; 6] = ["npm", "npm-workspace", "yarn-classic", "yarn-berry", "pnpm", "bun"];

fn real(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/js/real").join(dir)
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

#[test]
fn scan_finds_the_advisories_an_independent_reading_expects() {
    let Some(shared) = common::shared_dir() else { return };
    let db = shared.join("advisory-db/osv/npm.zip");
    let expected: Value = serde_json::from_slice(&std::fs::read(real("").join("expected.json")).unwrap()).unwrap();
    for dir in DIRS {
        let want: BTreeSet<(String, String, String)> = expected[dir]
            .as_array()
            .unwrap_or_else(|| panic!("expected.json has no {dir}"))
            .iter()
            .map(|f| {
                let s = |k: &str| f[k].as_str().unwrap().to_owned();
                (s("id"), s("name"), s("version"))
            })
            .collect();
        assert!(!want.is_empty(), "{dir}");
        let path = real(dir);
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
        assert_eq!(out.status.code(), Some(1), "{dir}: {stderr}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["errors"], Value::Array(Vec::new()), "{dir}");
        let findings = report["findings"].as_array().unwrap();
        let got: BTreeSet<(String, String, String)> = findings
            .iter()
            .map(|f| {
                let p = &f["package"];
                (
                    f["id"].as_str().unwrap().to_owned(),
                    p["name"].as_str().unwrap().to_owned(),
                    p["version"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(got, want, "{dir}");
        // The SBOM's VEX names the same advisories, each on the affected component.
        let out = chainward(&["sbom", path.to_str().unwrap(), "--vex", "--db", db.to_str().unwrap(), "--offline"]);
        assert!(out.status.success(), "{dir}: {}", String::from_utf8_lossy(&out.stderr));
        let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
        if let Err(errors) = common::validate_cyclonedx(&bom, "1.6") {
            panic!("{dir}: the VEX SBOM is not valid: {errors:#?}");
        }
        let vex: BTreeSet<&str> =
            bom["vulnerabilities"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
        let ids: BTreeSet<&str> = want.iter().map(|(id, ..)| id.as_str()).collect();
        assert_eq!(vex, ids, "{dir}");
        // Every finding points at the package's entry in its lockfile.
        for f in findings {
            let location = &f["location"];
            let file = location["path"].as_str().unwrap();
            assert!(
                ["package-lock.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock"].contains(&file),
                "{dir}: {location}"
            );
            let line = location["line"].as_u64().unwrap_or_else(|| panic!("{dir}: no line in {f}"));
            let text = std::fs::read_to_string(path.join(file)).unwrap();
            let at = text.lines().nth(usize::try_from(line).unwrap() - 1).unwrap();
            let name = f["package"]["name"].as_str().unwrap();
            let alias_line = name == "ms" && at.contains("old-ms");
            assert!(at.contains(name) || alias_line, "{dir}: line {line} of {file} is `{at}`, not {name}");
        }
    }
}

/// name@version → scope of every component of the SBOM of `dir`, after checking the document
/// against the CycloneDX 1.5 and 1.6 schemas.
fn scopes(dir: &str) -> BTreeMap<String, String> {
    let path = real(dir);
    let mut scopes = BTreeMap::new();
    for spec in ["1.5", "1.6"] {
        let out = chainward(&["sbom", path.to_str().unwrap(), "--spec-version", spec]);
        assert!(out.status.success(), "{dir}: {}", String::from_utf8_lossy(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        if let Err(errors) = common::validate_cyclonedx(&doc, spec) {
            panic!("{dir}: the {spec} SBOM is not valid: {errors:#?}");
        }
        for c in doc["components"].as_array().unwrap() {
            let key = format!("{}@{}", c["name"].as_str().unwrap(), c["version"].as_str().unwrap_or_default());
            let scope = c["scope"].as_str().unwrap_or("unknown").to_owned();
            scopes.insert(key, scope);
        }
    }
    scopes
}

#[test]
fn every_manager_gives_the_same_scopes_and_a_valid_sbom() {
    if common::shared_dir().is_none() {
        return;
    }
    let npm = scopes("npm");
    // What the project declares: a dev dependency (and its optional subtree, reached only
    // through it), an optional dependency and its dependencies, the rest required.
    for (package, scope) in [
        ("lodash@4.17.4", "required"),
        ("ms@0.7.0", "required"),
        ("ms@2.1.3", "required"),
        ("which@2.0.2", "required"),
        ("handlebars@4.0.5", "excluded"),
        ("uglify-js@2.8.29", "excluded"),
        ("ws@1.0.0", "optional"),
        ("ultron@1.0.2", "optional"),
    ] {
        assert_eq!(npm.get(package).map(String::as_str), Some(scope), "npm: {package} in {npm:#?}");
    }
    for dir in ["yarn-classic", "yarn-berry", "pnpm", "bun"] {
        let other = scopes(dir);
        for (package, scope) in &npm {
            // bun resolved optimist's `wordwrap@~0.0.2` to the 0.0.2 it already had (README).
            if dir == "bun" && package == "wordwrap@0.0.3" {
                continue;
            }
            assert_eq!(other.get(package), Some(scope), "{dir}: {package}");
        }
    }
    let workspace = scopes("npm-workspace");
    assert_eq!(workspace.get("ms@0.7.0").map(String::as_str), Some("required"), "{workspace:#?}");
    assert_eq!(workspace.get("semver@7.6.3").map(String::as_str), Some("excluded"), "{workspace:#?}");
}
