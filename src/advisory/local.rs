//! The managed local advisory database (`chainward db update|status|path`), under
//! `<cache>/db/`:
//!
//! - `rustsec`: a symbolic link to the current git clone of the RustSec advisory-db,
//!   `rustsec-<stamp>`. An update never touches the live clone: it copies it locally (a `git`
//!   local clone, objects hard-linked) into a private temporary directory
//!   (`.rustsec-tmp-<pid>-<stamp>`), fetches and checks out there, renames the result to a new
//!   `rustsec-<stamp>` and re-points the link with one atomic rename. A killed update
//!   therefore leaves the live clone as it was, never half old and half new. The previous clone
//!   is kept until the next update (a scan that started before the switch still reads it);
//!   older ones, and temporary directories of killed updates, are removed under the update
//!   lock. (A database written by an older chainward with a real `rustsec/` directory is moved
//!   aside once, at its first update. Without symbolic links, on non-Unix systems, the switch is
//!   two renames.)
//! - `osv/<Ecosystem>.zip`: osv.dev's per-ecosystem `all.zip`, downloaded over HTTPS with
//!   `ureq` to a temporary file, checked to be a readable zip, then renamed over the old one
//!   (an interrupted download leaves the old database in use); `ETag` revalidation skips
//!   unchanged files;
//! - `updated`: written after an update; its age is the database's age.
//!
//! An exclusive lock on `<cache>/db/.lock` serialises updates, so two runs never interleave.
//!
//! Nothing waits for ever on a server ([`Timeouts`]): HTTP has connect, response and per-read
//! (stall) timeouts and a total budget; libgit2 offers no safe timeout, so a git transfer runs
//! on a worker thread whose progress is watched, and is abandoned (the thread left to die with
//! the process, inside its private temporary directory) when the server does not answer or
//! the transfer stalls.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use crate::model::Ecosystem;
use crate::panics;

/// The RustSec advisory database repository.
pub const RUSTSEC_URL: &str = "https://github.com/rustsec/advisory-db.git";
/// osv.dev's bucket: `<base>/<Ecosystem>/all.zip`.
pub const OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// A database older than this is refreshed by `scan` (unless `--offline`).
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// OSV ecosystems downloaded by default (npm's export is large: ask for it with `--ecosystem`).
pub const DEFAULT_ECOSYSTEMS: [Ecosystem; 3] = [Ecosystem::Cargo, Ecosystem::PyPI, Ecosystem::Go];

/// The name of the live RustSec clone (a symbolic link to the current version) under the root.
const RUSTSEC_LINK: &str = "rustsec";
/// Versions of the clone are `rustsec-<stamp>`.
const RUSTSEC_VERSION_PREFIX: &str = "rustsec-";
/// Where an update works: `.rustsec-tmp-<pid>-<stamp>`.
const RUSTSEC_TMP_PREFIX: &str = ".rustsec-tmp-";
/// The new link before it is renamed over the live one: `.rustsec-link-<pid>-<stamp>`.
const RUSTSEC_LINK_TMP_PREFIX: &str = ".rustsec-link-";

/// How often the watcher of a git transfer looks at its progress.
const WATCH_POLL: Duration = Duration::from_millis(50);

/// Where the sources live and where they are fetched from.
#[derive(Debug, Clone)]
pub struct UpdateConfig {
    /// Git URL of the RustSec advisory-db (`file://` works for tests and mirrors).
    pub rustsec_url: String,
    /// Base URL of the OSV exports.
    pub osv_url: String,
    /// OSV ecosystems to download.
    pub ecosystems: Vec<Ecosystem>,
}

/// How long an update waits on servers. [`Timeouts::for_update`] for `db update`,
/// [`Timeouts::for_refresh`] for the refresh a scan does first on a stale database (which must
/// give up quickly and use the stale copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To connect and receive a first answer (an HTTP response's head; git's first data).
    pub connect: Duration,
    /// With nothing received (a transfer that stalls), once a transfer has started.
    pub stall: Duration,
    /// For the whole update, every source together.
    pub total: Duration,
    /// Wait for another update holding the database lock to finish (`db update`), or give up
    /// at once and keep the current copy (the refresh before a scan).
    pub wait_for_lock: bool,
}

impl Timeouts {
    /// `db update`: generous (a slow link still gets the PyPI export), never unbounded.
    pub fn for_update() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(30),
            stall: Duration::from_secs(60),
            total: Duration::from_secs(60 * 60),
            wait_for_lock: true,
        }
    }

    /// The implicit refresh of a stale database by `scan`: a few seconds without an answer
    /// and the stale copy is used (four sources that never answer cost the scan 12 s; a slow
    /// link that cannot refresh in 30 s is told to run `db update`).
    pub fn for_refresh() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(3),
            stall: Duration::from_secs(5),
            total: Duration::from_secs(30),
            wait_for_lock: false,
        }
    }
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts::for_update()
    }
}

/// What an update reports while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A new step (`rustsec: URL`, `osv PyPI: URL`).
    Step(String),
    /// Bytes downloaded so far, and the total when the server said it.
    Bytes {
        /// Downloaded.
        done: u64,
        /// `Content-Length`.
        total: Option<u64>,
    },
}

/// What an update did.
#[derive(Debug, Default)]
pub struct UpdateOutcome {
    /// One line per source that was updated or checked.
    pub done: Vec<String>,
    /// One line per source that failed (the old copy, if any, stays in use).
    pub failed: Vec<String>,
}

/// The managed database under a cache directory.
#[derive(Debug, Clone)]
pub struct LocalDb {
    root: PathBuf,
}

impl LocalDb {
    /// The database under `cache_dir`.
    pub fn new(cache_dir: &Path) -> LocalDb {
        LocalDb { root: cache_dir.join("db") }
    }

    /// `<cache>/db`
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The RustSec clone (a symbolic link to the current version).
    pub fn rustsec_dir(&self) -> PathBuf {
        self.root.join(RUSTSEC_LINK)
    }

    /// The OSV zip of an ecosystem.
    pub fn osv_zip(&self, ecosystem: Ecosystem) -> PathBuf {
        self.root.join("osv").join(format!("{}.zip", ecosystem.as_str()))
    }

    /// Every source present, to scan with. The RustSec clone is listed whenever its link (or
    /// directory) exists, even broken: loading it then fails loudly, where leaving it out would
    /// scan without RustSec and report clean.
    pub fn sources(&self) -> Vec<PathBuf> {
        let mut sources = Vec::new();
        if std::fs::symlink_metadata(self.rustsec_dir()).is_ok() {
            sources.push(self.rustsec_dir());
        }
        for e in Ecosystem::ALL {
            if self.osv_zip(e).is_file() {
                sources.push(self.osv_zip(e));
            }
        }
        sources
    }

    /// When the last update finished.
    pub fn updated(&self) -> Option<SystemTime> {
        std::fs::metadata(self.root.join("updated")).and_then(|m| m.modified()).ok()
    }

    /// Whether the database is older than [`STALE_AFTER`] at `now` (or was never updated).
    pub fn is_stale(&self, now: SystemTime) -> bool {
        self.updated().is_none_or(|t| now.duration_since(t).is_ok_and(|age| age > STALE_AFTER))
    }

    /// [`LocalDb::update_with_timeouts`] with [`Timeouts::for_update`].
    pub fn update(&self, config: &UpdateConfig, progress: &mut dyn FnMut(Progress)) -> Result<UpdateOutcome, String> {
        self.update_with_timeouts(config, Timeouts::for_update(), progress)
    }

    /// Fetch every source, one at a time, under the update lock, waiting on servers at most as
    /// `timeouts` allow. A failing source is reported and the others go on; the previous copy
    /// of a failed source stays in use, untouched. Leftovers of killed updates are removed
    /// first.
    pub fn update_with_timeouts(
        &self,
        config: &UpdateConfig,
        timeouts: Timeouts,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<UpdateOutcome, String> {
        let deadline = Instant::now() + timeouts.total;
        std::fs::create_dir_all(self.root.join("osv")).map_err(|e| format!("{}: {e}", self.root.display()))?;
        let lock = File::create(self.root.join(".lock")).map_err(|e| format!("{}: {e}", self.root.display()))?;
        if timeouts.wait_for_lock {
            progress(Progress::Step("waiting for the database lock".to_owned()));
            lock.lock().map_err(|e| format!("cannot lock {}: {e}", self.root.display()))?;
        } else {
            match lock.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    // Another update is at work: a scan does not wait for it.
                    return Ok(UpdateOutcome {
                        done: Vec::new(),
                        failed: vec!["the database: another update is running".to_owned()],
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(format!("cannot lock {}: {e}", self.root.display()));
                }
            }
        }
        remove_leftovers(&self.root);
        let mut outcome = UpdateOutcome::default();

        progress(Progress::Step(format!("rustsec: {}", config.rustsec_url)));
        match self.update_rustsec(&config.rustsec_url, timeouts, deadline, progress) {
            Ok(commit) => outcome.done.push(format!("rustsec: at {commit}")),
            Err(e) => outcome.failed.push(format!("rustsec: {e}")),
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_resolve(Some(timeouts.connect))
            .timeout_connect(Some(timeouts.connect))
            .timeout_send_request(Some(timeouts.connect))
            .timeout_recv_response(Some(timeouts.connect))
            .timeout_per_read(Some(timeouts.stall))
            .http_status_as_error(false)
            .tls_config(crate::registry::tls_config())
            .user_agent(concat!("chainward/", env!("CARGO_PKG_VERSION"), " (+https://github.com/chainward/chainward)"))
            .build()
            .into();
        for &ecosystem in &config.ecosystems {
            let url = format!("{}/{}/all.zip", config.osv_url.trim_end_matches('/'), ecosystem.as_str());
            progress(Progress::Step(format!("osv {}: {url}", ecosystem.as_str())));
            let result = match deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
                Some(left) => download(&agent, &url, &self.osv_zip(ecosystem), left, progress),
                None => Err(format!("not attempted: the update's time ({} s) ran out", timeouts.total.as_secs())),
            };
            match result {
                Ok(state) => outcome.done.push(format!("osv {}: {state}", ecosystem.as_str())),
                Err(e) => outcome.failed.push(format!("osv {}: {e}", ecosystem.as_str())),
            }
        }
        if outcome.failed.is_empty() {
            let _ = File::create(self.root.join("updated")).and_then(|mut f| f.write_all(b"chainward db update\n"));
        }
        drop(lock);
        Ok(outcome)
    }

    /// Bring the RustSec clone up to date in a private temporary directory and switch to it.
    fn update_rustsec(
        &self,
        url: &str,
        timeouts: Timeouts,
        deadline: Instant,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<String, String> {
        let live = self.rustsec_dir();
        let current = std::fs::canonicalize(&live).ok().filter(|d| d.join(".git").is_dir());
        let stamp = stamp();
        let tmp = self.root.join(format!("{RUSTSEC_TMP_PREFIX}{stamp}"));
        let worker_url = url.to_owned();
        let worker_tmp = tmp.clone();
        let result = run_watched(timeouts, deadline, progress, move |watch| {
            fetch_into(&worker_url, current.as_deref(), &worker_tmp, watch)
        });
        let commit = match result {
            Ok(commit) => commit,
            Err(e) => {
                // Best effort: an abandoned worker may still be writing there; the next update
                // removes whatever is left.
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        if !tmp.join("crates").is_dir() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(format!("{url} is not a RustSec advisory-db (no crates/ directory)"));
        }
        let version = format!("{RUSTSEC_VERSION_PREFIX}{stamp}");
        std::fs::rename(&tmp, self.root.join(&version)).map_err(|e| format!("{}: {e}", self.root.display()))?;
        let previous = switch_to(&self.root, &version, &stamp).map_err(|e| format!("{}: {e}", live.display()))?;
        prune_versions(&self.root, &[version.as_str(), previous.as_deref().unwrap_or_default()]);
        Ok(commit)
    }
}

/// A name part unique to this process and moment: `<pid>-<nanoseconds since the epoch>`.
fn stamp() -> String {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// Remove what killed updates left (called under the update lock, so no update is running):
/// temporary clone directories and links, and partial downloads.
fn remove_leftovers(root: &Path) {
    let remove = |path: &Path| {
        // Never follow a link: remove the link itself.
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => {
                let _ = std::fs::remove_dir_all(path);
            }
            Ok(_) => {
                let _ = std::fs::remove_file(path);
            }
            Err(_) => {}
        }
    };
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // `rustsec.tmp-<pid>`: the first-clone directory of older versions.
        if name.starts_with(RUSTSEC_TMP_PREFIX)
            || name.starts_with(RUSTSEC_LINK_TMP_PREFIX)
            || name.starts_with("rustsec.tmp-")
        {
            remove(&entry.path());
        }
    }
    for entry in std::fs::read_dir(root.join("osv")).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().contains(".zip.tmp-") {
            remove(&entry.path());
        }
    }
}

/// Point the live link at `version` with one atomic rename, and return the version it pointed at
/// before (a real directory of an older layout is first moved aside to `rustsec-<stamp>-old`).
#[cfg(unix)]
fn switch_to(root: &Path, version: &str, stamp: &str) -> std::io::Result<Option<String>> {
    let live = root.join(RUSTSEC_LINK);
    let mut previous = std::fs::read_link(&live).ok().and_then(|t| t.file_name()?.to_str().map(str::to_owned));
    let link = root.join(format!("{RUSTSEC_LINK_TMP_PREFIX}{stamp}"));
    let _ = std::fs::remove_file(&link);
    // Relative, so that the cache directory can be moved.
    std::os::unix::fs::symlink(version, &link)?;
    if std::fs::symlink_metadata(&live).is_ok_and(|m| m.is_dir()) {
        let aside = format!("{RUSTSEC_VERSION_PREFIX}{stamp}-old");
        std::fs::rename(&live, root.join(&aside))?;
        previous = Some(aside);
    }
    std::fs::rename(&link, &live).inspect_err(|_| {
        let _ = std::fs::remove_file(&link);
    })?;
    Ok(previous)
}

/// Without symbolic links: the live directory is moved aside, then the new one renamed into
/// place (a reader in between sees no RustSec clone for that moment).
#[cfg(not(unix))]
fn switch_to(root: &Path, version: &str, stamp: &str) -> std::io::Result<Option<String>> {
    let live = root.join(RUSTSEC_LINK);
    let mut previous = None;
    if live.exists() {
        let aside = format!("{RUSTSEC_VERSION_PREFIX}{stamp}-old");
        std::fs::rename(&live, root.join(&aside))?;
        previous = Some(aside);
    }
    std::fs::rename(root.join(version), &live)?;
    Ok(previous)
}

/// Remove the versions of the RustSec clone other than `keep` (the current and the previous).
fn prune_versions(root: &Path, keep: &[&str]) {
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(RUSTSEC_VERSION_PREFIX)
            && !keep.contains(&name)
            && entry.file_type().is_ok_and(|t| t.is_dir())
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The progress of a watched worker, shared with its watcher.
struct Watch {
    state: Mutex<WatchState>,
    cancelled: AtomicBool,
}

struct WatchState {
    /// When something last happened.
    last: Instant,
    /// Waiting for a server's first answer (since `last`).
    waiting: bool,
    /// Bytes received from the server.
    received: u64,
}

impl Watch {
    fn new() -> Watch {
        Watch {
            state: Mutex::new(WatchState { last: Instant::now(), waiting: false, received: 0 }),
            cancelled: AtomicBool::new(false),
        }
    }

    fn update(&self, f: impl FnOnce(&mut WatchState)) {
        if let Ok(mut state) = self.state.lock() {
            f(&mut state);
        }
    }

    /// A request to a server starts: the connect timeout runs until something arrives.
    fn begin_remote(&self) {
        self.update(|s| {
            s.last = Instant::now();
            s.waiting = true;
        });
    }

    /// Something happened (data arrived, a file was checked out): `received` bytes so far, when
    /// known. Returns whether to go on.
    fn tick(&self, received: Option<u64>) -> bool {
        self.update(|s| {
            s.last = Instant::now();
            s.waiting = false;
            if let Some(r) = received {
                s.received = r;
            }
        });
        !self.cancelled.load(Ordering::Relaxed)
    }
}

/// Run `work` on a worker thread and wait for it while it makes progress: give up when a server
/// does not answer within `timeouts.connect`, when nothing happens for `timeouts.stall`, or at
/// `deadline`. A worker given up on is told to stop at its next callback and is otherwise left
/// behind (it cannot be interrupted safely); it must only touch what nobody else uses.
fn run_watched<T: Send + 'static>(
    timeouts: Timeouts,
    deadline: Instant,
    progress: &mut dyn FnMut(Progress),
    work: impl FnOnce(&Watch) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let watch = Arc::new(Watch::new());
    let (tx, rx) = mpsc::channel();
    let worker_watch = Arc::clone(&watch);
    std::thread::Builder::new()
        .name("chainward-update".to_owned())
        .spawn(move || {
            let result = panics::contain(|| work(&worker_watch)).unwrap_or_else(Err);
            let _ = tx.send(result);
        })
        .map_err(|e| format!("cannot start the update thread: {e}"))?;
    let mut reported = 0u64;
    loop {
        match rx.recv_timeout(WATCH_POLL) {
            Ok(result) => return result,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err("the update thread stopped unexpectedly".to_owned());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let Ok((last, waiting, received)) = watch.state.lock().map(|s| (s.last, s.waiting, s.received)) else {
            return Err("the update thread stopped unexpectedly".to_owned());
        };
        if received >= reported.saturating_add(1 << 18) {
            reported = received;
            progress(Progress::Bytes { done: received, total: None });
        }
        let now = Instant::now();
        let idle = now.saturating_duration_since(last);
        let failure = if now >= deadline {
            Some(format!("gave up: the update's time ({} s) ran out", timeouts.total.as_secs()))
        } else if waiting && idle > timeouts.connect {
            Some(format!("gave up: no answer from the server within {} s", timeouts.connect.as_secs_f32()))
        } else if !waiting && idle > timeouts.stall {
            Some(format!("gave up: the transfer stalled (nothing received for {} s)", timeouts.stall.as_secs_f32()))
        } else {
            None
        };
        if let Some(failure) = failure {
            watch.cancelled.store(true, Ordering::Relaxed);
            return Err(failure);
        }
    }
}

/// On a worker thread: make `tmp` a clone of `url` at the remote's HEAD. From `current` (the live
/// clone) when there is one: a local clone (objects hard-linked, the live clone only read), then
/// a fetch and a hard reset, all inside `tmp`; otherwise a fresh clone.
fn fetch_into(url: &str, current: Option<&Path>, tmp: &Path, watch: &Watch) -> Result<String, String> {
    let short = |oid: git2::Oid| oid.to_string().chars().take(12).collect::<String>();
    let checkout = || {
        let mut checkout = git2::build::CheckoutBuilder::new();
        checkout.force().progress(|_, _, _| {
            watch.tick(None);
        });
        checkout
    };
    let fetch_options = || {
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.transfer_progress(|p| watch.tick(Some(u64::try_from(p.received_bytes()).unwrap_or(u64::MAX))));
        callbacks.sideband_progress(|_| watch.tick(None));
        let mut options = git2::FetchOptions::new();
        options.remote_callbacks(callbacks);
        options
    };
    let local = current.and_then(|current| {
        let source = current.to_str()?;
        let repo = git2::build::RepoBuilder::new().with_checkout(checkout()).clone(source, tmp).ok();
        if repo.is_none() {
            let _ = std::fs::remove_dir_all(tmp);
        }
        repo
    });
    if let Some(repo) = local {
        repo.remote_set_url("origin", url).map_err(|e| e.message().to_owned())?;
        let mut remote = repo.find_remote("origin").map_err(|e| e.message().to_owned())?;
        watch.begin_remote();
        remote
            .fetch(&["HEAD"], Some(&mut fetch_options()), None)
            .map_err(|e| format!("fetch failed: {}", e.message()))?;
        let head =
            repo.find_reference("FETCH_HEAD").and_then(|r| r.peel_to_commit()).map_err(|e| e.message().to_owned())?;
        repo.reset(head.as_object(), git2::ResetType::Hard, Some(&mut checkout()))
            .map_err(|e| e.message().to_owned())?;
        return Ok(short(head.id()));
    }
    watch.begin_remote();
    let repo = git2::build::RepoBuilder::new()
        .fetch_options(fetch_options())
        .with_checkout(checkout())
        .clone(url, tmp)
        .map_err(|e| format!("clone failed: {}", e.message()))?;
    let id = repo.head().and_then(|h| h.peel_to_commit()).map(|c| short(c.id())).map_err(|e| e.message().to_owned())?;
    Ok(id)
}

/// Download `url` to `dest` through a temporary file; `ETag` revalidation.
fn download(
    agent: &ureq::Agent,
    url: &str,
    dest: &Path,
    budget: Duration,
    progress: &mut dyn FnMut(Progress),
) -> Result<String, String> {
    let etag_file = dest.with_extension("zip.etag");
    let mut request = agent.get(url).config().timeout_global(Some(budget)).build();
    if dest.is_file()
        && let Ok(etag) = std::fs::read_to_string(&etag_file)
    {
        request = request.header("If-None-Match", etag.trim());
    }
    let mut response = request.call().map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    if status == 304 {
        return Ok("unchanged".to_owned());
    }
    if status != 200 {
        return Err(format!("HTTP {status}"));
    }
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let length = response.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let tmp = dest.with_extension(format!("zip.tmp-{}", std::process::id()));
    let result = (|| -> Result<u64, String> {
        let mut file = File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        let mut reader = response.body_mut().with_config().limit(2 << 30).reader();
        let mut buf = vec![0u8; 1 << 16];
        let mut total: u64 = 0;
        let mut reported: u64 = 0;
        loop {
            let n = reader.read(&mut buf).map_err(|e| format!("download interrupted: {e}"))?;
            if n == 0 {
                break;
            }
            file.write_all(buf.get(..n).unwrap_or_default()).map_err(|e| format!("{}: {e}", tmp.display()))?;
            total += n as u64;
            if total - reported >= 1 << 18 {
                reported = total;
                progress(Progress::Bytes { done: total, total: length });
            }
        }
        file.sync_all().map_err(|e| e.to_string())?;
        // A truncated or wrong file never replaces a good one.
        let check = File::open(&tmp).map_err(|e| e.to_string())?;
        panics::contain(|| zip::ZipArchive::new(check))?.map_err(|e| format!("not a valid zip: {e}"))?;
        Ok(total)
    })();
    match result {
        Ok(total) => {
            std::fs::rename(&tmp, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
            match etag {
                Some(etag) => {
                    let _ = std::fs::write(&etag_file, etag);
                }
                None => {
                    let _ = std::fs::remove_file(&etag_file);
                }
            }
            Ok(format!("{total} bytes"))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
