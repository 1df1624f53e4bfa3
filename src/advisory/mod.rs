//! Advisories: the model every source is read into, the index packages are matched against, and
//! the per-ecosystem version ordering the ranges need.
//!
//! Every source (RustSec's own format, OSV JSON in directories or zips) becomes the same
//! [`Advisory`]: affected packages with OSV-style ranges (`introduced` / `fixed` /
//! `last_affected` / `limit` events, or explicit `versions`). RustSec's `patched` /
//! `unaffected` requirements are turned into ranges by the `rustsec` crate itself
//! (`rustsec::osv::ranges_for_advisory`), the same code cargo-audit matches with.
//! chainward's own records of malicious releases ([`builtin`]) are compiled in and always added.

pub mod builtin;
pub mod db;
pub mod local;
pub mod osv;
pub mod rustsec;
pub mod version;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Ecosystem;
use version::{Version, VersionError};

/// What an advisory is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdvisoryKind {
    /// A security vulnerability.
    Vulnerability,
    /// The package is no longer maintained.
    Unmaintained,
    /// The package exposes unsound (memory-unsafe from safe code) APIs.
    Unsound,
    /// Something users should know (RustSec `informational = "notice"`).
    Notice,
    /// A malicious package or release.
    Malicious,
}

impl AdvisoryKind {
    /// The name used in reports and `--deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            AdvisoryKind::Vulnerability => "vulnerability",
            AdvisoryKind::Unmaintained => "unmaintained",
            AdvisoryKind::Unsound => "unsound",
            AdvisoryKind::Notice => "notice",
            AdvisoryKind::Malicious => "malicious",
        }
    }

    /// Informational kinds do not fail a run unless `--deny` names them.
    pub fn is_informational(self) -> bool {
        matches!(self, AdvisoryKind::Unmaintained | AdvisoryKind::Unsound | AdvisoryKind::Notice)
    }
}

/// Severity of a finding, from its CVSS score by the usual bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational (unmaintained, unsound, notice).
    Info,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9, and vulnerabilities without a score.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0, and malicious packages.
    Critical,
}

impl Severity {
    /// `info`, `low`, `medium`, `high` or `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The band of a CVSS base score. A score of 0 means "none": informational.
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CVSS vector and its base score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// The vector string (`CVSS:3.1/AV:N/...`).
    pub vector: String,
    /// Its base score.
    pub score: f64,
}

impl Cvss {
    /// Score a CVSS v3.x or v4.0 vector with the `cvss` crate.
    pub fn parse(vector: &str) -> Option<Cvss> {
        let vector = vector.trim();
        let score = if vector.starts_with("CVSS:4.0/") {
            vector.parse::<cvss::v4::Vector>().ok()?.score().value()
        } else if vector.starts_with("CVSS:3.") {
            vector.parse::<cvss::v3::Base>().ok()?.score().value()
        } else {
            return None;
        };
        Some(Cvss { vector: vector.to_owned(), score })
    }
}

/// One event of a range, as OSV defines them. `S` is the string type: owned in an advisory,
/// `&str` borrowed from the compiled index while a scan decides whether a record matters (the
/// two encode alike).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event<S = String> {
    /// Affected from this version on (`0`: from the first version).
    Introduced(S),
    /// Not affected from this version on.
    Fixed(S),
    /// Affected up to and including this version.
    LastAffected(S),
    /// Versions from here on are outside this range.
    Limit(S),
}

impl<S: AsRef<str>> Event<S> {
    fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v.as_ref(),
        }
    }
}

/// An affected range: events over one ecosystem's ordering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range<S = String> {
    /// The events, in any order.
    pub events: Vec<Event<S>>,
}

impl<S> Default for Range<S> {
    fn default() -> Self {
        Range { events: Vec::new() }
    }
}

/// A package an advisory affects (`S` as in [`Event`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected<S = String> {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Name, normalized for the ecosystem ([`Ecosystem::normalize_name`]).
    pub name: S,
    /// `SEMVER` / `ECOSYSTEM` ranges (`GIT` ranges never match packages and are dropped).
    pub ranges: Vec<Range<S>>,
    /// Explicitly listed affected versions.
    pub versions: Vec<S>,
    /// RustSec: only on these operating systems (display only).
    pub os: Vec<S>,
    /// RustSec: only on these architectures (display only).
    pub arch: Vec<S>,
    /// RustSec: the affected functions (display only).
    pub functions: Vec<S>,
}

/// Whether a version is affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// In an affected range or list.
    Affected,
    /// Outside every range.
    NotAffected,
    /// A version (of the package or of the advisory) could not be ordered.
    Unknown(VersionError),
}

impl<S: AsRef<str>> Affected<S> {
    /// Evaluate `version` (already parsed, or the error of parsing it) against this entry.
    pub fn evaluate(&self, raw: &str, version: &Result<Version, VersionError>) -> Verdict {
        if self.versions.iter().any(|v| v.as_ref() == raw) {
            return Verdict::Affected;
        }
        if self.ranges.is_empty() {
            return Verdict::NotAffected;
        }
        let version = match version {
            Ok(v) => v,
            Err(e) => return Verdict::Unknown(e.clone()),
        };
        for range in &self.ranges {
            match range_affects(self.ecosystem, range, version) {
                Ok(true) => return Verdict::Affected,
                Ok(false) => {}
                Err(e) => return Verdict::Unknown(e),
            }
        }
        Verdict::NotAffected
    }
}

impl Affected {
    /// The `fixed` versions of every range, for "upgrade to" hints.
    pub fn fixed(&self) -> Vec<String> {
        let mut fixed: Vec<String> = self
            .ranges
            .iter()
            .flat_map(|r| &r.events)
            .filter_map(|e| match e {
                Event::Fixed(v) => Some(v.clone()),
                _ => None,
            })
            .collect();
        fixed.dedup();
        fixed
    }
}

/// The OSV evaluation of one range: events in version order; `introduced` turns affected on,
/// `fixed` and (above it) `last_affected` turn it off; `limit` bounds the range.
fn range_affects<S: AsRef<str>>(
    ecosystem: Ecosystem,
    range: &Range<S>,
    version: &Version,
) -> Result<bool, VersionError> {
    let mut events: Vec<(Option<Version>, &Event<S>)> = Vec::with_capacity(range.events.len());
    for e in &range.events {
        let v = match e {
            Event::Introduced(v) if v.as_ref() == "0" => None,
            e => Some(Version::parse(ecosystem, e.version())?),
        };
        events.push((v, e));
    }
    // `None` (introduced "0") sorts first. Not every ecosystem's ordering is total (Maven's):
    // the tolerant sort never panics on an inconsistent one.
    version::sort_tolerant_by(&mut events, |(a, _), (b, _)| match (a, b) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let below = |bound: &Option<Version>| bound.as_ref().is_none_or(|b| b <= version);
    for (bound, e) in &events {
        if matches!(e, Event::Limit(_)) && bound.as_ref().is_some_and(|b| version >= b) {
            return Ok(false);
        }
    }
    let mut affected = false;
    for (bound, e) in &events {
        match e {
            Event::Introduced(_) if below(bound) => affected = true,
            Event::Fixed(_) if below(bound) => affected = false,
            Event::LastAffected(_) if bound.as_ref().is_some_and(|b| version > b) => affected = false,
            _ => {}
        }
    }
    Ok(affected)
}

/// One advisory, from any source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// `RUSTSEC-2020-0071`, `GHSA-...`, `PYSEC-...`, `GO-...`.
    pub id: String,
    /// The same issue in other databases.
    pub aliases: Vec<String>,
    /// Related but different issues.
    pub related: Vec<String>,
    /// One-line title.
    pub summary: String,
    /// Longer text (Markdown).
    pub details: String,
    /// Kind.
    pub kind: AdvisoryKind,
    /// The CVSS vector and score, when given.
    pub cvss: Option<Cvss>,
    /// What it affects.
    pub affected: Vec<Affected>,
    /// Reference URLs.
    pub references: Vec<String>,
    /// The advisory's own page.
    pub url: Option<String>,
    /// Which source it came from (`rustsec`, `osv`, or `chainward` for the built-in records).
    pub source: String,
    /// When it was published (`YYYY-MM-DD`), when the record says.
    #[serde(default)]
    pub published: Option<String>,
    /// When the record was last changed, as an RFC 3339 UTC timestamp normalised to
    /// `YYYY-MM-DDTHH:MM:SSZ` (fractions of a second dropped, offsets converted to UTC; see
    /// [`normalize_timestamp`]). OSV: the record's `modified`. RustSec directory: the committer
    /// time of the newest commit that changed the advisory's file, when the directory is the
    /// root of a git repository, else `None`: the managed copy (`db update`, an archive without
    /// history) has none, and the crates.io OSV export beside it carries `modified` for the same
    /// RUSTSEC ids (`--since` takes the newest over every record of an id). `None` also when the
    /// record's value cannot be read: "no modification date", never a failed record. Being
    /// normalised, two values compare chronologically as strings (the newest of a group of
    /// aliases is their `max`).
    #[serde(default)]
    pub modified: Option<String>,
}

impl Advisory {
    /// Severity: from CVSS when scored; otherwise `medium` for a vulnerability (documented:
    /// unknown is not low), `critical` for malicious packages, `info` for informational kinds.
    pub fn severity(&self) -> Severity {
        match self.kind {
            AdvisoryKind::Malicious => Severity::Critical,
            k if k.is_informational() => Severity::Info,
            _ => self.cvss.as_ref().map_or(Severity::Medium, |c| Severity::from_score(c.score).max(Severity::Low)),
        }
    }

    /// [`Advisory::modified`] as a time, when it is set and valid.
    pub fn modified_at(&self) -> Option<time::OffsetDateTime> {
        let modified = self.modified.as_deref()?;
        time::OffsetDateTime::parse(modified, &time::format_description::well_known::Rfc3339).ok()
    }

    /// A link for people: RustSec's page for a RustSec id (it gathers the references), else
    /// the record's advisory URL, else a well-known page for the id.
    pub fn link(&self) -> Option<String> {
        let id = self.id.as_str();
        if id.starts_with("RUSTSEC-") {
            return Some(format!("https://rustsec.org/advisories/{id}.html"));
        }
        if let Some(url) = &self.url {
            return Some(url.clone());
        }
        if id.starts_with("GHSA-") {
            Some(format!("https://github.com/advisories/{id}"))
        } else if id.starts_with("GO-") {
            Some(format!("https://pkg.go.dev/vuln/{id}"))
        } else {
            Some(format!("https://osv.dev/vulnerability/{id}"))
        }
    }
}

/// An RFC 3339 timestamp (`2024-05-01T12:34:56.789+02:00`) as the UTC second it names, in the
/// form [`Advisory::modified`] keeps: `YYYY-MM-DDTHH:MM:SSZ` (`2024-05-01T10:34:56Z`). Fractions
/// of a second are dropped (not rounded). `None` when `text` is not RFC 3339 or the instant is
/// outside the years 0000 to 9999.
pub fn normalize_timestamp(text: &str) -> Option<String> {
    let at = time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    format_timestamp(at)
}

/// `at` in UTC as `YYYY-MM-DDTHH:MM:SSZ` (fractions dropped); `None` outside the years 0000 to
/// 9999, which RFC 3339 cannot write.
pub(crate) fn format_timestamp(at: time::OffsetDateTime) -> Option<String> {
    let utc = at.checked_to_offset(time::UtcOffset::UTC)?;
    if !(0..=9999).contains(&utc.year()) {
        return None;
    }
    utc.format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z")).ok()
}

/// At most this many errors are kept per source; the others are counted, and one more error
/// says how many there were (a crafted archive can hold millions of bad entries).
pub const MAX_ERRORS: usize = 1_000;

/// A problem with one advisory record, or with a whole source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{}{}: {message}", path, record.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
pub struct AdvisoryError {
    /// The file or archive (and entry).
    pub path: String,
    /// The record id, when known.
    pub record: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// One ecosystem's affected entries by normalized name: (advisory, affected entry) indices.
type EntriesByName = foldhash::HashMap<String, Vec<(usize, usize)>>;

/// A value per ecosystem. A scan meets a handful of ecosystems: a short list costs less than
/// hashing the ecosystem on every lookup.
#[derive(Debug)]
pub(crate) struct PerEcosystem<T>(Vec<(Ecosystem, T)>);

impl<T> Default for PerEcosystem<T> {
    fn default() -> Self {
        PerEcosystem(Vec::new())
    }
}

impl<T> PerEcosystem<T> {
    /// The value of `ecosystem`, when it has one.
    pub(crate) fn get(&self, ecosystem: Ecosystem) -> Option<&T> {
        self.0.iter().find(|(e, _)| *e == ecosystem).map(|(_, value)| value)
    }

    /// The value of `ecosystem`, made (`make` is told whether it is the first value) when missing
    /// (always `Some`).
    pub(crate) fn get_or_insert_with(&mut self, ecosystem: Ecosystem, make: impl FnOnce(bool) -> T) -> Option<&mut T> {
        let at = self.0.iter().position(|(e, _)| *e == ecosystem).unwrap_or_else(|| {
            self.0.push((ecosystem, make(self.0.is_empty())));
            self.0.len() - 1
        });
        self.0.get_mut(at).map(|(_, value)| value)
    }
}

/// Advisories loaded from every source, indexed by (ecosystem, normalized name).
#[derive(Debug, Default)]
pub struct Index {
    advisories: Vec<Advisory>,
    by_package: PerEcosystem<EntriesByName>,
    /// Records that could not be read (skipped; the others are loaded), and sources that could
    /// not be read fully or yielded no usable record. A database with errors is not a complete
    /// database: a scan reports them as errors, never as a clean result.
    pub errors: Vec<AdvisoryError>,
    /// Informational notes about the sources (e.g. entries for ecosystems chainward does not
    /// match, which were skipped): not errors.
    pub notes: Vec<String>,
    /// One line per source: what was loaded.
    pub sources: Vec<SourceInfo>,
}

/// What one database source contributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// `rustsec`, `osv`, or `chainward` (the built-in records).
    pub name: String,
    /// The path given (`builtin` for the built-in records).
    pub path: String,
    /// Records loaded (withdrawn ones excluded).
    pub records: usize,
    /// The ecosystems its records are about: a scanned package of another ecosystem was not
    /// looked up in this source.
    pub ecosystems: std::collections::BTreeSet<crate::model::Ecosystem>,
}

/// A match of a package against an advisory entry.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    /// The advisory.
    pub advisory: &'a Advisory,
    /// The affected entry that matched.
    pub affected: &'a Affected,
}

impl Index {
    /// Add advisories (from one source).
    pub fn extend(&mut self, advisories: impl IntoIterator<Item = Advisory>) {
        for advisory in advisories {
            let i = self.advisories.len();
            for (j, a) in advisory.affected.iter().enumerate() {
                if let Some(names) = self.by_package.get_or_insert_with(a.ecosystem, |_| EntriesByName::default()) {
                    names.entry(a.name.clone()).or_default().push((i, j));
                }
            }
            self.advisories.push(advisory);
        }
    }

    /// The advisories whose id or one of whose aliases is `id` (ASCII case-insensitive).
    pub fn named(&self, id: &str) -> impl Iterator<Item = &Advisory> {
        self.advisories
            .iter()
            .filter(move |a| a.id.eq_ignore_ascii_case(id) || a.aliases.iter().any(|x| x.eq_ignore_ascii_case(id)))
    }

    /// Number of advisories.
    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    /// No advisories at all.
    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// The advisories affecting `name@version` of `ecosystem`, and the ones that could not be
    /// evaluated (an unparsable version) with the reason.
    pub fn lookup(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
    ) -> (Vec<Match<'_>>, Vec<(&Advisory, VersionError)>) {
        let key = ecosystem.normalized_name(name);
        let Some(entries) = self.by_package.get(ecosystem).and_then(|names| names.get(key.as_ref())) else {
            return (Vec::new(), Vec::new());
        };
        let parsed = Version::parse(ecosystem, version);
        let mut matches = Vec::new();
        let mut unknown = Vec::new();
        for &(i, j) in entries {
            let (Some(advisory), Some(affected)) =
                (self.advisories.get(i), self.advisories.get(i).and_then(|a| a.affected.get(j)))
            else {
                continue;
            };
            match affected.evaluate(version, &parsed) {
                Verdict::Affected => matches.push(Match { advisory, affected }),
                Verdict::NotAffected => {}
                Verdict::Unknown(e) => unknown.push((advisory, e)),
            }
        }
        (matches, unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn affected(ecosystem: Ecosystem, events: Vec<Event>) -> Affected {
        Affected {
            ecosystem,
            name: "x".into(),
            ranges: vec![Range { events }],
            versions: Vec::new(),
            os: Vec::new(),
            arch: Vec::new(),
            functions: Vec::new(),
        }
    }

    fn check(a: &Affected, v: &str) -> Verdict {
        a.evaluate(v, &Version::parse(a.ecosystem, v))
    }

    use Event::{Fixed, Introduced, LastAffected, Limit};

    #[test]
    fn introduced_fixed() {
        let a = affected(Ecosystem::Cargo, vec![Introduced("0".into()), Fixed("1.2.0".into())]);
        assert_eq!(check(&a, "0.1.0"), Verdict::Affected);
        assert_eq!(check(&a, "1.2.0-rc.1"), Verdict::Affected);
        assert_eq!(check(&a, "1.2.0"), Verdict::NotAffected);
        assert_eq!(check(&a, "2.0.0"), Verdict::NotAffected);
    }

    #[test]
    fn several_introduced_fixed_pairs_in_any_order() {
        let a = affected(
            Ecosystem::Cargo,
            vec![Fixed("2.1.0".into()), Introduced("1.0.0".into()), Introduced("2.0.0".into()), Fixed("1.5.0".into())],
        );
        assert_eq!(check(&a, "0.9.0"), Verdict::NotAffected);
        assert_eq!(check(&a, "1.4.9"), Verdict::Affected);
        assert_eq!(check(&a, "1.5.0"), Verdict::NotAffected);
        assert_eq!(check(&a, "2.0.5"), Verdict::Affected);
        assert_eq!(check(&a, "2.1.0"), Verdict::NotAffected);
    }

    #[test]
    fn last_affected_is_inclusive() {
        let a = affected(Ecosystem::PyPI, vec![Introduced("1.0".into()), LastAffected("1.4".into())]);
        assert_eq!(check(&a, "1.4"), Verdict::Affected);
        assert_eq!(check(&a, "1.4.0"), Verdict::Affected);
        assert_eq!(check(&a, "1.4.post1"), Verdict::NotAffected);
        assert_eq!(check(&a, "0.9"), Verdict::NotAffected);
    }

    #[test]
    fn limit_bounds_the_range() {
        let a = affected(Ecosystem::Go, vec![Introduced("0".into()), Limit("v1.5.0".into())]);
        assert_eq!(check(&a, "v1.4.0"), Verdict::Affected);
        assert_eq!(check(&a, "v1.5.0"), Verdict::NotAffected);
    }

    #[test]
    fn introduced_only_affects_everything_after() {
        let a = affected(Ecosystem::Npm, vec![Introduced("4.0.0".into())]);
        assert_eq!(check(&a, "3.9.9"), Verdict::NotAffected);
        assert_eq!(check(&a, "9.0.0"), Verdict::Affected);
    }

    #[test]
    fn explicit_versions_match_exactly_even_unparsable_ones() {
        let mut a = affected(Ecosystem::PyPI, Vec::new());
        a.ranges.clear();
        a.versions = vec!["1.0".into(), "weird-version".into()];
        assert_eq!(check(&a, "1.0"), Verdict::Affected);
        assert_eq!(check(&a, "weird-version"), Verdict::Affected);
        assert_eq!(check(&a, "1.0.0"), Verdict::NotAffected);
    }

    #[test]
    fn unparsable_versions_are_unknown_not_clean() {
        let a = affected(Ecosystem::Cargo, vec![Introduced("0".into()), Fixed("1.0.0".into())]);
        assert!(matches!(check(&a, "not-a-version"), Verdict::Unknown(_)));
        let bad = affected(Ecosystem::Cargo, vec![Introduced("0".into()), Fixed("one".into())]);
        assert!(matches!(check(&bad, "1.0.0"), Verdict::Unknown(_)));
    }

    #[test]
    fn severity_bands() {
        assert_eq!(Severity::from_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_score(7.5), Severity::High);
        assert_eq!(Severity::from_score(5.3), Severity::Medium);
        assert_eq!(Severity::from_score(3.1), Severity::Low);
        assert_eq!(Severity::from_score(0.0), Severity::Info);
        let cvss = Cvss::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert!((cvss.score - 9.8).abs() < 1e-9);
        let v4 = Cvss::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        assert!(v4.score >= 9.0, "{}", v4.score);
        assert!(Cvss::parse("AV:N/AC:L").is_none());
    }
}
