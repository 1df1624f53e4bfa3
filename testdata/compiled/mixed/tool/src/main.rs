fn main() {
    let _ = memchr::memchr(b'a', b"abc");
    let _ = corelib::answer();
}
