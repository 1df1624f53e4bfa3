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

use serde::Deserialize;

use super::http::{Answer, Expect, FetchError, Http, Registry};
use super::wire::{Entries, Lenient, List};
use super::{
    Listing, ListingResult, Owner, PackageMeta, Provenance, Publisher, RegistryConfig, Skipped, VersionMeta,
    WantDetail, base_url, encode_segment, normalize_repository, parse_time, safe_text, snapshot, sort_by_published,
};
use crate::model::Ecosystem;

/// The project JSON, as far as chainward reads it (serde skips the rest: descriptions,
/// classifiers, vulnerabilities).
#[derive(Debug, Deserialize)]
struct ProjectWire {
    info: InfoWire,
    #[serde(default)]
    releases: Option<Entries<List<FileWire>>>,
    #[serde(default)]
    urls: Option<List<FileWire>>,
    #[serde(default)]
    ownership: Lenient<OwnershipWire>,
}

#[derive(Debug, Deserialize)]
struct InfoWire {
    name: String,
    #[serde(default)]
    version: Lenient<String>,
    #[serde(default)]
    project_urls: Option<Entries<Lenient<String>>>,
    #[serde(default)]
    home_page: Lenient<String>,
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
    roles: List<RoleWire>,
    #[serde(default)]
    organization: Lenient<String>,
}

#[derive(Debug, Deserialize)]
struct RoleWire {
    #[serde(default)]
    role: Lenient<String>,
    user: String,
}

/// The project's source repository among its `project_urls` (the first of `Source`,
/// `Repository`, `Code`, ... that is set), else a home page on a code host.
fn project_repository(info: &InfoWire) -> Option<String> {
    const KEYS: [&str; 7] = ["source", "source code", "repository", "code", "github", "gitlab", "homepage"];
    let urls: Vec<(String, &str)> = info
        .project_urls
        .iter()
        .flat_map(|e| e.0.iter())
        .filter_map(|(k, v)| Some((k.trim().to_ascii_lowercase(), v.get()?.as_str())))
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
    info.home_page.get().map(String::as_str).filter(|u| on_code_host(u)).and_then(normalize_repository)
}

/// A parsed project JSON.
#[derive(Debug)]
pub(crate) struct Project {
    name: String,
    versions: Vec<VersionMeta>,
    owners: Option<Vec<Owner>>,
    /// Release → the file whose provenance stands for it.
    files: BTreeMap<String, String>,
    skipped: Skipped,
}

/// Parse the project JSON: releases (oldest first), owners, and the file of each release whose
/// provenance will stand for the release's (the sdist, else the first file). File entries of
/// the wrong shape are skipped (the first few releases with them get a note each).
pub(crate) fn parse_project(body: &[u8]) -> Result<Project, String> {
    let wire: ProjectWire = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let name = safe_text(&wire.info.name, 200);
    let latest = wire.info.version.get().map(String::as_str);
    let repo = project_repository(&wire.info);
    let releases: Vec<(String, List<FileWire>)> = match wire.releases {
        Some(Entries(map)) => map,
        None => latest.map(|v| (v.to_owned(), wire.urls.unwrap_or_default())).into_iter().collect(),
    };
    let mut skipped = Skipped::default();
    let mut versions = Vec::with_capacity(releases.len());
    let mut files_for = BTreeMap::new();
    for (version, files) in releases {
        let bad = files.bad + usize::from(!files.array);
        let files = files.items;
        let version = safe_text(&version, 100);
        if bad > 0 {
            skipped.add(|| format!("PyPI `{name}` {version}: {bad} file entries of the wrong shape skipped"));
        }
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
            repository: if latest == Some(version.as_str()) { repo.clone() } else { None },
            version,
            ..VersionMeta::default()
        });
    }
    sort_by_published(&mut versions);
    let owners = wire.ownership.0.map(|o| {
        let mut owners: Vec<Owner> = o
            .roles
            .items
            .into_iter()
            .map(|r| Owner {
                id: format!("pypi:{}", safe_text(&r.user, 100)),
                role: r.role.0.map(|r| safe_text(&r, 40)),
            })
            .collect();
        if let Some(org) = o.organization.0 {
            owners.push(Owner {
                id: format!("pypi-org:{}", safe_text(&org, 100)),
                role: Some("Organization".to_owned()),
            });
        }
        owners.sort();
        owners.dedup();
        owners
    });
    Ok(Project { name, versions, owners, files: files_for, skipped })
}

/// The project JSON of `name` (already normalized); `revalidate`: ask even when the cached
/// copy is fresh. Each release is kept under the registry's spelling of its version.
pub(crate) fn listing(http: &Http, config: &RegistryConfig, name: &str, revalidate: bool) -> ListingResult {
    let registry = Registry::PyPI;
    let url = format!("{}/pypi/{}/json", base_url(&config.pypi), encode_segment(name));
    let (answer, origin) =
        http.get_with(registry, &url, name, Expect::Json, revalidate, parse_project).map_err(|e| (registry, e))?;
    let Answer::Found(Project { name: found, versions, owners, files: pypi_files, skipped }) = answer else {
        return Ok((Answer::NotFound, origin));
    };
    let owner_changes = match &owners {
        Some(list) => snapshot::observe(http.cache_dir(), registry, name, list, http.now()),
        None => Vec::new(),
    };
    let listing = Listing {
        meta: PackageMeta { ecosystem: Ecosystem::PyPI, name: found, versions, owners, owner_changes, detailed: false },
        pypi_files,
        notes: Vec::new(),
        skipped,
    };
    Ok((Answer::Found(listing), origin))
}

/// The releases whose provenance to fetch, with the file to ask about: each version in use
/// that `want_detail` accepts (found as [`PackageMeta::version`] finds it: PEP 440-equal), and
/// the release before it (so a change can be seen).
pub(crate) fn provenance_targets(
    listing: &Listing,
    in_use: &BTreeSet<String>,
    want_detail: &WantDetail<'_>,
) -> Vec<(String, String)> {
    let versions = &listing.meta.versions;
    let mut wanted = BTreeSet::new();
    for v in in_use {
        let Some(pos) = listing.meta.position(v) else { continue };
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
pub(crate) fn parse_provenance(body: &[u8]) -> Result<Option<(Publisher, Provenance)>, String> {
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
        let found = match http.get(registry, &url, &name, Expect::PypiIntegrity, parse_provenance) {
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
    fn file_entries_of_the_wrong_shape_are_counted_not_fatal() {
        let body = br#"{"info":{"name":"p","version":"1.0","project_urls":{"Source":"https://github.com/o/p","Bad":3}},"releases":{"1.0":[{"filename":"p-1.0.tar.gz","packagetype":"sdist","upload_time_iso_8601":"2024-01-01T00:00:00Z","digests":{"sha256":"aa"}},{"nofilename":1},7],"0.9":null,"0.8":{"x":1}},"ownership":{"roles":[{"role":"Owner","user":"a"},{"user":null}],"organization":null}}"#;
        let p = parse_project(body).unwrap();
        let v10 = p.versions.iter().find(|v| v.version == "1.0").unwrap();
        assert_eq!(v10.checksums, ["sha256:aa"]);
        assert_eq!(v10.repository.as_deref(), Some("https://github.com/o/p"));
        assert_eq!(p.files.get("1.0").map(String::as_str), Some("p-1.0.tar.gz"));
        assert_eq!(p.versions.len(), 3);
        // 1.0's two bad entries, and 0.8 (not a list); 0.9 (`null`) has no files.
        assert_eq!(p.skipped.count(), 2);
        let owners: Vec<&str> = p.owners.as_ref().unwrap().iter().map(|o| o.id.as_str()).collect();
        assert_eq!(owners, ["pypi:a"]);
    }
}
