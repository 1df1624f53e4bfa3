//! `chainward scan` stage by stage, on the largest corpus lockfile (deno's Cargo.lock, 1,128
//! packages) against the RustSec snapshot in `../shared/advisory-db/rustsec`:
//!
//! - start-up: the whole process for `chainward --version` (loading, relocations, allocator,
//!   argument parsing: everything before the first file is read), beside the same for `scan`;
//! - parse: the lockfile's text to packages;
//! - index load: the compiled index of the database (warm cache), only the records naming the
//!   lockfile's packages, with the directory's fingerprint check;
//! - match: every package against the loaded index;
//! - render: the report as JSON, SARIF and a table.
//!
//! Falls back to a small fixture and the test advisories when `../shared` is absent, so that
//! `cargo bench` still runs on a fresh clone.
#![expect(clippy::panic, clippy::print_stderr, reason = "a benchmark reports and stops on setup failure")]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::advisory::db::{Select, load_selected};
use chainward::discover::Excludes;
use chainward::finding::match_packages;
use chainward::resolve::ResolveOptions;
use criterion::{Criterion, criterion_group, criterion_main};

fn inputs() -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let deno = root.join("../shared/corpus/cargo/denoland__deno");
    let rustsec = root.join("../shared/advisory-db/rustsec");
    if deno.join("Cargo.lock").is_file() && rustsec.is_dir() {
        (deno, rustsec)
    } else {
        eprintln!("../shared not found: benchmarking testdata/projects/workspace and testdata/advisories/diff instead");
        (root.join("testdata/projects/workspace"), root.join("testdata/advisories/diff"))
    }
}

fn bench(c: &mut Criterion) {
    let (project, db) = inputs();
    let lockfile = project.join("Cargo.lock");
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exe = env!("CARGO_BIN_EXE_chainward");

    c.bench_function("start-up: chainward --version (process)", |b| {
        b.iter(|| Command::new(exe).arg("--version").output().unwrap_or_else(|e| panic!("{e}")));
    });
    c.bench_function("whole scan --db rustsec --no-registry (process)", |b| {
        b.iter(|| {
            Command::new(exe)
                .arg("scan")
                .arg(&lockfile)
                .arg("--db")
                .arg(&db)
                .args(["--no-registry", "--fail-on", "none", "--format", "json"])
                .env("CHAINWARD_CACHE_DIR", cache.path())
                .output()
                .unwrap_or_else(|e| panic!("{e}"))
        });
    });

    let text = std::fs::read_to_string(&lockfile).unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("parse: Cargo.lock (deno)", |b| {
        b.iter(|| chainward::resolve::cargo::parse("Cargo.lock", black_box(&text)));
    });

    let source = chainward::source::WorkTree::single_file(&project, "Cargo.lock");
    let excludes = Excludes::new(&[]).unwrap_or_else(|e| panic!("{e}"));
    let options = ResolveOptions { lockfile_only: true, ..ResolveOptions::default() };
    let resolution = chainward::resolve::work_tree(&source, &excludes, &options).unwrap_or_else(|e| panic!("{e}"));
    let packages = resolution.scan_packages();
    c.bench_function("parse: Cargo.lock to scan packages (deno)", |b| {
        b.iter(|| {
            let source = chainward::source::WorkTree::single_file(&project, "Cargo.lock");
            chainward::resolve::work_tree(&source, &excludes, &options)
                .unwrap_or_else(|e| panic!("{e}"))
                .scan_packages()
        });
    });

    let keys = chainward::advisory::db::Wanted::new(
        packages.iter().map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str())),
    );
    let paths = vec![db.clone()];
    // Compiles the index once: what follows reads it warm.
    let index = load_selected(&paths, Some(cache.path()), Select::Affecting(&keys)).unwrap_or_else(|e| panic!("{e}"));
    assert!(index.errors.is_empty(), "the database loads cleanly: {:?}", index.errors);
    c.bench_function("index load: warm, the lockfile's packages (deno, rustsec)", |b| {
        b.iter(|| load_selected(&paths, Some(cache.path()), Select::Affecting(black_box(&keys))));
    });

    c.bench_function("match: every package (deno, rustsec)", |b| {
        b.iter(|| match_packages(&index, black_box(&packages)));
    });

    let (findings, _) = match_packages(&index, &packages);
    let report = chainward::report::Report {
        version: 1,
        tool: chainward::report::Tool { name: "chainward".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
        database: chainward::report::Database {
            sources: index.sources.iter().map(chainward::report::DatabaseSource::from).collect(),
        },
        summary: chainward::report::Summary {
            packages: packages.len(),
            findings: findings.len(),
            by_severity: chainward::finding::by_severity(&findings),
        },
        findings,
        suppressed: Vec::new(),
        not_compiled: Vec::new(),
        changes: None,
        warnings: Vec::new(),
        errors: Vec::new(),
    };
    c.bench_function("render: json report (deno, rustsec)", |b| {
        b.iter(|| chainward::report::json::render(black_box(&report)));
    });
    c.bench_function("render: table report (deno, rustsec)", |b| {
        b.iter(|| chainward::report::table::render(black_box(&report)));
    });
    c.bench_function("render: sarif report (deno, rustsec)", |b| {
        b.iter(|| {
            chainward::report::sarif::render(black_box(&report), &chainward::report::sarif::SarifOptions::default())
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
