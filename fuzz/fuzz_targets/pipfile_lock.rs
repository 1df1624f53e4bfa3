#![no_main]
chainward_fuzz::target!(pipfile_lock);
