//! `report::sarif`: the SARIF 2.1.0 log validates against the official schema (and GitHub's
//! rules, via the SARIF multitool when installed); regions are the package's lockfile block;
//! fingerprints survive unrelated edits; suppressions, the compiled view and errors are carried
//! over.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::advisory::{AdvisoryKind, Severity};
use chainward::compiled::{Compiled, Status};
use chainward::discover::Excludes;
use chainward::finding::{Finding, Location, PackageRef};
use chainward::report::sarif::{SarifOptions, render};
use chainward::report::{Changes, Database, IgnoreRef, Report, ReportError, Summary, Suppression, Tool};
use chainward::resolve::ResolveOptions;
use serde_json::Value;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(rel)
}

fn report(findings: Vec<Finding>, suppressed: Vec<Finding>, errors: Vec<ReportError>) -> Report {
    let mut by_severity = BTreeMap::new();
    for f in &findings {
        *by_severity.entry(f.severity.as_str()).or_insert(0) += 1;
    }
    Report {
        version: 1,
        tool: Tool { name: "chainward".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
        database: Database { sources: Vec::new() },
        summary: Summary { packages: 10, findings: findings.len(), by_severity },
        findings,
        suppressed,
        not_compiled: Vec::new(),
        changes: None,
        warnings: Vec::new(),
        errors,
    }
}

fn finding(id: &str, name: &str, version: &str, severity: Severity, line: Option<usize>) -> Finding {
    Finding {
        id: id.to_owned(),
        aliases: vec!["CVE-2099-0001".to_owned(), "GHSA-xxxx-yyyy-zzzz".to_owned()],
        kind: AdvisoryKind::Vulnerability.into(),
        severity,
        cvss: None,
        package: PackageRef {
            ecosystem: "crates.io".to_owned(),
            name: name.to_owned(),
            version: version.to_owned(),
            purl: Some(format!("pkg:cargo/{name}@{version}")),
        },
        location: Location { path: "Cargo.lock".to_owned(), line, end_line: line.map(|l| l + 4) },
        summary: format!("Problem in {name}"),
        fixed_in: vec![">=9.9.9".to_owned()],
        url: Some(format!("https://rustsec.org/advisories/{id}.html")),
        details: "# Details\n\nA long explanation.".to_owned(),
        cvss_vector: None,
        suppression: None,
        compiled: None,
    }
}

fn compiled(status: Status, reason: Option<&str>) -> Compiled {
    Compiled { status, reason: reason.map(str::to_owned) }
}

fn sarif(report: &Report, prefix: &str) -> Value {
    let bytes = render(report, &SarifOptions { path_prefix: prefix, category: "chainward/test" }).unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    if let Err(errors) = common::validate_sarif(&doc) {
        panic!("SARIF does not validate:\n{}", errors.join("\n"));
    }
    doc
}

/// Resolve `dir`, match against `../shared/advisory-db/rustsec`, and build a report.
fn scan(dir: &Path) -> Option<(Report, String)> {
    let shared = common::shared_dir()?;
    let source = chainward::source::open(dir).unwrap();
    let excludes = Excludes::new(&[]).unwrap();
    let resolution = chainward::resolve::work_tree(&source, &excludes, &ResolveOptions::default()).unwrap();
    let packages = resolution.scan_packages();
    let index = chainward::advisory::db::load(&[shared.join("advisory-db/rustsec")], None).unwrap();
    let (findings, _) = chainward::finding::match_packages(&index, &packages);
    let text = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    Some((report(findings, Vec::new(), Vec::new()), text))
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().unwrap()
}

#[test]
fn hand_built_report_validates_and_has_rules_help_and_levels() {
    let mut critical = finding("RUSTSEC-2099-0001", "foo", "1.0.0", Severity::Critical, Some(5));
    critical.cvss = Some(9.8);
    critical.details = "x".repeat(5000);
    let mut unmaintained = finding("RUSTSEC-2099-0002", "bar", "0.1.0", Severity::Info, None);
    unmaintained.kind = AdvisoryKind::Unmaintained.into();
    unmaintained.fixed_in.clear();
    let low = finding("maintainer-change", "baz", "2.0.0", Severity::Low, Some(30));
    let same_id_other_pkg = finding("RUSTSEC-2099-0001", "foo", "1.1.0", Severity::High, Some(40));
    let r = report(vec![critical, same_id_other_pkg, low, unmaintained], Vec::new(), Vec::new());
    let doc = sarif(&r, "crates/app/");
    assert_eq!(doc["version"], "2.1.0");
    assert!(doc["$schema"].as_str().unwrap().starts_with("https://"));
    let run = &doc["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "chainward/test");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "chainward");
    assert_eq!(driver["informationUri"], "https://github.com/chainward/chainward");
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["RUSTSEC-2099-0001", "RUSTSEC-2099-0002", "maintainer-change"], "one rule per id, sorted");
    for rule in rules {
        let text = rule["help"]["text"].as_str().unwrap();
        let markdown = rule["help"]["markdown"].as_str().unwrap();
        for help in [text, markdown] {
            assert!(help.contains("[[ignore]]") && help.contains("until = "), "{help}");
            assert!(help.contains(&format!("id = \"{}\"", rule["id"].as_str().unwrap())), "{help}");
        }
        assert!(rule["fullDescription"]["text"].as_str().unwrap().chars().count() <= 1024);
        assert!(!rule["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert_eq!(rule["properties"]["tags"][0], "security");
        assert_eq!(rule["properties"]["precision"], "very-high");
        let score: f64 = rule["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
        assert!((0.0..=10.0).contains(&score));
    }
    assert_eq!(rules[0]["name"], "RUSTSEC20990001");
    assert_eq!(rules[2]["name"], "MaintainerChange");
    assert_eq!(rules[0]["properties"]["security-severity"], "9.8");
    assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
    assert_eq!(rules[1]["properties"]["security-severity"], "0.0");
    assert_eq!(rules[2]["properties"]["security-severity"], "2.0");
    assert!(rules[0]["fullDescription"]["text"].as_str().unwrap().ends_with('…'));
    let help = rules[0]["help"]["text"].as_str().unwrap();
    assert!(help.contains("foo@1.0.0") && help.contains("foo@1.1.0") && help.contains("upgrade to >= 9.9.9"));
    assert!(rules[1]["help"]["text"].as_str().unwrap().contains("no fixed version"));
    assert_eq!(rules[0]["helpUri"], "https://rustsec.org/advisories/RUSTSEC-2099-0001.html");

    let results = results(&doc);
    assert_eq!(results.len(), 4, "results in report order");
    let levels: Vec<&str> = results.iter().map(|r| r["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["error", "error", "warning", "note"]);
    let first = &results[0];
    assert_eq!(first["ruleId"], "RUSTSEC-2099-0001");
    assert_eq!(first["ruleIndex"], 0);
    assert_eq!(results[3]["ruleIndex"], 1);
    assert_eq!(first["message"]["text"], "foo@1.0.0: Problem in foo; fixed in >= 9.9.9");
    assert_eq!(results[3]["message"]["text"], "bar@0.1.0: Problem in bar; no fixed version");
    let loc = &first["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "crates/app/Cargo.lock");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 5);
    assert_eq!(loc["region"]["endLine"], 9);
    assert_eq!(results[3]["locations"][0]["physicalLocation"]["region"]["startLine"], 1, "unknown line");
    let fp = first["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap();
    assert!(fp.ends_with(":1") && fp.len() == 66, "{fp}");
    assert_ne!(fp, results[1]["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap());
    assert_eq!(first["properties"]["package"], "foo");
    assert_eq!(first["properties"]["ecosystem"], "crates.io");
    assert_eq!(first["properties"]["version"], "1.0.0");
    assert_eq!(first["properties"]["aliases"][0], "CVE-2099-0001");
    assert!(first.get("suppressions").is_none());

    // Deterministic.
    assert_eq!(
        render(&r, &SarifOptions { path_prefix: "", category: "c" }).unwrap(),
        render(&r, &SarifOptions { path_prefix: "", category: "c" }).unwrap()
    );
}

#[test]
fn suppressed_findings_carry_suppressions_and_errors_become_notifications() {
    let mut silenced = finding("RUSTSEC-2099-0003", "qux", "1.0.0", Severity::High, Some(10));
    silenced.suppression = Some(Suppression {
        reason: "not reachable: we never parse untrusted input".to_owned(),
        until: Some("2099-01-01".to_owned()),
        source: "chainward.toml:3".to_owned(),
    });
    let errors = vec![
        ReportError { path: "sub/Cargo.lock".to_owned(), line: Some(7), message: "bad\nTOML".to_owned() },
        ReportError { path: String::new(), line: None, message: "no path".to_owned() },
    ];
    let mut r =
        report(vec![finding("RUSTSEC-2099-0004", "a", "1.0.0", Severity::Medium, Some(1))], vec![silenced], errors);
    r.changes = Some(Changes {
        base: "main".to_owned(),
        head: "worktree".to_owned(),
        new_suppressions: vec![IgnoreRef {
            id: "RUSTSEC-2099-0003".to_owned(),
            package: Some("qux".to_owned()),
            reason: "x".to_owned(),
            until: None,
        }],
        ..Changes::default()
    });
    let doc = sarif(&r, "");
    let results = results(&doc);
    assert_eq!(results.len(), 2);
    assert!(results[0].get("suppressions").is_none());
    let s = &results[1]["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    assert_eq!(s["justification"], "not reachable: we never parse untrusted input");
    let invocation = &doc["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(notes[0]["message"]["text"], "bad\\nTOML", "one line, the break shown as its escape");
    let loc = &notes[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "sub/Cargo.lock");
    assert_eq!(loc["region"]["startLine"], 7);
    assert!(notes[1].get("locations").is_none());
    // A rule exists for the suppressed finding too.
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
}

#[test]
fn hostile_strings_stay_inert_and_paths_are_uri_references() {
    let mut f = finding("RUSTSEC-2099-0005", "<img src=x onerror=alert(1)>", "1.0.0", Severity::High, Some(3));
    f.summary = "[x](javascript:alert(1)) @org/team\n# heading".to_owned();
    f.url = Some("javascript:alert(1)".to_owned());
    f.location.path = "dir with space/Cargo.lock".to_owned();
    let doc = sarif(&report(vec![f], Vec::new(), Vec::new()), "");
    let rule = &doc["runs"][0]["tool"]["driver"]["rules"][0];
    assert!(rule.get("helpUri").is_none(), "only https links");
    // The ignore snippet is a fenced code block (shown verbatim): check the rest.
    let markdown = rule["help"]["markdown"].as_str().unwrap().split("```").next().unwrap();
    assert!(!markdown.contains("<img") && !markdown.contains("](javascript") && !markdown.contains("@org"));
    let uri = &results(&doc)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "dir%20with%20space/Cargo.lock");
    assert!(!results(&doc)[0]["message"]["text"].as_str().unwrap().contains('\n'));
}

/// Line `n` (1-based) of `text`.
fn line(text: &str, n: u64) -> &str {
    text.lines().nth(usize::try_from(n).unwrap() - 1).unwrap_or_else(|| panic!("no line {n}"))
}

#[test]
fn real_scan_regions_are_the_package_blocks_and_fingerprints_are_stable() {
    let Some((before, before_text)) = scan(&testdata("report/before")) else { return };
    let (after, after_text) = scan(&testdata("report/after")).unwrap();
    let ids: Vec<(&str, &str)> = before.findings.iter().map(|f| (f.id.as_str(), f.package.name.as_str())).collect();
    for expected in [("RUSTSEC-2026-0009", "time"), ("RUSTSEC-2021-0003", "smallvec")] {
        assert!(ids.contains(&expected), "{expected:?} not in {ids:?}");
    }
    assert!(ids.iter().any(|(_, n)| *n == "adler"), "adler is unmaintained: {ids:?}");

    let mut fingerprints = Vec::new();
    for (r, text) in [(&before, &before_text), (&after, &after_text)] {
        let doc = sarif(r, "");
        let mut fps = BTreeMap::new();
        for result in results(&doc) {
            let name = result["properties"]["package"].as_str().unwrap();
            let region = &result["locations"][0]["physicalLocation"]["region"];
            let start = region["startLine"].as_u64().unwrap();
            let end = region["endLine"].as_u64().unwrap();
            assert_eq!(line(text, start), "[[package]]", "{name}: startLine");
            let block: Vec<&str> = (start..=end).map(|n| line(text, n)).collect();
            assert!(block.contains(&format!("name = \"{name}\"").as_str()), "{name}: {block:?}");
            assert_eq!(block.iter().filter(|l| **l == "[[package]]").count(), 1, "{name}: one block: {block:?}");
            let next = text.lines().nth(usize::try_from(end).unwrap()).unwrap_or("");
            assert!(next.trim().is_empty(), "{name}: the block ends at line {end}, next is {next:?}");
            let fp = result["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap().to_owned();
            fps.insert((result["ruleId"].as_str().unwrap().to_owned(), name.to_owned()), (fp, start));
            let rule = &doc["runs"][0]["tool"]["driver"]["rules"]
                [usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap()];
            assert_eq!(rule["id"], result["ruleId"]);
        }
        for rule in doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap() {
            assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
            assert!(!rule["help"]["markdown"].as_str().unwrap().is_empty());
        }
        fingerprints.push(fps);
    }
    let (a, b) = (&fingerprints[0], &fingerprints[1]);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (key, (fp, start)) in a {
        let (fp2, start2) = &b[key];
        assert_eq!(fp, fp2, "{key:?}: fingerprint changed when an unrelated block was inserted");
        assert!(start2 > start, "{key:?}: the block moved down");
    }
    // The real rules' CVSS score is carried over.
    let doc = sarif(&before, "");
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let smallvec = rules.iter().find(|r| r["id"] == "RUSTSEC-2021-0003").unwrap();
    assert_eq!(smallvec["properties"]["security-severity"], "9.8");
}

/// The SARIF multitool executable: `CHAINWARD_SARIF_MULTITOOL`, else `sarif-multitool` on PATH.
fn multitool() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHAINWARD_SARIF_MULTITOOL") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("sarif-multitool")).find(|p| p.is_file())
}

#[test]
fn github_rules_of_the_sarif_multitool_pass() {
    let Some(tool) = multitool() else {
        assert!(
            !std::env::var("CHAINWARD_REQUIRE_TOOLS").is_ok_and(|v| v == "1"),
            "sarif-multitool is required (CHAINWARD_REQUIRE_TOOLS=1): set CHAINWARD_SARIF_MULTITOOL or add it to PATH"
        );
        eprintln!("skipping: sarif-multitool not found (set CHAINWARD_SARIF_MULTITOOL)");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-multitool");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut docs = Vec::new();
    let mut hand = finding("RUSTSEC-2099-0001", "foo", "1.0.0", Severity::Critical, Some(5));
    hand.suppression =
        Some(Suppression { reason: "accepted".to_owned(), until: None, source: "chainward.toml:1".to_owned() });
    let errors = vec![ReportError { path: "Cargo.lock".to_owned(), line: Some(2), message: "oops".to_owned() }];
    let mut bar = finding("maintainer-change", "bar", "1.0.0", Severity::Low, None);
    bar.compiled = Some(compiled(Status::Build, Some("build-dependency of app 0.1.0")));
    let mut hand_report = report(vec![bar], vec![hand], errors);
    let mut rsa = finding("RUSTSEC-2023-0071", "rsa", "0.9.6", Severity::Medium, Some(12));
    rsa.compiled = Some(compiled(Status::No, Some("feature mysql of sqlx 0.8.6 is off")));
    hand_report.not_compiled.push(rsa);
    docs.push(("hand", hand_report));
    docs.push(("empty", report(Vec::new(), Vec::new(), Vec::new())));
    if let Some((real, _)) = scan(&testdata("report/before")) {
        docs.push(("real", real));
    }
    for (name, r) in &docs {
        let bytes = render(r, &SarifOptions { path_prefix: "crates/app/", category: "chainward/test" }).unwrap();
        let input = dir.join(format!("{name}.sarif"));
        std::fs::write(&input, bytes).unwrap();
        let output = dir.join(format!("{name}.validation.sarif"));
        let out = Command::new(&tool)
            .arg("validate")
            .args(["--rule-kind", "Gh;Sarif", "--level", "Error;Warning", "--log", "ForceOverwrite", "--output"])
            .arg(&output)
            .arg(&input)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
        let log: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap_or_else(|e| {
            panic!("{name}: no validation log ({e}); stdout: {}", String::from_utf8_lossy(&out.stdout))
        }))
        .unwrap();
        let problems: Vec<String> = log["runs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|run| run["results"].as_array().cloned().unwrap_or_default())
            .filter(|r| matches!(r["level"].as_str(), Some("error" | "warning") | None))
            .map(|r| format!("{} {}: {}", r["ruleId"], r["level"], r["message"]))
            .collect();
        assert!(problems.is_empty(), "{name}: {}\n{}", problems.join("\n"), String::from_utf8_lossy(&out.stdout));
        let notifications: Vec<String> = log["runs"][0]["invocations"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| i["toolExecutionNotifications"].as_array().cloned().unwrap_or_default())
            .filter(|n| n["level"] == "error")
            .map(|n| n["message"]["text"].to_string())
            .collect();
        assert!(notifications.is_empty(), "{name}: {notifications:?}");
    }
}

#[test]
fn compiled_status_is_a_property_and_a_message_suffix() {
    let mut runtime = finding("RUSTSEC-2099-0001", "smallvec", "1.6.0", Severity::Critical, Some(5));
    runtime.compiled = Some(compiled(Status::Runtime, None));
    let mut build = finding("RUSTSEC-2099-0002", "syn", "1.0.0", Severity::High, Some(20));
    build.compiled = Some(compiled(Status::Build, Some("proc-macro serde_derive 1.0.0")));
    let mut dev = finding("RUSTSEC-2099-0003", "mockito", "0.1.0", Severity::Medium, Some(30));
    dev.compiled = Some(compiled(Status::Dev, None));
    let mut no = finding("RUSTSEC-2023-0071", "rsa", "0.9.6", Severity::Medium, Some(40));
    no.compiled = Some(compiled(Status::No, Some("feature mysql of sqlx 0.8.6 is off\nsecond line")));
    let mut missing = finding("RUSTSEC-2099-0004", "x", "1.0.0", Severity::Low, Some(50));
    missing.compiled = Some(compiled(Status::Runtime, Some("missing metadata for x 1.0.0: counted as compiled")));
    let plain = finding("RUSTSEC-2099-0005", "y", "1.0.0", Severity::Low, Some(60));
    let doc = sarif(&report(vec![runtime, build, dev, no, missing, plain], Vec::new(), Vec::new()), "");
    let results = results(&doc);
    let props: Vec<(&Value, &Value)> =
        results.iter().map(|r| (&r["properties"]["compiled"], &r["properties"]["compiledReason"])).collect();
    assert_eq!(props[0], (&Value::from("runtime"), &Value::Null), "no reason: the key is absent");
    assert!(results[0]["properties"].get("compiledReason").is_none());
    assert_eq!(props[1], (&Value::from("build"), &Value::from("proc-macro serde_derive 1.0.0")));
    assert_eq!(props[2], (&Value::from("dev"), &Value::Null));
    assert_eq!(props[3], (&Value::from("no"), &Value::from("feature mysql of sqlx 0.8.6 is off\nsecond line")));
    assert!(results[5]["properties"].get("compiled").is_none(), "no compiled view: no key");
    let messages: Vec<&str> = results.iter().map(|r| r["message"]["text"].as_str().unwrap()).collect();
    assert_eq!(messages[0], "smallvec@1.6.0: Problem in smallvec; fixed in >= 9.9.9", "runtime: no suffix");
    assert_eq!(messages[1], "syn@1.0.0: Problem in syn; fixed in >= 9.9.9 (build only: proc-macro serde_derive 1.0.0)");
    assert_eq!(messages[2], "mockito@0.1.0: Problem in mockito; fixed in >= 9.9.9 (tests only)");
    assert_eq!(
        messages[3],
        "rsa@0.9.6: Problem in rsa; fixed in >= 9.9.9 (not compiled: feature mysql of sqlx 0.8.6 is off\\nsecond line)",
        "one line"
    );
    assert_eq!(
        messages[4],
        "x@1.0.0: Problem in x; fixed in >= 9.9.9 (compiled: missing metadata for x 1.0.0: counted as compiled)"
    );
    assert_eq!(messages[5], "y@1.0.0: Problem in y; fixed in >= 9.9.9");
    for r in results {
        assert!(r.get("suppressions").is_none(), "active findings are not suppressed");
    }
}

#[test]
fn not_compiled_findings_are_results_with_an_external_suppression() {
    let active = finding("RUSTSEC-2099-0001", "smallvec", "1.6.0", Severity::High, Some(5));
    let mut ignored = finding("RUSTSEC-2099-0002", "time", "0.1.45", Severity::Medium, Some(10));
    ignored.suppression = Some(Suppression {
        reason: "we never call localtime_r".to_owned(),
        until: None,
        source: "chainward.toml:1".to_owned(),
    });
    let mut no = finding("RUSTSEC-2023-0071", "rsa", "0.9.6", Severity::Medium, Some(40));
    no.compiled = Some(compiled(Status::No, Some("feature mysql of sqlx 0.8.6 is off")));
    let mut dev = finding("RUSTSEC-2099-0003", "mockito", "0.1.0", Severity::Low, Some(50));
    dev.compiled = Some(compiled(Status::Dev, Some("dev-dependency of app 0.1.0")));
    let mut r = report(vec![active], vec![ignored], Vec::new());
    r.not_compiled = vec![no, dev];
    let doc = sarif(&r, "");
    let results = results(&doc);
    let ids: Vec<&str> = results.iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["RUSTSEC-2099-0001", "RUSTSEC-2099-0002", "RUSTSEC-2023-0071", "RUSTSEC-2099-0003"]);
    assert!(results[0].get("suppressions").is_none());
    assert_eq!(results[1]["suppressions"][0]["justification"], "we never call localtime_r");
    let s = results[2]["suppressions"].as_array().unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["kind"], "external");
    assert_eq!(s[0]["status"], "accepted");
    assert_eq!(
        s[0]["justification"],
        "not counted for this configuration: not compiled: feature mysql of sqlx 0.8.6 is off"
    );
    assert_eq!(
        results[3]["suppressions"][0]["justification"],
        "not counted for this configuration: tests only: dev-dependency of app 0.1.0"
    );
    assert_eq!(results[2]["properties"]["compiled"], "no");
    // Every result has its rule, the not-compiled ones too.
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 4);
    for result in results {
        let rule = &rules[usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap()];
        assert_eq!(rule["id"], result["ruleId"]);
    }
    let help = rules.iter().find(|r| r["id"] == "RUSTSEC-2023-0071").unwrap()["help"]["text"].as_str().unwrap();
    assert!(help.contains("rsa@0.9.6"), "{help}");
    // The fingerprint does not depend on the status: an alert closed by --compiled-only is the
    // same alert when it is counted again.
    let mut counted = r.not_compiled[0].clone();
    counted.compiled = None;
    let plain = sarif(&report(vec![counted], Vec::new(), Vec::new()), "");
    assert_eq!(results[2]["partialFingerprints"], plain["runs"][0]["results"][0]["partialFingerprints"]);
}
