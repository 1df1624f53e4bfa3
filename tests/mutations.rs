//! Bad input never panics: thousands of mutated lockfiles and manifests (bytes flipped, lines
//! dropped, duplicated or swapped, files truncated) go through the parser and the whole resolver.
//! Deterministic (a fixed-seed xorshift), so a failure reproduces.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::mutate::Rng;

use std::path::Path;

use chainward::resolve::ResolveOptions;
use chainward::resolve::cargo::CargoLockResolver;
use chainward::resolve::{Resolver, cargo};
use chainward::source::WorkTree;

const INTERESTING: &[&[u8]] = &[
    b"[[package]]\n",
    b"\"",
    b"\\",
    b" = ",
    b"[",
    b"]",
    b"#",
    b"\n",
    b"version = 4\n",
    b"dependencies = [\n",
    b" (registry+https://github.com/rust-lang/crates.io-index)",
    b"git+https://x/y?branch=a#0123456789abcdef",
    b"\xff\xfe",
    b"[root]\n",
    b"[metadata]\n",
    b"\"checksum a 1 (x)\" = \"<none>\"\n",
    b"{",
    b"}",
    b"'",
    // JSON and YAML of the JavaScript lockfiles.
    b"\"lockfileVersion\": 3,",
    b"\"node_modules/a/node_modules/b\": {\"version\": \"1.0.0\"},",
    b"\"integrity\": \"sha512-AAAA\"",
    b"\"link\": true,",
    b",",
    b":",
    b"- ",
    b"  ",
    b"&a [*a, *a]",
    b"__metadata:\n  version: 8\n",
    b"packages:\n",
    b"snapshots:\n",
    b"/a@1.0.0(b@2.0.0):\n",
    b"resolution: {integrity: sha512-AAAA}\n",
    b"\"npm:x@1\"",
];

/// `input` mutated, with this format's tokens.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    common::mutate::mutate(rng, input, INTERESTING)
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/lockfiles/cargo");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    seeds.sort();
    seeds
}

#[test]
fn mutated_lockfiles_never_panic_the_parser() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds = seeds();
    let mut parsed = 0;
    for round in 0..4000 {
        let seed = &seeds[round % seeds.len()];
        let input = mutate(&mut rng, seed);
        let text = String::from_utf8_lossy(&input);
        let Ok(result) = std::panic::catch_unwind(|| cargo::parse("Cargo.lock", &text)) else {
            panic!("round {round}: parse panicked on:\n{text}");
        };
        match result {
            Ok(lock) => {
                parsed += 1;
                let n = lock.packages.len();
                assert!(lock.packages.iter().all(|p| p.dependencies.iter().all(|&j| j < n)), "round {round}");
            }
            Err(e) => {
                assert_eq!(e.path, "Cargo.lock");
                assert!(e.line.is_none_or(|l| l >= 1 && l <= text.lines().count().max(1) + 1), "round {round}: {e}");
            }
        }
    }
    // The mutations are mild enough that some inputs still parse: both paths are exercised.
    assert!(parsed > 100, "only {parsed} mutated inputs parsed");
}

#[test]
fn mutated_javascript_lockfiles_never_panic_their_resolvers() {
    type Target = fn(&[u8]);
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/js/real");
    let cases: [(&str, &str, Target); 6] = [
        ("npm", "package-lock.json", chainward::fuzzing::package_lock),
        ("npm-workspace", "package-lock.json", chainward::fuzzing::package_lock),
        ("yarn-classic", "yarn.lock", chainward::fuzzing::yarn_lock),
        ("yarn-berry", "yarn.lock", chainward::fuzzing::yarn_lock),
        ("pnpm", "pnpm-lock.yaml", chainward::fuzzing::pnpm_lock),
        ("bun", "bun.lock", chainward::fuzzing::bun_lock),
    ];
    let originals: Vec<(Vec<u8>, Vec<u8>)> = cases
        .iter()
        .map(|(dir, lock, _)| {
            (
                std::fs::read(real.join(dir).join(lock)).unwrap(),
                std::fs::read(real.join(dir).join("package.json")).unwrap(),
            )
        })
        .collect();
    let mut rng = Rng(0xd1b5_4a32_d192_ed03);
    for round in 0..3000 {
        let i = round % cases.len();
        let (lock, manifest) = &originals[i];
        // Mostly the lockfile; sometimes the package.json beside it.
        let (lock, manifest) = if rng.below(5) == 0 {
            (lock.clone(), mutate(&mut rng, manifest))
        } else {
            (mutate(&mut rng, lock), manifest.clone())
        };
        let mut input = lock;
        input.push(0);
        input.extend_from_slice(&manifest);
        let target = cases[i].2;
        assert!(
            std::panic::catch_unwind(|| target(&input)).is_ok(),
            "round {round}: {} panicked on:\n{}",
            cases[i].0,
            String::from_utf8_lossy(&input)
        );
    }
}

/// The Python, Go, Ruby and PHP lockfile targets' seeds (`fuzz/corpus/<target>/`: each a
/// lockfile, NUL, the manifest beside it, then `PATH\nCONTENT` files), mutated.
/// A fuzz entry point.
type Entry = fn(&[u8]);

const OTHER_TARGETS: [(&str, Entry); 10] = [
    ("poetry_lock", chainward::fuzzing::poetry_lock),
    ("pdm_lock", chainward::fuzzing::pdm_lock),
    ("uv_lock", chainward::fuzzing::uv_lock),
    ("pylock_toml", chainward::fuzzing::pylock_toml),
    ("pipfile_lock", chainward::fuzzing::pipfile_lock),
    ("requirements_txt", chainward::fuzzing::requirements_txt),
    ("go_mod", chainward::fuzzing::go_mod),
    ("go_work", chainward::fuzzing::go_work),
    ("gemfile_lock", chainward::fuzzing::gemfile_lock),
    ("composer_lock", chainward::fuzzing::composer_lock),
];

#[test]
fn mutated_python_go_ruby_and_php_lockfiles_never_panic_their_resolvers() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut seeds: Vec<(usize, std::path::PathBuf, Vec<u8>)> = Vec::new();
    for (t, (name, _)) in OTHER_TARGETS.iter().enumerate() {
        let mut files: Vec<_> = std::fs::read_dir(corpus.join(name))
            .unwrap_or_else(|e| panic!("fuzz/corpus/{name}: {e}"))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "fuzz/corpus/{name} has no seeds");
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            seeds.push((t, f, bytes));
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..4000 {
        let (t, path, seed) = &seeds[round % seeds.len()];
        let input = if round < seeds.len() { seed.clone() } else { mutate(&mut rng, seed) };
        let (name, target) = OTHER_TARGETS[*t];
        assert!(
            std::panic::catch_unwind(|| target(&input)).is_ok(),
            "round {round}: {name} panicked on a mutation of {}:\n{}",
            path.display(),
            String::from_utf8_lossy(&input)
        );
    }
}

#[test]
fn mutated_workspaces_never_panic_the_resolver() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/workspace");
    let files = ["Cargo.lock", "Cargo.toml", "crates/app/Cargo.toml", "crates/lib-core/Cargo.toml"];
    let originals: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(ws.join(f)).unwrap()).collect();
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
    }
    for round in 0..300 {
        let target = rng.below(files.len());
        for (i, f) in files.iter().enumerate() {
            let bytes = if i == target { mutate(&mut rng, &originals[i]) } else { originals[i].clone() };
            std::fs::write(dir.path().join(f), bytes).unwrap();
        }
        let tree = WorkTree::new(dir.path());
        let lock = std::fs::read(dir.path().join("Cargo.lock")).unwrap();
        let result = std::panic::catch_unwind(|| {
            CargoLockResolver.resolve(&tree, "Cargo.lock", &lock, &ResolveOptions::default())
        });
        assert!(result.is_ok(), "round {round}: resolver panicked with {} mutated", files[target]);
    }
}

/// The fuzzers' reproducers of lockfile bugs (`fuzz/regressions/`) run clean through the same
/// entry points in the ordinary test suite too, not only in the fuzz smoke run.
#[test]
fn fuzz_regressions_of_the_lockfile_targets_run_clean() {
    type Target = fn(&[u8]);
    let mut targets: Vec<(&str, Target)> = vec![
        ("cargo_lock", chainward::fuzzing::cargo_lock),
        ("package_lock", chainward::fuzzing::package_lock),
        ("yarn_lock", chainward::fuzzing::yarn_lock),
        ("pnpm_lock", chainward::fuzzing::pnpm_lock),
        ("bun_lock", chainward::fuzzing::bun_lock),
    ];
    targets.extend(OTHER_TARGETS);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut ran = 0;
    for (name, target) in targets {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let input = std::fs::read(&path).unwrap();
            assert!(std::panic::catch_unwind(|| target(&input)).is_ok(), "{}", path.display());
            ran += 1;
        }
    }
    assert!(ran >= 2, "the pnpm and yarn reproducers are there");
}
