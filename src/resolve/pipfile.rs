//! pipenv's `Pipfile.lock`.
//!
//! JSON. The fields read:
//!
//! - `_meta.pipfile-spec`: 6 (every pipenv since 2018 writes it); any other value is
//!   [`ResolveErrorKind::UnsupportedFormatVersion`], a missing one an error: a JSON file without
//!   it is not a `Pipfile.lock`. An empty file is an error too (pipenv cannot load it either; run
//!   `pipenv lock`).
//! - `_meta.sources`: the indexes (`name`, `url`). A package's `index` names one; a package
//!   without `index` comes from the first source, as pipenv installs it. A source on pypi.org (or
//!   the old pypi.python.org) gives PyPI packages; any other index is a private index or a mirror
//!   chainward cannot tell from one: its packages are `Registry` packages of that URL, not
//!   matched, and a warning says so.
//! - every other top-level key is a category: `default` (scope required, group `default`),
//!   `develop` (excluded, reached by dev, group `develop`) and pipenv's custom categories (`docs`,
//!   …, installed only with `--categories`: optional, the group named as written). The same
//!   name, version and source in several categories is one package with every group, the
//!   strongest scope winning.
//! - a package: `version` (`==x`, or `===x`; anything else is not a pin: version `""`,
//!   [`Package::unpinned`], and a warning), `hashes` (`sha256:…`, all of them; one chainward
//!   cannot read is an error), `markers` (not evaluated: listed whatever they say), `git` with
//!   `ref` (a `Git` package, the ref a commit when it is 40 hex digits), `path` (a `Path`
//!   package relative to the lockfile; first-party when `editable`), `file` (a URL: `Tarball`,
//!   or a local file: `Path`). A registry package without `version` (pipenv never writes one) is
//!   unpinned with a warning; a git, path or file package without one has version `""` and is
//!   not matched (osv-scalibr leaves such entries out; chainward lists them, as they are
//!   installed).
//!
//! Lines: a package's span runs from its key to the end of its object (osv-scalibr reports the
//! key's line).
//!
//! `Pipfile.lock` records no dependency edges: there is no graph below the direct dependencies.
//! `direct` comes from the `Pipfile` beside the lock, when there is one and the manifests are
//! read: a name in `[packages]` makes the lock's `default` entry of that name direct,
//! `[dev-packages]` the `develop` one, a custom category table the entry of its category (so
//! of two versions of a name, the one of the declaring category). The root is a synthetic
//! component named after the directory, depending on the direct packages.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::model::{
    Checksum, DependencyKind, Ecosystem, GitReference, LineSpan, Package, PackageSource, RootComponent, Scope,
};
use crate::resolve::package_lock::json;
use crate::resolve::python::is_pypi_index;
use crate::resolve::{LineIndex, ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::source::Source;

/// The `pipfile-spec` versions chainward reads.
const SUPPORTED: &str = "6";

/// The resolver for `Pipfile.lock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PipfileLockResolver;

impl Resolver for PipfileLockResolver {
    fn name(&self) -> &'static str {
        "pipfile"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "Pipfile.lock")
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let dir = crate::resolve::cargo::parent_dir(path);
        let mut resolved = parse(text, path, &dir)?;
        if !options.lockfile_only {
            let manifest = if dir == "." { "Pipfile".to_owned() } else { format!("{dir}/Pipfile") };
            if let Ok(bytes) = source.read(&manifest) {
                match direct_names(&manifest, &bytes) {
                    Ok(names) => {
                        for p in &mut resolved.packages {
                            let name = Ecosystem::PyPI.normalize_name(&p.name);
                            p.direct = p.groups.iter().any(|g| names.contains(&(g.clone(), name.clone())));
                        }
                    }
                    Err(e) => resolved.errors.push(e),
                }
            }
        }
        let depends_on = resolved.packages.iter().enumerate().filter(|(_, p)| p.direct).map(|(i, _)| i).collect();
        let name = crate::resolve::dir_name(source, &dir).unwrap_or_else(|| "root".to_owned());
        resolved.root = RootComponent::Synthetic { name, depends_on };
        Ok(resolved)
    }
}

#[derive(Deserialize)]
struct WireMeta {
    #[serde(rename = "pipfile-spec")]
    pipfile_spec: Option<serde_json::Value>,
    #[serde(default)]
    sources: Vec<WireSource>,
}

#[derive(Deserialize)]
struct WireSource {
    name: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct WirePackage {
    version: Option<String>,
    #[serde(default)]
    hashes: Vec<String>,
    index: Option<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    path: Option<String>,
    file: Option<String>,
    #[serde(default)]
    editable: bool,
}

fn json_error(path: &str, index: &LineIndex, at: usize, message: String) -> ResolveError {
    ResolveError::new(path, Some(index.line(at)), ResolveErrorKind::Json(message))
}

/// Parse the lockfile text (the root is filled in by the caller).
fn parse(text: &str, path: &str, dir: &str) -> Result<Resolved, ResolveError> {
    let index = LineIndex::new(text);
    if text.trim().is_empty() {
        return Err(ResolveError::new(
            path,
            None,
            ResolveErrorKind::Format("empty Pipfile.lock (pipenv cannot load it either: run `pipenv lock`)".to_owned()),
        ));
    }
    let doc = json::parse(text).map_err(|e| json_error(path, &index, e.at, e.message))?;
    let json::Value::Object(members) = &doc.value else {
        return Err(json_error(path, &index, doc.start, format!("expected an object, found {}", doc.value.kind())));
    };
    let Some(meta) = members.iter().find(|m| m.key == "_meta") else {
        return Err(json_error(path, &index, doc.start, "not a Pipfile.lock: no `_meta`".to_owned()));
    };
    let meta_text = text.get(meta.value.start..meta.value.end).unwrap_or_default();
    let wire_meta: WireMeta = serde_json::from_str(meta_text)
        .map_err(|e| json_error(path, &index, meta.value.start, format!("`_meta`: {e}")))?;
    match &wire_meta.pipfile_spec {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(6) => {}
        Some(other) => {
            return Err(ResolveError::new(
                path,
                Some(index.line(meta.key_at)),
                ResolveErrorKind::UnsupportedFormatVersion {
                    format: "Pipfile.lock pipfile-spec",
                    version: other.to_string(),
                    supported: SUPPORTED,
                },
            ));
        }
        None => {
            return Err(json_error(
                path,
                &index,
                meta.key_at,
                "not a Pipfile.lock: no `_meta.pipfile-spec`".to_owned(),
            ));
        }
    }
    let sources: HashMap<String, String> =
        wire_meta.sources.iter().filter_map(|s| Some((s.name.clone()?, s.url.clone()?))).collect();
    let default_source = wire_meta.sources.first().and_then(|s| s.url.clone());

    let mut packages: Vec<Package> = Vec::new();
    let mut keys: HashMap<(String, String, PackageSource), usize> = HashMap::new();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let mut private_indexes: HashSet<String> = HashSet::new();
    for category in members.iter().filter(|m| m.key != "_meta") {
        let json::Value::Object(entries) = &category.value.value else {
            return Err(json_error(
                path,
                &index,
                category.value.start,
                format!("category `{}` should be an object, found {}", category.key, category.value.value.kind()),
            ));
        };
        let (scope, reached_by) = match category.key.as_ref() {
            "default" => (Scope::Required, None),
            "develop" => (Scope::Excluded, Some(DependencyKind::Dev)),
            _ => (Scope::Optional, None),
        };
        for entry in entries {
            let line = index.line(entry.key_at);
            let body = text.get(entry.value.start..entry.value.end).unwrap_or_default();
            let wire: WirePackage = serde_json::from_str(body)
                .map_err(|e| json_error(path, &index, entry.value.start, format!("package `{}`: {e}", entry.key)))?;
            let name = entry.key.to_string();
            if name.trim().is_empty() {
                return Err(json_error(path, &index, entry.key_at, "a package with an empty name".to_owned()));
            }
            let (version, unpinned) = match wire.version.as_deref() {
                Some(v) => match v.strip_prefix("===").or_else(|| v.strip_prefix("==")) {
                    Some(pin) if !pin.trim().is_empty() && !pin.contains('*') => (pin.trim().to_owned(), None),
                    _ => (String::new(), Some(v.to_owned())),
                },
                None => (String::new(), None),
            };
            let source = if let Some(git) = &wire.git {
                let url = git.strip_prefix("git+").unwrap_or(git).to_owned();
                let r = wire.reference.clone().filter(|r| !r.is_empty());
                let is_commit = r.as_ref().is_some_and(|r| r.len() == 40 && crate::model::is_hex(r));
                PackageSource::Git {
                    url,
                    reference: r.clone().filter(|_| !is_commit).map(GitReference::Rev),
                    commit: r.filter(|_| is_commit).map(|c| c.to_ascii_lowercase()),
                }
            } else if let Some(p) = &wire.path {
                PackageSource::Path { dir: if p.starts_with('/') { p.clone() } else { crate::source::join(dir, p) } }
            } else if let Some(f) = &wire.file {
                if f.contains("://") && !f.starts_with("file:") {
                    PackageSource::Tarball { url: f.clone() }
                } else {
                    let p = f.strip_prefix("file://").or_else(|| f.strip_prefix("file:")).unwrap_or(f);
                    PackageSource::Path {
                        dir: if p.starts_with('/') { p.to_owned() } else { crate::source::join(dir, p) },
                    }
                }
            } else {
                let url = match &wire.index {
                    Some(name) => {
                        if let Some(url) = sources.get(name) {
                            Some(url.clone())
                        } else {
                            errors.push(ResolveError::new(
                                path,
                                Some(line),
                                ResolveErrorKind::InvalidPackage(format!(
                                    "`{}`: index `{name}` is not one of `_meta.sources`",
                                    entry.key
                                )),
                            ));
                            None
                        }
                    }
                    None => default_source.clone(),
                };
                match url {
                    Some(url) if !is_pypi_index(&url) => {
                        private_indexes.insert(super::python::without_credentials(&url));
                        super::python::index_source(&url)
                    }
                    _ => PackageSource::default_registry(Ecosystem::PyPI),
                }
            };
            let registry = matches!(source, PackageSource::Registry { .. });
            let unpinned = match unpinned {
                Some(u) => Some(u),
                None if registry && version.is_empty() => Some(String::new()),
                None => None,
            };
            let unpinned = unpinned.filter(|_| registry);
            if let Some(spec) = &unpinned {
                warnings.push(Warning {
                    path: path.to_owned(),
                    line: Some(line),
                    message: format!(
                        "`{name}` has no pinned version{}: the package has no version and is not matched against advisories",
                        if spec.is_empty() { String::new() } else { format!(" (`{spec}`)") }
                    ),
                });
            }
            let mut checksums = Vec::new();
            for h in &wire.hashes {
                let parsed = h.split_once(':').and_then(|(alg, hex)| Checksum::from_hex(alg, hex));
                match parsed {
                    Some(c) => checksums.push(c),
                    None => errors.push(ResolveError::new(
                        path,
                        Some(line),
                        ResolveErrorKind::InvalidChecksum { package: format!("{name} {version}"), checksum: h.clone() },
                    )),
                }
            }
            checksums.sort_by(|a, b| b.cmp(a));
            checksums.dedup();
            let key = (Ecosystem::PyPI.normalize_name(&name), version.clone(), source.clone());
            let group = category.key.to_string();
            if let Some(&i) = keys.get(&key)
                && let Some(existing) = packages.get_mut(i)
            {
                if !existing.groups.contains(&group) {
                    existing.groups.push(group);
                    existing.groups.sort();
                }
                let stronger = |s: Scope| match s {
                    Scope::Required => 0,
                    Scope::Optional => 1,
                    Scope::Excluded => 2,
                };
                if existing.scope.is_none_or(|s| stronger(scope) < stronger(s)) {
                    existing.scope = Some(scope);
                }
                if existing.scope != Some(Scope::Excluded) {
                    existing.reached_by.clear();
                }
                existing.checksums.extend(checksums);
                existing.checksums.sort_by(|a, b| b.cmp(a));
                existing.checksums.dedup();
                continue;
            }
            let directory = matches!(source, PackageSource::Path { .. }) && wire.file.is_none();
            let mut package = Package::new(Ecosystem::PyPI, name, version, source);
            package.first_party = directory && wire.editable;
            package.checksums = checksums;
            package.unpinned = unpinned;
            package.groups = vec![group];
            package.scope = Some(scope);
            package.reached_by.extend(reached_by);
            package.lines = Some(LineSpan { start: line, end: index.line(entry.value.end.saturating_sub(1)) });
            keys.insert(key, packages.len());
            packages.push(package);
        }
    }
    let mut private_indexes: Vec<String> = private_indexes.into_iter().collect();
    private_indexes.sort();
    for url in private_indexes {
        warnings.push(Warning {
            path: path.to_owned(),
            line: Some(index.line(meta.key_at)),
            message: format!(
                "packages come from the index `{url}`, not pypi.org: they are not matched against PyPI advisories"
            ),
        });
    }
    Ok(Resolved {
        path: path.to_owned(),
        packages,
        root: RootComponent::Synthetic { name: String::new(), depends_on: std::collections::BTreeSet::new() },
        warnings,
        errors,
    })
}

/// Tables of a `Pipfile` that are not package categories.
const NOT_CATEGORIES: [&str; 4] = ["source", "requires", "scripts", "pipenv"];

/// The (lockfile category, PEP 503 name) pairs a `Pipfile` declares: `[packages]` is the lock's
/// `default`, `[dev-packages]` its `develop`, a custom category keeps its name.
fn direct_names(path: &str, bytes: &[u8]) -> Result<HashSet<(String, String)>, ResolveError> {
    let text = super::utf8(path, bytes)?;
    let doc: toml::Table = toml::from_str(text).map_err(|e| super::toml_error(path, text, &e))?;
    let mut names = HashSet::new();
    for (key, value) in &doc {
        if NOT_CATEGORIES.contains(&key.as_str()) {
            continue;
        }
        let category = match key.as_str() {
            "packages" => "default",
            "dev-packages" => "develop",
            other => other,
        };
        if let toml::Value::Table(table) = value {
            names.extend(table.keys().map(|k| (category.to_owned(), Ecosystem::PyPI.normalize_name(k))));
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "_meta": {"pipfile-spec": 6, "sources": [{"name": "pypi", "url": "https://pypi.org/simple"}, {"name": "corp", "url": "https://pypi.corp.example/simple"}]},
    "default": {
        "a": {"hashes": ["sha256:2c2349112351b88699d8d4b6b075022c0808887cb7ad10069318a8b0bc88db44"], "version": "==1.0"},
        "b": {"git": "https://github.com/o/b.git", "ref": "de09cad488a4d7c7bbcbcdb8e1c2dfde64325f48"},
        "c": {"version": "==2.0", "index": "corp"}
    },
    "develop": {
        "a": {"version": "==1.0"},
        "d": {"editable": true, "path": "."}
    },
    "docs": {"e": {"version": "==3"}}
}"#;

    #[test]
    fn categories_sources_and_kinds() {
        let r = parse(LOCK, "Pipfile.lock", ".").unwrap();
        let names: Vec<(&str, &str)> = r.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
        assert_eq!(names, [("a", "1.0"), ("b", ""), ("c", "2.0"), ("d", ""), ("e", "3")]);
        let a = &r.packages[0];
        assert_eq!(a.groups, ["default", "develop"]);
        assert_eq!(a.scope, Some(Scope::Required));
        assert!(a.reached_by.is_empty());
        assert_eq!(a.checksums.len(), 1);
        assert_eq!(a.lines, Some(LineSpan { start: 4, end: 4 }));
        assert!(matches!(&r.packages[1].source, PackageSource::Git { commit: Some(_), reference: None, .. }));
        assert!(!r.packages[2].source.is_default_registry());
        assert!(r.packages[3].first_party);
        assert_eq!(r.packages[4].scope, Some(Scope::Optional));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    }

    #[test]
    fn other_spec_versions_are_refused() {
        let err = parse(r#"{"_meta": {"pipfile-spec": 7}, "default": {}}"#, "Pipfile.lock", ".").unwrap_err();
        assert!(err.to_string().contains("pipfile-spec version 7"), "{err}");
        assert!(parse("", "Pipfile.lock", ".").is_err());
        assert!(parse("{}", "Pipfile.lock", ".").is_err());
    }
}
