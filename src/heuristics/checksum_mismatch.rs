//! `checksum-mismatch`: the lockfile's checksum differs from the registry's for that version.

use super::{Context, RuleInfo, Signal, shown};
use crate::advisory::Severity;
use crate::finding::{RuleId, ScanPackage};
use crate::registry::PackageMeta;

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::ChecksumMismatch,
    title: "Lockfile checksum differs from the registry's",
    severity: Severity::High,
    explanation: "The checksum the lockfile records for this version is not the one the registry publishes for \
        it. Either the lockfile was edited to point at other content, or the package was resolved from a \
        mirror or registry that serves different bytes under the same name and version. Package managers \
        refuse such a mismatch at install time (cargo: \"checksum changed\"), but only once someone installs; \
        find out where the recorded checksum came from before merging.",
    registry: true,
};

pub(super) fn check(_ctx: &Context<'_>, p: &ScanPackage, meta: &PackageMeta) -> Option<Signal> {
    let ours = p.checksum.as_deref()?;
    let v = meta.version(&p.version)?;
    let (algorithm, _) = ours.split_once(':')?;
    let theirs: Vec<&str> = v
        .checksums
        .iter()
        .map(String::as_str)
        .filter(|c| c.split_once(':').is_some_and(|(a, _)| a == algorithm))
        .collect();
    if theirs.is_empty() || theirs.iter().any(|c| c.eq_ignore_ascii_case(ours)) {
        return None;
    }
    Some(Signal {
        severity: INFO.severity,
        summary: format!(
            "{}@{}: the lockfile's checksum is not the one {} publishes",
            shown(&p.name),
            shown(&p.version),
            p.ecosystem.as_str()
        ),
        evidence: vec![format!("lockfile: {}", shown(ours)), format!("registry: {}", shown(&theirs.join(", ")))],
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::*;
    use super::*;
    use crate::model::Ecosystem;

    #[test]
    fn compares_checksums_of_the_same_algorithm() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-09-10T00:00:00Z", false);
        let mut v = version("1.0.0", "2020-01-01T00:00:00Z", None);
        v.checksums = vec![format!("sha256:{}", "a".repeat(64))];
        let meta = meta(Ecosystem::Cargo, "x", vec![v]);
        let mut p = package(Ecosystem::Cargo, "x", "1.0.0");
        p.checksum = Some(format!("sha256:{}", "b".repeat(64)));
        assert_eq!(check(&ctx, &p, &meta).unwrap().severity, Severity::High);
        p.checksum = Some(format!("sha256:{}", "A".repeat(64)));
        assert_eq!(check(&ctx, &p, &meta), None);
        p.checksum = Some(format!("sha512:{}", "b".repeat(20)));
        assert_eq!(check(&ctx, &p, &meta), None, "no registry checksum of that algorithm");
        p.checksum = None;
        assert_eq!(check(&ctx, &p, &meta), None);
    }
}
