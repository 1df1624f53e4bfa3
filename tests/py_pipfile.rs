//! pipenv's `Pipfile.lock`: the osv-scalibr conformance cases (with chainward's deliberate
//! differences stated), the corpus locks of psf/requests-html and pypa/pipenv with their
//! `Pipfile`s, format versions, and mutation robustness.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::mutate::Rng;

use std::path::Path;
use std::process::Command;

use chainward::model::{DependencyKind, PackageSource, RootComponent, Scope};
use chainward::resolve::{ResolveErrorKind, ResolveOptions, Resolver as _};
use serde_json::Value;

/// `chainward ARGS`: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.args(args).args(common::no_registry(args));
    let out = cmd.env("SOURCE_DATE_EPOCH", "1700000000").output().expect("run chainward");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn conformance_cases_match_the_peer_with_our_stated_differences() {
    let cases = common::conformance::cases("Pipfile.lock");
    if cases.is_empty() {
        return;
    }
    assert_eq!(cases.len(), 7);
    for case in cases {
        let dir = case.materialize();
        let path = dir.path().to_str().unwrap();
        // Error cases: the not-JSON file, and (our choice, `empty-file-not-error` for the peer)
        // the empty file, which pipenv cannot load either.
        if case.expects_error || case.name == "pypi/pipfile-empty-file" {
            let (code, _, err) = run(&["sbom", path]);
            assert_eq!(code, 2, "{}: {err}", case.name);
            assert!(err.contains("Pipfile.lock"), "{}: {err}", case.name);
            continue;
        }
        let resolution = common::conformance::resolve(dir.path());
        assert!(resolution.errors.is_empty(), "{}: {:?}", case.name, resolution.errors);
        let r = &resolution.resolved[0];
        let mut want: Vec<(String, String)> =
            case.expected.iter().map(|e| (e.name.clone(), e.version.clone())).collect();
        if case.name == "pypi/pipfile-no-version" {
            // pipenv-git-deps-without-version-skipped: chainward lists the git packages (they are
            // installed), with no version, as git sources (not matched).
            want.push(("markupsafe".into(), String::new()));
            want.push(("itsdangerous".into(), String::new()));
            assert!(r.packages.iter().all(|p| matches!(p.source, PackageSource::Git { commit: Some(_), .. })));
        }
        // dedup-name-version-prod-wins: the same name@version in default and develop is one
        // package (with both groups, scope required), as the peer counts it.
        let got = common::conformance::multiset(r.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        let want_set = common::conformance::multiset(want.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        assert_eq!(got, want_set, "{}", case.name);
        for e in &case.expected {
            let p = r.packages.iter().find(|p| p.name == e.name && p.version == e.version).unwrap();
            if let Some(line) = e.line {
                assert_eq!(p.lines.map(|l| l.start), Some(line), "{}: {}", case.name, e.name);
            }
            // The peer's `dev` group is pipenv's `develop` category, as written.
            if e.groups == ["dev"] {
                assert_eq!(p.groups, ["develop"], "{}: {}", case.name, e.name);
                assert_eq!(p.scope, Some(Scope::Excluded));
                assert!(p.reached_by.contains(&DependencyKind::Dev));
            } else {
                assert!(p.groups.iter().any(|g| g == "default"), "{}: {} {:?}", case.name, e.name, p.groups);
                assert_eq!(p.scope, Some(Scope::Required));
            }
        }
        if case.name == "pypi/pipfile-multiple-packages" {
            let its = r.packages.iter().find(|p| p.name == "itsdangerous").unwrap();
            assert_eq!(its.groups, ["default", "develop"]);
            let markupsafe = r.packages.iter().find(|p| p.name == "markupsafe").unwrap();
            assert_eq!(markupsafe.checksums.len(), 40);
            assert_eq!(markupsafe.lines.map(|l| (l.start, l.end)), Some((32, 77)));
        }
        let (code, out, err) = run(&["sbom", path]);
        assert_eq!(code, 0, "{}: {err}", case.name);
        let doc: Value = serde_json::from_slice(&out).unwrap();
        common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{}: {e:#?}", case.name));
    }
}

#[test]
fn corpus_locks_have_every_entry_and_the_pipfile_gives_direct() {
    let Some(shared) = common::shared_dir() else { return };
    // (corpus dir, default + develop entries, unique packages, entries in both categories)
    for (corpus, entries, default, develop) in [("psf__requests-html", 91, 22, 69), ("pypa__pipenv", 110, 10, 100)] {
        let dir = tempfile::tempdir().unwrap();
        for f in ["Pipfile", "Pipfile.lock"] {
            std::fs::copy(shared.join("corpus/pypi").join(corpus).join(f), dir.path().join(f)).unwrap();
        }
        let resolution = common::conformance::resolve(dir.path());
        assert!(resolution.errors.is_empty(), "{corpus}: {:?}", resolution.errors);
        assert!(resolution.warnings.is_empty(), "{corpus}: {:?}", resolution.warnings);
        let r = &resolution.resolved[0];
        // Every entry of `default` and `develop` is listed (one package per name, version and
        // source: an entry in both categories is one package with both groups).
        let in_group = |g: &str| r.packages.iter().filter(|p| p.groups.iter().any(|x| x == g)).count();
        assert_eq!(in_group("default"), default, "{corpus}");
        assert_eq!(in_group("develop"), develop, "{corpus}");
        assert_eq!(r.packages.iter().map(|p| p.groups.len()).sum::<usize>(), entries, "{corpus}");
        // No edges in a Pipfile.lock: the root depends on the Pipfile's names.
        assert!(r.packages.iter().all(|p| p.dependencies.is_empty()));
        let RootComponent::Synthetic { depends_on, .. } = &r.root else { panic!("synthetic root") };
        let direct = r.packages.iter().filter(|p| p.direct).count();
        assert_eq!(depends_on.len(), direct);
        if corpus == "psf__requests-html" {
            // [packages] 8 + [dev-packages] 8 names, of which `e1839a8` (the project as an
            // editable path) is locked as `requests-html`: 15 found.
            assert_eq!(direct, 15);
            let own = r.packages.iter().find(|p| p.name == "requests-html").unwrap();
            assert!(matches!(&own.source, PackageSource::Path { dir } if dir == "."));
            assert!(own.first_party && own.version.is_empty() && own.unpinned.is_none());
        } else {
            // pytz of [packages] and the 26 names of [dev-packages], each the entry of its own
            // category (exceptiongroup and tomli have another version in `default`).
            assert_eq!(direct, 27);
            let pytz = r.packages.iter().find(|p| p.name == "pytz").unwrap();
            assert!(pytz.direct && pytz.scope == Some(Scope::Required));
            let eg: Vec<(&str, bool)> = r
                .packages
                .iter()
                .filter(|p| p.name == "exceptiongroup")
                .map(|p| (p.version.as_str(), p.direct))
                .collect();
            assert_eq!(eg, [("1.3.1", false), ("1.1.0", true)]);
        }
        assert!(r.packages.iter().filter(|p| !p.version.is_empty()).all(|p| p.source.is_default_registry()));
        for spec in ["1.5", "1.6"] {
            let (code, out, err) = run(&["sbom", dir.path().to_str().unwrap(), "--spec-version", spec]);
            assert_eq!(code, 0, "{err}");
            let doc: Value = serde_json::from_slice(&out).unwrap();
            common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{corpus} {spec}: {e:#?}"));
        }
    }
}

#[test]
fn other_spec_versions_and_broken_entries_are_errors_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Pipfile.lock");
    std::fs::write(&lock, "{\n  \"_meta\": {\"pipfile-spec\": 5},\n  \"default\": {}\n}\n").unwrap();
    let (code, _, err) = run(&["sbom", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("Pipfile.lock:2: unsupported Pipfile.lock pipfile-spec version 5 (chainward reads 6"),
        "{err}"
    );

    let tree = chainward::source::WorkTree::new(dir.path());
    let resolver = chainward::resolve::pipfile::PipfileLockResolver;
    let parse = |text: &str| resolver.resolve(&tree, "Pipfile.lock", text.as_bytes(), &ResolveOptions::default());
    let err = parse("{\"_meta\": {\"pipfile-spec\": 6},\n\"default\": {\n\"a\": {\"version\": 3}}}").unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(matches!(err.kind, ResolveErrorKind::Json(_)));
    // A hash chainward cannot read: an error of the file, the package still listed.
    let r = parse(
        "{\"_meta\": {\"pipfile-spec\": 6},\n\"default\": {\n\"a\": {\"version\": \"==1\", \"hashes\": [\"md5:00\"]}}}",
    )
    .unwrap();
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].line, Some(3));
    // A registry entry without a pinned version: unpinned, warned about.
    let r = parse("{\"_meta\": {\"pipfile-spec\": 6},\n\"default\": {\n\"a\": {\"version\": \"*\"}}}").unwrap();
    assert_eq!(r.packages[0].unpinned.as_deref(), Some("*"));
    assert_eq!(r.warnings[0].line, Some(3));
    // An unknown index name is an error.
    let r = parse("{\"_meta\": {\"pipfile-spec\": 6, \"sources\": []},\n\"default\": {\n\"a\": {\"version\": \"==1\", \"index\": \"x\"}}}").unwrap();
    assert_eq!(r.errors.len(), 1);
    // A malformed Pipfile beside the lock: an error, the lock still read.
    std::fs::write(dir.path().join("Pipfile"), "[packages\n").unwrap();
    std::fs::write(&lock, "{\"_meta\": {\"pipfile-spec\": 6}, \"default\": {\"a\": {\"version\": \"==1\"}}}").unwrap();
    let (code, _, err) = run(&["sbom", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("Pipfile:1"), "{err}");
}

#[test]
fn a_private_source_is_not_pypi() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Pipfile.lock"),
        r#"{"_meta": {"pipfile-spec": 6, "sources": [{"name": "corp", "url": "https://pypi.corp.example/simple", "verify_ssl": true}, {"name": "pypi", "url": "https://pypi.org/simple"}]},
"default": {"a": {"version": "==1.0"}, "b": {"version": "==2.0", "index": "pypi"}}}"#,
    )
    .unwrap();
    let resolution = common::conformance::resolve(dir.path());
    let r = &resolution.resolved[0];
    assert!(!r.packages[0].source.is_default_registry(), "no index: the first source");
    assert!(r.packages[1].source.is_default_registry());
    assert_eq!(resolution.warnings.len(), 1, "{:?}", resolution.warnings);
}

const INTERESTING: &[&[u8]] =
    &[b"{", b"}", b"[", b"]", b"\"", b",", b":", b"\"==1\"", b"null", b"\"git\": ", b"\n", b"\xff", b"7"];

/// `input` mutated, with this format's tokens.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    common::mutate::mutate(rng, input, INTERESTING)
}

#[test]
fn mutated_locks_never_panic_and_errors_name_the_file() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/pipfile_lock");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&fixture)
        .unwrap()
        .map(|e| {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            // The seed format: the lock, then NUL and the Pipfile.
            bytes.split(|&b| b == 0).next().unwrap().to_vec()
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let tree = chainward::source::WorkTree::new(dir.path());
    let resolver = chainward::resolve::pipfile::PipfileLockResolver;
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..600 {
        let input = mutate(&mut rng, &seeds[round % seeds.len()]);
        let result =
            std::panic::catch_unwind(|| resolver.resolve(&tree, "Pipfile.lock", &input, &ResolveOptions::default()));
        let Ok(result) = result else { panic!("round {round}: panicked on {:?}", String::from_utf8_lossy(&input)) };
        match result {
            Ok(r) => {
                assert!(r.errors.iter().all(|e| e.path == "Pipfile.lock"), "round {round}");
                assert!(r.packages.iter().all(|p| p.lines.is_some()));
            }
            Err(e) => assert_eq!(e.path, "Pipfile.lock", "round {round}"),
        }
    }
}

#[test]
fn a_pipenv_lock_finds_the_pypi_advisories() {
    // Written by pipenv 2026.10.3 from PyPI (testdata/python/pipfile/pipenv/README.md).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/python/pipfile/pipenv");
    let resolution = common::conformance::resolve(&dir);
    assert!(resolution.errors.is_empty() && resolution.warnings.is_empty(), "{:?}", resolution.warnings);
    let r = &resolution.resolved[0];
    assert_eq!(r.packages.len(), 12);
    let direct: Vec<&str> = r.packages.iter().filter(|p| p.direct).map(|p| p.name.as_str()).collect();
    assert_eq!(direct, ["flask", "jinja2", "requests", "pyyaml"]);
    let pyyaml = r.packages.iter().find(|p| p.name == "pyyaml").unwrap();
    assert_eq!((pyyaml.scope, pyyaml.groups.as_slice()), (Some(Scope::Excluded), &["develop".to_owned()][..]));
    let Some(shared) = common::shared_dir() else { return };
    let db = shared.join("advisory-db/osv/PyPI.zip");
    let (code, out, err) =
        run(&["scan", dir.to_str().unwrap(), "--offline", "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_slice(&out).unwrap();
    let mut found: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}@{} {}",
                f["package"]["name"].as_str().unwrap(),
                f["package"]["version"].as_str().unwrap(),
                f["id"].as_str().unwrap()
            )
        })
        .collect();
    found.sort();
    // What the records of PyPI.zip say for these versions (checked against the zip with pip's
    // own `packaging` when the fixture was made); the dev-only pyyaml is matched too.
    assert_eq!(
        found,
        [
            "flask@1.1.2 PYSEC-2023-62",
            "idna@2.10 PYSEC-2024-60",
            "jinja2@2.11.2 PYSEC-2021-66",
            "pyyaml@5.3 PYSEC-2020-96",
            "pyyaml@5.3 PYSEC-2021-142",
            "requests@2.25.0 PYSEC-2023-74",
        ]
    );
    // Lines: each finding at its package's key.
    let flask = report["findings"].as_array().unwrap().iter().find(|f| f["package"]["name"] == "flask").unwrap();
    let line = flask["location"]["line"].as_u64().unwrap();
    let text = std::fs::read_to_string(dir.join("Pipfile.lock")).unwrap();
    assert_eq!(text.lines().nth(usize::try_from(line).unwrap() - 1).unwrap().trim(), "\"flask\": {");
}
