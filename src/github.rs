//! GitHub Actions integration: the job summary, step outputs and annotations a scan writes when
//! it runs in a workflow (`GITHUB_ACTIONS=true`).
//!
//! Everything here is pure formatting or an append to a file the runner names
//! (`GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`); reading the environment is the caller's job.
//!
//! Annotations are workflow commands (`::error file=..,line=..::message`): the runner reads
//! them from the step's **stdout** only (stderr is just logged), so they must be printed there.
//! Package names, versions and advisory texts come from lockfiles and advisory databases, that
//! is from whoever wrote the scanned change: every value is escaped so that it can neither end
//! the command nor start another one (`\n::add-mask::`, `\n::set-output ..`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::advisory::Severity;
use crate::finding::Finding;
use crate::report::Report;

/// Append `markdown` to the job summary file (`$GITHUB_STEP_SUMMARY`), creating it if needed,
/// followed by a newline when it does not end with one.
pub fn append_step_summary(path: &Path, markdown: &str) -> std::io::Result<()> {
    let mut text = markdown.to_owned();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    append(path, text.as_bytes())
}

/// Append step outputs to the outputs file (`$GITHUB_OUTPUT`): `name=value`, or, for a value
/// with a line break, the multiline form `name<<DELIMITER` / value / `DELIMITER` with a
/// delimiter that does not occur in the value.
///
/// A name that is empty or contains `=`, `<`, a line break or a control character is refused
/// (`InvalidInput`) before anything is written: it could not be read back as that name.
pub fn write_outputs(path: &Path, outputs: &[(&str, &str)]) -> std::io::Result<()> {
    let mut text = String::new();
    for (name, value) in outputs {
        if name.is_empty() || name.chars().any(|c| c == '=' || c == '<' || c.is_control()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("`{}` is not a step output name", name.escape_debug()),
            ));
        }
        if value.contains(['\n', '\r']) {
            let delimiter = delimiter_for(value);
            let _ = writeln!(text, "{name}<<{delimiter}");
            text.push_str(value);
            if !value.ends_with('\n') {
                text.push('\n');
            }
            let _ = writeln!(text, "{delimiter}");
        } else {
            let _ = writeln!(text, "{name}={value}");
        }
    }
    append(path, text.as_bytes())
}

/// A heredoc delimiter found nowhere in `value`.
fn delimiter_for(value: &str) -> String {
    loop {
        let delimiter = format!("ghadelimiter_{}", uuid::Uuid::new_v4().simple());
        if !value.contains(&delimiter) {
            return delimiter;
        }
    }
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// One workflow command per finding, each on its own line, for stdout: `::error` for critical
/// and high, `::warning` for medium and low, `::notice` for info, with the properties `file`
/// (`path_prefix` joined to the finding's path: the scanned directory relative to the
/// repository root, or empty), `line`, `endLine` (when known) and `title`.
///
/// Suppressed findings are not in `report.findings` and get no annotation.
pub fn annotations(report: &Report, path_prefix: &str) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        out.push_str(&annotation(finding, path_prefix));
        out.push('\n');
    }
    out
}

/// The workflow command of one finding, without the line break.
fn annotation(finding: &Finding, path_prefix: &str) -> String {
    let command = match finding.severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "notice",
    };
    let file = join_path(path_prefix, &finding.location.path);
    let mut properties = vec![("file", file)];
    if let Some(line) = finding.location.line {
        properties.push(("line", line.to_string()));
        if let Some(end) = finding.location.end_line {
            properties.push(("endLine", end.to_string()));
        }
    }
    let package = &finding.package;
    properties.push((
        "title",
        format!("{} ({}): {} {}", finding.id, finding.severity.as_str(), package.name, package.version),
    ));
    let properties: Vec<String> = properties
        .iter()
        .map(|(name, value)| format!("{name}={}", escape_property(&crate::sanitize::line(value, 500))))
        .collect();

    let mut message = format!("{} {} is affected by {}", package.name, package.version, finding.id);
    if !finding.summary.is_empty() {
        let _ = write!(message, ": {}", finding.summary);
    }
    if finding.fixed_in.is_empty() {
        message.push_str(" (no fixed version)");
    } else {
        let _ = write!(message, " (fixed in {})", finding.fixed_in.join(", "));
    }
    if let Some(url) = &finding.url {
        let _ = write!(message, " {url}");
    }
    format!("::{command} {}::{}", properties.join(","), escape_data(&crate::sanitize::line(&message, 4000)))
}

fn join_path(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    let prefix = prefix.strip_prefix("./").unwrap_or(prefix);
    if prefix.is_empty() || prefix == "." { path.to_owned() } else { format!("{prefix}/{path}") }
}

/// Escape a workflow command's message: `%`, `\r`, `\n` (as `@actions/core` does).
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escape a workflow command's property value: as [`escape_data`], plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
