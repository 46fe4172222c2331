//! Where a [`Schema`](crate::schema::Schema) comes from: the model file
//! ([`model`]) and a live database's catalog ([`introspect`]).

pub mod introspect;
pub mod model;
