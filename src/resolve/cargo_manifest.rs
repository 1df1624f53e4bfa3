//! Static manifest enrichment: read the workspace's `Cargo.toml` files with the `toml` crate
//! (never running cargo) to learn which packages are first-party, which dependencies are direct,
//! and which packages are reachable only through `[dev-dependencies]` or `[build-dependencies]`.
//!
//! Scopes, as CycloneDX defines them:
//! - `required`: reachable from a workspace member through normal dependencies (including
//!   target-specific ones); the members themselves;
//! - `excluded`: reachable only through the members' `[dev-dependencies]` and/or
//!   `[build-dependencies]` (tests, benches, build scripts: not part of what ships). The
//!   `chainward:reached-by` property says which;
//! - no scope: chainward could not tell, because a member's manifest is missing (the lockfile's
//!   edges do not say which kind they are). A warning names the members.
//!
//! Below the members, a lockfile does not record edge kinds, so a registry crate's own
//! build-dependencies (`cc` under `ring`) count as required; `--cargo-metadata` does not change
//! that either.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use globset::GlobBuilder;
use serde::Deserialize;

use super::cargo::{Lockfile, parent_dir};
use super::{ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Warning, toml_error};
use crate::model::{DependencyKind, Package, PackageMeta, PackageSource, RootComponent, Scope};
use crate::source::{Source, join};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ManifestWire {
    package: Option<PackageSection>,
    workspace: Option<WorkspaceSection>,
    #[serde(flatten)]
    deps: DepTables,
    #[serde(default)]
    target: BTreeMap<String, DepTables>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct DepTables {
    #[serde(default)]
    dependencies: BTreeMap<String, DepWire>,
    #[serde(default, alias = "dev_dependencies")]
    dev_dependencies: BTreeMap<String, DepWire>,
    #[serde(default, alias = "build_dependencies")]
    build_dependencies: BTreeMap<String, DepWire>,
}

#[derive(Deserialize, Default)]
struct PackageSection {
    name: Option<String>,
    version: Option<toml::Value>,
    license: Option<toml::Value>,
    description: Option<toml::Value>,
    authors: Option<toml::Value>,
    repository: Option<toml::Value>,
    homepage: Option<toml::Value>,
    documentation: Option<toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct WorkspaceSection {
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    /// Only looked up by name: a hash map, cheaper to fill than a tree for hundreds of entries.
    #[serde(default)]
    dependencies: foldhash::HashMap<String, DepWire>,
    #[serde(default)]
    package: BTreeMap<String, toml::Value>,
}

/// A dependency entry: a version string or a table. Deserialized as `#[serde(untagged)]` would
/// (the same values accepted, the same error), without first copying each value into serde's
/// buffer: a workspace's `[workspace.dependencies]` has hundreds of them.
enum DepWire {
    Version(#[allow(dead_code)] String),
    Detailed(DetailedDep),
}

impl<'de> Deserialize<'de> for DepWire {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = DepWire;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a version string or a dependency table")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DepWire, E> {
                Ok(DepWire::Version(v.to_owned()))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<DepWire, A::Error> {
                DetailedDep::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(DepWire::Detailed)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<DepWire, A::Error> {
                // A table's fields in order, as an untagged enum reads a struct from an array;
                // with nothing left over.
                let dep = DetailedDep::deserialize(serde::de::value::SeqAccessDeserializer::new(&mut seq))?;
                match seq.next_element::<serde::de::IgnoredAny>()? {
                    None => Ok(DepWire::Detailed(dep)),
                    Some(_) => Err(serde::de::Error::custom("trailing elements")),
                }
            }
        }
        // Whatever failed, the untagged enum's one error, without a position of its own.
        deserializer
            .deserialize_any(Visitor)
            .map_err(|_| serde::de::Error::custom("data did not match any variant of untagged enum DepWire"))
    }
}

#[derive(Deserialize, Default)]
struct DetailedDep {
    package: Option<String>,
    path: Option<String>,
    #[serde(default)]
    workspace: bool,
}

/// A member manifest, read.
struct Member {
    /// Directory, relative to the scanned root.
    dir: String,
    name: String,
    version: Option<String>,
    /// Real package name -> kinds it is declared with.
    kinds: HashMap<String, BTreeSet<DependencyKind>>,
    meta: PackageMeta,
}

/// How an edge from a package is known.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EdgeClass {
    Known,
    Unknown,
}

/// A parsed lockfile as a [`Resolved`] without reading any manifest: path packages are
/// first-party, nothing has a scope.
pub fn lockfile_only(source: &dyn Source, lock_path: &str, lockfile: Lockfile) -> Resolved {
    let mut packages = lockfile.packages;
    for p in &mut packages {
        p.first_party = matches!(p.source, PackageSource::Path { .. });
    }
    let root = match lockfile.root {
        Some(i) => RootComponent::Package(i),
        None => RootComponent::Synthetic {
            name: dir_name(source, &parent_dir(lock_path)),
            depends_on: entry_points(&packages),
        },
    };
    Resolved { path: lock_path.to_owned(), packages, root, warnings: Vec::new(), errors: Vec::new() }
}

/// Turn a parsed lockfile into a [`Resolved`], learning what the manifests beside it tell.
pub fn enrich(
    source: &dyn Source,
    lock_path: &str,
    lockfile: Lockfile,
    options: &ResolveOptions,
) -> Result<Resolved, ResolveError> {
    let dir = parent_dir(lock_path);
    let mut packages = lockfile.packages;
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let manifest_path = join(&dir, "Cargo.toml");
    let workspace_name = dir_name(source, &dir);

    // Path packages are local code: first-party.
    for p in &mut packages {
        p.first_party = matches!(p.source, PackageSource::Path { .. });
    }

    let root_manifest = if source.exists(&manifest_path) {
        match read_manifest(source, &manifest_path) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    } else {
        None
    };

    let Some(root_manifest) = root_manifest else {
        if errors.is_empty() {
            warnings.push(Warning {
                path: lock_path.to_owned(),
                line: None,
                message: format!(
                    "no `{manifest_path}` beside the lockfile: workspace members, direct dependencies and scopes could not be determined"
                ),
            });
        }
        let root = match lockfile.root {
            Some(i) => RootComponent::Package(i),
            None => RootComponent::Synthetic { name: workspace_name, depends_on: entry_points(&packages) },
        };
        let mut resolved = Resolved { path: lock_path.to_owned(), packages, root, warnings, errors };
        compute_scopes(&mut resolved.packages, &HashMap::new(), true);
        metadata(source, &dir, &mut resolved, options);
        return Ok(resolved);
    };

    // Members: the root package, the `members` globs, and path dependencies inside the workspace.
    let ws = root_manifest.workspace.as_ref();
    let ws_package = ws.map(|w| &w.package);
    let ws_deps = ws.map(|w| &w.dependencies);
    let mut member_dirs: Vec<String> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    if root_manifest.package.is_some() {
        member_dirs.push(dir.clone());
    }
    if let Some(ws) = ws {
        let excluded: Vec<String> = ws.exclude.iter().map(|e| join(&dir, e)).collect();
        for pattern in &ws.members {
            let full = join(&dir, pattern);
            let dirs = expand_member(source, &full);
            if dirs.is_empty() {
                missing.push(pattern.clone());
            }
            for d in dirs {
                let is_excluded = excluded.iter().any(|e| d == *e || d.starts_with(&format!("{e}/")));
                if !is_excluded && !member_dirs.contains(&d) {
                    member_dirs.push(d);
                }
            }
        }
    }

    let mut members: Vec<Member> = Vec::new();
    let mut queue: VecDeque<String> = member_dirs.into_iter().collect();
    let mut seen_dirs: BTreeSet<String> = BTreeSet::new();
    while let Some(mdir) = queue.pop_front() {
        if !seen_dirs.insert(mdir.clone()) {
            continue;
        }
        let path = join(&mdir, "Cargo.toml");
        let loaded;
        let m = if mdir == dir {
            &root_manifest
        } else if source.exists(&path) {
            match read_manifest(source, &path) {
                Ok(manifest) => {
                    loaded = manifest;
                    &loaded
                }
                Err(e) => {
                    // The member exists but cannot be read: its edges are of unknown kind.
                    errors.push(e);
                    missing.push(path.clone());
                    continue;
                }
            }
        } else {
            missing.push(path.clone());
            continue;
        };
        let Some(pkg) = &m.package else { continue };
        let Some(name) = pkg.name.clone() else {
            errors.push(ResolveError::new(
                path,
                None,
                ResolveErrorKind::InvalidPackage("`[package]` has no `name`".to_owned()),
            ));
            continue;
        };
        let mut kinds: HashMap<String, BTreeSet<DependencyKind>> = HashMap::new();
        let tables = std::iter::once(&m.deps).chain(m.target.values());
        for t in tables {
            for (kind, table) in [
                (DependencyKind::Normal, &t.dependencies),
                (DependencyKind::Dev, &t.dev_dependencies),
                (DependencyKind::Build, &t.build_dependencies),
            ] {
                for (key, dep) in table {
                    let (real, dep_path) = real_name(key, dep, ws_deps);
                    kinds.entry(real).or_default().insert(kind);
                    if let Some(p) = dep_path {
                        // Path dependencies inside the workspace directory are members too.
                        let base = if matches!(dep, DepWire::Detailed(d) if d.workspace) { &dir } else { &mdir };
                        let target = join(base, &p);
                        if is_within(&target, &dir) && source.exists(&join(&target, "Cargo.toml")) {
                            queue.push_back(target);
                        }
                    }
                }
            }
        }
        let version = pkg.version.as_ref().and_then(|v| inherit_str(v, ws_package, "version"));
        let meta = PackageMeta {
            license: pkg.license.as_ref().and_then(|v| inherit_str(v, ws_package, "license")),
            description: pkg.description.as_ref().and_then(|v| inherit_str(v, ws_package, "description")),
            authors: pkg.authors.as_ref().map(|v| inherit_list(v, ws_package, "authors")).unwrap_or_default(),
            repository: pkg.repository.as_ref().and_then(|v| inherit_str(v, ws_package, "repository")),
            homepage: pkg.homepage.as_ref().and_then(|v| inherit_str(v, ws_package, "homepage")),
            documentation: pkg.documentation.as_ref().and_then(|v| inherit_str(v, ws_package, "documentation")),
        };
        members.push(Member { dir: mdir, name, version, kinds, meta });
    }

    // Match members to the lockfile's path packages.
    let mut member_kinds: HashMap<usize, HashMap<String, BTreeSet<DependencyKind>>> = HashMap::new();
    let mut root_index = None;
    for m in members {
        let found = packages.iter().enumerate().position(|(i, p)| {
            matches!(p.source, PackageSource::Path { .. })
                && p.name == m.name
                && m.version.as_ref().is_none_or(|v| *v == p.version)
                && !member_kinds.contains_key(&i)
        });
        let Some(i) = found else {
            warnings.push(Warning {
                path: join(&m.dir, "Cargo.toml"),
                line: None,
                message: format!(
                    "workspace member `{}` is not in `{lock_path}` (the lockfile may be out of date)",
                    m.name
                ),
            });
            continue;
        };
        if m.dir == dir && root_manifest.package.is_some() {
            root_index = Some(i);
        }
        if let Some(p) = packages.get_mut(i) {
            p.source = PackageSource::Path { dir: m.dir.clone() };
            p.meta = m.meta.into();
        }
        member_kinds.insert(i, m.kinds);
    }

    if !missing.is_empty() {
        let unmatched: Vec<String> = packages
            .iter()
            .enumerate()
            .filter(|(i, p)| p.first_party && !member_kinds.contains_key(i))
            .map(|(_, p)| ticked(&p.name))
            .collect();
        let missing_list = list_some(&missing.iter().map(|m| ticked(m)).collect::<Vec<_>>());
        warnings.push(Warning {
            path: manifest_path.clone(),
            line: None,
            message: if unmatched.is_empty() {
                format!("workspace members not found: {missing_list}")
            } else {
                format!(
                    "workspace members not found: {missing_list}; the scope of what {} depend on could not be determined",
                    list_some(&unmatched)
                )
            },
        });
    }

    let root = if let Some(i) = root_index {
        RootComponent::Package(i)
    } else {
        let mut depends_on: BTreeSet<usize> = member_kinds.keys().copied().collect();
        if depends_on.is_empty() {
            depends_on = entry_points(&packages);
        } else if !missing.is_empty() {
            // Members whose manifests are missing are still members.
            depends_on.extend(packages.iter().enumerate().filter(|(_, p)| p.first_party).map(|(i, _)| i));
        }
        RootComponent::Synthetic { name: workspace_name, depends_on }
    };

    let mut resolved = Resolved { path: lock_path.to_owned(), packages, root, warnings, errors };
    compute_scopes(&mut resolved.packages, &member_kinds, !missing.is_empty());
    metadata(source, &dir, &mut resolved, options);
    Ok(resolved)
}

/// Direct dependencies, scopes and `reached_by` from the members' declared edge kinds.
///
/// `incomplete`: some first-party packages have no manifest; their edges are of unknown kind.
fn compute_scopes(
    packages: &mut [Package],
    member_kinds: &HashMap<usize, HashMap<String, BTreeSet<DependencyKind>>>,
    incomplete: bool,
) {
    let n = packages.len();
    let starts: Vec<usize> = (0..n).filter(|&i| packages.get(i).is_some_and(|p| p.first_party)).collect();
    let mut direct = vec![false; n];
    for &i in &starts {
        if let Some(p) = packages.get(i) {
            for &j in &p.dependencies {
                if let Some(d) = direct.get_mut(j) {
                    *d = true;
                }
            }
        }
    }
    if member_kinds.is_empty() {
        // No member's edges are known: no package has a scope, whatever the walks below found.
        for (p, direct) in packages.iter_mut().zip(direct) {
            p.direct = direct && !p.first_party;
            p.reached_by.clear();
            p.scope = None;
        }
        return;
    }

    // The members' declared kinds as masks, looked up by package name.
    let member_masks: HashMap<usize, HashMap<&str, Kinds>> = member_kinds
        .iter()
        .map(|(&i, kinds)| (i, kinds.iter().map(|(name, k)| (name.as_str(), Kinds::of(k))).collect()))
        .collect();
    // Classify each edge: the kinds it is known to be of, or unknown.
    let edge = |from: usize, to: usize| -> (EdgeClass, Kinds) {
        let Some(to_name) = packages.get(to).map(|p| p.name.as_str()) else {
            return (EdgeClass::Unknown, Kinds::NONE);
        };
        if let Some(kinds) = member_masks.get(&from) {
            return match kinds.get(to_name) {
                Some(&k) => (EdgeClass::Known, k),
                None => (EdgeClass::Unknown, Kinds::NONE),
            };
        }
        let from_first_party = packages.get(from).is_some_and(|p| p.first_party);
        if from_first_party && incomplete {
            (EdgeClass::Unknown, Kinds::NONE)
        } else {
            (EdgeClass::Known, Kinds::NORMAL)
        }
    };

    let closure = |seeds: Vec<usize>, follow: &dyn Fn(EdgeClass, Kinds) -> bool| -> Vec<bool> {
        let mut seen = vec![false; n];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for s in seeds {
            if let Some(flag) = seen.get_mut(s)
                && !*flag
            {
                *flag = true;
                queue.push_back(s);
            }
        }
        while let Some(i) = queue.pop_front() {
            let Some(p) = packages.get(i) else { continue };
            for &j in &p.dependencies {
                let (class, kinds) = edge(i, j);
                if follow(class, kinds)
                    && let Some(flag) = seen.get_mut(j)
                    && !*flag
                {
                    *flag = true;
                    queue.push_back(j);
                }
            }
        }
        seen
    };
    let normal_only = |c: EdgeClass, k: Kinds| c == EdgeClass::Known && k.has(Kinds::NORMAL);
    let required = closure(starts.clone(), &normal_only);
    let maybe = closure(starts.clone(), &|c, k| c == EdgeClass::Unknown || k.has(Kinds::NORMAL));
    let seeds_of = |kind: Kinds| -> Vec<usize> {
        let mut seeds = Vec::new();
        for &i in &starts {
            if let Some(p) = packages.get(i) {
                for &j in &p.dependencies {
                    let (class, kinds) = edge(i, j);
                    if class == EdgeClass::Known && kinds.has(kind) {
                        seeds.push(j);
                    }
                }
            }
        }
        seeds
    };
    let dev = closure(seeds_of(Kinds::DEV), &normal_only);
    let build = closure(seeds_of(Kinds::BUILD), &normal_only);

    for (i, p) in packages.iter_mut().enumerate() {
        let at = |v: &Vec<bool>| v.get(i).copied().unwrap_or(false);
        p.direct = at(&direct) && !p.first_party;
        p.reached_by.clear();
        p.scope = if p.first_party || at(&required) {
            Some(Scope::Required)
        } else if at(&maybe) {
            None
        } else if at(&dev) || at(&build) {
            if at(&dev) {
                p.reached_by.insert(DependencyKind::Dev);
            }
            if at(&build) {
                p.reached_by.insert(DependencyKind::Build);
            }
            Some(Scope::Excluded)
        } else {
            None
        };
    }
}

/// A set of [`DependencyKind`]s of an edge, as bits: classifying an edge allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Kinds(u8);

impl Kinds {
    const NONE: Kinds = Kinds(0);
    const NORMAL: Kinds = Kinds(1);
    const DEV: Kinds = Kinds(2);
    const BUILD: Kinds = Kinds(4);
    const OPTIONAL: Kinds = Kinds(8);

    fn of(kinds: &BTreeSet<DependencyKind>) -> Kinds {
        Kinds(kinds.iter().fold(0, |bits, kind| {
            bits | match kind {
                DependencyKind::Normal => Kinds::NORMAL.0,
                DependencyKind::Dev => Kinds::DEV.0,
                DependencyKind::Build => Kinds::BUILD.0,
                DependencyKind::Optional => Kinds::OPTIONAL.0,
            }
        }))
    }

    /// Whether it holds every kind of `other`.
    fn has(self, other: Kinds) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Packages nothing depends on: what a synthetic root depends on when no manifest says more.
fn entry_points(packages: &[Package]) -> BTreeSet<usize> {
    let mut has_parent = vec![false; packages.len()];
    for p in packages {
        for &j in &p.dependencies {
            if let Some(f) = has_parent.get_mut(j) {
                *f = true;
            }
        }
    }
    let first_party: BTreeSet<usize> = packages
        .iter()
        .enumerate()
        .filter(|(i, p)| p.first_party && !has_parent.get(*i).copied().unwrap_or(true))
        .map(|(i, _)| i)
        .collect();
    if !first_party.is_empty() {
        return first_party;
    }
    (0..packages.len()).filter(|&i| !has_parent.get(i).copied().unwrap_or(true)).collect()
}

fn read_manifest(source: &dyn Source, path: &str) -> Result<ManifestWire, ResolveError> {
    let bytes = source.read(path).map_err(|e| ResolveError::new(path, None, ResolveErrorKind::Io(e.message)))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ResolveError::new(path, None, ResolveErrorKind::NotUtf8))?;
    toml::from_str(text).map_err(|e| toml_error(path, text, &e))
}

/// The real package name of a dependency entry (`package = "..."` renames), and its `path`.
fn real_name(
    key: &str,
    dep: &DepWire,
    ws_deps: Option<&foldhash::HashMap<String, DepWire>>,
) -> (String, Option<String>) {
    match dep {
        DepWire::Version(_) => (key.to_owned(), None),
        DepWire::Detailed(d) if d.workspace => {
            let inherited = ws_deps.and_then(|w| w.get(key));
            if let Some(DepWire::Detailed(w)) = inherited {
                (w.package.clone().unwrap_or_else(|| key.to_owned()), w.path.clone())
            } else {
                (d.package.clone().unwrap_or_else(|| key.to_owned()), None)
            }
        }
        DepWire::Detailed(d) => (d.package.clone().unwrap_or_else(|| key.to_owned()), d.path.clone()),
    }
}

/// A string field that may be `{ workspace = true }`.
fn inherit_str(value: &toml::Value, ws: Option<&BTreeMap<String, toml::Value>>, key: &str) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Table(t) if t.get("workspace").and_then(toml::Value::as_bool) == Some(true) => {
            ws.and_then(|w| w.get(key)).and_then(toml::Value::as_str).map(str::to_owned)
        }
        _ => None,
    }
}

fn inherit_list(value: &toml::Value, ws: Option<&BTreeMap<String, toml::Value>>, key: &str) -> Vec<String> {
    let list = match value {
        toml::Value::Table(t) if t.get("workspace").and_then(toml::Value::as_bool) == Some(true) => {
            ws.and_then(|w| w.get(key))
        }
        other => Some(other),
    };
    list.and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(toml::Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Directories matching a `members` entry (a path or a glob), each with a `Cargo.toml`.
fn expand_member(source: &dyn Source, pattern: &str) -> Vec<String> {
    if !pattern.contains(['*', '?', '[']) {
        return if source.exists(&join(pattern, "Cargo.toml")) { vec![pattern.to_owned()] } else { Vec::new() };
    }
    let Ok(glob) = GlobBuilder::new(pattern).literal_separator(true).build() else { return Vec::new() };
    let matcher = glob.compile_matcher();
    let Ok(files) = source.files() else { return Vec::new() };
    files
        .iter()
        .filter_map(|f| f.strip_suffix("/Cargo.toml"))
        .filter(|d| matcher.is_match(d))
        .map(str::to_owned)
        .collect()
}

fn is_within(path: &str, dir: &str) -> bool {
    dir == "." && !path.starts_with("..") || path == dir || path.starts_with(&format!("{dir}/"))
}

fn dir_name(source: &dyn Source, dir: &str) -> String {
    super::dir_name(source, dir).unwrap_or_else(|| "workspace".to_owned())
}

/// `--cargo-metadata`: licenses, descriptions, authors and repository URLs from `cargo metadata
/// --offline --locked`. Failure is a warning: the SBOM stays complete without it.
fn metadata(source: &dyn Source, dir: &str, resolved: &mut Resolved, options: &ResolveOptions) {
    if !options.cargo_metadata {
        return;
    }
    let Some(root) = source.local_root() else {
        resolved.warnings.push(Warning {
            path: resolved.path.clone(),
            line: None,
            message: "--cargo-metadata needs a work tree; skipped".to_owned(),
        });
        return;
    };
    let manifest = root.join(dir).join("Cargo.toml");
    let result = cargo_metadata::MetadataCommand::new()
        .manifest_path(&manifest)
        .other_options(vec!["--offline".to_owned(), "--locked".to_owned()])
        .exec();
    let metadata = match result {
        Ok(m) => m,
        Err(e) => {
            resolved.warnings.push(Warning {
                path: resolved.path.clone(),
                line: None,
                message: format!(
                    "cargo metadata failed, licenses and descriptions are missing: {}",
                    first_line(&e.to_string())
                ),
            });
            return;
        }
    };
    let mut by_key: HashMap<(String, String, Option<String>), &cargo_metadata::Package> = HashMap::new();
    for p in &metadata.packages {
        by_key.insert((p.name.to_string(), p.version.to_string(), p.source.as_ref().map(|s| s.repr.clone())), p);
    }
    for p in &mut resolved.packages {
        let source_id = match &p.source {
            PackageSource::Path { .. } | PackageSource::Tarball { .. } => None,
            PackageSource::Registry { url, sparse, .. } => {
                Some(format!("{}+{url}", if *sparse { "sparse" } else { "registry" }))
            }
            PackageSource::Git { .. } => {
                // Git sources: match on name and version among git packages.
                let found = metadata.packages.iter().find(|m| {
                    m.name.as_str() == p.name
                        && m.version.to_string() == p.version
                        && m.source.as_ref().is_some_and(|s| s.repr.starts_with("git+"))
                });
                if let Some(m) = found {
                    fill_meta(&mut p.meta, m);
                }
                continue;
            }
        };
        if let Some(m) = by_key.get(&(p.name.clone(), p.version.clone(), source_id)) {
            fill_meta(&mut p.meta, m);
        }
    }
}

fn fill_meta(meta: &mut PackageMeta, m: &cargo_metadata::Package) {
    if meta.license.is_none() {
        meta.license.clone_from(&m.license);
    }
    if meta.description.is_none() {
        meta.description.clone_from(&m.description);
    }
    if meta.authors.is_empty() {
        meta.authors.clone_from(&m.authors);
    }
    if meta.repository.is_none() {
        meta.repository.clone_from(&m.repository);
    }
    if meta.homepage.is_none() {
        meta.homepage.clone_from(&m.homepage);
    }
    if meta.documentation.is_none() {
        meta.documentation.clone_from(&m.documentation);
    }
}

/// `` `s` ``, without the formatting machinery (a warning can list every member).
fn ticked(s: &str) -> String {
    let mut t = String::with_capacity(s.len() + 2);
    t.push('`');
    t.push_str(s);
    t.push('`');
    t
}

/// At most five items, then a count: warnings stay readable for a workspace of 100 members.
pub(crate) fn list_some(items: &[String]) -> String {
    const SHOWN: usize = 5;
    let shown = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    match items.len().saturating_sub(SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::{DepWire, DetailedDep};

    /// What [`DepWire`] replaces: the derived untagged enum.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Untagged {
        Version(String),
        Detailed(DetailedDep),
    }

    /// The manifest's dependency tables as they were read: flattened (serde buffers the
    /// values first), with the untagged enum.
    #[derive(Deserialize)]
    struct UntaggedManifest {
        #[serde(flatten)]
        deps: UntaggedTables,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "kebab-case")]
    struct UntaggedTables {
        #[serde(default)]
        dependencies: BTreeMap<String, Untagged>,
        #[serde(default, alias = "dev_dependencies")]
        dev_dependencies: BTreeMap<String, Untagged>,
    }

    fn shape(dep: &DepWire) -> String {
        match dep {
            DepWire::Version(v) => format!("version {v}"),
            DepWire::Detailed(d) => format!("detailed {:?} {:?} {}", d.package, d.path, d.workspace),
        }
    }

    fn untagged_shape(dep: &Untagged) -> String {
        match dep {
            Untagged::Version(v) => format!("version {v}"),
            Untagged::Detailed(d) => format!("detailed {:?} {:?} {}", d.package, d.path, d.workspace),
        }
    }

    #[test]
    fn a_dependency_reads_as_the_untagged_enum_did() {
        for value in [
            r#""1.0""#,
            r#"{ version = "1", package = "real", path = "../x", workspace = true }"#,
            r#"{ workspace = true, features = ["a"] }"#,
            "{}",
            "{ path = 5 }",
            r#"{ workspace = "yes" }"#,
            "5",
            "1.5",
            "true",
            "1979-05-27T07:32:00Z",
            "[]",
            r#"["real"]"#,
            r#"["real", "../x", true]"#,
            r#"["real", "../x", true, 4]"#,
            "[1]",
            r#"{ package = "real", extra = { nested = [1, 2] } }"#,
        ] {
            // Through a manifest's flattened tables too.
            let text =
                format!("[package]\nname = \"x\"\n\n[dev_dependencies]\nb = \"1\"\n\n[dependencies]\na = {value}\n");
            match (toml::from_str::<super::ManifestWire>(&text), toml::from_str::<UntaggedManifest>(&text)) {
                (Ok(o), Ok(t)) => {
                    let o: Vec<String> =
                        o.deps.dependencies.values().chain(o.deps.dev_dependencies.values()).map(shape).collect();
                    let t: Vec<String> = t
                        .deps
                        .dependencies
                        .values()
                        .chain(t.deps.dev_dependencies.values())
                        .map(untagged_shape)
                        .collect();
                    assert_eq!(o, t, "{text}");
                }
                (Err(o), Err(t)) => {
                    let t_message = t.message().replace("enum Untagged", "enum DepWire");
                    assert_eq!((o.message(), o.span()), (t_message.as_str(), t.span()), "{text}");
                }
                (o, t) => panic!("{text}: {:?} against {:?}", o.err().map(|e| e.to_string()), t.err()),
            }
            for text in [format!("[dependencies]\na = {value}\n"), format!("[dependencies.a]\nv = {value}\n")] {
                let ours = toml::from_str::<BTreeMap<String, BTreeMap<String, DepWire>>>(&text);
                let theirs = toml::from_str::<BTreeMap<String, BTreeMap<String, Untagged>>>(&text);
                match (ours, theirs) {
                    (Ok(o), Ok(t)) => {
                        let o: Vec<String> = o.values().flat_map(|m| m.values().map(shape)).collect();
                        let t: Vec<String> = t.values().flat_map(|m| m.values().map(untagged_shape)).collect();
                        assert_eq!(o, t, "{text}");
                    }
                    (Err(o), Err(t)) => {
                        let t_message = t.message().replace("enum Untagged", "enum DepWire");
                        assert_eq!((o.message(), o.span()), (t_message.as_str(), t.span()), "{text}");
                    }
                    (o, t) => panic!("{text}: {:?} against {:?}", o.err(), t.err()),
                }
            }
        }
    }
}
