//! The record: its bytes, levels and time, and how values are encoded into it.

pub mod encoder;
pub mod invocation;
pub mod level;
pub mod loggable;
pub mod serde_value;
pub mod time;

pub use invocation::*;
