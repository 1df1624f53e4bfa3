//! Which crates of a Cargo.lock are compiled, decided statically: cargo's feature resolver (version
//! 2, or 1 where the workspace asks for it) run over the lockfile's graph with each crate's
//! dependency declarations (crates.io index entries, path crates' manifests), for the selected
//! members, features and targets. Nothing is run and nothing is downloaded but index entries.
//!
//! The flow: [`metadata`] gathers a [`summary::CrateSummary`] for every registry crate (cargo's
//! local cache, chainward's HTTP cache, the sparse index), [`manifest`] reads the workspace's own
//! manifests, [`platform`] evaluates `cfg(...)` for the requested targets, [`features`] walks the
//! graph as cargo's feature resolver does, and [`status`] turns the walk into a [`Compiled`] per
//! package with the reason for anything not compiled.

pub mod features;
pub mod manifest;
pub mod metadata;
pub mod platform;
pub mod status;
pub mod summary;

/// What `cargo build` / `cargo test` would do with a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Reachable from the members through normal dependencies without entering a proc-macro or
    /// a build script: linked into what ships.
    Runtime,
    /// Otherwise compiled by `cargo build`: build scripts' dependencies, proc-macros and what
    /// they pull in (run on the build machine).
    Build,
    /// Otherwise compiled by `cargo test` only.
    Dev,
    /// Not compiled for the selected targets and features.
    No,
}

impl Status {
    /// `runtime`, `build`, `dev` or `no`: the JSON value and the SBOM property.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Runtime => "runtime",
            Status::Build => "build",
            Status::Dev => "dev",
            Status::No => "no",
        }
    }

    /// The status named `s` (`runtime`, `build`, `dev`, `no`).
    pub fn parse(s: &str) -> Option<Status> {
        [Status::Runtime, Status::Build, Status::Dev, Status::No].into_iter().find(|st| st.as_str() == s)
    }

    /// `true` for a status `cargo build` compiles.
    pub fn is_built(self) -> bool {
        matches!(self, Status::Runtime | Status::Build)
    }
}

/// The status of one package, with why when it is not plainly compiled. The JSON report's
/// `compiled` object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Compiled {
    /// The status.
    pub status: Status,
    /// Why (`feature mysql of sqlx 0.8.6 is off`, `target cfg(windows) of tokio 1.0.0`, `missing
    /// metadata for x 1.0.0: counted as compiled`); `None` for a plain runtime dependency.
    pub reason: Option<String>,
}

/// The targets to evaluate `[target.'cfg(...)']` tables for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// The machine chainward was built for (cargo's default).
    Host,
    /// Every target: no target table is filtered out (today's lockfile view).
    All,
    /// These triples (`--target` given once or more).
    Triples(Vec<String>),
}

/// The build configuration to decide for: cargo's own flags.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(clippy::struct_excessive_bools, reason = "cargo's independent switches")]
pub struct Options {
    /// `--target`.
    pub targets: Targets,
    /// `--features` (comma or space separated items, `member/feat` allowed).
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// `-p NAME`: the members to build; empty = the default members, or all members.
    pub packages: Vec<String>,
    /// The user asked for the compiled view (one of its options, or the policy file). Otherwise
    /// (a default scan) a lockfile without a `Cargo.toml` beside it is left undecided without a
    /// word: its findings are reported as they always were.
    pub explicit: bool,
    /// The rustc flags of the environment (`CARGO_ENCODED_RUSTFLAGS`, else `RUSTFLAGS`): their
    /// `--cfg` flags count, with those of the workspace's `.cargo/config.toml`.
    pub rustflags: Vec<String>,
    /// `--tests`: decide `runtime` and `build` from what `cargo test` resolves (dev-dependencies'
    /// features unified in) instead of `cargo build`. Either way, what only `cargo test` compiles
    /// is `dev`.
    pub tests: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            targets: Targets::Host,
            features: Vec::new(),
            all_features: false,
            no_default_features: false,
            packages: Vec::new(),
            explicit: true,
            rustflags: Vec::new(),
            tests: false,
        }
    }
}

/// Where crate metadata comes from.
pub struct Sources<'a> {
    /// The registry layer (its `offline` flag keeps the compiled view off the network).
    pub registry: &'a crate::registry::RegistryConfig,
    /// Cargo's home, when there is one: its registry cache answers offline.
    pub cargo_home: Option<&'a crate::registry::cargo_home::CargoHome>,
}

/// What the compiled view says besides the statuses.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Warnings naming a lockfile and the crates concerned (missing metadata, a stale
    /// lockfile, a manifest that could not be read).
    pub warnings: Vec<crate::resolve::Warning>,
    /// Notes (where metadata came from, proc-macro status unknown, cfg not decidable).
    pub notes: Vec<String>,
    /// Lockfiles decided.
    pub lockfiles: usize,
}

/// A usage error: an unknown `--target` triple, `-p` naming no member, a feature no selected
/// member has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The platform filter of the requested targets: cfg expressions that cannot be decided count
/// as matching (never hide a crate), and are remembered for a note.
struct Filter {
    host: platform::Platform,
    targets: Vec<platform::Platform>,
    undecided: std::cell::RefCell<std::collections::BTreeSet<String>>,
    /// Answers already given, per (target string, triple): a workspace repeats a few dozen
    /// `cfg(...)` strings thousands of times.
    memo: std::cell::RefCell<std::collections::HashMap<(String, &'static str), bool>>,
}

impl Filter {
    fn new(host: platform::Platform, targets: Vec<platform::Platform>) -> Filter {
        Filter { host, targets, undecided: std::cell::RefCell::default(), memo: std::cell::RefCell::default() }
    }

    fn check(&self, target: &str, platform: &platform::Platform) -> bool {
        let key = (target.to_owned(), platform.triple());
        if let Some(answer) = self.memo.borrow().get(&key) {
            return *answer;
        }
        let answer = self.decide(target, platform);
        self.memo.borrow_mut().insert(key, answer);
        answer
    }

    fn decide(&self, target: &str, platform: &platform::Platform) -> bool {
        match platform::matches(target, platform) {
            platform::Match::Yes => true,
            platform::Match::No => false,
            platform::Match::Unknown(why) => {
                let mut undecided = self.undecided.borrow_mut();
                if undecided.len() < 20 {
                    undecided.insert(format!("`{}` for {}: {why}", crate::sanitize::value(target), platform.triple()));
                }
                true
            }
        }
    }
}

impl features::PlatformFilter for Filter {
    fn host(&self, target: &str) -> bool {
        self.check(target, &self.host)
    }

    fn any_target(&self, target: &str) -> bool {
        self.targets.iter().any(|p| self.check(target, p))
    }
}

/// Decide the status of every package of every Cargo.lock of `resolution`, read from `source`
/// (the work tree, a revision), and store it in each package's `compiled`. Crate metadata comes
/// from `sources` (cargo's cache, chainward's cache, the sparse index).
pub fn annotate(
    resolution: &mut crate::resolve::Resolution,
    source: &dyn crate::source::Source,
    options: &Options,
    sources: &Sources<'_>,
) -> Result<Outcome, UsageError> {
    // Usage errors (an unknown triple) before anything is fetched.
    filter_for(options)?;
    let wanted = wanted(resolution, source);
    let gathered = if wanted.is_empty() {
        metadata::Gathered::default()
    } else {
        metadata::gather(sources.registry, sources.cargo_home, &wanted)
    };
    annotate_with(resolution, source, options, &gathered)
}

/// Whether a resolved lockfile is a Cargo.lock.
fn is_cargo_lock(r: &crate::resolve::Resolved) -> bool {
    r.path.rsplit('/').next() == Some("Cargo.lock")
        && r.packages.iter().all(|p| p.ecosystem == crate::model::Ecosystem::Cargo)
}

/// The workspace manifest beside a lockfile.
fn manifest_of(r: &crate::resolve::Resolved) -> String {
    let dir = r.path.rsplit_once('/').map_or("", |(d, _)| d);
    if dir.is_empty() { "Cargo.toml".to_owned() } else { format!("{dir}/Cargo.toml") }
}

/// Every crates.io (name, version) of every Cargo.lock that has a manifest beside it, sorted,
/// once.
pub fn wanted(resolution: &crate::resolve::Resolution, source: &dyn crate::source::Source) -> Vec<(String, String)> {
    let mut wanted: Vec<(String, String)> = resolution
        .resolved
        .iter()
        .filter(|r| is_cargo_lock(r) && source.exists(&manifest_of(r)))
        .flat_map(|r| r.packages.iter())
        .filter(|p| p.source.is_default_registry())
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    wanted.sort();
    wanted.dedup();
    wanted
}

/// The platform filter of the options (`None` for every target); an unknown triple is an error.
fn filter_for(options: &Options) -> Result<Option<Filter>, UsageError> {
    let host = match platform::Platform::host() {
        Ok(host) => host,
        // A build for a target cfg-expr does not know: unless targets were asked for, decide for
        // every platform rather than fail every scan.
        Err(_) if !options.explicit || options.targets == Targets::All => return Ok(None),
        Err(e) => return Err(UsageError(e)),
    };
    Ok(match &options.targets {
        Targets::All => None,
        Targets::Host => Some(Filter::new(host.clone(), vec![host])),
        Targets::Triples(triples) => {
            let mut targets = Vec::new();
            for t in triples {
                targets.push(platform::Platform::new(t).map_err(UsageError)?);
            }
            Some(Filter::new(host, targets))
        }
    })
}

/// The rustc flags of the `.cargo/config.toml` (or `.cargo/config`) files from the lockfile's
/// directory up to the root of `source`: `build.rustflags` and `target.<triple>.rustflags` for
/// each of `triples`, and every `target.'cfg(...)'.rustflags` (a superset: never a hidden crate).
/// Unreadable or invalid files are skipped (cargo would refuse to build; nothing is hidden by it).
fn config_rustflags(source: &dyn crate::source::Source, lock_path: &str, triples: &[&str]) -> Vec<String> {
    let mut dir = lock_path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
    let mut flags = Vec::new();
    for _ in 0..64 {
        for name in [".cargo/config.toml", ".cargo/config"] {
            let path = if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") };
            let Ok(bytes) = source.read(&path) else { continue };
            if bytes.len() > 1 << 20 {
                continue;
            }
            let Ok(table) =
                std::str::from_utf8(&bytes).map_err(|_| ()).and_then(|t| t.parse::<toml::Table>().map_err(|_| ()))
            else {
                continue;
            };
            let list = |v: Option<&toml::Value>| -> Vec<String> {
                match v {
                    Some(toml::Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
                    Some(toml::Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
                    _ => Vec::new(),
                }
            };
            flags.extend(list(table.get("build").and_then(|b| b.get("rustflags"))));
            if let Some(targets) = table.get("target").and_then(toml::Value::as_table) {
                for (key, t) in targets {
                    if key.starts_with("cfg(") || triples.contains(&key.as_str()) {
                        flags.extend(list(t.get("rustflags")));
                    }
                }
            }
        }
        if dir.is_empty() {
            break;
        }
        dir = dir.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_owned());
    }
    flags
}

/// [`annotate`] with the crate metadata already gathered (no I/O but reading manifests from
/// `source`).
pub fn annotate_with(
    resolution: &mut crate::resolve::Resolution,
    source: &dyn crate::source::Source,
    options: &Options,
    gathered: &metadata::Gathered,
) -> Result<Outcome, UsageError> {
    use crate::model::PackageSource;

    let base_filter = filter_for(options)?;
    let targets_label = base_filter
        .as_ref()
        .map(|f| f.targets.iter().map(platform::Platform::triple).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();

    let mut outcome = Outcome::default();
    if resolution.resolved.iter().all(|r| !is_cargo_lock(r)) {
        return Ok(outcome);
    }
    outcome.notes.extend(gathered.notes.iter().cloned());
    let missing_reason: std::collections::HashMap<(&str, &str), &str> =
        gathered.missing.iter().map(|m| ((m.name.as_str(), m.version.as_str()), m.reason.as_str())).collect();

    let features: Vec<String> = options
        .features
        .iter()
        .flat_map(|f| f.split([',', ' ']))
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();

    let mut undecided: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for resolved in resolution.resolved.iter_mut().filter(|r| is_cargo_lock(r)) {
        let manifest_path = manifest_of(resolved);
        if !source.exists(&manifest_path) {
            if options.explicit {
                outcome.warnings.push(crate::resolve::Warning {
                    path: resolved.path.clone(),
                    line: None,
                    message: format!(
                        "compiled view: no `{manifest_path}` beside the lockfile, so which crates are compiled is not decided"
                    ),
                });
            }
            continue;
        }
        let workspace = manifest::Workspace::read(source, &resolved.path);
        outcome.warnings.extend(workspace.warnings.iter().cloned());
        for e in &workspace.errors {
            outcome.warnings.push(crate::resolve::Warning {
                path: e.path.clone(),
                line: e.line,
                message: format!("{}: the crates it declares count as compiled", e.kind),
            });
        }
        let n = resolved.packages.len();
        let mut summaries: Vec<Option<&summary::CrateSummary>> = vec![None; n];
        let mut missing: Vec<Option<String>> = vec![None; n];
        let mut members = vec![false; n];
        let mut local_of: Vec<Option<usize>> = vec![None; n];
        for (ci, krate) in workspace.crates.iter().enumerate() {
            let found = resolved.packages.iter().enumerate().position(|(i, p)| {
                matches!(p.source, PackageSource::Path { .. })
                    && p.name == krate.name
                    && krate.version.as_ref().is_none_or(|v| *v == p.version)
                    && local_of.get(i).is_some_and(Option::is_none)
            });
            if let Some(i) = found {
                if let Some(slot) = local_of.get_mut(i) {
                    *slot = Some(ci);
                }
                if let Err(e) = krate.summary.validate() {
                    // cargo would refuse this manifest: count the crate (and below) as compiled.
                    let manifest = if krate.dir.is_empty() || krate.dir == "." {
                        "Cargo.toml".to_owned()
                    } else {
                        format!("{}/Cargo.toml", krate.dir)
                    };
                    outcome.warnings.push(crate::resolve::Warning {
                        path: manifest,
                        line: None,
                        message: format!(
                            "{}: {e}: cargo would refuse it; it counts as compiled, with everything it depends on",
                            krate.name
                        ),
                    });
                    if let Some(slot) = missing.get_mut(i) {
                        *slot = Some(format!("the manifest of {} is invalid ({e})", krate.name));
                    }
                    if let Some(slot) = members.get_mut(i) {
                        *slot = krate.member;
                    }
                    continue;
                }
                if let Some(slot) = summaries.get_mut(i) {
                    *slot = Some(&krate.summary);
                }
                if let Some(slot) = members.get_mut(i) {
                    *slot = krate.member;
                }
            }
        }
        // A path package whose manifest could not be read (too big, not TOML, unreadable) may be
        // a member: it is a root, so it and what it depends on count as compiled.
        for (i, p) in resolved.packages.iter().enumerate() {
            if matches!(p.source, PackageSource::Path { .. })
                && local_of.get(i).is_some_and(Option::is_none)
                && missing.get(i).is_some_and(Option::is_none)
                && let Some(slot) = members.get_mut(i)
            {
                *slot = true;
            }
        }
        let mut unknown: Vec<String> = Vec::new();
        for (i, p) in resolved.packages.iter().enumerate() {
            if summaries.get(i).is_some_and(Option::is_some) || missing.get(i).is_some_and(Option::is_some) {
                continue;
            }
            let why = match &p.source {
                PackageSource::Registry { default_registry: true, .. } => {
                    match gathered.summaries.get(&(p.name.clone(), p.version.clone())) {
                        Some(s) => {
                            if let Some(slot) = summaries.get_mut(i) {
                                *slot = Some(s);
                            }
                            continue;
                        }
                        None => missing_reason
                            .get(&(p.name.as_str(), p.version.as_str()))
                            .map_or_else(|| "no dependency metadata".to_owned(), |r| (*r).to_owned()),
                    }
                }
                PackageSource::Registry { url, .. } => {
                    format!("from the registry {url}, whose index chainward does not read")
                }
                PackageSource::Git { url, .. } => format!("git dependency ({url}): its manifest is not read"),
                PackageSource::Path { .. } => "path crate whose manifest could not be read".to_owned(),
                PackageSource::Tarball { url } => format!("downloaded from {url}: its manifest is not read"),
            };
            unknown.push(format!("{} {}", p.name, p.version));
            if let Some(slot) = missing.get_mut(i) {
                *slot = Some(format!("no dependency metadata for {} {} ({why})", p.name, p.version));
            }
        }
        if !unknown.is_empty() {
            let shown: Vec<&str> = unknown.iter().take(8).map(String::as_str).collect();
            let more = unknown.len().saturating_sub(shown.len());
            outcome.warnings.push(crate::resolve::Warning {
                path: resolved.path.clone(),
                line: None,
                message: format!(
                    "compiled view: no dependency metadata for {} crate(s) ({}{}): each counts as compiled, with everything it depends on",
                    unknown.len(),
                    shown.join(", "),
                    if more > 0 { format!(" and {more} more") } else { String::new() }
                ),
            });
        }

        // The roots: the selected members (every member by default, as `--workspace`).
        let member_indices: Vec<usize> = (0..n).filter(|&i| members.get(i).copied().unwrap_or(false)).collect();
        if member_indices.is_empty() {
            // Nothing to start from (no manifest): every package keeps an unknown status.
            outcome.warnings.push(crate::resolve::Warning {
                path: resolved.path.clone(),
                line: None,
                message:
                    "compiled view: no workspace member could be read, so which crates are compiled is not decided"
                        .to_owned(),
            });
            continue;
        }
        let selected: Vec<usize> = if options.packages.is_empty() {
            member_indices.clone()
        } else {
            let mut sel = Vec::new();
            for name in &options.packages {
                let hits: Vec<usize> = member_indices
                    .iter()
                    .copied()
                    .filter(|&i| resolved.packages.get(i).is_some_and(|p| p.name == *name))
                    .collect();
                if hits.is_empty() {
                    return Err(UsageError(format!(
                        "-p `{}`: no member of the workspace of `{}` has that name",
                        crate::sanitize::value(name),
                        resolved.path
                    )));
                }
                sel.extend(hits);
            }
            sel.sort_unstable();
            sel.dedup();
            sel
        };
        let mut roots: Vec<(usize, Vec<summary::FeatureValue>)> = Vec::new();
        let mut used: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
        for &m in &selected {
            let Some(Some(s)) = summaries.get(m) else {
                // A member without a usable manifest: every lockfile edge of it counts.
                roots.push((m, Vec::new()));
                continue;
            };
            let name = resolved.packages.get(m).map(|p| p.name.as_str()).unwrap_or_default();
            let mut fvs = Vec::new();
            if !options.no_default_features && s.features.contains_key("default") {
                fvs.push(summary::FeatureValue::Feature("default".to_owned()));
            }
            if options.all_features {
                fvs.extend(s.features.keys().map(|f| summary::FeatureValue::Feature(f.clone())));
            }
            for f in &features {
                match f.split_once('/') {
                    Some((owner, feat)) if owner == name => {
                        fvs.push(summary::FeatureValue::Feature(feat.to_owned()));
                        used.insert(f);
                    }
                    Some((dep, _)) if s.deps.iter().any(|d| d.name == dep.trim_end_matches('?')) => {
                        fvs.push(summary::FeatureValue::parse(f));
                        used.insert(f);
                    }
                    None if s.features.contains_key(f.as_str()) => {
                        fvs.push(summary::FeatureValue::Feature(f.clone()));
                        used.insert(f);
                    }
                    Some(_) | None => {}
                }
            }
            roots.push((m, fvs));
        }
        if let Some(f) = features.iter().find(|f| !used.contains(f.as_str())) {
            return Err(UsageError(format!(
                "--features `{}`: none of the selected members of `{}` has that feature",
                crate::sanitize::value(f),
                resolved.path
            )));
        }

        let resolver = match workspace.resolver {
            manifest::ResolverVersion::V1 => features::Resolver::V1,
            manifest::ResolverVersion::V2 => features::Resolver::V2,
        };
        // `--cfg` flags the build would pass: the environment's and the workspace's
        // `.cargo/config.toml` (every one from the lockfile's directory up).
        let filter = base_filter.as_ref().map(|base| {
            let triples: Vec<&str> = std::iter::once(base.host.triple())
                .chain(base.targets.iter().map(platform::Platform::triple))
                .collect();
            let mut flags: Vec<String> = options.rustflags.clone();
            flags.extend(config_rustflags(source, &resolved.path, &triples));
            let cfgs = platform::parse_cfg_flags(flags.iter().map(String::as_str));
            Filter::new(
                base.host.clone().with_cfgs(cfgs.clone()),
                base.targets.iter().map(|t| t.clone().with_cfgs(cfgs.clone())).collect(),
            )
        });
        let decided = status::decide(&status::Input {
            packages: &resolved.packages,
            summaries: &summaries,
            missing: &missing,
            members: &members,
            roots: &roots,
            resolver,
            platform: filter.as_ref().map(|f| f as &dyn features::PlatformFilter),
            targets_label: &targets_label,
            tests: options.tests,
        });
        outcome.warnings.extend(decided.warnings.into_iter().map(|message| crate::resolve::Warning {
            path: resolved.path.clone(),
            line: None,
            message,
        }));
        for (p, c) in resolved.packages.iter_mut().zip(decided.compiled) {
            // The scope follows at every level of the graph: what ships is required; build
            // scripts, proc-macros, tests and what is not compiled are excluded.
            p.reached_by.clear();
            p.scope = Some(match c.status {
                Status::Runtime => crate::model::Scope::Required,
                Status::Build => {
                    p.reached_by.insert(crate::model::DependencyKind::Build);
                    crate::model::Scope::Excluded
                }
                Status::Dev => {
                    p.reached_by.insert(crate::model::DependencyKind::Dev);
                    crate::model::Scope::Excluded
                }
                Status::No => crate::model::Scope::Excluded,
            });
            p.compiled = Some(c);
        }
        outcome.lockfiles += 1;
        if let Some(f) = &filter {
            undecided.extend(f.undecided.borrow().iter().cloned());
        }
    }
    {
        if !undecided.is_empty() {
            outcome.notes.push(format!(
                "compiled view: {} target expression(s) could not be decided and count as matching: {}",
                undecided.len(),
                undecided.iter().take(5).cloned().collect::<Vec<_>>().join("; ")
            ));
        }
    }
    Ok(outcome)
}
