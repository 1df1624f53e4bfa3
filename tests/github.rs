//! `chainward::github`: workflow-command escaping, annotations, step outputs and the job summary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;

use chainward::advisory::{AdvisoryKind, Severity};
use chainward::finding::{Finding, Location, PackageRef};
use chainward::github::{annotations, append_step_summary, escape_data, escape_property, write_outputs};
use chainward::report::{Database, Report, Summary, Tool};

fn finding(name: &str, severity: Severity, summary: &str) -> Finding {
    Finding {
        id: "RUSTSEC-2021-0003".to_owned(),
        aliases: vec![],
        kind: AdvisoryKind::Vulnerability.into(),
        severity,
        cvss: None,
        package: PackageRef {
            ecosystem: "crates.io".to_owned(),
            name: name.to_owned(),
            version: "1.6.0".to_owned(),
            purl: None,
        },
        location: Location { path: "Cargo.lock".to_owned(), line: Some(12), end_line: Some(16) },
        summary: summary.to_owned(),
        fixed_in: vec![">=1.6.1".to_owned()],
        url: None,
        details: String::new(),
        cvss_vector: None,
        suppression: None,
        compiled: None,
    }
}

fn report(findings: Vec<Finding>) -> Report {
    Report {
        version: 1,
        tool: Tool { name: "chainward".to_owned(), version: "0".to_owned() },
        database: Database { sources: vec![] },
        summary: Summary { packages: 1, findings: findings.len(), by_severity: BTreeMap::new() },
        findings,
        suppressed: vec![],
        not_compiled: Vec::new(),
        changes: None,
        warnings: vec![],
        errors: vec![],
    }
}

#[test]
fn escaping_follows_the_workflow_command_rules() {
    assert_eq!(escape_data("a%b\r\nc:d,e"), "a%25b%0D%0Ac:d,e");
    assert_eq!(escape_property("a%b\r\nc:d,e"), "a%25b%0D%0Ac%3Ad%2Ce");
    // `%` first: an already-escaped sequence is not decoded by the runner into a line break.
    assert_eq!(escape_data("%0A"), "%250A");
}

#[test]
fn one_annotation_per_finding_by_severity() {
    let r = report(vec![
        finding("smallvec", Severity::Critical, "Buffer overflow in SmallVec::insert_many"),
        finding("a", Severity::High, "x"),
        finding("b", Severity::Medium, "x"),
        finding("c", Severity::Low, "x"),
        finding("d", Severity::Info, "x"),
    ]);
    let text = annotations(&r, "");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0],
        "::error file=Cargo.lock,line=12,endLine=16,title=RUSTSEC-2021-0003 (critical)%3A smallvec 1.6.0::\
         smallvec 1.6.0 is affected by RUSTSEC-2021-0003: Buffer overflow in SmallVec::insert_many (fixed in >=1.6.1)"
    );
    assert!(lines[1].starts_with("::error "));
    assert!(lines[2].starts_with("::warning "));
    assert!(lines[3].starts_with("::warning "));
    assert!(lines[4].starts_with("::notice "));
}

#[test]
fn the_path_prefix_is_joined_and_lines_are_optional() {
    let mut f = finding("a", Severity::Low, "x");
    f.location = Location { path: "crates/x/Cargo.lock".to_owned(), line: None, end_line: None };
    for prefix in ["sub", "sub/", "./sub"] {
        let text = annotations(&report(vec![f.clone()]), prefix);
        assert!(text.starts_with("::warning file=sub/crates/x/Cargo.lock,title="), "{prefix}: {text}");
        assert!(!text.contains("line="), "{text}");
    }
    for prefix in ["", ".", "./"] {
        let text = annotations(&report(vec![f.clone()]), prefix);
        assert!(text.starts_with("::warning file=crates/x/Cargo.lock,"), "{prefix}: {text}");
    }
}

#[test]
fn an_attacker_controlled_package_name_cannot_inject_a_command() {
    let evil = "evil\n::add-mask::ghp_x\r\n::set-output name=findings::0,title=x::y%0A::error::z";
    let mut f = finding(evil, Severity::High, "summary\n::add-mask::secret");
    f.package.version = "1.0.0\n::stop-commands::token".to_owned();
    f.location.path = "a,line=1::\n::error::x/Cargo.lock".to_owned();
    let text = annotations(&report(vec![f]), "");
    // Exactly one line, and it is the one command chainward wrote.
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.ends_with('\n'));
    let line = text.trim_end_matches('\n');
    assert!(!line.contains(['\r', '\n']));
    assert!(
        line.starts_with("::error file=a%2Cline=1%3A%3A\\n%3A%3Aerror%3A%3Ax/Cargo.lock,line=12,endLine=16,title="),
        "{line}"
    );
    // The properties end at the first `::`: everything before it is the escaped property list,
    // which holds no `:` at all (so no property value can end the list early).
    let (head, message) = line.trim_start_matches("::error ").split_once("::").unwrap();
    assert!(!head.contains(':'), "{head}");
    assert_eq!(head.split(',').count(), 4, "file, line, endLine, title: {head}");
    // Line breaks never reach the runner, not even escaped: the one sanitiser shows them as `\n`.
    assert!(message.contains("evil\\n::add-mask::ghp_x\\r\\n::set-output"), "{message}");
    assert!(message.contains("%250A"), "a literal %0A is escaped: {message}");
}

#[test]
fn outputs_use_name_value_or_a_heredoc_with_an_unused_delimiter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("output");
    std::fs::write(&path, "earlier=1\n").unwrap();
    write_outputs(&path, &[("findings", "3"), ("sarif-file", "")]).unwrap();
    write_outputs(&path, &[("text", "a\nEOF\nb")]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(&lines[..3], ["earlier=1", "findings=3", "sarif-file="]);
    let delimiter = lines[3].strip_prefix("text<<").unwrap();
    assert!(delimiter.len() > 16 && !"a\nEOF\nb".contains(delimiter));
    assert_eq!(&lines[4..], ["a", "EOF", "b", delimiter]);
    // A value ending with a newline keeps it and is not followed by an empty line.
    write_outputs(&path, &[("x", "1\n")]).unwrap();
    let more = std::fs::read_to_string(&path).unwrap();
    let tail: Vec<&str> = more.lines().skip(lines.len()).collect();
    assert_eq!(tail.len(), 3);
    assert_eq!(tail[1], "1");
}

#[test]
fn a_value_cannot_forge_another_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("output");
    write_outputs(&path, &[("sarif-file", "x\nfindings=0")]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("sarif-file<<ghadelimiter_"), "{text}");
    // `\r` alone is a line break for the runner too.
    write_outputs(&path, &[("a", "x\rfindings=0")]).unwrap();
    assert!(std::fs::read_to_string(&path).unwrap().contains("a<<ghadelimiter_"));
}

#[test]
fn bad_output_names_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("output");
    for name in ["", "a=b", "a<<b", "a\nb"] {
        let e = write_outputs(&path, &[("ok", "1"), (name, "v")]).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    }
    assert!(!path.exists());
}

#[test]
fn the_summary_is_appended_with_a_final_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.md");
    append_step_summary(&path, "# one").unwrap();
    append_step_summary(&path, "two\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# one\ntwo\n");
}
