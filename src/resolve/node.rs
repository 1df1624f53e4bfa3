//! What the four JavaScript lockfile families (npm, yarn, pnpm, bun) share: where a `resolved`
//! string says a package comes from, the `package.json` fields that give scopes, and the scope
//! walk from typed edges. The formats themselves are one file each (`package_lock.rs`,
//! `yarn.rs`, `pnpm.rs`, `bun.rs`).

use std::collections::{BTreeMap, VecDeque};

use crate::model::{DependencyKind, GitReference, Package, PackageSource, Scope};

/// Whether `path` is named one of `names` and is not inside a `node_modules` directory (an
/// installed package's lockfile, or npm's and pnpm's own bookkeeping there, is not the
/// project's): how the four JavaScript resolvers claim files.
pub fn claims_named(path: &std::path::Path, names: &[&str]) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| names.contains(&n))
        && !path.components().any(|c| c.as_os_str() == "node_modules")
}

/// The npm registry: packages from it are matched against advisories and get a plain purl.
pub const NPM_REGISTRY: &str = "https://registry.npmjs.org";

/// Hosts that serve the npm registry itself (yarn classic writes its mirror).
const DEFAULT_REGISTRY_HOSTS: [&str; 3] = ["registry.npmjs.org", "registry.yarnpkg.com", "registry.npmjs.com"];

/// The default registry as a source.
pub fn npm_registry() -> PackageSource {
    PackageSource::Registry { url: NPM_REGISTRY.to_owned(), sparse: false, default_registry: true }
}

/// Where a package comes from, from the URL or specifier a lockfile records for it (npm's
/// `resolved`, yarn's `resolved`/`resolution`, pnpm's `tarball`/`repo`, bun's tuple):
///
/// - no URL, or a tarball of a default registry host (`registry.npmjs.org`,
///   `registry.yarnpkg.com`): the npm registry;
/// - a registry-shaped tarball URL of another host (`https://host/path/NAME/-/FILE.tgz`):
///   that registry (its URL up to the package name);
/// - `git+…`, `git://`, `git@host:…`, `github:`/`gitlab:`/`bitbucket:` shorthands: git, with
///   the commit when the fragment is one (40 hex digits), else the fragment as a reference;
/// - `file:` and `link:`: a path, relative to the lockfile's directory `lock_dir`;
/// - any other URL: a tarball that is not a registry package.
pub fn source_of(spec: Option<&str>, name: &str, lock_dir: &str) -> PackageSource {
    let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else { return npm_registry() };
    if let Some(path) = spec.strip_prefix("file:").or_else(|| spec.strip_prefix("link:")) {
        return PackageSource::Path { dir: join_dir(lock_dir, path) };
    }
    if let Some(git) = git_source(spec) {
        return git;
    }
    if spec.starts_with("http://") || spec.starts_with("https://") {
        let without_fragment = spec.split('#').next().unwrap_or(spec);
        let host = without_fragment.split("://").nth(1).and_then(|r| r.split(['/', ':']).next()).unwrap_or("");
        if DEFAULT_REGISTRY_HOSTS.contains(&host.to_ascii_lowercase().as_str()) {
            return npm_registry();
        }
        // `https://host/prefix/@scope/name/-/name-1.0.0.tgz`: a registry at `https://host/prefix`.
        let marker = format!("/{name}/-/");
        if let Some(at) = without_fragment.find(&marker) {
            let url = without_fragment.get(..at).unwrap_or(without_fragment).to_owned();
            return PackageSource::Registry { url, sparse: false, default_registry: false };
        }
        return PackageSource::Tarball { url: spec.to_owned() };
    }
    // A registry specifier (`npm:…`, a version) or anything else: the registry.
    npm_registry()
}

/// A git source from a specifier, or `None` when it is not one.
pub fn git_source(spec: &str) -> Option<PackageSource> {
    let (base, fragment) = match spec.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (spec, None),
    };
    let url = if let Some(rest) = base.strip_prefix("git+") {
        rest.to_owned()
    } else if base.starts_with("git://") || base.starts_with("ssh://") {
        base.to_owned()
    } else if let Some(rest) = base.strip_prefix("github:") {
        format!("https://github.com/{}", with_git_suffix(rest))
    } else if let Some(rest) = base.strip_prefix("gitlab:") {
        format!("https://gitlab.com/{}", with_git_suffix(rest))
    } else if let Some(rest) = base.strip_prefix("bitbucket:") {
        format!("https://bitbucket.org/{}", with_git_suffix(rest))
    } else if let Some(rest) = base.strip_prefix("git@") {
        // scp-like `git@github.com:owner/repo.git`
        format!("ssh://git@{}", rest.replacen(':', "/", 1))
    } else if (base.starts_with("https://") || base.starts_with("http://"))
        && base.to_ascii_lowercase().ends_with(".git")
        && fragment.is_some()
    {
        base.to_owned()
    } else {
        return None;
    };
    // Fragments: a commit, `commit=SHA` / `semver:…` (pnpm, yarn berry), or a branch or tag.
    let mut commit = None;
    let mut reference = None;
    if let Some(fragment) = fragment {
        for part in fragment.split('&') {
            let value = part.strip_prefix("commit=").or_else(|| part.strip_prefix("hash=")).unwrap_or(part);
            if is_commit(value) {
                commit = Some(value.to_ascii_lowercase());
            } else if !value.is_empty() && reference.is_none() && !value.contains('=') {
                reference = Some(GitReference::Rev(value.to_owned()));
            }
        }
    }
    Some(PackageSource::Git { url, reference: if commit.is_some() { None } else { reference }, commit })
}

fn with_git_suffix(path: &str) -> String {
    if path.to_ascii_lowercase().ends_with(".git") { path.to_owned() } else { format!("{path}.git") }
}

/// A full git commit id (40 hex digits, or 64 for SHA-256 repositories).
pub fn is_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && crate::model::is_hex(s)
}

/// `dir` joined with a relative `path` (`./`, `../` resolved lexically), `/`-separated, `.`
/// for the root. An absolute path stays as written.
pub fn join_dir(dir: &str, path: &str) -> String {
    let path = path.trim();
    if path.starts_with('/') {
        return path.to_owned();
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() { ".".to_owned() } else { parts.join("/") }
}

/// The fields of a `package.json` that decide scopes and workspaces. Every field is optional
/// and tolerant of the wrong type (`package.json` files in the wild are messy): what cannot be
/// read is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageJson {
    /// `name`
    pub name: Option<String>,
    /// `version`
    pub version: Option<String>,
    /// `dependencies`: name → range.
    pub dependencies: BTreeMap<String, String>,
    /// `devDependencies`
    pub dev_dependencies: BTreeMap<String, String>,
    /// `optionalDependencies`
    pub optional_dependencies: BTreeMap<String, String>,
    /// `peerDependencies`
    pub peer_dependencies: BTreeMap<String, String>,
    /// `workspaces` (the array form, or `{ "packages": [...] }`).
    pub workspaces: Vec<String>,
}

impl PackageJson {
    /// Parse a `package.json`; `Err` with serde's message when it is not a JSON object.
    pub fn parse(bytes: &[u8]) -> Result<PackageJson, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let serde_json::Value::Object(map) = value else { return Err("not a JSON object".to_owned()) };
        let string = |k: &str| map.get(k).and_then(serde_json::Value::as_str).map(str::to_owned);
        let deps = |k: &str| -> BTreeMap<String, String> {
            map.get(k)
                .and_then(serde_json::Value::as_object)
                .map(|o| o.iter().filter_map(|(n, v)| v.as_str().map(|v| (n.clone(), v.to_owned()))).collect())
                .unwrap_or_default()
        };
        let list = |v: &serde_json::Value| -> Vec<String> {
            v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
        };
        let workspaces = match map.get("workspaces") {
            Some(v @ serde_json::Value::Array(_)) => list(v),
            Some(serde_json::Value::Object(o)) => o.get("packages").map(list).unwrap_or_default(),
            _ => Vec::new(),
        };
        Ok(PackageJson {
            name: string("name"),
            version: string("version"),
            dependencies: deps("dependencies"),
            dev_dependencies: deps("devDependencies"),
            optional_dependencies: deps("optionalDependencies"),
            peer_dependencies: deps("peerDependencies"),
            workspaces,
        })
    }

    /// How this manifest declares `name`, if it does: normal (`dependencies`, and
    /// `peerDependencies`, which npm 7+ installs), optional, or dev. A name in both
    /// `dependencies` and `devDependencies` is normal, as npm treats it.
    pub fn kind_of(&self, name: &str) -> Option<DependencyKind> {
        if self.dependencies.contains_key(name) || self.peer_dependencies.contains_key(name) {
            Some(DependencyKind::Normal)
        } else if self.optional_dependencies.contains_key(name) {
            Some(DependencyKind::Optional)
        } else if self.dev_dependencies.contains_key(name) {
            Some(DependencyKind::Dev)
        } else {
            None
        }
    }
}

/// A dependency edge with the kind its declaring manifest gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edge {
    /// Index of the package depended on.
    pub to: usize,
    /// `Normal` (incl. peer), `Optional` or `Dev`. Build is not an npm kind.
    pub kind: DependencyKind,
}

/// Set `dependencies`, `direct`, `scope` and `reached_by` of every package from typed edges
/// (`edges[i]` are package `i`'s), walking from the first-party packages:
///
/// - reachable through normal edges only: `required`;
/// - else reachable without a dev edge (some optional one on every such path): `optional`;
/// - else reachable (every path has a dev edge): `excluded`, `reached_by` dev;
/// - not reachable from any first-party package: scope unknown.
///
/// First-party packages are `required`; `direct` is set for packages a first-party package
/// depends on. Edges of non-first-party packages that are dev edges are ignored, as npm ignores
/// a dependency's devDependencies.
pub fn apply_scopes(packages: &mut [Package], edges: &[Vec<Edge>]) {
    let n = packages.len();
    let first_party: Vec<usize> = (0..n).filter(|&i| packages.get(i).is_some_and(|p| p.first_party)).collect();
    let walk = |follow: &dyn Fn(DependencyKind) -> bool| -> Vec<bool> {
        let mut seen = vec![false; n];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for &s in &first_party {
            if let Some(flag) = seen.get_mut(s) {
                *flag = true;
                queue.push_back(s);
            }
        }
        while let Some(i) = queue.pop_front() {
            let from_first_party = packages.get(i).is_some_and(|p| p.first_party);
            for e in edges.get(i).map(Vec::as_slice).unwrap_or_default() {
                if e.kind == DependencyKind::Dev && !from_first_party {
                    continue;
                }
                if follow(e.kind)
                    && let Some(flag) = seen.get_mut(e.to)
                    && !*flag
                {
                    *flag = true;
                    queue.push_back(e.to);
                }
            }
        }
        seen
    };
    let required = walk(&|k| matches!(k, DependencyKind::Normal | DependencyKind::Build));
    let installed = walk(&|k| k != DependencyKind::Dev);
    let any = walk(&|_| true);
    let mut direct = vec![false; n];
    for &i in &first_party {
        for e in edges.get(i).map(Vec::as_slice).unwrap_or_default() {
            if let Some(d) = direct.get_mut(e.to) {
                *d = true;
            }
        }
    }
    for (i, p) in packages.iter_mut().enumerate() {
        let at = |v: &[bool]| v.get(i).copied().unwrap_or(false);
        p.dependencies = edges.get(i).map(|es| es.iter().map(|e| e.to).collect()).unwrap_or_default();
        p.direct = at(&direct) && !p.first_party;
        p.reached_by.clear();
        p.scope = if p.first_party || at(&required) {
            Some(Scope::Required)
        } else if at(&installed) {
            Some(Scope::Optional)
        } else if at(&any) {
            p.reached_by.insert(DependencyKind::Dev);
            Some(Scope::Excluded)
        } else {
            None
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ecosystem;

    #[test]
    fn resolved_urls_name_their_sources() {
        let npmjs = npm_registry();
        assert_eq!(source_of(None, "a", "."), npmjs);
        assert_eq!(source_of(Some("https://registry.npmjs.org/a/-/a-1.0.0.tgz"), "a", "."), npmjs);
        assert_eq!(source_of(Some("https://registry.yarnpkg.com/@s/a/-/a-1.0.0.tgz#abc"), "@s/a", "."), npmjs);
        assert_eq!(
            source_of(Some("https://npm.example.com/repo/@s/a/-/a-1.0.0.tgz"), "@s/a", "."),
            PackageSource::Registry {
                url: "https://npm.example.com/repo".into(),
                sparse: false,
                default_registry: false
            }
        );
        assert_eq!(
            source_of(Some("https://example.com/a.tgz"), "a", "."),
            PackageSource::Tarball { url: "https://example.com/a.tgz".into() }
        );
        assert_eq!(source_of(Some("file:../b"), "b", "web"), PackageSource::Path { dir: "b".into() });
        assert_eq!(source_of(Some("link:packages/c"), "c", "."), PackageSource::Path { dir: "packages/c".into() });
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            source_of(Some(&format!("git+ssh://git@github.com/o/r.git#{sha}")), "r", "."),
            PackageSource::Git {
                url: "ssh://git@github.com/o/r.git".into(),
                reference: None,
                commit: Some(sha.into())
            }
        );
        assert_eq!(
            source_of(Some("github:o/r#main"), "r", "."),
            PackageSource::Git {
                url: "https://github.com/o/r.git".into(),
                reference: Some(GitReference::Rev("main".into())),
                commit: None
            }
        );
        assert_eq!(
            source_of(Some(&format!("https://github.com/o/r.git#commit={sha}")), "r", "."),
            PackageSource::Git { url: "https://github.com/o/r.git".into(), reference: None, commit: Some(sha.into()) }
        );
    }

    #[test]
    fn scopes_take_the_widest_path() {
        let mut packages: Vec<Package> = ["app", "lib", "opt", "dev", "shared", "devdep-of-lib", "orphan"]
            .iter()
            .map(|n| Package::new(Ecosystem::Npm, (*n).into(), "1.0.0".into(), npm_registry()))
            .collect();
        packages[0].first_party = true;
        let e = |to, kind| Edge { to, kind };
        let edges = vec![
            vec![e(1, DependencyKind::Normal), e(2, DependencyKind::Optional), e(3, DependencyKind::Dev)],
            vec![e(5, DependencyKind::Dev)],
            vec![e(4, DependencyKind::Normal)],
            vec![e(4, DependencyKind::Normal)],
            vec![],
            vec![],
            vec![],
        ];
        apply_scopes(&mut packages, &edges);
        let scopes: Vec<Option<Scope>> = packages.iter().map(|p| p.scope).collect();
        assert_eq!(
            scopes,
            [
                Some(Scope::Required),
                Some(Scope::Required),
                Some(Scope::Optional),
                Some(Scope::Excluded),
                Some(Scope::Optional),
                None,
                None
            ]
        );
        assert!(packages[1].direct && packages[3].direct && !packages[4].direct);
    }
}
