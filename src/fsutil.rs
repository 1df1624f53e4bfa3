//! File writing shared by every stage that writes.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees a half-written file. Creates the directory when missing.
///
/// What is not a regular file is written in place instead: a device, FIFO or socket (`-o /dev/null`,
/// `-o /dev/stdout`, `-o >(jq .)`), and any path under `/dev` or `/proc`. A rename there would put a
/// regular file where the device was (as root, `/dev/null` stops being the null device for every
/// program on the machine) or fail for want of write access to `/dev`. A symlink to a regular file
/// keeps its link: the file it points to is the one replaced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if writes_in_place(path) {
        return std::fs::OpenOptions::new().write(true).truncate(true).open(path)?.write_all(bytes);
    }
    let resolved: PathBuf;
    let path = if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        // A dangling link has no target to canonicalize: it is replaced like a missing file.
        match std::fs::canonicalize(path) {
            Ok(target) => {
                resolved = target;
                &resolved
            }
            Err(_) => path,
        }
    } else {
        path
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("chainward");
    let tmp = dir.join(format!(".{name}.chainward-{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Whether `path` names something a rename must not replace (see [`write_atomically`]).
fn writes_in_place(path: &Path) -> bool {
    if path.starts_with("/dev") || path.starts_with("/proc") {
        return true;
    }
    // `metadata` follows symlinks: `/dev/stdout` and `/proc/self/fd/N` are judged by what they name.
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn replaces_a_regular_file_and_creates_missing_directories() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a/b/out.json");
        write_atomically(&file, b"first").unwrap();
        write_atomically(&file, b"second").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        let left: Vec<_> = std::fs::read_dir(file.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_symlink_keeps_pointing_at_the_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn a_fifo_is_written_in_place_not_replaced() {
        use std::os::unix::fs::FileTypeExt as _;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success(), "mkfifo failed");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                std::fs::File::open(fifo).unwrap().read_to_end(&mut got).unwrap();
                got
            })
        };
        write_atomically(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO is still a FIFO");
    }

    #[test]
    fn dev_and_proc_paths_are_never_renamed_over() {
        assert!(writes_in_place(Path::new("/dev/null")));
        assert!(writes_in_place(Path::new("/dev/stdout")));
        assert!(writes_in_place(Path::new("/proc/self/fd/1")));
        assert!(!writes_in_place(Path::new("/devices/out.json")));
        assert!(!writes_in_place(Path::new("out.json")));
    }
}
