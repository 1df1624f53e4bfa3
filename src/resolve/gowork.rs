//! Go workspaces: `go.work`.
//!
//! The file has `go.mod`'s syntax (see [`super::gomod`]) and the directives `go`, `toolchain`,
//! `godebug`, `use` (a member module's directory, relative to the `go.work`; a block too) and
//! `replace`. Anything else is an error naming the line, as the go command refuses it.
//!
//! The workspace is resolved as the go command builds in workspace mode:
//!
//! - every member (`use`) is a main module: a first-party `Path` package named by its
//!   `module` line, version `""`, on its `use` line; the workspace itself is a synthetic root
//!   (named after the `go.work` directory) depending on the members. A `use` of a directory
//!   without a readable `go.mod` (or one that does not parse, or without a `module` line), a
//!   directory used twice and a module path used by two members are errors, as in Go; the other
//!   members are still resolved.
//! - the members' `require`s together, minimal version selection taking the highest version
//!   of each module path across the members (excluded versions, by any member's `exclude`,
//!   are not selected). A require of another member's module path is an edge to that member
//!   (main modules are not versioned). Each member depends on the selected version of every
//!   path it requires.
//! - `replace`: the `go.work`'s replaces win: a module path the `go.work` replaces (any
//!   version of it) takes no member's replace of that path, as Go keys `replacedByWorkFile` by
//!   the path alone; otherwise a member's replace applies (relative directories relative to that
//!   member), and two members replacing one module differently is an error, as in Go.
//!   Replacements become packages as in [`super::gomod`].
//! - `stdlib` at the higher of the `go.work`'s `toolchain` and `go` versions.
//! - Lines: a module replaced by the `go.work` is on its `replace` line; any other module on
//!   the `use` line of the first member requiring it (its `require` line is in the member's
//!   `go.mod`, another file).
//!
//! The members' own `go.mod` files resolve to the module alone (see [`super::gomod`]), so
//! that no requirement is reported twice. A member whose own `go` line is 1.16 or older (or
//! absent) has an unpruned module graph, even in a workspace: its `go.sum`'s modules are
//! added to its requirements as [`super::gomod`] adds them (on its `use` line), and a missing
//! `go.sum` is an error naming the member's `go.mod`. Newer members' `go.sum` files are not
//! read (their `go.mod` lists every module).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::gomod::{self, Builder, ModFile, Replacement};
use super::{ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::model::{Ecosystem, LineSpan, Package, PackageSource, RootComponent, Scope};
use crate::source::Source;

/// Reads `go.work`.
pub struct GoWorkResolver;

/// A member of the workspace.
struct Member {
    dir: String,
    use_line: usize,
    file: ModFile,
    gomod: String,
    /// The modules only its `go.sum` lists (an unpruned graph, `go` ≤ 1.16).
    from_go_sum: Vec<gomod::Require>,
}

impl Resolver for GoWorkResolver {
    fn name(&self) -> &'static str {
        "gowork"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "go.work")
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        _options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let work_dir = gomod::parent(path);
        let mut work = ModFile::default();
        let mut uses: Vec<(String, usize)> = Vec::new();
        for s in gomod::parse_statements(text, path)? {
            let err = |m: String| ResolveError::new(path, Some(s.line), ResolveErrorKind::Format(m));
            match s.verb.as_str() {
                "use" => {
                    let [dir] = s.args.as_slice() else { return Err(err("usage: use local/dir".into())) };
                    let dir = gomod::unquote(dir).map_err(&err)?;
                    uses.push((dir, s.line));
                }
                "go" | "toolchain" | "godebug" | "replace" => {
                    gomod::common_directive(&s, path, &mut work.go, &mut work.toolchain, &mut work.replaces)?;
                }
                other => return Err(err(format!("unknown directive: {other}"))),
            }
        }
        let mut out = Resolved {
            path: path.to_owned(),
            packages: Vec::new(),
            root: RootComponent::Synthetic { name: String::new(), depends_on: BTreeSet::new() },
            warnings: Vec::new(),
            errors: Vec::new(),
        };
        // Members.
        let mut members: Vec<Member> = Vec::new();
        let mut seen_dirs: BTreeMap<String, usize> = BTreeMap::new();
        let mut module_lines: BTreeMap<String, usize> = BTreeMap::new();
        for (arg, line) in uses {
            let err = |m: String| ResolveError::new(path, Some(line), ResolveErrorKind::Format(m));
            let Some(dir) = gomod::use_dir(&work_dir, &arg) else {
                out.errors
                    .push(err(format!("`use {arg}`: an absolute directory outside the scanned tree is not read")));
                continue;
            };
            if let Some(first) = seen_dirs.insert(dir.clone(), line) {
                out.errors.push(err(format!("path {arg} appears multiple times in workspace (line {first})")));
                continue;
            }
            let gomod_path = crate::source::join(&dir, "go.mod");
            let bytes = match source.read(&gomod_path) {
                Ok(b) => b,
                Err(e) => {
                    out.errors.push(err(format!("cannot load module {arg} listed in go.work file: {}", e.message)));
                    continue;
                }
            };
            let file = match super::utf8(&gomod_path, &bytes).and_then(|t| ModFile::parse(t, &gomod_path)) {
                Ok(f) => f,
                Err(e) => {
                    out.errors.push(e);
                    continue;
                }
            };
            let Some((module, _)) = &file.module else {
                out.errors.push(err(format!("`{gomod_path}` has no `module` directive")));
                continue;
            };
            if let Some(other) = module_lines.get(module) {
                out.errors.push(err(format!(
                    "module {module} appears multiple times in workspace (also `use`d at line {other})"
                )));
                continue;
            }
            module_lines.insert(module.clone(), line);
            let from_go_sum = if gomod::graph_unpruned(&file) {
                gomod::go_sum_modules(source, &gomod_path, &file, &mut out.errors)
            } else {
                Vec::new()
            };
            members.push(Member { dir, use_line: line, file, gomod: gomod_path, from_go_sum });
        }
        let member_of: BTreeMap<String, usize> = members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.file.module.as_ref().map(|(p, _)| (p.clone(), i)))
            .collect();
        // Requirements of all members, excluded versions left out (any member's excludes).
        let mut all_excludes: BTreeMap<(String, String), String> = BTreeMap::new();
        for m in &members {
            for (key, l) in &m.file.excludes {
                all_excludes.entry(key.clone()).or_insert_with(|| format!("{}:{l}", m.gomod));
            }
        }
        let mut requires = Vec::new();
        let mut excluded = Vec::new();
        let mut first_member: BTreeMap<String, usize> = BTreeMap::new();
        for (i, m) in members.iter().enumerate() {
            for r in m.file.requires.iter().chain(&m.from_go_sum) {
                if member_of.contains_key(&r.path) {
                    continue;
                }
                if let Some(at) = all_excludes.get(&(r.path.clone(), r.version.clone())) {
                    // A go.sum module of an excluded version is left out silently, as in go.mod.
                    if r.line > 0 {
                        excluded.push((m.gomod.clone(), r.clone(), at.clone()));
                    }
                    continue;
                }
                first_member.entry(r.path.clone()).or_insert(i);
                requires.push(r.clone());
            }
        }
        let selected = gomod::select(&requires, &[], path, &mut Vec::new());
        let chosen: BTreeMap<&str, &str> = selected.iter().map(|k| (k.path.as_str(), k.version.as_str())).collect();
        for (gomod_path, r, at) in excluded {
            let kept = chosen.get(r.path.as_str()).copied();
            out.warnings.push(Warning {
                path: gomod_path,
                line: Some(r.line),
                message: gomod::excluded_message(&r.path, &r.version, &format!("by {at}"), kept),
            });
        }
        // Members' replaces, conflicts reported. A path the go.work replaces (at any version)
        // takes no member replace (Go's `replacedByWorkFile` is keyed by the path alone).
        let work_replaced: BTreeSet<&str> = work.replaces.keys().map(|(p, _)| p.as_str()).collect();
        let mut member_replaces: BTreeMap<(String, Option<String>), (Replacement, usize)> = BTreeMap::new();
        for (i, m) in members.iter().enumerate() {
            for (key, rep) in &m.file.replaces {
                if work_replaced.contains(key.0.as_str()) {
                    continue;
                }
                match member_replaces.get(key) {
                    Some((prev, j)) if prev.new != rep.new || prev.version != rep.version => {
                        let other = members.get(*j).map_or("", |x| x.dir.as_str());
                        out.errors.push(ResolveError::new(
                            path,
                            Some(m.use_line),
                            ResolveErrorKind::Format(format!(
                                "conflicting replacements found for {} in workspace modules defined by {other} and {}",
                                key.0, m.dir
                            )),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        member_replaces.insert(key.clone(), (rep.clone(), i));
                    }
                }
            }
        }
        // Packages: members first, then modules, then stdlib.
        let offset = members.len();
        let mut builder = Builder::default();
        let mut package_of_path: BTreeMap<String, usize> = BTreeMap::new();
        for s in &selected {
            let use_line = first_member.get(&s.path).and_then(|&i| members.get(i)).map(|m| m.use_line);
            let i = if let Some(rep) = gomod::replacement_for(&work.replaces, &s.path, &s.version) {
                builder.add(s, Some(rep), &work_dir, None)
            } else {
                let by_member = member_replaces
                    .get(&(s.path.clone(), Some(s.version.clone())))
                    .or_else(|| member_replaces.get(&(s.path.clone(), None)));
                match by_member {
                    Some((rep, j)) => {
                        let dir = members.get(*j).map_or(work_dir.as_str(), |m| m.dir.as_str());
                        builder.add(s, Some(rep), dir, use_line)
                    }
                    None => builder.add(s, None, &work_dir, use_line),
                }
            };
            package_of_path.insert(s.path.clone(), i + offset);
        }
        let stdlib = gomod::stdlib(&work).map(|(v, line)| builder.stdlib(v, line) + offset);
        let mut root_deps = BTreeSet::new();
        for (i, m) in members.iter().enumerate() {
            let name = m.file.module.as_ref().map(|(p, _)| p.clone()).unwrap_or_default();
            let mut p = Package::new(Ecosystem::Go, name, String::new(), PackageSource::Path { dir: m.dir.clone() });
            p.first_party = true;
            p.scope = Some(Scope::Required);
            p.lines = Some(LineSpan { start: m.use_line, end: m.use_line });
            for r in m.file.requires.iter().chain(&m.from_go_sum) {
                let target = member_of.get(&r.path).or_else(|| package_of_path.get(&r.path));
                if let Some(&t) = target.filter(|&&t| t != i) {
                    p.dependencies.insert(t);
                }
            }
            p.dependencies.extend(stdlib);
            out.packages.push(p);
            root_deps.insert(i);
        }
        for mut p in builder.packages {
            p.dependencies = p.dependencies.iter().map(|d| d + offset).collect();
            out.packages.push(p);
        }
        root_deps.extend(stdlib);
        out.root = RootComponent::Synthetic {
            name: super::dir_name(source, &work_dir).unwrap_or_else(|| "workspace".to_owned()),
            depends_on: root_deps,
        };
        Ok(out)
    }
}
