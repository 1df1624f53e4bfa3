//! The compiled view (issue 14) on `testdata/compiled/big`, a 654-package Cargo.lock (tokio,
//! axum, reqwest, sqlx with every database, aws-sdk-s3, wasmtime, actix-web, …): a plain
//! lockfile-only resolve (what `scan` does) against the same plus [`compiled::annotate`] for
//! `--target x86_64-unknown-linux-gnu`, offline, from a warm cargo home built in a temporary
//! directory from the recorded index lines (`index.jsonl.gz`, `proc-macros.txt`). With
//! `../shared/advisory-db`, also the whole scan pipeline (records loaded from the compiled
//! cache, matching) with and without the compiled view: the issue's "at most twice a plain
//! `scan`". `CHAINWARD_BENCH_CARGO_HOME=DIR` adds the compiled view from a real cargo home (one
//! that fetched the fixture: whole `.cache` files with every version, every extracted manifest).
//! The two phases of the view are measured apart too: [`compiled::metadata::gather`] (cargo's
//! cache files, in parallel) and [`compiled::annotate_with`] (manifests, feature resolution,
//! statuses). The allocator is the binary's (mimalloc): the view allocates a lot.
#![expect(
    clippy::panic,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports and stops on setup failure"
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use chainward::compiled::{self, Options, Sources, Targets};
use chainward::discover::Excludes;
use chainward::registry::RegistryConfig;
use chainward::registry::cargo_home::CargoHome;
use chainward::resolve::{Resolution, ResolveOptions};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

#[path = "../tests/support/cargo_home.rs"]
mod cargo_home;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TRIPLE: &str = "x86_64-unknown-linux-gnu";
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/compiled/big")
}

/// A cargo home as `cargo fetch` leaves it for the fixture, from the recorded data
/// (`tests/support/cargo_home.rs`). Returns the number of index lines.
fn fake_cargo_home(root: &Path) -> usize {
    cargo_home::from_recorded_fixture(root, &fixture())
}

fn resolve(dir: &Path, excludes: &Excludes) -> Resolution {
    let source = chainward::source::WorkTree::new(dir);
    let options = ResolveOptions { lockfile_only: true, ..ResolveOptions::default() };
    chainward::resolve::tree(&source, None, excludes, &options).unwrap_or_else(|e| panic!("{e}"))
}

/// The registry layer as `scan --offline` sets it up; the index URL is unreachable anyway.
fn offline_registry() -> RegistryConfig {
    let mut registry = RegistryConfig::public(None, time::OffsetDateTime::now_utc());
    registry.offline = true;
    "http://127.0.0.1:9/".clone_into(&mut registry.crates_io_index);
    registry
}

fn annotate(dir: &Path, resolution: &mut Resolution, registry: &RegistryConfig, home: &CargoHome) -> usize {
    let source = chainward::source::WorkTree::new(dir);
    let options = Options { targets: Targets::Triples(vec![TRIPLE.to_owned()]), ..Options::default() };
    let outcome = compiled::annotate(resolution, &source, &options, &Sources { registry, cargo_home: Some(home) })
        .unwrap_or_else(|e| panic!("{e}"));
    outcome.lockfiles
}

/// Package count and statuses, once, and how many differ from cargo's (`expected/linux.txt`).
fn report(dir: &Path, excludes: &Excludes, registry: &RegistryConfig, home: &CargoHome, label: &str) {
    let mut resolution = resolve(dir, excludes);
    let source = chainward::source::WorkTree::new(dir);
    let options = Options { targets: Targets::Triples(vec![TRIPLE.to_owned()]), ..Options::default() };
    let outcome = compiled::annotate(&mut resolution, &source, &options, &Sources { registry, cargo_home: Some(home) })
        .unwrap_or_else(|e| panic!("{e}"));
    let packages = &resolution.resolved.first().expect("a Cargo.lock").packages;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut got = BTreeMap::new();
    for p in packages {
        let status = p.compiled.as_ref().map_or("(none)", |c| c.status.as_str());
        *counts.entry(status).or_default() += 1;
        got.insert(format!("{} {}", p.name, p.version), status);
    }
    let expected = std::fs::read_to_string(dir.join("expected/linux.txt")).unwrap_or_default();
    let differ = expected
        .lines()
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(pkg, want)| got.get(*pkg).copied() != Some(*want))
        .count();
    eprintln!(
        "{label}: {} Cargo.lock packages, {counts:?}; {differ} differ from cargo tree (expected/linux.txt); {} warnings, {} notes",
        packages.len(),
        outcome.warnings.len(),
        outcome.notes.len()
    );
}

fn bench(c: &mut Criterion) {
    let dir = fixture();
    let excludes = Excludes::new(&[]).unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().unwrap();
    let lines = fake_cargo_home(tmp.path());
    let home = CargoHome::new(tmp.path());
    let registry = offline_registry();
    let real_home = std::env::var_os("CHAINWARD_BENCH_CARGO_HOME").map(CargoHome::new);
    eprintln!("fake cargo home: {lines} index lines");
    report(&dir, &excludes, &registry, &home, "fake cargo home");
    if let Some(real) = &real_home {
        report(&dir, &excludes, &registry, real, &format!("cargo home {}", real.root().display()));
    }

    // chainward's summary store (`<cache>/registry/crates.io-summaries`), primed once: the warm
    // path of a repeated scan.
    let store = tempfile::tempdir().unwrap();
    let warm = RegistryConfig { cache_dir: Some(store.path().join("registry")), ..offline_registry() };
    annotate(&dir, &mut resolve(&dir, &excludes), &warm, &home);

    let mut group = c.benchmark_group("compiled view (654 packages)");
    group.bench_function("resolve (lockfile only, as scan)", |b| b.iter(|| resolve(black_box(&dir), &excludes)));
    group.bench_function("resolve + annotate (fake cargo home, offline)", |b| {
        b.iter(|| {
            let mut resolution = resolve(black_box(&dir), &excludes);
            annotate(&dir, &mut resolution, &registry, &home)
        });
    });
    group.bench_function("resolve + annotate (warm summary store)", |b| {
        b.iter(|| {
            let mut resolution = resolve(black_box(&dir), &excludes);
            annotate(&dir, &mut resolution, &warm, &home)
        });
    });
    group.bench_function("annotate only (fake cargo home, offline)", |b| {
        b.iter_batched(
            || resolve(&dir, &excludes),
            |mut resolution| annotate(&dir, &mut resolution, &registry, &home),
            BatchSize::LargeInput,
        );
    });
    let source = chainward::source::WorkTree::new(&dir);
    let wanted = compiled::wanted(&resolve(&dir, &excludes), &source);
    group.bench_function("phase 1: metadata::gather (fake cargo home, 8 workers)", |b| {
        b.iter(|| compiled::metadata::gather(&registry, Some(&home), black_box(&wanted)));
    });
    let serial = RegistryConfig { concurrency: 1, ..offline_registry() };
    group.bench_function("phase 1: metadata::gather (fake cargo home, 1 worker)", |b| {
        b.iter(|| compiled::metadata::gather(&serial, Some(&home), black_box(&wanted)));
    });
    let gathered = compiled::metadata::gather(&registry, Some(&home), &wanted);
    let options = Options { targets: Targets::Triples(vec![TRIPLE.to_owned()]), ..Options::default() };
    group.bench_function("phase 2: annotate_with (metadata gathered)", |b| {
        b.iter_batched(
            || resolve(&dir, &excludes),
            |mut resolution| {
                compiled::annotate_with(&mut resolution, &source, &options, black_box(&gathered))
                    .unwrap_or_else(|e| panic!("{e}"))
                    .lockfiles
            },
            BatchSize::LargeInput,
        );
    });
    if let Some(real) = &real_home {
        group.bench_function("phase 1: metadata::gather (CHAINWARD_BENCH_CARGO_HOME, 8 workers)", |b| {
            b.iter(|| compiled::metadata::gather(&registry, Some(real), black_box(&wanted)));
        });
        group.bench_function("resolve + annotate (CHAINWARD_BENCH_CARGO_HOME, offline)", |b| {
            b.iter(|| {
                let mut resolution = resolve(black_box(&dir), &excludes);
                annotate(&dir, &mut resolution, &registry, real)
            });
        });
    }

    // The scan pipeline: lockfile-only resolve, the RustSec records of those packages from the
    // compiled cache, matching; then the same with the compiled view.
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/advisory-db/rustsec");
    if db.is_dir() {
        let db = vec![db];
        let cache = tempfile::tempdir().unwrap();
        let _ = chainward::advisory::db::load(&db, Some(cache.path()));
        let scan = |resolution: &Resolution| {
            let packages = resolution.scan_packages();
            let keys = chainward::advisory::db::Wanted::new(
                packages.iter().map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str())),
            );
            let select = chainward::advisory::db::Select::Affecting(&keys);
            let index = chainward::advisory::db::load_selected(black_box(&db), Some(cache.path()), select)
                .unwrap_or_else(|e| panic!("{e}"));
            chainward::finding::match_packages(&index, &packages).0.len()
        };
        group.bench_function("scan: resolve + load records + match", |b| {
            b.iter(|| scan(&resolve(black_box(&dir), &excludes)));
        });
        group.bench_function("scan + compiled view (fake cargo home, offline)", |b| {
            b.iter(|| {
                let mut resolution = resolve(black_box(&dir), &excludes);
                annotate(&dir, &mut resolution, &registry, &home);
                scan(&resolution)
            });
        });
        group.bench_function("scan + compiled view (warm summary store)", |b| {
            b.iter(|| {
                let mut resolution = resolve(black_box(&dir), &excludes);
                annotate(&dir, &mut resolution, &warm, &home);
                scan(&resolution)
            });
        });
    } else {
        eprintln!("../shared/advisory-db not found: skipping the scan pipeline benchmarks");
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
