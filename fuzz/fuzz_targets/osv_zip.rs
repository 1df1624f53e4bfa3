#![no_main]
chainward_fuzz::target!(osv_zip);
