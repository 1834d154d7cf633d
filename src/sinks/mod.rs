//! Where records go: the embedded SQLite database (default), PostgreSQL, and JSON Lines; and the list
//! of failed and partial documents (`--errors`).

pub mod errors;
pub mod jsonl;
pub mod postgres;
pub mod sink;
pub mod sqlite;

pub use errors::ErrorsSink;
pub use jsonl::JsonlSink;
pub use postgres::PostgresSink;
pub use sink::Sink;
pub use sqlite::SqliteSink;
