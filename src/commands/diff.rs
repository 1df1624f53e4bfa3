//! `chainward diff BASE [HEAD]`: the scan pipeline between two revisions (see
//! [`super::scan`]): what changed per lockfile, each package with its new findings. `scan
//! --base` runs the same comparison.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::advisory::version::Version;

use crate::cli::{Cli, DiffArgs};
use crate::model::Ecosystem;
use crate::report::{Changes, PackageChange};
use crate::{Env, Error, ExitStatus, Output};

use super::scan::Request;

pub(crate) fn run(cli: &Cli, args: &DiffArgs, env: &Env, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let request = Request {
        path: &args.path,
        base: Some(&args.base),
        head: args.head.as_deref(),
        staged: false,
        common: &args.common,
    };
    super::scan::pipeline(cli, &request, env, out)
}

/// (lockfile, ecosystem, name) → every version in that lockfile, with the line of its block.
pub(crate) type Versions = BTreeMap<(String, Ecosystem, String), Vec<(String, Option<usize>)>>;

/// Versions in the ecosystem's order: those that parse first (by version), then the others (by
/// text). A total order: a comparator that mixed the two could be inconsistent (`1.10` < `1.5x`
/// < `1.9` < `1.10`), and sorting by one may panic.
fn in_version_order<'a>(ecosystem: Ecosystem, versions: impl Iterator<Item = VersionLine<'a>>) -> Vec<VersionLine<'a>> {
    let mut keyed: Vec<(Option<Version>, VersionLine<'a>)> =
        versions.map(|v| (Version::parse(ecosystem, &v.0).ok(), v)).collect();
    crate::advisory::version::sort_tolerant_by(&mut keyed, |(a, x), (b, y)| match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal).then_with(|| x.0.cmp(&y.0)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => x.0.cmp(&y.0),
    });
    keyed.into_iter().map(|(_, v)| v).collect()
}

/// A version in a lockfile, with the line of its block.
type VersionLine<'a> = &'a (String, Option<usize>);

/// Added, removed and updated packages between two sides. Per (lockfile, ecosystem, name),
/// versions present on one side only are paired in version order into updates; the rest are
/// additions or removals.
pub(crate) fn change_set(base: &Versions, head: &Versions) -> Changes {
    let mut changes = Changes::default();
    let keys: BTreeSet<&(String, Ecosystem, String)> = base.keys().chain(head.keys()).collect();
    for key in keys {
        let (path, ecosystem, name) = key;
        let before: Vec<&(String, Option<usize>)> = base.get(key).into_iter().flatten().collect();
        let after: Vec<&(String, Option<usize>)> = head.get(key).into_iter().flatten().collect();
        // Linear in the versions of a name (a lockfile may hold thousands), each version parsed once.
        let before_set: HashSet<&str> = before.iter().map(|(v, _)| v.as_str()).collect();
        let after_set: HashSet<&str> = after.iter().map(|(v, _)| v.as_str()).collect();
        let gone =
            in_version_order(*ecosystem, before.iter().copied().filter(|(v, _)| !after_set.contains(v.as_str())));
        let new = in_version_order(*ecosystem, after.iter().copied().filter(|(v, _)| !before_set.contains(v.as_str())));
        let change = |(version, line): &(String, Option<usize>), previous: Option<String>| PackageChange {
            ecosystem: ecosystem.as_str().to_owned(),
            name: name.clone(),
            version: version.clone(),
            previous,
            path: path.clone(),
            line: *line,
        };
        let pairs = gone.len().min(new.len());
        for (old, now) in gone.iter().zip(&new) {
            changes.updated.push(change(now, Some(old.0.clone())));
        }
        for now in new.iter().skip(pairs) {
            changes.added.push(change(now, None));
        }
        for old in gone.iter().skip(pairs) {
            changes.removed.push(change(old, None));
        }
    }
    changes
}
