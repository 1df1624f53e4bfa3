//! Composer's `composer.lock` (`Ecosystem::Packagist`).
//!
//! # The file
//!
//! Strict JSON, as Composer reads it (`JsonFile::parseJson`: PHP's `json_decode`, then
//! `seld/jsonlint` for the message): no comments, no trailing commas, no byte-order mark; a
//! duplicate key keeps its last value, as `json_decode` does. An empty file, `null` or anything
//! but an object is an error. (Each of these checked against Composer 2.5.5's `install`.) The
//! fields read:
//!
//! - `packages` (required, an array: Composer does not take a file without it for a lockfile)
//!   and `packages-dev` (optional; `null`, as Composer 1 wrote on `update --no-dev`, is a
//!   warning: the dev packages are not in the lockfile and are not checked): the locked
//!   packages, each an object with
//!   - `name` (`vendor/name`; Composer compares names case-insensitively, and so does chainward:
//!     edges and direct dependencies are looked up by the lowercased name) and `version`, as
//!     written (`v6.4.1`, `2.x-dev`, `dev-main`). Both are required: Composer's `ArrayLoader`
//!     refuses a package without them, so a missing one fails the file.
//!   - `source` {`type` git|hg|svn, `url`, `reference`} and `dist` {`type` zip|tar|path|...,
//!     `url`, `reference`, `shasum`}: `dist.shasum` is the SHA-1 of the archive (Composer checks
//!     it when it is not empty; packagist.org's GitHub archives have `""`, no checksum).
//!   - `require`: edges (see below). A locked package's own `require-dev` is its development
//!     setup, never installed for the project (Composer reads only the root's): no edges.
//!   - `replace` / `provide`: the names this package stands in for.
//!   - `notification-url`: where Composer reports the install, which names the repository the
//!     package came from (see "Sources").
//!   - `type`, `time`: not needed (a `metapackage` simply has no `dist`).
//!   - `license` (a string or an array: an array is a choice, `OR`), `description`,
//!     `homepage`, `authors` (`name <email>`), `source.url` (the repository): metadata. A
//!     malformed metadata field is left out, not an error (Composer does not use them either).
//! - `plugin-api-version`: written by Composer 1.10 and later (`1.1.0`, `2.9.0`); the only mark
//!   of the writer's version. Major 1 and 2 are read; another is
//!   [`ResolveErrorKind::UnsupportedFormatVersion`] (Composer 2 itself does not look at it, but
//!   a lockfile of a Composer chainward does not know is refused loudly rather than misread);
//!   none (older Composer) is fine.
//! - `content-hash` (the hash of `composer.json`'s relevant parts), `platform`, `platform-dev`
//!   (the project's platform requirements: `php`, `ext-*`, not packages), `aliases` (root
//!   branch aliases: `dev-main as 1.0.x-dev`), `stability-flags`, `minimum-stability`,
//!   `prefer-stable`, `prefer-lowest`, `platform-overrides`: change nothing in the graph, not
//!   read.
//!
//! # Scopes
//!
//! Composer writes the packages the project's `require` needs (transitively) to `packages`, and
//! those only its `require-dev` adds to `packages-dev`: the partition is the scope. `packages`
//! are [`Scope::Required`]; `packages-dev` are [`Scope::Excluded`], reached by
//! [`DependencyKind::Dev`], group `dev`.
//!
//! # Edges
//!
//! A `require` key `x` (lowercased) is resolved as Composer's solver sees the locked repository:
//! the locked packages named `x` if there are any, else those that `replace` or `provide` `x`
//! (`psr/log-implementation`, `symfony/polyfill-php80` replaced by `symfony/symfony`). Platform
//! requirements (`php`, `php-64bit`, `php-ipv6`, `php-zts`, `php-debug`, `hhvm`, `ext-*`,
//! `lib-*`, `composer`, `composer-plugin-api`, `composer-runtime-api`) are not packages: no
//! edge, no error. A name the project itself has, replaces or provides (`composer.json`) is
//! satisfied by the project: no edge. Any other miss is a
//! [`ResolveErrorKind::DanglingDependency`] in [`Resolved::errors`], with the line of the
//! requiring package's `name`.
//!
//! The same name twice (Composer never writes it) is kept, with a warning: both are packages of
//! the file, and an edge to the name goes to both. A name that more than 64 packages are,
//! replace or provide (only a crafted file has that) links nothing: each edge to it is a
//! [`ResolveErrorKind::AmbiguousDependency`]. Even so, thousands of packages each requiring
//! dozens of such names would make millions of edges: a file with more edges than it has bytes
//! (at least 65,536, at most 1,000,000) is refused ([`ResolveErrorKind::Format`], at the package
//! that crosses the limit), never linked in part.
//!
//! # Sources
//!
//! `composer.lock` does not record the repository a package came from, except through
//! `notification-url`, which Composer copies from the serving repository's `notify-batch`:
//!
//! - `dist.type` `path` (a `path` repository: a directory of the project): [`PackageSource::Path`]
//!   with the directory relative to the scanned root, first-party.
//! - `notification-url` `https://packagist.org/downloads/` (what packagist.org and the mirrors
//!   that keep its metadata write): packagist.org,
//!   [`PackageSource::default_registry`]`(Packagist)`, matched against advisories, whatever the
//!   dist URL (GitHub's API, codeload, GitLab, a mirror's own dist host) and with or without a
//!   `dist` (a metapackage has none).
//! - another `notification-url` (Private Packagist's `https://repo.packagist.com/ORG/downloads/`,
//!   a Satis or other Composer repository that sets `notify-batch`): a registry that is not
//!   packagist.org, named by that URL without its `downloads/`, not matched, with one warning
//!   per such repository. Private Packagist also proxies public packages, and a packagist.org
//!   mirror may rewrite `notify-batch`, but the lockfile does not say which: chainward does not
//!   guess.
//! - no `notification-url` (a `vcs`, `package` or `artifact` repository, or a Composer
//!   repository without `notify-batch`): a `git` source is [`PackageSource::Git`] at
//!   `source.reference`; otherwise a `dist` URL is a [`PackageSource::Tarball`]; an `hg` or `svn`
//!   source without a dist is a tarball of its URL; no URL at all (an inline metapackage, a
//!   hand-cut file) is a [`PackageSource::Path`] of the lockfile's directory: the lockfile
//!   records no source, so the package has no purl (a bare `pkg:composer/NAME@VERSION` would
//!   claim packagist.org's package) and is not first-party. None of these is matched.
//!
//! Versions stay as written: `dev-main` and other branch versions cannot be ordered against
//! advisory ranges (the matcher reports them as not evaluated when the package has advisories).
//!
//! # The project
//!
//! `composer.json` beside the lockfile, when present: its `require` and `require-dev` keys mark
//! the direct dependencies (resolved as edges are; a name the lockfile lacks is a warning: the
//! lock is out of date), and its `name` names the root component ([`RootComponent::Synthetic`],
//! the lockfile does not list the project itself), else the directory's name. Without it the
//! root depends on the packages nothing else requires. A `composer.json` that is not a JSON
//! object is an error in [`Resolved::errors`] (Composer refuses it too). It is read even with
//! [`ResolveOptions::lockfile_only`] (`scan`), because the names the project itself replaces or
//! provides decide whether an edge dangles (symfony projects replace the polyfills their
//! packages require); there a broken one is ignored.
//!
//! # Lines
//!
//! A package's span runs from the line of its `"name"` key (the line osv-scalibr reports;
//! Composer writes `name` first, just after the `{`) to the line of the object's closing brace.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use jsonc_parser::ast::{Array, Object, ObjectProp, Value};
use jsonc_parser::common::Ranged as _;
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::model::{Checksum, DependencyKind, Ecosystem, LineSpan, Package, PackageSource, RootComponent, Scope};
use crate::resolve::{LineIndex, ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::source::Source;

/// The file name this resolver claims.
pub const FILE_NAME: &str = "composer.lock";

/// How many packages one requirement may link to: Composer locks one package per name and
/// real virtual packages (`psr/log-implementation`) have a handful of providers; a file where a
/// name has more (N packages providing and requiring it: N² edges) is refused per edge, with an
/// error, rather than linked quadratically.
const MAX_CANDIDATES: usize = 64;

/// The `plugin-api-version` majors chainward reads, as the error message says them.
const SUPPORTED: &str = "1.x and 2.x (Composer 1.10 to 2), or none (older Composer)";

/// The resolver for `composer.lock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ComposerLockResolver;

impl Resolver for ComposerLockResolver {
    fn name(&self) -> &'static str {
        "composer"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == FILE_NAME)
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let lock_dir = super::cargo::parent_dir(path);
        let manifest_path =
            if lock_dir == "." { "composer.json".to_owned() } else { format!("{lock_dir}/composer.json") };
        let mut errors = Vec::new();
        let manifest = match source.read(&manifest_path) {
            Ok(b) => match Manifest::parse(&manifest_path, &b) {
                Ok(m) => Some(m),
                Err(e) => {
                    if !options.lockfile_only {
                        errors.push(e);
                    }
                    None
                }
            },
            Err(_) => None,
        };
        let mut resolved = parse(text, path, &lock_dir, manifest.as_ref())?;
        resolved.errors.splice(0..0, errors);
        let name = manifest
            .as_ref()
            .and_then(|m| m.name.clone())
            .or_else(|| super::dir_name(source, &lock_dir))
            .unwrap_or_else(|| "root".to_owned());
        if let RootComponent::Synthetic { name: root_name, .. } = &mut resolved.root {
            *root_name = name;
        }
        Ok(resolved)
    }
}

/// What `composer.json` tells: the project's name, its direct dependencies and the names it
/// satisfies itself.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// `name`, when it has one.
    pub name: Option<String>,
    /// `require` keys, as written.
    pub require: Vec<String>,
    /// `require-dev` keys, as written.
    pub require_dev: Vec<String>,
    /// The project's own name, `replace` and `provide` keys, lowercased.
    pub satisfies: HashSet<String>,
}

impl Manifest {
    /// Read a `composer.json` (`path` for messages).
    pub fn parse(path: &str, bytes: &[u8]) -> Result<Manifest, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let lines = LineIndex::new(text);
        let top = match document(text, path, &lines, "composer.json")? {
            Value::Object(o) => o,
            other => {
                return Err(ResolveError::new(
                    path,
                    Some(lines.line(other.start())),
                    ResolveErrorKind::Json(format!("composer.json is {}, not a JSON object", kind(&other))),
                ));
            }
        };
        let keys = |field: &str| -> Vec<String> {
            match get(&top, field).map(|p| &p.value) {
                Some(Value::Object(o)) => o.properties.iter().map(|p| p.name.as_str().to_owned()).collect(),
                _ => Vec::new(),
            }
        };
        let name = match get(&top, "name").map(|p| &p.value) {
            Some(Value::StringLit(s)) if !s.value.trim().is_empty() => Some(s.value.trim().to_owned()),
            _ => None,
        };
        let mut satisfies: HashSet<String> =
            keys("replace").into_iter().chain(keys("provide")).map(|n| n.to_ascii_lowercase()).collect();
        if let Some(n) = &name {
            satisfies.insert(n.to_ascii_lowercase());
        }
        Ok(Manifest { name, require: keys("require"), require_dev: keys("require-dev"), satisfies })
    }
}

/// Parse the JSON document of `text`: its top value, or the error with its line.
fn document<'t>(text: &'t str, path: &str, lines: &LineIndex, what: &str) -> Result<Value<'t>, ResolveError> {
    if text.starts_with('\u{feff}') {
        return Err(ResolveError::new(
            path,
            Some(1),
            ResolveErrorKind::Json(format!(
                "{what} starts with a byte-order mark, which Composer refuses: save it without one"
            )),
        ));
    }
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let ast = jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
        ResolveError::new(path, Some(lines.line(e.range().start)), ResolveErrorKind::Json(e.kind().to_string()))
    })?;
    ast.value.ok_or_else(|| {
        ResolveError::new(path, Some(1), ResolveErrorKind::Json(format!("{what} is empty, not a JSON object")))
    })
}

/// The member `name` of an object: the last one when the key repeats, as PHP's `json_decode`
/// keeps it.
fn get<'o, 't>(object: &'o Object<'t>, name: &str) -> Option<&'o ObjectProp<'t>> {
    object.properties.iter().rev().find(|p| p.name.as_str() == name)
}

/// `null`, `a string`, ... for messages.
fn kind(value: &Value<'_>) -> &'static str {
    match value {
        Value::StringLit(_) => "a string",
        Value::NumberLit(_) => "a number",
        Value::BooleanLit(_) => "a boolean",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::NullKeyword(_) => "null",
    }
}

/// Whether `name` (lowercased) is one of Composer's platform packages
/// (`PlatformRepository::PLATFORM_PACKAGE_REGEX`): the PHP runtime, its extensions and
/// libraries, Composer's own APIs. Not installable packages.
pub fn is_platform(name: &str) -> bool {
    if matches!(
        name,
        "php"
            | "php-64bit"
            | "php-ipv6"
            | "php-zts"
            | "php-debug"
            | "hhvm"
            | "composer"
            | "composer-plugin-api"
            | "composer-runtime-api"
    ) {
        return true;
    }
    name.strip_prefix("ext-").or_else(|| name.strip_prefix("lib-")).is_some_and(|rest| {
        rest.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    })
}

/// Per-package facts needed after the packages are built.
#[derive(Debug)]
struct Entry<'t> {
    /// `require` keys, as written.
    requires: Vec<&'t str>,
    /// The line of the package's `name`.
    line: usize,
}

/// Parse a `composer.lock` (`path` for messages, `lock_dir` its directory relative to the
/// scanned root, `.` for the root), with the `composer.json` beside it when there is one. The
/// root component is synthetic and named `root` (the resolver names it).
pub fn parse(text: &str, path: &str, lock_dir: &str, manifest: Option<&Manifest>) -> Result<Resolved, ResolveError> {
    let lines = LineIndex::new(text);
    let err = |offset: usize, kind: ResolveErrorKind| ResolveError::new(path, Some(lines.line(offset)), kind);
    let top = match document(text, path, &lines, "composer.lock")? {
        Value::Object(o) => o,
        other => {
            return Err(err(
                other.start(),
                ResolveErrorKind::Json(format!("composer.lock is {}, not a JSON object", kind(&other))),
            ));
        }
    };

    if let Some(prop) = get(&top, "plugin-api-version") {
        let supported = match &prop.value {
            Value::StringLit(s) => {
                let major = s.value.split('.').next().unwrap_or_default();
                matches!(major, "1" | "2")
            }
            _ => false,
        };
        if !supported {
            let written = text.get(prop.value.start()..prop.value.end()).unwrap_or("?");
            return Err(err(
                prop.value.start(),
                ResolveErrorKind::UnsupportedFormatVersion {
                    format: "composer.lock plugin-api-version",
                    version: written.to_owned(),
                    supported: SUPPORTED,
                },
            ));
        }
    }

    let Some(packages_prop) = get(&top, "packages") else {
        return Err(err(
            top.range.start,
            ResolveErrorKind::Format("no `packages` array: this is not a composer.lock".to_owned()),
        ));
    };
    let mut warnings = Vec::new();
    let lists: Vec<(&Array<'_>, bool)> = {
        let mut lists = vec![(array(packages_prop, &err)?, false)];
        match get(&top, "packages-dev") {
            // Composer 1 wrote `null` on `update --no-dev`: the file does not say what the dev
            // packages are (Composer 2 then refuses to install them).
            Some(dev) if matches!(dev.value, Value::NullKeyword(_)) => warnings.push(Warning {
                path: path.to_owned(),
                line: Some(lines.line(dev.range.start)),
                message: "`packages-dev` is null (written by `composer update --no-dev`): the dev packages are not in the lockfile and were not checked"
                    .to_owned(),
            }),
            Some(dev) => lists.push((array(dev, &err)?, true)),
            None => {}
        }
        lists
    };

    let mut packages: Vec<Package> = Vec::new();
    let mut entries: Vec<Entry<'_>> = Vec::new();
    // Lowercased name → the packages of that name; → the packages replacing or providing it.
    let mut named: HashMap<String, Vec<usize>> = HashMap::new();
    let mut standing_in: HashMap<String, Vec<usize>> = HashMap::new();
    let mut errors = Vec::new();

    for (list, dev) in lists {
        for item in &list.elements {
            let Value::Object(obj) = item else {
                return Err(err(
                    item.start(),
                    ResolveErrorKind::InvalidPackage(format!("a package must be an object, not {}", kind(item))),
                ));
            };
            let index = packages.len();
            let (package, entry, provides) = read_package(obj, dev, lock_dir, &lines, &err, &mut errors)?;
            let key = package.name.to_ascii_lowercase();
            let same = named.entry(key).or_default();
            if let Some(&first) = same.first() {
                let first_line = entries.get(first).map_or(0, |e| e.line);
                warnings.push(Warning {
                    path: path.to_owned(),
                    line: Some(entry.line),
                    message: format!(
                        "`{}` is locked twice (also at line {first_line}): Composer never writes that; both are kept",
                        package.name
                    ),
                });
            }
            same.push(index);
            for p in provides {
                standing_in.entry(p).or_default().push(index);
            }
            packages.push(package);
            entries.push(entry);
        }
    }

    // Packages of other Composer repositories are not matched: say so once per repository (a
    // mirror of packagist.org that rewrites `notify-batch` would otherwise scan as clean).
    let mut repositories: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for p in &packages {
        if let PackageSource::Registry { url, default_registry: false, .. } = &p.source {
            *repositories.entry(url.as_str()).or_default() += 1;
        }
    }
    for (url, count) in repositories {
        warnings.push(Warning {
            path: path.to_owned(),
            line: None,
            message: format!(
                "{count} package(s) come from the Composer repository `{url}` (their `notification-url`), not packagist.org: they are not matched against advisories"
            ),
        });
    }

    let satisfied_by_project = |name: &str| manifest.is_some_and(|m| m.satisfies.contains(name));
    let lookup = |name: &str| -> Option<&Vec<usize>> {
        named.get(name).filter(|v| !v.is_empty()).or_else(|| standing_in.get(name).filter(|v| !v.is_empty()))
    };
    // Count the edges before making them: many packages requiring names that many packages
    // replace or provide make quadratically many (see [`edge_budget`]).
    let budget = edge_budget(text.len());
    let mut total = 0usize;
    for entry in &entries {
        for &required in &entry.requires {
            let key = required.to_ascii_lowercase();
            if is_platform(&key) {
                continue;
            }
            let count = lookup(&key).map_or(0, Vec::len);
            if count <= MAX_CANDIDATES {
                total = total.saturating_add(count);
            }
        }
        if total > budget {
            return Err(ResolveError::new(
                path,
                Some(entry.line),
                ResolveErrorKind::Format(format!(
                    "more than {budget} dependency edges ({total} by this package): its packages require names that many packages are, replace or provide, which a lockfile Composer writes does not (at most one edge per byte of the file, 1,000,000 in all)"
                )),
            ));
        }
    }
    for (i, entry) in entries.iter().enumerate() {
        let mut deps = BTreeSet::new();
        for &required in &entry.requires {
            let key = required.to_ascii_lowercase();
            if is_platform(&key) {
                continue;
            }
            match lookup(&key) {
                Some(targets) if targets.len() > MAX_CANDIDATES => errors.push(ResolveError::new(
                    path,
                    Some(entry.line),
                    ResolveErrorKind::AmbiguousDependency {
                        package: packages.get(i).map(|p| format!("{} {}", p.name, p.version)).unwrap_or_default(),
                        dependency: required.to_owned(),
                        candidates: format!("{} packages (chainward links at most {MAX_CANDIDATES})", targets.len()),
                    },
                )),
                Some(targets) => deps.extend(targets.iter().copied().filter(|&t| t != i)),
                None if satisfied_by_project(&key) => {}
                None => errors.push(ResolveError::new(
                    path,
                    Some(entry.line),
                    ResolveErrorKind::DanglingDependency {
                        package: packages.get(i).map(|p| format!("{} {}", p.name, p.version)).unwrap_or_default(),
                        dependency: required.to_owned(),
                    },
                )),
            }
        }
        if let Some(p) = packages.get_mut(i) {
            p.dependencies = deps;
        }
    }

    let root = if let Some(m) = manifest {
        let mut depends_on = BTreeSet::new();
        for (names, field) in [(&m.require, "require"), (&m.require_dev, "require-dev")] {
            for name in names {
                let key = name.to_ascii_lowercase();
                if is_platform(&key) {
                    continue;
                }
                match lookup(&key) {
                    Some(targets) if targets.len() > MAX_CANDIDATES => warnings.push(Warning {
                        path: path.to_owned(),
                        line: None,
                        message: format!(
                            "composer.json `{field}` has `{name}`, which {} locked packages are, replace or provide: none is marked direct (chainward links at most {MAX_CANDIDATES})",
                            targets.len()
                        ),
                    }),
                    Some(targets) => {
                        for &t in targets {
                            depends_on.insert(t);
                            if let Some(p) = packages.get_mut(t) {
                                p.direct = true;
                            }
                        }
                    }
                    None if m.satisfies.contains(&key) => {}
                    None => warnings.push(Warning {
                        path: path.to_owned(),
                        line: None,
                        message: format!(
                            "composer.json `{field}` has `{name}`, which composer.lock does not lock: the lockfile is out of date (`composer update`)"
                        ),
                    }),
                }
            }
        }
        RootComponent::Synthetic { name: "root".to_owned(), depends_on }
    } else {
        let mut has_parent = vec![false; packages.len()];
        for p in &packages {
            for &j in &p.dependencies {
                if let Some(f) = has_parent.get_mut(j) {
                    *f = true;
                }
            }
        }
        let depends_on = has_parent.iter().enumerate().filter(|(_, has)| !**has).map(|(i, _)| i).collect();
        RootComponent::Synthetic { name: "root".to_owned(), depends_on }
    };

    Ok(Resolved { path: path.to_owned(), packages, root, warnings, errors })
}

/// How many dependency edges a file of `bytes` bytes may have: one a byte, at least 65,536 and
/// at most 1,000,000. A real lockfile has one per `require` entry (a few dozen bytes each); past
/// this, the file is refused with an error rather than linked (or cut short) silently.
fn edge_budget(bytes: usize) -> usize {
    bytes.clamp(65_536, 1_000_000)
}

/// The array value of `packages` / `packages-dev`, or the error.
fn array<'a, 't>(
    prop: &'a ObjectProp<'t>,
    err: &impl Fn(usize, ResolveErrorKind) -> ResolveError,
) -> Result<&'a Array<'t>, ResolveError> {
    match &prop.value {
        Value::Array(a) => Ok(a),
        other => Err(err(
            other.start(),
            ResolveErrorKind::Format(format!("`{}` must be an array, not {}", prop.name.as_str(), kind(other))),
        )),
    }
}

/// A string member of a package object: `None` when absent, an error when not a string.
fn string_field<'o>(
    obj: &'o Object<'_>,
    field: &str,
    label: &str,
    err: &impl Fn(usize, ResolveErrorKind) -> ResolveError,
) -> Result<Option<&'o str>, ResolveError> {
    match get(obj, field).map(|p| &p.value) {
        None => Ok(None),
        Some(Value::StringLit(s)) => Ok(Some(s.value.as_ref())),
        Some(other) => Err(err(
            other.start(),
            ResolveErrorKind::InvalidPackage(format!("{label}: `{field}` must be a string, not {}", kind(other))),
        )),
    }
}

/// The keys of a link member (`require`, `replace`, `provide`): an object of constraints, or
/// an empty array (PHP's empty array); absent is none.
fn link_keys<'o>(
    obj: &'o Object<'_>,
    field: &str,
    label: &str,
    err: &impl Fn(usize, ResolveErrorKind) -> ResolveError,
) -> Result<Vec<&'o str>, ResolveError> {
    match get(obj, field).map(|p| &p.value) {
        None => Ok(Vec::new()),
        Some(Value::Object(o)) => Ok(o.properties.iter().map(|p| p.name.as_str()).collect()),
        Some(Value::Array(a)) if a.elements.is_empty() => Ok(Vec::new()),
        Some(other) => Err(err(
            other.start(),
            ResolveErrorKind::InvalidPackage(format!(
                "{label}: `{field}` must be an object of package names and constraints, not {}",
                kind(other)
            )),
        )),
    }
}

/// One package object: the package, its entry, and the lowercased names it replaces or
/// provides. Per-entry problems that leave the package complete (a malformed shasum) go to
/// `errors`.
fn read_package<'o, 't>(
    obj: &'o Object<'t>,
    dev: bool,
    lock_dir: &str,
    lines: &LineIndex,
    err: &impl Fn(usize, ResolveErrorKind) -> ResolveError,
    errors: &mut Vec<ResolveError>,
) -> Result<(Package, Entry<'o>, Vec<String>), ResolveError> {
    let list = if dev { "packages-dev" } else { "packages" };
    let at = obj.range.start;
    let name_prop = get(obj, "name");
    let name = match name_prop.map(|p| &p.value) {
        Some(Value::StringLit(s)) if !s.value.trim().is_empty() => s.value.trim().to_owned(),
        Some(other) => {
            return Err(err(
                other.start(),
                ResolveErrorKind::InvalidPackage(format!("a `{list}` entry's `name` must be a non-empty string")),
            ));
        }
        None => {
            return Err(err(
                at,
                ResolveErrorKind::InvalidPackage(format!("a `{list}` entry has no `name` (Composer refuses it)")),
            ));
        }
    };
    let name_at = name_prop.map_or(at, |p| p.range.start);
    let label = format!("`{name}`");
    let version = match get(obj, "version").map(|p| &p.value) {
        Some(Value::StringLit(s)) if !s.value.trim().is_empty() => s.value.trim().to_owned(),
        Some(other) => {
            return Err(err(
                other.start(),
                ResolveErrorKind::InvalidPackage(format!("{label}: `version` must be a non-empty string")),
            ));
        }
        None => {
            return Err(err(
                name_at,
                ResolveErrorKind::InvalidPackage(format!("{label} has no `version` (Composer refuses it)")),
            ));
        }
    };
    let label = format!("`{name} {version}`");

    let sub_object = |field: &str| -> Result<Option<&'o Object<'t>>, ResolveError> {
        match get(obj, field).map(|p| &p.value) {
            None | Some(Value::NullKeyword(_)) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(other) => Err(err(
                other.start(),
                ResolveErrorKind::InvalidPackage(format!("{label}: `{field}` must be an object, not {}", kind(other))),
            )),
        }
    };
    let source = sub_object("source")?;
    let dist = sub_object("dist")?;
    let source_type = source.map(|s| string_field(s, "type", &label, err)).transpose()?.flatten();
    let source_url = source.map(|s| string_field(s, "url", &label, err)).transpose()?.flatten();
    let source_ref = source.map(|s| string_field(s, "reference", &label, err)).transpose()?.flatten();
    let dist_type = dist.map(|d| string_field(d, "type", &label, err)).transpose()?.flatten();
    let dist_url = dist.map(|d| string_field(d, "url", &label, err)).transpose()?.flatten();
    let shasum_prop = dist.and_then(|d| get(d, "shasum"));
    let shasum = dist.map(|d| string_field(d, "shasum", &label, err)).transpose()?.flatten();
    let notification = string_field(obj, "notification-url", &label, err)?;

    let package_source = if dist_type == Some("path") {
        PackageSource::Path { dir: super::node::join_dir(lock_dir, dist_url.unwrap_or(".")) }
    } else if let Some(url) = notification {
        if is_packagist_notification(url) {
            PackageSource::default_registry(Ecosystem::Packagist)
        } else {
            PackageSource::Registry { url: registry_of_notification(url), sparse: false, default_registry: false }
        }
    } else {
        match (source_type, source_url, dist_url) {
            (Some("git"), Some(url), _) if !url.is_empty() => PackageSource::Git {
                url: url.to_owned(),
                reference: None,
                commit: source_ref.filter(|r| !r.is_empty()).map(str::to_owned),
            },
            (_, _, Some(url)) | (Some(_), Some(url), _) if !url.is_empty() => {
                PackageSource::Tarball { url: url.to_owned() }
            }
            _ => PackageSource::Path { dir: lock_dir.to_owned() },
        }
    };

    let mut package = Package::new(Ecosystem::Packagist, name, version, package_source);
    package.first_party = dist_type == Some("path");
    if let Some(sum) = shasum.map(str::trim).filter(|s| !s.is_empty()) {
        match Checksum::from_hex("sha1", sum) {
            Some(c) => package.checksums.push(c),
            None => errors.push(err(
                shasum_prop.map_or(at, |p| p.range.start),
                ResolveErrorKind::InvalidPackage(format!(
                    "{label}: `dist.shasum` `{sum}` is not 40 hex digits (SHA-1); Composer would refuse the download"
                )),
            )),
        }
    }
    if dev {
        package.scope = Some(Scope::Excluded);
        package.reached_by.insert(DependencyKind::Dev);
        package.groups = vec!["dev".to_owned()];
    } else {
        package.scope = Some(Scope::Required);
    }
    package.lines = Some(LineSpan { start: lines.line(name_at), end: lines.line(obj.range.end.saturating_sub(1)) });

    // Metadata: malformed values are left out.
    let text_of = |field: &str| match get(obj, field).map(|p| &p.value) {
        Some(Value::StringLit(s)) if !s.value.trim().is_empty() => Some(s.value.trim().to_owned()),
        _ => None,
    };
    package.meta.description = text_of("description");
    package.meta.homepage = text_of("homepage");
    package.meta.repository = source_url.map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
    package.meta.license = match get(obj, "license").map(|p| &p.value) {
        Some(Value::StringLit(s)) if !s.value.trim().is_empty() => Some(s.value.trim().to_owned()),
        Some(Value::Array(a)) => {
            let ids: Vec<&str> = a
                .elements
                .iter()
                .filter_map(|v| match v {
                    Value::StringLit(s) if !s.value.trim().is_empty() => Some(s.value.trim()),
                    _ => None,
                })
                .collect();
            match ids.as_slice() {
                [] => None,
                [one] => Some((*one).to_owned()),
                many => Some(many.join(" OR ")),
            }
        }
        _ => None,
    };
    if let Some(Value::Array(authors)) = get(obj, "authors").map(|p| &p.value) {
        for author in &authors.elements {
            let Value::Object(a) = author else { continue };
            let field = |f: &str| match get(a, f).map(|p| &p.value) {
                Some(Value::StringLit(s)) if !s.value.trim().is_empty() => Some(s.value.trim()),
                _ => None,
            };
            match (field("name"), field("email")) {
                (Some(n), Some(e)) => package.meta.authors.push(format!("{n} <{e}>")),
                (Some(n), None) => package.meta.authors.push(n.to_owned()),
                (None, Some(e)) => package.meta.authors.push(format!("<{e}>")),
                (None, None) => {}
            }
        }
    }

    let requires = link_keys(obj, "require", &label, err)?;
    let mut provides: Vec<String> = link_keys(obj, "replace", &label, err)?
        .into_iter()
        .chain(link_keys(obj, "provide", &label, err)?)
        .map(str::to_ascii_lowercase)
        .collect();
    provides.sort_unstable();
    provides.dedup();
    // Check the type of `require-dev` (not read: a locked package's dev requirements are not
    // installed).
    link_keys(obj, "require-dev", &label, err)?;
    Ok((package, Entry { requires, line: lines.line(name_at) }, provides))
}

/// Whether a `notification-url` is packagist.org's (`https://packagist.org/downloads/`).
fn is_packagist_notification(url: &str) -> bool {
    let rest = url.trim().strip_prefix("https://").or_else(|| url.trim().strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let rest = rest.to_ascii_lowercase();
    let rest = rest.strip_prefix("www.").unwrap_or(&rest);
    matches!(rest, "packagist.org/downloads/" | "packagist.org/downloads")
}

/// The repository a non-packagist.org `notification-url` names: the URL without its final
/// `downloads/` (`https://repo.packagist.com/acme/downloads/` → `https://repo.packagist.com/acme/`).
fn registry_of_notification(url: &str) -> String {
    let url = url.trim();
    url.strip_suffix("downloads/").or_else(|| url.strip_suffix("downloads")).unwrap_or(url).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(packages: &str, dev: &str) -> String {
        format!("{{\n\"content-hash\": \"x\",\n\"packages\": [{packages}],\n\"packages-dev\": [{dev}]\n}}\n")
    }

    fn parsed(text: &str) -> Resolved {
        parse(text, "composer.lock", ".", None).unwrap()
    }

    #[test]
    fn platform_names_are_composers() {
        for name in ["php", "php-64bit", "hhvm", "ext-json", "ext-pdo_sqlite", "lib-icu-uc", "composer-runtime-api"] {
            assert!(is_platform(name), "{name}");
        }
        for name in ["psr/log", "ext-", "phpunit/phpunit", "extension", "lib-/x", "php-foo"] {
            assert!(!is_platform(name), "{name}");
        }
    }

    #[test]
    fn notification_urls_tell_packagist_from_others() {
        assert!(is_packagist_notification("https://packagist.org/downloads/"));
        assert!(is_packagist_notification("http://packagist.org/downloads/"));
        assert!(!is_packagist_notification("https://repo.packagist.com/acme/downloads/"));
        assert!(!is_packagist_notification("https://packagist.org.evil.example/downloads/"));
        assert_eq!(
            registry_of_notification("https://repo.packagist.com/acme/downloads/"),
            "https://repo.packagist.com/acme/"
        );
    }

    #[test]
    fn replace_and_provide_satisfy_edges_and_case_does_not_matter() {
        let text = lock(
            r#"{"name": "a/a", "version": "1.0.0", "require": {"PSR/Log-Implementation": "1.0", "php": ">=8", "b/b": "*", "ext-json": "*"}, "notification-url": "https://packagist.org/downloads/"},
               {"name": "B/B", "version": "2.0.0", "provide": {"psr/log-implementation": "1.0"}, "replace": {"c/c": "self.version"}}"#,
            r#"{"name": "d/d", "version": "dev-main", "require": {"c/c": "*"}}"#,
        );
        let r = parsed(&text);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.packages.len(), 3);
        assert_eq!(r.packages[0].dependencies.iter().copied().collect::<Vec<_>>(), vec![1]);
        assert_eq!(r.packages[2].dependencies.iter().copied().collect::<Vec<_>>(), vec![1]);
        assert_eq!(r.packages[2].scope, Some(Scope::Excluded));
        assert_eq!(r.packages[2].groups, vec!["dev".to_owned()]);
        assert!(r.packages[0].source.is_default_registry());
        assert!(!r.packages[1].source.is_default_registry());
        // Without a manifest the root depends on what nothing requires.
        let RootComponent::Synthetic { depends_on, .. } = &r.root else { panic!() };
        assert_eq!(depends_on.iter().copied().collect::<Vec<_>>(), vec![0, 2]);
    }

    #[test]
    fn a_missing_target_is_a_dangling_edge_unless_the_project_satisfies_it() {
        let text = lock(r#"{"name": "a/a", "version": "1.0.0", "require": {"x/virtual": "1.0"}}"#, "");
        let r = parsed(&text);
        assert_eq!(r.errors.len(), 1);
        assert!(matches!(r.errors[0].kind, ResolveErrorKind::DanglingDependency { .. }));
        assert_eq!(r.errors[0].line, Some(3));
        let manifest =
            Manifest::parse("composer.json", br#"{"name": "me/app", "provide": {"x/virtual": "1.0"}}"#).unwrap();
        let r = parse(&text, "composer.lock", ".", Some(&manifest)).unwrap();
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }

    #[test]
    fn a_name_with_too_many_providers_is_an_error_not_quadratic() {
        let one = r#"{"name": "p/NUM", "version": "1.0.0", "provide": {"v/x": "1"}, "require": {"v/x": "1"}}"#;
        let many: Vec<String> = (0..=MAX_CANDIDATES).map(|i| one.replace("NUM", &i.to_string())).collect();
        let r = parsed(&lock(&many.join(",\n"), ""));
        assert_eq!(r.errors.len(), MAX_CANDIDATES + 1);
        assert!(matches!(r.errors[0].kind, ResolveErrorKind::AmbiguousDependency { .. }), "{}", r.errors[0]);
        assert!(r.packages.iter().all(|p| p.dependencies.is_empty()));
        let few: Vec<String> = (0..3).map(|i| one.replace("NUM", &i.to_string())).collect();
        let r = parsed(&lock(&few.join(",\n"), ""));
        assert!(r.errors.is_empty());
        assert_eq!(
            r.packages[0].dependencies.iter().copied().collect::<Vec<_>>(),
            vec![1, 2],
            "to the other providers"
        );
    }

    #[test]
    fn bad_shasum_is_an_entry_error_and_a_good_one_is_sha1() {
        let good = "A".repeat(40);
        let text = lock(
            &format!(
                r#"{{"name": "a/a", "version": "1.0.0", "dist": {{"type": "zip", "url": "https://x/a.zip", "shasum": "{good}"}}}},
                   {{"name": "b/b", "version": "1.0.0", "dist": {{"type": "zip", "url": "https://x/b.zip", "shasum": "abc"}}}}"#
            ),
            "",
        );
        let r = parsed(&text);
        assert_eq!(r.packages[0].checksums, vec![Checksum::Sha1("a".repeat(40))]);
        assert!(r.packages[1].checksums.is_empty());
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].to_string().contains("SHA-1"), "{}", r.errors[0]);
    }

    #[test]
    fn plugin_api_versions() {
        for ok in ["\"1.1.0\"", "\"2.6.0\""] {
            let text = format!("{{\"packages\": [], \"plugin-api-version\": {ok}}}");
            assert!(parse(&text, "composer.lock", ".", None).is_ok(), "{ok}");
        }
        for bad in ["\"3.0.0\"", "2"] {
            let text = format!("{{\"packages\": [],\n\"plugin-api-version\": {bad}}}");
            let e = parse(&text, "composer.lock", ".", None).unwrap_err();
            assert_eq!(e.line, Some(2));
            assert!(matches!(e.kind, ResolveErrorKind::UnsupportedFormatVersion { .. }), "{e}");
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn structural_errors_name_the_line() {
        for (text, line) in [
            ("", 1),
            ("null", 1),
            ("[]", 1),
            ("{}", 1),
            ("{\n\"packages\": {}\n}", 2),
            ("{\n\"packages\": [\n1\n]}", 3),
            ("{\n\"packages\": [\n{\"version\": \"1\"}\n]}", 3),
            ("{\n\"packages\": [\n{\"name\": \"a/a\"}\n]}", 3),
            ("{\n\"packages\": [],\n}", 2),
            ("\u{feff}{\"packages\": []}", 1),
        ] {
            let e = parse(text, "composer.lock", ".", None).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert_eq!(e.path, "composer.lock");
        }
    }
}
