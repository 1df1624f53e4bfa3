//! PyPI: the JSON API (`GET {pypi}/pypi/{name}/json`, the PEP 503-normalized name) for releases,
//! upload times, yanked files, digests and ownership; and the Integrity API (PEP 740,
//! `GET {pypi}/integrity/{name}/{version}/{filename}/provenance`,
//! `Accept: application/vnd.pypi.integrity.v1+json`) for the trusted publisher that built a
//! file, fetched only for the releases worth it.
//!
//! Shapes (pypi.org, recorded; docs.pypi.org/api/json and /api/integrity; `pypi-attestations`'
//! `Provenance`, `GitHubPublisher`, `GitLabPublisher`):
//! - project: `info` (`name`, `version` (latest), `project_urls`), `releases["<version>"]`: files
//!   with `filename`, `packagetype`, `upload_time_iso_8601`, `yanked`, `digests.sha256`;
//!   `ownership`: `{roles: [{role: "Owner"|"Maintainer", user}], organization}`;
//! - provenance: `{version: 1, attestation_bundles: [{publisher: {kind: "GitHub", repository:
//!   "owner/repo", workflow: "release.yml", environment, claims}, attestations: [...]}]}`
//!   (`kind: "GitLab"` has no `workflow`); 404 when the file has none.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::http::{Answer, Expect, FetchError, Http, Registry};
use super::{
    Listing, ListingResult, Owner, PackageMeta, Provenance, Publisher, RegistryConfig, VersionMeta, WantDetail,
    base_url, encode_segment, normalize_repository, parse_time, safe_text, snapshot, sort_by_published,
};
use crate::model::Ecosystem;

#[derive(Debug, Deserialize)]
struct ProjectWire {
    info: InfoWire,
    #[serde(default)]
    releases: Option<Map<String, Value>>,
    #[serde(default)]
    urls: Option<Vec<Value>>,
    #[serde(default)]
    ownership: Option<OwnershipWire>,
}

#[derive(Debug, Deserialize)]
struct InfoWire {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    project_urls: Option<Map<String, Value>>,
    #[serde(default)]
    home_page: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FileWire {
    filename: String,
    #[serde(default)]
    packagetype: Option<String>,
    #[serde(default)]
    upload_time_iso_8601: Option<String>,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    digests: Option<DigestsWire>,
}

#[derive(Debug, Deserialize)]
struct DigestsWire {
    #[serde(default)]
    sha256: Option<String>,
}

#[derive(Debug, Deserialize)]
struct OwnershipWire {
    #[serde(default)]
    roles: Vec<RoleWire>,
    #[serde(default)]
    organization: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RoleWire {
    #[serde(default)]
    role: Option<String>,
    user: String,
}

/// The project's source repository among its `project_urls` (the first of `Source`,
/// `Repository`, `Code`, ... that is set), else a home page on a code host.
fn project_repository(info: &InfoWire) -> Option<String> {
    const KEYS: [&str; 7] = ["source", "source code", "repository", "code", "github", "gitlab", "homepage"];
    let urls: Vec<(String, &str)> = info
        .project_urls
        .iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.trim().to_ascii_lowercase(), v.as_str()?)))
        .collect();
    let on_code_host =
        |u: &str| ["github.com/", "gitlab.com/", "bitbucket.org/", "codeberg.org/"].iter().any(|h| u.contains(h));
    for key in KEYS {
        if let Some((_, url)) = urls.iter().find(|(k, _)| k == key)
            && (key != "homepage" || on_code_host(url))
        {
            return normalize_repository(url);
        }
    }
    info.home_page.as_deref().filter(|u| on_code_host(u)).and_then(normalize_repository)
}

/// A parsed project JSON.
#[derive(Debug)]
struct Project {
    name: String,
    versions: Vec<VersionMeta>,
    owners: Option<Vec<Owner>>,
    /// Release → the file whose provenance stands for it.
    files: BTreeMap<String, String>,
    notes: Vec<String>,
}

/// Parse the project JSON: releases (oldest first), owners, and the file of each release whose
/// provenance will stand for the release's (the sdist, else the first file).
fn parse_project(body: &[u8]) -> Result<Project, String> {
    let wire: ProjectWire = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let name = safe_text(&wire.info.name, 200);
    let latest = wire.info.version.clone();
    let repo = project_repository(&wire.info);
    let mut releases: Vec<(String, Vec<Value>)> = match wire.releases {
        Some(map) => map.into_iter().map(|(v, files)| (v, files.as_array().cloned().unwrap_or_default())).collect(),
        None => latest.iter().map(|v| (v.clone(), wire.urls.clone().unwrap_or_default())).collect(),
    };
    let mut notes = Vec::new();
    let mut versions = Vec::new();
    let mut files_for = BTreeMap::new();
    for (version, raw_files) in releases.drain(..) {
        let mut files = Vec::new();
        for value in raw_files {
            match serde_json::from_value::<FileWire>(value) {
                Ok(f) => files.push(f),
                Err(e) => notes.push(format!("PyPI `{name}` {}: a file entry skipped: {e}", safe_text(&version, 100))),
            }
        }
        let version = safe_text(&version, 100);
        let chosen = files.iter().find(|f| f.packagetype.as_deref() == Some("sdist")).or(files.first());
        if let Some(f) = chosen {
            files_for.insert(version.clone(), f.filename.clone());
        }
        versions.push(VersionMeta {
            published_at: files.iter().filter_map(|f| f.upload_time_iso_8601.as_deref().and_then(parse_time)).min(),
            yanked: (!files.is_empty()).then(|| files.iter().all(|f| f.yanked)),
            checksums: files
                .iter()
                .filter_map(|f| f.digests.as_ref()?.sha256.as_deref())
                .map(|h| format!("sha256:{}", safe_text(h, 128)))
                .collect(),
            repository: if latest.as_deref() == Some(version.as_str()) { repo.clone() } else { None },
            version,
            ..VersionMeta::default()
        });
    }
    sort_by_published(&mut versions);
    let owners = wire.ownership.map(|o| {
        let mut owners: Vec<Owner> = o
            .roles
            .into_iter()
            .map(|r| Owner { id: format!("pypi:{}", safe_text(&r.user, 100)), role: r.role.map(|r| safe_text(&r, 40)) })
            .collect();
        if let Some(org) = o.organization {
            owners.push(Owner {
                id: format!("pypi-org:{}", safe_text(&org, 100)),
                role: Some("Organization".to_owned()),
            });
        }
        owners.sort();
        owners.dedup();
        owners
    });
    Ok(Project { name, versions, owners, files: files_for, notes })
}

/// The project JSON of `name` (already normalized).
pub(crate) fn listing(http: &Http, config: &RegistryConfig, name: &str) -> ListingResult {
    let registry = Registry::PyPI;
    let url = format!("{}/pypi/{}/json", base_url(&config.pypi), encode_segment(name));
    let answer = http.get(registry, &url, Expect::Json, parse_project).map_err(|e| (registry, e))?;
    let Answer::Found(Project { name: found, versions, owners, files: pypi_files, notes }) = answer else {
        return Ok(Answer::NotFound);
    };
    let owner_changes = match &owners {
        Some(list) => snapshot::observe(http.cache_dir(), registry, name, list, http.now()),
        None => Vec::new(),
    };
    Ok(Answer::Found(Listing {
        meta: PackageMeta { ecosystem: Ecosystem::PyPI, name: found, versions, owners, owner_changes, detailed: false },
        pypi_files,
        notes,
    }))
}

/// The releases whose provenance to fetch, with the file to ask about: each version in use
/// that `want_detail` accepts, and the release before it (so a change can be seen).
pub(crate) fn provenance_targets(
    listing: &Listing,
    in_use: &BTreeSet<String>,
    want_detail: &WantDetail<'_>,
) -> Vec<(String, String)> {
    let versions = &listing.meta.versions;
    let mut wanted = BTreeSet::new();
    for v in in_use {
        let Some(pos) = position(versions, v) else { continue };
        if !want_detail(&listing.meta, v) {
            continue;
        }
        let with_file = |i: &usize| versions.get(*i).is_some_and(|m| listing.pypi_files.contains_key(&m.version));
        wanted.insert(pos);
        if let Some(before) = (0..pos).rev().find(with_file) {
            wanted.insert(before);
        }
    }
    wanted
        .into_iter()
        .filter_map(|i| {
            let version = versions.get(i)?.version.clone();
            let file = listing.pypi_files.get(&version)?.clone();
            Some((version, file))
        })
        .collect()
}

/// Where `version` is among `versions`: the same string, else the same PEP 440 version.
fn position(versions: &[VersionMeta], version: &str) -> Option<usize> {
    versions.iter().position(|m| m.version == version).or_else(|| {
        let wanted = pep440_rs::Version::from_str(version).ok()?;
        versions.iter().position(|m| pep440_rs::Version::from_str(&m.version).is_ok_and(|v| v == wanted))
    })
}

#[derive(Debug, Deserialize)]
struct ProvenanceWire {
    #[serde(default)]
    attestation_bundles: Vec<BundleWire>,
}

#[derive(Debug, Deserialize)]
struct BundleWire {
    #[serde(default)]
    publisher: Option<PublisherWire>,
}

#[derive(Debug, Deserialize)]
struct PublisherWire {
    kind: String,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    workflow: Option<String>,
}

/// Parse a provenance object: the first bundle's trusted publisher.
fn parse_provenance(body: &[u8]) -> Result<Option<(Publisher, Provenance)>, String> {
    let wire: ProvenanceWire = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Some(p) = wire.attestation_bundles.into_iter().find_map(|b| b.publisher) else { return Ok(None) };
    let kind = safe_text(&p.kind.to_ascii_lowercase(), 40);
    let repo = p.repository.as_deref().map(|r| safe_text(r, 200));
    let repository = match (kind.as_str(), &repo) {
        ("github", Some(r)) => Some(format!("https://github.com/{r}")),
        ("gitlab", Some(r)) => Some(format!("https://gitlab.com/{r}")),
        _ => None,
    };
    let workflow = p.workflow.map(|w| {
        let w = safe_text(&w, 200);
        if kind == "github" && !w.contains('/') { format!(".github/workflows/{w}") } else { w }
    });
    let who = format!("{kind}:{}", repo.as_deref().unwrap_or("?"));
    Ok(Some((
        Publisher { id: format!("trustpub:{who}"), display: format!("trusted publisher {who}"), trusted: true },
        Provenance { repository, workflow },
    )))
}

/// Fetch the provenance of `targets` (version, file). Returns what failed.
pub(crate) fn details(
    http: &Http,
    config: &RegistryConfig,
    listing: &mut Listing,
    targets: &[(String, String)],
) -> Vec<(Registry, FetchError)> {
    let registry = Registry::PyPI;
    let mut errors = Vec::new();
    let name = Ecosystem::PyPI.normalize_name(&listing.meta.name);
    for (version, file) in targets {
        let url = format!(
            "{}/integrity/{}/{}/{}/provenance",
            base_url(&config.pypi),
            encode_segment(&name),
            encode_segment(version),
            encode_segment(file)
        );
        let found = match http.get(registry, &url, Expect::PypiIntegrity, parse_provenance) {
            Ok(Answer::Found(found)) => found,
            Ok(Answer::NotFound) => None,
            Err(e) => {
                errors.push((registry, e));
                continue;
            }
        };
        if let Some(v) = listing.meta.versions.iter_mut().find(|v| &v.version == version) {
            match found {
                Some((publisher, provenance)) => {
                    v.publisher = Some(publisher);
                    v.provenance = Some(Some(provenance));
                }
                None => v.provenance = Some(None),
            }
        }
    }
    listing.meta.detailed = errors.is_empty();
    errors
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn provenance_publisher_and_workflow() {
        let body = br#"{"version":1,"attestation_bundles":[{"publisher":{"kind":"GitHub","repository":"pypa/sampleproject","workflow":"release.yml","environment":"pypi","claims":null},"attestations":[]}]}"#;
        let (publisher, provenance) = parse_provenance(body).unwrap().unwrap();
        assert_eq!(publisher.id, "trustpub:github:pypa/sampleproject");
        assert!(publisher.trusted);
        assert_eq!(provenance.repository.as_deref(), Some("https://github.com/pypa/sampleproject"));
        assert_eq!(provenance.workflow.as_deref(), Some(".github/workflows/release.yml"));
        assert_eq!(parse_provenance(br#"{"version":1,"attestation_bundles":[]}"#).unwrap(), None);
    }

    #[test]
    fn pep440_equal_versions_match() {
        let versions = vec![VersionMeta { version: "1.0".into(), ..VersionMeta::default() }];
        assert_eq!(position(&versions, "1.0.0"), Some(0));
        assert_eq!(position(&versions, "2"), None);
    }
}
