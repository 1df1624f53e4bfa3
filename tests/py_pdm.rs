//! `pdm.lock`: the osv-scalibr conformance cases, the fixture of `testdata/python/pdm/app/`
//! (written by pdm 2.29.4 with `pdm lock -G :all`; see its README), extras variants, bad input
//! and mutations.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::mutate::Rng;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chainward::model::package::GitReference;
use chainward::model::{Checksum, Ecosystem, PackageSource, RootComponent, Scope};
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
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/python/pdm/app")
}

fn only(resolution: &chainward::resolve::Resolution) -> &Resolved {
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert_eq!(resolution.resolved.len(), 1);
    &resolution.resolved[0]
}

#[test]
fn conformance_cases_match_the_peer() {
    let cases = common::conformance::cases("pdm.lock");
    if common::shared_dir().is_none() {
        return;
    }
    assert_eq!(cases.len(), 5, "the five osv-scalibr pdm.lock cases");
    for case in cases {
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        if case.expects_error {
            assert!(resolution.resolved.is_empty(), "{}", case.name);
            let error = resolution.errors.first().unwrap_or_else(|| panic!("{}: no error", case.name));
            assert_eq!((error.path.as_str(), error.line), ("pdm.lock", Some(1)), "{}: {error}", case.name);
            assert!(matches!(error.kind, ResolveErrorKind::Syntax(_)), "{}: {error}", case.name);
            let out = chainward(&["sbom", dir.path().to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{}", case.name);
            assert!(String::from_utf8_lossy(&out.stderr).contains("pdm.lock:1"), "{}", case.name);
            continue;
        }
        let lock = only(&resolution);
        assert!(matches!(lock.root, RootComponent::Synthetic { .. }), "{}", case.name);
        for (e, matching) in common::conformance::check_python_lock(&case, lock) {
            // Scopes. Without a pyproject.toml, pdm.lock does not say whether a group other than
            // `default` is a dev group or an extra: we call every such group excluded. The peer
            // calls `dev` dev and any other group `optional` (`optional-included`): the `tmp`
            // group of pdm-optional-dependency is optional to the peer, excluded to us (a
            // deliberate difference; with the project's pyproject.toml it is optional here too).
            let want = if e.groups.is_empty() { Scope::Required } else { Scope::Excluded };
            assert!(matching.iter().all(|p| p.scope == Some(want)), "{}: {}", case.name, e.name);
        }
        let out = chainward(&["sbom", dir.path().to_str().unwrap()]);
        assert!(out.status.success(), "{}: {}", case.name, String::from_utf8_lossy(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{}: {e:#?}", case.name));
    }
}

#[test]
fn an_optional_group_is_optional_with_the_project() {
    let Some(shared) = common::shared_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        shared.join("conformance/osv-scalibr/pypi/pdm-optional-dependency/optional-dependency.toml"),
        dir.path().join("pdm.lock"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\"toml\"]\n[project.optional-dependencies]\ntmp = [\"pyroute2\"]\n",
    )
    .unwrap();
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    let scope = |n: &str| lock.packages.iter().find(|p| p.name == n).unwrap().scope;
    assert_eq!(scope("toml"), Some(Scope::Required));
    assert_eq!(scope("pyroute2"), Some(Scope::Optional));
    // pyroute2 -> win-inet-pton behind a marker: the edge is kept, the scope follows it.
    assert_eq!(scope("win-inet-pton"), Some(Scope::Optional));
    let RootComponent::Package(root) = lock.root else { panic!("the project is the root") };
    assert_eq!(lock.packages[root].name, "x");
}

#[test]
fn the_fixture_has_groups_git_markers_and_extras_variants() {
    let resolution = common::conformance::resolve(&fixture());
    let lock = only(&resolution);
    assert_eq!(lock.path, "pdm.lock");
    let text = std::fs::read_to_string(fixture().join("pdm.lock")).unwrap();
    assert!(text.contains("lock_version = \"4.5.1\""));
    // 20 `[[package]]` tables, one of them requests' `socks` variant: 19 packages and the project.
    assert_eq!(text.matches("[[package]]").count(), 20);
    assert_eq!(lock.packages.len(), 20);
    assert_eq!(lock.packages.iter().filter(|p| p.name == "requests").count(), 1, "the variant is not a component");
    let RootComponent::Package(root) = lock.root else { panic!("the project is the root") };
    assert_eq!((lock.packages[root].name.as_str(), lock.packages[root].version.as_str()), ("pdm-fixture", "0.2.0"));
    let find = |n: &str| lock.packages.iter().position(|p| p.name == n).unwrap_or_else(|| panic!("{n}"));
    let pkg = |n: &str| &lock.packages[find(n)];
    // The variant's dependency (PySocks) is requests' own edge; requests keeps its plain
    // entry's lines.
    assert!(pkg("requests").dependencies.contains(&find("pysocks")));
    let lines: Vec<&str> = text.lines().collect();
    let span = pkg("requests").lines.unwrap();
    assert_eq!(lines[span.start - 1], "[[package]]");
    assert_eq!(lines[span.start], "name = \"requests\"");
    assert!(!lines[span.start + 1..span.end].iter().any(|l| l.starts_with("extras")));
    assert_eq!(pkg("requests").checksums.len(), 2);
    assert!(pkg("requests").checksums.iter().all(|c| matches!(c, Checksum::Sha256(_))));
    // Git.
    assert_eq!(
        pkg("minilib").source,
        PackageSource::Git {
            url: "https://example.com/minilib.git".into(),
            reference: Some(GitReference::Rev("main".into())),
            commit: Some("49e40ef6e84abd278ff43e948d66b3abfcef1f50".into()),
        }
    );
    assert!(pkg("minilib").dependencies.contains(&find("six")));
    // Scopes from pyproject.toml, groups from the lockfile.
    for (name, scope, groups, direct) in [
        ("requests", Scope::Required, &["default"][..], true),
        ("pysocks", Scope::Required, &["default"][..], false),
        ("tomli", Scope::Required, &["default", "test"][..], true),
        ("pyyaml", Scope::Optional, &["yaml"][..], true),
        ("pytest", Scope::Excluded, &["test"][..], true),
        ("pluggy", Scope::Excluded, &["test"][..], false),
        ("pyflakes", Scope::Excluded, &["lint"][..], true),
    ] {
        let p = pkg(name);
        assert_eq!(p.scope, Some(scope), "{name}");
        assert_eq!(p.groups, groups.iter().map(|g| (*g).to_owned()).collect::<Vec<_>>(), "{name}");
        assert_eq!(p.direct, direct, "{name}");
    }
    // Markers keep edges: pytest -> exceptiongroup/colorama/tomli.
    for dep in ["exceptiongroup", "colorama", "tomli"] {
        assert!(pkg("pytest").dependencies.contains(&find(dep)), "pytest -> {dep}");
    }
    // The SBOM validates (1.5 and 1.6) with SHA-256 hashes.
    for spec in ["1.5", "1.6"] {
        let out = chainward(&["sbom", fixture().to_str().unwrap(), "--spec-version", spec]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{spec}: {e:#?}"));
        let comps = doc["components"].as_array().unwrap();
        assert_eq!(comps.len(), 19);
        let hashed = comps.iter().filter(|c| c["hashes"].as_array().is_some_and(|h| h[0]["alg"] == "SHA-256")).count();
        assert_eq!(hashed, 18, "every package but the git one");
    }
}

fn write(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

const HEAD: &str = "[metadata]\ngroups = [\"default\"]\nlock_version = \"4.4.1\"\n\n";

#[test]
fn local_and_url_packages_are_not_registry_packages() {
    let text = format!(
        "{HEAD}[[package]]\nname = \"a\"\nversion = \"1\"\npath = \"./libs/a\"\neditable = true\n\n\
         [[package]]\nname = \"b\"\nversion = \"2\"\nurl = \"https://example.com/b-2.tar.gz\"\n\n\
         [[package]]\nname = \"c\"\nversion = \"3\"\nurl = \"file:///${{PROJECT_ROOT}}/vendor/c\"\n"
    );
    let dir = write(&[("pdm.lock", &text)]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    assert_eq!(lock.packages[0].source, PackageSource::Path { dir: "libs/a".into() });
    assert_eq!(lock.packages[1].source, PackageSource::Tarball { url: "https://example.com/b-2.tar.gz".into() });
    assert_eq!(lock.packages[2].source, PackageSource::Path { dir: "vendor/c".into() });
    assert!(lock.packages.iter().all(|p| !p.source.is_default_registry()));
}

#[test]
fn bad_lockfiles_fail_the_run_naming_file_and_line() {
    let cases: Vec<(String, Option<usize>, &str)> = vec![
        ("[metadata]\nlock_version = \"5.0\"\n".to_owned(), Some(2), "unsupported pdm.lock lock_version version 5.0"),
        ("[metadata]\nlock_version = \"3.1\"\n".to_owned(), Some(2), "lock_version version 3.1"),
        ("[metadata]\ngroups = []\n".to_owned(), Some(1), "no `[metadata] lock_version`"),
        (format!("{HEAD}[[package]]\nversion = \"1\"\n"), Some(5), "no `name`"),
        (
            format!("{HEAD}[[package]]\nname = \"a\"\nversion = \"1\"\n\n[[package]]\nname = \"A\"\nversion = \"1\"\n"),
            Some(9),
            "duplicate package `A 1`",
        ),
        (
            format!(
                "{HEAD}[[package]]\nname = \"a\"\nversion = \"1\"\nfiles = [{{file = \"a.whl\", hash = \"sha256:1\"}}]\n"
            ),
            Some(6),
            "file hash",
        ),
        (
            format!("{HEAD}[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b>=1\"]\n"),
            Some(8),
            "`a 1` depends on `b>=1`",
        ),
        (
            format!("{HEAD}[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"-e .\"]\n"),
            Some(8),
            "not a PEP 508 requirement",
        ),
        (String::new(), None, "empty"),
    ];
    for (text, line, needle) in cases {
        let dir = write(&[("pdm.lock", &text)]);
        let resolution = common::conformance::resolve(dir.path());
        let error = resolution.errors.first().unwrap_or_else(|| panic!("no error for {text:?}"));
        assert_eq!((error.path.as_str(), error.line), ("pdm.lock", line), "{text:?}: {error}");
        assert!(error.to_string().contains(needle), "{text:?}: {error}");
        let out = chainward(&["sbom", dir.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{text:?}");
    }
    // A dependency behind a marker that pdm did not lock is fine.
    let text =
        format!("{HEAD}[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b>=1; python_version < '3'\"]\n");
    let dir = write(&[("pdm.lock", &text)]);
    assert!(only(&common::conformance::resolve(dir.path())).packages[0].dependencies.is_empty());
}

const INTERESTING: &[&[u8]] = &[
    b"[[package]]\n",
    b"extras = [\"x\"]\n",
    b"git = \"https://x\"\n",
    b"[metadata]\nlock_version = \"9.0\"\n",
    b"name = \"\"\n",
    b"dependencies = [\"a[b]; python_version < '3'\", \"!\"]\n",
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
    let mut seeds = vec![std::fs::read(fixture().join("pdm.lock")).unwrap(), HEAD.as_bytes().to_vec()];
    for case in common::conformance::cases("pdm.lock") {
        seeds.push(std::fs::read(&case.fixture).unwrap());
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let resolver = chainward::resolve::pdm::PdmLockResolver;
    let mut parsed = 0;
    for round in 0..400 {
        let seed = &seeds[round % seeds.len()];
        let input = mutate(&mut rng, seed);
        let manifest = if round % 2 == 0 { pyproject.clone() } else { mutate(&mut rng, &pyproject) };
        let source = chainward::fuzzing::MemorySource::new([("pyproject.toml".to_owned(), manifest)]);
        let result = std::panic::catch_unwind(|| {
            resolver.resolve(&source, "pdm.lock", &input, &chainward::resolve::ResolveOptions::default())
        });
        let Ok(result) = result else { panic!("round {round}: panicked on:\n{}", String::from_utf8_lossy(&input)) };
        match result {
            Ok(lock) => {
                parsed += 1;
                let n = lock.packages.len();
                assert!(lock.packages.iter().all(|p| p.dependencies.iter().all(|&j| j < n)), "round {round}");
                for e in &lock.errors {
                    assert!(e.path == "pdm.lock" || e.path == "pyproject.toml", "round {round}: {e}");
                }
            }
            Err(e) => assert_eq!(e.path, "pdm.lock", "round {round}: {e}"),
        }
    }
    assert!(parsed > 20, "only {parsed} mutated inputs parsed");
}

#[test]
fn pdm_packages_are_matched_against_pypi_advisories() {
    let Some(shared) = common::shared_dir() else { return };
    let db = shared.join("advisory-db/osv/PyPI.zip");
    let text = format!(
        "{HEAD}[[package]]\nname = \"requests\"\nversion = \"2.28.1\"\ngroups = [\"default\"]\n\n\
         [[package]]\nname = \"idna\"\nversion = \"3.4\"\ngit = \"https://example.com/idna.git\"\nrevision = \"0123456789abcdef0123456789abcdef01234567\"\ngroups = [\"default\"]\n"
    );
    let dir = write(&[("pdm.lock", &text)]);
    let out = chainward(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--offline",
        "--db",
        db.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let f = findings.iter().find(|f| f["id"] == "PYSEC-2023-74").expect("requests 2.28.1");
    assert_eq!((f["location"]["path"].as_str(), f["location"]["line"].as_u64()), (Some("pdm.lock"), Some(5)));
    assert!(findings.iter().all(|f| f["package"]["name"] != "idna"), "a git package is not the PyPI release");
}

#[test]
fn editable_members_and_the_project_itself_resolve() {
    let text = format!(
        "{HEAD}[[package]]\nname = \"sub-pkg\"\nversion = \"0.1\"\npath = \"./sub\"\neditable = true\ngroups = [\"default\"]\n\
         dependencies = [\"app[extra]\"]\n\n\
         [[package]]\nname = \"b\"\nversion = \"1\"\ngroups = [\"default\"]\ndependencies = [\"-e file:///${{PROJECT_ROOT}}/sub#egg=sub-pkg\"]\n"
    );
    let pyproject = "[project]\nname = \"App\"\nversion = \"1\"\ndependencies = [\"b\"]\n";
    let dir = write(&[("pdm.lock", &text), ("pyproject.toml", pyproject)]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    let RootComponent::Package(root) = lock.root else { panic!("root") };
    assert_eq!(lock.packages[0].source, PackageSource::Path { dir: "sub".into() });
    assert!(lock.packages[0].dependencies.contains(&root), "sub-pkg -> the project");
    assert!(lock.packages[1].dependencies.contains(&0), "b -> sub-pkg (editable)");
    assert_eq!(lock.packages[0].scope, Some(Scope::Required));
}

/// The fuzz seeds of `fuzz/corpus/pdm_lock/` (the lockfile, NUL, the pyproject.toml beside it) as
/// the fuzz target reads them: both with and without the project, every edge and span in range.
#[test]
fn the_fuzz_seeds_resolve_within_bounds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/pdm_lock");
    let mut seeds = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let mut parts = data.split(|&b| b == 0);
        let lock = parts.next().unwrap_or_default();
        let mut files = vec![("ws/pdm.lock".to_owned(), lock.to_vec())];
        if let Some(manifest) = parts.next() {
            files.push(("ws/pyproject.toml".to_owned(), manifest.to_vec()));
        }
        let source = chainward::fuzzing::MemorySource::new(files);
        let lines = lock.split(|&b| b == b'\n').count();
        for lockfile_only in [true, false] {
            let options = chainward::resolve::ResolveOptions { lockfile_only, ..Default::default() };
            let Ok(resolved) = chainward::resolve::pdm::PdmLockResolver.resolve(&source, "ws/pdm.lock", lock, &options)
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

/// A `[[tool.pdm.source]]` named `pypi` is pdm's default index: with another URL, the packages
/// the lockfile records without a source come from it, are not matched against PyPI advisories,
/// and the run says so (a reviewer's repro: requests 2.0.0 from a company index).
#[test]
fn a_source_named_pypi_with_another_url_replaces_pypi() {
    let lock = format!(
        "{HEAD}[[package]]\nname = \"requests\"\nversion = \"2.0.0\"\ngroups = [\"default\"]\n\
         files = [\n    {{file = \"requests-2.0.0-py2.py3-none-any.whl\", hash = \"sha256:{}\"}},\n]\n",
        "0".repeat(64)
    );
    let corp = PackageSource::Registry {
        url: "https://pkgs.corp.example/simple".into(),
        sparse: false,
        default_registry: false,
    };
    let pypi = PackageSource::default_registry(Ecosystem::PyPI);
    let project = "[project]\nname = \"app\"\nversion = \"0.1\"\ndependencies = [\"requests\"]\n\n";
    let cases = [
        ("[[tool.pdm.source]]\nname = \"pypi\"\nurl = \"https://${USER}:${TOKEN}@pkgs.corp.example/simple\"\n", &corp),
        (
            "[[tool.pdm.source]]\nname = \"pypi\"\nurl = \"https://pkgs.corp.example/simple\"\ntype = \"find_links\"\n",
            &corp,
        ),
        ("[[tool.pdm.source]]\nname = \"pypi\"\nurl = \"https://mirrors.aliyun.com/pypi/simple/\"\n", &pypi),
        // Another index besides PyPI: the lockfile does not say which served the package.
        ("[[tool.pdm.source]]\nname = \"corp\"\nurl = \"https://pkgs.corp.example/simple\"\n", &pypi),
        ("", &pypi),
    ];
    for (sources, want) in cases {
        let dir = write(&[("pdm.lock", &lock), ("pyproject.toml", &format!("{project}{sources}"))]);
        let resolution = common::conformance::resolve(dir.path());
        let resolved = only(&resolution);
        assert_eq!(&resolved.packages[0].source, want, "{sources}");
        let warned = resolution.warnings.iter().any(|w| w.message.contains("`https://pkgs.corp.example/simple`"));
        assert_eq!(warned, *want == corp, "{sources}: {:?}", resolution.warnings);
    }
    // The CLI: no PyPI advisory for a package of another index, and the warning on stderr.
    let dir = write(&[
        ("pdm.lock", &lock),
        (
            "pyproject.toml",
            &format!("{project}[[tool.pdm.source]]\nname = \"pypi\"\nurl = \"https://pkgs.corp.example/simple\"\n"),
        ),
    ]);
    let out = chainward(&["sbom", dir.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("come from the index `https://pkgs.corp.example/simple`"), "{stderr}");
}

/// pdm's `static_urls` strategy records each file's URL: a host that is not PyPI's is the
/// package's index (the declared source on that host, else the host itself); PyPI's hosts are
/// PyPI whatever the configuration says now.
#[test]
fn static_file_urls_name_the_index() {
    let hash = "0".repeat(64);
    let package = |name: &str, url: &str| {
        format!(
            "[[package]]\nname = \"{name}\"\nversion = \"1.0\"\ngroups = [\"default\"]\n\
             files = [\n    {{url = \"{url}/{name}-1.0-py3-none-any.whl\", hash = \"sha256:{hash}\"}},\n]\n\n"
        )
    };
    let lock = format!(
        "{HEAD}{}{}{}",
        package("a", "https://pkgs.corp.example/packages/ab/cd"),
        package("b", "https://other.example:8443/files"),
        package("c", "https://files.pythonhosted.org/packages/ab/cd"),
    );
    let pyproject = "[project]\nname = \"app\"\nversion = \"0.1\"\ndependencies = [\"a\", \"b\", \"c\"]\n\n\
                     [[tool.pdm.source]]\nname = \"pypi\"\nurl = \"https://pkgs.corp.example/simple\"\n";
    let dir = write(&[("pdm.lock", &lock), ("pyproject.toml", pyproject)]);
    let resolution = common::conformance::resolve(dir.path());
    let resolved = only(&resolution);
    let registry = |url: &str| PackageSource::Registry { url: url.into(), sparse: false, default_registry: false };
    assert_eq!(resolved.packages[0].source, registry("https://pkgs.corp.example/simple"));
    assert_eq!(resolved.packages[1].source, registry("https://other.example:8443"));
    assert_eq!(resolved.packages[2].source, PackageSource::default_registry(Ecosystem::PyPI));
    let warnings: Vec<&str> = resolution.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

/// Dangling dependencies are read in linear time and each error has its string's line (a
/// reviewer's 20,000 of them took two minutes when every error rescanned the block), an
/// extras variant's at the variant's line.
#[test]
fn many_dangling_dependencies_each_have_their_line() {
    let n = 3000;
    let mut text =
        format!("{HEAD}[[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"default\"]\ndependencies = [\n");
    for i in 0..n {
        writeln!(text, "    \"x{i}>=1\",").unwrap();
    }
    text.push_str(
        "]\n\n[[package]]\nname = \"a\"\nversion = \"1\"\nextras = [\"e\"]\ndependencies = [\"a==1\", \"late\"]\n",
    );
    let dir = write(&[("pdm.lock", &text)]);
    let started = std::time::Instant::now();
    let resolution = common::conformance::resolve(dir.path());
    let elapsed = started.elapsed();
    assert_eq!(resolution.errors.len(), n + 1);
    let lines: std::collections::BTreeSet<usize> = resolution.errors.iter().filter_map(|e| e.line).collect();
    assert_eq!(lines.len(), n + 1, "one error per string, at its line");
    for e in &resolution.errors {
        let line = text.lines().nth(e.line.unwrap() - 1).unwrap();
        let ResolveErrorKind::DanglingDependency { dependency, .. } = &e.kind else { panic!("{e}") };
        assert!(line.contains(&format!("\"{dependency}\"")), "{e}: {line}");
    }
    assert!(elapsed.as_secs() < 20, "{elapsed:?}");
}
