#![no_main]
chainward_fuzz::target!(uv_lock);
