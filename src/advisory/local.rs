//! The managed local advisory database (`chainward db update|status|path`), under
//! `<cache>/db/`:
//!
//! - `rustsec/`: a git clone of the RustSec advisory-db, fast-forwarded with `git2` (a first
//!   clone goes to a temporary directory and is renamed into place);
//! - `osv/<Ecosystem>.zip`: osv.dev's per-ecosystem `all.zip`, downloaded over HTTPS with
//!   `ureq` to a temporary file, checked to be a readable zip, then renamed over the old one
//!   (an interrupted download leaves the old database in use); `ETag` revalidation skips
//!   unchanged files;
//! - `updated`: written after an update; its age is the database's age.
//!
//! An exclusive lock on `<cache>/db/.lock` serialises updates, so two runs never interleave.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::model::Ecosystem;

/// The RustSec advisory database repository.
pub const RUSTSEC_URL: &str = "https://github.com/rustsec/advisory-db.git";
/// osv.dev's bucket: `<base>/<Ecosystem>/all.zip`.
pub const OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// A database older than this is refreshed by `scan` (unless `--offline`).
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// OSV ecosystems downloaded by default (npm's export is large: ask for it with `--ecosystem`).
pub const DEFAULT_ECOSYSTEMS: [Ecosystem; 3] = [Ecosystem::Cargo, Ecosystem::PyPI, Ecosystem::Go];

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

    /// The RustSec clone.
    pub fn rustsec_dir(&self) -> PathBuf {
        self.root.join("rustsec")
    }

    /// The OSV zip of an ecosystem.
    pub fn osv_zip(&self, ecosystem: Ecosystem) -> PathBuf {
        self.root.join("osv").join(format!("{}.zip", ecosystem.as_str()))
    }

    /// Every source present, to scan with.
    pub fn sources(&self) -> Vec<PathBuf> {
        let mut sources = Vec::new();
        if self.rustsec_dir().join("crates").is_dir() {
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

    /// Fetch every source, one at a time, under the update lock. A failing source is reported
    /// and the others go on.
    pub fn update(&self, config: &UpdateConfig, progress: &mut dyn FnMut(Progress)) -> Result<UpdateOutcome, String> {
        std::fs::create_dir_all(self.root.join("osv")).map_err(|e| format!("{}: {e}", self.root.display()))?;
        let lock = File::create(self.root.join(".lock")).map_err(|e| format!("{}: {e}", self.root.display()))?;
        progress(Progress::Step("waiting for the database lock".to_owned()));
        lock.lock().map_err(|e| format!("cannot lock {}: {e}", self.root.display()))?;
        let mut outcome = UpdateOutcome::default();

        progress(Progress::Step(format!("rustsec: {}", config.rustsec_url)));
        match update_git(&config.rustsec_url, &self.rustsec_dir()) {
            Ok(commit) => outcome.done.push(format!("rustsec: at {commit}")),
            Err(e) => outcome.failed.push(format!("rustsec: {e}")),
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(300)))
            .http_status_as_error(false)
            .tls_config(crate::registry::tls_config())
            .user_agent(concat!("chainward/", env!("CARGO_PKG_VERSION"), " (+https://github.com/chainward/chainward)"))
            .build()
            .into();
        for &ecosystem in &config.ecosystems {
            let url = format!("{}/{}/all.zip", config.osv_url.trim_end_matches('/'), ecosystem.as_str());
            progress(Progress::Step(format!("osv {}: {url}", ecosystem.as_str())));
            match download(&agent, &url, &self.osv_zip(ecosystem), progress) {
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
}

/// Clone `url` into `dir`, or fast-forward an existing clone to the remote's HEAD.
fn update_git(url: &str, dir: &Path) -> Result<String, String> {
    let short = |oid: git2::Oid| oid.to_string().chars().take(12).collect::<String>();
    if dir.join(".git").is_dir() {
        let repo = git2::Repository::open(dir).map_err(|e| e.message().to_owned())?;
        repo.remote_set_url("origin", url).map_err(|e| e.message().to_owned())?;
        let mut remote = repo.find_remote("origin").map_err(|e| e.message().to_owned())?;
        remote.fetch(&["HEAD"], None, None).map_err(|e| format!("fetch failed: {}", e.message()))?;
        let head =
            repo.find_reference("FETCH_HEAD").and_then(|r| r.peel_to_commit()).map_err(|e| e.message().to_owned())?;
        repo.reset(head.as_object(), git2::ResetType::Hard, None).map_err(|e| e.message().to_owned())?;
        return Ok(short(head.id()));
    }
    let tmp = dir.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let repo =
        git2::build::RepoBuilder::new().clone(url, &tmp).map_err(|e| format!("clone failed: {}", e.message()))?;
    let id = repo.head().and_then(|h| h.peel_to_commit()).map(|c| short(c.id())).map_err(|e| e.message().to_owned())?;
    drop(repo);
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(&tmp, dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(id)
}

/// Download `url` to `dest` through a temporary file; `ETag` revalidation.
fn download(agent: &ureq::Agent, url: &str, dest: &Path, progress: &mut dyn FnMut(Progress)) -> Result<String, String> {
    let etag_file = dest.with_extension("zip.etag");
    let mut request = agent.get(url);
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
        zip::ZipArchive::new(check).map_err(|e| format!("not a valid zip: {e}"))?;
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
