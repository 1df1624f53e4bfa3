//! Fuzzes composer.lock through src/resolve/composer.rs (entry point: chainward::fuzzing::composer_lock).
#![no_main]
chainward_fuzz::target!(composer_lock);
