//! Before anything is written: the model checked by SQLite, the rows a
//! change would break, and the rehearsal of a generated revision.

pub mod lint;
pub mod model_check;
pub mod rehearse;
pub mod warnings;
