//! The merged dependency graph of every lockfile of a scan, with stable ids, sorted so that every
//! output is deterministic.

use std::collections::BTreeSet;

use super::package::{LineSpan, Package, Scope};
use crate::resolve::Resolved;

/// The component a lockfile describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootComponent {
    /// One of the lockfile's packages (the root `[package]` of its workspace).
    Package(usize),
    /// A virtual workspace, or a lockfile without a manifest: a component that is not a package.
    Synthetic {
        /// Name (the workspace directory's name).
        name: String,
        /// What it depends on (indices into the lockfile's packages).
        depends_on: BTreeSet<usize>,
    },
}

/// One package of the merged graph.
#[derive(Debug, Clone)]
pub struct Node {
    /// Stable id, unique by construction ([`super::Package::id_with`]: the purl, or
    /// `path:DIR#NAME@VERSION`, ...); also the CycloneDX `bom-ref`. Packages with the same id in
    /// several lockfiles are one node.
    pub id: String,
    /// The purl, when the package has one.
    pub purl: Option<String>,
    /// The package (facts merged across lockfiles). Its `dependencies` is empty: indices into
    /// one lockfile's list mean nothing here; [`Node::depends_on`] has the edges.
    pub package: Package,
    /// Ids of its dependencies.
    pub depends_on: BTreeSet<String>,
    /// Lockfiles it appears in, with the line span of its block there.
    pub lockfiles: Lockfiles,
}

/// The lockfiles a node appears in, by path, with the line span of its block in each: a list
/// sorted by path, without repeats. Nearly every node is in one lockfile, where a `BTreeMap`'s
/// first node alone took 540 bytes (half a gigabyte for a million packages).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lockfiles(Vec<(String, Option<LineSpan>)>);

impl Lockfiles {
    /// One lockfile.
    pub fn one(path: String, lines: Option<LineSpan>) -> Lockfiles {
        Lockfiles(vec![(path, lines)])
    }

    /// Add a lockfile, or replace its span when it is there already (then the old span is
    /// returned), as `BTreeMap::insert` does.
    pub fn insert(&mut self, path: String, lines: Option<LineSpan>) -> Option<Option<LineSpan>> {
        match self.0.binary_search_by(|(p, _)| p.as_str().cmp(&path)) {
            Ok(i) => self.0.get_mut(i).map(|(_, old)| std::mem::replace(old, lines)),
            Err(i) => {
                self.0.insert(i, (path, lines));
                None
            }
        }
    }

    /// The paths, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(p, _)| p)
    }

    /// (path, span), sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Option<LineSpan>)> {
        self.0.iter().map(|(p, l)| (p, l))
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// None.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The synthetic or real component the whole graph describes.
#[derive(Debug, Clone)]
pub struct GraphRoot {
    /// Its id (`bom-ref`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Version, when it is a package.
    pub version: Option<String>,
    /// When the root is one of the packages, its node (removed from [`Graph::nodes`]).
    pub node: Option<Node>,
    /// Ids of what it depends on.
    pub depends_on: BTreeSet<String>,
}

/// Up to this many dependencies, a node's set is built by insertions (see `Graph::merge`).
const SMALL: usize = 8;

/// The root of one lockfile, before merging.
struct LockRoot {
    id: String,
    name: String,
    version: Option<String>,
    depends_on: BTreeSet<String>,
    is_package: bool,
}

/// Every package of every lockfile, merged by id.
#[derive(Debug, Clone)]
pub struct Graph {
    /// The component the graph describes.
    pub root: GraphRoot,
    /// Packages sorted by id, without the root.
    pub nodes: Vec<Node>,
}

impl Graph {
    /// Merge resolved lockfiles. `scan_name` names the synthetic root when several lockfiles
    /// (or none) are merged.
    ///
    /// Memory: the nodes are one vector (sorted by id at the end), found by id through a
    /// temporary index once a second lockfile may repeat their ids, and each package's
    /// `dependencies` (indices into its own lockfile's list, meaningless in the merged graph:
    /// [`Node::depends_on`] has the edges) is emptied.
    pub fn merge(resolved: Vec<Resolved>, scan_name: &str) -> Graph {
        let total: usize = resolved.iter().map(|r| r.packages.len()).sum();
        let mut nodes: Vec<Node> = Vec::with_capacity(total);
        // The nodes by id, made once a lockfile may repeat an id already seen: the first
        // lockfile's ids (unique, checked) need none.
        let mut index: Option<foldhash::HashMap<String, usize>> = None;
        let mut roots: Vec<LockRoot> = Vec::new();
        let mut ranks: Vec<usize> = Vec::new();
        // While all the nodes are the first lockfile's (no index), their positions in the order
        // of their ids, from that lockfile's sort: the nodes need not be sorted again.
        let mut nodes_by_id: Option<Vec<usize>> = None;
        for r in resolved {
            let purls: Vec<Option<String>> = r.packages.iter().map(Package::purl).collect();
            let mut ids: Vec<String> =
                r.packages.iter().zip(&purls).map(|(p, purl)| p.id_with(purl.as_deref())).collect();
            // The packages in the order of their ids, and each one's place in it: a package's
            // dependencies are put in order by place, then their ids cloned already sorted.
            let by_id = sorted_order(&ids.iter().map(String::as_str).collect::<Vec<_>>());
            let mut place = vec![0; ids.len()];
            for (k, &i) in by_id.iter().enumerate() {
                if let Some(slot) = place.get_mut(i) {
                    *slot = k;
                }
            }
            let unique = by_id.windows(2).all(|w| matches!(w, [a, b] if ids.get(*a) != ids.get(*b)));
            let mut deps_of = |dependencies: &BTreeSet<usize>| -> BTreeSet<String> {
                ranks.clear();
                ranks.extend(dependencies.iter().filter_map(|&j| place.get(j)));
                ranks.sort_unstable();
                ranks.dedup();
                let sorted = ranks.iter().filter_map(|&k| by_id.get(k).and_then(|&j| ids.get(j)));
                if ranks.len() <= SMALL {
                    // In order, each insertion compares with the few before it: no vector to
                    // collect and check for order first, as `collect` does.
                    let mut set = BTreeSet::new();
                    for id in sorted {
                        set.insert(id.clone());
                    }
                    set
                } else {
                    sorted.cloned().collect()
                }
            };
            match &r.root {
                RootComponent::Package(i) => {
                    if let (Some(id), Some(p)) = (ids.get(*i), r.packages.get(*i)) {
                        roots.push(LockRoot {
                            id: id.clone(),
                            name: p.name.clone(),
                            version: Some(p.version.clone()).filter(|v| !v.is_empty()),
                            depends_on: deps_of(&p.dependencies),
                            is_package: true,
                        });
                    }
                }
                RootComponent::Synthetic { name, depends_on } => {
                    roots.push(LockRoot {
                        id: format!("workspace:{}", crate::resolve::cargo::parent_dir(&r.path)),
                        name: name.clone(),
                        version: None,
                        depends_on: deps_of(depends_on),
                        is_package: false,
                    });
                }
            }
            if index.is_none() && !(nodes.is_empty() && unique) {
                let mut by_node =
                    foldhash::HashMap::with_capacity_and_hasher(total, foldhash::fast::RandomState::default());
                by_node.extend(nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)));
                index = Some(by_node);
                nodes_by_id = None;
            }
            // Each package's node, while there is no index.
            let mut node_of = if index.is_none() { vec![usize::MAX; ids.len()] } else { Vec::new() };
            // Last to first, the list shrinking as the nodes grow: a lockfile's packages and
            // their nodes are not both held whole. (Within one lockfile ids are unique: the
            // order does not matter.)
            let mut packages = r.packages;
            let mut purls = purls;
            while let (Some(mut p), Some(purl)) = (packages.pop(), purls.pop()) {
                let Some(id) = ids.get(packages.len()) else { continue };
                if packages.capacity() > 4096 && packages.len() < packages.capacity() / 2 {
                    packages.shrink_to_fit();
                }
                let deps = deps_of(&std::mem::take(&mut p.dependencies));
                let Some(index) = &mut index else {
                    if let Some(slot) = node_of.get_mut(packages.len()) {
                        *slot = nodes.len();
                    }
                    // Its id is moved in once no more dependencies need it (below).
                    let lockfiles = Lockfiles::one(r.path.clone(), p.lines);
                    nodes.push(Node { id: String::new(), purl, package: p, depends_on: deps, lockfiles });
                    continue;
                };
                if let Some(node) = index.get(id).and_then(|&i| nodes.get_mut(i)) {
                    merge_package(&mut node.package, &p);
                    node.depends_on.extend(deps);
                    node.lockfiles.insert(r.path.clone(), p.lines);
                } else {
                    let lockfiles = Lockfiles::one(r.path.clone(), p.lines);
                    index.insert(id.clone(), nodes.len());
                    nodes.push(Node { id: id.clone(), purl, package: p, depends_on: deps, lockfiles });
                }
            }
            if index.is_none() {
                for (id, &k) in ids.iter_mut().zip(&node_of) {
                    if let Some(node) = nodes.get_mut(k) {
                        node.id = std::mem::take(id);
                    }
                }
                nodes_by_id =
                    Some(by_id.iter().filter_map(|&i| node_of.get(i).copied().filter(|&k| k != usize::MAX)).collect());
            }
        }
        let mut take = |id: &str| {
            let i = match &mut index {
                Some(index) => index.remove(id)?,
                None => nodes.iter().position(|n| n.id == id)?,
            };
            if let Some(order) = &mut nodes_by_id {
                // The last node takes the place of the one removed.
                let last = nodes.len() - 1;
                order.retain(|&k| k != i);
                if let Some(k) = order.iter_mut().find(|k| **k == last) {
                    *k = i;
                }
            }
            Some(nodes.swap_remove(i))
        };

        let root = if let [only] = roots.as_slice() {
            let node = if only.is_package { take(&only.id) } else { None };
            GraphRoot {
                id: only.id.clone(),
                name: only.name.clone(),
                version: only.version.clone(),
                node,
                depends_on: only.depends_on.clone(),
            }
        } else {
            // Several lockfiles (or none): a synthetic root for the scanned tree that depends on
            // each lockfile's root package, or on a virtual workspace's members.
            let mut depends_on = BTreeSet::new();
            for r in &roots {
                if r.is_package {
                    depends_on.insert(r.id.clone());
                } else {
                    depends_on.extend(r.depends_on.iter().cloned());
                }
            }
            GraphRoot {
                id: format!("root:{scan_name}"),
                name: scan_name.to_owned(),
                version: None,
                node: None,
                depends_on,
            }
        };
        drop(index);
        // Ids are unique: the order is total, and the same as sorting by id with a stable sort.
        // The order is found on indices, then applied in place one cycle at a time, so that each
        // node moves about once: sorting the nodes themselves (600 bytes each) moved each of them
        // log n times.
        let mut order = match nodes_by_id {
            Some(order) if order.len() == nodes.len() => order,
            _ => sorted_order(&nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>()),
        };
        permute(&mut nodes, &mut order);
        if nodes.capacity() > 2 * nodes.len() {
            nodes.shrink_to_fit();
        }
        Graph { root, nodes }
    }
}

/// The indices of `ids` in the order of the ids (byte order, as `str`'s `Ord`; equal ids in
/// any order).
///
/// Sorted on the 24 bytes after the prefix all the ids share, as three `u64`s (ids shorter than
/// that padded with zeros), the ids themselves compared only where those are equal: comparing
/// the strings spent most of the sort in `memcmp` calls, past `pkg:cargo/` in most ids.
fn sorted_order(ids: &[&str]) -> Vec<usize> {
    let first = ids.first().map_or(&b""[..], |id| id.as_bytes());
    let shared = ids.iter().fold(first.len(), |shared, id| {
        first.iter().zip(id.as_bytes()).take(shared).take_while(|(a, b)| a == b).count()
    });
    let mut keyed: Vec<([u64; 3], usize)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut bytes = [0u8; 24];
            for (k, b) in bytes.iter_mut().zip(id.as_bytes().get(shared..).unwrap_or_default()) {
                *k = *b;
            }
            let (words, _) = bytes.as_chunks::<8>();
            let mut key = [0u64; 3];
            for (k, w) in key.iter_mut().zip(words) {
                *k = u64::from_be_bytes(*w);
            }
            (key, i)
        })
        .collect();
    keyed.sort_unstable_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| ids.get(*a).cmp(&ids.get(*b))));
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Reorder `items` so that the item at `order[k]` ends at `k` (`order` is a permutation of the
/// indices; it is consumed).
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut k = start;
        // Follow the cycle through `start`: each step puts one item in its place.
        while let Some(&j) = order.get(k) {
            if let Some(slot) = order.get_mut(k) {
                *slot = k;
            }
            if j == start || j == k {
                break;
            }
            items.swap(k, j);
            k = j;
        }
    }
}

/// Merge the facts of the same package seen in another lockfile.
fn merge_package(into: &mut Package, other: &Package) {
    into.first_party |= other.first_party;
    into.direct |= other.direct;
    // The most compiled status wins (runtime before build, dev, no); unknown when one is.
    into.compiled = match (into.compiled.take(), &other.compiled) {
        (Some(a), Some(b)) => Some(if b.status < a.status { b.clone() } else { a }),
        _ => None,
    };
    // The widest use wins: required over optional over excluded; unknown unless both know.
    into.scope = match (into.scope, other.scope) {
        (Some(Scope::Required), _) | (_, Some(Scope::Required)) => Some(Scope::Required),
        (None, _) | (_, None) => None,
        (Some(Scope::Optional), _) | (_, Some(Scope::Optional)) => Some(Scope::Optional),
        (Some(Scope::Excluded), Some(Scope::Excluded)) => Some(Scope::Excluded),
    };
    if into.scope == Some(Scope::Excluded) {
        into.reached_by.extend(other.reached_by.iter().copied());
    } else {
        into.reached_by.clear();
    }
    if into.checksums.is_empty() {
        into.checksums.clone_from(&other.checksums);
    }
    if into.alias.is_none() {
        into.alias.clone_from(&other.alias);
    }
    if into.install_script.is_none() {
        into.install_script = other.install_script;
    }
    into.bundled &= other.bundled;
    if into.platform.is_none() {
        into.platform.clone_from(&other.platform);
    }
    if !other.groups.is_empty() {
        into.groups.extend(other.groups.iter().cloned());
        into.groups.sort();
        into.groups.dedup();
    }
    // Pinned somewhere is not enough: the unpinned requirement still names an unknown version.
    if into.unpinned.is_none() {
        into.unpinned.clone_from(&other.unpinned);
    }
    if into.meta.is_empty() {
        into.meta = other.meta.clone();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn permute_applies_an_order_in_place() {
        // Random lists of 6 items, put in order through their sorted indices, against a plain sort.
        let mut seed = 7u64;
        for _ in 0..500 {
            let mut items: Vec<u64> = (0..6)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    seed >> 33
                })
                .collect();
            let mut sorted = items.clone();
            sorted.sort_unstable();
            let mut order: Vec<usize> = (0..items.len()).collect();
            order.sort_unstable_by_key(|&i| items[i]);
            super::permute(&mut items, &mut order);
            assert_eq!(items, sorted);
        }
    }
}
