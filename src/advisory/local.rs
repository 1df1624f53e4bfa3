//! The managed local advisory database (`chainward db update|status|path`), under
//! `<cache>/db/`:
//!
//! - `rustsec`: a symbolic link to the current copy of the RustSec advisory-db,
//!   `rustsec-<stamp>`. An update downloads the repository as a gzip tar archive over HTTPS
//!   (`ureq`, as for the OSV zips; [`RUSTSEC_URL`]) into a private temporary directory
//!   (`.rustsec-tmp-<pid>-<stamp>`), extracts it there ([`extract_rustsec_archive`]: the archive
//!   is untrusted, so only regular files under `crates/` and `rust/` with safe paths are
//!   written, within size limits), renames the result to a new `rustsec-<stamp>` and re-points
//!   the link with one atomic rename. A killed or failed update therefore leaves the live copy
//!   as it was, never half old and half new. The previous copy is kept until the next update (a
//!   scan that started before the switch still reads it); older ones, and temporary directories
//!   of killed updates, are removed under the update lock. (A database written by an older
//!   chainward with a real `rustsec/` directory is moved aside once, at its first update.
//!   Without symbolic links, on non-Unix systems, the switch is two renames.) Each copy holds a
//!   `.chainward-source` file: the URL it came from, the commit (from the archive's pax header)
//!   and the `ETag`, with which the next update revalidates (`If-None-Match`; a 304 keeps the
//!   live copy). The archive has no git history: the managed RustSec records have no
//!   [`modified`](super::Advisory::modified) date (the crates.io OSV export beside them carries
//!   one for the same RUSTSEC ids).
//! - `osv/<Ecosystem>.zip`: osv.dev's per-ecosystem `all.zip`, downloaded over HTTPS with
//!   `ureq` to a temporary file, checked to be a readable zip, then renamed over the old one
//!   (an interrupted download leaves the old database in use); `ETag` revalidation skips
//!   unchanged files;
//! - `updated`: written after an update; its age is the database's age.
//!
//! An exclusive lock on `<cache>/db/.lock` serialises updates, so two runs never interleave.
//!
//! Nothing waits for ever on a server ([`Timeouts`]): HTTP has connect, response and per-read
//! (stall) timeouts and a total budget. `file://` URLs (mirrors, tests) are read from the local
//! file system.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::model::Ecosystem;
use crate::{panics, sanitize};

/// The RustSec advisory database: the advisory-db repository's `main` branch as a gzip tar
/// archive.
pub const RUSTSEC_URL: &str = "https://github.com/rustsec/advisory-db/archive/refs/heads/main.tar.gz";
/// osv.dev's bucket: `<base>/<Ecosystem>/all.zip`.
pub const OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// A database older than this is refreshed by `scan` (unless `--offline`).
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// OSV ecosystems downloaded by default (npm's export is large: ask for it with `--ecosystem`).
pub const DEFAULT_ECOSYSTEMS: [Ecosystem; 3] = [Ecosystem::Cargo, Ecosystem::PyPI, Ecosystem::Go];

/// The name of the live RustSec copy (a symbolic link to the current version) under the root.
const RUSTSEC_LINK: &str = "rustsec";
/// Versions of the copy are `rustsec-<stamp>`.
const RUSTSEC_VERSION_PREFIX: &str = "rustsec-";
/// Where an update works: `.rustsec-tmp-<pid>-<stamp>`.
const RUSTSEC_TMP_PREFIX: &str = ".rustsec-tmp-";
/// The new link before it is renamed over the live one: `.rustsec-link-<pid>-<stamp>`.
const RUSTSEC_LINK_TMP_PREFIX: &str = ".rustsec-link-";

/// In each version of the RustSec copy: where it came from (one line of JSON: the URL, the
/// commit and the `ETag`).
pub const SOURCE_FILE: &str = ".chainward-source";
/// The most a RustSec archive download may hold (compressed; advisory-db's is a few MiB).
const MAX_ARCHIVE_DOWNLOAD: u64 = 128 << 20;
/// The most an OSV export may hold (npm's is the largest, about 1 GiB).
const MAX_ZIP_DOWNLOAD: u64 = 2 << 30;

/// Where the sources live and where they are fetched from.
#[derive(Debug, Clone)]
pub struct UpdateConfig {
    /// URL of the RustSec advisory-db as a gzip tar archive ([`RUSTSEC_URL`]; `http://`,
    /// `https://`, or `file://` of a local `.tar.gz` for tests and mirrors).
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
    /// To connect and receive a first answer (an HTTP response's head).
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

    /// The RustSec copy (a symbolic link to the current version).
    pub fn rustsec_dir(&self) -> PathBuf {
        self.root.join(RUSTSEC_LINK)
    }

    /// The OSV zip of an ecosystem.
    pub fn osv_zip(&self, ecosystem: Ecosystem) -> PathBuf {
        self.root.join("osv").join(format!("{}.zip", ecosystem.as_str()))
    }

    /// Every source present, to scan with. The RustSec copy is listed whenever its link (or
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

        progress(Progress::Step(format!("rustsec: {}", sanitize::value(&config.rustsec_url))));
        match self.update_rustsec(&agent, &config.rustsec_url, timeouts, deadline, progress) {
            Ok(state) => outcome.done.push(format!("rustsec: {state}")),
            Err(e) => outcome.failed.push(format!("rustsec: {e}")),
        }
        for &ecosystem in &config.ecosystems {
            let url = format!("{}/{}/all.zip", config.osv_url.trim_end_matches('/'), ecosystem.as_str());
            progress(Progress::Step(format!("osv {}: {url}", ecosystem.as_str())));
            let result = time_left(deadline, timeouts)
                .and_then(|left| download(&agent, &url, &self.osv_zip(ecosystem), left, timeouts, progress));
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

    /// Download the RustSec archive into a private temporary directory, extract it there and
    /// switch to it; `unchanged` when the server says the live copy is current (`ETag`).
    fn update_rustsec(
        &self,
        agent: &ureq::Agent,
        url: &str,
        timeouts: Timeouts,
        deadline: Instant,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<String, String> {
        let stamp = stamp();
        let tmp = self.root.join(format!("{RUSTSEC_TMP_PREFIX}{stamp}"));
        std::fs::create_dir(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        let result = self.fetch_rustsec(agent, url, &tmp, &stamp, timeouts, deadline, progress);
        // The archive, and the extracted tree when it was not switched to.
        let _ = std::fs::remove_dir_all(&tmp);
        result
    }

    #[expect(clippy::too_many_arguments, reason = "the body of update_rustsec, apart from its clean-up")]
    fn fetch_rustsec(
        &self,
        agent: &ureq::Agent,
        url: &str,
        tmp: &Path,
        stamp: &str,
        timeouts: Timeouts,
        deadline: Instant,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<String, String> {
        let live = self.rustsec_dir();
        // Revalidate only a live copy that came from this URL and is whole.
        let etag = std::fs::read(live.join(SOURCE_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<SourceNote>(&bytes).ok())
            .filter(|note| note.url == url && live.join("crates").is_dir())
            .and_then(|note| note.etag);
        let archive = tmp.join("archive.tar.gz");
        let left = time_left(deadline, timeouts)?;
        let (bytes, etag) =
            match fetch(agent, url, &archive, etag.as_deref(), left, MAX_ARCHIVE_DOWNLOAD, timeouts, progress)? {
                Fetched::Unchanged => return Ok("unchanged".to_owned()),
                Fetched::Downloaded { bytes, etag } => (bytes, etag),
            };
        let tree = tmp.join("tree");
        std::fs::create_dir(&tree).map_err(|e| format!("{}: {e}", tree.display()))?;
        let file = File::open(&archive).map_err(|e| format!("{}: {e}", archive.display()))?;
        let extracted = extract_rustsec_archive(std::io::BufReader::new(file), &tree).map_err(|e| match e {
            ArchiveError::NotAdvisoryDb => {
                format!("{} is not a RustSec advisory-db archive (no crates/ directory)", sanitize::value(url))
            }
            e => format!("{}: {e}", sanitize::value(url)),
        })?;
        let note = SourceNote { url: url.to_owned(), commit: extracted.commit.clone(), etag };
        if let Ok(mut line) = serde_json::to_vec(&note) {
            line.push(b'\n');
            std::fs::write(tree.join(SOURCE_FILE), line).map_err(|e| format!("{}: {e}", tree.display()))?;
        }
        let version = format!("{RUSTSEC_VERSION_PREFIX}{stamp}");
        std::fs::rename(&tree, self.root.join(&version)).map_err(|e| format!("{}: {e}", self.root.display()))?;
        let previous = switch_to(&self.root, &version, stamp).map_err(|e| format!("{}: {e}", live.display()))?;
        prune_versions(&self.root, &[version.as_str(), previous.as_deref().unwrap_or_default()]);
        Ok(match extracted.commit {
            Some(commit) => format!("at {}", commit.get(..12).unwrap_or(&commit)),
            None => format!("{bytes} bytes"),
        })
    }
}

/// What `.chainward-source` in a version of the RustSec copy says.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SourceNote {
    /// The archive's URL.
    url: String,
    /// The commit the archive holds (its pax global header), when it says.
    commit: Option<String>,
    /// The server's `ETag` for the archive, to revalidate with.
    etag: Option<String>,
}

/// The time left before `deadline`, or the error of a source not attempted.
fn time_left(deadline: Instant, timeouts: Timeouts) -> Result<Duration, String> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("not attempted: the update's time ({} s) ran out", timeouts.total.as_secs()))
}

/// A name part unique to this process and moment: `<pid>-<nanoseconds since the epoch>`.
fn stamp() -> String {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// Remove what killed updates left (called under the update lock, so no update is running):
/// temporary directories and links, and partial downloads.
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
/// place (a reader in between sees no RustSec copy for that moment).
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

/// Remove the versions of the RustSec copy other than `keep` (the current and the previous).
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

/// The most bytes a RustSec archive may hold uncompressed (the tar stream; advisory-db's is
/// about 10 MiB). It also bounds the memory a long name or pax header can take: the `tar` crate
/// reads those whole.
pub const MAX_ARCHIVE_BYTES: u64 = 64 << 20;
/// The most components a kept path may have below the top directory (advisory-db's files are
/// `crates/<crate>/<id>.md` and `rust/<area>/<id>.md`): a deeper one refuses the archive, so that
/// an archive cannot make directories without end.
pub const MAX_ARCHIVE_DEPTH: usize = 4;
/// The most entries a RustSec archive may hold (advisory-db has a few thousand).
pub const MAX_ARCHIVE_ENTRIES: usize = 100_000;
/// The largest file of a RustSec archive that is kept (an advisory is a few KiB).
pub const MAX_ARCHIVE_FILE: u64 = 1 << 20;
/// The longest path in a RustSec archive, in bytes.
pub const MAX_ARCHIVE_PATH: usize = 1024;
/// The largest pax global header read for the commit.
const MAX_PAX_HEADER: u64 = 64 << 10;

/// The bounds of an archive read: the `MAX_ARCHIVE_*` constants (smaller in unit tests).
#[derive(Debug, Clone, Copy)]
struct Limits {
    bytes: u64,
    entries: usize,
    file: u64,
    path: usize,
}

const LIMITS: Limits =
    Limits { bytes: MAX_ARCHIVE_BYTES, entries: MAX_ARCHIVE_ENTRIES, file: MAX_ARCHIVE_FILE, path: MAX_ARCHIVE_PATH };

/// Why a RustSec archive was refused. Paths in it are sanitised.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not gzip, a truncated stream, a damaged tar header.
    #[error("not a readable .tar.gz archive: {0}")]
    Unreadable(String),
    /// More than [`MAX_ARCHIVE_BYTES`] uncompressed.
    #[error("the archive holds more than {limit} bytes uncompressed")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// More than [`MAX_ARCHIVE_ENTRIES`] entries.
    #[error("the archive holds more than {limit} entries")]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// A file kept that is larger than [`MAX_ARCHIVE_FILE`].
    #[error("`{path}` is larger than {limit} bytes ({size} bytes)")]
    FileTooLarge {
        /// The entry's path in the archive.
        path: String,
        /// Its size, as its header says.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A path that could write outside the destination, or that no advisory-db holds.
    #[error("unsafe path in the archive: `{path}` ({reason})")]
    UnsafePath {
        /// The entry's path in the archive.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The destination refused a file.
    #[error("cannot write `{path}`: {message}")]
    Write {
        /// The file's path under the destination.
        path: String,
        /// The error.
        message: String,
    },
    /// No file under `crates/`.
    #[error("no crates/ directory: not a RustSec advisory-db archive")]
    NotAdvisoryDb,
}

/// What a RustSec archive held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Files kept.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// The commit the archive was made of (40 lowercase hex digits), from the `comment` of
    /// its pax global header (GitHub's archives carry it).
    pub commit: Option<String>,
}

/// Extract a RustSec advisory-db `.tar.gz` (untrusted) into the directory `dest` (new or empty:
/// a file that exists is an error, never overwritten). See [`read_rustsec_archive`] for what
/// is kept and refused.
///
/// # Errors
///
/// [`ArchiveError`]: the archive is refused; what was written so far stays in `dest`, which
/// the caller removes.
pub fn extract_rustsec_archive(reader: impl Read, dest: &Path) -> Result<Extracted, ArchiveError> {
    read_rustsec_archive(reader, &mut |path, contents| {
        let target = dest.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::OpenOptions::new().write(true).create_new(true).open(&target)?.write_all(contents)
    })
}

/// Read a RustSec advisory-db `.tar.gz` (untrusted), giving each file kept to `file` with its
/// path relative to the repository (`crates/demo/RUSTSEC-2099-0001.md`) and its bytes.
///
/// The single top directory GitHub puts first (`advisory-db-main/`) is stripped; only regular
/// files under `crates/` and `rust/`, `README.md` and the top-level `LICENSE*` files are kept;
/// links, devices and other entries are skipped. Refused, whatever its type: a path that is
/// absolute, not UTF-8, longer than [`MAX_ARCHIVE_PATH`], holds `..`, `.`, an empty component,
/// a backslash, a colon or a NUL, or is outside the top directory. Bounded: [`MAX_ARCHIVE_BYTES`]
/// uncompressed, [`MAX_ARCHIVE_ENTRIES`] entries, [`MAX_ARCHIVE_FILE`] per kept file. The
/// gzip stream is read to its end (a truncated one is an error), and at least one file under
/// `crates/` is required.
///
/// # Errors
///
/// [`ArchiveError`], at the first problem (files given to `file` before it stay given).
pub fn read_rustsec_archive(
    reader: impl Read,
    file: &mut dyn FnMut(&str, &[u8]) -> std::io::Result<()>,
) -> Result<Extracted, ArchiveError> {
    read_archive(reader, LIMITS, file)
}

/// [`read_rustsec_archive`] within `limits`.
fn read_archive(
    reader: impl Read,
    limits: Limits,
    file: &mut dyn FnMut(&str, &[u8]) -> std::io::Result<()>,
) -> Result<Extracted, ArchiveError> {
    // Every gzip member, as `gunzip` reads them (a stream cut into members, as `bgzip` or `cat
    // a.gz b.gz` make, loses nothing).
    let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(reader).take(limits.bytes));
    let result = read_entries(&mut archive, limits, file);
    let mut rest = archive.into_inner();
    // The end of the tar is not the end of the gzip stream: read on to it, so that a truncated
    // stream or a wrong checksum is an error.
    let result = result.and_then(|extracted| {
        std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| unreadable(&e))?;
        Ok(extracted)
    });
    if rest.limit() == 0 {
        return Err(ArchiveError::TooLarge { limit: limits.bytes });
    }
    result
}

fn unreadable(e: &std::io::Error) -> ArchiveError {
    ArchiveError::Unreadable(sanitize::diagnostic(&e.to_string()))
}

/// The entries of [`read_rustsec_archive`].
fn read_entries<R: Read>(
    archive: &mut tar::Archive<R>,
    limits: Limits,
    file: &mut dyn FnMut(&str, &[u8]) -> std::io::Result<()>,
) -> Result<Extracted, ArchiveError> {
    let mut extracted = Extracted::default();
    let mut top: Option<String> = None;
    let mut crates = false;
    let mut contents = Vec::new();
    for (n, entry) in archive.entries().map_err(|e| unreadable(&e))?.enumerate() {
        if n >= limits.entries {
            return Err(ArchiveError::TooManyEntries { limit: limits.entries });
        }
        let mut entry = entry.map_err(|e| unreadable(&e))?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            if entry.size() <= MAX_PAX_HEADER
                && let Some(commit) = pax_commit(&mut entry)?
            {
                extracted.commit = Some(commit);
            }
            continue;
        }
        let (first, rel) = archive_path(&entry.path_bytes(), kind.is_dir(), limits.path)?;
        match &top {
            None => top = Some(first),
            Some(top) if *top != first => {
                return Err(ArchiveError::UnsafePath {
                    path: sanitize::value(&format!("{first}/{}", rel.unwrap_or_default())),
                    reason: "outside the archive's top directory",
                });
            }
            Some(_) => {}
        }
        // The top directory itself, directories (made as files need them), links, devices,
        // and what an advisory-db does not need.
        let Some(rel) = rel else { continue };
        if !kind.is_file() || !kept(&rel) {
            continue;
        }
        if rel.split('/').count() > MAX_ARCHIVE_DEPTH {
            return Err(ArchiveError::UnsafePath {
                path: sanitize::value(&rel),
                reason: "deeper than an advisory-db's layout",
            });
        }
        let size = entry.size();
        if size > limits.file {
            return Err(ArchiveError::FileTooLarge { path: sanitize::value(&rel), size, limit: limits.file });
        }
        contents.clear();
        (&mut entry).take(limits.file).read_to_end(&mut contents).map_err(|e| unreadable(&e))?;
        if contents.len() as u64 != size {
            return Err(ArchiveError::Unreadable(format!("`{}` is truncated", sanitize::value(&rel))));
        }
        file(&rel, &contents)
            .map_err(|e| ArchiveError::Write { path: sanitize::value(&rel), message: e.to_string() })?;
        extracted.files += 1;
        extracted.bytes += size;
        crates |= rel.starts_with("crates/");
    }
    if !crates {
        return Err(ArchiveError::NotAdvisoryDb);
    }
    Ok(extracted)
}

/// Whether a file of the repository (its path without the top directory) is kept.
fn kept(rel: &str) -> bool {
    rel.starts_with("crates/")
        || rel.starts_with("rust/")
        || rel == "README.md"
        || (rel.starts_with("LICENSE") && !rel.contains('/'))
}

/// An entry's path checked: its top directory and the rest (`None` for the top directory
/// itself). A directory's one trailing `/` is allowed.
fn archive_path(raw: &[u8], dir: bool, max: usize) -> Result<(String, Option<String>), ArchiveError> {
    let refuse = |reason| ArchiveError::UnsafePath { path: sanitize::value(&String::from_utf8_lossy(raw)), reason };
    if raw.len() > max {
        return Err(refuse("too long"));
    }
    let Ok(path) = std::str::from_utf8(raw) else { return Err(refuse("not UTF-8")) };
    if path.contains('\0') {
        return Err(refuse("a NUL"));
    }
    if path.contains('\\') {
        return Err(refuse("a backslash"));
    }
    if path.contains(':') {
        return Err(refuse("a colon"));
    }
    if path.starts_with('/') {
        return Err(refuse("absolute"));
    }
    let path = if dir { path.strip_suffix('/').unwrap_or(path) } else { path };
    for component in path.split('/') {
        match component {
            "" => return Err(refuse("an empty component")),
            "." | ".." => return Err(refuse("a `.` or `..` component")),
            _ => {}
        }
    }
    Ok(match path.split_once('/') {
        Some((first, rest)) => (first.to_owned(), Some(rest.to_owned())),
        None => (path.to_owned(), None),
    })
}

/// The commit a pax global header names: its `comment`, when that is 40 hex digits (what
/// `git archive` writes).
fn pax_commit<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Option<String>, ArchiveError> {
    let Some(extensions) = entry.pax_extensions().map_err(|e| unreadable(&e))? else { return Ok(None) };
    let mut commit = None;
    for extension in extensions {
        let extension = extension.map_err(|e| unreadable(&e))?;
        let value = extension.value_bytes();
        if extension.key_bytes() == b"comment" && value.len() == 40 && value.iter().all(u8::is_ascii_hexdigit) {
            commit = Some(String::from_utf8_lossy(value).to_ascii_lowercase());
        }
    }
    Ok(commit)
}

/// What [`fetch`] got.
enum Fetched {
    /// The server answered 304 to `If-None-Match`: nothing was written.
    Unchanged,
    /// The whole body is in the temporary file.
    Downloaded {
        /// Its size.
        bytes: u64,
        /// The server's `ETag`, when it sent one.
        etag: Option<String>,
    },
}

/// A failed request as a message: a timeout says what the update gave up on.
fn call_error(e: &ureq::Error, timeouts: Timeouts) -> String {
    match e {
        ureq::Error::Timeout(ureq::Timeout::Global) => {
            format!("gave up: the update's time ({} s) ran out ({e})", timeouts.total.as_secs())
        }
        ureq::Error::Timeout(_) => {
            format!("gave up: no answer from the server within {} s ({e})", timeouts.connect.as_secs_f32())
        }
        e => sanitize::diagnostic(&e.to_string()),
    }
}

/// Download `url` into the new file `tmp` (at most `limit` bytes, within `budget`), sending
/// `etag` as `If-None-Match`. `file://` URLs are copied from the local file (no `ETag`). The
/// caller removes `tmp` on failure.
#[expect(clippy::too_many_arguments, reason = "one private helper of the two downloads")]
fn fetch(
    agent: &ureq::Agent,
    url: &str,
    tmp: &Path,
    etag: Option<&str>,
    budget: Duration,
    limit: u64,
    timeouts: Timeouts,
    progress: &mut dyn FnMut(Progress),
) -> Result<Fetched, String> {
    let mut file = File::create(tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    if let Some(path) = url.strip_prefix("file://") {
        let mut source = File::open(path).map_err(|e| format!("{}: {e}", sanitize::value(path)))?;
        let length = source.metadata().ok().map(|m| m.len());
        let bytes = copy_bounded(&mut source, &mut file, tmp, limit, length, progress)?;
        file.sync_all().map_err(|e| format!("{}: {e}", tmp.display()))?;
        return Ok(Fetched::Downloaded { bytes, etag: None });
    }
    let mut request = agent.get(url).config().timeout_global(Some(budget)).build();
    if let Some(etag) = etag {
        request = request.header("If-None-Match", etag.trim());
    }
    let mut response = request.call().map_err(|e| call_error(&e, timeouts))?;
    let status = response.status().as_u16();
    if status == 304 && etag.is_some() {
        return Ok(Fetched::Unchanged);
    }
    if status != 200 {
        return Err(format!("HTTP {status}"));
    }
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let length = response.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let mut reader = response.body_mut().with_config().limit(limit).reader();
    let bytes = copy_bounded(&mut reader, &mut file, tmp, limit, length, progress)?;
    file.sync_all().map_err(|e| format!("{}: {e}", tmp.display()))?;
    Ok(Fetched::Downloaded { bytes, etag })
}

/// Copy `reader` to `file` (at `path`), at most `limit` bytes, reporting progress.
fn copy_bounded(
    reader: &mut dyn Read,
    file: &mut File,
    path: &Path,
    limit: u64,
    length: Option<u64>,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64, String> {
    let mut buf = vec![0u8; 1 << 16];
    let mut total: u64 = 0;
    let mut reported: u64 = 0;
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| format!("download interrupted: {}", sanitize::diagnostic(&e.to_string())))?;
        if n == 0 {
            return Ok(total);
        }
        total = total.saturating_add(n as u64);
        if total > limit {
            return Err(format!("the download is larger than {limit} bytes"));
        }
        file.write_all(buf.get(..n).unwrap_or_default()).map_err(|e| format!("{}: {e}", path.display()))?;
        if total - reported >= 1 << 18 {
            reported = total;
            progress(Progress::Bytes { done: total, total: length });
        }
    }
}

/// Download `url` to `dest` through a temporary file; `ETag` revalidation.
fn download(
    agent: &ureq::Agent,
    url: &str,
    dest: &Path,
    budget: Duration,
    timeouts: Timeouts,
    progress: &mut dyn FnMut(Progress),
) -> Result<String, String> {
    let etag_file = dest.with_extension("zip.etag");
    let etag = if dest.is_file() { std::fs::read_to_string(&etag_file).ok() } else { None };
    let tmp = dest.with_extension(format!("zip.tmp-{}", std::process::id()));
    let result =
        fetch(agent, url, &tmp, etag.as_deref(), budget, MAX_ZIP_DOWNLOAD, timeouts, progress).and_then(|fetched| {
            if let Fetched::Downloaded { .. } = fetched {
                // A truncated or wrong file never replaces a good one.
                let check = File::open(&tmp).map_err(|e| e.to_string())?;
                panics::contain(|| zip::ZipArchive::new(check))?.map_err(|e| format!("not a valid zip: {e}"))?;
            }
            Ok(fetched)
        });
    match result {
        Ok(Fetched::Unchanged) => {
            let _ = std::fs::remove_file(&tmp);
            Ok("unchanged".to_owned())
        }
        Ok(Fetched::Downloaded { bytes, etag }) => {
            std::fs::rename(&tmp, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
            match etag {
                Some(etag) => {
                    let _ = std::fs::write(&etag_file, etag);
                }
                None => {
                    let _ = std::fs::remove_file(&etag_file);
                }
            }
            Ok(format!("{bytes} bytes"))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const SMALL: Limits = Limits { bytes: 64 << 10, entries: 8, file: 100, path: 64 };

    fn gzip(tar: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(tar).unwrap();
        gz.finish().unwrap()
    }

    fn read(archive: &[u8], limits: Limits) -> (Result<Extracted, ArchiveError>, BTreeMap<String, Vec<u8>>) {
        let mut files = BTreeMap::new();
        let result = read_archive(archive, limits, &mut |path, contents| {
            files.insert(path.to_owned(), contents.to_vec());
            Ok(())
        });
        (result, files)
    }

    /// A tar of regular files (paths checked by the `tar` crate, long ones as pax `path`
    /// records, as `git archive` writes them).
    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, data) in files {
            if path.len() > 100 {
                builder.append_pax_extensions([("path", path.as_bytes())]).unwrap();
            }
            let mut header = tar::Header::new_ustar();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            let short = if path.len() > 100 { "advisory-db-main/placeholder" } else { path };
            header.set_path(short).unwrap();
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn long_paths_from_pax_records_are_read_and_limits_are_kept() {
        let long = format!("advisory-db-main/crates/{}/RUSTSEC-2099-0001.md", "x".repeat(90));
        let tar = tar_of(&[(&long, b"long"), ("advisory-db-main/crates/a/b.md", b"short")]);
        let (result, files) = read(&gzip(&tar), LIMITS);
        assert_eq!(result.unwrap().files, 2);
        assert_eq!(files.get(long.strip_prefix("advisory-db-main/").unwrap()).map(Vec::as_slice), Some(&b"long"[..]));

        // The same with a path longer than the limit.
        let (result, _) = read(&gzip(&tar), SMALL);
        assert!(matches!(result, Err(ArchiveError::UnsafePath { reason: "too long", .. })), "{result:?}");
    }

    #[test]
    fn the_entry_count_file_size_and_total_size_are_bounded() {
        let many: Vec<(String, &[u8])> =
            (0..9).map(|i| (format!("advisory-db-main/crates/a/{i}.md"), &b"x"[..])).collect();
        let many: Vec<(&str, &[u8])> = many.iter().map(|(p, d)| (p.as_str(), *d)).collect();
        let (result, _) = read(&gzip(&tar_of(&many)), SMALL);
        assert!(matches!(result, Err(ArchiveError::TooManyEntries { limit: 8 })), "{result:?}");
        assert!(read(&gzip(&tar_of(&many[..8])), SMALL).0.is_ok());

        let big = vec![b'a'; 101];
        let (result, files) = read(&gzip(&tar_of(&[("advisory-db-main/crates/a/big.md", &big)])), SMALL);
        assert!(matches!(result, Err(ArchiveError::FileTooLarge { size: 101, limit: 100, .. })), "{result:?}");
        assert!(files.is_empty());
        // A large file that is not kept is skipped, but counts towards the total.
        let huge = vec![0u8; 70 << 10];
        let tar = tar_of(&[("advisory-db-main/crates/a/b.md", b"x"), ("advisory-db-main/docs/huge.bin", &huge)]);
        let (result, _) = read(&gzip(&tar), SMALL);
        assert!(matches!(result, Err(ArchiveError::TooLarge { limit: 65_536 })), "{result:?}");
        assert!(read(&gzip(&tar), LIMITS).0.is_ok());
    }

    #[test]
    fn the_gzip_stream_is_read_to_its_end_and_a_bad_checksum_refused() {
        let tar = tar_of(&[("advisory-db-main/crates/a/b.md", b"x")]);
        let mut gz = gzip(&tar);
        let (result, _) = read(&gz, LIMITS);
        assert!(result.is_ok(), "{result:?}");
        // The CRC-32 at the end of the stream.
        let at = gz.len() - 8;
        gz[at] ^= 0xff;
        let (result, _) = read(&gz, LIMITS);
        assert!(matches!(result, Err(ArchiveError::Unreadable(_))), "{result:?}");
    }

    #[test]
    fn paths_are_checked_component_by_component() {
        let ok = |p: &str| archive_path(p.as_bytes(), false, 1024).map_err(|e| e.to_string());
        assert_eq!(ok("top/crates/a.md").unwrap(), ("top".to_owned(), Some("crates/a.md".to_owned())));
        assert_eq!(archive_path(b"top/", true, 1024).unwrap(), ("top".to_owned(), None));
        assert_eq!(archive_path(b"top/crates/", true, 1024).unwrap(), ("top".to_owned(), Some("crates".to_owned())));
        for (bad, reason) in [
            ("top/crates/", "an empty component"),
            ("/top/a", "absolute"),
            ("top/../a", "`..`"),
            ("top/./a", "`.`"),
            ("top\\a", "a backslash"),
            ("top/a\0b", "a NUL"),
            ("top/c:a", "a colon"),
            ("", "an empty component"),
        ] {
            let e = ok(bad).unwrap_err();
            assert!(e.contains(reason), "{bad:?}: {e}");
        }
        let e = archive_path(b"top/\xff", false, 1024).unwrap_err().to_string();
        assert!(e.contains("not UTF-8"), "{e}");
        assert!(kept("crates/a/b.md") && kept("rust/x.md") && kept("README.md") && kept("LICENSE-MIT"));
        assert!(!kept(".github/x.yml") && !kept("crates") && !kept("LICENSES/MIT.txt") && !kept("docs/README.md"));
    }

    #[test]
    fn the_commit_comes_from_a_pax_global_header_of_forty_hex_digits() {
        let with_global = |comment: &str| {
            let record = format!("comment={comment}\n");
            let mut len = record.len() + 2;
            if format!("{len} {record}").len() != len {
                len += 1;
            }
            let record = format!("{len} {record}");
            let mut header = tar::Header::new_ustar();
            header.set_path("pax_global_header").unwrap();
            header.set_entry_type(tar::EntryType::XGlobalHeader);
            header.set_size(record.len() as u64);
            header.set_cksum();
            let mut tar = tar::Builder::new(Vec::new());
            tar.append(&header, record.as_bytes()).unwrap();
            let rest = tar_of(&[("advisory-db-main/crates/a/b.md", b"x")]);
            let mut bytes = tar.into_inner().unwrap();
            // Without the end-of-archive blocks, so that the entries go on.
            bytes.truncate(bytes.len() - 1024);
            bytes.extend_from_slice(&rest);
            read(&gzip(&bytes), LIMITS).0.unwrap().commit
        };
        let sha = "0123456789ABCDEF0123456789abcdef01234567";
        assert_eq!(with_global(sha).as_deref(), Some(sha.to_ascii_lowercase().as_str()));
        assert_eq!(with_global("not a commit"), None);
        assert_eq!(with_global(&sha[..39]), None);
    }
}
