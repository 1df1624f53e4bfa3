//! `--format table`: findings grouped by severity, one line each, for terminals.

use std::fmt::Write;

use super::Report;
use crate::advisory::Severity;

/// The report as an aligned text table.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if report.findings.is_empty() {
        let _ = writeln!(out, "No known advisories affect the {} packages scanned.", report.summary.packages);
        return out;
    }
    let header = ["PACKAGE", "VERSION", "ID", "TITLE", "FIX"];
    for severity in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info] {
        let rows: Vec<[String; 5]> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| {
                let fix = if f.fixed_in.is_empty() {
                    "no fixed version".to_owned()
                } else {
                    format!("upgrade to {}", f.fixed_in.join(" or ").replace(">=", ">= "))
                };
                let title = if f.kind.is_informational() || f.kind == crate::advisory::AdvisoryKind::Malicious {
                    format!("[{}] {}", f.kind.as_str(), f.summary)
                } else {
                    f.summary.clone()
                };
                [f.package.name.clone(), f.package.version.clone(), f.id.clone(), clip(&title, 70), fix]
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let _ = writeln!(out, "{} ({})", severity.as_str().to_uppercase(), rows.len());
        for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
            let mut line = String::from("  ");
            for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
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
    out
}

/// At most `max` characters; control characters (from advisory text) become spaces.
fn clip(s: &str, max: usize) -> String {
    let clean: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.chars().count() <= max {
        return clean;
    }
    let mut out: String = clean.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
