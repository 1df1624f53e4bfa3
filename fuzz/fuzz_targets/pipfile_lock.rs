//! Fuzzes Pipfile.lock through src/resolve/pipfile.rs (entry point: chainward::fuzzing::pipfile_lock).
#![no_main]
chainward_fuzz::target!(pipfile_lock);
