//! `pylock.toml` and `pylock.NAME.toml`: the standard Python lockfile (PEP 751, the `PyPA`
//! "pylock.toml specification"), as `pip lock` (pip 25.1+) and `uv export --format
//! pylock.toml` write it.
//!
//! # What is read
//!
//! - `lock-version`: `"1.0"`. The specification says a reader MUST refuse a major version it
//!   does not support and SHOULD warn on a newer minor one: another major (or a value that is
//!   not `MAJOR.MINOR`) is [`ResolveErrorKind::UnsupportedFormatVersion`] with its line, a newer
//!   `1.x` is read with a warning. A file without `lock-version` (an empty file included) is an
//!   error: the key is required.
//! - `[[packages]]`: `name`, `version` (optional for source trees; required when the package
//!   comes from an index, as the specification says), `marker`, and exactly one source:
//!   - `sdist` / `wheels` (with the optional `index`): `index` is PyPI or a public mirror of it
//!     ([`PackageSource::default_registry`]) or another index (not matched against PyPI
//!     advisories). Without `index` (pip writes none), files served from
//!     `files.pythonhosted.org` are PyPI's; a file on another host is a `Tarball` of its URL;
//!     local files (`path` only) a `Path`;
//!   - `vcs` (`type`, `url` or `path`, `requested-revision`, `commit-id`): `Git`, with the
//!     commit and the requested revision;
//!   - `directory` (`path`, `editable`): `Path`. The directory at `.` is the project itself:
//!     first-party and the [`RootComponent::Package`] (pip and uv both write it);
//!   - `archive` (`url` or `path`, `hashes`): `Tarball`, or `Path` for a local archive.
//! - `hashes` tables of `sdist`, `wheels` and `archive` (`sha256 = "HEX"`, also sha384/sha512):
//!   every digest, strongest first, deduplicated; a digest that is not hex of its algorithm's
//!   length is an error; other algorithms are skipped.
//! - `dependencies`: tables that name another `[[packages]]` entry by "key-by-key comparison"
//!   (`{ name = "spam", version = "1.0" }`, `{ name = "spam", vcs = { url = … } }`): every key
//!   of the entry must equal the package's (tables compared key by key, names PEP 503
//!   normalized). These are the only edges the format has, and they are optional (neither pip
//!   nor uv writes them): without any, the graph is flat, the root depends on every package and
//!   no package is marked direct (the file does not say which are).
//! - `default-groups`, markers naming `'GROUP' in dependency_groups` and `'EXTRA' in extras`
//!   (the PEP's marker additions): a package whose marker names only non-default dependency
//!   groups is `excluded`, one that names an extra `optional`, every other package `required`;
//!   `groups` keeps the names. `environments`, `requires-python`, `extras`,
//!   `dependency-groups` and `created-by` do not change the packages.
//!
//! Lines: a package's span runs from its `[[packages]]` header to the end of its block
//! (`[[packages.wheels]]` and `[packages.wheels.hashes]` sub-tables included).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::de::DeTable;

use crate::model::{Ecosystem, GitReference, Package, PackageSource, RootComponent, Scope};
use crate::resolve::python::index_source;
use crate::resolve::uv::{array_blocks, candidate_list, key_span, parse_hash};
use crate::resolve::{
    LineIndex, ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning, toml_error,
};
use crate::source::Source;

/// The `lock-version`s chainward reads, as the error message says them.
const SUPPORTED: &str = "lock-version 1.0, and later 1.x with a warning";

/// Reads `pylock.toml` and `pylock.NAME.toml`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PylockResolver;

/// Whether a file name is a pylock file: `pylock.toml` or `pylock.NAME.toml`, NAME without dots
/// (the specification's `^pylock\.([^.]+\.)?toml$`).
pub fn is_pylock_name(name: &str) -> bool {
    let Some(middle) = name.strip_prefix("pylock.").and_then(|r| r.strip_suffix("toml")) else { return false };
    middle.is_empty() || middle.strip_suffix('.').is_some_and(|n| !n.is_empty() && !n.contains('.'))
}

impl Resolver for PylockResolver {
    fn name(&self) -> &'static str {
        "pylock"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().and_then(|n| n.to_str()).is_some_and(is_pylock_name)
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        _options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let lock_dir = path.rsplit_once('/').map_or(".", |(dir, _)| dir);
        let root_name = super::dir_name(source, lock_dir).unwrap_or_else(|| "root".to_owned());
        parse(text, path, lock_dir, &root_name)
    }
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct LockWire {
    #[serde(default)]
    packages: Vec<toml::Table>,
    #[serde(default)]
    default_groups: Vec<String>,
}

/// One `[[packages]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PackageWire {
    name: Option<String>,
    version: Option<String>,
    marker: Option<String>,
    index: Option<String>,
    vcs: Option<VcsWire>,
    directory: Option<DirectoryWire>,
    archive: Option<FileWire>,
    sdist: Option<FileWire>,
    wheels: Option<Vec<FileWire>>,
}

/// `packages.vcs`
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct VcsWire {
    url: Option<String>,
    path: Option<String>,
    requested_revision: Option<String>,
    commit_id: Option<String>,
}

/// `packages.directory`
#[derive(Debug, Default, Deserialize)]
struct DirectoryWire {
    path: Option<String>,
}

/// `packages.archive`, `packages.sdist`, `packages.wheels[]`.
#[derive(Debug, Default, Deserialize)]
struct FileWire {
    url: Option<String>,
    path: Option<String>,
    #[serde(default)]
    hashes: BTreeMap<String, toml::Value>,
}

/// The host that serves PyPI's files.
const PYPI_FILES: &str = "https://files.pythonhosted.org/";

/// The parsed `lock-version`: `Ok(true)` for a newer minor (warn), an error otherwise.
fn check_version(path: &str, index: &LineIndex, doc: &DeTable<'_>) -> Result<Option<Warning>, ResolveError> {
    let Some((span, shown)) = key_span(doc, "lock-version") else {
        return Err(ResolveError::new(
            path,
            Some(1),
            ResolveErrorKind::Format("not a pylock.toml: no `lock-version` (the specification requires it)".to_owned()),
        ));
    };
    let line = index.line(span.start);
    let value = doc.get("lock-version").and_then(|v| v.get_ref().as_str()).map(str::trim);
    let parsed = value
        .and_then(|v| v.split_once('.'))
        .and_then(|(major, minor)| Some((major.parse::<u64>().ok()?, minor.parse::<u64>().ok()?)));
    match parsed {
        Some((1, 0)) => Ok(None),
        Some((1, _)) => Ok(Some(Warning {
            path: path.to_owned(),
            line: Some(line),
            message: format!(
                "lock-version {shown} is newer than 1.0, the version chainward knows: read as 1.0, as the specification allows (fields added since are not read)"
            ),
        })),
        _ => Err(ResolveError::new(
            path,
            Some(line),
            ResolveErrorKind::UnsupportedFormatVersion { format: "pylock.toml", version: shown, supported: SUPPORTED },
        )),
    }
}

/// Whether every key of `want` is in `have` with an equal value (tables compared key by key).
/// Depth is bounded by the TOML parser's own nesting limit.
fn subset(want: &toml::Value, have: &toml::Value) -> bool {
    match (want, have) {
        (toml::Value::Table(w), toml::Value::Table(h)) => {
            w.iter().all(|(k, v)| h.get(k).is_some_and(|hv| subset(v, hv)))
        }
        _ => want == have,
    }
}

/// The dependency groups and extras a marker requires (`'dev' in dependency_groups`,
/// `"cli" in extras`), as written; `not in` terms are not requirements.
fn marker_names(marker: &str, variable: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = marker;
    while let Some(at) = rest.find(variable) {
        let before = rest.get(..at).unwrap_or_default().trim_end();
        rest = rest.get(at + variable.len()..).unwrap_or_default();
        let Some(before) = before.strip_suffix("in") else { continue };
        let before = before.trim_end();
        if before.ends_with("not") {
            continue;
        }
        let Some(quote) = before.chars().last().filter(|c| *c == '\'' || *c == '"') else { continue };
        let inner = before.get(..before.len() - 1).unwrap_or_default();
        if let Some(open) = inner.rfind(quote) {
            out.push(inner.get(open + 1..).unwrap_or_default().to_owned());
        }
    }
    out
}

/// Parse a `pylock.toml` (`path` for messages, `lock_dir` its directory relative to the scanned
/// root, `root_name` the synthetic root's name when no package is the project at `.`).
pub fn parse(text: &str, path: &str, lock_dir: &str, root_name: &str) -> Result<Resolved, ResolveError> {
    let index = LineIndex::new(text);
    let doc = DeTable::parse(text).map_err(|e| toml_error(path, text, &e))?;
    let mut warnings: Vec<Warning> = check_version(path, &index, doc.get_ref())?.into_iter().collect();
    let blocks = array_blocks(doc.get_ref(), "packages");
    let wire = LockWire::deserialize(toml::de::Deserializer::from(doc)).map_err(|e| toml_error(path, text, &e))?;
    let default_groups: BTreeSet<String> = wire.default_groups.iter().map(|g| g.trim().to_owned()).collect();
    let mut errors = Vec::new();

    let n = wire.packages.len();
    let mut packages = Vec::with_capacity(n);
    let mut name_lines = Vec::with_capacity(n);
    let mut root = None;
    for (i, table) in wire.packages.iter().enumerate() {
        let block = blocks.get(i).copied();
        let line = block.map(|b| index.line(b.name.unwrap_or(b.header)));
        name_lines.push(line.unwrap_or(1));
        let invalid = |what: String| ResolveError::new(path, line, ResolveErrorKind::InvalidPackage(what));
        let w: PackageWire = toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| invalid(format!("a `[[packages]]` entry: {}", e.message().trim())))?;
        let name = w.name.filter(|n| !n.trim().is_empty()).ok_or_else(|| invalid("a package has no `name`".into()))?;
        let local = |p: &str| super::node::join_dir(lock_dir, p);
        let parent = |p: &str| local(p.rsplit_once('/').map_or(".", |(d, _)| d));
        let mut files: Vec<&FileWire> = Vec::new();
        let mut from_index = false;
        let count =
            [w.vcs.is_some(), w.directory.is_some(), w.archive.is_some(), w.sdist.is_some() || w.wheels.is_some()]
                .iter()
                .filter(|b| **b)
                .count();
        if count != 1 {
            return Err(invalid(format!(
                "`{name}` must have exactly one of `vcs`, `directory`, `archive`, or `sdist`/`wheels` (it has {count})"
            )));
        }
        let source = if let Some(vcs) = &w.vcs {
            let url = vcs.url.clone().or_else(|| vcs.path.as_deref().map(local)).unwrap_or_default();
            PackageSource::Git {
                url: url.strip_prefix("git+").map(str::to_owned).unwrap_or(url),
                reference: vcs.requested_revision.clone().map(GitReference::Rev),
                commit: vcs.commit_id.clone(),
            }
        } else if let Some(dir) = &w.directory {
            let Some(p) = dir.path.as_deref() else {
                return Err(invalid(format!("`{name}`: `directory` has no `path`")));
            };
            let dir = local(p);
            if dir == lock_dir && root.is_none() {
                root = Some(i);
            }
            PackageSource::Path { dir }
        } else if let Some(archive) = &w.archive {
            files.push(archive);
            match (&archive.url, &archive.path) {
                (Some(url), _) => PackageSource::Tarball { url: url.clone() },
                (None, Some(p)) => PackageSource::Path { dir: parent(p) },
                (None, None) => return Err(invalid(format!("`{name}`: `archive` has neither `url` nor `path`"))),
            }
        } else {
            from_index = true;
            files.extend(w.sdist.iter());
            files.extend(w.wheels.iter().flatten());
            let first_url = files.iter().find_map(|f| f.url.as_deref());
            let all_pypi = files.iter().all(|f| f.url.as_deref().is_some_and(|u| u.starts_with(PYPI_FILES)));
            match (&w.index, first_url) {
                (Some(index_url), _) => index_source(index_url),
                (None, Some(_)) if all_pypi => PackageSource::default_registry(Ecosystem::PyPI),
                (None, Some(url)) => PackageSource::Tarball { url: url.to_owned() },
                (None, None) => match files.iter().find_map(|f| f.path.as_deref()) {
                    Some(p) => PackageSource::Path { dir: parent(p) },
                    None => return Err(invalid(format!("`{name}`: no `sdist` or wheel has a `url` or `path`"))),
                },
            }
        };
        let version = match w.version {
            Some(v) if !v.trim().is_empty() => v,
            _ if from_index => {
                return Err(invalid(format!(
                    "`{name}` has an sdist or wheels but no `version` (the specification requires one)"
                )));
            }
            _ => String::new(),
        };
        let mut package = Package::new(Ecosystem::PyPI, name, version, source);
        package.lines = block.map(|b| b.lines(&index));
        for file in files {
            for (algorithm, value) in &file.hashes {
                let hex = value.as_str().unwrap_or_default();
                match parse_hash(algorithm, hex) {
                    Ok(Some(sum)) => package.checksums.push(sum),
                    Ok(None) => {}
                    Err(()) => {
                        return Err(ResolveError::new(
                            path,
                            line,
                            ResolveErrorKind::InvalidChecksum {
                                package: format!("{} {}", package.name, package.version),
                                checksum: format!("{algorithm}:{hex}"),
                            },
                        ));
                    }
                }
            }
        }
        package.checksums.sort_unstable_by(|a, b| b.cmp(a));
        package.checksums.dedup();
        // Scope from the PEP 751 marker variables.
        let marker = w.marker.as_deref().unwrap_or_default();
        let groups = marker_names(marker, "dependency_groups");
        let extras = marker_names(marker, "extras");
        package.scope = Some(if !groups.is_empty() && groups.iter().all(|g| !default_groups.contains(g)) {
            package.reached_by.insert(crate::model::DependencyKind::Dev);
            Scope::Excluded
        } else if !extras.is_empty() {
            Scope::Optional
        } else {
            Scope::Required
        });
        let mut names: Vec<String> = groups.into_iter().chain(extras).collect();
        names.sort();
        names.dedup();
        package.groups = names;
        packages.push(package);
    }
    if let Some(r) = root.and_then(|r| packages.get_mut(r)) {
        r.first_party = true;
        r.scope = Some(Scope::Required);
    }

    // Edges, by key-by-key comparison: the packages of the entry's name (and version, when it
    // names one) by a map, then its other keys compared.
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::with_capacity(n);
    let mut by_version: HashMap<(String, &str), Vec<usize>> = HashMap::with_capacity(n);
    for (i, p) in packages.iter().enumerate() {
        let key = Ecosystem::PyPI.normalize_name(&p.name);
        by_version.entry((key.clone(), p.version.as_str())).or_default().push(i);
        by_name.entry(key).or_default().push(i);
    }
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    let mut any_edges = false;
    // An entry repeated in one package adds nothing: it is resolved once.
    let mut seen: HashSet<(usize, String)> = HashSet::new();
    // One ambiguity error per package and dependency name.
    let mut ambiguous: HashSet<(usize, String)> = HashSet::new();
    for (i, table) in wire.packages.iter().enumerate() {
        let Some(deps) = table.get("dependencies") else { continue };
        any_edges = true;
        let label = packages.get(i).map(|p| format!("{} {}", p.name, p.version)).unwrap_or_default();
        let Some(deps) = deps.as_array() else {
            errors.push(ResolveError::new(
                path,
                name_lines.get(i).copied(),
                ResolveErrorKind::InvalidPackage(format!("`{label}`: `dependencies` is not an array of tables")),
            ));
            continue;
        };
        for dep in deps {
            let Some(dep_table) = dep.as_table() else { continue };
            let shown = toml::Value::Table(dep_table.clone()).to_string();
            if !seen.insert((i, shown.clone())) {
                continue;
            }
            let dep_name = dep_table.get("name").and_then(toml::Value::as_str).unwrap_or_default();
            let key = Ecosystem::PyPI.normalize_name(dep_name);
            let version = dep_table.get("version").and_then(toml::Value::as_str);
            let same = match version {
                Some(v) => by_version.get(&(key.clone(), v)),
                None => by_name.get(&key),
            };
            let found: Vec<usize> = same
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .copied()
                .filter(|&j| {
                    let Some(have) = wire.packages.get(j) else { return false };
                    dep_table
                        .iter()
                        .filter(|(k, _)| k.as_str() != "name" && (version.is_none() || k.as_str() != "version"))
                        .all(|(k, v)| have.get(k).is_some_and(|hv| subset(v, hv)))
                })
                .collect();
            match found.as_slice() {
                [] => errors.push(ResolveError::new(
                    path,
                    name_lines.get(i).copied(),
                    ResolveErrorKind::DanglingDependency { package: label.clone(), dependency: shown },
                )),
                [j] => {
                    if let Some(e) = edges.get_mut(i) {
                        e.insert(*j);
                    }
                }
                many => {
                    if ambiguous.insert((i, key)) {
                        let candidates = candidate_list(
                            many.iter().filter_map(|&j| packages.get(j)).map(|p| format!("{} {}", p.name, p.version)),
                            many.len(),
                        );
                        errors.push(ResolveError::new(
                            path,
                            name_lines.get(i).copied(),
                            ResolveErrorKind::AmbiguousDependency {
                                package: label.clone(),
                                dependency: shown,
                                candidates,
                            },
                        ));
                    }
                    if let Some(e) = edges.get_mut(i) {
                        e.extend(many.iter().copied());
                    }
                }
            }
        }
    }
    // The root's dependencies: what it records, else (no edges in the file) every package.
    let depended_on: BTreeSet<usize> = edges.iter().flatten().copied().collect();
    let tops: BTreeSet<usize> =
        (0..n).filter(|&i| Some(i) != root && (!any_edges || !depended_on.contains(&i))).collect();
    for (i, p) in packages.iter_mut().enumerate() {
        p.dependencies = edges.get_mut(i).map(std::mem::take).unwrap_or_default();
    }
    let root = if let Some(r) = root {
        if let Some(p) = packages.get_mut(r)
            && p.dependencies.is_empty()
        {
            p.dependencies.clone_from(&tops);
        }
        if any_edges {
            let direct: Vec<usize> =
                packages.get(r).map(|p| p.dependencies.iter().copied().collect()).unwrap_or_default();
            for d in direct {
                if let Some(p) = packages.get_mut(d) {
                    p.direct = !p.first_party;
                }
            }
        }
        RootComponent::Package(r)
    } else {
        if any_edges {
            for &t in &tops {
                if let Some(p) = packages.get_mut(t) {
                    p.direct = true;
                }
            }
        }
        RootComponent::Synthetic { name: root_name.to_owned(), depends_on: tops }
    };
    if packages.is_empty() {
        warnings.push(Warning {
            path: path.to_owned(),
            line: None,
            message: "the lockfile lists no package: nothing to check".to_owned(),
        });
    }
    warnings.extend(super::python::other_index_warnings(path, &packages));
    Ok(Resolved { path: path.to_owned(), packages, root, warnings, errors })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_the_specification() {
        for ok in ["pylock.toml", "pylock.dev.toml", "pylock.spam-1.toml"] {
            assert!(is_pylock_name(ok), "{ok}");
        }
        for no in ["pylock.a.b.toml", "pylock..toml", "Pylock.toml", "pylock.tomlx", "xpylock.toml", "pylock.json"] {
            assert!(!is_pylock_name(no), "{no}");
        }
    }

    #[test]
    fn markers_name_groups_and_extras() {
        assert_eq!(marker_names("'dev' in dependency_groups", "dependency_groups"), ["dev"]);
        assert_eq!(
            marker_names("\"test\" in dependency_groups or 'lint' in dependency_groups", "dependency_groups"),
            ["test", "lint"]
        );
        assert!(marker_names("'dev' not in dependency_groups", "dependency_groups").is_empty());
        assert_eq!(marker_names("python_version < '3.10' and 'cli' in extras", "extras"), ["cli"]);
        assert!(marker_names("sys_platform == 'win32'", "extras").is_empty());
    }

    #[test]
    fn dependency_tables_match_key_by_key() {
        let have: toml::Value =
            toml::from_str("name = 'a'\nversion = '1'\nvcs = { url = 'u', commit-id = 'c' }").unwrap();
        let want: toml::Value = toml::from_str("vcs = { url = 'u' }").unwrap();
        assert!(subset(&want, &have));
        let other: toml::Value = toml::from_str("vcs = { url = 'v' }").unwrap();
        assert!(!subset(&other, &have));
    }
}
