//! A RustSec advisory-db directory (`crates/<crate>/RUSTSEC-*.md`), parsed with the `rustsec`
//! crate. One malformed advisory is reported and skipped; the others still load.
//!
//! Parity with cargo-audit: only the `crates/` collection is read (`rust/` names std, cargo and
//! rustdoc, never a lockfile package); withdrawn advisories are skipped; advisories for another
//! registry (`source = ...`) are skipped, as cargo-audit only matches crates.io packages against
//! crates.io advisories; `patched` / `unaffected` become ranges through
//! `rustsec::osv::ranges_for_advisory`, the function cargo-audit's matching uses.
//!
//! The advisory format has only a publication `date`. When the directory is the root of a git
//! repository (the managed clone `chainward db update` keeps is one), each advisory's
//! [`Advisory::modified`] is the committer time of the newest commit that changed its file
//! ([`commit_dates`]); otherwise it is `None`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Advisory, AdvisoryError, AdvisoryKind, Affected, Cvss, Event, MAX_ERRORS, Range};
use crate::model::Ecosystem;
use crate::{fsutil, panics};

/// Largest advisory file read (RustSec's are a few KiB).
pub const MAX_FILE: u64 = 1 << 20;

/// Most commits walked to date the advisory files of a git checkout ([`commit_dates`]); the
/// files not dated by then have no modification date. Far more than the history of RustSec's
/// advisory-db, and dating stops as soon as every file is dated.
pub const MAX_DATING_COMMITS: usize = 200_000;

/// What a directory held.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Advisories that apply.
    pub advisories: Vec<Advisory>,
    /// Files that could not be read (at most [`MAX_ERRORS`]; see `failed`).
    pub errors: Vec<AdvisoryError>,
    /// How many files could not be read (`errors` keeps the first ones).
    pub failed: usize,
    /// Withdrawn advisories, and advisories for another registry (skipped).
    pub withdrawn: usize,
}

impl Loaded {
    fn error(&mut self, error: AdvisoryError) {
        self.failed += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
        }
    }
}

/// Whether `dir` looks like a RustSec advisory-db checkout.
pub fn is_rustsec_dir(dir: &Path) -> bool {
    dir.join("crates").is_dir()
}

/// Load every advisory under `dir/crates/` (`crates/<crate>/*.md`).
///
/// Every file is accounted for: it loads, is withdrawn, or is an error naming it (a parser
/// panic included, see [`parse_contained`]). A symbolic link to a regular file is read like the
/// file; a link to a crate directory is not followed and is an error; a `.md` that is not a
/// regular file (FIFO, device) is an error and is never opened.
pub fn load(dir: &Path) -> Result<Loaded, AdvisoryError> {
    let crates = dir.join("crates");
    let mut loaded = Loaded::default();
    let dir_error = |p: &Path, e: &std::io::Error| AdvisoryError {
        path: p.display().to_string(),
        record: None,
        message: format!("cannot read directory: {e}"),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&crates).map_err(|e| dir_error(&crates, &e))? {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                loaded.error(dir_error(&crates, &e));
                continue;
            }
        };
        let crate_dir = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => {}
            Ok(t) if t.is_symlink() && std::fs::metadata(&crate_dir).is_ok_and(|m| m.is_dir()) => {
                loaded.error(AdvisoryError {
                    path: crate_dir.display().to_string(),
                    record: None,
                    message: "symbolic link to a directory: not followed, its advisories are not read".to_owned(),
                });
                continue;
            }
            _ => continue,
        }
        let read = match std::fs::read_dir(&crate_dir) {
            Ok(read) => read,
            Err(e) => {
                loaded.error(dir_error(&crate_dir, &e));
                continue;
            }
        };
        for file in read {
            match file {
                Ok(file) => {
                    let path = file.path();
                    if path.extension().is_some_and(|e| e == "md")
                        && !path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
                    {
                        files.push(path);
                    }
                }
                Err(e) => loaded.error(dir_error(&crate_dir, &e)),
            }
        }
    }
    files.sort();
    let relative: Vec<Option<String>> = files.iter().map(|f| git_path(dir, f)).collect();
    let wanted: HashSet<&str> = relative.iter().flatten().map(String::as_str).collect();
    let dates = commit_dates(dir, &wanted, MAX_DATING_COMMITS);
    for (result, rel) in load_files(&files).into_iter().zip(&relative) {
        match result {
            Ok(Some(mut a)) => {
                a.modified = rel.as_deref().and_then(|r| dates.get(r)).cloned();
                loaded.advisories.push(a);
            }
            Ok(None) => loaded.withdrawn += 1,
            Err(e) => loaded.error(e),
        }
    }
    Ok(loaded)
}

/// `file` relative to `dir`, `/`-separated as git writes paths (`crates/demo/RUSTSEC-2099-0001.md`).
fn git_path(dir: &Path, file: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = file.strip_prefix(dir).ok()?.iter().map(std::ffi::OsStr::to_str).collect();
    Some(parts?.join("/"))
}

/// When each of `paths` (relative to `dir`, `/`-separated) was last changed in the git
/// repository whose root is exactly `dir`: the committer time of the newest commit that changed
/// it, as [`Advisory::modified`] writes it (`YYYY-MM-DDTHH:MM:SSZ`). Paths not found get no
/// entry.
///
/// The repository is opened at `dir` itself ([`git2::Repository::open`], never a search
/// upwards), so an unrelated repository enclosing the directory is not used; a repository whose
/// work tree is elsewhere (`core.worktree`) or a bare one is not used either. One walk of the
/// first-parent line from `HEAD` (a change merged from a branch is dated by the merge, when it
/// reached the database), diffing each commit's tree against its first parent's (trees only: no
/// blob is read, and unchanged subtrees are skipped by id), restricted to the top directories of
/// `paths` (a path not inside a directory is never dated); the first commit that shows a path
/// dates it. The walk stops when every path is dated, after `max_commits` commits, or at the
/// first error (what was dated stands). The oldest commit of a shallow clone dates nothing: its
/// diff against nothing would show every file as added then. A repository libgit2 refuses to
/// open (one owned by another user, for instance) dates nothing.
pub fn commit_dates<S: std::hash::BuildHasher>(
    dir: &Path,
    paths: &HashSet<&str, S>,
    max_commits: usize,
) -> HashMap<String, String> {
    let mut found: HashMap<String, String> = HashMap::new();
    if paths.is_empty() {
        return found;
    }
    let Ok(repo) = git2::Repository::open(dir) else { return found };
    let same_root = repo.workdir().is_some_and(|w| match (std::fs::canonicalize(w), std::fs::canonicalize(dir)) {
        (Ok(w), Ok(d)) => w == d,
        _ => false,
    });
    if !same_root {
        return found;
    }
    // Only the top directories the paths are in are compared (`crates`): a commit that leaves
    // them as they were costs one look at its root tree, and no path filter runs on the diffs.
    let mut tops: Vec<&str> = paths.iter().filter_map(|p| p.split_once('/').map(|(top, _)| top)).collect();
    tops.sort_unstable();
    tops.dedup();
    let walk = |found: &mut HashMap<String, String>| -> Result<(), git2::Error> {
        let mut revwalk = repo.revwalk()?;
        revwalk.push_head()?;
        revwalk.simplify_first_parent()?;
        let shallow = repo.is_shallow();
        // The next commit of the walk is this one's first parent: its subtrees are kept, as
        // libgit2 does not cache trees as large as `crates` (908 entries) and reads, inflates
        // and hashes such a tree again at every lookup.
        let mut carried: Option<(git2::Oid, Vec<Option<git2::Tree<'_>>>)> = None;
        for oid in revwalk.take(max_commits) {
            let oid = oid?;
            let commit = repo.find_commit(oid)?;
            let ours = match carried.take() {
                Some((id, subs)) if id == oid => subs,
                _ => subtrees(&repo, &tops, &commit.tree()?, &[])?,
            };
            let theirs = if commit.parent_count() == 0 {
                if shallow {
                    break;
                }
                vec![None; tops.len()]
            } else {
                let parent = commit.parent(0)?;
                subtrees(&repo, &tops, &parent.tree()?, &ours)?
            };
            let when = time::OffsetDateTime::from_unix_timestamp(commit.time().seconds())
                .ok()
                .and_then(super::format_timestamp);
            if let Some(when) = when {
                for ((top, new), old) in tops.iter().zip(&ours).zip(&theirs) {
                    if new.as_ref().map(git2::Tree::id) == old.as_ref().map(git2::Tree::id) {
                        continue;
                    }
                    let diff = repo.diff_tree_to_tree(old.as_ref(), new.as_ref(), None)?;
                    // No rename detection: a delta's old and new paths are the same.
                    for delta in diff.deltas() {
                        let Some(rel) = delta.new_file().path().and_then(Path::to_str) else { continue };
                        let path = format!("{top}/{rel}");
                        if paths.contains(path.as_str()) && !found.contains_key(&path) {
                            found.insert(path, when.clone());
                        }
                    }
                }
            }
            if commit.parent_count() > 0 {
                carried = Some((commit.parent_id(0)?, theirs));
            }
            if found.len() == paths.len() {
                break;
            }
        }
        Ok(())
    };
    // A libgit2 error or a panic ends the walk; the files dated so far keep their dates.
    let _ = panics::contain(|| walk(&mut found));
    found
}

/// The `tops` subtrees of `tree` (`None` where there is none); one with the id of the same
/// subtree in `known` is that one, not read again.
fn subtrees<'r>(
    repo: &'r git2::Repository,
    tops: &[&str],
    tree: &git2::Tree<'r>,
    known: &[Option<git2::Tree<'r>>],
) -> Result<Vec<Option<git2::Tree<'r>>>, git2::Error> {
    tops.iter()
        .enumerate()
        .map(|(i, top)| match tree.get_name(top) {
            Some(e) if e.kind() == Some(git2::ObjectType::Tree) => {
                match known.get(i).and_then(Option::as_ref).filter(|k| k.id() == e.id()) {
                    Some(same) => Ok(Some(same.clone())),
                    None => repo.find_tree(e.id()).map(Some),
                }
            }
            _ => Ok(None),
        })
        .collect()
}

/// Parse `files` over the available cores, one result per file, in order. Workers take the next
/// file from a shared counter; a file whose result is missing (its worker died, which
/// [`parse_contained`] makes unlikely) is an error naming it, never silently dropped.
fn load_files(files: &[PathBuf]) -> Vec<Result<Option<Advisory>, AdvisoryError>> {
    let slots: Vec<OnceLock<Result<Option<Advisory>, AdvisoryError>>> = files.iter().map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let (Some(path), Some(slot)) = (files.get(i), slots.get(i)) else { break };
            let _ = slot.set(load_file(path));
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(8);
    std::thread::scope(|s| {
        // Workers that cannot be started leave their share to the others (this thread is one).
        let handles: Vec<_> =
            (1..threads).filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok()).collect();
        let _ = panics::contain(work);
        for handle in handles {
            // A worker that died is accounted for below, by the files it did not finish.
            let _ = handle.join();
        }
    });
    files
        .iter()
        .zip(slots)
        .map(|(path, slot)| {
            slot.into_inner().unwrap_or_else(|| {
                Err(AdvisoryError {
                    path: path.display().to_string(),
                    record: record_of(path),
                    message: "not read: the thread reading it stopped unexpectedly".to_owned(),
                })
            })
        })
        .collect()
}

fn record_of(path: &Path) -> Option<String> {
    path.file_stem().and_then(|s| s.to_str()).map(str::to_owned)
}

/// One advisory file: `Ok(None)` when withdrawn or for another registry.
fn load_file(path: &Path) -> Result<Option<Advisory>, AdvisoryError> {
    let label = path.display().to_string();
    let bytes = fsutil::read_regular(path, MAX_FILE).map_err(|e| AdvisoryError {
        path: label.clone(),
        record: record_of(path),
        message: format!("cannot read: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| AdvisoryError {
        path: label.clone(),
        record: record_of(path),
        message: "cannot read: not UTF-8 text".to_owned(),
    })?;
    parse_contained(&label, &text)
}

/// The production path for one advisory file's text: the `rustsec` crate's parser and the
/// conversion into chainward's model, with any panic inside them contained (a panic is this
/// file's error, with the message sanitised). `label` names the file in the error, and its stem
/// is the record id. `Ok(None)`: withdrawn, or for another registry.
pub fn parse_contained(label: &str, text: &str) -> Result<Option<Advisory>, AdvisoryError> {
    let err = |message: String| AdvisoryError { path: label.to_owned(), record: record_of(Path::new(label)), message };
    match panics::contain(|| text.parse::<rustsec::Advisory>().map(convert)) {
        Ok(Ok(advisory)) => Ok(advisory),
        Ok(Err(e)) => Err(err(e.to_string())),
        Err(panic) => Err(err(panic)),
    }
}

/// A parsed RustSec advisory as chainward's model.
pub fn convert(advisory: rustsec::Advisory) -> Option<Advisory> {
    let meta = advisory.metadata;
    if meta.withdrawn.is_some() || meta.source.as_ref().is_some_and(|s| !s.is_default_registry()) {
        return None;
    }
    let malicious = meta.categories.iter().any(|c| matches!(c, rustsec::advisory::Category::Malicious));
    let kind = match &meta.informational {
        None if malicious => AdvisoryKind::Malicious,
        None => AdvisoryKind::Vulnerability,
        Some(rustsec::advisory::Informational::Unmaintained) => AdvisoryKind::Unmaintained,
        Some(rustsec::advisory::Informational::Unsound) => AdvisoryKind::Unsound,
        Some(_) => AdvisoryKind::Notice,
    };
    let ranges = rustsec::osv::ranges_for_advisory(&advisory.versions)
        .into_iter()
        .map(|r| {
            let mut events = vec![Event::Introduced(r.introduced.map_or_else(|| "0".to_owned(), |v| v.to_string()))];
            if let Some(fixed) = r.fixed {
                events.push(Event::Fixed(fixed.to_string()));
            }
            Range { events }
        })
        .collect();
    let (os, arch, functions) = match &advisory.affected {
        Some(a) => (
            a.os.iter().map(ToString::to_string).collect(),
            a.arch.iter().map(ToString::to_string).collect(),
            a.functions.keys().map(ToString::to_string).collect(),
        ),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let name = meta.package.as_str().to_owned();
    let published = Some(meta.date.as_str().to_owned());
    Some(Advisory {
        published,
        // Dated by the file's git history, when there is one ([`load`]).
        modified: None,
        id: meta.id.as_str().to_owned(),
        aliases: meta.aliases.iter().map(|a| a.as_str().to_owned()).collect(),
        related: meta.related.iter().map(|a| a.as_str().to_owned()).collect(),
        summary: meta.title,
        details: meta.description,
        kind,
        cvss: meta.cvss.as_ref().and_then(|c| Cvss::parse(&c.to_string())),
        affected: vec![Affected {
            ecosystem: Ecosystem::Cargo,
            name,
            ranges,
            versions: Vec::new(),
            os,
            arch,
            functions,
        }],
        references: meta.references.iter().map(ToString::to_string).collect(),
        url: meta.url.as_ref().map(ToString::to_string),
        source: "rustsec".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VULN: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "demo"
date = "2099-01-01"
aliases = ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

[affected]
os = ["windows"]
functions = { "demo::run" = ["< 1.2.0"] }

[versions]
patched = [">= 1.2.0"]
unaffected = ["< 0.5.0"]
```

# Remote code execution in demo

Details here.
"#;

    fn parse(text: &str) -> Option<Advisory> {
        convert(text.parse::<rustsec::Advisory>().unwrap())
    }

    #[test]
    fn converts_a_vulnerability() {
        let a = parse(VULN).unwrap();
        assert_eq!(a.id, "RUSTSEC-2099-0001");
        assert_eq!(a.aliases, ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]);
        assert_eq!(a.summary, "Remote code execution in demo");
        assert_eq!(a.kind, AdvisoryKind::Vulnerability);
        assert_eq!(a.severity(), super::super::Severity::Critical);
        let affected = &a.affected[0];
        assert_eq!(affected.os, ["windows"]);
        assert_eq!(affected.functions, ["demo::run"]);
        let check = |v: &str| {
            affected.evaluate(v, &super::super::version::Version::parse(Ecosystem::Cargo, v))
                == super::super::Verdict::Affected
        };
        assert!(!check("0.4.9"), "unaffected");
        assert!(check("0.5.0"));
        assert!(check("1.1.9"));
        assert!(!check("1.2.0"), "patched");
        assert_eq!(affected.fixed(), ["1.2.0"]);
    }

    #[test]
    fn the_malicious_category_is_kind_malicious() {
        let malicious = VULN.replace("cvss = ", "categories = [\"malicious\"]\n# cvss = ");
        let a = parse(&malicious).unwrap();
        assert_eq!(a.kind, AdvisoryKind::Malicious);
        assert_eq!(a.severity(), super::super::Severity::Critical);
    }

    #[test]
    fn informational_kinds_and_withdrawn() {
        let unmaintained = VULN.replace("cvss = ", "informational = \"unmaintained\"\n# cvss = ");
        assert_eq!(parse(&unmaintained).unwrap().kind, AdvisoryKind::Unmaintained);
        let unsound = VULN.replace("cvss = ", "informational = \"unsound\"   \n# cvss = ");
        assert_eq!(parse(&unsound).unwrap().kind, AdvisoryKind::Unsound);
        let withdrawn = VULN.replace("aliases", "withdrawn = \"2099-02-01\"\naliases");
        assert!(parse(&withdrawn).is_none());
    }

    #[test]
    fn a_malformed_file_is_an_error_naming_it_and_the_others_load() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("crates/demo");
        std::fs::create_dir_all(&good).unwrap();
        std::fs::write(good.join("RUSTSEC-2099-0001.md"), VULN).unwrap();
        std::fs::write(good.join("RUSTSEC-2099-0002.md"), "```toml\n[advisory]\nid = \n```\n# x\n").unwrap();
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.advisories.len(), 1);
        assert_eq!(loaded.errors.len(), 1);
        assert_eq!(loaded.errors[0].record.as_deref(), Some("RUSTSEC-2099-0002"));
        assert!(loaded.errors[0].to_string().contains("RUSTSEC-2099-0002.md"), "{}", loaded.errors[0]);
    }

    /// The `rustsec` crate's parser slices the first 20 bytes of a file that does not start
    /// with its front matter: a character across byte 20 makes it panic.
    fn panicking_text() -> String {
        format!("{}é and more text", "x".repeat(19))
    }

    #[test]
    fn a_parser_panic_is_one_error_naming_the_file_and_every_other_file_loads() {
        assert!(std::panic::catch_unwind(|| panicking_text().parse::<rustsec::Advisory>()).is_err(), "still panics");
        let dir = tempfile::tempdir().unwrap();
        // Enough files that every loader thread gets some, the bad one in the middle.
        for i in 0..40 {
            let krate = dir.path().join(format!("crates/demo{i:02}"));
            std::fs::create_dir_all(&krate).unwrap();
            let id = format!("RUSTSEC-2099-{i:04}");
            let text = if i == 17 {
                panicking_text()
            } else {
                VULN.replace("RUSTSEC-2099-0001", &id).replace("\"demo\"", &format!("\"demo{i:02}\""))
            };
            std::fs::write(krate.join(format!("{id}.md")), text).unwrap();
        }
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.advisories.len(), 39, "{:?}", loaded.errors);
        assert_eq!(loaded.errors.len(), 1);
        assert_eq!(loaded.failed, 1);
        let error = &loaded.errors[0];
        assert_eq!(error.record.as_deref(), Some("RUSTSEC-2099-0017"));
        assert!(error.path.ends_with("RUSTSEC-2099-0017.md"), "{error}");
        assert!(error.message.contains("panic"), "{error}");
    }

    #[test]
    fn parse_contained_is_the_production_path_for_one_file() {
        let a = parse_contained("x/crates/demo/RUSTSEC-2099-0001.md", VULN).unwrap().unwrap();
        assert_eq!(a.id, "RUSTSEC-2099-0001");
        let err = parse_contained("x/crates/demo/RUSTSEC-2099-0009.md", &panicking_text()).unwrap_err();
        assert_eq!(err.record.as_deref(), Some("RUSTSEC-2099-0009"));
        assert!(err.message.contains("panic") && !err.message.chars().any(crate::sanitize::is_unsafe), "{err}");
        let withdrawn = VULN.replace("aliases", "withdrawn = \"2099-02-01\"\naliases");
        assert_eq!(parse_contained("w.md", &withdrawn).unwrap(), None);
        assert!(parse_contained("bad.md", "```toml\n[advisory]\nid = \n```\n").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn fifos_devices_and_linked_directories_are_errors_never_opened_or_followed() {
        let dir = tempfile::tempdir().unwrap();
        let krate = dir.path().join("crates/demo");
        std::fs::create_dir_all(&krate).unwrap();
        std::fs::write(krate.join("RUSTSEC-2099-0001.md"), VULN).unwrap();
        let fifo = krate.join("RUSTSEC-2099-0002.md");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        std::os::unix::fs::symlink("/dev/zero", krate.join("RUSTSEC-2099-0003.md")).unwrap();
        std::os::unix::fs::symlink(krate.join("RUSTSEC-2099-0001.md"), krate.join("RUSTSEC-2099-0004.md")).unwrap();
        std::os::unix::fs::symlink(&krate, dir.path().join("crates/linked")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || tx.send(load(&root)));
        let loaded = rx.recv_timeout(std::time::Duration::from_secs(120)).expect("the load hung").unwrap();
        assert_eq!(loaded.advisories.len(), 2, "the file and the link to it: {:?}", loaded.errors);
        let mut errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        errors.sort();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("crates/demo/RUSTSEC-2099-0002.md") && errors[0].contains("a FIFO"), "{errors:?}");
        assert!(errors[1].contains("RUSTSEC-2099-0003.md") && errors[1].contains("a device"), "{errors:?}");
        assert!(errors[2].contains("crates/linked") && errors[2].contains("not followed"), "{errors:?}");
    }
}
