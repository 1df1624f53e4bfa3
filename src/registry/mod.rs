//! Registry metadata for the heuristics: who published each version, when, with what
//! provenance, whether it was yanked, its checksum, its install scripts; and who owns the
//! package. One client per registry (`crates_io.rs`, `npm.rs`, `pypi.rs`) over one HTTP layer
//! with an on-disk cache (`http.rs`).
//!
//! Everything here is data: the rules in [`crate::heuristics`] decide what is suspicious.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use time::OffsetDateTime;

use crate::model::Ecosystem;

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
    /// The entry for `version`.
    pub fn version(&self, version: &str) -> Option<&VersionMeta> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// The versions published before `version` (by time where both are known, else by position).
    pub fn earlier(&self, version: &str) -> Vec<&VersionMeta> {
        let Some(pos) = self.versions.iter().position(|v| v.version == version) else { return Vec::new() };
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
    /// `crates.io`, `crates.io API`, `npm`, `PyPI`.
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
}

/// Whether the per-version details (crates.io API publishers and owners, PyPI provenance) are
/// worth fetching for a package: called with the cheap listing and the version in use. The
/// crates.io API allows one request a second, so a full scan asks only about recent releases.
pub type WantDetail<'a> = dyn Fn(&PackageMeta, &str) -> bool + Sync + 'a;
