#![no_main]
chainward_fuzz::target!(crates_io_response);
