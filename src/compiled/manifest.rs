//! The workspace's own manifests, read as cargo reads them for the feature resolver: which
//! crates are members, which are other path crates, each one's dependency declarations and
//! feature table ([`CrateSummary`]), the resolver version and `default-members`.
//!
//! Cargo's rules (`cargo::core::workspace`, `cargo::util::toml`), as followed here:
//!
//! - The lockfile's directory is the workspace root. Without a `[workspace]` table the root
//!   package is the only member. With one, the members are the root `[package]`, the
//!   `workspace.members` entries (paths or globs; a glob matches directories that hold a
//!   `Cargo.toml`) not under a `workspace.exclude` path (unless a `members` entry names the
//!   directory or a parent of it literally), and, transitively, every path dependency of a
//!   member (any kind, any target) that lives inside the root and is not excluded.
//! - Other path crates (outside the root, excluded, `[patch]`/`[replace]` paths, and their own
//!   path dependencies but dev-dependencies) are read as non-members: the lockfile lists them
//!   and the resolver needs their declarations. One that cannot be read is a warning naming it.
//! - `workspace = true` dependencies take `version`, `package`, `path` (relative to the
//!   workspace root), `default-features` and `features` from `[workspace.dependencies]`; the
//!   member's `features` are added, `optional` is the member's own, and `default-features` is
//!   the workspace's unless the member sets it to `true`. `version.workspace = true` and
//!   `edition.workspace = true` read `[workspace.package]`. A crate outside the root inherits
//!   from the nearest enclosing manifest with a `[workspace]` table (possibly its own).
//! - Resolver: `workspace.resolver`, else the root package's `resolver`, else its edition
//!   (2021 → 2, 2024 → 3, which resolves features as 2), else 1; a virtual workspace without
//!   `resolver` is 1.
//!
//! Manifests are untrusted: sizes and counts are bounded, odd types are warnings naming the
//! file, and nothing recurses on the input's depth (`toml` bounds its own nesting).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::rc::Rc;

use globset::{GlobBuilder, GlobSetBuilder};

use super::summary::{CrateSummary, DepKind, DepSpec, FeatureValue, MAX_DEPS, MAX_FEATURE_VALUES, MAX_FEATURES};
use crate::resolve::cargo::parent_dir;
use crate::resolve::cargo_manifest::list_some;
use crate::resolve::{ResolveError, ResolveErrorKind, Warning, toml_error};
use crate::sanitize;
use crate::source::{Source, join};

/// Largest manifest read (real ones are a few KiB; cargo's own is 10 KiB).
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;
/// Local crates (members and other path crates) read at most.
pub const MAX_LOCAL_CRATES: usize = 10_000;
/// `members`, `exclude` and `default-members` entries read at most, each.
pub const MAX_PATTERNS: usize = 4096;
/// Globs among one list's entries expanded at most (each is matched against every manifest).
pub const MAX_GLOBS: usize = 256;

/// The feature resolver a workspace asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResolverVersion {
    /// `resolver = "1"`: features unify across build and normal dependencies and all targets.
    V1,
    /// `resolver = "2"` or `"3"` (3 only changes how versions are chosen, not features).
    V2,
}

/// One crate of the workspace's own: a member, or another path crate it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCrate {
    /// Its directory, relative to the source root (`.` for the root).
    pub dir: String,
    /// `package.name`.
    pub name: String,
    /// `package.version` (inherited when `version.workspace = true`); `None` when absent
    /// (cargo then uses `0.0.0`) or unreadable.
    pub version: Option<String>,
    /// A workspace member (its dev-dependencies count; `-p` may select it).
    pub member: bool,
    /// Its dependencies and features; `proc_macro` is always `Some`.
    pub summary: CrateSummary,
}

/// A Cargo workspace's manifests, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The workspace root (the lockfile's directory), relative to the source root.
    pub root_dir: String,
    /// The feature resolver.
    pub resolver: ResolverVersion,
    /// Members first (the root package first when there is one), then the other path crates.
    pub crates: Vec<LocalCrate>,
    /// `workspace.default-members`, as indices into `crates`; empty when not given (cargo's
    /// default applies: see [`Workspace::default_selection`]).
    pub default_members: Vec<usize>,
    /// Manifests that could not be read or parsed: the crates they declare are missing from
    /// `crates` (if the root manifest is one of them, `crates` is empty).
    pub errors: Vec<ResolveError>,
    /// Everything else worth saying: unreadable path dependencies, odd values ignored, cargo's
    /// own warnings (a virtual workspace without `resolver`).
    pub warnings: Vec<Warning>,
}

impl Workspace {
    /// Read the workspace whose lockfile is `lock_path` (its directory is the root). Never
    /// fails: what cannot be read is in `errors` and `warnings`.
    pub fn read(source: &dyn Source, lock_path: &str) -> Workspace {
        Reader::new(source, parent_dir(lock_path)).run()
    }

    /// What `cargo build` with no `-p`/`--workspace` selects, from the root: `default-members`
    /// when given, else the root package when there is one, else every member.
    pub fn default_selection(&self) -> Vec<usize> {
        if !self.default_members.is_empty() {
            return self.default_members.clone();
        }
        if let Some(root) = self.crates.iter().position(|c| c.member && c.dir == self.root_dir) {
            return vec![root];
        }
        self.members().collect()
    }

    /// Indices of the members, in order.
    pub fn members(&self) -> impl Iterator<Item = usize> + '_ {
        self.crates.iter().enumerate().filter(|(_, c)| c.member).map(|(i, _)| i)
    }
}

/// `[workspace.dependencies]` and `[workspace.package]` of one workspace root.
#[derive(Debug, Clone, Default)]
struct Inherit {
    /// The workspace root's directory: inherited `path`s are relative to it.
    dir: String,
    deps: toml::Table,
    package: toml::Table,
}

/// A crate read, with where its path dependencies point.
struct Parsed {
    krate: LocalCrate,
    /// (directory, kind) of each path dependency.
    path_deps: Vec<(String, DepKind)>,
}

/// One dependency entry's fields, as written (before inheritance).
#[derive(Default)]
struct DepFields {
    workspace: bool,
    package: Option<String>,
    version: Option<String>,
    path: Option<String>,
    optional: Option<bool>,
    default_features: Option<bool>,
    features: Vec<String>,
}

struct Reader<'s> {
    source: &'s dyn Source,
    root_dir: String,
    errors: Vec<ResolveError>,
    warnings: Vec<Warning>,
    /// Crates read, by directory (`None`: could not be read, or not a package).
    parsed: HashMap<String, Option<Parsed>>,
    /// Workspace roots found above non-member crates, by directory (`None`: none).
    inherit_cache: HashMap<String, Option<Rc<Inherit>>>,
    /// The root's inheritance tables, when the root has `[workspace]`.
    root_inherit: Option<Rc<Inherit>>,
    read_count: usize,
    over_limit: bool,
}

impl<'s> Reader<'s> {
    fn new(source: &'s dyn Source, root_dir: String) -> Self {
        Reader {
            source,
            root_dir,
            errors: Vec::new(),
            warnings: Vec::new(),
            parsed: HashMap::new(),
            inherit_cache: HashMap::new(),
            root_inherit: None,
            read_count: 0,
            over_limit: false,
        }
    }

    fn warn(&mut self, path: &str, message: String) {
        self.warnings.push(Warning { path: path.to_owned(), line: None, message });
    }

    fn empty(self, resolver: ResolverVersion) -> Workspace {
        Workspace {
            root_dir: self.root_dir,
            resolver,
            crates: Vec::new(),
            default_members: Vec::new(),
            errors: self.errors,
            warnings: self.warnings,
        }
    }

    fn run(mut self) -> Workspace {
        let root_path = join(&self.root_dir, "Cargo.toml");
        let root = match load(self.source, &root_path) {
            Ok(t) => t,
            Err(e) => {
                self.errors.push(e);
                return self.empty(ResolverVersion::V2);
            }
        };
        let ws = match root.get("workspace") {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => {
                self.errors.push(invalid(&root_path, "`workspace` is not a table"));
                return self.empty(ResolverVersion::V2);
            }
        };
        let root_package = root.get("package").and_then(toml::Value::as_table);
        if root_package.is_none() && root.contains_key("package") {
            self.errors.push(invalid(&root_path, "`[package]` is not a table"));
            return self.empty(ResolverVersion::V2);
        }
        if let Some(ws) = ws {
            self.root_inherit = Some(Rc::new(Inherit {
                dir: self.root_dir.clone(),
                deps: self.table_at(ws, "dependencies", &root_path, "workspace.dependencies"),
                package: self.table_at(ws, "package", &root_path, "workspace.package"),
            }));
        }
        let resolver = self.resolver(ws, root_package, &root_path);

        // Members.
        let members_patterns =
            ws.map(|w| self.strings_at(w, "members", &root_path, "workspace.members")).unwrap_or_default();
        let exclude = ws.map(|w| self.strings_at(w, "exclude", &root_path, "workspace.exclude")).unwrap_or_default();
        let excluded_dirs: Vec<String> = exclude.iter().map(|e| join(&self.root_dir, e)).collect();
        let explicit_dirs: Vec<String> = members_patterns.iter().map(|m| join(&self.root_dir, m)).collect();
        let is_excluded = |dir: &str| {
            excluded_dirs.iter().any(|e| is_within(dir, e)) && !explicit_dirs.iter().any(|m| is_within(dir, m))
        };

        let mut member_dirs: Vec<String> = Vec::new();
        let mut member_set: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<String> = VecDeque::new();
        if root_package.is_some() {
            member_set.insert(self.root_dir.clone());
            queue.push_back(self.root_dir.clone());
        } else if ws.is_none() {
            self.errors.push(invalid(&root_path, "neither `[package]` nor `[workspace]`: not a Cargo manifest"));
            return self.empty(resolver);
        }
        if ws.is_some() {
            for dir in self.expand(&members_patterns, &root_path, "workspace.members") {
                if !is_excluded(&dir) && member_set.insert(dir.clone()) {
                    queue.push_back(dir);
                }
            }
        }
        let mut outside: Vec<String> = Vec::new();
        let mut outside_set: HashSet<String> = HashSet::new();
        while let Some(dir) = queue.pop_front() {
            if !self.parse(&dir, true) {
                continue;
            }
            member_dirs.push(dir.clone());
            let deps: Vec<(String, DepKind)> =
                self.parsed.get(&dir).and_then(Option::as_ref).map(|p| p.path_deps.clone()).unwrap_or_default();
            for (dep_dir, _) in deps {
                if ws.is_some() && is_within(&dep_dir, &self.root_dir) && !is_excluded(&dep_dir) {
                    if member_set.insert(dep_dir.clone()) {
                        queue.push_back(dep_dir);
                    }
                } else if outside_set.insert(dep_dir.clone()) {
                    outside.push(dep_dir);
                }
            }
        }

        // Other path crates: what members point to outside the workspace, `[patch]` and
        // `[replace]` paths, and what those point to (but dev-dependencies, which the lockfile
        // leaves out for non-members).
        outside.extend(self.patch_paths(&root, &root_path));
        let mut other_dirs: Vec<String> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<String> = outside.into_iter().collect();
        while let Some(dir) = queue.pop_front() {
            if member_set.contains(&dir) || !seen.insert(dir.clone()) {
                continue;
            }
            if !self.parse(&dir, false) {
                continue;
            }
            other_dirs.push(dir.clone());
            let deps: Vec<(String, DepKind)> =
                self.parsed.get(&dir).and_then(Option::as_ref).map(|p| p.path_deps.clone()).unwrap_or_default();
            queue.extend(deps.into_iter().filter(|(d, k)| *k != DepKind::Dev && !seen.contains(d)).map(|(d, _)| d));
        }

        let mut crates: Vec<LocalCrate> = Vec::with_capacity(member_dirs.len() + other_dirs.len());
        for (dir, member) in member_dirs.iter().map(|d| (d, true)).chain(other_dirs.iter().map(|d| (d, false))) {
            if let Some(Some(p)) = self.parsed.remove(dir) {
                let mut krate = p.krate;
                krate.member = member;
                crates.push(krate);
            }
        }

        // default-members.
        let mut default_members = Vec::new();
        let mut defaults_seen: HashSet<usize> = HashSet::new();
        if let Some(ws) = ws
            && ws.contains_key("default-members")
        {
            let patterns = self.strings_at(ws, "default-members", &root_path, "workspace.default-members");
            let member_index: HashMap<&str, usize> =
                crates.iter().enumerate().filter(|(_, c)| c.member).map(|(i, c)| (c.dir.as_str(), i)).collect();
            for dir in self.expand(&patterns, &root_path, "workspace.default-members") {
                match member_index.get(dir.as_str()).copied() {
                    Some(i) => {
                        if defaults_seen.insert(i) {
                            default_members.push(i);
                        }
                    }
                    // Cargo skips an excluded directory a `default-members` entry matches.
                    None if is_excluded(&dir) => {}
                    None => self.warn(
                        &root_path,
                        format!("`workspace.default-members` names `{}`, which is not a member", sanitize::value(&dir)),
                    ),
                }
            }
            if default_members.is_empty() {
                self.warn(&root_path, "`workspace.default-members` names no member; all members are used".to_owned());
            }
        }

        Workspace {
            root_dir: self.root_dir,
            resolver,
            crates,
            default_members,
            errors: self.errors,
            warnings: self.warnings,
        }
    }

    /// The resolver version, from the root manifest.
    fn resolver(&mut self, ws: Option<&toml::Table>, package: Option<&toml::Table>, path: &str) -> ResolverVersion {
        let declared = ws.and_then(|w| w.get("resolver")).or_else(|| package.and_then(|p| p.get("resolver")));
        if let Some(value) = declared {
            return match value.as_str() {
                Some("1") => ResolverVersion::V1,
                Some("2" | "3") => ResolverVersion::V2,
                _ => {
                    self.warn(path, format!("unknown `resolver = {}`; resolver 2 assumed", clip_value(value)));
                    ResolverVersion::V2
                }
            };
        }
        let Some(package) = package else {
            self.warn(
                path,
                "virtual workspace without `workspace.resolver`: cargo defaults to resolver 1 (and warns)".to_owned(),
            );
            return ResolverVersion::V1;
        };
        let edition = match package.get("edition") {
            None => None,
            Some(v) => {
                let inherit = self.root_inherit.clone();
                self.inherited_string(v, inherit.as_deref(), "edition", path)
            }
        };
        match edition.as_deref() {
            None | Some("2015" | "2018") => ResolverVersion::V1,
            Some("2021" | "2024") => ResolverVersion::V2,
            Some(other) => {
                self.warn(path, format!("unknown edition `{}`; resolver 2 assumed", sanitize::value(other)));
                ResolverVersion::V2
            }
        }
    }

    /// Directories matching `members`-style entries (paths or globs, relative to the root),
    /// each holding a `Cargo.toml`, in the entries' order. An entry matching nothing is a
    /// warning (cargo fails on a path without a manifest).
    fn expand(&mut self, patterns: &[String], manifest: &str, key: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut globs = GlobSetBuilder::new();
        let mut glob_of: Vec<usize> = Vec::new();
        let mut found = vec![false; patterns.len()];
        let mut literal_hits: Vec<(usize, String)> = Vec::new();
        let mut too_many_globs = false;
        for (i, pattern) in patterns.iter().enumerate() {
            let full = join(&self.root_dir, pattern);
            if pattern.contains(['*', '?', '[']) {
                if glob_of.len() >= MAX_GLOBS {
                    if !too_many_globs {
                        too_many_globs = true;
                        self.warn(manifest, format!("`{key}` has more than {MAX_GLOBS} globs; the others are ignored"));
                    }
                    if let Some(f) = found.get_mut(i) {
                        *f = true;
                    }
                    continue;
                }
                match GlobBuilder::new(&full).literal_separator(true).build() {
                    Ok(g) => {
                        globs.add(g);
                        glob_of.push(i);
                    }
                    Err(e) => self.warn(
                        manifest,
                        format!("`{key}` entry `{}` is not a valid glob: {}", sanitize::value(pattern), e.kind()),
                    ),
                }
            } else if self.source.exists(&join(&full, "Cargo.toml")) {
                literal_hits.push((i, full));
            }
        }
        let mut glob_hits: Vec<(usize, String)> = Vec::new();
        if !glob_of.is_empty()
            && let Ok(set) = globs.build()
            && let Ok(files) = self.source.files()
        {
            let mut matched: Vec<usize> = Vec::new();
            for dir in files.iter().filter_map(|f| f.strip_suffix("/Cargo.toml")) {
                set.matches_into(dir, &mut matched);
                let mut first: Option<usize> = None;
                for &m in &matched {
                    if let Some(&i) = glob_of.get(m) {
                        if let Some(f) = found.get_mut(i) {
                            *f = true;
                        }
                        first = Some(first.map_or(i, |f| f.min(i)));
                    }
                }
                if let Some(i) = first {
                    glob_hits.push((i, dir.to_owned()));
                }
            }
        }
        // Entry order, then path order within a glob (files are sorted; the sort is stable).
        let mut hits: Vec<(usize, String)> = literal_hits.into_iter().chain(glob_hits).collect();
        hits.sort_by_key(|(i, _)| *i);
        let mut seen: HashSet<String> = HashSet::new();
        for (i, dir) in hits {
            if let Some(f) = found.get_mut(i) {
                *f = true;
            }
            if seen.insert(dir.clone()) {
                out.push(dir);
            }
        }
        let missing: Vec<String> = patterns
            .iter()
            .zip(&found)
            .filter(|(_, f)| !**f)
            .map(|(p, _)| format!("`{}`", sanitize::value(p)))
            .collect();
        if !missing.is_empty() {
            self.warn(manifest, format!("`{key}` entries with no `Cargo.toml`: {}", list_some(&missing)));
        }
        out
    }

    /// `[patch.*]` and `[replace]` entries with a `path`, relative to the root.
    fn patch_paths(&mut self, root: &toml::Table, root_path: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut entries: Vec<&toml::Value> = Vec::new();
        if let Some(patch) = root.get("patch").and_then(toml::Value::as_table) {
            for registry in patch.values().filter_map(toml::Value::as_table) {
                entries.extend(registry.values());
            }
        }
        if let Some(replace) = root.get("replace").and_then(toml::Value::as_table) {
            entries.extend(replace.values());
        }
        for entry in entries.into_iter().take(MAX_LOCAL_CRATES) {
            if let Some(path) = entry.get("path") {
                match path.as_str() {
                    Some(p) => out.push(join(&self.root_dir, p)),
                    None => self.warn(root_path, "a `[patch]` entry's `path` is not a string".to_owned()),
                }
            }
        }
        out
    }

    /// Read the crate in `dir` into `self.parsed`, once. `member`: a workspace member (whose
    /// inheritance comes from the root). Returns whether it is a package that was read.
    fn parse(&mut self, dir: &str, member: bool) -> bool {
        if let Some(done) = self.parsed.get(dir) {
            return done.is_some();
        }
        if self.read_count >= MAX_LOCAL_CRATES {
            if !self.over_limit {
                self.over_limit = true;
                let root_path = join(&self.root_dir, "Cargo.toml");
                self.warn(
                    &root_path,
                    format!("more than {MAX_LOCAL_CRATES} local crates; the others are not read (counted as compiled)"),
                );
            }
            return false;
        }
        self.read_count += 1;
        let path = join(dir, "Cargo.toml");
        if !self.source.exists(&path) {
            self.warn(
                &path,
                format!("path dependency `{}` has no readable `Cargo.toml`; counted as compiled", sanitize::value(dir)),
            );
            self.parsed.insert(dir.to_owned(), None);
            return false;
        }
        let table = match load(self.source, &path) {
            Ok(t) => t,
            Err(e) => {
                if member {
                    self.errors.push(e);
                } else {
                    self.warn(
                        &path,
                        format!(
                            "path dependency `{}` could not be read ({}); counted as compiled",
                            sanitize::value(dir),
                            e.kind
                        ),
                    );
                }
                self.parsed.insert(dir.to_owned(), None);
                return false;
            }
        };
        let inherit =
            if member || dir == self.root_dir { self.root_inherit.clone() } else { self.find_inherit(dir, &table) };
        let parsed = self.parse_crate(dir, &path, &table, inherit.as_deref());
        let ok = parsed.is_some();
        self.parsed.insert(dir.to_owned(), parsed);
        ok
    }

    /// The nearest workspace root at or above `dir` (a crate outside the workspace belongs to
    /// its own): its inheritance tables, or `None`.
    fn find_inherit(&mut self, dir: &str, own: &toml::Table) -> Option<Rc<Inherit>> {
        if let Some(ws) = own.get("workspace").and_then(toml::Value::as_table) {
            let path = join(dir, "Cargo.toml");
            return Some(Rc::new(Inherit {
                dir: dir.to_owned(),
                deps: self.table_at(ws, "dependencies", &path, "workspace.dependencies"),
                package: self.table_at(ws, "package", &path, "workspace.package"),
            }));
        }
        let mut cursor = dir.to_owned();
        let mut visited: Vec<String> = Vec::new();
        let found = loop {
            let up = parent_dir(&cursor);
            if up == cursor || cursor == "." || cursor.starts_with("..") || up.starts_with("..") {
                break None;
            }
            cursor = up;
            if let Some(cached) = self.inherit_cache.get(&cursor) {
                break cached.clone();
            }
            visited.push(cursor.clone());
            if cursor == self.root_dir && self.root_inherit.is_some() {
                break self.root_inherit.clone();
            }
            let path = join(&cursor, "Cargo.toml");
            if !self.source.exists(&path) {
                continue;
            }
            let Ok(table) = load(self.source, &path) else { continue };
            if let Some(ws) = table.get("workspace").and_then(toml::Value::as_table) {
                break Some(Rc::new(Inherit {
                    dir: cursor.clone(),
                    deps: self.table_at(ws, "dependencies", &path, "workspace.dependencies"),
                    package: self.table_at(ws, "package", &path, "workspace.package"),
                }));
            }
        };
        for v in visited {
            self.inherit_cache.insert(v, found.clone());
        }
        found
    }

    /// One manifest's package, or `None` (an error or a warning says why).
    fn parse_crate(&mut self, dir: &str, path: &str, table: &toml::Table, inherit: Option<&Inherit>) -> Option<Parsed> {
        let package = match table.get("package").or_else(|| table.get("project")) {
            Some(toml::Value::Table(p)) => p,
            Some(_) => {
                self.errors.push(invalid(path, "`[package]` is not a table"));
                return None;
            }
            None => {
                if dir != self.root_dir {
                    self.warn(path, "no `[package]`: not a crate".to_owned());
                }
                return None;
            }
        };
        let Some(name) = package.get("name").and_then(toml::Value::as_str).filter(|n| !n.is_empty()) else {
            self.errors.push(invalid(path, "`[package]` has no `name`"));
            return None;
        };
        let version = match package.get("version") {
            None => None,
            Some(v) => self.inherited_string(v, inherit, "version", path),
        };
        let proc_macro = match table.get("lib") {
            Some(toml::Value::Table(lib)) => match lib.get("proc-macro").or_else(|| lib.get("proc_macro")) {
                None => lib
                    .get("crate-type")
                    .or_else(|| lib.get("crate_type"))
                    .and_then(toml::Value::as_array)
                    .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("proc-macro"))),
                Some(toml::Value::Boolean(b)) => *b,
                Some(_) => {
                    self.warn(path, "`lib.proc-macro` is not a boolean; taken as false".to_owned());
                    false
                }
            },
            Some(_) => {
                self.warn(path, "`lib` is not a table".to_owned());
                false
            }
            None => false,
        };

        let mut deps: Vec<DepSpec> = Vec::new();
        let mut path_deps: Vec<(String, DepKind)> = Vec::new();
        let mut too_many = false;
        let mut sections: Vec<(Option<String>, &toml::Table)> = vec![(None, table)];
        match table.get("target") {
            None => {}
            Some(toml::Value::Table(targets)) => {
                for (target, t) in targets {
                    match t {
                        toml::Value::Table(t) => sections.push((Some(target.clone()), t)),
                        _ => self.warn(path, format!("`target.{}` is not a table", quote_key(target))),
                    }
                }
            }
            Some(_) => self.warn(path, "`target` is not a table".to_owned()),
        }
        for (target, section) in sections {
            for (kind, keys) in [
                (DepKind::Normal, &["dependencies"][..]),
                (DepKind::Dev, &["dev-dependencies", "dev_dependencies"][..]),
                (DepKind::Build, &["build-dependencies", "build_dependencies"][..]),
            ] {
                let present: Vec<&str> = keys.iter().copied().filter(|k| section.contains_key(*k)).collect();
                let Some(&key) = present.first() else { continue };
                if present.len() > 1 {
                    self.warn(
                        path,
                        format!("both `{}` are set; `{key}` is used, as cargo does", present.join("` and `")),
                    );
                }
                let label = match &target {
                    Some(t) => format!("target.{}.{key}", quote_key(t)),
                    None => key.to_owned(),
                };
                let Some(entries) = section.get(key).and_then(toml::Value::as_table) else {
                    self.warn(path, format!("`{label}` is not a table"));
                    continue;
                };
                for (dep_key, value) in entries {
                    if deps.len() >= MAX_DEPS {
                        too_many = true;
                        break;
                    }
                    if let Some((spec, dep_path)) =
                        self.dep(dir, path, &label, dep_key, value, target.as_ref(), kind, inherit)
                    {
                        if let Some(p) = dep_path {
                            path_deps.push((p, kind));
                        }
                        deps.push(spec);
                    }
                }
            }
        }
        if too_many {
            self.warn(path, format!("more than {MAX_DEPS} dependencies; the others are ignored"));
        }

        let mut features: BTreeMap<String, Vec<FeatureValue>> = BTreeMap::new();
        match table.get("features") {
            None => {}
            Some(toml::Value::Table(t)) => {
                if t.len() > MAX_FEATURES {
                    self.warn(path, format!("more than {MAX_FEATURES} features; the others are ignored"));
                }
                for (feature, values) in t.iter().take(MAX_FEATURES) {
                    let Some(values) = values.as_array() else {
                        self.warn(path, format!("feature `{}` is not a list", sanitize::value(feature)));
                        continue;
                    };
                    if values.len() > MAX_FEATURE_VALUES {
                        self.warn(
                            path,
                            format!("feature `{}` has more than {MAX_FEATURE_VALUES} values", sanitize::value(feature)),
                        );
                    }
                    let mut list = Vec::new();
                    for v in values.iter().take(MAX_FEATURE_VALUES) {
                        match v.as_str() {
                            Some(s) => list.push(FeatureValue::parse(s)),
                            None => self.warn(
                                path,
                                format!("feature `{}` has a value that is not a string", sanitize::value(feature)),
                            ),
                        }
                    }
                    features.insert(feature.clone(), list);
                }
            }
            Some(_) => self.warn(path, "`features` is not a table".to_owned()),
        }

        Some(Parsed {
            krate: LocalCrate {
                dir: dir.to_owned(),
                name: name.to_owned(),
                version,
                member: false,
                summary: CrateSummary::new(deps, features, Some(proc_macro)),
            },
            path_deps,
        })
    }

    /// One dependency entry: its declaration and the directory of its path dependency.
    #[expect(clippy::too_many_arguments, reason = "the entry and where it was declared, all of it needed")]
    fn dep(
        &mut self,
        dir: &str,
        path: &str,
        label: &str,
        key: &str,
        value: &toml::Value,
        target: Option<&String>,
        kind: DepKind,
        inherit: Option<&Inherit>,
    ) -> Option<(DepSpec, Option<String>)> {
        let shown = || format!("`{label}.{}`", quote_key(key));
        let own = self.dep_fields(value, path, &shown())?;
        let (package, version, dep_path, default_features, features) = if own.workspace {
            let entry = inherit.and_then(|i| i.deps.get(key).map(|v| (i, v)));
            match entry {
                None => {
                    self.warn(
                        path,
                        format!("{} has `workspace = true` but the workspace declares no such dependency; any version is taken", shown()),
                    );
                    (None, None, None, own.default_features.unwrap_or(true), own.features)
                }
                Some((inh, ws_value)) => {
                    let label = format!("`workspace.dependencies.{}`", quote_key(key));
                    let ws = self.dep_fields(ws_value, path, &label).unwrap_or_default();
                    if ws.workspace {
                        self.warn(path, format!("{label} has `workspace = true` itself; ignored"));
                    }
                    let default_features =
                        if own.default_features == Some(true) { true } else { ws.default_features.unwrap_or(true) };
                    let mut features = ws.features;
                    features.extend(own.features);
                    (ws.package, ws.version, ws.path.map(|p| join(&inh.dir, &p)), default_features, features)
                }
            }
        } else {
            (
                own.package,
                own.version,
                own.path.map(|p| join(dir, &p)),
                own.default_features.unwrap_or(true),
                own.features,
            )
        };
        let req = version.as_deref().and_then(|v| match semver::VersionReq::parse(v) {
            Ok(r) => Some(r),
            Err(e) => {
                self.warn(
                    path,
                    format!(
                        "{}: version requirement `{}` does not parse ({e}); any version matches",
                        shown(),
                        sanitize::value(v)
                    ),
                );
                None
            }
        });
        let spec = DepSpec {
            name: key.to_owned(),
            package: package.unwrap_or_else(|| key.to_owned()),
            req,
            features,
            optional: own.optional.unwrap_or(false),
            default_features,
            target: target.cloned(),
            kind,
        };
        Some((spec, dep_path))
    }

    /// The fields of a dependency value (`"1.0"` or a table). `None` (with a warning) for
    /// anything else.
    fn dep_fields(&mut self, value: &toml::Value, path: &str, shown: &str) -> Option<DepFields> {
        let t = match value {
            toml::Value::String(s) => return Some(DepFields { version: Some(s.clone()), ..DepFields::default() }),
            toml::Value::Table(t) => t,
            _ => {
                self.warn(path, format!("{shown} is neither a version string nor a table; ignored"));
                return None;
            }
        };
        let mut odd: Vec<&str> = Vec::new();
        let string = |field: &'static str, odd: &mut Vec<&str>| match t.get(field) {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(_) => {
                odd.push(field);
                None
            }
        };
        let package = string("package", &mut odd);
        let version = string("version", &mut odd);
        let dep_path = string("path", &mut odd);
        let boolean = |fields: &[&'static str], odd: &mut Vec<&str>| {
            let field = fields.iter().find(|f| t.contains_key(**f))?;
            if let Some(toml::Value::Boolean(b)) = t.get(*field) {
                Some(*b)
            } else {
                odd.push(field);
                None
            }
        };
        let workspace = boolean(&["workspace"], &mut odd).unwrap_or(false);
        let optional = boolean(&["optional"], &mut odd);
        let default_features = boolean(&["default-features", "default_features"], &mut odd);
        let mut features = Vec::new();
        match t.get("features") {
            None => {}
            Some(toml::Value::Array(a)) => {
                for f in a.iter().take(MAX_FEATURE_VALUES) {
                    match f.as_str() {
                        Some(s) => features.push(s.to_owned()),
                        None => odd.push("features"),
                    }
                }
            }
            Some(_) => odd.push("features"),
        }
        odd.dedup();
        if !odd.is_empty() {
            self.warn(path, format!("{shown}: `{}` of an unexpected type; ignored", odd.join("`, `")));
        }
        Some(DepFields { workspace, package, version, path: dep_path, optional, default_features, features })
    }

    /// A string field that may be `{ workspace = true }` (`[workspace.package]`).
    fn inherited_string(
        &mut self,
        value: &toml::Value,
        inherit: Option<&Inherit>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        match value {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Table(t) if t.get("workspace").and_then(toml::Value::as_bool) == Some(true) => {
                let got = inherit.and_then(|i| i.package.get(key)).and_then(toml::Value::as_str).map(str::to_owned);
                if got.is_none() {
                    self.warn(path, format!("`package.{key}` is inherited but `workspace.package.{key}` is not set"));
                }
                got
            }
            _ => {
                self.warn(path, format!("`package.{key}` is not a string"));
                None
            }
        }
    }

    /// A sub-table of `table`, or an empty one (with a warning when present but not a table).
    fn table_at(&mut self, table: &toml::Table, key: &str, path: &str, label: &str) -> toml::Table {
        match table.get(key) {
            None => toml::Table::new(),
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => {
                self.warn(path, format!("`{label}` is not a table"));
                toml::Table::new()
            }
        }
    }

    /// A list of strings of `table`, bounded (with warnings for other values).
    fn strings_at(&mut self, table: &toml::Table, key: &str, path: &str, label: &str) -> Vec<String> {
        match table.get(key) {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => {
                if a.len() > MAX_PATTERNS {
                    self.warn(path, format!("`{label}` has more than {MAX_PATTERNS} entries; the others are ignored"));
                }
                let strings: Vec<String> =
                    a.iter().take(MAX_PATTERNS).filter_map(toml::Value::as_str).map(str::to_owned).collect();
                if strings.len() < a.len().min(MAX_PATTERNS) {
                    self.warn(path, format!("`{label}` has entries that are not strings; ignored"));
                }
                strings
            }
            Some(_) => {
                self.warn(path, format!("`{label}` is not a list"));
                Vec::new()
            }
        }
    }
}

/// Read and parse one manifest.
fn load(source: &dyn Source, path: &str) -> Result<toml::Table, ResolveError> {
    let bytes = source.read(path).map_err(|e| ResolveError::new(path, None, ResolveErrorKind::Io(e.message)))?;
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(invalid(path, &format!("{} bytes, more than the {MAX_MANIFEST_BYTES} read", bytes.len())));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| ResolveError::new(path, None, ResolveErrorKind::NotUtf8))?;
    toml::from_str::<toml::Table>(text).map_err(|e| toml_error(path, text, &e))
}

fn invalid(path: &str, message: &str) -> ResolveError {
    ResolveError::new(path, None, ResolveErrorKind::InvalidPackage(message.to_owned()))
}

/// `path` is `dir` or below it (`.` holds everything that does not climb out with `..`).
fn is_within(path: &str, dir: &str) -> bool {
    if dir == "." {
        return path != ".." && !path.starts_with("../");
    }
    path == dir || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// A table key for a message: bare when it is a plain word, else quoted, sanitised.
fn quote_key(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        key.to_owned()
    } else {
        format!("'{}'", sanitize::value(key))
    }
}

/// A TOML value for a message, short.
fn clip_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("\"{}\"", sanitize::value(s)),
        other => sanitize::value(other.type_str()),
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::fuzzing::MemorySource;

    fn tree(files: &[(&str, &str)]) -> MemorySource {
        MemorySource::new(files.iter().map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec())))
    }

    fn krate<'w>(ws: &'w Workspace, name: &str) -> &'w LocalCrate {
        ws.crates.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no crate {name}: {ws:#?}"))
    }

    fn dep<'c>(c: &'c LocalCrate, name: &str, kind: DepKind) -> &'c DepSpec {
        c.summary.deps.iter().find(|d| d.name == name && d.kind == kind).unwrap_or_else(|| panic!("no dep {name}"))
    }

    #[test]
    fn a_workspace_with_inheritance_targets_features_and_members() {
        let source = tree(&[
            ("ws/Cargo.lock", ""),
            (
                "ws/Cargo.toml",
                r#"
[workspace]
members = ["crates/*", "tools/gen"]
exclude = ["crates/skipped"]
default-members = ["crates/app"]
resolver = "2"

[workspace.package]
version = "0.3.1"
edition = "2021"

[workspace.dependencies]
serde = { version = "1.0.200", default-features = false, features = ["derive"] }
tokio = "1.40"
shared = { path = "libs/shared", version = "0.1" }
rand_core = { package = "rand_core", version = "0.6" }
"#,
            ),
            (
                "ws/crates/app/Cargo.toml",
                r#"
[package]
name = "app"
version.workspace = true
edition.workspace = true

[dependencies]
serde = { workspace = true, features = ["std"], optional = true }
tokio = { workspace = true, default-features = false }
shared.workspace = true
rc = { workspace = true, package = "ignored" }
helper = { path = "../helper" }
log = "0.4"
renamed = { package = "real-name", version = "=2.0.1", default_features = false }

[target.'cfg(windows)'.dependencies]
winapi = { version = "0.3", features = ["winuser"] }

[target.x86_64-unknown-linux-gnu.build-dependencies]
cc = "1"

[dev-dependencies]
proptest = "1"

[build_dependencies]
autocfg = "1"

[features]
default = ["serde"]
full = ["dep:serde", "serde?/alloc", "tokio/full"]
"#,
            ),
            (
                "ws/crates/helper/Cargo.toml",
                "[package]\nname = \"helper\"\nversion = \"0.1.0\"\n[lib]\nproc-macro = true\n",
            ),
            ("ws/crates/skipped/Cargo.toml", "[package]\nname = \"skipped\"\nversion = \"0.1.0\"\n"),
            ("ws/crates/README.md", "not a crate"),
            (
                "ws/tools/gen/Cargo.toml",
                "[package]\nname = \"gen\"\nversion = \"0.1.0\"\n[dependencies]\nskipped = { path = \"../../crates/skipped\" }\n",
            ),
            (
                "ws/libs/shared/Cargo.toml",
                "[package]\nname = \"shared\"\nversion = \"0.1.0\"\n[dependencies]\nouter = { path = \"../../../outer\" }\n",
            ),
            (
                "outer/Cargo.toml",
                "[package]\nname = \"outer\"\nversion = \"1.0.0\"\n[dependencies]\ndeep = { path = \"deep\" }\n[dev-dependencies]\ndevonly = { path = \"devonly\" }\n",
            ),
            ("outer/deep/Cargo.toml", "[package]\nname = \"deep\"\nversion = \"1.0.0\"\n"),
        ]);
        let ws = Workspace::read(&source, "ws/Cargo.lock");
        assert!(ws.errors.is_empty(), "{:?}", ws.errors);
        assert_eq!(ws.root_dir, "ws");
        assert_eq!(ws.resolver, ResolverVersion::V2);
        let names: Vec<(&str, bool)> = ws.crates.iter().map(|c| (c.name.as_str(), c.member)).collect();
        assert_eq!(
            names,
            [
                ("app", true),
                ("helper", true),
                ("gen", true),
                ("shared", true),
                ("skipped", false),
                ("outer", false),
                ("deep", false)
            ],
            "{:?}",
            ws.warnings
        );
        assert_eq!(ws.default_members, [0]);
        assert_eq!(ws.default_selection(), [0]);

        let app = krate(&ws, "app");
        assert_eq!(app.dir, "ws/crates/app");
        assert_eq!(app.version.as_deref(), Some("0.3.1"));
        assert_eq!(app.summary.proc_macro, Some(false));
        let serde = dep(app, "serde", DepKind::Normal);
        assert_eq!(serde.features, ["derive", "std"]);
        assert!(serde.optional && !serde.default_features);
        assert_eq!(serde.req.as_ref().map(ToString::to_string).as_deref(), Some("^1.0.200"));
        // `default-features = false` in the member does not override the workspace's default.
        assert!(dep(app, "tokio", DepKind::Normal).default_features);
        let shared = dep(app, "shared", DepKind::Normal);
        assert_eq!(shared.req.as_ref().map(ToString::to_string).as_deref(), Some("^0.1"));
        let helper = dep(app, "helper", DepKind::Normal);
        assert!(helper.req.is_none());
        let renamed = dep(app, "renamed", DepKind::Normal);
        assert_eq!(renamed.package, "real-name");
        assert!(!renamed.default_features);
        assert_eq!(dep(app, "winapi", DepKind::Normal).target.as_deref(), Some("cfg(windows)"));
        assert_eq!(dep(app, "cc", DepKind::Build).target.as_deref(), Some("x86_64-unknown-linux-gnu"));
        assert!(dep(app, "log", DepKind::Normal).target.is_none());
        dep(app, "proptest", DepKind::Dev);
        dep(app, "autocfg", DepKind::Build);
        // `rc` names no workspace dependency: warned, any version.
        assert!(dep(app, "rc", DepKind::Normal).req.is_none());
        assert!(
            ws.warnings.iter().any(|w| w.message.contains("rc") && w.message.contains("workspace = true")),
            "{:?}",
            ws.warnings
        );
        assert_eq!(
            app.summary.features["full"],
            [
                FeatureValue::Dep("serde".into()),
                FeatureValue::DepFeature { dep: "serde".into(), feature: "alloc".into(), weak: true },
                FeatureValue::DepFeature { dep: "tokio".into(), feature: "full".into(), weak: false },
            ]
        );
        // `dep:serde` is used: no implicit `serde` feature.
        assert!(!app.summary.features.contains_key("serde"));

        assert_eq!(krate(&ws, "helper").summary.proc_macro, Some(true));
        assert_eq!(krate(&ws, "outer").dir, "outer");
        // The outer crate's dev-dependency is not followed (the lockfile drops it).
        assert!(ws.crates.iter().all(|c| c.name != "devonly"));
        assert!(ws.warnings.iter().all(|w| !w.message.contains("devonly")), "{:?}", ws.warnings);
    }

    #[test]
    fn resolver_versions_follow_cargo() {
        let read = |manifest: &str| {
            let source = tree(&[("Cargo.lock", ""), ("Cargo.toml", manifest)]);
            Workspace::read(&source, "Cargo.lock")
        };
        let pkg = |edition: &str| format!("[package]\nname = \"a\"\nversion = \"1.0.0\"\n{edition}");
        assert_eq!(read(&pkg("")).resolver, ResolverVersion::V1);
        assert_eq!(read(&pkg("edition = \"2018\"")).resolver, ResolverVersion::V1);
        assert_eq!(read(&pkg("edition = \"2021\"")).resolver, ResolverVersion::V2);
        assert_eq!(read(&pkg("edition = \"2024\"")).resolver, ResolverVersion::V2);
        assert_eq!(read(&pkg("edition = \"2021\"\nresolver = \"1\"")).resolver, ResolverVersion::V1);
        assert_eq!(read(&pkg("edition = \"2015\"\nresolver = \"3\"")).resolver, ResolverVersion::V2);
        assert_eq!(
            read(&format!("{}\n[workspace]\nresolver = \"1\"\n", pkg("edition = \"2024\""))).resolver,
            ResolverVersion::V1
        );
        assert_eq!(
            read(&format!("{}\n[workspace.package]\nedition = \"2021\"\n", pkg("edition.workspace = true"))).resolver,
            ResolverVersion::V2
        );
        let virtual_ws = read("[workspace]\nmembers = []\n");
        assert_eq!(virtual_ws.resolver, ResolverVersion::V1);
        assert!(virtual_ws.warnings.iter().any(|w| w.message.contains("resolver 1")));
        assert_eq!(read("[workspace]\nresolver = \"2\"\n").resolver, ResolverVersion::V2);
        let odd = read("[workspace]\nresolver = 2\n");
        assert_eq!(odd.resolver, ResolverVersion::V2);
        assert!(odd.warnings.iter().any(|w| w.message.contains("resolver")));
    }

    #[test]
    fn membership_without_a_workspace_table_is_the_root_alone() {
        let source = tree(&[
            ("Cargo.lock", ""),
            (
                "Cargo.toml",
                "[package]\nname = \"root\"\nversion = \"1.0.0\"\n[dependencies]\nsub = { path = \"sub\" }\n[dev-dependencies]\nt = { path = \"t\" }\n",
            ),
            (
                "sub/Cargo.toml",
                "[package]\nname = \"sub\"\nversion = \"1.0.0\"\n[dev-dependencies]\nsubdev = { path = \"../subdev\" }\n",
            ),
            ("t/Cargo.toml", "[package]\nname = \"t\"\nversion = \"1.0.0\"\n"),
        ]);
        let ws = Workspace::read(&source, "Cargo.lock");
        let names: Vec<(&str, bool)> = ws.crates.iter().map(|c| (c.name.as_str(), c.member)).collect();
        assert_eq!(names, [("root", true), ("sub", false), ("t", false)]);
        assert_eq!(ws.default_selection(), [0]);
        assert_eq!(ws.root_dir, ".");
    }

    #[test]
    fn a_virtual_workspace_selects_every_member_by_default_and_path_deps_join() {
        let source = tree(&[
            ("Cargo.toml", "[workspace]\nresolver = \"3\"\nmembers = [\"a\"]\nexclude = [\"a/inner\"]\n"),
            (
                "a/Cargo.toml",
                "[package]\nname = \"a\"\n[dependencies]\nb = { path = \"../b\" }\ninner = { path = \"inner\" }\n",
            ),
            ("b/Cargo.toml", "[package]\nname = \"b\"\nversion = \"2.0.0\"\n"),
            ("a/inner/Cargo.toml", "[package]\nname = \"inner\"\nversion = \"2.0.0\"\n"),
        ]);
        let ws = Workspace::read(&source, "Cargo.lock");
        let names: Vec<(&str, bool)> = ws.crates.iter().map(|c| (c.name.as_str(), c.member)).collect();
        // `a/inner` is under an exclude, but `members` names `a`, a parent of it: cargo keeps
        // it a member (explicit members win over excludes).
        assert_eq!(names, [("a", true), ("b", true), ("inner", true)]);
        assert_eq!(krate(&ws, "a").version, None);
        assert_eq!(ws.default_selection(), [0, 1, 2]);
        assert!(ws.default_members.is_empty());
    }

    #[test]
    fn excluded_and_outside_path_crates_are_not_members() {
        let source = tree(&[
            (
                "ws/Cargo.toml",
                "[workspace]\nmembers = [\"m\"]\nexclude = [\"ex\"]\n[patch.crates-io]\nserde = { path = \"../forks/serde\" }\n",
            ),
            (
                "ws/m/Cargo.toml",
                "[package]\nname = \"m\"\nversion = \"1.0.0\"\n[dependencies]\nex = { path = \"../ex\" }\nfar = { path = \"../../far\" }\ngone = { path = \"../gone\" }\nabove = { path = \"../../../above\" }\n",
            ),
            ("ws/ex/Cargo.toml", "[package]\nname = \"ex\"\nversion = \"1.0.0\"\n"),
            (
                "far/Cargo.toml",
                "[package]\nname = \"far\"\nversion = \"1.0.0\"\n[dependencies]\nw = { workspace = true }\n[workspace]\n[workspace.dependencies]\nw = { version = \"3\", path = \"w\" }\n",
            ),
            ("far/w/Cargo.toml", "[package]\nname = \"w\"\nversion = \"3.0.0\"\n"),
            ("forks/serde/Cargo.toml", "[package]\nname = \"serde\"\nversion = \"1.0.999\"\n"),
        ]);
        let ws = Workspace::read(&source, "ws/Cargo.lock");
        let names: Vec<(&str, bool)> = ws.crates.iter().map(|c| (c.name.as_str(), c.member)).collect();
        assert_eq!(
            names,
            [("m", true), ("ex", false), ("far", false), ("serde", false), ("w", false)],
            "{:?}",
            ws.warnings
        );
        // `far` inherits from its own `[workspace]`, paths relative to it.
        let far = krate(&ws, "far");
        assert_eq!(dep(far, "w", DepKind::Normal).req.as_ref().map(ToString::to_string).as_deref(), Some("^3"));
        // Unreadable path dependencies are warnings naming them; the member is read.
        assert!(ws.errors.is_empty(), "{:?}", ws.errors);
        for missing in ["ws/gone", "../above"] {
            assert!(
                ws.warnings
                    .iter()
                    .any(|w| w.message.contains(&format!("`{missing}`")) && w.message.contains("counted as compiled")),
                "{missing}: {:?}",
                ws.warnings
            );
        }
    }

    #[test]
    fn default_members_and_missing_members_are_reported() {
        let source = tree(&[
            (
                "Cargo.toml",
                "[package]\nname = \"root\"\nversion = \"1.0.0\"\n[workspace]\nmembers = [\"x/*\", \"nothere\"]\nexclude = [\"x/c\"]\ndefault-members = [\".\", \"x/b\", \"x/nope\", \"x/*\"]\n",
            ),
            ("x/a/Cargo.toml", "[package]\nname = \"a\"\nversion = \"1.0.0\"\n"),
            ("x/b/Cargo.toml", "[package]\nname = \"b\"\nversion = \"1.0.0\"\n"),
            ("x/c/Cargo.toml", "[package]\nname = \"c\"\nversion = \"1.0.0\"\n"),
        ]);
        let ws = Workspace::read(&source, "Cargo.lock");
        let names: Vec<&str> = ws.crates.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["root", "a", "b"]);
        // `x/*` in default-members matches the excluded `x/c`: skipped quietly, as cargo does.
        assert!(ws.warnings.iter().all(|w| !w.message.contains("x/c")), "{:?}", ws.warnings);
        assert_eq!(ws.default_members, [0, 2, 1]);
        assert!(ws.warnings.iter().any(|w| w.message.contains("`nothere`")), "{:?}", ws.warnings);
        assert!(ws.warnings.iter().any(|w| w.message.contains("`x/nope`")), "{:?}", ws.warnings);
    }

    #[test]
    fn workspace_default_features_rules() {
        let source = tree(&[(
            "Cargo.toml",
            r#"[package]
name = "r"
version = "1.0.0"
[workspace.dependencies]
off = { version = "1", default-features = false }
on = { version = "1" }
plain = "1"
[dependencies]
off = { workspace = true }
off-on = { workspace = true, default-features = true, package = "off" }
on = { workspace = true, default-features = false }
plain = { workspace = true, default-features = false, features = ["x"] }
"#,
        )]);
        let ws = Workspace::read(&source, "Cargo.lock");
        let r = krate(&ws, "r");
        assert!(!dep(r, "off", DepKind::Normal).default_features);
        // `off-on` has no workspace entry of its own key: warned.
        assert!(dep(r, "on", DepKind::Normal).default_features);
        let plain = dep(r, "plain", DepKind::Normal);
        assert!(plain.default_features);
        assert_eq!(plain.features, ["x"]);
    }

    #[test]
    fn bad_manifests_are_errors_and_warnings_not_panics() {
        // The root cannot be read.
        let ws = Workspace::read(&tree(&[("Cargo.lock", "")]), "Cargo.lock");
        assert!(ws.crates.is_empty() && ws.errors.len() == 1 && ws.errors[0].path == "Cargo.toml");
        let ws = Workspace::read(&tree(&[("Cargo.toml", "[package\nname=")]), "Cargo.lock");
        assert!(ws.crates.is_empty() && !ws.errors.is_empty());
        let ws = Workspace::read(&tree(&[("Cargo.toml", "workspace = 3\n")]), "Cargo.lock");
        assert!(ws.crates.is_empty() && !ws.errors.is_empty());
        let ws = Workspace::read(&tree(&[("Cargo.toml", "[package]\nversion = \"1.0.0\"\n")]), "Cargo.lock");
        assert!(ws.crates.is_empty() && ws.errors.iter().any(|e| e.to_string().contains("name")));
        let ws = Workspace::read(&tree(&[("Cargo.toml", "[dependencies]\n")]), "Cargo.lock");
        assert!(ws.crates.is_empty() && !ws.errors.is_empty());
        let source = MemorySource::new([("Cargo.toml".to_owned(), vec![0xff, 0xfe])]);
        assert!(Workspace::read(&source, "Cargo.lock").errors.iter().any(|e| e.path == "Cargo.toml"));

        // Odd types everywhere: warnings, no panic, the crate is still read.
        let odd = r#"
[package]
name = "odd"
version = 7
edition = ["2021"]
resolver = false
[lib]
proc-macro = "yes"
[dependencies]
a = 1
b = { version = 2, path = ["x"], optional = "no", features = [1, "f"], default-features = "off" }
c = { version = ">=1, <" }
d = {}
[target]
"cfg(linux)" = 5
[target.'cfg(unix)'.dependencies]
e = "*"
[target.'cfg(windows)']
dependencies = "nope"
[features]
default = "x"
f = [1, "b/f", "dep:b"]
[dev-dependencies]
x = "1"
[dev_dependencies]
y = "1"
[workspace]
members = "all"
exclude = [1]
default-members = 5
dependencies = 3
package = []
"#;
        let ws = Workspace::read(&tree(&[("Cargo.toml", odd)]), "Cargo.lock");
        assert!(ws.errors.is_empty(), "{:?}", ws.errors);
        let c = krate(&ws, "odd");
        assert_eq!(c.version, None);
        assert_eq!(c.summary.proc_macro, Some(false));
        let names: BTreeSet<&str> = c.summary.deps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, BTreeSet::from(["b", "c", "d", "e", "x"]));
        let b = dep(c, "b", DepKind::Normal);
        assert!(b.req.is_none() && !b.optional && b.default_features && b.features == ["f"]);
        assert!(dep(c, "c", DepKind::Normal).req.is_none());
        assert_eq!(c.summary.features["f"].len(), 2);
        assert!(!c.summary.features.contains_key("default"));
        assert!(ws.warnings.len() >= 10, "{:#?}", ws.warnings);
        for w in &ws.warnings {
            assert_eq!(w.path, "Cargo.toml");
        }
    }

    #[test]
    fn hostile_sizes_are_bounded() {
        // Many dependencies: capped.
        let mut manifest = String::from("[package]\nname = \"big\"\n[dependencies]\n");
        for i in 0..(MAX_DEPS + 10) {
            writeln!(manifest, "d{i} = \"1\"").unwrap();
        }
        let ws = Workspace::read(&tree(&[("Cargo.toml", &manifest)]), "Cargo.lock");
        assert_eq!(krate(&ws, "big").summary.deps.len(), MAX_DEPS);
        assert!(ws.warnings.iter().any(|w| w.message.contains("dependencies")));

        // Too big a file.
        let huge = format!("[package]\nname = \"h\"\ndescription = \"{}\"\n", "x".repeat(MAX_MANIFEST_BYTES));
        let ws = Workspace::read(&tree(&[("Cargo.toml", &huge)]), "Cargo.lock");
        assert!(ws.crates.is_empty() && !ws.errors.is_empty());

        // Deep nesting: toml's own limit, an error.
        let deep = format!("[package]\nname = \"d\"\nx = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let ws = Workspace::read(&tree(&[("Cargo.toml", &deep)]), "Cargo.lock");
        assert!(ws.crates.is_empty() && !ws.errors.is_empty());

        // A long chain of path dependencies and a cycle: each read once.
        let mut files: Vec<(String, String)> = vec![(
            "Cargo.toml".to_owned(),
            "[package]\nname = \"r\"\n[dependencies]\nc0 = { path = \"../out/c0\" }\n[workspace]\nmembers = [\"**\"]\n"
                .to_owned(),
        )];
        for i in 0..300 {
            files.push((
                format!("../out/c{i}/Cargo.toml"),
                format!("[package]\nname = \"c{i}\"\n[dependencies]\nnext = {{ path = \"../c{}\" }}\nback = {{ path = \"../c0\" }}\n", i + 1),
            ));
        }
        let source = MemorySource::new(files.into_iter().map(|(p, c)| (p, c.into_bytes())));
        let ws = Workspace::read(&source, "Cargo.lock");
        assert_eq!(ws.crates.len(), 301);
        assert!(ws.warnings.iter().any(|w| w.message.contains("`../out/c300`")));

        // Globs that are not globs, members climbing out.
        let ws = Workspace::read(
            &tree(&[
                ("Cargo.toml", "[workspace]\nmembers = [\"[\", \"a/{b\", \"../../*\", \"\", \".\", \"**/**/**/**\"]\n"),
                ("a/Cargo.toml", "[package]\nname = \"a\"\n"),
            ]),
            "Cargo.lock",
        );
        assert!(ws.errors.is_empty(), "{:?}", ws.errors);
        assert_eq!(ws.crates.len(), 1);

        // Thousands of glob entries over thousands of manifests: bounded, quick.
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let members: Vec<String> = (0..MAX_PATTERNS + 5).map(|i| format!("\"**/x{i}*\"")).collect();
        files.push(("Cargo.toml".to_owned(), format!("[workspace]\nmembers = [{}]\n", members.join(",")).into_bytes()));
        for i in 0..3000 {
            files.push((format!("d/x{i}/Cargo.toml"), format!("[package]\nname = \"x{i}\"\n").into_bytes()));
        }
        let started = std::time::Instant::now();
        let ws = Workspace::read(&MemorySource::new(files), "Cargo.lock");
        assert!(started.elapsed().as_secs() < 30);
        assert!(ws.crates.len() >= MAX_GLOBS, "{}", ws.crates.len());
        assert!(ws.warnings.iter().any(|w| w.message.contains("globs")), "{:?}", ws.warnings);
    }

    #[test]
    fn proc_macro_crates_are_recognised_by_either_spelling() {
        for lib in ["proc-macro = true", "proc_macro = true", "crate-type = [\"proc-macro\"]"] {
            let manifest = format!("[package]\nname = \"m\"\nversion = \"0.1.0\"\n[lib]\n{lib}\n");
            let ws = Workspace::read(&tree(&[("Cargo.toml", &manifest)]), "Cargo.lock");
            assert_eq!(krate(&ws, "m").summary.proc_macro, Some(true), "{lib}");
        }
        let ws = Workspace::read(
            &tree(&[("Cargo.toml", "[package]\nname = \"m\"\n[lib]\nproc-macro = false\n")]),
            "Cargo.lock",
        );
        assert_eq!(krate(&ws, "m").summary.proc_macro, Some(false));
    }
}
