//! bun's lockfiles: the text `bun.lock` (read) and the binary `bun.lockb` (refused, loudly).
//!
//! # `bun.lockb`
//!
//! bun ≤ 1.1 wrote a binary lockfile whose layout is bun's in-memory structures; chainward does
//! not read it. Resolving one is an error ([`ResolveErrorKind::Format`]) that says what to do:
//! `bun install --save-text-lockfile` (bun ≥ 1.1.39) writes a `bun.lock` beside it, and bun ≥ 1.2
//! writes `bun.lock` by default. Never a silent skip.
//!
//! # `bun.lock`
//!
//! JSON with trailing commas (bun writes them after every member; its parser also accepts
//! comments, so chainward does too; nothing else beyond JSON). The fields read:
//!
//! - `lockfileVersion`: 0 (bun 1.1.39 and 1.1.40, the first text lockfiles: a workspace
//!   member's `packages` tuple still carries a dependencies object), 1 (from late bun 1.1
//!   through 1.3: member tuples are `["name@workspace:path"]` only, their dependencies live in
//!   `workspaces`), 2 (what bun 1.4 writes for a new lockfile: the same content, parsed more
//!   strictly: an off-registry npm tarball must carry an integrity, a git `.bun-tag` must be a
//!   safe path component) and 3 (bun 1.4 with scoped overrides: `overrides` values may be
//!   objects). bun 1.4 keeps an existing file's version when it rewrites it. Anything else is
//!   [`ResolveErrorKind::UnsupportedFormatVersion`] with its line. `configVersion` (the linker
//!   default, bun ≥ 1.3) does not change the content and is ignored.
//! - `workspaces`: `""` is the root project (`name`, `dependencies`, `devDependencies`,
//!   `optionalDependencies`, `peerDependencies`, `optionalPeers`); every other key is a member's
//!   directory (`"packages/x"`) with its `name`, optional `version` and dependencies. The root
//!   and the members are first-party `Path` packages; the root is [`RootComponent::Package`].
//! - `packages`: keyed by install path, as bun's hoisted `node_modules` tree has it: `"lodash"`
//!   at the top, `"parent/lodash"` nested under `parent` when hoisting conflicts, scoped names as
//!   one segment (`"@s/a"`, `"@s/a/@t/b"`), and `"member/lodash"` for a member's own copy. The
//!   key's last segment is the name it is installed under; the tuple's first element
//!   `name@resolution` names the real package (an alias when the two differ). The tuple's
//!   shape depends on the resolution:
//!   - npm: `["name@1.2.3", "registry tarball URL or \"\" for the default", INFO, "sha512-…"]`;
//!   - `["name@file:dir", INFO]` (folder), `["name@link:dir", INFO]` (symlink): `Path`;
//!   - `["name@https://host/x.tgz", INFO, integrity?]`: `Tarball`; a local archive
//!     (`name@./x.tgz`) is a `Path`;
//!   - `["name@git+URL#commit", INFO, "commit", integrity?]` and
//!     `["name@github:owner/repo#sha", INFO, "owner-repo-sha", integrity?]`: `Git`, with the
//!     commit from the fragment (github: abbreviated, as bun records it) or the git `.bun-tag`;
//!     the version is unknown (`""`);
//!   - `["name@workspace:packages/x"]` (v0: `[…, INFO]`): the member of that directory, not a
//!     package of its own (an unknown directory is an error, as in bun ≥ 1.2);
//!   - `["name@root:", { bin }]`: the root project itself (a self-reference).
//!
//!   `INFO` holds `dependencies`, `optionalDependencies`, `peerDependencies` (with
//!   `optionalPeers`), `bin`, `os`, `cpu` and `bundled: true` (the package ships inside its
//!   parent's tarball).
//! - `trustedDependencies`: installed names whose lifecycle scripts bun runs. bun.lock does
//!   not record whether a package has install scripts, so a trusted package gets
//!   `install_script = Some(true)` (its scripts do run on install) and the others `None`.
//! - `overrides`, `patchedDependencies`, `catalog(s)`: already applied to the resolved packages
//!   (the tuples name what was installed); not needed for the graph, not read.
//!
//! # Edges
//!
//! As bun resolves them when it loads the file (`bun.lock.zig`, `parseIntoBinaryLockfile`):
//!
//! - the root's dependency `d` is the entry keyed `d`;
//! - a member's dependency `d` is `"<member name>/d"` if present, else `d`;
//! - a package's dependency `d` is looked up Node-style from the package's key `p`: `p/d`, then
//!   `parent(p)/d`, …, then `d`;
//! - the root also depends on every member (bun adds one workspace edge per member).
//!
//! An optional or peer dependency that resolves nowhere is fine (a platform package not
//! installed, a peer left to the consumer: bun ≥ 1.3 accepts both); any other miss is a
//! [`ResolveErrorKind::DanglingDependency`] with the line of the package's key. Recent bun binds
//! non-optional peers by version among same-named packages before the path walk; chainward
//! uses the path walk for them (the tree bun printed), which is the same package whenever the
//! hoisted copy satisfies the peer range.
//!
//! Scopes come from the declared kinds ([`node::apply_scopes`]): `dependencies` and
//! non-optional `peerDependencies` are normal, `optionalDependencies` and optional peers are
//! optional, the root's and members' `devDependencies` are dev.
//!
//! Lines: a package's span runs from the line of its key in `packages` to the end of its tuple;
//! the root's and a member's from their key in `workspaces` to the end of their object.

use std::collections::HashMap;
use std::path::Path;

use jsonc_parser::ast::{Array, Object, ObjectProp, Value};
use jsonc_parser::common::Ranged as _;
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::model::{Checksum, DependencyKind, Ecosystem, LineSpan, Package, PackageSource, RootComponent};
use crate::resolve::node::{self, Edge};
use crate::resolve::{LineIndex, ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::source::Source;

/// The `bun.lock` versions chainward reads, as the error message says them.
const SUPPORTED: &str = "0 to 3";

/// The resolver for `bun.lock` (and the refusal of `bun.lockb`).
#[derive(Debug, Clone, Copy, Default)]
pub struct BunLockResolver;

impl Resolver for BunLockResolver {
    fn name(&self) -> &'static str {
        "bun"
    }

    fn claims(&self, path: &Path) -> bool {
        node::claims_named(path, &["bun.lock", "bun.lockb"])
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        if path.rsplit('/').next().is_some_and(|n| n == "bun.lockb") {
            return Err(binary_lockfile_error(path));
        }
        let text = super::utf8(path, bytes)?;
        let lock_dir = path.rsplit_once('/').map_or(".", |(dir, _)| dir);
        let mut resolved = parse(text, path, lock_dir)?;
        // bun does not record the root project's version (nor its name when package.json has
        // none): package.json has them, unless only the lockfile is read.
        let manifest = if options.lockfile_only {
            None
        } else {
            let manifest = if lock_dir == "." { "package.json".to_owned() } else { format!("{lock_dir}/package.json") };
            source.read(&manifest).ok().and_then(|b| node::PackageJson::parse(&b).ok())
        };
        if let Some(root) = resolved.packages.first_mut() {
            if root.name.is_empty() {
                root.name = root_name(source, lock_dir, manifest.as_ref());
            }
            if let Some(version) = manifest.as_ref().and_then(|m| m.version.as_ref()) {
                root.version.clone_from(version);
            }
        }
        Ok(resolved)
    }
}

/// The error for a binary `bun.lockb`.
fn binary_lockfile_error(path: &str) -> ResolveError {
    ResolveError::new(
        path,
        None,
        ResolveErrorKind::Format(
            "bun's binary lockfile `bun.lockb` cannot be read: run `bun install --save-text-lockfile` \
             (bun 1.1.39 or later) to write the text lockfile `bun.lock` beside it (bun 1.2 and later \
             write `bun.lock` by default), then scan again"
                .to_owned(),
        ),
    )
}

/// The root project's name when `workspaces[""]` has none: `package.json`'s `name`, else the
/// lockfile directory's name, else `root`.
fn root_name(source: &dyn Source, lock_dir: &str, manifest: Option<&node::PackageJson>) -> String {
    if let Some(name) = manifest.and_then(|m| m.name.as_ref()).filter(|n| !n.is_empty()) {
        return name.clone();
    }
    crate::resolve::dir_name(source, lock_dir).unwrap_or_else(|| "root".to_owned())
}

/// One declared dependency: the name looked up and how it was declared.
#[derive(Debug, Clone, Copy)]
struct Declared<'t> {
    name: &'t str,
    kind: DependencyKind,
    /// Optional or peer: may resolve nowhere.
    may_miss: bool,
}

/// How a package's dependencies are looked up.
#[derive(Debug, Clone, Copy)]
enum Lookup<'t> {
    /// The root: `d`.
    Root,
    /// A member named `name`: `name/d`, else `d`.
    Member(&'t str),
    /// A `packages` entry keyed `key`: Node-style from the key.
    Key(&'t str),
}

/// Per-package facts needed after the packages are built.
#[derive(Debug)]
struct Entry<'t> {
    lookup: Lookup<'t>,
    deps: Vec<Declared<'t>>,
    /// The line errors about this package's dependencies point at.
    line: usize,
}

/// Parse a `bun.lock` (`path` for messages, `lock_dir` its directory relative to the scanned
/// root, `.` for the root). The root package's name is `""` when `workspaces[""]` names none.
pub fn parse(text: &str, path: &str, lock_dir: &str) -> Result<Resolved, ResolveError> {
    // A byte-order mark (an editor's) is not JSON; it does not move any line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = LineIndex::new(text);
    let err = |offset: usize, kind: ResolveErrorKind| ResolveError::new(path, Some(lines.line(offset)), kind);
    let options = ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: false,
        allow_trailing_commas: true,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let ast = jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options)
        .map_err(|e| err(e.range().start, ResolveErrorKind::Json(e.kind().to_string())))?;
    let Some(Value::Object(top)) = ast.value.as_ref() else {
        return Err(ResolveError::new(
            path,
            Some(1),
            ResolveErrorKind::Json("bun.lock is not a JSON object".to_owned()),
        ));
    };

    // lockfileVersion
    let Some(version_prop) = top.get("lockfileVersion") else {
        return Err(ResolveError::new(
            path,
            Some(1),
            ResolveErrorKind::Format("no `lockfileVersion`: this is not a bun.lock".to_owned()),
        ));
    };
    let version_text = text.get(version_prop.value.start()..version_prop.value.end()).unwrap_or("?");
    let version: u32 = match &version_prop.value {
        Value::NumberLit(n) => n.value.parse().ok().filter(|v| *v <= 3),
        _ => None,
    }
    .ok_or_else(|| {
        err(
            version_prop.value.start(),
            ResolveErrorKind::UnsupportedFormatVersion {
                format: "bun.lock lockfileVersion",
                version: version_text.to_owned(),
                supported: SUPPORTED,
            },
        )
    })?;

    let span = |prop: &ObjectProp<'_>| LineSpan {
        start: lines.line(prop.range.start),
        end: lines.line(prop.range.end.saturating_sub(1)),
    };

    // trustedDependencies
    let mut trusted: Vec<&str> = Vec::new();
    if let Some(prop) = top.get("trustedDependencies") {
        let Value::Array(list) = &prop.value else {
            return Err(err(
                prop.value.start(),
                ResolveErrorKind::InvalidPackage("`trustedDependencies` must be an array of names".to_owned()),
            ));
        };
        for item in &list.elements {
            let Value::StringLit(s) = item else {
                return Err(err(
                    item.start(),
                    ResolveErrorKind::InvalidPackage("`trustedDependencies` must be an array of names".to_owned()),
                ));
            };
            trusted.push(s.value.as_ref());
        }
    }

    // workspaces
    let Some(workspaces_prop) = top.get("workspaces") else {
        return Err(ResolveError::new(
            path,
            Some(1),
            ResolveErrorKind::Format("no `workspaces` object: this is not a bun.lock".to_owned()),
        ));
    };
    let workspaces = object(&workspaces_prop.value, "`workspaces`", &err)?;

    let mut packages: Vec<Package> = Vec::new();
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut keys: HashMap<&str, usize> = HashMap::new();
    // Member directory → package index.
    let mut member_dirs: HashMap<&str, usize> = HashMap::new();

    let Some(root_prop) = workspaces.properties.iter().find(|p| p.name.as_str().is_empty()) else {
        return Err(err(
            workspaces_prop.range.start,
            ResolveErrorKind::Format("`workspaces` has no root project (the `\"\"` key)".to_owned()),
        ));
    };
    {
        let obj = object(&root_prop.value, "the root workspace", &err)?;
        let name = optional_string(obj, "name", &err)?.unwrap_or_default();
        let mut root = Package::new(
            Ecosystem::Npm,
            name.to_owned(),
            String::new(),
            PackageSource::Path { dir: lock_dir.to_owned() },
        );
        root.first_party = true;
        root.lines = Some(span(root_prop));
        packages.push(root);
        entries.push(Entry {
            lookup: Lookup::Root,
            deps: declared(obj, &err)?,
            line: lines.line(root_prop.range.start),
        });
    }
    for prop in &workspaces.properties {
        let dir = prop.name.as_str();
        if dir.is_empty() {
            if !std::ptr::eq(prop, root_prop) {
                return Err(err(
                    prop.range.start,
                    ResolveErrorKind::Format("`workspaces` has two root projects".to_owned()),
                ));
            }
            continue;
        }
        let obj = object(&prop.value, &format!("workspace `{dir}`"), &err)?;
        let Some(name) = optional_string(obj, "name", &err)?.filter(|n| !n.is_empty()) else {
            return Err(err(
                prop.range.start,
                ResolveErrorKind::InvalidPackage(format!("workspace `{dir}` has no `name`")),
            ));
        };
        let version = optional_string(obj, "version", &err)?.unwrap_or_default();
        let mut member = Package::new(
            Ecosystem::Npm,
            name.to_owned(),
            version.to_owned(),
            PackageSource::Path { dir: node::join_dir(lock_dir, dir) },
        );
        member.first_party = true;
        member.lines = Some(span(prop));
        let index = packages.len();
        if keys.insert(name, index).is_some() {
            return Err(err(prop.range.start, ResolveErrorKind::DuplicatePackage(format!("workspace name `{name}`"))));
        }
        member_dirs.insert(dir, index);
        packages.push(member);
        entries.push(Entry {
            lookup: Lookup::Member(name),
            deps: declared(obj, &err)?,
            line: lines.line(prop.range.start),
        });
    }
    let members = packages.len();

    // packages
    let mut warnings = Vec::new();
    if let Some(packages_prop) = top.get("packages") {
        let list = object(&packages_prop.value, "`packages`", &err)?;
        for prop in &list.properties {
            let key = prop.name.as_str();
            let at = prop.range.start;
            let bad =
                |offset: usize, what: String| err(offset, ResolveErrorKind::InvalidPackage(format!("`{key}`: {what}")));
            let installed = installed_name(key).ok_or_else(|| bad(at, "not a package path".to_owned()))?;
            let Value::Array(tuple) = &prop.value else {
                return Err(bad(prop.value.start(), "a package entry must be an array".to_owned()));
            };
            let Some(Value::StringLit(spec)) = tuple.elements.first() else {
                return Err(bad(
                    prop.value.start(),
                    "the first element of a package entry must be the string `name@resolution`".to_owned(),
                ));
            };
            let spec = spec.value.as_ref();
            let (name, resolution) =
                split_name(spec).ok_or_else(|| bad(at, format!("`{spec}` is not `name@resolution`")))?;
            let duplicate = || err(at, ResolveErrorKind::DuplicatePackage(format!("packages key `{key}`")));

            if resolution.starts_with("root:") {
                if keys.insert(key, 0).is_some() {
                    return Err(duplicate());
                }
                continue;
            }
            if let Some(dir) = resolution.strip_prefix("workspace:") {
                let index = if let Some(&index) = member_dirs.get(dir) {
                    index
                } else if version == 0 {
                    // v0 lists a member by its tuple; one the `workspaces` object lacks is
                    // still a member.
                    let mut member = Package::new(
                        Ecosystem::Npm,
                        name.to_owned(),
                        String::new(),
                        PackageSource::Path { dir: node::join_dir(lock_dir, dir) },
                    );
                    member.first_party = true;
                    member.lines = Some(span(prop));
                    let index = packages.len();
                    member_dirs.insert(dir, index);
                    packages.push(member);
                    entries.push(Entry { lookup: Lookup::Key(key), deps: Vec::new(), line: lines.line(at) });
                    index
                } else {
                    return Err(bad(at, format!("unknown workspace `{dir}` (not a key of `workspaces`)")));
                };
                match keys.get(key) {
                    Some(&existing) if existing != index => return Err(duplicate()),
                    Some(_) => {}
                    None => {
                        keys.insert(key, index);
                    }
                }
                // v0 repeats the member's dependencies in its tuple.
                if let Some(Value::Object(info)) = tuple.elements.get(1)
                    && let Some(entry) = entries.get_mut(index)
                {
                    entry.deps.extend(declared(info, &err)?);
                }
                continue;
            }

            let element = |i: usize| tuple.elements.get(i);
            let missing = |what: &str| bad(prop.value.end().saturating_sub(1), format!("the entry has no {what}"));
            let info_at = |i: usize| -> Result<&Object<'_>, ResolveError> {
                match element(i) {
                    Some(Value::Object(o)) => Ok(o),
                    Some(other) => Err(bad(other.start(), "the dependencies element must be an object".to_owned())),
                    None => Err(missing("dependencies object")),
                }
            };
            let string_at = |i: usize, what: &str| -> Result<Option<&str>, ResolveError> {
                match element(i) {
                    Some(Value::StringLit(s)) => Ok(Some(s.value.as_ref())),
                    Some(other) => Err(bad(other.start(), format!("the {what} must be a string"))),
                    None => Ok(None),
                }
            };
            let (source, version_text, info, integrity) =
                if let Some(dir) = resolution.strip_prefix("file:").or_else(|| resolution.strip_prefix("link:")) {
                    (PackageSource::Path { dir: node::join_dir(lock_dir, dir) }, "", info_at(1)?, None)
                } else if resolution.starts_with("github:") || is_git(resolution) {
                    let tag = string_at(2, "git tag")?.ok_or_else(|| missing("git tag"))?;
                    (git_source(resolution, tag), "", info_at(1)?, string_at(3, "integrity")?)
                } else if resolution.starts_with("http://") || resolution.starts_with("https://") {
                    (PackageSource::Tarball { url: resolution.to_owned() }, "", info_at(1)?, string_at(2, "integrity")?)
                } else if is_archive(resolution) {
                    let local = resolution.strip_prefix("file:").unwrap_or(resolution);
                    (
                        PackageSource::Path { dir: node::join_dir(lock_dir, local) },
                        "",
                        info_at(1)?,
                        string_at(2, "integrity")?,
                    )
                } else if is_version(resolution) {
                    let registry = string_at(1, "registry")?.ok_or_else(|| missing("registry"))?;
                    let integrity = string_at(3, "integrity")?.ok_or_else(|| missing("integrity"))?;
                    (node::source_of(Some(registry), name, lock_dir), resolution, info_at(2)?, Some(integrity))
                } else {
                    return Err(bad(at, format!("`{spec}`: `{resolution}` is not a version or a known resolution")));
                };

            let mut package = Package::new(Ecosystem::Npm, name.to_owned(), version_text.to_owned(), source);
            if installed != name {
                package.alias = Some(installed.to_owned());
            }
            package.lines = Some(span(prop));
            if let Some(integrity) = integrity.filter(|i| !i.trim().is_empty()) {
                match Checksum::from_sri(integrity) {
                    Ok(checksums) => package.checksums = checksums,
                    Err(why) => warnings.push(Warning {
                        path: path.to_owned(),
                        line: Some(lines.line(at)),
                        message: format!("`{key}`: integrity ignored ({why}), as bun does"),
                    }),
                }
            }
            if trusted.contains(&installed) {
                package.install_script = Some(true);
            }
            if let Some(flag) = info.get("bundled") {
                match &flag.value {
                    Value::BooleanLit(b) => package.bundled = b.value,
                    other => return Err(bad(other.start(), "`bundled` must be true or false".to_owned())),
                }
            }
            let index = packages.len();
            if keys.insert(key, index).is_some() {
                return Err(duplicate());
            }
            packages.push(package);
            entries.push(Entry { lookup: Lookup::Key(key), deps: declared(info, &err)?, line: lines.line(at) });
        }
    }

    // Edges.
    let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); packages.len()];
    let mut candidate = String::new();
    for (from, entry) in entries.iter().enumerate() {
        let Some(out) = edges.get_mut(from) else { continue };
        if matches!(entry.lookup, Lookup::Root) {
            out.extend((1..members).map(|to| Edge { to, kind: DependencyKind::Normal }));
        }
        for dep in &entry.deps {
            let found = match entry.lookup {
                Lookup::Root => keys.get(dep.name).copied(),
                Lookup::Member(member) => {
                    candidate.clear();
                    candidate.push_str(member);
                    candidate.push('/');
                    candidate.push_str(dep.name);
                    keys.get(candidate.as_str()).or_else(|| keys.get(dep.name)).copied()
                }
                Lookup::Key(key) => find_resolution(&keys, key, dep.name, &mut candidate),
            };
            match found {
                Some(to) => out.push(Edge { to, kind: dep.kind }),
                None if dep.may_miss => {}
                None => {
                    let package = packages.get(from).map_or_else(String::new, |p| describe(p, entry.lookup));
                    return Err(ResolveError::new(
                        path,
                        Some(entry.line),
                        ResolveErrorKind::DanglingDependency { package, dependency: dep.name.to_owned() },
                    ));
                }
            }
        }
    }
    node::apply_scopes(&mut packages, &edges);

    Ok(Resolved { path: path.to_owned(), packages, root: RootComponent::Package(0), warnings, errors: Vec::new() })
}

/// `name@version`, and the `packages` key when it is not the name.
fn describe(package: &Package, lookup: Lookup<'_>) -> String {
    let id =
        if package.version.is_empty() { package.name.clone() } else { format!("{}@{}", package.name, package.version) };
    match lookup {
        Lookup::Key(key) if key != package.name => format!("{id} (at `{key}`)"),
        _ => id,
    }
}

/// The object a value must be.
fn object<'o, 'a>(
    value: &'o Value<'a>,
    what: &str,
    err: &impl Fn(usize, ResolveErrorKind) -> ResolveError,
) -> Result<&'o Object<'a>, ResolveError> {
    match value {
        Value::Object(o) => Ok(o),
        other => Err(err(other.start(), ResolveErrorKind::InvalidPackage(format!("{what} must be an object")))),
    }
}

/// A string field of an object, `None` when absent; another type is an error.
fn optional_string<'t>(
    obj: &'t Object<'_>,
    field: &str,
    err: &impl Fn(usize, ResolveErrorKind) -> ResolveError,
) -> Result<Option<&'t str>, ResolveError> {
    match obj.get(field) {
        None => Ok(None),
        Some(ObjectProp { value: Value::StringLit(s), .. }) => Ok(Some(s.value.as_ref())),
        Some(prop) => {
            Err(err(prop.value.start(), ResolveErrorKind::InvalidPackage(format!("`{field}` must be a string"))))
        }
    }
}

/// The dependencies an object (a workspace, or a package's INFO) declares, in bun's group
/// order. A package's `devDependencies` (bun records them only for folder packages, which it
/// builds) are edges too; [`node::apply_scopes`] never follows them for scopes.
fn declared<'t>(
    obj: &'t Object<'_>,
    err: &impl Fn(usize, ResolveErrorKind) -> ResolveError,
) -> Result<Vec<Declared<'t>>, ResolveError> {
    let mut optional_peers: Vec<&str> = Vec::new();
    if let Some(prop) = obj.get("optionalPeers") {
        let bad = || {
            err(
                prop.value.start(),
                ResolveErrorKind::InvalidPackage("`optionalPeers` must be an array of names".to_owned()),
            )
        };
        let Value::Array(Array { elements, .. }) = &prop.value else { return Err(bad()) };
        for item in elements {
            let Value::StringLit(s) = item else { return Err(bad()) };
            optional_peers.push(s.value.as_ref());
        }
    }
    let mut out = Vec::new();
    for (group, kind) in [
        ("dependencies", DependencyKind::Normal),
        ("devDependencies", DependencyKind::Dev),
        ("optionalDependencies", DependencyKind::Optional),
        ("peerDependencies", DependencyKind::Normal),
    ] {
        let Some(prop) = obj.get(group) else { continue };
        let Value::Object(deps) = &prop.value else {
            return Err(err(
                prop.value.start(),
                ResolveErrorKind::InvalidPackage(format!("`{group}` must be an object")),
            ));
        };
        for dep in &deps.properties {
            if !matches!(dep.value, Value::StringLit(_)) {
                return Err(err(
                    dep.value.start(),
                    ResolveErrorKind::InvalidPackage(format!(
                        "`{group}`: the range of `{}` must be a string",
                        dep.name.as_str()
                    )),
                ));
            }
            let name = dep.name.as_str();
            let peer = group == "peerDependencies";
            let optional_peer = peer && optional_peers.contains(&name);
            out.push(Declared {
                name,
                kind: if optional_peer { DependencyKind::Optional } else { kind },
                may_miss: kind == DependencyKind::Optional || peer,
            });
        }
    }
    Ok(out)
}

/// The name a `packages` key installs under: its last segment (`@scope/name` is one segment).
/// `None` for a key that is empty or ends in a bare scope.
fn installed_name(key: &str) -> Option<&str> {
    let segments = segments(key)?;
    segments.last().copied()
}

/// The install-path segments of a key (`a/@s/b/c` → `a`, `@s/b`, `c`); `None` when malformed.
fn segments(key: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = key;
    while !rest.is_empty() {
        let end = if rest.starts_with('@') {
            let first = rest.find('/')?;
            rest.get(first + 1..).and_then(|r| r.find('/')).map_or(rest.len(), |second| first + 1 + second)
        } else {
            rest.find('/').unwrap_or(rest.len())
        };
        let segment = rest.get(..end)?;
        if segment.is_empty() || segment.ends_with('/') {
            return None;
        }
        out.push(segment);
        rest = rest.get(end..)?.strip_prefix('/').unwrap_or("");
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Node-style lookup of `dep` from the package keyed `key`: `key/dep`, then the parent
/// path's, …, then `dep` (bun's `findResolution`).
fn find_resolution(keys: &HashMap<&str, usize>, key: &str, dep: &str, buf: &mut String) -> Option<usize> {
    let segments = segments(key)?;
    for depth in (1..=segments.len()).rev() {
        buf.clear();
        for segment in segments.get(..depth).unwrap_or_default() {
            buf.push_str(segment);
            buf.push('/');
        }
        buf.push_str(dep);
        if let Some(&i) = keys.get(buf.as_str()) {
            return Some(i);
        }
    }
    keys.get(dep).copied()
}

/// `name@resolution` split at the `@` after the name (a scoped name starts with `@`).
fn split_name(spec: &str) -> Option<(&str, &str)> {
    let from = usize::from(spec.starts_with('@'));
    let at = spec.get(from..)?.find('@')? + from;
    let name = spec.get(..at)?;
    let resolution = spec.get(at + 1..)?;
    (!name.is_empty() && name != "@").then_some((name, resolution))
}

/// A git resolution as bun writes it (`git+…`), or another git URL form.
fn is_git(resolution: &str) -> bool {
    ["git+", "git://", "git@", "ssh://"].iter().any(|p| resolution.starts_with(p))
}

/// A local archive path (bun's `local_tarball`: written without a prefix).
fn is_archive(resolution: &str) -> bool {
    let lower = resolution.to_ascii_lowercase();
    [".tgz", ".tar.gz", ".tar"].iter().any(|s| lower.ends_with(s))
}

/// A full semver version (`1.2.3`, `1.2.3-beta.1+build`), as bun requires for npm entries.
fn is_version(resolution: &str) -> bool {
    let core = resolution.split(['-', '+']).next().unwrap_or("");
    let mut parts = core.split('.');
    let numeric = |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric(parts.next()) && numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
}

/// The source of a git or github entry. The fragment of `github:o/r#sha` is the resolved
/// commit, abbreviated as bun writes it; a `git+` entry's `.bun-tag` (third element) is the
/// full commit when it is one.
fn git_source(resolution: &str, tag: &str) -> PackageSource {
    let fragment = resolution.split_once('#').map(|(_, f)| f).filter(|f| is_hex(f));
    let commit =
        if node::is_commit(tag) { Some(tag.to_ascii_lowercase()) } else { fragment.map(str::to_ascii_lowercase) };
    if let Some(PackageSource::Git { url, reference, commit: found }) = node::git_source(resolution) {
        let commit = found.or(commit);
        PackageSource::Git { url, reference: if commit.is_some() { None } else { reference }, commit }
    } else {
        let url = resolution.split('#').next().unwrap_or(resolution);
        PackageSource::Git { url: url.trim_start_matches("git+").to_owned(), reference: None, commit }
    }
}

/// An abbreviated or full commit: 7 to 64 hex digits.
fn is_hex(s: &str) -> bool {
    (7..=64).contains(&s.len()) && crate::model::is_hex(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scope;

    #[test]
    fn keys_split_into_install_path_segments() {
        assert_eq!(segments("a/@s/b/c"), Some(vec!["a", "@s/b", "c"]));
        assert_eq!(segments("@s/a"), Some(vec!["@s/a"]));
        assert_eq!(segments("@s"), None);
        assert_eq!(segments(""), None);
        assert_eq!(segments("a//b"), None);
        assert_eq!(installed_name("supports-color-old/has-flag"), Some("has-flag"));
        assert_eq!(installed_name("x/@t/b"), Some("@t/b"));
    }

    #[test]
    fn names_split_from_resolutions() {
        assert_eq!(split_name("lodash@1.3.1"), Some(("lodash", "1.3.1")));
        assert_eq!(split_name("@babel/types@7.26.5"), Some(("@babel/types", "7.26.5")));
        assert_eq!(split_name("x@github:o/r#abc1234"), Some(("x", "github:o/r#abc1234")));
        assert_eq!(split_name("@s/a"), None);
        assert_eq!(split_name("@1.0.0"), None);
        assert!(is_version("1.2.3") && is_version("1.0.0-rc.1+b") && !is_version("1.2") && !is_version("latest"));
    }

    #[test]
    fn lookups_walk_up_the_install_path() {
        let keys: HashMap<&str, usize> =
            [("has-flag", 0), ("chalk/has-flag", 1), ("@s/a/has-flag", 2), ("@s/a", 3)].into_iter().collect();
        let mut buf = String::new();
        assert_eq!(find_resolution(&keys, "chalk/supports-color", "has-flag", &mut buf), Some(1));
        assert_eq!(find_resolution(&keys, "other", "has-flag", &mut buf), Some(0));
        assert_eq!(find_resolution(&keys, "@s/a/@t/b", "has-flag", &mut buf), Some(2));
        assert_eq!(find_resolution(&keys, "other", "missing", &mut buf), None);
    }

    const SRI: &str = "sha512-EykJT/Q1KjTWctppgIAgfSO0tKVuZUjhgMr17kqTumMl6Afv3EISleU7qZUzoXDFTAHTDC4NOoG/ZxU3EvlMPQ==";

    fn lock(version: u32, workspaces: &str, packages: &str) -> Result<Resolved, ResolveError> {
        let text = format!(
            "{{\n  \"lockfileVersion\": {version},\n  \"workspaces\": {{\n{workspaces}\n  }},\n  \"packages\": {{\n{packages}\n  }},\n}}\n"
        );
        parse(&text, "web/bun.lock", "web")
    }

    fn by_name<'r>(r: &'r Resolved, name: &str) -> &'r Package {
        r.packages.iter().find(|p| p.name == name).unwrap()
    }

    fn index(r: &Resolved, name: &str) -> usize {
        r.packages.iter().position(|p| p.name == name).unwrap()
    }

    #[test]
    fn every_tuple_shape_gives_its_source() {
        let sha = "1ae6dc1267500360b411ec711b8aeac8c68b2246";
        let r = lock(
            1,
            r#"    "": { "name": "app", "dependencies": { "g": "github:o/g", "h": "git+https://x.org/h.git", "f": "file:./f", "l": "link:l", "t": "https://x.org/t.tgz", "lt": "./lt.tgz", "self": "*", "r": "^1" } },"#,
            &format!(
                r#"    "g": ["g@github:o/g#527e8ce", {{}}, "o-g-527e8ce"],
    "h": ["h@git+https://x.org/h.git#{sha}", {{}}, "{sha}", "{SRI}"],
    "f": ["f@file:f", {{ "dependencies": {{ "r": "^1" }} }}],
    "l": ["l@link:l", {{}}],
    "t": ["t@https://x.org/t.tgz", {{}}, "{SRI}"],
    "lt": ["lt@./lt.tgz", {{}}],
    "self": ["app@root:", {{}}],
    "r": ["r@1.0.0", "https://npm.example.com/r/-/r-1.0.0.tgz", {{}}, "{SRI}"],"#
            ),
        )
        .unwrap();
        assert_eq!(
            by_name(&r, "g").source,
            PackageSource::Git {
                url: "https://github.com/o/g.git".into(),
                reference: None,
                commit: Some("527e8ce".into())
            }
        );
        assert_eq!(by_name(&r, "g").version, "");
        assert_eq!(
            by_name(&r, "h").source,
            PackageSource::Git { url: "https://x.org/h.git".into(), reference: None, commit: Some(sha.into()) }
        );
        assert_eq!(by_name(&r, "h").checksums.len(), 1);
        assert_eq!(by_name(&r, "f").source, PackageSource::Path { dir: "web/f".into() });
        assert_eq!(by_name(&r, "l").source, PackageSource::Path { dir: "web/l".into() });
        assert_eq!(by_name(&r, "t").source, PackageSource::Tarball { url: "https://x.org/t.tgz".into() });
        assert_eq!(by_name(&r, "lt").source, PackageSource::Path { dir: "web/lt.tgz".into() });
        assert_eq!(
            by_name(&r, "r").source,
            PackageSource::Registry { url: "https://npm.example.com".into(), sparse: false, default_registry: false }
        );
        // The root tuple is the root project, not a package of its own; the root depends on
        // itself through it.
        assert_eq!(r.packages.len(), 8);
        assert!(r.packages[0].dependencies.contains(&0));
        assert_eq!(r.packages[0].source, PackageSource::Path { dir: "web".into() });
        // The folder package's own dependency walks up to the top-level `r`.
        assert!(by_name(&r, "f").dependencies.contains(&index(&r, "r")));
    }

    #[test]
    fn members_look_in_their_own_folder_first_and_the_root_depends_on_each() {
        let r = lock(
            1,
            r#"    "": { "name": "app", "dependencies": { "a": "^1" } },
    "packages/m": { "name": "@s/m", "version": "2.0.0", "dependencies": { "a": "^2", "b": "^1" }, "devDependencies": { "d": "^1" } },"#,
            &format!(
                r#"    "@s/m": ["@s/m@workspace:packages/m"],
    "a": ["a@1.0.0", "", {{}}, "{SRI}"],
    "b": ["b@1.0.0", "", {{ "dependencies": {{ "a": "^2" }} }}, "{SRI}"],
    "d": ["d@1.0.0", "", {{}}, "{SRI}"],
    "@s/m/a": ["a@2.0.0", "", {{}}, "{SRI}"],
    "b/a": ["a@2.0.0", "", {{}}, "{SRI}"],"#
            ),
        )
        .unwrap();
        let member = index(&r, "@s/m");
        assert_eq!(r.packages[member].version, "2.0.0");
        assert_eq!(r.packages[member].source, PackageSource::Path { dir: "web/packages/m".into() });
        assert!(r.packages[member].first_party);
        let a1 = r.packages.iter().position(|p| p.lines.map(|l| l.start) == Some(9)).unwrap();
        let a2_member = r.packages.iter().position(|p| p.lines.map(|l| l.start) == Some(12)).unwrap();
        let a2_b = r.packages.iter().position(|p| p.lines.map(|l| l.start) == Some(13)).unwrap();
        assert_eq!(r.packages[0].dependencies, [member, a1].into_iter().collect());
        assert_eq!(r.packages[member].dependencies, [a2_member, index(&r, "b"), index(&r, "d")].into_iter().collect());
        assert_eq!(by_name(&r, "b").dependencies, [a2_b].into_iter().collect());
        assert_eq!(by_name(&r, "d").scope, Some(Scope::Excluded));
        // The member's tuple is the member, not another package: root, member, five packages.
        assert_eq!(r.packages.len(), 7);
        assert_eq!(r.packages[member].lines, Some(LineSpan { start: 5, end: 5 }));
    }

    #[test]
    fn scoped_keys_nest_as_one_segment() {
        let r = lock(
            2,
            r#"    "": { "dependencies": { "@s/a": "1" } },"#,
            &format!(
                r#"    "@s/a": ["@s/a@1.0.0", "", {{ "dependencies": {{ "@t/b": "1" }} }}, "{SRI}"],
    "@s/a/@t/b": ["@t/b@1.0.0", "", {{ "dependencies": {{ "c": "1" }} }}, "{SRI}"],
    "@s/a/c": ["c@1.0.0", "", {{}}, "{SRI}"],"#
            ),
        )
        .unwrap();
        assert!(by_name(&r, "@s/a").dependencies.contains(&index(&r, "@t/b")));
        assert!(by_name(&r, "@t/b").dependencies.contains(&index(&r, "c")));
        assert_eq!(by_name(&r, "c").scope, Some(Scope::Required));
        assert_eq!(r.packages[0].name, "", "named by the caller from package.json or the directory");
    }

    #[test]
    fn missing_optional_and_peer_dependencies_are_fine_others_are_not() {
        let packages = format!(
            r#"    "a": ["a@1.0.0", "", {{ "optionalDependencies": {{ "fsevents": "2" }}, "peerDependencies": {{ "react": "*", "vue": "*" }}, "optionalPeers": ["vue"] }}, "{SRI}"],
    "vue": ["vue@3.0.0", "", {{}}, "{SRI}"],"#
        );
        let r = lock(1, r#"    "": { "dependencies": { "a": "1" } },"#, &packages).unwrap();
        assert_eq!(by_name(&r, "a").dependencies, [index(&r, "vue")].into_iter().collect());
        assert_eq!(by_name(&r, "vue").scope, Some(Scope::Optional), "an optional peer");

        let r = lock(1, r#"    "": { "dependencies": { "a": "1", "gone": "1" } },"#, &packages).unwrap_err();
        assert_eq!(r.line, Some(4), "the root's key");
        assert!(matches!(&r.kind, ResolveErrorKind::DanglingDependency { dependency, .. } if dependency == "gone"));
        let r = lock(
            1,
            r#"    "": { "optionalDependencies": { "gone": "1" }, "dependencies": { "a": "1" } },"#,
            &format!(r#"    "a": ["a@1.0.0", "", {{ "dependencies": {{ "b": "1" }} }}, "{SRI}"],"#),
        )
        .unwrap_err();
        assert_eq!(r.line, Some(7));
        assert_eq!(r.to_string(), "web/bun.lock:7: `a@1.0.0` depends on `b`, which is not a package of this lockfile");
    }

    #[test]
    fn version_zero_members_carry_their_dependencies_in_the_tuple() {
        let r = lock(
            0,
            r#"    "": { "name": "app" },
    "packages/m": { "name": "m" },"#,
            &format!(
                r#"    "m": ["m@workspace:packages/m", {{ "dependencies": {{ "a": "1" }} }}],
    "a": ["a@1.0.0", "", {{}}, "{SRI}"],"#
            ),
        )
        .unwrap();
        assert_eq!(by_name(&r, "m").dependencies, [index(&r, "a")].into_iter().collect());
        // v1 and later: a workspace tuple must name a member of `workspaces`.
        let e = lock(1, r#"    "": {},"#, r#"    "m": ["m@workspace:packages/m"],"#).unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(e.to_string().contains("unknown workspace `packages/m`"), "{e}");
    }

    #[test]
    fn malformed_entries_are_errors_with_their_line() {
        let cases: [(&str, usize, &str); 7] = [
            (r#"    "a": [123, "", {}, ""],"#, 7, "the first element"),
            (r#"    "a": ["a@1.0.0", "", {}],"#, 7, "no integrity"),
            (r#"    "a": ["a@latest", "", {}, ""],"#, 7, "not a version"),
            (r#"    "a": ["a@1.0.0", "", [], ""],"#, 7, "must be an object"),
            (r#"    "a": "a@1.0.0","#, 7, "must be an array"),
            ("    \"a\": [\"a@github:o/a#abc1234\", {}],", 7, "no git tag"),
            ("    \"a\": [\"a@1.0.0\", \"\", {}, \"\"],\n    \"a\": [\"a@1.0.0\", \"\", {}, \"\"],", 8, "duplicate"),
        ];
        for (packages, line, message) in cases {
            let e = lock(1, r#"    "": {},"#, packages).unwrap_err();
            assert_eq!(e.line, Some(line), "{packages}: {e}");
            assert!(e.to_string().contains(message), "{packages}: {e}");
            assert_eq!(e.path, "web/bun.lock");
        }
    }

    #[test]
    fn versions_outside_zero_to_three_are_refused_with_their_line() {
        for (version, shown) in [("4", "4"), ("\"1\"", "\"1\""), ("-1", "-1"), ("1.5", "1.5")] {
            let text = format!("{{\n  \"lockfileVersion\": {version},\n  \"workspaces\": {{ \"\": {{}} }}\n}}");
            let e = parse(&text, "bun.lock", ".").unwrap_err();
            assert_eq!(e.line, Some(2));
            assert_eq!(
                e.kind,
                ResolveErrorKind::UnsupportedFormatVersion {
                    format: "bun.lock lockfileVersion",
                    version: shown.into(),
                    supported: SUPPORTED
                }
            );
        }
        let e = parse("{ \"workspaces\": {} }", "bun.lock", ".").unwrap_err();
        assert!(e.to_string().contains("lockfileVersion"), "{e}");
        let e = parse("{\n\"lockfileVersion\": 1,\n\"workspaces\": {\n\"a\": {\"name\": \"a\"} } }", "bun.lock", ".")
            .unwrap_err();
        assert!(e.to_string().contains("no root project"), "{e}");
        let e = parse("[1, 2]", "bun.lock", ".").unwrap_err();
        assert!(matches!(e.kind, ResolveErrorKind::Json(_)));
        let e = parse("{\n\"lockfileVersion\": 1,\n\"workspaces\": { \"\": {} },,\n}", "bun.lock", ".").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(matches!(e.kind, ResolveErrorKind::Json(_)));
    }

    #[test]
    fn comments_trusted_bundled_and_bad_integrity() {
        let text = format!(
            "{{\n  // written by hand\n  \"lockfileVersion\": 3, /* v3 */\n  \"workspaces\": {{ \"\": {{ \"dependencies\": {{ \"a\": \"1\" }} }} }},\n  \"trustedDependencies\": [\"a\"],\n  \"overrides\": {{ \"b\": {{ \"a\": \"1\" }} }},\n  \"packages\": {{\n    \"a\": [\"a@1.0.0\", \"\", {{ \"dependencies\": {{ \"b\": \"1\" }} }}, \"sha512-???\"],\n    \"a/b\": [\"b@1.0.0\", \"\", {{ \"bundled\": true }}, \"{SRI}\"],\n  }},\n}}\n"
        );
        let r = parse(&format!("\u{feff}{text}"), "bun.lock", ".").unwrap();
        let a = by_name(&r, "a");
        assert_eq!(a.install_script, Some(true));
        assert!(a.checksums.is_empty());
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].line, Some(8));
        assert!(by_name(&r, "b").bundled);
        assert_eq!(by_name(&r, "b").install_script, None);
        assert_eq!(by_name(&r, "b").lines, Some(LineSpan { start: 9, end: 9 }));
    }

    #[test]
    fn the_binary_lockfile_is_refused() {
        let source = crate::source::WorkTree::new(std::path::Path::new("."));
        let e = BunLockResolver.resolve(&source, "app/bun.lockb", b"\0\x01", &ResolveOptions::default()).unwrap_err();
        assert_eq!(e.path, "app/bun.lockb");
        assert!(e.to_string().contains("bun install --save-text-lockfile"), "{e}");
        let e = BunLockResolver.resolve(&source, "bun.lock", b"\xff\xfe", &ResolveOptions::default()).unwrap_err();
        assert_eq!(e.kind, ResolveErrorKind::NotUtf8);
    }
}
