//! `chainward history` reports: the JSON contract (docs/history.md), a table for terminals and
//! Markdown. The command builds a [`HistoryReport`]; these only format it.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Database, ReportError, Tool};
use crate::advisory::Severity;
use crate::finding::Finding;

/// Everything `history` found, in the JSON report's shape.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    /// Report format version.
    pub version: u32,
    /// chainward's name and version.
    pub tool: Tool,
    /// The walked revision.
    pub revision: Revision,
    /// Commits walked (in the `--since`/`--until` window).
    pub commits: usize,
    /// Distinct (lockfile, blob) pairs read.
    pub lockfile_revisions: usize,
    /// The advisory sources used (none with `--no-advisories`).
    pub database: Database,
    /// Counts.
    pub summary: HistorySummary,
    /// Every package of every lockfile, each with every version it had.
    pub packages: Vec<PackageTimeline>,
    /// Findings in history, most severe first, each with its window.
    pub findings: Vec<HistoryFinding>,
    /// Findings an `[[ignore]]` of the policy silences.
    pub suppressed: Vec<HistoryFinding>,
    /// Revisions that did not parse, a shallow history, policy warnings.
    pub warnings: Vec<String>,
    /// What could not be read or evaluated.
    pub errors: Vec<ReportError>,
}

/// `revision`
#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    /// The revision as given (`--rev`).
    pub rev: String,
    /// The commit walked from (after `--until`), 40 hex digits.
    pub commit: String,
}

/// `summary`
#[derive(Debug, Clone, Serialize)]
pub struct HistorySummary {
    /// Lockfiles (paths) in the report.
    pub lockfiles: usize,
    /// Packages (lockfile, ecosystem, name).
    pub packages: usize,
    /// Version entries.
    pub versions: usize,
    /// Findings.
    pub findings: usize,
    /// Findings by severity.
    pub by_severity: std::collections::BTreeMap<&'static str, usize>,
}

/// `packages[]`
#[derive(Debug, Clone, Serialize)]
pub struct PackageTimeline {
    /// The lockfile, relative to the walked directory.
    pub lockfile: String,
    /// `crates.io`, `npm`, ...
    pub ecosystem: String,
    /// Name.
    pub name: String,
    /// Every version it had, oldest introduction first.
    pub versions: Vec<VersionEntry>,
}

/// `packages[].versions[]`
#[derive(Debug, Clone, Serialize)]
pub struct VersionEntry {
    /// Version.
    pub version: String,
    /// Where it came from: `crates.io` (the default registry), `registry URL`, `git URL`,
    /// `path DIR`, `tarball URL`.
    pub source: String,
    /// Platform (Ruby gems built for one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The strongest checksum when introduced, `algorithm:hex`.
    pub checksum: Option<String>,
    /// The commit that brought it in.
    pub introduced: CommitRef,
    /// The commit that removed or replaced it; `null` while present.
    pub removed: Option<CommitRef>,
}

/// A commit in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitRef {
    /// Full 40-hex id.
    pub commit: String,
    /// Author date, RFC 3339 with the author's offset.
    pub date: String,
    /// Author name.
    pub author: String,
}

/// `findings[]`: a finding and the window it applies to.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryFinding {
    /// The usual finding fields.
    #[serde(flatten)]
    pub finding: Finding,
    /// When the affected version was in the lockfile.
    pub window: Window,
    /// For `checksum-drift` and `source-change`: the facts behind it (full commit ids,
    /// lockfiles, both checksums or sources).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

impl HistoryFinding {
    /// A finding and its window, with the evidence lines of a rule's details.
    pub fn new(finding: Finding, window: Window) -> HistoryFinding {
        let evidence = match finding.details.split_once("\n\nEvidence:\n") {
            Some((_, lines)) if finding.kind.rule().is_some() => {
                lines.lines().filter_map(|l| l.strip_prefix("- ")).map(str::to_owned).collect()
            }
            _ => Vec::new(),
        };
        HistoryFinding { finding, window, evidence }
    }
}

/// `findings[].window`
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// The commit that brought the affected version in (for `checksum-drift` and
    /// `source-change`: the commit of the change).
    pub introduced: CommitRef,
    /// The commit that removed it; `null` while present.
    pub removed: Option<CommitRef>,
    /// Days between the two (until now while present).
    pub days: i64,
    /// When the advisory was published (`YYYY-MM-DD`), when known.
    pub advisory_published: Option<String>,
    /// Whether the advisory was public before the version was removed (always while present);
    /// `null` when its date is unknown or the finding is not an advisory.
    pub published_before_removal: Option<bool>,
}

/// The report as pretty JSON, with a trailing newline.
pub fn json(report: &HistoryReport) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = serde_json::to_vec_pretty(report)?;
    out.push(b'\n');
    Ok(crate::sanitize::json_output(out))
}

fn clip(s: &str, max: usize) -> String {
    crate::sanitize::cell(s, max)
}

fn short(c: &CommitRef) -> String {
    format!("{} {}", c.date.get(..10).unwrap_or(&c.date), c.commit.get(..10).unwrap_or(&c.commit))
}

fn window_text(w: &Window) -> String {
    let end = w.removed.as_ref().map_or_else(|| "present".to_owned(), short);
    format!("{} → {end} ({} days)", short(&w.introduced), w.days)
}

fn disclosure(w: &Window) -> Option<String> {
    let date = w.advisory_published.as_deref()?;
    Some(match (w.published_before_removal, &w.removed) {
        (Some(true), None) => format!("published {date}, still present"),
        (Some(true), Some(_)) => format!("published {date}, before the fix"),
        (Some(false), _) => format!("published {date}, after the fix"),
        (None, _) => format!("published {date}"),
    })
}

const SEVERITIES: [Severity; 5] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

/// The report as text for terminals: the findings with their windows, then each package's
/// timeline, newest first.
pub fn table(report: &HistoryReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} commit(s) walked from {} ({}), {} lockfile revision(s), {} package(s), {} version(s).",
        report.commits,
        clip(&report.revision.rev, 60),
        report.revision.commit.get(..12).unwrap_or(&report.revision.commit),
        report.lockfile_revisions,
        report.summary.packages,
        report.summary.versions
    );
    if report.findings.is_empty() {
        let _ = writeln!(out, "\nNo findings in history.");
    } else {
        let _ = writeln!(out, "\nFindings in history ({}):", report.findings.len());
        for severity in SEVERITIES {
            for f in report.findings.iter().filter(|f| f.finding.severity == severity) {
                let g = &f.finding;
                let title =
                    if g.kind.in_title() { format!("[{}] {}", g.kind.as_str(), g.summary) } else { g.summary.clone() };
                let _ = writeln!(
                    out,
                    "  {:<8} {} {} {}  {}",
                    severity.as_str(),
                    clip(&g.id, 40),
                    clip(&g.package.name, 60),
                    clip(&g.package.version, 30),
                    clip(&title, 90)
                );
                let _ = writeln!(out, "           {}  {}", clip(&g.location.path, 100), window_text(&f.window));
                if let Some(d) = disclosure(&f.window) {
                    let _ = writeln!(out, "           {d}");
                }
                for e in &f.evidence {
                    let _ = writeln!(out, "           {}", clip(e, 200));
                }
            }
        }
    }
    if !report.suppressed.is_empty() {
        let _ = writeln!(out, "\n{} finding(s) silenced by the policy file.", report.suppressed.len());
    }
    for p in &report.packages {
        let _ = writeln!(out, "\n{}  {} {}", clip(&p.lockfile, 100), clip(&p.ecosystem, 20), clip(&p.name, 80));
        for v in p.versions.iter().rev() {
            let end = v.removed.as_ref().map_or_else(|| "present".to_owned(), short);
            let source = if v.source == p.ecosystem { String::new() } else { format!(" ({})", clip(&v.source, 80)) };
            let _ = writeln!(
                out,
                "  {}{source}  {} {} → {end}",
                clip(&v.version, 40),
                short(&v.introduced),
                clip(&v.introduced.author, 40),
            );
        }
    }
    if report.packages.is_empty() {
        let _ = writeln!(out, "\nNo package matched in any lockfile of this history.");
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\n{} error(s): the history is not complete (see stderr).", report.errors.len());
    }
    out
}

/// The report as GitHub-flavoured Markdown.
pub fn markdown(report: &HistoryReport) -> String {
    use super::markdown::escape;
    let cell = |s: &str| escape(&clip(s, 200));
    let commit = |c: &CommitRef| {
        format!(
            "{} `{}` {}",
            c.date.get(..10).unwrap_or(&c.date),
            c.commit.get(..10).unwrap_or(&c.commit),
            cell(&c.author)
        )
    };
    let mut out = String::new();
    let _ = writeln!(out, "## chainward history: {} finding(s)\n", report.findings.len());
    let _ = writeln!(
        out,
        "{} commits walked from `{}`, {} lockfile revisions, {} packages, {} versions.\n",
        report.commits,
        report.revision.commit.get(..12).unwrap_or(&report.revision.commit),
        report.lockfile_revisions,
        report.summary.packages,
        report.summary.versions
    );
    if !report.findings.is_empty() {
        let _ = writeln!(out, "| Severity | Package | Version | Finding | Introduced | Removed | Days | Published |");
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |");
        for f in &report.findings {
            let g = &f.finding;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {}: {} | {} | {} | {} | {} |",
                g.severity.as_str(),
                cell(&g.package.name),
                cell(&g.package.version),
                cell(&g.id),
                cell(&g.summary),
                commit(&f.window.introduced),
                f.window.removed.as_ref().map_or_else(|| "present".to_owned(), commit),
                f.window.days,
                disclosure(&f.window).map_or_else(String::new, |d| cell(&d)),
            );
        }
        out.push('\n');
    }
    for p in &report.packages {
        let _ = writeln!(out, "### {} {} ({})\n", cell(&p.ecosystem), cell(&p.name), cell(&p.lockfile));
        let _ = writeln!(out, "| Version | Source | Introduced | Removed |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        for v in p.versions.iter().rev() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&v.version),
                cell(&v.source),
                commit(&v.introduced),
                v.removed.as_ref().map_or_else(|| "present".to_owned(), commit)
            );
        }
        out.push('\n');
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "### Warnings\n");
        for w in &report.warnings {
            let _ = writeln!(out, "- {}", cell(w));
        }
        out.push('\n');
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "### Errors\n");
        for e in &report.errors {
            let _ = writeln!(out, "- {}", cell(&e.to_string()));
        }
    }
    out
}
