//! A git revision or the staged index as a [`Source`], read with `git2` from the object
//! database: no checkout, nothing in the repository is executed (no hooks, no filters, no
//! attributes), and symlinks and submodules are not followed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository};

use super::{SkipKind, Skipped, Source, SourceError};

/// Directories never listed: build output and VCS metadata (as in the work tree).
use super::SKIPPED_DIRS;

/// The files of one revision (or of the index) below a directory of the repository.
pub struct GitTree {
    label: String,
    files: Vec<String>,
    blobs: HashMap<String, Oid>,
    skipped: Vec<Skipped>,
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

/// The repository containing `path` for reading its revisions only, a bare one too: the
/// directory to reopen it from (its work directory, or the bare repository's own directory)
/// and `path` relative to the work directory (`/`-separated, empty for the root, for a bare
/// repository, which has no files outside its objects, and for a work tree's `.git`). Unlike [`discover`], which needs a
/// work tree to compare with, nothing here reads the work tree.
pub fn discover_for_revision(path: &Path) -> Result<(PathBuf, String), SourceError> {
    let err = |message: String| SourceError { path: path.display().to_string(), message };
    let abs = std::fs::canonicalize(path).map_err(|e| err(e.to_string()))?;
    let repo = Repository::discover(&abs).map_err(|e| err(format!("not inside a git repository: {}", e.message())))?;
    let git_dir = std::fs::canonicalize(repo.path()).map_err(|e| err(e.to_string()))?;
    if abs == git_dir {
        // The repository itself (a bare one, or a work tree's `.git`): its whole tree.
        return Ok((git_dir, String::new()));
    }
    if let Some(workdir) = repo.workdir() {
        let workdir = std::fs::canonicalize(workdir).map_err(|e| err(e.to_string()))?;
        let rel = abs.strip_prefix(&workdir).map_err(|_| err("outside the repository's work tree".to_owned()))?;
        let prefix = rel.components().filter_map(|c| c.as_os_str().to_str()).collect::<Vec<_>>().join("/");
        return Ok((workdir, prefix));
    }
    // Inside a bare repository's internals (`refs/`, `objects/`): not a directory of the project.
    Err(err(format!(
        "inside the bare repository {}: name the repository's directory (a bare repository has no work tree)",
        git_dir.display()
    )))
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

/// One entry of a revision's tree or of the index, by its path from the repository root.
enum Entry {
    /// A regular file (0o100644 / 0o100755).
    File(String, Oid),
    /// A symlink (0o120000): its blob holds the target path.
    Link(String, Oid),
    /// A submodule (a gitlink, 0o160000): a commit of another repository.
    Gitlink(String),
}

/// Every entry of `tree`, depth first, below directories that are not skipped (`target/`,
/// `.git/`). Names that are not UTF-8 are kept, their bytes shown as `\xNN` (as the work tree
/// shows them), never dropped.
fn list_tree(repo: &Repository, tree: &git2::Tree<'_>) -> Result<Vec<Entry>, git2::Error> {
    let mut entries = Vec::new();
    let mut stack: Vec<(String, Oid)> = vec![(String::new(), tree.id())];
    while let Some((dir, id)) = stack.pop() {
        let tree = repo.find_tree(id)?;
        for entry in &tree {
            let name = super::path_text(entry.name_bytes());
            let path = format!("{dir}{name}");
            match entry.kind() {
                Some(ObjectType::Tree) if !SKIPPED_DIRS.contains(&name.as_str()) => {
                    stack.push((format!("{path}/"), entry.id()));
                }
                Some(ObjectType::Blob) if entry.filemode() & 0o170_000 == 0o100_000 => {
                    entries.push(Entry::File(path, entry.id()));
                }
                Some(ObjectType::Blob) if entry.filemode() & 0o170_000 == 0o120_000 => {
                    entries.push(Entry::Link(path, entry.id()));
                }
                Some(ObjectType::Commit) => entries.push(Entry::Gitlink(path)),
                _ => {}
            }
        }
    }
    Ok(entries)
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
            let entries = list_tree(&repo, &tree).map_err(|e| err(format!("cannot read the tree: {}", e.message())))?;
            (entries, commit.id())
        };
        let label = format!("{rev} ({})", short(id));
        Ok(GitTree::build(repo, label, prefix, entries, Some(id)))
    }

    /// The staged index (what `git commit` would record), below `prefix`.
    pub fn staged(repo_dir: &Path, prefix: &str) -> Result<GitTree, SourceError> {
        let err = |message: String| SourceError { path: "the staged index".to_owned(), message };
        let repo = Repository::open(repo_dir).map_err(|e| err(e.message().to_owned()))?;
        let index = repo.index().map_err(|e| err(e.message().to_owned()))?;
        let mut entries = Vec::new();
        for entry in index.iter() {
            // Stage 0 only (conflicted entries have stages 1-3).
            let stage = (entry.flags >> 12) & 0x3;
            if stage != 0 {
                continue;
            }
            let path = super::path_text(&entry.path);
            if path.split('/').any(|seg| SKIPPED_DIRS.contains(&seg)) {
                continue;
            }
            match entry.mode & 0o170_000 {
                0o100_000 => entries.push(Entry::File(path, entry.id)),
                0o120_000 => entries.push(Entry::Link(path, entry.id)),
                0o160_000 => entries.push(Entry::Gitlink(path)),
                _ => {}
            }
        }
        drop(index);
        Ok(GitTree::build(repo, "staged".to_owned(), prefix, entries, None))
    }

    /// The files below `prefix`, relative to it. A symlink is read as the file it names when
    /// that is a regular file below `prefix` (as the work tree does); any other link, and every
    /// submodule, is listed in [`Source::skipped`].
    fn build(repo: Repository, label: String, prefix: &str, entries: Vec<Entry>, commit: Option<Oid>) -> Self {
        let prefix = prefix.trim_matches('/');
        let relative = |path: &str| -> Option<String> {
            if prefix.is_empty() {
                Some(path.to_owned())
            } else {
                path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')).map(str::to_owned)
            }
        };
        let mut blobs = HashMap::with_capacity(entries.len());
        let mut links = Vec::new();
        let mut skipped = Vec::new();
        for entry in entries {
            match entry {
                Entry::File(path, oid) => {
                    if let Some(rel) = relative(&path) {
                        blobs.insert(rel, oid);
                    }
                }
                Entry::Link(path, oid) => {
                    if let Some(rel) = relative(&path) {
                        links.push((rel, oid));
                    }
                }
                Entry::Gitlink(path) => {
                    if let Some(rel) = relative(&path) {
                        skipped.push(Skipped {
                            path: rel,
                            message: "a submodule: not compared (a revision holds it as a commit id only)".to_owned(),
                            kind: SkipKind::Nested,
                        });
                    }
                }
            }
        }
        for (rel, oid) in links {
            let target = repo
                .find_blob(oid)
                .ok()
                .and_then(|b| std::str::from_utf8(b.content()).ok().map(str::to_owned))
                .filter(|t| !t.starts_with('/'))
                .map(|t| super::join(&parent(&rel), &t));
            match target.and_then(|t| blobs.get(&t).copied()) {
                Some(target_oid) => {
                    blobs.insert(rel, target_oid);
                }
                None => skipped.push(Skipped {
                    path: rel,
                    message: "a symlink to a file outside the scanned tree (or to no file): not read".to_owned(),
                    kind: SkipKind::Link,
                }),
            }
        }
        let mut files: Vec<String> = blobs.keys().cloned().collect();
        files.sort();
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        GitTree { label, files, blobs, skipped, repo: Mutex::new(repo), commit }
    }

    /// The commit this tree is from (`None` for the index).
    pub fn commit(&self) -> Option<String> {
        self.commit.map(|c| c.to_string())
    }
}

/// The directory of a `/`-separated relative path (`.` at the root).
fn parent(path: &str) -> String {
    path.rsplit_once('/').map_or_else(|| ".".to_owned(), |(dir, _)| dir.to_owned())
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

    fn skipped(&self) -> &[Skipped] {
        &self.skipped
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
