//! Revision files ([`revision`]), the graph they form and where a target
//! leaves it ([`history`]), and running them through an engine ([`apply`]).

pub mod apply;
pub mod fleet;
pub mod history;
pub mod online;
pub mod revision;
