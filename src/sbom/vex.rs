//! Findings as a CycloneDX `vulnerabilities` array (VEX), valid for CycloneDX 1.5 and 1.6.
//!
//! One vulnerability per advisory id and analysis: the packages it affects are its `affects`
//! entries, pointing at the document's components by `bom-ref` (found through their purl).
//!
//! The `analysis` says only what chainward knows:
//! - an active (unsilenced) finding has **no** `analysis`: nobody has assessed it, and
//!   `exploitable` would claim an assessment that did not happen;
//! - a finding silenced by an `[[ignore]]` with an `until` date is `in_triage`: the ignore is
//!   temporary, the question is still open;
//! - a finding silenced by an `[[ignore]]` without `until` is `not_affected`: the project
//!   states, with its reason, that it is not affected.
//!
//! The ignore's reason (free text) is the analysis `detail`. No `justification` is written: it
//! is an enum (`code_not_reachable`, ...) that a free-text reason cannot be mapped to honestly.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::advisory::Severity;
use crate::finding::Finding;
use crate::model::Graph;

/// Add a `vulnerabilities` array for `active` and `suppressed` findings to a CycloneDX JSON
/// document (replacing any there). Does nothing when `doc` is not an object, or when there are
/// no findings. A finding whose package is not a component of the document keeps its
/// vulnerability but has no `affects` entry for that package.
pub fn add_vulnerabilities(doc: &mut Value, active: &[Finding], suppressed: &[Finding]) {
    let refs = component_refs(doc);
    let vulnerabilities = build(&refs, active, suppressed);
    let Some(obj) = doc.as_object_mut() else { return };
    obj.remove("vulnerabilities");
    if !vulnerabilities.is_empty() {
        obj.insert("vulnerabilities".to_owned(), Value::Array(vulnerabilities));
    }
}

/// The `vulnerabilities` array [`add_vulnerabilities`] adds to a document rendered from `graph`,
/// for [`super::cyclonedx::render_to_with_vex`], which streams the document: the components'
/// bom-refs come from the graph instead of a parsed document.
pub fn vulnerabilities(graph: &Graph, active: &[Finding], suppressed: &[Finding]) -> Vec<Value> {
    let mut refs = Refs { by_purl: BTreeMap::new(), by_name: BTreeMap::new() };
    // The order `component_refs` sees a document's components in (the first seen wins): the
    // components last to first, then the metadata component.
    for node in graph.nodes.iter().rev().chain(graph.root.node.as_ref()) {
        if let Some(purl) = &node.purl {
            refs.by_purl.entry(purl.clone()).or_insert_with(|| node.id.clone());
        }
        let p = &node.package;
        refs.by_name.entry((p.name.clone(), p.version.clone())).or_insert_with(|| node.id.clone());
    }
    if graph.root.node.is_none()
        && let Some(version) = &graph.root.version
    {
        refs.by_name.entry((graph.root.name.clone(), version.clone())).or_insert_with(|| graph.root.id.clone());
    }
    build(&refs, active, suppressed)
}

/// The analysis a group of findings shares.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Analysis {
    /// Not assessed.
    None,
    /// Silenced: (reason, until).
    Ignored(String, Option<String>),
}

impl Analysis {
    fn of(finding: &Finding, suppressed: bool) -> Analysis {
        match (&finding.suppression, suppressed) {
            (Some(s), true) => Analysis::Ignored(s.reason.clone(), s.until.clone()),
            _ => Analysis::None,
        }
    }

    fn to_json(&self) -> Option<Value> {
        let Analysis::Ignored(reason, until) = self else { return None };
        Some(match until {
            Some(until) => json!({
                "state": "in_triage",
                "detail": format!("{reason} (ignored until {until})"),
            }),
            None => json!({ "state": "not_affected", "detail": reason }),
        })
    }
}

/// purl → bom-ref, and `name@version` → bom-ref as a fallback, over the document's components
/// (nested ones included) and its metadata component.
struct Refs {
    by_purl: BTreeMap<String, String>,
    by_name: BTreeMap<(String, String), String>,
}

fn component_refs(doc: &Value) -> Refs {
    let mut refs = Refs { by_purl: BTreeMap::new(), by_name: BTreeMap::new() };
    let mut stack: Vec<&Value> = Vec::new();
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        stack.push(c);
    }
    if let Some(Value::Array(cs)) = doc.get("components") {
        stack.extend(cs);
    }
    while let Some(c) = stack.pop() {
        if let Some(Value::Array(nested)) = c.get("components") {
            stack.extend(nested);
        }
        let Some(bom_ref) = c.get("bom-ref").and_then(Value::as_str) else { continue };
        if let Some(purl) = c.get("purl").and_then(Value::as_str) {
            refs.by_purl.entry(purl.to_owned()).or_insert_with(|| bom_ref.to_owned());
        }
        if let (Some(name), Some(version)) =
            (c.get("name").and_then(Value::as_str), c.get("version").and_then(Value::as_str))
        {
            refs.by_name.entry((name.to_owned(), version.to_owned())).or_insert_with(|| bom_ref.to_owned());
        }
    }
    refs
}

impl Refs {
    fn find(&self, finding: &Finding) -> Option<&str> {
        let p = &finding.package;
        p.purl
            .as_ref()
            .and_then(|purl| self.by_purl.get(purl))
            .or_else(|| self.by_name.get(&(p.name.clone(), p.version.clone())))
            .map(String::as_str)
    }
}

fn build(refs: &Refs, active: &[Finding], suppressed: &[Finding]) -> Vec<Value> {
    let mut groups: BTreeMap<(String, Analysis), Vec<&Finding>> = BTreeMap::new();
    for (findings, is_suppressed) in [(active, false), (suppressed, true)] {
        for f in findings {
            groups.entry((f.id.clone(), Analysis::of(f, is_suppressed))).or_default().push(f);
        }
    }
    let mut per_id: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(groups.len());
    for ((id, analysis), findings) in &groups {
        let n = per_id.entry(id.as_str()).or_default();
        *n += 1;
        // bom-refs are unique in a document: the second group of one id (another analysis) gets a suffix.
        let bom_ref = if *n == 1 { format!("vulnerability:{id}") } else { format!("vulnerability:{id}#{n}") };
        out.push(vulnerability(refs, &bom_ref, id, analysis, findings));
    }
    out
}

fn vulnerability(refs: &Refs, bom_ref: &str, id: &str, analysis: &Analysis, findings: &[&Finding]) -> Value {
    let mut v = Map::new();
    v.insert("bom-ref".to_owned(), json!(bom_ref));
    v.insert("id".to_owned(), json!(id));
    let url = findings.iter().find_map(|f| f.url.clone());
    v.insert("source".to_owned(), source(id, url.as_deref()));

    let aliases: BTreeSet<&str> = findings.iter().flat_map(|f| f.aliases.iter().map(String::as_str)).collect();
    if !aliases.is_empty() {
        let list: Vec<Value> = aliases.iter().map(|a| json!({ "id": a, "source": source(a, None) })).collect();
        v.insert("references".to_owned(), Value::Array(list));
    }
    v.insert("ratings".to_owned(), Value::Array(vec![rating(findings)]));
    if let Some(summary) = findings.iter().map(|f| f.summary.trim()).find(|s| !s.is_empty()) {
        v.insert("description".to_owned(), json!(summary));
    }
    if let Some(details) = findings.iter().map(|f| f.details.trim()).find(|s| !s.is_empty()) {
        v.insert("detail".to_owned(), json!(details));
    }
    if let Some(r) = recommendation(findings) {
        v.insert("recommendation".to_owned(), json!(r));
    }
    let urls: BTreeSet<&str> = findings.iter().filter_map(|f| f.url.as_deref()).collect();
    if !urls.is_empty() {
        v.insert("advisories".to_owned(), Value::Array(urls.iter().map(|u| json!({ "url": u })).collect()));
    }
    if let Some(a) = analysis.to_json() {
        v.insert("analysis".to_owned(), a);
    }
    // One entry per component; the same package in two lockfiles is one component.
    let mut affects: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in findings {
        if let Some(r) = refs.find(f) {
            affects.entry(r).or_default().insert(f.package.version.as_str());
        }
    }
    if !affects.is_empty() {
        let list = affects
            .iter()
            .map(|(r, versions)| {
                let versions: Vec<Value> =
                    versions.iter().map(|ver| json!({ "version": ver, "status": "affected" })).collect();
                json!({ "ref": r, "versions": versions })
            })
            .collect();
        v.insert("affects".to_owned(), Value::Array(list));
    }
    Value::Object(v)
}

/// Where an id comes from, by its prefix.
fn source(id: &str, url: Option<&str>) -> Value {
    let upper = id.to_ascii_uppercase();
    let (name, default_url) = if upper.starts_with("RUSTSEC-") {
        ("RustSec", format!("https://rustsec.org/advisories/{id}.html"))
    } else if upper.starts_with("GHSA-") {
        ("GitHub Advisories", format!("https://github.com/advisories/{id}"))
    } else if upper.starts_with("CVE-") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else {
        ("OSV", format!("https://osv.dev/vulnerability/{id}"))
    };
    json!({ "name": name, "url": url.map_or(default_url, str::to_owned) })
}

fn rating(findings: &[&Finding]) -> Value {
    let scored = findings
        .iter()
        .filter_map(|f| f.cvss.map(|s| (s, f.cvss_vector.as_deref())))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let Some((score, vector)) = scored else {
        let severity = findings.iter().map(|f| f.severity).max().unwrap_or(Severity::Medium);
        return json!({
            "severity": severity.as_str(),
            "method": "other",
            "justification": "no CVSS score in the advisory: chainward's severity for its kind",
        });
    };
    let mut r = Map::new();
    r.insert("score".to_owned(), json!(score));
    r.insert("severity".to_owned(), json!(Severity::from_score(score).as_str()));
    r.insert("method".to_owned(), json!(vector.map_or("other", method)));
    if let Some(vector) = vector {
        r.insert("vector".to_owned(), json!(vector));
    }
    Value::Object(r)
}

/// The CycloneDX score method of a CVSS vector.
fn method(vector: &str) -> &'static str {
    if vector.starts_with("CVSS:3.0/") {
        "CVSSv3"
    } else if vector.starts_with("CVSS:3.1/") {
        "CVSSv31"
    } else if vector.starts_with("CVSS:4.0/") {
        "CVSSv4"
    } else if vector.starts_with("AV:") || vector.starts_with("(AV:") {
        "CVSSv2"
    } else {
        "other"
    }
}

/// `Upgrade NAME to >= x or >= y`, per package, when fixes exist.
fn recommendation(findings: &[&Finding]) -> Option<String> {
    let mut per_package: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in findings {
        let fixes = per_package.entry(f.package.name.as_str()).or_default();
        for fix in &f.fixed_in {
            if !fixes.contains(&fix.as_str()) {
                fixes.push(fix);
            }
        }
    }
    let parts: Vec<String> = per_package
        .iter()
        .filter(|(_, fixes)| !fixes.is_empty())
        .map(|(name, fixes)| {
            let fixes: Vec<String> = fixes.iter().map(|f| f.replacen(">=", ">= ", 1)).collect();
            format!("Upgrade {name} to {}", fixes.join(" or "))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_from_vectors() {
        assert_eq!(method("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), "CVSSv31");
        assert_eq!(method("CVSS:3.0/AV:N"), "CVSSv3");
        assert_eq!(method("CVSS:4.0/AV:N"), "CVSSv4");
        assert_eq!(method("AV:N/AC:L/Au:N/C:P/I:P/A:P"), "CVSSv2");
        assert_eq!(method("whatever"), "other");
    }

    #[test]
    fn sources_from_prefixes() {
        assert_eq!(source("RUSTSEC-2020-0071", None)["name"], "RustSec");
        assert_eq!(source("GHSA-wcg3-cvx6-7396", None)["url"], "https://github.com/advisories/GHSA-wcg3-cvx6-7396");
        assert_eq!(source("CVE-2020-26235", None)["name"], "NVD");
        assert_eq!(source("PYSEC-2021-1", Some("https://x.test/a"))["url"], "https://x.test/a");
    }
}
