//! `--format markdown`: a compact summary for a pull-request comment or a job step summary.
//!
//! Every string from a lockfile or an advisory is attacker-controlled: it is escaped so it
//! renders as plain text (no HTML, no links, no mentions), and only `https` links without
//! parentheses or whitespace are emitted. The output stays under GitHub's comment limit.

use super::clip;
use std::fmt::Write;

use super::Report;
use crate::advisory::Severity;
use crate::finding::Finding;

/// The output never exceeds this many bytes (GitHub comments take 65,536 characters).
pub const MAX_LEN: usize = 60_000;
/// Room kept for the closing lines and the "… and N more" notes.
const RESERVE: usize = 2_000;
/// Table cells are clipped to this many characters before escaping.
const MAX_CELL: usize = 200;

const SEVERITIES: [Severity; 5] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

/// `s` as inert Markdown text: Markdown and HTML metacharacters escaped, newlines and control
/// characters as spaces, `@` followed by a zero-width space so it mentions no one.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // The one sanitiser first: control and format characters become visible escapes (whose
    // backslashes are then escaped like any other).
    for c in crate::sanitize::line(s, usize::MAX).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@\u{200b}"),
            '|' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '\\' | '~' | '(' | ')' | ':' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `url` when it is safe to emit as a Markdown link target: `https://`, no whitespace, no
/// characters that end or break a link, a table cell or an HTML attribute.
pub(crate) fn safe_url(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let bad = |c: char| c.is_whitespace() || c.is_control() || "()<>[]\"'`|\\{}".contains(c);
    (!rest.is_empty() && !url.chars().any(bad)).then_some(url)
}

/// Escaped and clipped.
fn cell(s: &str) -> String {
    escape(&clip(s, MAX_CELL))
}

/// Appends `rows` while they fit in the budget, then a note for the rest. Returns how many
/// were left out.
fn push_rows(out: &mut String, rows: impl ExactSizeIterator<Item = String>, what: &str) -> usize {
    let total = rows.len();
    for (i, row) in rows.enumerate() {
        if out.len() + row.len() + 1 > MAX_LEN - RESERVE {
            let left = total - i;
            let _ = writeln!(out, "\n… and {left} more {what}");
            return left;
        }
        out.push_str(&row);
        out.push('\n');
    }
    0
}

fn fix(f: &Finding) -> String {
    cell(&f.remedy())
}

/// The compiled cell: the status (`runtime`, `build`, `dev`, `no`), then why when there is a
/// reason; `-` for a finding without the compiled view (another ecosystem).
fn compiled(f: &Finding) -> String {
    match &f.compiled {
        Some(c) => match &c.reason {
            Some(reason) => format!("{}\\: {}", c.status.as_str(), cell(reason)),
            None => c.status.as_str().to_owned(),
        },
        None => "-".to_owned(),
    }
}

fn id_link(f: &Finding) -> String {
    match f.url.as_deref().and_then(safe_url) {
        Some(url) => format!("[{}]({url})", cell(&f.id)),
        None => cell(&f.id),
    }
}

fn title(f: &Finding) -> String {
    if f.kind.in_title() { format!("\\[{}\\] {}", f.kind.as_str(), cell(&f.summary)) } else { cell(&f.summary) }
}

fn counts(findings: &[Finding]) -> String {
    let parts: Vec<String> = SEVERITIES
        .iter()
        .filter_map(|&s| {
            let n = findings.iter().filter(|f| f.severity == s).count();
            (n > 0).then(|| format!("{n} {}", s.as_str()))
        })
        .collect();
    parts.join(", ")
}

/// The report as GitHub-flavoured Markdown, at most [`MAX_LEN`] bytes.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let n = report.findings.len();
    let set_apart = report.not_compiled.len();
    if n == 0 && set_apart == 0 {
        let _ = writeln!(out, "## chainward: no known advisories\n");
        let _ = writeln!(out, "{} packages scanned.", report.summary.packages);
    } else if n == 0 {
        // What `--compiled-only` / `--no-dev` set apart must not read as a clean scan.
        let _ = writeln!(out, "## chainward: no known advisories in compiled packages\n");
        let _ = writeln!(
            out,
            "{} packages scanned; {set_apart} finding{} in packages not compiled for this configuration, not counted (below).",
            report.summary.packages,
            if set_apart == 1 { "" } else { "s" }
        );
    } else {
        let _ = writeln!(out, "## chainward: {n} finding{}\n", if n == 1 { "" } else { "s" });
        let _ = writeln!(out, "**{}** in {} packages scanned.\n", counts(&report.findings), report.summary.packages);
        // Findings from several files say which file and line each is in.
        let several_files = super::several_files(&report.findings);
        let (where_head, where_rule) = if several_files { (" Where |", " --- |") } else { ("", "") };
        // Rust findings with the compiled view say what cargo does with the crate, and why.
        let with_compiled = report.findings.iter().any(|f| f.compiled.is_some());
        let (compiled_head, compiled_rule) = if with_compiled { (" Compiled |", " --- |") } else { ("", "") };
        let _ = writeln!(out, "| Severity | Package | Version |{compiled_head} Advisory | Title | Fix |{where_head}");
        let _ = writeln!(out, "| --- | --- | --- |{compiled_rule} --- | --- | --- |{where_rule}");
        let mut sorted: Vec<&Finding> = report.findings.iter().collect();
        sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let rows = sorted.iter().map(|f| {
            let at = if several_files {
                let line = f.location.line.map(|l| format!(":{l}")).unwrap_or_default();
                format!(" {}{line} |", cell(&f.location.path))
            } else {
                String::new()
            };
            let compiled = if with_compiled { format!(" {} |", compiled(f)) } else { String::new() };
            format!(
                "| {} | {} | {} |{compiled} {} | {} | {} |{at}",
                f.severity.as_str(),
                cell(&f.package.name),
                cell(&f.package.version),
                id_link(f),
                title(f),
                fix(f)
            )
        });
        push_rows(&mut out, rows, "findings");
    }

    if let Some(changes) = &report.changes {
        if !changes.new_suppressions.is_empty() {
            let _ = writeln!(out, "\n### ⚠️ New suppressions ({})\n", changes.new_suppressions.len());
            let _ = writeln!(out, "This change adds `[[ignore]]` entries that silence findings:\n");
            let rows = changes.new_suppressions.iter().map(|s| {
                let package = s.package.as_deref().map(|p| format!(" ({})", cell(p))).unwrap_or_default();
                let until = s.until.as_deref().map(|u| format!(", until {}", cell(u))).unwrap_or_default();
                format!("- **{}**{package}: {}{until}", cell(&s.id), cell(&s.reason))
            });
            push_rows(&mut out, rows, "new suppressions");
        }
        let _ = writeln!(out, "\n### Dependency changes ({} → {})\n", cell(&changes.base), cell(&changes.head));
        if changes.added.is_empty() && changes.removed.is_empty() && changes.updated.is_empty() {
            let _ = writeln!(out, "No package changes.");
        }
        let lists = [("Added", &changes.added, "added packages"), ("Removed", &changes.removed, "removed packages")];
        for (label, list, what) in lists {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "**{label} ({}):**\n", list.len());
            let rows = list.iter().map(|p| format!("- {} {} ({})", cell(&p.name), cell(&p.version), cell(&p.path)));
            push_rows(&mut out, rows, what);
            out.push('\n');
        }
        if !changes.updated.is_empty() {
            let _ = writeln!(out, "**Updated ({}):**\n", changes.updated.len());
            let rows = changes.updated.iter().map(|p| {
                let previous = p.previous.as_deref().map(cell).unwrap_or_default();
                format!("- {} {previous} → {} ({})", cell(&p.name), cell(&p.version), cell(&p.path))
            });
            push_rows(&mut out, rows, "updated packages");
            out.push('\n');
        }
    }

    if !report.suppressed.is_empty() {
        let _ = writeln!(out, "\n<details><summary>{} suppressed finding(s)</summary>\n", report.suppressed.len());
        let _ = writeln!(out, "| Severity | Package | Version | Advisory | Reason | Until |");
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
        let rows = report.suppressed.iter().map(|f| {
            let (reason, until) = f
                .suppression
                .as_ref()
                .map(|s| (cell(&s.reason), s.until.as_deref().map(cell).unwrap_or_default()))
                .unwrap_or_default();
            format!(
                "| {} | {} | {} | {} | {reason} | {until} |",
                f.severity.as_str(),
                cell(&f.package.name),
                cell(&f.package.version),
                id_link(f)
            )
        });
        push_rows(&mut out, rows, "suppressed findings");
        let _ = writeln!(out, "\n</details>");
    }

    if !report.not_compiled.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} finding(s) in packages not compiled for this configuration, not counted</summary>\n",
            report.not_compiled.len()
        );
        let _ = writeln!(out, "| Severity | Package | Version | Advisory | Compiled | Reason |");
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
        let rows = report.not_compiled.iter().map(|f| {
            let (status, reason) = f
                .compiled
                .as_ref()
                .map(|c| (c.status.as_str(), c.reason.as_deref().map(cell).unwrap_or_default()))
                .unwrap_or_default();
            format!(
                "| {} | {} | {} | {} | {status} | {reason} |",
                f.severity.as_str(),
                cell(&f.package.name),
                cell(&f.package.version),
                id_link(f)
            )
        });
        push_rows(&mut out, rows, "findings in packages not compiled");
        let _ = writeln!(out, "\n</details>");
    }

    if !report.warnings.is_empty() {
        let _ = writeln!(out, "\n### Warnings\n");
        push_rows(&mut out, report.warnings.iter().map(|w| format!("- {}", escape(&clip(w, 500)))), "warnings");
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\n### Errors\n");
        let rows = report.errors.iter().map(|e| {
            let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            format!("- {}{line}: {}", cell(&e.path), escape(&clip(&e.message, 500)))
        });
        push_rows(&mut out, rows, "errors");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_links_are_inert() {
        let e = escape("<img src=x onerror=alert(1)>");
        assert!(!e.contains('<') && !e.contains('>'), "{e}");
        let e = escape("[x](javascript:alert(1))");
        assert_eq!(e, "\\[x\\]\\(javascript\\:alert\\(1\\)\\)");
        let e = escape("@org/team");
        assert!(!e.contains("@org"), "{e}");
        assert_eq!(escape("a|b\nc`d*e_f#g!h\\i&j"), "a\\|b\\\\nc\\`d\\*e\\_f\\#g\\!h\\\\i&amp;j");
    }

    #[test]
    fn only_plain_https_links() {
        assert_eq!(
            safe_url("https://rustsec.org/advisories/RUSTSEC-2023-0071"),
            Some("https://rustsec.org/advisories/RUSTSEC-2023-0071")
        );
        assert_eq!(safe_url("http://example.com"), None);
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("https://a.b/x)y"), None);
        assert_eq!(safe_url("https://a.b/x y"), None);
        assert_eq!(safe_url("https://"), None);
    }

    #[test]
    fn clip_cuts_on_char_boundary() {
        assert_eq!(clip("ééé", 2), "é…");
        assert_eq!(clip("ab", 2), "ab");
    }
}
