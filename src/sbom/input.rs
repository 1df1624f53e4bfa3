//! Reading an existing CycloneDX JSON SBOM (from chainward, cdxgen, Syft, Trivy, ...) as the
//! packages to scan: every component with a purl of an ecosystem chainward matches.

use std::str::FromStr;

use purl::GenericPurl;

use crate::finding::{Location, ScanPackage};
use crate::model::Ecosystem;

/// An SBOM that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SbomInputError {
    /// The file.
    pub path: String,
    /// Why.
    pub message: String,
}

/// Whether `bytes` look like a CycloneDX JSON document.
pub fn is_cyclonedx_json(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(4096)).unwrap_or_default();
    head.first().is_some_and(|b| *b == b'{' || b.is_ascii_whitespace())
        && String::from_utf8_lossy(head).contains("\"bomFormat\"")
}

/// A component's SHA-256 hash (`hashes[].alg = "SHA-256"`), as `sha256:<hex>`.
fn sha256(component: &serde_json::Value) -> Option<String> {
    component.get("hashes")?.as_array()?.iter().find_map(|h| {
        let alg = h.get("alg")?.as_str()?;
        let content = h.get("content")?.as_str()?;
        (alg.eq_ignore_ascii_case("SHA-256") && content.len() == 64 && content.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| format!("sha256:{}", content.to_ascii_lowercase()))
    })
}

/// The packages of a CycloneDX JSON document, and the purls that name no ecosystem chainward
/// matches (counted, not errors).
pub fn read(path: &str, bytes: &[u8]) -> Result<(Vec<ScanPackage>, usize), SbomInputError> {
    let err = |message: String| SbomInputError { path: path.to_owned(), message };
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| err(format!("invalid JSON: {e}")))?;
    if doc.get("bomFormat").and_then(serde_json::Value::as_str) != Some("CycloneDX") {
        return Err(err("not a CycloneDX document (`bomFormat` is not \"CycloneDX\")".to_owned()));
    }
    let mut packages = Vec::new();
    let mut skipped = 0;
    let mut stack: Vec<&serde_json::Value> = Vec::new();
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        stack.push(c);
    }
    if let Some(cs) = doc.get("components").and_then(serde_json::Value::as_array) {
        stack.extend(cs);
    }
    while let Some(c) = stack.pop() {
        if let Some(nested) = c.get("components").and_then(serde_json::Value::as_array) {
            stack.extend(nested);
        }
        let Some(purl) = c.get("purl").and_then(serde_json::Value::as_str) else { continue };
        match from_purl(purl) {
            Some((ecosystem, name, version)) => packages.push(ScanPackage {
                ecosystem,
                name,
                version,
                purl: Some(purl.to_owned()),
                checksum: sha256(c),
                location: Location { path: path.to_owned(), line: None, end_line: None },
            }),
            None => skipped += 1,
        }
    }
    packages.sort_by(|a, b| (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version)));
    packages.dedup_by(|a, b| a.ecosystem == b.ecosystem && a.name == b.name && a.version == b.version);
    Ok((packages, skipped))
}

/// (ecosystem, name as the ecosystem's advisories spell it, version) of a purl.
pub fn from_purl(purl: &str) -> Option<(Ecosystem, String, String)> {
    let parsed = GenericPurl::<String>::from_str(purl).ok()?;
    let ecosystem = Ecosystem::from_purl_type(parsed.package_type())?;
    let version = parsed.version()?.to_owned();
    let name = parsed.name();
    let namespace = parsed.namespace();
    let name = match (ecosystem, namespace) {
        // Another registry or a git source: not the crates.io crate of that name.
        (Ecosystem::Cargo, _)
            if parsed.qualifiers().iter().any(|(k, _)| k.as_ref() == "repository_url" || k.as_ref() == "vcs_url") =>
        {
            return None;
        }
        (Ecosystem::Maven, Some(group)) => format!("{group}:{name}"),
        (Ecosystem::Go | Ecosystem::Npm | Ecosystem::Packagist, Some(ns)) => format!("{ns}/{name}"),
        _ => name.to_owned(),
    };
    Some((ecosystem, name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_of_every_ecosystem() {
        let cases = [
            ("pkg:cargo/time@0.1.45", Some((Ecosystem::Cargo, "time", "0.1.45"))),
            ("pkg:cargo/x@1.0.0?repository_url=https://my.example/index", None),
            ("pkg:pypi/django@3.2.0", Some((Ecosystem::PyPI, "django", "3.2.0"))),
            ("pkg:golang/github.com/gin-gonic/gin@v1.9.0", Some((Ecosystem::Go, "github.com/gin-gonic/gin", "v1.9.0"))),
            ("pkg:npm/%40babel/traverse@7.23.0", Some((Ecosystem::Npm, "@babel/traverse", "7.23.0"))),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                Some((Ecosystem::Maven, "org.apache.logging.log4j:log4j-core", "2.14.1")),
            ),
            ("pkg:composer/symfony/http-kernel@5.4.0", Some((Ecosystem::Packagist, "symfony/http-kernel", "5.4.0"))),
            ("pkg:gem/rails@7.0.0", Some((Ecosystem::RubyGems, "rails", "7.0.0"))),
            ("pkg:deb/debian/openssl@3.0.11", None),
            ("pkg:pypi/django", None),
            ("not a purl", None),
        ];
        for (purl, want) in cases {
            let got = from_purl(purl);
            let want = want.map(|(e, n, v)| (e, n.to_owned(), v.to_owned()));
            assert_eq!(got, want, "{purl}");
        }
    }

    #[test]
    fn reads_nested_components_and_rejects_other_documents() {
        let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"type": "library", "name": "a", "purl": "pkg:pypi/a@1.0", "components": [
                {"type": "library", "name": "b", "purl": "pkg:golang/example.com/b@v0.1.0"}]},
            {"type": "library", "name": "c"},
            {"type": "library", "name": "d", "purl": "pkg:deb/debian/d@1"}]}"#;
        let (packages, skipped) = read("bom.json", doc).unwrap();
        assert_eq!(packages.len(), 2);
        assert_eq!(skipped, 1);
        assert!(is_cyclonedx_json(doc));
        assert!(read("x.json", br#"{"spdxVersion": "SPDX-2.3"}"#).is_err());
        assert!(read("x.json", b"[").unwrap_err().message.contains("invalid JSON"));
    }
}
