#![no_main]
chainward_fuzz::target!(go_work);
