//! Where files come from. Every later stage reads bytes through [`Source`], so a git revision or
//! the staged index (a later issue) is one more implementation, not a special code path.

pub mod git;
pub mod worktree;

pub use worktree::WorkTree;

use std::path::{Path, PathBuf};

/// Directories never walked: build output, version-control metadata, and installed
/// dependencies (`node_modules`, Python virtual environments, `vendor/` of Composer, Bundler
/// and Go), whose files are the packages' own, not the project's lockfiles.
pub const SKIPPED_DIRS: &[&str] = &[
    "target",
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "vendor",
    ".venv",
    "venv",
    "site-packages",
    "__pypackages__",
    ".tox",
    ".nox",
];

/// A file or directory that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SourceError {
    /// The path, relative to the source root where possible.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Something a listing left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path, relative to the source root.
    pub path: String,
    /// Why.
    pub message: String,
    /// What kind of entry it was.
    pub kind: SkipKind,
}

/// What kind of entry a listing left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipKind {
    /// A directory (or file) that could not be read: it may hold lockfiles, so the scan is not
    /// complete.
    Unreadable,
    /// A symlink to something outside the tree, or one that cannot be followed: an error when a
    /// resolver would have read it.
    Link,
    /// A nested repository left out on purpose (diff mode).
    Nested,
    /// An ignore file (`.gitignore`) that could not be understood.
    IgnoreFile,
}

/// A tree of files: the work tree now; a git revision or the staged index later.
///
/// Paths are relative to the source root and `/`-separated.
pub trait Source: Send + Sync {
    /// A label for messages (the root directory, or `REV` for a revision).
    fn describe(&self) -> String;

    /// The local directory behind this source, when it is a work tree.
    fn local_root(&self) -> Option<&Path>;

    /// Every file of the tree, sorted, honouring the tree's ignore rules.
    fn files(&self) -> Result<&[String], SourceError>;

    /// The bytes of one file.
    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError>;

    /// What the listing left out and why: directories that could not be read, symlinks that
    /// leave the tree, nested repositories not compared. Empty for a git revision.
    fn skipped(&self) -> &[Skipped] {
        &[]
    }

    /// Whether a file exists.
    fn exists(&self, path: &str) -> bool {
        self.files().is_ok_and(|files| files.binary_search_by(|f| f.as_str().cmp(path)).is_ok())
    }
}

/// Open `path` (a directory, or one lockfile) as a source.
pub fn open(path: &Path) -> Result<WorkTree, SourceError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| SourceError { path: path.display().to_string(), message: format!("cannot read: {e}") })?;
    if meta.is_dir() {
        return Ok(WorkTree::new(path));
    }
    let file = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| SourceError {
        path: path.display().to_string(),
        message: "not a file name chainward can read".to_owned(),
    })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(WorkTree::single_file(parent, file))
}

/// A path's bytes as chainward names it: UTF-8 as is, any other byte shown as `\xNN` (so a
/// directory with such a name is still listed and read, and its name is safe to print).
pub fn path_text(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Join a directory and a relative path, `/`-separated, `.` meaning the root.
pub fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if dir == "." || dir.is_empty() { Vec::new() } else { dir.split('/').collect() };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                // Above the root, `..` stays: such a path is outside the tree.
                if parts.last().is_none_or(|p| *p == "..") {
                    parts.push("..");
                } else {
                    parts.pop();
                }
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() { ".".to_owned() } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn join_normalises() {
        assert_eq!(join(".", "Cargo.toml"), "Cargo.toml");
        assert_eq!(join("a/b", "../c/Cargo.toml"), "a/c/Cargo.toml");
        assert_eq!(join("a", "./x/"), "a/x");
        assert_eq!(join("a", ".."), ".");
        assert_eq!(join(".", "../outside"), "../outside");
        assert_eq!(join("a", "../../x"), "../x");
    }
}
