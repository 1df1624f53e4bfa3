//! Where files come from. Every later stage reads bytes through [`Source`], so a git revision or
//! the staged index (a later issue) is one more implementation, not a special code path.

pub mod git;
pub mod worktree;

pub use worktree::WorkTree;

use std::path::{Path, PathBuf};

/// A file or directory that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SourceError {
    /// The path, relative to the source root where possible.
    pub path: String,
    /// What went wrong.
    pub message: String,
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
