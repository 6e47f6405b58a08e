//! Set-up: the builder, the environment, the process-wide dispatcher and the level filter.

pub mod builder;
pub mod dispatch;
pub mod filter;
