//! Fuzzes uv.lock through src/resolve/uv.rs (entry point: chainward::fuzzing::uv_lock).
#![no_main]
chainward_fuzz::target!(uv_lock);
