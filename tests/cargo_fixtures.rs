//! The `Cargo.lock` fixtures of `testdata/lockfiles/cargo/` and the mini projects of
//! `testdata/projects/`, checked against the facts their READMEs state (packages, edges,
//! checksums, line spans, expected errors with their lines, scopes, discovery).
// The helpers below are test support: failing loudly is the point. clippy.toml's
// `allow-*-in-tests` only covers `#[test]` functions.
#![expect(clippy::panic, clippy::unwrap_used, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chainward::discover::Excludes;
use chainward::model::package::GitReference;
use chainward::model::{Checksum, DependencyKind, Graph, LineSpan, PackageSource, RootComponent, Scope};
use chainward::resolve::cargo::{CargoLockResolver, LockVersion, Lockfile, parse};
use chainward::resolve::{Resolution, work_tree as resolve_tree};
use chainward::resolve::{ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver};
use chainward::source::open;

const CRATES_IO: &str = "https://github.com/rust-lang/crates.io-index";

// Real crates.io checksums (see the fixture README), and the two made-up private crates'
// `sha256("name-version")`.
const AHO_0_7_20: &str = "cc936419f96fa211c1b9166887b38e5e40b19958e5b895be7c1f93adec7071ac";
const AHO_1_1_5: &str = "c982642fa9e8606056828ee9a8505737230110bb1099153c79efe865c59d12ba";
const CFG_IF: &str = "4e7648175b45a9a48536d676f68d918270699102aa8dab5496df06904c914600";
const ITOA_0_4_8: &str = "b71991ff56294aa922b450139ee08b3bfc70982c6b2c7562771375cf73542dd4";
const ITOA_1_0_18: &str = "8f42a60cbdf9a97f5d2305f08a87dc4e09308d1276d28c869c684d7777685682";
const MEMCHR: &str = "cf8baf1c55e62ffcace7a9f06f4bd9cd3f0c4beb022d3b367256b91b87513d98";
const RYU: &str = "9774ba4a74de5f7b1c1451ed6cd5285a32eddb5cccb8cc655a4e50009e06477f";
const PROC_MACRO2: &str = "985e7ec9bb745e6ce6535b544d84d6cd6f7ad8bd711c398938ae983b91a766d9";
const QUOTE: &str = "1fbf4db142a473a8d80c26bbf18454ed458bf8d26c8219c331daecfdbd079001";
const SYN_1: &str = "72b64191b275b66ffe2469e8af2c1cfe3bafa67b529ead792a6d0160888b4237";
const SYN_2: &str = "872831b642d1a07999a962a351ed35b955ea2cfc8f3862091e2a240a84f17297";
const UNICODE_IDENT: &str = "a2c754d6c33795a1c324727428e5a7dedb5b06195f9890bdbcba760d3e246563";
const INTERNAL_UTILS: &str = "71fd6c517cf42438ee81702a663652a23c9ed71111daa42768fb8da86bedc335";
const PRIVATE_LOG: &str = "ceed6aeffd2b3af8b5306022dfed59430a9dd2513a669a0bbbfb442356a62c5a";

/// One expected package: `name version`, source kind, checksum, dependencies as `name version`.
type Row = (&'static str, &'static str, Option<&'static str>, &'static [&'static str]);

const FIXTURE_DIR: &str = "testdata/lockfiles/cargo";

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The path passed to `parse` (relative, as the CLI would name it) and the file's text.
fn fixture(file: &str) -> (String, String) {
    let rel = format!("{FIXTURE_DIR}/{file}");
    let text = std::fs::read_to_string(crate_dir().join(&rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
    (rel, text)
}

fn parse_fixture(file: &str) -> (String, Lockfile) {
    let (path, text) = fixture(file);
    let lock = parse(&path, &text).unwrap_or_else(|e| panic!("{file} should parse: {e}"));
    (path, lock)
}

fn parse_err(file: &str) -> (String, ResolveError) {
    let (path, text) = fixture(file);
    match parse(&path, &text) {
        Ok(lock) => panic!("{file} should not parse, got {} packages", lock.packages.len()),
        Err(e) => (path, e),
    }
}

fn label(lock: &Lockfile, i: usize) -> String {
    let p = &lock.packages[i];
    format!("{} {}", p.name, p.version)
}

/// The package of `lock` named `name version` (the only one; use indices for duplicates).
fn find<'a>(lock: &'a Lockfile, id: &str) -> &'a chainward::model::Package {
    let matches: Vec<_> = lock.packages.iter().filter(|p| format!("{} {}", p.name, p.version) == id).collect();
    assert_eq!(matches.len(), 1, "expected exactly one `{id}`");
    matches[0]
}

/// Checks version, count, and for each package (in file order) name, version, source kind,
/// checksum and the multiset of resolved dependency edges.
fn check_fixture(file: &str, version: LockVersion, rows: &[Row]) -> Lockfile {
    let (path, lock) = parse_fixture(file);
    assert_eq!(lock.version, version, "{file}: lockfile version");
    assert_eq!(lock.packages.len(), rows.len(), "{file}: package count");
    let dir = path.rsplit_once('/').unwrap().0;
    for (i, (id, kind, checksum, deps)) in rows.iter().enumerate() {
        let p = &lock.packages[i];
        assert_eq!(label(&lock, i), *id, "{file}: package #{i}");
        assert_eq!(p.source.kind(), *kind, "{file}: source kind of `{id}`");
        if *kind == "path" {
            assert_eq!(p.source, PackageSource::Path { dir: dir.to_owned() }, "{file}: `{id}`");
        }
        let want = checksum.map(|c| Checksum::Sha256(c.to_owned()));
        assert_eq!(p.checksum().cloned(), want, "{file}: checksum of `{id}`");
        let mut got: Vec<String> = p.dependencies.iter().map(|&j| label(&lock, j)).collect();
        got.sort();
        let mut want: Vec<String> = deps.iter().map(|d| (*d).to_owned()).collect();
        want.sort();
        assert_eq!(got, want, "{file}: dependencies of `{id}`");
    }
    lock
}

fn spans(lock: &Lockfile) -> Vec<(String, Option<LineSpan>)> {
    (0..lock.packages.len()).map(|i| (label(lock, i), lock.packages[i].lines)).collect()
}

fn span_rows(rows: &[(&str, usize, usize)]) -> Vec<(String, Option<LineSpan>)> {
    rows.iter().map(|(id, start, end)| ((*id).to_owned(), Some(LineSpan { start: *start, end: *end }))).collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Valid fixtures: version, packages, kinds, edges, checksums, spans.
// ---------------------------------------------------------------------------------------------

#[test]
fn v1_root_has_root_table_first_and_metadata_checksums() {
    let lock = check_fixture(
        "v1-root.lock",
        LockVersion::V1,
        &[
            ("app 0.1.0", "path", None, &["aho-corasick 0.7.20", "cfg-if 1.0.5"]),
            ("aho-corasick 0.7.20", "registry", Some(AHO_0_7_20), &["memchr 2.8.3"]),
            ("cfg-if 1.0.5", "registry", Some(CFG_IF), &[]),
            ("memchr 2.8.3", "registry", Some(MEMCHR), &[]),
        ],
    );
    assert_eq!(lock.root, Some(0), "the `[root]` table is package 0");
    assert_eq!(
        spans(&lock),
        span_rows(&[
            ("app 0.1.0", 1, 7),
            ("aho-corasick 0.7.20", 9, 15),
            ("cfg-if 1.0.5", 17, 20),
            ("memchr 2.8.3", 22, 25)
        ])
    );
}

#[test]
fn v1_metadata_checksums_go_to_the_right_versions() {
    let lock = check_fixture(
        "v1-metadata.lock",
        LockVersion::V1,
        &[
            ("app 0.1.0", "path", None, &["helper 0.1.0", "itoa 0.4.8", "ryu 1.0.23"]),
            ("helper 0.1.0", "path", None, &["itoa 1.0.18"]),
            ("itoa 0.4.8", "registry", Some(ITOA_0_4_8), &[]),
            ("itoa 1.0.18", "registry", Some(ITOA_1_0_18), &[]),
            ("ryu 1.0.23", "registry", Some(RYU), &[]),
        ],
    );
    assert_eq!(lock.root, None, "no `[root]` table");
}

#[test]
fn v1_metadata_none_checksum_is_accepted_and_left_empty() {
    // Old cargo wrote `<none>` for packages without a checksum.
    let text = r#"[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "itoa 1.0.18 (registry+https://github.com/rust-lang/crates.io-index)",
 "ryu 1.0.23 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "itoa"
version = "1.0.18"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "ryu"
version = "1.0.23"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum itoa 1.0.18 (registry+https://github.com/rust-lang/crates.io-index)" = "<none>"
"checksum ryu 1.0.23 (registry+https://github.com/rust-lang/crates.io-index)" = "9774ba4a74de5f7b1c1451ed6cd5285a32eddb5cccb8cc655a4e50009e06477f"
"#;
    let lock = parse("Cargo.lock", text).unwrap();
    assert_eq!(lock.version, LockVersion::V1);
    assert_eq!(find(&lock, "itoa 1.0.18").checksum().cloned(), None);
    assert_eq!(find(&lock, "ryu 1.0.23").checksum().cloned(), Some(Checksum::Sha256(RYU.to_owned())));
    assert_eq!(find(&lock, "app 0.1.0").checksum().cloned(), None);
}

#[test]
fn v1_metadata_checksum_with_bad_hex_is_an_error_at_its_line() {
    let text = r#"[[package]]
name = "itoa"
version = "1.0.18"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum itoa 1.0.18 (registry+https://github.com/rust-lang/crates.io-index)" = "xyz"
"#;
    let err = parse("Cargo.lock", text).unwrap_err();
    assert_eq!(err.line, Some(7));
    assert!(matches!(&err.kind, ResolveErrorKind::InvalidChecksum { checksum, .. } if checksum == "xyz"), "{err:?}");
}

#[test]
fn v2_abbreviated_edges_pick_the_named_version() {
    check_fixture(
        "v2.lock",
        LockVersion::V2,
        &[
            ("aho-corasick 1.1.5", "registry", Some(AHO_1_1_5), &["memchr 2.8.3"]),
            ("app 0.1.0", "path", None, &["aho-corasick 1.1.5", "itoa 0.4.8", "mylib 0.1.0"]),
            ("itoa 0.4.8", "registry", Some(ITOA_0_4_8), &[]),
            ("itoa 1.0.18", "registry", Some(ITOA_1_0_18), &[]),
            ("memchr 2.8.3", "registry", Some(MEMCHR), &[]),
            ("mylib 0.1.0", "path", None, &["itoa 1.0.18"]),
        ],
    );
}

#[test]
fn v3_packages_and_edges() {
    check_fixture(
        "v3.lock",
        LockVersion::V3,
        &[
            ("app 0.1.0", "path", None, &["cfg-if 1.0.5", "proc-macro2 1.0.107"]),
            ("cfg-if 1.0.5", "registry", Some(CFG_IF), &[]),
            ("proc-macro2 1.0.107", "registry", Some(PROC_MACRO2), &["unicode-ident 1.0.27"]),
            ("unicode-ident 1.0.27", "registry", Some(UNICODE_IDENT), &[]),
        ],
    );
}

const V4_ROWS: &[Row] = &[
    ("aho-corasick 1.1.5", "registry", Some(AHO_1_1_5), &["memchr 2.8.3"]),
    ("app 0.1.0", "path", None, &["aho-corasick 1.1.5", "itoa 1.0.18"]),
    ("itoa 1.0.18", "registry", Some(ITOA_1_0_18), &[]),
    ("memchr 2.8.3", "registry", Some(MEMCHR), &[]),
];

#[test]
fn v4_packages_edges_and_spans() {
    let lock = check_fixture("v4.lock", LockVersion::V4, V4_ROWS);
    assert_eq!(lock.root, None);
    assert_eq!(
        spans(&lock),
        span_rows(&[
            ("aho-corasick 1.1.5", 5, 12),
            ("app 0.1.0", 14, 20),
            ("itoa 1.0.18", 22, 26),
            ("memchr 2.8.3", 28, 32)
        ])
    );
}

#[test]
fn crlf_line_endings_give_the_same_packages_and_spans() {
    let (_, text) = fixture("v4.lock");
    let crlf = text.replace('\n', "\r\n");
    let lock = parse("Cargo.lock", &crlf).unwrap();
    let (_, lf) = parse_fixture("v4.lock");
    assert_eq!(spans(&lock), spans(&lf));
    assert_eq!(
        lock.packages.iter().map(|p| &p.checksums).collect::<Vec<_>>(),
        lf.packages.iter().map(|p| &p.checksums).collect::<Vec<_>>()
    );
}

#[test]
fn with_comments_matches_v4_and_spans_skip_comments_and_blank_lines() {
    let lock = check_fixture("with-comments.lock", LockVersion::V4, V4_ROWS);
    assert_eq!(
        spans(&lock),
        span_rows(&[
            ("aho-corasick 1.1.5", 5, 12),
            ("app 0.1.0", 16, 23),
            ("itoa 1.0.18", 25, 29),
            ("memchr 2.8.3", 33, 37)
        ])
    );
}

#[test]
fn git_source_packages_and_edges() {
    check_fixture(
        "git-source.lock",
        LockVersion::V4,
        &[
            ("alpha 0.1.0", "git", None, &[]),
            ("app 0.1.0", "path", None, &["alpha 0.1.0", "beta 0.1.0", "delta 0.1.0", "gamma 0.1.0", "itoa 1.0.18"]),
            ("beta 0.1.0", "git", None, &[]),
            ("delta 0.1.0", "git", None, &[]),
            ("gamma 0.1.0", "git", None, &[]),
            ("itoa 1.0.18", "registry", Some(ITOA_1_0_18), &[]),
        ],
    );
}

#[test]
fn alt_registry_packages_and_edges() {
    check_fixture(
        "alt-registry.lock",
        LockVersion::V4,
        &[
            ("app 0.1.0", "path", None, &["cfg-if 1.0.5", "internal-utils 0.3.1", "itoa 1.0.18", "private-log 0.2.0"]),
            ("cfg-if 1.0.5", "registry", Some(CFG_IF), &[]),
            ("internal-utils 0.3.1", "registry", Some(INTERNAL_UTILS), &["itoa 1.0.18"]),
            ("itoa 1.0.18", "registry", Some(ITOA_1_0_18), &[]),
            ("private-log 0.2.0", "registry", Some(PRIVATE_LOG), &["cfg-if 1.0.5"]),
        ],
    );
}

#[test]
fn local_path_keeps_the_a_b_cycle() {
    let lock = check_fixture(
        "local-path.lock",
        LockVersion::V4,
        &[
            ("crate-a 0.1.0", "path", None, &["crate-b 0.1.0", "itoa 1.0.18"]),
            ("crate-b 0.1.0", "path", None, &["crate-a 0.1.0", "itoa 1.0.18"]),
            ("itoa 1.0.18", "registry", Some(ITOA_1_0_18), &[]),
        ],
    );
    assert!(lock.packages[0].dependencies.contains(&1) && lock.packages[1].dependencies.contains(&0));
}

#[test]
fn duplicate_versions_resolve_by_version_and_by_source_without_fragment() {
    let lock = check_fixture(
        "duplicate-versions.lock",
        LockVersion::V4,
        &[
            ("app 0.1.0", "path", None, &["itoa 1.0.18", "itoa 1.0.18", "syn 1.0.109", "syn 2.0.119"]),
            ("itoa 1.0.18", "registry", Some(ITOA_1_0_18), &[]),
            ("itoa 1.0.18", "git", None, &[]),
            ("proc-macro2 1.0.107", "registry", Some(PROC_MACRO2), &["unicode-ident 1.0.27"]),
            ("quote 1.0.47", "registry", Some(QUOTE), &["proc-macro2 1.0.107"]),
            ("syn 1.0.109", "registry", Some(SYN_1), &["proc-macro2 1.0.107", "quote 1.0.47", "unicode-ident 1.0.27"]),
            ("syn 2.0.119", "registry", Some(SYN_2), &["proc-macro2 1.0.107", "quote 1.0.47", "unicode-ident 1.0.27"]),
            ("unicode-ident 1.0.27", "registry", Some(UNICODE_IDENT), &[]),
        ],
    );
    // app's two itoa edges are the registry one (index 1) and the git fork (index 2).
    let app_itoa: BTreeSet<&str> = lock.packages[0]
        .dependencies
        .iter()
        .filter(|&&j| j == 1 || j == 2)
        .map(|&j| lock.packages[j].source.kind())
        .collect();
    assert_eq!(app_itoa, BTreeSet::from(["git", "registry"]));
    assert_eq!(
        lock.packages[2].source,
        PackageSource::Git {
            url: "https://github.com/example-org/itoa-fork".to_owned(),
            reference: Some(GitReference::Branch("main".to_owned())),
            commit: Some("d5f0da09898bcd86d4d1ea55bad164eeabe5df6b".to_owned()),
        }
    );
    assert_eq!(
        spans(&lock),
        span_rows(&[
            ("app 0.1.0", 5, 13),
            ("itoa 1.0.18", 15, 19),
            ("itoa 1.0.18", 21, 24),
            ("proc-macro2 1.0.107", 26, 33),
            ("quote 1.0.47", 35, 42),
            ("syn 1.0.109", 44, 53),
            ("syn 2.0.119", 55, 64),
            ("unicode-ident 1.0.27", 66, 70),
        ])
    );
}

#[test]
fn empty_lockfile_has_no_packages() {
    check_fixture("empty.lock", LockVersion::V4, &[]);
}

#[test]
fn one_package_lockfile() {
    let lock = check_fixture("one-package.lock", LockVersion::V4, &[("solo 0.1.0", "path", None, &[])]);
    assert_eq!(spans(&lock), span_rows(&[("solo 0.1.0", 5, 7)]));
}

#[test]
fn crates_io_registry_packages_are_the_default_registry() {
    for file in [
        "v1-root.lock",
        "v1-metadata.lock",
        "v2.lock",
        "v3.lock",
        "v4.lock",
        "git-source.lock",
        "local-path.lock",
        "duplicate-versions.lock",
        "with-comments.lock",
    ] {
        let (_, lock) = parse_fixture(file);
        for p in lock.packages.iter().filter(|p| p.source.kind() == "registry") {
            assert_eq!(
                p.source,
                PackageSource::Registry { url: CRATES_IO.to_owned(), sparse: false, default_registry: true },
                "{file}: {} {}",
                p.name,
                p.version
            );
            assert_eq!(p.purl(), Some(format!("pkg:cargo/{}@{}", p.name, p.version)), "{file}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Sources and purls.
// ---------------------------------------------------------------------------------------------

#[test]
fn git_sources_split_url_reference_and_commit() {
    let (_, lock) = parse_fixture("git-source.lock");
    let git = |name: &str, reference: Option<GitReference>, commit: &str| PackageSource::Git {
        url: format!("https://github.com/example-org/{name}"),
        reference,
        commit: Some(commit.to_owned()),
    };
    assert_eq!(
        find(&lock, "alpha 0.1.0").source,
        git("alpha", Some(GitReference::Branch("main".into())), "fb4c56f0389fa40bf3173afad1a522ba679534f2")
    );
    assert_eq!(
        find(&lock, "beta 0.1.0").source,
        git("beta", Some(GitReference::Tag("v1.0.0".into())), "872777c7125605ab5988734fc7c9aa90a3228501")
    );
    assert_eq!(
        find(&lock, "gamma 0.1.0").source,
        git("gamma", Some(GitReference::Rev("abc1234".into())), "abc1234f4cecab78a8e125c59466b02e7bd1cc9a")
    );
    // No query at all: no reference, the commit is still read.
    assert_eq!(find(&lock, "delta 0.1.0").source, git("delta", None, "e87588d5d9c6dee62b7494f62e2b661aa21a816c"));
}

#[test]
fn git_purls_carry_vcs_url_with_the_commit() {
    let (_, lock) = parse_fixture("git-source.lock");
    for (name, commit) in [
        ("alpha", "fb4c56f0389fa40bf3173afad1a522ba679534f2"),
        ("beta", "872777c7125605ab5988734fc7c9aa90a3228501"),
        ("delta", "e87588d5d9c6dee62b7494f62e2b661aa21a816c"),
        ("gamma", "abc1234f4cecab78a8e125c59466b02e7bd1cc9a"),
    ] {
        let purl = find(&lock, &format!("{name} 0.1.0")).purl().unwrap();
        assert_eq!(
            purl,
            format!("pkg:cargo/{name}@0.1.0?vcs_url=git%2Bhttps://github.com/example-org/{name}%40{commit}")
        );
        assert!(purl.starts_with(&format!("pkg:cargo/{name}@0.1.0?vcs_url=git%2B")), "{purl}");
        assert!(purl.contains(&format!("github.com/example-org/{name}%40{commit}")), "{purl}");
        assert!(purl.ends_with(&format!("%40{commit}")), "{purl}");
        // The query (`?branch=`...) and fragment are not part of the vcs_url.
        assert!(!purl.contains("branch") && !purl.contains("tag%3D") && !purl.contains("rev%3D"), "{purl}");
        assert_eq!(purl.matches('?').count(), 1, "{purl}");
        assert!(!purl.contains('#'), "{purl}");
    }
}

#[test]
fn alt_registry_sources_and_purls() {
    let (_, lock) = parse_fixture("alt-registry.lock");

    let internal = find(&lock, "internal-utils 0.3.1");
    assert_eq!(
        internal.source,
        PackageSource::Registry {
            url: "https://my-registry.example.com/index".to_owned(),
            sparse: false,
            default_registry: false,
        }
    );
    assert!(!internal.source.is_default_registry());
    assert_eq!(
        internal.purl().as_deref(),
        Some("pkg:cargo/internal-utils@0.3.1?repository_url=https://my-registry.example.com/index")
    );

    let itoa = find(&lock, "itoa 1.0.18");
    assert_eq!(
        itoa.source,
        PackageSource::Registry { url: "https://index.crates.io/".to_owned(), sparse: true, default_registry: true }
    );
    assert_eq!(itoa.purl().as_deref(), Some("pkg:cargo/itoa@1.0.18"));

    let cfg_if = find(&lock, "cfg-if 1.0.5");
    assert!(cfg_if.source.is_default_registry());
    assert_eq!(cfg_if.purl().as_deref(), Some("pkg:cargo/cfg-if@1.0.5"));

    let private = find(&lock, "private-log 0.2.0");
    assert_eq!(
        private.source,
        PackageSource::Registry {
            url: "https://cargo.cloudsmith.io/org/repo/".to_owned(),
            sparse: true,
            default_registry: false,
        }
    );
    assert_eq!(
        private.purl().as_deref(),
        Some("pkg:cargo/private-log@0.2.0?repository_url=https://cargo.cloudsmith.io/org/repo/")
    );
}

#[test]
fn path_packages_have_no_purl_and_a_path_id() {
    for file in ["v4.lock", "local-path.lock", "git-source.lock", "alt-registry.lock", "one-package.lock"] {
        let (path, lock) = parse_fixture(file);
        let paths: Vec<_> = lock.packages.iter().filter(|p| p.source.kind() == "path").collect();
        assert!(!paths.is_empty(), "{file}");
        for p in paths {
            assert_eq!(p.purl(), None, "{file}: {}", p.name);
            assert_eq!(p.id(), format!("path:{FIXTURE_DIR}#{}@{}", p.name, p.version), "{file} ({path})");
        }
    }
}

#[test]
fn parse_source_rejects_unknown_kinds_and_bad_commits() {
    use chainward::resolve::cargo::parse_source;
    assert!(parse_source("path+file:///tmp/x").is_err());
    assert!(parse_source("registry+not-a-url").is_err());
    assert!(parse_source("git+https://example.com/r#zzzzzzz").is_err());
    assert!(parse_source("git+https://example.com/r#abc").is_err(), "too short for a commit");
    // cargo's `SourceId` ignores query keys it does not know (and reads `ref` as a branch).
    assert_eq!(
        parse_source("git+https://example.com/r?frobnicate=1#abcdef0").unwrap(),
        PackageSource::Git {
            url: "https://example.com/r".to_owned(),
            reference: None,
            commit: Some("abcdef0".to_owned())
        }
    );
    assert_eq!(
        parse_source("git+https://example.com/r?branch=a%2Fb").unwrap(),
        PackageSource::Git {
            url: "https://example.com/r".to_owned(),
            reference: Some(GitReference::Branch("a/b".to_owned())),
            commit: None,
        }
    );
    assert_eq!(
        parse_source("sparse+https://index.crates.io").unwrap(),
        PackageSource::Registry { url: "https://index.crates.io".to_owned(), sparse: true, default_registry: true }
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Bad fixtures: the right error kind, path and line.
// ---------------------------------------------------------------------------------------------

/// Every bad fixture, its expected line (as the CLI reports it) and a check of its kind.
#[test]
fn bad_fixtures_fail_with_kind_path_and_line() {
    type KindCheck = fn(&ResolveErrorKind) -> bool;
    let cases: &[(&str, usize, KindCheck)] = &[
        ("malformed-toml.lock", 23, |k| matches!(k, ResolveErrorKind::Syntax(m) if m.contains("string"))),
        ("dangling-edge.lock", 20, |k| {
            *k == ResolveErrorKind::DanglingDependency {
                package: "app 0.1.0".to_owned(),
                dependency: "nonexistent".to_owned(),
            }
        }),
        ("ambiguous-edge.lock", 10, |k| {
            matches!(k, ResolveErrorKind::AmbiguousDependency { package, dependency, candidates }
                if package == "app 0.1.0" && dependency == "syn"
                    && candidates.contains("syn 1.0.109") && candidates.contains("syn 2.0.119"))
        }),
        ("bad-checksum.lock", 22, |k| {
            *k == ResolveErrorKind::InvalidChecksum {
                package: "itoa 1.0.18".to_owned(),
                checksum: ITOA_1_0_18[..63].to_owned(),
            }
        }),
        ("duplicate-package.lock", 28, |k| *k == ResolveErrorKind::DuplicatePackage("itoa 1.0.18".to_owned())),
        ("future-version.lock", 3, |k| *k == ResolveErrorKind::UnsupportedVersion("99".to_owned())),
        // The kind is checked in `missing_version_field_is_an_invalid_package`.
        ("missing-version-field.lock", 28, |_| true),
        ("bad-v1-metadata.lock", 38, |k| {
            *k == ResolveErrorKind::UnknownChecksumEntry(
                "serde 1.0.229 (registry+https://github.com/rust-lang/crates.io-index)".to_owned(),
            )
        }),
    ];
    for (file, line, check) in cases {
        let (path, err) = parse_err(file);
        assert_eq!(err.path, path, "{file}: path");
        assert_eq!(err.line, Some(*line), "{file}: line ({err})");
        assert!(check(&err.kind), "{file}: unexpected kind {:?}", err.kind);
        let shown = err.to_string();
        assert!(shown.starts_with(&format!("{path}:{line}: ")), "{file}: {shown}");
        assert!(shown.contains(&format!("{file}:{line}:")), "{file}: {shown}");
    }
}

#[test]
fn bad_fixtures_fail_the_same_way_through_the_resolver() {
    // Through `Resolver::resolve` (as the CLI reads them), with the lockfile's own name.
    let dir = crate_dir().join(FIXTURE_DIR);
    let tree = chainward::source::WorkTree::new(&dir);
    for (file, line) in [("dangling-edge.lock", 20), ("bad-checksum.lock", 22), ("future-version.lock", 3)] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let err = CargoLockResolver.resolve(&tree, file, &bytes, &ResolveOptions::default()).unwrap_err();
        assert_eq!((err.path.as_str(), err.line), (file, Some(line)));
    }
}

#[test]
fn missing_version_field_is_an_invalid_package() {
    let (path, err) = parse_err("missing-version-field.lock");
    assert_eq!(err.path, path);
    assert_eq!(err.line, Some(28));
    assert!(matches!(&err.kind, ResolveErrorKind::InvalidPackage(m) if m.contains("version")), "{:?}", err.kind);
}

#[test]
fn future_version_names_the_version() {
    let (_, err) = parse_err("future-version.lock");
    assert!(err.to_string().contains("unsupported lockfile version 99"), "{err}");
    // Newer integers are "unsupported" (a newer cargo); what no cargo ever wrote (0, negative,
    // not an integer) is "invalid", never blamed on a newer cargo.
    let err = parse("Cargo.lock", "version = 5\n").unwrap_err();
    assert!(matches!(err.kind, ResolveErrorKind::UnsupportedVersion(_)), "{err:?}");
    for v in ["0", "-1", "\"4\"", "4.0"] {
        let err = parse("Cargo.lock", &format!("version = {v}\n")).unwrap_err();
        assert!(matches!(err.kind, ResolveErrorKind::InvalidVersion(_)), "version = {v}: {err:?}");
        assert!(!err.to_string().contains("newer cargo"), "{err}");
        assert_eq!(err.line, Some(1), "version = {v}");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. No panic on garbage.
// ---------------------------------------------------------------------------------------------

#[test]
fn garbage_never_panics() {
    let nested = format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let nested_tables = format!("x = {}1{}\n", "{ a = ".repeat(100_000), " }".repeat(100_000));
    let inputs: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("whitespace", " \n\t\r\n".to_owned()),
        ("binary-ish", "\u{0}\u{1}\u{7f}\u{fffd}\u{1b}[31m\u{feff}PK\u{3}\u{4}".to_owned()),
        ("only a header", "[[package]]\n".to_owned()),
        ("header with junk", "[[package]]\n\u{0}\u{0}\n".to_owned()),
        ("package = 5", "package = 5\n".to_owned()),
        ("package = string", "package = \"x\"\n".to_owned()),
        ("root = []", "root = []\n".to_owned()),
        ("metadata = 1", "metadata = 1\n".to_owned()),
        ("metadata value not string", "[metadata]\n\"checksum a 1 (registry+https://x/)\" = 1\n".to_owned()),
        ("dependencies not array", "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = \"b\"\n".to_owned()),
        ("dependencies of ints", "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [1, 2]\n".to_owned()),
        ("version float", "[[package]]\nname = \"a\"\nversion = 1.5\n".to_owned()),
        ("top version float", "version = 1.5\n".to_owned()),
        ("dependency of spaces", "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"   \"]\n".to_owned()),
        ("empty dependency", "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"\"]\n".to_owned()),
        ("dependency paren only", "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\" (\"]\n".to_owned()),
        ("empty name", "[[package]]\nname = \"\"\nversion = \"1\"\n".to_owned()),
        ("huge top version", "version = 99999999999999999999999999\n".to_owned()),
        ("i64 max version", format!("version = {}\n", i64::MAX)),
        ("i64 min version", format!("version = {}\n", i64::MIN)),
        ("huge package version", format!("[[package]]\nname = \"a\"\nversion = \"{}\"\n", "9".repeat(10_000))),
        ("deeply nested arrays", nested.clone()),
        ("deeply nested inline tables", nested_tables.clone()),
        ("deeply nested deps", format!("[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = {nested}")),
        ("git no url", "[[package]]\nname = \"a\"\nversion = \"1\"\nsource = \"git+\"\n".to_owned()),
        ("git empty fragment", "[[package]]\nname = \"a\"\nversion = \"1\"\nsource = \"git+https://x/#\"\n".to_owned()),
        (
            "git bad percent",
            "[[package]]\nname = \"a\"\nversion = \"1\"\nsource = \"git+https://x/?branch=%FF%#abcdef0\"\n".to_owned(),
        ),
        ("multibyte source", "[[package]]\nname = \"é\"\nversion = \"1\"\nsource = \"ü+日本\"\n".to_owned()),
        ("inline packages", "package = [{ name = \"a\", version = \"1\" }]\n".to_owned()),
        ("root and no packages", "[root]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b\"]\n".to_owned()),
        ("header in string", "[[package]]\nname = \"\"\"\n[[package]]\n\"\"\"\nversion = \"1\"\n".to_owned()),
        ("self edge", "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"a\"]\n".to_owned()),
        ("crlf", "version = 4\r\n\r\n[[package]]\r\nname = \"a\"\r\nversion = \"1\"\r\n".to_owned()),
        ("unterminated header", "[[package\n".to_owned()),
        ("many headers", "[[package]]\n".repeat(5_000)),
    ];
    let mut panicked = Vec::new();
    for (what, text) in &inputs {
        let result = std::panic::catch_unwind(|| parse("Cargo.lock", text));
        match result {
            Err(_) => panicked.push(*what),
            Ok(Err(e)) => {
                assert_eq!(e.path, "Cargo.lock", "{what}");
                // A line, when given, is within the file.
                if let Some(line) = e.line {
                    assert!(line >= 1 && line <= text.lines().count().max(1), "{what}: line {line}");
                }
            }
            Ok(Ok(lock)) => {
                for p in &lock.packages {
                    assert!(p.dependencies.iter().all(|&j| j < lock.packages.len()), "{what}");
                }
            }
        }
    }
    assert!(panicked.is_empty(), "parse panicked on: {panicked:?}");
}

#[test]
fn garbage_gets_the_expected_error_kinds() {
    let syntax = |text: &str| matches!(parse("Cargo.lock", text).unwrap_err().kind, ResolveErrorKind::Syntax(_));
    assert!(matches!(parse("Cargo.lock", "[[package]]\n").unwrap_err().kind, ResolveErrorKind::InvalidPackage(_)));
    assert!(syntax("package = 5\n"));
    assert!(syntax("[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = \"b\"\n"));
    assert!(syntax("[[package]]\nname = \"a\"\nversion = 1.5\n"));
    assert!(syntax("\u{0}\u{1}"));
    let spaces =
        parse("Cargo.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"   \"]\n").unwrap_err();
    assert!(matches!(spaces.kind, ResolveErrorKind::DanglingDependency { .. }), "{spaces:?}");
    assert_eq!(spaces.line, Some(4));
    let empty_name = parse("Cargo.lock", "[[package]]\nname = \" \"\nversion = \"1\"\n").unwrap_err();
    assert!(matches!(empty_name.kind, ResolveErrorKind::InvalidPackage(_)), "{empty_name:?}");
    assert_eq!(empty_name.line, Some(1));
    let deep = format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let deep = parse("Cargo.lock", &deep).unwrap_err();
    assert!(matches!(deep.kind, ResolveErrorKind::Syntax(_)), "{deep:?}");
    assert_eq!(deep.line, Some(1));
    let source = parse("Cargo.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\nsource = \"ftp://x\"\n").unwrap_err();
    assert!(matches!(source.kind, ResolveErrorKind::InvalidSource { .. }), "{source:?}");
    assert_eq!(source.line, Some(1));
}

#[test]
fn invalid_utf8_through_the_resolver_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(crate_dir().join(FIXTURE_DIR).join("v4.lock")).unwrap();
    bytes.extend_from_slice(b"\n# \xff\xfe\xc3\x28\n");
    std::fs::write(dir.path().join("Cargo.lock"), &bytes).unwrap();
    let tree = chainward::source::WorkTree::new(dir.path());
    let err = CargoLockResolver.resolve(&tree, "Cargo.lock", &bytes, &ResolveOptions::default()).unwrap_err();
    assert_eq!(err.kind, ResolveErrorKind::NotUtf8);
    assert_eq!(err.path, "Cargo.lock");

    // And through the whole pipeline: recorded as an error, not a failed run.
    let resolution = resolve_tree(&open(dir.path()).unwrap(), &no_excludes(), &ResolveOptions::default()).unwrap();
    assert!(resolution.resolved.is_empty());
    assert_eq!(resolution.errors.len(), 1);
    assert_eq!(resolution.errors[0].kind, ResolveErrorKind::NotUtf8);
}

// ---------------------------------------------------------------------------------------------
// 5. Projects.
// ---------------------------------------------------------------------------------------------

fn project(name: &str) -> PathBuf {
    crate_dir().join("testdata/projects").join(name)
}

fn no_excludes() -> Excludes {
    Excludes::new(&[]).unwrap()
}

fn resolve_dir(dir: &Path, excludes: &Excludes) -> Resolution {
    let tree = open(dir).unwrap();
    resolve_tree(&tree, excludes, &ResolveOptions::default()).unwrap()
}

fn index_of(r: &Resolved, name: &str) -> usize {
    let found: Vec<usize> = (0..r.packages.len()).filter(|&i| r.packages[i].name == name).collect();
    assert_eq!(found.len(), 1, "`{name}` in {}", r.path);
    found[0]
}

/// What the manifests say about a package: version, first party, direct, scope, reached by.
type Facts<'a> = (&'a str, bool, bool, Option<Scope>, BTreeSet<DependencyKind>);

#[test]
fn workspace_members_scopes_and_root() {
    let resolution = resolve_dir(&project("workspace"), &no_excludes());
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert!(resolution.warnings.is_empty(), "{:?}", resolution.warnings);
    assert_eq!(resolution.name, "workspace");
    assert_eq!(resolution.resolved.len(), 1);
    let r = &resolution.resolved[0];
    assert_eq!(r.path, "Cargo.lock");
    assert_eq!(r.packages.len(), 7);

    // name -> (version, first_party, direct, scope, reached_by)
    let facts: BTreeMap<&str, Facts<'_>> = r
        .packages
        .iter()
        .map(|p| (p.name.as_str(), (p.version.as_str(), p.first_party, p.direct, p.scope, p.reached_by.clone())))
        .collect();
    let none = BTreeSet::new;
    let req = Some(Scope::Required);
    let exc = Some(Scope::Excluded);
    let want: BTreeMap<&str, Facts<'_>> = BTreeMap::from([
        ("app", ("0.1.0", true, false, req, none())),
        ("lib-core", ("0.1.0", true, false, req, none())),
        ("itoa", ("1.0.18", false, true, req, none())),
        ("memchr", ("2.8.3", false, true, req, none())),
        ("hex", ("0.4.3", false, true, req, none())),
        ("ryu", ("1.0.23", false, true, exc, BTreeSet::from([DependencyKind::Dev]))),
        ("cfg-if", ("1.0.5", false, true, exc, BTreeSet::from([DependencyKind::Build]))),
    ]);
    assert_eq!(facts, want);

    let app = index_of(r, "app");
    let lib_core = index_of(r, "lib-core");
    assert_eq!(r.packages[app].source, PackageSource::Path { dir: "crates/app".to_owned() });
    assert_eq!(r.packages[lib_core].source, PackageSource::Path { dir: "crates/lib-core".to_owned() });
    assert_eq!(r.packages[app].id(), "path:crates/app#app@0.1.0");
    // The renamed `hex-codec = { package = "hex" }` is lib-core's edge to `hex`.
    assert_eq!(r.packages[lib_core].dependencies, BTreeSet::from([index_of(r, "hex")]));
    // Registry packages keep their checksums.
    assert_eq!(
        r.packages[index_of(r, "hex")].checksum().cloned(),
        Some(Checksum::Sha256("7f24254aa9a54b5c858eaee2f5bccdb46aaf0e486a595ed5fd8f86ba55232a70".to_owned()))
    );
    assert_eq!(
        r.root,
        RootComponent::Synthetic { name: "workspace".to_owned(), depends_on: BTreeSet::from([app, lib_core]) }
    );
}

#[test]
fn workspace_graph_root_depends_on_both_members() {
    let resolution = resolve_dir(&project("workspace"), &no_excludes());
    let graph = Graph::merge(resolution.resolved, &resolution.name);
    assert_eq!(graph.root.id, "workspace:.");
    assert_eq!(graph.root.node.as_ref().map(|n| n.id.clone()), None);
    assert_eq!(
        graph.root.depends_on,
        BTreeSet::from(["path:crates/app#app@0.1.0".to_owned(), "path:crates/lib-core#lib-core@0.1.0".to_owned()])
    );
    assert_eq!(graph.nodes.len(), 7);
}

#[test]
fn monorepo_discovery_skips_ignored_and_target() {
    let tree = open(&project("monorepo")).unwrap();
    let registry = chainward::resolve::registry();
    let found: Vec<String> =
        chainward::discover::discover(&tree, &registry, &no_excludes()).unwrap().into_iter().map(|d| d.path).collect();
    assert_eq!(found, ["svc-a/Cargo.lock", "tools/svc-b/Cargo.lock"]);

    let resolution = resolve_dir(&project("monorepo"), &no_excludes());
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let paths: Vec<&str> = resolution.resolved.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["svc-a/Cargo.lock", "tools/svc-b/Cargo.lock"]);
    let names: BTreeSet<&str> =
        resolution.resolved.iter().flat_map(|r| r.packages.iter().map(|p| p.name.as_str())).collect();
    assert_eq!(names, BTreeSet::from(["itoa", "ryu", "svc-a", "svc-b"]));
    for r in &resolution.resolved {
        let root = match r.root {
            RootComponent::Package(i) => &r.packages[i],
            RootComponent::Synthetic { .. } => panic!("{}: a package manifest gives a package root", r.path),
        };
        let dir = r.path.strip_suffix("/Cargo.lock").unwrap();
        assert_eq!(root.source, PackageSource::Path { dir: dir.to_owned() });
        assert_eq!(root.scope, Some(Scope::Required));
    }
}

#[test]
fn monorepo_exclude_drops_svc_b() {
    let resolution = resolve_dir(&project("monorepo"), &Excludes::new(&["tools".into()]).unwrap());
    let paths: Vec<&str> = resolution.resolved.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["svc-a/Cargo.lock"]);
    let resolution = resolve_dir(&project("monorepo"), &Excludes::new(&["tools/svc-b".into()]).unwrap());
    let paths: Vec<&str> = resolution.resolved.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["svc-a/Cargo.lock"]);
}

#[test]
fn monorepo_graph_merges_shared_packages() {
    let resolution = resolve_dir(&project("monorepo"), &no_excludes());
    assert_eq!(resolution.name, "monorepo");
    let graph = Graph::merge(resolution.resolved, &resolution.name);
    let ids: Vec<&str> = graph.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        ids,
        ["path:svc-a#svc-a@0.1.0", "path:tools/svc-b#svc-b@0.1.0", "pkg:cargo/itoa@1.0.18", "pkg:cargo/ryu@1.0.23"]
    );
    let itoa = graph.nodes.iter().find(|n| n.id == "pkg:cargo/itoa@1.0.18").unwrap();
    let span = Some(LineSpan { start: 5, end: 9 });
    assert_eq!(
        itoa.lockfiles.iter().map(|(p, l)| (p.clone(), *l)).collect::<BTreeMap<_, _>>(),
        BTreeMap::from([("svc-a/Cargo.lock".to_owned(), span), ("tools/svc-b/Cargo.lock".to_owned(), span)])
    );
    assert_eq!(itoa.package.scope, Some(Scope::Required));
    let ryu = graph.nodes.iter().find(|n| n.id == "pkg:cargo/ryu@1.0.23").unwrap();
    assert_eq!(ryu.lockfiles.keys().collect::<Vec<_>>(), ["tools/svc-b/Cargo.lock"]);

    assert_eq!(graph.root.id, "root:monorepo");
    assert!(graph.root.node.is_none());
    assert_eq!(
        graph.root.depends_on,
        BTreeSet::from(["path:svc-a#svc-a@0.1.0".to_owned(), "path:tools/svc-b#svc-b@0.1.0".to_owned()])
    );
    let svc_b = graph.nodes.iter().find(|n| n.id == "path:tools/svc-b#svc-b@0.1.0").unwrap();
    assert_eq!(
        svc_b.depends_on,
        BTreeSet::from(["pkg:cargo/itoa@1.0.18".to_owned(), "pkg:cargo/ryu@1.0.23".to_owned()])
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Missing and malformed manifests.
// ---------------------------------------------------------------------------------------------

#[test]
fn lockfile_without_manifest_has_no_scopes_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate_dir().join(FIXTURE_DIR).join("v4.lock"), dir.path().join("Cargo.lock")).unwrap();
    let resolution = resolve_dir(dir.path(), &no_excludes());
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert_eq!(resolution.resolved.len(), 1);
    let r = &resolution.resolved[0];
    assert_eq!(r.packages.len(), 4);
    for p in &r.packages {
        assert_eq!(p.scope, None, "{}", p.name);
        assert!(p.reached_by.is_empty(), "{}", p.name);
    }
    assert_eq!(resolution.warnings.len(), 1, "{:?}", resolution.warnings);
    let w = &resolution.warnings[0];
    assert_eq!(w.path, "Cargo.lock");
    assert!(w.message.contains("scopes could not be determined"), "{w}");
    assert!(w.message.contains("Cargo.toml"), "{w}");
    // The root is synthetic and depends on the one first-party entry point.
    let app = index_of(r, "app");
    assert!(matches!(&r.root, RootComponent::Synthetic { depends_on, .. } if *depends_on == BTreeSet::from([app])));
}

/// A copy of `testdata/projects/workspace` in a temp dir, with `crates/app/Cargo.toml` broken
/// on line 16 (an unterminated string).
fn workspace_with_broken_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&project("workspace"), dir.path());
    let manifest = dir.path().join("crates/app/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert_eq!(text.lines().nth(15), Some("memchr = \"2\""));
    let broken = text.replace("memchr = \"2\"", "memchr = \"2");
    std::fs::write(&manifest, broken).unwrap();
    dir
}

#[test]
fn malformed_member_manifest_is_an_error_but_packages_resolve() {
    let dir = workspace_with_broken_app();
    let resolution = resolve_dir(dir.path(), &no_excludes());
    assert_eq!(resolution.errors.len(), 1, "{:?}", resolution.errors);
    let err = &resolution.errors[0];
    assert_eq!(err.path, "crates/app/Cargo.toml");
    assert_eq!(err.line, Some(16));
    assert!(matches!(err.kind, ResolveErrorKind::Syntax(_)), "{err:?}");
    assert!(err.to_string().starts_with("crates/app/Cargo.toml:16: "), "{err}");

    assert_eq!(resolution.resolved.len(), 1);
    let r = &resolution.resolved[0];
    let names: BTreeSet<&str> = r.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["app", "cfg-if", "hex", "itoa", "lib-core", "memchr", "ryu"]));
    // The lockfile's edges are all there.
    let app = index_of(r, "app");
    let app_deps: BTreeSet<&str> = r.packages[app].dependencies.iter().map(|&j| r.packages[j].name.as_str()).collect();
    assert_eq!(app_deps, BTreeSet::from(["cfg-if", "itoa", "lib-core", "memchr", "ryu"]));
    // lib-core's manifest is fine: it is still matched as a member.
    let lib_core = index_of(r, "lib-core");
    assert_eq!(r.packages[lib_core].source, PackageSource::Path { dir: "crates/lib-core".to_owned() });
    assert_eq!(r.packages[index_of(r, "hex")].scope, Some(Scope::Required));
}

#[test]

fn malformed_member_manifest_leaves_its_dependencies_unscoped() {
    let dir = workspace_with_broken_app();
    let resolution = resolve_dir(dir.path(), &no_excludes());
    let r = &resolution.resolved[0];
    for name in ["cfg-if", "ryu", "itoa", "memchr"] {
        assert_eq!(r.packages[index_of(r, name)].scope, None, "{name}: app's manifest could not be read");
    }
}

#[test]

fn malformed_member_manifest_keeps_the_member_under_the_root() {
    let dir = workspace_with_broken_app();
    let resolution = resolve_dir(dir.path(), &no_excludes());
    let r = &resolution.resolved[0];
    let (app, lib_core) = (index_of(r, "app"), index_of(r, "lib-core"));
    assert!(
        matches!(&r.root, RootComponent::Synthetic { depends_on, .. } if *depends_on == BTreeSet::from([app, lib_core])),
        "{:?}",
        r.root
    );
}
