#![no_main]
use std::path::PathBuf;
use std::sync::OnceLock;

/// A scratch directory of this process, for the zip the loader reads from a path.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("chainward-fuzz-osv-zip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| chainward::fuzzing::osv_zip(data, scratch()));
