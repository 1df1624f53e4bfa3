//! `install-script-added` (npm): the version in use adds a `preinstall`, `install` or
//! `postinstall` script the previous version did not have.

use super::{Context, RuleInfo, Signal, shown};
use crate::advisory::Severity;
use crate::advisory::version::Version;
use crate::finding::{RuleId, ScanPackage};
use crate::registry::{PackageMeta, VersionMeta};

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::InstallScriptAdded,
    title: "Release adds an install script",
    severity: Severity::High,
    explanation: "This npm version runs a `preinstall`, `install` or `postinstall` script that the previous \
        version did not have. Install scripts run with the installing user's rights on every machine and CI \
        job that installs the package; a new one in a patch release is how the Shai-Hulud worm, `ua-parser-js` \
        and many other npm compromises ran their payload. Read the script before installing, or install with \
        `--ignore-scripts`.",
    registry: true,
};

/// The lifecycle scripts npm runs on install.
const INSTALL_SCRIPTS: [&str; 3] = ["preinstall", "install", "postinstall"];

pub(super) fn check(_ctx: &Context<'_>, p: &ScanPackage, meta: &PackageMeta) -> Option<Signal> {
    let v = meta.version(&p.version)?;
    let previous = previous(p, meta)?;
    let added: Vec<(&str, &str)> = INSTALL_SCRIPTS
        .iter()
        .filter_map(|k| v.install_scripts.get(*k).map(|cmd| (*k, cmd.as_str())))
        .filter(|(k, _)| !previous.install_scripts.contains_key(*k))
        .collect();
    if added.is_empty() {
        return None;
    }
    let names: Vec<&str> = added.iter().map(|(k, _)| *k).collect();
    Some(Signal {
        severity: INFO.severity,
        summary: format!(
            "{}@{} adds a {} script that {} did not have",
            shown(&p.name),
            shown(&p.version),
            names.join(" and "),
            shown(&previous.version)
        ),
        evidence: added.iter().map(|(k, cmd)| format!("{k}: {}", shown(cmd))).collect(),
    })
}

/// The release this one follows: the highest earlier-published version below it (a backport
/// to an older line follows that line, not the newest release), skipping unpublished versions
/// (npm keeps their time but not their manifest); the last earlier one when versions cannot be
/// ordered.
fn previous<'a>(p: &ScanPackage, meta: &'a PackageMeta) -> Option<&'a VersionMeta> {
    let earlier: Vec<&VersionMeta> = meta
        .earlier(&p.version)
        .into_iter()
        .filter(|e| !(e.yanked == Some(true) && e.maintainers.is_none() && e.checksums.is_empty()))
        .collect();
    let Ok(current) = Version::parse(p.ecosystem, &p.version) else { return earlier.last().copied() };
    earlier
        .iter()
        .filter_map(|e| Version::parse(p.ecosystem, &e.version).ok().map(|v| (v, *e)))
        .filter(|(v, _)| *v < current)
        .max_by(|(a, _), (b, _)| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(_, e)| e)
        .or_else(|| earlier.last().copied())
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::*;
    use super::*;
    use crate::model::Ecosystem;

    #[test]
    fn a_new_postinstall_is_flagged_an_existing_one_is_not() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-09-20T00:00:00Z", false);
        let clean = version("4.1.0", "2025-01-01T00:00:00Z", None);
        let mut added = version("4.1.1", "2025-09-15T00:00:00Z", None);
        added.install_scripts.insert("postinstall".into(), "node bundle.js".into());
        added.install_scripts.insert("test".into(), "jest".into());
        let mut kept = version("4.1.2", "2025-09-16T00:00:00Z", None);
        kept.install_scripts.insert("postinstall".into(), "node bundle.js".into());
        let m = meta(Ecosystem::Npm, "@ctrl/tinycolor", vec![clean, added, kept]);
        let s = check(&ctx, &package(Ecosystem::Npm, "@ctrl/tinycolor", "4.1.1"), &m).unwrap();
        assert_eq!(s.evidence, ["postinstall: node bundle.js"]);
        assert!(s.summary.contains("adds a postinstall script that 4.1.0 did not have"), "{}", s.summary);
        assert_eq!(check(&ctx, &package(Ecosystem::Npm, "@ctrl/tinycolor", "4.1.2"), &m), None);
        assert_eq!(check(&ctx, &package(Ecosystem::Npm, "@ctrl/tinycolor", "4.1.0"), &m), None);
    }

    #[test]
    fn backports_and_unpublished_versions_are_not_the_previous_release() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-09-20T00:00:00Z", false);
        let mut v3 = version("3.0.0", "2025-01-01T00:00:00Z", None);
        v3.install_scripts.insert("postinstall".into(), "node setup.js".into());
        // 4.0.0 was published, then unpublished: npm keeps only its time.
        let mut gone = version("4.0.0", "2025-02-01T00:00:00Z", None);
        gone.yanked = Some(true);
        let clean_v5 = version("5.0.0", "2025-03-01T00:00:00Z", None);
        let mut v3_1 = version("3.0.1", "2025-04-01T00:00:00Z", None);
        v3_1.install_scripts.insert("postinstall".into(), "node setup.js".into());
        let mut v4_1 = version("4.0.1", "2025-05-01T00:00:00Z", None);
        v4_1.install_scripts.insert("postinstall".into(), "node setup.js".into());
        let m = meta(Ecosystem::Npm, "p", vec![v3, gone, clean_v5, v3_1, v4_1]);
        // 3.0.1 follows 3.0.0 (which had the script), not 5.0.0 (the newest, which had none).
        assert_eq!(check(&ctx, &package(Ecosystem::Npm, "p", "3.0.1"), &m), None);
        // 4.0.1 follows 3.0.1 (4.0.0 is unpublished), which had the script.
        assert_eq!(check(&ctx, &package(Ecosystem::Npm, "p", "4.0.1"), &m), None);
    }
}
