macros::hello!();

fn main() {
    let _ = json::to_string(&1u8);
    let _ = corelib::answer();
}
