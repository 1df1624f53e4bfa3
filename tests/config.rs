//! The policy file (`chainward.toml`): parsing, errors with their lines, robustness, and the
//! CycloneDX `vulnerabilities` (VEX) built from findings and ignores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use chainward::config::{self, Config, ConfigError};
use chainward::policy::{Deny, FailOn};
use time::macros::date;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(rel)
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    config::parse("chainward.toml", text)
}

fn error(text: &str) -> ConfigError {
    match parse(text) {
        Ok(c) => panic!("expected an error, got {c:?}\n---\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn valid_file_loads() {
    let c = config::load(&testdata("config/valid.toml")).unwrap();
    assert!(c.path.ends_with("valid.toml"), "{}", c.path);
    assert_eq!(c.fail_on, Some(FailOn::High));
    assert_eq!(c.deny, Some(vec![Deny::Unmaintained, Deny::Unsound]));
    assert_eq!(c.exclude, ["vendor/**", "fuzz/Cargo.lock"]);
    assert_eq!(c.ignores.len(), 3);
    let i = &c.ignores[0];
    assert_eq!(i.id, "RUSTSEC-2020-0071");
    assert_eq!(i.package.as_deref(), Some("time"));
    assert_eq!(i.reason, "not reachable: we never call localtime");
    assert_eq!(i.until, Some(date!(2026 - 12 - 31)));
    assert_eq!(i.line, Some(6));
    assert_eq!(c.ignores[1].package_parts(), Some(("chrono", Some("0.4.19"))));
    assert_eq!(c.ignores[1].until, None);
    assert_eq!(c.ignores[1].line, Some(12));
    // A bare TOML date is accepted too.
    assert_eq!(c.ignores[2].until, Some(date!(2027 - 01 - 31)));
    assert_eq!(c.ignores[2].line, Some(17));
}

#[test]
fn empty_file_is_an_empty_policy() {
    let c = parse("").unwrap();
    assert_eq!(c.fail_on, None);
    assert_eq!(c.deny, None);
    assert!(c.exclude.is_empty() && c.ignores.is_empty());
    assert_eq!(parse("deny = []").unwrap().deny, Some(vec![]));
}

#[test]
fn missing_file_is_an_error_without_line() {
    let e = config::load(&testdata("config/does-not-exist.toml")).unwrap_err();
    assert_eq!(e.line, None);
    assert!(e.message.starts_with("cannot read"), "{e}");
    assert!(e.to_string().contains("does-not-exist.toml: cannot read"), "{e}");
}

/// (file, expected line, a fragment of the message)
const ERRORS: &[(&str, usize, &str)] = &[
    // invalid TOML
    ("fail-on = \"high\"\ndeny = [\n", 2, "unclosed array"),
    ("fail-on = \"high\"\n\n[[ignore]\nid = \"X\"\n", 3, ""),
    // unknown keys, top level and in an ignore
    ("fail-on = \"high\"\nfail_on = \"low\"\n", 2, "fail_on"),
    ("\n[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"2026-01-01\"\n", 5, "expires"),
    // wrong types
    ("fail-on = 3\n", 1, ""),
    ("\ndeny = \"unmaintained\"\n", 2, ""),
    ("exclude = [\"a\",\n  1]\n", 2, ""),
    ("\n\n[[ignore]]\nid = 7\nreason = \"r\"\n", 4, ""),
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\nuntil = 20261231\n", 4, "until"),
    // bad values
    ("\nfail-on = \"severe\"\n", 2, "invalid fail-on `severe`"),
    ("deny = [\n  \"unmaintained\",\n  \"malicious\",\n]\n", 3, "invalid deny `malicious`"),
    // [heuristics]
    ("[heuristics]\ncooldown-days = -1\n", 2, "invalid cooldown-days `-1`"),
    ("[heuristics]\nwindow-days = 99999999\n", 2, "invalid window-days"),
    ("[heuristics]\nregistry = \"yes\"\n", 2, ""),
    ("[heuristics]\nretries = 3\n", 2, "retries"),
    ("[heuristics.rules]\nfresh-release = false\nmaintainer-swap = true\n", 3, "unknown rule `maintainer-swap`"),
    ("[heuristics.rules]\n\nyanked = \"severe\"\n", 3, "invalid severity `severe` for yanked"),
    ("[heuristics.rules]\nyanked = 3\n", 2, "invalid value `3` for rule yanked"),
    // reason
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\n\n[[ignore]]\nid = \"RUSTSEC-2020-0071\"\n", 5, "no `reason`"),
    ("[[ignore]]\nid = \"X\"\nreason = \"  \"\n", 3, "empty `reason`"),
    // id
    ("fail-on = \"low\"\n[[ignore]]\nreason = \"r\"\n", 2, "id"),
    ("[[ignore]]\nid = \"\"\nreason = \"r\"\n", 2, "empty `id`"),
    // dates
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\nuntil = \"2026-02-30\"\n", 4, "invalid until"),
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\n\nuntil = \"next year\"\n", 5, "invalid until"),
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\nuntil = 2026-01-01T10:00:00Z\n", 4, "invalid until"),
    // globs
    ("exclude = [\n  \"ok/**\",\n  \"bad[\",\n]\n", 3, "invalid exclude pattern `bad[`"),
    ("exclude = [\"\"]\n", 1, "empty exclude"),
    // package
    ("[[ignore]]\nid = \"X\"\npackage = \"time@\"\nreason = \"r\"\n", 3, "invalid ignore package"),
];

#[test]
fn heuristics_table_loads() {
    use chainward::advisory::Severity;
    use chainward::config::RuleSwitch;
    use chainward::finding::RuleId;
    let c = parse(
        "[heuristics]\nregistry = false\ncooldown-days = 3\nwindow-days = 30\n[heuristics.rules]\nfresh-release = false\nyanked = true\nmaintainer-change = \"High\"\n",
    )
    .unwrap();
    assert_eq!(c.heuristics.registry, Some(false));
    assert_eq!((c.heuristics.cooldown_days, c.heuristics.window_days), (Some(3), Some(30)));
    assert_eq!(c.heuristics.rules[&RuleId::FreshRelease], RuleSwitch::Off);
    assert_eq!(c.heuristics.rules[&RuleId::Yanked], RuleSwitch::On);
    assert_eq!(c.heuristics.rules[&RuleId::MaintainerChange], RuleSwitch::Severity(Severity::High));
    let settings = chainward::heuristics::Settings::from_config(Some(&c.heuristics));
    assert!(!settings.enabled(RuleId::FreshRelease) && settings.enabled(RuleId::Yanked));
    assert_eq!(settings.cooldown, time::Duration::days(3));
    assert!(!settings.wants_registry(), "registry = false");
    let defaults = chainward::heuristics::Settings::default();
    assert_eq!((defaults.cooldown.whole_days(), defaults.window.whole_days()), (7, 90));
    assert!(defaults.wants_registry());
    assert_eq!(parse("deny = [\"yanked\"]\n").unwrap().deny, Some(vec![Deny::Yanked]));
}

#[test]
fn errors_name_the_line() {
    let mut wrong = Vec::new();
    for (text, line, fragment) in ERRORS {
        let e = error(text);
        assert_eq!(e.path, "chainward.toml");
        if e.line != Some(*line) || !e.message.contains(fragment) {
            wrong.push(format!("want line {line} and {fragment:?}, got `{e}`\n---\n{text}---"));
        }
        assert!(e.to_string().starts_with(&format!("chainward.toml:{}: ", e.line.unwrap_or(0))), "{e}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Truncations and byte flips of a valid file never panic, and whatever parses is valid.
#[test]
fn mutations_never_panic() {
    let text = std::fs::read_to_string(testdata("config/valid.toml")).unwrap();
    let bytes = text.as_bytes();
    let mut inputs = Vec::new();
    for end in 0..=bytes.len() {
        inputs.push(bytes[..end].to_vec());
    }
    for (i, _) in bytes.iter().enumerate() {
        for flip in [b'"', b'\n', b'[', b']', b'=', b'@', b'0', 0xff, b'x', b' '] {
            let mut m = bytes.to_vec();
            m[i] = flip;
            inputs.push(m);
        }
        let mut m = bytes.to_vec();
        m.remove(i);
        inputs.push(m);
    }
    for input in inputs {
        let text = String::from_utf8_lossy(&input);
        match parse(&text) {
            Ok(c) => {
                for i in &c.ignores {
                    assert!(!i.id.is_empty() && !i.reason.is_empty(), "{i:?}");
                }
            }
            Err(e) => {
                let lines = text.lines().count().max(1);
                if let Some(l) = e.line {
                    assert!((1..=lines + 1).contains(&l), "line {l} of {lines}: {e}");
                }
            }
        }
    }
}

// ---- VEX: the policy's ignores in a CycloneDX document ----

mod vex {
    use super::*;
    use chainward::advisory::{AdvisoryKind, Severity};
    use chainward::discover::Excludes;
    use chainward::finding::{Finding, Location, PackageRef};
    use chainward::model::Graph;
    use chainward::policy::apply_ignores;
    use chainward::resolve::ResolveOptions;
    use chainward::sbom::{SbomFormat, SbomOptions, SpecVersion, vex};
    use serde_json::Value;

    /// chainward's own SBOM of the workspace fixture.
    fn document(spec: SpecVersion) -> Value {
        let source = chainward::source::open(&testdata("projects/workspace")).unwrap();
        let resolution =
            chainward::resolve::work_tree(&source, &Excludes::new(&[]).unwrap(), &ResolveOptions::default()).unwrap();
        let graph = Graph::merge(resolution.resolved, &resolution.name);
        let options = SbomOptions {
            spec,
            format: SbomFormat::Json,
            timestamp: Some("2023-11-14T22:13:20Z".to_owned()),
            deterministic: true,
            missing: Vec::new(),
            properties: Vec::new(),
        };
        serde_json::from_slice(&chainward::sbom::render(&graph, &options).unwrap()).unwrap()
    }

    fn finding(id: &str, aliases: &[&str], component: &Value) -> Finding {
        Finding {
            id: id.to_owned(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            kind: AdvisoryKind::Vulnerability.into(),
            severity: Severity::High,
            cvss: Some(7.5),
            package: PackageRef {
                ecosystem: "crates.io".to_owned(),
                name: component["name"].as_str().unwrap().to_owned(),
                version: component["version"].as_str().unwrap().to_owned(),
                purl: component["purl"].as_str().map(str::to_owned),
            },
            location: Location { path: "Cargo.lock".to_owned(), line: Some(1), end_line: Some(6) },
            summary: format!("{id} summary"),
            fixed_in: vec![">=99.0.0".to_owned()],
            url: Some(format!("https://rustsec.org/advisories/{id}.html")),
            details: format!("{id} details"),
            cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".to_owned()),
            suppression: None,
            compiled: None,
        }
    }

    fn vulnerability<'a>(doc: &'a Value, bom_ref: &str) -> &'a Value {
        doc["vulnerabilities"].as_array().unwrap().iter().find(|v| v["bom-ref"] == bom_ref).unwrap()
    }

    #[test]
    fn findings_and_ignores_validate_as_cyclonedx_vex() {
        for spec in [SpecVersion::V1_5, SpecVersion::V1_6] {
            let mut doc = document(spec);
            let components: Vec<Value> = doc["components"].as_array().unwrap().clone();
            let with_purl: Vec<&Value> = components.iter().filter(|c| c["purl"].is_string()).collect();
            assert!(with_purl.len() >= 3, "the fixture has at least three crates.io components");
            let (a, b, c) = (with_purl[0], with_purl[1], with_purl[2]);
            let mut unscored = finding("RUSTSEC-2099-0003", &[], c);
            unscored.cvss = None;
            unscored.cvss_vector = None;
            unscored.kind = AdvisoryKind::Unmaintained.into();
            unscored.severity = Severity::Info;
            unscored.fixed_in.clear();
            let findings = vec![
                // One advisory affecting two packages: one vulnerability, two `affects`.
                finding("RUSTSEC-2099-0001", &["CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"], a),
                finding("RUSTSEC-2099-0001", &["CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"], b),
                finding("RUSTSEC-2099-0002", &[], a),
                unscored,
            ];
            let text = format!(
                "[[ignore]]\nid = \"RUSTSEC-2099-0002\"\nreason = \"never built for targets that use it\"\n\n\
                 [[ignore]]\nid = \"RUSTSEC-2099-0003\"\npackage = \"{}\"\nreason = \"replacement planned\"\n\
                 until = \"2030-01-01\"\n",
                c["name"].as_str().unwrap()
            );
            let config = parse(&text).unwrap();
            let applied = apply_ignores(findings, &config, date!(2026 - 01 - 01));
            assert!(applied.warnings.is_empty(), "{:?}", applied.warnings);
            assert_eq!((applied.active.len(), applied.suppressed.len()), (2, 2));
            vex::add_vulnerabilities(&mut doc, &applied.active, &applied.suppressed);

            assert_eq!(doc["vulnerabilities"].as_array().unwrap().len(), 3);
            let v1 = vulnerability(&doc, "vulnerability:RUSTSEC-2099-0001");
            assert_eq!(v1["id"], "RUSTSEC-2099-0001");
            assert_eq!(v1["source"]["name"], "RustSec");
            assert_eq!(v1["references"][0]["id"], "CVE-2099-0001");
            assert_eq!(v1["references"][1]["source"]["name"], "GitHub Advisories");
            assert_eq!(v1["ratings"][0]["method"], "CVSSv31");
            assert_eq!(v1["ratings"][0]["severity"], "high");
            assert_eq!(v1["ratings"][0]["score"], 7.5);
            assert_eq!(v1["description"], "RUSTSEC-2099-0001 summary");
            assert_eq!(v1["detail"], "RUSTSEC-2099-0001 details");
            assert_eq!(v1["advisories"][0]["url"], "https://rustsec.org/advisories/RUSTSEC-2099-0001.html");
            assert!(v1.get("analysis").is_none(), "an active finding is not analysed: {v1}");
            let affects = v1["affects"].as_array().unwrap();
            let mut refs: Vec<&str> = affects.iter().map(|x| x["ref"].as_str().unwrap()).collect();
            refs.sort_unstable();
            let mut want = vec![a["bom-ref"].as_str().unwrap(), b["bom-ref"].as_str().unwrap()];
            want.sort_unstable();
            assert_eq!(refs, want);
            assert_eq!(affects[0]["versions"][0]["status"], "affected");
            assert!(v1["recommendation"].as_str().unwrap().contains(">= 99.0.0"), "{v1}");

            let v2 = vulnerability(&doc, "vulnerability:RUSTSEC-2099-0002");
            assert_eq!(v2["analysis"]["state"], "not_affected");
            assert_eq!(v2["analysis"]["detail"], "never built for targets that use it");
            assert!(v2["analysis"].get("justification").is_none());

            let v3 = vulnerability(&doc, "vulnerability:RUSTSEC-2099-0003");
            assert_eq!(v3["analysis"]["state"], "in_triage");
            assert_eq!(v3["analysis"]["detail"], "replacement planned (ignored until 2030-01-01)");
            assert_eq!(v3["ratings"][0]["severity"], "info");
            assert!(v3["ratings"][0].get("score").is_none());
            assert!(v3.get("recommendation").is_none());

            common::validate_cyclonedx(&doc, spec.as_str())
                .unwrap_or_else(|e| panic!("CycloneDX {}:\n{}", spec.as_str(), e.join("\n")));
        }
    }

    #[test]
    fn the_same_id_active_and_silenced_is_two_vulnerabilities() {
        let mut doc = document(SpecVersion::V1_6);
        let components: Vec<Value> = doc["components"].as_array().unwrap().clone();
        let with_purl: Vec<&Value> = components.iter().filter(|c| c["purl"].is_string()).collect();
        let mut silenced = finding("RUSTSEC-2099-0001", &[], with_purl[1]);
        silenced.suppression = Some(chainward::finding::Suppression {
            reason: "vendored copy, patched".to_owned(),
            until: None,
            source: "chainward.toml:3".to_owned(),
        });
        let active = [finding("RUSTSEC-2099-0001", &[], with_purl[0])];
        vex::add_vulnerabilities(&mut doc, &active, &[silenced]);
        let refs: Vec<&str> =
            doc["vulnerabilities"].as_array().unwrap().iter().map(|v| v["bom-ref"].as_str().unwrap()).collect();
        assert_eq!(refs, ["vulnerability:RUSTSEC-2099-0001", "vulnerability:RUSTSEC-2099-0001#2"]);
        common::validate_cyclonedx(&doc, "1.6").unwrap();
        // No findings: no array.
        vex::add_vulnerabilities(&mut doc, &[], &[]);
        assert!(doc.get("vulnerabilities").is_none());
    }
}
