//! Everything that touches a database.

pub mod diagnose;
pub mod open;
pub mod progress;
