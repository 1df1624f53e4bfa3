//! The fleet-inventory scale benchmark (issue 15): a synthetic fleet of project revisions built
//! from the real corpus lockfiles (`../shared/corpus`), stored through the real `Store::add`,
//! then the fleet questions asked of it, on SQLite and on PostgreSQL. Whole-workload figures,
//! so a plain `main` (no criterion) that prints one results table.
//!
//! - `CHAINWARD_SCALE_REVISIONS` (default 10,000): how many revisions (10 per project). A small
//!   value (`50`) makes it a smoke test.
//! - `CHAINWARD_BENCH_POSTGRES_URL`, else `CHAINWARD_TEST_POSTGRES_URL`: a PostgreSQL server on
//!   which the benchmark creates (and drops) a database of its own; without either, PostgreSQL is
//!   skipped with a message.
//! - `CHAINWARD_SCALE_CORPUS` (`cargo`, `npm`, ...): build the fleet from that corpus directory's
//!   lockfiles only (a one-ecosystem fleet, where one package is in nearly every revision).
//! - `CHAINWARD_SCALE_ENGINES` (default `sqlite,postgres`): the engines to run.
//!
//! The fleet: every corpus directory is resolved as `inventory add` does; those with 50-1,500
//! components are the bases. Project `p` starts from base `p mod bases` (so each base is used
//! equally); with a seeded xorshift (no dependency), its first revision bumps 5% of its package
//! versions and each later one 1% more, each to another version of the same name seen anywhere in
//! the corpus, so packages are shared across projects as in a real fleet.
#![expect(clippy::print_stdout, clippy::print_stderr, reason = "a benchmark prints its results table and progress")]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chainward::advisory::db::{Select, load_selected};
use chainward::discover::Excludes;
use chainward::finding::{ScanPackage, match_packages};
use chainward::inventory::query::{PackageSpec, who_uses};
use chainward::inventory::snapshot::from_graph;
use chainward::inventory::{Location, PackageKey, Revisions, Snapshot, Store};
use chainward::model::{Ecosystem, Graph};
use chainward::resolve::{ResolveOptions, work_tree};

/// Revisions of each project.
const REVISIONS_PER_PROJECT: usize = 10;
/// A corpus snapshot with this many components or more is a base... (The corpus's lockfiles of
/// 200-1,500 components average about 830, and all but one are Rust or JavaScript; from 50 up,
/// they average about 480 and every ecosystem is in the fleet.)
const MIN_COMPONENTS: usize = 50;
/// ...and with at most this many.
const MAX_COMPONENTS: usize = 1_500;
/// Of a project's package components, how many (per mille) its first revision bumps.
const FIRST_BUMPS_PER_MILLE: usize = 50;
/// ...and each later revision.
const LATER_BUMPS_PER_MILLE: usize = 10;
/// Runs of each who-uses query (the median is reported).
const RUNS: usize = 5;
const SEED: u64 = 0x5eed_0015_c0ff_ee15;
const NOW: &str = "2026-01-01T00:00:00Z";

/// xorshift64*: deterministic, good enough to pick things.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        if n64 == 0 { 0 } else { usize::try_from(self.next() % n64).unwrap_or(0) }
    }
}

/// Every version of each (ecosystem, name) seen in the corpus.
type Pool = HashMap<(Ecosystem, String), Vec<PackageKey>>;

/// A corpus directory resolved as `inventory add` does it.
struct Base {
    label: String,
    snapshot: Snapshot,
}

fn resolve_dir(dir: &Path) -> Result<Snapshot, String> {
    let excludes = Excludes::new(&[]).map_err(|e| e.to_string())?;
    let source = chainward::source::open(dir).map_err(|e| e.to_string())?;
    let resolution = work_tree(&source, &excludes, &ResolveOptions::default()).map_err(|e| e.to_string())?;
    if let Some(e) = resolution.errors.first() {
        return Err(e.to_string());
    }
    if resolution.resolved.is_empty() {
        return Err("no lockfile".to_owned());
    }
    let graph = Graph::merge(resolution.resolved, &resolution.name);
    Ok(from_graph(&graph, "corpus", "base"))
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Every corpus project directory that resolves (the `history` bundles are not lockfiles).
fn corpus(shared: &Path) -> Vec<Base> {
    let mut bases = Vec::new();
    for ecosystem in sorted_dirs(&shared.join("corpus")) {
        if ecosystem.file_name().is_some_and(|n| n == "history") {
            continue;
        }
        for project in sorted_dirs(&ecosystem) {
            let label = project.strip_prefix(shared.join("corpus")).unwrap_or(&project).display().to_string();
            match resolve_dir(&project) {
                Ok(snapshot) => bases.push(Base { label, snapshot }),
                Err(e) => eprintln!("corpus `{label}` skipped: {}", chainward::sanitize::value(&e)),
            }
        }
    }
    bases
}

fn pool(bases: &[Base]) -> Pool {
    let mut pool: Pool = HashMap::new();
    for base in bases {
        for key in base.snapshot.components.iter().filter_map(|c| c.package.as_ref()) {
            pool.entry((key.ecosystem, key.name.clone())).or_default().push(key.clone());
        }
    }
    for versions in pool.values_mut() {
        versions.sort();
        versions.dedup_by(|a, b| a.version == b.version);
    }
    pool
}

/// The synthetic fleet: regenerated identically for each engine (nothing of it stays in memory).
struct Fleet<'a> {
    bases: Vec<&'a Base>,
    pool: &'a Pool,
    revisions: usize,
}

impl Fleet<'_> {
    fn projects(&self) -> usize {
        self.revisions.div_ceil(REVISIONS_PER_PROJECT)
    }

    /// Bump `per_mille` of the snapshot's bumpable package components (at least one) to another
    /// version of the same name.
    fn bump(&self, snapshot: &mut Snapshot, bumpable: &[usize], per_mille: usize, rng: &mut Rng) {
        let n = (bumpable.len() * per_mille / 1000).max(1).min(bumpable.len());
        for _ in 0..n {
            let Some(&i) = bumpable.get(rng.below(bumpable.len())) else { continue };
            let Some(c) = snapshot.components.get_mut(i) else { continue };
            let Some(old) = c.package.as_ref() else { continue };
            let Some(versions) = self.pool.get(&(old.ecosystem, old.name.clone())) else { continue };
            let Some(new) = versions.get(rng.below(versions.len())) else { continue };
            if new.version == old.version {
                continue;
            }
            if old.purl.as_deref() == Some(c.bom_ref.as_str())
                && let Some(purl) = &new.purl
            {
                c.bom_ref.clone_from(purl);
            } else {
                c.bom_ref = c.bom_ref.replace(&format!("@{}", old.version), &format!("@{}", new.version));
            }
            c.package = Some(new.clone());
        }
    }

    /// Call `f` with every revision, project by project, oldest first.
    fn each<E>(&self, mut f: impl FnMut(&Snapshot) -> Result<(), E>) -> Result<(), E> {
        let mut left = self.revisions;
        for p in 0..self.projects() {
            let mut rng = Rng::new(SEED ^ u64::try_from(p).unwrap_or(0).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let Some(base) = self.bases.get(p % self.bases.len().max(1)) else { return Ok(()) };
            let mut snapshot = base.snapshot.clone();
            let short = base.label.rsplit('/').next().unwrap_or(&base.label);
            snapshot.project = format!("fleet-{p:05}-{short}");
            if let Some(root) = snapshot.components.first_mut() {
                root.bom_ref = format!("project:{}", snapshot.project);
            }
            let bumpable: Vec<usize> = snapshot
                .components
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.package
                        .as_ref()
                        .is_some_and(|k| self.pool.get(&(k.ecosystem, k.name.clone())).is_some_and(|v| v.len() > 1))
                })
                .map(|(i, _)| i)
                .collect();
            self.bump(&mut snapshot, &bumpable, FIRST_BUMPS_PER_MILLE, &mut rng);
            for r in 0..REVISIONS_PER_PROJECT.min(left) {
                if r > 0 {
                    self.bump(&mut snapshot, &bumpable, LATER_BUMPS_PER_MILLE, &mut rng);
                }
                snapshot.revision = format!("r{r:02}");
                f(&snapshot)?;
            }
            left = left.saturating_sub(REVISIONS_PER_PROJECT);
        }
        Ok(())
    }
}

/// What the fleet holds, counted once before any engine runs.
#[derive(Default)]
struct FleetStats {
    revisions: usize,
    components: usize,
    package_components: usize,
    edges: usize,
    /// Revisions containing each package.
    by_key: HashMap<PackageKey, u32>,
    /// Revisions containing each (ecosystem, normalized name).
    by_name: HashMap<(Ecosystem, String), u32>,
    generate: Duration,
}

fn stats(fleet: &Fleet<'_>) -> FleetStats {
    let started = Instant::now();
    let mut s = FleetStats::default();
    let _ = fleet.each(|snapshot| {
        s.revisions += 1;
        s.components += snapshot.components.len();
        s.edges += snapshot.edges.len();
        let keys: HashSet<&PackageKey> = snapshot.components.iter().filter_map(|c| c.package.as_ref()).collect();
        s.package_components += snapshot.components.iter().filter(|c| c.package.is_some()).count();
        let names: HashSet<(Ecosystem, String)> =
            keys.iter().map(|k| (k.ecosystem, k.ecosystem.normalize_name(&k.name))).collect();
        for k in keys {
            if let Some(n) = s.by_key.get_mut(k) {
                *n += 1;
            } else {
                s.by_key.insert(k.clone(), 1);
            }
        }
        for n in names {
            *s.by_name.entry(n).or_default() += 1;
        }
        Ok::<(), ()>(())
    });
    s.generate = started.elapsed();
    s
}

/// One who-uses query of the benchmark.
struct Query {
    label: &'static str,
    spec: String,
    /// Revisions containing it (from the fleet statistics).
    expected: u32,
}

fn queries(s: &FleetStats) -> Vec<Query> {
    let mut names: Vec<(&(Ecosystem, String), &u32)> = s.by_name.iter().collect();
    names.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut out = Vec::new();
    let mut keys: Vec<(&PackageKey, &u32)> = s.by_key.iter().collect();
    keys.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
    if let Some((k, n)) = keys.first() {
        out.push(Query { label: "rare", spec: format!("{}@{}", k.name, k.version), expected: **n });
    }
    let target = u32::try_from(s.revisions / 5).unwrap_or(u32::MAX);
    if let Some(((_, name), n)) = names.iter().min_by_key(|(_, n)| n.abs_diff(target)) {
        out.push(Query { label: "mid", spec: name.clone(), expected: **n });
    }
    if let Some(((_, name), n)) = names.first() {
        out.push(Query { label: "popular", spec: name.clone(), expected: **n });
    }
    out
}

/// One who-uses measurement.
struct WhoUsesRun {
    label: &'static str,
    spec: String,
    latest: bool,
    median: Duration,
    max: Duration,
    matches: usize,
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn measure_who_uses(store: &mut dyn Store, queries: &[Query]) -> Result<Vec<WhoUsesRun>, String> {
    let mut out = Vec::new();
    for q in queries {
        let spec = PackageSpec::parse(&q.spec)?;
        for latest in [false, true] {
            let revisions = if latest { Revisions::Latest } else { Revisions::All };
            let mut times = Vec::new();
            let mut matches = 0;
            for _ in 0..RUNS {
                let started = Instant::now();
                let answer = who_uses(store, &spec, None, revisions).map_err(|e| e.to_string())?;
                times.push(started.elapsed());
                matches = answer.matches.len();
            }
            let max = times.iter().max().copied().unwrap_or_default();
            out.push(WhoUsesRun { label: q.label, spec: q.spec.clone(), latest, median: median(times), max, matches });
        }
    }
    Ok(out)
}

/// One `inventory affected` run, step by step.
#[derive(Default)]
struct AffectedRun {
    packages: usize,
    list: Duration,
    load: Duration,
    matching: Duration,
    holdings: Duration,
    total: Duration,
    findings: usize,
    affected_packages: usize,
    holding_rows: usize,
    revisions: usize,
    /// (advisory id, package id) of each finding.
    finding_ids: Vec<(String, i64)>,
    /// Holding rows per package id.
    per_package: HashMap<i64, usize>,
}

/// `inventory affected [--id ID]` as the command does it: every stored package, the advisories
/// naming one of them, matching, then the revisions holding each affected package.
fn affected(store: &mut dyn Store, db: &[PathBuf], cache: &Path, only: Option<&str>) -> Result<AffectedRun, String> {
    let mut run = AffectedRun::default();
    let started = Instant::now();
    let stored = store.packages().map_err(|e| e.to_string())?;
    run.packages = stored.len();
    run.list = started.elapsed();
    let t = Instant::now();
    let packages: Vec<ScanPackage> = stored.iter().map(chainward::inventory::StoredPackage::scan_package).collect();
    let keys = chainward::advisory::db::Wanted::new(
        packages.iter().map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str())),
    );
    let index = load_selected(db, Some(cache), Select::Affecting(&keys)).map_err(|e| e.to_string())?;
    run.load = t.elapsed();
    let t = Instant::now();
    let (mut findings, _unevaluated) = match_packages(&index, &packages);
    if let Some(id) = only {
        findings.retain(|f| f.id.eq_ignore_ascii_case(id) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(id)));
    }
    run.matching = t.elapsed();
    let t = Instant::now();
    let ids: HashMap<(Ecosystem, &str, &str), i64> =
        stored.iter().map(|p| ((p.key.ecosystem, p.key.name.as_str(), p.key.version.as_str()), p.id)).collect();
    for f in &findings {
        let id = Ecosystem::from_osv(&f.package.ecosystem)
            .and_then(|e| ids.get(&(e, f.package.name.as_str(), f.package.version.as_str())).copied());
        if let Some(id) = id {
            run.finding_ids.push((f.id.clone(), id));
        }
    }
    let mut wanted: Vec<i64> = run.finding_ids.iter().map(|(_, id)| *id).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let holdings = store.holdings(&wanted, Revisions::All, false).map_err(|e| e.to_string())?;
    run.holdings = t.elapsed();
    run.total = started.elapsed();
    run.findings = findings.len();
    run.affected_packages = wanted.len();
    run.holding_rows = holdings.len();
    run.revisions = holdings.iter().map(|h| h.revision.id).collect::<HashSet<_>>().len();
    for h in &holdings {
        *run.per_package.entry(h.package_id).or_default() += 1;
    }
    Ok(run)
}

/// An advisory affecting the package held by the most revisions.
fn popular_advisory(run: &AffectedRun) -> Option<String> {
    run.finding_ids
        .iter()
        .max_by(|a, b| {
            let (x, y) = (run.per_package.get(&a.1), run.per_package.get(&b.1));
            x.cmp(&y).then(b.0.cmp(&a.0))
        })
        .map(|(id, _)| id.clone())
}

/// Everything measured on one engine.
struct EngineResults {
    engine: &'static str,
    ingest: Duration,
    who_uses: Vec<WhoUsesRun>,
    cold: AffectedRun,
    warm: AffectedRun,
    one_id: String,
    one: AffectedRun,
    size: u64,
    size_detail: String,
}

#[expect(clippy::cast_precision_loss, reason = "a rate for display")]
fn per_second(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn ingest(store: &mut dyn Store, fleet: &Fleet<'_>, total: usize) -> Result<Duration, String> {
    let mut spent = Duration::ZERO;
    let mut done = 0usize;
    let mut components = 0usize;
    let wall = Instant::now();
    fleet.each(|snapshot| {
        let t = Instant::now();
        store.add(snapshot, None, NOW).map_err(|e| e.to_string())?;
        spent += t.elapsed();
        done += 1;
        components += snapshot.components.len();
        if done.is_multiple_of(1000) || done == total {
            eprintln!(
                "  {}: {done}/{total} revisions, {:.0} components/s (store), {:.0} s wall",
                store.engine(),
                per_second(components, spent),
                wall.elapsed().as_secs_f64()
            );
        }
        Ok::<(), String>(())
    })?;
    Ok(spent)
}

fn run_engine(
    store: &mut dyn Store,
    fleet: &Fleet<'_>,
    stats: &FleetStats,
    queries: &[Query],
    db: &[PathBuf],
    size: &mut dyn FnMut() -> Result<(u64, String), String>,
) -> Result<EngineResults, String> {
    let engine = store.engine();
    eprintln!("{engine}: ingesting {} revisions", stats.revisions);
    let ingest = ingest(store, fleet, stats.revisions)?;
    let (size, size_detail) = size()?;
    eprintln!("{engine}: who-uses");
    let who = measure_who_uses(store, queries)?;
    let cache = tempfile::tempdir().map_err(|e| e.to_string())?;
    eprintln!("{engine}: affected (cold advisory cache)");
    let cold = affected(store, db, cache.path(), None)?;
    eprintln!("{engine}: affected (warm)");
    let warm = affected(store, db, cache.path(), None)?;
    let one_id = popular_advisory(&warm).unwrap_or_else(|| "RUSTSEC-0000-0000".to_owned());
    eprintln!("{engine}: affected --id {one_id}");
    let one = affected(store, db, cache.path(), Some(&one_id))?;
    Ok(EngineResults { engine, ingest, who_uses: who, cold, warm, one_id, one, size, size_detail })
}

/// The advisory databases `--db` would name: the RustSec checkout and each OSV zip.
fn advisory_paths(shared: &Path) -> Vec<PathBuf> {
    let root = shared.join("advisory-db");
    let mut paths = vec![root.join("rustsec")];
    let mut zips: Vec<PathBuf> = std::fs::read_dir(root.join("osv"))
        .map(|rd| {
            rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "zip")).collect()
        })
        .unwrap_or_default();
    zips.sort();
    paths.extend(zips);
    paths.retain(|p| p.exists());
    paths
}

fn sqlite(fleet: &Fleet<'_>, stats: &FleetStats, queries: &[Query], db: &[PathBuf]) -> Result<EngineResults, String> {
    let dir = tempfile::Builder::new().prefix("chainward-scale-").tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("inventory.sqlite");
    let mut store = chainward::inventory::open(&Location::Sqlite(path.clone())).map_err(|e| e.to_string())?;
    let mut size = || {
        let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let main = len(&path);
        let wal = len(&path.with_extension("sqlite-wal"));
        Ok((main + wal, format!("file {} + WAL {}", mib(main), mib(wal))))
    };
    run_engine(store.as_mut(), fleet, stats, queries, db, &mut size)
}

/// `url` with its database name replaced (URL form, or `key=value` form).
fn with_dbname(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return format!("{url} dbname={name}") };
    let rest = url.get(scheme_end + 3..).unwrap_or_default();
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let after = rest.get(authority_end..).unwrap_or_default();
    let query = after.find('?').and_then(|q| after.get(q..)).unwrap_or_default();
    format!("{}/{name}{query}", url.get(..scheme_end + 3 + authority_end).unwrap_or_default())
}

fn pg_client(url: &str) -> Result<postgres::Client, String> {
    let config = postgres::Config::from_str(url).map_err(|e| e.to_string())?;
    config.connect(postgres::NoTls).map_err(|e| e.to_string())
}

fn pg_settings(client: &mut postgres::Client) -> String {
    let mut out = Vec::new();
    for name in ["server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers"] {
        let value = client
            .query_one(&format!("SHOW {name}"), &[])
            .map_or_else(|e| format!("? ({e})"), |r| r.get::<_, String>(0));
        out.push(format!("{name}={value}"));
    }
    out.join(", ")
}

fn postgres(
    url: &str,
    fleet: &Fleet<'_>,
    stats: &FleetStats,
    queries: &[Query],
    db: &[PathBuf],
) -> Result<(EngineResults, String), String> {
    let mut admin = pg_client(url)?;
    let settings = pg_settings(&mut admin);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let name = format!("chainward_scale_{}_{nanos}", std::process::id());
    admin.batch_execute(&format!("CREATE DATABASE {name}")).map_err(|e| e.to_string())?;
    let bench_url = with_dbname(url, &name);
    let result = (|| {
        let mut store =
            chainward::inventory::open(&Location::Postgres(bench_url.clone())).map_err(|e| e.to_string())?;
        let mut sizer = pg_client(&bench_url)?;
        let mut size = || {
            let total: i64 =
                sizer.query_one("SELECT pg_database_size(current_database())", &[]).map_err(|e| e.to_string())?.get(0);
            let mut detail = Vec::new();
            for table in ["component", "edge", "package", "revision"] {
                let n: i64 = sizer
                    .query_one("SELECT pg_total_relation_size($1::text::regclass)", &[&table])
                    .map_err(|e| e.to_string())?
                    .get(0);
                detail.push(format!("{table} {}", mib(u64::try_from(n).unwrap_or(0))));
            }
            Ok((u64::try_from(total).unwrap_or(0), detail.join(", ")))
        };
        run_engine(store.as_mut(), fleet, stats, queries, db, &mut size)
    })();
    if std::env::var_os("CHAINWARD_BENCH_KEEP").is_none()
        && let Err(e) = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
    {
        eprintln!("could not drop the benchmark database {name}: {e}");
    }
    result.map(|r| (r, settings))
}

#[expect(clippy::cast_precision_loss, reason = "a size for display")]
fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.2} ms") } else { format!("{ms:.0} ms") }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn table(stats: &FleetStats, results: &[EngineResults]) -> String {
    let mut rows: Vec<(String, String, Vec<String>)> = Vec::new();
    let col = |f: &dyn Fn(&EngineResults) -> String| results.iter().map(f).collect::<Vec<_>>();
    rows.push((
        "ingest (`Store::add`, 1 transaction per revision)".into(),
        ">= 50,000 components/s".into(),
        col(&|r| format!("{:.0} components/s ({})", per_second(stats.components, r.ingest), secs(r.ingest))),
    ));
    let n = results.first().map_or(0, |r| r.who_uses.len());
    for i in 0..n {
        let Some(first) = results.first().and_then(|r| r.who_uses.get(i)) else { continue };
        rows.push((
            format!(
                "who-uses {} `{}`{} (median of {RUNS})",
                first.label,
                first.spec,
                if first.latest { " --latest" } else { "" }
            ),
            "< 100 ms".into(),
            col(&|r| {
                r.who_uses.get(i).map_or_else(String::new, |w| {
                    format!("{} (max {}), {} matches", ms(w.median), ms(w.max), w.matches)
                })
            }),
        ));
    }
    rows.push((
        "affected, one advisory (warm advisory cache)".into(),
        "< 1 s".into(),
        col(&|r| {
            format!(
                "{} `{}`: list {} + load {} + match {} + holdings {}; {} revisions",
                secs(r.one.total),
                r.one_id,
                secs(r.one.list),
                secs(r.one.load),
                secs(r.one.matching),
                secs(r.one.holdings),
                r.one.revisions
            )
        }),
    ));
    for (label, pick) in [
        (
            "affected, whole database (warm advisory cache)",
            (|r: &EngineResults| &r.warm) as fn(&EngineResults) -> &AffectedRun,
        ),
        ("affected, whole database (cold: compiles the advisory cache)", |r: &EngineResults| &r.cold),
    ] {
        rows.push((
            label.into(),
            "< 30 s".into(),
            col(&|r| {
                let a = pick(r);
                format!(
                    "{}: list {} + load {} + match {} + holdings {}; {} findings, {} packages, {} holdings in {} revisions",
                    secs(a.total),
                    secs(a.list),
                    secs(a.load),
                    secs(a.matching),
                    secs(a.holdings),
                    a.findings,
                    a.affected_packages,
                    a.holding_rows,
                    a.revisions
                )
            }),
        ));
    }
    rows.push(("database size".into(), String::new(), col(&|r| format!("{} ({})", mib(r.size), r.size_detail))));
    let mut out = String::new();
    let engines: Vec<&str> = results.iter().map(|r| r.engine).collect();
    let _ = writeln!(out, "| measure | target | {} |", engines.join(" | "));
    let _ = writeln!(out, "|---|---|{}", "---|".repeat(engines.len()));
    for (measure, target, values) in rows {
        let _ = writeln!(out, "| {measure} | {target} | {} |", values.join(" | "));
    }
    out
}

fn main() -> ExitCode {
    let revisions = match std::env::var("CHAINWARD_SCALE_REVISIONS") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!(
                    "CHAINWARD_SCALE_REVISIONS must be a positive number, not `{}`",
                    chainward::sanitize::value(&v)
                );
                return ExitCode::from(2);
            }
        },
        Err(_) => 10_000,
    };
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if !shared.join("corpus").is_dir() {
        eprintln!("../shared/corpus not found: the fleet benchmark needs the real lockfiles; skipped");
        return ExitCode::SUCCESS;
    }
    let started = Instant::now();
    let all = corpus(&shared);
    let pool = pool(&all);
    let only = std::env::var("CHAINWARD_SCALE_CORPUS").unwrap_or_default();
    let bases: Vec<&Base> = all
        .iter()
        .filter(|b| (MIN_COMPONENTS..=MAX_COMPONENTS).contains(&b.snapshot.components.len()))
        .filter(|b| only.is_empty() || b.label.starts_with(&format!("{only}/")))
        .collect();
    eprintln!("corpus resolved in {}: {} projects, {} bases", secs(started.elapsed()), all.len(), bases.len());
    if bases.is_empty() {
        eprintln!("no corpus lockfile with {MIN_COMPONENTS}-{MAX_COMPONENTS} components: nothing to benchmark");
        return ExitCode::FAILURE;
    }
    let fleet = Fleet { bases, pool: &pool, revisions };
    let stats = stats(&fleet);
    let queries = queries(&stats);
    let versions: usize = pool.values().map(Vec::len).sum();
    let mut per_base: BTreeMap<&str, usize> = BTreeMap::new();
    for p in 0..fleet.projects() {
        if let Some(b) = fleet.bases.get(p % fleet.bases.len()) {
            *per_base.entry(b.label.as_str()).or_default() += 1;
        }
    }
    let mut summary = String::new();
    let _ = writeln!(
        summary,
        "fleet: {} projects x {REVISIONS_PER_PROJECT} revisions = {} revisions, {} components ({} packages, avg {} \
         components/revision), {} edges; {} distinct packages (corpus: {} versions of {} names); generated in {}",
        fleet.projects(),
        stats.revisions,
        stats.components,
        stats.package_components,
        stats.components / stats.revisions.max(1),
        stats.edges,
        stats.by_key.len(),
        versions,
        pool.len(),
        secs(stats.generate),
    );
    let _ = writeln!(summary, "bases (components: projects using it):");
    for b in &fleet.bases {
        let _ = writeln!(
            summary,
            "  {} ({}: {})",
            b.label,
            b.snapshot.components.len(),
            per_base.get(b.label.as_str()).copied().unwrap_or(0)
        );
    }
    for q in &queries {
        let _ = writeln!(summary, "who-uses {}: `{}` is in {} revisions", q.label, q.spec, q.expected);
    }
    eprint!("{summary}");
    let db = advisory_paths(&shared);
    let mut results = Vec::new();
    let engines = std::env::var("CHAINWARD_SCALE_ENGINES").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let wants = |engine: &str| engines.split(',').any(|e| e.trim() == engine);
    if wants("sqlite") {
        match sqlite(&fleet, &stats, &queries, &db) {
            Ok(r) => results.push(r),
            Err(e) => {
                eprintln!("sqlite failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let url = std::env::var("CHAINWARD_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("CHAINWARD_TEST_POSTGRES_URL"))
        .ok()
        .filter(|_| wants("postgres"));
    let mut settings = None;
    match url {
        Some(url) => match postgres(&url, &fleet, &stats, &queries, &db) {
            Ok((r, s)) => {
                results.push(r);
                settings = Some(s);
            }
            Err(e) => {
                eprintln!("postgres failed: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => eprintln!(
            "PostgreSQL skipped: set CHAINWARD_BENCH_POSTGRES_URL (or CHAINWARD_TEST_POSTGRES_URL) to a server the \
             benchmark may create a database on"
        ),
    }
    println!("{summary}");
    if let Some(s) = settings {
        println!("postgres settings: {s}");
    }
    println!("sqlite settings: WAL, synchronous=NORMAL (the store's own)\n");
    print!("{}", table(&stats, &results));
    ExitCode::SUCCESS
}
