//! Building a [`Snapshot`] (what `inventory add` stores) from lockfiles chainward resolved, or
//! from any CycloneDX JSON SBOM.

use std::collections::HashMap;

use super::{Component, PackageKey, Snapshot};
use crate::model::{Graph, Node, Scope};
use crate::sbom::input::SbomInput;

/// The most components one revision may have (a bound on untrusted input: far above any real
/// project, far below what would exhaust memory).
pub const MAX_COMPONENTS: usize = 2_000_000;

fn scope_name(scope: Option<Scope>) -> Option<String> {
    scope.map(|s| {
        match s {
            Scope::Required => "required",
            Scope::Optional => "optional",
            Scope::Excluded => "excluded",
        }
        .to_owned()
    })
}

/// The package a node is, when advisories can be matched against it: a registry package of its
/// ecosystem with a pinned version (a git or path package is not the published package of that
/// name), as `scan` decides.
fn node_package(node: &Node) -> Option<PackageKey> {
    let p = &node.package;
    (p.source.is_default_registry() && p.unpinned.is_none() && !p.version.is_empty()).then(|| PackageKey {
        ecosystem: p.ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
        purl: node.purl.clone(),
    })
}

/// The snapshot of a resolved graph (`chainward`'s own resolution of a tree's lockfiles).
pub fn from_graph(graph: &Graph, project: &str, revision: &str) -> Snapshot {
    let mut components = Vec::with_capacity(graph.nodes.len() + 1);
    components.push(Component {
        bom_ref: graph.root.id.clone(),
        package: graph.root.node.as_ref().and_then(node_package),
        scope: None,
    });
    let mut index: HashMap<&str, u32> = HashMap::with_capacity(graph.nodes.len() + 1);
    index.insert(graph.root.id.as_str(), 0);
    for node in &graph.nodes {
        let i = u32::try_from(components.len()).unwrap_or(u32::MAX);
        index.insert(node.id.as_str(), i);
        components.push(Component {
            bom_ref: node.id.clone(),
            package: node_package(node),
            scope: scope_name(node.package.scope),
        });
    }
    let mut edges = Vec::new();
    for id in &graph.root.depends_on {
        if let Some(&to) = index.get(id.as_str()) {
            edges.push((0, to));
        }
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        let from = u32::try_from(i + 1).unwrap_or(u32::MAX);
        for id in &node.depends_on {
            if let Some(&to) = index.get(id.as_str()) {
                edges.push((from, to));
            }
        }
    }
    finish(project, revision, "chainward", components, edges, true)
}

/// The snapshot of a CycloneDX SBOM: its `metadata.component` is the root (or, without one, a
/// root for the project depending on every component nothing else depends on).
pub fn from_sbom(input: &SbomInput, project: &str, revision: &str) -> Snapshot {
    let graph = &input.graph;
    // Old index -> new index: the root first.
    let mut order: Vec<usize> = Vec::with_capacity(graph.components.len() + 1);
    let mut components = Vec::with_capacity(graph.components.len() + 1);
    if let Some(r) = graph.root {
        order.push(r);
    } else {
        components.push(Component { bom_ref: format!("root:{project}"), package: None, scope: None });
    }
    order.extend((0..graph.components.len()).filter(|&i| Some(i) != graph.root));
    let mut new_index = vec![0u32; graph.components.len()];
    for &old in &order {
        let Some(c) = graph.components.get(old) else { continue };
        if let Some(slot) = new_index.get_mut(old) {
            *slot = u32::try_from(components.len()).unwrap_or(u32::MAX);
        }
        components.push(Component {
            bom_ref: c.bom_ref.clone(),
            package: c.package.as_ref().map(|(ecosystem, name, version)| PackageKey {
                ecosystem: *ecosystem,
                name: name.clone(),
                version: version.clone(),
                purl: c.purl.clone(),
            }),
            scope: c.scope.clone(),
        });
    }
    let map = |i: usize| new_index.get(i).copied();
    let mut edges: Vec<(u32, u32)> = graph.edges.iter().filter_map(|&(a, b)| Some((map(a)?, map(b)?))).collect();
    // A root the graph does not start from (no metadata component, or one that `dependencies`
    // never names, as some tools write): it depends on every component nothing depends on.
    if graph.has_dependencies && !edges.iter().any(|&(from, _)| from == 0) {
        let mut pointed = vec![false; components.len()];
        for &(_, to) in &edges {
            if let Some(p) = pointed.get_mut(to as usize) {
                *p = true;
            }
        }
        for (i, p) in pointed.iter().enumerate().skip(1) {
            if !p {
                edges.push((0, u32::try_from(i).unwrap_or(u32::MAX)));
            }
        }
    }
    finish(project, revision, "sbom", components, edges, graph.has_dependencies)
}

/// Several inputs of one revision as one snapshot: a root for the project depending on each
/// input's root; components with the same bom-ref are one.
pub fn merge(mut parts: Vec<Snapshot>, project: &str, revision: &str) -> Option<Snapshot> {
    if parts.len() <= 1 {
        return parts.pop();
    }
    let mut components = vec![Component { bom_ref: format!("project:{project}"), package: None, scope: None }];
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut edges = Vec::new();
    let mut has_graph = false;
    let mut sources: Vec<String> = Vec::new();
    for part in parts {
        // An input without a graph leaves its own components without paths, not the others.
        has_graph |= part.has_graph;
        if !sources.contains(&part.source) {
            sources.push(part.source.clone());
        }
        let mut local = Vec::with_capacity(part.components.len());
        for c in part.components {
            let i = if let Some(&i) = index.get(&c.bom_ref) {
                i
            } else {
                let i = u32::try_from(components.len()).unwrap_or(u32::MAX);
                index.insert(c.bom_ref.clone(), i);
                components.push(c);
                i
            };
            local.push(i);
        }
        if let Some(&root) = local.first() {
            edges.push((0, root));
        }
        for (a, b) in part.edges {
            if let (Some(&a), Some(&b)) = (local.get(a as usize), local.get(b as usize)) {
                edges.push((a, b));
            }
        }
    }
    Some(finish(project, revision, &sources.join("+"), components, edges, has_graph))
}

fn finish(
    project: &str,
    revision: &str,
    source: &str,
    components: Vec<Component>,
    mut edges: Vec<(u32, u32)>,
    has_graph: bool,
) -> Snapshot {
    edges.retain(|(a, b)| a != b);
    edges.sort_unstable();
    edges.dedup();
    Snapshot {
        project: project.to_owned(),
        revision: revision.to_owned(),
        source: source.to_owned(),
        components,
        edges,
        has_graph,
    }
}
