//! Set-up: the builder, the environment, the process-wide dispatcher and the level filter.
//!
//! The layers below reach the set-up through [`current`] only: it returns the [`Dispatcher`]
//! whose few crate-wide methods give the record its limits, its `where` and the hand-over of
//! its bytes, and give [`crate::delivery::stats`] its counters.

pub mod builder;
pub mod dispatch;
pub mod env;
pub mod filter;

pub(crate) use dispatch::{Dispatcher, current};
