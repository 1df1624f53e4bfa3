//! JavaScript lockfiles through every command, with no npm-only special case: one SBOM for a
//! repository with Cargo and npm lockfiles, discovery skipping `node_modules`, a broken lockfile
//! next to good ones, diff mode (`--base`) with SARIF regions on the package's entry and
//! fingerprints that survive unrelated entries moving, and `install-script-added` from the
//! lockfile's `hasInstallScript`, offline.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use common::GitRepo;
use serde_json::{Value, json};

fn chainward(dir: &Path, args: &[&str]) -> Output {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("js-pipeline-cache");
    common::dead_registries(&mut Command::new(env!("CARGO_BIN_EXE_chainward")))
        .args(args)
        .current_dir(dir)
        .env("CHAINWARD_CACHE_DIR", cache)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run chainward")
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: stdout {} stderr {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

/// A database of two OSV records: npm `lodash` before 4.17.5, crates.io `vulnold` (any version).
fn database() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let records = [
        json!({"id": "TEST-NPM-0001", "summary": "lodash prototype pollution (test record)",
               "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
                             "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.5"}]}]}]}),
        json!({"id": "TEST-CARGO-0001", "summary": "vulnold (test record)",
               "affected": [{"package": {"ecosystem": "crates.io", "name": "vulnold"},
                             "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}),
    ];
    for r in records {
        std::fs::write(dir.path().join(format!("{}.json", r["id"].as_str().unwrap())), r.to_string()).unwrap();
    }
    dir
}

/// A package-lock.json (v3) of the root `app` depending on every listed package; each entry
/// may carry extra fields (`"hasInstallScript": true`).
fn package_lock(packages: &[(&str, &str, &str)]) -> String {
    let mut deps = String::new();
    for (i, (name, version, _)) in packages.iter().enumerate() {
        let comma = if i + 1 < packages.len() { "," } else { "" };
        let _ = write!(deps, "\n        \"{name}\": \"{version}\"{comma}");
    }
    let mut out = format!(
        "{{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \
         \"packages\": {{\n    \"\": {{\n      \"name\": \"app\",\n      \"version\": \"1.0.0\",\n      \
         \"dependencies\": {{{deps}\n      }}\n    }}"
    );
    for (name, version, extra) in packages {
        let extra = if extra.is_empty() { String::new() } else { format!(",\n      {extra}") };
        let _ = write!(
            out,
            ",\n    \"node_modules/{name}\": {{\n      \"version\": \"{version}\",\n      \"resolved\": \
             \"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz\"{extra}\n    }}"
        );
    }
    out.push_str("\n  }\n}\n");
    out
}

fn cargo_lock(vulnold: &str) -> String {
    format!(
        "version = 3\n\n[[package]]\nname = \"svc\"\nversion = \"0.1.0\"\ndependencies = [\n \"vulnold\",\n]\n\n\
         [[package]]\nname = \"vulnold\"\nversion = \"{vulnold}\"\nsource = \
         \"registry+https://github.com/rust-lang/crates.io-index\"\n"
    )
}

fn write(root: &Path, rel: &str, text: &str) {
    let file = root.join(rel);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Cargo.lock", &cargo_lock("1.0.0"));
    write(dir.path(), "web/package-lock.json", &package_lock(&[("lodash", "4.17.4", ""), ("ms", "2.1.3", "")]));
    write(dir.path(), "web/package.json", r#"{"name": "app", "version": "1.0.0"}"#);
    // An installed tree's own lockfiles are not the project's.
    write(dir.path(), "web/node_modules/ms/package-lock.json", "not even JSON");
    write(dir.path(), "web/node_modules/.package-lock.json", "not even JSON");
    dir
}

#[test]
fn one_sbom_for_cargo_and_npm_lockfiles_without_node_modules() {
    let dir = tree();
    let out = chainward(dir.path(), &["sbom", "."]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = report(&out);
    if let Err(e) = common::validate_cyclonedx(&doc, "1.6") {
        panic!("{e:#?}");
    }
    let purls: BTreeSet<&str> =
        doc["components"].as_array().unwrap().iter().filter_map(|c| c["purl"].as_str()).collect();
    for purl in ["pkg:cargo/vulnold@1.0.0", "pkg:npm/lodash@4.17.4", "pkg:npm/ms@2.1.3"] {
        assert!(purls.contains(purl), "{purl} in {purls:?}");
    }
    let lockfiles: BTreeSet<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["properties"].as_array().unwrap())
        .filter(|p| p["name"] == "chainward:lockfile")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(lockfiles, BTreeSet::from(["Cargo.lock", "web/package-lock.json"]), "node_modules is not read");
    // The synthetic root depends on both lockfiles' roots.
    let root = doc["metadata"]["component"]["bom-ref"].as_str().unwrap();
    let entry = doc["dependencies"].as_array().unwrap().iter().find(|d| d["ref"] == root).unwrap();
    assert_eq!(entry["dependsOn"].as_array().unwrap().len(), 2, "{entry}");
}

#[test]
fn a_broken_lockfile_is_an_error_and_the_others_are_still_scanned() {
    let dir = tree();
    let db = database();
    write(dir.path(), "admin/package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": [\n}\n");
    write(dir.path(), "legacy/package-lock.json", "{\"lockfileVersion\": 4, \"packages\": {}}\n");
    let out = chainward(
        dir.path(),
        &["scan", ".", "--db", db.path().to_str().unwrap(), "--offline", "--no-registry", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let report = report(&out);
    let ids: BTreeSet<&str> =
        report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, BTreeSet::from(["TEST-CARGO-0001", "TEST-NPM-0001"]), "{report:#}");
    let errors: Vec<(&str, Option<u64>, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e["line"].as_u64(), e["message"].as_str().unwrap()))
        .collect();
    assert!(errors.iter().any(|(p, l, _)| *p == "admin/package-lock.json" && l.is_some()), "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|(p, _, m)| *p == "legacy/package-lock.json" && m.contains("lockfileVersion") && m.contains('4')),
        "{errors:?}"
    );
}

#[test]
fn findings_from_several_lockfiles_say_where_in_the_table_and_markdown() {
    let dir = tree();
    let db = database();
    let args = ["scan", ".", "--db", db.path().to_str().unwrap(), "--offline", "--no-registry"];
    let table = chainward(dir.path(), &args);
    assert_eq!(table.status.code(), Some(1), "{}", String::from_utf8_lossy(&table.stderr));
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("WHERE"), "{table}");
    let lodash = table.lines().find(|l| l.contains("TEST-NPM-0001")).unwrap();
    assert!(lodash.trim_end().ends_with("web/package-lock.json:15"), "{table}");
    let vulnold = table.lines().find(|l| l.contains("TEST-CARGO-0001")).unwrap();
    assert!(vulnold.trim_end().ends_with("Cargo.lock:10"), "{table}");
    let markdown = chainward(dir.path(), &[&args[..], &["--format", "markdown"]].concat());
    let markdown = String::from_utf8(markdown.stdout).unwrap();
    assert!(markdown.contains("| Where |") && markdown.contains("| web/package-lock.json:15 |"), "{markdown}");
    // One lockfile: no column (the file is the one scanned).
    let single = chainward(&dir.path().join("web"), &args);
    assert!(!String::from_utf8(single.stdout).unwrap().contains("WHERE"));
}

fn sarif_results(out: &Output) -> Vec<Value> {
    let doc = report(out);
    if let Err(e) = common::validate_sarif(&doc) {
        panic!("{e:#?}");
    }
    doc["runs"][0]["results"].as_array().unwrap().clone()
}

#[test]
fn diff_mode_points_at_the_entry_and_keeps_the_fingerprint_when_other_entries_move() {
    let db = database();
    let db = db.path().to_str().unwrap().to_owned();
    let repo = GitRepo::new();
    repo.write("package-lock.json", &package_lock(&[("lodash", "4.17.21", ""), ("ms", "2.1.3", "")]));
    let base = repo.commit("base");
    repo.write("package-lock.json", &package_lock(&[("lodash", "4.17.4", ""), ("ms", "2.1.3", "")]));
    let scan = |repo: &GitRepo| {
        let out = chainward(
            &repo.path,
            &["scan", ".", "--base", &base, "--db", &db, "--offline", "--no-registry", "--format", "sarif"],
        );
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let results = sarif_results(&out);
        assert_eq!(results.len(), 1, "{results:#?}");
        let region = results[0]["locations"][0]["physicalLocation"]["region"].clone();
        let (start, end) = (region["startLine"].as_u64().unwrap(), region["endLine"].as_u64().unwrap());
        let text = std::fs::read_to_string(repo.path.join("package-lock.json")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[usize::try_from(start).unwrap() - 1].trim(), "\"node_modules/lodash\": {");
        assert_eq!(lines[usize::try_from(end).unwrap() - 1].trim(), "},", "the entry's closing brace");
        results[0]["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap().to_owned()
    };
    let before = scan(&repo);
    // An unrelated entry before it moves every line; the finding keeps its fingerprint.
    repo.write(
        "package-lock.json",
        &package_lock(&[("acorn", "8.11.3", ""), ("lodash", "4.17.4", ""), ("ms", "2.1.3", "")]),
    );
    assert_eq!(scan(&repo), before);

    // The change set names the lockfile.
    repo.commit("head");
    let out =
        chainward(&repo.path, &["diff", &base, "HEAD", "--db", &db, "--offline", "--no-registry", "--format", "json"]);
    let report = report(&out);
    let updated = report["changes"]["updated"].as_array().unwrap();
    assert!(
        updated.iter().any(|u| u["name"] == "lodash"
            && u["previous"] == "4.17.21"
            && u["version"] == "4.17.4"
            && u["path"] == "package-lock.json"
            && u["ecosystem"] == "npm"),
        "{report:#}"
    );
}

#[test]
fn an_install_script_a_new_version_adds_is_flagged_offline_in_diff_mode() {
    let db = database();
    let db = db.path().to_str().unwrap().to_owned();
    let repo = GitRepo::new();
    repo.write("package-lock.json", &package_lock(&[("esbuild", "0.18.0", ""), ("ms", "2.1.3", "")]));
    let base = repo.commit("base");
    repo.write(
        "package-lock.json",
        &package_lock(&[("esbuild", "0.19.0", "\"hasInstallScript\": true"), ("ms", "2.1.3", "")]),
    );
    let out = chainward(
        &repo.path,
        &["scan", ".", "--base", &base, "--db", &db, "--offline", "--no-registry", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = report(&out);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["id"], "install-script-added");
    assert_eq!(findings[0]["package"]["version"], "0.19.0");
    assert_eq!(findings[0]["location"]["path"], "package-lock.json");
    // A package that had a script before and still has one is not a finding.
    repo.commit("head");
    repo.write(
        "package-lock.json",
        &package_lock(&[("esbuild", "0.19.1", "\"hasInstallScript\": true"), ("ms", "2.1.3", "")]),
    );
    let out = chainward(
        &repo.path,
        &["scan", ".", "--base", "HEAD", "--db", &db, "--offline", "--no-registry", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_staged_index_is_scanned_per_lockfile() {
    let db = database();
    let db = db.path().to_str().unwrap().to_owned();
    let repo = GitRepo::new();
    repo.write("web/package-lock.json", &package_lock(&[("lodash", "4.17.21", "")]));
    repo.commit("base");
    repo.write("web/package-lock.json", &package_lock(&[("lodash", "4.17.4", "")]));
    repo.stage("web/package-lock.json");
    // The work tree moves on, unstaged: the staged lockfile is what is scanned.
    repo.write("web/package-lock.json", &package_lock(&[("lodash", "4.17.21", "")]));
    let out = chainward(
        &repo.path,
        &["scan", ".", "--staged", "--base", "HEAD", "--db", &db, "--offline", "--no-registry", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = report(&out);
    assert_eq!(report["findings"][0]["location"]["path"], "web/package-lock.json", "{report:#}");
}

/// The pre-commit hook runs on every file name chainward reads (its `files:` regex, as
/// pre-commit applies it with Python's `re.search`).
#[test]
fn the_pre_commit_hook_triggers_on_every_lockfile_name() {
    let Some(python) = common::external_tool("PYTHON3", "python3") else { return };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    let script = "import re, sys\n\
        pattern = next(l.split('files: ', 1)[1] for l in open(sys.argv[1]) if l.strip().startswith('files: ')).strip()\n\
        for name in sys.argv[2:]:\n    print(name, bool(re.search(pattern, name)))\n";
    let names = [
        "Cargo.lock",
        "web/package-lock.json",
        "npm-shrinkwrap.json",
        "a/b/yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
        "package.json",
        "chainward.toml",
        "README.md",
        "src/yarn.lock.bak",
        "node_modules.json",
    ];
    let out = Command::new(python).arg("-c").arg(script).arg(&manifest).args(names).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let matched: BTreeSet<&str> = text.lines().filter_map(|l| l.strip_suffix(" True")).collect();
    let want: BTreeSet<&str> = names[..9].iter().copied().collect();
    assert_eq!(matched, want, "{text}");
}
