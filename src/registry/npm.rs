//! npm: the full packument (`GET {registry}/{name}`, `@scope%2Fname` for scoped packages, with
//! `Accept: application/json`: the abbreviated "corgi" document lacks `_npmUser`,
//! `maintainers` and `time`). It already holds every per-version detail, so an npm listing is
//! detailed.
//!
//! Shape (registry.npmjs.org): `name`, `maintainers` (`[{name, email}]`, current), `time`
//! (`{created, modified, "<version>": "2025-08-02T16:03:41.470Z", unpublished?}`), `repository`,
//! and `versions["<version>"]`: `_npmUser` (`{name, email, trustedPublisher?: {id: "github",
//! oidcConfigId}}`; a trusted publish is made by `GitHub Actions <npm-oidc-no-reply@github.com>`),
//! `maintainers`, `dist` (`integrity` `sha512-<base64>`, `shasum` (sha1 hex), `attestations?:
//! {url, provenance: {predicateType}}`), `scripts`, `repository` (`{type, url}` or a string),
//! `deprecated`. Old documents write people as `"name <email>"` strings.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::http::{Answer, Expect, Http, Registry};
use super::{
    Listing, ListingResult, Owner, OwnerChange, PackageMeta, Provenance, Publisher, RegistryConfig, VersionMeta,
    base_url, encode_segment, normalize_repository, parse_time, safe_text, snapshot, sort_by_published,
};
use crate::model::Ecosystem;

/// The e-mail npm gives the user of a trusted (OIDC) publish from GitHub Actions.
const NPM_OIDC_EMAIL: &str = "npm-oidc-no-reply@github.com";

/// Lifecycle scripts that run when a package is installed.
const INSTALL_SCRIPTS: [&str; 3] = ["preinstall", "install", "postinstall"];

/// The packument URL: `{registry}/{name}`, `{registry}/@scope%2Fname`.
pub(crate) fn packument_url(base: &str, name: &str) -> String {
    let path = match name.strip_prefix('@').and_then(|rest| rest.split_once('/')) {
        Some((scope, pkg)) => format!("@{}%2F{}", encode_segment(scope), encode_segment(pkg)),
        None => encode_segment(name),
    };
    format!("{}/{path}", base_url(base))
}

#[derive(Debug, Deserialize)]
struct PackumentWire {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    versions: Option<Map<String, Value>>,
    #[serde(default)]
    time: Option<Map<String, Value>>,
    #[serde(default)]
    maintainers: Option<Value>,
}

/// A person as npm writes one: `{name, email}` or `"name <email> (url)"`.
fn person(v: &Value) -> Option<(String, Option<String>)> {
    match v {
        Value::Object(o) => {
            let name = o.get("name")?.as_str()?.trim();
            let email = o.get("email").and_then(Value::as_str).map(str::to_owned);
            (!name.is_empty()).then(|| (name.to_owned(), email))
        }
        Value::String(s) => {
            let name = s.split(['<', '(']).next()?.trim();
            let email = s.split_once('<').and_then(|(_, r)| r.split_once('>')).map(|(e, _)| e.trim().to_owned());
            (!name.is_empty()).then(|| (name.to_owned(), email))
        }
        _ => None,
    }
}

fn people(v: Option<&Value>) -> Option<Vec<String>> {
    let list = v?.as_array()?;
    let mut names: Vec<String> =
        list.iter().filter_map(person).map(|(name, _)| format!("npm:{}", safe_text(&name, 100))).collect();
    names.sort();
    names.dedup();
    Some(names)
}

fn repository(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => normalize_repository(s),
        Value::Object(o) => normalize_repository(o.get("url")?.as_str()?),
        _ => None,
    }
}

fn publisher(v: Option<&Value>) -> Option<Publisher> {
    let user = v?;
    let (name, email) = person(user)?;
    let name = safe_text(&name, 100);
    let trusted_by = user.get("trustedPublisher").filter(|t| !t.is_null());
    let trusted = trusted_by.is_some() || email.as_deref() == Some(NPM_OIDC_EMAIL);
    let display = match trusted_by.and_then(|t| t.get("id")).and_then(Value::as_str) {
        Some(id) => format!("{name} (trusted publisher {})", safe_text(id, 40)),
        None if trusted => format!("{name} (trusted publisher)"),
        None => name.clone(),
    };
    Some(Publisher { id: format!("npm:{name}"), display, trusted })
}

fn version_meta(version: &str, v: &Value, time: &Map<String, Value>) -> VersionMeta {
    let dist = v.get("dist");
    let mut checksums = Vec::new();
    if let Some(integrity) = dist.and_then(|d| d.get("integrity")).and_then(Value::as_str) {
        for item in integrity.split_whitespace() {
            if let Some((alg, digest)) = item.split_once('-') {
                checksums.push(format!("{}:{}", safe_text(alg, 20), safe_text(digest, 200)));
            }
        }
    }
    if let Some(shasum) = dist.and_then(|d| d.get("shasum")).and_then(Value::as_str) {
        checksums.push(format!("sha1:{}", safe_text(shasum, 80)));
    }
    let repo = repository(v.get("repository"));
    let attested = dist.and_then(|d| d.get("attestations")).is_some_and(|a| !a.is_null());
    let provenance = attested.then(|| Provenance { repository: repo.clone(), workflow: None });
    let mut install_scripts = BTreeMap::new();
    if let Some(scripts) = v.get("scripts").and_then(Value::as_object) {
        for hook in INSTALL_SCRIPTS {
            if let Some(cmd) = scripts.get(hook).and_then(Value::as_str) {
                install_scripts.insert(hook.to_owned(), safe_text(cmd, 2000));
            }
        }
    }
    VersionMeta {
        version: safe_text(version, 100),
        published_at: time.get(version).and_then(Value::as_str).and_then(parse_time),
        publisher: publisher(v.get("_npmUser")),
        yanked: Some(false),
        checksums,
        provenance: Some(provenance),
        repository: repo,
        install_scripts,
        maintainers: people(v.get("maintainers")),
    }
}

/// A parsed packument.
#[derive(Debug)]
struct Packument {
    name: Option<String>,
    versions: Vec<VersionMeta>,
    /// The current maintainers (`npm:<name>`).
    maintainers: Option<Vec<String>>,
}

/// Parse a full packument.
fn parse_packument(body: &[u8]) -> Result<Packument, String> {
    let wire: PackumentWire = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if wire.versions.is_none() && wire.time.is_none() {
        return Err("not an npm packument: no `versions` and no `time`".to_owned());
    }
    let time = wire.time.unwrap_or_default();
    let published = wire.versions.unwrap_or_default();
    let mut versions: Vec<VersionMeta> = published.iter().map(|(k, v)| version_meta(k, v, &time)).collect();
    // Unpublished versions: still in `time` (or `time.unpublished.versions`), no longer in
    // `versions`. npm will not serve them again.
    let mut gone: BTreeSet<&str> =
        time.keys().map(String::as_str).filter(|k| !matches!(*k, "created" | "modified" | "unpublished")).collect();
    if let Some(list) = time.get("unpublished").and_then(|u| u.get("versions")).and_then(Value::as_array) {
        gone.extend(list.iter().filter_map(Value::as_str));
    }
    for version in gone {
        if !published.contains_key(version) {
            versions.push(VersionMeta {
                version: safe_text(version, 100),
                published_at: time.get(version).and_then(Value::as_str).and_then(parse_time),
                yanked: Some(true),
                ..VersionMeta::default()
            });
        }
    }
    sort_by_published(&mut versions);
    Ok(Packument {
        name: wire.name.map(|n| safe_text(&n, 214)),
        versions,
        maintainers: people(wire.maintainers.as_ref()),
    })
}

/// Maintainers added and removed between consecutive versions, dated at the later version's
/// publication.
fn maintainer_changes(versions: &[VersionMeta]) -> Vec<OwnerChange> {
    let mut out = Vec::new();
    let mut previous: Option<&[String]> = None;
    for v in versions.iter().filter(|v| v.yanked != Some(true)) {
        let Some(current) = v.maintainers.as_deref() else { continue };
        if let (Some(before), Some(at)) = (previous, v.published_at) {
            let evidence = format!("npm maintainers of {}", v.version);
            for owner in current.iter().filter(|m| !before.contains(m)) {
                out.push(OwnerChange {
                    at,
                    since: None,
                    owner: owner.clone(),
                    added: true,
                    evidence: evidence.clone(),
                });
            }
            for owner in before.iter().filter(|m| !current.contains(m)) {
                out.push(OwnerChange {
                    at,
                    since: None,
                    owner: owner.clone(),
                    added: false,
                    evidence: evidence.clone(),
                });
            }
        }
        previous = Some(current);
    }
    out
}

/// The packument of `name`.
pub(crate) fn listing(http: &Http, config: &RegistryConfig, name: &str) -> ListingResult {
    let registry = Registry::Npm;
    let url = packument_url(&config.npm, name);
    let answer = http.get(registry, &url, Expect::Json, parse_packument).map_err(|e| (registry, e))?;
    let Answer::Found(Packument { name: found, versions, maintainers }) = answer else { return Ok(Answer::NotFound) };
    let mut owner_changes = maintainer_changes(&versions);
    let owners = maintainers.map(|list| list.into_iter().map(|id| Owner { id, role: None }).collect::<Vec<_>>());
    if let Some(owners) = &owners {
        owner_changes.extend(snapshot::observe(http.cache_dir(), registry, name, owners, http.now()));
    }
    owner_changes.sort_by_key(|c| c.at);
    Ok(Answer::Found(Listing {
        meta: PackageMeta {
            ecosystem: Ecosystem::Npm,
            name: found.unwrap_or_else(|| name.to_owned()),
            versions,
            owners,
            owner_changes,
            detailed: true,
        },
        pypi_files: BTreeMap::new(),
        notes: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn scoped_names_keep_the_at_and_encode_the_slash() {
        assert_eq!(packument_url("https://r.test/", "@scope/pkg"), "https://r.test/@scope%2Fpkg");
        assert_eq!(packument_url("https://r.test", "left-pad"), "https://r.test/left-pad");
    }

    #[test]
    fn old_style_people_strings() {
        let p = publisher(Some(&Value::String("alice <alice@example.com>".into()))).unwrap();
        assert_eq!(p.id, "npm:alice");
        assert!(!p.trusted);
        let t = publisher(Some(&serde_json::json!({"name": "GitHub Actions", "email": NPM_OIDC_EMAIL}))).unwrap();
        assert!(t.trusted);
    }

    #[test]
    fn fully_unpublished_package_is_not_an_error() {
        let body = br#"{"_id":"gone","name":"gone","time":{"created":"2020-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","1.0.0":"2020-01-01T00:00:00.000Z","unpublished":{"time":"2021-01-01T00:00:00.000Z","versions":["1.0.0"]}}}"#;
        let Packument { name, versions, maintainers } = parse_packument(body).unwrap();
        assert_eq!(name.as_deref(), Some("gone"));
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].yanked, Some(true));
        assert!(maintainers.is_none());
        assert!(parse_packument(b"[]").is_err());
        assert!(parse_packument(b"{}").is_err());
    }
}
