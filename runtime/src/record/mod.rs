//! The record: the bytes of one invocation, the encoder that writes values into them with
//! redaction and limits applied, [`Loggable`], levels, time and the clock it is read from. The
//! hot path.

pub(crate) mod clock;
pub mod encoder;
pub mod facts;
pub mod invocation;
pub mod level;
pub mod limits;
pub mod loggable;
pub(crate) mod pending;
pub mod redacted;
pub mod serde_value;
pub mod time;

pub use encoder::{Array, Encoder, LogKey, Object};
pub use facts::Facts;
pub use invocation::{Callsite, CallsiteMeta, Invocation, Outcome, Units};
pub use level::{Level, ParseLevelError};
pub use limits::Limits;
pub use loggable::{Loggable, to_json};
