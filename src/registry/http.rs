//! The one HTTP layer every registry client goes through: `ureq` with a per-request timeout,
//! a body-size cap, a redirect cap (and no redirect from `https://` down to `http://`) and
//! chainward's User-Agent; an on-disk cache with a TTL and conditional revalidation; the
//! crates.io API rate limit; one retry after a `429`/`503` that says when (`Retry-After`); and
//! a per-registry circuit breaker that stops asking a registry that does not answer or keeps
//! failing (connection failures, `429`, `5xx`).
//!
//! Cache layout: `<cache_dir>/<registry>/<sha256(url)>`, one file per URL: a one-line JSON
//! header (`url`, `status`, `fetched_at`, `etag`, `last_modified`), a newline, then the body as
//! received. Written atomically; a 404 is cached too (with an empty body).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{RegistryConfig, safe_text};
pub(crate) use crate::fsutil::hex;

/// The User-Agent sent to every registry (crates.io's crawler policy asks for one that says who
/// is asking and how to reach them).
pub const USER_AGENT: &str =
    concat!("chainward/", env!("CARGO_PKG_VERSION"), " (+https://github.com/chainward/chainward)");

/// Redirects followed before giving up (a loop is an error, not a hang).
pub(crate) const MAX_REDIRECTS: u32 = 5;

/// Consecutive failed requests (connection failures, `429`, `5xx`) after which a registry is not
/// asked again this run.
pub(crate) const BREAKER_THRESHOLD: usize = 3;

/// Longest wait for a `Retry-After` (also capped at the request timeout).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Longest error message kept (the URL and a reason).
const MAX_MESSAGE: usize = 300;

/// Package names a grouped note shows before "and N more".
const NOTE_NAMES: usize = 3;

/// Which registry endpoint a request goes to: the unit of rate limiting, circuit breaking,
/// caching and failure reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Registry {
    /// The crates.io sparse index.
    CratesIndex,
    /// The crates.io web API (one request a second).
    CratesApi,
    /// The npm registry.
    Npm,
    /// PyPI: the JSON API and the Integrity API.
    PyPI,
}

impl Registry {
    /// How reports name it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Registry::CratesIndex => "crates.io",
            Registry::CratesApi => "crates.io API",
            Registry::Npm => "npm",
            Registry::PyPI => "PyPI",
        }
    }

    /// Its directory under the cache.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Registry::CratesIndex => "crates.io-index",
            Registry::CratesApi => "crates.io-api",
            Registry::Npm => "npm",
            Registry::PyPI => "pypi",
        }
    }
}

/// What a response body must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// One JSON document (`Accept: application/json`).
    Json,
    /// One JSON document of the PyPI Integrity API (`Accept: application/vnd.pypi.integrity.v1+json`).
    PypiIntegrity,
    /// One JSON object per line (the crates.io sparse index).
    JsonLines,
    /// Any bytes (a `.crate` archive): only for [`Http::get_bytes`], which checks no shape.
    Bytes,
}

impl Expect {
    fn accept(self) -> &'static str {
        match self {
            Expect::Json => "application/json",
            Expect::PypiIntegrity => "application/vnd.pypi.integrity.v1+json",
            Expect::JsonLines => "application/json, text/plain;q=0.9, */*;q=0.1",
            Expect::Bytes => "application/octet-stream, application/gzip;q=0.9, */*;q=0.1",
        }
    }
}

/// A registry's answer.
#[derive(Debug)]
pub(crate) enum Answer<T> {
    /// 2xx, parsed.
    Found(T),
    /// 404 or 410: the registry does not have it (a real answer, cached like one).
    NotFound,
}

/// How an answer was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// From the cache, younger than the TTL: the registry was not asked.
    Cache,
    /// The registry's answer of this run (2xx, 404, or a 304 confirming the cached copy).
    Network,
    /// From the cache because the registry failed: possibly out of date.
    Stale,
    /// From the cache, offline.
    Offline,
}

/// Why a request gave no usable answer. Grouped per registry and kind in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ErrorKind {
    /// Connection refused, reset, timed out, host not found; or not asked because the
    /// registry's circuit breaker is open.
    Unreachable,
    /// A status other than 2xx, 304, 404, 410.
    Status(u16),
    /// The body is not what was asked for (HTML instead of JSON, ...).
    NotJson,
    /// The body is larger than `max_body`.
    TooLarge,
    /// More than [`MAX_REDIRECTS`] redirects (or a loop).
    Redirects,
    /// A redirect from `https://` to plain `http://`, not followed.
    InsecureRedirect,
    /// The body is JSON of the wrong shape.
    Malformed,
    /// `--offline` and the cache has no answer.
    OfflineMiss,
    /// Anything else (a bad URL, a TLS or protocol error).
    Other,
}

/// A failed request: the kind and a message that is safe to print (control characters
/// removed, length capped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchError {
    /// What kind of failure.
    pub(crate) kind: ErrorKind,
    /// What happened, with the URL.
    pub(crate) message: String,
}

impl FetchError {
    pub(crate) fn new(kind: ErrorKind, message: &str) -> FetchError {
        FetchError { kind, message: safe_text(message, MAX_MESSAGE) }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    url: String,
    status: u16,
    fetched_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
}

#[derive(Debug)]
struct Entry {
    header: Header,
    fetched_at: Option<OffsetDateTime>,
    body: Vec<u8>,
}

/// Guarantees a minimum interval between the starts of two requests, across threads and, through
/// a small file in the cache directory, across chainward processes sharing that cache (two
/// scans in parallel, a monorepo scanned with `xargs -P`): crates.io's policy is per client, not
/// per process.
#[derive(Debug)]
struct Limiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
    /// The file holding the next free start (nanoseconds since 1970), locked while read and
    /// written. `None`, or a file that cannot be used: this process's own pacing only.
    shared: Option<PathBuf>,
}

/// How many intervals ahead a start reserved by other processes is still believed.
const MAX_SHARED_AHEAD: u32 = 32;

impl Limiter {
    fn new(interval: Duration, shared: Option<PathBuf>) -> Limiter {
        Limiter { interval, next: Mutex::new(None), shared }
    }

    fn wait(&self) {
        let delay = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let local = match *next {
                Some(t) if t > now => t.saturating_duration_since(now),
                _ => Duration::ZERO,
            };
            let delay = self.shared.as_deref().and_then(|path| self.reserve_shared(path, local)).unwrap_or(local);
            *next = Some(now.checked_add(delay.saturating_add(self.interval)).unwrap_or(now));
            delay
        };
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    }

    /// Reserve the next start in the shared file, no sooner than `at_least` from now: how long
    /// to wait for it. `None` when the file cannot be used.
    fn reserve_shared(&self, path: &Path, at_least: Duration) -> Option<Duration> {
        use std::io::{Read as _, Seek as _, Write as _};
        std::fs::create_dir_all(path.parent()?).ok()?;
        let mut file =
            std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).ok()?;
        // Another process holds the lock for microseconds; one that holds it longer is not
        // waited for past two seconds.
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return None,
            }
        }
        let mut text = String::new();
        file.read_to_string(&mut text).ok()?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?;
        // Each process sharing the cache may have reserved a start ahead; one further ahead
        // than [`MAX_SHARED_AHEAD`] intervals is a clock that jumped back or a damaged file,
        // and is not waited for.
        let shared = text
            .trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_nanos)
            .filter(|next| *next <= now.saturating_add(self.interval.saturating_mul(MAX_SHARED_AHEAD)))
            .map_or(Duration::ZERO, |next| next.saturating_sub(now));
        let delay = shared.max(at_least);
        let free = u64::try_from(now.saturating_add(delay).saturating_add(self.interval).as_nanos()).ok()?;
        file.set_len(0).ok()?;
        file.rewind().ok()?;
        file.write_all(free.to_string().as_bytes()).ok()?;
        Some(delay)
    }
}

/// Opens after [`BREAKER_THRESHOLD`] consecutive failed requests (connection failures, `429`,
/// `5xx`) and stays open for the rest of the run. A usable answer (2xx, 304, 404) closes the
/// streak; other statuses neither count nor reset.
#[derive(Debug, Default)]
struct Breaker {
    consecutive: AtomicUsize,
    first: Mutex<Option<String>>,
}

impl Breaker {
    fn is_open(&self) -> bool {
        self.consecutive.load(Ordering::SeqCst) >= BREAKER_THRESHOLD
    }

    fn success(&self) {
        if !self.is_open() {
            self.consecutive.store(0, Ordering::SeqCst);
        }
    }

    fn failure(&self, message: &str) {
        let mut first = self.first.lock().unwrap_or_else(PoisonError::into_inner);
        let before = self.consecutive.fetch_add(1, Ordering::SeqCst);
        // The failure that began the streak (once open, the one that opened it stays).
        if first.is_none() || before == 0 {
            *first = Some(message.to_owned());
        }
    }

    fn first_message(&self) -> String {
        self.first.lock().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or_default()
    }
}

/// What a grouped note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NoteKind {
    /// A cached copy was used because the registry failed.
    StaleUsed,
    /// A response could not be written to the cache.
    CacheUnwritable,
}

/// One note's worth of events: the packages (counted, the first few by name named) and the
/// first event's message.
#[derive(Debug, Default)]
struct NoteGroup {
    first: String,
    packages: BTreeSet<String>,
}

/// One request's target: which registry and URL, for which package, expecting what.
#[derive(Debug, Clone, Copy)]
struct Call<'a> {
    registry: Registry,
    url: &'a str,
    package: &'a str,
    expect: Expect,
}

/// Whether requests to `url` must stay on HTTPS through redirects: when it is `https://`.
pub(crate) fn https_only(url: &str) -> bool {
    url.get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// How long to wait before the one retry of a `429` or `503`: its `Retry-After` in seconds,
/// capped at [`MAX_RETRY_AFTER`] and `timeout`; `None` without one (or with an HTTP date).
pub(crate) fn retry_delay(retry_after: Option<&str>, timeout: Duration) -> Option<Duration> {
    let seconds: u64 = retry_after?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER).min(timeout))
}

/// The shared client of one [`super::fetch`] call.
#[derive(Debug)]
pub(crate) struct Http {
    /// Built on first use: building one loads the system's trust store (tens of milliseconds),
    /// which a scan served from the cache never needs.
    agent: std::sync::OnceLock<ureq::Agent>,
    /// For `https://` URLs: refuses a redirect to `http://`.
    https_agent: std::sync::OnceLock<ureq::Agent>,
    cache_dir: Option<PathBuf>,
    offline: bool,
    ttl: Duration,
    timeout: Duration,
    max_body: u64,
    now: OffsetDateTime,
    crates_api: Limiter,
    breakers: [Breaker; 4],
    /// The breaker of [`Http::get_bytes`] (downloads are another host than the index: their
    /// failures do not stop index lookups).
    downloads: Breaker,
    requests: AtomicUsize,
    cache_hits: AtomicUsize,
    notes: Mutex<BTreeMap<(Registry, NoteKind), NoteGroup>>,
}

impl Http {
    /// A client for `config`.
    pub(crate) fn new(config: &RegistryConfig) -> Http {
        Http {
            agent: std::sync::OnceLock::new(),
            https_agent: std::sync::OnceLock::new(),
            cache_dir: config.cache_dir.clone(),
            offline: config.offline,
            ttl: config.ttl,
            timeout: config.timeout,
            max_body: config.max_body,
            now: config.now,
            crates_api: Limiter::new(
                config.crates_io_api_interval,
                config.cache_dir.as_ref().filter(|_| !config.offline).map(|dir| dir.join("crates.io-api.pace")),
            ),
            breakers: Default::default(),
            downloads: Breaker::default(),
            requests: AtomicUsize::new(0),
            cache_hits: AtomicUsize::new(0),
            notes: Mutex::new(BTreeMap::new()),
        }
    }

    /// Requests sent over the network so far.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Answers served from the cache (fresh, offline, after a 304, or stale after an error).
    pub(crate) fn cache_hits(&self) -> usize {
        self.cache_hits.load(Ordering::SeqCst)
    }

    /// Take back `n` cache hits whose answers were not used (asked again instead).
    pub(crate) fn discard_hits(&self, n: usize) {
        let _ = self.cache_hits.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |hits| Some(hits.saturating_sub(n)));
    }

    /// Whether `registry` stopped being asked after repeated failed requests.
    pub(crate) fn gave_up_on(&self, registry: Registry) -> bool {
        self.breaker(registry).is_open()
    }

    /// The failure that began the latest streak of failed requests to `registry`, if any.
    pub(crate) fn first_failure(&self, registry: Registry) -> Option<String> {
        let first = self.breaker(registry).first_message();
        (!first.is_empty()).then_some(first)
    }

    /// Notes gathered while fetching, one per registry and kind (cached copies used because the
    /// registry failed, a cache that cannot be written), with how many packages and the first
    /// few of them. Not yet made safe to print.
    pub(crate) fn take_notes(&self) -> Vec<String> {
        let groups = std::mem::take(&mut *self.notes.lock().unwrap_or_else(PoisonError::into_inner));
        groups
            .into_iter()
            .map(|((registry, kind), group)| {
                let n = group.packages.len();
                let mut names = group.packages.iter().take(NOTE_NAMES).map(String::as_str).collect::<Vec<_>>().join(", ");
                if n > NOTE_NAMES {
                    let _ = write!(names, ", and {} more", n - NOTE_NAMES);
                }
                let label = registry.label();
                match kind {
                    NoteKind::StaleUsed => format!(
                        "{label}: used earlier cached copies for {n} package(s) ({names}) because the registry failed: {}",
                        group.first
                    ),
                    NoteKind::CacheUnwritable => {
                        format!("{label}: cannot write the registry cache for {n} package(s) ({names}): {}", group.first)
                    }
                }
            })
            .collect()
    }

    /// The current time of this run.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// The cache directory, when there is one.
    pub(crate) fn cache_dir(&self) -> Option<&Path> {
        self.cache_dir.as_deref()
    }

    fn breaker(&self, registry: Registry) -> &Breaker {
        let [crates_index, crates_api, npm, pypi] = &self.breakers;
        match registry {
            Registry::CratesIndex => crates_index,
            Registry::CratesApi => crates_api,
            Registry::Npm => npm,
            Registry::PyPI => pypi,
        }
    }

    /// Record an event for a grouped note.
    fn note(&self, registry: Registry, kind: NoteKind, package: &str, message: impl FnOnce() -> String) {
        let mut notes = self.notes.lock().unwrap_or_else(PoisonError::into_inner);
        let group = notes.entry((registry, kind)).or_default();
        if group.packages.is_empty() {
            group.first = safe_text(&message(), MAX_MESSAGE);
        }
        group.packages.insert(safe_text(package, 100));
    }

    /// The agent for `url`: one that stays on HTTPS when `url` is `https://`.
    fn agent_for(&self, url: &str) -> &ureq::Agent {
        if https_only(url) { self.https_agent() } else { self.agent.get_or_init(|| build_agent(self.timeout, false)) }
    }

    /// The agent that refuses to leave HTTPS.
    fn https_agent(&self) -> &ureq::Agent {
        self.https_agent.get_or_init(|| build_agent(self.timeout, true))
    }

    fn cache_path(&self, registry: Registry, url: &str) -> Option<PathBuf> {
        let dir = self.cache_dir.as_ref()?;
        Some(dir.join(registry.slug()).join(hex(&Sha256::digest(url.as_bytes()))))
    }

    /// GET `url` (about `package`) and parse its body with `parse`, through the cache: a fresh
    /// entry (younger than the TTL) is used without a request; a stale one is revalidated;
    /// offline, only the cache is used. A response is cached only once `parse` accepted it.
    pub(crate) fn get<T>(
        &self,
        registry: Registry,
        url: &str,
        package: &str,
        expect: Expect,
        parse: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<Answer<T>, FetchError> {
        self.get_with(registry, url, package, expect, false, parse).map(|(answer, _)| answer)
    }

    /// [`Http::get`], saying how the answer was had; `revalidate`: ask the registry (with a
    /// conditional request) even when the cached entry is younger than the TTL (not offline).
    pub(crate) fn get_with<T>(
        &self,
        registry: Registry,
        url: &str,
        package: &str,
        expect: Expect,
        revalidate: bool,
        parse: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<(Answer<T>, Origin), FetchError> {
        let call = Call { registry, url, package, expect };
        let path = self.cache_path(registry, url);
        let mut entry = path.as_deref().and_then(|p| self.read_entry(p, url));
        if let Some(cached) = &entry {
            let fresh = cached.fetched_at.is_some_and(|at| {
                let age = self.now - at;
                age >= time::Duration::ZERO && age < self.ttl
            });
            if self.offline || (fresh && !revalidate) {
                match serve(cached, expect, &parse) {
                    Ok(answer) => {
                        self.cache_hits.fetch_add(1, Ordering::SeqCst);
                        return Ok((answer, if self.offline { Origin::Offline } else { Origin::Cache }));
                    }
                    Err(e) if self.offline => return Err(e),
                    // A cached body we cannot use: ask again, unconditionally.
                    Err(_) => entry = None,
                }
            }
        } else if self.offline {
            return Err(FetchError::new(ErrorKind::OfflineMiss, &format!("{url}: not in the cache (offline)")));
        }
        match self.request(&call, entry.as_ref(), path.as_deref(), &parse) {
            Ok(answer) => Ok((answer, Origin::Network)),
            Err(error) => {
                // The registry failed; an older answer is better than none.
                if let Some(entry) = &entry
                    && let Ok(answer) = serve(entry, expect, &parse)
                {
                    self.cache_hits.fetch_add(1, Ordering::SeqCst);
                    self.note(registry, NoteKind::StaleUsed, package, || {
                        format!("{} (using the copy cached at {})", error.message, entry.header.fetched_at)
                    });
                    return Ok((answer, Origin::Stale));
                }
                Err(error)
            }
        }
    }

    /// GET `url` (about `package`) as bytes, at most `max` (and the configured body cap), without
    /// the response cache (the caller keeps what it learns from the body, not the body): for
    /// `.crate` downloads, counted as requests to `registry`. Offline, nothing is asked
    /// ([`ErrorKind::OfflineMiss`]). Downloads have their own circuit breaker; the retry after a
    /// `429`/`503` and the redirect rules are those of every request.
    pub(crate) fn get_bytes(
        &self,
        registry: Registry,
        url: &str,
        package: &str,
        max: u64,
    ) -> Result<Answer<Vec<u8>>, FetchError> {
        if self.offline {
            return Err(FetchError::new(ErrorKind::OfflineMiss, &format!("{url}: not downloaded (offline)")));
        }
        let call = Call { registry, url, package, expect: Expect::Bytes };
        let mut response = self.send_through(&call, None, &self.downloads)?;
        let status = response.status().as_u16();
        if status == 404 || status == 410 {
            return Ok(Answer::NotFound);
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::new(ErrorKind::Status(status), &status_message(url, status)));
        }
        let max = max.min(self.max_body);
        let too_large = || FetchError::new(ErrorKind::TooLarge, &format!("{url}: response larger than {max} bytes"));
        let declared = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let reader = response.body_mut().with_config().limit(max.saturating_add(1)).reader();
        if let Err(e) = reader.take(max.saturating_add(1)).read_to_end(&mut body) {
            return Err(self.classify(url, &ureq::Error::from(e)));
        }
        if body.len() as u64 > max {
            return Err(too_large());
        }
        Ok(Answer::Found(body))
    }

    /// Send one GET for `call` (conditional on `entry`), retrying once after a `429`/`503`
    /// whose `Retry-After` says when; every `429`/`5xx` counts toward the breaker.
    fn send(&self, call: &Call<'_>, entry: Option<&Entry>) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
        self.send_through(call, entry, self.breaker(call.registry))
    }

    /// [`Http::send`], counting failures on `breaker`.
    fn send_through(
        &self,
        call: &Call<'_>,
        entry: Option<&Entry>,
        breaker: &Breaker,
    ) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
        let Call { registry, url, expect, .. } = *call;
        let mut retried = false;
        loop {
            if breaker.is_open() {
                return Err(FetchError::new(
                    ErrorKind::Unreachable,
                    &format!("{url}: not asked: gave up on {} ({})", registry.label(), breaker.first_message()),
                ));
            }
            if registry == Registry::CratesApi {
                self.crates_api.wait();
            }
            self.requests.fetch_add(1, Ordering::SeqCst);
            let mut request = self.agent_for(url).get(url).header("Accept", expect.accept());
            if let Some(entry) = entry {
                if let Some(etag) = &entry.header.etag {
                    request = request.header("If-None-Match", etag.as_str());
                }
                if let Some(modified) = &entry.header.last_modified {
                    request = request.header("If-Modified-Since", modified.as_str());
                }
            }
            let response = match request.call() {
                Ok(r) => r,
                Err(e) => {
                    let error = self.classify(url, &e);
                    if error.kind == ErrorKind::Unreachable {
                        breaker.failure(&error.message);
                    }
                    return Err(error);
                }
            };
            let status = response.status().as_u16();
            if status == 429 || (500..600).contains(&status) {
                breaker.failure(&status_message(url, status));
                let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok());
                if !retried
                    && matches!(status, 429 | 503)
                    && !breaker.is_open()
                    && let Some(delay) = retry_delay(retry_after, self.timeout)
                {
                    retried = true;
                    drop(response);
                    std::thread::sleep(delay);
                    continue;
                }
            } else if (200..400).contains(&status) || status == 404 || status == 410 {
                breaker.success();
            }
            return Ok(response);
        }
    }

    fn request<T>(
        &self,
        call: &Call<'_>,
        entry: Option<&Entry>,
        path: Option<&Path>,
        parse: &impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<Answer<T>, FetchError> {
        let Call { url, expect, .. } = *call;
        let mut response = self.send(call, entry)?;
        let status = response.status().as_u16();
        let header_text = |name: &str| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).filter(|v| v.len() <= 1024).map(str::to_owned)
        };
        let etag = header_text("etag");
        let last_modified = header_text("last-modified");
        let content_type = header_text("content-type").unwrap_or_default();
        let declared = header_text("content-length").and_then(|v| v.trim().parse::<u64>().ok());

        if status == 304
            && let Some(entry) = entry
        {
            let answer = serve(entry, expect, parse).inspect_err(|_| {
                // Unusable and confirmed unchanged: forget it, so the next run asks afresh.
                if let Some(path) = path {
                    let _ = std::fs::remove_file(path);
                }
            })?;
            self.cache_hits.fetch_add(1, Ordering::SeqCst);
            let header = Header {
                fetched_at: self.now_text(),
                etag: etag.or_else(|| entry.header.etag.clone()),
                last_modified: last_modified.or_else(|| entry.header.last_modified.clone()),
                ..entry.header.clone()
            };
            self.write_entry(call, path, &header, &entry.body);
            return Ok(answer);
        }
        if status == 404 || status == 410 {
            let header = Header { url: url.to_owned(), status: 404, fetched_at: self.now_text(), etag, last_modified };
            self.write_entry(call, path, &header, b"");
            return Ok(Answer::NotFound);
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::new(ErrorKind::Status(status), &status_message(url, status)));
        }
        if declared.is_some_and(|n| n > self.max_body) {
            return Err(self.too_large(url));
        }
        let mut body = Vec::new();
        // The limit on the raw body bounds what is received; `take` bounds what a compressed
        // body expands to.
        let reader = response.body_mut().with_config().limit(self.max_body.saturating_add(1)).reader();
        if let Err(e) = reader.take(self.max_body.saturating_add(1)).read_to_end(&mut body) {
            return Err(self.classify(url, &ureq::Error::from(e)));
        }
        if body.len() as u64 > self.max_body {
            return Err(self.too_large(url));
        }
        check_shape(url, expect, &content_type, &body)?;
        let value = parse(&body).map_err(|e| FetchError::new(ErrorKind::Malformed, &format!("{url}: {e}")))?;
        let header = Header { url: url.to_owned(), status, fetched_at: self.now_text(), etag, last_modified };
        self.write_entry(call, path, &header, &body);
        Ok(Answer::Found(value))
    }

    fn too_large(&self, url: &str) -> FetchError {
        FetchError::new(ErrorKind::TooLarge, &format!("{url}: response larger than {} bytes", self.max_body))
    }

    fn classify(&self, url: &str, error: &ureq::Error) -> FetchError {
        use std::io::ErrorKind as Io;
        let secs = self.timeout.as_secs_f64();
        let (kind, what) = match error {
            ureq::Error::Timeout(_) => (ErrorKind::Unreachable, format!("timed out after {secs} s")),
            ureq::Error::HostNotFound => (ErrorKind::Unreachable, "host not found".to_owned()),
            ureq::Error::ConnectionFailed => (ErrorKind::Unreachable, "connection failed".to_owned()),
            ureq::Error::Io(e)
                if matches!(
                    e.kind(),
                    Io::ConnectionRefused
                        | Io::ConnectionReset
                        | Io::ConnectionAborted
                        | Io::NotConnected
                        | Io::TimedOut
                        | Io::AddrNotAvailable
                        | Io::HostUnreachable
                        | Io::NetworkUnreachable
                ) =>
            {
                let what = if e.kind() == Io::TimedOut { format!("timed out after {secs} s") } else { e.to_string() };
                (ErrorKind::Unreachable, what)
            }
            ureq::Error::TooManyRedirects => {
                (ErrorKind::Redirects, format!("more than {MAX_REDIRECTS} redirects (a redirect loop?)"))
            }
            ureq::Error::RequireHttpsOnly(to) => {
                (ErrorKind::InsecureRedirect, format!("redirected from HTTPS to plain HTTP ({to}), not followed"))
            }
            ureq::Error::BodyExceedsLimit(_) => {
                (ErrorKind::TooLarge, format!("response larger than {} bytes", self.max_body))
            }
            other => (ErrorKind::Other, other.to_string()),
        };
        FetchError::new(kind, &format!("{url}: {what}"))
    }

    fn now_text(&self) -> String {
        self.now.format(&Rfc3339).unwrap_or_default()
    }

    fn read_entry(&self, path: &Path, url: &str) -> Option<Entry> {
        let file = std::fs::File::open(path).ok()?;
        // A header line plus at most `max_body`: anything larger is not ours.
        let limit = self.max_body.saturating_add(64 << 10);
        // Sized from the file's length, so the whole entry is one `read` (plus the one that
        // sees the end), not a doubling buffer's dozen.
        let len = file.metadata().map_or(0, |m| m.len()).min(limit);
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
        file.take(limit).read_to_end(&mut bytes).ok()?;
        let newline = bytes.iter().position(|&b| b == b'\n')?;
        let header: Header = serde_json::from_slice(bytes.get(..newline)?).ok()?;
        if header.url != url {
            return None;
        }
        let body = bytes.split_off(newline + 1);
        let fetched_at = OffsetDateTime::parse(&header.fetched_at, &Rfc3339).ok();
        Some(Entry { header, fetched_at, body })
    }

    fn write_entry(&self, call: &Call<'_>, path: Option<&Path>, header: &Header, body: &[u8]) {
        let Some(path) = path else { return };
        let Ok(mut bytes) = serde_json::to_vec(header) else { return };
        bytes.push(b'\n');
        bytes.extend_from_slice(body);
        if let Err(e) = crate::fsutil::write_atomically(path, &bytes) {
            self.note(call.registry, NoteKind::CacheUnwritable, call.package, || format!("{}: {e}", path.display()));
        }
    }
}

/// `url: HTTP <status>`, naming a rate limit.
fn status_message(url: &str, status: u16) -> String {
    if status == 429 { format!("{url}: HTTP 429 (too many requests)") } else { format!("{url}: HTTP {status}") }
}

/// The answer a cache entry holds.
fn serve<T>(
    entry: &Entry,
    expect: Expect,
    parse: &impl Fn(&[u8]) -> Result<T, String>,
) -> Result<Answer<T>, FetchError> {
    let url = entry.header.url.as_str();
    if entry.header.status == 404 {
        return Ok(Answer::NotFound);
    }
    check_shape(url, expect, "", &entry.body)?;
    parse(&entry.body)
        .map(Answer::Found)
        .map_err(|e| FetchError::new(ErrorKind::Malformed, &format!("{url} (cached): {e}")))
}

/// Reject what is clearly not the JSON asked for (an HTML error page, a captive portal) before
/// parsing, so the error says so.
fn check_shape(url: &str, expect: Expect, content_type: &str, body: &[u8]) -> Result<(), FetchError> {
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());
    let html = content_type.to_ascii_lowercase().contains("html") || first == Some(b'<');
    let ok = !html
        && match expect {
            Expect::Json | Expect::PypiIntegrity => matches!(first, Some(b'{' | b'[')),
            Expect::JsonLines => matches!(first, Some(b'{') | None),
            Expect::Bytes => true,
        };
    if ok {
        return Ok(());
    }
    let what = if html { "HTML" } else { "not JSON" };
    let ct = if content_type.is_empty() { String::new() } else { format!(" ({content_type})") };
    let wanted = if expect == Expect::JsonLines { "JSON lines" } else { "JSON" };
    Err(FetchError::new(ErrorKind::NotJson, &format!("{url}: expected {wanted}, got {what}{ct}")))
}

/// An agent with chainward's timeouts, redirect limit, TLS and User-Agent; `https_only` refuses
/// redirects from HTTPS to plain HTTP.
fn build_agent(timeout: Duration, https_only: bool) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(timeout))
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(MAX_REDIRECTS)
        .max_redirects_will_error(true)
        .https_only(https_only)
        .tls_config(tls_config())
        .user_agent(USER_AGENT)
        .build()
        .into()
}

/// TLS for every HTTPS request chainward makes: certificates are verified against the
/// operating system's trust store (as cargo, curl and pip do), not a bundled root list, so a
/// proxy or mirror with an enterprise CA works and a CA the system distrusts is refused.
pub(crate) fn tls_config() -> ureq::tls::TlsConfig {
    ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_spaces_starts() {
        let limiter = Limiter::new(Duration::from_millis(50), None);
        let t0 = Instant::now();
        for _ in 0..4 {
            limiter.wait();
        }
        assert!(t0.elapsed() >= Duration::from_millis(150));
    }

    /// Two limiters on one file stand for two processes sharing a cache: their starts, taken
    /// together, are an interval apart.
    #[test]
    fn limiters_sharing_a_file_space_the_starts_of_both() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry/crates.io-api.pace");
        let interval = Duration::from_millis(80);
        let starts = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    let limiter = Limiter::new(interval, Some(path.clone()));
                    for _ in 0..3 {
                        limiter.wait();
                        starts.lock().unwrap().push(Instant::now());
                    }
                });
            }
        });
        let mut starts = starts.into_inner().unwrap();
        starts.sort();
        // Each start is recorded just after `wait` returns, so a thread descheduled in between
        // (a loaded machine) shifts its own stamp: judge the six starts together, which the
        // pacing guarantees whatever the scheduling, with a little slack for that first stamp.
        let span = starts[starts.len() - 1].duration_since(starts[0]);
        assert!(span + Duration::from_millis(40) >= interval * 5, "six starts within {span:?}");
    }

    /// A pace file that is damaged, or names a start far ahead (a clock that jumped back), is
    /// not waited for, and is rewritten.
    #[test]
    fn a_damaged_or_far_ahead_pace_file_is_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pace");
        let far_ahead =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap() + Duration::from_secs(3600);
        for content in ["junk".to_owned(), far_ahead.as_nanos().to_string(), "9".repeat(40)] {
            std::fs::write(&path, &content).unwrap();
            let limiter = Limiter::new(Duration::from_secs(1), Some(path.clone()));
            let t0 = Instant::now();
            limiter.wait();
            assert!(t0.elapsed() < Duration::from_secs(60), "waited on {content:?}");
            let written: u128 = std::fs::read_to_string(&path).unwrap().parse().unwrap();
            assert!(written < far_ahead.as_nanos(), "{content:?} left in place");
        }
    }

    #[test]
    fn shape_check_names_html() {
        let e = check_shape("http://x/", Expect::Json, "text/html; charset=utf-8", b"<html>").err();
        assert_eq!(e.map(|e| e.kind), Some(ErrorKind::NotJson));
        assert!(check_shape("http://x/", Expect::Json, "application/json", b" {}").is_ok());
        assert!(check_shape("http://x/", Expect::JsonLines, "text/plain", b"{}\n{}").is_ok());
        assert!(check_shape("http://x/", Expect::JsonLines, "", b"<!doctype html>").is_err());
    }

    #[test]
    fn breaker_opens_after_threshold_and_stays_open() {
        let b = Breaker::default();
        for _ in 0..BREAKER_THRESHOLD {
            assert!(!b.is_open());
            b.failure("refused");
        }
        assert!(b.is_open());
        b.success();
        assert!(b.is_open());
        assert_eq!(b.first_message(), "refused");
    }

    #[test]
    fn breaker_names_the_failure_that_began_the_streak() {
        let b = Breaker::default();
        b.failure("an old 503");
        b.success();
        b.failure("refused");
        b.failure("refused again");
        assert!(!b.is_open());
        b.failure("and again");
        assert!(b.is_open());
        b.failure("after");
        assert_eq!(b.first_message(), "refused");
    }

    #[test]
    fn retry_after_is_seconds_capped_at_a_minute_and_the_timeout() {
        let timeout = Duration::from_secs(20);
        assert_eq!(retry_delay(Some("1"), timeout), Some(Duration::from_secs(1)));
        assert_eq!(retry_delay(Some(" 0 "), timeout), Some(Duration::ZERO));
        assert_eq!(retry_delay(Some("3600"), timeout), Some(timeout));
        assert_eq!(retry_delay(Some("3600"), Duration::from_secs(300)), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_delay(Some("Wed, 21 Oct 2015 07:28:00 GMT"), timeout), None);
        assert_eq!(retry_delay(Some("-1"), timeout), None);
        assert_eq!(retry_delay(None, timeout), None);
    }

    #[test]
    fn https_urls_never_follow_a_redirect_down_to_plain_http() {
        assert!(https_only("https://index.crates.io/"));
        assert!(https_only("HTTPS://registry.npmjs.org"));
        assert!(!https_only("http://127.0.0.1:8080/npm"));
        assert!(!https_only("https"));
        let http = Http::new(&RegistryConfig::public(None, OffsetDateTime::UNIX_EPOCH));
        assert!(http.agent_for("https://registry.npmjs.org/left-pad").config().https_only());
        // Cross-host redirects stay allowed; only the scheme is held.
        assert!(http.agent_for("https://registry.npmjs.org/left-pad").config().max_redirects() == MAX_REDIRECTS);
        assert!(!http.agent_for("http://127.0.0.1:8080/npm/left-pad").config().https_only());
        // Every hop of a redirect chain goes through this check: an `http://` hop is refused
        // before any connection is made, and reported as a downgrade.
        let error = http.https_agent().get("http://127.0.0.1:9/npm/left-pad").call().err();
        assert!(matches!(error, Some(ureq::Error::RequireHttpsOnly(_))), "{error:?}");
        let reported = error.map(|e| http.classify("https://registry.npmjs.org/left-pad", &e));
        assert_eq!(reported.as_ref().map(|e| e.kind), Some(ErrorKind::InsecureRedirect));
        assert!(reported.is_some_and(|e| e.message.contains("redirected from HTTPS to plain HTTP")));
    }
}

#[cfg(test)]
mod tls_tests {
    #[test]
    fn https_trusts_the_system_store() {
        // Not the bundled webpki roots: an enterprise CA in the system store (or SSL_CERT_FILE)
        // must work, as it does for cargo and curl.
        assert!(matches!(super::tls_config().root_certs(), ureq::tls::RootCerts::PlatformVerifier));
    }
}
