//! crates.io: the sparse index (cheap: versions, checksums, yanked, publish times) and the web
//! API (one request a second: who published each version, trusted publishing, the declared
//! repository; the current owners).
//!
//! Shapes, from crates.io's source (`src/views.rs`: `EncodableVersion`, `EncodableOwner`;
//! `src/controllers/krate/versions.rs`) and cargo's (`cargo-util-schemas` `IndexPackage`):
//! - index `https://index.crates.io/{1/a, 2/ab, 3/a/abc, ab/cd/abcd…}`: one JSON object per
//!   line, in publication order: `name`, `vers`, `cksum` (sha256 hex), `yanked`, `pubtime`
//!   (`YYYY-MM-DDTHH:MM:SSZ`, absent on entries older than the field), and more we ignore;
//! - `GET /api/v1/crates/{name}/versions`: `{"versions": [...]}` (paginated with a `meta` object
//!   only when `per_page` is given), each with `num`, `created_at`, `yanked`, `checksum`,
//!   `published_by` (`{id, login, name, avatar, url}` or `null`), `audit_actions`
//!   (`[{action, user, time}]`), `repository`, `trustpub_data` (`{provider: "github",
//!   repository, run_id, sha}`, `{provider: "gitlab", project_path, job_id, sha}` or `null`);
//! - `GET /api/v1/crates/{name}/owners`: `{"users": [{id, login, kind: "user"|"team", name,
//!   url, avatar}]}` (a team's login is `github:org:team`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::http::{Answer, ErrorKind, Expect, FetchError, Http, Origin, Registry};
use super::{
    Listing, ListingResult, Owner, PackageMeta, Provenance, Publisher, RegistryConfig, Skipped, VersionMeta, base_url,
    encode_segment, normalize_repository, parse_time, safe_text, snapshot,
};
use crate::model::Ecosystem;

/// Pages of `/versions` followed at most (crates.io answers in one page unless asked otherwise).
const MAX_PAGES: usize = 20;

/// The sparse-index path of a crate (`1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd`), lowercase; `None`
/// for a name crates.io cannot have.
pub(crate) fn index_path(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    Some(match lower.len() {
        1 => format!("1/{lower}"),
        2 => format!("2/{lower}"),
        3 => format!("3/{}/{lower}", lower.get(..1)?),
        _ => format!("{}/{}/{lower}", lower.get(..2)?, lower.get(2..4)?),
    })
}

#[derive(Debug, Deserialize)]
struct IndexLine {
    name: String,
    vers: String,
    #[serde(default)]
    cksum: Option<String>,
    #[serde(default)]
    yanked: Option<bool>,
    #[serde(default)]
    pubtime: Option<String>,
}

/// A parsed index file.
#[derive(Debug)]
pub(crate) struct IndexFile {
    /// The crate's name as published.
    name: Option<String>,
    /// Its versions, in publication order.
    versions: Vec<VersionMeta>,
    /// Lines skipped.
    skipped: Skipped,
}

/// Parse an index file: one version per line; a malformed line is skipped (the first few with a
/// note each, the rest counted).
pub(crate) fn parse_index(crate_name: &str, body: &[u8]) -> Result<IndexFile, String> {
    let mut name = None;
    let mut versions = Vec::new();
    let mut skipped = Skipped::default();
    for (n, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<IndexLine>(line) {
            Ok(entry) => {
                name.get_or_insert_with(|| safe_text(&entry.name, 100));
                versions.push(VersionMeta {
                    version: safe_text(&entry.vers, 100),
                    published_at: entry.pubtime.as_deref().and_then(parse_time),
                    yanked: Some(entry.yanked.unwrap_or(false)),
                    checksums: entry.cksum.iter().map(|c| format!("sha256:{}", safe_text(c, 128))).collect(),
                    ..VersionMeta::default()
                });
            }
            Err(e) => skipped
                .add(|| format!("crates.io index of `{}`: line {} skipped: {e}", safe_text(crate_name, 100), n + 1)),
        }
    }
    if versions.is_empty() && skipped.count() > 0 {
        return Err("no valid line in the index file".to_owned());
    }
    Ok(IndexFile { name, versions, skipped })
}

/// The index listing of `name`; `revalidate`: ask even when the cached copy is fresh.
pub(crate) fn listing(http: &Http, config: &RegistryConfig, name: &str, revalidate: bool) -> ListingResult {
    let registry = Registry::CratesIndex;
    let Some(path) = index_path(name) else {
        return Err((
            registry,
            FetchError::new(ErrorKind::Malformed, &format!("`{name}` is not a crates.io crate name")),
        ));
    };
    let url = format!("{}/{path}", base_url(&config.crates_io_index));
    let (answer, origin) = http
        .get_with(registry, &url, name, Expect::JsonLines, revalidate, |body| parse_index(name, body))
        .map_err(|e| (registry, e))?;
    let answer = match answer {
        Answer::NotFound => Answer::NotFound,
        Answer::Found(IndexFile { name: found, versions, skipped }) => Answer::Found(Listing {
            meta: PackageMeta {
                ecosystem: Ecosystem::Cargo,
                name: found.unwrap_or_else(|| name.to_owned()),
                versions,
                owners: None,
                owner_changes: Vec::new(),
                detailed: false,
            },
            pypi_files: BTreeMap::new(),
            notes: Vec::new(),
            skipped,
        }),
    };
    Ok((answer, origin))
}

#[derive(Debug, Deserialize)]
struct VersionsPage {
    #[serde(default)]
    versions: Option<Vec<Value>>,
    #[serde(default)]
    meta: Option<PageMeta>,
}

#[derive(Debug, Deserialize)]
struct PageMeta {
    #[serde(default)]
    next_page: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiVersionWire {
    num: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    yanked: Option<bool>,
    #[serde(default)]
    checksum: Option<String>,
    #[serde(default)]
    published_by: Option<UserWire>,
    #[serde(default)]
    audit_actions: Vec<AuditWire>,
    #[serde(default)]
    trustpub_data: Option<TrustpubWire>,
    #[serde(default)]
    repository: Option<String>,
}

#[derive(Debug, Deserialize)]
struct UserWire {
    login: String,
}

#[derive(Debug, Deserialize)]
struct AuditWire {
    action: String,
    #[serde(default)]
    user: Option<UserWire>,
}

#[derive(Debug, Deserialize)]
struct TrustpubWire {
    provider: String,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    project_path: Option<String>,
}

/// One version as the API describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ApiVersion {
    num: String,
    created_at: Option<time::OffsetDateTime>,
    yanked: Option<bool>,
    checksum: Option<String>,
    publisher: Option<Publisher>,
    provenance: Option<Provenance>,
    repository: Option<String>,
}

fn api_version(w: ApiVersionWire) -> ApiVersion {
    let trusted = w.trustpub_data.as_ref().map(|t| {
        let provider = safe_text(&t.provider.to_ascii_lowercase(), 40);
        let source = t.repository.as_deref().or(t.project_path.as_deref()).map(|r| safe_text(r, 200));
        let repository = match (provider.as_str(), &source) {
            ("github", Some(r)) => Some(format!("https://github.com/{r}")),
            ("gitlab", Some(r)) => Some(format!("https://gitlab.com/{r}")),
            _ => None,
        };
        let who = format!("{provider}:{}", source.as_deref().unwrap_or("?"));
        let publisher =
            Publisher { id: format!("trustpub:{who}"), display: format!("trusted publisher {who}"), trusted: true };
        (publisher, Provenance { repository, workflow: None })
    });
    let user = w
        .published_by
        .map(|u| u.login)
        .or_else(|| w.audit_actions.into_iter().find(|a| a.action == "publish").and_then(|a| a.user).map(|u| u.login));
    let (publisher, provenance) = if let Some((publisher, provenance)) = trusted {
        (Some(publisher), Some(provenance))
    } else {
        let publisher = user.map(|login| {
            let login = safe_text(&login, 100);
            Publisher { id: format!("github:{login}"), display: format!("@{login}"), trusted: false }
        });
        (publisher, None)
    };
    ApiVersion {
        num: safe_text(&w.num, 100),
        created_at: w.created_at.as_deref().and_then(parse_time),
        yanked: w.yanked,
        checksum: w.checksum.map(|c| format!("sha256:{}", safe_text(&c, 128))),
        publisher,
        provenance,
        repository: w.repository.as_deref().and_then(normalize_repository),
    }
}

/// One page of `/versions`.
#[derive(Debug)]
pub(crate) struct Page {
    versions: Vec<ApiVersion>,
    /// The next page's query (`?per_page=..&seek=..`).
    next: Option<String>,
    skipped: Skipped,
}

/// Parse one page of `/versions`: the versions (an entry of the wrong shape is skipped, the
/// first few with a note each) and the next page's query, if any.
pub(crate) fn parse_versions(crate_name: &str, body: &[u8]) -> Result<Page, String> {
    let page: VersionsPage = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Some(raw) = page.versions else { return Err("no `versions` in the response".to_owned()) };
    let mut skipped = Skipped::default();
    let mut versions = Vec::new();
    for (i, value) in raw.into_iter().enumerate() {
        match serde_json::from_value::<ApiVersionWire>(value) {
            Ok(w) => versions.push(api_version(w)),
            Err(e) => skipped
                .add(|| format!("crates.io API versions of `{}`: entry {i} skipped: {e}", safe_text(crate_name, 100))),
        }
    }
    Ok(Page { versions, next: page.meta.and_then(|m| m.next_page).filter(|p| p.starts_with('?')), skipped })
}

#[derive(Debug, Deserialize)]
struct OwnersWire {
    #[serde(default)]
    users: Option<Vec<OwnerWire>>,
}

#[derive(Debug, Deserialize)]
struct OwnerWire {
    login: String,
    #[serde(default)]
    kind: Option<String>,
}

/// Parse `/owners`: users are `github:<login>`, teams `team:<login>` (`team:github:org:team`).
pub(crate) fn parse_owners(body: &[u8]) -> Result<Vec<Owner>, String> {
    let wire: OwnersWire = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Some(users) = wire.users else { return Err("no `users` in the response".to_owned()) };
    let mut owners: Vec<Owner> = users
        .into_iter()
        .map(|u| {
            let login = safe_text(&u.login, 200);
            let id =
                if u.kind.as_deref() == Some("team") { format!("team:{login}") } else { format!("github:{login}") };
            Owner { id, role: None }
        })
        .collect();
    owners.sort();
    owners.dedup();
    Ok(owners)
}

/// What reading every page of `/versions` gave.
#[derive(Debug)]
struct Pages {
    /// `Some(true)`: every page read; `Some(false)`: a page failed; `None`: out of pages.
    complete: Option<bool>,
    versions: Vec<ApiVersion>,
    skipped: Skipped,
    errors: Vec<(Registry, FetchError)>,
    /// Pages served from the cache without asking.
    cached: usize,
}

/// Read the pages of `/versions` (at most [`MAX_PAGES`]); `revalidate`: ask even for pages
/// whose cached copy is fresh.
fn versions_pages(http: &Http, crate_url: &str, name: &str, revalidate: bool) -> Pages {
    let registry = Registry::CratesApi;
    let mut pages =
        Pages { complete: None, versions: Vec::new(), skipped: Skipped::default(), errors: Vec::new(), cached: 0 };
    let mut url = format!("{crate_url}/versions");
    for _ in 0..MAX_PAGES {
        match http.get_with(registry, &url, name, Expect::Json, revalidate, |body| parse_versions(name, body)) {
            Ok((Answer::Found(page), origin)) => {
                pages.cached += usize::from(origin == Origin::Cache);
                pages.versions.extend(page.versions);
                pages.skipped.extend(page.skipped);
                let Some(query) = page.next else {
                    pages.complete = Some(true);
                    break;
                };
                url = format!("{crate_url}/versions{query}");
            }
            Ok((Answer::NotFound, _)) => {
                pages.errors.push((registry, FetchError::new(ErrorKind::Status(404), &format!("{url}: HTTP 404"))));
                pages.complete = Some(false);
                break;
            }
            Err(e) => {
                pages.errors.push((registry, e));
                pages.complete = Some(false);
                break;
            }
        }
    }
    pages
}

/// The API's details: publishers, trusted publishing, repositories, owners. Returns what failed.
pub(crate) fn details(http: &Http, config: &RegistryConfig, listing: &mut Listing) -> Vec<(Registry, FetchError)> {
    let registry = Registry::CratesApi;
    let name = listing.meta.name.clone();
    let api = base_url(&config.crates_io_api);
    let crate_url = format!("{api}/crates/{}", encode_segment(&name));

    let mut pages = versions_pages(http, &crate_url, &name, false);
    // A fresh cached copy older than the index (a release published since it was fetched) would
    // leave the newest releases without a publisher: ask again, once.
    if pages.cached > 0 && pages.complete == Some(true) {
        let known: BTreeSet<&str> = pages.versions.iter().map(|v| v.num.as_str()).collect();
        if listing.meta.versions.iter().any(|v| !known.contains(v.version.as_str())) {
            http.discard_hits(pages.cached);
            pages = versions_pages(http, &crate_url, &name, true);
        }
    }
    let Pages { complete, versions: api_versions, skipped, mut errors, .. } = pages;
    listing.skipped.extend(skipped);
    if complete == Some(true) {
        merge(&mut listing.meta, api_versions);
        listing.meta.detailed = true;
    } else if complete.is_none() {
        // Stopping silently would pass for "no publisher data"; an incomplete list is not used.
        listing.notes.push(format!(
            "crates.io API versions of `{name}`: more than {MAX_PAGES} pages; stopped there, so the per-version \
             details (publishers, trusted publishing) of this crate are not used"
        ));
    }

    let url = format!("{crate_url}/owners");
    match http.get(registry, &url, &name, Expect::Json, parse_owners) {
        Ok(Answer::Found(owners)) => {
            listing.meta.owner_changes = snapshot::observe(http.cache_dir(), registry, &name, &owners, http.now());
            listing.meta.owners = Some(owners);
        }
        Ok(Answer::NotFound) => {
            errors.push((registry, FetchError::new(ErrorKind::Status(404), &format!("{url}: HTTP 404"))));
        }
        Err(e) => errors.push((registry, e)),
    }
    errors
}

/// Fill the index's versions with what the API says about them.
fn merge(meta: &mut PackageMeta, api_versions: Vec<ApiVersion>) {
    let mut by_num: BTreeMap<String, ApiVersion> = api_versions.into_iter().map(|v| (v.num.clone(), v)).collect();
    for v in &mut meta.versions {
        let Some(a) = by_num.remove(&v.version) else { continue };
        apply(v, a);
    }
    // Published after the index file was fetched (or missing from it): newest last.
    let mut rest: Vec<ApiVersion> = by_num.into_values().collect();
    rest.sort_by_key(|a| a.created_at);
    for a in rest {
        let mut v = VersionMeta { version: a.num.clone(), ..VersionMeta::default() };
        apply(&mut v, a);
        meta.versions.push(v);
    }
}

fn apply(v: &mut VersionMeta, a: ApiVersion) {
    v.publisher = a.publisher;
    v.provenance = Some(a.provenance);
    v.repository = a.repository;
    if v.published_at.is_none() {
        v.published_at = a.created_at;
    }
    if v.yanked.is_none() {
        v.yanked = a.yanked;
    }
    if v.checksums.is_empty() {
        v.checksums.extend(a.checksum);
    }
}

/// The download endpoint when the index's `config.json` cannot be had: crates.io's.
pub(crate) const DEFAULT_DL: &str = "https://static.crates.io/crates";

/// chainward's cache directory (under the registry cache) of what `.crate` archives said
/// (whether each is a proc-macro), one small JSON file per crate version.
const CRATE_KINDS_DIR: &str = "crates.io-crates";

/// The index lines of the wanted versions of one crate, as the registry wrote them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct WantedLines {
    /// Version → the raw JSON line (the first line of each version).
    pub(crate) lines: BTreeMap<String, String>,
    /// Lines that are not JSON with a `vers`, skipped.
    pub(crate) skipped: usize,
}

#[derive(Deserialize)]
struct VersOnly<'a> {
    #[serde(borrow)]
    vers: std::borrow::Cow<'a, str>,
}

/// The lines of `wanted` versions in an index file, found by each line's `vers` (only that
/// field is read; the caller parses the lines it keeps). Like [`parse_index`], a non-empty
/// body without one valid line is an error (so the HTTP cache keeps only what both accept).
pub(crate) fn wanted_lines(body: &[u8], wanted: &BTreeSet<String>) -> Result<WantedLines, String> {
    let mut out = WantedLines::default();
    let mut valid = 0usize;
    for line in body.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(entry) = serde_json::from_slice::<VersOnly<'_>>(line) else {
            out.skipped += 1;
            continue;
        };
        valid += 1;
        if wanted.contains(entry.vers.as_ref())
            && !out.lines.contains_key(entry.vers.as_ref())
            && let Ok(text) = std::str::from_utf8(line)
        {
            out.lines.insert(entry.vers.into_owned(), text.trim().to_owned());
        }
    }
    if valid == 0 && out.skipped > 0 {
        return Err("no valid line in the index file".to_owned());
    }
    Ok(out)
}

/// How a lookup of some versions' index lines ended.
#[derive(Debug)]
pub(crate) enum IndexLookup {
    /// The crate's index file was had.
    Found {
        /// The lines of the wanted versions it has.
        lines: WantedLines,
        /// `true` for the registry's answer of this run or a cached one younger than the TTL
        /// (revalidated when it lacked a wanted version); `false` for a copy used offline or
        /// because the registry failed, which may predate a release.
        current: bool,
    },
    /// The registry has no such crate (its answer, possibly cached).
    NotFound,
    /// No answer; the message names the URL and why, safe to print.
    Failed {
        /// Offline, and chainward's cache does not have the index file.
        offline: bool,
        /// What happened.
        message: String,
    },
}

/// The sparse index and its downloads, for the compiled-crate resolver
/// ([`crate::compiled::metadata`]): the same URLs and HTTP cache as [`listing`], so a crate
/// already looked up costs no request.
#[derive(Debug)]
pub(crate) struct IndexClient<'c> {
    http: Http,
    config: &'c RegistryConfig,
    /// The download URL template (`dl` of the index's `config.json`), fetched on first use;
    /// the error says why there is none.
    dl: std::sync::OnceLock<Result<String, String>>,
}

/// What chainward caches about a downloaded `.crate` (not the archive).
#[derive(Debug, Serialize, Deserialize)]
struct CrateKind {
    name: String,
    version: String,
    proc_macro: bool,
}

impl<'c> IndexClient<'c> {
    /// A client for `config` (its cache directory, offline mode, timeouts, index URL).
    pub(crate) fn new(config: &'c RegistryConfig) -> Self {
        IndexClient { http: Http::new(config), config, dl: std::sync::OnceLock::new() }
    }

    /// Requests sent so far.
    pub(crate) fn requests(&self) -> usize {
        self.http.requests()
    }

    /// Answers served from chainward's cache so far.
    pub(crate) fn cache_hits(&self) -> usize {
        self.http.cache_hits()
    }

    /// The HTTP layer's notes (stale copies used, an unwritable cache), not yet made safe.
    pub(crate) fn take_notes(&self) -> Vec<String> {
        self.http.take_notes()
    }

    /// The index lines of `wanted` versions of `name`. A cached index file younger than the
    /// TTL that lacks a wanted version is revalidated once (a release published since).
    pub(crate) fn lines(&self, name: &str, wanted: &BTreeSet<String>) -> IndexLookup {
        let Some(path) = index_path(name) else {
            return IndexLookup::Failed { offline: false, message: format!("`{name}` is not a crates.io crate name") };
        };
        let url = format!("{}/{path}", base_url(&self.config.crates_io_index));
        let get = |revalidate: bool| {
            self.http.get_with(Registry::CratesIndex, &url, name, Expect::JsonLines, revalidate, |body| {
                wanted_lines(body, wanted)
            })
        };
        let mut result = get(false);
        if let Ok((Answer::Found(found), Origin::Cache)) = &result
            && wanted.iter().any(|v| !found.lines.contains_key(v))
        {
            self.http.discard_hits(1);
            result = get(true);
        }
        match result {
            Ok((Answer::Found(lines), origin)) => {
                IndexLookup::Found { lines, current: matches!(origin, Origin::Cache | Origin::Network) }
            }
            Ok((Answer::NotFound, _)) => IndexLookup::NotFound,
            Err(e) => IndexLookup::Failed { offline: e.kind == ErrorKind::OfflineMiss, message: e.message },
        }
    }

    /// The download URL template: `dl` of `<index>/config.json` (cached like index files); for
    /// crates.io's own index, [`DEFAULT_DL`] when `config.json` cannot be had. A `dl` that is
    /// not `http(s)://`, or plain `http://` for an `https://` index, is refused.
    fn dl(&self) -> Result<&str, &str> {
        let dl = self.dl.get_or_init(|| {
            #[derive(Deserialize)]
            struct IndexConfig {
                dl: String,
            }
            let base = base_url(&self.config.crates_io_index);
            let url = format!("{base}/config.json");
            let parse =
                |body: &[u8]| serde_json::from_slice::<IndexConfig>(body).map(|c| c.dl).map_err(|e| e.to_string());
            let fetched = match self.http.get(Registry::CratesIndex, &url, "config.json", Expect::Json, parse) {
                Ok(Answer::Found(dl)) => Ok(dl.trim().to_owned()),
                Ok(Answer::NotFound) => Err(format!("{url}: HTTP 404")),
                Err(e) => Err(e.message),
            };
            match fetched {
                Ok(dl)
                    if super::http::https_only(&dl)
                        || (dl.starts_with("http://") && !super::http::https_only(base)) =>
                {
                    Ok(safe_text(&dl, 1000))
                }
                Ok(dl) => Err(safe_text(&format!("{url}: download URL `{dl}` refused (not HTTPS)"), 400)),
                Err(_) if base == base_url(super::defaults::CRATES_IO_INDEX) => Ok(DEFAULT_DL.to_owned()),
                Err(e) => Err(format!("no download URL: {e}")),
            }
        });
        dl.as_deref().map_err(String::as_str)
    }

    /// Where chainward keeps what it learned from `name` `version`'s archive.
    fn kind_path(&self, name: &str, version: &str) -> Option<std::path::PathBuf> {
        let key = format!("{}\0{version}", name.to_ascii_lowercase());
        let dir = self.http.cache_dir()?.join(CRATE_KINDS_DIR);
        Some(dir.join(super::http::hex(&Sha256::digest(key.as_bytes()))))
    }

    /// Whether `name` `version` is a proc-macro, from its `.crate` (downloaded from the index's
    /// `dl` endpoint and checked against `cksum` when given, only its `Cargo.toml` read), or
    /// from chainward's cache of that answer (published crates never change). Offline, only
    /// the cache. The error says why it is not known, safe to print.
    pub(crate) fn proc_macro(&self, name: &str, version: &str, cksum: Option<&str>) -> Result<bool, String> {
        if index_path(name).is_none() || semver::Version::parse(version).is_err() {
            return Err(format!("`{name}` `{version}` is not a crates.io crate version"));
        }
        let path = self.kind_path(name, version);
        if let Some(path) = &path
            && let Ok(bytes) = std::fs::read(path)
            && let Ok(kind) = serde_json::from_slice::<CrateKind>(&bytes)
            && kind.name.eq_ignore_ascii_case(name)
            && kind.version == version
        {
            return Ok(kind.proc_macro);
        }
        if self.config.offline {
            return Err(format!("{name} {version}: archive not downloaded (offline)"));
        }
        let url = download_url(self.dl().map_err(str::to_owned)?, name, version, cksum.unwrap_or_default());
        let bytes = match self.http.get_bytes(Registry::CratesIndex, &url, name, super::cargo_home::MAX_CRATE_FILE) {
            Ok(Answer::Found(bytes)) => bytes,
            Ok(Answer::NotFound) => return Err(format!("{url}: HTTP 404")),
            Err(e) => return Err(e.message),
        };
        if let Some(cksum) = cksum {
            let got = super::http::hex(&Sha256::digest(&bytes));
            if !got.eq_ignore_ascii_case(cksum.trim()) {
                return Err(safe_text(&format!("{url}: checksum {got} is not the index's {cksum}"), 400));
            }
        }
        let proc_macro = match super::cargo_home::crate_proc_macro(&bytes[..], name, version) {
            Ok(Some(proc_macro)) => proc_macro,
            Ok(None) => return Err(format!("{url}: no {name}-{version}/Cargo.toml in the archive")),
            Err(e) => return Err(safe_text(&format!("{url}: {e}"), 400)),
        };
        if let Some(path) = &path {
            let kind = CrateKind { name: name.to_owned(), version: version.to_owned(), proc_macro };
            // A cache that cannot be written costs a download next time, nothing more.
            if let Ok(bytes) = serde_json::to_vec(&kind) {
                let _ = crate::fsutil::write_atomically(path, &bytes);
            }
        }
        Ok(proc_macro)
    }
}

/// The download URL of a crate, as cargo builds it from the index's `dl`: with none of the
/// markers `{crate}`, `{version}`, `{prefix}`, `{lowerprefix}`, `{sha256-checksum}`, it is
/// `{dl}/{crate}/{version}/download`; else the markers are replaced.
pub(crate) fn download_url(dl: &str, name: &str, version: &str, cksum: &str) -> String {
    const MARKERS: [&str; 5] = ["{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"];
    if !MARKERS.iter().any(|m| dl.contains(m)) {
        return format!("{}/{name}/{version}/download", dl.trim_end_matches('/'));
    }
    let prefix = match name.len() {
        1 => "1".to_owned(),
        2 => "2".to_owned(),
        3 => format!("3/{}", name.get(..1).unwrap_or_default()),
        _ => format!("{}/{}", name.get(..2).unwrap_or_default(), name.get(2..4).unwrap_or_default()),
    };
    dl.replace("{crate}", name)
        .replace("{version}", version)
        .replace("{prefix}", &prefix)
        .replace("{lowerprefix}", &prefix.to_ascii_lowercase())
        .replace("{sha256-checksum}", cksum)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn index_paths() {
        assert_eq!(index_path("a").as_deref(), Some("1/a"));
        assert_eq!(index_path("AB").as_deref(), Some("2/ab"));
        assert_eq!(index_path("abc").as_deref(), Some("3/a/abc"));
        assert_eq!(index_path("Serde_Json").as_deref(), Some("se/rd/serde_json"));
        assert_eq!(index_path(""), None);
        assert_eq!(index_path("../etc"), None);
        assert_eq!(index_path("é"), None);
    }

    #[test]
    fn index_lines_tolerate_unknown_fields_and_skip_bad_ones() {
        let body = br#"{"name":"x","vers":"0.1.0","deps":[],"cksum":"aa","features":{},"yanked":false}
not json
{"name":"x","vers":"0.2.0","cksum":"bb","yanked":true,"pubtime":"2025-01-02T03:04:05Z","v":2,"new_field":1}
"#;
        let IndexFile { name, versions, skipped } = parse_index("x", body).unwrap();
        assert_eq!(name.as_deref(), Some("x"));
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0].published_at, None);
        assert_eq!(versions[1].yanked, Some(true));
        assert_eq!(versions[1].checksums, ["sha256:bb"]);
        assert!(versions[1].published_at.is_some());
        let notes = skipped.into_notes("crates.io `x`");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("line 2"));
        assert!(parse_index("x", b"garbage\n").is_err());
    }

    #[test]
    fn wanted_lines_are_picked_by_vers_only() {
        let body = br#"{"name":"x","vers":"0.1.0","deps":[{"name":"y","req":"^1"}]}
not json
{"vers":"0.2.0","name":"x","features":{}}
{"name":"x","vers":"0.2.0","dup":true}
{"name":"x","vers":"0.3.0"}
"#;
        let wanted: BTreeSet<String> = ["0.2.0", "0.1.0", "9.0.0"].iter().map(|v| (*v).to_owned()).collect();
        let found = wanted_lines(body, &wanted).unwrap();
        assert_eq!(found.skipped, 1);
        assert_eq!(found.lines.keys().collect::<Vec<_>>(), ["0.1.0", "0.2.0"]);
        // The first line of a version, as written.
        assert_eq!(found.lines["0.2.0"], r#"{"vers":"0.2.0","name":"x","features":{}}"#);
        assert!(wanted_lines(b"garbage\n{", &wanted).is_err());
        assert_eq!(wanted_lines(b"", &wanted).unwrap(), WantedLines::default());
    }

    #[test]
    fn download_urls_follow_cargos_template_rules() {
        assert_eq!(
            download_url("https://static.crates.io/crates/", "serde", "1.0.0", "ab"),
            "https://static.crates.io/crates/serde/1.0.0/download"
        );
        assert_eq!(
            download_url(
                "https://m.example/{prefix}/{lowerprefix}/{crate}-{version}.crate?{sha256-checksum}",
                "AbCd",
                "1.0.0",
                "ab"
            ),
            "https://m.example/Ab/Cd/ab/cd/AbCd-1.0.0.crate?ab"
        );
        assert_eq!(download_url("https://m/{prefix}/{crate}", "abc", "1.0.0", ""), "https://m/3/a/abc");
        assert_eq!(download_url("https://m/{prefix}/{crate}", "a", "1.0.0", ""), "https://m/1/a");
    }

    #[test]
    fn malformed_index_lines_cost_a_bounded_number_of_notes() {
        let mut body = b"{\"name\":\"x\",\"vers\":\"0.1.0\"}\n".to_vec();
        for _ in 0..10_000 {
            body.extend_from_slice(b"{oops\n");
        }
        let IndexFile { versions, skipped, .. } = parse_index("x", &body).unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(skipped.count(), 10_000);
        let notes = skipped.into_notes("crates.io `x`");
        assert_eq!(notes.len(), Skipped::SHOWN + 1);
        assert_eq!(notes[3], "crates.io `x`: and 9997 more malformed records skipped");
    }
}
