//! Helpers shared by the integration tests (`mod common;` in each test file).
//!
//! The fixtures and official JSON schemas live in `../shared` (next to the crate
//! root). They are read at test time and never copied into the project.
//! When that folder is missing the helpers skip (return `None` / `Ok(())`),
//! unless `CHAINWARD_REQUIRE_SHARED=1` is set, in which case they panic.
#![allow(dead_code)]
// Test-support code: failing loudly (panic/expect) and noting skips on stderr
// is the point. clippy.toml's `allow-*-in-tests` only covers `#[test]` fns.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used, clippy::print_stderr)]

pub mod conformance;
pub mod mutate;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Registry, ValidationError, Validator};
use serde_json::Value;

/// Base URI the `CycloneDX` `bom-1.x` schemas use for their `$id`; their
/// sibling `$ref`s (`spdx.schema.json`, `jsf-0.82.schema.json`,
/// `cryptography-defs.schema.json`) resolve against it.
const CYCLONEDX_BASE: &str = "http://cyclonedx.org/schema/";

/// Sibling schemas the `bom-1.x` schemas reference, per spec version.
fn cyclonedx_siblings(spec: &str) -> &'static [&'static str] {
    match spec {
        "1.7" => &["spdx.schema.json", "jsf-0.82.schema.json", "cryptography-defs.schema.json"],
        _ => &["spdx.schema.json", "jsf-0.82.schema.json"],
    }
}

/// The `../shared` folder, canonicalized, or `None` (with a note on stderr)
/// when it does not exist. Panics instead of skipping when
/// `CHAINWARD_REQUIRE_SHARED=1`.
pub fn shared_dir() -> Option<PathBuf> {
    let candidate = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if let Ok(dir) = candidate.canonicalize()
        && dir.is_dir()
    {
        return Some(dir);
    }
    assert!(
        !std::env::var("CHAINWARD_REQUIRE_SHARED").is_ok_and(|v| v == "1"),
        "../shared is required (CHAINWARD_REQUIRE_SHARED=1) but missing at {}",
        candidate.display()
    );
    eprintln!("skipping: ../shared not found at {}", candidate.display());
    None
}

/// Reads and parses `<shared>/schemas/<name>`, panicking with the path on failure.
fn load_schema(shared: &Path, name: &str) -> Value {
    let path = shared.join("schemas").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read schema {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse schema {}: {e}", path.display()))
}

/// Minimal stand-in for `idn-email`: the built-in check needs jsonschema's
/// `idna` feature, which is off (default features disabled), and unknown
/// formats are otherwise silently ignored.
fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Stand-in for `uri-reference` in the draft-04 SARIF schema: jsonschema only
/// knows that format from draft 6 on and would silently ignore it under
/// draft 4. Uses the same RFC 3986 parser jsonschema resolves `$ref`s with.
fn is_uri_reference(s: &str) -> bool {
    jsonschema::uri::from_str(s).is_ok()
}

/// Shared compile options: offline (never fetch anything), formats asserted.
fn options<'i>() -> jsonschema::ValidationOptions<'i> {
    jsonschema::options().offline().should_validate_formats(true).with_format("idn-email", looks_like_email)
}

fn build_cyclonedx_validator(shared: &Path, spec: &str) -> Validator {
    let main_name = format!("bom-{spec}.schema.json");
    let schema = load_schema(shared, &main_name);
    let mut builder = Registry::new();
    for sibling in cyclonedx_siblings(spec) {
        let uri = format!("{CYCLONEDX_BASE}{sibling}");
        let doc = load_schema(shared, sibling);
        builder = builder.add(&uri, doc).unwrap_or_else(|e| panic!("cannot register {uri}: {e}"));
    }
    let registry = builder.prepare().unwrap_or_else(|e| panic!("cannot prepare registry for {main_name}: {e}"));
    options().with_registry(&registry).build(&schema).unwrap_or_else(|e| panic!("cannot compile {main_name}: {e}"))
}

fn path_of(error: &ValidationError<'_>) -> String {
    let path = error.instance_path().to_string();
    if path.is_empty() { "<root>".to_owned() } else { path }
}

/// Pushes `error` as `"instance_path: message"`, then, for `oneOf`/`anyOf`
/// failures (whose message alone hides the cause), every branch's errors as
/// `"instance_path: message [oneOf branch N at parent_path]"`.
fn push_error(out: &mut Vec<String>, error: &ValidationError<'_>) {
    let path = path_of(error);
    out.push(format!("{path}: {error}"));
    let (keyword, context) = match error.kind() {
        ValidationErrorKind::OneOfNotValid { context } => ("oneOf", context),
        ValidationErrorKind::AnyOf { context } => ("anyOf", context),
        _ => return,
    };
    for (branch, errors) in context.iter().enumerate() {
        for nested in errors {
            let mut sub = Vec::new();
            push_error(&mut sub, nested);
            out.extend(sub.into_iter().map(|e| format!("{e} [{keyword} branch {branch} at {path}]")));
        }
    }
}

/// Collects every error (see [`push_error`] for the format).
fn collect_errors(validator: &Validator, doc: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    for error in validator.iter_errors(doc) {
        push_error(&mut errors, &error);
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Validates `doc` against the official `CycloneDX` JSON schema for `spec`
/// ("1.5", "1.6" or "1.7"), fully offline. Returns every error as
/// `"instance_path: message"`. Returns `Ok(())` when `../shared` is missing
/// and skipping is allowed. Panics on an unsupported `spec`.
pub fn validate_cyclonedx(doc: &Value, spec: &str) -> Result<(), Vec<String>> {
    static V15: OnceLock<Validator> = OnceLock::new();
    static V16: OnceLock<Validator> = OnceLock::new();
    static V17: OnceLock<Validator> = OnceLock::new();
    let cell = match spec {
        "1.5" => &V15,
        "1.6" => &V16,
        "1.7" => &V17,
        other => panic!("unsupported CycloneDX spec version {other:?} (want 1.5, 1.6 or 1.7)"),
    };
    let Some(shared) = shared_dir() else {
        return Ok(());
    };
    let validator = cell.get_or_init(|| build_cyclonedx_validator(&shared, spec));
    collect_errors(validator, doc)
}

/// Validates `doc` against the official SARIF 2.1.0 JSON schema, offline.
/// Same conventions as [`validate_cyclonedx`].
pub fn validate_sarif(doc: &Value) -> Result<(), Vec<String>> {
    static SARIF: OnceLock<Validator> = OnceLock::new();
    let Some(shared) = shared_dir() else {
        return Ok(());
    };
    let validator = SARIF.get_or_init(|| {
        let name = "sarif-schema-2.1.0.json";
        options()
            .with_format("uri-reference", is_uri_reference)
            .build(&load_schema(&shared, name))
            .unwrap_or_else(|e| panic!("cannot compile {name}: {e}"))
    });
    collect_errors(validator, doc)
}

/// Copy a directory tree (test fixtures into a temporary directory).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `--no-registry` when `args` run `scan` or `diff`: tests never reach the public registries
/// (the heuristics tests point chainward at a registry served on 127.0.0.1 instead).
pub fn no_registry(args: &[&str]) -> &'static [&'static str] {
    match args.first() {
        Some(&("scan" | "diff")) => &["--no-registry"],
        _ => &[],
    }
}

/// Registry URLs that refuse connections at once, for commands whose arguments a test does not
/// control (the GitHub Action's script, the pre-commit hook).
pub const DEAD_REGISTRY: &str = "http://127.0.0.1:9/";

/// Point every registry at [`DEAD_REGISTRY`].
pub fn dead_registries(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in [
        "CHAINWARD_CRATES_IO_INDEX_URL",
        "CHAINWARD_CRATES_IO_API_URL",
        "CHAINWARD_NPM_REGISTRY_URL",
        "CHAINWARD_PYPI_URL",
    ] {
        cmd.env(var, DEAD_REGISTRY);
    }
    cmd
}

/// `name`'s executable: the environment variable `var` when set, else `name` on PATH. `None`
/// (with a note on stderr) when absent; a panic instead when `CHAINWARD_REQUIRE_TOOLS=1`.
pub fn external_tool(var: &str, name: &str) -> Option<PathBuf> {
    let found = std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_file()).or_else(|| {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()))
    });
    if found.is_none() {
        assert!(
            !std::env::var("CHAINWARD_REQUIRE_TOOLS").is_ok_and(|v| v == "1"),
            "{name} is required (CHAINWARD_REQUIRE_TOOLS=1) but not found: set {var} or put it on PATH"
        );
        eprintln!("skipping: {name} not found (set {var} or put it on PATH)");
    }
    found
}

/// Validates an XML CycloneDX document against the official XSD for `spec` ("1.5", "1.6" or
/// "1.7") with xmllint (Debian's `libxml2-utils`; `XMLLINT` or PATH), fully offline: `--nonet`,
/// and `../shared/schemas/catalog.xml` maps the XSDs' import of the SPDX schema to the local
/// copy. Checks well-formedness too. Returns xmllint's messages on failure. Returns `Ok(())`
/// when `../shared` or xmllint is missing and skipping is allowed (see [`shared_dir`] and
/// [`external_tool`]). Panics on an unsupported `spec`.
pub fn validate_cyclonedx_xml(xml: &[u8], spec: &str) -> Result<(), String> {
    assert!(
        matches!(spec, "1.5" | "1.6" | "1.7"),
        "unsupported CycloneDX spec version {spec:?} (want 1.5, 1.6 or 1.7)"
    );
    let Some(shared) = shared_dir() else {
        return Ok(());
    };
    let Some(xmllint) = external_tool("XMLLINT", "xmllint") else {
        return Ok(());
    };
    let schemas = shared.join("schemas");
    let mut file = tempfile::Builder::new().suffix(".xml").tempfile().expect("temporary file");
    std::io::Write::write_all(&mut file, xml).expect("write the XML");
    let out = std::process::Command::new(xmllint)
        .args(["--nonet", "--noout", "--schema"])
        .arg(schemas.join(format!("bom-{spec}.xsd")))
        .arg(file.path())
        .env("XML_CATALOG_FILES", schemas.join("catalog.xml"))
        .output()
        .expect("run xmllint");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// The crates.io source of a Cargo.lock package.
pub const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// A Cargo.lock with a path root package `app` depending on every listed crates.io package.
pub fn cargo_lock(packages: &[(&str, &str)]) -> String {
    use std::fmt::Write as _;
    let mut deps: Vec<&str> = packages.iter().map(|(n, _)| *n).collect();
    deps.sort_unstable();
    let mut out = String::from("version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n");
    if !deps.is_empty() {
        out.push_str("dependencies = [\n");
        for d in &deps {
            let _ = writeln!(out, " \"{d}\",");
        }
        out.push_str("]\n");
    }
    let mut sorted = packages.to_vec();
    sorted.sort_unstable();
    for (name, version) in sorted {
        let _ = write!(out, "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"{CRATES_IO}\"\n");
    }
    out
}

/// A git repository in a temporary directory, built with `git2`, for diff-mode tests.
pub struct GitRepo {
    _dir: tempfile::TempDir,
    /// Its work tree.
    pub path: PathBuf,
    /// The repository.
    pub repo: git2::Repository,
}

impl GitRepo {
    /// An empty repository.
    pub fn new() -> GitRepo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let repo = git2::Repository::init(&path).unwrap();
        GitRepo { _dir: dir, path, repo }
    }

    /// Write a file of the work tree (creating its directories).
    pub fn write(&self, rel: &str, text: &str) {
        let file = self.path.join(rel);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }

    /// Stage one file.
    pub fn stage(&self, rel: &str) {
        let mut index = self.repo.index().unwrap();
        index.add_path(Path::new(rel)).unwrap();
        index.write().unwrap();
    }

    /// Commit every file of the work tree on `HEAD`; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.commit_with_gitlinks(message, &[])
    }

    /// [`GitRepo::commit`], plus `gitlinks` (path, commit) as submodule entries (their
    /// directories' files are left out, as git does).
    pub fn commit_with_gitlinks(&self, message: &str, gitlinks: &[(&str, git2::Oid)]) -> String {
        let mut index = self.repo.index().unwrap();
        let skip: Vec<&str> = gitlinks.iter().map(|(p, _)| *p).collect();
        let mut keep = |path: &Path, _: &[u8]| -> i32 { i32::from(skip.iter().any(|s| path.starts_with(s))) };
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, Some(&mut keep)).unwrap();
        for (path, id) in gitlinks {
            index
                .add(&git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: 0o160_000,
                    uid: 0,
                    gid: 0,
                    file_size: 0,
                    id: *id,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                })
                .unwrap();
        }
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("test", "test@example.com").unwrap();
        let parent = self.repo.head().ok().and_then(|h| h.target()).map(|id| self.repo.find_commit(id).unwrap());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents).unwrap().to_string()
    }

    /// A bare clone of this repository at `into`, as `git clone --bare` makes one (every branch
    /// as a branch, the tags): a local clone, no network.
    pub fn clone_bare(&self, into: &Path) -> git2::Repository {
        git2::build::RepoBuilder::new()
            .bare(true)
            .remote_create(|repo, name, url| repo.remote_with_fetch(name, url, "+refs/heads/*:refs/heads/*"))
            .clone(self.path.to_str().unwrap(), into)
            .unwrap()
    }
}

/// An OSV record (as a JSON string) affecting crates.io `name` below `fixed`, last modified at
/// `modified` (RFC 3339).
pub fn osv_record(id: &str, name: &str, fixed: &str, modified: &str) -> String {
    serde_json::json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": modified,
        "published": "2020-01-01T00:00:00Z",
        "summary": format!("{name} is broken"),
        "affected": [{
            "package": {"ecosystem": "crates.io", "name": name},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }],
        "database_specific": {"severity": "HIGH"}
    })
    .to_string()
}

/// A vulnerability finding of a crates.io package, for tests of what reports and SBOMs write.
pub fn finding(id: &str, name: &str, version: &str, purl: Option<&str>) -> chainward::finding::Finding {
    chainward::finding::Finding {
        id: id.to_owned(),
        aliases: vec!["CVE-2099-0001".to_owned()],
        kind: chainward::advisory::AdvisoryKind::Vulnerability.into(),
        severity: chainward::advisory::Severity::High,
        cvss: None,
        package: chainward::finding::PackageRef {
            ecosystem: "crates.io".to_owned(),
            name: name.to_owned(),
            version: version.to_owned(),
            purl: purl.map(str::to_owned),
        },
        location: chainward::finding::Location { path: "Cargo.lock".to_owned(), line: None, end_line: None },
        summary: format!("Problem in {name}"),
        fixed_in: vec![">=9.0.0".to_owned()],
        url: None,
        details: String::new(),
        cvss_vector: None,
        suppression: None,
        compiled: None,
    }
}
