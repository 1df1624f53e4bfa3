//! `--format table`: findings grouped by severity, one line each, for terminals.

use std::fmt::Write;

use super::Report;
use crate::advisory::Severity;

/// The report as an aligned text table.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if let Some(changes) = &report.changes {
        render_changes(&mut out, report, changes);
    }
    if report.findings.is_empty() {
        let what = if report.changes.is_some() { "new advisories affect" } else { "known advisories affect" };
        let _ = writeln!(out, "No {what} the {} packages scanned.", report.summary.packages);
        render_suppressed(&mut out, report);
        render_errors(&mut out, report);
        return out;
    }
    // Findings from several files (a Cargo.lock and a package-lock.json, two yarn workspaces)
    // say which file and line each is in.
    let several_files = super::several_files(&report.findings);
    let all = ["PACKAGE", "VERSION", "ID", "TITLE", "FIX", "WHERE"];
    let columns = if several_files { all.len() } else { all.len() - 1 };
    let header: Vec<String> = all.iter().take(columns).map(|h| (*h).to_owned()).collect();
    for severity in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info] {
        let rows: Vec<Vec<String>> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| {
                let fix = f.remedy();
                let title =
                    if f.kind.in_title() { format!("[{}] {}", f.kind.as_str(), f.summary) } else { f.summary.clone() };
                let at = f
                    .location
                    .line
                    .map_or_else(|| clip(&f.location.path, 80), |l| format!("{}:{l}", clip(&f.location.path, 80)));
                let mut row = vec![
                    clip(&f.package.name, 60),
                    clip(&f.package.version, 30),
                    clip(&f.id, 40),
                    clip(&title, 70),
                    clip(&fix, 60),
                    at,
                ];
                row.truncate(columns);
                row
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let mut widths: Vec<usize> = header.iter().map(String::len).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let _ = writeln!(out, "{} ({})", severity.as_str().to_uppercase(), rows.len());
        for row in std::iter::once(header.clone()).chain(rows) {
            let mut line = String::from("  ");
            for (i, (cell, &w)) in row.iter().zip(&widths).enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<w$}  ");
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    }
    let s = &report.summary;
    let counts: Vec<String> = s.by_severity.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(out, "{} finding(s) in {} packages: {}.", s.findings, s.packages, counts.join(", "));
    render_suppressed(&mut out, report);
    render_errors(&mut out, report);
    out
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
