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
//!
//! Only the registry's own fields are trusted for identity: a trusted publish is named by its
//! `_npmUser.trustedPublisher` configuration, and an attested version's provenance has no
//! repository from the packument (it does not carry the attestation's source; the manifest's
//! `repository` is written by whoever publishes). Where a rule needs the source (an attested
//! version in use after an attested release), the attestations endpoint is asked for both, and
//! the SLSA provenance statement names the repository and workflow.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::http::{Answer, Expect, FetchError, Http, Registry};
use super::wire::{Entries, Lenient, List, Object};
use super::{
    Listing, ListingResult, Owner, OwnerChange, PackageMeta, Provenance, Publisher, RegistryConfig, Skipped,
    VersionMeta, WantDetail, base_url, encode_segment, normalize_repository, parse_time, safe_text, snapshot,
    sort_by_published,
};
use crate::model::Ecosystem;

/// The e-mail npm gives the user of a trusted (OIDC) publish from GitHub Actions.
const NPM_OIDC_EMAIL: &str = "npm-oidc-no-reply@github.com";

/// The packument URL: `{registry}/{name}`, `{registry}/@scope%2Fname`.
pub(crate) fn packument_url(base: &str, name: &str) -> String {
    let path = match name.strip_prefix('@').and_then(|rest| rest.split_once('/')) {
        Some((scope, pkg)) => format!("@{}%2F{}", encode_segment(scope), encode_segment(pkg)),
        None => encode_segment(name),
    };
    format!("{}/{path}", base_url(base))
}

/// The packument, as far as chainward reads it (serde skips the rest: readmes, dependencies).
#[derive(Debug, Deserialize)]
struct PackumentWire {
    #[serde(default)]
    name: Lenient<String>,
    #[serde(default)]
    versions: Option<Entries<Object<VersionWire>>>,
    #[serde(default)]
    time: Option<Entries<Lenient<TimeWire>>>,
    #[serde(default)]
    maintainers: Option<List<PersonWire>>,
}

/// One entry of `time`: a publication time, or the `unpublished` record.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TimeWire {
    At(String),
    Unpublished(UnpublishedWire),
}

#[derive(Debug, Deserialize)]
struct UnpublishedWire {
    #[serde(default)]
    versions: List<String>,
}

/// One version's manifest, as far as chainward reads it. Read in place (see [`Object`]): every
/// field is lenient.
#[derive(Debug, Deserialize)]
struct VersionWire {
    #[serde(default, rename = "_npmUser")]
    npm_user: Lenient<PersonWire>,
    #[serde(default)]
    maintainers: Option<List<PersonWire>>,
    #[serde(default)]
    dist: Lenient<DistWire>,
    #[serde(default)]
    scripts: Lenient<ScriptsWire>,
    #[serde(default)]
    repository: Lenient<RepositoryWire>,
}

/// A person as npm writes one: `{name, email, trustedPublisher?}` or `"name <email> (url)"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PersonWire {
    Object(UserWire),
    Text(String),
}

#[derive(Debug, Deserialize)]
struct UserWire {
    #[serde(default)]
    name: Lenient<String>,
    #[serde(default)]
    email: Lenient<String>,
    #[serde(default, rename = "trustedPublisher")]
    trusted_publisher: Lenient<TrustedPublisherWire>,
}

/// `_npmUser.trustedPublisher`: written by the registry, not by the publisher.
#[derive(Debug, Deserialize)]
struct TrustedPublisherWire {
    #[serde(default)]
    id: Lenient<String>,
    #[serde(default, rename = "oidcConfigId")]
    oidc_config_id: Lenient<String>,
}

#[derive(Debug, Deserialize)]
struct DistWire {
    #[serde(default)]
    integrity: Lenient<String>,
    #[serde(default)]
    shasum: Lenient<String>,
    /// Present (not `null`) when the version has attestations.
    #[serde(default)]
    attestations: Option<IgnoredAny>,
}

/// The lifecycle scripts that run when a package is installed.
#[derive(Debug, Deserialize)]
struct ScriptsWire {
    #[serde(default)]
    preinstall: Lenient<String>,
    #[serde(default)]
    install: Lenient<String>,
    #[serde(default)]
    postinstall: Lenient<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RepositoryWire {
    Text(String),
    Object {
        #[serde(default)]
        url: Lenient<String>,
    },
}

impl PersonWire {
    /// The name (trimmed, not empty) and e-mail.
    fn name_and_email(&self) -> (Option<&str>, Option<&str>) {
        let (name, email) = match self {
            PersonWire::Object(u) => (u.name.get().map(String::as_str), u.email.get().map(|e| e.trim())),
            PersonWire::Text(s) => (
                s.split(['<', '(']).next(),
                s.split_once('<').and_then(|(_, r)| r.split_once('>')).map(|(e, _)| e.trim()),
            ),
        };
        (name.map(str::trim).filter(|n| !n.is_empty()), email)
    }
}

fn people(list: Option<&List<PersonWire>>) -> Option<Vec<String>> {
    let list = list.filter(|l| l.array)?;
    let mut names: Vec<String> = list
        .items
        .iter()
        .filter_map(|p| p.name_and_email().0)
        .map(|name| format!("npm:{}", safe_text(name, 100)))
        .collect();
    names.sort();
    names.dedup();
    Some(names)
}

fn repository(v: Option<&RepositoryWire>) -> Option<String> {
    match v? {
        RepositoryWire::Text(s) => normalize_repository(s),
        RepositoryWire::Object { url } => normalize_repository(url.get()?),
    }
}

/// Who published a version. A trusted (OIDC) publish is told by `_npmUser.trustedPublisher`
/// (or, in older documents, the GitHub Actions e-mail) and named by the trusted-publisher
/// configuration, which the registry writes: `npm-trusted:<provider>:<oidcConfigId>`. An
/// account publish is `npm:<name>`.
fn publisher(user: &PersonWire) -> Option<Publisher> {
    let (name, email) = user.name_and_email();
    let trusted_by = match user {
        PersonWire::Object(u) => u.trusted_publisher.get(),
        PersonWire::Text(_) => None,
    };
    if trusted_by.is_some() || email == Some(NPM_OIDC_EMAIL) {
        let provider = trusted_by.and_then(|t| t.id.get()).map_or_else(
            // Only GitHub Actions publishes with that e-mail.
            || "github".to_owned(),
            |id| safe_text(&id.to_ascii_lowercase(), 40),
        );
        let config =
            trusted_by.and_then(|t| t.oidc_config_id.get()).map_or_else(|| "unknown".to_owned(), |c| safe_text(c, 100));
        return Some(Publisher {
            id: format!("npm-trusted:{provider}:{config}"),
            display: format!("trusted publisher ({provider}, config {config})"),
            trusted: true,
        });
    }
    let name = safe_text(name?, 100);
    Some(Publisher { id: format!("npm:{name}"), display: name, trusted: false })
}

fn version_meta(version: &str, v: &VersionWire, published_at: Option<time::OffsetDateTime>) -> VersionMeta {
    let dist = v.dist.get();
    let mut checksums = Vec::new();
    // As lockfiles' checksums are compared: `algorithm:hex` (the SRI digest is base64). An
    // integrity that does not decode is left out: there is nothing to compare it with.
    if let Some(integrity) = dist.and_then(|d| d.integrity.get()) {
        for item in integrity.split_whitespace() {
            if let Ok(sums) = crate::model::Checksum::from_sri(item) {
                checksums.extend(sums.iter().map(crate::model::Checksum::prefixed));
            }
        }
    }
    if let Some(shasum) = dist.and_then(|d| d.shasum.get())
        && let Some(sum) = crate::model::Checksum::from_hex("sha1", shasum)
    {
        let sum = sum.prefixed();
        if !checksums.contains(&sum) {
            checksums.push(sum);
        }
    }
    // The attestation names the source repository, but the packument does not say which: the
    // version's own `repository` is the publisher's word, not the attestation's. Attested,
    // source unknown.
    let attested = dist.is_some_and(|d| d.attestations.is_some());
    let provenance = attested.then(Provenance::default);
    let mut install_scripts = BTreeMap::new();
    if let Some(scripts) = v.scripts.get() {
        for (hook, cmd) in
            [("preinstall", &scripts.preinstall), ("install", &scripts.install), ("postinstall", &scripts.postinstall)]
        {
            if let Some(cmd) = cmd.get() {
                install_scripts.insert(hook.to_owned(), safe_text(cmd, 2000));
            }
        }
    }
    VersionMeta {
        version: safe_text(version, 100),
        published_at,
        publisher: v.npm_user.get().and_then(publisher),
        yanked: Some(false),
        checksums,
        provenance: Some(provenance),
        repository: repository(v.repository.get()),
        install_scripts,
        maintainers: people(v.maintainers.as_ref()),
    }
}

/// A parsed packument.
#[derive(Debug)]
pub(crate) struct Packument {
    name: Option<String>,
    versions: Vec<VersionMeta>,
    /// The current maintainers (`npm:<name>`).
    maintainers: Option<Vec<String>>,
    /// Version entries of the wrong shape.
    skipped: Skipped,
}

/// Parse a full packument.
pub(crate) fn parse_packument(body: &[u8]) -> Result<Packument, String> {
    let wire: PackumentWire = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if wire.versions.is_none() && wire.time.is_none() {
        return Err("not an npm packument: no `versions` and no `time`".to_owned());
    }
    let time = wire.time.unwrap_or_default().0;
    let mut times: BTreeMap<&str, time::OffsetDateTime> = BTreeMap::new();
    let mut unpublished: Vec<&str> = Vec::new();
    for (key, value) in &time {
        match value.get() {
            Some(TimeWire::At(at)) => {
                if let Some(at) = parse_time(at) {
                    times.insert(key.as_str(), at);
                }
            }
            Some(TimeWire::Unpublished(u)) => unpublished.extend(u.versions.items.iter().map(String::as_str)),
            None => {}
        }
    }
    let published = wire.versions.unwrap_or_default().0;
    let mut skipped = Skipped::default();
    let mut versions = Vec::with_capacity(published.len());
    for (version, manifest) in &published {
        let published_at = times.get(version.as_str()).copied();
        if let Some(v) = manifest.get() {
            versions.push(version_meta(version, v, published_at));
        } else {
            skipped.add(|| format!("npm version {}: not a manifest of the expected shape", safe_text(version, 100)));
            // Listed, but nothing is known about it.
            versions.push(VersionMeta { version: safe_text(version, 100), published_at, ..VersionMeta::default() });
        }
    }
    // Unpublished versions: still in `time` (or `time.unpublished.versions`), no longer in
    // `versions`. npm will not serve them again. Kept, recognisable: yanked, with their time,
    // and nothing else known (no maintainer list, so no maintainer diff).
    let listed: BTreeSet<&str> = published.iter().map(|(v, _)| v.as_str()).collect();
    let mut gone: BTreeSet<&str> = time
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !matches!(*k, "created" | "modified" | "unpublished"))
        .collect();
    gone.extend(unpublished);
    for version in gone.difference(&listed) {
        versions.push(VersionMeta {
            version: safe_text(version, 100),
            published_at: times.get(version).copied(),
            yanked: Some(true),
            maintainers: None,
            ..VersionMeta::default()
        });
    }
    sort_by_published(&mut versions);
    Ok(Packument {
        name: wire.name.0.map(|n| safe_text(&n, 214)),
        versions,
        maintainers: people(wire.maintainers.as_ref()),
        skipped,
    })
}

/// Maintainers added and removed between consecutive versions that list maintainers, dated at
/// the later version's publication. Versions without a maintainer list (unpublished ones, old
/// manifests) and unpublished versions are skipped.
fn maintainer_changes(versions: &[VersionMeta]) -> Vec<OwnerChange> {
    let mut out = Vec::new();
    let mut previous: Option<BTreeSet<&str>> = None;
    for v in versions.iter().filter(|v| v.yanked != Some(true)) {
        let Some(list) = v.maintainers.as_deref() else { continue };
        let current: BTreeSet<&str> = list.iter().map(String::as_str).collect();
        if let (Some(before), Some(at)) = (&previous, v.published_at) {
            let evidence = format!("npm maintainers of {}", v.version);
            let change = |owner: &str, added: bool| OwnerChange {
                at,
                since: None,
                owner: owner.to_owned(),
                added,
                evidence: evidence.clone(),
            };
            out.extend(current.difference(before).map(|owner| change(owner, true)));
            out.extend(before.difference(&current).map(|owner| change(owner, false)));
        }
        previous = Some(current);
    }
    out
}

/// The packument of `name`; `revalidate`: ask even when the cached copy is fresh.
pub(crate) fn listing(http: &Http, config: &RegistryConfig, name: &str, revalidate: bool) -> ListingResult {
    let registry = Registry::Npm;
    let url = packument_url(&config.npm, name);
    let (answer, origin) =
        http.get_with(registry, &url, name, Expect::Json, revalidate, parse_packument).map_err(|e| (registry, e))?;
    let Answer::Found(Packument { name: found, versions, maintainers, skipped }) = answer else {
        return Ok((Answer::NotFound, origin));
    };
    let mut owner_changes = maintainer_changes(&versions);
    let owners = maintainers.map(|list| list.into_iter().map(|id| Owner { id, role: None }).collect::<Vec<_>>());
    if let Some(owners) = &owners {
        owner_changes.extend(snapshot::observe(http.cache_dir(), registry, name, owners, http.now()));
    }
    owner_changes.sort_by_key(|c| c.at);
    let listing = Listing {
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
        skipped,
    };
    Ok((Answer::Found(listing), origin))
}

/// The attestations of one version: `GET {registry}/-/npm/v1/attestations/{name}@{version}`
/// (`@scope%2fname@version` for scoped packages). Built from the configured registry, not taken
/// from the packument's `dist.attestations.url`, so a document cannot send chainward elsewhere.
pub(crate) fn attestations_url(base: &str, name: &str, version: &str) -> String {
    let name = match name.strip_prefix('@').and_then(|rest| rest.split_once('/')) {
        Some((scope, pkg)) => format!("@{}%2f{}", encode_segment(scope), encode_segment(pkg)),
        None => encode_segment(name),
    };
    format!("{}/-/npm/v1/attestations/{name}@{}", base_url(base), encode_segment(version))
}

/// The versions whose attestations to fetch, with their URLs: each attested version in use that
/// `want_detail` accepts, and the last attested release before it, so `provenance-changed` can
/// compare their sources. Nothing when either is missing: there is nothing to compare (a lost
/// attestation is seen from the packument alone).
pub(crate) fn provenance_targets(
    config: &RegistryConfig,
    listing: &Listing,
    in_use: &BTreeSet<String>,
    want_detail: &WantDetail<'_>,
) -> Vec<(String, String)> {
    let versions = &listing.meta.versions;
    let attested = |i: &usize| versions.get(*i).is_some_and(|m| matches!(m.provenance, Some(Some(_))));
    let mut wanted = BTreeSet::new();
    for v in in_use {
        let Some(pos) = listing.meta.position(v) else { continue };
        if !attested(&pos) || !want_detail(&listing.meta, v) {
            continue;
        }
        if let Some(before) = (0..pos).rev().find(attested) {
            wanted.insert(before);
            wanted.insert(pos);
        }
    }
    wanted
        .into_iter()
        .filter_map(|i| {
            let version = versions.get(i)?.version.clone();
            let url = attestations_url(&config.npm, &listing.meta.name, &version);
            Some((version, url))
        })
        .collect()
}

/// `GET /-/npm/v1/attestations/...`: `{attestations: [{predicateType, bundle}]}`, each bundle a
/// Sigstore bundle whose `dsseEnvelope.payload` is a base64 in-toto statement.
#[derive(Debug, Deserialize)]
struct AttestationsWire {
    #[serde(default)]
    attestations: Option<List<AttestationWire>>,
}

#[derive(Debug, Deserialize)]
struct AttestationWire {
    #[serde(default, rename = "predicateType")]
    predicate_type: Lenient<String>,
    #[serde(default)]
    bundle: Lenient<BundleWire>,
}

#[derive(Debug, Deserialize)]
struct BundleWire {
    #[serde(default, rename = "dsseEnvelope")]
    dsse_envelope: Lenient<EnvelopeWire>,
}

#[derive(Debug, Deserialize)]
struct EnvelopeWire {
    #[serde(default)]
    payload: Lenient<String>,
}

/// The in-toto statement, as far as its SLSA provenance predicate says where the build came from.
#[derive(Debug, Deserialize)]
struct StatementWire {
    #[serde(default)]
    predicate: Lenient<PredicateWire>,
}

#[derive(Debug, Deserialize)]
struct PredicateWire {
    /// SLSA v1 (npm's GitHub Actions provenance since 2023).
    #[serde(default, rename = "buildDefinition")]
    build_definition: Lenient<BuildDefinitionWire>,
    /// SLSA v0.2 (npm's first GitHub provenance, and GitLab's).
    #[serde(default)]
    invocation: Lenient<InvocationWire>,
}

#[derive(Debug, Deserialize)]
struct BuildDefinitionWire {
    #[serde(default, rename = "externalParameters")]
    external_parameters: Lenient<ExternalParametersWire>,
}

#[derive(Debug, Deserialize)]
struct ExternalParametersWire {
    #[serde(default)]
    workflow: Lenient<WorkflowWire>,
}

#[derive(Debug, Deserialize)]
struct WorkflowWire {
    #[serde(default)]
    repository: Lenient<String>,
    #[serde(default)]
    path: Lenient<String>,
}

#[derive(Debug, Deserialize)]
struct InvocationWire {
    #[serde(default, rename = "configSource")]
    config_source: Lenient<ConfigSourceWire>,
}

#[derive(Debug, Deserialize)]
struct ConfigSourceWire {
    /// `git+https://github.com/o/r@refs/heads/main`.
    #[serde(default)]
    uri: Lenient<String>,
    /// The workflow file (GitHub) or job (GitLab).
    #[serde(default, rename = "entryPoint")]
    entry_point: Lenient<String>,
}

/// Where the SLSA build provenance of a version says it was built: `Ok(None)` when the document
/// has no provenance attestation (a publish attestation only). The payload is read, not
/// verified: the signature is the registry's to check at publish time, and chainward compares
/// what the registry serves for two releases.
pub(crate) fn parse_attestations(body: &[u8]) -> Result<Option<Provenance>, String> {
    use base64::Engine as _;
    let wire: AttestationsWire = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Some(attestations) = wire.attestations.filter(|a| a.array) else {
        return Err("not an npm attestations document: no `attestations` array".to_owned());
    };
    let Some(payload) = attestations.items.iter().find_map(|a| {
        let slsa = a.predicate_type.get().is_some_and(|t| t.starts_with("https://slsa.dev/provenance/"));
        slsa.then(|| a.bundle.get()?.dsse_envelope.get()?.payload.get()).flatten()
    }) else {
        return Ok(None);
    };
    let statement = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|e| format!("provenance payload is not base64: {e}"))?;
    let statement: StatementWire =
        serde_json::from_slice(&statement).map_err(|e| format!("provenance statement: {e}"))?;
    let Some(predicate) = statement.predicate.get() else {
        return Err("provenance statement without a predicate".to_owned());
    };
    let v1 = predicate.build_definition.get().and_then(|b| b.external_parameters.get()?.workflow.get());
    let (repository, workflow) = if let Some(w) = v1 {
        (w.repository.get().and_then(|r| normalize_repository(r)), w.path.get().map(|p| safe_text(p, 200)))
    } else if let Some(source) = predicate.invocation.get().and_then(|i| i.config_source.get()) {
        // `git+https://host/o/r@refs/...`: the repository, without the ref.
        let repository = source.uri.get().and_then(|uri| {
            let repo = uri.rsplit_once('@').filter(|(_, at)| at.starts_with("refs/")).map_or(uri.as_str(), |(r, _)| r);
            normalize_repository(repo)
        });
        (repository, source.entry_point.get().map(|e| safe_text(e, 200)))
    } else {
        (None, None)
    };
    Ok(Some(Provenance { repository, workflow }))
}

/// Fetch the attestations of `targets` (version, URL) and record where each was built. Returns
/// what failed.
pub(crate) fn details(http: &Http, listing: &mut Listing, targets: &[(String, String)]) -> Vec<(Registry, FetchError)> {
    let registry = Registry::Npm;
    let mut errors = Vec::new();
    let name = listing.meta.name.clone();
    for (version, url) in targets {
        let found = match http.get(registry, url, &name, Expect::Json, parse_attestations) {
            Ok(Answer::Found(Some(provenance))) => provenance,
            // Attested by the packument's word, source unknown: left as it was.
            Ok(Answer::Found(None) | Answer::NotFound) => continue,
            Err(e) => {
                errors.push((registry, e));
                continue;
            }
        };
        if let Some(v) = listing.meta.versions.iter_mut().find(|v| &v.version == version) {
            v.provenance = Some(Some(found));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn person(json: &str) -> PersonWire {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn scoped_names_keep_the_at_and_encode_the_slash() {
        assert_eq!(packument_url("https://r.test/", "@scope/pkg"), "https://r.test/@scope%2Fpkg");
        assert_eq!(packument_url("https://r.test", "left-pad"), "https://r.test/left-pad");
    }

    #[test]
    fn old_style_people_strings() {
        let p = publisher(&person(r#""alice <alice@example.com>""#)).unwrap();
        assert_eq!((p.id.as_str(), p.display.as_str(), p.trusted), ("npm:alice", "alice", false));
        assert!(publisher(&person(r#"" <x@example.com>""#)).is_none());
    }

    #[test]
    fn trusted_publishes_are_named_by_their_configuration() {
        let t = publisher(&person(
            r#"{"name": "GitHub Actions", "email": "npm-oidc-no-reply@github.com", "trustedPublisher": {"id": "github", "oidcConfigId": "oidc:abc"}}"#,
        ))
        .unwrap();
        assert_eq!(t.id, "npm-trusted:github:oidc:abc");
        assert_eq!(t.display, "trusted publisher (github, config oidc:abc)");
        assert!(t.trusted);
        // Another configuration (another repository or workflow) is another publisher.
        let other = publisher(&person(
            r#"{"name": "GitHub Actions", "trustedPublisher": {"id": "github", "oidcConfigId": "oidc:def"}}"#,
        ))
        .unwrap();
        assert_ne!(other.id, t.id);
        // Older documents: only the e-mail says so.
        let t = publisher(&person(&format!(r#"{{"name": "GitHub Actions", "email": "{NPM_OIDC_EMAIL}"}}"#))).unwrap();
        assert_eq!((t.id.as_str(), t.trusted), ("npm-trusted:github:unknown", true));
        // `null` is no trusted publisher.
        let a = publisher(&person(r#"{"name": "alice", "trustedPublisher": null}"#)).unwrap();
        assert_eq!((a.id.as_str(), a.trusted), ("npm:alice", false));
    }

    #[test]
    fn attested_versions_have_provenance_without_the_manifests_repository() {
        let body = br#"{"name":"p","versions":{"1.0.0":{"repository":"https://github.com/evil/fork","dist":{"attestations":{"url":"u","provenance":{"predicateType":"https://slsa.dev/provenance/v1"}}}},"1.0.1":{"dist":{"attestations":null}}},"time":{"1.0.0":"2025-01-01T00:00:00Z","1.0.1":"2025-01-02T00:00:00Z"}}"#;
        let p = parse_packument(body).unwrap();
        assert_eq!(p.versions[0].provenance, Some(Some(Provenance { repository: None, workflow: None })));
        assert_eq!(p.versions[0].repository.as_deref(), Some("https://github.com/evil/fork"));
        assert_eq!(p.versions[1].provenance, Some(None));
    }

    #[test]
    fn attestation_urls_are_built_on_the_configured_registry() {
        assert_eq!(
            attestations_url("https://r.test/", "left-pad", "1.3.0"),
            "https://r.test/-/npm/v1/attestations/left-pad@1.3.0"
        );
        assert_eq!(
            attestations_url("https://r.test", "@sigstore/core", "4.0.1"),
            "https://r.test/-/npm/v1/attestations/@sigstore%2fcore@4.0.1"
        );
        assert_eq!(
            attestations_url("https://r.test", "p", "1.0.0+b/x"),
            "https://r.test/-/npm/v1/attestations/p@1.0.0%2Bb%2Fx"
        );
    }

    fn attestations(statement: &str) -> Vec<u8> {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::STANDARD.encode(statement);
        format!(
            r#"{{"attestations":[{{"predicateType":"https://github.com/npm/attestation/tree/main/specs/publish/v0.1","bundle":{{"dsseEnvelope":{{"payload":"e30="}}}}}},{{"predicateType":"https://slsa.dev/provenance/v1","bundle":{{"dsseEnvelope":{{"payload":"{payload}","payloadType":"application/vnd.in-toto+json"}}}}}}]}}"#
        )
        .into_bytes()
    }

    #[test]
    fn slsa_v1_and_v0_2_statements_name_repository_and_workflow() {
        let v1 = r#"{"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"externalParameters":{"workflow":{"ref":"refs/tags/v1.0.1","repository":"https://github.com/ramonpetgrave64/gundam-visor","path":".github/workflows/npm-publish.yml"}}}}}"#;
        assert_eq!(
            parse_attestations(&attestations(v1)).unwrap(),
            Some(Provenance {
                repository: Some("https://github.com/ramonpetgrave64/gundam-visor".into()),
                workflow: Some(".github/workflows/npm-publish.yml".into())
            })
        );
        let v02 = r#"{"predicate":{"invocation":{"configSource":{"uri":"git+https://gitlab.com/o/r@refs/heads/main","entryPoint":"deploy"}}}}"#;
        assert_eq!(
            parse_attestations(&attestations(v02)).unwrap(),
            Some(Provenance { repository: Some("https://gitlab.com/o/r".into()), workflow: Some("deploy".into()) })
        );
        // A predicate that names neither: attested, source unknown.
        assert_eq!(parse_attestations(&attestations(r#"{"predicate":{}}"#)).unwrap(), Some(Provenance::default()));
    }

    #[test]
    fn attestation_documents_of_the_wrong_shape_are_errors_or_nothing() {
        // Only a publish attestation: no provenance to read.
        let publish_only = br#"{"attestations":[{"predicateType":"https://github.com/npm/attestation/tree/main/specs/publish/v0.1","bundle":{}}]}"#;
        assert_eq!(parse_attestations(publish_only).unwrap(), None);
        assert!(parse_attestations(b"<html>").is_err());
        assert!(parse_attestations(br#"{"error":"nope"}"#).is_err());
        let not_base64 = br#"{"attestations":[{"predicateType":"https://slsa.dev/provenance/v1","bundle":{"dsseEnvelope":{"payload":"%%%"}}}]}"#;
        assert!(parse_attestations(not_base64).unwrap_err().contains("base64"));
        assert!(parse_attestations(&attestations("[1,2]")).is_err());
        assert!(parse_attestations(&attestations(r#"{"predicate":7}"#)).is_err());
        // Terminal escapes in a statement do not survive.
        let hostile = "{\"predicate\":{\"buildDefinition\":{\"externalParameters\":{\"workflow\":{\"repository\":\"https://github.com/o/r\",\"path\":\"x\\u001b[2J.yml\"}}}}}";
        let p = parse_attestations(&attestations(hostile)).unwrap().unwrap();
        assert!(!p.workflow.unwrap().contains('\u{1b}'));
    }

    #[test]
    fn provenance_targets_pair_an_attested_version_with_the_attested_release_before_it() {
        let mut config = RegistryConfig::public(None, time::OffsetDateTime::UNIX_EPOCH);
        config.npm = "https://r.test".into();
        let attested = |v: &str, yes: bool| VersionMeta {
            version: v.into(),
            provenance: Some(yes.then(Provenance::default)),
            ..VersionMeta::default()
        };
        let listing = Listing {
            meta: PackageMeta {
                ecosystem: Ecosystem::Npm,
                name: "p".into(),
                versions: vec![attested("1", true), attested("2", false), attested("3", true), attested("4", true)],
                owners: None,
                owner_changes: Vec::new(),
                detailed: true,
            },
            pypi_files: BTreeMap::new(),
            notes: Vec::new(),
            skipped: Skipped::default(),
        };
        let all = |_: &PackageMeta, _: &str| true;
        let in_use = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
        let versions = |t: Vec<(String, String)>| t.into_iter().map(|(v, _)| v).collect::<Vec<_>>();
        // 3 skips unattested 2 and pairs with 1.
        assert_eq!(versions(provenance_targets(&config, &listing, &in_use(&["3"]), &all)), ["1", "3"]);
        // Unattested in use (provenance-lost needs no details), or attested with nothing before.
        assert!(provenance_targets(&config, &listing, &in_use(&["2", "1"]), &all).is_empty());
        assert!(provenance_targets(&config, &listing, &in_use(&["4"]), &|_: &PackageMeta, _: &str| false).is_empty());
        let t = provenance_targets(&config, &listing, &in_use(&["4"]), &all);
        assert_eq!(t[1], ("4".to_owned(), "https://r.test/-/npm/v1/attestations/p@4".to_owned()));
    }

    #[test]
    fn fully_unpublished_package_is_not_an_error() {
        let body = br#"{"_id":"gone","name":"gone","time":{"created":"2020-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","1.0.0":"2020-01-01T00:00:00.000Z","unpublished":{"time":"2021-01-01T00:00:00.000Z","versions":["1.0.0"]}}}"#;
        let Packument { name, versions, maintainers, .. } = parse_packument(body).unwrap();
        assert_eq!(name.as_deref(), Some("gone"));
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].yanked, Some(true));
        assert!(maintainers.is_none());
        assert!(parse_packument(b"[]").is_err());
        assert!(parse_packument(b"{}").is_err());
    }

    #[test]
    fn unpublished_versions_keep_their_time_and_make_no_maintainer_changes() {
        // 1.1.0 was unpublished between two versions with the same maintainers.
        let body = br#"{"name":"p","versions":{
            "1.0.0":{"maintainers":[{"name":"alice"}]},
            "1.2.0":{"maintainers":[{"name":"alice"}]}},
          "time":{"created":"2024-01-01T00:00:00Z","modified":"2024-04-01T00:00:00Z",
            "1.0.0":"2024-01-01T00:00:00Z","1.1.0":"2024-02-01T00:00:00Z","1.2.0":"2024-03-01T00:00:00Z"}}"#;
        let p = parse_packument(body).unwrap();
        let gone = p.versions.iter().find(|v| v.version == "1.1.0").unwrap();
        assert_eq!(gone.yanked, Some(true));
        assert_eq!(gone.maintainers, None);
        assert_eq!(gone.published_at, parse_time("2024-02-01T00:00:00Z"));
        assert_eq!((gone.publisher.as_ref(), gone.provenance.as_ref()), (None, None));
        assert!(gone.install_scripts.is_empty());
        assert!(maintainer_changes(&p.versions).is_empty());
    }

    #[test]
    fn versions_without_a_maintainer_list_are_skipped_by_the_diff() {
        let at = |d: &str| parse_time(&format!("{d}T00:00:00Z"));
        let v = |version: &str, day: &str, maintainers: Option<&[&str]>| VersionMeta {
            version: version.to_owned(),
            published_at: at(day),
            yanked: Some(false),
            maintainers: maintainers.map(|m| m.iter().map(|s| (*s).to_owned()).collect()),
            ..VersionMeta::default()
        };
        let versions = [
            v("1", "2024-01-01", Some(&["npm:a"])),
            v("2", "2024-02-01", None),
            v("3", "2024-03-01", Some(&["npm:a", "npm:b"])),
        ];
        let changes = maintainer_changes(&versions);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].owner.as_str(), changes[0].added, changes[0].at),
            ("npm:b", true, at("2024-03-01").unwrap())
        );
    }

    #[test]
    fn fields_of_the_wrong_shape_cost_the_field_or_the_version() {
        let body = br#"{"name":"p","versions":{"1.0.0":{"_npmUser":7,"maintainers":"alice","scripts":{"install":["x"],"postinstall":"node x"},"dist":{"integrity":null}},"1.0.1":"junk"},"time":{"1.0.0":"2025-01-01T00:00:00Z","1.0.1":"2025-01-02T00:00:00Z"}}"#;
        let p = parse_packument(body).unwrap();
        let v = &p.versions[0];
        assert_eq!((v.publisher.as_ref(), v.maintainers.as_ref()), (None, None));
        assert_eq!(v.install_scripts.keys().collect::<Vec<_>>(), ["postinstall"]);
        assert_eq!(p.versions[1].version, "1.0.1");
        assert_eq!(p.versions[1].yanked, None);
        assert_eq!(p.skipped.count(), 1);
    }
}
