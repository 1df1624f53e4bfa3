//! The `chainward` binary: parse arguments, read the environment, run, map the exit status.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chainward::cli::Cli::parse();
    let cache_dir = std::env::var_os("CHAINWARD_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| directories::ProjectDirs::from("", "", "chainward").map(|d| d.cache_dir().to_path_buf()));
    let env = chainward::Env { source_date_epoch: std::env::var("SOURCE_DATE_EPOCH").ok(), cache_dir };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut stdout = BrokenPipeOk(stdout.lock());
    let mut stderr = stderr.lock();
    let status = chainward::run(&cli, &env, &mut chainward::Output { stdout: &mut stdout, stderr: &mut stderr });
    let _ = stdout.flush();
    ExitCode::from(status.code())
}

/// A writer that treats a closed pipe (`chainward sbom | head`) as success.
struct BrokenPipeOk<W>(W);

impl<W: Write> Write for BrokenPipeOk<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
