//! Renderers: one per `--format`. The library returns a [`Report`]; these only format it.

pub mod json;
pub mod table;

use serde::Serialize;

use crate::advisory::SourceInfo;
use crate::finding::Finding;

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
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Files, records or versions that could not be read or evaluated.
    pub errors: Vec<ReportError>,
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
    /// `rustsec` or `osv`.
    pub name: String,
    /// Path.
    pub path: String,
    /// Records loaded.
    pub records: usize,
    /// Last modification time of the source (RFC 3339), when known.
    pub updated: Option<String>,
}

impl From<&SourceInfo> for DatabaseSource {
    fn from(s: &SourceInfo) -> Self {
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
