#![no_main]
chainward_fuzz::target!(pypi_response);
