//! The `chainward` binary: parse arguments, read the environment, run, map the exit status.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Third-party parsers fed untrusted input can panic; such a panic is contained, becomes an
    // error naming the file, and prints nothing here (its message is attacker text). Any other
    // panic is a bug in chainward: one sanitised line, then exit 2.
    std::panic::set_hook(Box::new(|info| {
        if chainward::panics::is_contained() {
            return;
        }
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "error: internal error, please report it: {}{at}",
            chainward::sanitize::diagnostic(&message)
        );
    }));
    let cli = chainward::cli::Cli::parse();
    let cache_dir = std::env::var_os("CHAINWARD_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| directories::ProjectDirs::from("", "", "chainward").map(|d| d.cache_dir().to_path_buf()));
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let now = match var("CHAINWARD_NOW") {
        Some(t) => match time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339) {
            Ok(t) => Some(std::time::SystemTime::from(t)),
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "error: CHAINWARD_NOW must be an RFC 3339 time, got `{}`: {e}",
                    chainward::sanitize::value(&t)
                );
                return ExitCode::from(chainward::ExitStatus::Error.code());
            }
        },
        None => None,
    };
    let env = chainward::Env {
        source_date_epoch: var("SOURCE_DATE_EPOCH"),
        cache_dir,
        rustsec_url: var("CHAINWARD_RUSTSEC_URL"),
        osv_url: var("CHAINWARD_OSV_URL"),
        now,
        crates_io_index_url: var("CHAINWARD_CRATES_IO_INDEX_URL"),
        crates_io_api_url: var("CHAINWARD_CRATES_IO_API_URL"),
        npm_registry_url: var("CHAINWARD_NPM_REGISTRY_URL"),
        pypi_url: var("CHAINWARD_PYPI_URL"),
        cargo_home: std::env::var_os("CARGO_HOME").filter(|v| !v.is_empty()).map(std::path::PathBuf::from).or_else(
            || std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| std::path::PathBuf::from(h).join(".cargo")),
        ),
        rustflags: match (var("CARGO_ENCODED_RUSTFLAGS"), var("RUSTFLAGS")) {
            (Some(encoded), _) => encoded.split('\x1f').map(str::to_owned).collect(),
            (None, Some(flags)) => flags.split_whitespace().map(str::to_owned).collect(),
            (None, None) => Vec::new(),
        },
        database_url: var("CHAINWARD_DATABASE_URL"),
        data_dir: std::env::var_os("CHAINWARD_DATA_DIR")
            .filter(|d| !d.is_empty())
            .map(std::path::PathBuf::from)
            .or_else(|| directories::ProjectDirs::from("", "", "chainward").map(|d| d.data_dir().to_path_buf())),
        github_actions: var("GITHUB_ACTIONS").is_some_and(|v| v == "true"),
        github_step_summary: std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()).map(Into::into),
        github_output: std::env::var_os("GITHUB_OUTPUT").filter(|v| !v.is_empty()).map(Into::into),
    };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    // Rust's stdout silently discards writes when file descriptor 1 is closed (`chainward scan
    // >&-`): the report would be lost with exit 0. Such a stdout fails every write instead.
    let closed = stdout_is_closed();
    let mut stdout = BrokenPipeOk { inner: stdout.lock(), closed };
    let stderr_is_terminal = std::io::IsTerminal::is_terminal(&stderr);
    let mut stderr = stderr.lock();
    let status = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        chainward::run(
            &cli,
            &env,
            &mut chainward::Output { stdout: &mut stdout, stderr: &mut stderr, stderr_is_terminal },
        )
    }))
    .unwrap_or(chainward::ExitStatus::Error);
    let _ = stdout.flush();
    ExitCode::from(status.code())
}

/// Whether file descriptor 1 was closed when the process started (`chainward scan >&-`). The
/// Rust runtime reopens a closed standard descriptor on `/dev/null` read-write before `main`, so
/// the report would vanish with exit 0; a shell's `>/dev/null` opens it write-only, which is
/// how the two are told apart (Linux: `/proc/self/fdinfo/1`).
#[cfg(target_os = "linux")]
fn stdout_is_closed() -> bool {
    const O_ACCMODE: u32 = 0o3;
    const O_RDWR: u32 = 0o2;
    let is_null = std::fs::read_link("/proc/self/fd/1").is_ok_and(|p| p == std::path::Path::new("/dev/null"));
    is_null
        && std::fs::read_to_string("/proc/self/fdinfo/1").is_ok_and(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
                .is_some_and(|flags| flags & O_ACCMODE == O_RDWR)
        })
}

#[cfg(not(target_os = "linux"))]
fn stdout_is_closed() -> bool {
    false
}

/// The report's writer: a closed pipe (`chainward sbom | head`: the reader has what it wanted)
/// is success; a closed stdout is an error on the first write.
struct BrokenPipeOk<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> BrokenPipeOk<W> {
    fn closed_error() -> std::io::Error {
        std::io::Error::other("standard output is closed, so the report cannot be written (use -o FILE)")
    }
}

impl<W: Write> Write for BrokenPipeOk<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Err(Self::closed_error());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Err(Self::closed_error());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
