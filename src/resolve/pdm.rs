//! `pdm.lock`: `[metadata] lock_version` 4.x (pdm 2.x), as pdm reads it.
//!
//! # The file
//!
//! - `[metadata]`: `lock_version` (`4.0` to `4.5`; pdm refuses another major, and so does
//!   chainward: [`ResolveErrorKind::UnsupportedFormatVersion`] with its line; a file without one
//!   is an error too, as it is for pdm), `groups` (the groups locked), `strategy`.
//! - `[[package]]`: `name`, `version`, `requires_python`, `summary`, `groups` (with the
//!   `inherit_metadata` strategy: the groups that reach the package), `marker`, `dependencies =
//!   ["req; marker", ...]` (PEP 508 strings), `files = [{file | url, hash}]`, and the source of
//!   a package that is not from an index: `git` + `ref` + `revision` (the locked commit),
//!   `path` (+ `editable`), or `url` (an archive).
//! - Extras: a dependency `foo[bar]` makes pdm write a second `[[package]]` for `foo` at the
//!   same version with `extras = ["bar"]`, whose dependencies are `foo` itself and what the
//!   extra adds. chainward reads it as the same package, not a second component: its groups and
//!   dependencies are added to the plain entry's (which keeps its own lines). A variant without
//!   a plain entry becomes the package.
//!
//! # Indexes
//!
//! pdm records no index per package. A package whose `files` carry `url`s (the `static_urls`
//! strategy) comes from the index of those URLs: PyPI's hosts and mirrors are PyPI, another
//! host is the `[[tool.pdm.source]]` on that host, else that host. Without URLs, from PyPI, or
//! from the URL of a `[[tool.pdm.source]]` named `pypi` in `pyproject.toml` (pdm's way of
//! replacing PyPI). Packages of another index are not matched against PyPI advisories, with a
//! warning naming the index.
//!
//! # Edges
//!
//! Every dependency string's name (PEP 503-normalized) names the packages of that name; a
//! name the lockfile does not lock is fine when the requirement has a marker (pdm does not
//! lock what can never be installed for the project's Python), else a
//! [`ResolveErrorKind::DanglingDependency`] in [`Resolved::errors`].
//!
//! # Scopes
//!
//! From the `pyproject.toml` beside the lockfile when present (`[project] dependencies` are
//! required, `[project.optional-dependencies]` optional, `[tool.pdm.dev-dependencies]` and
//! `[dependency-groups]` excluded), walked through the edges. Without one, or for packages it
//! does not reach: the lockfile's `groups` (`default` → required, any other group → excluded).
//!
//! # Lines
//!
//! A package's span runs from its `[[package]]` header to the last line of its block.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::python::{self, LockScope, Locked, Pyproject};
use super::{LineIndex, ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver};
use crate::model::package::GitReference;
use crate::model::{Ecosystem, Package, PackageSource};
use crate::source::Source;

/// The `lock_version` majors chainward reads.
const SUPPORTED: &str = "lock_version 4.x";

/// Reads `pdm.lock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PdmLockResolver;

impl Resolver for PdmLockResolver {
    fn name(&self) -> &'static str {
        "pdm"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "pdm.lock")
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        python::resolve_lock(source, path, bytes, options, parse)
    }
}

#[derive(Debug, Default, Deserialize)]
struct LockWire {
    #[serde(default)]
    package: Vec<Spanned<PackageWire>>,
    metadata: Option<MetadataWire>,
}

#[derive(Debug, Default, Deserialize)]
struct MetadataWire {
    lock_version: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
struct FileWire {
    hash: Option<String>,
    /// With the `static_urls` strategy: where the file is downloaded from.
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
struct PackageWire {
    name: Option<Spanned<String>>,
    version: Option<String>,
    groups: Option<Vec<String>>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
    #[serde(default)]
    files: Vec<FileWire>,
    #[serde(default)]
    extras: Vec<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    revision: Option<String>,
    path: Option<String>,
    url: Option<String>,
}

fn check_version(
    path: &str,
    text: &str,
    lines: &LineIndex,
    metadata: Option<&MetadataWire>,
) -> Result<(), ResolveError> {
    let Some(v) = metadata.and_then(|m| m.lock_version.as_ref()) else {
        let line = text.lines().position(|l| l.trim() == "[metadata]").map(|i| i + 1);
        return Err(ResolveError::new(
            path,
            line,
            ResolveErrorKind::Format(
                "no `[metadata] lock_version` (pdm refuses such a lockfile: run `pdm lock`)".to_owned(),
            ),
        ));
    };
    let major = v.get_ref().as_str().and_then(|s| s.split('.').next()).and_then(|m| m.trim().parse::<u64>().ok());
    if major == Some(4) {
        return Ok(());
    }
    let written = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Err(ResolveError::new(
        path,
        Some(lines.line(v.span().start)),
        ResolveErrorKind::UnsupportedFormatVersion {
            format: "pdm.lock lock_version",
            version: written,
            supported: SUPPORTED,
        },
    ))
}

/// Parse a `pdm.lock`. `lock_dir` is the lockfile's directory (for local packages).
pub fn parse(path: &str, text: &str, lock_dir: &str, project: Option<&Pyproject>) -> Result<Locked, ResolveError> {
    if text.trim().is_empty() {
        return Err(ResolveError::new(
            path,
            None,
            ResolveErrorKind::Format("the file is empty (pdm refuses it: run `pdm lock`)".to_owned()),
        ));
    }
    let wire: LockWire = toml::from_str(text).map_err(|e| super::toml_error(path, text, &e))?;
    let lines = LineIndex::new(text);
    check_version(path, text, &lines, wire.metadata.as_ref())?;
    let headers: Vec<usize> = wire.package.iter().map(|p| lines.line(p.span().start)).collect();
    let spans = super::poetry::block_spans(text, &headers);

    let mut packages: Vec<Package> = Vec::with_capacity(wire.package.len());
    let mut groups_of: Vec<BTreeSet<String>> = Vec::new();
    // Each package's dependency strings, with their lines.
    let mut deps_of: Vec<Vec<(String, usize)>> = Vec::new();
    // (normalized name, version) -> package index; whether that package is a plain entry.
    let mut index: HashMap<(String, String), (usize, bool)> = HashMap::with_capacity(wire.package.len());
    for (k, spanned) in wire.package.into_iter().enumerate() {
        let span = spans.get(k).copied();
        let w = spanned.into_inner();
        let Some(name) = w.name.as_ref().filter(|n| !n.get_ref().trim().is_empty()) else {
            return Err(python::invalid(path, span.map(|s| s.start), "a `[[package]]` has no `name`".to_owned()));
        };
        let name_line = Some(lines.line(name.span().start));
        let name = name.get_ref().clone();
        let Some(version) = w.version.clone().filter(|v| !v.trim().is_empty()) else {
            return Err(python::invalid(path, name_line, format!("`{name}` has no `version`")));
        };
        let label = format!("{name} {version}");
        let checksums = python::file_hashes(w.files.iter().filter_map(|f| f.hash.as_deref()))
            .map_err(|e| python::invalid(path, name_line, format!("`{label}`: file hash {e}")))?;
        let source = source_of(&w, lock_dir, project);
        let deps: Vec<(String, usize)> =
            w.dependencies.iter().map(|d| (d.get_ref().clone(), lines.line(d.span().start))).collect();
        let key = (Ecosystem::PyPI.normalize_name(&name), version.clone());
        let plain = w.extras.is_empty();
        let groups: BTreeSet<String> = w.groups.clone().unwrap_or_default().into_iter().collect();
        if let Some((i, existing_plain)) = index.get(&key).copied() {
            // An extras variant of a package already read, or the plain entry after its
            // variant; two plain entries of one name and version are a duplicate.
            if plain && existing_plain {
                return Err(ResolveError::new(path, span.map(|s| s.start), ResolveErrorKind::DuplicatePackage(label)));
            }
            if let Some(g) = groups_of.get_mut(i) {
                g.extend(groups);
            }
            if let Some(d) = deps_of.get_mut(i) {
                d.extend(deps);
            }
            if let Some(p) = packages.get_mut(i) {
                let mut sums = std::mem::take(&mut p.checksums);
                sums.extend(checksums);
                sums.sort_by(|a, b| b.cmp(a));
                sums.dedup();
                p.checksums = sums;
                if plain {
                    // The plain entry is the package: its name as written, lines, source.
                    p.name = name;
                    p.lines = span;
                    p.source = source;
                }
            }
            if plain {
                index.insert(key, (i, true));
            }
        } else {
            let mut package = Package::new(Ecosystem::PyPI, name, version, source);
            package.lines = span;
            package.checksums = checksums;
            index.insert(key, (packages.len(), plain));
            packages.push(package);
            groups_of.push(groups);
            deps_of.push(deps);
        }
    }

    let names = python::by_name(&packages);
    // A dependency on the project itself (`app[extra]` in a group) goes to the root, which
    // [`python::finish`] adds after the packages.
    let root_key = project.and_then(|p| p.name.as_deref()).map(|n| Ecosystem::PyPI.normalize_name(n));
    let root_index = packages.len();
    let mut edges = Vec::with_capacity(packages.len());
    let mut errors = Vec::new();
    let mut scopes = Vec::with_capacity(packages.len());
    for (i, p) in packages.iter_mut().enumerate() {
        let groups = groups_of.get(i).cloned().unwrap_or_default();
        scopes.push(if groups.contains("default") {
            LockScope::Main
        } else if groups.is_empty() {
            LockScope::Unknown
        } else {
            LockScope::Group
        });
        p.groups = groups.into_iter().collect();
        let mut out = BTreeSet::new();
        for (dep, line) in deps_of.get(i).map(Vec::as_slice).unwrap_or_default() {
            let Some((name, has_marker)) = dependency_name(dep) else {
                errors.push(python::invalid(
                    path,
                    Some(*line),
                    format!("`{} {}`: dependency `{dep}` is not a PEP 508 requirement", p.name, p.version),
                ));
                continue;
            };
            let key = Ecosystem::PyPI.normalize_name(name);
            match names.get(&key) {
                Some(targets) => out.extend(targets.iter().copied().filter(|&t| t != i)),
                None if root_key.as_deref() == Some(key.as_str()) => {
                    out.insert(root_index);
                }
                None if has_marker => {}
                None => errors.push(ResolveError::new(
                    path,
                    Some(*line),
                    ResolveErrorKind::DanglingDependency {
                        package: format!("{} {}", p.name, p.version),
                        dependency: dep.clone(),
                    },
                )),
            }
        }
        edges.push(out.into_iter().collect());
    }
    Ok(Locked { packages, edges, scopes, errors, warnings: Vec::new() })
}

/// The name of a dependency string and whether a marker follows: a PEP 508 requirement, or
/// an editable one as pdm writes it (`-e file:///${PROJECT_ROOT}/sub#egg=sub`).
fn dependency_name(dep: &str) -> Option<(&str, bool)> {
    if let Some(editable) = dep.trim_start().strip_prefix("-e ") {
        let (_, egg) = editable.split_once("#egg=")?;
        let r = python::requirement(egg)?;
        return Some((r.name, r.has_marker));
    }
    python::requirement(dep).map(|r| (r.name, r.has_marker))
}

/// Where a package comes from: git, a local path, an archive URL, else an index: the one its
/// files' URLs are on (pdm's `static_urls` strategy), else PyPI or the index the project's
/// `[[tool.pdm.source]]` named `pypi` replaces it with (pdm records no index per package).
fn source_of(w: &PackageWire, lock_dir: &str, project: Option<&Pyproject>) -> PackageSource {
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    if let Some(url) = nonempty(&w.git) {
        let commit = nonempty(&w.revision);
        let reference = nonempty(&w.reference).filter(|r| Some(r) != commit.as_ref()).map(GitReference::Rev);
        let url = url.strip_prefix("git+").map_or_else(|| url.clone(), str::to_owned);
        return PackageSource::Git { url, reference, commit };
    }
    if let Some(p) = nonempty(&w.path) {
        // pdm writes `${PROJECT_ROOT}/x` or a path relative to the project.
        let rel = p.strip_prefix("${PROJECT_ROOT}").map_or(p.as_str(), |r| r.trim_start_matches('/'));
        let rel = if rel.is_empty() { "." } else { rel };
        return PackageSource::Path { dir: python::join_dir(lock_dir, rel).unwrap_or_else(|| lock_dir.to_owned()) };
    }
    if let Some(url) = nonempty(&w.url) {
        if let Some(rest) = url.strip_prefix("file:///${PROJECT_ROOT}") {
            let rel = rest.trim_start_matches('/');
            let rel = if rel.is_empty() { "." } else { rel };
            return PackageSource::Path { dir: python::join_dir(lock_dir, rel).unwrap_or_else(|| lock_dir.to_owned()) };
        }
        return PackageSource::Tarball { url };
    }
    let urls = || w.files.iter().filter_map(|f| f.url.as_deref()).filter(|u| !u.trim().is_empty());
    if let Some(url) = urls().find(|u| !python::is_pypi_index(u)) {
        return python::file_index(url, project.map(|p| p.indexes.as_slice()).unwrap_or_default());
    }
    if urls().next().is_some() {
        // Files on PyPI's hosts: PyPI, whatever the configuration says now.
        return PackageSource::default_registry(Ecosystem::PyPI);
    }
    Pyproject::default_index(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "[metadata]\ngroups = [\"default\"]\nlock_version = \"4.4.1\"\n\n";

    #[test]
    fn extras_variants_are_the_same_package() {
        let text = format!(
            "{HEAD}[[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"default\"]\ndependencies = [\"b[x]>=1\"]\n\n\
             [[package]]\nname = \"b\"\nversion = \"2\"\ngroups = [\"default\"]\n\n\
             [[package]]\nname = \"b\"\nversion = \"2\"\nextras = [\"x\"]\ngroups = [\"default\"]\ndependencies = [\"b==2\", \"c\"]\n\n\
             [[package]]\nname = \"c\"\nversion = \"3\"\ngroups = [\"default\"]\n"
        );
        let lock = parse("pdm.lock", &text, ".", None).unwrap();
        let names: Vec<_> = lock.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b", "c"]);
        assert_eq!(lock.edges, vec![vec![1], vec![2], vec![]]);
        assert!(lock.errors.is_empty());
    }

    #[test]
    fn editable_dependencies_name_their_egg() {
        assert_eq!(dependency_name("-e file:///${PROJECT_ROOT}/sub#egg=sub-pkg"), Some(("sub-pkg", false)));
        assert_eq!(dependency_name("foo[x]>=1; os_name == 'nt'"), Some(("foo", true)));
        assert_eq!(dependency_name("-e ./x"), None);
    }

    #[test]
    fn other_majors_are_refused() {
        let e = parse("pdm.lock", "[metadata]\nlock_version = \"5.0\"\n", ".", None).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("5.0"), "{e}");
        assert!(parse("pdm.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\n", ".", None).is_err());
    }
}
