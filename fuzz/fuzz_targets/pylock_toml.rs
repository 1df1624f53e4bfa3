//! Fuzzes pylock.toml through src/resolve/pylock.rs (entry point: chainward::fuzzing::pylock_toml).
#![no_main]
chainward_fuzz::target!(pylock_toml);
