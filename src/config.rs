//! The policy file, `chainward.toml`: `fail-on`, `deny`, `exclude` and `[[ignore]]` entries.
//!
//! ```toml
//! fail-on = "high"                 # none|info|low|medium|high|critical
//! deny = ["unmaintained"]          # unmaintained|unsound|notice|yanked
//! exclude = ["vendor/**", "fuzz/Cargo.lock"]   # globs, same meaning as --exclude
//! requirements = ["deps/*.pip", "constraints.txt"] # globs, same meaning as --requirements
//! compiled-only = true             # Rust: findings in crates not compiled are reported apart
//! [[ignore]]
//! id = "RUSTSEC-2020-0071"         # required; a finding's id or any of its aliases
//! package = "time"                 # optional: "name" or "name@version"
//! reason = "not reachable: we never call localtime" # required, non-empty
//! until = "2026-12-31"             # optional, YYYY-MM-DD (a bare TOML date works too)
//!
//! [heuristics]
//! registry = true                  # fetch registry metadata (default true; --no-registry)
//! cooldown-days = 7                # fresh-release: younger releases are flagged
//! window-days = 90                 # full scans: maintainer/ownership rules only for newer releases
//! [heuristics.rules]
//! fresh-release = false            # switch a rule off...
//! maintainer-change = "high"       # ...or give it another severity
//! ```
//!
//! The file is read in two steps: serde into a wire struct that keeps every value's span, then
//! validation into [`Config`]. Every error names the file and, when known, the line.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::advisory::Severity;
use crate::discover::Excludes;
use crate::finding::RuleId;
use crate::policy::{Deny, FailOn};
use crate::resolve::{LineIndex, line_of_offset};

/// The default file name, looked up at the repository root.
pub const FILE_NAME: &str = "chainward.toml";

/// A validated policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file's label in messages (`chainward.toml`, or the `--config` path as given).
    pub path: String,
    /// `fail-on`, when set.
    pub fail_on: Option<FailOn>,
    /// `deny`, when set.
    pub deny: Option<Vec<Deny>>,
    /// `exclude` globs (same meaning as `--exclude`).
    pub exclude: Vec<String>,
    /// `requirements` globs (same meaning as `--requirements`): more pip requirements files.
    pub requirements: Vec<String>,
    /// `[[ignore]]` entries, in file order.
    pub ignores: Vec<Ignore>,
    /// `[heuristics]`.
    pub heuristics: HeuristicsConfig,
    /// `compiled-only = true`: findings in Rust crates that are not compiled go to the report's
    /// `not_compiled` section, out of the exit code (as `--compiled-only`).
    pub compiled_only: bool,
}

/// The `[heuristics]` table: what is not set keeps its default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeuristicsConfig {
    /// `registry`: fetch registry metadata.
    pub registry: Option<bool>,
    /// `cooldown-days`.
    pub cooldown_days: Option<u32>,
    /// `window-days`.
    pub window_days: Option<u32>,
    /// `[heuristics.rules]`: per rule, off (`false`), on (`true`) or on with a severity.
    pub rules: std::collections::BTreeMap<RuleId, RuleSwitch>,
}

/// One entry of `[heuristics.rules]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSwitch {
    /// `false`.
    Off,
    /// `true`.
    On,
    /// A severity name: on, with that severity.
    Severity(Severity),
}

/// One `[[ignore]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The advisory id; matches a finding's id or any of its aliases.
    pub id: String,
    /// `name` or `name@version`, when the ignore is limited to one package.
    pub package: Option<String>,
    /// Why the finding is ignored (never empty).
    pub reason: String,
    /// The last day the ignore applies; after it the finding is reported again.
    pub until: Option<time::Date>,
    /// The line of the entry in the file.
    pub line: Option<usize>,
}

impl Ignore {
    /// The package name and optional version of `package`.
    pub fn package_parts(&self) -> Option<(&str, Option<&str>)> {
        self.package.as_deref().map(split_package)
    }

    /// `until` as `YYYY-MM-DD`.
    pub fn until_string(&self) -> Option<String> {
        self.until.map(format_date)
    }
}

/// A policy file that cannot be read or is invalid. Displays as `path:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    /// The file's label.
    pub path: String,
    /// The line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// `name` or `name@version`, split at the last `@` that is not the first character: scoped npm
/// names start with one (`@scope/name@1.0.0`).
pub fn split_package(p: &str) -> (&str, Option<&str>) {
    match p.rfind('@').filter(|&at| at > 0) {
        Some(at) => (p.get(..at).unwrap_or(p), p.get(at + 1..)),
        None => (p, None),
    }
}

/// `YYYY-MM-DD`.
pub fn format_date(date: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Parse `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let b = text.as_bytes();
    // Exactly four digits of year: `time` would also take `+12345` or a shorter year.
    if b.len() != 10
        || !b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
    {
        return None;
    }
    time::Date::parse(text, &format).ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Wire {
    fail_on: Option<Spanned<String>>,
    deny: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    requirements: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<WireIgnore>>,
    heuristics: Option<WireHeuristics>,
    compiled_only: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct WireHeuristics {
    registry: Option<bool>,
    cooldown_days: Option<Spanned<i64>>,
    window_days: Option<Spanned<i64>>,
    #[serde(default)]
    rules: std::collections::BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct WireIgnore {
    id: Spanned<String>,
    package: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    until: Option<Spanned<toml::Value>>,
}

/// Read and validate the policy file at `path` (labelled with the path as given).
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ConfigError {
        path: label.clone(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ConfigError {
        path: label.clone(),
        line: None,
        message: format!("not UTF-8: {e}"),
    })?;
    parse(&label, &text)
}

/// Parse and validate a policy file's text; `label` names it in messages.
pub fn parse(label: &str, text: &str) -> Result<Config, ConfigError> {
    let err = |span: Option<std::ops::Range<usize>>, message: String| ConfigError {
        path: label.to_owned(),
        line: span.map(|s| line_of_offset(text, s.start)),
        message,
    };
    let wire: Wire = toml::from_str(text).map_err(|e| err(e.span(), e.message().trim().to_owned()))?;

    let fail_on = match wire.fail_on {
        Some(v) => Some(parse_fail_on(v.get_ref()).ok_or_else(|| {
            err(
                Some(v.span()),
                format!("invalid fail-on `{}`: expected none, info, low, medium, high or critical", v.get_ref()),
            )
        })?),
        None => None,
    };
    let deny = match wire.deny {
        Some(list) => Some(
            list.iter()
                .map(|v| {
                    parse_deny(v.get_ref()).ok_or_else(|| {
                        err(
                            Some(v.span()),
                            format!("invalid deny `{}`: expected unmaintained, unsound, notice or yanked", v.get_ref()),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let mut exclude = Vec::with_capacity(wire.exclude.len());
    for pattern in wire.exclude {
        let span = pattern.span();
        let pattern = pattern.into_inner();
        if pattern.trim().is_empty() {
            return Err(err(Some(span), "empty exclude pattern".to_owned()));
        }
        Excludes::new(std::slice::from_ref(&pattern))
            .map_err(|e| err(Some(span), format!("invalid exclude pattern `{pattern}`: {}", e.message)))?;
        exclude.push(pattern);
    }
    let mut requirements = Vec::with_capacity(wire.requirements.len());
    for pattern in wire.requirements {
        let span = pattern.span();
        let pattern = pattern.into_inner();
        Excludes::new(&[])
            .and_then(|e| e.with_requirements(std::slice::from_ref(&pattern)))
            .map_err(|e| err(Some(span), format!("invalid requirements pattern `{pattern}`: {}", e.message)))?;
        requirements.push(pattern);
    }
    let mut ignores = Vec::with_capacity(wire.ignore.len());
    // Every entry's line, each found in O(log n): counting from the start per entry made 16k
    // entries take 11 s.
    let lines = LineIndex::new(text);
    for entry in wire.ignore {
        let entry_span = entry.span();
        let entry = entry.into_inner();
        let id_span = entry.id.span();
        let id = entry.id.into_inner().trim().to_owned();
        if id.is_empty() {
            return Err(err(Some(id_span), "ignore has an empty `id`".to_owned()));
        }
        let package = match entry.package {
            Some(p) => {
                let span = p.span();
                let p = p.into_inner().trim().to_owned();
                let valid = match split_package(&p) {
                    (name, Some(version)) => !name.trim().is_empty() && !version.trim().is_empty(),
                    (name, None) => !name.is_empty(),
                };
                if !valid {
                    return Err(err(
                        Some(span),
                        format!("invalid ignore package `{p}`: expected `name` or `name@version`"),
                    ));
                }
                Some(p)
            }
            None => None,
        };
        let reason = match entry.reason {
            Some(r) if !r.get_ref().trim().is_empty() => r.into_inner().trim().to_owned(),
            Some(r) => {
                return Err(err(Some(r.span()), format!("ignore of {id} has an empty `reason`: say why it is safe")));
            }
            None => {
                return Err(err(
                    Some(entry_span.clone()),
                    format!("ignore of {id} has no `reason`: say why it is safe"),
                ));
            }
        };
        let until = match entry.until {
            Some(u) => {
                let span = u.span();
                let date = match u.get_ref() {
                    toml::Value::String(s) => parse_date(s.trim()),
                    toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
                        d.date.as_ref().and_then(|d| parse_date(&d.to_string()))
                    }
                    _ => None,
                };
                Some(date.ok_or_else(|| {
                    err(Some(span), format!("invalid until `{}`: expected a date YYYY-MM-DD", u.get_ref()))
                })?)
            }
            None => None,
        };
        ignores.push(Ignore { id, package, reason, until, line: Some(lines.line(entry_span.start)) });
    }
    let heuristics = match wire.heuristics {
        Some(h) => heuristics(h, &err)?,
        None => HeuristicsConfig::default(),
    };
    Ok(Config {
        path: label.to_owned(),
        fail_on,
        deny,
        exclude,
        requirements,
        ignores,
        heuristics,
        compiled_only: wire.compiled_only.unwrap_or(false),
    })
}

fn heuristics(
    wire: WireHeuristics,
    err: &dyn Fn(Option<std::ops::Range<usize>>, String) -> ConfigError,
) -> Result<HeuristicsConfig, ConfigError> {
    let days = |v: Option<Spanned<i64>>, name: &str| -> Result<Option<u32>, ConfigError> {
        match v {
            Some(d) => match u32::try_from(*d.get_ref()) {
                Ok(n) if n <= 36_500 => Ok(Some(n)),
                _ => Err(err(Some(d.span()), format!("invalid {name} `{}`: expected 0 to 36500 days", d.get_ref()))),
            },
            None => Ok(None),
        }
    };
    let mut rules = std::collections::BTreeMap::new();
    for (name, value) in wire.rules {
        let rule = RuleId::parse(name.get_ref().trim()).ok_or_else(|| {
            let known: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
            err(Some(name.span()), format!("unknown rule `{}`: expected one of {}", name.get_ref(), known.join(", ")))
        })?;
        let switch = match value.get_ref() {
            toml::Value::Boolean(true) => RuleSwitch::On,
            toml::Value::Boolean(false) => RuleSwitch::Off,
            toml::Value::String(s) => match parse_fail_on(s) {
                Some(FailOn::Info) => RuleSwitch::Severity(Severity::Info),
                Some(FailOn::Low) => RuleSwitch::Severity(Severity::Low),
                Some(FailOn::Medium) => RuleSwitch::Severity(Severity::Medium),
                Some(FailOn::High) => RuleSwitch::Severity(Severity::High),
                Some(FailOn::Critical) => RuleSwitch::Severity(Severity::Critical),
                _ => None.ok_or_else(|| {
                    err(
                        Some(value.span()),
                        format!(
                            "invalid severity `{s}` for {}: expected info, low, medium, high or critical",
                            rule.as_str()
                        ),
                    )
                })?,
            },
            other => {
                return Err(err(
                    Some(value.span()),
                    format!("invalid value `{other}` for rule {}: expected true, false or a severity", rule.as_str()),
                ));
            }
        };
        rules.insert(rule, switch);
    }
    Ok(HeuristicsConfig {
        registry: wire.registry,
        cooldown_days: days(wire.cooldown_days, "cooldown-days")?,
        window_days: days(wire.window_days, "window-days")?,
        rules,
    })
}

fn parse_fail_on(s: &str) -> Option<FailOn> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "none" => FailOn::None,
        "info" => FailOn::Info,
        "low" => FailOn::Low,
        "medium" => FailOn::Medium,
        "high" => FailOn::High,
        "critical" => FailOn::Critical,
        _ => return None,
    })
}

fn parse_deny(s: &str) -> Option<Deny> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "unmaintained" => Deny::Unmaintained,
        "unsound" => Deny::Unsound,
        "notice" => Deny::Notice,
        "yanked" => Deny::Yanked,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_exactly_yyyy_mm_dd() {
        assert_eq!(parse_date("2026-12-31"), Some(time::macros::date!(2026 - 12 - 31)));
        for bad in ["2026-13-01", "2026-02-30", "26-12-31", "2026-1-01", "+2026-12-31", "2026/12/31", ""] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(format_date(time::macros::date!(2026 - 01 - 05)), "2026-01-05");
    }

    #[test]
    fn package_parts_split_on_at() {
        let mut i =
            Ignore { id: "X".into(), package: Some("time@0.1.0".into()), reason: "r".into(), until: None, line: None };
        assert_eq!(i.package_parts(), Some(("time", Some("0.1.0"))));
        i.package = Some("time".into());
        assert_eq!(i.package_parts(), Some(("time", None)));
        // Scoped npm names begin with `@`: the version is after the last one.
        i.package = Some("@scope/name@1.0.0".into());
        assert_eq!(i.package_parts(), Some(("@scope/name", Some("1.0.0"))));
        i.package = Some("@scope/name".into());
        assert_eq!(i.package_parts(), Some(("@scope/name", None)));
        assert_eq!(split_package("a@"), ("a", Some("")), "rejected by validation: empty version");
    }
}
