//! Fuzzes pdm.lock through src/resolve/pdm.rs (entry point: chainward::fuzzing::pdm_lock).
#![no_main]
chainward_fuzz::target!(pdm_lock);
