//! `chainward history` on small repositories built with `git2` in temporary directories: the
//! version intervals (merged branches, removal and re-introduction, a broken revision), checksum
//! drift and source changes across the history, `--package`, `--advisory` and the exposure
//! window, the walk cache, the walk's bounds (`--since`, `--until`, `--path`, `--rev`, a bare
//! repository, a shallow clone), the reports' sanitising, and npm lockfiles.
//!
//! Every commit is written as a raw object, so authors, dates and offsets are exactly what each
//! test says (and an author name can hold bytes `git2::Signature` would refuse).

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
// Commits are c0, c1, m; checksums a, b: short names are the clearest here.
#![allow(clippy::many_single_char_names)]

mod common;

use std::cell::Cell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use common::CRATES_IO;

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200;
const DAY: i64 = 86_400;
/// The "now" of every run (`CHAINWARD_NOW`): windows of versions still present end here.
const NOW: &str = "2026-11-22T00:00:00Z";

/// A repository whose commits are written object by object.
struct Hist {
    git: common::GitRepo,
    cache: tempfile::TempDir,
    clock: Cell<i64>,
}

/// A package block of a Cargo.lock: name, version, source (`None`: a path package), checksum.
type Block<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>);

impl Hist {
    fn new() -> Hist {
        let git = common::GitRepo::new();
        git.repo.set_head("refs/heads/main").unwrap();
        Hist { git, cache: tempfile::tempdir().unwrap(), clock: Cell::new(T0) }
    }

    fn path(&self) -> &Path {
        &self.git.path
    }

    /// A tree holding exactly `files` (path, content).
    fn tree(&self, files: &[(&str, &str)]) -> git2::Oid {
        let mut index = git2::Index::new().unwrap();
        for (path, text) in files {
            let id = self.git.repo.blob(text.as_bytes()).unwrap();
            index
                .add(&git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: 0o100_644,
                    uid: 0,
                    gid: 0,
                    file_size: u32::try_from(text.len()).unwrap(),
                    id,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                })
                .unwrap();
        }
        index.write_tree_to(&self.git.repo).unwrap()
    }

    /// A commit of `files` with these parents, by `author` at `time` (UTC offset `offset`
    /// minutes), moving `refs/heads/<branch>` to it. The author name is written as given.
    fn commit_by(
        &self,
        branch: &str,
        parents: &[&str],
        files: &[(&str, &str)],
        author: &str,
        time: i64,
        offset: i32,
    ) -> String {
        let tree = self.tree(files);
        let sign = if offset < 0 { '-' } else { '+' };
        let zone = format!("{sign}{:02}{:02}", offset.abs() / 60, offset.abs() % 60);
        let mut raw = format!("tree {tree}\n");
        for p in parents {
            let _ = writeln!(raw, "parent {p}");
        }
        let _ = writeln!(raw, "author {author} <dev@example.com> {time} {zone}");
        let _ = writeln!(raw, "committer {author} <dev@example.com> {time} {zone}");
        let _ = write!(raw, "\ncommit on {branch} at {time}\n");
        let id = self.git.repo.odb().unwrap().write(git2::ObjectType::Commit, raw.as_bytes()).unwrap();
        self.git.repo.reference(&format!("refs/heads/{branch}"), id, true, "test").unwrap();
        id.to_string()
    }

    /// A commit on `branch` by "Dev" (UTC), one day after the previous one.
    fn commit(&self, branch: &str, parents: &[&str], files: &[(&str, &str)]) -> String {
        let time = self.clock.get() + DAY;
        self.clock.set(time);
        self.commit_by(branch, parents, files, "Dev", time, 0)
    }

    /// Run chainward in the work tree with this repository's own cache directory.
    fn run(&self, args: &[&str]) -> Output {
        self.run_in(self.path(), args)
    }

    fn run_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
        cmd.args(args)
            .current_dir(dir)
            .env("CHAINWARD_CACHE_DIR", self.cache.path())
            .env("CHAINWARD_NOW", NOW)
            .env_remove("GITHUB_ACTIONS");
        common::dead_registries(&mut cmd);
        cmd.output().expect("run chainward")
    }

    /// `history ARGS --format json`, expecting exit `code`.
    fn json(&self, args: &[&str], code: i32) -> Value {
        let mut all = vec!["history"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--format", "json"]);
        let out = self.run(&all);
        report(&out, code)
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON report of `out`, which exited with `code`.
fn report(out: &Output, code: i32) -> Value {
    assert_eq!(out.status.code(), Some(code), "stdout {} stderr {}", String::from_utf8_lossy(&out.stdout), stderr(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: stderr {}", stderr(out)))
}

/// A Cargo.lock with a path root `app` and these package blocks.
fn lock(blocks: &[Block<'_>]) -> String {
    let mut out = String::from("version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n");
    for (name, version, source, checksum) in blocks {
        let _ = write!(out, "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n");
        if let Some(s) = source {
            let _ = writeln!(out, "source = \"{s}\"");
        }
        if let Some(c) = checksum {
            let _ = writeln!(out, "checksum = \"{c}\"");
        }
    }
    out
}

/// A Cargo.lock with these crates.io packages (no checksums).
fn crates(packages: &[(&str, &str)]) -> String {
    common::cargo_lock(packages)
}

/// The version entries of `name` in `lockfile`, as (version, introduced commit, removed commit).
fn versions(report: &Value, lockfile: &str, name: &str) -> Vec<(String, String, Option<String>)> {
    entries(report, lockfile, name)
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["introduced"]["commit"].as_str().unwrap().to_owned(),
                v["removed"]["commit"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// The `versions[]` of `name` in `lockfile` (empty when the package is not reported).
fn entries<'a>(report: &'a Value, lockfile: &str, name: &str) -> Vec<&'a Value> {
    let matching: Vec<&Value> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["lockfile"] == lockfile && p["name"] == name)
        .collect();
    assert!(matching.len() <= 1, "{name} in {lockfile} reported twice: {matching:?}");
    matching.first().map(|p| p["versions"].as_array().unwrap().iter().collect()).unwrap_or_default()
}

/// `(version, introduced, removed)` for the tables of expectations.
fn v(version: &str, introduced: &str, removed: Option<&str>) -> (String, String, Option<String>) {
    (version.to_owned(), introduced.to_owned(), removed.map(str::to_owned))
}

/// The names of every reported package, `lockfile:name`.
fn package_names(report: &Value) -> Vec<String> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}:{}", p["lockfile"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect()
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

fn warnings(report: &Value) -> Vec<&str> {
    report["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect()
}

fn short(id: &str) -> &str {
    &id[..12]
}

// 1. ---------------------------------------------------------------------------------------

/// ```text
/// c0 ── c2 ─────── m      c0: a, x, z          c2: a, x, c, y (no z)
///   \            /        c1: a, x, z, b, y    m:  a, b, c, y, d, z (no x)
///    c1 (feature)
/// ```
#[test]
fn a_version_from_a_merged_branch_is_the_branch_commits_and_a_merge_owns_what_it_adds() {
    let h = Hist::new();
    let c0 = h.commit_by(
        "main",
        &[],
        &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("x", "1.0.0"), ("z", "1.0.0")]))],
        "Main Dev",
        T0,
        0,
    );
    let c1 = h.commit_by(
        "feature",
        &[&c0],
        &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("x", "1.0.0"), ("z", "1.0.0"), ("b", "1.0.0"), ("y", "1.0.0")]))],
        "Branch Author",
        T0 + DAY,
        120,
    );
    let c2 = h.commit_by(
        "main",
        &[&c0],
        &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("x", "1.0.0"), ("c", "1.0.0"), ("y", "1.0.0")]))],
        "Main Dev",
        T0 + 2 * DAY,
        0,
    );
    let m = h.commit_by(
        "main",
        &[&c2, &c1],
        &[(
            "Cargo.lock",
            &crates(&[("a", "1.0.0"), ("b", "1.0.0"), ("c", "1.0.0"), ("y", "1.0.0"), ("d", "1.0.0"), ("z", "1.0.0")]),
        )],
        "Merger",
        T0 + 3 * DAY,
        0,
    );
    let r = h.json(&["--no-advisories"], 0);
    assert_eq!(r["commits"], 4, "{r:#}");
    assert_eq!(r["revision"]["commit"], m.as_str());
    assert_eq!(r["revision"]["rev"], "HEAD");
    assert_eq!(r["lockfile_revisions"], 4, "four distinct Cargo.lock blobs");
    assert_eq!(versions(&r, "Cargo.lock", "a"), [v("1.0.0", &c0, None)]);
    // The branch's commit brought b, as git blame would say, with its author and date.
    assert_eq!(versions(&r, "Cargo.lock", "b"), [v("1.0.0", &c1, None)]);
    let b = &entries(&r, "Cargo.lock", "b")[0]["introduced"];
    assert_eq!(b["author"], "Branch Author");
    assert_eq!(b["date"], "2024-01-02T02:00:00+02:00");
    assert_eq!(versions(&r, "Cargo.lock", "c"), [v("1.0.0", &c2, None)]);
    // Neither parent of the merge had d: the merge introduced it.
    assert_eq!(versions(&r, "Cargo.lock", "d"), [v("1.0.0", &m, None)]);
    let d = &entries(&r, "Cargo.lock", "d")[0]["introduced"];
    assert_eq!(d["author"], "Merger");
    // Both parents had x, the merge dropped it: removed by the merge, one entry.
    assert_eq!(versions(&r, "Cargo.lock", "x"), [v("1.0.0", &c0, Some(&m))]);
    // y came in on both lines: one entry, attributed as git blame does, to the first parent's
    // line (c2), although c1 is a day older.
    assert_eq!(versions(&r, "Cargo.lock", "y"), [v("1.0.0", &c2, None)]);
    // main dropped z at c2, the branch kept it and the merge took it: the interval goes on.
    assert_eq!(versions(&r, "Cargo.lock", "z"), [v("1.0.0", &c0, None)]);
    assert_eq!(r["summary"]["packages"], 8, "app, a, b, c, d, x, y, z");
    assert_eq!(r["summary"]["versions"], 8);

    // The feature branch alone: two commits, b present there.
    let f = h.json(&["--no-advisories", "--rev", "feature"], 0);
    assert_eq!(f["commits"], 2);
    assert_eq!(f["revision"]["rev"], "feature");
    assert_eq!(f["revision"]["commit"], c1.as_str());
    assert_eq!(versions(&f, "Cargo.lock", "b"), [v("1.0.0", &c1, None)]);
    assert_eq!(versions(&f, "Cargo.lock", "x"), [v("1.0.0", &c0, None)]);
    assert!(entries(&f, "Cargo.lock", "d").is_empty());
    // main before the merge: z ended at c2.
    let before = h.json(&["--no-advisories", "--rev", "main~1"], 0);
    assert_eq!(versions(&before, "Cargo.lock", "z"), [v("1.0.0", &c0, Some(&c2))]);
}

// 2. ---------------------------------------------------------------------------------------

#[test]
fn a_version_removed_and_brought_back_is_two_entries() {
    let h = Hist::new();
    let c0 = h.commit("main", &[], &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("r", "1.0.0")]))]);
    let c1 = h.commit("main", &[&c0], &[("Cargo.lock", &crates(&[("a", "1.0.0")]))]);
    // A commit that touches no lockfile changes nothing.
    let c2 = h.commit("main", &[&c1], &[("Cargo.lock", &crates(&[("a", "1.0.0")])), ("README.md", "hello\n")]);
    let c3 = h.commit("main", &[&c2], &[("Cargo.lock", &crates(&[("a", "1.1.0")])), ("README.md", "hello\n")]);
    let c4 = h.commit(
        "main",
        &[&c3],
        &[("Cargo.lock", &crates(&[("a", "1.1.0"), ("r", "1.0.0")])), ("README.md", "hello\n")],
    );
    let r = h.json(&["--no-advisories"], 0);
    assert_eq!(r["commits"], 5);
    assert_eq!(versions(&r, "Cargo.lock", "r"), [v("1.0.0", &c0, Some(&c1)), v("1.0.0", &c4, None)], "{r:#}");
    assert_eq!(versions(&r, "Cargo.lock", "a"), [v("1.0.0", &c0, Some(&c3)), v("1.1.0", &c3, None)]);
    for e in entries(&r, "Cargo.lock", "r").iter().chain(&entries(&r, "Cargo.lock", "a")) {
        assert!(e.get("removed").is_some(), "`removed` is always there, null while present: {e}");
    }
    assert!(entries(&r, "Cargo.lock", "r")[1]["removed"].is_null());

    // The lockfile deleted, then written again: everything ends at the deletion and starts anew.
    let c5 = h.commit("main", &[&c4], &[("README.md", "hello\n")]);
    let c6 = h.commit("main", &[&c5], &[("Cargo.lock", &crates(&[("a", "1.1.0")])), ("README.md", "hello\n")]);
    let r = h.json(&["--no-advisories"], 0);
    assert_eq!(r["commits"], 7);
    assert_eq!(versions(&r, "Cargo.lock", "r"), [v("1.0.0", &c0, Some(&c1)), v("1.0.0", &c4, Some(&c5))], "{r:#}");
    assert_eq!(
        versions(&r, "Cargo.lock", "a"),
        [v("1.0.0", &c0, Some(&c3)), v("1.1.0", &c3, Some(&c5)), v("1.1.0", &c6, None)]
    );
    assert_eq!(versions(&r, "Cargo.lock", "app"), [v("0.1.0", &c0, Some(&c5)), v("0.1.0", &c6, None)]);

    // The table: a timeline per package, newest first, "present" while present.
    let out = h.run(&["history", "--no-advisories"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    let section = table.split("\n\n").find(|s| s.lines().next().is_some_and(|l| l.ends_with(" a"))).unwrap();
    let lines: Vec<&str> = section.lines().skip(1).collect();
    assert_eq!(lines.len(), 3, "{section}");
    assert!(lines[0].contains("1.1.0") && lines[0].contains(&c6[..10]) && lines[0].ends_with("present"), "{section}");
    assert!(lines[1].contains("1.1.0") && lines[1].contains(&c3[..10]) && lines[1].contains(&c5[..10]), "{section}");
    assert!(lines[2].contains("1.0.0") && lines[2].contains(&c0[..10]) && lines[2].contains(&c3[..10]), "{section}");
}

// 3. ---------------------------------------------------------------------------------------

#[test]
fn checksum_drift_between_two_distant_commits_names_both() {
    let a = "a".repeat(64);
    let b = "b".repeat(64);
    let sums: Vec<String> = (0..12).map(|i| format!("{i:064x}")).collect();
    let filler: Vec<String> = (0..12).map(|i| format!("1.0.{i}")).collect();
    let h = Hist::new();
    let mut commits: Vec<String> = Vec::new();
    // c0: drifted (checksum a), gone (checksum a). c1..c10: filler updates (an ordinary update
    // changes the checksum: no drift); gone leaves at c3. c11: drifted with checksum b, gone back
    // with checksum b.
    for i in 0..12 {
        let drifted = if i < 11 { &a } else { &b };
        let mut blocks: Vec<Block<'_>> = vec![
            ("drifted", "2.0.0", Some(CRATES_IO), Some(drifted)),
            ("filler", &filler[i], Some(CRATES_IO), Some(&sums[i])),
        ];
        if i < 3 {
            blocks.push(("gone", "3.0.0", Some(CRATES_IO), Some(&a)));
        } else if i == 11 {
            blocks.push(("gone", "3.0.0", Some(CRATES_IO), Some(&b)));
        }
        let parents: Vec<&str> = commits.last().map(String::as_str).into_iter().collect();
        let id = h.commit("main", &parents, &[("Cargo.lock", &lock(&blocks))]);
        commits.push(id);
    }
    let (c0, c3, c11) = (&commits[0], &commits[3], &commits[11]);
    let r = h.json(&["--no-advisories", "--fail-on", "none"], 0);
    assert_eq!(r["commits"], 12);
    // The same version and source: one entry, with the checksum it came with.
    assert_eq!(versions(&r, "Cargo.lock", "drifted"), [v("2.0.0", c0, None)]);
    assert_eq!(entries(&r, "Cargo.lock", "drifted")[0]["checksum"], format!("sha256:{a}"));
    assert_eq!(versions(&r, "Cargo.lock", "gone"), [v("3.0.0", c0, Some(c3)), v("3.0.0", c11, None)]);
    assert_eq!(entries(&r, "Cargo.lock", "gone")[1]["checksum"], format!("sha256:{b}"));
    assert_eq!(entries(&r, "Cargo.lock", "filler").len(), 12);

    let drift: Vec<&Value> = findings(&r).iter().filter(|f| f["kind"] == "checksum-drift").collect();
    let names: Vec<&str> = drift.iter().map(|f| f["package"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["drifted", "gone"], "{r:#}");
    assert_eq!(findings(&r).len(), 2, "filler's updates are not drift: {r:#}");
    for f in &drift {
        assert_eq!(f["id"], "checksum-drift");
        assert_eq!(f["severity"], "high");
        assert_eq!(f["location"]["path"], "Cargo.lock");
        let summary = f["summary"].as_str().unwrap();
        assert!(summary.contains("checksum changed"), "{summary}");
        assert!(summary.contains(short(c11)), "names the commit of the new checksum: {summary}");
        assert!(summary.contains(short(c0)), "names the commit of the first one: {summary}");
        assert!(summary.contains("from crates.io"), "{summary}");
        // The evidence: both commits in full, each with its lockfile and checksum.
        let evidence: Vec<&str> = f["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
        assert_eq!(evidence.len(), 2, "{evidence:?}");
        assert!(evidence[0].starts_with(&format!("{c0} (Cargo.lock): sha256:")), "{evidence:?}");
        assert!(evidence[1].starts_with(&format!("{c11} (Cargo.lock): sha256:")), "{evidence:?}");
        // The window starts at the change and runs while the version is there.
        let w = &f["window"];
        assert_eq!(w["introduced"]["commit"], c11.as_str());
        assert!(w["removed"].is_null(), "{w}");
        let now = time::OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339).unwrap();
        assert_eq!(w["days"], (now.unix_timestamp() - (T0 + 12 * DAY)) / DAY, "c11 until now: {w}");
        assert!(w["advisory_published"].is_null() && w["published_before_removal"].is_null());
    }
    assert_eq!(r["summary"]["findings"], 2);
    assert_eq!(r["summary"]["by_severity"]["high"], 2);
    // High findings fail the default --fail-on.
    let out = h.run(&["history", "--no-advisories", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // The table prints the evidence; `--advisory` with `--no-advisories` is a usage error.
    let table = String::from_utf8(h.run(&["history", "--no-advisories"]).stdout).unwrap();
    assert!(table.contains(&format!("{c11} (Cargo.lock): sha256:")), "{table}");
    let out = h.run(&["history", "--no-advisories", "--advisory", "RUSTSEC-2020-0001"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// The same version and source with two checksums in two lockfiles: drift across paths.
#[test]
fn checksum_drift_between_two_lockfiles() {
    let a = "a".repeat(64);
    let b = "b".repeat(64);
    let h = Hist::new();
    let c0 = h.commit("main", &[], &[("Cargo.lock", &lock(&[("shared", "1.0.0", Some(CRATES_IO), Some(&a))]))]);
    let c1 = h.commit(
        "main",
        &[&c0],
        &[
            ("Cargo.lock", &lock(&[("shared", "1.0.0", Some(CRATES_IO), Some(&a))])),
            ("tools/Cargo.lock", &lock(&[("shared", "1.0.0", Some(CRATES_IO), Some(&b))])),
        ],
    );
    let r = h.json(&["--no-advisories", "--fail-on", "none"], 0);
    assert_eq!(findings(&r).len(), 1, "{r:#}");
    let f = &findings(&r)[0];
    assert_eq!(f["kind"], "checksum-drift");
    assert_eq!(f["location"]["path"], "tools/Cargo.lock");
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains(short(&c1)) && summary.contains(short(&c0)), "{summary}");
    assert_eq!(f["window"]["introduced"]["commit"], c1.as_str());
    // The same checksum in a second lockfile is no drift.
    let h = Hist::new();
    let c0 = h.commit("main", &[], &[("Cargo.lock", &lock(&[("shared", "1.0.0", Some(CRATES_IO), Some(&a))]))]);
    h.commit(
        "main",
        &[&c0],
        &[
            ("Cargo.lock", &lock(&[("shared", "1.0.0", Some(CRATES_IO), Some(&a))])),
            ("tools/Cargo.lock", &lock(&[("shared", "1.0.0", Some(CRATES_IO), Some(&a))])),
        ],
    );
    let r = h.json(&["--no-advisories"], 0);
    assert!(findings(&r).is_empty(), "{r:#}");
}

// 4. ---------------------------------------------------------------------------------------

#[test]
fn a_move_from_crates_io_to_a_git_fork_is_a_source_change_and_a_new_version_entry() {
    let git = "git+https://github.com/someone/forked?branch=main#0123456789abcdef0123456789abcdef01234567";
    let a = "a".repeat(64);
    let h = Hist::new();
    let c0 = h.commit(
        "main",
        &[],
        &[(
            "Cargo.lock",
            &lock(&[("forked", "1.0.0", Some(CRATES_IO), Some(&a)), ("bumped", "1.0.0", Some(CRATES_IO), Some(&a))]),
        )],
    );
    let c1 = h.commit(
        "main",
        &[&c0],
        &[
            (
                "Cargo.lock",
                &lock(&[
                    ("forked", "1.0.0", Some(CRATES_IO), Some(&a)),
                    ("bumped", "1.0.0", Some(CRATES_IO), Some(&a)),
                ]),
            ),
            ("README.md", "x\n"),
        ],
    );
    let c2 = h.commit(
        "main",
        &[&c1],
        &[(
            "Cargo.lock",
            &lock(&[("forked", "1.0.0", Some(git), None), ("bumped", "1.1.0", Some(CRATES_IO), Some(&a))]),
        )],
    );
    let r = h.json(&["--no-advisories", "--fail-on", "none"], 0);
    let forked = entries(&r, "Cargo.lock", "forked");
    assert_eq!(versions(&r, "Cargo.lock", "forked"), [v("1.0.0", &c0, Some(&c2)), v("1.0.0", &c2, None)], "{r:#}");
    assert_eq!(forked[0]["source"], "crates.io");
    assert_eq!(forked[0]["checksum"], format!("sha256:{a}"));
    let fork_source = forked[1]["source"].as_str().unwrap();
    assert!(fork_source.starts_with("git https://github.com/someone/forked"), "{fork_source}");
    assert!(forked[1]["checksum"].is_null());

    assert_eq!(findings(&r).len(), 1, "an ordinary update is no source change: {r:#}");
    let f = &findings(&r)[0];
    assert_eq!(f["kind"], "source-change");
    assert_eq!(f["id"], "source-change");
    assert_eq!(f["severity"], "high", "crates.io → git is the quiet-fork pattern");
    assert_eq!(f["package"]["name"], "forked");
    assert_eq!(f["package"]["version"], "1.0.0");
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains(short(&c2)) && summary.contains("(was crates.io)"), "{summary}");
    assert!(summary.contains("git https://github.com/someone/forked"), "{summary}");
    assert_eq!(f["window"]["introduced"]["commit"], c2.as_str());
    assert!(f["window"]["removed"].is_null());
    let out = h.run(&["history", "--no-advisories", "--format", "json", "--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(1));
}

// 5. ---------------------------------------------------------------------------------------

#[test]
fn a_broken_revision_warns_and_neither_removes_nor_reintroduces() {
    let h = Hist::new();
    let c0 = h.commit("main", &[], &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("b", "1.0.0")]))]);
    let c1 = h.commit("main", &[&c0], &[("Cargo.lock", "version = 3\n\n[[package]\nname = \"a\n")]);
    let c2 = h.commit("main", &[&c1], &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("b", "1.1.0")]))]);
    let r = h.json(&["--no-advisories"], 0);
    assert_eq!(r["commits"], 3);
    let w = warnings(&r);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains(short(&c1)) && w[0].contains("Cargo.lock"), "names commit and path: {}", w[0]);
    assert!(!w[0].contains(short(&c0)) && !w[0].contains(short(&c2)), "{}", w[0]);
    assert!(r["errors"].as_array().unwrap().is_empty(), "a broken revision is a warning, not an error");
    // a: one entry, not ended by c1, not started again by c2.
    assert_eq!(versions(&r, "Cargo.lock", "a"), [v("1.0.0", &c0, None)], "{r:#}");
    // b 1.0.0 lasts through the broken commit and ends at the next good one.
    assert_eq!(versions(&r, "Cargo.lock", "b"), [v("1.0.0", &c0, Some(&c2)), v("1.1.0", &c2, None)]);
    let out = h.run(&["history", "--no-advisories"]);
    assert!(stderr(&out).contains(short(&c1)), "the warning goes to stderr too: {}", stderr(&out));

    // Broken at the walked commit itself: it keeps what its parent had.
    let c3 = h.commit("main", &[&c2], &[("Cargo.lock", "not = [toml\n")]);
    let r = h.json(&["--no-advisories"], 0);
    assert!(warnings(&r).iter().any(|w| w.contains(short(&c3))), "{r:#}");
    assert_eq!(versions(&r, "Cargo.lock", "b"), [v("1.0.0", &c0, Some(&c2)), v("1.1.0", &c2, None)], "{r:#}");
    assert_eq!(versions(&r, "Cargo.lock", "a"), [v("1.0.0", &c0, None)]);
}

/// A merge whose lockfile does not parse keeps what both parents had: the branch's versions
/// are not removed by it, nor re-introduced by the next good revision.
#[test]
fn a_broken_merge_keeps_what_both_parents_had() {
    let h = Hist::new();
    let c0 = h.commit("main", &[], &[("Cargo.lock", &crates(&[("a", "1.0.0")]))]);
    let c1 = h.commit("feature", &[&c0], &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("b", "1.0.0")]))]);
    let c2 = h.commit("main", &[&c0], &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("c", "1.0.0")]))]);
    let m = h.commit("main", &[&c2, &c1], &[("Cargo.lock", "<<<<<<< HEAD\nversion = 3\n=======\n>>>>>>> feature\n")]);
    let c3 = h.commit("main", &[&m], &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("b", "1.0.0"), ("c", "1.0.0")]))]);
    let r = h.json(&["--no-advisories"], 0);
    assert!(warnings(&r).iter().any(|w| w.contains(short(&m))), "{r:#}");
    assert_eq!(versions(&r, "Cargo.lock", "a"), [v("1.0.0", &c0, None)]);
    assert_eq!(versions(&r, "Cargo.lock", "c"), [v("1.0.0", &c2, None)]);
    assert_eq!(
        versions(&r, "Cargo.lock", "b"),
        [v("1.0.0", &c1, None)],
        "b came with the branch and is still there: the broken merge (m {m}) neither removes it nor does \
         c3 ({c3}) bring it back: {r:#}"
    );
}

// 6. ---------------------------------------------------------------------------------------

#[test]
fn package_narrows_to_one_name_or_one_version_and_says_when_it_never_was() {
    let h = Hist::new();
    let c0 = h.commit("main", &[], &[("Cargo.lock", &crates(&[("serde", "1.0.0"), ("log", "0.4.0")]))]);
    let c1 = h.commit("main", &[&c0], &[("Cargo.lock", &crates(&[("serde", "1.0.1"), ("log", "0.4.0")]))]);
    let c2 = h.commit(
        "main",
        &[&c1],
        &[
            ("Cargo.lock", &crates(&[("serde", "1.0.1"), ("log", "0.4.0")])),
            ("tools/Cargo.lock", &crates(&[("serde", "1.0.0")])),
        ],
    );
    let r = h.json(&["--no-advisories", "--package", "serde"], 0);
    assert_eq!(package_names(&r), ["Cargo.lock:serde", "tools/Cargo.lock:serde"], "{r:#}");
    assert_eq!(versions(&r, "Cargo.lock", "serde"), [v("1.0.0", &c0, Some(&c1)), v("1.0.1", &c1, None)]);
    assert_eq!(versions(&r, "tools/Cargo.lock", "serde"), [v("1.0.0", &c2, None)]);
    assert_eq!(r["summary"]["packages"], 2);
    assert_eq!(r["summary"]["versions"], 3);
    assert_eq!(r["summary"]["lockfiles"], 2);
    assert!(warnings(&r).is_empty(), "{r:#}");

    let r = h.json(&["--no-advisories", "--package", "serde@1.0.0"], 0);
    assert_eq!(package_names(&r), ["Cargo.lock:serde", "tools/Cargo.lock:serde"]);
    assert_eq!(versions(&r, "Cargo.lock", "serde"), [v("1.0.0", &c0, Some(&c1))]);
    assert_eq!(versions(&r, "tools/Cargo.lock", "serde"), [v("1.0.0", &c2, None)]);

    let r = h.json(&["--no-advisories", "--package", "serde@1.0.1"], 0);
    assert_eq!(package_names(&r), ["Cargo.lock:serde"]);

    for never in ["left-pad", "serde@9.9.9"] {
        let r = h.json(&["--no-advisories", "--package", never], 0);
        assert_eq!(r["packages"], serde_json::json!([]), "{never}: {r:#}");
        assert_eq!(r["summary"]["packages"], 0);
        let w = warnings(&r);
        assert_eq!(w.len(), 1, "{never}: {w:?}");
        assert!(w[0].contains(never) && w[0].contains("never"), "{never}: {}", w[0]);
        assert!(w[0].contains("3 commit"), "{never}: {}", w[0]);
    }
}

// 7. ---------------------------------------------------------------------------------------

/// An OSV record for crates.io `name`, affected below `fixed`, published on `published`.
fn osv(id: &str, alias: &str, name: &str, fixed: &str, published: &str) -> String {
    serde_json::json!({
        "schema_version": "1.6.0",
        "id": id,
        "aliases": [alias],
        "modified": "2025-01-01T00:00:00Z",
        "published": format!("{published}T00:00:00Z"),
        "summary": format!("{name}: test advisory"),
        "affected": [{
            "package": {"ecosystem": "crates.io", "name": name},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}]
    })
    .to_string()
}

/// A directory of OSV records: vulncrate (fixed 1.2.0, published 2024-03-01), latecrate
/// (fixed 2.0.0, published 2024-06-01), and one for a crate no history here has.
fn advisory_db() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (id, alias, name, fixed, published) in [
        ("TEST-2024-0001", "CVE-2024-0001", "vulncrate", "1.2.0", "2024-03-01"),
        ("TEST-2024-0002", "CVE-2024-0002", "latecrate", "2.0.0", "2024-06-01"),
        ("TEST-2024-0003", "CVE-2024-0003", "elsewhere", "1.0.0", "2024-01-01"),
    ] {
        std::fs::write(dir.path().join(format!("{id}.json")), osv(id, alias, name, fixed, published)).unwrap();
    }
    dir
}

#[test]
fn advisory_finds_a_vulnerable_version_present_only_in_the_past_with_its_window() {
    let db = advisory_db();
    let db = db.path().to_str().unwrap();
    let h = Hist::new();
    // 2024-01-01: vulncrate 1.0.0 and latecrate 1.0.0 (both affected); 2024-04-01: both fixed.
    let c0 = h.commit_by(
        "main",
        &[],
        &[("Cargo.lock", &crates(&[("vulncrate", "1.0.0"), ("latecrate", "1.0.0"), ("fine", "1.0.0")]))],
        "Dev",
        T0,
        0,
    );
    let c1 = h.commit_by(
        "main",
        &[&c0],
        &[("Cargo.lock", &crates(&[("vulncrate", "1.2.0"), ("latecrate", "2.0.0"), ("fine", "1.0.0")]))],
        "Fixer",
        T0 + 91 * DAY,
        0,
    );
    for id in ["TEST-2024-0001", "CVE-2024-0001", "test-2024-0001"] {
        let r = h.json(&["--db", db, "--advisory", id, "--fail-on", "none"], 0);
        assert_eq!(findings(&r).len(), 1, "{id}: {r:#}");
        let f = &findings(&r)[0];
        assert_eq!(f["id"], "TEST-2024-0001");
        assert_eq!(f["aliases"], serde_json::json!(["CVE-2024-0001"]));
        assert_eq!(f["severity"], "high");
        assert_eq!(f["package"]["name"], "vulncrate");
        assert_eq!(f["package"]["version"], "1.0.0");
        assert_eq!(f["location"]["path"], "Cargo.lock");
        let w = &f["window"];
        assert_eq!(w["introduced"]["commit"], c0.as_str());
        assert_eq!(w["introduced"]["date"], "2024-01-01T00:00:00Z");
        assert_eq!(w["removed"]["commit"], c1.as_str());
        assert_eq!(w["removed"]["author"], "Fixer");
        assert_eq!(w["days"], 91);
        assert_eq!(w["advisory_published"], "2024-03-01");
        assert_eq!(w["published_before_removal"], true);
        // The version itself is in the timeline, gone today.
        assert_eq!(versions(&r, "Cargo.lock", "vulncrate"), [v("1.0.0", &c0, Some(&c1)), v("1.2.0", &c1, None)]);
        let sources: Vec<&str> =
            r["database"]["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(sources.first(), Some(&"osv"), "the --db directory first: {r:#}");
    }
    // Published after the fix.
    let r = h.json(&["--db", db, "--advisory", "CVE-2024-0002", "--fail-on", "none"], 0);
    assert_eq!(findings(&r).len(), 1, "{r:#}");
    assert_eq!(findings(&r)[0]["package"]["name"], "latecrate");
    assert_eq!(findings(&r)[0]["window"]["advisory_published"], "2024-06-01");
    assert_eq!(findings(&r)[0]["window"]["published_before_removal"], false);

    // Without --advisory: every finding in history.
    let r = h.json(&["--db", db, "--fail-on", "none"], 0);
    let ids: Vec<&str> = findings(&r).iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["TEST-2024-0001", "TEST-2024-0002"], "{r:#}");

    // --fail-on decides the exit: high findings fail `high`, not `critical`.
    h.json(&["--db", db, "--advisory", "TEST-2024-0001", "--fail-on", "high"], 1);
    h.json(&["--db", db, "--advisory", "TEST-2024-0001", "--fail-on", "critical"], 0);
    h.json(&["--db", db, "--advisory", "TEST-2024-0001"], 1);

    // A known advisory of a crate never here: no finding, exit 0.
    let r = h.json(&["--db", db, "--advisory", "TEST-2024-0003"], 0);
    assert!(findings(&r).is_empty(), "{r:#}");
    // An id no database knows: exit 2, naming it.
    let out = h.run(&["history", "--db", db, "--advisory", "TEST-2099-9999", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("TEST-2099-9999"), "{}", stderr(&out));
}

/// A vulnerable version there twice: one finding per stay, each with its own window.
#[test]
fn a_vulnerable_version_brought_back_is_two_findings() {
    let db = advisory_db();
    let db = db.path().to_str().unwrap();
    let h = Hist::new();
    let c0 = h.commit("main", &[], &[("Cargo.lock", &crates(&[("vulncrate", "1.0.0")]))]);
    let c1 = h.commit("main", &[&c0], &[("Cargo.lock", &crates(&[("vulncrate", "1.2.0")]))]);
    let c2 = h.commit("main", &[&c1], &[("Cargo.lock", &crates(&[("vulncrate", "1.0.0")]))]);
    let r = h.json(&["--db", db, "--advisory", "TEST-2024-0001", "--fail-on", "none"], 0);
    let windows: Vec<(&str, Option<&str>, i64)> = findings(&r)
        .iter()
        .map(|f| {
            let w = &f["window"];
            (w["introduced"]["commit"].as_str().unwrap(), w["removed"]["commit"].as_str(), w["days"].as_i64().unwrap())
        })
        .collect();
    let now = time::OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339).unwrap();
    let since_c2 = (now.unix_timestamp() - (T0 + 3 * DAY)) / DAY;
    assert_eq!(windows, [(c0.as_str(), Some(c1.as_str()), 1), (c2.as_str(), None, since_c2)], "{r:#}");
    assert_eq!(findings(&r)[1]["window"]["published_before_removal"], true, "still present: {r:#}");
}

/// The policy file's ignores silence findings in history, each keeping its window.
#[test]
fn an_ignore_moves_a_finding_to_suppressed_with_its_window() {
    let db = advisory_db();
    let db = db.path().to_str().unwrap();
    let h = Hist::new();
    let c0 = h.commit("main", &[], &[("Cargo.lock", &crates(&[("vulncrate", "1.0.0"), ("latecrate", "1.0.0")]))]);
    let c1 = h.commit("main", &[&c0], &[("Cargo.lock", &crates(&[("vulncrate", "1.2.0"), ("latecrate", "1.0.0")]))]);
    h.git.write(
        "chainward.toml",
        "[[ignore]]\nid = \"CVE-2024-0001\"\npackage = \"vulncrate\"\nreason = \"only in a test binary\"\n",
    );
    let r = h.json(&["--db", db, "--fail-on", "high"], 1);
    let active: Vec<&str> = findings(&r).iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(active, ["TEST-2024-0002"], "{r:#}");
    let suppressed = r["suppressed"].as_array().unwrap();
    assert_eq!(suppressed.len(), 1, "{r:#}");
    assert_eq!(suppressed[0]["id"], "TEST-2024-0001");
    assert_eq!(suppressed[0]["suppression"]["reason"], "only in a test binary", "{r:#}");
    assert_eq!(suppressed[0]["window"]["introduced"]["commit"], c0.as_str());
    assert_eq!(suppressed[0]["window"]["removed"]["commit"], c1.as_str());
    assert_eq!(r["summary"]["findings"], 1);
    // Ignoring the other one too: nothing fails.
    h.git.write(
        "chainward.toml",
        "[[ignore]]\nid = \"CVE-2024-0001\"\nreason = \"test\"\n\n[[ignore]]\nid = \"TEST-2024-0002\"\nreason = \"test\"\n",
    );
    let r = h.json(&["--db", db, "--fail-on", "low"], 0);
    assert!(findings(&r).is_empty(), "{r:#}");
    assert_eq!(r["suppressed"].as_array().unwrap().len(), 2);
}

// 8. ---------------------------------------------------------------------------------------

/// `(commits read now, continued from the cache)` from `-v`'s line.
fn walk_stats(out: &Output) -> (usize, bool) {
    let err = stderr(out);
    let line = err.lines().find(|l| l.contains("commit(s) walked (")).unwrap_or_else(|| panic!("no stats: {err}"));
    let read = line.split_once("walked (").unwrap().1.split_whitespace().next().unwrap().parse().unwrap();
    (read, line.contains("from the cache"))
}

#[test]
fn the_walk_cache_gives_the_same_result_and_continues_from_the_last_walk() {
    let h = Hist::new();
    let a = "a".repeat(64);
    let b = "b".repeat(64);
    let mut ids = vec![h.commit("main", &[], &[("Cargo.lock", &crates(&[("a", "1.0.0"), ("b", "1.0.0")]))])];
    for i in 1..6 {
        let blocks = lock(&[
            ("a", &format!("1.0.{i}"), Some(CRATES_IO), Some(&a)),
            ("d", "1.0.0", Some(CRATES_IO), Some(if i < 5 { &a } else { &b })),
        ]);
        let parent = ids.last().unwrap().clone();
        ids.push(h.commit("main", &[&parent], &[("Cargo.lock", &blocks)]));
    }
    let args = ["history", "--no-advisories", "--format", "json", "--fail-on", "none", "-v"];
    // A walk that ends earlier (--until) is cached too, and the full walk continues from it.
    let partial = h.run(&[&args[..], &["--until", "HEAD~2"]].concat());
    assert_eq!(walk_stats(&partial), (4, false));
    let cold = h.run(&args);
    assert_eq!(walk_stats(&cold), (2, true), "continued from the --until walk");
    let uncached = h.run(&[&args[..], &["--no-cache"]].concat());
    assert_eq!(cold.stdout, uncached.stdout);
    assert_eq!(cold.status.code(), Some(0), "{}", stderr(&cold));
    let bins = cache_files(h.cache.path());
    assert!(!bins.is_empty(), "the walk is cached under <cache>/history/");
    let warm = h.run(&args);
    assert_eq!(warm.stdout, cold.stdout, "a second run is identical");
    assert_eq!(walk_stats(&warm), (0, true), "and reads nothing");

    // One more commit on top (and a branch forked before the cached commit, merged): the
    // continued walk equals a walk without the cache.
    let tip = ids.last().unwrap().clone();
    let c = "c".repeat(64);
    let c6 = h.commit(
        "main",
        &[&tip],
        &[("Cargo.lock", &lock(&[("a", "2.0.0", Some(CRATES_IO), None), ("d", "1.0.0", Some(CRATES_IO), Some(&c))]))],
    );
    let incremental = h.run(&args);
    assert_eq!(walk_stats(&incremental), (1, true), "only the new commit is read");
    let uncached = h.run(&[&args[..], &["--no-cache"]].concat());
    assert_eq!(walk_stats(&uncached), (7, false));
    assert_eq!(incremental.stdout, uncached.stdout);
    let r = report(&incremental, 0);
    assert_eq!(r["commits"], 7);
    // d drifted at the fifth commit (read in the cached walk) and again at c6 (read now).
    assert_eq!(findings(&r).len(), 2, "drift across the cache boundary: {r:#}");
    assert!(findings(&r).iter().any(|f| f["window"]["introduced"]["commit"] == c6.as_str()), "{r:#}");

    let side = h.commit("side", &[&ids[2]], &[("Cargo.lock", &crates(&[("a", "1.0.2"), ("f", "1.0.0")]))]);
    let _merge = h.commit(
        "main",
        &[&c6, &side],
        &[(
            "Cargo.lock",
            &lock(&[
                ("a", "2.0.0", Some(CRATES_IO), None),
                ("d", "1.0.0", Some(CRATES_IO), Some(&c)),
                ("f", "1.0.0", Some(CRATES_IO), None),
            ]),
        )],
    );
    let merged = h.run(&args);
    let merged_uncached = h.run(&[&args[..], &["--no-cache"]].concat());
    assert_eq!(merged.stdout, merged_uncached.stdout, "a merge of an old branch after a cached walk");
    assert_eq!(report(&merged, 0)["commits"], 9);

    // Garbage in every cache file: ignored, the same result.
    let bins = cache_files(h.cache.path());
    assert!(!bins.is_empty());
    for f in &bins {
        std::fs::write(f, b"\xff\x00garbage, not a walk\x01\x02").unwrap();
    }
    let after = h.run(&args);
    assert_eq!(after.status.code(), Some(0), "{}", stderr(&after));
    assert_eq!(walk_stats(&after), (9, false), "nothing taken from the corrupt files");
    assert_eq!(after.stdout, merged_uncached.stdout);
    // Truncated files too (a walk cut short mid-write).
    for f in &cache_files(h.cache.path()) {
        let bytes = std::fs::read(f).unwrap();
        std::fs::write(f, &bytes[..bytes.len() / 2]).unwrap();
    }
    let truncated = h.run(&args);
    assert_eq!(truncated.stdout, merged_uncached.stdout);
}

/// A cache file that decodes but is not the walk of the commit it is named after (another
/// commit's walk under its name) is not used either.
#[test]
fn a_cache_file_of_another_commit_is_not_taken_for_this_one() {
    let h = Hist::new();
    let c0 = h.commit("main", &[], &[("Cargo.lock", &crates(&[("a", "1.0.0")]))]);
    let c1 = h.commit("main", &[&c0], &[("Cargo.lock", &crates(&[("a", "2.0.0")]))]);
    let args = ["history", "--no-advisories", "--format", "json"];
    let at_c0 = h.run(&[&args[..], &["--rev", &c0, "--no-cache"]].concat());
    h.run(&[&args[..], &["--rev", &c0]].concat());
    h.run(&[&args[..], &["--rev", &c1]].concat());
    let files = cache_files(h.cache.path());
    let named = |id: &str| files.iter().find(|f| f.file_stem().is_some_and(|s| s == id)).unwrap().clone();
    std::fs::copy(named(&c1), named(&c0)).unwrap();
    let again = h.run(&[&args[..], &["--rev", &c0]].concat());
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&at_c0.stdout),
        "c1's walk stored as {c0}.bin must not become c0's history"
    );
}

/// Every `<cache>/history/*/*.bin`.
fn cache_files(cache: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(keys) = std::fs::read_dir(cache.join("history")) else { return out };
    for key in keys {
        for f in std::fs::read_dir(key.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|x| x == "bin") {
                out.push(p);
            }
        }
    }
    out
}

// 9. ---------------------------------------------------------------------------------------

/// At noon UTC: c0 2024-01-02 a 1.0.0; c1 2024-01-03 a 1.1.0; c2 2024-01-04 a 1.2.0 and
/// sub/Cargo.lock b 1.0.0; c3 2024-01-05 a 1.3.0.
fn four_commits(h: &Hist) -> [String; 4] {
    h.clock.set(T0 + DAY / 2);
    let c0 = h.commit("main", &[], &[("Cargo.lock", &crates(&[("a", "1.0.0")]))]);
    let c1 = h.commit("main", &[&c0], &[("Cargo.lock", &crates(&[("a", "1.1.0")]))]);
    let c2 = h.commit(
        "main",
        &[&c1],
        &[("Cargo.lock", &crates(&[("a", "1.2.0")])), ("sub/Cargo.lock", &crates(&[("b", "1.0.0")]))],
    );
    let c3 = h.commit(
        "main",
        &[&c2],
        &[("Cargo.lock", &crates(&[("a", "1.3.0")])), ("sub/Cargo.lock", &crates(&[("b", "1.0.0")]))],
    );
    [c0, c1, c2, c3]
}

fn version_list(r: &Value, lockfile: &str, name: &str) -> Vec<String> {
    versions(r, lockfile, name).into_iter().map(|(v, _, _)| v).collect()
}

#[test]
fn since_until_path_and_rev_narrow_the_walk() {
    let h = Hist::new();
    let [c0, c1, c2, c3] = four_commits(&h);
    let all = h.json(&["--no-advisories"], 0);
    assert_eq!(all["commits"], 4);
    assert_eq!(version_list(&all, "Cargo.lock", "a"), ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]);

    // --since DATE: what was present at or after it (a 1.0.0 left at c1, on 2024-01-03 noon).
    let r = h.json(&["--no-advisories", "--since", "2024-01-04"], 0);
    assert_eq!(version_list(&r, "Cargo.lock", "a"), ["1.1.0", "1.2.0", "1.3.0"], "{r:#}");
    assert_eq!(r["commits"], 2, "c2 and c3 are in the window");
    let r = h.json(&["--no-advisories", "--since", "2024-01-04T13:00:00+00:00"], 0);
    assert_eq!(version_list(&r, "Cargo.lock", "a"), ["1.2.0", "1.3.0"], "{r:#}");
    assert_eq!(r["commits"], 1);
    // --since REV: commits reachable from REV are before the window.
    let r = h.json(&["--no-advisories", "--since", &c1], 0);
    assert_eq!(version_list(&r, "Cargo.lock", "a"), ["1.1.0", "1.2.0", "1.3.0"], "{r:#}");
    assert_eq!(r["commits"], 2);
    // --until REV / DATE: the walk ends there, and what that commit has is present.
    for until in [c2.as_str(), "HEAD~1", "2024-01-04T18:00:00Z", "2024-01-05"] {
        let r = h.json(&["--no-advisories", "--until", until], 0);
        assert_eq!(r["revision"]["commit"], c2.as_str(), "{until}");
        assert_eq!(r["commits"], 3, "{until}");
        assert_eq!(versions(&r, "Cargo.lock", "a").last().unwrap(), &v("1.2.0", &c2, None), "{until}");
        assert_eq!(versions(&r, "sub/Cargo.lock", "b"), [v("1.0.0", &c2, None)]);
    }
    // --since and --until together (a 1.0.0 was there when the window opened after c0).
    let r = h.json(&["--no-advisories", "--since", &c0, "--until", &c2], 0);
    assert_eq!(version_list(&r, "Cargo.lock", "a"), ["1.0.0", "1.1.0", "1.2.0"], "{r:#}");
    assert_eq!(r["commits"], 2);
    // --until that is not an ancestor of --rev, or older than every commit: exit 2.
    let out = h.run(&["history", "--no-advisories", "--rev", &c1, "--until", &c3]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = h.run(&["history", "--no-advisories", "--until", "2000-01-01"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // --path GLOB: a pattern with a slash is relative to PATH, one without matches at any depth.
    let r = h.json(&["--no-advisories", "--path", "sub/Cargo.lock"], 0);
    assert_eq!(package_names(&r), ["sub/Cargo.lock:app", "sub/Cargo.lock:b"], "{r:#}");
    assert_eq!(r["lockfile_revisions"], 1);
    let r = h.json(&["--no-advisories", "--path", "Cargo.lock"], 0);
    assert_eq!(r["summary"]["lockfiles"], 2, "{r:#}");
    let r = h.json(&["--no-advisories", "--path", "sub/*", "--path", "nowhere/*"], 0);
    assert_eq!(r["summary"]["lockfiles"], 1, "{r:#}");
    // PATH itself: the lockfiles below a directory, named relative to it.
    let sub = h.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let out = h.run_in(&sub, &["history", ".", "--no-advisories", "--format", "json"]);
    let r = report(&out, 0);
    assert_eq!(package_names(&r), ["Cargo.lock:app", "Cargo.lock:b"], "{r:#}");

    // --rev: an id, a branch.
    let r = h.json(&["--no-advisories", "--rev", &c1], 0);
    assert_eq!(r["revision"]["rev"], c1.as_str());
    assert_eq!(r["revision"]["commit"], c1.as_str());
    assert_eq!(versions(&r, "Cargo.lock", "a"), [v("1.0.0", &c0, Some(&c1)), v("1.1.0", &c1, None)]);
    let r = h.json(&["--no-advisories", "--rev", "main"], 0);
    assert_eq!(r["revision"]["commit"], c3.as_str());
    let out = h.run(&["history", "--no-advisories", "--rev", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-branch"), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no report on an error");
}

#[test]
fn a_bare_repository_works_and_a_ref_it_lacks_is_exit_2() {
    let h = Hist::new();
    four_commits(&h);
    let expected = h.json(&["--no-advisories"], 0);

    let bare_dir = tempfile::tempdir().unwrap();
    let bare_path = bare_dir.path().join("repo.git");
    h.git.clone_bare(&bare_path).set_head("refs/heads/main").unwrap();
    let out =
        h.run_in(bare_dir.path(), &["history", bare_path.to_str().unwrap(), "--no-advisories", "--format", "json"]);
    let bare = report(&out, 0);
    assert_eq!(bare["packages"], expected["packages"]);
    assert_eq!(bare["commits"], 4);
    let out = h.run_in(bare_dir.path(), &["history", bare_path.to_str().unwrap(), "--no-advisories", "--rev", "nope"]);
    assert_eq!(out.status.code(), Some(2), "a bare repository without the ref: {}", stderr(&out));
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
    // Not a repository at all; a repository without a commit; a file as PATH: exit 2.
    let plain = tempfile::tempdir().unwrap();
    let out = h.run_in(plain.path(), &["history", "--no-advisories"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let empty = Hist::new();
    let out = empty.run(&["history", "--no-advisories"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    std::fs::write(h.path().join("Cargo.lock"), crates(&[])).unwrap();
    let out = h.run(&["history", "Cargo.lock", "--no-advisories"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--path"), "points at --path: {}", stderr(&out));
}

#[test]
fn a_shallow_clone_says_where_history_stops() {
    let h = Hist::new();
    let [_, c1, c2, c3] = four_commits(&h);
    // A shallow clone of depth 3 holds c1, c2, c3; c1's parent is missing.
    let Some(git) = common::external_tool("GIT", "git") else { return };
    let shallow_dir = tempfile::tempdir().unwrap();
    let shallow = shallow_dir.path().join("shallow");
    let url = format!("file://{}", h.path().display());
    let cloned = Command::new(git)
        .args(["clone", "--quiet", "--depth", "3", "--branch", "main", &url])
        .arg(&shallow)
        .output()
        .unwrap();
    assert!(cloned.status.success(), "{}", String::from_utf8_lossy(&cloned.stderr));
    let out = h.run_in(&shallow, &["history", "--no-advisories", "--format", "json"]);
    let r = report(&out, 0);
    assert_eq!(r["commits"], 3, "{r:#}");
    // What the oldest commit there has is shown as introduced there.
    assert_eq!(
        versions(&r, "Cargo.lock", "a"),
        [v("1.1.0", &c1, Some(&c2)), v("1.2.0", &c2, Some(&c3)), v("1.3.0", &c3, None)]
    );
    let w = warnings(&r);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("shallow"), "{w:?}");
    assert!(w[0].contains(short(&c1)), "says where it stops (c1 {c1}): {w:?}");
    assert!(stderr(&out).contains(short(&c1)), "{}", stderr(&out));
}

// 10. --------------------------------------------------------------------------------------

/// `git log --format=%aI` (and %an) for `rev`, when git is there.
fn git_log(dir: &Path, rev: &str) -> Option<(String, String)> {
    let git = common::external_tool("GIT", "git")?;
    let out = Command::new(git).args(["log", "-1", "--format=%aI%x00%an", rev]).current_dir(dir).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let (date, name) = text.trim_end_matches('\n').split_once('\0').unwrap();
    Some((date.to_owned(), name.to_owned()))
}

fn is_rfc3339(s: &str) -> bool {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

#[test]
fn reports_sanitise_what_the_repository_wrote_and_json_has_full_ids_and_rfc3339_dates() {
    let evil = "Eve \x1b[2J\x1b]0;owned\x07 | **bold** [x](https://evil) `tick` ::error::pwned";
    let h = Hist::new();
    let c0 = h.commit_by("main", &[], &[("Cargo.lock", &crates(&[("a", "1.0.0")]))], evil, T0, 60);
    // A version string holding a line break and a workflow command.
    let sneaky = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\\n::error title=pwned::owned\\u001b[31m\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let c1 = h.commit_by("main", &[&c0], &[("Cargo.lock", sneaky)], "Zoë Ünïcode", T0 + DAY, -330);

    for format in ["table", "markdown"] {
        let out = h.run(&["history", "--no-advisories", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(!out.stdout.contains(&0x1b), "{format}: a raw ESC byte in the report");
        assert!(!out.stdout.contains(&0x07), "{format}: a raw BEL byte in the report");
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        for line in text.lines() {
            assert!(!line.trim_start().starts_with("::"), "{format}: a workflow command: {line:?}");
        }
        assert!(text.contains("Eve"), "{format}: the author is shown: {text}");
        assert!(text.contains(r"\u{1b}"), "{format}: the escape is shown, visibly: {text}");
        assert!(text.contains("Zoë Ünïcode"), "{format}: printable text stays as it is: {text}");
        assert!(text.contains(&c0[..10]) && text.contains(&c1[..10]), "{format}: {text}");
        assert!(!stderr(&out).contains('\x1b'), "{format}: stderr: {}", stderr(&out));
        if format == "markdown" {
            // The author's `|` cannot open a column: every row of a package table has 4 cells.
            let rows: Vec<&str> = text.lines().filter(|l| l.contains(&c0[..10]) && l.starts_with('|')).collect();
            assert!(!rows.is_empty(), "{text}");
            for row in rows {
                let cells = row.replace("\\|", "").matches('|').count();
                assert_eq!(cells, 5, "four cells: {row}");
                assert!(!row.contains("**bold**") && !row.contains("[x](https://evil)"), "{row}");
            }
        }
    }

    let out = h.run(&["history", "--no-advisories", "--format", "json"]);
    assert!(!out.stdout.contains(&0x1b), "JSON escapes control characters");
    // -o FILE: the same report in the file, nothing on stdout.
    let file = h.cache.path().join("report.json");
    let to_file = h.run(&["history", "--no-advisories", "--format", "json", "-o", file.to_str().unwrap()]);
    assert_eq!(to_file.status.code(), Some(0), "{}", stderr(&to_file));
    assert!(to_file.stdout.is_empty());
    assert_eq!(std::fs::read(&file).unwrap(), out.stdout);
    let r = report(&out, 0);
    let a = &entries(&r, "Cargo.lock", "a")[0]["introduced"];
    assert_eq!(a["author"], evil, "JSON keeps the name, escaped as JSON");
    let hex40 = |s: &str| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    for p in r["packages"].as_array().unwrap() {
        for e in p["versions"].as_array().unwrap() {
            for end in ["introduced", "removed"] {
                let c = &e[end];
                if c.is_null() {
                    continue;
                }
                assert!(hex40(c["commit"].as_str().unwrap()), "{c}");
                assert!(is_rfc3339(c["date"].as_str().unwrap()), "{c}");
            }
        }
    }
    assert!(hex40(r["revision"]["commit"].as_str().unwrap()));
    assert_eq!(a["date"], "2024-01-01T01:00:00+01:00", "the author's own offset");
    let b = &entries(&r, "Cargo.lock", "b")[0]["introduced"];
    assert_eq!(b["date"], "2024-01-01T18:30:00-05:30");
    assert_eq!(b["author"], "Zoë Ünïcode");
    // The same text `git log --format=%aI` prints (for an offset other than UTC).
    if let Some((date, name)) = git_log(h.path(), &c1) {
        assert_eq!(b["date"], date.as_str());
        assert_eq!(b["author"], name.as_str());
    }
}

/// The contract: `date` is the author date as `git log --format=%aI` prints it, whatever the
/// author's offset (UTC included).
#[test]
fn dates_are_what_git_log_prints() {
    let h = Hist::new();
    let c0 = h.commit_by("main", &[], &[("Cargo.lock", &crates(&[("a", "1.0.0")]))], "Utc", T0, 0);
    let c1 = h.commit_by("main", &[&c0], &[("Cargo.lock", &crates(&[("a", "1.1.0")]))], "East", T0 + DAY, 60);
    let c2 = h.commit_by("main", &[&c1], &[("Cargo.lock", &crates(&[("a", "1.2.0")]))], "West", T0 + 2 * DAY, -420);
    let r = h.json(&["--no-advisories"], 0);
    let mut dates: Vec<(String, String)> = Vec::new();
    for e in entries(&r, "Cargo.lock", "a") {
        for end in ["introduced", "removed"] {
            if !e[end].is_null() {
                dates
                    .push((e[end]["commit"].as_str().unwrap().to_owned(), e[end]["date"].as_str().unwrap().to_owned()));
            }
        }
    }
    assert_eq!(dates.len(), 5);
    for c in [&c0, &c1, &c2] {
        assert!(dates.iter().any(|(id, _)| id == c));
    }
    let Some(_) = common::external_tool("GIT", "git") else { return };
    for (id, date) in &dates {
        let (git_date, _) = git_log(h.path(), id).unwrap();
        assert!(is_rfc3339(date), "{date}");
        assert_eq!(date, &git_date, "commit {id}");
    }
}

// 11. --------------------------------------------------------------------------------------

/// An npm v3 lockfile of `app` with these registry packages.
fn npm_lock(packages: &[(&str, &str)]) -> String {
    let deps: serde_json::Map<String, Value> =
        packages.iter().map(|(n, v)| ((*n).to_owned(), Value::String(format!("^{v}")))).collect();
    let mut all = serde_json::Map::new();
    all.insert(String::new(), serde_json::json!({"name": "app", "version": "1.0.0", "dependencies": deps}));
    for (i, (name, version)) in packages.iter().enumerate() {
        let digest: Vec<u8> = (0..64).map(|j| u8::try_from((i * 7 + j) % 256).unwrap()).collect();
        all.insert(
            format!("node_modules/{name}"),
            serde_json::json!({
                "version": version,
                "resolved": format!("https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"),
                "integrity": format!("sha512-{}", base64(&digest)),
            }),
        );
    }
    serde_json::to_string_pretty(
        &serde_json::json!({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": all}),
    )
    .unwrap()
}

fn package_json(packages: &[(&str, &str)]) -> String {
    let deps: serde_json::Map<String, Value> =
        packages.iter().map(|(n, v)| ((*n).to_owned(), Value::String(format!("^{v}")))).collect();
    serde_json::to_string_pretty(&serde_json::json!({"name": "app", "version": "1.0.0", "dependencies": deps})).unwrap()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn npm_lockfiles_have_their_own_timelines_per_path() {
    let h = Hist::new();
    let root1 = [("left-pad", "1.0.0"), ("is-number", "7.0.0"), ("@types/node", "20.0.0")];
    let root2 = [("left-pad", "1.1.0"), ("is-number", "7.0.0"), ("@types/node", "20.1.0")];
    let web = [("left-pad", "1.0.0")];
    let c0 =
        h.commit("main", &[], &[("package.json", &package_json(&root1)), ("package-lock.json", &npm_lock(&root1))]);
    let c1 = h.commit(
        "main",
        &[&c0],
        &[
            ("package.json", &package_json(&root2)),
            ("package-lock.json", &npm_lock(&root2)),
            ("web/package.json", &package_json(&web)),
            ("web/package-lock.json", &npm_lock(&web)),
            ("Cargo.lock", &crates(&[("left-pad", "9.9.9")])),
        ],
    );
    let r = h.json(&["--no-advisories"], 0);
    assert!(warnings(&r).is_empty(), "{r:#}");
    assert_eq!(versions(&r, "package-lock.json", "left-pad"), [v("1.0.0", &c0, Some(&c1)), v("1.1.0", &c1, None)]);
    assert_eq!(versions(&r, "package-lock.json", "is-number"), [v("7.0.0", &c0, None)]);
    assert_eq!(versions(&r, "web/package-lock.json", "left-pad"), [v("1.0.0", &c1, None)]);
    let npm: Vec<&Value> = r["packages"].as_array().unwrap().iter().filter(|p| p["ecosystem"] == "npm").collect();
    assert!(npm.iter().all(|p| p["lockfile"].as_str().unwrap().ends_with("package-lock.json")), "{npm:?}");
    let pad = entries(&r, "package-lock.json", "left-pad");
    assert_eq!(pad[0]["source"], "npm");
    assert!(pad[0]["checksum"].as_str().unwrap().starts_with("sha512:"), "{}", pad[0]);

    // The same name in another ecosystem is another package.
    let r = h.json(&["--no-advisories", "--package", "left-pad"], 0);
    let mut seen: Vec<(String, String)> = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["lockfile"].as_str().unwrap().to_owned(), p["ecosystem"].as_str().unwrap().to_owned()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("Cargo.lock".to_owned(), "crates.io".to_owned()),
            ("package-lock.json".to_owned(), "npm".to_owned()),
            ("web/package-lock.json".to_owned(), "npm".to_owned()),
        ],
        "{r:#}"
    );
    // A scoped name, with and without a version.
    let r = h.json(&["--no-advisories", "--package", "@types/node"], 0);
    assert_eq!(versions(&r, "package-lock.json", "@types/node"), [v("20.0.0", &c0, Some(&c1)), v("20.1.0", &c1, None)]);
    let r = h.json(&["--no-advisories", "--package", "@types/node@20.1.0"], 0);
    assert_eq!(versions(&r, "package-lock.json", "@types/node"), [v("20.1.0", &c1, None)], "{r:#}");
    let r = h.json(&["--no-advisories", "--path", "web/*"], 0);
    assert_eq!(package_names(&r), ["web/package-lock.json:app", "web/package-lock.json:left-pad"], "{r:#}");
}

/// A lockfile blob whose object is missing or damaged is not a broken revision (its content is
/// unknown, not wrong): the walk stops with an error, exit 2, naming the lockfile.
#[test]
fn a_corrupt_or_missing_object_is_exit_2() {
    for damage in ["garbage", "missing"] {
        let h = Hist::new();
        let [c0, ..] = four_commits(&h);
        let blob = h.git.repo.revparse_single(&format!("{c0}:Cargo.lock")).unwrap().id().to_string();
        let object = h.path().join(".git/objects").join(&blob[..2]).join(&blob[2..]);
        assert!(object.is_file(), "a loose object: {}", object.display());
        let mut perms = std::fs::metadata(&object).unwrap().permissions();
        #[expect(clippy::permissions_set_readonly_false, reason = "a test making an object writable to damage it")]
        perms.set_readonly(false);
        std::fs::set_permissions(&object, perms).unwrap();
        if damage == "garbage" {
            std::fs::write(&object, b"not a zlib stream at all").unwrap();
        } else {
            std::fs::remove_file(&object).unwrap();
        }
        let out = h.run(&["history", "--no-advisories", "--no-cache", "--format", "json"]);
        assert_eq!(out.status.code(), Some(2), "{damage}: {}", stderr(&out));
        assert!(stderr(&out).contains("Cargo.lock"), "{damage}: names the lockfile: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{damage}: no report");
    }
}
