#![no_main]
chainward_fuzz::target!(npm_response);
