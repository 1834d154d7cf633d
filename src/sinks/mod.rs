//! Where records go: the embedded SQLite database (default) and JSON Lines; and the list
//! of failed and partial documents (`--errors`).

pub mod errors;
pub mod jsonl;
pub mod sqlite;

pub use errors::ErrorsSink;
pub use jsonl::JsonlSink;
pub use sqlite::SqliteSink;
