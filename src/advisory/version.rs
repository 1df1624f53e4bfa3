//! Per-ecosystem version ordering, as advisory ranges need it.
//!
//! - crates.io and npm: SemVer 2.0 (`semver`; npm tolerates a leading `v` or `=`);
//! - PyPI: PEP 440 (`pep440_rs`: epochs, pre/post/dev releases, local versions);
//! - Go: SemVer with the `v` prefix; pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`) are
//!   SemVer pre-releases and order by their timestamp; `+incompatible` is ignored;
//! - RubyGems: `Gem::Version` (numeric segments, letters start a pre-release: `1.0.a < 1.0`);
//! - Packagist: Composer's normalized versions (`v1.2.3`, stabilities `dev < alpha < beta < RC
//!   < stable < patch`);
//! - Maven: `ComparableVersion` (qualifiers `alpha < beta < milestone < rc < snapshot < "" <
//!   sp`, trailing zeros ignored).
//!
//! A version that cannot be parsed is an error, never "not affected": the matcher reports it as
//! "could not evaluate".

use std::cmp::Ordering;
use std::str::FromStr;

use crate::model::Ecosystem;

/// A version of some ecosystem, comparable with versions of the same ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// crates.io, npm, Go.
    Semver(semver::Version),
    /// PyPI.
    Pep440(pep440_rs::Version),
    /// RubyGems.
    Ruby(RubyVersion),
    /// Packagist.
    Composer(ComposerVersion),
    /// Maven.
    Maven(MavenVersion),
}

/// A version string that the ecosystem's rules cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{version}` is not a valid {ecosystem} version")]
pub struct VersionError {
    /// The ecosystem.
    pub ecosystem: &'static str,
    /// The string.
    pub version: String,
}

impl Version {
    /// Parse `s` by the rules of `ecosystem`. A panic in a third-party parser (`semver`,
    /// `pep440_rs`) is contained: the version is then unparsable, like any other bad one.
    pub fn parse(ecosystem: Ecosystem, s: &str) -> Result<Version, VersionError> {
        // Most versions are three plain numbers: read without the general parser (and its
        // panic guard), with the same result (`plain_semver` takes nothing semver rejects).
        if matches!(ecosystem, Ecosystem::Cargo | Ecosystem::Npm | Ecosystem::Go)
            && let Some(v) = plain_semver(s)
        {
            return Ok(Version::Semver(v));
        }
        crate::panics::contain(|| Version::parse_uncontained(ecosystem, s))
            .unwrap_or_else(|_| Err(VersionError { ecosystem: ecosystem.as_str(), version: s.to_owned() }))
    }

    fn parse_uncontained(ecosystem: Ecosystem, s: &str) -> Result<Version, VersionError> {
        let err = || VersionError { ecosystem: ecosystem.as_str(), version: s.to_owned() };
        let t = s.trim();
        match ecosystem {
            Ecosystem::Cargo => semver::Version::parse(t).map(Version::Semver).map_err(|_| err()),
            Ecosystem::Npm => {
                let t = t.trim_start_matches(['v', '=']);
                semver::Version::parse(t).map(Version::Semver).map_err(|_| err())
            }
            Ecosystem::Go => {
                let t = t.strip_prefix('v').unwrap_or(t);
                let t = t.strip_suffix("+incompatible").unwrap_or(t);
                semver::Version::parse(t).map(Version::Semver).map_err(|_| err())
            }
            Ecosystem::PyPI => pep440_rs::Version::from_str(t).map(Version::Pep440).map_err(|_| err()),
            Ecosystem::RubyGems => RubyVersion::parse(t).map(Version::Ruby).ok_or_else(err),
            Ecosystem::Packagist => ComposerVersion::parse(t).map(Version::Composer).ok_or_else(err),
            Ecosystem::Maven => MavenVersion::parse(t).map(Version::Maven).ok_or_else(err),
        }
    }
}

/// `MAJOR.MINOR.PATCH` of decimal numbers without leading zeros, each fitting a `u64`, and
/// nothing else (no blank, prefix, pre-release or build): the version `semver` reads from it.
/// Anything else is `None`, for the general parser. For npm and Go such a string is also what
/// their prefix handling leaves unchanged.
fn plain_semver(s: &str) -> Option<semver::Version> {
    // One pass over the bytes (a `split` per call cost more than the general parser).
    let mut parts = [0u64; 3];
    let mut at = 0;
    let mut digits = 0;
    let mut leading_zero = false;
    for &b in s.as_bytes() {
        if b == b'.' {
            if digits == 0 || at == 2 {
                return None;
            }
            at += 1;
            digits = 0;
            leading_zero = false;
            continue;
        }
        if !b.is_ascii_digit() || leading_zero {
            return None;
        }
        leading_zero = digits == 0 && b == b'0';
        digits += 1;
        let part = parts.get_mut(at)?;
        *part = part.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if digits == 0 || at != 2 {
        return None;
    }
    let [major, minor, patch] = parts;
    Some(semver::Version::new(major, minor, patch))
}

impl PartialOrd for Version {
    /// Versions of different kinds do not compare.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Version::Semver(a), Version::Semver(b)) => Some(a.cmp_precedence(b)),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            (Version::Ruby(a), Version::Ruby(b)) => Some(a.cmp(b)),
            (Version::Composer(a), Version::Composer(b)) => Some(a.cmp(b)),
            (Version::Maven(a), Version::Maven(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// One segment of a RubyGems version.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RubySegment {
    Number(u64),
    Text(String),
}

/// A `Gem::Version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubyVersion {
    /// The release part (numbers), trailing zeros dropped.
    release: Vec<RubySegment>,
    /// From the first letter on (a pre-release), trailing zeros dropped.
    pre: Vec<RubySegment>,
}

impl RubyVersion {
    fn parse(s: &str) -> Option<RubyVersion> {
        // Gem::Version::ANCHORED_VERSION_PATTERN: digits, letters, dots, dashes.
        if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
            return None;
        }
        // `-` means `.pre.` in RubyGems.
        let s = s.replace('-', ".pre.");
        let mut segments = Vec::new();
        let mut chars = s.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c == '.' {
                chars.next();
            } else if c.is_ascii_digit() {
                let mut n = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(d);
                    chars.next();
                }
                segments.push(RubySegment::Number(n.parse().ok()?));
            } else {
                let mut t = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_alphabetic()) {
                    t.push(d);
                    chars.next();
                }
                segments.push(RubySegment::Text(t));
            }
        }
        let split = segments.iter().position(|s| matches!(s, RubySegment::Text(_))).unwrap_or(segments.len());
        let mut pre = segments.split_off(split);
        let trim = |v: &mut Vec<RubySegment>| {
            while matches!(v.last(), Some(RubySegment::Number(0))) {
                v.pop();
            }
        };
        trim(&mut segments);
        trim(&mut pre);
        Some(RubyVersion { release: segments, pre })
    }

    fn segments(&self) -> impl Iterator<Item = &RubySegment> {
        self.release.iter().chain(&self.pre)
    }
}

impl Ord for RubyVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (mut a, mut b) = (self.segments(), other.segments());
        loop {
            let ord = match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (Some(RubySegment::Number(x)), Some(RubySegment::Number(y))) => x.cmp(y),
                (Some(RubySegment::Text(x)), Some(RubySegment::Text(y))) => x.cmp(y),
                // A letter (pre-release) sorts before a number and before the end.
                (Some(RubySegment::Text(_)), _) => Ordering::Less,
                (_, Some(RubySegment::Text(_))) => Ordering::Greater,
                (Some(RubySegment::Number(x)), None) => x.cmp(&0),
                (None, Some(RubySegment::Number(y))) => 0.cmp(y),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
    }
}

impl PartialOrd for RubyVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A Composer version, normalized: four numbers, a stability and its number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ComposerVersion {
    numbers: [u64; 4],
    /// 0 dev, 1 alpha, 2 beta, 3 RC, 4 stable, 5 patch.
    stability: u8,
    stability_number: u64,
}

impl ComposerVersion {
    fn parse(s: &str) -> Option<ComposerVersion> {
        let s = s.trim().trim_start_matches(['v', 'V']);
        let lower = s.to_ascii_lowercase();
        if let Some(branch) = Self::branch(&lower) {
            return Some(branch);
        }
        let split = lower.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(lower.len());
        let (release, rest) = lower.split_at(split);
        let mut numbers = [0u64; 4];
        let mut parts = release.split('.').filter(|p| !p.is_empty());
        for slot in &mut numbers {
            match parts.next() {
                Some(p) => *slot = p.parse().ok()?,
                None => break,
            }
        }
        if parts.next().is_some() || release.is_empty() {
            return None;
        }
        let rest = rest.trim_start_matches(['-', '_', '.', '+']);
        let word_end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(word_end);
        let stability = match word {
            "dev" => 0,
            "alpha" | "a" => 1,
            "beta" | "b" => 2,
            "rc" => 3,
            "" | "stable" => 4,
            "patch" | "pl" | "p" => 5,
            _ => return None,
        };
        let tail = tail.trim_start_matches(['-', '_', '.']);
        let stability_number = if tail.is_empty() { 0 } else { tail.parse().ok()? };
        Some(ComposerVersion { numbers, stability, stability_number })
    }

    /// A numbered branch (`4.4.x-dev`, `2.x-dev`, `1.*-dev`), as Composer's
    /// `VersionParser::normalizeBranch` orders it: each `x` or `*`, and each missing part, is
    /// 9999999 (`4.4.9999999.9999999-dev`), so the branch sorts after every release of its line.
    /// `dev-main` names no line and stays unordered.
    fn branch(lower: &str) -> Option<ComposerVersion> {
        const ANY: u64 = 9_999_999;
        let name = lower.strip_suffix("dev")?.trim_end_matches(['-', '.']);
        if !name.contains(['x', '*']) {
            return None;
        }
        let mut numbers = [ANY; 4];
        let mut parts = name.split('.');
        for slot in &mut numbers {
            match parts.next() {
                Some("x" | "*") => {}
                Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => *slot = p.parse().ok()?,
                Some(_) => return None,
                None => break,
            }
        }
        // The first part is a number, and nothing is left over.
        if parts.next().is_some() || (numbers[0] == ANY && !name.starts_with(|c: char| c.is_ascii_digit())) {
            return None;
        }
        Some(ComposerVersion { numbers, stability: 0, stability_number: 0 })
    }
}

/// Sort `items` by `cmp`, stably, in O(n log n), and never panic, even when `cmp` is not a
/// total order. Version orderings of advisory data are not always total (Maven's
/// `ComparableVersion` is not transitive for some inputs), and the standard library's sorts may
/// panic when they detect an inconsistent comparator: on untrusted records, that is a crash.
/// With such a comparator the result is some permutation of `items`; with a total order it is
/// the sorted one.
pub fn sort_tolerant_by<T>(items: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    // A range has a few events, usually in order already: a stable insertion sort, in place
    // (with a total order the same result as the merge sort; it never panics either).
    if items.len() <= 16 {
        for i in 1..items.len() {
            let mut j = i;
            while j > 0 && items.get(j).zip(items.get(j - 1)).is_some_and(|(a, b)| cmp(a, b) == Ordering::Less) {
                items.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    let all = std::mem::take(items);
    *items = merge_sort(all, &mut cmp);
}

fn merge_sort<T>(mut left: Vec<T>, cmp: &mut impl FnMut(&T, &T) -> Ordering) -> Vec<T> {
    if left.len() <= 1 {
        return left;
    }
    let right = left.split_off(left.len() / 2);
    let left = merge_sort(left, cmp);
    let right = merge_sort(right, cmp);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_right = match (left.peek(), right.peek()) {
            (Some(a), Some(b)) => cmp(b, a) == Ordering::Less,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => break,
        };
        let next = if take_right { right.next() } else { left.next() };
        out.extend(next);
    }
    out
}

/// One item of a Maven version.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MavenItem {
    Number(u64),
    /// Known qualifiers get a rank; others sort after them, alphabetically.
    Qualifier(u8, String),
    /// A `-` sub-list.
    List(Vec<MavenItem>),
}

/// A Maven `ComparableVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MavenVersion {
    items: Vec<MavenItem>,
}

fn maven_qualifier(q: &str) -> MavenItem {
    let q = q.to_ascii_lowercase();
    let rank = match q.as_str() {
        "alpha" | "a" => 0,
        "beta" | "b" => 1,
        "milestone" | "m" => 2,
        "rc" | "cr" => 3,
        "snapshot" => 4,
        "" | "ga" | "final" | "release" => 5,
        "sp" => 6,
        _ => 7,
    };
    MavenItem::Qualifier(rank, if rank == 7 { q } else { String::new() })
}

impl MavenVersion {
    fn parse(s: &str) -> Option<MavenVersion> {
        if s.is_empty() || s.chars().any(char::is_whitespace) {
            return None;
        }
        // Split into lists at `-` (and at digit/letter transitions), items at `.`.
        let mut lists: Vec<Vec<MavenItem>> = vec![Vec::new()];
        let mut token = String::new();
        let flush = |token: &mut String, list: &mut Vec<MavenItem>| {
            if token.is_empty() {
                return;
            }
            let item = if token.bytes().all(|b| b.is_ascii_digit()) {
                token.parse().map_or_else(|_| maven_qualifier(token), MavenItem::Number)
            } else {
                maven_qualifier(token)
            };
            list.push(item);
            token.clear();
        };
        let mut prev_digit: Option<bool> = None;
        for c in s.chars() {
            match c {
                '.' => {
                    let list = lists.last_mut()?;
                    flush(&mut token, list);
                    prev_digit = None;
                }
                '-' => {
                    let list = lists.last_mut()?;
                    flush(&mut token, list);
                    lists.push(Vec::new());
                    prev_digit = None;
                }
                c => {
                    let digit = c.is_ascii_digit();
                    if prev_digit.is_some_and(|p| p != digit) {
                        // `1alpha2` reads as `1.alpha.2`.
                        let list = lists.last_mut()?;
                        flush(&mut token, list);
                    }
                    prev_digit = Some(digit);
                    token.push(c);
                }
            }
        }
        flush(&mut token, lists.last_mut()?);
        // Trailing "null" items (0, "", ga, final, release) are dropped in every list.
        let mut items: Vec<MavenItem> = Vec::new();
        for (i, mut list) in lists.into_iter().enumerate() {
            while matches!(list.last(), Some(MavenItem::Number(0) | MavenItem::Qualifier(5, _))) {
                list.pop();
            }
            if i == 0 {
                items = list;
            } else if !list.is_empty() {
                items.push(MavenItem::List(list));
            }
        }
        Some(MavenVersion { items })
    }
}

fn maven_cmp_item(a: Option<&MavenItem>, b: Option<&MavenItem>) -> Ordering {
    use MavenItem::{List, Number, Qualifier};
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(Number(x)), Some(Number(y))) => x.cmp(y),
        (Some(Number(x)), None) => x.cmp(&0),
        (None, Some(Number(y))) => 0.cmp(y),
        // A number sorts after a qualifier or a sub-list; a qualifier before a sub-list.
        (Some(Number(_)), Some(Qualifier(..) | List(_))) | (Some(List(_)), Some(Qualifier(..))) => Ordering::Greater,
        (Some(Qualifier(..) | List(_)), Some(Number(_))) | (Some(Qualifier(..)), Some(List(_))) => Ordering::Less,
        (Some(Qualifier(ra, a)), Some(Qualifier(rb, b))) => ra.cmp(rb).then_with(|| a.cmp(b)),
        (Some(Qualifier(r, _)), None) => r.cmp(&5),
        (None, Some(Qualifier(r, _))) => 5.cmp(r),
        (Some(List(x)), Some(List(y))) => maven_cmp_list(x, y),
        (Some(List(x)), None) => maven_cmp_list(x, &[]),
        (None, Some(List(y))) => maven_cmp_list(&[], y),
    }
}

fn maven_cmp_list(a: &[MavenItem], b: &[MavenItem]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let ord = maven_cmp_item(a.get(i), b.get(i));
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        maven_cmp_list(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lt(eco: Ecosystem, a: &str, b: &str) {
        let (x, y) = (Version::parse(eco, a).unwrap(), Version::parse(eco, b).unwrap());
        assert_eq!(x.partial_cmp(&y), Some(Ordering::Less), "{eco}: {a} < {b}");
        assert_eq!(y.partial_cmp(&x), Some(Ordering::Greater), "{eco}: {b} > {a}");
    }

    fn eq(eco: Ecosystem, a: &str, b: &str) {
        let (x, y) = (Version::parse(eco, a).unwrap(), Version::parse(eco, b).unwrap());
        assert_eq!(x.partial_cmp(&y), Some(Ordering::Equal), "{eco}: {a} == {b}");
    }

    #[test]
    fn the_plain_fast_path_reads_what_the_general_parser_reads() {
        let cases = [
            "0.0.0",
            "1.2.3",
            "10.20.30",
            "01.2.3",
            "1.02.3",
            "1.2.03",
            "1.2",
            "1.2.3.4",
            "1..3",
            ".1.2",
            "1.2.",
            "1.2.3-alpha",
            "1.2.3+build",
            " 1.2.3",
            "1.2.3 ",
            "v1.2.3",
            "=1.2.3",
            "1.2.x",
            "+1.2.3",
            "1.2.-3",
            "18446744073709551615.0.0",
            "18446744073709551616.0.0",
            "9999999999999999999.1.1",
            "1.2.3\n",
            "١.2.3",
            "0.00.1",
            "00.0.0",
            "",
        ];
        for s in cases {
            let fast = plain_semver(s);
            if let Some(v) = &fast {
                assert_eq!(semver::Version::parse(s).ok().as_ref(), Some(v), "{s:?}");
            }
            for eco in [Ecosystem::Cargo, Ecosystem::Npm, Ecosystem::Go] {
                let general = crate::panics::contain(|| Version::parse_uncontained(eco, s)).unwrap();
                match (&fast, general) {
                    (Some(v), Ok(Version::Semver(g))) => assert_eq!(v, &g, "{eco} {s:?}"),
                    (Some(_), other) => panic!("{eco} {s:?}: the fast path read it, the parser gave {other:?}"),
                    (None, _) => {}
                }
            }
        }
        assert_eq!(plain_semver("1.2.3"), Some(semver::Version::new(1, 2, 3)));
        assert_eq!(plain_semver("18446744073709551615.0.10"), Some(semver::Version::new(u64::MAX, 0, 10)));
        assert_eq!(plain_semver("0.0.0"), Some(semver::Version::new(0, 0, 0)));
    }

    #[test]
    fn the_tolerant_sort_sorts_and_survives_an_inconsistent_comparator() {
        let mut v: Vec<u32> = (0..1000).map(|i| (i * 7919) % 1000).collect();
        sort_tolerant_by(&mut v, Ord::cmp);
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
        // Stable: equal keys keep their order.
        let mut pairs = vec![(1, 'a'), (0, 'b'), (1, 'c'), (0, 'd')];
        sort_tolerant_by(&mut pairs, |x, y| x.0.cmp(&y.0));
        assert_eq!(pairs, [(0, 'b'), (0, 'd'), (1, 'a'), (1, 'c')]);
        // A comparator that is not an order at all: a permutation, no panic.
        let mut w: Vec<u32> = (0..500).collect();
        sort_tolerant_by(&mut w, |a, b| if (a ^ b) % 3 == 0 { Ordering::Less } else { Ordering::Greater });
        w.sort_unstable();
        assert_eq!(w, (0..500).collect::<Vec<_>>());
        // The same for a short list (sorted in place) and for the long path's stability.
        let mut short: Vec<u32> = (0..16).rev().collect();
        sort_tolerant_by(&mut short, |a, b| if (a ^ b) % 3 == 0 { Ordering::Less } else { Ordering::Greater });
        short.sort_unstable();
        assert_eq!(short, (0..16).collect::<Vec<_>>());
        let mut long: Vec<(u32, usize)> = (0..100).map(|i| (i % 3, i as usize)).collect();
        sort_tolerant_by(&mut long, |x, y| x.0.cmp(&y.0));
        assert!(long.windows(2).all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)));
    }

    /// Found by the `osv_record` fuzz target: Maven's ordering is not transitive for these, and
    /// sorting a range's events by it made the standard sort panic.
    #[test]
    fn a_maven_range_with_intransitive_versions_is_evaluated_without_panicking() {
        let record = br#"{"id": "MAVEN-INTRANSITIVE", "affected": [{"package": {"ecosystem": "Maven", "name": "g:a"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"last_affected": "0.0"}, {"fixed": "0b"}, {"introduced": "2a.3"}, {"last_affected": "0b"}, {"introduced": "m.2"}, {"introduced": "2a.0"}, {"introduced": "m"}, {"introduced": "n"}, {"last_affected": "0b"}, {"fixed": "0b.2"}, {"last_affected": "n"}, {"fixed": "0a.1"}, {"last_affected": "x.2"}, {"last_affected": "x.0"}, {"fixed": "l.2"}, {"last_affected": "0a"}, {"introduced": "1-beta.1"}, {"fixed": "0a"}, {"introduced": "0.2"}, {"fixed": "0c.2"}, {"introduced": "1a.1"}]}]}]}"#;
        let advisory =
            crate::advisory::osv::parse_record(record, &mut std::collections::BTreeSet::new()).unwrap().unwrap();
        for v in ["0", "0.1", "1", "2a.1", "m.1", "z"] {
            let _ = advisory.affected[0].evaluate(v, &Version::parse(Ecosystem::Maven, v));
        }
    }

    #[test]
    fn semver_for_crates_io_and_npm() {
        lt(Ecosystem::Cargo, "1.0.0-alpha", "1.0.0-alpha.1");
        lt(Ecosystem::Cargo, "1.0.0-alpha.1", "1.0.0-beta");
        lt(Ecosystem::Cargo, "1.0.0-rc.1", "1.0.0");
        lt(Ecosystem::Cargo, "0.9.99", "0.10.0");
        eq(Ecosystem::Cargo, "1.0.0+build1", "1.0.0+build2");
        assert!(Version::parse(Ecosystem::Cargo, "1.0").is_err());
        assert!(Version::parse(Ecosystem::Cargo, "v1.0.0").is_err());
        eq(Ecosystem::Npm, "v1.2.3", "1.2.3");
        lt(Ecosystem::Npm, "4.17.20", "4.17.21");
    }

    #[test]
    fn go_prefix_pseudo_versions_and_incompatible() {
        lt(Ecosystem::Go, "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-aaaaaaaaaaaa");
        lt(Ecosystem::Go, "v0.0.0-20191109021931-daa7c04131f5", "v0.1.0");
        lt(Ecosystem::Go, "1.2.3", "v1.10.0");
        eq(Ecosystem::Go, "v2.0.0+incompatible", "2.0.0");
        assert!(Version::parse(Ecosystem::Go, "latest").is_err());
    }

    #[test]
    fn pep440_epochs_pre_post_dev_local() {
        lt(Ecosystem::PyPI, "1.0.dev1", "1.0a1");
        lt(Ecosystem::PyPI, "1.0a1", "1.0b1");
        lt(Ecosystem::PyPI, "1.0rc1", "1.0");
        lt(Ecosystem::PyPI, "1.0", "1.0.post1");
        lt(Ecosystem::PyPI, "2.0", "1!0.1");
        lt(Ecosystem::PyPI, "1.0", "1.0+local.1");
        eq(Ecosystem::PyPI, "1.0", "1.0.0");
        lt(Ecosystem::PyPI, "1.9", "1.10");
        assert!(Version::parse(Ecosystem::PyPI, "not a version").is_err());
    }

    #[test]
    fn rubygems_prereleases_and_trailing_zeros() {
        lt(Ecosystem::RubyGems, "1.0.a", "1.0");
        lt(Ecosystem::RubyGems, "1.0.0.pre", "1.0.0");
        lt(Ecosystem::RubyGems, "1.0.0-rc1", "1.0.0");
        lt(Ecosystem::RubyGems, "1.0.a", "1.0.b");
        lt(Ecosystem::RubyGems, "1.9", "1.10");
        eq(Ecosystem::RubyGems, "1.0", "1.0.0");
        lt(Ecosystem::RubyGems, "6.1.7.5", "6.1.7.10");
        assert!(Version::parse(Ecosystem::RubyGems, "").is_err());
        assert!(Version::parse(Ecosystem::RubyGems, "1.0 beta").is_err());
    }

    #[test]
    fn composer_stabilities() {
        lt(Ecosystem::Packagist, "1.0.0-dev", "1.0.0-alpha1");
        lt(Ecosystem::Packagist, "1.0.0-alpha2", "1.0.0-beta1");
        lt(Ecosystem::Packagist, "1.0.0-beta1", "1.0.0-RC1");
        lt(Ecosystem::Packagist, "1.0.0-RC1", "1.0.0");
        lt(Ecosystem::Packagist, "1.0.0", "1.0.0-patch1");
        eq(Ecosystem::Packagist, "v2.1", "2.1.0.0");
        lt(Ecosystem::Packagist, "5.4.9", "5.4.10");
        assert!(Version::parse(Ecosystem::Packagist, "dev-main").is_err());
        // Numbered branches, as Composer normalizes them: after every release of their line.
        lt(Ecosystem::Packagist, "4.4.99", "4.4.x-dev");
        lt(Ecosystem::Packagist, "4.4.x-dev", "4.5.0");
        lt(Ecosystem::Packagist, "2.99.1", "2.x-dev");
        lt(Ecosystem::Packagist, "2.x-dev", "3.0.0-alpha1");
        eq(Ecosystem::Packagist, "v1.*-dev", "1.x.x-dev");
        assert!(Version::parse(Ecosystem::Packagist, "x.1-dev").is_err());
        assert!(Version::parse(Ecosystem::Packagist, "1.x").is_err());
    }

    #[test]
    fn maven_qualifiers_and_trailing_zeros() {
        lt(Ecosystem::Maven, "1.0-alpha-1", "1.0-beta-1");
        lt(Ecosystem::Maven, "1.0-beta-1", "1.0-rc1");
        lt(Ecosystem::Maven, "1.0-rc1", "1.0-SNAPSHOT");
        lt(Ecosystem::Maven, "1.0-SNAPSHOT", "1.0");
        lt(Ecosystem::Maven, "1.0", "1.0-sp1");
        eq(Ecosystem::Maven, "1.0", "1.0.0");
        eq(Ecosystem::Maven, "1.0", "1.0-final");
        lt(Ecosystem::Maven, "2.9.10", "2.9.10.1");
        lt(Ecosystem::Maven, "1.9", "1.10");
    }

    #[test]
    fn different_kinds_do_not_compare() {
        let a = Version::parse(Ecosystem::Cargo, "1.0.0").unwrap();
        let b = Version::parse(Ecosystem::PyPI, "1.0.0").unwrap();
        assert_eq!(a.partial_cmp(&b), None);
    }
}
