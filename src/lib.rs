//! nianbao (年报): Chinese government information-disclosure annual reports → checked,
//! structured records.
//!
//! The library is the whole pipeline; `main.rs` is a thin CLI over it.
//! Data flow: [`sources`] → [`extract::decode`] → [`extract::interpret`] →
//! [`extract::check`] → [`sinks`], run as stages by [`pipeline`].

pub mod budget;
pub mod checks;
pub mod config;
pub mod document;
pub mod export;
pub mod extract;
pub mod fingerprint;
pub mod formats;
pub mod gazetteer;
pub mod logging;
pub mod ocr;
pub mod outcomes;
pub mod pipeline;
pub mod queue;
pub mod record;
pub mod referee;
pub mod report;
pub mod review;
pub mod select;
pub mod sinks;
pub mod sources;
pub mod template;
pub mod text;
pub mod tools;
pub mod version;
