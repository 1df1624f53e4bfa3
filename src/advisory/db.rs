//! Where advisories come from: `--db PATH` (repeatable), each a RustSec advisory-db directory,
//! a directory of OSV JSON files, or an OSV zip.

use std::path::{Path, PathBuf};

use super::{AdvisoryError, Index, SourceInfo, osv, rustsec};

/// Load every `--db` path into one index. A path that cannot be read at all is an error; bad
/// records inside a source are collected in [`Index::errors`] and skipped.
pub fn load(paths: &[PathBuf]) -> Result<Index, AdvisoryError> {
    let mut index = Index::default();
    for path in paths {
        load_one(&mut index, path)?;
    }
    Ok(index)
}

fn load_one(index: &mut Index, path: &Path) -> Result<(), AdvisoryError> {
    let label = path.display().to_string();
    if !path.exists() {
        return Err(AdvisoryError { path: label, record: None, message: "no such file or directory".to_owned() });
    }
    if path.is_dir() && rustsec::is_rustsec_dir(path) {
        let loaded = rustsec::load(path)?;
        index.sources.push(SourceInfo { name: "rustsec".to_owned(), path: label, records: loaded.advisories.len() });
        index.errors.extend(loaded.errors);
        index.extend(loaded.advisories);
        return Ok(());
    }
    let loaded = osv::load(path)?;
    if loaded.advisories.is_empty() && loaded.errors.is_empty() && loaded.withdrawn == 0 {
        return Err(AdvisoryError {
            path: label,
            record: None,
            message: "no advisories found (expected a RustSec advisory-db checkout, OSV JSON files or an OSV zip)"
                .to_owned(),
        });
    }
    index.sources.push(SourceInfo { name: "osv".to_owned(), path: label, records: loaded.advisories.len() });
    index.errors.extend(loaded.errors);
    index.extend(loaded.advisories);
    Ok(())
}
