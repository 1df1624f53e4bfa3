#![no_main]
chainward_fuzz::target!(gemfile_lock);
