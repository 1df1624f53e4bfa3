//! `Advisory::modified`: when an advisory was last changed. OSV records carry it (normalised to
//! `YYYY-MM-DDTHH:MM:SSZ`, an unreadable one is `None`, never a failed record); a RustSec
//! directory that is the root of a git repository dates each advisory by the newest commit that
//! changed its file; any other RustSec directory has no dates. The value survives the compiled
//! cache.

// Test helpers fail loudly on unexpected input: that is how a test reports; the measurement prints.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, clippy::print_stderr)]

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chainward::advisory::{self, Advisory, Index, db, osv, rustsec};

/// A RustSec advisory for `package`, with `title` as its title.
fn rustsec_text(id: &str, package: &str, title: &str) -> String {
    format!(
        "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{package}\"\ndate = \"2099-01-01\"\n\n[versions]\n\
         patched = [\">= 1.2.0\"]\n```\n\n# {title}\n\nDetails.\n"
    )
}

fn osv_text(id: &str, modified: &str) -> String {
    format!(
        r#"{{"id": "{id}", "modified": {modified}, "summary": "s",
        "affected": [{{"package": {{"ecosystem": "crates.io", "name": "demo"}},
        "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "1.0.0"}}]}}]}}]}}"#
    )
}

fn one<'a>(index: &'a Index, id: &str) -> &'a Advisory {
    let found: Vec<&Advisory> = index.named(id).collect();
    assert_eq!(found.len(), 1, "{id}: {found:?}");
    found[0]
}

/// The two advisory files of the git tests.
const FIRST: &str = "crates/alpha/RUSTSEC-2099-0001.md";
const SECOND: &str = "crates/beta/RUSTSEC-2099-0002.md";

/// 2099-01-02T03:04:05Z and 2099-06-07T08:09:10Z as Unix times.
const T1: i64 = 4_071_006_245;
const T2: i64 = 4_084_502_950;

/// Commit every file of the work tree of `repo` (a `git add -A` and `git commit`), committed at
/// `seconds` (with `offset` minutes east of UTC, which must not change the UTC date).
fn commit_all(repo: &git2::Repository, seconds: i64, offset: i32, message: &str) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let when = git2::Time::new(seconds, offset);
    let author = git2::Signature::new("author", "author@example.com", &git2::Time::new(1_000_000_000, 0)).unwrap();
    let committer = git2::Signature::new("committer", "committer@example.com", &when).unwrap();
    let parents: Vec<git2::Commit<'_>> = repo.head().ok().and_then(|h| h.peel_to_commit().ok()).into_iter().collect();
    let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
    repo.commit(Some("HEAD"), &author, &committer, message, &tree, &parents).unwrap()
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A RustSec database in a git repository: both advisories committed at `T1`, then the second
/// one changed at `T2` (committed with a +02:00 offset: the time is still `T2`).
fn two_commit_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    write(dir.path(), FIRST, &rustsec_text("RUSTSEC-2099-0001", "alpha", "First"));
    write(dir.path(), SECOND, &rustsec_text("RUSTSEC-2099-0002", "beta", "Second"));
    write(dir.path(), "README.md", "not an advisory\n");
    commit_all(&repo, T1, 0, "add both");
    write(dir.path(), SECOND, &rustsec_text("RUSTSEC-2099-0002", "beta", "Second, amended"));
    write(dir.path(), "README.md", "changed too\n");
    commit_all(&repo, T2, 120, "amend the second");
    dir
}

#[test]
fn normalize_timestamp_drops_fractions_and_converts_offsets_to_utc() {
    let cases = [
        ("2024-05-01T12:34:56Z", Some("2024-05-01T12:34:56Z")),
        ("2024-05-01T12:34:56.987654Z", Some("2024-05-01T12:34:56Z")),
        ("2024-05-01T12:34:56.5+02:00", Some("2024-05-01T10:34:56Z")),
        ("2024-05-01T23:30:00-01:00", Some("2024-05-02T00:30:00Z")),
        ("2024-05-01t12:34:56z", Some("2024-05-01T12:34:56Z")),
        (" 2024-05-01T12:34:56Z\n", Some("2024-05-01T12:34:56Z")),
        ("9999-12-31T23:59:59-01:00", None),
        ("0000-01-01T00:00:00+01:00", None),
        ("2024-05-01", None),
        ("2024-05-01T12:34:56", None),
        ("2024-13-01T12:34:56Z", None),
        ("yesterday", None),
        ("", None),
    ];
    for (input, want) in cases {
        assert_eq!(advisory::normalize_timestamp(input).as_deref(), want, "{input:?}");
    }
}

#[test]
fn osv_modified_is_read_and_normalised_and_a_bad_one_is_none_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let records = [
        ("A-1", r#""2023-06-13T13:10:24Z""#, Some("2023-06-13T13:10:24Z")),
        ("A-2", r#""2023-06-13T13:10:24.123456Z""#, Some("2023-06-13T13:10:24Z")),
        ("A-3", r#""2023-06-13T15:10:24.9+02:00""#, Some("2023-06-13T13:10:24Z")),
        ("A-4", r#""last tuesday""#, None),
        ("A-5", "17", None),
        ("A-6", "null", None),
        ("A-7", r#"{"nested": true}"#, None),
    ];
    for (id, modified, _) in &records {
        std::fs::write(dir.path().join(format!("{id}.json")), osv_text(id, modified)).unwrap();
    }
    // A record with no `modified` at all loads too.
    let missing = osv_text("A-8", "null").replace(r#""modified": null,"#, "");
    assert!(!missing.contains("modified"));
    std::fs::write(dir.path().join("A-8.json"), missing).unwrap();

    let loaded = osv::load(dir.path()).unwrap();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.advisories.len(), records.len() + 1);
    for (id, _, want) in records.iter().copied().chain([("A-8", "", None)]) {
        let a = loaded.advisories.iter().find(|a| a.id == id).unwrap();
        assert_eq!(a.modified.as_deref(), want, "{id}");
        assert_eq!(a.modified_at().is_some(), want.is_some(), "{id}");
    }
    let a3 = loaded.advisories.iter().find(|a| a.id == "A-3").unwrap();
    let at = a3.modified_at().unwrap();
    assert_eq!(at.offset(), time::UtcOffset::UTC);
    assert_eq!(at.unix_timestamp(), 1_686_661_824);
}

#[test]
fn a_rustsec_directory_that_is_not_a_git_repository_has_no_dates() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), FIRST, &rustsec_text("RUSTSEC-2099-0001", "alpha", "First"));
    let loaded = rustsec::load(dir.path()).unwrap();
    assert_eq!(loaded.advisories.len(), 1, "{:?}", loaded.errors);
    assert_eq!(loaded.advisories[0].modified, None);
    assert_eq!(loaded.advisories[0].modified_at(), None);
}

#[test]
fn a_rustsec_git_checkout_dates_each_file_by_the_newest_commit_changing_it() {
    let repo = two_commit_repo();
    let loaded = rustsec::load(repo.path()).unwrap();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let modified = |id: &str| loaded.advisories.iter().find(|a| a.id == id).unwrap().modified.clone();
    assert_eq!(modified("RUSTSEC-2099-0001").as_deref(), Some("2099-01-02T03:04:05Z"), "the first commit");
    assert_eq!(modified("RUSTSEC-2099-0002").as_deref(), Some("2099-06-07T08:09:10Z"), "the second commit");
    let second = loaded.advisories.iter().find(|a| a.id == "RUSTSEC-2099-0002").unwrap();
    assert_eq!(second.modified_at().unwrap().unix_timestamp(), T2);
    assert_eq!(second.published.as_deref(), Some("2099-01-01"), "the publication date is the TOML's");

    // The bound: one commit walked dates only what that commit changed.
    let wanted: HashSet<&str> = [FIRST, SECOND].into_iter().collect();
    let dates = rustsec::commit_dates(repo.path(), &wanted, 1);
    assert_eq!(dates.len(), 1, "{dates:?}");
    assert_eq!(dates.get(SECOND).map(String::as_str), Some("2099-06-07T08:09:10Z"));
    let all = rustsec::commit_dates(repo.path(), &wanted, rustsec::MAX_DATING_COMMITS);
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(rustsec::commit_dates(repo.path(), &HashSet::new(), 10).is_empty());
}

#[test]
fn only_a_repository_rooted_at_the_directory_itself_is_used() {
    // The database is a subdirectory of an unrelated repository: no dates.
    let outer = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(outer.path()).unwrap();
    let db = outer.path().join("vendor/advisory-db");
    write(&db, FIRST, &rustsec_text("RUSTSEC-2099-0001", "alpha", "First"));
    commit_all(&repo, T1, 0, "vendor the database");
    let loaded = rustsec::load(&db).unwrap();
    assert_eq!(loaded.advisories.len(), 1, "{:?}", loaded.errors);
    assert_eq!(loaded.advisories[0].modified, None, "the enclosing repository is not searched for");

    // An uncommitted advisory in a checkout has no date; the committed one has.
    let checkout = two_commit_repo();
    write(checkout.path(), "crates/gamma/RUSTSEC-2099-0003.md", &rustsec_text("RUSTSEC-2099-0003", "gamma", "New"));
    let loaded = rustsec::load(checkout.path()).unwrap();
    let modified = |id: &str| loaded.advisories.iter().find(|a| a.id == id).unwrap().modified.clone();
    assert_eq!(modified("RUSTSEC-2099-0003"), None);
    assert_eq!(modified("RUSTSEC-2099-0001").as_deref(), Some("2099-01-02T03:04:05Z"));
}

#[test]
fn a_change_merged_from_a_branch_is_dated_by_the_merge() {
    let repo_dir = two_commit_repo();
    let repo = git2::Repository::open(repo_dir.path()).unwrap();
    let base = repo.head().unwrap().peel_to_commit().unwrap();
    // A branch changes the first advisory at T2 + 1 day; main merges it at T2 + 2 days.
    write(repo_dir.path(), FIRST, &rustsec_text("RUSTSEC-2099-0001", "alpha", "First, on a branch"));
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = |t: i64| git2::Signature::new("c", "c@example.com", &git2::Time::new(t, 0)).unwrap();
    let branch = repo.commit(None, &sig(T2 + 86_400), &sig(T2 + 86_400), "branch", &tree, &[&base]).unwrap();
    let branch = repo.find_commit(branch).unwrap();
    repo.commit(Some("HEAD"), &sig(T2 + 2 * 86_400), &sig(T2 + 2 * 86_400), "merge", &tree, &[&base, &branch]).unwrap();
    let loaded = rustsec::load(repo_dir.path()).unwrap();
    let modified = |id: &str| loaded.advisories.iter().find(|a| a.id == id).unwrap().modified.clone();
    assert_eq!(modified("RUSTSEC-2099-0001").as_deref(), Some("2099-06-09T08:09:10Z"), "the merge's time");
    assert_eq!(modified("RUSTSEC-2099-0002").as_deref(), Some("2099-06-07T08:09:10Z"));
}

#[test]
fn modified_survives_the_compiled_cache() {
    let cache = tempfile::tempdir().unwrap();
    // RustSec, dated by git. The fingerprint of a checkout is its HEAD (and index): an
    // uncommitted edit of the work tree is not seen, which proves the second load is the cache's.
    let repo = two_commit_repo();
    let osv_dir = tempfile::tempdir().unwrap();
    std::fs::write(osv_dir.path().join("A-1.json"), osv_text("A-1", r#""2023-06-13T15:10:24.5+02:00""#)).unwrap();
    let paths: Vec<PathBuf> = vec![repo.path().to_path_buf(), osv_dir.path().to_path_buf()];
    let cold = db::load(&paths, Some(cache.path())).unwrap();
    assert!(cold.errors.is_empty(), "{:?}", cold.errors);
    write(repo.path(), FIRST, &rustsec_text("RUSTSEC-2099-0001", "alpha", "Edited, not committed"));
    let warm = db::load(&paths, Some(cache.path())).unwrap();
    assert_eq!(one(&warm, "RUSTSEC-2099-0001").summary, "First", "the warm load is the cache's");
    for index in [&cold, &warm] {
        assert_eq!(one(index, "RUSTSEC-2099-0001").modified.as_deref(), Some("2099-01-02T03:04:05Z"));
        assert_eq!(one(index, "RUSTSEC-2099-0002").modified.as_deref(), Some("2099-06-07T08:09:10Z"));
        assert_eq!(one(index, "A-1").modified.as_deref(), Some("2023-06-13T13:10:24Z"));
    }
    // A selective warm read too.
    let keys = db::Wanted::new([(chainward::model::Ecosystem::Cargo, "beta", "1.0.0")]);
    let selected = db::load_selected(&paths, Some(cache.path()), db::Select::Packages(&keys)).unwrap();
    assert_eq!(one(&selected, "RUSTSEC-2099-0002").modified.as_deref(), Some("2099-06-07T08:09:10Z"));
}

/// The files of `root` named in `paths` as the `.tar.gz` GitHub serves (one top directory).
fn archive(root: &Path, paths: &[&str]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for rel in paths {
        let data = std::fs::read(root.join(rel)).unwrap();
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, format!("advisory-db-main/{rel}"), data.as_slice()).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &builder.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

/// `db update` downloads RustSec as an archive, which has no git history: the managed copy's
/// records have no dates (the crates.io OSV export beside them carries them), and an update
/// brings the new text.
#[test]
fn the_managed_copy_has_no_dates_and_an_update_brings_the_new_text() {
    let upstream = two_commit_repo();
    let mirror = tempfile::tempdir().unwrap();
    let published = mirror.path().join("advisory-db.tar.gz");
    let publish = || std::fs::write(&published, archive(upstream.path(), &[FIRST, SECOND, "README.md"])).unwrap();
    publish();
    let cache = tempfile::tempdir().unwrap();
    let local = advisory::local::LocalDb::new(cache.path());
    let config = advisory::local::UpdateConfig {
        rustsec_url: format!("file://{}", published.display()),
        // Nothing served: only RustSec is fetched.
        osv_url: "http://127.0.0.1:9".to_owned(),
        ecosystems: Vec::new(),
    };
    let update = || {
        let outcome = local.update(&config, &mut |_| {}).unwrap();
        assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    };
    update();
    let paths = vec![local.rustsec_dir()];
    let index = db::load(&paths, Some(cache.path())).unwrap();
    assert_eq!(one(&index, "RUSTSEC-2099-0001").modified, None);
    assert_eq!(one(&index, "RUSTSEC-2099-0002").modified, None);

    write(upstream.path(), FIRST, &rustsec_text("RUSTSEC-2099-0001", "alpha", "First, amended"));
    publish();
    update();
    let index = db::load(&paths, Some(cache.path())).unwrap();
    assert_eq!(one(&index, "RUSTSEC-2099-0001").summary, "First, amended");
    assert_eq!(one(&index, "RUSTSEC-2099-0001").modified, None);
}

#[test]
fn every_record_of_the_real_crates_io_export_has_a_modification_date() {
    let Some(shared) = common::shared_dir() else { return };
    let loaded = osv::load(&shared.join("advisory-db/osv/crates.io.zip")).unwrap();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(loaded.advisories.len() > 1_000, "{}", loaded.advisories.len());
    for a in &loaded.advisories {
        let modified = a.modified.as_deref().unwrap_or_else(|| panic!("{} has no modified", a.id));
        assert_eq!(modified.len(), 20, "{}: {modified}", a.id);
        assert!(a.modified_at().is_some(), "{}: {modified}", a.id);
    }
}

#[test]
fn the_built_in_records_carry_their_own_modification_date() {
    let builtin = advisory::builtin::load(|_| true);
    assert!(!builtin.advisories.is_empty());
    for a in &builtin.advisories {
        assert!(a.modified_at().is_some(), "{}: {:?}", a.id, a.modified);
    }
}

/// Build the measurement repository in `root`: the files of `source` in one commit, then
/// `commits` commits that each append a line to one advisory (never the first one, so the walk
/// reaches the first commit), then `git gc` (a clone is packed). Returns the advisory paths.
#[cfg(unix)]
fn build_dating_repo(source: &Path, root: &Path, commits: usize) -> Vec<PathBuf> {
    let repo = git2::Repository::init(root).unwrap();
    let mut files = Vec::new();
    let mut stack = vec![source.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(source).unwrap().to_path_buf();
            let to = root.join(&rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&p, &to).unwrap();
            std::fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
            if rel.starts_with("crates") {
                files.push(rel);
            }
        }
    }
    files.sort();
    let started = std::time::Instant::now();
    commit_all(&repo, 1_500_000_000, 0, "import");
    let author = git2::Signature::new("c", "c@example.com", &git2::Time::new(1_500_000_000, 0)).unwrap();
    let mut index = repo.index().unwrap();
    let mut parent = repo.head().unwrap().peel_to_commit().unwrap();
    for i in 0..commits {
        let rel = &files[1 + i % (files.len() - 1)];
        let path = root.join(rel);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("\nEdited.\n");
        std::fs::write(&path, text).unwrap();
        index.add_path(rel).unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let at = 1_500_000_000 + 60 * (i64::try_from(i).unwrap() + 1);
        let committer = git2::Signature::new("c", "c@example.com", &git2::Time::new(at, 0)).unwrap();
        let oid = repo.commit(Some("HEAD"), &author, &committer, "edit", &tree, &[&parent]).unwrap();
        parent = repo.find_commit(oid).unwrap();
    }
    index.write().unwrap();
    eprintln!("built {} files, {commits} commits in {:?}", files.len(), started.elapsed());
    let gc = std::process::Command::new("git").arg("-C").arg(root).args(["gc", "-q"]).status();
    eprintln!("git gc: {gc:?}");
    files
}

/// The cost of dating a realistic RustSec checkout (see [`build_dating_repo`];
/// `CHAINWARD_DATING_COMMITS` commits, default 10,000), against loading the same files from a
/// plain directory. `CHAINWARD_DATING_REPO=DIR` keeps the repository in `DIR` (built when `DIR`
/// does not exist, reused when it does). Run with
/// `cargo test --test advisory_modified -- --ignored --nocapture dating_cost`.
#[cfg(unix)]
#[test]
#[ignore = "a measurement: builds a large repository"]
fn dating_cost() {
    let Some(shared) = common::shared_dir() else { return };
    let commits: usize = std::env::var("CHAINWARD_DATING_COMMITS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let temp = tempfile::tempdir().unwrap();
    let root = std::env::var_os("CHAINWARD_DATING_REPO").map_or_else(|| temp.path().join("repo"), PathBuf::from);
    if !root.exists() {
        build_dating_repo(&shared.join("advisory-db/rustsec"), &root, commits);
    }
    let plain = temp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let status = std::process::Command::new("cp")
        .args(["-r", "--no-preserve=mode"])
        .arg(root.join("crates"))
        .arg(&plain)
        .status();
    assert!(status.unwrap().success());
    for round in 0..3 {
        let t = std::time::Instant::now();
        let loaded = rustsec::load(&root).unwrap();
        let with_git = t.elapsed();
        let t = std::time::Instant::now();
        let without = rustsec::load(&plain).unwrap();
        let without_git = t.elapsed();
        let wanted: Vec<String> = without
            .advisories
            .iter()
            .map(|a| format!("crates/{}/{}.md", a.affected[0].name, a.id))
            .filter(|rel| root.join(rel).is_file())
            .collect();
        let wanted: HashSet<&str> = wanted.iter().map(String::as_str).collect();
        let t = std::time::Instant::now();
        let dates = rustsec::commit_dates(&root, &wanted, rustsec::MAX_DATING_COMMITS);
        let walk = t.elapsed();
        eprintln!(
            "round {round}: load with git {with_git:?}, without {without_git:?}; the walk alone {walk:?} dated \
             {} of {} files",
            dates.len(),
            wanted.len()
        );
        assert_eq!(loaded.advisories.len(), without.advisories.len());
        assert!(loaded.advisories.iter().all(|a| a.modified.is_some()));
        assert!(without.advisories.iter().all(|a| a.modified.is_none()));
    }
}
