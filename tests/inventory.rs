//! `chainward inventory`: the same suite against SQLite and against a real PostgreSQL server
//! (`CHAINWARD_TEST_POSTGRES_URL`; `.ci/run` starts a throwaway cluster and requires it with
//! `CHAINWARD_REQUIRE_POSTGRES=1`; without it the PostgreSQL half says it is skipped).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use chainward::inventory::{self, Location, Store};
use serde_json::{Value, json};

/// One database to run a test against.
struct Db {
    /// `--database` value.
    url: String,
    engine: &'static str,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// `base` with its database name replaced by `name`.
fn with_dbname(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let slash = head.get(scheme_end..).and_then(|rest| rest.find('/')).map(|i| i + scheme_end);
    let stem = match slash {
        Some(i) => &head[..i],
        None => head,
    };
    match query {
        Some(q) => format!("{stem}/{name}?{q}"),
        None => format!("{stem}/{name}"),
    }
}

/// A fresh, empty PostgreSQL database on the test server, or `None` (skipped) without one.
fn postgres_db(test: &str) -> Option<Db> {
    let Some(base) = std::env::var("CHAINWARD_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty()) else {
        assert!(
            !std::env::var("CHAINWARD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1"),
            "CHAINWARD_REQUIRE_POSTGRES=1 but CHAINWARD_TEST_POSTGRES_URL is not set"
        );
        eprintln!("skipping the PostgreSQL half of {test}: CHAINWARD_TEST_POSTGRES_URL is not set");
        return None;
    };
    let name = format!("cw_{}_{}_{}", test, std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let mut client = postgres::Client::connect(&base, postgres::NoTls).expect("connect to the test server");
    client.batch_execute(&format!("CREATE DATABASE {name}")).expect("create a test database");
    Some(Db { url: with_dbname(&base, &name), engine: "postgres", _dir: None })
}

fn sqlite_db() -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = dir.path().join("inv.sqlite").display().to_string();
    Db { url, engine: "sqlite", _dir: Some(dir) }
}

/// SQLite, and PostgreSQL when the test server is there.
fn engines(test: &str) -> Vec<Db> {
    let mut v = vec![sqlite_db()];
    v.extend(postgres_db(test));
    v
}

fn chainward(db: &Db, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.arg("inventory").args(args).arg("--database").arg(&db.url);
    cmd.env_remove("CHAINWARD_DATABASE_URL").env("CHAINWARD_NOW", "2026-12-01T12:00:00Z");
    common::dead_registries(&mut cmd);
    cmd.output().expect("run chainward")
}

fn ok(db: &Db, args: &[&str]) -> Output {
    let out = chainward(db, args);
    assert!(
        out.status.success(),
        "[{}] chainward inventory {args:?} failed: {}\n{}",
        db.engine,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// A CycloneDX SBOM: `root` (a bom-ref), components `(bom_ref, purl)` and edges.
fn sbom(root: Option<(&str, &str)>, components: &[(&str, &str)], deps: &[(&str, &[&str])]) -> String {
    let mut doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1});
    if let Some((r, name)) = root {
        doc["metadata"] = json!({"component": {"type": "application", "name": name, "bom-ref": r}});
    }
    doc["components"] = components
        .iter()
        .map(|(r, purl)| {
            let name = purl.rsplit('/').next().and_then(|s| s.split('@').next()).unwrap_or("x");
            json!({"type": "library", "name": name, "bom-ref": r, "purl": purl})
        })
        .collect();
    if !deps.is_empty() {
        doc["dependencies"] = deps.iter().map(|(r, on)| json!({"ref": r, "dependsOn": on})).collect();
    }
    serde_json::to_string_pretty(&doc).expect("json")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// An app whose graph is root -> a -> b -> c and root -> d -> c (shortest path to c: via d).
fn app_sbom(c_version: &str) -> String {
    let c = format!("pkg:cargo/c@{c_version}");
    sbom(
        Some(("app", "app")),
        &[
            ("pkg:cargo/a@1.0.0", "pkg:cargo/a@1.0.0"),
            ("pkg:cargo/b@1.0.0", "pkg:cargo/b@1.0.0"),
            (c.as_str(), c.as_str()),
            ("pkg:cargo/d@1.0.0", "pkg:cargo/d@1.0.0"),
            ("pkg:pypi/django-rest@3.1", "pkg:pypi/django-rest@3.1"),
        ],
        &[
            ("app", &["pkg:cargo/a@1.0.0", "pkg:cargo/d@1.0.0", "pkg:pypi/django-rest@3.1"]),
            ("pkg:cargo/a@1.0.0", &["pkg:cargo/b@1.0.0"]),
            ("pkg:cargo/b@1.0.0", &[c.as_str()]),
            ("pkg:cargo/d@1.0.0", &[c.as_str()]),
        ],
    )
}

fn revisions_of(db: &Db, project: &str) -> Vec<String> {
    let doc = json_of(&ok(db, &["show", project, "--format", "json"]));
    doc["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .map(|r| r["revision"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn add_replace_and_keep() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let v1 = write(tmp.path(), "v1.json", &app_sbom("1.0.0"));
    let v2 = write(tmp.path(), "v2.json", &app_sbom("1.1.0"));
    for db in engines("add_replace_and_keep") {
        let v1s = v1.to_str().unwrap_or_default();
        let v2s = v2.to_str().unwrap_or_default();
        ok(&db, &["add", v1s, "--project", "app", "--revision", "r1"]);
        ok(&db, &["add", v1s, "--project", "app", "--revision", "r2"]);
        ok(&db, &["add", v1s, "--project", "app", "--revision", "r3"]);
        assert_eq!(revisions_of(&db, "app"), ["r3", "r2", "r1"], "[{}]", db.engine);
        // The same revision again replaces it (idempotent): still three, in the same order (a
        // re-run of an old commit's job does not make it the newest), r2 now holding c 1.1.0.
        let out = ok(&db, &["add", v2s, "--project", "app", "--revision", "r2"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("replaced"), "[{}]", db.engine);
        assert_eq!(revisions_of(&db, "app"), ["r3", "r2", "r1"], "[{}]", db.engine);
        let who = json_of(&ok(&db, &["who-uses", "c", "--format", "json"]));
        let found: Vec<(String, String)> = who["matches"]
            .as_array()
            .expect("matches")
            .iter()
            .map(|m| {
                (
                    m["revision"].as_str().unwrap_or("").to_owned(),
                    m["package"]["version"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("r3".to_owned(), "1.0.0".to_owned()),
                ("r2".to_owned(), "1.1.0".to_owned()),
                ("r1".to_owned(), "1.0.0".to_owned())
            ],
            "[{}]",
            db.engine
        );
        // Re-adding the oldest with --keep 2 keeps it where it was: it is the one removed.
        let out = ok(&db, &["add", v1s, "--project", "app", "--revision", "r1", "--keep", "2"]);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("removed older revisions (--keep): r1"),
            "[{}]: {}",
            db.engine,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(revisions_of(&db, "app"), ["r3", "r2"], "[{}]", db.engine);
        // --keep 2 with a new revision: the oldest goes, and with it its components.
        let out = ok(&db, &["add", v1s, "--project", "app", "--revision", "r4", "--keep", "2"]);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("removed older revisions (--keep): r2"),
            "[{}]: {}",
            db.engine,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(revisions_of(&db, "app"), ["r4", "r3"], "[{}]", db.engine);
        let who = json_of(&ok(&db, &["who-uses", "c@1.1.0", "--format", "json"]));
        assert_eq!(who["matches"], json!([]), "[{}] r2's components went with it", db.engine);
        // projects: one project, two revisions, the newest r4.
        let projects = json_of(&ok(&db, &["projects", "--format", "json"]));
        assert_eq!(projects["projects"][0]["project"], "app");
        assert_eq!(projects["projects"][0]["revisions"], 2);
        assert_eq!(projects["projects"][0]["latest"]["revision"], "r4");
        assert_eq!(projects["projects"][0]["latest"]["components"], 6);
        assert_eq!(projects["projects"][0]["latest"]["packages"], 5);
        // Unknown project: exit 2.
        assert_eq!(chainward(&db, &["show", "nope"]).status.code(), Some(2));
    }
}

#[test]
fn who_uses_gives_one_shortest_path_names_and_ranges() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = write(tmp.path(), "app.json", &app_sbom("1.0.0"));
    let newer = write(tmp.path(), "newer.json", &app_sbom("2.0.0"));
    // No dependency graph at all: a path is unknown, not "direct".
    let flat = write(tmp.path(), "flat.json", &sbom(None, &[("x", "pkg:cargo/c@1.5.0")], &[]));
    for db in engines("who_uses") {
        ok(&db, &["add", app.to_str().unwrap_or_default(), "--project", "app", "--revision", "1"]);
        ok(&db, &["add", newer.to_str().unwrap_or_default(), "--project", "app", "--revision", "2"]);
        ok(&db, &["add", flat.to_str().unwrap_or_default(), "--project", "flat", "--revision", "1"]);
        let who = json_of(&ok(&db, &["who-uses", "c", "--format", "json"]));
        let matches = who["matches"].as_array().expect("matches");
        assert_eq!(matches.len(), 3, "[{}] {who}", db.engine);
        assert_eq!(matches[0]["project"], "app");
        assert_eq!(matches[0]["revision"], "2", "newest first");
        assert_eq!(matches[0]["path"], json!(["app", "pkg:cargo/d@1.0.0", "pkg:cargo/c@2.0.0"]), "[{}]", db.engine);
        assert_eq!(
            matches[0]["package"],
            json!({"ecosystem": "crates.io", "name": "c", "version": "2.0.0", "purl": "pkg:cargo/c@2.0.0"})
        );
        assert_eq!(matches[1]["path"], json!(["app", "pkg:cargo/d@1.0.0", "pkg:cargo/c@1.0.0"]));
        assert_eq!(matches[2]["project"], "flat");
        assert_eq!(matches[2]["path"], json!([]), "[{}] no graph: no path", db.engine);
        // Ranges by the ecosystem's rules; --latest.
        let count = |args: &[&str]| {
            let mut a = vec!["who-uses"];
            a.extend_from_slice(args);
            a.extend_from_slice(&["--format", "json"]);
            json_of(&ok(&db, &a))["matches"].as_array().map_or(0, Vec::len)
        };
        assert_eq!(count(&["c@>=1.0.0,<2.0.0"]), 2, "[{}]", db.engine);
        assert_eq!(count(&["c@>1.0.0"]), 2);
        assert_eq!(count(&["c@2.0.0"]), 1);
        // A version the ecosystem cannot read would match nothing, silently: an error instead.
        let out = chainward(&db, &["who-uses", "c@>=1.5"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("`1.5` is not a valid crates.io version"));
        assert_eq!(count(&["c", "--latest"]), 2);
        assert_eq!(count(&["c", "--ecosystem", "PyPI"]), 0);
        // PEP 503: Django_Rest, django.rest and django-rest are one name.
        assert_eq!(count(&["Django_Rest"]), 2, "[{}]", db.engine);
        assert_eq!(count(&["django.rest@==3.1.0", "--ecosystem", "PyPI"]), 2);
        assert_eq!(count(&["nothing-like-it"]), 0);
        // Tables and Markdown say the same.
        let table = String::from_utf8(ok(&db, &["who-uses", "c@2.0.0"]).stdout).expect("utf-8");
        assert!(table.contains("app > pkg:cargo/d@1.0.0 > pkg:cargo/c@2.0.0"), "{table}");
        let md = String::from_utf8(ok(&db, &["who-uses", "c@2.0.0", "--format", "markdown"]).stdout).expect("utf-8");
        assert!(md.contains("| app | 2 |"), "{md}");
        // A bad range is a usage error.
        assert_eq!(chainward(&db, &["who-uses", "c@^1"]).status.code(), Some(2));
    }
}

#[test]
fn who_uses_reads_lockfiles_and_paths_through_the_real_graph() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("proj");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"proj\"\nversion = \"0.1.0\"\n").expect("write");
    std::fs::write(
        dir.join("Cargo.lock"),
        r#"version = 4

[[package]]
name = "proj"
version = "0.1.0"
dependencies = ["serde"]

[[package]]
name = "serde"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "ddc6f9cc94d67c0e21aaf7eda3a010fd3af78ebf6e096aa6e2e13c79749cce4f"
dependencies = ["serde_derive"]

[[package]]
name = "serde_derive"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "856f046b9400cee3c8c94ed572ecdb752444c24528c035cd35882aad6f492bcb"
"#,
    )
    .expect("write");
    for db in engines("lockfiles") {
        ok(&db, &["add", dir.to_str().unwrap_or_default(), "--project", "proj", "--revision", "abc"]);
        let who = json_of(&ok(&db, &["who-uses", "serde_derive", "--format", "json"]));
        assert_eq!(
            who["matches"][0]["path"],
            json!(["path:.#proj@0.1.0", "pkg:cargo/serde@1.0.200", "pkg:cargo/serde_derive@1.0.200"]),
            "[{}] {who}",
            db.engine
        );
        // The project itself is a path crate: not a package advisories could name.
        let who = json_of(&ok(&db, &["who-uses", "proj", "--format", "json"]));
        assert_eq!(who["matches"], json!([]));
    }
}

/// An OSV record affecting crates.io `name` below `fixed`, modified at `modified`.
fn osv(id: &str, name: &str, fixed: &str, modified: &str) -> String {
    common::osv_record(id, name, fixed, modified)
}

#[test]
fn affected_with_and_without_since() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let advisories = tmp.path().join("osv");
    std::fs::create_dir_all(&advisories).expect("mkdir");
    write(&advisories, "CW-TEST-1.json", &osv("CW-TEST-1", "c", "1.1.0", "2026-11-30T08:00:00Z"));
    write(&advisories, "CW-TEST-2.json", &osv("CW-TEST-2", "d", "2.0.0", "2025-01-01T00:00:00Z"));
    write(&advisories, "CW-TEST-3.json", &osv("CW-TEST-3", "unused", "1.0.0", "2026-11-30T00:00:00Z"));
    // The app has a PyPI package too: a source with PyPI records must be loaded, or the run
    // could not check it (exit 2).
    let pypi = osv("CW-TEST-4", "other-py", "1.0.0", "2026-11-30T00:00:00Z").replace("crates.io", "PyPI");
    write(&advisories, "CW-TEST-4.json", &pypi);
    let app = write(tmp.path(), "app.json", &app_sbom("1.0.0"));
    let fixed = write(tmp.path(), "fixed.json", &app_sbom("1.1.0"));
    let db_arg = advisories.to_str().unwrap_or_default().to_owned();
    for db in engines("affected") {
        ok(&db, &["add", app.to_str().unwrap_or_default(), "--project", "app", "--revision", "1"]);
        ok(&db, &["add", app.to_str().unwrap_or_default(), "--project", "other", "--revision", "7"]);
        ok(&db, &["add", fixed.to_str().unwrap_or_default(), "--project", "app", "--revision", "2"]);
        let run = |extra: &[&str]| {
            let mut a = vec!["affected", "--db", db_arg.as_str(), "--format", "json"];
            a.extend_from_slice(extra);
            chainward(&db, &a)
        };
        let out = run(&[]);
        assert_eq!(out.status.code(), Some(1), "[{}] {}", db.engine, String::from_utf8_lossy(&out.stderr));
        let doc = json_of(&out);
        let ids: Vec<&str> =
            doc["findings"].as_array().expect("findings").iter().filter_map(|f| f["id"].as_str()).collect();
        assert_eq!(ids, ["CW-TEST-1", "CW-TEST-2"], "[{}] {doc}", db.engine);
        let c = &doc["findings"][0];
        assert_eq!(c["package"]["version"], "1.0.0");
        assert_eq!(c["projects"], json!([{"project": "app", "revision": "1"}, {"project": "other", "revision": "7"}]));
        assert!(c.get("location").is_none());
        assert_eq!(doc["findings"][1]["projects"].as_array().map(Vec::len), Some(3), "d is in every revision");
        // --latest: app's newest revision has the fixed c.
        let doc = json_of(&run(&["--latest"]));
        assert_eq!(doc["findings"][0]["projects"], json!([{"project": "other", "revision": "7"}]));
        // --since: only what changed since then.
        let doc = json_of(&run(&["--since", "2026-11-30"]));
        let ids: Vec<&str> =
            doc["findings"].as_array().expect("findings").iter().filter_map(|f| f["id"].as_str()).collect();
        assert_eq!(ids, ["CW-TEST-1"], "[{}]", db.engine);
        assert_eq!(doc["since"], "2026-11-30T00:00:00Z");
        // CHAINWARD_NOW is 2026-12-01: yesterday is 2026-11-30.
        assert_eq!(json_of(&run(&["--since", "yesterday"]))["findings"].as_array().map(Vec::len), Some(1));
        let out = run(&["--since", "today"]);
        assert_eq!(out.status.code(), Some(0), "nothing modified today");
        assert_eq!(json_of(&out)["findings"], json!([]));
        // One advisory by id (or alias); an unknown id cannot be answered: exit 2.
        let doc = json_of(&run(&["cw-test-2"]));
        assert_eq!(doc["findings"].as_array().map(Vec::len), Some(1));
        assert_eq!(run(&["CW-NOPE-1"]).status.code(), Some(2));
        assert_eq!(run(&["--fail-on", "none"]).status.code(), Some(0));
        assert_eq!(run(&["--since", "last week"]).status.code(), Some(2));
        let table = chainward(&db, &["affected", "--db", db_arg.as_str()]);
        let table = String::from_utf8(table.stdout).expect("utf-8");
        assert!(table.starts_with("2 finding(s) in 2 project(s); 6 distinct package(s) checked."), "{table}");
        assert!(table.contains("CW-TEST-1") && table.contains("app@1, other@7"), "{table}");
        let md = chainward(&db, &["affected", "--db", db_arg.as_str(), "--format", "markdown"]);
        let md = String::from_utf8(md.stdout).expect("utf-8");
        assert!(md.contains("| medium | CW-TEST-1 |"), "{md}");
    }
}

#[test]
fn sboms_from_cdxgen_and_chainward() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sbom");
    let entries = std::fs::read_dir(&dir).expect("testdata/sbom");
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.iter().any(|f| f.to_string_lossy().contains("cdxgen")), "a cdxgen SBOM in testdata/sbom");
    for db in engines("sboms") {
        for (i, file) in files.iter().enumerate() {
            let project = format!("p{i}");
            ok(&db, &["add", file.to_str().unwrap_or_default(), "--project", &project, "--revision", "1"]);
            let doc: Value = serde_json::from_slice(&std::fs::read(file).expect("read")).expect("json");
            // Every component with a matchable purl is a package; the root reaches them.
            let components = doc["components"].as_array().map_or(0, Vec::len);
            let shown = json_of(&ok(&db, &["show", &project, "--format", "json"]));
            assert_eq!(shown["revisions"][0]["has_graph"], doc.get("dependencies").is_some(), "{}", file.display());
            assert!(
                shown["revisions"][0]["components"].as_u64().unwrap_or(0) as usize >= components,
                "{}",
                file.display()
            );
            // who-uses of the first package with a purl finds it with a path from the root.
            let first = doc["components"]
                .as_array()
                .and_then(|c| c.iter().find_map(|c| c["purl"].as_str()))
                .unwrap_or_else(|| panic!("{}: no component with a purl", file.display()));
            let (_, name, version) = chainward::sbom::input::from_purl(first)
                .unwrap_or_else(|| panic!("{}: `{first}` is not a purl chainward matches", file.display()));
            let who = json_of(&ok(&db, &["who-uses", &format!("{name}@{version}"), "--format", "json"]));
            let m = who["matches"]
                .as_array()
                .and_then(|m| m.iter().find(|m| m["project"] == project.as_str()))
                .unwrap_or_else(|| panic!("[{}] {name} in {}: {who}", db.engine, file.display()));
            if doc.get("dependencies").is_some() {
                let path = m["path"].as_array().expect("path");
                assert!(path.len() >= 2, "[{}] {}: {m}", db.engine, file.display());
            }
        }
    }
}

#[test]
fn concurrent_adds_all_land() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = write(tmp.path(), "app.json", &app_sbom("1.0.0"));
    let path = app.to_str().unwrap_or_default().to_owned();
    for db in engines("concurrent") {
        // First use by several processes at once: one creates the schema, the others wait for it.
        let racers: Vec<_> = (0..6)
            .map(|i| {
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
                let project = format!("first{i}");
                cmd.args(["inventory", "add", &path, "--project", &project, "--revision", "r", "--database", &db.url]);
                cmd.env_remove("CHAINWARD_DATABASE_URL").stderr(std::process::Stdio::piped());
                cmd.spawn().expect("spawn")
            })
            .collect();
        for h in racers {
            let out = h.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "[{}] a first use failed: {}",
                db.engine,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Then racers on data.
        ok(&db, &["add", &path, "--project", "seed", "--revision", "0"]);
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
                // Two racers per project: the same project revision twice, and two projects.
                let project = format!("p{}", i % 2);
                cmd.args(["inventory", "add", &path, "--project", &project, "--revision", "r", "--database", &db.url]);
                cmd.env_remove("CHAINWARD_DATABASE_URL");
                cmd.spawn().expect("spawn")
            })
            .collect();
        for h in handles {
            let out = h.wait_with_output().expect("wait");
            assert!(out.status.success(), "[{}] a concurrent add failed", db.engine);
        }
        let projects = json_of(&ok(&db, &["projects", "--format", "json"]));
        let names: Vec<&str> =
            projects["projects"].as_array().expect("projects").iter().filter_map(|p| p["project"].as_str()).collect();
        assert_eq!(
            names,
            ["first0", "first1", "first2", "first3", "first4", "first5", "p0", "p1", "seed"],
            "[{}]",
            db.engine
        );
        let who = json_of(&ok(&db, &["who-uses", "b", "--format", "json"]));
        assert_eq!(who["matches"].as_array().map(Vec::len), Some(9), "[{}] one revision each: {who}", db.engine);
    }
}

fn location(db: &Db) -> Location {
    Location::parse(&db.url).expect("location")
}

#[test]
fn migrations_from_empty_and_from_the_previous_schema() {
    for db in engines("migrations") {
        // From the previous schema (1), with data in it: the migration backfills the normalized
        // names, so who-uses finds a PyPI name written another way.
        match location(&db) {
            Location::Sqlite(path) => {
                let store = inventory::sqlite::SqliteStore::open_at(&path, 1).expect("open at 1");
                drop(store);
                let conn = rusqlite::Connection::open(&path).expect("open");
                conn.execute_batch(
                    "INSERT INTO project (id, name) VALUES (1, 'old');
                     INSERT INTO revision (id, project_id, rev, added_at, source, has_graph, components, packages)
                       VALUES (1, 1, 'r', '2026-01-01T00:00:00Z', 'chainward', 1, 2, 1);
                     INSERT INTO package (id, ecosystem, name, version, purl) VALUES (1, 'PyPI', 'Django_Rest', '3.1', NULL);
                     INSERT INTO component (revision_id, idx, package_id, bom_ref, parent, scope) VALUES (1, 0, NULL, 'root', NULL, NULL);
                     INSERT INTO component (revision_id, idx, package_id, bom_ref, parent, scope) VALUES (1, 1, 1, 'dj', 0, NULL);
                     INSERT INTO edge (revision_id, src, dst) VALUES (1, 0, 1);",
                )
                .expect("v1 rows");
                let v: i64 = conn.query_row("SELECT version FROM chainward_schema", [], |r| r.get(0)).expect("version");
                assert_eq!(v, 1);
            }
            Location::Postgres(url) => {
                let store = inventory::postgres::PostgresStore::connect_at(&url, 1).expect("connect at 1");
                drop(store);
                let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
                client
                    .batch_execute(
                        "INSERT INTO project (id, name) VALUES (1, 'old');
                         INSERT INTO revision (id, project_id, rev, added_at, source, has_graph, components, packages)
                           VALUES (1, 1, 'r', '2026-01-01T00:00:00Z', 'chainward', true, 2, 1);
                         INSERT INTO package (id, ecosystem, name, version, purl) VALUES (1, 'PyPI', 'Django_Rest', '3.1', NULL);
                         INSERT INTO component (revision_id, idx, package_id, bom_ref, parent, scope) VALUES (1, 0, NULL, 'root', NULL, NULL);
                         INSERT INTO component (revision_id, idx, package_id, bom_ref, parent, scope) VALUES (1, 1, 1, 'dj', 0, NULL);
                         INSERT INTO edge (revision_id, src, dst) VALUES (1, 0, 1);
                         SELECT setval(pg_get_serial_sequence('project', 'id'), 1);
                         SELECT setval(pg_get_serial_sequence('revision', 'id'), 1);
                         SELECT setval(pg_get_serial_sequence('package', 'id'), 1);",
                    )
                    .expect("v1 rows");
            }
        }
        let who = json_of(&ok(&db, &["who-uses", "django.rest", "--format", "json"]));
        assert_eq!(who["matches"][0]["project"], "old", "[{}] {who}", db.engine);
        assert_eq!(who["matches"][0]["path"], json!(["root", "dj"]));
        let mut store = inventory::open(&location(&db)).expect("open");
        assert_eq!(store.schema_version().expect("version"), inventory::schema::VERSION);
        // New rows go in next to the migrated ones.
        let tmp = tempfile::tempdir().expect("tempdir");
        let app = write(tmp.path(), "app.json", &app_sbom("1.0.0"));
        ok(&db, &["add", app.to_str().unwrap_or_default(), "--project", "new", "--revision", "1"]);
        let who = json_of(&ok(&db, &["who-uses", "django-rest", "--format", "json"]));
        assert_eq!(who["matches"].as_array().map(Vec::len), Some(2), "[{}] {who}", db.engine);

        // From empty: every table, at the newest version (a fresh database per engine).
        let fresh = match db.engine {
            "sqlite" => sqlite_db(),
            _ => postgres_db("migrations_fresh").expect("postgres"),
        };
        let mut store = inventory::open(&location(&fresh)).expect("open");
        assert_eq!(store.schema_version().expect("version"), inventory::schema::VERSION);
        assert_eq!(store.projects().expect("projects"), Vec::new());
        drop(store);
        // A newer schema than this build knows: an error, never a downgrade.
        match location(&fresh) {
            Location::Sqlite(path) => {
                let conn = rusqlite::Connection::open(&path).expect("open");
                conn.execute("UPDATE chainward_schema SET version = 99", []).expect("bump");
            }
            Location::Postgres(url) => {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
                client.batch_execute("UPDATE chainward_schema SET version = 99").expect("bump");
            }
        }
        let out = chainward(&fresh, &["projects"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("schema version 99, newer than this chainward knows (3)"), "{err}");
    }
}

/// A failure in the middle of `add` (a trigger raising on the edges, after the revision row and
/// the components went in) leaves the previous revision in place; on PostgreSQL the trigger
/// also kills the connection mid-transaction.
#[test]
fn a_failed_add_leaves_the_previous_revision() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let v1 = write(tmp.path(), "v1.json", &app_sbom("1.0.0"));
    let v2 = write(tmp.path(), "v2.json", &app_sbom("9.9.9"));
    for db in engines("failed_add") {
        ok(&db, &["add", v1.to_str().unwrap_or_default(), "--project", "app", "--revision", "1"]);
        match location(&db) {
            Location::Sqlite(path) => {
                let conn = rusqlite::Connection::open(&path).expect("open");
                conn.execute_batch("CREATE TRIGGER boom BEFORE INSERT ON edge BEGIN SELECT RAISE(ABORT, 'boom'); END;")
                    .expect("trigger");
            }
            Location::Postgres(url) => {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
                client
                    .batch_execute(
                        "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
                         BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
                         CREATE TRIGGER boom BEFORE INSERT ON edge FOR EACH ROW EXECUTE FUNCTION boom();",
                    )
                    .expect("trigger");
            }
        }
        let out = chainward(&db, &["add", v2.to_str().unwrap_or_default(), "--project", "app", "--revision", "1"]);
        assert_eq!(out.status.code(), Some(2), "[{}]", db.engine);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("nothing stored: `app` at `1` is unchanged"), "[{}] {err}", db.engine);
        // SQLite names the trigger's message; the PostgreSQL client sees the server's FATAL or,
        // mid-COPY, the closed connection first.
        let causes: &[&str] = if db.engine == "sqlite" {
            &["boom"]
        } else {
            &["terminating connection", "closed", "broken pipe", "unexpected", "reset"]
        };
        assert!(causes.iter().any(|c| err.to_lowercase().contains(c)), "[{}] {err}", db.engine);
        let who = json_of(&ok(&db, &["who-uses", "c", "--format", "json"]));
        assert_eq!(who["matches"].as_array().map(Vec::len), Some(1), "[{}] {who}", db.engine);
        assert_eq!(who["matches"][0]["package"]["version"], "1.0.0", "[{}] the old revision stays", db.engine);
        assert_eq!(who["matches"][0]["path"], json!(["app", "pkg:cargo/d@1.0.0", "pkg:cargo/c@1.0.0"]));
    }
}

#[test]
fn bad_input_is_an_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = write(tmp.path(), "good.json", &app_sbom("1.0.0"));
    let broken = write(tmp.path(), "broken.json", "{\"bomFormat\": \"CycloneDX\", \"components\": [");
    let empty = write(tmp.path(), "empty.json", &sbom(None, &[], &[]));
    for db in engines("bad_input") {
        ok(&db, &["add", good.to_str().unwrap_or_default(), "--project", "app", "--revision", "1"]);
        for bad in [&broken, &empty] {
            // With a good input beside it too: nothing of the revision is written.
            let out = chainward(
                &db,
                &[
                    "add",
                    good.to_str().unwrap_or_default(),
                    bad.to_str().unwrap_or_default(),
                    "--project",
                    "app",
                    "--revision",
                    "1",
                ],
            );
            assert_eq!(out.status.code(), Some(2), "[{}] {}", db.engine, bad.display());
        }
        assert_eq!(revisions_of(&db, "app"), ["1"]);
        let shown = json_of(&ok(&db, &["show", "app", "--format", "json"]));
        assert_eq!(shown["revisions"][0]["components"], 6);
        // A name from an SBOM is data: quotes and SQL in it are stored and found as written.
        let evil = write(
            tmp.path(),
            "evil.json",
            &sbom(Some(("r", "r")), &[("e", "pkg:npm/x'%3B%20DROP%20TABLE%20package%3B--@1.0.0")], &[("r", &["e"])]),
        );
        ok(&db, &["add", evil.to_str().unwrap_or_default(), "--project", "evil'; --", "--revision", "1"]);
        let who = json_of(&ok(&db, &["who-uses", "x'; DROP TABLE package;--", "--format", "json"]));
        assert_eq!(who["matches"][0]["project"], "evil'; --", "[{}] {who}", db.engine);
        // No --revision outside a git repository.
        let out = chainward(&db, &["add", good.to_str().unwrap_or_default(), "--project", "x"]);
        assert_eq!(out.status.code(), Some(2));
    }
    // Not a database; an unreachable server (its password never printed); a query on a
    // missing SQLite file never creates one.
    let notdb = write(tmp.path(), "notdb.sqlite", &"not a database\n".repeat(200));
    let db = Db { url: notdb.display().to_string(), engine: "sqlite", _dir: None };
    let out = chainward(&db, &["add", good.to_str().unwrap_or_default(), "--project", "a", "--revision", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db =
        Db { url: "postgres://u:hunter2@127.0.0.1:9/x?connect_timeout=5".to_owned(), engine: "postgres", _dir: None };
    let out = chainward(&db, &["projects"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot open the inventory database `postgres://u:***@127.0.0.1:9/x"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let missing = tmp.path().join("missing.sqlite");
    let db = Db { url: missing.display().to_string(), engine: "sqlite", _dir: None };
    assert_eq!(chainward(&db, &["who-uses", "c"]).status.code(), Some(2));
    assert!(!missing.exists());
}

/// A SQLite database another process holds the write lock of: `add` waits, then fails with
/// "database is locked" and exit 2 (the wait is shortened here).
#[test]
fn a_locked_sqlite_database_is_an_error() {
    let db = sqlite_db();
    let path = PathBuf::from(&db.url);
    drop(inventory::sqlite::SqliteStore::open(&path).expect("create"));
    let holder = rusqlite::Connection::open(&path).expect("open");
    holder.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let mut store = inventory::sqlite::SqliteStore::open(&path).expect("open");
    store.set_busy_timeout(std::time::Duration::from_millis(200)).expect("timeout");
    let snapshot = inventory::Snapshot {
        project: "p".into(),
        revision: "r".into(),
        source: "test".into(),
        components: vec![inventory::Component { bom_ref: "root".into(), package: None, scope: None }],
        edges: vec![],
        has_graph: true,
    };
    let err = store.add(&snapshot, None, "2026-12-01T00:00:00Z").expect_err("locked");
    assert!(err.to_string().contains("database is locked"), "{err}");
    holder.execute_batch("ROLLBACK").expect("unlock");
    store.add(&snapshot, None, "2026-12-01T00:00:00Z").expect("after the lock");
}

/// SBOMs as other tools write them: a root `dependencies` never names, one package under two
/// bom-refs, two spellings of one PyPI name.
#[test]
fn sbom_shapes_of_other_tools() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The root is never named in `dependencies`: it depends on what nothing else depends on.
    let unrooted = write(
        tmp.path(),
        "unrooted.json",
        &sbom(
            Some(("app", "app")),
            &[("a", "pkg:cargo/a@1.0.0"), ("b", "pkg:cargo/b@1.0.0")],
            &[("a", &["b"]), ("b", &[])],
        ),
    );
    // One package under two bom-refs (a deep one and a direct one): one answer, the shorter path.
    let twice = write(
        tmp.path(),
        "twice.json",
        &sbom(
            Some(("root", "root")),
            &[("m", "pkg:cargo/m@1.0.0"), ("deep", "pkg:cargo/t@1.0.0"), ("direct", "pkg:cargo/t@1.0.0")],
            &[("root", &["m", "direct"]), ("m", &["deep"])],
        ),
    );
    let jinja = write(
        tmp.path(),
        "jinja.json",
        &sbom(
            Some(("r", "r")),
            &[("j1", "pkg:pypi/Jinja2@2.10"), ("j2", "pkg:pypi/jinja2@2.10")],
            &[("r", &["j1", "j2"])],
        ),
    );
    let advisories = tmp.path().join("osv");
    std::fs::create_dir_all(&advisories).expect("mkdir");
    write(
        &advisories,
        "CW-J.json",
        &osv("CW-J", "jinja2", "2.10.1", "2026-11-30T00:00:00Z").replace("crates.io", "PyPI"),
    );
    for db in engines("sbom_shapes") {
        ok(&db, &["add", unrooted.to_str().unwrap_or_default(), "--project", "u", "--revision", "1"]);
        let who = json_of(&ok(&db, &["who-uses", "b", "--format", "json"]));
        assert_eq!(who["matches"][0]["path"], json!(["app", "a", "b"]), "[{}] {who}", db.engine);
        ok(&db, &["add", twice.to_str().unwrap_or_default(), "--project", "t", "--revision", "1"]);
        let who = json_of(&ok(&db, &["who-uses", "t", "--format", "json"]));
        assert_eq!(who["matches"].as_array().map(Vec::len), Some(1), "[{}] {who}", db.engine);
        assert_eq!(who["matches"][0]["path"], json!(["root", "direct"]), "[{}] {who}", db.engine);
        ok(&db, &["add", jinja.to_str().unwrap_or_default(), "--project", "j", "--revision", "1"]);
        let out = chainward(&db, &["affected", "--db", advisories.to_str().unwrap_or_default(), "--format", "json"]);
        let doc = json_of(&out);
        assert_eq!(
            doc["findings"].as_array().map(Vec::len),
            Some(1),
            "[{}] one package, one finding: {doc}",
            db.engine
        );
        assert_eq!(doc["findings"][0]["projects"], json!([{"project": "j", "revision": "1"}]));
    }
}

/// `add bom.json` inside a git repository, without --revision: the revision is HEAD's commit.
#[test]
fn the_revision_defaults_to_head() {
    let repo = common::GitRepo::new();
    repo.write("bom.json", &app_sbom("1.0.0"));
    let head = repo.commit("one");
    let db = sqlite_db();
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .current_dir(&repo.path)
        .args(["inventory", "add", "bom.json", "--project", "app", "--database", &db.url])
        .env_remove("CHAINWARD_DATABASE_URL")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(revisions_of(&db, "app"), [head]);
}
