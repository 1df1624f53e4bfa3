fn main() {
    r1util::hi();
}
