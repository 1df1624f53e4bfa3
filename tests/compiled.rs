//! The compiled view (Rust): which crates cargo compiles, decided statically.
//!
//! - The engine against cargo's own answers: for every case of every fixture under
//!   `testdata/compiled/` (made with real cargo; `testdata/compiled/README.md`), the status of
//!   each Cargo.lock package equals what `cargo tree` printed (`expected/CASE.txt`).
//! - The command line: statuses on findings, `--compiled-only`, `compiled-only = true`, `--no-dev`,
//!   the SBOM's `chainward:compiled` properties and scopes, usage errors, missing metadata.
//!
//! Crate metadata comes from a cargo home built from the recorded index lines (`registry/`),
//! offline: nothing here reaches a network.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, clippy::print_stderr)]

#[path = "support/cargo_home.rs"]
mod cargo_home;
mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chainward::compiled::{self, Options, Sources, Targets};
use chainward::registry::cargo_home::CargoHome;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/compiled")
}

/// A cargo home holding the recorded index lines of `registry/index` in cargo's `.cache` format
/// and the recorded proc-macro manifests of `registry/src`, as `cargo fetch` leaves them.
fn fake_cargo_home(root: &Path) {
    let registry = testdata().join("registry");
    for entry in walk(&registry.join("index")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let name = entry.file_name().unwrap().to_str().unwrap();
        cargo_home::write_index(root, name, &lines);
    }
    for entry in std::fs::read_dir(registry.join("src")).unwrap() {
        let entry = entry.unwrap();
        let dir_name = entry.file_name();
        let (name, version) = dir_name.to_str().unwrap().rsplit_once('-').unwrap();
        let text = std::fs::read_to_string(entry.path().join("Cargo.toml")).unwrap();
        cargo_home::write_manifest(root, name, version, &text);
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// The options of a `cases.txt` line (cargo's flags, which chainward spells the same).
fn options(args: &str) -> Options {
    let mut o = Options { targets: Targets::Host, ..Options::default() };
    let mut words = args.split_whitespace();
    let mut triples = Vec::new();
    while let Some(w) = words.next() {
        match w {
            "--target" => triples.push(words.next().unwrap().to_owned()),
            "--features" => o.features.push(words.next().unwrap().to_owned()),
            "--all-features" => o.all_features = true,
            "--no-default-features" => o.no_default_features = true,
            "-p" => o.packages.push(words.next().unwrap().to_owned()),
            other => panic!("unknown flag {other}"),
        }
    }
    if !triples.is_empty() {
        o.targets = Targets::Triples(triples);
    }
    o
}

/// A fixture resolved and decided for `options`, offline, with crate metadata from `home`.
fn annotated(fixture: &str, options: &Options, home: &CargoHome) -> chainward::resolve::Resolution {
    let dir = testdata().join(fixture);
    let source = chainward::source::WorkTree::new(&dir);
    let excludes = chainward::discover::Excludes::new(&[]).unwrap();
    let resolve_options = chainward::resolve::ResolveOptions { lockfile_only: true, ..Default::default() };
    let mut resolution = chainward::resolve::tree(&source, None, &excludes, &resolve_options).unwrap();
    let mut registry = chainward::registry::RegistryConfig::public(None, time::OffsetDateTime::now_utc());
    registry.offline = true;
    common::DEAD_REGISTRY.clone_into(&mut registry.crates_io_index);
    let outcome =
        compiled::annotate(&mut resolution, &source, options, &Sources { registry: &registry, cargo_home: Some(home) })
            .unwrap();
    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
    for n in &outcome.notes {
        eprintln!("note: {n}");
    }
    resolution
}

fn statuses(fixture: &str, options: &Options, home: &CargoHome) -> BTreeMap<String, String> {
    let resolution = annotated(fixture, options, home);
    let lock = resolution.resolved.iter().find(|r| r.path == "Cargo.lock").unwrap();
    lock.packages
        .iter()
        .map(|p| {
            let c = p.compiled.as_ref().unwrap();
            (format!("{} {}", p.name, p.version), c.status.as_str().to_owned())
        })
        .collect()
}

fn check_fixture(fixture: &str) {
    let tmp = tempfile::tempdir().unwrap();
    fake_cargo_home(tmp.path());
    check_fixture_with(fixture, &CargoHome::new(tmp.path()));
}

fn check_fixture_with(fixture: &str, home: &CargoHome) {
    let cases = std::fs::read_to_string(testdata().join(fixture).join("cases.txt")).unwrap();
    let mut failures = Vec::new();
    for line in cases.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let (name, args) = line.split_once('\t').unwrap();
        let expected_text =
            std::fs::read_to_string(testdata().join(fixture).join("expected").join(format!("{name}.txt"))).unwrap();
        let expected: BTreeMap<String, String> = expected_text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let mut parts = l.rsplitn(2, ' ');
                let status = parts.next().unwrap().to_owned();
                (parts.next().unwrap().to_owned(), status)
            })
            .collect();
        let got = statuses(fixture, &options(args), home);
        for (pkg, want) in &expected {
            let have = got.get(pkg).map_or("(absent)", String::as_str);
            if have != want {
                failures.push(format!("{fixture} {name}: {pkg}: cargo says {want}, chainward says {have}"));
            }
        }
        assert_eq!(got.len(), expected.len(), "{fixture} {name}: package count");
    }
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn sqlx_postgres_matches_cargo() {
    check_fixture("sqlx-pg");
}

#[test]
fn mixed_workspace_matches_cargo() {
    check_fixture("mixed");
}

#[test]
fn resolver1_workspace_matches_cargo() {
    check_fixture("resolver1");
}

/// 654 packages (tokio, axum, reqwest, sqlx with every database, tonic, the AWS SDK, wasmtime,
/// ...): the index lines of `big/index.jsonl.gz`, and an extracted manifest for every package
/// (`proc-macro = true` for those of `big/proc-macros.txt`), as after `cargo fetch`.
#[test]
fn a_654_crate_project_matches_cargo() {
    let tmp = tempfile::tempdir().unwrap();
    cargo_home::from_recorded_fixture(tmp.path(), &testdata().join("big"));
    check_fixture_with("big", &CargoHome::new(tmp.path()));
}

#[test]
fn reasons_name_the_feature_and_the_target() {
    let tmp = tempfile::tempdir().unwrap();
    fake_cargo_home(tmp.path());
    let home = CargoHome::new(tmp.path());
    let resolution = annotated("sqlx-pg", &options("--target x86_64-unknown-linux-gnu"), &home);
    let status = |name: &str| {
        let p = resolution.resolved[0].packages.iter().find(|p| p.name == name).unwrap();
        let c = p.compiled.clone().unwrap();
        (c.status.as_str(), c.reason.unwrap_or_default())
    };
    assert_eq!(
        status("rsa"),
        (
            "no",
            "only needed by sqlx-mysql 0.8.6, which is not compiled: feature `mysql` of sqlx 0.8.6 is off".to_owned()
        )
    );
    assert_eq!(status("sqlx-mysql"), ("no", "feature `mysql` of sqlx 0.8.6 is off".to_owned()));
    assert_eq!(
        status("etcetera"),
        (
            "no",
            "target `cfg(target_os = \"windows\")` of sqlx-postgres 0.8.6 does not match x86_64-unknown-linux-gnu"
                .to_owned()
        )
    );
    assert_eq!(status("serde_derive"), ("build", "proc-macro: runs in the compiler at build time".to_owned()));
    assert_eq!(status("autocfg"), ("build", "build-dependency of num-traits 0.2.19: runs at build time".to_owned()));
    assert_eq!(status("sqlx"), ("runtime", String::new()));
}

// ---- the command line ----

use std::process::{Command, Output};

use serde_json::Value;

/// `chainward ARGS` with a cargo home built from the recorded index, offline, with a cache of
/// its own: nothing reaches a network.
fn chainward(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .env("CARGO_HOME", home)
        .env("CHAINWARD_CACHE_DIR", home.join("chainward-cache"))
        .env("CHAINWARD_CRATES_IO_INDEX_URL", common::DEAD_REGISTRY)
        .env("CHAINWARD_CRATES_IO_API_URL", common::DEAD_REGISTRY)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The sqlx fixture in a temporary directory (a policy file can be added), and the cargo home.
fn sqlx_project() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("cargo-home");
    fake_cargo_home(&home);
    let project = tmp.path().join("sqlxpg");
    common::copy_dir(&testdata().join("sqlx-pg"), &project);
    std::fs::remove_dir_all(project.join("expected")).ok();
    (tmp, home, project)
}

fn rustsec(shared: &Path) -> String {
    shared.join("advisory-db/rustsec").display().to_string()
}

#[test]
fn the_rsa_advisory_is_marked_not_compiled_and_compiled_only_moves_it_out_of_the_exit_code() {
    let Some(shared) = common::shared_dir() else { return };
    let (_tmp, home, project) = sqlx_project();
    let db = rustsec(&shared);
    let p = project.to_str().unwrap();
    let linux = ["--target", "x86_64-unknown-linux-gnu"];
    let base = ["scan", p, "--db", &db, "--offline", "--no-registry", "--format", "json"];

    // Default: reported, marked with its status and reason; the exit code counts it.
    let out = chainward(&home, &[&base[..], &linux[..]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let f = report["findings"].as_array().unwrap().iter().find(|f| f["id"] == "RUSTSEC-2023-0071").unwrap();
    assert_eq!(f["compiled"]["status"], "no");
    assert_eq!(
        f["compiled"]["reason"],
        "only needed by sqlx-mysql 0.8.6, which is not compiled: feature `mysql` of sqlx 0.8.6 is off"
    );
    assert_eq!(report["not_compiled"], Value::Array(Vec::new()));

    // --compiled-only: out of the findings, the counts and the exit code; in `not_compiled`.
    let out = chainward(&home, &[&base[..], &linux[..], &["--compiled-only"][..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["id"] != "RUSTSEC-2023-0071"));
    assert_eq!(report["summary"]["findings"], report["findings"].as_array().unwrap().len());
    let moved = &report["not_compiled"][0];
    assert_eq!(moved["id"], "RUSTSEC-2023-0071");
    assert_eq!(moved["compiled"]["status"], "no");

    // The same from the policy file, with the host as the target.
    std::fs::write(project.join("chainward.toml"), "compiled-only = true\n").unwrap();
    let out = chainward(&home, &base);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["not_compiled"][0]["id"], "RUSTSEC-2023-0071");
}

#[test]
fn sbom_components_carry_the_status_and_its_scope() {
    let (_tmp, home, project) = sqlx_project();
    let p = project.to_str().unwrap();
    let out =
        chainward(&home, &["sbom", p, "--offline", "--target", "x86_64-unknown-linux-gnu", "--spec-version", "1.6"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    common::validate_cyclonedx(&doc, "1.6").unwrap();
    let expected = std::fs::read_to_string(testdata().join("sqlx-pg/expected/linux.txt")).unwrap();
    let mut checked = 0;
    for c in doc["components"].as_array().unwrap() {
        let prop = |name: &str| {
            c["properties"].as_array().unwrap().iter().find(|p| p["name"] == name).map(|p| p["value"].clone())
        };
        let status = prop("chainward:compiled").unwrap();
        let key =
            format!("{} {} {}", c["name"].as_str().unwrap(), c["version"].as_str().unwrap(), status.as_str().unwrap());
        assert!(expected.lines().any(|l| l == key), "{key} is not what cargo says");
        let scope = if status == "runtime" { "required" } else { "excluded" };
        assert_eq!(c["scope"], scope, "{key}");
        if status != "runtime" {
            assert!(prop("chainward:compiled-reason").is_some(), "{key} has no reason");
        }
        checked += 1;
    }
    assert_eq!(checked, 166, "every registry crate");
    let rsa = doc["components"].as_array().unwrap().iter().find(|c| c["name"] == "rsa").unwrap();
    assert_eq!(rsa["scope"], "excluded");

    // Without a compiled option the SBOM is as before: no status, no network.
    let out = chainward(&home, &["sbom", p]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("chainward:compiled"));
}

#[test]
fn bad_options_are_usage_errors() {
    let (_tmp, home, project) = sqlx_project();
    let p = project.to_str().unwrap();
    for (args, message) in [
        (&["--target", "x86_64-unknown-nonsense"][..], "x86_64-unknown-nonsense"),
        (&["--target", "all", "--target", "x86_64-unknown-linux-gnu"][..], "--target all"),
        (&["-p", "nosuch"][..], "nosuch"),
        (&["--features", "nosuch"][..], "nosuch"),
    ] {
        let out = chainward(&home, &[&["sbom", p, "--offline"][..], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn missing_metadata_is_a_warning_and_counts_as_compiled() {
    let (tmp, _home, project) = sqlx_project();
    let empty_home = tmp.path().join("empty-home");
    std::fs::create_dir_all(&empty_home).unwrap();
    let p = project.to_str().unwrap();
    let out = chainward(&empty_home, &["sbom", p, "--offline", "--target", "x86_64-unknown-linux-gnu"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no dependency metadata for 166 crate(s)"), "{err}");
    assert!(err.contains("each counts as compiled"), "{err}");
    let doc = json(&out);
    let rsa = doc["components"].as_array().unwrap().iter().find(|c| c["name"] == "rsa").unwrap();
    let status = rsa["properties"].as_array().unwrap().iter().find(|p| p["name"] == "chainward:compiled").unwrap();
    assert_ne!(status["value"], "no", "never hidden for lack of data");
}

#[test]
fn target_all_keeps_every_platform() {
    let (_tmp, home, project) = sqlx_project();
    let p = project.to_str().unwrap();
    let out = chainward(&home, &["sbom", p, "--offline", "--target", "all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let status = |name: &str, version: &str| {
        let c = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name && c["version"] == version)
            .unwrap();
        c["properties"].as_array().unwrap().iter().find(|p| p["name"] == "chainward:compiled").unwrap()["value"].clone()
    };
    // Platform-specific crates count; features still decide.
    assert_eq!(status("windows-sys", "0.61.2"), "runtime");
    assert_eq!(status("rsa", "0.9.10"), "no");
}

fn component_status(doc: &Value, name: &str) -> String {
    let c = doc["components"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
    let p = c["properties"].as_array().unwrap().iter().find(|p| p["name"] == "chainward:compiled").unwrap();
    p["value"].as_str().unwrap().to_owned()
}

#[test]
fn a_malformed_index_entry_names_the_crate_and_counts_it_as_compiled_with_everything_below() {
    let (_tmp, home, project) = sqlx_project();
    // sqlx's entry gets a dependency kind cargo does not know.
    let cache = home.join("registry/index/index.crates.io-1949cf8c6b5b557f/.cache/sq/lx/sqlx");
    let bytes = std::fs::read(&cache).unwrap();
    let text = String::from_utf8(bytes).unwrap().replacen("\"kind\": \"normal\"", "\"kind\": \"weird\"", 1);
    let text =
        if text.contains("weird") { text } else { text.replacen("\"kind\":\"normal\"", "\"kind\":\"weird\"", 1) };
    assert!(text.contains("weird"));
    std::fs::write(&cache, text).unwrap();
    let p = project.to_str().unwrap();
    let out = chainward(&home, &["sbom", p, "--offline", "--target", "x86_64-unknown-linux-gnu"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("sqlx 0.8.6") && err.contains("weird"), "{err}");
    let doc = json(&out);
    assert_ne!(component_status(&doc, "sqlx-mysql"), "no", "below a crate without metadata: compiled");
    assert_ne!(component_status(&doc, "rsa"), "no");
}

#[test]
fn a_manifest_cargo_would_refuse_is_a_warning_and_counts_as_compiled() {
    let (_tmp, home, project) = sqlx_project();
    let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    std::fs::write(project.join("Cargo.toml"), format!("{manifest}\n[features]\nbad = [\"nope/std\"]\n")).unwrap();
    let p = project.to_str().unwrap();
    let out = chainward(&home, &["sbom", p, "--offline", "--target", "x86_64-unknown-linux-gnu"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Cargo.toml") && err.contains("nope/std"), "{err}");
    assert_ne!(component_status(&json(&out), "rsa"), "no");
}

#[test]
fn no_dev_moves_findings_in_test_only_crates_and_the_table_shows_the_status() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("cargo-home");
    fake_cargo_home(&home);
    let project = tmp.path().join("mixed");
    common::copy_dir(&testdata().join("mixed"), &project);
    // An OSV record for fastrand, which only `cargo test` compiles here (a dev-dependency).
    let db = tmp.path().join("osv");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(
        db.join("TEST-0001.json"),
        r#"{"id":"TEST-0001","modified":"2026-01-01T00:00:00Z","summary":"test advisory","affected":[{"package":{"ecosystem":"crates.io","name":"fastrand"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
    )
    .unwrap();
    let (p, d) = (project.to_str().unwrap(), db.to_str().unwrap());
    let base = ["scan", p, "--db", d, "--offline", "--no-registry", "--target", "x86_64-unknown-linux-gnu"];
    let out = chainward(&home, &[&base[..], &["--format", "json"][..]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let f = report["findings"].as_array().unwrap().iter().find(|f| f["id"] == "TEST-0001").unwrap();
    assert_eq!(f["compiled"]["status"], "dev");
    assert!(f["compiled"]["reason"].as_str().unwrap().contains("compiled by `cargo test` only"), "{f}");

    let out = chainward(&home, &[&base[..], &["--format", "json", "--no-dev"][..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["not_compiled"][0]["id"], "TEST-0001");
    assert_eq!(report["summary"]["findings"], 0);

    let out = chainward(&home, &base);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("COMPILED") && table.contains("fastrand 2.5.0: dev:"), "{table}");
}

/// A project in a temporary directory from (path, content) pairs.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = tmp.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    tmp
}

fn statuses_of(home: &Path, dir: &Path, extra: &[&str]) -> BTreeMap<String, String> {
    let d = dir.to_str().unwrap();
    let out = chainward(home, &[&["sbom", d, "--offline", "--target", "x86_64-unknown-linux-gnu"][..], extra].concat());
    // With --allow-partial an unreadable file is still exit 2, and the SBOM is written.
    let expected = if extra.contains(&"--allow-partial") { 2 } else { 0 };
    assert_eq!(out.status.code(), Some(expected), "{}", stderr(&out));
    let doc = json(&out);
    let mut got = BTreeMap::new();
    for c in doc["components"].as_array().unwrap() {
        let prop = c["properties"].as_array().unwrap().iter().find(|p| p["name"] == "chainward:compiled");
        got.insert(
            format!("{} {}", c["name"].as_str().unwrap(), c["version"].as_str().unwrap()),
            prop.map_or("(none)".to_owned(), |p| p["value"].as_str().unwrap().to_owned()),
        );
    }
    got
}

fn path_lock(packages: &[(&str, &[&str])]) -> String {
    let mut lock = "version = 4\n".to_owned();
    for (name, deps) in packages {
        let _ = write!(lock, "\n[[package]]\nname = \"{name}\"\nversion = \"0.1.0\"\n");
        if !deps.is_empty() {
            let list: Vec<String> = deps.iter().map(|d| format!(" \"{d}\",\n")).collect();
            let _ = write!(lock, "dependencies = [\n{}]\n", list.concat());
        }
    }
    lock
}

/// Resolver 1 unifies the build machine's features with the target's: a weak `b?/x` deferred
/// on the build side is released when `b` is switched on from the target side (what `cargo tree`
/// says: every crate compiled).
#[test]
fn resolver1_releases_a_weak_feature_deferred_on_the_other_side() {
    let dir = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2018\"\n[dependencies]\na = { path = \"a\", default-features = false, features = [\"f\"] }\n[build-dependencies]\na = { path = \"a\" }\n[workspace]\nexclude = [\"a\", \"b\", \"c\"]\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
        ("build.rs", "fn main() {}\n"),
        (
            "a/Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2018\"\n[dependencies]\nb = { path = \"../b\", optional = true }\n[features]\ndefault = [\"w\"]\nw = [\"b?/x\"]\nf = [\"b\"]\n",
        ),
        (
            "b/Cargo.toml",
            "[package]\nname = \"b\"\nversion = \"0.1.0\"\nedition = \"2018\"\n[dependencies]\nc = { path = \"../c\", optional = true }\n[features]\nx = [\"c\"]\n",
        ),
        ("c/Cargo.toml", "[package]\nname = \"c\"\nversion = \"0.1.0\"\nedition = \"2018\"\n"),
        ("Cargo.lock", &path_lock(&[("a", &["b"]), ("app", &["a"]), ("b", &["c"]), ("c", &[])])),
    ]);
    let home = tempfile::tempdir().unwrap();
    let got = statuses_of(home.path(), dir.path(), &[]);
    for pkg in ["a 0.1.0", "b 0.1.0", "c 0.1.0"] {
        assert_eq!(got[pkg], "runtime", "{pkg}: {got:?}");
    }
}

/// `--cfg` flags of `.cargo/config.toml` (and of RUSTFLAGS) decide custom cfg tables, as cargo does.
#[test]
fn cfg_flags_of_the_cargo_config_count() {
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[target.'cfg(tokio_unstable)'.dependencies]\nc = { path = \"c\" }\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
        ("c/Cargo.toml", "[package]\nname = \"c\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("Cargo.lock", &path_lock(&[("app", &["c"]), ("c", &[])]) as &str),
    ];
    let home = tempfile::tempdir().unwrap();
    let plain = project(&files);
    assert_eq!(statuses_of(home.path(), plain.path(), &[])["c 0.1.0"], "no");
    let configured = project(&files);
    std::fs::create_dir_all(configured.path().join(".cargo")).unwrap();
    std::fs::write(
        configured.path().join(".cargo/config.toml"),
        "[build]\nrustflags = [\"--cfg\", \"tokio_unstable\"]\n",
    )
    .unwrap();
    assert_eq!(statuses_of(home.path(), configured.path(), &[])["c 0.1.0"], "runtime");
}

/// A member whose manifest cannot be read (here: not TOML) is still a member: it and what only
/// it depends on count as compiled.
#[test]
fn a_member_with_an_unreadable_manifest_counts_as_compiled() {
    let dir = project(&[
        ("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"a\", \"b\"]\n"),
        ("a/Cargo.toml", "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("b/Cargo.toml", "[package\nname = \"b\"\n"),
        ("c/Cargo.toml", "[package]\nname = \"c\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("Cargo.lock", &path_lock(&[("a", &[]), ("b", &["c"]), ("c", &[])])),
    ]);
    let home = tempfile::tempdir().unwrap();
    let got = statuses_of(home.path(), dir.path(), &["--allow-partial"]);
    assert_ne!(got["b 0.1.0"], "no", "{got:?}");
    assert_ne!(got["c 0.1.0"], "no", "{got:?}");
}

/// Two locked versions of one crate, both meeting a broad requirement and one also a narrower
/// one: each declaration claims every version it fits, so neither is lost.
#[test]
fn a_broad_requirement_claims_every_locked_version_it_fits() {
    let (_tmp, home, _) = sqlx_project();
    let lock = format!(
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"syn 2.0.119\",\n \"syn 3.0.10\",\n]\n\n{LOCK_TAIL}"
    );
    let dir = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\nsyn = { version = \">=2, <4\", default-features = false }\n[build-dependencies]\nsyn = { version = \"3\", default-features = false }\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
        ("Cargo.lock", &lock),
    ]);
    let got = statuses_of(&home, dir.path(), &[]);
    assert_eq!(got["syn 2.0.119"], "runtime", "{got:?}");
    assert_eq!(got["syn 3.0.10"], "runtime", "{got:?}");
}

const LOCK_TAIL: &str = r#"[[package]]
name = "proc-macro2"
version = "1.0.107"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "985e7ec9bb745e6ce6535b544d84d6cd6f7ad8bd711c398938ae983b91a766d9"
dependencies = [
 "unicode-ident",
]

[[package]]
name = "quote"
version = "1.0.47"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "1fbf4db142a473a8d80c26bbf18454ed458bf8d26c8219c331daecfdbd079001"
dependencies = [
 "proc-macro2",
]

[[package]]
name = "syn"
version = "2.0.119"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "872831b642d1a07999a962a351ed35b955ea2cfc8f3862091e2a240a84f17297"
dependencies = [
 "proc-macro2",
 "quote",
 "unicode-ident",
]

[[package]]
name = "syn"
version = "3.0.10"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "4ae9ccbea3a7b0b09443036490c8f34a8b1b760fd345e5c0dae0aac718faea79"
dependencies = [
 "proc-macro2",
 "quote",
 "unicode-ident",
]

[[package]]
name = "unicode-ident"
version = "1.0.27"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "a2c754d6c33795a1c324727428e5a7dedb5b06195f9890bdbcba760d3e246563"
"#;
