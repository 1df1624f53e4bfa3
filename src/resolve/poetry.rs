//! `poetry.lock`: lock-version 1.x and 2.x, as poetry's `Locker` reads them.
//!
//! # The file
//!
//! - `[metadata] lock-version`: `1.0`/`1.1` (poetry 1.x; a file without one is read as `1.0`,
//!   as poetry does) and `2.0`/`2.1` (poetry 2.x). Another major version is
//!   [`ResolveErrorKind::UnsupportedFormatVersion`] with its line. A file without `[metadata]`
//!   is refused by poetry ("does not have a metadata entry"); chainward reads its packages and
//!   warns. An empty file is an error, as it is for poetry.
//! - `[[package]]`: `name`, `version`, `optional`, `category` (1.x: `main` or `dev`) or `groups`
//!   (2.x: the dependency groups that reach the package, `main` first), `markers`, `files =
//!   [{file, hash}]` (2.x; 1.x keeps them in `[metadata.files]`, keyed by name, the files of
//!   every version of that name together), `[package.dependencies]`, `[package.extras]` and
//!   `[package.source]`.
//! - `[package.source]` `type`: `legacy`, `explicit`, `supplemental` (a package index: PyPI or a
//!   public mirror of it is still the PyPI package of that name; another index is a registry
//!   that is not matched, with a warning: [`python::is_pypi_index`]), `git`
//!   (`url`, `reference` as the user wrote it, `resolved_reference` the locked commit), `url`
//!   (an archive: [`PackageSource::Tarball`]), `file` (a local archive) and `directory` (a
//!   local project): [`PackageSource::Path`], relative to the lockfile. A package without
//!   `[package.source]` is PyPI's, unless the project's `[[tool.poetry.source]]`s disable PyPI
//!   (a `primary` or `default` source, and none named `PyPI`): poetry then installs it from
//!   the highest-priority source, and so is it read (see [`Pyproject::default_index`]).
//!
//! # Edges
//!
//! A `[package.dependencies]` value is a constraint string, a table (`version`, `markers`,
//! `python`, `optional`, `extras`, `git`/`url`/`path`, ...), or an array of such tables, one per
//! environment. Names are compared PEP 503-normalized. Every alternative's target that the
//! lockfile locks gets an edge; when a name is locked at several versions (behind markers), an
//! alternative pinning one of them exactly points at it, any other at all of them. A target the
//! lockfile does not lock is fine when the alternative has a marker or a `python` restriction
//! (poetry does not lock what can never be installed for the project's Python) or is optional;
//! otherwise it is a [`ResolveErrorKind::DanglingDependency`] in [`Resolved::errors`].
//!
//! `optional = true` dependencies belong to the package's extras: they are edges only when an
//! extra listing them is requested, by the project (`foo = {extras = ["x"]}`, `foo[x]`) or by
//! a package (its dependency table's `extras`, or an extra of its own naming `foo[x]`).
//!
//! # Scopes
//!
//! With a `pyproject.toml` beside the lockfile (see [`super::python::Pyproject`]): the project is
//! the root, its main dependencies required, extras optional, groups excluded, walked through
//! the edges. Without one, or for packages the project does not reach: the lockfile's word
//! (`main`, or no `groups`/`category` at all, → required; `optional = true` → optional; other
//! groups and `dev` → excluded). The
//! group names are kept in `groups`.
//!
//! # Lines
//!
//! A package's span runs from its `[[package]]` header to the last line of its block (its
//! `[package.*]` subtables included).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::python::{self, LockScope, Locked, Pyproject};
use super::{LineIndex, ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::model::package::GitReference;
use crate::model::{Ecosystem, LineSpan, Package, PackageSource};
use crate::source::Source;

/// The lock-version majors chainward reads.
const SUPPORTED: &str = "lock-version 1.x and 2.x";

/// Reads `poetry.lock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoetryLockResolver;

impl Resolver for PoetryLockResolver {
    fn name(&self) -> &'static str {
        "poetry"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "poetry.lock")
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
#[serde(rename_all = "kebab-case")]
struct MetadataWire {
    lock_version: Option<Spanned<toml::Value>>,
    #[serde(default)]
    files: BTreeMap<String, Vec<FileWire>>,
}

#[derive(Debug, Default, Deserialize)]
struct FileWire {
    file: Option<String>,
    hash: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct PackageWire {
    name: Option<Spanned<String>>,
    version: Option<String>,
    category: Option<String>,
    #[serde(default)]
    optional: bool,
    groups: Option<Vec<String>>,
    #[serde(default)]
    files: Vec<FileWire>,
    #[serde(default)]
    dependencies: BTreeMap<Spanned<String>, toml::Value>,
    #[serde(default)]
    extras: BTreeMap<String, Vec<String>>,
    source: Option<SourceWire>,
}

#[derive(Debug, Default, Deserialize)]
struct SourceWire {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
    reference: Option<String>,
    resolved_reference: Option<String>,
}

/// Check `[metadata] lock-version` (absent: `1.0`, as poetry reads it): major 1 or 2.
fn check_version(path: &str, lines: &LineIndex, metadata: Option<&MetadataWire>) -> Result<(), ResolveError> {
    let Some(v) = metadata.and_then(|m| m.lock_version.as_ref()) else { return Ok(()) };
    let line = Some(lines.line(v.span().start));
    let written = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let major = v.get_ref().as_str().and_then(|s| s.split('.').next()).and_then(|m| m.trim().parse::<u64>().ok());
    match major {
        Some(1 | 2) => Ok(()),
        _ => Err(ResolveError::new(
            path,
            line,
            ResolveErrorKind::UnsupportedFormatVersion {
                format: "poetry.lock lock-version",
                version: written,
                supported: SUPPORTED,
            },
        )),
    }
}

/// One alternative of a `[package.dependencies]` value.
#[derive(Debug, Default)]
struct Alternative {
    version: Option<String>,
    optional: bool,
    extras: Vec<String>,
    /// Has `markers` or a `python`/`platform` restriction.
    conditional: bool,
}

fn alternatives(spec: &toml::Value) -> Vec<Alternative> {
    let one = |v: &toml::Value| match v {
        toml::Value::String(s) => Alternative { version: Some(s.clone()), ..Alternative::default() },
        toml::Value::Table(t) => Alternative {
            version: t.get("version").and_then(toml::Value::as_str).map(str::to_owned),
            optional: t.get("optional").and_then(toml::Value::as_bool).unwrap_or(false),
            extras: t
                .get("extras")
                .and_then(toml::Value::as_array)
                .map(|a| a.iter().filter_map(toml::Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            conditional: ["markers", "python", "platform"].iter().any(|k| t.contains_key(*k)),
        },
        _ => Alternative::default(),
    };
    match spec {
        toml::Value::Array(a) => a.iter().map(one).collect(),
        other => vec![one(other)],
    }
}

/// The span of every `[[package]]` block: from its header to the last non-blank, non-comment
/// line before the next `[[package]]` or the next table that is not a `[package.*]` subtable.
pub(crate) fn block_spans(text: &str, headers: &[usize]) -> Vec<LineSpan> {
    let lines: Vec<&str> = text.lines().collect();
    let mut spans = Vec::with_capacity(headers.len());
    for (k, &start) in headers.iter().enumerate() {
        let limit = headers.get(k + 1).map_or(lines.len(), |next| next.saturating_sub(1));
        let mut end = start;
        for n in start + 1..=limit {
            let Some(line) = lines.get(n - 1) else { break };
            let t = line.trim();
            if t.starts_with('[') {
                let header: String = t.chars().filter(|c| !c.is_whitespace()).collect();
                if !(header.starts_with("[package.") || header.starts_with("[[package.")) {
                    break;
                }
            }
            if !t.is_empty() && !t.starts_with('#') {
                end = n;
            }
        }
        spans.push(LineSpan { start, end });
    }
    spans
}

/// The versions a distribution file's name (lowercase) may be of: every `-VERSION-` and
/// `-VERSION.tar`/`.zip`/`.whl` in it (`name-1.0.tar.gz`, `name-1.0-py3-none-any.whl`), and,
/// after the (normalized) project name, a version up to the archive's extension that has a `-`
/// of its own. Each candidate lies within one `-`-separated part (but the last): linear in the
/// name's length.
fn file_versions<'a>(file: &'a str, name: &str) -> Vec<&'a str> {
    let archive = |s: &str| [".tar", ".zip", ".whl"].iter().filter_map(|ext| s.find(ext)).min();
    let mut out = Vec::new();
    let mut parts = file.split('-').skip(1).peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_some() && !part.is_empty() {
            out.push(part);
        }
        if let Some(v) = archive(part).and_then(|end| part.get(..end)).filter(|v| !v.is_empty()) {
            out.push(v);
        }
    }
    let rest = strip_name(file, name).and_then(|r| r.strip_prefix('-'));
    if let Some(v) = rest.and_then(|r| archive(r).and_then(|end| r.get(..end))).filter(|v| v.contains('-')) {
        out.push(v);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `file` after a leading project `name` (PEP 503-normalized: a `-` in it stands for any run of
/// `-`, `_` and `.`).
fn strip_name<'a>(file: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = file;
    for c in name.chars() {
        if c == '-' {
            let after = rest.trim_start_matches(['-', '_', '.']);
            if after.len() == rest.len() {
                return None;
            }
            rest = after;
        } else {
            rest = rest.strip_prefix(c)?;
        }
    }
    Some(rest)
}

/// Parse a `poetry.lock`. `lock_dir` is the lockfile's directory (for local sources); the
/// project, when given, requests extras of its direct dependencies.
pub fn parse(path: &str, text: &str, lock_dir: &str, project: Option<&Pyproject>) -> Result<Locked, ResolveError> {
    if text.trim().is_empty() {
        return Err(ResolveError::new(
            path,
            None,
            ResolveErrorKind::Format(
                "the file is empty (poetry refuses a lockfile without `[metadata]`: run `poetry lock`)".to_owned(),
            ),
        ));
    }
    let wire: LockWire = toml::from_str(text).map_err(|e| super::toml_error(path, text, &e))?;
    let lines = LineIndex::new(text);
    let mut warnings = Vec::new();
    if wire.metadata.is_none() {
        warnings.push(Warning {
            path: path.to_owned(),
            line: None,
            message: "the lockfile has no `[metadata]` (poetry refuses it: run `poetry lock`); its packages are \
                      read as lock-version 1.0"
                .to_owned(),
        });
    }
    check_version(path, &lines, wire.metadata.as_ref())?;
    let headers: Vec<usize> = wire.package.iter().map(|p| lines.line(p.span().start)).collect();
    let spans = block_spans(text, &headers);
    let metadata = wire.metadata.unwrap_or_default();
    // 1.x: the files of each name, normalized.
    let mut metadata_files: HashMap<String, Vec<FileWire>> = HashMap::new();
    for (name, files) in metadata.files {
        metadata_files.entry(Ecosystem::PyPI.normalize_name(&name)).or_default().extend(files);
    }

    let mut packages = Vec::with_capacity(wire.package.len());
    let mut scopes = Vec::with_capacity(wire.package.len());
    let mut wires = Vec::with_capacity(wire.package.len());
    for (k, spanned) in wire.package.into_iter().enumerate() {
        let span = spans.get(k).copied();
        let header = span.map(|s| s.start);
        let w = spanned.into_inner();
        let Some(name) = w.name.as_ref().filter(|n| !n.get_ref().trim().is_empty()) else {
            return Err(python::invalid(path, header, "a `[[package]]` has no `name`".to_owned()));
        };
        let name_line = Some(lines.line(name.span().start));
        let name = name.get_ref().clone();
        let Some(version) = w.version.clone().filter(|v| !v.trim().is_empty()) else {
            return Err(python::invalid(path, name_line, format!("`{name}` has no `version`")));
        };
        let label = format!("{name} {version}");
        let package_source = source_of(path, name_line, lock_dir, &label, w.source.as_ref(), project)?;
        let mut package = Package::new(Ecosystem::PyPI, name, version, package_source);
        package.lines = span;
        let groups: Vec<String> = match (&w.groups, &w.category) {
            (Some(groups), _) => groups.clone(),
            (None, Some(category)) => vec![category.clone()],
            (None, None) => Vec::new(),
        };
        package.groups = groups.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
        // Poetry reads a package without `groups`/`category` as `main`.
        let main = groups.is_empty() || groups.iter().any(|g| g == "main");
        scopes.push(match (main, w.optional) {
            (true, true) => LockScope::Optional,
            (true, false) => LockScope::Main,
            (false, _) => LockScope::Group,
        });
        packages.push(package);
        wires.push(w);
    }

    let names = python::by_name(&packages);
    // 1.x, a name locked at several versions: the hashes of its files by version (lowercase),
    // each file's name read once.
    let mut by_version: HashMap<&str, HashMap<&str, Vec<&str>>> = HashMap::new();
    let lowered: Vec<(&str, String, &str)> = metadata_files
        .iter()
        .filter(|(key, _)| names.get(*key).is_some_and(|v| v.len() > 1))
        .flat_map(|(key, files)| {
            files
                .iter()
                .filter_map(move |f| Some((key.as_str(), f.file.as_deref()?.to_ascii_lowercase(), f.hash.as_deref()?)))
        })
        .collect();
    for (key, file, hash) in &lowered {
        let versions = by_version.entry(key).or_default();
        for v in file_versions(file, key) {
            versions.entry(v).or_default().push(hash);
        }
    }
    // Hashes: the package's own `files` (2.x), else the `[metadata.files]` of its name (1.x),
    // narrowed to its version's files when the name is locked at several versions.
    for (i, (p, w)) in packages.iter_mut().zip(&wires).enumerate() {
        let key = Ecosystem::PyPI.normalize_name(&p.name);
        let own: Vec<&str> = w.files.iter().filter_map(|f| f.hash.as_deref()).collect();
        let hashes: Vec<&str> = if !own.is_empty() {
            own
        } else if let Some(versions) = by_version.get(key.as_str()) {
            versions.get(p.version.to_ascii_lowercase().as_str()).cloned().unwrap_or_default()
        } else {
            metadata_files
                .get(&key)
                .map(|files| files.iter().filter_map(|f| f.hash.as_deref()).collect())
                .unwrap_or_default()
        };
        p.checksums = python::file_hashes(hashes).map_err(|e| {
            python::invalid(path, headers.get(i).copied(), format!("`{} {}`: file hash {e}", p.name, p.version))
        })?;
    }

    // No package twice.
    let mut seen = HashSet::with_capacity(packages.len());
    for p in &packages {
        if !seen.insert((Ecosystem::PyPI.normalize_name(&p.name), p.version.clone(), p.id())) {
            return Err(ResolveError::new(
                path,
                p.lines.map(|l| l.start),
                ResolveErrorKind::DuplicatePackage(format!("{} {}", p.name, p.version)),
            ));
        }
    }

    let requested = requested_extras(&packages, &wires, &names, project);
    // A plugin of the project may depend on the project itself (poetry-plugin-export on
    // poetry), which poetry does not lock: that edge goes to the root, which
    // [`python::finish`] adds after the packages.
    let root_key = project.and_then(|p| p.name.as_deref()).map(|n| Ecosystem::PyPI.normalize_name(n));
    let root_index = packages.len();
    let mut edges = Vec::with_capacity(packages.len());
    let mut errors = Vec::new();
    for (i, (p, w)) in packages.iter().zip(&wires).enumerate() {
        let key = Ecosystem::PyPI.normalize_name(&p.name);
        // The dependencies the requested extras of this package name.
        let wanted: BTreeSet<String> = requested
            .get(&key)
            .into_iter()
            .flatten()
            .flat_map(|extra| {
                w.extras
                    .iter()
                    .filter(move |(e, _)| Ecosystem::PyPI.normalize_name(e) == *extra)
                    .flat_map(|(_, reqs)| reqs.iter())
            })
            .filter_map(|r| python::requirement(r).map(|r| Ecosystem::PyPI.normalize_name(r.name)))
            .collect();
        let mut out = BTreeSet::new();
        for (dep, spec) in &w.dependencies {
            let dep_line = lines.line(dep.span().start);
            let dep = dep.get_ref();
            let dep_key = Ecosystem::PyPI.normalize_name(dep);
            let targets = names.get(&dep_key).map(Vec::as_slice).unwrap_or_default();
            for alt in alternatives(spec) {
                if alt.optional && !wanted.contains(&dep_key) {
                    continue;
                }
                if targets.is_empty() && root_key.as_deref() == Some(dep_key.as_str()) {
                    out.insert(root_index);
                    continue;
                }
                if targets.is_empty() {
                    if !(alt.conditional || alt.optional) {
                        errors.push(ResolveError::new(
                            path,
                            Some(dep_line),
                            ResolveErrorKind::DanglingDependency {
                                package: format!("{} {}", p.name, p.version),
                                dependency: dep.clone(),
                            },
                        ));
                        break;
                    }
                    continue;
                }
                let exact = alt.version.as_deref().map(|v| v.trim().trim_start_matches("==").trim());
                let pinned: Vec<usize> = targets
                    .iter()
                    .copied()
                    .filter(|&t| exact.is_some_and(|v| packages.get(t).is_some_and(|q| q.version == v)))
                    .collect();
                let chosen = if targets.len() > 1 && pinned.len() == 1 { pinned.as_slice() } else { targets };
                out.extend(chosen.iter().copied().filter(|&t| t != i));
            }
        }
        // A requested extra's dependency that is locked but not listed in `[package.dependencies]`.
        for dep_key in &wanted {
            if let Some(targets) = names.get(dep_key) {
                out.extend(targets.iter().copied().filter(|&t| t != i));
            }
        }
        edges.push(out.into_iter().collect());
    }
    Ok(Locked { packages, edges, scopes, errors, warnings })
}

/// The extras requested of each (normalized) name: by the project's direct dependencies, by
/// packages' dependency tables, and, for requested extras, by the `name[extra]` requirements
/// they list (to a fixed point).
fn requested_extras(
    packages: &[Package],
    wires: &[PackageWire],
    names: &HashMap<String, Vec<usize>>,
    project: Option<&Pyproject>,
) -> HashMap<String, BTreeSet<String>> {
    let norm = |s: &str| Ecosystem::PyPI.normalize_name(s);
    let mut requested: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::new();
    let push = |requested: &mut HashMap<String, BTreeSet<String>>,
                queue: &mut VecDeque<(String, String)>,
                name: String,
                extra: String| {
        if requested.entry(name.clone()).or_default().insert(extra.clone()) {
            queue.push_back((name, extra));
        }
    };
    for d in project.map(|p| p.direct.as_slice()).unwrap_or_default() {
        for e in &d.extras {
            push(&mut requested, &mut queue, d.name.clone(), norm(e));
        }
    }
    for w in wires {
        for (dep, spec) in &w.dependencies {
            for alt in alternatives(spec) {
                for e in &alt.extras {
                    push(&mut requested, &mut queue, norm(dep.get_ref()), norm(e));
                }
            }
        }
    }
    while let Some((name, extra)) = queue.pop_front() {
        for &i in names.get(&name).map(Vec::as_slice).unwrap_or_default() {
            let (Some(_), Some(w)) = (packages.get(i), wires.get(i)) else { continue };
            for (e, reqs) in &w.extras {
                if norm(e) != extra {
                    continue;
                }
                for r in reqs.iter().filter_map(|r| python::requirement(r)) {
                    for x in &r.extras {
                        push(&mut requested, &mut queue, norm(r.name), norm(x));
                    }
                }
            }
        }
    }
    requested
}

/// The source of a package from its `[package.source]`.
fn source_of(
    path: &str,
    line: Option<usize>,
    lock_dir: &str,
    label: &str,
    source: Option<&SourceWire>,
    project: Option<&Pyproject>,
) -> Result<PackageSource, ResolveError> {
    // Without a source poetry installs the package from PyPI, or, when the project's sources
    // disable PyPI, from the highest-priority one.
    let Some(s) = source else { return Ok(Pyproject::default_index(project)) };
    let bad = |reason: &str| {
        ResolveError::new(
            path,
            line,
            ResolveErrorKind::InvalidSource {
                package: label.to_owned(),
                source_id: format!(
                    "type = {:?}, url = {:?}",
                    s.kind.as_deref().unwrap_or(""),
                    s.url.as_deref().unwrap_or("")
                ),
                reason: reason.to_owned(),
            },
        )
    };
    let url = || s.url.clone().filter(|u| !u.trim().is_empty()).ok_or_else(|| bad("no `url`"));
    let local =
        |u: String| PackageSource::Path { dir: python::join_dir(lock_dir, &u).unwrap_or_else(|| lock_dir.to_owned()) };
    match s.kind.as_deref() {
        // A package index: PyPI or a public mirror of it is still the PyPI package of that
        // name; another index is not (and is warned about).
        Some("legacy" | "explicit" | "supplemental" | "primary" | "default" | "secondary") | None => {
            Ok(match s.url.as_deref().filter(|u| !u.trim().is_empty()) {
                Some(u) => python::index_source(u),
                None => PackageSource::default_registry(Ecosystem::PyPI),
            })
        }
        Some("git") => {
            let url = url()?;
            let commit = s.resolved_reference.clone().filter(|c| !c.trim().is_empty());
            let reference = s
                .reference
                .clone()
                .filter(|r| !r.trim().is_empty() && Some(r) != commit.as_ref())
                .map(GitReference::Rev);
            Ok(PackageSource::Git {
                url: url.strip_prefix("git+").map_or_else(|| url.clone(), str::to_owned),
                reference,
                commit,
            })
        }
        Some("url") => Ok(PackageSource::Tarball { url: url()? }),
        Some("file" | "directory") => Ok(local(url()?)),
        Some(other) => Err(bad(&format!("unknown source type `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_before_the_next_top_level_table() {
        let text = "[[package]]\nname = \"a\"\n\n[package.dependencies]\nb = \"*\"\n\n# c\n[[package]]\nname = \"b\"\n\n[metadata]\nx = 1\n";
        assert_eq!(block_spans(text, &[1, 8]), vec![LineSpan { start: 1, end: 5 }, LineSpan { start: 8, end: 9 }]);
    }

    #[test]
    fn file_names_of_a_version() {
        let of = |file: &str, name: &str| file_versions(&file.to_ascii_lowercase(), name).join(" ");
        // A wheel's tags are candidates too: no version is `py3`.
        assert_eq!(of("Django-3.2.0-py3-none-any.whl", "django"), "3.2.0 3.2.0-py3-none-any any none py3");
        assert_eq!(of("django-3.2.01.tar.gz", "django"), "3.2.01");
        assert_eq!(of("python-dateutil-2.8.2.tar.gz", "python-dateutil"), "2.8.2 dateutil");
        assert!(of("python_dateutil-2.8.2-py2.py3-none-any.whl", "python-dateutil").starts_with("2.8.2 "));
        assert_eq!(of("a-1.0-beta.tar.gz", "a"), "1.0 1.0-beta beta");
        assert_eq!(of("a-1.zip", "a"), "1");
        assert_eq!(of("a", "a"), "");
        assert!(file_versions("a--.tar.gz---", "a").iter().all(|v| !v.is_empty()));
    }

    #[test]
    fn unknown_majors_are_refused_with_their_line() {
        let text = "[metadata]\nlock-version = \"3.0\"\n";
        let e = parse("poetry.lock", text, ".", None).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("3.0"), "{e}");
    }
}
