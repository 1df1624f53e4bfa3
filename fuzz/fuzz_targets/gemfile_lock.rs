//! Fuzzes Gemfile.lock through src/resolve/gemfile.rs (entry point: chainward::fuzzing::gemfile_lock).
#![no_main]
chainward_fuzz::target!(gemfile_lock);
