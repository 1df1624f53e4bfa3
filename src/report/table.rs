//! `--format table`: findings grouped by severity, one line each, for terminals.

use std::fmt::Write;

use super::Report;
use crate::advisory::Severity;
use crate::compiled::{Compiled, Status};

/// The report as an aligned text table.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if let Some(changes) = &report.changes {
        render_changes(&mut out, report, changes);
    }
    if report.findings.is_empty() {
        let what = if report.changes.is_some() { "new advisories affect" } else { "known advisories affect" };
        let packages = report.summary.packages;
        match report.not_compiled.len() {
            0 => {
                let _ = writeln!(out, "No {what} the {packages} packages scanned.");
            }
            // What `--compiled-only` / `--no-dev` set apart must not read as a clean scan.
            n => {
                let _ = writeln!(
                    out,
                    "No {what} the compiled packages of the {packages} scanned; {n} finding(s) in packages not compiled for this configuration are listed below, not counted."
                );
            }
        }
        render_suppressed(&mut out, report);
        render_not_compiled(&mut out, report);
        render_errors(&mut out, report);
        return out;
    }
    // Findings from several files (a Cargo.lock and a package-lock.json, two yarn workspaces)
    // say which file and line each is in; Rust findings with the compiled view say what cargo
    // does with the crate.
    let several_files = super::several_files(&report.findings);
    let with_compiled = report.findings.iter().any(|f| f.compiled.is_some());
    let header: Vec<String> = [
        Some("PACKAGE"),
        Some("VERSION"),
        with_compiled.then_some("COMPILED"),
        Some("ID"),
        Some("TITLE"),
        Some("FIX"),
        several_files.then_some("WHERE"),
    ]
    .into_iter()
    .flatten()
    .map(str::to_owned)
    .collect();
    for severity in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info] {
        let rows: Vec<Vec<String>> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| {
                let fix = f.remedy();
                let title =
                    if f.kind.in_title() { format!("[{}] {}", f.kind.as_str(), f.summary) } else { f.summary.clone() };
                let mut row = vec![clip(&f.package.name, 60), clip(&f.package.version, 30)];
                if with_compiled {
                    row.push(f.compiled.as_ref().map_or("-", |c| c.status.as_str()).to_owned());
                }
                row.extend([clip(&f.id, 40), clip(&title, 70), clip(&fix, 60)]);
                if several_files {
                    let path = clip(&f.location.path, 80);
                    row.push(f.location.line.map_or_else(|| path.clone(), |l| format!("{path}:{l}")));
                }
                row
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{} ({})", severity.as_str().to_uppercase(), rows.len());
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        super::aligned(&mut out, "  ", &header, &rows);
        out.push('\n');
    }
    render_compiled_reasons(&mut out, report);
    let s = &report.summary;
    let counts: Vec<String> = s.by_severity.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(out, "{} finding(s) in {} packages: {}.", s.findings, s.packages, counts.join(", "));
    render_suppressed(&mut out, report);
    render_not_compiled(&mut out, report);
    render_errors(&mut out, report);
    out
}

/// `status: reason` (or the status alone) of a compiled view, clipped and sanitised.
fn compiled_text(c: &Compiled) -> String {
    match &c.reason {
        Some(reason) => format!("{}: {}", c.status.as_str(), clip(reason, 160)),
        None => c.status.as_str().to_owned(),
    }
}

/// Below the findings: why each package that is not plainly linked in has its status
/// (`name version: status: reason`), once per package. A runtime package with a reason (its
/// metadata was missing, so it counts as compiled) is listed too.
fn render_compiled_reasons(out: &mut String, report: &Report) {
    let mut lines: Vec<String> = Vec::new();
    for f in &report.findings {
        let Some(c) = &f.compiled else { continue };
        if c.status == Status::Runtime && c.reason.is_none() {
            continue;
        }
        let line = format!("  {} {}: {}", clip(&f.package.name, 60), clip(&f.package.version, 30), compiled_text(c));
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "Compiled status:");
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
}

/// `--compiled-only` / `--no-dev`: the findings set apart, each with the status and why.
fn render_not_compiled(out: &mut String, report: &Report) {
    if report.not_compiled.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nNot compiled for this configuration ({}), not counted:", report.not_compiled.len());
    for f in &report.not_compiled {
        let why = f.compiled.as_ref().map(compiled_text).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {} {}: {why}",
            clip(&f.package.name, 60),
            clip(&f.package.version, 30),
            clip(&f.id, 40)
        );
    }
}

/// What could not be read: a report that leaves it out would look clean.
fn render_errors(out: &mut String, report: &Report) {
    if report.errors.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nNot checked ({} error(s); the exit code is 2):", report.errors.len());
    for e in &report.errors {
        let at = e.line.map_or_else(|| clip(&e.path, 200), |l| format!("{}:{l}", clip(&e.path, 200)));
        let _ = writeln!(out, "  {at}: {}", clip(&e.message, 300));
    }
}

/// Diff mode: the packages the change added, removed and updated, each with its new findings,
/// and the ignores it added.
fn render_changes(out: &mut String, report: &Report, changes: &super::Changes) {
    let _ = writeln!(out, "Changes from {} to {}:", clip(&changes.base, 60), clip(&changes.head, 60));
    let findings_of = |name: &str, version: &str| -> String {
        let ids: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.package.name == name && f.package.version == version)
            .map(|f| format!("{} ({})", clip(&f.id, 40), f.severity.as_str()))
            .collect();
        if ids.is_empty() { String::new() } else { format!("  ! {}", ids.join(", ")) }
    };
    let mut any = false;
    for (sign, list) in [("+", &changes.added), ("~", &changes.updated), ("-", &changes.removed)] {
        for c in list {
            any = true;
            let version = match &c.previous {
                Some(previous) => format!("{} -> {}", clip(previous, 30), clip(&c.version, 30)),
                None => clip(&c.version, 30),
            };
            let findings = if sign == "-" { String::new() } else { findings_of(&c.name, &c.version) };
            let _ = writeln!(out, "  {sign} {} {version}  ({}){findings}", clip(&c.name, 60), clip(&c.path, 80));
        }
    }
    if !any {
        let _ = writeln!(out, "  no package changed");
    }
    for i in &changes.new_suppressions {
        let package = i.package.as_deref().map(|p| format!(" for {}", clip(p, 60))).unwrap_or_default();
        let _ = writeln!(out, "  new ignore: {}{package}: {}", clip(&i.id, 40), clip(&i.reason, 100));
    }
    out.push('\n');
}

fn render_suppressed(out: &mut String, report: &Report) {
    if report.suppressed.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nIgnored by the policy ({}):", report.suppressed.len());
    for f in &report.suppressed {
        let reason = f.suppression.as_ref().map(|s| s.reason.as_str()).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {} {}: {}",
            clip(&f.package.name, 60),
            clip(&f.package.version, 30),
            clip(&f.id, 40),
            clip(reason, 100)
        );
    }
}

/// At most `max` characters of one line; control and format characters (from lockfiles and
/// advisory texts) shown as their escapes.
fn clip(s: &str, max: usize) -> String {
    super::clip(s, max)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::collections::BTreeMap;

    use super::*;
    use crate::advisory::AdvisoryKind;
    use crate::finding::{Finding, Location, PackageRef};
    use crate::report::{Database, Summary, Tool};

    fn finding(name: &str, severity: Severity, compiled: Option<(Status, Option<&str>)>) -> Finding {
        Finding {
            id: format!("RUSTSEC-2099-{:04}", name.len()),
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
            url: None,
            details: String::new(),
            cvss_vector: None,
            suppression: None,
            compiled: compiled.map(|(status, reason)| Compiled { status, reason: reason.map(str::to_owned) }),
        }
    }

    fn report(findings: Vec<Finding>, not_compiled: Vec<Finding>) -> Report {
        let mut by_severity = BTreeMap::new();
        for f in &findings {
            *by_severity.entry(f.severity.as_str()).or_insert(0) += 1;
        }
        Report {
            version: 1,
            tool: Tool { name: "chainward".to_owned(), version: "0.0.0".to_owned() },
            database: Database { sources: Vec::new() },
            summary: Summary { packages: 7, findings: findings.len(), by_severity },
            findings,
            suppressed: Vec::new(),
            not_compiled,
            changes: None,
            warnings: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// The header line of the first severity group, split into column names.
    fn header(table: &str) -> Vec<&str> {
        table.lines().find(|l| l.trim_start().starts_with("PACKAGE")).unwrap().split_whitespace().collect()
    }

    #[test]
    fn no_compiled_column_without_the_compiled_view() {
        let table = render(&report(vec![finding("foo", Severity::High, None)], Vec::new()));
        assert_eq!(header(&table), ["PACKAGE", "VERSION", "ID", "TITLE", "FIX"], "{table}");
        assert!(!table.contains("Compiled status"), "{table}");
    }

    #[test]
    fn compiled_column_after_version_and_reasons_below() {
        let findings = vec![
            finding("rsa", Severity::Critical, Some((Status::No, Some("feature mysql of sqlx 0.8.6 is off")))),
            finding("rsa", Severity::High, Some((Status::No, Some("feature mysql of sqlx 0.8.6 is off")))),
            finding("smallvec", Severity::High, Some((Status::Runtime, None))),
            finding("syn", Severity::Medium, Some((Status::Build, Some("proc-macro serde_derive 1.0.0")))),
            finding("mockito", Severity::Low, Some((Status::Dev, None))),
            finding("left-pad", Severity::Low, None),
        ];
        let table = render(&report(findings, Vec::new()));
        assert_eq!(header(&table), ["PACKAGE", "VERSION", "COMPILED", "ID", "TITLE", "FIX"], "{table}");
        let row = |name: &str| -> Vec<&str> {
            table
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{name} ")))
                .unwrap()
                .split_whitespace()
                .collect()
        };
        assert_eq!(row("smallvec")[2], "runtime", "{table}");
        assert_eq!(row("syn")[2], "build", "{table}");
        assert_eq!(row("mockito")[2], "dev", "{table}");
        assert_eq!(row("rsa")[2], "no", "{table}");
        assert_eq!(row("left-pad")[2], "-", "no status (another ecosystem): {table}");
        let notes = table.split("Compiled status:\n").nth(1).unwrap();
        let notes: Vec<&str> = notes.lines().take_while(|l| !l.is_empty()).collect();
        assert_eq!(
            notes,
            [
                "  rsa 1.0.0: no: feature mysql of sqlx 0.8.6 is off",
                "  syn 1.0.0: build: proc-macro serde_derive 1.0.0",
                "  mockito 1.0.0: dev",
            ],
            "once per package, runtime left out:\n{table}"
        );
        let notes_at = table.find("Compiled status:").unwrap();
        assert!(notes_at > table.find("LOW (").unwrap() && notes_at < table.find("finding(s) in").unwrap(), "{table}");
    }

    #[test]
    fn a_runtime_package_with_a_reason_is_explained() {
        let why = "missing metadata for x 1.0.0: counted as compiled, with everything it depends on";
        let table = render(&report(vec![finding("x", Severity::High, Some((Status::Runtime, Some(why))))], Vec::new()));
        assert!(table.contains(&format!("  x 1.0.0: runtime: {why}\n")), "{table}");
    }

    #[test]
    fn reasons_are_sanitised_and_clipped() {
        let hostile = format!("feature \u{1b}[31mred\u{202e} of a\nb {}", "y".repeat(500));
        let mut f = finding("evil\u{1b}[2J", Severity::High, Some((Status::No, Some(&hostile))));
        f.package.version = "1.0.0\n".to_owned();
        let table = render(&report(vec![f.clone()], vec![f]));
        assert!(!table.contains('\u{1b}') && !table.contains('\u{202e}'), "{table}");
        assert!(table.contains("evil\\u{1b}[2J 1.0.0\\n: no: feature \\u{1b}[31mred\\u{202e} of a\\nb yyy"), "{table}");
        for line in table.lines() {
            assert!(line.chars().count() < 320, "clipped: {line}");
        }
        assert!(table.contains("y…\n"), "{table}");
    }

    #[test]
    fn not_compiled_findings_are_listed_and_not_hidden_by_a_clean_line() {
        let rsa = finding("rsa", Severity::Medium, Some((Status::No, Some("feature mysql of sqlx 0.8.6 is off"))));
        let mock = finding("mockito", Severity::Low, Some((Status::Dev, Some("dev-dependency of app 0.1.0"))));
        let table = render(&report(Vec::new(), vec![rsa.clone(), mock]));
        assert!(!table.contains("No known advisories affect the 7 packages"), "{table}");
        assert!(
            table.starts_with(
                "No known advisories affect the compiled packages of the 7 scanned; 2 finding(s) in packages not compiled"
            ),
            "{table}"
        );
        assert!(table.contains("\nNot compiled for this configuration (2), not counted:\n"), "{table}");
        assert!(table.contains("\n  rsa 1.0.0 RUSTSEC-2099-0003: no: feature mysql of sqlx 0.8.6 is off\n"), "{table}");
        assert!(table.contains("\n  mockito 1.0.0 RUSTSEC-2099-0007: dev: dev-dependency of app 0.1.0\n"), "{table}");

        // With active findings too: the section follows the counts.
        let table =
            render(&report(vec![finding("smallvec", Severity::High, Some((Status::Runtime, None)))], vec![rsa]));
        let counts = table.find("1 finding(s) in 7 packages: 1 high.").unwrap();
        let section = table.find("Not compiled for this configuration (1), not counted:").unwrap();
        assert!(counts < section, "{table}");
        assert!(!table.contains("Compiled status:"), "only runtime without reason: {table}");

        // Nothing set apart: the plain line.
        assert_eq!(render(&report(Vec::new(), Vec::new())), "No known advisories affect the 7 packages scanned.\n");
    }
}
