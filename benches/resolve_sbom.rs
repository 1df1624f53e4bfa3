//! Hot paths of `chainward sbom`: parsing the largest corpus lockfile (deno, 1,128 packages) and
//! the whole resolve + SBOM pipeline on it; the same, and `scan`, for the largest JavaScript
//! lockfiles (axios's package-lock.json, vuejs/core's pnpm-lock.yaml) and of each Python, Go, Ruby and PHP format. Falls back to a small fixture when `../shared` is
//! absent, so `cargo bench` still runs on a fresh clone.
#![expect(clippy::panic, clippy::print_stderr, reason = "a benchmark reports and stops on setup failure")]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use chainward::discover::Excludes;
use chainward::model::Graph;
use chainward::resolve::ResolveOptions;
use chainward::sbom::{SbomFormat, SbomOptions, SpecVersion, render};
use criterion::{Criterion, criterion_group, criterion_main};

fn project() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let deno = root.join("../shared/corpus/cargo/denoland__deno");
    if deno.join("Cargo.lock").is_file() {
        deno
    } else {
        eprintln!("../shared/corpus not found: benchmarking testdata/projects/workspace instead");
        root.join("testdata/projects/workspace")
    }
}

/// Deterministic CycloneDX 1.6 JSON.
fn json_options() -> SbomOptions {
    SbomOptions {
        spec: SpecVersion::V1_6,
        format: SbomFormat::Json,
        timestamp: Some("2024-01-01T00:00:00Z".to_owned()),
        deterministic: true,
        missing: Vec::new(),
        properties: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let dir = project();
    let text = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap_or_default();
    let excludes = Excludes::new(&[]).unwrap_or_else(|e| panic!("{e}"));
    let options = json_options();

    c.bench_function("parse Cargo.lock (deno)", |b| {
        b.iter(|| chainward::resolve::cargo::parse("Cargo.lock", black_box(&text)));
    });
    c.bench_function("resolve + sbom json 1.6 (deno)", |b| {
        b.iter(|| {
            let source = chainward::source::open(&dir).unwrap_or_else(|e| panic!("{e}"));
            let resolution = chainward::resolve::work_tree(&source, &excludes, &ResolveOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            let graph = Graph::merge(resolution.resolved, &resolution.name);
            render(&graph, &options).unwrap_or_else(|e| panic!("{e}"))
        });
    });
    let source = chainward::source::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let resolution =
        chainward::resolve::work_tree(&source, &excludes, &ResolveOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let graph = Graph::merge(resolution.resolved, &resolution.name);
    c.bench_function("render sbom json 1.6 (deno)", |b| b.iter(|| render(black_box(&graph), &options)));
    let xml = SbomOptions { format: SbomFormat::Xml, ..options.clone() };
    c.bench_function("render sbom xml 1.6 (deno)", |b| b.iter(|| render(black_box(&graph), &xml)));
}

/// `chainward scan`'s hot paths: loading a database, and matching the deno lockfile against it.
fn bench_scan(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/advisory-db");
    if !shared.is_dir() {
        eprintln!("../shared/advisory-db not found: skipping the scan benchmarks");
        return;
    }
    let dir = project();
    let excludes = Excludes::new(&[]).unwrap_or_else(|e| panic!("{e}"));
    let source = chainward::source::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let resolution =
        chainward::resolve::work_tree(&source, &excludes, &ResolveOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let packages = resolution.scan_packages();
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    for db in ["rustsec", "osv/crates.io.zip"] {
        let path = vec![shared.join(db)];
        group.bench_function(format!("load {db}"), |b| {
            b.iter(|| chainward::advisory::db::load(black_box(&path), None).unwrap_or_else(|e| panic!("{e}")));
        });
        let index = chainward::advisory::db::load(&path, None).unwrap_or_else(|e| panic!("{e}"));
        let cache = std::env::temp_dir().join(format!("chainward-bench-{}", std::process::id()));
        let _ = chainward::advisory::db::load(&path, Some(&cache));
        group.bench_function(format!("load {db} from the compiled cache"), |b| {
            b.iter(|| chainward::advisory::db::load(black_box(&path), Some(&cache)).unwrap_or_else(|e| panic!("{e}")));
        });
        let keys = chainward::advisory::db::Wanted::new(
            packages.iter().map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str())),
        );
        let select = chainward::advisory::db::Select::Affecting(&keys);
        group.bench_function(format!("load {db} from the compiled cache, deno's packages only"), |b| {
            b.iter(|| {
                chainward::advisory::db::load_selected(black_box(&path), Some(&cache), select)
                    .unwrap_or_else(|e| panic!("{e}"))
            });
        });
        group.bench_function(format!("match deno against {db}"), |b| {
            b.iter(|| chainward::finding::match_packages(black_box(&index), black_box(&packages)));
        });
    }
    group.finish();
}

/// JavaScript lockfiles: `sbom` (resolve + render) and `scan` (lockfile-only resolve, the
/// compiled npm database's records for those packages, matching) of the axios package-lock
/// (2,115 entries) and the vuejs/core pnpm lockfile (620 packages), the speed targets.
fn bench_js(c: &mut Criterion) {
    lockfiles(
        c,
        "js",
        &[
            ("axios package-lock", "corpus/npm/axios__axios", "npm.zip"),
            ("vuejs pnpm", "corpus/npm/vuejs__core", "npm.zip"),
        ],
    );
}

/// Python, Go, Ruby and PHP: the largest corpus lockfile of each format, against its
/// ecosystem's OSV export.
fn bench_other_ecosystems(c: &mut Criterion) {
    lockfiles(
        c,
        "python-go-ruby-php",
        &[
            ("poetry.lock", "corpus/pypi/python-poetry__poetry", "PyPI.zip"),
            ("uv.lock pydantic", "corpus/pypi/pydantic__pydantic", "PyPI.zip"),
            ("requirements warehouse", "corpus/pypi/pypi__warehouse", "PyPI.zip"),
            ("Pipfile.lock pipenv", "corpus/pypi/pypa__pipenv", "PyPI.zip"),
            ("go.mod caddy", "corpus/go/caddyserver__caddy", "Go.zip"),
            ("Gemfile.lock rubygems.org", "corpus/rubygems/rubygems__rubygems.org", "RubyGems.zip"),
            ("composer.lock symfony demo", "corpus/packagist/symfony__demo", "Packagist.zip"),
        ],
    );
}

/// `sbom` (resolve + render) and `scan` (lockfile-only resolve, the compiled database's records
/// for those packages, matching) of each (label, corpus directory, OSV zip).
fn lockfiles(c: &mut Criterion, name: &str, projects: &[(&str, &str, &str)]) {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if !shared.join("corpus").is_dir() {
        eprintln!("../shared/corpus not found: skipping the {name} benchmarks");
        return;
    }
    let excludes = Excludes::new(&[]).unwrap_or_else(|e| panic!("{e}"));
    let options = json_options();
    let cache = std::env::temp_dir().join(format!("chainward-bench-{name}-{}", std::process::id()));
    let mut group = c.benchmark_group(name);
    for &(label, dir, zip) in projects {
        let dir = shared.join(dir);
        let db = vec![shared.join("advisory-db/osv").join(zip)];
        let _ = chainward::advisory::db::load(&db, Some(&cache));
        let resolve = |lockfile_only: bool| {
            let source = chainward::source::open(&dir).unwrap_or_else(|e| panic!("{e}"));
            let options = ResolveOptions { lockfile_only, ..ResolveOptions::default() };
            chainward::resolve::work_tree(&source, &excludes, &options).unwrap_or_else(|e| panic!("{e}"))
        };
        group.bench_function(format!("resolve + sbom json 1.6 ({label})"), |b| {
            b.iter(|| {
                let resolution = resolve(false);
                let graph = Graph::merge(resolution.resolved, &resolution.name);
                render(&graph, &options).unwrap_or_else(|e| panic!("{e}"))
            });
        });
        group.bench_function(format!("scan: resolve + load records + match ({label})"), |b| {
            b.iter(|| {
                let packages = resolve(true).scan_packages();
                let keys = chainward::advisory::db::Wanted::new(
                    packages.iter().map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str())),
                );
                let select = chainward::advisory::db::Select::Affecting(&keys);
                let index = chainward::advisory::db::load_selected(black_box(&db), Some(&cache), select)
                    .unwrap_or_else(|e| panic!("{e}"));
                chainward::finding::match_packages(&index, &packages).0.len()
            });
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&cache);
}

criterion_group!(benches, bench, bench_scan, bench_js, bench_other_ecosystems);
criterion_main!(benches);
