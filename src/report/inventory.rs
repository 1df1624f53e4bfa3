//! The reports of `chainward inventory` queries, as table, Markdown and JSON. The JSON fields are
//! a public interface (docs/inventory.md). Every string comes from SBOMs, lockfiles or the
//! advisory databases: table cells are sanitised, Markdown is escaped, JSON escapes what JSON
//! leaves raw.

use std::fmt::Write;

use serde::Serialize;

use super::ReportError;
use crate::cli::InventoryFormat;
use crate::finding::Finding;
use crate::inventory::query::WhoUses;
use crate::inventory::{ProjectSummary, RevisionSummary};
use crate::report::markdown::escape;

/// A project revision an affected package is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectRef {
    /// The project.
    pub project: String,
    /// The revision.
    pub revision: String,
}

/// One finding of `affected`, with the revisions containing its package.
#[derive(Debug, Clone)]
pub struct AffectedFinding {
    /// The finding (its `location` is not reported: the package is in the inventory).
    pub finding: Finding,
    /// The project revisions containing the package.
    pub projects: Vec<ProjectRef>,
}

impl Serialize for AffectedFinding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(&self.finding).map_err(serde::ser::Error::custom)?;
        if let Some(map) = value.as_object_mut() {
            map.remove("location");
            map.insert("projects".to_owned(), serde_json::to_value(&self.projects).map_err(serde::ser::Error::custom)?);
        }
        value.serialize(serializer)
    }
}

/// The report of `affected`.
#[derive(Debug, Clone, Serialize)]
pub struct AffectedReport {
    /// Distinct packages matched.
    pub packages: usize,
    /// `--since`, as RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Findings, each with its projects.
    pub findings: Vec<AffectedFinding>,
    /// What could not be checked (the exit code is 2 when any).
    pub errors: Vec<ReportError>,
    /// Notes.
    pub notes: Vec<String>,
}

fn json(value: &impl Serialize) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = serde_json::to_vec_pretty(value)?;
    out.push(b'\n');
    Ok(crate::sanitize::json_output(out))
}

fn cell(s: &str) -> String {
    crate::sanitize::cell(s, 80)
}

/// Text columns padded to the widest cell.
fn columns(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    super::aligned(&mut out, "", header, rows);
    out
}

fn md_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
    // A job summary or comment has a size limit: the rest is counted, and is in the JSON.
    let budget = crate::report::markdown::MAX_LEN.saturating_sub(4_000);
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|c| escape(&crate::sanitize::cell(c, 1_000))).collect();
        let line = format!("| {} |\n", cells.join(" | "));
        if out.len() + line.len() > budget {
            let _ = writeln!(out, "\n… and {} more row(s): see `--format json`.", rows.len() - i);
            break;
        }
        out.push_str(&line);
    }
    out
}

fn path_text(path: &[String]) -> String {
    // Empty: the input had no dependency graph, or nothing in it leads from the root there.
    if path.is_empty() { "(no known path from the root)".to_owned() } else { path.join(" > ") }
}

/// `who-uses`.
pub fn who_uses(query: &str, answer: &WhoUses, format: InventoryFormat) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(Serialize)]
    struct Doc<'a> {
        query: &'a str,
        matches: &'a [crate::inventory::query::Match],
        notes: &'a [String],
    }
    let rows: Vec<Vec<String>> = answer
        .matches
        .iter()
        .map(|m| {
            vec![
                m.project.clone(),
                m.revision.clone(),
                format!("{} {} {}", m.package.ecosystem, m.package.name, m.package.version),
                path_text(&m.path),
            ]
        })
        .collect();
    let header = ["PROJECT", "REVISION", "PACKAGE", "PATH"];
    Ok(match format {
        InventoryFormat::Json => return json(&Doc { query, matches: &answer.matches, notes: &answer.notes }),
        InventoryFormat::Table => {
            let mut out = format!(
                "{} match(es) for {} in {} project(s).\n",
                answer.matches.len(),
                cell(query),
                distinct_projects(answer.matches.iter().map(|m| m.project.as_str()))
            );
            if !rows.is_empty() {
                out.push('\n');
                let rows: Vec<Vec<String>> =
                    rows.iter().map(|r| r.iter().map(|c| crate::sanitize::line(c, 2_000)).collect()).collect();
                out.push_str(&columns(&header, &rows));
            }
            out.into_bytes()
        }
        InventoryFormat::Markdown => {
            let mut out = format!(
                "### Who uses {}\n\n{} match(es) in {} project(s).\n\n",
                escape(query),
                answer.matches.len(),
                distinct_projects(answer.matches.iter().map(|m| m.project.as_str()))
            );
            if !rows.is_empty() {
                out.push_str(&md_table(&header, &rows));
            }
            out.into_bytes()
        }
    })
}

fn distinct_projects<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.collect::<std::collections::BTreeSet<_>>().len()
}

/// `affected`.
pub fn affected(report: &AffectedReport, format: InventoryFormat) -> Result<Vec<u8>, serde_json::Error> {
    let header = ["SEVERITY", "ID", "PACKAGE", "FIX", "PROJECTS"];
    let rows: Vec<Vec<String>> = report
        .findings
        .iter()
        .map(|a| {
            let f = &a.finding;
            // At most ten here (a popular package is in every project): the JSON has them all.
            let mut projects: Vec<String> =
                a.projects.iter().take(10).map(|p| format!("{}@{}", p.project, p.revision)).collect();
            if a.projects.len() > 10 {
                projects.push(format!("and {} more", a.projects.len() - 10));
            }
            vec![
                f.severity.as_str().to_owned(),
                f.id.clone(),
                format!("{} {} {}", f.package.ecosystem, f.package.name, f.package.version),
                f.remedy(),
                projects.join(", "),
            ]
        })
        .collect();
    let projects =
        distinct_projects(report.findings.iter().flat_map(|a| a.projects.iter().map(|p| p.project.as_str())));
    let headline = format!(
        "{} finding(s) in {} project(s); {} distinct package(s) checked{}.",
        report.findings.len(),
        projects,
        report.packages,
        report.since.as_deref().map(|s| format!(", advisories modified since {s}")).unwrap_or_default()
    );
    Ok(match format {
        InventoryFormat::Json => return json(report),
        InventoryFormat::Table => {
            let mut out = format!("{headline}\n");
            if !rows.is_empty() {
                out.push('\n');
                let rows: Vec<Vec<String>> =
                    rows.iter().map(|r| r.iter().map(|c| crate::sanitize::line(c, 2_000)).collect()).collect();
                out.push_str(&columns(&header, &rows));
            }
            for e in &report.errors {
                let _ = writeln!(out, "\nerror: {e}");
            }
            out.into_bytes()
        }
        InventoryFormat::Markdown => {
            let mut out = format!("### Affected projects\n\n{}\n\n", escape(&headline));
            if !rows.is_empty() {
                out.push_str(&md_table(&header, &rows));
            }
            for e in &report.errors {
                let _ = writeln!(out, "\n**Error:** {}", escape(&e.to_string()));
            }
            out.into_bytes()
        }
    })
}

fn revision_row(r: &RevisionSummary) -> Vec<String> {
    vec![
        r.revision.clone(),
        r.added_at.clone(),
        r.source.clone(),
        r.components.to_string(),
        r.packages.to_string(),
        if r.has_graph { "yes" } else { "no" }.to_owned(),
    ]
}

/// `projects`.
pub fn projects(projects: &[ProjectSummary], format: InventoryFormat) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(Serialize)]
    struct Doc<'a> {
        projects: &'a [ProjectSummary],
    }
    let header = ["PROJECT", "REVISIONS", "LATEST", "ADDED", "COMPONENTS", "PACKAGES"];
    let rows: Vec<Vec<String>> = projects
        .iter()
        .map(|p| {
            let l = p.latest.as_ref();
            vec![
                p.project.clone(),
                p.revisions.to_string(),
                l.map(|l| l.revision.clone()).unwrap_or_default(),
                l.map(|l| l.added_at.clone()).unwrap_or_default(),
                l.map(|l| l.components.to_string()).unwrap_or_default(),
                l.map(|l| l.packages.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    Ok(match format {
        InventoryFormat::Json => return json(&Doc { projects }),
        InventoryFormat::Table => {
            let mut out = format!("{} project(s).\n", projects.len());
            if !rows.is_empty() {
                out.push('\n');
                let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| cell(c)).collect()).collect();
                out.push_str(&columns(&header, &rows));
            }
            out.into_bytes()
        }
        InventoryFormat::Markdown => {
            let mut out = format!("### Inventory\n\n{} project(s).\n\n", projects.len());
            if !rows.is_empty() {
                out.push_str(&md_table(&header, &rows));
            }
            out.into_bytes()
        }
    })
}

/// `show PROJECT`.
pub fn show(
    project: &str,
    revisions: &[RevisionSummary],
    format: InventoryFormat,
) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(Serialize)]
    struct Doc<'a> {
        project: &'a str,
        revisions: &'a [RevisionSummary],
    }
    let header = ["REVISION", "ADDED", "SOURCE", "COMPONENTS", "PACKAGES", "GRAPH"];
    let rows: Vec<Vec<String>> = revisions.iter().map(revision_row).collect();
    Ok(match format {
        InventoryFormat::Json => return json(&Doc { project, revisions }),
        InventoryFormat::Table => {
            let mut out = format!("{}: {} revision(s), newest first.\n\n", cell(project), revisions.len());
            let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| cell(c)).collect()).collect();
            out.push_str(&columns(&header, &rows));
            out.into_bytes()
        }
        InventoryFormat::Markdown => {
            let mut out = format!("### {}\n\n{} revision(s), newest first.\n\n", escape(project), revisions.len());
            out.push_str(&md_table(&header, &rows));
            out.into_bytes()
        }
    })
}
