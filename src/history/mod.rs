//! The dependency timeline of a repository: every revision of every lockfile in the ancestry of
//! one commit, read from git objects (no checkout, nothing run), as version intervals: each
//! (lockfile, package, version, source) with the commit that introduced it and the one that
//! removed it.
//!
//! How the walk stays fast: commits are visited parents first; a commit whose walked directory
//! has the tree id of its parent's is skipped without reading anything; the lockfiles of a tree
//! are listed once per directory tree id (`tree::Lister`); a lockfile is parsed once per blob
//! id (and per blob of the files its resolver read besides it); unchanged lockfiles keep their
//! parent's state by reference. Only the states of commits whose children are still to come are
//! held, so memory follows the width of the graph, not its length. The result is cached by the
//! walked commit ([`cache`]): the next run reads only the commits since.
//!
//! Intervals and merges: a version a commit has while none of its parents had it starts an
//! interval there (so a version brought by a merged branch is the branch commit's, as `git blame`
//! attributes lines). A commit that lacks a version one of its parents had ends that interval
//! there (a merge that drops it ends it at the merge); should a later commit still carry it from
//! another line of history, the interval goes on. Two intervals of the same version met in a
//! merge become one: the one the walk started first (in practice the first parent's, as `git
//! blame` follows the first parent). A revision that does not parse keeps what its parents had
//! (at a merge: what either had).

pub mod cache;
mod prefetch;
mod tree;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use git2::{Oid, Repository, Sort};
use serde::{Deserialize, Serialize};

use crate::discover::Excludes;
use crate::model::Ecosystem;
use crate::resolve::Resolver;

use prefetch::Prefetch;
use tree::{Dep, Lister};

/// What to walk.
#[derive(Debug)]
pub struct Request<'a> {
    /// The repository (a work tree or a bare repository) or a directory inside it.
    pub path: &'a Path,
    /// The revision whose ancestry is walked.
    pub rev: &'a str,
    /// End the walk at this revision (an ancestor of `rev`) or date instead.
    pub until: Option<Until>,
    /// `--exclude` globs.
    pub exclude: &'a [String],
    /// `--requirements` globs.
    pub requirements: &'a [String],
    /// `--path` globs: only these lockfiles.
    pub only: &'a [String],
    /// Where the walk cache lives (`None`: no cache).
    pub cache_dir: Option<&'a Path>,
}

/// The end of the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Until {
    /// A revision (an ancestor of `--rev`).
    Rev(String),
    /// A time (seconds since the epoch): the last commit of the first-parent line at or before it.
    Time(i64),
}

/// A walk that could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// No repository, an unknown revision, a bad argument.
    #[error("{0}")]
    Usage(String),
    /// An object of the repository could not be read.
    #[error("{0}")]
    Corrupt(String),
}

/// A commit as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full 40-hex id.
    pub id: String,
    /// Author time, seconds since the epoch.
    pub time: i64,
    /// The author's UTC offset, minutes.
    pub offset: i32,
    /// Author name (as recorded: untrusted text).
    pub author: String,
}

/// One version of one package in one lockfile, for as long as it was there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// The lockfile, relative to the walked directory.
    pub lockfile: String,
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Name as first written.
    pub name: String,
    /// Version.
    pub version: String,
    /// Where it comes from, as `source-change` names sources (`crates.io`, `git URL`, ...).
    pub source: String,
    /// Whether that source is the ecosystem's default registry.
    pub default_registry: bool,
    /// Platform (Ruby gems built for one).
    pub platform: Option<String>,
    /// purl.
    pub purl: Option<String>,
    /// The strongest checksum, `algorithm:hex`, when introduced.
    pub checksum: Option<String>,
    /// Every checksum when introduced (a Python lock has one per file).
    pub checksums: Vec<String>,
    /// The package's block in the lockfile when introduced.
    pub line: Option<usize>,
    /// Its last line.
    pub end_line: Option<usize>,
    /// The introducing commit (index into [`Timeline::commit_info`]).
    pub introduced: u32,
    /// The removing commit, `None` while present at the walked commit.
    pub removed: Option<u32>,
    /// Merged into this earlier interval of the same version (not reported on its own).
    pub merged_into: Option<u32>,
}

/// The same version and source with another checksum than earlier in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// The interval carrying the new checksum.
    pub interval: u32,
    /// The commit where the new checksum appears.
    pub commit: u32,
    /// The new checksum.
    pub checksum: String,
    /// The commit where the version was first seen with its earlier checksum.
    pub first_commit: u32,
    /// The lockfile it was first seen in.
    pub first_lockfile: String,
    /// That earlier checksum.
    pub first_checksum: String,
}

/// A package that moved to another source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// The interval of the package at its new source.
    pub interval: u32,
    /// The sources it had in the parent revision(s).
    pub from: Vec<String>,
    /// Whether it left the default registry for git or another registry.
    pub left_default_registry: bool,
}

/// What the walk found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// The walked commit (after `--until`).
    pub tip: String,
    /// Commits walked.
    pub commits: usize,
    /// Distinct (lockfile, blob) pairs seen.
    pub lockfile_revisions: usize,
    /// The commits intervals and findings name.
    pub commit_info: Vec<CommitInfo>,
    /// Every interval (those with `merged_into` are part of another).
    pub intervals: Vec<Interval>,
    /// Checksum drift.
    pub drifts: Vec<Drift>,
    /// Source changes.
    pub moves: Vec<Move>,
    /// Lockfile revisions that did not parse, a shallow boundary.
    pub warnings: Vec<String>,
}

impl Timeline {
    /// The interval `i` stands for after merges.
    pub fn representative(&self, mut i: u32) -> u32 {
        let mut steps = 0;
        while let Some(next) = self.intervals.get(i as usize).and_then(|iv| iv.merged_into) {
            i = next;
            steps += 1;
            if steps > self.intervals.len() {
                break;
            }
        }
        i
    }

    /// A commit by index.
    pub fn commit(&self, i: u32) -> Option<&CommitInfo> {
        self.commit_info.get(i as usize)
    }
}

/// How a walk went, for `-v`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Commits read in this run (0: the cache had the walked commit).
    pub walked: usize,
    /// Lockfile revisions parsed in this run.
    pub parsed: usize,
    /// Whether a cached walk was continued (or reused as it was).
    pub from_cache: bool,
}

/// The walk, and the state the cache keeps to continue it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Saved {
    pub timeline: Timeline,
    /// Each lockfile at the walked commit: path, blob, what its resolver read besides it, and its
    /// packages (interval, checksums).
    pub tip_state: Vec<SavedPath>,
    /// Every (lockfile, blob) seen.
    pub seen: Vec<(String, String)>,
    /// Checksums seen per version (interval of the first sighting, every checksum since).
    pub checksums: Vec<(u32, Vec<String>)>,
}

/// One lockfile of the walked commit, as the cache keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SavedPath {
    pub path: String,
    pub blob: String,
    pub deps: Vec<(String, Option<String>)>,
    /// (interval, checksums) per package.
    pub packages: Vec<(u32, Vec<String>)>,
}

/// Walk the history `req` names.
pub fn walk(req: &Request<'_>) -> Result<(Timeline, Stats), HistoryError> {
    // libgit2 keeps every commit and tree it parsed (up to 256 MiB); a walk reads each once
    // (directory listings are remembered by tree id here), so its cache only costs memory.
    git2::opts::enable_caching(false);
    let (repo, prefix) = open(req.path)?;
    let tip = resolve_tip(&repo, req.rev, req.until.as_ref())?;
    let only = if req.only.is_empty() {
        None
    } else {
        Some(crate::discover::glob_set(req.only, "path").map_err(|e| HistoryError::Usage(e.to_string()))?)
    };
    let excludes = Excludes::new(req.exclude)
        .and_then(|e| e.with_requirements(req.requirements))
        .map_err(|e| HistoryError::Usage(e.to_string()))?;
    let key = cache::Key::new(&repo, &prefix, &[req.exclude, req.requirements, req.only]);
    let saved = req.cache_dir.and_then(|dir| cache::load(dir, &key, &repo, tip));
    if let Some(saved) = &saved
        && saved.timeline.tip == tip.to_string()
    {
        return Ok((saved.timeline.clone(), Stats { walked: 0, parsed: 0, from_cache: true }));
    }
    let resolvers = crate::resolve::registry();
    let repo = Mutex::new(repo);
    let mut walker = Walker::new(&repo, &resolvers, &excludes, only.as_ref(), prefix.clone());
    let from_cache = match saved {
        Some(saved) => {
            let resumed = walker.resume(saved).is_ok();
            if !resumed {
                walker = Walker::new(&repo, &resolvers, &excludes, only.as_ref(), prefix.clone());
            }
            resumed
        }
        None => false,
    };
    let outcome = walker.run(tip);
    let (saved, stats) = match outcome {
        Ok(done) => done,
        // A cached walk whose continuation needs a commit it did not keep (a branch forked
        // before the cached commit and merged since): walk everything.
        Err(WalkError::NeedsFullWalk) if from_cache => {
            let walker = Walker::new(&repo, &resolvers, &excludes, only.as_ref(), prefix);
            walker.run(tip).map_err(WalkError::into_history)?
        }
        Err(e) => return Err(e.into_history()),
    };
    let stats = Stats { from_cache, ..stats };
    if let Some(dir) = req.cache_dir {
        // A cache that cannot be written costs the next run time, nothing else.
        let _ = cache::store(dir, &key, &saved);
    }
    Ok((saved.timeline, stats))
}

/// The repository at or above `path` (bare or not) and `path`'s directory inside it.
pub fn open(path: &Path) -> Result<(Repository, String), HistoryError> {
    let repo = Repository::discover(path).map_err(|e| {
        HistoryError::Usage(format!("{}: not inside a git repository: {}", path.display(), e.message()))
    })?;
    let Some(workdir) = repo.workdir() else { return Ok((repo, String::new())) };
    let abs = std::fs::canonicalize(path).map_err(|e| HistoryError::Usage(format!("{}: {e}", path.display())))?;
    let workdir = std::fs::canonicalize(workdir).map_err(|e| HistoryError::Usage(e.to_string()))?;
    let rel = abs
        .strip_prefix(&workdir)
        .map_err(|_| HistoryError::Usage(format!("{}: outside the repository's work tree", path.display())))?;
    let mut parts = Vec::new();
    for c in rel.components() {
        let part = c
            .as_os_str()
            .to_str()
            .ok_or_else(|| HistoryError::Usage(format!("{}: not a UTF-8 path", path.display())))?;
        parts.push(part.to_owned());
    }
    if abs.is_file() {
        return Err(HistoryError::Usage(format!(
            "{}: history follows the lockfiles below a directory; name the directory and use --path GLOB for one file",
            path.display()
        )));
    }
    Ok((repo, parts.join("/")))
}

/// The commit `rev` names, moved back to `until`.
pub fn resolve_tip(repo: &Repository, rev: &str, until: Option<&Until>) -> Result<Oid, HistoryError> {
    let tip = commit_of(repo, rev)?;
    match until {
        None => Ok(tip),
        Some(Until::Rev(until)) => {
            let end = commit_of(repo, until)?;
            if end == tip || repo.graph_descendant_of(tip, end).unwrap_or(false) {
                Ok(end)
            } else {
                Err(HistoryError::Usage(format!("--until {until} is not an ancestor of {rev}")))
            }
        }
        Some(Until::Time(t)) => {
            let mut commit = repo.find_commit(tip).map_err(|e| corrupt(&tip.to_string(), &e))?;
            loop {
                if commit.author().when().seconds() <= *t {
                    return Ok(commit.id());
                }
                match commit.parent(0) {
                    Ok(parent) => commit = parent,
                    Err(_) => {
                        return Err(HistoryError::Usage(format!(
                            "--until: no commit of {rev}'s first-parent line is that old"
                        )));
                    }
                }
            }
        }
    }
}

/// The commit a revision names.
pub fn commit_of(repo: &Repository, rev: &str) -> Result<Oid, HistoryError> {
    let object = repo
        .revparse_single(rev)
        .map_err(|e| HistoryError::Usage(format!("unknown revision `{rev}`: {}", e.message())))?;
    let commit = object
        .peel_to_commit()
        .map_err(|e| HistoryError::Usage(format!("`{rev}` is not a commit: {}", e.message())))?;
    Ok(commit.id())
}

fn corrupt(what: &str, e: &git2::Error) -> HistoryError {
    HistoryError::Corrupt(format!("cannot read {what} from the repository: {}", e.message()))
}

#[derive(Debug)]
enum WalkError {
    History(HistoryError),
    NeedsFullWalk,
}

impl WalkError {
    fn into_history(self) -> HistoryError {
        match self {
            WalkError::History(e) => e,
            WalkError::NeedsFullWalk => HistoryError::Corrupt("the walk cache could not be continued".to_owned()),
        }
    }
}

impl From<HistoryError> for WalkError {
    fn from(e: HistoryError) -> Self {
        WalkError::History(e)
    }
}

/// A package's identity in the walk (interned): ecosystem, name (normalised), version, source,
/// platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct KeyId {
    ecosystem: Ecosystem,
    name: String,
    version: String,
    source: String,
    platform: Option<String>,
}

/// A package of a parsed revision before interning, built on the thread that parsed it (the
/// string work of a lockfile's thousands of packages is spread over the cores too).
#[derive(Debug)]
pub(crate) struct Raw {
    id: KeyId,
    name: String,
    default_registry: bool,
    sums: Vec<String>,
    line: u32,
    end: u32,
    /// Index of the package in its [`crate::resolve::Resolved`] (its purl is computed only
    /// when the key is new).
    package: usize,
}

/// The packages of a resolved lockfile as [`Raw`] entries (unpinned requirements have no
/// version and are not followed).
pub(crate) fn raw_entries(resolved: &crate::resolve::Resolved) -> Vec<Raw> {
    resolved
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.unpinned.is_none())
        .map(|(package, p)| {
            let (line, end) =
                p.lines.map_or((0, 0), |l| (u32::try_from(l.start).unwrap_or(0), u32::try_from(l.end).unwrap_or(0)));
            Raw {
                id: KeyId {
                    ecosystem: p.ecosystem,
                    name: p.ecosystem.normalize_name(&p.name),
                    version: p.version.clone(),
                    source: crate::heuristics::source_label(p.ecosystem, &p.source),
                    platform: p.platform.clone(),
                },
                name: p.name.clone(),
                default_registry: p.source.is_default_registry(),
                sums: p.checksums.iter().map(crate::model::Checksum::prefixed).collect(),
                line,
                end,
                package,
            }
        })
        .collect()
}

/// What the first sighting of a key says beside its identity.
#[derive(Debug, Clone)]
struct KeyData {
    name: String,
    default_registry: bool,
    purl: Option<String>,
    /// (ecosystem, normalised name), interned: the source-change rule compares by it.
    name_key: u32,
}

/// One package of a parsed lockfile revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    key: u32,
    /// Interned checksum set (`u32::MAX`: none).
    sums: u32,
    line: u32,
    end: u32,
}

/// A lockfile revision, parsed: packages sorted by key, one per key.
#[derive(Debug, Default)]
struct Parsed {
    entries: Vec<Entry>,
    /// (name key, index into `entries`), sorted.
    by_name: Vec<(u32, u32)>,
}

impl Parsed {
    fn find(&self, key: u32) -> Option<usize> {
        self.entries.binary_search_by(|e| e.key.cmp(&key)).ok()
    }

    fn named(&self, name_key: u32) -> impl Iterator<Item = &Entry> {
        let start = self.by_name.partition_point(|(n, _)| *n < name_key);
        self.by_name
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(move |(n, _)| *n == name_key)
            .filter_map(|(_, i)| self.entries.get(*i as usize))
    }
}

/// One lockfile of one commit.
#[derive(Debug)]
struct PathState {
    blob: Oid,
    /// The tree the deps were recorded in, and the deps.
    deps: Arc<(Oid, Vec<Dep>)>,
    parsed: Arc<Parsed>,
    /// Interval per entry.
    ivs: Vec<u32>,
}

/// Every lockfile of one commit, by path id.
type CommitState = Vec<(u32, Arc<PathState>)>;

fn state_get(state: &CommitState, path: u32) -> Option<&Arc<PathState>> {
    state.binary_search_by(|(p, _)| p.cmp(&path)).ok().and_then(|i| state.get(i)).map(|(_, s)| s)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parent {
    Walked(usize),
    Resumed,
    /// Not in the repository (a shallow clone) or not walked.
    Missing(Oid),
}

struct Rec {
    oid: Oid,
    parents: Vec<Parent>,
    root: Option<Oid>,
}

/// A parse result as cached per (path, blob): the deps it depends on, and the result.
type ParseEntry = (Arc<(Oid, Vec<Dep>)>, Result<Arc<Parsed>, String>);

/// A [`ParseEntry`] as the cache holds it.
type CachedParse = (Arc<(Oid, Vec<Dep>)>, Result<std::sync::Weak<Parsed>, String>);

fn weak(entry: &ParseEntry) -> CachedParse {
    (Arc::clone(&entry.0), entry.1.as_ref().map(Arc::downgrade).map_err(Clone::clone))
}

struct Walker<'r> {
    repo: &'r Mutex<Repository>,
    resolvers: &'r [Box<dyn Resolver>],
    lister: Lister<'r>,
    prefix: String,
    paths: Vec<String>,
    path_ids: HashMap<String, u32>,
    keys: Vec<(KeyId, KeyData)>,
    key_ids: HashMap<KeyId, u32>,
    name_keys: HashMap<(Ecosystem, String), u32>,
    sums: Vec<Vec<String>>,
    sum_ids: HashMap<Vec<String>, u32>,
    /// Parses by (path, blob). A parse is held weakly: once no commit state the walk still
    /// needs has it, its memory goes (a revision that comes back is parsed again), so memory
    /// follows the width of the graph, not the number of revisions.
    parses: HashMap<(u32, Oid), Vec<CachedParse>>,
    seen: HashSet<(u32, Oid)>,
    warned: HashSet<(u32, Oid)>,
    /// Per key: the interval of its first sighting and every checksum seen since.
    checksums: HashMap<u32, (u32, Vec<String>)>,
    /// Commit id → index into `commit_info`.
    commit_refs: HashMap<Oid, u32>,
    timeline: Timeline,
    resumed: Option<(Oid, Arc<CommitState>)>,
    parsed_count: usize,
    /// Planned parses: (path, blob) → (job, the tree it is parsed in).
    job_of: HashMap<(u32, Oid), (usize, Oid)>,
}

impl<'r> Walker<'r> {
    fn new(
        repo: &'r Mutex<Repository>,
        resolvers: &'r [Box<dyn Resolver>],
        excludes: &'r Excludes,
        only: Option<&'r globset::GlobSet>,
        prefix: String,
    ) -> Self {
        Walker {
            repo,
            resolvers,
            lister: Lister::new(resolvers, excludes, only),
            prefix,
            paths: Vec::new(),
            path_ids: HashMap::new(),
            keys: Vec::new(),
            key_ids: HashMap::new(),
            name_keys: HashMap::new(),
            sums: Vec::new(),
            sum_ids: HashMap::new(),
            parses: HashMap::new(),
            seen: HashSet::new(),
            warned: HashSet::new(),
            checksums: HashMap::new(),
            commit_refs: HashMap::new(),
            timeline: Timeline {
                tip: String::new(),
                commits: 0,
                lockfile_revisions: 0,
                commit_info: Vec::new(),
                intervals: Vec::new(),
                drifts: Vec::new(),
                moves: Vec::new(),
                warnings: Vec::new(),
            },
            resumed: None,
            parsed_count: 0,
            job_of: HashMap::new(),
        }
    }

    fn repo(&self) -> std::sync::MutexGuard<'r, Repository> {
        self.repo.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn path_id(&mut self, path: &str) -> u32 {
        if let Some(id) = self.path_ids.get(path) {
            return *id;
        }
        let id = u32::try_from(self.paths.len()).unwrap_or(u32::MAX);
        self.paths.push(path.to_owned());
        self.path_ids.insert(path.to_owned(), id);
        id
    }

    fn sum_id(&mut self, sums: Vec<String>) -> u32 {
        if sums.is_empty() {
            return u32::MAX;
        }
        if let Some(id) = self.sum_ids.get(&sums) {
            return *id;
        }
        let id = u32::try_from(self.sums.len()).unwrap_or(u32::MAX - 1);
        self.sums.push(sums.clone());
        self.sum_ids.insert(sums, id);
        id
    }

    fn sums_of(&self, id: u32) -> &[String] {
        self.sums.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// The key of a package, interned; `purl` is computed for a key's first sighting only.
    #[expect(clippy::too_many_arguments, reason = "one package's facts")]
    fn key_id(
        &mut self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        source: String,
        platform: Option<String>,
        default_registry: bool,
        purl: impl FnOnce() -> Option<String>,
    ) -> u32 {
        let normalized = ecosystem.normalize_name(name);
        let id = KeyId { ecosystem, name: normalized, version: version.to_owned(), source, platform };
        if let Some(k) = self.key_ids.get(&id) {
            return *k;
        }
        let next_name = u32::try_from(self.name_keys.len()).unwrap_or(u32::MAX);
        let name_key = *self.name_keys.entry((ecosystem, id.name.clone())).or_insert(next_name);
        let k = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.keys.push((id.clone(), KeyData { name: name.to_owned(), default_registry, purl: purl(), name_key }));
        self.key_ids.insert(id, k);
        k
    }

    /// The index into `commit_info` of `oid`, reading its author on first use.
    fn commit_ref(&mut self, oid: Oid) -> Result<u32, HistoryError> {
        if let Some(i) = self.commit_refs.get(&oid) {
            return Ok(*i);
        }
        let info = {
            let repo = self.repo();
            let commit = repo.find_commit(oid).map_err(|e| corrupt(&format!("commit {oid}"), &e))?;
            let author = commit.author();
            CommitInfo {
                id: oid.to_string(),
                time: author.when().seconds(),
                offset: author.when().offset_minutes(),
                author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            }
        };
        let i = u32::try_from(self.timeline.commit_info.len()).unwrap_or(u32::MAX);
        self.timeline.commit_info.push(info);
        self.commit_refs.insert(oid, i);
        Ok(i)
    }

    /// [`Walker::commit_ref`], remembered in `slot` for the rest of one commit.
    fn commit_ref_once(&mut self, slot: &mut Option<u32>, oid: Oid) -> Result<u32, HistoryError> {
        if let Some(c) = slot {
            return Ok(*c);
        }
        let c = self.commit_ref(oid)?;
        *slot = Some(c);
        Ok(c)
    }

    /// Union-find: the interval `i` stands for.
    fn find(&mut self, i: u32) -> u32 {
        let mut root = i;
        while let Some(next) = self.timeline.intervals.get(root as usize).and_then(|iv| iv.merged_into) {
            root = next;
        }
        let mut cur = i;
        while let Some(next) = self.timeline.intervals.get(cur as usize).and_then(|iv| iv.merged_into) {
            if let Some(iv) = self.timeline.intervals.get_mut(cur as usize) {
                iv.merged_into = Some(root).filter(|r| *r != cur);
            }
            cur = next;
        }
        root
    }

    /// The tree of the walked directory in `commit` (`None`: the directory is not there).
    fn root_of(&self, commit: &git2::Commit<'_>) -> Result<Option<Oid>, HistoryError> {
        let tree = commit.tree().map_err(|e| corrupt(&format!("the tree of {}", commit.id()), &e))?;
        if self.prefix.is_empty() {
            return Ok(Some(tree.id()));
        }
        match tree.get_path(Path::new(&self.prefix)) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Tree) => Ok(Some(entry.id())),
            _ => Ok(None),
        }
    }

    /// Parse `path` at `blob` as it is in the tree `root` (cached per blob and the blobs of the
    /// files the resolver read besides it).
    fn parse(
        &mut self,
        path_id: u32,
        resolver: usize,
        blob: Oid,
        root: Oid,
        commit: Oid,
        pf: &mut Option<Prefetch>,
    ) -> Result<ParseEntry, HistoryError> {
        let repo_lock = self.repo;
        if let Some(cached) = self.parses.get_mut(&(path_id, blob)) {
            // Parses no state holds any more are gone.
            cached.retain(|(_, p)| match p {
                Ok(w) => w.strong_count() > 0,
                Err(_) => true,
            });
            let repo = repo_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let hit = cached.iter().find_map(|(deps, parsed)| {
                if !tree::deps_match(&repo, root, deps.0, &deps.1) {
                    return None;
                }
                match parsed {
                    Ok(w) => w.upgrade().map(|p| (Arc::clone(deps), Ok(p))),
                    Err(e) => Some((Arc::clone(deps), Err(e.clone()))),
                }
            });
            if let Some(hit) = hit {
                return Ok(hit);
            }
        }
        // Parsed ahead by a worker (in the tree of the first commit that has it).
        if let Some(prefetch) = pf.as_mut()
            && let Some((job, job_root)) = self.job_of.remove(&(path_id, blob))
            && let Some(outcome) = prefetch.take(job)
        {
            let (deps, result) = outcome.map_err(HistoryError::Corrupt)?;
            let entry = self.finish_parse(path_id, blob, job_root, deps, result);
            let repo = self.repo();
            if tree::deps_match(&repo, root, entry.0.0, &entry.0.1) {
                return Ok(entry);
            }
        }
        let path = self.paths.get(path_id as usize).cloned().unwrap_or_default();
        let job = prefetch::Job { path, resolver, blob, root, commit };
        let (deps, result) = prefetch::parse(self.repo, &job, self.resolvers).map_err(HistoryError::Corrupt)?;
        Ok(self.finish_parse(path_id, blob, root, deps, result))
    }

    /// Intern a parse and remember it for its (path, blob).
    fn finish_parse(
        &mut self,
        path_id: u32,
        blob: Oid,
        root: Oid,
        deps: Vec<Dep>,
        result: Result<(crate::resolve::Resolved, Vec<Raw>), String>,
    ) -> ParseEntry {
        self.parsed_count += 1;
        let deps = Arc::new((root, deps));
        let parsed = match result {
            Ok((done, raws)) => Ok(Arc::new(self.intern(&done, raws))),
            Err(e) => Err(e),
        };
        let entry = (deps, parsed);
        self.parses.entry((path_id, blob)).or_default().push(weak(&entry));
        entry
    }

    /// The lockfile revisions the walk of `recs` will parse, in the order it will need them
    /// (each in the tree of the first commit that has it).
    fn plan(&mut self, recs: &[Rec], resumed_root: Option<Oid>) -> Result<Vec<prefetch::Job>, HistoryError> {
        let mut jobs = Vec::new();
        for rec in recs {
            let Some(root) = rec.root else { continue };
            let unchanged = match rec.parents.as_slice() {
                [Parent::Walked(i)] => recs.get(*i).and_then(|r| r.root) == Some(root),
                [Parent::Resumed] => resumed_root == Some(root),
                _ => false,
            };
            if unchanged {
                continue;
            }
            let listed = {
                let repo = self.repo();
                let listed =
                    self.lister.list(&repo, root).map_err(|e| corrupt(&format!("the tree of {}", rec.oid), &e));
                drop(repo);
                listed?
            };
            for l in listed.iter() {
                let path_id = self.path_id(&l.path);
                if self.parses.contains_key(&(path_id, l.blob)) || self.job_of.contains_key(&(path_id, l.blob)) {
                    continue;
                }
                self.job_of.insert((path_id, l.blob), (jobs.len(), root));
                jobs.push(prefetch::Job {
                    path: l.path.clone(),
                    resolver: l.resolver,
                    blob: l.blob,
                    root,
                    commit: rec.oid,
                });
            }
        }
        Ok(jobs)
    }

    fn intern(&mut self, resolved: &crate::resolve::Resolved, raws: Vec<Raw>) -> Parsed {
        let mut entries = Vec::with_capacity(raws.len());
        for raw in raws {
            let key = if let Some(k) = self.key_ids.get(&raw.id) {
                *k
            } else {
                let package = resolved.packages.get(raw.package);
                self.key_id(
                    raw.id.ecosystem,
                    &raw.name,
                    &raw.id.version,
                    raw.id.source,
                    raw.id.platform,
                    raw.default_registry,
                    || package.and_then(crate::model::Package::purl),
                )
            };
            let sums = self.sum_id(raw.sums);
            entries.push(Entry { key, sums, line: raw.line, end: raw.end });
        }
        self.parsed(entries)
    }

    /// A revision's packages: sorted by key, each key once (the first), indexed by name.
    fn parsed(&self, mut entries: Vec<Entry>) -> Parsed {
        entries.sort_by_key(|e| e.key);
        entries.dedup_by_key(|e| e.key);
        let mut by_name: Vec<(u32, u32)> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((self.keys.get(e.key as usize)?.1.name_key, u32::try_from(i).ok()?)))
            .collect();
        by_name.sort_unstable();
        Parsed { entries, by_name }
    }

    fn new_interval(&mut self, path_id: u32, e: &Entry, commit: u32) -> u32 {
        let (id, data) = self.keys.get(e.key as usize).cloned().unwrap_or_else(|| {
            (
                KeyId {
                    ecosystem: Ecosystem::Cargo,
                    name: String::new(),
                    version: String::new(),
                    source: String::new(),
                    platform: None,
                },
                KeyData { name: String::new(), default_registry: false, purl: None, name_key: u32::MAX },
            )
        });
        let checksums = self.sums_of(e.sums).to_vec();
        let interval = Interval {
            lockfile: self.paths.get(path_id as usize).cloned().unwrap_or_default(),
            ecosystem: id.ecosystem,
            name: data.name,
            version: id.version,
            source: id.source,
            default_registry: data.default_registry,
            platform: id.platform,
            purl: data.purl,
            checksum: checksums.first().cloned(),
            checksums,
            line: (e.line > 0).then_some(e.line as usize),
            end_line: (e.end > 0).then_some(e.end as usize),
            introduced: commit,
            removed: None,
            merged_into: None,
        };
        let i = u32::try_from(self.timeline.intervals.len()).unwrap_or(u32::MAX);
        self.timeline.intervals.push(interval);
        i
    }

    /// Continue from a cached walk: its timeline, and the state of its walked commit.
    fn resume(&mut self, saved: Saved) -> Result<(), HistoryError> {
        let tip = Oid::from_str(&saved.timeline.tip).map_err(|e| HistoryError::Corrupt(e.message().to_owned()))?;
        self.timeline = saved.timeline;
        for (i, c) in self.timeline.commit_info.iter().enumerate() {
            if let (Ok(oid), Ok(i)) = (Oid::from_str(&c.id), u32::try_from(i)) {
                self.commit_refs.insert(oid, i);
            }
        }
        for (path, blob) in &saved.seen {
            let id = self.path_id(path);
            if let Ok(blob) = Oid::from_str(blob) {
                self.seen.insert((id, blob));
            }
        }
        let bad = || HistoryError::Corrupt("the walk cache does not fit its timeline".to_owned());
        // Intern every interval's key, so new sightings of an old version find it.
        let mut interval_keys = Vec::with_capacity(self.timeline.intervals.len());
        for i in 0..self.timeline.intervals.len() {
            let iv = self.timeline.intervals.get(i).cloned().ok_or_else(bad)?;
            let key =
                self.key_id(iv.ecosystem, &iv.name, &iv.version, iv.source, iv.platform, iv.default_registry, || {
                    iv.purl
                });
            interval_keys.push(key);
        }
        for (iv, sums) in saved.checksums {
            let key = *interval_keys.get(iv as usize).ok_or_else(bad)?;
            self.checksums.insert(key, (iv, sums));
        }
        let mut state: CommitState = Vec::new();
        for sp in saved.tip_state {
            let path_id = self.path_id(&sp.path);
            let blob = Oid::from_str(&sp.blob).map_err(|_| bad())?;
            let mut deps = Vec::new();
            for (p, b) in sp.deps {
                let b = match b {
                    Some(b) => Some(Oid::from_str(&b).map_err(|_| bad())?),
                    None => None,
                };
                deps.push((p, b));
            }
            let root_for_deps = deps.iter().find(|(p, _)| p == "*").and_then(|(_, b)| *b).unwrap_or(Oid::ZERO_SHA1);
            let mut entries = Vec::new();
            let mut ivs = Vec::new();
            let mut pairs: Vec<(Entry, u32)> = Vec::new();
            for (iv, sums) in sp.packages {
                let key = *interval_keys.get(iv as usize).ok_or_else(bad)?;
                let sums = self.sum_id(sums);
                let line = self.timeline.intervals.get(iv as usize).and_then(|i| i.line).unwrap_or(0);
                let end = self.timeline.intervals.get(iv as usize).and_then(|i| i.end_line).unwrap_or(0);
                let e =
                    Entry { key, sums, line: u32::try_from(line).unwrap_or(0), end: u32::try_from(end).unwrap_or(0) };
                pairs.push((e, iv));
            }
            pairs.sort_by_key(|(e, _)| e.key);
            pairs.dedup_by_key(|(e, _)| e.key);
            for (e, iv) in pairs {
                entries.push(e);
                ivs.push(iv);
            }
            // Already sorted and unique, so `ivs` stays aligned.
            let parsed = Arc::new(self.parsed(entries));
            let deps = Arc::new((root_for_deps, deps));
            self.parses.entry((path_id, blob)).or_default().push((Arc::clone(&deps), Ok(Arc::downgrade(&parsed))));
            state.push((path_id, Arc::new(PathState { blob, deps, parsed, ivs })));
        }
        state.sort_by_key(|(p, _)| *p);
        self.resumed = Some((tip, Arc::new(state)));
        Ok(())
    }

    #[expect(clippy::too_many_lines, reason = "the walk, step by step")]
    fn run(mut self, tip: Oid) -> Result<(Saved, Stats), WalkError> {
        // Every commit to read, parents first.
        let oids: Vec<Oid> = {
            let repo = self.repo();
            let mut walk = repo.revwalk().map_err(|e| corrupt("the commit graph", &e))?;
            walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).map_err(|e| corrupt("the commit graph", &e))?;
            walk.push(tip).map_err(|e| corrupt(&format!("commit {tip}"), &e))?;
            if let Some((resumed, _)) = &self.resumed {
                walk.hide(*resumed).map_err(|e| corrupt(&format!("commit {resumed}"), &e))?;
            }
            walk.collect::<Result<Vec<Oid>, git2::Error>>().map_err(|e| corrupt("the commit graph", &e))?
        };
        let index: HashMap<Oid, usize> = oids.iter().enumerate().map(|(i, o)| (*o, i)).collect();
        let resumed_oid = self.resumed.as_ref().map(|(o, _)| *o);
        let mut recs = Vec::with_capacity(oids.len());
        {
            let repo = self.repo();
            for oid in &oids {
                let commit = repo.find_commit(*oid).map_err(|e| corrupt(&format!("commit {oid}"), &e))?;
                let parents = commit
                    .parent_ids()
                    .map(|p| match index.get(&p) {
                        Some(i) => Parent::Walked(*i),
                        None if Some(p) == resumed_oid => Parent::Resumed,
                        None => Parent::Missing(p),
                    })
                    .collect();
                let root = self.root_of(&commit)?;
                recs.push(Rec { oid: *oid, parents, root });
            }
        }
        if resumed_oid.is_some() && recs.iter().any(|r| r.parents.iter().any(|p| matches!(p, Parent::Missing(_)))) {
            return Err(WalkError::NeedsFullWalk);
        }
        let mut children = vec![0_u32; recs.len()];
        for r in &recs {
            for p in &r.parents {
                if let Parent::Walked(i) = p
                    && let Some(c) = children.get_mut(*i)
                {
                    *c += 1;
                }
            }
        }
        // A shallow clone: where history stops.
        let mut boundary: Vec<Oid> =
            recs.iter().filter(|r| r.parents.iter().any(|p| matches!(p, Parent::Missing(_)))).map(|r| r.oid).collect();
        let shallow = self.repo().is_shallow();
        if shallow {
            // libgit2 reads `.git/shallow` and shows those commits without parents: they are
            // where the history stops.
            let listed = std::fs::read_to_string(self.repo().path().join("shallow")).unwrap_or_default();
            boundary
                .extend(listed.lines().filter_map(|l| Oid::from_str(l.trim()).ok()).filter(|o| index.contains_key(o)));
            boundary.sort();
            boundary.dedup();
        }
        if shallow || !boundary.is_empty() {
            let stops: Vec<String> = boundary.iter().take(5).map(|o| short(*o)).collect();
            self.timeline.warnings.push(format!(
                "history is incomplete (a shallow clone): it stops at {}{}; versions present there are shown as introduced there",
                if stops.is_empty() { "an unknown commit".to_owned() } else { stops.join(", ") },
                if boundary.len() > 5 { format!(" and {} more", boundary.len() - 5) } else { String::new() }
            ));
        }
        let empty: Arc<CommitState> = Arc::new(Vec::new());
        let mut states: Vec<Option<Arc<CommitState>>> = vec![None; recs.len()];
        let resumed_state = self.resumed.as_ref().map(|(_, s)| Arc::clone(s));
        let resumed_root = match resumed_oid {
            Some(oid) => {
                let repo = self.repo();
                let commit = repo.find_commit(oid).map_err(|e| corrupt(&format!("commit {oid}"), &e))?;
                self.root_of(&commit)?
            }
            None => None,
        };
        let walked = recs.len();
        // Parse the revisions the walk will need on every core, a little ahead of it.
        let jobs = self.plan(&recs, resumed_root)?;
        let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(8);
        let repo_path = self.repo().path().to_path_buf();
        let resolvers = self.resolvers;
        std::thread::scope(|scope| -> Result<(), WalkError> {
            let mut pf =
                (jobs.len() >= 4 && workers > 1).then(|| Prefetch::start(scope, &repo_path, &jobs, resolvers, workers));
            for (ci, rec) in recs.iter().enumerate() {
                let parent_states: Vec<(Arc<CommitState>, Option<Oid>)> = rec
                    .parents
                    .iter()
                    .map(|p| match p {
                        Parent::Walked(i) => (
                            states.get(*i).cloned().flatten().unwrap_or_else(|| Arc::clone(&empty)),
                            recs.get(*i).and_then(|r| r.root),
                        ),
                        Parent::Resumed => (resumed_state.clone().unwrap_or_else(|| Arc::clone(&empty)), resumed_root),
                        Parent::Missing(_) => (Arc::clone(&empty), None),
                    })
                    .collect();
                let state = if parent_states.len() == 1
                    && let Some((only, root)) = parent_states.first()
                    && *root == rec.root
                {
                    // The walked directory did not change: nothing to read.
                    Arc::clone(only)
                } else {
                    Arc::new(self.commit(rec, &parent_states, &mut pf)?)
                };
                if let Some(slot) = states.get_mut(ci) {
                    *slot = Some(state);
                }
                for p in &rec.parents {
                    if let Parent::Walked(i) = p
                        && let Some(c) = children.get_mut(*i)
                    {
                        *c = c.saturating_sub(1);
                        if *c == 0
                            && recs.get(*i).is_some_and(|r| r.oid != tip)
                            && let Some(slot) = states.get_mut(*i)
                        {
                            *slot = None;
                        }
                    }
                }
            }
            drop(pf);
            Ok(())
        })?;
        let tip_state = match index.get(&tip) {
            Some(i) => states.get(*i).cloned().flatten().unwrap_or_else(|| Arc::clone(&empty)),
            None => resumed_state.unwrap_or_else(|| Arc::clone(&empty)),
        };
        drop(states);
        // Whatever the walked commit has is present, whichever line of history ended it before.
        for (_, ps) in tip_state.iter() {
            for iv in &ps.ivs {
                let r = self.find(*iv);
                if let Some(i) = self.timeline.intervals.get_mut(r as usize) {
                    i.removed = None;
                }
            }
        }
        self.timeline.tip = tip.to_string();
        self.timeline.commits += walked;
        self.timeline.lockfile_revisions = self.seen.len();
        let saved = self.save(&tip_state);
        Ok((saved, Stats { walked, parsed: self.parsed_count, from_cache: false }))
    }

    /// The state of a commit whose walked directory differs from its parent's (or that has
    /// several parents, or none).
    fn commit(
        &mut self,
        rec: &Rec,
        parents: &[(Arc<CommitState>, Option<Oid>)],
        pf: &mut Option<Prefetch>,
    ) -> Result<CommitState, HistoryError> {
        let listed = match rec.root {
            Some(root) => {
                let repo = self.repo();
                let listed =
                    self.lister.list(&repo, root).map_err(|e| corrupt(&format!("the tree of {}", rec.oid), &e));
                drop(repo);
                listed?
            }
            None => Arc::new(Vec::new()),
        };
        let mut state: CommitState = Vec::with_capacity(listed.len());
        let mut commit_ref: Option<u32> = None;
        for l in listed.iter() {
            let path_id = self.path_id(&l.path);
            let Some(root) = rec.root else { continue };
            self.seen.insert((path_id, l.blob));
            let pstates: Vec<Arc<PathState>> =
                parents.iter().filter_map(|(s, _)| state_get(s, path_id).cloned()).collect();
            // Unchanged in every parent (the usual case): the parent's state as it is.
            if let Some(first) = pstates.first()
                && pstates.len() == parents.len()
                && first.blob == l.blob
                && pstates.iter().all(|p| Arc::ptr_eq(p, first))
            {
                let same_deps = first.deps.1.is_empty() || {
                    let repo = self.repo();
                    tree::deps_match(&repo, root, first.deps.0, &first.deps.1)
                };
                if same_deps {
                    state.push((path_id, Arc::clone(first)));
                    continue;
                }
            }
            let (deps, parsed) = self.parse(path_id, l.resolver, l.blob, root, rec.oid, pf)?;
            let fresh = !pstates.iter().any(|p| matches!(&parsed, Ok(x) if Arc::ptr_eq(x, &p.parsed)));
            let parsed = match parsed {
                Ok(p) => p,
                Err(message) => {
                    if self.warned.insert((path_id, l.blob)) {
                        self.timeline.warnings.push(format!(
                            "commit {}: {}: could not be read, so this revision keeps what its parent had: {message}",
                            short(rec.oid),
                            l.path
                        ));
                    }
                    match pstates.as_slice() {
                        [] => Arc::new(Parsed::default()),
                        [only] => Arc::clone(&only.parsed),
                        // A merge: what every parent had.
                        several => Arc::new(self.union(several)),
                    }
                }
            };
            let cref = self.commit_ref_once(&mut commit_ref, rec.oid)?;
            let ivs = self.carry(path_id, &parsed, &pstates, cref, fresh);
            state.push((path_id, Arc::new(PathState { blob: l.blob, deps, parsed, ivs })));
        }
        state.sort_by_key(|(p, _)| *p);
        // What the parents had and this commit does not: removed here.
        for (pstate, _) in parents {
            for (path_id, ps) in pstate.iter() {
                let now = state_get(&state, *path_id);
                if now.is_some_and(|n| Arc::ptr_eq(n, ps)) {
                    continue;
                }
                let carried: HashSet<u32> = match now {
                    Some(n) => n.ivs.iter().map(|i| self.find(*i)).collect(),
                    None => HashSet::new(),
                };
                let gone: Vec<u32> = ps.ivs.iter().map(|i| self.find(*i)).filter(|i| !carried.contains(i)).collect();
                if gone.is_empty() {
                    continue;
                }
                let cref = self.commit_ref_once(&mut commit_ref, rec.oid)?;
                for i in gone {
                    if let Some(iv) = self.timeline.intervals.get_mut(i as usize) {
                        iv.removed = Some(cref);
                    }
                }
            }
        }
        Ok(state)
    }

    /// The intervals of `parsed`'s packages at a commit whose parents had `pstates` for the
    /// same lockfile: carried from a parent, or new here. `fresh`: the revision's checksums are
    /// compared with every earlier sighting.
    fn carry(&mut self, path_id: u32, parsed: &Parsed, pstates: &[Arc<PathState>], cref: u32, fresh: bool) -> Vec<u32> {
        let mut ivs = Vec::with_capacity(parsed.entries.len());
        for e in &parsed.entries {
            let mut found: Vec<u32> = Vec::new();
            for ps in pstates {
                if let Some(j) = ps.parsed.find(e.key)
                    && let Some(iv) = ps.ivs.get(j)
                {
                    let r = self.find(*iv);
                    found.push(r);
                }
            }
            found.sort_unstable();
            found.dedup();
            let iv = if let Some(first) = found.first().copied() {
                for other in found.iter().skip(1) {
                    if let Some(o) = self.timeline.intervals.get_mut(*other as usize) {
                        o.merged_into = Some(first);
                    }
                }
                if let Some(i) = self.timeline.intervals.get_mut(first as usize) {
                    i.removed = None;
                }
                first
            } else {
                let iv = self.new_interval(path_id, e, cref);
                self.source_change(iv, e, pstates);
                iv
            };
            if fresh {
                self.drift(iv, e, cref);
            }
            ivs.push(iv);
        }
        ivs
    }

    /// The packages of several revisions of one lockfile, each key once (the first's).
    fn union(&self, states: &[Arc<PathState>]) -> Parsed {
        self.parsed(states.iter().flat_map(|s| s.parsed.entries.iter().copied()).collect())
    }

    /// A new version whose name the parent revision had, from other sources only: it moved.
    fn source_change(&mut self, iv: u32, e: &Entry, pstates: &[Arc<PathState>]) {
        let Some((id, data)) = self.keys.get(e.key as usize) else { return };
        let mut from: Vec<String> = Vec::new();
        let mut any_default = false;
        for ps in pstates {
            for other in ps.parsed.named(data.name_key) {
                if let Some((oid, odata)) = self.keys.get(other.key as usize) {
                    if oid.source == id.source {
                        return;
                    }
                    any_default |= odata.default_registry;
                    from.push(oid.source.clone());
                }
            }
        }
        if from.is_empty() {
            return;
        }
        from.sort();
        from.dedup();
        let left = any_default && !data.default_registry && !id.source.starts_with("path ");
        self.timeline.moves.push(Move { interval: iv, from, left_default_registry: left });
    }

    /// Checksums: the same version and source with checksums sharing none with any earlier
    /// sighting (of one algorithm) drifted.
    fn drift(&mut self, iv: u32, e: &Entry, cref: u32) {
        if e.sums == u32::MAX {
            return;
        }
        let sums = self.sums_of(e.sums).to_vec();
        let Some((first_iv, seen)) = self.checksums.get_mut(&e.key) else {
            self.checksums.insert(e.key, (iv, sums));
            return;
        };
        let algorithm = |c: &str| c.split_once(':').map(|(a, _)| a.to_ascii_lowercase());
        let comparable = sums.iter().find(|c| seen.iter().any(|s| algorithm(s) == algorithm(c)));
        let drifted = comparable.is_some_and(|c| {
            let alg = algorithm(c);
            !sums.iter().filter(|x| algorithm(x) == alg).any(|x| seen.iter().any(|s| s.eq_ignore_ascii_case(x)))
        });
        let earlier = comparable.and_then(|c| seen.iter().find(|s| algorithm(s) == algorithm(c)).cloned());
        let first_iv = *first_iv;
        for s in &sums {
            if !seen.iter().any(|x| x.eq_ignore_ascii_case(s)) {
                seen.push(s.clone());
            }
        }
        if drifted && let (Some(now), Some(before)) = (comparable.cloned(), earlier) {
            let (first_commit, first_lockfile) = self
                .timeline
                .intervals
                .get(first_iv as usize)
                .map(|i| (i.introduced, i.lockfile.clone()))
                .unwrap_or_default();
            self.timeline.drifts.push(Drift {
                interval: iv,
                commit: cref,
                checksum: now,
                first_commit,
                first_lockfile,
                first_checksum: before,
            });
        }
    }

    fn save(&self, tip_state: &CommitState) -> Saved {
        let tip = tip_state
            .iter()
            .map(|(path_id, ps)| SavedPath {
                path: self.paths.get(*path_id as usize).cloned().unwrap_or_default(),
                blob: ps.blob.to_string(),
                deps: ps.deps.1.iter().map(|(p, b)| (p.clone(), b.map(|b| b.to_string()))).collect(),
                packages: ps
                    .parsed
                    .entries
                    .iter()
                    .zip(&ps.ivs)
                    .map(|(e, iv)| (*iv, self.sums_of(e.sums).to_vec()))
                    .collect(),
            })
            .collect();
        let seen = self
            .seen
            .iter()
            .map(|(p, b)| (self.paths.get(*p as usize).cloned().unwrap_or_default(), b.to_string()))
            .collect();
        let checksums = self.checksums.values().cloned().collect();
        Saved { timeline: self.timeline.clone(), tip_state: tip, seen, checksums }
    }
}

/// The first 12 hex digits of a commit id.
pub fn short(oid: Oid) -> String {
    short_id(&oid.to_string())
}

/// The first 12 characters of a commit id.
pub fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}
