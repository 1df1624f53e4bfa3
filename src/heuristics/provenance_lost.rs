//! `provenance-lost`: earlier releases were published with trusted publishing or provenance
//! attestations; the version in use has none.

use super::{Context, RuleInfo, Signal, shown};
use crate::advisory::Severity;
use crate::finding::{RuleId, ScanPackage};
use crate::registry::PackageMeta;

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::ProvenanceLost,
    title: "Release lost the build provenance earlier releases had",
    severity: Severity::High,
    explanation: "The previous releases of this package were published with build provenance (crates.io trusted \
        publishing, npm provenance attestations, PyPI PEP 740 attestations), and the version in use was not. \
        A release built by the project's CI carries provenance; one pushed from a stolen token or a laptop does \
        not. This is the signal that would have caught the Ultralytics and several npm compromises at publish \
        time, and PyPI shows the same state as \"lost provenance\". Check how this release was published.",
    registry: true,
};

pub(super) fn check(_ctx: &Context<'_>, p: &ScanPackage, meta: &PackageMeta) -> Option<Signal> {
    let v = meta.version(&p.version)?;
    // Only a known absence counts (`Some(None)`): metadata that was not fetched says nothing.
    if v.provenance != Some(None) {
        return None;
    }
    let earlier = meta.earlier(&p.version);
    let last_known = earlier.iter().rev().find(|e| e.provenance.is_some())?;
    let Some(Some(prov)) = &last_known.provenance else { return None };
    let from = prov.repository.as_deref().map(|r| format!(" from {}", shown(r))).unwrap_or_default();
    Some(Signal {
        severity: INFO.severity,
        summary: format!(
            "{}@{} has no build provenance; {} had{from}",
            shown(&p.name),
            shown(&p.version),
            shown(&last_known.version)
        ),
        evidence: vec![
            format!("{} {}: provenance{from}", shown(&p.name), shown(&last_known.version)),
            format!("{} {}: none", shown(&p.name), shown(&p.version)),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::*;
    use super::*;
    use crate::model::Ecosystem;
    use crate::registry::Provenance;

    #[test]
    fn a_release_without_provenance_after_one_with_it() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2024-12-05T00:00:00Z", false);
        let mut good = version("8.3.44", "2024-12-01T00:00:00Z", None);
        good.provenance = Some(Some(Provenance {
            repository: Some("https://github.com/ultralytics/ultralytics".into()),
            workflow: Some("publish.yml".into()),
        }));
        let mut bad = version("8.3.45", "2024-12-04T00:00:00Z", None);
        bad.provenance = Some(None);
        let unknown = version("8.3.46", "2024-12-04T12:00:00Z", None);
        let m = meta(Ecosystem::PyPI, "ultralytics", vec![good, bad, unknown]);
        let s = check(&ctx, &package(Ecosystem::PyPI, "ultralytics", "8.3.45"), &m).unwrap();
        assert!(s.summary.contains("8.3.44 had from https://github.com/ultralytics/ultralytics"), "{}", s.summary);
        assert_eq!(check(&ctx, &package(Ecosystem::PyPI, "ultralytics", "8.3.44"), &m), None);
        assert_eq!(check(&ctx, &package(Ecosystem::PyPI, "ultralytics", "8.3.46"), &m), None, "not fetched");
        // Never had provenance: silent.
        let mut a = version("1", "2024-01-01T00:00:00Z", None);
        a.provenance = Some(None);
        let mut b = version("2", "2024-02-01T00:00:00Z", None);
        b.provenance = Some(None);
        let m = meta(Ecosystem::PyPI, "plain", vec![a, b]);
        assert_eq!(check(&ctx, &package(Ecosystem::PyPI, "plain", "2"), &m), None);
    }
}
