//! The dependency declarations and feature tables of every registry crate of a Cargo.lock, for
//! the feature resolver: one [`CrateSummary`] per (name, version), from the cheapest source that
//! has it:
//!
//! 1. cargo's own cache under `$CARGO_HOME` ([`CargoHome`]: the `.cache` index files cargo
//!    writes for every crate it resolves), no network;
//! 2. chainward's HTTP cache of the crates.io sparse index (the same URLs and files as the
//!    registry lookups of a scan, so a crate already looked up costs no request);
//! 3. the sparse index itself, unless [`RegistryConfig::offline`].
//!
//! Whether a crate is a proc-macro is not in the index (research risk R1). It comes from the
//! extracted manifest or the `.crate` cargo keeps, else, for a crate that depends on
//! `proc-macro2`, `quote` or `syn` ([`is_proc_macro_candidate`]), from its `.crate` on crates.io
//! (only its `Cargo.toml` is read; the answer is cached, the archive is not). Other crates keep
//! [`CrateSummary::proc_macro`] `None` (unknown, almost always a plain library).
//!
//! Nothing is dropped silently: a crate whose metadata cannot be had is in
//! [`Gathered::missing`] with the reason.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use serde::Deserialize;

use super::summary::{CrateSummary, DepKind, FeatureValue};
use crate::registry::cargo_home::CargoHome;
use crate::registry::crates_io::{IndexClient, IndexLookup};
use crate::registry::{RegistryConfig, run_pool, safe_text};

/// Crates a dependency on which makes a crate a plausible proc-macro.
pub const PROC_MACRO_DEPS: [&str; 3] = ["proc-macro2", "quote", "syn"];

/// Names a grouped note shows before "and N more".
const NOTE_NAMES: usize = 3;

/// Longest reason or note kept.
const MAX_TEXT: usize = 600;

/// A crate version whose metadata could not be had.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Missing {
    /// The name, as the lockfile writes it.
    pub name: String,
    /// The version, as the lockfile writes it.
    pub version: String,
    /// Why, naming the crate (offline and not cached, no such crate or version on the
    /// registry, a malformed index line, the registry unreachable), safe to print.
    pub reason: String,
}

/// What [`gather`] found.
#[derive(Debug, Default)]
pub struct Gathered {
    /// (name, version) as asked → the crate's summary, with [`CrateSummary::proc_macro`] set
    /// where known.
    pub summaries: HashMap<(String, String), CrateSummary>,
    /// Every asked-for crate version that has no summary, sorted.
    pub missing: Vec<Missing>,
    /// Things worth a line on stderr that cost no summary (cargo cache files that could not be
    /// used, proc-macro status left unknown for plausible proc-macros, registry fallbacks),
    /// grouped and bounded, safe to print.
    pub notes: Vec<String>,
    /// Summaries read from cargo's cache.
    pub from_cargo_home: usize,
    /// Requests sent over the network.
    pub requests: usize,
    /// Answers served from chainward's HTTP cache.
    pub cache_hits: usize,
}

/// Whether a crate with this summary may be a proc-macro: it has a normal dependency (optional
/// or not) on [`PROC_MACRO_DEPS`]. Nearly every proc-macro does; the few that do not (`paste`,
/// `rustversion`) are only known from cargo's copies.
pub fn is_proc_macro_candidate(summary: &CrateSummary) -> bool {
    summary.deps.iter().any(|d| d.kind == DepKind::Normal && PROC_MACRO_DEPS.contains(&d.package.as_str()))
}

/// The summary of every `wanted` (name, version) of crates.io: cargo's cache first, then
/// chainward's HTTP cache, then the sparse index (not when `config.offline`), in parallel with
/// `config.concurrency` lookups at once; and the proc-macro status of each (see the module
/// documentation). Never fails as a whole: what could not be had is in [`Gathered::missing`].
pub fn gather(config: &RegistryConfig, cargo_home: Option<&CargoHome>, wanted: &[(String, String)]) -> Gathered {
    // A lockfile's crates seen before: one file, no lookups (a published version's dependencies
    // and features never change).
    let store = config.cache_dir.as_deref().map(|dir| SummaryStore::new(dir, &config.crates_io_index, wanted));
    if let Some(summaries) = store.as_ref().and_then(SummaryStore::load) {
        return Gathered { summaries, ..Gathered::default() };
    }
    let gathered = gather_uncached(config, cargo_home, wanted);
    // Kept only when complete: a crate missing now may be found later.
    if let Some(store) = &store
        && gathered.missing.is_empty()
        && gathered.notes.is_empty()
        && gathered.summaries.len() == wanted.len()
    {
        store.save(&gathered.summaries);
    }
    gathered
}

/// The summaries of a set of crate versions, kept in chainward's cache:
/// `<cache>/crates.io-summaries/<sha256 of the set>.bin` (postcard). A file that does not decode,
/// or whose set is not the one asked, is ignored (and rewritten).
struct SummaryStore<'w> {
    path: std::path::PathBuf,
    wanted: &'w [(String, String)],
}

/// The stored form of a summary (`semver::VersionReq` is kept as written).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSummary {
    name: String,
    version: String,
    deps: Vec<StoredDep>,
    features: Vec<(String, Vec<String>)>,
    proc_macro: Option<bool>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredDep {
    name: String,
    package: String,
    req: Option<String>,
    features: Vec<String>,
    optional: bool,
    default_features: bool,
    target: Option<String>,
    kind: u8,
}

/// Store files kept (the most recently written); one per lockfile state scanned.
const STORE_KEEP: usize = 32;

/// Remove all but the `keep` most recently modified `.bin` files of `dir`.
fn prune(dir: &std::path::Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "bin"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() <= keep {
        return;
    }
    files.sort();
    for (_, path) in files.iter().take(files.len() - keep) {
        let _ = std::fs::remove_file(path);
    }
}

/// Bumped when [`StoredSummary`] changes.
const STORE_FORMAT: &str = "chainward-summaries-1";
/// Largest store file read.
const MAX_STORE: u64 = 256 << 20;

impl<'w> SummaryStore<'w> {
    /// The store of `wanted` as read from the index at `index_url` (another index, another file).
    fn new(cache_dir: &std::path::Path, index_url: &str, wanted: &'w [(String, String)]) -> Self {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        hasher.update(STORE_FORMAT.as_bytes());
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        hasher.update(index_url.as_bytes());
        hasher.update([0]);
        for (name, version) in wanted {
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update(version.as_bytes());
            hasher.update([0]);
        }
        let key = hasher.finalize().iter().take(16).fold(String::new(), |mut key, b| {
            let _ = write!(key, "{b:02x}");
            key
        });
        SummaryStore { path: cache_dir.join("crates.io-summaries").join(format!("{key}.bin")), wanted }
    }

    fn load(&self) -> Option<HashMap<(String, String), CrateSummary>> {
        let bytes = crate::fsutil::read_regular(&self.path, MAX_STORE).ok()?;
        let stored: Vec<StoredSummary> = postcard::from_bytes(&bytes).ok()?;
        if stored.len() != self.wanted.len() {
            return None;
        }
        let mut out = HashMap::with_capacity(stored.len());
        for (s, (name, version)) in stored.into_iter().zip(self.wanted) {
            if s.name != *name || s.version != *version {
                return None;
            }
            let mut deps = Vec::with_capacity(s.deps.len());
            for d in s.deps {
                let kind = match d.kind {
                    0 => DepKind::Normal,
                    1 => DepKind::Build,
                    2 => DepKind::Dev,
                    _ => return None,
                };
                deps.push(crate::compiled::summary::DepSpec {
                    req: d.req.as_deref().and_then(|r| semver::VersionReq::parse(r).ok()),
                    name: d.name,
                    package: d.package,
                    features: d.features,
                    optional: d.optional,
                    default_features: d.default_features,
                    target: d.target,
                    kind,
                });
            }
            let features = s
                .features
                .into_iter()
                .map(|(f, values)| (f, values.iter().map(|v| FeatureValue::parse(v)).collect()))
                .collect();
            // The table is stored with its implicit features: `new` adds none twice.
            let summary = CrateSummary::new(deps, features, s.proc_macro);
            summary.validate().ok()?;
            out.insert((s.name, s.version), summary);
        }
        Some(out)
    }

    fn save(&self, summaries: &HashMap<(String, String), CrateSummary>) {
        let mut stored = Vec::with_capacity(self.wanted.len());
        for key in self.wanted {
            let Some(s) = summaries.get(key) else { return };
            stored.push(StoredSummary {
                name: key.0.clone(),
                version: key.1.clone(),
                deps: s
                    .deps
                    .iter()
                    .map(|d| StoredDep {
                        name: d.name.clone(),
                        package: d.package.clone(),
                        req: d.req.as_ref().map(ToString::to_string),
                        features: d.features.clone(),
                        optional: d.optional,
                        default_features: d.default_features,
                        target: d.target.clone(),
                        kind: match d.kind {
                            DepKind::Normal => 0,
                            DepKind::Build => 1,
                            DepKind::Dev => 2,
                        },
                    })
                    .collect(),
                features: s
                    .features
                    .iter()
                    .map(|(f, values)| (f.clone(), values.iter().map(FeatureValue::to_string).collect()))
                    .collect(),
                proc_macro: s.proc_macro,
            });
        }
        if let Ok(bytes) = postcard::to_stdvec(&stored)
            && let Some(dir) = self.path.parent()
            && std::fs::create_dir_all(dir).is_ok()
        {
            // A cache: a failed write only costs the next run's lookups.
            let _ = crate::fsutil::write_atomically(&self.path, &bytes);
            prune(dir, STORE_KEEP);
        }
    }
}

/// [`gather`] without the summary store.
fn gather_uncached(config: &RegistryConfig, cargo_home: Option<&CargoHome>, wanted: &[(String, String)]) -> Gathered {
    let mut by_name: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, version) in wanted {
        by_name.entry(name.as_str()).or_default().insert(version.clone());
    }
    let client = IndexClient::new(config);
    // cargo's own files first, on this thread: reading local files gains nothing from threads
    // (each would also start a fresh allocator heap), and a machine that built the project
    // needs nothing else.
    let mut outcomes = Vec::new();
    let mut pending = Vec::new();
    for (name, versions) in by_name {
        let local = from_cargo_home(cargo_home, name, versions);
        if local.needs_more() {
            pending.push(local);
        } else {
            outcomes.push(finish(&client, cargo_home, local));
        }
    }
    // The rest from chainward's cache or the index: in parallel when the network may be asked.
    if config.offline {
        outcomes.extend(pending.into_iter().map(|local| finish(&client, cargo_home, local)));
    } else {
        outcomes.extend(run_pool(config.concurrency, pending, &|local| finish(&client, cargo_home, local)));
    }
    outcomes.sort_by(|a, b| a.0.cmp(b.0));

    let mut gathered = Gathered::default();
    let mut home_problems = Vec::new();
    let mut unknown = Vec::new();
    for (name, outcome) in outcomes {
        for (version, summary) in outcome.found {
            gathered.summaries.insert((name.to_owned(), version), summary);
        }
        gathered.missing.extend(outcome.missing);
        gathered.from_cargo_home += outcome.from_cargo_home;
        home_problems.extend(outcome.home_problems);
        unknown.extend(outcome.unknown_proc_macro);
    }
    gathered.missing.sort();
    if let Some(note) = grouped_note(
        &home_problems,
        "cargo's cache (CARGO_HOME): index files of {n} crate(s) ({names}) not usable, asked chainward's cache \
         or crates.io instead",
    ) {
        gathered.notes.push(note);
    }
    if let Some(note) = grouped_note(
        &unknown,
        "proc-macro status unknown for {n} crate(s) that depend on proc-macro2, quote or syn ({names}), counted \
         as libraries",
    ) {
        gathered.notes.push(note);
    }
    gathered.notes.extend(client.take_notes());
    gathered.notes = gathered.notes.iter().map(|n| safe_text(n, MAX_TEXT)).collect();
    gathered.requests = client.requests();
    gathered.cache_hits = client.cache_hits();
    gathered
}

/// What one crate's lookups gave.
#[derive(Debug, Default)]
struct Outcome {
    found: Vec<(String, CrateSummary)>,
    missing: Vec<Missing>,
    from_cargo_home: usize,
    /// (crate, problem) for cargo cache files that could not be used.
    home_problems: Vec<(String, String)>,
    /// (crate, why) for plausible proc-macros whose status is unknown.
    unknown_proc_macro: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct Cksum {
    #[serde(default)]
    cksum: Option<String>,
}

/// What cargo's own files gave for one crate, before anything else is asked.
struct Local<'n> {
    name: &'n str,
    outcome: Outcome,
    /// (version, summary with the proc-macro status cargo's files give, the raw line: its
    /// `cksum` is read only if the archive is needed).
    found: Vec<(String, CrateSummary, String)>,
    /// Versions cargo's cache does not have.
    remaining: BTreeSet<String>,
}

impl Local<'_> {
    /// Whether chainward's cache or the index must be asked: versions cargo's cache lacks, or
    /// a plausible proc-macro whose status cargo's files do not give.
    fn needs_more(&self) -> bool {
        !self.remaining.is_empty()
            || self.found.iter().any(|(_, s, _)| s.proc_macro.is_none() && is_proc_macro_candidate(s))
    }
}

/// The summaries of `versions` of `name` that cargo's cache has, with the proc-macro status of
/// each from cargo's extracted sources or archives.
fn from_cargo_home<'n>(cargo_home: Option<&CargoHome>, name: &'n str, versions: BTreeSet<String>) -> Local<'n> {
    let mut outcome = Outcome::default();
    let mut found: Vec<(String, CrateSummary, String)> = Vec::new();
    let mut remaining = versions;
    if let Some(home) = cargo_home {
        // Each of cargo's cache files is read once for all the versions wanted of the crate.
        let (lines, problems) = home.index_lines(name, remaining.iter().map(String::as_str));
        for (version, e) in problems {
            outcome.home_problems.push((format!("{name} {version}"), e));
        }
        let mut hits = Vec::new();
        for (version, line) in lines {
            match CrateSummary::from_index_line(&line, name, version) {
                Ok(summary) => {
                    outcome.from_cargo_home += 1;
                    hits.push(version.to_owned());
                    found.push((version.to_owned(), summary, line));
                }
                Err(e) => outcome.home_problems.push((format!("{name} {version}"), e)),
            }
        }
        for version in hits {
            remaining.remove(&version);
        }
        for (version, summary, _) in &mut found {
            summary.proc_macro = home.proc_macro(name, version);
        }
    }
    Local { name, outcome, found, remaining }
}

/// The rest of one crate's lookups: the versions cargo's cache lacks, from chainward's cache or
/// the index, and the proc-macro status of plausible proc-macros from their archives.
fn finish<'n>(client: &IndexClient<'_>, cargo_home: Option<&CargoHome>, local: Local<'n>) -> (&'n str, Outcome) {
    let Local { name, mut outcome, mut found, remaining } = local;
    let from_home = found.len();
    if !remaining.is_empty() {
        let missing = |version: &str, reason: String| Missing {
            name: safe_text(name, 200),
            version: safe_text(version, 200),
            reason: safe_text(&reason, MAX_TEXT),
        };
        match client.lines(name, &remaining) {
            IndexLookup::Found { lines, current } => {
                for version in remaining {
                    let Some(line) = lines.lines.get(&version) else {
                        let skipped = match lines.skipped {
                            0 => String::new(),
                            n => format!(" ({n} malformed lines skipped)"),
                        };
                        let reason = if current {
                            format!("crates.io's index lists no version {version} of `{name}`{skipped}")
                        } else {
                            format!(
                                "the cached index file of `{name}` (offline or stale, possibly out of date) lists no \
                                 version {version}{skipped}"
                            )
                        };
                        outcome.missing.push(missing(&version, reason));
                        continue;
                    };
                    match CrateSummary::from_index_line(line, name, &version) {
                        Ok(summary) => found.push((version, summary, line.clone())),
                        Err(e) => outcome.missing.push(missing(&version, format!("{name} {version}: {e}"))),
                    }
                }
            }
            IndexLookup::NotFound => {
                for version in remaining {
                    let reason = format!("crates.io has no crate `{name}`");
                    outcome.missing.push(missing(&version, reason));
                }
            }
            IndexLookup::Failed { offline, message } => {
                for version in remaining {
                    let reason = if offline {
                        let home = if cargo_home.is_some() { "in cargo's cache nor " } else { "" };
                        format!("no index entry for {name} {version}: not {home}in chainward's cache (offline)")
                    } else {
                        format!("no index entry for {name} {version}: {message}")
                    };
                    outcome.missing.push(missing(&version, reason));
                }
            }
        }
    }
    for (i, (version, mut summary, line)) in found.into_iter().enumerate() {
        if i >= from_home {
            summary.proc_macro = cargo_home.and_then(|home| home.proc_macro(name, &version));
        }
        if summary.proc_macro.is_none() && is_proc_macro_candidate(&summary) {
            match client.proc_macro(name, &version, cksum(&line).as_deref()) {
                Ok(proc_macro) => summary.proc_macro = Some(proc_macro),
                Err(e) => outcome.unknown_proc_macro.push((format!("{name} {version}"), e)),
            }
        }
        outcome.found.push((version, summary));
    }
    (name, outcome)
}

/// The `cksum` of an index line, when it has one.
fn cksum(line: &str) -> Option<String> {
    serde_json::from_str::<Cksum>(line).ok()?.cksum
}

/// One note for `items` (subject, message): `template` with `{n}` (how many subjects) and
/// `{names}` (the first few), then the first message.
fn grouped_note(items: &[(String, String)], template: &str) -> Option<String> {
    let (_, first) = items.first()?;
    let subjects: BTreeSet<&str> = items.iter().map(|(s, _)| s.as_str()).collect();
    let n = subjects.len();
    let mut names = subjects.iter().take(NOTE_NAMES).copied().collect::<Vec<_>>().join(", ");
    if n > NOTE_NAMES {
        let _ = write!(names, ", and {} more", n - NOTE_NAMES);
    }
    let head = template.replace("{n}", &n.to_string()).replace("{names}", &names);
    Some(format!("{head}: {first}"))
}

#[cfg(test)]
#[path = "../../tests/support/http_server.rs"]
mod http_server;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use std::time::Duration;

    use time::macros::datetime;

    use super::http_server::{Reply, Request, Server, refusing_url};
    use super::*;
    use crate::registry::cargo_home::tests::{cargo_home, crate_file};

    fn config(url: &str, cache: &std::path::Path) -> RegistryConfig {
        let mut config = RegistryConfig::public(Some(cache.to_owned()), datetime!(2026-12-01 00:00 UTC));
        config.crates_io_index = format!("{url}/index/");
        config.timeout = Duration::from_secs(5);
        config
    }

    fn derive_crate() -> Vec<u8> {
        crate_file(&[
            ("demo-derive-0.1.0/Cargo.toml.orig", "[lib]\nproc-macro = false\n"),
            ("demo-derive-0.1.0/Cargo.toml", "[package]\nname = \"demo-derive\"\n[lib]\nproc-macro = true\n"),
        ])
    }

    /// The test registry: `demo-derive` (0.1.0 depends on syn and is a proc-macro; 0.2.0's
    /// index checksum does not match the archive served), `plain` (no proc-macro deps; one
    /// garbage line), `broken` (an entry of an unknown schema), anything else 404. `config.json`
    /// points downloads at `/dl` on the same server (from the `Host` header).
    fn registry(req: &Request) -> Reply {
        let good = sha256_hex(&derive_crate());
        match req.path.as_str() {
            "/index/config.json" => {
                let dl = format!("http://{}/dl", req.header("host").unwrap());
                Reply::json(format!(r#"{{"dl":"{dl}","api":"{dl}"}}"#))
            }
            "/index/de/mo/demo-derive" => Reply::json(format!(
                "{}\n{}\n",
                format_args!(
                    r#"{{"name":"demo-derive","vers":"0.1.0","cksum":"{good}","deps":[{{"name":"syn","req":"^2","kind":"normal"}}],"features":{{}}}}"#
                ),
                r#"{"name":"demo-derive","vers":"0.2.0","cksum":"00","deps":[{"name":"quote","req":"^1","optional":true}],"features":{}}"#
            )),
            "/index/pl/ai/plain" => Reply::json(concat!(
                r#"{"name":"plain","vers":"1.0.0","deps":[{"name":"itoa","req":"^1"}],"features":{"std":[]}}"#,
                "\nnot json\n"
            )),
            "/index/br/ok/broken" => Reply::json(r#"{"name":"broken","vers":"1.0.0","v":9}"#),
            "/dl/demo-derive/0.1.0/download" | "/dl/demo-derive/0.2.0/download" => Reply::Full {
                status: 200,
                headers: vec![("Content-Type".into(), "application/gzip".into())],
                body: derive_crate(),
            },
            _ => Reply::status(404),
        }
    }

    fn sha256_hex(bytes: &[u8]) -> String {
        use sha2::Digest as _;
        sha2::Sha256::digest(bytes).iter().fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
    }

    fn wanted(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn key(name: &str, version: &str) -> (String, String) {
        (name.to_owned(), version.to_owned())
    }

    fn missing_of<'g>(g: &'g Gathered, name: &str, version: &str) -> &'g str {
        &g.missing.iter().find(|m| m.name == name && m.version == version).unwrap().reason
    }

    const ALL: [(&str, &str); 8] = [
        ("serde_derive", "1.0.1"),
        ("demo-derive", "0.1.0"),
        ("demo-derive", "0.2.0"),
        ("plain", "1.0.0"),
        ("plain", "9.9.9"),
        ("broken", "1.0.0"),
        ("gone", "1.0.0"),
        ("not a name", "1.0.0"),
    ];

    #[test]
    fn the_summary_store_gives_back_what_was_saved_for_the_same_set_only() {
        let dir = tempfile::tempdir().unwrap();
        let line = r#"{"name":"a","vers":"1.0.0","deps":[{"name":"j","package":"serde_json","req":">=1.0, <2","features":["std"],"optional":true,"default_features":false,"target":"cfg(unix)","kind":"build"},{"name":"t","req":"^0.1","kind":"dev"}],"features":{"default":["j?/std"],"x":["dep:j"],"y":["x","t/f"]}}"#;
        let summary = CrateSummary::from_index_line(line, "a", "1.0.0").unwrap();
        let set = wanted(&[("a", "1.0.0")]);
        let summaries: HashMap<_, _> = [(key("a", "1.0.0"), summary.clone())].into_iter().collect();
        let store = SummaryStore::new(dir.path(), "https://index.crates.io/", &set);
        assert!(store.load().is_none());
        store.save(&summaries);
        assert_eq!(store.load().unwrap(), summaries);
        // Another set has another file; a damaged file is ignored.
        let other = wanted(&[("a", "1.0.1")]);
        assert!(SummaryStore::new(dir.path(), "https://index.crates.io/", &other).load().is_none());
        assert!(SummaryStore::new(dir.path(), "https://mirror.example/", &set).load().is_none());
        std::fs::write(&store.path, b"garbage").unwrap();
        assert!(store.load().is_none());
    }

    #[test]
    fn gathers_from_cargo_home_then_the_index_and_reuses_the_cache() {
        let server = Server::start(registry);
        let home_dir = tempfile::tempdir().unwrap();
        let home = cargo_home(home_dir.path());
        let cache = tempfile::tempdir().unwrap();
        let config = config(&server.url, cache.path());

        let g = gather(&config, Some(&home), &wanted(&ALL));
        // cargo's cache: no request for serde_derive, proc-macro from its extracted manifest.
        assert_eq!(g.from_cargo_home, 1);
        assert!(server.requests_to("/index/se/").is_empty());
        assert_eq!(g.summaries[&key("serde_derive", "1.0.1")].proc_macro, Some(true));
        // The index: demo-derive depends on syn, so its archive was read.
        let derive = &g.summaries[&key("demo-derive", "0.1.0")];
        assert_eq!(derive.deps[0].package, "syn");
        assert_eq!(derive.proc_macro, Some(true));
        // 0.2.0's archive does not match the index's checksum: unknown, with a note.
        assert_eq!(g.summaries[&key("demo-derive", "0.2.0")].proc_macro, None);
        assert!(g.notes.iter().any(|n| n.contains("proc-macro status unknown") && n.contains("checksum")), "{g:?}");
        // plain has no proc-macro dependency: not downloaded, status unknown.
        let plain = &g.summaries[&key("plain", "1.0.0")];
        assert!(!is_proc_macro_candidate(plain));
        assert_eq!(plain.proc_macro, None);
        assert!(plain.features.contains_key("std"));
        assert!(server.requests_to("/dl/plain").is_empty());
        // Every other one is missing, with a reason naming it.
        assert_eq!(g.summaries.len(), 4);
        assert_eq!(g.missing.len(), 4, "{:?}", g.missing);
        assert!(missing_of(&g, "plain", "9.9.9").contains("lists no version 9.9.9 of `plain` (1 malformed"));
        assert!(missing_of(&g, "broken", "1.0.0").contains("schema version 9"));
        assert!(missing_of(&g, "gone", "1.0.0").contains("no crate `gone`"));
        assert!(missing_of(&g, "not a name", "1.0.0").contains("not a crates.io crate name"));
        assert_eq!(server.requests_to("/index/config.json").len(), 1);
        assert_eq!(server.requests_to("/dl/").len(), 2);
        assert_eq!(g.requests, server.requests().len());

        // Again, warm: the index files come from chainward's cache, the proc-macro answer too;
        // only `plain` is revalidated (it lacks a version in use), and 0.2.0's archive is
        // fetched again (no answer was cached for it).
        let before = server.requests().len();
        let again = gather(&config, Some(&home), &wanted(&ALL));
        let asked: Vec<String> = server.requests()[before..].iter().map(|r| r.path.clone()).collect();
        assert_eq!(again.summaries, g.summaries);
        assert_eq!(again.missing, g.missing);
        assert!(
            asked.iter().all(|p| p == "/index/pl/ai/plain" || p.starts_with("/index/go") || p.contains("0.2.0")),
            "{asked:?}"
        );
        assert!(!asked.iter().any(|p| p.contains("demo-derive/0.1.0") || p.contains("/de/mo/")), "{asked:?}");

        // Offline: the same answers from the cache, no request at all.
        let mut offline = config.clone();
        offline.offline = true;
        let before = server.requests().len();
        let off = gather(&offline, Some(&home), &wanted(&ALL));
        assert_eq!(server.requests().len(), before);
        assert_eq!(off.summaries.len(), 4);
        assert_eq!(off.summaries[&key("demo-derive", "0.1.0")].proc_macro, Some(true));
        assert!(missing_of(&off, "plain", "9.9.9").contains("cached index file of `plain`"));
        assert!(off.notes.iter().any(|n| n.contains("demo-derive 0.2.0") && n.contains("offline")), "{:?}", off.notes);
    }

    #[test]
    fn offline_without_a_cache_everything_is_missing_but_cargo_home() {
        let home_dir = tempfile::tempdir().unwrap();
        let home = cargo_home(home_dir.path());
        let cache = tempfile::tempdir().unwrap();
        let mut config = config(&refusing_url(), cache.path());
        config.offline = true;
        let g = gather(&config, Some(&home), &wanted(&[("serde_derive", "1.0.0"), ("plain", "1.0.0")]));
        assert_eq!(g.requests, 0);
        // From the `.crate` cargo keeps.
        assert_eq!(g.summaries[&key("serde_derive", "1.0.0")].proc_macro, Some(true));
        assert_eq!(
            missing_of(&g, "plain", "1.0.0"),
            "no index entry for plain 1.0.0: not in cargo's cache nor in chainward's cache (offline)"
        );
        let g = gather(&config, None, &wanted(&[("serde_derive", "1.0.0")]));
        assert!(missing_of(&g, "serde_derive", "1.0.0").ends_with("not in chainward's cache (offline)"));
    }

    #[test]
    fn a_damaged_cargo_cache_file_falls_back_to_the_index_with_a_note() {
        let server = Server::start(registry);
        let home_dir = tempfile::tempdir().unwrap();
        let home = cargo_home(home_dir.path());
        let dir = home_dir.path().join("registry/index/index.crates.io-1949cf8c6b5b557f/.cache/pl/ai");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("plain"), [&b"\x04"[..], &[0; 8]].concat()).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let g = gather(&config(&server.url, cache.path()), Some(&home), &wanted(&[("plain", "1.0.0")]));
        assert!(g.summaries.contains_key(&key("plain", "1.0.0")));
        assert_eq!(g.from_cargo_home, 0);
        assert!(g.notes.iter().any(|n| n.contains("cargo's cache") && n.contains("cache format 4")), "{:?}", g.notes);
    }

    #[test]
    fn downloads_go_only_where_the_index_config_says_over_http() {
        for (config_json, expected) in [
            (Reply::json(r#"{"dl":"file:///etc/passwd"}"#), "refused (not HTTPS)"),
            (Reply::status(404), "no download URL"),
        ] {
            let server =
                Server::start(
                    move |req: &Request| {
                        if req.path == "/index/config.json" { config_json.clone() } else { registry(req) }
                    },
                );
            let cache = tempfile::tempdir().unwrap();
            let g = gather(&config(&server.url, cache.path()), None, &wanted(&[("demo-derive", "0.1.0")]));
            assert_eq!(g.summaries[&key("demo-derive", "0.1.0")].proc_macro, None);
            assert!(g.notes.iter().any(|n| n.contains("demo-derive 0.1.0") && n.contains(expected)), "{:?}", g.notes);
            assert!(server.requests_to("/dl/").is_empty());
        }
    }

    #[test]
    fn lookups_run_at_most_concurrency_at_once() {
        let server = Server::start(|req: &Request| Reply::Delayed(Duration::from_millis(60), Box::new(registry(req))));
        let cache = tempfile::tempdir().unwrap();
        let mut config = config(&server.url, cache.path());
        config.concurrency = 2;
        let names: Vec<String> = (0..8).map(|i| format!("crate{i}")).collect();
        let items: Vec<(String, String)> = names.iter().map(|n| (n.clone(), "1.0.0".to_owned())).collect();
        let g = gather(&config, None, &items);
        assert_eq!(g.missing.len(), 8);
        assert_eq!(server.requests().len(), 8);
        assert!(server.max_in_flight() <= 2, "{}", server.max_in_flight());
    }

    #[test]
    fn candidates_are_crates_depending_on_proc_macro_crates() {
        let line = |deps: &str| format!(r#"{{"name":"x","vers":"1.0.0","deps":[{deps}]}}"#);
        let summary = |deps: &str| CrateSummary::from_index_line(&line(deps), "x", "1.0.0").unwrap();
        assert!(is_proc_macro_candidate(&summary(r#"{"name":"syn","req":"^2"}"#)));
        assert!(is_proc_macro_candidate(&summary(r#"{"name":"q","req":"^1","package":"quote","optional":true}"#)));
        assert!(!is_proc_macro_candidate(&summary(r#"{"name":"syn","req":"^2","kind":"dev"}"#)));
        assert!(!is_proc_macro_candidate(&summary(r#"{"name":"proc-macro2","req":"^1","kind":"build"}"#)));
        assert!(!is_proc_macro_candidate(&summary("")));
    }

    #[test]
    fn grouped_notes_name_a_few() {
        let items: Vec<(String, String)> = (0..5).map(|i| (format!("c{i} 1.0.0"), format!("e{i}"))).collect();
        assert_eq!(
            grouped_note(&items, "{n} crate(s) ({names})").unwrap(),
            "5 crate(s) (c0 1.0.0, c1 1.0.0, c2 1.0.0, and 2 more): e0"
        );
        assert_eq!(grouped_note(&[], "x"), None);
    }
}
