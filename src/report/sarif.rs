//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).
//!
//! One run, one rule per advisory id, one result per finding (suppressed findings, and those
//! `--compiled-only` / `--no-dev` set apart, carry an external suppression), report errors as
//! tool execution notifications. The output has no timestamps: the same report gives the same
//! bytes.

use super::clip;
use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Report;
use super::markdown::{escape, safe_url};
use crate::advisory::Severity;
use crate::compiled::{Compiled, Status};
use crate::finding::Finding;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/chainward/chainward";
const SRCROOT: &str = "%SRCROOT%";
/// GitHub truncates (and the spec advises against) longer rule descriptions.
const MAX_DESCRIPTION: usize = 1024;
/// Rule help is clipped to this many characters (a rule can list many affected packages).
const MAX_HELP: usize = 20_000;

/// How the SARIF document is placed in the repository it is uploaded for.
#[derive(Debug, Clone, Copy, Default)]
pub struct SarifOptions<'a> {
    /// Prepended to every location path so it is relative to the repository root (`""`,
    /// `"crates/foo/"`).
    pub path_prefix: &'a str,
    /// `runAutomationDetails.id`: distinguishes uploads of several analyses of one commit
    /// (`"chainward/"`, `"chainward/crates-foo/"`).
    pub category: &'a str,
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails<'a>>,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult<'a>>,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    information_uri: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
struct AutomationDetails<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: String,
    tags: Vec<String>,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<SarifLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    justification: String,
    status: &'static str,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    package: &'a str,
    ecosystem: &'a str,
    version: &'a str,
    kind: &'static str,
    severity: &'static str,
    aliases: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<&'a str>,
    /// The compiled view's status (`runtime`, `build`, `dev`, `no`), when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    compiled: Option<&'static str>,
    /// Why the package has that status, when there is a reason.
    #[serde(rename = "compiledReason", skip_serializing_if = "Option::is_none")]
    compiled_reason: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
}

/// The report as a SARIF 2.1.0 log (pretty JSON, trailing newline).
pub fn render(report: &Report, options: &SarifOptions<'_>) -> Result<Vec<u8>, serde_json::Error> {
    // Suppressed and not-compiled findings are results too, each with a suppression: the alert
    // is still there, marked, rather than gone as if fixed.
    let all: Vec<&Finding> = report.findings.iter().chain(&report.suppressed).chain(&report.not_compiled).collect();
    // One rule per advisory id, sorted by id; every finding of that id feeds its help.
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &all {
        by_id.entry(f.id.as_str()).or_default().push(f);
    }
    let rules: Vec<Rule<'_>> = by_id.values().filter_map(|fs| rule(fs)).collect();
    let index: BTreeMap<&str, usize> = by_id.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let first_not_compiled = report.findings.len() + report.suppressed.len();
    let results = all
        .iter()
        .enumerate()
        .map(|(i, f)| result(f, index.get(f.id.as_str()).copied().unwrap_or(0), i >= first_not_compiled, options))
        .collect();
    let notifications = report
        .errors
        .iter()
        .map(|e| Notification {
            level: "error",
            message: Text { text: one_line(&e.message) },
            locations: if e.path.is_empty() {
                Vec::new()
            } else {
                vec![location(options.path_prefix, &e.path, e.line, None)]
            },
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: &report.tool.name,
                    version: &report.tool.version,
                    semantic_version: &report.tool.version,
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            automation_details: (!options.category.is_empty()).then_some(AutomationDetails { id: options.category }),
            invocations: vec![Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
            results,
            column_kind: "unicodeCodePoints",
        }],
    };
    let mut out = serde_json::to_vec_pretty(&log)?;
    out.push(b'\n');
    Ok(crate::sanitize::json_output(out))
}

/// SARIF `level` of a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

/// GitHub's `security-severity`: the CVSS score, else a value inside the severity's band
/// (critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9).
fn security_severity(f: &Finding) -> f64 {
    match f.cvss {
        Some(score) if score.is_finite() && (0.0..=10.0).contains(&score) => score,
        _ => match f.severity {
            Severity::Critical => 9.5,
            Severity::High => 8.0,
            Severity::Medium => 5.5,
            Severity::Low => 2.0,
            Severity::Info => 0.0,
        },
    }
}

/// `RUSTSEC-2023-0071` → `RUSTSEC20230071`, `maintainer-change` → `MaintainerChange`.
fn rule_name(id: &str) -> String {
    let mut name = String::new();
    for part in id.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    if name.is_empty() { id.to_owned() } else { name }
}

/// Multi-line text (advisory details), sanitised and clipped to about `max` characters.
fn clip_text(s: &str, max: usize) -> String {
    let clean = crate::sanitize::multiline(s, max);
    if clean.chars().count() <= max {
        return clean;
    }
    let mut out: String = clean.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One line: control and format characters (newlines too) shown as their escapes, clipped.
fn one_line(s: &str) -> String {
    crate::sanitize::diagnostic(s)
}

fn fix_text(f: &Finding) -> String {
    if f.fixed_in.is_empty() {
        "no fixed version".to_owned()
    } else {
        format!("fixed in {}", f.fixed_in.join(" or ").replace(">=", ">= "))
    }
}

fn rule<'a>(findings: &[&'a Finding]) -> Option<Rule<'a>> {
    let first = *findings.first()?;
    let worst = findings.iter().map(|f| f.severity).max().unwrap_or(first.severity);
    let score = findings.iter().map(|f| security_severity(f)).fold(0.0_f64, f64::max);
    let details = if first.details.trim().is_empty() { &first.summary } else { &first.details };
    let mut tags = vec!["security".to_owned(), first.kind.as_str().to_owned()];
    for f in findings {
        if !tags.contains(&f.package.ecosystem) {
            tags.push(f.package.ecosystem.clone());
        }
    }
    if let Some(r) = first.kind.rule() {
        let info = crate::heuristics::info(r);
        return Some(Rule {
            id: &first.id,
            name: rule_name(&first.id),
            short_description: Text { text: info.title.to_owned() },
            full_description: Text { text: info.explanation.to_owned() },
            help: Help {
                text: crate::sanitize::multiline(&heuristic_help_text(info, findings), MAX_HELP),
                markdown: crate::sanitize::multiline(&heuristic_help_markdown(info, findings), MAX_HELP),
            },
            help_uri: Some(HEURISTICS_DOC),
            default_configuration: Configuration { level: level(worst) },
            // A signal to look at, not a known vulnerability.
            properties: RuleProperties { security_severity: format!("{score:.1}"), tags, precision: "medium" },
        });
    }
    Some(Rule {
        id: &first.id,
        name: rule_name(&first.id),
        short_description: Text { text: clip(&one_line(&first.summary), MAX_DESCRIPTION) },
        full_description: Text { text: clip_text(details, MAX_DESCRIPTION) },
        help: Help {
            text: crate::sanitize::multiline(&help_text(findings), MAX_HELP),
            markdown: crate::sanitize::multiline(&help_markdown(findings), MAX_HELP),
        },
        help_uri: first.url.as_deref().and_then(safe_url),
        default_configuration: Configuration { level: level(worst) },
        properties: RuleProperties { security_severity: format!("{score:.1}"), tags, precision: "very-high" },
    })
}

/// The affected packages, once each, as `name@version (path)`.
fn affected(findings: &[&Finding]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in findings {
        let s = format!("{}@{} ({})", f.package.name, f.package.version, f.location.path);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn ignore_snippet(f: &Finding) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    format!(
        "[[ignore]]\nid = {}\npackage = {}\nreason = \"why this does not affect us\"\nuntil = \"YYYY-MM-DD\"\n",
        quote(&f.id),
        quote(&f.package.name)
    )
}

fn help_text(findings: &[&Finding]) -> String {
    let mut out = String::new();
    let Some(first) = findings.first() else { return out };
    let _ = writeln!(out, "{}: {}", first.id, one_line(&first.summary));
    let _ = writeln!(out, "\nAffected: {}", affected(findings).join(", "));
    let _ = writeln!(
        out,
        "Fix: {}",
        if first.fixed_in.is_empty() {
            "no fixed version".to_owned()
        } else {
            format!("upgrade to {}", first.fixed_in.join(" or ").replace(">=", ">= "))
        }
    );
    if !first.aliases.is_empty() {
        let _ = writeln!(out, "Aliases: {}", first.aliases.join(", "));
    }
    if let Some(url) = first.url.as_deref().and_then(safe_url) {
        let _ = writeln!(out, "More: {url}");
    }
    let _ = write!(out, "\nTo ignore it, add to chainward.toml:\n\n{}", ignore_snippet(first));
    out
}

/// Where the heuristic rules are documented.
const HEURISTICS_DOC: &str = "https://github.com/chainward/chainward/blob/main/docs/heuristics.md";

fn heuristic_help_text(info: &crate::heuristics::RuleInfo, findings: &[&Finding]) -> String {
    let mut out = String::new();
    let Some(first) = findings.first() else { return out };
    let _ = writeln!(out, "{}: {}\n\n{}", info.id.as_str(), info.title, info.explanation);
    let _ = writeln!(out, "\nFlagged: {}", affected(findings).join(", "));
    let _ = writeln!(
        out,
        "\nTo switch the rule off, add to chainward.toml:\n\n[heuristics.rules]\n{} = false",
        info.id.as_str()
    );
    let _ = write!(out, "\nTo ignore it for one package, add to chainward.toml:\n\n{}", ignore_snippet(first));
    out
}

fn heuristic_help_markdown(info: &crate::heuristics::RuleInfo, findings: &[&Finding]) -> String {
    let mut out = String::new();
    let Some(first) = findings.first() else { return out };
    let _ = writeln!(out, "**{}**: {}\n\n{}\n", escape(info.id.as_str()), escape(info.title), escape(info.explanation));
    let _ = writeln!(out, "| Package | Version | Lockfile | Signal |\n| --- | --- | --- | --- |");
    for f in findings {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            escape(&f.package.name),
            escape(&f.package.version),
            escape(&f.location.path),
            escape(&one_line(&f.summary))
        );
    }
    let snippet = ignore_snippet(first).replace('`', "'");
    let _ = write!(
        out,
        "\n**To switch the rule off**, add to `chainward.toml`:\n\n```toml\n[heuristics.rules]\n{} = false\n```\n\n**To ignore it for one package**:\n\n```toml\n{snippet}```\n",
        info.id.as_str()
    );
    out
}

fn help_markdown(findings: &[&Finding]) -> String {
    let mut out = String::new();
    let Some(first) = findings.first() else { return out };
    let _ = writeln!(out, "**{}**: {}\n", escape(&first.id), escape(&first.summary));
    let _ = writeln!(out, "| Package | Version | Lockfile |\n| --- | --- | --- |");
    let mut seen = Vec::new();
    for f in findings {
        let key = (&f.package.name, &f.package.version, &f.location.path);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            escape(&f.package.name),
            escape(&f.package.version),
            escape(&f.location.path)
        );
    }
    let fix = if first.fixed_in.is_empty() {
        "no fixed version".to_owned()
    } else {
        format!("upgrade to {}", escape(&first.fixed_in.join(" or ").replace(">=", ">= ")))
    };
    let _ = writeln!(out, "\n**Fix:** {fix}\n");
    if !first.aliases.is_empty() {
        let aliases: Vec<String> = first.aliases.iter().map(|a| escape(a)).collect();
        let _ = writeln!(out, "**Aliases:** {}\n", aliases.join(", "));
    }
    if let Some(url) = first.url.as_deref().and_then(safe_url) {
        let _ = writeln!(out, "**Advisory:** [{}]({url})\n", escape(&first.id));
    }
    // The snippet is in a fenced block: its content is shown verbatim, so fences in it are
    // the only thing to neutralize.
    let snippet = ignore_snippet(first).replace('`', "'");
    let _ = write!(out, "**To ignore it**, add to `chainward.toml`:\n\n```toml\n{snippet}```\n");
    out
}

/// `path_prefix` + `path`, as a relative URI reference (forward slashes, percent-encoded).
fn uri(prefix: &str, path: &str) -> String {
    let joined = format!("{prefix}{path}").replace('\\', "/");
    let joined = joined.trim_start_matches("./");
    let mut out = String::new();
    for b in joined.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn location(prefix: &str, path: &str, line: Option<usize>, end_line: Option<usize>) -> SarifLocation {
    let start = line.filter(|&l| l > 0);
    let end = start.and(end_line).filter(|&e| start.is_some_and(|s| e >= s));
    SarifLocation {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri: uri(prefix, path), uri_base_id: SRCROOT },
            region: Region { start_line: start.unwrap_or(1), end_line: end },
        },
    }
}

/// Stable across edits elsewhere in the lockfile: the rule, the package and the file, not the
/// line.
fn fingerprint(f: &Finding, prefix: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [&f.id, &f.package.ecosystem, &f.package.name, &f.package.version, &uri(prefix, &f.location.path)] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let mut hex = String::with_capacity(66);
    for b in hasher.finalize() {
        let _ = write!(hex, "{b:02x}");
    }
    hex.push_str(":1");
    hex
}

/// What the compiled view says of a package that is not plainly linked in, as a short phrase
/// with the reason: `not compiled: feature mysql of sqlx 0.8.6 is off`. `None` for a runtime
/// package without a reason.
fn compiled_note(c: &Compiled) -> Option<String> {
    let label = match c.status {
        Status::Runtime if c.reason.is_none() => return None,
        Status::Runtime => "compiled",
        Status::Build => "build only",
        Status::Dev => "tests only",
        Status::No => "not compiled",
    };
    Some(match &c.reason {
        Some(reason) => format!("{label}: {}", one_line(reason)),
        None => label.to_owned(),
    })
}

/// One result. `not_compiled`: the finding is in the report's `not_compiled` (set apart by
/// `--compiled-only` or `--no-dev`), so it carries an external suppression naming why.
fn result<'a>(f: &'a Finding, rule_index: usize, not_compiled: bool, options: &SarifOptions<'_>) -> SarifResult<'a> {
    let mut text = if f.kind.rule().is_some() {
        one_line(&f.summary)
    } else {
        format!("{}@{}: {}; {}", f.package.name, f.package.version, one_line(&f.summary), fix_text(f))
    };
    let note = f.compiled.as_ref().and_then(compiled_note);
    if let Some(note) = &note {
        let _ = write!(text, " ({note})");
    }
    let mut suppressions: Vec<SarifSuppression> = f
        .suppression
        .iter()
        .map(|s| SarifSuppression { kind: "external", justification: s.reason.clone(), status: "accepted" })
        .collect();
    if not_compiled {
        let why = note.unwrap_or_else(|| "not compiled".to_owned());
        suppressions.push(SarifSuppression {
            kind: "external",
            justification: format!("not counted for this configuration: {why}"),
            status: "accepted",
        });
    }
    SarifResult {
        rule_id: &f.id,
        rule_index,
        level: level(f.severity),
        message: Text { text },
        locations: vec![location(options.path_prefix, &f.location.path, f.location.line, f.location.end_line)],
        partial_fingerprints: BTreeMap::from([("primaryLocationLineHash", fingerprint(f, options.path_prefix))]),
        suppressions,
        properties: ResultProperties {
            package: &f.package.name,
            ecosystem: &f.package.ecosystem,
            version: &f.package.version,
            kind: f.kind.as_str(),
            severity: f.severity.as_str(),
            aliases: &f.aliases,
            purl: f.package.purl.as_deref(),
            compiled: f.compiled.as_ref().map(|c| c.status.as_str()),
            compiled_reason: f.compiled.as_ref().and_then(|c| c.reason.as_deref()),
        },
    }
}
