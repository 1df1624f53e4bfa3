//! The lockfiles of one revision, listed from tree objects with each directory's listing
//! remembered by its tree id (an unchanged directory is never read twice in a walk), and a
//! revision as a [`Source`] for the resolvers, recording every other file they read.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use git2::{ObjectType, Oid, Repository};
use globset::GlobSet;

use crate::discover::Excludes;
use crate::resolve::Resolver;
use crate::source::{SKIPPED_DIRS, Source, SourceError};

/// One lockfile of a revision: its path (relative to the walked directory), blob and resolver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Listed {
    pub path: String,
    pub blob: Oid,
    pub resolver: usize,
}

/// Which files of a tree are lockfiles, remembered per (tree id, directory).
pub(super) struct Lister<'a> {
    resolvers: &'a [Box<dyn Resolver>],
    excludes: &'a Excludes,
    only: Option<&'a GlobSet>,
    requirements: Option<usize>,
    dirs: HashMap<(Oid, String), Arc<Vec<Listed>>>,
    roots: HashMap<Oid, Arc<Vec<Listed>>>,
}

impl<'a> Lister<'a> {
    pub(super) fn new(resolvers: &'a [Box<dyn Resolver>], excludes: &'a Excludes, only: Option<&'a GlobSet>) -> Self {
        let requirements = resolvers.iter().position(|r| r.name() == "requirements");
        Lister { resolvers, excludes, only, requirements, dirs: HashMap::new(), roots: HashMap::new() }
    }

    /// The lockfiles of the tree `root` (the walked directory of one revision), sorted by path,
    /// without those another lockfile of the same directory supersedes.
    pub(super) fn list(&mut self, repo: &Repository, root: Oid) -> Result<Arc<Vec<Listed>>, git2::Error> {
        if let Some(found) = self.roots.get(&root) {
            return Ok(Arc::clone(found));
        }
        let all = self.dir(repo, root, "")?;
        let discovered: Vec<crate::discover::Discovered> =
            all.iter().map(|l| crate::discover::Discovered { path: l.path.clone(), resolver: l.resolver }).collect();
        let (kept, _) = crate::discover::prefer_superseding(discovered);
        let mut listed: Vec<Listed> = if kept.len() == all.len() {
            all.as_ref().clone()
        } else {
            let keep: std::collections::HashSet<&str> = kept.iter().map(|d| d.path.as_str()).collect();
            all.iter().filter(|l| keep.contains(l.path.as_str())).cloned().collect()
        };
        listed.sort_by(|a, b| a.path.cmp(&b.path));
        let listed = Arc::new(listed);
        self.roots.insert(root, Arc::clone(&listed));
        Ok(listed)
    }

    fn dir(&mut self, repo: &Repository, id: Oid, dir: &str) -> Result<Arc<Vec<Listed>>, git2::Error> {
        if let Some(found) = self.dirs.get(&(id, dir.to_owned())) {
            return Ok(Arc::clone(found));
        }
        let tree = repo.find_tree(id)?;
        let mut listed = Vec::new();
        let mut subdirs = Vec::new();
        for entry in &tree {
            let name = crate::source::path_text(entry.name_bytes());
            let path = if dir.is_empty() { name.clone() } else { format!("{dir}/{name}") };
            match entry.kind() {
                Some(ObjectType::Tree) if !SKIPPED_DIRS.contains(&name.as_str()) => subdirs.push((entry.id(), path)),
                // Regular files only: a symlink's blob is a path, a submodule another repository.
                Some(ObjectType::Blob) if entry.filemode() & 0o170_000 == 0o100_000 => {
                    if let Some(resolver) = self.claims(&path) {
                        listed.push(Listed { path, blob: entry.id(), resolver });
                    }
                }
                _ => {}
            }
        }
        drop(tree);
        for (sub, path) in subdirs {
            listed.extend(self.dir(repo, sub, &path)?.iter().cloned());
        }
        let listed = Arc::new(listed);
        self.dirs.insert((id, dir.to_owned()), Arc::clone(&listed));
        Ok(listed)
    }

    fn claims(&self, path: &str) -> Option<usize> {
        if self.excludes.is_excluded(path) || self.only.is_some_and(|only| !only.is_match(path)) {
            return None;
        }
        self.resolvers
            .iter()
            .position(|r| r.claims(Path::new(path)))
            .or_else(|| self.requirements.filter(|_| self.excludes.is_requirements(path)))
    }
}

/// A file another file's resolver read, with the blob it had (`None`: absent). `*` stands for
/// the whole listing (a resolver that listed every file depends on the whole tree).
pub(super) type Dep = (String, Option<Oid>);

/// One revision's tree (below the walked directory) as a [`Source`]. Reads go to the object
/// database; every path read other than the lockfile itself is recorded, so a parse can be
/// reused for another revision only when those files are the same there.
pub(super) struct CommitSource<'r> {
    repo: &'r Mutex<Repository>,
    root: Oid,
    lockfile: String,
    label: String,
    deps: Mutex<Vec<Dep>>,
    files: OnceLock<Result<Vec<String>, SourceError>>,
}

impl<'r> CommitSource<'r> {
    pub(super) fn new(repo: &'r Mutex<Repository>, root: Oid, lockfile: &str, label: String) -> Self {
        CommitSource {
            repo,
            root,
            lockfile: lockfile.to_owned(),
            label,
            deps: Mutex::new(Vec::new()),
            files: OnceLock::new(),
        }
    }

    /// The files read besides the lockfile, sorted, each once.
    pub(super) fn into_deps(self) -> Vec<Dep> {
        let mut deps = self.deps.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        deps.sort();
        deps.dedup();
        deps
    }

    fn record(&self, path: &str, blob: Option<Oid>) {
        if path != self.lockfile {
            self.deps.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((path.to_owned(), blob));
        }
    }

    fn lookup(&self, path: &str) -> Result<Option<Oid>, SourceError> {
        let repo = self.repo.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        blob_at(&repo, self.root, path)
            .map_err(|e| SourceError { path: path.to_owned(), message: e.message().to_owned() })
    }
}

/// The blob at `path` below the tree `root` (`None` when there is no regular file there).
pub(super) fn blob_at(repo: &Repository, root: Oid, path: &str) -> Result<Option<Oid>, git2::Error> {
    if path.is_empty() || path.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return Ok(None);
    }
    let tree = repo.find_tree(root)?;
    match tree.get_path(Path::new(path)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Blob) && entry.filemode() & 0o170_000 == 0o100_000 => {
            Ok(Some(entry.id()))
        }
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether every recorded dependency has the same blob below `root` as when it was recorded.
pub(super) fn deps_match(repo: &Repository, root: Oid, recorded_root: Oid, deps: &[Dep]) -> bool {
    deps.iter().all(|(path, blob)| {
        if path == "*" { root == recorded_root } else { blob_at(repo, root, path).ok().as_ref() == Some(blob) }
    })
}

impl Source for CommitSource<'_> {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn local_root(&self) -> Option<&Path> {
        None
    }

    fn files(&self) -> Result<&[String], SourceError> {
        let files = self.files.get_or_init(|| {
            self.record("*", Some(self.root));
            let repo = self.repo.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut files = Vec::new();
            let mut stack = vec![(String::new(), self.root)];
            while let Some((dir, id)) = stack.pop() {
                let tree = repo
                    .find_tree(id)
                    .map_err(|e| SourceError { path: self.label.clone(), message: e.message().to_owned() })?;
                for entry in &tree {
                    let name = crate::source::path_text(entry.name_bytes());
                    let path = format!("{dir}{name}");
                    match entry.kind() {
                        Some(ObjectType::Tree) if !SKIPPED_DIRS.contains(&name.as_str()) => {
                            stack.push((format!("{path}/"), entry.id()));
                        }
                        Some(ObjectType::Blob) if entry.filemode() & 0o170_000 == 0o100_000 => files.push(path),
                        _ => {}
                    }
                }
            }
            files.sort();
            Ok(files)
        });
        files.as_ref().map(Vec::as_slice).map_err(Clone::clone)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        let blob = self.lookup(path)?;
        self.record(path, blob);
        let Some(blob) = blob else {
            return Err(SourceError { path: path.to_owned(), message: "no such file in this revision".to_owned() });
        };
        let repo = self.repo.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let blob =
            repo.find_blob(blob).map_err(|e| SourceError { path: path.to_owned(), message: e.message().to_owned() })?;
        Ok(blob.content().to_vec())
    }

    fn exists(&self, path: &str) -> bool {
        let blob = self.lookup(path).ok().flatten();
        self.record(path, blob);
        blob.is_some()
    }
}
