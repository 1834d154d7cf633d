//! Small commands around the pipeline: `nianbao inspect` (what a file reads as) and
//! `nianbao doctor` (is everything the pipeline needs installed).

pub mod doctor;
pub mod inspect;
