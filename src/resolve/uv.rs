//! `uv.lock`: uv's universal lockfile, `version = 1` (any `revision`: uv 0.13 writes revision 5;
//! revisions add fields, they never change the meaning of those read here).
//!
//! # What is read
//!
//! - `version`: `1`. uv refuses any other ("unsupported schema version (v2, but only v1 is
//!   supported)"), and so does chainward: [`ResolveErrorKind::UnsupportedFormatVersion`] with
//!   its line. A file without `version` (an empty file included) is an error, as it is for uv
//!   ("missing field `version`"); osv-scalibr reads an empty file as no packages.
//! - `[[package]]`: `name`, `version` (absent for a source tree with a dynamic version: version
//!   `""`; a registry package without one is an error, as in uv), `source` (one key):
//!   - `registry = URL`: PyPI (`https://pypi.org/simple`, `pypi.python.org`) or a public mirror
//!     of it (Aliyun, Tsinghua, USTC, Tencent, Douban, Huawei Cloud, Baidu, BFSU) is
//!     [`PackageSource::default_registry`]. Any other index (a company's Artifactory, the
//!     `PyTorch` wheel index, `TestPyPI`) is `Registry { default_registry: false }`: it can serve
//!     anything under a PyPI name, so its packages are not matched against PyPI advisories.
//!     `registry = "./dir"` (a local `--find-links` directory) is a `Path`;
//!   - `git = "URL?rev=…#COMMIT"`: `Git`, the full commit from the fragment, `branch`/`tag`/`rev`
//!     from the query (`subdirectory` is dropped);
//!   - `path` (a local archive), `directory`, `editable`, `virtual`: `Path`, relative to the
//!     lockfile's directory;
//!   - `url = "https://…"`: a direct URL archive, `Tarball` (even on files.pythonhosted.org:
//!     uv did not resolve it through the index);
//!   - no `source` at all: uv refuses the file ("missing field `source`"); osv-scalibr reads
//!     such packages, and so does chainward, as PyPI packages, with a warning naming the line.
//! - `sdist.hash`, `wheels[].hash` (`sha256:HEX`): every SHA-256 (and SHA-384/512) digest,
//!   strongest first, deduplicated; other algorithms uv accepts (`md5`) are skipped; a digest
//!   that is not hex of the right length is an error.
//! - `dependencies`, `optional-dependencies.EXTRA`, `dev-dependencies.GROUP`: entries
//!   `{ name, version?, source?, marker?, extra? }`. uv writes `version` and `source` exactly
//!   when several packages share the name (one name at two versions behind markers), so an
//!   entry resolves by normalized name, then version, then source. Markers are not evaluated:
//!   every locked alternative is an edge. An entry that matches no package is a
//!   `DanglingDependency` in `Resolved::errors` (exit 2), one that matches several an
//!   `AmbiguousDependency` there (one per package and name, naming 5 candidates and how many
//!   more), with edges to each; scopes follow every candidate, but they get no `groups` name
//!   (which of them the group lists is unknown). A repeated entry is read once.
//! - `[manifest] members`: workspace members (first-party, with the project itself: the
//!   package whose source is `editable`/`virtual`/`directory = "."`). `[manifest]
//!   requirements` and `dependency-groups` (a virtual workspace root's own requirements) are
//!   edges of the synthetic root.
//!
//! # Root, scopes and groups
//!
//! The package at `.` is the [`RootComponent::Package`] (`virtual = "."` included: the project
//! is a component, not a registry package; osv-scalibr drops it). Without one (a virtual
//! workspace root), a synthetic root named after the directory depends on every member.
//!
//! Scopes walk from the first-party packages: `dependencies` are required edges, an extra is
//! activated with the kind of the edge that asks for it (`{ name = "requests", extra =
//! ["socks"] }` makes `requests`'s `socks` dependencies required), extras nobody activates (the
//! project's own included) are optional, and first-party `dev-dependencies` groups (PEP 735)
//! are dev edges, giving `excluded`. `groups` keeps, on each package a first-party package lists
//! in an extra or a dependency group, the names of those extras and groups (as osv-scalibr
//! reports them: direct only, not inherited by their dependencies). `direct` marks what a
//! first-party package's `dependencies`, extras and groups name (the locked form of its
//! `[package.metadata] requires-dist` and `requires-dev`, which are not read again).
//!
//! Lines: a package's span runs from its `[[package]]` header to the last line of its block
//! (its `[package.optional-dependencies]`, `[package.metadata]`… sub-tables included).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use crate::model::{
    Checksum, DependencyKind, Ecosystem, GitReference, LineSpan, Package, PackageSource, RootComponent, Scope,
};
use crate::resolve::python;
use crate::resolve::{
    LineIndex, ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning, toml_error,
};
use crate::source::Source;

/// The `uv.lock` versions chainward reads, as the error message says them.
const SUPPORTED: &str = "version 1 (any revision)";

/// Reads `uv.lock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct UvLockResolver;

impl Resolver for UvLockResolver {
    fn name(&self) -> &'static str {
        "uv"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "uv.lock")
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

/// The file as written, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct LockWire {
    #[serde(default)]
    package: Vec<PackageWire>,
    #[serde(default)]
    manifest: ManifestWire,
}

/// `[manifest]`
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ManifestWire {
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    requirements: Vec<RequirementWire>,
    #[serde(default)]
    dependency_groups: BTreeMap<String, Vec<RequirementWire>>,
}

/// A requirement of the manifest (only its name matters here).
#[derive(Debug, Default, Deserialize)]
struct RequirementWire {
    name: String,
}

/// One `[[package]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PackageWire {
    name: Option<String>,
    version: Option<String>,
    source: Option<BTreeMap<String, toml::Value>>,
    #[serde(default)]
    dependencies: Vec<DepWire>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<DepWire>>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Vec<DepWire>>,
    sdist: Option<FileWire>,
    #[serde(default)]
    wheels: Vec<FileWire>,
}

/// A dependency entry.
#[derive(Debug, Default, Deserialize)]
struct DepWire {
    name: String,
    version: Option<String>,
    source: Option<BTreeMap<String, toml::Value>>,
    #[serde(default)]
    extra: Vec<String>,
}

/// An `sdist` or `wheels` entry (only the hash matters here).
#[derive(Debug, Default, Deserialize)]
struct FileWire {
    hash: Option<String>,
}

/// Where one `[[name]]` array-of-tables entry sits in the text (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    /// The `[[name]]` header.
    pub(crate) header: usize,
    /// The entry's `name =` key, when it has one.
    pub(crate) name: Option<usize>,
    /// The end of the last key or value of the entry (its sub-tables included).
    pub(crate) end: usize,
}

impl Block {
    /// The 1-based line span of the block.
    pub(crate) fn lines(&self, index: &LineIndex) -> LineSpan {
        let start = index.line(self.header);
        LineSpan { start, end: index.line(self.end.saturating_sub(1)).max(start) }
    }
}

/// The blocks of the top-level array of tables `key` (`package`, `packages`), in file order.
pub(crate) fn array_blocks(root: &DeTable<'_>, key: &str) -> Vec<Block> {
    let Some(value) = root.get(key) else { return Vec::new() };
    let Some(items) = value.get_ref().as_array() else { return Vec::new() };
    items
        .iter()
        .map(|item| {
            let header = item.span().start;
            let name = item.get_ref().as_table().and_then(|t| t.get_key_value("name")).map(|(k, _)| k.span().start);
            Block { header, name, end: max_end(item) }
        })
        .collect()
}

/// The largest end offset of a value's span and every span nested in it (iterative: TOML
/// nesting is bounded by the parser, but no recursion is needed).
fn max_end(value: &toml::Spanned<DeValue<'_>>) -> usize {
    let mut end = value.span().end;
    let mut stack: Vec<&toml::Spanned<DeValue<'_>>> = vec![value];
    while let Some(v) = stack.pop() {
        end = end.max(v.span().end);
        match v.get_ref() {
            DeValue::Table(t) => {
                for (k, inner) in t {
                    end = end.max(k.span().end);
                    stack.push(inner);
                }
            }
            DeValue::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    end
}

/// The span of the top-level key `key`, when present.
pub(crate) fn key_span(root: &DeTable<'_>, key: &str) -> Option<(Range<usize>, String)> {
    root.get_key_value(key).map(|(k, v)| {
        let shown = match v.get_ref() {
            DeValue::String(s) => format!("{s:?}"),
            DeValue::Integer(i) => i.as_str().to_owned(),
            DeValue::Float(f) => f.as_str().to_owned(),
            other => other.type_str().to_owned(),
        };
        (k.span(), shown)
    })
}

/// A `hash = "ALGORITHM:HEX"` value: `Ok(None)` for an algorithm chainward has no variant for
/// (`md5`, `blake2b`), `Err` when the digest is not hex of the algorithm's length.
pub(crate) fn parse_hash(algorithm: &str, hex: &str) -> Result<Option<Checksum>, ()> {
    let known = matches!(algorithm.to_ascii_lowercase().as_str(), "sha1" | "sha256" | "sha384" | "sha512");
    if !known {
        return Ok(None);
    }
    Checksum::from_hex(algorithm, hex).map(Some).ok_or(())
}

/// A git source from uv's `git = "URL?rev=…&subdirectory=…#COMMIT"` (also used by pylock's
/// `vcs`): the URL without query and fragment, the reference from the query, the commit.
fn git_source(spec: &str) -> PackageSource {
    let (base, commit) = match spec.split_once('#') {
        Some((b, c)) if !c.is_empty() => (b, Some(c.to_ascii_lowercase())),
        Some((b, _)) => (b, None),
        None => (spec, None),
    };
    let (url, query) = base.split_once('?').unwrap_or((base, ""));
    let mut reference = None;
    for pair in query.split('&') {
        let Some((k, v)) = pair.split_once('=') else { continue };
        let r = match k {
            "branch" => GitReference::Branch(v.to_owned()),
            "tag" => GitReference::Tag(v.to_owned()),
            "rev" => GitReference::Rev(v.to_owned()),
            _ => continue,
        };
        reference.get_or_insert(r);
    }
    let url = url.strip_prefix("git+").unwrap_or(url).to_owned();
    PackageSource::Git { url, reference, commit }
}

/// A `source` table as a string that is equal exactly when the tables are (keys sorted and
/// quoted, values as TOML writes them), to hash packages and dependency entries by.
fn source_key(table: &BTreeMap<String, toml::Value>) -> String {
    let pairs: Vec<String> = table.iter().map(|(k, v)| format!("{k:?}={v}")).collect();
    format!("{{{}}}", pairs.join(","))
}

/// How many candidates an ambiguity error names before "and N more".
const SHOWN_CANDIDATES: usize = 5;

/// The candidates of an ambiguous dependency as an error shows them (`total` of them): the
/// first few, then how many more (a hand-made file can list thousands).
pub(crate) fn candidate_list(labels: impl Iterator<Item = String>, total: usize) -> String {
    let shown: Vec<String> = labels.take(SHOWN_CANDIDATES).map(|l| format!("`{l}`")).collect();
    match total.saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// What a `source` table says, before it becomes a [`PackageSource`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Registry,
    Local,
    Other,
}

/// A `source = { KIND = VALUE }` table as a package source, with whether it is a local source
/// tree and its directory (`editable`, `virtual`, `directory`). `Err` names what is wrong.
fn parse_source(
    table: &BTreeMap<String, toml::Value>,
    lock_dir: &str,
) -> Result<(PackageSource, Kind, Option<String>), String> {
    let mut kinds = table.iter().filter(|(k, _)| k.as_str() != "subdirectory");
    let (Some((kind, value)), None) = (kinds.next(), kinds.next()) else {
        return Err("a source names exactly one of registry, git, path, directory, editable, virtual, url".to_owned());
    };
    let Some(value) = value.as_str() else { return Err(format!("`{kind}` is not a string")) };
    let local = |v: &str| super::node::join_dir(lock_dir, v);
    Ok(match kind.as_str() {
        "registry" if value.contains("://") => (python::index_source(value), Kind::Registry, None),
        "registry" => (PackageSource::Path { dir: local(value) }, Kind::Registry, None),
        "git" => (git_source(value), Kind::Other, None),
        "url" => (PackageSource::Tarball { url: value.to_owned() }, Kind::Other, None),
        "path" => (PackageSource::Path { dir: local(value) }, Kind::Other, None),
        "directory" | "editable" | "virtual" => {
            let dir = local(value);
            (PackageSource::Path { dir: dir.clone() }, Kind::Local, Some(dir))
        }
        other => return Err(format!("unknown source kind `{other}`")),
    })
}

/// What makes two dependency entries of a lockfile the same: the state they leave from, their
/// kind, the extra or group they are listed under, and the normalized name, version, source key
/// and normalized extras they name.
type EntryKey<'a> = (usize, DependencyKind, Option<&'a String>, String, Option<&'a str>, Option<String>, Vec<String>);

/// One edge of the scope walk between states (a package, or one extra of a package).
#[derive(Debug, Clone, Copy)]
struct Step {
    to: usize,
    kind: DependencyKind,
}

/// Parse a `uv.lock` (`path` for messages, `lock_dir` its directory relative to the scanned
/// root, `root_name` the synthetic root's name when the lockfile has no package at `.`).
pub fn parse(text: &str, path: &str, lock_dir: &str, root_name: &str) -> Result<Resolved, ResolveError> {
    let index = LineIndex::new(text);
    let doc = DeTable::parse(text).map_err(|e| toml_error(path, text, &e))?;
    // The version first: a newer format may not deserialize at all.
    match key_span(doc.get_ref(), "version") {
        None => {
            return Err(ResolveError::new(
                path,
                Some(1),
                ResolveErrorKind::Format(
                    "not a uv.lock: no `version` (uv refuses it too: \"missing field `version`\")".to_owned(),
                ),
            ));
        }
        Some((span, shown)) if shown != "1" => {
            return Err(ResolveError::new(
                path,
                Some(index.line(span.start)),
                ResolveErrorKind::UnsupportedFormatVersion { format: "uv.lock", version: shown, supported: SUPPORTED },
            ));
        }
        Some(_) => {}
    }
    let blocks = array_blocks(doc.get_ref(), "package");
    let wire = LockWire::deserialize(toml::de::Deserializer::from(doc)).map_err(|e| toml_error(path, text, &e))?;
    let mut warnings = Vec::new();
    let mut errors = Vec::new();

    // Packages.
    let n = wire.package.len();
    let mut packages: Vec<Package> = Vec::with_capacity(n);
    let mut source_keys: Vec<Option<String>> = Vec::with_capacity(n);
    let mut local_dirs: Vec<Option<String>> = Vec::with_capacity(n);
    let mut name_lines: Vec<usize> = Vec::with_capacity(n);
    let mut deps_of = Vec::with_capacity(n);
    for (i, w) in wire.package.into_iter().enumerate() {
        let block = blocks.get(i).copied();
        let lines = block.map(|b| b.lines(&index));
        let line = block.map(|b| index.line(b.name.unwrap_or(b.header)));
        name_lines.push(line.unwrap_or(1));
        let invalid = |what: String| ResolveError::new(path, line, ResolveErrorKind::InvalidPackage(what));
        let name = w.name.filter(|n| !n.trim().is_empty()).ok_or_else(|| invalid("a package has no `name`".into()))?;
        let (source, kind, dir) = if let Some(table) = &w.source {
            parse_source(table, lock_dir).map_err(|reason| {
                ResolveError::new(
                    path,
                    line,
                    ResolveErrorKind::InvalidSource {
                        package: name.clone(),
                        source_id: toml::Value::Table(table.clone().into_iter().collect()).to_string(),
                        reason,
                    },
                )
            })?
        } else {
            warnings.push(Warning {
                path: path.to_owned(),
                line,
                message: format!(
                    "`{name}` has no `source` (uv writes one for every package and refuses a lockfile without): read as a PyPI package"
                ),
            });
            (PackageSource::default_registry(Ecosystem::PyPI), Kind::Registry, None)
        };
        let version = match w.version {
            Some(v) if !v.trim().is_empty() => v,
            _ if kind == Kind::Registry => {
                return Err(invalid(format!(
                    "`{name}` comes from a registry but has no `version` (uv refuses it too)"
                )));
            }
            _ => String::new(),
        };
        let mut package = Package::new(Ecosystem::PyPI, name, version, source);
        package.lines = lines;
        for hash in w.sdist.iter().chain(&w.wheels).filter_map(|f| f.hash.as_deref()) {
            let (algorithm, hex) = hash.split_once(':').unwrap_or(("", hash));
            match parse_hash(algorithm, hex) {
                Ok(Some(sum)) => package.checksums.push(sum),
                Ok(None) => {}
                Err(()) => {
                    return Err(ResolveError::new(
                        path,
                        line,
                        ResolveErrorKind::InvalidChecksum {
                            package: format!("{} {}", package.name, package.version),
                            checksum: hash.to_owned(),
                        },
                    ));
                }
            }
        }
        package.checksums.sort_unstable_by(|a, b| b.cmp(a));
        package.checksums.dedup();
        packages.push(package);
        source_keys.push(w.source.as_ref().map(source_key));
        local_dirs.push(dir);
        deps_of.push((w.dependencies, w.optional_dependencies, w.dev_dependencies));
    }
    let normalized: Vec<String> = packages.iter().map(|p| Ecosystem::PyPI.normalize_name(&p.name)).collect();

    // First-party packages: the members, and the project at `.`.
    let members: BTreeSet<String> = wire.manifest.members.iter().map(|m| Ecosystem::PyPI.normalize_name(m)).collect();
    let mut root = None;
    for (i, p) in packages.iter_mut().enumerate() {
        let dir = local_dirs.get(i).and_then(Option::as_deref);
        let at_root = dir == Some(lock_dir) || (lock_dir == "." && dir == Some("."));
        let member = dir.is_some() && normalized.get(i).is_some_and(|n| members.contains(n));
        if at_root || member {
            p.first_party = true;
        }
        if at_root && root.is_none() {
            root = Some(i);
        }
    }

    // Identity: normalized name, version, source. Duplicates are an error, as in uv. A
    // dependency entry is looked up by what it names (name; name and version; name and source;
    // all three), each by its own map: no entry scans the packages of its name.
    let mut identity: HashMap<(&str, &str, Option<&str>), usize> = HashMap::with_capacity(n);
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::with_capacity(n);
    let mut by_version: HashMap<(&str, &str), Vec<usize>> = HashMap::with_capacity(n);
    let mut by_source: HashMap<(&str, &str), Vec<usize>> = HashMap::with_capacity(n);
    for (i, (name, p)) in normalized.iter().zip(&packages).enumerate() {
        let source = source_keys.get(i).and_then(Option::as_deref);
        if identity.insert((name, &p.version, source), i).is_some() {
            let label = format!("{} {}", p.name, p.version);
            return Err(ResolveError::new(path, name_lines.get(i).copied(), ResolveErrorKind::DuplicatePackage(label)));
        }
        by_name.entry(name).or_default().push(i);
        by_version.entry((name, &p.version)).or_default().push(i);
        if let Some(s) = source {
            by_source.entry((name, s)).or_default().push(i);
        }
    }

    // The walk's states: package i is state i; each extra of a package a state after them.
    let mut extras_of: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); n];
    let mut extra_owner: Vec<usize> = Vec::new();
    for (i, (_, optional, _)) in deps_of.iter().enumerate() {
        for extra in optional.keys() {
            let Some(of) = extras_of.get_mut(i) else { continue };
            if let std::collections::btree_map::Entry::Vacant(slot) = of.entry(Ecosystem::PyPI.normalize_name(extra)) {
                slot.insert(n + extra_owner.len());
                extra_owner.push(i);
            }
        }
    }
    let mut steps: Vec<Vec<Step>> = vec![Vec::new(); n + extra_owner.len()];
    let mut groups: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    // Every dependency entry, in file order: (package, state it leaves from, kind, the extra or
    // group it is listed under, the entry).
    let mut entries: Vec<(usize, usize, DependencyKind, Option<&String>, &DepWire)> = Vec::new();
    for (i, (normal, optional, dev)) in deps_of.iter().enumerate() {
        entries.extend(normal.iter().map(|dep| (i, i, DependencyKind::Normal, None, dep)));
        for (extra, deps) in optional {
            let of = extras_of.get(i);
            let Some(&state) = of.and_then(|m| m.get(Ecosystem::PyPI.normalize_name(extra).as_str())) else {
                continue;
            };
            // Not activated: an optional edge from the package to its extra.
            if let Some(s) = steps.get_mut(i) {
                s.push(Step { to: state, kind: DependencyKind::Optional });
            }
            entries.extend(deps.iter().map(|dep| (i, state, DependencyKind::Normal, Some(extra), dep)));
        }
        for (group, deps) in dev {
            entries.extend(deps.iter().map(|dep| (i, i, DependencyKind::Dev, Some(group), dep)));
        }
    }
    let label = |i: usize| packages.get(i).map(|p| format!("{} {}", p.name, p.version)).unwrap_or_default();
    // An entry repeated under the same state, kind and group adds nothing: it is resolved once.
    let mut seen: HashSet<EntryKey<'_>> = HashSet::new();
    // One ambiguity error per package and dependency name.
    let mut ambiguous: HashSet<(usize, String)> = HashSet::new();
    // The states standing for the candidates of an ambiguous lookup (name, version, source), and
    // for one extra of them; the candidates of each; which package's edges have them; which
    // first-party packages name them.
    let mut sets: HashMap<(String, Option<&str>, Option<String>), usize> = HashMap::new();
    let mut set_extras: HashMap<(usize, String), usize> = HashMap::new();
    let mut set_members: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut edges_added: HashSet<(usize, usize)> = HashSet::new();
    let mut direct_sets: BTreeSet<usize> = BTreeSet::new();
    for (from, state, kind, group, dep) in entries {
        let key = Ecosystem::PyPI.normalize_name(&dep.name);
        let source = dep.source.as_ref().map(source_key);
        let extras: Vec<String> = dep.extra.iter().map(|e| Ecosystem::PyPI.normalize_name(e)).collect();
        let entry_key = (state, kind, group, key.clone(), dep.version.as_deref(), source.clone(), extras.clone());
        if !seen.insert(entry_key) {
            continue;
        }
        let found: &[usize] = match (dep.version.as_deref(), source.as_deref()) {
            (None, None) => by_name.get(key.as_str()).map(Vec::as_slice),
            (Some(v), None) => by_version.get(&(key.as_str(), v)).map(Vec::as_slice),
            (None, Some(s)) => by_source.get(&(key.as_str(), s)).map(Vec::as_slice),
            (Some(v), Some(s)) => identity.get(&(key.as_str(), v, Some(s))).map(std::slice::from_ref),
        }
        .unwrap_or_default();
        let spec = || match &dep.version {
            Some(v) => format!("{} {v}", dep.name),
            None => dep.name.clone(),
        };
        match found.len() {
            0 => errors.push(ResolveError::new(
                path,
                name_lines.get(from).copied(),
                ResolveErrorKind::DanglingDependency { package: label(from), dependency: spec() },
            )),
            1 => {}
            total => {
                if ambiguous.insert((from, key.clone())) {
                    errors.push(ResolveError::new(
                        path,
                        name_lines.get(from).copied(),
                        ResolveErrorKind::AmbiguousDependency {
                            package: label(from),
                            dependency: spec(),
                            candidates: candidate_list(found.iter().map(|&j| label(j)), total),
                        },
                    ));
                }
            }
        }
        let first_party = packages.get(from).is_some_and(|p| p.first_party);
        // A dev group of a package that is not first-party is not installed with it.
        let linked = kind != DependencyKind::Dev || first_party;
        if let [to] = found {
            if let Some(e) = edges.get_mut(from) {
                e.insert(*to);
            }
            if linked && let Some(s) = steps.get_mut(state) {
                s.push(Step { to: *to, kind });
                let of = extras_of.get(*to);
                s.extend(
                    extras.iter().filter_map(|x| of.and_then(|m| m.get(x.as_str()))).map(|&x| Step { to: x, kind }),
                );
            }
            if first_party
                && let Some(group) = group
                && let Some(g) = groups.get_mut(*to)
            {
                g.insert(group.clone());
            }
            continue;
        }
        if found.is_empty() {
            continue;
        }
        // Several candidates: one state stands for them all (made once per lookup, and one per
        // extra of it), so an entry adds a step to it, not one per candidate. The candidates get
        // no group name: which of them the group lists is unknown.
        let set = *sets.entry((key.clone(), dep.version.as_deref(), source.clone())).or_insert_with(|| {
            steps.push(found.iter().map(|&to| Step { to, kind: DependencyKind::Normal }).collect());
            set_members.insert(steps.len() - 1, found.to_vec());
            steps.len() - 1
        });
        if edges_added.insert((from, set))
            && let Some(e) = edges.get_mut(from)
        {
            e.extend(found.iter().copied());
        }
        if first_party {
            direct_sets.insert(set);
        }
        if linked {
            let mut add = vec![Step { to: set, kind }];
            for x in extras {
                let of_extra = *set_extras.entry((set, x)).or_insert_with_key(|(_, x)| {
                    let to_extras = found
                        .iter()
                        .filter_map(|&t| extras_of.get(t).and_then(|m| m.get(x.as_str())))
                        .map(|&to| Step { to, kind: DependencyKind::Normal });
                    steps.push(to_extras.collect());
                    steps.len() - 1
                });
                add.push(Step { to: of_extra, kind });
            }
            if let Some(s) = steps.get_mut(state) {
                s.extend(add);
            }
        }
    }

    // Seeds: the first-party packages, and a virtual workspace root's own requirements.
    let mut seeds: Vec<Step> = packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.first_party)
        .map(|(i, _)| Step { to: i, kind: DependencyKind::Normal })
        .collect();
    let mut synthetic_deps: BTreeSet<usize> = seeds.iter().map(|s| s.to).collect();
    if root.is_none() {
        let by_plain_name = |name: &str| -> Vec<usize> {
            by_name.get(Ecosystem::PyPI.normalize_name(name).as_str()).cloned().unwrap_or_default()
        };
        for r in &wire.manifest.requirements {
            for t in by_plain_name(&r.name) {
                seeds.push(Step { to: t, kind: DependencyKind::Normal });
                synthetic_deps.insert(t);
            }
        }
        for (group, reqs) in &wire.manifest.dependency_groups {
            for r in reqs {
                for t in by_plain_name(&r.name) {
                    seeds.push(Step { to: t, kind: DependencyKind::Dev });
                    synthetic_deps.insert(t);
                    if let Some(g) = groups.get_mut(t) {
                        g.insert(group.clone());
                    }
                }
            }
        }
    }
    let walk = |follow: &dyn Fn(DependencyKind) -> bool| -> Vec<bool> {
        let mut seen = vec![false; steps.len()];
        let mut queue: Vec<usize> = Vec::new();
        for s in &seeds {
            if follow(s.kind)
                && let Some(flag) = seen.get_mut(s.to)
                && !*flag
            {
                *flag = true;
                queue.push(s.to);
            }
        }
        while let Some(state) = queue.pop() {
            for step in steps.get(state).map(Vec::as_slice).unwrap_or_default() {
                if follow(step.kind)
                    && let Some(flag) = seen.get_mut(step.to)
                    && !*flag
                {
                    *flag = true;
                    queue.push(step.to);
                }
            }
        }
        seen
    };
    let required = walk(&|k| k == DependencyKind::Normal);
    let installed = walk(&|k| k != DependencyKind::Dev);
    let any = walk(&|_| true);
    // Direct: what a first-party package (or its extras) or the synthetic root names.
    let mut direct = vec![false; n];
    for (state, list) in steps.iter().enumerate() {
        let owner = if state < n { Some(state) } else { extra_owner.get(state - n).copied() };
        if owner.is_some_and(|o| packages.get(o).is_some_and(|p| p.first_party)) {
            for step in list.iter().filter(|s| s.to < n) {
                if let Some(d) = direct.get_mut(step.to) {
                    *d = true;
                }
            }
        }
    }
    for set in direct_sets {
        for &t in set_members.get(&set).map(Vec::as_slice).unwrap_or_default() {
            if let Some(d) = direct.get_mut(t) {
                *d = true;
            }
        }
    }
    for s in seeds.iter().filter(|s| root.is_none() && !packages.get(s.to).is_some_and(|p| p.first_party)) {
        if let Some(d) = direct.get_mut(s.to) {
            *d = true;
        }
    }
    for (i, p) in packages.iter_mut().enumerate() {
        let at = |v: &[bool]| v.get(i).copied().unwrap_or(false);
        p.dependencies = edges.get_mut(i).map(std::mem::take).unwrap_or_default();
        p.direct = at(&direct) && !p.first_party;
        p.groups = groups.get_mut(i).map(|g| std::mem::take(g).into_iter().collect()).unwrap_or_default();
        p.scope = if p.first_party || at(&required) {
            Some(Scope::Required)
        } else if at(&installed) {
            Some(Scope::Optional)
        } else if at(&any) {
            p.reached_by.insert(DependencyKind::Dev);
            Some(Scope::Excluded)
        } else {
            None
        };
    }

    if packages.is_empty() {
        warnings.push(Warning {
            path: path.to_owned(),
            line: None,
            message: "the lockfile lists no package (uv writes at least the project itself): truncated or hand-made?"
                .to_owned(),
        });
    }
    let root = match root {
        Some(i) => RootComponent::Package(i),
        None => RootComponent::Synthetic { name: root_name.to_owned(), depends_on: synthetic_deps },
    };
    warnings.extend(python::other_index_warnings(path, &packages));
    Ok(Resolved { path: path.to_owned(), packages, root, warnings, errors })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sources_keep_the_commit_and_the_reference() {
        let sha = "84748be16341b76e073d117329f7f5f4ee2941ad";
        assert_eq!(
            git_source(&format!("https://github.com/astral-sh/ruff?rev=v0.8.1&subdirectory=crates#{sha}")),
            PackageSource::Git {
                url: "https://github.com/astral-sh/ruff".into(),
                reference: Some(GitReference::Rev("v0.8.1".into())),
                commit: Some(sha.into())
            }
        );
        assert_eq!(
            git_source("https://github.com/o/r?branch=main"),
            PackageSource::Git {
                url: "https://github.com/o/r".into(),
                reference: Some(GitReference::Branch("main".into())),
                commit: None
            }
        );
    }

    #[test]
    fn hashes_of_unknown_algorithms_are_skipped_and_bad_digests_refused() {
        assert_eq!(parse_hash("md5", "abc"), Ok(None));
        assert_eq!(parse_hash("sha256", "xyz"), Err(()));
        assert_eq!(parse_hash("sha256", &"AB".repeat(32)), Ok(Some(Checksum::Sha256("ab".repeat(32)))));
    }

    #[test]
    fn spans_cover_the_whole_block_and_find_the_name_line() {
        let text = "version = 1\n\n[[package]]\nx = 1\nname = \"a\"\nversion = \"1\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[package.metadata]\nrequires-dist = []\n\n# trailing\n[[package]]\nname = \"b\"\nversion = \"2\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        let doc = DeTable::parse(text).unwrap();
        let blocks = array_blocks(doc.get_ref(), "package");
        let index = LineIndex::new(text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].lines(&index), LineSpan { start: 3, end: 10 });
        assert_eq!(blocks[0].name.map(|o| index.line(o)), Some(5));
        assert_eq!(blocks[1].lines(&index), LineSpan { start: 13, end: 16 });
    }
}
