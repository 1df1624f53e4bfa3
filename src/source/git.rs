//! A git revision or the staged index as a [`Source`], read with `git2` from the object
//! database: no checkout, nothing in the repository is executed (no hooks, no filters, no
//! attributes), and symlinks and submodules are not followed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use super::{Source, SourceError};

/// Directories never listed: build output and VCS metadata (as in the work tree).
const SKIPPED_DIRS: &[&str] = &["target", ".git", ".hg", ".svn"];

/// The files of one revision (or of the index) below a directory of the repository.
pub struct GitTree {
    label: String,
    files: Vec<String>,
    blobs: HashMap<String, Oid>,
    repo: Mutex<Repository>,
    commit: Option<Oid>,
}

impl std::fmt::Debug for GitTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitTree").field("label", &self.label).field("files", &self.files.len()).finish_non_exhaustive()
    }
}

/// The repository containing `path`, and `path` relative to its work directory (`/`-separated,
/// empty for the root).
pub fn discover(path: &Path) -> Result<(Repository, String), SourceError> {
    let err = |message: String| SourceError { path: path.display().to_string(), message };
    let repo = Repository::discover(path).map_err(|e| err(format!("not inside a git repository: {}", e.message())))?;
    let workdir = repo.workdir().ok_or_else(|| err("a bare repository has no work tree to compare with".to_owned()))?;
    let abs = std::fs::canonicalize(path).map_err(|e| err(e.to_string()))?;
    let workdir = std::fs::canonicalize(workdir).map_err(|e| err(e.to_string()))?;
    let rel = abs.strip_prefix(&workdir).map_err(|_| err("outside the repository's work tree".to_owned()))?;
    let prefix = rel.components().filter_map(|c| c.as_os_str().to_str()).collect::<Vec<_>>().join("/");
    Ok((repo, prefix))
}

/// `path` relative to the work tree of the repository containing it (`/`-separated, empty for
/// the root), found by looking for `.git` (a directory, or a file for worktrees and
/// submodules) in `path` and its ancestors. Unlike [`discover`] this does not start libgit2,
/// whose TLS initialisation loads the system certificate store: it costs a few `stat` calls.
pub fn work_tree_prefix(path: &Path) -> Option<String> {
    let abs = std::fs::canonicalize(path).ok()?;
    let root = abs.ancestors().find(|dir| dir.join(".git").exists())?;
    let rel = abs.strip_prefix(root).ok()?;
    Some(rel.components().filter_map(|c| c.as_os_str().to_str()).collect::<Vec<_>>().join("/"))
}

impl GitTree {
    /// The tree of `rev` (anything `git rev-parse` accepts: a branch, a tag, a SHA, `HEAD~1`),
    /// below `prefix` (a directory of the repository, `""` for its root).
    pub fn at_revision(repo_dir: &Path, prefix: &str, rev: &str) -> Result<GitTree, SourceError> {
        let err = |message: String| SourceError { path: rev.to_owned(), message };
        let repo = Repository::open(repo_dir).map_err(|e| err(e.message().to_owned()))?;
        let (entries, id) = {
            let object = repo.revparse_single(rev).map_err(|e| err(format!("unknown revision: {}", e.message())))?;
            let commit = object.peel_to_commit().map_err(|e| err(format!("not a commit: {}", e.message())))?;
            let tree = commit.tree().map_err(|e| err(e.message().to_owned()))?;
            let mut entries: Vec<(String, Oid)> = Vec::new();
            tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
                let Ok(name) = entry.name() else { return TreeWalkResult::Skip };
                match entry.kind() {
                    Some(ObjectType::Tree) => {
                        if SKIPPED_DIRS.contains(&name) {
                            TreeWalkResult::Skip
                        } else {
                            TreeWalkResult::Ok
                        }
                    }
                    // Regular files only: 0o100644 / 0o100755 (not symlinks, not submodules).
                    Some(ObjectType::Blob) if entry.filemode() & 0o170_000 == 0o100_000 => {
                        entries.push((format!("{dir}{name}"), entry.id()));
                        TreeWalkResult::Ok
                    }
                    _ => TreeWalkResult::Ok,
                }
            })
            .map_err(|e| err(format!("cannot read the tree: {}", e.message())))?;
            (entries, commit.id())
        };
        let label = format!("{rev} ({})", short(id));
        let commit = Some(id);
        Ok(GitTree::build(repo, label, prefix, entries, commit))
    }

    /// The staged index (what `git commit` would record), below `prefix`.
    pub fn staged(repo_dir: &Path, prefix: &str) -> Result<GitTree, SourceError> {
        let err = |message: String| SourceError { path: "the staged index".to_owned(), message };
        let repo = Repository::open(repo_dir).map_err(|e| err(e.message().to_owned()))?;
        let index = repo.index().map_err(|e| err(e.message().to_owned()))?;
        let mut entries: Vec<(String, Oid)> = Vec::new();
        for entry in index.iter() {
            // Stage 0 only (conflicted entries have stages 1-3), regular files only.
            let stage = (entry.flags >> 12) & 0x3;
            if stage != 0 || entry.mode & 0o170_000 != 0o100_000 {
                continue;
            }
            let Ok(path) = String::from_utf8(entry.path.clone()) else { continue };
            if path.split('/').any(|seg| SKIPPED_DIRS.contains(&seg)) {
                continue;
            }
            entries.push((path, entry.id));
        }
        drop(index);
        Ok(GitTree::build(repo, "staged".to_owned(), prefix, entries, None))
    }

    fn build(repo: Repository, label: String, prefix: &str, entries: Vec<(String, Oid)>, commit: Option<Oid>) -> Self {
        let prefix = prefix.trim_matches('/');
        let mut blobs = HashMap::with_capacity(entries.len());
        for (path, oid) in entries {
            let rel = if prefix.is_empty() {
                Some(path)
            } else {
                path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')).map(str::to_owned)
            };
            if let Some(rel) = rel {
                blobs.insert(rel, oid);
            }
        }
        let mut files: Vec<String> = blobs.keys().cloned().collect();
        files.sort();
        GitTree { label, files, blobs, repo: Mutex::new(repo), commit }
    }

    /// The commit this tree is from (`None` for the index).
    pub fn commit(&self) -> Option<String> {
        self.commit.map(|c| c.to_string())
    }
}

fn short(oid: Oid) -> String {
    oid.to_string().chars().take(12).collect()
}

impl Source for GitTree {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn local_root(&self) -> Option<&Path> {
        None
    }

    fn files(&self) -> Result<&[String], SourceError> {
        Ok(&self.files)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        let err = |message: String| SourceError { path: format!("{}:{path}", self.label), message };
        let oid = self.blobs.get(path).ok_or_else(|| err("no such file at this revision".to_owned()))?;
        let repo = self.repo.lock().map_err(|_| err("repository lock poisoned".to_owned()))?;
        let blob = repo.find_blob(*oid).map_err(|e| err(e.message().to_owned()))?;
        Ok(blob.content().to_vec())
    }
}

/// The directory of the repository (its work directory), for reopening it.
pub fn workdir(repo: &Repository) -> Option<PathBuf> {
    repo.workdir().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn work_tree_prefix_finds_the_nearest_git_marker() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("repo/crates/app");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::create_dir(dir.path().join("repo/.git")).unwrap();
        assert_eq!(work_tree_prefix(&nested).as_deref(), Some("crates/app"));
        assert_eq!(work_tree_prefix(&dir.path().join("repo")).as_deref(), Some(""));
        // A worktree or submodule has a `.git` file, and it is the nearer root.
        std::fs::write(dir.path().join("repo/crates/.git"), "gitdir: ../.git/modules/crates\n").unwrap();
        assert_eq!(work_tree_prefix(&nested).as_deref(), Some("app"));
        // Agrees with libgit2 on a real repository.
        let real = tempfile::tempdir().unwrap();
        Repository::init(real.path()).unwrap();
        std::fs::create_dir_all(real.path().join("a/b")).unwrap();
        let (_, prefix) = discover(&real.path().join("a/b")).unwrap();
        assert_eq!(work_tree_prefix(&real.path().join("a/b")), Some(prefix));
    }
}
