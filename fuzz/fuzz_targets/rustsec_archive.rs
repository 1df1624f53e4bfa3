#![no_main]
chainward_fuzz::target!(rustsec_archive);
