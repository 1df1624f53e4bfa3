//! Fuzzes the `history` walk cache files (postcard) as src/history/cache.rs decodes them (entry point: chainward::fuzzing::history_cache).
#![no_main]
chainward_fuzz::target!(history_cache);
