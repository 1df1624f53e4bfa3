//! `package-lock.json` and `npm-shrinkwrap.json`, read as npm itself reads them.
//!
//! # Layouts
//!
//! - **`lockfileVersion` 1** (npm 5 and 6): a tree of `dependencies` objects keyed by package
//!   name, each entry with `version`, `resolved`, `integrity`, `dev`, `optional`, `bundled`,
//!   `requires` (name → range) and its own nested `dependencies` (packages installed in its
//!   `node_modules`). `version` may instead be a source: `npm:real@1.2.3` (an alias: the package
//!   is `real` 1.2.3, installed as the key), a git URL or shorthand, `file:…`, or a tarball URL.
//!   Those packages get the version `""` (the lockfile does not record the version their
//!   `package.json` has) and that source.
//! - **`lockfileVersion` 2 and 3** (npm 7+): `packages`, keyed by install path
//!   (`node_modules/a`, `node_modules/a/node_modules/b`, `packages/web` for a workspace member),
//!   `""` being the root project. Version 2 also carries the v1 tree for old npm; npm 7+ reads
//!   `packages` only, and so do we.
//!
//! The layout is decided by the section present, as npm does (some files in the wild say
//! `"lockfileVersion": 2` with only `dependencies`, or only `packages`): `packages` when there
//! is one, else `dependencies`. A `lockfileVersion` other than 1, 2 or 3 is an error.
//!
//! # Packages
//!
//! Every entry is a package (nested duplicates stay separate entries, each with its lines and
//! edges), except the root `""` (the root project, a first-party package) and `link: true`
//! entries (a symlink to another entry, usually a workspace member: not a package, but the
//! name it is installed under resolves to the link's target). A key that is not under
//! `node_modules/` (`packages/a`, `deps/etag`) is a local directory npm installs as a link
//! target (a workspace member or a `file:` dependency): a first-party package with a `Path`
//! source. An entry whose `name` differs from its install name (the last `node_modules/`
//! segment of its key) is an alias: the package is `name`, installed as the key's name.
//!
//! `dev`, `optional`, `devOptional` and `peer` are npm's own computation of the install
//! groups and give the scope directly: `dev` → excluded (reached by dev), `optional` or
//! `devOptional` → optional (installed with the optional tree), else required.
//! `hasInstallScript` is recorded for every package that has one (v2/v3; v1 does not say).
//!
//! # Edges
//!
//! Edges follow Node's module resolution, as npm's arborist builds its tree: the dependency
//! `d` of the entry at `P` is `P/node_modules/d` when present, else the same in each enclosing
//! package up to the root (`node_modules/d`); a local directory entry (`packages/a`) looks in
//! its own `node_modules`, then in the nearest enclosing entry's. A `link` resolves to its
//! target. The dependencies followed are `dependencies`, `optionalDependencies` and
//! `peerDependencies` (npm 7+ installs peers), plus `devDependencies` for the root and local
//! directory entries (npm installs those of link targets too). In v1, the `requires` names are
//! resolved the same way through the nested `dependencies` objects, and the root's edges come
//! from the `package.json` beside the lockfile (v1 does not record them).
//!
//! A missing optional dependency (an `optionalDependencies` entry, or a peer marked optional in
//! `peerDependenciesMeta`) is normal (platform packages npm did not install); a missing peer
//! is a warning (npm 6 and `--legacy-peer-deps` do not install peers); any other missing
//! dependency is a `DanglingDependency` error with the line of the entry that needs it (the
//! packages are still all reported).
//!
//! # Lines
//!
//! A package's span starts at the line of its JSON key (`"node_modules/x": {`) and ends at the
//! line of the entry's closing brace. The JSON is read by a small scanner that keeps offsets
//! (the private `json` module): no allocation for strings without escapes, a nesting limit, and errors with
//! their offset.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use super::node::{self, join_dir};
use super::{LineIndex, ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::model::{Checksum, DependencyKind, Ecosystem, LineSpan, Package, PackageSource, RootComponent, Scope};
use crate::source::Source;
use json::{Member, Node, Value};

/// Reads `package-lock.json` and `npm-shrinkwrap.json` (never under `node_modules/`: npm's
/// hidden `node_modules/.package-lock.json` is not a project lockfile).
#[derive(Debug, Clone, Copy, Default)]
pub struct PackageLockResolver;

/// The file names this resolver claims.
pub const FILE_NAMES: [&str; 2] = ["package-lock.json", "npm-shrinkwrap.json"];

impl Resolver for PackageLockResolver {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn claims(&self, path: &Path) -> bool {
        node::claims_named(path, &FILE_NAMES)
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let lines = LineIndex::new(text);
        let doc = json::parse(text)
            .map_err(|e| ResolveError::new(path, Some(lines.line(e.at)), ResolveErrorKind::Json(e.message)))?;
        let Value::Object(top) = &doc.value else {
            return Err(ResolveError::new(
                path,
                Some(lines.line(doc.start)),
                ResolveErrorKind::Json(format!("the lockfile is {}, not a JSON object", doc.value.kind())),
            ));
        };
        let mut reader = Reader {
            path,
            lines: &lines,
            lock_dir: super::cargo::parent_dir(path),
            lockfile_only: options.lockfile_only,
            packages: Vec::new(),
            warnings: Vec::new(),
            errors: Vec::new(),
        };
        check_version(&reader, top)?;
        let root_name = top_string(&reader, top, "name")?;
        let root_version = top_string(&reader, top, "version")?;
        let root_name = root_name.map_or_else(|| default_root_name(source, &reader.lock_dir), str::to_owned);
        let root_version = root_version.unwrap_or_default().to_owned();
        if let Some(m) = get(top, "packages") {
            let Value::Object(entries) = &m.value.value else {
                return Err(reader.json_error(m.key_at, "`packages` is not an object"));
            };
            reader.read_packages(entries, &doc, root_name, root_version)?;
        } else {
            let deps = match get(top, "dependencies") {
                Some(m) => match &m.value.value {
                    Value::Object(deps) => deps.as_slice(),
                    _ => return Err(reader.json_error(m.key_at, "`dependencies` is not an object")),
                },
                None => &[],
            };
            reader.read_v1(source, deps, &doc, root_name, root_version)?;
        }
        Ok(Resolved {
            path: path.to_owned(),
            packages: reader.packages,
            root: RootComponent::Package(0),
            warnings: reader.warnings,
            errors: reader.errors,
        })
    }
}

/// The last member named `key` (`JSON.parse` keeps the last of duplicate keys).
fn get<'a, 'j>(members: &'a [Member<'j>], key: &str) -> Option<&'a Member<'j>> {
    members.iter().rev().find(|m| m.key == key)
}

/// `lockfileVersion` must be 1, 2 or 3 when present.
fn check_version(reader: &Reader<'_>, top: &[Member<'_>]) -> Result<(), ResolveError> {
    let Some(m) = get(top, "lockfileVersion") else { return Ok(()) };
    let version = match &m.value.value {
        Value::Number(n) if matches!(*n, "1" | "2" | "3") => return Ok(()),
        Value::Number(n) => (*n).to_owned(),
        Value::String(s) => format!("\"{s}\""),
        other => other.kind().to_owned(),
    };
    Err(ResolveError::new(
        reader.path,
        Some(reader.lines.line(m.key_at)),
        ResolveErrorKind::UnsupportedFormatVersion {
            format: "package-lock.json lockfileVersion",
            version,
            supported: "1 to 3",
        },
    ))
}

/// A top-level string field (`name`, `version`), `None` when absent.
fn top_string<'j>(reader: &Reader<'_>, top: &'j [Member<'j>], key: &str) -> Result<Option<&'j str>, ResolveError> {
    match get(top, key) {
        None => Ok(None),
        Some(m) => match &m.value.value {
            Value::String(s) => Ok(Some(s)),
            Value::Null => Ok(None),
            _ => Err(reader.json_error(m.key_at, &format!("`{key}` is not a string"))),
        },
    }
}

/// The root project's name when the lockfile has none: its directory's name.
fn default_root_name(source: &dyn Source, lock_dir: &str) -> String {
    super::dir_name(source, lock_dir).unwrap_or_else(|| "root".to_owned())
}

/// How an entry declares a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DepKind {
    /// `dependencies` (or `requires` in v1)
    Normal,
    /// `optionalDependencies`
    Optional,
    /// `peerDependencies`
    Peer,
    /// `peerDependencies` marked optional in `peerDependenciesMeta`
    PeerOptional,
    /// `devDependencies` (root and local directories only)
    Dev,
}

/// What a `packages` key stands for.
#[derive(Debug, Clone, Copy)]
enum Slot<'j> {
    /// A package: its index.
    Package(usize),
    /// A `link: true` entry: the key of its target.
    Link(&'j str),
}

/// The state of one resolution.
struct Reader<'r> {
    path: &'r str,
    lines: &'r LineIndex,
    lock_dir: String,
    lockfile_only: bool,
    packages: Vec<Package>,
    warnings: Vec<Warning>,
    errors: Vec<ResolveError>,
}

/// The facts of one entry that every layout shares.
#[expect(clippy::struct_excessive_bools, reason = "npm's own install-group flags, one field each")]
struct EntryFacts<'j> {
    integrity: Option<&'j str>,
    dev: bool,
    optional: bool,
    dev_optional: bool,
    bundled: bool,
}

impl Reader<'_> {
    fn json_error(&self, at: usize, message: &str) -> ResolveError {
        ResolveError::new(self.path, Some(self.lines.line(at)), ResolveErrorKind::Json(message.to_owned()))
    }

    fn span(&self, key_at: usize, node: &Node<'_>) -> LineSpan {
        LineSpan { start: self.lines.line(key_at), end: self.lines.line(node.end.saturating_sub(1)) }
    }

    /// A string field of an entry (`None` when absent or `null`).
    fn string<'j>(&self, entry: &'j [Member<'j>], key: &str, what: &str) -> Result<Option<&'j str>, ResolveError> {
        match get(entry, key) {
            None => Ok(None),
            Some(m) => match &m.value.value {
                Value::String(s) => Ok(Some(s)),
                Value::Null => Ok(None),
                other => {
                    Err(self.json_error(m.key_at, &format!("`{key}` of `{what}` is {}, not a string", other.kind())))
                }
            },
        }
    }

    /// A boolean flag of an entry (absent, `null` or `false` → false).
    fn flag(&self, entry: &[Member<'_>], key: &str, what: &str) -> Result<bool, ResolveError> {
        match get(entry, key) {
            None => Ok(false),
            Some(m) => match &m.value.value {
                Value::Bool(b) => Ok(*b),
                Value::Null => Ok(false),
                other => {
                    Err(self.json_error(m.key_at, &format!("`{key}` of `{what}` is {}, not a boolean", other.kind())))
                }
            },
        }
    }

    /// An object field of an entry (empty when absent or `null`).
    fn object<'a, 'j>(&self, entry: &'a [Member<'j>], key: &str, what: &str) -> Result<&'a [Member<'j>], ResolveError> {
        match get(entry, key) {
            None => Ok(&[]),
            Some(m) => match &m.value.value {
                Value::Object(o) => Ok(o),
                Value::Null => Ok(&[]),
                other => {
                    Err(self.json_error(m.key_at, &format!("`{key}` of `{what}` is {}, not an object", other.kind())))
                }
            },
        }
    }

    fn facts<'j>(&self, entry: &'j [Member<'j>], what: &str) -> Result<EntryFacts<'j>, ResolveError> {
        Ok(EntryFacts {
            integrity: self.string(entry, "integrity", what)?,
            dev: self.flag(entry, "dev", what)?,
            optional: self.flag(entry, "optional", what)?,
            dev_optional: self.flag(entry, "devOptional", what)?,
            bundled: self.flag(entry, "inBundle", what)? || self.flag(entry, "bundled", what)?,
        })
    }

    /// Checksums, scope and bundling from the shared facts.
    fn apply_facts(&self, package: &mut Package, facts: &EntryFacts<'_>, key_at: usize) -> Result<(), ResolveError> {
        if let Some(integrity) = facts.integrity.filter(|s| !s.trim().is_empty()) {
            package.checksums = Checksum::from_sri(integrity).map_err(|e| {
                ResolveError::new(
                    self.path,
                    Some(self.lines.line(key_at)),
                    ResolveErrorKind::InvalidPackage(format!(
                        "`{} {}`: invalid integrity: {e}",
                        package.name, package.version
                    )),
                )
            })?;
        }
        package.bundled = facts.bundled;
        if facts.dev {
            package.scope = Some(Scope::Excluded);
            package.reached_by.insert(DependencyKind::Dev);
        } else if facts.optional || facts.dev_optional {
            package.scope = Some(Scope::Optional);
        } else {
            package.scope = Some(Scope::Required);
        }
        Ok(())
    }

    fn root_package(&self, name: String, version: String, lines: LineSpan) -> Package {
        let mut root = Package::new(Ecosystem::Npm, name, version, PackageSource::Path { dir: self.lock_dir.clone() });
        root.first_party = true;
        root.scope = Some(Scope::Required);
        root.lines = Some(lines);
        root
    }

    fn dangling(&mut self, from: usize, at: usize, dependency: &str) {
        let package = self.packages.get(from).map(label).unwrap_or_default();
        self.errors.push(ResolveError::new(
            self.path,
            Some(self.lines.line(at)),
            ResolveErrorKind::DanglingDependency { package, dependency: dependency.to_owned() },
        ));
    }

    fn missing_peer(&mut self, from: usize, at: usize, dependency: &str) {
        let package = self.packages.get(from).map(label).unwrap_or_default();
        self.warnings.push(Warning {
            path: self.path.to_owned(),
            line: Some(self.lines.line(at)),
            message: format!(
                "`{package}` has the peer dependency `{dependency}`, which is not installed (npm 6 and \
                 --legacy-peer-deps do not install peers)"
            ),
        });
    }

    /// Set `dependencies` and `direct` from resolved edges (`edges[i]` are package `i`'s).
    fn set_edges(&mut self, edges: Vec<BTreeSet<usize>>) {
        let mut direct = vec![false; self.packages.len()];
        for (i, deps) in edges.iter().enumerate() {
            if self.packages.get(i).is_some_and(|p| p.first_party) {
                for &d in deps {
                    if let Some(flag) = direct.get_mut(d) {
                        *flag = true;
                    }
                }
            }
        }
        for ((p, deps), is_direct) in self.packages.iter_mut().zip(edges).zip(direct) {
            p.dependencies = deps;
            p.direct = is_direct && !p.first_party;
        }
    }

    // ----- lockfileVersion 2 and 3: `packages` -----

    fn read_packages<'j>(
        &mut self,
        entries: &'j [Member<'j>],
        doc: &Node<'_>,
        root_name: String,
        root_version: String,
    ) -> Result<(), ResolveError> {
        // The install name a link gives its target (a workspace member without `name`).
        let mut link_names: HashMap<&str, &str> = HashMap::new();
        let mut slots: HashMap<&'j str, Slot<'j>> = HashMap::with_capacity(entries.len());
        // Package index → (key, entry) for the edge pass.
        let mut sources: Vec<Option<(&'j str, &'j Member<'j>)>> = Vec::with_capacity(entries.len() + 1);
        // The root first, so that it is index 0.
        let root_entry = get(entries, "");
        let mut root = match root_entry {
            Some(m) => {
                let Value::Object(obj) = &m.value.value else {
                    return Err(self.json_error(m.key_at, "the root entry `\"\"` is not an object"));
                };
                let name = self.string(obj, "name", "")?.map_or(root_name, str::to_owned);
                let version = self.string(obj, "version", "")?.map_or(root_version, str::to_owned);
                let mut root = self.root_package(name, version, self.span(m.key_at, &m.value));
                if let Some(license) = self.string(obj, "license", "")? {
                    root.meta.license = Some(license.to_owned());
                }
                root
            }
            None => self.root_package(root_name, root_version, self.span(doc.start, doc)),
        };
        if let Some(m) = root_entry
            && let Value::Object(obj) = &m.value.value
            && self.flag(obj, "hasInstallScript", "")?
        {
            root.install_script = Some(true);
        }
        self.packages.push(root);
        sources.push(root_entry.map(|m| ("", m)));
        slots.insert("", Slot::Package(0));
        // Every key, borrowed from the document: a link's target is looked up here once.
        let keys: HashSet<&'j str> = entries.iter().map(|m| &*m.key).collect();
        for m in entries {
            let key: &'j str = &m.key;
            if key.is_empty() {
                continue;
            }
            let Value::Object(obj) = &m.value.value else {
                return Err(self.json_error(m.key_at, &format!("the entry `{key}` is not an object")));
            };
            if self.flag(obj, "link", key)? {
                let target = self.string(obj, "resolved", key)?.unwrap_or_default();
                // A target that is no key gives a key that matches nothing.
                let target = keys.get(normalize_key(target).as_ref()).copied().unwrap_or("\u{0}missing");
                if let Some(name) = install_name(key) {
                    link_names.entry(target).or_insert(name);
                }
                slots.insert(key, Slot::Link(target));
            }
        }
        for m in entries {
            let key: &'j str = &m.key;
            if key.is_empty() {
                continue;
            }
            let Value::Object(obj) = &m.value.value else { continue };
            if self.flag(obj, "link", key)? {
                continue;
            }
            let installed_as = install_name(key);
            let name = match self.string(obj, "name", key)? {
                Some(n) => n.to_owned(),
                None => match installed_as.or_else(|| link_names.get(key).copied()) {
                    Some(n) => n.to_owned(),
                    None => key.rsplit('/').next().unwrap_or(key).to_owned(),
                },
            };
            let version = self.string(obj, "version", key)?;
            let first_party = installed_as.is_none();
            let source = if first_party {
                PackageSource::Path { dir: join_dir(&self.lock_dir, key) }
            } else {
                node::source_of(self.string(obj, "resolved", key)?, &name, &self.lock_dir)
            };
            // npm writes the `version` of the package's `package.json`: a git, tarball or local
            // package may have none, a registry package always has one.
            let Some(version) = version.or((!matches!(source, PackageSource::Registry { .. })).then_some("")) else {
                return Err(ResolveError::new(
                    self.path,
                    Some(self.lines.line(m.key_at)),
                    ResolveErrorKind::InvalidPackage(format!(
                        "the entry `{key}` (`{name}`, from the registry) has no `version`"
                    )),
                ));
            };
            let mut package = Package::new(Ecosystem::Npm, name, version.to_owned(), source);
            package.first_party = first_party;
            package.lines = Some(self.span(m.key_at, &m.value));
            if let Some(alias) = installed_as.filter(|a| *a != package.name) {
                package.alias = Some(alias.to_owned());
            }
            let facts = self.facts(obj, key)?;
            self.apply_facts(&mut package, &facts, m.key_at)?;
            let install_script = self.flag(obj, "hasInstallScript", key)?;
            package.install_script = if install_script {
                Some(true)
            } else if first_party {
                None
            } else {
                Some(false)
            };
            if !self.lockfile_only
                && let Some(Value::String(license)) = get(obj, "license").map(|l| &l.value.value)
            {
                package.meta.license = Some(license.to_string());
            }
            slots.insert(key, Slot::Package(self.packages.len()));
            self.packages.push(package);
            sources.push(Some((key, m)));
        }
        if self.lockfile_only {
            return Ok(());
        }
        let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); self.packages.len()];
        for (from, entry) in sources.iter().enumerate() {
            let Some((key, m)) = entry else { continue };
            let Value::Object(obj) = &m.value.value else { continue };
            let top = install_name(key).is_none();
            let peer_meta = self.object(obj, "peerDependenciesMeta", key)?;
            let mut declared: Vec<(&str, DepKind)> = Vec::new();
            for (field, kind) in [
                ("dependencies", DepKind::Normal),
                ("optionalDependencies", DepKind::Optional),
                ("peerDependencies", DepKind::Peer),
                ("devDependencies", DepKind::Dev),
            ] {
                if kind == DepKind::Dev && !top {
                    continue;
                }
                for d in self.object(obj, field, key)? {
                    let kind = if kind == DepKind::Peer && peer_optional(peer_meta, &d.key) {
                        DepKind::PeerOptional
                    } else {
                        kind
                    };
                    declared.push((&d.key, kind));
                }
            }
            for (name, kind) in declared {
                if let Some(to) = resolve_in_packages(&slots, key, name) {
                    if let Some(e) = edges.get_mut(from) {
                        e.insert(to);
                    }
                } else {
                    // Optional wins over normal when both declare the name, as in npm.
                    let optional = self.object(obj, "optionalDependencies", key)?.iter().any(|d| d.key == name);
                    match kind {
                        DepKind::Optional | DepKind::PeerOptional => {}
                        _ if optional => {}
                        DepKind::Peer => self.missing_peer(from, m.key_at, name),
                        DepKind::Normal | DepKind::Dev => self.dangling(from, m.key_at, name),
                    }
                }
            }
        }
        self.set_edges(edges);
        Ok(())
    }

    // ----- lockfileVersion 1: nested `dependencies` -----

    fn read_v1<'j>(
        &mut self,
        source: &dyn Source,
        deps: &'j [Member<'j>],
        doc: &Node<'_>,
        root_name: String,
        root_version: String,
    ) -> Result<(), ResolveError> {
        let root = self.root_package(root_name, root_version, self.span(doc.start, doc));
        self.packages.push(root);
        // Scopes: one per `dependencies` object (name → package), with the enclosing scope.
        let mut scopes: Vec<(HashMap<&'j str, usize>, Option<usize>)> = vec![(HashMap::new(), None)];
        // Per package: (its own scope, the scope it sits in, its entry).
        let mut places: Vec<Option<(Option<usize>, usize, &'j Member<'j>)>> = vec![None];
        // Iterative walk: (the `dependencies` members, the scope they fill).
        let mut stack: Vec<(&'j [Member<'j>], usize)> = vec![(deps, 0)];
        while let Some((members, scope)) = stack.pop() {
            for m in members {
                let key: &'j str = &m.key;
                let Value::Object(obj) = &m.value.value else {
                    return Err(self.json_error(m.key_at, &format!("the dependency `{key}` is not an object")));
                };
                let Some(spec) = self.string(obj, "version", key)? else {
                    return Err(ResolveError::new(
                        self.path,
                        Some(self.lines.line(m.key_at)),
                        ResolveErrorKind::InvalidPackage(format!("the dependency `{key}` has no `version`")),
                    ));
                };
                let resolved = self.string(obj, "resolved", key)?;
                let mut package = self.v1_package(key, spec, resolved);
                package.lines = Some(self.span(m.key_at, &m.value));
                let facts = self.facts(obj, key)?;
                self.apply_facts(&mut package, &facts, m.key_at)?;
                let index = self.packages.len();
                self.packages.push(package);
                if let Some((names, _)) = scopes.get_mut(scope) {
                    names.insert(key, index);
                }
                let nested = self.object(obj, "dependencies", key)?;
                let own = if nested.is_empty() {
                    None
                } else {
                    scopes.push((HashMap::with_capacity(nested.len()), Some(scope)));
                    let own = scopes.len() - 1;
                    stack.push((nested, own));
                    Some(own)
                };
                places.push(Some((own, scope, m)));
            }
        }
        if self.lockfile_only {
            return Ok(());
        }
        // Own nested scope first (its parent is the scope the entry sits in), then outwards.
        let resolve = |own: Option<usize>, scope: usize, name: &str| -> Option<usize> {
            let mut at = Some(own.unwrap_or(scope));
            while let Some(s) = at {
                let (names, parent) = scopes.get(s)?;
                if let Some(&i) = names.get(name) {
                    return Some(i);
                }
                at = *parent;
            }
            None
        };
        let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); self.packages.len()];
        let mut required_by_some = vec![false; self.packages.len()];
        for (from, place) in places.iter().enumerate() {
            let Some((own, scope, m)) = place else { continue };
            let Value::Object(obj) = &m.value.value else { continue };
            let key: &str = &m.key;
            let optional = self.flag(obj, "optional", key)?;
            for d in self.object(obj, "requires", key)? {
                match resolve(*own, *scope, &d.key) {
                    Some(to) => {
                        if let Some(e) = edges.get_mut(from) {
                            e.insert(to);
                        }
                        if let Some(r) = required_by_some.get_mut(to) {
                            *r = true;
                        }
                    }
                    // npm 6 records the optional dependencies it could not install nowhere, and
                    // `requires` does not say which names are optional: a miss below an optional
                    // package is normal.
                    None if optional => {}
                    None => self.dangling(from, m.key_at, &d.key),
                }
            }
        }
        // The root's edges: `package.json`, which v1 does not copy into the lockfile.
        let manifest_path = super::cargo::parent_dir(self.path);
        let manifest_path =
            if manifest_path == "." { "package.json".to_owned() } else { format!("{manifest_path}/package.json") };
        let manifest = source.read(&manifest_path).ok().map(|b| node::PackageJson::parse(&b));
        match manifest {
            Some(Ok(manifest)) => {
                let names = manifest
                    .dependencies
                    .keys()
                    .chain(manifest.dev_dependencies.keys())
                    .chain(manifest.optional_dependencies.keys())
                    .chain(manifest.peer_dependencies.keys());
                for name in names {
                    match resolve(None, 0, name) {
                        Some(to) => {
                            if let Some(e) = edges.get_mut(0) {
                                e.insert(to);
                            }
                        }
                        None if manifest.optional_dependencies.contains_key(name) => {}
                        None => self.warnings.push(Warning {
                            path: self.path.to_owned(),
                            line: None,
                            message: format!(
                                "`{manifest_path}` depends on `{name}`, which the lockfile does not have (out of \
                                 date?)"
                            ),
                        }),
                    }
                }
            }
            other => {
                if let Some(Err(e)) = other {
                    self.warnings.push(Warning {
                        path: manifest_path.clone(),
                        line: None,
                        message: format!("not read: {e}"),
                    });
                }
                // Without the manifest, the root depends on the top-level packages nothing else
                // requires (its direct dependencies, and nothing more, in a consistent lockfile).
                if let Some((names, _)) = scopes.first() {
                    let mut top: Vec<usize> = names
                        .values()
                        .copied()
                        .filter(|&i| !required_by_some.get(i).copied().unwrap_or(true))
                        .collect();
                    top.sort_unstable();
                    if let Some(e) = edges.get_mut(0) {
                        e.extend(top);
                    }
                }
            }
        }
        self.set_edges(edges);
        Ok(())
    }

    /// A v1 entry's package from its key, `version` and `resolved`.
    fn v1_package(&self, key: &str, spec: &str, resolved: Option<&str>) -> Package {
        let spec = spec.trim();
        if let Some(real) = spec.strip_prefix("npm:") {
            // `npm:real@1.2.3` / `npm:@scope/real@1.2.3`
            let (name, version) = match real.get(1..).and_then(|rest| rest.rfind('@')).map(|at| at + 1) {
                Some(at) => (real.get(..at).unwrap_or(real), real.get(at + 1..).unwrap_or("")),
                None => (real, ""),
            };
            let source = node::source_of(resolved, name, &self.lock_dir);
            let mut package = Package::new(Ecosystem::Npm, name.to_owned(), version.to_owned(), source);
            if name != key {
                package.alias = Some(key.to_owned());
            }
            return package;
        }
        let local = spec.starts_with("file:") || spec.starts_with("link:");
        let url =
            local || node::git_source(spec).is_some() || spec.starts_with("http://") || spec.starts_with("https://");
        if url {
            let mut package = Package::new(
                Ecosystem::Npm,
                key.to_owned(),
                String::new(),
                node::source_of(Some(spec), key, &self.lock_dir),
            );
            // A `file:` directory is local code (npm links it); a `file:` tarball is an archive.
            package.first_party = local && !is_archive(spec);
            return package;
        }
        Package::new(Ecosystem::Npm, key.to_owned(), spec.to_owned(), node::source_of(resolved, key, &self.lock_dir))
    }
}

/// `name version` (`name` alone when the lockfile records no version), for messages.
fn label(p: &Package) -> String {
    if p.version.is_empty() { p.name.clone() } else { format!("{} {}", p.name, p.version) }
}

/// Whether a `file:` spec names an archive rather than a directory.
fn is_archive(spec: &str) -> bool {
    let ext =
        |e: &str| spec.len() >= e.len() && spec.get(spec.len() - e.len()..).is_some_and(|t| t.eq_ignore_ascii_case(e));
    ext(".tgz") || ext(".tar.gz") || ext(".tar")
}

/// Whether `peerDependenciesMeta.<name>.optional` is true.
fn peer_optional(meta: &[Member<'_>], name: &str) -> bool {
    get(meta, name).is_some_and(|m| match &m.value.value {
        Value::Object(o) => get(o, "optional").is_some_and(|f| matches!(f.value.value, Value::Bool(true))),
        _ => false,
    })
}

/// The name a `packages` key installs its package under (after the last `node_modules/`), or
/// `None` for a key that is not under `node_modules` (the root, a workspace member).
fn install_name(key: &str) -> Option<&str> {
    if let Some(at) = key.rfind("/node_modules/") {
        return key.get(at + "/node_modules/".len()..);
    }
    key.strip_prefix("node_modules/")
}

/// The key of the package that encloses `key`, for Node's module resolution: the entry whose
/// `node_modules` holds it, or for a local directory the nearest enclosing directory that is
/// an entry (else the root). `None` for the root.
fn parent_key<'k>(slots: &HashMap<&str, Slot<'_>>, key: &'k str) -> Option<&'k str> {
    if key.is_empty() {
        return None;
    }
    if install_name(key).is_some() {
        // `P/node_modules/NAME` (NAME may be `@scope/name`) → `P`.
        let at = key.rfind("node_modules/")?;
        return Some(key.get(..at)?.trim_end_matches('/'));
    }
    let mut dir = key;
    while let Some((up, _)) = dir.rsplit_once('/') {
        if slots.contains_key(up) {
            return Some(up);
        }
        dir = up;
    }
    Some("")
}

/// The package a dependency `name` of the entry at `from` resolves to.
fn resolve_in_packages(slots: &HashMap<&str, Slot<'_>>, from: &str, name: &str) -> Option<usize> {
    let mut at = Some(from);
    let mut candidate = String::with_capacity(from.len() + name.len() + 16);
    while let Some(dir) = at {
        candidate.clear();
        if !dir.is_empty() {
            candidate.push_str(dir);
            candidate.push('/');
        }
        candidate.push_str("node_modules/");
        candidate.push_str(name);
        match slots.get(candidate.as_str()) {
            Some(Slot::Package(i)) => return Some(*i),
            Some(Slot::Link(target)) => {
                return match slots.get(target) {
                    Some(Slot::Package(i)) => Some(*i),
                    _ => None,
                };
            }
            None => at = parent_key(slots, dir),
        }
    }
    None
}

/// A link's `resolved` as a `packages` key (`./packages/a/` → `packages/a`, `.` → `""`).
fn normalize_key(target: &str) -> Cow<'_, str> {
    let joined = join_dir(".", target);
    if joined == "." {
        Cow::Borrowed("")
    } else if joined == target {
        Cow::Borrowed(target)
    } else {
        Cow::Owned(joined)
    }
}

/// A small JSON reader that keeps the byte offsets of values and keys.
pub(crate) mod json {
    use std::borrow::Cow;

    /// How deep arrays and objects may nest.
    const MAX_DEPTH: usize = 256;

    /// A JSON value.
    #[derive(Debug)]
    pub(crate) enum Value<'a> {
        Null,
        Bool(bool),
        /// The number as written.
        Number(&'a str),
        String(Cow<'a, str>),
        /// An array (its items are checked, not kept: no field chainward reads is an array).
        Array,
        Object(Vec<Member<'a>>),
    }

    impl Value<'_> {
        /// `null`, `a boolean`, ... for messages.
        pub(crate) fn kind(&self) -> &'static str {
            match self {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array => "an array",
                Value::Object(_) => "an object",
            }
        }
    }

    /// A value and its byte range (`end` is exclusive).
    #[derive(Debug)]
    pub(crate) struct Node<'a> {
        pub(crate) start: usize,
        pub(crate) end: usize,
        pub(crate) value: Value<'a>,
    }

    /// An object member: its key, the offset of the key's opening quote, its value.
    #[derive(Debug)]
    pub(crate) struct Member<'a> {
        pub(crate) key: Cow<'a, str>,
        pub(crate) key_at: usize,
        pub(crate) value: Node<'a>,
    }

    /// A syntax error at a byte offset.
    #[derive(Debug)]
    pub(crate) struct Error {
        pub(crate) at: usize,
        pub(crate) message: String,
    }

    /// Parse a whole document (a leading byte-order mark is skipped, as npm does).
    pub(crate) fn parse(text: &str) -> Result<Node<'_>, Error> {
        let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut p = Parser { text, bytes: text.as_bytes(), pos: start };
        p.skip_ws();
        if p.pos >= p.bytes.len() {
            return Err(Error { at: p.pos, message: "empty document".to_owned() });
        }
        let node = p.value(0)?;
        p.skip_ws();
        if p.pos < p.bytes.len() {
            return Err(p.error("unexpected content after the JSON value"));
        }
        Ok(node)
    }

    struct Parser<'a> {
        text: &'a str,
        bytes: &'a [u8],
        pos: usize,
    }

    impl<'a> Parser<'a> {
        fn error(&self, message: &str) -> Error {
            if self.pos >= self.bytes.len() {
                return Error { at: self.pos, message: format!("unexpected end of file ({message})") };
            }
            Error { at: self.pos, message: message.to_owned() }
        }

        fn peek(&self) -> Option<u8> {
            self.bytes.get(self.pos).copied()
        }

        fn skip_ws(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
                self.pos += 1;
            }
        }

        fn expect(&mut self, b: u8, what: &str) -> Result<(), Error> {
            if self.peek() == Some(b) {
                self.pos += 1;
                Ok(())
            } else {
                Err(self.error(&format!("expected {what}")))
            }
        }

        fn value(&mut self, depth: usize) -> Result<Node<'a>, Error> {
            let start = self.pos;
            let value = match self.peek() {
                Some(b'{') => self.object(depth)?,
                Some(b'[') => self.array(depth)?,
                Some(b'"') => Value::String(self.string()?),
                Some(b't') => self.literal("true", Value::Bool(true))?,
                Some(b'f') => self.literal("false", Value::Bool(false))?,
                Some(b'n') => self.literal("null", Value::Null)?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(_) | None => return Err(self.error("expected a JSON value")),
            };
            Ok(Node { start, end: self.pos, value })
        }

        fn literal(&mut self, word: &str, value: Value<'a>) -> Result<Value<'a>, Error> {
            if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
                self.pos += word.len();
                Ok(value)
            } else {
                Err(self.error("expected a JSON value"))
            }
        }

        fn digits(&mut self) -> usize {
            let from = self.pos;
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
            self.pos - from
        }

        fn number(&mut self) -> Result<Value<'a>, Error> {
            let start = self.pos;
            if self.peek() == Some(b'-') {
                self.pos += 1;
            }
            let leading_zero = self.peek() == Some(b'0');
            let n = self.digits();
            if n == 0 || (leading_zero && n > 1) {
                return Err(self.error("invalid number"));
            }
            if self.peek() == Some(b'.') {
                self.pos += 1;
                if self.digits() == 0 {
                    return Err(self.error("invalid number"));
                }
            }
            if let Some(b'e' | b'E') = self.peek() {
                self.pos += 1;
                if let Some(b'+' | b'-') = self.peek() {
                    self.pos += 1;
                }
                if self.digits() == 0 {
                    return Err(self.error("invalid number"));
                }
            }
            Ok(Value::Number(self.text.get(start..self.pos).unwrap_or_default()))
        }

        fn string(&mut self) -> Result<Cow<'a, str>, Error> {
            let open = self.pos;
            self.pos += 1;
            let start = self.pos;
            // Fast path: no escape.
            loop {
                match self.peek() {
                    Some(b'"') => {
                        let s = self.text.get(start..self.pos).unwrap_or_default();
                        self.pos += 1;
                        return Ok(Cow::Borrowed(s));
                    }
                    Some(b'\\') => break,
                    Some(0..=0x1f) => return Err(self.error("control character in a string")),
                    Some(_) => self.pos += 1,
                    None => return Err(Error { at: open, message: "unterminated string".to_owned() }),
                }
            }
            let mut out = String::from(self.text.get(start..self.pos).unwrap_or_default());
            loop {
                let run = self.pos;
                while let Some(b) = self.peek() {
                    if b == b'"' || b == b'\\' || b < 0x20 {
                        break;
                    }
                    self.pos += 1;
                }
                out.push_str(self.text.get(run..self.pos).unwrap_or_default());
                match self.peek() {
                    Some(b'"') => {
                        self.pos += 1;
                        return Ok(Cow::Owned(out));
                    }
                    Some(b'\\') => {
                        self.pos += 1;
                        let c = match self.peek() {
                            Some(b'"') => '"',
                            Some(b'\\') => '\\',
                            Some(b'/') => '/',
                            Some(b'b') => '\u{8}',
                            Some(b'f') => '\u{c}',
                            Some(b'n') => '\n',
                            Some(b'r') => '\r',
                            Some(b't') => '\t',
                            Some(b'u') => {
                                self.pos += 1;
                                let c = self.unicode_escape()?;
                                out.push(c);
                                continue;
                            }
                            _ => return Err(self.error("invalid escape in a string")),
                        };
                        self.pos += 1;
                        out.push(c);
                    }
                    Some(_) => return Err(self.error("control character in a string")),
                    None => return Err(Error { at: open, message: "unterminated string".to_owned() }),
                }
            }
        }

        fn hex4(&mut self) -> Result<u32, Error> {
            let digits = self.text.get(self.pos..self.pos + 4).ok_or_else(|| self.error("invalid \\u escape"))?;
            let v = u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))?;
            if !crate::model::is_hex(digits) {
                return Err(self.error("invalid \\u escape"));
            }
            self.pos += 4;
            Ok(v)
        }

        /// After `\u`: one code point, a surrogate pair taking the following `\uXXXX`.
        fn unicode_escape(&mut self) -> Result<char, Error> {
            let high = self.hex4()?;
            let code = if (0xd800..0xdc00).contains(&high) {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u".as_slice()) {
                    return Err(self.error("unpaired surrogate in a \\u escape"));
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xdc00..0xe000).contains(&low) {
                    return Err(self.error("unpaired surrogate in a \\u escape"));
                }
                0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
            } else {
                high
            };
            char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate in a \\u escape"))
        }

        fn array(&mut self, depth: usize) -> Result<Value<'a>, Error> {
            if depth >= MAX_DEPTH {
                return Err(self.error("nested too deeply"));
            }
            self.pos += 1;
            self.skip_ws();
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Value::Array);
            }
            loop {
                self.skip_ws();
                self.value(depth + 1)?;
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        return Ok(Value::Array);
                    }
                    _ => return Err(self.error("expected `,` or `]`")),
                }
            }
        }

        fn object(&mut self, depth: usize) -> Result<Value<'a>, Error> {
            if depth >= MAX_DEPTH {
                return Err(self.error("nested too deeply"));
            }
            self.pos += 1;
            let mut members = Vec::new();
            self.skip_ws();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Object(members));
            }
            loop {
                self.skip_ws();
                if self.peek() != Some(b'"') {
                    return Err(self.error("expected a string key"));
                }
                let key_at = self.pos;
                let key = self.string()?;
                self.skip_ws();
                self.expect(b':', "`:`")?;
                self.skip_ws();
                let value = self.value(depth + 1)?;
                members.push(Member { key, key_at, value });
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        return Ok(Value::Object(members));
                    }
                    _ => return Err(self.error("expected `,` or `}`")),
                }
            }
        }
    }
}
