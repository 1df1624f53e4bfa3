//! What cargo knows of one crate version before compiling it: its dependency declarations and
//! its feature table, from a crates.io index line or a `Cargo.toml`, in one shape.
//!
//! The index line's fields (cargo-util-schemas `IndexPackage`): `deps[]` (`name` is the key in
//! the dependent's manifest, i.e. the renamed name; `package` the real crate name when renamed;
//! `req`, `features`, `optional`, `default_features`, `target`, `kind`), `features` and
//! `features2` (merged: `features2` holds the values using `dep:` or `?/`), and `v` (schema
//! version; cargo reads up to 2).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// Index schema versions cargo understands (`INDEX_V_MAX`).
pub const INDEX_V_MAX: u32 = 2;
/// Dependencies of one crate read at most (crates.io caps far lower; a bigger line is hostile).
pub const MAX_DEPS: usize = 4096;
/// Features of one crate read at most (crates.io allows 300).
pub const MAX_FEATURES: usize = 4096;
/// Values of one feature read at most.
pub const MAX_FEATURE_VALUES: usize = 4096;

/// The kind of a dependency declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DepKind {
    /// `[dependencies]`
    Normal,
    /// `[build-dependencies]`
    Build,
    /// `[dev-dependencies]`
    Dev,
}

impl DepKind {
    /// `normal`, `build` or `dev`.
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Normal => "normal",
            DepKind::Build => "build",
            DepKind::Dev => "dev",
        }
    }
}

/// One dependency declaration (a crate may declare the same dependency several times: per kind,
/// per target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepSpec {
    /// The key in the dependent's manifest (the renamed name): what feature values name.
    pub name: String,
    /// The real crate name (what Cargo.lock lists): `package = "..."`, else `name`.
    pub package: String,
    /// The version requirement; `None` when there is none (a path dependency without `version`)
    /// or it does not parse (then any locked version matches).
    pub req: Option<semver::VersionReq>,
    /// Features asked of the dependency.
    pub features: Vec<String>,
    /// `optional = true`
    pub optional: bool,
    /// `default-features` (true unless switched off).
    pub default_features: bool,
    /// `target.'cfg(...)'` or a triple, as written; `None` for every platform.
    pub target: Option<String>,
    /// Kind.
    pub kind: DepKind,
}

/// One value of a feature's list, in cargo's `FeatureValue` terms.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeatureValue {
    /// `"name"`: another feature of the same crate (or an optional dependency's implicit feature).
    Feature(String),
    /// `"dep:name"`: the optional dependency `name`, without a feature of that name.
    Dep(String),
    /// `"name/feat"` or, weak, `"name?/feat"`: feature `feat` of dependency `name` (weak: only if
    /// something else enables it).
    DepFeature {
        /// The dependency's key.
        dep: String,
        /// The feature asked of it.
        feature: String,
        /// `?/`: does not enable the dependency.
        weak: bool,
    },
}

impl std::fmt::Display for FeatureValue {
    /// The value as a manifest writes it (`std`, `dep:serde`, `serde/std`, `serde?/std`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeatureValue::Feature(name) => f.write_str(name),
            FeatureValue::Dep(dep) => write!(f, "dep:{dep}"),
            FeatureValue::DepFeature { dep, feature, weak } => {
                write!(f, "{dep}{}/{feature}", if *weak { "?" } else { "" })
            }
        }
    }
}

impl FeatureValue {
    /// Parse a value as cargo does (`FeatureValue::new`).
    pub fn parse(value: &str) -> FeatureValue {
        if let Some(dep) = value.strip_prefix("dep:") {
            return FeatureValue::Dep(dep.to_owned());
        }
        if let Some((dep, feature)) = value.split_once('/') {
            return match dep.strip_suffix('?') {
                Some(dep) => FeatureValue::DepFeature { dep: dep.to_owned(), feature: feature.to_owned(), weak: true },
                None => FeatureValue::DepFeature { dep: dep.to_owned(), feature: feature.to_owned(), weak: false },
            };
        }
        FeatureValue::Feature(value.to_owned())
    }
}

/// One crate version's dependencies and features.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CrateSummary {
    /// Every dependency declaration.
    pub deps: Vec<DepSpec>,
    /// The feature table, including the implicit feature of each optional dependency that no
    /// `dep:` value names (see [`CrateSummary::new`]).
    pub features: BTreeMap<String, Vec<FeatureValue>>,
    /// `[lib] proc-macro = true`; `None` when unknown (the index does not say).
    pub proc_macro: Option<bool>,
}

impl CrateSummary {
    /// A summary from declarations and the explicit feature table: adds each optional
    /// dependency's implicit feature (`x = ["dep:x"]`) unless some value names `dep:x` or a
    /// feature `x` is declared, as cargo's `build_feature_map` does.
    pub fn new(deps: Vec<DepSpec>, explicit: BTreeMap<String, Vec<FeatureValue>>, proc_macro: Option<bool>) -> Self {
        let mut features = explicit;
        let named_by_dep: BTreeSet<&str> = features
            .values()
            .flatten()
            .filter_map(|v| match v {
                FeatureValue::Dep(d) => Some(d.as_str()),
                _ => None,
            })
            .collect();
        let implicit: BTreeSet<String> = deps
            .iter()
            .filter(|d| d.optional && !named_by_dep.contains(d.name.as_str()))
            .map(|d| d.name.clone())
            .collect();
        for name in implicit {
            features.entry(name.clone()).or_insert_with(|| vec![FeatureValue::Dep(name)]);
        }
        CrateSummary { deps, features, proc_macro }
    }

    /// Check the feature table as cargo does when it reads a manifest (`build_feature_map`): every
    /// `dep:x` and `x/feat` names a declared dependency, and `dep:x` an optional one; every plain
    /// value names a feature or a dependency. The error names the feature and the value.
    pub fn validate(&self) -> Result<(), String> {
        let declared = |name: &str| self.deps.iter().any(|d| d.name == name);
        for (feature, values) in &self.features {
            for v in values {
                match v {
                    FeatureValue::Feature(f) => {
                        if !self.features.contains_key(f) && !declared(f) {
                            return Err(format!(
                                "feature `{feature}` includes `{f}`, which is neither a dependency nor another feature"
                            ));
                        }
                    }
                    FeatureValue::Dep(d) => {
                        if !self.deps.iter().any(|x| x.name == *d && x.optional) {
                            return Err(format!(
                                "feature `{feature}` includes `dep:{d}`, but `{d}` is not an optional dependency"
                            ));
                        }
                    }
                    FeatureValue::DepFeature { dep, feature: f, .. } => {
                        if !declared(dep) {
                            return Err(format!(
                                "feature `{feature}` includes `{dep}/{f}`, but `{dep}` is not a dependency"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Parse one crates.io index line (JSON). `name` and `version` are what the lockfile
    /// expects; a line for another crate or version is an error.
    pub fn from_index_line(line: &str, name: &str, version: &str) -> Result<CrateSummary, String> {
        let wire: IndexLine =
            serde_json::from_str(line).map_err(|e| format!("index entry of {name} {version} is not valid: {e}"))?;
        if wire.name != name && !wire.name.eq_ignore_ascii_case(name) {
            return Err(format!("index entry names `{}`, not `{name}`", wire.name));
        }
        if wire.vers != version {
            return Err(format!("index entry is version `{}`, not `{version}`", wire.vers));
        }
        if wire.v.unwrap_or(1) > INDEX_V_MAX {
            return Err(format!(
                "index entry of {name} {version} has schema version {}, newer than this reader",
                wire.v.unwrap_or(1)
            ));
        }
        if wire.deps.len() > MAX_DEPS {
            return Err(format!("index entry of {name} {version} declares {} dependencies", wire.deps.len()));
        }
        let mut deps = Vec::with_capacity(wire.deps.len());
        for d in wire.deps {
            let kind = match d.kind.as_deref() {
                None | Some("normal") => DepKind::Normal,
                Some("build") => DepKind::Build,
                Some("dev") => DepKind::Dev,
                Some(other) => {
                    return Err(format!(
                        "index entry of {name} {version}: dependency `{}` has unknown kind `{other}`",
                        d.name
                    ));
                }
            };
            let package = d.package.unwrap_or_else(|| d.name.clone());
            deps.push(DepSpec {
                req: semver::VersionReq::parse(&d.req).ok(),
                name: d.name,
                package,
                features: d.features,
                optional: d.optional,
                default_features: d.default_features,
                target: d.target,
                kind,
            });
        }
        let mut explicit: BTreeMap<String, Vec<FeatureValue>> = BTreeMap::new();
        for (feature, values) in wire.features.into_iter().chain(wire.features2) {
            if values.len() > MAX_FEATURE_VALUES {
                return Err(format!(
                    "index entry of {name} {version}: feature `{feature}` has {} values",
                    values.len()
                ));
            }
            explicit.entry(feature).or_default().extend(values.iter().map(|v| FeatureValue::parse(v)));
            if explicit.len() > MAX_FEATURES {
                return Err(format!("index entry of {name} {version} declares more than {MAX_FEATURES} features"));
            }
        }
        let summary = CrateSummary::new(deps, explicit, None);
        summary.validate().map_err(|e| format!("index entry of {name} {version}: {e}"))?;
        Ok(summary)
    }
}

#[derive(Deserialize)]
struct IndexLine {
    name: String,
    vers: String,
    #[serde(default)]
    deps: Vec<IndexDep>,
    #[serde(default)]
    features: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    features2: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    v: Option<u32>,
}

#[derive(Deserialize)]
struct IndexDep {
    name: String,
    #[serde(default)]
    req: String,
    #[serde(default)]
    features: Vec<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default = "yes")]
    default_features: bool,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    package: Option<String>,
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_values_parse_as_cargo_reads_them() {
        assert_eq!(FeatureValue::parse("std"), FeatureValue::Feature("std".into()));
        assert_eq!(FeatureValue::parse("dep:serde"), FeatureValue::Dep("serde".into()));
        assert_eq!(
            FeatureValue::parse("serde/std"),
            FeatureValue::DepFeature { dep: "serde".into(), feature: "std".into(), weak: false }
        );
        assert_eq!(
            FeatureValue::parse("serde?/std"),
            FeatureValue::DepFeature { dep: "serde".into(), feature: "std".into(), weak: true }
        );
    }

    #[test]
    fn index_lines_merge_features2_and_add_implicit_features() {
        let line = r#"{"name":"rsa","vers":"0.9.10","v":2,
 "features":{"default":["std","pem"],"std":[],"pem":[],"u64_digit":["num-bigint/u64_digit"]},
 "features2":{"serde":["dep:serde","num-bigint/serde"]},
 "deps":[
  {"name":"num-bigint","req":"^0.8.6","features":["i128"],"optional":false,"default_features":false,"target":null,"kind":"normal","package":"num-bigint-dig"},
  {"name":"serde","req":"^1","features":[],"optional":true,"default_features":true,"target":null,"kind":"normal"},
  {"name":"sha1","req":"^0.10.5","features":["oid"],"optional":true,"default_features":false,"target":null,"kind":"normal"},
  {"name":"sha1","req":"^0.10.5","features":["oid"],"optional":false,"default_features":false,"target":null,"kind":"dev"}]}"#;
        let s = CrateSummary::from_index_line(&line.replace('\n', ""), "rsa", "0.9.10").unwrap();
        assert_eq!(s.deps.len(), 4);
        assert_eq!(s.deps[0].package, "num-bigint-dig");
        assert_eq!(s.deps[0].name, "num-bigint");
        assert!(!s.features.contains_key("serde") || s.features["serde"][0] == FeatureValue::Dep("serde".into()));
        // sha1 is optional and no `dep:sha1` exists: implicit feature.
        assert_eq!(s.features["sha1"], vec![FeatureValue::Dep("sha1".into())]);
        assert_eq!(s.deps[3].kind, DepKind::Dev);
        assert!(CrateSummary::from_index_line(&line.replace('\n', ""), "rsa", "0.9.9").is_err());
        assert!(
            CrateSummary::from_index_line(
                r#"{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":"1","kind":"weird"}]}"#,
                "a",
                "1.0.0"
            )
            .is_err()
        );
        assert!(CrateSummary::from_index_line(r#"{"name":"a","vers":"1.0.0","v":3}"#, "a", "1.0.0").is_err());
    }

    #[test]
    fn feature_tables_that_cargo_would_refuse_are_errors_naming_the_value() {
        let dep = r#"{"name":"b","req":"1","optional":true,"kind":"normal"}"#;
        let line = |features: &str| format!(r#"{{"name":"a","vers":"1.0.0","deps":[{dep}],"features":{features}}}"#);
        assert!(
            CrateSummary::from_index_line(&line(r#"{"x":["b/std"],"y":["dep:b"],"z":["x","b"]}"#), "a", "1.0.0")
                .is_ok()
        );
        // Cycles are fine (cargo accepts them too); the resolver visits each feature once.
        assert!(CrateSummary::from_index_line(&line(r#"{"x":["y"],"y":["x"]}"#), "a", "1.0.0").is_ok());
        for (features, named) in [
            (r#"{"x":["nope/std"]}"#, "nope/std"),
            (r#"{"x":["dep:nope"]}"#, "dep:nope"),
            (r#"{"x":["nope"]}"#, "nope"),
        ] {
            let err = CrateSummary::from_index_line(&line(features), "a", "1.0.0").unwrap_err();
            assert!(err.contains(named) && err.contains("a 1.0.0"), "{err}");
        }
    }
}
