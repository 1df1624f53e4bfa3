//! From the passes to a status per package: `runtime`, `build` (what `cargo build` compiles), then
//! `dev` (what only `cargo test` adds), `no` for the rest of Cargo.lock, each with its reason.

use std::collections::BTreeSet;

use super::features::{self, Graph, Pass, PassOptions, PlatformFilter, Resolver};
use super::summary::{CrateSummary, DepKind, FeatureValue};
use super::{Compiled, Status};
use crate::model::Package;

/// One lockfile, ready to decide.
pub struct Input<'a> {
    /// The lockfile's packages (their `dependencies` are the lockfile's edges).
    pub packages: &'a [Package],
    /// Per package: its summary, `None` when no metadata was found.
    pub summaries: &'a [Option<&'a CrateSummary>],
    /// Per package: why its metadata is missing (shown as the reason), when it is.
    pub missing: &'a [Option<String>],
    /// Per package: a workspace member.
    pub members: &'a [bool],
    /// The selected members with the feature values asked of each.
    pub roots: &'a [(usize, Vec<FeatureValue>)],
    /// Resolver version.
    pub resolver: Resolver,
    /// Target tables; `None` for every platform.
    pub platform: Option<&'a dyn PlatformFilter>,
    /// How the requested targets read in reasons (`x86_64-unknown-linux-gnu`).
    pub targets_label: &'a str,
    /// `--tests`: `runtime` and `build` as `cargo test` resolves them.
    pub tests: bool,
}

/// The statuses, and what the walk noticed.
pub struct Decided {
    /// Per package.
    pub compiled: Vec<Compiled>,
    /// Warnings (a stale lockfile, a pass that gave up), each naming the crate.
    pub warnings: Vec<String>,
}

/// Decide every package's status.
pub fn decide(input: &Input<'_>) -> Decided {
    let n = input.packages.len();
    let edges: Vec<Vec<usize>> = input.packages.iter().map(|p| p.dependencies.iter().copied().collect()).collect();
    let locked: Vec<Vec<(Option<usize>, usize)>> = (0..n).map(|i| lock_declarations(input, &edges, i)).collect();
    let graph = Graph { summaries: input.summaries, edges: &edges, locked: &locked, members: input.members };
    let pass = |dev_units: bool| {
        features::run(
            &graph,
            &PassOptions { resolver: input.resolver, dev_units, platform: input.platform, roots: input.roots },
        )
    };
    let build = pass(input.tests);
    let test = if input.tests { None } else { Some(pass(true)) };
    let test_ref = test.as_ref().unwrap_or(&build);

    let mut warnings = Vec::new();
    for p in [Some(&build), test.as_ref()].into_iter().flatten() {
        if p.gave_up {
            warnings.push(format!(
                "the feature resolution of `{}` took more than {} steps: every crate below the members counts as compiled",
                input.packages.first().map(|p| p.name.as_str()).unwrap_or_default(),
                features::STEP_BUDGET
            ));
        }
        for (pkg, dep) in &p.unlocked {
            let w = format!(
                "{} enables its dependency `{dep}`, which Cargo.lock does not lock (is the lockfile out of date?): what it would pull in is not known",
                label(input.packages, *pkg)
            );
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
    }

    let mut reverse: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (p, children) in edges.iter().enumerate() {
        for &c in children {
            if let Some(r) = reverse.get_mut(c) {
                r.push(p);
            }
        }
    }
    let mut compiled = Vec::with_capacity(n);
    // Per package not compiled only because its parent is not: that parent.
    let mut inherited: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        let b = build.reach.get(i).copied().unwrap_or_default();
        let t = test_ref.reach.get(i).copied().unwrap_or_default();
        let status = if b.target {
            Status::Runtime
        } else if b.host {
            Status::Build
        } else if b.dev || t.any() {
            Status::Dev
        } else {
            Status::No
        };
        let mut reason = match status {
            Status::Runtime => None,
            Status::Build => Some(build_reason(input, &graph, &reverse, &build, i)),
            Status::Dev => Some(dev_reason(input, &graph, &reverse, i)),
            Status::No => {
                let (reason, parent) = no_reason(input, &graph, &reverse, test_ref, i);
                if let Some(slot) = inherited.get_mut(i) {
                    *slot = parent;
                }
                Some(reason)
            }
        };
        if let Some(Some(why)) = input.missing.get(i)
            && status != Status::No
        {
            reason = Some(format!("{why}: counted as compiled, with everything it depends on"));
        }
        compiled.push(Compiled { status, reason });
    }
    chain_reasons(&inherited, &mut compiled);
    Decided { compiled, warnings }
}

/// Reasons that only name an uncompiled parent get the first reason up that chain that says
/// why (`only needed by sqlx-mysql 0.8.6, which is not compiled: feature `mysql` of sqlx 0.8.6
/// is off`).
fn chain_reasons(inherited: &[Option<usize>], compiled: &mut [Compiled]) {
    let parent_of = |i: usize| inherited.get(i).copied().flatten();
    let n = compiled.len();
    // Per package: the reason its chain ends with, once known (each package is walked once).
    let mut cause: Vec<Option<Option<String>>> = vec![None; n];
    let mut on_path = vec![false; n];
    for start in 0..n {
        if cause.get(start).is_some_and(Option::is_some) {
            continue;
        }
        let mut path = Vec::new();
        let mut cur = start;
        let found: Option<String> = loop {
            if let Some(Some(known)) = cause.get(cur) {
                break known.clone();
            }
            let Some(c) = compiled.get(cur) else { break None };
            match parent_of(cur) {
                Some(p) if !on_path.get(p).copied().unwrap_or(true) => {
                    if let Some(flag) = on_path.get_mut(cur) {
                        *flag = true;
                    }
                    path.push(cur);
                    cur = p;
                }
                // A cycle of uncompiled packages: no reason to add.
                Some(_) => break None,
                None => {
                    let own = c.reason.clone();
                    if let Some(slot) = cause.get_mut(cur) {
                        *slot = Some(own.clone());
                    }
                    break own;
                }
            }
        };
        for p in path {
            if let Some(slot) = cause.get_mut(p) {
                *slot = Some(found.clone());
            }
            if let Some(flag) = on_path.get_mut(p) {
                *flag = false;
            }
        }
    }
    for (i, c) in compiled.iter_mut().enumerate() {
        if parent_of(i).is_none() {
            continue;
        }
        if let (Some(own), Some(Some(Some(root)))) = (c.reason.as_deref(), cause.get(i)) {
            c.reason = Some(format!("{own}: {root}"));
        }
    }
}

/// The lockfile edges of package `i`, each with the dependency declaration it is locked for:
/// every declaration claims every locked dependency with its real name whose version meets its
/// requirement (two versions of one crate can both be claimed: a broad requirement and a later
/// one); an edge no declaration claims gets `None`.
fn lock_declarations(input: &Input<'_>, edges: &[Vec<usize>], i: usize) -> Vec<(Option<usize>, usize)> {
    let children = edges.get(i).map(Vec::as_slice).unwrap_or_default();
    let Some(Some(summary)) = input.summaries.get(i) else {
        return children.iter().map(|&c| (None, c)).collect();
    };
    let mut out = Vec::new();
    let mut claimed = vec![false; children.len()];
    for (d, decl) in summary.deps.iter().enumerate() {
        for (k, &c) in children.iter().enumerate() {
            let Some(p) = input.packages.get(c) else { continue };
            if p.name != decl.package {
                continue;
            }
            let fits = match (&decl.req, semver::Version::parse(&p.version)) {
                (Some(req), Ok(v)) => req.matches(&v),
                _ => true,
            };
            if fits {
                out.push((Some(d), c));
                if let Some(slot) = claimed.get_mut(k) {
                    *slot = true;
                }
            }
        }
    }
    for (k, &c) in children.iter().enumerate() {
        if !claimed.get(k).copied().unwrap_or(true) {
            out.push((None, c));
        }
    }
    out
}

/// The declarations of package `p` locked to package `i`.
fn declarations<'g>(
    graph: &'g Graph<'g>,
    p: usize,
    i: usize,
) -> impl Iterator<Item = &'g super::summary::DepSpec> + 'g {
    let summary = graph.summaries.get(p).copied().flatten();
    graph
        .locked
        .get(p)
        .into_iter()
        .flatten()
        .filter(move |(_, c)| *c == i)
        .filter_map(move |(d, _)| summary?.deps.get((*d)?))
}

/// `name version` of a package, for messages.
fn label(packages: &[Package], i: usize) -> String {
    packages.get(i).map(|p| format!("{} {}", p.name, p.version)).unwrap_or_default()
}

/// The packages with a lockfile edge to `i`.
fn parents(reverse: &[Vec<usize>], i: usize) -> impl Iterator<Item = usize> + '_ {
    reverse.get(i).into_iter().flatten().copied()
}

fn proc_macro(graph: &Graph<'_>, i: usize) -> bool {
    graph.summaries.get(i).copied().flatten().and_then(|s| s.proc_macro).unwrap_or(false)
}

fn build_reason(input: &Input<'_>, graph: &Graph<'_>, reverse: &[Vec<usize>], pass: &Pass, i: usize) -> String {
    if proc_macro(graph, i) {
        return "proc-macro: runs in the compiler at build time".to_owned();
    }
    for p in parents(reverse, i) {
        if !pass.reach.get(p).copied().unwrap_or_default().any() {
            continue;
        }
        if declarations(graph, p, i).any(|d| d.kind == DepKind::Build) {
            return format!("build-dependency of {}: runs at build time", label(input.packages, p));
        }
    }
    for p in parents(reverse, i) {
        if pass.reach.get(p).copied().unwrap_or_default().host {
            return format!("used by {} at build time", label(input.packages, p));
        }
    }
    "compiled for the build machine only".to_owned()
}

fn dev_reason(input: &Input<'_>, graph: &Graph<'_>, reverse: &[Vec<usize>], i: usize) -> String {
    for p in parents(reverse, i) {
        if !graph.members.get(p).copied().unwrap_or(false) {
            continue;
        }
        if declarations(graph, p, i).any(|d| d.kind == DepKind::Dev) {
            return format!("dev-dependency of {}: compiled by `cargo test` only", label(input.packages, p));
        }
    }
    "compiled by `cargo test` only".to_owned()
}

/// Why a package is not compiled: the first compiled parent whose declaration of it is off
/// (feature, platform), else the parent it would come through (returned too, for
/// [`chain_reasons`]).
fn no_reason(
    input: &Input<'_>,
    graph: &Graph<'_>,
    reverse: &[Vec<usize>],
    pass: &Pass,
    i: usize,
) -> (String, Option<usize>) {
    let compiled = |p: usize| pass.reach.get(p).copied().unwrap_or_default().any();
    let mut undeclared: Option<usize> = None;
    let mut uncompiled_parent: Option<usize> = None;
    for p in parents(reverse, i) {
        if !compiled(p) {
            uncompiled_parent.get_or_insert(p);
            continue;
        }
        let Some(summary) = graph.summaries.get(p).copied().flatten() else { continue };
        let decls: Vec<_> = declarations(graph, p, i).collect();
        if decls.is_empty() {
            undeclared.get_or_insert(p);
            continue;
        }
        let parent = label(input.packages, p);
        // Prefer the platform reason when the declaration would be on but for the target.
        for d in &decls {
            if let (Some(target), Some(platform)) = (&d.target, input.platform) {
                let host = d.kind == DepKind::Build;
                let ok = if host { platform.host(target) } else { platform.any_target(target) };
                if !ok {
                    return (format!("target `{target}` of {parent} does not match {}", input.targets_label), None);
                }
            }
        }
        for d in &decls {
            if d.kind == DepKind::Dev {
                return (format!("dev-dependency of {parent}, which is not a selected member"), None);
            }
            if d.optional && !pass.dep_enabled(p, &d.name) {
                let enabling = enabling_features(summary, &d.name);
                let reason = match enabling.first() {
                    Some(f) if enabling.len() == 1 => format!("feature `{f}` of {parent} is off"),
                    Some(_) => format!(
                        "features {} of {parent} are off",
                        enabling.iter().take(4).map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                    ),
                    None => format!("optional dependency `{}` of {parent} is never enabled", d.name),
                };
                return (reason, None);
            }
        }
    }
    if let Some(p) = undeclared {
        let reason = format!(
            "{} does not declare it for these features and targets (Cargo.lock lists it for a weak or platform-specific feature)",
            label(input.packages, p)
        );
        return (reason, None);
    }
    if let Some(p) = uncompiled_parent {
        return (format!("only needed by {}, which is not compiled", label(input.packages, p)), Some(p));
    }
    if graph.members.get(i).copied().unwrap_or(false) {
        return ("workspace member not selected".to_owned(), None);
    }
    ("nothing compiled depends on it".to_owned(), None)
}

/// The features of a crate that turn its optional dependency `dep` on: those naming it
/// (`dep:x`, `x/feat`), else the ones naming those; the implicit feature `x` only when nothing
/// else does.
fn enabling_features(summary: &CrateSummary, dep: &str) -> Vec<String> {
    let direct: BTreeSet<&str> = summary
        .features
        .iter()
        .filter(|(_, values)| {
            values.iter().any(|v| match v {
                FeatureValue::Dep(d) => d == dep,
                FeatureValue::DepFeature { dep: d, weak, .. } => d == dep && !weak,
                FeatureValue::Feature(_) => false,
            })
        })
        .map(|(name, _)| name.as_str())
        .collect();
    let explicit: Vec<String> = direct.iter().filter(|f| **f != dep).map(|f| (*f).to_owned()).collect();
    if !explicit.is_empty() {
        return explicit;
    }
    let above: BTreeSet<&str> = summary
        .features
        .iter()
        .filter(|(name, values)| {
            name.as_str() != dep
                && values.iter().any(|v| matches!(v, FeatureValue::Feature(f) if direct.contains(f.as_str())))
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if above.is_empty() {
        direct.into_iter().map(str::to_owned).collect()
    } else {
        above.into_iter().map(str::to_owned).collect()
    }
}
