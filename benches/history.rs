//! `chainward history`'s walk ([`chainward::history::walk`]) on the real histories of
//! `../shared/corpus/history/` (ripgrep: 2,287 commits; cargo: 23,077), each cloned once into a
//! temporary directory: cold (no cache), warm (the walk of the same commit cached), and after
//! one new commit on top of the cached one (a commit that leaves the lockfiles alone, and one
//! that changes `Cargo.lock`), the speed targets. Skipped with a message when
//! `../shared` is absent.
#![expect(clippy::panic, clippy::print_stderr, reason = "a benchmark reports and stops on setup failure")]

use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::history::{Request, walk};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

/// `git clone BUNDLE` into `dir`, or `None` when the bundle is absent.
fn clone(bundle: &Path, dir: &Path) -> Option<PathBuf> {
    if !bundle.is_file() {
        return None;
    }
    let name = bundle.file_stem().and_then(|s| s.to_str()).unwrap_or("repo");
    let target = dir.join(name);
    let status = Command::new("git")
        .args(["-c", "init.defaultBranch=main", "clone", "--quiet"])
        .arg(bundle)
        .arg(&target)
        .status()
        .unwrap_or_else(|e| panic!("git clone {}: {e}", bundle.display()));
    assert!(status.success(), "git clone {} failed", bundle.display());
    Some(target)
}

fn request<'a>(path: &'a Path, rev: &'a str, cache_dir: Option<&'a Path>) -> Request<'a> {
    Request { path, rev, until: None, exclude: &[], requirements: &[], only: &[], cache_dir }
}

/// A commit on top of HEAD (no ref moves): with `Cargo.lock` given one more trailing newline
/// when `touch_lockfile`, else with HEAD's tree. Returns its id.
fn new_commit(repo_dir: &Path, touch_lockfile: bool) -> String {
    let repo = git2::Repository::open(repo_dir).unwrap_or_else(|e| panic!("{e}"));
    let head = repo.head().and_then(|h| h.peel_to_commit()).unwrap_or_else(|e| panic!("{e}"));
    let tree = head.tree().unwrap_or_else(|e| panic!("{e}"));
    let tree = if touch_lockfile {
        let entry = tree.get_name("Cargo.lock").unwrap_or_else(|| panic!("no Cargo.lock at HEAD"));
        let blob = repo.find_blob(entry.id()).unwrap_or_else(|e| panic!("{e}"));
        let mut content = blob.content().to_vec();
        content.push(b'\n');
        let id = repo.blob(&content).unwrap_or_else(|e| panic!("{e}"));
        let mut builder = repo.treebuilder(Some(&tree)).unwrap_or_else(|e| panic!("{e}"));
        builder.insert("Cargo.lock", id, 0o100_644).unwrap_or_else(|e| panic!("{e}"));
        let id = builder.write().unwrap_or_else(|e| panic!("{e}"));
        repo.find_tree(id).unwrap_or_else(|e| panic!("{e}"))
    } else {
        tree
    };
    let sig = git2::Signature::new("bench", "bench@example.invalid", &git2::Time::new(2_000_000_000, 0))
        .unwrap_or_else(|e| panic!("{e}"));
    let id = repo.commit(None, &sig, &sig, "bench: one new commit", &tree, &[&head]).unwrap_or_else(|e| panic!("{e}"));
    id.to_string()
}

/// Remove the cached walk of `commit` (every key), so the next walk of it continues from its
/// parent's.
fn forget(cache_dir: &Path, commit: &str) {
    let Ok(keys) = std::fs::read_dir(cache_dir.join("history")) else { return };
    for key in keys.filter_map(Result::ok) {
        let _ = std::fs::remove_file(key.path().join(format!("{commit}.bin")));
    }
}

fn bench(c: &mut Criterion) {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/history");
    if !shared.is_dir() {
        eprintln!("../shared/corpus/history not found: skipping the history benchmarks");
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("history");
    group.sample_size(10);
    for name in ["ripgrep", "cargo"] {
        let Some(repo) = clone(&shared.join(format!("{name}.bundle")), tmp.path()) else {
            eprintln!("{name}.bundle not found: skipping its history benchmarks");
            continue;
        };
        group.bench_function(format!("{name}: cold (no cache)"), |b| {
            b.iter(|| walk(&request(&repo, "HEAD", None)).unwrap_or_else(|e| panic!("{e}")));
        });

        let cache = tmp.path().join(format!("cache-{name}"));
        let (timeline, _) = walk(&request(&repo, "HEAD", Some(&cache))).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "{name}: {} commits, {} lockfile revisions, {} intervals",
            timeline.commits,
            timeline.lockfile_revisions,
            timeline.intervals.len()
        );
        group.bench_function(format!("{name}: warm (same commit cached)"), |b| {
            b.iter(|| {
                let (_, stats) = walk(&request(&repo, "HEAD", Some(&cache))).unwrap_or_else(|e| panic!("{e}"));
                assert!(stats.from_cache && stats.walked == 0, "the cached walk was not used: {stats:?}");
            });
        });
        for (label, touch) in [("lockfiles unchanged", false), ("Cargo.lock changed", true)] {
            let tip = new_commit(&repo, touch);
            group.bench_function(format!("{name}: one new commit on the cached one ({label})"), |b| {
                b.iter_batched(
                    || forget(&cache, &tip),
                    |()| {
                        let (_, stats) = walk(&request(&repo, &tip, Some(&cache))).unwrap_or_else(|e| panic!("{e}"));
                        assert!(stats.from_cache && stats.walked == 1, "not continued from the cache: {stats:?}");
                    },
                    BatchSize::PerIteration,
                );
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
