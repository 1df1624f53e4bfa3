//! Fuzzes cargo's `.cache` index files, published manifests and `.crate` archives as src/registry/cargo_home.rs reads them (entry point: chainward::fuzzing::cargo_index_cache).
#![no_main]
chainward_fuzz::target!(cargo_index_cache);
