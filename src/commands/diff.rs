//! `chainward diff BASE [HEAD]`: the scan pipeline between two revisions (see
//! [`super::scan`]): what changed per lockfile, each package with its new findings. `scan
//! --base` runs the same comparison.

use std::collections::{BTreeMap, BTreeSet};

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
        let mut gone: Vec<&(String, Option<usize>)> =
            before.iter().copied().filter(|(v, _)| !after.iter().any(|(w, _)| w == v)).collect();
        let mut new: Vec<&(String, Option<usize>)> =
            after.iter().copied().filter(|(v, _)| !before.iter().any(|(w, _)| w == v)).collect();
        let order = |a: &&(String, Option<usize>), b: &&(String, Option<usize>)| match (
            crate::advisory::version::Version::parse(*ecosystem, &a.0),
            crate::advisory::version::Version::parse(*ecosystem, &b.0),
        ) {
            (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
            _ => a.0.cmp(&b.0),
        };
        gone.sort_by(order);
        new.sort_by(order);
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
