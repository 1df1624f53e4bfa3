//! What the Python lockfile resolvers share: the project's `pyproject.toml` (its name, version
//! and the direct dependencies of each group), PEP 508 requirement names, `algorithm:hex` file
//! hashes, and the project root with scopes walked from it.
//!
//! The API is small on purpose:
//!
//! - [`Pyproject::beside`] (or [`Pyproject::read`]): the `pyproject.toml` beside a lockfile, if
//!   any: its name, version and [`Pyproject::direct`] dependencies, each with a [`DirectKind`]
//!   (main, extra or dependency group), the extra or group it is declared in, the extras it asks
//!   for, whether a marker restricts it and its line; the index that replaces PyPI
//!   ([`Pyproject::default_index`]: a pdm source named `pypi`, poetry sources that disable PyPI);
//! - [`requirement`]: the name, extras and marker presence of a PEP 508 string (`foo[bar]
//!   (>=1) ; marker`);
//! - [`file_hash`] / [`file_hashes`]: `sha256:<hex>` hashes as [`Checksum`]s;
//! - [`by_name`]: the packages of each PEP 503-normalized name;
//! - [`finish`]: from a [`Locked`] (packages, plain edges, the lockfile's own [`LockScope`] per
//!   package), the root component, `direct` flags and scopes: walked from the project's direct
//!   dependencies, or the lockfile's word where there is no project;
//! - [`index_source`], [`file_index`], [`other_index_warnings`]: the index a package comes from
//!   (PyPI, a mirror of it, another index) and the warning for the others;
//! - [`join_dir`], [`invalid`]: small helpers for local paths and errors.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Deserialize;
use toml::Spanned;

use super::node::{self, Edge};
use super::{LineIndex, ResolveError, ResolveErrorKind, Resolved, Warning};
use crate::model::{Checksum, DependencyKind, Ecosystem, Package, PackageSource, RootComponent, Scope};
use crate::source::Source;

/// How a direct dependency is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DirectKind {
    /// `[project] dependencies`, `[tool.poetry.dependencies]`: installed with the project.
    Main,
    /// `[project.optional-dependencies]` (an extra), a poetry dependency with `optional = true`.
    Extra,
    /// A dependency group (`[dependency-groups]`, `[tool.poetry.group.X.dependencies]`,
    /// `[tool.poetry.dev-dependencies]`, `[tool.pdm.dev-dependencies]`, `[tool.uv]
    /// dev-dependencies`): development only, not part of the product.
    Group,
}

/// One direct dependency of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Direct {
    /// The name, PEP 503-normalized.
    pub name: String,
    /// How it is declared.
    pub kind: DirectKind,
    /// The extra or group it is declared in (`None` for main dependencies).
    pub group: Option<String>,
    /// The extras it asks of the dependency (`foo[bar]`), as written.
    pub extras: Vec<String>,
    /// Declared for some environments only (a marker, a `python` restriction): the lockfile
    /// may rightly not lock it.
    pub conditional: bool,
    /// The line of the declaration in `pyproject.toml`.
    pub line: Option<usize>,
}

/// The parts of a `pyproject.toml` the resolvers use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pyproject {
    /// `[project] name`, else `[tool.poetry] name`.
    pub name: Option<String>,
    /// `[project] version`, else `[tool.poetry] version` (absent when dynamic).
    pub version: Option<String>,
    /// Every direct dependency, in declaration order (one name may appear in several groups).
    pub direct: Vec<Direct>,
    /// The file's path (relative to the scanned root), for diagnostics.
    pub path: String,
    /// The URL of the index that serves what a lockfile records without an index of its own,
    /// when the project replaces PyPI: a pdm `[[tool.pdm.source]]` named `pypi`, or poetry's
    /// highest-priority `[[tool.poetry.source]]` when its sources disable PyPI. As written (a
    /// PyPI mirror here still means PyPI: [`index_source`]).
    pub pypi_replacement: Option<String>,
    /// The URLs of the package indexes the project declares (`[[tool.pdm.source]]`,
    /// `[[tool.poetry.source]]`).
    pub indexes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Wire {
    project: Option<ProjectWire>,
    #[serde(rename = "dependency-groups", default)]
    dependency_groups: BTreeMap<String, Vec<Spanned<toml::Value>>>,
    tool: Option<ToolWire>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ProjectWire {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
struct ToolWire {
    poetry: Option<PoetryWire>,
    pdm: Option<PdmWire>,
    uv: Option<UvWire>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PoetryWire {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<Spanned<String>, toml::Value>,
    #[serde(default)]
    dev_dependencies: BTreeMap<Spanned<String>, toml::Value>,
    #[serde(default)]
    group: BTreeMap<String, PoetryGroupWire>,
    #[serde(default)]
    source: Vec<PoetrySourceWire>,
}

#[derive(Debug, Default, Deserialize)]
struct PoetryGroupWire {
    #[serde(default)]
    dependencies: BTreeMap<Spanned<String>, toml::Value>,
}

/// A `[[tool.poetry.source]]`.
#[derive(Debug, Default, Deserialize)]
struct PoetrySourceWire {
    name: Option<String>,
    url: Option<String>,
    priority: Option<String>,
    /// Before poetry 1.5: `default = true` disables PyPI.
    #[serde(default)]
    default: bool,
    /// Before poetry 1.5: `secondary = true`, consulted after PyPI.
    #[serde(default)]
    secondary: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PdmWire {
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Vec<Spanned<String>>>,
    #[serde(default)]
    source: Vec<PdmSourceWire>,
}

/// A `[[tool.pdm.source]]` (`type` is `index`, the default, or `find_links`).
#[derive(Debug, Default, Deserialize)]
struct PdmSourceWire {
    name: Option<String>,
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct UvWire {
    #[serde(default)]
    dev_dependencies: Vec<Spanned<String>>,
}

impl Pyproject {
    /// The `pyproject.toml` in `lock_dir` (relative to the scanned root, `.` for the root):
    /// `Ok(None)` when there is none, an error naming it (with its line) when it is not valid
    /// TOML or a field has the wrong type.
    pub fn read(source: &dyn Source, lock_dir: &str) -> Result<Option<Pyproject>, ResolveError> {
        let path = if lock_dir == "." { "pyproject.toml".to_owned() } else { format!("{lock_dir}/pyproject.toml") };
        let Ok(bytes) = source.read(&path) else { return Ok(None) };
        let text = super::utf8(&path, &bytes)?;
        Pyproject::parse(&path, text).map(Some)
    }

    /// [`Pyproject::read`] for a resolver: a file that cannot be read is an entry of `errors`
    /// (the packages stay complete, the run must say what it could not read), except with
    /// `lockfile_only`, where only the packages are wanted and the project is a best effort.
    pub fn beside(
        source: &dyn Source,
        lock_dir: &str,
        options: &super::ResolveOptions,
        errors: &mut Vec<ResolveError>,
    ) -> Option<Pyproject> {
        match Pyproject::read(source, lock_dir) {
            Ok(p) => p,
            Err(e) => {
                if !options.lockfile_only {
                    errors.push(e);
                }
                None
            }
        }
    }

    /// Parse a `pyproject.toml`'s text; `path` names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<Pyproject, ResolveError> {
        let wire: Wire = toml::from_str(text).map_err(|e| super::toml_error(path, text, &e))?;
        let lines = LineIndex::new(text);
        let line = |start: usize| Some(lines.line(start));
        let mut out = Pyproject { path: path.to_owned(), ..Pyproject::default() };
        let pep508 = |direct: &mut Vec<Direct>, req: &Spanned<String>, kind: DirectKind, group: Option<&str>| {
            push_requirement(direct, req.get_ref(), kind, group, line(req.span().start));
        };
        if let Some(project) = &wire.project {
            for req in &project.dependencies {
                pep508(&mut out.direct, req, DirectKind::Main, None);
            }
            for (extra, reqs) in &project.optional_dependencies {
                for req in reqs {
                    pep508(&mut out.direct, req, DirectKind::Extra, Some(extra));
                }
            }
        }
        for (group, reqs) in &wire.dependency_groups {
            for req in reqs {
                // `{include-group = "x"}` entries include another group's requirements, which
                // are listed under that group already.
                if let Some(r) = req.get_ref().as_str() {
                    push_requirement(&mut out.direct, r, DirectKind::Group, Some(group), line(req.span().start));
                }
            }
        }
        let tool = wire.tool.unwrap_or_default();
        if let Some(poetry) = &tool.poetry {
            let table = |direct: &mut Vec<Direct>,
                         deps: &BTreeMap<Spanned<String>, toml::Value>,
                         kind: Option<DirectKind>,
                         group: Option<&str>| {
                for (name, spec) in deps {
                    if name.get_ref().eq_ignore_ascii_case("python") {
                        continue;
                    }
                    let kind = kind.unwrap_or(if poetry_optional(spec) { DirectKind::Extra } else { DirectKind::Main });
                    direct.push(Direct {
                        name: Ecosystem::PyPI.normalize_name(name.get_ref()),
                        kind,
                        group: group.map(str::to_owned),
                        extras: poetry_extras(spec),
                        conditional: poetry_conditional(spec),
                        line: line(name.span().start),
                    });
                }
            };
            table(&mut out.direct, &poetry.dependencies, None, None);
            table(&mut out.direct, &poetry.dev_dependencies, Some(DirectKind::Group), Some("dev"));
            for (group, g) in &poetry.group {
                table(&mut out.direct, &g.dependencies, Some(DirectKind::Group), Some(group));
            }
            out.indexes.extend(poetry.source.iter().filter_map(|s| s.url.clone()));
            out.pypi_replacement = poetry_replacement(&poetry.source);
        }
        if let Some(pdm) = &tool.pdm {
            for (group, reqs) in &pdm.dev_dependencies {
                for req in reqs {
                    pep508(&mut out.direct, req, DirectKind::Group, Some(group));
                }
            }
            out.indexes.extend(pdm.source.iter().filter_map(|s| s.url.clone()));
            // pdm reads a source named `pypi` as the configuration of its default index.
            if let Some(url) = pdm
                .source
                .iter()
                .filter(|s| s.name.as_deref() == Some("pypi"))
                .find_map(|s| s.url.clone().filter(|u| !u.trim().is_empty()))
            {
                out.pypi_replacement = Some(url);
            }
        }
        if let Some(uv) = &tool.uv {
            for req in &uv.dev_dependencies {
                pep508(&mut out.direct, req, DirectKind::Group, Some("dev"));
            }
        }
        let project = wire.project.unwrap_or_default();
        let poetry = tool.poetry.unwrap_or_default();
        out.name = project.name.or(poetry.name).filter(|n| !n.trim().is_empty());
        out.version = project.version.or(poetry.version).filter(|v| !v.trim().is_empty());
        Ok(out)
    }

    /// The source of a package a lockfile records as coming from the default index: PyPI, or
    /// the index the project replaces it with.
    pub fn default_index(project: Option<&Pyproject>) -> PackageSource {
        project
            .and_then(|p| p.pypi_replacement.as_deref())
            .map_or_else(|| PackageSource::default_registry(Ecosystem::PyPI), index_source)
    }
}

/// The index poetry installs a package without `[package.source]` from, when the project's
/// sources disable PyPI: poetry (1.5 and later) adds PyPI implicitly unless a source is
/// `primary` (the priority of a source that states none) or `default`, or a source named `PyPI`
/// configures it explicitly; without PyPI, such a package comes from the highest-priority
/// source (a `default` one, else the first `primary`).
fn poetry_replacement(sources: &[PoetrySourceWire]) -> Option<String> {
    let priority = |s: &PoetrySourceWire| match s.priority.as_deref() {
        Some(p) => p.to_ascii_lowercase(),
        None if s.default => "default".to_owned(),
        None if s.secondary => "secondary".to_owned(),
        None => "primary".to_owned(),
    };
    if sources.iter().any(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case("pypi"))) {
        return None;
    }
    let first = |wanted: &str| sources.iter().find(|s| priority(s) == wanted);
    let top = first("default").or_else(|| first("primary"))?;
    top.url.clone().filter(|u| !u.trim().is_empty())
}

/// Add a direct dependency from a PEP 508 string (one that names no project is skipped).
fn push_requirement(direct: &mut Vec<Direct>, req: &str, kind: DirectKind, group: Option<&str>, line: Option<usize>) {
    if let Some(r) = requirement(req) {
        direct.push(Direct {
            name: Ecosystem::PyPI.normalize_name(r.name),
            kind,
            group: group.map(str::to_owned),
            extras: r.extras.iter().map(|e| (*e).to_owned()).collect(),
            conditional: r.has_marker,
            line,
        });
    }
}

/// Whether a poetry dependency specification holds only in some environments (`markers`,
/// `python` or `platform` in an alternative, or several alternatives).
fn poetry_conditional(spec: &toml::Value) -> bool {
    let one = |v: &toml::Value| ["markers", "python", "platform"].iter().any(|k| v.get(*k).is_some());
    match spec {
        toml::Value::Array(alternatives) => alternatives.len() > 1 || alternatives.iter().any(one),
        other => one(other),
    }
}

/// Whether a poetry dependency specification (a string, a table, or an array of tables) is
/// `optional = true` (an extra's dependency) in every alternative.
fn poetry_optional(spec: &toml::Value) -> bool {
    let one = |v: &toml::Value| v.get("optional").and_then(toml::Value::as_bool).unwrap_or(false);
    match spec {
        toml::Value::Array(alternatives) => !alternatives.is_empty() && alternatives.iter().all(one),
        other => one(other),
    }
}

/// The extras a poetry dependency specification asks for, in any alternative.
fn poetry_extras(spec: &toml::Value) -> Vec<String> {
    let one = |v: &toml::Value| -> Vec<String> {
        v.get("extras")
            .and_then(toml::Value::as_array)
            .map(|a| a.iter().filter_map(toml::Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut out: Vec<String> = match spec {
        toml::Value::Array(alternatives) => alternatives.iter().flat_map(one).collect(),
        other => one(other),
    };
    out.sort();
    out.dedup();
    out
}

/// The name and extras of a PEP 508 requirement, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement<'a> {
    /// The project name (not normalized).
    pub name: &'a str,
    /// The extras in brackets (`foo[a, b]`), trimmed.
    pub extras: Vec<&'a str>,
    /// Whether an environment marker (`; python_version < "3.8"`) follows.
    pub has_marker: bool,
}

/// The name and extras of a PEP 508 requirement string (`foo`, `foo[bar]>=1`, `foo (>=1)`,
/// `foo @ git+https://...`, `foo; python_version < "3.8"`); poetry's extras lists use the same
/// form. `None` when the string does not start with a valid name.
pub fn requirement(s: &str) -> Option<Requirement<'_>> {
    let s = s.trim_start();
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))).unwrap_or(s.len());
    let name = s.get(..end)?;
    // PEP 508: a name starts and ends with a letter or digit.
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) || !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let rest = s.get(end..).unwrap_or_default().trim_start();
    let mut extras = Vec::new();
    if let Some(inner) = rest.strip_prefix('[') {
        let close = inner.find(']')?;
        extras = inner.get(..close)?.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
    }
    Some(Requirement { name, extras, has_marker: rest.contains(';') })
}

/// A file hash as Python lockfiles write it (`sha256:<hex>`): `Ok(None)` for an algorithm
/// chainward does not keep (`md5`, `blake2b`), an error message for a known algorithm whose
/// digest is not hex of the right length, or a string without `algorithm:`.
pub fn file_hash(hash: &str) -> Result<Option<Checksum>, String> {
    let Some((algorithm, hex)) = hash.split_once(':') else {
        return Err(format!("`{hash}` is not `algorithm:hex`"));
    };
    match Checksum::from_hex(algorithm, hex) {
        Some(c) => Ok(Some(c)),
        None if matches!(algorithm.to_ascii_lowercase().as_str(), "sha1" | "sha256" | "sha384" | "sha512") => {
            Err(format!("`{hash}` is not a {algorithm} digest"))
        }
        None => Ok(None),
    }
}

/// The checksums of a package's files' hashes (`sha256:<hex>` each), sorted and deduplicated;
/// the first hash that is not valid is the error.
pub fn file_hashes<'a>(hashes: impl IntoIterator<Item = &'a str>) -> Result<Vec<Checksum>, String> {
    let mut out = Vec::new();
    for h in hashes {
        if let Some(c) = file_hash(h)? {
            out.push(c);
        }
    }
    // Strongest first (the variants are ordered weakest first), then by digest.
    out.sort_by(|a, b| b.cmp(a));
    out.dedup();
    Ok(out)
}

/// The packages of each PEP 503-normalized name, in lockfile order.
pub fn by_name(packages: &[Package]) -> HashMap<String, Vec<usize>> {
    let mut map: HashMap<String, Vec<usize>> = HashMap::with_capacity(packages.len());
    for (i, p) in packages.iter().enumerate() {
        map.entry(Ecosystem::PyPI.normalize_name(&p.name)).or_default().push(i);
    }
    map
}

/// The scope a lockfile gives a package by itself (poetry `category`/`groups`, pdm `groups`),
/// used when no project declares what reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// In the main group.
    Main,
    /// In the main group, but only for an extra (poetry `optional = true`).
    Optional,
    /// Only in other groups.
    Group,
    /// The lockfile does not say.
    Unknown,
}

/// A Python lockfile as its resolver read it, before the project root and scopes.
#[derive(Debug, Default)]
pub struct Locked {
    /// The lockfile's packages, in file order.
    pub packages: Vec<Package>,
    /// `edges[i]`: the packages package `i` depends on. An index one past the last package
    /// names the project root (a dependency on the project itself).
    pub edges: Vec<Vec<usize>>,
    /// What the lockfile says of each package's scope.
    pub scopes: Vec<LockScope>,
    /// Problems that leave the packages complete (dangling edges).
    pub errors: Vec<ResolveError>,
    /// Diagnostics.
    pub warnings: Vec<Warning>,
}

/// A TOML Python lockfile (poetry, pdm) read by `parse`, then finished against the
/// `pyproject.toml` beside it. The pyproject is read even for `lockfile_only`: the project's
/// name is what a dependency on the project itself (a plugin's) resolves to.
pub fn resolve_lock(
    source: &dyn Source,
    path: &str,
    bytes: &[u8],
    options: &super::ResolveOptions,
    parse: fn(&str, &str, &str, Option<&Pyproject>) -> Result<Locked, ResolveError>,
) -> Result<Resolved, ResolveError> {
    let text = super::utf8(path, bytes)?;
    let lock_dir = path.rsplit_once('/').map_or(".", |(dir, _)| dir);
    let mut errors = Vec::new();
    let project = Pyproject::beside(source, lock_dir, options, &mut errors);
    let locked = parse(path, text, lock_dir, project.as_ref())?;
    Ok(finish(source, path, lock_dir, locked, project, errors))
}

/// Finish a Python lockfile's packages: add the project root (a first-party package when the
/// project has a name, else a synthetic root named after the lockfile's directory), its edges
/// to the direct dependencies, the `direct` flags and the scopes.
///
/// `locked.edges[i]` are package `i`'s dependencies (all `Normal`); `locked.scopes[i]` is what
/// the lockfile says of package `i`; `errors` are the resolver's own besides the lockfile's. With a project, scopes are walked from it (main dependencies
/// required, extras optional, groups excluded, as [`node::apply_scopes`] walks them); a package
/// it does not reach keeps the lockfile's word. Without one, the lockfile's word is all there is.
/// A direct dependency the lockfile does not lock is a warning (the lockfile is out of date, or
/// the dependency's marker never holds).
pub fn finish(
    source: &dyn Source,
    path: &str,
    lock_dir: &str,
    locked: Locked,
    project: Option<Pyproject>,
    mut errors: Vec<ResolveError>,
) -> Resolved {
    let Locked { mut packages, edges, scopes: lock_scopes, errors: lock_errors, mut warnings } = locked;
    let lock_scopes = lock_scopes.as_slice();
    errors.extend(lock_errors);
    let mut typed: Vec<Vec<Edge>> = edges
        .into_iter()
        .map(|es| es.into_iter().map(|to| Edge { to, kind: DependencyKind::Normal }).collect())
        .collect();
    typed.resize(packages.len(), Vec::new());
    let dir_label = || super::dir_name(source, lock_dir).unwrap_or_else(|| "root".to_owned());
    let root = if let Some(project) = project {
        let names = by_name(&packages);
        // `[dependency-groups]` and extras may name the project itself (`app[test]`).
        let root_name = project.name.as_deref().map(|n| Ecosystem::PyPI.normalize_name(n));
        let mut root_edges: BTreeMap<usize, DependencyKind> = BTreeMap::new();
        // Name -> the line of its first declaration.
        let mut missing: BTreeMap<String, Option<usize>> = BTreeMap::new();
        // A name declared behind a marker somewhere may rightly be unlocked.
        let conditional: BTreeSet<&str> =
            project.direct.iter().filter(|d| d.conditional).map(|d| d.name.as_str()).collect();
        for d in &project.direct {
            let kind = match d.kind {
                DirectKind::Main => DependencyKind::Normal,
                DirectKind::Extra => DependencyKind::Optional,
                DirectKind::Group => DependencyKind::Dev,
            };
            let Some(targets) = names.get(&d.name) else {
                if !conditional.contains(d.name.as_str()) && root_name.as_deref() != Some(d.name.as_str()) {
                    missing.entry(d.name.clone()).or_insert(d.line);
                }
                continue;
            };
            for &t in targets {
                // The strongest declaration wins: normal over optional over dev.
                let rank = |k: DependencyKind| match k {
                    DependencyKind::Normal | DependencyKind::Build => 0,
                    DependencyKind::Optional => 1,
                    DependencyKind::Dev => 2,
                };
                let entry = root_edges.entry(t).or_insert(kind);
                if rank(kind) < rank(*entry) {
                    *entry = kind;
                }
            }
        }
        let lockfile = path.rsplit_once('/').map_or(path, |(_, file)| file);
        for (name, line) in missing {
            warnings.push(Warning {
                path: project.path.clone(),
                line,
                message: format!(
                    "pyproject.toml declares `{name}`, which {lockfile} does not lock (out of date lockfile, or a \
                     marker that never holds)"
                ),
            });
        }
        let has_name = project.name.is_some();
        let name = project.name.unwrap_or_else(dir_label);
        let mut root = Package::new(
            Ecosystem::PyPI,
            name,
            project.version.unwrap_or_default(),
            PackageSource::Path { dir: lock_dir.to_owned() },
        );
        root.first_party = true;
        let root_index = packages.len();
        packages.push(root);
        typed.push(root_edges.into_iter().map(|(to, kind)| Edge { to, kind }).collect());
        node::apply_scopes(&mut packages, &typed);
        fallback_scopes(&mut packages, lock_scopes);
        if has_name {
            RootComponent::Package(root_index)
        } else {
            // A project without a name (poetry `package-mode = false`): not a package.
            let depends_on = packages.pop().map(|r| r.dependencies).unwrap_or_default();
            RootComponent::Synthetic { name: dir_label(), depends_on }
        }
    } else {
        for (p, es) in packages.iter_mut().zip(&typed) {
            p.dependencies = es.iter().map(|e| e.to).collect();
        }
        fallback_scopes(&mut packages, lock_scopes);
        // Without a project, the packages nothing else depends on are the top of the graph.
        let mut depended = vec![false; packages.len()];
        for p in &packages {
            for &d in &p.dependencies {
                if let Some(flag) = depended.get_mut(d) {
                    *flag = true;
                }
            }
        }
        let depends_on = depended.iter().enumerate().filter(|(_, d)| !**d).map(|(i, _)| i).collect();
        RootComponent::Synthetic { name: dir_label(), depends_on }
    };
    warnings.extend(other_index_warnings(path, &packages));
    Resolved { path: path.to_owned(), packages, root, warnings, errors }
}

/// The lockfile's word on the scope of packages no project reaches.
fn fallback_scopes(packages: &mut [Package], lock_scopes: &[LockScope]) {
    for (p, s) in packages.iter_mut().zip(lock_scopes) {
        if p.scope.is_some() {
            continue;
        }
        p.scope = match s {
            LockScope::Main => Some(Scope::Required),
            LockScope::Optional => Some(Scope::Optional),
            LockScope::Group => {
                p.reached_by.insert(DependencyKind::Dev);
                Some(Scope::Excluded)
            }
            LockScope::Unknown => None,
        };
    }
}

/// Hosts that are PyPI itself, whatever the path (`/simple`, `/pypi`, a file on
/// files.pythonhosted.org).
const PYPI_HOSTS: [&str; 3] = ["pypi.org", "pypi.python.org", "files.pythonhosted.org"];

/// Host and path prefixes of PyPI's public mirrors: an index there serves PyPI's packages under
/// PyPI's names and versions (piwheels adds ARM wheels of the same releases).
const PYPI_MIRRORS: [&str; 11] = [
    "mirrors.aliyun.com/pypi",
    "pypi.tuna.tsinghua.edu.cn/simple",
    "mirrors.tuna.tsinghua.edu.cn/pypi",
    "pypi.mirrors.ustc.edu.cn/simple",
    "mirrors.ustc.edu.cn/pypi",
    "mirrors.cloud.tencent.com/pypi",
    "pypi.doubanio.com/simple",
    "repo.huaweicloud.com/repository/pypi",
    "mirror.baidu.com/pypi",
    "mirrors.bfsu.edu.cn/pypi",
    "piwheels.org/simple",
];

/// A URL without its scheme, credentials (`user:token@`), `www.` and trailing `/`, lowercase.
fn bare_url(url: &str) -> String {
    let t = url.trim();
    let rest = t.split_once("://").map_or(t, |(_, rest)| rest);
    // The authority ends at the first `/`, `?`, `#` or `\` (as URL parsers end it), so
    // `https://evil.example?@pypi.org/simple` is evil.example's.
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let path = path.strip_prefix('/').unwrap_or(path);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut bare = host.to_ascii_lowercase();
    let path = path.trim_end_matches('/');
    if !path.is_empty() {
        bare.push('/');
        bare.push_str(&path.to_ascii_lowercase());
    }
    bare
}

/// Whether a Python package index URL is PyPI or one of its public mirrors, whose packages are
/// PyPI's (and so matched against PyPI advisories). Any other index (a company's Artifactory,
/// the `PyTorch` wheel index, `TestPyPI`) may serve anything under a PyPI name: not PyPI.
pub fn is_pypi_index(url: &str) -> bool {
    let bare = bare_url(url);
    let host = bare.split(['/', ':']).next().unwrap_or_default();
    PYPI_HOSTS.contains(&host)
        || PYPI_MIRRORS.iter().any(|m| bare.strip_prefix(m).is_some_and(|r| r.is_empty() || r.starts_with('/')))
}

/// The source of a package from a Python package index URL: PyPI's registry for PyPI and its
/// public mirrors, another registry otherwise (its URL kept without credentials, which must not
/// reach an SBOM).
pub fn index_source(url: &str) -> PackageSource {
    if is_pypi_index(url) {
        return PackageSource::default_registry(Ecosystem::PyPI);
    }
    PackageSource::Registry { url: without_credentials(url), sparse: false, default_registry: false }
}

/// The index of a file downloaded from `url` (a host that is not PyPI's): the declared index
/// (`indexes`) on the same host, else the file's scheme and host as the index.
pub fn file_index(url: &str, indexes: &[String]) -> PackageSource {
    let host = |u: &str| bare_url(u).split('/').next().unwrap_or_default().to_owned();
    let file_host = host(url);
    if let Some(index) = indexes.iter().find(|i| host(i) == file_host) {
        return index_source(index);
    }
    let clean = without_credentials(url);
    let origin = clean.split_once("://").map_or_else(
        || clean.clone(),
        |(scheme, rest)| {
            let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
            format!("{scheme}://{}", rest.get(..end).unwrap_or(rest))
        },
    );
    index_source(&origin)
}

/// `url` without a `user:password@` part.
pub fn without_credentials(url: &str) -> String {
    let t = url.trim();
    let Some((scheme, rest)) = t.split_once("://") else { return t.to_owned() };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{tail}")
}

/// One warning per index that is not PyPI, naming how many packages come from it: they are not
/// checked against PyPI advisories, and the run must say so.
pub fn other_index_warnings(path: &str, packages: &[Package]) -> Vec<Warning> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in packages {
        if let PackageSource::Registry { url, default_registry: false, .. } = &p.source {
            *counts.entry(url.as_str()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(url, n)| Warning {
            path: path.to_owned(),
            line: None,
            message: format!(
                "{n} package(s) come from the index `{url}`, which is not PyPI or a known mirror of it: they are not checked against PyPI advisories"
            ),
        })
        .collect()
}

/// `dir/rel` with `.` and `..` segments folded (a lockfile's relative path of a local package),
/// relative to the scanned root; `None` when it leaves the root or is absolute.
pub fn join_dir(dir: &str, rel: &str) -> Option<String> {
    let rel = rel.strip_prefix("file://").unwrap_or(rel);
    if rel.starts_with('/') || rel.contains(':') || rel.starts_with('\\') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    for seg in rel.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(if parts.is_empty() { ".".to_owned() } else { parts.join("/") })
}

/// An invalid-package error naming the package.
pub fn invalid(path: &str, line: Option<usize>, what: String) -> ResolveError {
    ResolveError::new(path, line, ResolveErrorKind::InvalidPackage(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_give_their_name_and_extras() {
        let r = requirement("foo[bar, baz] (>=1.0) ; python_version < '3.8'").unwrap();
        assert_eq!((r.name, r.extras, r.has_marker), ("foo", vec!["bar", "baz"], true));
        assert_eq!(requirement("zest.releaser[recommended]").unwrap().name, "zest.releaser");
        assert_eq!(requirement("poetry-core @ git+https://x/y.git").unwrap().name, "poetry-core");
        assert_eq!(requirement("win-inet-pton; platform_system == \"Windows\"").unwrap().extras, Vec::<&str>::new());
        assert!(requirement("").is_none());
        assert!(requirement("-e .").is_none());
        assert!(requirement("foo[bar").is_none());
    }

    #[test]
    fn hashes_are_kept_per_algorithm() {
        let hex = "39e3809566ff85354557ec2398b55e096c8364bacac9405a7a1fa429e77fe76c";
        assert_eq!(file_hash(&format!("sha256:{hex}")), Ok(Some(Checksum::Sha256(hex.into()))));
        assert_eq!(file_hash("md5:abc"), Ok(None));
        assert!(file_hash("sha256:abc").is_err());
        assert!(file_hash("nohash").is_err());
    }

    #[test]
    fn pyproject_groups_and_kinds() {
        let text = r#"
[project]
name = "app"
version = "1.0"
dependencies = ["Requests[socks]>=2", "tomli; python_version < '3.11'"]
[project.optional-dependencies]
fast = ["uvloop"]
[dependency-groups]
test = ["pytest", {include-group = "lint"}]
[tool.poetry.dependencies]
python = "^3.9"
Click = {version = "^8", optional = true}
[tool.poetry.group.docs.dependencies]
sphinx = "*"
[tool.pdm.dev-dependencies]
lint = ["ruff"]
"#;
        let p = Pyproject::parse("pyproject.toml", text).unwrap();
        assert_eq!((p.name.as_deref(), p.version.as_deref()), (Some("app"), Some("1.0")));
        let got: Vec<_> = p.direct.iter().map(|d| (d.name.as_str(), d.kind, d.group.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                ("requests", DirectKind::Main, None),
                ("tomli", DirectKind::Main, None),
                ("uvloop", DirectKind::Extra, Some("fast")),
                ("pytest", DirectKind::Group, Some("test")),
                ("click", DirectKind::Extra, None),
                ("sphinx", DirectKind::Group, Some("docs")),
                ("ruff", DirectKind::Group, Some("lint")),
            ]
        );
        assert_eq!(p.direct.first().unwrap().extras, vec!["socks".to_owned()]);
    }

    #[test]
    fn local_paths_stay_inside_the_root() {
        assert_eq!(join_dir(".", "./libs/a").as_deref(), Some("libs/a"));
        assert_eq!(join_dir("py/app", "../lib").as_deref(), Some("py/lib"));
        assert_eq!(join_dir(".", "..").as_deref(), None);
        assert_eq!(join_dir(".", "/abs").as_deref(), None);
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;

    #[test]
    fn pypi_and_its_mirrors_are_pypi_other_indexes_are_not() {
        for url in [
            "https://pypi.org/simple",
            "https://pypi.org/simple/",
            "https://www.pypi.org/simple",
            "https://pypi.python.org/simple",
            "https://files.pythonhosted.org/packages/ab/cd/x-1.0-py3-none-any.whl",
            "https://mirrors.aliyun.com/pypi/simple/",
            "https://pypi.tuna.tsinghua.edu.cn/simple",
            "https://piwheels.org/simple",
            "https://www.piwheels.org/simple",
            "https://user:secret@pypi.org/simple",
        ] {
            assert!(is_pypi_index(url), "{url}");
            assert_eq!(index_source(url), PackageSource::default_registry(Ecosystem::PyPI), "{url}");
        }
        for url in [
            "https://download.pytorch.org/whl/cpu",
            "https://test.pypi.org/simple",
            "https://artifactory.example.com/api/pypi/pypi/simple",
            "https://pypi.org.evil.example/simple",
            "https://mirrors.aliyun.com/pypi-private/simple",
            "https://evil.example?@pypi.org/simple",
            "https://evil.example#@pypi.org/simple",
            "https://evil.example\\@pypi.org/simple",
        ] {
            assert!(!is_pypi_index(url), "{url}");
        }
        assert_eq!(
            index_source("https://me:token@pkgs.example.com/simple"),
            PackageSource::Registry {
                url: "https://pkgs.example.com/simple".into(),
                sparse: false,
                default_registry: false
            }
        );
    }
}
