//! `chainward sbom` end to end: exit codes, stdout/stderr, reproducibility, `-o`, partial
//! output, multi-lockfile merging, and `--cargo-metadata`.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(rel)
}

fn chainward(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.args(args).env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run chainward")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const EPOCH: (&str, &str) = ("SOURCE_DATE_EPOCH", "1700000000");

#[test]
fn source_date_epoch_makes_output_byte_identical() {
    let ws = testdata("projects/workspace");
    let ws = ws.to_str().unwrap();
    for format in ["json", "xml"] {
        let a = chainward(&["sbom", ws, "--format", format], &[EPOCH]);
        let b = chainward(&["sbom", ws, "--format", format], &[EPOCH]);
        assert!(a.status.success(), "{}", stderr(&a));
        assert_eq!(a.stdout, b.stdout, "{format}: two runs differ");
        if format == "xml" {
            common::validate_cyclonedx_xml(&a.stdout, "1.6").unwrap();
        }
    }
    let doc: Value = serde_json::from_slice(&chainward(&["sbom", ws], &[EPOCH]).stdout).unwrap();
    assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let serial = doc["serialNumber"].as_str().unwrap();
    // urn:uuid:xxxxxxxx-xxxx-5xxx-...: a name-based (v5) UUID.
    assert_eq!(serial.as_bytes()[9 + 14], b'5', "{serial}");
    common::validate_cyclonedx(&doc, "1.6").unwrap();
}

#[test]
fn deterministic_without_epoch_omits_the_timestamp() {
    let ws = testdata("projects/workspace");
    let a = chainward(&["sbom", ws.to_str().unwrap(), "--deterministic"], &[]);
    let b = chainward(&["sbom", ws.to_str().unwrap(), "--deterministic"], &[]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert!(stderr(&a).contains("no metadata.timestamp"), "{}", stderr(&a));
    let doc: Value = serde_json::from_slice(&a.stdout).unwrap();
    assert!(doc["metadata"].get("timestamp").is_none());
    common::validate_cyclonedx(&doc, "1.6").unwrap();
}

#[test]
fn without_a_date_source_each_run_gets_a_new_serial_and_the_current_time() {
    let ws = testdata("projects/workspace");
    let a: Value = serde_json::from_slice(&chainward(&["sbom", ws.to_str().unwrap()], &[]).stdout).unwrap();
    let b: Value = serde_json::from_slice(&chainward(&["sbom", ws.to_str().unwrap()], &[]).stdout).unwrap();
    assert_ne!(a["serialNumber"], b["serialNumber"]);
    assert!(a["metadata"]["timestamp"].as_str().unwrap().starts_with("20"));
}

#[test]
fn workspace_sbom_snapshot() {
    let ws = testdata("projects/workspace");
    let out = chainward(&["sbom", ws.to_str().unwrap()], &[EPOCH]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    insta::assert_json_snapshot!(doc, {
        ".metadata.tools.components[0].version" => "[version]",
        ".metadata.tools.components[0][\"bom-ref\"]" => "[tool-ref]",
        ".metadata.tools.components[0].purl" => "[tool-purl]",
        ".serialNumber" => "[serial]",
    });
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.cdx.json");
    let ws = testdata("projects/workspace");
    let out = chainward(&["sbom", ws.to_str().unwrap(), "-o", file.to_str().unwrap()], &[EPOCH]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["bomFormat"], "CycloneDX");
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// `-o /dev/stdout` writes through the pipe: a rename over `/dev/stdout` would fail without
/// write access to `/dev` (or, as root, replace a device with a file).
#[cfg(target_os = "linux")]
#[test]
fn output_to_dev_stdout_writes_through_the_pipe() {
    let ws = testdata("projects/workspace");
    let out = chainward(&["sbom", ws.to_str().unwrap(), "-o", "/dev/stdout"], &[EPOCH]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["bomFormat"], "CycloneDX");
}

/// `-o -` is stdout, as for most tools: no file named `-` appears.
#[test]
fn output_dash_is_stdout() {
    let ws = testdata("projects/workspace");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["sbom", ws.to_str().unwrap(), "-o", "-"])
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a file named `-` was written");
}

#[test]
fn spec_version_1_5_in_json_and_xml() {
    let ws = testdata("projects/workspace");
    let ws = ws.to_str().unwrap();
    let json: Value =
        serde_json::from_slice(&chainward(&["sbom", ws, "--spec-version", "1.5"], &[EPOCH]).stdout).unwrap();
    assert_eq!(json["specVersion"], "1.5");
    assert_eq!(json["$schema"], "http://cyclonedx.org/schema/bom-1.5.schema.json");
    common::validate_cyclonedx(&json, "1.5").unwrap();
    let xml = chainward(&["sbom", ws, "--spec-version", "1.5", "--format", "xml"], &[EPOCH]);
    common::validate_cyclonedx_xml(&xml.stdout, "1.5").unwrap();
    let xml = String::from_utf8(xml.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().namespace(), Some("http://cyclonedx.org/schema/bom/1.5"));
}

#[test]
fn a_malformed_lockfile_exits_2_names_file_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.json");
    let lock = testdata("lockfiles/cargo/bad-checksum.lock");
    let out = chainward(&["sbom", lock.to_str().unwrap(), "-o", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("error: bad-checksum.lock:22: invalid checksum for `itoa 1.0.18`"), "{err}");
    assert!(err.contains("no SBOM written"), "{err}");
    assert!(!file.exists());
    assert!(out.stdout.is_empty());
}

#[test]
fn allow_partial_writes_what_was_read_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&testdata("projects/monorepo"), dir.path());
    let broken = dir.path().join("tools/svc-b/Cargo.lock");
    std::fs::write(
        &broken,
        "version = 4\n[[package]]\nname = \"svc-b\"\nversion = \"0.1.0\"\ndependencies = [\"gone\"]\n",
    )
    .unwrap();
    let root = dir.path().to_str().unwrap();

    let strict = chainward(&["sbom", root], &[]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(strict.stdout.is_empty());
    assert!(
        stderr(&strict).contains("tools/svc-b/Cargo.lock:5: `svc-b 0.1.0` depends on `gone`"),
        "{}",
        stderr(&strict)
    );

    let partial = chainward(&["sbom", root, "--allow-partial"], &[EPOCH]);
    assert_eq!(partial.status.code(), Some(2), "an error happened: the exit code says so");
    let doc: Value = serde_json::from_slice(&partial.stdout).unwrap();
    common::validate_cyclonedx(&doc, "1.6").unwrap();
    let names: Vec<&str> = doc["components"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"itoa") && !names.contains(&"ryu"), "{names:?}");
    let compositions = doc["compositions"].as_array().unwrap();
    assert!(compositions.iter().any(|c| c["aggregate"] == "incomplete"), "{compositions:?}");
    let missing = doc["metadata"]["properties"].as_array().unwrap();
    assert!(
        missing.iter().any(|p| p["name"] == "chainward:missing"
            && p["value"].as_str().unwrap().starts_with("tools/svc-b/Cargo.lock: ")),
        "{missing:?}"
    );
}

#[test]
fn several_lockfiles_make_one_sbom_with_each_package_once() {
    let mono = testdata("projects/monorepo");
    let out = chainward(&["sbom", mono.to_str().unwrap()], &[EPOCH]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::validate_cyclonedx(&doc, "1.6").unwrap();
    let comps = doc["components"].as_array().unwrap();
    let itoa: Vec<&Value> = comps.iter().filter(|c| c["name"] == "itoa").collect();
    assert_eq!(itoa.len(), 1);
    let lockfiles: Vec<&str> = itoa[0]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "chainward:lockfile")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(lockfiles, ["svc-a/Cargo.lock", "tools/svc-b/Cargo.lock"]);
    // Ignored (`.ignore`) and target/ lockfiles are not read.
    assert!(!comps.iter().any(|c| c["name"] == "should-not-appear" || c["name"] == "in-target"));
    assert_eq!(doc["metadata"]["component"]["name"], "monorepo");
    let root_deps = doc["dependencies"].as_array().unwrap().iter().find(|d| d["ref"] == "root:monorepo").unwrap();
    assert_eq!(root_deps["dependsOn"].as_array().unwrap().len(), 2);

    let excluded = chainward(&["sbom", mono.to_str().unwrap(), "--exclude", "tools"], &[EPOCH]);
    let doc: Value = serde_json::from_slice(&excluded.stdout).unwrap();
    assert!(!doc["components"].as_array().unwrap().iter().any(|c| c["name"] == "ryu"));
    assert_eq!(doc["metadata"]["component"]["name"], "svc-a");
}

#[test]
fn usage_errors_exit_2() {
    let empty = tempfile::tempdir().unwrap();
    let out = chainward(&["sbom", empty.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no lockfile found"), "{}", stderr(&out));

    let ws = testdata("projects/workspace");
    let out = chainward(&["sbom", ws.to_str().unwrap()], &[("SOURCE_DATE_EPOCH", "yesterday")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("SOURCE_DATE_EPOCH"), "{}", stderr(&out));

    let out = chainward(&["sbom", ws.to_str().unwrap(), "--exclude", "a["], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid --exclude pattern `a[`"), "{}", stderr(&out));

    let out = chainward(&["sbom", "/nonexistent/chainward"], &[]);
    assert_eq!(out.status.code(), Some(2));

    let out = chainward(&["sbom", "--spec-version", "1.4"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cargo_metadata_adds_licenses_of_dependencies() {
    // A workspace with a path dependency outside it: its license is only known to cargo.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("app/src")).unwrap();
    std::fs::create_dir_all(root.join("outside/src")).unwrap();
    std::fs::write(
        root.join("app/Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n\n[dependencies]\noutside = { path = \"../outside\" }\n",
    )
    .unwrap();
    std::fs::write(root.join("app/src/lib.rs"), "").unwrap();
    std::fs::write(
        root.join("outside/Cargo.toml"),
        "[package]\nname = \"outside\"\nversion = \"0.2.0\"\nedition = \"2021\"\nlicense = \"Apache-2.0 OR MIT\"\ndescription = \"lives elsewhere\"\nauthors = [\"Ada <ada@example.com>\"]\n",
    )
    .unwrap();
    std::fs::write(root.join("outside/src/lib.rs"), "").unwrap();
    std::fs::write(
        root.join("app/Cargo.lock"),
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"outside\",\n]\n\n[[package]]\nname = \"outside\"\nversion = \"0.2.0\"\n",
    )
    .unwrap();
    let app = root.join("app");
    let outside = |doc: &Value| doc["components"].as_array().unwrap().iter().find(|c| c["name"] == "outside").cloned();

    let plain: Value = serde_json::from_slice(&chainward(&["sbom", app.to_str().unwrap()], &[EPOCH]).stdout).unwrap();
    assert!(outside(&plain).unwrap().get("licenses").is_none());
    assert_eq!(plain["metadata"]["component"]["licenses"][0]["expression"], "MIT", "members: from the manifest");

    let out = chainward(&["sbom", app.to_str().unwrap(), "--cargo-metadata"], &[EPOCH]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = outside(&doc).unwrap();
    assert_eq!(c["licenses"][0]["expression"], "Apache-2.0 OR MIT");
    assert_eq!(c["description"], "lives elsewhere");
    assert_eq!(c["authors"], serde_json::json!([{ "name": "Ada", "email": "ada@example.com" }]));
    common::validate_cyclonedx(&doc, "1.6").unwrap();
    let doc15: Value = serde_json::from_slice(
        &chainward(&["sbom", app.to_str().unwrap(), "--cargo-metadata", "--spec-version", "1.5"], &[EPOCH]).stdout,
    )
    .unwrap();
    let c = outside(&doc15).unwrap();
    assert_eq!(c["author"], "Ada <ada@example.com>");
    common::validate_cyclonedx(&doc15, "1.5").unwrap();
}

#[test]
fn cargo_metadata_failure_is_a_warning() {
    // A lockfile whose manifest cargo rejects: the SBOM is still written, without licenses.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"x\"\nversion = \"0.1.0\"\n").unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), "version = 4\n\n[[package]]\nname = \"x\"\nversion = \"0.1.0\"\n")
        .unwrap();
    let out = chainward(&["sbom", dir.path().to_str().unwrap(), "--cargo-metadata"], &[EPOCH]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("cargo metadata failed"), "{}", stderr(&out));
}

/// A name, the arguments after `sbom`, the environment.
type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

/// Before: `metadata.lifecycles` came after `metadata.component`, which the official XSDs reject.
#[test]
fn xml_sboms_validate_against_the_official_xsds() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&testdata("projects/monorepo"), dir.path());
    std::fs::write(
        dir.path().join("tools/svc-b/Cargo.lock"),
        "version = 4\n[[package]]\nname = \"svc-b\"\nversion = \"0.1.0\"\ndependencies = [\"gone\"]\n",
    )
    .unwrap();
    let partial = dir.path().to_str().unwrap();
    let ws = testdata("projects/workspace");
    let mono = testdata("projects/monorepo");
    let lock = testdata("lockfiles/cargo/git-source.lock");
    let cases: [Case<'_>; 5] = [
        ("workspace", &[ws.to_str().unwrap()], &[EPOCH]),
        ("no timestamp", &[ws.to_str().unwrap(), "--deterministic"], &[]),
        ("monorepo", &[mono.to_str().unwrap()], &[EPOCH]),
        ("git sources", &[lock.to_str().unwrap()], &[EPOCH]),
        ("partial", &[partial, "--allow-partial"], &[EPOCH]),
    ];
    for (name, args, envs) in cases {
        for spec in ["1.5", "1.6"] {
            let mut all = vec!["sbom", "--format", "xml", "--spec-version", spec];
            all.extend_from_slice(args);
            let out = chainward(&all, envs);
            assert!(!out.stdout.is_empty(), "{name} {spec}: {}", stderr(&out));
            common::validate_cyclonedx_xml(&out.stdout, spec).unwrap_or_else(|e| panic!("{name} {spec}: {e}"));
            let xml = String::from_utf8(out.stdout).unwrap();
            let doc = roxmltree::Document::parse(&xml).unwrap();
            let metadata = doc.root_element().first_element_child().unwrap();
            let order: Vec<&str> =
                metadata.children().filter(roxmltree::Node::is_element).map(|n| n.tag_name().name()).collect();
            let lifecycles = order.iter().position(|t| *t == "lifecycles").unwrap();
            assert_eq!(lifecycles, usize::from(order[0] == "timestamp"), "{name} {spec}: {order:?}");
        }
    }
}

/// Before: `a@1` version `2` and `a` version `1@2` were one component (`path:.#a@1@2`), and so
/// were two git packages that differ only in `?branch=`/`?tag=`.
#[test]
fn bom_refs_are_unique_by_construction() {
    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
    let dir = tempfile::tempdir().unwrap();
    let lock = format!(
        r#"version = 4

[[package]]
name = "a"
version = "1@2"

[[package]]
name = "a@1"
version = "2"

[[package]]
name = "g"
version = "0.1.0"
source = "git+https://example.com/g.git?branch=main#{COMMIT}"

[[package]]
name = "g"
version = "0.1.0"
source = "git+https://example.com/g.git?tag=v0.1.0#{COMMIT}"

[[package]]
name = "top"
version = "0.1.0"
dependencies = [
 "a 1@2",
 "a@1",
 "g 0.1.0 (git+https://example.com/g.git?branch=main#{COMMIT})",
 "g 0.1.0 (git+https://example.com/g.git?tag=v0.1.0#{COMMIT})",
]
"#
    );
    std::fs::write(dir.path().join("Cargo.lock"), &lock).unwrap();
    let root = dir.path().to_str().unwrap();
    let out = chainward(&["sbom", root], &[EPOCH]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::validate_cyclonedx(&doc, "1.6").unwrap();
    let refs: Vec<&str> =
        doc["components"].as_array().unwrap().iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
    assert_eq!(
        refs,
        [
            format!("git:https://example.com/g.git?branch=main@{COMMIT}#g@0.1.0").as_str(),
            &format!("git:https://example.com/g.git?tag=v0.1.0@{COMMIT}#g@0.1.0"),
            "path:.#a%401@2",
            "path:.#a@1%402",
            "path:.#top@0.1.0",
        ]
    );
    // Both git packages keep the purl they share: it is what they are, the bom-ref tells them apart.
    let purls: Vec<&str> = doc["components"].as_array().unwrap().iter().filter_map(|c| c["purl"].as_str()).collect();
    assert_eq!(purls.len(), 2);
    assert_eq!(purls[0], purls[1]);
    let top = doc["dependencies"].as_array().unwrap().iter().find(|d| d["ref"] == "path:.#top@0.1.0").unwrap();
    assert_eq!(top["dependsOn"].as_array().unwrap().len(), 4);
    let xml = chainward(&["sbom", root, "--format", "xml"], &[EPOCH]);
    common::validate_cyclonedx_xml(&xml.stdout, "1.6").unwrap();

    // The same packages in two lockfiles are still one component each.
    let two = tempfile::tempdir().unwrap();
    for sub in ["one", "two"] {
        std::fs::create_dir_all(two.path().join(sub)).unwrap();
        std::fs::write(two.path().join(sub).join("Cargo.lock"), &lock).unwrap();
    }
    let out = chainward(&["sbom", two.path().to_str().unwrap()], &[EPOCH]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let components = doc["components"].as_array().unwrap();
    let git: Vec<&Value> = components.iter().filter(|c| c["name"] == "g").collect();
    assert_eq!(git.len(), 2, "{components:#?}");
    for g in git {
        let lockfiles =
            g["properties"].as_array().unwrap().iter().filter(|p| p["name"] == "chainward:lockfile").count();
        assert_eq!(lockfiles, 2, "{g:#}");
    }
}
