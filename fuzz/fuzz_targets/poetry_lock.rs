#![no_main]
chainward_fuzz::target!(poetry_lock);
