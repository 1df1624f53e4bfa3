//! The work tree: files on disk under a root directory, walked with the `ignore` crate so
//! `.gitignore`, `.ignore` and git's global excludes are honoured, and `target/` is skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{SkipKind, Skipped, Source, SourceError};

/// Directories never walked: build output and VCS metadata.
use super::SKIPPED_DIRS;

/// Files on disk under `root`.
#[derive(Debug)]
pub struct WorkTree {
    root: PathBuf,
    only: Option<String>,
    skip_nested_repositories: bool,
    listing: OnceLock<Result<Listing, SourceError>>,
    /// The root with every symlink resolved (`None` when it cannot be), to tell whether a path
    /// read through a symlinked directory leaves the tree.
    real_root: OnceLock<Option<PathBuf>>,
}

/// What a walk found.
#[derive(Debug, Default)]
struct Listing {
    files: Vec<String>,
    /// Paths whose names are not UTF-8: the escaped name listed in `files` -> the real path.
    renamed: HashMap<String, PathBuf>,
    skipped: Vec<Skipped>,
}

impl WorkTree {
    /// A work tree rooted at the directory `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WorkTree {
            root: root.into(),
            only: None,
            skip_nested_repositories: false,
            listing: OnceLock::new(),
            real_root: OnceLock::new(),
        }
    }

    /// A work tree whose discovery sees one file only (`chainward sbom path/to/Cargo.lock`); its
    /// siblings (manifests) remain readable.
    pub fn single_file(root: impl Into<PathBuf>, file: &str) -> Self {
        WorkTree {
            root: root.into(),
            only: Some(file.to_owned()),
            skip_nested_repositories: false,
            listing: OnceLock::new(),
            real_root: OnceLock::new(),
        }
    }

    /// Do not walk into nested repositories (submodules, or any directory with a `.git`): a git
    /// revision's tree holds them as gitlinks only, so a work tree compared with a revision must
    /// leave them out too, or every package in a submodule looks added by the change. Each one
    /// left out is listed in [`Source::skipped`].
    #[must_use]
    pub fn without_nested_repositories(mut self) -> Self {
        self.skip_nested_repositories = true;
        self
    }

    /// The one file this tree was narrowed to, if any.
    pub fn only(&self) -> Option<&str> {
        self.only.as_deref()
    }

    fn listing(&self) -> Result<&Listing, SourceError> {
        self.listing.get_or_init(|| self.walk()).as_ref().map_err(Clone::clone)
    }

    fn walk(&self) -> Result<Listing, SourceError> {
        // The root itself must be readable: that is a usage error, not a partial scan.
        std::fs::read_dir(&self.root)
            .map_err(|e| SourceError { path: self.root.display().to_string(), message: e.to_string() })?;
        let canonical_root = std::fs::canonicalize(&self.root)
            .map_err(|e| SourceError { path: self.root.display().to_string(), message: e.to_string() })?;
        let nested = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let found_nested = std::sync::Arc::clone(&nested);
        let skip_nested = self.skip_nested_repositories;
        let walker = ignore::WalkBuilder::new(&self.root)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(std::cmp::Ord::cmp)
            .filter_entry(move |e| {
                if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
                    return true;
                }
                if e.file_name().to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n)) {
                    return false;
                }
                if skip_nested && e.path().join(".git").exists() {
                    if let Ok(mut list) = found_nested.lock() {
                        list.push(e.path().to_path_buf());
                    }
                    return false;
                }
                true
            })
            .build();
        let mut listing = Listing::default();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    listing.skipped.push(self.walk_error(&e));
                    continue;
                }
            };
            let Ok(rel) = entry.path().strip_prefix(&self.root) else { continue };
            let rel_text = relative_text(rel);
            let Some(kind) = entry.file_type() else { continue };
            if kind.is_symlink() {
                // A link is read when it names a regular file inside the scanned tree; any other
                // is listed as skipped (the scan says so when it would have been a lockfile).
                match std::fs::canonicalize(entry.path()) {
                    Ok(target) if target.starts_with(&canonical_root) && target.is_file() => {}
                    Ok(target) if target.is_dir() => continue,
                    Ok(_) => {
                        listing.skipped.push(Skipped {
                            path: rel_text,
                            message: "a symlink to a file outside the scanned tree: not read".to_owned(),
                            kind: SkipKind::Link,
                        });
                        continue;
                    }
                    Err(e) => {
                        listing.skipped.push(Skipped {
                            path: rel_text,
                            message: format!("a symlink that cannot be followed: {e}"),
                            kind: SkipKind::Link,
                        });
                        continue;
                    }
                }
            } else if !kind.is_file() {
                continue;
            }
            if rel.to_str().is_none() {
                listing.renamed.insert(rel_text.clone(), entry.path().to_path_buf());
            }
            listing.files.push(rel_text);
        }
        let nested = nested.lock().map(|mut list| std::mem::take(&mut *list)).unwrap_or_default();
        for dir in nested {
            let rel = dir.strip_prefix(&self.root).map(relative_text).unwrap_or_default();
            listing.skipped.push(Skipped {
                path: rel,
                message: "a nested git repository (submodule): not compared, as a git revision holds it as a \
                          commit id only"
                    .to_owned(),
                kind: SkipKind::Nested,
            });
        }
        listing.files.sort();
        Ok(listing)
    }

    /// A directory or file the walk could not read.
    fn walk_error(&self, e: &ignore::Error) -> Skipped {
        let path = walk_error_path(e).map_or_else(
            || ".".to_owned(),
            |p| p.strip_prefix(&self.root).map_or_else(|_| p.display().to_string(), relative_text),
        );
        let kind = if e.io_error().is_some() { SkipKind::Unreadable } else { SkipKind::IgnoreFile };
        let message = match e.io_error() {
            Some(io) => format!("cannot be read ({})", io.kind()),
            None => e.to_string(),
        };
        Skipped { path, message, kind }
    }
}

/// The path an `ignore` walk error is about, when it names one.
fn walk_error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => walk_error_path(err),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::Partial(errors) => errors.iter().find_map(walk_error_path),
        _ => None,
    }
}

/// A relative path as chainward names it: `/`-separated, any byte that is not UTF-8 shown as
/// `\xNN` (such a name stays readable through the listing's map).
fn relative_text(rel: &Path) -> String {
    let text = match rel.to_str() {
        Some(s) => s.to_owned(),
        None => escape_non_utf8(rel),
    };
    text.replace(std::path::MAIN_SEPARATOR, "/")
}

#[cfg(unix)]
fn escape_non_utf8(rel: &Path) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    super::path_text(rel.as_os_str().as_bytes())
}

#[cfg(not(unix))]
fn escape_non_utf8(rel: &Path) -> String {
    rel.to_string_lossy().into_owned()
}

impl Source for WorkTree {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn local_root(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn files(&self) -> Result<&[String], SourceError> {
        self.listing().map(|l| l.files.as_slice())
    }

    fn skipped(&self) -> &[Skipped] {
        self.listing().map_or(&[][..], |l| l.skipped.as_slice())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        // Escaped names come from the listing, so only a listing already made can hold one:
        // reading a file (`chainward.toml`, a manifest) never walks the tree for this.
        if let Some(real) = self.listing.get().and_then(|l| l.as_ref().ok()).and_then(|l| l.renamed.get(path)) {
            return std::fs::read(real).map_err(|e| SourceError { path: path.to_owned(), message: e.to_string() });
        }
        if escapes(path) || self.leaves_through_a_link(path) {
            return Err(SourceError { path: path.to_owned(), message: "outside the scanned tree".to_owned() });
        }
        std::fs::read(self.root.join(path)).map_err(|e| SourceError { path: path.to_owned(), message: e.to_string() })
    }

    fn exists(&self, path: &str) -> bool {
        !escapes(path) && self.root.join(path).is_file() && !self.leaves_through_a_link(path)
    }
}

impl WorkTree {
    /// Whether `path` (which names no `..`) resolves outside the tree through a symlink: a
    /// manifest or an included file (`-r deps/base.txt` with `deps -> /etc`) is read only
    /// inside the tree, as the listing walks only inside it. A path that does not resolve is
    /// not judged here (reading it fails on its own).
    fn leaves_through_a_link(&self, path: &str) -> bool {
        let Some(root) = self.real_root.get_or_init(|| std::fs::canonicalize(&self.root).ok()) else {
            return false;
        };
        std::fs::canonicalize(self.root.join(path)).is_ok_and(|real| !real.starts_with(root))
    }
}

/// A manifest may name `../elsewhere`; the scan reads only inside its tree.
fn escapes(path: &str) -> bool {
    path.split('/').any(|seg| seg == "..") || Path::new(path).is_absolute()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn files_are_not_read_through_a_link_out_of_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("repo"), dir.path().join("outside"));
        std::fs::create_dir_all(root.join("in")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.txt"), "token").unwrap();
        std::fs::write(root.join("in/a.txt"), "a").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("o")).unwrap();
        std::os::unix::fs::symlink(root.join("in"), root.join("i")).unwrap();
        let tree = WorkTree::new(&root);
        let err = tree.read("o/secret.txt").unwrap_err();
        assert_eq!(err.message, "outside the scanned tree");
        assert!(!tree.exists("o/secret.txt"));
        // A link that stays inside is fine.
        assert_eq!(tree.read("i/a.txt").unwrap(), b"a");
        assert!(tree.exists("i/a.txt"));
    }

    #[test]
    fn walk_honours_gitignore_without_a_repository_and_skips_target() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["a/Cargo.lock", "vendored/Cargo.lock", "target/Cargo.lock", "x/target/Cargo.lock", ".git/Cargo.lock"]
        {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), "").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "vendored/\n").unwrap();
        let tree = WorkTree::new(root);
        assert_eq!(tree.files().unwrap(), [".gitignore", "a/Cargo.lock"]);
        assert!(tree.exists("a/Cargo.lock"));
        assert_eq!(tree.read("a/Cargo.lock").unwrap(), b"");
        let err = tree.read("nope/Cargo.lock").unwrap_err();
        assert_eq!(err.path, "nope/Cargo.lock");
        std::fs::write(root.join("a/Cargo.toml"), "").unwrap();
        let inside = WorkTree::new(root.join("x"));
        assert!(!inside.exists("../a/Cargo.toml"), "reads stay inside the tree");
        assert!(inside.read("../a/Cargo.toml").is_err());
    }
}
