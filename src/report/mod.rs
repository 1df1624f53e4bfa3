//! Renderers: one per `--format`. The library returns a [`Report`]; these only format it.

pub mod history;
pub mod inventory;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod table;

use serde::Serialize;

use crate::advisory::SourceInfo;
use crate::finding::Finding;

pub use crate::finding::Suppression;

/// Everything a scan found, in the JSON report's shape.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Report format version.
    pub version: u32,
    /// chainward's name and version.
    pub tool: Tool,
    /// The advisory sources used.
    pub database: Database,
    /// Counts.
    pub summary: Summary,
    /// Findings, most severe first (those an ignore silences are in `suppressed`).
    pub findings: Vec<Finding>,
    /// Findings silenced by an `[[ignore]]` of the policy, each with its `suppression`.
    pub suppressed: Vec<Finding>,
    /// With `--compiled-only` (or `compiled-only = true`) and `--no-dev`: findings in Rust crates
    /// that are not compiled for the selected targets and features (or only by `cargo test`),
    /// each with its `compiled` status and reason. Out of the exit code and the counts.
    pub not_compiled: Vec<Finding>,
    /// Diff mode (`--base`): what the change did to the packages, and the ignores it added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// Policy warnings: expired ignores, ignores that matched nothing.
    pub warnings: Vec<String>,
    /// Files, records or versions that could not be read or evaluated.
    pub errors: Vec<ReportError>,
}

/// `changes`: diff mode's change set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// The base revision as given, and the commit it names.
    pub base: String,
    /// The head: a revision, `staged`, or `worktree`.
    pub head: String,
    /// Packages present at head only.
    pub added: Vec<PackageChange>,
    /// Packages present at base only.
    pub removed: Vec<PackageChange>,
    /// Packages whose version changed (same ecosystem, name and lockfile).
    pub updated: Vec<PackageChange>,
    /// `[[ignore]]` entries present at head but not at base: a change cannot quietly silence
    /// its own findings.
    pub new_suppressions: Vec<IgnoreRef>,
}

/// One package of a change set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PackageChange {
    /// `crates.io`, ...
    pub ecosystem: String,
    /// Name.
    pub name: String,
    /// Version at head (for `removed`: the version at base).
    pub version: String,
    /// The version at base, for `updated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// The lockfile.
    pub path: String,
    /// The package's block in the lockfile at head (at base for `removed`).
    pub line: Option<usize>,
}

/// An `[[ignore]]` entry, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IgnoreRef {
    /// The advisory id.
    pub id: String,
    /// The package, when the ignore names one.
    pub package: Option<String>,
    /// Why.
    pub reason: String,
    /// Until when (`YYYY-MM-DD`).
    pub until: Option<String>,
}

/// `tool`
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// `chainward`
    pub name: String,
    /// Version.
    pub version: String,
}

/// `database`
#[derive(Debug, Clone, Serialize)]
pub struct Database {
    /// One entry per source.
    pub sources: Vec<DatabaseSource>,
}

/// `database.sources[]`
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseSource {
    /// `rustsec`, `osv`, or `chainward` (the built-in records).
    pub name: String,
    /// Path (`builtin` for the built-in records).
    pub path: String,
    /// Records loaded.
    pub records: usize,
    /// Last modification time of the source (RFC 3339), when known.
    pub updated: Option<String>,
}

impl From<&SourceInfo> for DatabaseSource {
    fn from(s: &SourceInfo) -> Self {
        if crate::advisory::builtin::is_builtin(s) {
            // Compiled into the binary: no file, no modification time.
            return DatabaseSource { name: s.name.clone(), path: s.path.clone(), records: s.records, updated: None };
        }
        let updated = std::fs::metadata(&s.path)
            .and_then(|m| m.modified())
            .ok()
            .map(time::OffsetDateTime::from)
            .and_then(|t| t.replace_nanosecond(0).ok())
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
        DatabaseSource { name: s.name.clone(), path: s.path.clone(), records: s.records, updated }
    }
}

/// `summary`
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Packages scanned.
    pub packages: usize,
    /// Findings.
    pub findings: usize,
    /// Findings by severity (`critical`, `high`, `medium`, `low`, `info`).
    pub by_severity: std::collections::BTreeMap<&'static str, usize>,
}

/// `errors[]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportError {
    /// The file.
    pub path: String,
    /// Its line, when known.
    pub line: Option<usize>,
    /// What happened.
    pub message: String,
}

impl ReportError {
    /// The same error with its path and message made safe for any output: one line each,
    /// control and format characters as visible escapes, clipped (a 50 MB dependency string in
    /// a lockfile must not become a 50 MB report).
    #[must_use]
    pub fn sanitized(self) -> ReportError {
        ReportError {
            path: crate::sanitize::line(&self.path, 1_000),
            line: self.line,
            message: crate::sanitize::diagnostic(&self.message),
        }
    }
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            _ if self.path.is_empty() => f.write_str(&self.message),
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// At most `max` characters, cut with an ellipsis, every control or format character shown as
/// its escape (the one sanitiser, [`crate::sanitize::cell`]).
pub(crate) fn clip(s: &str, max: usize) -> String {
    crate::sanitize::cell(s, max)
}

/// Whether findings come from more than one file (then the table and Markdown name each
/// finding's file and line).
pub(crate) fn several_files(findings: &[crate::finding::Finding]) -> bool {
    findings.windows(2).any(|pair| matches!(pair, [a, b] if a.location.path != b.location.path))
}

/// Text columns for terminals: `header`, then `rows`, each line starting with `indent`, every
/// cell but the last padded to its column's widest cell (in characters), trailing blanks cut.
pub(crate) fn aligned(out: &mut String, indent: &str, header: &[&str], rows: &[Vec<String>]) {
    use std::fmt::Write as _;
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::from(indent);
        let mut cells = cells.zip(&widths).peekable();
        while let Some((cell, &w)) = cells.next() {
            if cells.peek().is_none() {
                l.push_str(cell);
            } else {
                let _ = write!(l, "{cell:<w$}  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
}
