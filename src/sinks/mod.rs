//! Where records go: the embedded SQLite database (default) and JSON Lines.

pub mod jsonl;
pub mod sqlite;

pub use jsonl::JsonlSink;
pub use sqlite::SqliteSink;
