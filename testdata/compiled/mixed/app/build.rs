fn main() {
    let _ = autocfg::new();
}
