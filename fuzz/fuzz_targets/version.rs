#![no_main]
chainward_fuzz::target!(version);
