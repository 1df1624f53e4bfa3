//! Proves the schema validators in `tests/common` work: known-good documents
//! pass and each kind of mistake we care about is caught.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

mod common;

use serde_json::{Value, json};

const SPECS: [&str; 3] = ["1.5", "1.6", "1.7"];

const SHA256_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn minimal_bom(spec: &str) -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "version": 1,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "metadata": {
            "timestamp": "2025-01-02T03:04:05Z",
            "tools": {"components": [{"type": "application", "name": "chainward", "version": "0.1.0"}]}
        },
        "components": [{
            "type": "library",
            "name": "x",
            "version": "1",
            "bom-ref": "x",
            "scope": "required",
            "purl": "pkg:cargo/x@1",
            "licenses": [{"license": {"id": "MIT"}}],
            "hashes": [{"alg": "SHA-256", "content": SHA256_HEX}],
            "externalReferences": [{"type": "website", "url": "https://example.com/x"}]
        }],
        "dependencies": [{"ref": "x", "dependsOn": []}]
    })
}

fn minimal_sarif() -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "chainward",
                "informationUri": "https://github.com/chainward/chainward",
                "rules": [{"id": "CW001", "shortDescription": {"text": "known vulnerability"}}]
            }},
            "results": [{
                "ruleId": "CW001",
                "level": "error",
                "message": {"text": "x 1 is affected by RUSTSEC-0000-0000"},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": "Cargo.lock"},
                    "region": {"startLine": 1}
                }}]
            }]
        }]
    })
}

/// The validators return `Ok(())` when `../shared` is missing, so negative
/// tests would pass vacuously: only run them when the schemas are there.
fn have_shared() -> bool {
    common::shared_dir().is_some()
}

/// Asserts `doc` is rejected for `spec` and that some error mentions `needle`.
fn assert_bom_invalid(doc: &Value, spec: &str, needle: &str) {
    let errors = common::validate_cyclonedx(doc, spec)
        .expect_err(&format!("CycloneDX {spec}: document should be invalid ({needle})"));
    assert!(errors.iter().any(|e| e.contains(needle)), "CycloneDX {spec}: no error mentions {needle:?}: {errors:#?}");
}

fn component_mut(doc: &mut Value) -> &mut Value {
    &mut doc["components"][0]
}

#[test]
fn shared_dir_is_found() {
    if let Some(dir) = common::shared_dir() {
        assert!(dir.is_absolute());
        assert!(dir.join("schemas").is_dir(), "{} has no schemas/", dir.display());
    }
}

#[test]
fn minimal_boms_validate() {
    for spec in SPECS {
        if let Err(errors) = common::validate_cyclonedx(&minimal_bom(spec), spec) {
            panic!("CycloneDX {spec}: minimal BOM rejected: {errors:#?}");
        }
    }
}

#[test]
fn brief_example_bom_validates() {
    let doc = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "components": [{
            "type": "library", "name": "x", "version": "1", "bom-ref": "x",
            "purl": "pkg:cargo/x@1",
            "licenses": [{"license": {"id": "MIT"}}],
            "hashes": [{"alg": "SHA-256", "content": SHA256_HEX}]
        }]
    });
    assert_eq!(common::validate_cyclonedx(&doc, "1.6"), Ok(()));
}

#[test]
fn validator_is_reusable() {
    // Second call hits the cached validator; results must be identical.
    let doc = minimal_bom("1.6");
    assert_eq!(common::validate_cyclonedx(&doc, "1.6"), Ok(()));
    assert_eq!(common::validate_cyclonedx(&doc, "1.6"), Ok(()));
}

#[test]
fn bad_hash_alg_is_rejected() {
    if !have_shared() {
        return;
    }
    for spec in SPECS {
        let mut doc = minimal_bom(spec);
        component_mut(&mut doc)["hashes"][0]["alg"] = json!("SHA256");
        assert_bom_invalid(&doc, spec, "/components/0/hashes/0/alg");
    }
}

#[test]
fn bad_hash_content_is_rejected() {
    if !have_shared() {
        return;
    }
    for spec in SPECS {
        let mut doc = minimal_bom(spec);
        component_mut(&mut doc)["hashes"][0]["content"] = json!("not-hex");
        assert_bom_invalid(&doc, spec, "/components/0/hashes/0/content");
    }
}

#[test]
fn component_without_name_is_rejected() {
    if !have_shared() {
        return;
    }
    for spec in SPECS {
        let mut doc = minimal_bom(spec);
        component_mut(&mut doc).as_object_mut().unwrap().remove("name");
        assert_bom_invalid(&doc, spec, "\"name\" is a required property");
    }
}

#[test]
fn non_spdx_license_id_is_rejected() {
    // Exercises the `$ref` into spdx.schema.json.
    if !have_shared() {
        return;
    }
    for spec in SPECS {
        let mut doc = minimal_bom(spec);
        component_mut(&mut doc)["licenses"][0]["license"]["id"] = json!("NOT-A-LICENSE");
        // The top-level error is a bare `oneOf` failure; the branch errors
        // the harness appends name the SPDX enum miss.
        assert_bom_invalid(&doc, spec, "/components/0/licenses/0/license/id: ");
        // A free-text license name is fine.
        let mut doc = minimal_bom(spec);
        component_mut(&mut doc)["licenses"][0]["license"] = json!({"name": "Custom License"});
        assert_eq!(common::validate_cyclonedx(&doc, spec), Ok(()), "{spec}");
    }
}

#[test]
fn spdx_expression_in_license_id_is_rejected() {
    // Compound expressions belong in `expression`, not `license.id`.
    if !have_shared() {
        return;
    }
    let mut doc = minimal_bom("1.6");
    component_mut(&mut doc)["licenses"][0]["license"]["id"] = json!("MIT OR Apache-2.0");
    assert_bom_invalid(&doc, "1.6", "/components/0/licenses/0");

    let mut doc = minimal_bom("1.6");
    component_mut(&mut doc)["licenses"] = json!([{"expression": "MIT OR Apache-2.0"}]);
    assert_eq!(common::validate_cyclonedx(&doc, "1.6"), Ok(()));
}

#[test]
fn wrong_scope_is_rejected() {
    if !have_shared() {
        return;
    }
    for spec in SPECS {
        let mut doc = minimal_bom(spec);
        component_mut(&mut doc)["scope"] = json!("dev");
        assert_bom_invalid(&doc, spec, "/components/0/scope");
    }
}

#[test]
fn bad_serial_number_is_rejected() {
    if !have_shared() {
        return;
    }
    for spec in SPECS {
        let mut doc = minimal_bom(spec);
        doc["serialNumber"] = json!("3e671687-395b-41f5-a30f-a58921a69b79");
        assert_bom_invalid(&doc, spec, "/serialNumber");
    }
}

#[test]
fn bad_timestamp_format_is_rejected() {
    // Format assertion is on: `date-time` must be RFC 3339.
    if !have_shared() {
        return;
    }
    for bad in ["2025-01-02", "2025-01-02 03:04:05Z", "yesterday"] {
        let mut doc = minimal_bom("1.6");
        doc["metadata"]["timestamp"] = json!(bad);
        assert_bom_invalid(&doc, "1.6", "/metadata/timestamp");
    }
    for good in ["2025-01-02T03:04:05.123456789Z", "2025-01-02T03:04:05+01:00"] {
        let mut doc = minimal_bom("1.6");
        doc["metadata"]["timestamp"] = json!(good);
        assert_eq!(common::validate_cyclonedx(&doc, "1.6"), Ok(()), "{good}");
    }
}

#[test]
fn bad_email_format_is_rejected() {
    // `idn-email` needs jsonschema's `idna` feature (off); the harness
    // registers a minimal stand-in so it is not silently ignored.
    if !have_shared() {
        return;
    }
    let mut doc = minimal_bom("1.6");
    doc["metadata"]["authors"] = json!([{"name": "a", "email": "not an email"}]);
    assert_bom_invalid(&doc, "1.6", "/metadata/authors/0/email");
    doc["metadata"]["authors"] = json!([{"name": "a", "email": "a@example.com"}]);
    assert_eq!(common::validate_cyclonedx(&doc, "1.6"), Ok(()));
}

#[test]
fn unknown_property_is_rejected() {
    // The bom schemas set `additionalProperties: false` on components.
    if !have_shared() {
        return;
    }
    let mut doc = minimal_bom("1.6");
    component_mut(&mut doc)["licence"] = json!("MIT");
    assert_bom_invalid(&doc, "1.6", "/components/0");
}

#[test]
fn error_strings_carry_instance_path_and_message() {
    if !have_shared() {
        return;
    }
    let mut doc = minimal_bom("1.6");
    component_mut(&mut doc)["scope"] = json!("dev");
    doc["version"] = json!(0);
    let errors = common::validate_cyclonedx(&doc, "1.6").unwrap_err();
    assert!(errors.len() >= 2, "{errors:#?}");
    for e in &errors {
        let (path, message) = e.split_once(": ").expect("\"path: message\"");
        assert!(path.starts_with('/') || path == "<root>", "{e}");
        assert!(!message.is_empty(), "{e}");
    }
    assert!(errors.iter().any(|e| e.starts_with("/version: ")), "{errors:#?}");
}

#[test]
#[should_panic(expected = "unsupported CycloneDX spec version")]
fn unknown_spec_version_panics() {
    let _ = common::validate_cyclonedx(&minimal_bom("1.4"), "1.4");
}

#[test]
fn minimal_sarif_validates() {
    if let Err(errors) = common::validate_sarif(&minimal_sarif()) {
        panic!("minimal SARIF rejected: {errors:#?}");
    }
}

#[test]
fn sarif_result_without_message_is_rejected() {
    if !have_shared() {
        return;
    }
    let mut doc = minimal_sarif();
    doc["runs"][0]["results"][0].as_object_mut().unwrap().remove("message");
    let errors = common::validate_sarif(&doc).unwrap_err();
    assert!(errors.iter().any(|e| e.starts_with("/runs/0/results/0: ") && e.contains("message")), "{errors:#?}");
}

#[test]
fn sarif_bad_level_and_version_are_rejected() {
    if !have_shared() {
        return;
    }
    let mut doc = minimal_sarif();
    doc["runs"][0]["results"][0]["level"] = json!("critical");
    doc["version"] = json!("2.1");
    let errors = common::validate_sarif(&doc).unwrap_err();
    assert!(errors.iter().any(|e| e.starts_with("/runs/0/results/0/level: ")), "{errors:#?}");
    assert!(errors.iter().any(|e| e.starts_with("/version: ")), "{errors:#?}");
}

#[test]
fn sarif_uri_reference_format_is_checked() {
    // Draft-04 has no `uri-reference`; the harness registers its own check.
    if !have_shared() {
        return;
    }
    let mut doc = minimal_sarif();
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        json!("sub dir/Cargo.lock");
    let errors = common::validate_sarif(&doc).unwrap_err();
    assert!(errors.iter().any(|e| e.contains("/artifactLocation/uri: ")), "{errors:#?}");
    for good in ["crates/a/Cargo.lock", "../Cargo.lock", "file:///tmp/x/Cargo.lock", "sub%20dir/x"] {
        let mut doc = minimal_sarif();
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = json!(good);
        assert_eq!(common::validate_sarif(&doc), Ok(()), "{good}");
    }
}

fn minimal_xml(spec: &str, metadata: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/{spec}" serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="1">
  <metadata>{metadata}</metadata>
  <components>
    <component type="library" bom-ref="x">
      <name>x</name>
      <version>1</version>
      <purl>pkg:cargo/x@1</purl>
    </component>
  </components>
</bom>
"#
    )
}

const LIFECYCLES: &str = "<lifecycles><lifecycle><phase>pre-build</phase></lifecycle></lifecycles>";
const ROOT: &str = r#"<component type="application" bom-ref="root"><name>root</name></component>"#;

/// The XML validator is vacuous without `../shared` or xmllint: negative tests need both.
fn have_xmllint() -> bool {
    have_shared() && common::external_tool("XMLLINT", "xmllint").is_some()
}

#[test]
fn minimal_xml_boms_validate() {
    for spec in SPECS {
        let xml = minimal_xml(spec, &format!("<timestamp>2025-01-02T03:04:05Z</timestamp>{LIFECYCLES}{ROOT}"));
        if let Err(errors) = common::validate_cyclonedx_xml(xml.as_bytes(), spec) {
            panic!("CycloneDX {spec}: minimal XML BOM rejected: {errors}");
        }
    }
}

#[test]
fn xml_lifecycles_after_the_component_are_rejected() {
    if !have_xmllint() {
        return;
    }
    for spec in ["1.5", "1.6"] {
        let xml = minimal_xml(spec, &format!("{ROOT}{LIFECYCLES}"));
        let errors = common::validate_cyclonedx_xml(xml.as_bytes(), spec).unwrap_err();
        assert!(errors.contains("lifecycles") && errors.contains("not expected"), "{spec}: {errors}");
    }
}

#[test]
fn xml_that_is_not_well_formed_is_rejected() {
    if !have_xmllint() {
        return;
    }
    let xml = minimal_xml("1.6", "").replace("<name>x</name>", "<name>x\u{1b}[31m</name>");
    let errors = common::validate_cyclonedx_xml(xml.as_bytes(), "1.6").unwrap_err();
    assert!(errors.contains("invalid Char value 27"), "{errors}");
}

#[test]
#[should_panic(expected = "unsupported CycloneDX spec version")]
fn unknown_xml_spec_version_panics() {
    let _ = common::validate_cyclonedx_xml(b"<bom/>", "1.4");
}
