//! Build script: exports the target triple chainward is compiled for as
//! `CHAINWARD_HOST_TRIPLE`, the platform cargo builds for by default on the machine chainward
//! runs on (`compiled::platform::Platform::host`). Nothing else.

use std::env;
use std::io::Write as _;

fn main() {
    // Cargo always sets `TARGET` for build scripts; `HOST` is the same triple unless
    // cross-compiling. Neither missing nor non-UTF-8 fails the build: an unknown triple is
    // reported at run time when the host platform is asked for.
    let triple = env::var("TARGET").or_else(|_| env::var("HOST")).unwrap_or_else(|_| "unknown".to_owned());
    let triple: String = triple.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    let mut out = std::io::stdout().lock();
    // A build script that cannot write to cargo has nothing better to do than let cargo report
    // the missing variable when `env!` is expanded.
    let _ = writeln!(out, "cargo:rustc-env=CHAINWARD_HOST_TRIPLE={triple}");
    let _ = writeln!(out, "cargo:rerun-if-changed=build.rs");
}
