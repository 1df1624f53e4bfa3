//! What the work tree listing must never do silently: skip a directory it cannot read, skip a
//! symlinked lockfile, skip a directory whose name is not UTF-8, or (in diff mode) walk into a
//! submodule the git revision does not hold.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

fn lockfile(name: &str, version: &str) -> String {
    format!("version = 3\n\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"{CRATES_IO}\"\n")
}

fn db() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/diff").display().to_string()
}

fn chainward(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.args(args)
        .args(common::no_registry(args))
        .current_dir(dir)
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache-worktree"))
        .env_remove("GITHUB_ACTIONS")
        .env("CHAINWARD_NOW", "2026-11-22T00:00:00Z");
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)))
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn component_names(sbom: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> =
        sbom["components"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

/// Whether this process runs as root (then permissions do not stop reads, and the test reads
/// as an unprivileged user through `setpriv`).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .is_some_and(|ids| ids.split_whitespace().next() == Some("0"))
}

/// One unreadable directory aborted `scan` and `sbom` with exit 2 and no report. Now it is an
/// error naming the directory, the other lockfiles are read and reported, and the exit code
/// still says something could not be read.
#[cfg(unix)]
#[test]
fn an_unreadable_directory_is_an_error_naming_it_and_the_rest_is_read() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = dir.path().join("tree");
    write(&root, "a/Cargo.lock", &lockfile("vulnold", "1.0.0"));
    write(&root, "locked/Cargo.lock", &lockfile("hidden", "1.0.0"));
    for d in [dir.path(), root.as_path(), &root.join("a")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();

    let run = |args: &[&str]| -> Output {
        let mut cmd = if is_root() {
            if Command::new("setpriv").arg("--version").output().is_err() {
                return Command::new("false").output().unwrap();
            }
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_chainward")]);
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_chainward"))
        };
        cmd.args(args).args(common::no_registry(args)).current_dir(&root).env("CHAINWARD_CACHE_DIR", dir.path());
        cmd.output().unwrap()
    };
    if is_root() && Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipping: running as root without setpriv, permissions cannot be tested");
        return;
    }

    let out = run(&["scan", ".", "--db", &db(), "--format", "json", "--fail-on", "none"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let r = report(&out);
    assert_eq!(r["summary"]["packages"], 1, "the readable lockfile was scanned: {r}");
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["path"], "locked", "{errors:?}");
    assert!(errors[0]["message"].as_str().unwrap().contains("lockfiles in it were not read"), "{errors:?}");
    assert!(
        stderr(&out).contains("error: locked: cannot be read (permission denied) (lockfiles in it were not read)"),
        "{}",
        stderr(&out)
    );

    // `sbom` says the same; with --allow-partial it writes what it read, marked incomplete.
    let out = run(&["sbom", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no SBOM without --allow-partial");
    assert!(stderr(&out).contains("error: locked: cannot be read"), "{}", stderr(&out));
    let out = run(&["sbom", ".", "--allow-partial"]);
    assert_eq!(out.status.code(), Some(2));
    let sbom = report(&out);
    assert_eq!(component_names(&sbom), ["vulnold"]);
    assert_eq!(sbom["compositions"].as_array().unwrap().last().unwrap()["aggregate"], "incomplete");
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A lockfile that is a symlink was skipped without a word. One that stays inside the tree is
/// read; one that leaves it is not, and that is an error (it would have been scanned).
#[cfg(unix)]
#[test]
fn symlinked_lockfiles_inside_are_read_and_outside_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    write(&root, "real/Cargo.lock", &lockfile("inside", "1.0.0"));
    write(dir.path(), "elsewhere/Cargo.lock", &lockfile("outside", "1.0.0"));
    std::fs::create_dir_all(root.join("linked")).unwrap();
    std::fs::create_dir_all(root.join("escaping")).unwrap();
    std::os::unix::fs::symlink("../real/Cargo.lock", root.join("linked/Cargo.lock")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("elsewhere/Cargo.lock"), root.join("escaping/Cargo.lock")).unwrap();
    // A link that is not a lockfile, leaving the tree, is nobody's business.
    std::os::unix::fs::symlink("/etc/hostname", root.join("notes.txt")).unwrap();

    let out = chainward(&root, &["sbom", ".", "--allow-partial", "--deterministic"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let sbom = report(&out);
    assert_eq!(component_names(&sbom), ["inside"], "read once as itself and once through the link");
    let lockfiles: Vec<&str> = sbom["components"][0]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "chainward:lockfile")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(lockfiles, ["linked/Cargo.lock", "real/Cargo.lock"]);
    let err = stderr(&out);
    assert!(
        err.contains("error: escaping/Cargo.lock: a symlink to a file outside the scanned tree: not read"),
        "{err}"
    );
    assert!(!err.contains("notes.txt"), "{err}");

    // --exclude takes it out of the scan, and then nothing is missing.
    let out = chainward(&root, &["sbom", ".", "--exclude", "escaping", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Lockfiles under a directory whose name is not UTF-8 were skipped without a word. They are
/// read, and the name is shown with its bytes escaped.
#[cfg(target_os = "linux")]
#[test]
fn a_directory_name_that_is_not_utf8_is_read_and_named_safely() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join("Cargo.lock"), lockfile("vulnold", "1.0.0")).unwrap();
    let out = chainward(dir.path(), &["scan", ".", "--db", &db(), "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the vulnerable package is found: {}", stderr(&out));
    let r = report(&out);
    assert_eq!(r["findings"][0]["location"]["path"], "caf\\xe9/Cargo.lock", "{r}");
}

use common::GitRepo as Repo;

/// `scan --base` with the work tree as head walked into a checked-out submodule while the git
/// side skips gitlinks: every package of the submodule was "added by the change", exit 1. Both
/// sides now leave nested repositories out, and say so.
#[test]
fn diff_mode_leaves_submodules_out_on_both_sides() {
    let repo = Repo::new();
    std::fs::write(repo.path.join("Cargo.lock"), lockfile("bumped", "1.0.0")).unwrap();
    // A submodule checked out in `third_party/sub`: its own repository, with a vulnerable lockfile.
    let sub_path = repo.path.join("third_party/sub");
    std::fs::create_dir_all(&sub_path).unwrap();
    let sub = git2::Repository::init(&sub_path).unwrap();
    std::fs::write(sub_path.join("Cargo.lock"), lockfile("vulnnew", "0.5.0")).unwrap();
    let mut index = sub.index().unwrap();
    index.add_path(Path::new("Cargo.lock")).unwrap();
    index.write().unwrap();
    let tree = sub.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("test", "test@example.com").unwrap();
    let sub_commit = sub.commit(Some("HEAD"), &sig, &sig, "sub", &tree, &[]).unwrap();
    let base = repo.commit_with_gitlinks("base with a submodule", &[("third_party/sub", sub_commit)]);

    let out =
        chainward(&repo.path, &["scan", ".", "--base", &base, "--db", &db(), "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "nothing changed: {}", stderr(&out));
    let r = report(&out);
    let changes = &r["changes"];
    for list in ["added", "removed", "updated"] {
        assert!(changes[list].as_array().unwrap().is_empty(), "{list}: {changes}");
    }
    assert!(r["findings"].as_array().unwrap().is_empty(), "{r}");
    let warnings = r["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().starts_with("third_party/sub: a nested git repository")),
        "{warnings:?}"
    );

    // A plain scan of the work tree still reads the submodule's lockfile: it is checked out.
    let out = chainward(&repo.path, &["scan", ".", "--db", &db(), "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(report(&out)["findings"][0]["package"]["name"], "vulnnew");
}

/// A revision's symlinked lockfile is read like the work tree's, so the two sides agree.
#[cfg(unix)]
#[test]
fn a_symlinked_lockfile_in_a_revision_is_read_like_in_the_work_tree() {
    let repo = Repo::new();
    write(&repo.path, "real/Cargo.lock", &lockfile("bumped", "1.0.0"));
    std::fs::create_dir_all(repo.path.join("linked")).unwrap();
    std::os::unix::fs::symlink("../real/Cargo.lock", repo.path.join("linked/Cargo.lock")).unwrap();
    let base = repo.commit("base");
    let out = chainward(&repo.path, &["diff", &base, "--db", &db(), "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let changes = &report(&out)["changes"];
    for list in ["added", "removed", "updated"] {
        assert!(changes[list].as_array().unwrap().is_empty(), "{list}: {changes}");
    }
    // An update seen through the link at both revisions.
    write(&repo.path, "real/Cargo.lock", &lockfile("bumped", "1.1.0"));
    let head = repo.commit("bump");
    let out = chainward(&repo.path, &["diff", &base, &head, "--db", &db(), "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let updated: Vec<String> = report(&out)["changes"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["path"].as_str().unwrap(), c["version"].as_str().unwrap()))
        .collect();
    assert_eq!(updated, ["linked/Cargo.lock 1.1.0", "real/Cargo.lock 1.1.0"]);
}
