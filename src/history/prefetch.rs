//! Lockfile revisions parsed ahead of the walk, on the other cores. The walk plans which
//! (lockfile, blob) pairs it will need, in the order it will need them; workers (each with its
//! own handle on the repository) parse them at most [`WINDOW`] jobs ahead of the one the walk
//! waits for, so memory stays bounded however long the history is.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};

use git2::{Oid, Repository};

use super::tree::{CommitSource, Dep};
use crate::resolve::{ResolveOptions, Resolved, Resolver};

/// How many jobs the workers may run ahead of the walk.
const WINDOW: usize = 32;

/// One lockfile revision to parse, in the tree of the first commit that has it.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub path: String,
    pub resolver: usize,
    pub blob: Oid,
    pub root: Oid,
    pub commit: Oid,
}

/// A parse: the files its resolver read besides the lockfile, and the result; `Err` when the
/// blob itself could not be read (a corrupt repository).
pub(super) type Outcome = Result<(Vec<Dep>, Result<(Resolved, Vec<super::Raw>), String>), String>;

struct Shared {
    horizon: Mutex<usize>,
    moved: Condvar,
    next: AtomicUsize,
    stop: AtomicBool,
}

/// The walk's end of the workers.
pub(super) struct Prefetch {
    rx: Receiver<(usize, Outcome)>,
    shared: Arc<Shared>,
    arrived: HashMap<usize, Outcome>,
}

impl Prefetch {
    /// Start `workers` threads in `scope` on `jobs`.
    pub(super) fn start<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        repo_path: &Path,
        jobs: &'scope [Job],
        resolvers: &'scope [Box<dyn Resolver>],
        workers: usize,
    ) -> Prefetch {
        let (tx, rx) = channel();
        let shared = Arc::new(Shared {
            horizon: Mutex::new(WINDOW),
            moved: Condvar::new(),
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        for _ in 0..workers {
            let tx: Sender<(usize, Outcome)> = tx.clone();
            let shared = Arc::clone(&shared);
            let repo_path = repo_path.to_path_buf();
            scope.spawn(move || {
                // A worker that cannot open the repository parses nothing; the walk parses
                // what it needs itself.
                let Ok(repo) = Repository::open(&repo_path) else { return };
                let repo = Mutex::new(repo);
                loop {
                    let i = shared.next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { return };
                    {
                        let mut horizon = shared.horizon.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        while i > *horizon && !shared.stop.load(Ordering::Relaxed) {
                            horizon = shared.moved.wait(horizon).unwrap_or_else(std::sync::PoisonError::into_inner);
                        }
                    }
                    if shared.stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let outcome = parse(&repo, job, resolvers);
                    if tx.send((i, outcome)).is_err() {
                        return;
                    }
                }
            });
        }
        Prefetch { rx, shared, arrived: HashMap::new() }
    }

    /// The outcome of job `i`, waiting for it (`None` when no worker will deliver it).
    pub(super) fn take(&mut self, i: usize) -> Option<Outcome> {
        {
            let mut horizon = self.shared.horizon.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if *horizon < i + WINDOW {
                *horizon = i + WINDOW;
                self.shared.moved.notify_all();
            }
        }
        loop {
            if let Some(outcome) = self.arrived.remove(&i) {
                return Some(outcome);
            }
            match self.rx.recv() {
                Ok((k, outcome)) => {
                    self.arrived.insert(k, outcome);
                }
                Err(_) => return None,
            }
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let _guard = self.shared.horizon.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.shared.moved.notify_all();
    }
}

/// Parse one job with this worker's repository handle.
pub(super) fn parse(repo: &Mutex<Repository>, job: &Job, resolvers: &[Box<dyn Resolver>]) -> Outcome {
    let bytes = {
        let r = repo.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let blob = r.find_blob(job.blob).map_err(|e| {
            format!(
                "cannot read {} ({}) of commit {} from the repository: {}",
                job.path,
                job.blob,
                job.commit,
                e.message()
            )
        })?;
        blob.content().to_vec()
    };
    let source = CommitSource::new(repo, job.root, &job.path, super::short(job.commit));
    let options = ResolveOptions { lockfile_only: true, ..ResolveOptions::default() };
    let result = match resolvers.get(job.resolver) {
        Some(r) => r.resolve(&source, &job.path, &bytes, &options).map_err(|e| e.to_string()),
        None => Err("no resolver".to_owned()),
    }
    .map(|resolved| {
        let raws = super::raw_entries(&resolved);
        (resolved, raws)
    });
    Ok((source.into_deps(), result))
}
