//! `chainward sbom --rev REV`: the SBOM of a revision, read from git objects (nothing checked
//! out): that revision's packages and policy file, the commit in the metadata, byte-identical
//! output with `SOURCE_DATE_EPOCH`, a lockfile or a bare repository as PATH, and the errors.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use common::GitRepo as Repo;
use common::cargo_lock as lockfile;
use serde_json::Value;

const EPOCH: &str = "1700000000";

/// Run chainward in `dir`, with `SOURCE_DATE_EPOCH` set to [`EPOCH`].
fn chainward(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache"))
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run chainward")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), stderr(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: stderr {}", stderr(out)))
}

/// `name@version` of every component.
fn components(doc: &Value) -> BTreeSet<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}@{}", c["name"].as_str().unwrap(), c["version"].as_str().unwrap_or("")))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The value of the metadata property `name` (exactly one).
fn property<'a>(doc: &'a Value, name: &str) -> &'a str {
    let found: Vec<&str> = doc["metadata"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == name)
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(found.len(), 1, "{name}: {found:?}");
    found[0]
}

/// Three commits and an uncommitted work tree:
/// - v1 (tagged `v1`, annotated): `old 1.0.0`, `gone 0.1.0`;
/// - v2: `old 2.0.0`, `added 0.5.0`;
/// - v3: `old 3.0.0`;
/// - the work tree (not committed): `dirty 9.9.9`.
fn history() -> (Repo, [String; 3]) {
    let repo = Repo::new();
    repo.write("Cargo.lock", &lockfile(&[("old", "1.0.0"), ("gone", "0.1.0")]));
    let v1 = repo.commit("v1");
    let sig = git2::Signature::now("test", "test@example.com").unwrap();
    {
        let target = repo.repo.find_object(git2::Oid::from_str(&v1).unwrap(), None).unwrap();
        repo.repo.tag("v1", &target, &sig, "release v1", false).unwrap();
    }
    repo.write("Cargo.lock", &lockfile(&[("old", "2.0.0"), ("added", "0.5.0")]));
    let v2 = repo.commit("v2");
    repo.write("Cargo.lock", &lockfile(&[("old", "3.0.0")]));
    let v3 = repo.commit("v3");
    repo.write("Cargo.lock", &lockfile(&[("dirty", "9.9.9")]));
    (repo, [v1, v2, v3])
}

#[test]
fn an_older_revision_lists_its_own_packages_not_the_work_trees() {
    let (repo, [v1, v2, v3]) = history();
    let dir = repo.path.to_str().unwrap();
    let at_v1 = set(&["app@0.1.0", "old@1.0.0", "gone@0.1.0"]);
    // The same commit by a tag, an id, and a relative name; the revision is recorded as given.
    for rev in ["v1", v1.as_str(), "HEAD~2", "v1^{commit}"] {
        let doc = json(&chainward(&repo.path, &["sbom", dir, "--rev", rev]));
        assert_eq!(components(&doc), at_v1, "{rev}");
        assert_eq!(property(&doc, "chainward:git-commit"), v1, "{rev}");
        assert_eq!(property(&doc, "chainward:git-revision"), rev);
        common::validate_cyclonedx(&doc, "1.6").unwrap();
    }
    let doc = json(&chainward(&repo.path, &["sbom", "--rev", &v2]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "old@2.0.0", "added@0.5.0"]));
    assert_eq!(property(&doc, "chainward:git-commit"), v2);
    let doc = json(&chainward(&repo.path, &["sbom", "--rev", "HEAD"]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "old@3.0.0"]));
    assert_eq!(property(&doc, "chainward:git-commit"), v3);
    // The work tree itself is neither read nor touched, and its SBOM has no revision.
    let work = json(&chainward(&repo.path, &["sbom"]));
    assert_eq!(components(&work), set(&["app@0.1.0", "dirty@9.9.9"]));
    assert!(work["metadata"].get("properties").is_none(), "{}", work["metadata"]);
    assert!(std::fs::read_to_string(repo.path.join("Cargo.lock")).unwrap().contains("dirty"));
}

/// A clean checkout: `--rev HEAD` describes what the work tree's SBOM describes, the same
/// root and components and dependencies; only the commit properties (and so the serial number)
/// differ.
#[test]
fn head_of_a_clean_checkout_is_the_work_trees_sbom_plus_the_commit() {
    let repo = Repo::new();
    repo.write("Cargo.lock", &lockfile(&[("serde", "1.0.0"), ("log", "0.4.0")]));
    repo.write("web/Cargo.lock", &lockfile(&[("rand", "0.8.0")]));
    let head = repo.commit("two lockfiles");
    let mut work = json(&chainward(&repo.path, &["sbom"]));
    let mut rev = json(&chainward(&repo.path, &["sbom", "--rev", "HEAD"]));
    assert_eq!(property(&rev, "chainward:git-commit"), head);
    for doc in [&mut work, &mut rev] {
        let metadata = doc["metadata"].as_object_mut().unwrap();
        metadata.remove("properties");
        doc.as_object_mut().unwrap().remove("serialNumber");
    }
    assert_eq!(work, rev);
}

#[test]
fn two_runs_are_byte_identical_and_schema_valid_in_every_spec_and_format() {
    let (repo, [v1, _, v3]) = history();
    let dir = repo.path.to_str().unwrap();
    // Every spec version `sbom` writes (1.7 is read as input only).
    for spec in ["1.5", "1.6"] {
        for format in ["json", "xml"] {
            let args = ["sbom", dir, "--rev", "v1", "--spec-version", spec, "--format", format];
            let a = chainward(&repo.path, &args);
            let b = chainward(&repo.path, &args);
            assert!(a.status.success(), "{spec} {format}: {}", stderr(&a));
            assert_eq!(a.stdout, b.stdout, "{spec} {format}: two runs differ");
            // Another revision: another document, another serial number.
            let other = chainward(&repo.path, &["sbom", dir, "--rev", &v3, "--spec-version", spec, "--format", format]);
            assert_ne!(a.stdout, other.stdout, "{spec} {format}");
            if format == "json" {
                let doc: Value = serde_json::from_slice(&a.stdout).unwrap();
                common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{spec}: {e:?}"));
                assert_eq!(doc["specVersion"], spec);
                assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
                let serial = doc["serialNumber"].as_str().unwrap();
                assert_eq!(serial.as_bytes()[9 + 14], b'5', "a name-based (v5) UUID: {serial}");
                let serial_v3: Value = serde_json::from_slice(&other.stdout).unwrap();
                assert_ne!(serial_v3["serialNumber"], doc["serialNumber"]);
                assert_eq!(property(&doc, "chainward:git-commit"), v1);
                assert_eq!(property(&doc, "chainward:git-revision"), "v1");
            } else {
                common::validate_cyclonedx_xml(&a.stdout, spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
                let xml = String::from_utf8(a.stdout).unwrap();
                let doc = roxmltree::Document::parse(&xml).unwrap();
                let metadata = doc.root_element().first_element_child().unwrap();
                assert_eq!(metadata.tag_name().name(), "metadata");
                let properties: Vec<(&str, &str)> = metadata
                    .children()
                    .filter(|n| n.tag_name().name() == "properties")
                    .flat_map(|p| p.children().filter(roxmltree::Node::is_element))
                    .map(|p| (p.attribute("name").unwrap(), p.text().unwrap_or("")))
                    .collect();
                assert_eq!(
                    properties,
                    [("chainward:git-commit", v1.as_str()), ("chainward:git-revision", "v1")],
                    "{spec}"
                );
            }
        }
    }
}

#[test]
fn a_lockfile_path_reads_only_that_lockfile_at_the_revision() {
    let repo = Repo::new();
    repo.write("Cargo.lock", &lockfile(&[("root-dep", "1.0.0")]));
    repo.write("svc/Cargo.lock", &lockfile(&[("svc-dep", "1.0.0")]));
    repo.write("svc/tools/Cargo.lock", &lockfile(&[("tool-dep", "1.0.0")]));
    let first = repo.commit("first");
    repo.write("svc/Cargo.lock", &lockfile(&[("svc-dep", "2.0.0")]));
    repo.commit("second");
    let lock = repo.path.join("svc/Cargo.lock");
    let doc = json(&chainward(&repo.path, &["sbom", lock.to_str().unwrap(), "--rev", &first]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "svc-dep@1.0.0"]));
    assert_eq!(property(&doc, "chainward:git-commit"), first);
    let lockfiles: BTreeSet<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["properties"].as_array().unwrap())
        .filter(|p| p["name"] == "chainward:lockfile")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(lockfiles, BTreeSet::from(["Cargo.lock"]), "paths are relative to the lockfile's directory");
    // A directory inside the repository: the lockfiles below it, at the revision.
    let svc = repo.path.join("svc");
    let doc = json(&chainward(&repo.path, &["sbom", svc.to_str().unwrap(), "--rev", &first]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "svc-dep@1.0.0", "tool-dep@1.0.0"]));
    assert_eq!(doc["metadata"]["component"]["name"], "svc", "named as the work tree's SBOM is");
    // PATH relative to the current directory, inside the repository.
    let doc = json(&chainward(&svc, &["sbom", "Cargo.lock", "--rev", "HEAD"]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "svc-dep@2.0.0"]));
}

#[test]
fn the_policy_file_is_the_revisions() {
    let repo = Repo::new();
    repo.write("Cargo.lock", &lockfile(&[("kept", "1.0.0")]));
    repo.write("fixtures/Cargo.lock", &lockfile(&[("fixture", "1.0.0")]));
    repo.write("chainward.toml", "exclude = [\"fixtures\"]\n");
    let with_policy = repo.commit("policy excludes fixtures");
    std::fs::remove_file(repo.path.join("chainward.toml")).unwrap();
    let mut index = repo.repo.index().unwrap();
    index.remove_path(Path::new("chainward.toml")).unwrap();
    index.write().unwrap();
    let without = repo.commit("no policy");
    // The work tree's policy file excludes everything but the fixtures: never read with --rev.
    repo.write("chainward.toml", "exclude = [\"/Cargo.lock\"]\n");
    let doc = json(&chainward(&repo.path, &["sbom", "--rev", &with_policy]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "kept@1.0.0"]));
    let doc = json(&chainward(&repo.path, &["sbom", "--rev", &without]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "kept@1.0.0", "fixture@1.0.0"]));
    // A policy file at the revision that is not valid: an error naming it, exit 2.
    repo.write("chainward.toml", "exclude = 3\n");
    let broken = repo.commit("broken policy");
    let out = chainward(&repo.path, &["sbom", "--rev", &broken]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("chainward.toml"), "{}", stderr(&out));
}

#[test]
fn a_bare_repository_works_without_a_work_tree() {
    let (repo, [v1, v2, _]) = history();
    // A branch with two lockfiles, off v1; HEAD stays on the first branch.
    let first_branch = repo.repo.head().unwrap().name().unwrap().to_owned();
    {
        let v1_commit = repo.repo.find_commit(git2::Oid::from_str(&v1).unwrap()).unwrap();
        repo.repo.branch("two-lockfiles", &v1_commit, false).unwrap();
        repo.repo.set_head("refs/heads/two-lockfiles").unwrap();
        repo.repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force())).unwrap();
    }
    repo.write("svc/Cargo.lock", &lockfile(&[("svc", "1.0.0")]));
    repo.commit("second lockfile");
    repo.repo.set_head(&first_branch).unwrap();
    repo.repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force())).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let bare_dir = dest.path().join("project.git");
    let bare = repo.clone_bare(&bare_dir);
    assert!(bare.is_bare());
    let path = bare_dir.to_str().unwrap();
    let doc = json(&chainward(dest.path(), &["sbom", path, "--rev", "v1"]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "old@1.0.0", "gone@0.1.0"]));
    assert_eq!(property(&doc, "chainward:git-commit"), v1);
    common::validate_cyclonedx(&doc, "1.6").unwrap();
    // Several lockfiles make a synthetic root named after the project (`project.git` without
    // `.git`), as a checkout named `project` would be.
    let doc = json(&chainward(dest.path(), &["sbom", path, "--rev", "two-lockfiles"]));
    assert_eq!(doc["metadata"]["component"]["name"], "project");
    assert_eq!(components(&doc), set(&["app@0.1.0", "old@1.0.0", "gone@0.1.0", "svc@1.0.0"]));
    let doc = json(&chainward(&bare_dir, &["sbom", "--rev", "HEAD~1"]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "old@2.0.0", "added@0.5.0"]));
    assert_eq!(property(&doc, "chainward:git-commit"), v2);
    // A work tree's `.git` directory names its repository too.
    let doc = json(&chainward(&repo.path, &["sbom", ".git", "--rev", "two-lockfiles"]));
    assert_eq!(components(&doc), set(&["app@0.1.0", "old@1.0.0", "gone@0.1.0", "svc@1.0.0"]));
    let checkout = repo.path.file_name().unwrap().to_str().unwrap();
    assert_eq!(doc["metadata"]["component"]["name"], checkout);
    // A directory of the bare repository's internals is not a tree of the project.
    let out = chainward(dest.path(), &["sbom", bare_dir.join("refs").to_str().unwrap(), "--rev", "v1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bare repository"), "{}", stderr(&out));
    // Without --rev a bare repository has no lockfile to read: an error, as before.
    let out = chainward(dest.path(), &["sbom", path]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn bad_revisions_and_paths_exit_2_and_write_nothing() {
    let (repo, _) = history();
    let outside = tempfile::tempdir().unwrap();
    let lockfile_outside = outside.path().join("Cargo.lock");
    std::fs::write(&lockfile_outside, lockfile(&[("x", "1.0.0")])).unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["sbom", "--rev", "no-such-branch"], "unknown revision"),
        (&["sbom", "--rev", "0123456789abcdef0123456789abcdef01234567"], "unknown revision"),
        (&["sbom", "--rev", "HEAD^{tree}"], "not a commit"),
        (&["sbom", "--rev", "HEAD", outside.path().to_str().unwrap()], "not inside a git repository"),
        (&["sbom", "--rev", "HEAD", lockfile_outside.to_str().unwrap()], "not inside a git repository"),
    ];
    for (args, message) in cases {
        let out = chainward(&repo.path, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    // A lockfile the revision does not have.
    repo.write("later/Cargo.lock", &lockfile(&[("later", "1.0.0")]));
    let out = chainward(&repo.path, &["sbom", "later/Cargo.lock", "--rev", "v1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("Cargo.lock: cannot read file: no such file at this revision"), "{}", stderr(&out));
    // `-o FILE` is not created when the revision cannot be read.
    let target = outside.path().join("sbom.json");
    let out = chainward(&repo.path, &["sbom", "--rev", "nope", "-o", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!target.exists());
}

#[test]
fn cargo_metadata_with_rev_is_a_usage_error() {
    let (repo, _) = history();
    let out = chainward(&repo.path, &["sbom", "--rev", "HEAD", "--cargo-metadata"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("--rev") && err.contains("--cargo-metadata"), "{err}");
}

/// `--vex`: the advisories of the revision's packages, with the revision's policy file's ignores
/// as the analysis.
#[test]
fn vex_matches_the_revisions_packages_with_its_ignores() {
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/diff");
    let db = db.to_str().unwrap();
    let repo = Repo::new();
    repo.write("Cargo.lock", &lockfile(&[("vulnold", "1.0.0")]));
    repo.write("chainward.toml", "[[ignore]]\nid = \"CHAINWARD-TEST-0001\"\nreason = \"not reachable\"\n");
    let v1 = repo.commit("vulnold 1.0.0, ignored");
    // The work tree: another vulnerable package, and no policy file.
    repo.write("Cargo.lock", &lockfile(&[("vulnnew", "0.5.0")]));
    std::fs::remove_file(repo.path.join("chainward.toml")).unwrap();
    let doc = json(&chainward(&repo.path, &["sbom", "--rev", &v1, "--vex", "--db", db]));
    common::validate_cyclonedx(&doc, "1.6").unwrap();
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let ids: Vec<&str> = vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CHAINWARD-TEST-0001"]);
    assert_eq!(vulns[0]["analysis"]["state"], "not_affected");
    assert!(vulns[0]["analysis"]["detail"].as_str().unwrap().contains("not reachable"));
    assert_eq!(property(&doc, "chainward:git-commit"), v1);
}
