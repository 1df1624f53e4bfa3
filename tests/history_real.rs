//! `chainward history` on real histories: the git bundles of `../shared/corpus/history/`
//! (ripgrep, cargo, vuejs/core, poetry: each the whole commit graph of the default branch,
//! filtered to lockfiles and manifests), cloned into a temporary directory.
//!
//! Every fact asserted is computed again here from the `git` command line on the same clone,
//! without chainward:
//! - `commits` is `git rev-list --count TIP`, `revision.commit` the walked commit;
//! - `lockfile_revisions` is the number of distinct (lockfile path, blob) pairs of
//!   `git log -m --raw --root` (one process);
//! - each version entry, against the lockfile text of every commit (blob ids from one
//!   `git cat-file --batch-check`, texts from one `git cat-file --batch`, read by the small
//!   scanners below): the text at its introducing commit has it and none of that commit's parents'
//!   has; the text at its removing commit lacks it and a parent's has it; what is present at the
//!   walked commit is exactly what that commit's text has; every version any revision had is
//!   reported; `date`/`author` are `git log --format=%aI`/`%an` of those commits;
//! - a revision chainward warns about (a lockfile that does not parse, named by commit and path)
//!   keeps what its parents had: nothing is introduced or removed at it;
//! - exposure windows of an advisory (days from the author times, publication vs removal);
//! - the same JSON from a second run on the walk cache, and after a new commit.
//!
//! Speed: the tests run the debug build; vuejs/core's full walk is too slow there, so its tests
//! walk `--until` a date (the yarn.lock years) and a shallow clone of the yarn.lock →
//! pnpm-lock.yaml switch.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, clippy::print_stderr)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use serde_json::Value;
use tempfile::TempDir;

const ZERO: &str = "0000000000000000000000000000000000000000";

// ---------------------------------------------------------------------------------------------
// git and chainward

/// A `git` command with the user's configuration left out (`diff.renames`, mailmap, pagers...).
fn git_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .args(["-c", "core.quotepath=off", "-c", "log.mailmap=false", "-c", "init.defaultBranch=main"]);
    cmd
}

/// `git ARGS` in `dir`: its stdout (panics when git fails).
fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("git prints UTF-8")
}

/// `git ARGS` with `input` on its stdin (written from another thread: cat-file answers while it
/// reads), its stdout.
fn git_with_input(dir: &Path, args: &[&str], input: String) -> Vec<u8> {
    let mut child = git_cmd(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run git");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).expect("write to git"));
    let mut stdout = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut stdout).unwrap();
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// A bundle of `../shared/corpus/history/`, cloned into a temporary directory (`None`: no
/// `../shared`, skipped unless `CHAINWARD_REQUIRE_SHARED=1`).
struct Clone {
    tmp: TempDir,
    dir: PathBuf,
}

fn clone_bundle(name: &str) -> Option<Clone> {
    let shared = common::shared_dir()?;
    let bundle = shared.join("corpus/history").join(format!("{name}.bundle"));
    assert!(bundle.is_file(), "missing {}", bundle.display());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    git(tmp.path(), &["clone", "-q", bundle.to_str().unwrap(), dir.to_str().unwrap()]);
    Some(Clone { tmp, dir })
}

/// `chainward history DIR ARGS --no-advisories --format json --fail-on none`, with the walk cache
/// in `cache` (`None`: `--no-cache`). Its JSON report; the run must succeed.
fn history(dir: &Path, args: &[&str], cache: Option<&Path>) -> Value {
    let (out, secs) = history_output(dir, args, cache);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "history {args:?}: {stderr}");
    eprintln!("history {} {args:?} (cache: {}): {secs:.1} s", dir.display(), cache.is_some());
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

fn history_output(dir: &Path, args: &[&str], cache: Option<&Path>) -> (Output, f64) {
    let scratch = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.arg("history").arg(dir).args(args).args(["--format", "json", "--fail-on", "none"]);
    if !args.contains(&"--db") {
        cmd.arg("--no-advisories");
    }
    match cache {
        Some(c) => cmd.env("CHAINWARD_CACHE_DIR", c),
        None => cmd.arg("--no-cache").env("CHAINWARD_CACHE_DIR", scratch.path()),
    };
    common::dead_registries(&mut cmd).env_remove("GITHUB_ACTIONS");
    let start = Instant::now();
    let out = cmd.output().expect("run chainward");
    (out, start.elapsed().as_secs_f64())
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

// ---------------------------------------------------------------------------------------------
// The lockfile texts, read independently of chainward's resolvers.

/// A package version as the lockfile text has it: (name, version, source), the name normalised
/// for the ecosystem, the source `registry` (the default registry), `git URL` (lower case,
/// without query and fragment), `path`, or `other ...` (not compared).
type Key = (String, String, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cargo,
    Poetry,
    Yarn,
    Pnpm,
}

fn kind_of(path: &str) -> Option<Kind> {
    match path.rsplit('/').next()? {
        "Cargo.lock" => Some(Kind::Cargo),
        "poetry.lock" => Some(Kind::Poetry),
        "yarn.lock" => Some(Kind::Yarn),
        "pnpm-lock.yaml" => Some(Kind::Pnpm),
        _ => None,
    }
}

/// PEP 503 for Python names, the name as written elsewhere.
fn normalize_name(kind: Kind, name: &str) -> String {
    if kind != Kind::Poetry {
        return name.to_owned();
    }
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn git_source(url: &str) -> String {
    let url = url.split('#').next().unwrap_or_default();
    let url = url.split('?').next().unwrap_or_default();
    format!("git {}", url.to_ascii_lowercase())
}

/// `key = "value"` → value.
fn toml_str<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
    rest.strip_prefix('"')?.strip_suffix('"')
}

/// Every version of a `Cargo.lock` (every format since 2014) or `poetry.lock` text.
fn toml_keys(kind: Kind, text: &str) -> HashSet<Key> {
    #[derive(Default)]
    struct Block {
        name: Option<String>,
        version: Option<String>,
        source: Option<String>,
        source_type: Option<String>,
        source_url: Option<String>,
    }
    fn flush(kind: Kind, block: Option<Block>, out: &mut HashSet<Key>) {
        let Some(b) = block else { return };
        let (Some(name), Some(version)) = (b.name, b.version) else { return };
        let source = match (kind, b.source, b.source_type.as_deref()) {
            (Kind::Cargo, None, _) => "path".to_owned(),
            (Kind::Cargo, Some(s), _) if s.starts_with("git+") => git_source(&s["git+".len()..]),
            (Kind::Cargo, Some(s), _)
                if s == "registry+https://github.com/rust-lang/crates.io-index"
                    || s.trim_end_matches('/') == "sparse+https://index.crates.io" =>
            {
                "registry".to_owned()
            }
            (Kind::Cargo, Some(s), _) => format!("other {s}"),
            (_, _, None) => "registry".to_owned(),
            (_, _, Some("git")) => git_source(b.source_url.as_deref().unwrap_or_default()),
            (_, _, Some(other)) => format!("other {other}"),
        };
        out.insert((normalize_name(kind, &name), version, source));
    }
    let mut out = HashSet::new();
    let mut block: Option<Block> = None;
    let mut in_source = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with('[') {
            if line == "[[package]]" || line == "[root]" {
                flush(kind, block.take(), &mut out);
                block = Some(Block::default());
                in_source = false;
            } else if line == "[package.source]" {
                in_source = true;
            } else if line.starts_with("[package.") {
                in_source = false;
            } else {
                flush(kind, block.take(), &mut out);
            }
            continue;
        }
        let Some(b) = block.as_mut() else { continue };
        if in_source {
            if let Some(v) = toml_str(line, "type") {
                b.source_type = Some(v.to_owned());
            } else if let Some(v) = toml_str(line, "url") {
                b.source_url = Some(v.to_owned());
            }
        } else if let Some(v) = toml_str(line, "name") {
            b.name.get_or_insert_with(|| v.to_owned());
        } else if let Some(v) = toml_str(line, "version") {
            b.version.get_or_insert_with(|| v.to_owned());
        } else if let Some(v) = toml_str(line, "source") {
            b.source.get_or_insert_with(|| v.to_owned());
        } else if let Some(rest) = line.strip_prefix("source = {") {
            // poetry's inline form: `source = { type = "git", url = "..." }`.
            for part in rest.trim_end_matches('}').split(',') {
                if let Some(v) = toml_str(part.trim(), "type") {
                    b.source_type = Some(v.to_owned());
                } else if let Some(v) = toml_str(part.trim(), "url") {
                    b.source_url = Some(v.to_owned());
                }
            }
        }
    }
    flush(kind, block, &mut out);
    out
}

/// Every version of a yarn (v1) lockfile text.
fn yarn_keys(text: &str) -> HashSet<Key> {
    let mut out = HashSet::new();
    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    let mut resolved: Option<String> = None;
    let mut flush = |name: &mut Option<String>, version: &mut Option<String>, resolved: &mut Option<String>| {
        if let (Some(n), Some(v)) = (name.take(), version.take()) {
            let source = match resolved.take() {
                None => "registry".to_owned(),
                Some(r)
                    if ["registry.yarnpkg.com/", "registry.npmjs.org/"].iter().any(|host| {
                        r.strip_prefix("https://")
                            .or_else(|| r.strip_prefix("http://"))
                            .is_some_and(|r| r.starts_with(host))
                    }) =>
                {
                    "registry".to_owned()
                }
                Some(r) => format!("other {r}"),
            };
            out.insert((n, v, source));
        }
        *resolved = None;
    };
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            flush(&mut name, &mut version, &mut resolved);
            let first = line.trim_end_matches(':').split(", ").next().unwrap_or_default().trim_matches('"');
            let at = first.get(1..).and_then(|s| s.find('@')).map(|i| i + 1);
            name = at.map(|i| first[..i].to_owned());
        } else if let Some(v) = line.trim().strip_prefix("version ") {
            version = Some(v.trim_matches('"').to_owned());
        } else if let Some(v) = line.trim().strip_prefix("resolved ") {
            resolved = Some(v.trim_matches('"').to_owned());
        }
    }
    flush(&mut name, &mut version, &mut resolved);
    out
}

/// Every registry version of a pnpm lockfile (v5 `/name/version_peers` keys; v6 `/name@version`
/// and v9 `name@version` keys) under `packages:`.
fn pnpm_keys(text: &str) -> HashSet<Key> {
    let mut out = HashSet::new();
    let mut in_packages = false;
    let v5 = text
        .lines()
        .find_map(|l| l.strip_prefix("lockfileVersion:"))
        .is_some_and(|v| v.trim().trim_matches('\'').starts_with('5'));
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_packages = line == "packages:";
            continue;
        }
        if !in_packages || !line.starts_with("  ") || line.starts_with("   ") {
            continue;
        }
        let key = line.trim().trim_end_matches(':').trim_matches('\'').trim_matches('"');
        let key = key.strip_prefix('/').unwrap_or(key);
        // v6/v9: name@version(peers); v5: name/version_peers.
        let at = if v5 { None } else { key.get(1..).and_then(|s| s.find('@')).map(|i| i + 1) };
        let (name, version) = match at {
            Some(i) => (&key[..i], key[i + 1..].split('(').next().unwrap_or_default()),
            None => match key.rsplit_once('/') {
                Some((n, v)) => (n, v.split('_').next().unwrap_or_default()),
                None => continue,
            },
        };
        if name.contains(':') || version.contains(':') || version.contains('/') {
            continue;
        }
        out.insert((name.to_owned(), version.to_owned(), "registry".to_owned()));
    }
    out
}

fn keys_of(kind: Kind, text: &str) -> HashSet<Key> {
    match kind {
        Kind::Cargo | Kind::Poetry => toml_keys(kind, text),
        Kind::Yarn => yarn_keys(text),
        Kind::Pnpm => pnpm_keys(text),
    }
}

/// The key of a version entry of chainward's report (`None`: a source the scanners do not read:
/// tarball URLs, other registries, and `path` when the lockfile does not list the project).
fn entry_key(kind: Kind, name: &str, version: &Value) -> Option<Key> {
    let source = str_of(version, "source");
    let source = match source.split_once(' ').map_or((source, ""), |(a, b)| (a, b)) {
        ("crates.io" | "PyPI" | "npm", "") => "registry".to_owned(),
        ("git", url) => git_source(url),
        ("path", _) if kind == Kind::Cargo => "path".to_owned(),
        _ => return None,
    };
    Some((normalize_name(kind, name), str_of(version, "version").to_owned(), source))
}

// ---------------------------------------------------------------------------------------------
// The history, as git has it.

struct CommitFacts {
    parents: Vec<String>,
    /// `%aI`
    date: String,
    /// `%an`
    author: String,
    /// `%at`
    time: i64,
}

/// What a lockfile path is at one commit, as far as versions go.
#[derive(Clone)]
enum State {
    Absent,
    Blob(String),
    /// A revision chainward could not read: what its parents had.
    Kept(std::rc::Rc<HashSet<Key>>),
}

struct Facts {
    tip: String,
    /// Parents first.
    order: Vec<String>,
    commits: HashMap<String, CommitFacts>,
    /// Lockfile paths ever present.
    paths: Vec<String>,
    /// (commit, path) → blob.
    blob_at: HashMap<(String, String), String>,
    /// blob → its versions.
    keys: HashMap<String, HashSet<Key>>,
    /// Distinct (path, blob) pairs over the history.
    revisions: usize,
    /// Blobs chainward warned about (see [`Facts::with_broken`]).
    broken: HashSet<String>,
    state: HashMap<(String, String), State>,
}

impl Facts {
    /// Reads the ancestry of `tip` (which may be a shallow clone's).
    fn read(dir: &Path, tip: &str) -> Facts {
        let start = Instant::now();
        let log = git(
            dir,
            &["log", "--topo-order", "--reverse", "--no-mailmap", "--format=%H%x1f%P%x1f%aI%x1f%an%x1f%at", tip],
        );
        let mut order = Vec::new();
        let mut commits = HashMap::new();
        for line in log.lines() {
            let f: Vec<&str> = line.split('\x1f').collect();
            assert_eq!(f.len(), 5, "{line}");
            order.push(f[0].to_owned());
            commits.insert(
                f[0].to_owned(),
                CommitFacts {
                    parents: f[1].split_whitespace().map(str::to_owned).collect(),
                    date: f[2].to_owned(),
                    author: f[3].to_owned(),
                    time: f[4].parse().unwrap(),
                },
            );
        }
        // Every (path, blob) pair: what each commit changed against each of its parents (and the
        // root commits against nothing).
        let raw = git(dir, &["log", "-m", "--raw", "--root", "--no-abbrev", "--no-renames", "--format=", tip]);
        let mut pairs: HashSet<(String, String)> = HashSet::new();
        for line in raw.lines().filter(|l| l.starts_with(':')) {
            let (meta, path) = line.split_once('\t').unwrap();
            let new = meta.split_whitespace().nth(3).unwrap();
            if new != ZERO && kind_of(path).is_some() {
                pairs.insert((path.to_owned(), new.to_owned()));
            }
        }
        let paths: Vec<String> = pairs.iter().map(|(p, _)| p.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        // The blob of each lockfile path at each commit.
        let mut input = String::new();
        let mut asked = Vec::new();
        for c in &order {
            for p in &paths {
                writeln!(input, "{c}:{p}").unwrap();
                asked.push((c.clone(), p.clone()));
            }
        }
        let out = String::from_utf8(git_with_input(dir, &["cat-file", "--batch-check"], input)).unwrap();
        let mut blob_at = HashMap::new();
        for (line, key) in out.lines().zip(asked) {
            if line.ends_with(" missing") {
                continue;
            }
            let mut f = line.split(' ');
            let (oid, kind) = (f.next().unwrap(), f.next().unwrap());
            assert_eq!(kind, "blob", "{line}");
            blob_at.insert(key, oid.to_owned());
        }
        // Their texts.
        let mut blob_paths: BTreeMap<String, String> = BTreeMap::new();
        for ((_, p), b) in &blob_at {
            blob_paths.entry(b.clone()).or_insert_with(|| p.clone());
        }
        let input: String = blob_paths.keys().map(|b| [b.as_str(), "\n"].concat()).collect();
        let out = git_with_input(dir, &["cat-file", "--batch"], input);
        let mut keys = HashMap::new();
        let mut rest = &out[..];
        for (blob, path) in &blob_paths {
            let nl = rest.iter().position(|b| *b == b'\n').unwrap();
            let header = std::str::from_utf8(&rest[..nl]).unwrap();
            let size: usize = header.rsplit(' ').next().unwrap().parse().unwrap();
            assert!(header.starts_with(blob.as_str()), "{header}");
            let text = String::from_utf8_lossy(&rest[nl + 1..nl + 1 + size]);
            keys.insert(blob.clone(), keys_of(kind_of(path).unwrap(), &text));
            rest = &rest[nl + 1 + size + 1..];
        }
        eprintln!("git facts of {}: {:.1} s", dir.display(), start.elapsed().as_secs_f64());
        Facts {
            tip: tip.to_owned(),
            order,
            commits,
            paths,
            blob_at,
            keys,
            revisions: pairs.len(),
            broken: HashSet::new(),
            state: HashMap::new(),
        }
    }

    /// The commit whose id starts with `short`.
    fn full(&self, short: &str) -> &str {
        let found: Vec<&String> = self.order.iter().filter(|c| c.starts_with(short)).collect();
        assert_eq!(found.len(), 1, "commit {short}");
        found[0]
    }

    /// The revisions chainward's warnings name as unreadable (`commit SHORT: PATH: could not be
    /// read...`): their blobs are broken wherever they occur, and those commits keep what their
    /// parents had. Every state follows.
    fn with_broken(mut self, report: &Value) -> Facts {
        for w in report["warnings"].as_array().unwrap() {
            let w = w.as_str().unwrap();
            let Some(rest) = w.strip_prefix("commit ") else { continue };
            let Some((short, rest)) = rest.split_once(": ") else { continue };
            let Some((path, _)) = rest.split_once(": could not be read") else { continue };
            let commit = self.full(short).to_owned();
            let blob = self.blob_at.get(&(commit.clone(), path.to_owned())).unwrap_or_else(|| panic!("{w}"));
            self.broken.insert(blob.clone());
        }
        let mut state = HashMap::new();
        for c in &self.order {
            for p in &self.paths {
                let s = match self.blob_at.get(&(c.clone(), p.clone())) {
                    None => State::Absent,
                    Some(b) if !self.broken.contains(b) => State::Blob(b.clone()),
                    Some(_) => {
                        let mut kept = HashSet::new();
                        for parent in &self.commits[c].parents {
                            if let Some(s) = state.get(&(parent.clone(), p.clone())) {
                                kept.extend(self.keys_in(s).iter().cloned());
                            }
                        }
                        State::Kept(std::rc::Rc::new(kept))
                    }
                };
                state.insert((c.clone(), p.clone()), s);
            }
        }
        self.state = state;
        self
    }

    fn keys_in<'a>(&'a self, s: &'a State) -> &'a HashSet<Key> {
        static EMPTY: std::sync::OnceLock<HashSet<Key>> = std::sync::OnceLock::new();
        match s {
            State::Absent => EMPTY.get_or_init(HashSet::new),
            State::Blob(b) => &self.keys[b],
            State::Kept(k) => k,
        }
    }

    /// The versions of `path` at `commit` (a commit outside the walk: none).
    fn at(&self, commit: &str, path: &str) -> &HashSet<Key> {
        match self.state.get(&(commit.to_owned(), path.to_owned())) {
            Some(s) => self.keys_in(s),
            None => self.keys_in(&State::Absent),
        }
    }

    fn is_broken_at(&self, commit: &str, path: &str) -> bool {
        matches!(self.state.get(&(commit.to_owned(), path.to_owned())), Some(State::Kept(_)))
    }

    fn parents(&self, commit: &str) -> &[String] {
        self.commits.get(commit).map(|c| c.parents.as_slice()).unwrap_or_default()
    }

    /// Whether `path`'s state at `commit` comes from a merge whose lockfile does not parse (the
    /// merge, or a descendant with the same broken revision).
    fn after_broken_merge(&self, commit: &str, path: &str) -> bool {
        let mut c = commit.to_owned();
        while self.is_broken_at(&c, path) {
            let parents = self.parents(&c);
            if parents.len() > 1 {
                return true;
            }
            match parents.first() {
                Some(p) => c.clone_from(p),
                None => return false,
            }
        }
        false
    }

    /// [`Facts::after_broken_merge`] at `commit` or one of its parents.
    fn near_broken_merge(&self, commit: &str, path: &str) -> bool {
        self.after_broken_merge(commit, path) || self.parents(commit).iter().any(|p| self.after_broken_merge(p, path))
    }
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// How [`check_report`] treats the versions next to a revision that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    /// As the issue says: such a commit keeps what its parents had (all of them, a merge too).
    Strict,
    /// Versions introduced or removed at, or just after, a merge whose lockfile does not parse
    /// are not compared (chainward keeps the first parent's only: see
    /// `poetry_broken_merge_keeps_both_parents`); a broken revision with one parent is still
    /// held to introduce and remove nothing.
    SkipMerges,
}

/// Everything the report says about the walk, checked against `facts`. Returns how many version
/// entries were compared.
#[expect(clippy::too_many_lines, reason = "one check after the other")]
fn check_report(report: &Value, facts: &Facts, broken: Broken) -> usize {
    assert_eq!(report["version"], 1);
    assert_eq!(str_of(&report["revision"], "commit"), facts.tip);
    assert_eq!(report["commits"].as_u64().unwrap(), facts.order.len() as u64, "commits walked");
    assert_eq!(report["lockfile_revisions"].as_u64().unwrap(), facts.revisions as u64, "lockfile revisions");
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{}", report["errors"]);

    let mut problems: Vec<String> = Vec::new();
    let mut compared = 0;
    let mut skipped = 0;
    // Per (lockfile, key): the entries with `removed: null`, and whether any entry exists.
    let mut present: HashMap<(String, Key), usize> = HashMap::new();
    let mut reported: HashSet<(String, Key)> = HashSet::new();
    let check_commit = |what: &str, c: &Value, problems: &mut Vec<String>| {
        let id = str_of(c, "commit");
        match facts.commits.get(id) {
            None => problems.push(format!("{what}: commit {id} is not in the history")),
            Some(f) => {
                if str_of(c, "date") != f.date || str_of(c, "author") != f.author {
                    problems.push(format!("{what}: {c} but git says {} {}", f.date, f.author));
                }
            }
        }
    };
    let parents_of = |c: &str| facts.parents(c);
    let near_broken_merge =
        |c: &str, lockfile: &str| broken == Broken::SkipMerges && facts.near_broken_merge(c, lockfile);
    for p in report["packages"].as_array().unwrap() {
        let lockfile = str_of(p, "lockfile");
        let name = str_of(p, "name");
        let kind = kind_of(lockfile).unwrap_or_else(|| panic!("unexpected lockfile {lockfile}"));
        for v in p["versions"].as_array().unwrap() {
            let what = format!("{lockfile} {name}@{} ({})", str_of(v, "version"), str_of(v, "source"));
            check_commit(&format!("{what} introduced"), &v["introduced"], &mut problems);
            if !v["removed"].is_null() {
                check_commit(&format!("{what} removed"), &v["removed"], &mut problems);
            }
            let Some(key) = entry_key(kind, name, v) else { continue };
            reported.insert((lockfile.to_owned(), key.clone()));
            let intro = str_of(&v["introduced"], "commit");
            let removed = v["removed"]["commit"].as_str();
            if near_broken_merge(intro, lockfile) || removed.is_some_and(|r| near_broken_merge(r, lockfile)) {
                skipped += 1;
                if removed.is_none() {
                    *present.entry((lockfile.to_owned(), key.clone())).or_default() += 1;
                }
                continue;
            }
            compared += 1;
            if facts.is_broken_at(intro, lockfile) {
                problems.push(format!("{what}: introduced at {intro}, a revision that does not parse"));
            } else if !facts.at(intro, lockfile).contains(&key) {
                problems.push(format!("{what}: introduced at {intro}, whose {lockfile} does not have it"));
            }
            for parent in parents_of(intro) {
                if facts.at(parent, lockfile).contains(&key) {
                    problems.push(format!("{what}: introduced at {intro}, but its parent {parent} had it"));
                }
            }
            if v["removed"].is_null() {
                *present.entry((lockfile.to_owned(), key.clone())).or_default() += 1;
                continue;
            }
            let removed = removed.unwrap();
            if facts.is_broken_at(removed, lockfile) {
                problems.push(format!("{what}: removed at {removed}, a revision that does not parse"));
            } else if facts.at(removed, lockfile).contains(&key) {
                problems.push(format!("{what}: removed at {removed}, whose {lockfile} still has it"));
            }
            if !parents_of(removed).iter().any(|parent| facts.at(parent, lockfile).contains(&key)) {
                problems.push(format!("{what}: removed at {removed}, but none of its parents had it"));
            }
        }
    }
    // The walked commit's versions are the present ones, each once.
    let mut at_tip = 0;
    for path in &facts.paths {
        let kind = kind_of(path).unwrap();
        for key in facts.at(&facts.tip, path) {
            if key.2.starts_with("other") || (key.2 == "path" && kind != Kind::Cargo) {
                continue;
            }
            at_tip += 1;
            match present.get(&(path.clone(), key.clone())) {
                Some(1) => {}
                n => problems.push(format!("{path} {key:?} at the walked commit: {n:?} present entries")),
            }
        }
    }
    let reported_present: usize = present.values().sum();
    if reported_present != at_tip {
        problems.push(format!("{reported_present} entries present, the walked commit has {at_tip} versions"));
    }
    // Every version any revision had is reported.
    // (What a broken revision keeps its parents had: the readable revisions are enough.)
    let mut ever: HashSet<(String, Key)> = HashSet::new();
    let blobs: HashSet<(&String, &String)> = facts.blob_at.iter().map(|((_, p), b)| (p, b)).collect();
    for (path, blob) in blobs {
        if !facts.broken.contains(blob) {
            ever.extend(facts.keys[blob].iter().map(|k| (path.clone(), k.clone())));
        }
    }
    let mut missing: Vec<_> = ever
        .iter()
        .filter(|(path, key)| !key.2.starts_with("other") && (key.2 != "path" || kind_of(path) == Some(Kind::Cargo)))
        .filter(|e| !reported.contains(*e))
        .collect();
    missing.sort();
    for m in missing.iter().take(10) {
        problems.push(format!("never reported: {m:?}"));
    }
    assert!(
        problems.is_empty(),
        "{} problems (of {compared} entries compared):\n{}",
        problems.len(),
        problems.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(compared > 0);
    if skipped > 0 {
        eprintln!("{skipped} entries next to a broken merge not compared");
    }
    compared
}

/// The version entries of `name@version` in `lockfile`.
fn entries<'a>(report: &'a Value, lockfile: &str, name: &str, version: &str) -> Vec<&'a Value> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["lockfile"] == lockfile && p["name"] == name)
        .flat_map(|p| p["versions"].as_array().unwrap())
        .filter(|v| v["version"] == version)
        .collect()
}

/// The non-merge commits whose `path` gained or lost an occurrence of `needle`, oldest first
/// (`git log -S`, every line of history).
fn pickaxe(dir: &Path, tip: &str, needle: &str, path: &str) -> Vec<String> {
    let out = git(dir, &["log", "--reverse", "--full-history", "--format=%H", "-S", needle, tip, "--", path]);
    out.lines().map(str::to_owned).collect()
}

/// A version whose lockfile line changed exactly twice in the whole history, merges included
/// (added once, removed once, on one line of history): the report has one entry, introduced
/// and removed at those commits.
fn assert_added_and_removed(dir: &Path, report: &Value, tip: &str, name: &str, version: &str) {
    let needle = format!("name = \"{name}\"\nversion = \"{version}\"\n");
    let changes = pickaxe(dir, tip, &needle, "Cargo.lock");
    assert_eq!(changes.len(), 2, "{name}@{version}: not added once and removed once: {changes:?}");
    let with_merges = git(dir, &["log", "-m", "--full-history", "--format=%H", "-S", &needle, tip, "--", "Cargo.lock"]);
    assert_eq!(with_merges.lines().count(), 2, "{name}@{version}: a merge changed it too");
    let (added, gone) = (&changes[0], &changes[1]);
    // Checked by hand, as a reviewer would: the text before and after each change.
    let show = |rev: &str| git(dir, &["show", &format!("{rev}:Cargo.lock")]);
    assert!(show(added).contains(&needle) && !show(&format!("{added}^")).contains(&needle));
    assert!(!show(gone).contains(&needle) && show(&format!("{gone}^")).contains(&needle));
    let found = entries(report, "Cargo.lock", name, version);
    assert_eq!(found.len(), 1, "{name}@{version}: {found:?}");
    let v = found[0];
    let date = |c: &str| git(dir, &["log", "-1", "--no-mailmap", "--format=%aI|%an", c]).trim().to_owned();
    assert_eq!(str_of(&v["introduced"], "commit"), added);
    assert_eq!(format!("{}|{}", str_of(&v["introduced"], "date"), str_of(&v["introduced"], "author")), date(added));
    assert_eq!(str_of(&v["removed"], "commit"), gone);
    assert_eq!(format!("{}|{}", str_of(&v["removed"], "date"), str_of(&v["removed"], "author")), date(gone));
}

/// Exposure windows of `advisory` (from `--db`): one finding per affected entry of the timeline,
/// with the entry's commits and the days between their author times.
fn assert_windows(report: &Value, facts: &Facts, advisory: &str, name: &str, affected: &[&str], published: &str) {
    let published_at = {
        let d: Vec<i64> = published.split('-').map(|x| x.parse().unwrap()).collect();
        days_from_civil(d[0], d[1], d[2]) * 86_400
    };
    let findings: Vec<&Value> = report["findings"].as_array().unwrap().iter().filter(|f| f["id"] == advisory).collect();
    let mut expected = 0;
    for version in affected {
        for v in entries(report, "Cargo.lock", name, version) {
            expected += 1;
            let intro = str_of(&v["introduced"], "commit");
            let f = findings
                .iter()
                .find(|f| f["package"]["version"] == *version && f["window"]["introduced"]["commit"] == intro)
                .unwrap_or_else(|| panic!("{advisory}: no window for {name}@{version} introduced at {intro}"));
            let w = &f["window"];
            assert_eq!(w["removed"], v["removed"], "{name}@{version}");
            let removed = str_of(&v["removed"], "commit");
            let days = (facts.commits[removed].time - facts.commits[intro].time) / 86_400;
            assert_eq!(w["days"], days, "{name}@{version}: {w}");
            assert_eq!(w["advisory_published"], published);
            assert_eq!(w["published_before_removal"], published_at <= facts.commits[removed].time, "{w}");
        }
    }
    assert!(expected > 0);
    assert_eq!(findings.len(), expected, "{advisory}: {findings:?}");
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The report without what may differ between two equal walks: nothing (the JSON has no time
/// stamp); kept as one place to say so.
fn same_report(a: &Value, b: &Value, what: &str) {
    assert!(a == b, "{what}: the two reports differ");
}

// ---------------------------------------------------------------------------------------------
// The bundles.

#[test]
fn ripgrep_full_history() {
    let Some(clone) = clone_bundle("ripgrep") else { return };
    let dir = &clone.dir;
    let tip = git(dir, &["rev-parse", "HEAD"]).trim().to_owned();
    let report = history(dir, &[], None);
    let facts = Facts::read(dir, &tip).with_broken(&report);
    assert_eq!(facts.order.len(), git(dir, &["rev-list", "--count", "HEAD"]).trim().parse::<usize>().unwrap());
    let compared = check_report(&report, &facts, Broken::SkipMerges);
    eprintln!("ripgrep: {compared} version entries compared, {} broken revisions", facts.broken.len());

    // A few versions by hand: added once and removed once, found with `git log -S`.
    for (name, version) in [("regex", "1.0.0"), ("memchr", "2.0.1"), ("clap", "2.32.0")] {
        assert_added_and_removed(dir, &report, &tip, name, version);
    }
    // `--package NAME@VERSION`: only that version, as the whole timeline has it.
    let one = history(dir, &["--package", "regex@1.0.0"], None);
    let only: Vec<&Value> = one["packages"].as_array().unwrap().iter().collect();
    assert_eq!(only.len(), 1, "{only:?}");
    assert_eq!(
        only[0]["versions"].as_array().unwrap().iter().collect::<Vec<_>>(),
        entries(&report, "Cargo.lock", "regex", "1.0.0")
    );
    // `--package NAME`: every version of it.
    let all = history(dir, &["--package", "smallvec"], None);
    let smallvec: Vec<&Value> =
        report["packages"].as_array().unwrap().iter().filter(|p| p["name"] == "smallvec").collect();
    assert_eq!(all["packages"].as_array().unwrap().iter().collect::<Vec<_>>(), smallvec);

    // The same JSON from the walk cache: cold, then warm.
    let cache = clone.tmp.path().join("cache");
    same_report(&report, &history(dir, &[], Some(&cache)), "cold cache");
    same_report(&report, &history(dir, &[], Some(&cache)), "warm cache");
}

#[test]
fn ripgrep_exposure_windows() {
    let Some(clone) = clone_bundle("ripgrep") else { return };
    let dir = &clone.dir;
    let shared = common::shared_dir().unwrap();
    let db = shared.join("advisory-db/rustsec");
    let tip = git(dir, &["rev-parse", "HEAD"]).trim().to_owned();
    let args = ["--db", db.to_str().unwrap(), "--offline", "--advisory", "CVE-2019-15551"];
    let report = history(dir, &args, None);
    let facts = Facts::read(dir, &tip).with_broken(&report);
    check_report(&report, &facts, Broken::SkipMerges);
    // RUSTSEC-2019-0009 (alias CVE-2019-15551): smallvec >= 0.6.5, < 0.6.10, published 2019-06-06.
    let advisory = std::fs::read_to_string(db.join("crates/smallvec/RUSTSEC-2019-0009.md")).unwrap();
    assert!(advisory.contains("patched = [\">= 0.6.10\"]") && advisory.contains("unaffected = [\"< 0.6.5\"]"));
    assert!(advisory.contains("date = \"2019-06-06\""));
    let ever: BTreeSet<String> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "smallvec")
        .flat_map(|p| p["versions"].as_array().unwrap())
        .map(|v| str_of(v, "version").to_owned())
        .collect();
    let affected: Vec<&str> = ever
        .iter()
        .map(String::as_str)
        .filter(|v| {
            let n: Vec<u64> = v.split('.').map(|x| x.parse().unwrap()).collect();
            n[0] == 0 && n[1] == 6 && (5..10).contains(&n[2])
        })
        .collect();
    assert!(affected.len() >= 3, "{ever:?}");
    assert_windows(&report, &facts, "RUSTSEC-2019-0009", "smallvec", &affected, "2019-06-06");
    // Only that advisory.
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["id"] == "RUSTSEC-2019-0009"));
}

#[test]
fn ripgrep_cache_continues_after_a_new_commit() {
    let Some(clone) = clone_bundle("ripgrep") else { return };
    let dir = &clone.dir;
    let cache = clone.tmp.path().join("cache");
    history(dir, &[], Some(&cache));
    // A new commit: one version bumped in Cargo.lock.
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    let needle = "name = \"memchr\"\nversion = \"";
    let at = lock.find(needle).unwrap() + needle.len();
    let end = at + lock[at..].find('"').unwrap();
    let old = lock[at..end].to_owned();
    let new = format!("{old}-chainward.1");
    std::fs::write(dir.join("Cargo.lock"), format!("{}{new}{}", &lock[..at], &lock[end..])).unwrap();
    git(dir, &["add", "Cargo.lock"]);
    git(dir, &["-c", "user.name=Test Bump", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "bump memchr"]);
    let tip = git(dir, &["rev-parse", "HEAD"]).trim().to_owned();
    let cached = history(dir, &[], Some(&cache));
    same_report(&cached, &history(dir, &[], None), "continued walk vs full walk");
    let facts = Facts::read(dir, &tip).with_broken(&cached);
    check_report(&cached, &facts, Broken::SkipMerges);
    let bumped = entries(&cached, "Cargo.lock", "memchr", &new);
    assert_eq!(bumped.len(), 1);
    assert_eq!(bumped[0]["introduced"]["commit"], tip.as_str());
    assert_eq!(bumped[0]["introduced"]["author"], "Test Bump");
    let before = entries(&cached, "Cargo.lock", "memchr", &old);
    assert_eq!(before.iter().filter(|v| v["removed"]["commit"] == tip.as_str()).count(), 1, "{before:?}");
}

#[test]
fn cargo_full_history() {
    let Some(clone) = clone_bundle("cargo") else { return };
    let dir = &clone.dir;
    let tip = git(dir, &["rev-parse", "HEAD"]).trim().to_owned();
    let cache = clone.tmp.path().join("cache");
    let report = history(dir, &[], Some(&cache));
    let facts = Facts::read(dir, &tip).with_broken(&report);
    assert_eq!(facts.order.len(), git(dir, &["rev-list", "--count", "HEAD"]).trim().parse::<usize>().unwrap());
    let compared = check_report(&report, &facts, Broken::SkipMerges);
    eprintln!("cargo: {compared} version entries compared, {} broken revisions", facts.broken.len());
    // cargo's history holds lockfiles that do not parse (a broken merge among them): each is a
    // warning naming the commit and the path, and `check_report` made sure nothing was
    // introduced or removed at them.
    assert!(!facts.broken.is_empty());
    let toml_error = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .find(|w| w.contains("invalid TOML"))
        .expect("the revision that is not TOML");
    let short = toml_error.strip_prefix("commit ").unwrap().split(':').next().unwrap();
    let commit = facts.full(short);
    let text = git(dir, &["show", &format!("{commit}:Cargo.lock")]);
    assert!(
        text.lines().any(|l| l.starts_with("<<<<<<<") || l.starts_with(">>>>>>>") || l.starts_with("=======")),
        "{toml_error}"
    );

    // toml 0.1.23: added by one commit, dropped on master by another, but a branch forked in
    // between kept it until it was merged: removed at that merge, not where master dropped it.
    let needle = "name = \"toml\"\nversion = \"0.1.23\"\n";
    let show = |rev: &str| git(dir, &["show", &format!("{rev}:Cargo.lock")]);
    let plain = pickaxe(dir, &tip, needle, "Cargo.lock");
    assert_eq!(plain.len(), 2, "{plain:?}");
    let (added, dropped) = (&plain[0], &plain[1]);
    assert!(show(added).contains(needle) && !show(&format!("{added}^")).contains(needle));
    assert!(!show(dropped).contains(needle) && show(&format!("{dropped}^")).contains(needle));
    let found = entries(&report, "Cargo.lock", "toml", "0.1.23");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["introduced"]["commit"], added.as_str());
    let merge = str_of(&found[0]["removed"], "commit");
    let parents = &facts.commits[merge].parents;
    assert_eq!(parents.len(), 2, "removed at a merge");
    assert!(!show(merge).contains(needle) && !show(&parents[0]).contains(needle) && show(&parents[1]).contains(needle));
    git(dir, &["merge-base", "--is-ancestor", dropped, &parents[0]]);
    assert_eq!(found[0]["removed"]["date"], facts.commits[merge].date.as_str());

    // The walk cache gives the same JSON.
    same_report(&report, &history(dir, &[], Some(&cache)), "warm cache");
}

/// A `source-change` finding names the commit where the version appeared from another source
/// than its parent's.
#[test]
fn cargo_source_changes_name_the_commit_of_the_move() {
    let Some(clone) = clone_bundle("cargo") else { return };
    let dir = &clone.dir;
    // cargo's first year: git sources moving between URLs and to crates.io.
    let tip = until_tip(dir, days_from_civil(2015, 3, 1) * 86_400);
    let report = history(dir, &["--until", "2015-03-01T00:00:00Z"], None);
    let facts = Facts::read(dir, &tip).with_broken(&report);
    check_report(&report, &facts, Broken::SkipMerges);
    // Source changes: at the commit a version appears from another source than its parent's.
    let mut moves = 0;
    for f in report["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "source-change") {
        let w = &f["window"];
        let intro = str_of(&w["introduced"], "commit");
        if facts.near_broken_merge(intro, "Cargo.lock") {
            continue;
        }
        let name = str_of(&f["package"], "name");
        let at_intro: BTreeSet<&Key> = facts.at(intro, "Cargo.lock").iter().filter(|k| k.0 == name).collect();
        let before: BTreeSet<&Key> = facts.commits[intro]
            .parents
            .iter()
            .flat_map(|p| facts.at(p, "Cargo.lock").iter().filter(|k| k.0 == name))
            .collect();
        let new_sources: BTreeSet<&str> = at_intro.difference(&before).map(|k| k.2.as_str()).collect();
        assert!(!new_sources.is_empty() && !before.is_empty(), "{f}: {at_intro:?} after {before:?}");
        if !w["removed"].is_null() {
            let removed = str_of(&w["removed"], "commit");
            assert_eq!(w["days"], (facts.commits[removed].time - facts.commits[intro].time) / 86_400, "{f}");
        }
        moves += 1;
    }
    assert!(moves > 0);
    eprintln!("{moves} source changes checked");
}

/// Cargo reads `?ref=NAME` in a git source as a branch (legacy form; cargo's `SourceId::from_url`
/// maps `"branch" | "ref"` to a branch and ignores other query keys). cargo's 2014 lockfiles
/// have it.
#[test]
fn cargo_legacy_ref_query_is_read() {
    let Some(clone) = clone_bundle("cargo") else { return };
    let dir = &clone.dir;
    let tip = git(dir, &["rev-parse", "HEAD"]).trim().to_owned();
    let first = pickaxe(dir, &tip, "?ref=", "Cargo.lock").into_iter().next().expect("a `?ref=` source");
    let report = history(dir, &["--until", &first], None);
    let facts = Facts::read(dir, &first).with_broken(&report);
    // Only revisions that are really broken (conflict markers) are warned about.
    let warnings = report["warnings"].as_array().unwrap();
    assert!(warnings.iter().all(|w| !w.as_str().unwrap().contains("git query")), "{warnings:?}");
    assert!(!warnings.iter().any(|w| w.as_str().unwrap().contains(&first[..12])), "{warnings:?}");
    check_report(&report, &facts, Broken::SkipMerges);
    let text = git(dir, &["show", &format!("{first}:Cargo.lock")]);
    let source = text.lines().find(|l| l.contains("?ref=")).unwrap();
    let url = source.split("git+").nth(1).unwrap().split('?').next().unwrap();
    let from_git = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["versions"].as_array().unwrap())
        .filter(|v| v["source"] == format!("git {url}") && v["introduced"]["commit"] == first.as_str())
        .count();
    assert!(from_git > 0, "{source}");
}

#[test]
fn poetry_full_history() {
    let Some(clone) = clone_bundle("poetry") else { return };
    let dir = &clone.dir;
    let tip = git(dir, &["rev-parse", "HEAD"]).trim().to_owned();
    let cache = clone.tmp.path().join("cache");
    let report = history(dir, &[], Some(&cache));
    let facts = Facts::read(dir, &tip).with_broken(&report);
    let compared = check_report(&report, &facts, Broken::SkipMerges);
    eprintln!("poetry: {compared} version entries compared, {} broken revisions", facts.broken.len());
    same_report(&report, &history(dir, &[], Some(&cache)), "warm cache");
}

/// The last commit of `HEAD`'s first-parent line authored at or before `time` (what
/// `--until DATE` walks to).
fn until_tip(dir: &Path, time: i64) -> String {
    let line = git(dir, &["log", "--first-parent", "--format=%H %at", "HEAD"]);
    line.lines()
        .map(|l| l.split_once(' ').unwrap())
        .find(|(_, t)| t.parse::<i64>().unwrap() <= time)
        .unwrap()
        .0
        .to_owned()
}

#[test]
fn poetry_broken_merge_keeps_both_parents() {
    let Some(clone) = clone_bundle("poetry") else { return };
    let dir = &clone.dir;
    // Up to shortly after the merge of `develop` whose poetry.lock lists html5lib 1.1 twice.
    let tip = until_tip(dir, days_from_civil(2020, 8, 1) * 86_400);
    let report = history(dir, &["--until", "2020-08-01T00:00:00Z"], None);
    let facts = Facts::read(dir, &tip).with_broken(&report);
    let merges: Vec<&String> = facts
        .order
        .iter()
        .filter(|c| facts.is_broken_at(c, "poetry.lock") && facts.commits[*c].parents.len() > 1)
        .collect();
    assert!(!merges.is_empty(), "a broken merge: {}", report["warnings"]);
    // cleo 0.8.1 came with `develop` (the merge's second parent) and stayed.
    let cleo = entries(&report, "poetry.lock", "cleo", "0.8.1");
    assert_eq!(cleo.len(), 1, "{cleo:?}");
    check_report(&report, &facts, Broken::Strict);
}

#[test]
fn vuejs_core_yarn_years() {
    let Some(clone) = clone_bundle("vuejs-core") else { return };
    let dir = &clone.dir;
    // `--until DATE`: the last commit of HEAD's first-parent line authored at or before it.
    let until = "2019-06-01T00:00:00Z";
    let tip = until_tip(dir, days_from_civil(2019, 6, 1) * 86_400);
    let report = history(dir, &["--until", until], None);
    let facts = Facts::read(dir, &tip).with_broken(&report);
    assert_eq!(facts.paths, ["yarn.lock"]);
    let compared = check_report(&report, &facts, Broken::SkipMerges);
    eprintln!("vuejs-core until {until}: {compared} version entries compared");
}

/// vuejs/core's switch from yarn.lock to pnpm-lock.yaml (the one commit that deleted the one and
/// added the other), and a shallow clone of its last 30 commits (the full walk to there is too
/// slow for the debug build).
fn vue_switch(clone: &Clone) -> (PathBuf, String) {
    let dir = &clone.dir;
    let raw = git(dir, &["log", "--format=%H", "--diff-filter=D", "--full-history", "HEAD", "--", "yarn.lock"]);
    let switch: Vec<&str> = raw.lines().collect();
    assert_eq!(switch.len(), 1, "{switch:?}");
    let switch = switch[0].to_owned();
    let added = git(dir, &["log", "--format=%H", "--diff-filter=A", "--full-history", "HEAD", "--", "pnpm-lock.yaml"]);
    assert_eq!(added.trim(), switch, "pnpm-lock.yaml added with the switch");
    git(dir, &["branch", "switch", &switch]);
    let shallow = clone.tmp.path().join("shallow");
    let url = format!("file://{}", dir.display());
    git(clone.tmp.path(), &["clone", "-q", "--depth", "30", "--branch", "switch", &url, shallow.to_str().unwrap()]);
    (shallow, switch)
}

#[test]
fn shallow_clone_names_where_history_stops() {
    let Some(clone) = clone_bundle("vuejs-core") else { return };
    let (shallow, _) = vue_switch(&clone);
    let report = history(&shallow, &[], None);
    let boundary = std::fs::read_to_string(shallow.join(".git/shallow")).unwrap();
    let warnings = report["warnings"].as_array().unwrap();
    let warning = warnings.iter().map(|w| w.as_str().unwrap()).find(|w| w.contains("shallow"));
    let warning = warning.expect("a shallow-clone warning");
    for b in boundary.lines() {
        assert!(warning.contains(&b[..12]), "{warning} names {b}");
    }
}

#[test]
fn vuejs_core_yarn_to_pnpm() {
    let Some(clone) = clone_bundle("vuejs-core") else { return };
    let (shallow, switch) = vue_switch(&clone);
    let report = history(&shallow, &[], None);
    let warnings = report["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("shallow")), "{warnings:?}");
    let facts = Facts::read(&shallow, &switch).with_broken(&report);
    check_report(&report, &facts, Broken::SkipMerges);
    let before = facts.commits[&switch].parents.clone();
    assert_eq!(before.len(), 1);
    // Every yarn.lock version of the parent is removed at the switch (the others before); every
    // pnpm-lock.yaml version is introduced there and present.
    let mut yarn_removed: HashSet<Key> = HashSet::new();
    let mut pnpm: HashSet<Key> = HashSet::new();
    for p in report["packages"].as_array().unwrap() {
        let lockfile = str_of(p, "lockfile");
        let kind = kind_of(lockfile).unwrap();
        for v in p["versions"].as_array().unwrap() {
            let key = entry_key(kind, str_of(p, "name"), v);
            match lockfile {
                "yarn.lock" => {
                    assert!(!v["removed"].is_null(), "{p}");
                    if v["removed"]["commit"] == switch.as_str() {
                        yarn_removed.extend(key);
                    }
                }
                "pnpm-lock.yaml" => {
                    assert_eq!(v["introduced"]["commit"], switch.as_str(), "{p}");
                    assert!(v["removed"].is_null(), "{p}");
                    pnpm.extend(key);
                }
                other => panic!("{other}"),
            }
        }
    }
    let comparable = |keys: &HashSet<Key>| -> HashSet<Key> {
        keys.iter().filter(|k| !k.2.starts_with("other") && k.2 != "path").cloned().collect()
    };
    let yarn_before = comparable(facts.at(&before[0], "yarn.lock"));
    assert!(yarn_before.len() > 500, "{}", yarn_before.len());
    assert_eq!(yarn_removed, yarn_before);
    let pnpm_after = comparable(facts.at(&switch, "pnpm-lock.yaml"));
    assert!(pnpm_after.len() > 500, "{}", pnpm_after.len());
    assert_eq!(pnpm, pnpm_after);
    let intro = &facts.commits[&switch];
    let v = report["packages"].as_array().unwrap().iter().find(|p| p["lockfile"] == "pnpm-lock.yaml").unwrap();
    assert_eq!(v["versions"][0]["introduced"]["date"], intro.date.as_str());
    assert_eq!(v["versions"][0]["introduced"]["author"], intro.author.as_str());
}
