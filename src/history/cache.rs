//! The walk cache: a finished walk, kept under `<cache>/history/<key>/<commit>.bin` (postcard),
//! where the key names the repository, the walked directory, the lockfile selection and this
//! build of chainward. A later walk of the same commit reads it instead of the history; a walk
//! of a descendant continues from it and reads only the commits since.
//!
//! The cache is chainward's own, but a file that does not decode (or does not fit its
//! repository) is simply not used: it can only cost time, never change a result.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};
use sha2::{Digest, Sha256};

use super::Saved;

/// Bumped whenever [`Saved`] or the walk's rules change.
const FORMAT: u32 = 1;
/// Walks kept per key.
const KEEP: usize = 4;
/// A cache file larger than this is not read.
const MAX_BYTES: u64 = 1 << 30;

/// Which walks can stand for each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// The key of a walk of `prefix` in `repo` with these lockfile selections.
    pub fn new(repo: &Repository, prefix: &str, selection: &[&[String]]) -> Key {
        let mut h = Sha256::new();
        h.update(format!("chainward {} history {FORMAT}\0", env!("CARGO_PKG_VERSION")));
        let repo_path = std::fs::canonicalize(repo.path()).unwrap_or_else(|_| repo.path().to_path_buf());
        h.update(repo_path.to_string_lossy().as_bytes());
        h.update(b"\0");
        h.update(prefix.as_bytes());
        for list in selection {
            h.update(b"\0\0");
            for item in *list {
                h.update(item.as_bytes());
                h.update(b"\0");
            }
        }
        let digest = h.finalize();
        Key(digest.iter().take(16).fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        }))
    }

    fn dir(&self, cache_dir: &Path) -> PathBuf {
        cache_dir.join("history").join(&self.0)
    }
}

/// The cached walk of `tip`, or else of its nearest cached ancestor.
pub(crate) fn load(cache_dir: &Path, key: &Key, repo: &Repository, tip: Oid) -> Option<Saved> {
    let dir = key.dir(cache_dir);
    let exact = dir.join(format!("{tip}.bin"));
    if let Some(saved) = read(&exact) {
        return Some(saved);
    }
    let mut candidates: Vec<(std::time::SystemTime, Oid, PathBuf)> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_suffix(".bin")?.to_owned();
            let oid = Oid::from_str(&name).ok()?;
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((modified, oid, e.path()))
        })
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    candidates
        .into_iter()
        .filter(|(_, oid, _)| repo.graph_descendant_of(tip, *oid).unwrap_or(false))
        .find_map(|(_, _, path)| read(&path))
}

fn read(path: &Path) -> Option<Saved> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let saved = decode(&bytes)?;
    // The walk of the commit the file is named after, or none.
    let named = path.file_stem()?.to_str()?;
    (saved.timeline.tip == named).then_some(saved)
}

/// A walk cache file's bytes as a walk, when they decode and hold together: every index in
/// range, every merge pointing at an earlier interval (so following merges ends).
pub(crate) fn decode(bytes: &[u8]) -> Option<Saved> {
    let saved = postcard::from_bytes::<Saved>(bytes).ok()?;
    let t = &saved.timeline;
    let intervals = t.intervals.len();
    let commits = t.commit_info.len();
    let interval_ok = |i: u32| (i as usize) < intervals;
    let commit_ok = |c: u32| (c as usize) < commits;
    let fits = t.intervals.iter().enumerate().all(|(i, iv)| {
        commit_ok(iv.introduced) && iv.removed.is_none_or(commit_ok) && iv.merged_into.is_none_or(|m| (m as usize) < i)
    }) && t
        .drifts
        .iter()
        .all(|d| interval_ok(d.interval) && commit_ok(d.commit) && commit_ok(d.first_commit))
        && t.moves.iter().all(|m| interval_ok(m.interval))
        && saved.tip_state.iter().all(|p| p.packages.iter().all(|(iv, _)| interval_ok(*iv)))
        && saved.checksums.iter().all(|(iv, _)| interval_ok(*iv));
    fits.then_some(saved)
}

/// Keep `saved` (and only the newest few walks of this key).
pub(crate) fn store(cache_dir: &Path, key: &Key, saved: &Saved) -> std::io::Result<()> {
    let dir = key.dir(cache_dir);
    std::fs::create_dir_all(&dir)?;
    let bytes = postcard::to_stdvec(saved).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomically(&dir.join(format!("{}.bin", saved.timeline.tip)), &bytes)?;
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| Path::new(n).extension().is_some_and(|x| x == "bin")))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, old) in files.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
    Ok(())
}
