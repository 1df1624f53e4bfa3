//! `install-script-added` (npm): the version in use adds a `preinstall`, `install` or
//! `postinstall` script the previous version did not have.
//!
//! Two sources say so. The registry lists each version's scripts (the version before is the
//! previous release). The lockfile records `hasInstallScript` for the version it locks (npm
//! sets it for `preinstall`/`install`/`postinstall` and for a `binding.gyp`, which runs
//! `node-gyp rebuild`): in diff mode a package whose base version had no install script and
//! whose new version has one is flagged without asking any registry (offline, in pre-commit),
//! and in a full scan a lockfile that says "no install script" is believed.

use super::Locked;
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
    // The lockfile pins the tarball whose manifest npm read: when it says the version runs no
    // install script, no script of that version runs.
    if p.install_script == Some(false) {
        return None;
    }
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

/// The lockfile side (diff mode): `p` has an install script, and the same package in the base
/// revision (the same lockfile, else any) was locked at another version without one.
pub(super) fn check_locked(base: &[Locked], p: &Locked) -> Option<Signal> {
    if p.install_script != Some(true) {
        return None;
    }
    let same = |b: &&Locked| b.ecosystem == p.ecosystem && b.name == p.name;
    let mut before: Vec<&Locked> = base.iter().filter(same).filter(|b| b.location.path == p.location.path).collect();
    if before.is_empty() {
        before = base.iter().filter(same).collect();
    }
    // A new dependency is not an added script; a base that had one (or did not say) is not either.
    if before.is_empty() || before.iter().any(|b| b.install_script != Some(false)) {
        return None;
    }
    let mut was: Vec<&str> = before.iter().map(|b| b.version.as_str()).collect();
    was.sort_unstable();
    was.dedup();
    Some(Signal {
        severity: INFO.severity,
        summary: format!(
            "{}@{} runs an install script that {} did not have",
            shown(&p.name),
            shown(&p.version),
            shown(&was.join(", "))
        ),
        evidence: vec![
            format!(
                "base ({}): {} without install script",
                shown(&before.first()?.location.path),
                shown(&was.join(", "))
            ),
            format!("head ({}): {} with hasInstallScript", shown(&p.location.path), shown(&p.version)),
        ],
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
    #[test]
    fn the_lockfile_flag_between_revisions_is_enough() {
        use super::super::source_change::tests::locked;
        let with = |version: &str, script: Option<bool>| {
            let mut l = locked("esbuild", version, "npm", None);
            l.ecosystem = crate::model::Ecosystem::Npm;
            l.install_script = script;
            l
        };
        let base = [with("0.18.0", Some(false))];
        let s = super::check_locked(&base, &with("0.19.0", Some(true))).unwrap();
        assert_eq!(s.severity, super::INFO.severity);
        assert!(s.summary.contains("0.18.0"), "{}", s.summary);
        assert_eq!(super::check_locked(&base, &with("0.19.0", Some(false))), None);
        assert_eq!(super::check_locked(&[with("0.18.0", Some(true))], &with("0.19.0", Some(true))), None);
        assert_eq!(super::check_locked(&[with("0.18.0", None)], &with("0.19.0", Some(true))), None, "base unknown");
        assert_eq!(super::check_locked(&[], &with("0.19.0", Some(true))), None, "a new dependency");
    }

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
