//! Diff mode from git objects: `scan --base`, `diff BASE [HEAD]`, `--head`, `--staged`, and the
//! policy file across revisions (new suppressions, expired ignores), on real repositories built
//! with `git2` in a temporary directory.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
#![allow(clippy::format_push_string, clippy::struct_field_names, clippy::cast_possible_truncation)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use common::CRATES_IO;

fn db() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/diff").display().to_string()
}

fn chainward(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .args(common::no_registry(args))
        .current_dir(dir)
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache"))
        .env_remove("GITHUB_ACTIONS")
        .env("CHAINWARD_NOW", "2026-11-22T00:00:00Z")
        .output()
        .expect("run chainward")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: stdout {} stderr {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

use common::GitRepo as Repo;
use common::cargo_lock as lockfile;

/// Base: vulnold (already vulnerable), bumped 1.0.0, gone 0.1.0. Head: vulnold, bumped 1.1.0,
/// vulnnew 0.5.0 (vulnerable), and no `gone`.
fn two_commits() -> (Repo, String, String) {
    let repo = Repo::new();
    repo.write("Cargo.lock", &lockfile(&[("vulnold", "1.0.0"), ("bumped", "1.0.0"), ("gone", "0.1.0")]));
    let base = repo.commit("base");
    repo.write("Cargo.lock", &lockfile(&[("vulnold", "1.0.0"), ("bumped", "1.1.0"), ("vulnnew", "0.5.0")]));
    let head = repo.commit("head: add vulnnew, bump bumped, drop gone");
    (repo, base, head)
}

fn ids(report: &Value, list: &str) -> BTreeSet<String> {
    report[list].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

fn names(changes: &Value, list: &str) -> Vec<String> {
    changes[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| match c["previous"].as_str() {
            Some(p) => format!("{} {p}->{}", c["name"].as_str().unwrap(), c["version"].as_str().unwrap()),
            None => format!("{} {}", c["name"].as_str().unwrap(), c["version"].as_str().unwrap()),
        })
        .collect()
}

#[test]
fn scan_base_reports_only_what_the_change_adds() {
    let (repo, base, _) = two_commits();
    let db = db();
    // Without --base: both advisories.
    let full = chainward(&repo.path, &["scan", "--db", &db, "--format", "json"]);
    assert_eq!(full.status.code(), Some(1));
    assert_eq!(
        ids(&json(&full), "findings"),
        BTreeSet::from(["CHAINWARD-TEST-0001".into(), "CHAINWARD-TEST-0002".into()])
    );

    for base in [base.as_str(), "HEAD~1"] {
        let out = chainward(&repo.path, &["scan", "--db", &db, "--format", "json", "--base", base]);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let report = json(&out);
        assert_eq!(ids(&report, "findings"), BTreeSet::from(["CHAINWARD-TEST-0002".into()]));
        let changes = &report["changes"];
        assert_eq!(names(changes, "added"), ["vulnnew 0.5.0"]);
        assert_eq!(names(changes, "updated"), ["bumped 1.0.0->1.1.0"]);
        assert_eq!(names(changes, "removed"), ["gone 0.1.0"]);
        assert_eq!(changes["head"], "worktree");
        // The added package's line is its [[package]] block at head.
        let text = std::fs::read_to_string(repo.path.join("Cargo.lock")).unwrap();
        let line = changes["added"][0]["line"].as_u64().unwrap() as usize;
        assert_eq!(text.lines().nth(line - 1), Some("[[package]]"));
        assert_eq!(text.lines().nth(line), Some("name = \"vulnnew\""));
    }

    // Nothing new since HEAD itself: exit 0, no findings, no changes.
    let same = chainward(&repo.path, &["scan", "--db", &db, "--format", "json", "--base", "HEAD"]);
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stderr));
    let report = json(&same);
    assert!(report["findings"].as_array().unwrap().is_empty());
    assert!(report["changes"]["added"].as_array().unwrap().is_empty());
}

#[test]
fn diff_lists_the_change_set_between_two_revisions() {
    let (repo, base, head) = two_commits();
    // The work tree differs from both: diff must read the revisions, not the files on disk.
    repo.write("Cargo.lock", &lockfile(&[("unrelated", "3.0.0")]));
    let db = db();
    let out = chainward(&repo.path, &["diff", &base, &head, "--db", &db, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    let changes = &report["changes"];
    assert_eq!(names(changes, "added"), ["vulnnew 0.5.0"]);
    assert_eq!(names(changes, "updated"), ["bumped 1.0.0->1.1.0"]);
    assert_eq!(names(changes, "removed"), ["gone 0.1.0"]);
    assert!(changes["base"].as_str().unwrap().contains(&base[..12]));
    assert_eq!(ids(&report, "findings"), BTreeSet::from(["CHAINWARD-TEST-0002".into()]));

    let table = chainward(&repo.path, &["diff", &base, &head, "--db", &db]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("+ vulnnew 0.5.0"), "{text}");
    assert!(text.contains("~ bumped 1.0.0 -> 1.1.0"), "{text}");
    assert!(text.contains("- gone 0.1.0"), "{text}");
    assert!(text.contains("CHAINWARD-TEST-0002"), "{text}");

    // --head gives the same as diff.
    let scan = chainward(&repo.path, &["scan", "--base", &base, "--head", &head, "--db", &db, "--format", "json"]);
    assert_eq!(json(&scan)["changes"]["added"], changes["added"]);

    let bad = chainward(&repo.path, &["diff", "no-such-rev", "--db", &db]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no-such-rev"));
}

#[test]
fn staged_sees_the_index_not_the_work_tree() {
    let (repo, _, _) = two_commits();
    let db = db();
    let staged = lockfile(&[("vulnold", "1.0.0"), ("bumped", "1.1.0"), ("vulnstaged", "1.0.0")]);
    repo.write("Cargo.lock", &staged);
    repo.stage("Cargo.lock");
    // The work tree goes back to a clean file after staging.
    repo.write("Cargo.lock", &lockfile(&[("bumped", "1.1.0")]));

    let out = chainward(&repo.path, &["scan", "--staged", "--db", &db, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        ids(&json(&out), "findings"),
        BTreeSet::from(["CHAINWARD-TEST-0001".into(), "CHAINWARD-TEST-0003".into()])
    );
    let worktree = chainward(&repo.path, &["scan", "--db", &db, "--format", "json"]);
    assert_eq!(worktree.status.code(), Some(0));

    // Staged against HEAD: only the staged addition is new.
    let out = chainward(&repo.path, &["scan", "--staged", "--base", "HEAD", "--db", &db, "--format", "json"]);
    let report = json(&out);
    assert_eq!(ids(&report, "findings"), BTreeSet::from(["CHAINWARD-TEST-0003".into()]));
    assert_eq!(report["changes"]["head"], "staged");
}

#[test]
fn a_change_cannot_quietly_silence_its_own_findings() {
    let (repo, base, _) = two_commits();
    repo.write(
        "chainward.toml",
        "[[ignore]]\nid = \"CHAINWARD-TEST-0002\"\npackage = \"vulnnew\"\nreason = \"test-only crate\"\n",
    );
    repo.commit("ignore the new finding");
    let db = db();
    let out = chainward(&repo.path, &["scan", "--base", &base, "--db", &db, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "ignored: {}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    assert!(report["findings"].as_array().unwrap().is_empty());
    assert_eq!(ids(&report, "suppressed"), BTreeSet::from(["CHAINWARD-TEST-0002".into()]));
    assert_eq!(report["suppressed"][0]["suppression"]["reason"], "test-only crate");
    let new = report["changes"]["new_suppressions"].as_array().unwrap();
    assert_eq!(new.len(), 1, "{report}");
    assert_eq!(new[0]["id"], "CHAINWARD-TEST-0002");

    // The Markdown summary shows the new suppression.
    let md = chainward(&repo.path, &["scan", "--base", &base, "--db", &db, "--format", "markdown"]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("CHAINWARD-TEST-0002"), "{md}");

    // The same ignore already present at the base is not new.
    let out = chainward(&repo.path, &["scan", "--base", "HEAD", "--db", &db, "--format", "json"]);
    assert!(json(&out)["changes"]["new_suppressions"].as_array().unwrap().is_empty());
}

#[test]
fn expired_ignores_stop_ignoring_and_unused_ones_warn() {
    let (repo, _, _) = two_commits();
    repo.write(
        "chainward.toml",
        "[[ignore]]\nid = \"CHAINWARD-TEST-0002\"\nreason = \"until the fix ships\"\nuntil = \"2026-01-31\"\n\n\
         [[ignore]]\nid = \"RUSTSEC-2099-0001\"\nreason = \"stale\"\n",
    );
    let db = db();
    let out = chainward(&repo.path, &["scan", "--db", &db, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert!(ids(&report, "findings").contains("CHAINWARD-TEST-0002"), "expired: reported again");
    let warnings: Vec<&str> = report["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(warnings.iter().any(|w| w.contains("CHAINWARD-TEST-0002") && w.contains("2026-01-31")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("RUSTSEC-2099-0001")), "{warnings:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expired"), "{stderr}");

    // An invalid policy file is exit 2 with file:line.
    repo.write("chainward.toml", "fail-on = \"high\"\n\n[[ignore]]\nid = \"X\"\n");
    let out = chainward(&repo.path, &["scan", "--db", &db]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chainward.toml:"), "{stderr}");
}

#[test]
fn sarif_from_a_scan_validates_and_points_at_the_package_block() {
    let (repo, base, _) = two_commits();
    let db = db();
    let out = chainward(&repo.path, &["scan", "--base", &base, "--db", &db, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::validate_sarif(&doc).unwrap_or_else(|e| panic!("{e:?}"));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    let text = std::fs::read_to_string(repo.path.join("Cargo.lock")).unwrap();
    let start = region["startLine"].as_u64().unwrap() as usize;
    assert_eq!(text.lines().nth(start), Some("name = \"vulnnew\""));
}

#[test]
fn sbom_vex_lists_vulnerabilities_with_the_ignores_as_analysis() {
    let (repo, _, _) = two_commits();
    repo.write("chainward.toml", "[[ignore]]\nid = \"CHAINWARD-TEST-0002\"\nreason = \"never built on our targets\"\n");
    let db = db();
    let out = chainward(&repo.path, &["sbom", "--vex", "--db", &db]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{e:?}"));
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let by_id = |id: &str| vulns.iter().find(|v| v["id"] == id).unwrap_or_else(|| panic!("{id} in {vulns:?}"));
    assert!(by_id("CHAINWARD-TEST-0001").get("analysis").is_none(), "nobody assessed it");
    let ignored = by_id("CHAINWARD-TEST-0002");
    assert_eq!(ignored["analysis"]["state"], "not_affected");
    assert!(ignored["analysis"]["detail"].as_str().unwrap().contains("never built on our targets"));
    let component = ignored["affects"][0]["ref"].as_str().unwrap();
    assert!(doc["components"].as_array().unwrap().iter().any(|c| c["bom-ref"] == component && c["name"] == "vulnnew"));

    let xml = chainward(&repo.path, &["sbom", "--vex", "--db", &db, "--format", "xml"]);
    assert_eq!(xml.status.code(), Some(2));
}

/// A lockfile with explicit `[[package]]` blocks (name, version, source, checksum).
fn raw_lockfile(blocks: &[(&str, &str, Option<&str>, Option<&str>)]) -> String {
    let mut out = String::from("version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n");
    for (name, version, source, checksum) in blocks {
        out.push_str(&format!("\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"));
        if let Some(s) = source {
            out.push_str(&format!("source = \"{s}\"\n"));
        }
        if let Some(c) = checksum {
            out.push_str(&format!("checksum = \"{c}\"\n"));
        }
    }
    out
}

#[test]
fn source_change_and_checksum_drift_between_base_and_head() {
    let a = "a".repeat(64);
    let b = "b".repeat(64);
    let repo = Repo::new();
    repo.write(
        "Cargo.lock",
        &raw_lockfile(&[
            ("forked", "1.0.0", Some(CRATES_IO), Some(&a)),
            ("drifted", "2.0.0", Some(CRATES_IO), Some(&a)),
            ("steady", "3.0.0", Some(CRATES_IO), Some(&a)),
            ("bumped", "1.0.0", Some(CRATES_IO), Some(&a)),
        ]),
    );
    let base = repo.commit("base");
    repo.write(
        "Cargo.lock",
        &raw_lockfile(&[
            // The classic quiet fork: same name and version, now from somebody's git repository.
            (
                "forked",
                "1.0.0",
                Some("git+https://github.com/someone/forked?branch=main#0123456789abcdef0123456789abcdef01234567"),
                None,
            ),
            // Same version and source, other bytes.
            ("drifted", "2.0.0", Some(CRATES_IO), Some(&b)),
            ("steady", "3.0.0", Some(CRATES_IO), Some(&a)),
            // An ordinary update changes the checksum too: not drift.
            ("bumped", "1.0.1", Some(CRATES_IO), Some(&b)),
        ]),
    );
    let head = repo.commit("head");
    let db = db();
    let out = chainward(&repo.path, &["diff", &base, &head, "--db", &db, "--format", "json", "--fail-on", "high"]);
    let report = json(&out);
    let findings: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["package"]["name"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            ("checksum-drift".to_owned(), "drifted".to_owned(), "high".to_owned()),
            ("source-change".to_owned(), "forked".to_owned(), "high".to_owned()),
        ],
        "{report:#}"
    );
    assert_eq!(out.status.code(), Some(1), "high findings fail --fail-on high");
    let drift = &report["findings"][0];
    assert_eq!(drift["id"], "checksum-drift");
    assert_eq!(drift["location"]["path"], "Cargo.lock");
    assert!(drift["summary"].as_str().unwrap().contains("checksum changed"), "{drift}");
    let moved = report["findings"][1]["summary"].as_str().unwrap();
    assert!(moved.contains("now comes from git https://github.com/someone/forked (was crates.io)"), "{moved}");

    // A full scan has no base: neither rule can fire.
    let full = json(&chainward(&repo.path, &["scan", "--db", &db, "--format", "json", "--fail-on", "none"]));
    assert!(
        full["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] != "source-change" && f["kind"] != "checksum-drift")
    );

    // Both rules can be switched off, and ignored like any finding.
    repo.write(
        "chainward.toml",
        "[heuristics.rules]\nsource-change = false\n\n[[ignore]]\nid = \"checksum-drift\"\npackage = \"drifted\"\nreason = \"we re-vendored it on purpose\"\n",
    );
    let quiet = chainward(&repo.path, &["scan", "--base", &base, "--db", &db, "--format", "json", "--fail-on", "low"]);
    let quiet_report = json(&quiet);
    assert_eq!(ids(&quiet_report, "findings"), BTreeSet::new(), "{quiet_report:#}");
    assert_eq!(ids(&quiet_report, "suppressed"), BTreeSet::from(["checksum-drift".to_owned()]));
    assert_eq!(quiet.status.code(), Some(0));
}

/// A lockfile where `dup` has every version of `versions`, the root depending on each.
fn many_versions(versions: &[String]) -> String {
    let mut out = String::from("version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n");
    for v in versions {
        out.push_str(&format!(" \"dup {v}\",\n"));
    }
    out.push_str("]\n");
    for v in versions {
        out.push_str(&format!("\n[[package]]\nname = \"dup\"\nversion = \"{v}\"\nsource = \"{CRATES_IO}\"\n"));
    }
    out
}

/// The probe's quadratic change set: 16k versions of one name took 20 s (every version compared
/// with every other, and re-parsed inside the sort's comparator). Also, versions that parse and
/// versions that do not are put in one consistent order (a comparator mixing the two can be
/// inconsistent, which makes sorting panic).
#[test]
fn a_change_set_over_thousands_of_versions_of_one_name() {
    let repo = Repo::new();
    let mut base: Vec<String> = (0..16_000).map(|i| format!("0.{i}.0")).collect();
    base.extend(["1.10.0", "1.5x", "1.9.0", "1.10x"].map(str::to_owned));
    repo.write("Cargo.lock", &many_versions(&base));
    let base_commit = repo.commit("base");
    let mut head: Vec<String> = (1..16_001).map(|i| format!("0.{i}.0")).collect();
    head.extend(["1.10.0", "1.5y", "1.9.1", "1.10x"].map(str::to_owned));
    repo.write("Cargo.lock", &many_versions(&head));
    let head_commit = repo.commit("head");
    let out = chainward(&repo.path, &["diff", &base_commit, &head_commit, "--db", &db(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let changes = json(&out)["changes"].clone();
    // Versions that parse pair up in version order, then those that do not, by text.
    assert_eq!(names(&changes, "updated"), ["dup 0.0.0->0.16000.0", "dup 1.9.0->1.9.1", "dup 1.5x->1.5y"]);
    assert!(names(&changes, "added").is_empty() && names(&changes, "removed").is_empty());
}

/// In diff mode an ignore that silences a finding already present at the base is in use: it
/// is needed by every full scan, so "matched nothing, remove it" would be wrong advice.
#[test]
fn an_ignore_of_a_finding_already_at_the_base_is_not_called_unused() {
    let (repo, base, _) = two_commits();
    repo.write("chainward.toml", "[[ignore]]\nid = \"CHAINWARD-TEST-0001\"\nreason = \"vulnold is sandboxed\"\n");
    let db = db();
    let out = chainward(&repo.path, &["scan", "--base", &base, "--db", &db, "--format", "json"]);
    let report = json(&out);
    let warnings: Vec<&str> = report["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(!warnings.iter().any(|w| w.contains("CHAINWARD-TEST-0001")), "{warnings:?}");
    // What diff mode reports is unchanged: only what the change adds, nothing from the base.
    assert_eq!(ids(&report, "findings"), BTreeSet::from(["CHAINWARD-TEST-0002".to_owned()]));
    assert!(report["suppressed"].as_array().unwrap().is_empty(), "{report}");
}

/// `exclude` in the `chainward.toml` at the root applies to discovery, as `--exclude` does (it
/// was only read from a policy file named with `--config`).
#[test]
fn the_policy_files_exclude_applies_without_config() {
    let repo = Repo::new();
    repo.write("Cargo.lock", &lockfile(&[("bumped", "1.0.0")]));
    repo.write("fixtures/Cargo.lock", &lockfile(&[("vulnold", "1.0.0")]));
    let db = db();
    let out = chainward(&repo.path, &["scan", "--db", &db, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "the fixture's vulnerable package is found");
    repo.write("chainward.toml", "exclude = [\"fixtures\"]\n");
    let out = chainward(&repo.path, &["scan", "--db", &db, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["summary"]["packages"], 1);
    // And at each revision in diff mode, from that revision's own policy file.
    let base = repo.commit("policy excludes fixtures");
    let out = chainward(&repo.path, &["scan", "--base", &base, "--db", &db, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
