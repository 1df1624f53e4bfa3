//! pip requirements files: the osv-scalibr conformance cases for `requirements.txt` (with
//! chainward's deliberate differences stated per case), the pip-compile files of the corpus, the
//! SBOM's incomplete composition and the scan's warning for an unpinned line, `--requirements
//! GLOB` and `requirements = [...]` of `chainward.toml` through the binary, includes
//! (constraints, loops, leaving the tree) and mutation robustness.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::mutate::Rng;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chainward::model::PackageSource;
use chainward::resolve::{ResolveOptions, Resolved, Resolver as _};
use serde_json::Value;

/// `chainward ARGS`: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.args(args).args(common::no_registry(args));
    let out = cmd.env("SOURCE_DATE_EPOCH", "1700000000").output().expect("run chainward");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Resolve every lockfile under `dir`, with extra `--requirements` patterns.
fn resolve(dir: &Path, requirements: &[&str]) -> chainward::resolve::Resolution {
    let tree = chainward::source::WorkTree::new(dir);
    let patterns: Vec<String> = requirements.iter().map(|s| (*s).to_owned()).collect();
    let excludes = chainward::discover::Excludes::new(&[]).unwrap().with_requirements(&patterns).unwrap();
    chainward::resolve::work_tree(&tree, &excludes, &ResolveOptions::default()).expect("a requirements file")
}

fn resolved<'a>(resolution: &'a chainward::resolve::Resolution, path: &str) -> &'a Resolved {
    resolution.resolved.iter().find(|r| r.path == path).unwrap_or_else(|| panic!("{path} not resolved"))
}

fn multiset<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<(String, String), usize> {
    common::conformance::multiset(pairs)
}

#[test]
fn conformance_cases_match_the_peer_with_our_stated_differences() {
    let cases = common::conformance::cases("requirements");
    if cases.is_empty() {
        return;
    }
    assert_eq!(cases.len(), 11);
    for case in cases {
        // The peer's tests read the fixture under its own name (includes name the others): keep
        // every name, and name the fixture with `--requirements`.
        let dir = tempfile::tempdir().unwrap();
        let from = case.fixture.parent().unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() != "expected.json" {
                std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
            }
        }
        let file = case.fixture.file_name().unwrap().to_str().unwrap().to_owned();
        let resolution = resolve(dir.path(), &[&file]);
        let r = resolved(&resolution, &file);

        // What the peer expects, changed where chainward decides otherwise.
        let mut want: Vec<(String, String)> =
            case.expected.iter().map(|e| (e.name.clone(), e.version.clone())).collect();
        let mut error_lines: Vec<usize> = Vec::new();
        let unpin = |want: &mut Vec<(String, String)>, name: &str| {
            want.iter_mut().filter(|(n, _)| n == name).for_each(|(_, v)| v.clear());
        };
        match case.name.as_str() {
            "pypi/requirements-per-req-options" => {
                // requirements-trailing-text-kept-in-version: `foo7==1.0 unexpected_text…` is not
                // a requirement pip accepts: an error, no package. `--hash=wrongformatbutok`
                // (line 7) and `--hash=` (line 24) are errors too (pip refuses them), the
                // packages still listed; `foo10==` and `foo15==` are errors (the peer drops them).
                want.retain(|(n, _)| n != "foo7");
                error_lines = vec![7, 13, 20, 24, 30];
            }
            "pypi/requirements-pip-example" => {
                // requirements-non-pin-version: `>=`, `~=` do not pin: version "" (unpinned).
                unpin(&mut want, "keyring");
                unpin(&mut want, "Mopidy-Dirble");
                // requirements-follows-includes: URL and wheel-path lines are packages (not
                // registry ones), and the missing `-c constraints.txt` is an error.
                want.push(("urllib3".into(), String::new()));
                want.push(("numpy".into(), "1.9.2".into()));
                want.push(("wxPython_Phoenix".into(), "3.0.3.dev1820+49a8884".into()));
                error_lines = vec![22];
            }
            "pypi/requirements-with-versions" => {
                for name in ["newspaper3k", "combination-._-.also_-._valid", "pkg"] {
                    unpin(&mut want, name);
                }
            }
            "pypi/requirements-env-var" => {
                // requirements-env-var-line-skipped: listed, unpinned, with a warning.
                want.push(("qwert".into(), String::new()));
            }
            "pypi/requirements-invalid-lines" => {
                // requirements-invalid-lines-skipped-not-error: errors, each at its line; the
                // `urllib3 @ URL` line is a valid (URL) requirement; `-foo==1.0` is `-f oo==1.0`
                // (find-links) to pip's option parser.
                want.push(("urllib3".into(), String::new()));
                error_lines = vec![1, 2, 3];
            }
            "pypi/requirements-include-loop" => {
                // pip refuses a file that includes itself; the peer stops quietly.
                error_lines = vec![2];
            }
            _ => {}
        }
        let got = multiset(r.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        let want_set = multiset(want.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        assert_eq!(got, want_set, "{}", case.name);

        // Lines, where the peer asserts them (included packages: the `-r` line).
        for e in case.expected.iter().filter(|e| e.line.is_some()) {
            if let Some(p) = r.packages.iter().find(|p| p.name == e.name) {
                assert_eq!(p.lines.map(|l| l.start), e.line, "{}: {}", case.name, e.name);
            }
        }
        let mut got_errors: Vec<usize> = resolution.errors.iter().filter_map(|e| e.line).collect();
        got_errors.sort_unstable();
        got_errors.dedup();
        assert_eq!(got_errors, error_lines, "{}: {:?}", case.name, resolution.errors);
        // Every error names its file.
        assert!(resolution.errors.iter().all(|e| !e.path.is_empty()));
        // Every unpinned package is warned about at its line, and never a registry pin.
        for p in r.packages.iter().filter(|p| p.unpinned.is_some()) {
            assert!(p.version.is_empty());
            assert!(
                resolution.warnings.iter().any(|w| w.message.contains(&format!("`{}", p.name)) && w.line.is_some()),
                "{}: no warning for {}",
                case.name,
                p.name
            );
        }
    }
}

/// Copy a corpus file (flattened with `__`) under its real path into `dir`.
fn materialize(dir: &Path, corpus: &str, real: &str) {
    let shared = common::shared_dir().unwrap();
    let target = dir.join(real);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(shared.join("corpus/pypi").join(corpus), target).unwrap();
}

#[test]
fn corpus_pip_compile_files_have_their_counts_hashes_and_edges() {
    if common::shared_dir().is_none() {
        return;
    }
    for (corpus, real, count, hashes) in [
        ("aquasecurity__trivy/docs__build__requirements.txt", "docs/build/requirements.txt", 39, 0),
        ("pallets__flask@165af0a090e2/requirements__dev.txt", "requirements/dev.txt", 54, 0),
        ("pypi__warehouse/requirements__main.txt", "requirements/main.txt", 184, 2089),
    ] {
        let dir = tempfile::tempdir().unwrap();
        materialize(dir.path(), corpus, real);
        let resolution = resolve(dir.path(), &[]);
        assert!(resolution.errors.is_empty(), "{corpus}: {:?}", resolution.errors);
        assert!(resolution.warnings.is_empty(), "{corpus}: {:?}", resolution.warnings);
        let r = resolved(&resolution, real);
        assert_eq!(r.packages.len(), count, "{corpus}");
        assert_eq!(r.packages.iter().map(|p| p.checksums.len()).sum::<usize>(), hashes, "{corpus}");
        assert!(r.packages.iter().all(|p| p.unpinned.is_none() && p.source.is_default_registry()));
        // `# via NAME` edges, `# via -r FILE` direct.
        let by_name = |n: &str| r.packages.iter().position(|p| p.name == n).unwrap_or_else(|| panic!("{n}"));
        let edges: usize = r.packages.iter().map(|p| p.dependencies.len()).sum();
        assert!(edges > 0, "{corpus}");
        match real {
            "docs/build/requirements.txt" => {
                assert!(r.packages[by_name("requests")].dependencies.contains(&by_name("certifi")));
                assert!(!r.packages[by_name("certifi")].direct);
                assert!(r.packages[by_name("mkdocs-material")].direct);
            }
            "requirements/dev.txt" => {
                assert!(r.packages[by_name("sphinx")].dependencies.contains(&by_name("alabaster")));
                assert!(r.packages[by_name("alabaster")].direct, "via -r docs.txt");
                assert!(!r.packages[by_name("cachetools")].direct, "via tox only");
            }
            _ => {
                assert!(r.packages[by_name("alembic")].direct);
                assert!(!r.packages[by_name("amqp")].direct);
                assert!(r.packages[by_name("kombu")].dependencies.contains(&by_name("amqp")));
                assert_eq!(r.packages[by_name("alembic")].lines.map(|l| (l.start, l.end)), Some((7, 9)));
            }
        }
        // The SBOM validates against CycloneDX 1.5 and 1.6.
        for spec in ["1.5", "1.6"] {
            let (code, out, err) = run(&["sbom", dir.path().to_str().unwrap(), "--spec-version", spec]);
            assert_eq!(code, 0, "{err}");
            let doc: Value = serde_json::from_slice(&out).unwrap();
            common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{corpus} {spec}: {e:#?}"));
            assert_eq!(doc["components"].as_array().unwrap().len(), count);
        }
    }
}

/// A tiny OSV database with one PyPI record (flask before 2.2.5).
fn pypi_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(
        db.join("PYSEC-TEST-1.json"),
        r#"{"id":"PYSEC-TEST-1","modified":"2024-01-01T00:00:00Z","summary":"test advisory","affected":[{"package":{"ecosystem":"PyPI","name":"Flask"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.2.5"}]}]}]}"#,
    )
    .unwrap();
    db
}

#[test]
fn an_unpinned_line_is_incomplete_in_the_sbom_and_a_warning_of_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("app");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("requirements.txt"), "Flask==2.0.0\n# comment\nrequests>=2  # unpinned\n").unwrap();
    let (code, out, err) = run(&["sbom", project.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("requirements.txt:3: `requests >=2` pins no version"), "{err}");
    let doc: Value = serde_json::from_slice(&out).unwrap();
    common::validate_cyclonedx(&doc, "1.6").unwrap();
    let incomplete: Vec<&Value> =
        doc["compositions"].as_array().unwrap().iter().filter(|c| c["aggregate"] == "incomplete").collect();
    assert_eq!(incomplete.len(), 1, "{doc:#}");
    assert!(incomplete[0]["dependencies"].as_array().unwrap().iter().any(|d| d == "pkg:pypi/requests"));

    let db = pypi_db(dir.path());
    let (code, out, err) =
        run(&["scan", project.to_str().unwrap(), "--offline", "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "the pinned flask is matched: {err}");
    assert!(err.contains("requirements.txt:3"), "the unpinned line is named: {err}");
    let report: Value = serde_json::from_slice(&out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["id"], "PYSEC-TEST-1");
    assert_eq!(findings[0]["location"]["line"], 1);
    // The report lists the unpinned line too.
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().starts_with("requirements.txt:3: `requests >=2` pins no version"))
    );
}

#[test]
fn requirements_globs_from_the_command_line_and_the_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    std::fs::create_dir_all(root.join("deps")).unwrap();
    std::fs::write(root.join("deps/prod.pip"), "flask==2.0.0\n").unwrap();
    let path = root.to_str().unwrap();
    // Not a name chainward reads by itself.
    let (code, _, err) = run(&["sbom", path]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no lockfile found"), "{err}");
    let (code, out, err) = run(&["sbom", path, "--requirements", "deps/*.pip"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["components"][0]["purl"], "pkg:pypi/flask@2.0.0");
    // A bad pattern is a usage error naming the option.
    let (code, _, err) = run(&["sbom", path, "--requirements", "a["]);
    assert_eq!(code, 2);
    assert!(err.contains("--requirements pattern `a[`"), "{err}");

    // `requirements = [...]` in chainward.toml: sbom and scan.
    std::fs::write(root.join("chainward.toml"), "requirements = [\"deps/*.pip\"]\n").unwrap();
    let (code, out, err) = run(&["sbom", path]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["components"][0]["purl"], "pkg:pypi/flask@2.0.0");
    let db = pypi_db(dir.path());
    let (code, out, err) = run(&["scan", path, "--offline", "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["findings"][0]["location"]["path"], "deps/prod.pip");
    // An invalid pattern in the file names the file and line.
    std::fs::write(root.join("chainward.toml"), "\nrequirements = [\"\"]\n").unwrap();
    let (code, _, err) = run(&["sbom", path]);
    assert_eq!(code, 2);
    assert!(err.contains("chainward.toml:2"), "{err}");
}

#[test]
fn includes_constraints_loops_and_leaving_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    std::fs::create_dir_all(root.join("requirements")).unwrap();
    std::fs::write(
        root.join("requirements/dev.txt"),
        "-r base.in\n-c ../constraints.txt\nflask\npytest==8.0.0 \\\n    --hash=sha256:2c2349112351b88699d8d4b6b075022c0808887cb7ad10069318a8b0bc88db44\n-e git+https://github.com/o/r.git@0123456789abcdef0123456789abcdef01234567#egg=r\n",
    )
    .unwrap();
    std::fs::write(root.join("requirements/base.in"), "requests==2.31.0\n").unwrap();
    std::fs::write(root.join("constraints.txt"), "flask==2.0.0\nwerkzeug==3.0.0\n").unwrap();
    let resolution = resolve(&root, &[]);
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let r = resolved(&resolution, "requirements/dev.txt");
    let got: Vec<(&str, &str)> = r.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
    // The constraint pins flask (required); werkzeug is only constrained: not installed, not listed.
    assert_eq!(got, [("requests", "2.31.0"), ("flask", "2.0.0"), ("pytest", "8.0.0"), ("r", "")]);
    assert_eq!(r.packages[0].lines.map(|l| l.start), Some(1), "included: the `-r` line");
    assert_eq!(r.packages[2].lines.map(|l| (l.start, l.end)), Some((4, 5)));
    assert_eq!(r.packages[2].checksums.len(), 1);
    assert!(matches!(&r.packages[3].source, PackageSource::Git { commit: Some(_), .. }));
    assert!(r.packages.iter().all(|p| p.unpinned.is_none()));
    // The git package is not matched, and the scan says so at its line.
    let w: Vec<String> = resolution.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        [
            "requirements/dev.txt:6: `r` (git `https://github.com/o/r.git`) is not a PyPI release: not checked against advisories"
        ]
    );

    // A loop: pip refuses it, so does chainward (exit 2, the file and line named).
    std::fs::write(root.join("requirements/base.in"), "requests==2.31.0\n-r dev.txt\n").unwrap();
    let (code, _, err) = run(&["sbom", root.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("requirements/base.in:2") && err.contains("recursively references itself"), "{err}");

    // An include leaving the scanned tree is an error for that file; others are still read.
    std::fs::write(root.join("requirements/base.in"), "-r ../../outside.txt\n").unwrap();
    std::fs::write(dir.path().join("outside.txt"), "evil==1\n").unwrap();
    std::fs::write(root.join("requirements.txt"), "six==1.16.0\n").unwrap();
    let (code, out, err) = run(&["sbom", root.to_str().unwrap(), "--allow-partial"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("requirements/base.in:1") && err.contains("outside the scanned tree"), "{err}");
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let purls: Vec<&str> = doc["components"].as_array().unwrap().iter().filter_map(|c| c["purl"].as_str()).collect();
    assert!(purls.contains(&"pkg:pypi/six@1.16.0") && !purls.iter().any(|p| p.contains("evil")), "{purls:?}");

    // A missing include.
    std::fs::write(root.join("requirements/base.in"), "-r missing.txt\n").unwrap();
    let (code, _, err) = run(&["sbom", root.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("requirements/base.in:1") && err.contains("missing.txt"), "{err}");
}

#[test]
fn index_urls_decide_what_is_pypi() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "--extra-index-url https://extra.example/simple\na==1\n")
        .unwrap();
    std::fs::write(dir.path().join("requirements-private.txt"), "-i https://pypi.corp.example/simple\nb==1\n").unwrap();
    let resolution = resolve(dir.path(), &[]);
    assert!(resolved(&resolution, "requirements.txt").packages[0].source.is_default_registry());
    let private = &resolved(&resolution, "requirements-private.txt").packages[0];
    assert!(!private.source.is_default_registry());
    assert!(resolution.warnings.iter().any(|w| w.path == "requirements-private.txt" && w.line == Some(1)));
}

const INTERESTING: &[&[u8]] = &[
    b"\\\n", b" #", b"-r ", b"-c ", b"--hash=", b"==", b"===", b"[", b"]", b";", b"@", b"${X}", b"-e ", b"\n", b"git+",
    b"\xff",
];

/// `input` mutated, with this format's tokens.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    common::mutate::mutate(rng, input, INTERESTING)
}

#[test]
fn mutated_requirements_files_never_panic_and_errors_name_the_file() {
    let seeds: Vec<Vec<u8>> = vec![
        b"a==1.0 \\\n  --hash=sha256:2c2349112351b88699d8d4b6b075022c0808887cb7ad10069318a8b0bc88db44\n    # via b\nb[x]==2 ; python_version > \"3\"\n-r inc.txt\n".to_vec(),
        b"-e git+https://h/o/r@v1#egg=r\nname @ https://h/x-1.0.tar.gz\n./local/pkg\n-c inc.txt\nc>=1\n".to_vec(),
        b"-i https://pypi.org/simple\n--extra-index-url=https://x\nd===1\ne==${V}\n".to_vec(),
    ];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inc.txt"), "z==1\n-r requirements.txt\n").unwrap();
    let tree = chainward::source::WorkTree::new(dir.path());
    let resolver = chainward::resolve::requirements::RequirementsResolver;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..600 {
        let input = mutate(&mut rng, &seeds[round % seeds.len()]);
        let result = std::panic::catch_unwind(|| {
            resolver.resolve(&tree, "requirements.txt", &input, &ResolveOptions::default())
        });
        let Ok(result) = result else { panic!("round {round}: panicked on {:?}", String::from_utf8_lossy(&input)) };
        match result {
            Ok(r) => {
                let n = r.packages.len();
                assert!(r.packages.iter().all(|p| p.dependencies.iter().all(|&j| j < n)));
                assert!(r.errors.iter().all(|e| !e.path.is_empty() && e.line.is_some()), "round {round}");
                assert!(r.packages.iter().all(|p| p.lines.is_some()));
            }
            Err(e) => assert_eq!(e.path, "requirements.txt"),
        }
    }
}

#[test]
fn line_style_annotations_a_bom_and_unknown_via_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        "\u{feff}click==8.1.7  # via flask\nflask==3.0.0  # via -r requirements.in\nitsdangerous==2.2.0\n    # via\n    #   flask\n    #   gone\n\n# The following packages are considered to be unsafe in a requirements file:\n# setuptools\n",
    )
    .unwrap();
    let resolution = resolve(dir.path(), &[]);
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let r = resolved(&resolution, "requirements.txt");
    let names: Vec<&str> = r.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["click", "flask", "itsdangerous"]);
    assert_eq!(r.packages[1].dependencies.iter().copied().collect::<Vec<_>>(), [0, 2]);
    assert_eq!(r.packages.iter().map(|p| p.direct).collect::<Vec<_>>(), [false, true, false]);
    // `gone` is not in the file: a warning at its line, no edge (the unsafe-packages note is
    // not a `# via` item).
    let w: Vec<String> = resolution.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with("requirements.txt:6: `# via gone`"), "{w:?}");
}

/// `chainward scan DIR` against the shared PyPI advisories: (package@version, advisory id) pairs.
fn pypi_findings(dir: &Path) -> Option<Vec<(String, String)>> {
    let db = common::shared_dir()?.join("advisory-db/osv/PyPI.zip");
    let (code, out, err) =
        run(&["scan", dir.to_str().unwrap(), "--offline", "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_slice(&out).unwrap();
    let mut found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["package"];
            (
                format!("{}@{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()),
                f["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    Some(found)
}

#[test]
fn a_pip_compile_file_finds_the_pypi_advisories() {
    // Written by pip-compile 7.6.2 from PyPI (testdata/python/requirements/pip-compile/README.md).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/python/requirements/pip-compile");
    let resolution = resolve(&dir, &[]);
    assert!(resolution.errors.is_empty() && resolution.warnings.is_empty(), "{:?}", resolution.warnings);
    let r = resolved(&resolution, "requirements/main.txt");
    assert_eq!(r.packages.len(), 11);
    assert!(r.packages.iter().all(|p| !p.checksums.is_empty()));
    let direct: Vec<&str> = r.packages.iter().filter(|p| p.direct).map(|p| p.name.as_str()).collect();
    assert_eq!(direct, ["flask", "jinja2", "requests"]);
    let Some(found) = pypi_findings(&dir) else { return };
    // What the records of PyPI.zip say for these versions (checked against the zip with
    // pip's own `packaging` when the fixture was made).
    let want = [
        ("flask@1.1.2", "PYSEC-2023-62"),
        ("idna@2.10", "PYSEC-2024-60"),
        ("jinja2@2.11.2", "PYSEC-2021-66"),
        ("requests@2.25.0", "PYSEC-2023-74"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(p, i)| ((*p).to_owned(), (*i).to_owned())).collect();
    assert_eq!(found, want);
}

#[test]
fn an_editable_line_is_that_requirement_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "-e ./pkg -r missing.txt\n-e .\n").unwrap();
    let resolution = resolve(dir.path(), &[]);
    // pip applies no other option of a `-e` line: `missing.txt` is not read (no error).
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let r = resolved(&resolution, "requirements.txt");
    let got: Vec<(&str, bool)> = r.packages.iter().map(|p| (p.name.as_str(), p.first_party)).collect();
    let root = dir.path().canonicalize().unwrap().file_name().unwrap().to_str().unwrap().to_owned();
    assert_eq!(got, [("pkg", true), (root.as_str(), true)]);
    assert!(matches!(&r.packages[0].source, PackageSource::Path { dir } if dir == "pkg"));
    assert!(r.packages.iter().all(|p| p.purl().is_none() && p.unpinned.is_none()));
    let w: Vec<String> = resolution.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with("requirements.txt:1: `--requirement` beside `-e`"), "{w:?}");
    // Local project directories are first-party code (as Cargo path crates): no "not checked" word.
}

#[test]
fn includes_are_read_from_the_revision_in_diff_mode() {
    let repo = common::GitRepo::new();
    repo.write("requirements.txt", "-r requirements/base.in\nclick==8.1.7\n");
    repo.write("requirements/base.in", "flask==2.0.0\n");
    let base = repo.commit("base");
    // The work tree bumps flask in the included file only.
    repo.write("requirements/base.in", "flask==2.2.5\n");
    let db = pypi_db(repo.path.parent().unwrap_or(&repo.path));
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .current_dir(&repo.path)
        .args(["scan", ".", "--base", &base, "--offline", "--no-registry", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // The base revision's flask 2.0.0 was vulnerable, the head's 2.2.5 is not: nothing new.
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let updated = report["changes"]["updated"].as_array().unwrap();
    assert_eq!(updated.len(), 1, "{report:#}");
    assert_eq!(updated[0]["name"], "flask");
    assert_eq!(updated[0]["path"], "requirements.txt");
    assert_eq!(updated[0]["previous"], "2.0.0");
    assert_eq!(updated[0]["version"], "2.2.5");
    assert_eq!(updated[0]["line"], 1, "the `-r` line");
}

#[test]
fn sbom_and_scan_read_the_same_files_of_the_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    std::fs::create_dir_all(root.join("old")).unwrap();
    std::fs::write(root.join("requirements.txt"), "six==1.16.0\n").unwrap();
    std::fs::write(root.join("old/requirements.txt"), "flask==2.0.0\n").unwrap();
    std::fs::write(root.join("chainward.toml"), "exclude = [\"old\"]\n").unwrap();
    let (code, out, err) = run(&["sbom", root.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let purls: Vec<&str> = doc["components"].as_array().unwrap().iter().filter_map(|c| c["purl"].as_str()).collect();
    assert_eq!(purls, ["pkg:pypi/six@1.16.0"]);
    let db = pypi_db(dir.path());
    let (code, out, err) =
        run(&["scan", root.to_str().unwrap(), "--offline", "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["summary"]["packages"], 1);
}

/// A package's name, version and line span.
type Row<'a> = (&'a str, &'a str, Option<(usize, usize)>);

#[test]
fn lines_split_where_pip_splits_them_numbered_as_an_editor_numbers_them() {
    // pip reads the file with `str.splitlines`: a form feed, a lone carriage return, U+2028 and
    // the other separators end a line too, though an editor shows one line.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        "requests==2.0.0\n# pinned for compat\x0cdjango==1.2\n# see ticket\rurllib3==1.0\r\nsix==1.16.0\x0c\n# x\u{2028}idna==2.0 \\\x0b--hash=sha256:2c2349112351b88699d8d4b6b075022c0808887cb7ad10069318a8b0bc88db44\n",
    )
    .unwrap();
    let resolution = resolve(dir.path(), &[]);
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let r = resolved(&resolution, "requirements.txt");
    let got: Vec<Row<'_>> =
        r.packages.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.lines.map(|l| (l.start, l.end)))).collect();
    assert_eq!(
        got,
        [
            ("requests", "2.0.0", Some((1, 1))),
            ("django", "1.2", Some((2, 2))),
            ("urllib3", "1.0", Some((3, 3))),
            ("six", "1.16.0", Some((4, 4))),
            ("idna", "2.0", Some((5, 5))),
        ]
    );
    assert!(r.packages.iter().all(|p| p.source.is_default_registry()));
    assert_eq!(r.packages[4].checksums.len(), 1, "the continuation after U+000B is joined");
    // Each editor line holding several pip lines with content is a warning (a trailing form
    // feed is not: nothing is hidden).
    let w: Vec<String> = resolution.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(w.len(), 3, "{w:?}");
    for (warning, (line, c)) in w.iter().zip([(2, "U+000C"), (3, "U+000D"), (5, "U+2028")]) {
        assert!(
            warning.starts_with(&format!("requirements.txt:{line}: this line holds several lines for pip"))
                && warning.contains(c),
            "{w:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn includes_through_symlinked_directories_stop() {
    use std::os::unix::fs::symlink;
    // `s` and `t` are the directory itself: every `-r s/…` reaches the same file under a new
    // path. Without an identity beyond the path this never ends (2^32 reads).
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    symlink(".", root.join("s")).unwrap();
    symlink(".", root.join("t")).unwrap();
    std::fs::write(root.join("requirements.txt"), "requests==2.0.0\n-r s/requirements.txt\n-r t/requirements.txt\n")
        .unwrap();
    let started = std::time::Instant::now();
    let (code, out, err) = run(&["sbom", root.to_str().unwrap(), "--allow-partial"]);
    assert_eq!(code, 2, "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
    for line in [2, 3] {
        assert!(
            err.contains(&format!("requirements.txt:{line}: ")) && err.contains("is `requirements.txt` again"),
            "{err}"
        );
    }
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let purls: Vec<&str> = doc["components"].as_array().unwrap().iter().filter_map(|c| c["purl"].as_str()).collect();
    assert_eq!(purls, ["pkg:pypi/requests@2.0.0"]);

    // Distinct files fanning out through the symlinks (no file includes itself): 2^10 paths,
    // stopped by the cap on the files one resolution reads, with an error at the `-r` line.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    symlink(".", root.join("s")).unwrap();
    symlink(".", root.join("t")).unwrap();
    std::fs::write(root.join("requirements.txt"), "-r x0.txt\n").unwrap();
    for i in 0..10 {
        std::fs::write(root.join(format!("x{i}.txt")), format!("p{i}==1.0\n-r s/x{n}.txt\n-r t/x{n}.txt\n", n = i + 1))
            .unwrap();
    }
    std::fs::write(root.join("x10.txt"), "p10==1.0\n").unwrap();
    let resolution = resolve(root, &[]);
    let errors: Vec<String> = resolution.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains(".txt:") && errors[0].contains("more than 256 files included"), "{errors:?}");
    // Every package was still reached before the cap (each file's first path is read first).
    let r = resolved(&resolution, "requirements.txt");
    assert_eq!(r.packages.len(), 11, "{:?}", r.packages.iter().map(|p| &p.name).collect::<Vec<_>>());
    assert!(r.packages.iter().all(|p| p.lines.map(|l| l.start) == Some(1)));

    // The same bytes under two paths without a relative reference are read once; with one
    // (here `-r`), each is read, as the files they reach may differ.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::fs::write(root.join("requirements.txt"), "-r a/r.txt\n-r b/r.txt\n").unwrap();
    std::fs::write(root.join("a/r.txt"), "-r base.txt\n").unwrap();
    std::fs::write(root.join("b/r.txt"), "-r base.txt\n").unwrap();
    std::fs::write(root.join("a/base.txt"), "flask==2.0.0\n").unwrap();
    std::fs::write(root.join("b/base.txt"), "django==4.0\n").unwrap();
    let resolution = resolve(root, &[]);
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let names: Vec<&str> = resolved(&resolution, "requirements.txt").packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["flask", "django"]);
}

#[test]
fn direct_urls_are_pypi_releases_on_pypis_file_host_and_the_rest_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("vendored")).unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        [
            "django @ https://files.pythonhosted.org/packages/source/D/Django/Django-1.2.tar.gz",
            "https://files.pythonhosted.org/packages/xx/requests-2.0.0-py2.py3-none-any.whl",
            "python-dateutil @ https://files.pythonhosted.org/packages/aa/python-dateutil-2.8.2.tar.gz",
            // Another host: a tarball, its version from the file name, not matched.
            "https://example.com/dl/Flask-2.0.0.zip",
            // The file is another project's: no version, not PyPI's.
            "urllib3 @ https://files.pythonhosted.org/packages/xx/requests-2.0.0-py2.py3-none-any.whl",
            // No version in the file name: not a release.
            "six @ https://files.pythonhosted.org/packages/xx/six-latest.tar.gz",
            "git+https://github.com/o/r.git@v1#egg=r",
            "./vendored",
        ]
        .join("\n"),
    )
    .unwrap();
    let resolution = resolve(dir.path(), &[]);
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let r = resolved(&resolution, "requirements.txt");
    let got: Vec<(&str, &str, bool)> =
        r.packages.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.source.is_default_registry())).collect();
    assert_eq!(
        got,
        [
            ("django", "1.2", true),
            ("requests", "2.0.0", true),
            ("python-dateutil", "2.8.2", true),
            ("Flask", "2.0.0", false),
            ("urllib3", "", false),
            ("six", "", false),
            ("r", "", false),
            ("vendored", "", false),
        ]
    );
    assert!(matches!(&r.packages[3].source, PackageSource::Tarball { url } if url.starts_with("https://example.com/")));
    assert_eq!(r.packages[0].purl().as_deref(), Some("pkg:pypi/django@1.2"));
    // One warning per package not matched, at its line; the local directory (line 8) is
    // first-party code, not a package that went unchecked.
    let w: Vec<String> = resolution.warnings.iter().map(ToString::to_string).collect();
    let not_checked: Vec<&str> = w
        .iter()
        .filter(|w| w.ends_with("is not a PyPI release: not checked against advisories"))
        .map(|w| w.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        not_checked,
        ["requirements.txt:4", "requirements.txt:5", "requirements.txt:6", "requirements.txt:7"],
        "{w:?}"
    );
    // The local path names no package besides (its directory's name is used).
    assert_eq!(w.len(), 5, "{w:?}");
    assert!(w[4].starts_with("requirements.txt:8: `./vendored` names no package"), "{w:?}");
    assert!(w[0].contains("`Flask` (the URL `https://example.com/dl/Flask-2.0.0.zip`)"), "{w:?}");
}
