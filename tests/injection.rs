//! A hostile pull request's lockfile, policy file or SBOM, and a hostile advisory record, reach no
//! terminal, CI log or report raw: every diagnostic on stderr is one line with no control or
//! format character (GitHub's runner reads workflow commands such as `::add-mask::` and
//! `::stop-commands::` at the start of any line of stdout *and* stderr), and every report
//! (table, Markdown, JSON, SARIF) carries such characters only as visible or JSON escapes.
//! Long values are clipped: a 50 MB dependency string once made a 52 MB SARIF file.

// Test code fails loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use chainward::sanitize::is_unsafe;

/// Text that tries every trick: an escape sequence, a line break starting workflow commands,
/// NUL, a bidi override, an isolate, a zero-width space, a line separator and a C1 CSI.
const HOSTILE: &str = "x\u{1b}[2J\u{1b}]0;owned\u{7}\n::add-mask::ghp_secret\r\n::stop-commands::tok\0\u{202e}txt.exe\u{2066}\u{200b}\u{2028}\u{9b}31m";

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .args(common::no_registry(args))
        .current_dir(dir)
        .env("CHAINWARD_CACHE_DIR", dir.join(".cache"))
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap()
}

/// Every line of stderr is a plain diagnostic: `error:`/`warning:` first, nothing unsafe in it,
/// and so no line can be a workflow command.
fn assert_safe_stderr(out: &Output) {
    let text = String::from_utf8(out.stderr.clone()).unwrap();
    for line in text.lines() {
        assert!(!line.chars().any(is_unsafe), "unsafe character on stderr: {line:?}");
        assert!(!line.trim_start().starts_with("::"), "a workflow command on stderr: {line:?}");
    }
}

/// A report: no unsafe character at all, except the line breaks between its lines (and, in
/// Markdown, the zero-width space chainward itself puts after every `@` so that no name
/// mentions anyone).
fn assert_safe_report(bytes: &[u8], what: &str) {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let text = if what == "markdown" { text.replace("@\u{200b}", "@") } else { text };
    assert!(!text.chars().any(|c| is_unsafe(c) && c != '\n'), "{what}: unsafe character in {text:?}");
    for line in text.lines() {
        assert!(!line.trim_start().starts_with("::"), "{what}: a workflow command: {line:?}");
    }
}

/// `s` as the inside of a TOML basic string (controls as `\\uXXXX`).
fn toml_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

fn lockfile_with_hostile_dependency(dependency: &str) -> String {
    format!(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"{}\",\n]\n",
        toml_escape(dependency)
    )
}

#[test]
fn a_hostile_lockfile_error_is_one_safe_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), lockfile_with_hostile_dependency(HOSTILE)).unwrap();
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/diff");
    for format in ["table", "json", "sarif", "markdown"] {
        let out = run(dir.path(), &["scan", ".", "--db", db.to_str().unwrap(), "--format", format]);
        assert_eq!(out.status.code(), Some(2), "{format}: the lockfile cannot be read");
        assert_safe_stderr(&out);
        assert_safe_report(&out.stdout, format);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("\\u{1b}[2J") && stderr.contains("\\n::add-mask::"), "shown, escaped: {stderr}");
    }
    let out = run(dir.path(), &["sbom", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert_safe_stderr(&out);
}

#[test]
fn a_fifty_megabyte_dependency_string_makes_a_small_report() {
    let dir = tempfile::tempdir().unwrap();
    let huge = "y".repeat(50 << 20);
    std::fs::write(dir.path().join("Cargo.lock"), lockfile_with_hostile_dependency(&huge)).unwrap();
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/diff");
    let out = run(dir.path(), &["scan", ".", "--db", db.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.len() < 64 << 10, "SARIF of {} bytes", out.stdout.len());
    assert!(out.stderr.len() < 16 << 10, "stderr of {} bytes", out.stderr.len());
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let note = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"].as_str().unwrap();
    assert!(note.contains("more bytes"), "says it was clipped: {note}");
}

#[test]
fn a_hostile_policy_file_error_is_one_safe_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), "version = 3\n").unwrap();
    std::fs::write(dir.path().join("chainward.toml"), format!("fail-on = \"{}\"\n", toml_escape(HOSTILE))).unwrap();
    let out = run(dir.path(), &["scan", ".", "--db", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert_safe_stderr(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid fail-on"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_hostile_advisory_record_reaches_no_report_raw() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir_all(&db).unwrap();
    let record = serde_json::json!({
        "id": format!("GHSA-{HOSTILE}"),
        "summary": HOSTILE,
        "details": format!("line one\n{HOSTILE}\nline three"),
        "aliases": [HOSTILE],
        "affected": [{"package": {"ecosystem": "crates.io", "name": "vulnold"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}],
        "references": [{"type": "ADVISORY", "url": format!("https://example.com/{HOSTILE}")}]
    });
    std::fs::write(db.join("hostile.json"), serde_json::to_vec(&record).unwrap()).unwrap();
    std::fs::write(
        dir.path().join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"vulnold\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    for format in ["table", "json", "sarif", "markdown"] {
        let out = run(dir.path(), &["scan", ".", "--db", db.to_str().unwrap(), "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        assert_safe_stderr(&out);
        assert_safe_report(&out.stdout, format);
    }
    // JSON keeps the data (lossless escapes): the summary reads back as it was written.
    let out = run(dir.path(), &["scan", ".", "--db", db.to_str().unwrap(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["summary"], HOSTILE);
    // SARIF is still valid.
    let out = run(dir.path(), &["scan", ".", "--db", db.to_str().unwrap(), "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    if let Err(errors) = common::validate_sarif(&sarif) {
        panic!("{errors:?}");
    }
    // Annotations in GitHub Actions: one command per finding, nothing else.
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["scan", ".", "--db", db.to_str().unwrap(), "--annotate", "--format", "json", "-o", "report.json"])
        .args(common::no_registry(&["scan"]))
        .current_dir(dir.path())
        .env("CHAINWARD_CACHE_DIR", dir.path().join(".cache"))
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("::error ") || stdout.starts_with("::warning "), "{stdout}");
    assert!(!stdout.trim_end().chars().any(is_unsafe), "{stdout:?}");
}

#[test]
fn a_hostile_sbom_reaches_no_diagnostic_raw() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5",
        "components": [
            {"type": "library", "name": HOSTILE, "purl": format!("pkg:cargo/{}@1.0.0", HOSTILE.replace('%', ""))},
            {"type": "library", "name": HOSTILE, "purl": format!("pkg:deb/debian/x@{HOSTILE}")},
            {"type": "library", "name": HOSTILE},
            {"type": "library", "name": "vulnold", "purl": "pkg:cargo/vulnold@1.0.0"}
        ]
    });
    std::fs::write(dir.path().join("bom.json"), serde_json::to_vec(&sbom).unwrap()).unwrap();
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/diff");
    for format in ["table", "json", "sarif", "markdown"] {
        let out = run(dir.path(), &["scan", "bom.json", "--db", db.to_str().unwrap(), "--format", format]);
        assert_safe_stderr(&out);
        assert_safe_report(&out.stdout, format);
    }
}
