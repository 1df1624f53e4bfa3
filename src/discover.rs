//! Which files of a source are lockfiles some resolver reads.

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::resolve::Resolver;
use crate::source::{Source, SourceError};

/// A bad `--exclude` or `--requirements` pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --{option} pattern `{pattern}`: {message}")]
pub struct ExcludeError {
    /// The option the pattern was given to (`exclude`, `requirements`).
    pub option: &'static str,
    /// The pattern.
    pub pattern: String,
    /// Why it is invalid.
    pub message: String,
}

/// What discovery takes and leaves: `--exclude` globs, matched against paths relative to the
/// scanned root (a pattern without a `/` matches at any depth: `vendor` excludes every `vendor`
/// directory; a directory pattern excludes everything below it), and `--requirements` globs
/// (same matching): files read as pip requirements files whatever their name.
#[derive(Debug, Clone)]
pub struct Excludes {
    set: GlobSet,
    requirements: GlobSet,
}

impl Excludes {
    /// Compile the `--exclude` patterns.
    pub fn new(patterns: &[String]) -> Result<Self, ExcludeError> {
        Ok(Excludes { set: glob_set(patterns, "exclude")?, requirements: GlobSet::empty() })
    }

    /// Also read the files matching these `--requirements` patterns as pip requirements files.
    pub fn with_requirements(mut self, patterns: &[String]) -> Result<Self, ExcludeError> {
        self.requirements = glob_set(patterns, "requirements")?;
        Ok(self)
    }

    /// Whether a relative path is excluded.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.set.is_match(path)
    }

    /// Whether a relative path was named by a `--requirements` pattern.
    pub fn is_requirements(&self, path: &str) -> bool {
        self.requirements.is_match(path)
    }
}

/// Compile `--exclude`-style patterns (`option` names the flag in errors).
pub(crate) fn glob_set(patterns: &[String], option: &'static str) -> Result<GlobSet, ExcludeError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let p = pattern.trim_end_matches('/');
        let p = p.strip_prefix("./").unwrap_or(p);
        // An empty pattern (`--exclude ""`, `--exclude ./`) would match every path: surely
        // not what was meant, and it would make the scan look at nothing.
        if p.trim().is_empty() || p == "." {
            let message = if option == "exclude" {
                "an empty pattern would exclude everything"
            } else {
                "an empty pattern would match every file"
            };
            return Err(ExcludeError { option, pattern: pattern.clone(), message: message.to_owned() });
        }
        let anchored = if p.contains('/') { p.to_owned() } else { format!("**/{p}") };
        for g in [anchored.clone(), format!("{anchored}/**")] {
            let glob = Glob::new(&g).map_err(|e| ExcludeError {
                option,
                pattern: pattern.clone(),
                message: e.kind().to_string(),
            })?;
            builder.add(glob);
        }
    }
    builder.build().map_err(|e| ExcludeError { option, pattern: patterns.join(", "), message: e.to_string() })
}

/// A lockfile and the resolver that reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// Path relative to the source root, `/`-separated.
    pub path: String,
    /// Index into the resolver registry.
    pub resolver: usize,
}

/// Every lockfile of `source` that a resolver claims (or a `--requirements` pattern names) and
/// `excludes` does not exclude, sorted.
pub fn discover(
    source: &dyn Source,
    resolvers: &[Box<dyn Resolver>],
    excludes: &Excludes,
) -> Result<Vec<Discovered>, SourceError> {
    let mut found = Vec::new();
    let requirements = resolvers.iter().position(|r| r.name() == "requirements");
    for file in source.files()? {
        if excludes.is_excluded(file) {
            continue;
        }
        let claimed = resolvers.iter().position(|r| r.claims(Path::new(file)));
        if let Some(resolver) = claimed.or_else(|| requirements.filter(|_| excludes.is_requirements(file))) {
            found.push(Discovered { path: file.clone(), resolver });
        }
    }
    Ok(found)
}

/// Lockfiles the package manager itself would not read because another one in the same
/// directory takes precedence: npm reads `npm-shrinkwrap.json` over `package-lock.json`, bun
/// reads `bun.lock` over `bun.lockb`. Returns what to read, and each file left out with the
/// file that supersedes it.
pub fn prefer_superseding(found: Vec<Discovered>) -> (Vec<Discovered>, Vec<(Discovered, String)>) {
    const PAIRS: [(&str, &str); 2] = [("package-lock.json", "npm-shrinkwrap.json"), ("bun.lockb", "bun.lock")];
    let paths: std::collections::HashSet<String> = found.iter().map(|d| d.path.clone()).collect();
    let mut kept = Vec::with_capacity(found.len());
    let mut left_out = Vec::new();
    for d in found {
        let (dir, name) = match d.path.rsplit_once('/') {
            Some((dir, name)) => (Some(dir), name),
            None => (None, d.path.as_str()),
        };
        let winner = PAIRS.iter().find(|(loser, _)| *loser == name).map(|(_, winner)| match dir {
            Some(dir) => format!("{dir}/{winner}"),
            None => (*winner).to_owned(),
        });
        match winner {
            Some(w) if paths.contains(&w) => left_out.push((d, w)),
            _ => kept.push(d),
        }
    }
    (kept, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_match_any_depth_and_below_directories() {
        let ex = Excludes::new(&["vendor".into(), "fixtures/*.lock".into(), "third_party/".into()]).unwrap();
        assert!(ex.is_excluded("vendor/Cargo.lock"));
        assert!(ex.is_excluded("a/b/vendor/x/Cargo.lock"));
        assert!(ex.is_excluded("fixtures/old.lock"));
        assert!(ex.is_excluded("third_party/a/Cargo.lock"));
        assert!(!ex.is_excluded("Cargo.lock"));
        assert!(!ex.is_excluded("src/vendored/Cargo.lock"));
    }

    #[test]
    fn a_shrinkwrap_supersedes_the_package_lock_and_bun_lock_the_binary_one() {
        let d = |path: &str| Discovered { path: path.to_owned(), resolver: 1 };
        let (kept, left_out) = prefer_superseding(vec![
            d("a/npm-shrinkwrap.json"),
            d("a/package-lock.json"),
            d("b/package-lock.json"),
            d("bun.lock"),
            d("bun.lockb"),
            d("c/bun.lockb"),
        ]);
        let kept: Vec<&str> = kept.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(kept, ["a/npm-shrinkwrap.json", "b/package-lock.json", "bun.lock", "c/bun.lockb"]);
        let left: Vec<(&str, &str)> = left_out.iter().map(|(d, w)| (d.path.as_str(), w.as_str())).collect();
        assert_eq!(left, [("a/package-lock.json", "a/npm-shrinkwrap.json"), ("bun.lockb", "bun.lock")]);
    }

    #[test]
    fn requirements_patterns_name_files_at_any_depth() {
        let ex = Excludes::new(&["vendor".into()])
            .unwrap()
            .with_requirements(&["deps.txt".into(), "reqs/*.pip".into()])
            .unwrap();
        assert!(ex.is_requirements("deps.txt"));
        assert!(ex.is_requirements("a/b/deps.txt"));
        assert!(ex.is_requirements("reqs/dev.pip"));
        assert!(!ex.is_requirements("x/reqs/dev.pip"));
        assert!(!ex.is_requirements("Cargo.lock"));
        let err = Excludes::new(&[]).unwrap().with_requirements(&[String::new()]).unwrap_err();
        assert_eq!(err.to_string(), "invalid --requirements pattern ``: an empty pattern would match every file");
    }

    #[test]
    fn bad_pattern_is_an_error() {
        let err = Excludes::new(&["a[".into()]).unwrap_err();
        assert_eq!(err.pattern, "a[");
    }

    #[test]
    fn an_empty_pattern_is_an_error_not_a_match_for_everything() {
        for empty in ["", " ", "/", "./", "."] {
            let err = Excludes::new(&[empty.to_owned()]).unwrap_err();
            assert!(err.message.contains("exclude everything"), "{empty:?}: {err}");
        }
        assert!(Excludes::new(&[]).is_ok_and(|e| !e.is_excluded("Cargo.lock")));
    }
}
