//! Fuzzes pip requirements files through src/resolve/requirements.rs (entry point: chainward::fuzzing::requirements_txt).
#![no_main]
chainward_fuzz::target!(requirements_txt);
