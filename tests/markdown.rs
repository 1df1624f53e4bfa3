//! `report::markdown`: the PR summary escapes every lockfile and advisory string, links only
//! to https, shows new suppressions and the compiled view, and stays under the comment size limit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;

use chainward::advisory::{AdvisoryKind, Severity};
use chainward::compiled::{Compiled, Status};
use chainward::finding::{Finding, Location, PackageRef};
use chainward::report::markdown::{MAX_LEN, render};
use chainward::report::{Changes, Database, IgnoreRef, PackageChange, Report, ReportError, Summary, Suppression, Tool};

fn finding(id: &str, name: &str, severity: Severity) -> Finding {
    Finding {
        id: id.to_owned(),
        aliases: Vec::new(),
        kind: AdvisoryKind::Vulnerability.into(),
        severity,
        cvss: None,
        package: PackageRef {
            ecosystem: "crates.io".to_owned(),
            name: name.to_owned(),
            version: "1.0.0".to_owned(),
            purl: None,
        },
        location: Location { path: "Cargo.lock".to_owned(), line: Some(5), end_line: Some(9) },
        summary: format!("Problem in {name}"),
        fixed_in: vec![">=1.0.1".to_owned()],
        url: Some(format!("https://rustsec.org/advisories/{id}.html")),
        details: String::new(),
        cvss_vector: None,
        suppression: None,
        compiled: None,
    }
}

fn compiled(status: Status, reason: Option<&str>) -> Compiled {
    Compiled { status, reason: reason.map(str::to_owned) }
}

fn report(findings: Vec<Finding>) -> Report {
    Report {
        version: 1,
        tool: Tool { name: "chainward".to_owned(), version: "0.0.0".to_owned() },
        database: Database { sources: Vec::new() },
        summary: Summary { packages: 3, findings: findings.len(), by_severity: BTreeMap::new() },
        findings,
        suppressed: Vec::new(),
        not_compiled: Vec::new(),
        changes: None,
        warnings: Vec::new(),
        errors: Vec::new(),
    }
}

#[test]
fn groups_most_severe_first_with_counts_and_links() {
    let r = report(vec![
        finding("RUSTSEC-2099-0002", "low-one", Severity::Low),
        finding("RUSTSEC-2099-0001", "crit-one", Severity::Critical),
    ]);
    let md = render(&r);
    assert!(md.starts_with("## chainward: 2 findings"), "{md}");
    assert!(md.contains("1 critical, 1 low"), "{md}");
    let crit = md.find("crit-one").unwrap();
    let low = md.find("low-one").unwrap();
    assert!(crit < low, "most severe first:\n{md}");
    assert!(md.contains("[RUSTSEC-2099-0001](https://rustsec.org/advisories/RUSTSEC-2099-0001.html)"), "{md}");
    assert!(md.contains("upgrade to &gt;= 1.0.1"), "{md}");
    assert!(render(&report(Vec::new())).contains("no known advisories"));
}

#[test]
fn hostile_strings_are_inert() {
    let mut a = finding("RUSTSEC-2099-0001", "<img src=x onerror=alert(1)>", Severity::High);
    a.summary = "[x](javascript:alert(1)) ping @org/team\n# heading | cell".to_owned();
    a.url = Some("javascript:alert(1)".to_owned());
    let mut b = finding("[x](javascript:alert(1))", "@org/team", Severity::High);
    b.url = Some("https://evil.example/a)b".to_owned());
    let mut r = report(vec![a, b]);
    r.warnings.push("<script>alert(1)</script>".to_owned());
    r.errors.push(ReportError { path: "`x`".to_owned(), line: None, message: "**bold** @someone".to_owned() });
    let md = render(&r);
    for bad in ["<img", "<script", "](javascript", "@org", "@someone", "(https://evil", "**bold**", "\n# heading"] {
        assert!(!md.contains(bad), "{bad:?} in:\n{md}");
    }
    // Every table row still has exactly 7 unescaped pipes (6 cells).
    for row in md.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| ---") && !l.starts_with("| Severity")) {
        let pipes = row.char_indices().filter(|&(i, c)| c == '|' && (i == 0 || &row[i - 1..i] != "\\")).count();
        assert_eq!(pipes, 7, "{row}");
    }
}

#[test]
fn suppressions_changes_warnings_and_errors_are_shown() {
    let mut silenced = finding("RUSTSEC-2099-0003", "quiet", Severity::Medium);
    silenced.suppression = Some(Suppression {
        reason: "not reachable".to_owned(),
        until: Some("2099-01-01".to_owned()),
        source: String::new(),
    });
    let mut r = report(vec![finding("RUSTSEC-2099-0001", "loud", Severity::High)]);
    r.suppressed.push(silenced);
    r.changes = Some(Changes {
        base: "main".to_owned(),
        head: "worktree".to_owned(),
        added: vec![PackageChange {
            ecosystem: "crates.io".to_owned(),
            name: "newdep".to_owned(),
            version: "0.1.0".to_owned(),
            previous: None,
            path: "Cargo.lock".to_owned(),
            line: Some(3),
        }],
        removed: Vec::new(),
        updated: vec![PackageChange {
            ecosystem: "crates.io".to_owned(),
            name: "bumped".to_owned(),
            version: "2.0.0".to_owned(),
            previous: Some("1.0.0".to_owned()),
            path: "Cargo.lock".to_owned(),
            line: None,
        }],
        new_suppressions: vec![IgnoreRef {
            id: "RUSTSEC-2099-0003".to_owned(),
            package: Some("quiet".to_owned()),
            reason: "not reachable".to_owned(),
            until: None,
        }],
    });
    r.warnings.push("ignore RUSTSEC-2000-0001 expired".to_owned());
    r.errors.push(ReportError { path: "x/Cargo.lock".to_owned(), line: Some(4), message: "cannot parse".to_owned() });
    let md = render(&r);
    let details = md.find("<details>").unwrap();
    let new_suppressions = md.find("New suppressions").unwrap();
    assert!(new_suppressions < details, "new suppressions are not collapsed:\n{md}");
    assert!(md[new_suppressions..details].contains("RUSTSEC-2099-0003"), "{md}");
    assert!(md[details..].contains("not reachable") && md.contains("</details>"), "{md}");
    assert!(md.contains("newdep 0.1.0") && md.contains("bumped 1.0.0 → 2.0.0"), "{md}");
    assert!(md.contains("- ignore RUSTSEC-2000-0001 expired"), "{md}");
    assert!(md.contains("- x/Cargo.lock:4: cannot parse"), "{md}");
}

#[test]
fn long_reports_are_truncated_with_a_count() {
    let findings: Vec<Finding> = (0..5000)
        .map(|i| {
            let mut f = finding(&format!("RUSTSEC-2099-{i:04}"), &format!("pkg-{i}"), Severity::High);
            f.summary = "y".repeat(1000);
            f
        })
        .collect();
    let mut r = report(findings.clone());
    r.suppressed = findings
        .into_iter()
        .map(|mut f| {
            f.suppression = Some(Suppression { reason: "z".repeat(300), until: None, source: String::new() });
            f
        })
        .collect();
    r.warnings = vec!["w".repeat(10_000); 100];
    let md = render(&r);
    assert!(md.len() <= MAX_LEN, "{} bytes", md.len());
    assert!(md.chars().count() < 60_000);
    assert!(md.contains("more findings"), "{}", &md[md.len() - 500..]);
    let left: usize = md
        .lines()
        .find_map(|l| l.strip_prefix("… and ").and_then(|r| r.strip_suffix(" more findings")))
        .unwrap()
        .parse()
        .unwrap();
    let shown = md.lines().filter(|l| l.starts_with("| high | pkg-")).count();
    assert_eq!(shown + left, 5000);
    assert!(md.contains("</details>"), "the collapsed section is closed");
}

/// Every row of the findings table has 7 cells (8 unescaped pipes), every row of the
/// collapsed sections 6.
fn assert_table_shapes(md: &str) {
    let details = md.find("<details>").unwrap();
    for (part, expected) in [(&md[..details], 8), (&md[details..], 7)] {
        for row in part.lines().filter(|l| l.starts_with("| ")) {
            assert_eq!(pipes(row), expected, "{row}");
        }
    }
}

/// Unescaped pipes of a table row.
fn pipes(row: &str) -> usize {
    row.char_indices().filter(|&(i, c)| c == '|' && (i == 0 || &row[i - 1..i] != "\\")).count()
}

#[test]
fn compiled_column_and_not_compiled_section() {
    let mut rsa = finding("RUSTSEC-2023-0071", "rsa", Severity::Medium);
    rsa.compiled = Some(compiled(Status::No, Some("feature mysql of sqlx 0.8.6 is off")));
    let mut syn = finding("RUSTSEC-2099-0002", "syn", Severity::High);
    syn.compiled = Some(compiled(Status::Build, Some("proc-macro serde_derive 1.0.0")));
    let mut smallvec = finding("RUSTSEC-2099-0003", "smallvec", Severity::Critical);
    smallvec.compiled = Some(compiled(Status::Runtime, None));
    let npm = finding("GHSA-xxxx", "left-pad", Severity::Low);
    let mut mockito = finding("RUSTSEC-2099-0004", "mockito", Severity::Low);
    mockito.compiled = Some(compiled(Status::Dev, Some("dev-dependency of app 0.1.0")));
    let mut r = report(vec![smallvec, syn, rsa.clone(), npm]);
    r.not_compiled = vec![rsa.clone(), mockito];
    let md = render(&r);
    assert!(md.contains("| Severity | Package | Version | Compiled | Advisory | Title | Fix |\n"), "{md}");
    assert!(md.contains("| --- | --- | --- | --- | --- | --- | --- |\n"), "{md}");
    assert!(md.contains("| critical | smallvec | 1.0.0 | runtime | "), "{md}");
    assert!(md.contains("| high | syn | 1.0.0 | build\\: proc-macro serde\\_derive 1.0.0 | "), "{md}");
    assert!(md.contains("| medium | rsa | 1.0.0 | no\\: feature mysql of sqlx 0.8.6 is off | "), "{md}");
    assert!(md.contains("| low | left-pad | 1.0.0 | - | "), "no status for another ecosystem: {md}");
    assert_table_shapes(&md);
    let details = md.find("<details><summary>2 finding(s) in packages not compiled for this configuration").unwrap();
    let section = &md[details..];
    assert!(section.contains("| Severity | Package | Version | Advisory | Compiled | Reason |"), "{md}");
    assert!(
        section.contains("| medium | rsa | 1.0.0 | [RUSTSEC-2023-0071](https://rustsec.org/advisories/RUSTSEC-2023-0071.html) | no | feature mysql of sqlx 0.8.6 is off |"),
        "{md}"
    );
    assert!(section.contains("| low | mockito | 1.0.0 | "), "{md}");
    assert!(section.contains(" | dev | dev-dependency of app 0.1.0 |"), "{md}");
    assert!(section.contains("</details>"), "{md}");

    // Without the compiled view: the table as before.
    let md = render(&report(vec![finding("RUSTSEC-2099-0001", "foo", Severity::High)]));
    assert!(md.contains("| Severity | Package | Version | Advisory | Title | Fix |\n"), "{md}");
    assert!(!md.contains("Compiled") && !md.contains("not compiled"), "{md}");
}

#[test]
fn only_not_compiled_findings_do_not_read_as_clean() {
    let mut rsa = finding("RUSTSEC-2023-0071", "rsa", Severity::Medium);
    rsa.compiled = Some(compiled(Status::No, Some("feature mysql of sqlx 0.8.6 is off")));
    let mut r = report(Vec::new());
    r.not_compiled.push(rsa);
    let md = render(&r);
    assert!(!md.contains("no known advisories\n"), "{md}");
    assert!(md.starts_with("## chainward: no known advisories in compiled packages\n"), "{md}");
    assert!(md.contains("1 finding in packages not compiled for this configuration, not counted (below)"), "{md}");
    assert!(
        md.contains("<details><summary>1 finding(s) in packages not compiled") && md.contains("| no | feature mysql")
    );
}

#[test]
fn hostile_compiled_reasons_are_inert() {
    let reason = "feature <img src=x onerror=alert(1)> of @org/team | [x](javascript:alert(1))\n# heading `code`";
    let mut f = finding("RUSTSEC-2099-0001", "evil", Severity::High);
    f.compiled = Some(compiled(Status::No, Some(reason)));
    let mut long = finding("RUSTSEC-2099-0002", "long", Severity::High);
    long.compiled = Some(compiled(Status::Build, Some(&"y".repeat(10_000))));
    let mut r = report(vec![f.clone(), long.clone()]);
    r.not_compiled = vec![f, long];
    let md = render(&r);
    for bad in ["<img", "](javascript", "@org", "\n# heading", "`code`", "y".repeat(201).as_str()] {
        assert!(!md.contains(bad), "{bad:?} in:\n{md}");
    }
    assert_table_shapes(&md);
}

#[test]
fn many_not_compiled_findings_stay_under_the_limit() {
    let findings: Vec<Finding> = (0..5000)
        .map(|i| {
            let mut f = finding(&format!("RUSTSEC-2099-{i:04}"), &format!("pkg-{i}"), Severity::High);
            f.compiled = Some(compiled(Status::No, Some(&"z".repeat(300))));
            f
        })
        .collect();
    let mut r = report(Vec::new());
    r.not_compiled = findings;
    let md = render(&r);
    assert!(md.len() <= MAX_LEN, "{} bytes", md.len());
    assert!(md.contains("more findings in packages not compiled"), "{}", &md[md.len() - 500..]);
    assert!(md.contains("</details>"), "the collapsed section is closed");
}
