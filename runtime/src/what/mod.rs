//! What: typed events, rejected input, uploads, SQL statements by shape, crashes.

pub mod crash;
pub mod events;
pub mod sql;
pub mod upload;
pub mod validation;
