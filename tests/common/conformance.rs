//! The osv-scalibr conformance suite (`../shared/conformance/osv-scalibr/`, see its README):
//! each case's fixture copied to its `canonical_name` in a temporary directory, resolved by
//! chainward's library, and compared with the inventory the peer's own tests expect.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// One case of `index.json`.
#[derive(Debug, Clone)]
pub struct Case {
    /// `npm/yarn-v1-commits`
    pub name: String,
    /// The fixture, absolute.
    pub fixture: PathBuf,
    /// `yarn.lock v1`, `pnpm-lock.yaml v9`, ...
    pub format: String,
    /// The file name the package manager writes.
    pub canonical_name: String,
    /// Whether the peer expects extraction to fail.
    pub expects_error: bool,
    /// The peer's policy tags (README, "Peer-specific choices").
    pub peer_choices: Vec<String>,
    /// What the peer expects (without the error marker).
    pub expected: Vec<Expected>,
}

/// One expected package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    /// Name as asserted.
    pub name: String,
    /// Version as asserted (`""` when the peer asserts none).
    pub version: String,
    /// 1-based line, when asserted.
    pub line: Option<usize>,
    /// Dependency groups, when asserted (`["dev"]`).
    pub groups: Vec<String>,
    /// Source commit, when asserted.
    pub commit: Option<String>,
}

/// Every case whose `format` starts with `format_prefix` (`package-lock.json`, `yarn.lock`,
/// `pnpm-lock.yaml`, `bun.lock`); empty (with the note `shared_dir` prints) when `../shared`
/// is absent.
pub fn cases(format_prefix: &str) -> Vec<Case> {
    let Some(shared) = super::shared_dir() else { return Vec::new() };
    let root = shared.join("conformance/osv-scalibr");
    let index: Value = serde_json::from_slice(&std::fs::read(root.join("index.json")).expect("index.json"))
        .expect("index.json is JSON");
    let mut out = Vec::new();
    for entry in index.as_array().expect("index.json is a list") {
        let s = |k: &str| entry.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        if !s("format").starts_with(format_prefix) {
            continue;
        }
        let fixture = root.join(s("path"));
        let dir = fixture.parent().expect("case folder").to_path_buf();
        let expected_doc: Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected.json")).expect("json");
        let expected = expected_doc
            .as_array()
            .expect("expected.json is a list")
            .iter()
            .filter(|e| e.get("error").is_none())
            .map(|e| Expected {
                name: e["name"].as_str().expect("name").to_owned(),
                version: e["version"].as_str().unwrap_or_default().to_owned(),
                line: e.get("line").and_then(Value::as_u64).and_then(|l| usize::try_from(l).ok()),
                groups: e
                    .get("groups")
                    .and_then(Value::as_array)
                    .map(|g| g.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                commit: e.get("commit").and_then(Value::as_str).map(str::to_owned),
            })
            .collect();
        out.push(Case {
            name: s("path").rsplit_once('/').map_or_else(|| s("path"), |(d, _)| d.to_owned()),
            fixture,
            format: s("format"),
            canonical_name: s("canonical_name"),
            expects_error: entry.get("expects_error").and_then(Value::as_bool).unwrap_or(false),
            peer_choices: entry
                .get("peer_choices")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
            expected,
        });
    }
    out
}

impl Case {
    /// Copy the fixture (and any companion files, under their own names) into a new temporary
    /// directory, the fixture under its canonical name. Returns the directory (kept alive by
    /// the returned guard).
    pub fn materialize(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let from = self.fixture.parent().expect("case folder");
        for entry in std::fs::read_dir(from).expect("case folder") {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("file name").to_string_lossy().into_owned();
            if path == self.fixture || name == "expected.json" {
                continue;
            }
            std::fs::copy(&path, dir.path().join(&name)).expect("copy companion");
        }
        std::fs::copy(&self.fixture, dir.path().join(&self.canonical_name)).expect("copy fixture");
        dir
    }

    /// Whether the peer's policy tag `tag` applies to this case.
    pub fn has_choice(&self, tag: &str) -> bool {
        self.peer_choices.iter().any(|c| c == tag)
    }
}

/// Resolve every lockfile under `dir` with chainward's library, as `chainward sbom` would.
pub fn resolve(dir: &Path) -> chainward::resolve::Resolution {
    let tree = chainward::source::WorkTree::new(dir);
    let excludes = chainward::discover::Excludes::new(&[]).expect("no excludes");
    chainward::resolve::work_tree(&tree, &excludes, &chainward::resolve::ResolveOptions::default())
        .expect("the directory has a lockfile")
}

/// A multiset of (name, version) pairs.
pub fn multiset<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    for (n, v) in pairs {
        *m.entry((n.to_owned(), v.to_owned())).or_insert(0) += 1;
    }
    m
}

/// A TOML Python lockfile case (poetry, pdm): the resolved packages give the peer's multiset of
/// (PEP 503 name, version); every asserted line is the `name = "…"` line inside the package's
/// block (our span is the whole `[[package]]` block); every asserted commit is a git package's.
/// Returns each expected entry with the packages that match it, for the format's own checks.
pub fn check_python_lock<'r, 'c>(
    case: &'c Case,
    lock: &'r chainward::resolve::Resolved,
) -> Vec<(&'c Expected, Vec<&'r chainward::model::Package>)> {
    use chainward::model::{Ecosystem, PackageSource};
    let norm = |n: &str| Ecosystem::PyPI.normalize_name(n);
    let got: Vec<(String, &str)> = lock.packages.iter().map(|p| (norm(&p.name), p.version.as_str())).collect();
    let want: Vec<(String, &str)> = case.expected.iter().map(|e| (norm(&e.name), e.version.as_str())).collect();
    assert_eq!(
        multiset(got.iter().map(|(n, v)| (n.as_str(), *v))),
        multiset(want.iter().map(|(n, v)| (n.as_str(), *v))),
        "{}",
        case.name
    );
    let text = std::fs::read_to_string(&case.fixture).expect("the fixture");
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for e in &case.expected {
        let matching: Vec<_> =
            lock.packages.iter().filter(|p| norm(&p.name) == norm(&e.name) && p.version == e.version).collect();
        if let Some(line) = e.line {
            assert!(
                matching.iter().any(|p| p.lines.is_some_and(|l| l.start < line && line <= l.end)),
                "{}: {} line {line} not in {:?}",
                case.name,
                e.name,
                matching.iter().map(|p| p.lines).collect::<Vec<_>>()
            );
            assert_eq!(lines.get(line - 1).copied(), Some(format!("name = \"{}\"", e.name).as_str()), "{}", case.name);
        }
        if let Some(commit) = &e.commit {
            assert!(
                matching.iter().any(|p| matches!(&p.source, PackageSource::Git { commit: Some(c), .. } if c == commit)),
                "{}: {}",
                case.name,
                e.name
            );
        }
        out.push((e, matching));
    }
    out
}
