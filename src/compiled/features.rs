//! Cargo's feature resolver run over a Cargo.lock graph, then cargo's unit graph: which packages
//! `cargo build` (or `cargo test`) compiles, and whether for the target or for the host.
//!
//! This follows cargo's `core/resolver/features.rs` (`FeatureResolver`: `activate_pkg`,
//! `activate_fv`, `activate_rec`, `activate_dependency`, `activate_dep_feature`,
//! `fvs_from_dependency`, `deps`) and `core/compiler/unit_dependencies.rs` (which dependencies
//! become units: platform, optional dependencies the feature resolver activated, dev-dependencies
//! of the members' test units only):
//!
//! - Resolver 2 keeps two feature sets per package: one for what is compiled for the target
//!   (`NormalOrDev`) and one for what runs on the build machine (`HostDep`: build-dependencies,
//!   proc-macros and everything below them); it skips target tables that do not match (the host
//!   for `HostDep` and build-dependencies, else any requested target), and dev-dependencies
//!   unless test units are built.
//! - Resolver 1 unifies both keys and every platform (its features come from the dependency
//!   resolve), but the unit graph is still filtered by platform.
//! - A weak `dep?/feat` is deferred until something else enables `dep`.
//!
//! The recursion of cargo's functions is an explicit work list here (the input is untrusted: no
//! stack depth follows from it), with a step budget.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use super::summary::{CrateSummary, DepKind, DepSpec, FeatureValue};

/// Work items processed at most by one pass before it gives up (every package then counts as
/// compiled). Real workspaces take a few times the number of (package, feature) pairs.
pub const STEP_BUDGET: usize = 5_000_000;

/// Cargo's resolver version, as far as features go (`"3"` resolves features as `"2"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolver {
    /// `resolver = "1"`: features unified across build/normal and every platform.
    V1,
    /// `resolver = "2"` or `"3"`.
    V2,
}

/// Whether a dependency's `target` applies, asked by the pass.
pub trait PlatformFilter {
    /// `target` applies to the build machine.
    fn host(&self, target: &str) -> bool;
    /// `target` applies to one of the requested targets.
    fn any_target(&self, target: &str) -> bool;
}

/// The lockfile graph the passes walk.
pub struct Graph<'a> {
    /// Per package: the summary, `None` when no metadata was found (then every lockfile edge of
    /// the package counts as an active, non-optional normal dependency).
    pub summaries: &'a [Option<&'a CrateSummary>],
    /// Per package: its lockfile edges (package indices).
    pub edges: &'a [Vec<usize>],
    /// Per package: its lockfile edges with the dependency declaration (index into its summary's
    /// `deps`) each one is locked for; a declaration may claim several versions, and an edge no
    /// declaration claims has `None` (then it counts as an active normal dependency: never hide
    /// a crate because the mapping failed).
    pub locked: &'a [Vec<(Option<usize>, usize)>],
    /// Per package: whether it is a workspace member (dev-dependencies count only for members).
    pub members: &'a [bool],
}

/// The feature key (cargo's `FeaturesFor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    NormalOrDev,
    HostDep,
}

/// How one package was reached by the unit pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// Compiled for the target, not below a dev edge, build script or proc-macro.
    pub target: bool,
    /// Compiled for the host (build-dependency, proc-macro, or below one), not below a dev edge.
    pub host: bool,
    /// Compiled only below a member's dev-dependency.
    pub dev: bool,
}

impl Reach {
    /// Reached at all.
    pub fn any(self) -> bool {
        self.target || self.host || self.dev
    }
}

/// The outcome of one pass.
pub struct Pass {
    /// Per package: how it was reached.
    pub reach: Vec<Reach>,
    /// Per package and key: the optional dependencies (by key in the manifest) it enabled, and
    /// its features. Used to explain what is not compiled.
    activated: HashMap<(usize, Key), Activated>,
    /// Dependencies the walk enabled that the lockfile has no edge for: (package, dependency key).
    pub unlocked: BTreeSet<(usize, String)>,
    /// The walk ran out of steps: `reach` then marks every package reachable through lockfile
    /// edges.
    pub gave_up: bool,
    resolver: Resolver,
}

#[derive(Debug, Default)]
struct Activated {
    features: HashSet<String>,
    deps: HashSet<String>,
}

/// What a pass is asked to do.
pub struct PassOptions<'a> {
    /// Resolver version.
    pub resolver: Resolver,
    /// Test units: members' dev-dependencies are compiled (and, in resolver 2, unified with the
    /// normal ones).
    pub dev_units: bool,
    /// Target tables; `None` for every platform (nothing filtered).
    pub platform: Option<&'a dyn PlatformFilter>,
    /// The roots: selected members with the feature values asked of them.
    pub roots: &'a [(usize, Vec<FeatureValue>)],
}

enum Task {
    /// Activate the values on the package, then its non-optional dependencies (once).
    Pkg(usize, Key),
    /// One feature value on a package.
    Fv(usize, Key, FeatureValue),
}

struct Walker<'g, 'o> {
    graph: &'g Graph<'g>,
    opts: &'o PassOptions<'o>,
    activated: HashMap<(usize, Key), Activated>,
    processed: HashSet<(usize, Key)>,
    seen_fv: HashSet<(usize, Key, FeatureValue)>,
    deferred: HashMap<(usize, Key, String), BTreeSet<String>>,
    unlocked: BTreeSet<(usize, String)>,
    stack: Vec<Task>,
    steps: usize,
    /// Per package: a root of this pass.
    roots: Vec<bool>,
}

/// Run the feature resolver and the unit graph for one configuration.
pub fn run(graph: &Graph<'_>, opts: &PassOptions<'_>) -> Pass {
    let mut w = Walker {
        graph,
        opts,
        activated: HashMap::new(),
        processed: HashSet::new(),
        seen_fv: HashSet::new(),
        deferred: HashMap::new(),
        unlocked: BTreeSet::new(),
        stack: Vec::new(),
        steps: 0,
        roots: {
            let mut roots = vec![false; graph.edges.len()];
            for (m, _) in opts.roots {
                if let Some(r) = roots.get_mut(*m) {
                    *r = true;
                }
            }
            roots
        },
    };
    let mut gave_up = false;
    for (member, fvs) in opts.roots {
        let proc_macro = w.proc_macro(*member);
        if proc_macro {
            // cargo activates a proc-macro member for both keys.
            w.activate_pkg(*member, Key::NormalOrDev, fvs.iter().cloned());
        }
        let key = if proc_macro { Key::HostDep } else { Key::NormalOrDev };
        w.activate_pkg(*member, key, fvs.iter().cloned());
        if !w.drain() {
            gave_up = true;
            break;
        }
    }
    let reach = if gave_up { everything_below(graph, opts.roots) } else { w.units() };
    Pass { reach, activated: w.activated, unlocked: w.unlocked, gave_up, resolver: opts.resolver }
}

impl<'g> Walker<'g, '_> {
    fn summary(&self, pkg: usize) -> Option<&'g CrateSummary> {
        self.graph.summaries.get(pkg).copied().flatten()
    }

    fn proc_macro(&self, pkg: usize) -> bool {
        self.summary(pkg).and_then(|s| s.proc_macro).unwrap_or(false)
    }

    /// The key features are stored under (resolver 1 has one).
    fn store(&self, key: Key) -> Key {
        match self.opts.resolver {
            Resolver::V1 => Key::NormalOrDev,
            Resolver::V2 => key,
        }
    }

    fn activated(&mut self, pkg: usize, key: Key) -> &mut Activated {
        let k = self.store(key);
        self.activated.entry((pkg, k)).or_default()
    }

    fn activate_pkg(&mut self, pkg: usize, key: Key, fvs: impl IntoIterator<Item = FeatureValue>) {
        self.activated(pkg, key);
        // Pushed first, so processed after the values (as cargo does; the result is the same).
        self.stack.push(Task::Pkg(pkg, key));
        for fv in fvs {
            self.stack.push(Task::Fv(pkg, key, fv));
        }
    }

    /// Process the work list; `false` when the step budget ran out.
    fn drain(&mut self) -> bool {
        while let Some(task) = self.stack.pop() {
            self.steps += 1;
            if self.steps > STEP_BUDGET {
                return false;
            }
            match task {
                Task::Pkg(pkg, key) => self.process_deps(pkg, key),
                Task::Fv(pkg, key, fv) => self.activate_fv(pkg, key, fv),
            }
        }
        true
    }

    /// The dependencies of `pkg` under `key` that pass the feature resolver's filters, with the
    /// key of the child: (declaration index, declaration, child, child key). A package without
    /// metadata: each lockfile edge as a plain normal dependency (declaration `None`).
    fn deps(&self, pkg: usize, key: Key) -> Vec<(Option<&'g DepSpec>, usize, Key)> {
        let mut out = Vec::new();
        let Some(summary) = self.summary(pkg) else {
            for &child in self.graph.edges.get(pkg).map(Vec::as_slice).unwrap_or_default() {
                out.push((None, child, self.child_key(key, None, child)));
            }
            return out;
        };
        let graph: &'g Graph<'g> = self.graph;
        let locked = graph.locked.get(pkg).map(Vec::as_slice).unwrap_or_default();
        let root = self.is_root(pkg);
        for &(decl, child) in locked {
            let Some(dep) = decl.and_then(|d| summary.deps.get(d)) else {
                out.push((None, child, self.child_key(key, None, child)));
                continue;
            };
            if dep.kind == DepKind::Dev && (!root || !self.dev_in_features()) {
                continue;
            }
            if self.opts.resolver == Resolver::V2
                && let Some(target) = &dep.target
                && !self.platform_ok(target, dep.kind == DepKind::Build || key == Key::HostDep, pkg)
            {
                continue;
            }
            out.push((Some(dep), child, self.child_key(key, Some(dep), child)));
        }
        out
    }

    /// Dev-dependencies take part in feature resolution: with test units, or always under
    /// resolver 1 (whose features come from a resolve that includes them when test units are
    /// built; `cargo build` resolves without them).
    fn dev_in_features(&self) -> bool {
        self.opts.dev_units || self.opts.resolver == Resolver::V1
    }

    /// A selected member (its dev-dependencies are what `cargo test` adds).
    fn is_root(&self, pkg: usize) -> bool {
        self.graph.members.get(pkg).copied().unwrap_or(false) && self.roots.get(pkg).copied().unwrap_or(false)
    }

    /// Whether a dependency's `target` of `pkg` applies: on the build machine (`host`) or on a
    /// requested target. A plausible proc-macro whose status is unknown may run on the build
    /// machine: either platform counts for it (never hide a crate for lack of data).
    fn platform_ok(&self, target: &str, host: bool, pkg: usize) -> bool {
        let Some(platform) = self.opts.platform else { return true };
        let unknown_kind =
            self.summary(pkg).is_some_and(|s| s.proc_macro.is_none() && super::metadata::is_proc_macro_candidate(s));
        if host || unknown_kind {
            if platform.host(target) {
                return true;
            }
            if !unknown_kind {
                return false;
            }
        }
        platform.any_target(target)
    }

    fn child_key(&self, key: Key, dep: Option<&DepSpec>, child: usize) -> Key {
        // Resolver 1 does not decouple the build machine's features: one key throughout (the
        // unit pass still tells what runs on the build machine).
        if self.opts.resolver == Resolver::V1 {
            return Key::NormalOrDev;
        }
        let build = dep.is_some_and(|d| d.kind == DepKind::Build);
        if key == Key::NormalOrDev && (build || self.proc_macro(child)) { Key::HostDep } else { key }
    }

    /// The values a dependency declaration asks of its package (`features`, plus `default`); all
    /// of its features when the parent's declaration is not known.
    fn fvs_from_dependency(&self, dep: Option<&DepSpec>, child: usize) -> Vec<FeatureValue> {
        let has_default = self.summary(child).is_some_and(|s| s.features.contains_key("default"));
        match dep {
            Some(d) => {
                let mut fvs: Vec<FeatureValue> = d.features.iter().map(|f| FeatureValue::parse(f)).collect();
                if d.default_features && has_default {
                    fvs.push(FeatureValue::Feature("default".to_owned()));
                }
                fvs
            }
            // The parent's metadata is missing: what it asks of the child is unknown, so every
            // feature is on (never hide a crate for lack of data).
            None => self
                .summary(child)
                .map(|s| s.features.keys().map(|f| FeatureValue::Feature(f.clone())).collect())
                .unwrap_or_default(),
        }
    }

    fn process_deps(&mut self, pkg: usize, key: Key) {
        if !self.processed.insert((pkg, key)) {
            return;
        }
        for (dep, child, child_key) in self.deps(pkg, key) {
            if dep.is_some_and(|d| d.optional) {
                continue;
            }
            let fvs = self.fvs_from_dependency(dep, child);
            self.activate_pkg(child, child_key, fvs);
        }
    }

    fn activate_fv(&mut self, pkg: usize, key: Key, fv: FeatureValue) {
        if !self.seen_fv.insert((pkg, key, fv.clone())) {
            return;
        }
        match fv {
            FeatureValue::Feature(f) => self.activate_rec(pkg, key, &f),
            FeatureValue::Dep(d) => self.activate_dependency(pkg, key, &d),
            FeatureValue::DepFeature { dep, feature, weak } => {
                self.activate_dep_feature(pkg, key, &dep, &feature, weak);
            }
        }
    }

    fn activate_rec(&mut self, pkg: usize, key: Key, feature: &str) {
        if !self.activated(pkg, key).features.insert(feature.to_owned()) {
            return;
        }
        let values: Vec<FeatureValue> =
            self.summary(pkg).and_then(|s| s.features.get(feature)).cloned().unwrap_or_default();
        for fv in values {
            self.stack.push(Task::Fv(pkg, key, fv));
        }
    }

    fn activate_dependency(&mut self, pkg: usize, key: Key, dep_name: &str) {
        self.activated(pkg, key).deps.insert(dep_name.to_owned());
        let deferred = self.deferred.remove(&(pkg, key, dep_name.to_owned()));
        let mut found = false;
        for (dep, child, child_key) in self.deps(pkg, key) {
            if dep.is_none_or(|d| d.name != dep_name) {
                continue;
            }
            found = true;
            if let Some(features) = &deferred {
                for f in features {
                    self.stack.push(Task::Fv(child, child_key, FeatureValue::parse(f)));
                }
            }
            let fvs = self.fvs_from_dependency(dep, child);
            self.activate_pkg(child, child_key, fvs);
        }
        if !found {
            self.note_unlocked(pkg, key, dep_name);
        }
    }

    fn activate_dep_feature(&mut self, pkg: usize, key: Key, dep_name: &str, feature: &str, weak: bool) {
        let mut found = false;
        for (dep, child, child_key) in self.deps(pkg, key) {
            let Some(d) = dep else { continue };
            if d.name != dep_name {
                continue;
            }
            found = true;
            if d.optional {
                let enabled = self.activated.get(&(pkg, self.store(key))).is_some_and(|a| a.deps.contains(dep_name));
                if weak && !enabled {
                    self.deferred.entry((pkg, key, dep_name.to_owned())).or_default().insert(feature.to_owned());
                    continue;
                }
                self.stack.push(Task::Fv(pkg, key, FeatureValue::Dep(dep_name.to_owned())));
                if !weak && self.summary(pkg).is_some_and(|s| s.features.contains_key(dep_name)) {
                    self.stack.push(Task::Fv(pkg, key, FeatureValue::Feature(dep_name.to_owned())));
                }
            }
            self.activate_pkg(child, child_key, [FeatureValue::parse(feature)]);
        }
        if !found && !weak {
            self.note_unlocked(pkg, key, dep_name);
        }
    }

    /// A dependency the walk enables that has no lockfile edge (or no declaration): remembered
    /// for a warning unless the declaration exists but is filtered out (another platform).
    fn note_unlocked(&mut self, pkg: usize, _key: Key, dep_name: &str) {
        let Some(summary) = self.summary(pkg) else { return };
        let locked = self.graph.locked.get(pkg).map(Vec::as_slice).unwrap_or_default();
        let is_locked = |i: usize| locked.iter().any(|(d, _)| *d == Some(i));
        let declared_unlocked = summary
            .deps
            .iter()
            .enumerate()
            .any(|(i, d)| d.name == dep_name && !is_locked(i) && (d.kind != DepKind::Dev || self.opts.dev_units));
        let declared_locked = summary.deps.iter().enumerate().any(|(i, d)| d.name == dep_name && is_locked(i));
        if declared_unlocked && !declared_locked {
            self.unlocked.insert((pkg, dep_name.to_owned()));
        }
    }

    /// cargo's unit graph: from the roots, follow the dependencies the feature pass activated,
    /// on their platform, keeping whether each package is compiled for the target, the host, or
    /// only below a dev-dependency.
    fn units(&self) -> Vec<Reach> {
        let n = self.graph.edges.len();
        let mut reach = vec![Reach::default(); n];
        // State: (package, for_host, via_dev).
        let mut seen: HashSet<(usize, bool, bool)> = HashSet::new();
        let mut queue: VecDeque<(usize, bool, bool)> = VecDeque::new();
        for (member, _) in self.opts.roots {
            if seen.insert((*member, false, false)) {
                queue.push_back((*member, false, false));
            }
        }
        while let Some((pkg, for_host, via_dev)) = queue.pop_front() {
            if let Some(r) = reach.get_mut(pkg) {
                if via_dev {
                    r.dev = true;
                } else if for_host {
                    r.host = true;
                } else {
                    r.target = true;
                }
            }
            let key = if for_host { Key::HostDep } else { Key::NormalOrDev };
            let is_root = self.is_root(pkg);
            let mut next: Vec<(usize, bool, bool)> = Vec::new();
            match self.summary(pkg) {
                None => {
                    for &child in self.graph.edges.get(pkg).map(Vec::as_slice).unwrap_or_default() {
                        next.push((child, for_host || self.proc_macro(child), via_dev));
                    }
                }
                Some(summary) => {
                    let locked = self.graph.locked.get(pkg).map(Vec::as_slice).unwrap_or_default();
                    let enabled = self.activated.get(&(pkg, self.store(key)));
                    for &(decl, child) in locked {
                        let Some(dep) = decl.and_then(|d| summary.deps.get(d)) else {
                            // An edge no declaration claims: followed.
                            next.push((child, for_host || self.proc_macro(child), via_dev));
                            continue;
                        };
                        let mut child_dev = via_dev;
                        match dep.kind {
                            DepKind::Dev => {
                                if !(self.opts.dev_units && is_root && !for_host) {
                                    continue;
                                }
                                child_dev = true;
                            }
                            DepKind::Build | DepKind::Normal => {}
                        }
                        if let Some(target) = &dep.target
                            && !self.platform_ok(target, dep.kind == DepKind::Build || for_host, pkg)
                        {
                            continue;
                        }
                        if dep.optional && !enabled.is_some_and(|a| a.deps.contains(&dep.name)) {
                            continue;
                        }
                        let child_host = for_host || dep.kind == DepKind::Build || self.proc_macro(child);
                        next.push((child, child_host, child_dev));
                    }
                }
            }
            for state in next {
                if seen.insert(state) {
                    queue.push_back(state);
                }
            }
        }
        reach
    }
}

/// Every package reachable from the roots through lockfile edges, as compiled for the target:
/// what a pass that gave up reports.
fn everything_below(graph: &Graph<'_>, roots: &[(usize, Vec<FeatureValue>)]) -> Vec<Reach> {
    let mut reach = vec![Reach::default(); graph.edges.len()];
    let mut queue: VecDeque<usize> = roots.iter().map(|(m, _)| *m).collect();
    while let Some(pkg) = queue.pop_front() {
        let Some(r) = reach.get_mut(pkg) else { continue };
        if r.target {
            continue;
        }
        r.target = true;
        queue.extend(graph.edges.get(pkg).into_iter().flatten().copied());
    }
    reach
}

impl Pass {
    /// Whether `pkg` enabled its optional dependency `dep_name` under any key.
    pub fn dep_enabled(&self, pkg: usize, dep_name: &str) -> bool {
        [Key::NormalOrDev, Key::HostDep]
            .iter()
            .any(|k| self.activated.get(&(pkg, *k)).is_some_and(|a| a.deps.contains(dep_name)))
    }

    /// Whether feature `feature` of `pkg` is on under any key.
    pub fn feature_enabled(&self, pkg: usize, feature: &str) -> bool {
        [Key::NormalOrDev, Key::HostDep]
            .iter()
            .any(|k| self.activated.get(&(pkg, *k)).is_some_and(|a| a.features.contains(feature)))
    }

    /// The resolver version this pass used.
    pub fn resolver(&self) -> Resolver {
        self.resolver
    }
}
