//! File reading and writing shared by every stage that reads untrusted trees or writes.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A temporary file of [`write_atomically`] older than this is stale whoever wrote it.
const STALE_TEMPORARY: Duration = Duration::from_secs(60 * 60);

/// Read `path` when it is a regular file (after following symlinks) of at most `max` bytes.
///
/// The type is checked with `stat` before opening, so a FIFO is never opened (opening one for
/// reading blocks until a writer comes, possibly for ever) and a device (`/dev/zero`,
/// `/dev/urandom`) is never read; the read itself is bounded by `max` too, in case the file
/// grows or is swapped between the check and the read. Errors: `InvalidData` for something
/// that is not a regular file or is larger than `max`, or the I/O error.
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}; not read", kind_of(&meta))));
    }
    if meta.len() > max {
        return Err(too_large(meta.len(), max));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max {
        return Err(too_large(max.saturating_add(1), max));
    }
    Ok(bytes)
}

fn too_large(len: u64, max: u64) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{len} bytes, more than the {max} allowed; not read"))
}

/// What a file that is not a regular file is, for messages.
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if t.is_file() { "a regular file" } else { "not a regular file" }
}

/// Remove the temporary files that killed runs of [`write_atomically`] left in `dir`
/// (`.<name>.chainward-<pid>.tmp`, up to the size of what was written, e.g. a 256 MB compiled
/// index): those of a process that is no longer running (on systems with `/proc`), and any
/// older than an hour. Best effort; returns how many were removed.
pub fn clean_stale_temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let me = std::process::id();
    let proc_fs = Path::new("/proc/self").exists();
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_pid) else { continue };
        // Only regular files: never follow a link or descend into a directory of that name.
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.file_type().is_file() {
            continue;
        }
        let old =
            meta.modified().ok().and_then(|t| now.duration_since(t).ok()).is_some_and(|age| age > STALE_TEMPORARY);
        let dead = pid != me && proc_fs && !Path::new("/proc").join(pid.to_string()).exists();
        if (old || dead) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The pid in a temporary file name of [`write_atomically`] (`.<name>.chainward-<pid>.tmp`).
fn temporary_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = rest.rsplit_once(".chainward-")?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees a half-written file. Creates the directory when missing.
///
/// What is not a regular file is written in place instead: a device, FIFO or socket (`-o /dev/null`,
/// `-o /dev/stdout`, `-o >(jq .)`), and any path under `/dev` or `/proc`. A rename there would put a
/// regular file where the device was (as root, `/dev/null` stops being the null device for every
/// program on the machine) or fail for want of write access to `/dev`. A symlink to a regular file
/// keeps its link: the file it points to is the one replaced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// [`write_atomically`], with the content written by `write` as it is produced (a large SBOM is
/// streamed, never held whole). When `write` fails, the temporary file is removed and `path` is
/// left as it was (written in place: whatever was written so far).
pub fn write_atomically_with<E: From<std::io::Error>>(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<(), E>,
) -> Result<(), E> {
    if writes_in_place(path) {
        let file = std::fs::OpenOptions::new().write(true).truncate(true).open(path)?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        return Ok(out.flush()?);
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
    let written = (|| -> Result<(), E> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut out)?;
        out.into_inner().map_err(std::io::IntoInnerError::into_error)?.sync_all()?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    Ok(())
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
    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        let want: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let want = want.concat();
        assert_eq!(super::hex(&bytes), want);
        assert_eq!(super::hex(&[]), "");
    }

    use super::*;

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
    fn stale_temporaries_of_dead_processes_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A pid that is not running: the kernel's pid_max is at most 2^22.
        let dead = dir.path().join(".abc.bin.chainward-4999999.tmp");
        std::fs::write(&dead, b"half an index").unwrap();
        let mine = dir.path().join(format!(".abc.bin.chainward-{}.tmp", std::process::id()));
        std::fs::write(&mine, b"being written").unwrap();
        let unrelated = dir.path().join(".abc.bin.chainward-12x.tmp");
        std::fs::write(&unrelated, b"not ours").unwrap();
        let directory = dir.path().join(".d.chainward-4999998.tmp");
        std::fs::create_dir(&directory).unwrap();
        let kept = dir.path().join("abc.bin");
        std::fs::write(&kept, b"index").unwrap();
        assert_eq!(clean_stale_temporaries(dir.path()), 1);
        assert!(!dead.exists(), "a dead writer's temporary is removed");
        assert!(mine.exists() && unrelated.exists() && directory.is_dir() && kept.exists());
        assert_eq!(temporary_pid(".x.json.chainward-42.tmp"), Some(42));
        assert_eq!(temporary_pid("x.json.chainward-42.tmp"), None);
        assert_eq!(temporary_pid(".x.json.chainward-.tmp"), None);
    }

    #[test]
    fn read_regular_reads_regular_files_only_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read_regular(&file, 10).unwrap(), b"0123456789");
        let err = read_regular(&file, 9).unwrap_err();
        assert!(err.to_string().contains("more than the 9 allowed"), "{err}");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_regular(&link, 10).unwrap(), b"0123456789", "a link to a regular file is read");
        let zero = dir.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(read_regular(&zero, 1 << 30).unwrap_err().to_string().contains("a device"));
        let fifo = dir.path().join("pipe.json");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(read_regular(&fifo, 10).unwrap_err().to_string().contains("a FIFO"), "not opened, so no hang");
        assert!(read_regular(dir.path(), 10).unwrap_err().to_string().contains("a directory"));
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

/// Lowercase hexadecimal of `bytes` (the cache's file names are digests written so).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0')));
        }
    }
    out
}
