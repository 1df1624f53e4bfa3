#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chainward::fuzzing::config(data));
