fn main() {
    let _ = sqlx::postgres::PgPoolOptions::new();
}
