//! Registry metadata for the heuristics: who published each version, when, with what
//! provenance, whether it was yanked, its checksum, its install scripts; and who owns the
//! package. One client per registry (`crates_io.rs`, `npm.rs`, `pypi.rs`) over one HTTP layer
//! with an on-disk cache (`http.rs`).
//!
//! Everything here is data: the rules in [`crate::heuristics`] decide what is suspicious.
//!
//! [`fetch`] is the entry point: for each wanted package of crates.io, npm or PyPI it fetches
//! the cheap listing (the crates.io sparse index, the npm packument, the PyPI JSON API), asks
//! [`WantDetail`] whether the per-version details are worth it, and fetches those (the crates.io
//! API's versions and owners, PyPI's Integrity API). A cached listing younger than the TTL
//! that lacks a version in use is revalidated once (a release published since it was cached
//! must not be hidden); what the registry still does not list is reported ([`Fetched::missing`]).
//! Failures are grouped per registry and kind ([`Failure`]); a registry that stops answering or
//! keeps failing is not asked again during the run.

pub mod cargo_home;
pub(crate) mod crates_io;
mod http;
pub(crate) use http::tls_config;
pub(crate) mod npm;
pub(crate) mod pypi;
mod snapshot;
mod wire;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::Ecosystem;

pub use http::USER_AGENT;
use http::{Answer, ErrorKind, FetchError, Http, Origin, Registry};

/// Who published a version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Publisher {
    /// A stable identity to compare releases by: the registry account (`github:octocat`,
    /// `npm:alice`), or the trusted publisher (`github:owner/repo`).
    pub id: String,
    /// How to show it (`@octocat`, `alice`, `trusted publisher github:owner/repo`).
    pub display: String,
    /// `true` when the registry says the release came through trusted publishing (OIDC).
    pub trusted: bool,
}

/// Build provenance of a release (crates.io trusted publishing, npm provenance attestations,
/// PyPI PEP 740 attestations).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provenance {
    /// The source repository the attestation names (`https://github.com/owner/repo`), when known.
    pub repository: Option<String>,
    /// The workflow that built it (`.github/workflows/release.yml`), when known.
    pub workflow: Option<String>,
}

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionMeta {
    /// The version as the registry writes it.
    pub version: String,
    /// When it was published.
    pub published_at: Option<OffsetDateTime>,
    /// Who published it, when the registry says.
    pub publisher: Option<Publisher>,
    /// Yanked (crates.io, PyPI) or deprecated-and-unpublished; `None` when unknown.
    pub yanked: Option<bool>,
    /// Checksums of the published artifact(s), as `algorithm:value` (`sha256:<hex>`,
    /// `sha512:<base64>`): one for a crate or npm tarball, one per file for PyPI.
    pub checksums: Vec<String>,
    /// `Some(None)`: the registry was asked and the release has no provenance; `Some(Some(p))`:
    /// it has; `None`: not known (not fetched).
    pub provenance: Option<Option<Provenance>>,
    /// The repository URL the release declares.
    pub repository: Option<String>,
    /// npm lifecycle scripts that run on install (`preinstall`, `install`, `postinstall`) → command.
    pub install_scripts: BTreeMap<String, String>,
    /// The maintainers listed on this version (npm), when the registry lists them per version.
    pub maintainers: Option<Vec<String>>,
}

/// An owner or maintainer of a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Owner {
    /// Stable identity (`github:octocat`, `npm:alice`, `pypi:bob`, `team:github:org:team`).
    pub id: String,
    /// Role, when the registry names one (`Owner`, `Maintainer`).
    pub role: Option<String>,
}

/// An owner added to or removed from a package, with when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerChange {
    /// When it happened (or, for changes seen by comparing cached snapshots, when chainward
    /// first saw it).
    pub at: OffsetDateTime,
    /// For changes seen by comparing snapshots: the time of the previous snapshot, which did not
    /// have the change yet; it happened in `(since, at]`. `None` when `at` is the exact time.
    pub since: Option<OffsetDateTime>,
    /// The owner.
    pub owner: String,
    /// `true`: added; `false`: removed.
    pub added: bool,
    /// Where chainward learned it (`npm maintainers of 1.2.3`, `crates.io owners snapshot`).
    pub evidence: String,
}

/// Everything one registry says about one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageMeta {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Name as the registry spells it.
    pub name: String,
    /// Every version, oldest first (by publication time where known, else registry order).
    pub versions: Vec<VersionMeta>,
    /// Current owners, when fetched.
    pub owners: Option<Vec<Owner>>,
    /// Dated owner changes, oldest first.
    pub owner_changes: Vec<OwnerChange>,
    /// `true` when the per-version details (publishers, provenance) were fetched, not only the
    /// cheap listing (the crates.io index).
    pub detailed: bool,
}

impl PackageMeta {
    /// The entry for `version`: the same string, else, on PyPI, a PEP 440-equal version (a
    /// locked `1.0.0` finds the registry's `1.0`).
    pub fn version(&self, version: &str) -> Option<&VersionMeta> {
        self.versions.get(self.position(version)?)
    }

    /// The versions published before `version` (by time where both are known, else by position).
    /// `version` is found as [`PackageMeta::version`] finds it.
    pub fn earlier(&self, version: &str) -> Vec<&VersionMeta> {
        let Some(pos) = self.position(version) else { return Vec::new() };
        let this = self.versions.get(pos).and_then(|v| v.published_at);
        self.versions
            .iter()
            .enumerate()
            .filter(|(i, v)| match (this, v.published_at) {
                (Some(t), Some(p)) => p < t,
                _ => *i < pos,
            })
            .map(|(_, v)| v)
            .collect()
    }

    /// Where `version` is among [`PackageMeta::versions`]: the same string, else (PyPI) the
    /// first PEP 440-equal one.
    pub(crate) fn position(&self, version: &str) -> Option<usize> {
        self.versions.iter().position(|v| v.version == version).or_else(|| {
            if self.ecosystem != Ecosystem::PyPI {
                return None;
            }
            let wanted = pep440_rs::Version::from_str(version).ok()?;
            self.versions.iter().position(|v| pep440_rs::Version::from_str(&v.version).is_ok_and(|v| v == wanted))
        })
    }
}

/// Where the registries are, and how to talk to them.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// crates.io sparse index (`https://index.crates.io/`; `CHAINWARD_CRATES_IO_INDEX_URL`).
    pub crates_io_index: String,
    /// crates.io API (`https://crates.io/api/v1`; `CHAINWARD_CRATES_IO_API_URL`).
    pub crates_io_api: String,
    /// npm registry (`https://registry.npmjs.org`; `CHAINWARD_NPM_REGISTRY_URL`).
    pub npm: String,
    /// PyPI (`https://pypi.org`; `CHAINWARD_PYPI_URL`).
    pub pypi: String,
    /// Cache directory for responses (`<chainward cache>/registry`); `None`: no cache.
    pub cache_dir: Option<PathBuf>,
    /// Use cached responses only, never the network.
    pub offline: bool,
    /// How long a cached response is used without revalidation.
    pub ttl: Duration,
    /// Per-request timeout (connect + whole response).
    pub timeout: Duration,
    /// Largest response body read; larger ones are an error.
    pub max_body: u64,
    /// Requests in flight at once (per scan).
    pub concurrency: usize,
    /// Minimum interval between two requests to the crates.io API (its crawler policy: 1/s).
    pub crates_io_api_interval: Duration,
    /// The current time (`CHAINWARD_NOW` in tests).
    pub now: OffsetDateTime,
}

/// Default base URLs.
pub mod defaults {
    /// crates.io sparse index.
    pub const CRATES_IO_INDEX: &str = "https://index.crates.io/";
    /// crates.io API.
    pub const CRATES_IO_API: &str = "https://crates.io/api/v1";
    /// npm registry.
    pub const NPM: &str = "https://registry.npmjs.org";
    /// PyPI.
    pub const PYPI: &str = "https://pypi.org";
}

impl RegistryConfig {
    /// The public registries, a 6 h cache TTL, 20 s timeouts, 64 MiB bodies, 8 requests in flight.
    pub fn public(cache_dir: Option<PathBuf>, now: OffsetDateTime) -> Self {
        RegistryConfig {
            crates_io_index: defaults::CRATES_IO_INDEX.to_owned(),
            crates_io_api: defaults::CRATES_IO_API.to_owned(),
            npm: defaults::NPM.to_owned(),
            pypi: defaults::PYPI.to_owned(),
            cache_dir,
            offline: false,
            ttl: Duration::from_secs(6 * 3600),
            timeout: Duration::from_secs(20),
            max_body: 64 << 20,
            concurrency: 8,
            crates_io_api_interval: Duration::from_secs(1),
            now,
        }
    }
}

/// A package to look up, with the versions in use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Wanted {
    /// Ecosystem (crates.io, npm or PyPI; others are ignored).
    pub ecosystem: Ecosystem,
    /// Name as written in the lockfile or purl.
    pub name: String,
    /// The versions in use.
    pub versions: Vec<String>,
}

/// Metadata that could not be had: reported once per registry, the scan goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `crates.io`, `crates.io API`, `npm`, `npm attestations`, `PyPI`, `PyPI Integrity API`.
    pub registry: String,
    /// The packages whose metadata is missing because of it.
    pub packages: Vec<String>,
    /// What went wrong (the first error seen), already safe to print.
    pub message: String,
}

/// What a lookup produced.
#[derive(Debug, Default)]
pub struct Fetched {
    /// (ecosystem, normalized name) → metadata.
    pub packages: BTreeMap<(Ecosystem, String), PackageMeta>,
    /// What is missing, one entry per registry and error.
    pub failures: Vec<Failure>,
    /// Requests sent over the network.
    pub requests: usize,
    /// Responses served from the cache without a request (fresh) or after a 304.
    pub cache_hits: usize,
    /// Packages the registry says it does not have (HTTP 404): (ecosystem, normalized name).
    /// Not a failure: the answer is known (and cached).
    pub not_found: Vec<(Ecosystem, String)>,
    /// Versions in use that the registry does not list: (ecosystem, normalized name, version as
    /// asked for), sorted. Only from answers the registry gave during this run (a listing that
    /// lacked a version in use was revalidated first, whatever its cache age); a version missing
    /// from an offline or stale cached copy is not listed here, since the copy may predate it.
    /// Every version in use of a package in [`Fetched::not_found`] that the registry confirmed
    /// this run is here too.
    pub missing: Vec<(Ecosystem, String, String)>,
    /// Things worth a line on stderr that did not cost any metadata (malformed records skipped,
    /// stale cached responses used because a registry failed, a cache that cannot be written),
    /// grouped and bounded, safe to print.
    pub notes: Vec<String>,
}

/// Whether the per-version details (crates.io API publishers and owners, PyPI and npm
/// provenance) are worth fetching for a package: called with the cheap listing and the version
/// in use. The
/// crates.io API allows one request a second, so a full scan asks only about recent releases.
pub type WantDetail<'a> = dyn Fn(&PackageMeta, &str) -> bool + Sync + 'a;

/// How far a [`fetch_watched`] has got, readable from another thread while it runs (for a
/// progress line: a cold cache on a big lockfile waits minutes on crates.io's API policy).
#[derive(Debug, Default)]
pub struct Progress {
    packages: AtomicUsize,
    listed: AtomicUsize,
    to_detail: AtomicUsize,
    detailed: AtomicUsize,
}

/// A reading of [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProgressReading {
    /// Packages to look up on a registry.
    pub packages: usize,
    /// Of those, listed so far (answered, not found or failed).
    pub listed: usize,
    /// Packages whose per-version details are wanted (known once every package is listed).
    pub to_detail: usize,
    /// Of those, done so far.
    pub detailed: usize,
}

impl Progress {
    /// The counts now.
    pub fn read(&self) -> ProgressReading {
        ProgressReading {
            packages: self.packages.load(Ordering::Relaxed),
            listed: self.listed.load(Ordering::Relaxed),
            to_detail: self.to_detail.load(Ordering::Relaxed),
            detailed: self.detailed.load(Ordering::Relaxed),
        }
    }
}

/// Look up `wanted` on their registries (crates.io, npm, PyPI; other ecosystems are ignored):
/// the cheap listing of every package, then, for packages where `want_detail` returns `true`
/// for a version in use, the per-version details. Never fails as a whole: what could not be
/// had is in [`Fetched::failures`], grouped per registry and kind of error.
pub fn fetch(config: &RegistryConfig, wanted: &[Wanted], want_detail: &WantDetail<'_>) -> Fetched {
    fetch_watched(config, wanted, want_detail, &Progress::default())
}

/// [`fetch`], counting what it has done in `progress`.
pub fn fetch_watched(
    config: &RegistryConfig,
    wanted: &[Wanted],
    want_detail: &WantDetail<'_>,
    progress: &Progress,
) -> Fetched {
    let http = Http::new(config);
    let mut targets: BTreeMap<(Ecosystem, String), Target> = BTreeMap::new();
    for w in wanted {
        if !matches!(w.ecosystem, Ecosystem::Cargo | Ecosystem::Npm | Ecosystem::PyPI) {
            continue;
        }
        let key = (w.ecosystem, w.ecosystem.normalize_name(&w.name));
        let target = targets.entry(key.clone()).or_insert_with(|| Target {
            key,
            name: w.name.clone(),
            versions: BTreeSet::new(),
        });
        target.versions.extend(w.versions.iter().cloned());
    }
    let targets: Vec<Target> = targets.into_values().collect();
    progress.packages.store(targets.len(), Ordering::Relaxed);

    let mut fetched = Fetched::default();
    let mut failures = Failures::default();
    let listings = run_pool(config.concurrency, targets, &|target: Target| {
        let result = list(&http, config, &target, false);
        progress.listed.fetch_add(1, Ordering::Relaxed);
        (target, result)
    });
    // A listing served from the cache without asking can predate a release in use (or the
    // package's first release): ask again, once, with a conditional request, whatever its age.
    let (outdated, mut listings): (Vec<_>, Vec<_>) =
        listings.into_iter().partition(|(target, result)| lacks_wanted_versions(target, result));
    // Each was counted as a cache hit, then not used.
    http.discard_hits(outdated.len());
    listings.extend(run_pool(config.concurrency, outdated, &|(target, _): (Target, ListingResult)| {
        let result = list(&http, config, &target, true);
        (target, result)
    }));
    listings.sort_by(|(a, _), (b, _)| a.key.cmp(&b.key));

    let mut jobs = Vec::new();
    for (target, result) in listings {
        match result {
            Ok((Answer::Found(listing), origin)) => {
                let (detail, files) = match target.key.0 {
                    // A version the index does not list has no release for the rules to judge.
                    Ecosystem::Cargo => (
                        target
                            .versions
                            .iter()
                            .any(|v| listing.meta.position(v).is_some() && want_detail(&listing.meta, v)),
                        Vec::new(),
                    ),
                    Ecosystem::PyPI => {
                        let files = pypi::provenance_targets(&listing, &target.versions, want_detail);
                        (!files.is_empty(), files)
                    }
                    Ecosystem::Npm => {
                        let urls = npm::provenance_targets(config, &listing, &target.versions, want_detail);
                        (!urls.is_empty(), urls)
                    }
                    _ => (false, Vec::new()),
                };
                let job = Job { target, listing, origin, files };
                if detail {
                    jobs.push(job);
                } else {
                    fetched.add(job);
                }
            }
            Ok((Answer::NotFound, origin)) => {
                if origin == Origin::Network {
                    let (ecosystem, name) = &target.key;
                    fetched.missing.extend(target.versions.iter().map(|v| (*ecosystem, name.clone(), v.clone())));
                }
                fetched.not_found.push(target.key);
            }
            Err((registry, error)) => failures.add(registry, &error, &target.name),
        }
    }

    progress.to_detail.store(jobs.len(), Ordering::Relaxed);
    let detail = |mut job: Job| {
        let errors = match job.target.key.0 {
            Ecosystem::Cargo => crates_io::details(&http, config, &mut job.listing),
            Ecosystem::Npm => npm::details(&http, &mut job.listing, &job.files),
            _ => pypi::details(&http, config, &mut job.listing, &job.files),
        };
        progress.detailed.fetch_add(1, Ordering::Relaxed);
        (job, errors)
    };
    // The crates.io API allows one request a second: one thread asks it, in order, while the
    // others work on PyPI and npm. Together they never exceed `concurrency` requests in flight.
    let (crates_jobs, other_jobs): (Vec<_>, Vec<_>) =
        jobs.into_iter().partition(|job| job.target.key.0 == Ecosystem::Cargo);
    let detailed = if config.concurrency <= 1 {
        let mut all = crates_jobs;
        all.extend(other_jobs);
        run_pool(1, all, &detail)
    } else {
        std::thread::scope(|s| {
            let crates = s.spawn(|| crates_jobs.into_iter().map(detail).collect::<Vec<_>>());
            let mut out = run_pool(config.concurrency - 1, other_jobs, &detail);
            out.extend(crates.join().unwrap_or_default());
            out
        })
    };
    for (job, errors) in detailed {
        for (registry, error) in &errors {
            failures.add_detail(*registry, error, &job.target.name);
        }
        fetched.add(job);
    }

    fetched.failures = failures.finish(&http);
    fetched.notes.extend(http.take_notes());
    // Notes carry registry text (names, versions, parser messages): made safe here, once.
    fetched.notes = fetched.notes.iter().map(|note| safe_text(note, MAX_NOTE)).collect();
    fetched.not_found.sort();
    fetched.not_found.dedup();
    fetched.missing.sort();
    fetched.missing.dedup();
    fetched.requests = http.requests();
    fetched.cache_hits = http.cache_hits();
    fetched
}

/// Longest note kept.
const MAX_NOTE: usize = 600;

impl Fetched {
    /// Take in one package's metadata: its notes, and the versions in use its registry does not
    /// list (when the listing is the registry's answer of this run).
    fn add(&mut self, job: Job) {
        let Job { target, listing, origin, .. } = job;
        let (ecosystem, name) = &target.key;
        if origin == Origin::Network {
            for v in &target.versions {
                if listing.meta.position(v).is_none() {
                    self.missing.push((*ecosystem, name.clone(), v.clone()));
                }
            }
        }
        let subject = format!("{} `{}`", ecosystem_label(*ecosystem), target.name);
        self.notes.extend(listing.notes);
        self.notes.extend(listing.skipped.into_notes(&subject));
        self.packages.insert(target.key, listing.meta);
    }
}

/// The registry an ecosystem's packages come from, as notes name it.
fn ecosystem_label(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Cargo => "crates.io",
        Ecosystem::Npm => "npm",
        _ => "PyPI",
    }
}

/// The cheap listing of `target` from its registry; `revalidate`: ask the registry even when
/// the cached answer is younger than the TTL.
fn list(http: &Http, config: &RegistryConfig, target: &Target, revalidate: bool) -> ListingResult {
    let name = target.key.1.as_str();
    match target.key.0 {
        Ecosystem::Cargo => crates_io::listing(http, config, name, revalidate),
        Ecosystem::Npm => npm::listing(http, config, name, revalidate),
        _ => pypi::listing(http, config, name, revalidate),
    }
}

/// Whether `result` was served from the cache without asking and lacks a version in use (or
/// says the package does not exist).
fn lacks_wanted_versions(target: &Target, result: &ListingResult) -> bool {
    match result {
        Ok((Answer::Found(listing), Origin::Cache)) => {
            target.versions.iter().any(|v| listing.meta.position(v).is_none())
        }
        Ok((Answer::NotFound, Origin::Cache)) => !target.versions.is_empty(),
        _ => false,
    }
}

/// A package whose listing is in hand: the details to fetch, if any, then into [`Fetched`].
#[derive(Debug)]
struct Job {
    target: Target,
    listing: Listing,
    /// How the listing was had.
    origin: Origin,
    /// PyPI: (version, file) whose provenance to fetch; npm: (version, attestations URL).
    files: Vec<(String, String)>,
}

/// One package to look up: every version in use, under its normalized name.
#[derive(Debug)]
struct Target {
    key: (Ecosystem, String),
    name: String,
    versions: BTreeSet<String>,
}

/// What a client's cheap listing produced.
#[derive(Debug)]
pub(crate) struct Listing {
    /// The metadata so far.
    pub(crate) meta: PackageMeta,
    /// PyPI: the file of each release whose provenance stands for the release's.
    pub(crate) pypi_files: BTreeMap<String, String>,
    /// Notes about the package (details left unused, ...).
    pub(crate) notes: Vec<String>,
    /// Malformed records skipped while parsing its responses.
    pub(crate) skipped: Skipped,
}

/// A listing request's outcome, with how the answer was had; a failure names the registry it
/// came from.
pub(crate) type ListingResult = Result<(Answer<Listing>, Origin), (Registry, FetchError)>;

/// Malformed records (index lines, version entries, file entries) skipped while parsing one
/// package's responses: the first [`Skipped::SHOWN`] are described, the rest only counted, so a
/// hostile body of a million bad lines costs a few notes, not a million.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    shown: Vec<String>,
    more: usize,
}

impl Skipped {
    /// Records described per package.
    pub(crate) const SHOWN: usize = 3;

    /// One more record skipped; `describe` is called only while fewer than [`Skipped::SHOWN`]
    /// are described.
    pub(crate) fn add(&mut self, describe: impl FnOnce() -> String) {
        if self.shown.len() < Self::SHOWN {
            self.shown.push(describe());
        } else {
            self.more += 1;
        }
    }

    /// Take in the records `other` skipped.
    pub(crate) fn extend(&mut self, other: Skipped) {
        for note in other.shown {
            self.add(|| note);
        }
        self.more += other.more;
    }

    /// Records skipped in all.
    pub(crate) fn count(&self) -> usize {
        self.shown.len() + self.more
    }

    /// The notes: the described records, then how many more there were.
    pub(crate) fn into_notes(self, subject: &str) -> Vec<String> {
        let mut notes = self.shown;
        if self.more > 0 {
            notes.push(format!("{subject}: and {} more malformed records skipped", self.more));
        }
        notes
    }
}

/// Failures grouped per registry and kind (the first message of each group is kept).
#[derive(Debug, Default)]
struct Failures {
    /// (registry, whether a per-version detail request failed, kind) → first message, packages.
    groups: BTreeMap<(Registry, bool, ErrorKind), (String, BTreeSet<String>)>,
}

impl Failures {
    /// A listing that could not be had: the package has no metadata at all.
    fn add(&mut self, registry: Registry, error: &FetchError, package: &str) {
        self.insert((registry, false, error.kind), error, package);
    }

    /// A detail request that failed: the listing is there, the provenance (or, for crates.io,
    /// the API's publishers and owners) is not.
    fn add_detail(&mut self, registry: Registry, error: &FetchError, package: &str) {
        self.insert((registry, true, error.kind), error, package);
    }

    fn insert(&mut self, key: (Registry, bool, ErrorKind), error: &FetchError, package: &str) {
        let (_, packages) = self.groups.entry(key).or_insert_with(|| (error.message.clone(), BTreeSet::new()));
        packages.insert(safe_text(package, 200));
    }

    fn finish(self, http: &Http) -> Vec<Failure> {
        self.groups
            .into_iter()
            .map(|((registry, detail, kind), (first, packages))| {
                let message = match (kind, http.first_failure(registry)) {
                    (ErrorKind::Unreachable, Some(cause)) if http.gave_up_on(registry) => format!(
                        "{cause} (stopped asking {} after {} failed requests in a row)",
                        registry.label(),
                        http::BREAKER_THRESHOLD
                    ),
                    _ => first,
                };
                // npm and PyPI details are provenance documents: named so, the warning does not
                // claim the whole package went unjudged.
                let label = match (registry, detail) {
                    (Registry::Npm, true) => "npm attestations",
                    (Registry::PyPI, true) => "PyPI Integrity API",
                    _ => registry.label(),
                };
                Failure {
                    registry: label.to_owned(),
                    packages: packages.into_iter().collect(),
                    message: safe_text(&message, 400),
                }
            })
            .collect()
    }
}

/// Run `work` over `jobs` on at most `workers` threads; results in the order of `jobs`.
pub(crate) fn run_pool<J: Send, R: Send>(workers: usize, jobs: Vec<J>, work: &(dyn Fn(J) -> R + Sync)) -> Vec<R> {
    let n = jobs.len();
    if n == 0 {
        return Vec::new();
    }
    let queue = Mutex::new(jobs.into_iter().enumerate());
    let done = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, n) {
            s.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                    let Some((i, job)) = next else { break };
                    let result = work(job);
                    done.lock().unwrap_or_else(PoisonError::into_inner).push((i, result));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// `s` made safe to print on a terminal or in a report: the one sanitiser,
/// [`crate::sanitize::cell`] (control and format characters as visible escapes, cut to `max`
/// characters with `…`).
pub fn safe_text(s: &str, max: usize) -> String {
    crate::sanitize::cell(s, max)
}

/// Percent-encode one URL path segment (a package name, a version, a file name).
pub(crate) fn encode_segment(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// `base` without its trailing slashes.
pub(crate) fn base_url(base: &str) -> &str {
    base.trim_end_matches('/')
}

/// An RFC 3339 time.
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).ok()
}

/// A repository URL in one comparable form: `git+https://github.com/o/r.git`,
/// `git@github.com:o/r`, `github:o/r` and `o/r` (npm shorthand) all become
/// `https://github.com/o/r`; other URLs lose `git+`, a trailing `.git` and `/`.
pub fn normalize_repository(url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let mut u = url.strip_prefix("git+").unwrap_or(url).to_owned();
    for (prefix, host) in [("github:", "github.com"), ("gitlab:", "gitlab.com"), ("bitbucket:", "bitbucket.org")] {
        if let Some(rest) = u.strip_prefix(prefix) {
            u = format!("https://{host}/{rest}");
        }
    }
    if let Some(rest) = u.strip_prefix("git@")
        && let Some((host, path)) = rest.split_once(':')
    {
        u = format!("https://{host}/{path}");
    }
    if let Some(rest) = u.strip_prefix("git://").or_else(|| u.strip_prefix("ssh://git@")).map(str::to_owned) {
        u = format!("https://{rest}");
    }
    if !u.contains(':') && u.split('/').count() == 2 && !u.starts_with('.') {
        u = format!("https://github.com/{u}");
    }
    let trimmed = u.trim_end_matches('/');
    let trimmed = trimmed.strip_suffix(".git").unwrap_or(trimmed);
    Some(safe_text(trimmed, 500))
}

/// The publication order: by time where known (unknown first, in registry order).
pub(crate) fn sort_by_published(versions: &mut [VersionMeta]) {
    versions.sort_by_key(|v| v.published_at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_normalize() {
        let n = |s: &str| normalize_repository(s).unwrap_or_default();
        assert_eq!(n("git+https://github.com/o/r.git"), "https://github.com/o/r");
        assert_eq!(n("git@github.com:o/r.git"), "https://github.com/o/r");
        assert_eq!(n("github:o/r"), "https://github.com/o/r");
        assert_eq!(n("o/r"), "https://github.com/o/r");
        assert_eq!(n("git://github.com/o/r.git"), "https://github.com/o/r");
        assert_eq!(n("https://gitlab.com/g/s/p/"), "https://gitlab.com/g/s/p");
        assert_eq!(normalize_repository("  "), None);
    }

    #[test]
    fn safe_text_strips_controls_and_clips() {
        assert_eq!(safe_text("a\u{1b}[31mb\nc\u{202e}d", 100), "a\\u{1b}[31mb\\nc\\u{202e}d");
        assert_eq!(safe_text("abcdef", 4), "abc…");
    }

    fn meta(ecosystem: Ecosystem, versions: &[(&str, Option<&str>)]) -> PackageMeta {
        PackageMeta {
            ecosystem,
            name: "p".to_owned(),
            versions: versions
                .iter()
                .map(|(v, at)| VersionMeta {
                    version: (*v).to_owned(),
                    published_at: at.and_then(parse_time),
                    ..VersionMeta::default()
                })
                .collect(),
            owners: None,
            owner_changes: Vec::new(),
            detailed: false,
        }
    }

    #[test]
    fn pypi_versions_are_found_by_pep440_equality() {
        let pypi = meta(
            Ecosystem::PyPI,
            &[("0.9", Some("2024-01-01T00:00:00Z")), ("1.0", Some("2024-02-01T00:00:00Z")), ("1.0.1", None)],
        );
        // The registry's spelling is kept; a PEP 440-equal one finds it.
        assert_eq!(pypi.version("1.0.0").map(|v| v.version.as_str()), Some("1.0"));
        assert_eq!(pypi.version("1.0").map(|v| v.version.as_str()), Some("1.0"));
        assert_eq!(pypi.version("v1.0.0.0").map(|v| v.version.as_str()), Some("1.0"));
        assert_eq!(pypi.version("1.0.1.0").map(|v| v.version.as_str()), Some("1.0.1"));
        assert!(pypi.version("1.0.2").is_none());
        assert!(pypi.version("not a version").is_none());
        let earlier: Vec<&str> = pypi.earlier("1.0.0").iter().map(|v| v.version.as_str()).collect();
        assert_eq!(earlier, ["0.9"]);
        // Elsewhere, exact strings only.
        let npm = meta(Ecosystem::Npm, &[("1.0", None)]);
        assert!(npm.version("1.0.0").is_none());
        assert!(npm.earlier("1.0.0").is_empty());
    }

    #[test]
    fn skipped_records_keep_three_notes_and_a_count() {
        let mut skipped = Skipped::default();
        let mut described = 0;
        for i in 0..1000 {
            skipped.add(|| {
                described += 1;
                format!("line {i}")
            });
        }
        assert_eq!(described, Skipped::SHOWN);
        let mut more = Skipped::default();
        more.add(|| "entry 0".to_owned());
        skipped.extend(more);
        assert_eq!(skipped.count(), 1001);
        assert_eq!(
            skipped.into_notes("crates.io `x`"),
            ["line 0", "line 1", "line 2", "crates.io `x`: and 998 more malformed records skipped"]
        );
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("@scope/name"), "%40scope%2Fname");
        assert_eq!(encode_segment("a-b_c.d~1"), "a-b_c.d~1");
    }
}
