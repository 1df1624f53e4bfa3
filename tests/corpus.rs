//! Every real Cargo.lock in `../shared/corpus/cargo/` through `chainward sbom`: one component
//! per `[[package]]`, right purls and SHA-256 hashes, every edge resolved, schema-valid 1.5 and
//! 1.6 JSON, and XML with the same components.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn corpus_dirs() -> Vec<PathBuf> {
    let Some(shared) = common::shared_dir() else { return Vec::new() };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(shared.join("corpus/cargo"))
        .expect("corpus/cargo")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("Cargo.lock").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 9, "expected the 9 corpus Cargo.lock files, found {}", dirs.len());
    dirs
}

fn sbom(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .arg("sbom")
        .arg(dir)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run chainward");
    assert!(out.status.success(), "{}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// What the lockfile itself says, read independently with the `toml` crate.
struct Expected {
    /// (name, version, source) of every package block (and a v1 `[root]`).
    packages: Vec<(String, String, Option<String>)>,
    /// name@version -> checksum, for crates.io packages.
    checksums: BTreeMap<(String, String), String>,
    /// Number of distinct dependency edges.
    edges: usize,
}

fn expected(lockfile: &Path) -> Expected {
    let text = std::fs::read_to_string(lockfile).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let mut tables: Vec<&toml::Table> = Vec::new();
    if let Some(root) = doc.get("root").and_then(toml::Value::as_table) {
        tables.push(root);
    }
    if let Some(packages) = doc.get("package").and_then(toml::Value::as_array) {
        tables.extend(packages.iter().filter_map(toml::Value::as_table));
    }
    let s = |t: &toml::Table, k: &str| t.get(k).and_then(toml::Value::as_str).map(str::to_owned);
    let mut packages = Vec::new();
    let mut checksums = BTreeMap::new();
    let mut edges = 0;
    for t in &tables {
        let (name, version, source) = (s(t, "name").unwrap(), s(t, "version").unwrap(), s(t, "source"));
        if let Some(sum) = s(t, "checksum") {
            checksums.insert((name.clone(), version.clone()), sum);
        }
        let deps: BTreeSet<&str> = t
            .get("dependencies")
            .and_then(toml::Value::as_array)
            .map_or_else(BTreeSet::new, |a| a.iter().filter_map(toml::Value::as_str).collect());
        edges += deps.len();
        packages.push((name, version, source));
    }
    // v1: `"checksum NAME VERSION (SOURCE)" = "HASH"`
    if let Some(meta) = doc.get("metadata").and_then(toml::Value::as_table) {
        for (k, v) in meta {
            let Some(spec) = k.strip_prefix("checksum ") else { continue };
            let mut parts = spec.split(' ');
            let (name, version) = (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned());
            if let Some(v) = v.as_str().filter(|v| *v != "<none>") {
                checksums.insert((name, version), v.to_owned());
            }
        }
    }
    Expected { packages, checksums, edges }
}

fn all_components(doc: &Value) -> Vec<&Value> {
    let mut all: Vec<&Value> = doc["components"].as_array().unwrap().iter().collect();
    let root = &doc["metadata"]["component"];
    if root["bom-ref"].as_str().unwrap().starts_with("path:") {
        all.push(root);
    }
    all
}

#[test]
fn every_corpus_lockfile_gives_a_complete_valid_sbom() {
    for dir in corpus_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let exp = expected(&dir.join("Cargo.lock"));
        let json16 = sbom(&dir, &[]);
        let doc: Value = serde_json::from_slice(&json16).unwrap();

        // One component (or the metadata component) per package block.
        let comps = all_components(&doc);
        assert_eq!(comps.len(), exp.packages.len(), "{name}: component count");
        let mut seen: BTreeMap<(String, String, &str), usize> = BTreeMap::new();
        for c in &comps {
            let kind = if c["purl"].is_null() { "path" } else { "published" };
            let key = (c["name"].as_str().unwrap().to_owned(), c["version"].as_str().unwrap().to_owned(), kind);
            *seen.entry(key).or_default() += 1;
        }
        let mut want: BTreeMap<(String, String, &str), usize> = BTreeMap::new();
        for (n, v, source) in &exp.packages {
            let kind = if source.is_some() { "published" } else { "path" };
            *want.entry((n.clone(), v.clone(), kind)).or_default() += 1;
        }
        assert_eq!(seen, want, "{name}: components differ from the lockfile's packages");

        // Registry packages: the purl and a SHA-256 equal to the lockfile checksum.
        let by_purl: BTreeMap<&str, &Value> = comps.iter().filter_map(|c| Some((c["purl"].as_str()?, *c))).collect();
        for (n, v, source) in &exp.packages {
            let Some(source) = source else { continue };
            if !source.starts_with("registry+") && !source.starts_with("sparse+") {
                continue;
            }
            let purl = format!("pkg:cargo/{n}@{v}");
            let c = by_purl.get(purl.as_str()).unwrap_or_else(|| panic!("{name}: no component with purl {purl}"));
            let sum = &exp.checksums[&(n.clone(), v.clone())];
            assert_eq!(c["hashes"], serde_json::json!([{ "alg": "SHA-256", "content": sum }]), "{name}: {purl}");
        }
        // Git packages carry the commit in the purl's vcs_url and a vcs external reference.
        for (n, v, source) in &exp.packages {
            let Some(source) = source.as_deref().filter(|s| s.starts_with("git+")) else { continue };
            let commit = source.rsplit_once('#').unwrap().1;
            let c = comps.iter().find(|c| c["name"] == n.as_str() && c["version"] == v.as_str()).unwrap();
            let purl = c["purl"].as_str().unwrap();
            assert!(purl.contains("vcs_url=git%2Bhttps") && purl.ends_with(commit), "{name}: {purl}");
            assert_eq!(c["externalReferences"][0]["type"], "vcs", "{name}: {purl}");
        }

        // Every component has a dependencies entry; every edge points at a component.
        let refs: BTreeSet<&str> = comps
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .chain(std::iter::once(doc["metadata"]["component"]["bom-ref"].as_str().unwrap()))
            .collect();
        let deps = doc["dependencies"].as_array().unwrap();
        let dep_refs: BTreeSet<&str> = deps.iter().map(|d| d["ref"].as_str().unwrap()).collect();
        assert_eq!(dep_refs, refs, "{name}: dependencies entries");
        let mut edges = 0;
        for d in deps {
            for target in d["dependsOn"].as_array().map(Vec::as_slice).unwrap_or_default() {
                assert!(refs.contains(target.as_str().unwrap()), "{name}: dangling {target}");
                if !d["ref"].as_str().unwrap().starts_with("workspace:") {
                    edges += 1;
                }
            }
        }
        assert_eq!(edges, exp.edges, "{name}: edge count");
        assert_eq!(doc["compositions"][0]["aggregate"], "complete");

        // Schema-valid, both versions.
        common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{name}: 1.6: {e:#?}"));
        let doc15: Value = serde_json::from_slice(&sbom(&dir, &["--spec-version", "1.5"])).unwrap();
        assert_eq!(doc15["specVersion"], "1.5");
        common::validate_cyclonedx(&doc15, "1.5").unwrap_or_else(|e| panic!("{name}: 1.5: {e:#?}"));

        // XML parses and lists the same components.
        let xml = String::from_utf8(sbom(&dir, &["--format", "xml"])).unwrap();
        common::validate_cyclonedx_xml(xml.as_bytes(), "1.6").unwrap_or_else(|e| panic!("{name}: XSD: {e}"));
        let tree = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{name}: XML: {e}"));
        let bom = tree.root_element();
        assert_eq!(bom.tag_name().namespace(), Some("http://cyclonedx.org/schema/bom/1.6"));
        let components = bom.children().find(|n| n.has_tag_name("components")).unwrap();
        let mut xml_refs: BTreeSet<&str> = components
            .children()
            .filter(|n| n.has_tag_name("component"))
            .map(|n| n.attribute("bom-ref").unwrap())
            .collect();
        let meta = bom.children().find(|n| n.has_tag_name("metadata")).unwrap();
        let root = meta.children().find(|n| n.has_tag_name("component")).unwrap();
        xml_refs.insert(root.attribute("bom-ref").unwrap());
        assert_eq!(xml_refs, refs, "{name}: XML components");
    }
}

#[test]
fn corpus_workspaces_without_member_manifests_still_say_what_they_know() {
    for dir in corpus_dirs() {
        let out = Command::new(env!("CARGO_BIN_EXE_chainward")).arg("sbom").arg(&dir).output().unwrap();
        assert!(out.status.success());
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let has_members = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap().contains("members");
        if has_members {
            assert!(stderr.contains("workspace members not found"), "{}: {stderr}", dir.display());
        }
        // The root manifest is there: its direct dependencies are known as such.
        let direct = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["properties"].as_array().unwrap().iter().any(|p| p["value"] == "direct"))
            .count();
        assert!(direct > 0, "{}: no direct dependency found", dir.display());
    }
}
