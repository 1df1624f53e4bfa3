//! The work tree: files on disk under a root directory, walked with the `ignore` crate so
//! `.gitignore`, `.ignore` and git's global excludes are honoured, and `target/` is skipped.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{Source, SourceError};

/// Directories never walked: build output and VCS metadata.
const SKIPPED_DIRS: &[&str] = &["target", ".git", ".hg", ".svn"];

/// Files on disk under `root`.
#[derive(Debug)]
pub struct WorkTree {
    root: PathBuf,
    only: Option<String>,
    files: OnceLock<Result<Vec<String>, SourceError>>,
}

impl WorkTree {
    /// A work tree rooted at the directory `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WorkTree { root: root.into(), only: None, files: OnceLock::new() }
    }

    /// A work tree whose discovery sees one file only (`chainward sbom path/to/Cargo.lock`); its
    /// siblings (manifests) remain readable.
    pub fn single_file(root: impl Into<PathBuf>, file: &str) -> Self {
        WorkTree { root: root.into(), only: Some(file.to_owned()), files: OnceLock::new() }
    }

    /// The one file this tree was narrowed to, if any.
    pub fn only(&self) -> Option<&str> {
        self.only.as_deref()
    }

    fn walk(&self) -> Result<Vec<String>, SourceError> {
        let mut files = Vec::new();
        let walker = ignore::WalkBuilder::new(&self.root)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(std::cmp::Ord::cmp)
            .filter_entry(|e| {
                !(e.depth() > 0
                    && e.file_type().is_some_and(|t| t.is_dir())
                    && e.file_name().to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n)))
            })
            .build();
        for entry in walker {
            let entry =
                entry.map_err(|e| SourceError { path: self.root.display().to_string(), message: e.to_string() })?;
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(&self.root) else { continue };
            let Some(rel) = rel.to_str() else { continue };
            files.push(rel.replace(std::path::MAIN_SEPARATOR, "/"));
        }
        files.sort();
        Ok(files)
    }
}

impl Source for WorkTree {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn local_root(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn files(&self) -> Result<&[String], SourceError> {
        self.files.get_or_init(|| self.walk()).as_deref().map_err(Clone::clone)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        if escapes(path) {
            return Err(SourceError { path: path.to_owned(), message: "outside the scanned tree".to_owned() });
        }
        std::fs::read(self.root.join(path)).map_err(|e| SourceError { path: path.to_owned(), message: e.to_string() })
    }

    fn exists(&self, path: &str) -> bool {
        !escapes(path) && self.root.join(path).is_file()
    }
}

/// A manifest may name `../elsewhere`; the scan reads only inside its tree.
fn escapes(path: &str) -> bool {
    path.split('/').any(|seg| seg == "..") || Path::new(path).is_absolute()
}

#[cfg(test)]
mod tests {
    use super::*;

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
