//! `poetry.lock`: the osv-scalibr conformance cases, the two real lockfiles of the corpus
//! (poetry's own, lock-version 2.1 and 1.1), the fixture of `testdata/python/poetry/app/`
//! (written by poetry 2.5.1 with `poetry lock`; see its README), bad input and mutations.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::mutate::Rng;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chainward::model::package::GitReference;
use chainward::model::{Checksum, Ecosystem, LineSpan, PackageSource, RootComponent, Scope};
use chainward::resolve::{ResolveErrorKind, Resolved, Resolver};
use serde_json::Value;

fn chainward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .args(common::no_registry(args))
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run chainward")
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/python/poetry/app")
}

fn only(resolution: &chainward::resolve::Resolution) -> &Resolved {
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert_eq!(resolution.resolved.len(), 1);
    &resolution.resolved[0]
}

/// The scope the peer's `groups` stand for: `dev` excluded, `optional` optional, none required.
fn peer_scope(groups: &[String]) -> Scope {
    if groups.iter().any(|g| g == "dev") {
        Scope::Excluded
    } else if groups.iter().any(|g| g == "optional") {
        Scope::Optional
    } else {
        Scope::Required
    }
}

#[test]
fn conformance_cases_match_the_peer() {
    let cases = common::conformance::cases("poetry.lock");
    if common::shared_dir().is_none() {
        return;
    }
    assert_eq!(cases.len(), 7, "the seven osv-scalibr poetry.lock cases");
    for case in cases {
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        if case.expects_error {
            assert!(resolution.resolved.is_empty(), "{}", case.name);
            let error = resolution.errors.first().unwrap_or_else(|| panic!("{}: no error", case.name));
            assert_eq!((error.path.as_str(), error.line), ("poetry.lock", Some(1)), "{}: {error}", case.name);
            assert!(matches!(error.kind, ResolveErrorKind::Syntax(_)), "{}: {error}", case.name);
            let out = chainward(&["sbom", dir.path().to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{}", case.name);
            assert!(String::from_utf8_lossy(&out.stderr).contains("poetry.lock:1"), "{}", case.name);
            continue;
        }
        if case.name.ends_with("poetry-empty-file") {
            // Deliberate difference (the peer's `empty-file-not-error`): poetry itself refuses a
            // lockfile without `[metadata]` ("does not have a metadata entry"), and a 0-byte
            // lockfile is truncated, not a project without dependencies: an error, exit 2.
            assert!(case.expected.is_empty());
            assert!(resolution.resolved.is_empty(), "{}", case.name);
            let error = &resolution.errors[0];
            assert!(matches!(error.kind, ResolveErrorKind::Format(_)), "{error}");
            assert!(error.to_string().contains("empty"), "{error}");
            let out = chainward(&["sbom", dir.path().to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{}", case.name);
            continue;
        }
        let lock = only(&resolution);
        // No pyproject.toml beside these fixtures: the root is synthetic, every package is
        // the lockfile's. Names compare PEP 503-normalized (`names-not-normalised`); the peer's
        // `dev-included`/`optional-included` are our scopes (checked below), so the multisets
        // compare whole.
        assert!(matches!(lock.root, RootComponent::Synthetic { .. }), "{}", case.name);
        for (e, matching) in common::conformance::check_python_lock(&case, lock) {
            assert!(
                matching.iter().any(|p| p.scope == Some(peer_scope(&e.groups))),
                "{}: {} groups {:?}, ours {:?}",
                case.name,
                e.name,
                e.groups,
                matching.iter().map(|p| p.scope).collect::<Vec<_>>()
            );
        }
        let out = chainward(&["sbom", dir.path().to_str().unwrap()]);
        assert!(out.status.success(), "{}: {}", case.name, String::from_utf8_lossy(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{}: {e:#?}", case.name));
    }
}

#[test]
fn conformance_details_the_peer_does_not_assert() {
    let Some(shared) = common::shared_dir() else { return };
    let case = |name: &str, file: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            shared.join("conformance/osv-scalibr/pypi").join(name).join(file),
            dir.path().join("poetry.lock"),
        )
        .unwrap();
        dir
    };
    // A legacy source on a PyPI mirror (piwheels) is still PyPI; the file has no `[metadata]`,
    // which poetry refuses: we read it and warn.
    let dir = case("poetry-source-legacy", "source-legacy.lock");
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    assert_eq!(lock.packages[0].source, PackageSource::default_registry(chainward::model::Ecosystem::PyPI));
    assert_eq!(lock.packages[0].purl().as_deref(), Some("pkg:pypi/appdirs@1.4.4"));
    assert!(resolution.warnings.iter().any(|w| w.message.contains("no `[metadata]`")), "{:?}", resolution.warnings);
    // Git: `resolved_reference` is the commit, `reference` the branch as written.
    let dir = case("poetry-source-git", "source-git.lock");
    let resolution = common::conformance::resolve(dir.path());
    assert_eq!(
        only(&resolution).packages[0].source,
        PackageSource::Git {
            url: "https://github.com/dzshn/ike".into(),
            reference: Some(GitReference::Rev("main".into())),
            commit: Some("cd66602cd29f61a2d2e7fb995fef1e61708c034d".into()),
        }
    );
    // 2.x: groups as written, hashes of every file, the marker alternatives' edges.
    let dir = case("poetry-multiple-packages-v2", "multiple-packages.v2.lock");
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    let find = |n: &str, v: &str| lock.packages.iter().position(|p| p.name == n && p.version == v).unwrap();
    let faker = &lock.packages[find("faker", "33.3.0")];
    assert_eq!(faker.groups, vec!["dev".to_owned(), "test".to_owned()]);
    assert_eq!(faker.lines, Some(LineSpan { start: 35, end: 49 }));
    assert_eq!(faker.checksums.len(), 2);
    assert!(faker.checksums.iter().all(|c| matches!(c, Checksum::Sha256(_))));
    // `Faker = ">=0.7.0"` in factory-boy names `faker` (PEP 503).
    assert!(lock.packages[find("factory-boy", "3.3.1")].dependencies.contains(&find("faker", "33.3.0")));
    // Both proto-plus versions depend on protobuf; redis on async-timeout behind a marker.
    for v in ["1.22.0", "1.23.0"] {
        assert!(lock.packages[find("proto-plus", v)].dependencies.contains(&find("protobuf", "4.25.5")));
    }
    assert!(lock.packages[find("redis", "5.2.1")].dependencies.contains(&find("async-timeout", "5.0.1")));
    assert_eq!(lock.packages[find("six", "1.17.0")].scope, Some(Scope::Required));
}

/// The corpus lockfiles: (directory, `[[package]]` count of SOURCES.md, lock-version).
fn corpus() -> Vec<(PathBuf, usize, &'static str)> {
    let Some(shared) = common::shared_dir() else { return Vec::new() };
    let pypi = shared.join("corpus/pypi");
    vec![(pypi.join("python-poetry__poetry"), 78, "2.1"), (pypi.join("python-poetry__poetry@a2683800c481"), 83, "1.1")]
}

#[test]
fn corpus_lockfiles_resolve_completely() {
    for (dir, count, version) in corpus() {
        let text = std::fs::read_to_string(dir.join("poetry.lock")).unwrap();
        assert!(text.contains(&format!("lock-version = \"{version}\"")));
        let resolution = common::conformance::resolve(&dir);
        let lock = only(&resolution);
        // The project itself (from pyproject.toml) is the root, a first-party package.
        let RootComponent::Package(root) = lock.root else { panic!("{}: root is the project", dir.display()) };
        assert_eq!(lock.packages[root].name, "poetry");
        assert!(lock.packages[root].first_party);
        let others: Vec<_> = lock.packages.iter().filter(|p| !p.first_party).collect();
        assert_eq!(others.len(), count, "{}", dir.display());
        assert_eq!(lock.packages.len(), count + 1);
        // Every package has its block, every registry package its hashes (1.1 from
        // `[metadata.files]`), and every package a scope.
        for p in &others {
            assert!(p.lines.is_some(), "{}", p.name);
            assert!(p.scope.is_some(), "{} has no scope", p.name);
            if p.source.is_default_registry() {
                assert!(!p.checksums.is_empty(), "{} {} has no hash", p.name, p.version);
                assert!(p.checksums.iter().all(|c| matches!(c, Checksum::Sha256(_))));
            }
        }
        // The scopes walked from pyproject.toml agree with the groups poetry computed and wrote
        // (`category` in 1.1): every edge, markers and extras included, is where poetry has it.
        for p in &others {
            let main = p.groups.iter().any(|g| g == "main");
            let want = if main { [Scope::Required, Scope::Optional] } else { [Scope::Excluded, Scope::Excluded] };
            assert!(want.contains(&p.scope.unwrap()), "{} {}: {:?} in {:?}", p.name, p.version, p.scope, p.groups);
        }
        let direct: BTreeSet<&str> = others.iter().filter(|p| p.direct).map(|p| p.name.as_str()).collect();
        for name in ["cleo", "dulwich", "pytest", "requests", "virtualenv"] {
            assert!(direct.contains(name), "{}: {name} is direct", dir.display());
        }
        let scope_of = |n: &str| others.iter().find(|p| p.name == n).and_then(|p| p.scope);
        assert_eq!(scope_of("requests"), Some(Scope::Required));
        assert_eq!(scope_of("pytest"), Some(Scope::Excluded));
        // 1.1: poetry-plugin-export depends on poetry, which is the project: an edge to the root.
        if version == "1.1" {
            let export = lock.packages.iter().position(|p| p.name == "poetry-plugin-export").unwrap();
            assert!(lock.packages[export].dependencies.contains(&root));
        }
    }
}

#[test]
fn corpus_sboms_are_valid_cyclonedx_with_sha256() {
    for (dir, count, _) in corpus() {
        let d = dir.to_str().unwrap();
        for spec in ["1.5", "1.6"] {
            let out = chainward(&["sbom", d, "--spec-version", spec]);
            assert!(out.status.success(), "{d}: {}", String::from_utf8_lossy(&out.stderr));
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{d} {spec}: {e:#?}"));
            let comps = doc["components"].as_array().unwrap();
            assert_eq!(comps.len(), count, "{d}");
            let hashed = comps
                .iter()
                .filter(|c| c["hashes"].as_array().is_some_and(|h| h.iter().any(|h| h["alg"] == "SHA-256")))
                .count();
            // Every registry package; poetry-core from git (2.1) has no file hashes.
            assert!(hashed >= count - 1, "{d}: {hashed} of {count} hashed");
            let refs: BTreeSet<&str> = comps.iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
            for dep in doc["dependencies"].as_array().unwrap() {
                for t in dep["dependsOn"].as_array().map(Vec::as_slice).unwrap_or_default() {
                    let t = t.as_str().unwrap();
                    assert!(refs.contains(t) || doc["metadata"]["component"]["bom-ref"] == t, "{d}: dangling {t}");
                }
            }
        }
    }
}

#[test]
fn the_fixture_has_groups_sources_markers_and_extras() {
    let resolution = common::conformance::resolve(&fixture());
    let lock = only(&resolution);
    assert_eq!(lock.path, "poetry.lock");
    let RootComponent::Package(root) = lock.root else { panic!("the project is the root") };
    let root_pkg = &lock.packages[root];
    assert_eq!((root_pkg.name.as_str(), root_pkg.version.as_str()), ("poetry-fixture", "0.3.0"));
    assert_eq!(root_pkg.source, PackageSource::Path { dir: ".".into() });
    assert_eq!(lock.packages.len(), 22, "21 [[package]] tables and the project");
    let find = |n: &str| lock.packages.iter().position(|p| p.name == n).unwrap_or_else(|| panic!("{n}"));
    let pkg = |n: &str| &lock.packages[find(n)];

    // A legacy source at a PyPI index is PyPI, index kept.
    assert_eq!(
        pkg("attrs").source,
        PackageSource::Registry { url: "https://pypi.org/simple".into(), sparse: false, default_registry: true }
    );
    assert!(pkg("attrs").source.is_default_registry());
    // A git source (the URL was a local repository when locking, rewritten: see the README).
    assert_eq!(
        pkg("minilib").source,
        PackageSource::Git {
            url: "https://example.com/minilib.git".into(),
            reference: Some(GitReference::Rev("main".into())),
            commit: Some("49e40ef6e84abd278ff43e948d66b3abfcef1f50".into()),
        }
    );
    assert!(pkg("minilib").checksums.is_empty());
    assert!(pkg("minilib").dependencies.contains(&find("six")));

    // Scopes from pyproject.toml: main required, the `socks` extra optional, the dev group and
    // the optional docs group excluded; groups as the lockfile writes them.
    for (name, scope, groups, direct) in [
        ("requests", Scope::Required, &["main"][..], true),
        ("urllib3", Scope::Required, &["main"][..], false),
        ("tomli", Scope::Required, &["dev", "main"][..], true),
        ("pysocks", Scope::Optional, &["main"][..], true),
        ("pytest", Scope::Excluded, &["dev"][..], true),
        ("pluggy", Scope::Excluded, &["dev"][..], false),
        ("markdown", Scope::Excluded, &["docs"][..], true),
        ("zipp", Scope::Excluded, &["docs"][..], false),
    ] {
        let p = pkg(name);
        assert_eq!(p.scope, Some(scope), "{name}");
        assert_eq!(p.groups, groups.iter().map(|g| (*g).to_owned()).collect::<Vec<_>>(), "{name}");
        assert_eq!(p.direct, direct, "{name}");
    }
    // Markers keep their edges: pytest -> tomli/exceptiongroup/colorama, markdown ->
    // importlib-metadata (python < 3.10), the project -> tomli (python < 3.11).
    for dep in ["tomli", "exceptiongroup", "colorama", "iniconfig", "pluggy"] {
        assert!(pkg("pytest").dependencies.contains(&find(dep)), "pytest -> {dep}");
    }
    assert!(pkg("markdown").dependencies.contains(&find("importlib-metadata")));
    assert!(lock.packages[root].dependencies.contains(&find("tomli")));
    // requests' `socks` extra is not requested by anyone: no requests -> pysocks edge.
    assert!(!pkg("requests").dependencies.contains(&find("pysocks")));
    // Every file's hash, sorted and deduplicated.
    let charset = pkg("charset-normalizer");
    assert!(charset.checksums.len() > 100);
    assert!(charset.checksums.windows(2).all(|w| w[0] != w[1]));
    // Spans: the whole block, from the header.
    let text = std::fs::read_to_string(fixture().join("poetry.lock")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for p in lock.packages.iter().filter(|p| !p.first_party) {
        let span = p.lines.unwrap();
        assert_eq!(lines[span.start - 1], "[[package]]", "{}", p.name);
        assert_eq!(lines[span.start], format!("name = \"{}\"", p.name));
        assert!(!lines[span.end - 1].trim().is_empty());
    }
}

#[test]
fn without_pyproject_the_lockfile_gives_the_scopes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture().join("poetry.lock"), dir.path().join("poetry.lock")).unwrap();
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    let RootComponent::Synthetic { name, depends_on } = &lock.root else { panic!("synthetic root") };
    assert_eq!(name, dir.path().file_name().unwrap().to_str().unwrap());
    assert!(!depends_on.is_empty());
    assert_eq!(lock.packages.len(), 21);
    let scope = |n: &str| lock.packages.iter().find(|p| p.name == n).unwrap().scope;
    assert_eq!(scope("requests"), Some(Scope::Required));
    assert_eq!(scope("pysocks"), Some(Scope::Optional), "optional = true, group main");
    assert_eq!(scope("pytest"), Some(Scope::Excluded));
    assert_eq!(scope("markdown"), Some(Scope::Excluded));
    assert!(lock.packages.iter().all(|p| !p.direct), "no project, no direct flags");
}

fn write(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

const PKG: &str = "[[package]]\nname = \"a\"\nversion = \"1.0\"\noptional = false\ngroups = [\"main\"]\n";

#[test]
fn bad_lockfiles_fail_the_run_naming_file_and_line() {
    let cases: Vec<(String, Option<usize>, &str)> = vec![
        (
            format!("{PKG}\n[metadata]\nlock-version = \"3.0\"\n"),
            Some(8),
            "unsupported poetry.lock lock-version version 3.0",
        ),
        ("[metadata]\nlock-version = 2\n".to_owned(), Some(2), "lock-version version 2"),
        ("[[package]]\nversion = \"1\"\n[metadata]\nlock-version = \"2.1\"\n".to_owned(), Some(1), "no `name`"),
        ("[[package]]\nname = \"a\"\n[metadata]\nlock-version = \"2.1\"\n".to_owned(), Some(2), "`a` has no `version`"),
        (
            format!("{PKG}files = [{{file = \"a.whl\", hash = \"sha256:xyz\"}}]\n[metadata]\nlock-version = \"2.1\"\n"),
            Some(1),
            "file hash",
        ),
        (format!("{PKG}\n{PKG}\n[metadata]\nlock-version = \"2.1\"\n"), Some(7), "duplicate package `a 1.0`"),
        (
            format!("{PKG}\n[package.source]\ntype = \"svn\"\nurl = \"x\"\n[metadata]\nlock-version = \"2.1\"\n"),
            Some(2),
            "unknown source type `svn`",
        ),
        (
            format!("{PKG}\n[package.dependencies]\nb = \"*\"\n[metadata]\nlock-version = \"2.1\"\n"),
            Some(8),
            "`a 1.0` depends on `b`",
        ),
        ("[[package]]\nname = [1]\n".to_owned(), Some(2), "invalid TOML"),
        ("\n  \n".to_owned(), None, "empty"),
    ];
    for (text, line, needle) in cases {
        let dir = write(&[("poetry.lock", &text)]);
        let resolution = common::conformance::resolve(dir.path());
        let error = resolution.errors.first().unwrap_or_else(|| panic!("no error for {text:?}"));
        assert_eq!((error.path.as_str(), error.line), ("poetry.lock", line), "{text:?}: {error}");
        assert!(error.to_string().contains(needle), "{text:?}: {error}");
        let out = chainward(&["sbom", dir.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{text:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let at = line.map_or_else(|| "poetry.lock".to_owned(), |l| format!("poetry.lock:{l}"));
        assert!(stderr.contains(&at), "{text:?}: {stderr}");
    }
}

#[test]
fn dependencies_with_markers_or_extras_that_are_not_locked_are_fine() {
    let text = format!(
        "{PKG}\n[package.dependencies]\nold = {{version = \"*\", markers = \"python_version < '3.0'\"}}\n\
         py = {{version = \"*\", python = \"<3\"}}\nopt = {{version = \"*\", optional = true}}\n\
         alt = [{{version = \"1\", markers = \"sys_platform == 'win32'\"}}, {{version = \"2\", markers = \"sys_platform != 'win32'\"}}]\n\n\
         [package.extras]\nx = [\"opt\"]\n\n[metadata]\nlock-version = \"2.1\"\n"
    );
    let dir = write(&[("poetry.lock", &text)]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    assert!(lock.packages[0].dependencies.is_empty());
    // A requested extra makes its optional dependency an edge; an array of alternatives pinning
    // two locked versions points at each.
    let text = format!(
        "{PKG}\n[package.dependencies]\nb = {{version = \">=1\", extras = [\"x\"]}}\n\n\
         [[package]]\nname = \"b\"\nversion = \"1.0\"\ngroups = [\"main\"]\n\n[package.dependencies]\nc = {{version = \"*\", optional = true}}\n\
         d = [{{version = \"1\", markers = \"sys_platform == 'win32'\"}}, {{version = \"2\", markers = \"sys_platform != 'win32'\"}}]\n\n\
         [package.extras]\nx = [\"C (>=1)\"]\n\n[[package]]\nname = \"C\"\nversion = \"1.0\"\ngroups = [\"main\"]\n\n\
         [[package]]\nname = \"d\"\nversion = \"1\"\ngroups = [\"main\"]\n\n[[package]]\nname = \"d\"\nversion = \"2\"\ngroups = [\"main\"]\n\n\
         [metadata]\nlock-version = \"2.1\"\n"
    );
    let dir = write(&[("poetry.lock", &text)]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    assert_eq!(lock.packages[0].dependencies, [1].into());
    assert_eq!(lock.packages[1].dependencies, [2, 3, 4].into());
}

#[test]
fn lock_version_1_hashes_come_from_metadata_files_per_version() {
    let sha = |c: char| c.to_string().repeat(64);
    let text = format!(
        "[[package]]\nname = \"Foo_Bar\"\nversion = \"1.0\"\ncategory = \"main\"\noptional = false\n\n\
         [[package]]\nname = \"foo-bar\"\nversion = \"2.0\"\ncategory = \"dev\"\noptional = false\n\n\
         [metadata]\nlock-version = \"1.1\"\n\n[metadata.files]\nfoo-bar = [\n\
         {{file = \"Foo_Bar-1.0-py3-none-any.whl\", hash = \"sha256:{}\"}},\n\
         {{file = \"foo-bar-2.0.tar.gz\", hash = \"sha256:{}\"}},\n]\n",
        sha('a'),
        sha('b')
    );
    let dir = write(&[("poetry.lock", &text)]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    assert_eq!(lock.packages[0].checksums, vec![Checksum::Sha256(sha('a'))]);
    assert_eq!(lock.packages[1].checksums, vec![Checksum::Sha256(sha('b'))]);
    assert_eq!(lock.packages[0].groups, vec!["main".to_owned()]);
    assert_eq!(lock.packages[1].scope, Some(Scope::Excluded));
    assert_eq!(lock.packages[0].lines, Some(LineSpan { start: 1, end: 5 }));
}

const INTERESTING: &[&[u8]] = &[
    b"[[package]]\n",
    b"[package.dependencies]\n",
    b"[package.source]\ntype = \"git\"\n",
    b"[metadata]\nlock-version = \"9.0\"\n",
    b"name = \"\"\n",
    b"x = {version = \"1\", optional = true}\n",
    b"files = [{file = \"x\", hash = \"sha256:00\"}]\n",
    b"\"\"\"\n",
];

/// `input` mutated, with this format's tokens.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    common::mutate::mutate(rng, input, INTERESTING)
}

#[test]
fn mutated_lockfiles_never_panic_and_errors_name_the_file() {
    let pyproject = std::fs::read(fixture().join("pyproject.toml")).unwrap();
    let mut seeds = vec![std::fs::read(fixture().join("poetry.lock")).unwrap(), PKG.as_bytes().to_vec()];
    if let Some(shared) = common::shared_dir() {
        for case in common::conformance::cases("poetry.lock") {
            seeds.push(std::fs::read(&case.fixture).unwrap());
        }
        seeds.push(std::fs::read(shared.join("corpus/pypi/python-poetry__poetry@a2683800c481/poetry.lock")).unwrap());
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let resolver = chainward::resolve::poetry::PoetryLockResolver;
    let mut parsed = 0;
    for round in 0..400 {
        let seed = &seeds[round % seeds.len()];
        let input = mutate(&mut rng, seed);
        // Every other round the project's pyproject.toml is mutated too.
        let manifest = if round % 2 == 0 { pyproject.clone() } else { mutate(&mut rng, &pyproject) };
        let source = chainward::fuzzing::MemorySource::new([("pyproject.toml".to_owned(), manifest)]);
        let result = std::panic::catch_unwind(|| {
            resolver.resolve(&source, "poetry.lock", &input, &chainward::resolve::ResolveOptions::default())
        });
        let Ok(result) = result else { panic!("round {round}: panicked on:\n{}", String::from_utf8_lossy(&input)) };
        match result {
            Ok(lock) => {
                parsed += 1;
                let n = lock.packages.len();
                assert!(lock.packages.iter().all(|p| p.dependencies.iter().all(|&j| j < n)), "round {round}");
                for e in &lock.errors {
                    assert!(e.path == "poetry.lock" || e.path == "pyproject.toml", "round {round}: {e}");
                }
            }
            Err(e) => assert_eq!(e.path, "poetry.lock", "round {round}: {e}"),
        }
    }
    assert!(parsed > 20, "only {parsed} mutated inputs parsed");
}

/// `chainward scan DIR --offline` against `../shared/advisory-db/osv/PyPI.zip`: (exit code, findings).
fn scan_pypi(dir: &Path) -> Option<(i32, Vec<Value>)> {
    let db = common::shared_dir()?.join("advisory-db/osv/PyPI.zip");
    let out =
        chainward(&["scan", dir.to_str().unwrap(), "--offline", "--db", db.to_str().unwrap(), "--format", "json"]);
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    Some((out.status.code().unwrap(), doc["findings"].as_array().unwrap().clone()))
}

#[test]
fn the_corpus_lockfile_finds_the_pypi_advisories_at_their_blocks() {
    let Some(shared) = common::shared_dir() else { return };
    let dir = shared.join("corpus/pypi/python-poetry__poetry@a2683800c481");
    let (code, findings) = scan_pypi(&dir).unwrap();
    assert_eq!(code, 1);
    let resolution = common::conformance::resolve(&dir);
    let lock = only(&resolution);
    for (name, version, id) in [
        ("idna", "3.4", "PYSEC-2024-60"),
        ("requests", "2.28.1", "PYSEC-2023-74"),
        ("certifi", "2022.9.24", "PYSEC-2023-135"),
    ] {
        let f = findings
            .iter()
            .find(|f| f["id"] == id && f["package"]["name"] == name)
            .unwrap_or_else(|| panic!("{id} for {name}"));
        assert_eq!(f["package"]["version"], version);
        assert_eq!(f["package"]["purl"], format!("pkg:pypi/{name}@{version}"));
        let span = lock.packages.iter().find(|p| p.name == name).unwrap().lines.unwrap();
        assert_eq!(f["location"]["path"], "poetry.lock");
        assert_eq!(
            (f["location"]["line"].as_u64(), f["location"]["end_line"].as_u64()),
            (Some(span.start as u64), Some(span.end as u64))
        );
    }
}

#[test]
fn a_mirror_package_is_matched_and_a_git_one_is_not() {
    if common::shared_dir().is_none() {
        return;
    }
    let lock = "[[package]]\nname = \"requests\"\nversion = \"2.28.1\"\noptional = false\ngroups = [\"main\"]\nfiles = []\n\n\
                [package.source]\ntype = \"legacy\"\nurl = \"https://mirrors.aliyun.com/pypi/simple/\"\nreference = \"mirror\"\n\n\
                [[package]]\nname = \"idna\"\nversion = \"3.4\"\noptional = false\ngroups = [\"main\"]\nfiles = []\n\n\
                [package.source]\ntype = \"git\"\nurl = \"https://example.com/idna.git\"\nreference = \"v3.4\"\n\
                resolved_reference = \"0123456789abcdef0123456789abcdef01234567\"\n\n[metadata]\nlock-version = \"2.1\"\n";
    let dir = write(&[("poetry.lock", lock)]);
    let (code, findings) = scan_pypi(dir.path()).unwrap();
    assert_eq!(code, 1);
    assert!(findings.iter().any(|f| f["package"]["name"] == "requests" && f["id"] == "PYSEC-2023-74"));
    assert!(findings.iter().all(|f| f["package"]["name"] != "idna"), "a git package is not the PyPI release");
    // A private index is not PyPI: not matched, and said.
    let private = lock.replace("https://mirrors.aliyun.com/pypi/simple/", "https://pkgs.example.com/simple");
    let dir = write(&[("poetry.lock", &private)]);
    let (code, findings) = scan_pypi(dir.path()).unwrap();
    assert_eq!(code, 0);
    assert!(findings.is_empty());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["sbom", "-o", "/dev/null"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 package(s) come from the index `https://pkgs.example.com/simple`"), "{stderr}");
}

#[test]
fn direct_dependencies_the_lockfile_does_not_lock_are_warned_about_unless_conditional() {
    let pyproject = "[project]\nname = \"app\"\nversion = \"1\"\n\
                     dependencies = [\"a\", \"gone\", \"win ; sys_platform == 'win32'\", \"app[x]\"]\n\
                     [tool.poetry.group.dev.dependencies]\nold = {version = \"*\", python = \"<3\"}\n";
    let dir = write(&[
        ("poetry.lock", &format!("{PKG}\n[metadata]\nlock-version = \"2.1\"\n")),
        ("pyproject.toml", pyproject),
    ]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    let warnings: Vec<String> = resolution.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("`gone`") && warnings[0].contains("poetry.lock does not lock"), "{warnings:?}");
    // Named at its declaration in pyproject.toml.
    let warning = &resolution.warnings[0];
    assert_eq!((warning.path.as_str(), warning.line), ("pyproject.toml", Some(4)), "{warning}");
    assert!(lock.packages[0].direct);
    assert_eq!(lock.packages[0].scope, Some(Scope::Required));
    // A malformed pyproject.toml: the packages are complete, the run says what it could not read.
    let dir = write(&[
        ("poetry.lock", &format!("{PKG}\n[metadata]\nlock-version = \"2.1\"\n")),
        ("pyproject.toml", "[project\n"),
    ]);
    let resolution = common::conformance::resolve(dir.path());
    assert_eq!(resolution.resolved.len(), 1);
    assert_eq!(resolution.resolved[0].packages.len(), 1);
    let error = &resolution.errors[0];
    assert_eq!((error.path.as_str(), error.line), ("pyproject.toml", Some(1)), "{error}");
    assert_eq!(chainward(&["sbom", dir.path().to_str().unwrap()]).status.code(), Some(2));
    // Reading the lockfile only (what `scan --base` does at the base revision), the project is
    // a best effort: no error.
    let source = chainward::fuzzing::MemorySource::new([("pyproject.toml".to_owned(), b"[project\n".to_vec())]);
    let options = chainward::resolve::ResolveOptions { lockfile_only: true, ..Default::default() };
    let lock = format!("{PKG}\n[metadata]\nlock-version = \"2.1\"\n");
    let resolved = chainward::resolve::poetry::PoetryLockResolver
        .resolve(&source, "poetry.lock", lock.as_bytes(), &options)
        .unwrap();
    assert!(resolved.errors.is_empty());
}

/// The fuzz seeds of `fuzz/corpus/poetry_lock/` (the lockfile, NUL, the pyproject.toml beside it) as
/// the fuzz target reads them: both with and without the project, every edge and span in range.
#[test]
fn the_fuzz_seeds_resolve_within_bounds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/poetry_lock");
    let mut seeds = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let mut parts = data.split(|&b| b == 0);
        let lock = parts.next().unwrap_or_default();
        let mut files = vec![("ws/poetry.lock".to_owned(), lock.to_vec())];
        if let Some(manifest) = parts.next() {
            files.push(("ws/pyproject.toml".to_owned(), manifest.to_vec()));
        }
        let source = chainward::fuzzing::MemorySource::new(files);
        let lines = lock.split(|&b| b == b'\n').count();
        for lockfile_only in [true, false] {
            let options = chainward::resolve::ResolveOptions { lockfile_only, ..Default::default() };
            let Ok(resolved) =
                chainward::resolve::poetry::PoetryLockResolver.resolve(&source, "ws/poetry.lock", lock, &options)
            else {
                continue;
            };
            let n = resolved.packages.len();
            for p in &resolved.packages {
                assert!(p.dependencies.iter().all(|&d| d < n));
                assert!(p.lines.is_none_or(|s| 1 <= s.start && s.start <= s.end && s.end <= lines), "{:?}", p.lines);
            }
            match &resolved.root {
                RootComponent::Package(i) => assert!(*i < n),
                RootComponent::Synthetic { depends_on, .. } => assert!(depends_on.iter().all(|&d| d < n)),
            }
        }
        seeds += 1;
    }
    assert!(seeds >= 4);
}

/// A private index that replaces PyPI: `[[tool.poetry.source]]`s that disable PyPI (a
/// `primary` source, one without a priority, a legacy `default = true`; none named `PyPI`) make
/// poetry install a package without `[package.source]` from the highest-priority source.
#[test]
fn sources_that_disable_pypi_are_the_index_of_unsourced_packages() {
    let corp = PackageSource::Registry {
        url: "https://pkgs.corp.example/simple".into(),
        sparse: false,
        default_registry: false,
    };
    let pypi = PackageSource::default_registry(Ecosystem::PyPI);
    let source = |extra: &str| {
        format!(
            "[[tool.poetry.source]]\nname = \"corp\"\nurl = \"https://user:token@pkgs.corp.example/simple\"\n{extra}"
        )
    };
    let pypi_explicit = "[[tool.poetry.source]]\nname = \"PyPI\"\npriority = \"primary\"\n";
    let cases: Vec<(String, &PackageSource)> = vec![
        (source("priority = \"primary\"\n"), &corp),
        (source(""), &corp),
        (source("default = true\n"), &corp),
        (source("priority = \"default\"\n"), &corp),
        (format!("{}{}", source("priority = \"supplemental\"\n"), source("priority = \"primary\"\n")), &corp),
        (source("priority = \"supplemental\"\n"), &pypi),
        (source("priority = \"explicit\"\n"), &pypi),
        (source("secondary = true\n"), &pypi),
        (format!("{}{pypi_explicit}", source("priority = \"primary\"\n")), &pypi),
        (String::new(), &pypi),
    ];
    let lock = format!(
        "{PKG}\n[[package]]\nname = \"b\"\nversion = \"2.0\"\noptional = false\ngroups = [\"main\"]\n\n\
         [package.source]\ntype = \"legacy\"\nurl = \"https://pypi.org/simple\"\nreference = \"pypi-mirror\"\n\n\
         [metadata]\nlock-version = \"2.1\"\n"
    );
    for (sources, want) in cases {
        let pyproject = format!("[tool.poetry]\nname = \"app\"\nversion = \"1\"\n\n{sources}");
        let dir = write(&[("poetry.lock", &lock), ("pyproject.toml", &pyproject)]);
        let resolution = common::conformance::resolve(dir.path());
        let resolved = only(&resolution);
        assert_eq!(&resolved.packages[0].source, want, "{sources}");
        // What the lockfile records keeps its own index.
        assert_eq!(resolved.packages[1].source, pypi, "{sources}");
        let warned = resolution.warnings.iter().any(|w| w.message.contains("`https://pkgs.corp.example/simple`"));
        assert_eq!(warned, *want == corp, "{sources}: {:?}", resolution.warnings);
    }
}

/// Dangling dependencies are read in linear time and each error has its key's line (a
/// reviewer's 20,000-key block took a minute when every error rescanned the block).
#[test]
fn many_dangling_dependencies_each_have_their_line() {
    let n = 3000;
    let mut text = format!("{PKG}\n[package.dependencies]\n");
    for i in 0..n {
        if i % 2 == 0 {
            writeln!(text, "x{i} = \"*\"").unwrap();
        } else {
            writeln!(text, "\"y.{i}\" = {{version = \"*\"}}").unwrap();
        }
    }
    text.push_str("\n[metadata]\nlock-version = \"2.1\"\n");
    let dir = write(&[("poetry.lock", &text)]);
    let started = std::time::Instant::now();
    let resolution = common::conformance::resolve(dir.path());
    let elapsed = started.elapsed();
    assert_eq!(resolution.errors.len(), n);
    let lines: BTreeSet<usize> = resolution.errors.iter().filter_map(|e| e.line).collect();
    assert_eq!(lines, (8..8 + n).collect(), "one error per key, at its line");
    for e in &resolution.errors {
        let line = text.lines().nth(e.line.unwrap() - 1).unwrap();
        let ResolveErrorKind::DanglingDependency { dependency, .. } = &e.kind else { panic!("{e}") };
        assert!(line.starts_with(dependency.as_str()) || line.starts_with(&format!("\"{dependency}\"")), "{e}");
    }
    assert!(elapsed.as_secs() < 20, "{elapsed:?}");
}

/// Lock-version 1.x `[metadata.files]` of a name locked at many versions: each version gets
/// its own files, each file's name read once (a reviewer's 5,000 versions took half a minute).
#[test]
fn metadata_files_of_many_versions_are_grouped_once() {
    let n = 2000;
    let sha = |i: usize| format!("{i:064x}");
    let mut text = String::new();
    for i in 0..n {
        write!(text, "[[package]]\nname = \"a\"\nversion = \"1.{i}\"\ncategory = \"main\"\noptional = false\n\n")
            .unwrap();
    }
    text.push_str("[metadata]\nlock-version = \"1.1\"\n\n[metadata.files]\na = [\n");
    for i in 0..n {
        let file = if i % 2 == 0 { format!("a-1.{i}.tar.gz") } else { format!("A-1.{i}-py3-none-any.whl") };
        writeln!(text, "    {{file = \"{file}\", hash = \"sha256:{}\"}},", sha(i)).unwrap();
    }
    text.push_str("]\n");
    let dir = write(&[("poetry.lock", &text)]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    for (i, p) in lock.packages.iter().enumerate() {
        assert_eq!(p.checksums, vec![Checksum::Sha256(sha(i))], "{} {}", p.name, p.version);
    }
}
