//! uv's `uv.lock` and the standard `pylock.toml` (PEP 751): the osv-scalibr conformance cases
//! for `uv.lock`, the two corpus lockfiles (astral-sh/uv, pydantic), fixtures written by real
//! tools (`testdata/python/uv/workspace/`: `uv lock` of uv 0.13.9, with a workspace member, a
//! path dependency, a direct URL wheel, an extra, two dependency groups and numpy/click at two
//! versions for two Python ranges; `testdata/python/pylock/`: `uv export --format pylock.toml`
//! of that project and `pip lock` of pip 26.3), errors, advisory matching and mutation
//! robustness.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::mutate::Rng;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::model::{Checksum, DependencyKind, Ecosystem, LineSpan, Package, PackageSource, RootComponent, Scope};
use chainward::resolve::{ResolveErrorKind, Resolved, pylock, uv};
use serde_json::Value;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/python").join(rel)
}

/// `chainward ARGS`: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .args(common::no_registry(args))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache"))
        .output()
        .expect("run chainward");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The one lockfile of a resolution, which must have no error.
fn only(resolution: &chainward::resolve::Resolution) -> &Resolved {
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert_eq!(resolution.resolved.len(), 1);
    &resolution.resolved[0]
}

fn find<'a>(lock: &'a Resolved, name: &str, version: &str) -> (usize, &'a Package) {
    lock.packages
        .iter()
        .enumerate()
        .find(|(_, p)| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("no {name} {version}"))
}

/// A directory holding `files` (name, content), for hand-made cases.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

/// The SBOM of `dir` for both spec versions, schema-validated; the 1.6 document.
fn valid_sbom(dir: &Path) -> Value {
    let mut last = Value::Null;
    for spec in ["1.5", "1.6"] {
        let (code, stdout, stderr) = run(&["sbom", dir.to_str().unwrap(), "--spec-version", spec]);
        assert_eq!(code, 0, "{}: {stderr}", dir.display());
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{} {spec}: {e:#?}", dir.display()));
        last = doc;
    }
    last
}

/// Every registry component of an SBOM carries SHA-256 hashes only.
fn assert_sha256_hashes(doc: &Value) -> usize {
    let mut with = 0;
    for c in doc["components"].as_array().unwrap() {
        let hashes = c["hashes"].as_array().cloned().unwrap_or_default();
        if c["purl"].as_str().is_some_and(|p| p.starts_with("pkg:pypi/")) && !hashes.is_empty() {
            with += 1;
        }
        for h in hashes {
            assert_eq!(h["alg"], "SHA-256", "{}", c["bom-ref"]);
            assert_eq!(h["content"].as_str().unwrap().len(), 64);
        }
    }
    with
}

/// The first line of `span` that is a `name =` key (what osv-scalibr reports for a package).
fn name_line(text: &str, span: LineSpan) -> Option<usize> {
    (span.start..=span.end).find(|&l| {
        let line = text.lines().nth(l - 1).unwrap_or_default().trim_start();
        line.strip_prefix("name").is_some_and(|r| r.trim_start().starts_with('='))
    })
}

#[test]
fn conformance_cases_match_the_peer() {
    let cases = common::conformance::cases("uv.lock");
    if common::shared_dir().is_none() {
        return;
    }
    assert_eq!(cases.len(), 6, "the six osv-scalibr uv.lock cases");
    for case in cases {
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        if case.expects_error {
            // `not-toml`: invalid TOML, an error with its line; nothing resolved; exit 2.
            assert!(resolution.resolved.is_empty(), "{}", case.name);
            let error = &resolution.errors[0];
            assert_eq!((error.path.as_str(), error.line), ("uv.lock", Some(1)), "{}", case.name);
            assert!(matches!(error.kind, ResolveErrorKind::Syntax(_)), "{error}");
            let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
            assert_eq!(code, 2, "{}: {stderr}", case.name);
            assert!(stderr.contains("uv.lock:1"), "{stderr}");
            continue;
        }
        if case.name.ends_with("uv-empty-file") {
            // Deliberate difference (`empty-file-not-error`): osv-scalibr reads a 0-byte uv.lock
            // as no packages; uv itself refuses it ("missing field `version`"), and so do we, so
            // that an empty lockfile never reads as a clean project.
            assert!(case.expected.is_empty());
            assert!(resolution.resolved.is_empty());
            let error = &resolution.errors[0];
            assert_eq!(error.path, "uv.lock");
            assert!(error.to_string().contains("no `version`"), "{error}");
            let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
            assert_eq!(code, 2, "{stderr}");
            continue;
        }
        let lock = &resolution.resolved[0];
        assert_eq!(resolution.resolved.len(), 1);
        assert!(resolution.errors.is_empty(), "{}: {:?}", case.name, resolution.errors);
        // `root-virtual-excluded`: the project (`source = { virtual = "." }`) is our root
        // component, a first-party package; the peer drops it. Compare the others. Names are
        // already normalized in these fixtures (`names-not-normalised` changes nothing).
        let root = match lock.root {
            RootComponent::Package(i) => Some(i),
            RootComponent::Synthetic { .. } => None,
        };
        if case.has_choice("root-virtual-excluded") {
            let root = &lock.packages[root.expect("a root package")];
            assert!(root.first_party && matches!(&root.source, PackageSource::Path { dir } if dir == "."));
        }
        let ours: Vec<&Package> =
            lock.packages.iter().enumerate().filter(|(i, _)| Some(*i) != root).map(|(_, p)| p).collect();
        let got = common::conformance::multiset(ours.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        let want = common::conformance::multiset(case.expected.iter().map(|e| (e.name.as_str(), e.version.as_str())));
        assert_eq!(got, want, "{}", case.name);
        let text = std::fs::read_to_string(dir.path().join("uv.lock")).unwrap();
        for e in &case.expected {
            let p = ours.iter().find(|p| p.name == e.name && p.version == e.version).unwrap();
            let span = p.lines.unwrap();
            if let Some(line) = e.line {
                // Our span is the whole block, from its `[[package]]` header; the peer's line is
                // the block's `name =` key.
                assert_eq!(name_line(&text, span), Some(line), "{}: {} {span:?}", case.name, e.name);
            }
            if let Some(commit) = &e.commit {
                assert!(
                    matches!(&p.source, PackageSource::Git { commit: Some(c), .. } if c == commit),
                    "{}: {:?}",
                    case.name,
                    p.source
                );
            }
            // `dev-included`: we report dev packages too; the groups are the project's extras
            // and dependency groups naming the package, as the peer's.
            assert_eq!(p.groups, e.groups, "{}: {}", case.name, e.name);
        }
        if case.name.ends_with("uv-names-outside-package-block") {
            // No `source` in either package: uv refuses the file; we read the packages as
            // PyPI's (as the peer does) and say so.
            assert_eq!(resolution.warnings.len(), 2, "{:?}", resolution.warnings);
            assert!(resolution.warnings[0].message.contains("no `source`"));
            assert!(ours.iter().all(|p| p.source.is_default_registry()));
        }
        if case.name.ends_with("uv-grouped-packages") {
            let scope = |n: &str| ours.iter().find(|p| p.name == n).unwrap().scope;
            assert_eq!(scope("emoji"), Some(Scope::Required));
            // `cli`, `dev` and `test` are extras here (`[package.optional-dependencies]`).
            assert_eq!(scope("click"), Some(Scope::Optional));
            assert_eq!(scope("black"), Some(Scope::Optional));
            assert_eq!(scope("mccabe"), Some(Scope::Optional));
        }
        valid_sbom(dir.path());
    }
}

#[test]
fn the_corpus_lockfiles_have_their_package_counts_and_every_edge_resolves() {
    let Some(shared) = common::shared_dir() else { return };
    // SOURCES.md: the number of `[[package]]` tables.
    for (dir, count, hashed) in [("astral-sh__uv", 89, 88), ("pydantic__pydantic", 176, 173)] {
        let path = shared.join("corpus/pypi").join(dir);
        let resolution = common::conformance::resolve(&path);
        let lock = only(&resolution);
        assert_eq!(lock.packages.len(), count, "{dir}");
        let RootComponent::Package(root) = lock.root else { panic!("{dir}: the project is the root") };
        assert!(lock.packages[root].first_party);
        assert!(lock.packages.iter().all(|p| p.lines.is_some() && p.scope.is_some()), "{dir}");
        let doc = valid_sbom(&path);
        assert_eq!(assert_sha256_hashes(&doc), hashed, "{dir}: registry packages with hashes");
    }
    // uv: the project's groups are dev groups: everything else is excluded, and
    // `validate-pyproject` names `fastjsonschema` at two versions, each resolved.
    let lock = common::conformance::resolve(&shared.join("corpus/pypi/astral-sh__uv"));
    let lock = only(&lock);
    let (vp, _) = find(lock, "validate-pyproject", "0.25");
    let (f1, _) = find(lock, "fastjsonschema", "2.21.2");
    let (f2, _) = find(lock, "fastjsonschema", "2.22.1");
    assert!(lock.packages[vp].dependencies.contains(&f1) && lock.packages[vp].dependencies.contains(&f2));
    assert!(lock.packages.iter().filter(|p| !p.first_party).all(|p| p.scope == Some(Scope::Excluded)));
    assert_eq!(find(lock, "ruff", &find_version(lock, "ruff")).1.groups, ["check"]);
    // pydantic: two members, a git package with its commit.
    let lock = common::conformance::resolve(&shared.join("corpus/pypi/pydantic__pydantic"));
    let lock = only(&lock);
    let members: Vec<&str> = lock.packages.iter().filter(|p| p.first_party).map(|p| p.name.as_str()).collect();
    assert_eq!(members, ["pydantic", "pydantic-core"]);
    let docs = lock.packages.iter().find(|p| p.name == "pydantic-docs").unwrap();
    assert_eq!(
        docs.source,
        PackageSource::Git {
            url: "https://github.com/pydantic/pydantic-docs".into(),
            reference: None,
            commit: Some("6f657b30593b00cf5f7c0b7eca74e83b3b6b7819".into())
        }
    );
}

fn find_version(lock: &Resolved, name: &str) -> String {
    lock.packages.iter().find(|p| p.name == name).unwrap().version.clone()
}

#[test]
fn the_real_workspace_lockfile_resolves_as_uv_installs_it() {
    let dir = testdata("uv/workspace");
    let text = std::fs::read_to_string(dir.join("uv.lock")).unwrap();
    let resolution = common::conformance::resolve(&dir);
    let lock = only(&resolution);
    assert_eq!(lock.packages.len(), text.matches("[[package]]").count());
    assert_eq!(lock.packages.len(), 23);
    let RootComponent::Package(root) = lock.root else { panic!("the project is the root") };
    let p = |i: usize| &lock.packages[i];
    assert_eq!((p(root).name.as_str(), p(root).version.as_str()), ("uv-fixture", "0.1.0"));
    assert_eq!(p(root).source, PackageSource::Path { dir: ".".into() });
    assert!(p(root).first_party);

    let (helper, _) = find(lock, "helper", "0.2.0");
    let (localdep, _) = find(lock, "localdep", "1.0.0");
    let (numpy_old, _) = find(lock, "numpy", "2.0.2");
    let (numpy_new, _) = find(lock, "numpy", "2.2.6");
    let (click_old, _) = find(lock, "click", "8.1.8");
    let (click_new, _) = find(lock, "click", "8.2.1");
    let (requests, _) = find(lock, "requests", "2.30.0");
    let (pysocks, _) = find(lock, "pysocks", "1.7.1");
    let (colorama, _) = find(lock, "colorama", "0.4.6");
    let (pytest, _) = find(lock, "pytest", "8.3.5");
    let (tomli, _) = find(lock, "tomli", "2.2.1");
    let (iniconfig, _) = find(lock, "iniconfig", "2.1.0");
    let (idna, _) = find(lock, "idna", "3.6");
    let (six, _) = find(lock, "six", "1.16.0");
    let ruff = lock.packages.iter().position(|q| q.name == "ruff").unwrap();

    // Sources: the member and the path dependency are paths (only the member is first-party),
    // the direct URL wheel a tarball, everything else PyPI.
    assert_eq!(p(helper).source, PackageSource::Path { dir: "packages/helper".into() });
    assert!(p(helper).first_party);
    assert_eq!(p(localdep).source, PackageSource::Path { dir: "libs/localdep".into() });
    assert!(!p(localdep).first_party && p(localdep).direct);
    assert!(
        matches!(&p(six).source, PackageSource::Tarball { url } if url.ends_with("six-1.16.0-py2.py3-none-any.whl"))
    );
    assert_eq!(lock.packages.iter().filter(|q| q.source.is_default_registry()).count(), 23 - 4);

    // Edges: both numpy versions from the project (marker-split, resolved by version+source),
    // both click versions from the `cli` extra, the member's own dependency.
    let deps = |i: usize| p(i).dependencies.iter().copied().collect::<Vec<_>>();
    for d in [helper, localdep, numpy_old, numpy_new, click_old, click_new, requests, six, pytest, ruff] {
        assert!(p(root).dependencies.contains(&d), "root -> {}", p(d).name);
    }
    assert_eq!(
        deps(helper),
        [idna, iniconfig].iter().copied().collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>()
    );
    assert!(p(requests).dependencies.contains(&pysocks), "the `socks` extra's edge");

    // Scopes: `requests[socks]` activates pysocks (required); the project's own extra `cli` is
    // optional (click at both versions, colorama under it); dependency groups are excluded,
    // the member's `test` group too.
    for i in [helper, localdep, numpy_old, numpy_new, requests, pysocks, idna, six] {
        assert_eq!(p(i).scope, Some(Scope::Required), "{}", p(i).name);
    }
    for i in [click_old, click_new, colorama] {
        assert_eq!(p(i).scope, Some(Scope::Optional), "{}", p(i).name);
    }
    for i in [pytest, tomli, iniconfig, ruff] {
        assert_eq!(p(i).scope, Some(Scope::Excluded), "{}", p(i).name);
        assert!(p(i).reached_by.contains(&DependencyKind::Dev));
    }
    assert_eq!(p(click_old).groups, ["cli"]);
    assert_eq!(p(pytest).groups, ["dev"]);
    assert_eq!(p(ruff).groups, ["lint"]);
    assert_eq!(p(iniconfig).groups, ["test"]);
    assert!(p(tomli).groups.is_empty(), "groups name direct members of a group only");
    assert!(p(numpy_new).direct && p(click_old).direct && !p(pysocks).direct && !p(helper).direct);

    // Hashes: every `sha256:` of the block (sdist and wheels), counted from the text.
    for (i, pkg) in lock.packages.iter().enumerate() {
        let span = pkg.lines.unwrap();
        let block: Vec<&str> = text.lines().skip(span.start - 1).take(span.end - span.start + 1).collect();
        assert!(block[0] == "[[package]]" && block[1] == format!("name = \"{}\"", pkg.name), "{i}: {span:?}");
        let mut sums: Vec<String> = block
            .iter()
            .flat_map(|l| {
                l.match_indices("hash = \"sha256:").map(move |(at, m)| l[at + m.len()..at + m.len() + 64].to_owned())
            })
            .collect();
        sums.sort_unstable_by(|a, b| b.cmp(a));
        sums.dedup();
        let ours: Vec<String> = pkg.checksums.iter().map(|c| c.hex().to_owned()).collect();
        assert_eq!(ours, sums, "{}", pkg.name);
        assert!(pkg.checksums.iter().all(|c| matches!(c, Checksum::Sha256(_))));
    }
    assert!(p(numpy_new).checksums.len() > 40);
    assert_eq!(p(six).checksums.len(), 1);

    let doc = valid_sbom(&dir);
    assert_eq!(assert_sha256_hashes(&doc), 20, "every PyPI package and the URL wheel");
}

/// An expected finding: advisory id, package name, version.
type Finding = (&'static str, &'static str, &'static str);

#[test]
fn the_fixtures_find_their_advisories() {
    let Some(shared) = common::shared_dir() else { return };
    let db = shared.join("advisory-db/osv/PyPI.zip");
    // PyPI advisories of 2024-10 (pypa/advisory-database): requests < 2.31, urllib3 2.0.5,
    // idna < 3.7, certifi < 2023.7.22 (pip's fixture pins it).
    let cases: [(&str, &[Finding]); 3] = [
        (
            "uv/workspace",
            &[
                ("PYSEC-2023-192", "urllib3", "2.0.5"),
                ("PYSEC-2023-212", "urllib3", "2.0.5"),
                ("PYSEC-2023-74", "requests", "2.30.0"),
                ("PYSEC-2024-60", "idna", "3.6"),
            ],
        ),
        (
            "pylock/uv-export",
            &[
                ("PYSEC-2023-192", "urllib3", "2.0.5"),
                ("PYSEC-2023-212", "urllib3", "2.0.5"),
                ("PYSEC-2023-74", "requests", "2.30.0"),
                ("PYSEC-2024-60", "idna", "3.6"),
            ],
        ),
        (
            "pylock/pip",
            &[
                ("PYSEC-2023-135", "certifi", "2023.5.7"),
                ("PYSEC-2023-192", "urllib3", "2.0.5"),
                ("PYSEC-2023-212", "urllib3", "2.0.5"),
                ("PYSEC-2023-74", "requests", "2.30.0"),
                ("PYSEC-2024-60", "idna", "3.6"),
            ],
        ),
    ];
    for (rel, want) in cases {
        let dir = testdata(rel);
        let (code, stdout, stderr) =
            run(&["scan", dir.to_str().unwrap(), "--offline", "--db", db.to_str().unwrap(), "--format", "json"]);
        assert_eq!(code, 1, "{rel}: {stderr}");
        let report: Value = serde_json::from_slice(&stdout).unwrap();
        let mut got: Vec<(String, String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_owned(),
                    f["package"]["name"].as_str().unwrap().to_owned(),
                    f["package"]["version"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        got.sort();
        let want: Vec<(String, String, String)> =
            want.iter().map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned())).collect();
        assert_eq!(got, want, "{rel}");
        // Each finding points at its package's block.
        let lockfile = if rel.starts_with("uv") { "uv.lock" } else { "pylock.toml" };
        let text = std::fs::read_to_string(dir.join(lockfile)).unwrap();
        for f in report["findings"].as_array().unwrap() {
            assert_eq!(f["location"]["path"], lockfile);
            let line = usize::try_from(f["location"]["line"].as_u64().unwrap()).unwrap();
            let name = f["package"]["name"].as_str().unwrap();
            let next = text.lines().nth(line).unwrap();
            assert_eq!(next, format!("name = \"{name}\""), "{rel}: line {line}");
        }
    }
}

#[test]
fn versions_other_than_1_and_files_uv_refuses_exit_2() {
    let pkg = "[[package]]\nname = \"a\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
    let cases: [(&str, String, usize, &str); 6] = [
        (
            "version 2",
            "version = 2\nrevision = 1\n".to_owned(),
            1,
            "unsupported uv.lock version 2 (chainward reads version 1",
        ),
        ("a string version", "\n\nversion = \"1\"\n".to_owned(), 3, "unsupported uv.lock version \"1\""),
        (
            "a registry package without version",
            "version = 1\n[[package]]\nname = \"a\"\nsource = { registry = \"https://pypi.org/simple\" }\n".to_owned(),
            3,
            "has no `version`",
        ),
        ("a bad hash", format!("version = 1\n{pkg}sdist = {{ hash = \"sha256:abc\" }}\n"), 3, "sha256:abc"),
        ("a duplicate", format!("version = 1\n{pkg}\n{pkg}"), 8, "duplicate package `a 1.0`"),
        (
            "an unknown source",
            "version = 1\n[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { ftp = \"x\" }\n".to_owned(),
            3,
            "unknown source kind `ftp`",
        ),
    ];
    for (what, text, line, message) in cases {
        let dir = project(&[("uv.lock", &text)]);
        let resolution = common::conformance::resolve(dir.path());
        assert!(resolution.resolved.is_empty(), "{what}");
        let error = &resolution.errors[0];
        assert_eq!((error.path.as_str(), error.line), ("uv.lock", Some(line)), "{what}: {error}");
        assert!(error.to_string().contains(message), "{what}: {error}");
        let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(stderr.contains(&format!("uv.lock:{line}")), "{what}: {stderr}");
    }
    // Any revision of version 1 is read.
    let dir = project(&[("uv.lock", &format!("version = 1\nrevision = 42\n{pkg}"))]);
    assert_eq!(only(&common::conformance::resolve(dir.path())).packages.len(), 1);
}

#[test]
fn dangling_and_ambiguous_edges_are_errors_with_the_packages_kept() {
    let text = r#"version = 1
revision = 3

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "gone" },
    { name = "two" },
]

[[package]]
name = "two"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "two"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
"#;
    let dir = project(&[("uv.lock", text)]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = &resolution.resolved[0];
    assert_eq!(lock.packages.len(), 3);
    assert_eq!(lock.packages[0].dependencies.len(), 2, "both `two`s, kept");
    assert_eq!(resolution.errors.len(), 2, "{:?}", resolution.errors);
    assert!(
        matches!(&resolution.errors[0].kind, ResolveErrorKind::DanglingDependency { dependency, .. } if dependency == "gone")
    );
    assert!(matches!(&resolution.errors[1].kind, ResolveErrorKind::AmbiguousDependency { .. }));
    assert_eq!(resolution.errors[0].line, Some(5));
    let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn indexes_sources_and_a_virtual_workspace_root() {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let text = format!(
        r#"version = 1
revision = 3

[manifest]
members = ["lib-a"]
requirements = [{{ name = "Mirror_Pkg" }}]

[manifest.dependency-groups]
dev = [{{ name = "private" }}]

[[package]]
name = "lib-a"
source = {{ editable = "libs/a" }}
dependencies = [{{ name = "gitpkg" }}, {{ name = "local-wheel" }}, {{ name = "wheelhouse" }}]

[[package]]
name = "mirror-pkg"
version = "1.0"
source = {{ registry = "https://mirrors.aliyun.com/pypi/simple/" }}

[[package]]
name = "private"
version = "2.0"
source = {{ registry = "https://artifactory.example.com/api/pypi/simple" }}
wheels = [{{ url = "https://artifactory.example.com/p.whl", hash = "md5:00" }}]

[[package]]
name = "gitpkg"
version = "0.3.0"
source = {{ git = "https://github.com/o/gitpkg?tag=v0.3.0#{sha}" }}

[[package]]
name = "local-wheel"
version = "1.1"
source = {{ path = "dist/local_wheel-1.1-py3-none-any.whl" }}

[[package]]
name = "wheelhouse"
version = "3.0"
source = {{ registry = "wheels" }}
"#
    );
    let dir = project(&[("sub/uv.lock", &text)]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    let by = |n: &str| lock.packages.iter().position(|p| p.name == n).unwrap();
    let p = |n: &str| &lock.packages[by(n)];
    assert_eq!(p("lib-a").version, "", "a dynamic version");
    assert_eq!(p("lib-a").source, PackageSource::Path { dir: "sub/libs/a".into() });
    assert!(p("lib-a").first_party);
    assert!(p("mirror-pkg").source.is_default_registry(), "a public PyPI mirror is PyPI");
    assert_eq!(
        p("private").source,
        PackageSource::Registry {
            url: "https://artifactory.example.com/api/pypi/simple".into(),
            sparse: false,
            default_registry: false
        }
    );
    assert!(p("private").checksums.is_empty(), "md5 has no checksum variant");
    assert_eq!(
        p("gitpkg").source,
        PackageSource::Git {
            url: "https://github.com/o/gitpkg".into(),
            reference: Some(chainward::model::GitReference::Tag("v0.3.0".into())),
            commit: Some(sha.into())
        }
    );
    assert_eq!(
        p("local-wheel").source,
        PackageSource::Path { dir: "sub/dist/local_wheel-1.1-py3-none-any.whl".into() }
    );
    assert_eq!(p("wheelhouse").source, PackageSource::Path { dir: "sub/wheels".into() });
    // No package at `.`: a synthetic root on the member and the manifest's requirements.
    let RootComponent::Synthetic { name, depends_on } = &lock.root else { panic!("synthetic root") };
    assert_eq!(name, "sub");
    assert_eq!(depends_on.iter().copied().collect::<Vec<_>>(), {
        let mut v = vec![by("lib-a"), by("mirror-pkg"), by("private")];
        v.sort_unstable();
        v
    });
    assert_eq!(p("mirror-pkg").scope, Some(Scope::Required));
    assert!(p("mirror-pkg").direct);
    assert_eq!(p("private").scope, Some(Scope::Excluded));
    assert_eq!(p("private").groups, ["dev"]);
    assert_eq!(p("gitpkg").scope, Some(Scope::Required));
    assert!(p("gitpkg").direct);
    valid_sbom(dir.path());
}

#[test]
fn the_pip_lock_fixture_is_read() {
    let dir = testdata("pylock/pip");
    let resolution = common::conformance::resolve(&dir);
    let lock = only(&resolution);
    assert_eq!(lock.path, "pylock.toml");
    assert_eq!(lock.packages.len(), 7);
    let RootComponent::Package(root) = lock.root else { panic!("the project is the root") };
    let root = &lock.packages[root];
    assert_eq!((root.name.as_str(), root.version.as_str()), ("pip-lock-fixture", ""));
    assert!(root.first_party);
    assert_eq!(root.source, PackageSource::Path { dir: ".".into() });
    // pip writes no `index` and no `dependencies`: files on files.pythonhosted.org are PyPI's;
    // the graph is flat (the root depends on every package, none is marked direct).
    assert_eq!(root.dependencies.len(), 6);
    for p in lock.packages.iter().filter(|p| !p.first_party) {
        assert!(p.source.is_default_registry(), "{}", p.name);
        assert_eq!(p.checksums.len(), 1, "{}", p.name);
        assert_eq!(p.scope, Some(Scope::Required));
        assert!(!p.direct);
    }
    let (_, requests) = find(lock, "requests", "2.30.0");
    assert_eq!(requests.lines.map(|l| l.start), Some(54));
    let text = std::fs::read_to_string(dir.join("pylock.toml")).unwrap();
    let span = requests.lines.unwrap();
    assert_eq!(text.lines().nth(span.end - 1).unwrap().split(" = ").next(), Some("sha256"), "the wheel's hashes table");
    let doc = valid_sbom(&dir);
    assert_eq!(assert_sha256_hashes(&doc), 6);
}

#[test]
fn uv_export_pylock_has_the_packages_of_its_uv_lock() {
    let lock_dir = testdata("uv/workspace");
    let uv_res = common::conformance::resolve(&lock_dir);
    let uv_lock = only(&uv_res);
    let dir = testdata("pylock/uv-export");
    let resolution = common::conformance::resolve(&dir);
    let lock = only(&resolution);
    // The same 23 packages (uv exports no version for source trees).
    let key = |p: &Package| {
        let version = if matches!(p.source, PackageSource::Path { .. }) { String::new() } else { p.version.clone() };
        (p.name.clone(), version, p.source.kind(), p.checksums.clone())
    };
    let mut a: Vec<_> = uv_lock.packages.iter().map(key).collect();
    let mut b: Vec<_> = lock.packages.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let RootComponent::Package(root) = lock.root else { panic!("the project is the root") };
    assert_eq!(lock.packages[root].name, "uv-fixture");
    let (_, click) = find(lock, "click", "8.1.8");
    assert_eq!(click.scope, Some(Scope::Required), "uv writes no group markers");
    valid_sbom(&dir);
}

#[test]
fn pylock_versions_names_and_bad_files() {
    let pkg = "[[packages]]\nname = \"a\"\nversion = \"1.0\"\nindex = \"https://pypi.org/simple\"\nwheels = [{ url = \"https://files.pythonhosted.org/a.whl\", hashes = { sha256 = \"";
    let good = format!("{pkg}{}\" }} }}]\n", "ab".repeat(32));
    // A newer minor version: read, with a warning naming the line.
    let dir = project(&[("pylock.dev.toml", &format!("# c\nlock-version = \"1.3\"\n{good}"))]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    assert_eq!(lock.path, "pylock.dev.toml");
    assert_eq!(lock.packages[0].checksums, [Checksum::Sha256("ab".repeat(32))]);
    assert_eq!(resolution.warnings.len(), 1);
    assert_eq!(resolution.warnings[0].line, Some(2));
    assert!(resolution.warnings[0].message.contains("1.3"));
    let cases: [(&str, String, Option<usize>, &str); 6] = [
        ("another major", format!("lock-version = \"2.0\"\n{good}"), Some(1), "unsupported pylock.toml version \"2.0\""),
        ("no version", good.clone(), Some(1), "no `lock-version`"),
        ("an empty file", String::new(), Some(1), "no `lock-version`"),
        ("a bad hash", format!("lock-version = \"1.0\"\n{pkg}xyz\" }} }}]\n"), Some(3), "sha256:xyz"),
        (
            "two sources",
            format!("lock-version = \"1.0\"\n{good}directory = {{ path = \".\" }}\n"),
            Some(3),
            "exactly one of",
        ),
        (
            "an index package without version",
            "lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nsdist = { url = \"https://files.pythonhosted.org/a.tar.gz\", hashes = {} }\n"
                .to_owned(),
            Some(3),
            "no `version`",
        ),
    ];
    for (what, text, line, message) in cases {
        let dir = project(&[("pylock.toml", &text)]);
        let resolution = common::conformance::resolve(dir.path());
        assert!(resolution.resolved.is_empty(), "{what}");
        let error = &resolution.errors[0];
        assert_eq!((error.path.as_str(), error.line), ("pylock.toml", line), "{what}: {error}");
        assert!(error.to_string().contains(message), "{what}: {error}");
        let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
        assert_eq!(code, 2, "{what}: {stderr}");
    }
    // Names the specification does not give a pylock file are not read.
    let resolvers = chainward::resolve::registry();
    let claims = |p: &str| resolvers.iter().filter(|r| r.claims(Path::new(p))).map(|r| r.name()).collect::<Vec<_>>();
    assert_eq!(claims("a/pylock.toml"), ["pylock"]);
    assert_eq!(claims("pylock.web.toml"), ["pylock"]);
    assert!(claims("pylock.a.b.toml").is_empty());
    assert_eq!(claims("x/uv.lock"), ["uv"]);
}

/// A hand-made lockfile with one name at thousands of versions, and a package that names it
/// thousands of times: the lookups go by maps (no entry scans the versions), the ambiguity is
/// one error per package and name, and it names 5 candidates, then how many more.
#[test]
fn many_versions_of_one_name_give_one_short_ambiguity_error() {
    use std::fmt::Write as _;

    const VERSIONS: usize = 3000;
    let registry = r#"source = { registry = "https://pypi.org/simple" }"#;
    let mut uv_text = String::from("version = 1\n\n[[package]]\nname = \"b\"\nversion = \"1\"\n");
    uv_text.push_str(registry);
    uv_text.push_str("\ndependencies = [\n");
    let mut pylock_text = String::from(
        "lock-version = \"1.0\"\n\n[[packages]]\nname = \"b\"\nversion = \"1\"\nsdist = { path = \"b-1.tar.gz\" }\ndependencies = [\n",
    );
    for _ in 0..VERSIONS {
        uv_text.push_str("  { name = \"a\" },\n");
        pylock_text.push_str("  { name = \"a\" },\n");
    }
    write!(uv_text, "  {{ name = \"A\", version = \"7\" }},\n  {{ name = \"a\", version = \"8\", {registry} }},\n]\n")
        .unwrap();
    pylock_text.push_str("  { name = \"A\", version = \"7\" },\n]\n");
    for v in 0..VERSIONS {
        write!(uv_text, "\n[[package]]\nname = \"a\"\nversion = \"{v}\"\n{registry}\n").unwrap();
        write!(pylock_text, "\n[[packages]]\nname = \"a\"\nversion = \"{v}\"\nsdist = {{ path = \"a-{v}.tar.gz\" }}\n")
            .unwrap();
    }
    let start = std::time::Instant::now();
    let uv_lock = uv::parse(&uv_text, "uv.lock", ".", "root").unwrap();
    let pylock = pylock::parse(&pylock_text, "pylock.toml", ".", "root").unwrap();
    // Debug builds of the quadratic lookups took seconds here; the maps take milliseconds.
    assert!(start.elapsed() < std::time::Duration::from_secs(30), "{:?}", start.elapsed());
    for (lock, file) in [(&uv_lock, "uv.lock"), (&pylock, "pylock.toml")] {
        assert_eq!(lock.packages.len(), VERSIONS + 1, "{file}");
        assert_eq!(lock.packages[0].dependencies.len(), VERSIONS, "{file}: edges to every `a`");
        assert_eq!(lock.errors.len(), 1, "{file}: {:?}", lock.errors);
        let message = lock.errors[0].to_string();
        assert!(matches!(lock.errors[0].kind, ResolveErrorKind::AmbiguousDependency { .. }), "{file}: {message}");
        assert!(message.contains("`a 0`, `a 1`, `a 2`, `a 3`, `a 4` and 2995 more"), "{file}: {message}");
        assert!(message.len() < 300, "{file}: {message}");
    }
    // Scopes and `direct` follow every candidate of an ambiguous entry, one step per entry
    // however many groups and extras name them; the candidates get no group name (which one
    // the group lists is unknown).
    let mut scoped =
        String::from("version = 1\n\n[[package]]\nname = \"b\"\nversion = \"1\"\nsource = { virtual = \".\" }\n");
    scoped.push_str("dependencies = [{ name = \"n\" }]\n\n[package.dev-dependencies]\n");
    for g in 0..VERSIONS {
        writeln!(scoped, "g{g} = [{{ name = \"a\", extra = [\"x{g}\"] }}]").unwrap();
    }
    for v in 0..2 {
        write!(scoped, "\n[[package]]\nname = \"a\"\nversion = \"{v}\"\n{registry}\n\n[package.optional-dependencies]\nx{v} = [{{ name = \"e\" }}]\n").unwrap();
        write!(scoped, "\n[[package]]\nname = \"n\"\nversion = \"{v}\"\n{registry}\n").unwrap();
    }
    write!(scoped, "\n[[package]]\nname = \"e\"\nversion = \"1\"\n{registry}\n").unwrap();
    let lock = uv::parse(&scoped, "uv.lock", ".", "root").unwrap();
    assert_eq!(lock.errors.len(), 2, "{:?}", lock.errors);
    for version in ["0", "1"] {
        let (_, a) = find(&lock, "a", version);
        assert_eq!((a.scope, a.direct, a.groups.len()), (Some(Scope::Excluded), true, 0), "a {version}");
        let (_, n) = find(&lock, "n", version);
        assert_eq!((n.scope, n.direct), (Some(Scope::Required), true), "n {version}");
    }
    let (_, e) = find(&lock, "e", "1");
    assert_eq!((e.scope, e.direct), (Some(Scope::Excluded), false), "an extra of the candidates, activated by a group");

    // The version (and source) an entry names still picks one package.
    let (seven, _) = find(&uv_lock, "a", "7");
    let (eight, _) = find(&uv_lock, "a", "8");
    assert!(uv_lock.packages[0].dependencies.contains(&seven) && uv_lock.packages[0].dependencies.contains(&eight));
    // The same name, version and source twice is still refused, however many versions precede.
    write!(uv_text, "\n[[package]]\nname = \"A\"\nversion = \"2999\"\n{registry}\n").unwrap();
    let error = uv::parse(&uv_text, "uv.lock", ".", "root").unwrap_err();
    assert!(matches!(&error.kind, ResolveErrorKind::DuplicatePackage(p) if p == "A 2999"), "{error}");
    // Another source is another package.
    uv_text.push_str(
        "\n[[package]]\nname = \"a\"\nversion = \"2999\"\nsource = { registry = \"https://example.com/simple\" }\n",
    );
    uv_text = uv_text.replace("name = \"A\"\nversion = \"2999\"", "name = \"c\"\nversion = \"2999\"");
    assert_eq!(uv::parse(&uv_text, "uv.lock", ".", "root").unwrap().packages.len(), VERSIONS + 3);
}

#[test]
fn pylock_dependencies_match_key_by_key_and_markers_give_scopes() {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let text = format!(
        r#"lock-version = "1.0"
default-groups = ["default"]
dependency-groups = ["dev"]
extras = ["cli"]
created-by = "hand"

[[packages]]
name = "App"
directory = {{ path = "." }}
dependencies = [{{ name = "spam", version = "2.0" }}, {{ name = "tool" }}]

[[packages]]
name = "spam"
version = "1.0"
index = "https://download.pytorch.org/whl/cpu"
sdist = {{ url = "https://download.pytorch.org/spam-1.0.tar.gz", hashes = {{ sha512 = "{sha512}" }} }}

[[packages]]
name = "spam"
version = "2.0"
wheels = [{{ url = "https://mirror.example.com/spam-2.0.whl", hashes = {{ sha256 = "{sha256}" }} }}]
dependencies = [{{ name = "egg", vcs = {{ url = "https://github.com/o/egg" }} }}]

[[packages]]
name = "egg"
vcs = {{ type = "git", url = "https://github.com/o/egg", requested-revision = "main", commit-id = "{sha}" }}
marker = "'cli' in extras"

[[packages]]
name = "tool"
version = "0.1"
archive = {{ url = "https://example.com/tool-0.1.tar.gz", hashes = {{ sha256 = "{sha256}" }} }}
marker = "'dev' in dependency_groups"
dependencies = [{{ name = "nowhere" }}]
"#,
        sha512 = "cd".repeat(64),
        sha256 = "ef".repeat(32),
    );
    let dir = project(&[("pylock.toml", &text)]);
    let resolution = common::conformance::resolve(dir.path());
    let lock = &resolution.resolved[0];
    // The dangling `nowhere`: an error, the packages complete.
    assert_eq!(resolution.errors.len(), 1, "{:?}", resolution.errors);
    assert!(
        matches!(&resolution.errors[0].kind, ResolveErrorKind::DanglingDependency { package, .. } if package == "tool 0.1")
    );
    assert_eq!(resolution.errors[0].line, Some(30), "the `name =` line of `tool`");
    let p = |n: &str, v: &str| find(lock, n, v);
    let (app, _) = p("App", "");
    let (spam1, spam1p) = p("spam", "1.0");
    let (spam2, spam2p) = p("spam", "2.0");
    let (egg, eggp) = p("egg", "");
    let (tool, toolp) = p("tool", "0.1");
    assert_eq!(lock.packages[app].dependencies.iter().copied().collect::<Vec<_>>(), [spam2, tool]);
    assert_eq!(spam2p.dependencies.iter().copied().collect::<Vec<_>>(), [egg]);
    assert!(spam2p.direct && toolp.direct && !eggp.direct && !spam1p.direct);
    // Sources: another index is not PyPI; a file of another host without index a tarball.
    assert!(
        matches!(&spam1p.source, PackageSource::Registry { default_registry: false, url, .. } if url.contains("pytorch"))
    );
    assert_eq!(spam1p.checksums, [Checksum::Sha512("cd".repeat(64))]);
    assert!(matches!(&spam2p.source, PackageSource::Tarball { url } if url.contains("mirror.example.com")));
    assert_eq!(
        eggp.source,
        PackageSource::Git {
            url: "https://github.com/o/egg".into(),
            reference: Some(chainward::model::GitReference::Rev("main".into())),
            commit: Some(sha.into())
        }
    );
    // Scopes from markers: an extra is optional, a non-default group excluded.
    assert_eq!(eggp.scope, Some(Scope::Optional));
    assert_eq!(eggp.groups, ["cli"]);
    assert_eq!(toolp.scope, Some(Scope::Excluded));
    assert_eq!(toolp.groups, ["dev"]);
    assert_eq!(spam2p.scope, Some(Scope::Required));
    let _ = spam1;
    let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("pylock.toml:30"), "{stderr}");
}

const INTERESTING: &[&[u8]] = &[
    b"[[package]]\n",
    b"[[packages]]\n",
    b"\"",
    b"\\",
    b" = ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"#",
    b"\n",
    b"version = 1\n",
    b"lock-version = \"2.0\"\n",
    b"source = { virtual = \".\" }\n",
    b"{ name = \"numpy\", version = \"9\" },",
    b"extra = [\"socks\"]",
    b"hash = \"sha256:zz\"",
    b"dependencies = [{ name = \"a\" }]\n",
    b"\xff\xfe",
];

/// `input` mutated, with this format's tokens.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    common::mutate::mutate(rng, input, INTERESTING)
}

#[test]
fn mutated_lockfiles_never_panic_and_every_error_names_the_file() {
    type Parse = fn(&str, &str, &str, &str) -> Result<Resolved, chainward::resolve::ResolveError>;
    let mut seeds: Vec<(&str, Vec<u8>, Parse)> = vec![
        ("uv.lock", std::fs::read(testdata("uv/workspace/uv.lock")).unwrap(), uv::parse),
        ("pylock.toml", std::fs::read(testdata("pylock/pip/pylock.toml")).unwrap(), pylock::parse),
        ("pylock.toml", std::fs::read(testdata("pylock/uv-export/pylock.toml")).unwrap(), pylock::parse),
    ];
    if let Some(shared) = common::shared_dir() {
        let case = shared.join("conformance/osv-scalibr/pypi/uv-grouped-packages/grouped-packages.lock");
        seeds.push(("uv.lock", std::fs::read(case).unwrap(), uv::parse));
    }
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let mut parsed = BTreeMap::new();
    for round in 0..1200 {
        let (name, seed, parse) = &seeds[round % seeds.len()];
        let input = mutate(&mut rng, seed);
        let text = String::from_utf8_lossy(&input);
        let Ok(result) = std::panic::catch_unwind(|| parse(&text, name, ".", "root")) else {
            panic!("round {round}: {name} panicked on:\n{text}");
        };
        match result {
            Ok(lock) => {
                *parsed.entry(*name).or_insert(0) += 1;
                let n = lock.packages.len();
                assert!(lock.packages.iter().all(|p| p.dependencies.iter().all(|&j| j < n)), "round {round}");
                assert!(lock.errors.iter().all(|e| e.path == *name), "round {round}");
                let lines = text.lines().count().max(1);
                assert!(lock.packages.iter().all(|p| p.lines.is_none_or(|l| l.start <= l.end && l.end <= lines)));
                assert!(Ecosystem::PyPI == lock.packages.first().map_or(Ecosystem::PyPI, |p| p.ecosystem));
            }
            Err(e) => {
                assert_eq!(e.path, *name, "round {round}");
                assert!(e.line.is_none_or(|l| l >= 1 && l <= text.lines().count().max(1) + 1), "round {round}: {e}");
            }
        }
    }
    // Mild mutations: both paths are exercised for both formats.
    assert!(parsed.get("uv.lock").copied().unwrap_or(0) > 30, "{parsed:?}");
    assert!(parsed.get("pylock.toml").copied().unwrap_or(0) > 30, "{parsed:?}");
}

#[test]
fn the_fuzz_seeds_are_what_their_names_say() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (target, file, parse) in [
        ("uv_lock", "uv.lock", uv::parse as fn(&str, &str, &str, &str) -> _),
        ("pylock_toml", "pylock.toml", pylock::parse),
    ] {
        let mut seen = 0;
        for entry in std::fs::read_dir(corpus.join(target)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let lock = bytes.split(|&b| b == 0).next().unwrap();
            let result = parse(std::str::from_utf8(lock).unwrap(), file, ".", "root");
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let refused = name.starts_with("version-") || name.starts_with("lock-version-");
            assert_eq!(result.is_err(), refused, "{target}/{name}: {:?}", result.err());
            if name.starts_with("dangling") {
                assert_eq!(result.unwrap().errors.len(), 2, "{name}");
            }
            seen += 1;
        }
        assert!((3..=10).contains(&seen), "{target}: {seen} seeds");
    }
}

/// Not a check: the time and peak memory of one parse, for profiling. `CHAINWARD_BENCH=FILE cargo
/// test --release --test py_uv parse_benchmark -- --ignored --nocapture` (a `uv.lock`, or a
/// `pylock.toml`).
#[test]
#[ignore = "a benchmark: set CHAINWARD_BENCH to a uv.lock or pylock.toml"]
fn parse_benchmark() {
    let Some(file) = std::env::var_os("CHAINWARD_BENCH") else { return };
    let text = std::fs::read_to_string(&file).unwrap();
    let peak = || {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status.lines().find(|l| l.starts_with("VmHWM")).unwrap_or_default().to_owned()
    };
    println!("before: {}", peak());
    let start = std::time::Instant::now();
    let resolved = if Path::new(&file).file_name().is_some_and(|n| n == "uv.lock") {
        uv::parse(&text, "uv.lock", ".", "root")
    } else {
        pylock::parse(&text, "pylock.toml", ".", "root")
    };
    let packages = resolved.as_ref().map_or(0, |r| r.packages.len());
    let errors = resolved.as_ref().map_or(0, |r| r.errors.len());
    println!("{} bytes: {packages} packages, {errors} errors, {:?}, after: {}", text.len(), start.elapsed(), peak());
}
