//! `checksum-drift` (diff mode): the same name, version and source with another checksum
//! between the base and the head revision.

use super::{Locked, RuleInfo, Signal, shown};
use crate::advisory::Severity;
use crate::finding::RuleId;

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::ChecksumDrift,
    title: "Same version, different checksum",
    severity: Severity::High,
    explanation: "The lockfile records another checksum for the same package, version and source than it did at \
        the base revision. Registries do not let a published version change, so the new checksum means the \
        lockfile was edited by hand or by a tool pointed at a mirror that serves other bytes; either way the \
        code that will be built is not the code that was reviewed before. Find out where the new checksum came \
        from.",
    registry: false,
};

pub(super) fn check(base: &[Locked], p: &Locked) -> Option<Signal> {
    let same =
        |b: &&Locked| b.ecosystem == p.ecosystem && b.name == p.name && b.version == p.version && b.source == p.source;
    // Prefer the same lockfile; any lockfile of the base otherwise.
    let before = base
        .iter()
        .filter(same)
        .find(|b| b.location.path == p.location.path)
        .or_else(|| base.iter().find(|b| same(b)))?;
    // Compare checksums of one algorithm only: a lockfile that gained a SHA-512 next to its
    // SHA-1 (npm rewrites old `integrity` values) has not drifted.
    // Compared per algorithm. A package may have several checksums of one algorithm (a Python
    // lockfile records one per wheel and sdist, and a re-lock adds the wheels published since):
    // it drifted when the two sides share none of them.
    let algorithm = |c: &str| c.split_once(':').map(|(a, _)| a.to_ascii_lowercase());
    let (theirs, ours) = before.checksums.iter().find_map(|theirs| {
        let ours = p.checksums.iter().find(|c| algorithm(c) == algorithm(theirs))?;
        Some((theirs.as_str(), ours.as_str()))
    })?;
    let alg = algorithm(theirs);
    let shared = before
        .checksums
        .iter()
        .filter(|b| algorithm(b) == alg)
        .any(|b| p.checksums.iter().any(|c| c.eq_ignore_ascii_case(b)));
    if shared {
        return None;
    }
    Some(Signal {
        severity: INFO.severity,
        summary: format!(
            "{}@{} from {}: checksum changed since the base revision",
            shown(&p.name),
            shown(&p.version),
            shown(&p.source)
        ),
        evidence: vec![
            format!("base ({}): {}", shown(&before.location.path), shown(theirs)),
            format!("head ({}): {}", shown(&p.location.path), shown(ours)),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::super::source_change::tests::locked;
    use super::*;

    #[test]
    fn same_version_other_checksum() {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let base = [locked("x", "1.0.0", "crates.io", Some(&a))];
        let s = check(&base, &locked("x", "1.0.0", "crates.io", Some(&b))).unwrap();
        assert_eq!(s.severity, Severity::High);
        assert_eq!(check(&base, &locked("x", "1.0.0", "crates.io", Some(&a))), None);
        assert_eq!(check(&base, &locked("x", "1.0.1", "crates.io", Some(&b))), None, "an update");
        assert_eq!(check(&base, &locked("x", "1.0.0", "registry https://other", Some(&b))), None, "a source change");
        assert_eq!(check(&base, &locked("x", "1.0.0", "crates.io", None)), None);
        let sha512 = format!("sha512:{}", "c".repeat(128));
        assert_eq!(check(&base, &locked("x", "1.0.0", "crates.io", Some(&sha512))), None, "another algorithm");
    }

    /// A Python lockfile records one hash per file (sdist and every wheel): a re-lock that adds
    /// the wheels published since is not drift; a set that shares no hash is.
    #[test]
    fn several_hashes_of_one_algorithm_drift_only_when_none_is_shared() {
        let h = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let with = |hashes: &[String]| {
            let mut l = locked("x", "1.0.0", "crates.io", None);
            l.checksums = hashes.to_vec();
            l
        };
        let base = [with(&[h('a'), h('b')])];
        assert_eq!(check(&base, &with(&[h('a'), h('b'), h('c')])), None, "a wheel added");
        assert_eq!(check(&base, &with(&[h('b')])), None, "a wheel dropped");
        assert_eq!(check(&base, &with(&[h('c'), h('d')])).unwrap().severity, Severity::High, "every file changed");
    }
}
