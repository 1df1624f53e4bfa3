//! Hostile text from a lockfile and a manifest in `chainward sbom` output: the XML stays
//! well-formed and valid, and neither XML nor JSON holds a raw control or format character.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn chainward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run chainward")
}

/// A project whose lockfile and manifest carry escape sequences, NUL, BEL, bidi overrides, a C1
/// control, line separators and line breaks.
fn hostile_project(dir: &Path) {
    std::fs::write(
        dir.join("Cargo.lock"),
        r#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["evil\u001b\u0000x"]

[[package]]
name = "evil\u001b\u0000x"
version = "1.0.0\u202e\u0085\u2028"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        r#"[package]
name = "app"
version = "0.1.0"
description = "line one\n::stop-commands::x \u202e rev \u0007 bell \u2066 isolate"
authors = ["A\u0001 <a@example.com>"]
license = "MIT"
"#,
    )
    .unwrap();
}

/// A character that must not be in the document's bytes: anything XML 1.0 does not allow, and
/// every control or format character but the line breaks between elements.
fn forbidden(c: char) -> bool {
    (chainward::sanitize::is_unsafe(c) && c != '\n') || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// Before: the escape and NUL were written raw (the document was not well-formed, exit 0).
#[test]
fn control_characters_never_reach_the_xml_raw() {
    let dir = tempfile::tempdir().unwrap();
    hostile_project(dir.path());
    let root = dir.path().to_str().unwrap();
    for spec in ["1.5", "1.6"] {
        let out = chainward(&["sbom", root, "--format", "xml", "--spec-version", spec]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let xml = String::from_utf8(out.stdout).unwrap();
        let bad: Vec<char> = xml.chars().filter(|&c| forbidden(c)).collect();
        assert!(bad.is_empty(), "{spec}: {bad:?}");
        common::validate_cyclonedx_xml(xml.as_bytes(), spec).unwrap_or_else(|e| panic!("{spec}: {e}"));

        let doc = roxmltree::Document::parse(&xml).unwrap();
        let text = |tag: &str| -> Vec<String> {
            doc.descendants().filter(|n| n.has_tag_name(tag)).map(|n| n.text().unwrap_or_default().to_owned()).collect()
        };
        // Not allowed in XML: the sanitiser's visible escape, so a reader sees it was there.
        assert!(text("name").contains(&"evil\\u{1b}\\0x".to_owned()), "{:?}", text("name"));
        assert!(text("author").contains(&"A\\u{1} <a@example.com>".to_owned()), "{:?}", text("author"));
        // Allowed in XML: a character reference, the same value for an XML reader.
        assert!(text("version").contains(&"1.0.0\u{202e}\u{85}\u{2028}".to_owned()), "{:?}", text("version"));
        assert!(xml.contains("<version>1.0.0&#x202E;&#x85;&#x2028;</version>"), "{xml}");
        let description = &text("description")[0];
        assert!(description.contains("\u{202e} rev \\u{7} bell \u{2066} isolate"), "{description:?}");
        assert!(xml.contains("&#x202E; rev \\u{7} bell &#x2066; isolate"), "{xml}");
        // Every reference still names a component.
        let refs: Vec<&str> =
            doc.descendants().filter_map(|n| n.attribute("bom-ref").or_else(|| n.attribute("ref"))).collect();
        assert!(refs.iter().any(|r| r.starts_with("pkg:cargo/evil%1B%00x@")), "{refs:?}");
    }
}

/// Before: U+202E, U+0085 and U+2028 were written raw into the JSON strings.
#[test]
fn json_escapes_format_and_c1_characters_losslessly() {
    let dir = tempfile::tempdir().unwrap();
    hostile_project(dir.path());
    let out = chainward(&["sbom", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json = String::from_utf8(out.stdout).unwrap();
    let bad: Vec<char> = json.chars().filter(|&c| forbidden(c)).collect();
    assert!(bad.is_empty(), "{bad:?}");
    assert!(json.contains(r#""version": "1.0.0\u202e\u0085\u2028""#), "{json}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    common::validate_cyclonedx(&doc, "1.6").unwrap();
    let evil = doc["components"].as_array().unwrap().iter().find(|c| c["name"] == "evil\u{1b}\0x").unwrap();
    assert_eq!(evil["version"], "1.0.0\u{202e}\u{85}\u{2028}");
    let description = doc["metadata"]["component"]["description"].as_str().unwrap();
    assert!(description.contains("\u{202e} rev \u{7} bell \u{2066}"), "{description:?}");
}
