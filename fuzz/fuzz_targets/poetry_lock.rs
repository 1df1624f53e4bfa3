//! Fuzzes poetry.lock through src/resolve/poetry.rs (entry point: chainward::fuzzing::poetry_lock).
#![no_main]
chainward_fuzz::target!(poetry_lock);
