//! Revision files, the graph they form, and running them.

pub mod revision;
pub mod run;
